"""Run wrk (Debian's package) and read its figures."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    seconds: float

    @property
    def summary(self) -> str:
        rps, p50, p99 = self.requests_per_second, self.p50_ms, self.p99_ms
        return f"{rps:,.0f} req/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms"


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output)[1])
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output)[1])
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    seconds = float(total[2]) * {"s": 1, "ms": 0.001, "m": 60, "us": 1e-6}[total[3]]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    errors += sum(int(n) for n in re.findall(r"Unexpected answers: (\d+)", output))
    return WrkResult(rps, p50, p99, int(total[1]), errors, seconds)


def run(
    url: str,
    *,
    seconds: int = 10,
    connections: int = 16,
    threads: int = 2,
    script: str | None = None,
    script_args: list[str] | None = None,
    timeout: str = "10s",
    stop_when: Callable[[], bool] | None = None,
) -> tuple[WrkResult, str]:
    """wrk with latency figures; returns the parsed result and the raw output. With
    ``stop_when``, wrk is interrupted (it then prints its figures) as soon as that is true."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run scripts/install-bench-deps")
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout}",
        "--latency",
    ]  # fmt: skip
    if script:
        command += ["-s", str(LUA / script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    if stop_when is None:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        return parse(output), output
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while process.poll() is None and not stop_when():
        time.sleep(0.2)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=60)
    if process.returncode not in (0, -signal.SIGINT):
        raise RuntimeError(f"wrk failed: {errors}")
    return parse(output), output
