"""GET /api/v1/campaigns/<slug>/stats for organisers' own tools, and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from action_app.services.campaign_cache import cached_campaign
from action_app.stats import access
from action_app.stats.figures import campaign_figures
from action_app.stats.openapi import DOCUMENT
from action_app.stats.serialise import stats_document
from action_app.stats.tokens import token_from_header

bp = Blueprint("stats_api", __name__)


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="stats"'
    return response


@bp.get("/campaigns/<slug>/stats")
def campaign_stats(slug: str):
    """The figures of a campaign the token's organiser may see."""
    token = token_from_header(request.headers.get("Authorization"))
    if token is None:
        return _error(401, "A valid API token is needed: Authorization: Bearer <token>.")
    user = access.staff_by_id(token.staff_user_id)
    if user is None:
        return _error(401, "This token's staff account no longer exists.")
    campaign = cached_campaign(slug)
    if campaign is None or not access.can_view(user, campaign.id):
        return _error(404, "No campaign you may see has this slug.")
    response = jsonify(stats_document(campaign_figures(campaign)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/openapi.json")
def openapi():
    response = jsonify(DOCUMENT)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
