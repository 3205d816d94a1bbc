"""The database's migrations (Alembic, through Flask-Migrate), bound to the app only where they
run: the ``action-app`` command line, the embedded starter, tests and benchmarks.

Web and worker processes never migrate, so they never import Alembic and the templating it brings
(Mako, Pygments): about 11 MB of every gunicorn and Celery process.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from action_app.extensions import db

MIGRATIONS_FOLDER = Path(__file__).resolve().parent.parent / "migrations"


def with_migrations(app: Flask) -> Flask:
    """Bind Flask-Migrate to the app (once), which also gives its CLI the ``db`` commands."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_FOLDER), render_as_batch=True)
    return app


def upgrade(revision: str = "head") -> None:
    """Migrate the current app's database up to ``revision``."""
    from flask_migrate import upgrade as migrate_up

    with_migrations(current_app._get_current_object())
    migrate_up(revision=revision)


def downgrade(revision: str) -> None:
    """Migrate the current app's database down to ``revision``."""
    from flask_migrate import downgrade as migrate_down

    with_migrations(current_app._get_current_object())
    migrate_down(revision=revision)
