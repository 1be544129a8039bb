"""Tests for sos_docs.service.jobs: one job from claim to processed/ or rejected/, and crash recovery."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook

from sos_docs import files, pipeline
from sos_docs.config import Config, load_config
from sos_docs.errors import RenderError
from sos_docs.service import lock
from sos_docs.service.jobs import JobOutcome, JobResult, resume_job, run_job, unfinished_jobs
from sos_docs.service.journal import Journal
from sos_docs.service.layout import WatchedRoot
from sos_docs.workbook.marked_copy import ERROR_FILL_COLOUR
from tests.support import blowups
from tests.support.builders import WorkbookBuilder, damage_pictures

REPORT = "Conference report"
WORDS = "Words and pictures"


# --------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture
def root(tmp_path: Path) -> WatchedRoot:
    """A prepared watched folder with the default configuration."""
    watched = WatchedRoot(tmp_path / "root", load_config(None))
    watched.prepare()
    return watched


def drop(root: WatchedRoot, name: str = "case.xlsx", reference: str = "CP-1") -> Path:
    """A valid workbook with its own case reference, written into the inbox."""
    return WorkbookBuilder().set_case("Case reference", reference).write(root.inbox / name)


def drop_invalid(root: WatchedRoot, name: str = "bad.xlsx") -> tuple[Path, str]:
    """A workbook whose meeting type is not allowed; returns it and the bad cell."""
    book = WorkbookBuilder().set_case("Meeting type", "Tea party")
    return book.write(root.inbox / name), book.cell("Case", "Meeting type")


def visible_files(folder: Path) -> list[Path]:
    """Every non-hidden file under a folder, sorted (files.py's temporary files are hidden)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def journal_jobs(root: WatchedRoot) -> list[Any]:
    """Every job the journal holds, newest first."""
    with Journal(root.journal_path, root=root.path) as journal:
        return journal.recent(1000)


def document_text(path: Path) -> str:
    """All paragraph and table text of a .docx, read back with python-docx."""
    document = Document(str(path))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs]
    return "\n".join(texts)


def assert_processed_once(root: WatchedRoot, name: str, reference: str) -> None:
    """The workbook is in processed/ once, with one of each document and one receipt (the
    example's report as a professional and a family copy: Leo's words are withheld)."""
    stem = Path(name).stem
    assert (root.processed / name).is_file()
    folder = root.reports / reference
    names = sorted(p.name for p in visible_files(folder))
    assert len([n for n in names if f"{REPORT} (professional copy)" in n]) == 1, names
    assert len([n for n in names if f"{REPORT} (family copy)" in n]) == 1, names
    assert len([n for n in names if WORDS in n]) == 1, names
    assert names.count(f"{stem} - receipt.txt") == 1, names
    assert len(names) == 4, names


# --------------------------------------------------------------------------------------------
# Processed and rejected


def test_a_valid_workbook_makes_its_documents_and_moves_to_processed(root: WatchedRoot) -> None:
    """Documents in reports/<case>/, a receipt listing them, the workbook in processed/."""
    inbox_file = drop(root, reference="CP-2026-9")
    result = run_job(root, inbox_file)
    assert result.outcome is JobOutcome.PROCESSED
    assert not inbox_file.exists()
    assert_processed_once(root, "case.xlsx", "CP-2026-9")
    report = next(p for p in result.outputs if REPORT in p.name)
    assert "CP-2026-9" in document_text(report)
    receipt = (root.reports / "CP-2026-9" / "case - receipt.txt").read_text("utf-8-sig")
    assert report.name in receipt and 'workbook "case.xlsx"' in receipt
    assert unfinished_jobs(root) == []
    (job,) = journal_jobs(root)
    assert job.outcome == "done" and job.final_path == root.processed / "case.xlsx"
    assert set(job.outputs) == set(visible_files(root.reports))


def test_a_picture_that_cannot_be_read_is_on_the_receipt(root: WatchedRoot) -> None:
    """The documents are made without the damaged picture, and the receipt says where it is."""
    book = WorkbookBuilder().set_case("Case reference", "CP-7").with_picture("Safety plan")
    inbox_file = damage_pictures(book.write(root.inbox / "case.xlsx"))
    result = run_job(root, inbox_file)
    assert result.outcome is JobOutcome.PROCESSED
    receipt = (root.reports / "CP-7" / "case - receipt.txt").read_text("utf-8-sig")
    assert "DOC001" in receipt
    assert f"Safety plan!{book.cell('Safety plan', 'Picture')}" in receipt


def test_an_invalid_workbook_is_rejected_with_problems_and_a_marked_copy(
    root: WatchedRoot,
) -> None:
    """problems.txt names sheet, cell and code; the marked copy has the cell in red with a note."""
    inbox_file, cell = drop_invalid(root)
    result = run_job(root, inbox_file)
    assert result.outcome is JobOutcome.REJECTED
    assert (root.rejected / "bad.xlsx").is_file()
    text = (root.rejected / "bad - problems.txt").read_text("utf-8-sig")
    assert f"Case!{cell}" in text and "(WB006)" in text
    marked = load_workbook(root.rejected / "bad - marked.xlsx")
    problem_cell = marked["Case"][cell]
    assert problem_cell.fill.fgColor.rgb == ERROR_FILL_COLOUR
    assert problem_cell.comment is not None
    assert "Problems" in marked.sheetnames
    assert visible_files(root.reports) == []
    (job,) = journal_jobs(root)
    assert job.outcome == "rejected" and [p.code for p in job.problems] == ["WB006"]


def test_a_whole_sheet_merge_is_rejected_at_once_with_a_problems_only_copy(
    root: WatchedRoot,
) -> None:
    """A 17 KB workbook merging A1:XFD1048576 is WB001 naming the range, and its marked copy is
    made without openpyxl loading it (which would build 17 billion cells in this process)."""
    inbox_file = blowups.merged_range(WorkbookBuilder().write(root.inbox / "merged.xlsx"))
    result = run_job(root, inbox_file)
    assert result.outcome is JobOutcome.REJECTED
    text = (root.rejected / "merged - problems.txt").read_text("utf-8-sig")
    assert "(WB001)" in text and "A1:XFD1048576" in text
    assert "too large or too complex to process" in text
    assert load_workbook(root.rejected / "merged - marked.xlsx").sheetnames == ["Problems"]


def test_a_legacy_xls_is_rejected_with_how_to_save_it_as_xlsx(root: WatchedRoot) -> None:
    """An old-format file is refused with its explanation, under its own name, not the work name."""
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024)
    old = root.inbox / "Hartley.xls"
    old.write_bytes(content)
    assert run_job(root, old).outcome is JobOutcome.REJECTED
    text = (root.rejected / "Hartley - problems.txt").read_text("utf-8-sig")
    assert '"Hartley.xls"' in text and "Save As" in text and "(WB001)" in text
    assert "__" not in text  # the claimed name in the work area never reaches staff
    assert (root.rejected / "Hartley.xls").read_bytes() == content
    assert not (root.rejected / "Hartley - marked.xlsx").exists()  # no cell to mark


def test_a_file_that_is_no_workbook_gets_no_marked_copy_and_no_advice_to_fix_cells(
    root: WatchedRoot,
) -> None:
    """A PDF dropped by mistake is explained without a marked copy or talk of problem cells."""
    pdf = root.inbox / "conference.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(300))
    assert run_job(root, pdf).outcome is JobOutcome.REJECTED
    assert sorted(p.name for p in root.rejected.iterdir()) == [
        "conference - problems.txt",
        "conference.pdf",
    ]
    text = (root.rejected / "conference - problems.txt").read_text("utf-8-sig")
    assert "PDF document, not an Excel workbook" in text
    assert "marked.xlsx" not in text and "problem cell" not in text
    assert "put the Excel mapping workbook (.xlsx) into the inbox folder again" in text


def test_a_name_clash_in_processed_gets_a_numbered_name(root: WatchedRoot) -> None:
    """A second workbook of the same name never overwrites the first in processed/."""
    run_job(root, drop(root, reference="CP-A"))
    first = (root.processed / "case.xlsx").read_bytes()
    run_job(root, drop(root, reference="CP-B"))
    assert (root.processed / "case.xlsx").read_bytes() == first
    assert (root.processed / "case (2).xlsx").is_file()


def test_a_name_clash_in_rejected_numbers_all_three_files_alike(root: WatchedRoot) -> None:
    """The second rejection of a name becomes `bad (2)` with its own problems and marked copy."""
    run_job(root, drop_invalid(root)[0])
    first = (root.rejected / "bad - problems.txt").read_bytes()
    run_job(root, drop_invalid(root)[0])
    assert (root.rejected / "bad - problems.txt").read_bytes() == first
    names = {p.name for p in root.rejected.iterdir()}
    assert names == {
        "bad.xlsx",
        "bad - problems.txt",
        "bad - marked.xlsx",
        "bad (2).xlsx",
        "bad (2) - problems.txt",
        "bad (2) - marked.xlsx",
    }


def test_a_very_long_name_is_rejected_with_names_that_fit(root: WatchedRoot) -> None:
    """A 250-byte workbook name still gets its problems file, under a shortened name."""
    name = "é" * 120 + ".xls"
    (root.inbox / name).write_bytes(b"not a workbook at all")
    assert run_job(root, root.inbox / name).outcome is JobOutcome.REJECTED
    problems = [p for p in root.rejected.iterdir() if p.name.endswith(" - problems.txt")]
    assert len(problems) == 1 and len(problems[0].name.encode()) <= 255
    assert len([p for p in root.rejected.iterdir() if p.suffix == ".xls"]) == 1


# --------------------------------------------------------------------------------------------
# Failures


def test_an_internal_error_is_a_plain_rejection_with_details_in_the_log(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected exception rejects the workbook with a plain message naming the job."""

    def broken(path: Path, config: Config) -> None:
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr(pipeline, "check_workbook", broken)
    result = run_job(root, drop(root))
    assert result.outcome is JobOutcome.REJECTED
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "internal error" in text and f"job {result.job_id}" in text
    assert "ZeroDivisionError" not in text and "secret internals" not in text
    assert "Traceback" not in text
    assert (root.rejected / "case.xlsx").is_file()
    logged = [r for r in caplog.records if r.exc_info and result.job_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    (job,) = journal_jobs(root)
    assert job.outcome == "failed-internal"


def test_a_render_error_rejects_with_its_plain_message(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document that cannot be made is explained in the sos-docs error's own words."""

    def cannot_render(*args: object, **kwargs: object) -> None:
        raise RenderError("The picture on Safety plan row 3 could not be used.")

    monkeypatch.setattr(pipeline, "render_case", cannot_render)
    result = run_job(root, drop(root))
    assert result.outcome is JobOutcome.REJECTED
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "Safety plan row 3" in text and "(SYS002)" in text and result.job_id in text


def make_reports_unwritable(root: WatchedRoot) -> None:
    """Stand a plain file where the reports folder should be (works even for root)."""
    root.reports.rmdir()
    root.reports.write_text("not a folder")


def make_reports_writable(root: WatchedRoot) -> None:
    """Put the reports folder back."""
    root.reports.unlink()
    root.reports.mkdir()


def test_unwritable_reports_keep_the_workbook_in_work_until_they_can_be_written(
    root: WatchedRoot,
) -> None:
    """A delivery failure never rejects or loses the workbook; a later resume finishes it."""
    make_reports_unwritable(root)
    inbox_file = drop(root)
    waiting = run_job(root, inbox_file)
    assert waiting.outcome is JobOutcome.WAITING and "could not" in waiting.reason
    assert waiting.folder is not None and waiting.folder in unfinished_jobs(root)
    assert list(root.processed.iterdir()) == [] and list(root.rejected.iterdir()) == []
    assert not inbox_file.exists()
    (job,) = journal_jobs(root)
    assert not job.finished
    assert resume_job(root, waiting.folder).outcome is JobOutcome.WAITING  # still unwritable
    make_reports_writable(root)
    assert resume_job(root, waiting.folder).outcome is JobOutcome.PROCESSED
    assert_processed_once(root, "case.xlsx", "CP-1")
    assert unfinished_jobs(root) == []
    (job,) = journal_jobs(root)
    assert job.outcome == "done"


# --------------------------------------------------------------------------------------------
# Crash recovery: a crash after every step, then a resume


class Crash(BaseException):
    """Stands in for the process dying: nothing in the job catches it."""


CRASHABLE: list[tuple[Any, str]] = [
    (files, "claim"),
    (files, "write_new_file"),
    (files, "move_without_overwrite"),
    (Journal, "start_job"),
    (Journal, "record_outputs"),
    (Journal, "finish"),
]


def crash_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> Callable[[], int]:
    """Let `calls` side-effecting steps of a job happen, then crash right after the next one."""
    count = 0

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            result = original(*args, **kwargs)
            count += 1
            if count == calls:
                raise Crash
            return result

        return step

    for owner, name in CRASHABLE:
        monkeypatch.setattr(owner, name, wrap(getattr(owner, name)))
    return lambda: count


def steps_of_a_job(root: WatchedRoot, inbox_file: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many crashable steps one uninterrupted job takes."""
    with monkeypatch.context() as patch:
        counted = crash_after(patch, calls=-1)
        run_job(root, inbox_file)
        return counted()


@pytest.fixture(scope="module")
def step_counts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """The number of crashable steps of a processed and of a rejected job."""
    counts = {}
    with pytest.MonkeyPatch.context() as patch:
        for kind in ("processed", "rejected"):
            watched = WatchedRoot(tmp_path_factory.mktemp(kind), load_config(None))
            watched.prepare()
            inbox_file = drop(watched) if kind == "processed" else drop_invalid(watched)[0]
            counts[kind] = steps_of_a_job(watched, inbox_file, patch)
    return counts


# claim, journal, 3 staged documents (the example's report twice: professional and family copy,
# and the story), job.json, 3 documents and the receipt each placed and recorded, move, finish;
# a rejection stages and places problems.txt and the marked copy instead.
STEPS = {"processed": 16, "rejected": 10}


def crash_points() -> Iterator[tuple[str, int]]:
    """Every step of both kinds of job (the counts are checked against real jobs below)."""
    for kind, steps in STEPS.items():
        for after in range(1, steps + 1):
            yield kind, after


@pytest.mark.parametrize(("kind", "after"), list(crash_points()))
def test_a_crash_after_any_step_is_finished_exactly_once_on_resume(
    root: WatchedRoot,
    monkeypatch: pytest.MonkeyPatch,
    step_counts: dict[str, int],
    kind: str,
    after: int,
) -> None:
    """Whatever step a job dies after, resuming it leaves one workbook and one of each output."""
    assert step_counts[kind] >= after
    inbox_file = drop(root) if kind == "processed" else drop_invalid(root)[0]
    with monkeypatch.context() as patch:
        crash_after(patch, after)
        with pytest.raises(Crash):
            run_job(root, inbox_file)
    for folder in unfinished_jobs(root):
        assert resume_job(root, folder).outcome in (
            JobOutcome.PROCESSED,
            JobOutcome.REJECTED,
            JobOutcome.SKIPPED,
        )
    assert unfinished_jobs(root) == []
    assert not inbox_file.exists()
    if kind == "processed":
        assert_processed_once(root, "case.xlsx", "CP-1")
        assert list(root.rejected.iterdir()) == []
    else:
        assert sorted(p.name for p in root.rejected.iterdir()) == [
            "bad - marked.xlsx",
            "bad - problems.txt",
            "bad.xlsx",
        ]
        assert list(root.processed.iterdir()) == []
    jobs_recorded = journal_jobs(root)
    assert len(jobs_recorded) == 1 and jobs_recorded[0].finished
    assert set(jobs_recorded[0].outputs) <= set(visible_files(root.path))


def test_the_step_counts_cover_every_step(step_counts: dict[str, int]) -> None:
    """The crash points above reach the last step of each kind of job."""
    assert step_counts == STEPS


def test_a_job_folder_locked_by_a_live_worker_is_left_alone(root: WatchedRoot) -> None:
    """Resume skips a folder another process or thread holds, and touches nothing in it."""
    folder = root.work / "20260101-000000-abcdef01"
    folder.mkdir()
    workbook = drop(root).rename(folder / f"{folder.name}__case.xlsx")
    fd = os.open(folder / lock.LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert resume_job(root, folder).outcome is JobOutcome.SKIPPED
        assert workbook.is_file()
    finally:
        os.close(fd)
    assert resume_job(root, folder).outcome is JobOutcome.PROCESSED
    assert_processed_once(root, "case.xlsx", "CP-1")


def test_a_lock_on_a_lock_file_removed_meanwhile_owns_nothing(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker whose lock file was unlinked by a finishing holder before it locked backs off."""
    folder = root.work / "20260101-000000-abcdef02"
    folder.mkdir()
    workbook = drop(root).rename(folder / f"{folder.name}__case.xlsx")
    real_try_lock = lock._try_lock

    def removed_just_before(fd: int) -> bool:
        (folder / lock.LOCK_FILE).unlink()
        return real_try_lock(fd)

    monkeypatch.setattr(lock, "_try_lock", removed_just_before)
    assert resume_job(root, folder).outcome is JobOutcome.SKIPPED
    assert workbook.is_file()


def test_an_empty_job_folder_from_a_crash_before_the_claim_is_removed(root: WatchedRoot) -> None:
    """A job folder that never received its workbook is simply cleared away."""
    folder = root.work / "20260101-000000-00000000"
    folder.mkdir()
    assert resume_job(root, folder).outcome is JobOutcome.SKIPPED
    assert not folder.exists()


def test_a_file_another_service_took_is_skipped(root: WatchedRoot) -> None:
    """Losing the claim (the file is gone) is not an error and leaves no job folder."""
    assert run_job(root, root.inbox / "gone.xlsx").outcome is JobOutcome.SKIPPED
    assert unfinished_jobs(root) == []
    assert journal_jobs(root) == []


def test_job_outcomes_are_logged_with_names_and_codes_not_cell_text(
    root: WatchedRoot, caplog: pytest.LogCaptureFixture
) -> None:
    """One line per outcome names the file, case reference and codes, never a cell's content."""
    caplog.set_level(logging.INFO, logger="sos_docs")
    run_job(root, drop(root, "good.xlsx", reference="CP-77"))
    book = WorkbookBuilder().set_case("Meeting type", "Zebra crossing 123")
    run_job(root, book.write(root.inbox / "bad.xlsx"))
    lines = [r.getMessage() for r in caplog.records if r.name == "sos_docs.service.jobs"]
    assert any('"good.xlsx"' in line and "CP-77" in line for line in lines)
    assert any('"bad.xlsx"' in line and "WB006" in line for line in lines)
    assert not any("Zebra" in r.getMessage() for r in caplog.records)
    assert all(
        getattr(r, "sos_root", None) == str(root.path)
        for r in caplog.records
        if r.name == "sos_docs.service.jobs"
    )


# --------------------------------------------------------------------------------------------
# Round two (issue 10): every read of a claimed file goes through the guard


def claim_then_swap(monkeypatch: pytest.MonkeyPatch, swap: Callable[[Path], None]) -> None:
    """Make files.claim replace the claimed file (after the rename) the way an attacker could."""
    original = files.claim

    def claim_and_swap(src: Path, work_dir: Path, job_id: str) -> Path | None:
        claimed = original(src, work_dir, job_id)
        assert claimed is not None
        claimed.unlink()
        swap(claimed)
        return claimed

    monkeypatch.setattr(files, "claim", claim_and_swap)


def run_job_within(root: WatchedRoot, inbox_file: Path, seconds: float) -> JobResult:
    """run_job in a thread; fail (instead of hanging the test run) if it takes too long."""
    import threading

    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(run_job(root, inbox_file)), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        for fifo in root.work.rglob("*"):  # let a thread blocked on a pipe go
            if fifo.is_fifo():
                with contextlib.suppress(OSError):
                    os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail(f"the job was still running after {seconds} s")
    (result,) = results
    assert isinstance(result, JobResult)
    return result


def test_a_claimed_file_swapped_for_a_named_pipe_is_rejected_without_blocking(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO in place of the claimed workbook never blocks the worker: it is rejected."""
    claim_then_swap(monkeypatch, os.mkfifo)
    result = run_job_within(root, drop(root), 10.0)
    assert result.outcome is JobOutcome.REJECTED
    assert (root.rejected / "case.xlsx").is_fifo()
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "not an ordinary file" in text
    assert unfinished_jobs(root) == []


def test_a_claimed_file_swapped_for_a_link_to_dev_zero_is_rejected_at_once(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link to /dev/zero in place of the claimed workbook is refused without reading it."""
    claim_then_swap(monkeypatch, lambda path: path.symlink_to("/dev/zero"))
    result = run_job_within(root, drop(root), 10.0)
    assert result.outcome is JobOutcome.REJECTED
    assert (root.rejected / "case.xlsx").is_symlink()
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "symbolic link" in text


def refuse_reading(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Simulate a share ACL: every open of a file called `name` for reading is refused."""
    import builtins
    import io

    real_os_open, real_io_open = os.open, io.open

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if Path(os.fsdecode(path)).name == name and not flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(13, "Permission denied", str(path))
        return real_os_open(path, flags, *args, **kwargs)

    def io_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | Path) and Path(file).name == name and "r" in mode:
            raise PermissionError(13, "Permission denied", str(file))
        return real_io_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(builtins, "open", io_open)


def test_a_workbook_the_service_may_not_read_is_rejected_saying_who_to_ask(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unreadable workbook reaches rejected/ with a plain explanation, not the work area."""
    inbox_file = drop(root)
    refuse_reading(monkeypatch, "case.xlsx")
    result = run_job(root, inbox_file)
    monkeypatch.undo()
    assert result.outcome is JobOutcome.REJECTED
    assert (root.rejected / "case.xlsx").is_file()
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "service account" in text and "read permission" in text
    assert unfinished_jobs(root) == []
    (job,) = journal_jobs(root)
    assert job.outcome == "rejected"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_a_workbook_with_no_read_permission_is_rejected(root: WatchedRoot) -> None:
    """chmod 000 as a share ACL would: rejected with the service-account explanation."""
    inbox_file = drop(root)
    inbox_file.chmod(0)
    result = run_job(root, inbox_file)
    assert result.outcome is JobOutcome.REJECTED
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "service account" in text


GUARD_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@pytest.mark.parametrize("valid", [True, False], ids=["processed", "rejected"])
def test_only_the_guards_opener_touches_the_claimed_file(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch, valid: bool
) -> None:
    """Every open of the claimed workbook during a job is the guard's (no links, no blocking)."""
    import builtins
    import io

    inbox_file = drop(root) if valid else drop_invalid(root, "case.xlsx")[0]
    opens: list[tuple[str, str, int]] = []
    real_os_open, real_io_open = os.open, io.open

    def claimed(path: Any) -> bool:
        if not isinstance(path, str | bytes | os.PathLike):
            return False
        found = Path(os.fsdecode(path))
        return found.is_relative_to(root.work) and found.name.endswith("case.xlsx")

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if claimed(path):
            opens.append(("os.open", str(path), flags))
        return real_os_open(path, flags, *args, **kwargs)

    def io_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if claimed(file):
            opens.append(("io.open", str(file), 0))
        return real_io_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", io_open)
    monkeypatch.setattr(builtins, "open", io_open)
    result = run_job(root, inbox_file)
    monkeypatch.undo()
    assert result.outcome is (JobOutcome.PROCESSED if valid else JobOutcome.REJECTED)
    assert opens, "the claimed workbook was never read"
    assert [o for o in opens if o[0] != "os.open" or o[2] & GUARD_FLAGS != GUARD_FLAGS] == []


def test_no_module_reads_a_file_by_path_except_through_the_guard() -> None:
    """An AST scan: modules that handle claimed files call no path reader the guard does not own."""
    import ast

    handling = [
        "service/jobs.py",
        "service/plan.py",
        "service/layout.py",
        "service/watcher.py",
        "service/journal.py",
        "workbook/marked_copy.py",
        "files.py",
        "pipeline.py",
    ]
    allowed_readers = {"read_claimed_file", "read_checked_workbook", "looks_whole"}
    source_dir = Path(files.__file__).parent
    offenders = []
    for module in handling:
        tree = ast.parse((source_dir / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            target = ast.unparse(func)
            if name in {"ZipFile", "load_workbook"} and not (
                node.args and "BytesIO" in ast.unparse(node.args[0])
            ):
                offenders.append(f"{module}:{node.lineno} {target}")
            if (
                name == "read_bytes"
                and "staged" not in ast.unparse(node)
                and ("workbook" in target or "claimed" in target or "source" in target)
            ):
                offenders.append(f"{module}:{node.lineno} {target}")
    assert offenders == [], f"claimed files read outside the guard: {offenders} ({allowed_readers})"


# --------------------------------------------------------------------------------------------
# Round two (issue 10): targets are checked again just before every write


def test_a_case_folder_replaced_by_a_link_while_waiting_stops_the_job_with_an_explanation(
    root: WatchedRoot, tmp_path: Path
) -> None:
    """On resume, a case folder that became a link to outside is refused; nothing is written there."""
    outside = tmp_path / "outside"
    outside.mkdir()
    inbox_file = drop(root)
    make_reports_unwritable(root)
    waiting = run_job(root, inbox_file)
    assert waiting.outcome is JobOutcome.WAITING and waiting.folder is not None
    make_reports_writable(root)
    (root.reports / "CP-1").symlink_to(outside, target_is_directory=True)
    result = resume_job(root, waiting.folder)
    assert list(outside.iterdir()) == []
    assert result.outcome is JobOutcome.REJECTED
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "CP-1" in text and "not a plain folder" in text
    assert (root.rejected / "case.xlsx").is_file()
    assert unfinished_jobs(root) == []


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_case_folder_that_is_not_a_plain_folder_rejects_on_first_run(
    root: WatchedRoot, tmp_path: Path, kind: str
) -> None:
    """A link or a file where the case folder goes stops a fresh job with an explanation."""
    outside = tmp_path / "outside"
    outside.mkdir()
    if kind == "link":
        (root.reports / "CP-1").symlink_to(outside, target_is_directory=True)
    else:
        (root.reports / "CP-1").write_text("a file")
    result = run_job(root, drop(root))
    assert list(outside.iterdir()) == []
    assert result.outcome is JobOutcome.REJECTED
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "not a plain folder" in text
    assert unfinished_jobs(root) == []


def test_the_explanation_for_staff_names_folders_inside_the_watched_folder_only(
    root: WatchedRoot, tmp_path: Path
) -> None:
    """problems.txt says "reports/CP-1", never the server's own path to the watched folder."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (root.reports / "CP-1").symlink_to(outside, target_is_directory=True)
    run_job(root, drop(root))
    text = (root.rejected / "case - problems.txt").read_text("utf-8-sig")
    assert "reports/CP-1" in text
    assert str(tmp_path) not in text and str(root.path) not in text


def test_a_case_reference_of_invisible_characters_gets_a_placeholder_folder_and_a_warning(
    root: WatchedRoot,
) -> None:
    """Zero-width and bidi characters are stripped; a blank result gets a safe folder and a warning."""
    result = run_job(root, drop(root, reference="\u200b\u202e\u2066\ufeff"))
    assert result.outcome is JobOutcome.PROCESSED
    (folder,) = [p for p in root.reports.iterdir() if p.is_dir()]
    assert folder.name.startswith("no case reference") and result.job_id in folder.name
    receipt = (folder / "case - receipt.txt").read_text("utf-8-sig")
    assert "case reference" in receipt.lower() and "DOC003" in receipt


# --------------------------------------------------------------------------------------------
# Copies for the family (docs/documents.md)


def test_withheld_rows_make_a_copy_for_each_reader_and_the_receipt_lists_them_by_row(
    root: WatchedRoot,
) -> None:
    """A real job: a row kept from Dean, Leo's words kept from the family; the professional,
    family and Dean's copies are placed, and the receipt names sheets and rows, never words."""
    book = WorkbookBuilder().set_case("Case reference", "CP-W")
    secret = "Dean must not know about the refuge in Harrow Road"
    book.update_row("Grey areas", 0, Question_or_unknown=secret, Withhold_from="P2")
    result = run_job(root, book.write(root.inbox / "case.xlsx"))
    assert result.outcome is JobOutcome.PROCESSED
    names = sorted(p.name for p in visible_files(root.reports / "CP-W"))
    assert [n.rsplit(" ", 1)[0] for n in names if n.endswith(".docx")] == [
        "CP-W Conference report (copy for Dean Hartley)",
        "CP-W Conference report (family copy)",
        "CP-W Conference report (professional copy)",
        "CP-W Words and pictures",
    ]
    texts = {n: document_text(root.reports / "CP-W" / n) for n in names if n.endswith(".docx")}
    dean = next(t for n, t in texts.items() if "Dean Hartley" in n)
    family = next(t for n, t in texts.items() if "family copy" in n)
    professional = next(t for n, t in texts.items() if "professional copy" in n)
    assert secret not in dean and "dinosaurs" not in dean
    assert secret in family and "dinosaurs" not in family  # only Dean is kept from the row
    assert secret in professional and "dinosaurs" in professional
    receipt = (root.reports / "CP-W" / "case - receipt.txt").read_text("utf-8-sig")
    assert "The professional copy has everything: give it to professionals only." in receipt
    assert (
        "The family copy, for the family, except Dean Hartley, leaves out: Child's views row 3."
        in receipt
    )
    assert (
        "The copy for Dean Hartley, for Dean Hartley, leaves out: Grey areas row 2; "
        "Child's views row 3." in receipt
    )
    assert secret not in receipt and "dinosaurs" not in receipt


def test_a_job_flushes_each_folder_it_writes_into_once(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file a job writes is flushed to disk, but each folder's entries only once per step:
    the case's reports folder once for all its documents and the receipt (issue 17)."""
    folders: list[str] = []
    flushed_files: set[tuple[int, int]] = set()  # (device, inode): placed under a temporary name
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        name = Path(f"/proc/self/fd/{fd}").readlink()
        if name.is_dir():
            folders.append(str(name))
        else:
            flushed_files.add((os.fstat(fd).st_dev, os.fstat(fd).st_ino))
        real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name the flushed descriptors")
    monkeypatch.setattr(files.os, "fsync", recording_fsync)
    result = run_job(root, drop(root))
    assert result.outcome is JobOutcome.PROCESSED
    case_folder = str(root.reports / "CP-1")
    assert folders.count(case_folder) == 1
    placed = {(p.stat().st_dev, p.stat().st_ino) for p in visible_files(root.reports / "CP-1")}
    assert len(placed) == 4 and placed <= flushed_files  # each document's bytes, the receipt's
    assert folders.count(str(root.processed)) == 1
    work_folders = [f for f in folders if f.startswith(str(root.work) + os.sep)]
    assert len(work_folders) <= 2  # the staged outputs, then job.json
