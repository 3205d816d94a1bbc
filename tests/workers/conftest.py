"""Real Celery worker processes (with beat) for the sending tests, and helpers to drive them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import prepare_journey
from tests.redis_server import ThrowawayRedis

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Short timings so that retries, leases and sweeps happen within a test.
FAST_SENDING = {
    "SEND_LEASE_SECONDS": "3",
    "SWEEP_INTERVAL_SECONDS": "1",
    "SWEEP_PENDING_AFTER_SECONDS": "3",
    "SEND_RETRY_BASE_SECONDS": "0.3",
}


class WorkerProcess:
    """``celery -A workers.celery_app worker --beat`` in its own process group."""

    def __init__(self, env: dict[str, str], folder: Path, concurrency: int = 2):
        self.env = {**os.environ, **FAST_SENDING, **env}  # a test may override the timings
        self.folder = folder
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.log_path = folder / f"worker-{uuid.uuid4().hex[:6]}.log"

    def start(self, timeout: float = 40.0) -> WorkerProcess:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")  # the worker writes to its own copy of this file
        command = [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--beat",
            f"--schedule={self.folder / 'beat-schedule'}", f"--concurrency={self.concurrency}",
            "--loglevel=INFO", f"--hostname=test-{uuid.uuid4().hex[:8]}@%h", "--without-gossip",
            "--without-mingle",
        ]  # fmt: skip
        with log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("The Celery worker did not start:\n" + self.log()[-3000:])

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool children."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(tmp_path):
    """Start worker processes for an app (its settings); all are stopped after the test."""
    workers: list[WorkerProcess] = []

    def start(app, **extra_env) -> WorkerProcess:
        worker = WorkerProcess({**app.config["TEST_ENV"], **extra_env}, tmp_path / "worker")
        workers.append(worker)
        return worker.start()

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def live_campaign(app, fake_members):
    """The directory synced and the test campaign live, on PostgreSQL + Redis + SMTP."""
    return prepare_journey(app)


def sendable_postcodes(dataset) -> list[tuple[str, str]]:
    """(postcode, MP email) for every live postcode whose seat has an MP with an email."""
    pairs = []
    for postcode in dataset.live_postcodes():
        member = dataset.member_for_postcode(postcode.postcode)
        if member is not None and member.email:
            pairs.append((postcode.postcode, member.email))
    return pairs


@pytest.fixture
def throwaway_redis(tmp_path):
    server = ThrowawayRedis(tmp_path / "redis")
    yield server.start()
    server.stop()
