"""Forms of the staff area: sign-in, second factor, passwords, people."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from action_app.inputs import control_character
from action_app.models import StaffRole
from action_app.services.staff_auth import PASSWORD_MAX, PASSWORD_MIN

ROLE_CHOICES = [
    SelectChoice(StaffRole.ADMIN.value, "Admin: everything, including people and the audit log"),
    SelectChoice(StaffRole.EDITOR.value, "Editor: campaigns, the MP directory and the outbox"),
    SelectChoice(
        StaffRole.ORGANISER.value, "Organiser: statistics for the campaigns assigned to them"
    ),
]


class StaffForm(FlaskForm):
    """Every staff form: besides its own checks, no field may hold a control character
    (PostgreSQL refuses NUL, and nobody types one into a one-line box), said beside the field
    like any other mistake. Passwords are left alone: they are hashed, never stored."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, PasswordField) or not isinstance(field.data, str):
                continue
            if (found := control_character(field.data, multiline=False)) is not None:
                field.errors = [*field.errors, f"Remove the control character ({found})"]
                valid = False
        return valid


class SignInForm(StaffForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class CodeForm(StaffForm):
    code = StringField(
        "Code from your authenticator app",
        description="The 6-digit code, or one of your recovery codes.",
        validators=[DataRequired("Enter the code from your authenticator app")],
    )


class EnrolForm(StaffForm):
    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired("Enter the 6-digit code your app shows")],
    )


class NewPasswordForm(StaffForm):
    password = PasswordField(
        "New password",
        description=f"At least {PASSWORD_MIN} characters. A few unrelated words make a good "
        "one; a password manager makes a better one.",
        validators=[
            DataRequired("Enter a new password"),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=f"Password must be between {PASSWORD_MIN} and {PASSWORD_MAX} characters",
            ),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )


class ResetRequestForm(StaffForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])


class InviteForm(StaffForm):
    email = EmailField("Email address", validators=[DataRequired("Enter their email address")])
    name = StringField("Name", validators=[Length(max=200)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=StaffRole.EDITOR.value)


class PersonForm(StaffForm):
    role = SelectField("Role", choices=ROLE_CHOICES)
    is_active = BooleanField("Account is active (untick to deactivate and sign them out)")


class PlainForm(StaffForm):
    """A form with nothing but its CSRF token (buttons that change something)."""
