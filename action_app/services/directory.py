"""The MP directory: apply a whole new directory in one unit of work, and read seats from it.

``sync_members`` (from the Members API) and ``import_members_csv`` (from a file) both produce a
list of ``SeatRecord`` and hand it to ``apply_directory``, so the rules for what counts as added,
changed, no longer current or vacant live in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from action_app.extensions import db
from action_app.models import Constituency, DirectoryUpdate, Member, Nation
from action_app.models.types import utcnow
from action_app.services.names import constituency_key, match_key

NATION_BY_GSS_PREFIX = {
    "E": Nation.ENGLAND,
    "S": Nation.SCOTLAND,
    "W": Nation.WALES,
    "N": Nation.NORTHERN_IRELAND,
}
MEMBER_FIELDS = (
    "display_name",
    "list_name",
    "full_title",
    "address_as",
    "party_name",
    "party_abbreviation",
    "party_colour",
    "email",
    "thumbnail_url",
)
KEPT_WHEN_UNKNOWN = ("list_name", "party_abbreviation", "party_colour", "thumbnail_url")


def nation_for_gss(code: str | None) -> str | None:
    """England, Scotland, Wales or Northern Ireland, from a GSS code's first letter."""
    return NATION_BY_GSS_PREFIX.get((code or "")[:1].upper())


@dataclass(frozen=True)
class MemberRecord:
    id: int
    display_name: str
    full_title: str
    address_as: str
    list_name: str | None = None
    party_name: str | None = None
    party_abbreviation: str | None = None
    party_colour: str | None = None
    email: str | None = None
    thumbnail_url: str | None = None


@dataclass(frozen=True)
class SeatRecord:
    constituency_name: str
    member: MemberRecord | None  # None: the seat is vacant
    gss_code: str | None = None
    members_api_id: int | None = None


@dataclass
class DirectorySummary:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    no_longer_current: int = 0
    now_vacant: list[str] = field(default_factory=list)
    vacant: list[str] = field(default_factory=list)
    without_email: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


class DirectoryError(Exception):
    """The new directory is inconsistent; nothing has been changed."""


def apply_directory(records: list[SeatRecord], source: str) -> DirectorySummary:
    """Make the directory match ``records`` exactly (flushes; the caller commits)."""
    _check_unique(records)
    held_before = _current_holders()
    previous_ids = set(held_before.values())
    existing = {m.id: m for m in db.session.scalars(select(Member))}
    _clear_current_flags()
    summary = DirectorySummary()
    now_held: set[int] = set()
    for record, seat in _resolve_seats(records):
        if record.member is None:
            summary.vacant.append(seat.name)
            continue
        _apply_member(record.member, seat, existing, previous_ids, summary)
        now_held.add(seat.id)
    _count_departures(summary, records, held_before, now_held)
    db.session.add(DirectoryUpdate(source=source, summary=summary.as_dict()))
    db.session.flush()
    return summary


def _current_holders() -> dict[int, int]:
    """Seat id → the id of the Member sitting for it, before the change."""
    rows = db.session.execute(
        select(Member.constituency_id, Member.id).where(Member.is_current.is_(True))
    )
    return dict(rows.all())


def _clear_current_flags() -> None:
    """Clear every current flag first, so moving a Member between seats never trips the
    one-current-member-per-seat index part-way through."""
    db.session.execute(update(Member).values(is_current=False))
    db.session.flush()


def _resolve_seats(records: list[SeatRecord]) -> list[tuple[SeatRecord, Constituency]]:
    """Each record with its constituency row, new ones created, in one flush (a first sync
    creates 650), before the Members are written in another."""
    seats = _SeatResolver()
    resolved = [(record, seats.resolve(record)) for record in records]
    db.session.flush()
    return resolved


def _apply_member(
    record: MemberRecord,
    seat: Constituency,
    existing: dict[int, Member],
    previous_ids: set[int],
    summary: DirectorySummary,
) -> None:
    """Write one sitting Member for ``seat``, and count them as added, changed or unchanged."""
    member = existing.get(record.id)
    changes = _member_changes(member, record, seat.id)
    if member is None:
        member = Member(id=record.id)
        db.session.add(member)
        existing[member.id] = member
    values = {name: _merged(member, record, name) for name in MEMBER_FIELDS}
    for name, value in values.items():
        setattr(member, name, value)
    member.constituency_id = seat.id
    member.is_current = True
    member.synced_at = utcnow()
    if member.id not in previous_ids:
        summary.added += 1
    elif changes:
        summary.changed += 1
    else:
        summary.unchanged += 1
    if not member.email:  # an override counts as an email
        summary.without_email.append(f"{record.display_name} ({seat.name})")


def _count_departures(
    summary: DirectorySummary,
    records: list[SeatRecord],
    held_before: dict[int, int],
    now_held: set[int],
) -> None:
    """Members no longer current, and seats held before that are vacant now."""
    current_ids = {r.member.id for r in records if r.member}
    summary.no_longer_current = len(set(held_before.values()) - current_ids)
    names = dict(db.session.execute(select(Constituency.id, Constituency.name)).all())
    summary.now_vacant = sorted(names[cid] for cid in held_before if cid not in now_held)


def _check_unique(records: list[SeatRecord]) -> None:
    seen_members: set[int] = set()
    seen_keys: set[str] = set()
    for record in records:
        key = constituency_key(record.constituency_name)
        if not key:
            raise DirectoryError("A seat has no constituency name.")
        if key in seen_keys:
            raise DirectoryError(f"{record.constituency_name} appears twice.")
        seen_keys.add(key)
        if record.member:
            if record.member.id in seen_members:
                raise DirectoryError(f"Member {record.member.id} holds two seats.")
            seen_members.add(record.member.id)


def _merged(member: Member, record: MemberRecord, name: str):
    """The record's value; where a source does not know a detail (a CSV has no party colour),
    keep what the directory already has, if the party is the same."""
    if name == "email" and member.email_override:
        return member.email_override  # staff set it; it outlives every sync (see 0005)
    value = getattr(record, name)
    if value is None and name in KEPT_WHEN_UNKNOWN and member.party_name == record.party_name:
        return getattr(member, name)
    return value


def _member_changes(member: Member | None, record: MemberRecord, seat_id: int) -> list[str]:
    if member is None:
        return []
    changed = [n for n in MEMBER_FIELDS if getattr(member, n) != _merged(member, record, n)]
    if member.constituency_id != seat_id:
        changed.append("constituency")
    return changed


class _SeatResolver:
    """Finds the constituency row for a record by GSS code, Members API id, then name."""

    def __init__(self) -> None:
        rows = list(db.session.scalars(select(Constituency)))
        self.by_gss = {c.gss_code: c for c in rows if c.gss_code}
        self.by_api_id = {c.members_api_id: c for c in rows if c.members_api_id is not None}
        self.by_key = {c.name_key: c for c in rows}

    def resolve(self, record: SeatRecord) -> Constituency:
        seat = (
            self.by_gss.get(record.gss_code or "")
            or self.by_api_id.get(record.members_api_id)
            or self._by_name(record.constituency_name)
        )
        if seat is None:
            seat = Constituency(
                name=record.constituency_name, name_key=constituency_key(record.constituency_name)
            )
            db.session.add(seat)
        if _canonical(record, seat) and seat.name != record.constituency_name:
            seat.name = record.constituency_name
            seat.name_key = constituency_key(record.constituency_name)
        if record.gss_code and seat.gss_code != record.gss_code:
            seat.gss_code = record.gss_code
            seat.nation = nation_for_gss(record.gss_code)
        if record.members_api_id is not None:
            seat.members_api_id = record.members_api_id
        self.by_key[seat.name_key] = seat
        if seat.gss_code:
            self.by_gss[seat.gss_code] = seat
        if seat.members_api_id is not None:
            self.by_api_id[seat.members_api_id] = seat
        return seat

    def _by_name(self, name: str) -> Constituency | None:
        key = match_key(name, self.by_key)
        return self.by_key.get(key) if key else None


def _canonical(record: SeatRecord, seat: Constituency) -> bool:
    """Whether this record's spelling of the seat's name is the one to show everywhere.

    The directory spells every seat as the Members API does (the official 2024 names, as the
    Boundary Commission spells them; postcodes.io and ONS files may differ in punctuation, "&"
    or "St."). A record from the Members API always sets the name; a CSV import names only a
    seat the Members API has not named, so an import never undoes the official spelling."""
    return record.members_api_id is not None or seat.members_api_id is None


def record_seat_codes(seat_id: int, gss_code: str, region: str | None) -> bool:
    """Record a seat's GSS code (and so its nation) and region, learned from postcodes.io
    (flushes; the caller commits). False if the seat has another code, or another seat has
    this one: the directory is left as it was.

    Every web process learns each seat for itself (its snapshot is its own), so after the
    first the row already holds these values: one read says so, and nothing is written or
    locked. (Three processes rewriting one row waited on each other's commits, and each
    learning cost six round trips, in the first seconds of the postcode page after a sync.)"""
    nation = nation_for_gss(gss_code)
    held = db.session.execute(
        select(Constituency.gss_code, Constituency.nation, Constituency.region).where(
            Constituency.id == seat_id
        )
    ).first()
    if held is None or held.gss_code not in (None, gss_code):
        return False
    if tuple(held) == (gss_code, nation, region):
        return True
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                update(Constituency)
                .where(
                    Constituency.id == seat_id,
                    Constituency.gss_code.is_(None) | (Constituency.gss_code == gss_code),
                )
                .values(gss_code=gss_code, nation=nation, region=region)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        return False
    return bool(result.rowcount)


def directory_version() -> int:
    """The id of the newest completed sync or import (0 when the directory was never loaded)."""
    return db.session.scalar(select(func.coalesce(func.max(DirectoryUpdate.id), 0))) or 0
