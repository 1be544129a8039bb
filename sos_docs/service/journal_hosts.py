"""Every host's journal of a watched folder, read-only and merged into one list of jobs.

Used by `sos-docs status` and retention; the rows of one journal are read whatever its schema.
A review conference finds the earlier workbooks of its case here (`ProcessedOfCase`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sos_docs.errors import JournalError
from sos_docs.model import EarlierWorkbook, Problem
from sos_docs.service.journal_file import (
    DEFAULT_BUSY_TIMEOUT,
    LEGACY_JOURNAL_FILE,
    SCHEMA_VERSION,
    newer_version_message,
    plain_sqlite_error,
    problem_from_json,
)

__all__ = [
    "COLUMN_NAMES",
    "JobRecord",
    "ProcessedOfCase",
    "done_jobs_of_case",
    "journal_files",
    "read_all_jobs",
    "read_rows",
    "record_from",
]

JOURNAL_GLOB = "journal-*.sqlite3"
UNFINISHED_STATES = ("claimed", "working")


@dataclass(frozen=True)
class JobRecord:
    """One job as the journal knows it; paths are absolute under this process's root."""

    id: str
    file_name: str
    content_hash: str
    state: str
    claimed_at: datetime
    finished_at: datetime | None
    outcome: str | None
    work_path: Path
    final_path: Path | None
    outputs: tuple[Path, ...]
    problems: tuple[Problem, ...]  # code, level, sheet and cell; the message is always ""
    host: str
    pid: int
    case_reference: str = ""  # of a processed workbook

    @property
    def finished(self) -> bool:
        """True once the workbook has reached processed/ or rejected/."""
        return self.state not in UNFINISHED_STATES


COLUMN_NAMES = (
    "id",
    "file_name",
    "content_hash",
    "state",
    "claimed_at",
    "finished_at",
    "outcome",
    "work_path",
    "final_path",
    "outputs",
    "problems",
    "host",
    "pid",
    "case_reference",
)


def journal_files(state: Path) -> list[Path]:
    """Every journal in a state folder: each host's, then the shared one of an older version."""
    files = sorted(p for p in state.glob(JOURNAL_GLOB) if p.is_file())
    legacy = state / LEGACY_JOURNAL_FILE
    return [*files, legacy] if legacy.is_file() else files


def read_all_jobs(
    state: Path, root: Path, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> list[JobRecord]:
    """Every job of every host's journal, read-only, each job once, newest first.

    A job copied by the host that finished it appears in two journals: the furthest copy
    counts. A job started again by another host under a new entry (same work file, claimed
    later) replaces the unfinished one.
    """
    records = [
        record_from(row, root, path)
        for path in journal_files(state)
        for row in read_rows(path, "", (), busy_timeout)
    ]
    furthest: dict[str, JobRecord] = {}
    for record in records:
        known = furthest.get(record.id)
        if known is None or _progress(record) > _progress(known):
            furthest[record.id] = record
    jobs = list(furthest.values())
    taken_up = {(job.work_path, job.id): job.claimed_at for job in jobs}
    kept = [job for job in jobs if job.finished or not _taken_up_later(job, taken_up)]
    return sorted(kept, key=lambda job: job.claimed_at, reverse=True)


def _progress(record: JobRecord) -> tuple[bool, int, datetime]:
    return (record.finished, len(record.outputs), record.finished_at or record.claimed_at)


def _taken_up_later(job: JobRecord, claims: dict[tuple[Path, str], datetime]) -> bool:
    """True when another entry for the same work file was claimed at or after this one."""
    return any(
        path == job.work_path and other != job.id and when >= job.claimed_at
        for (path, other), when in claims.items()
    )


def read_rows(
    path: Path, clause: str, parameters: tuple[Any, ...], busy_timeout: float
) -> list[tuple[Any, ...]]:
    """Rows of one journal opened read-only, in COLUMN_NAMES order, whatever its schema."""
    try:
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=busy_timeout
        )
    except sqlite3.Error as exc:
        raise JournalError(plain_sqlite_error(exc, "read", path)) from exc
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(newer_version_message(path))
        if version == 0:
            return []
        present = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
        columns = ", ".join(c if c in present else f"'' AS {c}" for c in COLUMN_NAMES)
        return connection.execute(f"SELECT {columns} FROM jobs {clause}", parameters).fetchall()
    except sqlite3.Error as exc:
        raise JournalError(plain_sqlite_error(exc, "read", path)) from exc
    finally:
        connection.close()


def record_from(row: tuple[Any, ...], root: Path, source: Path) -> JobRecord:
    """A JobRecord from a row, with stored relative paths made absolute under root."""
    values = dict(zip(COLUMN_NAMES, row, strict=True))

    def absolute(stored: str) -> Path:
        return root / stored  # an absolute stored path replaces root

    try:
        return JobRecord(
            id=values["id"],
            file_name=values["file_name"],
            content_hash=values["content_hash"],
            state=values["state"],
            claimed_at=datetime.fromisoformat(values["claimed_at"]),
            finished_at=_optional_time(values["finished_at"]),
            outcome=values["outcome"],
            work_path=absolute(values["work_path"]),
            final_path=absolute(values["final_path"]) if values["final_path"] else None,
            outputs=tuple(absolute(p) for p in json.loads(values["outputs"])),
            problems=tuple(problem_from_json(p) for p in json.loads(values["problems"])),
            host=values["host"],
            pid=values["pid"],
            case_reference=values["case_reference"] or "",
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise JournalError(
            f"The journal {source} holds a damaged entry for job {values['id']}: "
            "move the journal aside, a new one will be created."
        ) from exc


def _optional_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# --------------------------------------------------------------------------------------------
# A case's processed workbooks, for a review


def done_jobs_of_case(
    state: Path, root: Path, case_reference: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT
) -> list[JobRecord]:
    """Every host's done jobs of one case reference, each job once, oldest finished first.

    Journals of schema 1 record no case reference and are passed over.
    """
    clause = "WHERE state = 'done' AND case_reference = ?"
    found: dict[str, JobRecord] = {}
    for path in journal_files(state):
        if _schema_version(path, busy_timeout) < SCHEMA_VERSION:
            continue
        for row in read_rows(path, clause, (case_reference,), busy_timeout):
            record = record_from(row, root, path)
            found.setdefault(record.id, record)
    return sorted(found.values(), key=lambda job: job.finished_at or job.claimed_at)


def _schema_version(path: Path, busy_timeout: float) -> int:
    try:
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=busy_timeout
        )
        try:
            version: int = connection.execute("PRAGMA user_version").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise JournalError(plain_sqlite_error(exc, "read", path)) from exc
    return version


@dataclass(frozen=True)
class ProcessedOfCase:
    """Finds the workbooks of a case reference this root has processed, oldest first.

    Called with the case reference once the workbook is validated, in the worker process
    (a plain value, so it travels there); only files inside the root's processed/ folder are
    offered, whatever a journal entry says, and each is named as staff find it there.
    """

    state: Path
    root: Path
    processed: Path
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT

    def __call__(self, case_reference: str) -> list[EarlierWorkbook]:
        """The candidate earlier workbooks; JournalError when a journal cannot be read, or when
        processed/ is no longer a plain folder of the root (a link to another team's)."""
        self._check_processed_is_plain()
        jobs = done_jobs_of_case(self.state, self.root, case_reference, self.busy_timeout)
        return [
            EarlierWorkbook(job.final_path, f"{self.processed.name}/{job.final_path.name}")
            for job in jobs
            if job.final_path is not None and self._inside_processed(job.final_path)
        ]

    def _check_processed_is_plain(self) -> None:
        # The reader refuses a link as the file itself; a processed/ folder swapped for a link
        # after the service started would lead it into another folder, so it is checked here.
        try:
            mode = os.lstat(self.processed).st_mode
        except OSError as exc:
            raise JournalError(f"the processed folder cannot be read ({exc.strerror})") from exc
        if not stat.S_ISDIR(mode):
            raise JournalError(
                f"{self.processed} is not a plain folder (a link?), so no earlier workbook is "
                "read from it"
            )

    def _inside_processed(self, path: Path) -> bool:
        # A NUL in a journal's path cannot name a file: such an entry is not offered.
        plain = ".." not in path.parts and "\0" not in str(path)
        return plain and path.parent == self.processed
