"""A job's plan: the workbook checked and rendered, each output staged, and job.json saying where it goes."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from sos_docs import codes, files, pipeline
from sos_docs.config import Config, Limits
from sos_docs.documents.pdf import pdf_path_for
from sos_docs.errors import (
    ConfigError,
    DeliveryError,
    JournalError,
    RenderError,
    TargetError,
    TemplateError,
    WorkbookError,
)
from sos_docs.model import CopySummary, Level, Problem, Validation
from sos_docs.service.journal import Journal
from sos_docs.service.journal_hosts import ProcessedOfCase
from sos_docs.service.layout import BOOK_FOLDER, WatchedRoot, original_name
from sos_docs.service.lock import LOCK_FILE
from sos_docs.service.logs import root_extra
from sos_docs.workbook import explain, guard, marked_copy

log = logging.getLogger(__name__)


class DocumentMaker(Protocol):
    """Checks and renders one workbook: pipeline.make_documents, here or in a worker process.

    `earlier` finds a review's earlier workbooks by case reference (`ProcessedOfCase`).
    """

    def __call__(
        self, workbook: Path, config: Config, earlier: pipeline.EarlierLookup | None = None
    ) -> pipeline.Made: ...


PLAN_FILE = "job.json"
MAX_STEM_BYTES = 200
NEW_PLAN_FILE = "job.new.json"


@dataclass(frozen=True)
class JobPlan:
    """Everything needed to finish a job from its staged files, whatever happened since."""

    journal_id: str
    name: str  # the workbook's name in the inbox
    outcome: str  # the journal's outcome: done, rejected or failed-internal
    final_name: str  # the name it gets in processed/ or rejected/
    made_at: float  # POSIX time the outputs were staged
    outputs: tuple[tuple[str, str], ...]  # (staged file in the job folder, target under root)
    problems: tuple[Problem, ...]
    case_reference: str = ""
    compared_with: tuple[str, ...] = ()  # a review's earlier workbooks, for the receipt
    copies: tuple[CopySummary, ...] = ()  # what each copy for the family leaves out, for it

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
    def from_json(cls, data: bytes) -> JobPlan:
        """A plan read back from job.json."""
        values: dict[str, Any] = json.loads(data)
        values["outputs"] = tuple(tuple(pair) for pair in values["outputs"])
        values["problems"] = tuple(
            Problem(**{**p, "level": Level(p["level"])}) for p in values["problems"]
        )
        values["compared_with"] = tuple(values.get("compared_with", ()))  # older plans: none
        values["copies"] = tuple(
            CopySummary(c["label"], c["for_whom"], tuple(tuple(p) for p in c["leaves_out"]))
            for c in values.get("copies", ())
        )
        return cls(**values)


def saved_plan(folder: Path) -> JobPlan | None:
    """The plan a job folder's job.json holds, or None before the job was planned."""
    data = file_bytes_or_none(folder / PLAN_FILE)
    return JobPlan.from_json(data) if data is not None else None


# --------------------------------------------------------------------------------------------
# Making the plan


class _Staging:
    """A locked job folder's staged outputs: written there first, moved out by the job."""

    def __init__(self, folder: Path, limits: Limits, extra: dict[str, str]) -> None:
        self.folder = folder
        self.limits = limits
        self.extra = extra

    def stage(self, name: str, data: bytes) -> str:
        """Write one output into the job folder; returns its file name there. The folder's
        entries are flushed once, before job.json is written (`Planner.make_plan`)."""
        staged = files.write_new_file(
            self.folder / name, data, within=self.folder, sync_folder=False
        )
        return staged.name

    def clear(self) -> None:
        """Remove what a planning step interrupted by a crash left behind."""
        for child in self.folder.iterdir():
            if child.name not in (LOCK_FILE, BOOK_FOLDER):
                child.unlink()

    def marked_copy(self, workbook: Path, problems: Sequence[Problem]) -> str | None:
        """The marked copy staged in the job folder; None if it could not be made at all."""
        try:
            staged = marked_copy.write_marked_copy(
                workbook,
                problems,
                self.folder / "staged-marked.xlsx",
                limits=self.limits,
                within=self.folder,
            )
        except DeliveryError:
            raise
        except Exception:  # the explanation in problems.txt still goes out
            log.exception("could not make the marked copy of %s", workbook.name, extra=self.extra)
            return None
        return staged.name


class Planner:
    """Plans one locked job folder's job: checks and renders the workbook, stages every output."""

    def __init__(self, root: WatchedRoot, folder: Path, make: DocumentMaker | None) -> None:
        self.root = root
        self.config = root.config
        self.folder = folder
        self.extra = root_extra(root.path)
        self.make = make or pipeline.make_documents
        self.staging = _Staging(folder, self.config.limits, self.extra)

    def make_plan(self, journal: Journal, workbook: Path, *, fresh: bool) -> JobPlan:
        """Check and render the workbook, stage every output, and save the plan."""
        name = self._original_name(workbook)
        if not fresh:
            self.staging.clear()
        # The one read of the claimed file outside the reader, and through the same guard.
        try:
            content_hash, unreadable = sha256(self._read_claimed(workbook)), None
        except WorkbookError as exc:
            content_hash, unreadable = "", exc
        journal_id = self._journal_id(journal, workbook, name, content_hash, fresh=fresh)
        try:
            if unreadable is not None:
                log.warning("job %s: %s", journal_id, unreadable, extra=self.extra)
                problem = codes.problem(codes.WB001, None, None, str(unreadable))
                plan = self._rejection(journal_id, workbook, name, [problem], "rejected")
            else:
                plan = self._plan_from_workbook(journal_id, workbook, name)
        except TargetError as exc:
            plan = self._rejection(
                journal_id, workbook, name, [unsafe_folder_problem(exc)], "rejected"
            )
        except (DeliveryError, JournalError):
            raise
        except Exception as exc:
            problem = self._failure(journal_id, name, exc)
            plan = self._rejection(journal_id, workbook, name, [problem], "failed-internal")
        # Every staged output's name is on disk before job.json says where it goes.
        files.sync_folders([self.folder / PLAN_FILE])
        files.write_new_file(self.folder / PLAN_FILE, plan.to_json(), within=self.folder)
        return plan

    def replan_as_rejection(self, workbook: Path, plan: JobPlan, exc: TargetError) -> JobPlan:
        """A target that is no longer a plain folder: explain instead of writing; saved at once."""
        log.warning(
            'job %s: not writing the documents of "%s": %s',
            plan.journal_id,
            plan.name,
            exc,
            extra=self.extra,
        )
        problem = unsafe_folder_problem(exc)
        rejection = self._rejection(plan.journal_id, workbook, plan.name, [problem], "rejected")
        staged = files.write_new_file(
            self.folder / NEW_PLAN_FILE, rejection.to_json(), within=self.folder
        )
        staged.replace(self.folder / PLAN_FILE)  # a crash from here on resumes the rejection
        return rejection

    def _failure(self, journal_id: str, name: str, exc: Exception) -> Problem:
        """The plain problem for a workbook sos-docs failed on; the details go to the log only."""
        if isinstance(exc, TemplateError | RenderError | ConfigError):
            log.error("job %s: no documents from %s: %s", journal_id, name, exc, extra=self.extra)
            return system_problem(
                codes.SYS002,
                f"sos-docs could not make the documents from this workbook: {exc} Your IT team "
                f"can find the details in the log under job {journal_id}.",
            )
        log.exception("job %s: internal error on %s", journal_id, name, extra=self.extra)
        return system_problem(
            codes.SYS001,
            "sos-docs could not process this workbook because of an internal error; your IT "
            f"team can find the details in the log under job {journal_id}.",
        )

    def _plan_from_workbook(self, journal_id: str, workbook: Path, name: str) -> JobPlan:
        # The case reference is known once the workbook is validated, in the worker: the
        # lookup goes with the workbook and reads every host's journal there, for a review only.
        earlier = ProcessedOfCase(self.root.state, self.root.path, self.root.processed)
        made = self.make(workbook, self.config, earlier)
        validation = made.validation
        if not validation.ok or validation.case is None:
            return self._rejection(journal_id, workbook, name, validation.problems, "rejected")
        return self._documents(
            journal_id, name, validation, made.documents, made.compared_with, made.copies
        )

    def _documents(
        self,
        journal_id: str,
        name: str,
        validation: Validation,
        documents: Sequence[pipeline.RenderedDocument],
        compared_with: Sequence[str] = (),
        copies: Sequence[CopySummary] = (),
    ) -> JobPlan:
        """Stage the documents rendered in memory under their target names."""
        case = validation.case
        assert case is not None
        outputs = []
        naming: list[Problem] = []
        for number, document in enumerate(documents, start=1):
            fields = pipeline.output_fields(
                case, document.kind, document.copy, self.config.output_pattern
            )
            if files.is_blank_name(fields["case_reference"]):
                fields["case_reference"] = f"no case reference {journal_id}"
                naming = [no_case_folder_name_problem(fields["case_reference"])]
            target = files.output_path(self.root.reports, self.config.output_pattern, fields)
            staged = self.staging.stage(f"staged-{number}{target.suffix}", document.data)
            outputs.append((staged, self._relative(target)))
        pdf_outputs, pdf_warnings = self._pdf_copies(outputs) if self.config.pdf else ([], [])
        outputs += pdf_outputs
        render_warnings = [
            system_problem(codes.DOC001, text)
            for document in documents
            for text in document.warnings
        ] + [system_problem(codes.DOC002, text) for text in pdf_warnings]
        return JobPlan(
            journal_id=journal_id,
            name=name,
            outcome="done",
            final_name=name,
            made_at=time.time(),
            outputs=tuple(outputs),
            problems=(*validation.warnings, *naming, *render_warnings),
            case_reference=case.details.case_reference,
            compared_with=tuple(compared_with),
            copies=tuple(copies),
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
    ) -> JobPlan:
        """Stage problems.txt and the marked copy under a name free for all three files."""
        stem = self._free_rejected_stem(short_stem(name) + Path(name).suffix)
        text = explain.text_file_bytes(explain.problems_text(name, problems))
        outputs = [(self.staging.stage("staged-problems.txt", text), f"{stem} - problems.txt")]
        # A file never opened as a workbook has no cell to mark: problems.txt says it all.
        marked = (
            None if explain.never_opened(problems) else self.staging.marked_copy(workbook, problems)
        )
        if marked is not None:
            outputs.append((marked, f"{stem} - marked.xlsx"))
        rejected = self._relative(self.root.rejected)
        return JobPlan(
            journal_id=journal_id,
            name=name,
            outcome=outcome,
            final_name=stem + Path(name).suffix,
            made_at=time.time(),
            outputs=tuple((staged, f"{rejected}/{target}") for staged, target in outputs),
            problems=tuple(problems),
        )

    def _free_rejected_stem(self, name: str) -> str:
        """`case`, or `case (2)` etc., so the workbook and its two files share one free name."""
        for candidate in files.numbered_versions(self.root.rejected / name):
            stem = candidate.stem
            names = (candidate.name, f"{stem} - problems.txt", f"{stem} - marked.xlsx")
            if not any((self.root.rejected / n).exists() for n in names):
                return stem
        return Path(name).stem  # every version taken: files.py numbers them itself

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

    def _original_name(self, claimed: Path) -> str:
        return original_name(self.folder, claimed)

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.root.path).as_posix()


# --------------------------------------------------------------------------------------------
# Small helpers


def system_problem(code: str, message: str) -> Problem:
    """A problem about the whole workbook that sos-docs itself reports, at its code's level."""
    return codes.problem(code, None, None, message)


def unsafe_folder_problem(exc: TargetError) -> Problem:
    """Why the documents were not written: a destination folder that is not a plain folder."""
    return system_problem(
        codes.SYS003,
        f"The documents were made but not written, because the folder for them is not a plain "
        f"folder. {exc}",
    )


def no_case_folder_name_problem(placeholder: str) -> Problem:
    """The case reference has nothing visible to name a folder with."""
    return codes.problem(
        codes.DOC003,
        "Case",
        None,
        "The case reference on the Case sheet has no visible characters (only spaces or "
        "invisible characters such as zero-width spaces or direction marks), so the documents "
        f'were put in the folder "{placeholder}". Type the case reference again on the Case '
        "sheet and put the workbook in the inbox again if they should be filed under it.",
    )


def short_stem(name: str) -> str:
    """The name without its extension, short and safe enough to carry a suffix such as
    ` (12) - problems.txt` within the 255 bytes a file name may have."""
    return files.safe_file_name(Path(name).stem, max_length=MAX_STEM_BYTES)


def sha256(data: bytes) -> str:
    """The hex SHA-256 of some bytes: how the journal and the plan know a file again."""
    return hashlib.sha256(data).hexdigest()


def file_bytes_or_none(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no such file."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
