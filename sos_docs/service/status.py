"""What a watched folder holds and what happened lately: the data and the text of `sos-docs status`.

Waiting and in-work counts come from the inbox and the work area (what is there now); processed
and rejected counts and the last jobs come from every host's journal, read-only and merged. A
rejected workbook later processed under the same name (its marked copy, or a numbered copy) or
with the same case reference shows as "rejected, later fixed". The journal keeps problem codes,
not their text; the status says what each code means. Reading the status never creates or
changes anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

from sos_docs import codes
from sos_docs.errors import ConfigError
from sos_docs.model import Problem
from sos_docs.service.inbox_names import HELP_FILE_NAME, ignored_reason
from sos_docs.service.jobs import JobInWork, jobs_in_work
from sos_docs.service.journal import JobRecord, read_all_jobs
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import escape_text
from sos_docs.workbook import explain

__all__ = [
    "DEFAULT_RECENT",
    "FolderCounts",
    "FolderStatus",
    "outcome_words",
    "problem_meaning",
    "read_status",
    "status_json",
    "status_text",
]

DEFAULT_RECENT = 10
# The name sos-docs gives a marked copy in rejected/, and the number it adds to a name taken.
_MARKED_COPY = re.compile(r" - marked( \(\d+\))?$")
_NUMBERED = re.compile(r" \(\d+\)$")
_OUTCOME_WORDS = {"done": "processed", "rejected": "rejected", "failed-internal": "failed"}
_REJECTED_OUTCOMES = ("rejected", "failed-internal")


@dataclass(frozen=True)
class FolderCounts:
    """How many workbooks are in each place."""

    waiting: int
    in_work: int
    processed: int
    rejected: int
    rejected_later_fixed: int = 0  # of the rejected, those processed afterwards


@dataclass(frozen=True)
class FolderStatus:
    """A watched folder's counts, its jobs in work, and its latest jobs, newest first."""

    root: Path
    counts: FolderCounts
    in_work: tuple[JobInWork, ...]
    recent: tuple[JobRecord, ...]
    later_fixed: frozenset[str] = frozenset()  # ids of rejected jobs processed afterwards
    left_alone: tuple[tuple[str, str], ...] = ()  # inbox names the service leaves, and why


def read_status(root: WatchedRoot, limit: int = DEFAULT_RECENT) -> FolderStatus:
    """Count the inbox, the work area and the journal's jobs; ConfigError if the root is not there."""
    if not root.path.is_dir():
        raise ConfigError(
            f"There is no folder {root.path}. Give the folder that `sos-docs watch` watches."
        )
    in_work = tuple(jobs_in_work(root))
    jobs = read_all_jobs(root.state, root.path) if root.state.is_dir() else []
    fixed = _later_fixed(jobs)
    waiting, left_alone = _read_inbox(root.inbox)
    counts = FolderCounts(
        waiting=waiting,
        in_work=len(in_work),
        processed=sum(1 for job in jobs if job.outcome == "done"),
        rejected=sum(1 for job in jobs if job.outcome in _REJECTED_OUTCOMES),
        rejected_later_fixed=len(fixed),
    )
    return FolderStatus(
        root.path, counts, in_work, tuple(jobs[:limit]), frozenset(fixed), left_alone
    )


def _read_inbox(folder: Path) -> tuple[int, tuple[tuple[str, str], ...]]:
    """How many files the service will take, and each name it leaves alone with the reason."""
    waiting = 0
    left_alone: list[tuple[str, str]] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return 0, ()
    for entry in entries:
        if entry.name.casefold() == HELP_FILE_NAME.casefold():
            continue  # the service's own instructions: neither waiting nor worth a mention
        reason = ignored_reason(entry.name) or _not_a_file(entry)
        if reason:
            left_alone.append((entry.name, reason))
        else:
            waiting += 1
    return waiting, tuple(left_alone)


def _not_a_file(entry: Path) -> str | None:
    """Why an entry that is not an ordinary file stays in the inbox (without following links)."""
    if entry.is_symlink():
        return "a shortcut (symbolic link); rejected/ has a note about it"
    if entry.is_dir():
        return "a folder; rejected/ has a note about it"
    if not entry.is_file():
        return "not an ordinary file; rejected/ has a note about it"
    return None


def _later_fixed(jobs: list[JobRecord]) -> set[str]:
    """Ids of rejected jobs whose workbook was processed later: same name or case reference."""
    latest: dict[tuple[str, str], datetime] = {}
    for job in jobs:
        if job.outcome == "done":
            for key in _case_keys(job):
                latest[key] = max(job.claimed_at, latest.get(key, job.claimed_at))
    return {
        job.id
        for job in jobs
        if job.outcome in _REJECTED_OUTCOMES
        and any(latest.get(key, job.claimed_at) > job.claimed_at for key in _case_keys(job))
    }


def _case_keys(job: JobRecord) -> list[tuple[str, str]]:
    """What ties a resubmitted workbook to its rejection: its name, and its case reference."""
    keys = [("name", _name_key(job.file_name))]
    if job.case_reference:
        keys.append(("case", job.case_reference))
    return keys


def _name_key(file_name: str) -> str:
    """`Smith (2) - marked.xlsx` and `smith.xlsm` both give `smith`."""
    stem = PurePath(file_name).stem
    stem = _MARKED_COPY.sub("", stem)
    return _NUMBERED.sub("", stem).strip().casefold()


def problem_meaning(code: str) -> str:
    """What a problem code means, in a few words (the journal keeps codes, never messages,
    which may quote a cell)."""
    known = codes.CODES.get(code)
    if known is None:
        return "see the list of problem codes in docs/workbook-format.md"
    return known.meaning[:1].lower() + known.meaning[1:].rstrip(".")


# --------------------------------------------------------------------------------------------
# Text and JSON


def status_text(status: FolderStatus) -> str:
    """The status as a few aligned lines for people; every name and reason shown escaped."""
    counts = status.counts
    lines = [
        f"Watched folder: {escape_text(str(status.root))}",
        f"  Waiting in the inbox: {counts.waiting}",
        *(
            f"      left alone: {escape_text(name)} ({reason})"
            for name, reason in status.left_alone
        ),
        f"  In work:              {counts.in_work}",
        *(f"      {escape_text(job.name)}: {_work_state(job)}" for job in status.in_work),
        f"  Processed:            {counts.processed}",
        f"  Rejected:             {counts.rejected}{_fixed_note(counts)}",
        "",
    ]
    if not status.recent:
        lines.append("No jobs yet.")
        return "\n".join(lines)
    lines.append(f"Last {len(status.recent)} jobs (newest first):")
    for job in status.recent:
        name = escape_text(job.file_name)
        outcome = _outcome(job, status.later_fixed)
        lines.append(f"  {_when(job):%Y-%m-%d %H:%M}  {outcome:<9}  {name}")
        target = job.final_path or job.work_path
        lines.append(f"      workbook: {escape_text(_shown(status.root, target))}")
        lines += [f"      made: {escape_text(_shown(status.root, out))}" for out in job.outputs]
        if job.outcome in _REJECTED_OUTCOMES:
            lines += [f"      {_problem_line(p)}" for p in explain.listing_order(job.problems)]
    return "\n".join(lines)


def status_json(status: FolderStatus) -> dict[str, Any]:
    """The status as JSON-ready data for scripts."""
    return {
        "root": str(status.root),
        "counts": {
            "waiting": status.counts.waiting,
            "in_work": status.counts.in_work,
            "processed": status.counts.processed,
            "rejected": status.counts.rejected,
            "rejected_later_fixed": status.counts.rejected_later_fixed,
        },
        "in_work": [
            {"file": job.name, "waiting_because": job.waiting_because or None}
            for job in status.in_work
        ],
        "left_alone": [{"file": name, "reason": reason} for name, reason in status.left_alone],
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
                "later_fixed": job.id in status.later_fixed,
            }
            for job in status.recent
        ],
    }


def _work_state(job: JobInWork) -> str:
    """Being processed, or waiting to be retried and why."""
    if job.waiting_because:
        return f"waiting to be retried: {escape_text(job.waiting_because)}"
    return "being processed"


def outcome_words(job: JobRecord, later_fixed: frozenset[str] = frozenset()) -> str:
    """How a job ended, in a word or three, as `status` shows it (see `_outcome`)."""
    return _outcome(job, later_fixed)


def _outcome(job: JobRecord, later_fixed: frozenset[str] = frozenset()) -> str:
    """processed, rejected, failed (an internal error), or in work; with later_fixed given,
    "rejected, later fixed" for a rejection whose workbook was processed afterwards."""
    if not job.finished or job.outcome is None:
        return "in work"
    word = _OUTCOME_WORDS.get(job.outcome, job.outcome)
    return f"{word}, later fixed" if job.id in later_fixed else word


def _fixed_note(counts: FolderCounts) -> str:
    return f" ({counts.rejected_later_fixed} later fixed)" if counts.rejected_later_fixed else ""


def _problem_line(problem: Problem) -> str:
    """`error: WB006 at Case!B3: a choice value is not one of the allowed values`."""
    where = escape_text(problem.where)
    return f"{problem.level.value}: {problem.code} at {where}: {problem_meaning(problem.code)}"


def _when(job: JobRecord) -> datetime:
    """When the job finished (or was claimed, if it has not), in local time."""
    return (job.finished_at or job.claimed_at).astimezone()


def _shown(root: Path, path: Path) -> str:
    """A path relative to the watched folder, with '/' separators."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
