"""Shared fixtures: a throwaway PostgreSQL database, Redis, the fakes, and apps on both engines.

Every test starts from a known state: tables emptied, the test Redis database flushed, in-process
caches cleared and the fakes' switches reset.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from action_app import create_app
from action_app.extensions import db
from action_app.registry import registry_of
from action_app.schema import upgrade
from tests.fakes import FakeMembersAPI, FakePostcodesIO, default_dataset
from tests.redis_server import ThrowawayRedis
from tests.smtp import SmtpServer
from tests.translations import compile_catalogues

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# Unset: each run starts a redis-server of its own, so no other process sees its keys or tasks.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
# Each run has its own Celery queue, so a worker of another run never takes this run's tasks.
TEST_CELERY_QUEUE = f"action_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"

CAMPAIGN_DOCUMENT = {
    "slug": "test-campaign",
    "title": "Save the test library",
    "status": "live",
    "summary": "Ask your MP to save it.",
    "intro": "Libraries **matter**.\n\n<script>alert('x')</script>",
    "debate_at": "2026-12-10T14:30:00",
    "target": {"type": "constituency_mp"},
    "subject_template": "A constituent in {{ constituency.name }} on the library",
    "body_template": (
        "Dear {{ mp.address_as }},\n\nPlease save the library.\n\n"
        "{{ supporter.personal_paragraph }}\n\nYours sincerely,\n{{ supporter.name }}"
    ),
    "personal_prompt": "Why does the library matter to you?",
    "body_editable": True,
    "organisations": [
        {"slug": "friends", "name": "Friends of the Library", "statement": "Email me news."}
    ],
}


RELAXED_LIMITS = {
    name: "100000 per minute"
    for name in (
        "RATE_LIMIT_PER_ADDRESS",
        "RATE_LIMIT_PER_EMAIL",
        "RATE_LIMIT_PER_POSTCODE",
        "RATE_LIMIT_PER_MP",
    )
}


def _server_available(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of its own for this test run, dropped at the end."""
    if not _server_available(PG_ADMIN_URL):
        pytest.fail(f"PostgreSQL is not answering at {PG_ADMIN_URL}; run scripts/ensure-services")
    name = f"action_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """This run's own Redis: a private redis-server, or TEST_REDIS_URL when given."""
    if TEST_REDIS_URL:
        client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2)
        try:
            client.ping()
        except redis.RedisError:
            pytest.fail(f"Redis is not answering at {TEST_REDIS_URL}")
        finally:
            client.close()
        yield TEST_REDIS_URL
        return
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed; run scripts/ensure-services")
    server = ThrowawayRedis(tmp_path_factory.mktemp("redis")).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def fake_postcodes() -> Iterator[FakePostcodesIO]:
    with FakePostcodesIO() as server:
        yield server


@pytest.fixture(scope="session")
def fake_members() -> Iterator[FakeMembersAPI]:
    with FakeMembersAPI() as server:
        yield server


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production: tests hold one open for the
    database, and Flask would otherwise share it (and ``g``) between requests and clients."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def build_app(instance: Path, **overrides: str) -> Flask:
    """An app for tests, its schema made by the real migrations."""
    env = {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key",
        "PUBLIC_BASE_URL": "https://write.example.org",
        "MAIL_FROM_ADDRESS": "action@write.example.org",
        "HTTP_TIMEOUT_READ": "2",
        "CELERY_QUEUE": TEST_CELERY_QUEUE,
        # Tests press Continue at once and write many letters from one address: the bot timer
        # and the rate limits are off here, and on in the tests of those defences.
        "BOT_MIN_SECONDS": "0",
        **RELAXED_LIMITS,
        **overrides,
    }
    app = create_app(env)
    app.config["TESTING"] = True
    app.config["TEST_ENV"] = env  # so a worker process can be started with the same settings
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback; production-mode apps send to it."""
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
def pg_app(pg_url, redis_url, fake_postcodes, fake_members, smtp_server, tmp_path_factory) -> Flask:
    """Production mode: PostgreSQL, Redis and SMTP."""
    app = build_app(
        tmp_path_factory.mktemp("pg-instance"),
        DATABASE_URL=pg_url,
        REDIS_URL=redis_url,
        POSTCODES_IO_URL=fake_postcodes.url,
        PARLIAMENT_MEMBERS_API_URL=fake_members.url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_server.port),
    )
    yield app
    dispose(app)


@pytest.fixture(scope="session")
def sqlite_app(fake_postcodes, fake_members, tmp_path_factory) -> Flask:
    """Embedded mode: SQLite file, database cache, no Redis."""
    app = build_app(
        tmp_path_factory.mktemp("sqlite-instance"),
        POSTCODES_IO_URL=fake_postcodes.url,
        PARLIAMENT_MEMBERS_API_URL=fake_members.url,
    )
    yield app
    dispose(app)


def dispose(app: Flask) -> None:
    """Close pooled connections and clients so nothing is left open at the end of the run."""
    with app.app_context():
        db.engine.dispose()
    registry_of(app).close()


@pytest.fixture
def app(pg_app) -> Iterator[Flask]:
    """The default app for a test: production mode."""
    yield from _clean(pg_app)


@pytest.fixture(params=["postgresql", "sqlite"])
def any_app(request) -> Iterator[Flask]:
    """The test runs once in production mode and once in embedded mode."""
    yield from _clean(
        request.getfixturevalue("pg_app" if request.param == "postgresql" else "sqlite_app")
    )


def _clean(app: Flask) -> Iterator[Flask]:
    _reset(app)
    with app.app_context():
        yield app
        db.session.remove()
    registry_of(app).mail_transport.close()


def _reset(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f"DELETE FROM {table}"))
    settings = app.config["SETTINGS"]
    if settings.redis_url:
        redis.Redis.from_url(settings.redis_url).flushdb()
    registry_of(app).clear_caches()
    registry_of(app).mail_transport.close()
    if settings.mail.outbox_dir.exists():
        shutil.rmtree(settings.mail.outbox_dir)


@pytest.fixture(autouse=True)
def _reset_fakes(request) -> Iterator[None]:
    if "smtp_server" in request.fixturenames:
        request.getfixturevalue("smtp_server").clear()
    yield
    for name in ("fake_postcodes", "fake_members"):
        if name in request.fixturenames:
            server = request.getfixturevalue(name)
            server.heal()
            server.latency = 0
            server.come_back()
            server.reset_stats()
            if getattr(server, "dataset_changed", False):
                server.dataset = default_dataset()
                server.dataset_changed = False


@pytest.fixture
def every_count_shown(monkeypatch) -> None:
    """Figures as counted, nothing withheld however few letters (stats/disclosure.py): for
    tests of the counting itself, with a handful of letters. Tests of what organisers see keep
    the real threshold."""
    from action_app.stats import disclosure

    monkeypatch.setattr(disclosure, "SMALLEST_GROUP", 1)


@pytest.fixture
def drafts_in_database(app) -> Iterator[None]:
    """Continue writes a new draft into the database (``PARK_DRAFTS=false``; as when Redis
    cannot take it): for the tests of that path."""
    from dataclasses import replace

    registry = registry_of(app)
    before = registry.settings
    registry.settings = app.config["SETTINGS"] = replace(before, park_drafts=False)
    yield
    registry.settings = app.config["SETTINGS"] = before


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def members_dataset(fake_members):
    """The fake Members API's data, to change in a test (restored afterwards)."""
    fake_members.dataset_changed = True
    return fake_members.dataset


def sync_directory(app: Flask) -> None:
    """The MP directory synced from the fake Members API, as the daily sync does (committed)."""
    from action_app.services.members_sync import sync_members

    client = registry_of(app).members_api()
    try:
        sync_members(client)
    finally:
        client.close()
    db.session.commit()


def prepare_journey(app: Flask, **campaign_changes):
    """The directory synced from the fake Members API and the test campaign live (committed)."""
    from action_app.services.campaigns import import_campaign

    sync_directory(app)
    campaign = import_campaign({**CAMPAIGN_DOCUMENT, **campaign_changes}, "tests").campaign
    db.session.commit()
    return campaign


def pytest_sessionstart(session) -> None:
    """The Welsh catalogue is compiled from the project's own .po file before any test runs
    (once: by the main process when pytest-xdist runs the tests in several)."""
    if not hasattr(session.config, "workerinput"):
        compile_catalogues()


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures the fault, fuzz and delivery tests print, gathered at the end: with
    pytest-xdist a test's own output is otherwise never shown."""
    printed = [
        (report.nodeid, content.strip())
        for report in terminalreporter.stats.get("passed", [])
        for name, content in report.sections
        if name == "Captured stdout call" and content.strip()
    ]
    if printed:
        terminalreporter.section("figures printed by the tests")
        for nodeid, content in printed:
            terminalreporter.write_line(f"{nodeid}\n    " + content.replace("\n", "\n    "))
