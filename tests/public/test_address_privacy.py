"""No page tells a browser whether some address has written (issue 8 §3), in a campaign that
asks for no confirmation too: a letter from an address that has already written to the MP, typed
in another browser, waits for the address's owner (who is emailed), and its browser sees exactly
what a new letter's browser sees: the same sent page, the same status answers, the same count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from action_app.extensions import db
from action_app.models import Letter, LetterStatus, MessageKind, OutboundMessage
from action_app.registry import registry_of
from action_app.services.owner import not_me_token
from tests.conftest import prepare_journey
from tests.html import forms, post_form, title
from tests.journey import send, write_letter
from workers.tasks import send_letter_task

URL = "/c/test-campaign"
MP = "rachel.blake.mp@parliament.uk"
OWNER = "jane.smith@example.com"
NEWCOMER = "nobody.yet@example.com"
TYPED = {"name": "Sam Jones", "personal_paragraph": "The library taught me to read."}


@pytest.fixture
def site(app, fake_members):
    prepare_journey(app)  # require_confirmation is off, as in the demo campaign
    return app


def deliver():
    db.session.expire_all()
    for letter_id in db.session.scalars(select(Letter.id).order_by(Letter.id)):
        send_letter_task.run(letter_id)
    db.session.expire_all()


def normalised(html: str, letter: Letter) -> str:
    """The page with what differs by right between two letters made neutral: the letter's public
    id, the email address typed, form tokens, and dates and times."""
    html = html.replace(letter.public_id, "PUBLIC-ID").replace(letter.supporter_email, "EMAIL")
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1TOKEN", html)
    html = re.sub(r"\d{1,2}:\d\d\s*[ap]m", "TIME", html)
    return re.sub(r"\d{1,2} \w+ \d{4}", "DATE", html)


def sent_page(site, client, response=None, letter=None) -> tuple[str, Letter]:
    """The sent page the browser is sent to (or a letter's), rendered as a fresh process would
    (no cached count), and the letter it is for."""
    registry_of(site).clear_caches()
    location = response.headers["Location"] if response else f"{URL}/sent/{letter.public_id}"
    page = client.get(location)
    assert page.status_code == 200
    public_id = location.rsplit("/", 1)[1]
    db.session.expire_all()
    letter = db.session.scalar(select(Letter).where(Letter.public_id == public_id))
    return page.get_data(as_text=True), letter


def status(client, letter: Letter) -> str:
    answer = client.get(f"{URL}/sent/{letter.public_id}/status")
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.get_json()["state"]


def test_a_used_address_gets_a_new_letters_page_and_its_owner_is_told(site, smtp_server):
    writer = site.test_client()
    send(writer, write_letter(writer, email=OWNER))
    deliver()
    assert len(smtp_server.wait_for(2)) == 2  # the letter and its receipt

    stranger, newcomer = site.test_client(), site.test_client()
    used_html, used = sent_page(
        site, stranger, send(stranger, write_letter(stranger, email=OWNER, **TYPED))
    )
    fresh_html, fresh = sent_page(
        site, newcomer, send(newcomer, write_letter(newcomer, email=NEWCOMER, **TYPED))
    )
    assert used.status == LetterStatus.AWAITING_CONFIRMATION  # held for the owner, as before
    assert fresh.status == LetterStatus.CONFIRMED
    assert "Your letter is on its way" in used_html
    assert normalised(used_html, used) == normalised(fresh_html, fresh)

    # The page's script asks at once: both are being sent.
    first = [status(stranger, used), status(newcomer, fresh)]
    deliver()  # the new letter reaches the MP; the owner is emailed instead of a second letter
    # Moments later the held letter is still "being sent", as a real one would be…
    early = status(stranger, used)
    # …and once a delivery's few seconds have passed on its own clock, it has the earlier
    # letter's state: delivered.
    db.session.execute(
        update(Letter)
        .where(Letter.id == used.id)
        .values(submitted_at=Letter.submitted_at - timedelta(seconds=10))
    )
    db.session.commit()
    later = [status(stranger, used), status(newcomer, fresh)]
    assert first == ["sending", "sending"] and early == "sending"
    assert later == ["delivered", "delivered"]

    used_html, _ = sent_page(site, stranger, letter=used)
    fresh_html, _ = sent_page(site, newcomer, letter=fresh)
    assert "Your letter has been delivered" in used_html
    # Each page counts every letter and itself: the newcomer's counts the first letter and
    # its own (2); the held one's, both of those and its own (3), as a new letter would.
    assert "<strong>3</strong>" in used_html and "<strong>2</strong>" in fresh_html
    used_html = used_html.replace("<strong>3</strong>", "<strong>2</strong>")
    assert normalised(used_html, used) == normalised(fresh_html, fresh)

    mail = smtp_server.wait_for(5)
    assert len(smtp_server.to(MP)) == 2  # the first letter and the newcomer's; no second
    (notice,) = [m for m in smtp_server.to(OWNER) if "Someone used" in m.message["Subject"]]
    assert "we have not sent the new one" in notice.message.get_content()
    assert len(mail) == 5  # two letters, two receipts, the owner's notice
    kinds = db.session.scalars(
        select(OutboundMessage.kind).where(OutboundMessage.letter_id == used.id)
    ).all()
    assert kinds == [MessageKind.ADDRESS_USED]

    # Only the browser that wrote the first letter hears "already written".
    again = send(writer, write_letter(writer, email=OWNER))
    assert title(again).startswith("You have already written to Rachel Blake")


def test_a_used_address_is_not_counted_but_its_page_counts_it(site):
    """A new letter's page shows a total that includes it; so does the held one's, though the
    campaign's total does not go up for it."""
    writer = site.test_client()
    send(writer, write_letter(writer, email=OWNER))
    stranger = site.test_client()
    html, _ = sent_page(site, stranger, send(stranger, write_letter(stranger, email=OWNER)))
    assert re.search(r"<strong>2</strong> people have written", html)
    registry_of(site).clear_caches()
    count = site.test_client().get("/api/v1/campaigns/test-campaign/count").get_json()
    assert count["total"] == 1


def test_sending_it_yourself_from_a_used_address_looks_new(site):
    """The "Send it myself" button told a stranger "already written" too; now it gets a new letter's
    page (the platform sends nothing either way), and only the writer hears "already"."""
    writer = site.test_client()
    send(writer, write_letter(writer, email=OWNER))

    def send_myself(client, email):
        check = client.get(write_letter(client, email=email, **TYPED).headers["Location"])
        form = next(f for f in forms(check) if "send-yourself" in (f["action"] or ""))
        return client.post(form["action"], data=form["fields"])

    stranger, newcomer = site.test_client(), site.test_client()
    used_html, used = sent_page(site, stranger, send_myself(stranger, OWNER))
    fresh_html, fresh = sent_page(site, newcomer, send_myself(newcomer, NEWCOMER))
    assert "Send your letter from your own email" in used_html
    assert normalised(used_html, used) == normalised(fresh_html, fresh)
    assert status(stranger, used) == status(newcomer, fresh) == "by_supporter"
    assert used.status == LetterStatus.AWAITING_CONFIRMATION  # never counted, never blocks
    mine = send_myself(writer, OWNER)
    assert title(mine).startswith("You have already written to Rachel Blake")


def test_the_writers_own_page_is_unchanged(site):
    """The browser that wrote a letter still sees its own letter's page and status."""
    writer = site.test_client()
    response = send(writer, write_letter(writer, email=OWNER))
    html, letter = sent_page(site, writer, response)
    assert "Your letter is on its way" in html and status(writer, letter) == "sending"


def test_what_was_delivered_stays_delivered_when_the_owner_disowns_it(site):
    """The owner says the earlier letter was not theirs: the held letter's page does not go
    back to "being sent" (which would tell the stranger what the owner did)."""
    writer = site.test_client()
    send(writer, write_letter(writer, email=OWNER))
    deliver()
    stranger = site.test_client()
    _, used = sent_page(site, stranger, send(stranger, write_letter(stranger, email=OWNER)))
    db.session.execute(
        update(Letter)
        .where(Letter.id == used.id)
        .values(submitted_at=Letter.submitted_at - timedelta(seconds=10))
    )
    db.session.commit()
    assert status(stranger, used) == "delivered"
    first = db.session.scalar(select(Letter).where(Letter.id < used.id))
    owner = site.test_client()
    page = owner.get(f"{URL}/not-me/{not_me_token(first)}")
    owner.post(f"{URL}/not-me/{not_me_token(first)}", data=post_form(page)["fields"])
    db.session.expire_all()
    assert db.session.get(Letter, first.id).status == LetterStatus.WITHDRAWN
    assert status(stranger, used) == "delivered"
