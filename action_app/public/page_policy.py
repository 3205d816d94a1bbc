"""A page's own loosening of the site-wide Content-Security-Policy, set by its view.

Two things vary by page: which partner sites may frame it (the embed, and only the sites its
campaign lists), and which other sites its images come from (organisations' logos named in the
campaign document). Everything else stays as strict as the site-wide policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import g

from action_app.services.campaigns import HOST


@dataclass(frozen=True)
class PagePolicy:
    frame_ancestors: tuple[str, ...] = ()
    image_origins: tuple[str, ...] = ()

    def csp(self) -> str:
        images = " ".join(("'self'", *self.image_origins))
        ancestors = " ".join(self.frame_ancestors) or "'none'"
        return "; ".join(
            [
                "default-src 'self'",
                f"img-src {images}",
                "style-src 'self'",
                "script-src 'self'",
                "form-action 'self'",
                f"frame-ancestors {ancestors}",
                "base-uri 'none'",
                "object-src 'none'",
            ]
        )


def origin_of(url: str) -> str | None:
    """``https://example.org`` for any https address on that site; None for anything else
    (including any host name that is not plain: it goes into a header)."""
    try:
        parts = urlsplit(url or "")
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or not HOST.match(parts.hostname):
        return None
    return f"https://{parts.hostname}{port}"


def allow_for_page(*, frame_ancestors=(), image_urls=()) -> None:
    """Loosen this response's policy just enough for these partner sites and images (added to
    what the page has already allowed)."""
    before = g.get("page_policy") or PagePolicy()
    images = {o for o in map(origin_of, image_urls) if o} | set(before.image_origins)
    ancestors = tuple(dict.fromkeys((*before.frame_ancestors, *frame_ancestors)))
    g.page_policy = PagePolicy(ancestors, tuple(sorted(images)))
