"""``python -m bench`` (``make bench``): the benchmark suite against the production set-up.

Starts PostgreSQL (a fresh database on the local server), Redis, an SMTP sink, the fake outside
services, gunicorn with the documented settings, and Celery workers, all on loopback; runs each
benchmark against a baseline taken in the same run; prints a table and writes it to
bench/results/<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform as machine
import tempfile
from pathlib import Path

from bench import scenarios
from bench.services import Platform, children

RESULTS = Path(__file__).resolve().parent / "results"
# Letters in the "as a browser sends them" row (five requests each; the web tier alone).
BROWSER_LETTERS = 2000


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--letters", type=int, default=10_000, help="letters in the end-to-end run")
    parser.add_argument("--seconds", type=int, default=6, help="length of each wrk run")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=int(os.environ.get("BENCH_CELERY_CONCURRENCY", os.cpu_count() or 2)),
        help="Celery worker processes, for the platform and the baseline alike",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the web and Celery processes with py-spy and add where the time goes",
    )
    parser.add_argument(
        "--only-end-to-end",
        action="store_true",
        help="skip the page benchmarks (the directory sync still runs: the letters need it)",
    )
    parser.add_argument(
        "--only-pages",
        action="store_true",
        help="run the page benchmarks only, not the end to end (a minute or two)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="run web and workers as separate process groups pinned with taskset "
        "(web on the first core, workers on the rest)",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="run the end-to-end again with one worker process, and print the scale-out row",
    )
    args = parser.parse_args()
    profiles: list[str] = []

    workdir = Path(tempfile.mkdtemp(prefix="action-bench-"))
    print(f"Working folder (logs): {workdir}")
    rows: list[scenarios.Row] = []
    with Platform(workdir) as platform:
        if args.pin and (os.cpu_count() or 1) > 1:
            platform.web_cpus = "0"
            platform.worker_cpus = f"1-{(os.cpu_count() or 2) - 1}"
        print(f"Data set: {platform.dataset_name}")
        rows.append(scenarios.directory_sync(platform))
        print(_line(rows[-1]))
        platform.cli("demo", "load")

        app, app_url = platform.gunicorn("web", "action_app.wsgi:app")
        hello, hello_url = platform.gunicorn("hello", "bench.hello_app:app")
        postcodes = _postcodes(platform)
        web_pids = children(app.pid) if args.profile else []
        pages = scenarios.Pages(platform, app_url, hello_url, args.seconds, workdir, web_pids)
        sessions = scenarios.letter_sessions(
            app_url, postcodes[:50], workdir, platform.env["SECRET_KEY"]
        )
        if not args.only_end_to_end:
            for row in (
                pages.campaign_page(),
                pages.campaign_floor(),
                pages.postcode_page(postcodes),
                pages.letter_submit(sessions),
            ):
                rows.append(row)
                print(_line(row))
        profiles.extend(pages.profiles)
        hello.stop()
        scales = [args.concurrency] + ([1] if args.scale and args.concurrency > 1 else [])
        baseline_busy: list[float] = []  # the machine's CPU busy in each baseline run
        if args.only_pages:
            scales = []
        else:
            baseline = scenarios.end_to_end_baseline(
                platform, args.letters, args.concurrency, baseline_busy
            )
            print(f"end-to-end baseline (before): {baseline:.1f} letters/s")
        # The end-to-end ratio is against the baseline runs either side of the first run, as
        # each page's is: in two benches 20 minutes apart the one baseline run moved from 358
        # to 218 letters/s, and the ratio from 35% to 49% on the same code (2026-12-02.md).
        baselines: list[float] = [baseline] if scales else []

        def baseline_again() -> None:
            baselines.append(
                scenarios.end_to_end_baseline(
                    platform, args.letters, args.concurrency, baseline_busy
                )
            )
            print(f"end-to-end baseline (after): {baselines[-1]:.1f} letters/s")

        runs: list[dict] = []
        for concurrency in scales:
            measured: dict = {}
            for row in scenarios.end_to_end(
                platform,
                app_url,
                app.pid,
                sessions,
                args.letters,
                concurrency,
                baselines,
                profiles if args.profile else None,
                measured,
                then=baseline_again if concurrency == args.concurrency else None,
                baseline_busy=baseline_busy,
            ):
                if concurrency == args.concurrency:
                    rows.append(row)
                print(_line(row))
            runs.append(measured)
        if not args.only_pages:
            rows.append(
                scenarios.browser_journey(platform, app_url, app.pid, sessions, BROWSER_LETTERS)
            )
            print(_line(rows[-1]))
        if args.scale and runs:
            rows.append(scenarios.scale_out(runs, platform.web_cpus is not None))
            print(_line(rows[-1]))

    report = _report(rows, args, platform.dataset_name)
    if profiles:
        report += "\n## Where the time goes (py-spy)\n\n" + "\n".join(profiles)
    print("\n" + report)
    path = _results_path()
    path.write_text(report)
    print(f"Written to {path}")


def _version(distribution: str) -> str:
    """The installed version: gunicorn 26 began to wait for each client's FIN before closing
    (RFC 9112), which moves the page ratios (bench/results/2026-11-30-gunicorn.md)."""
    from importlib.metadata import version

    return version(distribution)


def _postcodes(platform: Platform) -> list[str]:
    """Live postcodes whose MP has an email, from the fake postcodes.io's own examples."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from tests.fakes import load_shared_dataset\n"
        "from tests.fakes.synthetic import synthetic_dataset\n"
        "from bench.services import SHARED_DATA\n"
        "d = load_shared_dataset(SHARED_DATA) if SHARED_DATA.exists() else synthetic_dataset(650)\n"
        "seen = set()\n"
        "for p in d.live_postcodes():\n"
        "    m = d.member_for_postcode(p.postcode)\n"
        "    if m and m.email and m.id not in seen:\n"
        "        seen.add(m.id); print(p.postcode)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout  # fmt: skip
    return output.split("\n")[:-1][:400]


def _line(row: scenarios.Row) -> str:
    return f"{row.benchmark}: {row.measure} [{row.verdict}]"


def _report(rows: list[scenarios.Row], args, dataset: str) -> str:
    now = datetime.datetime.now().astimezone()
    load = os.getloadavg()
    lines = [
        f"# Benchmark results, {now:%Y-%m-%d %H:%M %Z}",
        "",
        f"Machine: {os.cpu_count()} cores, {machine.machine()}, Python {machine.python_version()}; "
        f"load average at the end {load[0]:.2f}. Data set: {dataset}.",
        f"Settings: gunicorn {_version('gunicorn')} per action_app/gunicorn_conf.py "
        f"({_gunicorn_workers()} sync workers); "
        f"Celery prefork, concurrency {args.concurrency}, prefetch 1, late acks; "
        f"wrk 2 threads, 16 connections, {args.seconds} s per run, baseline and target "
        "runs alternating; "
        f"{args.letters:,} letters end to end.",
        "",
        "| benchmark | measure | baseline in the same run | aim | |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.benchmark} | {row.measure} | {row.baseline} | {row.aim} | {row.verdict} |"
        )
    return "\n".join(lines) + "\n"


def _gunicorn_workers() -> int:
    return int(os.environ.get("GUNICORN_WORKERS", (os.cpu_count() or 1) + 1))


def _results_path() -> Path:
    RESULTS.mkdir(exist_ok=True)
    stem = datetime.date.today().isoformat()
    path = RESULTS / f"{stem}.md"
    n = 2
    while path.exists():
        path = RESULTS / f"{stem}-{n}.md"
        n += 1
    return path


if __name__ == "__main__":
    main()
