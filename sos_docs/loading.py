"""How a sos-docs process loads its modules: with the garbage collector paused, then frozen.

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

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["loading", "own_process"]

_owned = False  # set once by the process's entry point


def own_process() -> None:
    """Called first by a sos-docs process's entry point: what is loaded so far is kept out of
    later collections, and the collector runs (`python -m sos_docs` pauses it meanwhile)."""
    global _owned
    _owned = True
    gc.freeze()
    gc.enable()


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
