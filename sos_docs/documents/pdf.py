"""PDF copies of finished documents, made by one long-lived LibreOffice per converter.

A `PdfConverter` starts LibreOffice once (headless, with a private profile so it never meets a
person's own LibreOffice) and keeps it running; a small bridge script (`uno_bridge.py`, run by
the Python that has LibreOffice's `uno` module) hands it one document at a time. Measured on
the project's Debian 12 machine (LibreOffice 7.4, 2 cores) with the example's two documents:

- a cold `soffice --convert-to pdf` per file: 1.5 s each (2.2 s with a new profile);
- handing `--convert-to` to an already running LibreOffice with the same profile: 0.35 s, but
  the running LibreOffice then exits, so every next file is a cold start again;
- the one long-lived LibreOffice driven through UNO: 1.5 s to start once, then 0.3 s for the
  conference report and 0.08 s for the words and pictures story.

So UNO it is. `unoserver` (PyPI) needs the same `uno` module and adds a local TCP port, so
this keeps to a pipe only this process knows. Each conversion is time-limited; a LibreOffice
that hangs or dies is killed and started afresh for the next document. A PDF that cannot be
made is a `PdfError`, which callers turn into a warning: the .docx never waits on it.
"""

from __future__ import annotations

import contextlib
import functools
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
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from sos_docs import files
from sos_docs.errors import PdfError

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "LibreOffice",
    "PdfConverter",
    "locate_libreoffice",
    "pdf_path_for",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_START_SECONDS = 60.0
STOP_SECONDS = 10.0
PROBE_SECONDS = 20.0
BRIDGE_SCRIPT = Path(__file__).with_name("uno_bridge.py")
# Where LibreOffice keeps soffice and, in its own builds (Windows, macOS), a Python with uno.
_SOFFICE_NAMES = ("soffice", "libreoffice")
_SOFFICE_PLACES = (
    Path("C:/Program Files/LibreOffice/program/soffice.exe"),
    Path("/Applications/LibreOffice.app/Contents/MacOS/soffice"),
    Path("/opt/libreoffice/program/soffice"),
)
_INSTALL_HINT = (
    "Install LibreOffice (on Debian or Ubuntu: apt-get install libreoffice-writer-nogui "
    "python3-uno fonts-liberation), or switch PDF copies off"
)


@dataclass(frozen=True)
class LibreOffice:
    """A LibreOffice installation sos-docs can drive: its soffice and a Python that has uno."""

    soffice: Path
    python: Path


def locate_libreoffice() -> LibreOffice:
    """The LibreOffice on this machine, or a PdfError saying what is missing and what to do."""
    soffice = _find_soffice()
    if soffice is None:
        raise PdfError(f"LibreOffice was not found on this computer. {_INSTALL_HINT}.")
    python = _uno_python(str(soffice))
    if python is None:
        raise PdfError(
            f"LibreOffice is installed ({soffice}) but its Python bridge is missing. "
            "On Debian or Ubuntu install the python3-uno package, or switch PDF copies off."
        )
    return LibreOffice(soffice, python)


def _find_soffice() -> Path | None:
    for name in _SOFFICE_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((place for place in _SOFFICE_PLACES if place.is_file()), None)


@functools.lru_cache(maxsize=8)
def _uno_python(soffice: str) -> Path | None:
    """The first Python that can import uno: LibreOffice's own, else the system's."""
    program = Path(soffice).resolve().parent
    candidates = [
        program / "python.exe",
        program / "python",
        program.parent / "Resources" / "python",  # macOS
        Path("/usr/bin/python3"),
        *([Path(found)] if (found := shutil.which("python3")) else []),
    ]
    for candidate in dict.fromkeys(candidates):
        if candidate.is_file() and _imports_uno(candidate):
            return candidate
    return None


def _imports_uno(python: Path) -> bool:
    try:
        probe = subprocess.run(
            [str(python), "-I", "-c", "import uno"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=PROBE_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def pdf_path_for(docx: Path) -> Path:
    """Where a document's PDF copy goes: beside it, `.docx` replaced by `.pdf`."""
    if docx.suffix.lower() == ".docx":
        return docx.with_suffix(".pdf")
    return docx.with_name(docx.name + ".pdf")


class _Timeout(Exception):
    """LibreOffice gave no answer in time."""


class _Gone(Exception):
    """The bridge (and so, usually, LibreOffice) ended."""


class PdfConverter:
    """Converts .docx files to PDF through one LibreOffice kept running; safe to share by threads.

    LibreOffice is started at the first conversion and kept until `close()` (or the end of a
    `with` block). Conversions run one at a time.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        start_timeout: float = DEFAULT_START_SECONDS,
        libreoffice: LibreOffice | None = None,
    ) -> None:
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._libreoffice = libreoffice
        self._unavailable: str | None = None
        self._located = libreoffice is not None
        self._lock = threading.Lock()
        self._office: subprocess.Popen[bytes] | None = None
        self._bridge: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()
        self._workdir: Path | None = None
        self._logs: list[IO[Any]] = []
        self.starts = 0  # how many times LibreOffice was started

    def __enter__(self) -> PdfConverter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- what callers ask

    def available(self) -> bool:
        """True when LibreOffice and its Python bridge are installed."""
        self._locate()
        return self._libreoffice is not None

    @property
    def unavailable_reason(self) -> str:
        """Why PDF copies cannot be made, in plain words; empty when they can."""
        self._locate()
        return self._unavailable or ""

    @property
    def office_pid(self) -> int | None:
        """The process ID of the running LibreOffice (its launcher), or None when not running."""
        office = self._office
        return office.pid if office is not None and office.poll() is None else None

    def convert(self, docx: Path, pdf_dest: Path) -> Path:
        """Write a PDF copy of `docx` at `pdf_dest` (or a numbered name; never overwriting).

        Raises PdfError when LibreOffice is missing, cannot read the document, or takes longer
        than the time limit; DeliveryError when the destination folder cannot be written.
        """
        if not docx.is_file():
            raise PdfError(f"{docx.name} could not be converted to PDF: the file is not there.")
        if not zipfile.is_zipfile(docx):  # LibreOffice would make a blank page of an empty file
            raise PdfError(f"{docx.name} could not be converted to PDF: it is not a Word document.")
        with self._lock:
            data = self._convert_locked(docx.resolve())
        return files.write_new_file(pdf_dest, data)

    def close(self) -> None:
        """Ask LibreOffice to end, kill it if it will not, and remove its private profile."""
        with self._lock:
            self._stop(graceful=True)

    # ---- finding LibreOffice

    def _locate(self) -> None:
        if self._located:
            return
        try:
            self._libreoffice = locate_libreoffice()
        except PdfError as exc:
            self._unavailable = str(exc)
        self._located = True

    # ---- converting

    def _convert_locked(self, docx: Path) -> bytes:
        """One conversion; a LibreOffice found dead (it may have died since the last one) is
        started again and asked once more."""
        libreoffice = self._require()
        for attempt in (1, 2):
            if not self._running():
                self._start(libreoffice)
            assert self._workdir is not None
            out = self._workdir / f"{secrets.token_hex(8)}.pdf"
            try:
                reply = self._ask({"src": str(docx), "dest": str(out)}, self.timeout)
            except _Timeout as exc:
                self._stop(graceful=False)
                raise PdfError(
                    f"LibreOffice took longer than {self.timeout:g} seconds to make the PDF of "
                    f"{docx.name}, so it was stopped; it starts again for the next document."
                ) from exc
            except _Gone:
                reply = {"ok": False, "error": "LibreOffice stopped", "office_alive": False}
            if reply.get("ok") or reply.get("office_alive", True) or attempt == 2:
                break
            log.warning("LibreOffice had stopped; starting it again for %s.", docx.name)
            self._stop(graceful=False)
        return self._result(docx, out, reply)

    def _require(self) -> LibreOffice:
        self._locate()
        if self._libreoffice is None:
            raise PdfError(self._unavailable or "LibreOffice was not found.")
        return self._libreoffice

    def _result(self, docx: Path, out: Path, reply: dict[str, Any]) -> bytes:
        """The PDF's bytes, or a PdfError with LibreOffice's reason; the temporary file goes."""
        try:
            if not reply.get("ok"):
                if not reply.get("office_alive", True):
                    self._stop(graceful=False)
                raise PdfError(
                    f"{docx.name} could not be converted to PDF: {reply.get('error')}. "
                    "Open the .docx in Word to check it."
                )
            data = out.read_bytes()
        except OSError as exc:
            raise PdfError(f"LibreOffice wrote no PDF for {docx.name} ({exc}).") from exc
        finally:
            with contextlib.suppress(OSError):
                out.unlink()
        if not data.startswith(b"%PDF-"):
            raise PdfError(f"LibreOffice wrote something that is not a PDF for {docx.name}.")
        return data

    # ---- the two processes

    def _running(self) -> bool:
        return (
            self._office is not None
            and self._office.poll() is None
            and self._bridge is not None
            and self._bridge.poll() is None
        )

    def _start(self, libreoffice: LibreOffice) -> None:
        """Start LibreOffice and the bridge, and wait until the bridge has connected."""
        self._stop(graceful=False)
        workdir = Path(tempfile.mkdtemp(prefix="sos-docs-pdf-"))
        self._workdir = workdir
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
        except (_Timeout, _Gone) as exc:
            self._stop(graceful=False)
            raise PdfError(
                f"LibreOffice did not start within {self.start_timeout:g} seconds. "
                "Run `sos-docs doctor` to check the installation."
            ) from exc
        if not reply.get("ready"):
            self._stop(graceful=False)
            raise PdfError(f"LibreOffice could not be started: {reply.get('error')}.")

    def _log_file(self, name: str) -> IO[Any]:
        assert self._workdir is not None
        handle = (self._workdir / name).open("ab")
        self._logs.append(handle)
        return handle

    def _ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        bridge = self._bridge
        assert bridge is not None and bridge.stdin is not None
        try:
            bridge.stdin.write(json.dumps(request) + "\n")
            bridge.stdin.flush()
        except (OSError, ValueError) as exc:
            raise _Gone from exc
        return self._wait_reply(timeout)

    def _wait_reply(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._replies.get(timeout=timeout)
        except queue.Empty as exc:
            raise _Timeout from exc
        if line is None:
            raise _Gone
        reply: dict[str, Any] = json.loads(line)
        return reply

    def _stop(self, *, graceful: bool) -> None:
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
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


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
