"""Abuse is slowed and held, never silently dropped, and nobody is shut out.

- Bot checks without a CAPTCHA: a honeypot field, and a minimum time between the letter page and
  Continue. A draft that trips either is marked, and held when it is sent; the supporter sees
  the same sent page as anyone.
- The campaign's letter safeguards (services/safeguards.py): very short or identical letters are
  refused at Continue, with the reason, or held when sent.
- One letter per address per MP, without telling a stranger whether an address has written:
  "already written" is shown only to the browser that wrote the earlier letter. Anyone else gets
  the page of a letter that awaits its confirmation, and the address's owner is emailed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import exists, or_, select, update

from action_app.extensions import db
from action_app.models import (
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
)
from action_app.models.statuses import SUBMITTED
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.services.letters import Recipient, render_letter
from action_app.services.safeguards import LetterText, Safeguards, Verdict, judge_letter
from action_app.services.submissions import (
    AlreadyWritten,
    LetterInput,
    earlier_letter,
    submit_draft,
)

BOT_PREFIX = "bot check:"
HONEYPOT_REASON = f"{BOT_PREFIX} the hidden field was filled in"


# --- bot checks ---------------------------------------------------------------------------------


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="letter-page-opened")


def page_opened_token(form_token: str) -> str:
    """Signed, with the time the letter page was shown, for the form's hidden field."""
    return _signer().sign(form_token).decode()


def bot_reason(honeypot: str | None, opened: str | None, form_token: str | None) -> str | None:
    """Why this Continue looks automated (the reason a held letter carries), or None."""
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
    if elapsed < least:
        return f"bot check: Continue {max(elapsed, 0):.1f}s after the letter page opened"
    return None


# --- the campaign's letter safeguards -----------------------------------------------------------


def letter_text(
    view: CampaignSnapshot, recipient: Recipient, letter: LetterInput, postcode: str
) -> LetterText:
    """The words of a letter as typed (or the campaign's, for a fixed letter)."""
    if view.body_editable:
        before, after = letter.body_before, letter.body_after
    else:
        parts = render_letter(view, recipient)
        before, after = parts.before, parts.after
    lines = tuple(x for x in (letter.address_line_1, letter.address_line_2, letter.town) if x)
    return LetterText(
        before, letter.personal_paragraph.strip(), after, letter.name, lines, postcode
    )


def review_letter(view: CampaignSnapshot, recipient: Recipient, text: LetterText) -> Verdict:
    """The campaign's verdict on these words for this recipient."""
    safeguards = Safeguards.of(view.safeguards)
    already = False
    if safeguards.identical_letter != "allow":
        already = identical_sent(view.id, recipient.key, text.fingerprint())
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
    already (this browser wrote to this recipient before: ``earlier``), repeat (sent before)."""

    kind: str
    earlier: Letter | None = None


def submit_letter(action: Letter, view: CampaignSnapshot, own_letters: list[str]) -> Submission:
    """Send a draft, hold it, or (if the address has written to this recipient) leave the
    decision to the address's owner. The caller commits, then dispatches on "sent"."""
    action_id = action.id
    reason = action.hold_reason or _content_hold(action, view)
    if reason:
        return Submission("held" if hold_draft(action, view, reason) else "repeat")
    earlier = _earlier_letter(action)
    if earlier is not None and earlier.public_id in own_letters:
        return Submission("already", earlier)
    if earlier is not None and earlier.status == LetterStatus.CONFIRMED:
        return Submission("awaiting" if _ask_the_owner(action_id) else "repeat")
    try:
        sent_now = submit_draft(action, view.require_confirmation)
    except AlreadyWritten as refused:  # another letter from the address got there first
        db.session.rollback()
        earlier = earlier_letter(refused)
        if earlier.public_id in own_letters:
            return Submission("already", earlier)
        return Submission("awaiting" if _ask_the_owner(action_id) else "repeat")
    return Submission("sent" if sent_now else "repeat")


def _content_hold(action: Letter, view: CampaignSnapshot) -> str | None:
    """At Send, a letter identical to one sent since Continue is held rather than refused."""
    safeguards = Safeguards.of(view.safeguards)
    if safeguards.identical_letter == "allow" or not action.body_hash:
        return None
    if identical_sent(action.campaign_id, action.recipient_key, action.body_hash):
        return "content: identical to a letter already sent to this recipient"
    return None


def _earlier_letter(action: Letter) -> Letter | None:
    return db.session.scalar(
        select(Letter)
        .where(
            Letter.campaign_id == action.campaign_id,
            Letter.recipient_key == action.recipient_key,
            Letter.email_key == action.email_key,
            Letter.status.in_(SUBMITTED),
            Letter.id != action.id,
        )
        .order_by(Letter.status.desc(), Letter.id)  # a confirmed one first
        .limit(1)
    )


def hold_draft(action: Letter, view: CampaignSnapshot, reason: str) -> bool:
    """Move the draft to held (once), with its message waiting as held (flushes)."""
    now = utcnow()
    moved = db.session.execute(
        update(Letter)
        .where(Letter.id == action.id, Letter.status == LetterStatus.DRAFT)
        .values(
            status=LetterStatus.HELD, hold_reason=reason[:300], submitted_at=now, updated_at=now
        )
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    if view.require_confirmation:
        kinds = [MessageKind.CONFIRMATION]
    else:  # the letter's own emails: to the MP, and its copy if it carries one
        kinds = [MessageKind.MP] + ([MessageKind.COPY] if action.copy_key else [])
    for kind in kinds:
        _insert_message(action.id, kind, MessageStatus.HELD, now, dispatched=False)
    return True


def _ask_the_owner(action_id: int) -> bool:
    """The address has a letter to this recipient already, from another browser: this one
    waits for the address's owner, who is emailed what happened and how to act."""
    now = utcnow()
    moved = db.session.execute(
        update(Letter)
        .where(Letter.id == action_id, Letter.status == LetterStatus.DRAFT)
        .values(status=LetterStatus.AWAITING_CONFIRMATION, submitted_at=now, updated_at=now)
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    _insert_message(
        action_id, MessageKind.ADDRESS_USED, MessageStatus.PENDING, now, dispatched=True
    )
    return True


def _insert_message(action_id: int, kind: str, status: str, now, *, dispatched: bool) -> None:
    db.session.execute(
        OutboundMessage.__table__.insert(),
        {
            "letter_id": action_id,
            "kind": kind,
            "status": status,
            "attempts": 0,
            "next_attempt_at": now,
            "dispatched_at": now if dispatched else None,
            "created_at": now,
        },
    )
