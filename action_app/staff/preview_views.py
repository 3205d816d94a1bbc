"""Previews: the email any MP would receive, and the public page as it will look."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from action_app import tasking
from action_app.extensions import db
from action_app.inputs import database_id, search_text
from action_app.models import Member
from action_app.public.forms import PostcodeForm
from action_app.services import staff_preview, test_send
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.campaigns import get_campaign
from action_app.services.participation import campaign_total
from action_app.staff import bp
from action_app.staff_access import MANAGERS, requires_role


@bp.route("/campaigns/<slug>/preview")
@requires_role(*MANAGERS)
def campaign_preview(slug: str):
    campaign = get_campaign(slug) or abort(404)
    query = search_text(request.args.get("q"), 100)
    matches = staff_preview.find_members(query) if query else []
    member_id = database_id(request.args.get("member"))
    member = db.session.get(Member, member_id) if member_id else None
    supporter = staff_preview.sample_supporter(
        request.args.get("name", ""), request.args.get("address", ""), request.args.get("town", "")
    )
    headers, body, problem, copy = [], "", None, None
    if member is not None:
        seat = staff_preview.seat_of_member(member.id)
        if seat is None:
            problem = f"{member.display_name} has no seat in the directory now."
        else:
            try:
                email = staff_preview.preview_email(campaign, seat, supporter)
            except staff_preview.NoRecipient:
                problem = f"{member.display_name} has no email address, so no letter can go."
            else:
                headers, body = list(email.headers), email.body
                copy = staff_preview.preview_copy_email(campaign, seat, supporter)
    return render_template(
        "staff/campaign_preview.html",
        campaign=campaign,
        query=query,
        matches=matches,
        member=member,
        supporter=supporter,
        headers=headers,
        body=body,
        copy=copy,
        problem=problem,
        searched=bool(query),
    )


@bp.route("/campaigns/<slug>/page-preview")
@requires_role(*MANAGERS)
def campaign_page_preview(slug: str):
    campaign = get_campaign(slug) or abort(404)
    snapshot = campaign_snapshot(campaign)
    status = snapshot.current_status()
    return render_template(
        "staff/campaign_page_preview.html",
        campaign=snapshot,
        form=PostcodeForm(),
        total=campaign_total(snapshot.id),
        status="live" if status == "draft" else status,
        actual_status=status,
    )


@bp.route("/campaigns/<slug>/test-send", methods=["POST"])
@requires_role(*MANAGERS)
def campaign_test_send(slug: str):
    campaign = get_campaign(slug) or abort(404)
    member_id = database_id(request.form.get("member"))
    seat = staff_preview.seat_of_member(member_id) if member_id else None
    if seat is None:
        abort(400, "Choose an MP with a seat from the search before sending a test letter.")
    supporter = staff_preview.sample_supporter(
        request.form.get("name", ""), request.form.get("address", ""), request.form.get("town", "")
    )
    user = current_user._get_current_object()
    try:
        letter_id = test_send.queue_test_letter(campaign, seat, supporter, user)
    except staff_preview.NoRecipient:
        db.session.rollback()
        flash("That MP has no email address, so there is no letter to test.")
    else:
        db.session.commit()
        tasking.dispatch(tasking.SEND_LETTER, letter_id)
        flash(f"A test letter is on its way to {user.email}, marked [TEST]. It is not counted.")
    return redirect(
        url_for("staff.campaign_preview", slug=slug, member=member_id, q=request.form.get("q", ""))
    )
