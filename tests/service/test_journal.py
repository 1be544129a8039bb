"""Tests for sos_docs.service.journal: the job lifecycle, crash recovery, sharing, locks and damage."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import socket
import sqlite3
import stat
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sos_docs.errors import JournalError
from sos_docs.model import Level, Problem
from sos_docs.service import journal_file
from sos_docs.service.journal import (
    JOURNAL_FILE,
    LEGACY_JOURNAL_FILE,
    SCHEMA_VERSION,
    Journal,
    journal_files,
    journal_name,
    read_all_jobs,
)

HASH = "ab" * 32
WARNING = Problem("SOS202", Level.WARNING, "Working well", None, "Nothing under existing safety.")
ERROR = Problem("WB006", Level.ERROR, "Case", "B3", "Meeting type 'Tea party' is not allowed.")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A watched folder with its hidden state folder not yet made."""
    return tmp_path / "hot"


def journal_path(root: Path) -> Path:
    return root / ".sos-docs" / JOURNAL_FILE


def kept(problem: Problem) -> Problem:
    """A problem as the journal keeps it: code, level, sheet and cell, never the message."""
    return dataclasses.replace(problem, message="")


def test_a_job_goes_from_claimed_through_working_to_done(root: Path) -> None:
    """start_job, record_outputs and finish move a job through its states and keep its story."""
    with Journal(journal_path(root)) as journal:
        work = root / ".sos-docs" / "work" / "x__case.xlsx"
        job_id = journal.start_job("case.xlsx", HASH, work)
        started = journal.get(job_id)
        assert started is not None
        assert started.state == "claimed" and not started.finished
        assert started.work_path == work
        assert started.host == socket.gethostname() and started.pid == os.getpid()
        assert started.claimed_at.tzinfo is not None

        report = root / "reports" / "CP-1" / "CP-1 Report 2024-05-01.docx"
        story = root / "reports" / "CP-1" / "CP-1 Words and pictures 2024-05-01.docx"
        journal.record_outputs(job_id, [report])
        journal.record_outputs(job_id, [report, story])  # repeating is harmless
        working = journal.get(job_id)
        assert working is not None
        assert working.state == "working"
        assert working.outputs == (report, story)

        journal.finish(job_id, "done", root / "processed" / "case.xlsx", [WARNING])
        done = journal.get(job_id)
        assert done is not None
        assert done.state == "done" and done.outcome == "done" and done.finished
        assert done.final_path == root / "processed" / "case.xlsx"
        assert done.problems == (kept(WARNING),)
        assert done.finished_at is not None and done.finished_at >= done.claimed_at
        assert journal.counts() == {"claimed": 0, "working": 0, "done": 1, "rejected": 0}


def test_paths_are_stored_relative_to_the_watched_folder(root: Path) -> None:
    """Outputs are stored as 'reports/...' so servers mounting the share elsewhere agree."""
    with Journal(journal_path(root)) as journal:
        job_id = journal.start_job("case.xlsx", HASH, root / ".sos-docs" / "work" / "w.xlsx")
        journal.record_outputs(job_id, [root / "reports" / "CP-1" / "r.docx"])
    raw = sqlite3.connect(journal_path(root))
    row = raw.execute("SELECT work_path, outputs FROM jobs").fetchone()
    raw.close()
    assert row == (".sos-docs/work/w.xlsx", '["reports/CP-1/r.docx"]')
    elsewhere = root.parent / "mounted-elsewhere"
    with Journal(journal_path(root), root=elsewhere) as journal:
        (record,) = journal.recent()
        assert record.outputs == (elsewhere / "reports" / "CP-1" / "r.docx",)


def test_rejected_and_internal_failures_count_as_rejected(root: Path) -> None:
    """A rejection and an internal failure both end in state rejected, told apart by outcome."""
    with Journal(journal_path(root)) as journal:
        rejected = journal.start_job("bad.xlsx", HASH, root / "w1")
        failed = journal.start_job("odd.xlsx", HASH, root / "w2")
        journal.finish(rejected, "rejected", root / "rejected" / "bad.xlsx", [ERROR, WARNING])
        journal.finish(failed, "failed-internal", root / "rejected" / "odd.xlsx", [])
        outcomes = {r.file_name: (r.state, r.outcome) for r in journal.recent()}
        assert outcomes == {
            "bad.xlsx": ("rejected", "rejected"),
            "odd.xlsx": ("rejected", "failed-internal"),
        }
        assert journal.counts()["rejected"] == 2
        record = journal.get(rejected)
        assert record is not None and record.problems == (kept(ERROR), kept(WARNING))


def test_an_unknown_outcome_is_a_programming_error(root: Path) -> None:
    """finish() accepts only done, rejected and failed-internal."""
    with Journal(journal_path(root)) as journal:
        job_id = journal.start_job("case.xlsx", HASH, root / "w")
        with pytest.raises(ValueError, match="outcome"):
            journal.finish(job_id, "maybe", root / "processed" / "case.xlsx", [])


def test_an_unknown_job_is_reported(root: Path) -> None:
    """Recording outputs for a job the journal never saw raises JournalError."""
    with Journal(journal_path(root)) as journal, pytest.raises(JournalError, match="no job"):
        journal.record_outputs("nope", [root / "r.docx"])


def test_recent_find_by_hash_and_counts(root: Path) -> None:
    """recent() is newest first and limited; find_by_hash() finds every run of one content."""
    with Journal(journal_path(root)) as journal:
        ids = [
            journal.start_job(f"case {n}.xlsx", HASH if n % 2 else "cd" * 32, root / f"w{n}")
            for n in range(5)
        ]
        assert [r.id for r in journal.recent(limit=3)] == ids[::-1][:3]
        assert [r.id for r in journal.find_by_hash(HASH)] == [ids[1], ids[3]]
        assert journal.find_by_hash("ef" * 32) == []
        assert journal.counts() == {"claimed": 5, "working": 0, "done": 0, "rejected": 0}


def _start_and_die(path: str, root: str) -> None:
    """Child process: claim a job, place one document, then die without finishing."""
    journal = Journal(Path(path))
    job_id = journal.start_job(
        "case.xlsx", HASH, Path(root) / ".sos-docs" / "work" / "j__case.xlsx"
    )
    journal.record_outputs(job_id, [Path(root) / "reports" / "CP-1" / "r.docx"])
    os._exit(9)  # a kill: no close, no cleanup


def test_unfinished_jobs_survive_a_crash(root: Path) -> None:
    """A job whose process was killed mid-way is listed by unfinished(), with what it placed."""
    with Journal(journal_path(root)) as journal:
        done = journal.start_job("earlier.xlsx", HASH, root / "w")
        journal.finish(done, "done", root / "processed" / "earlier.xlsx", [])
    process = multiprocessing.get_context("spawn").Process(
        target=_start_and_die, args=(str(journal_path(root)), str(root))
    )
    process.start()
    process.join(60)
    assert process.exitcode == 9
    with Journal(journal_path(root)) as journal:
        (record,) = journal.unfinished()
        assert record.file_name == "case.xlsx"
        assert record.state == "working"
        assert record.work_path == root / ".sos-docs" / "work" / "j__case.xlsx"
        assert record.outputs == (root / "reports" / "CP-1" / "r.docx",)
        assert record.pid == process.pid
        assert journal.unfinished(host=socket.gethostname()) == [record]
        assert journal.unfinished(host="another-server") == []


def _record_jobs(path: str, worker: int, count: int, start: Any) -> list[str]:
    """Child process: record `count` whole jobs as fast as possible."""
    with Journal(Path(path)) as journal:
        start.wait()
        ids = []
        for n in range(count):
            job_id = journal.start_job(f"w{worker}-{n}.xlsx", HASH, Path(path).parent / "w")
            journal.record_outputs(job_id, [Path(path).parent / f"{worker}-{n}.docx"])
            journal.finish(job_id, "done", Path(path).parent / "p", [])
            ids.append(job_id)
        return ids


def test_two_processes_share_one_journal(root: Path) -> None:
    """Two services writing the same journal at once both succeed and nothing is lost."""
    Journal(journal_path(root)).close()  # created once, as the first service to start would
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(2) as pool:
            pending = [
                pool.apply_async(_record_jobs, (str(journal_path(root)), w, 25, start))
                for w in range(2)
            ]
            start.set()
            ids = [job for p in pending for job in p.get(timeout=120)]
    with Journal(journal_path(root)) as journal:
        assert journal.counts() == {"claimed": 0, "working": 0, "done": 50, "rejected": 0}
        assert {r.id for r in journal.recent(limit=100)} == set(ids)
        assert all(len(r.outputs) == 1 for r in journal.recent(limit=100))


def test_a_locked_journal_gives_a_plain_error_within_the_timeout(root: Path) -> None:
    """While another connection holds an exclusive lock, a write fails after the busy timeout."""
    with Journal(journal_path(root), busy_timeout=0.2) as journal:
        holder = sqlite3.connect(journal_path(root), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            began = time.monotonic()
            with pytest.raises(JournalError, match="locked by another process"):
                journal.start_job("case.xlsx", HASH, root / "w")
            assert time.monotonic() - began < 5
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        journal.start_job("case.xlsx", HASH, root / "w")  # usable again once the lock is gone


def test_opening_a_locked_rollback_journal_gives_a_plain_error(root: Path) -> None:
    """A journal on a share (rollback mode) held exclusively elsewhere cannot be opened: plain error."""
    Journal(journal_path(root), wal=False).close()
    holder = sqlite3.connect(journal_path(root), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(JournalError, match="locked by another process"):
            Journal(journal_path(root), busy_timeout=0.2, wal=False)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_damaged_journal_says_to_move_it_aside(root: Path) -> None:
    """Garbage bytes in the journal file give JournalError saying what to do."""
    journal_path(root).parent.mkdir(parents=True)
    journal_path(root).write_bytes(os.urandom(64) + b"not a database" * 200)
    with pytest.raises(JournalError, match="damaged: move it aside, a new one will be created"):
        Journal(journal_path(root))


def test_a_journal_from_a_newer_version_is_refused(root: Path) -> None:
    """A schema version above ours is not guessed at."""
    Journal(journal_path(root)).close()
    raw = sqlite3.connect(journal_path(root))
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(JournalError, match="newer version of sos-docs"):
        Journal(journal_path(root))


def test_the_schema_is_versioned_and_in_wal_mode(root: Path) -> None:
    """A new journal carries its schema version and uses write-ahead logging."""
    Journal(journal_path(root)).close()
    raw = sqlite3.connect(journal_path(root))
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_an_unwritable_place_gives_a_plain_error(tmp_path: Path) -> None:
    """A journal path whose folder cannot be made is a JournalError, not an OSError."""
    blocker = tmp_path / "file"
    blocker.write_text("in the way")
    with pytest.raises(JournalError, match="could not open the journal"):
        Journal(blocker / ".sos-docs" / JOURNAL_FILE)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_the_journal_is_no_more_open_than_its_folder(root: Path) -> None:
    """In a folder only its owner may enter, the journal is readable by its owner only."""
    journal_path(root).parent.mkdir(parents=True, mode=0o700)
    journal_path(root).parent.chmod(0o700)
    with Journal(journal_path(root)) as journal:
        journal.start_job("case.xlsx", HASH, root / "w")
        for name in (JOURNAL_FILE, f"{JOURNAL_FILE}-wal"):
            mode = stat.S_IMODE((journal_path(root).parent / name).stat().st_mode)
            assert mode & 0o077 == 0, name


def test_a_closed_journal_cannot_be_used(root: Path) -> None:
    """After the with block the connection is closed."""
    with Journal(journal_path(root)) as journal:
        pass
    with pytest.raises(JournalError):
        journal.counts()


def test_times_are_utc(root: Path) -> None:
    """claimed_at is stored in UTC, close to now."""
    with Journal(journal_path(root)) as journal:
        record = journal.get(journal.start_job("case.xlsx", HASH, root / "w"))
    assert record is not None
    assert record.claimed_at.utcoffset() is not None
    assert record.claimed_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs((datetime.now(UTC) - record.claimed_at).total_seconds()) < 60


def test_a_disk_io_error_on_a_full_disk_says_the_disk_is_full(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite often reports a full disk under write-ahead logging as a 'disk I/O error'."""
    error = sqlite3.OperationalError("disk I/O error")
    path = root / ".sos-docs" / "journal.sqlite3"
    monkeypatch.setattr(journal_file, "_no_space_left", lambda _path: True)
    assert "is full: free some space" in journal_file.plain_sqlite_error(error, "write to", path)
    monkeypatch.setattr(journal_file, "_no_space_left", lambda _path: False)
    assert "Please tell IT" in journal_file.plain_sqlite_error(error, "write to", path)


# ---- data minimisation and one journal per host (issue 10.7)

QUOTING = Problem(
    "WB006", Level.ERROR, "Case", "B3", "Meeting type 'ZQX Jane Doe 2015-02-01' is odd."
)
VERSION_1_SCHEMA = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY, file_name TEXT NOT NULL, content_hash TEXT NOT NULL,
    state TEXT NOT NULL, claimed_at TEXT NOT NULL, finished_at TEXT, outcome TEXT,
    work_path TEXT NOT NULL, final_path TEXT, outputs TEXT NOT NULL DEFAULT '[]',
    problems TEXT NOT NULL DEFAULT '[]', host TEXT NOT NULL, pid INTEGER NOT NULL
);
"""


def bytes_of_journal(path: Path) -> bytes:
    """The journal database and its write-ahead log, as they lie on disk."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


def write_version_1_journal(path: Path, message: str) -> None:
    """A journal as sos-docs 0.x wrote it: schema 1, problems with their message text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path)
    raw.executescript(VERSION_1_SCHEMA)
    problems = json.dumps(
        [{"code": "WB006", "level": "error", "sheet": "Case", "cell": "B3", "message": message}]
    )
    raw.execute(
        "INSERT INTO jobs VALUES ('old', 'smith.xlsx', ?, 'rejected', '2026-01-01T10:00:00+00:00',"
        " '2026-01-01T10:00:01+00:00', 'rejected', 'w', 'rejected/smith.xlsx', '[]', ?, 'h', 1)",
        (HASH, problems),
    )
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()


def test_the_journal_keeps_codes_sheets_and_cells_not_message_text(root: Path) -> None:
    """A problem quoting a cell is kept as code, level, sheet and cell; its text is on no disk."""
    with Journal(journal_path(root)) as journal:
        job_id = journal.start_job("case.xlsx", HASH, root / "w")
        journal.finish(job_id, "rejected", root / "rejected" / "case.xlsx", [QUOTING])
        record = journal.get(job_id)
    assert record is not None and record.problems == (kept(QUOTING),)
    assert b"ZQX" not in bytes_of_journal(journal_path(root))


def test_an_old_journal_loses_its_message_text_when_opened(root: Path) -> None:
    """A schema 1 journal is migrated on open: rows kept, message text gone from the file."""
    write_version_1_journal(journal_path(root), "Meeting type 'ZQX Jane Doe' is odd.")
    with Journal(journal_path(root)) as journal:
        (record,) = journal.recent()
    assert record.file_name == "smith.xlsx" and record.problems == (kept(QUOTING),)
    assert b"ZQX" not in bytes_of_journal(journal_path(root))
    raw = sqlite3.connect(journal_path(root))
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    raw.close()


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("Server-01.example.org", "journal-server-01.example.org.sqlite3"),
        ("../../etc/x y", "journal-etc_x_y.sqlite3"),
        ("..", "journal-unknown.sqlite3"),
        ("", "journal-unknown.sqlite3"),
    ],
)
def test_each_host_has_its_own_journal_file_with_a_safe_name(host: str, name: str) -> None:
    """The journal's file name carries the host name, reduced to safe characters."""
    assert journal_name(host) == name
    assert journal_name(socket.gethostname()) == JOURNAL_FILE


def test_a_shared_journal_of_an_older_version_is_taken_over_by_the_first_host(root: Path) -> None:
    """`.sos-docs/journal.sqlite3` becomes this host's journal (migrated) and is removed."""
    state = root / ".sos-docs"
    write_version_1_journal(state / LEGACY_JOURNAL_FILE, "'ZQX' is odd")
    with Journal(state / journal_name("north")) as journal:
        (record,) = journal.recent()
    assert record.id == "old" and record.problems == (kept(QUOTING),)
    assert not (state / LEGACY_JOURNAL_FILE).exists()
    assert journal_files(state) == [state / journal_name("north")]
    assert b"ZQX" not in bytes_of_journal(state / journal_name("north"))


def test_a_job_started_on_one_host_is_finished_by_another(root: Path) -> None:
    """A host resuming another host's job copies its entry into its own journal and finishes it;
    reading every journal shows the job once, finished."""
    state = root / ".sos-docs"
    with Journal(state / journal_name("north")) as north:
        job_id = north.start_job("case.xlsx", HASH, root / "w")
    with Journal(state / journal_name("south")) as south:
        south.record_outputs(job_id, [root / "reports" / "r.docx"])
        south.finish(job_id, "done", root / "processed" / "case.xlsx", [])
    (merged,) = read_all_jobs(state, root)
    assert merged.id == job_id and merged.state == "done"
    assert merged.outputs == (root / "reports" / "r.docx",)


def test_reading_every_journal_changes_none(root: Path) -> None:
    """read_all_jobs opens each journal read-only: no database is created, changed or migrated
    (SQLite may leave its shared-memory index beside a journal in write-ahead mode)."""
    state = root / ".sos-docs"
    with Journal(state / journal_name("north")) as north:
        north.start_job("case.xlsx", HASH, root / "w")
    write_version_1_journal(state / LEGACY_JOURNAL_FILE, "'ZQX' is odd")  # read as history
    before = {p.name: p.read_bytes() for p in state.glob("*.sqlite3")}
    jobs = read_all_jobs(state, root)
    assert sorted(job.file_name for job in jobs) == ["case.xlsx", "smith.xlsx"]
    assert {p.name: p.read_bytes() for p in state.glob("*.sqlite3")} == before
