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
from action_app.models import Action
from action_app.models.action import SENT_BY_SUPPORTER
from action_app.models.types import utcnow
from action_app.services.actions import AlreadyWritten, letter_body
from action_app.services.letters import Recipient

HOUSE_OF_COMMONS = ("House of Commons", "London", "SW1A 0AA")
# Some email programs cut a mailto: link short past about 2,000 characters; the page offers a
# copy of the letter as well, and says so when the link would be longer than this.
MAILTO_COMFORTABLE_LENGTH = 2000


@dataclass(frozen=True)
class OwnEmail:
    """What the supporter's own email app needs: the link and the parts to copy."""

    to: str
    subject: str
    body: str
    mailto: str

    @property
    def may_be_cut_short(self) -> bool:
        return len(self.mailto) > MAILTO_COMFORTABLE_LENGTH


def postal_recipient(member_id: int, name: str, address_as: str, party: str, seat) -> Recipient:
    """An MP with no email address: the letter goes by post, from the supporter."""
    return Recipient(
        key=f"member:{member_id}",
        name=name,
        email="",
        address_as=address_as,
        party=party,
        member_id=member_id,
        constituency_id=seat.id,
        constituency_name=seat.name,
        nation=seat.nation or "",
    )


def by_post(action: Action) -> bool:
    """A letter to an MP with no email address, which the supporter posts."""
    return not action.recipient_email


def supporter_lines(action: Action) -> list[str]:
    """The supporter's name and postal address, as they head a printed letter."""
    lines = [action.supporter_name, action.address_line_1]
    if action.address_line_2:
        lines.append(action.address_line_2)
    return [*lines, action.town, action.postcode]


def recipient_postal_lines(action: Action) -> list[str]:
    """Where a posted letter goes: the MP at the House of Commons."""
    return [action.recipient_name, *HOUSE_OF_COMMONS]


def own_email(action: Action) -> OwnEmail:
    """The letter as a ``mailto:`` link with To, subject and body filled in (RFC 6068)."""
    body = "\n".join(supporter_lines(action)) + "\n\n" + letter_body(action) + "\n"
    crlf = body.replace("\n", "\r\n")  # RFC 6068: line breaks in a body are %0D%0A
    link = (
        f"mailto:{quote(action.recipient_email, safe='@')}"
        f"?subject={quote(action.subject, safe='')}&body={quote(crlf, safe='')}"
    )
    return OwnEmail(to=action.recipient_email, subject=action.subject, body=body, mailto=link)


def mark_sent_by_supporter(action: Action, how: str) -> bool:
    """Record that the supporter sends this draft themselves (``how`` is supporter_email or
    supporter_post): exactly once, by one conditional UPDATE; no message is queued. True if this
    call moved it. Raises AlreadyWritten if they have already written to this recipient."""
    if how not in SENT_BY_SUPPORTER:
        raise ValueError(f"unknown way of sending: {how}")
    now = utcnow()
    try:
        moved = db.session.execute(
            update(Action)
            .where(Action.id == action.id, Action.status == "draft")
            .values(
                status="confirmed",
                sent_by=how,
                submitted_at=now,
                confirmed_at=now,
                updated_at=now,
            )
            .returning(Action.id)
            .execution_options(synchronize_session=False)
        ).first()
    except IntegrityError:
        db.session.rollback()
        earlier = db.session.scalar(
            select(Action).where(
                Action.campaign_id == action.campaign_id,
                Action.recipient_key == action.recipient_key,
                Action.email_key == action.email_key,
                Action.status != "draft",
            )
        )
        raise AlreadyWritten(earlier or action) from None
    return moved is not None


def supporter_sent_counts(campaign_id: int) -> dict[str, int]:
    """Letters the supporters sent themselves, by how: {"supporter_email": n, ...}."""
    rows = db.session.execute(
        select(Action.sent_by, func.count(Action.id))
        .where(Action.campaign_id == campaign_id, Action.sent_by.in_(SENT_BY_SUPPORTER))
        .group_by(Action.sent_by)
    )
    counts = dict.fromkeys(SENT_BY_SUPPORTER, 0)
    counts.update({how: int(n) for how, n in rows})
    return counts
