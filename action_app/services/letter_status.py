"""Where a sent letter has got to, in the words the sent page uses, and what its browser is
shown: a letter held for its address's owner is shown as a new letter would be, so that no page
tells a browser whether some address has written (issue 8 §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, MessageStatus, SentBy
from action_app.models.types import utcnow

SOON = timedelta(minutes=1)
# A letter's hold_reason starts with this when it waits for its address's owner to confirm it
# because several letters came from that address recently (the per-email limit).
OWNER_CONFIRMS = "confirm:"


@dataclass(frozen=True)
class Progress:
    """Where a sent letter has got to (the models' LetterStatus is the row's own status)."""

    # awaiting_confirmation, sending, scheduled, delivered, failed, by_supporter, by_post
    state: str
    when: datetime | None = None  # naive UTC: delivered at, or will be delivered about
    reason: str | None = None  # the last error, for a failed letter

    @property
    def finished(self) -> bool:
        """Nothing more will change, so the page need not look again."""
        return self.state not in ("sending", "scheduled")


def letter_status(letter: Letter, paced_until: datetime | None = None) -> Progress:
    """The letter's state, from the letter and its message to the MP. ``paced_until`` is when
    the campaign's pacing will let a letter that has not yet been claimed go (naive UTC)."""
    if letter.sent_by == SentBy.SUPPORTER_POST:
        return Progress("by_post")
    if letter.sent_by == SentBy.SUPPORTER_EMAIL:
        return Progress("by_supporter")
    if letter.status == LetterStatus.AWAITING_CONFIRMATION:
        return Progress("awaiting_confirmation")
    message = letter.mp_message()
    unclaimed = message is None or message.status == MessageStatus.PENDING
    if unclaimed and paced_until is not None and paced_until > utcnow() + SOON:
        return Progress("scheduled", when=paced_until)
    if message is None:
        return Progress("sending")
    if message.status == MessageStatus.SENT:
        return Progress("delivered", when=message.sent_at)
    if message.status == MessageStatus.FAILED:
        return Progress("failed", reason=message.last_error)
    # Waiting for a later slot (a retry, or a campaign's pace) rather than going out now.
    if message.status == MessageStatus.PENDING and message.next_attempt_at > utcnow() + SOON:
        return Progress("scheduled", when=message.next_attempt_at)
    return Progress("sending")


@dataclass(frozen=True)
class Shown:
    """What the sent page and its status JSON show for a letter."""

    progress: Progress
    queued: bool = False  # shown as on its way to the MP (so the seat-check note applies)
    uncounted: bool = False  # shown as counted in the campaign's total, though it is not
    owner_confirms: bool = False  # waits for the address's owner: several letters came from it


def shown_status(
    letter: Letter,
    *,
    require_confirmation: bool,
    paced_until: datetime | None,
    sending_for: timedelta,
    now: datetime,
) -> Shown:
    """What this letter's browser is shown. A letter held for its address's owner, because
    the address has written to this recipient from another browser, looks like a new letter:
    in a campaign that asks for confirmation it awaits its email like any other; in one that
    does not, it is "being sent" for ``sending_for`` after it was submitted, then it takes the
    state of the letter the address sent before, with times from its own clock, never that
    letter's. It is not counted in the total, so its page adds it, as a new letter's includes
    itself."""
    waiting = letter.status in (LetterStatus.AWAITING_CONFIRMATION, LetterStatus.HELD)
    if waiting and (letter.hold_reason or "").startswith(OWNER_CONFIRMS):
        return Shown(Progress("awaiting_confirmation"), owner_confirms=True)
    if letter.status != LetterStatus.AWAITING_CONFIRMATION:
        queued = letter.status == LetterStatus.CONFIRMED
        return Shown(letter_status(letter, paced_until), queued=queued)
    if letter.sent_by is not None:  # "send it myself", from an address that had written
        return Shown(letter_status(letter), uncounted=True)
    if require_confirmation or not _held_for_owner(letter):
        return Shown(letter_status(letter, paced_until))
    progress = _as_a_new_letter(letter, paced_until, sending_for, now)
    return Shown(progress, queued=True, uncounted=True)


def _held_for_owner(letter: Letter) -> bool:
    return any(m.kind == MessageKind.ADDRESS_USED for m in letter.messages)


def _as_a_new_letter(
    letter: Letter, paced_until: datetime | None, sending_for: timedelta, now: datetime
) -> Progress:
    start = letter.submitted_at or now
    if paced_until is not None and paced_until > now + SOON:
        return Progress("scheduled", when=paced_until)
    if now < start + sending_for:
        return Progress("sending")
    earlier = _earlier_confirmed(letter)
    if earlier is None:
        return Progress("sending")
    message = earlier.mp_message()
    state = message.status if message is not None else None
    if earlier.sent_by is not None or state == MessageStatus.SENT:
        return Progress("delivered", when=max(start, paced_until or start) + sending_for)
    if state == MessageStatus.FAILED:
        return Progress("failed", reason=message.last_error)
    return Progress("sending")


def _earlier_confirmed(letter: Letter) -> Letter | None:
    """The letter this address sent to this recipient in this campaign: the one that counts,
    or, once its owner has disowned it, that one still (what was delivered stays delivered)."""
    return db.session.scalar(
        select(Letter)
        .where(
            Letter.campaign_id == letter.campaign_id,
            Letter.recipient_key == letter.recipient_key,
            Letter.email_key == letter.email_key,
            Letter.status.in_((LetterStatus.CONFIRMED, LetterStatus.WITHDRAWN)),
            Letter.id != letter.id,
        )
        .order_by(Letter.status, Letter.id.desc())  # "confirmed" sorts before "withdrawn"
        .limit(1)
    )
