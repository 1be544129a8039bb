"""The watch loop: find inbox files, wait until they are whole, and feed them to a few workers.

Events are a hint, the listing is the truth (docs/hot-folder.md, guarantee 2): watchdog's native
or polling observer reports changes quickly, and a full listing of each inbox at start and every
`rescan_seconds` finds whatever the events missed (network shares send none, event buffers
overflow, observer threads die). A candidate is handed on only once it has settled (guarantee 1),
through a bounded queue (guarantee 9); a stop request lets jobs in flight finish (guarantee 8).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import queue
import signal
import stat
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import FrameType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from sos_docs import codes, files
from sos_docs.errors import DeliveryError
from sos_docs.service import jobs, retention
from sos_docs.service.inbox_names import InboxFilter, ignored_reason
from sos_docs.service.jobs import JobOutcome, JobResult
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra
from sos_docs.service.workers import DocumentProcess
from sos_docs.workbook import explain, guard

__all__ = ["DEFAULT_WORKERS", "RunSummary", "Watcher", "run_until_signalled"]

log = logging.getLogger(__name__)

DEFAULT_WORKERS = 2
QUEUE_SLOTS_PER_WORKER = 2
# A file that stays the same but never becomes a whole workbook (a copy that broke off, a
# damaged file) is taken after this many settle times, so that it is rejected as damaged
# instead of sitting in the inbox unexplained.
INCOMPLETE_GRACE_SETTLES = 30
MIN_TICK_SECONDS = 0.05
MAX_TICK_SECONDS = 0.5
OBSERVER_JOIN_SECONDS = 5.0
MOVE_PAIRING_SECONDS = 0.02  # see _shorten_move_pairing
# After a writer's close event, the file must stay unchanged (size, times, permissions) this
# long before it is claimed: shutil.copy, cp -p, robocopy and Explorer set times or
# permissions just after closing, and a claim in between made the copier fail.
COPY_GRACE_SECONDS = 0.1
PROC = Path("/proc")

Filter = Callable[[PurePath], bool]
# size in bytes, modification and change times in ns, mode: chmod and utime change the last two
Signature = tuple[int, int, int, int]


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


@dataclass
class _Seen:
    """What the settle check knows of one inbox file."""

    root: WatchedRoot
    signature: Signature
    stable_since: float
    closed_at: Signature | None = None  # signature when a writer's close event arrived
    whole: bool | None = None  # the completeness check's answer for the current signature
    warned: bool = False  # "taking it although not whole" was logged


@dataclass(frozen=True)
class _Task:
    """An inbox file to claim, or a job folder to finish."""

    root: WatchedRoot
    path: Path
    resume: bool = False


@dataclass
class _RootWatch:
    """One root's observer and rescan timing."""

    root: WatchedRoot
    observer: BaseObserver | None = None
    next_rescan: float = 0.0
    inbox_missing: bool = False
    events_failed: bool = False  # the last attempt to start the observer failed (logged once)
    # Folders, pipes and devices in the inbox: first seen (monotonic), until explained once.
    untakeable: dict[Path, float] = field(default_factory=dict)
    explained: set[Path] = field(default_factory=set)


@dataclass
class _Shared:
    """State the observer threads, the loop and the workers share, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    hints: dict[Path, tuple[WatchedRoot, bool]] = field(default_factory=dict)
    pending: set[Path] = field(default_factory=set)  # queued or in work
    # --once tries each job folder left waiting, and each file that could not be taken, once
    given_up: set[Path] = field(default_factory=set)


class _InboxEvents(FileSystemEventHandler):
    """Turns watchdog events in one inbox into hints; never raises into the observer thread."""

    def __init__(self, root: WatchedRoot, hint: Callable[[WatchedRoot, Path, bool], None]) -> None:
        self.root = root
        self.hint = hint

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        try:
            self.hint(self.root, Path(os.fsdecode(path)), event.event_type == "closed")
        except Exception:  # an exception here would silently end the observer thread
            log.exception("could not note an event for %s", path)


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
    ) -> None:
        self.roots = [_RootWatch(root) for root in roots]
        self.once = once
        self.file_filter: Filter = file_filter or InboxFilter()
        self.summary = RunSummary()
        self._workers = workers
        # Each worker thread checks and renders in a worker process of its own, so that the
        # workers use every core (threads share one for Python code): see workers.py.
        self._processes = processes
        self._grace = incomplete_grace
        self._queue: queue.Queue[_Task | None] = queue.Queue(workers * QUEUE_SLOTS_PER_WORKER)
        self._shared = _Shared()
        self._tracked: dict[Path, _Seen] = {}
        self._stopping = threading.Event()
        # Set by a file event, a finished job or stop(): the loop looks at once instead of at
        # its next tick (up to a quarter of the settle time later).
        self._wake = threading.Event()
        settle = min(r.config.settle_seconds for r in roots)
        self._tick = min(max(settle / 4, MIN_TICK_SECONDS), MAX_TICK_SECONDS)
        self._next_retention = 0.0  # at start, then every retention.INTERVAL_SECONDS

    # ---- running and stopping

    def run(self) -> RunSummary:
        """Watch until `stop()` (or, with `once`, until every file present is done)."""
        threads = [
            threading.Thread(target=self._work, name=f"sos-docs-worker-{n}", daemon=True)
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
            self._announce(watch.root)
        while not self._stopping.is_set():
            self._wake.clear()  # before looking: whatever comes after wakes the next wait
            now = time.monotonic()
            for watch in self.roots:
                if now >= watch.next_rescan:
                    self._rescan(watch)
                    watch.next_rescan = now + watch.root.config.rescan_seconds
            if now >= self._next_retention:  # housekeeping: what outlived retention_days
                self._next_retention = now + retention.INTERVAL_SECONDS
                for watch in self.roots:
                    retention.enforce(watch.root)
            self._take_hints()
            self._hand_on_settled(time.monotonic())
            if self.once and self._nothing_left():
                return
            self._wake.wait(self._next_wait(time.monotonic()))

    def _next_wait(self, now: float) -> float:
        """The tick, or less when a closed file's copy grace ends sooner (keeps latency low)."""
        wait = self._tick
        for seen in self._tracked.values():
            if _closed_since_written(seen):
                wait = min(wait, max(seen.stable_since + COPY_GRACE_SECONDS - now, 0.005))
        return wait

    def _shut_down(self, threads: Sequence[threading.Thread]) -> None:
        self._stopping.set()
        for watch in self.roots:
            self._stop_observer(watch)
        for _ in threads:
            self._queue.put(None)  # workers skip what is still queued, so room appears
        for thread in threads:
            thread.join()
        left = sum(len(jobs.unfinished_jobs(watch.root)) for watch in self.roots)
        log.info(
            "Stopped. This run: %d processed, %d rejected; %d left in the work area to retry.",
            self.summary.processed,
            self.summary.rejected,
            left,
        )

    def _announce(self, root: WatchedRoot) -> None:
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

    # ---- workers

    def _work(self) -> None:
        maker = DocumentProcess() if self._processes else None
        try:
            self._work_through_queue(maker)
        finally:
            if maker is not None:
                maker.close()

    def _work_through_queue(self, maker: DocumentProcess | None) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                return
            try:
                if not self._stopping.is_set():  # not claimed yet: it stays where it is
                    self._count(self._run_task(task, maker), task.path)
            except Exception:  # a worker must never die; the file stays in the inbox or work area
                log.exception("unexpected error handling %s", task.path.name)
            finally:
                with self._shared.lock:
                    self._shared.pending.discard(task.path)
                self._wake.set()  # a queue slot is free for a file that has settled

    def _run_task(self, task: _Task, maker: DocumentProcess | None) -> JobResult:
        make = {} if maker is None else {"make": maker.make}  # in this process by default
        if task.resume:
            return jobs.resume_job(task.root, task.path, **make)
        return jobs.run_job(task.root, task.path, **make)

    def _count(self, result: JobResult, task_path: Path) -> None:
        with self._shared.lock:
            if result.outcome is JobOutcome.PROCESSED:
                self.summary.processed += 1
            elif result.outcome is JobOutcome.REJECTED:
                self.summary.rejected += 1
            elif result.reason:  # waiting in the work area, or the file could not be taken
                self.summary.waiting += 1
                if self.once:
                    self._shared.given_up.add(result.folder or task_path)

    # ---- finding candidates

    def _hint(self, root: WatchedRoot, path: Path, closed: bool) -> None:
        """Called from observer threads: remember the path until the loop looks at it."""
        with self._shared.lock:
            _, was_closed = self._shared.hints.get(path, (root, False))
            self._shared.hints[path] = (root, closed or was_closed)
        if closed:  # its writer is done: it may be taken now, without waiting to settle
            self._wake.set()

    def _take_hints(self) -> None:
        with self._shared.lock:
            hints, self._shared.hints = self._shared.hints, {}
        for path, (root, closed) in hints.items():
            if path.parent == root.inbox:
                self._track(root, path, closed=closed)

    def _rescan(self, watch: _RootWatch) -> None:
        """Queue unfinished jobs, list the inbox, and keep the observer alive."""
        self._queue_unfinished(watch.root)
        listing = self._list_inbox(watch)
        if listing is None:
            return
        names, others = listing
        self._keep_observer_alive(watch)
        for path in names:
            self._track(watch.root, path)
        self._explain_untakeable(watch, others)

    def _list_inbox(self, watch: _RootWatch) -> tuple[list[Path], list[Path]] | None:
        """The inbox's files, and everything else in it that is not ignored by name (folders,
        links, pipes, devices); None (logged once) while it cannot be read."""
        inbox = watch.root.inbox
        files: list[Path] = []
        others: list[Path] = []
        try:
            with os.scandir(inbox) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        files.append(Path(entry.path))
                    elif ignored_reason(entry.name) is None:
                        others.append(Path(entry.path))
        except OSError as exc:
            if not watch.inbox_missing:
                log.error(
                    "The inbox %s cannot be read (%s): is the share connected? "
                    "sos-docs will look again every %g s.",
                    inbox,
                    exc.strerror or exc,
                    watch.root.config.rescan_seconds,
                    extra=root_extra(watch.root.path),
                )
                watch.inbox_missing = True
            return None
        if watch.inbox_missing:
            log.info("The inbox %s can be read again.", inbox, extra=root_extra(watch.root.path))
            watch.inbox_missing = False
        return files, others

    def _explain_untakeable(self, watch: _RootWatch, others: list[Path]) -> None:
        """Once each, after the settle time: a note in rejected/ for what cannot be moved."""
        now = time.monotonic()
        present = set(others)
        for gone in set(watch.untakeable) - present:
            del watch.untakeable[gone]
        watch.explained &= present  # a folder removed and made again is explained again
        for path in others:
            if path in watch.explained:
                continue
            first_seen = watch.untakeable.setdefault(path, now)
            if now - first_seen < watch.root.config.settle_seconds:
                continue
            try:
                _write_untakeable_note(watch.root, path)
            except DeliveryError as exc:
                log.warning("Could not explain %s: %s", path.name, exc)
                continue
            watch.explained.add(path)

    def _track(self, root: WatchedRoot, path: Path, *, closed: bool = False) -> None:
        """Start (or refresh) settle tracking of a candidate not already queued or in work."""
        if not self.file_filter(path):
            return
        with self._shared.lock:
            if path in self._shared.pending or path in self._shared.given_up:
                return
        if path in self._tracked and not closed:
            return
        signature = _signature(path)
        if signature is None:
            self._tracked.pop(path, None)
            return
        seen = self._tracked.get(path)
        if seen is None:
            seen = self._tracked[path] = _Seen(root, signature, time.monotonic())
        if closed:
            seen.closed_at = signature

    def _queue_unfinished(self, root: WatchedRoot) -> None:
        """Hand on job folders left by a crash or a folder that could not be written."""
        for folder in jobs.unfinished_jobs(root):
            with self._shared.lock:
                if folder in self._shared.pending or folder in self._shared.given_up:
                    continue
            if not self._offer(_Task(root, folder, resume=True)):
                return

    # ---- settling and handing on

    def _hand_on_settled(self, now: float) -> None:
        for path, seen in list(self._tracked.items()):
            if self._stopping.is_set():
                return
            signature = _signature(path)
            if signature is None:  # taken by another service, or deleted
                del self._tracked[path]
                continue
            if signature != seen.signature:
                seen.signature, seen.stable_since = signature, now
                seen.whole = None
            if self._settled(path, seen, now):
                if not self._offer(_Task(seen.root, path)):
                    return  # the queue is full: try again next tick
                del self._tracked[path]

    def _settled(self, path: Path, seen: _Seen, now: float) -> bool:
        """Unchanged for the settle time (or closed by its writer and unchanged for the copy
        grace), whole as far as its content tells, and open for writing nowhere."""
        quiet = now - seen.stable_since
        closed = _closed_since_written(seen) and quiet >= COPY_GRACE_SECONDS
        if quiet < seen.root.config.settle_seconds and not closed:
            return False
        if seen.whole is None:
            seen.whole = guard.looks_whole(path, seen.root.config.limits)
        if seen.whole and _open_for_writing(path):
            seen.stable_since = now  # a writer still holds it: wait for it to finish
            return False
        if seen.whole:
            return True
        grace = self._grace or INCOMPLETE_GRACE_SETTLES * seen.root.config.settle_seconds
        if quiet < grace:
            return False
        if not seen.warned:  # once, though a full queue may hold it back for many ticks
            log.warning(
                'Taking "%s" although it has not become a whole workbook in %g s.',
                path.name,
                grace,
                extra=root_extra(seen.root.path),
            )
            seen.warned = True
        return True

    def _offer(self, task: _Task) -> bool:
        """Queue a task unless the queue is full; marks its path as pending."""
        with self._shared.lock:
            self._shared.pending.add(task.path)
        try:
            self._queue.put_nowait(task)
        except queue.Full:
            with self._shared.lock:
                self._shared.pending.discard(task.path)
            return False
        return True

    def _nothing_left(self) -> bool:
        """For `--once`: no file waiting, settling, queued or in work, in any root."""
        with self._shared.lock:
            if self._shared.pending or self._shared.hints:
                return False
        if self._tracked:
            return False
        for watch in self.roots:
            self._rescan(watch)
        return not self._tracked and not self._shared.pending

    # ---- observers

    def _keep_observer_alive(self, watch: _RootWatch) -> None:
        """Start the observer, or restart it when its thread or its emitter has died."""
        observer = watch.observer
        if observer is not None and _observer_alive(observer):
            return
        if observer is not None:
            log.warning(
                "The file watcher of %s stopped; starting it again.",
                watch.root.inbox,
                extra=root_extra(watch.root.path),
            )
            self._stop_observer(watch)
        watch.observer = self._start_observer(watch)

    def _start_observer(self, watch: _RootWatch) -> BaseObserver | None:
        root = watch.root
        _shorten_move_pairing()
        observer: BaseObserver = PollingObserver() if root.config.polling else Observer()
        try:
            observer.schedule(_InboxEvents(root, self._hint), str(root.inbox), recursive=False)
            observer.start()
        except OSError as exc:  # inotify limits, a share without notifications
            if not watch.events_failed:
                log.warning(
                    "Cannot watch %s for file events (%s); relying on the listing every %g s.",
                    root.inbox,
                    exc,
                    root.config.rescan_seconds,
                    extra=root_extra(root.path),
                )
            watch.events_failed = True
            return None
        watch.events_failed = False
        return observer

    def _stop_observer(self, watch: _RootWatch) -> None:
        observer, watch.observer = watch.observer, None
        if observer is None:
            return
        try:
            observer.stop()
            observer.join(OBSERVER_JOIN_SECONDS)
        except Exception:  # a broken observer must not stop the shutdown
            log.debug("error stopping the observer of %s", watch.root.inbox, exc_info=True)


# --------------------------------------------------------------------------------------------
# Helpers


def _closed_since_written(seen: _Seen) -> bool:
    """True when a writer closed the file and its size has not changed since.

    Times and permissions may change after the close (a copier setting them): that restarts
    the copy grace, but does not cancel the close.
    """
    return seen.closed_at is not None and seen.closed_at[0] == seen.signature[0]


def _signature(path: Path) -> Signature | None:
    """(size, mtime, ctime, mode) of a regular file, or None when it is gone or something else
    (a folder, a link or a pipe, which _explain_untakeable handles)."""
    try:
        info = path.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_mode)


def _open_for_writing(path: Path) -> bool:
    """True when, as far as Linux's /proc tells, another process has the file open to write.

    Only processes this account may inspect are seen; elsewhere (Windows, a share) the copy
    grace and the settle time are the only guards.
    """
    if not (PROC / "self" / "fd").is_dir():
        return False
    try:
        wanted = path.stat(follow_symlinks=False)
    except OSError:
        return False
    own = str(os.getpid())
    with contextlib.suppress(OSError), os.scandir(PROC) as processes:
        for process in processes:
            owned = process.name.isdigit() and process.name != own
            if owned and _holds_for_writing(Path(process.path), wanted):
                return True
    return False


def _holds_for_writing(process: Path, wanted: os.stat_result) -> bool:
    """True when one of the process's descriptors is the file, opened to write."""
    try:
        with os.scandir(process / "fd") as descriptors:
            for fd in descriptors:
                try:
                    info = fd.stat()
                except OSError:
                    continue
                if (info.st_dev, info.st_ino) != (wanted.st_dev, wanted.st_ino):
                    continue
                flags = _fd_flags(process / "fdinfo" / fd.name)
                if flags is not None and flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
                    return True
    except OSError:  # the process ended, or belongs to another account
        return False
    return False


def _fd_flags(fdinfo: Path) -> int | None:
    try:
        for line in fdinfo.read_text(encoding="ascii").splitlines():
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _write_untakeable_note(root: WatchedRoot, path: Path) -> None:
    """`<name> - problems.txt` in rejected/ for a folder or pipe left in the inbox, once."""
    try:
        mode = path.stat(follow_symlinks=False).st_mode
    except OSError:
        return
    name = path.name
    kind = "a folder" if stat.S_ISDIR(mode) else "not an ordinary file"
    if stat.S_ISLNK(mode):
        kind = "a link"
        what = (
            f'"{name}" is a shortcut (symbolic link) to another file or folder. sos-docs never '
            f"follows links and leaves it where it is; {guard.ACCEPTED}: put a copy of the "
            "workbook itself in the inbox, and remove the link"
        )
    elif stat.S_ISDIR(mode):
        what = (
            f'"{name}" is a folder. sos-docs does not look inside folders in the inbox and leaves '
            f"this one where it is; {guard.ACCEPTED}: put each workbook directly in the inbox, "
            "and move the folder somewhere else"
        )
    else:
        what = (
            f'"{name}" is not an ordinary file (it is a named pipe, a device or a socket), so '
            f"sos-docs cannot take it and leaves it where it is; {guard.ACCEPTED}. Ask IT to "
            "remove it"
        )
    note = root.rejected / f"{files.safe_file_name(name, max_length=200)} - problems.txt"
    if os.path.lexists(note):
        return  # explained by an earlier run
    text = explain.problems_text(name, [codes.problem(codes.WB001, None, None, what)])
    files.write_new_file(note, explain.text_file_bytes(text), within=root.rejected)
    log.info(
        'Left "%s" in the inbox (%s); explained in %s.',
        name,
        kind,
        note.name,
        extra=root_extra(root.path),
    )


def _shorten_move_pairing() -> None:
    """Let watchdog pair a rename's two halves for milliseconds, not half a second.

    On Linux watchdog holds each IN_MOVED_FROM back `delay` seconds (0.5) to pair it with its
    IN_MOVED_TO, and every event queued behind it waits as well: after each claim (a rename
    out of the inbox) the next workbook's events came up to half a second late. Both halves
    of a rename arrive in the same read, so a few milliseconds pair them; an unpaired half is
    only a deleted or created event, which the watcher treats as a hint anyway.
    """
    for module, name in (
        ("watchdog.observers.inotify_move_event_grouper", "InotifyMoveEventGrouper"),  # 5+
        ("watchdog.observers.inotify_buffer", "InotifyBuffer"),  # watchdog 4
    ):
        with contextlib.suppress(ImportError, AttributeError):
            grouper = getattr(importlib.import_module(module), name)
            grouper.delay = min(grouper.delay, MOVE_PAIRING_SECONDS)


def _observer_alive(observer: BaseObserver) -> bool:
    """True when the observer thread and every emitter thread still run.

    watchdog's emitter stops when its folder is deleted or it hits an error, while the observer
    thread (and `is_alive()`) carries on: watchdog issue #648.
    """
    return observer.is_alive() and all(emitter.is_alive() for emitter in observer.emitters)


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
