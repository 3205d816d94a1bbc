"""``action-app outbox``: the letters held for a person, and releasing or rejecting them."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from action_app import tasking
from action_app.extensions import db
from action_app.services import held_letters as outbox
from action_app.services.sending import forget_dispatch


@click.group(help="Letters held for a person to release or reject.")
def outbox_group() -> None:
    pass


@outbox_group.command("list")
@with_appcontext
def outbox_list() -> None:
    """Held letters, oldest first: id, recipient, since when, and why."""
    held = outbox.held_letters()
    if not held:
        click.echo("No letters are held.")
    for letter in held:
        since = f"{letter.held_since:%Y-%m-%d %H:%M}" if letter.held_since else "?"
        click.echo(f"{letter.id}\t{letter.recipient_name}\t{since} UTC\t{letter.reason}")


@outbox_group.command("release")
@click.argument("letter_id", type=int)
@with_appcontext
def outbox_release(letter_id: int) -> None:
    """Send a held letter as it would have been sent."""
    try:
        released_id = outbox.release(letter_id)
        db.session.commit()
    except outbox.OutboxError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    except IntegrityError:  # the address's letter to this MP was sent a moment ago
        db.session.rollback()
        raise click.ClickException(
            f"Letter {letter_id}: a letter from this address to this recipient has already "
            "been sent for this campaign; reject it instead."
        ) from None
    if not tasking.dispatch(tasking.SEND_LETTER, released_id):
        forget_dispatch(released_id)
        db.session.commit()
    click.echo(f"Letter {letter_id} released: it is being sent.")


@outbox_group.command("reject")
@click.argument("letter_id", type=int)
@with_appcontext
def outbox_reject(letter_id: int) -> None:
    """Never send a held letter (it is kept, as rejected, until personal data expires)."""
    try:
        outbox.reject(letter_id)
        db.session.commit()
    except outbox.OutboxError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Letter {letter_id} rejected: it will not be sent.")
