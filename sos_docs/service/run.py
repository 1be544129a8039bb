"""The service's entry point: check each root, open its log, and watch until stopped."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sos_docs.config import CONFIG_FILE_NAME, Config
from sos_docs.documents.pdf import PdfConverter
from sos_docs.errors import ConfigError, SosDocsError
from sos_docs.service.doctor import Check, check_templates, roots_to_watch
from sos_docs.service.jobs import JobOutcome, JobResult
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra, service_log_files
from sos_docs.service.watcher import DEFAULT_WORKERS, AfterJob, Watcher, run_until_signalled
from sos_docs.service.workers import DocumentProcess, WorkerDied

if TYPE_CHECKING:
    from sos_docs.workbook import example

log = logging.getLogger(__name__)

EXAMPLE_NAME = "example-mapping-workbook.xlsx"  # the initial conference
REVIEW_EXAMPLE_NAME = "example-review-mapping-workbook.xlsx"  # its review, twelve weeks on


def serve(
    paths: Sequence[Path],
    *,
    config_file: Path | None,
    overrides: Mapping[str, object],
    workers: int | None,
    once: bool,
    console_level: int,
    create: bool = False,
    demo: bool = False,
    first: DocumentProcess | None = None,
) -> int:
    """Watch every root that passes its checks until stopped; the exit status for `watch`.

    A root with a failing check is not watched, the others are; with none left, the notes go
    to stderr and the status is 1. With `once`, the status is 0 only when every root was
    watched and every workbook processed. SosDocsError (a log that cannot be opened) is raised.
    With `create`, a root that does not exist is made first (else it is refused: is the share
    mounted?); with `demo`, today's example workbook is put into the one root's inbox.
    `first`: a worker process already started (the command line starts it before loading
    this module); it is closed on return.
    """
    if create:
        create_roots(paths)
    # The first worker process (started by the caller, or now) loads the rendering stack while
    # this process reads the configuration; it then checks the templates (so this process never
    # loads docxtpl), and then takes the first job.
    first = first or DocumentProcess()
    first.start()
    try:
        return _serve(paths, config_file, overrides, workers, once, console_level, demo, first)
    finally:
        first.close()  # (the watcher has closed it already when it ran)


def _serve(
    paths: Sequence[Path],
    config_file: Path | None,
    overrides: Mapping[str, object],
    workers: int | None,
    once: bool,
    console_level: int,
    demo: bool,
    first: DocumentProcess,
) -> int:
    """`serve` once the first worker process is starting."""
    with PdfConverter() as converter:
        watched, notes = roots_to_watch(
            paths, config_file, dict(overrides), converter, TemplatesCheckedBy(first)
        )
        if not watched:
            for note in notes:
                print(note.message, file=sys.stderr)
            print("Error: no folder can be watched. Fix the problems above.", file=sys.stderr)
            return 1
        with service_log_files(((root.path, root.state) for root in watched), console_level):
            for note in notes:  # a note naming no watched root goes to every root's log
                extra = root_extra(note.root) if note.root is not None else {}
                log.log(note.level, "%s", note.message, extra=extra)
            after_job = put_in_the_examples(watched[0]) if demo else None
            count = workers or DEFAULT_WORKERS
            # Every job runs in a worker process, one worker or many: only there does the job's
            # time limit hold, and a workbook that exhausts memory ends only its own process.
            watcher = Watcher(
                watched,
                workers=count,
                once=once,
                processes=True,
                after_job=after_job,
                status_page=True,
                started=[first],
            )
            summary = run_until_signalled(watcher)
    every_root = len(watched) == len(paths)
    return 0 if not once or (summary.all_processed and every_root) else 1


class TemplatesCheckedBy:
    """Checks a root's templates in a worker process; in this one if that process has died."""

    def __init__(self, worker: DocumentProcess) -> None:
        self.worker = worker

    def __call__(self, config: Config) -> list[Check]:
        try:
            return self.worker.check_templates(config)
        except WorkerDied as exc:
            log.warning("checking the templates here instead: %s", exc)
            return check_templates(config)


def put_in_the_examples(root: WatchedRoot, today: dt.date | None = None) -> AfterJob | None:
    """Put the example family's initial conference into the default folder's inbox, and give
    back what puts its review in once the initial one's job has ended (None: no demo here).

    The review is made on `today` (its meeting a week later) and the initial conference
    twelve weeks before, so the review finds the initial one in processed/ as its history:
    it is put in only after that job, since the workers take files side by side and in no
    set order. The repository tracks no workbook in watch_folder/, so running the demo never
    consumes a tracked file and every run shows both being processed. An example still waiting
    from an earlier run is left as it is, and a folder with its own sos-docs.toml (a team's
    folder that happens to be called watch_folder) never gets one.
    """
    if (root.path / CONFIG_FILE_NAME).exists():
        log.info(
            "Not putting the example workbooks into %s: the folder has its own %s, so it is a "
            "team's folder, not the demo folder",
            root.inbox,
            CONFIG_FILE_NAME,
            extra=root_extra(root.path),
        )
        return None
    from sos_docs.workbook import example  # openpyxl: for the demo folder only

    day = today or dt.date.today()
    put_example(root, EXAMPLE_NAME, example.made_on(day, example.INITIAL), example.INITIAL)
    return ReviewAfterInitial(root, day)


class ReviewAfterInitial:
    """Puts the review example into the inbox once, when the initial example's job has ended."""

    def __init__(self, root: WatchedRoot, today: dt.date) -> None:
        self.root = root
        self.today = today
        self._lock = threading.Lock()  # two workers may end jobs at the same moment
        self._done = False

    def __call__(self, root: WatchedRoot, result: JobResult) -> None:
        """Called by a worker after each job; acts on the initial example's end only."""
        ended = result.outcome in (JobOutcome.PROCESSED, JobOutcome.REJECTED)
        if root is not self.root or result.name != EXAMPLE_NAME or not ended:
            return
        with self._lock:
            if self._done:
                return
            self._done = True
            from sos_docs.workbook import example

            review_day = example.made_on(self.today, example.REVIEW)
            put_example(root, REVIEW_EXAMPLE_NAME, review_day, example.REVIEW)


def put_example(root: WatchedRoot, name: str, day: dt.date, stage: example.Stage) -> None:
    """Write one stage of the example, made on `day`, into the inbox unless one is waiting."""
    from sos_docs.workbook import example

    target = root.inbox / name
    extra = root_extra(root.path)
    if target.exists():
        log.info("The example workbook %s is waiting in %s already", name, root.inbox, extra=extra)
        return
    try:
        example.write_example(target, day, stage)
    except SosDocsError as exc:  # something else has the name (a link, say): the demo goes on
        log.warning("Did not put the example %s into %s: %s", name, root.inbox, exc, extra=extra)
        return
    log.info(
        "Put a fresh example workbook, %s, into %s (sos-docs watch was started without a folder, "
        "so it watches the demo folder)",
        name,
        root.inbox,
        extra=extra,
    )


def create_roots(paths: Sequence[Path]) -> None:
    """Make each root that does not exist yet (`watch --create`); its folders come at start."""
    for path in paths:
        if path.exists():
            continue
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(f"sos-docs cannot create {path}: {exc.strerror or exc}.") from exc
        print(f"Created {path} (--create).", file=sys.stderr)  # before the service's logging
