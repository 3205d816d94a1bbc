"""Small helpers for the fakes' tests."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit


def raw_get(base_url: str, raw_path: str) -> tuple[int, dict]:
    """GET a path byte-for-byte (requests would re-quote a malformed % escape)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request("GET", raw_path)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()
