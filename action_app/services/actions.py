"""Recording a supporter's letter: the draft, the send, and the email confirmation.

A letter is saved as a draft when the supporter continues to the check page, and moves on exactly
once, by one conditional UPDATE, when they press send; a second press, a refresh or the back
button finds it already sent. The same transaction writes the pending message, so nothing is lost
if the broker is down: the caller commits, then dispatches.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from action_app.extensions import db
from action_app.models import Action, OutboundMessage
from action_app.models.action import SUBMITTED
from action_app.models.types import utcnow
from action_app.services.campaign_cache import CampaignView, cached_campaign_by_id
from action_app.services.consent import CONSENT_VERSION, record_opt_ins
from action_app.services.letters import (
    Recipient,
    Supporter,
    fill_tokens,
    join_letter,
    render_letter,
)
from action_app.sql import insert_unless_exists

CONFIRMATION_DAYS = 7
_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


class AlreadyWritten(Exception):
    """This supporter has already written to this recipient in this campaign."""

    def __init__(self, action: Action):
        super().__init__(f"action {action.id} already submitted")
        self.action = action


@dataclass
class LetterInput:
    """What the supporter typed, already checked by the form."""

    name: str
    email: str
    address_line_1: str
    town: str
    address_line_2: str = ""
    subject: str = ""
    body_before: str = ""
    body_after: str = ""
    personal_paragraph: str = ""
    opt_ins: list[str] = field(default_factory=list)

    def supporter(self, postcode: str) -> Supporter:
        lines = tuple(x for x in (self.address_line_1, self.address_line_2, self.town) if x)
        return Supporter(name=self.name, address_lines=lines, postcode=postcode)


def email_key(email: str) -> str:
    """The address as one person: case-folded, without a +tag; dots ignored for Gmail."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _GMAIL_DOMAINS:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def find_action(public_id: str, campaign_id: int) -> Action | None:
    return db.session.scalar(
        select(Action).where(Action.public_id == public_id, Action.campaign_id == campaign_id)
    )


def save_draft(
    campaign: CampaignView,
    recipient: Recipient,
    *,
    postcode: str,
    source: str | None,
    form_token: str,
    letter: LetterInput,
    draft: Action | None = None,
) -> str:
    """Create the draft (or update the one being changed); return its public id.

    This is the busiest write in a surge, so a new draft is one statement: an INSERT that does
    nothing if this form was posted before (the form token is unique), in which case the
    earlier draft is the answer. Whether the supporter has written before is settled when
    they send, by the one-letter-per-supporter index."""
    values = _draft_values(campaign, recipient, postcode, source, form_token, letter)
    now = utcnow()
    if draft is not None and draft.status == "draft":
        db.session.execute(
            update(Action)
            .where(Action.id == draft.id, Action.status == "draft")
            .values(**values, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return draft.public_id
    public_id = secrets.token_urlsafe(16)
    statement = insert_unless_exists(
        db.session.get_bind().dialect.name, Action.__table__, ("form_token",), "public_id"
    )
    row = db.session.execute(
        statement,
        {
            **values,
            "public_id": public_id,
            "campaign_id": campaign.id,
            "status": "draft",
            "created_at": now,
            "updated_at": now,
        },
    ).first()
    if row is not None:
        return row.public_id
    return db.session.scalar(select(Action.public_id).where(Action.form_token == form_token))


def _draft_values(
    campaign: CampaignView,
    recipient: Recipient,
    postcode: str,
    source: str | None,
    form_token: str,
    letter: LetterInput,
) -> dict:
    supporter = letter.supporter(postcode)
    if campaign.body_editable:
        subject = fill_tokens(letter.subject, supporter)
        before = fill_tokens(letter.body_before, supporter)
        after = fill_tokens(letter.body_after, supporter)
    else:
        parts = render_letter(campaign, recipient, supporter)
        subject, before, after = parts.subject, parts.before, parts.after
    offered = {o["slug"] for o in campaign.organisations}
    return {
        "form_token": form_token,
        "recipient_key": recipient.key,
        "recipient_name": recipient.name,
        "recipient_email": recipient.email,
        "member_id": recipient.member_id,
        "constituency_id": recipient.constituency_id,
        "supporter_name": letter.name,
        "supporter_email": letter.email,
        "email_key": email_key(letter.email),
        "address_line_1": letter.address_line_1,
        "address_line_2": letter.address_line_2,
        "town": letter.town,
        "postcode": postcode,
        "subject": subject,
        "body_before": before,
        "personal_paragraph": letter.personal_paragraph.strip(),
        "body_after": after,
        "opt_ins": [slug for slug in letter.opt_ins if slug in offered],
        "source": source,
        "consent_version": CONSENT_VERSION,
    }


def letter_body(action: Action) -> str:
    """The body of the letter as the MP will read it, below the supporter's details."""
    return join_letter(action.body_before, action.personal_paragraph, action.body_after)


def submit_draft(action: Action, require_confirmation: bool) -> bool:
    """Send the draft, exactly once: True if this call sent it, False if it was already sent.

    One conditional UPDATE moves the draft on, and the pending message is written in the same
    transaction (the caller commits). Raises AlreadyWritten, with the transaction rolled back,
    if the supporter has sent this recipient a letter before: the one-letter-per-supporter
    index refuses the UPDATE."""
    status = "awaiting_confirmation" if require_confirmation else "confirmed"
    now = utcnow()
    action_id = action.id
    duplicate_of = (action.campaign_id, action.recipient_key, action.email_key)
    try:
        moved = db.session.execute(
            update(Action)
            .where(Action.id == action_id, Action.status == "draft")
            .values(
                status=status,
                submitted_at=now,
                updated_at=now,
                confirmed_at=None if require_confirmation else now,
            )
            .returning(Action.id)
            .execution_options(synchronize_session=False)
        ).first()
    except IntegrityError:
        db.session.rollback()
        raise AlreadyWritten(_submitted_like(*duplicate_of) or action) from None
    if moved is None:
        return False
    record_opt_ins(action_id, action.campaign_id, offered_by(action), action.opt_ins or [], now)
    # Marked as dispatched now: the caller dispatches right after the commit, and calls
    # forget_dispatch if the broker refuses.
    _queue_message(action_id, "confirmation" if require_confirmation else "mp", now)
    return True


def offered_by(action: Action) -> tuple[dict, ...]:
    """The organisations the letter's campaign offers opt-ins for."""
    campaign = cached_campaign_by_id(action.campaign_id)
    return campaign.organisations if campaign is not None else ()


def _queue_message(action_id: int, kind: str, now) -> None:
    db.session.execute(
        OutboundMessage.__table__.insert(),
        {
            "action_id": action_id,
            "kind": kind,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "dispatched_at": now,
            "created_at": now,
        },
    )


def _submitted_like(campaign_id: int, recipient_key: str, key: str) -> Action | None:
    return db.session.scalar(
        select(Action).where(
            Action.campaign_id == campaign_id,
            Action.recipient_key == recipient_key,
            Action.email_key == key,
            Action.status.in_(SUBMITTED),
        )
    )


def confirm_action(action: Action) -> bool:
    """The supporter clicked their link: queue the letter (once). True if this call did it."""
    now = utcnow()
    moved = db.session.execute(
        update(Action)
        .where(Action.id == action.id, Action.status == "awaiting_confirmation")
        .values(status="confirmed", confirmed_at=now, updated_at=now)
        .returning(Action.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        return False
    _queue_message(action.id, "mp", now)
    return True


def _confirmation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-letter")


def confirmation_token(action: Action) -> str:
    return _confirmation_serializer().dumps(action.public_id)


class ConfirmationExpired(Exception):
    """The link is older than seven days."""


def action_for_confirmation(token: str, campaign_id: int) -> Action | None:
    """The letter a confirmation link is for; ConfirmationExpired if it is too old."""
    try:
        public_id = _confirmation_serializer().loads(token, max_age=CONFIRMATION_DAYS * 86400)
    except SignatureExpired:
        raise ConfirmationExpired() from None
    except BadSignature:
        return None
    return find_action(public_id, campaign_id)
