"""What a supporter agrees to: the consent to send, and each organisation's opt-in.

The words of the consent box live here, and their version is a digest of the words, so the
version stored with each letter changes whenever the wording does and always names the exact
text the supporter ticked. Each opt-in is recorded (stats/counting.py, opt_in_records) with
the organisation, this exact wording and the time it was given.
"""

from __future__ import annotations

import hashlib

from flask_babel import gettext

CONSENT_WORDING = "I agree that my name, address, email address and letter are sent to {recipient}"
CONSENT_VERSION = "c1-" + hashlib.sha256(CONSENT_WORDING.encode()).hexdigest()[:12]
# For a campaign that copies each letter to a fixed recipient (a minister) as well.
CONSENT_WORDING_WITH_COPY = (
    "I agree that my name, address, email address and letter are sent to {recipient}, "
    "and a copy to {copy}"
)
CONSENT_VERSION_WITH_COPY = (
    "c1-" + hashlib.sha256(CONSENT_WORDING_WITH_COPY.encode()).hexdigest()[:12]
)


def consent_wording(recipient_name: str, copy_name: str | None = None) -> str:
    """The consent box's label, as the supporter reads it (in Welsh, the catalogue's words for
    the same English wording; CONSENT_VERSION names the English). ``copy_name``: who gets a
    copy as well, named in the same sentence."""
    if copy_name:
        return gettext(
            "I agree that my name, address, email address and letter are sent to %(name)s, "
            "and a copy to %(copy)s",
            name=recipient_name,
            copy=copy_name,
        )
    return gettext(
        "I agree that my name, address, email address and letter are sent to %(name)s",
        name=recipient_name,
    )


def opt_in_wording(organisation: dict) -> str:
    """An organisation's opt-in box's label, as the supporter reads it."""
    return organisation.get("statement") or gettext(
        "Email me news from %(name)s", name=organisation["name"]
    )
