"""A gunicorn worker closes each connection gracefully without waiting for the client.

Since version 26, gunicorn ends every connection with ``gunicorn.util.close_graceful``, as RFC 9112
section 9.6 asks:

1. It half-closes the socket, so the client gets a FIN after the response.
2. It reads and discards what the client still sends, until the client closes its end, 2 s pass
   or 64 KiB have been read.
3. Only then does it close.

Closing at once would make the kernel answer unread request bytes with a reset, and a reset can
cut off the end of a response the client has not read yet.

A sync worker does that waiting itself, so it can take no new connection until the client has
read the response and closed. That is a round trip through the client on every request, and on a
busy machine it is idle time. With it, the end-to-end bench read 44-52% of its baseline in five
runs of six, with the machine's CPU 77-84% busy. Without it, the bench read 56-60%, 93-94% busy,
at the same CPU per letter (bench/results/2026-12-03-linger.md).

``Lingerer`` keeps the RFC's behaviour and stops the worker waiting. The worker half-closes the
socket as before, so the FIN leaves at once, and moves on. The sockets it has half-closed are
finished on later calls, without blocking:

- on the worker's next ``close_graceful`` (the next request);
- on a turn of its main loop (``watch``: gunicorn's ``notify``, at least every half of
  GUNICORN_TIMEOUT when idle), if no close has looked at them for half a second.

A socket is finished once its client has closed its end, has been reset, or has sent as much as
gunicorn would drain. It is also finished once its deadline has passed at such a turn. What a
client sends meanwhile is read and discarded at those turns, as gunicorn's own would, and a socket
is only closed just after that reading. There is no thread, and no work between requests.

Gunicorn's own ``close_graceful`` still closes, waiting as before, what this does not take:

- a TLS socket (gunicorn terminating TLS itself);
- a socket beyond ``MAX_LINGERING`` held at once, for clients that never close.

``install`` is called in each worker by ``gunicorn_conf.post_fork``. Gunicorn's workers call
``util.close_graceful`` through the module, so replacing the module's attribute reaches every
call. tests/test_lingering_close.py checks this against a real gunicorn.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

# Sockets one process keeps lingering at most (each holds a file descriptor). Past it, gunicorn's
# own close waits for the client, as it did before.
MAX_LINGERING = 512
# A turn of the worker's loop looks at the sockets only if nothing has for this long: a busy
# worker finishes them in its closes already, and one poll a request is enough.
WATCH_SECONDS = 0.5

CloseGraceful = Callable[..., None]


class _Lingering:
    __slots__ = ("drain_left", "sock")

    def __init__(self, sock, drain_left: int):
        self.sock = sock
        self.drain_left = drain_left


class Lingerer:
    """Half-closed sockets, each finished without blocking once its client is done with it.

    The costs are kept to what a request must pay: one poll for readable sockets, one
    registration and its removal, and the reads and closes gunicorn's own would make. On Linux,
    epoll is used (poll elsewhere), by file descriptor, without the selectors module's
    bookkeeping; reads pass MSG_DONTWAIT rather than switching each socket to non-blocking. On
    this machine a connection's close costs about 7.5 µs this way, against 3.3 µs for the bare
    shutdown, read and close, and 10.6 µs with selectors and a non-blocking switch."""

    def __init__(self, fallback: CloseGraceful, *, limit: int = MAX_LINGERING):
        self._fallback = fallback
        self._limit = limit
        # The gthread worker closes from several threads; the sync worker from one.
        self._lock = threading.Lock()
        if hasattr(select, "epoll"):
            self._poller, self._readable = select.epoll(), select.EPOLLIN
        else:
            self._poller, self._readable = select.poll(), select.POLLIN
        self._waiting: dict[int, _Lingering] = {}
        # (deadline, sequence, entry); an entry finished before its deadline stays until then.
        self._deadlines: list[tuple[float, int, _Lingering]] = []
        self._sequence = itertools.count()
        self._looked_at = 0.0

    def close_graceful(self, sock, timeout: float = 2.0, max_drain: int = 65536) -> None:
        """Gunicorn's ``close_graceful``, with the same arguments, without waiting."""
        with self._lock:
            self._finish_ready()
            taken = not isinstance(sock, ssl.SSLSocket) and len(self._waiting) < self._limit
            if taken:
                self._take(sock, timeout, max_drain)
        if not taken:
            self._fallback(sock, timeout, max_drain)

    def watch(self) -> None:
        """Finish what is ready, if no close has looked for a while: called on each turn of
        the worker's main loop, so that an idle worker finishes its sockets too."""
        if self._waiting and time.monotonic() - self._looked_at >= WATCH_SECONDS:
            with self._lock:
                self._finish_ready()

    def lingering(self) -> int:
        """Sockets half-closed and not yet finished."""
        return len(self._waiting)

    def _take(self, sock, timeout: float, max_drain: int) -> None:
        try:
            sock.shutdown(socket.SHUT_WR)
            if sock.gettimeout():
                # A timeout would make even a MSG_DONTWAIT read wait for data first.
                sock.settimeout(None)
            fd = sock.fileno()
            self._poller.register(fd, self._readable)
        except (OSError, ValueError):
            # Reset or not connected already: nothing to wait for.
            _close(sock)
            return
        entry = _Lingering(sock, max_drain)
        self._waiting[fd] = entry
        deadline = time.monotonic() + timeout
        heapq.heappush(self._deadlines, (deadline, next(self._sequence), entry))

    def _finish_ready(self) -> None:
        self._looked_at = now = time.monotonic()
        if not self._waiting:
            self._deadlines.clear()
            return
        for fd, _events in self._poller.poll(0):
            entry = self._waiting.get(fd)
            if entry is not None and _client_done(entry):
                self._finish(entry)
        while self._deadlines and self._deadlines[0][0] <= now:
            entry = heapq.heappop(self._deadlines)[2]
            # A finished entry's socket is closed (descriptor -1), and its number may be a
            # newer socket's by now: only the same entry is finished.
            if self._waiting.get(entry.sock.fileno()) is entry:
                self._finish(entry)

    def _finish(self, entry: _Lingering) -> None:
        # Unregistered and forgotten before the close, so a new socket given the same file
        # descriptor number is never mistaken for this one.
        fd = entry.sock.fileno()
        del self._waiting[fd]
        with contextlib.suppress(OSError, KeyError, ValueError):
            self._poller.unregister(fd)
        _close(entry.sock)


def _close(sock) -> None:
    """Close as gunicorn's own does: an error closing is no reason to fail the request's
    worker (this runs inside gunicorn's handling of the next connection)."""
    with contextlib.suppress(OSError):
        sock.close()


def _client_done(entry: _Lingering) -> bool:
    """Read and discard what the client sent; whether it is done (closed, reset, or past the
    cap on what is drained)."""
    while True:
        try:
            data = entry.sock.recv(4096, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not data:
            return True
        entry.drain_left -= len(data)
        if entry.drain_left <= 0:
            return True


def install(worker=None) -> Lingerer | None:
    """Route this process's gunicorn ``close_graceful`` calls through a new ``Lingerer``, and
    have ``worker`` (gunicorn's worker object, from ``post_fork``) finish ready sockets on each
    turn of its loop. A gunicorn without ``close_graceful`` (before 26) closes at once and is
    left alone."""
    import gunicorn.util

    original = getattr(gunicorn.util, "close_graceful", None)
    if original is None:
        return None
    installed = getattr(original, "__self__", None)
    if isinstance(installed, Lingerer):  # installed already in this process
        return installed
    lingerer = Lingerer(original)
    gunicorn.util.close_graceful = lingerer.close_graceful
    if worker is not None:
        notify = worker.notify

        def notify_and_watch() -> None:
            notify()
            lingerer.watch()

        worker.notify = notify_and_watch
    return lingerer
