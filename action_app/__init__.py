"""The supporter action platform: ``create_app`` builds the Flask app for web, workers and CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from action_app.config import Settings
from action_app.extensions import csrf, db, migrate
from action_app.memo import TtlLru
from action_app.response_cache import SharedCacheMiddleware
from action_app.tasking import celery_init_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDER = PROJECT_ROOT / "templates"
MIGRATIONS_FOLDER = PROJECT_ROOT / "migrations"
STATIC_FOLDER = Path(__file__).resolve().parent / "static"


def create_app(overrides: Mapping[str, str] | None = None) -> Flask:
    """Build the app. ``overrides`` take the place of environment variables (tests use it)."""
    env = {**os.environ, **(overrides or {})}
    app = Flask(
        __name__,
        template_folder=str(TEMPLATE_FOLDER),
        static_folder=str(STATIC_FOLDER),
        instance_path=env.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
    )
    settings = Settings.from_env(env, Path(app.instance_path))
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        WTF_CSRF_TIME_LIMIT=6 * 3600,
        WTF_CSRF_SSL_STRICT=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.served_over_https,
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_SORT_KEYS=False,
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True)
    csrf.init_app(app)
    _init_services(app, settings)
    from action_app import rate_limits

    rate_limits.init_app(app, settings.redis_url)
    celery_init_app(app, settings)
    _register_blueprints(app)
    _register_cli(app)
    from action_app import web

    web.init_app(app)
    # Outermost: public, cookie-free responses are answered from memory for two seconds.
    app.extensions["response_cache"] = TtlLru(max_entries=500, ttl_seconds=2.0)
    app.wsgi_app = SharedCacheMiddleware(app.wsgi_app, app.extensions["response_cache"])
    if settings.trusted_proxy_hops:
        # Only the configured number of proxies in front of us are believed about the client's
        # address and scheme; anything further left in X-Forwarded-For is the client's to forge.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def clear_process_caches(app: Flask) -> None:
    """Forget every in-process copy (campaigns, pages, totals, postcodes, the directory), so
    the next request reads afresh; each would expire on its own within seconds anyway."""
    caches = ("campaign_cache", "local_totals", "postcode_memo", "page_cache", "response_cache")
    for name in (*caches, "lookup_pause"):
        app.extensions[name].clear()
    app.extensions["directory_snapshot"].invalidate()


def _engine_options(settings: Settings) -> dict:
    if settings.uses_sqlite:
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    # No pre-ping: it costs a round trip on every request. After a database restart the first
    # use of each stale connection fails once and the pool replaces them all.
    return {"pool_size": 5, "max_overflow": 10, "pool_recycle": 1800}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the web process read while the worker writes; foreign keys on as in PostgreSQL."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _init_services(app: Flask, settings: Settings) -> None:
    from action_app.clients.members_api import MembersApiClient
    from action_app.clients.postcodes_io import PostcodesIoClient
    from action_app.kv import DatabaseStore, RedisStore
    from action_app.mail import transport_for
    from action_app.services.participation import LocalTotals
    from action_app.services.seats import SnapshotHolder

    app.extensions["postcodes_io"] = PostcodesIoClient(settings.postcodes_io_url)
    app.extensions["members_api_factory"] = lambda: MembersApiClient(
        settings.members_api_url,
        connect_timeout=settings.http_timeout_connect,
        read_timeout=settings.http_timeout_read,
        concurrency=settings.members_api_concurrency,
    )
    app.extensions["directory_snapshot"] = SnapshotHolder()
    app.extensions["local_totals"] = LocalTotals()
    # Postcodes already looked up by this process: a constituency changes only at a boundary
    # review, so an hour here (30 days in the shared cache) is safe.
    app.extensions["postcode_memo"] = TtlLru(max_entries=20_000, ttl_seconds=3600)
    # Set for 30 s when the worker's postcode check finds postcodes.io down (seat_check.py).
    app.extensions["lookup_pause"] = TtlLru(max_entries=1, ttl_seconds=30.0)
    # Rendered public pages; keys include every version they depend on (see public/views.py).
    app.extensions["page_cache"] = TtlLru(max_entries=2_000, ttl_seconds=60)
    # Connects lazily, so each worker process opens (and then reuses) its own SMTP connection.
    app.extensions["mail_transport"] = transport_for(settings.mail, settings.smtp_timeout_seconds)
    with app.app_context():
        engine = db.engine
    app.extensions["action_kv"] = (
        RedisStore(settings.redis_url) if settings.redis_url else DatabaseStore(engine)
    )


def _register_blueprints(app: Flask) -> None:
    from action_app.api.views import bp as api_bp
    from action_app.public import (
        letter_views,  # noqa: F401  (adds the letter pages to bp)
        safety_views,  # noqa: F401  (not-me, real-MP pages)
    )
    from action_app.public.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    # The public forms check their own CSRF token, so an expired one can be answered with the
    # form and everything typed in it rather than an error page; the JSON API takes no forms.
    csrf.exempt(public_bp)
    csrf.exempt(api_bp)


def _register_cli(app: Flask) -> None:
    from action_app.cli import register_commands

    register_commands(app)
