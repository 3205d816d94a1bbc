"""A connection the database closes under a request (a restart, a failover) is discarded when
the request ends, not turned into an error after the answer was already made."""

from __future__ import annotations

import psycopg
from sqlalchemy import text

from action_app.extensions import db


def test_a_connection_closed_under_a_request_is_discarded_not_raised(app, pg_url, caplog):
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    # Leaving the context rolled back a dead connection: it was dropped, with a warning.
    assert "closed under us" in caplog.text
    with app.app_context():  # and the pool hands out a working one next time
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
