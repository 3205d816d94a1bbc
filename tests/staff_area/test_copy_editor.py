"""The editor's door to the copy recipient (target "also"): its two fields, their checks with
what was typed kept, the preview of both emails, the JSON export, and a test send of both."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Campaign, Letter, Member, OutboundMessage
from tests.conftest import prepare_journey
from tests.html import text
from tests.staff import create_staff, csrf_token, sign_in
from tests.staff_area.test_editor import NEW, _form
from workers.tasks import send_letter_task

MINISTER = {"also_name": "Minister for Buses", "also_email": "minister@dft.example.gov.uk"}


@pytest.fixture
def editor(app, client):
    prepare_journey(app)
    create_staff(app, "ed@example.org", "editor")
    sign_in(client, "ed@example.org")
    return client


def _post(client, path, fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/staff/"), **fields})


@pytest.mark.parametrize(
    ("also", "problem"),
    [
        ({"also_name": "=?utf-8?b?TWluaXN0ZXI=?=", "also_email": "m@example.org"}, "=?"),
        ({"also_name": "Minister\u202e", "also_email": "m@example.org"}, "direction"),
        ({"also_name": "", "also_email": "m@example.org"}, "also needs a name"),
        ({"also_name": "Minister", "also_email": "minister at dft"}, "not an email address"),
    ],
)
def test_a_bad_copy_recipient_is_shown_beside_the_recipient_and_kept(editor, also, problem):
    response = _post(editor, "/staff/campaigns/new", {**NEW, **also})
    assert response.status_code == 400
    assert problem in text(response)
    fields = _form(response, "/new")
    assert (fields["also_name"], fields["also_email"]) == (also["also_name"], also["also_email"])
    assert db.session.scalar(select(Campaign).where(Campaign.slug == "night-buses")) is None


def test_the_copy_recipient_is_saved_previewed_exported_and_test_sent(app, editor, smtp_server):
    created = _post(editor, "/staff/campaigns/new", {**NEW, **MINISTER})
    assert created.status_code == 302
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "night-buses"))
    also = {"name": "Minister for Buses", "email": "minister@dft.example.gov.uk"}
    assert campaign.target["also"] == also
    assert "a copy of each letter to Minister for Buses" in text(
        editor.get("/staff/campaigns/night-buses")
    )
    exported = json.loads(editor.get("/staff/campaigns/night-buses/export.json").get_data())
    assert exported["target"]["also"] == also
    edit = _form(editor.get("/staff/campaigns/night-buses/edit"), "/edit")
    assert (edit["also_name"], edit["also_email"]) == (also["name"], also["email"])

    member = db.session.scalars(
        select(Member).where(Member.is_current, Member.email.is_not(None)).order_by(Member.id)
    ).first()
    preview = text(editor.get(f"/staff/campaigns/night-buses/preview?member={member.id}"))
    assert "The copy to Minister for Buses" in preview
    assert f"This is a copy of my letter to my MP, {member.display_name}." in preview

    _post(editor, "/staff/campaigns/night-buses/test-send", {"member": str(member.id)})
    send_letter_task.run(db.session.scalar(select(Letter.id)))
    mail = smtp_server.wait_for(2)
    assert [m.rcpt_tos for m in mail] == [["ed@example.org"], ["ed@example.org"]]
    assert all(m.message["Subject"].startswith("[TEST] ") for m in mail)
    assert "This is a copy of my letter" in mail[1].message.get_content()
    db.session.expire_all()
    kinds = db.session.execute(select(OutboundMessage.kind, OutboundMessage.status)).all()
    assert sorted(map(tuple, kinds)) == [("copy", "sent"), ("mp", "sent")]  # no receipt
