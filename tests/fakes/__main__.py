"""Run the fake postcodes.io and Members API until Ctrl-C / SIGTERM.

    python -m tests.fakes [--host 127.0.0.1] [--postcodes-port 8101] [--members-port 8102]
                          [--shared-data DIR | --synthetic SEATS] [--latency-ms N] [--verbose]

Switches can be flipped at run time over HTTP, e.g.
    curl -X POST -d '{"fail_next": {"count": 3, "status": 503}}' $POSTCODES_IO_URL/__fake__/control
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .dataset import Dataset, default_dataset, load_shared_dataset
from .members_api import FakeMembersAPI
from .postcodes_io import FakePostcodesIO
from .synthetic import synthetic_dataset


def _examples(dataset: Dataset) -> list[tuple[str, str]]:
    """A live postcode per nation with an MP, a terminated one, and one with no seat."""
    out: list[tuple[str, str]] = []
    for nation in ("England", "Scotland", "Wales", "Northern Ireland"):
        for pc in dataset.live_postcodes():
            member = dataset.member_for_postcode(pc.postcode)
            if pc.country == nation and member is not None:
                out.append(
                    (pc.postcode, f"{nation}: {pc.constituency_name}, {member.name_display_as}")
                )
                break
    for pc in dataset.live_postcodes():
        seat = dataset.constituency_for_postcode(pc.postcode)
        if seat is not None and seat.current_member_id is None:
            out.append((pc.postcode, f"vacant seat: {pc.constituency_name}"))
            break
    dead = dataset.terminated_postcodes()
    if dead:
        year, month = dead[0].terminated or (0, 0)
        out.append((dead[0].postcode, f"terminated {year}-{month:02d}"))
    for pc in dataset.live_postcodes():
        if pc.country in ("Channel Islands", "Isle of Man"):
            out.append((pc.postcode, f"{pc.country}: {pc.constituency_code}, no MP"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakes",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--postcodes-port", type=int, default=8101)
    parser.add_argument("--members-port", type=int, default=8102)
    parser.add_argument(
        "--shared-data",
        metavar="DIR",
        help="serve the full dataset built from this reference-data folder",
    )
    parser.add_argument(
        "--synthetic",
        metavar="SEATS",
        type=int,
        help="serve a made-up dataset of this many seats (for benchmarks)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    if args.shared_data:
        dataset = load_shared_dataset(args.shared_data)
    elif args.synthetic:
        dataset = synthetic_dataset(args.synthetic)
    else:
        dataset = default_dataset()
    pio = FakePostcodesIO(dataset, args.host, args.postcodes_port, verbose=args.verbose)
    members = FakeMembersAPI(dataset, args.host, args.members_port, verbose=args.verbose)
    for server in (pio, members):
        server.latency = args.latency_ms / 1000
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with pio, members:
        print(f"fake postcodes.io  {pio.url}")
        print(f"fake Members API   {members.url}")
        print(
            f"dataset: {len(dataset.constituencies)} constituencies, "
            f"{len(dataset.members)} members, {len(dataset.postcodes)} postcodes\n"
        )
        print(f"export POSTCODES_IO_URL={pio.url}")
        print(f"export PARLIAMENT_MEMBERS_API_URL={members.url}\n")
        print("example postcodes:")
        for postcode, what in _examples(dataset):
            print(f"  {postcode:<9} {what}")
        print("\ncontrol: POST {url}/__fake__/control, stats: GET {url}/__fake__/stats")
        print("Ctrl-C to stop", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
