"""The campaign editor: list, create, edit, clone, status, revisions, import and export."""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from action_app.extensions import db
from action_app.inputs import database_id
from action_app.models import NATIONS, Campaign, CampaignStatus
from action_app.services import campaign_editor as editor
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.campaigns import (
    CampaignInvalid,
    export_campaign,
    get_campaign,
    import_campaign,
)
from action_app.services.revision_diff import field_diffs
from action_app.staff import bp
from action_app.staff.form_tokens import EXPIRED, checks_own_token
from action_app.staff_access import MANAGERS, campaigns_visible_to, requires_role

# Field → the id of its input, for the error summary's links.
FIELD_INPUT = {"target": "target_type"}
# Problems of a model field shown beside another input.
SHOWN_AT = {"alternative": "alternative_subject"}


def _campaign(slug: str) -> Campaign:
    return get_campaign(slug) or abort(404)


def _author() -> str:
    return current_user.email


def _errors(exc: CampaignInvalid) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    for name, found in exc.by_field.items():
        for problem in found:
            errors.setdefault(_shown_at(name, problem), []).append(problem)
    return {name: "; ".join(found) for name, found in errors.items()} or {
        "slug": "; ".join(exc.problems)
    }


def _shown_at(name: str, problem: str) -> str:
    """The input a problem is shown beside: the excluded MPs have an input of their own."""
    if name == "target" and problem.startswith("target: exclude"):
        return "exclude"
    return SHOWN_AT.get(name, name)


def _summary(errors: dict[str, str]) -> list[tuple[str, str]]:
    return [(f"#{FIELD_INPUT.get(name, name)}", message) for name, message in errors.items()]


def _editor_page(
    values: dict, errors: dict, campaign: Campaign | None, status: int = 200, problem=None
):
    excluded = [i for i in map(database_id, values.get("exclude", "").split()) if i]
    return render_template(
        "staff/campaign_form.html",
        excluded=editor.members_named(excluded),
        values=values,
        field_errors=errors,
        errors=_summary(errors),
        problem=problem,
        campaign=campaign,
        statuses=tuple(CampaignStatus),
        nations=NATIONS,
    ), status


def _editor_expired(slug: str | None = None):
    """The editor as typed, unsaved, when its form token failed (see form_tokens)."""
    values = editor.form_values(editor.document_from_form(request.form))
    campaign = _campaign(slug) if slug else None
    return _editor_page(values, {}, campaign, 400, EXPIRED.format(button="Save"))


@bp.route("/campaigns")
@requires_role(*MANAGERS)
def campaigns():
    rows = [(c, campaign_snapshot(c).current_status()) for c in campaigns_visible_to(current_user)]
    return render_template("staff/campaigns.html", rows=rows)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@requires_role(*MANAGERS)
@checks_own_token(_editor_expired)
def campaign_new():
    if request.method == "POST":
        document = editor.document_from_form(request.form)
        try:
            result = editor.create_campaign(document, _author())
        except CampaignInvalid as exc:
            db.session.rollback()
            return _editor_page(editor.form_values(document), _errors(exc), None, 400)
        db.session.commit()
        flash(f"Campaign “{result.campaign.title}” created as a {result.campaign.status}.")
        return redirect(url_for("staff.campaign", slug=result.campaign.slug))
    starter = {"status": "draft", "target": {"type": "constituency_mp"}}
    return _editor_page(editor.form_values(starter), {}, None)


@bp.route("/campaigns/<slug>")
@requires_role(*MANAGERS)
def campaign(slug: str):
    found = _campaign(slug)
    view = campaign_snapshot(found)
    return render_template(
        "staff/campaign.html",
        campaign=found,
        view=view,
        status=view.current_status(),
        statuses=tuple(CampaignStatus),
    )


@bp.route("/campaigns/<slug>/edit", methods=["GET", "POST"])
@requires_role(*MANAGERS)
@checks_own_token(_editor_expired)
def campaign_edit(slug: str):
    found = _campaign(slug)
    if request.method == "POST":
        document = editor.document_from_form(request.form)
        try:
            result = editor.update_campaign(found, document, _author())
        except CampaignInvalid as exc:
            db.session.rollback()
            return _editor_page(editor.form_values(document), _errors(exc), found, 400)
        db.session.commit()
        changed = ", ".join(result.changed_fields) or "nothing changed"
        flash(f"Saved ({changed}).")
        return redirect(url_for("staff.campaign", slug=slug))
    return _editor_page(editor.campaign_form_values(found), {}, found)


@bp.route("/campaigns/<slug>/status", methods=["POST"])
@requires_role(*MANAGERS)
def campaign_status(slug: str):
    found = _campaign(slug)
    wanted = request.form.get("status", "")
    if wanted not in tuple(CampaignStatus):
        abort(400)
    try:
        editor.set_status(found, wanted, _author())
    except CampaignInvalid as exc:
        db.session.rollback()
        flash("The campaign cannot change status: " + "; ".join(exc.problems))
        return redirect(url_for("staff.campaign", slug=slug))
    db.session.commit()
    flash(f"The campaign is now {wanted}.")
    return redirect(url_for("staff.campaign", slug=slug))


@bp.route("/campaigns/<slug>/clone", methods=["GET", "POST"])
@requires_role(*MANAGERS)
def campaign_clone(slug: str):
    found = _campaign(slug)
    new_slug = request.form.get("slug", f"{found.slug}-copy"[:80])
    problem = None
    if request.method == "POST":
        try:
            result = editor.clone_campaign(found, new_slug.strip(), _author())
        except CampaignInvalid as exc:
            db.session.rollback()
            problem = "; ".join(exc.problems)
        else:
            db.session.commit()
            flash(f"Copied to a new draft, {result.campaign.slug}.")
            return redirect(url_for("staff.campaign_edit", slug=result.campaign.slug))
    errors = [("#slug", problem)] if problem else []
    return render_template(
        "staff/campaign_clone.html",
        campaign=found,
        new_slug=new_slug,
        slug_error=problem,
        errors=errors,
    ), (400 if problem else 200)


@bp.route("/campaigns/<slug>/revisions")
@requires_role(*MANAGERS)
def campaign_revisions(slug: str):
    found = _campaign(slug)
    history = [(r, field_diffs(r.changes or {})) for r in editor.revisions(found)]
    return render_template("staff/campaign_revisions.html", campaign=found, history=history)


@bp.route("/campaigns/<slug>/revisions/<id:revision_id>/restore", methods=["POST"])
@requires_role(*MANAGERS)
def campaign_restore(slug: str, revision_id: int):
    found = _campaign(slug)
    try:
        result = editor.restore_revision(found, revision_id, _author())
    except LookupError:
        abort(404)
    except CampaignInvalid as exc:
        db.session.rollback()
        flash("That revision cannot be restored: " + "; ".join(exc.problems))
        return redirect(url_for("staff.campaign_revisions", slug=slug))
    db.session.commit()
    changed = ", ".join(result.changed_fields) or "nothing changed"
    flash(f"Restored revision {revision_id} as a new revision ({changed}).")
    return redirect(url_for("staff.campaign_revisions", slug=slug))


@bp.route("/campaigns/<slug>/export.json")
@requires_role(*MANAGERS)
def campaign_export(slug: str):
    document = export_campaign(_campaign(slug))
    body = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{slug}.json"'},
    )


def _import_expired():
    """The import box as typed, unimported, when its form token failed (see form_tokens)."""
    return render_template(
        "staff/campaign_import.html",
        text=request.form.get("document", ""),
        problems=[],
        errors=[],
        problem=EXPIRED.format(button="Import"),
    ), 400


@bp.route("/campaigns/import", methods=["GET", "POST"])
@requires_role(*MANAGERS)
@checks_own_token(_import_expired)
def campaign_import():
    text = request.form.get("document", "")
    upload = request.files.get("file")
    problems: list[str] = []
    if request.method == "POST":
        if upload and upload.filename:
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                problems = ["The file is not UTF-8 text."]
        if not problems:
            try:
                document = json.loads(text)
            except ValueError as exc:
                problems = [f"This is not a JSON document: {exc}"]
        if not problems:
            try:
                result = import_campaign(document, _author())
            except CampaignInvalid as exc:
                db.session.rollback()
                problems = exc.problems
            else:
                editor.record_saved(result, "campaign_saved")
                db.session.commit()
                verb = "Created" if result.created else "Updated"
                flash(f"{verb} {result.campaign.slug}. " + " ".join(result.warnings))
                return redirect(url_for("staff.campaign", slug=result.campaign.slug))
    errors = [("#document", p) for p in problems]
    return render_template(
        "staff/campaign_import.html", text=text, problems=problems, errors=errors
    ), (400 if problems else 200)
