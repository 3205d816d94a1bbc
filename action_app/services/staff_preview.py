"""Previews for staff: the exact email an MP would receive, for any MP and a sample supporter.

Built by the code that sends: ``services/preview.py`` renders the letter through
``submissions.letter_values`` (as a supporter's draft is saved) and ``emails.fill_mp_email`` (as
the worker builds it). This module only finds the MP and the sample supporter."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import or_, select

from action_app.extensions import db
from action_app.models import Campaign, Constituency, Letter, LetterStatus, Member
from action_app.registry import current_registry
from action_app.services.campaign_cache import campaign_snapshot
from action_app.services.letters import Recipient, recipient_for
from action_app.services.preview import EmailPreview, preview_campaign_email, preview_copy
from action_app.services.seats import SeatSnapshot
from action_app.services.submissions import LetterInput, letter_values

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


def seat_of_member(member_id: int) -> SeatSnapshot | None:
    """The MP's seat as the public pages see it (the process's directory snapshot)."""
    snapshot = current_registry().directory_snapshot.get()
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


def _recipient(campaign: Campaign, seat: SeatSnapshot) -> Recipient:
    recipient = recipient_for(campaign_snapshot(campaign), seat)
    if recipient is None:
        raise NoRecipient(seat.name)
    return recipient


def letter_for(campaign: Campaign, seat: SeatSnapshot, supporter: LetterInput) -> Letter:
    """An unsaved letter, exactly as a supporter's would be saved for this seat."""
    snapshot = replace(campaign_snapshot(campaign), body_editable=False)
    values = letter_values(
        snapshot, _recipient(campaign, seat), postcode=SAMPLE_POSTCODE, letter=supporter
    )
    return Letter(**values, campaign_id=campaign.id, public_id="preview", status=LetterStatus.DRAFT)


def preview_copy_email(
    campaign: Campaign, seat: SeatSnapshot, supporter: LetterInput
) -> EmailPreview | None:
    """The copy the campaign's additional recipient would receive with that letter, if any."""
    return preview_copy(letter_for(campaign, seat, supporter), campaign_snapshot(campaign))


def preview_email(campaign: Campaign, seat: SeatSnapshot, supporter: LetterInput) -> EmailPreview:
    """The email the MP's office would receive, built by the sending code."""
    return preview_campaign_email(
        campaign_snapshot(campaign),
        _recipient(campaign, seat),
        supporter,
        postcode=SAMPLE_POSTCODE,
    )
