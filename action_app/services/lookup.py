"""Find your MP: postcode → constituency (postcodes.io, cached) → sitting Member (directory)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from action_app.clients.postcodes_io import (
    InvalidPostcode,
    NoWestminsterSeat,
    PostcodeLocation,
    PostcodesIoClient,
    normalise_postcode,
)
from action_app.kv import get_store
from action_app.models import NATIONS
from action_app.registry import current_registry
from action_app.services.directory import nation_for_gss, record_seat_codes
from action_app.services.seats import SeatSnapshot, SnapshotHolder

log = logging.getLogger(__name__)

CACHE_PREFIX = "postcode:v1:"


class DirectoryEmpty(Exception):
    """No MPs have been loaded yet: run ``action-app mps sync`` or ``mps import``."""


@dataclass(frozen=True)
class MpLookup:
    seat: SeatSnapshot
    postcode: str | None
    country: str | None

    @property
    def nation(self) -> str | None:
        if self.country in NATIONS:
            return self.country
        return self.seat.nation


def _client() -> PostcodesIoClient:
    return current_registry().postcodes_io


def _seats() -> SnapshotHolder:
    return current_registry().directory_snapshot


def locate_postcode(
    text: str, before_upstream: Callable[[], None] | None = None
) -> PostcodeLocation:
    """The postcode's constituency, from this process's memory, the shared cache (30 days) or
    postcodes.io; typed errors otherwise. ``before_upstream`` is called only when postcodes.io
    must be asked (the caller's rate limit: it may raise to stop the request going out)."""
    postcode = normalise_postcode(text)
    if postcode is None:
        raise InvalidPostcode((text or "").strip()[:40])
    island = crown_dependency(postcode)
    if island:  # known by its prefix, whether or not postcodes.io knows the postcode
        raise NoWestminsterSeat(postcode, island)
    memo = current_registry().postcode_memo
    location = memo.get(postcode)
    if location is not None:
        return location
    store = get_store()
    key = CACHE_PREFIX + postcode.replace(" ", "")
    cached = store.get(key)
    if cached:
        try:
            location = PostcodeLocation.from_dict(json.loads(cached))
        except (ValueError, TypeError):
            log.warning("Ignoring an unreadable cache entry for a postcode")
    if location is None:
        if before_upstream is not None:
            before_upstream()
        location = _client().lookup(postcode)
        ttl = current_registry().settings.lookup_cache_days * 86400
        store.set(key, json.dumps(location.to_dict()), ttl)
    memo.put(postcode, location)
    return location


# The Crown Dependencies have their own parliaments and no MP at Westminster.
CROWN_DEPENDENCIES = {"JE": "Jersey", "GY": "Guernsey", "IM": "Isle of Man"}
_CROWN_PREFIX = re.compile(r"^(JE|GY|IM)[0-9]")


def crown_dependency(postcode: str) -> str | None:
    """Jersey, Guernsey or the Isle of Man for a postcode with their prefix, else None."""
    match = _CROWN_PREFIX.match(postcode.upper())
    return CROWN_DEPENDENCIES[match.group(1)] if match else None


def find_mp_for_postcode(text: str, before_upstream: Callable[[], None] | None = None) -> MpLookup:
    """The seat (and its MP, or a vacancy) for a postcode. A GSS code learned on the way is
    written to the directory (flushed; the caller commits). ``before_upstream``: see
    ``locate_postcode``."""
    location = locate_postcode(text, before_upstream)
    holder = _seats()
    snapshot = holder.get()
    if not len(snapshot):
        raise DirectoryEmpty()
    seat = snapshot.find(location.constituency_code, location.constituency_name)
    if seat is None:
        log.warning(
            "postcodes.io named %s (%s), which the directory does not hold",
            location.constituency_name,
            location.constituency_code,
        )
        seat = SeatSnapshot(
            id=None,
            name=location.constituency_name,
            gss_code=location.constituency_code,
            nation=location.country,
            region=location.region,
            member=None,
        )
    elif seat.gss_code != location.constituency_code or (seat.region is None and location.region):
        seat = _learn_codes(holder, seat, location)
    return MpLookup(seat=seat, postcode=location.postcode, country=location.country)


def _learn_codes(
    holder: SnapshotHolder, seat: SeatSnapshot, location: PostcodeLocation
) -> SeatSnapshot:
    """Record a seat's GSS code and region when postcodes.io first names it."""
    code = location.constituency_code
    if not record_seat_codes(seat.id, code, location.region):
        log.warning("Could not record GSS code %s for %s: it conflicts", code, seat.name)
        return seat
    learned = replace(seat, gss_code=code, nation=nation_for_gss(code), region=location.region)
    holder.replace_seat(learned)
    return learned


def find_mp_for_seat(seat_id: int, postcode: str | None) -> MpLookup | None:
    """The seat a supporter chose from the list (when the lookup is down, or it chose wrongly)."""
    seat = _seats().get().by_id.get(seat_id)
    if seat is None:
        return None
    return MpLookup(seat=seat, postcode=normalise_postcode(postcode), country=None)


def list_seats() -> list[SeatSnapshot]:
    """Every seat in the directory, in name order."""
    return _seats().get().seats
