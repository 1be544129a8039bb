"""Retention: what is older than a root's `retention_days` is removed, by the service and `purge`.

Each kind is off (kept for ever) unless set: processed workbooks, rejected workbooks with their
explanations, documents under reports/, finished jobs in this host's journal, and log lines.
A file's age counts from its last change, so a workbook moved into processed/ yesterday is a
day old however long ago it was saved. Links are never followed; folders are left in place
(only case folders emptied by a purge are removed). What was removed is reported as counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import stat
import time
from dataclasses import dataclass, fields
from pathlib import Path

from sos_docs.errors import JournalError
from sos_docs.service.journal import Journal
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra, trim_logs

__all__ = ["INTERVAL_SECONDS", "Purged", "enforce", "purge"]

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600
INTERVAL_SECONDS = 3600.0  # how often the service enforces retention, after doing so at start


@dataclass(frozen=True)
class Purged:
    """How many of each kind were removed (or, in a dry run, would be)."""

    processed: int = 0  # workbooks in processed/
    rejected: int = 0  # files in rejected/: workbooks, problems.txt, marked copies
    documents: int = 0  # files under reports/
    journal_rows: int = 0  # finished jobs in this host's journal
    log_files: int = 0  # log files trimmed or removed

    @property
    def total(self) -> int:
        """Everything removed, of every kind."""
        return sum(getattr(self, f.name) for f in fields(self))


def purge(root: WatchedRoot, *, now: float | None = None, dry_run: bool = False) -> Purged:
    """Remove what has outlived the root's retention; with `dry_run`, only count it."""
    days = root.config.retention_days
    now = time.time() if now is None else now

    def cutoff(kind_days: int) -> float | None:
        # Never before 1970: a retention longer than the calendar removes nothing, and the
        # date arithmetic below stays in range whatever the number.
        return max(now - kind_days * DAY_SECONDS, 0.0) if kind_days else None

    return Purged(
        processed=_old_files(root.processed, cutoff(days.processed), dry_run, nested=False),
        rejected=_old_files(root.rejected, cutoff(days.rejected), dry_run, nested=False),
        documents=_old_files(root.reports, cutoff(days.documents), dry_run, nested=True),
        journal_rows=_old_jobs(root, cutoff(days.journal), dry_run),
        log_files=_old_log_lines(root, cutoff(days.logs), dry_run),
    )


def enforce(root: WatchedRoot, *, now: float | None = None) -> Purged:
    """The service's housekeeping: purge, log the counts, and never raise into the watch loop."""
    if not root.config.retention_days.any:
        return Purged()
    try:
        purged = purge(root, now=now)
    except Exception:  # a purge that fails is said in the log and tried again later
        log.exception("could not remove what is older than retention_days in %s", root.path)
        return Purged()
    if purged.total:
        log.info(
            "Retention: removed %d processed workbooks, %d files in rejected/, %d documents, "
            "%d journal entries; trimmed %d log files.",
            purged.processed,
            purged.rejected,
            purged.documents,
            purged.journal_rows,
            purged.log_files,
            extra=root_extra(root.path),
        )
    return purged


def _old_files(folder: Path, cutoff: float | None, dry_run: bool, *, nested: bool) -> int:
    """Regular files in the folder (and, if nested, its subfolders) last changed before cutoff."""
    if cutoff is None:
        return 0
    count = 0
    for path in _regular_files(folder, nested=nested):
        try:
            info = path.lstat()
        except OSError:
            continue
        if max(info.st_mtime, info.st_ctime) >= cutoff:
            continue
        if not dry_run:
            try:
                path.unlink()
            except OSError as exc:
                log.warning("could not remove an expired file in %s: %s", folder, exc.strerror)
                continue
        count += 1
    if nested and not dry_run:
        _remove_empty_subfolders(folder)
    return count


def _regular_files(folder: Path, *, nested: bool) -> list[Path]:
    """Regular files, never through a link (os.walk does not follow links to folders)."""
    if not nested:
        try:
            with os.scandir(folder) as entries:
                return [Path(e.path) for e in entries if e.is_file(follow_symlinks=False)]
        except OSError:
            return []
    found = []
    for top, _, names in os.walk(folder):  # errors (a folder gone meanwhile) are skipped
        for name in names:
            with contextlib.suppress(OSError):
                if stat.S_ISREG((Path(top) / name).lstat().st_mode):
                    found.append(Path(top) / name)
    return found


def _remove_empty_subfolders(folder: Path) -> None:
    """Remove the subfolders a purge emptied, deepest first; never the folder itself."""
    for top, _, _ in sorted(os.walk(folder), key=lambda item: -len(Path(item[0]).parts)):
        if Path(top) != folder:
            with contextlib.suppress(OSError):  # not empty, or gone
                Path(top).rmdir()


def _old_jobs(root: WatchedRoot, cutoff: float | None, dry_run: bool) -> int:
    """Finished jobs in this host's journal (never another host's) that ended before cutoff."""
    if cutoff is None or not root.journal_path.is_file():
        return 0
    when = dt.datetime.fromtimestamp(cutoff, dt.UTC)
    try:
        with Journal(root.journal_path, root=root.path, create_folder=False) as journal:
            return journal.remove_finished_before(when, dry_run=dry_run)
    except JournalError as exc:
        log.warning("could not remove expired journal entries: %s", exc)
        return 0


def _old_log_lines(root: WatchedRoot, cutoff: float | None, dry_run: bool) -> int:
    if cutoff is None or not root.state.is_dir():
        return 0
    return trim_logs(root.state, dt.datetime.fromtimestamp(cutoff), dry_run=dry_run)
