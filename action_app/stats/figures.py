"""The figures a dashboard, a report, a CSV and the API show, read from the counters.

One query reads a campaign's counters (a few thousand rows at most, however many letters); the
constituency rows are joined here, in memory, with the directory snapshot every process already
keeps, which gives each seat its MP, party, nation and English region as they are now. The
result is kept in this process for two seconds, so the page, its live figures and the API share
one read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from action_app.extensions import db
from action_app.memo import TtlLru
from action_app.models import StatsCounter
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.stats import disclosure
from action_app.stats.counting import CONSTITUENCY, HOUR, ORGANISATION, RECIPIENT, SOURCE

UK = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
SEATS_IN_COMMONS = 650
RECENT_HOURS = 72
LOCAL_TTL_SECONDS = 2.0
REPLY_ANSWERS = ("replied", "not_yet", "acknowledgement")


@dataclass
class Row:
    """One line of a breakdown."""

    key: str
    label: str
    accepted: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    # None: withheld, the group being too small to hide one person in it (disclosure.py)
    personalised: int | None = 0
    asked: int = 0
    replied: int | None = 0
    not_yet: int | None = 0
    acknowledgement: int | None = 0
    mp: str = ""
    party: str = ""
    nation: str = ""
    region: str = ""
    gss_code: str = ""

    @property
    def answered(self) -> int | None:
        if self.replied is None or self.not_yet is None or self.acknowledgement is None:
            return None  # withheld
        return self.replied + self.not_yet + self.acknowledgement

    @property
    def reply_rate(self) -> float | None:
        """Of supporters who answered, the share whose MP replied (None before any answer, or
        withheld)."""
        answered = self.answered
        return self.replied / answered if answered else None

    @property
    def personalised_share(self) -> float | None:
        if self.personalised is None or not self.queued:
            return None
        return self.personalised / self.queued

    def add(self, other: Row) -> None:
        """Sums rows as read, before anything is withheld."""
        for name in COUNTED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTED = (
    "accepted", "queued", "sent", "failed", "personalised", "asked", "replied", "not_yet",
    "acknowledgement",
)  # fmt: skip
METRIC_FIELDS = {
    "accepted": "accepted",
    "queued": "queued",
    "sent": "sent",
    "failed": "failed",
    "personalised": "personalised",
    "reply_asked": "asked",
    **{f"reply_{answer}": answer for answer in REPLY_ANSWERS},
}


@dataclass
class Headline:
    accepted: int
    held: int
    queued: int
    pending: int
    sent: int
    failed: int
    confirmed: int | None  # None: the campaign does not ask supporters to confirm
    constituencies_reached: int
    # None: withheld, too few people to hide one of them (disclosure.py)
    personalised: int | None
    personalised_share: float | None
    reply_answers: int | None
    replied: int | None
    reply_rate: float | None


@dataclass
class Figures:
    campaign_id: int
    slug: str
    title: str
    debate_at: datetime | None  # UK time
    read_at: datetime
    headline: Headline
    opt_ins: list[tuple[str, str, int]]  # slug, name, supporters
    constituencies: list[Row]
    nations: list[Row]
    regions: list[Row]
    parties: list[Row]
    sources: list[Row]
    hourly: list[tuple[datetime, int]]  # UK time, the last RECENT_HOURS
    daily: list[tuple[datetime, int]]  # UK dates, every day from the first letter
    # Copies to the campaign's additional fixed recipient (sent, failed), one row per
    # recipient the campaign has had; not part of any letter count above.
    copies: list[Row] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def constituency(self, key: str) -> Row | None:
        return next((r for r in self.constituencies if r.key == key or r.gss_code == key), None)


class FiguresCache(TtlLru):
    def __init__(self) -> None:
        super().__init__(max_entries=200, ttl_seconds=LOCAL_TTL_SECONDS)


def campaign_figures(campaign: CampaignSnapshot) -> Figures:
    """The campaign's figures, at most two seconds old."""
    cache: FiguresCache = current_registry().stats_figures
    key = (campaign.id, campaign.updated_at)
    cached = cache.get(key)
    if cached is None:
        cached = read_figures(campaign)
        cache.put(key, cached)
    return cached


def read_figures(campaign: CampaignSnapshot, now: datetime | None = None) -> Figures:
    """Read the counters once and build every breakdown from them."""
    now = now or utcnow()
    rows = db.session.execute(
        select(
            StatsCounter.dimension, StatsCounter.bucket, StatsCounter.metric, StatsCounter.value
        ).where(StatsCounter.campaign_id == campaign.id)
    ).all()
    seats: dict[str, Row] = {}
    sources: dict[str, Row] = {}
    hours: dict[str, int] = {}
    orgs: dict[str, int] = {}
    copies: dict[str, Row] = {}
    expired = confirmed = 0
    withdrawn = {"queued": 0, "accepted": 0}  # letters their address's owner disowned
    for dimension, bucket, metric, value in rows:
        if dimension == CONSTITUENCY:
            if metric == "expired":
                expired += value
            elif metric.startswith("withdrawn_") and metric[10:] in withdrawn:
                withdrawn[metric[10:]] += value
            elif metric == "confirmed":
                confirmed += value
            elif metric in METRIC_FIELDS:
                row = seats.setdefault(bucket, Row(bucket, ""))
                setattr(row, METRIC_FIELDS[metric], value)
        elif dimension == SOURCE and metric in METRIC_FIELDS:
            row = sources.setdefault(bucket, Row(bucket, bucket or "(no source code)"))
            setattr(row, METRIC_FIELDS[metric], value)
        elif dimension == HOUR:
            hours[bucket] = hours.get(bucket, 0) + value
        elif dimension == ORGANISATION:
            orgs[bucket] = value
        elif dimension == RECIPIENT and metric in ("sent", "failed"):
            row = copies.setdefault(bucket, Row(bucket, _copy_label(bucket, campaign)))
            setattr(row, metric, value)
    constituencies = _label_seats(seats)
    total = Row("all", "All")
    for row in constituencies:
        total.add(row)
    nations = _group(constituencies, _nation)
    regions = _group([r for r in constituencies if r.nation == "England"], _region)
    parties = _group(constituencies, _party)
    ordered_sources = sorted(sources.values(), key=lambda r: (-r.sent, r.label))
    protect(total, constituencies, nations, regions, parties, ordered_sources)
    return Figures(
        campaign_id=campaign.id,
        slug=campaign.slug,
        title=campaign.title,
        debate_at=campaign.debate_at,
        read_at=now,
        headline=_headline(total, constituencies, expired, withdrawn, confirmed, campaign),
        opt_ins=[
            (o["slug"], o.get("name", o["slug"]), orgs.get(o["slug"], 0))
            for o in campaign.organisations
        ],
        constituencies=constituencies,
        nations=nations,
        regions=regions,
        parties=parties,
        sources=ordered_sources,
        hourly=_hourly(hours, now),
        daily=_daily(hours, now, campaign.debate_at),
        copies=sorted(copies.values(), key=lambda r: r.label),
    )


def protect(total, constituencies, nations, regions, parties, sources) -> None:
    """Withhold, in place, what small groups did beyond writing (disclosure.py): the campaign,
    its parties and their seats are one tree; nations and regions cross it, and the counters
    do not split these figures by source."""
    disclosure.protect(total, parties, constituencies, _party)
    disclosure.withhold_everywhere([*nations, *regions, *sources])


def _copy_label(key: str, campaign: CampaignSnapshot) -> str:
    """The copy recipient's name, while the campaign still names it; else its address."""
    also = campaign.copy_target
    if also and key == f"fixed:{also['email'].lower()}":
        return also["name"]
    return key.removeprefix("fixed:")


def _headline(
    total: Row, seats: list[Row], expired: int, withdrawn: dict, confirmed: int, campaign
) -> Headline:
    # A withdrawn letter was accepted (and perhaps queued) and will never be sent: it is
    # neither held for a confirmation nor waiting to be sent.
    return Headline(
        accepted=total.accepted,
        held=max(total.accepted - total.queued - expired - withdrawn["accepted"], 0),
        queued=total.queued,
        pending=max(total.queued - total.sent - total.failed - withdrawn["queued"], 0),
        sent=total.sent,
        failed=total.failed,
        confirmed=confirmed if campaign.require_confirmation else None,
        constituencies_reached=sum(1 for r in seats if r.sent and r.key != "0"),
        personalised=total.personalised,
        personalised_share=total.personalised_share,
        reply_answers=total.answered,
        replied=total.replied,
        reply_rate=total.reply_rate,
    )


def _label_seats(seats: dict[str, Row]) -> list[Row]:
    snapshot = current_registry().directory_snapshot.get()
    for key, row in seats.items():
        seat = snapshot.by_id.get(int(key)) if key.isdigit() else None
        if seat is None:
            row.label = "No constituency" if key == "0" else f"Constituency {key}"
            continue
        row.label, row.gss_code = seat.name, seat.gss_code or ""
        row.nation, row.region = seat.nation or "", seat.region or ""
        if seat.member is not None:
            row.mp, row.party = seat.member.display_name, seat.member.party_name or ""
    return sorted(seats.values(), key=lambda r: (-r.sent, r.label))


def _nation(row: Row) -> str:
    return row.nation or "Unknown"


def _region(row: Row) -> str | None:
    return row.region if row.nation == "England" else None


def _party(row: Row) -> str:
    return row.party or "No party recorded"


def _group(rows: list[Row], key) -> list[Row]:
    groups: dict[str, Row] = {}
    for row in rows:
        name = key(row)
        if not name:
            continue
        groups.setdefault(name, Row(name, name)).add(row)
    return sorted(groups.values(), key=lambda r: (-r.sent, r.label))


def _utc_hour(bucket: str) -> datetime | None:
    try:
        return datetime.strptime(bucket, "%Y-%m-%dT%H").replace(tzinfo=UTC)
    except ValueError:
        return None


def _hourly(hours: dict[str, int], now: datetime) -> list[tuple[datetime, int]]:
    end = now.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
    series = []
    for back in range(RECENT_HOURS - 1, -1, -1):
        moment = end - timedelta(hours=back)
        series.append((moment.astimezone(UK), hours.get(moment.strftime("%Y-%m-%dT%H"), 0)))
    return series


def _daily(
    hours: dict[str, int], now: datetime, debate_at: datetime | None
) -> list[tuple[datetime, int]]:
    """Every day from the first letter to today, and on to the debate if it is within a month,
    so quiet days show as nought and the debate's day is on the chart before it comes."""
    days: dict = defaultdict(int)
    for bucket, value in hours.items():
        moment = _utc_hour(bucket)
        if moment is not None:
            days[moment.astimezone(UK).date()] += value
    if not days:
        return []
    first = min(days)
    last = max(max(days), now.replace(tzinfo=UTC).astimezone(UK).date())
    if debate_at is not None and last < debate_at.date() <= last + timedelta(days=31):
        last = debate_at.date()
    series = []
    while first <= last:
        series.append((datetime(first.year, first.month, first.day), days.get(first, 0)))
        first += timedelta(days=1)
    return series


def constituency_daily(campaign_id: int, constituency_id: int) -> list[tuple]:
    """Letters delivered to one seat's MP per UK day, from the per-day counts the workers keep."""
    from sqlalchemy import func

    from action_app.models import ParticipationCount

    return [
        (day, int(letters))
        for day, letters in db.session.execute(
            select(ParticipationCount.day, func.sum(ParticipationCount.letters))
            .where(
                ParticipationCount.campaign_id == campaign_id,
                ParticipationCount.constituency_id == constituency_id,
            )
            .group_by(ParticipationCount.day)
            .order_by(ParticipationCount.day)
        )
    ]
