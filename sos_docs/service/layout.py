"""A watched root's folders: inbox, reports, processed, rejected, and the job folders of its work area."""

from __future__ import annotations

import contextlib
import glob
import shutil
from dataclasses import dataclass
from pathlib import Path

from sos_docs import files
from sos_docs.config import Config
from sos_docs.documents.pdf import PdfConverter
from sos_docs.errors import ConfigError
from sos_docs.service.journal import JOURNAL_FILE, Journal
from sos_docs.service.lock import LOCK_FILE
from sos_docs.service.logs import LOG_FILE_NAME

WORK_FOLDER = "work"
WAITING_NOTE = "waiting.txt"
BOOK_FOLDER = "book"  # holds the workbook under its own name while the job runs
CLAIM_SEPARATOR = "__"  # files.claim names the claimed file `<work id>__<name>`


@dataclass(frozen=True)
class WatchedRoot:
    """A watched folder with its configuration, and where each of its folders is.

    `converter` makes the PDF copies when the configuration asks for them; the service shares
    one among its roots.
    """

    path: Path
    config: Config
    converter: PdfConverter | None = None

    @property
    def inbox(self) -> Path:
        """Where people drop workbooks."""
        return self.path / self.config.folders.inbox

    @property
    def reports(self) -> Path:
        """Where finished documents appear."""
        return self.path / self.config.folders.reports

    @property
    def processed(self) -> Path:
        """Where workbooks that produced their documents end."""
        return self.path / self.config.folders.processed

    @property
    def rejected(self) -> Path:
        """Where workbooks that could not end, with their explanation."""
        return self.path / self.config.folders.rejected

    @property
    def state(self) -> Path:
        """The service's own folder: work area, journal, log."""
        return self.path / self.config.folders.state

    @property
    def work(self) -> Path:
        """The work area: one locked folder per job in progress."""
        return self.state / WORK_FOLDER

    @property
    def journal_path(self) -> Path:
        """The job journal database."""
        return self.state / JOURNAL_FILE

    def prepare(self) -> None:
        """Create the folders that are missing and check the journal opens; raise if not.

        Every folder and file the service writes in the root must be its own, not a link: a
        reports folder linked to another team's would send this team's documents there.
        """
        self.refuse_links()
        for folder in (self.inbox, self.reports, self.processed, self.rejected, self.work):
            try:
                files.make_folders(folder)  # each no more open than the folder it is in
            except OSError as exc:
                raise ConfigError(
                    f"sos-docs cannot create the folder {folder}: {exc.strerror or exc}. "
                    "Check the path, and that the service may write there."
                ) from exc
        with Journal(self.journal_path, root=self.path):
            pass

    def refuse_links(self) -> None:
        """ConfigError when a folder of the root, the state folder, or the journal or log file
        in it is a link (checked with lstat, never following it)."""
        for path in (*self.own_folders, self.work, *self.own_files):
            if files.is_link(path):
                raise ConfigError(files.link_refused_message(path))
            if path in self.own_files and path.exists() and not path.is_file():
                raise ConfigError(
                    f"{path} is not an ordinary file, so sos-docs will not write to it. Ask IT "
                    "to move it away; sos-docs makes the file again."
                )

    @property
    def own_folders(self) -> tuple[Path, ...]:
        """The folders of the root sos-docs reads from or writes in."""
        return (self.inbox, self.reports, self.processed, self.rejected, self.state)

    @property
    def own_files(self) -> tuple[Path, ...]:
        """The service's files in the state folder: its journal and its log."""
        return (self.journal_path, self.state / LOG_FILE_NAME)


# --------------------------------------------------------------------------------------------
# A job folder in the work area


def original_name(folder: Path, workbook: Path) -> str:
    """The inbox name of a workbook held in a job folder, as claimed or in its book folder."""
    if workbook.parent == folder / BOOK_FOLDER:
        return workbook.name
    return workbook.name.removeprefix(folder.name + CLAIM_SEPARATOR)


def write_waiting_note(folder: Path, reason: str) -> None:
    """Say in the job folder why it waits, for `sos-docs status`; best effort."""
    note = folder / WAITING_NOTE
    with contextlib.suppress(OSError):
        note.with_suffix(".tmp").write_text(reason, encoding="utf-8")
        note.with_suffix(".tmp").replace(note)


def read_waiting_note(folder: Path) -> str:
    try:
        return (folder / WAITING_NOTE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def remove_job_folder(folder: Path) -> None:
    """Remove a finished job's folder; refuses while a workbook is still in it."""
    if workbook_in(folder) is not None:
        raise RuntimeError(f"refusing to remove {folder}: it still holds a workbook")
    for child in folder.iterdir():
        if child.name == LOCK_FILE:
            continue
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
    # Another service may re-create the lock file between these two steps; it then finds an
    # empty folder and removes it itself.
    with contextlib.suppress(OSError):
        (folder / LOCK_FILE).unlink()
        folder.rmdir()


def workbook_in(folder: Path) -> Path | None:
    """The claimed workbook in a job folder, as claimed or as held in its book folder."""
    found = sorted(folder.glob(glob.escape(folder.name) + CLAIM_SEPARATOR + "*"))
    book = folder / BOOK_FOLDER
    if book.is_dir():
        found += sorted(p for p in book.iterdir() if not p.name.startswith("."))
    held = [p for p in found if p.is_file()]
    return held[0] if held else None
