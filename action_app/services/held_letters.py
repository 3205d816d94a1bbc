"""Held letters wait for a person: ``action-app outbox list|release|reject`` (and, in its own
issue, the staff outbox screen). A held letter is never dropped: releasing sends it as it
would have been sent, rejecting keeps it (status rejected) until personal data expires."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, OutboundMessage
from action_app.models.types import utcnow
from action_app.services import recipient_check
from action_app.services.submissions import confirmed_twin
from action_app.stats.counting import (
    count_letter_accepted,
    count_letters_stopped,
    counted_on_its_way,
)


class OutboxError(Exception):
    """The letter cannot be released or rejected; the message says why."""


@dataclass(frozen=True)
class HeldLetter:
    id: int
    campaign_id: int
    recipient_name: str
    held_since: object
    reason: str


def held_letters(limit: int = 200) -> list[HeldLetter]:
    """Held letters, oldest first."""
    rows = db.session.scalars(
        select(Letter).where(Letter.status == LetterStatus.HELD).order_by(Letter.id).limit(limit)
    )
    return [
        HeldLetter(a.id, a.campaign_id, a.recipient_name, a.submitted_at, a.hold_reason or "")
        for a in rows
    ]


def _held(letter_id: int) -> Letter:
    letter = db.session.get(Letter, letter_id)
    if letter is None:
        raise OutboxError(f"There is no letter {letter_id}.")
    if letter.status != LetterStatus.HELD:
        raise OutboxError(f"Letter {letter_id} is {letter.status}, not held.")
    return letter


def release(letter_id: int) -> int:
    """Send a held letter (flushes; the caller commits and dispatches the returned id).

    A letter held before its confirmation email (or its owner's notice) was sent goes on to
    await confirmation. One the supporter sends themselves has nothing for us to send:
    releasing it counts it. One to an MP who no longer sits for its seat (or has no address
    now) is refused, with what to do instead."""
    letter = _held(letter_id)
    refusal = recipient_check.refuse_release(letter) if letter.sent_by is None else None
    if refusal is not None:  # never to a former MP, and never held again straight away
        raise OutboxError(f"Letter {letter_id} cannot be released: {refusal}")
    held = [m for m in letter.messages if m.status == MessageStatus.HELD]
    # Its owner's email first: a confirmation, or the notice that the address has written.
    awaiting = any(m.kind in (MessageKind.CONFIRMATION, MessageKind.ADDRESS_USED) for m in held)
    if not awaiting and confirmed_twin(letter, Letter.recipient_key):
        raise OutboxError(
            f"Letter {letter_id}: a letter from this address to {letter.recipient_name} has "
            "already been sent for this campaign, so this one cannot be; reject it instead."
        )
    now = utcnow()
    if letter.copy_key and not awaiting and confirmed_twin(letter, Letter.copy_key):
        # The copy's recipient already has a letter from this address: the MP's goes alone.
        held = [m for m in held if m.kind != MessageKind.COPY]
        _cancel_copy(letter)
    _count_release(letter, held, awaiting, now)
    letter.status = LetterStatus.AWAITING_CONFIRMATION if awaiting else LetterStatus.CONFIRMED
    letter.confirmed_at = None if awaiting else now
    letter.updated_at = now
    # Held by the seat check before a message was written (one the supporter sends has none).
    if not held and letter.sent_by is None:
        kinds = [MessageKind.MP] + ([MessageKind.COPY] if letter.copy_key else [])
        held = [OutboundMessage(letter=letter, kind=kind) for kind in kinds]
        db.session.add_all(held)
    for message in held:
        message.status = MessageStatus.PENDING
        message.next_attempt_at = now
        message.dispatched_at = now
        message.last_error = None
    db.session.flush()
    return letter.id


def _count_release(letter: Letter, held: list, awaiting: bool, now) -> None:
    """Count a released letter as Send would have counted it had it not been held: accepted,
    and (going straight to its MP) queued, personalised and its opt-ins recorded; a letter
    released to await its confirmation link is queued when the link is used. A letter the
    seat check held after it was confirmed was counted then (``confirmed_at``), and one
    waiting for its address's owner is counted when the owner confirms, as on Send. One the
    supporter sends themselves is in none of these counters (``supporter_sent_counts``
    counts it once it is confirmed), released or not."""
    if counted_on_its_way(letter) or letter.sent_by is not None:
        return
    if awaiting and all(m.kind == MessageKind.ADDRESS_USED for m in held):
        return
    count_letter_accepted(letter, now, queued=not awaiting)


def _cancel_copy(letter: Letter) -> None:
    for message in letter.messages:
        if message.kind == MessageKind.COPY and message.status == MessageStatus.HELD:
            message.status = MessageStatus.CANCELLED
            message.last_error = "a copy from this address was already sent"
    letter.copy_key = letter.copy_name = letter.copy_email = None


def reject(letter_id: int) -> None:
    """Keep a held letter unsent for good (flushes). One counted on its way (held by the seat
    check or because its MP left) is no longer waiting to be sent in the figures."""
    letter = _held(letter_id)
    count_letters_stopped([letter])
    stop_held(letter, LetterStatus.REJECTED)


def stop_held(letter: Letter, status: LetterStatus, reason: str | None = None) -> None:
    """A held letter will never be sent (rejected, or withdrawn by its writer): give it its
    final status and cancel its held messages (flushes)."""
    letter.status = status
    if reason is not None:
        letter.hold_reason = reason
    letter.updated_at = utcnow()
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.letter_id == letter.id, OutboundMessage.status == MessageStatus.HELD)
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
