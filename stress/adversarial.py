"""The adversarial workbook corpus, from the command line: write it, and with --run process each file.

    python stress/adversarial.py OUTDIR [--run] [--json figures.json]

Each file is processed in a fresh process, and its outcome, wall time and peak memory printed
(the figures in docs/reliability.md). The corpus itself (what the tests use) is built by
tests/support/adversarial.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

# Run as a script from anywhere: the checkout's root holds the `tests` package the helpers are in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Imported by its package name, so the fork server's children find `_child` there.
from tests.support.adversarial import (  # after the path is set
    Expect,
    build_corpus,
    run_isolated,
)


def main(argv: list[str] | None = None) -> int:
    """Write the corpus under OUTDIR; with --run, process each file and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--run", action="store_true", help="process each file and report")
    parser.add_argument("--json", type=Path, help="with --run: write the figures to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    entries = build_corpus(args.outdir)
    print(
        f"wrote {len(entries)} files under {args.outdir} in {time.perf_counter() - started:.1f} s"
    )
    if not args.run:
        for entry in entries:
            print(f"{entry.expect.value:10} {entry.kind:22} {entry.name!r}")
        return 0
    figures = []
    for number, entry in enumerate(entries):
        out_root = args.outdir / "reports" / str(number)
        out_root.mkdir(parents=True, exist_ok=True)
        full = entry.expect is Expect.DOCUMENTS
        measured = run_isolated(entry.path, out_root, full=full, forbidden=args.outdir / "outside")
        figures.append({**asdict(entry), "path": str(entry.path), **asdict(measured)})
        outcome = (
            "TIMEOUT"
            if measured.timed_out
            else "ERROR"
            if measured.error
            else (
                f"{len(measured.documents)} documents"
                if measured.documents
                else ",".join(measured.codes)
            )
        )
        print(
            f"{entry.expect.value:10} {outcome:12} {measured.seconds:6.2f} s "
            f"{measured.peak_rss_mb:6.0f} MB  {entry.name!r}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
