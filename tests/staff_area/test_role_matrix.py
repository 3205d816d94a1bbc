"""Every staff route, with every role and with nobody signed in: who gets in, who is refused."""

from __future__ import annotations

import pytest
from flask import url_for

from action_app.extensions import db
from action_app.services.campaigns import import_campaign
from action_app.staff_access import PUBLIC, declared_routes
from tests.conftest import CAMPAIGN_DOCUMENT
from tests.staff import create_staff, csrf_token, sign_in

ADM, ED, ORG = "admin", "editor", "organiser"
MANAGERS = {ADM, ED}
EVERYONE = {ADM, ED, ORG}
# The whole matrix, written out: a route missing here, or allowing other roles, fails the test.
EXPECTED = {
    "staff.sign_in": PUBLIC,
    "staff.sign_in_code": PUBLIC,
    "staff.reset_request": PUBLIC,
    "staff.choose_password": PUBLIC,
    "staff.home": EVERYONE,
    "staff.sign_out": EVERYONE,
    "staff.two_factor": EVERYONE,
    "staff.change_password": EVERYONE,
    "staff.people": {ADM},
    "staff.invite": {ADM},
    "staff.person": {ADM},
    "staff.resend_invite": {ADM},
    "staff.campaigns": MANAGERS,
    "staff.campaign_new": MANAGERS,
    "staff.campaign": MANAGERS,
    "staff.campaign_edit": MANAGERS,
    "staff.campaign_status": MANAGERS,
    "staff.campaign_clone": MANAGERS,
    "staff.campaign_revisions": MANAGERS,
    "staff.campaign_restore": MANAGERS,
    "staff.campaign_export": MANAGERS,
    "staff.campaign_import": MANAGERS,
    "staff.campaign_preview": MANAGERS,
    "staff.campaign_page_preview": MANAGERS,
    "staff.campaign_test_send": MANAGERS,
    "staff.outbox_page": MANAGERS,
    "staff.outbox_retry": MANAGERS,
    "staff.outbox_release": MANAGERS,
    "staff.outbox_reject": MANAGERS,
    "staff.outbox_release_letter": MANAGERS,
    "staff.outbox_reject_letter": MANAGERS,
    "staff.directory": MANAGERS,
    "staff.directory_member": MANAGERS,
    "staff.directory_sync": MANAGERS,
    "staff.directory_sync_progress": MANAGERS,
    "staff.audit_log": {ADM},
}


@pytest.fixture
def people(app):
    campaign = import_campaign(CAMPAIGN_DOCUMENT, "tests").campaign
    db.session.commit()
    return {
        ADM: create_staff(app, "admin@example.org", ADM),
        ED: create_staff(app, "editor@example.org", ED),
        ORG: create_staff(app, "organiser@example.org", ORG, campaigns=[campaign.id]),
        "campaign": campaign,
    }


def _url(app, endpoint: str, people) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    samples = {
        "user_id": people[ED].id,
        "purpose": "reset",
        "token": "not-a-token",
        "slug": people["campaign"].slug,
        "campaign_id": people["campaign"].id,
        "revision_id": 1,
        "member_id": 1,
        "message_id": 1,
        "letter_id": 1,
        "job": "no-such-job",
        # The stats pages (issue 10).
        "name": "nations",
        "key": "E14000001",
        "organisation": "friends",
        "token_id": 1,
    }
    with app.test_request_context():
        return url_for(endpoint, **{name: samples[name] for name in rule.arguments})


def _methods(app, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return "GET" if "GET" in rule.methods else "POST"


def test_every_declared_staff_route_is_in_the_matrix(app):
    declared = {k: v for k, v in declared_routes(app).items() if k.startswith("staff.")}
    expected = {k: (v if v == PUBLIC else frozenset(v)) for k, v in EXPECTED.items()}
    assert declared == expected
    undeclared = [
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/staff") and r.endpoint not in declared
    ]
    assert undeclared == []


@pytest.mark.parametrize("who", [None, ADM, ED, ORG])
def test_the_role_matrix(app, people, who):
    client = app.test_client()
    if who:
        assert sign_in(client, f"{who}@example.org").status_code == 302
    refused, allowed = [], []
    for endpoint, roles in sorted(declared_routes(app).items()):
        if roles == PUBLIC:
            continue
        url = _url(app, endpoint, people)
        method = _methods(app, endpoint)
        if endpoint.endswith("sign_out"):
            continue  # signing out would end the session the rest of the walk needs
        if method == "GET":
            response = client.get(url)
        else:
            token = csrf_token(client, "/staff/sign-in")
            response = client.post(url, data={"csrf_token": token})
        assert response.headers.get("Cache-Control", "").startswith("no-store"), endpoint
        if who is None:
            if response.status_code == 401:
                refused.append(endpoint)
            else:
                assert response.status_code == 302, endpoint
                assert "/staff/sign-in" in response.location, endpoint
                refused.append(endpoint)
        elif response.status_code == 403:
            refused.append(endpoint)
        else:
            assert response.status_code in (200, 302, 400, 404), (endpoint, response.status_code)
            if response.status_code == 302:
                assert "/staff/sign-in" not in response.location, endpoint
            allowed.append(endpoint)
    want_allowed = sorted(
        e
        for e, roles in declared_routes(app).items()
        if roles != PUBLIC and who in roles and not e.endswith("sign_out")
    )
    assert allowed == want_allowed
    for endpoint in refused:
        expected = EXPECTED.get(endpoint)
        if expected is not None:
            assert who not in expected, endpoint


def test_public_staff_pages_open_to_anyone_and_never_cached(app, client):
    for path in ("/staff/sign-in", "/staff/password-reset"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Cache-Control"].startswith("no-store")


def test_every_staff_form_refuses_a_post_without_its_csrf_token(app, people):
    client = app.test_client()
    sign_in(client, "admin@example.org")
    posted = []
    for endpoint in sorted(declared_routes(app)):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if "POST" not in rule.methods:
            continue
        response = client.post(_url(app, endpoint, people), data={"status": "closed"})
        assert response.status_code == 400, endpoint
        posted.append(endpoint)
    assert "staff.campaign_status" in posted and "staff.sign_in" in posted
    assert client.get("/staff/").status_code == 200  # still signed in: sign-out was refused too
    assert db.session.get(type(people["campaign"]), people["campaign"].id).status == "live"
