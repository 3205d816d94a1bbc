"""Celery wiring, and the one helper through which the web side enqueues work by task name.

``action_app`` never imports ``workers``: tasks are sent by their stable names, so there is no
import cycle and the web process does not load task code.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

import redis
from celery import Celery, Task
from flask import Flask

from action_app.config import Settings
from action_app.kv import RedisStore, command
from action_app.registry import current_registry, registry_of

log = logging.getLogger(__name__)

# Stable task names, shared by the dispatchers here and the definitions in workers/tasks.py.
# The send task's name predates the word "letter": kept, so tasks queued before an upgrade run.
SEND_LETTER = "action_app.send_action"
RELAY_OUTBOX = "action_app.relay_outbox"
SWEEP_OUTBOX = "action_app.sweep_outbox"
SYNC_MEMBERS = "action_app.sync_members"
SYNC_PHOTOS = "action_app.sync_photos"
HOUSEKEEPING = "action_app.housekeeping"
ASK_ABOUT_REPLIES = "action_app.ask_about_replies"
SCRUB_PERSONAL_DATA = "action_app.scrub_personal_data"
SEND_PASSWORD_RESET = "action_app.send_password_reset"


def celery_init_app(app: Flask, settings: Settings) -> Celery:
    """A Celery app whose tasks run inside the Flask app's context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.conf.update(_celery_settings(settings))
    celery.set_default()
    registry_of(app).celery = celery
    return celery


def _celery_settings(settings: Settings) -> dict:
    # Acknowledge late and prefetch one, so a worker that dies mid-task loses nothing; the hard
    # time limit stays well under the broker's visibility timeout, so a slow task is never
    # handed to a second worker while the first is still on it. The database is the source of
    # truth either way: the sweep re-sends anything left pending.
    visibility_timeout = 3600
    conf = {
        "broker_url": settings.broker_url,
        "task_ignore_result": True,
        "result_backend": None,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": 300,
        "task_soft_time_limit": 240,
        "broker_transport_options": {
            "visibility_timeout": visibility_timeout,
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            # Publishing gives up after one quick retry when Redis is down, so a supporter's
            # request is not held for seconds: the letter is safe in the database already.
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.2,
        },
        "broker_connection_retry_on_startup": True,
        "task_default_queue": settings.celery_queue,
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
        "beat_schedule": {
            "sweep-outbox": {
                "task": SWEEP_OUTBOX,
                "schedule": timedelta(seconds=settings.sweep_interval_seconds),
                # A sweep that waited longer than the next one is worthless: drop it.
                "options": {"expires": settings.sweep_interval_seconds},
            },
            "housekeeping": {"task": HOUSEKEEPING, "schedule": timedelta(hours=1)},
            "ask-about-replies": {"task": ASK_ABOUT_REPLIES, "schedule": timedelta(minutes=10)},
            "sync-members": {"task": SYNC_MEMBERS, "schedule": timedelta(hours=24)},
            "scrub-personal-data": {"task": SCRUB_PERSONAL_DATA, "schedule": timedelta(hours=1)},
        },
    }
    if settings.embedded:
        # kombu's SQLAlchemy transport: a broker in a SQLite file, no server to run. It hands
        # its transport options to create_engine, so it takes none of the Redis ones.
        conf["broker_transport_options"] = {}
    return conf


def _celery() -> Celery:
    celery = current_registry().celery
    if celery is None:
        raise RuntimeError("celery_init_app has not run for this app")
    return celery


def queue_length() -> int | None:
    """Tasks waiting in the broker's queue, where the broker can say (Redis); else None."""
    celery = _celery()
    if not celery.conf.broker_url.startswith("redis"):
        return None
    try:
        with celery.connection_for_write() as connection:
            return connection.default_channel.client.llen(celery.conf.task_default_queue)
    except Exception as exc:
        log.warning("Could not read the queue length: %s", exc)
        return None


def dispatch(task_name: str, *args, **kwargs) -> bool:
    """Enqueue a task by name after the caller has committed. A broker that is down is logged,
    not raised: the work is already safe in the database and the sweep will send it."""
    celery = _celery()
    try:
        celery.send_task(task_name, args=args, kwargs=kwargs, retry=False)
    except Exception as exc:  # kombu raises a variety of connection errors
        log.warning("Could not enqueue %s (the sweep will pick it up): %s", task_name, exc)
        return False
    return True


# A relay nudge is pending: set (NX) by whoever sends one, cleared by the relay that takes it.
# Short-lived, so a nudge lost with the broker costs seconds; the sweep guarantees the rest.
NUDGE_TTL_SECONDS = 10
_NOT_SENT = object()  # nudge_relay: the caller has not sent the flag's command


def _nudge_key() -> str:
    return f"relay:nudge:v1:{current_registry().settings.celery_queue}"


def _nudge_client() -> redis.Redis | None:
    store = current_registry().store
    return store.client if isinstance(store, RedisStore) else None


def nudges_are_flagged() -> bool:
    """Whether a pending nudge is flagged in Redis (so letters send few tasks); else each
    letter sends one (embedded mode)."""
    return _nudge_client() is not None


def nudge_relay(flag: object = _NOT_SENT) -> bool:
    """Tell the relay there is work (after the caller has committed). When a nudge is already
    pending this is one Redis ``SET NX`` (``nudge_flag``) and no task at all: the relay that
    takes the pending one will find this work too, as it clears the flag before it claims.
    ``flag``: that command's answer, when the caller sent it with others of its own in one
    round trip (``kv.pipelined``), or the error it met. False only if a task was needed and
    the broker refused it (the sweep will send the work)."""
    client = _nudge_client()
    if client is not None and flag is _NOT_SENT:
        try:
            flag = command(client, *nudge_flag())
        except redis.RedisError as error:
            flag = error
    if client is not None and flag is None:
        return True  # a nudge is pending
    if dispatch(RELAY_OUTBOX):
        return True
    if client is not None and not isinstance(flag, Exception):  # we set it: the next one tries
        with contextlib.suppress(redis.RedisError):
            client.delete(_nudge_key())
    return False


def nudge_flag() -> tuple:
    """The command that flags a nudge as pending: answered None if one was already."""
    return ("SET", _nudge_key(), "1", "NX", "EX", NUDGE_TTL_SECONDS)


def nudge_taken() -> None:
    """The relay has started: new work from now on needs a new nudge."""
    client = _nudge_client()
    if client is not None:
        with contextlib.suppress(redis.RedisError):
            client.delete(_nudge_key())
