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
from action_app.services.campaign_cache import CampaignView
from action_app.services.letters import (
    Recipient,
    Supporter,
    fill_tokens,
    join_letter,
    render_letter,
)

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


def find_submitted(campaign_id: int, recipient_key: str, email: str) -> Action | None:
    """The letter this supporter already sent to this recipient in this campaign, if any."""
    return db.session.scalar(
        select(Action).where(
            Action.campaign_id == campaign_id,
            Action.recipient_key == recipient_key,
            Action.email_key == email_key(email),
            Action.status.in_(SUBMITTED),
        )
    )


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
) -> Action:
    """Create the draft (or update the one being changed) and return it (flushes)."""
    same_form = db.session.scalar(select(Action).where(Action.form_token == form_token))
    if same_form is not None and (draft is None or same_form.id != draft.id):
        return same_form  # the same form posted twice: one draft
    action = draft if draft is not None and draft.status == "draft" else None
    if action is None:
        action = Action(public_id=secrets.token_urlsafe(16), campaign_id=campaign.id)
        db.session.add(action)
    supporter = letter.supporter(postcode)
    if campaign.body_editable:
        subject = fill_tokens(letter.subject, supporter)
        before = fill_tokens(letter.body_before, supporter)
        after = fill_tokens(letter.body_after, supporter)
    else:
        parts = render_letter(campaign, recipient, supporter)
        subject, before, after = parts.subject, parts.before, parts.after
    action.form_token = form_token
    action.recipient_key = recipient.key
    action.recipient_name = recipient.name
    action.recipient_email = recipient.email
    action.member_id = recipient.member_id
    action.constituency_id = recipient.constituency_id
    action.supporter_name = letter.name
    action.supporter_email = letter.email
    action.email_key = email_key(letter.email)
    action.address_line_1 = letter.address_line_1
    action.address_line_2 = letter.address_line_2
    action.town = letter.town
    action.postcode = postcode
    action.subject = subject
    action.body_before = before
    action.personal_paragraph = letter.personal_paragraph.strip()
    action.body_after = after
    action.opt_ins = [
        slug for slug in letter.opt_ins if slug in {o["slug"] for o in campaign.organisations}
    ]
    action.source = source
    db.session.flush()
    return action


def letter_body(action: Action) -> str:
    """The body of the letter as the MP will read it, below the supporter's details."""
    return join_letter(action.body_before, action.personal_paragraph, action.body_after)


def submit_draft(action: Action, require_confirmation: bool) -> bool:
    """Send the draft, exactly once: True if this call sent it, False if it was already sent.
    Raises AlreadyWritten if the supporter has sent one like it before (flushes)."""
    status = "awaiting_confirmation" if require_confirmation else "confirmed"
    now = utcnow()
    try:
        with db.session.begin_nested():
            result = db.session.execute(
                update(Action)
                .where(Action.id == action.id, Action.status == "draft")
                .values(
                    status=status,
                    submitted_at=now,
                    confirmed_at=None if require_confirmation else now,
                )
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        existing = db.session.scalar(
            select(Action).where(
                Action.campaign_id == action.campaign_id,
                Action.recipient_key == action.recipient_key,
                Action.email_key == action.email_key,
                Action.status.in_(SUBMITTED),
            )
        )
        raise AlreadyWritten(existing or action) from None
    db.session.refresh(action)
    if not result.rowcount:
        return False
    kind = "confirmation" if require_confirmation else "mp"
    # Marked as dispatched now, in the same transaction: the caller dispatches right after the
    # commit, and calls forget_dispatch if the broker refuses.
    db.session.add(OutboundMessage(action_id=action.id, kind=kind, dispatched_at=now))
    db.session.flush()
    return True


def confirm_action(action: Action) -> bool:
    """The supporter clicked their link: queue the letter (once). True if this call did it."""
    now = utcnow()
    result = db.session.execute(
        update(Action)
        .where(Action.id == action.id, Action.status == "awaiting_confirmation")
        .values(status="confirmed", confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(action)
    if not result.rowcount:
        return False
    db.session.add(OutboundMessage(action_id=action.id, kind="mp", dispatched_at=now))
    db.session.flush()
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
