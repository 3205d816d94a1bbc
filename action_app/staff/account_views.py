"""Your own account: the second factor, your password; links from emails (invitation, reset)."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user, logout_user

from action_app import tasking
from action_app.extensions import db
from action_app.services import audit, staff_auth, staff_links
from action_app.services import two_factor as totp
from action_app.services.staff_auth import StaffError
from action_app.staff import bp
from action_app.staff.auth_views import error_items
from action_app.staff.forms import ChangePasswordForm, EnrolForm, NewPasswordForm, ResetRequestForm
from action_app.staff_access import ALL_STAFF, public_staff_page, requires_role

ENROL = "totp_enrol_secret"


@bp.route("/account/two-factor", methods=["GET", "POST"])
@requires_role(*ALL_STAFF)
def two_factor():
    user = current_user._get_current_object()
    secret = session.get(ENROL) or two_factor_secret()
    form = EnrolForm()
    problem = None
    if form.validate_on_submit():
        codes = totp.enable(user, secret, form.code.data)
        if codes is not None:
            session.pop(ENROL, None)
            db.session.commit()
            return render_template("staff/recovery_codes.html", codes=codes)
        problem = "The code is not right. Check the time on your phone, and enter the newest code."
    uri = totp.provisioning_uri(user, secret)
    return render_template(
        "staff/two_factor.html",
        form=form,
        problem=problem,
        errors=error_items(form),
        qr_svg=totp.qr_svg(uri),
        secret=secret,
        already=user.totp_enabled,
    )


def two_factor_secret() -> str:
    secret = totp.new_secret()
    session[ENROL] = secret
    return secret


@bp.route("/account/password", methods=["GET", "POST"])
@requires_role(*ALL_STAFF)
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    problem = None
    if form.validate_on_submit():
        if not staff_auth.authenticate(user.email, form.current.data).user:
            db.session.commit()
            form.current.errors = ["Your current password is not right"]
        else:
            staff_auth.set_password(user, form.password.data)
            db.session.commit()
            logout_user()
            session.clear()
            flash("Your password has changed. Sign in with it; every other session has ended.")
            return redirect(url_for("staff.sign_in"))
    return render_template(
        "staff/change_password.html", form=form, problem=problem, errors=error_items(form)
    )


@bp.route("/password-reset", methods=["GET", "POST"])
@public_staff_page
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # The same work and the same answer whoever the address belongs to, so neither the
        # page nor how long it takes tells who has an account: a worker looks the account up
        # and sends the link (an email sent here took an SMTP round trip for accounts only).
        key = staff_auth.address_key(form.email.data)
        if not staff_auth.too_many_resets(key):
            audit.record("password_reset_requested", key, actor_email=key)
            db.session.commit()
            tasking.dispatch(tasking.SEND_PASSWORD_RESET, key)
        return render_template("staff/reset_sent.html", email=form.email.data)
    return render_template("staff/reset_request.html", form=form, errors=error_items(form))


@bp.route("/password/<any(invite, reset):purpose>/<token>", methods=["GET", "POST"])
@public_staff_page
def choose_password(purpose: str, token: str):
    try:
        user = staff_links.read_token(token, purpose)
    except StaffError as exc:
        return render_template("staff/link_problem.html", reason=str(exc)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        staff_auth.set_password(user, form.password.data)
        db.session.commit()
        logout_user()
        session.clear()
        flash("Your password is set. Sign in with it now.")
        return redirect(url_for("staff.sign_in"))
    return render_template(
        "staff/choose_password.html",
        form=form,
        errors=error_items(form),
        user=user,
        purpose=purpose,
    )
