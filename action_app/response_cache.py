"""A shared-cache middleware: what a CDN would do, inside each web process.

Responses the app marks ``Cache-Control: public`` (the campaign page, the count API) and that set
no cookie are kept for a couple of seconds and served again without entering Flask at all, so a
surge of anonymous visitors after an email blast costs little more than the bytes. The lifetime
is short because the live count on those pages is allowed to be two seconds old, no more.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from action_app.memo import TtlLru

_MAX_AGE = re.compile(r"max-age=(\d+)")
# Staff pages are never kept or served from here, whatever their headers say.
PRIVATE_PREFIXES = ("/staff",)


class SharedCacheMiddleware:
    def __init__(self, app: Callable, cache: TtlLru):
        self.app = app
        self.cache = cache

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO", "").startswith(
            PRIVATE_PREFIXES
        ):
            return self.app(environ, start_response)
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        hit = self.cache.get(key)
        if hit is not None:
            status, headers, body = hit
            start_response(status, headers)
            return [body]
        seen: dict = {}

        def remember(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, remember)
        if not _shareable(seen.get("status", ""), seen.get("headers", [])):
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.cache.put(key, (seen["status"], list(seen["headers"]), body))
        return [body]


def _shareable(status: str, headers: list[tuple[str, str]]) -> bool:
    if not status.startswith("200"):
        return False
    names = {name.lower(): value for name, value in headers}
    if "set-cookie" in names or "vary" in names:
        return False
    control = names.get("cache-control", "")
    match = _MAX_AGE.search(control)
    return control.startswith("public") and match is not None and int(match[1]) > 0
