"""Personal data expires: supporters' details and words are removed a set number of days (the
``PERSONAL_DATA_DAYS`` setting, 28 by default) after their letter was sent, or after the
campaign closed, whichever comes first.

Scrubbing empties the supporter's name, email, postal address and postcode and the letter's
subject and text. Their opt-in records stay as evidence (the organisation, the wording and the
time) but no longer say whose, since the letter they point at does not; the opt-in export
leaves them out. The letter's row stays, with its campaign, recipient,
constituency, source and times, so the campaign's totals and the MP-level figures do not
change. The outbox folder's ``.eml`` files go by the same rule: a file is written when its
message is sent, so one older than the limit belongs to a letter sent before it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select, update

from action_app.extensions import db
from action_app.models import (
    Campaign,
    CampaignStatus,
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from action_app.stats.counting import count_letters_stopped

log = logging.getLogger(__name__)

BATCH = 500
# Given up when a letter is scrubbed: waiting, in flight, or held for a person to release.
UNFINISHED = (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.HELD)
SCRUBBED_REASON = "not sent: the supporter's details were removed"


def scrub_letters(letter_ids: list[int], now: datetime) -> int:
    """Remove the personal data of these letters (flushes); returns how many were scrubbed.
    A message still waiting to go (or held) is given up, and a held letter is rejected, as
    there is nothing left to send."""
    if not letter_ids:
        return 0
    scrubbed = db.session.execute(
        update(Letter)
        .where(Letter.id.in_(letter_ids), Letter.scrubbed_at.is_(None))
        .values(
            supporter_name="",
            supporter_email="",
            # Unique per letter, so the one-letter-per-supporter index still holds.
            email_key=literal("scrubbed:") + cast(Letter.id, String),
            address_line_1="",
            address_line_2="",
            town="",
            postcode="",
            subject="",
            body_before="",
            personal_paragraph="",
            body_after="",
            scrubbed_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    # A held letter can no longer be released: there is nothing left to send. One counted on
    # its way stops waiting in the figures.
    count_letters_stopped(
        db.session.scalars(
            select(Letter).where(Letter.id.in_(letter_ids), Letter.status == LetterStatus.HELD)
        )
    )
    db.session.execute(
        update(Letter)
        .where(Letter.id.in_(letter_ids), Letter.status == LetterStatus.HELD)
        .values(status=LetterStatus.REJECTED, hold_reason=SCRUBBED_REASON)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.letter_id.in_(letter_ids), OutboundMessage.status.in_(UNFINISHED))
        .values(status=MessageStatus.FAILED, last_error=SCRUBBED_REASON)
        .execution_options(synchronize_session=False)
    )
    # A failure reason for the supporter's own emails may quote their address.
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.letter_id.in_(letter_ids), OutboundMessage.kind != MessageKind.MP)
        .values(last_error=None)
        .execution_options(synchronize_session=False)
    )
    return scrubbed or 0


def letters_due_for_scrub(now: datetime, days: int, limit: int = BATCH) -> list[int]:
    """Letters whose personal data has been kept ``days`` since they were sent (every message
    finished) or since their campaign closed."""
    cutoff = now - timedelta(days=days)
    message = OutboundMessage
    finished_long_ago = and_(
        exists().where(message.letter_id == Letter.id),
        ~exists().where(message.letter_id == Letter.id, message.status.in_(UNFINISHED)),
        ~exists().where(
            message.letter_id == Letter.id,
            func.coalesce(message.sent_at, message.claimed_at, message.created_at) >= cutoff,
        ),
    )
    campaign_closed_long_ago = exists().where(
        Campaign.id == Letter.campaign_id,
        or_(
            Campaign.closes_at < cutoff,
            and_(Campaign.status == CampaignStatus.CLOSED, Campaign.updated_at < cutoff),
        ),
    )
    return list(
        db.session.scalars(
            select(Letter.id)
            .where(
                Letter.scrubbed_at.is_(None),
                Letter.status != LetterStatus.DRAFT,
                or_(finished_long_ago, campaign_closed_long_ago),
            )
            .order_by(Letter.id)
            .limit(limit)
        )
    )


def remove_old_outbox_files(folder: Path, now: datetime, days: int) -> int:
    """Delete the outbox folder's ``.eml`` files written more than ``days`` ago."""
    if not folder.is_dir():
        return 0
    cutoff = (now - timedelta(days=days)).replace(tzinfo=UTC).timestamp()  # now: naive UTC
    removed = 0
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker got there first
            continue
    return removed


def scrub_expired(now: datetime, days: int, outbox: Path | None) -> dict:
    """The scheduled job: scrub every letter past its time, in batches (commits each batch so
    a long first run holds no lock for long), then the old outbox files."""
    letters = 0
    while True:
        due = letters_due_for_scrub(now, days)
        if not due:
            break
        letters += scrub_letters(due, now)
        db.session.commit()
        if len(due) < BATCH:
            break
    files = remove_old_outbox_files(outbox, now, days) if outbox is not None else 0
    if letters or files:
        log.info("Scrubbed personal data: %d letters, %d outbox files", letters, files)
    return {"letters_scrubbed": letters, "outbox_files_removed": files}
