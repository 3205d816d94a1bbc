"""A letter held because its chosen seat was not the postcode's, or because its MP left the seat
before it went: the supporter's link turns it into a new draft to the MP for the postcode, which
they check and send as usual."""

from __future__ import annotations

import secrets

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, Member, MessageKind, MessageStatus, SeatCheck
from action_app.services import abuse, lookup
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign_by_id
from action_app.services.held_letters import stop_held
from action_app.services.letters import Recipient
from action_app.services.submissions import LetterInput, find_letter, save_draft
from action_app.stats.counting import count_letter_redirected, is_personalised


def _renamed(text: str, old: list[tuple[str, str]]) -> str:
    for before, after in old:
        if before and after and before != after:
            text = text.replace(before, after)
    return text


def copy_to_real_mp(held: Letter, campaign: CampaignSnapshot, recipient: Recipient) -> str:
    """A new draft of the held letter to ``recipient``, with the old MP's and seat's names
    replaced in the words; the held letter is withdrawn (flushes). Returns the draft's id."""
    chosen = lookup.find_mp_for_seat(held.constituency_id, None) if held.constituency_id else None
    old_member = chosen.seat.member if chosen is not None else None
    # The MP it was written to: the chosen seat's, or one who has since left the seat (the
    # directory keeps them, no longer current), whose name the seat's snapshot no longer has.
    written_to = db.session.get(Member, held.member_id) if held.member_id else None
    names = [
        (held.recipient_name, recipient.name),
        (written_to.address_as if written_to else "", recipient.address_as),
        (old_member.address_as if old_member else "", recipient.address_as),
        (chosen.seat.name if chosen else "", recipient.constituency_name),
    ]
    letter = LetterInput(
        name=held.supporter_name,
        email=held.supporter_email,
        address_line_1=held.address_line_1,
        address_line_2=held.address_line_2,
        town=held.town,
        subject=_renamed(held.subject, names),
        body_before=_renamed(held.body_before, names),
        body_after=_renamed(held.body_after, names),
        personal_paragraph=_renamed(held.personal_paragraph, names),
        opt_ins=list(held.opt_ins or []),
    )
    text = abuse.letter_text(campaign, recipient, letter, held.postcode)
    public_id = save_draft(
        campaign,
        recipient,
        postcode=held.postcode,
        source=held.source,
        form_token=secrets.token_urlsafe(24),
        letter=letter,
        language=held.language,  # the later emails come in the language the supporter chose
        marks={
            **abuse.draft_marks(
                seat_check=SeatCheck.POSTCODE, body_hash=text.fingerprint(), hold_reason=None
            ),
            **_no_second_copy(held),
        },
    )
    # Counted once: the held letter's counts are taken back, the new draft's come when it is sent.
    draft = find_letter(public_id, held.campaign_id)
    counted = cached_campaign_by_id(held.campaign_id)
    count_letter_redirected(
        held, personalised=counted is not None and is_personalised(draft, counted)
    )
    stop_held(
        held,
        LetterStatus.WITHDRAWN,
        "withdrawn: the supporter sent it to the MP for their postcode instead",
    )
    return public_id


def _no_second_copy(held: Letter) -> dict:
    """The copy to the campaign's fixed recipient went before the letter to the MP was held
    (the MP's server asked us to try later, or pacing held the MP's back): the new draft goes
    to the MP alone, or the fixed recipient would have the same letter twice (the one-copy rule
    counts only confirmed letters, and the held one is withdrawn)."""
    sent = any(m.kind == MessageKind.COPY and m.status == MessageStatus.SENT for m in held.messages)
    return {"copy_key": None, "copy_name": None, "copy_email": None} if sent else {}
