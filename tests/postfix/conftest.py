"""A private Debian Postfix (STARTTLS + AUTH, catch-all Maildir) for the whole module, and an app
in production mode (PostgreSQL, Redis) that sends through it with MAIL_CA_FILE."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import _clean, build_app, dispose
from tests.postfix.server import DOVECOT, POSTFIX, PROJECT_ROOT, PostfixRelay


def _ensure_installed() -> None:
    """The test command installs them (scripts/install-mail-deps); a bare pytest run does too."""
    if shutil.which(POSTFIX) and shutil.which(DOVECOT):
        return
    script = PROJECT_ROOT / "scripts" / "install-mail-deps"
    subprocess.run([str(script)], check=True, timeout=900)


@pytest.fixture(scope="session")
def postfix_relay() -> Iterator[PostfixRelay]:
    _ensure_installed()
    relay = PostfixRelay()
    try:
        yield relay.start()
    finally:
        relay.close()


@pytest.fixture(scope="session")
def postfix_pg_app(
    pg_url, redis_url, fake_postcodes, fake_members, postfix_relay, tmp_path_factory
):
    app = build_app(
        tmp_path_factory.mktemp("postfix-instance"),
        DATABASE_URL=pg_url,
        REDIS_URL=redis_url,
        POSTCODES_IO_URL=fake_postcodes.url,
        PARLIAMENT_MEMBERS_API_URL=fake_members.url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(postfix_relay.port),
        MAIL_USE_TLS="true",
        MAIL_CA_FILE=str(postfix_relay.ca_file),
        MAIL_USERNAME=postfix_relay.username,
        MAIL_PASSWORD=postfix_relay.password,
        MAIL_RELAY_RETRY_SECONDS="2",
        SEND_RETRY_BASE_SECONDS="0.5",
        SMTP_TIMEOUT_SECONDS="5",
    )
    yield app
    dispose(app)


@pytest.fixture
def postfix_app(postfix_pg_app, postfix_relay):
    postfix_relay.clear()
    yield from _clean(postfix_pg_app)
