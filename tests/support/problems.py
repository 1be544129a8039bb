"""Checking a builder's workbook and picking out its problems: shared by the rule tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sos_docs.model import Level, Problem, Validation
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from sos_docs.working_days import SharingRules
from tests.support.builders import WorkbookBuilder

TODAY = dt.date(2026, 11, 28)  # after the example's mapping date, before its meeting


def check(
    book: WorkbookBuilder,
    tmp_path: Path,
    today: dt.date = TODAY,
    sharing: SharingRules | None = None,
) -> Validation:
    """Write the book as a real .xlsx, read it back and validate it."""
    return validate(read_workbook(book.write(tmp_path / "case.xlsx")), today, sharing)


def problems_with(validation: Validation, code: str) -> list[Problem]:
    """Every problem with this code, in report order."""
    return [p for p in validation.problems if p.code == code]


def the_problem(validation: Validation, code: str) -> Problem:
    """The one problem with this code (fails, listing them all, when there is not exactly one)."""
    found = problems_with(validation, code)
    assert len(found) == 1, validation.problems
    return found[0]


def where(problem: Problem) -> tuple[str, Level, str | None, str | None]:
    """A problem's code, level, sheet and cell, to compare in one assert."""
    return (problem.code, problem.level, problem.sheet, problem.cell)
