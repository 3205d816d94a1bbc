"""The defences around accounts, each shown failing the attacker: limits, revocation, the second
factor, links that work once, CSRF."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import event, select

from action_app import tasking
from action_app.extensions import db
from action_app.models import AuditEvent, StaffUser
from action_app.services import staff_links
from tests.html import post_form, text
from tests.staff import PASSWORD, create_staff, csrf_token, sign_in
from workers.tasks import send_password_reset_task


def _user(email: str) -> StaffUser:
    db.session.expire_all()
    return db.session.scalars(select(StaffUser).where(StaffUser.email == email)).one()


def test_too_many_failures_lock_the_account_with_a_clear_message(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_SIGN_IN_LIMIT_PER_ACCOUNT", 3)
    create_staff(app, "ed@example.org", "editor")
    for _ in range(3):
        assert sign_in(client, "ed@example.org", "wrong wrong wrong").status_code == 200
    # Now even the right password is refused, from any address, until the window passes.
    other = app.test_client()
    response = sign_in(other, "ed@example.org", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts to sign in. Wait 15 minutes" in text(response)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert other.get("/staff/").status_code == 302


def test_too_many_failures_from_one_address_stop_that_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_SIGN_IN_LIMIT_PER_ADDRESS", 4)
    create_staff(app, "ed@example.org", "editor")
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for n in range(4):
        sign_in(attacker, f"guess{n}@example.org", "wrong wrong wrong")
    assert sign_in(attacker, "ed@example.org", PASSWORD).status_code == 429
    # The real person, elsewhere, is not affected.
    assert sign_in(app.test_client(), "ed@example.org", PASSWORD).status_code == 302


def test_deactivation_ends_the_persons_sessions(app):
    create_staff(app, "admin@example.org", "admin")
    ed = create_staff(app, "ed@example.org", "editor")
    admin, editor = app.test_client(), app.test_client()
    sign_in(admin, "admin@example.org")
    sign_in(editor, "ed@example.org")
    assert editor.get("/staff/").status_code == 200
    page = admin.get(f"/staff/people/{ed.id}")
    form = post_form(page)["fields"]
    response = admin.post(
        f"/staff/people/{ed.id}",
        data={"csrf_token": form["csrf_token"], "role": "editor"},  # is_active unticked
    )
    assert response.status_code == 302
    assert editor.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), "ed@example.org").status_code == 200  # cannot sign in
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff_changed")).one()
    assert event.details == {"changes": ["deactivated"]}


def test_password_change_ends_every_session(app):
    create_staff(app, "ed@example.org", "editor")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, "ed@example.org")
    sign_in(elsewhere, "ed@example.org")
    token = csrf_token(here, "/staff/account/password")
    wrong = here.post(
        "/staff/account/password",
        data={"csrf_token": token, "current": "not it at all", "password": "x" * 20},
    )
    assert "Your current password is not right" in text(wrong)
    short = here.post(
        "/staff/account/password",
        data={"csrf_token": token, "current": PASSWORD, "password": "short"},
    )
    assert "Password must be between 12 and 256 characters" in text(short)
    new = "a completely new passphrase " * 4  # 112 characters: long ones work
    ok = here.post(
        "/staff/account/password",
        data={"csrf_token": token, "current": PASSWORD, "password": new},
    )
    assert ok.status_code == 302
    assert here.get("/staff/").status_code == 302
    assert elsewhere.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), "ed@example.org", new).status_code == 302


def test_totp_enrolment_then_sign_in_with_a_recovery_code_once(app, client):
    create_staff(app, "ed@example.org", "editor")
    sign_in(client, "ed@example.org")
    page = client.get("/staff/account/two-factor")
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    secret = re.search(r'<code class="secret-key">([A-Z2-7]+)</code>', html)[1]
    token = post_form(page)["fields"]["csrf_token"]
    wrong = client.post("/staff/account/two-factor", data={"csrf_token": token, "code": "123456"})
    assert "The code is not right" in text(wrong)
    done = client.post(
        "/staff/account/two-factor",
        data={"csrf_token": token, "code": pyotp.TOTP(secret).now()},
    )
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.get_data(True))
    assert len(codes) == 10
    assert _user("ed@example.org").totp_enabled
    # Shown once: the stored form is a digest.
    assert codes[0] not in str(_user("ed@example.org").recovery_codes)
    for attempt in range(2):
        browser = app.test_client()
        login = post_form(browser.get("/staff/sign-in"))["fields"]["csrf_token"]
        browser.post(
            "/staff/sign-in",
            data={"csrf_token": login, "email": "ed@example.org", "password": PASSWORD},
        )
        token = post_form(browser.get("/staff/sign-in/code"))["fields"]["csrf_token"]
        response = browser.post("/staff/sign-in/code", data={"csrf_token": token, "code": codes[0]})
        if attempt == 0:
            assert response.status_code == 302 and browser.get("/staff/").status_code == 200
        else:
            assert "The code is not right" in text(response)


def test_an_admin_without_a_second_factor_must_set_one_up_first(app, client):
    create_staff(app, "admin@example.org", "admin", totp=False)
    sign_in(client, "admin@example.org")
    response = client.get("/staff/people")
    assert response.status_code == 302
    assert response.location.endswith("/staff/account/two-factor")


def test_invitation_link_works_once(app, client, smtp_server):
    create_staff(app, "admin@example.org", "admin")
    sign_in(client, "admin@example.org")
    token = csrf_token(client, "/staff/people/invite")
    response = client.post(
        "/staff/people/invite",
        data={"csrf_token": token, "email": "New@Example.org", "name": "New", "role": "editor"},
    )
    assert response.status_code == 302
    mail = smtp_server.wait_for(1)[0].message
    assert mail["To"] == "new@example.org"
    link = re.search(r"https://write.example.org(/staff/password/invite/\S+)", mail.get_content())[
        1
    ]
    newcomer = app.test_client()
    page = newcomer.get(link)
    assert page.status_code == 200
    form = post_form(page)["fields"]
    chosen = "my own long passphrase"
    assert (
        newcomer.post(link, data={"csrf_token": form["csrf_token"], "password": chosen}).status_code
        == 302
    )
    assert sign_in(newcomer, "new@example.org", chosen).status_code == 302
    again = app.test_client().get(link)
    assert again.status_code == 400
    assert "This link has already been used" in text(again)


def _queue_tasks(monkeypatch) -> list[tuple[str, tuple]]:
    """Tasks the requests dispatch, kept to be run as a worker would."""
    queued: list[tuple[str, tuple]] = []
    monkeypatch.setattr(tasking, "dispatch", lambda name, *a, **k: queued.append((name, a)) or True)
    return queued


def test_reset_link_expires_and_reset_page_reveals_no_accounts(
    app, client, smtp_server, monkeypatch
):
    """The reset page does the same work for an account's address and anyone else's, so
    neither its answer nor how long it takes tells who has an account: the same statements,
    the same audit entry and the same task; the worker sends the link to accounts only."""
    create_staff(app, "ed@example.org", "editor")
    queued = _queue_tasks(monkeypatch)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()[:3]))

    work = {}
    for email in ("ed@example.org", "nobody@example.org"):
        token = csrf_token(client, "/staff/password-reset")
        statements.clear()
        event.listen(db.engine, "after_cursor_execute", record)
        try:
            response = client.post(
                "/staff/password-reset", data={"csrf_token": token, "email": email}
            )
        finally:
            event.remove(db.engine, "after_cursor_execute", record)
        assert f"If {email} has a staff account" in text(response)
        work[email] = list(statements)
    assert work["ed@example.org"] == work["nobody@example.org"]
    assert smtp_server.to("ed@example.org") == []  # no email is sent in the request
    assert queued == [
        (tasking.SEND_PASSWORD_RESET, ("ed@example.org",)),
        (tasking.SEND_PASSWORD_RESET, ("nobody@example.org",)),
    ]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "password_reset_requested")
    )
    assert sorted(e.subject for e in events) == ["ed@example.org", "nobody@example.org"]
    assert [send_password_reset_task.run(*args) for _, args in queued] == [True, False]
    mails = smtp_server.wait_for(1)
    assert [m.rcpt_tos for m in mails] == [["ed@example.org"]]
    link = re.search(
        r"https://write.example.org(/staff/password/reset/\S+)", mails[0].message.get_content()
    )[1]
    monkeypatch.setitem(staff_links.LIFETIMES, "reset", -1)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "This link has expired" in text(expired)
    tampered = client.get(link[:-3] + "abc")
    assert "This link is not valid" in text(tampered)


def test_a_reset_link_goes_only_to_an_active_account_with_a_password(app, smtp_server):
    create_staff(app, "ed@example.org", "editor")
    create_staff(app, "gone@example.org", "editor")
    with app.app_context():
        gone = db.session.scalars(select(StaffUser).filter_by(email="gone@example.org")).one()
        gone.is_active = False
        db.session.commit()
    assert not send_password_reset_task.run("gone@example.org")
    assert not send_password_reset_task.run("nobody@example.org")
    assert send_password_reset_task.run("ED@Example.org")
    assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["ed@example.org"]]


def test_staff_forms_refuse_a_post_without_the_csrf_token(app, client):
    create_staff(app, "admin@example.org", "admin")
    ed = create_staff(app, "ed@example.org", "editor")
    # Signing in itself needs the token: a login-CSRF attempt fails.
    forged = client.post("/staff/sign-in", data={"email": "ed@example.org", "password": PASSWORD})
    assert forged.status_code == 400
    sign_in(client, "admin@example.org")
    for path, data in [
        (f"/staff/people/{ed.id}", {"role": "admin", "is_active": "y"}),
        ("/staff/people/invite", {"email": "x@example.org", "role": "admin"}),
        (f"/staff/people/{ed.id}/resend", {}),
        ("/staff/account/password", {"current": PASSWORD, "password": "x" * 20}),
        ("/staff/account/two-factor", {"code": "123456"}),
        ("/staff/sign-out", {}),
    ]:
        assert client.post(path, data=data).status_code == 400, path
    assert _user("ed@example.org").role == "editor"
    assert client.get("/staff/").status_code == 200


def test_reset_links_are_limited_per_account(app, client, smtp_server, monkeypatch):
    create_staff(app, "ed@example.org", "editor")
    queued = _queue_tasks(monkeypatch)
    for _ in range(5):
        token = csrf_token(client, "/staff/password-reset")
        client.post("/staff/password-reset", data={"csrf_token": token, "email": "ed@example.org"})
    assert len(queued) == 3
    for _, args in queued:
        send_password_reset_task.run(*args)
    assert len(smtp_server.wait_for(3)) == 3


def test_an_admin_assigns_an_organiser_to_campaigns(app, client):
    from action_app.services.campaigns import import_campaign
    from action_app.staff_access import campaigns_visible_to, can_view_campaign
    from tests.conftest import CAMPAIGN_DOCUMENT

    mine = import_campaign(CAMPAIGN_DOCUMENT, "t").campaign
    other = import_campaign({**CAMPAIGN_DOCUMENT, "slug": "other", "title": "Other"}, "t").campaign
    db.session.commit()
    create_staff(app, "admin@example.org", "admin")
    organiser = create_staff(app, "org@example.org", "organiser")
    sign_in(client, "admin@example.org")
    token = csrf_token(client, f"/staff/people/{organiser.id}")
    response = client.post(
        f"/staff/people/{organiser.id}",
        data={"csrf_token": token, "role": "organiser", "is_active": "y",
              "campaigns": [str(mine.id)]},
    )  # fmt: skip
    assert response.status_code == 302
    user = _user("org@example.org")
    assert [c.slug for c in campaigns_visible_to(user)] == ["test-campaign"]
    assert can_view_campaign(user, mine) and not can_view_campaign(user, other)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "staff_changed")).one()
    assert event.details == {"changes": ["campaigns: test-campaign"]}
    # Changing the role ends their sessions; an admin cannot demote themselves.
    admin = _user("admin@example.org")
    demote = client.post(
        f"/staff/people/{admin.id}",
        data={"csrf_token": token, "role": "editor", "is_active": "y"},
    )
    assert "You cannot remove your own admin role" in text(demote)
    assert _user("admin@example.org").role == "admin"


def test_a_campaign_choice_that_can_name_no_campaign_is_ignored(app, client):
    # "²" passes str.isdigit but not int(); the other is past PostgreSQL's integer: both 500'd.
    create_staff(app, "admin@example.org", "admin")
    organiser = create_staff(app, "org@example.org", "organiser")
    sign_in(client, "admin@example.org")
    token = csrf_token(client, f"/staff/people/{organiser.id}")
    for bad in ("\u00b2", "99999999999999999999"):
        response = client.post(
            f"/staff/people/{organiser.id}",
            data={"csrf_token": token, "role": "organiser", "is_active": "y", "campaigns": [bad]},
            follow_redirects=True,
        )
        assert response.status_code == 200
        assert "Nothing changed." in text(response)
    assert _user("org@example.org").campaigns == []


def test_a_control_character_in_a_staff_form_is_a_message_beside_the_field(
    app, client, live_campaign
):
    """A NUL (PostgreSQL refuses it in text) typed or crafted into a staff form is said beside
    its field, as any mistake is; it never reaches a query, so it is never a 500. The sign-in
    and reset pages are open to anyone."""
    from action_app.models import Member

    create_staff(app, "admin@example.org", "admin")
    nul = "admin\x00@example.org"
    refused = sign_in(client, nul)
    assert refused.status_code == 200
    assert "Remove the control character (U+0000)" in text(refused)
    reset = client.post(
        "/staff/password-reset",
        data={"csrf_token": csrf_token(client, "/staff/password-reset"), "email": nul},
    )
    assert "Remove the control character (U+0000)" in text(reset)

    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    invite = admin.post(
        "/staff/people/invite",
        data={
            "csrf_token": csrf_token(admin, "/staff/people/invite"),
            "email": "new@example.org", "name": "New\x00Person", "role": "editor",
        },
    )  # fmt: skip
    assert "Remove the control character (U+0000)" in text(invite)
    assert db.session.scalar(select(StaffUser).where(StaffUser.email == "new@example.org")) is None

    member = db.session.scalars(select(Member).order_by(Member.id)).first()
    override = admin.post(
        f"/staff/directory/mps/{member.id}",
        data={
            "csrf_token": csrf_token(admin, "/staff/"),
            "email": "office@parliament.uk", "note": "Told by phone\x00",
        },
    )  # fmt: skip
    assert override.status_code == 400
    assert "Remove the control character (U+0000) from why it is overridden" in text(override)
    assert "Told by phone" in text(override)  # what was typed is kept
