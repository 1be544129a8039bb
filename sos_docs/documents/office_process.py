"""LibreOffice and its UNO bridge as two child processes: started, asked, stopped and tidied away.

LibreOffice runs with a private profile and is asked one request at a time over a pipe only
this process knows; it is stopped politely, then by force, and its profile is removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sos_docs.errors import PdfError

__all__ = ["BridgeGone", "LibreOffice", "NoReply", "OfficeProcess"]

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0
BRIDGE_SCRIPT = Path(__file__).with_name("uno_bridge.py")


@dataclass(frozen=True)
class LibreOffice:
    """A LibreOffice installation sos-docs can drive: its soffice and a Python that has uno."""

    soffice: Path
    python: Path


class NoReply(Exception):
    """LibreOffice gave no answer in time."""


class BridgeGone(Exception):
    """The bridge (and so, usually, LibreOffice) ended."""


class OfficeProcess:
    """LibreOffice and the bridge that drives it, started on demand; not thread-safe (the
    converter asks one thing at a time)."""

    def __init__(self, start_timeout: float) -> None:
        self.start_timeout = start_timeout
        self._office: subprocess.Popen[bytes] | None = None
        self._bridge: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()
        self.workdir: Path | None = None
        self._logs: list[IO[Any]] = []
        self.starts = 0  # how many times LibreOffice was started

    @property
    def pid(self) -> int | None:
        """The process ID of the running LibreOffice (its launcher), or None when not running."""
        office = self._office
        return office.pid if office is not None and office.poll() is None else None

    def running(self) -> bool:
        """True while both LibreOffice and the bridge run."""
        return (
            self._office is not None
            and self._office.poll() is None
            and self._bridge is not None
            and self._bridge.poll() is None
        )

    def start(self, libreoffice: LibreOffice) -> None:
        """Start LibreOffice and the bridge, and wait until the bridge has connected."""
        self.stop(graceful=False)
        workdir = Path(tempfile.mkdtemp(prefix="sos-docs-pdf-"))
        self.workdir = workdir
        pipe = f"sos_docs_{os.getpid()}_{secrets.token_hex(6)}"
        started = time.monotonic()
        self._office = subprocess.Popen(
            [
                str(libreoffice.soffice),
                f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
                *("--headless", "--invisible", "--norestore", "--nologo", "--nodefault"),
                "--nolockcheck",
                f"--accept=pipe,name={pipe};urp;",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file("office.log"),
            stderr=subprocess.STDOUT,
            **_own_process_group(),
        )
        self.starts += 1
        self._bridge = subprocess.Popen(
            [str(libreoffice.python), "-I", str(BRIDGE_SCRIPT), pipe, str(self.start_timeout)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log_file("bridge.log"),
            text=True,
            encoding="utf-8",
        )
        self._replies = _read_lines(self._bridge)
        self._await_ready()
        log.info(
            "LibreOffice started for PDF copies in %.1f s (process %d).",
            time.monotonic() - started,
            self._office.pid,
        )

    def _await_ready(self) -> None:
        try:
            reply = self._wait_reply(self.start_timeout + 5)
        except (NoReply, BridgeGone) as exc:
            self.stop(graceful=False)
            raise PdfError(
                f"LibreOffice did not start within {self.start_timeout:g} seconds. "
                "Run `sos-docs doctor` to check the installation."
            ) from exc
        if not reply.get("ready"):
            self.stop(graceful=False)
            raise PdfError(f"LibreOffice could not be started: {reply.get('error')}.")

    def _log_file(self, name: str) -> IO[Any]:
        assert self.workdir is not None
        handle = (self.workdir / name).open("ab")
        self._logs.append(handle)
        return handle

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one request to the bridge and wait up to `timeout` for its reply."""
        bridge = self._bridge
        assert bridge is not None and bridge.stdin is not None
        try:
            bridge.stdin.write(json.dumps(request) + "\n")
            bridge.stdin.flush()
        except (OSError, ValueError) as exc:
            raise BridgeGone from exc
        return self._wait_reply(timeout)

    def _wait_reply(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty as exc:
            raise NoReply from exc
        if line is None:
            raise BridgeGone
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stop(self, *, graceful: bool) -> None:
        """End the bridge and LibreOffice (politely first when `graceful`), then tidy up."""
        bridge, office = self._bridge, self._office
        self._bridge = self._office = None
        if graceful and bridge is not None and bridge.poll() is None and bridge.stdin:
            with contextlib.suppress(OSError, ValueError):
                bridge.stdin.write(json.dumps({"quit": True}) + "\n")
                bridge.stdin.flush()
            _wait_or_kill(bridge, STOP_SECONDS)
        if bridge is not None:
            _wait_or_kill(bridge, 0)
            for stream in (bridge.stdin, bridge.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError, ValueError):
                        stream.close()
        if office is not None and not (graceful and _ended_within(office, STOP_SECONDS)):
            _kill_group(office)
        for handle in self._logs:
            handle.close()
        self._logs.clear()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def _read_lines(process: subprocess.Popen[str]) -> queue.Queue[str | None]:
    """A queue filled with the process's output lines by a thread; None marks the end."""
    lines: queue.Queue[str | None] = queue.Queue()
    stream = process.stdout
    assert stream is not None

    def pump() -> None:
        try:
            for line in stream:
                lines.put(line)
        except (OSError, ValueError):
            pass  # the stream was closed while the process was being stopped
        lines.put(None)

    threading.Thread(target=pump, name="sos-docs-pdf-replies", daemon=True).start()
    return lines


def _own_process_group() -> dict[str, Any]:
    """Popen arguments that put LibreOffice and its children in a group of their own."""
    if sys.platform == "win32":  # pragma: no cover - the service runs on Linux; kept portable
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _wait_or_kill(process: subprocess.Popen[Any], seconds: float) -> None:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _ended_within(process: subprocess.Popen[Any], seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def _kill_group(process: subprocess.Popen[Any]) -> None:
    """Kill the process and its group: LibreOffice's launcher runs soffice.bin as a child."""
    if sys.platform == "win32":  # pragma: no cover - the service runs on Linux; kept portable
        subprocess.run(
            ["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False
        )
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_SECONDS)
