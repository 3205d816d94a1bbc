"""The emails of the abuse defences: a chosen seat that was not the postcode's (to the
supporter), an MP who left the seat before the letter went (to the supporter), an address used
again by another browser (to its owner), and a letter its address's owner did not send (to the
MP's office). No value a supporter typed reaches a header here except
the ``To`` address of the supporter's own emails."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, localtime

from sqlalchemy import select

from action_app.config import Settings
from action_app.extensions import db
from action_app.formatting import uk_date
from action_app.i18n import gettext
from action_app.models import Letter, LetterStatus, MessageKind, OutboundMessage
from action_app.services import emails, lookup
from action_app.services.campaigns import in_uk_time
from action_app.services.owner import not_me_url
from action_app.services.seat_check import real_mp_token
from action_app.services.submissions import confirmation_token

KINDS = (
    MessageKind.SEAT_MISMATCH,
    MessageKind.MP_LEFT,
    MessageKind.ADDRESS_USED,
    MessageKind.DISOWNED,
    MessageKind.COPY_DISOWNED,
)


def build(message: OutboundMessage, letter: Letter, campaign, settings: Settings) -> EmailMessage:
    """The email for one of KINDS."""
    if message.kind == MessageKind.SEAT_MISMATCH:
        return _seat_mismatch(message, letter, campaign, settings)
    if message.kind == MessageKind.MP_LEFT:
        return _mp_left(message, letter, campaign, settings)
    if message.kind == MessageKind.ADDRESS_USED:
        return _address_used(message, letter, campaign, settings)
    if message.kind == MessageKind.DISOWNED:
        to = (letter.recipient_name, letter.recipient_email, letter.mp_message())
        return _disowned(message, letter, campaign, settings, *to)
    if message.kind == MessageKind.COPY_DISOWNED:
        to = (letter.copy_name or "", letter.copy_email or "", letter.copy_message())
        return _disowned(message, letter, campaign, settings, *to)
    raise ValueError(f"not a notice: {message.kind!r}")


def _base(message: OutboundMessage, settings: Settings, campaign) -> EmailMessage:
    email = EmailMessage()
    email["Message-ID"] = emails.message_id(message, settings)
    email["Date"] = format_datetime(localtime())
    title = " ".join(campaign.title.split())[:69]
    email["From"] = Address(display_name=title, addr_spec=settings.mail.from_address)
    return email


def _to_supporter(message, letter, campaign, settings) -> EmailMessage:
    email = _base(message, settings, campaign)
    email["To"] = Address(addr_spec=letter.supporter_email)
    email["Auto-Submitted"] = "auto-generated"
    return email


def _seat_mismatch(message, letter, campaign, settings) -> EmailMessage:
    email = _to_supporter(message, letter, campaign, settings)
    email["Subject"] = gettext("Your letter has not been sent: please check your MP")
    link = f"{settings.public_base_url}/c/{campaign.slug}/real-mp/{real_mp_token(letter)}"
    link += _lang_query(letter)
    checked = gettext(
        "You wrote to %(name)s when we could not look up postcodes, and chose your "
        "constituency from a list. We have now checked your postcode, %(postcode)s, and it is "
        "not in that constituency, so we have not sent your letter: MPs answer letters from "
        "the people who live in their constituency.",
        name=letter.recipient_name,
        postcode=letter.postcode,
    )
    open_link = gettext(
        "To send your letter to the MP for %(postcode)s, open this link. You will see the "
        "letter before it is sent:",
        postcode=letter.postcode,
    )
    page = f"{settings.public_base_url}/c/{campaign.slug}{_lang_query(letter)}"
    again = gettext(
        "If that is not your postcode, you can write again from the campaign page with the "
        "right one: %(url)s",
        url=page,
    )
    dear = gettext("Dear %(name)s,", name=letter.supporter_name)
    emails.set_text(email, f"{dear}\n\n{checked}\n\n{open_link}\n\n{link}\n\n{again}\n")
    return email


def _mp_left(message, letter, campaign, settings) -> EmailMessage:
    """The letter's MP left the seat while it waited to be sent (recipient_check)."""
    email = _to_supporter(message, letter, campaign, settings)
    seat = letter.constituency_id
    found = lookup.find_mp_for_seat(seat, None) if seat is not None else None
    names = {
        "name": letter.recipient_name,
        "seat": found.seat.name if found is not None else letter.postcode,
    }
    email["Subject"] = gettext(
        "Your letter has not been sent: %(name)s is no longer the MP for %(seat)s", **names
    )
    left = gettext(
        "You wrote to %(name)s as the MP for %(seat)s. Before your letter was sent, %(name)s "
        "stopped being the MP for %(seat)s, so we have not sent it: it is addressed to them "
        "by name.",
        **names,
    )
    open_link = gettext(
        "To send your letter to the MP for %(seat)s instead, open this link. You will see the "
        "letter, addressed to them, before it is sent:",
        **names,
    )
    link = f"{settings.public_base_url}/c/{campaign.slug}/real-mp/{real_mp_token(letter)}"
    link += _lang_query(letter)
    vacant = gettext(
        "If the seat has no MP yet, the page will say so: the link works for 30 days, so you "
        "can come back to it."
    )
    dear = gettext("Dear %(name)s,", name=letter.supporter_name)
    emails.set_text(email, f"{dear}\n\n{left}\n\n{open_link}\n\n{link}\n\n{vacant}\n")
    return email


def _address_used(message, letter, campaign, settings) -> EmailMessage:
    email = _to_supporter(message, letter, campaign, settings)
    email["Subject"] = gettext("Someone used your email address to write to your MP")
    earlier = _earlier_sent(letter)
    base = settings.public_base_url
    confirm = f"{base}/c/{campaign.slug}/confirm/{confirmation_token(letter)}"
    confirm += _lang_query(letter)
    sent_at = earlier.submitted_at if earlier is not None else None
    names = {"name": letter.recipient_name, "campaign": campaign.title}
    if sent_at:
        already = gettext(
            "Someone, perhaps you, has just written a letter to %(name)s for the campaign "
            '"%(campaign)s" using this email address. A letter from this address to %(name)s '
            "was already sent on %(when)s, so we have not sent the new one.",
            when=uk_date(in_uk_time(sent_at)),
            **names,
        )
    else:
        already = gettext(
            "Someone, perhaps you, has just written a letter to %(name)s for the campaign "
            '"%(campaign)s" using this email address. A letter from this address to %(name)s '
            "was already sent, so we have not sent the new one.",
            **names,
        )
    dispute = (
        gettext(
            "If you did not send that earlier letter, tell us here and we will let %(name)s's "
            "office know: %(url)s",
            name=letter.recipient_name,
            url=not_me_url(earlier, campaign.slug),
        )
        + "\n\n"
        if earlier is not None
        else ""
    )
    instead = gettext(
        "If the new letter is yours and you want it sent instead, first use the link above, "
        "then open this one and press the button (it works for 7 days):"
    )
    neither = gettext(
        "If you did neither, you need do nothing: the new letter will be deleted after 7 days."
    )
    hello = gettext("Hello,")
    emails.set_text(
        email,
        f"{hello}\n\n{already}\n\n{dispute}{instead}\n\n{confirm}\n\n{neither}\n",
    )
    return email


def _disowned(message, letter, campaign, settings, name, address, original) -> EmailMessage:
    """To the office that received the letter (the MP's, or the copy's recipient's)."""
    email = _base(message, settings, campaign)
    intended = Address(display_name=name, addr_spec=address)
    if settings.mail.redirect_to:
        email["To"] = settings.mail.redirect_to
        email["X-Intended-Recipient"] = str(intended)
    else:
        email["To"] = intended
    if original is not None:
        email["In-Reply-To"] = email["References"] = emails.message_id(original, settings)
    email["Subject"] = gettext("Please disregard a letter sent to you: its sender did not write it")
    sent = original.sent_at if original is not None else None
    names = {
        "signed": letter.supporter_name,
        "subject": emails.mp_subject(letter),
        "campaign": campaign.title,
        "email": letter.supporter_email,
    }
    if sent:
        what = gettext(
            'On %(date)s we sent you a letter signed "%(signed)s", with the subject '
            '"%(subject)s", for the campaign "%(campaign)s". The owner of the email address it '
            "gave, %(email)s, has told us that they did not send it.",
            date=uk_date(in_uk_time(sent)),
            **names,
        )
    else:
        what = gettext(
            'We sent you a letter signed "%(signed)s", with the subject "%(subject)s", for the '
            'campaign "%(campaign)s". The owner of the email address it gave, %(email)s, has '
            "told us that they did not send it.",
            **names,
        )
    dear = gettext("Dear %(name)s,", name=name)
    disregard = gettext(
        "Please disregard that letter. If its owner writes to you themselves, that letter will "
        "come separately."
    )
    emails.set_text(email, f"{dear}\n\n{what}\n\n{disregard}\n")
    return email


def _lang_query(letter: Letter) -> str:
    """Links in a Welsh letter's emails open the pages in Welsh."""
    return f"?lang={letter.language}" if letter.language == "cy" else ""


def _earlier_sent(letter: Letter) -> Letter | None:
    return db.session.scalar(
        select(Letter).where(
            Letter.campaign_id == letter.campaign_id,
            Letter.recipient_key == letter.recipient_key,
            Letter.email_key == letter.email_key,
            Letter.status == LetterStatus.CONFIRMED,
            Letter.id != letter.id,
        )
    )
