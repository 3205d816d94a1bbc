"""A form's POST, when every one of its rules passes it, read without making the form.

A new letter's Continue is the platform's busiest POST, and nearly every one is valid. WTForms
made it pay for a whole form each time: sixteen field objects copied and processed, then each
field's validation machinery (its process errors, a check of its validators' types, its pre- and
post-validation hooks, a chained iterator), around rules that are themselves cheap. Measured in a
request context, the letter form made and validated took 176-194 µs; read here, 90-114 µs, of
which the CSRF check is a third (``bench/results/2026-12-03.md``).

``accepted`` reads the same POST by the same rules: each field's own ``process_formdata``
semantics for its kind, its own filters, its own validators and the form's ``validate_<name>``
methods, in the form's order, with WTForms' rules for ``StopValidation`` (a validator may clear
the errors before it, as ``Optional`` does), the CSRF check by the form's own CSRF object, and a
choice field checked by a copy of the field itself. It answers only "every rule passed, and this
is the data", never why not: whenever it is not that, or the request or the form is anything but
the plain case it knows (a file sent, inside a partner's frame, a field of a kind it does not
read, a default, an inline filter), it answers None, and the caller makes the form and validates
it as always, which says why. So a rule lives only in the form's declaration, and the messages,
the page shown again and everything typed are WTForms' as before.
``tests/public/test_plain_post.py`` holds it to WTForms' own verdict and data on arbitrary
POSTs.

Flask-WTF logs a failed CSRF check at INFO. A POST that fails it here is validated again by the
form, which logs it, so the check here is made with that log record held back: one failure, one
line in the log.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from types import SimpleNamespace
from typing import NamedTuple

from flask import current_app, request
from wtforms import BooleanField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.core import Field
from wtforms.validators import StopValidation, ValidationError

from action_app.public.forms import SUBMIT_METHODS, TypedForm, _TokenWhenShown
from action_app.public.framing import framed

_TEXT, _CHECKBOX, _CHOICES, _CSRF = "text", "checkbox", "choices", "csrf"
_KINDS = {StringField: _TEXT, TextAreaField: _TEXT, HiddenField: _TEXT, BooleanField: _CHECKBOX,
          SelectMultipleField: _CHOICES, _TokenWhenShown: _CSRF}  # fmt: skip


# Set while this module makes the form's CSRF check (per thread: gthread workers share a logger).
_CHECKING_CSRF: ContextVar[bool] = ContextVar("plain_post_checking_csrf", default=False)


def _not_while_checking(record: logging.LogRecord) -> bool:
    return not _CHECKING_CSRF.get()


logging.getLogger("flask_wtf.csrf").addFilter(_not_while_checking)


# A choice field's post_process only marks choices given as a callable out of date.
_CHOICES_POST_PROCESS = SelectMultipleField.post_process


def _plain_choices(field: SelectMultipleField) -> bool:
    return field.validate_choice and getattr(field, "_choices_callable", None) is None


class _Step(NamedTuple):
    name: str
    kind: str
    field: Field  # the blank form's field: its declarations (never changed)
    rules: tuple  # its validators, then the form's validate_<name>


class Value:
    """A field as the form's rules read it: what was sent, its data, and its errors."""

    __slots__ = ("data", "errors", "raw_data")

    def __init__(self, data, raw_data: list):
        self.data, self.raw_data, self.errors = data, raw_data, []


def accepted(form_class: type[TypedForm], choices: dict[str, list], **attributes):
    """This request's POST to ``form_class``, if the form would validate it: an object with a
    ``Value`` for each field by name (``.name.data`` as the form's field would have it) and
    ``attributes``. None otherwise, or when it cannot tell (see above). ``choices``: each
    choice field's choices, as the view sets them on the form."""
    if request.method not in SUBMIT_METHODS or request.files or framed():
        return None
    try:
        return _read(form_class, choices, attributes)
    except Exception:  # anything unforeseen: the form decides, as it always did
        return None


def _read(form_class: type[TypedForm], choices: dict, attributes: dict):
    steps = _steps(form_class)
    if steps is None:
        return None
    formdata = request.form
    read = SimpleNamespace(**attributes)
    values = []
    for step in steps:
        value = _processed(step, formdata.getlist(step.name))
        if value is None:
            return None
        setattr(read, step.name, value)
        values.append(value)
    for step, value in zip(steps, values, strict=True):
        if not _passes(step, value, read, choices):
            return None
    return read


def _processed(step: _Step, raw: list) -> Value | None:
    """The field's data as WTForms' ``Field.process`` makes it from ``raw`` (each kind's
    ``process_data`` of a default of None, then its ``process_formdata``, then the filters);
    None if that gives a process error."""
    field = step.field
    if step.kind in (_TEXT, _CSRF):
        data = raw[0] if raw else None
    elif step.kind == _CHECKBOX:
        data = not (not raw or raw[0] in field.false_values)
    else:
        try:
            data = [field.coerce(item) for item in raw]
        except (ValueError, TypeError):
            return None
    try:
        for keep in field.filters:
            data = keep(data)
    except ValueError:
        return None
    return Value(data, raw)


def _passes(step: _Step, value: Value, read: SimpleNamespace, choices: dict) -> bool:
    """The field's ``validate``: its pre-validation, then its rules, as WTForms runs them."""
    try:
        if step.kind == _CSRF:
            checking = _CHECKING_CSRF.set(True)
            try:
                step.field.csrf_impl.validate_csrf_token(read, value)
            finally:
                _CHECKING_CSRF.reset(checking)
        elif step.kind == _CHOICES:
            field = object.__new__(type(step.field))  # a copy with this request's choices
            field.__dict__.update(step.field.__dict__)
            field.choices, field.data, field.process_errors = choices[step.name], value.data, []
            field.pre_validate(read)
    except (StopValidation, ValidationError):
        return False
    for rule in step.rules:
        try:
            rule(read, value)
        except StopValidation as stop:
            if stop.args and stop.args[0]:
                value.errors.append(stop.args[0])
            break
        except ValidationError as error:
            value.errors.append(error.args[0])
    return not value.errors


def _steps(form_class: type[TypedForm]) -> tuple[_Step, ...] | None:
    """Each field of the form with its kind and rules, from the blank form made for these
    settings (once per app); None if any field is one this module does not read as WTForms
    would, or the form's CSRF check is not on."""
    blank = form_class.blank()
    made = current_app.extensions.setdefault("plain_post_steps", {})
    key = id(blank)
    if key not in made:
        made[key] = (blank, _plan(form_class, blank))  # the blank kept: its id stays its own
    return made[key][1]


def _plan(form_class: type[TypedForm], blank: TypedForm) -> tuple[_Step, ...] | None:
    if not blank.meta.csrf:
        return None
    steps = []
    for name, field in blank._fields.items():
        kind = _KINDS.get(type(field))
        plain = (
            kind is not None
            and field.default is None
            and getattr(field, "_datalist", None) is None
            and getattr(form_class, f"filter_{name}", None) is None
            and (kind in (_CSRF, _CHOICES) or type(field).pre_validate is Field.pre_validate)
            and type(field).post_validate is Field.post_validate
            and type(field).post_process in (Field.post_process, _CHOICES_POST_PROCESS)
            and (kind != _CHOICES or _plain_choices(field))
        )
        if not plain:
            return None
        inline = getattr(form_class, f"validate_{name}", None)
        steps.append(_Step(name, kind, field, (*field.validators, *(inline,) * bool(inline))))
    return tuple(steps)
