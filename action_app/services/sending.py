"""Sending: claim a letter's due messages atomically, send each, record what happened.

Two workers can never both hold a message: a claim is one UPDATE … WHERE the row is still due …
RETURNING, which PostgreSQL and SQLite both apply atomically. A claim is a lease: if the worker
dies, the row is due again once ``send_lease_seconds`` have passed. Retry times live in the row,
never in the broker; ``find_due_letters`` is how the periodic sweep finds them.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import and_, func, or_, select, update

from action_app.config import Settings
from action_app.extensions import db
from action_app.i18n import in_language, language_of
from action_app.mail import MailTransport, PermanentMailError, TransientMailError
from action_app.models import Letter, MessageKind, MessageStatus, OutboundMessage
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services import emails
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign_by_id, localized
from action_app.services.participation import record_letter_sent
from action_app.services.submissions import confirmation_token

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
# A message the web could not queue is picked up by the next sweep after this grace, which
# only covers the moment between the web's commit and its dispatch.
NEVER_QUEUED_GRACE_SECONDS = 5


class DeliveryResult(StrEnum):
    """What became of one attempt to send a message."""

    SENT = "sent"
    RETRY = "retry"  # back to pending, with a later next_attempt_at
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer claimed by this worker (or gone): nothing was done


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
    try:
        email = _build(message, letter, campaign)
        _transport().send(email)
    except TransientMailError as exc:
        outcome.result = _retry_later(message, letter, exc.reason)
    except PermanentMailError as exc:
        outcome.result = DeliveryResult.FAILED
        outcome.follow_up = _fail(message, letter, exc.reason)
    except Exception as exc:  # a bug must not leave the row claimed for ever
        log.exception("Could not build or send message %s", message_id)
        outcome.result = DeliveryResult.FAILED
        outcome.follow_up = _fail(message, letter, f"internal error ({type(exc).__name__})")
    else:
        outcome.follow_up = _sent(message, letter)
    db.session.flush()
    return outcome


def _follow_up(letter: Letter, kind: MessageKind) -> OutboundMessage:
    """A message this worker has claimed already (if it dies first, the lease runs out)."""
    message = OutboundMessage(
        letter=letter, kind=kind, status=MessageStatus.SENDING, claimed_at=utcnow(), attempts=1
    )
    db.session.add(message)
    db.session.flush()
    return message


def _build(message: OutboundMessage, letter: Letter, campaign: CampaignSnapshot):
    """The email, in the language the letter was written in (its campaign's text too)."""
    with in_language(letter.language):
        return _build_in_language(message, letter, localized(campaign, letter.language))


def _build_in_language(message: OutboundMessage, letter: Letter, campaign: CampaignSnapshot):
    settings = _settings()
    if message.kind == MessageKind.MP:
        return emails.build_mp_email(message, letter, campaign, settings)
    if message.kind == MessageKind.RECEIPT:
        return emails.build_receipt(message, letter, campaign, settings)
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
    if message.kind != MessageKind.MP:
        return None
    record_letter_sent(letter)
    return _follow_up(letter, MessageKind.RECEIPT)


def _retry_later(message: OutboundMessage, letter: Letter, reason: str) -> DeliveryResult:
    settings = _settings()
    if message.attempts >= settings.send_max_attempts:
        _fail(message, letter, f"gave up after {message.attempts} attempts: {reason}")
        return DeliveryResult.FAILED
    base = settings.send_retry_base_seconds * (2 ** (message.attempts - 1))
    delay = min(base * random.uniform(0.5, 1.5), MAX_BACKOFF_SECONDS)
    message.status = MessageStatus.PENDING
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    message.dispatched_at = None
    message.last_error = reason
    log.info("Message %s: %s; retrying in %.1fs", message.id, reason, delay)
    return DeliveryResult.RETRY


def _fail(message: OutboundMessage, letter: Letter, reason: str) -> OutboundMessage | None:
    message.status = MessageStatus.FAILED
    message.last_error = reason
    log.warning("Message %s (%s) failed: %s", message.id, message.kind, reason)
    if message.kind != MessageKind.MP:
        return None
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
