"""The SQL helpers of the busiest paths, against both databases."""

from __future__ import annotations

import pytest
import sqlalchemy.exc
from sqlalchemy import Column, Integer, MetaData, String, Table, text

from action_app.extensions import db
from action_app.sql import insert_unless_exists

_TABLE = Table(
    "sql_helper_rows",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("token", String(16), unique=True),
)


def _insert(connection, token: str, **options):
    statement = insert_unless_exists(connection.dialect.name, _TABLE, ("token",), "id", **options)
    return connection.execute(statement, {"token": token}).first()


def test_an_insert_that_need_not_wait_for_the_disk_says_so_for_its_own_transaction_only(
    any_app,
):
    with any_app.app_context():
        _TABLE.create(db.engine)
        try:
            with db.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                waits = _insert(connection, "a")
                quick = _insert(connection, "b", wait_for_disk=False)
                again = _insert(connection, "b", wait_for_disk=False)  # the same row: nothing
                setting = (
                    connection.scalar(text("SHOW synchronous_commit"))
                    if connection.dialect.name == "postgresql"
                    else None
                )
                rows = connection.execute(text("SELECT token FROM sql_helper_rows")).all()
        finally:
            _TABLE.drop(db.engine)
    assert waits is not None and len(waits) == 1  # the id, and nothing else
    assert again is None and sorted(r.token for r in rows) == ["a", "b"]
    if any_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert quick.commit_mode == "off"  # that transaction's commit did not wait
        assert setting == "on"  # and the connection's next one will
    else:
        assert len(quick) == 1  # SQLite has no such setting: the same INSERT


def test_a_draft_saved_after_the_caller_began_a_transaction_commits_it_first(
    app, fake_members, drafts_in_database
):
    """``commit_alone``: a transaction the caller began (a stale cache's read, or a write) is
    committed first, waiting for the disk as it always did, as the request would have committed
    it with the draft; then the draft's INSERT is the whole of its own transaction, and only
    that INSERT skips waiting for the disk."""
    from sqlalchemy import select, update

    from action_app.models import Campaign, Letter
    from action_app.services.campaign_cache import campaign_snapshot
    from tests.conftest import prepare_journey
    from tests.drafts import letter_writes, recipients, write_draft

    campaign = campaign_snapshot(prepare_journey(app))
    recipient = recipients(campaign)[0]
    with letter_writes() as seen:
        db.session.commit()
        write_draft(campaign, recipient, "alone-token-0001", commit_alone=True)  # nothing begun
        db.session.scalar(select(Campaign.id))  # a read began a transaction
        write_draft(campaign, recipient, "after-read-token-0001", commit_alone=True)
        assert not db.session().in_transaction()
        db.session.execute(  # a write began one
            update(Letter).where(Letter.form_token == "alone-token-0001").values(town="Rhyl")
        )
        write_draft(campaign, recipient, "after-write-token-0001", commit_alone=True)
        assert not db.session().in_transaction()
    assert [(verb, status, asks, mode) for verb, status, asks, mode, _ in seen] == [
        ("INSERT", "IDLE", True, "on"),
        ("INSERT", "IDLE", True, "on"),
        ("UPDATE", "INTRANS", False, "on"),  # its commit waits for the disk
        ("INSERT", "IDLE", True, "on"),
    ]
    db.session.expire_all()
    town = select(Letter.town).where(Letter.form_token == "alone-token-0001")
    assert db.session.scalar(town) == "Rhyl"  # the caller's write was committed


def test_run_alone_on_the_driver_gives_the_connection_back_as_the_session_expects(app):
    """The INSERT commits as it runs, and the pooled connection goes back out of autocommit: the
    session's next transaction on it is a transaction (a rollback undoes it)."""
    from action_app.sql import run_alone

    with app.app_context():
        _TABLE.create(db.engine)
        try:
            db.engine.dispose()  # one connection in the pool: the one run_alone used
            row = run_alone(db.engine, insert_unless_exists("postgresql", _TABLE, ("token",), "id"),
                            {"token": "kept"})  # fmt: skip
            assert row.id == 1 and row._fields == ("id",)
            pooled = db.engine.raw_connection()
            assert pooled.driver_connection.autocommit is False
            pooled.close()
            db.session.execute(_TABLE.insert(), {"token": "undone"})
            db.session.rollback()
            tokens = db.session.execute(text("SELECT token FROM sql_helper_rows")).scalars()
            assert list(tokens) == ["kept"]
        finally:
            db.session.remove()
            _TABLE.drop(db.engine)


def test_run_alone_raises_the_errors_sqlalchemy_would(app):
    """A driver error comes out as SQLAlchemy's (what the error pages and callers catch),
    without the values, and the connection is fine for the next statement."""
    from action_app.sql import run_alone

    with app.app_context():
        _TABLE.create(db.engine)
        try:
            statement = insert_unless_exists("postgresql", _TABLE, ("token",), "id")
            with pytest.raises(sqlalchemy.exc.DataError) as raised:
                run_alone(db.engine, statement, {"token": "x" * 17})  # too long for the column
            assert "x" * 17 not in str(raised.value)  # what was typed stays out of the logs
            assert run_alone(db.engine, statement, {"token": "fits"}).id is not None
        finally:
            _TABLE.drop(db.engine)


def test_run_alone_with_the_database_down_raises_sqlalchemys_operational_error():
    """What the "try again in a moment" page is given (web.DATABASE_UNAVAILABLE), not a bare
    driver error, which would be a 500."""
    from sqlalchemy import create_engine

    from action_app.sql import run_alone

    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    statement = insert_unless_exists("postgresql", _TABLE, ("token",), "id")
    with pytest.raises(sqlalchemy.exc.OperationalError):
        run_alone(engine, statement, {"token": "t"})


def test_run_in_transaction_writes_in_the_sessions_transaction(any_app):
    """Rows (one or many) and an UPDATE's RETURNING, on either database: the session's commit
    keeps them, its rollback undoes them, and a unique violation is SQLAlchemy's
    IntegrityError, after which a rollback leaves the session working."""
    from sqlalchemy import bindparam, update

    from action_app.sql import run_in_transaction

    insert = _TABLE.insert()
    rename = (
        update(_TABLE)
        .where(_TABLE.c.token == bindparam("old"))
        .values(token=bindparam("new"))
        .returning(_TABLE.c.id)
    )
    with any_app.app_context():
        _TABLE.create(db.engine)
        try:
            assert run_in_transaction(db.session, insert, [{"token": "a"}, {"token": "b"}]) is None
            db.session.commit()
            assert run_in_transaction(db.session, insert, {"token": "c"}) is None
            moved = run_in_transaction(db.session, rename, {"old": "a", "new": "z"})
            assert moved.id == 1
            assert run_in_transaction(db.session, rename, {"old": "nothing", "new": "y"}) is None
            db.session.rollback()  # "c" and the rename go
            with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
                run_in_transaction(db.session, insert, {"token": "b"})
            assert "'b'" not in str(raised.value)  # the values stay out of the message
            db.session.rollback()
            run_in_transaction(db.session, insert, {"token": "d"})
            db.session.commit()
            tokens = db.session.execute(text("SELECT token FROM sql_helper_rows ORDER BY id"))
            assert list(tokens.scalars()) == ["a", "b", "d"]
        finally:
            db.session.remove()
            _TABLE.drop(db.engine)
