"""Find your MP: the lookup service over the fake postcodes.io and the synced directory."""

import pytest
from sqlalchemy import select

from action_app.clients.postcodes_io import LookupUnavailable, PostcodeNotFound
from action_app.extensions import db
from action_app.models import Constituency
from action_app.services import lookup
from tests.conftest import prepare_journey
from tests.fakes import EXAMPLE_POSTCODES, SPELLING_VARIANTS, constituency_id_for_gss


@pytest.fixture
def directory(any_app, fake_members):
    prepare_journey(any_app)


@pytest.mark.parametrize(
    ("name", "mp", "nation"),
    [
        ("england", "Rachel Blake", "England"),
        ("scotland", "Stephen Flynn", "Scotland"),
        ("wales", "Llinos Medi", "Wales"),
        ("northern_ireland", "Claire Hanna", "Northern Ireland"),
        ("spelling_case", "Charlie Dewhirst", "England"),
        ("spelling_accent", "Steve Witherden", "Wales"),
    ],
)
def test_each_nation_and_spelling_finds_the_mp(directory, name, mp, nation):
    found = lookup.find_mp_for_postcode(EXAMPLE_POSTCODES[name])
    assert found.seat.member.display_name == mp
    assert found.nation == nation


@pytest.mark.parametrize("code", sorted(SPELLING_VARIANTS))
def test_every_spelling_variant_joins(directory, fake_postcodes, code):
    postcode = fake_postcodes.dataset.postcodes_in(constituency_id_for_gss(code))[0].postcode
    found = lookup.find_mp_for_postcode(postcode)
    assert found.seat.member is not None
    assert found.seat.gss_code == code


def test_a_vacant_seat_has_no_member(directory):
    found = lookup.find_mp_for_postcode(EXAMPLE_POSTCODES["vacant_seat"])
    assert found.seat.name == "Runcorn and Helsby"
    assert found.seat.vacant


def test_the_gss_code_and_region_are_learned_once(directory):
    lookup.find_mp_for_postcode(EXAMPLE_POSTCODES["england"])
    seat = db.session.scalar(
        select(Constituency).where(Constituency.name == "Cities of London and Westminster")
    )
    db.session.refresh(seat)
    assert (seat.gss_code, seat.nation, seat.region) == ("E14001172", "England", "London")


def test_lookups_are_cached(directory, fake_postcodes):
    fake_postcodes.reset_stats()
    first = lookup.find_mp_for_postcode("sw1a1aa")
    fake_postcodes.go_down()
    again = lookup.find_mp_for_postcode("SW1A 1AA")
    assert again == first
    assert len(fake_postcodes.requests_seen) == 1


def test_failures_are_not_cached(directory, fake_postcodes):
    with pytest.raises(PostcodeNotFound):
        lookup.find_mp_for_postcode(EXAMPLE_POSTCODES["not_found"])
    fake_postcodes.reset_stats()
    with pytest.raises(PostcodeNotFound):
        lookup.find_mp_for_postcode(EXAMPLE_POSTCODES["not_found"])
    assert len(fake_postcodes.requests_seen) == 1


def test_an_unreachable_service_is_reported(directory, fake_postcodes):
    fake_postcodes.go_down()
    with pytest.raises(LookupUnavailable):
        lookup.find_mp_for_postcode(EXAMPLE_POSTCODES["wales"])


def test_an_empty_directory_is_reported(any_app):
    with pytest.raises(lookup.DirectoryEmpty):
        lookup.find_mp_for_postcode(EXAMPLE_POSTCODES["england"])


def test_a_chosen_seat_gives_its_mp(directory):
    seat = lookup.list_seats()[0]
    found = lookup.find_mp_for_seat(seat.id, "sw1a 1aa")
    assert found.seat == seat and found.postcode == "SW1A 1AA"
    assert lookup.find_mp_for_seat(999999, None) is None


def test_a_seat_learned_again_is_not_written_again(app, fake_members):
    """Each web process learns each seat for itself: after the first, the row holds the values,
    and one read finds them: no savepoint, no write, no lock (its row version stays)."""
    from sqlalchemy import event, text

    from action_app.services.directory import record_seat_codes

    prepare_journey(app)
    seat = db.session.scalar(
        select(Constituency).where(Constituency.name == "Cities of London and Westminster")
    )
    seat_id = seat.id
    assert record_seat_codes(seat_id, "E14001172", "London")
    db.session.commit()
    version = text("SELECT xmin::text FROM constituencies WHERE id = :id")
    before = db.session.scalar(version, {"id": seat_id})
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert record_seat_codes(seat_id, "E14001172", "London")  # the same: recorded already
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert len(statements) == 1 and statements[0].startswith("SELECT")  # no savepoint, no write
    db.session.commit()
    assert db.session.scalar(version, {"id": seat_id}) == before
    assert not record_seat_codes(seat_id, "E14000999", "London")  # another code: refused
    assert record_seat_codes(seat_id, "E14001172", None)  # a change is still written
    db.session.commit()
    assert db.session.scalar(version, {"id": seat_id}) != before
    assert not record_seat_codes(10**9, "E14001172", "London")  # no such seat
