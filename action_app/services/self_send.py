"""Letters the supporter sends themselves: from their own email app (a ``mailto:`` link or a
copy), or by post to an MP who publishes no email address. The platform sends nothing for them;
they are counted as written, and apart from the letters the platform delivered. Sending one is
decided by the same rules as Send (``abuse.submit_letter`` with ``sent_by``), so the button is
no way round the limits, the holds or the owner's say.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, SentBy
from action_app.services.submissions import letter_body

HOUSE_OF_COMMONS = ("House of Commons", "London", "SW1A 0AA")
# Some email programs cut a mailto: link short past about 2,000 characters; the page offers a
# copy of the letter as well, and says so when the link would be longer than this.
MAILTO_COMFORTABLE_LENGTH = 2000
UNCOUNTED = (LetterStatus.AWAITING_CONFIRMATION, LetterStatus.HELD, LetterStatus.REJECTED)


@dataclass(frozen=True)
class OwnEmail:
    """What the supporter's own email app needs: the link and the parts to copy."""

    to: str
    cc: str  # the campaign's additional recipient, who gets a copy ("" for none)
    subject: str
    body: str
    mailto: str

    @property
    def may_be_cut_short(self) -> bool:
        return len(self.mailto) > MAILTO_COMFORTABLE_LENGTH


def by_post(letter: Letter) -> bool:
    """A letter to an MP with no email address, which the supporter posts."""
    return not letter.recipient_email


def supporter_lines(letter: Letter) -> list[str]:
    """The supporter's name and postal address, as they head a printed letter."""
    lines = [letter.supporter_name, letter.address_line_1]
    if letter.address_line_2:
        lines.append(letter.address_line_2)
    return [*lines, letter.town, letter.postcode]


def recipient_postal_lines(letter: Letter) -> list[str]:
    """Where a posted letter goes: the MP at the House of Commons."""
    return [letter.recipient_name, *HOUSE_OF_COMMONS]


def own_email(letter: Letter) -> OwnEmail:
    """The letter as a ``mailto:`` link with To, subject and body filled in (RFC 6068). A
    campaign's copy to a fixed recipient is the Cc: one email from the supporter reaches both."""
    body = "\n".join(supporter_lines(letter)) + "\n\n" + letter_body(letter) + "\n"
    crlf = body.replace("\n", "\r\n")  # RFC 6068: line breaks in a body are %0D%0A
    cc = (letter.copy_email or "") if letter.copy_key else ""
    link = (
        f"mailto:{quote(letter.recipient_email, safe='@')}"
        + (f"?cc={quote(cc, safe='@')}&" if cc else "?")
        + f"subject={quote(letter.subject, safe='')}&body={quote(crlf, safe='')}"
    )
    return OwnEmail(
        to=letter.recipient_email, cc=cc, subject=letter.subject, body=body, mailto=link
    )


def supporter_sent_counts(campaign_id: int) -> dict[str, int]:
    """Letters the supporters sent themselves, by how: {"supporter_email": n, ...}."""
    rows = db.session.execute(
        select(Letter.sent_by, func.count(Letter.id))
        .where(
            Letter.campaign_id == campaign_id,
            Letter.sent_by.in_(list(SentBy)),
            # Not one awaiting its owner (a repeat from another browser, or over the per-email
            # limit), nor one held or rejected (bot checks, safeguards): none of them counts.
            Letter.status.not_in(UNCOUNTED),
        )
        .group_by(Letter.sent_by)
    )
    counts = dict.fromkeys(map(str, SentBy), 0)
    counts.update({how: int(n) for how, n in rows})
    return counts
