"""Tests for sos_docs.service.logs: each root's rotating log file, and a log file that cannot be written."""

from __future__ import annotations

import errno
import io
import logging
from pathlib import Path

import pytest

from sos_docs.service.logs import LOG_FILE_NAME, root_extra, service_log_files

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
