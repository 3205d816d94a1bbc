"""Issue 12: letters through a real Debian Postfix (STARTTLS with a private CA, AUTH through
Dovecot, catch-all Maildir) arrive byte for byte as the check page showed them; a wrong CA or
password pauses sending without using attempts; a relay outage loses and doubles nothing.

Each test prints its figures (sent, arrived, duplicated, bytes compared) for the closing note.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections import Counter
from email import message_from_bytes, policy
from html import unescape

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.mail import SmtpTransport
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, OutboundMessage
from action_app.registry import registry_of
from action_app.services import relay, sending
from tests.fakes import EXAMPLE_POSTCODES
from tests.journey import send, write_letter
from workers.tasks import send_letter_task

AWKWARD = (
    "From the day my son was born, the library has been his second home.\n"
    ".\n"
    "..\n"
    ". A line that starts with a dot.\n"
    "From \n"
    "Trailing spaces here   \n"
    ">From a quoted line\n"
    "\tA tab, then the end."
)
LETTERS = {
    "english": ("Sam Taylor", "england", AWKWARD),
    "welsh": (
        "Siân ap Dafydd",
        "wales",
        "Mae'r llyfrgell yn bwysig i'n cymuned. Ŵyn, ŷd, ffordd — diolch yn fawr.\n"
        "From y dechrau, roedd hi'n le i bawb.",
    ),
    "irish": (
        "Órfhlaith Ní Bhriain",
        "northern_ireland",
        "Is áit iontach í an leabharlann. Go raibh míle maith agat.\n..\nSlán go fóill.  ",
    ),
    "arabic": (
        "محمد الأحمد",
        "scotland",
        "المكتبة مهمة جداً لأطفالنا. نرجو منكم إنقاذها.\nFrom الشارع الرئيسي\n.",
    ),
    "emoji": (
        "Zoë Brown 🌈",
        "england",
        "Books 📚 changed my life 🙏🏽. Please save it! 👨‍👩‍👧\n" + "😀" * 300,
    ),
    "near_maximum": (
        "Alex Long",
        "wales",
        # 3,000 characters, the most the form takes: an unbroken 1,200-character line first.
        ("ŵ" * 1200 + "\n" + "From the library, with love. " * 62)[:2999] + ".",
    ),
}


class Recording:
    """The real SMTP transport, keeping each mail's exact bytes as sent."""

    def __init__(self, inner):
        self.inner = inner
        self.sent = []

    def send(self, mail):
        self.inner.send(mail)
        self.sent.append(mail)

    def close(self):
        self.inner.close()


@pytest.fixture
def recording(postfix_app, monkeypatch):
    wrapper = Recording(registry_of(postfix_app).mail_transport)
    monkeypatch.setattr(registry_of(postfix_app), "mail_transport", wrapper)
    return wrapper


@pytest.fixture
def journey(postfix_app, fake_members):
    from tests.conftest import prepare_journey

    prepare_journey(postfix_app)
    return postfix_app.test_client()


def deliver_due(rounds: int = 1) -> None:
    """What the worker's sweep and tasks do, in this process."""
    for _ in range(rounds):
        for letter_id in sending.find_due_letters():
            db.session.commit()
            send_letter_task.run(letter_id)
        db.session.commit()


def check_page_body(client, location: str) -> str:
    page = client.get(location).get_data(as_text=True)
    return unescape(re.search(r'<div class="letter">(.*?)</div>', page, re.S)[1])


def delivered_by_id(relay_server) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for raw in relay_server.delivered():
        message = message_from_bytes(raw, policy=policy.default)
        found.setdefault(str(message["Message-ID"]), []).append(raw)
    return found


def split(raw: bytes) -> tuple[bytes, bytes]:
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    return head, body


@pytest.mark.slow
def test_letters_in_every_language_arrive_byte_for_byte(journey, recording, postfix_relay):
    shown = {}
    for n, (key, (name, place, words)) in enumerate(LETTERS.items()):
        written = write_letter(
            journey,
            postcode=EXAMPLE_POSTCODES[place],
            name=name,
            email=f"supporter{n}@example.com",
            personal_paragraph=words,
        )
        assert written.status_code == 302, key
        shown[key] = check_page_body(journey, written.headers["Location"])
        assert send(journey, written).status_code == 302
    for letter_id in db.session.scalars(
        select(Letter.id).where(Letter.status == LetterStatus.CONFIRMED)
    ):
        send_letter_task.run(letter_id)
    expected = 2 * len(LETTERS)  # each letter and its receipt
    postfix_relay.wait_for(expected, timeout=60)
    arrived = delivered_by_id(postfix_relay)
    compared = 0
    for mail in recording.sent:
        (raw,) = arrived[mail.message_id]
        head, body = split(raw)
        sent_head, sent_body = split(mail.data)
        assert body == sent_body  # the body, byte for byte (Maildir stores LF line ends)
        for line in sent_head.split(b"\n"):  # our header lines, untouched
            assert line in head.split(b"\n"), line
        compared += len(body) + len(sent_head)
    mp_mails = {mail.message_id: mail for mail in recording.sent if "-mp-" in mail.message_id}
    for key, text in shown.items():
        matches = [
            message_from_bytes(arrived[mid][0], policy=policy.default).get_content()
            for mid in mp_mails
        ]
        assert text + "\n" in matches or text in matches, key
        assert ">From" not in text.replace(">From a quoted", "")
    duplicated = sum(len(v) - 1 for v in arrived.values())
    assert len(recording.sent) == expected and duplicated == 0
    print(
        f"\nPostfix languages: sent {len(recording.sent)}, arrived {len(arrived)}, "
        f"duplicated {duplicated}, bytes compared {compared}"
    )


def _one_letter(journey):
    written = write_letter(journey, email="one@example.com", personal_paragraph=AWKWARD)
    send(journey, written)
    return db.session.scalar(select(Letter.id))


@pytest.mark.slow
def test_postfix_offers_pipelining_and_gets_each_envelope_in_one_write(
    journey, postfix_app, postfix_relay, monkeypatch, request
):
    """Postfix offers PIPELINING: MAIL, RCPT and DATA go in one write, then the message, and
    the letter and its receipt arrive byte for byte."""
    transport = SmtpTransport(registry_of(postfix_app).settings.mail, timeout=5)
    request.addfinalizer(transport.close)
    connection = transport._connect()
    connection.ehlo_or_helo_if_needed()
    assert connection.has_extn("pipelining")
    writes = []
    write = connection.send
    connection.send = lambda data: writes.append(data) or write(data)
    recording = Recording(transport)
    monkeypatch.setattr(registry_of(postfix_app), "mail_transport", recording)
    send_letter_task.run(_one_letter(journey))
    postfix_relay.wait_for(2, timeout=30)
    arrived = delivered_by_id(postfix_relay)
    assert len(recording.sent) == 2 and len(arrived) == 2
    for mail in recording.sent:
        (raw,) = arrived[mail.message_id]
        assert split(raw)[1] == split(mail.data)[1]
    envelopes = [w for w in writes if isinstance(w, str) and w.lower().startswith("mail from:")]
    assert len(envelopes) == 2
    assert all(w.lower().count("\r\n") == 3 and w.lower().endswith("data\r\n") for w in envelopes)


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["wrong_ca", "wrong_password", "no_ca_file", "no_login"])
def test_a_misconfigured_relay_pauses_sending_without_using_attempts(
    journey, postfix_app, postfix_relay, monkeypatch, fault, caplog, request
):
    settings = registry_of(postfix_app).settings
    broken = {
        "wrong_ca": {"ca_file": postfix_relay.other_ca_file},
        "wrong_password": {"password": "not-the-password"},
        "no_ca_file": {"ca_file": None},  # the system's authorities do not know the test CA
        "no_login": {"username": None},  # Postfix answers RCPT with "Relay access denied"
    }[fault]
    transport = SmtpTransport(dataclasses.replace(settings.mail, **broken), timeout=5)
    monkeypatch.setattr(registry_of(postfix_app), "mail_transport", transport)
    letter_id = _one_letter(journey)
    caplog.set_level(logging.INFO, logger="action_app")
    request.addfinalizer(transport.close)
    for _ in range(3):
        send_letter_task.run(letter_id)
        message = db.session.scalar(select(OutboundMessage))
        message.next_attempt_at = message.next_attempt_at.replace(year=2000)  # due again now
        state = relay.relay_state()
        state.until = state.until.replace(state.until[:4], "2000")  # and the pause is over
        relay._save(state)
        db.session.commit()
    message = db.session.scalar(select(OutboundMessage))
    state = relay.relay_state()
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
    assert state.status == relay.RelayStatus.PAUSED and state.failures == 3
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    word = {
        "wrong_password": "refused our login",
        "no_login": "Relay access denied",
    }.get(fault, "CERTIFICATE_VERIFY_FAILED")
    assert len(errors) == 1 and word in errors[0]  # once per interval, saying what is wrong
    assert postfix_relay.delivered() == []
    transport.close()
    # Put right, the same letter goes at once, and only once.
    working = SmtpTransport(settings.mail, timeout=5)
    request.addfinalizer(working.close)
    monkeypatch.setattr(registry_of(postfix_app), "mail_transport", working)
    send_letter_task.run(letter_id)
    arrived = postfix_relay.wait_for(2, timeout=30)
    assert len(arrived) == 2
    assert relay.relay_state().status == relay.RelayStatus.OK
    assert (
        db.session.scalar(
            select(OutboundMessage.attempts).where(OutboundMessage.kind == MessageKind.MP)
        )
        == 1
    )
    print(f"\nPostfix {fault}: 3 tries paused, attempts used 0; then arrived {len(arrived)}")


@pytest.mark.slow
def test_relay_stopped_for_30_seconds_during_20_letters(journey, recording, postfix_relay):
    for n in range(20):
        written = write_letter(
            journey, email=f"outage{n}@example.com", personal_paragraph=f"Letter {n}.\n{AWKWARD}"
        )
        send(journey, written)
    ids = list(db.session.scalars(select(Letter.id).order_by(Letter.id)))
    for letter_id in ids[:5]:  # the first few go before the outage
        send_letter_task.run(letter_id)
    postfix_relay.stop_postfix()
    stopped = time.monotonic()
    try:
        for letter_id in ids[5:]:
            send_letter_task.run(letter_id)
        while time.monotonic() - stopped < 30:
            deliver_due()
            time.sleep(1)
        waiting = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.kind == MessageKind.MP)
        )
        paused = [m for m in waiting if m.status == MessageStatus.PENDING]
        assert len(paused) == 15 and all(m.attempts == 0 for m in paused)
    finally:
        postfix_relay.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(postfix_relay.delivered()) < 40:
        deliver_due()
        time.sleep(0.5)
    arrived = delivered_by_id(postfix_relay)
    duplicated = sum(len(v) - 1 for v in arrived.values())
    statuses = Counter(db.session.scalars(select(OutboundMessage.status)))
    mp_attempts = Counter(
        db.session.scalars(
            select(OutboundMessage.attempts).where(OutboundMessage.kind == MessageKind.MP)
        )
    )
    print(
        f"\nPostfix outage (30 s, 20 letters): sent {len(recording.sent)}, "
        f"arrived {len(arrived)}, duplicated {duplicated}, statuses {dict(statuses)}, "
        f"MP attempts {dict(mp_attempts)}"
    )
    assert len(arrived) == 40 and duplicated == 0
    assert statuses == {MessageStatus.SENT: 40}
    assert mp_attempts == {1: 20}
