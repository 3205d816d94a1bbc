"""Every word of the "did your MP reply?" email and pages, by the letter's language.

English today; a Welsh entry added here (same keys) is all another language needs.
"""

from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "subject": "Did {mp} reply to your letter?",
        "body": (
            "Hello {name},\n\n"
            "{days} days ago you wrote to {mp} about \"{campaign}\". Did they reply?\n\n"
            "Tell us in one click (you will be asked to confirm):\n\n"
            "They replied:\n{link_replied}\n\n"
            "Not yet:\n{link_not_yet}\n\n"
            "Only an automatic acknowledgement:\n{link_acknowledgement}\n\n"
            "Your answer helps the campaign know which MPs are listening. We will not ask "
            "again.\n"
        ),
        "opt_out_label": "Do not email me in a few weeks to ask whether my MP replied",
        "question": "Did {mp} reply to your letter?",
        "answer_replied": "Yes, they replied",
        "answer_not_yet": "Not yet",
        "answer_acknowledgement": "Only an automatic acknowledgement",
        "confirm": "Confirm my answer",
        "thanks": "Thank you: your answer is recorded",
        "already": "Your answer was already recorded. Thank you.",
        "choose": "Select whether your MP replied",
    },
}
DEFAULT_LANGUAGE = "en"


def text_for(language: str | None) -> dict[str, str]:
    """The words in this language, or in English if there are none yet."""
    return TEXT.get(language or DEFAULT_LANGUAGE, TEXT[DEFAULT_LANGUAGE])
