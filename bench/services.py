"""Start and stop what the benchmarks run against, all on loopback, all torn down at the end."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SHARED_DATA = Path(os.environ.get("BENCH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status < 500


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def post_json(url: str, body: dict | None = None) -> None:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    urllib.request.urlopen(request, timeout=5).close()


class Process:
    """A child process in its own process group, logging to a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logs: Path):
        self.name = name
        self.log_path = logs / f"{name}.log"
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


class Platform:
    """PostgreSQL database, Redis, SMTP sink, fakes, and the app's settings for all of them."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.stack = ExitStack()
        self.database = f"action_bench_{uuid.uuid4().hex[:8]}"
        self.redis_port = free_port()
        self.smtp_port, self.smtp_stats_port = free_port(), free_port()
        self.postcodes_port, self.members_port = free_port(), free_port()
        self.env: dict[str, str] = {}
        # CPU lists for taskset (e.g. "0" and "1"), so web and workers are separate groups.
        self.web_cpus: str | None = None
        self.worker_cpus: str | None = None

    def __enter__(self) -> Platform:
        try:
            self._start()
        except BaseException:
            self.stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stack.close()

    def start(
        self, name: str, command: list[str], extra_env: dict[str, str] | None = None
    ) -> Process:
        process = Process(name, command, {**os.environ, **self.env, **(extra_env or {})}, self.logs)
        self.stack.callback(process.stop)
        return process

    def _start(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.stack.callback(self._drop_database)
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        self.env = {
            "DATABASE_URL": f"{base}/{self.database}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SECRET_KEY": "benchmark-secret",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(self.smtp_port),
            "MAIL_FROM_ADDRESS": "action@bench.example.org",
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "POSTCODES_IO_URL": f"http://127.0.0.1:{self.postcodes_port}",
            "PARLIAMENT_MEMBERS_API_URL": f"http://127.0.0.1:{self.members_port}",
            "INSTANCE_PATH": str(self.workdir / "instance"),
            "PYTHONUNBUFFERED": "1",
            # The load comes from one address and presses Continue at once: the limits are
            # still counted (their cost is measured) but set out of reach, the bot timer off.
            "RATE_LIMIT_PER_ADDRESS": "100000000 per minute",
            "RATE_LIMIT_PER_EMAIL": "100000000 per minute",
            "RATE_LIMIT_PER_POSTCODE": "100000000 per minute",
            "RATE_LIMIT_PER_MP": "100000000 per minute",
            "BOT_MIN_SECONDS": "0",
        }
        redis_dir = self.workdir / "redis"
        redis_dir.mkdir(exist_ok=True)
        self.start(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(redis_dir)],
        )  # fmt: skip
        self.start(
            "smtp-sink",
            [sys.executable, "-m", "bench.smtp_sink", "--port", str(self.smtp_port),
             "--stats-port", str(self.smtp_stats_port)],
        )  # fmt: skip
        dataset = (
            ["--shared-data", str(SHARED_DATA)] if SHARED_DATA.exists() else ["--synthetic", "650"]
        )
        self.dataset_name = (
            "reference data, 650 seats" if SHARED_DATA.exists() else "synthetic, 650 seats"
        )
        self.start(
            "fakes",
            [sys.executable, "-m", "tests.fakes", "--postcodes-port", str(self.postcodes_port),
             "--members-port", str(self.members_port), *dataset],
        )  # fmt: skip
        wait_until(lambda: http_ok(self.smtp_stats_url), 20, "the SMTP sink")
        wait_until(
            lambda: http_ok(f"{self.env['POSTCODES_IO_URL']}/__fake__/stats"), 60, "the fakes"
        )
        wait_until(
            lambda: http_ok(f"{self.env['PARLIAMENT_MEMBERS_API_URL']}/__fake__/stats"),
            60,
            "the fakes",
        )
        self.cli("db", "upgrade")

    def _drop_database(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    @property
    def smtp_stats_url(self) -> str:
        return f"http://127.0.0.1:{self.smtp_stats_port}/stats"

    def cli(self, *args: str) -> str:
        """Run ``action-app`` with the platform's settings; return what it printed."""
        result = subprocess.run(
            [sys.executable, "-m", "action_app.cli", *args],
            env={**os.environ, **self.env}, cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode:
            raise RuntimeError(
                f"action-app {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def gunicorn(
        self, name: str, app: str, env: dict[str, str] | None = None
    ) -> tuple[Process, str]:
        port = free_port()
        process = self.start(
            name,
            [
                *_pinned(self.web_cpus),
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:action_app.gunicorn_conf",
                app,
            ],
            {"GUNICORN_BIND": f"127.0.0.1:{port}", **(env or {})},
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_ok(url + "/"), 30, f"gunicorn ({name})")
        return process, url

    def celery(self, name: str, app: str, *args: str, env: dict | None = None) -> Process:
        process = self.start(
            name,
            [*_pinned(self.worker_cpus), sys.executable, "-m", "celery", "-A", app, "worker",
             "--loglevel=INFO",
             f"--hostname={name}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
             *args],
            env,
        )  # fmt: skip
        wait_until(lambda: "ready" in process.log() or process.popen.poll() is not None, 40, name)
        if process.popen.poll() is not None:
            raise RuntimeError(f"{name} did not start:\n{process.log()[-2000:]}")
        return process


def _pinned(cpus: str | None) -> list[str]:
    return ["taskset", "-c", cpus] if cpus else []


def database_backends(database: str) -> list[int]:
    """The PostgreSQL server processes serving this database (their titles name it)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if f" {database} ".encode() in cmdline.read_bytes():
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in pids}


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set size (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine_jiffies() -> tuple[int, int]:
    """The whole machine's CPU time so far (/proc/stat), busy and in all, in clock ticks: busy
    is everything but idle and waiting for I/O."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def busy_since(start: tuple[int, int]) -> float:
    """The share of the machine's CPU (all cores) that was busy since ``machine_jiffies()``
    gave ``start``."""
    busy, total = machine_jiffies()
    return (busy - start[0]) / max(1, total - start[1])


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time the processes have used so far (from /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found
