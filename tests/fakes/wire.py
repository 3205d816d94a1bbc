"""HTTP plumbing shared by the fakes: request/response values, handler, reading and writing."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Request:
    method: str
    target: str  # raw request target: path plus query, not decoded
    path: str  # raw path, not decoded
    query: str  # raw query string without '?'
    headers: Message
    body: bytes = b""

    def params(self) -> dict[str, str]:
        """Query parameters with lower-cased names (first value wins)."""
        out: dict[str, str] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            out.setdefault(key.lower(), value)
        return out


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(
    status: int,
    payload: object,
    content_type: str = JSON_TYPE,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, content_type, list(headers or []))


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | ValueError):
            return  # client went away, socket shut down by go_down()/stop()
        super().handle_error(request, client_address)


class FakeHTTPServer6(FakeHTTPServer):
    address_family = socket.AF_INET6


class FakeRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def version_string(self) -> str:
        return f"fake-{self.server.fake.name}"

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.fake._track(self.connection, add=False)

    def _dispatch(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def log_message(self, format: str, *args: object) -> None:
        if self.server.fake.verbose:
            sys.stderr.write(f"[{self.server.fake.name}] {format % args}\n")


def read_request(h: BaseHTTPRequestHandler) -> Request:
    target = h.path
    if "://" in target:  # absolute-form target
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    path, _, query = target.partition("?")
    body = b""
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
        body = b"".join(chunks)
    else:
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            body = h.rfile.read(length)
    return Request(h.command, target, path, query, h.headers, body)


def write_response(h: BaseHTTPRequestHandler, req: Request, resp: Response) -> None:
    try:
        h.send_response(resp.status)
        no_body = resp.status in (204, 304) or 100 <= resp.status < 200
        if resp.content_type and not no_body:
            h.send_header("Content-Type", resp.content_type)
        for name, value in resp.headers:
            h.send_header(name, value)
        if not no_body:
            h.send_header("Content-Length", str(len(resp.body)))
        h.end_headers()
        if req.method != "HEAD" and not no_body:
            h.wfile.write(resp.body)
        h.wfile.flush()
    except OSError:
        h.close_connection = True
