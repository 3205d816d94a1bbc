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
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import and_, func, not_, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import joinedload

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
    Campaign,
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    ParticipationCount,
    SeatCheck,
)
from action_app.models.letter import TEST_SOURCE
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services import (
    emails,
    notices,
    owner,
    pacing,
    recipient_check,
    relay,
    seat_check,
)
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign_by_id, localized
from action_app.services.participation import UK, record_letter_sent
from action_app.services.scrub import SCRUBBED_REASON
from action_app.services.submissions import confirmation_token
from action_app.sql import upsert
from action_app.stats import counting
from action_app.stats.counting import (
    count_copy_failed,
    count_copy_sent,
    count_letter_failed,
    count_letter_sent,
)
from action_app.stats.replies import letters_delivered
from action_app.stats.store import Counter

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 3600
# The messages that carry the letter itself: to the MP, and the copy to a fixed recipient.
LETTER_KINDS = (MessageKind.MP, MessageKind.COPY)
# Notes to an office that a letter it received was disowned: they go even for a letter whose
# writer's details are gone.
OFFICE_NOTES = frozenset(owner.NOTE_FOR.values())
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
    # Kept for the supporter or a person: a chosen seat that is not the postcode's, or an MP
    # who no longer sits for the letter's seat.
    HELD = "held"


@dataclass
class Outcome:
    message_id: int
    kind: str
    result: DeliveryResult
    campaign_id: int | None = None
    follow_up: OutboundMessage | None = None  # claimed for this worker to send next
    recovered: bool = False  # sent before a worker died; recorded now from the relay's journal


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


def deliver_follow_up(message: OutboundMessage, batch: Batch | None = None) -> Outcome:
    """Send a message already loaded and claimed (the ``follow_up`` of an earlier outcome, so
    it is not read again) and record the outcome (flushes; the caller commits). A letter
    delivered to its MP creates the supporter's receipt already claimed, as the outcome's
    ``follow_up``, so the same worker sends it straight after the commit.

    Within a relay's ``batch`` the relay's state is read once for the batch, each message the
    mail server takes is handed to ``batch.accepted`` at once (the relay's journal), and the
    counts of delivered letters are gathered for ``batch.record_counts``; nothing is flushed."""
    letter = message.letter
    message_id = message.id
    campaign = cached_campaign_by_id(letter.campaign_id)
    outcome = Outcome(message_id, message.kind, DeliveryResult.SENT, letter.campaign_id)
    if batch is not None and message_id in batch.already_sent:
        # Taken by the mail server before a worker died, not yet recorded: never sent again.
        log.warning("Message %s: the relay's journal says it was sent; recorded", message_id)
        outcome.follow_up = _sent(message, letter, batch)
        outcome.recovered = True
        if letter.source == TEST_SOURCE:
            outcome.result = DeliveryResult.TEST_SENT
        return outcome
    state = batch.state if batch is not None else relay.relay_state()
    paused_until = state.paused_until(utcnow())
    if paused_until is not None:  # the relay failed a moment ago: wait, without trying
        _wait_for_relay(message, paused_until)
        outcome.result = DeliveryResult.PAUSED
        _flush_unless(batch)
        return outcome
    if letter.scrubbed_at is not None and message.kind not in OFFICE_NOTES:
        # The supporter's details were removed (erased, or past their time): nothing to send,
        # and no one to tell. A staff retry or release cannot bring it back either.
        message.status = MessageStatus.FAILED
        message.last_error = SCRUBBED_REASON
        outcome.result = DeliveryResult.SKIPPED
        _flush_unless(batch)
        return outcome
    if message.kind in LETTER_KINDS and letter.status != LetterStatus.CONFIRMED:
        # Its letter was held (the seat check) or stopped (withdrawn by the address's owner,
        # rejected) while the message waited, or a retry came after: it waits with its
        # letter, or goes nowhere. Only a confirmed letter reaches an MP or the copy's
        # recipient.
        held = letter.status == LetterStatus.HELD
        message.status = MessageStatus.HELD if held else MessageStatus.CANCELLED
        outcome.result = DeliveryResult.HELD if held else DeliveryResult.SKIPPED
        _flush_unless(batch)
        return outcome
    if message.kind in LETTER_KINDS and letter.seat_check == SeatCheck.PENDING:
        # A seat chosen from the list: checked against the postcode before it is sent.
        verdict, outcome.follow_up = seat_check.gate(message, letter, campaign)
        if verdict != "send":
            outcome.result = DeliveryResult(verdict)
            _flush_unless(batch)
            return outcome
    if message.kind == MessageKind.MP:
        send, notice = recipient_check.readdress_or_hold(message, letter)
        if not send:
            # Its MP has left the seat (or has no address) since it was written: held for a
            # person, never sent to a former MP, and no receipt; the supporter is told.
            outcome.result, outcome.follow_up = DeliveryResult.HELD, notice
            _flush_unless(batch)
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
    except SoftTimeLimitExceeded:
        # The task's time ran out mid-send: not this letter's fault, and the server may have
        # taken it. It stays claimed, as if the worker had died: its lease runs out and the
        # next relay sends it (or, if the journal has it, records it), never failed for good.
        raise
    except Exception as exc:  # a bug must not leave the row claimed for ever
        log.exception("Could not build or send message %s", message_id)
        outcome.result = DeliveryResult.FAILED
        reason = f"{emails.INTERNAL_ERROR} ({type(exc).__name__})"
        outcome.follow_up = _fail(message, letter, reason)
    else:
        if batch is not None:
            batch.accepted(message_id)  # before anything else can fail
        try:
            relay.record_relay_ok(state)
            outcome.follow_up = _sent(message, letter, batch) if batch else _sent(message, letter)
            _flush_unless(batch)
        except DATABASE_GONE as exc:
            raise SentNotRecorded(message_id) from exc
        if letter.source == TEST_SOURCE:
            outcome.result = DeliveryResult.TEST_SENT  # so the task does not count it either
        return outcome
    _flush_unless(batch)
    return outcome


def _flush_unless(batch: Batch | None) -> None:
    if batch is None:
        db.session.flush()


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


def _follow_up(letter: Letter, kind: MessageKind, flush: bool = True) -> OutboundMessage:
    """A message this worker has claimed already (if it dies first, the lease runs out)."""
    message = OutboundMessage.claimed_now(letter, kind)
    db.session.add(message)
    if flush:
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


def _sent(
    message: OutboundMessage, letter: Letter, batch: Batch | None = None
) -> OutboundMessage | None:
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
    if batch is not None:  # counted with the rest of the batch, in the same transaction
        batch.delivered.append((letter, message.sent_at))
        return _follow_up(letter, MessageKind.RECEIPT, flush=False)
    record_letter_sent(letter)
    count_letter_sent(letter, message.sent_at)
    letters_delivered([letter.id], message.sent_at)
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
    if letter.source != TEST_SOURCE:  # a staff test send is never counted
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


# --- the relay: many letters claimed, sent and recorded together --------------------------------


@dataclass
class Batch:
    """What the messages a relay sends together share: the relay's state (read once), the
    journal hook ``accepted`` (called the moment the mail server takes a message, so a worker
    killed before its commit sends none of them again), the ids its journal already holds (sent
    by a worker that died before recording them), and the delivered letters, counted together."""

    state: relay.RelayState
    accepted: Callable[[int], None] = lambda message_id: None
    already_sent: frozenset[int] = frozenset()
    delivered: list[tuple[Letter, datetime]] = field(default_factory=list)

    def record_counts(self) -> None:
        """Count the batch's delivered letters: one upsert of the participation counts, one of
        the stats counters per campaign, one update of the reply checks (flushes). Called once,
        in the transaction that marks them sent, so each letter is counted exactly once."""
        delivered, self.delivered = self.delivered, []
        if not delivered:
            return
        day = datetime.now(UTC).astimezone(UK).date()
        participation: dict[tuple, int] = {}
        stats: dict[int, list[Counter]] = {}
        for letter, when in delivered:
            key = (letter.campaign_id, day, letter.constituency_id or 0, letter.source or "")
            participation[key] = participation.get(key, 0) + 1
            stats.setdefault(letter.campaign_id, []).extend(counting.sent_counters(letter, when))
        dialect = db.session.get_bind().dialect.name
        db.session.execute(
            upsert(
                dialect,
                ParticipationCount.__table__,
                index=("campaign_id", "day", "constituency_id", "source"),
                increment=("letters",),
            ),
            [
                {
                    "campaign_id": campaign_id,
                    "day": day,
                    "constituency_id": seat,
                    "source": source,
                    "letters": letters,
                }
                for (campaign_id, day, seat, source), letters in sorted(participation.items())
            ],
        )
        for campaign_id, counters in sorted(stats.items()):
            counting.add_counts(campaign_id, counting.merge(counters))
        letters_delivered(sorted({letter.id for letter, _ in delivered}), delivered[-1][1])


def _due(now: datetime, stale: datetime):
    pending, sending = MessageStatus.PENDING, MessageStatus.SENDING
    return or_(
        and_(OutboundMessage.status == pending, OutboundMessage.next_attempt_at <= now),
        and_(OutboundMessage.status == sending, OutboundMessage.claimed_at < stale),
    )


def paced_campaign_ids() -> list[int]:
    """Campaigns whose pacing rule is on: their letters to MPs are claimed one by one, under
    the per-MP lock (``pacing.defer_if_paced``)."""
    rows = db.session.execute(
        select(Campaign.id, Campaign.letters_per_mp_per_hour, Campaign.sending_hours).where(
            or_(Campaign.letters_per_mp_per_hour.is_not(None), Campaign.sending_hours.is_not(None))
        )
    ).all()
    return sorted(row.id for row in rows if pacing.PacingRule.of(row).active)


def claim_batch(limit: int) -> list[int]:
    """Claim up to ``limit`` due messages of any letters (flushes; the caller commits), oldest
    first; returns their ids.

    One ``UPDATE … WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING``: two
    workers never claim the same row (a row one has locked the other skips, and the outer WHERE
    is checked again on the row it updates), and on SQLite, which has no row locks, writes are
    one at a time anyway. Letters to an MP in a paced campaign are left out of it and claimed
    one by one through ``claim_due_messages``, which applies the pace under the per-MP lock (in
    one order, so two workers never wait on each other in a cycle)."""
    settings = _settings()
    now = utcnow()
    stale = now - timedelta(seconds=settings.send_lease_seconds)
    due = _due(now, stale)
    paced = paced_campaign_ids()
    candidates = select(OutboundMessage.id).where(due)
    held_for_pace = None
    if paced:
        held_for_pace = and_(
            OutboundMessage.kind == MessageKind.MP,
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.letter_id.in_(
                select(Letter.id).where(Letter.campaign_id.in_(paced)).scalar_subquery()
            ),
        )
        candidates = candidates.where(not_(held_for_pace))
    # MATERIALIZED: PostgreSQL may otherwise fold the subquery into the UPDATE's plan and run
    # it more than once, claiming more than ``limit`` rows (SQLite >= 3.35 takes it too).
    candidates = (
        candidates.order_by(OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboundMessage)
        .cte("due_batch")
        .prefix_with("MATERIALIZED")
    )
    statement = (
        update(OutboundMessage)
        .where(OutboundMessage.id.in_(select(candidates.c.id)))
        .where(due)
        .values(status=MessageStatus.SENDING, claimed_at=now, attempts=OutboundMessage.attempts + 1)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    )
    claimed = sorted(db.session.execute(statement).scalars())
    room = limit - len(claimed)
    if held_for_pace is not None and room > 0:
        waiting = db.session.execute(
            select(OutboundMessage.letter_id, Letter.campaign_id, Letter.recipient_key)
            .join(Letter, Letter.id == OutboundMessage.letter_id)
            .where(held_for_pace, due)
            .order_by(OutboundMessage.id)
            .limit(room)
        ).all()
        # The per-MP locks are taken in one order by every worker.
        waiting.sort(key=lambda r: (r.campaign_id, zlib.crc32(r.recipient_key.encode()), r[0]))
        for letter_id, _, _ in waiting:
            claimed += claim_due_messages(letter_id)
    return sorted(set(claimed))


def load_claimed(message_ids: list[int]) -> list[OutboundMessage]:
    """The claimed messages with their letters (and each letter's messages, which the MP's
    copy reads for its trust line), in two queries, in id order. The session must hold none of
    them already (the caller starts from an empty one): ``populate_existing`` would reload the
    messages a second time through the letters' collections and lose their loaded letters."""
    if not message_ids:
        return []
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.id.in_(message_ids))
            .order_by(OutboundMessage.id)
            .options(joinedload(OutboundMessage.letter).selectinload(Letter.messages))
        ).unique()
    )


def deliver_batch(messages: list[OutboundMessage], batch: Batch, commit_each=None) -> list[Outcome]:
    """Send each claimed message and record its outcome in the session; the caller commits once
    (after ``batch.record_counts``). A message no longer claimed by this worker is skipped.
    ``commit_each(outcome)``, if given, is called after each message, for a relay that has no
    journal and so must commit each send before the next."""
    outcomes = []
    for message in messages:
        if message.status != MessageStatus.SENDING:
            outcomes.append(Outcome(message.id, message.kind, DeliveryResult.SKIPPED))
            continue
        outcome = deliver_follow_up(message, batch)
        outcomes.append(outcome)
        if commit_each is not None:
            commit_each(outcome)
    return outcomes
