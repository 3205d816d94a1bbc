"""Property-based fuzzing (hypothesis) of every public form, the confirm and "I did not send this"
links and the JSON API.

Whatever is typed, posted or put in a URL, the answer is a page or a redirect we meant: never a
500, never an unhandled exception in the log, never a header we did not set, and never a
redirect off the site. Each test prints how many inputs it tried; together they try well over
5,000 (FUZZ_EXAMPLES per test).
"""

from __future__ import annotations

import io
import logging
import os
from collections import Counter
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from action_app.extensions import db
from action_app.models import Letter
from action_app.services.owner import letter_for_not_me, not_me_token
from tests.conftest import prepare_journey
from tests.html import post_form
from tests.journey import SUPPORTER, open_letter, send, write_letter

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "750"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLUG = "test-campaign"

# Every header any public answer may carry; anything else came from somewhere we did not mean.
ALLOWED_HEADERS = {
    "content-type", "content-length", "location", "set-cookie", "vary", "cache-control",
    "retry-after", "access-control-allow-origin", "content-security-policy",
    "x-content-type-options", "referrer-policy", "x-frame-options", "permissions-policy",
    "strict-transport-security", "etag", "last-modified",
    "allow",  # Werkzeug's, on OPTIONS and on 405 for a real route: RFC 9110 requires it there
}  # fmt: skip

# Text as an attacker would type it: any characters (controls, NUL, bidi overrides, emoji),
# plus the shapes that have broken things before.
NASTY = st.sampled_from(
    [
        "", " ", "\x00", "\r\n", "\u202e", "{{ 7*7 }}", "{% raw %}", "<script>alert(1)</script>",
        "=?utf-8?q?A=0AX-Injected:_yes?=", "' OR 1=1 --", "../../etc/passwd", "%0d%0aSet-Cookie:x",
        "SW1A 1AA", "sw1a1aa", "ZZ9 9ZZ", "A" * 5000, "😀" * 50, "\ufeff", "[your name]",
        "jane@example.com", "a@b", "-1", "99999999999999999999", "NaN", "null",
    ]
)  # fmt: skip
# Lone surrogates are left out: no browser can send them (they cannot be encoded as UTF-8).
ANY_TEXT = st.one_of(
    NASTY,
    st.text(max_size=300),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
)
PATH_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), min_size=1, max_size=80
)

pytestmark = pytest.mark.slow

tried: Counter = Counter()  # requests, by what was fuzzed
examples: list[int] = []  # one per generated input


@pytest.fixture
def site(app, fake_members, caplog):
    prepare_journey(app, organisations=CAMPAIGN_ORGS)
    caplog.set_level(logging.ERROR)
    return app


CAMPAIGN_ORGS = [{"slug": "friends", "name": "Friends of the Library", "statement": "Email me."}]


def check(response, caplog, what: str) -> None:
    """The answer is one we meant."""
    tried[what] += 1
    assert response.status_code < 500, (what, response.status_code)
    names = {name.lower() for name, _ in response.headers}
    assert names <= ALLOWED_HEADERS, (what, names - ALLOWED_HEADERS)
    for value in response.headers.values():
        assert "\n" not in value and "\r" not in value, (what, value)
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        assert parts.netloc in ("", "localhost", "write.example.org"), (what, location)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, (what, errors[0].getMessage())


def report(what: str, extra: str = "") -> None:
    count = tried.total() if what == "in all" else tried[what]
    print(
        f"\nfuzz {what}: {count} requests, none a 500 or with a stray header{extra} "
        f"({len(examples)} generated inputs so far)"
    )


def test_fuzz_the_postcode_form(site, caplog):
    client = site.test_client()

    @FUZZ
    @given(postcode=ANY_TEXT, source=ANY_TEXT, seat=st.one_of(st.none(), ANY_TEXT, st.integers()))
    def run(postcode, source, seat):
        examples.append(1)
        query = {"postcode": postcode, "source": source}
        if seat is not None:
            query["seat"] = seat
        check(client.get(f"/c/{SLUG}/your-mp", query_string=query), caplog, "postcode form")

    run()
    report("postcode form")


def test_fuzz_the_constituency_list_and_campaign_page(site, caplog):
    client = site.test_client()

    @FUZZ
    @given(
        postcode=ANY_TEXT,
        source=ANY_TEXT,
        seat=ANY_TEXT,
        slug=PATH_TEXT,
        url=st.sampled_from([f"/c/{SLUG}/choose-constituency", f"/c/{SLUG}", None]),
    )
    def run(postcode, source, seat, slug, url):
        examples.append(1)
        query = {"postcode": postcode, "source": source, "seat": seat}
        what = "choose/campaign pages"
        check(client.get(url or f"/c/{slug}", query_string=query), caplog, what)

    run()
    report("choose/campaign pages")


LETTER_FIELDS = (
    "subject", "body_before", "personal_paragraph", "body_after", "name", "email",
    "address_line_1", "address_line_2", "town", "form_token",
)  # fmt: skip


def test_fuzz_the_letter_form(site, caplog):
    client = site.test_client()
    page = open_letter(client)
    form = post_form(page)
    action = form["action"].replace("&amp;", "&")

    @FUZZ
    @given(
        # Up to three fields get odd values and the rest stay good, so that many letters get
        # past the checks and are saved and shown on the check page.
        values=st.dictionaries(st.sampled_from(LETTER_FIELDS), ANY_TEXT, max_size=3),
        consent=st.sampled_from([["y"], ["y"], ["y"], [], ["", "y"], ["no"]]),
        opt_ins=st.lists(st.one_of(st.just("friends"), ANY_TEXT), max_size=3),
        keep_csrf=st.sampled_from([True, True, True, False]),
    )
    def run(values, consent, opt_ins, keep_csrf):
        examples.append(1)
        fields = {**form["fields"], **SUPPORTER, **values, "consent": consent, "opt_ins": opt_ins}
        if not keep_csrf:
            fields["csrf_token"] = values.get("subject", "forged")
        response = client.post(action, data=fields)
        check(response, caplog, "letter form")
        if response.status_code == 302 and "/check/" in response.headers["Location"]:
            saved["letters"] += 1
            check(client.get(response.headers["Location"]), caplog, "letter form")

    saved: Counter = Counter()
    run()
    report("letter form", f"; {saved['letters']} letters got past the checks and saved")


def test_fuzz_file_uploads_in_the_letter_form(site, caplog):
    client = site.test_client()
    form = post_form(open_letter(client))
    action = form["action"].replace("&amp;", "&")

    @settings(FUZZ, max_examples=max(10, FUZZ_EXAMPLES // 10), phases=[Phase.generate])
    @given(field=st.sampled_from(LETTER_FIELDS), content=st.binary(max_size=200))
    def run(field, content):
        fields = {**form["fields"], **SUPPORTER, field: (io.BytesIO(content), "letter.pdf")}
        check(client.post(action, data=fields), caplog, "file uploads")

    run()
    report("file uploads")


def test_a_subject_holding_the_address_is_refused_not_a_500(site, caplog):
    client = site.test_client()
    form = post_form(open_letter(client))
    fields = {**form["fields"], **SUPPORTER, "subject": "Hello [your address]"}
    response = client.post(form["action"].replace("&amp;", "&"), data=fields)
    check(response, caplog, "pinned")
    # Refused on the letter page itself, with what was typed kept (issue 8 §1).
    assert response.status_code == 200
    assert "The subject cannot include your address" in response.get_data(as_text=True)


def test_fuzz_the_send_button_and_the_write_query(site, caplog):
    client = site.test_client()
    page = open_letter(client)
    form = post_form(page)
    written = client.post(
        form["action"].replace("&amp;", "&"), data={**form["fields"], **SUPPORTER}
    )
    check_url = written.headers["Location"]

    @FUZZ
    @given(
        token=ANY_TEXT,
        public_id=PATH_TEXT,
        query=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=4),
        which=st.integers(0, 3),
    )
    def run(token, public_id, query, which):
        examples.append(1)
        requests = [
            lambda: client.post(check_url, data={"csrf_token": token}),
            lambda: client.post(f"/c/{SLUG}/check/{public_id}", data={"csrf_token": token}),
            lambda: client.get(f"/c/{SLUG}/sent/{public_id}"),
            lambda: client.get(f"/c/{SLUG}/write", query_string=query),
        ]
        check(requests[which](), caplog, "send button and write page")

    run()
    db.session.rollback()
    report("send button and write page")


def test_fuzz_the_confirm_link(site, caplog):
    prepare_journey(site, require_confirmation=True)
    client = site.test_client()

    @FUZZ
    @given(token=PATH_TEXT, csrf=st.one_of(st.none(), ANY_TEXT))
    def run(token, csrf):
        examples.append(1)
        if csrf is None:
            response = client.get(f"/c/{SLUG}/confirm/{token}")
        else:
            response = client.post(f"/c/{SLUG}/confirm/{token}", data={"csrf_token": csrf})
        check(response, caplog, "confirm link")

    run()
    report("confirm link")


def tamper(token: str, edits: list[tuple[int, str]]) -> str:
    """A valid token with characters replaced, inserted or cut (an edit's text may be empty)."""
    chars = list(token)
    for position, text in edits:
        at = position % (len(chars) + 1)
        chars[at : at + 1] = list(text)
    return "".join(chars)


def test_fuzz_the_not_me_link(site, caplog):
    """The "I did not send this" link (in every receipt): made-up tokens, valid ones edited,
    the form's fields and every method. Only a valid token with its form token acts."""
    writer = site.test_client()
    send(writer, write_letter(writer))
    letter = db.session.scalar(db.select(Letter))
    valid = not_me_token(letter)
    client = site.test_client()
    page = client.get(f"/c/{SLUG}/not-me/{valid}")
    check(page, caplog, "not-me link")
    csrf = post_form(page)["fields"]["csrf_token"]
    methods = st.sampled_from(["GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"])

    @FUZZ
    @given(
        token=st.one_of(
            PATH_TEXT,
            st.just(valid),
            st.lists(st.tuples(st.integers(0, 200), st.text(max_size=3)), min_size=1, max_size=3)
            .map(lambda edits: tamper(valid, edits))
            .filter(lambda token: token and "/" not in token),
        ),
        method=methods,
        fields=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3),
        form_token=st.sampled_from(["good", "good", "none", "fuzzed"]),
        fuzzed=ANY_TEXT,
        query=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=2),
    )
    def run(token, method, fields, form_token, fuzzed, query):
        examples.append(1)
        data = dict(fields)
        if form_token != "none":
            data["csrf_token"] = csrf if form_token == "good" else fuzzed
        url = f"/c/{SLUG}/not-me/{quote(token, safe='')}"
        response = client.open(url, method=method, data=data, query_string=query)
        check(response, caplog, "not-me link")
        if token == valid and method in ("GET", "POST"):
            assert response.status_code == 200, (method, response.status_code)
        elif response.status_code == 200 and method in ("GET", "POST"):
            # An edited token that still opens the page names the same letter (base64 may
            # ignore a changed padding bit); the signature lets nothing else through.
            assert letter_for_not_me(token, letter.campaign_id).public_id == letter.public_id

    run()
    db.session.rollback()
    db.session.expire_all()
    # The one letter was withdrawn by the good presses, never by anything else.
    assert db.session.scalar(db.select(Letter.status)) in ("confirmed", "withdrawn")
    report("not-me link")


def test_fuzz_the_json_api(site, caplog):
    client = site.test_client()

    @FUZZ
    @given(
        slug=st.one_of(st.just(SLUG), PATH_TEXT),
        query=st.dictionaries(ANY_TEXT, ANY_TEXT, max_size=3),
    )
    def run(slug, query):
        examples.append(1)
        response = client.get(f"/api/v1/campaigns/{slug}/count", query_string=query)
        check(response, caplog, "JSON API")
        if response.status_code == 200:
            assert response.is_json and isinstance(response.get_json(), dict)

    run()
    report("JSON API")


def test_fuzz_any_path_and_method(site, caplog):
    client = site.test_client()
    methods = st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])

    @FUZZ
    @given(
        method=methods,
        path=st.lists(PATH_TEXT, min_size=1, max_size=4),
        body=ANY_TEXT,
        under_campaign=st.booleans(),
    )
    def run(method, path, body, under_campaign):
        examples.append(1)
        # Percent-encoded as a browser would send them; the app sees the decoded text.
        segments = [quote(segment, safe="") for segment in path]
        url = "/" + "/".join(segments) if under_campaign else f"/c/{SLUG}/" + segments[0]
        check(client.open(url, method=method, data=body), caplog, "any path")

    run()
    report("any path")


# --- what the fuzzing found, pinned ---------------------------------------------------------


def test_a_nul_in_a_campaign_address_is_not_found_not_a_500(site, caplog):
    client = site.test_client()
    for path in ("/api/v1/campaigns/%00/count", "/c/a%00b", "/c/a%00b/your-mp"):
        response = client.get(path)
        check(response, caplog, "pinned")
        assert response.status_code == 404, path


def test_an_edited_form_token_is_replaced_not_a_500(site, caplog):
    client = site.test_client()
    form = post_form(open_letter(client))
    fields = {**form["fields"], **SUPPORTER, "form_token": "A" * 500}
    response = client.post(form["action"].replace("&amp;", "&"), data=fields)
    check(response, caplog, "pinned")
    assert "/check/" in response.headers["Location"]


def test_the_fuzzing_tried_enough():
    """Runs last in this module: at least 5,000 generated inputs in all (with the default)."""
    if len([what for what in tried if what not in ("file uploads", "pinned")]) < 8:
        pytest.skip("only some of the fuzz tests ran")
    report("in all")
    assert len(examples) >= 8 * FUZZ_EXAMPLES * 0.95  # hypothesis may stop a little early
    if FUZZ_EXAMPLES >= 750:
        assert len(examples) >= 5000
