"""The owner of an email address is protected (issue 8 §3): "I did not send this" in every
receipt, an unconfirmed letter never blocks them, and no page says whether an address wrote."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from action_app.services.owner import not_me_token
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form, text, title
from tests.journey import send, write_letter
from tests.public.conftest import set_campaign
from workers.tasks import send_letter_task

URL = "/c/test-campaign"
MP = "rachel.blake.mp@parliament.uk"


def deliver():
    db.session.expire_all()
    for letter_id in db.session.scalars(select(Letter.id).order_by(Letter.id)):
        send_letter_task.run(letter_id)
    db.session.expire_all()


def mp_letters() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboundMessage).where(OutboundMessage.kind == "mp")
    )


def link_in(mail, kind: str) -> str:
    return re.search(rf"https://write\.example\.org(/c/test-campaign/{kind}/\S+)", mail)[1]


def press(client, page):
    form = post_form(page)
    return client.post(form["action"], data=form["fields"])


def test_i_did_not_send_this_after_sending_tells_the_office_and_frees_the_address(
    pg_journey, app, smtp_server
):
    impostor = app.test_client()
    send(impostor, write_letter(impostor, personal_paragraph="Words Jane never wrote."))
    deliver()
    letter, receipt = smtp_server.wait_for(2)
    link = link_in(receipt.message.get_content(), "not-me")
    assert "I did not send this letter:" in receipt.message.get_content()

    owner = app.test_client()
    page = owner.get(link)
    assert title(page).startswith("I did not send this letter")
    assert "we will tell Rachel Blake’s office" in text(page)
    assert db.session.scalar(select(Letter.status)) == "confirmed"  # a GET never acts
    done = press(owner, page)
    assert "We are telling Rachel Blake’s office" in text(done)
    deliver()
    notice = smtp_server.wait_for(3)[2]
    assert notice.rcpt_tos == [MP]
    assert notice.message["References"] == letter.message["Message-ID"]
    assert notice.message["Subject"] == (
        "Please disregard a letter sent to you: its sender did not write it"
    )
    assert "has told us that they did not send it" in notice.message.get_content()
    assert db.session.scalar(select(Letter.status)) == "withdrawn"
    assert "already been withdrawn" in text(owner.get(link))  # and a second press does nothing
    assert len(smtp_server.wait_for(4, timeout=1)) == 3

    own = send(owner, write_letter(owner, personal_paragraph="My own words."))  # freed
    assert "Your letter is on its way" in text(owner.get(own.headers["Location"]))
    deliver()
    assert len(smtp_server.to(MP)) == 3  # the impostor's, the notice, and Jane's own letter


def test_i_did_not_send_this_before_sending_withdraws_it(pg_journey, app, smtp_server):
    send(pg_journey, write_letter(pg_journey))
    letter = db.session.scalar(select(Letter))
    owner = app.test_client()
    page = owner.get(f"{URL}/not-me/{not_me_token(letter)}")
    assert "The letter has been withdrawn" in text(press(owner, page))
    deliver()
    assert smtp_server.wait_for(1, timeout=1) == []
    assert db.session.scalar(select(OutboundMessage.status)) == "cancelled"


@pytest.mark.parametrize("token", ["not-a-token", "eyJhbGciOi.forged.x"])
def test_a_made_up_not_me_link_is_not_found(journey, token):
    assert journey.get(f"{URL}/not-me/{token}").status_code == 404
    assert journey.post(f"{URL}/not-me/{token}").status_code == 404


def test_a_not_me_post_without_its_form_token_does_nothing(pg_journey, app):
    send(pg_journey, write_letter(pg_journey))
    letter = db.session.scalar(select(Letter))
    response = app.test_client().post(f"{URL}/not-me/{not_me_token(letter)}", data={})
    assert response.status_code == 200 and "I did not send this letter" in title(response)
    db.session.expire_all()
    assert db.session.scalar(select(Letter.status)) == "confirmed"


def test_an_unconfirmed_letter_never_blocks_the_owner(pg_journey, app, smtp_server):
    set_campaign(require_confirmation=True)
    impostor = app.test_client()
    send(impostor, write_letter(impostor, personal_paragraph="Not Jane."))
    owner = app.test_client()
    own = send(owner, write_letter(owner, personal_paragraph="Jane's own words."))
    assert "Check your email to send your letter" in text(owner.get(own.headers["Location"]))
    deliver()
    first, second = smtp_server.wait_for(2)
    own_link = link_in(second.message.get_content(), "confirm")
    confirm_page = owner.get(own_link)
    press(owner, confirm_page)
    deliver()
    (to_mp,) = smtp_server.to(MP)
    assert "Jane's own words." in to_mp.message.get_content()
    # the impostor's link, if Jane ever pressed it, cannot send a second letter
    impostor_link = link_in(first.message.get_content(), "confirm")
    again = press(owner, owner.get(impostor_link))
    assert title(again).startswith("You have already written to Rachel Blake")
    assert mp_letters() == 1


def test_the_owner_can_replace_a_letter_someone_else_sent(pg_journey, app, smtp_server):
    impostor = app.test_client()
    send(impostor, write_letter(impostor, personal_paragraph="Not Jane."))
    owner = app.test_client()
    attempt = send(owner, write_letter(owner, personal_paragraph="Jane's words."))
    # No confirmation in this campaign: a new letter's page (it waits for the owner's inbox).
    assert "Your letter is on its way" in text(owner.get(attempt.headers["Location"]))
    deliver()
    notice = smtp_server.wait_for(3)[2].message.get_content()
    press(owner, owner.get(link_in(notice, "not-me")))  # the earlier letter was not hers
    press(owner, owner.get(link_in(notice, "confirm")))  # and hers is sent instead
    deliver()
    mp_mail = [m.message.get_content() for m in smtp_server.to(MP)]
    assert len(mp_mail) == 3 and "Jane's words." in mp_mail[2]


def test_no_page_says_whether_an_address_has_written(pg_journey, app):
    """A stranger's browser gets the same answer for an address that wrote and one that did
    not: a letter that waits for its email. Only the writer's browser hears "already"."""
    set_campaign(require_confirmation=True)
    writer = app.test_client()
    send(writer, write_letter(writer))
    stranger = app.test_client()
    used = send(stranger, write_letter(stranger, email="jane.smith@example.com"))
    fresh_browser = app.test_client()
    fresh = send(fresh_browser, write_letter(fresh_browser, email="nobody.yet@example.com"))
    used_page = text(stranger.get(used.headers["Location"]))
    fresh_page = text(fresh_browser.get(fresh.headers["Location"]))
    assert used_page.replace("jane.smith", "X") == fresh_page.replace("nobody.yet", "X")
    mine = send(writer, write_letter(writer, EXAMPLE_POSTCODES["england"]))
    assert title(mine).startswith("You have already written to Rachel Blake")
