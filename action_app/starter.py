"""``action-app start``: the whole platform on one machine, with no servers to install.

It applies migrations, loads the demo campaign, fills the MP directory if it is empty, starts a
real Celery worker (with beat) on the server-less broker, and serves the site with gunicorn.
The worker and the web server are processes of their own, given their settings through their
environment: this process's own environment is left as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from action_app.clients.members_api import MembersApiError
from action_app.config import Settings
from action_app.extensions import db
from action_app.models import Member
from action_app.registry import current_registry
from action_app.schema import upgrade
from action_app.services.demo import load_demo_campaign
from action_app.services.directory import DirectoryError
from action_app.services.members_sync import sync_members

# Embedded defaults for gunicorn, each overridden by its GUNICORN_* variable if set.
EMBEDDED_GUNICORN = {"GUNICORN_WORKERS": "2", "GUNICORN_THREADS": "4"}


@click.command("start")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="Serve pages only; run the worker yourself.")
@with_appcontext
def start(host: str, port: int, no_worker: bool) -> None:
    """Start the platform: migrations, demo campaign, MP directory, worker and web server."""
    settings = current_registry().settings
    env = child_environment(host, port)
    click.echo(f"Mode: {'embedded (no servers needed)' if settings.embedded else 'production'}")
    click.echo(f"Database: {_redacted(settings.database_url)}")
    upgrade()
    slug = load_demo_campaign()
    db.session.commit()
    _ensure_directory()
    db.session.remove()
    # SIGTERM (a service manager, a test) ends the start like Ctrl-C, so both children are
    # stopped rather than left running on their own.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    children = [] if no_worker else [_start_worker(settings, env)]
    try:
        children.append(_start_web(host, port, env))
        if settings.mail.uses_outbox:
            click.echo(f"Mail is written to {settings.mail.outbox_dir} as .eml files")
        click.secho(
            f"\nOpen http://{host}:{port}/c/{slug} in your browser.\n", fg="green", bold=True
        )
        children[-1].wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):
            _stop(child)


def child_environment(host: str, port: int) -> dict[str, str]:
    """The worker's and the web server's environment: this one, plus the address links in
    emails lead back to (unless PUBLIC_BASE_URL is set) and gunicorn's embedded defaults."""
    env = {**EMBEDDED_GUNICORN, **os.environ}
    if not os.environ.get("PUBLIC_BASE_URL"):
        env["PUBLIC_BASE_URL"] = (
            f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
        )
    env["GUNICORN_BIND"] = f"{host}:{port}"
    return env


def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)


def _ensure_directory() -> None:
    current = db.session.scalar(select(func.count()).where(Member.is_current.is_(True))) or 0
    if current:
        click.echo(f"MP directory: {current} current MPs")
        return
    url = current_registry().settings.members_api_url
    click.echo(f"MP directory is empty; syncing from {url}")
    client = current_registry().members_api()
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


def _start_worker(settings: Settings, env: dict[str, str]) -> subprocess.Popen:
    schedule = settings.instance_path / "celerybeat-schedule"
    command = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--beat",
        f"--schedule={schedule}", "--concurrency=2", "--loglevel=INFO",
    ]  # fmt: skip
    click.echo("Starting the worker: " + " ".join(command[1:]))
    return subprocess.Popen(command, env=env, start_new_session=True)


def _start_web(host: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    """gunicorn with the documented settings (action_app/gunicorn_conf.py)."""
    command = [
        sys.executable, "-m", "gunicorn", "--config", "python:action_app.gunicorn_conf",
        "action_app.wsgi:app",
    ]  # fmt: skip
    click.echo(f"Starting the web server on {host}:{port}: " + " ".join(command[1:]))
    return subprocess.Popen(command, env=env, start_new_session=True)


def _stop(child: subprocess.Popen) -> None:
    """SIGTERM to the server or worker itself, which stops its own processes in order (a
    signal to its whole group reached Celery's pool children too, which it then logged as
    errors); then anything of its group still there after 15 s is killed."""
    with contextlib.suppress(ProcessLookupError):
        child.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url
