"""``python -m bench.letter_cost``: CPU per letter in the web tier and the relay, for quick work.

The full bench (``make bench``) measures the web tier through gunicorn and wrk, beside everything
else, in about ten minutes. This starts the same PostgreSQL database, Redis and fakes, but drives
the app in this process with Flask's test client: each letter is Continue (the letter form) then
Send (the check page), as a browser sends them. Then the relay task runs here too, sending every
letter and its receipt to the bench's SMTP sink. It prints this process's CPU per letter for each,
and that of the PostgreSQL backends and Redis, so a change to the submit path or the send path can
be measured in a minute. ``--profile FILE`` writes cProfiles (CPU time) of the timed letters to
FILE.web and of the relay to FILE.relay (read them with ``python -m pstats``).

The test client costs a little CPU that gunicorn would not (building the WSGI environ, reading
the answer back): compare figures from this tool with each other, not with the bench's.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import re
import statistics
import tempfile
import time
import urllib.parse
import uuid
from html import unescape
from pathlib import Path

from bench.scenarios import SLUG, _letter_fields, _redis_pids
from bench.services import Platform, cpu_seconds, database_backends, get_json

ROUND = 200  # letters per timed round; the machine is shared, so the median of rounds is shown


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.letter_cost", description=__doc__)
    parser.add_argument("--letters", type=int, default=2000, help="letters timed")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed letters here")
    parser.add_argument(
        "--continue-only",
        action="store_true",
        help="time Continue alone (as the bench's letter submit row does), no Send, no relay",
    )
    parser.add_argument(
        "--statements", action="store_true", help="print the SQL and Redis commands of one letter"
    )
    parser.add_argument(
        "--browser",
        action="store_true",
        help="time each of a browser's five requests (the letter form, Continue, the check page, "
        "Send, the sent page) apart, as the bench's browser row makes them; no relay",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="action-web-cost-"))
    with Platform(workdir) as platform:
        platform.cli("mps", "sync")
        platform.cli("demo", "load")
        os.environ.update(platform.env)
        from action_app import create_app

        app = create_app()
        client = app.test_client()
        write_paths = _write_paths(client)
        fields = _letter_fields(client.get(write_paths[0]).get_data(as_text=True))
        for n in range(50):  # warm every cache the timed letters meet
            _one_letter(client, write_paths, fields, n)
        if args.statements:
            _show_statements(client, write_paths, fields, browser=args.browser)
        if args.browser:
            _browser_steps(client, write_paths, fields, args.letters, args.profile)
            return
        stores = database_backends(platform.database) + _redis_pids()
        profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU only
        rounds, own, stores_cpu, wall = max(1, args.letters // ROUND), [], [], []
        for r in range(rounds):
            stores_before, started = cpu_seconds(stores), time.process_time()
            clock = time.perf_counter()
            if profiler:
                profiler.enable()
            for n in range(ROUND):
                _one_letter(
                    client, write_paths, fields, 50 + r * ROUND + n, send=not args.continue_only
                )
            if profiler:
                profiler.disable()
            own.append((time.process_time() - started) / ROUND * 1000)
            wall.append((time.perf_counter() - clock) / ROUND * 1000)
            stores_cpu.append((cpu_seconds(stores) - stores_before) / ROUND * 1000)
        if profiler:
            profiler.dump_stats(f"{args.profile}.web")
        steps = "Continue" if args.continue_only else "Continue and Send"
        print(
            f"{rounds * ROUND} letters ({steps}) in rounds of {ROUND}: web "
            f"{statistics.median(own):.2f} ms CPU per letter (median; least {min(own):.2f}), "
            f"PostgreSQL and Redis {statistics.median(stores_cpu):.2f} ms; "
            f"{statistics.median(wall):.2f} ms a letter by the clock"
        )
        if not args.continue_only:
            _relay(app, platform, stores, args.profile)


def _relay(app, platform: Platform, stores: list[int], profile: Path | None) -> None:
    """The relay task, run here until the outbox is empty: CPU per letter (its email to the MP
    and its receipt), beside what the sink counted."""
    from workers.tasks import relay_outbox_task

    before = get_json(platform.smtp_stats_url)
    profiler = cProfile.Profile(time.process_time) if profile else None
    stores_before, started = cpu_seconds(stores), time.process_time()
    if profiler:
        profiler.enable()
    with app.app_context():
        results = relay_outbox_task.run()
    if profiler:
        profiler.disable()
        profiler.dump_stats(f"{profile}.relay")
    took = time.process_time() - started
    stores_cpu = cpu_seconds(stores) - stores_before
    after = get_json(platform.smtp_stats_url)
    letters = after["letters"] - before["letters"]
    if not letters:
        raise RuntimeError(f"the relay sent no letter: {results}")
    print(
        f"relay: {letters} letters and {after['receipts'] - before['receipts']} receipts at the "
        f"sink; {took / letters * 1000:.2f} ms CPU per letter (its email and receipt), "
        f"PostgreSQL and Redis {stores_cpu / letters * 1000:.2f} ms"
    )


def _write_paths(client) -> list[str]:
    """The letter form's address for a few seats, from the your-MP page, as a browser finds it."""
    from bench.services import SHARED_DATA
    from tests.fakes import load_shared_dataset
    from tests.fakes.synthetic import synthetic_dataset

    data = load_shared_dataset(SHARED_DATA) if SHARED_DATA.exists() else synthetic_dataset(650)
    paths = []
    for postcode in data.live_postcodes():
        page = client.get(f"/c/{SLUG}/your-mp?postcode={urllib.parse.quote(postcode.postcode)}")
        link = re.search(rf'href="(/c/{SLUG}/write\?[^"]+)"', page.get_data(as_text=True))
        if link:
            paths.append(unescape(link[1]))
        if len(paths) == 20:
            return paths
    raise RuntimeError("no letter form found")


def _typed_letter(client, fields: dict[str, str], n: int, name: str) -> dict[str, str]:
    """The letter form's fields as a supporter sends them: a fresh form token, opened long
    enough ago, and an address of their own."""
    from action_app.services import abuse

    token = f"cost{n:06d}{uuid.uuid4().hex[:12]}"
    with client.application.test_request_context():
        opened = abuse.page_opened_token(token)
    return {
        **fields,
        "form_token": token,
        "opened": opened,
        "email": f"cost{n}-{uuid.uuid4().hex[:6]}@example.org",
        "name": name,
    }


def _one_letter(client, write_paths, fields, n: int, show=False, send=True) -> None:
    form = _typed_letter(client, fields, n, f"Cost Supporter {n}")
    if show:
        print("Continue:")
    answer = client.post(write_paths[n % len(write_paths)], data=form)
    check = answer.headers.get("Location", "")
    if answer.status_code != 302 or "/check/" not in check:
        raise RuntimeError(f"Continue answered {answer.status_code} {check}")
    if not send:
        return
    if show:
        print("Send:")
    sent = client.post(check, data={"csrf_token": fields["csrf_token"]})
    if sent.status_code != 302 or "/sent/" not in sent.headers.get("Location", ""):
        raise RuntimeError(f"Send answered {sent.status_code}")


BROWSER_STEPS = ("letter form", "Continue", "check page", "Send", "sent page")


def _browser_steps(client, write_paths, fields, letters: int, profile: Path | None) -> None:
    """Each of a browser's five requests timed apart (CPU in this process, median of rounds),
    with a cProfile of each step to ``FILE.<n>`` when asked."""
    for n in range(20):  # the pages' templates compiled, their caches warm
        _browser_letter(client, write_paths, fields, 900_000 + n, None)
    profilers = [cProfile.Profile(time.process_time) for _ in BROWSER_STEPS] if profile else None
    rounds = max(1, letters // ROUND)
    per_step: list[list[float]] = [[] for _ in BROWSER_STEPS]
    for r in range(rounds):
        spent = [0.0] * len(BROWSER_STEPS)
        for n in range(ROUND):
            for step, took in enumerate(
                _browser_letter(client, write_paths, fields, 1_000_000 + r * ROUND + n, profilers)
            ):
                spent[step] += took
        for step, total in enumerate(spent):
            per_step[step].append(total / ROUND * 1000)
    for step, name in enumerate(BROWSER_STEPS):
        print(f"{name}: {statistics.median(per_step[step]):.2f} ms CPU (median of {rounds} rounds)")
    total = sum(statistics.median(figures) for figures in per_step)
    print(f"a letter as a browser sends it: {total:.2f} ms CPU in the web tier")
    if profilers:
        for step, profiler in enumerate(profilers):
            profiler.dump_stats(f"{profile}.{step}")


def _browser_letter(client, write_paths, fields, n: int, profilers, show=False) -> list[float]:
    """One letter, as a browser sends it: each request's CPU in this process, in order."""
    form = _typed_letter(client, fields, n, f"Browser {n}")
    path = write_paths[n % len(write_paths)]
    took: list[float] = []

    def request(send, url: str, expected: int, **options):
        step = len(took)
        if show:
            print(f"{BROWSER_STEPS[step]}:")
        started = time.process_time()
        if profilers:
            profilers[step].enable()
        answer = send(url, **options)
        if profilers:
            profilers[step].disable()
        took.append(time.process_time() - started)
        if answer.status_code != expected:
            raise RuntimeError(f"{BROWSER_STEPS[step]} answered {answer.status_code}")
        return answer

    request(client.get, path, 200)
    check = request(client.post, path, 302, data=form).headers["Location"]
    request(client.get, check, 200)
    sent = request(client.post, check, 302, data={"csrf_token": fields["csrf_token"]})
    request(client.get, sent.headers["Location"], 200)
    return took


def _show_statements(
    client, write_paths: list[str], fields: dict[str, str], browser: bool = False
) -> None:
    """One more letter, printing each SQL statement and Redis command as it goes. Statements
    are caught on the driver's cursor, not SQLAlchemy's events: the draft's INSERT and Send's
    writes go to the driver connection directly (``action_app.sql``). A COMMIT or ROLLBACK is
    printed when one goes to the server (the driver sends none for an idle connection)."""
    import psycopg
    import redis
    from psycopg.pq import TransactionStatus

    def sql(text, executemany=False):
        text = text if isinstance(text, str) else bytes(text).decode()
        kind = " (executemany)" if executemany else ""
        print(f"  SQL  {kind}", " ".join(text.split())[:150])

    cursor, connection = psycopg.Cursor, psycopg.Connection
    originals = {
        (cursor, "execute"): cursor.execute,
        (cursor, "executemany"): cursor.executemany,
        (connection, "commit"): connection.commit,
        (connection, "rollback"): connection.rollback,
        # Redis commands are caught on the connection: ``kv.command`` sends on it directly.
        (redis.connection.AbstractConnection, "send_command"): (
            redis.connection.AbstractConnection.send_command
        ),
        # ``kv.pipelined`` packs several commands into one write: one round trip.
        (redis.connection.AbstractConnection, "pack_commands"): (
            redis.connection.AbstractConnection.pack_commands
        ),
    }

    def execute(self, query, *args, **kwargs):
        sql(query)
        return originals[cursor, "execute"](self, query, *args, **kwargs)

    def executemany(self, query, *args, **kwargs):
        sql(query, executemany=True)
        return originals[cursor, "executemany"](self, query, *args, **kwargs)

    def ending(name):
        def end(self):
            if self.info.transaction_status != TransactionStatus.IDLE:
                print(f"  SQL   {name.upper()}")
            return originals[connection, name](self)

        return end

    def command(self, *args, **options):
        print("  Redis", " ".join(str(a) for a in args)[:160])
        return originals[redis.connection.AbstractConnection, "send_command"](
            self, *args, **options
        )

    def pipeline(self, commands):
        shown = (" ".join(str(a) for a in args)[:70] for args in commands)
        print("  Redis (one round trip)", " | ".join(shown))
        return originals[redis.connection.AbstractConnection, "pack_commands"](self, commands)

    cursor.execute, cursor.executemany = execute, executemany
    connection.commit, connection.rollback = ending("commit"), ending("rollback")
    redis.connection.AbstractConnection.send_command = command
    redis.connection.AbstractConnection.pack_commands = pipeline
    try:
        if browser:
            _browser_letter(client, write_paths, fields, 10_000_000, None, show=True)
        else:
            _one_letter(client, write_paths, fields, 10_000_000, show=True)
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)


if __name__ == "__main__":
    main()
