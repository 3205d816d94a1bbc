"""What admins do to other people's accounts: roles, deactivation, campaign assignment."""

from __future__ import annotations

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign, StaffRole, StaffUser
from action_app.services import audit
from action_app.services.staff_auth import StaffError, end_sessions


def list_staff() -> list[StaffUser]:
    """Everyone, active first, by email."""
    return list(
        db.session.scalars(select(StaffUser).order_by(StaffUser.is_active.desc(), StaffUser.email))
    )


def update_staff(
    admin: StaffUser, user: StaffUser, role: str, is_active: bool, campaign_ids: list[int]
) -> list[str]:
    """Change a person's role, whether they can sign in, and their campaigns; return what
    changed. Deactivating or changing the role ends their sessions."""
    role = StaffRole(role)
    if user.id == admin.id and (role != StaffRole.ADMIN or not is_active):
        raise StaffError("You cannot remove your own admin role or deactivate yourself.")
    changes = []
    if user.role != role:
        changes.append(f"role {user.role} → {role}")
        user.role = role.value
    if user.is_active != is_active:
        changes.append("reactivated" if is_active else "deactivated")
        user.is_active = is_active
    wanted = sorted(set(campaign_ids)) if role == StaffRole.ORGANISER else []
    if sorted(c.id for c in user.campaigns) != wanted:
        campaigns = (
            list(db.session.scalars(select(Campaign).where(Campaign.id.in_(wanted))))
            if wanted
            else []
        )
        user.campaigns = campaigns
        changes.append("campaigns: " + (", ".join(c.slug for c in campaigns) or "none"))
    if any(c.startswith(("role", "deactivated")) for c in changes):
        end_sessions(user)
    if changes:
        audit.record("staff_changed", user.email, actor=admin, details={"changes": changes})
    db.session.flush()
    return changes
