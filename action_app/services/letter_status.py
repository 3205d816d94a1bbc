"""Where a sent letter has got to, in the words the sent page uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from action_app.models import Action
from action_app.models.types import utcnow

SOON = timedelta(minutes=1)


@dataclass(frozen=True)
class LetterStatus:
    # awaiting_confirmation, sending, scheduled, delivered, failed, by_supporter, by_post
    state: str
    when: datetime | None = None  # naive UTC: delivered at, or will be delivered about
    reason: str | None = None  # the last error, for a failed letter

    @property
    def finished(self) -> bool:
        """Nothing more will change, so the page need not look again."""
        return self.state not in ("sending", "scheduled")


def letter_status(action: Action) -> LetterStatus:
    """The letter's state, from the letter and its message to the MP."""
    if action.sent_by == "supporter_post":
        return LetterStatus("by_post")
    if action.sent_by == "supporter_email":
        return LetterStatus("by_supporter")
    if action.status == "awaiting_confirmation":
        return LetterStatus("awaiting_confirmation")
    message = next((m for m in action.messages if m.kind == "mp"), None)
    if message is None:
        return LetterStatus("sending")
    if message.status == "sent":
        return LetterStatus("delivered", when=message.sent_at)
    if message.status == "failed":
        return LetterStatus("failed", reason=message.last_error)
    # Waiting for a later slot (a retry, or a campaign's pace) rather than going out now.
    if message.status == "pending" and message.next_attempt_at > utcnow() + SOON:
        return LetterStatus("scheduled", when=message.next_attempt_at)
    return LetterStatus("sending")
