"""The campaign page's floor: its own bytes, served by a WSGI callable with no application code.

The bench fetches the campaign page once and writes its status, headers and body to the file
that ``BENCH_FIXED_PAGE`` names; this serves them for every request, on the same gunicorn
settings as the platform. What the campaign page row costs beyond this row is the application's
(Flask's entry, the shared cache's lookup); the rest is the server's and the kernel's, which no
application code can take away.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

_PAGE = json.loads(Path(os.environ["BENCH_FIXED_PAGE"]).read_text())
STATUS: str = _PAGE["status"]
HEADERS: list[tuple[str, str]] = [(name, value) for name, value in _PAGE["headers"]]
BODY: bytes = base64.b64decode(_PAGE["body"])


def app(environ, start_response):
    start_response(STATUS, list(HEADERS))
    return [BODY]
