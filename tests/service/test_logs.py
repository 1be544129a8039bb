"""Tests for sos_docs.service.logs: each root's rotating log file, and a log file that cannot be written."""

from __future__ import annotations

import errno
import io
import logging
import os
import signal
import sys
import unicodedata
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_docs.service.logs import (
    BIDI_MARKS,
    LOG_FILE_NAME,
    console_handler,
    escape_text,
    root_extra,
    service_log_files,
    stacks_on_request,
    warnings_by_category,
)
from tests.service.test_faults import drop, make_root, names_in, service, wait_for
from tests.support import ending
from tests.support.builders import WorkbookBuilder
from tests.support.soak import process_tree

log = logging.getLogger("sos_docs.test_logs")


class _FullDisk(io.StringIO):
    """A log file's stream on a disk that is full while `full` is set."""

    full = True

    def write(self, text: str) -> int:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(text)


def test_each_root_gets_its_own_records_and_the_services_own(tmp_path: Path) -> None:
    """A record naming a root goes to that root's file only; one naming none goes to all."""
    north, south = tmp_path / "north", tmp_path / "south"
    with service_log_files([(north, north / ".sos-docs"), (south, south / ".sos-docs")]):
        log.info("job for north", extra=root_extra(north))
        log.info("service started")
    north_log = (north / ".sos-docs" / LOG_FILE_NAME).read_text("utf-8")
    south_log = (south / ".sos-docs" / LOG_FILE_NAME).read_text("utf-8")
    assert "job for north" in north_log and "job for north" not in south_log
    assert "service started" in north_log and "service started" in south_log


def test_a_log_file_on_a_full_disk_is_said_once_not_a_traceback_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk under the log: one plain line on the console, then one when it is back."""
    with service_log_files([(tmp_path, tmp_path / ".sos-docs")]):
        (handler,) = [h for h in logging.getLogger().handlers if hasattr(h, "failing")]
        handler.stream.close()  # type: ignore[attr-defined]
        stream = _FullDisk()
        handler.stream = stream  # type: ignore[attr-defined]
        for n in range(5):
            log.info("line %d", n)
        stream.full = False
        log.info("written again")
        written = stream.getvalue()
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert err.count("cannot write its log file") == 1
    assert "No space left on device" in err
    assert err.count("can write its log file") == 1
    assert "written again" in written


# ---- control characters and bidi marks (issue 10.8)

HOSTILE_NAME = (
    'evil\n2026-01-01 00:00:00,000 INFO Processed "forged.xlsx"\r\x1b[2J\x1b]0;t\x07'
    "\u202egpj.xlsx\u2066\u200f\x85.xlsx"
)
UNSAFE = ["\n", "\r", "\x1b", "\x07", "\x85", "\u202e", "\u2066", "\u200f"]


def test_a_hostile_file_name_stays_on_one_escaped_line_in_the_log_file(tmp_path: Path) -> None:
    """Newlines, terminal escapes and bidi marks in a logged value are escaped, never raw."""
    with service_log_files([(tmp_path, tmp_path / ".sos-docs")]):
        log.info('Rejected "%s" (job %s)', HOSTILE_NAME, "x")
        log.info("plain line after")
    written = (tmp_path / ".sos-docs" / LOG_FILE_NAME).read_text("utf-8")
    lines = written.splitlines()
    assert len(lines) == 2 and lines[1].endswith("plain line after")
    assert not any(char in line for line in lines for char in UNSAFE)
    assert "\\x1b[2J" in lines[0] and "\\u202e" in lines[0] and "\\n2026" in lines[0]


def test_escape_text_leaves_ordinary_text_alone() -> None:
    """Letters, accents, Welsh and Polish names, tabs aside, pass unchanged."""
    text = "Llŷr Gruffydd – Zofia Wójcik, CP-2026/0412 (2).xlsx"
    assert escape_text(text) == text


@given(st.text())
def test_escaped_text_never_holds_a_control_character_or_bidi_mark(text: str) -> None:
    """Whatever the input, the escaped text has no C0/C1 control or bidi formatting mark."""
    escaped = escape_text(text)
    assert not any(unicodedata.category(c) == "Cc" or c in BIDI_MARKS for c in escaped)


def test_the_console_of_one_shot_commands_escapes_too() -> None:
    """The console formatter installed by the command line escapes interpolated values."""
    handler = console_handler()
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "file %s", (HOSTILE_NAME,), None)
    shown = handler.format(record)
    assert "\n" not in shown and "\x1b" not in shown and "\u202e" not in shown


def test_third_party_warnings_are_logged_by_category_not_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A warning quoting a cell is logged by its category and origin; its text is not."""
    with warnings_by_category(), caplog.at_level(logging.INFO):
        warnings.warn("Cell B5 holds 'ZQX Jane Doe 01/02/2015'", UserWarning, stacklevel=1)
    assert "UserWarning" in caplog.text
    assert "ZQX" not in caplog.text


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="no SIGUSR1 on this platform")
def test_with_standard_error_closed_a_request_for_stacks_is_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Started with standard error closed (`2>&-`, some launchers: Python's sys.stderr is then
    None), the service starts (it exited 1, found by a review) and SIGUSR1 does not end it."""
    before = signal.getsignal(signal.SIGUSR1)
    monkeypatch.setattr(sys, "stderr", None)
    try:
        stacks_on_request()
        assert signal.getsignal(signal.SIGUSR1) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGUSR1, before)


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="no SIGUSR1 on this platform")
def test_a_running_service_writes_its_stacks_on_request_and_keeps_running(
    tmp_path: Path,
) -> None:
    """`kill -USR1` on the service and on its worker processes writes where each thread is to
    standard error (here the log) and stops nothing: sent as soon as the service says it is
    watching, when its second worker is still loading (a review found the signal then ended
    that worker, and the next workbook it took was rejected), every process answers once it
    can and stays; workbooks dropped afterwards are processed, and SIGTERM still ends the
    service cleanly."""
    root = make_root(tmp_path / "root")
    output = tmp_path / "service.log"
    process = service(root.path, output)
    try:
        wait_for(lambda: "Watching" in output.read_text(), 60, "the service to start", root)
        signalled = [pid for pid in process_tree(process.pid) if ending.is_sos_docs(pid)]
        for pid in signalled:
            os.kill(pid, signal.SIGUSR1)
        workers = len(signalled) - 1
        assert workers >= 2  # the default: both, one of them perhaps still starting
        wait_for(
            lambda: _stacks_in(output.read_text(), workers), 60, "every process's stacks", root
        )
        book = WorkbookBuilder().write(tmp_path / "case.xlsx").read_bytes()
        names = [f"case{n}.xlsx" for n in range(workers + 1)]
        for name in names:
            drop(root.inbox, name, book)
        wait_for(lambda: names_in(root.processed) == names, 60, "the workbooks", root)
        assert names_in(root.rejected) == []
        for pid in signalled:
            os.kill(pid, 0)  # ProcessLookupError if the signal had ended it
        assert "WorkerDied" not in output.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        assert ending.exit_code(process, output, 60) == 0


def _stacks_in(text: str, workers: int) -> bool:
    """The service's loop and each worker process (waiting for a job) are in the dump."""
    return "sos_docs/service/watcher.py" in text and text.count(" in _serve") >= workers
