"""Who may see which campaign's figures: the one place the stats pages, exports and API ask.

Organisers see the campaigns assigned to them, editors and admins see every campaign (the
staff sign-in's rules, in staff_access.py), and only admins download supporters' opt-ins or
manage API tokens. Anyone not signed in is sent to sign in and sees nothing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from flask_login import current_user
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign, StaffRole, StaffUser
from action_app.staff_access import ALL_STAFF, campaigns_visible_to, can_view_campaign

STAFF = ALL_STAFF  # the roles that may open the figures pages at all
ADMINS = (StaffRole.ADMIN,)


def current_staff() -> Any | None:
    """The signed-in staff member, or None."""
    return current_user if current_user and current_user.is_authenticated else None


def can_view(user: Any | None, campaign_id: int) -> bool:
    """May this staff member see this campaign's figures?"""
    return can_view_campaign(user, SimpleNamespace(id=campaign_id))


def is_admin(user: Any | None) -> bool:
    return bool(user is not None and user.is_active and user.role == StaffRole.ADMIN)


def visible_campaigns(user: Any | None) -> list[Campaign]:
    """The campaigns this person may see."""
    return campaigns_visible_to(user)


def staff_by_id(user_id: int) -> StaffUser | None:
    """The staff member an API token belongs to, or None if the account is gone or disabled."""
    user = db.session.get(StaffUser, user_id)
    return user if user is not None and user.is_active else None


def staff_choices() -> list[tuple[int, str]]:
    """(id, email) of every active staff member an admin could issue a token to."""
    rows = db.session.execute(
        select(StaffUser.id, StaffUser.email, StaffUser.role)
        .where(StaffUser.is_active.is_(True))
        .order_by(StaffUser.email)
    )
    return [(ident, f"{email} ({role})") for ident, email, role in rows]


def email_of(user: Any) -> str:
    return getattr(user, "email", "") or ""
