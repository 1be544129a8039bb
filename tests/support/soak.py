"""Load and soak runs against a real `sos-docs watch` process: drop workbooks, watch memory, audit.

A burst drops N workbooks at once; a soak drops them at a steady rate for a given time. Either
way the service runs as its own process (`python -m sos_docs watch ROOT`), its resident memory
(with any worker processes it started) is sampled throughout, and at the end every workbook
dropped is looked for: in processed/ with its two documents and receipt, or in rejected/ with
its explanation, exactly once, with the journal agreeing.

    python stress/soak.py ROOT --seconds 600 --rate 2       # a ten-minute soak, 2 workbooks/s
    python stress/soak.py ROOT --burst 1000                 # a burst of 1,000 workbooks
    python stress/soak.py ROOT --burst 1000 --json out.json # and keep the figures

Every tenth workbook is invalid (a meeting type that does not exist), so rejections are part
of the load. ROOT must not exist yet (or be empty); everything is written under it.
"""

from __future__ import annotations

import io
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sos_docs.service.inbox_names import HELP_FILE_NAME
from tests.support.builders import WorkbookBuilder

REFERENCE = "CP-2026-0412"  # the example workbook's case reference
INVALID_EVERY = 10
SAMPLE_SECONDS = 0.5
SERVICE_FLAGS = ("--settle", "0.2", "--rescan", "2")


# --------------------------------------------------------------------------------------------
# Workbooks


def with_reference(workbook: bytes, reference: str) -> bytes:
    """The example workbook's bytes with another case reference (in the Case sheet's XML)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                old, new = f"<t>{REFERENCE}</t>".encode(), f"<t>{reference}</t>".encode()
                assert old in data, "the example's case reference is not where it was"
                data = data.replace(old, new, 1)
            target.writestr(info.filename, data)
    return out.getvalue()


@dataclass(frozen=True)
class Workbooks:
    """The example as bytes, valid and invalid, to copy with a fresh case reference each."""

    valid: bytes
    invalid: bytes

    @classmethod
    def build(cls, folder: Path) -> Workbooks:
        """Write the two once, with openpyxl, under `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        valid = WorkbookBuilder().write(folder / "valid.xlsx").read_bytes()
        bad = WorkbookBuilder().set_case("Meeting type", "Tea party")
        return cls(valid, bad.write(folder / "invalid.xlsx").read_bytes())

    def numbered(self, number: int) -> tuple[str, str, bytes, bool]:
        """(file name, case reference, bytes, valid?) of the number-th workbook of a run."""
        reference = f"LOAD-{number:06d}"
        valid = number % INVALID_EVERY != 0
        data = with_reference(self.valid if valid else self.invalid, reference)
        return f"case-{number:06d}.xlsx", reference, data, valid


def drop(inbox: Path, name: str, data: bytes) -> None:
    """Put a file into the inbox whole, the way a copy finishing with a rename does."""
    staging = inbox.parent / f".staging-{name}"
    staging.write_bytes(data)
    staging.rename(inbox / name)


# --------------------------------------------------------------------------------------------
# The service and its memory


def process_tree(pid: int) -> list[int]:
    """The pid and every descendant's, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB (Linux)."""
    total = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def inet_sockets(pid: int) -> list[str]:
    """The TCP/UDP sockets (not Unix pipes) held by a process and its descendants (Linux)."""
    inet: set[str] = set()
    for table in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        try:
            lines = Path(f"/proc/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        inet.update(f"{table}:{line.split()[9]}" for line in lines if len(line.split()) > 9)
    by_inode = {entry.split(":")[1]: entry for entry in inet}
    found = []
    for member in process_tree(pid):
        for fd in Path(f"/proc/{member}/fd").glob("*"):
            try:
                target = str(fd.readlink())
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in by_inode:
                found.append(f"pid {member} {by_inode[target[8:-1]]}")
    return found


@dataclass
class Service:
    """`python -m sos_docs watch ROOT` running as its own process, logging to a file."""

    root: Path
    log: Path
    flags: tuple[str, ...] = SERVICE_FLAGS
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Service:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sos_docs", "watch", str(self.root), *self.flags],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, timeout: float = 120) -> int:
        """SIGTERM, then the exit code once jobs in flight have finished."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


# --------------------------------------------------------------------------------------------
# Auditing: is every workbook accounted for?


@dataclass
class Audit:
    """Where the workbooks dropped ended up."""

    dropped: int = 0
    processed: int = 0
    rejected: int = 0
    lost: list[str] = field(default_factory=list)  # dropped, found nowhere
    twice: list[str] = field(default_factory=list)  # found in processed/ or rejected/ twice
    misplaced: list[str] = field(default_factory=list)  # valid rejected, or invalid processed
    wrong_documents: list[str] = field(default_factory=list)  # not exactly FILES_PER_CASE
    journal: dict[str, int] = field(default_factory=dict)  # outcome -> jobs
    left_in_work: int = 0
    left_in_inbox: int = 0

    @property
    def ok(self) -> bool:
        """Every workbook exactly once where it belongs, documents complete, journal agreeing."""
        return (
            not (self.lost or self.twice or self.misplaced or self.wrong_documents)
            and self.left_in_work == self.left_in_inbox == 0
            and self.processed + self.rejected == self.dropped
            and self.journal.get("done", 0) == self.processed
            and self.journal.get("rejected", 0) == self.rejected
            and sum(self.journal.values()) == self.dropped
        )


# What the example makes: the report's professional and family copies (Leo did not agree to
# share his words), the story, and the receipt.
FILES_PER_CASE = 4


def audit(root: Path, dropped: dict[str, tuple[str, bool]]) -> Audit:
    """Check each dropped workbook (name -> (case reference, valid?)) against the folders."""
    processed = _visible(root / "processed")
    rejected = _visible(root / "rejected")
    result = Audit(dropped=len(dropped))
    for name, (reference, valid) in dropped.items():
        stem = name.removesuffix(".xlsx")
        here = [n for n in processed if n == name or n.startswith(f"{stem} (")]
        there = [n for n in rejected if n == name or n.startswith(f"{stem} (")]
        there = [n for n in there if n.endswith(".xlsx") and " - " not in n]
        if not here and not there:
            result.lost.append(name)
        elif len(here) + len(there) > 1:
            result.twice.append(name)
        elif bool(here) != valid:
            result.misplaced.append(name)
        result.processed += bool(here)
        result.rejected += bool(there)
        if here and len(_visible(root / "reports" / reference)) != FILES_PER_CASE:
            result.wrong_documents.append(name)
    result.journal = _journal_outcomes(sorted((root / ".sos-docs").glob("journal-*.sqlite3")))
    result.left_in_work = len(list((root / ".sos-docs" / "work").glob("*")))
    # the service's own instructions stay in the inbox; every other name is a workbook left
    result.left_in_inbox = len([n for n in _visible(root / "inbox") if n != HELP_FILE_NAME])
    return result


def _visible(folder: Path) -> list[str]:
    try:
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    except FileNotFoundError:
        return []


def _journal_outcomes(paths: list[Path]) -> dict[str, int]:
    """Jobs by outcome across every host's journal file."""
    outcomes: dict[str, int] = {}
    for path in paths:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            rows = connection.execute("SELECT outcome, COUNT(*) FROM jobs GROUP BY outcome")
            for outcome, count in rows:
                outcomes[str(outcome)] = outcomes.get(str(outcome), 0) + count
    return outcomes


# --------------------------------------------------------------------------------------------
# Runs


@dataclass
class Report:
    """One load or soak run: what was dropped, how fast it went, memory, and the audit."""

    kind: str
    dropped: int
    seconds_dropping: float
    seconds_total: float
    rate_asked: float | None
    exit_code: int
    peak_rss_mb: float
    rss_quarters_mb: list[float]  # the peak in each quarter of the samples, in order
    samples: list[tuple[float, float]]  # (seconds since start, MB)
    sockets: list[str]
    audit: Audit

    @property
    def memory_growth_mb(self) -> float:
        """Last quarter's peak over the second's: growth once warmed up (caches, templates)."""
        return round(self.rss_quarters_mb[-1] - self.rss_quarters_mb[1], 1)

    @property
    def workbooks_per_second(self) -> float:
        """Throughput over the whole run."""
        return self.dropped / self.seconds_total if self.seconds_total else 0.0

    def summary(self) -> str:
        """A few lines for a person."""
        a = self.audit
        return "\n".join(
            [
                f"{self.kind}: {self.dropped} workbooks dropped in {self.seconds_dropping:.0f} s, "
                f"all handled after {self.seconds_total:.0f} s "
                f"({self.workbooks_per_second:.2f} workbooks/s); service exit code {self.exit_code}",
                f"processed {a.processed}, rejected {a.rejected}, lost {len(a.lost)}, "
                f"twice {len(a.twice)}, misplaced {len(a.misplaced)}, "
                f"incomplete documents {len(a.wrong_documents)}, journal {a.journal}; "
                f"{'every workbook accounted for' if a.ok else 'AUDIT FAILED'}",
                f"memory (service and its worker processes): peak {self.peak_rss_mb:.0f} MB; "
                f"peak per quarter {', '.join(f'{mb:.0f}' for mb in self.rss_quarters_mb)} MB "
                f"(growth after warm-up {self.memory_growth_mb:+.0f} MB); "
                f"{len(self.samples)} samples; network sockets: {self.sockets or 'none'}",
            ]
        )


def run(
    root: Path,
    count: int | None = None,
    seconds: float | None = None,
    rate: float | None = None,
    drain_seconds: float = 1800,
) -> Report:
    """Start the service on `root`, drop `count` workbooks at once (a burst) or drop at `rate`
    per second for `seconds` (a soak), wait until all are handled, stop it, audit."""
    root.mkdir(parents=True, exist_ok=True)
    books = Workbooks.build(root.parent / f".{root.name}-books")
    (root / "inbox").mkdir(exist_ok=True)
    service = Service(root, root.parent / f"{root.name}-service.log").start()
    samples: list[tuple[float, float]] = []
    sockets: set[str] = set()
    dropped: dict[str, tuple[str, bool]] = {}
    started = time.monotonic()

    def sample() -> None:
        samples.append((round(time.monotonic() - started, 2), round(rss_mb(service.pid), 1)))
        sockets.update(inet_sockets(service.pid))

    next_sample = started
    for name, reference, data, valid in _drops(books, count, seconds, rate, started):
        drop(root / "inbox", name, data)
        dropped[name] = (reference, valid)
        if time.monotonic() >= next_sample:
            sample()
            next_sample += SAMPLE_SECONDS
    dropping = time.monotonic() - started
    deadline = time.monotonic() + drain_seconds
    while _handled(root) < len(dropped) and time.monotonic() < deadline:
        sample()
        time.sleep(SAMPLE_SECONDS)
    sample()
    total = time.monotonic() - started
    exit_code = service.stop()
    return Report(
        kind="burst" if rate is None else "soak",
        dropped=len(dropped),
        seconds_dropping=round(dropping, 1),
        seconds_total=round(total, 1),
        rate_asked=rate,
        exit_code=exit_code,
        peak_rss_mb=max(mb for _, mb in samples),
        rss_quarters_mb=_quarter_peaks([mb for _, mb in samples]),
        samples=samples,
        sockets=sorted(sockets),
        audit=audit(root, dropped),
    )


def _quarter_peaks(values: list[float]) -> list[float]:
    """The largest value in each quarter of the list (a short list repeats its values)."""
    values = values * 4 if len(values) < 4 else values
    size = len(values) / 4
    return [max(values[int(q * size) : int((q + 1) * size)]) for q in range(4)]


def _drops(
    books: Workbooks, count: int | None, seconds: float | None, rate: float | None, start: float
) -> Iterator[tuple[str, str, bytes, bool]]:
    """The workbooks to drop: `count` at once, or one every 1/rate s for `seconds`."""
    if rate is None:
        prepared = [books.numbered(n) for n in range(1, (count or 0) + 1)]
        yield from prepared  # built first, so the burst really lands at once
        return
    assert seconds is not None and rate > 0
    number = 0
    while (due := start + number / rate) < start + seconds:
        time.sleep(max(0.0, due - time.monotonic()))
        number += 1
        yield books.numbered(number)


def _handled(root: Path) -> int:
    """Workbooks in processed/ plus those in rejected/ (by their problems.txt)."""
    processed = len(_visible(root / "processed"))
    rejected = sum(n.endswith(" - problems.txt") for n in _visible(root / "rejected"))
    return processed + rejected
