"""The second half of the journey: write the letter → check it → send → sent (and confirm).

Post/redirect/get throughout. The letter is stored as a draft when the supporter continues, so the
check page, an expired form token or a validation error never loses what they typed; sending is a
single conditional update, so back, refresh and double clicks never send twice.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import NamedTuple

import redis
from flask import Blueprint, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from action_app import rate_limits, tasking
from action_app.extensions import db, session_in_transaction
from action_app.i18n import current_language, gettext, language_of
from action_app.i18n import lazy_gettext as _l
from action_app.kv import RedisStore, get_store, pipelined
from action_app.models import CampaignStatus, Letter, LetterStatus, MessageStatus, SentBy
from action_app.models.statuses import SUBMITTED
from action_app.models.types import utcnow
from action_app.public import framing, plain_post
from action_app.public.forms import ConfirmForm, SendForm, clean_source
from action_app.public.guarded_form import GuardedLetterForm as LetterForm
from action_app.public.views import public_campaign, query_args, too_many, uk_time_of_day
from action_app.registry import current_registry
from action_app.services import (
    abuse,
    emails,
    first_send,
    lookup,
    pacing,
    parked_drafts,
    seat_check,
)
from action_app.services.campaign_cache import CampaignSnapshot
from action_app.services.consent import consent_wording, opt_in_wording
from action_app.services.letter_status import Shown, shown_status
from action_app.services.letters import (
    Recipient,
    postal_recipient_for,
    recipient_for,
    render_letter,
)
from action_app.services.pacing import PacingRule
from action_app.services.participation import bump_hot_totals, campaign_total, hot_total_key
from action_app.services.preview import preview_copy, preview_letter
from action_app.services.self_send import (
    by_post,
    own_email,
    recipient_postal_lines,
    supporter_lines,
)
from action_app.services.sending import forget_dispatch
from action_app.services.sharing import share_links
from action_app.services.submissions import (
    ConfirmationExpired,
    LetterInput,
    confirm_letter,
    copy_goes,
    copy_recipient,
    letter_body,
    letter_for_confirmation,
    letter_to_change,
    letter_to_send,
    letter_to_show,
    save_draft,
)
from action_app.stats.replies import record_reply_choice

SESSION_LETTERS = "letters"


def register(bp: Blueprint) -> None:
    """The second half of the journey: write, check, send (or confirm), sent."""
    bp.add_url_rule("/c/<slug>/write", view_func=write, methods=["GET", "POST"])
    bp.add_url_rule("/c/<slug>/check/<public_id>", view_func=check, methods=["GET", "POST"])
    bp.add_url_rule("/c/<slug>/sent/<public_id>", view_func=sent)
    bp.add_url_rule("/c/<slug>/confirm/<token>", view_func=confirm, methods=["GET", "POST"])


class Journey(NamedTuple):
    """Where the letter goes: decided on the server, from the seat, never by the browser."""

    recipient: Recipient
    postcode: str
    source: str | None
    seat_check: str  # how the seat was decided (SeatCheck)


def write(slug: str):
    campaign = public_campaign(slug)
    if campaign.current_status() != CampaignStatus.LIVE:
        return redirect(url_for("public.campaign", slug=slug))
    draft = _own_letter(request.args.get("draft"), campaign)
    journey = _journey(campaign, draft)
    if journey is None:
        return _back_to_your_mp(campaign)
    # A POST is Continue, or the language switch (this page again, in the other language,
    # with what was typed).
    continuing = request.method == "POST" and not request.form.get("switch_language")
    # Each press of Continue is one try against the per-address limit, counted once before
    # anything is saved or shown: with a new draft, by the script that parks it, in the same
    # round trip (``parked_drafts.park``); otherwise alone.
    counting = rate_limits.Try("continue")
    if continuing:
        # The usual Continue, every rule passed, read without making the form (plain_post.py).
        read = plain_post.accepted(
            LetterForm, {"opt_ins": _choices(campaign)}, editable=campaign.body_editable
        )
        if read is not None:
            return _save(campaign, journey, read, draft, counting)
    form = _letter_form(campaign)
    if request.method == "GET":
        _prefill(form, campaign, journey.recipient, draft)
    elif continuing:
        if form.validate():
            return _save(campaign, journey, form, draft, counting)
        if (refused := counting.count()) is not None:
            return _over_the_limit(campaign, form, journey, refused)
        if form.consent.errors:
            form.consent.errors = [_consent_error(campaign, journey.recipient)]
    return _write_page(campaign, form, journey)


def _letter_form(campaign: CampaignSnapshot) -> LetterForm:
    form = LetterForm.for_request(editable=campaign.body_editable)
    form.opt_ins.choices = _choices(campaign)
    return form


def _choices(campaign: CampaignSnapshot) -> list[tuple[str, str]]:
    return [(o["slug"], o["name"]) for o in campaign.organisations]


def _shown_again(campaign: CampaignSnapshot, form) -> LetterForm:
    """The letter form, to show again: ``form`` if it is the form, else (a POST read by
    ``plain_post``, all its rules passed) the form made from this request and validated, as
    it would have been."""
    if isinstance(form, LetterForm):
        return form
    form = _letter_form(campaign)
    form.validate()
    return form


def _over_the_limit(
    campaign: CampaignSnapshot, form, journey: Journey, refused: rate_limits.Refusal
):
    """The letter form again, everything typed kept, saying when to try again (429)."""
    page = _write_page(campaign, _shown_again(campaign, form), journey, refused)
    return page, 429, {"Retry-After": str(refused.retry_after)}


def check(slug: str, public_id: str):
    campaign = public_campaign(slug)
    letter = _own_letter(public_id, campaign, to_send=True)
    if letter is None:
        return render_template("public/letter_missing.html", campaign=campaign), 404
    if letter.status != LetterStatus.DRAFT:
        return redirect(url_for("public.sent", slug=slug, public_id=public_id))
    if campaign.current_status() != CampaignStatus.LIVE:  # paused or closed since it was written
        return redirect(url_for("public.campaign", slug=slug))
    posted = request.method == "POST" and not by_post(letter)
    if posted and plain_post.accepted(SendForm, {}) is not None:  # Send, its token good
        return send_within_limits(campaign, letter)
    form = SendForm.for_request()
    expired = request.args.get("expired") == "1"  # back from an expired "send it myself"
    if by_post(letter):
        return _check_by_post(campaign, letter, form, expired)
    if posted and form.validate():
        return send_within_limits(campaign, letter)
    preview = preview_letter(letter, campaign)
    return render_template(
        "public/check.html",
        campaign=campaign,
        letter=letter,
        copy=preview_copy(letter, campaign) if copy_goes(letter) else None,
        copy_sent_before=bool(letter.copy_key) and not copy_goes(letter),
        form=form,
        expired=expired or request.method == "POST",  # the only field is the CSRF token
        headers=preview.headers,
        body=preview.body,
        change_url=_change_url(campaign, letter),
    )


def _check_by_post(campaign: CampaignSnapshot, letter: Letter, form: SendForm, expired: bool):
    """The check page for a letter the supporter will post (their MP has no email address)."""
    return render_template(
        "public/check_post.html",
        campaign=campaign,
        letter=letter,
        form=form,
        expired=expired,
        supporter_lines=supporter_lines(letter),
        postal=recipient_postal_lines(letter),
        body=letter_body(letter),
        change_url=_change_url(campaign, letter),
    )


def sent(slug: str, public_id: str):
    campaign = public_campaign(slug)
    letter = _own_letter(public_id, campaign, with_messages=True)
    if letter is None:
        return render_template("public/letter_missing.html", campaign=campaign), 404
    if letter.status == LetterStatus.DRAFT:
        return redirect(url_for("public.check", slug=slug, public_id=public_id))
    shown = shown_to_writer(campaign, letter)
    status = shown.progress
    return render_template(
        "public/sent.html",
        campaign=campaign,
        letter=letter,
        failed=status.state == "failed",
        failure_explanation=emails.failure_explanation(status.reason),
        read_first=letter.status == LetterStatus.HELD
        and (letter.hold_reason or "").startswith("content:"),
        letter_text=letter_body(letter),
        # The writer's own letter is in the count they read, even in the two seconds a
        # process keeps the totals: one counted just now is read from Redis.
        total=campaign_total(campaign.id, counted_at=letter.confirmed_at) + shown.uncounted,
        share=_share_links(campaign, letter.source),
        status=status,
        queued=shown.queued,
        owner_confirms=shown.owner_confirms,
        own=own_email(letter) if letter.sent_by == SentBy.SUPPORTER_EMAIL else None,
        postal=recipient_postal_lines(letter) if by_post(letter) else None,
        supporter_lines=supporter_lines(letter),
        copy_state=_copy_state(letter),
    )


def _copy_state(letter: Letter) -> str | None:
    """The copy to the campaign's additional recipient: "sent", "on_its_way", or None (no copy,
    or none will go: the letter was stopped, or the copy could not be delivered)."""
    message = letter.copy_message()
    if message is None:
        return "on_its_way" if letter.copy_key and letter.status in SUBMITTED else None
    if message.status == MessageStatus.SENT:
        return "sent"
    waiting = (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.HELD)
    return "on_its_way" if message.status in waiting else None


def confirm(slug: str, token: str):
    campaign = public_campaign(slug)
    try:
        letter = letter_for_confirmation(token, campaign.id)
    except ConfirmationExpired:
        return render_template("public/confirm_expired.html", campaign=campaign), 410
    if letter is None:
        return render_template("public/letter_missing.html", campaign=campaign), 404
    _remember(letter.public_id)
    if letter.status == LetterStatus.CONFIRMED:
        return redirect(url_for("public.sent", slug=slug, public_id=letter.public_id))
    form = ConfirmForm()
    live = campaign.current_status() == CampaignStatus.LIVE
    if request.method == "POST" and form.validate() and live:
        letter_id = letter.id
        try:
            confirmed = confirm_letter(letter)
        except IntegrityError:  # a letter from this address to this MP was sent meanwhile
            db.session.rollback()
            return _already_written(campaign, letter)
        if confirmed:
            db.session.commit()
            _dispatch_letter(letter_id)
            bump_hot_totals(campaign.id, total=1)
        return redirect(url_for("public.sent", slug=slug, public_id=letter.public_id))
    return render_template(
        "public/confirm.html",
        campaign=campaign,
        letter=letter,
        form=form,
        closed=not live,
    )


# The button the "too many" page tells the supporter to press again: the one they pressed.
_BUTTONS = {
    None: _l("Send letter"),
    SentBy.SUPPORTER_EMAIL: _l("Send it myself"),
    SentBy.SUPPORTER_POST: _l("Continue to print your letter"),
}


def send_within_limits(
    campaign: CampaignSnapshot, letter: Letter, *, sent_by: SentBy | None = None
):
    """Send the draft (Send, or "send it myself": ``sent_by``) within the send-step limits:
    both buttons meet the same ones, so neither is a way round them. Over one, the "too many"
    page, with the letter saved as typed; over the per-email limit the letter is taken, and
    waits for the address's owner."""
    language = current_language()  # the language it was sent in, for its emails
    if letter.language != language:
        # Only when it changed: setting an attribute marks the letter changed even to the
        # same value, and the commit then runs a whole ORM flush to find nothing to write.
        letter.language = language
    refused = rate_limits.check_letter(
        campaign.id, letter.recipient_key, letter.email_key, letter.postcode
    )
    if refused is not None and refused.scope != "email":
        back = url_for("public.check", slug=campaign.slug, public_id=letter.public_id)
        return too_many(campaign, refused, saved_letter_url=back, button=_BUTTONS[sent_by])
    return _send(campaign, letter, over_email_limit=refused is not None, sent_by=sent_by)


def _send(
    campaign: CampaignSnapshot,
    letter: Letter,
    *,
    over_email_limit: bool = False,
    sent_by: SentBy | None = None,
):
    if letter.parked is not None:  # a draft still parked in Redis: the usual case, usually
        if sent_by is None and not over_email_limit:
            wants_reply_check = not request.form.get("no_reply_check")
            letter_id = first_send.send(letter, campaign, wants_reply_check=wants_reply_check)
            if letter_id is not None:
                _after_first_send(campaign, letter.public_id, letter_id)
                sent_page = url_for("public.sent", slug=campaign.slug, public_id=letter.public_id)
                return redirect(sent_page)
        # The general path, on the draft written into the database (or the one its form
        # token made there first, which is then the letter sent).
        language, letter = letter.language, letter_to_change(letter.public_id, campaign.id)
        if letter is None:  # Redis lost it since: as if it were never there
            return render_template("public/letter_missing.html", campaign=campaign), 404
        if letter.status != LetterStatus.DRAFT:  # sent meanwhile: a double click's other press
            return redirect(url_for("public.sent", slug=campaign.slug, public_id=letter.public_id))
        if letter.language != language:
            letter.language = language
    letter_id, public_id = letter.id, letter.public_id
    own = [] if framing.framed() else session.get(SESSION_LETTERS, [])
    submission = abuse.submit_letter(
        letter, campaign, own, over_email_limit=over_email_limit, sent_by=sent_by
    )
    if submission.kind == "already":
        return _already_written(campaign, submission.earlier)
    if submission.kind in ("sent", "held", "confirm") and sent_by is None:
        record_reply_choice(
            letter,
            wants_email=not request.form.get("no_reply_check"),
            language=language_of(letter.language).value,
        )
    db.session.commit()
    # A letter the supporter sends themselves has nothing to queue, but its owner's email may.
    if submission.kind in ("awaiting", "confirm") or (
        submission.kind == "sent" and sent_by is None
    ):
        _dispatch_letter(letter_id)
    if submission.kind == "sent" and (sent_by or not campaign.require_confirmation):
        bump_hot_totals(campaign.id, total=1)
    return redirect(url_for("public.sent", slug=campaign.slug, public_id=public_id))


def shown_to_writer(campaign: CampaignSnapshot, letter: Letter) -> Shown:
    """What the sent page and its status JSON show this letter's browser."""
    now = utcnow()
    return shown_status(
        letter,
        require_confirmation=campaign.require_confirmation,
        paced_until=_paced_delivery(campaign, letter, now),
        sending_for=timedelta(seconds=current_registry().settings.address_used_sending_seconds),
        now=now,
    )


def _paced_delivery(campaign: CampaignSnapshot, letter: Letter, now):
    """When the campaign's pacing will let this letter reach the MP (naive UTC), if not now;
    for a letter held for its address's owner, when a new letter would reach it."""
    rule = PacingRule.of(campaign)
    if letter.status == LetterStatus.AWAITING_CONFIRMATION and not campaign.require_confirmation:
        return pacing.slot_for_a_new_letter(rule, letter.campaign_id, letter.recipient_key, now)
    return pacing.expected_delivery(letter, rule, now)


def _dispatch_letter(letter_id: int) -> None:
    """Nudge the relay, which sends any due letter (usually one Redis SET NX, as a nudge is
    pending under load); if the broker is down, the sweep nudges it once it is back."""
    if not tasking.nudge_relay():
        forget_dispatch(letter_id)
        db.session.commit()


def _after_first_send(campaign: CampaignSnapshot, public_id: str, letter_id: int) -> None:
    """After ``first_send``: the letter's parked copy goes, the campaign's hot total counts it,
    and the relay is nudged, in one Redis round trip (``kv.pipelined``) rather than three, on
    the usual Send. A part whose answer was an error is done again by its own call; with Redis
    out of reach, each is done as it always was (the nudge then sends its task)."""
    store = get_store()
    if not isinstance(store, RedisStore) or not store.usable():
        parked_drafts.forget(public_id)
        _dispatch_letter(letter_id)
        bump_hot_totals(campaign.id, total=1)
        return
    commands = [
        parked_drafts.forget_command(public_id),
        store.incr_if_exists_command(hot_total_key(campaign.id), 1),
        tasking.nudge_flag(),
    ]
    try:
        forgotten, counted, flag = pipelined(store.client, commands)
    except redis.RedisError as error:
        store.failed(error)
        forgotten = counted = flag = error
    if isinstance(forgotten, Exception):
        parked_drafts.forget(public_id)
    if isinstance(counted, Exception):
        bump_hot_totals(campaign.id, total=1)
    if not tasking.nudge_relay(flag):
        forget_dispatch(letter_id)
        db.session.commit()


def _save(
    campaign: CampaignSnapshot,
    journey: Journey,
    form,
    draft: Letter | None,
    counting: rate_limits.Try,
):
    """A new or changed draft from a valid letter form: ``form`` is the validated form, or
    the POST ``plain_post`` read (the same fields, each with its ``data``)."""
    letter = _letter_input(form)
    text = abuse.letter_text(campaign, journey.recipient, letter, journey.postcode)
    verdict = abuse.review_letter(campaign, journey.recipient, text)
    if verdict.action == "refuse":  # the campaign's safeguards, with the reason
        if (refused := counting.count()) is not None:
            return _over_the_limit(campaign, form, journey, refused)
        form = _shown_again(campaign, form)
        field = form.body_before if campaign.body_editable else form.personal_paragraph
        field.errors = [verdict.message]
        return _write_page(campaign, form, journey)
    changing = draft is not None and draft.status == LetterStatus.DRAFT
    bot = abuse.bot_reason(
        form.contact_me_by_fax_only.data, form.opened.data, form.form_token.data,
        timed=not changing,
    )  # fmt: skip
    marks = abuse.draft_marks(
        seat_check=journey.seat_check,
        body_hash=text.fingerprint(),
        hold_reason=bot or (verdict.reason if verdict.action == "hold" else None),
    )
    try:
        public_id = save_draft(
            campaign,
            journey.recipient,
            postcode=journey.postcode,
            source=journey.source,
            form_token=form.form_token.data or secrets.token_urlsafe(24),
            letter=letter,
            draft=draft,
            language=current_language(),
            marks=None if changing else marks,  # a new draft: one INSERT, marks and all
            commit_alone=True,
            counting=counting,
        )
    except rate_limits.Refused as over:  # nothing was saved
        return _over_the_limit(campaign, form, journey, over.refusal)
    if changing:
        abuse.annotate_draft(public_id, **marks)
    if session_in_transaction():  # a new draft was committed as it was written
        db.session.commit()
    _remember(public_id)
    return redirect(url_for("public.check", slug=campaign.slug, public_id=public_id))


def _write_page(
    campaign: CampaignSnapshot,
    form: LetterForm,
    journey: Journey,
    refused: rate_limits.Refusal | None = None,
):
    recipient = journey.recipient
    return render_template(
        "public/write.html",
        campaign=campaign,
        form=form,
        recipient=recipient,
        postcode=journey.postcode,
        letter_parts=None if campaign.body_editable else render_letter(campaign, recipient),
        consent_label=consent_wording(recipient.name, _copy_name(campaign, recipient)),
        opt_in_wording=opt_in_wording,
        expired="csrf_token" in form.errors,
        back_url=url_for(
            "public.your_mp",
            slug=campaign.slug,
            **query_args(
                postcode=journey.postcode, seat=recipient.constituency_id, source=journey.source
            ),
        ),
        errors=_error_list(form),
        switch_form="letter-form",
        limited=refused,
        try_at=uk_time_of_day(refused.resets_at) if refused else None,
    )


def _journey(campaign: CampaignSnapshot, draft: Letter | None) -> Journey | None:
    """The recipient, the postcode, the source and how the seat was decided: from the draft
    being changed, or from the your-MP page's link (the seat comes from the postcode, or from
    the list only with the chosen-seat page's proof)."""
    if draft is not None:
        found = lookup.find_mp_for_seat(draft.constituency_id, draft.postcode)
        how, source = draft.seat_check, draft.source
    else:
        args = request.args
        decision = seat_check.decide_seat(
            args.get("seat", type=int), args.get("postcode"), args.get("proof")
        )
        found, how = (decision.found, decision.seat_check) if decision else (None, "")
        source = clean_source(args.get("source"))
    if found is None or found.postcode is None or campaign.excludes(found.nation):
        return None
    # An MP who publishes no email address is written to by post, by the supporter.
    recipient = recipient_for(campaign, found.seat) or postal_recipient_for(campaign, found.seat)
    return None if recipient is None else Journey(recipient, found.postcode, source, how)


def _back_to_your_mp(campaign: CampaignSnapshot):
    """No letter to this seat from here: back to the MP for the postcode (or to the start)."""
    query = query_args(postcode=request.args.get("postcode"), source=request.args.get("source"))
    if "postcode" in query:
        return redirect(url_for("public.your_mp", slug=campaign.slug, **query))
    return redirect(url_for("public.campaign", slug=campaign.slug, **query))


def _change_url(campaign: CampaignSnapshot, letter: Letter) -> str:
    return url_for(
        "public.write",
        slug=campaign.slug,
        **query_args(
            draft=letter.public_id,
            postcode=letter.postcode,
            seat=letter.constituency_id,
            source=letter.source,
        ),
    )


def _prefill(
    form: LetterForm, campaign: CampaignSnapshot, recipient: Recipient, draft: Letter | None
):
    form.form_token.data = secrets.token_urlsafe(24)
    form.opened.data = abuse.page_opened_token(form.form_token.data)
    if draft is not None:
        for name in (
            "subject", "body_before", "personal_paragraph", "body_after", "address_line_1",
            "address_line_2", "town", "opt_ins",
        ):  # fmt: skip
            getattr(form, name).data = getattr(draft, name)
        form.name.data = draft.supporter_name
        form.email.data = draft.supporter_email
        form.consent.data = True
        return
    parts = render_letter(campaign, recipient)
    form.subject.data, form.body_before.data, form.body_after.data = (
        parts.subject,
        parts.before,
        parts.after,
    )


def _letter_input(form) -> LetterInput:
    return LetterInput(
        name=form.name.data,
        email=form.email.data,
        address_line_1=form.address_line_1.data,
        address_line_2=form.address_line_2.data or "",
        town=form.town.data,
        subject=form.subject.data or "",
        body_before=form.body_before.data or "",
        body_after=form.body_after.data or "",
        personal_paragraph=form.personal_paragraph.data or "",
        opt_ins=list(form.opt_ins.data or []),
    )


def _own_letter(
    public_id: str | None,
    campaign: CampaignSnapshot,
    *,
    with_messages: bool = False,
    to_send: bool = False,
) -> Letter | None:
    """A letter this browser wrote: its id must be in this session, not just in the URL. Inside
    a partner's iframe, where no cookie comes, the page's signed token for it instead (and only
    that: see framing.py).

    A GET only shows it, so it is read outside a transaction (``letter_to_show``); a POST may
    change it, in the request's transaction. ``with_messages``: on a GET, its messages loaded
    in the same statement. ``to_send`` (Send's POST): a draft parked in Redis as it is parked
    (``letter_to_send``): ``_send`` writes it."""
    if not public_id:
        return None
    if framing.framed():
        if not framing.owns(public_id):
            return None
    elif public_id not in session.get(SESSION_LETTERS, []):
        return None
    if request.method == "GET":
        return letter_to_show(public_id, campaign.id, with_messages=with_messages)
    if to_send:
        return letter_to_send(public_id, campaign.id)
    return letter_to_change(public_id, campaign.id)


def _remember(public_id: str) -> None:
    """This browser wrote the letter: its session (or, framed, its links' token) says so."""
    letters = [p for p in session.get(SESSION_LETTERS, []) if p != public_id]
    session[SESSION_LETTERS] = [*letters[-9:], public_id]
    framing.claim(public_id)


def _already_written(campaign: CampaignSnapshot, letter: Letter):
    return render_template(
        "public/already_written.html",
        campaign=campaign,
        letter=letter,
        share=_share_links(campaign, letter.source),
    )


def _consent_error(campaign: CampaignSnapshot, recipient: Recipient) -> str:
    copy_name = _copy_name(campaign, recipient)
    if copy_name:
        return gettext(
            "Tick the box to agree that your letter and details are sent to %(name)s, and a "
            "copy to %(copy)s",
            name=recipient.name,
            copy=copy_name,
        )
    return gettext(
        "Tick the box to agree that your letter and details are sent to %(name)s",
        name=recipient.name,
    )


def _copy_name(campaign: CampaignSnapshot, recipient: Recipient) -> str | None:
    """Who gets a copy of a letter to this recipient, if anyone."""
    copy = copy_recipient(campaign, recipient)
    return copy["name"] if copy else None


def _error_list(form: LetterForm) -> list[tuple[str, str]]:
    order = [
        "subject", "body_before", "personal_paragraph", "body_after", "name", "email",
        "address_line_1", "address_line_2", "town", "consent", "opt_ins",
    ]  # fmt: skip
    return [(f"#{name}", form[name].errors[0]) for name in order if form[name].errors]


def _share_links(campaign: CampaignSnapshot, source: str | None) -> dict[str, str]:
    return share_links(campaign, source, current_registry().settings.public_base_url)
