"""Tests for sos_docs.service.watcher and `sos-docs watch`: real folders, real watcher threads and processes."""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from watchdog.observers.polling import PollingObserver

from sos_docs import files, pipeline
from sos_docs.cli import cli
from sos_docs.config import load_config
from sos_docs.service import inbox, jobs, observers, run
from sos_docs.service.inbox_names import HELP_FILE_NAME
from sos_docs.service.jobs import unfinished_jobs
from sos_docs.service.journal import Journal
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.watcher import DEFAULT_WORKERS, QUEUE_SLOTS_PER_WORKER, Watcher
from tests.support import ending
from tests.support.builders import WorkbookBuilder
from tests.support.kills import kill_while_busy

FAST = {"settle_seconds": 0.2, "rescan_seconds": 0.5}
FAST_FLAGS = ["--settle", "0.2", "--rescan", "0.5"]
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048)
REPORT, WORDS = "Conference report", "Words and pictures"


# --------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bytes]:
    """The bytes of a valid workbook for a case reference, built once per reference."""
    folder = tmp_path_factory.mktemp("books")
    cache: dict[str, bytes] = {}

    def make(reference: str) -> bytes:
        if reference not in cache:
            book = WorkbookBuilder().set_case("Case reference", reference)
            cache[reference] = book.write(folder / f"{reference}.xlsx").read_bytes()
        return cache[reference]

    return make


@pytest.fixture(scope="module")
def invalid_workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The bytes of a workbook whose meeting type is not allowed (rule WB006)."""
    book = WorkbookBuilder().set_case("Meeting type", "Tea party")
    return book.write(tmp_path_factory.mktemp("bad") / "bad.xlsx").read_bytes()


def make_root(tmp_path: Path, name: str = "root", **settings: Any) -> WatchedRoot:
    """A prepared watched folder with fast settle and rescan times."""
    root = WatchedRoot(tmp_path / name, load_config(None, None, {**FAST, **settings}))
    root.prepare()
    return root


def drop(folder: Path, name: str, data: bytes) -> Path:
    """Put a file into a folder whole, the way a copy finishing with a rename does."""
    staging = folder.parent / f".staging-{name}"
    staging.write_bytes(data)
    return staging.rename(folder / name)


def wait_for(
    condition: Callable[[], bool],
    timeout: float = 30.0,
    what: str = "",
    log: Path | None = None,
) -> None:
    """Poll until the condition holds; fail after `timeout` seconds, showing the service log."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            shown = f"\n--- service log ---\n{log.read_text()}" if log else ""
            raise AssertionError(f"timed out waiting for {what or condition}{shown}")
        time.sleep(0.05)


@contextmanager
def watching(*roots: WatchedRoot, **options: Any) -> Iterator[Watcher]:
    """A Watcher running in a thread for the block, stopped and joined afterwards."""
    running = Watcher(list(roots), **options)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stop()
        thread.join(30)
        assert not thread.is_alive(), "the watcher did not stop"


def service(root: Path, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    """`python -m sos_docs watch ROOT` as a real separate process."""
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "sos_docs", "watch", str(root), *FAST_FLAGS, *flags],
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def visible_files(folder: Path) -> list[Path]:
    """Every non-hidden file under a folder (files.py's temporary files are hidden)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def names_in(folder: Path) -> list[str]:
    """The names of the non-hidden files directly in a folder, sorted."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def assert_documents_once(root: WatchedRoot, reference: str, stem: str) -> None:
    """The report's professional and family copies (the example's Leo did not agree to share
    his words), one words and pictures and one receipt for the case, nothing more."""
    names = [p.name for p in visible_files(root.reports / reference)]
    assert len(names) == 4, names
    assert sum(f"{REPORT} (professional copy)" in n for n in names) == 1, names
    assert sum(f"{REPORT} (family copy)" in n for n in names) == 1, names
    assert sum(WORDS in n for n in names) == 1, names
    assert f"{stem} - receipt.txt" in names, names


def journal_jobs(root: WatchedRoot) -> list[Any]:
    """Every job in the root's journal."""
    with Journal(root.journal_path, root=root.path) as journal:
        return journal.recent(10_000)


class DeafObserver(PollingObserver):
    """An observer that never delivers an event, like a network share."""

    def schedule(self, *args: Any, **kwargs: Any) -> None:
        return None


# --------------------------------------------------------------------------------------------
# Settling: never read a half-written file


def write_slowly(path: Path, data: bytes, seconds: float, *, reopen: bool) -> None:
    """Write data in ten chunks over `seconds`, reopening the file per chunk or holding it."""
    chunks = [data[i : i + len(data) // 10 + 1] for i in range(0, len(data), len(data) // 10 + 1)]
    pause = seconds / len(chunks)
    if reopen:  # each chunk ends with a close event, as some copy tools and shares do
        for chunk in chunks:
            with path.open("ab") as handle:
                handle.write(chunk)
            time.sleep(pause)
        return
    with path.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            handle.flush()
            time.sleep(pause)


@pytest.mark.parametrize("reopen", [False, True], ids=["one-handle", "reopen-per-chunk"])
def test_a_slow_copy_is_never_read_before_it_is_complete(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workbooks: Callable[[str], bytes],
    reopen: bool,
) -> None:
    """A workbook written in chunks over 3 s, pausing longer than the settle time, is taken whole."""
    root = make_root(tmp_path)
    data = workbooks("CP-SLOW")
    claimed: list[bytes] = []
    real_claim = files.claim

    def recording_claim(src: Path, work_dir: Path, job_id: str) -> Path | None:
        claimed.append(src.read_bytes())
        return real_claim(src, work_dir, job_id)

    monkeypatch.setattr(files, "claim", recording_claim)
    with watching(root):
        write_slowly(root.inbox / "slow.xlsx", data, 3.0, reopen=reopen)
        wait_for(lambda: (root.processed / "slow.xlsx").exists(), what="slow.xlsx processed")
    assert claimed == [data]
    assert_documents_once(root, "CP-SLOW", "slow")


def test_watch_once_waits_for_a_file_still_being_copied(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """`watch --once` started while a workbook is half copied waits for it, then exits 0."""
    root = make_root(tmp_path)
    writer = threading.Thread(
        target=write_slowly,
        args=(root.inbox / "slow.xlsx", workbooks("CP-ONCE"), 3.0),
        kwargs={"reopen": False},
    )
    writer.start()
    try:
        wait_for(lambda: (root.inbox / "slow.xlsx").exists(), what="the copy to start")
        result = subprocess.run(
            [sys.executable, "-m", "sos_docs", "watch", str(root.path), "--once", *FAST_FLAGS],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        writer.join()
    assert result.returncode == 0, result.stdout + result.stderr
    assert_documents_once(root, "CP-ONCE", "slow")


def test_an_empty_or_broken_off_file_waits_then_is_rejected_as_damaged(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """Files that never become whole are held for the grace time, then explained, never dropped."""
    root = make_root(tmp_path)
    data = workbooks("CP-1")
    with watching(root, incomplete_grace=2.5):
        drop(root.inbox, "empty.xlsx", b"")
        drop(root.inbox, "broken.xlsx", data[: len(data) // 2])
        drop(root.inbox, "good.xlsx", data)
        wait_for(lambda: (root.processed / "good.xlsx").exists(), what="good.xlsx")
        assert {"empty.xlsx", "broken.xlsx"} <= set(names_in(root.inbox))
        wait_for(lambda: names_in(root.inbox) == [], what="the grace time to pass")
        wait_for(lambda: (root.rejected / "broken - problems.txt").exists())
    assert (root.rejected / "empty.xlsx").read_bytes() == b""
    assert "empty" in (root.rejected / "empty - problems.txt").read_text("utf-8-sig")
    assert "(WB001)" in (root.rejected / "broken - problems.txt").read_text("utf-8-sig")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="close events come from inotify")
def test_a_writers_close_event_shortens_the_settle_wait(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """With a 10 s settle time, a workbook written and closed in place is taken at once."""
    root = make_root(tmp_path, settle_seconds=10.0)
    with watching(root):
        time.sleep(0.3)
        started = time.monotonic()
        (root.inbox / "case.xlsx").write_bytes(workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
    assert time.monotonic() - started < 5.0


def taken_because(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    """The reasons the watcher logged for taking `name` from the inbox."""
    prefix = f'Taking "{name}": '
    return [
        r.getMessage()[len(prefix) :].rstrip(".")
        for r in caplog.records
        if r.getMessage().startswith(prefix)
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="rename events from inotify")
@pytest.mark.parametrize("source", ["outside the inbox", "a temporary name in the inbox"])
def test_a_workbook_renamed_into_the_inbox_is_taken_without_settling(
    tmp_path: Path,
    workbooks: Callable[[str], bytes],
    caplog: pytest.LogCaptureFixture,
    source: str,
) -> None:
    """With a 60 s settle time, a workbook written elsewhere and renamed in is taken at once,
    and the log says it was taken because it was renamed in."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.watcher")
    root = make_root(tmp_path, settle_seconds=60.0)
    staging = root.path / "written-here.xlsx"
    if source != "outside the inbox":
        staging = root.inbox / "case.xlsx.tmp"  # ignored by name until renamed
    staging.write_bytes(workbooks("CP-1"))
    with watching(root):
        time.sleep(0.3)
        staging.rename(root.inbox / "case.xlsx")
        wait_for(lambda: (root.processed / "case.xlsx").exists(), timeout=20, what="case.xlsx")
    assert taken_because(caplog, "case.xlsx") == ["renamed into the inbox"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="rename events from inotify")
def test_a_half_written_workbook_renamed_in_is_still_refused_until_whole(
    tmp_path: Path, workbooks: Callable[[str], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """A rename does not skip the whole-zip check: a half file renamed in waits, and is taken
    only once its writer has finished it, then settled."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.watcher")
    root = make_root(tmp_path, settle_seconds=0.5)
    data = workbooks("CP-1")
    staging = root.path / "half.xlsx"
    staging.write_bytes(data[: len(data) // 2])
    with watching(root, incomplete_grace=60.0):
        time.sleep(0.3)
        staging.rename(root.inbox / "case.xlsx")
        time.sleep(1.5)  # three settle times: it would have been taken by now if whole
        assert names_in(root.inbox) == ["case.xlsx"]
        with (root.inbox / "case.xlsx").open("ab") as handle:
            handle.write(data[len(data) // 2 :])
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
    assert (root.processed / "case.xlsx").read_bytes() == data
    assert taken_because(caplog, "case.xlsx") == ["closed by its writer"]


def test_a_workbook_found_at_start_and_last_changed_long_ago_is_taken_without_settling(
    tmp_path: Path,
    workbooks: Callable[[str], bytes],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a 60 s settle time and the clock two minutes on, a workbook already in the inbox at
    start is taken at once; the log says why."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.watcher")
    root = make_root(tmp_path, settle_seconds=60.0)
    (root.inbox / "case.xlsx").write_bytes(workbooks("CP-1"))
    monkeypatch.setattr(inbox, "wall_clock", lambda: time.time() + 120)
    with watching(root):
        wait_for(lambda: (root.processed / "case.xlsx").exists(), timeout=20, what="case.xlsx")
    assert taken_because(caplog, "case.xlsx") == [
        "in the inbox at start, last changed before the settle time"
    ]


def test_a_workbook_found_at_start_but_changed_moments_ago_still_settles(
    tmp_path: Path, workbooks: Callable[[str], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """A workbook written just before the service starts waits the settle time as before."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.watcher")
    root = make_root(tmp_path, settle_seconds=1.0)
    (root.inbox / "case.xlsx").write_bytes(workbooks("CP-1"))
    with watching(root):
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
    assert taken_because(caplog, "case.xlsx") == ["unchanged for the settle time"]


def test_files_held_back_by_a_full_queue_are_warned_about_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Incomplete files waiting for a queue slot get one warning each, not one per tick."""
    caplog.set_level(logging.INFO, logger="sos_docs")
    root = make_root(tmp_path)
    names = [f"empty-{n}.xlsx" for n in range(6)]
    for name in names:
        drop(root.inbox, name, b"")
    with watching(root, workers=1, incomplete_grace=0.5) as running:
        wait_for(lambda: running.summary.rejected == len(names), what="all rejected")
    warnings = [r.getMessage() for r in caplog.records if "not become a whole" in r.getMessage()]
    assert sorted(warnings) == sorted(
        f'Taking "{name}" although it has not become a whole workbook in 0.5 s.' for name in names
    )


def test_lock_hidden_and_temporary_files_are_ignored_and_xls_is_rejected(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """Lock, hidden and temporary files stay; an .xls comes back with how to save it as .xlsx."""
    root = make_root(tmp_path)
    ignored = ["~$case.xlsx", ".~lock.case.xlsx#", ".hidden.xlsx", "case.xlsx.tmp", "0A1B2C3D"]
    for name in ignored:
        (root.inbox / name).write_bytes(workbooks("CP-1"))
    (root.inbox / "folder.xlsx").mkdir()
    with watching(root):
        drop(root.inbox, "old.xls", OLE2)
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
        wait_for(lambda: (root.rejected / "old - problems.txt").exists(), what="old.xls")
        time.sleep(3 * FAST["rescan_seconds"])  # several full listings pass them by
    assert sorted(p.name for p in root.inbox.iterdir()) == sorted([*ignored, "folder.xlsx"])
    text = (root.rejected / "old - problems.txt").read_text("utf-8-sig")
    assert "Excel 97-2003" in text and "Save As" in text
    assert (root.rejected / "old.xls").read_bytes() == OLE2
    assert (root.rejected / "folder.xlsx - problems.txt").is_file()  # left, but explained


# --------------------------------------------------------------------------------------------
# Events are a hint, the listing is the truth


def test_polling_processes_files_where_no_events_are_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbooks: Callable[[str], bytes]
) -> None:
    """With native events lost and no rescan due, only `--polling` finds a new file."""
    monkeypatch.setattr(observers, "Observer", DeafObserver)
    deaf = make_root(tmp_path, "deaf", rescan_seconds=3600.0)
    with watching(deaf):
        time.sleep(0.3)  # past the first listing
        drop(deaf.inbox, "case.xlsx", workbooks("CP-1"))
        time.sleep(2.0)
        assert names_in(deaf.inbox) == ["case.xlsx"]  # the control: nothing heard it
    polled = make_root(tmp_path, "polled", rescan_seconds=3600.0, polling=True)
    with watching(polled):
        time.sleep(0.3)
        drop(polled.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (polled.processed / "case.xlsx").exists(), what="polling to find it")


def test_the_rescan_finds_files_whose_events_were_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbooks: Callable[[str], bytes]
) -> None:
    """Without any event, the regular full listing still processes a new file."""
    monkeypatch.setattr(observers, "Observer", DeafObserver)
    root = make_root(tmp_path)
    with watching(root):
        time.sleep(0.3)
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="the rescan")


class RefusingObserver(PollingObserver):
    """An observer the system will not give a watch (inotify's watch limit reached)."""

    def schedule(self, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "inotify watch limit reached")


def test_an_observer_that_cannot_start_is_logged_once_and_the_listing_carries_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    workbooks: Callable[[str], bytes],
) -> None:
    """Without file events at all, one warning is logged and files are still processed."""
    caplog.set_level(logging.INFO, logger="sos_docs")
    monkeypatch.setattr(observers, "Observer", RefusingObserver)
    root = make_root(tmp_path)
    with watching(root):
        time.sleep(4 * FAST["rescan_seconds"])
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="the listing")
    warnings = [r for r in caplog.records if "for file events" in r.getMessage()]
    assert len(warnings) == 1


def test_a_dead_observer_is_noticed_and_restarted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, workbooks: Callable[[str], bytes]
) -> None:
    """When the emitter thread dies while the observer lives on, the next rescan restarts it."""
    caplog.set_level(logging.INFO, logger="sos_docs")
    root = make_root(tmp_path)
    with watching(root) as running:
        wait_for(lambda: running.roots[0].observer is not None, what="the observer")
        first = running.roots[0].observer
        assert first is not None
        for emitter in list(first.emitters):
            emitter.stop()
        wait_for(lambda: running.roots[0].observer not in (None, first), what="a restart")
        second = running.roots[0].observer
        assert second is not None and second.is_alive()
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
    assert any("stopped; starting it again" in r.getMessage() for r in caplog.records)


def test_an_inbox_that_disappears_is_logged_once_and_watched_again_when_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, workbooks: Callable[[str], bytes]
) -> None:
    """A dropped share is one error line, no crash; when it is back its files are processed."""
    caplog.set_level(logging.INFO, logger="sos_docs")
    root = make_root(tmp_path)
    with watching(root):
        time.sleep(0.3)
        shutil.rmtree(root.inbox)
        time.sleep(5 * FAST["rescan_seconds"])
        root.inbox.mkdir()
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
    messages = [r.getMessage() for r in caplog.records]
    assert sum("cannot be read" in m for m in messages) == 1
    assert any("can be read again" in m for m in messages)


# --------------------------------------------------------------------------------------------
# Nothing is lost: unwritable reports, kills, two services


def test_unwritable_reports_keep_the_workbook_safe_and_it_is_retried(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """The workbook waits in the work area, never rejected, and is finished once reports work."""
    root = make_root(tmp_path)
    root.reports.rmdir()
    root.reports.write_text("a file where the folder should be")
    with watching(root) as running:
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: running.summary.waiting >= 2, what="two failed attempts")
        assert names_in(root.inbox) == [] and names_in(root.processed) == []
        assert names_in(root.rejected) == []
        (folder,) = unfinished_jobs(root)
        assert any(p.name == "case.xlsx" for p in folder.rglob("*"))
        root.reports.unlink()
        root.reports.mkdir()
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="the retry")
        wait_for(lambda: unfinished_jobs(root) == [], what="the work area to empty")
    assert_documents_once(root, "CP-1", "case")
    (job,) = journal_jobs(root)
    assert job.outcome == "done"


def test_sigkill_during_a_burst_loses_nothing_and_makes_nothing_twice(
    tmp_path: Path, workbooks: Callable[[str], bytes], invalid_workbook: bytes
) -> None:
    """50 workbooks, the service killed at random moments and restarted: each ends once, whole."""
    root_path, log = tmp_path / "root", tmp_path / "service.log"
    (root_path / "inbox").mkdir(parents=True)
    valid = {f"case-{n:02d}.xlsx": f"CP-{n:02d}" for n in range(45)}
    invalid = [f"bad-{n}.xlsx" for n in range(5)]
    for name, reference in valid.items():
        drop(root_path / "inbox", name, workbooks(reference))
    for name in invalid:
        drop(root_path / "inbox", name, invalid_workbook)
    chance = random.Random(20261128)
    for _ in range(4):
        kill_while_busy(service(root_path, log), root_path / "inbox", chance)
    final = service(root_path, log, "--once")
    # 1 when some of the invalid ones were still left for this last run to reject
    assert final.wait(120) in (0, 1), log.read_text()
    root = WatchedRoot(root_path, load_config(root_path))
    assert names_in(root.processed) == sorted(valid)
    assert names_in(root.rejected) == sorted(
        [n for name in invalid for n in (name, name[:-5] + " - marked.xlsx")]
        + [name[:-5] + " - problems.txt" for name in invalid]
    )
    for name, reference in valid.items():
        assert_documents_once(root, reference, name[:-5])
    # the service's own instructions stay, nothing else
    assert names_in(root.inbox) == [HELP_FILE_NAME] and unfinished_jobs(root) == []
    assert log.read_text().count("Taking up the job") >= 3, "the kills should land in jobs"
    outcomes = sorted(job.outcome for job in journal_jobs(root))
    assert outcomes == ["done"] * 45 + ["rejected"] * 5


def test_two_services_on_one_root_process_each_workbook_once(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """Two watch processes on the same folder share the work without doing anything twice."""
    root_path, log = tmp_path / "root", tmp_path / "services.log"
    (root_path / "inbox").mkdir(parents=True)
    services = [service(root_path, log) for _ in range(2)]
    root = WatchedRoot(root_path, load_config(root_path))
    try:
        wait_for(lambda: log.read_text().count("Watching") == 2, 60, "both to start", log)
        names = {f"case-{n:02d}.xlsx": f"CP-{n:02d}" for n in range(16)}
        for name, reference in names.items():
            drop(root.inbox, name, workbooks(reference))
        wait_for(lambda: len(names_in(root.processed)) == len(names), 90, "all done", log)
        wait_for(lambda: unfinished_jobs(root) == [], 30, "the work area to empty", log)
    finally:
        for process in services:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(30) for process in services]
    assert codes == [0, 0], log.read_text()
    assert names_in(root.processed) == sorted(names)
    for name, reference in names.items():
        assert_documents_once(root, reference, name[:-5])
    jobs_done = journal_jobs(root)
    assert sorted(job.file_name for job in jobs_done) == sorted(names)
    assert len({job.pid for job in jobs_done}) == 2, "both services should have taken work"


# --------------------------------------------------------------------------------------------
# Graceful stop and bounded resources


class InProcessWatcher(Watcher):
    """The service's watcher with its jobs in this process, whatever it is asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["processes"] = False
        super().__init__(*args, **kwargs)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_during_a_job_lets_it_finish_then_exits_0(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workbooks: Callable[[str], bytes],
    signum: int,
) -> None:
    """The signal arrives while a document is being rendered; the job completes, exit code 0."""
    root = make_root(tmp_path)
    drop(root.inbox, "first.xlsx", workbooks("CP-1"))
    drop(root.inbox, "second.xlsx", workbooks("CP-2"))
    real_render = pipeline.render_case
    rendering = threading.Event()

    def signalled_render(*args: Any, **kwargs: Any) -> Any:
        if not rendering.is_set():
            rendering.set()
            os.kill(os.getpid(), signum)
            time.sleep(0.5)  # the main thread handles the signal while this job is in flight
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pipeline, "render_case", signalled_render)
    # The service runs jobs in worker processes; here the one worker runs in this process, so
    # that the render can send the signal (test_sigterm_to_a_real_service_process_... covers
    # worker processes).
    monkeypatch.setattr(run, "Watcher", InProcessWatcher)
    result = CliRunner().invoke(
        cli, ["watch", str(root.path), *FAST_FLAGS, "--workers", "1"], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert rendering.is_set()
    done = names_in(root.processed)
    assert len(done) == 1, "the job in flight finished and no new one started"
    left = {"first.xlsx", "second.xlsx"} - set(done)
    assert names_in(root.inbox) == sorted({*left, HELP_FILE_NAME})  # and its instructions
    assert unfinished_jobs(root) == []
    reference = "CP-1" if done == ["first.xlsx"] else "CP-2"
    assert_documents_once(root, reference, done[0][:-5])


def test_sigterm_to_a_real_service_process_finishes_its_jobs_and_exits_0(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """A real `watch` process told to stop mid-burst leaves every workbook whole and placed."""
    root_path, log = tmp_path / "root", tmp_path / "service.log"
    (root_path / "inbox").mkdir(parents=True)
    names = {f"case-{n}.xlsx": f"CP-{n}" for n in range(8)}
    for name, reference in names.items():
        drop(root_path / "inbox", name, workbooks(reference))
    process = service(root_path, log)
    root = WatchedRoot(root_path, load_config(root_path))
    wait_for(lambda: unfinished_jobs(root) != [], 60, "a job to start", log)
    process.send_signal(signal.SIGTERM)
    assert ending.exit_code(process, log, 30) == 0, log.read_text()
    assert unfinished_jobs(root) == []
    done = names_in(root.processed)
    assert done and sorted(done + names_in(root.inbox)) == sorted([*names, HELP_FILE_NAME])
    for name in done:
        assert_documents_once(root, names[name], name[:-5])
    assert "Stopped." in log.read_text()


def test_a_burst_is_worked_through_a_bounded_queue_each_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of files, rescanned every 0.1 s: never more jobs at once than workers, none twice."""
    root = make_root(tmp_path, rescan_seconds=0.1, settle_seconds=0.05)
    count = 120
    for n in range(count):
        (root.inbox / f"export-{n:03d}.csv").write_text("Case reference,Name\nCP-1,Ann\n")
    started: list[Path] = []
    in_flight, most = 0, 0
    lock = threading.Lock()
    real_run_job = jobs.run_job

    def counting_run_job(watched: WatchedRoot, path: Path) -> Any:
        nonlocal in_flight, most
        with lock:
            started.append(path)
            in_flight += 1
            most = max(most, in_flight)
        try:
            return real_run_job(watched, path)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(jobs, "run_job", counting_run_job)
    with watching(root, workers=2) as running:
        wait_for(lambda: running.summary.rejected == count, 120, "every file rejected")
    assert len(started) == count and len(set(started)) == count
    assert most <= 2
    assert len([n for n in names_in(root.rejected) if n.endswith(".csv")]) == count


def test_files_waiting_behind_a_full_queue_are_judged_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workbooks: Callable[[str], bytes]
) -> None:
    """Whether a settled file is still open for writing (a walk over every process's open
    files) is asked once per file, when the queue has room for it: not on every pass of the
    loop while a burst holds the queue full."""
    root = make_root(tmp_path)
    asked: list[str] = []
    real = inbox.open_for_writing

    def counting(path: Path) -> bool:
        asked.append(path.name)
        return real(path)

    monkeypatch.setattr(inbox, "open_for_writing", counting)
    names = [f"burst-{n}.xlsx" for n in range(8)]
    with watching(root, workers=1) as running:
        for n, name in enumerate(names):
            drop(root.inbox, name, workbooks(f"CP-Q{n}"))
        wait_for(lambda: running.summary.processed == len(names), 120, "every workbook")
    assert sorted(asked) == sorted(names)


def test_while_the_queue_is_full_the_loop_waits_a_whole_tick(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """A closed file past its copy grace would wake the loop every few milliseconds; while the
    queue has no room for it that is wasted (a finished job wakes the loop at once)."""
    from sos_docs.service.watcher import _Task

    root = make_root(tmp_path)
    running = Watcher([root], workers=1)
    waiting = drop(root.inbox, "waiting.xlsx", workbooks("CP-W"))
    running._settling.track(root, waiting, inbox.Arrival.CLOSED)
    running._settling.tracked[waiting].stable_since -= 1.0  # its copy grace is long over
    assert running._next_wait() < running._tick
    n = 0
    while running._handoff.offer(_Task(root, root.inbox / f"queued-{n}.xlsx")):
        n += 1
    assert running._next_wait() == running._tick


# --------------------------------------------------------------------------------------------
# The command line: --once, configuration, several roots, log files


def test_watch_once_exits_0_when_every_workbook_made_its_documents(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """`watch --once` creates the folders, processes the inbox and exits 0."""
    root = tmp_path / "root"
    (root / "inbox").mkdir(parents=True)
    drop(root / "inbox", "a.xlsx", workbooks("CP-A"))
    drop(root / "inbox", "b.xlsx", workbooks("CP-B"))
    result = CliRunner().invoke(cli, ["watch", str(root), "--once", *FAST_FLAGS])
    assert result.exit_code == 0, result.output
    assert {p.name for p in root.iterdir()} >= {"inbox", "reports", "processed", "rejected"}
    assert names_in(root / "processed") == ["a.xlsx", "b.xlsx"]


def test_watch_once_processes_more_files_than_its_queue_holds_each_once(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """A whole `watch --once` process (its first worker started before the service loads, a
    second started when needed, both ended at once by os._exit) on more workbooks than the
    queue holds: every one is processed once, the work area is empty, and it exits 0."""
    root = make_root(tmp_path)
    count = DEFAULT_WORKERS * QUEUE_SLOTS_PER_WORKER + 2
    names = {f"case-{n}.xlsx": f"CP-{n}" for n in range(count)}
    for name, reference in names.items():
        drop(root.inbox, name, workbooks(reference))
    result = subprocess.run(
        [sys.executable, "-m", "sos_docs", "watch", str(root.path), "--once", *FAST_FLAGS],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert names_in(root.processed) == sorted(names)
    assert names_in(root.inbox) == [HELP_FILE_NAME]
    assert unfinished_jobs(root) == []
    for name, reference in names.items():
        assert_documents_once(root, reference, name[:-5])


def test_watch_once_exits_1_and_logs_codes_not_cell_text_when_one_is_rejected(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """A rejection makes `--once` exit 1; the log file names files and codes, not cell contents."""
    root, log = tmp_path / "root", tmp_path / "out.log"
    (root / "inbox").mkdir(parents=True)
    drop(root / "inbox", "good.xlsx", workbooks("CP-GOOD"))
    book = WorkbookBuilder().set_case("Meeting type", "Zebra crossing 4711")
    drop(root / "inbox", "bad.xlsx", book.write(tmp_path / "bad.xlsx").read_bytes())
    assert service(root, log, "--once").wait(60) == 1
    text = (root / ".sos-docs" / "sos-docs.log").read_text("utf-8")
    outcomes = [line for line in text.splitlines() if "Processed" in line or "Rejected" in line]
    assert len(outcomes) == 2
    assert any('"bad.xlsx"' in line and "WB006" in line for line in outcomes)
    assert any('"good.xlsx"' in line and "CP-GOOD" in line for line in outcomes)
    assert "Zebra" not in text and "Zebra" not in log.read_text()


def test_watch_once_ends_with_1_when_a_job_must_wait_for_an_unwritable_folder(
    tmp_path: Path, workbooks: Callable[[str], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--once` tries a job that cannot be delivered once, keeps it safe, and exits 1."""
    root = make_root(tmp_path)
    write = files.write_new_file

    def reports_full(path: Path, data: bytes, **kwargs: Any) -> Path:
        if path.is_relative_to(root.reports):  # a full disk (a file there is now a rejection)
            raise files.DeliveryError("the disk is full")
        return write(path, data, **kwargs)

    monkeypatch.setattr(files, "write_new_file", reports_full)
    drop(root.inbox, "case.xlsx", workbooks("CP-1"))
    result = CliRunner().invoke(cli, ["watch", str(root.path), "--once", *FAST_FLAGS])
    assert result.exit_code == 1
    (folder,) = unfinished_jobs(root)
    assert (folder / "book" / "case.xlsx").is_file()


def test_folder_names_and_timings_come_from_the_roots_configuration_file(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """sos-docs.toml in the root renames the folders; `--config` names another file."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "sos-docs.toml").write_text(
        'settle_seconds = 0.1\n[folders]\ninbox = "In"\nprocessed = "Done"\n'
    )
    (root / "In").mkdir()
    drop(root / "In", "a.xlsx", workbooks("CP-A"))
    assert CliRunner().invoke(cli, ["watch", str(root), "--once"]).exit_code == 0
    assert names_in(root / "Done") == ["a.xlsx"]
    other = tmp_path / "other.toml"
    other.write_text('[folders]\ninbox = "Drop"\n')
    drop(root / "In", "b.xlsx", workbooks("CP-B"))
    result = CliRunner().invoke(cli, ["watch", str(root), "--once", "--config", str(other)])
    assert result.exit_code == 0
    assert (root / "Drop").is_dir() and (root / "In" / "b.xlsx").exists()


def test_several_roots_are_watched_with_a_log_file_each(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """Each root's jobs are logged only in that root's own log file."""
    first, second = tmp_path / "first", tmp_path / "second"
    for root, name in ((first, "one.xlsx"), (second, "two.xlsx")):
        (root / "inbox").mkdir(parents=True)
        drop(root / "inbox", name, workbooks(f"CP-{name}"))
    result = CliRunner().invoke(cli, ["watch", str(first), str(second), "--once", *FAST_FLAGS])
    assert result.exit_code == 0
    first_log = (first / ".sos-docs" / "sos-docs.log").read_text()
    second_log = (second / ".sos-docs" / "sos-docs.log").read_text()
    assert '"one.xlsx"' in first_log and '"two.xlsx"' not in first_log
    assert '"two.xlsx"' in second_log and '"one.xlsx"' not in second_log


def test_a_folder_that_cannot_be_created_is_a_plain_error(tmp_path: Path) -> None:
    """A file standing where the inbox should be: the failing check, `Error: ...`, exit 1."""
    (tmp_path / "inbox").write_text("x")
    result = CliRunner().invoke(cli, ["watch", str(tmp_path), "--once"])
    assert result.exit_code == 1
    assert f"FAIL  inbox folder: {tmp_path}/inbox is a file, not a folder." in result.output
    assert result.output.endswith("Error: no folder can be watched. Fix the problems above.\n")
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------
# Round two (issues 10 and 11): the inbox explains everything it does not take


def copy_then_set_times(source: Path, target: Path) -> None:
    """A writer that closes the file and then, a moment later, sets its times (robocopy)."""
    target.write_bytes(source.read_bytes())
    time.sleep(0.02)
    os.utime(target, (1_600_000_000, 1_600_000_000))


COPIERS: dict[str, Callable[[Path, Path], object]] = {
    "shutil.copy": shutil.copy,
    "shutil.copy2": shutil.copy2,
    "cp -p": lambda s, t: subprocess.run(["cp", "-p", str(s), str(t)], check=True),
    "times after close": copy_then_set_times,
}


@pytest.mark.parametrize("copier", list(COPIERS))
def test_a_copier_that_sets_times_or_permissions_after_closing_never_loses_its_file(
    tmp_path: Path, workbooks: Callable[[str], bytes], copier: str
) -> None:
    """Twenty copies into a running watcher: no copier sees its file vanish, all are processed."""
    root = make_root(tmp_path)
    source = tmp_path / "source.xlsx"
    source.write_bytes(workbooks("CP-1"))
    errors: list[str] = []
    with watching(root):
        time.sleep(0.3)
        for n in range(20):
            try:
                COPIERS[copier](source, root.inbox / f"case-{n}.xlsx")
            except (OSError, subprocess.CalledProcessError) as exc:
                errors.append(f"copy {n}: {exc!r}")
            time.sleep(0.05)
        wait_for(lambda: len(names_in(root.processed)) == 20, what="20 processed")
    assert errors == []


def test_files_that_are_not_workbooks_are_rejected_saying_what_the_inbox_takes(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """report.docx, notes.pdf and a PDF named .xlsx go to rejected/ with what the folder takes."""
    root = make_root(tmp_path)
    document = tmp_path / "report.docx"
    import docx

    docx.Document().save(str(document))
    pdf = b"%PDF-1.7\n" + bytes(200)
    with watching(root):
        drop(root.inbox, "report.docx", document.read_bytes())
        drop(root.inbox, "notes.pdf", pdf)
        drop(root.inbox, "really a pdf.xlsx", pdf)
        drop(root.inbox, "notes.txt", b"just some notes\n")
        for stem in ("report", "notes", "really a pdf"):
            wait_for(lambda s=stem: (root.rejected / f"{s} - problems.txt").exists(), what=stem)
        wait_for(
            lambda: len(list(root.rejected.glob("notes*problems*.txt"))) == 2,
            what=f"notes.txt rejected; rejected/ holds {names_in(root.rejected)}",
        )
    assert names_in(root.inbox) == []
    for problems in root.rejected.glob("* - problems*.txt"):
        text = problems.read_text("utf-8-sig")
        assert ".xlsx" in text and ".xlsm" in text and "mapping workbook" in text, problems.name


def test_look_alike_names_are_taken_not_left_unexplained(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """`~name.xlsx`, `.xltx` and a trailing-space name are processed instead of sitting there."""
    root = make_root(tmp_path)
    names = ["~case.xlsx", "case.xltx", "spaced.xlsx "]
    with watching(root):
        for n, name in enumerate(names):
            drop(root.inbox, name, workbooks(f"CP-{n}"))
        wait_for(lambda: len(names_in(root.processed)) == 3, what="three processed")
    assert names_in(root.inbox) == []


def test_a_subfolder_and_a_pipe_in_the_inbox_are_explained_once_and_never_block(
    tmp_path: Path, workbooks: Callable[[str], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """A folder and a FIFO stay where they are, each with one note in rejected/ and a log line."""
    caplog.set_level(logging.INFO, logger="sos_docs")
    root = make_root(tmp_path)
    (root.inbox / "Old cases").mkdir()
    os.mkfifo(root.inbox / "pipe.xlsx")
    with watching(root):
        drop(root.inbox, "case.xlsx", workbooks("CP-1"))
        wait_for(lambda: (root.processed / "case.xlsx").exists(), what="case.xlsx")
        wait_for(lambda: (root.rejected / "Old cases - problems.txt").exists(), what="folder")
        wait_for(lambda: (root.rejected / "pipe.xlsx - problems.txt").exists(), what="pipe")
        time.sleep(4 * FAST["rescan_seconds"])
    assert (root.inbox / "Old cases").is_dir() and (root.inbox / "pipe.xlsx").is_fifo()
    folder_note = (root.rejected / "Old cases - problems.txt").read_text("utf-8-sig")
    assert "folder" in folder_note and ".xlsx" in folder_note
    assert "not an ordinary file" in (root.rejected / "pipe.xlsx - problems.txt").read_text(
        "utf-8-sig"
    )
    notes = sorted(p.name for p in root.rejected.iterdir())
    assert notes == ["Old cases - problems.txt", "pipe.xlsx - problems.txt"]
    lines = [r.getMessage() for r in caplog.records if "Old cases" in r.getMessage()]
    assert len(lines) == 1, lines


def test_a_writer_that_writes_the_end_first_is_not_taken_early(
    tmp_path: Path, workbooks: Callable[[str], bytes]
) -> None:
    """A file whose zip directory arrives before its parts waits until the parts are whole."""
    root = make_root(tmp_path)
    data = workbooks("CP-1")
    half = len(data) // 2
    target = root.inbox / "case.xlsx"
    with watching(root):
        time.sleep(0.3)
        with target.open("wb") as handle:  # the end first, as some parallel copiers do
            handle.seek(half)
            handle.write(data[half:])
        time.sleep(0.15)
        with target.open("r+b") as handle:
            handle.write(data[:half])
        wait_for(
            lambda: (root.processed / "case.xlsx").exists() or names_in(root.rejected) != [],
            what="an outcome",
        )
    assert (root.processed / "case.xlsx").read_bytes() == data
    assert names_in(root.rejected) == []


# ---- retention (issue 10.7)


def test_the_service_removes_what_outlived_its_retention_at_start(
    tmp_path: Path, workbooks: Callable[[str], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watcher starting on a root with retention_days removes the expired processed workbook
    before it takes the new one (a day made a millisecond long, so no clock is faked)."""
    root = make_root(tmp_path, retention_days={"processed": 1})
    jobs.run_job(root, drop(root.inbox, "earlier.xlsx", workbooks("CP-EARLIER")))
    assert names_in(root.processed) == ["earlier.xlsx"]
    time.sleep(0.01)
    monkeypatch.setattr("sos_docs.service.retention.DAY_SECONDS", 0.001)
    drop(root.inbox, "later.xlsx", workbooks("CP-LATER"))
    Watcher([root], once=True).run()
    assert names_in(root.processed) == ["later.xlsx"]
