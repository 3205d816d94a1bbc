"""Base class for the loopback fake servers, with fault-injection switches.

Subclasses implement `handle_api(req) -> Response` and `error_payload(status)` (the body of an
injected failure in the API's style), and may override `finalize(req, resp)` to add headers
every answer carries.  Everything else - threads, keep-alive, latency, failures, hangs, going
down and coming back on the same port, request statistics and the HTTP control endpoints under
/__fake__/ - lives here.

Switches (thread-safe; they act on API requests only, never on the /__fake__/ calls):
  latency = seconds           added before every answer
  fail_next(count, status)    the next `count` requests answer `status` (429: Retry-After: 1;
                              502/504: an HTML gateway page; others: the API's JSON error)
  fail_always(status|None)    every request fails until heal()
  hang_next(count, seconds)   the next `count` requests wait before answering
  go_down() / come_back()     refuse connections / listen again on the same port; requests
                              caught sleeping in latency or a hang are dropped unanswered
  requests_seen, max_in_flight, in_flight, stats(), reset_stats(), reset()
Over HTTP: POST /__fake__/control {"latency_ms", "fail_next": {"count", "status"},
"fail_always": status|null, "hang_next": {"count", "seconds"}, "reset": true};
GET /__fake__/stats -> {"requests": n, "max_in_flight": n}.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections import deque
from http import HTTPStatus

from .wire import (
    JSON_TYPE,
    FakeHTTPServer,
    FakeHTTPServer6,
    FakeRequestHandler,
    Request,
    Response,
    json_response,
    read_request,
    write_response,
)

__all__ = ["CONTROL_PREFIX", "JSON_TYPE", "FakeServer", "Request", "Response", "json_response"]

CONTROL_PREFIX = "/__fake__/"


class FakeServer:
    """A fake HTTP API on loopback.  Use as a context manager or start()/stop()."""

    name = "fake"

    def __init__(
        self, dataset=None, host: str = "127.0.0.1", port: int = 0, verbose: bool = False
    ) -> None:
        if dataset is None:
            from .dataset import default_dataset

            dataset = default_dataset()
        self.dataset = dataset
        self.host = host
        self.port = port
        self.verbose = verbose
        self._lock = threading.Lock()
        self._latency = 0.0
        self._fail_queue: deque[int] = deque()
        self._fail_always: int | None = None
        self._hang_queue: deque[float] = deque()
        self._requests: list[tuple[str, str]] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._conns: set[socket.socket] = set()
        self._httpd: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()  # set by go_down(): cuts latency/hang sleeps short

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeServer:
        if self._httpd is None:
            self._listen()
        return self

    def stop(self) -> None:
        self.go_down()

    def go_down(self) -> None:
        """Stop listening and drop open connections: new connections are refused."""
        with self._lock:
            httpd, thread, self._httpd, self._thread = self._httpd, self._thread, None, None
            conns = list(self._conns)
            wake = self._wake
        if httpd is None:
            return
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        wake.set()  # requests sleeping in latency/hang give up without answering
        httpd.shutdown()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def come_back(self) -> FakeServer:
        """Listen again on the same port."""
        if self._httpd is None:
            self._listen()
        return self

    @property
    def is_up(self) -> bool:
        return self._httpd is not None

    def _listen(self) -> None:
        deadline = time.monotonic() + 3
        while True:
            try:
                cls = FakeHTTPServer6 if ":" in self.host else FakeHTTPServer
                httpd = cls((self.host, self.port), FakeRequestHandler)
                break
            except OSError:
                if self.port == 0 or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        httpd.fake = self
        self.port = httpd.server_address[1]
        thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-{self.port}",
            daemon=True,
        )
        with self._lock:
            self._httpd, self._thread = httpd, thread
            self._wake = threading.Event()  # a fresh one per listening period
        thread.start()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- switches -------------------------------------------------------------------------
    @property
    def latency(self) -> float:
        with self._lock:
            return self._latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        with self._lock:
            self._latency = max(0.0, float(seconds))

    def fail_next(self, count: int, status: int = 500) -> None:
        """The next `count` API requests answer `status` (queued after earlier fail_next)."""
        _check_status(status)
        with self._lock:
            self._fail_queue.extend([int(status)] * int(count))

    def fail_always(self, status: int | None) -> None:
        if status is not None:
            _check_status(status)
        with self._lock:
            self._fail_always = status

    def heal(self) -> None:
        """Forget fail_always, pending fail_next and pending hang_next (not latency)."""
        with self._lock:
            self._fail_always = None
            self._fail_queue.clear()
            self._hang_queue.clear()

    def hang_next(self, count: int, seconds: float) -> None:
        """The next `count` API requests wait `seconds` before answering."""
        with self._lock:
            self._hang_queue.extend([float(seconds)] * int(count))

    @property
    def requests_seen(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._requests)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        with self._lock:
            return self._max_in_flight

    def reset_stats(self) -> None:
        with self._lock:
            self._requests.clear()
            self._max_in_flight = self._in_flight

    def reset(self) -> None:
        """Back to a healthy, fast server with empty statistics."""
        self.heal()
        self.latency = 0.0
        self.reset_stats()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"requests": len(self._requests), "max_in_flight": self._max_in_flight}

    # -- subclass hooks -------------------------------------------------------------------
    def handle_api(self, req: Request) -> Response:
        raise NotImplementedError

    def error_payload(self, status: int) -> tuple[object, str]:
        """Body (JSON-able) and content type of an injected failure, in the API's style."""
        return {"status": status}, JSON_TYPE

    def error_response(self, req: Request, status: int) -> Response:
        """An injected failure: API-style JSON, except 502/504 which come from a gateway."""
        if status in (502, 504):
            reason = HTTPStatus(status).phrase
            html = f"<html><head><title>{status} {reason}</title></head><body><center><h1>"
            html += f"{status} {reason}</h1></center></body></html>\n"
            return Response(status, html.encode(), "text/html")
        payload, content_type = self.error_payload(status)
        headers = [("Retry-After", "1")] if status == 429 else []
        return json_response(status, payload, content_type, headers)

    def finalize(self, req: Request, resp: Response) -> Response:
        return resp

    # -- request handling -----------------------------------------------------------------
    def _serve(self, h: FakeRequestHandler) -> None:
        try:
            req = read_request(h)
        except (OSError, ValueError):
            h.close_connection = True
            return
        if req.path.startswith(CONTROL_PREFIX):
            write_response(h, req, self._control(req))
            return
        with self._lock:
            self._requests.append((req.method, req.target))
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            delay = self._latency
            hang = self._hang_queue.popleft() if self._hang_queue else 0.0
            wake = self._wake
        try:
            if delay + hang > 0 and wake.wait(delay + hang):
                h.close_connection = True  # went down meanwhile: drop, don't answer
                return
            with self._lock:
                status = self._fail_queue.popleft() if self._fail_queue else self._fail_always
            try:
                resp = self.handle_api(req) if status is None else self.error_response(req, status)
            except Exception as exc:  # a bug in the fake: answer 500 and show it
                print(
                    f"[{self.name}] error handling {req.method} {req.target}: {exc!r}",
                    file=sys.stderr,
                )
                resp = self.error_response(req, 500)
            write_response(h, req, self.finalize(req, resp))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _control(self, req: Request) -> Response:
        if req.path == CONTROL_PREFIX + "stats" and req.method in ("GET", "HEAD"):
            return json_response(200, self.stats())
        if req.path != CONTROL_PREFIX + "control" or req.method != "POST":
            return json_response(404, {"error": "unknown control endpoint"})
        try:
            cmd = json.loads(req.body or b"{}")
            if not isinstance(cmd, dict):
                raise ValueError("expected a JSON object")
            if cmd.get("reset"):
                self.reset()
            if "latency_ms" in cmd:
                self.latency = float(cmd["latency_ms"]) / 1000
            if "fail_always" in cmd:
                self.fail_always(None if cmd["fail_always"] is None else int(cmd["fail_always"]))
            if "fail_next" in cmd:
                spec = cmd["fail_next"]
                self.fail_next(int(spec.get("count", 1)), int(spec.get("status", 500)))
            if "hang_next" in cmd:
                spec = cmd["hang_next"]
                self.hang_next(int(spec.get("count", 1)), float(spec["seconds"]))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return json_response(400, {"error": f"bad control request: {exc}"})
        with self._lock:
            state = {
                "latency_ms": round(self._latency * 1000),
                "fail_next": len(self._fail_queue),
                "fail_always": self._fail_always,
                "hang_next": len(self._hang_queue),
            }
        return json_response(200, {"ok": True, **state})


def _check_status(status: int) -> None:
    if not 100 <= int(status) <= 599:
        raise ValueError(f"not an HTTP status: {status}")
