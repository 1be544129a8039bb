"""The watch loop: find inbox files, wait until they are whole, and feed them to a few workers.

Events are a hint, the listing is the truth (docs/hot-folder.md, guarantee 2): watchdog's native
or polling observer reports changes quickly, and a full listing of each inbox at start and every
`rescan_seconds` finds whatever the events missed (network shares send none, event buffers
overflow, observer threads die). A candidate is handed on only once it has settled (guarantee 1),
through a bounded queue (guarantee 9); a stop request lets jobs in flight finish (guarantee 8).
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import FrameType

from watchdog.observers.api import BaseObserver

from sos_docs.service import jobs, retention
from sos_docs.service.inbox import (
    Arrival,
    InboxListing,
    Seen,
    SettleTracker,
    closed_since_written,
    unchanged_since_renamed,
    why_taken,
)
from sos_docs.service.inbox_names import InboxFilter
from sos_docs.service.jobs import DocumentMaker, JobOutcome, JobResult
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra
from sos_docs.service.observers import InboxObserver
from sos_docs.service.speculation import MOST_TRIES, Speculation, remove_snapshots, same_file
from sos_docs.service.status_page import StatusPage
from sos_docs.service.untakeable import UntakeableEntries
from sos_docs.service.workers import DocumentProcess

__all__ = ["DEFAULT_WORKERS", "AfterJob", "RunSummary", "Watcher", "run_until_signalled"]

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
QUEUE_SLOTS_PER_WORKER = 2
MIN_TICK_SECONDS = 0.05
MAX_TICK_SECONDS = 0.5

Filter = Callable[[PurePath], bool]
# Told of each job's result in the worker that ran it, before the next file can be taken
# there; the demo folder uses it to put its review example in once the initial one is done.
AfterJob = Callable[[WatchedRoot, JobResult], None]


@dataclass
class RunSummary:
    """How the jobs of one run ended."""

    processed: int = 0
    rejected: int = 0
    waiting: int = 0  # attempts that left a job waiting, or could not take a file

    @property
    def all_processed(self) -> bool:
        """True when no workbook was rejected or left waiting (`watch --once` exits 0)."""
        return self.rejected == 0 and self.waiting == 0


@dataclass(frozen=True)
class _Task:
    """An inbox file to claim, or a job folder to finish; or (`ahead` alone) an inbox file's
    documents to make ahead while its copy grace runs (speculation.py)."""

    root: WatchedRoot
    path: Path
    resume: bool = False
    ahead: Speculation | None = None  # made ahead for this file, if any
    only_ahead: bool = False  # the task is the making ahead itself: no claim


@dataclass
class _RootWatch:
    """One root's listing, observer, untakeable entries and rescan timing."""

    root: WatchedRoot
    listing: InboxListing
    events: InboxObserver
    untakeable: UntakeableEntries
    page: StatusPage | None = None  # STATUS.html, the heartbeat and the inbox's instructions
    next_rescan: float = 0.0

    @property
    def observer(self) -> BaseObserver | None:
        """The root's running watchdog observer, if any."""
        return self.events.observer


class _HandOff:
    """What the observer threads, the loop and the workers share, under one lock: the hints
    from file events, the bounded queue of tasks, and the paths queued, in work or given up."""

    def __init__(self, slots: int, wake: threading.Event) -> None:
        self.lock = threading.Lock()
        self.hints: dict[Path, tuple[WatchedRoot, Arrival]] = {}
        self.pending: set[Path] = set()  # queued or in work
        # --once tries each job folder left waiting, and each file that could not be taken, once
        self.given_up: set[Path] = set()
        self.queue: queue.Queue[_Task | None] = queue.Queue(slots)
        self.wake = wake
        # Inbox files whose documents are being made ahead (only the loop thread changes it),
        # and how many of those makings are queued or in work.
        self.ahead: dict[Path, Speculation] = {}
        self.ahead_in_work = 0

    def hint(self, root: WatchedRoot, path: Path, arrival: Arrival) -> None:
        """Called from observer threads: remember the path until the loop looks at it.

        A later change does not undo what a close or a rename told: the signature the settle
        check keeps notices any change since.
        """
        with self.lock:
            if arrival is Arrival.CHANGED and path in self.hints:
                return
            self.hints[path] = (root, arrival)
        if arrival is not Arrival.CHANGED:  # its writer is done: no settle wait
            self.wake.set()

    def take_hints(self) -> dict[Path, tuple[WatchedRoot, Arrival]]:
        """The hints noted since the last call, each path once."""
        with self.lock:
            hints, self.hints = self.hints, {}
        return hints

    def busy(self, path: Path) -> bool:
        """True when the path is queued or in work, or (with --once) was given up."""
        with self.lock:
            return path in self.pending or path in self.given_up

    def offer(self, task: _Task) -> bool:
        """Queue a task unless the queue is full; marks its path as pending."""
        with self.lock:
            self.pending.add(task.path)
        try:
            self.queue.put_nowait(task)
        except queue.Full:
            with self.lock:
                self.pending.discard(task.path)
            return False
        return True

    def offer_ahead(self, speculation: Speculation, workers: int) -> bool:
        """Queue a making ahead, only when a worker would otherwise sit idle."""
        with self.lock:
            if len(self.pending) + self.ahead_in_work >= workers or not self.queue.empty():
                return False
            self.ahead_in_work += 1
        self.queue.put_nowait(
            _Task(speculation.root, speculation.path, ahead=speculation, only_ahead=True)
        )
        return True

    def finished_ahead(self) -> None:
        """A making ahead has ended (its file is not pending: nothing else changes)."""
        with self.lock:
            self.ahead_in_work -= 1
        self.wake.set()

    def has_room(self) -> bool:
        """True when the queue can take another task (only the loop thread adds tasks)."""
        return not self.queue.full()

    def finished(self, path: Path) -> None:
        """A worker is done with the path: a queue slot is free for a file that has settled."""
        with self.lock:
            self.pending.discard(path)
        self.wake.set()

    def idle(self) -> bool:
        """True when nothing is queued or in work and no hint waits."""
        with self.lock:
            return not (self.pending or self.hints)


class Watcher:
    """Watches the inboxes of one or more roots until stopped (or, with `once`, until empty)."""

    def __init__(
        self,
        roots: Sequence[WatchedRoot],
        *,
        workers: int = DEFAULT_WORKERS,
        once: bool = False,
        file_filter: Filter | None = None,
        incomplete_grace: float | None = None,
        processes: bool = False,
        after_job: AfterJob | None = None,
        status_page: bool = False,
        started: Sequence[DocumentProcess] = (),
    ) -> None:
        self.once = once
        self._after_job = after_job
        self.file_filter: Filter = file_filter or InboxFilter()
        self.summary = RunSummary()
        self._workers = workers
        # Each worker thread checks and renders in a worker process of its own, so that the
        # workers use every core (threads share one for Python code): see workers.py.
        self._processes = processes
        # Worker processes started before the watcher (run.py's, which checked the templates);
        # the first workers use them, and the watcher closes them.
        self._started = list(started)
        self._settling = SettleTracker(incomplete_grace)
        self._stopping = threading.Event()
        # Set by a file event, a finished job or stop(): the loop looks at once instead of at
        # its next tick (up to a quarter of the settle time later).
        self._wake = threading.Event()
        self._handoff = _HandOff(workers * QUEUE_SLOTS_PER_WORKER, self._wake)
        self.roots = [
            _RootWatch(
                root,
                InboxListing(root),
                InboxObserver(root, self._handoff.hint),
                UntakeableEntries(root),
                StatusPage(root) if status_page else None,
            )
            for root in roots
        ]
        self._pages = {watch.root.path: watch.page for watch in self.roots if watch.page}
        settle = min(r.config.settle_seconds for r in roots)
        self._tick = min(max(settle / 4, MIN_TICK_SECONDS), MAX_TICK_SECONDS)
        self._next_retention = 0.0  # at start, then every retention.INTERVAL_SECONDS

    # ---- running and stopping

    def run(self) -> RunSummary:
        """Watch until `stop()` (or, with `once`, until every file present is done)."""
        for watch in self.roots:
            remove_snapshots(watch.root)
        threads = [
            threading.Thread(
                target=self._work, args=(self._maker(n),), name=f"sos-docs-worker-{n}", daemon=True
            )
            for n in range(1, self._workers + 1)
        ]
        for thread in threads:
            thread.start()
        try:
            self._loop()
        finally:
            self._shut_down(threads)
        return self.summary

    def stop(self) -> None:
        """Take no new files; jobs in flight finish, then `run` returns. Safe from any thread."""
        self._stopping.set()
        self._wake.set()

    def _loop(self) -> None:
        for watch in self.roots:
            _announce(watch.root)
            if watch.page is not None:
                watch.page.start()
        while not self._stopping.is_set():
            self._wake.clear()  # before looking: whatever comes after wakes the next wait
            now = time.monotonic()
            for watch in self.roots:
                if now >= watch.next_rescan:
                    self._rescan(watch, at_start=not watch.next_rescan)
                    watch.next_rescan = now + watch.root.config.rescan_seconds
            if now >= self._next_retention:  # housekeeping: what outlived retention_days
                self._next_retention = now + retention.INTERVAL_SECONDS
                for watch in self.roots:
                    retention.enforce(watch.root)
            self._take_hints()
            self._hand_on_settled(time.monotonic())
            self._make_ahead()
            for page in self._pages.values():
                page.beat_if_due()
            if self.once and self._nothing_left():
                return
            self._wake.wait(self._next_wait())

    def _next_wait(self) -> float:
        """Until the next tick, or sooner when a closed file's copy grace ends; while the queue
        is full, the tick (a finished job wakes the loop at once)."""
        if not self._handoff.has_room():
            return self._tick
        return self._settling.next_wait(self._tick, time.monotonic())

    def _shut_down(self, threads: Sequence[threading.Thread]) -> None:
        self._stopping.set()
        for watch in self.roots:
            watch.events.stop()
        for _ in threads:
            self._handoff.queue.put(None)  # workers skip what is still queued, so room appears
        for thread in threads:
            thread.join()
        for page in self._pages.values():
            page.stop()
        left = sum(len(jobs.unfinished_jobs(watch.root)) for watch in self.roots)
        log.info(
            "Stopped. This run: %d processed, %d rejected; %d left in the work area to retry.",
            self.summary.processed,
            self.summary.rejected,
            left,
        )

    # ---- workers

    def _maker(self, number: int) -> DocumentProcess | None:
        """The worker process of worker `number` (from 1): one started already, or a new one."""
        if not self._processes:  # jobs in this process (those started are closed by their maker)
            return None
        if number <= len(self._started):
            return self._started[number - 1]
        return DocumentProcess()

    def _work(self, maker: DocumentProcess | None) -> None:
        try:
            if maker is not None and not self.once:  # --once starts more only when needed
                _start_early(maker)
            self._work_through_queue(maker)
        finally:
            if maker is not None:
                maker.close()

    def _work_through_queue(self, maker: DocumentProcess | None) -> None:
        while True:
            task = self._handoff.queue.get()
            if task is None:
                return
            if task.only_ahead:
                self._run_ahead(task, maker)
                continue
            try:
                if not self._stopping.is_set():  # not claimed yet: it stays where it is
                    result = _run_task(task, maker)
                    self._count(result, task.path)
                    page = self._pages.get(task.root.path)
                    if page is not None:
                        page.job_done()
                    if self._after_job is not None:  # before `finished`: --once sees its files
                        self._after_job(task.root, result)
            except Exception:  # a worker must never die; the file stays in the inbox or work area
                log.exception("unexpected error handling %s", task.path.name)
            finally:
                self._handoff.finished(task.path)

    def _run_ahead(self, task: _Task, maker: DocumentProcess | None) -> None:
        """Make an inbox file's documents ahead, unless stopping (the job makes them then)."""
        assert task.ahead is not None
        try:
            if self._stopping.is_set():
                task.ahead.cancel()
            else:
                task.ahead.run(None if maker is None else maker.make)
        finally:
            self._handoff.finished_ahead()

    def _count(self, result: JobResult, task_path: Path) -> None:
        with self._handoff.lock:
            if result.outcome is JobOutcome.PROCESSED:
                self.summary.processed += 1
            elif result.outcome is JobOutcome.REJECTED:
                self.summary.rejected += 1
            elif result.reason:  # waiting in the work area, or the file could not be taken
                self.summary.waiting += 1
                if self.once:
                    self._handoff.given_up.add(result.folder or task_path)

    # ---- finding candidates

    def _take_hints(self) -> None:
        for path, (root, arrival) in self._handoff.take_hints().items():
            if path.parent == root.inbox:
                self._track(root, path, arrival)

    def _rescan(self, watch: _RootWatch, *, at_start: bool = False) -> None:
        """Queue unfinished jobs, list the inbox, and keep the observer alive.

        Files found by the first listing need no settle time if their last change is older
        than it (inbox.SettleTracker.track).
        """
        self._queue_unfinished(watch.root)
        listing = watch.listing.list()
        if listing is None:
            return
        names, others = listing
        if watch.page is not None:
            watch.page.checked()
        watch.events.keep_alive()
        arrival = Arrival.FOUND_AT_START if at_start else Arrival.CHANGED
        for path in names:
            self._track(watch.root, path, arrival)
        watch.untakeable.explain(others)

    def _track(self, root: WatchedRoot, path: Path, arrival: Arrival = Arrival.CHANGED) -> None:
        """Start (or refresh) settle tracking of a candidate not already queued or in work."""
        if not self.file_filter(path):
            return
        if self._handoff.busy(path):
            return
        self._settling.track(root, path, arrival)

    def _queue_unfinished(self, root: WatchedRoot) -> None:
        """Hand on job folders left by a crash or a folder that could not be written."""
        for folder in jobs.unfinished_jobs(root):
            if self._handoff.busy(folder):
                continue
            if not self._handoff.offer(_Task(root, folder, resume=True)):
                return

    # ---- settling and handing on

    def _hand_on_settled(self, now: float) -> None:
        settled = self._settling.settled(now, self._stopping)
        # A file is judged settled only when there is room to queue it: the judging (its
        # content, and whether any process holds it open to write) is the costly part of a
        # pass, and a burst fills the queue for many passes.
        while self._handoff.has_room():
            found = next(settled, None)
            if found is None:
                return
            path, seen = found
            ahead = self._handoff.ahead.get(path)
            if not self._handoff.offer(_Task(seen.root, path, ahead=ahead)):
                return  # the queue is full: try again next tick
            self._handoff.ahead.pop(path, None)
            log.debug(
                'Taking "%s": %s.', path.name, why_taken(seen), extra=root_extra(seen.root.path)
            )
            self._settling.forget(path)

    def _make_ahead(self) -> None:
        """Start making the documents of a file closed by its writer while its copy grace runs,
        when a worker is free; forget those of files no longer waiting for their grace."""
        ahead = self._handoff.ahead
        for path in [p for p in ahead if p not in self._settling.tracked]:
            ahead.pop(path).cancel()
        for path, seen in self._settling.tracked.items():
            if not _in_copy_grace(seen):
                continue
            current = ahead.get(path)
            if current is not None and (
                same_file(current.signature, seen.signature) or current.tries >= MOST_TRIES
            ):
                continue  # made ahead already, or touched again and again: it just waits
            tries = 1 if current is None else current.tries + 1
            speculation = Speculation(seen.root, path, seen.signature, tries)
            if not self._handoff.offer_ahead(speculation, self._workers):
                return
            if current is not None:  # the file changed since: what it makes is never used
                current.cancel()
            ahead[path] = speculation

    def _nothing_left(self) -> bool:
        """For `--once`: no file waiting, settling, queued or in work, in any root."""
        if not self._handoff.idle() or self._settling.tracked:
            return False
        for watch in self.roots:
            self._rescan(watch)
        return not self._settling.tracked and not self._handoff.pending


def _start_early(maker: DocumentProcess) -> None:
    """Start a worker process at the service's start, so the first job need not wait for it to
    load; if it cannot start now, the first job tries again (and says why)."""
    try:
        maker.start()
    except Exception:
        log.warning("could not start a worker process yet; trying at the first job", exc_info=True)


def _in_copy_grace(seen: Seen) -> bool:
    """True for a file its writer has closed, waiting for its copy grace (not renamed in)."""
    return closed_since_written(seen) and not unchanged_since_renamed(seen)


def _run_task(task: _Task, maker: DocumentProcess | None) -> JobResult:
    """Claim and process an inbox file, or finish a job folder; in `maker`'s process if given
    (else in this one). Documents made ahead during the copy grace are used if the claimed
    file is the same."""
    make: DocumentMaker | None = None if maker is None else maker.make
    if task.ahead is not None and not task.resume:
        make = task.ahead.maker(make)
    given = {} if make is None else {"make": make}  # in this process by default
    if task.resume:
        return jobs.resume_job(task.root, task.path, **given)
    return jobs.run_job(task.root, task.path, **given)


def _announce(root: WatchedRoot) -> None:
    """Log how a root's inbox is watched."""
    config = root.config
    how = "polling" if config.polling else "file events"
    log.info(
        "Watching %s (%s, full listing every %g s, settle time %g s).",
        root.inbox,
        how,
        config.rescan_seconds,
        config.settle_seconds,
        extra=root_extra(root.path),
    )


def run_until_signalled(watcher: Watcher) -> RunSummary:
    """Run the watcher with SIGINT and SIGTERM asking it to stop gracefully."""

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info(
            "Received %s: finishing the jobs in progress, then stopping.",
            signal.Signals(signum).name,
        )
        watcher.stop()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return watcher.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
