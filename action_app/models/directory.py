"""The MP directory: constituencies and the Members who sit for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from action_app.extensions import db
from action_app.models.types import utcnow


class Constituency(db.Model):
    __tablename__ = "constituencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The ONS GSS code (E14…, S14…, W07…, N05…). The Members API has none, so it is learned from
    # a CSV import or from the first postcodes.io answer that names this seat.
    gss_code: Mapped[str | None] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The normalised name joins sources that spell seats differently; see services/names.py.
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    nation: Mapped[str | None] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(64))
    members_api_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="constituency")

    def __repr__(self) -> str:
        return f"<Constituency {self.gss_code or '?'} {self.name!r}>"


class Member(db.Model):
    __tablename__ = "members"

    # The Members API's own id, so a re-sync updates rather than duplicates.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    display_name: Mapped[str] = mapped_column(String(200))
    list_name: Mapped[str | None] = mapped_column(String(200))
    full_title: Mapped[str] = mapped_column(String(300))
    address_as: Mapped[str] = mapped_column(String(200))
    party_name: Mapped[str | None] = mapped_column(String(120))
    party_abbreviation: Mapped[str | None] = mapped_column(String(32))
    party_colour: Mapped[str | None] = mapped_column(String(9))
    email: Mapped[str | None] = mapped_column(String(254))
    thumbnail_url: Mapped[str | None] = mapped_column(String(300))
    constituency_id: Mapped[int | None] = mapped_column(ForeignKey("constituencies.id"))
    is_current: Mapped[bool] = mapped_column(default=True)
    # Set by staff: used instead of the source's address, and kept through every later sync.
    email_override: Mapped[str | None] = mapped_column(String(254))
    email_override_note: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)

    constituency: Mapped[Constituency | None] = relationship(back_populates="members")

    __table_args__ = (
        # At most one sitting Member per seat.
        Index(
            "uq_members_current_seat",
            "constituency_id",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.display_name!r}>"


class DirectoryUpdate(db.Model):
    """One completed sync or import; the newest id is the directory's version."""

    __tablename__ = "directory_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
