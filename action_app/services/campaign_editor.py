"""The campaign editor's door into the campaign service: the same document, the same checks and
the same revisions as ``action-app campaigns import`` (services/campaigns.py), reached from a form.

A form is turned into a campaign document and handed to ``import_campaign``; nothing here checks
a field itself, so the editor and the JSON import cannot disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from action_app.extensions import db
from action_app.inputs import database_id
from action_app.models import NATIONS, Campaign, CampaignRevision, Member
from action_app.registry import current_registry
from action_app.services import audit
from action_app.services.campaigns import (
    FIELD_KEYS,
    SLUG,
    CampaignInvalid,
    ImportResult,
    export_campaign,
    import_campaign,
    in_uk_time,
)

TEXT_FIELDS = (
    "slug", "title", "status", "summary", "intro_markdown", "subject_template", "body_template",
    "personal_prompt", "thank_you_text", "share_text",
)  # fmt: skip
FLAGS = ("body_editable", "require_confirmation")
WHEN = ("debate_at", "closes_at", "reopens_at")


def document_from_form(form) -> dict:
    """A campaign document from the editor's fields (a MultiDict), exactly as typed."""
    document: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    for name in FLAGS:
        document[name] = form.get(name) in ("y", "on", "true", "1")
    for name in WHEN:
        document[name] = form.get(name, "").strip() or None
    target: dict[str, Any] = {
        "type": form.get("target_type") or "constituency_mp",
        "nations": [n for n in form.getlist("nations") if n in NATIONS],
    }
    if target["type"] == "fixed":
        target["name"] = form.get("target_name", "")
        target["email"] = form.get("target_email", "")
    also = {"name": form.get("also_name", ""), "email": form.get("also_email", "")}
    if any(v.strip() for v in also.values()):
        target["also"] = also
    exclude = form.get("exclude", "").replace(",", " ").split()
    if exclude:
        # Anything that cannot be an id is passed on as typed, for the service to refuse.
        target["exclude"] = [database_id(i) or i for i in exclude]
    document["target"] = target
    document["subject_alternatives"] = [
        line for line in form.get("subject_alternatives", "").splitlines() if line.strip()
    ]
    alternative = {
        "subject_template": form.get("alternative_subject", ""),
        "body_template": form.get("alternative_body", ""),
    }
    document["alternative"] = alternative if any(v.strip() for v in alternative.values()) else {}
    document["organisations"] = _organisations_from_text(form.get("organisations", ""))
    return {_key(name): value for name, value in document.items()}


def form_values(document: dict) -> dict:
    """The editor's field values for a document (the reverse of ``document_from_form``)."""
    values = {name: document.get(_key(name)) or "" for name in TEXT_FIELDS}
    for name in FLAGS:
        values[name] = bool(document.get(_key(name)))
    for name in WHEN:
        values[name] = _local_input(document.get(_key(name)))
    target = document.get("target") or {}
    values["target_type"] = target.get("type", "constituency_mp")
    values["target_name"] = target.get("name", "")
    values["target_email"] = target.get("email", "")
    values["nations"] = list(target.get("nations") or [])
    values["also_name"] = (target.get("also") or {}).get("name", "")
    values["also_email"] = (target.get("also") or {}).get("email", "")
    values["organisations"] = _organisations_to_text(document.get("organisations") or [])
    values["exclude"] = " ".join(str(i) for i in target.get("exclude") or [])
    values["subject_alternatives"] = "\n".join(document.get("subject_alternatives") or [])
    alternative = document.get("alternative") or {}
    values["alternative_subject"] = alternative.get("subject_template", "")
    values["alternative_body"] = alternative.get("body_template", "")
    return values


def campaign_form_values(campaign: Campaign) -> dict:
    """The editor's field values for a saved campaign."""
    return form_values(export_campaign(campaign))


def create_campaign(document: dict, author: str) -> ImportResult:
    """A new campaign from the editor: a slug already in use is a problem, never an update."""
    slug = document.get("slug")
    if (
        isinstance(slug, str)
        and SLUG.match(slug)
        and db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    ):
        raise CampaignInvalid(
            [f"slug: {slug} is already used"],
            {"slug": [f"slug: {slug} is already used by another campaign"]},
        )
    return record_saved(import_campaign(document, author), "campaign_saved")


def update_campaign(campaign: Campaign, document: dict, author: str) -> ImportResult:
    """Save the editor's document over this campaign (its slug cannot change here)."""
    document = {**document, "slug": campaign.slug}
    return record_saved(import_campaign(document, author), "campaign_saved")


def set_status(campaign: Campaign, status: str, author: str) -> ImportResult:
    """Publish, pause, close or reopen, as a revision like any other change."""
    document = {**export_campaign(campaign), "status": status}
    return record_saved(import_campaign(document, author), "campaign_status")


def clone_campaign(campaign: Campaign, slug: str, author: str) -> ImportResult:
    """A draft copy under a new slug."""
    document = {
        **export_campaign(campaign),
        "slug": slug,
        "status": "draft",
        "title": f"Copy of {campaign.title}"[:200],
    }
    return create_campaign(document, author)


def document_at(campaign: Campaign, revision_id: int) -> dict:
    """The campaign document as it was right after a revision."""
    state: dict[str, Any] = {}
    for revision in campaign.revisions:
        for name, (_before, after) in (revision.changes or {}).items():
            state[name] = after
        if revision.id == revision_id:
            return {_key(name): value for name, value in state.items()}
    raise LookupError(revision_id)


def restore_revision(campaign: Campaign, revision_id: int, author: str) -> ImportResult:
    """Make the campaign what it was after that revision; the restore is a new revision."""
    document = {**export_campaign(campaign), **document_at(campaign, revision_id)}
    document["slug"] = campaign.slug
    result = import_campaign(document, author)
    return record_saved(result, "campaign_restored", {"revision": revision_id})


def revisions(campaign: Campaign) -> list[CampaignRevision]:
    """Newest first."""
    return list(reversed(campaign.revisions))


def record_saved(result: ImportResult, action: str, extra: dict | None = None) -> ImportResult:
    """Audit a save that changed something, and forget cached copies of the campaign."""
    if result.changed_fields:
        audit.record(
            action,
            result.campaign.slug,
            details={"fields": result.changed_fields, **(extra or {})},
        )
    forget_cached(result.campaign)
    return result


def forget_cached(_campaign: Campaign) -> None:
    """This process's copies of campaigns and pages; other processes catch up in seconds."""
    registry = current_registry()
    for cache in (registry.campaign_cache, registry.page_cache, registry.response_cache):
        cache.clear()


def _key(name: str) -> str:
    return FIELD_KEYS[name][0]


def _local_input(value) -> str:
    """A stored time (ISO, with its zone) as the UK-time value of a datetime-local input;
    a value typed without a zone is already UK time and is kept as typed."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value
    if parsed.tzinfo is None and isinstance(value, str):
        return value
    try:
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return in_uk_time(parsed).strftime("%Y-%m-%dT%H:%M")
    except OverflowError:  # a time typed with a zone that moves it out of range (refused)
        return value


def _organisations_from_text(text: str) -> list[dict]:
    """One organisation a line: slug | name | statement | privacy address."""
    result = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")] + ["", "", "", ""]
        result.append(
            {"slug": parts[0], "name": parts[1], "statement": parts[2], "privacy_url": parts[3]}
        )
    return result


def _organisations_to_text(organisations: list[dict]) -> str:
    return "\n".join(
        " | ".join(
            str(org.get(key) or "") for key in ("slug", "name", "statement", "privacy_url")
        ).rstrip(" |")
        for org in organisations
    )


def members_named(member_ids: list[int]) -> list[Member]:
    """The MPs with these ids, for showing an exclusion list by name."""
    if not member_ids:
        return []
    return list(
        db.session.scalars(select(Member).where(Member.id.in_(member_ids)).order_by(Member.id))
    )
