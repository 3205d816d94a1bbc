"""``python -m bench.floor``: the letter submit row beside what the fixed stack alone costs.

The letter submit aim is a share of a hello-world route. This measures, in one run and on the
same gunicorn settings, how far below that route the stack itself already is for a POST like
Continue (``bench/floor_app.py``): Flask-WTF's 13-field form with CSRF, the signed session and a
redirect; then with one Redis script; then with the draft's INSERT too. Beside them, the
platform's own Continue, as the bench's letter submit row posts it. Each target run is compared
with the hello-world runs either side of it; two rounds. Prints a table (about two minutes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from bench import scenarios, wrk
from bench.services import Platform

STEPS = [
    ("/form", "Flask-WTF form (13 fields, CSRF), signed session, redirect"),
    ("/form-redis", "the same, and one Redis script (EVALSHA)"),
    ("/form-redis-insert", "the same, and the draft's INSERT into letters"),
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--seconds", type=int, default=6, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="action-floor-"))
    with Platform(workdir) as platform:
        platform.cli("mps", "sync")
        platform.cli("demo", "load")
        _, app_url = platform.gunicorn("web", "action_app.wsgi:app")
        _, floor_url = platform.gunicorn("floor", "bench.floor_app:app")
        sessions = scenarios.letter_sessions(
            app_url, _some_postcodes(platform), workdir, platform.env["SECRET_KEY"]
        )
        script = _floor_script(floor_url, sessions, workdir)
        targets = [(path, lambda path=path: wrk.run(floor_url + path, seconds=args.seconds,
                                                    script=str(script))[0])
                   for path, _ in STEPS]  # fmt: skip
        targets.append(
            (
                "continue",
                lambda: wrk.run(
                    app_url,
                    seconds=args.seconds,
                    script="letters.lua",
                    script_args=[str(sessions), "write", "0", scenarios._tokens_of(sessions)],
                )[0],
            )
        )
        hello = [wrk.run(floor_url + "/", seconds=args.seconds)[0].requests_per_second]
        runs: dict[str, list[float]] = {name: [] for name, _ in targets}
        errors: dict[str, int] = {name: 0 for name, _ in targets}
        for _ in range(args.rounds):
            results = {name: run() for name, run in targets}
            hello.append(wrk.run(floor_url + "/", seconds=args.seconds)[0].requests_per_second)
            around = (hello[-2] + hello[-1]) / 2
            for name, result in results.items():
                runs[name].append(result.requests_per_second / around)
                errors[name] += result.errors
    labels = dict(STEPS) | {"continue": "the platform's Continue (the letter submit row)"}
    print(f"\nhello-world route: {statistics.fmean(hello):,.0f} req/s (runs: "
          + ", ".join(f"{h:,.0f}" for h in hello) + ")")  # fmt: skip
    print("| POST | share of the hello-world route's requests/s (runs) | errors |")
    print("|---|---|---|")
    for name, ratios in runs.items():
        shown = ", ".join(f"{r:.0%}" for r in ratios)
        median = statistics.median(ratios)
        print(f"| {labels[name]} | **{median:.0%}** ({shown}) | {errors[name]} |")


def _some_postcodes(platform: Platform) -> list[str]:
    from bench.__main__ import _postcodes

    return _postcodes(platform)[:50]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _floor_script(floor_url: str, sessions: Path, workdir: Path) -> Path:
    """A wrk script posting one valid letter-like form to the floor app, over and over: the
    letter's own words (from the letter submit row's sessions), the floor's cookie and token."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    token = opener.open(floor_url + "/form").read().decode()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    fields = dict(urllib.parse.parse_qsl(sessions.read_text().splitlines()[0].split("\t")[3]))
    fields.update(
        csrf_token=token,
        name="Ann Example",
        email="ann.example@example.org",
        form_token="floor",
        opened="floor",
        consent="y",
        opt_ins="a",  # one the floor's form offers
    )
    body = urllib.parse.urlencode(fields, doseq=True)
    for step, _ in STEPS:  # each answers the redirect a valid letter gets, or the bench stops
        request = urllib.request.Request(
            floor_url + step, data=body.encode(), headers={"Cookie": cookie}
        )
        try:
            answer = urllib.request.build_opener(_NoRedirect).open(request)
            raise RuntimeError(f"{step} answered {answer.status}: {answer.read()[:300]!r}")
        except urllib.error.HTTPError as error:
            if error.code != 302:
                message = f"{step} answered {error.code}: {error.read()[:300]!r}"
                raise RuntimeError(message) from error
    path = workdir / "floor.lua"
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [[{body}]]\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Cookie"] = [[{cookie}]]\n'
    )
    return path


if __name__ == "__main__":
    main()
