"""The documented gunicorn settings (the benchmarks use the same ones).

Sync workers, one per core plus one: every request is short (the postcode lookup is cached and
the letter is sent by a Celery worker, never in the request), so threads buy little, and sync
workers keep memory and behaviour predictable. Override with GUNICORN_* environment variables.

Each worker closes connections through ``action_app.lingering_close``: gunicorn's graceful close
(RFC 9112 section 9.6), without waiting there for the client to close its end, so that a sync
worker takes its next connection at once.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
preload_app = False
# No control socket (gunicorn 25.1+ makes one in the home folder by default): nothing here uses
# gunicornc, and two servers on one machine (tests, the starter, the benchmarks) would share it.
control_socket_disable = True


def post_fork(server, worker):
    from action_app.lingering_close import install

    install(worker)
