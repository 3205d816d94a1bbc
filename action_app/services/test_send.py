"""Test sends: the letter for a chosen MP (and its copy to the campaign's additional recipient,
if any), sent to the editor's own address through the real queue, worker and mail transport,
marked [TEST] and never counted or receipted."""

from __future__ import annotations

import secrets

from action_app.extensions import db
from action_app.models import (
    Campaign,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    StaffUser,
)
from action_app.models.letter import TEST_SOURCE
from action_app.models.types import utcnow
from action_app.services import audit
from action_app.services.seats import SeatSnapshot
from action_app.services.staff_preview import letter_for
from action_app.services.submissions import LetterInput


def queue_test_letter(
    campaign: Campaign, seat: SeatSnapshot, supporter: LetterInput, user: StaffUser
) -> int:
    """Save a test letter addressed to ``user`` with its message pending; return its id for
    the caller to dispatch after committing."""
    letter = letter_for(campaign, seat, supporter)
    now = utcnow()
    token = secrets.token_urlsafe(16)
    letter.public_id = token
    letter.form_token = f"test-{token}"
    letter.recipient_key = f"test:{token}"
    letter.recipient_email = user.email
    letter.supporter_email = user.email
    letter.email_key = f"test:{token}"
    letter.source = TEST_SOURCE
    letter.status = LetterStatus.CONFIRMED
    letter.submitted_at = letter.confirmed_at = now
    db.session.add(letter)
    db.session.flush()
    # The copy to the campaign's additional recipient, if it has one, comes to the editor too.
    kinds = [MessageKind.MP] + ([MessageKind.COPY] if letter.copy_key else [])
    if letter.copy_key:
        letter.copy_key, letter.copy_email = f"test:{token}", user.email
    for kind in kinds:
        db.session.add(
            OutboundMessage(letter_id=letter.id, kind=kind, status=MessageStatus.PENDING)
        )
    audit.record(
        "campaign_test_send",
        campaign.slug,
        details={"mp": seat.member.display_name if seat.member else seat.name, "to": user.email},
    )
    db.session.flush()
    return letter.id
