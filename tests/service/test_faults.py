"""Faults injected on real folders: a full disk, a read-only reports folder, a locked or damaged
journal, a share that drops and comes back. After each: nothing lost, no half-written document
visible, and the service recovers by itself or says clearly what a person must do.

(SIGKILL at random moments is tests/service/test_watcher.py's
test_sigkill_during_a_burst_loses_nothing_and_makes_nothing_twice; a longer run of it is here
behind --run-slow.)
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docx
import pytest

from sos_docs import files
from sos_docs.config import load_config
from sos_docs.errors import DeliveryError, JournalError
from sos_docs.service import jobs
from sos_docs.service.inbox_names import HELP_FILE_NAME
from sos_docs.service.jobs import JobOutcome, resume_job, run_job, unfinished_jobs
from sos_docs.service.journal import Journal
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import LOG_FILE_NAME, service_log_files
from sos_docs.service.watcher import Watcher
from tests.support.builders import WorkbookBuilder
from tests.support.kills import kill_while_busy
from tests.support.soak import with_reference

FAST = {"settle_seconds": 0.2, "rescan_seconds": 0.5}
FAST_FLAGS = ["--settle", "0.2", "--rescan", "0.5"]
REPORT, WORDS = "Conference report", "Words and pictures"
ON_LINUX = sys.platform.startswith("linux")


# --------------------------------------------------------------------------------------------
# Helpers shared with test_load.py and test_security.py


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid workbook (the example), as bytes."""
    return WorkbookBuilder().write(tmp_path_factory.mktemp("book") / "case.xlsx").read_bytes()


def make_root(folder: Path, **settings: Any) -> WatchedRoot:
    """A prepared watched folder with fast settle and rescan times."""
    root = WatchedRoot(folder, load_config(None, None, {**FAST, **settings}))
    root.prepare()
    return root


def drop(folder: Path, name: str, data: bytes) -> Path:
    """Put a file into a folder whole, the way a copy finishing with a rename does."""
    staging = folder.parent / f".staging-{name}"
    staging.write_bytes(data)
    return staging.rename(folder / name)


def wait_for(condition: Callable[[], bool], timeout: float, what: str, root: WatchedRoot) -> None:
    """Poll until the condition holds; fail after `timeout` seconds, showing the service log."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = root.state / LOG_FILE_NAME
            shown = log.read_text(errors="replace") if log.exists() else "(no log)"
            raise AssertionError(f"timed out waiting for {what}\n--- service log ---\n{shown}")
        time.sleep(0.05)


@contextmanager
def watching(*roots: WatchedRoot, **options: Any) -> Iterator[Watcher]:
    """A Watcher running in a thread, logging to each root's log file, stopped afterwards."""
    running = Watcher(list(roots), **options)
    thread = threading.Thread(target=running.run, daemon=True)
    with service_log_files([(root.path, root.state) for root in roots]):
        thread.start()
        try:
            yield running
        finally:
            running.stop()
            thread.join(60)
    assert not thread.is_alive(), "the watcher did not stop"


def service(root: Path, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    """`python -m sos_docs watch ROOT` as a real separate process."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "sos_docs", "watch", str(root), *FAST_FLAGS, *flags],
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def names_in(folder: Path) -> list[str]:
    """The names of the non-hidden entries directly in a folder, sorted."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def service_log(root: WatchedRoot) -> str:
    """The root's service log file."""
    path = root.state / LOG_FILE_NAME
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def assert_nothing_half_written(root: WatchedRoot) -> None:
    """Every visible document opens whole, and no temporary file is left where staff look."""
    for folder in (root.reports, root.processed, root.rejected, root.inbox):
        leftovers = [p for p in folder.rglob("*") if p.name.startswith(".") and p.is_file()]
        assert leftovers == [], leftovers
    for document in root.reports.rglob("*.docx"):
        assert docx.Document(str(document)).paragraphs, document


def print_figures(test: str, **figures: object) -> None:
    """One line of what a run did, for docs/reliability.md (shown with `pytest -s`)."""
    print(f"figures {test}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))


def assert_documents_once(root: WatchedRoot, reference: str, stem: str) -> None:
    """The report's professional and family copies (the example's Leo did not agree to share
    his words), one words and pictures and one receipt for the case, nothing more."""
    names = names_in(root.reports / reference)
    assert len(names) == 4, names
    assert sum(f"{REPORT} (professional copy)" in n for n in names) == 1, names
    assert sum(f"{REPORT} (family copy)" in n for n in names) == 1, names
    assert sum(WORDS in n for n in names) == 1, names
    assert f"{stem} - receipt.txt" in names, names


def journal_outcomes(root: WatchedRoot) -> list[str | None]:
    """The outcome of every job in the root's journal."""
    with Journal(root.journal_path, root=root.path) as journal:
        return [job.outcome for job in journal.recent(100_000)]


def assert_finished_once(root: WatchedRoot, names: dict[str, str]) -> None:
    """Each workbook (name -> case reference) processed exactly once, and nothing left over."""
    assert names_in(root.processed) == sorted(names)
    for name, reference in names.items():
        assert_documents_once(root, reference, Path(name).stem)
    # nothing left but the instructions the real service (`sos-docs watch`) keeps in the inbox
    assert [n for n in names_in(root.inbox) if n != HELP_FILE_NAME] == []
    assert unfinished_jobs(root) == []
    assert journal_outcomes(root) == ["done"] * len(names)
    assert_nothing_half_written(root)


# --------------------------------------------------------------------------------------------
# A full disk, injected at the write call


class WriteFaults:
    """os.write and os.fsync on files under `folder` fail with an OS error at chosen calls.

    Calls are counted from 1 across both functions; `failing=True` fails every call instead.
    File descriptors are matched to paths through /proc/self/fd (Linux).
    """

    def __init__(
        self, folder: Path, fail_at: frozenset[int] = frozenset(), code: int = errno.ENOSPC
    ) -> None:
        self.folder = str(folder.resolve())
        self.fail_at = fail_at
        self.code = code
        self.failing = False
        self.calls = 0
        self.failed: list[tuple[Path, bool]] = []  # each failed call's file, and if a folder
        self._write, self._fsync = os.write, os.fsync
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> WriteFaults:
        monkeypatch.setattr(os, "write", self.write)
        monkeypatch.setattr(os, "fsync", self.fsync)
        return self

    def write(self, fd: int, data: Any) -> int:
        self._maybe_fail(fd)
        return self._write(fd, data)

    def fsync(self, fd: Any) -> None:
        self._maybe_fail(fd if isinstance(fd, int) else fd.fileno())
        self._fsync(fd)

    def _maybe_fail(self, fd: int) -> None:
        try:
            target = Path(f"/proc/self/fd/{fd}").readlink()
        except OSError:
            return
        if not str(target).startswith(self.folder):
            return
        with self._lock:
            self.calls += 1
            fail = self.failing or self.calls in self.fail_at
            if fail:
                self.failed.append((target, target.is_dir()))
        if fail:
            raise OSError(self.code, os.strerror(self.code))


def count_write_calls(root: WatchedRoot, workbook: bytes, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many write and fsync calls one clean job makes under the root."""
    counter = WriteFaults(root.path).install(monkeypatch)
    drop(root.inbox, "case.xlsx", workbook)
    assert run_job(root, root.inbox / "case.xlsx").outcome is JobOutcome.PROCESSED
    monkeypatch.undo()
    return counter.calls


@pytest.mark.skipif(not ON_LINUX, reason="matches files to descriptors through /proc")
def test_a_full_disk_at_each_write_of_a_job_loses_nothing_and_is_finished_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbook_bytes: bytes
) -> None:
    """ENOSPC at each write and fsync call of a job in turn: the workbook waits whole, no half
    document shows, the reason says the disk is full, and the retry finishes exactly once."""
    calls = count_write_calls(make_root(tmp_path / "count"), workbook_bytes, monkeypatch)
    assert calls >= 8, "a job writes at least its staged files, plan, documents and receipt"
    waited = 0
    for call in range(1, calls + 1):
        root = make_root(tmp_path / f"fault-{call}")
        drop(root.inbox, "case.xlsx", workbook_bytes)
        faults = WriteFaults(root.path, frozenset({call})).install(monkeypatch)
        first = run_job(root, root.inbox / "case.xlsx")
        monkeypatch.undo()
        ((failed, is_folder),) = faults.failed
        assert_nothing_half_written(root)
        if is_folder:  # flushing a folder entry is best effort: the rename stands
            assert first.outcome is JobOutcome.PROCESSED
        else:
            assert first.outcome is JobOutcome.WAITING, failed
            waited += 1
            assert "the disk is full" in first.reason
            assert names_in(root.inbox) == [] and names_in(root.processed) == []
            (folder,) = unfinished_jobs(root)
            assert resume_job(root, folder).outcome is JobOutcome.PROCESSED
        assert_finished_once(root, {"case.xlsx": "CP-2026-0412"})
    print_figures(
        "enospc-each-write", injected=calls, job_waited=waited, folder_flush=calls - waited
    )


@pytest.mark.skipif(not ON_LINUX, reason="matches files to descriptors through /proc")
def test_a_service_on_a_full_disk_keeps_every_workbook_and_catches_up_when_space_is_freed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbook_bytes: bytes
) -> None:
    """A running service whose every write fails: workbooks wait in the work area, the log says
    what to do, and once space is back each is finished exactly once without a restart."""
    root = make_root(tmp_path / "root")
    faults = WriteFaults(root.path).install(monkeypatch)
    faults.failing = True
    names = {f"case-{n}.xlsx": f"CP-{n}" for n in range(4)}
    with watching(root) as running:
        for name, reference in names.items():
            drop(root.inbox, name, with_reference(workbook_bytes, reference))
        wait_for(lambda: running.summary.waiting >= 8, 60, "two failed rounds", root)
        assert names_in(root.inbox) == [] and names_in(root.processed) == []
        assert list(root.reports.rglob("*.docx")) == []
        assert len(unfinished_jobs(root)) == len(names)
        faults.failing = False
        wait_for(lambda: running.summary.processed == len(names), 60, "the catch-up", root)
        wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
    assert "the disk is full. Free some space on it" in service_log(root)
    assert_finished_once(root, names)
    print_figures(
        "enospc-service",
        workbooks=len(names),
        failed_writes=len(faults.failed),
        job_attempts_kept_waiting=running.summary.waiting,
    )


# --------------------------------------------------------------------------------------------
# A real full disk: a small tmpfs


@contextmanager
def mounted(folder: Path, *options: str) -> Iterator[Path]:
    """A small tmpfs mounted at `folder` for the block; skips the test where mounting is denied."""
    folder.mkdir(parents=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected ENOSPC test covers this here")
    command = ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not allowed here: {result.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a filler file until the disk holding `folder` is full."""
    filler = folder / "filler.bin"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(chunk)
    with filler.open("ab", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0")
    return filler


@pytest.mark.skipif(not ON_LINUX, reason="tmpfs is Linux")
def test_a_really_full_disk_keeps_workbooks_and_recovers_when_space_is_freed(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """On a tmpfs filled to the last byte (journal and log included) the service keeps each
    workbook and writes nothing half; freeing the space lets it finish each exactly once."""
    with mounted(tmp_path / "share", "size=4m", "mode=0755") as share:
        root = make_root(share / "root")
        names = {f"case-{n}.xlsx": f"CP-{n}" for n in range(3)}
        for name, reference in names.items():
            drop(root.inbox, name, with_reference(workbook_bytes, reference))
        filler = fill(share)
        with watching(root) as running:
            wait_for(lambda: running.summary.waiting >= 6, 90, "two failed rounds", root)
            assert len(names_in(root.inbox)) + len(unfinished_jobs(root)) == len(names)
            assert names_in(root.processed) == [] and names_in(root.rejected) == []
            assert_nothing_half_written(root)
            filler.unlink()
            wait_for(lambda: running.summary.processed == len(names), 90, "the catch-up", root)
            wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
        assert_finished_once(root, names)
        print_figures(
            "tmpfs-full", workbooks=len(names), job_attempts_kept_waiting=running.summary.waiting
        )


# --------------------------------------------------------------------------------------------
# The reports folder loses write permission


@contextmanager
def read_only(folder: Path) -> Iterator[str]:
    """Make `folder` unwritable for this process: mode 0o500, or for root a read-only bind
    mount (root ignores modes). Yields how, for the assertion on the advice given."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield "permission denied"
        finally:
            folder.chmod(0o755)
        return
    bind = subprocess.run(
        ["mount", "--bind", str(folder), str(folder)], capture_output=True, check=False
    )
    if bind.returncode != 0:
        pytest.skip("running as root, and a read-only bind mount is not allowed here")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield "the disk is read-only"
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.skipif(not ON_LINUX, reason="bind mounts and modes as on the Linux server")
def test_reports_losing_write_permission_keep_workbooks_until_it_is_given_back(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """With reports/ unwritable, workbooks wait (never rejected), the log names the folder and
    what IT must do, and they finish once write permission is back."""
    root = make_root(tmp_path / "root")
    names = {f"case-{n}.xlsx": f"CP-{n}" for n in range(3)}
    with watching(root) as running:
        with read_only(root.reports) as advice:
            for name, reference in names.items():
                drop(root.inbox, name, with_reference(workbook_bytes, reference))
            wait_for(lambda: running.summary.waiting >= 6, 60, "two failed rounds", root)
            assert names_in(root.processed) == [] and names_in(root.rejected) == []
            assert len(unfinished_jobs(root)) == len(names)
        wait_for(lambda: running.summary.processed == len(names), 60, "the catch-up", root)
        wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
    log = service_log(root)
    assert advice in log and str(root.reports) in log
    assert_finished_once(root, names)
    print_figures(
        "reports-read-only",
        how=advice,
        workbooks=len(names),
        job_attempts_kept_waiting=running.summary.waiting,
    )


# --------------------------------------------------------------------------------------------
# The journal: locked by another process, or damaged

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


@contextmanager
def journal_locked_elsewhere(journal: Path) -> Iterator[None]:
    """Another process holds an exclusive lock on the journal for the block."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(journal)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(10)


def test_a_journal_locked_by_another_process_delays_jobs_without_losing_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbook_bytes: bytes
) -> None:
    """While another process holds the journal, jobs wait (the log says who to check); when it
    lets go they finish exactly once, with no restart."""
    monkeypatch.setattr(jobs, "Journal", functools.partial(Journal, busy_timeout=0.5))
    root = make_root(tmp_path / "root")
    names = {f"case-{n}.xlsx": f"CP-{n}" for n in range(3)}
    with watching(root) as running:
        with journal_locked_elsewhere(root.journal_path):
            for name, reference in names.items():
                drop(root.inbox, name, with_reference(workbook_bytes, reference))
            wait_for(lambda: running.summary.waiting >= 6, 60, "two failed rounds", root)
            assert names_in(root.inbox) == [] and names_in(root.processed) == []
            assert len(unfinished_jobs(root)) == len(names)
        wait_for(lambda: running.summary.processed == len(names), 60, "the catch-up", root)
        wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
    assert "is locked by another process" in service_log(root)
    assert_finished_once(root, names)
    print_figures(
        "journal-locked", workbooks=len(names), job_attempts_kept_waiting=running.summary.waiting
    )


def damage(journal: Path) -> None:
    """Overwrite the journal's header and first pages with garbage, as a bad disk might."""
    with journal.open("r+b") as handle:
        handle.write(b"this is not an SQLite database" * 300)


def test_a_damaged_journal_stops_the_service_with_what_to_do_and_loses_nothing(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """`watch` refuses a root whose journal is damaged, saying to move it aside; the workbook
    stays in the inbox; once moved aside the next start processes it."""
    root = make_root(tmp_path / "root")
    damage(root.journal_path)
    drop(root.inbox, "case.xlsx", workbook_bytes)
    log = tmp_path / "service.log"
    assert service(root.path, log, "--once").wait(60) == 1
    said = log.read_text()
    assert "damaged" in said and "move it aside" in said, said
    assert "Traceback" not in said
    assert names_in(root.inbox) == ["case.xlsx"]
    for path in root.state.glob(root.journal_path.name + "*"):  # the database and its -wal, -shm
        path.rename(path.with_name("damaged-" + path.name))
    assert service(root.path, log, "--once").wait(60) == 0, log.read_text()
    assert_finished_once(root, {"case.xlsx": "CP-2026-0412"})


def test_a_journal_damaged_while_the_service_runs_keeps_jobs_until_it_is_moved_aside(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """Damage mid-run: jobs wait with the log saying to move the journal aside; once a person
    does, the running service creates a new journal and finishes them, no restart needed."""
    root = make_root(tmp_path / "root")
    with watching(root) as running:
        drop(root.inbox, "first.xlsx", with_reference(workbook_bytes, "CP-1"))
        wait_for(lambda: running.summary.processed == 1, 60, "the first job", root)
        damage(root.journal_path)
        drop(root.inbox, "second.xlsx", with_reference(workbook_bytes, "CP-2"))
        wait_for(lambda: running.summary.waiting >= 2, 60, "two failed rounds", root)
        assert names_in(root.processed) == ["first.xlsx"] and len(unfinished_jobs(root)) == 1
        for path in root.state.glob(root.journal_path.name + "*"):
            path.rename(path.with_name("damaged-" + path.name))
        wait_for(lambda: running.summary.processed == 2, 60, "the second job", root)
        wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
    assert "damaged: move it aside" in service_log(root)
    assert names_in(root.processed) == ["first.xlsx", "second.xlsx"]
    assert_documents_once(root, "CP-1", "first")
    assert_documents_once(root, "CP-2", "second")
    print_figures(
        "journal-damaged-mid-run", workbooks=2, job_attempts_kept_waiting=running.summary.waiting
    )
    assert journal_outcomes(root) == ["done"]  # the new journal knows the second job only
    assert_nothing_half_written(root)


# --------------------------------------------------------------------------------------------
# The share drops and comes back


def test_writes_never_recreate_a_folder_of_a_share_that_has_dropped(tmp_path: Path) -> None:
    """With `within`, a missing reports/ (an unmounted share) is an error naming the folder and
    the share, and nothing is created; an existing one gets the case folders it needs."""
    reports = tmp_path / "root" / "reports"
    with pytest.raises(DeliveryError, match=r"is not there\. If it is on a network share"):
        files.write_new_file(reports / "CP-1" / "a.docx", b"data", within=reports)
    with pytest.raises(DeliveryError, match="check that the share is connected"):
        files.move_without_overwrite(drop(tmp_path, "x.xlsx", b"x"), reports, within=reports)
    assert not (tmp_path / "root").exists()
    assert (tmp_path / "x.xlsx").read_bytes() == b"x"
    reports.mkdir(parents=True)
    written = files.write_new_file(reports / "CP-1" / "Conference" / "a.docx", b"d", within=reports)
    assert written.read_bytes() == b"d"
    assert files.move_without_overwrite(tmp_path / "x.xlsx", reports, within=reports).exists()


def test_a_journal_that_may_not_create_its_folder_says_to_check_it(tmp_path: Path) -> None:
    """A service's journal whose folder is gone is a JournalError, not a new empty journal."""
    path = tmp_path / "root" / ".sos-docs" / "journal.sqlite3"
    with pytest.raises(JournalError, match="Check that the folder exists"):
        Journal(path, create_folder=False)
    assert not (tmp_path / "root").exists()


def test_a_share_that_vanishes_during_a_burst_and_comes_back_loses_nothing(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """The whole watched folder vanishes for three seconds in the middle of a burst; nothing is
    re-created in its place meanwhile, and once it is back every workbook ends exactly once."""
    root = make_root(tmp_path / "root")
    away = tmp_path / "root-away"
    names = {f"case-{n:02d}.xlsx": f"CP-{n:02d}" for n in range(12)}
    with watching(root) as running:
        for name, reference in names.items():
            drop(root.inbox, name, with_reference(workbook_bytes, reference))
        wait_for(lambda: running.summary.processed >= 2, 60, "the burst to start", root)
        root.path.rename(away)
        time.sleep(3)
        assert not root.path.exists(), sorted(map(str, root.path.rglob("*")))
        away.rename(root.path)
        wait_for(lambda: len(names_in(root.processed)) == len(names), 120, "every workbook", root)
        wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
    assert "cannot be read" in service_log(root)
    assert_finished_once(root, names)
    print_figures(
        "share-vanishes", workbooks=len(names), job_attempts_kept_waiting=running.summary.waiting
    )


@contextmanager
def bind_mounted(source: Path, mount_point: Path) -> Iterator[Callable[[bool], None]]:
    """`source` mounted at `mount_point` (as a share is); yields a switch to unmount (False)
    and mount again (True). Skips the test where mounting is not allowed."""
    if os.geteuid() != 0:
        pytest.skip("mounting needs root; the vanishing-folder test covers this here")

    def mount(on: bool) -> None:
        command = (
            ["mount", "--bind", str(source), str(mount_point)]
            if on
            else ["umount", "-l", str(mount_point)]
        )
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"{command[0]} is not allowed here: {result.stderr.strip()}")

    mount(True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


@pytest.mark.skipif(not ON_LINUX, reason="bind mounts as on the Linux server")
def test_a_share_unmounted_under_the_service_leaves_nothing_on_the_local_disk(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """A share unmounted mid-burst leaves its empty mount point: the service writes nothing
    there (no reports, journal or job files on the server's own disk), and when the share is
    mounted again every workbook ends exactly once."""
    share, mount_point = tmp_path / "share", tmp_path / "mnt"
    share.mkdir()
    mount_point.mkdir()
    with bind_mounted(share, mount_point) as mount:
        root = make_root(mount_point / "root")
        names = {f"case-{n:02d}.xlsx": f"CP-{n:02d}" for n in range(12)}
        with watching(root) as running:
            for name, reference in names.items():
                drop(root.inbox, name, with_reference(workbook_bytes, reference))
            wait_for(lambda: running.summary.processed >= 2, 60, "the burst to start", root)
            mount(False)
            time.sleep(3)
            assert list(mount_point.iterdir()) == []  # the server's own disk, under the share
            mount(True)
            wait_for(
                lambda: len(names_in(root.processed)) == len(names), 120, "every workbook", root
            )
            wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", root)
        assert_finished_once(root, names)
        print_figures(
            "share-unmounted",
            workbooks=len(names),
            job_attempts_kept_waiting=running.summary.waiting,
        )


KILLED_AT_LINK = """
import os, signal, sys
from pathlib import Path
from sos_docs.service import jobs
from sos_docs.service.layout import WatchedRoot
from sos_docs.config import load_config

real_link = os.link
def link_then_die(src, dst, *args, **kwargs):
    if "/reports/" in str(dst):
        os.kill(os.getpid(), signal.SIGKILL)  # the temporary file is whole, not yet in place
    return real_link(src, dst, *args, **kwargs)
os.link = link_then_die
root = WatchedRoot(Path(sys.argv[1]), load_config(None, None, {}))
jobs.run_job(root, root.inbox / "case.xlsx")
"""


def test_a_kill_while_placing_a_document_leaves_no_temporary_file_behind(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """Killed with a document's hidden temporary file written but not yet in place: the next
    run of the job removes it, and the documents appear exactly once."""
    root = make_root(tmp_path / "root")
    drop(root.inbox, "case.xlsx", workbook_bytes)
    killed = subprocess.run([sys.executable, "-c", KILLED_AT_LINK, str(root.path)], check=False)
    assert killed.returncode == -signal.SIGKILL
    (leftover,) = list(root.reports.rglob(".*.tmp"))
    (folder,) = unfinished_jobs(root)
    assert folder.name in leftover.name  # it names its job, so only that job removes it
    assert resume_job(root, folder).outcome is JobOutcome.PROCESSED
    assert_finished_once(root, {"case.xlsx": "CP-2026-0412"})


# --------------------------------------------------------------------------------------------
# SIGKILL at random moments, long run


@pytest.mark.slow
def test_sigkill_twenty_times_during_two_hundred_workbooks_loses_nothing(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """200 workbooks, the service killed 20 times at random and restarted: each ends once."""
    root_path, log = tmp_path / "root", tmp_path / "service.log"
    root = make_root(root_path)
    names = {f"case-{n:03d}.xlsx": f"CP-{n:03d}" for n in range(200)}
    for name, reference in names.items():
        drop(root.inbox, name, with_reference(workbook_bytes, reference))
    chance = random.Random(20261128)
    for _ in range(20):
        kill_while_busy(service(root_path, log), root.inbox, chance)
    assert service(root_path, log, "--once").wait(600) == 0, log.read_text()[-5000:]
    assert_finished_once(root, names)
    assert log.read_text().count("Taking up the job") >= 10, "most kills should land in a job"
    print_figures(
        "sigkill",
        workbooks=len(names),
        kills=20,
        resumed=log.read_text().count("Taking up the job"),
    )
