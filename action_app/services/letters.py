"""The letter: a campaign's templates rendered for one recipient and one supporter.

The letter page is shown before the supporter has typed their name and address, so supporter
placeholders first appear as readable tokens ("[your name]") and are filled in when the letter is
saved. The template's ``{{ supporter.personal_paragraph }}`` marks where the supporter's own words
go: the rendered body is split there into the part before and the part after.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from action_app.formatting import uk_date
from action_app.services import lookup
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.services.letter_templates import (
    first_name,
    letter_context,
    render_template_text,
    sample_contexts,
)
from action_app.services.seats import SeatSnapshot

SLOT = "\u2063PERSONAL-PARAGRAPH\u2063"  # cannot be typed into a template by accident
TOKENS = {
    "name": "[your name]",
    "first_name": "[your first name]",
    "address": "[your address]",
    "postcode": "[your postcode]",
}
_TOKEN_PATTERN = re.compile("|".join(re.escape(token) for token in TOKENS.values()))
# Where the supporter's words go when a template has no marker: before the sign-off.
SIGN_OFF = re.compile(
    r"^\s*(yours (sincerely|faithfully|truly)|kind regards|best wishes|with thanks|regards)\b",
    re.IGNORECASE | re.MULTILINE,
)


# A recipient key for a seat's MP, from the directory (a fixed recipient's starts "fixed:").
MEMBER_KEY_PREFIX = "member:"


@dataclass(frozen=True)
class Recipient:
    """Who the letter goes to; decided on the server, never by the browser."""

    key: str
    name: str
    email: str
    address_as: str
    party: str
    member_id: int | None
    constituency_id: int | None
    constituency_name: str
    nation: str


@dataclass(frozen=True)
class Supporter:
    name: str
    address_lines: tuple[str, ...]
    postcode: str

    @property
    def address(self) -> str:
        return "\n".join([*self.address_lines, self.postcode])


@dataclass(frozen=True)
class LetterParts:
    subject: str
    before: str
    after: str


def recipient_for(campaign: CampaignSnapshot, seat: SeatSnapshot) -> Recipient | None:
    """The campaign's target for a seat: its MP, or the campaign's fixed recipient."""
    fixed = campaign.fixed_target
    nation = seat.nation or ""
    if fixed:
        return Recipient(
            key=f"fixed:{fixed['email'].lower()}",
            name=fixed["name"],
            email=fixed["email"],
            address_as=fixed["name"],
            party="",
            member_id=None,
            constituency_id=seat.id,
            constituency_name=seat.name,
            nation=nation,
        )
    member = seat.member
    if member is None or not member.email:
        return None
    return Recipient(
        key=f"{MEMBER_KEY_PREFIX}{member.id}",
        name=member.display_name,
        email=member.email,
        address_as=member.address_as,
        party=member.party_name or "",
        member_id=member.id,
        constituency_id=seat.id,
        constituency_name=seat.name,
        nation=nation,
    )


def find_recipient(
    campaign: CampaignSnapshot, seat_id: int | None, postcode: str | None
) -> tuple[Recipient, str] | None:
    """Who a letter from this seat goes to, and the postcode (normalised); None if the seat is
    unknown, the postcode is missing, the seat is outside the campaign's nations, or there is
    no one to write to (a vacant seat). An MP without an email address is written to by post."""
    found = lookup.find_mp_for_seat(seat_id, postcode) if seat_id is not None else None
    if found is None or found.postcode is None or campaign.excludes(found.nation):
        return None
    recipient = recipient_for(campaign, found.seat) or postal_recipient_for(campaign, found.seat)
    return None if recipient is None else (recipient, found.postcode)


def postal_recipient_for(campaign: CampaignSnapshot, seat: SeatSnapshot) -> Recipient | None:
    """An MP who publishes no email address still gets the letter: by post, from the supporter
    (the recipient's email is empty, which is how the pages know)."""
    member = seat.member
    if campaign.fixed_target or member is None:
        return None
    return Recipient(
        key=f"{MEMBER_KEY_PREFIX}{member.id}",
        name=member.display_name,
        email="",
        address_as=member.address_as,
        party=member.party_name or "",
        member_id=member.id,
        constituency_id=seat.id,
        constituency_name=seat.name,
        nation=seat.nation or "",
    )


def render_letter(
    campaign: CampaignSnapshot, recipient: Recipient, supporter: Supporter | None = None
) -> LetterParts:
    """The letter for this recipient; supporter details as tokens until they are known."""
    if supporter is None:
        names = {"name": TOKENS["name"], "first_name": TOKENS["first_name"]}
        address, postcode = TOKENS["address"], TOKENS["postcode"]
    else:
        names = {"name": supporter.name, "first_name": first_name(supporter.name)}
        address, postcode = supporter.address, supporter.postcode
    context = letter_context(
        mp_name=recipient.name,
        mp_address_as=recipient.address_as,
        mp_party=recipient.party,
        constituency_name=recipient.constituency_name,
        constituency_nation=recipient.nation,
        supporter_name=names["name"],
        supporter_address=address,
        supporter_postcode=postcode,
        campaign_title=campaign.title,
        campaign_debate_date=uk_date(campaign.debate_at),
        personal_paragraph=SLOT,
    )
    context["supporter"]["first_name"] = names["first_name"]
    subject_template, body_template = _templates_for(campaign, recipient)
    subject = " ".join(render_template_text(subject_template, context).split())
    body = _tidy(render_template_text(body_template, context))
    before, after = _split(body)
    return LetterParts(subject=subject.replace(SLOT, "").strip(), before=before, after=after)


def _templates_for(campaign: CampaignSnapshot, recipient: Recipient) -> tuple[str, str]:
    """The alternative letter for an excluded MP's constituents; otherwise the letter, with one
    of its subject lines at random, so an MP's inbox does not fill with one subject."""
    alternative = getattr(campaign, "alternative", None)
    if alternative and campaign.excluded(recipient.member_id):
        return alternative["subject_template"], alternative["body_template"]
    subjects = [campaign.subject_template, *getattr(campaign, "subject_alternatives", ())]
    return random.choice(subjects), campaign.body_template


def token_problems(source: str) -> list[str]:
    """Why a checked template would send the MP something else than the staff preview shows.
    A letter that supporters edit shows their details as tokens and fills them in when they
    send; a filter on a detail ({{ supporter.name|upper }}) changes the token itself, which is
    then never filled in and reaches the MP as "[YOUR NAME]"."""
    supporter = Supporter("Sam Supporter", ("1 Example Street", "Exampleton"), "SW1A 1AA")
    for typed in sample_contexts():
        shown = {**typed, "supporter": {**typed["supporter"], **TOKENS}}
        typed["supporter"].update(
            name=supporter.name,
            first_name=first_name(supporter.name),
            address=supporter.address,
            postcode=supporter.postcode,
        )
        filled = fill_tokens(render_template_text(source, shown), supporter)
        if filled != render_template_text(source, typed):
            return [
                "a supporter's name, address or postcode can only be used as it is (no filters "
                "such as |upper on it): in a letter supporters edit it would reach the MP as "
                "a placeholder"
            ]
    return []


def fill_tokens(text: str, supporter: Supporter) -> str:
    """Put the supporter's details where the page showed tokens, in one pass: a detail that
    itself looks like a token (a name of "[your address]") is never filled in again."""
    values = {
        TOKENS["name"]: supporter.name,
        TOKENS["first_name"]: first_name(supporter.name),
        TOKENS["address"]: supporter.address,
        TOKENS["postcode"]: supporter.postcode,
    }
    return _TOKEN_PATTERN.sub(lambda match: values[match.group(0)], text)


def join_letter(before: str, personal: str, after: str) -> str:
    """The whole body: the supporter's words between the two parts, paragraphs kept apart."""
    parts = [part.strip("\n") for part in (before, personal, after) if part.strip()]
    return "\n\n".join(parts)


def _split(body: str) -> tuple[str, str]:
    if SLOT in body:
        before, _, after = body.partition(SLOT)
        return before.strip("\n").rstrip(), after.replace(SLOT, "").strip("\n").rstrip()
    match = SIGN_OFF.search(body)
    if match:
        return body[: match.start()].rstrip(), body[match.start() :].strip("\n").rstrip()
    return body.rstrip(), ""


def _tidy(text: str) -> str:
    """One blank line at most between paragraphs (conditionals leave gaps), no trailing spaces."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
