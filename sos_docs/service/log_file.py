"""The service's rotating log file handler: each file created no more open than its folder."""

from __future__ import annotations

import io
import logging.handlers
import os
import sys
from pathlib import Path

from sos_docs.files import new_file_mode

__all__ = ["PrivateRotatingFileHandler"]


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates each log file (also after a rotation) no more open than its folder.

    A log file that cannot be written (a full disk, a share gone) is said once on the console,
    and again when it can be written again, instead of a "Logging error" traceback per line.
    """

    failing = False  # the last line could not be written
    _failed_now = False

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)
        if self.failing and not self._failed_now:
            self.failing = False
            sys.stderr.write(f"sos-docs can write its log file {self.baseFilename} again.\n")

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        self._failed_now = True
        if not self.failing:
            self.failing = True
            sys.stderr.write(
                f"sos-docs cannot write its log file {self.baseFilename} "
                f"({error.strerror or error}); until it can, its lines are only on this console.\n"
            )

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        # Never through a link: the log must stay in the root's own state folder.
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        flags |= getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, new_file_mode(path.parent))
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: PTH123 - opens a descriptor
