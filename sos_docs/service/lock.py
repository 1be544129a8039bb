"""The job folder's lock: one exclusive, cross-platform file lock that dies with its holder."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".lock"


if sys.platform == "win32":  # pragma: no cover - the service runs on Linux; kept portable
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[bool]:
    """Hold the job folder's lock for the block; yields False when someone else holds it.

    The kernel drops the lock when its holder dies, even by SIGKILL, so a lock that can be taken
    marks a job nobody is working on. flock also excludes other threads of this process.
    """
    lock = folder / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # the folder was removed meanwhile, or cannot be written
        yield False
        return
    try:
        yield _try_lock(fd) and _is_linked_as(fd, lock)
    finally:
        os.close(fd)


def _is_linked_as(fd: int, path: Path) -> bool:
    """True when the open file is still the one at `path`.

    A holder removing a finished job's folder unlinks the lock file before releasing it; whoever
    opened that file just before and locks it just after holds a lock on nothing.
    """
    try:
        linked = path.stat()
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (linked.st_dev, linked.st_ino)
