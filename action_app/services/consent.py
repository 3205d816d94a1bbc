"""What a supporter agrees to: the consent to send, and each organisation's opt-in.

The words of the consent box live here, and their version is a digest of the words, so the
version stored with each letter changes whenever the wording does and always names the exact
text the supporter ticked. Each opt-in is recorded with the organisation, its exact wording and
the time it was given.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from action_app.extensions import db
from action_app.models import OptInRecord

CONSENT_WORDING = "I agree that my name, address, email address and letter are sent to {recipient}"
CONSENT_VERSION = "c1-" + hashlib.sha256(CONSENT_WORDING.encode()).hexdigest()[:12]


def consent_wording(recipient_name: str) -> str:
    """The consent box's label, as the supporter reads it."""
    return CONSENT_WORDING.format(recipient=recipient_name)


def opt_in_wording(organisation: dict) -> str:
    """An organisation's opt-in box's label, as the supporter reads it."""
    return organisation.get("statement") or f"Email me news from {organisation['name']}"


def record_opt_ins(
    letter_id: int, campaign_id: int, organisations: tuple[dict, ...] | list[dict],
    chosen: list[str], given_at: datetime,
) -> int:  # fmt: skip
    """Record each opt-in the supporter ticked, with its exact wording (flushes); returns how
    many were recorded."""
    offered = {o["slug"]: o for o in organisations}
    rows = [
        {
            "letter_id": letter_id,
            "campaign_id": campaign_id,
            "organisation_slug": slug,
            "organisation_name": offered[slug]["name"],
            "wording": opt_in_wording(offered[slug]),
            "given_at": given_at,
        }
        for slug in dict.fromkeys(chosen)
        if slug in offered
    ]
    if rows:
        db.session.execute(OptInRecord.__table__.insert(), rows)
    return len(rows)
