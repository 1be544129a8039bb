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

import contextlib
import json
import logging
import os
import re
import socket
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from sos_docs.errors import JournalError
from sos_docs.files import new_file_mode
from sos_docs.model import Level, Problem

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

LEGACY_JOURNAL_FILE = "journal.sqlite3"  # the one journal all hosts shared, before schema 2
JOURNAL_GLOB = "journal-*.sqlite3"
MAX_HOST_NAME = 64
# Schema 2: problems without their message text; each job's case reference.
SCHEMA_VERSION: Final = 2


def journal_name(host: str) -> str:
    """The file name of one host's journal: `journal-<host>.sqlite3`, with a safe host name."""
    safe = re.sub(r"[^a-z0-9._-]+", "_", host.lower()).strip("._-")[:MAX_HOST_NAME]
    return f"journal-{safe or 'unknown'}.sqlite3"


JOURNAL_FILE = journal_name(socket.gethostname())  # this host's, inside <root>/.sos-docs/
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
    pid           INTEGER NOT NULL,
    case_reference TEXT NOT NULL DEFAULT ''
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
    problems: tuple[Problem, ...]  # code, level, sheet and cell; the message is always ""
    host: str
    pid: int
    case_reference: str = ""  # of a processed workbook

    @property
    def finished(self) -> bool:
        """True once the workbook has reached processed/ or rejected/."""
        return self.state not in UNFINISHED_STATES


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
        self._create_folder = create_folder
        self._busy_timeout = busy_timeout
        self._take_over_legacy()
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
                # Deleted and rewritten rows are overwritten with zeros, not left in free pages.
                connection.execute("PRAGMA secure_delete = ON")
                self._ensure_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _ensure_schema(self, connection: sqlite3.Connection) -> None:
        """Create the tables on first use, migrate an older journal, refuse a newer one."""
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise JournalError(_newer_version_message(self.path))
        with _transaction(connection):
            # Checked again inside the lock: another process may have just done it.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                logger.info("created the job journal %s", self.path)
            elif version < SCHEMA_VERSION:
                _migrate(connection, version)
                logger.info("removed the problems' message text from the journal %s", self.path)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        if version not in (0, SCHEMA_VERSION):
            # Rebuilt and checkpointed, so that no old page still holds the removed text.
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _take_over_legacy(self) -> None:
        """Make the shared journal of an older sos-docs this host's, if it has none yet.

        The shared file is copied whole (with what its write-ahead log holds) under this
        host's name, then removed; two hosts taking it over at once each get a copy, and
        `read_all_jobs` shows each job once.
        """
        legacy = self.path.with_name(LEGACY_JOURNAL_FILE)
        if not self.path.name.startswith("journal-") or self.path.exists():
            return
        if not legacy.is_file():
            return
        copy = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        with self._translated("take over"):
            source = sqlite3.connect(legacy, timeout=self._busy_timeout)
            try:
                source.execute("VACUUM INTO ?", (str(copy),))
            finally:
                source.close()
            try:
                copy.chmod(new_file_mode(self.path.parent))
                with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                    os.link(copy, self.path)
            finally:
                copy.unlink()
            for leftover in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    legacy.with_name(legacy.name + leftover).unlink()
        logger.info("took over the shared journal %s as %s", legacy, self.path.name)

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
        with self._translated("write to"), _transaction(self._connection):
            self._adopt_if_unknown(job_id)
            self._connection.execute(
                "UPDATE jobs SET state = ?, outcome = ?, finished_at = ?, final_path = ?,"
                " problems = ?, case_reference = ? WHERE id = ?",
                (
                    state,
                    outcome,
                    _now(),
                    self._relative(final_path),
                    json.dumps([_problem_as_json(p) for p in problems]),
                    case_reference,
                    job_id,
                ),
            )

    def remove_finished_before(self, cutoff: datetime, *, dry_run: bool = False) -> int:
        """Delete finished jobs that ended before `cutoff` (retention); returns how many."""
        where = "WHERE state IN ('done', 'rejected') AND finished_at < ?"
        parameters = (cutoff.astimezone(UTC).isoformat(timespec="milliseconds"),)
        with self._translated("write to"), _transaction(self._connection):
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
        return _record_from(row, self.root, self.path)

    def _adopt_if_unknown(self, job_id: str) -> None:
        """Copy a job another host started into this journal (inside a write transaction).

        Raises JournalError when no journal beside this one knows the job either.
        """
        if self._connection.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone():
            return
        for other in journal_files(self.path.parent):
            if other == self.path:
                continue
            rows = _read_rows(other, "WHERE id = ?", (job_id,), self._busy_timeout)
            if rows:
                names = ", ".join(_COLUMN_NAMES)
                marks = ", ".join("?" * len(_COLUMN_NAMES))
                self._connection.execute(f"INSERT INTO jobs ({names}) VALUES ({marks})", rows[0])
                return
        raise JournalError(f"There is no job {job_id} in the journal {self.path}.")

    def _relative(self, path: Path) -> str:
        """The path relative to root with '/' separators, or absolute if it is elsewhere."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

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
    "case_reference",
)
_COLUMNS = ", ".join(_COLUMN_NAMES)


# --------------------------------------------------------------------------------------------
# Every host's journal, read-only


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
        _record_from(row, root, path)
        for path in journal_files(state)
        for row in _read_rows(path, "", (), busy_timeout)
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


def _read_rows(
    path: Path, clause: str, parameters: tuple[Any, ...], busy_timeout: float
) -> list[tuple[Any, ...]]:
    """Rows of one journal opened read-only, in _COLUMN_NAMES order, whatever its schema."""
    try:
        connection = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=busy_timeout
        )
    except sqlite3.Error as exc:
        raise JournalError(_plain_sqlite_error(exc, "read", path)) from exc
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(_newer_version_message(path))
        if version == 0:
            return []
        present = {row[1] for row in connection.execute("PRAGMA table_info(jobs)")}
        columns = ", ".join(c if c in present else f"'' AS {c}" for c in _COLUMN_NAMES)
        return connection.execute(f"SELECT {columns} FROM jobs {clause}", parameters).fetchall()
    except sqlite3.Error as exc:
        raise JournalError(_plain_sqlite_error(exc, "read", path)) from exc
    finally:
        connection.close()


def _record_from(row: tuple[Any, ...], root: Path, source: Path) -> JobRecord:
    """A JobRecord from a row, with stored relative paths made absolute under root."""
    values = dict(zip(_COLUMN_NAMES, row, strict=True))

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
            problems=tuple(_problem_from_json(p) for p in json.loads(values["problems"])),
            host=values["host"],
            pid=values["pid"],
            case_reference=values["case_reference"] or "",
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise JournalError(
            f"The journal {source} holds a damaged entry for job {values['id']}: "
            "move the journal aside, a new one will be created."
        ) from exc


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """Bring a journal of an older schema up to this one (inside a write transaction)."""
    if version < 2:
        connection.execute("ALTER TABLE jobs ADD COLUMN case_reference TEXT NOT NULL DEFAULT ''")
        rows = connection.execute("SELECT id, problems FROM jobs").fetchall()
        for job_id, problems in rows:
            try:
                kept = [_problem_as_json(_problem_from_json(p)) for p in json.loads(problems)]
            except (ValueError, KeyError, TypeError):
                kept = []  # a damaged list: nothing in it is worth keeping
            connection.execute(
                "UPDATE jobs SET problems = ? WHERE id = ?", (json.dumps(kept), job_id)
            )


def _newer_version_message(path: Path) -> str:
    return (
        f"The journal {path} was written by a newer version of sos-docs. "
        "Upgrade sos-docs on this computer, or move the journal aside to start a new one."
    )


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
    """What the journal keeps of a problem: never its message, which may quote a cell."""
    return {
        "code": problem.code,
        "level": problem.level.value,
        "sheet": problem.sheet,
        "cell": problem.cell,
    }


def _problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        code=data["code"],
        level=Level(data["level"]),
        sheet=data["sheet"],
        cell=data["cell"],
        message="",
    )
