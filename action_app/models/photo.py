"""MPs' photos, fetched from the Members API at sync time and served from here, so the pages
load no image from another site (and the CSP can stay img-src 'self')."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from action_app.extensions import db
from action_app.models.types import utcnow


class MemberPhoto(db.Model):
    __tablename__ = "member_photos"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # The thumbnail address it came from: a new address means a new photo to fetch.
    source_url: Mapped[str] = mapped_column(String(300), default="")
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
