"""The watch service's log files: one rotating `sos-docs.log` in each root's state folder.

Only entry points call this (the CLI's `watch` command); every module just logs to
`logging.getLogger(__name__)`. Records that name a root (`extra={"sos_root": ...}`) go only to
that root's file, so two roots served by one process keep separate histories; records that name
none (start, stop, errors of the service itself) go to every root's file.

Every handler set up here writes each record on one line with control characters and bidi marks
escaped (`escape_text`): a file name or case reference holding a newline, a terminal escape or a
right-to-left override cannot forge a line or hide one. Warnings of other libraries are logged by
category and origin only (`warnings_by_category`), because their text can quote a cell.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import faulthandler
import logging
import os
import re
import signal
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sos_docs.errors import ConfigError, describe_warning
from sos_docs.files import new_file_mode
from sos_docs.loading import LazyPattern

if TYPE_CHECKING:
    from sos_docs.service.log_file import PrivateRotatingFileHandler

__all__ = [
    "BIDI_MARKS",
    "LOG_FILE_NAME",
    "ROOT_KEY",
    "EscapingFormatter",
    "console_handler",
    "escape_json_text",
    "escape_text",
    "log_warning_by_category",
    "root_extra",
    "service_console_level",
    "service_log_files",
    "trim_logs",
    "warnings_by_category",
]

LOG_FILE_NAME = "sos-docs.log"
LOG_FILE_BYTES = 5 * 1024 * 1024
LOG_FILE_BACKUPS = 5
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
ROOT_KEY = "sos_root"
CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(message)s"
CONSOLE_TIME_FORMAT = "%H:%M:%S"
WATCHDOG_INOTIFY_LOGGER = "watchdog.observers.inotify"
WARNINGS_LOGGER = "py.warnings"

# Marks that reorder or hide text on screen: LRM, RLM, the embeddings and overrides, the
# isolates, and the Arabic letter mark.
BIDI_MARKS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
# C0 and C1 controls (newline, carriage return, escape, NEL ...), DEL, the Unicode line and
# paragraph separators, and the bidi marks above.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_MARKS)) + "]")


def escape_text(text: str) -> str:
    """The text with each control character and bidi mark written as a visible escape (\\x1b)."""
    return _UNSAFE.sub(_escape_one, text)


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_UNSAFE_IN_JSON = LazyPattern("[\x7f-\x9f\u2028\u2029" + "".join(sorted(BIDI_MARKS)) + "]")


def escape_json_text(text: str) -> str:
    """JSON text (from json.dumps, which escapes C0 itself) with C1 controls and bidi marks as
    `\\u` escapes: the same data for a parser, nothing hidden on a terminal."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class EscapingFormatter(logging.Formatter):
    """A formatter whose message (the format with every value put in) is escaped to one line.

    The traceback of a logged exception is added after, as Python wrote it.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        saved = record.message
        record.message = escape_text(saved)
        try:
            return super().formatMessage(record)
        finally:
            record.message = saved


def console_handler(stream: TextIO | None = None) -> logging.Handler:
    """The console handler of the one-shot commands: short times, escaped values."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EscapingFormatter(CONSOLE_FORMAT, CONSOLE_TIME_FORMAT))
    return handler


def log_warning_by_category(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A `warnings.showwarning` that logs the warning's category and origin, not its text."""
    shown = warnings.WarningMessage(message, category, filename, lineno, file, line)
    logging.getLogger(WARNINGS_LOGGER).info(
        "a library warned (text not logged): %s", describe_warning(shown)
    )


@contextmanager
def warnings_by_category() -> Iterator[None]:
    """While the block runs, a warning that reaches the top is logged by category, not text."""
    previous = warnings.showwarning
    warnings.showwarning = log_warning_by_category
    try:
        yield
    finally:
        warnings.showwarning = previous


def root_extra(root: Path) -> dict[str, str]:
    """The `extra=` that routes a log record to one root's file."""
    return {ROOT_KEY: str(root)}


class _WatchdogShutdownNoise(logging.Filter):
    """Drops the error watchdog logs when an inotify emitter is stopped mid-read (harmless)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "called when the thread is inactive" not in record.getMessage()


class _OneRootFilter(logging.Filter):
    """Passes records of one root, and records that name no root."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = str(root)

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, ROOT_KEY, self.root) == self.root


def _file_handler(root: Path, state_dir: Path) -> logging.Handler:
    """A size-rotated file handler in the state folder, filtered to the root's records."""
    # Loaded here: logging.handlers (with socket and pickle) is for the service's files only,
    # not for every command that prints a line (`validate` among them).
    from sos_docs.service.log_file import PrivateRotatingFileHandler

    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        handler = PrivateRotatingFileHandler(
            state_dir / LOG_FILE_NAME,
            maxBytes=LOG_FILE_BYTES,
            backupCount=LOG_FILE_BACKUPS,
            encoding="utf-8",
            errors="backslashreplace",  # a file name that is not UTF-8 must not lose the line
        )
    except OSError as exc:
        raise ConfigError(
            f"sos-docs cannot write its log in {state_dir}: {exc.strerror}. "
            "Ask IT to let the service write to that folder."
        ) from exc
    handler.setFormatter(EscapingFormatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    handler.addFilter(_OneRootFilter(root))
    return handler


def stacks_on_request() -> None:
    """`kill -USR1 PID` makes this process write where each of its threads is to its standard
    error (the console, or the journal under systemd), without stopping it: for a service that
    does not stop or does not answer. The dump holds file names and line numbers of sos-docs and
    its libraries, never a cell. Not on Windows, which has no SIGUSR1."""
    usr1 = getattr(signal, "SIGUSR1", None)
    if usr1 is None:
        return
    try:
        faulthandler.register(usr1, all_threads=True)
    except (OSError, ValueError, RuntimeError):
        # Standard error that is no file (a test capturing it) or closed (`2>&-`, some
        # launchers): no dumps, and the signal, whose default action ends a process, ignored.
        signal.signal(usr1, signal.SIG_IGN)


def service_console_level(verbose: int, quiet: bool) -> int:
    """The service's console shows one line per job (INFO); `-q` only problems, `-v` details."""
    if quiet:
        return logging.WARNING
    return logging.DEBUG if verbose else logging.INFO


@contextmanager
def service_log_files(
    roots: Iterable[tuple[Path, Path]], console_level: int = logging.INFO
) -> Iterator[None]:
    """Log to `<state>/sos-docs.log` of each (root, state folder) while the block runs.

    The files always get job outcomes (INFO), whatever the console shows: the console handlers
    set up by the command line get `console_level` for the block.
    """
    logger = logging.getLogger()
    noise = _WatchdogShutdownNoise()
    inotify_logger = logging.getLogger(WATCHDOG_INOTIFY_LOGGER)
    previous_level = logger.level
    consoles = [h for h in logger.handlers if h.level == logging.NOTSET]
    handlers: list[logging.Handler] = []
    try:
        for root, state_dir in roots:
            handlers.append(_file_handler(root, state_dir))
        for console in consoles:
            console.setLevel(console_level)
        for handler in handlers:
            logger.addHandler(handler)
        logger.setLevel(min(console_level, logging.INFO))
        inotify_logger.addFilter(noise)
        with warnings_by_category():
            yield
    finally:
        inotify_logger.removeFilter(noise)
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
        for console in consoles:
            console.setLevel(logging.NOTSET)
        logger.setLevel(previous_level)


# ---------------------------------------------------------------------------------------------
# Retention: log lines older than a root's retention_days.logs

_LINE_TIME = LazyPattern(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),\d{3} ")


def trim_logs(state_dir: Path, cutoff: dt.datetime, *, dry_run: bool = False) -> int:
    """Drop lines written before `cutoff` (local time) from the log files; how many changed.

    The rotated files (`sos-docs.log.1` ...) are trimmed or removed. The current file is only
    rolled over by this process's own handler when it holds such lines (the service calls this
    from its housekeeping); another process never touches a file the service is appending to.
    """
    live = state_dir / LOG_FILE_NAME
    handler = _own_handler(live)
    with _held(handler):
        if handler is not None and not dry_run and _first_line_time(live, before=cutoff):
            handler.doRollover()
        rotated = sorted(state_dir.glob(f"{LOG_FILE_NAME}.*"))
        return sum(_trim_log_file(path, cutoff, dry_run=dry_run) for path in rotated)


def _own_handler(live: Path) -> PrivateRotatingFileHandler | None:
    """This process's handler writing `live`, if it has one."""
    from sos_docs.service.log_file import PrivateRotatingFileHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, PrivateRotatingFileHandler) and Path(handler.baseFilename) == live:
            return handler
    return None


@contextmanager
def _held(handler: logging.Handler | None) -> Iterator[None]:
    """Hold the handler's lock (no line written, no rotation) while the block runs."""
    if handler is None:
        yield
        return
    handler.acquire()
    try:
        yield
    finally:
        handler.release()


def _first_line_time(path: Path, *, before: dt.datetime) -> bool:
    """True when the log file's first line was written before `before`."""
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            first = file.readline()
    except OSError:
        return False
    when = _line_time(first)
    return when is not None and when < before


def _line_time(line: str) -> dt.datetime | None:
    match = _LINE_TIME.match(line)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _trim_log_file(path: Path, cutoff: dt.datetime, *, dry_run: bool) -> int:
    """Keep the lines from the first one written at or after `cutoff`; 1 if the file changed.

    Lines without a time (a traceback's) belong to the line above them, so they go with it.
    """
    if not path.is_file() or path.is_symlink():
        return 0
    try:
        lines = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(True)
    except OSError:
        return 0
    keep_from = len(lines)
    for number, line in enumerate(lines):
        when = _line_time(line)
        if when is not None and when >= cutoff:
            keep_from = number
            break
    if keep_from == 0:
        return 0
    if not dry_run:
        if keep_from == len(lines):
            path.unlink()
        else:
            _replace_text(path, "".join(lines[keep_from:]))
    return 1


def _replace_text(path: Path, text: str) -> None:
    """Write the text to a new private file beside `path`, then put it in its place."""
    temporary = path.with_name(f".{path.name}.trim")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, new_file_mode(path.parent))
    with open(fd, "w", encoding="utf-8", errors="surrogateescape") as file:  # noqa: PTH123 - a descriptor
        file.write(text)
    temporary.replace(path)
