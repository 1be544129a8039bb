"""How a sos-docs process loads its modules: the garbage collector paused, patterns compiled late.

Loading a module makes thousands of objects (functions, classes, constants) that live as long as
the process, and the garbage collector, run every 700 new objects, goes over them again and
again to find nothing to free: about 40 ms of `sos-docs validate`'s start. A process that is
sos-docs' own (`own_process`: the command line, a worker process) loads its modules with the
collector paused (`loading`), then moves what is loaded out of its reach (`gc.freeze`), so later
collections look only at what the work makes. In anyone else's process (a test, a program that
imports sos_docs) `loading` changes nothing: freezing there would keep that program's own
garbage for good.
"""

from __future__ import annotations

import atexit
import gc
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, NoReturn

__all__ = ["LazyPattern", "leave", "loading", "own_process", "paused"]

_owned = False  # set once by the process's entry point


def own_process() -> None:
    """Called first by a sos-docs process's entry point: what is loaded so far is kept out of
    later collections, and the collector runs (`python -m sos_docs` pauses it meanwhile)."""
    global _owned
    _owned = True
    gc.freeze()
    gc.enable()


def leave(status: int) -> NoReturn:
    """End sos-docs' own process with `status` as a finished process ends, less the unloading
    of every module one by one (30 to 60 ms of a `watch --once`): the exit handlers run (log
    files flushed and closed, multiprocessing's clean-up), the standard streams are flushed,
    then os._exit. Anywhere else (a test running the command) it raises SystemExit as
    sys.exit does."""
    if not _owned:
        sys.exit(status)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(status)


@contextmanager
def loading() -> Iterator[None]:
    """Load modules in the block with the collector paused, then freeze them (own process only)."""
    if not _owned:
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """Load modules in the block with the collector paused, in any process, then put it back as
    it was. For the package's own first imports, which run before a sos-docs process can say it
    is its own (`python -m sos_docs` and the `sos-docs` script both import the package first):
    nothing is frozen, so in anyone else's process the block's garbage is collected as usual
    at the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class LazyPattern:
    """A regular expression compiled the first time it is used, not when its module loads.

    For a module's many patterns that only some inputs need (the one-page map's 13 cost 7 to 10
    ms to compile, in every `validate`, for workbooks that are not one-page maps; the settings
    file's, dates typed as text and the log files' some 2 ms more).
    """

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (two threads at once may both compile it: the same result)."""
        if self._compiled is None:
            self._compiled = re.compile(self._pattern, self._flags)
        return self._compiled

    def match(self, string: str) -> re.Match[str] | None:
        return self.compiled.match(string)

    def fullmatch(self, string: str) -> re.Match[str] | None:
        return self.compiled.fullmatch(string)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def split(self, string: str) -> list[str | Any]:
        return self.compiled.split(string)
