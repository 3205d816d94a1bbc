"""'Did your MP reply?': asked once after the campaign's delay, answered once by a POST."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import ReplyCheck
from action_app.models.types import utcnow
from action_app.registry import registry_of
from action_app.services.campaign_cache import cached_campaign
from action_app.stats import replies
from action_app.stats.figures import read_figures
from tests.fakes import EXAMPLE_POSTCODES
from tests.html import post_form, text
from tests.public.conftest import set_campaign
from tests.stats.helpers import deliver_all, write_and_send

ENGLAND, SCOTLAND = EXAMPLE_POSTCODES["england"], EXAMPLE_POSTCODES["scotland"]


def _ask(now) -> dict:
    """What the beat task does, at a time of the test's choosing."""
    claimed = replies.claim_due_checks(now=now)
    db.session.commit()
    results = [replies.send_reply_check(check_id, now=now) for check_id in claimed]
    db.session.commit()
    return {"claimed": len(claimed), "asked": results.count("asked")}


def _reply_email(smtp_server, address):
    mails = [m for m in smtp_server.to(address) if "reply to your letter" in m.message["Subject"]]
    return mails


def _sent_letters(app, smtp_server):
    write_and_send(app, ENGLAND, "ann@example.com")
    write_and_send(app, SCOTLAND, "bob@example.com", no_reply_check=True)
    deliver_all()
    smtp_server.clear()
    return utcnow()


def test_the_question_goes_out_after_the_delay_once_and_never_to_those_who_said_no(
    app, campaign, smtp_server
):
    sent_at = _sent_letters(app, smtp_server)
    assert _ask(sent_at + timedelta(days=13, hours=23)) == {"claimed": 0, "asked": 0}
    assert smtp_server.received == []
    assert _ask(sent_at + timedelta(days=14, minutes=5)) == {"claimed": 1, "asked": 1}
    assert _ask(sent_at + timedelta(days=30)) == {"claimed": 0, "asked": 0}  # once only
    (mail,) = _reply_email(smtp_server, "ann@example.com")
    body = mail.message.get_content()
    assert "Not yet" in body and "automatic acknowledgement" in body
    assert _reply_email(smtp_server, "bob@example.com") == []


def test_each_campaign_sets_its_own_delay(app, campaign, smtp_server):
    set_campaign(reply_check_days=3)
    sent_at = _sent_letters(app, smtp_server)
    assert _ask(sent_at + timedelta(days=2))["asked"] == 0
    assert _ask(sent_at + timedelta(days=3, minutes=1))["asked"] == 1


def test_opening_the_link_records_nothing_and_the_first_post_records_once(
    app, campaign, staff, smtp_server, every_count_shown
):
    sent_at = _sent_letters(app, smtp_server)
    _ask(sent_at + timedelta(days=15))
    (mail,) = _reply_email(smtp_server, "ann@example.com")
    link = re.search(r"https://write\.example\.org(/reply/\S+\?answer=replied)",
                     mail.message.get_content())[1]  # fmt: skip
    client = app.test_client()
    for _ in range(3):  # a mail scanner, a preview, the supporter
        page = client.get(link)
        assert page.status_code == 200
    assert _answers() == [None]
    form = post_form(page)
    # The link's answer is chosen already: one more click confirms it.
    assert re.search(r'value="replied" checked', page.get_data(as_text=True))
    form["fields"]["answer"] = "replied"
    first = client.post(form["action"], data=form["fields"])
    assert "your answer is recorded" in text(first)
    assert _answers() == ["replied"]
    second = client.post(form["action"], data={"answer": "not_yet"})
    assert second.status_code == 200 and "already recorded" in text(second)
    assert _answers() == ["replied"]
    assert "already recorded" in text(client.get(link))
    figures = read_figures(cached_campaign("test-campaign"))
    assert (figures.headline.replied, figures.headline.reply_answers) == (1, 1)
    party = next(r for r in figures.parties if r.replied)
    assert party.reply_rate == 1.0
    # Not by nation, however many answer: nations cross the parties (stats/disclosure.py)
    assert next(r for r in figures.nations if r.label == "England").reply_rate is None


def test_a_wrong_answer_or_a_forged_link_records_nothing(app, campaign, smtp_server):
    sent_at = _sent_letters(app, smtp_server)
    _ask(sent_at + timedelta(days=15))
    check = db.session.scalar(select(ReplyCheck).where(ReplyCheck.status == "asked"))
    token = replies.answer_token(check.id)
    client = app.test_client()
    wrong = client.post(f"/reply/{token}", data={"answer": "maybe"})
    assert wrong.status_code == 400 and "Select whether your MP replied" in text(wrong)
    forged = replies.answer_token(check.id)[:-2] + "xx"
    assert client.post(f"/reply/{forged}", data={"answer": "replied"}).status_code == 404
    assert client.get("/reply/not-a-token").status_code == 404
    assert _answers() == [None]


def _answers():
    db.session.remove()
    return [c.answer for c in db.session.scalars(select(ReplyCheck).where(
        ReplyCheck.status == "asked"))]  # fmt: skip


def test_the_beat_task_asks_once_the_delay_has_passed(app, campaign, smtp_server):
    from sqlalchemy import update

    from action_app import tasking
    from workers.tasks import ask_about_replies_task

    schedule = registry_of(app).celery.conf.beat_schedule
    assert any(e["task"] == tasking.ASK_ABOUT_REPLIES for e in schedule.values())
    sent_at = _sent_letters(app, smtp_server)
    assert ask_about_replies_task.run() == {}
    db.session.execute(update(ReplyCheck).values(letter_sent_at=sent_at - timedelta(days=15)))
    db.session.commit()
    assert ask_about_replies_task.run() == {"asked": 1}
    assert len(_reply_email(smtp_server, "ann@example.com")) == 1


def test_the_reply_words_are_translated_once_per_language_and_shared_read_only(app):
    from action_app.stats.reply_text import WORDS, text_for

    with app.app_context():
        english, welsh = text_for("en"), text_for("cy")
        assert english["opt_out_label"] == str(WORDS["opt_out_label"])
        assert welsh["opt_out_label"] != english["opt_out_label"] and set(welsh) == set(WORDS)
        # A language we do not offer, or none, is English; each language is made once.
        assert text_for("fr") is english and text_for(None) is english
        assert text_for("cy") is welsh
        with pytest.raises(TypeError):
            english["opt_out_label"] = "changed"  # type: ignore[index]
