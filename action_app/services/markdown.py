"""Campaign intros are Markdown written by staff; rendered here with raw HTML switched off."""

from functools import lru_cache

from markdown_it import MarkdownIt

# CommonMark with raw HTML disabled: "<script>" in an intro is shown as text. markdown-it's own
# link check refuses javascript:, vbscript:, file: and data: (except images) URLs.
_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
# Images are off (they would load from other sites), and links may go only to web pages and
# email addresses: no tel:, ftp:, relative or other schemes.
_renderer.disable("image")
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_renderer.validateLink = lambda url: url.strip().lower().startswith(_LINK_SCHEMES)


@lru_cache(maxsize=128)
def render_markdown(text: str) -> str:
    """Safe HTML for a campaign's Markdown text."""
    return _renderer.render(text or "")
