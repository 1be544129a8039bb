"""Load and soak runs against a real `sos-docs watch` process, from the command line.

    python stress/soak.py ROOT --seconds 600 --rate 2       # a ten-minute soak, 2 workbooks/s
    python stress/soak.py ROOT --burst 1000                 # a burst of 1,000 workbooks
    python stress/soak.py ROOT --burst 1000 --json out.json # and keep the figures

The runs themselves (and what tests/service/test_load.py uses) are in tests/support/soak.py.
ROOT must not exist yet (or be empty); everything is written under it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

# Run as a script from anywhere: the checkout's root holds the `tests` package the helpers are in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.soak import run  # after the path is set


def main(argv: list[str] | None = None) -> int:
    """Run a burst or a soak from the command line and print (and optionally save) the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="a new folder to watch")
    parser.add_argument("--burst", type=int, help="drop this many workbooks at once")
    parser.add_argument("--seconds", type=float, help="soak: drop for this long")
    parser.add_argument("--rate", type=float, default=1.0, help="soak: workbooks per second")
    parser.add_argument("--json", type=Path, help="write the report (with samples) here")
    args = parser.parse_args(argv)
    if args.burst is None and args.seconds is None:
        parser.error("give --burst N or --seconds S")
    if args.burst is not None:
        report = run(args.root, count=args.burst)
    else:
        report = run(args.root, seconds=args.seconds, rate=args.rate)
    print(report.summary())
    if args.json:
        data = {
            **asdict(report),
            "workbooks_per_second": report.workbooks_per_second,
            "memory_growth_mb": report.memory_growth_mb,
        }
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0 if report.audit.ok and report.exit_code == 0 and not report.sockets else 1


if __name__ == "__main__":
    sys.exit(main())
