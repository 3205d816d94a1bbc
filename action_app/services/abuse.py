"""Abuse is slowed and held, never silently dropped, and nobody is shut out.

- Bot checks without a CAPTCHA: a honeypot field, and a minimum time between the letter page and
  Continue. A draft that trips either is marked, and held when it is sent; the supporter sees
  the same sent page as anyone.
- The campaign's letter safeguards (services/safeguards.py): very short or identical letters are
  refused at Continue, with the reason, or held when sent.
- One letter per address per MP, without telling a stranger whether an address has written:
  "already written" is shown only to the browser that wrote the earlier letter. Anyone else gets
  the page of a new letter (services/letter_status.py), and the address's owner is emailed.
- Nobody is shut out by the per-email limit: a letter over it waits for the address's owner to
  confirm it by an emailed link, and one address gets only so many of those emails
  (RATE_LIMIT_OWNER_EMAILS); beyond that the letter is held for a person, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import bindparam, exists, or_, select, update

from action_app.extensions import db
from action_app.models import (
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    SentBy,
)
from action_app.models.types import utcnow
from action_app.rate_limits import may_email_owner
from action_app.registry import current_registry
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.services.letter_status import OWNER_CONFIRMS
from action_app.services.letters import Recipient, render_letter
from action_app.services.safeguards import LetterText, Safeguards, Verdict, judge_letter
from action_app.services.submissions import (
    AlreadyWritten,
    LetterInput,
    earlier_letter,
    sent_before,
    submit_draft,
)

BOT_PREFIX = "bot check:"
HONEYPOT_REASON = f"{BOT_PREFIX} the hidden field was filled in"
OWNER_CONFIRMS_REASON = (
    f"{OWNER_CONFIRMS} several letters from this address lately; waits for its owner to confirm"
)
OWNER_EMAILS_HELD_REASON = (
    f"{OWNER_CONFIRMS} several letters from this address lately, and it has been sent its "
    "share of confirmation emails; releasing it sends one"
)


# --- bot checks ---------------------------------------------------------------------------------


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="letter-page-opened")


def page_opened_token(form_token: str) -> str:
    """Signed, with the time the letter page was shown, for the form's hidden field."""
    return _signer().sign(form_token).decode()


def bot_reason(
    honeypot: str | None, opened: str | None, form_token: str | None, *, timed: bool = True
) -> str | None:
    """Why this Continue looks automated (the reason a held letter carries), or None.

    ``timed=False`` (a draft being changed, which was timed when it was written): the page's
    time is still checked for being signed and for this form, but a quick Continue is not
    held against it. A supporter who opens "Change your letter" from the check page and finds
    it fine presses Continue again within seconds."""
    if honeypot:
        return HONEYPOT_REASON
    try:
        signed, when = _signer().unsign(opened or "", return_timestamp=True)
    except BadSignature:
        return "bot check: the letter page's time was missing or altered"
    if signed.decode() != (form_token or ""):
        return "bot check: the letter page's time belongs to another form"
    elapsed = utcnow().timestamp() - when.replace(tzinfo=None).timestamp()
    least = current_registry().settings.bot_min_seconds
    if timed and elapsed < least:
        return f"bot check: Continue {max(elapsed, 0):.1f}s after the letter page opened"
    return None


# --- the campaign's letter safeguards -----------------------------------------------------------


def letter_text(
    campaign: CampaignSnapshot, recipient: Recipient, letter: LetterInput, postcode: str
) -> LetterText:
    """The words of a letter as typed (or the campaign's, for a fixed letter)."""
    if campaign.body_editable:
        before, after = letter.body_before, letter.body_after
    else:
        parts = render_letter(campaign, recipient)
        before, after = parts.before, parts.after
    lines = tuple(x for x in (letter.address_line_1, letter.address_line_2, letter.town) if x)
    return LetterText(
        before, letter.personal_paragraph.strip(), after, letter.name, lines, postcode
    )


def review_letter(campaign: CampaignSnapshot, recipient: Recipient, text: LetterText) -> Verdict:
    """The campaign's verdict on these words for this recipient."""
    safeguards = Safeguards.of(campaign.safeguards)
    already = False
    if safeguards.identical_letter != "allow":
        already = identical_sent(campaign.id, recipient.key, text.fingerprint())
    return judge_letter(safeguards, text, recipient.name, already)


def identical_sent(campaign_id: int, recipient_key: str, fingerprint: str) -> bool:
    """A letter with exactly these words has been sent (or queued) to this recipient."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Letter.campaign_id == campaign_id,
                    Letter.recipient_key == recipient_key,
                    Letter.body_hash == fingerprint,
                    Letter.status == LetterStatus.CONFIRMED,
                )
            )
        )
    )


def draft_marks(*, seat_check: str, body_hash: str, hold_reason: str | None) -> dict:
    """The columns that record how the draft's seat was decided, its fingerprint and why it
    will be held, for a new draft's INSERT (``submissions.save_draft``) or ``annotate_draft``."""
    return {
        "seat_check": seat_check,
        "body_hash": body_hash,
        "hold_reason": hold_reason[:300] if hold_reason else None,
    }


def annotate_draft(
    public_id: str, *, seat_check: str, body_hash: str, hold_reason: str | None
) -> None:
    """Record on the draft how its seat was decided, its fingerprint and why it will be held
    (or that it will not). A bot check's reason, once given, stays: changing the letter does
    not clear it; a safeguard's reason follows the words as they now are."""
    statement = update(Letter).where(
        Letter.public_id == public_id, Letter.status == LetterStatus.DRAFT
    )
    db.session.execute(
        statement.values(seat_check=seat_check, body_hash=body_hash).execution_options(
            synchronize_session=False
        )
    )
    db.session.execute(
        statement.where(
            or_(Letter.hold_reason.is_(None), ~Letter.hold_reason.startswith(BOT_PREFIX))
        )
        .values(hold_reason=hold_reason[:300] if hold_reason else None)
        .execution_options(synchronize_session=False)
    )


# --- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """What pressing Send did: sent (queued), held, awaiting (the owner was emailed instead),
    confirm (waits for the address's owner to confirm: several letters came from it),
    already (this browser wrote to this recipient before: ``earlier``), repeat (sent before,
    or nothing to do now)."""

    kind: str
    earlier: Letter | None = None


def submit_letter(
    letter: Letter,
    campaign: CampaignSnapshot,
    own_letters: list[str],
    *,
    over_email_limit: bool = False,
    sent_by: SentBy | None = None,
) -> Submission:
    """Send a draft, hold it, or (if the address has written to this recipient, or sent
    several letters lately: ``over_email_limit``) leave the decision to the address's owner.
    The caller commits, then dispatches on "sent", "confirm" and "awaiting".

    ``sent_by``: the supporter sends it themselves ("send it myself"). The same rules decide
    it, so that button is no way round them: a letter Send would hold is held (kept out of
    the count), and an address that has written is told. Only "sent" differs: the letter is
    counted at once, as before (no confirmation email), and the platform sends nothing."""
    letter_id, email_key = letter.id, letter.email_key
    reason = letter.hold_reason or _content_hold(letter, campaign)
    if reason:
        held = hold_draft(letter, campaign, reason, sent_by=sent_by)
        return Submission("held" if held else "repeat")
    confirm_first = campaign.require_confirmation and sent_by is None
    if not over_email_limit and not letter.copy_key:
        # The usual case, in one statement: the address's first letter to this recipient.
        # Otherwise (or if it was sent already) the rules below decide, as they always do.
        try:
            if submit_draft(letter, confirm_first, if_first=True, sent_by=sent_by):
                return Submission("sent")
        except AlreadyWritten as refused:
            return _written_meanwhile(refused, letter_id, email_key, own_letters, sent_by)
    earlier = _earlier_letter(letter)
    if earlier is not None and earlier.public_id in own_letters:
        return Submission("already", earlier)
    if earlier is not None and earlier.status == LetterStatus.CONFIRMED:
        return _for_the_owner(letter_id, email_key, over_email_limit, sent_by)
    if over_email_limit:
        return _owner_confirms(letter, campaign, sent_by)
    try:
        sent_now = submit_draft(letter, confirm_first, sent_by=sent_by)
    except AlreadyWritten as refused:
        return _written_meanwhile(refused, letter_id, email_key, own_letters, sent_by)
    return Submission("sent" if sent_now else "repeat")


def _written_meanwhile(
    refused: AlreadyWritten,
    letter_id: int,
    email_key: str,
    own_letters: list[str],
    sent_by: SentBy | None,
) -> Submission:
    """Another letter from the address to this recipient was confirmed first (the index
    refused this one): it is this browser's own, or its owner is asked."""
    db.session.rollback()
    earlier = earlier_letter(refused)
    if earlier.public_id in own_letters:
        return Submission("already", earlier)
    return _for_the_owner(letter_id, email_key, False, sent_by)


def _for_the_owner(
    letter_id: int, email_key: str, over_email_limit: bool, sent_by: SentBy | None
) -> Submission:
    """The address has written to this recipient: its owner is emailed, unless the address
    has had its share of such emails lately; then a person looks at the letter first."""
    if not over_email_limit:
        return Submission("awaiting" if _ask_the_owner(letter_id, sent_by=sent_by) else "repeat")
    if may_email_owner(email_key):
        moved = _ask_the_owner(letter_id, reason=OWNER_CONFIRMS_REASON, sent_by=sent_by)
        return Submission("awaiting" if moved else "repeat")
    _ask_the_owner(letter_id, reason=OWNER_EMAILS_HELD_REASON, held=True, sent_by=sent_by)
    return Submission("repeat")  # nothing to queue: it waits for a person


def _owner_confirms(
    letter: Letter, campaign: CampaignSnapshot, sent_by: SentBy | None
) -> Submission:
    """Several letters came from this address lately: this one is not refused (that would
    let anyone lock the owner out) but waits for the owner to confirm it by an emailed link,
    or, when the address has had its share of those emails, for a person."""
    if not may_email_owner(letter.email_key):
        held = hold_draft(
            letter, campaign, OWNER_EMAILS_HELD_REASON, MessageKind.CONFIRMATION, sent_by=sent_by
        )
        return Submission("held" if held else "repeat")
    if not submit_draft(letter, require_confirmation=True, sent_by=sent_by):
        return Submission("repeat")
    db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id)
        .values(hold_reason=OWNER_CONFIRMS_REASON)
        .execution_options(synchronize_session=False)
    )
    return Submission("confirm")


def _content_hold(letter: Letter, campaign: CampaignSnapshot) -> str | None:
    """At Send, a letter identical to one sent since Continue is held rather than refused."""
    safeguards = Safeguards.of(campaign.safeguards)
    if safeguards.identical_letter == "allow" or not letter.body_hash:
        return None
    if identical_sent(letter.campaign_id, letter.recipient_key, letter.body_hash):
        return "content: identical to a letter already sent to this recipient"
    return None


# Built once (this runs on every Send): the address's letters to the recipient, sent before.
_EARLIER_LETTER = (
    select(Letter.id)
    .where(
        *sent_before(
            Letter,
            campaign_id=bindparam("campaign_id"),
            recipient_key=bindparam("recipient_key"),
            email_key=bindparam("email_key"),
            letter_id=bindparam("letter_id"),
        )
    )
    .order_by(Letter.status.desc(), Letter.id)  # a confirmed one first
    .limit(1)
)


def _earlier_letter(letter: Letter) -> Letter | None:
    """The address's letter to this recipient sent before (a confirmed one first), if any.
    Asked for its id alone, as there usually is none: a whole letter's forty columns cost
    more to describe than the query costs to run, row or no row."""
    earlier_id = db.session.scalar(
        _EARLIER_LETTER,
        {
            "campaign_id": letter.campaign_id,
            "recipient_key": letter.recipient_key,
            "email_key": letter.email_key,
            "letter_id": letter.id,
        },
    )
    return None if earlier_id is None else db.session.get(Letter, earlier_id)


def hold_draft(
    letter: Letter,
    campaign: CampaignSnapshot,
    reason: str,
    kind: MessageKind | None = None,
    *,
    sent_by: SentBy | None = None,
) -> bool:
    """Move the draft to held (once), with its message waiting as held (flushes): the one to
    the MP, or the confirmation email if the campaign (or ``kind``) asks for one first. A
    letter the supporter sends themselves (``sent_by``) has no message of its own: holding it
    keeps it out of the count until a person releases it."""
    now = utcnow()
    moved = db.session.execute(
        update(Letter)
        .where(Letter.id == letter.id, Letter.status == LetterStatus.DRAFT)
        .values(
            status=LetterStatus.HELD,
            hold_reason=reason[:300],
            sent_by=sent_by,
            submitted_at=now,
            updated_at=now,
        )
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    if kind is not None:
        kinds = [kind]
    elif sent_by is not None:
        kinds = []
    elif campaign.require_confirmation:
        kinds = [MessageKind.CONFIRMATION]
    else:  # the letter's own emails: to the MP, and its copy if it carries one
        kinds = [MessageKind.MP] + ([MessageKind.COPY] if letter.copy_key else [])
    for each in kinds:
        _insert_message(letter.id, each, MessageStatus.HELD, now, dispatched=False)
    return True


def _ask_the_owner(
    letter_id: int,
    *,
    reason: str | None = None,
    held: bool = False,
    sent_by: SentBy | None = None,
) -> bool:
    """The address has a letter to this recipient already, from another browser: this one
    waits for the address's owner, who is emailed what happened and how to act (``held``:
    the email waits for a person to release it)."""
    now = utcnow()
    moved = db.session.execute(
        update(Letter)
        .where(Letter.id == letter_id, Letter.status == LetterStatus.DRAFT)
        .values(
            status=LetterStatus.HELD if held else LetterStatus.AWAITING_CONFIRMATION,
            hold_reason=reason,
            sent_by=sent_by,
            submitted_at=now,
            updated_at=now,
        )
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    status = MessageStatus.HELD if held else MessageStatus.PENDING
    _insert_message(letter_id, MessageKind.ADDRESS_USED, status, now, dispatched=not held)
    return True


def _insert_message(letter_id: int, kind: str, status: str, now, *, dispatched: bool) -> None:
    db.session.execute(
        OutboundMessage.__table__.insert(),
        {
            "letter_id": letter_id,
            "kind": kind,
            "status": status,
            "attempts": 0,
            "next_attempt_at": now,
            "dispatched_at": now if dispatched else None,
            "created_at": now,
        },
    )
