"""Admins: the people on the staff, invitations, roles, deactivation, campaign assignment."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from action_app.extensions import db
from action_app.inputs import database_id
from action_app.models import StaffRole, StaffUser
from action_app.services import audit, staff_admin, staff_auth, staff_links
from action_app.services.staff_auth import StaffError
from action_app.staff import bp
from action_app.staff.auth_views import error_items
from action_app.staff.form_tokens import EXPIRED, checks_own_token
from action_app.staff.forms import InviteForm, PersonForm
from action_app.staff_access import campaigns_visible_to, requires_role


@bp.route("/people")
@requires_role(StaffRole.ADMIN)
def people():
    return render_template("staff/people.html", people=staff_admin.list_staff())


def _invite_expired():
    """The invitation as typed, not sent, when its form token had only expired."""
    page = render_template(
        "staff/invite.html", form=InviteForm(), problem=EXPIRED.format(button="Send invitation")
    )
    return page, 400


@bp.route("/people/invite", methods=["GET", "POST"])
@requires_role(StaffRole.ADMIN)
@checks_own_token(_invite_expired)
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = staff_auth.create_staff(form.email.data, form.role.data, name=form.name.data)
        except StaffError as exc:
            form.email.errors = [str(exc)]
        else:
            audit.record("staff_invited", user.email, details={"role": user.role})
            db.session.commit()
            link = staff_links.link_for(user, "invite")
            inviter = current_user.name or current_user.email
            if staff_links.send_link(user, "invite", link, inviter=inviter):
                flash(f"Invitation sent to {user.email}. The link works once, for 7 days.")
            else:
                flash(
                    f"The invitation email to {user.email} could not be sent. Try again "
                    "from their page later."
                )
            return redirect(url_for("staff.person", user_id=user.id))
    return render_template("staff/invite.html", form=form, errors=error_items(form))


@bp.route("/people/<id:user_id>", methods=["GET", "POST"])
@requires_role(StaffRole.ADMIN)
def person(user_id: int):
    user = db.session.get(StaffUser, user_id) or abort(404)
    form = PersonForm(obj=None if request.method == "POST" else user)
    campaigns = campaigns_visible_to(current_user)
    chosen = {c.id for c in user.campaigns}
    problem = None
    if form.validate_on_submit():
        chosen = {database_id(v) for v in request.form.getlist("campaigns")} - {None}
        try:
            changes = staff_admin.update_staff(
                current_user._get_current_object(),
                user,
                form.role.data,
                form.is_active.data,
                sorted(chosen),
            )
        except StaffError as exc:
            db.session.rollback()
            problem = str(exc)
        else:
            db.session.commit()
            flash(("Saved: " + "; ".join(changes)) if changes else "Nothing changed.")
            return redirect(url_for("staff.person", user_id=user.id))
    return render_template(
        "staff/person.html",
        person=user,
        form=form,
        campaigns=campaigns,
        chosen=chosen,
        problem=problem,
        errors=error_items(form),
    )


@bp.route("/people/<id:user_id>/resend", methods=["POST"])
@requires_role(StaffRole.ADMIN)
def resend_invite(user_id: int):
    from action_app.staff.forms import PlainForm

    user = db.session.get(StaffUser, user_id) or abort(404)
    if not PlainForm().validate_on_submit():
        abort(400)
    purpose = "reset" if user.password_hash else "invite"
    link = staff_links.link_for(user, purpose)
    sent = staff_links.send_link(user, purpose, link, inviter=current_user.email)
    flash(f"Email sent to {user.email}." if sent else "The email could not be sent.")
    return redirect(url_for("staff.person", user_id=user.id))
