"""Signing in (password, then the second factor where there is one) and signing out."""

from __future__ import annotations

import secrets
import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from action_app.extensions import db
from action_app.models import StaffUser
from action_app.services import audit, staff_auth, two_factor
from action_app.staff import bp
from action_app.staff.forms import CodeForm, PlainForm, SignInForm
from action_app.staff_access import ALL_STAFF, public_staff_page, requires_role

PENDING = "staff_pending"
PENDING_SECONDS = 300


def safe_next(value: str | None) -> str:
    """Only a path on this site under /staff, never another site."""
    if value and value.startswith("/staff") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("staff.home")


def error_items(form) -> list[tuple[str, str]]:
    """(anchor, message) for the error summary, in the form's order."""
    return [(f"#{field.id}", field.errors[0]) for field in form if field.errors]


@bp.route("/sign-in", methods=["GET", "POST"])
@public_staff_page
def sign_in():
    form = SignInForm()
    problem = None
    limited = False
    if form.validate_on_submit():
        outcome = staff_auth.authenticate(form.email.data, form.password.data)
        if outcome.user is not None:
            return _after_password(outcome.user)
        db.session.commit()  # keep the record of the failure
        problem, limited = outcome.problem, outcome.limited
    return render_template(
        "staff/sign_in.html",
        form=form,
        problem=problem,
        limited=limited,
        errors=error_items(form),
        next=request.args.get("next", ""),
    ), (429 if limited else 200)


def _after_password(user: StaffUser):
    target = safe_next(request.args.get("next"))
    if user.totp_enabled:
        session.clear()
        session[PENDING] = [user.id, user.session_version, int(time.time()), target]
        db.session.commit()
        return redirect(url_for("staff.sign_in_code"))
    return _complete(user, target)


def _complete(user: StaffUser, target: str):
    # A fresh session: nothing from before sign-in (a planted session) carries over.
    session.clear()
    login_user(user)
    session["sid"] = secrets.token_urlsafe(16)
    session["signed_in_at"] = int(time.time())
    staff_auth.signed_in(user)
    db.session.commit()
    return redirect(target)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@public_staff_page
def sign_in_code():
    user, target = _pending_user()
    if user is None:
        flash("Sign in again: the time to enter your code ran out.")
        return redirect(url_for("staff.sign_in"))
    form = CodeForm()
    problem = limited = None
    if form.validate_on_submit():
        code = form.code.data.strip()
        if staff_auth.is_limited(user.email):
            limited = True
            problem = staff_auth.limited_message()
        elif two_factor.code_matches(user, code) or two_factor.use_recovery_code(user, code):
            return _complete(user, target)
        else:
            audit.record(
                "sign_in_failed", user.email, actor_email=user.email, details={"stage": "code"}
            )
            db.session.commit()
            problem = "The code is not right. Check your app and try the newest code."
    return render_template(
        "staff/sign_in_code.html", form=form, problem=problem, errors=error_items(form)
    ), (429 if limited else 200)


def _pending_user() -> tuple[StaffUser | None, str]:
    pending = session.get(PENDING)
    if not isinstance(pending, list) or len(pending) != 4:
        return None, ""
    ident, version, started, target = pending
    if time.time() - started > PENDING_SECONDS:
        session.pop(PENDING, None)
        return None, ""
    user = db.session.get(StaffUser, ident)
    if user is None or not user.is_active or user.session_version != version:
        return None, ""
    return user, safe_next(target)


@bp.route("/sign-out", methods=["POST"])
@requires_role(*ALL_STAFF)
def sign_out():
    user = current_user._get_current_object()
    staff_auth.end_sessions(user)
    audit.record("sign_out", user.email, actor=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out, on this device and every other.")
    return redirect(url_for("staff.sign_in"))


@bp.route("/")
@requires_role(*ALL_STAFF)
def home():
    return render_template("staff/home.html", sign_out_form=PlainForm())
