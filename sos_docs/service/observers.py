"""File events from watchdog: one observer per inbox, kept alive, its events turned into hints.

Events are only a hint (the listing is the truth): an observer that cannot start, or whose
thread dies, is logged and started again at the next listing.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from sos_docs.service.inbox import Arrival
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra

__all__ = ["MOVE_PAIRING_SECONDS", "Hint", "InboxObserver", "shorten_move_pairing"]

log = logging.getLogger(__name__)

OBSERVER_JOIN_SECONDS = 5.0
MOVE_PAIRING_SECONDS = 0.02  # see shorten_move_pairing

# Called from an observer thread with the root, the path and what the event tells of it.
Hint = Callable[[WatchedRoot, Path, Arrival], None]
ARRIVALS = {"closed": Arrival.CLOSED, "moved": Arrival.RENAMED}


class InboxObserver:
    """The watchdog observer of one root's inbox, started again when it has died."""

    def __init__(self, root: WatchedRoot, hint: Hint) -> None:
        self.root = root
        self.hint = hint
        self.observer: BaseObserver | None = None
        self.failed = False  # the last attempt to start the observer failed (logged once)

    def keep_alive(self) -> None:
        """Start the observer, or restart it when its thread or its emitter has died."""
        observer = self.observer
        if observer is not None and observer_alive(observer):
            return
        if observer is not None:
            log.warning(
                "The file watcher of %s stopped; starting it again.",
                self.root.inbox,
                extra=root_extra(self.root.path),
            )
            self.stop()
        self.observer = self._start()

    def _start(self) -> BaseObserver | None:
        root = self.root
        shorten_move_pairing()
        try:
            observer = PollingObserver() if root.config.polling else _native_observer()
            observer.schedule(_InboxEvents(root, self.hint), str(root.inbox), recursive=False)
            observer.start()
        except OSError as exc:  # inotify limits, a share without notifications
            if not self.failed:
                log.warning(
                    "Cannot watch %s for file events (%s); relying on the listing every %g s.",
                    root.inbox,
                    exc,
                    root.config.rescan_seconds,
                    extra=root_extra(root.path),
                )
            self.failed = True
            return None
        self.failed = False
        return observer

    def stop(self) -> None:
        """Stop the observer, if one runs; errors are logged, never raised."""
        observer, self.observer = self.observer, None
        if observer is None:
            return
        try:
            observer.stop()
            observer.join(OBSERVER_JOIN_SECONDS)
        except Exception:  # a broken observer must not stop the shutdown
            log.debug("error stopping the observer of %s", self.root.inbox, exc_info=True)


class _InboxEvents(FileSystemEventHandler):
    """Turns watchdog events in one inbox into hints; never raises into the observer thread."""

    def __init__(self, root: WatchedRoot, hint: Hint) -> None:
        self.root = root
        self.hint = hint

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = event.dest_path if event.event_type == "moved" else event.src_path
        if not path:  # moved out of the inbox (a claim): nothing arrives
            return
        arrival = ARRIVALS.get(event.event_type, Arrival.CHANGED)
        try:
            self.hint(self.root, Path(os.fsdecode(path)), arrival)
        except Exception:  # an exception here would silently end the observer thread
            log.exception("could not note an event for %s", path)


def _native_observer() -> BaseObserver:
    """The platform's observer; on Linux one that reports a file renamed in from elsewhere as
    a move (with no source), not as a created file, so that it need not settle."""
    native: Any = Observer  # watchdog's choice for this platform
    if native.__name__ == "InotifyObserver":
        return cast(BaseObserver, native(generate_full_events=True))
    return cast(BaseObserver, native())


def shorten_move_pairing() -> None:
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


def observer_alive(observer: BaseObserver) -> bool:
    """True when the observer thread and every emitter thread still run.

    watchdog's emitter stops when its folder is deleted or it hits an error, while the observer
    thread (and `is_alive()`) carries on: watchdog issue #648.
    """
    return observer.is_alive() and all(emitter.is_alive() for emitter in observer.emitters)
