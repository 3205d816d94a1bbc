"""``action-app staff``: accounts from the command line (the first admin is made here)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from action_app.extensions import db
from action_app.models import StaffRole
from action_app.services.staff_auth import StaffError, create_staff, find_staff, set_password


@click.group(help="Staff accounts.")
def staff() -> None:
    pass


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(
        "Password (12 characters or more)", hide_input=True, confirmation_prompt=True
    )


@staff.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in StaffRole]), required=True)
@click.option("--name", default="", help="Shown to other staff.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
@with_appcontext
def staff_create(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create a staff account. Admins set up an authenticator app at first sign-in."""
    password = _password(password_stdin)
    try:
        user = create_staff(email, role, password, name=name)
        db.session.commit()
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user.role} {user.email}. Sign in at /staff/sign-in")


@staff.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def staff_set_password(email: str, password_stdin: bool) -> None:
    """Set someone's password (ends all their sessions)."""
    user = find_staff(email)
    if user is None:
        raise click.ClickException(f"There is no staff account for {email}.")
    try:
        set_password(user, _password(password_stdin))
        db.session.commit()
    except StaffError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"Password changed for {user.email}; their sessions have ended.")
