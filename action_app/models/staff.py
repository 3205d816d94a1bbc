"""Campaign staff: accounts, roles, which campaigns an organiser may see, and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from action_app.extensions import db
from action_app.models.campaign import Campaign
from action_app.models.types import JsonDocument, utcnow


class StaffRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    ORGANISER = "organiser"


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


staff_campaign_access = Table(
    "staff_campaign_access",
    db.metadata,
    Column(
        "staff_user_id",
        Integer,
        ForeignKey("staff_users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "campaign_id", Integer, ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    ),
)


class StaffUser(UserMixin, db.Model):
    """One person on the campaign staff. ``session_version`` is part of every session's user id:
    raising it ends every session of that person at once (sign-out, deactivation, new password)."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Normalised (see services/staff_auth.normalise_email), so one person has one account.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(default=True)
    # argon2id; None until an invited person chooses a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    session_version: Mapped[int] = mapped_column(default=1)
    # TOTP: the secret is kept from enrolment; the factor is on once a code has confirmed it.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    # The last time step accepted, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 digests of the unused recovery codes.
    recovery_codes: Mapped[list] = mapped_column(JsonDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]

    campaigns: Mapped[list[Campaign]] = relationship(
        secondary=staff_campaign_access, order_by="Campaign.title"
    )

    __table_args__ = (CheckConstraint(f"role IN ({_in(StaffRole)})", name="role"),)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def staff_role(self) -> StaffRole:
        return StaffRole(self.role)

    def __repr__(self) -> str:
        return f"<StaffUser {self.email} {self.role}>"


class AuditEvent(db.Model):
    """One staff action worth answering for later: who, what, to what, from where."""

    __tablename__ = "staff_audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Kept as text too, so the log still reads after an account is gone.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300), default="")
    client_address: Mapped[str] = mapped_column(String(64), default="")
    details: Mapped[dict] = mapped_column(JsonDocument, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_staff_audit_events_action_created", "action", "created_at"),
        Index("ix_staff_audit_events_created", "created_at"),
    )
