"""Tests for sos_docs.service.inbox_names: which inbox names become jobs and which are left alone."""

from __future__ import annotations

from pathlib import PurePath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_docs.service.inbox_names import DefaultFilter, is_refused_format, needs_zip_check

accepts = DefaultFilter()

names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x00"),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize(
    "name",
    [
        "case.xlsx",
        "Case FAM-1.XLSX",
        "Siân's map.xlsm",
        "old.xls",
        "export.csv",
        "libre.ods",
        "binary.xlsb",
        "mac.numbers",
        "two.dots.xlsx",
    ],
)
def test_workbook_like_names_are_candidates(name: str) -> None:
    """Workbooks and the spreadsheet formats taken only to be rejected are all candidates."""
    assert accepts(PurePath(name))


@pytest.mark.parametrize(
    "name",
    [
        "~$case.xlsx",  # Excel's owner file beside an open workbook
        ".~lock.case.xlsx#",  # LibreOffice's lock file
        ".case.xlsx",  # hidden
        "._case.xlsx",  # macOS AppleDouble
        "~WRL0001.tmp",  # Excel's save-through temporary file
        "case.xlsx.tmp",
        "case.XLSX.TMP",
        "case.xlsx~",
        "A1B2C3D4",  # Excel's extensionless save file
        "notes.txt",
        "report.docx",
        "case.xlsx.part",
        "Thumbs.db",
        "desktop.ini",
        "xlsx",
    ],
)
def test_lock_hidden_temporary_and_other_names_are_ignored(name: str) -> None:
    """Lock files, hidden and temporary files and non-workbook names never become jobs."""
    assert not accepts(PurePath(name))


@given(names)
def test_lock_files_are_ignored_whatever_follows(name: str) -> None:
    """Any name Excel or LibreOffice would use as a lock file is ignored, however it ends."""
    assert not accepts(PurePath("~$" + name.replace(".", "") + ".xlsx"))
    assert not accepts(PurePath(".~lock." + name + ".xlsx#"))


@given(names)
def test_only_names_ending_in_a_spreadsheet_extension_are_candidates(name: str) -> None:
    """A candidate always ends in one of the known spreadsheet extensions."""
    if accepts(PurePath(name)):
        assert PurePath(name).suffix.lower() in DefaultFilter.extensions
        assert not name.startswith((".", "~"))


def test_refused_formats_and_zip_checks() -> None:
    """Legacy and foreign formats are marked for rejection; only .xlsx and .xlsm need a zip."""
    assert is_refused_format(PurePath("old.XLS"))
    assert is_refused_format(PurePath("export.csv"))
    assert not is_refused_format(PurePath("case.xlsx"))
    assert needs_zip_check(PurePath("case.xlsm"))
    assert not needs_zip_check(PurePath("old.xls"))


def test_filter_uses_the_name_not_the_folder() -> None:
    """A folder whose name looks hidden does not hide the workbooks inside it."""
    assert accepts(PurePath("/srv/.shares/inbox/case.xlsx"))
