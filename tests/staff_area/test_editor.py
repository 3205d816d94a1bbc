"""The campaign editor: create → preview → publish → public page → edit → diff → restore."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import AuditEvent, Campaign
from action_app.services.campaigns import export_campaign
from tests.conftest import CAMPAIGN_DOCUMENT, prepare_journey
from tests.html import forms, text
from tests.staff import create_staff, csrf_token, sign_in

NEW = {
    "title": "Keep the night buses",
    "slug": "night-buses",
    "status": "draft",
    "summary": "Ask your MP to save them.",
    "intro_markdown": "Night buses **matter**.\n\n<script>alert(1)</script> [bad](javascript:x)",
    "debate_at": "2026-12-10T14:30",
    "closes_at": "",
    "target_type": "constituency_mp",
    "subject_template": "Night buses in {{ constituency.name }}",
    "body_template": (
        "Dear {{ mp.address_as }},\n\nPlease keep the night buses.\n\n"
        "{{ supporter.personal_paragraph }}\n\nYours sincerely,\n{{ supporter.name }}"
    ),
    "personal_prompt": "Why do they matter to you?",
    "body_editable": "y",
    "thank_you_text": "Thank you.",
    "share_text": "Write too.",
    "organisations": "friends | Friends of the Buses | Email me news. | https://example.org/p",
}


@pytest.fixture
def editor(app, client):
    prepare_journey(app)
    create_staff(app, "ed@example.org", "editor")
    sign_in(client, "ed@example.org")
    return client


def _post(client, path, fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/"), **fields})


def test_editor_round_trip(app, editor):
    created = _post(editor, "/staff/campaigns/new", NEW)
    assert created.status_code == 302, text(created)
    campaign = db.session.scalars(select(Campaign).where(Campaign.slug == "night-buses")).one()
    assert campaign.organisations[0]["name"] == "Friends of the Buses"
    assert campaign.target == {"type": "constituency_mp", "nations": []}
    # A draft is not public.
    assert editor.get("/c/night-buses").status_code == 404
    # Preview: find an MP, see their exact email.
    search = editor.get("/staff/campaigns/night-buses/preview?q=a")
    link = next(a for a in _links(search) if "member=" in a)
    preview = editor.get(link)
    body = text(preview)
    # Exactly the subject the supporter will see and send, with no words added (issue 13).
    assert "Subject Night buses in" in body
    assert "Sam Sample" in body and "Please keep the night buses." in body
    page = editor.get("/staff/campaigns/night-buses/page-preview")
    assert "Keep the night buses" in text(page)
    assert "<script>alert(1)</script>" not in page.get_data(as_text=True)
    assert 'href="javascript' not in page.get_data(as_text=True)
    # Publish.
    assert (
        _post(editor, "/staff/campaigns/night-buses/status", {"status": "live"}).status_code == 302
    )
    public = app.test_client().get("/c/night-buses")
    assert public.status_code == 200 and "Find your MP" in text(public)
    # Edit: the form comes back filled in; change the summary.
    form = _form(editor.get("/staff/campaigns/night-buses/edit"), "/edit")
    assert form["title"] == NEW["title"]
    assert form["body_template"] == NEW["body_template"]
    assert form["debate_at"] == NEW["debate_at"]
    assert form["organisations"] == NEW["organisations"]
    form["status"] = "live"  # a <select>, which the test's form reader does not read
    form["summary"] = "Ask your MP to save them, tonight."
    form["nations"] = ["England"]
    saved = editor.post("/staff/campaigns/night-buses/edit", data=form)
    assert saved.status_code == 302, text(saved)
    history = editor.get("/staff/campaigns/night-buses/revisions")
    html = history.get_data(as_text=True)
    assert "Removed: </span>Ask your MP to save them." in html
    assert "Added: </span>Ask your MP to save them, tonight." in html
    # Restore the first revision: the summary comes back, as a new revision.
    first = min(r.id for r in campaign.revisions)
    restored = _post(editor, f"/staff/campaigns/night-buses/revisions/{first}/restore", {})
    assert restored.status_code == 302
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.summary == "Ask your MP to save them."
    assert campaign.status == "draft"  # as it was after the first revision
    assert len(campaign.revisions) == 4
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-4:] == ["campaign_saved", "campaign_status", "campaign_saved",
                            "campaign_restored"]  # fmt: skip


def _form(response, action_end: str) -> dict:
    return next(f for f in forms(response) if (f["action"] or "").endswith(action_end))["fields"]


def _links(response) -> list[str]:
    import re
    from html import unescape

    return [unescape(h) for h in re.findall(r'href="([^"]+)"', response.get_data(as_text=True))]


def test_bad_templates_are_refused_with_lines_and_what_was_typed_is_kept(app, editor):
    bad = {
        **NEW,
        "body_template": "Dear {{ mp.address_as }},\n\nHello\n{{ mp.salary }}\n",
        "subject_template": "{% for x in y %}{% endfor %}",
        "slug": "Not A Slug",
    }
    response = _post(editor, "/staff/campaigns/new", bad)
    assert response.status_code == 400
    page = text(response)
    assert "line 4: unknown placeholder mp.salary" in page
    assert "line 1: a loop is not allowed in a letter" in page
    assert "use lower-case letters, digits and hyphens" in page
    fields = _form(response, "/new")
    assert fields["body_template"] == bad["body_template"]
    assert fields["slug"] == "Not A Slug"
    assert db.session.scalars(select(Campaign)).all() != []  # only the journey's campaign
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "not-a-slug")) is None


def _error_beside(response, name: str) -> str:
    """The problem shown beside one input (its error line), or "" when there is none."""
    import re
    from html import unescape

    found = re.search(rf'<p id="{name}-error" class="error-message">(.*?)</p>', response.text, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))) if found else ""


EDITED = {**NEW, "summary": "MY OWN WORDS in the summary", "alternative_subject": "Thanks",
          "alternative_body": "Dear {{ mp.address_as }}, thank you."}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        # "²" passes str.isdigit but not int(); the other is past PostgreSQL's integer.
        ({"exclude": "4514 \u00b2"}, "exclude", "must be a list of MPs' Members API ids"),
        ({"exclude": "99999999999999999999"}, "exclude", "must be a list of MPs' Members API ids"),
        # PostgreSQL's text refuses NUL; the autoflush of the half-saved campaign failed.
        ({"summary": "MY OWN WORDS\x00 in the summary"}, "summary", "control character (U+0000)"),
        ({"body_template": NEW["body_template"] + "\x00"}, "body_template", "(U+0000)"),
        # A zone that moves the time past the year 9999: OverflowError, not ValueError.
        ({"debate_at": "9999-12-31T23:59-05:00"}, "debate_at", "outside the dates that can be"),
        ({"debate_at": "0001-01-01T00:00+05:00"}, "debate_at", "outside the dates that can be"),
    ],
)
@pytest.mark.parametrize("path", ["/staff/campaigns/new", "/staff/campaigns/test-campaign/edit"])
def test_a_value_the_database_cannot_hold_is_shown_beside_its_field_and_nothing_is_lost(
    app, editor, path, change, field, problem
):
    typed = {**EDITED, **change}
    response = _post(editor, path, typed)
    assert response.status_code == 400
    assert problem in _error_beside(response, field)
    fields = _form(response, path[-4:])
    assert "MY OWN WORDS" in fields["summary"]
    assert fields["body_template"].startswith(NEW["body_template"])
    assert fields[field].replace("\x00", "") == typed[field].replace("\x00", "")
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "night-buses")) is None
    assert "MY OWN WORDS" not in (db.session.scalars(select(Campaign.summary)).one())


def test_a_sandbox_escape_is_refused(app, editor):
    escape = {**NEW, "body_template": "{{ mp.name.__class__.__mro__[1].__subclasses__() }}"}
    response = _post(editor, "/staff/campaigns/new", escape)
    assert response.status_code == 400
    assert "line 1:" in text(response)
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "night-buses")) is None


def test_json_export_and_import_are_the_same_format(app, editor):
    exported = editor.get("/staff/campaigns/test-campaign/export.json")
    document = json.loads(exported.get_data(as_text=True))
    campaign = db.session.scalars(select(Campaign).where(Campaign.slug == "test-campaign")).one()
    assert document == export_campaign(campaign)
    document["slug"] = "imported-copy"
    document["title"] = "Imported copy"
    response = _post(editor, "/staff/campaigns/import", {"document": json.dumps(document)})
    assert response.status_code == 302
    copy = db.session.scalars(select(Campaign).where(Campaign.slug == "imported-copy")).one()
    assert {
        **export_campaign(copy),
        "slug": "test-campaign",
        "title": CAMPAIGN_DOCUMENT["title"],
    } == {**export_campaign(campaign)}
    broken = _post(editor, "/staff/campaigns/import", {"document": '{"slug": "x"'})
    assert broken.status_code == 400 and "This is not a JSON document" in text(broken)


def test_clone_makes_a_draft_copy(app, editor):
    response = _post(editor, "/staff/campaigns/test-campaign/clone", {"slug": "test-campaign-2"})
    assert response.status_code == 302
    copy = db.session.scalars(select(Campaign).where(Campaign.slug == "test-campaign-2")).one()
    assert (copy.status, copy.title) == ("draft", "Copy of Save the test library")
    again = _post(editor, "/staff/campaigns/test-campaign/clone", {"slug": "test-campaign-2"})
    assert again.status_code == 400 and "already used" in text(again)
    nul = _post(editor, "/staff/campaigns/test-campaign/clone", {"slug": "copy\x00"})
    assert nul.status_code == 400 and "control character (U+0000)" in text(nul)


def test_an_expired_form_token_on_the_editor_keeps_everything_typed(app, editor, monkeypatch):
    # The token lasts 6 hours and a staff session 12: the global "page timed out" page used to
    # answer, and everything typed was lost.
    typed = _form(editor.get("/staff/campaigns/test-campaign/edit"), "/edit")
    typed.update(status="live", summary="MY OWN WORDS, typed all afternoon")
    typed["body_template"] += "\n\nA PARAGRAPH I WROTE"
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 1)
    time.sleep(2.1)
    expired = editor.post("/staff/campaigns/test-campaign/edit", data=typed)
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 6 * 3600)
    assert expired.status_code == 400
    assert "Nothing you typed has been lost: check it and press Save again" in text(expired)
    kept = _form(expired, "/edit")
    assert kept["summary"] == typed["summary"]
    assert kept["body_template"].replace("\r\n", "\n") == typed["body_template"]
    assert kept["csrf_token"] != typed["csrf_token"]
    db.session.expire_all()
    saved = db.session.scalars(select(Campaign).where(Campaign.slug == "test-campaign")).one()
    assert saved.summary != typed["summary"]  # nothing was saved with the expired token
    kept["status"] = "live"
    again = editor.post("/staff/campaigns/test-campaign/edit", data=kept)
    assert again.status_code == 302, text(again)
    db.session.expire_all()
    assert db.session.get(Campaign, saved.id).summary == typed["summary"]


def test_an_expired_form_token_on_a_new_campaign_or_an_import_keeps_what_was_typed(
    app, editor, monkeypatch
):
    new_token = csrf_token(editor, "/staff/campaigns/new")
    document = json.dumps({**CAMPAIGN_DOCUMENT, "slug": "pasted-in"}, indent=2)
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 1)
    time.sleep(2.1)
    new = editor.post("/staff/campaigns/new", data={**NEW, "csrf_token": new_token})
    pasted = editor.post(
        "/staff/campaigns/import", data={"document": document, "csrf_token": new_token}
    )
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 6 * 3600)
    assert new.status_code == 400
    assert "press Save again" in text(new)
    assert _form(new, "/new")["body_template"].replace("\r\n", "\n") == NEW["body_template"]
    assert pasted.status_code == 400
    assert "press Import again" in text(pasted)
    assert json.loads(_textarea(pasted, "document")) == json.loads(document)
    assert (
        db.session.scalar(select(Campaign).where(Campaign.slug.in_(["night-buses", "pasted-in"])))
        is None
    )


def _textarea(response, name: str) -> str:
    import re
    from html import unescape

    found = re.search(rf'<textarea[^>]* name="{name}"[^>]*>(.*?)</textarea>', response.text, re.S)
    return unescape(found.group(1))


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_missing_or_forged_token_on_the_editor_is_refused_not_shown_again(editor, token):
    """Only this session's own token, merely expired, brings the form back as typed: anything
    else is the usual refusal, so another site cannot fill a staff form in for the editor."""
    typed = _form(editor.get("/staff/campaigns/test-campaign/edit"), "/edit")
    typed.update(summary="WORDS FROM SOMEWHERE ELSE")
    if token is None:
        del typed["csrf_token"]
    else:
        typed["csrf_token"] = token
    refused = editor.post("/staff/campaigns/test-campaign/edit", data=typed)
    assert refused.status_code == 400
    assert "WORDS FROM SOMEWHERE ELSE" not in refused.text
    assert "Nothing you typed has been lost" not in text(refused)


def test_a_template_that_fails_for_one_sitting_mp_is_refused_naming_them(app, editor):
    """A branch on one MP's name that no sample takes is tried on every MP in the directory
    when it is saved: refused beside the field, naming whom it fails for, everything kept."""
    branch = "\n{% if mp.name == 'Rachel Blake' %}{{ supporter.postcode < 5 }}{% endif %}"
    bad = {**NEW, "body_template": NEW["body_template"] + branch}
    response = _post(editor, "/staff/campaigns/new", bad)
    assert response.status_code == 400
    beside = _error_beside(response, "body_template")
    assert "cannot be rendered" in beside
    assert beside.endswith("for Rachel Blake (Cities of London and Westminster)")
    assert _form(response, "/new")["body_template"] == bad["body_template"]
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "night-buses")) is None
    # Another MP's name, not in the directory: nothing to fail for, so it saves
    fine = {**NEW, "body_template": NEW["body_template"] + branch.replace("Rachel", "Nobody")}
    assert _post(editor, "/staff/campaigns/new", fine).status_code == 302


def test_staff_pages_show_times_in_uk_time_as_words(app, editor):
    """The campaigns list and a campaign's revisions give each time as a person reads it, in UK
    time, never as a raw timestamp ('2026-11-30 21:36:18.330221+00:00')."""
    import re

    from action_app.formatting import uk_datetime
    from action_app.services.campaigns import in_uk_time

    campaign = db.session.scalars(select(Campaign).where(Campaign.slug == "test-campaign")).one()
    expected = uk_datetime(in_uk_time(campaign.updated_at))
    for page in ("/staff/campaigns", "/staff/campaigns/test-campaign/revisions"):
        words = text(editor.get(page))
        assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", words), page
        assert re.search(r"(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d+ \w+ 20\d\d at ", words)
    assert expected in text(editor.get("/staff/campaigns"))
