"""Tests for a review conference in the service: earlier workbooks found through the journal."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document

from sos_docs.config import load_config
from sos_docs.errors import JournalError
from sos_docs.service.jobs import JobOutcome, run_job
from sos_docs.service.journal import Journal
from sos_docs.service.journal_hosts import ProcessedOfCase
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.workers import DocumentProcess
from tests.support.reviews import (
    PAST_REVIEW_MEETING,
    history_books,
    initial_book,
    other_family_book,
    review_book,
)

REFERENCE = "CP-2026-0412"


@pytest.fixture
def root(tmp_path: Path) -> WatchedRoot:
    """A prepared watched folder with the default configuration."""
    watched = WatchedRoot(tmp_path / "root", load_config(None))
    watched.prepare()
    return watched


@pytest.fixture(scope="module")
def worker() -> Iterator[DocumentProcess]:
    """One worker process for the module, as the service runs jobs."""
    process = DocumentProcess()
    yield process
    process.close()


def process(root: WatchedRoot, worker: DocumentProcess, book_path: Path) -> None:
    """Run one inbox file's job through the worker; it must be processed."""
    result = run_job(root, book_path, worker.make)
    assert result.outcome is JobOutcome.PROCESSED, result


def report_and_receipt(root: WatchedRoot, stem: str) -> tuple[str, str, str]:
    """The review's report text, its document.xml, and its receipt's text."""
    folder = root.reports / REFERENCE
    report = next(p for p in folder.glob("*Conference report (professional copy) 2026-11-30.docx"))
    document = Document(str(report))
    text = "\n".join(
        [p.text for p in document.paragraphs]
        + [c.text for t in document.tables for row in t.rows for c in row.cells]
    )
    body = document.part.blob.decode()
    receipt = (folder / f"{stem} - receipt.txt").read_text(encoding="utf-8")
    return text, body, receipt


def test_a_review_reads_the_initial_conference_the_service_processed_before(
    root: WatchedRoot, worker: DocumentProcess
) -> None:
    """Initial conference, then its review: the review's report compares the scores."""
    process(root, worker, initial_book().write(root.inbox / "Hartley initial.xlsx"))
    earlier = root.processed / "Hartley initial.xlsx"
    before = hashlib.sha256(earlier.read_bytes()).hexdigest()
    process(
        root, worker, review_book(PAST_REVIEW_MEETING).write(root.inbox / "Hartley review.xlsx")
    )
    text, body, receipt = report_and_receipt(root, "Hartley review")
    assert "Progress since the last conference" in text
    assert "initial child protection conference on 27 November 2026" in text
    assert "Hartley initial.xlsx" not in text  # the file name is internal
    assert "The safety plan written and agreed with the network." in text  # one point higher then
    assert "Up 2" in text  # Ada: 4 then, 6 now
    assert 'descr="Scores from 27 Nov 2026 to ' in body  # the chart, described
    assert "SOS220" not in receipt and "SOS221" not in receipt
    # Staff are told which file the progress came from; the family's document never is.
    assert (
        "The review's progress since the last conference was read from:\n"
        "  processed/Hartley initial.xlsx (the initial child protection conference on "
        "27 November 2026)"
    ) in receipt.replace("\r\n", "\n")
    assert hashlib.sha256(earlier.read_bytes()).hexdigest() == before


def test_an_earlier_workbook_deleted_from_processed_is_a_warning_on_the_receipt(
    root: WatchedRoot, worker: DocumentProcess
) -> None:
    """The journal still names it, the file is gone: SOS220 and SOS221, and the review is made."""
    process(root, worker, initial_book().write(root.inbox / "Hartley initial.xlsx"))
    (root.processed / "Hartley initial.xlsx").unlink()
    process(root, worker, review_book(PAST_REVIEW_MEETING).write(root.inbox / "review.xlsx"))
    text, _, receipt = report_and_receipt(root, "review")
    assert (
        "SOS220" in receipt and "Hartley initial.xlsx" in receipt and "cannot be found" in receipt
    )
    assert "SOS221" in receipt
    assert "No earlier scores are known" in text


def test_a_damaged_earlier_workbook_is_a_warning_and_the_review_is_made(
    root: WatchedRoot, worker: DocumentProcess
) -> None:
    """An earlier file overwritten with junk is named on the receipt, never a failure."""
    process(root, worker, initial_book().write(root.inbox / "initial.xlsx"))
    (root.processed / "initial.xlsx").write_bytes(b"not a workbook any more")
    process(root, worker, review_book(PAST_REVIEW_MEETING).write(root.inbox / "review.xlsx"))
    _, _, receipt = report_and_receipt(root, "review")
    assert "SOS220" in receipt and "could not be read" in receipt


def test_another_family_under_the_same_reference_is_a_warning_and_not_used(
    root: WatchedRoot, worker: DocumentProcess
) -> None:
    """Same case reference, none of the same children: not the review's history."""
    process(root, worker, other_family_book().write(root.inbox / "Tran initial.xlsx"))
    process(root, worker, review_book(PAST_REVIEW_MEETING).write(root.inbox / "review.xlsx"))
    text, body, receipt = report_and_receipt(root, "review")
    assert "SOS220" in receipt and "none of the same children" in receipt
    assert "No earlier scores are known" in text and 'descr="Scores from' not in body
    assert "Tran" not in text


def test_the_lookup_offers_only_files_in_processed_oldest_first(root: WatchedRoot) -> None:
    """Done jobs of the case, in the order finished; a path outside processed/ is never offered."""
    with Journal(root.journal_path, root=root.path) as journal:
        for name, final in (
            ("a.xlsx", root.processed / "a.xlsx"),
            ("b.xlsx", root.path / "elsewhere" / "b.xlsx"),
            ("c.xlsx", root.processed / "c.xlsx"),
        ):
            job = journal.start_job(name, "hash", root.work / name)
            journal.finish(job, "done", final, [], REFERENCE)
        other = journal.start_job("d.xlsx", "hash", root.work / "d.xlsx")
        journal.finish(other, "done", root.processed / "d.xlsx", [], "CP-OTHER")
    found = ProcessedOfCase(root.state, root.path, root.processed)(REFERENCE)
    assert [(f.path.name, f.name) for f in found] == [
        ("a.xlsx", "processed/a.xlsx"),
        ("c.xlsx", "processed/c.xlsx"),
    ]


def test_a_processed_folder_swapped_for_a_link_is_never_read_through(
    root: WatchedRoot, tmp_path: Path
) -> None:
    """processed/ replaced by a link to another team's folder while the service runs: the
    lookup refuses it (JournalError, a warning on the receipt) instead of reading the other
    team's workbooks into this family's review."""
    with Journal(root.journal_path, root=root.path) as journal:
        job = journal.start_job("a.xlsx", "hash", root.work / "a.xlsx")
        journal.finish(job, "done", root.processed / "a.xlsx", [], REFERENCE)
    other_team = tmp_path / "other team processed"
    other_team.mkdir()
    initial_book().write(other_team / "a.xlsx")
    root.processed.rename(tmp_path / "processed.real")
    root.processed.symlink_to(other_team, target_is_directory=True)
    with pytest.raises(JournalError, match="not a plain folder"):
        ProcessedOfCase(root.state, root.path, root.processed)(REFERENCE)


def test_fifty_earlier_conferences_stay_well_inside_the_job_time_limit(
    root: WatchedRoot, worker: DocumentProcess
) -> None:
    """A review with 50 earlier conferences in processed/ is made, timed against the limit."""
    with Journal(root.journal_path, root=root.path) as journal:
        for number, book in enumerate(history_books(50)):
            path = book.write(root.processed / f"conference {number:02}.xlsx")
            job = journal.start_job(path.name, "hash", root.work / path.name)
            journal.finish(job, "done", path, [], REFERENCE)
    inbox = review_book(PAST_REVIEW_MEETING).write(root.inbox / "review.xlsx")
    started = time.perf_counter()
    process(root, worker, inbox)
    took = time.perf_counter() - started
    _, body, receipt = report_and_receipt(root, "review")
    assert "SOS220" not in receipt and "SOS221" not in receipt
    assert "each of the 51 conferences" in body
    limit = root.config.limits.max_job_seconds
    print(f"review with 50 earlier conferences: {took:.1f} s (limit {limit} s)")
    assert took < limit / 4, took
