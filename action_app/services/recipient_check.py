"""A letter to an MP goes to whoever sits for its seat when it is sent, not when it was written.

The recipient is copied onto the letter when the draft is saved, but a letter can wait hours or
days before it goes (pacing, sending hours, retries, a paused relay, the seat check), and a sync
or a staff override can change the directory meanwhile. So the relay asks the process's
directory snapshot (no query per letter) just before it sends a letter to an MP:

- the same MP with a new address: the letter goes to the new one, and the letter records it, so
  staff (and the person's data export) see where it went;
- the MP no longer sits for the seat (vacant, or another member), or has no address now: the
  letter is held for a person with the reason. Its words say "Dear <that MP>", so it must not be
  sent to their successor, and releasing it is refused while the directory still says so. When
  the MP has left, the supporter is told, with a link that turns the letter into a new draft
  to the seat's MP, which they check and send (or, the seat vacant, are told why not).

Only letters addressed from the directory are checked: a campaign's fixed recipient, the copy to
its additional recipient and a staff test send are not the MP of a seat.
"""

from __future__ import annotations

import logging

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, OutboundMessage
from action_app.models.types import utcnow
from action_app.services import lookup
from action_app.services.letters import MEMBER_KEY_PREFIX
from action_app.services.seats import MpSnapshot, SeatSnapshot

log = logging.getLogger(__name__)

# How the reason a letter was held for this starts (staff read it on the held page).
NOT_SENT = "not sent:"


def addressed_from_directory(letter: Letter) -> bool:
    """Whether the letter's recipient is a seat's MP (a staff test send's key is ``test:``, a
    fixed recipient's ``fixed:``; neither is in the directory)."""
    return letter.member_id is not None and letter.recipient_key.startswith(MEMBER_KEY_PREFIX)


def _seat(letter: Letter) -> SeatSnapshot | None:
    """The letter's seat in the process's directory snapshot (reloaded when a sync or an
    override has moved the directory on), so sending costs no query per letter."""
    if letter.constituency_id is None:
        return None
    found = lookup.find_mp_for_seat(letter.constituency_id, None)
    return found.seat if found is not None else None


def _standing(letter: Letter) -> tuple[SeatSnapshot | None, MpSnapshot | None]:
    """The letter's seat now, and its MP if that is still the letter's (one snapshot lookup)."""
    seat = _seat(letter)
    member = seat.member if seat is not None else None
    return seat, (member if member is not None and member.id == letter.member_id else None)


def current_mp(letter: Letter) -> MpSnapshot | None:
    """The letter's MP as the directory has them now, or None if they no longer sit for the
    letter's seat."""
    return _standing(letter)[1]


def why_not_sendable(letter: Letter) -> str | None:
    """Why this letter cannot go to its MP as the directory stands now (words for staff), or
    None if it can."""
    if not addressed_from_directory(letter):
        return None
    return _why(letter, *_standing(letter))


def _why(letter: Letter, seat: SeatSnapshot | None, mp: MpSnapshot | None) -> str | None:
    if mp is None:
        seat_name = seat.name if seat is not None else "their constituency"
        return f"{letter.recipient_name} is no longer the MP for {seat_name}"
    if not mp.email:
        return f"the directory has no email address for {letter.recipient_name} now"
    return None


def refuse_release(letter: Letter) -> str | None:
    """Why staff may not release this held letter, with what to do instead, or None. Released,
    it would only be held again: its MP has left, so it can never go (the letter says "Dear"
    to them), or has no address until someone sets one."""
    reason = why_not_sendable(letter)
    if reason is None:
        return None
    if current_mp(letter) is None:
        return f"{reason}, and the letter is addressed to them; reject it instead."
    return f"{reason}; set their address on the MP directory page, then release it."


def readdress_or_hold(
    message: OutboundMessage, letter: Letter
) -> tuple[bool, OutboundMessage | None]:
    """Just before the relay sends a letter to its MP: (True, None) to send it (to the MP's
    current address, which the letter now records); (False, notice) when it was held instead.
    The notice, when there is one, tells the supporter that their MP has left the seat, claimed
    for this worker to send next. Nothing is flushed: the relay records it all with its batch."""
    if not addressed_from_directory(letter):
        return True, None
    seat, mp = _standing(letter)
    reason = _why(letter, seat, mp)
    if reason is not None:
        log.info("Letter %s held: its MP is no longer in the directory as written", letter.id)
        _hold(message, letter, f"{NOT_SENT} {reason}")
        # An MP who has left: the supporter is told, and may send it to the seat's MP instead.
        # An MP with no address now is for staff to mend (they set it, then release).
        return False, _notice(letter) if mp is None else None
    if mp.email != letter.recipient_email:
        log.info("Letter %s: its MP's address has changed; sending to the current one", letter.id)
        letter.recipient_email = mp.email
    return True, None


def mp_has_left(letter: Letter) -> bool:
    """Held because its MP left the seat, and still so: the supporter's link may turn it into
    a letter to the seat's MP (public/safety_views.real_mp)."""
    return (
        letter.status == LetterStatus.HELD
        and (letter.hold_reason or "").startswith(NOT_SENT)
        and addressed_from_directory(letter)
        and current_mp(letter) is None
    )


def _hold(message: OutboundMessage, letter: Letter, reason: str) -> None:
    """Held as the other checks hold a letter, so staff see it on the held page with the
    reason; no receipt is made, since nothing was delivered."""
    letter.status = LetterStatus.HELD
    letter.hold_reason = reason[:300]
    letter.updated_at = utcnow()
    message.status = MessageStatus.HELD
    message.last_error = reason[:1000]


def _notice(letter: Letter) -> OutboundMessage:
    notice = OutboundMessage.claimed_now(letter, MessageKind.MP_LEFT)
    db.session.add(notice)
    return notice
