"""Every status and kind the database stores, as types. Each is a ``StrEnum``, so a member is
also the plain string that is stored; the models add a CHECK constraint built from each, so the
database refuses a value the code does not know."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class LetterStatus(StrEnum):
    """draft: written, not yet sent (only the supporter's browser knows it);
    awaiting_confirmation: sent, but the campaign wants the email address confirmed first;
    confirmed: the letter and the receipt are queued or sent;
    held: kept for a person to release or reject (hold_reason says why), never dropped;
    withdrawn: the address's owner said they did not send it, or it went to their real MP;
    rejected: a person decided a held letter is not to be sent."""

    DRAFT = "draft"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    HELD = "held"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"


# Letters the supporter has sent (whether or not yet confirmed).
SUBMITTED = (LetterStatus.AWAITING_CONFIRMATION, LetterStatus.CONFIRMED)


class MessageStatus(StrEnum):
    """pending → sending (claimed by one worker) → sent | failed; a transient failure puts a
    message back to pending with a later next_attempt_at."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Stopped for a person to look at (SPEC §8): staff release it (→ pending) or reject it.
    HELD = "held"
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # its letter was withdrawn or rejected


class MessageKind(StrEnum):
    """The emails a letter causes: the letter itself, the supporter's copy, the link that
    confirms it, and the notice that it could not be delivered."""

    MP = "mp"
    RECEIPT = "receipt"
    CONFIRMATION = "confirmation"
    FAILURE_NOTICE = "failure_notice"
    SEAT_MISMATCH = "seat_mismatch"  # to the supporter: the postcode is in another seat
    MP_LEFT = "mp_left"  # to the supporter: their MP left the seat before the letter went
    ADDRESS_USED = "address_used"  # to the address's owner: someone wrote with it again
    DISOWNED = "disowned"  # to the MP's office: the address's owner did not send it
    # The same letter to the campaign's additional fixed recipient (target "also"), e.g. a
    # minister as well as each supporter's MP; and the note to it when the owner disowns it.
    COPY = "copy"
    COPY_DISOWNED = "copy_disowned"


class SeatCheck(StrEnum):
    """How a letter's seat was decided: from the postcode (looked up), or chosen from the list
    while the lookup could not answer (pending), then checked by the worker before sending:
    matched, mismatch (held), or unchecked (no answer in the campaign's limit; sent, noted)."""

    POSTCODE = "postcode"
    PENDING = "pending"
    MATCHED = "matched"
    MISMATCH = "mismatch"
    UNCHECKED = "unchecked"


class SentBy(StrEnum):
    """Who delivered a letter the platform did not: the supporter, from their own email app, or
    by post (an MP with no email address). NULL means the platform sent it. Counted apart."""

    SUPPORTER_EMAIL = "supporter_email"
    SUPPORTER_POST = "supporter_post"


class Language(StrEnum):
    """The languages of the public journey; a letter keeps the one it was written in, and every
    later email about it comes in that language."""

    EN = "en"
    CY = "cy"


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    LIVE = "live"
    PAUSED = "paused"
    CLOSED = "closed"


class TargetType(StrEnum):
    """Who a campaign's letters go to: each supporter's own MP, or one fixed recipient. An MP
    campaign may name one fixed recipient as well (``target["also"]``), who gets a copy."""

    CONSTITUENCY_MP = "constituency_mp"
    FIXED = "fixed"


class Nation(StrEnum):
    """The four nations, in the order pages list them."""

    ENGLAND = "England"
    SCOTLAND = "Scotland"
    WALES = "Wales"
    NORTHERN_IRELAND = "Northern Ireland"


NATIONS: tuple[str, ...] = tuple(Nation)


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """CHECK (column IN (...every value...)), named ``ck_<table>_<name or column>``."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column)
