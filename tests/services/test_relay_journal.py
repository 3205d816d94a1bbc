"""The relay's journal (services/relay_journal.py) against the run's real Redis."""

from __future__ import annotations

import redis

from action_app.services.relay_journal import SendJournal, send_journal


def test_two_deployments_on_one_redis_never_read_each_others_journal(app, redis_url):
    """Message ids are only unique within one database: staging's message 7, just handed to
    its mail server, must not make production record its own message 7 as sent unsent."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    production, staging = SendJournal(client, "action_app"), SendJournal(client, "staging")
    assert staging.record(7)
    assert staging.holds([7, 8]) == {7}
    assert production.holds([7, 8]) == frozenset()
    production.forget([7])  # forgetting its own 7 leaves staging's alone
    assert staging.holds([7]) == {7}
    staging.forget([7])
    assert staging.holds([7]) == frozenset()


def test_the_apps_journal_is_its_own_queues(app):
    with app.app_context():
        journal = send_journal()
    assert journal is not None
    assert journal.prefix == f"relay:sent:v1:{app.config['SETTINGS'].celery_queue}:"
