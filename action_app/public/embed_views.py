"""``/embed/<slug>``: the action in a compact layout for a partner's iframe.

Only the sites a campaign lists (``embed_origins``) may frame it: the page's CSP names them in
``frame-ancestors``, and every other page keeps ``frame-ancestors 'none'``. The partner's source
code rides on the postcode form, so every letter taken through their site carries it. The
whole journey (MP, letter, check, sent) stays in the iframe, without the session cookie browsers
do not send there: public/framing.py says how.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template, request

from action_app.public.forms import PostcodeForm, clean_source
from action_app.public.page_policy import allow_for_page
from action_app.public.views import public_campaign
from action_app.services.participation import campaign_total

EMBED_MAX_AGE = 10


def register(bp: Blueprint) -> None:
    """The action for a partner's iframe."""
    bp.add_url_rule("/embed/<slug>", view_func=embed)


def embed(slug: str):
    campaign = public_campaign(slug)
    allow_for_page(frame_ancestors=campaign.embed_origins, image_urls=_logos(campaign))
    form = PostcodeForm()
    form.source.data = clean_source(request.args.get("source"))
    response = make_response(
        render_template(
            "public/embed.html",
            campaign=campaign,
            form=form,
            total=campaign_total(campaign.id),
            status=campaign.current_status(),
        )
    )
    response.headers["Cache-Control"] = f"public, max-age={EMBED_MAX_AGE}"
    return response


def _logos(campaign) -> list[str]:
    return [o["logo_url"] for o in campaign.organisations if o.get("logo_url")]
