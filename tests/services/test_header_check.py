"""The last defence against forged headers: every finished message is parsed back and refused
unless it is exactly what we set (issue 8 §1), and the supporter's emails carry none of their
values in a header but the To address. Also: quoted-printable lines of at most 76 characters."""

from __future__ import annotations

import pytest

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
