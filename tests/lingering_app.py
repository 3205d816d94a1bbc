"""A WSGI application for tests/test_lingering_close.py: answers "hello" without reading any
request body, so a POST leaves unread bytes behind it."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]
