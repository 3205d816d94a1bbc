"""WTForms' input and textarea widgets, writing the same HTML with less work.

WTForms writes each attribute of a field's tag through ``Markup.format``, markupsafe's string
formatter, which runs in Python: about 8 µs an attribute. The letter form has about 90 (ids,
names, classes, values, ``aria-describedby``, rows, autocomplete), an eighth of the page's CPU.
The widgets here are WTForms' own classes with only that step replaced by joining the escaped
text: the HTML is the same, character for character (``tests/test_widgets.py`` compares them
with WTForms' on hostile values), and every other behaviour (the value shown, validation flags
as attributes, a checkbox's ``checked``) is WTForms' own code.

Forms get them through ``CheaperWidgets``, a form ``Meta`` mixin that swaps a field's widget as
the field is bound: field declarations keep naming WTForms' fields as usual.
"""

from __future__ import annotations

import copy

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets.core import clean_key


def html_attributes(**attributes) -> Markup:
    """``wtforms.widgets.html_params``, to the character: sorted by argument name, names
    cleaned (``class_`` → ``class``, ``data_x`` → ``data-x``) and escaped, ``True`` written as a
    bare name, ``False`` left out, and every other value escaped, with ``"`` as ``&quot;``
    even inside a value already marked safe."""
    written = []
    for name, value in sorted(attributes.items()):
        name = escape(clean_key(name))
        if value is True:
            written.append(name)
        elif value is not False:
            # escape() leaves a Markup value as it is: a quote in it would end the attribute.
            written.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(written))


class TextInput(widgets.TextInput):
    html_params = staticmethod(html_attributes)


class EmailInput(widgets.EmailInput):
    html_params = staticmethod(html_attributes)


class HiddenInput(widgets.HiddenInput):
    html_params = staticmethod(html_attributes)


class CheckboxInput(widgets.CheckboxInput):
    html_params = staticmethod(html_attributes)


class PasswordInput(widgets.PasswordInput):
    html_params = staticmethod(html_attributes)


class TextArea(widgets.TextArea):
    """WTForms' textarea calls the module's ``html_params`` itself, not an attribute of the
    widget, so its ``__call__`` is written here: the same steps, the cheaper attributes."""

    def __call__(self, field, **attributes):
        attributes.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for flag in dir(flags):  # required, maxlength…: as attributes, unless given
            if flag in self.validation_attrs and flag not in attributes:
                attributes[flag] = getattr(flags, flag)
        opening = html_attributes(name=field.name, **attributes)
        return Markup(f"<textarea {opening}>\r\n{escape(field._value())}</textarea>")


# Each of WTForms' widget classes (exactly that class, not a subclass of it with behaviour of
# its own) and the one here that writes the same HTML.
CHEAPER = {
    widgets.TextInput: TextInput,
    widgets.EmailInput: EmailInput,
    widgets.HiddenInput: HiddenInput,
    widgets.CheckboxInput: CheckboxInput,
    widgets.PasswordInput: PasswordInput,
    widgets.TextArea: TextArea,
}


def cheaper(widget):
    """The same widget (its settings copied: an input's type, a hidden input's flags) as the
    class here that writes its HTML with less work; any other widget as it is."""
    kind = CHEAPER.get(type(widget))
    if kind is None:
        return widget
    swapped = copy.copy(widget)
    swapped.__class__ = kind
    return swapped


class CheaperWidgets:
    """A form ``Meta`` mixin: each field gets ``cheaper(field.widget)`` as it is bound."""

    def bind_field(self, form, unbound_field, options):
        field = super().bind_field(form, unbound_field, options)
        field.widget = cheaper(field.widget)
        return field
