"""An in-memory copy of the directory for the hot path: seat by GSS code, name, or id.

Each process keeps one ``DirectorySnapshot`` and reloads it when a newer sync or import has landed
(checked at most every ``check_every`` seconds), so finding an MP costs no query at all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from action_app.extensions import db
from action_app.models import Constituency, Member
from action_app.services.directory import directory_version, nation_for_gss
from action_app.services.names import constituency_key, match_key


@dataclass(frozen=True)
class MpSnapshot:
    id: int
    display_name: str
    full_title: str
    address_as: str
    party_name: str | None
    party_abbreviation: str | None
    party_colour: str | None
    email: str | None


@dataclass(frozen=True)
class SeatSnapshot:
    id: int | None  # None: postcodes.io named a seat the directory does not hold
    name: str
    gss_code: str | None
    nation: str | None
    region: str | None
    member: MpSnapshot | None

    @property
    def vacant(self) -> bool:
        return self.member is None


class DirectorySnapshot:
    def __init__(self, version: int, seats: list[SeatSnapshot]):
        self.version = version
        self.seats = sorted(seats, key=lambda s: constituency_key(s.name))
        self.by_id = {s.id: s for s in seats}
        self.by_gss = {s.gss_code: s for s in seats if s.gss_code}
        self.by_key = {constituency_key(s.name): s for s in seats}

    def __len__(self) -> int:
        return len(self.seats)

    def find(self, gss_code: str | None, name: str | None) -> SeatSnapshot | None:
        """By GSS code, else by name through the join of services/names.py."""
        if gss_code and gss_code in self.by_gss:
            return self.by_gss[gss_code]
        key = match_key(name, self.by_key) if name else None
        return self.by_key.get(key) if key else None

    def with_seat(self, seat: SeatSnapshot) -> DirectorySnapshot:
        """A copy with this seat in place of the one with its id.

        Every web process learns each seat's region (and sometimes its GSS code) from
        postcodes.io once after a sync, so this runs hundreds of times per process. Building
        the snapshot afresh normalises all 650 names (about 4 ms); a seat that keeps its name
        and gains a code no other seat holds keeps its place, and only its own entries change.
        Anything else (a new name, a changed code, a code shared in a directory mid-correction)
        is built afresh."""
        old = self.by_id.get(seat.id)
        if (
            old is None
            or old.name != seat.name
            or (old.gss_code and old.gss_code != seat.gss_code)  # a code is only ever learned
            or (seat.gss_code and self.by_gss.get(seat.gss_code, old) is not old)
            or self.by_key.get(constituency_key(seat.name)) is not old
        ):
            seats = [seat if s.id == seat.id else s for s in self.seats]
            return DirectorySnapshot(self.version, seats)
        copy = object.__new__(DirectorySnapshot)
        copy.version = self.version
        copy.seats = [seat if s is old else s for s in self.seats]
        copy.by_id = {**self.by_id, seat.id: seat}
        copy.by_gss = {**self.by_gss, seat.gss_code: seat} if seat.gss_code else self.by_gss
        copy.by_key = {**self.by_key, constituency_key(seat.name): seat}
        return copy


def load_snapshot() -> DirectorySnapshot:
    """Read every constituency and its sitting Member in one query."""
    version = directory_version()
    rows = db.session.scalars(
        select(Constituency)
        .outerjoin(Member, (Member.constituency_id == Constituency.id) & Member.is_current)
        .options(contains_eager(Constituency.members))
    ).unique()
    seats = [_seat_snapshot(c) for c in rows]
    return DirectorySnapshot(version, seats)


def _seat_snapshot(seat: Constituency) -> SeatSnapshot:
    member = next((m for m in seat.members if m.is_current), None)
    return SeatSnapshot(
        id=seat.id,
        name=seat.name,
        gss_code=seat.gss_code,
        nation=seat.nation or nation_for_gss(seat.gss_code),
        region=seat.region,
        member=_mp_snapshot(member) if member else None,
    )


def _mp_snapshot(member: Member) -> MpSnapshot:
    return MpSnapshot(
        id=member.id,
        display_name=member.display_name,
        full_title=member.full_title,
        address_as=member.address_as,
        party_name=member.party_name,
        party_abbreviation=member.party_abbreviation,
        party_colour=member.party_colour,
        email=member.email,
    )


class SnapshotHolder:
    """The process's snapshot, reloaded when the directory version moves on."""

    def __init__(self, check_every: float = 30.0):
        self.check_every = check_every
        self._snapshot: DirectorySnapshot | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self) -> DirectorySnapshot:
        """The snapshot, reloaded first if the directory has moved on since it was taken."""
        now = time.monotonic()
        snapshot = self._snapshot
        if snapshot is not None and now - self._checked_at < self.check_every:
            return snapshot
        with self._lock:
            if self._snapshot is None or directory_version() != self._snapshot.version:
                self._snapshot = load_snapshot()
            self._checked_at = now
            return self._snapshot

    def clear(self) -> None:
        """Forget the snapshot: the next ``get`` loads the directory afresh."""
        with self._lock:
            self._snapshot = None

    def replace_seat(self, seat: SeatSnapshot) -> None:
        """Put a seat's newer details (codes learned from postcodes.io) into the snapshot."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot = self._snapshot.with_seat(seat)
