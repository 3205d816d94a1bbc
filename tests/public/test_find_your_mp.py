"""The supporter's first steps: campaign page → postcode → your MP, and every way it can fail."""

import re
from html import unescape

import pytest
from sqlalchemy import event, text

from action_app.extensions import db
from action_app.registry import registry_of
from tests.fakes import EXAMPLE_POSTCODES
from tests.public.conftest import set_campaign

URL = "/c/test-campaign"


def page_text(response) -> str:
    html = response.get_data(as_text=True)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def title(response) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)[1])


def find(client, postcode, **params):
    return client.get(f"{URL}/your-mp", query_string={"postcode": postcode, **params})


def assert_postcode_error(response, message, typed):
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert title(response).startswith("Error: ")
    assert 'class="error-summary"' in html and '<a href="#postcode">' in html
    assert message in page_text(response)
    assert re.search(
        r'id="postcode-error"[^>]*>\s*<span class="visually-hidden">Error:</span>', html
    )
    assert 'aria-describedby="postcode-hint postcode-error"' in html
    value = re.search(r'<input[^>]*name="postcode"[^>]*>', html)[0]
    assert f'value="{typed}"' in unescape(value) or (typed == "" and 'value=""' in value)


def test_campaign_page_shows_the_campaign_and_a_postcode_field(journey):
    response = journey.get(URL)
    assert response.status_code == 200
    text = page_text(response)
    assert "Save the test library" in text
    assert "Thursday 10 December 2026 at 2:30pm" in text
    assert "0 people have written to their MP" in text
    html = response.get_data(as_text=True)
    assert "<strong>matter</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    field = re.search(r'<input[^>]*name="postcode"[^>]*>', html)[0]
    assert 'autocomplete="postal-code"' in field and 'aria-describedby="postcode-hint"' in field
    assert '<label class="label label--m" for="postcode">' in html
    assert re.search(r'<form method="get" action="/c/test-campaign/your-mp"', html)


def test_campaign_page_needs_no_session_or_query(journey, any_app):
    journey.get(URL)  # warms the per-process copy of the campaign
    registry = registry_of(any_app)
    # As two seconds later: the whole response and the count are no longer held in memory,
    # so Flask renders the page again and asks the store for the count.
    registry.response_cache.clear()
    registry.local_totals.clear()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = journey.get(URL)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert "csrf" not in response.get_data(as_text=True).lower()
    if any_app.config["SETTINGS"].embedded:
        # The count, from the cache table (where production asks Redis), and nothing else.
        assert statements
        assert all("cache_entries" in s for s in statements), statements
    else:
        assert statements == []


@pytest.mark.parametrize(
    ("name", "mp", "party", "constituency"),
    [
        ("england", "Rachel Blake", "Labour (Co-op)", "Cities of London and Westminster"),
        ("scotland", "Stephen Flynn", "Scottish National Party", "Aberdeen South"),
        ("wales", "Llinos Medi", "Plaid Cymru", "Ynys Môn"),
        (
            "northern_ireland",
            "Claire Hanna",
            "Social Democratic & Labour Party",
            "Belfast South and Mid Down",
        ),
    ],
)
def test_your_mp_page_in_each_nation(journey, name, mp, party, constituency):
    response = find(journey, EXAMPLE_POSTCODES[name].lower())
    assert response.status_code == 200
    assert title(response).startswith(f"Your MP is {mp}")
    text = page_text(response)
    assert party in text and constituency in text
    assert "This is not my MP" in text
    html = response.get_data(as_text=True)
    assert 'href="/c/test-campaign/write?postcode=' in html
    assert 'class="back-link"' in html


def test_empty_postcode(journey):
    assert_postcode_error(find(journey, ""), "Enter your postcode", "")


def test_spaces_only(journey):
    assert_postcode_error(find(journey, "    "), "Enter your postcode", "    ")


def test_not_a_postcode(journey):
    assert_postcode_error(
        find(journey, "hello"), "Enter a full UK postcode, like SW1A 1AA", "hello"
    )


def test_unknown_postcode_may_be_new_so_the_list_is_offered(journey):
    # A postcode postcodes.io does not know yet (a new build): the supporter may choose their
    # constituency, and is told the postcode will be checked before the letter is sent.
    response = find(journey, "zz99zz")
    assert response.status_code == 200
    assert title(response).startswith("Choose your constituency")
    text = page_text(response)
    assert "We could not find the postcode ZZ9 9ZZ" in text
    assert "check your postcode and enter it again" in text
    assert "We will check your postcode against the constituency you choose" in text
    assert '<input type="hidden" name="postcode" value="ZZ9 9ZZ">' in response.get_data(
        as_text=True
    )


def test_terminated_postcode_explains_why(journey):
    assert_postcode_error(
        find(journey, "SE1 9ZZ"),
        "The postcode SE1 9ZZ has not been in use since December 1998",
        "SE1 9ZZ",
    )


@pytest.mark.parametrize(
    ("name", "place"),
    [("channel_islands", "Jersey"), ("isle_of_man", "the Isle of Man")],
)
def test_no_westminster_mp(journey, name, place):
    postcode = EXAMPLE_POSTCODES[name]
    response = find(journey, postcode)
    assert_postcode_error(response, f"is in {place}", postcode)
    assert "not represented in the UK Parliament" in page_text(response)


def test_lookup_down_offers_the_list_of_constituencies(journey, fake_postcodes):
    fake_postcodes.go_down()
    response = find(journey, "LL77 7TW")
    assert response.status_code == 200
    text = page_text(response)
    assert "We cannot look up postcodes at the moment" in text
    html = response.get_data(as_text=True)
    assert "<optgroup" not in html  # nations are not known yet: one A-Z list
    seat_id = re.search(r'<option value="(\d+)" data-mp="Llinos Medi">Ynys Môn</option>', html)[1]
    assert '<input type="hidden" name="postcode" value="LL77 7TW">' in html

    chosen = journey.get(f"{URL}/your-mp", query_string={"seat": seat_id, "postcode": "LL77 7TW"})
    assert title(chosen).startswith("Your MP is Llinos Medi")


def test_the_list_is_grouped_by_nation_once_nations_are_known(journey):
    from action_app.models import Constituency
    from action_app.services.directory import nation_for_gss

    for code, seat in enumerate(db.session.scalars(db.select(Constituency)), start=1):
        seat.gss_code = f"{'ESWN'[code % 4]}1400{code:04d}"
        seat.nation = nation_for_gss(seat.gss_code)
    db.session.commit()
    registry_of(journey.application).clear_caches()
    html = journey.get(f"{URL}/choose-constituency").get_data(as_text=True)
    labels = re.findall(r'<optgroup label="([^"]+)">', html)
    assert labels == ["England", "Scotland", "Wales", "Northern Ireland"]


def test_choosing_nothing_from_the_list_says_so(journey):
    response = journey.get(f"{URL}/choose-constituency", query_string={"seat": "", "postcode": "x"})
    assert title(response).startswith("Error: ")
    assert "Choose your constituency from the list" in page_text(response)
    assert '<a href="#seat">' in response.get_data(as_text=True)


def test_a_made_up_seat_id_goes_back_to_the_list(journey, fake_postcodes):
    fake_postcodes.go_down()
    response = journey.get(f"{URL}/your-mp", query_string={"seat": "999999", "postcode": "N1 1AA"})
    assert title(response).startswith("Error: Choose your constituency")


def test_a_seat_without_a_postcode_asks_for_the_postcode(journey):
    response = journey.get(f"{URL}/your-mp", query_string={"seat": "1"})
    assert title(response).startswith("Error: ")
    assert "Enter your postcode" in page_text(response)


def test_this_is_not_my_mp_explains_and_offers_another_postcode(journey):
    response = find(journey, EXAMPLE_POSTCODES["england"], source="partner1")
    html = response.get_data(as_text=True)
    details = page_text(response).split("This is not my MP", 1)[1]
    assert "we take your MP from your postcode" in details
    assert "cannot send your letter to another MP" in details
    assert "choose-constituency" not in html  # no picking any MP
    link = unescape(re.search(r'<a href="([^"]*)">try another postcode</a>', html)[1])
    assert link == "/c/test-campaign?source=partner1#postcode"
    start = journey.get(link.split("#")[0])
    assert '<input type="hidden" name="source" value="partner1">' in start.get_data(as_text=True)


def test_vacant_seat_says_so_and_what_happens_next(journey):
    response = find(journey, EXAMPLE_POSTCODES["vacant_seat"])
    assert title(response).startswith("Runcorn and Helsby has no MP at the moment")
    text = page_text(response)
    assert "The seat is vacant" in text and "by-election" in text
    assert "/write" not in response.get_data(as_text=True)


def test_mp_without_email_gets_a_letter_to_post(journey):
    response = find(journey, EXAMPLE_POSTCODES["no_email_mp"])
    text = page_text(response)
    assert "Órfhlaith Begley does not publish an email address" in text
    assert "a letter to print and post to the House of Commons" in text
    assert "/write" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("postcode", "place"),
    [("JE1 1AA", "Jersey"), ("GY1 1AA", "Guernsey"), ("IM1 1AA", "the Isle of Man")],
)
def test_crown_dependencies_are_known_by_their_prefix(journey, fake_postcodes, postcode, place):
    """Even a postcode postcodes.io has never heard of (or while it is down) is recognised."""
    fake_postcodes.go_down()
    response = find(journey, postcode)
    assert_postcode_error(response, f"is in {place}", postcode)
    assert "not represented in the UK Parliament" in page_text(response)


def test_your_mp_page_shows_the_postcode_with_a_change_link_and_no_repeated_name(journey):
    response = find(journey, EXAMPLE_POSTCODES["england"], source="p1")
    html = response.get_data(as_text=True)
    assert "Your postcode" in html and "SW1A 1AA" in html
    link = re.search(r'<a href="([^"]+)">Change postcode</a>', html)
    assert link and "postcode=SW1A+1AA" in unescape(link[1]) and "source=p1" in unescape(link[1])
    assert '<dt class="summary-list__key">Name</dt>' not in html
    # Continue is a link that says it is a link (no role="button" it could not live up to).
    assert 'role="button"' not in html


def test_campaign_limited_to_nations(journey):
    set_campaign(target={"type": "constituency_mp", "nations": ["England", "Wales"]})
    response = find(journey, EXAMPLE_POSTCODES["scotland"])
    assert title(response).startswith("This campaign is not for your area")
    text = page_text(response)
    assert "people who live in England and Wales" in text
    assert "Aberdeen South, is in Scotland" in text
    assert find(journey, EXAMPLE_POSTCODES["wales"]).status_code == 200
    assert title(find(journey, EXAMPLE_POSTCODES["wales"])).startswith("Your MP is")


def test_source_code_is_kept(journey):
    page = journey.get(URL, query_string={"source": "ndcs-email"})
    assert '<input type="hidden" name="source" value="ndcs-email">' in page.get_data(as_text=True)
    response = find(journey, EXAMPLE_POSTCODES["england"], source="ndcs-email")
    assert "source=ndcs-email" in response.get_data(as_text=True)
    bad = journey.get(URL, query_string={"source": '"><script>'})
    assert "<script>" not in bad.get_data(as_text=True)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "sw1a1aa",
        "x" * 500,
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "Llanfairpwllgwyngyll 🏴",
        "ŚẂ1Ä 1ÅÄ",
        "\u0000",
        "SW1A\n1AA",
        "%00",
        "../../etc/passwd",
        "SW1A 1AA" * 3,
    ],
)
def test_any_input_gets_a_page_not_a_500(journey, typed):
    response = find(journey, typed)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_draft_campaigns_are_not_public(journey):
    set_campaign(status="draft")
    assert journey.get(URL).status_code == 404
    assert find(journey, "SW1A 1AA").status_code == 404


@pytest.mark.parametrize(("status", "message"), [("paused", "is paused"), ("closed", "has closed")])
def test_paused_and_closed_campaigns_say_so(journey, status, message):
    set_campaign(status=status)
    for response in (journey.get(URL), find(journey, "SW1A 1AA")):
        assert message in page_text(response)
        assert 'name="postcode"' not in response.get_data(as_text=True)


def test_a_campaign_past_its_closing_time_is_closed(journey):
    set_campaign(closes_at="2020-01-01T00:00:00")
    assert "has closed" in page_text(journey.get(URL))


def test_index_lists_live_campaigns(journey):
    assert "Save the test library" in page_text(journey.get("/"))
    set_campaign(status="draft")
    assert "There are no campaigns open" in page_text(journey.get("/"))


def test_unknown_pages_are_friendly(journey):
    response = journey.get("/c/no-such-campaign")
    assert response.status_code == 404
    assert "Page not found" in page_text(response)


def test_security_headers(journey):
    headers = journey.get(URL).headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_the_page_keeps_the_gss_code_it_learned(journey):
    """The lookup writes the seat's code in the request's transaction; the view commits it."""
    find(journey, EXAMPLE_POSTCODES["england"])
    with db.engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT gss_code, nation, region FROM constituencies "
                "WHERE name = 'Cities of London and Westminster'"
            )
        ).one()
    assert tuple(stored) == ("E14001172", "England", "London")


def test_a_known_postcode_makes_no_database_session(journey, monkeypatch):
    """The busy path reads memory only, and makes no session just to ask whether one has
    anything to commit (making, closing and removing it were about 6% of the page's Python).
    A code learned on the way is still committed: the test above."""
    find(journey, EXAMPLE_POSTCODES["england"])  # learns the seat's code; the page is kept
    made = []
    registry = db.session.registry
    make = registry.createfunc
    monkeypatch.setattr(registry, "createfunc", lambda: made.append(1) or make())
    response = find(journey, EXAMPLE_POSTCODES["england"])
    assert response.status_code == 200
    assert "Your MP is" in page_text(response)
    assert made == []
