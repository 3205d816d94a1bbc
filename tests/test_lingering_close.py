"""Gunicorn's graceful close, finished without the worker waiting (action_app/lingering_close.py).

The behaviour kept is the RFC's: the client gets the whole response and a clean end of stream,
never a reset, even when it sent bytes the server did not read. The behaviour gained: the worker
that handed the socket over is free at once, even while a client keeps its end open.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
from pathlib import Path

import gunicorn.util
import pytest

from action_app import lingering_close
from action_app.lingering_close import Lingerer
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parent.parent


def connected_pair() -> tuple[socket.socket, socket.socket]:
    """(client, server) ends of one loopback TCP connection."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    return client, server


def read_to_end(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the peer sends until its end of stream; a reset raises."""
    sock.settimeout(timeout)
    got = b""
    while data := sock.recv(65536):
        got += data
    return got


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Fallback:
    """Stands in for gunicorn's own close_graceful, and records what it was given."""

    def __init__(self):
        self.calls = []

    def __call__(self, sock, timeout=2.0, max_drain=65536):
        self.calls.append((sock, timeout, max_drain))
        sock.close()


@pytest.fixture
def lingerer():
    return Lingerer(Fallback())


def finished(lingerer: Lingerer, count: int = 0, seconds: float = 5.0) -> bool:
    """Whether, turning the worker's loop meanwhile, ``count`` sockets are left lingering."""

    def turn() -> bool:
        lingerer.watch()
        return lingerer.lingering() == count

    return wait_for(turn, seconds)


def test_the_client_reads_the_whole_response_and_a_clean_end_though_it_sent_unread_bytes(
    lingerer,
):
    client, server = connected_pair()
    client.sendall(b"x" * 4096)  # a request body the application never read
    server.sendall(b"R" * 100_000)
    lingerer.close_graceful(server)
    time.sleep(0.2)  # long enough for a plain close's reset to have gone out
    lingerer.watch()  # a turn of the worker's loop before the client has read anything
    assert read_to_end(client) == b"R" * 100_000
    client.close()
    assert finished(lingerer)
    assert server.fileno() == -1


def test_a_plain_close_would_reset_that_client():
    """The test above can fail: closing with unread bytes makes the kernel send a reset."""
    client, server = connected_pair()
    client.sendall(b"x" * 4096)
    server.sendall(b"R" * 100_000)
    server.close()
    time.sleep(0.2)
    with pytest.raises(ConnectionResetError):
        read_to_end(client)
    client.close()


def test_the_fin_goes_at_once_and_the_caller_does_not_wait_for_the_client(lingerer):
    client, server = connected_pair()
    server.sendall(b"answer")
    started = time.monotonic()
    lingerer.close_graceful(server, 30.0)
    handed_over_in = time.monotonic() - started
    assert read_to_end(client) == b"answer"  # the end of stream arrives while the client is open
    lingerer.watch()
    assert lingerer.lingering() == 1 and server.fileno() != -1
    assert handed_over_in < 1.0  # gunicorn's own would wait up to the 30 s given here
    client.close()
    assert finished(lingerer)
    assert server.fileno() == -1


def test_the_next_close_finishes_the_sockets_whose_clients_are_done(lingerer):
    first_client, first_server = connected_pair()
    lingerer.close_graceful(first_server, 30.0)
    first_client.close()
    time.sleep(0.1)
    second_client, second_server = connected_pair()
    lingerer.close_graceful(second_server, 30.0)  # no turn of the loop in between
    assert first_server.fileno() == -1
    assert lingerer.lingering() == 1
    second_client.close()
    assert finished(lingerer)


def test_a_new_socket_given_a_finished_ones_descriptor_keeps_its_own_deadline(lingerer):
    holder_client, holder_server = connected_pair()
    lingerer.close_graceful(holder_server, 30.0)  # one lingering throughout
    with socket.create_server(("127.0.0.1", 0)) as listener:
        first_client = socket.create_connection(listener.getsockname())
        first_server, _ = listener.accept()
        second_client = socket.create_connection(listener.getsockname())
        lingerer.close_graceful(first_server, 1.0)
        reused = first_server.fileno()
        first_client.shutdown(socket.SHUT_WR)  # done with it, its descriptor still held
        time.sleep(0.6)
        lingerer.watch()  # finishes the first, before its deadline
        assert first_server.fileno() == -1
        second_server, _ = listener.accept()
    assert second_server.fileno() == reused  # the descriptor number is given again
    lingerer.close_graceful(second_server, 30.0)
    time.sleep(0.6)  # past the first socket's deadline
    lingerer.watch()
    assert second_server.fileno() == reused
    assert lingerer.lingering() == 2
    for client in (first_client, second_client, holder_client):
        client.close()
    assert finished(lingerer)


def test_a_client_that_never_closes_is_let_go_at_the_deadline(lingerer):
    client, server = connected_pair()
    lingerer.close_graceful(server, 0.3)
    lingerer.watch()
    assert lingerer.lingering() == 1
    assert finished(lingerer)
    assert server.fileno() == -1
    assert read_to_end(client) == b""
    client.close()


def test_what_the_client_keeps_sending_is_drained_up_to_the_cap_then_closed(lingerer):
    client, server = connected_pair()
    lingerer.close_graceful(server, 30.0, 10_000)
    client.sendall(b"y" * 6000)
    time.sleep(0.2)
    lingerer.watch()
    assert lingerer.lingering() == 1  # under the cap: still waiting for the client
    client.sendall(b"y" * 6000)
    assert finished(lingerer)
    assert server.fileno() == -1
    client.close()


def test_many_sockets_linger_at_once_and_each_is_closed_when_its_client_closes(lingerer):
    pairs = [connected_pair() for _ in range(50)]
    for _, server in pairs:
        lingerer.close_graceful(server, 30.0)
    assert lingerer.lingering() == 50
    for client, _ in pairs[:25]:
        client.close()
    assert finished(lingerer, 25)
    assert all(server.fileno() == -1 for _, server in pairs[:25])
    assert all(server.fileno() != -1 for _, server in pairs[25:])
    for client, _ in pairs[25:]:
        client.close()
    assert finished(lingerer)


def test_over_the_limit_gunicorns_own_close_takes_the_socket():
    fallback = Fallback()
    lingerer = Lingerer(fallback, limit=2)
    pairs = [connected_pair() for _ in range(3)]
    for _, server in pairs:
        lingerer.close_graceful(server, 30.0, 1234)
    assert lingerer.lingering() == 2
    assert [call[0] for call in fallback.calls] == [pairs[2][1]]
    assert fallback.calls[0][1:] == (30.0, 1234)
    for client, _ in pairs:
        client.close()
    assert finished(lingerer)
    third = connected_pair()
    lingerer.close_graceful(third[1], 30.0)  # room again once the others closed
    assert lingerer.lingering() == 1 and len(fallback.calls) == 1
    third[0].close()
    assert finished(lingerer)


def test_a_tls_socket_goes_to_gunicorns_own_close(lingerer):
    client, server = connected_pair()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    wrapped = context.wrap_socket(server, server_side=True, do_handshake_on_connect=False)
    lingerer.close_graceful(wrapped)
    assert [call[0] for call in lingerer._fallback.calls] == [wrapped]
    assert lingerer.lingering() == 0
    client.close()


def test_a_socket_already_reset_is_closed_and_not_counted(lingerer):
    client, server = connected_pair()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # SO_LINGER 0: a reset
    time.sleep(0.1)
    lingerer.close_graceful(server)
    assert finished(lingerer)
    assert server.fileno() == -1


class FailingClose(socket.socket):
    """A socket whose close fails (it is closed all the same)."""

    def close(self):
        super().close()
        raise OSError(9, "Bad file descriptor")


def test_a_close_that_fails_does_not_reach_the_worker(lingerer):
    client, server = connected_pair()
    failing = FailingClose(fileno=server.detach())
    lingerer.close_graceful(failing, 30.0)
    client.close()
    assert finished(lingerer)  # no exception out of the turn that closed it
    assert failing.fileno() == -1
    reset_client, reset_server = connected_pair()
    reset_client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    reset_client.close()
    time.sleep(0.1)
    failing_reset = FailingClose(fileno=reset_server.detach())
    lingerer.close_graceful(failing_reset)  # closed at once, or at the next turn
    assert finished(lingerer)
    assert failing_reset.fileno() == -1


class Worker:
    """Gunicorn's worker as ``post_fork`` hands it over: ``notify`` is its loop's heartbeat."""

    def __init__(self):
        self.beats = 0

    def notify(self):
        self.beats += 1


def test_install_routes_gunicorns_close_through_one_lingerer_and_the_loop_finishes(
    monkeypatch,
):
    original = gunicorn.util.close_graceful
    monkeypatch.setattr(gunicorn.util, "close_graceful", original)
    worker = Worker()
    installed = lingering_close.install(worker)
    assert gunicorn.util.close_graceful == installed.close_graceful
    assert installed._fallback is original
    assert lingering_close.install() is installed  # a second call changes nothing
    client, server = connected_pair()
    gunicorn.util.close_graceful(server)
    client.close()
    assert wait_for(lambda: (worker.notify(), installed.lingering() == 0)[1])
    assert server.fileno() == -1 and worker.beats >= 1


def test_a_gunicorn_without_close_graceful_is_left_alone(monkeypatch):
    monkeypatch.delattr(gunicorn.util, "close_graceful")
    assert lingering_close.install() is None
    assert not hasattr(gunicorn.util, "close_graceful")


# Through a real gunicorn with the project's settings: one sync worker, a client that keeps its
# end open after reading the response, and a second client behind it.

APP = "tests.lingering_app:app"


@pytest.fixture
def one_sync_worker(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:action_app.gunicorn_conf", APP],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert wait_for(lambda: _answers(port), 30.0), log.read_text()
        yield port, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    assert "lingering close: unexpected error" not in log.read_text()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            return read_to_end(sock).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _get(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    return sock


def test_a_client_that_keeps_its_end_open_does_not_hold_the_worker(one_sync_worker):
    """Gunicorn's own close would keep the only worker waiting 2 s for the first client."""
    port, _ = one_sync_worker
    first = _get(port)
    assert read_to_end(first).startswith(b"HTTP/1.1 200")  # the response, then the server's FIN
    started = time.monotonic()
    second = _get(port)
    answer = read_to_end(second)
    waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"hello")
    assert waited < 1.5, f"the second client waited {waited:.2f} s behind the first"
    first.close()
    second.close()


def test_through_gunicorn_unread_request_bytes_end_cleanly(one_sync_worker):
    port, _ = one_sync_worker
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    # The application answers without reading the body.
    sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 20000\r\n\r\n" + b"z" * 20000)
    time.sleep(0.2)
    answer = read_to_end(sock)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"hello")
    sock.close()


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_the_worker_closes_every_connection_it_half_closed(one_sync_worker):
    port, master = one_sync_worker
    (worker,) = (
        int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()
    )
    before = _open_files(worker)
    for _ in range(200):
        sock = _get(port)
        assert read_to_end(sock).endswith(b"hello")
        sock.close()
    # Each was finished on a later turn of the worker; the last ones by the next requests.
    assert wait_for(lambda: _answers(port) and _open_files(worker) <= before + 1)
