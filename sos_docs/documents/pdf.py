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
import logging
import secrets
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path
from types import TracebackType
from typing import Any

from sos_docs import files
from sos_docs.documents.office_process import BridgeGone, LibreOffice, NoReply, OfficeProcess
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
PROBE_SECONDS = 20.0
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
        self._libreoffice = libreoffice
        self._unavailable: str | None = None
        self._located = libreoffice is not None
        self._lock = threading.Lock()
        self._process = OfficeProcess(start_timeout)

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
    def start_timeout(self) -> float:
        """Seconds LibreOffice may take to start."""
        return self._process.start_timeout

    @property
    def office_pid(self) -> int | None:
        """The process ID of the running LibreOffice (its launcher), or None when not running."""
        return self._process.pid

    @property
    def starts(self) -> int:
        """How many times LibreOffice was started."""
        return self._process.starts

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
            self._process.stop(graceful=True)

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
            if not self._process.running():
                self._process.start(libreoffice)
            assert self._process.workdir is not None
            out = self._process.workdir / f"{secrets.token_hex(8)}.pdf"
            try:
                reply = self._process.ask({"src": str(docx), "dest": str(out)}, self.timeout)
            except NoReply as exc:
                self._process.stop(graceful=False)
                raise PdfError(
                    f"LibreOffice took longer than {self.timeout:g} seconds to make the PDF of "
                    f"{docx.name}, so it was stopped; it starts again for the next document."
                ) from exc
            except BridgeGone:
                reply = {"ok": False, "error": "LibreOffice stopped", "office_alive": False}
            if reply.get("ok") or reply.get("office_alive", True) or attempt == 2:
                break
            log.warning("LibreOffice had stopped; starting it again for %s.", docx.name)
            self._process.stop(graceful=False)
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
                    self._process.stop(graceful=False)
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
