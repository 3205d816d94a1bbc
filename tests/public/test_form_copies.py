"""``TypedForm.for_request``: the letter form copied from a blank one made once per app, rather than
built field by field, must be the form ``LetterForm()`` builds, for any input, and must never
carry anything from one request into another."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from action_app.public.forms import SendForm
from action_app.public.guarded_form import GuardedLetterForm as LetterForm

OPT_INS = [("deaf-children", "Deaf Children UK"), ("sense", "Sense")]
RAW_TOKEN = "a" * 40  # the CSRF secret a session holds (flask-wtf keeps a hex digest there)

VALUES = st.one_of(
    st.sampled_from(
        [
            "", " ", "Jane Smith", "jane@example.com", "Jane.Doe+mp@gmail.com", "not an email",
            "1 High Street", "Leeds", "Dear [mp name],", "Hello [your name]", "[your address]",
            "\x00", "a\r\nb", "\u202e", "y", "false", "deaf-children", "sense", "other",
            "A" * 250, "B" * 10_001, "Cymraeg ŵ ŷ", "=?utf-8?q?X?=", "tok_" + "x" * 30,
        ]
    ),
    st.text(max_size=40),
)  # fmt: skip
FIELDS = [
    "subject", "body_before", "personal_paragraph", "body_after", "name", "email",
    "address_line_1", "address_line_2", "town", "consent", "opt_ins", "form_token",
    "contact_me_by_fax_only", "opened", "unknown_field",
]  # fmt: skip
POSTS = st.lists(st.tuples(st.sampled_from(FIELDS), VALUES), max_size=24)
CHECKS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _signed(app) -> str:
    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    return serializer.dumps(RAW_TOKEN)


def _made(app, form_class, data, *, csrf: str | None, copied: bool, editable=True, **request):
    """The form for a POST of ``data`` (and ``csrf``), made one way or the other, validated."""
    if isinstance(data, dict):  # a (file, name) tuple is one value here, not two
        posted = {**data, **({"csrf_token": csrf} if csrf is not None else {})}
    else:
        posted = MultiDict(data)
        if csrf is not None:
            posted.add("csrf_token", csrf)
    with app.test_request_context(method="POST", data=posted, **request):
        from flask import session

        session["csrf_token"] = RAW_TOKEN
        options = {"editable": editable} if editable is not None else {}
        form = form_class.for_request(**options) if copied else form_class(**options)
        if hasattr(form, "opt_ins"):
            form.opt_ins.choices = OPT_INS
        valid = form.validate()
        html = {name: str(field()) for name, field in form._fields.items()}
        return valid, form.data, form.errors, html


@CHECKS
@given(post=POSTS, editable=st.booleans(), csrf=st.sampled_from(["good", "bad", None]))
def test_the_copied_letter_form_is_the_built_one_for_any_post(app, post, editable, csrf):
    token = {"good": _signed(app), "bad": "expired", None: None}[csrf]
    built = _made(app, LetterForm, post, csrf=token, copied=False, editable=editable)
    copied = _made(app, LetterForm, post, csrf=token, copied=True, editable=editable)
    assert copied == built


def test_a_valid_letter_is_valid_on_the_copy_with_its_cleaned_data(app):
    post = {
        "subject": "  Hello [your name] ", "body_before": "Dear MP,\r\nPlease.", "name": "Jane",
        "email": "Jane.Doe@Example.COM", "address_line_1": "1 High St", "town": "Leeds",
        "consent": "y", "opt_ins": "sense", "form_token": "tok_" + "x" * 30,
    }  # fmt: skip
    valid, data, errors, _ = _made(app, LetterForm, post, csrf=_signed(app), copied=True)
    assert valid and not errors
    assert data["subject"] == "Hello [your name]" and data["body_before"] == "Dear MP,\nPlease."
    assert data["email"] == "Jane.Doe@example.com" and data["opt_ins"] == ["sense"]


def test_nothing_one_request_typed_reaches_the_next(app):
    """A supporter's typing, errors and ticks stay with their request: the next request's copy,
    and the blank it is copied from, hold none of it."""
    first = {
        "name": "Alice Private", "email": "alice@example.org", "consent": "y",
        "opt_ins": "sense", "address_line_1": "\x00", "personal_paragraph": "my secret",
    }  # fmt: skip
    _made(app, LetterForm, first, csrf=_signed(app), copied=True)
    later = _made(app, LetterForm, {"town": "Leeds"}, csrf=_signed(app), copied=True)
    fresh = _made(app, LetterForm, {"town": "Leeds"}, csrf=_signed(app), copied=False)
    assert later == fresh
    everything = repr(later)
    assert "Alice" not in everything and "my secret" not in everything
    with app.test_request_context():
        blanks = [b for k, b in app.extensions["blank_forms"].items() if k[0] is LetterForm]
        assert blanks
        for blank in blanks:
            assert all(not f.errors for f in blank) and blank.name.data is None
            assert blank.consent.data is False and not blank.form_errors


def test_a_file_sent_as_a_field_is_refused_on_the_copy_too(app):
    def post():
        return {"name": (io.BytesIO(b"x"), "name.txt"), "town": "Leeds"}

    multipart = {"content_type": "multipart/form-data"}
    built = _made(app, LetterForm, post(), csrf=_signed(app), copied=False, **multipart)
    copied = _made(app, LetterForm, post(), csrf=_signed(app), copied=True, **multipart)
    assert copied == built and not copied[0]
    assert copied[2].get("name") == ["Full name must be typed in, not sent as a file"]


@pytest.mark.parametrize("csrf", ["good", "bad", None])
def test_the_send_button_form_checks_its_token_on_the_copy(app, csrf):
    token = {"good": _signed(app), "bad": "expired", None: None}[csrf]
    built = _made(app, SendForm, {}, csrf=token, copied=False, editable=None)
    copied = _made(app, SendForm, {}, csrf=token, copied=True, editable=None)
    assert copied == built and copied[0] is (csrf == "good")


def test_a_changed_csrf_setting_makes_a_new_blank(app, monkeypatch):
    """A token signed an hour ago is fine under the usual limit and refused under a one-second
    one: each setting has its blank, made with it."""
    import time

    old = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 3600)
    token = old.dumps(RAW_TOKEN)
    monkeypatch.setattr(time, "time", real_time)
    assert _made(app, SendForm, {}, csrf=token, copied=True, editable=None)[0]
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 1)
    assert not _made(app, SendForm, {}, csrf=token, copied=True, editable=None)[0]


def test_inside_a_partners_frame_the_copy_has_no_session_token_to_check(app, monkeypatch):
    """In a frame no cookie comes, so the form has no CSRF field (framing.py's signed token is
    the secret there); outside, the same POST without a token is refused."""
    from action_app.public import forms

    post = {"town": "Leeds"}
    monkeypatch.setattr(forms, "framed", lambda: True)
    framed_built = _made(app, SendForm, post, csrf=None, copied=False, editable=None)
    framed_copy = _made(app, SendForm, post, csrf=None, copied=True, editable=None)
    assert framed_copy == framed_built and framed_copy[0] and "csrf_token" not in framed_copy[3]
    monkeypatch.setattr(forms, "framed", lambda: False)
    assert not _made(app, SendForm, post, csrf=None, copied=True, editable=None)[0]


def test_a_valid_continue_signs_no_page_token_and_a_shown_form_carries_one_that_works(
    app, monkeypatch
):
    """The CSRF token a page carries is signed when the form is shown: a valid POST, answered
    by a redirect, signs none; the page shown again after an error carries a token that is
    accepted."""
    import flask_wtf.csrf

    signed = []
    real = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(
        flask_wtf.csrf, "generate_csrf", lambda *a, **k: signed.append(1) or real(*a, **k)
    )
    post = {
        "subject": "Hello", "body_before": "Dear MP", "name": "Jane", "email": "j@example.org",
        "address_line_1": "1 High St", "town": "Leeds", "consent": "y",
    }  # fmt: skip
    with app.test_request_context(method="POST", data={**post, "csrf_token": _signed(app)}):
        from flask import session

        session["csrf_token"] = RAW_TOKEN
        form = LetterForm.for_request(editable=True)
        assert form.validate() and signed == []
    with app.test_request_context(method="POST", data={**post, "csrf_token": "stale"}):
        session["csrf_token"] = RAW_TOKEN
        form = LetterForm.for_request(editable=True)
        assert not form.validate() and "csrf_token" in form.errors
        shown = form.csrf_token._value()
        assert signed == [1] and f'value="{shown}"' in str(form.csrf_token())
    again = _made(app, LetterForm, post, csrf=shown, copied=True)
    assert again[0] and not again[2]
