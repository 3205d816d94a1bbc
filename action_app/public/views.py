"""The public journey: campaign → your MP (postcode lookup or chosen seat) → letter → sent."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from action_app.clients.postcodes_io import (
    LookupUnavailable,
    NoWestminsterSeat,
    PostcodeLookupError,
    PostcodeNotFound,
    PostcodeTerminated,
    normalise_postcode,
)
from action_app.extensions import db
from action_app.public.forms import ChooseConstituencyForm, PostcodeForm, clean_source
from action_app.services import lookup
from action_app.services.campaign_cache import CampaignView, cached_campaign
from action_app.services.campaigns import list_live_campaigns
from action_app.services.participation import campaign_total

bp = Blueprint("public", __name__)

MONTHS = "January February March April May June July August September October November December"
MONTHS = MONTHS.split()
CAMPAIGN_PAGE_MAX_AGE = 10  # seconds a browser or CDN may reuse the campaign page


@bp.get("/")
def index():
    campaigns = list_live_campaigns()
    return render_template("public/index.html", campaigns=campaigns)


@bp.get("/healthz")
def healthz():
    """For load balancers and compose health checks: the database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


@bp.get("/privacy")
def privacy():
    settings = current_app.config["SETTINGS"]
    return render_template(
        "public/privacy.html",
        days=settings.personal_data_days,
        lookup_days=settings.lookup_cache_days,
        contact=settings.privacy_contact_email,
    )


@bp.get("/c/<slug>")
def campaign(slug: str):
    view = public_campaign(slug)
    source = clean_source(request.args.get("source"))
    if "postcode" in request.args:  # back from the next page: the postcode is shown again
        form = PostcodeForm(request.args)
        form.source.data = source
        return _campaign_page(view, form)
    # The page every supporter lands on, all at once after an email: rendered once per count,
    # source and campaign version, then served from memory (and by any CDN for a few seconds).
    total = campaign_total(view.id)
    key = ("campaign", view.slug, view.updated_at, view.current_status(), source, total)
    pages = current_app.extensions["page_cache"]
    html = pages.get(key)
    if html is None:
        form = PostcodeForm()
        form.source.data = source
        html = _render_campaign_page(view, form, total)
        pages.put(key, html)
    response = make_response(html)
    response.headers["Cache-Control"] = f"public, max-age={CAMPAIGN_PAGE_MAX_AGE}"
    return response


@bp.get("/c/<slug>/your-mp")
def your_mp(slug: str):
    view = public_campaign(slug)
    if view.current_status() != "live":
        return _campaign_page(view, PostcodeForm())
    source = clean_source(request.args.get("source"))
    if "seat" in request.args:
        seat_id = request.args.get("seat", type=int)
        postcode = request.args.get("postcode")
        found = lookup.find_mp_for_seat(seat_id, postcode) if seat_id is not None else None
        if found is None:
            return _choose_page(view, postcode, source, show_error=True)
        return _mp_page(view, found, source, chosen=True)

    typed = request.args.get("postcode", "")
    problem = None
    try:
        # A well-formed postcode goes straight to the lookup (the busy path); anything else
        # meets the form's own checks and messages below.
        if normalise_postcode(typed) is not None:
            return _mp_page(view, lookup.find_mp_for_postcode(typed), source, chosen=False)
    except LookupUnavailable:
        return _choose_page(view, typed, source, lookup_down=True)
    except lookup.DirectoryEmpty:
        return render_template("public/directory_empty.html", campaign=view), 503
    except PostcodeLookupError as exc:
        problem = _lookup_message(exc)
    form = PostcodeForm(request.args)
    form.source.data = source
    if form.validate() and problem:
        form.postcode.errors = [problem]
    return _campaign_page(view, form)


@bp.get("/c/<slug>/choose-constituency")
def choose_constituency(slug: str):
    view = public_campaign(slug)
    if view.current_status() != "live":
        return _campaign_page(view, PostcodeForm())
    form = ChooseConstituencyForm(request.args)
    return _choose_page(
        view,
        form.postcode.data,
        clean_source(form.source.data),
        show_error="seat" in request.args,
    )


def public_campaign(slug: str) -> CampaignView:
    view = cached_campaign(slug)
    if view is None or view.status == "draft":
        abort(404)
    return view


def _campaign_page(view: CampaignView, form: PostcodeForm):
    return make_response(_render_campaign_page(view, form, campaign_total(view.id)))


def _render_campaign_page(view: CampaignView, form: PostcodeForm, total: int) -> str:
    return render_template(
        "public/campaign.html", campaign=view, form=form, total=total, status=view.current_status()
    )


def _mp_page(view: CampaignView, found: lookup.MpLookup, source: str | None, chosen: bool):
    """The your-MP page; the same postcode (seat, MP) gives the same page, so it is kept."""
    key = ("your-mp", view.slug, view.updated_at, found, source, chosen)
    pages = current_app.extensions["page_cache"]
    html = pages.get(key)
    if html is None:
        html = _render_mp_page(view, found, source, chosen)
        pages.put(key, html)
    return html


def _render_mp_page(view: CampaignView, found: lookup.MpLookup, source: str | None, chosen: bool):
    # A seat chosen from the list may not have a known nation yet; it is given the benefit of
    # the doubt rather than turning a supporter away.
    outside = bool(view.nations) and found.nation is not None and found.nation not in view.nations
    query = {"postcode": found.postcode, "seat": found.seat.id, "source": source}
    return render_template(
        "public/your_mp.html",
        campaign=view,
        found=found,
        seat=found.seat,
        member=found.seat.member,
        outside_nations=outside,
        chosen=chosen,
        source=source,
        write_url=url_for("public.write", slug=view.slug, **_present(query)),
        choose_url=url_for(
            "public.choose_constituency",
            slug=view.slug,
            **_present({"postcode": found.postcode, "source": source}),
        ),
        fixed=view.fixed_target,
    )


def _choose_page(
    view: CampaignView,
    postcode: str | None,
    source: str | None,
    *,
    lookup_down: bool = False,
    show_error: bool = False,
):
    form = ChooseConstituencyForm(data={"postcode": postcode or "", "source": source or ""})
    if show_error:
        form.seat.errors = ["Choose your constituency from the list"]
    groups = _group_by_nation(lookup.list_seats())
    return render_template(
        "public/choose_constituency.html",
        campaign=view,
        form=form,
        groups=groups,
        lookup_down=lookup_down,
        back_url=url_for("public.campaign", slug=view.slug, **_present({"source": source})),
    )


def _group_by_nation(seats: list) -> list[tuple[str | None, list]]:
    """Seats under their nation when every nation is known (from a CSV import or earlier
    lookups), else one alphabetical list: a seat must never be filed under the wrong heading."""
    if not seats or any(seat.nation is None for seat in seats):
        return [(None, seats)]
    order = ["England", "Scotland", "Wales", "Northern Ireland"]
    groups = {nation: [s for s in seats if s.nation == nation] for nation in order}
    return [(nation, members) for nation, members in groups.items() if members]


def _lookup_message(exc: PostcodeLookupError) -> str:
    """What to tell a supporter whose postcode has no MP to write to, kindly and exactly."""
    if isinstance(exc, PostcodeTerminated):
        return _terminated_message(exc)
    if isinstance(exc, PostcodeNotFound):
        return f"We could not find the postcode {exc.postcode}. Check it and enter it again"
    if isinstance(exc, NoWestminsterSeat):
        return _no_seat_message(exc)
    return "Enter a full UK postcode, like SW1A 1AA"


def _terminated_message(exc: PostcodeTerminated) -> str:
    when = ""
    if exc.year and exc.month and 1 <= exc.month <= 12:
        when = f" since {MONTHS[exc.month - 1]} {exc.year}"
    elif exc.year:
        when = f" since {exc.year}"
    return (
        f"The postcode {exc.postcode} has not been in use{when}. "
        "Enter the postcode you use for your address now"
    )


def _no_seat_message(exc: NoWestminsterSeat) -> str:
    place = {
        "Channel Islands": "the Channel Islands, which are",
        "Isle of Man": "the Isle of Man, which is",
    }.get(exc.country or "", "a place that is")
    return (
        f"{exc.postcode} is in {place} not represented in the UK Parliament, so there is no MP "
        "to write to. If you live elsewhere in the UK, enter that postcode"
    )


def _present(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in (None, "")}
