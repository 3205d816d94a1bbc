"""HTTPS deployments: HSTS on every answer and Secure cookies, also behind a TLS-terminating
proxy; client addresses believed only from the configured number of proxies."""

from __future__ import annotations

import pytest
from flask import request

from tests.conftest import build_app, dispose, prepare_journey
from tests.journey import open_letter

HSTS = "Strict-Transport-Security"


def test_https_deployment_sends_hsts_even_when_the_proxy_spoke_plain_http(app, client):
    # The test client speaks plain http, as a TLS-terminating proxy does to the app.
    prepare_journey(app)
    for path in ("/c/test-campaign", "/privacy", "/no-such-page"):
        response = client.get(path, base_url="http://write.example.org")
        assert response.headers[HSTS].startswith("max-age=31536000"), path


def test_https_deployment_marks_the_session_cookie_secure(app, client):
    prepare_journey(app)
    page = open_letter(client)
    cookie = page.headers["Set-Cookie"]
    assert "session=" in cookie
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.fixture
def plain_http_app(tmp_path, fake_postcodes, fake_members):
    app = build_app(
        tmp_path,
        PUBLIC_BASE_URL="http://localhost:5000",
        POSTCODES_IO_URL=fake_postcodes.url,
        PARLIAMENT_MEMBERS_API_URL=fake_members.url,
    )
    yield app
    dispose(app)


def test_plain_http_deployment_sends_no_hsts_and_no_secure_cookie(plain_http_app):
    client = plain_http_app.test_client()
    with plain_http_app.app_context():
        prepare_journey(plain_http_app)
    assert HSTS not in client.get("/c/test-campaign").headers
    page = open_letter(client)
    assert "Secure" not in page.headers["Set-Cookie"]


def _app_reporting_client_address(tmp_path, fake_postcodes, fake_members, **env):
    app = build_app(
        tmp_path,
        POSTCODES_IO_URL=fake_postcodes.url,
        PARLIAMENT_MEMBERS_API_URL=fake_members.url,
        **env,
    )

    @app.get("/_test/whoami")
    def whoami():
        return {"addr": request.remote_addr, "scheme": request.scheme}

    return app


FORGED = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"}


def test_one_trusted_proxy_gives_the_address_it_saw(tmp_path, fake_postcodes, fake_members):
    app = _app_reporting_client_address(
        tmp_path, fake_postcodes, fake_members, TRUSTED_PROXY_HOPS="1"
    )
    try:
        answer = app.test_client().get("/_test/whoami", headers=FORGED).get_json()
        # The proxy appended the address it saw; the forged one to its left is ignored.
        assert answer == {"addr": "203.0.113.9", "scheme": "https"}
    finally:
        dispose(app)


def test_without_trusted_proxies_forwarded_headers_are_ignored(
    tmp_path, fake_postcodes, fake_members
):
    app = _app_reporting_client_address(tmp_path, fake_postcodes, fake_members)
    try:
        answer = app.test_client().get("/_test/whoami", headers=FORGED).get_json()
        assert answer == {"addr": "127.0.0.1", "scheme": "http"}
    finally:
        dispose(app)


def test_bad_trusted_proxy_hops_is_refused(tmp_path):
    from action_app.config import ConfigError, Settings

    with pytest.raises(ConfigError, match="TRUSTED_PROXY_HOPS"):
        Settings.from_env({"TRUSTED_PROXY_HOPS": "two"}, tmp_path)
