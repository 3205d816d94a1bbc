"""Plain data behind the fake postcodes.io and Members API servers.

Both fakes read one `Dataset`: postcodes.io answers from `Dataset.postcodes`, the Members API
from `Dataset.members` and `Dataset.constituencies`.  The two sides are joined the way the real
services have to be joined - the Members API knows no GSS codes - so a postcode's constituency
is found through `FakeConstituency.gss_code` when the fixture sets it, else by normalised name.

`default_dataset()` is the small hand-written fixture in `fixture.py`; `load_shared_dataset()`
builds the full 650-seat set from the reference files (see `shared_data.py`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# Characters JavaScript's \s and String.prototype.trim() treat as white space; postcodes.io
# (Node) uses them, so the fake must too (Python's str.isspace() differs at the edges).
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_WS_CLASS = "[" + re.escape(JS_WHITESPACE) + "]"
# ASCII only on purpose: [a-z] with re.IGNORECASE would also accept the Kelvin sign, and \d
# would accept non-ASCII digits.
POSTCODE_FORMAT = re.compile(r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?" + _WS_CLASS + r"*[0-9][A-Za-z]{2}")

COUNTRY_CODES = {
    "England": "E92000001",
    "Scotland": "S92000003",
    "Wales": "W92000004",
    "Northern Ireland": "N92000002",
    "Channel Islands": "L93000001",
    "Isle of Man": "M83000003",
}
PSEUDO_CONSTITUENCY_CODES = ("L99999999", "M99999999")


def js_trim(text: str) -> str:
    return text.strip(JS_WHITESPACE)


def postcode_key(text: str) -> str | None:
    """postcodes.io's matching rule: trim, format check, upper-case, drop all white space.

    Returns the compact key ("SW1A1AA") or None when the text fails the format check.
    """
    trimmed = js_trim(text)
    if not POSTCODE_FORMAT.fullmatch(trimmed):
        return None
    return "".join(ch for ch in trimmed if ch not in JS_WHITESPACE).upper()


def normalise_name(name: str) -> str:
    """Case-fold, strip accents, '&' -> 'and', collapse punctuation and spaces."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = re.sub(r"[\u2019\u2018'`]", "", text)
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return " ".join(text.split())


def constituency_id_for_gss(code: str) -> int:
    """Stable invented Members API id for a 2024 seat: E14001127 -> 11127, S14000060 -> 20060,
    W07000112 -> 30112, N05000018 -> 40018.  (The real ids are different numbers.)"""
    prefix = {"E14": 1, "S14": 2, "W07": 3, "N05": 4}[code[:3]]
    return prefix * 10000 + int(code[3:]) % 10000


@dataclass(frozen=True)
class FakePostcode:
    postcode: str  # canonical "SW1A 1AA"
    country: str
    region: str | None  # English region; None elsewhere
    constituency_name: str | None  # postcodes.io spelling; None for Channel Islands / IoM
    constituency_code: str  # GSS code, or L99999999 / M99999999
    terminated: tuple[int, int] | None = None  # (year, month) when withdrawn
    admin_district: str | None = None
    location: tuple[float, float] | None = None  # (latitude, longitude); None = no grid ref
    quality: int = 1  # ONSPD osgrdind; 9 = no grid reference

    @property
    def key(self) -> str:
        return self.postcode.replace(" ", "").upper()

    @property
    def outcode(self) -> str:
        return self.postcode.split(" ")[0]

    @property
    def incode(self) -> str:
        return self.postcode.split(" ")[-1]


@dataclass(frozen=True)
class FakeParty:
    id: int
    name: str
    abbreviation: str | None
    background_colour: str  # "d50000" style, no '#', as the Members API sends it
    foreground_colour: str
    is_independent: bool = False


@dataclass(frozen=True)
class FakeMember:
    id: int
    name_display_as: str
    name_list_as: str
    name_full_title: str
    name_address_as: str | None
    gender: str
    party: FakeParty
    constituency_name: str  # spelled as the Members API spells it
    constituency_id: int
    membership_start: str  # "2024-07-04T00:00:00"
    email: str | None  # Parliamentary office email, or None
    # Contact-entry shape (GET /api/Members/{id}/Contact):
    parliamentary_office: bool = True  # False: no "Parliamentary office" entry at all
    constituency_office: bool = False  # add a "Constituency office" entry with street lines
    constituency_office_email: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class FakeConstituency:
    id: int
    name: str  # Members API spelling
    start_date: str
    current_member_id: int | None  # None = vacant seat
    gss_code: str | None = None  # never sent by the fake Members API; only for the join


@dataclass
class Dataset:
    postcodes: list[FakePostcode]
    members: list[FakeMember]
    constituencies: list[FakeConstituency]
    _postcodes: dict[str, FakePostcode] = field(init=False, repr=False, default_factory=dict)
    _members: dict[int, FakeMember] = field(init=False, repr=False, default_factory=dict)
    _seats: dict[int, FakeConstituency] = field(init=False, repr=False, default_factory=dict)
    _by_gss: dict[str, FakeConstituency] = field(init=False, repr=False, default_factory=dict)
    _by_name: dict[str, FakeConstituency] = field(init=False, repr=False, default_factory=dict)
    _seat_postcodes: dict[int, list[FakePostcode]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the lookup tables; call after changing the lists in place."""
        self._postcodes = {}
        for pc in self.postcodes:
            # A live record wins over a terminated one with the same key.
            if pc.terminated is None or pc.key not in self._postcodes:
                self._postcodes[pc.key] = pc
        self._members = {m.id: m for m in self.members}
        self._seats = {c.id: c for c in self.constituencies}
        self._by_gss = {c.gss_code: c for c in self.constituencies if c.gss_code}
        self._by_name = {normalise_name(c.name): c for c in self.constituencies}
        self._seat_postcodes = {}
        for pc in self.postcodes:
            seat = self._seat_of(pc)
            if seat is not None and pc.terminated is None:
                self._seat_postcodes.setdefault(seat.id, []).append(pc)

    def _seat_of(self, pc: FakePostcode) -> FakeConstituency | None:
        if pc.constituency_name is None:
            return None
        seat = self._by_gss.get(pc.constituency_code)
        return seat or self._by_name.get(normalise_name(pc.constituency_name))

    # -- postcodes.io side ---------------------------------------------------------------
    def postcode(self, text: str) -> FakePostcode | None:
        """Live or terminated record for any spelling postcodes.io would accept."""
        key = postcode_key(text)
        return None if key is None else self._postcodes.get(key)

    def live_postcode(self, text: str) -> FakePostcode | None:
        pc = self.postcode(text)
        return pc if pc is not None and pc.terminated is None else None

    def terminated_postcode(self, text: str) -> FakePostcode | None:
        pc = self.postcode(text)
        return pc if pc is not None and pc.terminated is not None else None

    def live_postcodes(self) -> list[FakePostcode]:
        return [p for p in self.postcodes if p.terminated is None]

    def terminated_postcodes(self) -> list[FakePostcode]:
        return [p for p in self.postcodes if p.terminated is not None]

    # -- Members API side ----------------------------------------------------------------
    def member(self, member_id: int) -> FakeMember | None:
        return self._members.get(member_id)

    def constituency(self, constituency_id: int) -> FakeConstituency | None:
        return self._seats.get(constituency_id)

    def current_member(self, seat: FakeConstituency) -> FakeMember | None:
        if seat.current_member_id is None:
            return None
        return self._members.get(seat.current_member_id)

    def constituency_for_postcode(self, text: str) -> FakeConstituency | None:
        """The seat of a live postcode, joined by GSS code when known, else by name."""
        pc = self.live_postcode(text)
        return None if pc is None else self._seat_of(pc)

    def postcodes_in(self, constituency_id: int) -> list[FakePostcode]:
        """Live postcodes whose constituency joins to this seat."""
        return list(self._seat_postcodes.get(constituency_id, []))

    def member_for_postcode(self, text: str) -> FakeMember | None:
        seat = self.constituency_for_postcode(text)
        return None if seat is None else self.current_member(seat)


def default_dataset() -> Dataset:
    """A fresh copy of the small hand-written fixture (see fixture.py)."""
    from .fixture import build_default_dataset

    return build_default_dataset()


def load_shared_dataset(data_dir: str | Path) -> Dataset:
    """The full 650-seat dataset from the reference files (see shared_data.py)."""
    from .shared_data import build_shared_dataset

    return build_shared_dataset(Path(data_dir))
