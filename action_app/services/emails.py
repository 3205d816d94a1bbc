"""The emails themselves, built with the standard library's EmailMessage (default policy).

Every header value here was checked at input for line breaks and control characters; the
default policy would refuse them anyway. The Message-ID is derived from the message row's id, so
a retry of the same message is recognisable as the same email.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, localtime
from typing import Protocol

from action_app.config import Settings
from action_app.models import Action, OutboundMessage
from action_app.services.actions import letter_body
from action_app.services.seat_check import trust_lines

SERVICE_NAME = "Write to your MP"


class CampaignNames(Protocol):
    """What an email needs of a campaign (a Campaign row or a CampaignView both do)."""

    title: str
    slug: str


MAX_NAME_IN_HEADER = 70


def message_id(message: OutboundMessage, settings: Settings) -> str:
    domain = settings.mail.from_address.rpartition("@")[2] or "localhost"
    return f"<letter-{message.action_id}-{message.kind}-{message.id}@{domain}>"


def supporter_block(action: Action) -> str:
    """The supporter's name, postal address and email, as they open the letter."""
    lines = [action.supporter_name, action.address_line_1]
    if action.address_line_2:
        lines.append(action.address_line_2)
    lines += [action.town, action.postcode, action.supporter_email]
    return "\n".join(lines)


def mp_subject(action: Action) -> str:
    """The subject the MP sees: it says the letter is from a constituent."""
    if "constituent" in action.subject.lower():
        return action.subject
    return f"From your constituent {action.supporter_name}: {action.subject}"


def build_mp_email(
    message: OutboundMessage, action: Action, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """The letter, as the MP's office receives it."""
    email = _base(message, settings)
    sender_name = f"{_short(action.supporter_name)} via {_short(campaign.title)}"
    email["From"] = Address(display_name=sender_name, addr_spec=settings.mail.from_address)
    email["Reply-To"] = Address(
        display_name=action.supporter_name, addr_spec=action.supporter_email
    )
    intended = Address(display_name=action.recipient_name, addr_spec=action.recipient_email)
    if settings.mail.redirect_to:
        email["To"] = settings.mail.redirect_to
        email["X-Intended-Recipient"] = str(intended)
    else:
        email["To"] = intended
    email["Subject"] = mp_subject(action)
    body = (
        f"{supporter_block(action)}\n\n{letter_body(action)}\n\n"
        "--\n"
        f"{action.supporter_name} sent this letter using {SERVICE_NAME}, for the campaign "
        f'"{campaign.title}". Their address is above; reply to this email to reach them.\n'
    )
    body += "".join(f"{line}\n" for line in trust_lines(action))
    set_text(email, body)
    return email


def build_receipt(
    message: OutboundMessage,
    action: Action,
    campaign: CampaignNames,
    settings: Settings,
    not_me_url: str | None = None,
) -> EmailMessage:
    """The supporter's copy of what was sent, with the "I did not send this" link."""
    not_me = f"I did not send this letter: {not_me_url}\n" if not_me_url else ""
    email = _supporter_email(message, action, campaign, settings)
    email["Subject"] = f"Your letter to {action.recipient_name}"
    set_text(
        email,
        f"Dear {action.supporter_name},\n\n"
        f"Thank you for writing to {action.recipient_name}. This is a copy of the letter we sent "
        f"on your behalf. If they reply, the reply will come to this email address.\n\n"
        f"{_letter_copy(action)}\n--\n{_share_line(campaign, settings)}{not_me}",
    )
    return email


def build_confirmation(
    message: OutboundMessage,
    action: Action,
    campaign: CampaignNames,
    settings: Settings,
    confirm_url: str,
) -> EmailMessage:
    """The link that sends the letter, for campaigns that ask supporters to confirm."""
    email = _supporter_email(message, action, campaign, settings)
    email["Subject"] = f"Confirm your letter to {action.recipient_name}"
    set_text(
        email,
        f"Dear {action.supporter_name},\n\n"
        f"To send your letter to {action.recipient_name}, open this link and press the button:\n\n"
        f"{confirm_url}\n\n"
        "The link works for 7 days. If you did not write this letter, ignore this email and "
        "nothing will be sent; we will delete it after 7 days.\n",
    )
    return email


def build_failure_notice(
    message: OutboundMessage,
    action: Action,
    campaign: CampaignNames,
    settings: Settings,
    reason: str,
) -> EmailMessage:
    """Tell the supporter their letter could not be delivered, and give them its text."""
    email = _supporter_email(message, action, campaign, settings)
    email["Subject"] = f"We could not deliver your letter to {action.recipient_name}"
    set_text(
        email,
        f"Dear {action.supporter_name},\n\n"
        f"We are sorry: your letter to {action.recipient_name} could not be delivered. "
        f"Their mail server answered: {reason}\n\n"
        f"Here is your letter, so you can send it yourself. You can also post it to "
        f"{action.recipient_name}, House of Commons, London SW1A 0AA.\n\n"
        f"{_letter_copy(action)}",
    )
    return email


def named_address(name: str, address: str) -> str | Address:
    """'"Name" <address>', the display name always quoted when it is plain ASCII (as mail
    clients write it); names with other characters are left to the email package to encode."""
    if name.isascii():
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'
    return Address(display_name=name, addr_spec=address)


def set_text(email: EmailMessage, text: str) -> None:
    """The body as UTF-8 text, naming its transfer encoding so the email package does not
    encode it twice to choose one: 7bit when it can be, else quoted-printable (lines kept)."""
    plain = text.isascii() and all(len(line) <= 78 for line in text.splitlines())
    email.set_content(text, cte="7bit" if plain else "quoted-printable")


def _base(message: OutboundMessage, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["Message-ID"] = message_id(message, settings)
    email["Date"] = format_datetime(localtime())
    return email


def _supporter_email(
    message: OutboundMessage, action: Action, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    email = _base(message, settings)
    email["From"] = Address(
        display_name=_short(campaign.title), addr_spec=settings.mail.from_address
    )
    email["To"] = Address(display_name=action.supporter_name, addr_spec=action.supporter_email)
    email["Auto-Submitted"] = "auto-generated"
    return email


def _letter_copy(action: Action) -> str:
    """The letter as the MP received it, subject first, for the supporter's own emails."""
    return f"Subject: {mp_subject(action)}\n\n{supporter_block(action)}\n\n{letter_body(action)}\n"


def _share_line(campaign: CampaignNames, settings: Settings) -> str:
    url = f"{settings.public_base_url}/c/{campaign.slug}"
    return f"Ask your friends to write too: {url}\n"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_NAME_IN_HEADER else text[: MAX_NAME_IN_HEADER - 1] + "…"
