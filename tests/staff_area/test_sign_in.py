"""Signing in: passwords, the second factor, limits, sessions ending, links that work once."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from action_app.extensions import db
from action_app.models import AuditEvent, StaffUser
from tests.html import post_form, text
from tests.staff import PASSWORD, create_staff, sign_in, totp_code


def test_editor_signs_in_and_out(app, client):
    create_staff(app, "Ed@Example.org", "editor")
    response = sign_in(client, "ed@example.org")
    assert response.status_code == 302
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "Signed in as ed@example.org (editor)" in text(home)
    assert home.headers["Cache-Control"].startswith("no-store")
    token = post_form(home)["fields"]["csrf_token"]
    assert client.post("/staff/sign-out", data={"csrf_token": token}).status_code == 302
    assert client.get("/staff/").status_code == 302
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["sign_in", "sign_out"]


def test_wrong_password_is_refused_and_logged(app, client):
    create_staff(app, "ed@example.org", "editor")
    response = sign_in(client, "ed@example.org", "not the right password")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in text(response)
    assert 'value="ed@example.org"' in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject) == ("sign_in_failed", "ed@example.org")


def test_admin_signs_in_with_a_code_and_each_code_works_once(app, client):
    create_staff(app, "admin@example.org", "admin")
    page = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in",
        data={
            "csrf_token": post_form(page)["fields"]["csrf_token"],
            "email": "admin@example.org",
            "password": PASSWORD,
        },
    )
    assert response.location.endswith("/staff/sign-in/code")
    assert client.get("/staff/").status_code == 302  # not signed in before the code
    code_page = client.get("/staff/sign-in/code")
    token = post_form(code_page)["fields"]["csrf_token"]
    wrong = client.post("/staff/sign-in/code", data={"csrf_token": token, "code": "000000"})
    assert "The code is not right" in text(wrong)
    code = totp_code(app, "admin@example.org")
    ok = client.post("/staff/sign-in/code", data={"csrf_token": token, "code": code})
    assert ok.status_code == 302
    assert client.get("/staff/people").status_code == 200
    # The same code cannot sign in a second browser.
    other = app.test_client()
    page = other.get("/staff/sign-in")
    other.post(
        "/staff/sign-in",
        data={
            "csrf_token": post_form(page)["fields"]["csrf_token"],
            "email": "admin@example.org",
            "password": PASSWORD,
        },
    )
    token = post_form(other.get("/staff/sign-in/code"))["fields"]["csrf_token"]
    again = other.post("/staff/sign-in/code", data={"csrf_token": token, "code": code})
    assert "The code is not right" in text(again)


def test_sign_out_ends_every_session_of_that_person(app):
    create_staff(app, "ed@example.org", "editor")
    first, second = app.test_client(), app.test_client()
    sign_in(first, "ed@example.org")
    sign_in(second, "ed@example.org")
    assert second.get("/staff/").status_code == 200
    token = post_form(first.get("/staff/"))["fields"]["csrf_token"]
    first.post("/staff/sign-out", data={"csrf_token": token})
    assert second.get("/staff/").status_code == 302


def test_totp_user_in_db_has_secret(app):
    user = create_staff(app, "admin@example.org", "admin")
    assert pyotp.TOTP(user.totp_secret).now()
    stored = db.session.scalars(select(StaffUser)).one()
    assert stored.password_hash.startswith("$argon2id$")


def test_signing_in_starts_a_new_session(app, client):
    create_staff(app, "ed@example.org", "editor")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"  # a session fixed before sign-in
    sign_in(client, "ed@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"] and session["_user_id"].startswith(
            str(db.session.scalars(select(StaffUser)).one().id) + ":"
        )


def test_an_anonymous_json_request_gets_401_not_a_redirect(app, client):
    response = client.get("/staff/campaigns", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "Sign in first."}
    assert response.headers["Cache-Control"].startswith("no-store")


def test_a_public_page_stays_shareable_and_a_staff_page_is_never_cached(app, client):
    from tests.conftest import prepare_journey

    prepare_journey(app)
    public = client.get("/c/test-campaign")
    assert public.headers["Cache-Control"].startswith("public")
    assert "Vary" not in public.headers
    create_staff(app, "ed@example.org", "editor")
    sign_in(client, "ed@example.org")
    first = client.get("/staff/campaigns")
    assert first.headers["Cache-Control"].startswith("no-store")
    # Signed out, the same address is never answered from the shared cache.
    anonymous = app.test_client().get("/staff/campaigns")
    assert anonymous.status_code == 302


def test_a_sign_in_lasts_a_working_day_at_most(app, client, monkeypatch):
    create_staff(app, "ed@example.org", "editor")
    sign_in(client, "ed@example.org")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] -= 13 * 3600
    assert client.get("/staff/").status_code == 302


def test_every_refused_sign_in_costs_one_full_password_check(app, client, monkeypatch):
    """An unknown address, a disabled account and an invitation not yet taken up take as long as
    a wrong password for a real account: one argon2 check with the same parameters each, run to
    the end (a mismatch, not a malformed hash refused at once). Otherwise how fast the page
    answers tells an attacker which addresses have accounts."""
    import argon2
    from argon2.exceptions import VerifyMismatchError

    from action_app.services import staff_auth

    create_staff(app, "ed@example.org", "editor")
    create_staff(app, "gone@example.org", "editor")
    create_staff(app, "invited@example.org", "editor", password=None)  # not yet taken up
    with app.app_context():
        db.session.execute(
            StaffUser.__table__.update()
            .where(StaffUser.email == "gone@example.org")
            .values(is_active=False)
        )
        db.session.commit()
    checks: list[tuple[argon2.Parameters, type]] = []

    class RecordingHasher(argon2.PasswordHasher):
        def verify(self, hash, password):
            try:
                return super().verify(hash, password)
            except Exception as exc:
                checks.append((argon2.extract_parameters(hash), type(exc)))
                raise

    monkeypatch.setattr(staff_auth, "_hasher", RecordingHasher())
    ours = argon2.extract_parameters(staff_auth.hash_password("any password at all"))
    for email in (
        "ed@example.org",
        "nobody@example.org",
        "gone@example.org",
        "invited@example.org",
    ):
        checks.clear()
        response = sign_in(client, email, "not the right password")
        assert "Enter a correct email address and password" in text(response), email
        assert checks == [(ours, VerifyMismatchError)], email
    # The account itself still signs in.
    assert sign_in(client, "ed@example.org").status_code == 302


def test_starting_a_process_does_not_hash_a_password():
    """Importing the staff sign-in module holds no argon2 memory: a hash made at import cost
    every web and worker process 64 MiB of peak memory (the bench's memory row)."""
    import subprocess
    import sys

    script = (
        "import argon2, email_validator, flask, sqlalchemy\n"
        "import action_app.extensions, action_app.models, action_app.services.audit\n"
        "def peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1])\n"
        "before = peak()\n"
        "import action_app.services.staff_auth\n"
        "print(peak() - before)\n"
    )
    grown_kib = int(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
    )
    assert grown_kib < 16 * 1024
