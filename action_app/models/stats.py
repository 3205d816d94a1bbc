"""What the organisers' dashboard reads: counters kept by the workers, reply checks, opt-in
records and the stats API's tokens. None of it is read by scanning letters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from action_app.extensions import db
from action_app.models.types import utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class ReplyCheckStatus(StrEnum):
    OPTED_OUT = "opted_out"  # the supporter said no when sending: never asked
    WAITING = "waiting"  # the letter is not delivered yet
    DUE = "due"  # delivered: ask once the campaign's delay has passed
    SENDING = "sending"  # claimed by the beat task (a lease)
    ASKED = "asked"


class ReplyAnswer(StrEnum):
    REPLIED = "replied"
    NOT_YET = "not_yet"
    ACKNOWLEDGEMENT = "acknowledgement"  # only an automatic acknowledgement


def _one_of(column: str, enum: type[StrEnum], nullable: bool = False) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    rule = f"{column} IN ({values})"
    return CheckConstraint(f"{column} IS NULL OR {rule}" if nullable else rule, name=column)


class StatsCounter(db.Model):
    """One number the dashboard shows, kept by upserts in the transaction that changes it.

    ``dimension`` says what ``bucket`` is: ``constituency`` (its id, "0" for none), ``source``
    (the source code, "" for none), ``hour`` (UTC, "YYYY-MM-DDTHH") or ``organisation`` (slug).
    Each dimension's rows stay few (650 seats, a campaign's hours), so a dashboard reads a few
    thousand rows at most however many letters there are."""

    __tablename__ = "stats_counters"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64), primary_key=True)
    metric: Mapped[str] = mapped_column(String(24), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class ReplyCheck(db.Model):
    """The "did your MP reply?" email for one letter, and the supporter's answer."""

    __tablename__ = "reply_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    letter_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("letters.id", ondelete="CASCADE"), unique=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    constituency_id: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    language: Mapped[str] = mapped_column(String(8), default="en")
    letter_sent_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    asked_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_reply_checks_due", "status", "campaign_id", "letter_sent_at"),
        _one_of("status", ReplyCheckStatus),
        _one_of("answer", ReplyAnswer, nullable=True),
    )


class OptInRecord(db.Model):
    """A supporter's opt-in to one organisation, with the exact words they agreed to."""

    __tablename__ = "opt_in_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    letter_id: Mapped[int] = mapped_column(BigId, ForeignKey("letters.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    organisation: Mapped[str] = mapped_column(String(64))
    organisation_name: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)
    opted_in_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_opt_in_records_campaign_org", "campaign_id", "organisation", "id"),
        Index("uq_opt_in_records_letter_org", "letter_id", "organisation", unique=True),
    )


class ApiToken(db.Model):
    """A stats API token issued to an organiser; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
