"""The SQL helpers of the busiest paths, against both databases."""

from __future__ import annotations

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
    statement = insert_unless_exists(
        connection.dialect.name, _TABLE, ("token",), "id", **options
    )
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
