"""A campaign's versions of its public text, subject and letter in other languages (Welsh).

In the campaign document they are one field, ``translations``: ``{"cy": {"title": ...,
"subject_template": ..., "body_template": ...}}``, with the same keys, limits and template checks
as the English fields. Any field a version leaves out is shown in English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from action_app.models.statuses import Language

# The campaign fields a version may translate (the rest, like the target, are the same in every
# language).
TRANSLATED = (
    "title",
    "summary",
    "intro_markdown",
    "subject_template",
    "body_template",
    "personal_prompt",
    "thank_you_text",
    "share_text",
)
OTHER_LANGUAGES = tuple(language.value for language in Language if language != Language.EN)


def parse_translations(
    value: Any,
    keys: Mapping[str, tuple[str, ...]],
    parsers: Mapping[str, Callable[[Any], Any]],
    check_template: Callable[[str], list[str]],
) -> dict:
    """Check a document's ``translations``; return {language: {field: value}} or raise
    ValueError naming every problem (the English fields' own parsers and template checks)."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValueError('must be an object like {"cy": {"title": "..."}}')
    parsed, problems = {}, []
    for language, version in value.items():
        if language not in OTHER_LANGUAGES:
            problems.append(f"{language!r} is not a language we offer (only cy, Welsh)")
            continue
        if not isinstance(version, dict):
            problems.append(f"{language}: must be an object of fields")
            continue
        parsed[language] = _parse_version(
            language, version, keys, parsers, check_template, problems
        )
    if problems:
        raise ValueError("; ".join(problems))
    return parsed


def _parse_version(language, version, keys, parsers, check_template, problems) -> dict:
    known = {key: name for name in TRANSLATED for key in keys[name]}
    result = {}
    for key, raw in version.items():
        name = known.get(key)
        if name is None:
            problems.append(f"{language}.{key}: not a field that can be translated")
            continue
        try:
            result[name] = parsers[name](raw)
        except ValueError as exc:
            problems.append(f"{language}.{key}: {exc}")
            continue
        if name in ("subject_template", "body_template") and result[name]:
            problems += [f"{language}.{key}: {p}" for p in check_template(result[name])]
    return {name: text for name, text in result.items() if text}
