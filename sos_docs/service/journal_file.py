"""One journal's SQLite file: opened safely, its schema made or migrated, its errors in plain words.

The file is created with its folder's permissions before SQLite opens it; the shared journal of
an older sos-docs is taken over; SQLite's errors are put into words an administrator can act on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from sos_docs.errors import JournalError
from sos_docs.files import new_file_mode
from sos_docs.model import Level, Problem

__all__ = [
    "DEFAULT_BUSY_TIMEOUT",
    "LEGACY_JOURNAL_FILE",
    "SCHEMA_VERSION",
    "connect",
    "newer_version_message",
    "plain_sqlite_error",
    "problem_as_json",
    "problem_from_json",
    "take_over_legacy",
    "transaction",
    "translated",
]

logger = logging.getLogger(__name__)

LEGACY_JOURNAL_FILE = "journal.sqlite3"  # the one journal all hosts shared, before schema 2
# Schema 2: problems without their message text; each job's case reference.
SCHEMA_VERSION: Final = 2
DEFAULT_BUSY_TIMEOUT = 10.0  # seconds to wait for another service holding the journal

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


def connect(
    path: Path, busy_timeout: float, *, wal: bool, create_folder: bool
) -> sqlite3.Connection:
    """Connect, set the journal mode, and create or check the schema."""
    with translated("open", path):
        _create_file_privately(path, create_folder=create_folder)
        # isolation_level=None: transactions are explicit, and writes start with
        # BEGIN IMMEDIATE so two services wait for each other instead of deadlocking.
        connection = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
    try:
        with translated("open", path):
            _configure_when_free(connection, path, busy_timeout, wal=wal)
    except BaseException:
        connection.close()
        raise
    return connection


def _configure_when_free(
    connection: sqlite3.Connection, path: Path, busy_timeout: float, *, wal: bool
) -> None:
    """Set the journal's mode and schema, waiting while another service does the same.

    SQLite answers "database is locked" at once, without waiting the busy timeout, when two
    processes set the journal mode of a new journal at the same moment; so that is tried again
    until the busy timeout has passed.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            connection.execute(f"PRAGMA journal_mode = {'WAL' if wal else 'DELETE'}")
            connection.execute("PRAGMA synchronous = FULL")
            # Deleted and rewritten rows are overwritten with zeros, not left in free pages.
            connection.execute("PRAGMA secure_delete = ON")
            _ensure_schema(connection, path)
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _ensure_schema(connection: sqlite3.Connection, path: Path) -> None:
    """Create the tables on first use, migrate an older journal, refuse a newer one."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise JournalError(newer_version_message(path))
    with transaction(connection):
        # Checked again inside the lock: another process may have just done it.
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            logger.info("created the job journal %s", path)
        elif version < SCHEMA_VERSION:
            _migrate(connection, version)
            logger.info("removed the problems' message text from the journal %s", path)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    if version not in (0, SCHEMA_VERSION):
        # Rebuilt and checkpointed, so that no old page still holds the removed text.
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def take_over_legacy(path: Path, busy_timeout: float) -> None:
    """Make the shared journal of an older sos-docs this host's, if it has none yet.

    The shared file is copied whole (with what its write-ahead log holds) under this
    host's name, then removed; two hosts taking it over at once each get a copy, and
    `read_all_jobs` shows each job once.
    """
    legacy = path.with_name(LEGACY_JOURNAL_FILE)
    if not path.name.startswith("journal-") or path.exists():
        return
    if not legacy.is_file():
        return
    copy = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with translated("take over", path):
        source = sqlite3.connect(legacy, timeout=busy_timeout)
        try:
            source.execute("VACUUM INTO ?", (str(copy),))
        finally:
            source.close()
        try:
            copy.chmod(new_file_mode(path.parent))
            with contextlib.suppress(FileExistsError):  # another process made it meanwhile
                os.link(copy, path)
        finally:
            copy.unlink()
        for leftover in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                legacy.with_name(legacy.name + leftover).unlink()
    logger.info("took over the shared journal %s as %s", legacy, path.name)


@contextlib.contextmanager
def translated(action: str, path: Path) -> Iterator[None]:
    """Turn sqlite3 and OS errors into JournalError with what to do about them."""
    try:
        yield
    except sqlite3.Error as exc:
        raise JournalError(plain_sqlite_error(exc, action, path)) from exc
    except OSError as exc:
        raise JournalError(
            f"sos-docs could not {action} the journal {path}: {exc.strerror or exc}. "
            "Check that the folder exists and the service may write to it."
        ) from exc


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """Bring a journal of an older schema up to this one (inside a write transaction)."""
    if version < 2:
        connection.execute("ALTER TABLE jobs ADD COLUMN case_reference TEXT NOT NULL DEFAULT ''")
        rows = connection.execute("SELECT id, problems FROM jobs").fetchall()
        for job_id, problems in rows:
            try:
                kept = [problem_as_json(problem_from_json(p)) for p in json.loads(problems)]
            except (ValueError, KeyError, TypeError):
                kept = []  # a damaged list: nothing in it is worth keeping
            connection.execute(
                "UPDATE jobs SET problems = ? WHERE id = ?", (json.dumps(kept), job_id)
            )


def newer_version_message(path: Path) -> str:
    return (
        f"The journal {path} was written by a newer version of sos-docs. "
        "Upgrade sos-docs on this computer, or move the journal aside to start a new one."
    )


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[None]:
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


def plain_sqlite_error(exc: sqlite3.Error, action: str, path: Path) -> str:
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


def problem_as_json(problem: Problem) -> dict[str, str | None]:
    """What the journal keeps of a problem: never its message, which may quote a cell."""
    return {
        "code": problem.code,
        "level": problem.level.value,
        "sheet": problem.sheet,
        "cell": problem.cell,
    }


def problem_from_json(data: dict[str, Any]) -> Problem:
    return Problem(
        code=data["code"],
        level=Level(data["level"]),
        sheet=data["sheet"],
        cell=data["cell"],
        message="",
    )
