"""The last defence against forged headers: every finished message is parsed back and refused
unless it is exactly what we set (issue 8 §1), and the supporter's emails carry none of their
values in a header but the To address. Also: quoted-printable lines of at most 76 characters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from action_app.models import MessageKind, OutboundMessage
from action_app.registry import registry_of
from action_app.services import emails
from tests.services.test_emails import campaign, letter

HTML_INJECTION = (
    "=?utf-8?q?A=0AMIME-Version:1.0=0AContent-Type:text/html=0A=0A"
    "<a_href=3Dhttp://e.vil>Click</a>?="
)


@pytest.fixture
def settings(app):
    return registry_of(app).settings


def mp_email(settings, **changes):
    return emails.build_mp_email(
        OutboundMessage(id=1, letter_id=7, kind=MessageKind.MP),
        letter(**changes),
        campaign(),
        settings,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"supporter_name": HTML_INJECTION},
        {"subject": "=?utf-8?q?Hello=0AX-Injected:_yes?="},
        {"supporter_name": "=?utf-8?q?Eve=0D=0ABcc:_victim@example.org?="},
    ],
)
def test_a_message_that_does_not_read_back_as_built_is_refused(settings, change):
    """As if the form's checks had been bypassed: the bytes themselves are checked."""
    with pytest.raises(emails.UnsafeMessage) as refused:
        emails.checked_bytes(mp_email(settings, **change))
    assert refused.value.reason.startswith("internal error: refused to send")


@pytest.mark.parametrize(
    "name",
    ["Órfhlaith Ní Bhriain", "Siân ap Dafydd", "محمد الأحمد", "Zoë 😀 Smith", "A" * 100],
)
def test_honest_messages_in_every_language_pass(settings, name):
    email = mp_email(settings, supporter_name=name, subject="Ein llyfrgell — ár leabharlann 📚")
    data = emails.checked_bytes(email)
    assert data.isascii() and b"\r\n" in data


@pytest.mark.parametrize(
    "build", [MessageKind.RECEIPT, MessageKind.CONFIRMATION, MessageKind.FAILURE_NOTICE]
)
def test_the_supporters_emails_carry_only_their_address(settings, build):
    written = letter(supporter_name=HTML_INJECTION.replace("=?", "").replace("?=", ""))
    message = OutboundMessage(id=2, letter_id=7, kind=build)
    if build == MessageKind.RECEIPT:
        email = emails.build_receipt(message, written, campaign(), settings)
    elif build == MessageKind.CONFIRMATION:
        email = emails.build_confirmation(message, written, campaign(), settings, "https://x/c")
    else:
        email = emails.build_failure_notice(message, written, campaign(), settings, "550 no")
    emails.checked_bytes(email)
    for name, value in email.items():
        if name == "To":
            assert str(value) == "orla@example.com"
        else:
            assert "MIME" not in str(value) or name in ("MIME-Version",)
            assert "e.vil" not in str(value) and "orla" not in str(value)


def test_quoted_printable_lines_are_at_most_76_characters(settings):
    email = mp_email(settings, personal_paragraph="Ŵ" * 1200 + " " + "ŵyn " * 300)
    data = emails.checked_bytes(email)
    body = data.split(b"\r\n\r\n", 1)[1]
    assert b"quoted-printable" in data
    assert max(len(line) for line in body.split(b"\r\n")) == 76


@pytest.mark.parametrize(
    ("reason", "says", "never"),
    [
        ("550 5.1.1 Mailbox unavailable", "Their mail server refused it, and answered: ", "our"),
        (
            "gave up after 8 attempts: 451 4.7.1 Greylisted",
            "after 8 attempts we stopped. It last answered: \u201c451 4.7.1 Greylisted\u201d",
            "our side",
        ),
        (
            "internal error: refused to send, its header values did not read back as set",
            "The problem was on our side, not theirs",
            "header",
        ),
        ("internal error (KeyError)", "on our side", "KeyError"),
        (None, "on our side", "None"),
    ],
)
def test_the_failure_wording_says_which_side_failed(reason, says, never):
    explanation = emails.failure_explanation(reason)
    assert says in explanation
    assert never not in explanation


# The read-back takes no parser for a value that is exactly what was set and has one reading
# only (emails._read_plainly). That is only sound if the parser would read such a value as it
# stands: these hold it to that, for values made to look like each kind and for any text.
PLAIN_NAMES = ["From", "Reply-To", "To", "Subject", "Message-ID", "Date", "Auto-Submitted"]
ATOM = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,12}", fullmatch=True)
LOOKALIKES = st.one_of(
    st.builds(
        lambda words, a, b: f"{' '.join(words)} <{a}@{b}>",
        st.lists(ATOM, min_size=1, max_size=4),
        ATOM,
        ATOM,
    ),
    st.builds(lambda a, b: f"<{a}@{b}>", ATOM, ATOM),
    st.builds(
        lambda a, b, c, d: f"{a}.{b}@{c}.{d}",
        ATOM,
        ATOM,
        st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True),
        st.from_regex(r"[a-z]{2,6}", fullmatch=True),
    ),
    st.builds(
        lambda day, n, month, y, h, m, s, zone: (
            f"{day}, {n:02d} {month} {y} {h:02d}:{m:02d}:{s:02d} {zone}"
        ),
        st.sampled_from(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]),
        st.integers(0, 39),
        st.sampled_from(["Jan", "Feb", "Jun", "Dec"]),
        st.integers(1000, 9999),
        st.integers(0, 29),
        st.integers(0, 59),
        st.integers(0, 69),
        st.from_regex(r"[+-][0-9]{4}", fullmatch=True),
    ),
    st.builds(
        format_datetime,
        st.datetimes(
            min_value=datetime(1000, 1, 1),
            timezones=st.sampled_from(
                [UTC, timezone(timedelta(hours=-5)), timezone(timedelta(minutes=330))]
            ),
        ),
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
    st.text(st.sampled_from(list(' "\\<>@,;:.()[]=?abc')), max_size=30),
)


@hypothesis_settings(max_examples=1500, deadline=None)
@given(st.sampled_from(PLAIN_NAMES), LOOKALIKES)
@example("From", "Sam Supporter <sam@example.org>")
@example("From", "Sam (comment) <sam@example.org>")
@example("From", "Sam <sam@example.org>, Eve <eve@example.org>")
@example("From", "sam@example.org (Eve)")
@example("Subject", "=?utf-8?q?Hello=0AX-Injected:_yes?=")
@example("Message-ID", "<a@b> (comment)")
@example("Date", "Wed, 31 Feb 2026 08:52:51 +0000")
def test_a_value_read_without_the_parser_is_what_the_parser_reads(name, value):
    if emails._read_plainly(name, value):
        read = emails.READ_BACK.header_fetch_parse(name, value)
        assert str(read) == value
        assert not read.defects


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1900, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(["", "wrong weekday", "day 32"]),
)
def test_a_date_is_read_plainly_only_when_it_is_one(moment, change):
    value = format_datetime(moment)
    if change == "wrong weekday":
        value = format_datetime(moment + timedelta(days=1))[:5] + value[5:]
    elif change == "day 32":
        value = value[:5] + "32" + value[7:]
    assert emails._read_plainly("Date", value) == (change == "")
    if change == "":
        assert str(emails.READ_BACK.header_fetch_parse("Date", value)) == value


def test_the_shortcut_is_taken_for_the_values_new_in_every_email(settings):
    """Otherwise it saves nothing: the supporter's plain name and address, the Message-ID, the
    Date and the subject read as they stand."""
    email = mp_email(settings, supporter_name="Sam Supporter", subject="Save our library")
    plain = {name.lower() for name, value in email.items() if emails._read_plainly(name, value)}
    assert {"message-id", "date", "subject"} <= plain
    assert any(name in plain for name in ("from", "reply-to"))


@pytest.mark.parametrize(
    ("set_as", "sent_as"),
    [
        (b"Sam Supporter <", b"Eve Supporter <"),  # a plain name, another on the wire
        (b"Subject: Libraries", b"Subject: Librarie5"),
        (b"Message-ID: <", b"Message-ID: <x"),
        (b"Subject: Libraries", b"Subject: Libraries\r\nBcc: evil@attacker.example"),
        (b"Subject: Libraries", b"Subject: =?utf-8?q?Libraries=0ABcc:_evil@attacker.example?="),
    ],
)
def test_bytes_that_differ_from_what_was_set_are_refused(settings, monkeypatch, set_as, sent_as):
    """As if the email package wrote something other than what was set: the bytes are read
    back, not trusted, however plain the value."""
    email = mp_email(settings, supporter_name="Sam Supporter", subject="Libraries")
    honest = emails.serialize(email)
    assert set_as in honest
    monkeypatch.setattr(emails, "serialize", lambda message: honest.replace(set_as, sent_as, 1))
    with pytest.raises(emails.UnsafeMessage):
        emails.checked_bytes(email)


def test_a_value_written_otherwise_but_read_as_set_is_read_by_the_parser(settings, monkeypatch):
    """An encoded word is never taken as it stands: the parser reads it, and here it reads as
    what was set, so the message goes."""
    email = mp_email(settings, supporter_name="Sam Supporter", subject="Libraries")
    honest = emails.serialize(email)
    other = honest.replace(b"Subject: Libraries", b"Subject: =?utf-8?q?Librar=69es?=", 1)
    monkeypatch.setattr(emails, "serialize", lambda message: other)
    assert emails.checked_bytes(email) == other
