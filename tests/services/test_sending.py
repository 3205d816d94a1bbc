"""Claiming, retrying and sweeping, step by step (the worker tests run the whole thing)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services import retention, sending
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.submissions import find_letter, submit_draft
from tests.conftest import prepare_journey
from tests.drafts import recipients, write_draft


@pytest.fixture
def letter(any_app, fake_members):
    """One submitted letter with its pending message."""
    campaign = campaign_snapshot(prepare_journey(any_app))
    public_id = write_draft(campaign, recipients(campaign)[0], "t")
    saved = find_letter(public_id, campaign.id)
    submit_draft(saved, require_confirmation=False)
    db.session.commit()
    return saved


def message_of(saved) -> OutboundMessage:
    return db.session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.letter_id == saved.id)
        .execution_options(populate_existing=True)
    )


def test_a_claim_is_taken_once(letter):
    assert len(sending.claim_due_messages(letter.id)) == 1
    db.session.commit()
    assert sending.claim_due_messages(letter.id) == []


def test_an_abandoned_claim_comes_back_after_the_lease(letter, any_app):
    sending.claim_due_messages(letter.id)
    message = message_of(letter)
    lease = any_app.config["SETTINGS"].send_lease_seconds
    message.claimed_at = utcnow() - timedelta(seconds=lease + 1)
    db.session.commit()
    assert sending.claim_due_messages(letter.id) == [message.id]
    assert message_of(letter).attempts == 2


def test_the_sweep_leaves_fresh_queued_letters_alone(letter):
    assert sending.find_due_letters() == []


def test_the_sweep_queues_what_the_web_could_not(letter):
    sending.forget_dispatch(letter.id)
    message = message_of(letter)
    message.created_at = utcnow() - timedelta(seconds=sending.NEVER_QUEUED_GRACE_SECONDS + 1)
    db.session.commit()
    assert sending.find_due_letters() == [letter.id]
    db.session.commit()
    assert sending.find_due_letters() == []  # marked as dispatched


def test_the_sweep_requeues_a_lost_task_only_when_the_queue_is_short(letter, any_app):
    waited = any_app.config["SETTINGS"].sweep_pending_after_seconds
    message = message_of(letter)
    message.dispatched_at = utcnow() - timedelta(seconds=waited + 1)
    db.session.commit()
    assert sending.find_due_letters(queue_is_short=False) == []
    assert sending.find_due_letters(queue_is_short=True) == [letter.id]


def test_a_transient_failure_waits_for_its_retry_time(letter, any_app, monkeypatch):
    settings = any_app.config["SETTINGS"]
    sending.claim_due_messages(letter.id)
    from action_app.mail import TransientMailError

    class Down:
        def send(self, message):
            raise TransientMailError("421 try later")

    monkeypatch.setattr(registry_of(any_app), "mail_transport", Down())
    outcome = sending.deliver_claimed(message_of(letter).id)
    db.session.commit()
    assert outcome.result == "retry"
    message = message_of(letter)
    assert message.status == "pending" and message.last_error == "421 try later"
    delay = (message.next_attempt_at - utcnow()).total_seconds()
    assert 0 < delay <= settings.send_retry_base_seconds * 1.5
    assert sending.find_due_letters() == []
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sending.find_due_letters() == [letter.id]


def test_giving_up_after_the_last_attempt_tells_the_supporter(letter, any_app, monkeypatch):
    from action_app.mail import TransientMailError

    class Down:
        def send(self, message):
            raise TransientMailError("timed out")

    monkeypatch.setattr(registry_of(any_app), "mail_transport", Down())
    message = message_of(letter)
    message.attempts = any_app.config["SETTINGS"].send_max_attempts - 1
    db.session.commit()
    sending.claim_due_messages(letter.id)
    assert sending.deliver_claimed(message.id).result == "failed"
    db.session.commit()
    kinds = {m.kind: m.status for m in db.session.scalars(select(OutboundMessage))}
    assert kinds == {"mp": "failed", "failure_notice": "sending"}  # claimed, sent next
    assert "gave up after 8 attempts: timed out" in message_of(letter).last_error


def test_old_drafts_are_deleted(letter):
    draft = Letter(
        **{c: getattr(letter, c) for c in ("campaign_id", "recipient_key", "recipient_name",
                                           "recipient_email", "supporter_name", "supporter_email",
                                           "email_key", "address_line_1", "town", "postcode",
                                           "subject", "body_before")},
        public_id="old", form_token="old", status="draft",
        updated_at=utcnow() - timedelta(hours=25),
    )  # fmt: skip
    db.session.add(draft)
    db.session.commit()
    assert retention.delete_expired_letters() == {"drafts": 1, "unconfirmed": 0}
    db.session.commit()
    assert db.session.scalar(select(Letter.public_id).where(Letter.public_id == "old")) is None


def test_a_send_the_database_could_not_record_is_recorded_when_it_returns(
    letter, any_app, monkeypatch
):
    """The mail server took the letter, then the database went away: the worker waits for it
    and marks the letter sent, rather than letting the lease run out and sending it again."""
    from sqlalchemy.exc import OperationalError

    sent = []

    class Relay:
        def send(self, message):
            sent.append(message.message_id)

    monkeypatch.setattr(registry_of(any_app), "mail_transport", Relay())
    sending.claim_due_messages(letter.id)
    db.session.commit()
    real_sent = sending._sent
    failures = iter([OperationalError("UPDATE", {}, Exception("server closed the connection"))])

    def database_goes_away(message, action):
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_sent(message, action)

    monkeypatch.setattr(sending, "_sent", database_goes_away)
    with pytest.raises(sending.SentNotRecorded) as caught:
        sending.deliver_claimed(message_of(letter).id)
    outcome = sending.record_sent_when_database_returns(caught.value.message_id, patience=5)
    assert outcome.result == "sent" and outcome.follow_up is not None  # the receipt is next
    assert message_of(letter).status == "sent"
    assert len(sent) == 1
    # Nothing is left for the sweep to send again.
    assert sending.find_due_letters() == []
    assert sending.claim_due_messages(letter.id) == []


def test_a_second_letter_from_an_address_to_its_mp_is_refused_by_the_index(any_app, fake_members):
    """The one-letter-per-supporter index refuses Send's UPDATE of a second letter from the
    same address to the same MP (a race the NOT EXISTS of the usual statement cannot see):
    submit_draft says AlreadyWritten, and after the rollback the first letter stands alone."""
    from action_app.services.submissions import AlreadyWritten

    campaign = campaign_snapshot(prepare_journey(any_app))
    recipient = recipients(campaign)[0]
    first = find_letter(write_draft(campaign, recipient, "first-token-0001"), campaign.id)
    second = find_letter(write_draft(campaign, recipient, "second-token-001"), campaign.id)
    db.session.commit()
    assert submit_draft(first, require_confirmation=False)
    db.session.commit()
    with pytest.raises(AlreadyWritten):
        submit_draft(second, require_confirmation=False)  # without if_first: the index decides
    db.session.rollback()
    statuses = db.session.scalars(select(Letter.status).order_by(Letter.id)).all()
    assert statuses == ["confirmed", "draft"]
    assert db.session.scalar(select(OutboundMessage.letter_id)) == first.id
