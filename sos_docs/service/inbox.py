"""An inbox's listing and settle tracking: which files are ready to be taken.

A file is ready once it has stayed unchanged long enough, is whole as far as its content tells,
and is open for writing nowhere (docs/hot-folder.md, guarantee 1). "Long enough" is the settle
time, or less when the file tells that its writer is done: a writer's close event (then a short
copy grace), a rename into the inbox (no wait: a rename moves a finished file in one step), or,
for a file already in the inbox when the service starts, a last change older than the settle time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sos_docs.config import Config
from sos_docs.service.inbox_names import ignored_reason
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra
from sos_docs.workbook import guard

__all__ = ["COPY_GRACE_SECONDS", "Arrival", "InboxListing", "SettleTracker", "why_taken"]

log = logging.getLogger(__name__)

# A file that stays the same but never becomes a whole workbook (a copy that broke off, a
# damaged file) is taken after this many settle times, so that it is rejected as damaged
# instead of sitting in the inbox unexplained.
INCOMPLETE_GRACE_SETTLES = 30
# After a writer's close event, the file must stay unchanged (size, times, permissions) this
# long before it is claimed: shutil.copy, cp -p, robocopy and Explorer set times or
# permissions just after closing, and a claim in between made the copier fail.
# Measured with inotify on Linux (issue 17): shutil.copy and shutil.copy2 chmod/utime by path
# after closing, as does `install` (its chmod); cp, cp -p, cp --preserve=all and install -p set
# them on the open file, before the close. The gap is under 1 ms on a quiet machine and up to
# 8 ms with the two cores overloaded; a copier on a share's client sends its next request a
# network round trip later, and the tests' model writer (a robocopy) sets times 20 ms after
# closing. 0.1 s is kept: shortening it to meet the 0.15 s drop-to-documents target would need
# it under about 0.04 s, too near those 20 ms, and a claim between the close and the change
# makes the copier fail (and one that retries may send the file again). IN_ATTRIB events do not
# help: they come after the change, and nothing announces a change still to come.
COPY_GRACE_SECONDS = 0.1
PROC = Path("/proc")
wall_clock = time.time  # the clock file times are compared with (tests may set another)

# size in bytes, modification and change times in ns, mode: chmod and utime change the last two
Signature = tuple[int, int, int, int]


class Arrival(Enum):
    """What a file event or a listing tells of an inbox file's writer."""

    CHANGED = "changed"  # created or written: its writer may still be at work
    CLOSED = "closed"  # a writer closed it after writing (inotify IN_CLOSE_WRITE)
    RENAMED = "renamed"  # renamed into (or within) the inbox: it arrived whole, in one step
    FOUND_AT_START = "found at start"  # in the inbox when the service started


class InboxListing:
    """Lists one root's inbox, saying once when it cannot be read and once when it can again."""

    def __init__(self, root: WatchedRoot) -> None:
        self.root = root
        self.missing = False

    def list(self) -> tuple[list[Path], list[Path]] | None:
        """The inbox's files, and everything else in it that is not ignored by name (folders,
        links, pipes, devices); None (logged once) while it cannot be read."""
        inbox = self.root.inbox
        files: list[Path] = []
        others: list[Path] = []
        try:
            with os.scandir(inbox) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        files.append(Path(entry.path))
                    elif ignored_reason(entry.name) is None:
                        others.append(Path(entry.path))
        except OSError as exc:
            if not self.missing:
                log.error(
                    "The inbox %s cannot be read (%s): is the share connected? "
                    "sos-docs will look again every %g s.",
                    inbox,
                    exc.strerror or exc,
                    self.root.config.rescan_seconds,
                    extra=root_extra(self.root.path),
                )
                self.missing = True
            return None
        if self.missing:
            log.info("The inbox %s can be read again.", inbox, extra=root_extra(self.root.path))
            self.missing = False
        return files, others


@dataclass
class Seen:
    """What the settle check knows of one inbox file."""

    root: WatchedRoot
    signature: Signature
    stable_since: float
    closed_at: Signature | None = None  # signature when a writer's close event arrived
    renamed_at: Signature | None = None  # signature when it was renamed in, or found old at start
    arrival: Arrival = Arrival.CHANGED  # the strongest sign its writer is done, for the log
    whole: bool | None = None  # the completeness check's answer for the current signature
    warned: bool = False  # "taking it although not whole" was logged


class SettleTracker:
    """The inbox files being watched until they settle, across every root."""

    def __init__(self, incomplete_grace: float | None = None) -> None:
        self.grace = incomplete_grace
        self.tracked: dict[Path, Seen] = {}

    def track(self, root: WatchedRoot, path: Path, arrival: Arrival = Arrival.CHANGED) -> None:
        """Start (or, when its writer is known to be done, refresh) the tracking of a file."""
        if path in self.tracked and arrival is Arrival.CHANGED:
            return
        signature = file_signature(path)
        if signature is None:
            self.tracked.pop(path, None)
            return
        seen = self.tracked.get(path)
        if seen is None:
            seen = self.tracked[path] = Seen(root, signature, time.monotonic())
        if arrival is Arrival.FOUND_AT_START and not changed_long_ago(signature, root.config):
            arrival = Arrival.CHANGED  # changed moments ago: maybe still being written
        if arrival is not Arrival.CHANGED:
            seen.closed_at, seen.arrival = signature, arrival
        if arrival in (Arrival.RENAMED, Arrival.FOUND_AT_START):
            seen.renamed_at = signature

    def settled(self, now: float, stopping: threading.Event) -> Iterator[tuple[Path, Seen]]:
        """Each tracked file that has settled, in tracking order, until `stopping` is set;
        files gone (taken by another service, or deleted) are forgotten."""
        for path, seen in list(self.tracked.items()):
            if stopping.is_set():
                return
            signature = file_signature(path)
            if signature is None:
                del self.tracked[path]
                continue
            if signature != seen.signature:
                seen.signature, seen.stable_since = signature, now
                seen.whole = None
            if self._settled(path, seen, now):
                yield path, seen

    def forget(self, path: Path) -> None:
        """Stop tracking a file that has been handed on."""
        del self.tracked[path]

    def next_wait(self, tick: float, now: float) -> float:
        """The tick, or less when a closed file's copy grace ends sooner (keeps latency low)."""
        wait = tick
        for seen in self.tracked.values():
            if closed_since_written(seen):
                wait = min(wait, max(seen.stable_since + COPY_GRACE_SECONDS - now, 0.005))
        return wait

    def _settled(self, path: Path, seen: Seen, now: float) -> bool:
        """Unchanged for the settle time (or closed by its writer and unchanged for the copy
        grace), whole as far as its content tells, and open for writing nowhere."""
        quiet = now - seen.stable_since
        closed = unchanged_since_renamed(seen) or (
            closed_since_written(seen) and quiet >= COPY_GRACE_SECONDS
        )
        if quiet < seen.root.config.settle_seconds and not closed:
            return False
        if seen.whole is None:
            seen.whole = guard.looks_whole(path, seen.root.config.limits)
        if seen.whole and open_for_writing(path):
            seen.stable_since = now  # a writer still holds it: wait for it to finish
            return False
        if seen.whole:
            return True
        grace = self.grace or INCOMPLETE_GRACE_SETTLES * seen.root.config.settle_seconds
        if quiet < grace:
            return False
        if not seen.warned:  # once, though a full queue may hold it back for many ticks
            log.warning(
                'Taking "%s" although it has not become a whole workbook in %g s.',
                path.name,
                grace,
                extra=root_extra(seen.root.path),
            )
            seen.warned = True
        return True


def unchanged_since_renamed(seen: Seen) -> bool:
    """True when the file has not changed at all (size, times, permissions) since it was renamed
    into the inbox, or since it was found there at start with its last change long past.

    Such a file needs no settle time and no copy grace: a rename moves a finished file in one
    step (tools and scripts write elsewhere, then rename). Any change after that (someone
    writing to it, a copier setting its times) sends it back to the close or settle rules.
    """
    return seen.renamed_at is not None and seen.renamed_at == seen.signature


def changed_long_ago(signature: Signature, config: Config) -> bool:
    """True when the file's last change lies longer ago than the settle time.

    The change time counts as well as the modification time: a copier that keeps the original's
    modification time (cp -p, robocopy) sets it, and so changes the change time, when it is done.
    A file whose times lie in the future is not old.
    """
    last_change = max(signature[1], signature[2]) / 1e9
    return wall_clock() - last_change >= config.settle_seconds


def why_taken(seen: Seen) -> str:
    """Why a settled file was taken when it was: for the log (and the tests)."""
    if unchanged_since_renamed(seen):
        return (
            "renamed into the inbox"
            if seen.arrival is Arrival.RENAMED
            else "in the inbox at start, last changed before the settle time"
        )
    if closed_since_written(seen):
        return "closed by its writer"
    return "unchanged for the settle time"


def closed_since_written(seen: Seen) -> bool:
    """True when a writer closed the file and its size has not changed since.

    Times and permissions may change after the close (a copier setting them): that restarts
    the copy grace, but does not cancel the close.
    """
    return seen.closed_at is not None and seen.closed_at[0] == seen.signature[0]


def file_signature(path: Path) -> Signature | None:
    """(size, mtime, ctime, mode) of a regular file, or None when it is gone or something else
    (a folder, a link or a pipe, which untakeable.py explains)."""
    try:
        info = path.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_mode)


def open_for_writing(path: Path) -> bool:
    """True when, as far as Linux's /proc tells, another process has the file open to write.

    Only processes this account may inspect are seen; elsewhere (Windows, a share) the copy
    grace and the settle time are the only guards.
    """
    if not (PROC / "self" / "fd").is_dir():
        return False
    try:
        wanted = path.stat(follow_symlinks=False)
    except OSError:
        return False
    own = str(os.getpid())
    with contextlib.suppress(OSError), os.scandir(PROC) as processes:
        for process in processes:
            owned = process.name.isdigit() and process.name != own
            if owned and _holds_for_writing(Path(process.path), wanted):
                return True
    return False


def _holds_for_writing(process: Path, wanted: os.stat_result) -> bool:
    """True when one of the process's descriptors is the file, opened to write."""
    try:
        with os.scandir(process / "fd") as descriptors:
            for fd in descriptors:
                try:
                    info = fd.stat()
                except OSError:
                    continue
                if (info.st_dev, info.st_ino) != (wanted.st_dev, wanted.st_ino):
                    continue
                flags = _fd_flags(process / "fdinfo" / fd.name)
                if flags is not None and flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                    return True
    except OSError:  # the process ended, or belongs to another account
        return False
    return False


def _fd_flags(fdinfo: Path) -> int | None:
    try:
        for line in fdinfo.read_text(encoding="ascii").splitlines():
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        return None
    return None
