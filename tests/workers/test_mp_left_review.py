"""Review of the mp_left notice and its real-mp link: what the redirected letter must not do."""

from __future__ import annotations

from sqlalchemy import update

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.models.types import utcnow
from action_app.services.campaign_cache import cached_campaign
from action_app.stats.figures import read_figures
from tests.html import post_form
from tests.public.conftest import set_campaign
from tests.workers.test_directory_change import (
    MINISTER,
    leave_seat,
    letter_from_the_seat,
    relay,
    resync,
    successor_of,
)


def _redirect_and_send(app, link) -> None:
    """The supporter opens the link, takes the new draft and presses Send on its check page."""
    browser = app.test_client()
    offer = browser.get(link)
    form = post_form(offer)
    check = browser.post(form["action"], data=form["fields"])
    check_page = browser.get(check.headers["Location"])
    done = post_form(check_page)
    browser.post(done["action"], data=done["fields"])


def _link(smtp_server) -> str:
    import re

    notice = next(m for m in smtp_server.received if m.rcpt_tos == ["sam@example.org"])
    content = notice.message.get_content()
    return re.search(r"https://write\.example\.org(/c/test-campaign/real-mp/\S+)", content)[1]


def test_a_copy_already_delivered_is_not_sent_again_by_the_redirected_letter(
    app, live_campaign, members_dataset, smtp_server
):
    """The MP's server asked us to try later, the copy to the campaign's fixed recipient went;
    then the MP left. The new draft to the seat's new MP must not send the minister a second
    copy of the same supporter's letter."""
    set_campaign(target={"type": "constituency_mp", "also": MINISTER})
    letter_id, recipient, _ = letter_from_the_seat(app, live_campaign, members_dataset)
    smtp_server.answer_next(1, "450 4.2.1 Mailbox busy, try later")  # the MP's, sent first
    assert relay() == {"mp:retry": 1, "copy:sent": 1}
    assert len(smtp_server.to(MINISTER["email"])) == 1

    leave_seat(
        members_dataset, recipient.member_id, successor_of(members_dataset, recipient.member_id)
    )
    resync(app)
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.letter_id == letter_id, OutboundMessage.kind == "mp")
        .values(next_attempt_at=utcnow())
    )
    db.session.commit()
    assert relay() == {"mp:held": 1, "mp_left:sent": 1}

    _redirect_and_send(app, _link(smtp_server))
    relay()
    successor = ["robin.successor.mp@parliament.uk"]
    assert smtp_server.wait_for(1, where=lambda m: m.rcpt_tos == successor)
    assert db.session.get(Letter, letter_id).status == "withdrawn"
    assert len(smtp_server.to(MINISTER["email"])) == 1  # once, not twice


def test_a_redirected_letter_is_counted_once(app, live_campaign, members_dataset, smtp_server):
    """Counted when the supporter first pressed Send; held because the MP left; sent, as a new
    draft, to the seat's new MP. The figures are those of one letter, sent, none pending."""
    _, recipient, _ = letter_from_the_seat(app, live_campaign, members_dataset)
    leave_seat(
        members_dataset, recipient.member_id, successor_of(members_dataset, recipient.member_id)
    )
    resync(app)
    assert relay() == {"mp:held": 1, "mp_left:sent": 1}
    _redirect_and_send(app, _link(smtp_server))
    assert relay() == {"mp:sent": 1, "receipt:sent": 1}

    headline = read_figures(cached_campaign("test-campaign")).headline
    assert (headline.accepted, headline.queued, headline.sent) == (1, 1, 1)
    assert headline.pending == 0
