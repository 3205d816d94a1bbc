"""Participation counts: recorded by the workers, read by the pages and the count API.

The database is the truth: ``participation_counts`` gets one atomic upsert per letter delivered
(per campaign, day, constituency and source), in the same transaction that marks it sent. Redis
keeps a hot copy of each campaign's totals, incremented as letters are accepted and sent and
rebuilt from the database whenever it is missing or a few minutes old, so a Redis restart or a
missed increment heals itself. Each process also keeps the totals for two seconds, so a busy
campaign page asks Redis a few times a second at most, and the database almost never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from action_app.extensions import db
from action_app.kv import get_store
from action_app.memo import TtlLru
from action_app.models import Letter, LetterStatus, ParticipationCount
from action_app.models.letter import TEST_SOURCE
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.sql import upsert

UK = ZoneInfo("Europe/London")
HOT_TTL_SECONDS = 300
LOCAL_TTL_SECONDS = 2.0


@dataclass(frozen=True)
class Totals:
    total: int  # letters accepted (sent to the MP or on their way)
    sent: int  # letters delivered to the MP's mail server


def record_letter_sent(letter: Letter) -> None:
    """Add one delivered letter to the campaign's counts (flushes with the caller's work)."""
    day = datetime.now(UTC).astimezone(UK).date()
    statement = upsert(
        db.session.get_bind().dialect.name,
        ParticipationCount.__table__,
        index=("campaign_id", "day", "constituency_id", "source"),
        increment=("letters",),
    )
    db.session.execute(
        statement,
        {
            "campaign_id": letter.campaign_id,
            "day": day,
            "constituency_id": letter.constituency_id or 0,
            "source": letter.source or "",
            "letters": 1,
        },
    )


def _keys(campaign_id: int) -> tuple[str, str]:
    return f"count:v1:{campaign_id}:total", f"count:v1:{campaign_id}:sent"


def count_from_database(campaign_id: int) -> Totals:
    """The campaign's totals, counted from the tables (the truth the hot copy heals from).
    A staff test send is a confirmed letter too, and never counts."""
    total = db.session.scalar(
        select(func.count(Letter.id)).where(
            Letter.campaign_id == campaign_id,
            Letter.status == LetterStatus.CONFIRMED,
            Letter.source.is_distinct_from(TEST_SOURCE),
        )
    )
    sent = db.session.scalar(
        select(func.coalesce(func.sum(ParticipationCount.letters), 0)).where(
            ParticipationCount.campaign_id == campaign_id
        )
    )
    return Totals(total=int(total or 0), sent=int(sent or 0))


class LocalTotals(TtlLru):
    """Each process's copy of the totals, two seconds old at most."""

    def __init__(self) -> None:
        super().__init__(max_entries=1000, ttl_seconds=LOCAL_TTL_SECONDS)


def _local() -> LocalTotals:
    return current_registry().local_totals


def campaign_totals(campaign_id: int, *, counted_at: datetime | None = None) -> Totals:
    """The campaign's totals, from this process, Redis, or (rarely) the database.

    ``counted_at`` (naive UTC): when a letter the page shows was added to the totals. If that
    was in the last ``LOCAL_TTL_SECONDS``, this process's copy may be older than the letter, so
    it is not used: the writer's own page counts their letter, as they expect it to."""
    local = _local()
    recent = counted_at is not None and counted_at > utcnow() - timedelta(seconds=LOCAL_TTL_SECONDS)
    cached = None if recent else local.get(campaign_id)
    if cached is not None:
        return cached
    store = get_store()
    total_key, sent_key = _keys(campaign_id)
    total, sent = store.get(total_key), store.get(sent_key)
    if total is not None and sent is not None:
        totals = Totals(int(total), int(sent))
    else:
        totals = count_from_database(campaign_id)
        store.set(total_key, str(totals.total), HOT_TTL_SECONDS)
        store.set(sent_key, str(totals.sent), HOT_TTL_SECONDS)
    local.put(campaign_id, totals)
    return totals


def campaign_total(campaign_id: int, *, counted_at: datetime | None = None) -> int:
    """How many people have written to their MP in this campaign (``counted_at``: as for
    ``campaign_totals``)."""
    return campaign_totals(campaign_id, counted_at=counted_at).total


def hot_total_key(campaign_id: int) -> str:
    """The key of the campaign's hot total, for a caller bumping it in a round trip of its own
    (``RedisStore.incr_if_exists_command``)."""
    return _keys(campaign_id)[0]


def bump_hot_totals(campaign_id: int, *, total: int = 0, sent: int = 0) -> None:
    """After a commit: add to the hot copy, if there is one (a missing key is rebuilt later)."""
    store = get_store()
    total_key, sent_key = _keys(campaign_id)
    for key, amount in ((total_key, total), (sent_key, sent)):
        if amount:
            store.incr_if_exists(key, amount)
