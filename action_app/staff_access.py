"""Who may use which staff route. Every staff view declares its roles with ``requires_role``;
a blueprint guarded by ``guard_blueprint`` refuses any view that forgot to (fail closed), and
``declared_routes`` lists every declaration for the role-matrix test."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from action_app.extensions import db, login_manager
from action_app.models import Campaign, StaffRole, StaffUser

ALL_STAFF = (StaffRole.ADMIN, StaffRole.EDITOR, StaffRole.ORGANISER)
MANAGERS = (StaffRole.ADMIN, StaffRole.EDITOR)
# Marks the pages anyone may open (sign-in, accepting an invitation, resetting a password).
PUBLIC = "public"
NO_STORE = "no-store, private, max-age=0"
STAFF_PREFIX = "/staff"
SESSION_HOURS = 12
_ROLES_ATTR = "staff_roles"


def requires_role(*roles: StaffRole | str) -> Callable:
    """Only signed-in, active staff with one of these roles may use the view. Anonymous
    visitors are sent to sign in (pages) or answered 401 (JSON API); others get 403."""
    allowed = frozenset(StaffRole(r) for r in roles) if roles else frozenset(ALL_STAFF)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            refusal = _refusal(allowed)
            if refusal is not None:
                return refusal
            return _no_store(make_response(view(*args, **kwargs)))

        setattr(wrapper, _ROLES_ATTR, allowed)
        return wrapper

    return decorate


def public_staff_page(view: Callable) -> Callable:
    """A staff page open to anyone (it asks for credentials itself); never cached."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return _no_store(make_response(view(*args, **kwargs)))

    setattr(wrapper, _ROLES_ATTR, PUBLIC)
    return wrapper


def can_view_campaign(user, campaign: Campaign) -> bool:
    """Admins and editors see every campaign; organisers only those assigned to them."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role in (StaffRole.ADMIN, StaffRole.EDITOR):
        return True
    return any(c.id == campaign.id for c in user.campaigns)


def campaigns_visible_to(user) -> list[Campaign]:
    """The campaigns this person may see, by title."""
    if can_manage(user):
        return list(db.session.scalars(select(Campaign).order_by(Campaign.title)))
    if user is not None and getattr(user, "is_authenticated", False) and user.is_active:
        return list(user.campaigns)
    return []


def can_manage(user) -> bool:
    """Editors and admins: campaigns, the directory, the outbox, supporters' details."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role in (StaffRole.ADMIN, StaffRole.EDITOR)
    )


def guard_blueprint(bp: Blueprint) -> None:
    """Refuse (404) any view of this blueprint that declares no role, so a forgotten
    decorator closes the route rather than opening it."""

    @bp.before_request
    def _declared_only():
        view = current_app.view_functions.get(request.endpoint or "")
        if view is not None and not hasattr(view, _ROLES_ATTR):
            abort(404)


def declared_routes(app: Flask) -> dict[str, frozenset[StaffRole] | str]:
    """Endpoint → the roles it allows (or ``PUBLIC``), for every view that declares them."""
    return {
        endpoint: getattr(view, _ROLES_ATTR)
        for endpoint, view in app.view_functions.items()
        if hasattr(view, _ROLES_ATTR)
    }


def init_login(app: Flask) -> None:
    """Flask-Login: sessions name the account and its session version."""
    # Flask-Login's own context processor loads the user while rendering every page, which
    # reads the session and adds "Vary: Cookie" to public pages; this proxy stays lazy.
    login_manager.init_app(app, add_context_processor=False)
    app.context_processor(lambda: {"current_user": current_user})
    login_manager.login_view = "staff.sign_in"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)

    @app.after_request
    def _staff_never_cached(response):
        # By path, not by session: touching the session on public pages would add
        # "Vary: Cookie" and keep them out of the shared cache.
        if request.path.startswith(STAFF_PREFIX):
            response.headers["Cache-Control"] = NO_STORE
        return response


def _load_user(user_id: str) -> StaffUser | None:
    try:
        ident, version = (int(part) for part in user_id.split(":", 1))
    except ValueError:
        return None
    hours = current_app.config.get("STAFF_SESSION_HOURS", SESSION_HOURS)
    started = session.get("signed_in_at")
    if not isinstance(started, int | float) or time.time() - started > hours * 3600:
        return None  # a sign-in lasts a working day at most, however active
    user = db.session.get(StaffUser, ident)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def _refusal(allowed: frozenset[StaffRole]):
    if not current_user.is_authenticated:
        if _wants_json():
            return _no_store(make_response(jsonify(error="Sign in first."), 401))
        return redirect(url_for("staff.sign_in", next=request.full_path.rstrip("?")))
    if current_user.role not in allowed:
        if _wants_json():
            return _no_store(make_response(jsonify(error="Your role cannot do this."), 403))
        abort(403)
    if (
        current_user.role == StaffRole.ADMIN
        and not current_user.totp_enabled
        and request.endpoint not in ("staff.two_factor", "staff.sign_out")
    ):
        # Admins must use a second factor: nothing else until it is set up.
        return redirect(url_for("staff.two_factor"))
    return None


def _wants_json() -> bool:
    return request.path.startswith("/api/") or (request.accept_mimetypes.best == "application/json")


def _no_store(response):
    response.headers["Cache-Control"] = NO_STORE
    return response
