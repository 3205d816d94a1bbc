"""The supporter action platform: ``create_app`` builds the Flask app for web, workers and CLI."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from action_app.config import Settings
from action_app.extensions import csrf, db
from action_app.registry import ActionApp, build_registry
from action_app.response_cache import SharedCacheMiddleware
from action_app.tasking import celery_init_app

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDER = PROJECT_ROOT / "templates"
STATIC_FOLDER = Path(__file__).resolve().parent / "static"


def create_app(overrides: Mapping[str, str] | None = None) -> ActionApp:
    """Build the app. ``overrides`` take the place of environment variables (tests use it)."""
    env = {**os.environ, **(overrides or {})}
    return create_app_with(Settings.from_env(env, _instance_path(env)))


def create_app_with(settings: Settings) -> ActionApp:
    """Build the app from settings already read (the starter adjusts them first)."""
    app = ActionApp(
        __name__,
        template_folder=str(TEMPLATE_FOLDER),
        static_folder=str(STATIC_FOLDER),
        instance_path=str(settings.instance_path),
    )
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
    app.teardown_appcontext(_release_session)  # runs before Flask-SQLAlchemy's own
    csrf.init_app(app)
    from action_app.staff_access import init_login

    init_login(app)
    with app.app_context():
        app.registry = build_registry(settings, db.engine)
    from action_app import rate_limits

    rate_limits.init_app(app, settings.redis_url)
    celery_init_app(app, settings)
    _register_blueprints(app)
    _register_cli(app)
    from action_app import i18n, web
    from action_app.public import framing

    i18n.init_app(app)
    framing.init_app(app)
    web.init_app(app)
    # Outermost: public, cookie-free responses are answered from memory for two seconds.
    app.wsgi_app = SharedCacheMiddleware(app.wsgi_app, app.registry.response_cache)
    if settings.trusted_proxy_hops:
        # Only the configured number of proxies in front of us are believed about the client's
        # address and scheme; anything further left in X-Forwarded-For is the client's to forge.
        hops = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


def _release_session(_error: BaseException | None) -> None:
    """End the request's session. If the database dropped the connection under us (a restart,
    a failover), rolling it back fails too: discard the connection instead, so a request that
    has already been answered does not turn into an error on its way out."""
    try:
        db.session.remove()
    except (OperationalError, InterfaceError) as exc:
        log.warning("Discarded a database connection that was closed under us: %s", exc.orig)
        db.session().invalidate()
        db.session.remove()


def _instance_path(env: Mapping[str, str]) -> Path:
    return Path(env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")


def _engine_options(settings: Settings) -> dict:
    # A statement's values are what supporters typed (names, addresses, emails): a database
    # error's message, which is logged, leaves them out.
    if settings.uses_sqlite:
        return {
            "connect_args": {"timeout": 30, "check_same_thread": False},
            "hide_parameters": True,
        }
    # No pre-ping: it costs a round trip on every request. After a database restart the first
    # use of each stale connection fails once and the pool replaces them all.
    return {"pool_size": 5, "max_overflow": 10, "pool_recycle": 1800, "hide_parameters": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets the web process read while the worker writes; foreign keys on as in PostgreSQL."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    from action_app.api.views import bp as api_bp
    from action_app.inputs import CONVERTERS

    app.url_map.converters.update(CONVERTERS)  # before any route that uses <id:…> is added
    from action_app.public import create_blueprint

    public_bp = create_blueprint()
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    _register_stats(app)
    # The public forms check their own CSRF token, so an expired one can be answered with the
    # form and everything typed in it rather than an error page; the JSON API takes no forms.
    csrf.exempt(public_bp)
    csrf.exempt(api_bp)
    from action_app import staff

    staff.register(app)  # every staff form is checked by CSRFProtect or staff/form_tokens.py


def _register_stats(app: Flask) -> None:
    """The organisers' figures, the reply follow-up page and the stats API."""
    from action_app.stats import token_views  # noqa: F401  (adds the token pages to bp)
    from action_app.stats.api import bp as stats_api_bp
    from action_app.stats.reply_text import text_for
    from action_app.stats.reply_views import bp as replies_bp
    from action_app.stats.views import bp as stats_bp

    app.register_blueprint(stats_bp, url_prefix="/stats")
    app.register_blueprint(replies_bp)
    app.register_blueprint(stats_api_bp, url_prefix="/api/v1")
    # The reply link is its own proof (a signed id); the API takes bearer tokens, not forms.
    csrf.exempt(replies_bp)
    csrf.exempt(stats_api_bp)
    app.jinja_env.globals["reply_text"] = text_for


def _register_cli(app: Flask) -> None:
    from action_app.cli import register_commands

    register_commands(app)
