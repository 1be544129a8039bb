"""One job for one workbook: claim it, make its documents or its explanation, put all in place.

A job is a folder `<root>/.sos-docs/work/<work id>/` held under an exclusive file lock by the
worker that owns it. It moves through steps that each leave the folder in a state the next start
can finish from (docs/hot-folder.md, guarantees 3 to 7):

1. claim: the inbox file is renamed into the folder (`<work id>__<name>`); losing the rename means
   another service has it;
2. plan: the workbook is checked and rendered in memory, every output is staged in the folder, and
   `job.json` records what goes where; until `job.json` exists a restart simply plans again;
3. place: each staged output is written into place without overwriting anything; after a crash,
   an output whose exact bytes already sit at its name (or a ` (n)` version) counts as placed;
4. move: the workbook goes to processed/ or rejected/, the journal is told, the folder is removed.

A folder that cannot be written (reports/, processed/, the journal) stops the job at its step and
leaves the workbook in the work area, to be retried; it never turns into a rejection.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import logging
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sos_docs import deliver, guard, markup, pipeline, rules
from sos_docs.config import Config, Limits
from sos_docs.errors import (
    ConfigError,
    DeliveryError,
    JournalError,
    RenderError,
    TargetError,
    TemplateError,
    WorkbookError,
)
from sos_docs.journal import JOURNAL_FILE, Journal
from sos_docs.logs import root_extra
from sos_docs.model import Level, Problem, Validation
from sos_docs.pdf import PdfConverter, pdf_path_for

__all__ = [
    "INTERNAL_ERROR_CODE",
    "NOT_MADE_CODE",
    "NO_CASE_FOLDER_NAME_CODE",
    "PDF_WARNING_CODE",
    "RENDER_WARNING_CODE",
    "UNSAFE_FOLDER_CODE",
    "DocumentMaker",
    "JobInWork",
    "JobResult",
    "Outcome",
    "WatchedRoot",
    "jobs_in_work",
    "resume_job",
    "run_job",
    "unfinished_jobs",
]

log = logging.getLogger(__name__)

# Checks and renders one workbook: pipeline.make_documents, here or in a worker process.
DocumentMaker = Callable[[Path, Config], pipeline.Made]

WORK_FOLDER = "work"
LOCK_FILE = ".lock"
PLAN_FILE = "job.json"
WAITING_NOTE = "waiting.txt"
BOOK_FOLDER = "book"  # holds the workbook under its own name while the job runs
CLAIM_SEPARATOR = "__"  # deliver.claim names the claimed file `<work id>__<name>`
# Shares and FAT keep modification times to 2 s; a copy placed by this job is never older.
MTIME_SLACK_SECONDS = 2.0

MAX_STEM_BYTES = 200
INTERNAL_ERROR_CODE = "SYS001"
NOT_MADE_CODE = "SYS002"
RENDER_WARNING_CODE = rules.NOT_SHOWN_CODE
PDF_WARNING_CODE = "DOC002"  # a PDF copy could not be made; the .docx was
NO_CASE_FOLDER_NAME_CODE = "DOC003"  # the case reference has no visible characters
UNSAFE_FOLDER_CODE = "SYS003"  # a destination folder is a link, a file, or leads outside
NEW_PLAN_FILE = "job.new.json"
# Reading back a placed document after a crash: bounded, but far above any real document.
PLACED_LIMITS = Limits(max_file_bytes=1024 * 1024 * 1024)


# --------------------------------------------------------------------------------------------
# The watched folder


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
        """Create the folders that are missing and check the journal opens; raise if not."""
        for folder in (self.inbox, self.reports, self.processed, self.rejected, self.work):
            try:
                deliver.make_folders(folder)  # each no more open than the folder it is in
            except OSError as exc:
                raise ConfigError(
                    f"sos-docs cannot create the folder {folder}: {exc.strerror or exc}. "
                    "Check the path, and that the service may write there."
                ) from exc
        with Journal(self.journal_path, root=self.path):
            pass


# --------------------------------------------------------------------------------------------
# Results


class Outcome(StrEnum):
    """How a job ended for now."""

    PROCESSED = "processed"  # documents in reports/, workbook in processed/
    REJECTED = "rejected"  # explanation and workbook in rejected/
    WAITING = "waiting"  # kept safe in the work area; retried at the next rescan
    SKIPPED = "skipped"  # nothing done: another process has the file, or it is gone


@dataclass(frozen=True)
class JobResult:
    """What one run of a job did."""

    outcome: Outcome
    name: str
    job_id: str = ""
    outputs: tuple[Path, ...] = ()
    reason: str = ""  # why a job is waiting, or could not even start
    folder: Path | None = None  # the job folder a waiting job stays in


# --------------------------------------------------------------------------------------------
# Entry points


def run_job(root: WatchedRoot, inbox_file: Path, make: DocumentMaker | None = None) -> JobResult:
    """Claim one inbox file and carry its job through to processed/ or rejected/.

    `make` checks and renders the workbook: by default `pipeline.make_documents`, in this
    process; the service passes a worker process's (workers.py).
    """
    work_id = _new_work_id()
    folder = root.work / work_id
    try:
        # Never with parents: a work area that is gone is a share that has dropped.
        folder.mkdir(mode=deliver.new_folder_mode(root.work))
    except OSError as exc:
        log.error(
            "cannot create a job folder in %s: %s", root.work, exc, extra=root_extra(root.path)
        )
        return JobResult(Outcome.SKIPPED, inbox_file.name, reason=str(exc))
    with _locked(folder) as owned:
        if not owned:  # a recovering service took the empty folder first; it will remove it
            return JobResult(Outcome.SKIPPED, inbox_file.name)
        try:
            claimed = deliver.claim(inbox_file, folder, work_id)
        except DeliveryError as exc:  # the work area cannot be written
            log.error("could not take %s: %s", inbox_file.name, exc, extra=root_extra(root.path))
            _remove_job_folder(folder)
            return JobResult(Outcome.SKIPPED, inbox_file.name, reason=str(exc))
        if claimed is None:  # another service has it, or it is open elsewhere
            _remove_job_folder(folder)
            return JobResult(Outcome.SKIPPED, inbox_file.name)
        return _Job(root, folder, make).run(claimed)


def resume_job(root: WatchedRoot, folder: Path, make: DocumentMaker | None = None) -> JobResult:
    """Finish a job left in the work area by a crash or a folder that could not be written."""
    with _locked(folder) as owned:
        if not owned:  # another worker or service is on it
            return JobResult(Outcome.SKIPPED, folder.name)
        return _Job(root, folder, make).resume()


@dataclass(frozen=True)
class JobInWork:
    """A job folder in the work area: whose workbook, and why it waits ("" while in hand)."""

    folder: Path
    name: str
    waiting_because: str


def jobs_in_work(root: WatchedRoot) -> list[JobInWork]:
    """Each job in the work area with its workbook's name and the reason it is waiting."""
    return [
        JobInWork(folder, _workbook_name(folder), _read_waiting_note(folder))
        for folder in unfinished_jobs(root)
    ]


def unfinished_jobs(root: WatchedRoot) -> list[Path]:
    """The job folders in the work area, oldest first (including ones being worked on)."""
    try:
        folders = [p for p in root.work.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return []
    return sorted(folders, key=lambda p: p.name)


def _new_work_id() -> str:
    """A sortable, unique name for a job folder: time of claim plus randomness."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"


# --------------------------------------------------------------------------------------------
# The job folder's lock


if sys.platform == "win32":  # pragma: no cover - the service runs on Linux; kept portable
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[bool]:
    """Hold the job folder's lock for the block; yields False when someone else holds it.

    The kernel drops the lock when its holder dies, even by SIGKILL, so a lock that can be taken
    marks a job nobody is working on. flock also excludes other threads of this process.
    """
    lock = folder / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # the folder was removed meanwhile, or cannot be written
        yield False
        return
    try:
        yield _try_lock(fd) and _is_linked_as(fd, lock)
    finally:
        os.close(fd)


def _is_linked_as(fd: int, path: Path) -> bool:
    """True when the open file is still the one at `path`.

    A holder removing a finished job's folder unlinks the lock file before releasing it; whoever
    opened that file just before and locks it just after holds a lock on nothing.
    """
    try:
        linked = path.stat()
    except OSError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (linked.st_dev, linked.st_ino)


def _workbook_name(folder: Path) -> str:
    """The name the workbook had in the inbox, as far as the job folder tells."""
    workbook = _workbook_in(folder)
    if workbook is not None:
        return _original_name(folder, workbook)
    plan = _file_bytes_or_none(folder / PLAN_FILE)
    return _Plan.from_json(plan).name if plan else folder.name


def _original_name(folder: Path, workbook: Path) -> str:
    """The inbox name of a workbook held in a job folder, as claimed or in its book folder."""
    if workbook.parent == folder / BOOK_FOLDER:
        return workbook.name
    return workbook.name.removeprefix(folder.name + CLAIM_SEPARATOR)


def _write_waiting_note(folder: Path, reason: str) -> None:
    """Say in the job folder why it waits, for `sos-docs status`; best effort."""
    note = folder / WAITING_NOTE
    with contextlib.suppress(OSError):
        note.with_suffix(".tmp").write_text(reason, encoding="utf-8")
        note.with_suffix(".tmp").replace(note)


def _read_waiting_note(folder: Path) -> str:
    try:
        return (folder / WAITING_NOTE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _remove_job_folder(folder: Path) -> None:
    """Remove a finished job's folder; refuses while a workbook is still in it."""
    if _workbook_in(folder) is not None:
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


def _workbook_in(folder: Path) -> Path | None:
    """The claimed workbook in a job folder, as claimed or as held in its book folder."""
    found = sorted(folder.glob(glob.escape(folder.name) + CLAIM_SEPARATOR + "*"))
    book = folder / BOOK_FOLDER
    if book.is_dir():
        found += sorted(p for p in book.iterdir() if not p.name.startswith("."))
    files = [p for p in found if p.is_file()]
    return files[0] if files else None


# --------------------------------------------------------------------------------------------
# The plan: what a job will put where, written once to job.json


@dataclass(frozen=True)
class _Plan:
    """Everything needed to finish a job from its staged files, whatever happened since."""

    journal_id: str
    name: str  # the workbook's name in the inbox
    outcome: str  # the journal's outcome: done, rejected or failed-internal
    final_name: str  # the name it gets in processed/ or rejected/
    made_at: float  # POSIX time the outputs were staged
    outputs: tuple[tuple[str, str], ...]  # (staged file in the job folder, target under root)
    problems: tuple[Problem, ...]
    case_reference: str = ""

    @property
    def processed(self) -> bool:
        """True when the workbook made its documents."""
        return self.outcome == "done"

    def to_json(self) -> bytes:
        """The plan as job.json."""
        data = asdict(self)
        data["problems"] = [asdict(p) for p in self.problems]
        return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> _Plan:
        """A plan read back from job.json."""
        values: dict[str, Any] = json.loads(data)
        values["outputs"] = tuple(tuple(pair) for pair in values["outputs"])
        values["problems"] = tuple(
            Problem(**{**p, "level": Level(p["level"])}) for p in values["problems"]
        )
        return cls(**values)


# --------------------------------------------------------------------------------------------
# The job


class _Job:
    """One locked job folder, taken step by step to its end."""

    def __init__(self, root: WatchedRoot, folder: Path, make: DocumentMaker | None) -> None:
        self.root = root
        self.config = root.config
        self.folder = folder
        self.extra = root_extra(root.path)
        self.make = make or pipeline.make_documents

    def run(self, claimed: Path) -> JobResult:
        """A freshly claimed workbook: plan, place, move."""
        name = self._original_name(claimed)
        return self._guarded(name, lambda journal: self._finish(journal, claimed, fresh=True))

    def resume(self) -> JobResult:
        """Whatever step a crash or a failed write stopped at, taken up again."""
        claimed = _workbook_in(self.folder)
        if claimed is not None:
            name = self._original_name(claimed)
            log.info(
                'Taking up the job of "%s" again (%s).', name, self.folder.name, extra=self.extra
            )
            return self._guarded(name, lambda journal: self._finish(journal, claimed, fresh=False))
        plan = self._saved_plan()
        if plan is None:  # the claim never happened, or the job was already finished
            _remove_job_folder(self.folder)
            return JobResult(Outcome.SKIPPED, self.folder.name)
        return self._guarded(plan.name, lambda journal: self._record_moved(journal, plan))

    def _guarded(self, name: str, step: Callable[[Journal], JobResult]) -> JobResult:
        """Run a step with the journal open; an unwritable folder keeps the job for later."""
        try:
            # create_folder=False: a share that has dropped must not get a new, empty journal
            # on the server's own disk.
            with Journal(
                self.root.journal_path, root=self.root.path, create_folder=False
            ) as journal:
                return step(journal)
        except (DeliveryError, JournalError) as exc:
            log.warning(
                'Kept "%s" safe in the work area (%s) to try again: %s',
                name,
                self.folder.name,
                exc,
                extra=self.extra,
            )
            _write_waiting_note(self.folder, str(exc))
            return JobResult(Outcome.WAITING, name, reason=str(exc), folder=self.folder)

    # ---- the steps

    def _finish(self, journal: Journal, claimed: Path, *, fresh: bool) -> JobResult:
        """Plan (unless already planned), place the outputs, move the workbook."""
        workbook = self._hold(claimed)
        plan = None if fresh else self._saved_plan()
        recovering = plan is not None
        if plan is None:
            plan = self._make_plan(journal, workbook, fresh=fresh)
        try:
            outputs = self._place_outputs(journal, plan, recovering)
        except TargetError as exc:
            if not plan.processed:
                raise  # rejected/ itself is not writable as it should be: wait for IT
            plan = self._replan_as_rejection(workbook, plan, exc)
            outputs = self._place_outputs(journal, plan, recovering=False)
        final = self._move_workbook(workbook, plan)
        return self._done(journal, plan, final, outputs)

    def _replan_as_rejection(self, workbook: Path, plan: _Plan, exc: TargetError) -> _Plan:
        """A target that is no longer a plain folder: explain instead of writing; saved at once."""
        log.warning(
            'job %s: not writing the documents of "%s": %s',
            plan.journal_id,
            plan.name,
            exc,
            extra=self.extra,
        )
        problem = _unsafe_folder_problem(exc)
        rejection = self._rejection(plan.journal_id, workbook, plan.name, [problem], "rejected")
        staged = deliver.write_new_file(
            self.folder / NEW_PLAN_FILE, rejection.to_json(), within=self.folder
        )
        staged.replace(self.folder / PLAN_FILE)  # a crash from here on resumes the rejection
        return rejection

    def _record_moved(self, journal: Journal, plan: _Plan) -> JobResult:
        """The workbook left before the journal heard of it: find where, and finish the job."""
        dest = self._destination(plan) / plan.final_name
        record = journal.get(plan.journal_id)
        if record is None:  # the journal was replaced meanwhile: record what the plan says
            return self._done(journal, plan, dest, ())
        final = _placed_copy(dest, record.content_hash, plan.made_at) or dest
        # Outputs are recorded in the plan's order, the receipt last.
        return self._done(journal, plan, final, record.outputs[: len(plan.outputs)])

    def _done(
        self, journal: Journal, plan: _Plan, final: Path, outputs: tuple[Path, ...]
    ) -> JobResult:
        journal.finish(plan.journal_id, plan.outcome, final, plan.problems, plan.case_reference)
        _remove_job_folder(self.folder)
        self._log_outcome(plan, final, outputs)
        outcome = Outcome.PROCESSED if plan.processed else Outcome.REJECTED
        return JobResult(outcome, plan.name, plan.journal_id, outputs)

    # ---- planning

    def _make_plan(self, journal: Journal, workbook: Path, *, fresh: bool) -> _Plan:
        """Check and render the workbook, stage every output, and save the plan."""
        name = self._original_name(workbook)
        if not fresh:
            self._clear_staging()
        # The one read of the claimed file outside the reader, and through the same guard.
        try:
            content_hash, unreadable = _sha256(self._read_claimed(workbook)), None
        except WorkbookError as exc:
            content_hash, unreadable = "", exc
        journal_id = self._journal_id(journal, workbook, name, content_hash, fresh=fresh)
        try:
            if unreadable is not None:
                log.warning("job %s: %s", journal_id, unreadable, extra=self.extra)
                problem = Problem("WB001", Level.ERROR, None, None, str(unreadable))
                plan = self._rejection(journal_id, workbook, name, [problem], "rejected")
            else:
                plan = self._plan_from_workbook(journal_id, workbook, name)
        except TargetError as exc:
            plan = self._rejection(
                journal_id, workbook, name, [_unsafe_folder_problem(exc)], "rejected"
            )
        except (DeliveryError, JournalError):
            raise
        except Exception as exc:
            problem = self._failure(journal_id, name, exc)
            plan = self._rejection(journal_id, workbook, name, [problem], "failed-internal")
        deliver.write_new_file(self.folder / PLAN_FILE, plan.to_json(), within=self.folder)
        return plan

    def _failure(self, journal_id: str, name: str, exc: Exception) -> Problem:
        """The plain problem for a workbook sos-docs failed on; the details go to the log only."""
        if isinstance(exc, TemplateError | RenderError | ConfigError):
            log.error("job %s: no documents from %s: %s", journal_id, name, exc, extra=self.extra)
            return _system_problem(
                NOT_MADE_CODE,
                f"sos-docs could not make the documents from this workbook: {exc} Your IT team "
                f"can find the details in the log under job {journal_id}.",
            )
        log.exception("job %s: internal error on %s", journal_id, name, extra=self.extra)
        return _system_problem(
            INTERNAL_ERROR_CODE,
            "sos-docs could not process this workbook because of an internal error; your IT "
            f"team can find the details in the log under job {journal_id}.",
        )

    def _plan_from_workbook(self, journal_id: str, workbook: Path, name: str) -> _Plan:
        made = self.make(workbook, self.config)
        validation = made.validation
        if not validation.ok or validation.case is None:
            return self._rejection(journal_id, workbook, name, validation.problems, "rejected")
        return self._documents(journal_id, name, validation, made.documents)

    def _documents(
        self,
        journal_id: str,
        name: str,
        validation: Validation,
        documents: Sequence[pipeline.RenderedDocument],
    ) -> _Plan:
        """Stage the documents rendered in memory under their target names."""
        case = validation.case
        assert case is not None
        outputs = []
        naming: list[Problem] = []
        for number, document in enumerate(documents, start=1):
            fields = pipeline.output_fields(case, document.kind)
            if deliver.is_blank_name(fields["case_reference"]):
                fields["case_reference"] = f"no case reference {journal_id}"
                naming = [_no_case_folder_name_problem(fields["case_reference"])]
            target = deliver.output_path(self.root.reports, self.config.output_pattern, fields)
            staged = self._stage(f"staged-{number}{target.suffix}", document.data)
            outputs.append((staged, self._relative(target)))
        pdf_outputs, pdf_warnings = self._pdf_copies(outputs) if self.config.pdf else ([], [])
        outputs += pdf_outputs
        render_warnings = [
            _system_problem(RENDER_WARNING_CODE, text, Level.WARNING)
            for document in documents
            for text in document.warnings
        ] + [_system_problem(PDF_WARNING_CODE, text, Level.WARNING) for text in pdf_warnings]
        return _Plan(
            journal_id=journal_id,
            name=name,
            outcome="done",
            final_name=name,
            made_at=time.time(),
            outputs=tuple(outputs),
            problems=(*validation.warnings, *naming, *render_warnings),
            case_reference=case.details.case_reference,
        )

    def _pdf_copies(
        self, outputs: Sequence[tuple[str, str]]
    ) -> tuple[list[tuple[str, str]], list[str]]:
        """A staged PDF copy of each staged document, or warnings: a PDF never stops a job."""
        converter = self.root.converter
        if converter is None or not converter.available():
            reason = converter.unavailable_reason if converter else "no PDF converter is running."
            return [], [f"No PDF copies were made: {reason}"]
        copies, warnings = [], []
        for number, (staged, target) in enumerate(outputs, start=1):
            pdf, warning = pipeline.make_pdf_copy(
                converter,
                self.folder / staged,
                self.folder / f"staged-{number}.pdf",
                shown_name=Path(target).name,
            )
            if pdf is None:
                warnings.append(warning)
            else:
                copies.append((pdf.name, pdf_path_for(Path(target)).as_posix()))
        return copies, warnings

    def _rejection(
        self, journal_id: str, workbook: Path, name: str, problems: Sequence[Problem], outcome: str
    ) -> _Plan:
        """Stage problems.txt and the marked copy under a name free for all three files."""
        stem = self._free_rejected_stem(_short_stem(name) + Path(name).suffix)
        text = markup.text_file_bytes(markup.problems_text(name, problems))
        outputs = [(self._stage("staged-problems.txt", text), f"{stem} - problems.txt")]
        marked = self._stage_marked_copy(workbook, problems)
        if marked is not None:
            outputs.append((marked, f"{stem} - marked.xlsx"))
        rejected = self._relative(self.root.rejected)
        return _Plan(
            journal_id=journal_id,
            name=name,
            outcome=outcome,
            final_name=stem + Path(name).suffix,
            made_at=time.time(),
            outputs=tuple((staged, f"{rejected}/{target}") for staged, target in outputs),
            problems=tuple(problems),
        )

    def _stage_marked_copy(self, workbook: Path, problems: Sequence[Problem]) -> str | None:
        """The marked copy staged in the job folder; None if it could not be made at all."""
        try:
            staged = markup.write_marked_copy(
                workbook,
                problems,
                self.folder / "staged-marked.xlsx",
                limits=self.config.limits,
                within=self.folder,
            )
        except DeliveryError:
            raise
        except Exception:  # the explanation in problems.txt still goes out
            log.exception("could not make the marked copy of %s", workbook.name, extra=self.extra)
            return None
        return staged.name

    def _free_rejected_stem(self, name: str) -> str:
        """`case`, or `case (2)` etc., so the workbook and its two files share one free name."""
        for candidate in deliver.numbered_versions(self.root.rejected / name):
            stem = candidate.stem
            names = (candidate.name, f"{stem} - problems.txt", f"{stem} - marked.xlsx")
            if not any((self.root.rejected / n).exists() for n in names):
                return stem
        return Path(name).stem  # every version taken: deliver numbers the files itself

    def _stage(self, name: str, data: bytes) -> str:
        """Write one output into the job folder; returns its file name there."""
        return deliver.write_new_file(self.folder / name, data, within=self.folder).name

    def _clear_staging(self) -> None:
        """Remove what a planning step interrupted by a crash left behind."""
        for child in self.folder.iterdir():
            if child.name not in (LOCK_FILE, BOOK_FOLDER):
                child.unlink()

    def _journal_id(
        self, journal: Journal, workbook: Path, name: str, content_hash: str, *, fresh: bool
    ) -> str:
        """The job's journal entry: the one started for this workbook file, or a new one."""
        for record in [] if fresh else journal.unfinished():
            if record.work_path == workbook:
                return record.id
        return journal.start_job(name, content_hash, workbook)

    def _read_claimed(self, workbook: Path) -> bytes:
        """The claimed file's bytes through the guard: no links, no pipes, bounded."""
        return guard.read_claimed_file(workbook, self.config.limits)

    # ---- placing and moving

    def _place_outputs(self, journal: Journal, plan: _Plan, recovering: bool) -> tuple[Path, ...]:
        """Put each staged output into place, then the receipt; record each in the journal."""
        since = plan.made_at if recovering else None
        placed = []
        for staged, target in plan.outputs:
            data = (self.folder / staged).read_bytes()
            placed.append(self._place(journal, plan, self.root.path / target, data, since))
        if plan.processed and placed:
            receipt = placed[0].parent / f"{_short_stem(plan.name)} - receipt.txt"
            when = dt.datetime.fromtimestamp(plan.made_at).astimezone()
            text = markup.receipt_text(plan.name, placed, plan.problems, when)
            self._place(journal, plan, receipt, markup.text_file_bytes(text), since)
        return tuple(placed)

    def _place(
        self, journal: Journal, plan: _Plan, target: Path, data: bytes, since: float | None
    ) -> Path:
        """Write one output without overwriting; after a crash, find it if it is already there."""
        placed = _placed_copy(target, _sha256(data), since) if since is not None else None
        if since is not None:  # killed while writing: its hidden temporary file is still there
            deliver.remove_temporaries(target, owner=self.folder.name)
        if placed is None:
            base = self.root.path / target.relative_to(self.root.path).parts[0]  # reports/, ...
            placed = deliver.write_new_file(target, data, within=base, owner=self.folder.name)
        journal.record_outputs(plan.journal_id, [placed])
        return placed

    def _hold(self, claimed: Path) -> Path:
        """The workbook under its own name in the book folder, so messages name it rightly."""
        book = self.folder / BOOK_FOLDER
        if claimed.parent == book:
            return claimed
        book.mkdir(exist_ok=True)
        return claimed.replace(book / self._original_name(claimed))

    def _move_workbook(self, workbook: Path, plan: _Plan) -> Path:
        """Give the workbook its final name inside the job folder, then move it out."""
        final = workbook.replace(workbook.with_name(plan.final_name))
        destination = self._destination(plan)
        return deliver.move_without_overwrite(final, destination, within=destination)

    def _destination(self, plan: _Plan) -> Path:
        return self.root.processed if plan.processed else self.root.rejected

    # ---- helpers

    def _saved_plan(self) -> _Plan | None:
        data = _file_bytes_or_none(self.folder / PLAN_FILE)
        return _Plan.from_json(data) if data is not None else None

    def _original_name(self, claimed: Path) -> str:
        return _original_name(self.folder, claimed)

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root.path).as_posix()

    def _log_outcome(self, plan: _Plan, final: Path, outputs: Sequence[Path]) -> None:
        """One line per job: file names, case reference and problem codes, never cell text."""
        codes = ", ".join(sorted({p.code for p in plan.problems}))
        if plan.processed:
            where = self._relative(outputs[0].parent) if outputs else "reports"
            log.info(
                'Processed "%s" (case %s, job %s): %s in %s%s',
                plan.name,
                plan.case_reference,
                plan.journal_id,
                _plural(len(outputs), "document"),
                where,
                f"; warnings {codes}" if codes else "",
                extra=self.extra,
            )
        else:
            log.info(
                'Rejected "%s" (job %s) as %s: %s (%s)',
                plan.name,
                plan.journal_id,
                self._relative(final),
                _plural(len(plan.problems), "problem"),
                codes,
                extra=self.extra,
            )


# --------------------------------------------------------------------------------------------
# Small helpers


def _system_problem(code: str, message: str, level: Level = Level.ERROR) -> Problem:
    """A problem about the whole workbook that sos-docs itself reports."""
    return Problem(code, level, None, None, message)


def _unsafe_folder_problem(exc: TargetError) -> Problem:
    """Why the documents were not written: a destination folder that is not a plain folder."""
    return _system_problem(
        UNSAFE_FOLDER_CODE,
        f"The documents were made but not written, because the folder for them is not a plain "
        f"folder. {exc}",
    )


def _no_case_folder_name_problem(placeholder: str) -> Problem:
    """The case reference has nothing visible to name a folder with."""
    return Problem(
        NO_CASE_FOLDER_NAME_CODE,
        Level.WARNING,
        "Case",
        None,
        "The case reference on the Case sheet has no visible characters (only spaces or "
        "invisible characters such as zero-width spaces or direction marks), so the documents "
        f'were put in the folder "{placeholder}". Type the case reference again on the Case '
        "sheet and put the workbook in the inbox again if they should be filed under it.",
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _short_stem(name: str) -> str:
    """The name without its extension, short and safe enough to carry a suffix such as
    ` (12) - problems.txt` within the 255 bytes a file name may have."""
    return deliver.safe_file_name(Path(name).stem, max_length=MAX_STEM_BYTES)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_bytes_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _placed_copy(wanted: Path, digest: str, since: float) -> Path | None:
    """An existing file at `wanted` or a numbered version with these bytes, placed since then.

    Versions are numbered from the first free name, so the search stops at the first gap.
    """
    for candidate in deliver.numbered_versions(wanted):
        try:
            if candidate.lstat().st_mtime < since - MTIME_SLACK_SECONDS:
                continue
        except OSError:  # no such file (the end of the versions), or a folder that is not one
            return None
        try:  # through the guard's reader: a pipe or link someone put there never blocks
            if _sha256(guard.read_claimed_file(candidate, PLACED_LIMITS)) == digest:
                return candidate
        except WorkbookError:
            continue  # not a plain file, so not one this job placed
    return None
