"""Letters written through the service layer (the web path minus the HTML), for the tests of
sending, pacing and the relay."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from action_app.services.letters import Recipient, recipient_for, render_letter
from action_app.services.lookup import list_seats
from action_app.services.submissions import LetterInput, save_draft


def recipients(campaign) -> list[Recipient]:
    """The campaign's recipient for each seat whose MP publishes an email address."""
    return [recipient_for(campaign, s) for s in list_seats() if s.member and s.member.email]


def write_draft(
    campaign,
    recipient: Recipient,
    form_token: str,
    *,
    name: str = "Sam",
    email: str = "sam@example.org",
    source: str | None = None,
    **options,
) -> str:
    """A draft of the letter as the letter page offers it, from a supporter at 1 Road, Town,
    SW1A 1AA; its public id. ``options`` go to ``save_draft``."""
    parts = render_letter(campaign, recipient)
    typed = LetterInput(
        name=name, email=email, address_line_1="1 Road", town="Town",
        subject=parts.subject, body_before=parts.before, body_after=parts.after,
    )  # fmt: skip
    return save_draft(
        campaign, recipient, postcode="SW1A 1AA", source=source, form_token=form_token,
        letter=typed, **options,
    )  # fmt: skip


@contextmanager
def after_each_statement(note) -> Iterator[None]:
    """``note(cursor, query)`` after every statement the PostgreSQL driver runs by ``execute``
    inside the block, however it got there (the ORM session, SQLAlchemy Core, or
    ``action_app.sql`` on the driver itself)."""
    import psycopg

    original = psycopg.Cursor.execute

    def execute(cursor, query, params=None, **options):
        result = original(cursor, query, params, **options)
        note(cursor, query)
        return result

    psycopg.Cursor.execute = execute
    try:
        yield
    finally:
        psycopg.Cursor.execute = original


@contextmanager
def statements_run() -> Iterator[list[tuple[str, str]]]:
    """Each statement run inside the block (``after_each_statement``), its words on one line,
    with the connection's transaction status just after it: IDLE after a statement run outside
    a transaction (autocommit), INTRANS inside one."""
    seen: list[tuple[str, str]] = []

    def note(cursor, query):
        text = query if isinstance(query, str) else bytes(query).decode()
        seen.append((" ".join(text.split()), cursor.connection.info.transaction_status.name))

    with after_each_statement(note):
        yield seen


@contextmanager
def letter_writes(
    starts: tuple[str, ...] = ("INSERT INTO letters", "UPDATE letters"),
) -> Iterator[list[tuple[str, str, bool, str, bool]]]:
    """Every statement starting with one of ``starts`` (by default, every INSERT or UPDATE of
    ``letters``) run inside the block (``after_each_statement``), with the connection's state
    just after it: the verb, the transaction status, whether it asked not to wait for the disk,
    what a commit on that connection would do now, and whether the ORM session had a
    transaction."""
    from action_app.extensions import db

    seen: list[tuple[str, str, bool, str, bool]] = []

    def note(cursor, query):
        if isinstance(query, str) and query.startswith(starts):
            status = cursor.connection.info.transaction_status.name
            mode = cursor.connection.execute("SHOW synchronous_commit").fetchone()[0]
            asks_not_to_wait = "set_config('synchronous_commit', 'off', true)" in query
            in_session = db.session().in_transaction()
            seen.append((query.split()[0], status, asks_not_to_wait, mode, in_session))

    with after_each_statement(note):
        yield seen


def write_parked_drafts() -> int:
    """Write every draft parked in Redis (``parked_drafts``) into the database, as Send does
    before it sends one, and commit: for tests that read what Continue stored with SQL. How many
    there were."""
    import json

    from action_app.extensions import db
    from action_app.kv import RedisStore, get_store
    from action_app.services import parked_drafts

    store = get_store()
    if not isinstance(store, RedisStore):
        return 0
    written = 0
    for key in store.client.scan_iter(parked_drafts.DRAFT_PREFIX + "*"):
        row = store.client.get(key)
        if row is not None:
            public_id = key.removeprefix(parked_drafts.DRAFT_PREFIX)
            parked_drafts.materialize(public_id, json.loads(row)["campaign_id"])
            written += 1
    db.session.commit()
    return written


def redis_writes(monkeypatch) -> list[bytes]:
    """Each write to Redis from now on, as bytes: one per round trip (``kv.command`` and
    ``kv.pipelined`` each write once, a pipeline's commands together)."""
    import redis

    writes: list[bytes] = []
    real = redis.connection.AbstractConnection.send_packed_command

    def counted(connection, command, check_health=True):
        writes.append(b"".join(command) if isinstance(command, list) else command)
        return real(connection, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    return writes
