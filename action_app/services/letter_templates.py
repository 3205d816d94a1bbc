"""Campaign letter templates: a small, checked subset of Jinja, rendered in a sandbox.

Staff write ``{{ mp.name }}`` and ``{% if mp.party == "Labour" %}…{% endif %}``; nothing else can
reach a template. ``check_template`` walks the parsed template and refuses, with the line and the
reason, any placeholder outside ``PLACEHOLDERS``, any call, loop, assignment, import or attribute
that is not a placeholder, before it is saved. A trial render then catches what parsing cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import has_app_context
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from action_app.inputs import control_character

# The placeholders of SPEC §6, plus constituency.nation (for a paragraph per nation) and
# supporter.personal_paragraph (marks where the supporter's own words go).
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "mp": frozenset({"name", "address_as", "party"}),
    "constituency": frozenset({"name", "nation"}),
    "supporter": frozenset({"name", "first_name", "address", "postcode", "personal_paragraph"}),
    "campaign": frozenset({"title", "debate_date"}),
}
ALLOWED_FILTERS = frozenset({"upper", "lower", "title", "capitalize", "trim", "default"})
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "eq", "ne", "in"})
MAX_TEMPLATE_LENGTH = 20_000

_PLAIN_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.If,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.CondExpr,
    nodes.Concat,
    nodes.List,
    nodes.Tuple,
)

_environment = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
)


@dataclass(frozen=True)
class TemplateProblem:
    line: int | None
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


class TemplateRefused(Exception):
    def __init__(self, problems: list[TemplateProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def check_template(source: str) -> list[TemplateProblem]:
    """Every reason this template may not be used, each with its line; empty means it is fine."""
    if len(source) > MAX_TEMPLATE_LENGTH:
        return [TemplateProblem(None, f"longer than {MAX_TEMPLATE_LENGTH} characters")]
    problems = check_template_structure(source)
    if problems:
        return problems
    for context in sample_contexts():
        if (problem := _trial(source, context)) is not None:
            return [TemplateProblem(None, problem)]
    return _fails_for_mps(source)


def _trial(source: str, context: dict) -> str | None:
    """Why this render of the template cannot be a letter, or None."""
    try:
        text = render_template_text(source, context)
    except Exception as exc:  # the sandbox raises many kinds; each means "refuse"
        return f"cannot be rendered: {exc}"
    # What no letter may contain, however it is written ({{ "\x00" }} too).
    if (character := control_character(text)) is not None:
        return f"writes an invisible control character ({character})"
    return None


def _fails_for_mps(source: str, most: int = 3) -> list[TemplateProblem]:
    """The template written for every sitting MP in the directory as it is now: a branch on
    one MP's name or party that no sample takes is refused on saving, naming whom it fails for,
    rather than reaching that MP's constituents as a page that cannot show their letter. (Every
    seat's MP is tried, whatever the campaign's target: a cheap over-check.)"""
    failing: list[str] = []
    reason = ""
    for who, context in _directory_contexts():
        if (problem := _trial(source, context)) is not None:
            failing.append(who)
            reason = reason or problem
    if not failing:
        return []
    named = "; ".join(failing[:most]) + (
        f" and {len(failing) - most} more" if len(failing) > most else ""
    )
    return [TemplateProblem(None, f"{reason}, for {named}")]


def _directory_contexts() -> list[tuple[str, dict]]:
    """(who, trial values) for each sitting MP in this process's directory snapshot; none
    outside an app, or before any MP is loaded (the samples alone are checked then)."""
    from action_app.services import lookup  # lookup's modules need this one

    if not has_app_context():
        return []
    try:
        seats = lookup.list_seats()
    except lookup.DirectoryEmpty:
        return []
    contexts = []
    for seat in seats:
        member = seat.member
        if member is None:
            continue
        context = sample_context()
        context["mp"] = {
            "name": member.display_name,
            "address_as": member.address_as,
            "party": member.party_name or "",
        }
        context["constituency"] = {"name": seat.name, "nation": seat.nation or ""}
        contexts.append((f"{member.display_name} ({seat.name})", context))
    return contexts


def sample_contexts() -> list[dict]:
    """Trial values for every branch a template can take on what varies between letters: each
    nation, and a supporter who wrote their own words or did not (a real letter always has the
    slot for them). A template that renders for all of them renders for every supporter."""
    contexts = []
    for nation in ("England", "Scotland", "Wales", "Northern Ireland"):
        for words in ("", "In my own words."):
            context = sample_context()
            context["constituency"]["nation"] = nation
            context["supporter"]["personal_paragraph"] = words
            contexts.append(context)
    return contexts


def _walk(node: nodes.Node, problems: list[TemplateProblem]) -> None:
    line = getattr(node, "lineno", None)
    if isinstance(node, nodes.Getattr):
        base = node.node
        if not isinstance(base, nodes.Name):
            problems.append(TemplateProblem(line, "only placeholders like mp.name may be used"))
            return
        allowed = PLACEHOLDERS.get(base.name)
        if allowed is None or node.attr not in allowed:
            problems.append(TemplateProblem(line, f"unknown placeholder {base.name}.{node.attr}"))
        return
    if isinstance(node, nodes.Name):
        problems.append(TemplateProblem(line, f"unknown placeholder {node.name}"))
        return
    if isinstance(node, nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            problems.append(TemplateProblem(line, f"the filter {node.name!r} is not allowed"))
            return
    elif isinstance(node, nodes.Test):
        if node.name not in ALLOWED_TESTS:
            problems.append(TemplateProblem(line, f"the test {node.name!r} is not allowed"))
            return
    elif not isinstance(node, _PLAIN_NODES):
        problems.append(TemplateProblem(line, f"{_describe(node)} is not allowed in a letter"))
        return
    for child in node.iter_child_nodes():
        _walk(child, problems)


def _describe(node: nodes.Node) -> str:
    names = {
        nodes.Call: "calling a function",
        nodes.For: "a loop",
        nodes.Assign: "setting a variable",
        nodes.AssignBlock: "setting a variable",
        nodes.Include: "including another template",
        nodes.Import: "importing",
        nodes.FromImport: "importing",
        nodes.Extends: "extending another template",
        nodes.Macro: "a macro",
        nodes.Block: "a block",
        nodes.Getitem: "indexing with [ ]",
    }
    for kind, text in names.items():
        if isinstance(node, kind):
            return text
    return f"'{type(node).__name__}'"


def sample_context() -> dict:
    """Values for a trial render, shaped exactly like the real ones."""
    return letter_context(
        mp_name="Alex Example MP",
        mp_address_as="Alex Example",
        mp_party="Example Party",
        constituency_name="Exampleton",
        constituency_nation="England",
        supporter_name="Sam Supporter",
        supporter_address="1 Example Street\nExampleton",
        supporter_postcode="SW1A 1AA",
        campaign_title="Example campaign",
        campaign_debate_date="Thursday 10 December 2026",
        personal_paragraph="",
    )


def letter_context(
    *,
    mp_name: str,
    mp_address_as: str,
    mp_party: str,
    constituency_name: str,
    constituency_nation: str,
    supporter_name: str,
    supporter_address: str,
    supporter_postcode: str,
    campaign_title: str,
    campaign_debate_date: str,
    personal_paragraph: str,
) -> dict:
    """The only values a template can see."""
    return {
        "mp": {"name": mp_name, "address_as": mp_address_as, "party": mp_party},
        "constituency": {"name": constituency_name, "nation": constituency_nation},
        "supporter": {
            "name": supporter_name,
            "first_name": first_name(supporter_name),
            "address": supporter_address,
            "postcode": supporter_postcode,
            "personal_paragraph": personal_paragraph,
        },
        "campaign": {"title": campaign_title, "debate_date": campaign_debate_date},
    }


def first_name(name: str) -> str:
    """The first word of a name ("Sam" of "Sam Smith"); empty for a blank name."""
    words = name.split()
    return words[0] if words else ""


@lru_cache(maxsize=256)
def _compiled(source: str):
    problems = check_template_structure(source)
    if problems:
        raise TemplateRefused(problems)
    return _environment.from_string(source)


def check_template_structure(source: str) -> list[TemplateProblem]:
    """The parse-and-walk part of ``check_template``, without the trial render."""
    try:
        tree = _environment.parse(source)
    except TemplateSyntaxError as exc:
        return [TemplateProblem(exc.lineno, f"syntax error: {exc.message}")]
    problems: list[TemplateProblem] = []
    _walk(tree, problems)
    return problems


class TemplateFailed(Exception):
    """A saved template could not be written for these values: a branch no trial render took
    (``{% if mp.name == "…" %}``). The page says so (web.py), never a bare 500."""


def render_template_text(source: str, context: dict) -> str:
    """Render a checked template; a template that was never checked is checked first."""
    template = _compiled(source)
    try:
        return template.render(context)
    except Exception as exc:  # the sandbox raises many kinds; each means "cannot be written"
        raise TemplateFailed(f"{type(exc).__name__}: {exc}") from exc
