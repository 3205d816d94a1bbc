"""A supporter's action (their letter) and the emails it causes, and participation counts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from action_app.extensions import db
from action_app.models.types import JsonDocument, utcnow

# draft: written, not yet sent (only the supporter's browser knows it)
# awaiting_confirmation: sent, but the campaign wants the email address confirmed first
# confirmed: the letter and the receipt are queued or sent
ACTION_STATUSES = ("draft", "awaiting_confirmation", "confirmed")
SUBMITTED = ("awaiting_confirmation", "confirmed")

# pending → sending (claimed by one worker) → sent | failed; a transient failure puts a
# message back to pending with a later next_attempt_at.
MESSAGE_STATUSES = ("pending", "sending", "sent", "failed")
MESSAGE_KINDS = ("mp", "receipt", "confirmation", "failure_notice")

BigId = BigInteger().with_variant(Integer(), "sqlite")


class Action(db.Model):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The letter's address in URLs; unguessable, and shown only to the browser that wrote it.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    # The hidden token of the form that created it: a second POST of the same form finds it.
    form_token: Mapped[str] = mapped_column(String(64), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(24), default="draft")

    # Who it goes to, decided on the server.
    recipient_key: Mapped[str] = mapped_column(String(300))
    recipient_name: Mapped[str] = mapped_column(String(300))
    recipient_email: Mapped[str] = mapped_column(String(254))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    constituency_id: Mapped[int | None] = mapped_column(ForeignKey("constituencies.id"))

    # The supporter and their letter.
    supporter_name: Mapped[str] = mapped_column(String(100))
    supporter_email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    address_line_1: Mapped[str] = mapped_column(String(100))
    address_line_2: Mapped[str] = mapped_column(String(100), default="")
    town: Mapped[str] = mapped_column(String(60))
    postcode: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300))
    body_before: Mapped[str] = mapped_column(Text)
    personal_paragraph: Mapped[str] = mapped_column(Text, default="")
    body_after: Mapped[str] = mapped_column(Text, default="")
    opt_ins: Mapped[list] = mapped_column(JsonDocument, default=list)
    source: Mapped[str | None] = mapped_column(String(64))
    # The version of the consent wording the supporter agreed to (services/consent.py).
    consent_version: Mapped[str | None] = mapped_column(String(32))
    # When the supporter's details and words were removed (services/scrub.py); the row stays
    # for the counts and the MP-level figures.
    scrubbed_at: Mapped[datetime | None]

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]

    messages: Mapped[list[OutboundMessage]] = relationship(
        back_populates="action", order_by="OutboundMessage.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        # One letter per supporter per campaign per recipient, counting only letters sent.
        Index(
            "uq_actions_one_per_supporter",
            "campaign_id",
            "recipient_key",
            "email_key",
            unique=True,
            postgresql_where=text("status <> 'draft'"),
            sqlite_where=text("status <> 'draft'"),
        ),
        Index("ix_actions_campaign_status", "campaign_id", "status"),
        Index("ix_actions_status_created", "status", "created_at"),
    )


class OutboundMessage(db.Model):
    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    action: Mapped[Action] = relationship(back_populates="messages")

    __table_args__ = (
        Index("ix_outbound_messages_action", "action_id"),
        # The sweep's question: what is due? Only unfinished rows are indexed.
        Index(
            "ix_outbound_messages_due",
            "status",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
    )


class ParticipationCount(db.Model):
    """Letters delivered to MPs, per campaign, day, constituency and source (0 / '' for none)."""

    __tablename__ = "participation_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    constituency_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    letters: Mapped[int] = mapped_column(default=0)
