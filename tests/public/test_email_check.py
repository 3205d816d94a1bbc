"""The letter form's email check: its shortcut for plain addresses gives email_validator's own
answer, and everything else is asked of email_validator."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from action_app.public import forms
from action_app.public.forms import checked_email


def _library(value: str) -> str | None:
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError:
        return None
    return checked.ascii_email or checked.normalized


def _ours(value: str) -> str | None:
    try:
        return checked_email(value)
    except EmailNotValidError:
        return None


_label = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", fullmatch=True)
_near_plain = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join([*labels, tld])}",
    st.from_regex(r"[A-Za-z0-9_+.-]{1,12}", fullmatch=True)
    | st.sampled_from(["postmaster", "Abuse", "a..b", ".a", "a.", "x" * 65, "info"]),
    st.lists(_label | st.sampled_from(["ab--c", "xn--bcher-kva", "-a", "a-", ""]), max_size=3),
    st.from_regex(r"[A-Za-z]{2,6}", fullmatch=True)
    | st.sampled_from(["test", "localhost", "onion", "local", "invalid", "arpa", "c0m", "x"]),
)


@settings(max_examples=1500, deadline=None)
@given(_near_plain | st.text(max_size=40) | st.from_regex(forms._PLAIN_EMAIL, fullmatch=True))
@example("Name.Surname+tag@Example.CO.UK")
@example("x" * 64 + "@" + "y" * 63 + "." + "z" * 63 + ".com")
@example("a@b.c")
@example("a@test.com")
@example("a@x.test")
@example("WWW@example.org")
@example("a@ab--cd.org")
@example("a@1.2.3.com")
def test_the_check_gives_email_validators_answer(value):
    assert _ours(value) == _library(value)


@pytest.mark.parametrize(
    "typed, recorded",
    [
        ("jo.bloggs@example.org", "jo.bloggs@example.org"),
        ("Jo.Bloggs+mp@Mail.Example.CO.UK", "Jo.Bloggs+mp@mail.example.co.uk"),
        ("a_b-c@sub-domain.example.com", "a_b-c@sub-domain.example.com"),
    ],
)
def test_plain_addresses_are_answered_without_asking_the_library(monkeypatch, typed, recorded):
    def asked(*args, **kwargs):
        raise AssertionError("email_validator was asked")

    monkeypatch.setattr(forms, "validate_email", asked)
    assert checked_email(typed) == recorded


@pytest.mark.parametrize(
    "typed",
    ["postmaster@example.org", "a@example.local", "a@xn--bcher-kva.example", "a@b", "a b@c.org"],
)
def test_addresses_the_library_treats_specially_are_asked_of_it(monkeypatch, typed):
    asked = []

    def library(value, **options):
        asked.append(value)
        raise EmailNotValidError("no")

    monkeypatch.setattr(forms, "validate_email", library)
    with pytest.raises(EmailNotValidError):
        checked_email(typed)
    assert asked == [typed]
