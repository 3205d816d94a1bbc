"""The public journey: campaign → your MP (postcode lookup or chosen seat) → letter → sent."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, make_response, render_template, request, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from action_app import rate_limits
from action_app.clients.postcodes_io import (
    NoWestminsterSeat,
    PostcodeLookupError,
    PostcodeNotFound,
    PostcodeTerminated,
    normalise_postcode,
)
from action_app.extensions import db, session_in_transaction
from action_app.formatting import month_and_year
from action_app.i18n import current_language
from action_app.i18n import gettext as _
from action_app.i18n import lazy_gettext as _l
from action_app.models import NATIONS, CampaignStatus
from action_app.public.forms import ChooseConstituencyForm, PostcodeForm, clean_source
from action_app.public.framing import framed
from action_app.public.page_policy import allow_for_page
from action_app.registry import current_registry
from action_app.services import lookup, seat_check
from action_app.services.campaign_cache import CampaignSnapshot, cached_campaign, localized
from action_app.services.campaigns import list_live_campaigns
from action_app.services.mp_photos import has_photo
from action_app.services.participation import campaign_total
from action_app.services.relay import relay_state

CAMPAIGN_PAGE_MAX_AGE = 10  # seconds a browser or CDN may reuse the campaign page
UK = ZoneInfo("Europe/London")


def register(bp: Blueprint) -> None:
    """The start of the journey: the campaign page and finding the supporter's MP."""
    bp.add_url_rule("/", view_func=index)
    bp.add_url_rule("/healthz", view_func=healthz)
    bp.add_url_rule("/privacy", view_func=privacy)
    bp.add_url_rule("/c/<slug>", view_func=campaign)
    bp.add_url_rule("/c/<slug>/your-mp", view_func=your_mp)
    bp.add_url_rule("/c/<slug>/choose-constituency", view_func=choose_constituency)


def index():
    campaigns = list_live_campaigns()
    return render_template("public/index.html", campaigns=campaigns)


def healthz():
    """For load balancers and compose health checks: the database answers. It also reports the
    mail relay's state; a paused relay does not make the web unhealthy (letters are still
    taken, and wait in the database)."""
    try:
        db.session.execute(text("SELECT 1"))
        mail_relay = relay_state().as_dict()
    except SQLAlchemyError:
        return {"status": "database unavailable"}, 503
    return {"status": "ok", "mail_relay": mail_relay}


def privacy():
    settings = current_registry().settings
    return render_template(
        "public/privacy.html",
        settings=settings,
        days=settings.personal_data_days,
        lookup_days=settings.lookup_cache_days,
        contact=settings.privacy_contact_email,
    )


def campaign(slug: str):
    campaign = public_campaign(slug)
    logos = [o["logo_url"] for o in campaign.organisations if o.get("logo_url")]
    allow_for_page(image_urls=logos)
    source = clean_source(request.args.get("source"))
    if "postcode" in request.args:  # back from the next page: the postcode is shown again
        form = PostcodeForm(request.args)
        form.source.data = source
        return _campaign_page(campaign, form)
    # The page every supporter lands on, all at once after an email: rendered once per count,
    # source and campaign version, then served from memory (and by any CDN for a few seconds).
    total = campaign_total(campaign.id)
    status, language = campaign.current_status(), current_language()
    key = ("campaign", campaign.slug, campaign.updated_at, status, source, total, language)
    key += (framed(),)
    pages = current_registry().page_cache
    html = pages.get(key)
    if html is None:
        form = PostcodeForm()
        form.source.data = source
        html = _render_campaign_page(campaign, form, total)
        pages.put(key, html)
    response = make_response(html)
    response.headers["Cache-Control"] = f"public, max-age={CAMPAIGN_PAGE_MAX_AGE}"
    return response


def your_mp(slug: str):
    campaign = public_campaign(slug)
    if campaign.current_status() != CampaignStatus.LIVE:
        return _campaign_page(campaign, PostcodeForm())
    source = clean_source(request.args.get("source"))
    try:
        if "seat" in request.args:
            return _chosen_seat(
                campaign, request.args.get("seat", type=int), request.args.get("postcode"), source
            )
        return _looked_up(campaign, request.args.get("postcode", ""), source)
    except LookupRefused as refused:
        return too_many(campaign, refused.refusal)


class LookupRefused(Exception):
    """This client has asked postcodes.io (through us) too often: the per-address limit."""

    def __init__(self, refusal: rate_limits.Refusal):
        super().__init__(refusal.scope)
        self.refusal = refusal


def _count_lookup() -> None:
    """The per-address limit on lookups, counted only for those that must ask postcodes.io: a
    postcode answered from the cache costs nothing upstream (and is the busy path)."""
    refused = rate_limits.check_address("lookup")
    if refused is not None:
        raise LookupRefused(refused)


def _looked_up(campaign: CampaignSnapshot, typed: str, source: str | None):
    problem = None
    try:
        # A well-formed postcode goes straight to the lookup (the busy path); anything else
        # meets the form's own checks and messages below.
        if normalise_postcode(typed) is not None:
            found = lookup.find_mp_for_postcode(typed, before_upstream=_count_lookup)
            _commit_if_written()  # a GSS code learned on the way
            return _mp_page(campaign, found, source, chosen=False)
    except lookup.DirectoryEmpty:
        return render_template("public/directory_empty.html", campaign=campaign), 503
    except PostcodeLookupError as exc:
        if seat_check.lookup_cannot_answer(exc):
            return _choose_page(campaign, exc.postcode or typed, source, why=_why_choose(exc))
        problem = _lookup_message(exc)
    form = PostcodeForm(request.args)
    form.source.data = source
    if form.validate() and problem:
        form.postcode.errors = [problem]
    return _campaign_page(campaign, form)


def _chosen_seat(
    campaign: CampaignSnapshot, seat_id: int | None, typed: str | None, source: str | None
):
    """A seat chosen from the list counts only while the lookup cannot answer for the postcode;
    when it can, the postcode decides (and the page says so if it differs)."""
    postcode = normalise_postcode(typed)
    if postcode is None:
        form = PostcodeForm(data={"postcode": typed or "", "source": source or ""})
        form.validate()
        return _campaign_page(campaign, form)
    try:
        found = lookup.find_mp_for_postcode(postcode, before_upstream=_count_lookup)
        _commit_if_written()  # a GSS code learned on the way
    except lookup.DirectoryEmpty:
        return render_template("public/directory_empty.html", campaign=campaign), 503
    except PostcodeLookupError as exc:
        if not seat_check.lookup_cannot_answer(exc):
            form = PostcodeForm(data={"postcode": postcode, "source": source or ""})
            form.postcode.errors = [_lookup_message(exc)]
            return _campaign_page(campaign, form)
        chosen = lookup.find_mp_for_seat(seat_id, postcode) if seat_id is not None else None
        if chosen is None:
            return _choose_page(campaign, postcode, source, why=_why_choose(exc), show_error=True)
        return _mp_page(campaign, chosen, source, chosen=True)
    differs = found.seat.id != seat_id
    return _mp_page(campaign, found, source, chosen=False, corrected=differs)


def _why_choose(exc: PostcodeLookupError) -> str:
    return "unknown" if isinstance(exc, PostcodeNotFound) else "down"


def choose_constituency(slug: str):
    campaign = public_campaign(slug)
    if campaign.current_status() != CampaignStatus.LIVE:
        return _campaign_page(campaign, PostcodeForm())
    form = ChooseConstituencyForm(request.args)
    return _choose_page(
        campaign,
        form.postcode.data,
        clean_source(form.source.data),
        why="list",
        show_error="seat" in request.args,
    )


def too_many(campaign: CampaignSnapshot | None, refused: rate_limits.Refusal, **context):
    """The accessible "too many" page: what happened and when to try again (429)."""
    response = make_response(
        render_template(
            "errors/too_many.html",
            campaign=campaign,
            refused=refused,
            minutes=max(1, -(-refused.retry_after // 60)),
            resets_at=uk_time_of_day(refused.resets_at),
            **context,
        ),
        429,
    )
    response.headers["Retry-After"] = str(refused.retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def uk_time_of_day(epoch: float) -> str:
    """'2:05pm' in UK time."""
    when = datetime.fromtimestamp(epoch, UK)
    hour = when.hour % 12 or 12
    return f"{hour}:{when.minute:02d}{'am' if when.hour < 12 else 'pm'}"


def _commit_if_written() -> None:
    """Commit what the lookup wrote; most lookups touch no table, and skip the commit."""
    if session_in_transaction():
        db.session.commit()


def public_campaign(slug: str) -> CampaignSnapshot:
    campaign = cached_campaign(slug)
    if campaign is None or campaign.status == CampaignStatus.DRAFT:
        abort(404)
    if framed():  # inside a partner's iframe: the sites the campaign lists may frame it
        allow_for_page(frame_ancestors=campaign.embed_origins)
    return localized(campaign, current_language())


def _campaign_page(campaign: CampaignSnapshot, form: PostcodeForm):
    return make_response(_render_campaign_page(campaign, form, campaign_total(campaign.id)))


def _render_campaign_page(campaign: CampaignSnapshot, form: PostcodeForm, total: int) -> str:
    return render_template(
        "public/campaign.html",
        campaign=campaign,
        form=form,
        total=total,
        status=campaign.current_status(),
    )


def _mp_page(
    campaign: CampaignSnapshot,
    found: lookup.MpLookup,
    source: str | None,
    chosen: bool,
    corrected: bool = False,
):
    """The your-MP page; the same postcode (seat, MP) gives the same page, so it is kept."""
    language = current_language()
    key = ("your-mp", campaign.slug, campaign.updated_at, found, source, chosen, corrected)
    key += (language, framed())
    pages = current_registry().page_cache
    html = pages.get(key)
    if html is None:
        html = _render_mp_page(campaign, found, source, chosen, corrected)
        pages.put(key, html)
    return html


def _render_mp_page(
    campaign: CampaignSnapshot,
    found: lookup.MpLookup,
    source: str | None,
    chosen: bool,
    corrected: bool,
):
    # A seat chosen from the list may not have a known nation yet; it is given the benefit of
    # the doubt rather than turning a supporter away.
    outside = campaign.excludes(found.nation)
    query = {"postcode": found.postcode, "seat": found.seat.id, "source": source}
    if chosen and found.seat.id is not None and found.postcode:
        # Signed: only this page, shown because the lookup could not answer, offers the seat.
        query["proof"] = seat_check.seat_proof(found.seat.id, found.postcode)
    return render_template(
        "public/your_mp.html",
        campaign=campaign,
        found=found,
        seat=found.seat,
        member=found.seat.member,
        outside_nations=outside,
        chosen=chosen,
        corrected=corrected,
        source=source,
        write_url=url_for("public.write", slug=campaign.slug, **query_args(**query)),
        other_postcode_url=url_for(
            "public.campaign", slug=campaign.slug, **query_args(source=source)
        )
        + "#postcode",
        fixed=campaign.fixed_target,
        photo_url=_photo_url(found.seat.member),
    )


def _photo_url(member) -> str | None:
    if member is None or not has_photo(member.id):
        return None
    return url_for("public.mp_photo", member_id=member.id)


def _choose_page(
    campaign: CampaignSnapshot,
    postcode: str | None,
    source: str | None,
    *,
    why: str = "down",
    show_error: bool = False,
):
    form = ChooseConstituencyForm(data={"postcode": postcode or "", "source": source or ""})
    if show_error:
        form.seat.errors = [_("Choose your constituency from the list")]
    groups = _group_by_nation(lookup.list_seats())
    return render_template(
        "public/choose_constituency.html",
        campaign=campaign,
        form=form,
        groups=groups,
        why=why,
        back_url=url_for("public.campaign", slug=campaign.slug, **query_args(source=source)),
    )


def _group_by_nation(seats: list) -> list[tuple[str | None, list]]:
    """Seats under their nation when every nation is known (from a CSV import or earlier
    lookups), else one alphabetical list: a seat must never be filed under the wrong heading."""
    if not seats or any(seat.nation is None for seat in seats):
        return [(None, seats)]
    groups = {nation: [s for s in seats if s.nation == nation] for nation in NATIONS}
    return [(nation, members) for nation, members in groups.items() if members]


def _lookup_message(exc: PostcodeLookupError) -> str:
    """What to tell a supporter whose postcode has no MP to write to, kindly and exactly, in
    the page's language."""
    if isinstance(exc, PostcodeTerminated):
        return _terminated_message(exc)
    if isinstance(exc, PostcodeNotFound):
        return _(
            "We could not find the postcode %(postcode)s. Check it and enter it again",
            postcode=exc.postcode,
        )
    if isinstance(exc, NoWestminsterSeat):
        return _no_seat_message(exc)
    return _("Enter a full UK postcode, like SW1A 1AA")


def _terminated_message(exc: PostcodeTerminated) -> str:
    if exc.year and exc.month and 1 <= exc.month <= 12:
        when = month_and_year(exc.month, exc.year)
    elif exc.year:
        when = str(exc.year)
    else:
        return _(
            "The postcode %(postcode)s is no longer in use. Enter the postcode you use for "
            "your address now",
            postcode=exc.postcode,
        )
    return _(
        "The postcode %(postcode)s has not been in use since %(when)s. Enter the postcode you "
        "use for your address now",
        postcode=exc.postcode,
        when=when,
    )


def _no_seat_message(exc: NoWestminsterSeat) -> str:
    # A whole sentence for each place, so that each language can say it its own way.
    messages = {
        "Channel Islands": _l(
            "%(postcode)s is in the Channel Islands, which are not represented in the UK "
            "Parliament, so there is no MP to write to. If you live elsewhere in the UK, enter "
            "that postcode"
        ),
        "Jersey": _l(
            "%(postcode)s is in Jersey, which has its own parliament and is not represented in "
            "the UK Parliament, so there is no MP to write to. If you live elsewhere in the UK, "
            "enter that postcode"
        ),
        "Guernsey": _l(
            "%(postcode)s is in Guernsey, which has its own parliament and is not represented "
            "in the UK Parliament, so there is no MP to write to. If you live elsewhere in the "
            "UK, enter that postcode"
        ),
        "Isle of Man": _l(
            "%(postcode)s is in the Isle of Man, which has its own parliament and is not "
            "represented in the UK Parliament, so there is no MP to write to. If you live "
            "elsewhere in the UK, enter that postcode"
        ),
    }
    message = messages.get(
        exc.country or "",
        _l(
            "%(postcode)s is in a place that is not represented in the UK Parliament, so there "
            "is no MP to write to. If you live elsewhere in the UK, enter that postcode"
        ),
    )
    return str(message) % {"postcode": exc.postcode}


def query_args(**values) -> dict:
    """URL query arguments without the empty ones."""
    return {key: value for key, value in values.items() if value not in (None, "")}
