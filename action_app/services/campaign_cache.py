"""Read-only, per-process copies of campaigns for the public pages.

The campaign page is the one every supporter lands on, often all at once after an email blast; it
renders from this copy (reloaded every few seconds), so it needs no database query per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from action_app.extensions import db
from action_app.memo import TtlLru
from action_app.models import Campaign, CampaignStatus, TargetType
from action_app.models.types import utcnow
from action_app.registry import current_registry
from action_app.services.campaign_translations import TRANSLATED
from action_app.services.campaigns import SLUG, get_campaign, in_uk_time
from action_app.services.markdown import render_markdown

_MISSING = object()


@dataclass(frozen=True)
class CampaignSnapshot:
    """A campaign as the public pages and the workers read it: a frozen copy, safe to share
    between requests, with the intro already rendered and the debate time in UK time."""

    id: int
    slug: str
    title: str
    status: CampaignStatus
    summary: str
    intro_html: str
    debate_at: datetime | None  # UK time
    closes_at_utc: datetime | None
    target: dict
    subject_template: str
    body_template: str
    personal_prompt: str
    body_editable: bool
    require_confirmation: bool
    thank_you_text: str
    share_text: str
    organisations: tuple[dict, ...]
    updated_at: datetime
    goal: int | None = None
    share_image_url: str = ""
    embed_origins: tuple[str, ...] = ()
    # Other languages' versions, {"cy": {field: text}}, with the intro already rendered.
    translations: dict = field(default_factory=dict)
    subject_alternatives: tuple[str, ...] = ()
    alternative: dict | None = None
    reopens_at: datetime | None = None  # UK time
    safeguards: dict = field(default_factory=dict)  # see services/safeguards.py
    letters_per_mp_per_hour: int | None = None
    sending_hours: dict | None = None

    def excluded(self, member_id: int | None) -> bool:
        """Whether this MP's constituents get the alternative letter."""
        return member_id is not None and member_id in (self.target.get("exclude") or ())

    @property
    def nations(self) -> list[str]:
        return list(self.target.get("nations") or [])

    def excludes(self, nation: str | None) -> bool:
        """True if the campaign is open to some nations only and this one, known, is not
        among them (an unknown nation gets the benefit of the doubt)."""
        nations = self.nations
        return bool(nations) and nation is not None and nation not in nations

    @property
    def fixed_target(self) -> dict | None:
        return self.target if self.target.get("type") == TargetType.FIXED else None

    @property
    def copy_target(self) -> dict | None:
        """The fixed recipient who gets a copy of each letter to an MP ({"name", "email"})."""
        return self.target.get("also") or None

    def current_status(self) -> CampaignStatus:
        """Live, paused, closed or draft, counting the closing time."""
        closed = self.closes_at_utc is not None and self.closes_at_utc <= utcnow()
        if self.status == CampaignStatus.LIVE and closed:
            return CampaignStatus.CLOSED
        return self.status


def campaign_snapshot(campaign: Campaign) -> CampaignSnapshot:
    """The snapshot of a campaign row."""
    return CampaignSnapshot(
        id=campaign.id,
        slug=campaign.slug,
        title=campaign.title,
        status=CampaignStatus(campaign.status),
        summary=campaign.summary or "",
        intro_html=render_markdown(campaign.intro_markdown or ""),
        debate_at=in_uk_time(campaign.debate_at),
        closes_at_utc=campaign.closes_at,
        target=dict(campaign.target or {}),
        subject_template=campaign.subject_template,
        body_template=campaign.body_template,
        personal_prompt=campaign.personal_prompt or "",
        body_editable=campaign.body_editable,
        require_confirmation=campaign.require_confirmation,
        thank_you_text=campaign.thank_you_text or "",
        share_text=campaign.share_text or "",
        organisations=tuple(campaign.organisations or ()),
        updated_at=campaign.updated_at,
        goal=campaign.goal,
        share_image_url=campaign.share_image_url or "",
        embed_origins=tuple(campaign.embed_origins or ()),
        translations=_rendered_translations(campaign.translations or {}),
        subject_alternatives=tuple(campaign.subject_alternatives or ()),
        alternative=dict(campaign.alternative or {}) or None,
        reopens_at=in_uk_time(campaign.reopens_at),
        safeguards=dict(campaign.safeguards or {}),
        letters_per_mp_per_hour=campaign.letters_per_mp_per_hour,
        sending_hours=dict(campaign.sending_hours) if campaign.sending_hours else None,
    )


def _rendered_translations(translations: dict) -> dict:
    rendered = {}
    for language, version in translations.items():
        fields = {k: v for k, v in version.items() if k in TRANSLATED and k != "intro_markdown"}
        if version.get("intro_markdown"):
            fields["intro_html"] = render_markdown(version["intro_markdown"])
        rendered[language] = fields
    return rendered


def localized(campaign: CampaignSnapshot, language: str | None) -> CampaignSnapshot:
    """The campaign as a supporter reading ``language`` sees it: the campaign's own version of
    each text where it gives one, English where not."""
    version = campaign.translations.get(str(language or "")) if campaign.translations else None
    return replace(campaign, **version) if version else campaign


class CampaignCache:
    """Snapshots by slug and by id, each kept for ``ttl_seconds`` (a missing campaign too)."""

    def __init__(self, ttl_seconds: float = 10.0):
        # Slugs come from URLs, so the number of entries is bounded too.
        self._views = TtlLru(max_entries=1000, ttl_seconds=ttl_seconds)
        self._by_id = TtlLru(max_entries=1000, ttl_seconds=ttl_seconds)

    def get(self, slug: str) -> CampaignSnapshot | None:
        """The campaign with this slug, loaded if this process has no fresh copy."""
        if not SLUG.match(slug):  # not a slug any campaign can have (a NUL, say): no query
            return None
        found = self._views.get(slug, _MISSING)
        if found is not _MISSING:
            return found
        campaign = get_campaign(slug)
        view = campaign_snapshot(campaign) if campaign else None
        self._views.put(slug, view)
        return view

    def by_id(self, campaign_id: int) -> CampaignSnapshot | None:
        """The same, by id."""
        found = self._by_id.get(campaign_id, _MISSING)
        if found is not _MISSING:
            return found
        campaign = db.session.get(Campaign, campaign_id)
        view = campaign_snapshot(campaign) if campaign else None
        self._by_id.put(campaign_id, view)
        return view

    def clear(self) -> None:
        self._views.clear()
        self._by_id.clear()


def cached_campaign(slug: str) -> CampaignSnapshot | None:
    """The campaign with this slug, at most a few seconds old (any status)."""
    return current_registry().campaign_cache.get(slug)


def cached_campaign_by_id(campaign_id: int) -> CampaignSnapshot | None:
    """The same, by id (the workers know a letter's campaign by id)."""
    return current_registry().campaign_cache.by_id(campaign_id)
