"""Forms of the public journey. The postcode steps are GET forms: no session, no CSRF token."""

from __future__ import annotations

import re

from wtforms import Form, HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, ValidationError

from action_app.clients.postcodes_io import normalise_postcode

SOURCE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def clean_source(value: str | None) -> str | None:
    """A campaign source code (partner, email blast, social) if it is well formed."""
    value = (value or "").strip()
    return value if SOURCE.match(value) else None


class PostcodeForm(Form):
    postcode = StringField(
        "Your postcode",
        description="We use it to find your MP. For example, SW1A 1AA",
        validators=[InputRequired(message="Enter your postcode")],
        render_kw={"autocomplete": "postal-code", "spellcheck": "false", "inputmode": "text"},
    )
    source = HiddenField()

    def validate_postcode(self, field):
        if normalise_postcode(field.data) is None:
            raise ValidationError("Enter a full UK postcode, like SW1A 1AA")


class ChooseConstituencyForm(Form):
    seat = IntegerField(
        "Your constituency",
        validators=[InputRequired(message="Choose your constituency from the list")],
    )
    postcode = HiddenField()
    source = HiddenField()
