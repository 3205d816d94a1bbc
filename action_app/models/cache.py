"""A key/value table: the embedded mode's cache, where production uses Redis."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from action_app.extensions import db


class CacheEntry(db.Model):
    __tablename__ = "cache_entries"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
