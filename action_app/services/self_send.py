"""Letters the supporter sends themselves: from their own email app (a ``mailto:`` link or a
copy), or by post to an MP who publishes no email address. The platform sends nothing for them;
they are counted as written, and apart from the letters the platform delivered.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, SentBy
from action_app.models.types import utcnow
from action_app.services.submissions import AlreadyWritten, drop_copy_if_sent_before, letter_body

HOUSE_OF_COMMONS = ("House of Commons", "London", "SW1A 0AA")
# Some email programs cut a mailto: link short past about 2,000 characters; the page offers a
# copy of the letter as well, and says so when the link would be longer than this.
MAILTO_COMFORTABLE_LENGTH = 2000


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


def mark_sent_by_supporter(letter: Letter, how: str, *, counted: bool = True) -> bool:
    """Record that the supporter sends this draft themselves: exactly once, by one conditional
    UPDATE; no message is queued. True if this call moved it. Raises AlreadyWritten if they
    have already written to this recipient (the caller rolls back, then ``earlier_letter``).

    ``counted=False`` is for an address that has written to this recipient, from another
    browser: the letter is kept as awaiting (so it neither counts nor blocks anyone) and its
    page is a new self-sent letter's."""
    how = SentBy(how)
    key = (letter.campaign_id, letter.recipient_key, letter.email_key)
    drop_copy_if_sent_before(letter)  # the Cc is offered once per supporter, like the copy
    now = utcnow()
    status = LetterStatus.CONFIRMED if counted else LetterStatus.AWAITING_CONFIRMATION
    try:
        moved = db.session.execute(
            update(Letter)
            .where(Letter.id == letter.id, Letter.status == LetterStatus.DRAFT)
            .values(
                status=status,
                sent_by=how,
                submitted_at=now,
                confirmed_at=now if counted else None,
                updated_at=now,
            )
            .returning(Letter.id)
            .execution_options(synchronize_session=False)
        ).first()
    except IntegrityError:
        raise AlreadyWritten(letter, key) from None
    return moved is not None


def supporter_sent_counts(campaign_id: int) -> dict[str, int]:
    """Letters the supporters sent themselves, by how: {"supporter_email": n, ...}."""
    rows = db.session.execute(
        select(Letter.sent_by, func.count(Letter.id))
        .where(
            Letter.campaign_id == campaign_id,
            Letter.sent_by.in_(list(SentBy)),
            Letter.status != LetterStatus.AWAITING_CONFIRMATION,  # a repeat from another browser
        )
        .group_by(Letter.sent_by)
    )
    counts = dict.fromkeys(map(str, SentBy), 0)
    counts.update({how: int(n) for how, n in rows})
    return counts
