"""Admins issue and revoke stats API tokens; a new token is shown once, on the next page."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from action_app.extensions import db
from action_app.staff.forms import StaffForm
from action_app.staff_access import requires_role
from action_app.stats import access
from action_app.stats.tokens import issue_token, list_tokens, revoke_token
from action_app.stats.views import bp


class IssueTokenForm(StaffForm):
    staff_user_id = SelectField("Organiser", coerce=int, validators=[DataRequired()])
    label = StringField(
        "What the token is for",
        validators=[DataRequired("Say what the token is for"), Length(max=100)],
    )


class RevokeForm(StaffForm):
    pass


@bp.route("/tokens", methods=["GET", "POST"])
@requires_role(*access.ADMINS)
def tokens():
    user = access.current_staff()
    form = IssueTokenForm()
    people = access.staff_choices()
    form.staff_user_id.choices = people
    shown_once = None
    if request.method == "POST" and form.validate():
        _, shown_once = issue_token(form.staff_user_id.data, form.label.data, access.email_of(user))
        db.session.commit()
        form = IssueTokenForm(formdata=None)
        form.staff_user_id.choices = people
    status = 400 if form.errors else 200
    return render_template(
        "stats/tokens.html",
        form=form,
        tokens=list_tokens(),
        names=dict(people),
        shown_once=shown_once,
        revoke_form=RevokeForm(),
    ), status


@bp.post("/tokens/<id:token_id>/revoke")
@requires_role(*access.ADMINS)
def revoke(token_id: int):
    if not RevokeForm().validate():
        abort(400)
    revoke_token(token_id)
    db.session.commit()
    return redirect(url_for("stats.tokens"))
