"""Pacing: how many letters reach each MP an hour, and at what times of day (UK time).

A campaign may say "at most N letters an hour to each MP" and "only between 09:00 and 17:30".
A letter over the limit, or outside the hours, is not refused and not parked in the broker: its
MP message stays ``pending`` in the database with ``next_attempt_at`` set to the slot it may go
in, and the periodic sweep queues it when that time comes (as it does for retries).

The rule is checked when a worker claims a letter (``defer_if_paced``, called by
``sending.claim_due_messages``) while holding a per-MP lock, so two workers never both send the
N+1th letter of an hour. The sent page asks ``expected_delivery`` what to tell the supporter.

Slots: the letters sent to this MP in the last hour, those being sent, and those already given a
later slot are "taken". A new letter goes after the last taken slot; if N slots were taken in the
hour before that time, it waits until the oldest of them is an hour old. Every time is naive UTC,
and sending hours are turned into UTC day by day through Europe/London, so they follow the
clocks going forward and back.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update

from action_app.extensions import db
from action_app.models import Letter, MessageKind, MessageStatus, OutboundMessage

UK = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)
# A slot is a little after the hour has passed, so the letter it frees is outside the window.
MARGIN = timedelta(seconds=1)


@dataclass(frozen=True)
class PacingRule:
    per_hour: int | None = None  # letters to each MP in any hour; None: no limit
    opens: time | None = None  # sending hours, UK time; None: any time
    closes: time | None = None

    @property
    def active(self) -> bool:
        return bool(self.per_hour) or self.opens is not None

    @classmethod
    def of(cls, campaign) -> PacingRule:
        """The rule of a campaign (the model or its cached view)."""
        hours = getattr(campaign, "sending_hours", None) or {}
        return cls(
            per_hour=getattr(campaign, "letters_per_mp_per_hour", None) or None,
            opens=parse_clock(hours["from"]) if hours.get("from") else None,
            closes=parse_clock(hours["to"]) if hours.get("to") else None,
        )


def parse_clock(value: str) -> time:
    """'09:00' → time(9, 0); ValueError for anything else."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError(f"{value!r} is not a time like 09:00")
    return time(int(value[:2]), int(value[3:]))


# --- the rule itself: pure functions of the clock --------------------------------------------


def within_hours(rule: PacingRule, when: datetime) -> bool:
    """Whether a naive-UTC time falls inside the sending hours (always, if there are none)."""
    if rule.opens is None or rule.closes is None:
        return True
    local = when.replace(tzinfo=UTC).astimezone(UK).time()
    if rule.opens < rule.closes:
        return rule.opens <= local < rule.closes
    return local >= rule.opens or local < rule.closes  # overnight, e.g. 22:00 to 06:00


def next_opening(rule: PacingRule, when: datetime) -> datetime:
    """The first naive-UTC time at or after ``when`` that is inside the sending hours."""
    if within_hours(rule, when):
        return when
    local_day = when.replace(tzinfo=UTC).astimezone(UK).date()
    for offset in range(3):
        opening = _utc(local_day + timedelta(days=offset), rule.opens)
        if opening >= when:
            return opening
    raise AssertionError("sending hours always open within two days")


def _utc(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=UK).astimezone(UTC).replace(tzinfo=None)


def next_slot(rule: PacingRule, taken: list[datetime], now: datetime) -> datetime:
    """The earliest time a new letter to this MP may go, given the times already taken (sent
    in the last hour, being sent, or given a later slot)."""
    start = max([now, *taken])
    if rule.per_hour:
        recent = sorted(t for t in taken if t > start - HOUR)
        if len(recent) >= rule.per_hour:
            start = recent[len(recent) - rule.per_hour] + HOUR + MARGIN
    return next_opening(rule, start)


def may_send_now(rule: PacingRule, sent_in_last_hour: int, now: datetime) -> bool:
    """Whether one more letter may go to this MP at ``now``."""
    if rule.per_hour and sent_in_last_hour >= rule.per_hour:
        return False
    return within_hours(rule, now)


# --- the database side ------------------------------------------------------------------------


def defer_if_paced(letter_id: int, now: datetime) -> datetime | None:
    """Called as a worker claims a letter: if its MP message is due but the campaign's pacing
    says not yet, move it to its slot (flushes) and return the slot; else None.

    Holds a per-MP transaction lock on PostgreSQL until the caller commits, so the count and
    the claim that follows are one step for each MP."""
    row = db.session.execute(
        select(OutboundMessage.id, Letter.campaign_id, Letter.recipient_key)
        .join(Letter, Letter.id == OutboundMessage.letter_id)
        .where(
            OutboundMessage.letter_id == letter_id,
            OutboundMessage.kind == MessageKind.MP,
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.next_attempt_at <= now,
        )
    ).first()
    if row is None:
        return None
    # Imported here: the campaign documents import this module for its clock parsing.
    from action_app.services.campaign_cache import cached_campaign_by_id

    campaign = cached_campaign_by_id(row.campaign_id)
    rule = PacingRule.of(campaign) if campaign is not None else PacingRule()
    if not rule.active:
        return None
    _lock(row.campaign_id, row.recipient_key)
    slot = _slot_unless_now(rule, row.campaign_id, row.recipient_key, row.id, now)
    if slot is None:
        return None
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == row.id)
        .values(next_attempt_at=slot, dispatched_at=None)
        .execution_options(synchronize_session=False)
    )
    return slot


NEWEST_ID = 2**62  # after every message: a letter not yet written waits behind them all


def expected_delivery(letter: Letter, rule: PacingRule, now: datetime) -> datetime | None:
    """When this letter should reach its MP, if pacing holds it back (naive UTC); else None."""
    if not rule.active:
        return None
    message = letter.mp_message()
    if message is None or message.status != MessageStatus.PENDING:
        return None
    if message.next_attempt_at > now:
        return message.next_attempt_at
    return _slot_unless_now(rule, letter.campaign_id, letter.recipient_key, message.id, now)


def slot_for_a_new_letter(
    rule: PacingRule, campaign_id: int, recipient_key: str, now: datetime
) -> datetime | None:
    """When a letter written now to this MP would reach it, if pacing holds it back; else None
    (what the page of a letter held for its address's owner shows, as a new letter's would)."""
    if not rule.active:
        return None
    return _slot_unless_now(rule, campaign_id, recipient_key, NEWEST_ID, now)


def _slot_unless_now(
    rule: PacingRule, campaign_id: int, recipient_key: str, own_id: int, now: datetime
) -> datetime | None:
    """None if this MP message may go now; else its slot. Letters wait their turn: one written
    earlier and given a later slot goes first. The limit itself rests on the count alone, so
    it holds whatever order the workers claim in."""
    sent, later = _taken(campaign_id, recipient_key, own_id, now)
    ahead = [due for message_id, due in later if message_id < own_id]
    if not ahead and may_send_now(rule, len(sent), now):
        return None
    return next_slot(rule, sent + [due for _, due in later], now)


def _taken(
    campaign_id: int, recipient_key: str, own_id: int, now: datetime
) -> tuple[list[datetime], list[tuple[int, datetime]]]:
    """(times of letters sent or being sent to this MP in the last hour, [(message id, slot)]
    of letters waiting for a later time)."""
    rows = db.session.execute(
        select(
            OutboundMessage.id,
            OutboundMessage.status,
            func.coalesce(OutboundMessage.sent_at, OutboundMessage.claimed_at),
            OutboundMessage.next_attempt_at,
        )
        .join(Letter, Letter.id == OutboundMessage.letter_id)
        .where(
            Letter.campaign_id == campaign_id,
            Letter.recipient_key == recipient_key,
            OutboundMessage.kind == MessageKind.MP,
            OutboundMessage.id != own_id,
            (
                (OutboundMessage.status.in_((MessageStatus.SENT, MessageStatus.SENDING)))
                & (func.coalesce(OutboundMessage.sent_at, OutboundMessage.claimed_at) > now - HOUR)
            )
            | (
                (OutboundMessage.status == MessageStatus.PENDING)
                & (OutboundMessage.next_attempt_at > now)
            ),
        )
    ).all()
    waiting = MessageStatus.PENDING
    sent = [at for _, status, at, _ in rows if status != waiting and at is not None]
    later = [(message_id, due) for message_id, status, _, due in rows if status == waiting]
    return sent, later


def _lock(campaign_id: int, recipient_key: str) -> None:
    if db.session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(recipient_key.encode()) - 2**31
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:campaign, :mp)"),
            {"campaign": campaign_id, "mp": key},
        )
