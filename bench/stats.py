"""Benchmark (not a test): the organisers' dashboard and stats API at 1,000 and 1,000,000 letters.

    python -m bench.stats            # needs the local PostgreSQL (as the tests use)

Makes a throwaway PostgreSQL database, 650 constituencies with MPs across the four nations, a
650-hex layout, and one campaign; then loads the counters that N delivered letters leave behind
(the rows the workers upsert: per constituency, source, UTC hour and organisation, and the
per-day counts), for N = 1,000 and then 1,000,000, spread over 650 seats, 6 sources and 30 days.
The counters are written in bulk, already added up, since sending a million letters through SMTP
is not what is being measured: the dashboard reads only these rows, never the letters.

For each N it times, in-process through the Flask test client (no network): the dashboard page
(with the hex map), its live JSON, one chart image, and GET /api/v1/campaigns/<slug>/stats. "cold"
clears the figures this process keeps before each request (so the counters are read again, as
they are every two seconds); "warm" is
the usual case within the two seconds a process keeps the figures. Medians of repeated requests.
"""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
NATIONS = [("England", 543), ("Scotland", 57), ("Wales", 32), ("Northern Ireland", 18)]
REGIONS = ["London", "South East", "North West", "West Midlands", "Yorkshire and The Humber",
           "East of England", "South West", "East Midlands", "North East"]  # fmt: skip
PARTIES = ["Labour", "Conservative", "Liberal Democrat", "Reform UK", "Green Party",
           "Scottish National Party", "Plaid Cymru", "Independent"]  # fmt: skip
SOURCES = ["", "partner-a", "partner-b", "newsletter", "social", "press"]
PREFIX = {"England": "E14", "Scotland": "S14", "Wales": "W07", "Northern Ireland": "N05"}
REQUESTS = 25


def main() -> None:
    name = f"action_bench_stats_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    folder = Path(tempfile.mkdtemp(prefix="bench-stats-"))
    try:
        run(url.replace("postgresql://", "postgresql+psycopg://", 1), folder)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(database_url: str, folder: Path) -> None:
    from action_app import create_app
    from action_app.schema import upgrade

    layout = folder / "seats.hexjson"
    app = create_app({
        "INSTANCE_PATH": str(folder), "DATABASE_URL": database_url, "SECRET_KEY": "bench",
        "HEXMAP_PATH": str(layout), "PUBLIC_BASE_URL": "http://localhost",
    })  # fmt: skip
    sizes = {"small": 1_000, "large": 1_000_000}
    with app.app_context():
        upgrade()
        seats = make_directory(layout)
        ids = {slug: make_campaign(slug) for slug in sizes}
        token = make_staff(list(ids.values()))
        for slug, letters in sizes.items():
            load_counts(ids[slug], seats, letters)
    report(sizes, measure(app, token, list(sizes)))


def make_directory(layout: Path) -> list[int]:
    from action_app.extensions import db
    from action_app.models import Constituency, Member

    rng = random.Random(1)
    hexes, ids, n = {}, [], 0
    for nation, count in NATIONS:
        for i in range(count):
            n += 1
            code = f"{PREFIX[nation]}{n:06d}"
            seat = Constituency(
                id=n, gss_code=code, name=f"{nation} Seat {i + 1}", name_key=f"seat-{n}",
                nation=nation, region=REGIONS[n % len(REGIONS)] if nation == "England" else None,
            )  # fmt: skip
            db.session.add(seat)
            db.session.add(Member(
                id=n, display_name=f"Member {n}", full_title=f"Member {n} MP",
                address_as=f"Member {n}", party_name=rng.choice(PARTIES), constituency_id=n,
                email=f"mp{n}@parliament.example",
            ))  # fmt: skip
            hexes[code] = {"n": seat.name, "q": (n - 1) % 26, "r": (n - 1) // 26}
            ids.append(n)
    db.session.commit()
    layout.write_text(json.dumps({"layout": "odd-r", "hexes": hexes}))
    return ids


def make_campaign(slug: str) -> int:
    from action_app.extensions import db
    from action_app.services.campaigns import import_campaign

    campaign = import_campaign({
        "slug": slug, "title": f"Bench campaign ({slug})", "status": "live", "summary": "Ask.",
        "debate_at": "2026-12-10T14:30:00", "target": {"type": "constituency_mp"},
        "subject_template": "Hello", "body_template": "Dear {{ mp.address_as }}",
        "organisations": [{"slug": "friends", "name": "Friends", "statement": "Email me."}],
    }, "bench").campaign  # fmt: skip
    db.session.commit()
    return campaign.id


def make_staff(campaign_ids: list[int]) -> str:
    from action_app.extensions import db
    from action_app.models import Campaign
    from action_app.services.staff_auth import create_staff
    from action_app.stats.tokens import issue_token

    user = create_staff("org@bench.example", "organiser", "correct horse battery staple",
                        campaigns=[db.session.get(Campaign, i) for i in campaign_ids])  # fmt: skip
    db.session.flush()
    _, token = issue_token(user.id, "bench", "bench")
    db.session.commit()
    return token


def load_counts(campaign_id: int, seats: list[int], letters: int) -> None:
    """The counters N delivered letters leave, added up, replacing any loaded before."""
    from sqlalchemy import delete, insert

    from action_app.extensions import db
    from action_app.models import ParticipationCount, StatsCounter

    rng = random.Random(letters)
    counters: dict[tuple, int] = defaultdict(int)
    per_day: dict[tuple, int] = defaultdict(int)
    start = datetime(2026, 11, 1)
    weights = [rng.random() ** 2 for _ in seats]
    batch = 100_000
    remaining = letters
    while remaining:
        size = min(batch, remaining)
        remaining -= size
        chosen = rng.choices(seats, weights=weights, k=size)
        for seat in chosen:
            source = SOURCES[rng.randrange(len(SOURCES))]
            hour = start + timedelta(hours=rng.randrange(30 * 24))
            for metric in ("accepted", "queued", "sent"):
                counters[("constituency", str(seat), metric)] += 1
            if rng.random() < 0.3:
                counters[("constituency", str(seat), "personalised")] += 1
            counters[("source", source, "queued")] += 1
            counters[("source", source, "sent")] += 1
            counters[("hour", hour.strftime("%Y-%m-%dT%H"), "sent")] += 1
            per_day[(hour.date(), seat, source)] += 1
    counters[("organisation", "friends", "opt_ins")] = letters // 3
    db.session.execute(delete(StatsCounter).where(StatsCounter.campaign_id == campaign_id))
    db.session.execute(
        delete(ParticipationCount).where(ParticipationCount.campaign_id == campaign_id)
    )
    db.session.execute(insert(StatsCounter), [
        {"campaign_id": campaign_id, "dimension": d, "bucket": b, "metric": m, "value": v}
        for (d, b, m), v in counters.items()
    ])  # fmt: skip
    db.session.execute(insert(ParticipationCount), [
        {"campaign_id": campaign_id, "day": day, "constituency_id": seat, "source": source,
         "letters": v}
        for (day, seat, source), v in per_day.items()
    ])  # fmt: skip
    db.session.commit()
    db.session.execute(db.text("ANALYZE stats_counters"))
    db.session.execute(db.text("ANALYZE participation_counts"))
    db.session.commit()
    print(f"loaded {letters:,} letters: {len(counters):,} counter rows, "
          f"{len(per_day):,} per-day rows", file=sys.stderr)  # fmt: skip


def measure(app, token: str, slugs: list[str]) -> dict:
    """Median milliseconds per (request, mode, campaign). The two campaigns are asked in turn,
    request by request, so a busy moment on this shared machine falls on both alike."""
    client = app.test_client()
    page = client.get("/staff/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    form = {"csrf_token": csrf, "email": "org@bench.example",
            "password": "correct horse battery staple"}  # fmt: skip
    assert client.post("/staff/sign-in", data=form).status_code == 302
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    targets = {
        "dashboard": lambda slug: client.get(f"/stats/{slug}"),
        "live JSON": lambda slug: client.get(f"/stats/{slug}/live.json"),
        "chart (constituencies)": lambda slug: client.get(
            f"/stats/{slug}/charts/constituencies.svg"
        ),
        "API stats": lambda slug: api.get(f"/api/v1/campaigns/{slug}/stats", headers=bearer),
    }
    out: dict = {}
    for name, call in targets.items():
        for slug in slugs:
            assert call(slug).status_code == 200, (name, slug)
        for mode in ("cold", "warm"):
            samples: dict[str, list[float]] = {slug: [] for slug in slugs}
            for _ in range(REQUESTS):
                for slug in slugs:
                    if mode == "cold":  # the figures are read again, as every two seconds
                        app.registry.stats_figures.clear()
                    else:
                        call(slug)  # this campaign's figures are the ones kept
                    started = time.perf_counter()
                    response = call(slug)
                    samples[slug].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
            for slug in slugs:
                out[(name, mode, slug)] = statistics.median(samples[slug])
    return out


def report(sizes: dict[str, int], timings: dict) -> None:
    small, large = sizes
    print(f"\n| request | mode | {sizes[small]:,} letters (ms) | {sizes[large]:,} letters (ms) "
          "| ratio |")  # fmt: skip
    print("|---|---|---:|---:|---:|")
    names = dict.fromkeys(name for name, _, _ in timings)
    for name in names:
        for mode in ("cold", "warm"):
            x, y = timings[(name, mode, small)], timings[(name, mode, large)]
            print(f"| {name} | {mode} | {x:.1f} | {y:.1f} | {y / x:.2f} |")
    print(f"\n(medians of {REQUESTS} requests each, the two campaigns in turn; "
          f"{date.today().isoformat()})")  # fmt: skip


if __name__ == "__main__":
    main()
