"""The job journal: an SQLite record of every workbook taken, answering "what happened to my file?".

Each job moves claimed -> working -> done | rejected (an internal failure is recorded as
rejected, outcome "failed-internal"). Outputs are recorded as each document is placed, so that
after a crash the next start knows what already exists (docs/hot-folder.md, guarantees 5
and 7).
Paths are stored relative to the watched folder, so that two servers mounting one share at
different places read the same journal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from sos_docs.deliver import new_file_mode
from sos_docs.errors import JournalError
from sos_docs.model import Level, Problem

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "JOURNAL_FILE",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "STATES",
    "JobRecord",
    "Journal",
]

logger = logging.getLogger(__name__)

JOURNAL_FILE = "journal.sqlite3"  # inside <root>/.sos-docs/
SCHEMA_VERSION: Final = 1
DEFAULT_BUSY_TIMEOUT = 10.0  # seconds to wait for another service holding the journal
STATES = ("claimed", "working", "done", "rejected")
OUTCOMES = ("done", "rejected", "failed-internal")
UNFINISHED_STATES = ("claimed", "working")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id            TEXT PRIMARY KEY,
    file_name     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('claimed', 'working', 'done', 'rejected')),
    claimed_at    TEXT NOT NULL,
    finished_at   TEXT,
    outcome       TEXT,
    work_path     TEXT NOT NULL,
    final_path    TEXT,
    outputs       TEXT NOT NULL DEFAULT '[]',
    problems      TEXT NOT NULL DEFAULT '[]',
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_hash ON jobs (content_hash);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_by_time ON jobs (claimed_at);
"""


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
    problems: tuple[Problem, ...]
    host: str
    pid: int

    @property
    def finished(self) -> bool:
        """True once the workbook has reached processed/ or rejected/."""
        return self.state not in UNFINISHED_STATES


class Journal:
    """The journal database of one watched folder; one per thread, used as a context manager.

    `root` is the watched folder that stored paths are relative to; by default the folder
    above the journal's own (`<root>/.sos-docs/journal.sqlite3`). `wal=False` uses SQLite's
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
        self._create_folder = create_folder
        self._connection = self._open(busy_timeout, wal)

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

    def _open(self, busy_timeout: float, wal: bool) -> sqlite3.Connection:
        """Connect, set the journal mode, and create or check the schema."""
        with self._translated("open"):
            _create_file_privately(self.path, create_folder=self._create_folder)
            # isolation_level=None: transactions are explicit, and writes start with
            # BEGIN IMMEDIATE so two services wait for each other instead of deadlocking.
            connection = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
        try:
            with self._translated("open"):
                connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                connection.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
                connection.execute("PRAGMA synchronous = FULL")
                self._ensure_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _ensure_schema(self, connection: sqlite3.Connection) -> None:
        """Create the tables on first use; refuse a journal written by a newer sos-docs."""
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"The journal {self.path} was written by a newer version of sos-docs. "
                "Upgrade sos-docs on this computer, or move the journal aside to start a new one."
            )
        with _transaction(connection):
            # Checked again inside the lock: another service may have just created it.
            if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                logger.info("created the job journal %s", self.path)

    # ---- writing

    def start_job(self, file_name: str, content_hash: str, work_path: Path) -> str:
        """Record a workbook just claimed into the work area; returns the new job's id."""
        job_id = uuid.uuid4().hex
        with self._translated("write to"):
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
        with self._translated("write to"), _transaction(self._connection):
            known = json.loads(self._column(job_id, "outputs"))
            known += [p for p in map(self._relative, outputs) if p not in known]
            self._connection.execute(
                "UPDATE jobs SET outputs = ?, state = 'working' WHERE id = ?",
                (json.dumps(known), job_id),
            )

    def finish(
        self, job_id: str, outcome: str, final_path: Path, problems: Sequence[Problem]
    ) -> None:
        """Record where the workbook ended and why: outcome done, rejected or failed-internal."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        state = "done" if outcome == "done" else "rejected"
        with self._translated("write to"), _transaction(self._connection):
            self._column(job_id, "id")  # raises JournalError for an unknown job
            self._connection.execute(
                "UPDATE jobs SET state = ?, outcome = ?, finished_at = ?, final_path = ?,"
                " problems = ? WHERE id = ?",
                (
                    state,
                    outcome,
                    _now(),
                    self._relative(final_path),
                    json.dumps([_problem_as_json(p) for p in problems]),
                    job_id,
                ),
            )

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
        with self._translated("read"):
            rows = self._connection.execute(
                "SELECT state, COUNT(*) FROM jobs GROUP BY state"
            ).fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update(dict(rows))
        return counts

    # ---- helpers

    def _select(self, clause: str, parameters: tuple[Any, ...] = ()) -> list[JobRecord]:
        with self._translated("read"):
            cursor = self._connection.execute(f"SELECT {_COLUMNS} FROM jobs {clause}", parameters)
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
        """A JobRecord from a row, with stored relative paths made absolute under root."""
        values = dict(zip(_COLUMN_NAMES, row, strict=True))
        try:
            return JobRecord(
                id=values["id"],
                file_name=values["file_name"],
                content_hash=values["content_hash"],
                state=values["state"],
                claimed_at=datetime.fromisoformat(values["claimed_at"]),
                finished_at=_optional_time(values["finished_at"]),
                outcome=values["outcome"],
                work_path=self._absolute(values["work_path"]),
                final_path=self._absolute(values["final_path"]) if values["final_path"] else None,
                outputs=tuple(self._absolute(p) for p in json.loads(values["outputs"])),
                problems=tuple(_problem_from_json(p) for p in json.loads(values["problems"])),
                host=values["host"],
                pid=values["pid"],
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalError(
                f"The journal {self.path} holds a damaged entry for job {values['id']}: "
                "move the journal aside, a new one will be created."
            ) from exc

    def _relative(self, path: Path) -> str:
        """The path relative to root with '/' separators, or absolute if it is elsewhere."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def _absolute(self, stored: str) -> Path:
        return self.root / stored  # an absolute stored path replaces root

    @contextlib.contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Turn sqlite3 and OS errors into JournalError with what to do about them."""
        try:
            yield
        except sqlite3.Error as exc:
            raise JournalError(_plain_sqlite_error(exc, action, self.path)) from exc
        except OSError as exc:
            raise JournalError(
                f"sos-docs could not {action} the journal {self.path}: {exc.strerror or exc}. "
                "Check that the folder exists and the service may write to it."
            ) from exc


_COLUMN_NAMES = (
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
)
_COLUMNS = ", ".join(_COLUMN_NAMES)


@contextlib.contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        # Also after a failed COMMIT, which would otherwise leave the transaction open.
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise


def _create_file_privately(path: Path, *, create_folder: bool = True) -> None:
    """Create the journal file with permissions no wider than its folder before SQLite does.

    SQLite would create it 0644 whatever the folder; its -wal and -shm files copy the
    permissions of the database file. Without `create_folder`, a missing folder is an error.
    """
    if create_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, new_file_mode(path.parent))
        os.close(fd)


def _plain_sqlite_error(exc: sqlite3.Error, action: str, path: Path) -> str:
    """What went wrong with the journal, in words an administrator can act on."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            f"The journal {path} is locked by another process and did not become free in time. "
            "Check that no other program has it open, then try again."
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return (
            f"The journal {path} is damaged: move it aside, a new one will be created. "
            "No workbook or document is affected."
        )
    if "readonly" in text or "read-only" in text:
        return f"The journal {path} is read-only: ask IT to let the sos-docs service write to it."
    if "full" in text or ("disk i/o" in text and _no_space_left(path)):
        # With write-ahead logging a full disk often shows only as "disk I/O error".
        return f"The disk holding the journal {path} is full: free some space, then try again."
    if "unable to open" in text:
        return (
            f"sos-docs could not open the journal {path}: check that the folder exists and "
            "the service may write to it."
        )
    return f"sos-docs could not {action} the journal {path}: {exc}. Please tell IT."


def _no_space_left(path: Path) -> bool:
    """True when the file system holding `path` has no block left for the service."""
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _optional_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _problem_as_json(problem: Problem) -> dict[str, str | None]:
    return {
        "code": problem.code,
        "level": problem.level.value,
        "sheet": problem.sheet,
        "cell": problem.cell,
        "message": problem.message,
    }


def _problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        code=data["code"],
        level=Level(data["level"]),
        sheet=data["sheet"],
        cell=data["cell"],
        message=data["message"],
    )
