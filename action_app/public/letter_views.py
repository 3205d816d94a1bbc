"""The second half of the journey: write the letter → check it → send → sent (and confirm).

Post/redirect/get throughout. The letter is stored as a draft when the supporter continues, so the
check page, an expired form token or a validation error never loses what they typed; sending is a
single conditional update, so back, refresh and double clicks never send twice.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode

from flask import current_app, redirect, render_template, request, session, url_for

from action_app import tasking
from action_app.extensions import db
from action_app.models import Action, OutboundMessage
from action_app.models.types import utcnow
from action_app.public.forms import ConfirmForm, LetterForm, SendForm, clean_source
from action_app.public.views import bp, public_campaign
from action_app.services import emails, lookup, pacing
from action_app.services.actions import (
    AlreadyWritten,
    ConfirmationExpired,
    LetterInput,
    action_for_confirmation,
    confirm_action,
    find_action,
    letter_body,
    save_draft,
    submit_draft,
)
from action_app.services.campaign_cache import CampaignView
from action_app.services.campaigns import uk_datetime
from action_app.services.consent import consent_wording, opt_in_wording
from action_app.services.letters import Recipient, recipient_for, render_letter
from action_app.services.pacing import PacingRule
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
        return redirect(url_for("public.campaign", slug=slug, source=request.args.get("source")))
    recipient, postcode, source = context

    form = LetterForm(editable=view.body_editable)
    form.opt_ins.choices = [(o["slug"], o["name"]) for o in view.organisations]
    expired = False
    if request.method == "GET":
        _prefill(form, view, recipient, draft)
    elif form.validate():
        public_id = save_draft(
            view,
            recipient,
            postcode=postcode,
            source=source,
            form_token=form.form_token.data or secrets.token_urlsafe(24),
            letter=_letter_input(form),
            draft=draft,
        )
        db.session.commit()
        _remember(public_id)
        return redirect(url_for("public.check", slug=slug, public_id=public_id))
    else:
        expired = "csrf_token" in form.errors
        if form.consent.errors:
            form.consent.errors = [_consent_error(recipient)]
    return render_template(
        "public/write.html",
        campaign=view,
        form=form,
        recipient=recipient,
        postcode=postcode,
        letter=None if view.body_editable else render_letter(view, recipient),
        consent_label=consent_wording(recipient.name),
        opt_in_wording=opt_in_wording,
        expired=expired,
        back_url=url_for(
            "public.your_mp",
            slug=slug,
            **_query(postcode=postcode, seat=recipient.constituency_id, source=source),
        ),
        errors=_error_list(form),
    )


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
        delivery_at=_paced_delivery(view, action),
        failed=mp_message is not None and mp_message.status == "failed",
        failure_reason=mp_message.last_error if mp_message is not None else None,
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
        if confirm_action(action):
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
    action_id, public_id = action.id, action.public_id
    try:
        sent_now = submit_draft(action, view.require_confirmation)
    except AlreadyWritten as exc:
        return _already_written(view, exc.action)
    db.session.commit()
    if sent_now:
        _dispatch_letter(action_id)
        if not view.require_confirmation:
            bump_hot_totals(view.id, total=1)
    return redirect(url_for("public.sent", slug=view.slug, public_id=public_id))


def _paced_delivery(view: CampaignView, action: Action):
    """When the campaign's pacing will let this letter reach the MP (UK time), if not now."""
    rule = PacingRule.of(view)
    when = pacing.expected_delivery(action, rule, utcnow())
    return uk_datetime(when) if when is not None else None


def _dispatch_letter(action_id: int) -> None:
    """Queue the letter's task; if the broker is down, the sweep queues it once it is back."""
    if not tasking.dispatch(tasking.SEND_ACTION, action_id):
        forget_dispatch(action_id)
        db.session.commit()


def _journey_context(
    view: CampaignView, draft: Action | None
) -> tuple[Recipient, str, str | None] | None:
    """Recipient (decided here, from the seat), the looked-up postcode, and the source."""
    seat_id = request.args.get("seat", type=int)
    postcode = request.args.get("postcode")
    if draft is not None:
        seat_id, postcode = draft.constituency_id, draft.postcode
    found = lookup.find_mp_for_seat(seat_id, postcode) if seat_id is not None else None
    if found is None or found.postcode is None:
        return None
    if view.nations and found.nation is not None and found.nation not in view.nations:
        return None
    recipient = recipient_for(view, found.seat)
    if recipient is None:
        return None
    source = draft.source if draft is not None else clean_source(request.args.get("source"))
    return recipient, found.postcode, source


def _prefill(form: LetterForm, view: CampaignView, recipient: Recipient, draft: Action | None):
    form.form_token.data = secrets.token_urlsafe(24)
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
