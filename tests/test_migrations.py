"""The migrations: down to nothing and back up, keeping letters through the renames, and a
database that refuses a status the code does not know."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from action_app.extensions import db
from action_app.registry import registry_of
from action_app.schema import downgrade, upgrade
from tests.conftest import PG_ADMIN_URL, build_app

APP_TABLES = {
    "cache_entries", "campaigns", "campaign_revisions", "constituencies", "members",
    "directory_updates", "letters", "outbound_messages", "participation_counts",
    "member_photos",
    # Staff accounts (issue 9).
    "staff_users", "staff_campaign_access", "staff_audit_events",
    # Organisers' figures (issue 10).
    "stats_counters", "reply_checks", "opt_in_records", "api_tokens",
}  # fmt: skip


@pytest.fixture
def pg_scratch_app(tmp_path) -> Iterator:
    """An app on a PostgreSQL database of this test's own, migrated to the head."""
    name = f"action_migrations_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    app = build_app(tmp_path / "instance", DATABASE_URL=f"{base}/{name}")
    yield app
    with app.app_context():
        db.engine.dispose()
    registry_of(app).close()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_scratch_app(tmp_path) -> Iterator:
    app = build_app(tmp_path / "instance")
    yield app
    with app.app_context():
        db.engine.dispose()
    registry_of(app).close()


@pytest.fixture(params=["postgresql", "sqlite"])
def scratch_app(request):
    return request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_scratch_app"
    )


def tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def schema_differences() -> list:
    """What autogenerate would change to make the database match the models."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"render_as_batch": True})
        return compare_metadata(context, db.metadata)


def add_letter() -> None:
    """A campaign, a sent letter and its message, written as rows (any schema version)."""
    db.session.execute(
        text(
            "INSERT INTO campaigns (id, slug, title, status, summary, intro_markdown, target, "
            "subject_template, body_template, personal_prompt, body_editable, "
            "require_confirmation, thank_you_text, share_text, organisations, created_at, "
            "updated_at) VALUES (1, 'c', 'C', 'live', '', '', '{}', 's', 'b', '', false, false, "
            "'', '', '[]', '2026-11-30', '2026-11-30')"
        )
    )
    db.session.execute(
        text(
            "INSERT INTO letters (id, public_id, form_token, campaign_id, status, recipient_key, "
            "recipient_name, recipient_email, supporter_name, supporter_email, email_key, "
            "address_line_1, address_line_2, town, postcode, subject, body_before, "
            "personal_paragraph, body_after, opt_ins, created_at, updated_at) VALUES (1, 'p', "
            "'f', 1, 'confirmed', 'member:1', 'MP', 'mp@example.org', 'Sam', 'sam@example.org', "
            "'sam@example.org', '1 Road', '', 'Town', 'SW1A 1AA', 'S', 'B', '', '', '[]', "
            "'2026-11-30', '2026-11-30')"
        )
    )
    db.session.execute(
        text(
            "INSERT INTO outbound_messages (id, letter_id, kind, status, attempts, "
            "next_attempt_at, created_at) VALUES (1, 1, 'mp', 'sent', 1, '2026-11-30', "
            "'2026-11-30')"
        )
    )
    db.session.commit()


def test_down_to_nothing_and_back_up_on_postgresql(pg_scratch_app):
    with pg_scratch_app.app_context():
        assert tables() == APP_TABLES
        assert schema_differences() == []
        downgrade(revision="base")
        assert tables() == set()
        upgrade()
        assert tables() == APP_TABLES
        assert schema_differences() == []  # names, indexes and CHECKs as the models declare


def test_down_to_nothing_and_back_up_on_sqlite(sqlite_scratch_app):
    with sqlite_scratch_app.app_context():
        downgrade(revision="base")
        assert tables() == set()
        upgrade()
        assert tables() == APP_TABLES


def test_the_rename_keeps_every_letter_and_message(scratch_app):
    with scratch_app.app_context():
        add_letter()
        downgrade(revision="0002")
        assert "actions" in tables() and "letters" not in tables()
        row = db.session.execute(
            text(
                "SELECT a.public_id, m.kind FROM actions a "
                "JOIN outbound_messages m ON m.action_id = a.id"
            )
        ).one()
        assert tuple(row) == ("p", "mp")
        db.session.commit()
        upgrade()
        row = db.session.execute(
            text(
                "SELECT l.public_id, m.kind FROM letters l "
                "JOIN outbound_messages m ON m.letter_id = l.id"
            )
        ).one()
        assert tuple(row) == ("p", "mp")
        db.session.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE letters SET status = 'sent'",
        "UPDATE outbound_messages SET status = 'queued'",
        "UPDATE outbound_messages SET kind = 'sms'",
        "UPDATE campaigns SET status = 'archived'",
        "UPDATE letters SET sent_by = 'carrier_pigeon'",
        "UPDATE letters SET language = 'fr'",
        "INSERT INTO outbound_messages (letter_id, kind, status, attempts, next_attempt_at, "
        "created_at) VALUES (1, 'postcard', 'pending', 0, '2026-11-30', '2026-11-30')",
    ],
)
def test_the_database_refuses_a_status_or_kind_the_code_does_not_know(scratch_app, statement):
    with scratch_app.app_context():
        add_letter()
        with pytest.raises(IntegrityError):
            db.session.execute(text(statement))
        db.session.rollback()
        assert db.session.execute(text("SELECT status FROM letters")).scalar() == "confirmed"
