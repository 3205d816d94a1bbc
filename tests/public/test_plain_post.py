"""A letter form's POST read by the form's rules without making the form (plain_post.py): held
to WTForms' own verdict and data on arbitrary POSTs, and used by Continue."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from flask import session
from flask_wtf.csrf import generate_csrf
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from action_app.public import plain_post
from action_app.public.forms import SendForm
from action_app.public.guarded_form import GuardedLetterForm
from tests.fakes import EXAMPLE_POSTCODES
from tests.journey import fill, open_letter, post_form, write_letter

CHOICES = [("friends", "Friends of the Library"), ("wildlife", "Wildlife Trust")]

# Values near every rule's edge: empty, spaces, lengths either side of a limit, characters a
# header or a letter refuses, the tokens a subject may or may not carry, odd addresses.
words = st.one_of(
    st.sampled_from(
        ["", " ", "  Sam Taylor  ", "Sam", "123", "Dear MP,\r\nThank you.", "a\x00b", "a\rb",
         "tab\there", "line\u2028break", "£ and — and ŵ", "[your name]", "About [your name]",
         "[your address]", "=?utf-8?q?x?=", "x" * 60, "x" * 61, "x" * 100, "x" * 101,
         "x" * 200, "x" * 201, "n" * 3000, "n" * 3001]
    ),
    st.text(max_size=40),
)  # fmt: skip
emails = st.one_of(
    st.sampled_from(
        ["sam@example.org", "Sam@Example.ORG", " sam@example.org ", "sam@localhost",
         "postmaster@example.org", "sam@ex--ample.org", "sam@example", "not an address",
         "sam@@example.org", "s" * 64 + "@example.org", "s" * 65 + "@example.org",
         "sam+mp@example.co.uk", "sam@exämple.org", "sam@example.org\r\nBcc: x@y.z", ""]
    ),
    st.emails(),
    st.text(max_size=30),
)  # fmt: skip
ticks = st.sampled_from(["y", "", "false", "0", "on", "False"])
opt_ins = st.lists(st.sampled_from(["friends", "wildlife", "unknown", ""]), max_size=3)
tokens = st.sampled_from(["tok_" + "a" * 28, "short", "bad token!", "x" * 70, ""])
FIELDS = ("subject", "body_before", "personal_paragraph", "body_after", "name", "address_line_1",
          "address_line_2", "town", "contact_me_by_fax_only", "opened")  # fmt: skip


VALID = {
    "subject": "About [your name]", "body_before": "Dear MP,\r\nPlease.",
    "personal_paragraph": "My words.", "body_after": "", "name": "Sam Taylor",
    "address_line_1": "1 High Street", "address_line_2": "", "town": "Leeds",
    "contact_me_by_fax_only": "", "opened": "", "email": "sam@example.org", "consent": "y",
    "form_token": "tok_" + "a" * 28,
}  # fmt: skip
EDGES = {**dict.fromkeys(FIELDS, words), "email": emails, "consent": ticks, "form_token": tokens}


@st.composite
def posts(draw):
    """A POST to the letter form: a valid letter with some fields changed to values near a
    rule's edge, and any field may be missing or sent twice (the second value another)."""
    post = MultiDict()
    changed = draw(st.sets(st.sampled_from(sorted(VALID)), max_size=3))
    for name, value in VALID.items():
        first = draw(EDGES[name]) if name in changed else value
        for n in range(draw(st.sampled_from([1] * 8 + [0, 2]))):
            post.add(name, first if n == 0 else draw(EDGES[name]))
    for choice in draw(opt_ins):
        post.add("opt_ins", choice)
    return post, draw(st.sampled_from(["good", "good", "good", "wrong", "missing", "twice"]))


@contextmanager
def _posted(app, path: str, post: MultiDict, csrf: str):
    """A POST of ``post`` from a browser whose session holds a CSRF token, with its token
    sent as ``csrf`` says: good, wrong, missing, or twice (the good one first)."""
    with app.test_request_context("/"):
        token, raw = generate_csrf(), session["csrf_token"]
    sent = post.copy()
    if csrf != "missing":
        sent.add("csrf_token", token if csrf != "wrong" else token[:-2] + "xx")
    if csrf == "twice":
        sent.add("csrf_token", "another")
    with app.test_request_context(path, method="POST", data=sent):
        session["csrf_token"] = raw
        yield


def _compare(app, post: MultiDict, csrf: str, editable: bool):
    with _posted(app, "/c/x/write", post, csrf):
        read = plain_post.accepted(GuardedLetterForm, {"opt_ins": CHOICES}, editable=editable)
        form = GuardedLetterForm.for_request(editable=editable)
        form.opt_ins.choices = CHOICES
        valid = form.validate()
        return read, valid, form


@examples(
    max_examples=700, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)  # fmt: skip
@given(post=posts(), editable=st.booleans())
def test_read_plainly_exactly_when_the_form_validates_and_with_its_data(sqlite_app, post, editable):
    """Whatever is posted: read (not None) if and only if the form validates it, and then
    every field's data is the form's (the email as the form rewrites it, filters applied)."""
    post, csrf = post
    read, valid, form = _compare(sqlite_app, post, csrf, editable)
    assert (read is not None) == valid, form.errors
    if read is not None:
        for name, field in form._fields.items():
            assert getattr(read, name).data == field.data, name
        assert read.editable is editable


def _valid_post() -> MultiDict:
    return MultiDict(
        {
            "subject": "About [your name]",
            "body_before": "Dear MP,\r\nPlease.",
            "personal_paragraph": "My words.",
            "name": "Sam Taylor",
            "email": "Sam@Example.ORG",
            "address_line_1": "1 High Street",
            "town": "Leeds",
            "consent": "y",
            "opt_ins": "friends",
            "form_token": "tok_" + "a" * 28,
        }
    )


@pytest.mark.parametrize("editable", [True, False])
def test_the_usual_post_is_read_with_the_forms_data(sqlite_app, editable):
    read, valid, form = _compare(sqlite_app, _valid_post(), "good", editable)
    assert valid and read is not None
    assert read.email.data == "Sam@example.org" == form.email.data
    assert read.body_before.data == "Dear MP,\nPlease."
    assert read.opt_ins.data == ["friends"] and read.consent.data is True


def test_an_unread_post_leaves_it_to_the_form(sqlite_app):
    """Optional's clearing of earlier errors, an unknown choice, a bad CSRF token, a file: each
    is either read exactly as the form reads it or left to the form."""
    post = _valid_post()
    post["opt_ins"] = "unknown"
    assert _compare(sqlite_app, post, "good", True)[:2] == (None, False)
    assert _compare(sqlite_app, _valid_post(), "wrong", True)[:2] == (None, False)
    post = _valid_post()
    post["address_line_2"] = "   "  # Optional: no error, as the form says
    read, valid, _ = _compare(sqlite_app, post, "good", True)
    assert valid and read is not None and read.address_line_2.data == ""


def test_continue_reads_the_usual_letter_without_making_the_form(journey, monkeypatch):
    """The answer a supporter gets is the same; the form is made only when a rule fails."""
    pages = [open_letter(journey, EXAMPLE_POSTCODES["england"]) for _ in range(2)]
    made = []
    real = GuardedLetterForm.for_request.__func__
    monkeypatch.setattr(
        GuardedLetterForm,
        "for_request",
        classmethod(lambda cls, **kw: made.append(cls) or real(cls, **kw)),
    )
    action, fields = fill(pages[0])
    answer = journey.post(action, data=fields)
    assert answer.status_code == 302 and "/check/" in answer.headers["Location"]
    assert made == []
    action, fields = fill(pages[1], name="")
    refused = journey.post(action, data=fields)
    assert refused.status_code == 200 and "Enter your full name" in refused.get_data(as_text=True)
    assert made == [GuardedLetterForm]


@pytest.mark.parametrize("csrf", ["good", "wrong", "missing", "twice"])
def test_the_send_button_is_read_exactly_when_its_form_validates(sqlite_app, csrf):
    """The check page's form is its CSRF token alone."""
    with _posted(sqlite_app, "/c/x/check/y", MultiDict(), csrf):
        read = plain_post.accepted(SendForm, {})
        valid = SendForm.for_request().validate()
    assert (read is not None) == valid == (csrf in ("good", "twice"))  # the first is read


def test_send_reads_the_button_without_making_its_form(journey, monkeypatch):
    written = write_letter(journey)
    check = post_form(journey.get(written.headers["Location"]))
    made = []
    real = SendForm.for_request.__func__
    monkeypatch.setattr(
        SendForm, "for_request", classmethod(lambda cls, **kw: made.append(cls) or real(cls, **kw))
    )
    sent = journey.post(check["action"], data=check["fields"])
    assert sent.status_code == 302 and "/sent/" in sent.headers["Location"]
    assert made == []
    expired = journey.post(check["action"], data={"csrf_token": "expired"})
    assert expired.status_code == 302  # sent already: to the sent page, as before


def test_a_failed_csrf_check_is_logged_once(journey, caplog):
    """The plain reading's check holds its log record back: the form's check logs it."""
    action, fields = fill(open_letter(journey, EXAMPLE_POSTCODES["england"]))
    fields["csrf_token"] = "forged"
    with caplog.at_level(logging.INFO, logger="flask_wtf.csrf"):
        refused = journey.post(action, data=fields)
    assert refused.status_code in (200, 400)
    assert [r.getMessage() for r in caplog.records if r.name == "flask_wtf.csrf"] == [
        "The CSRF token is invalid."
    ]
    # Outside the plain reading, Flask-WTF logs as it always does.
    with caplog.at_level(logging.INFO, logger="flask_wtf.csrf"):
        caplog.clear()
        with _posted(journey.application, "/c/x/check/y", MultiDict(), "wrong"):
            assert not SendForm.for_request().validate()
    assert len([r for r in caplog.records if r.name == "flask_wtf.csrf"]) == 1
