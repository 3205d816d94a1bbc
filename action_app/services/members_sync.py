"""``sync_members``: the whole directory from the UK Parliament Members API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select, text

from action_app.clients.members_api import (
    ApiConstituency,
    ApiMember,
    MembersApiClient,
    MembersApiError,
    MembersApiUnavailable,
)
from action_app.extensions import db
from action_app.models import Member
from action_app.services.directory import (
    DirectoryError,
    DirectorySummary,
    MemberRecord,
    SeatRecord,
    apply_directory,
)
from action_app.services.names import constituency_key

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# A Members API answer that would shrink the directory this much is more likely a fault on their
# side than an election; refuse it unless the operator says otherwise.
MIN_SHARE_OF_PREVIOUS = 0.5

# The PostgreSQL advisory lock a sync holds for its transaction (the one-number key space;
# pacing's locks use the two-number one, which never meets it).
SYNC_LOCK = 0x4D505F53594E43  # "MP_SYNC"


class SyncAlreadyRunning(DirectoryError):
    """Another directory sync is under way: this one asked the Members API nothing."""


def sync_members(
    client: MembersApiClient, progress: Progress | None = None, *, force: bool = False
) -> DirectorySummary:
    """Fetch every current MP, their office email and vacant seats, then apply them at once."""
    report = progress or (lambda stage, done, total: None)
    _one_sync_at_a_time()
    members = client.list_current_commons_members(
        lambda done, total: report("members", done, total)
    )
    _check_plausible(len(members), force)
    # The constituency list (for vacant seats) is fetched alongside the office emails; the
    # client keeps the two together within its limit on requests in flight.
    with ThreadPoolExecutor(max_workers=1) as background:
        listing = background.submit(_list_constituencies, client)
        emails = client.fetch_emails(
            [m.id for m in members], lambda done: report("emails", done, len(members))
        )
        constituencies = listing.result()
    records = [_seat_for(member, emails.get(member.id)) for member in members]
    held = {constituency_key(r.constituency_name) for r in records}
    records.extend(_vacant_seats(constituencies, held))
    return apply_directory(records, "members-api")


def _one_sync_at_a_time() -> None:
    """Take the sync lock for this transaction, or raise SyncAlreadyRunning.

    The daily sync from beat, a manager's "sync now" (pressed twice, or by two managers) and
    ``mps sync`` could otherwise run together: each asks the Members API about every MP (700
    requests), and both rewrite the same rows, waiting on each other's locks. On PostgreSQL
    the first holds an advisory lock until its commit or rollback, and any other gives up at
    once, before asking anything. (SQLite, the embedded platform's, lets one writer in at a
    time: a second sync there waits, then writes the same answer again.)"""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    if not db.session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SYNC_LOCK}):
        raise SyncAlreadyRunning(
            "Another directory sync is running, so this one did not start; the directory will "
            "show that sync's changes when it finishes."
        )


def _check_plausible(count: int, force: bool) -> None:
    if count == 0:
        raise DirectoryError("The Members API listed no current MPs; the directory is unchanged.")
    current = db.session.scalar(select(func.count()).where(Member.is_current.is_(True))) or 0
    if not force and count < current * MIN_SHARE_OF_PREVIOUS:
        raise DirectoryError(
            f"The Members API listed {count} current MPs where the directory has {current}; "
            "the directory is unchanged. Run again with --force if this is right."
        )


def _seat_for(member: ApiMember, email: str | None) -> SeatRecord:
    if not member.constituency_name:
        raise DirectoryError(f"Member {member.id} ({member.display_name}) has no constituency.")
    return SeatRecord(
        constituency_name=member.constituency_name,
        members_api_id=member.constituency_id,
        member=MemberRecord(
            id=member.id,
            display_name=member.display_name,
            list_name=member.list_name,
            full_title=member.full_title,
            address_as=member.address_as or member.display_name,
            party_name=member.party_name,
            party_abbreviation=member.party_abbreviation,
            party_colour=member.party_colour,
            email=email,
            thumbnail_url=member.thumbnail_url,
        ),
    )


def _list_constituencies(client: MembersApiClient) -> list[ApiConstituency]:
    """Every constituency the API lists. Best effort: if it will not list them, vacancies are
    still found by comparison with the previous directory."""
    try:
        return client.search_constituencies("")
    except MembersApiUnavailable:
        raise
    except MembersApiError as exc:
        log.warning(
            "Could not list constituencies, so new vacancies rely on the last sync: %s", exc
        )
        return []


def _vacant_seats(constituencies: list[ApiConstituency], held_keys: set[str]) -> list[SeatRecord]:
    """Current seats with nobody in them."""
    return [
        SeatRecord(constituency_name=c.name, members_api_id=c.id, member=None)
        for c in constituencies
        if not c.ended and c.current_member is None and constituency_key(c.name) not in held_keys
    ]
