"""Who may see which campaign's figures: the one place the stats pages and exports ask.

Organisers see the campaigns assigned to them, editors and admins see every campaign, and only
admins download supporters' opt-ins or manage API tokens. Anyone not signed in is sent to sign
in, and sees nothing.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign


def current_staff() -> Any | None:
    """The signed-in staff member, or None."""
    return None


def require_staff() -> Any:
    """The signed-in staff member; anyone else is stopped here."""
    user = current_staff()
    if user is None:
        abort(401)
    return user


def can_view(user: Any | None, campaign_id: int) -> bool:
    """May this staff member see this campaign's figures?"""
    return False


def is_admin(user: Any | None) -> bool:
    return False


def visible_campaigns(user: Any | None) -> list[Campaign]:
    """The campaigns this person may see, newest first."""
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).all()
    return [c for c in campaigns if can_view(user, c.id)]


def staff_by_id(user_id: int) -> Any | None:
    """The staff member an API token belongs to, or None if the account is gone or disabled."""
    return None


def staff_choices() -> list[tuple[int, str]]:
    """(id, email) of every staff member an admin could issue a token to."""
    return []


def email_of(user: Any) -> str:
    return getattr(user, "email", "") or ""
