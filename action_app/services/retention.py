"""How long things are kept: nothing is kept longer than it is needed.

The hourly housekeeping task calls ``delete_expired_letters`` (in the caller's transaction) and
``purge_expired_cache`` (on the store's own connection). Every rule about deleting personal data
on a schedule belongs here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from action_app.extensions import db
from action_app.kv import get_store
from action_app.models import Letter, LetterStatus
from action_app.models.types import utcnow
from action_app.stats.counting import count_letters_expired

DRAFT_HOURS = 24  # a draft never sent is deleted after this
CONFIRMATION_DAYS = 7  # a letter never confirmed is deleted after this (and its link expires)


def delete_expired_letters() -> dict[str, int]:
    """Delete drafts never sent within a day, and letters never confirmed within seven days,
    with their messages (flushes; the caller commits). Returns how many of each."""
    now = utcnow()
    drafts = db.session.execute(
        delete(Letter).where(
            Letter.status == LetterStatus.DRAFT,
            Letter.updated_at < now - timedelta(hours=DRAFT_HOURS),
        )
    )
    unconfirmed = db.session.execute(
        delete(Letter)
        .where(
            Letter.status == LetterStatus.AWAITING_CONFIRMATION,
            Letter.submitted_at < now - timedelta(days=CONFIRMATION_DAYS),
        )
        .returning(Letter.campaign_id, Letter.constituency_id)
    ).all()
    # The dashboard's "held" figure stops counting them.
    count_letters_expired(unconfirmed)
    return {"drafts": drafts.rowcount or 0, "unconfirmed": len(unconfirmed)}


def purge_expired_cache() -> dict[str, int]:
    """Delete expired entries of the shared cache (the table when embedded; Redis expires its
    own keys). Returns how many."""
    return {"cache_entries": get_store().purge_expired()}
