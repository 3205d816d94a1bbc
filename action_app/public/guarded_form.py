"""The letter form with its two bot checks (no CAPTCHA): a field people never see or fill in,
and the signed time the letter page was shown (services/abuse.py judges both)."""

from __future__ import annotations

from wtforms import HiddenField, StringField

from action_app.public.forms import LetterForm

HONEYPOT = "contact_me_by_fax_only"


class GuardedLetterForm(LetterForm):
    contact_me_by_fax_only = StringField("Leave this empty")
    opened = HiddenField()
