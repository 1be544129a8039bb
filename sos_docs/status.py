"""What a watched folder holds and what happened lately: the data and the text of `sos-docs status`.

Folder counts come from the folders themselves (what staff see); the last jobs come from the
journal. Reading the status never creates or changes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from sos_docs.errors import ConfigError
from sos_docs.filters import DefaultFilter
from sos_docs.jobs import JobInWork, WatchedRoot, jobs_in_work
from sos_docs.journal import JobRecord, Journal
from sos_docs.logs import escape_text

__all__ = ["DEFAULT_RECENT", "FolderCounts", "Status", "read_status", "status_json", "status_text"]

DEFAULT_RECENT = 10
_MARKED_COPY = re.compile(r" - marked( \(\d+\))?$")
_OUTCOME_WORDS = {"done": "processed", "rejected": "rejected", "failed-internal": "failed"}


@dataclass(frozen=True)
class FolderCounts:
    """How many workbooks are in each place."""

    waiting: int
    in_work: int
    processed: int
    rejected: int


@dataclass(frozen=True)
class Status:
    """A watched folder's counts, its jobs in work, and its latest jobs, newest first."""

    root: Path
    counts: FolderCounts
    in_work: tuple[JobInWork, ...]
    recent: tuple[JobRecord, ...]


def read_status(root: WatchedRoot, limit: int = DEFAULT_RECENT) -> Status:
    """Count the folders and read the last jobs; ConfigError if the root is not there."""
    if not root.path.is_dir():
        raise ConfigError(
            f"There is no folder {root.path}. Give the folder that `sos-docs watch` watches."
        )
    in_work = tuple(jobs_in_work(root))
    counts = FolderCounts(
        waiting=_count_workbooks(root.inbox),
        in_work=len(in_work),
        processed=_count_workbooks(root.processed),
        rejected=_count_workbooks(root.rejected),
    )
    return Status(root.path, counts, in_work, _recent_jobs(root, limit))


def _count_workbooks(folder: Path) -> int:
    """Workbook-like files in a folder, leaving out marked-up copies and lock files."""
    accepts = DefaultFilter()
    try:
        names = [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return 0
    return sum(1 for p in names if accepts(p) and not _MARKED_COPY.search(PurePath(p).stem))


def _recent_jobs(root: WatchedRoot, limit: int) -> tuple[JobRecord, ...]:
    """The journal's latest jobs; none when the folder has never been watched."""
    if not root.journal_path.is_file():
        return ()
    with Journal(root.journal_path, root=root.path) as journal:
        return tuple(journal.recent(limit))


# --------------------------------------------------------------------------------------------
# Text and JSON


def status_text(status: Status) -> str:
    """The status as a few aligned lines for people; every name and reason shown escaped."""
    counts = status.counts
    lines = [
        f"Watched folder: {escape_text(str(status.root))}",
        f"  Waiting in the inbox: {counts.waiting}",
        f"  In work:              {counts.in_work}",
        *(f"      {escape_text(job.name)}: {_work_state(job)}" for job in status.in_work),
        f"  Processed:            {counts.processed}",
        f"  Rejected:             {counts.rejected}",
        "",
    ]
    if not status.recent:
        lines.append("No jobs yet.")
        return "\n".join(lines)
    lines.append(f"Last {len(status.recent)} jobs (newest first):")
    for job in status.recent:
        name = escape_text(job.file_name)
        lines.append(f"  {_when(job):%Y-%m-%d %H:%M}  {_outcome(job):<9}  {name}")
        target = job.final_path or job.work_path
        lines.append(f"      workbook: {escape_text(_shown(status.root, target))}")
        lines += [f"      made: {escape_text(_shown(status.root, out))}" for out in job.outputs]
    return "\n".join(lines)


def status_json(status: Status) -> dict[str, Any]:
    """The status as JSON-ready data for scripts."""
    return {
        "root": str(status.root),
        "counts": {
            "waiting": status.counts.waiting,
            "in_work": status.counts.in_work,
            "processed": status.counts.processed,
            "rejected": status.counts.rejected,
        },
        "in_work": [
            {"file": job.name, "waiting_because": job.waiting_because or None}
            for job in status.in_work
        ],
        "recent": [
            {
                "id": job.id,
                "file": job.file_name,
                "outcome": _outcome(job),
                "claimed_at": job.claimed_at.isoformat(),
                "finished_at": job.finished_at.isoformat() if job.finished_at else None,
                "workbook": _shown(status.root, job.final_path) if job.final_path else None,
                "outputs": [_shown(status.root, output) for output in job.outputs],
                "problems": [p.code for p in job.problems],
            }
            for job in status.recent
        ],
    }


def _work_state(job: JobInWork) -> str:
    """Being processed, or waiting to be retried and why."""
    if job.waiting_because:
        return f"waiting to be retried: {escape_text(job.waiting_because)}"
    return "being processed"


def _outcome(job: JobRecord) -> str:
    """processed, rejected, failed (an internal error), or in work."""
    if not job.finished or job.outcome is None:
        return "in work"
    return _OUTCOME_WORDS.get(job.outcome, job.outcome)


def _when(job: JobRecord) -> datetime:
    """When the job finished (or was claimed, if it has not), in local time."""
    return (job.finished_at or job.claimed_at).astimezone()


def _shown(root: Path, path: Path) -> str:
    """A path relative to the watched folder, with '/' separators."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
