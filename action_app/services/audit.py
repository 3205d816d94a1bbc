"""The audit log of staff actions: written by the services that act, read by admins."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import AuditEvent, StaffUser
from action_app.models.types import utcnow

# The actions the log knows, for the admins' filter.
ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "two_factor_enabled",
    "recovery_code_used",
    "password_changed",
    "password_reset_requested",
    "staff_invited",
    "staff_changed",
    "campaign_saved",
    "campaign_restored",
    "campaign_status",
    "campaign_test_send",
    "mp_email_override",
    "message_retried",
    "message_released",
    "message_rejected",
    "directory_sync",
)


def client_address() -> str:
    """The address the request came from (the proxy's ProxyFix, if any, has set it)."""
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def record(
    action: str,
    subject: str = "",
    *,
    actor: StaffUser | None = None,
    actor_email: str | None = None,
    details: dict | None = None,
    note: str = "",
) -> AuditEvent:
    """Add one event; the actor is the signed-in person unless given."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=(actor.email if actor else actor_email or "")[:254],
        action=action,
        subject=subject[:300],
        client_address=client_address(),
        details=details or {},
        note=note,
    )
    db.session.add(event)
    db.session.flush()
    return event


def count_since(action: str, since: datetime, *, subject=None, address=None) -> int:
    """How many events of a kind since a time, for one subject or one client address."""
    query = select(func.count(AuditEvent.id)).where(
        AuditEvent.action == action, AuditEvent.created_at > since
    )
    if subject is not None:
        query = query.where(AuditEvent.subject == subject)
    if address is not None:
        query = query.where(AuditEvent.client_address == address)
    return db.session.scalar(query) or 0


def recent(action: str = "", actor: str = "", days: int = 30, limit: int = 500) -> list[AuditEvent]:
    """The newest events, filtered by action and by who acted (part of an email)."""
    query = select(AuditEvent).where(AuditEvent.created_at > utcnow() - timedelta(days=days))
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor_email.contains(actor.strip().lower()))
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
