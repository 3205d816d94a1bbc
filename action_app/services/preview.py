"""The email a letter becomes, built before anything is sent: for the supporter's check page, and
for staff trying a campaign's templates on an MP and a sample supporter.

Both build with ``emails.fill_mp_email`` (and ``fill_copy_email`` for the copy to a campaign's
additional recipient), the code the worker sends with, so a preview is exactly what each office
receives, less the Message-ID and Date a sent email gets. Nothing here
writes to the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from email.message import EmailMessage

from action_app.config import Settings
from action_app.models import Letter
from action_app.registry import current_registry
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.services.emails import POLICY, CampaignNames, fill_copy_email, fill_mp_email
from action_app.services.letters import Recipient
from action_app.services.submissions import LetterInput, letter_values

# The headers a person checks, in the order a mail client shows them.
SHOWN_HEADERS = ("From", "Reply-To", "To", "Subject")
# A supporter for trying templates (the same one letter_templates.sample_context uses).
SAMPLE_SUPPORTER = LetterInput(
    name="Sam Supporter",
    email="sam.supporter@example.org",
    address_line_1="1 Example Street",
    town="Exampleton",
)
SAMPLE_POSTCODE = "SW1A 1AA"


@dataclass(frozen=True)
class EmailPreview:
    """An email as a person reads it: the headers that matter, then the plain-text body."""

    headers: tuple[tuple[str, str], ...]
    body: str

    @classmethod
    def of(cls, email: EmailMessage) -> EmailPreview:
        headers = tuple((name, str(email[name])) for name in SHOWN_HEADERS if name in email)
        return cls(headers=headers, body=email.get_content())


def preview_letter(
    letter: Letter, campaign: CampaignNames, settings: Settings | None = None
) -> EmailPreview:
    """The email the MP will receive for this saved letter (a draft, on the check page)."""
    settings = settings or current_registry().settings
    return EmailPreview.of(fill_mp_email(EmailMessage(policy=POLICY), letter, campaign, settings))


def preview_copy(
    letter: Letter, campaign: CampaignNames, settings: Settings | None = None
) -> EmailPreview | None:
    """The copy the campaign's additional fixed recipient will receive, if the letter has one."""
    if not letter.copy_key:
        return None
    settings = settings or current_registry().settings
    return EmailPreview.of(fill_copy_email(EmailMessage(policy=POLICY), letter, campaign, settings))


def preview_campaign_email(
    campaign: CampaignSnapshot,
    recipient: Recipient,
    supporter: LetterInput = SAMPLE_SUPPORTER,
    *,
    postcode: str = SAMPLE_POSTCODE,
    settings: Settings | None = None,
) -> EmailPreview:
    """The email a campaign's templates make for this recipient and supporter, as if the
    supporter sent the letter as offered (for the staff editor's preview). The supporter's
    own subject and body, if any, are not used: the templates are rendered, through the same
    ``letter_values`` that saves a supporter's draft. Use ``campaign_snapshot`` for a campaign
    row (saved or not) and ``letters.recipient_for`` for an MP's seat."""
    as_offered = replace(campaign, body_editable=False)
    values = letter_values(as_offered, recipient, postcode=postcode, letter=supporter)
    return preview_letter(Letter(**values), campaign, settings)
