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

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sos_docs import files
from sos_docs.config import Limits
from sos_docs.errors import DeliveryError, JournalError, TargetError, WorkbookError
from sos_docs.service.journal import Journal
from sos_docs.service.layout import (
    BOOK_FOLDER,
    WatchedRoot,
    original_name,
    read_waiting_note,
    remove_job_folder,
    workbook_in,
    write_waiting_note,
)
from sos_docs.service.lock import locked
from sos_docs.service.logs import root_extra
from sos_docs.service.plan import DocumentMaker, JobPlan, Planner, saved_plan, sha256, short_stem
from sos_docs.wording import plural
from sos_docs.workbook import explain, guard

__all__ = [
    "DocumentMaker",
    "JobInWork",
    "JobOutcome",
    "JobResult",
    "jobs_in_work",
    "resume_job",
    "run_job",
    "unfinished_jobs",
]

log = logging.getLogger(__name__)

# Shares and FAT keep modification times to 2 s; a copy placed by this job is never older.
MTIME_SLACK_SECONDS = 2.0
# Reading back a placed document after a crash: bounded, but far above any real document.
PLACED_LIMITS = Limits(max_file_bytes=1024 * 1024 * 1024)


# --------------------------------------------------------------------------------------------
# Results


class JobOutcome(StrEnum):
    """How a job ended for now."""

    PROCESSED = "processed"  # documents in reports/, workbook in processed/
    REJECTED = "rejected"  # explanation and workbook in rejected/
    WAITING = "waiting"  # kept safe in the work area; retried at the next rescan
    SKIPPED = "skipped"  # nothing done: another process has the file, or it is gone


@dataclass(frozen=True)
class JobResult:
    """What one run of a job did."""

    outcome: JobOutcome
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
        folder.mkdir(mode=files.new_folder_mode(root.work))
    except OSError as exc:
        log.error(
            "cannot create a job folder in %s: %s", root.work, exc, extra=root_extra(root.path)
        )
        return JobResult(JobOutcome.SKIPPED, inbox_file.name, reason=str(exc))
    with locked(folder) as owned:
        if not owned:  # a recovering service took the empty folder first; it will remove it
            return JobResult(JobOutcome.SKIPPED, inbox_file.name)
        try:
            claimed = files.claim(inbox_file, folder, work_id)
        except DeliveryError as exc:  # the work area cannot be written
            log.error("could not take %s: %s", inbox_file.name, exc, extra=root_extra(root.path))
            remove_job_folder(folder)
            return JobResult(JobOutcome.SKIPPED, inbox_file.name, reason=str(exc))
        if claimed is None:  # another service has it, or it is open elsewhere
            remove_job_folder(folder)
            return JobResult(JobOutcome.SKIPPED, inbox_file.name)
        return _Job(root, folder, make).run(claimed)


def resume_job(root: WatchedRoot, folder: Path, make: DocumentMaker | None = None) -> JobResult:
    """Finish a job left in the work area by a crash or a folder that could not be written."""
    with locked(folder) as owned:
        if not owned:  # another worker or service is on it
            return JobResult(JobOutcome.SKIPPED, folder.name)
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
        JobInWork(folder, _workbook_name(folder), read_waiting_note(folder))
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


def _workbook_name(folder: Path) -> str:
    """The name the workbook had in the inbox, as far as the job folder tells."""
    workbook = workbook_in(folder)
    if workbook is not None:
        return original_name(folder, workbook)
    plan = saved_plan(folder)
    return plan.name if plan is not None else folder.name


# --------------------------------------------------------------------------------------------
# The job


class _Job:
    """One locked job folder, taken step by step to its end."""

    def __init__(self, root: WatchedRoot, folder: Path, make: DocumentMaker | None) -> None:
        self.root = root
        self.config = root.config
        self.folder = folder
        self.extra = root_extra(root.path)
        self.planner = Planner(root, folder, make)

    def run(self, claimed: Path) -> JobResult:
        """A freshly claimed workbook: plan, place, move."""
        name = self._original_name(claimed)
        return self._guarded(name, lambda journal: self._finish(journal, claimed, fresh=True))

    def resume(self) -> JobResult:
        """Whatever step a crash or a failed write stopped at, taken up again."""
        claimed = workbook_in(self.folder)
        if claimed is not None:
            name = self._original_name(claimed)
            log.info(
                'Taking up the job of "%s" again (%s).', name, self.folder.name, extra=self.extra
            )
            return self._guarded(name, lambda journal: self._finish(journal, claimed, fresh=False))
        plan = saved_plan(self.folder)
        if plan is None:  # the claim never happened, or the job was already finished
            remove_job_folder(self.folder)
            return JobResult(JobOutcome.SKIPPED, self.folder.name)
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
            write_waiting_note(self.folder, str(exc))
            return JobResult(JobOutcome.WAITING, name, reason=str(exc), folder=self.folder)

    # ---- the steps

    def _finish(self, journal: Journal, claimed: Path, *, fresh: bool) -> JobResult:
        """Plan (unless already planned), place the outputs, move the workbook."""
        workbook = self._hold(claimed)
        plan = None if fresh else saved_plan(self.folder)
        recovering = plan is not None
        if plan is None:
            plan = self.planner.make_plan(journal, workbook, fresh=fresh)
        try:
            outputs = self._place_outputs(journal, plan, recovering)
        except TargetError as exc:
            if not plan.processed:
                raise  # rejected/ itself is not writable as it should be: wait for IT
            plan = self.planner.replan_as_rejection(workbook, plan, exc)
            outputs = self._place_outputs(journal, plan, recovering=False)
        final = self._move_workbook(workbook, plan)
        return self._done(journal, plan, final, outputs)

    def _record_moved(self, journal: Journal, plan: JobPlan) -> JobResult:
        """The workbook left before the journal heard of it: find where, and finish the job."""
        dest = self._destination(plan) / plan.final_name
        record = journal.get(plan.journal_id)
        if record is None:  # the journal was replaced meanwhile: record what the plan says
            return self._done(journal, plan, dest, ())
        final = _placed_copy(dest, record.content_hash, plan.made_at) or dest
        # Outputs are recorded in the plan's order, the receipt last.
        return self._done(journal, plan, final, record.outputs[: len(plan.outputs)])

    def _done(
        self, journal: Journal, plan: JobPlan, final: Path, outputs: tuple[Path, ...]
    ) -> JobResult:
        journal.finish(plan.journal_id, plan.outcome, final, plan.problems, plan.case_reference)
        remove_job_folder(self.folder)
        self._log_outcome(plan, final, outputs)
        outcome = JobOutcome.PROCESSED if plan.processed else JobOutcome.REJECTED
        return JobResult(outcome, plan.name, plan.journal_id, outputs)

    # ---- placing and moving

    def _place_outputs(self, journal: Journal, plan: JobPlan, recovering: bool) -> tuple[Path, ...]:
        """Put each staged output into place, then the receipt; record each in the journal."""
        since = plan.made_at if recovering else None
        placed = []
        for staged, target in plan.outputs:
            data = (self.folder / staged).read_bytes()
            placed.append(self._place(journal, plan, self.root.path / target, data, since))
        if plan.processed and placed:
            receipt = placed[0].parent / f"{short_stem(plan.name)} - receipt.txt"
            when = dt.datetime.fromtimestamp(plan.made_at).astimezone()
            text = explain.receipt_text(
                plan.name,
                placed,
                plan.problems,
                when,
                compared_with=plan.compared_with,
                copies=plan.copies,
            )
            written = self._place(journal, plan, receipt, explain.text_file_bytes(text), since)
            files.sync_folders([*placed, written])
        else:
            files.sync_folders(placed)
        # (Each folder written into is flushed once, before the workbook moves on: a workbook
        # in processed/ or rejected/ means its documents or explanation are on disk.)
        return tuple(placed)

    def _place(
        self, journal: Journal, plan: JobPlan, target: Path, data: bytes, since: float | None
    ) -> Path:
        """Write one output without overwriting; after a crash, find it if it is already there."""
        placed = _placed_copy(target, sha256(data), since) if since is not None else None
        if since is not None:  # killed while writing: its hidden temporary file is still there
            files.remove_temporaries(target, owner=self.folder.name)
        if placed is None:
            base = self.root.path / target.relative_to(self.root.path).parts[0]  # reports/, ...
            placed = files.write_new_file(
                target, data, within=base, owner=self.folder.name, sync_folder=False
            )
        journal.record_outputs(plan.journal_id, [placed])
        return placed

    def _hold(self, claimed: Path) -> Path:
        """The workbook under its own name in the book folder, so messages name it rightly."""
        book = self.folder / BOOK_FOLDER
        if claimed.parent == book:
            return claimed
        book.mkdir(exist_ok=True)
        return claimed.replace(book / self._original_name(claimed))

    def _move_workbook(self, workbook: Path, plan: JobPlan) -> Path:
        """Give the workbook its final name inside the job folder, then move it out."""
        final = workbook.replace(workbook.with_name(plan.final_name))
        destination = self._destination(plan)
        return files.move_without_overwrite(final, destination, within=destination)

    def _destination(self, plan: JobPlan) -> Path:
        return self.root.processed if plan.processed else self.root.rejected

    # ---- helpers

    def _original_name(self, claimed: Path) -> str:
        return original_name(self.folder, claimed)

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root.path).as_posix()

    def _log_outcome(self, plan: JobPlan, final: Path, outputs: Sequence[Path]) -> None:
        """One line per job: file names, case reference and problem codes, never cell text."""
        problem_codes = ", ".join(sorted({p.code for p in plan.problems}))
        if plan.processed:
            where = self._relative(outputs[0].parent) if outputs else "reports"
            log.info(
                'Processed "%s" (case %s, job %s): %s in %s%s',
                plan.name,
                plan.case_reference,
                plan.journal_id,
                plural(len(outputs), "document"),
                where,
                f"; warnings {problem_codes}" if problem_codes else "",
                extra=self.extra,
            )
        else:
            log.info(
                'Rejected "%s" (job %s) as %s: %s (%s)',
                plan.name,
                plan.journal_id,
                self._relative(final),
                plural(len(plan.problems), "problem"),
                problem_codes,
                extra=self.extra,
            )


# --------------------------------------------------------------------------------------------
# Small helpers


def _placed_copy(wanted: Path, digest: str, since: float) -> Path | None:
    """An existing file at `wanted` or a numbered version with these bytes, placed since then.

    Versions are numbered from the first free name, so the search stops at the first gap.
    """
    for candidate in files.numbered_versions(wanted):
        try:
            if candidate.lstat().st_mtime < since - MTIME_SLACK_SECONDS:
                continue
        except OSError:  # no such file (the end of the versions), or a folder that is not one
            return None
        try:  # through the guard's reader: a pipe or link someone put there never blocks
            if sha256(guard.read_claimed_file(candidate, PLACED_LIMITS)) == digest:
                return candidate
        except WorkbookError:
            continue  # not a plain file, so not one this job placed
    return None
