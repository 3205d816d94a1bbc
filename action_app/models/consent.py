"""Each opt-in a supporter gave: which organisation, the exact words they ticked, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from action_app.extensions import db
from action_app.models.letter import BigId
from action_app.models.types import utcnow


class OptInRecord(db.Model):
    """Kept as evidence of consent; once the letter's personal data is scrubbed, it no longer
    says who (``letter_id`` is emptied), only what was agreed to and when."""

    __tablename__ = "opt_in_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    organisation_slug: Mapped[str] = mapped_column(String(64))
    organisation_name: Mapped[str] = mapped_column(String(200))
    wording: Mapped[str] = mapped_column(Text)
    given_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_opt_in_records_letter", "letter_id"),)
