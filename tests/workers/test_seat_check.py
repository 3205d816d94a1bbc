"""A letter to a chosen seat is checked against its postcode before it is sent (issue 8 §2):
the same seat is sent, another is held and the supporter is emailed a link to their real MP, and
no answer within the campaign's limit is sent with a line saying so."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from tests.html import post_form, text, title
from tests.journey import fill, send
from tests.public.conftest import set_campaign
from tests.public.test_constituent_seat import choose_while_down
from workers.tasks import send_letter_task

WELSH = "LL77 7TW"  # Ynys Môn: Llinos Medi


def letter_to(client, fake_postcodes, postcode, seat_name, **details):
    """Written and sent to a seat chosen while the lookup was down; the lookup is back after."""
    _, page = choose_while_down(client, fake_postcodes, postcode, seat_name)
    action, fields = fill(page, **details)
    response = send(client, client.post(action, data=fields))
    assert "/sent/" in response.headers["Location"]
    return db.session.scalar(select(Letter).order_by(Letter.id.desc()))


def mp_message(letter_id: int) -> OutboundMessage:
    return db.session.scalar(
        select(OutboundMessage).where(
            OutboundMessage.letter_id == letter_id, OutboundMessage.kind == "mp"
        )
    )


def run(letter_id: int) -> dict:
    db.session.expire_all()
    results = send_letter_task.run(letter_id)
    db.session.expire_all()
    return results


def test_a_matching_seat_is_sent_and_says_the_postcode_was_checked(
    app, live_campaign, fake_postcodes, smtp_server
):
    letter = letter_to(app.test_client(), fake_postcodes, WELSH, "Ynys Môn")
    fake_postcodes.come_back()
    assert run(letter.id) == {"mp:sent": 1, "receipt:sent": 1}
    mp_copy, _ = smtp_server.wait_for(2)
    assert mp_copy.rcpt_tos == ["llinos.medi.mp@parliament.uk"]
    body = mp_copy.message.get_content().replace("\r\n", "\n")
    assert body.rstrip().endswith("Postcode checked against your constituency.")
    assert db.session.get(Letter, letter.id).seat_check == "matched"


def test_another_seat_is_held_and_the_supporter_can_send_it_to_their_real_mp(
    app, live_campaign, fake_postcodes, smtp_server
):
    browser = app.test_client()
    letter = letter_to(browser, fake_postcodes, WELSH, "Aberdeen South", personal_paragraph="Mine.")
    fake_postcodes.come_back()
    assert run(letter.id) == {"mp:held": 1, "seat_mismatch:sent": 1}
    (notice,) = smtp_server.wait_for(1)
    assert smtp_server.wait_for(2, timeout=1) == [notice]  # nothing reached Aberdeen South
    held = db.session.get(Letter, letter.id)
    assert held.status == "held" and "is in Ynys Môn" in held.hold_reason
    assert mp_message(letter.id).status == "held"
    assert notice.rcpt_tos == ["jane.smith@example.com"]
    content = notice.message.get_content()
    assert "we have not sent your letter" in content
    link = re.search(r"https://write\.example\.org(/c/test-campaign/real-mp/\S+)", content)[1]

    held.language = "cy"  # as if written in Welsh: the copy to the real MP keeps it
    db.session.commit()
    other_device = app.test_client()
    offer = other_device.get(link)
    assert title(offer).startswith("Send your letter to Llinos Medi")
    assert db.session.scalar(select(Letter).where(Letter.id > letter.id)) is None  # GET acts not
    form = post_form(offer)
    check = other_device.post(form["action"], data=form["fields"])
    draft = db.session.scalar(select(Letter).where(Letter.id > letter.id))
    assert draft.language == "cy"  # until it is sent, from whichever language the page is in
    check_page = other_device.get(check.headers["Location"])
    assert "Llinos Medi llinos.medi.mp@parliament.uk" in text(check_page)
    assert "Mine." in text(check_page) and "Stephen Flynn" not in text(check_page)
    done = post_form(check_page)
    other_device.post(done["action"], data=done["fields"])
    new_letter = db.session.scalar(select(Letter).where(Letter.id > letter.id))
    assert new_letter.seat_check == "postcode"
    assert new_letter.body_hash and new_letter.hold_reason is None
    assert run(new_letter.id) == {"mp:sent": 1, "receipt:sent": 1}
    assert smtp_server.wait_for(3)[1].rcpt_tos == ["llinos.medi.mp@parliament.uk"]
    assert db.session.get(Letter, letter.id).status == "withdrawn"
    assert title(other_device.get(link)).startswith("This letter has been dealt with")


def test_no_answer_waits_then_sends_with_a_plain_line_after_the_limit(
    app, live_campaign, fake_postcodes, smtp_server
):
    set_campaign(safeguards={"seat_check_hours": 2})
    letter = letter_to(app.test_client(), fake_postcodes, WELSH, "Ynys Môn")
    fake_postcodes.come_back()
    fake_postcodes.fail_always(503)  # up, but answering with errors
    assert run(letter.id) == {"mp:retry": 1}
    assert fake_postcodes.requests_seen  # it was asked
    waiting = mp_message(letter.id)
    assert waiting.status == "pending" and waiting.attempts == 0  # waiting is no failed attempt
    assert waiting.next_attempt_at > letter.submitted_at + timedelta(seconds=60)
    assert "waiting to check the postcode" in waiting.last_error
    assert smtp_server.received == []
    # Another try within half a minute does not wait on postcodes.io again.
    fake_postcodes.reset_stats()
    waiting.next_attempt_at = letter.submitted_at
    db.session.commit()
    assert run(letter.id) == {"mp:retry": 1}
    assert fake_postcodes.requests_seen == []
    waiting = mp_message(letter.id)

    stored = db.session.get(Letter, letter.id)
    stored.confirmed_at -= timedelta(hours=2, minutes=1)  # the campaign's limit has passed
    waiting.next_attempt_at = stored.confirmed_at
    db.session.commit()
    assert run(letter.id) == {"mp:sent": 1, "receipt:sent": 1}
    body = smtp_server.wait_for(2)[0].message.get_content().replace("\r\n", "\n")
    assert body.rstrip().endswith(
        "We could not check the sender's postcode against the constituency."
    )
    assert "Postcode checked" not in body


def test_a_postcode_not_known_yet_is_checked_once_it_is(
    app, live_campaign, fake_postcodes, smtp_server, start_worker
):
    """With a real worker: the lookup is down while the letter is written, the worker waits,
    and sends it once postcodes.io answers again (a second's retry here)."""
    start_worker(app, SEAT_CHECK_RETRY_SECONDS="1")
    letter = letter_to(app.test_client(), fake_postcodes, WELSH, "Ynys Môn")
    time.sleep(2)
    assert smtp_server.received == []
    fake_postcodes.come_back()
    mails = smtp_server.wait_for(2, timeout=30)
    assert [m.rcpt_tos[0] for m in mails] == [
        "llinos.medi.mp@parliament.uk",
        "jane.smith@example.com",
    ]
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).seat_check == "matched"


def test_releasing_a_seat_check_hold_does_not_count_the_letter_again(
    app, live_campaign, fake_postcodes, smtp_server
):
    """Held by the seat check after it was sent (and counted), then released by a person: the
    counts are those of one letter, not two."""
    from action_app.services import held_letters
    from action_app.services.campaign_cache import cached_campaign
    from action_app.stats.figures import read_figures

    letter = letter_to(app.test_client(), fake_postcodes, WELSH, "Aberdeen South")
    fake_postcodes.come_back()
    assert run(letter.id) == {"mp:held": 1, "seat_mismatch:sent": 1}
    held = read_figures(cached_campaign("test-campaign")).headline
    assert (held.accepted, held.queued) == (1, 1)
    held_letters.release(letter.id)
    db.session.commit()
    released = read_figures(cached_campaign("test-campaign")).headline
    assert (released.accepted, released.queued) == (1, 1)
