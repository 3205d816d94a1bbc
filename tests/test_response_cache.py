"""The shared-cache middleware keeps public, cookie-free 200 responses, and nothing else."""

from __future__ import annotations

from werkzeug.test import Client

from action_app.memo import TtlLru
from action_app.response_cache import SharedCacheMiddleware


class App:
    """A WSGI app that answers with whatever the test sets, and counts its calls."""

    def __init__(self, status="200 OK", headers=None):
        self.status = status
        self.headers = [("Cache-Control", "public, max-age=10")] if headers is None else headers
        self.calls = 0
        self.closed = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response(self.status, [*self.headers, ("Content-Type", "text/plain")])
        return Body(self, f"answer {self.calls}".encode())


class Body(list):
    def __init__(self, app: App, data: bytes):
        super().__init__([data])
        self.app = app

    def close(self):
        self.app.closed += 1


def client_for(app: App) -> Client:
    return Client(SharedCacheMiddleware(app, TtlLru(max_entries=10, ttl_seconds=60)))


def test_a_public_response_is_answered_again_without_the_app():
    app = App()
    client = client_for(app)
    first = client.get("/c/x")
    second = client.get("/c/x")
    assert first.data == second.data == b"answer 1"
    assert second.headers["Cache-Control"] == "public, max-age=10"
    assert app.calls == 1
    assert app.closed == 1  # the app's body was closed once it had been read


def test_each_path_and_query_string_is_kept_apart():
    app = App()
    client = client_for(app)
    assert client.get("/c/x?source=a").data == b"answer 1"
    assert client.get("/c/x?source=b").data == b"answer 2"
    assert client.get("/c/y?source=a").data == b"answer 3"
    assert client.get("/c/x?source=a").data == b"answer 1"
    assert app.calls == 3


def test_only_gets_are_answered_from_memory():
    app = App()
    client = client_for(app)
    client.post("/c/x")
    client.post("/c/x")
    client.get("/c/x")
    assert app.calls == 3


def test_what_is_not_shareable_is_never_kept():
    for status, headers in [
        ("200 OK", [("Cache-Control", "public, max-age=10"), ("Set-Cookie", "session=1")]),
        ("200 OK", [("Cache-Control", "public, max-age=10"), ("Vary", "Cookie")]),
        ("200 OK", [("Cache-Control", "private, max-age=10")]),
        ("200 OK", [("Cache-Control", "public, max-age=0")]),
        ("200 OK", [("Cache-Control", "public")]),
        ("200 OK", []),
        ("404 NOT FOUND", [("Cache-Control", "public, max-age=10")]),
    ]:
        app = App(status, headers)
        client = client_for(app)
        client.get("/c/x")
        assert client.get("/c/x").data == b"answer 2", (status, headers)
