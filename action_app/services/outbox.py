"""The outbox for staff: messages by status and campaign, failures with the server's answer,
retrying, and releasing or rejecting held letters."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import (
    Campaign,
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from action_app.models.letter import TEST_SOURCE
from action_app.models.types import utcnow
from action_app.services import audit, held_letters
from action_app.stats.counting import count_copy_failed, count_letter_failed

PAGE_SIZE = 100


class OutboxError(ValueError):
    """The message is not in a state that allows this; the message says why."""


@dataclass(frozen=True)
class CampaignCounts:
    campaign_id: int
    title: str
    slug: str
    counts: dict[str, int]


def counts_by_campaign() -> list[CampaignCounts]:
    """Messages to MPs per campaign and status (receipts and notices are not letters)."""
    rows = db.session.execute(
        select(Campaign.id, Campaign.title, Campaign.slug, OutboundMessage.status, func.count())
        .join(Letter, Letter.campaign_id == Campaign.id)
        .join(OutboundMessage, OutboundMessage.letter_id == Letter.id)
        .where(OutboundMessage.kind == MessageKind.MP)
        .group_by(Campaign.id, Campaign.title, Campaign.slug, OutboundMessage.status)
        .order_by(Campaign.title)
    ).all()
    by_campaign: dict[int, CampaignCounts] = {}
    for campaign_id, title, slug, status, count in rows:
        entry = by_campaign.setdefault(
            campaign_id,
            CampaignCounts(campaign_id, title, slug, dict.fromkeys(MessageStatus, 0)),
        )
        entry.counts[status] = count
    return list(by_campaign.values())


LETTER_KINDS = (MessageKind.MP, MessageKind.COPY)


def messages(
    status: str, campaign_id: int | None = None, kinds: tuple[str, ...] | None = LETTER_KINDS
) -> list:
    """The newest messages with a status, with their letters: by default the letters to MPs
    and their copies to a campaign's additional recipient (receipts and notices are not)."""
    query = (
        select(OutboundMessage, Letter)
        .join(Letter, Letter.id == OutboundMessage.letter_id)
        .where(OutboundMessage.status == status)
        .order_by(OutboundMessage.id.desc())
        .limit(PAGE_SIZE)
    )
    if campaign_id:
        query = query.where(Letter.campaign_id == campaign_id)
    if kinds:
        query = query.where(OutboundMessage.kind.in_(kinds))
    return list(db.session.execute(query).all())


def held_without_email(campaign_id: int | None = None) -> list[Letter]:
    """Held letters with no email of their own waiting: one the supporter sends themselves
    (the platform has nothing to send), or one the seat check held before its email was
    written. The message list cannot show them, so the held page lists them apart."""
    waiting = (
        select(OutboundMessage.id)
        .where(
            OutboundMessage.letter_id == Letter.id,
            OutboundMessage.status == MessageStatus.HELD,
        )
        .exists()
    )
    query = (
        select(Letter)
        .where(Letter.status == LetterStatus.HELD, ~waiting)
        .order_by(Letter.id.desc())
        .limit(PAGE_SIZE)
    )
    if campaign_id:
        query = query.where(Letter.campaign_id == campaign_id)
    return list(db.session.scalars(query))


def release_letter(letter_id: int) -> int:
    """Release a held letter that has no email of its own (``held_without_email``)."""
    try:
        released = held_letters.release(letter_id)
    except held_letters.OutboxError as exc:
        raise OutboxError(str(exc)) from None
    audit.record("message_released", f"letter {letter_id}")
    return released


def reject_letter(letter_id: int, reason: str) -> None:
    """Never send a held letter that has no email of its own."""
    try:
        held_letters.reject(letter_id)
    except held_letters.OutboxError as exc:
        raise OutboxError(str(exc)) from None
    audit.record("message_rejected", f"letter {letter_id}", note=reason)


def retry(message: OutboundMessage) -> int:
    """Send a failed message again, with a fresh set of attempts; return its letter's id (the
    caller commits, then dispatches it)."""
    if message.status != MessageStatus.FAILED:
        raise OutboxError("Only a failed message can be retried.")
    _refuse_unsendable(message)
    _uncount_failure(message)
    _requeue(message)
    audit.record("message_retried", f"message {message.id}",
                 details={"last_error": message.last_error or ""})  # fmt: skip
    return message.letter_id


def release(message: OutboundMessage) -> int:
    """Let a held message go; return its letter's id to dispatch after the commit. A held
    letter (bot checks, safeguards, seat check) is released whole, as the command line does."""
    if message.status != MessageStatus.HELD:
        raise OutboxError("Only a held message can be released.")
    if message.letter.status == LetterStatus.HELD:
        try:
            letter_id = held_letters.release(message.letter_id)
        except held_letters.OutboxError as exc:
            raise OutboxError(str(exc)) from None
    else:
        _refuse_unsendable(message)
        _requeue(message)
        letter_id = message.letter_id
    audit.record("message_released", f"message {message.id}")
    return letter_id


def reject(message: OutboundMessage, reason: str) -> None:
    """Never send a held message (a held letter is rejected whole)."""
    if message.status != MessageStatus.HELD:
        raise OutboxError("Only a held message can be rejected.")
    if message.letter.status == LetterStatus.HELD:
        held_letters.reject(message.letter_id)
    message.status = MessageStatus.REJECTED
    message.last_error = f"rejected by staff: {reason}"[:1000] if reason else "rejected by staff"
    audit.record("message_rejected", f"message {message.id}", note=reason)
    db.session.flush()


def _refuse_unsendable(message: OutboundMessage) -> None:
    """A message goes again only if its letter still can: not once the supporter's details are
    removed, and a letter or copy only while its letter is confirmed (not withdrawn by the
    address's owner, not rejected). The relay checks the same before it sends."""
    letter = message.letter
    if letter.scrubbed_at is not None:
        raise OutboxError(
            f"Message {message.id} cannot be sent: the supporter's details were removed."
        )
    if message.kind in LETTER_KINDS and letter.status != LetterStatus.CONFIRMED:
        status = letter.status.replace("_", " ")
        raise OutboxError(f"Message {message.id} cannot be sent: its letter is {status}.")


def _uncount_failure(message: OutboundMessage) -> None:
    """A retried letter or copy is no longer failed: take back what its failure counted (as
    the relay counted it), so once delivered it is counted as sent and not as both."""
    letter = message.letter
    if letter.source == TEST_SOURCE:
        return
    if message.kind == MessageKind.MP:
        count_letter_failed(letter, amount=-1)
    elif message.kind == MessageKind.COPY:
        count_copy_failed(letter, amount=-1)


def _requeue(message: OutboundMessage) -> None:
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.dispatched_at = None
    message.claimed_at = None
    db.session.flush()
