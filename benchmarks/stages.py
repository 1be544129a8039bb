"""Where one workbook's time goes, stage by stage (CPU milliseconds, median), warm.

    python benchmarks/stages.py

The account behind docs/performance.md's "what stands in the way": each stage of the
pipeline timed on its own, for the example family and the large case, every run on a
different workbook.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cases

from sos_docs import files, pipeline
from sos_docs.config import DEFAULT_CONFIG
from sos_docs.documents import render
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate

RUNS, WARMUP = 15, 3


def cpu(step: Callable[[], object]) -> float:
    """CPU seconds one call takes."""
    start = time.process_time()
    step()
    return time.process_time() - start


class Inner:
    """Wraps a function of a module and adds up the CPU time spent in it."""

    def __init__(self, module: object, name: str) -> None:
        self.module, self.name = module, name
        self.function = getattr(module, name)
        self.seconds = 0.0
        setattr(module, name, self)

    def __call__(self, *args: object, **kwargs: object) -> object:
        start = time.process_time()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.process_time() - start

    def taken(self) -> float:
        """The CPU seconds added up since the last call of taken()."""
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def stages(folder: Path, size: str) -> dict[str, float]:
    """Median CPU milliseconds of each stage for workbooks of one size."""
    import sos_docs.documents.context

    inner = {
        "drawing": Inner(sos_docs.documents.context, "draw_scale"),
        "checking": Inner(render, "_word_ready_or_reason"),
    }
    timings: dict[str, list[float]] = {}
    for n in range(WARMUP + RUNS):
        path = cases.write_case(folder / f"{size}-{n}.xlsx", size, n)
        measured = one_workbook(path, folder / f"out-{size}-{n}", inner)
        if n >= WARMUP:
            for name, seconds in measured.items():
                timings.setdefault(name, []).append(seconds)
    return {name: statistics.median(values) * 1000 for name, values in timings.items()}


def one_workbook(path: Path, out: Path, inner: dict[str, Inner]) -> dict[str, float]:
    """CPU seconds of each stage for one workbook."""
    templates = [pipeline.template_path(DEFAULT_CONFIG, k) for k in pipeline.DOCUMENT_KINDS]
    raw = read_workbook(path)
    validation = validate(raw)
    assert validation.case is not None
    case = validation.case
    context: dict[str, object] = {}
    documents: list[render.Rendered] = []
    out.mkdir()
    inner["drawing"].taken()
    inner["checking"].taken()
    return {
        "read (guard, scan, cell values)": cpu(lambda: read_workbook(path)),
        "validate": cpu(lambda: validate(raw)),
        "context": cpu(lambda: context.update(build_context(case, DocumentSettings()))),
        "of which the scale picture (draw, PNG)": inner["drawing"].taken(),
        "render both documents": cpu(
            lambda: documents.extend(render.render_documents(templates, context))
        ),
        "of which checking the pictures": inner["checking"].taken(),
        "write both documents": cpu(
            lambda: [
                files.write_new_file(out / f"{i}.docx", d.data) for i, d in enumerate(documents)
            ]
        ),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sos-docs-stages-") as folder:
        results = {size: stages(Path(folder), size) for size in cases.SIZES}
    print("| Stage (CPU ms, median) | Example family | Large case |")
    print("| --- | --- | --- |")
    for name in results[cases.EXAMPLE]:
        row = " | ".join(f"{results[size][name]:.1f}" for size in cases.SIZES)
        print(f"| {name} | {row} |")


if __name__ == "__main__":
    sys.exit(main())
