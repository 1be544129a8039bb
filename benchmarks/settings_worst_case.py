"""How long the slowest settings files sos-docs accepts take to load (docs/security.md).

Each shape fills the 64 KB a settings file may hold with what costs tomllib (or the checks
after it) the most per byte, within the bounds config.py sets before parsing: lines of at most
4,000 characters, at most 64 names joined by dots a line. Each is loaded the way `watch` and
`doctor` load a root (`load_config`), in CPU time, best of five, with its layout checked.

    .venv/bin/python benchmarks/settings_worst_case.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sos_docs.config import MAX_CONFIG_BYTES, MAX_KEY_PARTS, load_config
from sos_docs.errors import ConfigError
from sos_docs.pipeline import check_layout_of


def filled(line: Callable[[int], str], head: str = "", tail: str = "", sep: str = "\n") -> str:
    """`head`, then line(0), line(1), ... while they fit in MAX_CONFIG_BYTES, then `tail`."""
    parts: list[str] = []
    size = len(head) + len(tail)
    while True:
        item = line(len(parts))
        if size + len(item) + len(sep) > MAX_CONFIG_BYTES:
            return head + sep.join(parts) + tail
        parts.append(item)
        size += len(item) + len(sep)


DEEP = ".a" * (MAX_KEY_PARTS - 1)
SHAPES: dict[str, str] = {
    "keys of 64 parts, each a new table": filled(lambda i: f"k{i}{DEEP} = 1"),
    "keys of 2 parts": filled(lambda i: f"k{i}.a = 1"),
    "plain keys": filled(lambda i: f"k{i} = 1"),
    "table headers": filled(lambda i: f"[t{i}]"),
    "inline tables": filled(lambda i: f"k{i} = {{}}"),
    "a list of numbers, 3,980 characters a line": filled(
        lambda i: ",".join(["1"] * 1_990), head="x = [", tail="]", sep=",\n"
    ),
    "[[documents]] tables": filled(lambda i: f'[[documents]]\nname = "d{i}"\ntemplate = "t.docx"'),
    "a [layout] of many fields": filled(
        lambda i: f'F{i} = "Heading {i}"', head="[layout.People]\nsheet = 'Family'\n"
    ),
}


def seconds(text: str) -> tuple[float, str]:
    """The best CPU time of five loads of a root with this sos-docs.toml, and how it ended."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "sos-docs.toml").write_text(text, encoding="utf-8")
        best, outcome = float("inf"), ""
        for _ in range(5):
            start = time.process_time()
            try:
                check_layout_of(load_config(root))  # as `watch` and `doctor` do
                outcome = "loaded"
            except ConfigError as exc:
                outcome = "refused: " + str(exc).replace(str(root), "ROOT")[:70] + "..."
            best = min(best, time.process_time() - start)
        return best, outcome


def main() -> int:
    for name, text in SHAPES.items():
        taken, outcome = seconds(text)
        print(f"{taken:6.3f} s  {len(text.encode()):>6,} bytes  {name} ({outcome})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
