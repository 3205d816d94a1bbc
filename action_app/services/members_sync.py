"""``sync_members``: the whole directory from the UK Parliament Members API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

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


def sync_members(
    client: MembersApiClient, progress: Progress | None = None, *, force: bool = False
) -> DirectorySummary:
    """Fetch every current MP, their office email and vacant seats, then apply them at once."""
    report = progress or (lambda stage, done, total: None)
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
