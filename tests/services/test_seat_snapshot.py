"""The in-memory directory: a seat's learned codes replace it without building the whole anew."""

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from action_app.services import seats as seats_module
from action_app.services.names import constituency_key
from action_app.services.seats import DirectorySnapshot, SeatSnapshot

NAMES = ["Bath", "Bath ", "Ynys Môn", "Ynys Mon", "Hull East", "East Hull", "Wells", "Ayr"]
CODES = [None, "E14000001", "E14000002", "W07000001", "S14000003"]
REGIONS = [None, "London", "Wales", "South West"]


def _seat(id_, name, code, region):
    nation = {"E": "England", "W": "Wales", "S": "Scotland"}.get((code or "?")[0])
    return SeatSnapshot(id=id_, name=name, gss_code=code, nation=nation, region=region, member=None)


def _rebuilt(snapshot: DirectorySnapshot, seat: SeatSnapshot) -> DirectorySnapshot:
    """What with_seat gave before it changed only the seat's own entries."""
    return DirectorySnapshot(
        snapshot.version, [seat if s.id == seat.id else s for s in snapshot.seats]
    )


def _same(a: DirectorySnapshot, b: DirectorySnapshot) -> None:
    assert a.version == b.version
    assert a.seats == b.seats
    assert a.by_id == b.by_id
    assert a.by_gss == b.by_gss
    assert a.by_key == b.by_key


def _unique(seats: list[SeatSnapshot]) -> bool:
    """As the directory holds them: no two seats share a GSS code or a name key."""
    codes = [s.gss_code for s in seats if s.gss_code]
    keys = [constituency_key(s.name) for s in seats]
    return len(set(codes)) == len(codes) and len(set(keys)) == len(keys)


seat_lists = (
    st.lists(
        st.tuples(st.sampled_from(NAMES), st.sampled_from(CODES), st.sampled_from(REGIONS)),
        min_size=1,
        max_size=6,
    )
    .map(lambda rows: [_seat(n + 1, *row) for n, row in enumerate(rows)])
    .filter(_unique)
)

changes = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=9),  # 9: a seat the snapshot does not hold
        st.one_of(st.none(), st.sampled_from(NAMES)),  # None: the name is kept
        st.sampled_from(CODES),
        st.sampled_from(REGIONS),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(seat_lists, changes)
def test_a_replaced_seat_gives_the_snapshot_a_rebuild_would(seats, steps):
    """A learned region or code, a changed code or name, an unknown id: each sequence of
    replacements gives what building the snapshot afresh gives. A replacement that would give
    two seats one code or one name key is one the directory refuses (both are unique there,
    and ``record_seat_codes`` refuses a code another seat holds), so it is not made."""
    snapshot = expected = DirectorySnapshot(7, seats)
    for seat_id, name, code, region in steps:
        current = snapshot.by_id.get(seat_id)
        if name is None:
            name = current.name if current else "Wells"
        seat = _seat(seat_id, name, code, region)
        if not _unique([seat if s.id == seat_id else s for s in snapshot.seats]):
            continue
        snapshot, expected = snapshot.with_seat(seat), _rebuilt(expected, seat)
        _same(snapshot, expected)
        assert snapshot.find(code, name) == expected.find(code, name)


def test_learning_a_region_normalises_one_name_not_all(monkeypatch):
    """The common case (a region learned for a seat) must not rebuild 650 name keys: that made
    the first seconds after a sync cost about 4 ms a lookup in every web process."""
    seats = [_seat(n, f"Seat {n}", f"E14{n:06d}", None) for n in range(1, 651)]
    snapshot = DirectorySnapshot(1, seats)
    calls = []
    real = seats_module.constituency_key
    monkeypatch.setattr(seats_module, "constituency_key", lambda n: calls.append(n) or real(n))
    learned = snapshot.with_seat(replace(seats[99], region="London"))
    assert len(calls) <= 2
    assert learned.by_gss["E14000100"].region == "London"
    assert learned.find(None, "seat 100").region == "London"
    assert snapshot.by_gss["E14000100"].region is None  # the original is left as it was
