"""Abuse is held, never silently dropped (issue 8 §3): the bot checks (a honeypot and a minimum
time on the letter page), the campaign's letter safeguards, and ``action-app outbox``."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Letter, OutboundMessage
from tests.drafts import write_parked_drafts
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import text, title
from tests.journey import fill, open_letter, send, write_letter
from tests.public.conftest import set_campaign
from tests.public.test_abuse_limits import tune  # noqa: F401  (a fixture)
from workers.tasks import send_letter_task


def only_letter() -> Letter:
    write_parked_drafts()  # a draft parked in Redis, as Continue leaves it, is read here too
    db.session.expire_all()
    return db.session.scalar(select(Letter))


def outbox(app, *args):
    return app.test_cli_runner().invoke(args=["outbox", *args])


def without_count(page) -> str:
    return re.sub(r"\d+ (person has|people have) written", "", text(page))


def sent_page(client, response):
    assert response.status_code == 302 and "/sent/" in response.headers["Location"]
    return client.get(response.headers["Location"])


def test_a_filled_honeypot_is_held_and_looks_sent(pg_journey, app, smtp_server):
    person = app.test_client()
    normal = sent_page(person, send(person, write_letter(person)))
    db.session.execute(db.delete(OutboundMessage))
    db.session.execute(db.delete(Letter))
    db.session.commit()
    bot = app.test_client()
    held_page = sent_page(bot, send(bot, write_letter(bot, contact_me_by_fax_only="http://x")))
    assert without_count(held_page) == without_count(normal)  # nothing tells the bot
    held = only_letter()
    assert held.status == "held"
    assert held.hold_reason == "bot check: the hidden field was filled in"
    (message,) = held.messages
    assert (message.kind, message.status) == ("mp", "held")
    send_letter_task.run(held.id)
    assert smtp_server.wait_for(1, timeout=1) == []


def test_the_honeypot_is_hidden_from_people_and_assistive_technology(journey):
    html = open_letter(journey).get_data(as_text=True)
    wrapper = html.split('class="hp-field"', 1)[1].split("</div>", 1)[0]
    assert 'aria-hidden="true"' in wrapper.split(">", 1)[0]
    assert 'tabindex="-1"' in wrapper and 'autocomplete="off"' in wrapper


def test_continue_sooner_than_a_person_could_is_held(pg_journey, app, tune):  # noqa: F811
    tune(app, bot_min_seconds=30)
    sent = send(pg_journey, write_letter(pg_journey))
    assert title(sent_page(pg_journey, sent)).startswith("Your letter is on its way")
    letter = only_letter()
    assert letter.status == "held"
    assert letter.hold_reason.startswith("bot check: Continue ")
    assert letter.hold_reason.endswith("s after the letter page opened")


@pytest.mark.parametrize("opened", [None, "", "forged.token.value"])
def test_a_missing_or_forged_page_time_is_held(pg_journey, opened):
    page = open_letter(pg_journey)
    action, fields = fill(page, opened=opened)
    send(pg_journey, pg_journey.post(action, data=fields))
    letter = only_letter()
    assert letter.status == "held"
    assert "the letter page's time was missing or altered" in letter.hold_reason


def test_a_page_time_from_another_form_is_held(pg_journey):
    first = open_letter(pg_journey)
    other = open_letter(pg_journey)
    action, fields = fill(first, opened=fill(other)[1]["opened"])
    send(pg_journey, pg_journey.post(action, data=fields))
    assert "belongs to another form" in only_letter().hold_reason


def test_outbox_release_sends_a_held_letter(pg_journey, app, smtp_server):
    send(pg_journey, write_letter(pg_journey, contact_me_by_fax_only="x"))
    letter = only_letter()
    listing = outbox(app, "list")
    assert f"{letter.id}\tRachel Blake\t" in listing.output
    assert "bot check: the hidden field was filled in" in listing.output
    result = outbox(app, "release", str(letter.id))
    assert result.exit_code == 0, result.output
    assert f"Letter {letter.id} released" in result.output
    send_letter_task.run(letter.id)
    assert [m.rcpt_tos[0] for m in smtp_server.wait_for(2)] == [
        "rachel.blake.mp@parliament.uk",
        "jane.smith@example.com",
    ]
    again = outbox(app, "release", str(letter.id))
    assert again.exit_code == 1 and "is confirmed, not held" in again.output


def test_outbox_reject_keeps_the_letter_unsent(pg_journey, app, smtp_server):
    send(pg_journey, write_letter(pg_journey, contact_me_by_fax_only="x"))
    letter = only_letter()
    result = outbox(app, "reject", str(letter.id))
    assert result.exit_code == 0 and "will not be sent" in result.output
    letter = only_letter()
    assert letter.status == "rejected" and letter.messages[0].status == "cancelled"
    send_letter_task.run(letter.id)
    assert smtp_server.wait_for(1, timeout=1) == []
    assert outbox(app, "reject", "999999").output.strip().endswith("There is no letter 999999.")


def test_a_held_duplicate_cannot_be_released_over_a_sent_letter(pg_journey, app):
    bot = app.test_client()
    send(bot, write_letter(bot, contact_me_by_fax_only="x"))
    held_id = only_letter().id
    send(pg_journey, write_letter(pg_journey))  # the owner's own letter: not blocked
    result = outbox(app, "release", str(held_id))
    assert result.exit_code == 1
    assert "has already been sent for this campaign" in result.output
    assert db.session.get(Letter, held_id).status == "held"


# --- the campaign's letter safeguards -----------------------------------------------------------


def test_a_very_short_letter_is_refused_with_the_reason(journey):
    page = open_letter(journey)
    action, fields = fill(page, body_before="Hi", body_after="", personal_paragraph="")
    response = journey.post(action, data=fields)
    assert response.status_code == 200
    assert "Your letter is very short. Write at least 20 characters" in text(response)
    assert title(response).startswith("Error: ")


def test_a_short_letter_can_be_held_instead(pg_journey):
    set_campaign(safeguards={"short_letter": "hold", "min_letter_characters": 200})
    sent = send(pg_journey, write_letter(pg_journey))
    page = text(sent_page(pg_journey, sent))
    assert "will be read by a member of the campaign team before it is sent" in page
    assert "because it is very short" in page
    assert only_letter().hold_reason == "content: very short letter"


def test_an_identical_letter_to_the_same_mp_is_refused_when_the_campaign_says(pg_journey, app):
    set_campaign(safeguards={"identical_letter": "refuse"})
    first = app.test_client()
    send(first, write_letter(first, personal_paragraph="The library is my second home."))
    second = app.test_client()
    page = open_letter(second)
    action, fields = fill(
        page,
        name="Amir Khan",
        email="amir@example.org",
        address_line_1="3 Low Road",
        personal_paragraph="The  library is my SECOND home.",
    )
    refused = second.post(action, data=fields)
    assert refused.status_code == 200
    assert "word for word the same as one already sent to Rachel Blake" in text(refused)
    fields["personal_paragraph"] = "I learned to read there."
    assert second.post(action, data=fields).status_code == 302
    welsh = app.test_client()  # the same words to another MP are fine
    page = open_letter(welsh, EXAMPLE_POSTCODES["wales"])
    action, fields = fill(page, personal_paragraph="The library is my second home.")
    assert welsh.post(action, data=fields).status_code == 302


def test_an_identical_letter_can_be_held(pg_journey, app):
    set_campaign(safeguards={"identical_letter": "hold"})
    send(pg_journey, write_letter(pg_journey))
    other = app.test_client()
    send(other, write_letter(other, name="Amir Khan", email="amir@example.org"))
    copy = db.session.scalar(select(Letter).where(Letter.supporter_name == "Amir Khan"))
    assert copy.status == "held"
    assert copy.hold_reason == "content: identical to a letter already sent to this recipient"


@pytest.mark.parametrize(
    ("safeguards", "problem"),
    [
        ({"identical_letter": "drop"}, "identical_letter must be one of allow, hold, refuse"),
        ({"min_letter_characters": -1}, "min_letter_characters must be between 0 and 2000"),
        ({"seat_check_hours": "soon"}, "seat_check_hours must be a number"),
        ({"captcha": True}, "unknown setting 'captcha'"),
        ("strict", "must be an object"),
    ],
)
def test_bad_safeguards_in_a_campaign_document_are_refused(app, safeguards, problem):
    from action_app.services.campaigns import CampaignInvalid, parse_campaign_document
    from tests.conftest import CAMPAIGN_DOCUMENT

    with pytest.raises(CampaignInvalid) as refused:
        parse_campaign_document({**CAMPAIGN_DOCUMENT, "safeguards": safeguards})
    assert problem in str(refused.value)


def test_no_held_message_is_ever_picked_up_by_the_sweep(pg_journey, app):
    from action_app.services.sending import find_due_letters

    send(pg_journey, write_letter(pg_journey, contact_me_by_fax_only="x"))
    with app.test_request_context():
        assert find_due_letters() == []
    assert db.session.scalar(select(OutboundMessage.status)) == "held"


def test_a_bot_flag_survives_changing_the_letter_but_a_safeguard_follows_the_words(pg_journey):
    import re as regex
    from html import unescape

    set_campaign(safeguards={"short_letter": "hold", "min_letter_characters": 200})
    check = write_letter(pg_journey)
    assert only_letter().hold_reason == "content: very short letter"
    page = pg_journey.get(check.headers["Location"]).get_data(as_text=True)
    change = unescape(regex.search(r'<a href="([^"]*draft=[^"]*)">Change your letter', page)[1])
    action, fields = fill(pg_journey.get(change), personal_paragraph="A long story. " * 20)
    pg_journey.post(action, data=fields)
    assert only_letter().hold_reason is None  # long enough now
    action, fields = fill(pg_journey.get(change), contact_me_by_fax_only="x")
    pg_journey.post(action, data=fields)
    action, fields = fill(pg_journey.get(change), personal_paragraph="Changed. " * 30)
    pg_journey.post(action, data=fields)
    assert only_letter().hold_reason == "bot check: the hidden field was filled in"


def test_a_quick_continue_after_change_is_not_taken_for_a_bot(pg_journey, app, tune):  # noqa: F811
    """A person opens "Change your letter" from the check page, finds it fine and presses
    Continue at once: the letter was timed when it was written, so it is sent, not held. A
    change still carries the page's signed time, and a forged one is still held."""
    import re as regex
    from html import unescape

    check = write_letter(pg_journey)
    tune(app, bot_min_seconds=30)  # the first Continue was in time; from now on none could be
    page = pg_journey.get(check.headers["Location"]).get_data(as_text=True)
    change = unescape(regex.search(r'<a href="([^"]*draft=[^"]*)">Change your letter', page)[1])
    action, fields = fill(pg_journey.get(change), personal_paragraph="On second thoughts.")
    again = pg_journey.post(action, data=fields)
    assert again.headers["Location"] == check.headers["Location"]
    assert only_letter().hold_reason is None
    sent_page(pg_journey, send(pg_journey, again))
    letter = only_letter()
    assert (letter.status, letter.personal_paragraph) == ("confirmed", "On second thoughts.")
    assert [(m.kind, m.status) for m in letter.messages] == [("mp", "pending")]

    tune(app, bot_min_seconds=0)
    other, email = app.test_client(), "someone@example.org"
    first = write_letter(other, email=email)
    tune(app, bot_min_seconds=30)
    page = other.get(first.headers["Location"]).get_data(as_text=True)
    change = unescape(regex.search(r'<a href="([^"]*draft=[^"]*)">Change your letter', page)[1])
    action, fields = fill(other.get(change), opened="forged.token.value", email=email)
    other.post(action, data=fields)
    db.session.expire_all()
    forged = db.session.scalar(select(Letter).where(Letter.supporter_email == email))
    assert "the letter page's time was missing or altered" in forged.hold_reason
