"""A PostgreSQL cluster of the test's own (own port, own data folder), made with initdb and run
with pg_ctl, so a test can stop and restart it without touching the machine's shared server."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.smtp import free_port


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder (Debian keeps them under /usr/lib/postgresql)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


class ThrowawayPostgres:
    """initdb into ``folder``, serve on a free loopback port; as root, run as ``postgres``
    (the server refuses to run as root)."""

    def __init__(self, folder: Path):
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            # pytest's folders are private to root; the server's user needs one it can enter.
            folder = Path(tempfile.mkdtemp(prefix="action-test-pg-"))
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        subprocess.run(
            [*prefix, *command],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def init(self) -> ThrowawayPostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip
        return self

    def start(self, tries: int = 5) -> ThrowawayPostgres:
        """Start the server; on a loaded machine a restart may need another try or two."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c max_connections=60"
        )
        for attempt in range(tries):
            try:
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                    "-l", str(self.folder / "server.log"), "-w", "start",
                )  # fmt: skip
                break
            except subprocess.CalledProcessError:
                if attempt + 1 == tries:
                    raise RuntimeError("PostgreSQL did not start:\n" + self.log()[-2000:]) from None
                time.sleep(1)
        self.wait_until_ready()
        return self

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{self.port}/postgres", connect_timeout=1
                ):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
