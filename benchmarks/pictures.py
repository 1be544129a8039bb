"""How rendering grows with the pictures in a case: 0, 20 and 40 photos, before and after.

    python benchmarks/pictures.py

Renders the example family's two documents (report, words and pictures) with N pages of the
words and pictures story each holding a different photo (a 1,200 x 900 JPEG of about 150 KB,
as a phone photo shrunk by Excel), the way `pipeline.process_workbook` renders them: every
picture checked and converted once per case, then put into each document. "Before" is the
python-docx path sos-docs used before its own zip writer (`render.FAST_OUTPUT = False`: python-docx
hashes every earlier picture again for each one added, and deflates each JPEG again);
"after" the current one. Both are timed alternately in one process (CPU ms, median).

`picture_rows()` returns the table's rows for benchmarks/bench.py.
"""

from __future__ import annotations

import dataclasses
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import cases
from PIL import Image

from sos_docs.config import DEFAULT_CONFIG
from sos_docs.documents import render
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.model import MappingCase, Picture, WordsPage
from sos_docs.pipeline import DOCUMENT_KINDS, template_path
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate

COUNTS = (0, 20, 40)
# 15, not 7: with a photo now costing 4 to 6 ms, one noisy median of seven renders could swing
# the per-photo figure by a third (one run of bench.py gave 4.2 and 5.9 ms, the next 5.6 and 5.2).
RUNS = 15
TEMPLATES = [template_path(DEFAULT_CONFIG, kind) for kind in DOCUMENT_KINDS]


def photo(number: int) -> bytes:
    """A JPEG that compresses like a photo (noise over a gradient), different for each number."""
    generator = random.Random(number)
    width, height = 1200, 900
    noise = Image.frombytes(
        "RGB", (width // 4, height // 4), generator.randbytes(width * height * 3 // 16)
    )
    image = noise.resize((width, height), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def example_case() -> MappingCase:
    """The example family's case, as benchmarks/cases.py writes it."""
    with tempfile.TemporaryDirectory(prefix="sos-docs-pictures-") as folder:
        path = cases.write_case(Path(folder) / "example.xlsx", cases.EXAMPLE, 0)
        validation = validate(read_workbook(path))
    assert validation.case is not None, validation.problems
    return validation.case


def with_photos(case: MappingCase, photos: Sequence[bytes]) -> MappingCase:
    """The case with one story page per photo after its own pages."""
    first = len(case.words_and_pictures) + 1
    pages = tuple(
        WordsPage(
            page=first + n,
            heading=f"Photo {n + 1}",
            words=f"What we did on day {n + 1}.",
            picture=Picture(data, "jpeg", 10 + n, f"B{10 + n}"),
            picture_description=f"A photo of day {n + 1}.",
        )
        for n, data in enumerate(photos)
    )
    return dataclasses.replace(case, words_and_pictures=case.words_and_pictures + pages)


def render_ms(context: dict[str, object], *, fast: bool) -> float:
    """CPU milliseconds to render both documents of one case."""
    render.FAST_OUTPUT = fast
    try:
        start = time.process_time()
        render.render_documents(TEMPLATES, context)
        return (time.process_time() - start) * 1000
    finally:
        render.FAST_OUTPUT = True


def picture_rows(runs: int = RUNS) -> list[tuple[int, float, float]]:
    """(pictures, before ms, after ms) for each count, medians of `runs` interleaved renders."""
    case = example_case()
    photos = [photo(n) for n in range(max(COUNTS))]
    rows = []
    for count in COUNTS:
        context = build_context(with_photos(case, photos[:count]), DocumentSettings())
        render_ms(context, fast=False), render_ms(context, fast=True)  # warm-up
        before, after = [], []
        for _ in range(runs):
            before.append(render_ms(context, fast=False))
            after.append(render_ms(context, fast=True))
        rows.append((count, statistics.median(before), statistics.median(after)))
    return rows


def main() -> None:
    print("| Pictures | Before (ms) | After (ms) | After, per picture (ms) |")
    print("| --- | --- | --- | --- |")
    rows = picture_rows()
    base_after = rows[0][2]
    for count, before, after in rows:
        each = f"{(after - base_after) / count:.1f}" if count else ""
        print(f"| {count} | {before:.0f} | {after:.0f} | {each} |")


if __name__ == "__main__":
    sys.exit(main())
