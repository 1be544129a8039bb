"""The job journal: an SQLite record of every workbook taken, answering "what happened to my file?".

Each job moves claimed -> working -> done | rejected (an internal failure is recorded as
rejected, outcome "failed-internal"). Outputs are recorded as each document is placed, so that
after a crash the next start knows what already exists (docs/hot-folder.md, guarantees 5
and 7).
Paths are stored relative to the watched folder, so that two servers mounting one share at
different places read the same journal.

Each host writes a journal of its own, `.sos-docs/journal-<host>.sqlite3`: SQLite's locking is
not to be trusted on network file systems, so no two hosts ever write one file. `sos-docs
status` reads every host's journal read-only and merges them (`read_all_jobs`); a host that
takes up a job another host started copies its entry into its own journal first. The shared
`journal.sqlite3` of earlier sos-docs versions is taken over by the first host to start without a
journal of its own (copied, migrated, then removed); one that appears later is read as history.

A problem is kept as its code, level, sheet and cell: never its message, which may quote a cell
(a name, a date of birth). Schema 1 journals lose their message text when first opened.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sos_docs.errors import JournalError
from sos_docs.model import Problem
from sos_docs.service.journal_file import (
    DEFAULT_BUSY_TIMEOUT,
    LEGACY_JOURNAL_FILE,
    SCHEMA_VERSION,
    connect,
    problem_as_json,
    take_over_legacy,
    transaction,
    translated,
)
from sos_docs.service.journal_hosts import (
    COLUMN_NAMES,
    JobRecord,
    journal_files,
    read_all_jobs,
    read_rows,
    record_from,
)

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "JOURNAL_FILE",
    "LEGACY_JOURNAL_FILE",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "STATES",
    "JobRecord",
    "Journal",
    "journal_files",
    "journal_name",
    "read_all_jobs",
]

logger = logging.getLogger(__name__)

MAX_HOST_NAME = 64


def journal_name(host: str) -> str:
    """The file name of one host's journal: `journal-<host>.sqlite3`, with a safe host name."""
    safe = re.sub(r"[^a-z0-9._-]+", "_", host.lower()).strip("._-")[:MAX_HOST_NAME]
    return f"journal-{safe or 'unknown'}.sqlite3"


JOURNAL_FILE = journal_name(socket.gethostname())  # this host's, inside <root>/.sos-docs/
STATES = ("claimed", "working", "done", "rejected")
OUTCOMES = ("done", "rejected", "failed-internal")
COLUMNS = ", ".join(COLUMN_NAMES)


class Journal:
    """One host's journal of one watched folder; one per thread, used as a context manager.

    `root` is the watched folder that stored paths are relative to; by default the folder
    above the journal's own (`<root>/.sos-docs/journal-<host>.sqlite3`). `wal=False` uses SQLite's
    rollback journal instead, for a journal on a network share, where WAL cannot work.
    `create_folder=False` refuses to create the journal's folder: a running service uses it so
    that a share that has dropped is not given a new, empty journal on the local disk.
    """

    def __init__(
        self,
        path: Path,
        *,
        root: Path | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        wal: bool = True,
        create_folder: bool = True,
    ) -> None:
        self.path = path
        self.root = root if root is not None else path.parent.parent
        self._busy_timeout = busy_timeout
        take_over_legacy(path, busy_timeout)
        self._connection = connect(path, busy_timeout, wal=wal, create_folder=create_folder)

    # ---- opening and closing

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; the journal cannot be used afterwards."""
        self._connection.close()

    # ---- writing

    def start_job(self, file_name: str, content_hash: str, work_path: Path) -> str:
        """Record a workbook just claimed into the work area; returns the new job's id."""
        job_id = uuid.uuid4().hex
        with translated("write to", self.path):
            self._connection.execute(
                "INSERT INTO jobs (id, file_name, content_hash, state, claimed_at, work_path,"
                " host, pid) VALUES (?, ?, ?, 'claimed', ?, ?, ?, ?)",
                (
                    job_id,
                    file_name,
                    content_hash,
                    _now(),
                    self._relative(work_path),
                    socket.gethostname(),
                    os.getpid(),
                ),
            )
        return job_id

    def record_outputs(self, job_id: str, outputs: Sequence[Path]) -> None:
        """Add documents just placed to the job (and mark it working); safe to repeat."""
        with translated("write to", self.path), transaction(self._connection):
            self._adopt_if_unknown(job_id)
            known = json.loads(self._column(job_id, "outputs"))
            known += [p for p in map(self._relative, outputs) if p not in known]
            self._connection.execute(
                "UPDATE jobs SET outputs = ?, state = 'working' WHERE id = ?",
                (json.dumps(known), job_id),
            )

    def finish(
        self,
        job_id: str,
        outcome: str,
        final_path: Path,
        problems: Sequence[Problem],
        case_reference: str = "",
    ) -> None:
        """Record where the workbook ended and why: outcome done, rejected or failed-internal.

        Problems are kept without their message text, which may quote a cell.
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        state = "done" if outcome == "done" else "rejected"
        with translated("write to", self.path), transaction(self._connection):
            self._adopt_if_unknown(job_id)
            self._connection.execute(
                "UPDATE jobs SET state = ?, outcome = ?, finished_at = ?, final_path = ?,"
                " problems = ?, case_reference = ? WHERE id = ?",
                (
                    state,
                    outcome,
                    _now(),
                    self._relative(final_path),
                    json.dumps([problem_as_json(p) for p in problems]),
                    case_reference,
                    job_id,
                ),
            )

    def remove_finished_before(self, cutoff: datetime, *, dry_run: bool = False) -> int:
        """Delete finished jobs that ended before `cutoff` (retention); returns how many."""
        where = "WHERE state IN ('done', 'rejected') AND finished_at < ?"
        parameters = (cutoff.astimezone(UTC).isoformat(timespec="milliseconds"),)
        with translated("write to", self.path), transaction(self._connection):
            count: int = self._connection.execute(
                f"SELECT COUNT(*) FROM jobs {where}", parameters
            ).fetchone()[0]
            if count and not dry_run:
                self._connection.execute(f"DELETE FROM jobs {where}", parameters)
        return count

    # ---- reading

    def get(self, job_id: str) -> JobRecord | None:
        """One job by id, or None."""
        found = self._select("WHERE id = ?", (job_id,))
        return found[0] if found else None

    def unfinished(self, *, host: str | None = None) -> list[JobRecord]:
        """Jobs claimed but not finished (on one host, if given), oldest first, for recovery."""
        where = "WHERE state IN ('claimed', 'working')"
        if host is None:
            return self._select(f"{where} ORDER BY claimed_at, rowid")
        return self._select(f"{where} AND host = ? ORDER BY claimed_at, rowid", (host,))

    def recent(self, limit: int = 20) -> list[JobRecord]:
        """The latest jobs, newest first."""
        return self._select("ORDER BY claimed_at DESC, rowid DESC LIMIT ?", (limit,))

    def find_by_hash(self, content_hash: str) -> list[JobRecord]:
        """Every job of a workbook with exactly this content, oldest first."""
        return self._select("WHERE content_hash = ? ORDER BY claimed_at, rowid", (content_hash,))

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state (every state listed, zero included)."""
        with translated("read", self.path):
            rows = self._connection.execute(
                "SELECT state, COUNT(*) FROM jobs GROUP BY state"
            ).fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update(dict(rows))
        return counts

    # ---- helpers

    def _select(self, clause: str, parameters: tuple[Any, ...] = ()) -> list[JobRecord]:
        with translated("read", self.path):
            cursor = self._connection.execute(f"SELECT {COLUMNS} FROM jobs {clause}", parameters)
            rows = cursor.fetchall()
        return [self._record(row) for row in rows]

    def _column(self, job_id: str, column: str) -> Any:
        row = self._connection.execute(
            f"SELECT {column} FROM jobs WHERE id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise JournalError(f"There is no job {job_id} in the journal {self.path}.")
        return row[0]

    def _record(self, row: tuple[Any, ...]) -> JobRecord:
        return record_from(row, self.root, self.path)

    def _adopt_if_unknown(self, job_id: str) -> None:
        """Copy a job another host started into this journal (inside a write transaction).

        Raises JournalError when no journal beside this one knows the job either.
        """
        if self._connection.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
            return
        for other in journal_files(self.path.parent):
            if other == self.path:
                continue
            rows = read_rows(other, "WHERE id = ?", (job_id,), self._busy_timeout)
            if rows:
                names = ", ".join(COLUMN_NAMES)
                marks = ", ".join("?" * len(COLUMN_NAMES))
                self._connection.execute(f"INSERT INTO jobs ({names}) VALUES ({marks})", rows[0])
                return
        raise JournalError(f"There is no job {job_id} in the journal {self.path}.")

    def _relative(self, path: Path) -> str:
        """The path relative to root with '/' separators, or absolute if it is elsewhere."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
