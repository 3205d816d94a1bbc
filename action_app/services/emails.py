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

from flask_babel import gettext

from action_app.config import SERVICE_NAME, Settings
from action_app.i18n import current_language
from action_app.models import Letter, OutboundMessage
from action_app.services.submissions import letter_body


class CampaignNames(Protocol):
    """What an email needs of a campaign (a Campaign row or a CampaignSnapshot both do)."""

    title: str
    slug: str


MAX_NAME_IN_HEADER = 70


def message_id(message: OutboundMessage, settings: Settings) -> str:
    """The Message-ID of a message row: the same on every retry of it."""
    domain = settings.mail.from_address.rpartition("@")[2] or "localhost"
    return f"<letter-{message.letter_id}-{message.kind}-{message.id}@{domain}>"


def supporter_block(letter: Letter) -> str:
    """The supporter's name, postal address and email, as they open the letter."""
    lines = [letter.supporter_name, letter.address_line_1]
    if letter.address_line_2:
        lines.append(letter.address_line_2)
    lines += [letter.town, letter.postcode, letter.supporter_email]
    return "\n".join(lines)


def mp_subject(letter: Letter) -> str:
    """The subject the MP sees: exactly the one the supporter saw and sent (the check page
    shows it), with no words added; the From line already says who it is from."""
    return letter.subject


def build_mp_email(
    message: OutboundMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """The letter, as the MP's office receives it."""
    return fill_mp_email(_base(message, settings), letter, campaign, settings)


def fill_mp_email(
    email: EmailMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """Add the letter's headers and body to ``email`` (which carries the Message-ID and Date
    when it is sent; a preview has none)."""
    sender_name = gettext(
        "%(supporter)s via %(campaign)s",
        supporter=_short(letter.supporter_name),
        campaign=_short(campaign.title),
    )
    email["From"] = Address(display_name=sender_name, addr_spec=settings.mail.from_address)
    email["Reply-To"] = Address(
        display_name=letter.supporter_name, addr_spec=letter.supporter_email
    )
    intended = Address(display_name=letter.recipient_name, addr_spec=letter.recipient_email)
    if settings.mail.redirect_to:
        email["To"] = settings.mail.redirect_to
        email["X-Intended-Recipient"] = str(intended)
    else:
        email["To"] = intended
    email["Subject"] = mp_subject(letter)
    footer = gettext(
        '%(supporter)s sent this letter using %(service)s, for the campaign "%(campaign)s". '
        "Their address is above; reply to this email to reach them.",
        supporter=letter.supporter_name,
        service=SERVICE_NAME,
        campaign=campaign.title,
    )
    body = f"{supporter_block(letter)}\n\n{letter_body(letter)}\n\n--\n{footer}\n"
    set_text(email, body)
    return email


def build_receipt(
    message: OutboundMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    """The supporter's copy of what was sent."""
    email = _supporter_email(message, letter, campaign, settings)
    email["Subject"] = gettext("Your letter to %(name)s", name=letter.recipient_name)
    thanks = gettext(
        "Thank you for writing to %(name)s. This is a copy of the letter we sent on your "
        "behalf. If they reply, the reply will come to this email address.",
        name=letter.recipient_name,
    )
    set_text(
        email,
        f"{_dear(letter)}\n\n{thanks}\n\n"
        f"{_letter_copy(letter)}\n--\n{_share_line(campaign, settings)}",
    )
    return email


def build_confirmation(
    message: OutboundMessage,
    letter: Letter,
    campaign: CampaignNames,
    settings: Settings,
    confirm_url: str,
) -> EmailMessage:
    """The link that sends the letter, for campaigns that ask supporters to confirm."""
    email = _supporter_email(message, letter, campaign, settings)
    email["Subject"] = gettext("Confirm your letter to %(name)s", name=letter.recipient_name)
    opening = gettext(
        "To send your letter to %(name)s, open this link and press the button:",
        name=letter.recipient_name,
    )
    closing = gettext(
        "The link works for 7 days. If you did not write this letter, ignore this email and "
        "nothing will be sent; we will delete it after 7 days."
    )
    set_text(email, f"{_dear(letter)}\n\n{opening}\n\n{confirm_url}\n\n{closing}\n")
    return email


def build_failure_notice(
    message: OutboundMessage,
    letter: Letter,
    campaign: CampaignNames,
    settings: Settings,
    reason: str,
) -> EmailMessage:
    """Tell the supporter their letter could not be delivered, and give them its text."""
    email = _supporter_email(message, letter, campaign, settings)
    name = letter.recipient_name
    email["Subject"] = gettext("We could not deliver your letter to %(name)s", name=name)
    sorry = gettext(
        "We are sorry: your letter to %(name)s could not be delivered. "
        "Their mail server answered: %(reason)s",
        name=name,
        reason=reason,
    )
    yours = gettext(
        "Here is your letter, so you can send it yourself. You can also post it to "
        "%(name)s, House of Commons, London SW1A 0AA.",
        name=name,
    )
    set_text(email, f"{_dear(letter)}\n\n{sorry}\n\n{yours}\n\n{_letter_copy(letter)}")
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
    message: OutboundMessage, letter: Letter, campaign: CampaignNames, settings: Settings
) -> EmailMessage:
    email = _base(message, settings)
    email["From"] = Address(
        display_name=_short(campaign.title), addr_spec=settings.mail.from_address
    )
    email["To"] = Address(display_name=letter.supporter_name, addr_spec=letter.supporter_email)
    email["Auto-Submitted"] = "auto-generated"
    return email


def _letter_copy(letter: Letter) -> str:
    """The letter as the MP received it, subject first, for the supporter's own emails."""
    subject = gettext("Subject: %(subject)s", subject=mp_subject(letter))
    return f"{subject}\n\n{supporter_block(letter)}\n\n{letter_body(letter)}\n"


def _dear(letter: Letter) -> str:
    return gettext("Dear %(name)s,", name=letter.supporter_name)


def _share_line(campaign: CampaignNames, settings: Settings) -> str:
    """What happens next, and a link to share that carries its own source code."""
    url = f"{settings.public_base_url}/c/{campaign.slug}?source=share-receipt"
    if current_language() != "en":
        url += f"&lang={current_language()}"
    next_steps = gettext(
        "What happens next: your MP's office reads letters from constituents and usually "
        "replies within a few weeks. If they reply, the reply comes to this email address."
    )
    ask = gettext("Ask your friends to write too: %(url)s", url=url)
    return f"{next_steps}\n\n{ask}\n"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_NAME_IN_HEADER else text[: MAX_NAME_IN_HEADER - 1] + "…"
