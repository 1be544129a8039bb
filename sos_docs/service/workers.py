"""Worker processes for the service: each checks and renders workbooks for one worker thread.

Python runs one thread at a time, so two worker threads share one core for the reading and
rendering that make up nearly all of a job. With a worker process behind each thread the work
uses every core, while the job itself (claim, journal, staging, placing, moving) stays in the
service's own threads, so every hot-folder guarantee stands as it was.

A worker process ignores SIGINT and SIGTERM: when the service is told to stop (Ctrl+C or a
service manager reaches every process of the group), the job in flight still gets its answer
and finishes. It is started with both signals blocked, so one that arrives while it is still
starting up (before it can ignore them) waits, and is then ignored, rather than killing it. A worker process that dies mid-job (killed, out of memory, a crash in a parser)
makes that job fail with `WorkerDied`; the next job gets a new process.

A job has `Limits.max_job_seconds` of wall-clock time, counted from when the worker (already
started up) is given the workbook. A worker still busy then is killed, the workbook's answer is
one SYS004 problem ("too large or too complex to process"), and the next job gets a new
process; so one workbook can hold a worker, and a stop request, no longer than the limit.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import time
import traceback
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sos_docs import codes
from sos_docs.config import Config
from sos_docs.loading import loading, own_process
from sos_docs.model import Validation
from sos_docs.service.logs import stacks_on_request

if TYPE_CHECKING:  # the service's own process never loads the pipeline for these
    from sos_docs.pipeline import EarlierLookup, Made
    from sos_docs.service.doctor import Check

__all__ = ["DocumentProcess", "WorkerDied"]

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # a worker that does not leave when asked is ended
STARTUP_SECONDS = 120.0  # a worker not ready by then (loading its modules) is ended
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
# Held back while a worker starts, and let through once it can take them: a stop, and the
# request for its stacks (whose default action, before `_serve` registers it, would end it).
STARTUP_HELD = STOP_SIGNALS | {getattr(signal, "SIGUSR1", signal.SIGTERM)}
# Log records a worker passes on to the service's handlers, as plain values.
_RECORD_FIELDS = ("name", "levelno", "levelname", "pathname", "lineno", "funcName", "created")


class WorkerDied(RuntimeError):
    """The worker process stopped before it answered."""


class _OutOfTime(Exception):
    """The worker process did not answer within the job's time limit."""


class DocumentProcess:
    """A worker process that runs `pipeline.make_documents`: started by `start()` (the service
    does so at its start, so the first job need not wait for it to load), or at first use."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")  # safe beside the service's threads
        self._process: Any = None
        self._connection: Connection | None = None
        self._ready = False  # the worker has said it has started up

    def make(self, workbook: Path, config: Config, earlier: EarlierLookup | None = None) -> Made:
        """`pipeline.make_documents(workbook, config, earlier)`, done by the worker process.

        `earlier` must survive pickling (`journal_hosts.ProcessedOfCase` does).

        After `config.limits.max_job_seconds` the worker is killed (the next job starts a new
        one) and the answer is the workbook refused as too large or too complex (SYS004).
        """
        limit = config.limits.max_job_seconds
        try:
            made: Made = self._ask(("make", workbook, config, earlier), limit, workbook.name)
        except _OutOfTime:
            log.warning(
                "stopped the worker process after %d s on %s; a new one takes the next job",
                limit,
                workbook.name,
            )
            return _out_of_time(limit)
        return made

    def check_templates(self, config: Config) -> list[Check]:
        """`doctor.check_templates(config)`, done by the worker process (which loads docxtpl
        anyway), so that the service's own process need not load it at start."""
        try:
            checks: list[Check] = self._ask(
                ("check-templates", config), STARTUP_SECONDS, "the templates"
            )
        except _OutOfTime:
            raise WorkerDied(
                f"the worker process did not check the templates in {STARTUP_SECONDS:g} s"
            ) from None
        return checks

    def _ask(self, request: tuple[Any, ...], limit: float, about: str) -> Any:
        """The worker's answer to one request (`about`: what it works on, for the error).

        On any failure the worker is ended, killed unless it has already gone: it may still
        answer this request later, and that answer must never reach the next job (another
        team's workbook); the next request gets a new worker. _OutOfTime is raised on.
        """
        try:
            kind, *payload = self._exchange(request, limit)
        except (EOFError, OSError) as exc:
            code = self._end()
            raise WorkerDied(
                f"the worker process stopped (exit code {code}) while reading {about}"
            ) from exc
        except BaseException:  # _OutOfTime among them
            self._end(kill=True)
            raise
        if kind != "done":
            raise _child_error(*payload)
        return payload[0]

    def _exchange(self, request: tuple[Any, ...], limit: float) -> tuple[Any, ...]:
        """Send a request; pass on the worker's log records until its answer comes.

        _OutOfTime when no answer has come `limit` seconds after the request was sent.
        """
        connection = self._connection or self._start()
        if not self._ready:
            self._wait_until_ready(connection)
        connection.send(request)
        deadline = time.monotonic() + limit
        while True:
            if not connection.poll(max(deadline - time.monotonic(), 0)):
                raise _OutOfTime
            reply: tuple[Any, ...] = connection.recv()
            if reply[0] != "log":
                return reply
            _pass_on(reply[1])

    def start(self) -> None:
        """Start the worker process now, if none runs; it loads its modules meanwhile."""
        if self._connection is None:
            self._start()

    def close(self) -> None:
        """Ask the worker process to leave, and wait for it."""
        if self._connection is not None:
            with contextlib.suppress(OSError):
                self._connection.send(None)
        self._end()

    def _start(self) -> Connection:
        ours, theirs = self._context.Pipe()
        # At least INFO: the first worker starts before the service's log files are set up
        # (which log INFO), and what it logs then must still reach them.
        level = min(logging.getLogger().getEffectiveLevel(), logging.INFO)
        process = self._context.Process(
            target=_worker_main, args=(theirs, level), name="sos-docs-worker", daemon=True
        )
        # A spawned worker starts as `python -c ...`, which would put the current folder (a
        # team's shared folder, perhaps) first on its module path: a multiprocessing.py put
        # there would run as the service. PYTHONSAFEPATH (Python 3.11) leaves it out.
        os.environ["PYTHONSAFEPATH"] = "1"
        # The child inherits this thread's signal mask across fork and exec. multiprocessing
        # unblocks both signals after starting its resource tracker (CPython bpo-33613), so
        # that is started first, or the first worker would start unprotected.
        resource_tracker.ensure_running()
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, STARTUP_HELD)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
            theirs.close()
        self._process, self._connection, self._ready = process, ours, False
        log.debug("started worker process %s", process.pid)
        return ours

    def _wait_until_ready(self, connection: Connection) -> None:
        """Wait for the new worker to load its modules, so a job's time limit is the job's."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while connection.poll(max(deadline - time.monotonic(), 0)):
            reply: tuple[Any, ...] = connection.recv()
            if reply[0] != "log":
                self._ready = True
                return
            _pass_on(reply[1])
        self._end(kill=True)
        raise WorkerDied(f"the worker process did not start within {STARTUP_SECONDS:g} s")

    def _end(self, *, kill: bool = False) -> int | None:
        """Close the pipe and reap the process (at once, with `kill`); its exit code."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is None:
            return None
        if kill:
            process.kill()
        process.join(STOP_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
        return int(process.exitcode) if process.exitcode is not None else None


def _out_of_time(limit: int) -> Made:
    """The answer for a workbook whose job ran out of time: one SYS004 problem."""
    message = (
        f"sos-docs stopped working on this workbook after {limit} seconds: it is too large or "
        "too complex to process. Look for sheets with very many rows, very long text or very "
        "large pictures, remove what is not part of the map, and save it again. If it looks "
        "like an ordinary mapping workbook, ask your IT team to look at the service's log."
    )
    from sos_docs.pipeline import Made

    problem = codes.problem(codes.SYS004, None, None, message)
    return Made(Validation(None, (problem,)))


def _pass_on(fields: dict[str, Any]) -> None:
    """Hand a worker's log record to this process's handlers, as if logged here."""
    record = logging.makeLogRecord(fields)
    logging.getLogger(record.name).handle(record)


def _child_error(error: BaseException | None, details: str) -> BaseException:
    """The worker's exception, with its traceback as the cause (it cannot be pickled)."""
    found = error if error is not None else RuntimeError(details.strip().splitlines()[-1])
    found.__cause__ = RuntimeError(f"in the worker process:\n{details}")
    return found


# --------------------------------------------------------------------------------------------
# In the worker process


def _worker_main(connection: Connection, level: int) -> None:
    """The worker process's life: serve requests, then leave at once.

    A worker holds nothing to save when it is done (every answer has gone through the pipe,
    and the service writes every file), so it ends with os._exit, as multiprocessing's forked
    children do, instead of tearing down every module it loaded: that took about 0.1 s, which
    a `watch --once` or a stopping service waited for.
    """
    code = 0
    own_process()
    try:
        _serve(connection, level)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    os._exit(code)


def _serve(connection: Connection, level: int) -> None:
    """The worker's loop: a request in (make documents, or check templates), log records and
    one answer out."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    stacks_on_request()  # a stuck job can be looked into, as the service can
    # Stops sent meanwhile are dropped (ignored above); a request for the stacks is answered.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STARTUP_HELD)
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(_PipeHandler(connection))
    # Loaded now, not during the first job (its time limit is the job's), and a broken
    # install is found at start, not as an internal error in a job.
    with loading():
        import sos_docs.documents.context
        import sos_docs.documents.render
        import sos_docs.pipeline
        import sos_docs.workbook.one_page  # a one-page map's reading, loaded only for one
        import sos_docs.workbook.team_layout  # noqa: F401  # and a team's layout, only for one

    try:
        connection.send(("ready",))
    except OSError:  # the service has gone while this worker started
        return
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):  # the service has gone (killed: the pipe may be reset)
            return
        if request is None:
            return
        try:
            connection.send(_answer(*request))
        except OSError:  # the service has gone while this job was being done
            return


def _answer(kind: str, *arguments: Any) -> tuple[Any, ...]:
    from sos_docs.pipeline import make_documents
    from sos_docs.service.doctor import check_templates

    try:
        if kind == "check-templates":
            return ("done", check_templates(*arguments))
        return ("done", make_documents(*arguments))
    except Exception as exc:
        details = traceback.format_exc()
        return ("error", _picklable(exc), details)


def _picklable(exc: Exception) -> Exception | None:
    """The exception if it survives pickling, else None (its traceback text still goes)."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return None
    exc.__traceback__ = None
    return exc


class _PipeHandler(logging.Handler):
    """Sends each log record to the service, message formatted, as plain values."""

    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self.connection = connection

    def emit(self, record: logging.LogRecord) -> None:
        fields = {name: getattr(record, name) for name in _RECORD_FIELDS}
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info))
        fields.update(msg=message, args=None)
        with contextlib.suppress(OSError):
            self.connection.send(("log", fields))
