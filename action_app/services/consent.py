"""What a supporter agrees to: the consent to send, and each organisation's opt-in.

The words of the consent box live here (a Flask-Babel message, so Welsh readers tick the Welsh
wording), and their version is a digest of the words in the language the supporter read them:
the version stored with each letter changes whenever that wording does and always names the
exact text the supporter ticked. The English version keeps the form it has had since versions
were first stored ("c1-" and the digest), so every earlier letter's version still names its
wording; another language's version says the language ("c1-cy-" and the digest of the Welsh).
A campaign that copies each letter to a fixed recipient (a minister) as well has its own
wording, naming both, and so its own versions.
Each opt-in is recorded (stats/counting.py, opt_in_records) with the organisation, this exact
wording and the time it was given.
"""

from __future__ import annotations

import hashlib
from functools import cache

from flask import has_app_context

from action_app.i18n import gettext, in_language, language_of
from action_app.models.statuses import Language

# The wording as digested: the recipient's name stands as {recipient}, the copy's as {copy}.
RECIPIENT = "{recipient}"
COPY = "{copy}"
CONSENT_WORDING = "I agree that my name, address, email address and letter are sent to {recipient}"
CONSENT_VERSION = "c1-" + hashlib.sha256(CONSENT_WORDING.encode()).hexdigest()[:12]


def consent_wording(recipient_name: str, copy_name: str | None = None) -> str:
    """The consent box's label, as the supporter reads it, in the language being rendered.
    ``copy_name``: who gets a copy as well, named in the same sentence."""
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


def consent_text(language: str | None, with_copy: bool = False) -> str:
    """The consent wording in ``language`` with the names as {recipient} (and {copy}): what
    is digested."""
    with in_language(language):
        return consent_wording(RECIPIENT, COPY if with_copy else None)


def consent_version(language: str | None, with_copy: bool = False) -> str:
    """The version of the wording a supporter reading ``language`` ticks."""
    language, with_copy = language_of(language), bool(with_copy)
    if not has_app_context():  # no catalogues to read the wording from: never kept
        return _version.__wrapped__(language, with_copy)
    return _version(language, with_copy)


@cache
def _version(language: Language, with_copy: bool) -> str:
    """Worked out once per process for each of the four: the wording comes from the compiled
    catalogues, which a process reads once, and rendering it in a language (Flask-Babel's
    force_locale) and digesting it cost about 5% of each Continue."""
    digest = hashlib.sha256(consent_text(language, with_copy).encode()).hexdigest()[:12]
    return "c1-" + digest if language == Language.EN else f"c1-{language.value}-{digest}"


def consent_record(version: str | None) -> dict:
    """What a stored version says: its language, and the exact wording if it is one in use
    today (a wording since changed is named by its digest alone)."""
    if not version:
        return {"version": None, "language": None, "wording": None}
    for language in Language:
        for with_copy in (False, True):
            if consent_version(language, with_copy) == version:
                return {
                    "version": version,
                    "language": language.value,
                    "wording": consent_text(language, with_copy),
                }
    parts = version.split("-")
    language = parts[1] if len(parts) == 3 else Language.EN.value
    return {"version": version, "language": language, "wording": None}


def opt_in_wording(organisation: dict) -> str:
    """An organisation's opt-in box's label, as the supporter reads it."""
    return organisation.get("statement") or gettext(
        "Email me news from %(name)s", name=organisation["name"]
    )
