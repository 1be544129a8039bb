"""sos-docs performance: prints one table, every row measured in this run, on this machine.

    python benchmarks/bench.py                                # about three minutes
    python benchmarks/bench.py --write docs/performance.md    # and put the table there

Rows (docs/performance.md says what each means and what made the difference):

- Baseline: what a capable user would write by hand, warm, per workbook: openpyxl's
  load_workbook, the documents' context (built by sos-docs' own builder, so the baseline pays
  for the same scale picture but skips validation), then a fresh docxtpl DocxTemplate rendered
  and saved to a file for each of the two documents. Also the same script making the same
  documents sos-docs makes (the report once per copy, so the example's family copy too).
- sos-docs, one workbook: the whole pipeline, warm: read, validate, context, both documents
  written into place.
- Burst: 200 workbooks copied at once into the inbox of a running `sos-docs watch`: workbooks
  per second until the last is in processed/, and the peak memory of the service's processes.
- Latency: from a workbook's file being closed in the inbox to both its documents being in
  reports/, one workbook at a time, with native file events and with --polling; and from a
  workbook written beside the inbox being renamed into it (native events).
- `watch --once`: the whole `python -m sos_docs watch ROOT --once` process, one workbook put
  into the inbox earlier (older than the settle time).
- Cold start: `python -m sos_docs validate` on one workbook, the whole process.

The `watch --once` and cold-start rows run Python as a user's machine runs it: with its bytecode
cache. Their child processes have PYTHONDONTWRITEBYTECODE unset and PYTHONPYCACHEPREFIX set to a
folder in the bench's own temporary folder (so nothing is written into the checkout), and one
uncounted run fills that cache first. The cold start is also shown without a bytecode cache, as
PYTHONDONTWRITEBYTECODE=1 runs it (this sandbox sets it): every module that has no .pyc already
(sos-docs' own, in an editable checkout that never wrote one) is compiled at every start.

Every workbook is a different file (see cases.py), so only the templates are ever reused.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import cases
import pictures
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from openpyxl import load_workbook

from sos_docs.config import DEFAULT_CONFIG
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.model import MappingCase, Picture
from sos_docs.pipeline import DOCUMENT_KINDS, check_workbook, process_workbook, template_path
from sos_docs.workbook import copies

TEMPLATES = [template_path(DEFAULT_CONFIG, kind) for kind in DOCUMENT_KINDS]
MARK_START = "<!-- bench:start -->"
MARK_END = "<!-- bench:end -->"
POLL_SECONDS = 0.002  # how often a latency drop looks for its documents
BURST_POLL_SECONDS = 0.02  # how often the burst counts processed/ (cheap, but not free)
SAMPLE_SECONDS = 0.05  # how often the service's memory is read
SERVICE_TIMEOUT = 180.0


@dataclass(frozen=True)
class Plan:
    """How many measurements each row takes."""

    runs: int = 20  # per workbook size, after the warm-up
    warmup: int = 3
    burst: int = 200
    drops: int = 20
    cold_runs: int = 7
    once_runs: int = 7


QUICK = Plan(runs=5, warmup=2, burst=40, drops=5, cold_runs=3, once_runs=3)


# --------------------------------------------------------------------------------------------
# One workbook at a time, in this process


def baseline(path: Path, case: MappingCase, out: Path) -> None:
    """A capable user's script: openpyxl, then a fresh DocxTemplate per document."""
    _read_by_hand(path)
    context = build_context(case, DocumentSettings())
    for template in TEMPLATES:
        _render_by_hand(template, context, out / f"{path.stem} {template.stem}.docx")


def baseline_same_documents(path: Path, case: MappingCase, out: Path) -> None:
    """The same script making the documents sos-docs makes: the report once per copy of the
    case (the professional copy, and a family copy when anything is withheld: the example
    withholds a child's words), and the story from the case as the family may read it."""
    _read_by_hand(path)
    case_copies = copies.copies_of(case)
    report, story = TEMPLATES
    for n, copy in enumerate(case_copies):
        settings = DocumentSettings(family_copy=not copy.is_professional)
        _render_by_hand(report, build_context(copy.case, settings), out / f"{path.stem} {n}.docx")
    family_case = case
    if len(case_copies) > 1:
        family_case, _ = copies.filtered(case, copies.EVERY_FAMILY_MEMBER)
    settings = DocumentSettings(family_copy=len(case_copies) > 1)
    _render_by_hand(story, build_context(family_case, settings), out / f"{path.stem} story.docx")


def _read_by_hand(path: Path) -> None:
    """Every sheet's values, as the script reads them with openpyxl."""
    book = load_workbook(path, data_only=True)
    sheets = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    assert sheets


def _render_by_hand(template: Path, context: dict[str, object], target: Path) -> None:
    tpl = DocxTemplate(template)
    tpl.render(_with_images(context, tpl), autoescape=True)
    tpl.save(target)


def _with_images(value: object, tpl: DocxTemplate) -> object:
    """The context with each picture as the InlineImage docxtpl prints."""
    if isinstance(value, Picture):
        return InlineImage(tpl, io.BytesIO(value.data), width=Mm(160))
    if isinstance(value, dict):
        return {key: _with_images(item, tpl) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_images(item, tpl) for item in value]
    return value


def sos_docs(path: Path, out: Path) -> None:
    """The whole sos-docs pipeline for one workbook, documents written under `out`."""
    outcome = process_workbook(path, out)
    assert outcome.ok and len(outcome.documents) >= 2, outcome.validation.problems


def per_workbook(work: Path, size: str, plan: Plan) -> dict[str, float]:
    """Median seconds per workbook for the baseline (the issue's two documents, and the same
    documents sos-docs makes) and for sos-docs, interleaved, warm."""
    folder = work / f"one-{size}"
    files = [
        cases.write_case(folder / f"{size}-{n}.xlsx", size, n)
        for n in range(plan.warmup + plan.runs)
    ]
    known = {path: _valid_case(path) for path in files}  # given to the baseline, not timed
    out = work / f"out-{size}"
    out.mkdir()
    timings: dict[str, list[float]] = {"baseline": [], "baseline-same": [], "sos-docs": []}
    for n, path in enumerate(files):
        steps: list[tuple[str, Callable[[], None]]] = [
            ("baseline", lambda p=path: baseline(p, known[p], out)),
            ("baseline-same", lambda p=path: baseline_same_documents(p, known[p], out)),
            ("sos-docs", lambda p=path: sos_docs(p, out)),
        ]
        for name, step in steps if n % 2 else reversed(steps):
            seconds = _timed(step)
            if n >= plan.warmup:
                timings[name].append(seconds)
    return {name: statistics.median(seconds) for name, seconds in timings.items()}


def _valid_case(path: Path) -> MappingCase:
    validation = check_workbook(path)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


def _timed(step: Callable[[], None]) -> float:
    gc.collect()
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# The service, as a real process


class Service:
    """`python -m sos_docs watch ROOT` running in the background, with its process tree's RSS."""

    def __init__(self, root: Path, *flags: str) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)  # the service never creates a missing root
        self.log = (root.parent / f"{root.name}.log").open("wb")
        command = [sys.executable, "-m", "sos_docs", "watch", str(root), *flags]
        self.process = subprocess.Popen(
            command, cwd=root.parent, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.peak_rss = 0
        self._sampling = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        _wait_for(lambda: (root / "inbox").is_dir() and (root / "processed").is_dir(), self)

    def _sample(self) -> None:
        while not self._sampling.wait(SAMPLE_SECONDS):
            self.peak_rss = max(self.peak_rss, tree_rss(self.process.pid))

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it; jobs in flight finish first."""
        self._sampling.set()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def failed(self) -> str:
        """The service's output, when it has died."""
        if self.process.poll() is None:
            return ""
        return (self.root.parent / f"{self.root.name}.log").read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def service(root: Path, *flags: str) -> Iterator[Service]:
    """A running service for the block."""
    running = Service(root, *flags)
    try:
        yield running
    finally:
        running.stop()


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc (Linux)."""
    tree, todo = set(), [pid]
    while todo:
        member = todo.pop()
        tree.add(member)
        todo += [child for child in _children(member) if child not in tree]
    return sum(_rss(member) for member in tree)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.scandir(f"/proc/{pid}/task"):
            found += [int(n) for n in Path(task.path, "children").read_text().split()]
    return found


def _rss(pid: int) -> int:
    with contextlib.suppress(OSError):
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) * 1024 if match else 0
    return 0


def _wait_for(done: Callable[[], bool], running: Service, every: float = POLL_SECONDS) -> None:
    deadline = time.monotonic() + SERVICE_TIMEOUT
    while not done():
        if running.failed():
            raise RuntimeError(f"the service stopped:\n{running.failed()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the service did not finish in {SERVICE_TIMEOUT:g} s")
        time.sleep(every)


def _count(folder: Path, suffix: str) -> int:
    """Files (not hidden) with this suffix directly in `folder`; 0 while it does not exist."""
    try:
        with os.scandir(folder) as entries:
            return sum(1 for e in entries if e.name.endswith(suffix) and e.name[0] != ".")
    except FileNotFoundError:
        return 0


def _count_all(folder: Path, suffix: str) -> int:
    return sum(1 for p in folder.rglob(f"*{suffix}") if not p.name.startswith("."))


def drop(source: Path, inbox: Path) -> None:
    """Copy a workbook into the inbox as a person's file copy does: straight to its name."""
    shutil.copyfile(source, inbox / source.name)


def burst(work: Path, plan: Plan) -> tuple[float, int]:
    """Workbooks per second for a burst dropped at once, and the service's peak RSS in bytes."""
    sources = work / "burst-sources"
    files = [
        cases.write_case(sources / f"burst-{n}.xlsx", cases.EXAMPLE, n)
        for n in range(1000, 1000 + plan.burst + 2)
    ]
    warm, batch = files[:2], files[2:]
    root = work / "burst"
    with service(root) as running:
        for path in warm:  # a running service has made documents before
            drop(path, root / "inbox")
        _wait_for(lambda: _count(root / "processed", ".xlsx") == len(warm), running)
        start = time.perf_counter()
        for path in batch:
            drop(path, root / "inbox")
        every = BURST_POLL_SECONDS
        _wait_for(lambda: _count(root / "processed", ".xlsx") == len(files), running, every)
        seconds = time.perf_counter() - start
        peak = running.peak_rss
    assert _count(root / "rejected", ".xlsx") == 0
    assert _count_all(root / "reports", ".docx") >= 2 * len(files)
    return len(batch) / seconds, peak


def latency(work: Path, plan: Plan, *flags: str, rename: bool = False) -> tuple[float, float]:
    """Median and 90th percentile seconds from a closed (or renamed) inbox file to both its
    documents."""
    name = "polling" if flags else "renamed" if rename else "events"
    first = 2000 if flags else 4000 if rename else 3000
    files = [
        cases.write_case(work / f"latency-{name}-sources" / f"drop-{n}.xlsx", cases.EXAMPLE, n)
        for n in range(first, first + plan.drops + 1)
    ]
    root = work / f"latency-{name}"
    seconds = []
    with service(root, *flags) as running:
        for n, path in enumerate(files):
            number = first + n
            reports = root / "reports" / cases.case_reference(number)
            if rename:
                beside = root / f"writing-{path.name}"
                shutil.copyfile(path, beside)
                start = time.perf_counter()
                beside.rename(root / "inbox" / path.name)
            else:
                drop(path, root / "inbox")
                start = time.perf_counter()  # the copy has closed the file
            _wait_for(lambda r=reports: _count(r, ".docx") >= 2, running)
            if n:  # the first drop only shows the service is up and warm
                seconds.append(time.perf_counter() - start)
            _wait_for(lambda k=n: _count(root / "processed", ".xlsx") == k + 1, running)
            time.sleep(0.1)
    return statistics.median(seconds), _percentile(seconds, 90)


def _percentile(values: Sequence[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def child_environment(work: Path, cached: bool = True) -> dict[str, str]:
    """The environment of a timed `python -m sos_docs` process.

    `cached`: as a user's machine runs it, with Python's bytecode cache, kept in `work` (a
    temporary folder) rather than beside the sources. Otherwise PYTHONDONTWRITEBYTECODE=1: a
    module without a .pyc already (sos-docs' own, in an editable checkout) is compiled each time.
    """
    env = dict(os.environ)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def watch_once(work: Path, plan: Plan, cached: bool = True) -> float:
    """Median seconds for a whole `python -m sos_docs watch ROOT --once` process on one
    workbook put into the inbox earlier (its last change older than the settle time), after
    one uncounted run (which fills the bytecode cache when `cached`)."""
    env = child_environment(work, cached)
    seconds = []
    kind = "cached" if cached else "uncached"
    for n in range(plan.once_runs + 1):  # run 0 is the uncounted warm-up
        root = work / f"once-{kind}-{n}"
        cases.write_case(root / "inbox" / f"once-{n}.xlsx", cases.EXAMPLE, 5000 + n)
        time.sleep(1.1)  # put there earlier: older than the default settle time (1 s)
        command = [sys.executable, "-m", "sos_docs", "watch", str(root), "--once"]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=work, env=env)
        if n:
            seconds.append(time.perf_counter() - start)
        assert _count(root / "processed", ".xlsx") == 1
    return statistics.median(seconds)


def cold_start(work: Path, plan: Plan, cached: bool = True) -> float:
    """Median seconds for a whole `python -m sos_docs validate` process on one workbook, after
    one uncounted run (which fills the bytecode cache when `cached`)."""
    kind = "cached" if cached else "uncached"
    path = cases.write_case(work / "cold" / f"cold-{kind}.xlsx", cases.EXAMPLE, 1 + (not cached))
    command = [sys.executable, "-m", "sos_docs", "validate", str(path)]
    env = child_environment(work, cached)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=work, env=env)
    seconds = []
    for _ in range(plan.cold_runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=work, env=env)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


# --------------------------------------------------------------------------------------------
# The table


def machine() -> str:
    """One line on the machine and the software measured."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    memory = ""
    with contextlib.suppress(OSError, AttributeError):
        kb = re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M)
        memory = f", {int(kb.group(1)) / 1024 / 1024:.0f} GB RAM" if kb else ""
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("openpyxl", "python-docx", "docxtpl", "lxml", "Jinja2", "watchdog")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.platform()}; "
        f"Python {platform.python_version()}; {versions}"
    )


def table(results: dict[str, object]) -> str:
    """The markdown table of every result, with its target and whether it is met."""

    def ms(seconds: object) -> str:
        return f"{float(seconds) * 1000:.0f} ms"  # type: ignore[arg-type]

    def met(ok: bool) -> str:
        return "yes" if ok else "**no**"

    base = results["baseline"]
    same = results["baseline-same"]
    ours = results["sos-docs"]
    assert isinstance(base, dict) and isinstance(same, dict) and isinstance(ours, dict)
    ratios = {size: base[size] / ours[size] for size in cases.SIZES}
    same_ratios = {size: same[size] / ours[size] for size in cases.SIZES}
    rate, peak = results["burst"]  # type: ignore[misc]
    events, polling, renamed = results["events"], results["polling"], results["renamed"]
    cold = float(results["cold"])  # type: ignore[arg-type]
    cold_uncached = float(results["cold-uncached"])  # type: ignore[arg-type]
    once = float(results["once"])  # type: ignore[arg-type]
    rows = [
        (
            "Baseline, per workbook (example / large)",
            f"{ms(base['example'])} / {ms(base['large'])}",
            "",
            "",
        ),
        (
            "sos-docs, one workbook (example / large)",
            f"{ms(ours['example'])} / {ms(ours['large'])}",
            "",
            "",
        ),
        (
            "Ratio baseline / sos-docs (example / large)",
            f"{ratios['example']:.1f}x / {ratios['large']:.1f}x",
            "at least 5x example, 4x large",
            met(ratios["example"] >= 5 and ratios["large"] >= 4),
        ),
        (
            "Baseline making the same documents as sos-docs (example / large)",
            f"{ms(same['example'])} / {ms(same['large'])}",
            "",
            "",
        ),
        (
            "Ratio, that baseline / sos-docs (example / large)",
            f"{same_ratios['example']:.1f}x / {same_ratios['large']:.1f}x",
            "",
            "",
        ),
        (
            "Burst of 200 workbooks: workbooks per second",
            f"{rate:.1f}",
            "at least 50",
            met(rate >= 50),
        ),
        (
            "Burst: peak memory of the service (RSS, all processes)",
            f"{peak / 1024 / 1024:.0f} MB",
            "under 250 MB",
            met(peak < 250 * 1024 * 1024),
        ),
        (
            "Latency, copy into the inbox, native events (median / p90)",
            f"{events[0]:.2f} s / {events[1]:.2f} s",  # type: ignore[index]
            "median under 0.15 s",
            met(events[0] < 0.15),  # type: ignore[index]
        ),
        (
            "Latency, rename into the inbox, native events (median / p90)",
            f"{renamed[0]:.2f} s / {renamed[1]:.2f} s",  # type: ignore[index]
            "median under 0.15 s",
            met(renamed[0] < 0.15),  # type: ignore[index]
        ),
        (
            "Latency with --polling (median / p90)",
            f"{polling[0]:.2f} s / {polling[1]:.2f} s",  # type: ignore[index]
            "median under 2 s",
            met(polling[0] < 2),  # type: ignore[index]
        ),
        (
            "`sos-docs watch --once` on one workbook, whole process",
            f"{once:.2f} s",
            "under 1.0 s",
            met(once < 1.0),
        ),
        ("Cold start of `sos-docs validate`", f"{cold:.2f} s", "under 0.3 s", met(cold < 0.3)),
        (
            "Cold start of `sos-docs validate`, without a bytecode cache",
            f"{cold_uncached:.2f} s",
            "",
            "",
        ),
        *_picture_table_rows(results["pictures"]),  # type: ignore[arg-type]
    ]
    lines = ["| Measure | Result | Target | Met |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def _picture_table_rows(
    rows: Sequence[tuple[int, float, float]],
) -> list[tuple[str, str, str, str]]:
    """Rendering with 0, 20 and 40 photos, before (python-docx's path) and now: growth per
    photo should stay the same from 20 to 40 (linear)."""
    (_, _, none), *with_photos = rows
    per_photo = [(after - none) / count for count, _before, after in with_photos]
    linear = len(per_photo) == 2 and per_photo[1] <= per_photo[0] * 1.2
    table = [
        (
            f"Rendering both documents with {count} photos (before / now)",
            f"{before:.0f} ms / {after:.0f} ms",
            "",
            "",
        )
        for count, before, after in rows
    ]
    table.append(
        (
            "Cost per photo now, at 20 / at 40 photos",
            " / ".join(f"{each:.1f} ms" for each in per_photo),
            "linear (at 40 no more than 1.2x at 20)",
            "yes" if linear else "**no**",
        )
    )
    return table


def write_into(document: Path, text: str) -> None:
    """Replace what stands between the bench markers of `document` with `text`."""
    content = document.read_text()
    start, end = content.index(MARK_START), content.index(MARK_END)
    document.write_text(content[: start + len(MARK_START)] + "\n" + text + "\n" + content[end:])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="put the table into this markdown file")
    parser.add_argument("--quick", action="store_true", help="fewer runs, to try the script")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    results: dict[str, object] = {"baseline": {}, "baseline-same": {}, "sos-docs": {}}
    before = os.getloadavg()[0]  # other work on the machine shows in every row
    with tempfile.TemporaryDirectory(prefix="sos-docs-bench-") as folder:
        work = Path(folder)
        for size in cases.SIZES:
            print(f"one workbook at a time: {size} ...", file=sys.stderr)
            for name, seconds in per_workbook(work, size, plan).items():
                results[name][size] = seconds  # type: ignore[index]
        print(f"burst of {plan.burst} ...", file=sys.stderr)
        results["burst"] = burst(work, plan)
        print("latency with native events ...", file=sys.stderr)
        results["events"] = latency(work, plan)
        print("latency of a rename into the inbox ...", file=sys.stderr)
        results["renamed"] = latency(work, plan, rename=True)
        print("latency with --polling ...", file=sys.stderr)
        results["polling"] = latency(work, plan, "--polling")
        print("watch --once ...", file=sys.stderr)
        results["once"] = watch_once(work, plan)
        print("cold start ...", file=sys.stderr)
        results["cold"] = cold_start(work, plan)
        print("cold start without a bytecode cache ...", file=sys.stderr)
        results["cold-uncached"] = cold_start(work, plan, cached=False)
        print("pictures 0 / 20 / 40 ...", file=sys.stderr)
        results["pictures"] = pictures.picture_rows(3 if args.quick else pictures.RUNS)
    busy = f"{before:.2f} before and {os.getloadavg()[0]:.2f} after the run"
    text = f"{table(results)}\n\nMeasured on: {machine()}; load average {busy}."
    if args.quick:
        text += " (--quick: fewer runs than the published table.)"
    print(text)
    if args.write:
        write_into(args.write, text)


if __name__ == "__main__":
    main()
