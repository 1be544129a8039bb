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


# ------------------------------------------------------------------ round two (issue 10/11)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("~$case.xlsx", "Excel"),
        (".~lock.case.xlsx#", "LibreOffice"),
        (".case.xlsx", "hidden"),
        ("~WRL0001.tmp", "temporary"),
        ("case.xlsx.tmp", "temporary"),
        ("A1B2C3D4", "Excel"),
        ("Thumbs.db", "Windows"),
        ("desktop.ini", "Windows"),
    ],
)
def test_ignored_inbox_names_say_why(name: str, why: str) -> None:
    """ignored_reason names lock, temporary, hidden and system files, and why they stay."""
    from sos_docs.service.inbox_names import ignored_reason

    reason = ignored_reason(name)
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    "name",
    ["~case.xlsx", "case.xltx", "case.xlsx ", "report.docx", "notes.pdf", "notes.txt", "x.xlsx~"],
)
def test_every_other_inbox_name_is_taken_to_be_processed_or_explained(name: str) -> None:
    """Names that are not lock, temporary or hidden files are taken, so none sits unexplained."""
    from sos_docs.service.inbox_names import InboxFilter, ignored_reason

    assert ignored_reason(name) is None
    assert InboxFilter()(PurePath(name))


# "." is no file name: PurePath("inbox") / "." is the inbox itself.
@given(names.filter(lambda name: name != "."))
def test_the_inbox_filter_takes_exactly_the_names_it_does_not_ignore(name: str) -> None:
    """InboxFilter and ignored_reason agree on every name."""
    from sos_docs.service.inbox_names import InboxFilter, ignored_reason

    assert InboxFilter()(PurePath("inbox") / name) == (ignored_reason(name) is None)
