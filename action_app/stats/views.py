"""The organisers' pages: the dashboard, its live figures, charts and CSVs, the per-MP report."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request

from action_app.registry import current_registry
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign
from action_app.staff_access import NO_STORE, requires_role
from action_app.stats import access, charts, exports, hexmap
from action_app.stats.disclosure import SMALLEST_GROUP
from action_app.stats.figures import Figures, Row, campaign_figures, constituency_daily
from action_app.stats.serialise import BREAKDOWN_TITLES, live_document
from action_app.stats.sorting import sort_rows

bp = Blueprint("stats", __name__)

PRIVATE = NO_STORE
# The chart images carry pygal's inline styles and nothing else.
CHART_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    ),
    ("X-Frame-Options", "DENY"),  # like every other staff answer: no other site frames it
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)
CHART_TITLES = {
    "nations": "Letters sent by nation",
    "regions": "Letters sent by English region",
    "parties": "Letters sent by the MP's party",
    "sources": "Letters sent by source",
    "constituencies": f"The {charts.TOP_CONSTITUENCIES} constituencies with most letters sent",
    "hourly": "Letters sent each hour, the last three days",
    "daily": "Letters sent each day",
}


HEADINGS = {
    "nations": "By nation",
    "regions": "By English region",
    "parties": "By the MP's party",
    "constituencies": "By constituency",
    "sources": "By source (partner organisation or channel)",
}


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = PRIVATE
    return response


def _campaign(slug: str) -> CampaignSnapshot:
    """The campaign, if the signed-in staff member may see it; else 404, as if it did not
    exist (requires_role has already sent anyone not signed in to sign in)."""
    campaign = cached_campaign(slug)
    if campaign is None or not access.can_view(access.current_staff(), campaign.id):
        abort(404)
    return campaign


@bp.get("/")
@requires_role(*access.STAFF)
def index():
    campaigns = access.visible_campaigns(access.current_staff())
    return render_template("stats/index.html", campaigns=campaigns)


@bp.get("/<slug>")
@requires_role(*access.STAFF)
def dashboard(slug: str):
    campaign = _campaign(slug)
    figures = campaign_figures(campaign)
    return render_template(
        "stats/dashboard.html",
        campaign=campaign,
        figures=figures,
        tables={name: _sorted(figures, name) for name in BREAKDOWN_TITLES},
        titles=BREAKDOWN_TITLES,
        headings=HEADINGS,
        chart_titles=CHART_TITLES,
        hexmap=_hexmap(figures),
        time_label=charts.time_label,
        is_admin=access.is_admin(access.current_staff()),
        exports=exports.EXPORTS,
        smallest_group=SMALLEST_GROUP,
    )


def _sorted(figures: Figures, name: str) -> dict:
    column = request.args.get(f"sort_{name}", "sent")
    descending = request.args.get(f"dir_{name}", "desc") != "asc"
    rows, column, descending = sort_rows(getattr(figures, name), column, descending)
    return {"rows": rows, "column": column, "descending": descending}


def _hexmap(figures: Figures) -> dict | None:
    path = current_registry().settings.hexmap_path
    if not path:
        return None
    try:
        svg = hexmap.render(path, figures.constituencies, "hexmap-title")
    except hexmap.HexMapError as exc:
        current_app.logger.warning("Leaving the hex map out: %s", exc)
        return None
    return {"svg": svg, "legend": hexmap.legend(figures.constituencies)}


@bp.get("/<slug>/live.json")
@requires_role(*access.STAFF)
def live(slug: str):
    return jsonify(live_document(campaign_figures(_campaign(slug))))


@bp.get("/<slug>/charts/<name>.svg")
@requires_role(*access.STAFF)
def chart(slug: str, name: str):
    campaign = _campaign(slug)
    if name not in charts.CHART_NAMES:
        abort(404)
    figures = campaign_figures(campaign)
    if name in charts.TIMES:
        series = figures.hourly if name == "hourly" else figures.daily
        svg = charts.time_chart(series, CHART_TITLES[name], name == "hourly", figures.debate_at)
    else:
        svg = charts.breakdown_chart(figures, name, CHART_TITLES[name])
    response = Response(svg, mimetype="image/svg+xml")
    response.security_headers = CHART_HEADERS
    return response


@bp.get("/<slug>/export/<name>.csv")
@requires_role(*access.STAFF)
def export(slug: str, name: str):
    campaign = _campaign(slug)
    if name not in exports.EXPORTS:
        abort(404)
    body = exports.breakdown_csv(campaign_figures(campaign), name)
    return _csv(body, f"{campaign.slug}-{name}.csv")


@bp.get("/<slug>/opt-ins/<organisation>.csv")
@requires_role(*access.ADMINS)
def opt_in_export(slug: str, organisation: str):
    """Supporters who opted in to one organisation, for its CRM: admins only."""
    campaign = _campaign(slug)
    if organisation not in {o["slug"] for o in campaign.organisations}:
        abort(404)
    body = "".join(exports.opt_in_csv(campaign.id, organisation))
    return _csv(body, f"{campaign.slug}-opt-ins-{organisation}.csv")


def _mp_row(figures: Figures, key: str) -> Row:
    row = figures.constituency(key)
    if row is None or key == "0":
        abort(404)
    return row


@bp.get("/<slug>/mp/<key>")
@requires_role(*access.STAFF)
def report(slug: str, key: str):
    campaign = _campaign(slug)
    figures = campaign_figures(campaign)
    row = _mp_row(figures, key)
    return render_template(
        "stats/report.html",
        campaign=campaign,
        figures=figures,
        row=row,
        daily=constituency_daily(campaign.id, int(row.key)),
        smallest_group=SMALLEST_GROUP,
    )


@bp.get("/<slug>/mp/<key>.csv")
@requires_role(*access.STAFF)
def report_csv(slug: str, key: str):
    campaign = _campaign(slug)
    figures = campaign_figures(campaign)
    row = _mp_row(figures, key)
    daily = constituency_daily(campaign.id, int(row.key))
    body = exports.report_csv(figures, row, campaign.summary, daily)
    return _csv(body, f"{campaign.slug}-{row.gss_code or row.key}.csv")


def _csv(body: str, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
