"""The stats API: per-organiser tokens that admins issue and revoke, answers that match the
OpenAPI document the app serves."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from tests.fakes import EXAMPLE_POSTCODES
from tests.html import forms, post_form, text
from tests.staff import sign_in
from tests.stats.helpers import deliver_all, write_and_send


@pytest.fixture
def admin(app, staff):
    client = app.test_client()
    sign_in(client, "admin@example.org")
    return client


def issue(admin, staff, who="organiser", label="CRM sync"):
    page = admin.get("/stats/tokens")
    form = post_form(page)
    fields = {**form["fields"], "staff_user_id": str(staff[who].id), "label": label}
    response = admin.post(form["action"], data=fields)
    assert response.status_code == 200
    return re.search(r'value="(mpstats_[^"]+)"', response.get_data(as_text=True))[1], response


def _validate(app, name: str, instance: dict) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)


def test_the_openapi_document_is_valid_and_describes_every_api_route(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    described = {"/api/v1" + re.sub(r"\{(\w+)\}", r"<\1>", p) for p in document["paths"]}
    assert routes - {"/api/v1/openapi.json"} == described


def test_a_token_is_shown_once_stored_hashed_and_answers_with_the_documented_shape(
    app, admin, staff
):
    write_and_send(app, EXAMPLE_POSTCODES["england"], "ann@example.com", opt_ins=("friends",))
    deliver_all()
    token, page = issue(admin, staff)
    assert "will not be shown again" in text(page)
    listing = admin.get("/stats/tokens").get_data(as_text=True)
    assert token not in listing and token[:12] in listing
    from action_app.models import ApiToken

    stored = ApiToken.query.one()
    assert token not in (stored.token_hash, stored.prefix) and len(stored.token_hash) == 64

    response = app.test_client().get(
        "/api/v1/campaigns/test-campaign/stats", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    body = response.get_json()
    _validate(app, "Stats", body)
    assert body["headline"]["sent"] == 1 and body["opt_ins"][0]["supporters"] == 1
    assert "ann@example.com" not in response.get_data(as_text=True)
    count = app.test_client().get("/api/v1/campaigns/test-campaign/count").get_json()
    _validate(app, "Count", count)


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer nonsense", "Basic YWRtaW46YWRtaW4=", "Bearer mpstats_" + "x" * 43],
)
def test_no_token_or_a_wrong_one_gets_401(app, campaign, header):
    headers = {"Authorization": header} if header else {}
    response = app.test_client().get("/api/v1/campaigns/test-campaign/stats", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _validate(app, "Error", response.get_json())


def test_a_revoked_token_gets_401(app, admin, staff):
    token, _ = issue(admin, staff)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/v1/campaigns/test-campaign/stats", headers=headers).status_code == 200
    listing = admin.get("/stats/tokens")
    revoke = next(f for f in _forms(listing) if "/revoke" in f["action"])
    assert admin.post(revoke["action"], data=revoke["fields"]).status_code == 302
    response = app.test_client().get("/api/v1/campaigns/test-campaign/stats", headers=headers)
    assert response.status_code == 401
    assert "Revoked" in text(admin.get("/stats/tokens"))


def test_a_token_sees_only_its_organisers_campaigns(app, admin, staff):
    token, _ = issue(admin, staff, who="outsider")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    assert client.get("/api/v1/campaigns/test-campaign/stats", headers=headers).status_code == 404
    assert client.get("/api/v1/campaigns/other/stats", headers=headers).status_code == 200
    assert client.get("/api/v1/campaigns/nowhere/stats", headers=headers).status_code == 404


def test_only_admins_issue_tokens_and_a_label_is_required(app, admin, staff):
    page = admin.get("/stats/tokens")
    form = post_form(page)
    missing = admin.post(form["action"], data={**form["fields"], "label": ""})
    assert missing.status_code == 400 and "Say what the token is for" in text(missing)
    nul = admin.post(form["action"], data={**form["fields"], "label": "CRM\x00sync"})
    assert nul.status_code == 400 and "Remove the control character (U+0000)" in text(nul)
    organiser = app.test_client()
    sign_in(organiser, "org@example.org")
    assert organiser.get("/stats/tokens").status_code == 403


def _forms(response):
    return forms(response)
