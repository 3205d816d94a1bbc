"""The cheaper widgets write exactly the HTML WTForms' own would, whatever the values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, widgets
from wtforms.fields import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets.core import html_params

from action_app.widgets import CHEAPER, CheaperWidgets, cheaper, html_attributes

# Text an attacker might type or a page might pass: quotes, angle brackets, ampersands,
# entities, control characters, non-ASCII, and text already marked safe with a raw quote in it.
hostile_text = st.text(
    alphabet=st.sampled_from(list("ab \"'<>&;=/\\\n\r\t\x00é€𝄞")) | st.characters(),
    max_size=40,
)
values = st.one_of(
    hostile_text,
    hostile_text.map(Markup),
    st.booleans(),
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
)
names = st.one_of(
    st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z"),
    st.sampled_from(["class_", "for_", "data_module", "aria_describedby", "data_max_length"]),
    hostile_text.filter(bool),
)


@settings(max_examples=500)
@given(st.dictionaries(names, values, max_size=8))
def test_attributes_are_written_as_wtforms_writes_them(attributes):
    assert html_attributes(**attributes) == html_params(**attributes)
    assert isinstance(html_attributes(**attributes), Markup)


def test_a_quote_in_a_safe_value_cannot_end_the_attribute():
    written = html_attributes(value=Markup('x" onfocus="alert(1)'), id="a")
    assert written == 'id="a" value="x&quot; onfocus=&quot;alert(1)"'
    assert written == html_params(value=Markup('x" onfocus="alert(1)'), id="a")


class _Plain(Form):
    """Every kind of field the cheaper widgets stand in for, with validation flags."""

    text = StringField(validators=[DataRequired(), Length(max=20)])
    email = EmailField(validators=[Optional()])
    hidden = HiddenField()
    tick = BooleanField(validators=[DataRequired()])
    secret = PasswordField()
    long_text = TextAreaField(validators=[Length(min=2, max=300)])
    with_kw = StringField(render_kw={"autocomplete": "name", "data_module": "x"})


class _Cheaper(_Plain):
    class Meta(CheaperWidgets):
        pass


render_kw = st.dictionaries(
    st.sampled_from(["class_", "rows", "aria_describedby", "autocomplete", "spellcheck", "value"]),
    values,
    max_size=4,
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(list(_Plain()._fields)), hostile_text), render_kw)
def test_each_field_renders_the_same_with_either_widget(typed, extra):
    plain, swapped = _Plain(MultiDict(typed)), _Cheaper(MultiDict(typed))
    plain.validate(), swapped.validate()  # errors and flags as a page shows them
    for name, field in plain._fields.items():
        other = swapped[name]
        assert type(other.widget) is CHEAPER[type(field.widget)]
        assert other() == field()
        assert other(**extra) == field(**extra)


def test_every_public_form_field_gets_a_cheaper_widget_where_there_is_one(app):
    from action_app.public.forms import LetterForm, SendForm
    from action_app.public.guarded_form import GuardedLetterForm

    with app.test_request_context("/", method="GET"):
        for form in (LetterForm(), GuardedLetterForm(), SendForm()):
            for field in form:
                kind = type(field.widget)
                assert kind not in CHEAPER, f"{field.name} kept WTForms' {kind.__name__}"
            assert type(form.csrf_token.widget) is CHEAPER[widgets.HiddenInput]


def test_a_widget_of_some_other_kind_is_left_alone():
    class Own(widgets.TextInput):  # a subclass may write something else: not swapped
        pass

    own, select = Own(), widgets.Select()
    assert cheaper(own) is own and cheaper(select) is select


@pytest.mark.parametrize("kind", list(CHEAPER))
def test_a_swapped_widget_keeps_its_settings(kind):
    original = kind()
    swapped = cheaper(original)
    assert type(swapped) is CHEAPER[kind] and swapped is not original
    assert vars(swapped) == vars(original)
    assert type(original) is kind  # the declaration's own widget is not changed
