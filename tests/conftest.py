"""Shared pytest fixtures: the example case, read from a real workbook once per session."""

from __future__ import annotations

import datetime as dt

import pytest
from builders import WorkbookBuilder

from sos_docs.model import MappingCase
from sos_docs.reader import read_workbook
from sos_docs.validate import validate

EXAMPLE_TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def example_case(tmp_path_factory: pytest.TempPathFactory) -> MappingCase:
    """The example workbook written with WorkbookBuilder, read and validated on 28 November 2026."""
    path = WorkbookBuilder().write(tmp_path_factory.mktemp("example") / "example.xlsx")
    validation = validate(read_workbook(path), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case
