"""The staff forms where something is typed keep it when their form token has only expired (the
token lasts 6 hours, a staff session 12), as the campaign editor does: the invitation and the
MP directory's address override. Any other bad token is still refused, showing nothing back."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import Member, StaffUser
from tests.conftest import prepare_journey
from tests.html import forms, text
from tests.staff import create_staff, sign_in


@pytest.fixture
def admin(app, client):
    prepare_journey(app)
    create_staff(app, "admin@example.org", "admin")
    sign_in(client, "admin@example.org")
    return client


def _form(response, action_ends: str) -> dict:
    found = next(f for f in forms(response) if (f["action"] or "").endswith(action_ends))
    return dict(found["fields"])


def _expire_tokens(app, monkeypatch) -> None:
    """Every token handed out so far is now past its time (but still this session's)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 1)
    time.sleep(2.1)


def test_an_expired_invitation_keeps_what_was_typed_and_sends_nothing(app, admin, monkeypatch):
    typed = _form(admin.get("/staff/people/invite"), "/invite")
    typed.update(email="new.colleague@example.org", name="New Colleague", role="editor")
    _expire_tokens(app, monkeypatch)
    expired = admin.post("/staff/people/invite", data=typed)
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 6 * 3600)
    assert expired.status_code == 400
    assert "Nothing you typed has been lost: check it and press Send invitation again" in text(
        expired
    )
    kept = _form(expired, "/invite")
    assert (kept["email"], kept["name"]) == ("new.colleague@example.org", "New Colleague")
    assert kept["csrf_token"] != typed["csrf_token"]
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == typed["email"])) is None
    again = admin.post("/staff/people/invite", data={**kept, "role": "editor"})
    assert again.status_code == 302, text(again)
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == typed["email"]))


def test_an_expired_address_override_keeps_the_address_and_the_note(app, admin, monkeypatch):
    member = db.session.scalars(select(Member).order_by(Member.id)).first()
    page = f"/staff/directory/mps/{member.id}"
    typed = _form(admin.get(page), page)
    typed.update(email="their.office@parliament.example", note="Their office wrote on Monday")
    _expire_tokens(app, monkeypatch)
    expired = admin.post(page, data=typed)
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 6 * 3600)
    assert expired.status_code == 400
    assert "press Save again" in text(expired)
    kept = _form(expired, page)
    assert kept["email"] == typed["email"]
    assert "Their office wrote on Monday" in expired.text
    db.session.expire_all()
    assert db.session.get(Member, member.id).email_override is None  # nothing was saved
    again = admin.post(page, data={**kept, "note": typed["note"]})
    assert again.status_code == 302, text(again)
    db.session.expire_all()
    assert db.session.get(Member, member.id).email_override == typed["email"]


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_missing_or_forged_token_is_refused_and_shows_nothing_back(app, admin, token):
    member = db.session.scalars(select(Member).order_by(Member.id)).first()
    for path, words in (
        ("/staff/people/invite", {"email": "WORDS.FROM@ELSEWHERE.example", "name": "X"}),
        (f"/staff/directory/mps/{member.id}", {"email": "", "note": "WORDS FROM ELSEWHERE"}),
    ):
        data = dict(words) if token is None else {**words, "csrf_token": token}
        refused = admin.post(path, data=data)
        assert refused.status_code == 400
        assert "ELSEWHERE" not in refused.text.upper()
        assert "Nothing you typed has been lost" not in text(refused)
