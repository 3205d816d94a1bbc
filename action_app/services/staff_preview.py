"""Previews for staff: the exact email an MP would receive, for any MP and a sample supporter.

Built by the code that sends: the letter is rendered as the letter page does, recorded values are
made as a saved letter's are (``actions._draft_values``), and the email is ``build_mp_email``'s.
This is the one function to point at ``services/preview.py`` when that service lands."""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select

from action_app.extensions import db
from action_app.models import Action, Campaign, Constituency, Member, OutboundMessage
from action_app.services import emails
from action_app.services.actions import LetterInput, _draft_values
from action_app.services.campaign_cache import campaign_view
from action_app.services.letters import Recipient, recipient_for, render_letter
from action_app.services.seats import SeatView

SAMPLE = LetterInput(
    name="Sam Sample",
    email="sam.sample@example.org",
    address_line_1="1 High Street",
    town="Anytown",
    personal_paragraph="[The supporter's own words go here.]",
)
SAMPLE_POSTCODE = "AB1 2CD"


class NoRecipient(Exception):
    """The seat is vacant or its MP has no email address, so no letter can go there."""


def find_members(query: str, limit: int = 25) -> list[Member]:
    """Current MPs whose name or constituency contains the words typed."""
    words = query.strip()
    if not words:
        return []
    pattern = f"%{words}%"
    return list(
        db.session.scalars(
            select(Member)
            .join(Constituency, Member.constituency_id == Constituency.id)
            .where(Member.is_current)
            .where(or_(Member.display_name.ilike(pattern), Constituency.name.ilike(pattern)))
            .order_by(Constituency.name)
            .limit(limit)
        )
    )


def seat_of_member(member_id: int) -> SeatView | None:
    """The MP's seat as the public pages see it (the process's directory snapshot)."""
    snapshot = current_app.extensions["directory_snapshot"].get()
    return next((s for s in snapshot.seats if s.member and s.member.id == member_id), None)


def sample_supporter(name: str = "", address: str = "", town: str = "") -> LetterInput:
    """The sample supporter, with any details the editor typed instead."""
    return LetterInput(
        name=name.strip()[:100] or SAMPLE.name,
        email=SAMPLE.email,
        address_line_1=address.strip()[:100] or SAMPLE.address_line_1,
        town=town.strip()[:60] or SAMPLE.town,
        personal_paragraph=SAMPLE.personal_paragraph,
    )


def letter_for(campaign: Campaign, seat: SeatView, supporter: LetterInput) -> Action:
    """An unsaved letter, exactly as the supporter's would be saved for this seat."""
    view = campaign_view(campaign)
    recipient: Recipient | None = recipient_for(view, seat)
    if recipient is None:
        raise NoRecipient(seat.name)
    parts = render_letter(view, recipient)  # with tokens, as the letter page shows it
    typed = LetterInput(
        **{**supporter.__dict__, "subject": parts.subject, "body_before": parts.before,
           "body_after": parts.after}
    )  # fmt: skip
    values = _draft_values(view, recipient, SAMPLE_POSTCODE, None, "preview", typed)
    return Action(**values, campaign_id=campaign.id, public_id="preview", status="draft")


def preview_email(campaign: Campaign, seat: SeatView, supporter: LetterInput) -> EmailMessage:
    """The email the MP's office would receive, built by the sending code."""
    letter = letter_for(campaign, seat, supporter)
    settings = current_app.config["SETTINGS"]
    message = OutboundMessage(id=0, action_id=0, kind="mp")
    return emails.build_mp_email(message, letter, campaign_view(campaign), settings)
