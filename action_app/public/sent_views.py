"""After the check page: sending the letter yourself (own email app, or by post to an MP with
no email address), and the sent page's status, which its script asks for while it can change."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for

from action_app.i18n import lazy_gettext as _l
from action_app.models import CampaignStatus, LetterStatus, SentBy
from action_app.public.forms import SendForm
from action_app.public.letter_views import _own_letter, send_within_limits, shown_to_writer
from action_app.public.views import public_campaign
from action_app.services.self_send import by_post

STATUS_WORDS = {
    "awaiting_confirmation": _l("Waiting for you to confirm your email address"),
    "sending": _l("Being sent now"),
    "scheduled": _l("Waiting its turn"),
    "delivered": _l("Delivered"),
    "failed": _l("Could not be delivered"),
    "by_supporter": _l("Sent by you, from your own email"),
    "by_post": _l("To be posted by you"),
}


def register(bp: Blueprint) -> None:
    """Sending it yourself, and the sent page's status."""
    bp.add_url_rule(
        "/c/<slug>/check/<public_id>/send-yourself", view_func=send_yourself, methods=["POST"]
    )
    bp.add_url_rule("/c/<slug>/sent/<public_id>/status", view_func=sent_status)


def send_yourself(slug: str, public_id: str):
    """The supporter sends the letter themselves: from their own email app, or by post."""
    campaign = public_campaign(slug)
    letter = _own_letter(public_id, campaign)
    if letter is None:
        return render_template("public/letter_missing.html", campaign=campaign), 404
    live = campaign.current_status() == CampaignStatus.LIVE
    if letter.status != LetterStatus.DRAFT or not live:
        return redirect(url_for("public.sent", slug=slug, public_id=public_id))
    if not SendForm().validate():  # an expired page: back to the check page, nothing lost
        return redirect(url_for("public.check", slug=slug, public_id=public_id, expired=1))
    how = SentBy.SUPPORTER_POST if by_post(letter) else SentBy.SUPPORTER_EMAIL
    # Decided as Send decides (limits, holds, an address that has written): only what the
    # platform then does differs.
    return send_within_limits(campaign, letter, sent_by=how)


def sent_status(slug: str, public_id: str):
    """The letter's state for the sent page's script (only for the browser that wrote it)."""
    campaign = public_campaign(slug)
    letter = _own_letter(public_id, campaign, with_messages=True)
    if letter is None or letter.status == LetterStatus.DRAFT:
        return jsonify({"error": "not found"}), 404
    status = shown_to_writer(campaign, letter).progress
    response = jsonify(
        {
            "state": status.state,
            "words": str(STATUS_WORDS[status.state]),
            "finished": status.finished,
            "page": url_for("public.sent", slug=slug, public_id=public_id),
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
