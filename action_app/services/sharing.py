"""Links a supporter can share once they have written, one per channel."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from action_app.services.campaign_cache import CampaignSnapshot


def share_links(campaign: CampaignSnapshot, source: str | None, base_url: str) -> dict[str, str]:
    """A share link per channel; each carries a source code (the supporter's own, or one naming
    the channel), so organisers see which routes bring people in. ``base_url`` is
    PUBLIC_BASE_URL, never the request's Host."""
    text = campaign.share_text or f"I've written to my MP: {campaign.title}. Will you?"

    def page(channel: str) -> str:
        code = source or f"share-{channel}"
        return f"{base_url}/c/{campaign.slug}?{urlencode({'source': code})}"

    title = campaign.title
    return {
        "email": f"mailto:?subject={quote(title)}&body={quote(text + ' ' + page('email'))}",
        "whatsapp": f"https://wa.me/?{urlencode({'text': text + ' ' + page('whatsapp')})}",
        "facebook": "https://www.facebook.com/sharer/sharer.php?"
        + urlencode({"u": page("facebook")}),
        "x": f"https://x.com/intent/post?{urlencode({'text': text, 'url': page('x')})}",
        "link": page("link"),
    }
