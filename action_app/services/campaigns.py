"""Campaigns as JSON documents (SPEC §6): check, import (with a revision), export, and read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from action_app.extensions import db
from action_app.inputs import INTEGER_MAX, control_character
from action_app.models import NATIONS, Campaign, CampaignRevision, CampaignStatus, TargetType
from action_app.models.types import utcnow
from action_app.services.campaign_translations import parse_translations
from action_app.services.header_text import header_problem, subject_template_problems
from action_app.services.letter_templates import check_template
from action_app.services.pacing import parse_clock
from action_app.services.safeguards import parse_safeguards

UK = ZoneInfo("Europe/London")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")  # a plain host name
ORG_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Document key → model field. Each field has one documented key (first); the others are
# accepted so that documents written from the SPEC's wording import as they are.
FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "slug": ("slug",),
    "title": ("title",),
    "status": ("status",),
    "summary": ("summary",),
    "intro_markdown": ("intro", "intro_markdown"),
    "debate_at": ("debate_at", "debate_date", "debate_datetime"),
    "closes_at": ("closes_at", "closing_at", "closing_time"),
    "target": ("target",),
    "subject_template": ("subject_template", "subject"),
    "subject_alternatives": ("subject_alternatives", "subjects"),
    "body_template": ("body_template", "body"),
    "alternative": ("alternative", "alternative_message"),
    "reopens_at": ("reopens_at", "reopening_at"),
    "personal_prompt": ("personal_prompt", "personal_paragraph_prompt"),
    "body_editable": ("body_editable", "editable"),
    "require_confirmation": ("require_confirmation", "email_confirmation_required"),
    "thank_you_text": ("thank_you_text", "thank_you"),
    "share_text": ("share_text",),
    "organisations": ("organisations", "organizations"),
    "goal": ("goal",),
    "share_image_url": ("share_image_url", "share_image"),
    "embed_origins": ("embed_origins", "embed_sites"),
    "translations": ("translations",),
    "reply_check_days": ("reply_check_days",),
    "safeguards": ("safeguards",),
    "letters_per_mp_per_hour": ("letters_per_mp_per_hour",),
    "sending_hours": ("sending_hours",),
}
TEXT_LIMITS = {
    "title": 200,
    "summary": 2_000,
    "intro_markdown": 20_000,
    "personal_prompt": 1_000,
    "thank_you_text": 5_000,
    "share_text": 500,
}
REQUIRED = ("slug", "title", "subject_template", "body_template")


class CampaignInvalid(Exception):
    """Every problem as text, and (``by_field``) the same problems by model field name, so a
    form can show each beside its field."""

    def __init__(self, problems: list[str], by_field: dict[str, list[str]] | None = None):
        super().__init__("\n".join(problems))
        self.problems = problems
        self.by_field = by_field or {}


@dataclass
class ImportResult:
    campaign: Campaign
    created: bool
    changed_fields: list[str]
    warnings: list[str] = field(default_factory=list)


def parse_campaign_document(document: Any) -> tuple[dict, list[str]]:
    """Check a campaign document; return model values and warnings, or raise CampaignInvalid."""
    if not isinstance(document, dict):
        raise CampaignInvalid(["The document must be a JSON object."])
    known = {key for keys in FIELD_KEYS.values() for key in keys}
    warnings = [f"Ignored unknown field {key!r}." for key in document if key not in known]
    raw = {}
    for name, keys in FIELD_KEYS.items():
        for key in keys:
            if key in document:
                raw[name] = document[key]
                break
    by_field: dict[str, list[str]] = {
        name: [f"{name} is required."] for name in REQUIRED if not raw.get(name)
    }
    values: dict[str, Any] = {}
    for name, value in raw.items():
        control = _control_character_in(value)
        if control:
            # PostgreSQL's text refuses NUL, and no other control character belongs in a
            # campaign: say so beside the field rather than fail on saving.
            by_field.setdefault(name, []).append(
                f"{FIELD_KEYS[name][0]}: contains an invisible control character ({control}); "
                "delete it and save again"
            )
            continue
        try:
            values[name] = _FIELD_PARSERS[name](value)
        except ValueError as exc:
            by_field.setdefault(name, []).append(f"{FIELD_KEYS[name][0]}: {exc}")
    from action_app.services.letters import token_problems  # letters needs this module

    for name, label, source in _templates(values):
        problems = [str(p) for p in check_template(source)] or token_problems(source)
        by_field.setdefault(name, []).extend(f"{label}: {p}" for p in problems)
    for name, label, subject in _subject_lines(values):
        # A subject becomes an email header: it follows the header rule (issue 8 §1).
        by_field.setdefault(name, []).extend(
            f"{label}: {p}" for p in subject_template_problems(subject)
        )
    if isinstance(values.get("title"), str) and header_problem(values["title"]):
        by_field.setdefault("title", []).append(
            f"title: the title {header_problem(values['title'])} (it is in the From line)"
        )
    if values.get("target", {}).get("exclude") and not values.get("alternative"):
        by_field.setdefault("alternative", []).append(
            "alternative: MPs are excluded, so write the letter their constituents send instead"
        )
    by_field = {name: found for name, found in by_field.items() if found}
    if by_field:
        raise CampaignInvalid([p for found in by_field.values() for p in found], by_field)
    return values, warnings


def _control_character_in(value: Any) -> str | None:
    """The first control character in any text of a field's value (keys too), if any."""
    if isinstance(value, str):
        return control_character(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return next(filter(None, map(_control_character_in, value)), None)
    return None


def _templates(values: dict):
    """(field, label, source) of every template in the parsed values, to check each."""
    for name in ("subject_template", "body_template"):
        if isinstance(values.get(name), str):
            yield name, name, values[name]
    for index, subject in enumerate(values.get("subject_alternatives") or [], start=1):
        yield "subject_alternatives", f"subject_alternatives {index}", subject
    for key, source in (values.get("alternative") or {}).items():
        yield "alternative", f"alternative {key}", source


def _subject_lines(values: dict):
    """(field, label, source) of every subject line a letter may be given."""
    if isinstance(values.get("subject_template"), str):
        yield "subject_template", "subject_template", values["subject_template"]
    for index, subject in enumerate(values.get("subject_alternatives") or [], start=1):
        yield "subject_alternatives", f"subject_alternatives {index}", subject
    alternative_subject = (values.get("alternative") or {}).get("subject_template")
    if isinstance(alternative_subject, str):
        yield "alternative", "alternative subject_template", alternative_subject


def import_campaign(document: Any, author: str) -> ImportResult:
    """Create or update the campaign named by the document's slug, keeping a revision."""
    values, warnings = parse_campaign_document(document)
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == values["slug"]))
    created = campaign is None
    if created:
        campaign = Campaign(slug=values["slug"])
        db.session.add(campaign)
    changes = {}
    for name, value in values.items():
        before = None if created else getattr(campaign, name)
        if created or before != value:
            changes[name] = [_jsonable(before), _jsonable(value)]
            setattr(campaign, name, value)
    if changes:
        campaign.updated_at = utcnow()
        campaign.revisions.append(CampaignRevision(author=author, changes=changes))
    db.session.flush()
    return ImportResult(campaign, created, sorted(changes), warnings)


def export_campaign(campaign: Campaign) -> dict:
    """The campaign as a document that ``import_campaign`` takes back unchanged."""
    document = {}
    for name, keys in FIELD_KEYS.items():
        document[keys[0]] = _jsonable(getattr(campaign, name))
    return document


def get_campaign(slug: str) -> Campaign | None:
    """The campaign row with this slug, any status."""
    return db.session.scalar(select(Campaign).where(Campaign.slug == slug))


def list_live_campaigns() -> list[Campaign]:
    """Live campaigns that have not passed their closing time, soonest debate first."""
    now = utcnow()
    query = (
        select(Campaign)
        .where(Campaign.status == CampaignStatus.LIVE)
        .where((Campaign.closes_at.is_(None)) | (Campaign.closes_at > now))
        .order_by(Campaign.debate_at.is_(None), Campaign.debate_at, Campaign.title)
    )
    return list(db.session.scalars(query))


def in_uk_time(value: datetime | None) -> datetime | None:
    """A stored naive-UTC time, in UK time, for display."""
    return value.replace(tzinfo=UTC).astimezone(UK) if value else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat()
    return value


def _text_field(name: str):
    def parse(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("must be text")
        limit = TEXT_LIMITS.get(name)
        if limit and len(value) > limit:
            raise ValueError(f"is longer than {limit} characters")
        return value.strip() if name == "title" else value

    return parse


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not SLUG.match(value):
        raise ValueError("use lower-case letters, digits and hyphens (at most 80)")
    return value


def _status(value: Any) -> str:
    if value not in tuple(CampaignStatus):
        raise ValueError(f"must be one of {', '.join(CampaignStatus)}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _when(value: Any) -> datetime | None:
    """ISO 8601; a time without a zone is UK time. Stored as naive UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time, like 2026-12-10T14:30")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UK)
    try:
        stored = parsed.astimezone(UTC).replace(tzinfo=None)
        in_uk_time(stored)  # every page shows it in UK time
    except OverflowError:  # a zone moves it past the year 9999 or before the year 1
        raise ValueError(f"{value!r} is outside the dates that can be stored") from None
    return stored


def _reply_check_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
        raise ValueError("must be a whole number of days from 1 to 365")
    return value


def _email(value: Any) -> str:
    try:
        return validate_email(str(value), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an email address ({exc})") from None


def _target(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError('must be an object like {"type": "constituency_mp"}')
    kind = value.get("type")
    nations = value.get("nations") or []
    if not isinstance(nations, list) or any(n not in NATIONS for n in nations):
        raise ValueError(f"nations must be a list drawn from {', '.join(NATIONS)}")
    exclude = value.get("exclude") or []
    if not isinstance(exclude, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in exclude
    ):
        raise ValueError("exclude must be a list of MPs' Members API ids (whole numbers)")
    beyond = [i for i in exclude if not 0 < i <= INTEGER_MAX]  # no MP has it; nor can the table
    if beyond:
        raise ValueError(f"exclude: {beyond[0]} is not an MP's Members API id")
    if kind == TargetType.CONSTITUENCY_MP:
        result = {"type": kind, "nations": nations}
        if exclude:
            result["exclude"] = sorted(set(exclude))
        if value.get("also") not in (None, "", {}):
            result["also"] = _recipient(value["also"], "also")
        return result
    if kind == TargetType.FIXED:
        if value.get("also") not in (None, "", {}):
            raise ValueError("also is only for letters to each supporter's MP")
        return {"type": kind, **_recipient(value, "a fixed target"), "nations": nations}
    raise ValueError('type must be "constituency_mp" or "fixed"')


def _recipient(value: Any, what: str) -> dict:
    """A fixed recipient's name and email, both of which reach the To header, so both follow
    the header rule."""
    if not isinstance(value, dict):
        raise ValueError(f'{what} must be an object like {{"name": ..., "email": ...}}')
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{what} needs a name")
    name = name.strip()
    if len(name) > 200:
        raise ValueError(f"{what}: the name is longer than 200 characters")
    if header_problem(name):
        raise ValueError(f"{what}: the name {header_problem(name)} (it is in the To line)")
    raw_email = value.get("email")
    if isinstance(raw_email, str) and header_problem(raw_email):
        raise ValueError(f"{what}: the email address {header_problem(raw_email)}")
    if raw_email in (None, ""):
        raise ValueError(f"{what} needs an email address")
    return {"name": name, "email": _email(raw_email)}


def _subjects(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ValueError("must be a list of subject lines")
    subjects = [s.strip() for s in value if s.strip()]
    if len(subjects) > 20 or any(len(s) > 300 for s in subjects):
        raise ValueError("at most 20 subject lines, each at most 300 characters")
    return subjects


def _alternative(value: Any) -> dict:
    if value in (None, "", {}):
        return {}
    if not isinstance(value, dict) or set(value) - {"subject_template", "body_template"}:
        raise ValueError('must be {"subject_template": ..., "body_template": ...}')
    subject, body = value.get("subject_template") or "", value.get("body_template") or ""
    if not isinstance(subject, str) or not isinstance(body, str):
        raise ValueError("its templates must be text")
    if not subject.strip() or not body.strip():
        raise ValueError("needs both a subject_template and a body_template")
    return {"subject_template": subject, "body_template": body}


def _organisations(value: Any) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValueError("must be a list of organisations")
    result, seen = [], set()
    for index, org in enumerate(value, start=1):
        if not isinstance(org, dict) or not str(org.get("name") or "").strip():
            raise ValueError(f"organisation {index} needs a name")
        slug = str(org.get("slug") or "").strip()
        if not ORG_SLUG.match(slug) or slug in seen:
            raise ValueError(f"organisation {index} needs a unique slug (lower-case, hyphens)")
        seen.add(slug)
        privacy = str(org.get("privacy_url") or "").strip()
        if privacy and not privacy.startswith(("https://", "http://")):
            raise ValueError(f"organisation {index}: privacy_url must be a web address")
        entry = {
            "slug": slug,
            "name": str(org["name"]).strip()[:200],
            "statement": str(org.get("statement") or "").strip()[:1000],
            "privacy_url": privacy,
        }
        logo = str(org.get("logo_url") or "").strip()
        if logo:
            entry["logo_url"] = _https_url(logo, f"organisation {index}: logo_url")
        result.append(entry)
    return result


def _https_url(value: Any, what: str = "") -> str:
    """An https address of at most 500 characters (images are fetched by browsers and by
    link previews, so plain http is refused)."""
    text = str(value or "").strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        parts = urlsplit("")
    host = parts.hostname or ""
    if parts.scheme != "https" or not HOST.match(host) or len(text) > 500 or " " in text:
        raise ValueError(f"{what + ' ' if what else ''}must be an https:// address".strip())
    return text


def _share_image(value: Any) -> str:
    return _https_url(value) if value not in (None, "") else ""


def _goal(value: Any) -> int | None:
    if value in (None, "", 0):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 100_000_000:
        raise ValueError("must be a whole number of letters, more than 0")
    return value


def _embed_origins(value: Any) -> list[str]:
    """Partner sites allowed to frame the campaign, each an https origin like
    https://partner.example (no path): CSP frame-ancestors takes nothing else safely."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValueError("must be a list of https:// site addresses")
    origins = []
    for item in value:
        try:
            parts = urlsplit(str(item).strip().rstrip("/"))
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            parts, port = None, ""
        # Plain http only for this machine (a partner's site being built, and the tests).
        secure = parts is not None and (
            parts.scheme == "https"
            or (parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1"))
        )
        # The origin goes into a CSP header: only a plain host name may, nothing that could end
        # the directive (";", spaces, quotes) or widen it ("*").
        host = parts.hostname if parts is not None else None
        if not secure or not host or not HOST.match(host) or parts.path or parts.query:
            raise ValueError(f"{item!r} must be a site address like https://partner.example")
        if parts.username or parts.password or parts.fragment:
            raise ValueError(f"{item!r} must be a site address like https://partner.example")
        origin = f"{parts.scheme}://{host}{port}"
        if origin not in origins:
            origins.append(origin)
    return origins


def _per_hour(value: Any) -> int | None:
    if value in (None, 0):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise ValueError("must be a whole number of letters from 1 to 10000, or null for no limit")
    return value


def _sending_hours(value: Any) -> dict | None:
    """{"from": "09:00", "to": "17:30"} in UK time; "to" may be earlier, for overnight."""
    if value in (None, "", {}):
        return None
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        raise ValueError('must be like {"from": "09:00", "to": "17:30"} (UK time), or null')
    try:
        opens, closes = parse_clock(value["from"]), parse_clock(value["to"])
    except ValueError as exc:
        raise ValueError(f"{exc} (use 24-hour HH:MM)") from None
    if opens == closes:
        raise ValueError('"from" and "to" must differ')
    return {"from": f"{opens:%H:%M}", "to": f"{closes:%H:%M}"}


_FIELD_PARSERS = {
    "slug": _slug,
    "title": _text_field("title"),
    "status": _status,
    "summary": _text_field("summary"),
    "intro_markdown": _text_field("intro_markdown"),
    "debate_at": _when,
    "closes_at": _when,
    "target": _target,
    "subject_template": _text_field("subject_template"),
    "subject_alternatives": _subjects,
    "body_template": _text_field("body_template"),
    "alternative": _alternative,
    "reopens_at": _when,
    "personal_prompt": _text_field("personal_prompt"),
    "body_editable": _boolean,
    "require_confirmation": _boolean,
    "thank_you_text": _text_field("thank_you_text"),
    "share_text": _text_field("share_text"),
    "organisations": _organisations,
    "goal": _goal,
    "share_image_url": _share_image,
    "embed_origins": _embed_origins,
    "translations": lambda value: parse_translations(
        value, FIELD_KEYS, _FIELD_PARSERS, check_template
    ),
    "reply_check_days": _reply_check_days,
    "safeguards": parse_safeguards,
    "letters_per_mp_per_hour": _per_hour,
    "sending_hours": _sending_hours,
}
