"""Issue 12: a broken relay never burns a letter. Relay faults pause sending without using
attempts and are logged at ERROR once per interval; answers about the recipient count; a letter
that gives up tells its supporter at once; and a message that fails the header check is failed
with its reason."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.mail import PermanentMailError, RelayError, TransientMailError
from action_app.models import MessageKind, MessageStatus, OutboundMessage
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services import relay, sending
from action_app.services.sending import DeliveryResult
from tests.services.test_sending import message_of


class Recording:
    """A transport that answers with the errors given, in turn, then accepts."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.sent = []

    def send(self, mail):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(mail)

    def close(self):
        pass


@pytest.fixture
def letter(any_app, fake_members):
    """One submitted letter with its pending message (as in test_sending)."""
    from action_app.services.campaign_cache import campaign_snapshot
    from action_app.services.submissions import find_letter, submit_draft
    from tests.conftest import prepare_journey
    from tests.drafts import recipients, write_draft

    campaign = campaign_snapshot(prepare_journey(any_app))
    public_id = write_draft(campaign, recipients(campaign)[0], "t")
    saved = find_letter(public_id, campaign.id)
    submit_draft(saved, require_confirmation=False)
    db.session.commit()
    return saved


@pytest.fixture
def transport(any_app, monkeypatch):
    def install(*errors):
        fake = Recording(*errors)
        monkeypatch.setattr(registry_of(any_app), "mail_transport", fake)
        return fake

    return install


def deliver(letter):
    ids = sending.claim_due_messages(letter.id)
    db.session.commit()
    outcome = sending.deliver_claimed(ids[0])
    db.session.commit()
    return outcome


def test_a_relay_failure_pauses_sending_without_using_an_attempt(
    letter,
    transport,
    any_app,
    caplog,
):
    transport(RelayError("TLS with the relay failed: CERTIFICATE_VERIFY_FAILED"))
    with caplog.at_level(logging.INFO, logger="action_app"):
        outcome = deliver(letter)
    assert outcome.result == DeliveryResult.PAUSED
    message = message_of(letter)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
    state = relay.relay_state()
    assert state.status == relay.RelayStatus.PAUSED and "CERTIFICATE" in state.reason
    wait = (message.next_attempt_at - utcnow()).total_seconds()
    assert 0 < wait <= registry_of(any_app).settings.relay_retry_seconds
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "sending is paused" in errors[0].getMessage()


def test_while_paused_no_letter_is_tried_and_the_error_is_logged_once(
    letter,
    transport,
    any_app,
    caplog,
):
    fake = transport(*[RelayError("could not connect to the relay: refused")] * 10)
    with caplog.at_level(logging.INFO, logger="action_app"):
        for _ in range(5):
            message = message_of(letter)
            message.next_attempt_at = utcnow()  # due again at once, as many letters would be
            db.session.commit()
            deliver(letter)
        state = relay.relay_state()
        state.until = utcnow().isoformat()  # the pause is over: the next letter tries again
        relay._save(state)
        db.session.commit()
        message_of(letter).next_attempt_at = utcnow()
        db.session.commit()
        deliver(letter)
    assert len(fake.errors) == 8  # tried once, then once more after the pause: 2 used
    assert message_of(letter).attempts == 0
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1  # once per interval, not once per letter or per try
    print(f"\nrelay pause: 6 deliveries, 2 relay tries, {len(errors)} ERROR line")


def test_the_relay_working_again_clears_the_pause_and_sends(letter, transport):
    fake = transport(RelayError("could not connect to the relay: refused"))
    deliver(letter)
    state = relay.relay_state()
    state.until = utcnow().isoformat()
    relay._save(state)
    message_of(letter).next_attempt_at = utcnow()
    db.session.commit()
    assert deliver(letter).result == DeliveryResult.SENT
    assert len(fake.sent) == 1 and relay.relay_state().status == relay.RelayStatus.OK
    assert message_of(letter).attempts == 1


def test_an_answer_about_the_recipient_uses_an_attempt(letter, transport):
    transport(TransientMailError("451 4.7.1 Greylisted"))
    assert deliver(letter).result == DeliveryResult.RETRY
    assert message_of(letter).attempts == 1


def test_the_last_attempt_tells_the_supporter_at_once(letter, transport, any_app):
    transport(TransientMailError("451 4.7.1 Greylisted"))
    message = message_of(letter)
    message.attempts = registry_of(any_app).settings.send_max_attempts - 1
    db.session.commit()
    outcome = deliver(letter)
    assert outcome.result == DeliveryResult.FAILED
    assert outcome.follow_up is not None and outcome.follow_up.kind == MessageKind.FAILURE_NOTICE
    notice = sending.deliver_follow_up(outcome.follow_up)  # the same worker, straight after
    db.session.commit()
    assert notice.result == DeliveryResult.SENT
    kinds = {m.kind: m.status for m in db.session.scalars(select(OutboundMessage))}
    assert kinds == {
        MessageKind.MP: MessageStatus.FAILED,
        MessageKind.FAILURE_NOTICE: MessageStatus.SENT,
    }


def test_the_notice_quotes_the_mps_server_only_about_the_recipient(letter, any_app, transport):
    fake = transport(PermanentMailError("550 5.1.1 Mailbox unavailable"))
    outcome = deliver(letter)
    sending.deliver_follow_up(outcome.follow_up)
    db.session.commit()
    text = _notice_text(fake)
    assert "Their mail server refused it, and answered: \u201c550 5.1.1 Mailbox unavailable" in text


def test_a_message_that_fails_the_header_check_is_failed_with_its_reason(
    letter,
    transport,
):
    fake = transport()
    # As if the form were bypassed: a control character reads back as a line break. (An
    # encoded word, "=?utf-8?q?A=0AX-Injected:_yes?=", is now written as the literal text it
    # is, in an encoded word of its own: test_written_headers reads it back so.)
    letter.supporter_name = "A\x0bX-Injected: yes"
    db.session.commit()
    outcome = deliver(letter)
    assert outcome.result == DeliveryResult.FAILED
    message = message_of(letter)
    assert message.last_error.startswith("internal error: refused to send")
    assert fake.sent == []
    sending.deliver_follow_up(outcome.follow_up)
    db.session.commit()
    (notice,) = fake.sent
    assert b"X-Injected" not in notice.data.split(b"\r\n\r\n")[0]
    assert "The problem was on our side, not theirs" in _notice_text(fake)


def _notice_text(fake) -> str:
    from email import message_from_bytes, policy

    return message_from_bytes(fake.sent[-1].data, policy=policy.default).get_content()


def test_healthz_and_outbox_status_report_the_relay(letter, transport, any_app):
    client = any_app.test_client()
    assert client.get("/healthz").get_json()["mail_relay"]["status"] == "unknown"
    transport(RelayError("the relay refused our login (check MAIL_USERNAME and MAIL_PASSWORD)"))
    deliver(letter)
    health = client.get("/healthz")
    assert health.status_code == 200  # the web still takes letters
    relay_json = health.get_json()["mail_relay"]
    assert relay_json["status"] == "paused" and "refused our login" in relay_json["reason"]
    result = any_app.test_cli_runner().invoke(args=["outbox", "status"])
    assert result.exit_code == 1
    assert "mp               pending    1" in result.output
    assert "Mail relay: paused since" in result.output and "refused our login" in result.output
