"""The benchmarks; each gives rows for the report: benchmark, measure, baseline, aim, verdict."""

from __future__ import annotations

import base64
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg

from bench import wrk
from bench.profile import Sampler
from bench.services import (
    ROOT,
    Platform,
    busy_since,
    children,
    cpu_by_pid,
    database_backends,
    get_json,
    machine_jiffies,
    peak_rss_mb,
    post_json,
    wait_until,
)

SLUG = "deaf-children-debate"
WARM_UP_SECONDS = 3
# Response headers gunicorn writes itself (the fixed page must not repeat them).
SERVER_HEADERS = {"date", "server", "connection", "transfer-encoding"}
PHOTOS_TASK = (
    "from action_app import create_app\n"
    "app = create_app()\n"
    "with app.app_context():\n"
    "    from workers.tasks import sync_photos_task\n"
    "    print(sync_photos_task.run())\n"
)


@dataclass
class Row:
    benchmark: str
    measure: str
    baseline: str
    aim: str
    met: bool | None  # None: printed, no aim

    @property
    def verdict(self) -> str:
        return {True: "met", False: "**missed**", None: "—"}[self.met]


def directory_sync(platform: Platform) -> Row:
    """650 MPs from the fake Members API with 50 ms added to every request."""
    members = platform.env["PARLIAMENT_MEMBERS_API_URL"]
    post_json(f"{members}/__fake__/control", {"latency_ms": 50, "reset": True})
    post_json(f"{members}/__fake__/control", {"latency_ms": 50})
    started = time.monotonic()
    output = platform.cli("mps", "sync")
    took = time.monotonic() - started
    stats = get_json(f"{members}/__fake__/stats")
    # The photos follow on a worker (the command queued them); here the same task is run at
    # once, with the same latency, so its cost is printed too and the pages have the photos.
    photos_note = ""
    if "MP photos: queued" in output:
        started = time.monotonic()
        fetched = subprocess.run(
            [sys.executable, "-c", PHOTOS_TASK], env={**os.environ, **platform.env}, cwd=ROOT,
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        photos = get_json(f"{members}/__fake__/stats")
        photos_note = (
            f"; then the photo task: {fetched} photos in {time.monotonic() - started:.1f} s, "
            f"{photos['requests'] - stats['requests']} requests, "
            f"at most {photos['max_in_flight']} in flight"
        )
    post_json(f"{members}/__fake__/control", {"latency_ms": 0})
    added = re.search(r"Added: (\d+)", output)[1]
    met = took < 10 and stats["max_in_flight"] <= 8
    return Row(
        "directory sync",
        f"{added} MPs in {took:.1f} s (whole command), {stats['requests']} requests, "
        f"at most {stats['max_in_flight']} in flight{photos_note}",
        "—",
        "under 10 s, at most 8 in flight",
        met,
    )


class Pages:
    """The page benchmarks. Each alternates hello-world baseline runs with target runs
    (B T B T B); a target run is compared with the mean of the baseline runs either side, and
    the median of those ratios is reported, so a noisy neighbour moves both sides alike."""

    ROUNDS = 2

    def __init__(
        self,
        platform: Platform,
        app_url: str,
        hello_url: str,
        seconds: int,
        workdir: Path,
        web_pids: list[int] | None = None,
    ):
        self.platform = platform
        self.app_url = app_url
        self.hello_url = hello_url
        self.seconds = seconds
        self.workdir = workdir
        self.web_pids = web_pids or []  # profiled during a target run, when given
        self.profiles: list[str] = []
        self.ratios: dict[str, float] = {}  # each row's ratio, by its name

    def _compare(self, name: str, aim: float | None, target_run, note: str = "") -> Row:
        """A row comparing ``target_run`` with the hello-world route; ``aim`` None: printed."""
        baselines = [self._baseline()]
        targets = []
        for round_number in range(self.ROUNDS):
            sampler = None
            if self.web_pids and round_number == 0:
                sampler = Sampler(name, self.web_pids, max(1, self.seconds - 2), self.workdir)
            targets.append(target_run())
            if sampler is not None:
                self.profiles.append(sampler.summary())
            baselines.append(self._baseline())
        ratios = [
            t.requests_per_second
            / ((baselines[i].requests_per_second + baselines[i + 1].requests_per_second) / 2)
            for i, t in enumerate(targets)
        ]
        ratio = self.ratios[name] = statistics.median(ratios)
        target = max(targets, key=lambda t: t.requests_per_second)
        baseline = max(baselines, key=lambda b: b.requests_per_second)
        errors = sum(t.errors for t in targets)
        shown = ", ".join(f"{r:.0%}" for r in ratios)
        return Row(
            name,
            f"{target.summary}{f', {errors} errors' if errors else ''} = **{ratio:.0%}** of "
            f"baseline (runs: {shown}){note}",
            baseline.summary,
            "printed" if aim is None else f"at least {aim:.0%} of the baseline's requests/s",
            None if aim is None else ratio >= aim and errors == 0,
        )

    def _baseline(self) -> wrk.WrkResult:
        return wrk.run(self.hello_url + "/", seconds=self.seconds)[0]

    def campaign_page(self) -> Row:
        url = f"{self.app_url}/c/{SLUG}"
        return self._compare("campaign page", 0.70, lambda: wrk.run(url, seconds=self.seconds)[0])

    def campaign_floor(self) -> Row:
        """The campaign page's own status, headers and body, served by a WSGI callable with no
        application code (``bench/fixed_page_app.py``) on the same gunicorn settings: the most
        that any application code could make of the campaign page row on this server."""
        with urllib.request.urlopen(f"{self.app_url}/c/{SLUG}", timeout=10) as response:
            page = {
                "status": f"{response.status} {response.reason}",
                "headers": [
                    (header, value)
                    for header, value in response.getheaders()
                    if header.lower() not in SERVER_HEADERS
                ],
                "body": base64.b64encode(response.read()).decode(),
            }
        page_file = self.workdir / "fixed-page.json"
        page_file.write_text(json.dumps(page))
        process, url = self.platform.gunicorn(
            "fixed-page", "bench.fixed_page_app:app", {"BENCH_FIXED_PAGE": str(page_file)}
        )
        name = "campaign page's bytes, no application code"
        try:
            page_url = f"{url}/c/{SLUG}"  # the campaign row's request, word for word
            row = self._compare(name, None, lambda: wrk.run(page_url, seconds=self.seconds)[0])
        finally:
            process.stop()
        page_ratio = self.ratios.get("campaign page")  # None when that row was not run first
        if page_ratio is not None:
            row.measure += (
                f"; the campaign page row is {page_ratio / self.ratios[name]:.0%} of this"
            )
        return row

    def postcode_page(self, postcodes: list[str]) -> Row:
        paths = [f"/c/{SLUG}/your-mp?postcode={urllib.parse.quote(p)}" for p in postcodes]
        for path in paths:  # the lookup cache is warm, as the aim says
            urllib.request.urlopen(self.app_url + path, timeout=10).close()
        paths_file = self.workdir / "postcode-paths.txt"
        paths_file.write_text("\n".join(paths) + "\n")

        def run(seconds: int) -> wrk.WrkResult:
            return wrk.run(
                self.app_url, seconds=seconds, script="paths.lua", script_args=[str(paths_file)]
            )[0]

        # Each web process keeps its own memory of a postcode's seat, of the seat's codes and
        # of the rendered page: one request each warmed only the shared cache and one process.
        # A run over the same paths first warms every process, as any busy hour has; without
        # it, the first timed run paid each process's first sight of each postcode (with 400
        # postcodes it read 42-47% against a second run's 49-58%).
        run(WARM_UP_SECONDS)
        return self._compare(
            "postcode → MP page, postcode cached",
            0.40,
            lambda: run(self.seconds),
            note=f"; {len(paths)} postcodes, after a {WARM_UP_SECONDS} s warm-up run",
        )

    def letter_submit(self, sessions_file: Path) -> Row:
        return self._compare(
            "letter submit (valid POST, to the redirect)",
            0.15,
            lambda: wrk.run(
                self.app_url,
                seconds=self.seconds,
                script="letters.lua",
                script_args=[str(sessions_file), "write", "0", _tokens_of(sessions_file)],
            )[0],
        )


def letter_sessions(app_url: str, postcodes: list[str], workdir: Path, secret: str) -> Path:
    """One browser session's cookie and CSRF token, and a letter form per postcode's MP."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    lines = []
    fields = None
    for postcode in postcodes:
        page = (
            opener.open(f"{app_url}/c/{SLUG}/your-mp?postcode={urllib.parse.quote(postcode)}")
            .read()
            .decode()
        )
        link = re.search(rf'href="(/c/{SLUG}/write\?[^"]+)"', page)
        if not link:
            continue
        write_path = unescape(link[1])
        if fields is None:
            form = opener.open(app_url + write_path).read().decode()
            fields = _letter_fields(form)
        lines.append((write_path, fields))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    csrf = urllib.parse.quote(fields.pop("csrf_token"), safe="")
    # The script adds a fresh form token (with the letter page's signed time for it, as the
    # bot check asks), name and email to every request.
    per_request = ("form_token", "opened", "name", "email")
    encoded = urllib.parse.urlencode({k: v for k, v in fields.items() if k not in per_request})
    path = workdir / "sessions.txt"
    path.write_text("".join(f"{cookie}\t{csrf}\t{p}\t{encoded}\n" for p, _ in lines))
    _form_tokens(workdir / "form-tokens.txt", secret)
    return path


FORM_TOKENS = 60_000


def _tokens_of(sessions_file: Path) -> str:
    return str(sessions_file.parent / "form-tokens.txt")


def _form_tokens(path: Path, secret: str) -> None:
    """Form tokens, each with the time its letter page opened, signed as the app signs it
    (``abuse.page_opened_token``): a browser gets one pair per letter page it opens."""
    from itsdangerous import TimestampSigner

    signer = TimestampSigner(secret, salt="letter-page-opened")
    with path.open("w") as out:
        for n in range(FORM_TOKENS):
            token = f"bench{n:06d}{uuid.uuid4().hex[:16]}"
            opened = urllib.parse.quote(signer.sign(token).decode(), safe="")
            out.write(f"{token}\t{opened}\n")


def _letter_fields(html: str) -> dict[str, str]:
    fields = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        fields[name] = unescape(value)
    for name, value in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', html, re.S
    ):
        fields[name] = unescape(value)
    fields.update(
        {
            "address_line_1": "1 Benchmark Road",
            "town": "Testville",
            "consent": "y",
            "personal_paragraph": "This matters to my family. " * 5,
        }
    )
    return fields


STALL_SECONDS = 60


class _Stall:
    """Whether a count that should keep rising has not moved for ``seconds``."""

    def __init__(self, seconds: float = STALL_SECONDS):
        self.seconds = seconds
        self.last, self.since = -1, time.monotonic()

    def __call__(self, count: int) -> bool:
        if count != self.last:
            self.last, self.since = count, time.monotonic()
            return False
        return time.monotonic() - self.since > self.seconds


def _wait_for_mail(platform: Platform, letters: int) -> dict:
    """Until the sink has every letter and receipt, or nothing has arrived for a minute."""
    stalled = _Stall()
    while True:
        stats = get_json(platform.smtp_stats_url)
        if stats["letters"] >= letters and stats["receipts"] >= letters:
            return stats
        if stalled(stats["messages"]):
            return stats
        time.sleep(0.2)


def end_to_end_baseline(
    platform: Platform, letters: int, concurrency: int, busy: list[float] | None = None
) -> float:
    """Letters/s for the bare baseline task: two pre-built messages per task, reused SMTP.
    ``busy``: the share of the machine's CPU that was busy while it ran is added to it."""
    post_json(platform.smtp_stats_url.replace("/stats", "/reset"))
    worker = platform.celery(
        "baseline-worker",
        "bench.baseline_worker",
        f"--concurrency={concurrency}",
        env={
            "BENCH_BROKER_URL": platform.env["REDIS_URL"],
            "BENCH_SMTP_PORT": str(platform.smtp_port),
        },
    )
    enqueue = (
        "import sys; from bench.baseline_worker import celery\n"
        "for n in range(int(sys.argv[1])): celery.send_task('bench.send_two', args=[n])\n"
    )
    started, jiffies = time.time(), machine_jiffies()
    subprocess.run(
        [sys.executable, "-c", enqueue, str(letters)],
        env={**os.environ, **platform.env, "BENCH_BROKER_URL": platform.env["REDIS_URL"]},
        cwd=ROOT,
        check=True,
    )
    stats = _wait_for_mail(platform, letters)
    if busy is not None:
        busy.append(busy_since(jiffies))
    worker.stop()
    return min(stats["letters"], stats["receipts"]) / (stats["last"] - started)


def end_to_end(
    platform: Platform, app_url: str, gunicorn_pid: int, sessions_file: Path, letters: int,
    concurrency: int, baselines: list[float], profiles: list[str] | None = None,
    measured: dict | None = None, then: Callable[[], None] | None = None,
    baseline_busy: list[float] | None = None,
) -> list[Row]:  # fmt: skip
    """10,000 letters through the web tier as fast as it takes them, then until all are sent.
    ``then`` runs once the platform's workers have stopped (the second baseline run, which
    adds to ``baselines``); the ratio is against the mean of ``baselines``."""
    post_json(platform.smtp_stats_url.replace("/stats", "/reset"))
    worker = platform.celery("worker", "workers.celery_app", f"--concurrency={concurrency}")
    beat = platform.start(
        "beat",
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat", "--loglevel=INFO",
         f"--schedule={platform.workdir / 'beat-schedule'}"],
    )  # fmt: skip
    wait_until(lambda: "beat: Starting" in beat.log(), 30, "celery beat")
    # Form tokens of its own for each run: with --scale a second run from the same list could
    # start on tokens the first one sent. Such a Send finds its letter sent already, which
    # counts towards the script's quota but is no new letter, so the run waited for letters
    # that would never come (wrk runs for an hour).
    tokens = platform.workdir / f"end-to-end-{concurrency}-form-tokens.txt"
    _form_tokens(tokens, platform.env["SECRET_KEY"])
    before = _confirmed(platform)
    web_cpu = cpu_by_pid(children(gunicorn_pid))
    worker_cpu = cpu_by_pid([worker.pid, *children(worker.pid)])
    database = platform.database
    store_cpu = cpu_by_pid(database_backends(database) + _redis_pids())
    started, jiffies = time.time(), machine_jiffies()
    samplers = []
    if profiles is not None:
        samplers = [
            Sampler("end to end: web workers", children(gunicorn_pid), 15, platform.workdir),
            Sampler("end to end: Celery pool", children(worker.pid), 15, platform.workdir),
        ]
    surge, _ = _letters_through_wrk(
        platform, app_url, sessions_file, "send", letters, before, tokens
    )
    submitted_at = time.time()
    if profiles is not None:
        profiles.extend(sampler.summary() for sampler in samplers)
    time.sleep(1)  # requests in flight when wrk stopped finish
    accepted = _confirmed(platform) - before
    stats = _wait_for_mail(platform, accepted)
    busy = busy_since(jiffies)
    # Processes started since (a pool child replaced) count from zero.
    web_cpu = _used_since(web_cpu, children(gunicorn_pid))
    worker_cpu = _used_since(worker_cpu, [worker.pid, *children(worker.pid)])
    after = cpu_by_pid(database_backends(database) + _redis_pids())
    store_cpu = sum(cpu - store_cpu.get(pid, 0.0) for pid, cpu in after.items())
    web_peak = max(peak_rss_mb(pid) for pid in children(gunicorn_pid))
    pool = children(worker.pid)
    worker_peak = max([peak_rss_mb(worker.pid), *(peak_rss_mb(pid) for pid in pool)])
    beat.stop()
    worker.stop()
    if then is not None:
        then()
    baseline_rate = statistics.fmean(baselines)
    finished = stats["last"] or time.time()
    delivered = min(stats["letters"], stats["receipts"])
    rate = delivered / (finished - started)
    lost = max(0, 2 * accepted - stats["unique"])  # messages: a letter and a receipt each
    ratio = rate / baseline_rate
    per_letter = {
        "web": 1000 * web_cpu / max(accepted, 1),
        "worker": 1000 * worker_cpu / max(delivered, 1),
        "store": 1000 * store_cpu / max(delivered, 1),
    }
    if measured is not None:
        measured.update(rate=rate, concurrency=concurrency, **per_letter)
    # How busy the machine's cores were: the baseline is held back by its round trips to the
    # sink more than by CPU, the platform by CPU, so the ratio moves with the machine's speed.
    busy_baseline = (
        f"; the machine's CPU {', '.join(f'{b:.0%}' for b in baseline_busy)} busy"
        if baseline_busy
        else ""
    )
    return [
        Row(
            "end to end",
            f"{delivered:,} letters (+ receipts) in {finished - started:.1f} s = "
            f"**{rate:.1f} letters/s** = **{ratio:.0%}** of baseline; "
            f"the machine's CPU {busy:.0%} busy",
            f"{baseline_rate:.1f} letters/s{_runs_of(baselines)} "
            f"(two pre-built messages per task, reused SMTP{busy_baseline})",
            "at least 50% of the baseline; 100 letters/s absolute noted",
            ratio >= 0.5,
        ),
        Row(
            "end to end, absolute",
            f"{rate:.1f} letters/s → 180,000 letters in {180_000 / rate / 60:.0f} min",
            "—",
            "100 letters/s (180,000 in 30 min)",
            rate >= 100,
        ),
        Row(
            "surge",
            f"{accepted:,} letters accepted in {submitted_at - started:.1f} s "
            f"({accepted / (submitted_at - started):.0f}/s, {surge.errors} errors); "
            f"drained {max(0.0, finished - submitted_at):.1f} s after the last; "
            f"messages lost {lost}, duplicated {stats['duplicates']}",
            "—",
            "zero lost, zero duplicated, time to drain printed",
            lost == 0 and stats["duplicates"] == 0 and surge.errors == 0,
        ),
        Row(
            "CPU per letter",
            f"Celery workers {per_letter['worker']:.1f} ms "
            "(MP email and receipt, beat not included), "
            f"web {per_letter['web']:.1f} ms (Continue and Send), "
            f"PostgreSQL and Redis {per_letter['store']:.1f} ms",
            "—",
            "worker at most 5 ms",
            worker_cpu / max(delivered, 1) <= 0.005,
        ),
        Row(
            "memory",
            f"peak RSS: web worker {web_peak:.0f} MB, Celery worker {worker_peak:.0f} MB",
            "—",
            "printed",
            None,
        ),
    ]


def _runs_of(baselines: list[float]) -> str:
    if len(baselines) < 2:
        return ""
    return ", the mean of runs before and after (" + ", ".join(f"{b:.1f}" for b in baselines) + ")"


def browser_journey(
    platform: Platform, app_url: str, gunicorn_pid: int, sessions_file: Path, letters: int
) -> Row:
    """Letters as a browser sends them: the letter form, Continue, the check page (its
    redirect), Send, and the sent page (its redirect); five requests a letter. The end-to-end
    row posts Continue and Send alone, which is what a load test that does not follow redirects
    sends; a browser, or a load test with an ordinary HTTP client, also loads three pages for
    every letter. Web tier only: no Celery worker runs, so this is the web tier's own rate."""
    before = _confirmed(platform)
    web_cpu = cpu_by_pid(children(gunicorn_pid))
    started = time.time()
    # Form tokens of its own: one the earlier rows used would find that row's letter, sent.
    tokens = platform.workdir / "browser-form-tokens.txt"
    _form_tokens(tokens, platform.env["SECRET_KEY"])
    _, output = _letters_through_wrk(
        platform, app_url, sessions_file, "browser", letters, before, tokens
    )
    took = time.time() - started
    time.sleep(1)  # requests in flight when wrk stopped finish
    sent = _confirmed(platform) - before
    web_ms = 1000 * _used_since(web_cpu, children(gunicorn_pid)) / max(sent, 1)
    found = re.search(r"Unexpected answers: (\d+)", output)
    unexpected = int(found[1]) if found else -1
    return Row(
        "letters as a browser sends them",
        f"{sent:,} letters in {took:.1f} s = **{sent / took:.1f} letters/s** through the web "
        f"tier (letter form, Continue, check page, Send, sent page; no Celery worker); web CPU "
        f"{web_ms:.1f} ms a letter; {unexpected} unexpected answers",
        "—",
        "printed: the end-to-end row posts Continue and Send only",
        None,
    )


def _letters_through_wrk(
    platform: Platform,
    app_url: str,
    sessions_file: Path,
    mode: str,
    letters: int,
    before: int,
    tokens: Path | None = None,
):
    """letters.lua in ``mode`` ("send" or "browser") until ``letters`` more letters than
    ``before`` are confirmed (``tokens``: the form tokens' file, if not the sessions' own);
    wrk's parsed figures and its output."""
    tokens_file = str(tokens) if tokens else _tokens_of(sessions_file)
    return wrk.run(
        app_url,
        seconds=3600,
        connections=16,
        threads=2,
        script="letters.lua",
        script_args=[str(sessions_file), mode, str(letters // 2), tokens_file],
        timeout="30s",
        stop_when=_enough_or_stalled(platform, before, letters),
    )


def _enough_or_stalled(platform: Platform, before: int, letters: int):
    """True once ``letters`` more letters are confirmed, or when none has been for a minute
    (wrk would otherwise run on for its hour; the row then shows the letters there are, and
    the stop is printed)."""
    stalled = _Stall()

    def done() -> bool:
        count = _confirmed(platform) - before
        if count >= letters:
            return True
        if stalled(count):
            wait = f"{stalled.seconds:.0f} s"
            print(f"  no letter confirmed for {wait}: stopped at {count:,} of {letters:,}")
            return True
        return False

    return done


def _confirmed(platform: Platform) -> int:
    url = platform.env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM letters WHERE status = 'confirmed'").fetchone()[0]


def _used_since(before: dict[int, float], pids: list[int]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in cpu_by_pid(pids).items())


def _redis_pids() -> list[int]:
    """The bench's own redis-server (a child of this process)."""
    return [
        pid
        for pid in children(os.getpid())
        if b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def scale_out(runs: list[dict], pinned: bool) -> Row:
    """Letters/s with each number of worker processes, and the cores 100 letters/s needs,
    from the CPU each letter cost (web, workers, PostgreSQL and Redis) in the largest run."""
    rates = ", ".join(
        f"{r['concurrency']} worker process{'es' if r['concurrency'] > 1 else ''}: "
        f"{r['rate']:.1f} letters/s (worker CPU {r['worker']:.1f} ms a letter)"
        for r in sorted(runs, key=lambda r: r["concurrency"])
    )
    last = max(runs, key=lambda r: r["concurrency"])
    per_letter = last["web"] + last["worker"] + last["store"]
    cores = 100 * per_letter / 1000
    return Row(
        "scale-out",
        f"{rates}; {per_letter:.1f} ms of CPU a letter (web {last['web']:.1f}, workers "
        f"{last['worker']:.1f}, PostgreSQL and Redis {last['store']:.1f}) → about "
        f"**{cores:.1f} cores for 100 letters/s** (beside the SMTP relay)"
        + ("; web and workers pinned to separate cores (taskset)" if pinned else ""),
        "—",
        "printed",
        None,
    )
