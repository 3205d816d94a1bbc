"""The public JSON API."""

from __future__ import annotations

from flask import Blueprint, jsonify

from action_app.models import CampaignStatus
from action_app.services.campaign_cache import cached_campaign
from action_app.services.participation import campaign_totals

bp = Blueprint("api", __name__)

COUNT_MAX_AGE = 5  # seconds a browser, CDN or partner site may reuse a count


@bp.get("/campaigns/<slug>/count")
def campaign_count(slug: str):
    """How many people have written (total) and how many letters MPs have received (sent)."""
    campaign = cached_campaign(slug)
    if campaign is None or campaign.status == CampaignStatus.DRAFT:
        response = jsonify({"error": "not found", "slug": slug})
        response.status_code = 404
        return response
    totals = campaign_totals(campaign.id)
    response = jsonify({"slug": campaign.slug, "total": totals.total, "sent": totals.sent})
    response.headers["Cache-Control"] = f"public, max-age={COUNT_MAX_AGE}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
