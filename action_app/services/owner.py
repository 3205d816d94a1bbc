"""The owner of an email address is protected: "I did not send this".

Every receipt carries a link. Its page shows a button (a GET never acts); pressing it withdraws
the letter if it has not been sent, or tells the MP's office that the address's owner did not send
it, and either way frees the address to write its own letter (a withdrawn letter does not count
towards one letter per supporter).
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, OutboundMessage
from action_app.models.letter import TEST_SOURCE
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.stats.counting import count_letter_withdrawn

LINK_DAYS = 90
UNSENT = (MessageStatus.PENDING, MessageStatus.HELD)
# The note each office gets when a letter it received is disowned.
NOTE_FOR = {MessageKind.MP: MessageKind.DISOWNED, MessageKind.COPY: MessageKind.COPY_DISOWNED}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="not-me")


def not_me_token(letter: Letter) -> str:
    """The token in the "I did not send this" link of this letter's emails."""
    return _serializer().dumps(letter.public_id)


def not_me_url(letter: Letter, slug: str) -> str:
    """The whole link, for emails (PUBLIC_BASE_URL, never a Host header)."""
    base = current_registry().settings.public_base_url
    return f"{base}/c/{slug}/not-me/{not_me_token(letter)}"


def letter_for_not_me(token: str, campaign_id: int) -> Letter | None:
    """The letter a link is for, or None (altered, too old, or another campaign's)."""
    try:
        public_id = _serializer().loads(token, max_age=LINK_DAYS * 86400)
    except BadSignature:
        return None
    return db.session.scalar(
        select(Letter).where(Letter.public_id == public_id, Letter.campaign_id == campaign_id)
    )


def disown(letter: Letter) -> str:
    """Act on "I did not send this" (flushes; the caller commits, then dispatches when the
    answer is "told_office"). Returns "withdrawn" (nothing reached the MP), "told_office" (it
    had been sent: a note to the office is queued) or "done_before"."""
    if letter.status in (LetterStatus.WITHDRAWN, LetterStatus.REJECTED):
        return "done_before"
    counted = _counted_stage(letter)
    now = utcnow()
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.letter_id == letter.id, OutboundMessage.status.in_(UNSENT))
        .values(
            status=MessageStatus.CANCELLED,
            last_error="the address's owner did not send this letter",
        )
        .execution_options(synchronize_session=False)
    )
    # Read after the cancelling: a worker that claimed the letter first may be sending it.
    reached = set(
        db.session.scalars(
            select(OutboundMessage.kind).where(
                OutboundMessage.letter_id == letter.id,
                OutboundMessage.kind.in_(NOTE_FOR),
                OutboundMessage.status.in_((MessageStatus.SENT, MessageStatus.SENDING)),
            )
        )
    )
    letter.status = LetterStatus.WITHDRAWN
    letter.hold_reason = "withdrawn: the address's owner says they did not send it"
    letter.updated_at = now
    # Each office that received the letter (the MP's, and the copy's recipient's) is told.
    for kind in sorted(reached):
        db.session.add(
            OutboundMessage(
                letter=letter, kind=NOTE_FOR[kind], status=MessageStatus.PENDING,
                next_attempt_at=now,
                dispatched_at=now,
            )
        )  # fmt: skip
    count_letter_withdrawn(letter, stage=None if reached else counted)
    db.session.flush()
    return "told_office" if reached else "withdrawn"


def _counted_stage(letter: Letter) -> str | None:
    """How far the figures counted this letter before it was disowned: on its way (queued),
    awaiting the confirmation link (accepted), or not at all (held, self-sent, or waiting for
    its address's owner after another browser had written: none of those is counted)."""
    if letter.sent_by is not None or letter.source == TEST_SOURCE:
        return None
    if letter.confirmed_at is not None:  # confirmed, even if the seat check holds it since
        return "queued"
    confirming = any(m.kind == MessageKind.CONFIRMATION for m in letter.messages)
    if letter.status == LetterStatus.AWAITING_CONFIRMATION and confirming:
        return "accepted"
    return None
