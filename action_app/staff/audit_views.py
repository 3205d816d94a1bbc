"""The audit log, for admins: who did what, when, from where; filtered by action and person."""

from __future__ import annotations

from flask import render_template, request

from action_app.inputs import search_text, whole_number
from action_app.models import StaffRole
from action_app.services import audit
from action_app.staff import bp
from action_app.staff_access import requires_role


@bp.route("/audit")
@requires_role(StaffRole.ADMIN)
def audit_log():
    action = request.args.get("action", "")
    if action not in audit.ACTIONS:
        action = ""
    actor = search_text(request.args.get("actor"), 254)
    days = whole_number(request.args.get("days"), 1, 3650) or 30
    return render_template(
        "staff/audit.html",
        events=audit.recent(action, actor, days),
        action=action,
        actor=actor,
        days=days,
        actions=audit.ACTIONS,
    )
