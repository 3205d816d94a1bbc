"""Campaigns (the action a supporter takes) and their revision history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from action_app.extensions import db
from action_app.models.statuses import CampaignStatus, one_of
from action_app.models.types import JsonDocument, utcnow


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT, index=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    intro_markdown: Mapped[str] = mapped_column(Text, default="")
    # Naive UTC, shown in Europe/London.
    debate_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    # {"type": "constituency_mp", "nations": [...]} or
    # {"type": "fixed", "name": ..., "email": ..., "nations": [...]}
    target: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    subject_template: Mapped[str] = mapped_column(Text, default="")
    body_template: Mapped[str] = mapped_column(Text, default="")
    # More subject lines: each letter gets one of these or subject_template, at random.
    subject_alternatives: Mapped[list] = mapped_column(JsonDocument, default=list)
    # {"subject_template": ..., "body_template": ...}: the letter for constituents of the MPs
    # listed in target["exclude"] (those who already back the cause), e.g. a thank-you.
    alternative: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    # When a paused campaign expects to reopen (shown on its page); naive UTC.
    reopens_at: Mapped[datetime | None]
    personal_prompt: Mapped[str] = mapped_column(Text, default="")
    body_editable: Mapped[bool] = mapped_column(default=False)
    require_confirmation: Mapped[bool] = mapped_column(default=False)
    thank_you_text: Mapped[str] = mapped_column(Text, default="")
    share_text: Mapped[str] = mapped_column(Text, default="")
    # [{"slug": ..., "name": ..., "statement": ..., "privacy_url": ..., "logo_url": ...}]
    organisations: Mapped[list] = mapped_column(JsonDocument, default=list)
    # How many letters the campaign hopes for (a progress bar on its page), if it says.
    goal: Mapped[int | None]
    # The picture shown when the campaign is shared (Open Graph / Twitter card), https only.
    share_image_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Partner sites that may show the campaign in an iframe (CSP frame-ancestors), as origins.
    embed_origins: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Other languages' versions of the public text, subject and letter: {"cy": {"title": ...}}.
    translations: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # Days after a letter is delivered before its supporter is asked whether the MP replied.
    reply_check_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # Letter checks and the seat-check limit (docs/campaign-format.md, "safeguards").
    safeguards: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    # Pacing (services/pacing.py): at most this many letters an hour to each MP (None: no
    # limit), and only between {"from": "09:00", "to": "17:30"} UK time (None: any time).
    letters_per_mp_per_hour: Mapped[int | None]
    sending_hours: Mapped[dict | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    revisions: Mapped[list[CampaignRevision]] = relationship(
        back_populates="campaign", order_by="CampaignRevision.id", cascade="all, delete-orphan"
    )

    __table_args__ = (one_of("status", CampaignStatus),)

    def __repr__(self) -> str:
        return f"<Campaign {self.slug} {self.status}>"


class CampaignRevision(db.Model):
    """Who changed what, and when; ``changes`` maps each field to [before, after]."""

    __tablename__ = "campaign_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(254))
    changes: Mapped[dict] = mapped_column(JsonDocument, default=dict)

    campaign: Mapped[Campaign] = relationship(back_populates="revisions")
