"""``action-app people export|erase EMAIL``: a person's right of access and right to erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import with_appcontext

from action_app.extensions import db
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services.parked_drafts import ParkedUnavailable
from action_app.services.people import erase_person, export_person


@click.group(help="What is held about one person: export it, or erase it.")
def people() -> None:
    pass


@contextmanager
def _redis_needed() -> Iterator[None]:
    """New drafts may be kept in Redis (``parked_drafts``): without it the answer would be
    incomplete, so the command stops, saying why, and changes nothing."""
    try:
        yield
    except ParkedUnavailable as error:
        db.session.rollback()
        raise click.ClickException(
            "Redis cannot be reached, and it may hold this person's unsent letters: nothing was "
            "exported or erased. Try again when Redis is back."
        ) from error


def _outbox() -> Path:
    return current_registry().settings.mail.outbox_dir


@people.command("export")
@click.argument("email")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
@with_appcontext
def people_export(email: str, output: Path | None) -> None:
    """Everything held about the person with this email address, as JSON."""
    with _redis_needed():
        document = export_person(email, _outbox())
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Written to {output} (reference {document['reference']})", err=True)


@people.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def people_erase(email: str, yes: bool) -> None:
    """Remove the personal data of the person with this email address. Sent letters are kept
    without it, so the campaign's counts stay right."""
    if not yes:
        click.confirm(f"Erase everything held about {email}?", abort=True)
    with _redis_needed():
        result = erase_person(email, _outbox(), utcnow())
    db.session.commit()
    click.echo(
        f"Erased (reference {result.reference}): {result.letters_scrubbed} letters scrubbed, "
        f"{result.drafts_deleted} unsent letters deleted, "
        f"{result.outbox_files_removed} outbox files removed."
    )
