"""Sending: claim a letter's due messages atomically, send each, record what happened.

Two workers can never both hold a message: a claim is one UPDATE … WHERE the row is still due …
RETURNING, which PostgreSQL and SQLite both apply atomically. A claim is a lease: if the worker
dies, the row is due again once ``send_lease_seconds`` have passed. Retry times live in the row,
never in the broker; ``find_due_letters`` is how the periodic sweep finds them.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError

from action_app.config import Settings
from action_app.extensions import db
from action_app.i18n import in_language, language_of
from action_app.mail import (
    MailTransport,
    Outgoing,
    PermanentMailError,
    RelayError,
    TransientMailError,
)
from action_app.models import (
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    SeatCheck,
)
from action_app.models.letter import TEST_SOURCE
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services import emails, notices, owner, pacing, relay, seat_check
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign_by_id, localized
from action_app.services.participation import record_letter_sent
from action_app.services.submissions import confirmation_token
from action_app.stats.counting import (
    count_copy_failed,
    count_copy_sent,
    count_letter_failed,
    count_letter_sent,
)
from action_app.stats.replies import letter_delivered

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
# The messages that carry the letter itself: to the MP, and the copy to a fixed recipient.
LETTER_KINDS = (MessageKind.MP, MessageKind.COPY)
# A message the web could not queue is picked up by the next sweep after this grace, which
# only covers the moment between the web's commit and its dispatch.
NEVER_QUEUED_GRACE_SECONDS = 5


class DeliveryResult(StrEnum):
    """What became of one attempt to send a message."""

    SENT = "sent"
    RETRY = "retry"  # back to pending, with a later next_attempt_at
    PAUSED = "paused"  # the relay cannot be used: back to pending, the attempt given back
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer claimed by this worker (or gone): nothing was done
    TEST_SENT = "test_sent"  # a staff test send went: not counted, no receipt
    HELD = "held"  # a chosen seat that is not the postcode's: kept for the supporter or a person


@dataclass
class Outcome:
    message_id: int
    kind: str
    result: DeliveryResult
    campaign_id: int | None = None
    follow_up: OutboundMessage | None = None  # claimed for this worker to send next


def _settings() -> Settings:
    return current_registry().settings


def _transport() -> MailTransport:
    return current_registry().mail_transport


def claim_due_messages(letter_id: int) -> list[int]:
    """Claim every message of this letter that is due, atomically; returns their ids in order."""
    settings = _settings()
    now = utcnow()
    stale = now - timedelta(seconds=settings.send_lease_seconds)
    # A letter over its campaign's pace is moved to its slot first, so it is not due now.
    pacing.defer_if_paced(letter_id, now)
    statement = (
        update(OutboundMessage)
        .where(OutboundMessage.letter_id == letter_id)
        .where(
            or_(
                and_(
                    OutboundMessage.status == MessageStatus.PENDING,
                    OutboundMessage.next_attempt_at <= now,
                ),
                and_(
                    OutboundMessage.status == MessageStatus.SENDING,
                    OutboundMessage.claimed_at < stale,
                ),
            )
        )
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=OutboundMessage.attempts + 1)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(db.session.execute(statement).scalars())


def deliver_claimed(message_id: int) -> Outcome:
    """Send one message this worker has claimed, by id, and record the outcome (flushes; the
    caller commits). A message no longer claimed (another worker's lease took it over) is
    skipped."""
    row = db.session.execute(
        select(OutboundMessage, Letter)
        .join(Letter, Letter.id == OutboundMessage.letter_id)
        .where(OutboundMessage.id == message_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None or row.OutboundMessage.status != MessageStatus.SENDING:
        kind = row.OutboundMessage.kind if row else "?"
        return Outcome(message_id, kind, DeliveryResult.SKIPPED)
    return deliver_follow_up(row.OutboundMessage)


def deliver_follow_up(message: OutboundMessage) -> Outcome:
    """Send a message already loaded and claimed (the ``follow_up`` of an earlier outcome, so
    it is not read again) and record the outcome (flushes; the caller commits). A letter
    delivered to its MP creates the supporter's receipt already claimed, as the outcome's
    ``follow_up``, so the same worker sends it straight after the commit."""
    letter = message.letter
    message_id = message.id
    campaign = cached_campaign_by_id(letter.campaign_id)
    outcome = Outcome(message_id, message.kind, DeliveryResult.SENT, letter.campaign_id)
    state = relay.relay_state()
    paused_until = state.paused_until(utcnow())
    if paused_until is not None:  # the relay failed a moment ago: wait, without trying
        _wait_for_relay(message, paused_until)
        outcome.result = DeliveryResult.PAUSED
        db.session.flush()
        return outcome
    if message.kind == MessageKind.COPY and letter.status != LetterStatus.CONFIRMED:
        # Its letter was held (the seat check) or stopped while the copy waited: the copy
        # waits with it, or goes nowhere.
        held = letter.status == LetterStatus.HELD
        message.status = MessageStatus.HELD if held else MessageStatus.CANCELLED
        outcome.result = DeliveryResult.HELD if held else DeliveryResult.SKIPPED
        db.session.flush()
        return outcome
    if message.kind in LETTER_KINDS and letter.seat_check == SeatCheck.PENDING:
        # A seat chosen from the list: checked against the postcode before it is sent.
        verdict, outcome.follow_up = seat_check.gate(message, letter, campaign)
        if verdict != "send":
            outcome.result = DeliveryResult(verdict)
            db.session.flush()
            return outcome
    try:
        mail = _build(message, letter, campaign)
        _transport().send(mail)
    except RelayError as exc:
        _wait_for_relay(message, relay.record_relay_failure(exc.reason, state))
        outcome.result = DeliveryResult.PAUSED
    except TransientMailError as exc:
        outcome.result, outcome.follow_up = _retry_later(message, letter, exc.reason)
    except (PermanentMailError, emails.UnsafeMessage) as exc:
        outcome.result = DeliveryResult.FAILED
        outcome.follow_up = _fail(message, letter, exc.reason)
    except Exception as exc:  # a bug must not leave the row claimed for ever
        log.exception("Could not build or send message %s", message_id)
        outcome.result = DeliveryResult.FAILED
        reason = f"{emails.INTERNAL_ERROR} ({type(exc).__name__})"
        outcome.follow_up = _fail(message, letter, reason)
    else:
        try:
            relay.record_relay_ok(state)
            outcome.follow_up = _sent(message, letter)
            db.session.flush()
        except DATABASE_GONE as exc:
            raise SentNotRecorded(message_id) from exc
        if letter.source == TEST_SOURCE:
            outcome.result = DeliveryResult.TEST_SENT  # so the task does not count it either
        return outcome
    db.session.flush()
    return outcome


def _wait_for_relay(message: OutboundMessage, until) -> None:
    """Back to pending until the relay may be tried again; the claim's attempt is given back,
    because the letter was never offered to anyone who could answer about it."""
    message.status = MessageStatus.PENDING
    message.attempts = max(0, message.attempts - 1)
    message.next_attempt_at = until
    message.dispatched_at = None
    message.claimed_at = None


class SentNotRecorded(Exception):
    """The mail server took the message, then the database went away before it was marked
    sent. Sending it again would send it twice: ``record_sent_when_database_returns``."""

    def __init__(self, message_id: int):
        super().__init__(f"message {message_id} was sent but not recorded")
        self.message_id = message_id


DATABASE_GONE = (OperationalError, InterfaceError)


def record_sent_when_database_returns(message_id: int, patience: float = 120.0) -> Outcome:
    """Mark a message that the mail server accepted as sent, waiting for the database to come
    back (a restart, a failover) for up to ``patience`` seconds; commits. Without this, the
    message's lease would run out and it would be sent a second time."""
    deadline = time.monotonic() + patience
    delay = 0.25
    while True:
        try:
            db.session.rollback()
            message = db.session.get(OutboundMessage, message_id, populate_existing=True)
            if message is None or message.status != MessageStatus.SENDING:  # committed after all
                return Outcome(message_id, message.kind if message else "?", DeliveryResult.SENT)
            outcome = Outcome(
                message_id, message.kind, DeliveryResult.SENT, message.letter.campaign_id
            )
            outcome.follow_up = _sent(message, message.letter)
            db.session.commit()
            log.warning("Message %s: recorded as sent once the database was back", message_id)
            return outcome
        except DATABASE_GONE:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _follow_up(letter: Letter, kind: MessageKind) -> OutboundMessage:
    """A message this worker has claimed already (if it dies first, the lease runs out)."""
    message = OutboundMessage(
        letter=letter, kind=kind, status=MessageStatus.SENDING, claimed_at=utcnow(), attempts=1
    )
    db.session.add(message)
    db.session.flush()
    return message


def _build(message: OutboundMessage, letter: Letter, campaign: CampaignSnapshot) -> Outgoing:
    """The message's checked bytes and envelope (raises emails.UnsafeMessage if the check fails),
    in the language the letter was written in, with its campaign's text in that language."""
    settings = _settings()
    with in_language(letter.language):
        email = _build_email(message, letter, localized(campaign, letter.language), settings)
    return emails.outgoing(email, settings.mail.from_address)


def _build_email(
    message: OutboundMessage, letter: Letter, campaign: CampaignSnapshot, settings: Settings
):
    if message.kind == MessageKind.MP:
        return emails.build_mp_email(message, letter, campaign, settings)
    if message.kind == MessageKind.COPY:
        return emails.build_copy_email(message, letter, campaign, settings)
    if message.kind == MessageKind.RECEIPT:
        not_me = owner.not_me_url(letter, campaign.slug)
        return emails.build_receipt(message, letter, campaign, settings, not_me_url=not_me)
    if message.kind in notices.KINDS:
        return notices.build(message, letter, campaign, settings)
    if message.kind == MessageKind.CONFIRMATION:
        # PUBLIC_BASE_URL, never a Host header: workers have no request to take one from.
        link = f"{settings.public_base_url}/c/{campaign.slug}/confirm/{confirmation_token(letter)}"
        if language_of(letter.language) != "en":
            link += f"?lang={letter.language}"
        return emails.build_confirmation(message, letter, campaign, settings, link)
    if message.kind == MessageKind.FAILURE_NOTICE:
        failed = letter.mp_message()
        reason = failed.last_error if failed is not None else "no reason given"
        return emails.build_failure_notice(message, letter, campaign, settings, reason or "")
    raise ValueError(f"unknown message kind {message.kind!r}")


def _sent(message: OutboundMessage, letter: Letter) -> OutboundMessage | None:
    message.status = MessageStatus.SENT
    message.sent_at = utcnow()
    message.last_error = None
    if letter.source == TEST_SOURCE:
        return None  # a staff test send is neither counted nor receipted
    if message.kind == MessageKind.COPY:
        count_copy_sent(letter, message.sent_at)  # counted apart: the letters are the MPs'
        return None
    if message.kind != MessageKind.MP:
        return None
    record_letter_sent(letter)
    count_letter_sent(letter, message.sent_at)
    letter_delivered(letter.id, message.sent_at)
    return _follow_up(letter, MessageKind.RECEIPT)


def _retry_later(
    message: OutboundMessage, letter: Letter, reason: str
) -> tuple[DeliveryResult, OutboundMessage | None]:
    """Try again later, with backoff; after the last attempt, fail, and hand on the failure
    notice so it goes to the supporter at once."""
    settings = _settings()
    if message.attempts >= settings.send_max_attempts:
        notice = _fail(message, letter, f"{emails.GAVE_UP} {message.attempts} attempts: {reason}")
        return DeliveryResult.FAILED, notice
    base = settings.send_retry_base_seconds * (2 ** (message.attempts - 1))
    delay = min(base * random.uniform(0.5, 1.5), MAX_BACKOFF_SECONDS)
    message.status = MessageStatus.PENDING
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    message.dispatched_at = None
    message.last_error = reason
    log.info("Message %s: %s; retrying in %.1fs", message.id, reason, delay)
    return DeliveryResult.RETRY, None


def _fail(message: OutboundMessage, letter: Letter, reason: str) -> OutboundMessage | None:
    message.status = MessageStatus.FAILED
    message.last_error = reason
    log.warning("Message %s (%s) failed: %s", message.id, message.kind, reason)
    if message.kind == MessageKind.COPY and letter.source != TEST_SOURCE:
        count_copy_failed(letter)  # staff see it, with the answer, in the outbox
    if message.kind != MessageKind.MP:
        return None
    count_letter_failed(letter)
    return _follow_up(letter, MessageKind.FAILURE_NOTICE)


def find_due_letters(limit: int = 1000, queue_is_short: bool = True) -> list[int]:
    """Letters with a message that needs a task: never queued (the broker was down), due a
    retry, claimed by a worker that died, or queued long ago and apparently lost. The last kind
    is only looked for when the queue is short, so a long backlog is not queued twice. Each is
    marked as dispatched now (flushes)."""
    settings = _settings()
    now = utcnow()
    grace = now - timedelta(seconds=NEVER_QUEUED_GRACE_SECONDS)
    waited = now - timedelta(seconds=settings.sweep_pending_after_seconds)
    stale = now - timedelta(seconds=settings.send_lease_seconds)
    never_queued = and_(
        OutboundMessage.dispatched_at.is_(None),
        or_(OutboundMessage.attempts > 0, OutboundMessage.created_at <= grace),
    )
    due = [
        and_(
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.next_attempt_at <= now,
            or_(never_queued, OutboundMessage.dispatched_at <= waited)
            if queue_is_short
            else never_queued,
        ),
        and_(OutboundMessage.status == MessageStatus.SENDING, OutboundMessage.claimed_at < stale),
    ]
    letter_ids = list(
        db.session.scalars(
            select(OutboundMessage.letter_id)
            .where(or_(*due))
            .group_by(OutboundMessage.letter_id)
            .order_by(func.min(OutboundMessage.id))
            .limit(limit)
        )
    )
    if letter_ids:
        db.session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.letter_id.in_(letter_ids),
                OutboundMessage.status == MessageStatus.PENDING,
            )
            .values(dispatched_at=now)
            .execution_options(synchronize_session=False)
        )
    return letter_ids


def forget_dispatch(letter_id: int) -> None:
    """The broker refused the task: leave the letter for the sweep to queue (flushes)."""
    db.session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.letter_id == letter_id,
            OutboundMessage.status == MessageStatus.PENDING,
        )
        .values(dispatched_at=None)
        .execution_options(synchronize_session=False)
    )
