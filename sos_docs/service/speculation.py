"""Documents made ahead, while a copied file's grace runs; used only if the claimed file is the same.

A file closed by its writer is claimed only after the copy grace (inbox.COPY_GRACE_SECONDS),
because some copiers touch it again just after closing. Its documents can be made meanwhile:
a worker reads the file's bytes once, copies them into a private folder of the work area, and
makes the documents from that copy, in memory. Nothing is written to reports/ or processed/ then:
the job claims the file as always after the grace, and uses what was made only when the claimed
file has the size and modification time the bytes were read at and the same SHA-256; otherwise
(changed during the grace, or made ahead without documents) the job makes them as it always has.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import hashlib
import logging
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sos_docs import files
from sos_docs.config import Config
from sos_docs.errors import WorkbookError
from sos_docs.service.inbox import Signature, file_signature
from sos_docs.service.journal_hosts import ProcessedOfCase
from sos_docs.service.layout import WatchedRoot
from sos_docs.workbook import guard

if TYPE_CHECKING:  # the service's own process never loads the pipeline's document code
    from sos_docs.pipeline import EarlierLookup, Made
    from sos_docs.service.plan import DocumentMaker

__all__ = ["MOST_TRIES", "SNAPSHOT_PREFIX", "Speculation", "remove_snapshots"]

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = ".ahead-"  # hidden: unfinished_jobs and status never list it
# What was made ahead is used only while fresh: a result kept past a burst (queued behind
# other jobs) could predate a template an admin replaced, or the day it was made. The job
# waits no longer than this for a making ahead still running, then makes the documents itself.
FRESH_SECONDS = 5.0
MOST_TRIES = 2  # makings ahead of one waiting file (a writer touching it again and again)


class _State(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


def same_file(a: Signature, b: Signature) -> bool:
    """Same size and modification time (a rename or chmod changes only the change time/mode)."""
    return a[:2] == b[:2]


class Speculation:
    """One inbox file's documents, made ahead from a snapshot of its bytes."""

    def __init__(self, root: WatchedRoot, path: Path, signature: Signature, tries: int = 1) -> None:
        self.root = root
        self.path = path
        self.signature = signature  # (size, mtime, ...) when the making ahead was decided
        self.tries = tries  # makings ahead of this waiting file so far, this one included
        self._lock = threading.Lock()
        self._state = _State.QUEUED
        self._done = threading.Event()
        self._digest = ""
        self._made: Made | None = None
        self._made_when = (0.0, dt.date.min)  # monotonic time and day the documents were made

    def cancel(self) -> None:
        """Not wanted any more: if not started, it never starts."""
        with self._lock:
            if self._state is _State.QUEUED:
                self._state = _State.CANCELLED
                self._done.set()

    def run(self, make: DocumentMaker | None) -> None:
        """In a worker thread: read the file once, make its documents from a private copy."""
        with self._lock:
            if self._state is not _State.QUEUED:
                return
            self._state = _State.RUNNING
        try:
            self._make_from_snapshot(make)
        except Exception:  # made ahead or not, the job after the claim makes them anyway
            log.debug("could not make %s ahead", self.path.name, exc_info=True)
            self._made = None
        finally:
            with self._lock:
                self._state = _State.DONE
            self._done.set()

    def _make_from_snapshot(self, make: DocumentMaker | None) -> None:
        config = self.root.config
        data = guard.read_claimed_file(self.path, config.limits)
        after = file_signature(self.path)
        if after is None or not same_file(after, self.signature) or len(data) != after[0]:
            return  # changed while being read: the claim decides afresh
        folder = self.root.work / f"{SNAPSHOT_PREFIX}{secrets.token_hex(6)}"
        folder.mkdir(mode=files.new_folder_mode(self.root.work))
        try:
            snapshot = files.write_new_file(
                folder / self.path.name, data, within=folder, sync_folder=False
            )
            earlier = ProcessedOfCase(self.root.state, self.root.path, self.root.processed)
            made = _make_with(make)(snapshot, config, earlier)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        # Only documents are kept: a rejection is made again after the claim, exactly as today.
        # A review's are never kept: it reads the case's earlier workbooks, and one processed
        # before the claim (by the other worker, or another host) must be among them.
        if made.validation.ok and made.documents and not _is_review(made):
            self._digest, self._made = hashlib.sha256(data).hexdigest(), made
            self._made_when = (time.monotonic(), dt.date.today())
        del data

    def maker(self, make: DocumentMaker | None) -> DocumentMaker:
        """A maker for the job of the claimed file: what was made ahead, if it is for exactly
        the claimed bytes, else `make`'s."""

        def make_claimed(
            workbook: Path, config: Config, earlier: EarlierLookup | None = None
        ) -> Made:
            made = self._made_for(workbook, config)
            return made if made is not None else _make_with(make)(workbook, config, earlier)

        return make_claimed

    def _fresh(self) -> bool:
        return _fresh_since(*self._made_when)

    def _made_for(self, workbook: Path, config: Config) -> Made | None:
        """What was made ahead, when the claimed file is unchanged since its bytes were read."""
        self.cancel()  # not started yet: the job makes the documents itself, no waiting
        if not self._done.wait(min(config.limits.max_job_seconds, FRESH_SECONDS)):
            return None
        made, digest = self._made, self._digest
        if made is None or not self._fresh():
            return None
        claimed = file_signature(workbook)
        if claimed is None or not same_file(claimed, self.signature):
            return None
        try:
            data = guard.read_claimed_file(workbook, config.limits)
        except WorkbookError:
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        log.debug("using the documents of %s made during its copy grace", workbook.name)
        return made


def _fresh_since(made_at: float, made_on: dt.date) -> bool:
    """Made under FRESH_SECONDS ago, and today."""
    return time.monotonic() - made_at < FRESH_SECONDS and dt.date.today() == made_on


def _is_review(made: Made) -> bool:
    """The workbook is for a review conference (its documents depend on processed/)."""
    case = made.validation.case
    return case is None or case.details.is_review


def _make_with(make: DocumentMaker | None) -> DocumentMaker:
    """`make`, or by default the pipeline's, in this process."""
    if make is not None:
        return make
    from sos_docs import pipeline

    def make_here(workbook: Path, config: Config, earlier: EarlierLookup | None = None) -> Made:
        return pipeline.make_documents(workbook, config, earlier)

    return make_here


def remove_snapshots(root: WatchedRoot) -> None:
    """Remove private copies a stopped service left behind (a kill during a making ahead)."""
    with contextlib.suppress(OSError):
        for entry in root.work.iterdir():
            if entry.name.startswith(SNAPSHOT_PREFIX) and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
