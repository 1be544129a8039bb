"""Tests for reading a review's earlier workbooks (sos_docs.workbook.history)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from sos_docs.config import DEFAULT_LIMITS
from sos_docs.model import EarlierWorkbook, MappingCase
from sos_docs.pipeline import check_workbook
from sos_docs.workbook import history as history_module
from sos_docs.workbook.history import read_history
from tests.support.reviews import (
    REVIEW_TODAY,
    history_books,
    initial_book,
    other_family_book,
    renamed_children,
    review_book,
)


def valid_case(path: Path) -> MappingCase:
    """A workbook file read and validated on the review's day; fails when it is not valid."""
    validation = check_workbook(path, today=REVIEW_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


@pytest.fixture
def review(tmp_path: Path) -> MappingCase:
    """The example family's review conference, validated."""
    return valid_case(review_book().write(tmp_path / "review.xlsx"))


def candidate(path: Path) -> EarlierWorkbook:
    """An earlier workbook named as staff see it in processed/."""
    return EarlierWorkbook(path, f"processed/{path.name}")


def digest(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_initial_conference_is_read_and_never_changed(
    review: MappingCase, tmp_path: Path
) -> None:
    """The same family's initial conference is the history, and its file is left as it was."""
    initial = initial_book().write(tmp_path / "initial.xlsx")
    before, mtime = digest(initial), initial.stat().st_mtime_ns
    history = read_history(review, [candidate(initial)], today=REVIEW_TODAY)
    assert history.warnings == ()
    assert [e.file_name for e in history.earlier] == ["processed/initial.xlsx"]
    assert history.earlier[0].case.details.meeting_type == "Initial child protection conference"
    assert (digest(initial), initial.stat().st_mtime_ns) == (before, mtime)


def test_a_missing_earlier_workbook_is_a_warning_and_not_used(
    review: MappingCase, tmp_path: Path
) -> None:
    """A file deleted from processed/ is named in a warning; the history is empty."""
    history = read_history(review, [candidate(tmp_path / "gone.xlsx")], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert len(history.warnings) == 1
    assert "processed/gone.xlsx" in history.warnings[0]
    assert "cannot be found" in history.warnings[0]


def test_a_damaged_earlier_workbook_is_a_warning_and_not_used(
    review: MappingCase, tmp_path: Path
) -> None:
    """A file that is not a workbook any more is a warning naming it, never an exception."""
    damaged = tmp_path / "initial.xlsx"
    damaged.write_bytes(b"PK\x03\x04 this was cut short")
    history = read_history(review, [candidate(damaged)], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert len(history.warnings) == 1 and "processed/initial.xlsx" in history.warnings[0]
    assert "could not be read" in history.warnings[0]


def test_an_earlier_workbook_no_longer_valid_is_a_warning_naming_its_first_error(
    review: MappingCase, tmp_path: Path
) -> None:
    """An earlier workbook that fails today's checks is left out, with the first error's code."""
    invalid = initial_book().clear("Danger statements").write(tmp_path / "initial.xlsx")
    history = read_history(review, [candidate(invalid)], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert len(history.warnings) == 1
    assert "no longer passes the checks" in history.warnings[0]
    assert "SOS101" in history.warnings[0]


def test_another_family_under_the_same_case_reference_is_not_used(
    review: MappingCase, tmp_path: Path
) -> None:
    """The same case reference with none of the same children is a warning and not history."""
    other = other_family_book().write(tmp_path / "other family.xlsx")
    history = read_history(review, [candidate(other)], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert len(history.warnings) == 1
    assert "none of the same children" in history.warnings[0]


def test_a_child_known_by_another_name_still_counts_as_the_same_family(
    review: MappingCase, tmp_path: Path
) -> None:
    """One child matching by name and date of birth is enough: the family is the same."""
    book = renamed_children(initial_book(), "Amelia Hartley", "Leonard Hartley")
    book.update_row("Children", 0, Known_as="Mia Hartley")
    earlier = book.write(tmp_path / "initial.xlsx")
    history = read_history(review, [candidate(earlier)], today=REVIEW_TODAY)
    assert history.warnings == () and len(history.earlier) == 1


def test_another_family_sharing_only_a_childs_known_as_is_not_used(
    review: MappingCase, tmp_path: Path
) -> None:
    """Another family under the same reference whose child is also known as "Mia" (another
    full name, another birthday) is not this family's history: its scores and danger
    statements never reach this family's report."""
    book = renamed_children(initial_book(), "Amelia Otherfamily", "Oscar Otherfamily")
    book.update_row("Children", 0, Known_as="Mia", Date_of_birth=dt.date(2018, 6, 1))
    other = book.write(tmp_path / "other family.xlsx")
    history = read_history(review, [candidate(other)], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert "none of the same children" in history.warnings[0]


def test_one_broken_earlier_workbook_never_stops_the_review(
    review: MappingCase, tmp_path: Path
) -> None:
    """An earlier workbook whose meeting is typed in the year 1 (a date the sharing rule cannot
    count back from) is a warning at most; the other earlier workbook is still read."""
    odd = initial_book().set_case("Meeting date", "03/01/0001")
    odd.set_case("Meeting type", "Pre-birth conference")
    broken = odd.write(tmp_path / "odd.xlsx")
    initial = initial_book().write(tmp_path / "initial.xlsx")
    history = read_history(review, [candidate(initial), candidate(broken)], today=REVIEW_TODAY)
    assert "processed/initial.xlsx" in [e.file_name for e in history.earlier]


def test_an_unexpected_failure_reading_an_earlier_workbook_is_a_warning(
    review: MappingCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever goes wrong with one earlier file (here a ValueError, as a NUL in a journal's
    path gives) is a warning naming it; the review is made without it."""
    initial = initial_book().write(tmp_path / "initial.xlsx")

    def broken_reader(path: Path, *args: object) -> object:
        raise ValueError("embedded null byte")

    monkeypatch.setattr(history_module, "read_case_workbook", broken_reader)
    history = read_history(review, [candidate(initial)], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert "processed/initial.xlsx could not be checked" in history.warnings[0]


def test_another_case_reference_is_not_used(review: MappingCase, tmp_path: Path) -> None:
    """A workbook of another case (given by hand) is a warning naming both references."""
    other = initial_book().set_case("Case reference", "CP-2025-0001").write(tmp_path / "x.xlsx")
    history = read_history(review, [candidate(other)], today=REVIEW_TODAY)
    assert history.earlier == ()
    assert "CP-2025-0001" in history.warnings[0] and "CP-2026-0412" in history.warnings[0]


def test_only_conferences_before_this_one_count(review: MappingCase, tmp_path: Path) -> None:
    """A later conference, and an earlier version of this same conference, are not used, each
    with a warning saying why (the same day: check its Meeting date)."""
    later = review_book(dt.date(2027, 5, 20)).write(tmp_path / "later.xlsx")
    same = review_book().write(tmp_path / "same.xlsx")
    initial = initial_book().write(tmp_path / "initial.xlsx")
    history = read_history(
        review, [candidate(initial), candidate(same), candidate(later)], today=dt.date(2027, 5, 21)
    )
    assert [e.file_name for e in history.earlier] == ["processed/initial.xlsx"]
    later_one, same_day = history.warnings  # read newest first
    assert "processed/same.xlsx" in same_day and "on the same day as this one" in same_day
    assert "processed/later.xlsx" in later_one and "after this one (" in later_one


def test_of_two_versions_of_one_conference_the_one_processed_last_is_used(
    review: MappingCase, tmp_path: Path
) -> None:
    """A corrected initial conference processed after the first version replaces it."""
    first = initial_book().write(tmp_path / "initial.xlsx")
    corrected = initial_book().update_row("Scaling", 0, Score=3).write(tmp_path / "fixed.xlsx")
    history = read_history(review, [candidate(first), candidate(corrected)], today=REVIEW_TODAY)
    assert [e.file_name for e in history.earlier] == ["processed/fixed.xlsx"]
    assert history.earlier[0].case.scaling[0].score == 3


def test_earlier_conferences_come_oldest_first_whatever_order_they_were_processed(
    tmp_path: Path,
) -> None:
    """History is in meeting-date order, not in the order the files were processed."""
    books = history_books(3, dt.date(2027, 2, 19))
    paths = [b.write(tmp_path / f"{n}.xlsx") for n, b in enumerate(books)]
    review = valid_case(review_book().write(tmp_path / "review.xlsx"))
    shuffled = [candidate(paths[2]), candidate(paths[0]), candidate(paths[1])]
    history = read_history(review, shuffled, today=REVIEW_TODAY)
    days = [e.case.details.meeting_date for e in history.earlier]
    assert days == sorted(days) and len(days) == 3


def test_at_most_the_latest_candidates_are_read_with_a_warning(
    review: MappingCase, tmp_path: Path
) -> None:
    """Past the cap, the oldest candidates are not read and a warning says how many there were."""
    books = history_books(3, dt.date(2027, 2, 19))
    paths = [b.write(tmp_path / f"{n}.xlsx") for n, b in enumerate(books)]
    history = read_history(review, [candidate(p) for p in paths], today=REVIEW_TODAY, most=2)
    assert [e.file_name for e in history.earlier] == ["processed/1.xlsx", "processed/2.xlsx"]
    assert "3 earlier workbooks" in history.warnings[0] and "latest 2" in history.warnings[0]


def test_reading_stops_when_a_third_of_the_job_time_has_gone(
    review: MappingCase, tmp_path: Path
) -> None:
    """With no time left, nothing is read and the warning says the oldest were left unread."""
    initial = initial_book().write(tmp_path / "initial.xlsx")
    no_time = dataclasses.replace(DEFAULT_LIMITS, max_job_seconds=-1)
    history = read_history(review, [candidate(initial)], no_time, today=REVIEW_TODAY)
    assert history.earlier == ()
    assert "took too long" in history.warnings[0] and "oldest 1 one" in history.warnings[0]
