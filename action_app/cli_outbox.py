"""``action-app outbox``: what is waiting to be sent, and whether the mail relay can be used."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from action_app.extensions import db
from action_app.models import OutboundMessage
from action_app.services.relay import RelayStatus, relay_state


@click.group(help="The outbox: messages waiting to be sent.")
def outbox() -> None:
    pass


@outbox.command("status")
@with_appcontext
def outbox_status() -> None:
    """Messages by kind and status, and the mail relay's state (exits 1 when it is paused)."""
    rows = db.session.execute(
        select(OutboundMessage.kind, OutboundMessage.status, func.count())
        .group_by(OutboundMessage.kind, OutboundMessage.status)
        .order_by(OutboundMessage.kind, OutboundMessage.status)
    ).all()
    if not rows:
        click.echo("No messages.")
    for kind, status, count in rows:
        click.echo(f"{kind:<16} {status:<10} {count}")
    state = relay_state()
    line = f"Mail relay: {state.status}"
    if state.status == RelayStatus.PAUSED:
        line += (
            f" since {state.since} ({state.failures} failed tries; next try after "
            f"{state.until}): {state.reason}"
        )
    elif state.since:
        line += f" since {state.since}"
    click.echo(line)
    if state.status == RelayStatus.PAUSED:
        raise SystemExit(1)
