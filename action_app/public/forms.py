"""Forms of the public journey. The postcode steps are GET forms: no session, no CSRF token."""

from __future__ import annotations

import re
from typing import Self

from babel import support as babel_support
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from flask_wtf.form import _Auto as _AUTO
from wtforms import (
    BooleanField,
    Form,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from action_app.clients.postcodes_io import normalise_postcode
from action_app.i18n import gettext
from action_app.i18n import lazy_gettext as _l
from action_app.public.framing import framed
from action_app.services.header_text import header_problem_message, header_rule_broken
from action_app.services.letters import TOKENS, Supporter, fill_tokens
from action_app.widgets import CheaperWidgets

ADDRESS_TOKEN = TOKENS["address"]
SUBJECT_MAX = 200

SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SOURCE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


_FORM_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def clean_source(value: str | None) -> str | None:
    """A campaign source code (partner, email blast, social) if it is well formed."""
    value = (value or "").strip()
    return value if SOURCE.match(value) else None


class PostcodeForm(Form):
    postcode = StringField(
        _l("Your postcode"),
        description=_l("We use it to find your MP. For example, SW1A 1AA"),
        validators=[InputRequired(message=_l("Enter your postcode"))],
        render_kw={"autocomplete": "postal-code", "spellcheck": "false", "inputmode": "text"},
    )
    source = HiddenField()

    def validate_postcode(self, field):
        if normalise_postcode(field.data) is None:
            raise ValidationError(_l("Enter a full UK postcode, like SW1A 1AA"))


class ChooseConstituencyForm(Form):
    seat = IntegerField(
        _l("Your constituency"),
        validators=[InputRequired(message=_l("Choose your constituency from the list"))],
    )
    postcode = HiddenField()
    source = HiddenField()


# Letters may contain line breaks and tabs, and no other control character; one-line fields
# follow the header rule (services/header_text.py).
_TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(what: str):
    def check(form, field):
        problem = header_problem_message(what, field.data) if isinstance(field.data, str) else None
        if problem:
            raise ValidationError(problem)

    return check


def plain_text(what: str):
    def check(form, field):
        if field.data and _TEXT_FORBIDDEN.search(field.data):
            raise ValidationError(_l("%(what)s must not contain special characters", what=what))

    return check


# An address of the plainest kind: a dot-atom of letters, digits, "_", "+" and "-" before the
# @-sign, and a host name after it whose last label is letters only.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)


def checked_email(value: str) -> str:
    """The address as the letter records it (``email_validator``'s ASCII form, which lowercases
    the domain), or EmailNotValidError.

    Most addresses people type are of the plainest kind, for which that library's answer is
    known without asking it: the address with its domain in lower case. It is asked about
    everything else, and about plain addresses it treats specially (a reserved domain, a
    mailbox name like postmaster, a "--" label, anything near a length limit). Asking it costs
    about 3% of a new letter's Continue, mostly in its international domain name rules;
    tests/public/test_email_check.py holds this to its answers."""
    plain = _PLAIN_EMAIL.fullmatch(value) if isinstance(value, str) else None
    if plain is not None and len(value) <= 200:
        local, domain = value[: plain.start(1) - 1], plain[1].lower()
        if (
            len(local) <= 64
            and "--" not in domain
            and local.lower() not in CASE_INSENSITIVE_MAILBOX_NAMES
            and not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)
        ):
            return f"{local}@{domain}"
    checked = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    return checked.ascii_email or checked.normalized


def strip(value):
    return value.strip() if isinstance(value, str) else value


def newlines(value):
    """Browsers send CRLF from a textarea; letters are stored with plain line feeds."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


SUBJECT_MAX_TEXT = f"{SUBJECT_MAX:,}"


class _MaxLength(Length):
    """Length without the maxlength attribute: a browser would cut a pasted letter short without
    saying so; the server says how long is too long instead."""

    def __init__(self, most: int, message: str):
        super().__init__(max=most, message=message)
        self.field_flags = {}


def limit(what: str, most: int) -> Length:
    most_text = f"{most:,}"
    message = _l("%(what)s must be %(most)s characters or fewer", what=what, most=most_text)
    return _MaxLength(most, message)


class _WtformsTranslations:
    """WTForms' own messages (a missing CSRF token, a bad choice) in the page's language, as
    Flask-WTF gives them, but with each language's catalogue read once per process: Flask-WTF
    reads and parses the .mo file again for every request that makes a form, which was about a
    tenth of a letter submit's CPU time."""

    _loaded: dict[str, babel_support.Translations] = {}

    def _catalogue(self):
        if not has_request_context() or "babel" not in current_app.extensions:
            return None
        locale = str(get_locale())
        found = self._loaded.get(locale)
        if found is None:
            found = self._loaded[locale] = babel_support.Translations.load(
                messages_path(), [locale], domain="wtforms"
            )
        return found

    def gettext(self, string):
        catalogue = self._catalogue()
        return string if catalogue is None else catalogue.ugettext(string)

    def ngettext(self, singular, plural, n):
        catalogue = self._catalogue()
        if catalogue is None:
            return singular if n == 1 else plural
        return catalogue.ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = _WtformsTranslations()


class _TokenWhenShown(CSRFTokenField):
    """Flask-WTF's CSRF field, but the token the page will carry is signed when the field is
    shown, not whenever the form is made: a valid POST answered by a redirect never shows it,
    and signing it was about 3% of a Continue's CPU. The posted token is checked as before."""

    def process(self, *args, **kwargs):
        HiddenField.process(self, *args, **kwargs)  # CSRFTokenField's would sign a token
        self.current_token = None

    def _value(self):
        if self.current_token is None:
            self.current_token = self.csrf_impl.generate_csrf_token(self)
        return self.current_token


class _CSRF(_FlaskFormCSRF):
    field_class = _TokenWhenShown


# The settings a form's CSRF check and messages are made with (``TypedForm.for_request``).
_FORM_SETTINGS = (
    "WTF_CSRF_ENABLED", "WTF_CSRF_SECRET_KEY", "SECRET_KEY", "WTF_CSRF_FIELD_NAME",
    "WTF_CSRF_TIME_LIMIT", "WTF_I18N_ENABLED",
)  # fmt: skip


class TypedForm(FlaskForm):
    """A form that takes only typed fields: a file sent in any field (a multipart upload) is that
    field's error, and a JSON body is not read as the form, so nothing but text reaches it."""

    class Meta(CheaperWidgets, FlaskForm.Meta):  # WTForms' widgets, their HTML written for less
        csrf_class = _CSRF

        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return WTFORMS_TRANSLATIONS

        def wrap_formdata(self, form, formdata):
            if formdata is not _AUTO:
                return formdata
            form._uploads = sorted(request.files) if request.files else []
            if request.method in SUBMIT_METHODS and (request.form or form._uploads):
                return request.form
            return None

    _uploads: list[str] = []

    def __init__(self, *args, **kwargs):
        # Inside a partner's iframe no cookie comes, so no session CSRF token can be checked:
        # there the letter's signed token in the URL is the secret (public/framing.py).
        if framed():
            kwargs["meta"] = {**kwargs.get("meta", {}), "csrf": False}
        super().__init__(*args, **kwargs)

    @classmethod
    def for_request(cls, **attributes) -> Self:
        """This form for the current request (its POST data, if any), as ``cls()`` makes it, but
        copied from a blank one made once per app instead of built field by field.

        Building the letter form (16 fields, each made from its declaration with its label,
        widget, flags and meta) was a fifth of a Continue's CPU. The copy is a new form object
        with a new object for every field: what a request processes, validates and renders
        (data, raw data, errors, the form's errors) is assigned anew on the copy by WTForms'
        own ``process`` and ``validate``; what the copy shares with the blank (declarations,
        labels, validators, meta) nothing changes after the form is built. ``attributes`` are
        set on the copy (``editable=…``). A blank is kept for each setting it was made under
        (inside a partner's frame or not, and the CSRF settings), so a changed setting gets a
        new one."""
        blank = cls.blank()
        form = object.__new__(cls)
        form.__dict__.update(blank.__dict__)
        form.form_errors = []
        form._fields = type(blank._fields)()
        for name, field in blank._fields.items():
            copied = object.__new__(type(field))  # Field.__new__ would make an UnboundField
            copied.__dict__.update(field.__dict__)
            copied._form = form
            form._fields[name] = copied
            form.__dict__[name] = copied
        form.__dict__.update(attributes)
        form.process(_AUTO)
        return form

    @classmethod
    def blank(cls) -> Self:
        """This form as made with no data, once per app for each setting it is made under
        (inside a partner's frame or not, and the CSRF settings). Never change it: requests
        share it (``for_request`` copies it; ``plain_post`` reads its declarations)."""
        key = (cls, framed(), *(current_app.config.get(name) for name in _FORM_SETTINGS))
        blanks = current_app.extensions.setdefault("blank_forms", {})
        blank = blanks.get(key)
        if blank is None:
            blank = blanks[key] = cls(formdata=None)
        return blank

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name in self._uploads:
            field = self._fields.get(name)
            if field is not None:
                field.errors = [
                    gettext("%(what)s must be typed in, not sent as a file", what=field.label.text)
                ]
                valid = False
        return valid


class LetterForm(TypedForm):
    subject = StringField(
        _l("Subject"),
        description=_l(
            "It can include [your name]. It cannot include your address: that goes at the top "
            "of the letter."
        ),
        filters=[strip],
        validators=[limit(_l("The subject"), SUBJECT_MAX), one_line(_l("The subject"))],
    )
    body_before = TextAreaField(
        _l("Your letter"),
        filters=[newlines],
        validators=[limit(_l("Your letter"), 10_000), plain_text(_l("Your letter"))],
    )
    personal_paragraph = TextAreaField(
        _l("In your own words"),
        filters=[newlines],
        validators=[limit(_l("Your own words"), 3_000), plain_text(_l("Your own words"))],
    )
    body_after = TextAreaField(
        _l("End of your letter"),
        filters=[newlines],
        validators=[
            limit(_l("The end of your letter"), 5_000),
            plain_text(_l("The end of your letter")),
        ],
    )
    name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter your full name")),
            limit(_l("Your name"), 100),
            one_line(_l("Your name")),
        ],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )
    email = StringField(
        _l("Email address"),
        description=_l("We send you a copy of your letter. Your MP replies to this address."),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter your email address")),
            limit(_l("Your email address"), 254),
            one_line(_l("Your email address")),
        ],
        render_kw={"autocomplete": "email", "spellcheck": "false", "inputmode": "email"},
    )
    address_line_1 = StringField(
        _l("Address line 1"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter the first line of your address")),
            limit(_l("Address line 1"), 100),
            one_line(_l("Address line 1")),
        ],
        render_kw={"autocomplete": "address-line1"},
    )
    address_line_2 = StringField(
        _l("Address line 2 (optional)"),
        filters=[strip],
        validators=[Optional(), limit(_l("Address line 2"), 100), one_line(_l("Address line 2"))],
        render_kw={"autocomplete": "address-line2"},
    )
    town = StringField(
        _l("Town or city"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter your town or city")),
            limit(_l("Town or city"), 60),
            one_line(_l("Town or city")),
        ],
        render_kw={"autocomplete": "address-level2"},
    )
    # The message names the recipient; the view puts it in.
    consent = BooleanField(validators=[DataRequired(message="consent")])
    opt_ins = SelectMultipleField(choices=[], validate_choice=True)
    # Ours look like token_urlsafe(24); anything else (edited, too long for the column) is
    # dropped, and the view makes a fresh one.
    form_token = HiddenField(
        filters=[lambda value: value if _FORM_TOKEN.match(value or "") else None]
    )

    def __init__(self, *args, editable: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.editable = editable

    def validate_email(self, field):
        try:
            field.data = checked_email(field.data)
        except EmailNotValidError:
            raise ValidationError(
                _l("Enter an email address in the correct format, like name@example.com")
            ) from None

    def validate_subject(self, field):
        if self.editable and not field.data:
            raise ValidationError(_l("Enter a subject for your letter"))
        if self.editable and ADDRESS_TOKEN in (field.data or ""):
            raise ValidationError(
                _l(
                    "The subject cannot include your address: remove %(token)s from it "
                    "(your address is at the top of the letter)",
                    token=ADDRESS_TOKEN,
                )
            )
        name = self.name.data if isinstance(self.name.data, str) else ""
        filled = fill_tokens(field.data or "", Supporter(name, (), "SW1A 1AA"))
        problem = header_problem_message(_l("The subject with your name in it"), filled)
        if problem and not header_rule_broken(field.data or ""):
            raise ValidationError(problem)
        if len(filled) > SUBJECT_MAX:
            raise ValidationError(
                _l(
                    "The subject must be %(most)s characters or fewer with your name in it",
                    most=SUBJECT_MAX_TEXT,
                )
            )

    def validate_body_before(self, field):
        words = (
            (field.data or "") + (self.body_after.data or "") + (self.personal_paragraph.data or "")
        )
        if self.editable and not words.strip():
            raise ValidationError(_l("Your letter is empty: write your letter before you continue"))

    def validate_name(self, field):
        if field.data and not any(ch.isalpha() for ch in field.data):
            raise ValidationError(_l("Enter your full name"))


class SendForm(TypedForm):
    """The check page's button: only a CSRF token; the letter itself is stored."""


class ConfirmForm(TypedForm):
    """The button behind a confirmation link (a GET must never send a letter)."""
