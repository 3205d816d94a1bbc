"""Fault-injection switches of the fake servers, from Python and over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.fakes import FakePostcodesIO

REPO_ROOT = Path(__file__).resolve().parents[2]
PC = "/postcodes/SW1A%201AA"


def test_latency(http, pio):
    pio.latency = 0.2
    started = time.monotonic()
    assert http.get(pio.url + PC, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.2
    pio.latency = 0
    started = time.monotonic()
    http.get(pio.url + PC, timeout=5)
    assert time.monotonic() - started < 0.2


def test_fail_next_then_recover(http, pio):
    pio.fail_next(2, status=503)
    first, second, third = (http.get(pio.url + PC, timeout=5) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (503, 503, 200)
    assert first.json()["status"] == 503 and "error" in first.json()
    assert first.headers["Access-Control-Allow-Origin"] == "*"


def test_fail_next_500_uses_the_api_error_style(http, pio, members):
    pio.fail_next(1)
    body = http.get(pio.url + PC, timeout=5).json()
    assert body["status"] == 500 and body["error"].startswith("500 Server Error.")
    members.fail_next(1, 500)
    resp = http.get(members.url + "/api/Members/Search?take=1", timeout=5)
    assert resp.status_code == 500
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert resp.json()["status"] == 500


def test_429_carries_retry_after(http, pio, members):
    for server, path in ((pio, PC), (members, "/api/Members/Search")):
        server.fail_next(1, 429)
        resp = http.get(server.url + path, timeout=5)
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] == "1"
        assert http.get(server.url + path, timeout=5).status_code == 200


def test_gateway_errors_are_html(http, pio):
    pio.fail_next(1, 502)
    resp = http.get(pio.url + PC, timeout=5)
    assert resp.status_code == 502 and resp.headers["Content-Type"].startswith("text/html")


def test_fail_always_and_heal(http, pio):
    pio.fail_always(500)
    assert [http.get(pio.url + PC, timeout=5).status_code for _ in range(3)] == [500] * 3
    pio.heal()
    assert http.get(pio.url + PC, timeout=5).status_code == 200


def test_hang_triggers_client_read_timeout(http, pio):
    pio.hang_next(1, 1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(pio.url + PC, timeout=(1, 0.2))
    started = time.monotonic()
    assert http.get(pio.url + PC, timeout=5).status_code == 200
    assert time.monotonic() - started < 0.5


def test_go_down_refuses_and_come_back_uses_the_same_port(http, pio):
    url, port = pio.url, pio.port
    assert http.get(url + PC, timeout=5).status_code == 200  # leaves a pooled connection
    pio.go_down()
    assert not pio.is_up
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(url + PC, timeout=2)
    pio.come_back()
    assert pio.port == port and pio.url == url
    assert http.get(url + PC, timeout=5).status_code == 200


def test_max_in_flight_counts_concurrent_requests(pio):
    pio.latency = 0.3
    barrier = threading.Barrier(5)
    statuses: list[int] = []

    def worker() -> None:
        barrier.wait()
        statuses.append(requests.get(pio.url + PC, timeout=5).status_code)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 5
    assert pio.max_in_flight == 5
    # The server finishes its bookkeeping just after the client has its answer.
    deadline = time.monotonic() + 2
    while pio.in_flight and time.monotonic() < deadline:
        time.sleep(0.01)
    pio.reset_stats()
    assert pio.max_in_flight == 0 and pio.requests_seen == []


def test_requests_seen_in_order_without_control_calls(http, pio):
    http.get(pio.url + PC + "?x=1", timeout=5)
    http.post(pio.url + "/postcodes", json={"postcodes": []}, timeout=5)
    http.get(pio.url + "/__fake__/stats", timeout=5)
    assert pio.requests_seen == [("GET", PC + "?x=1"), ("POST", "/postcodes")]


def test_http_control_endpoint(http, pio):
    control = pio.url + "/__fake__/control"
    resp = http.post(
        control, json={"latency_ms": 150, "fail_next": {"count": 1, "status": 503}}, timeout=5
    )
    assert resp.status_code == 200 and resp.json()["ok"] is True
    started = time.monotonic()
    assert http.get(pio.url + PC, timeout=5).status_code == 503
    assert time.monotonic() - started >= 0.15
    http.post(control, json={"fail_always": 500, "latency_ms": 0}, timeout=5)
    assert http.get(pio.url + PC, timeout=5).status_code == 500
    http.post(control, json={"fail_always": None}, timeout=5)
    assert http.get(pio.url + PC, timeout=5).status_code == 200
    http.post(control, json={"hang_next": {"count": 1, "seconds": 1}}, timeout=5)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(pio.url + PC, timeout=(1, 0.2))
    stats = http.get(pio.url + "/__fake__/stats", timeout=5).json()
    assert stats == {"requests": 4, "max_in_flight": 1}
    http.post(control, json={"reset": True}, timeout=5)
    assert http.get(pio.url + "/__fake__/stats", timeout=5).json()["requests"] == 0
    assert http.post(control, data="nope", timeout=5).status_code == 400


def test_stop_during_a_hang_is_quick():
    server = FakePostcodesIO().start()
    server.hang_next(1, 30)
    errors: list[Exception] = []

    def call() -> None:
        try:
            requests.get(server.url + PC, timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    t.join(5)
    assert time.monotonic() - started < 2
    assert errors  # the hanging request was cut off, not answered


def test_runner_prints_urls_and_stops_on_sigterm():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "--postcodes-port", "0", "--members-port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        text = "".join(lines)
        assert "export POSTCODES_IO_URL=http://127.0.0.1:" in text
        assert "export PARLIAMENT_MEMBERS_API_URL=http://127.0.0.1:" in text
        assert "SE1 9ZZ" in text and "JE2 4WD" in text
        url = next(ln.split("=", 1)[1].strip() for ln in lines if "POSTCODES_IO_URL=" in ln)
        assert requests.get(url + PC, timeout=5).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
