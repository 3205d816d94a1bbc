"""The MP directory screen: search, vacancies, MPs without email, overrides, and sync."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from action_app import tasking
from action_app.extensions import db
from action_app.inputs import search_text
from action_app.models import Member
from action_app.services import directory_admin
from action_app.staff import bp
from action_app.staff.form_tokens import EXPIRED, checks_own_token
from action_app.staff_access import MANAGERS, requires_role


@bp.route("/directory")
@requires_role(*MANAGERS)
def directory():
    query = search_text(request.args.get("q"), 100)
    which = request.args.get("show", "all")
    if which not in directory_admin.FILTERS:
        which = "all"
    return render_template(
        "staff/directory.html",
        query=query,
        which=which,
        rows=directory_admin.search(query, which),
        latest=directory_admin.latest_update(),
    )


def _member_expired(member_id: int):
    """The override as typed, not saved, when its form token had only expired."""
    member = db.session.get(Member, member_id) or abort(404)
    email, note = request.form.get("email", ""), request.form.get("note", "")
    return _member_page(member, email, note, problem=EXPIRED.format(button="Save"))


def _member_page(member: Member, email: str, note: str, *, field_problem=None, problem=None):
    """The MP's page with the override form as given; a problem beside its field, or one for
    the whole page (400 with either)."""
    target = "note" if field_problem and "why" in field_problem else "email"
    return render_template(
        "staff/directory_member.html",
        member=member,
        email=email,
        note=note,
        field_problem=field_problem,
        problem_field=target,
        problem=problem,
        errors=[(f"#{target}", field_problem)] if field_problem else [],
    ), (400 if field_problem or problem else 200)


@bp.route("/directory/mps/<id:member_id>", methods=["GET", "POST"])
@requires_role(*MANAGERS)
@checks_own_token(_member_expired)
def directory_member(member_id: int):
    member = db.session.get(Member, member_id) or abort(404)
    email = request.form.get("email", member.email_override or "")
    note = request.form.get("note", member.email_override_note or "")
    problem = None
    if request.method == "POST":
        try:
            directory_admin.set_email_override(member, email, note)
        except ValueError as exc:
            db.session.rollback()
            problem = str(exc)
        else:
            db.session.commit()
            flash(f"Saved the email address for {member.display_name}.")
            return redirect(url_for("staff.directory_member", member_id=member.id))
    return _member_page(member, email, note, field_problem=problem)


@bp.route("/directory/sync", methods=["POST"])
@requires_role(*MANAGERS)
def directory_sync():
    job = directory_admin.new_sync_job()
    db.session.commit()
    if not tasking.dispatch(tasking.SYNC_MEMBERS, job):
        directory_admin.write_job(job, {"state": "failed", "error": "the task queue is down"})
    return redirect(url_for("staff.directory_sync_progress", job=job))


@bp.route("/directory/sync/<job>")
@requires_role(*MANAGERS)
def directory_sync_progress(job: str):
    state = directory_admin.read_job(job) or abort(404)
    return render_template("staff/directory_sync.html", job=job, state=state)
