"""New drafts parked in Redis until they are sent (``services/parked_drafts.py``): Continue writes
nothing to the database, the pages show the parked letter, Send writes it and sends it once, and
nothing the supporter typed is lost when Redis cannot be reached."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import func, select
from sqlalchemy import text as sql_text

from action_app.extensions import db
from action_app.kv import get_store
from action_app.models import Letter, OutboundMessage
from action_app.services import parked_drafts
from tests.drafts import statements_run
from tests.html import post_form, text
from tests.journey import SUPPORTER, fill, open_letter, send, write_letter

URL = "/c/test-campaign"


def parked_ids() -> list[str]:
    prefix = parked_drafts.DRAFT_PREFIX
    return [key.removeprefix(prefix) for key in get_store().client.scan_iter(prefix + "*")]


def letters_in_database() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Letter.id)))


def public_id_of(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def redis_down():
    """Redis as the app sees it after a failed command: skipped for a few seconds."""
    get_store().failed(ConnectionError("test: Redis is down"))


def redis_back():
    get_store()._down_until = 0.0


def test_continue_parks_the_draft_and_writes_nothing_to_the_database(pg_journey):
    page = open_letter(pg_journey)
    action, fields = fill(page, personal_paragraph="Parked, not written.")
    with statements_run() as statements:
        first = pg_journey.post(action, data=fields)
        again = pg_journey.post(action, data=fields)  # back, then Continue again: one draft
    assert first.status_code == 302 and "/check/" in first.headers["Location"]
    assert again.headers["Location"] == first.headers["Location"]
    assert not [q for q, _ in statements if "letters" in q], statements
    assert letters_in_database() == 0
    assert parked_ids() == [public_id_of(first)]
    ttl = get_store().client.ttl(parked_drafts.DRAFT_PREFIX + public_id_of(first))
    assert 23 * 3600 < ttl <= 24 * 3600  # as long as a draft lives (retention.DRAFT_HOURS)

    check = pg_journey.get(first.headers["Location"])
    assert check.status_code == 200
    assert "Parked, not written." in text(check) and SUPPORTER["name"] in text(check)
    sent_page = pg_journey.get(first.headers["Location"].replace("/check/", "/sent/"))
    assert sent_page.status_code == 302 and "/check/" in sent_page.headers["Location"]
    # Only the browser that wrote it sees it, as for a draft in the database.
    assert pg_journey.application.test_client().get(first.headers["Location"]).status_code == 404


def test_continue_parks_the_draft_when_a_stale_cache_read_the_database_first(
    pg_journey, monkeypatch
):
    """A cache found stale in the request (the campaign, the directory's version, every 30 s or
    so in each process) reads the database, which begins the session's transaction. The draft
    is still parked: found by hand, where on a quiet site most drafts went to the database."""
    from action_app.public import letter_views

    journey = letter_views._journey

    def after_a_read(*args, **kwargs):
        db.session.execute(sql_text("SELECT 1"))  # as a stale cache's reload does
        return journey(*args, **kwargs)

    monkeypatch.setattr(letter_views, "_journey", after_a_read)
    written = write_letter(pg_journey, personal_paragraph="Parked after a read.")
    assert written.status_code == 302
    assert parked_ids() == [public_id_of(written)] and letters_in_database() == 0
    assert send(pg_journey, written).status_code == 302
    assert db.session.scalar(select(Letter.status)) == "confirmed"


def test_send_writes_the_parked_draft_then_sends_it_once(pg_journey):
    written = write_letter(pg_journey, personal_paragraph="Sent from Redis.")
    check_page = pg_journey.get(written.headers["Location"])
    form = post_form(check_page)
    first = pg_journey.post(form["action"], data=form["fields"])
    second = pg_journey.post(form["action"], data=form["fields"])  # a double click
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "/sent/" in first.headers["Location"]
    letter = db.session.scalar(select(Letter))
    assert letter.public_id == public_id_of(written) and letter.status == "confirmed"
    assert letter.personal_paragraph == "Sent from Redis."
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1
    assert parked_ids() == []  # written and committed: the parked copy is gone
    assert pg_journey.get(first.headers["Location"]).status_code == 200


def test_send_uses_the_written_draft_without_reading_it_back(pg_journey):
    """The row Send writes is the letter it goes on with: no SELECT of it, and it is exactly
    the row in the database, column for column."""
    written = write_letter(pg_journey, personal_paragraph="Not read back.", opt_ins=["friends"])
    campaign_id = parked_drafts._values(public_id_of(written))["campaign_id"]
    with statements_run() as statements:
        letter = parked_drafts.materialize(public_id_of(written), campaign_id)
    assert [q.split(" (")[0] for q, _ in statements] == ["INSERT INTO letters"]
    assert letter in db.session and not db.session.dirty and not db.session.new
    row = db.session.execute(select(*Letter.__table__.columns).where(Letter.id == letter.id)).one()
    assert {key: getattr(letter, key) for key in row._fields} == row._asdict()
    assert row.personal_paragraph == "Not read back." and row.opt_ins == ["friends"]
    db.session.rollback()

    # Sent: the statements after the INSERT write, none reads the letter.
    again = write_letter(pg_journey, personal_paragraph="A second letter.")
    with statements_run() as statements:
        assert send(pg_journey, again).status_code == 302
    assert not [q for q, _ in statements if q.startswith("SELECT") and "FROM letters" in q]
    db.session.expire_all()
    sent = db.session.scalar(select(Letter).where(Letter.public_id == public_id_of(again)))
    assert sent.status == "confirmed" and sent.personal_paragraph == "A second letter."


def test_a_form_token_written_before_is_read_from_the_database(pg_journey):
    """If the form's draft reached the database another way first, the parked copy writes
    nothing and the letter is the one in the database."""
    written = write_letter(pg_journey, personal_paragraph="Parked.")
    values = parked_drafts._values(public_id_of(written))
    other = {**values, "public_id": "writtenbefore", "personal_paragraph": "In the database."}
    parked_drafts._write(other)
    letter = parked_drafts.materialize(public_id_of(written), values["campaign_id"])
    assert letter.public_id == "writtenbefore" and letter.personal_paragraph == "In the database."
    db.session.commit()
    assert letters_in_database() == 1 and parked_ids() == []


def test_a_form_posted_again_once_redis_is_back_sends_the_first_draft(pg_journey):
    """Redis down for the first Continue (the draft goes into the database), back when the
    supporter goes back and presses Continue again on the same form: that parks a second copy
    under the same form token. Its Send finds the first draft, as a form posted twice always
    did, and sends it once: not "letter not found"."""
    page = open_letter(pg_journey)
    action, fields = fill(page, personal_paragraph="Posted twice.")
    redis_down()
    try:
        first = pg_journey.post(action, data=fields)
    finally:
        redis_back()
    again = pg_journey.post(action, data=fields)
    assert public_id_of(again) != public_id_of(first) and parked_ids() == [public_id_of(again)]
    check = pg_journey.get(again.headers["Location"])
    assert check.status_code == 200 and "Posted twice." in text(check)
    sent = send(pg_journey, again)
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/sent/{public_id_of(first)}")
    assert pg_journey.get(sent.headers["Location"]).status_code == 200
    letter = db.session.scalar(select(Letter))
    assert letter.public_id == public_id_of(first) and letter.status == "confirmed"
    assert letters_in_database() == 1 and parked_ids() == []
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1


def test_a_parked_draft_is_written_with_every_column_the_database_path_writes(
    pg_journey, app, monkeypatch
):
    """The same letter, once parked then written by Send's path, once written by Continue when
    Redis could not take it: every column but the ids and times is the same."""
    parked = write_letter(pg_journey, personal_paragraph="Same words.", opt_ins=["friends"])
    with monkeypatch.context() as patched:
        patched.setattr(parked_drafts, "park", lambda values, counting=None: None)
        direct = write_letter(
            app.test_client(), personal_paragraph="Same words.", opt_ins=["friends"]
        )
    assert parked.status_code == direct.status_code == 302
    assert len(parked_ids()) == 1 and letters_in_database() == 1
    parked_drafts.materialize(public_id_of(parked), db.session.scalar(select(Letter.campaign_id)))
    db.session.commit()
    rows = {
        row.public_id: row._asdict()
        for row in db.session.execute(select(*Letter.__table__.columns))
    }
    varying = {"id", "public_id", "form_token", "created_at", "updated_at"}
    shown = [{k: v for k, v in rows[public_id_of(r)].items() if k not in varying}
             for r in (parked, direct)]  # fmt: skip
    assert shown[0] == shown[1]
    assert shown[0]["personal_paragraph"] == "Same words." and shown[0]["status"] == "draft"
    assert parked_ids() == []


def test_changing_a_parked_draft_saves_the_change_and_sends_it(pg_journey):
    written = write_letter(pg_journey, personal_paragraph="First thoughts.")
    page = pg_journey.get(written.headers["Location"]).get_data(as_text=True)
    change = unescape(re.search(r'<a href="([^"]*draft=[^"]*)">Change your letter', page)[1])
    change_page = pg_journey.get(change)
    assert "First thoughts." in change_page.get_data(as_text=True)
    action, fields = fill(change_page, personal_paragraph="Second thoughts.")
    changed = pg_journey.post(action, data=fields)
    assert changed.headers["Location"] == written.headers["Location"]
    assert "Second thoughts." in text(pg_journey.get(changed.headers["Location"]))
    assert parked_ids() == [] and letters_in_database() == 1
    assert send(pg_journey, changed).status_code == 302
    letter = db.session.scalar(select(Letter))
    assert letter.personal_paragraph == "Second thoughts." and letter.status == "confirmed"


def test_a_send_that_sends_nothing_writes_nothing(pg_journey, app):
    """A press of Send that sends nothing (here a forged press with no CSRF token) writes
    nothing: the draft stays parked, shown and sent as before."""
    written = write_letter(pg_journey)
    with statements_run() as statements:
        refused = pg_journey.post(written.headers["Location"], data={})
    assert refused.status_code == 200  # the check page again, saying the page had expired
    assert "we did not send your letter. It is saved" in text(refused)
    assert SUPPORTER["name"] in text(refused)
    assert statements == [] and letters_in_database() == 0
    assert parked_ids() == [public_id_of(written)]
    assert send(pg_journey, written).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Letter.status)) == "confirmed" and parked_ids() == []


def test_when_redis_is_down_at_continue_the_draft_goes_to_the_database(pg_journey):
    page = open_letter(pg_journey)
    action, fields = fill(page, personal_paragraph="Written the old way.")
    redis_down()
    try:
        written = pg_journey.post(action, data=fields)
        assert written.status_code == 302
        assert letters_in_database() == 1 and parked_ids() == []
        check = pg_journey.get(written.headers["Location"])
        assert check.status_code == 200 and "Written the old way." in text(check)
    finally:
        redis_back()
    assert send(pg_journey, written).status_code == 302
    assert db.session.scalar(select(Letter.status)) == "confirmed"


def test_when_redis_is_down_after_continue_the_supporter_is_asked_to_try_again(pg_journey):
    """A parked draft cannot be read while Redis is down: "try again in a minute" (503), not
    "letter not found", and Send sends nothing; once Redis is back the letter is all there."""
    written = write_letter(pg_journey, personal_paragraph="Still here later.")
    form = post_form(pg_journey.get(written.headers["Location"]))
    redis_down()
    try:
        check = pg_journey.get(written.headers["Location"])
        assert check.status_code == 503 and check.headers["Retry-After"] == "30"
        assert "try again in a minute" in text(check)
        pressed = pg_journey.post(form["action"], data=form["fields"])
        assert pressed.status_code == 503
        assert letters_in_database() == 0
    finally:
        redis_back()
    check = pg_journey.get(written.headers["Location"])
    assert check.status_code == 200 and "Still here later." in text(check)
    assert send(pg_journey, written).status_code == 302
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1


def test_people_export_and_erase_find_parked_drafts(pg_journey, app):
    import json

    written = write_letter(pg_journey, email="parked.person@example.org")
    assert parked_ids() == [public_id_of(written)]
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["people", "export", "Parked.Person@example.org"])
    assert exported.exit_code == 0, exported.output
    assert [x["status"] for x in json.loads(exported.output)["letters"]] == ["draft"]
    erased = runner.invoke(args=["people", "erase", "parked.person@example.org", "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "1 unsent letters deleted" in erased.output
    assert parked_ids() == [] and letters_in_database() == 0
    assert pg_journey.get(written.headers["Location"]).status_code == 404


def test_a_parked_draft_is_not_shown_under_another_campaign(pg_journey):
    from tests.public.conftest import set_campaign

    written = write_letter(pg_journey)
    set_campaign(slug="other-campaign", title="Another campaign")
    other = written.headers["Location"].replace("/test-campaign/", "/other-campaign/")
    assert pg_journey.get(other).status_code == 404
    assert pg_journey.get(written.headers["Location"]).status_code == 200


def test_people_commands_stop_when_redis_cannot_be_reached(pg_journey, app):
    """Without Redis the answer could miss a parked draft: the command says so and changes
    nothing, rather than erase half of what is held."""
    write_letter(pg_journey, email="parked.person@example.org")
    runner = app.test_cli_runner()
    redis_down()
    try:
        for command in (["export"], ["erase", "--yes"]):
            result = runner.invoke(args=["people", *command, "parked.person@example.org"])
            assert result.exit_code == 1
            assert "Redis cannot be reached" in result.output and "nothing was" in result.output
    finally:
        redis_back()
    assert len(parked_ids()) == 1


def test_with_park_drafts_off_continue_writes_to_the_database_and_parked_drafts_still_go(
    pg_journey, request
):
    """PARK_DRAFTS=false (a Redis that may evict keys): new drafts go into the database; a draft
    parked before the change is still shown and sent."""
    parked = write_letter(pg_journey, personal_paragraph="Parked before.")
    request.getfixturevalue("drafts_in_database")
    direct = write_letter(pg_journey, email="two@example.org", personal_paragraph="Written after.")
    assert parked_ids() == [public_id_of(parked)] and letters_in_database() == 1
    assert "Parked before." in text(pg_journey.get(parked.headers["Location"]))
    assert "Written after." in text(pg_journey.get(direct.headers["Location"]))
    for written in (parked, direct):
        assert send(pg_journey, written).status_code == 302
    assert parked_ids() == []
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 2


def test_park_drafts_is_a_setting_on_by_default(tmp_path):
    from action_app.config import Settings

    assert Settings.from_env({}, tmp_path).park_drafts is True
    assert Settings.from_env({"PARK_DRAFTS": "false"}, tmp_path).park_drafts is False


def test_the_parked_letter_reads_as_the_constructor_would_make_it(pg_journey):
    """``parked_drafts.letter`` puts the values straight into the instance: every column reads
    as ``Letter(**values)`` gives it, it is transient, and added to a session it is written
    whole (nothing it holds is lost)."""
    from sqlalchemy import inspect

    written = write_letter(pg_journey, personal_paragraph="Made fast.")
    (public_id,) = parked_ids()
    values = parked_drafts._values(public_id)
    fast = parked_drafts.letter(public_id, values["campaign_id"])
    slow = Letter(**values)
    for column in Letter.__table__.columns:
        assert getattr(fast, column.key) == getattr(slow, column.key), column.key
    assert inspect(fast).transient and list(fast.messages) == [] and fast.parked == values
    assert parked_drafts.letter(public_id, values["campaign_id"] + 1) is None
    db.session.add(fast)
    db.session.commit()
    db.session.expire_all()
    row = db.session.scalar(select(Letter).where(Letter.public_id == public_id))
    for column in Letter.__table__.columns:
        if column.key not in ("id", "created_at", "updated_at"):
            assert getattr(row, column.key) == values.get(column.key, getattr(row, column.key))
    assert written.status_code == 302
