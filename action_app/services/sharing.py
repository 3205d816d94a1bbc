"""Links a supporter can share once they have written, one per channel."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from action_app.i18n import current_language, gettext
from action_app.models.statuses import Language
from action_app.services.campaign_cache import CampaignSnapshot


def share_links(campaign: CampaignSnapshot, source: str | None, base_url: str) -> dict[str, str]:
    """A share link per channel; each carries a source code (the supporter's own, or one naming
    the channel), so organisers see which routes bring people in. ``base_url`` is
    PUBLIC_BASE_URL, never the request's Host. In Welsh, the words are Welsh and the page
    opens in Welsh."""
    text = campaign.share_text or gettext(
        "I've written to my MP: %(title)s. Will you?", title=campaign.title
    )
    language = current_language()
    lang = {"lang": language.value} if language != Language.EN else {}

    def page(channel: str) -> str:
        code = source or f"share-{channel}"
        return f"{base_url}/c/{campaign.slug}?{urlencode({'source': code, **lang})}"

    title = campaign.title
    return {
        "email": f"mailto:?subject={quote(title)}&body={quote(text + ' ' + page('email'))}",
        "whatsapp": f"https://wa.me/?{urlencode({'text': text + ' ' + page('whatsapp')})}",
        "facebook": "https://www.facebook.com/sharer/sharer.php?"
        + urlencode({"u": page("facebook")}),
        "x": f"https://x.com/intent/post?{urlencode({'text': text, 'url': page('x')})}",
        "link": page("link"),
    }
