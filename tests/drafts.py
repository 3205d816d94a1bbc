"""Letters written through the service layer (the web path minus the HTML), for the tests of
sending, pacing and the relay."""

from __future__ import annotations

from action_app.services.letters import Recipient, recipient_for, render_letter
from action_app.services.lookup import list_seats
from action_app.services.submissions import LetterInput, save_draft


def recipients(campaign) -> list[Recipient]:
    """The campaign's recipient for each seat whose MP publishes an email address."""
    return [recipient_for(campaign, s) for s in list_seats() if s.member and s.member.email]


def write_draft(
    campaign,
    recipient: Recipient,
    form_token: str,
    *,
    name: str = "Sam",
    email: str = "sam@example.org",
    source: str | None = None,
    **options,
) -> str:
    """A draft of the letter as the letter page offers it, from a supporter at 1 Road, Town,
    SW1A 1AA; its public id. ``options`` go to ``save_draft``."""
    parts = render_letter(campaign, recipient)
    typed = LetterInput(
        name=name, email=email, address_line_1="1 Road", town="Town",
        subject=parts.subject, body_before=parts.before, body_after=parts.after,
    )  # fmt: skip
    return save_draft(
        campaign, recipient, postcode="SW1A 1AA", source=source, form_token=form_token,
        letter=typed, **options,
    )  # fmt: skip
