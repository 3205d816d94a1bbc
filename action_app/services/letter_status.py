"""Where a sent letter has got to, in the words the sent page uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from action_app.models import Letter, LetterStatus, MessageStatus, SentBy
from action_app.models.types import utcnow

SOON = timedelta(minutes=1)


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
