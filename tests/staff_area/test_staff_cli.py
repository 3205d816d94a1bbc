"""``action-app staff create``: the first admin, from the command line."""

from __future__ import annotations

from sqlalchemy import select

from action_app.extensions import db
from action_app.models import StaffUser


def test_staff_create_reads_the_password_from_stdin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["staff", "create", "Boss@Example.org", "--role", "admin", "--password-stdin"],
        input="a long enough passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.org" in result.output
    user = db.session.scalars(select(StaffUser)).one()
    assert (user.email, user.role, user.is_active) == ("boss@example.org", "admin", True)
    assert user.password_hash.startswith("$argon2id$")


def test_staff_create_refuses_a_short_password_and_a_second_account(app):
    runner = app.test_cli_runner()
    short = runner.invoke(
        args=["staff", "create", "a@example.org", "--role", "editor", "--password-stdin"],
        input="too short\n",
    )
    assert short.exit_code != 0
    assert "12 characters or more" in short.output
    args = ["staff", "create", "a@example.org", "--role", "editor", "--password-stdin"]
    assert runner.invoke(args=args, input="a long enough passphrase\n").exit_code == 0
    again = runner.invoke(args=args, input="a long enough passphrase\n")
    assert "There is already an account for a@example.org" in again.output
    bad_role = runner.invoke(args=["staff", "create", "b@example.org", "--role", "boss"])
    assert bad_role.exit_code != 0
