"""The partner kit: what a partner charity pastes to show a campaign on its own site.

For one campaign and one partner source code: the iframe snippet with the resize script, links
that carry the partner's code (so every letter through them is counted as theirs), and a preview
page. A CLI command prints it today; a staff page can call ``partner_kit`` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from action_app.public.forms import clean_source
from action_app.services.campaign_cache import CampaignSnapshot

EMBED_HEIGHT = 560  # the iframe's height before the resize script first fits it


class PartnerKitError(ValueError):
    """The kit cannot be made (a bad source code); the message says why."""


@dataclass(frozen=True)
class PartnerKit:
    campaign_slug: str
    source: str
    snippet: str
    links: dict[str, str]
    preview_html: str
    warnings: list[str] = field(default_factory=list)


def partner_kit(
    campaign: CampaignSnapshot, source: str, base_url: str, site: str | None = None
) -> PartnerKit:
    """The kit for ``source`` (the partner's code) on ``site`` (their https origin, if known)."""
    code = clean_source(source)
    if code is None:
        raise PartnerKitError(
            "The source code must be 1 to 64 letters, digits, dots, dashes or underscores."
        )
    query = urlencode({"source": code})
    embed_url = f"{base_url}/embed/{campaign.slug}?{query}"
    links = {
        "campaign": f"{base_url}/c/{campaign.slug}?{query}",
        "embed": embed_url,
        "count": f"{base_url}/api/v1/campaigns/{campaign.slug}/count",
    }
    snippet = (
        f'<iframe data-action-embed src="{escape(embed_url)}" title="{escape(campaign.title)}" '
        f'style="width:100%;max-width:640px;border:0;height:{EMBED_HEIGHT}px" loading="lazy">'
        "</iframe>\n"
        f'<script src="{escape(base_url)}/static/embed.js" async></script>'
    )
    return PartnerKit(
        campaign_slug=campaign.slug,
        source=code,
        snippet=snippet,
        links=links,
        preview_html=_preview(campaign, snippet),
        warnings=_warnings(campaign, site),
    )


def _warnings(campaign: CampaignSnapshot, site: str | None) -> list[str]:
    warnings = []
    if not campaign.embed_origins:
        warnings.append(
            "The campaign lists no sites in embed_origins, so no site can show the iframe yet."
        )
    elif site and site.rstrip("/") not in campaign.embed_origins:
        warnings.append(
            f"{site} is not in the campaign's embed_origins, so the iframe will not show there."
        )
    if campaign.status != "live":
        warnings.append(f"The campaign is {campaign.status}, not live.")
    return warnings


def _preview(campaign: CampaignSnapshot, snippet: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>Preview: {escape(campaign.title)}</title></head>\n<body>\n"
        f"<h1>Preview of the embed for {escape(campaign.title)}</h1>\n{snippet}\n</body></html>\n"
    )
