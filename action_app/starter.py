"""``action-app start``: the whole platform on one machine, with no servers to install.

It applies migrations, loads the demo campaign, fills the MP directory if it is empty, starts a
real Celery worker (with beat) on the server-less broker, and serves the site.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, run_simple

from action_app.clients.members_api import MembersApiError
from action_app.extensions import db
from action_app.models import Member
from action_app.services.directory import DirectoryError
from action_app.services.members_sync import sync_members


class QuietRequestHandler(WSGIRequestHandler):
    """The Server header names no software versions (Werkzeug's names its own and Python's)."""

    server_version = "action-app"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Serve pages only; run the worker yourself.")
@with_appcontext
def start(host: str, port: int, no_worker: bool) -> None:
    """Start the platform: migrations, demo campaign, MP directory, worker and web server."""
    from action_app.cli import load_demo_campaign

    settings = current_app.config["SETTINGS"]
    if not os.environ.get("PUBLIC_BASE_URL"):
        # Links in emails should lead back here; the worker reads the same variable.
        address = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
        os.environ["PUBLIC_BASE_URL"] = address
        settings = dataclasses.replace(settings, public_base_url=address)
        current_app.config["SETTINGS"] = settings
    click.echo(f"Mode: {'embedded (no servers needed)' if settings.embedded else 'production'}")
    click.echo(f"Database: {_redacted(settings.database_url)}")
    upgrade()
    slug = load_demo_campaign()
    _ensure_directory()
    worker = None if no_worker else _start_worker(settings)
    # SIGTERM (a service manager, a test) ends the server like Ctrl-C, so the worker is stopped
    # too rather than left running on its own.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if settings.mail.uses_outbox:
        click.echo(f"Mail is written to {settings.mail.outbox_dir} as .eml files")
    click.secho(f"\nOpen http://{host}:{port}/c/{slug} in your browser.\n", fg="green", bold=True)
    try:
        run_simple(
            host,
            port,
            current_app._get_current_object(),
            threaded=True,
            request_handler=QuietRequestHandler,
        )
    finally:
        if worker is not None:
            _stop_worker(worker)


def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)


def _ensure_directory() -> None:
    current = db.session.scalar(select(func.count()).where(Member.is_current.is_(True))) or 0
    if current:
        click.echo(f"MP directory: {current} current MPs")
        return
    url = current_app.config["SETTINGS"].members_api_url
    click.echo(f"MP directory is empty; syncing from {url}")
    client = current_app.extensions["members_api_factory"]()
    try:
        summary = sync_members(client)
        db.session.commit()
        click.echo(f"MP directory: {summary.added} MPs loaded")
    except (MembersApiError, DirectoryError) as exc:
        db.session.rollback()
        click.secho(
            f"Could not load MPs ({exc}). Postcode lookups will say so until you run "
            "`action-app mps sync` or `action-app mps import FILE.csv`; to work offline, start "
            "the fakes (README: 'Running offline').",
            fg="yellow",
            err=True,
        )
    finally:
        client.close()


def _start_worker(settings) -> subprocess.Popen:
    schedule = settings.instance_path / "celerybeat-schedule"
    command = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--beat",
        f"--schedule={schedule}", "--concurrency=2", "--loglevel=INFO",
    ]  # fmt: skip
    click.echo("Starting the worker: " + " ".join(command[1:]))
    return subprocess.Popen(command, env=os.environ.copy(), start_new_session=True)


def _stop_worker(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(worker.pid, signal.SIGKILL)


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url
