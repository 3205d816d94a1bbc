"""Pages behind the links of the abuse defences' emails. A GET only shows a button; a POST acts.

- "I did not send this" (in every receipt): withdraws the letter or tells the MP's office.
- "Send it to my real MP" (when a chosen seat was not the postcode's, or the letter's MP left
  the seat before it went): a new draft to the postcode's MP.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from action_app.clients.postcodes_io import PostcodeLookupError
from action_app.extensions import db
from action_app.models import CampaignStatus, Letter, LetterStatus, SeatCheck
from action_app.public.forms import ConfirmForm
from action_app.public.letter_views import _dispatch_letter, _remember
from action_app.public.views import public_campaign
from action_app.services import lookup, owner, recipient_check, seat_check
from action_app.services.letters import recipient_for
from action_app.services.real_mp import copy_to_real_mp


def register(bp: Blueprint) -> None:
    """The pages behind the links of the abuse defences' emails."""
    bp.add_url_rule("/c/<slug>/not-me/<token>", view_func=not_me, methods=["GET", "POST"])
    bp.add_url_rule("/c/<slug>/real-mp/<token>", view_func=real_mp, methods=["GET", "POST"])


def not_me(slug: str, token: str):
    campaign = public_campaign(slug)
    letter = owner.letter_for_not_me(token, campaign.id)
    if letter is None:
        return render_template("public/letter_missing.html", campaign=campaign), 404
    form = ConfirmForm()
    done = None
    if form.is_submitted() and form.validate():
        done = owner.disown(letter)
        db.session.commit()
        if done == "told_office":
            _dispatch_letter(letter.id)
    elif letter.status in (LetterStatus.WITHDRAWN, LetterStatus.REJECTED):
        done = "done_before"
    return render_template(
        "public/not_me.html", campaign=campaign, letter=letter, form=form, done=done
    )


def real_mp(slug: str, token: str):
    campaign = public_campaign(slug)
    public_id = seat_check.public_id_for_real_mp(token)
    held = _letter(public_id, campaign.id) if public_id else None
    if held is None:
        return render_template("public/letter_missing.html", campaign=campaign), 404
    if not _redirectable(held):
        # Still held for another reason (its MP came back to the seat, or has no address
        # now): it waits for staff, and the page must not say it was dealt with.
        state = "waiting" if held.status == LetterStatus.HELD else "done"
        return render_template("public/real_mp.html", campaign=campaign, held=held, state=state)
    try:
        found = lookup.find_mp_for_postcode(held.postcode)
    except (PostcodeLookupError, lookup.DirectoryEmpty):
        return render_template(
            "public/real_mp.html", campaign=campaign, held=held, state="down"
        ), 503
    recipient = recipient_for(campaign, found.seat)
    if recipient is None or campaign.current_status() != CampaignStatus.LIVE:
        return render_template(
            "public/real_mp.html", campaign=campaign, held=held, found=found, state="cannot"
        )
    form = ConfirmForm()
    if form.is_submitted() and form.validate():
        draft_id = copy_to_real_mp(held, campaign, recipient)
        db.session.commit()
        _remember(draft_id)
        return redirect(url_for("public.check", slug=slug, public_id=draft_id))
    return render_template(
        "public/real_mp.html",
        campaign=campaign,
        held=held,
        found=found,
        recipient=recipient,
        form=form,
        state="offer",
    )


def _redirectable(held: Letter) -> bool:
    """Held because its chosen seat was not the postcode's, or because its MP left the seat:
    either way it may go to the postcode's MP instead, once, as a new draft."""
    if held.status != LetterStatus.HELD:
        return False
    return held.seat_check == SeatCheck.MISMATCH or recipient_check.mp_has_left(held)


def _letter(public_id: str, campaign_id: int) -> Letter | None:
    return db.session.scalar(
        db.select(Letter).where(Letter.public_id == public_id, Letter.campaign_id == campaign_id)
    )
