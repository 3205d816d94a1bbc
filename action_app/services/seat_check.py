"""A letter "from your constituent" comes from one: the seat comes from the postcode.

A seat may be chosen from the list only when the lookup could not answer (postcodes.io down or
slow, or a postcode it does not know yet). The page that offers the choice signs it (``proof``),
so a hand-made ``?seat=`` is worth nothing. A letter written to a chosen seat is checked by the
worker before it is sent, once the lookup answers: the same seat is sent, another is held (and the
supporter is emailed a link to write to their real MP), and no answer within the campaign's limit
is sent with a line saying the postcode could not be checked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from action_app.clients.postcodes_io import (
    LookupUnavailable,
    PostcodeLookupError,
    PostcodeNotFound,
    normalise_postcode,
)
from action_app.extensions import db
from action_app.i18n import gettext
from action_app.models import (
    Letter,
    LetterStatus,
    MessageKind,
    MessageStatus,
    OutboundMessage,
    SeatCheck,
)
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services import lookup
from action_app.services.safeguards import Safeguards

log = logging.getLogger(__name__)

PROOF_MAX_AGE = 24 * 3600  # a chosen-seat page left open overnight still works
CHECKED = (SeatCheck.POSTCODE, SeatCheck.MATCHED)
CONFIRMING = (
    MessageKind.CONFIRMATION,
    MessageKind.ADDRESS_USED,
)  # emails whose link confirms the address


@dataclass(frozen=True)
class SeatDecision:
    found: lookup.MpLookup
    seat_check: str  # "postcode" (looked up now) or "pending" (chosen; the worker checks)


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def seat_proof(seat_id: int, postcode: str) -> str:
    """Signed: this seat was chosen for this postcode while the lookup could not answer."""
    return _serializer("chosen-seat").dumps([seat_id, postcode])


def _proof_holds(proof: str | None, seat_id: int, postcode: str) -> bool:
    if not proof:
        return False
    try:
        signed = _serializer("chosen-seat").loads(proof, max_age=PROOF_MAX_AGE)
    except BadSignature:
        return False
    return signed == [seat_id, postcode]


def lookup_cannot_answer(exc: PostcodeLookupError) -> bool:
    """The errors that allow choosing from the list: the service is down, or the postcode is
    well formed but not known to it yet (new builds)."""
    return isinstance(exc, LookupUnavailable | PostcodeNotFound)


def decide_seat(
    seat_id: int | None, postcode: str | None, proof: str | None
) -> SeatDecision | None:
    """The seat a letter may be written to, or None (the journey goes back to the postcode).

    With a valid proof the chosen seat is taken as it is (its check is left to the worker);
    otherwise the postcode is looked up (from the cache, usually) and must name this seat."""
    postcode = normalise_postcode(postcode)
    if seat_id is None or postcode is None:
        return None
    if _proof_holds(proof, seat_id, postcode):
        found = lookup.find_mp_for_seat(seat_id, postcode)
        return SeatDecision(found, SeatCheck.PENDING) if found is not None else None
    try:
        found = lookup.find_mp_for_postcode(postcode)
    except (PostcodeLookupError, lookup.DirectoryEmpty):
        return None
    if found.seat.id != seat_id:
        return None
    return SeatDecision(found, SeatCheck.POSTCODE)


# --- in the worker, before a letter to a chosen seat is sent ---------------------------------


def gate(message: OutboundMessage, letter: Letter, campaign) -> tuple[str, OutboundMessage | None]:
    """Check a chosen seat against the postcode before its letter is sent (flushes).

    Returns ("send", None) to go ahead, ("retry", None) when the message was put back to wait
    for the lookup, or ("held", notice) when the postcode is in another seat: the letter is held
    and ``notice`` (claimed for this worker) tells the supporter how to reach their real MP."""
    pause = current_registry().lookup_pause
    if pause.get("down"):
        return _no_answer(message, letter, campaign, "postcodes.io was down moments ago")
    try:
        found = lookup.find_mp_for_postcode(letter.postcode)
    except LookupUnavailable as exc:
        # One slow failure per process per half minute, not one per waiting letter.
        pause.put("down", True)
        return _no_answer(message, letter, campaign, exc)
    except (PostcodeNotFound, lookup.DirectoryEmpty) as exc:
        return _no_answer(message, letter, campaign, exc)
    except PostcodeLookupError as exc:
        return "held", _hold(letter, message, f"seat: the postcode has no constituency ({exc})")
    if found.seat.id == letter.constituency_id or (
        found.seat.id is None and found.seat.name == _seat_name(letter)
    ):
        letter.seat_check = SeatCheck.MATCHED
        return "send", None
    if letter.member_id is None:  # a fixed recipient: the seat is only for information
        letter.seat_check = SeatCheck.MATCHED if found.seat.id is None else SeatCheck.POSTCODE
        letter.constituency_id = found.seat.id or letter.constituency_id
        return "send", None
    reason = f"seat: the postcode {letter.postcode} is in {found.seat.name}"
    return "held", _hold(letter, message, reason)


def _no_answer(message, letter, campaign, exc) -> tuple[str, None]:
    hours = Safeguards.of(getattr(campaign, "safeguards", None)).seat_check_hours
    deadline = (letter.confirmed_at or letter.submitted_at or utcnow()) + timedelta(hours=hours)
    now = utcnow()
    if now >= deadline:
        log.info("Letter %s: postcode still unchecked after %sh; sending", letter.id, hours)
        letter.seat_check = SeatCheck.UNCHECKED
        return "send", None
    wait = current_registry().settings.seat_check_retry_seconds
    message.status = MessageStatus.PENDING
    message.attempts = max(0, message.attempts - 1)  # waiting is not a failed attempt
    message.next_attempt_at = min(now + timedelta(seconds=wait), deadline)
    message.dispatched_at = None
    message.last_error = f"waiting to check the postcode ({exc})"
    return "retry", None


def _hold(letter: Letter, message: OutboundMessage, reason: str) -> OutboundMessage:
    letter.status = LetterStatus.HELD
    letter.seat_check = SeatCheck.MISMATCH
    letter.hold_reason = reason[:300]
    message.status = MessageStatus.HELD
    message.last_error = reason[:1000]
    notice = OutboundMessage.claimed_now(letter, MessageKind.SEAT_MISMATCH)
    db.session.add(notice)
    db.session.flush()
    return notice


def _seat_name(letter: Letter) -> str | None:
    if letter.constituency_id is None:
        return None
    chosen = lookup.find_mp_for_seat(letter.constituency_id, None)
    return chosen.seat.name if chosen is not None else None


# --- the line at the foot of the MP's copy ------------------------------------------------------


def trust_lines(letter: Letter, copy: bool = False) -> list[str]:
    """What an office can trust about this letter, each part only when it is true. The copy to
    a campaign's additional recipient says nothing of the postcode: that check was against the
    MP's constituency, which is not the copy's recipient's."""
    # Whole sentences, so each language words them its own way (the letter's, in the workers).
    checked = not copy and letter.member_id is not None and letter.seat_check in CHECKED
    confirmed = bool(letter.confirmed_at) and any(m.kind in CONFIRMING for m in letter.messages)
    lines = []
    if checked and confirmed:
        lines.append(
            gettext(
                "Postcode checked against your constituency; email address confirmed by the sender."
            )
        )
    elif checked:
        lines.append(gettext("Postcode checked against your constituency."))
    elif confirmed:
        lines.append(gettext("Email address confirmed by the sender."))
    if letter.seat_check == SeatCheck.UNCHECKED and not copy:
        lines.append(gettext("We could not check the sender's postcode against the constituency."))
    return lines


# --- the link in the seat_mismatch email -------------------------------------------------------


def real_mp_token(letter: Letter) -> str:
    """The token in the link that sends a held letter to the MP for its postcode."""
    return _serializer("real-mp").dumps(letter.public_id)


def public_id_for_real_mp(token: str, days: int = 30) -> str | None:
    """The held letter's public id from that link, or None (altered or too old)."""
    try:
        return _serializer("real-mp").loads(token, max_age=days * 86400)
    except BadSignature:
        return None
