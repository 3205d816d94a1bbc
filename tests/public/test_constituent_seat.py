"""A letter "from your constituent" comes from one: the seat comes from the postcode, and a seat
chosen from the list is only accepted while the lookup cannot answer (issue 8 §2, web side)."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import Constituency, Letter
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import text, title
from tests.journey import fill, send
from tests.public.conftest import set_campaign
from workers.tasks import send_letter_task

URL = "/c/test-campaign"
HOME = EXAMPLE_POSTCODES["england"]  # SW1A 1AA: Cities of London and Westminster


def seat_id(name: str) -> int:
    return db.session.scalar(select(Constituency.id).where(Constituency.name == name))


def write_page_for(client, postcode, seat, **extra):
    return client.get(f"{URL}/write", query_string={"postcode": postcode, "seat": seat, **extra})


def choose_while_down(client, fake_postcodes, postcode, seat_name):
    """The lookup is down: the list → the chosen seat's MP page → Continue → the letter page."""
    fake_postcodes.go_down()
    chooser = client.get(f"{URL}/your-mp", query_string={"postcode": postcode})
    assert "We cannot look up postcodes at the moment" in text(chooser)
    mp_page = client.get(
        f"{URL}/your-mp", query_string={"postcode": postcode, "seat": seat_id(seat_name)}
    )
    link = re.search(r'href="(/c/test-campaign/write\?[^"]+)"', mp_page.get_data(as_text=True))
    assert link, text(mp_page)
    return mp_page, client.get(unescape(link[1]))


def test_one_email_and_one_postcode_cannot_write_to_every_mp(journey):
    """The reproduction: SW1A 1AA plus ?seat= for each of the 21 seats. Only its own MP's
    letter page opens; every other seat goes back to the MP for the postcode."""
    seats = list(db.session.scalars(select(Constituency.id)))
    assert len(seats) >= 20
    opened = []
    for seat in seats:
        response = write_page_for(journey, HOME, seat)
        if response.status_code == 200:
            opened.append(seat)
        else:
            assert response.status_code == 302
            assert "/your-mp?postcode=SW1A+1AA" in response.headers["Location"]
    assert opened == [seat_id("Cities of London and Westminster")]


def test_posting_a_letter_to_a_hand_made_seat_saves_nothing(journey):
    page = write_page_for(journey, HOME, seat_id("Cities of London and Westminster"))
    action, fields = fill(page)
    forged = action.replace(
        f"seat={seat_id('Cities of London and Westminster')}", f"seat={seat_id('Ynys Môn')}"
    )
    response = journey.post(forged, data=fields)
    assert response.status_code == 302 and "/your-mp?" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Letter)) == 0


def test_choosing_another_seat_while_the_lookup_answers_gives_the_postcodes_mp(journey):
    response = journey.get(
        f"{URL}/your-mp", query_string={"postcode": HOME, "seat": seat_id("Ynys Môn")}
    )
    assert title(response).startswith("Your MP is Rachel Blake")
    assert "but your postcode, SW1A 1AA, is in Cities of London and Westminster" in text(response)


def test_a_chosen_seat_proof_works_only_for_its_seat_and_postcode(journey, fake_postcodes):
    mp_page, letter_page = choose_while_down(journey, fake_postcodes, "LL77 7TW", "Ynys Môn")
    assert title(letter_page).startswith("Write your letter to Llinos Medi")
    proof = re.search(r"proof=([^&\"]+)", mp_page.get_data(as_text=True))[1]
    other_seat = write_page_for(journey, "LL77 7TW", seat_id("Aberdeen South"), proof=proof)
    other_postcode = write_page_for(journey, "AB10 1AA", seat_id("Ynys Môn"), proof=proof)
    altered = write_page_for(journey, "LL77 7TW", seat_id("Ynys Môn"), proof=proof[:-2] + "xx")
    for response in (other_seat, other_postcode, altered):
        assert response.status_code == 302


def test_a_letter_to_a_chosen_seat_is_accepted_and_waits_for_its_check(pg_journey, fake_postcodes):
    mp_page, letter_page = choose_while_down(pg_journey, fake_postcodes, "LL77 7TW", "Ynys Môn")
    assert "We will check your postcode before your letter is sent" in text(mp_page)
    action_url, fields = fill(letter_page)
    sent = send(pg_journey, pg_journey.post(action_url, data=fields))
    sent_page = text(pg_journey.get(sent.headers["Location"]))
    assert "Your letter is on its way" in sent_page
    assert "as soon as we have checked that LL77 7TW is in their constituency" in sent_page
    letter = db.session.scalar(select(Letter))
    assert (letter.status, letter.seat_check) == ("confirmed", "pending")


def test_the_mps_copy_says_what_was_checked(pg_journey, smtp_server):
    from tests.journey import write_letter

    send(pg_journey, write_letter(pg_journey))
    send_letter_task.run(db.session.scalar(select(Letter.id)))
    letter = smtp_server.wait_for(2)[0].message.get_content().replace("\r\n", "\n")
    assert letter.rstrip().endswith("Postcode checked against your constituency.")
    assert "email address confirmed" not in letter


def test_a_confirmed_address_is_named_in_the_trust_line(pg_journey, smtp_server):
    from tests.journey import write_letter

    set_campaign(require_confirmation=True)
    send(pg_journey, write_letter(pg_journey))
    letter_id = db.session.scalar(select(Letter.id))
    send_letter_task.run(letter_id)
    link = re.search(r"https://write\.example\.org(/c/\S+/confirm/\S+)", _content(smtp_server, 1))
    confirm_page = pg_journey.get(link[1])
    from tests.html import post_form

    form = post_form(confirm_page)
    pg_journey.post(form["action"], data=form["fields"])
    send_letter_task.run(letter_id)
    mp_copy = smtp_server.wait_for(3)[1].message.get_content().replace("\r\n", "\n")
    assert mp_copy.rstrip().endswith(
        "Postcode checked against your constituency; email address confirmed by the sender."
    )


def _content(smtp_server, count: int) -> str:
    return smtp_server.wait_for(count)[count - 1].message.get_content()
