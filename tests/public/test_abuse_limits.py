"""Abuse is slowed, nobody is shut out (issue 8 §3): rate limits per client address, postcode
and MP, with a page that says when to try again; Redis down falls back to memory. The limit per
email refuses nothing (tests/public/test_owner_not_shut_out.py)."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.rate_limits import RateLimits, client_network
from action_app.registry import registry_of
from tests.drafts import redis_writes, write_parked_drafts
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form, text, title
from tests.journey import SUPPORTER, fill, open_letter, redis_keys, send, write_letter

URL = "/c/test-campaign"


@pytest.fixture
def tune(request):
    """Change settings of the app under test for this test only."""
    changed = []

    def change(app, **values):
        registry = registry_of(app)
        changed.append((app, registry.settings))
        registry.settings = app.config["SETTINGS"] = replace(registry.settings, **values)

    yield change
    for app, settings in reversed(changed):
        registry_of(app).settings = app.config["SETTINGS"] = settings


def assert_too_many(response, *phrases):
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 3600
    assert title(response).startswith("Please wait before trying again")
    page = text(response)
    assert re.search(r"try again after \d{1,2}:\d\d[ap]m \(in \d+ minutes?\)", page)
    for phrase in phrases:
        assert phrase in page


def letters() -> int:
    """Letters stored, drafts parked in Redis too (written into the database to be counted)."""
    write_parked_drafts()
    return db.session.scalar(select(func.count()).select_from(Letter))


def test_lookups_are_limited_per_client_address(journey, any_app, tune):
    """The limit guards postcodes.io: each lookup that must ask it counts; a postcode answered
    from the cache (the busy path) costs nothing upstream and is not counted."""
    tune(any_app, rate_limit_per_address="3 per minute")
    asked = ("england", "scotland", "wales")
    for name in asked:
        lookup = {"postcode": EXAMPLE_POSTCODES[name]}
        assert journey.get(f"{URL}/your-mp", query_string=lookup).status_code == 200
    for _ in range(5):  # cached: as often as anyone likes
        cached = journey.get(f"{URL}/your-mp", query_string={"postcode": "SW1A 1AA"})
        assert cached.status_code == 200
    refused = journey.get(
        f"{URL}/your-mp", query_string={"postcode": EXAMPLE_POSTCODES["northern_ireland"]}
    )
    assert_too_many(refused, "a lot of requests from your internet connection")
    # another address (behind no proxy: the socket's own) is not affected
    other = journey.get(
        f"{URL}/your-mp",
        query_string={"postcode": EXAMPLE_POSTCODES["northern_ireland"]},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert other.status_code == 200


def test_an_ipv6_client_is_counted_by_its_64_not_each_address(journey, any_app, tune):
    """A connection is given a whole IPv6 /64: moving to the next address in it is the same
    client, and gets no fresh allowance; a neighbouring /64 is someone else."""
    tune(any_app, rate_limit_per_address="2 per minute")
    postcodes = iter(EXAMPLE_POSTCODES.values())

    def lookup(address: str) -> int:
        return journey.get(
            f"{URL}/your-mp",
            query_string={"postcode": next(postcodes)},
            environ_base={"REMOTE_ADDR": address},
        ).status_code

    assert [lookup("2001:db8:1:2::1"), lookup("2001:db8:1:2::2")] == [200, 200]
    assert lookup("2001:db8:1:2:ffff:ffff:ffff:3") == 429  # the same /64
    assert lookup("2001:db8:1:3::1") == 200  # the next /64


@pytest.mark.parametrize(
    "address, counted_as",
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4, written as IPv6
        ("unknown", "unknown"),
    ],
)
def test_who_a_per_address_limit_counts(address, counted_as):
    assert client_network(address) == counted_as


def test_a_chosen_seat_lookup_counts_too(journey, any_app, tune, fake_postcodes):
    tune(any_app, rate_limit_per_address="1 per minute")
    fake_postcodes.go_down()
    query = {"postcode": EXAMPLE_POSTCODES["wales"], "seat": "1"}
    assert journey.get(f"{URL}/your-mp", query_string=query).status_code == 200
    assert journey.get(f"{URL}/your-mp", query_string=query).status_code == 429


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(pg_journey, app, tune):
    tune(app, rate_limit_per_address="2 per minute")
    names = ("england", "scotland", "wales", "northern_ireland")
    answers = [
        pg_journey.get(
            f"{URL}/your-mp",
            query_string={"postcode": EXAMPLE_POSTCODES[name]},
            headers={"X-Forwarded-For": f"198.51.100.{i}"},
        ).status_code
        for i, name in enumerate(names)
    ]
    assert answers == [200, 200, 429, 429]


def test_continue_over_the_limit_keeps_everything_typed(pg_journey, app, tune):
    page = open_letter(pg_journey)
    tune(app, rate_limit_per_address="1 per minute")
    action, fields = fill(page, personal_paragraph="Keep these words.")
    assert pg_journey.post(action, data=fields).status_code == 302
    again = pg_journey.post(action, data=fields)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    assert "Nothing you typed has been lost: press Continue again after" in text(again)
    assert post_form(again)["fields"]["personal_paragraph"] == "Keep these words."


def test_letters_from_one_postcode_are_limited(pg_journey, app, tune):
    tune(app, rate_limit_per_postcode="1 per hour")
    first = app.test_client()
    assert send(first, write_letter(first)).status_code == 302
    second = app.test_client()
    refused = send(second, write_letter(second, email="neighbour@example.com"))
    assert_too_many(refused, "a lot of letters from this postcode")


def test_letters_to_one_mp_are_limited_per_campaign(pg_journey, app, tune):
    tune(app, rate_limit_per_mp="1 per hour")
    first = app.test_client()
    assert send(first, write_letter(first)).status_code == 302
    second = app.test_client()
    refused = send(second, write_letter(second, "SW1A 2AA", email="other@example.com"))
    assert_too_many(refused, "A lot of people are writing to this MP right now")
    other_mp = app.test_client()
    assert send(other_mp, write_letter(other_mp, EXAMPLE_POSTCODES["wales"])).status_code == 302


def test_with_redis_down_the_limits_count_in_memory_and_letters_are_taken(
    pg_journey, app, tune, caplog
):
    """A Redis that does not answer: the limit still holds (from this process's memory), the
    fall-back is logged, and a letter under the limit is sent as usual."""
    tune(app, rate_limit_per_postcode="1 per hour")
    working = registry_of(app).rate_limits
    # Built as create_app builds it, with a Redis where nothing listens.
    registry_of(app).rate_limits = RateLimits("redis://127.0.0.1:1/0")
    try:
        with caplog.at_level(logging.WARNING, logger="action_app.rate_limits"):
            assert send(pg_journey, write_letter(pg_journey)).status_code == 302
            other = app.test_client()
            refused = send(other, write_letter(other, email="neighbour@example.com"))
        assert refused.status_code == 429
        assert "counting in this process's memory" in caplog.text
    finally:
        registry_of(app).rate_limits = working
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 1


def test_letter_limits_on_each_engine(journey, any_app, tune):
    """Embedded mode (no Redis) counts in memory; production mode in Redis."""
    tune(any_app, rate_limit_per_postcode="1 per hour")
    browser = any_app.test_client()
    assert send(browser, write_letter(browser)).status_code == 302
    other = any_app.test_client()
    assert send(other, write_letter(other, email="neighbour@example.com")).status_code == 429


def test_a_bad_limit_stops_the_start_with_a_clear_message(tmp_path):
    from action_app.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="RATE_LIMIT_PER_EMAIL must be limits like"):
        Settings.from_env({"RATE_LIMIT_PER_EMAIL": "lots"}, tmp_path)
    assert Settings.from_env({}, tmp_path).rate_limit_per_email == "5 per hour;20 per day"


def test_supporter_details_are_not_needed_to_read_the_limit_page(pg_journey, app, tune):
    """The page names no address or email: it is the same for anyone behind the limit."""
    tune(app, rate_limit_per_postcode="0 per hour")
    refused = send(pg_journey, write_letter(pg_journey))
    assert refused.status_code == 429
    assert SUPPORTER["email"] not in refused.get_data(as_text=True)
    assert letters() == 1


@contextmanager
def redis_round_trips(app):
    """The keys of each round trip the app's rate limits make to Redis, while inside."""
    limits = registry_of(app).rate_limits
    chain, calls = limits._chain, []

    def counted(*args, **kwargs):
        calls.append(kwargs["keys"])
        return chain(*args, **kwargs)

    limits._chain = counted
    try:
        yield calls
    finally:
        limits._chain = chain


def test_a_letter_refused_by_one_limit_uses_up_none_after_it(pg_journey, app, tune):
    """The send limits are counted in turn (address, postcode, MP, email), in one round trip to
    Redis: a try the postcode limit refuses is not counted against the MP, so it cannot be used
    to use up an MP's letters (or an address's) without sending any."""
    tune(app, rate_limit_per_postcode="1 per hour", rate_limit_per_mp="2 per hour")
    with redis_round_trips(app) as calls:
        first = app.test_client()
        assert send(first, write_letter(first)).status_code == 302
        same_postcode = app.test_client()
        refused = send(same_postcode, write_letter(same_postcode, email="b@example.com"))
        assert_too_many(refused, "a lot of letters from this postcode")
        # The same MP from the next street: the refused try did not count against the MP.
        next_street = app.test_client()
        sent = send(next_street, write_letter(next_street, "SW1A 2AA", email="c@example.com"))
        assert sent.status_code == 302
        # Now the MP's two are used: the next letter to them is refused, for the MP.
        fourth = app.test_client()
        refused = send(fourth, write_letter(fourth, "SW1A 0AA", email="d@example.com"))
        assert_too_many(refused, "A lot of people are writing to this MP right now")
    sends = [keys for keys in calls if "/send/" in keys[0]]  # not the lookups and Continues
    assert len(sends) == 4  # one round trip per Send
    assert [k.split("/")[1] for k in sends[0]] == ["address", "postcode", "mp", "email"]


def test_continue_counts_every_address_limit_in_one_round_trip(pg_journey, app, tune, monkeypatch):
    """The per-address setting is two limits (a minute's and an hour's); Continue counts both,
    and parks the new draft, in one round trip to Redis, and the second is still enforced: a
    refused try parks nothing."""
    from action_app.services import parked_drafts

    tune(app, rate_limit_per_address="100 per minute;2 per hour")
    page = open_letter(pg_journey)
    action, fields = fill(page)
    # Redis knows the script (else its first use sends it whole, a second write, once).
    registry_of(app).store.client.script_load(parked_drafts._COUNT_AND_PARK)
    writes = redis_writes(monkeypatch)
    answers = []
    for _ in range(3):
        writes.clear()
        answers.append(pg_journey.post(action, data=fields))
        limited = [w for w in writes if b"LIMITS:" in w]
        assert limited[0].count(b"/address/continue/") == 2  # both limits
        assert b"parked:token:" in limited[0]  # and the draft, in the same script
        if answers[-1].status_code == 302:
            assert len(limited) == 1, writes  # one round trip per Continue
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Nothing you typed has been lost" in text(answers[2])
    # The same form twice is one draft; the refused third parked nothing new.
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert letters() == 1


def test_a_continue_that_saves_nothing_still_counts_once(pg_journey, app, tune):
    """A try the form's checks send back (a missing name), one the campaign's safeguards
    refuse, and a change to a draft each count once against the limit, as a new draft does."""
    tune(app, rate_limit_per_address="3 per hour")
    page = open_letter(pg_journey)
    action, fields = fill(page)
    missing = pg_journey.post(action, data={**fields, "name": ""})
    assert missing.status_code == 200 and "Enter your full name" in text(missing)
    saved = pg_journey.post(action, data=fields)
    assert saved.status_code == 302
    change = pg_journey.get(saved.headers["Location"])
    page = change.get_data(as_text=True)
    change_link = re.search(r'href="([^"]*/write\?[^"]*draft=[^"]*)"', page)
    changed_page = pg_journey.get(change_link.group(1).replace("&amp;", "&"))
    action, fields = fill(changed_page, personal_paragraph="Changed words.")
    assert pg_journey.post(action, data=fields).status_code == 302  # the third try
    refused = pg_journey.post(action, data=fields)
    assert refused.status_code == 429 and "Nothing you typed has been lost" in text(refused)
    assert post_form(refused)["fields"]["personal_paragraph"] == "Changed words."


def test_the_limits_never_name_the_supporter(pg_journey, app):
    """The limit store counts a person's client address, email and postcode under a keyed hash:
    no key names them (``people erase`` cannot reach these keys before they expire)."""
    assert send(pg_journey, write_letter(pg_journey, email="Named.Person+mp@example.com"))
    limit_keys = [k for k in redis_keys(app) if k.startswith("LIMITS:")]
    scopes = {k.split("/")[1] for k in limit_keys}
    assert {"address", "postcode", "mp", "email"} <= scopes
    for name in ("named.person", "Named.Person", "127.0.0.1", "SW1A1AA", "SW1A 1AA"):
        assert not [k for k in limit_keys if name in k], name


def test_a_continue_the_safeguards_refuse_counts_once(pg_journey, app, tune):
    """The letter's words refused by the campaign's safeguards: the try counts, once, and the
    next one over the limit is told to wait with everything kept."""
    from tests.public.conftest import set_campaign

    set_campaign(safeguards={"identical_letter": "refuse"})
    tune(app, rate_limit_per_address="2 per hour")
    first = app.test_client()  # the same client address as the next: one limit for both
    assert send(first, write_letter(first, personal_paragraph="My second home.")).status_code
    second = app.test_client()
    action, fields = fill(
        open_letter(second), email="amir@example.org", personal_paragraph="My second home."
    )
    same = second.post(action, data=fields)
    assert same.status_code == 200 and "word for word the same" in text(same)
    fields["personal_paragraph"] = "I learned to read there."
    refused = second.post(action, data=fields)
    assert refused.status_code == 429 and "Nothing you typed has been lost" in text(refused)
    assert post_form(refused)["fields"]["personal_paragraph"] == "I learned to read there."
