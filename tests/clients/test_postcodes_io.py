"""The postcodes.io client against the fake: every answer becomes a location or a typed error."""

import pytest

from action_app.clients.http import RetryPolicy
from action_app.clients.postcodes_io import (
    InvalidPostcode,
    LookupUnavailable,
    NoWestminsterSeat,
    PostcodeNotFound,
    PostcodesIoClient,
    PostcodeTerminated,
    normalise_postcode,
)
from tests.fakes import EXAMPLE_POSTCODES


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("SW1A\t1AA", "SW1A 1AA"),
        ("SW1A\u00a01AA", "SW1A 1AA"),
        ("m11ad", "M1 1AD"),
        ("BT79 7BL", "BT79 7BL"),
        ("", None),
        ("   ", None),
        (None, None),
        ("SW1A", None),
        ("GIR 0AA", None),
        ("BFPO 123", None),
        ("SW1A 1AA; DROP TABLE", None),
        ("<b>SW1A 1AA</b>", None),
        ("\uff33\uff37\uff11\uff21 \uff11\uff21\uff21", None),  # full-width
        ("SW1A+1AA", None),
        ("S" * 500, None),
    ],
)
def test_normalise_postcode(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.fixture
def pio(fake_postcodes):
    client = PostcodesIoClient(
        fake_postcodes.url,
        read_timeout=0.5,
        retry=RetryPolicy(attempts=2, backoff_seconds=0.01, max_backoff_seconds=0.02),
    )
    yield client
    client.close()


@pytest.mark.parametrize(
    ("name", "nation", "constituency"),
    [
        ("england", "England", "Cities of London and Westminster"),
        ("scotland", "Scotland", "Aberdeen South"),
        ("wales", "Wales", "Ynys Môn"),
        ("northern_ireland", "Northern Ireland", "Belfast South and Mid Down"),
    ],
)
def test_live_postcodes_in_each_nation(pio, name, nation, constituency):
    location = pio.lookup(EXAMPLE_POSTCODES[name].lower().replace(" ", ""))
    assert location.country == nation
    assert location.constituency_name == constituency
    assert location.constituency_code[0] == nation[0]
    assert location.postcode == EXAMPLE_POSTCODES[name]


def test_region_is_given_in_england_only(pio):
    assert pio.lookup(EXAMPLE_POSTCODES["england"]).region == "London"
    assert pio.lookup(EXAMPLE_POSTCODES["scotland"]).region is None


def test_terminated_postcode_says_when(pio):
    with pytest.raises(PostcodeTerminated) as caught:
        pio.lookup(EXAMPLE_POSTCODES["terminated"])
    assert (caught.value.year, caught.value.month) == (1998, 12)


def test_unknown_postcode_is_not_found(pio):
    with pytest.raises(PostcodeNotFound):
        pio.lookup(EXAMPLE_POSTCODES["not_found"])


@pytest.mark.parametrize("name", ["channel_islands", "guernsey", "isle_of_man"])
def test_crown_dependencies_have_no_westminster_seat(pio, name):
    with pytest.raises(NoWestminsterSeat) as caught:
        pio.lookup(EXAMPLE_POSTCODES[name])
    assert caught.value.country in ("Channel Islands", "Isle of Man")


@pytest.mark.parametrize("text", ["", "hello", "SW1A", "<script>", "x" * 500, "BFPO 123"])
def test_text_that_cannot_be_a_postcode_never_reaches_the_service(pio, fake_postcodes, text):
    fake_postcodes.reset_stats()
    with pytest.raises(InvalidPostcode):
        pio.lookup(text)
    assert fake_postcodes.requests_seen == []


def test_service_down_is_unavailable(pio, fake_postcodes):
    fake_postcodes.go_down()
    with pytest.raises(LookupUnavailable):
        pio.lookup(EXAMPLE_POSTCODES["england"])


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_are_retried_then_unavailable(pio, fake_postcodes, status):
    fake_postcodes.fail_always(status)
    with pytest.raises(LookupUnavailable):
        pio.lookup(EXAMPLE_POSTCODES["england"])
    assert len(fake_postcodes.requests_seen) == 2


def test_one_server_error_is_retried_and_then_answers(pio, fake_postcodes):
    fake_postcodes.fail_next(1, 503)
    assert pio.lookup(EXAMPLE_POSTCODES["england"]).country == "England"


def test_a_hanging_service_times_out(pio, fake_postcodes):
    fake_postcodes.hang_next(2, 2.0)
    with pytest.raises(LookupUnavailable) as caught:
        pio.lookup(EXAMPLE_POSTCODES["england"])
    assert "timed out" in str(caught.value)


def test_the_path_is_percent_encoded(pio, fake_postcodes):
    fake_postcodes.reset_stats()
    pio.lookup("sw1a 1aa")
    assert fake_postcodes.requests_seen[-1][1] == "/postcodes/SW1A%201AA"
