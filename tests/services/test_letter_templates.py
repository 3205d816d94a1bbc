"""Campaign templates: only the placeholders, refused with line and reason, never escaping."""

import pytest

from action_app.services.campaigns import CampaignInvalid, parse_campaign_document
from action_app.services.letter_templates import (
    check_template,
    letter_context,
    render_template_text,
    sample_context,
)
from tests.conftest import CAMPAIGN_DOCUMENT


@pytest.mark.parametrize(
    "template",
    [
        "Dear {{ mp.name }}, from {{ supporter.first_name }} in {{ constituency.name }}",
        "{{ mp.address_as }} {{ mp.party }} {{ supporter.name }} {{ supporter.address }}",
        "{{ supporter.postcode }} {{ campaign.title }} {{ campaign.debate_date }}",
        '{% if mp.party == "Labour" %}Comrade{% elif mp.party in ["Conservative", "Reform UK"] %}'
        "Sir{% else %}Friend{% endif %}",
        '{% if constituency.nation != "England" %}Devolved too.{% endif %}',
        "{{ mp.name | upper }} {{ supporter.name | default('friend') }}",
        "{{ supporter.personal_paragraph }}",
        "Plain text with no placeholders at all.",
    ],
)
def test_allowed_templates(template):
    assert check_template(template) == []


@pytest.mark.parametrize(
    ("template", "line", "reason"),
    [
        ("Dear {{ mp.salary }}", 1, "unknown placeholder mp.salary"),
        (
            "Line one\n\n{{ supporter.bank_details }}",
            3,
            "unknown placeholder supporter.bank_details",
        ),
        ("{{ config }}", 1, "unknown placeholder config"),
        ("{{ self }}", 1, "unknown placeholder self"),
        ("{{ ''.__class__.__mro__ }}", 1, "only placeholders like mp.name may be used"),
        ("{{ mp.name.__class__ }}", 1, "only placeholders like mp.name may be used"),
        ("{{ mp.name.upper() }}", 1, "calling a function is not allowed"),
        ("{{ cycler.__init__.__globals__ }}", 1, "only placeholders like mp.name may be used"),
        ("{{ lipsum.__globals__['os'] }}", 1, "indexing with [ ] is not allowed"),
        ("{% for x in mp %}{{ x }}{% endfor %}", 1, "a loop is not allowed"),
        ("{% set x = 1 %}", 1, "setting a variable is not allowed"),
        ("{% include 'base.html' %}", 1, "including another template is not allowed"),
        ("{% extends 'base.html' %}", 1, "extending another template is not allowed"),
        ("{% import 'x' as y %}", 1, "importing is not allowed"),
        ("{% macro m() %}x{% endmacro %}", 1, "a macro is not allowed"),
        ("{{ mp.name | attr('__class__') }}", 1, "the filter 'attr' is not allowed"),
        ("{{ mp['name'] }}", 1, "indexing with [ ] is not allowed"),
        ("Dear {{ mp.name }\n", 1, "syntax error"),
        ("ok\n{% if mp.name %}\nunclosed", 2, "syntax error: Unexpected end of template"),
    ],
)
def test_refused_templates_say_where_and_why(template, line, reason):
    problems = check_template(template)
    assert problems, template
    assert problems[0].line == line
    assert reason in problems[0].reason


def test_an_overlong_template_is_refused():
    assert "longer than" in check_template("x" * 20_001)[0].reason


def test_rendering_never_reaches_python_objects():
    context = letter_context(**{**sample_context_kwargs(), "mp_name": "{{ 7*7 }}"})
    assert render_template_text("{{ mp.name }}", context) == "{{ 7*7 }}"


def sample_context_kwargs():
    context = sample_context()
    return {
        "mp_name": context["mp"]["name"],
        "mp_address_as": context["mp"]["address_as"],
        "mp_party": context["mp"]["party"],
        "constituency_name": context["constituency"]["name"],
        "constituency_nation": context["constituency"]["nation"],
        "supporter_name": context["supporter"]["name"],
        "supporter_address": context["supporter"]["address"],
        "supporter_postcode": context["supporter"]["postcode"],
        "campaign_title": context["campaign"]["title"],
        "campaign_debate_date": context["campaign"]["debate_date"],
        "personal_paragraph": "",
    }


def test_a_campaign_document_with_template_injection_is_refused():
    document = {
        **CAMPAIGN_DOCUMENT,
        "subject_template": "{{ request.environ }}",
        "body_template": "Hi\n{{ ''.__class__.__mro__[1].__subclasses__() }}",
    }
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign_document(document)
    problems = caught.value.problems
    assert "subject_template: line 1: unknown placeholder request" in problems[0]
    assert problems[1].startswith("body_template: line 2:")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slug", "Not A Slug", "slug: use lower-case letters"),
        ("status", "open", "status: must be one of draft, live, paused, closed"),
        ("debate_at", "next Tuesday", "debate_at: 'next Tuesday' is not an ISO 8601"),
        ("target", {"type": "fixed", "name": "Minister"}, "target:"),
        ("target", {"type": "constituency_mp", "nations": ["Mars"]}, "nations must be a list"),
        ("body_editable", "yes", "body_editable: must be true or false"),
        ("title", "", "title is required."),
        ("organisations", [{"name": "No slug"}], "organisation 1 needs a unique slug"),
    ],
)
def test_campaign_documents_are_checked_field_by_field(field, value, message):
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign_document({**CAMPAIGN_DOCUMENT, field: value})
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_unknown_fields_are_warned_about_not_fatal():
    values, warnings = parse_campaign_document({**CAMPAIGN_DOCUMENT, "colour": "red"})
    assert values["slug"] == "test-campaign"
    assert warnings == ["Ignored unknown field 'colour'."]


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        # A real letter always has the slot for the supporter's words: that branch is tried.
        (
            "{% if supporter.personal_paragraph %}{{ supporter.personal_paragraph|trim(5) }}"
            "{% endif %}",
            "cannot be rendered",
        ),
        # So is every nation's.
        (
            "{% if constituency.nation == 'Wales' %}{{ supporter.postcode < 5 }}{% endif %}",
            "cannot be rendered",
        ),
        # What a template writes may hold no control character, however it is written.
        ('Dear {{ mp.name }}{{ "\\x00" }}', "writes an invisible control character (U+0000)"),
    ],
)
def test_a_template_is_tried_on_every_branch_a_supporter_can_take(template, reason):
    (problem,) = check_template(template)
    assert problem.reason.startswith(reason), problem


@pytest.mark.parametrize(
    "subject",
    ['Library {{ "\\u202e" }}gnivas', '{{ "=" }}?utf-8?q?Free_books?{{ "=" }}'],
)
def test_a_subject_is_checked_as_it_is_written_not_only_as_it_is_typed(subject):
    """A bidi override or an encoded word written by the template is refused at save like
    one typed into it: the subject is an email header."""
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign_document({**CAMPAIGN_DOCUMENT, "subject_template": subject})
    assert "the subject it writes must not contain" in caught.value.problems[0]


def test_a_supporters_detail_cannot_be_changed_by_a_filter():
    """In a letter supporters edit their details are placeholders filled in on sending: a
    filter would change the placeholder, which would then reach the MP as "[YOUR NAME]"."""
    body = CAMPAIGN_DOCUMENT["body_template"] + "\n{{ supporter.name|upper }}"
    with pytest.raises(CampaignInvalid) as caught:
        parse_campaign_document({**CAMPAIGN_DOCUMENT, "body_template": body})
    assert "can only be used as it is" in caught.value.problems[0]
