"""After the check page: sending the letter yourself (own email app, or by post to an MP with
no email address), and the sent page's status, which its script asks for while it can change."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, url_for

from action_app.extensions import db
from action_app.public.forms import SendForm
from action_app.public.letter_views import _already_written, _own_letter
from action_app.public.views import bp, public_campaign
from action_app.services.actions import AlreadyWritten
from action_app.services.letter_status import letter_status
from action_app.services.participation import bump_hot_totals
from action_app.services.self_send import by_post, mark_sent_by_supporter

STATUS_WORDS = {
    "awaiting_confirmation": "Waiting for you to confirm your email address",
    "sending": "Being sent now",
    "scheduled": "Waiting its turn",
    "delivered": "Delivered",
    "failed": "Could not be delivered",
    "by_supporter": "Sent by you, from your own email",
    "by_post": "To be posted by you",
}


@bp.post("/c/<slug>/check/<public_id>/send-yourself")
def send_yourself(slug: str, public_id: str):
    """The supporter sends the letter themselves: from their own email app, or by post."""
    view = public_campaign(slug)
    action = _own_letter(public_id, view)
    if action is None:
        return render_template("public/letter_missing.html", campaign=view), 404
    if action.status != "draft" or view.current_status() != "live":
        return redirect(url_for("public.sent", slug=slug, public_id=public_id))
    if not SendForm().validate():  # an expired page: back to the check page, nothing lost
        return redirect(url_for("public.check", slug=slug, public_id=public_id, expired=1))
    how = "supporter_post" if by_post(action) else "supporter_email"
    try:
        moved = mark_sent_by_supporter(action, how)
    except AlreadyWritten as exc:
        return _already_written(view, exc.action)
    db.session.commit()
    if moved:
        bump_hot_totals(view.id, total=1)
    return redirect(url_for("public.sent", slug=slug, public_id=public_id))


@bp.get("/c/<slug>/sent/<public_id>/status")
def sent_status(slug: str, public_id: str):
    """The letter's state for the sent page's script (only for the browser that wrote it)."""
    view = public_campaign(slug)
    action = _own_letter(public_id, view)
    if action is None or action.status == "draft":
        return jsonify({"error": "not found"}), 404
    status = letter_status(action)
    response = jsonify(
        {
            "state": status.state,
            "words": STATUS_WORDS[status.state],
            "finished": status.finished,
            "page": url_for("public.sent", slug=slug, public_id=public_id),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
