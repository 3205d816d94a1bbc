"""The second half of the journey: write the letter → check it → send → sent (and confirm).

Post/redirect/get throughout. The letter is stored as a draft when the supporter continues, so the
check page, an expired form token or a validation error never loses what they typed; sending is a
single conditional update, so back, refresh and double clicks never send twice.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode

from flask import current_app, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from action_app import rate_limits, tasking
from action_app.extensions import db
from action_app.models import Action, OutboundMessage
from action_app.public.forms import ConfirmForm, SendForm, clean_source
from action_app.public.guarded_form import GuardedLetterForm as LetterForm
from action_app.public.views import bp, public_campaign, too_many, uk_time_of_day
from action_app.services import abuse, emails, lookup, seat_check
from action_app.services.actions import (
    ConfirmationExpired,
    LetterInput,
    action_for_confirmation,
    confirm_action,
    find_action,
    letter_body,
    save_draft,
)
from action_app.services.campaign_cache import CampaignView
from action_app.services.letters import Recipient, recipient_for, render_letter
from action_app.services.participation import bump_hot_totals, campaign_total
from action_app.services.sending import forget_dispatch

SESSION_LETTERS = "letters"


@bp.route("/c/<slug>/write", methods=["GET", "POST"])
def write(slug: str):
    view = public_campaign(slug)
    if view.current_status() != "live":
        return redirect(url_for("public.campaign", slug=slug))
    draft = _own_letter(request.args.get("draft"), view) if request.args.get("draft") else None
    context = _journey_context(view, draft)
    if context is None:
        return _back_to_your_mp(view)
    recipient, postcode, source, how_seat = context

    form = LetterForm(editable=view.body_editable)
    form.opt_ins.choices = [(o["slug"], o["name"]) for o in view.organisations]
    expired = False
    refused = None
    if request.method == "GET":
        _prefill(form, view, recipient, draft)
    elif (refused := rate_limits.check_address("continue")) is not None:
        pass  # the page again, everything typed kept, saying when to try again (429)
    elif form.validate():
        letter = _letter_input(form)
        text = abuse.letter_text(view, recipient, letter, postcode)
        verdict = abuse.review_letter(view, recipient, text)
        if verdict.action == "refuse":
            field = form.body_before if view.body_editable else form.personal_paragraph
            field.errors = [verdict.message]
        else:
            public_id = save_draft(
                view,
                recipient,
                postcode=postcode,
                source=source,
                form_token=form.form_token.data or secrets.token_urlsafe(24),
                letter=letter,
                draft=draft,
            )
            hold = abuse.bot_reason(
                form.contact_me_by_fax_only.data, form.opened.data, form.form_token.data
            )
            abuse.annotate_draft(
                public_id,
                seat_check=how_seat,
                body_hash=text.fingerprint(),
                hold_reason=hold or (verdict.reason if verdict.action == "hold" else None),
            )
            db.session.commit()
            _remember(public_id)
            return redirect(url_for("public.check", slug=slug, public_id=public_id))
    else:
        expired = "csrf_token" in form.errors
        if form.consent.errors:
            form.consent.errors = [_consent_error(recipient)]
    page = render_template(
        "public/write.html",
        campaign=view,
        form=form,
        recipient=recipient,
        postcode=postcode,
        letter=None if view.body_editable else render_letter(view, recipient),
        expired=expired,
        back_url=url_for(
            "public.your_mp",
            slug=slug,
            **_query(postcode=postcode, seat=recipient.constituency_id, source=source),
        ),
        errors=_error_list(form),
        limited=refused,
        try_at=uk_time_of_day(refused.resets_at) if refused else None,
    )
    if refused is None:
        return page
    return page, 429, {"Retry-After": str(refused.retry_after)}


@bp.route("/c/<slug>/check/<public_id>", methods=["GET", "POST"])
def check(slug: str, public_id: str):
    view = public_campaign(slug)
    action = _own_letter(public_id, view)
    if action is None:
        return render_template("public/letter_missing.html", campaign=view), 404
    if action.status != "draft":
        return redirect(url_for("public.sent", slug=slug, public_id=public_id))
    if view.current_status() != "live":  # paused or closed since the letter was written
        return redirect(url_for("public.campaign", slug=slug))
    form = SendForm()
    expired = False
    if request.method == "POST":
        if form.validate():
            refused = rate_limits.check_letter(
                view.id, action.recipient_key, action.email_key, action.postcode
            )
            if refused is not None:
                back = url_for("public.check", slug=slug, public_id=public_id)
                return too_many(view, refused, saved_letter_url=back)
            return _send(view, action)
        expired = True  # the only field is the CSRF token
    # Built by the same code the worker uses, so this is exactly what the MP will receive.
    preview = emails.build_mp_email(
        OutboundMessage(id=0, action_id=action.id, kind="mp"), action, view, _settings()
    )
    return render_template(
        "public/check.html",
        campaign=view,
        action=action,
        form=form,
        expired=expired,
        headers=[(name, preview[name]) for name in ("From", "Reply-To", "To", "Subject")],
        body=preview.get_content(),
        change_url=url_for(
            "public.write",
            slug=slug,
            **_query(
                draft=action.public_id,
                postcode=action.postcode,
                seat=action.constituency_id,
                source=action.source,
            ),
        ),
    )


@bp.get("/c/<slug>/sent/<public_id>")
def sent(slug: str, public_id: str):
    view = public_campaign(slug)
    action = _own_letter(public_id, view)
    if action is None:
        return render_template("public/letter_missing.html", campaign=view), 404
    if action.status == "draft":
        return redirect(url_for("public.check", slug=slug, public_id=public_id))
    mp_message = next((m for m in action.messages if m.kind == "mp"), None)
    return render_template(
        "public/sent.html",
        campaign=view,
        action=action,
        failed=mp_message is not None and mp_message.status == "failed",
        failure_reason=mp_message.last_error if mp_message is not None else None,
        read_first=action.status == "held" and (action.hold_reason or "").startswith("content:"),
        letter_text=letter_body(action),
        total=campaign_total(view.id),
        share=_share_links(view, action.source),
    )


@bp.route("/c/<slug>/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str):
    view = public_campaign(slug)
    try:
        action = action_for_confirmation(token, view.id)
    except ConfirmationExpired:
        return render_template("public/confirm_expired.html", campaign=view), 410
    if action is None:
        return render_template("public/letter_missing.html", campaign=view), 404
    _remember(action.public_id)
    if action.status == "confirmed":
        return redirect(url_for("public.sent", slug=slug, public_id=action.public_id))
    form = ConfirmForm()
    if request.method == "POST" and form.validate() and view.current_status() == "live":
        action_id = action.id
        try:
            confirmed = confirm_action(action)
        except IntegrityError:  # a letter from this address to this MP was sent meanwhile
            db.session.rollback()
            return _already_written(view, action)
        if confirmed:
            db.session.commit()
            _dispatch_letter(action_id)
            bump_hot_totals(view.id, total=1)
        return redirect(url_for("public.sent", slug=slug, public_id=action.public_id))
    return render_template(
        "public/confirm.html",
        campaign=view,
        action=action,
        form=form,
        closed=view.current_status() != "live",
    )


def _send(view: CampaignView, action: Action):
    public_id = action.public_id
    action_id = action.id
    submission = abuse.submit_letter(action, view, session.get(SESSION_LETTERS, []))
    if submission.kind == "already":
        return _already_written(view, submission.earlier)
    db.session.commit()
    if submission.kind in ("sent", "awaiting"):
        _dispatch_letter(action_id)
        if submission.kind == "sent" and not view.require_confirmation:
            bump_hot_totals(view.id, total=1)
    return redirect(url_for("public.sent", slug=view.slug, public_id=public_id))


def _dispatch_letter(action_id: int) -> None:
    """Queue the letter's task; if the broker is down, the sweep queues it once it is back."""
    if not tasking.dispatch(tasking.SEND_ACTION, action_id):
        forget_dispatch(action_id)
        db.session.commit()


def _journey_context(
    view: CampaignView, draft: Action | None
) -> tuple[Recipient, str, str | None, str] | None:
    """Recipient (decided here: the seat comes from the postcode, or from the list only with
    the chosen-seat page's proof), the postcode, the source, and how the seat was decided."""
    if draft is not None:
        found = lookup.find_mp_for_seat(draft.constituency_id, draft.postcode)
        how = draft.seat_check
    else:
        decision = seat_check.decide_seat(
            request.args.get("seat", type=int),
            request.args.get("postcode"),
            request.args.get("proof"),
        )
        found, how = (decision.found, decision.seat_check) if decision else (None, "")
    if found is None or found.postcode is None:
        return None
    if view.nations and found.nation is not None and found.nation not in view.nations:
        return None
    recipient = recipient_for(view, found.seat)
    if recipient is None:
        return None
    source = draft.source if draft is not None else clean_source(request.args.get("source"))
    return recipient, found.postcode, source, how


def _back_to_your_mp(view: CampaignView):
    """No letter to this seat from here: back to the MP for the postcode (or to the start)."""
    query = _query(postcode=request.args.get("postcode"), source=request.args.get("source"))
    if "postcode" in query:
        return redirect(url_for("public.your_mp", slug=view.slug, **query))
    return redirect(url_for("public.campaign", slug=view.slug, **query))


def _prefill(form: LetterForm, view: CampaignView, recipient: Recipient, draft: Action | None):
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
    parts = render_letter(view, recipient)
    form.subject.data, form.body_before.data, form.body_after.data = (
        parts.subject,
        parts.before,
        parts.after,
    )


def _letter_input(form: LetterForm) -> LetterInput:
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


def _own_letter(public_id: str | None, view: CampaignView) -> Action | None:
    """A letter this browser wrote: its id must be in this session, not just in the URL."""
    if not public_id or public_id not in session.get(SESSION_LETTERS, []):
        return None
    return find_action(public_id, view.id)


def _remember(public_id: str) -> None:
    letters = [p for p in session.get(SESSION_LETTERS, []) if p != public_id]
    session[SESSION_LETTERS] = [*letters[-9:], public_id]


def _already_written(view: CampaignView, action: Action):
    return render_template(
        "public/already_written.html",
        campaign=view,
        action=action,
        share=_share_links(view, action.source),
    )


def _consent_error(recipient: Recipient) -> str:
    return f"Tick the box to agree that your letter and details are sent to {recipient.name}"


def _error_list(form: LetterForm) -> list[tuple[str, str]]:
    order = [
        "subject", "body_before", "personal_paragraph", "body_after", "name", "email",
        "address_line_1", "address_line_2", "town", "consent", "opt_ins",
    ]  # fmt: skip
    return [(f"#{name}", form[name].errors[0]) for name in order if form[name].errors]


def _share_links(view: CampaignView, source: str | None) -> dict[str, str]:
    """A share link per channel; each carries a source code (the supporter's own, or one naming
    the channel), so organisers see which routes bring people in."""
    settings = _settings()
    text = view.share_text or f"I've written to my MP: {view.title}. Will you?"

    def page(channel: str) -> str:
        code = source or f"share-{channel}"
        return f"{settings.public_base_url}/c/{view.slug}?{urlencode({'source': code})}"

    return {
        "email": f"mailto:?subject={quote(view.title)}&body={quote(text + ' ' + page('email'))}",
        "whatsapp": f"https://wa.me/?{urlencode({'text': text + ' ' + page('whatsapp')})}",
        "facebook": "https://www.facebook.com/sharer/sharer.php?"
        + urlencode({"u": page("facebook")}),
        "x": f"https://x.com/intent/post?{urlencode({'text': text, 'url': page('x')})}",
        "link": page("link"),
    }


def _query(**values) -> dict:
    return {k: v for k, v in values.items() if v not in (None, "")}


def _settings():
    return current_app.config["SETTINGS"]
