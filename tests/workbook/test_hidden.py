"""Hidden sheets, rows, columns and cells: documents use what a person sees, and say what was not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from sos_docs.config import DEFAULT_LIMITS
from sos_docs.model import Level, Problem, Unseen, Validation
from sos_docs.workbook import example, reader
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support import corpus
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

BOTH_PATHS = pytest.mark.parametrize("fast", [True, False], ids=["streamed", "openpyxl"])


def checked(book: WorkbookBuilder, tmp_path: Path) -> Validation:
    """The builder's workbook written under tmp_path, read and validated."""
    return validate(read_workbook(book.write(tmp_path / "case.xlsx")), today=EXAMPLE_TODAY)


def with_code(validation: Validation, code: str) -> list[Problem]:
    """The problems with this code."""
    return [p for p in validation.problems if p.code == code]


def add_hidden_copy_of_case(book: WorkbookBuilder, title: str, reference: str) -> None:
    """A hidden sheet `title`, first in the tab order, holding the Case sheet with another reference."""

    def change(workbook: Workbook) -> None:
        shadow = workbook.copy_worksheet(workbook["Case"])
        shadow.title = title
        shadow.sheet_state = "hidden"
        for row in shadow.iter_rows():
            if row[0].value == "Case reference":
                row[1].value = reference
        workbook.move_sheet(shadow, offset=-len(workbook.sheetnames) + 1)

    book.then(change)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_named_by_an_alias_never_replaces_the_visible_one(
    tmp_path: Path, state: str
) -> None:
    """A hidden "Case details" before the visible Case sheet is not read; a warning names it."""
    book = WorkbookBuilder()
    add_hidden_copy_of_case(book, "Case details", "HIDDEN-1")
    if state == "veryHidden":
        book.then(lambda wb: setattr(wb["Case details"], "sheet_state", "veryHidden"))
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None
    assert validation.case.details.case_reference == example.CASE["Case reference"]
    [warning] = with_code(validation, "WB010")
    assert warning.level is Level.WARNING and warning.sheet == "Case details"
    assert '"Case details" is hidden' in warning.message and '"Case"' in warning.message


def test_a_required_sheet_that_is_only_hidden_is_missing_and_says_how_to_unhide_it(
    tmp_path: Path,
) -> None:
    """A hidden Case sheet (the only one) is not read: the error says it is hidden and how to show it."""
    book = WorkbookBuilder().then(lambda wb: setattr(wb["Case"], "sheet_state", "hidden"))
    validation = checked(book, tmp_path)
    assert not validation.ok
    [missing] = [p for p in with_code(validation, "WB002") if p.sheet == "Case"]
    assert "hidden" in missing.message and "Unhide" in missing.message


def test_a_hidden_optional_sheet_is_left_out_with_a_warning(tmp_path: Path) -> None:
    """A hidden Harm sheet is not read into the documents, and a warning says so."""
    book = WorkbookBuilder().then(lambda wb: setattr(wb["Harm"], "sheet_state", "hidden"))
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None
    assert validation.case.harm == ()
    [warning] = with_code(validation, "WB010")
    assert warning.sheet == "Harm" and "Unhide" in warning.message


def test_the_blank_workbooks_hidden_lists_sheet_is_not_warned_about(tmp_path: Path) -> None:
    """A hidden sheet that is not part of the map (the drop-down lists) is simply ignored."""
    book = WorkbookBuilder()
    book.then(lambda wb: setattr(wb.create_sheet("Lists"), "sheet_state", "hidden"))
    assert with_code(checked(book, tmp_path), "WB010") == []


def test_a_record_on_a_hidden_row_is_left_out_with_a_warning_naming_its_cells(
    tmp_path: Path,
) -> None:
    """A Harm row that is hidden is not in the documents; the warning names its cells."""
    book = WorkbookBuilder()
    hidden_row = int(book.cell("Harm", "What happened", 1)[1:])
    book.then(lambda wb: setattr(wb["Harm"].row_dimensions[hidden_row], "hidden", True))
    validation = checked(book, tmp_path)
    assert validation.case is not None
    assert len(validation.case.harm) == len(example.SHEET_ROWS["Harm"]) - 1
    [warning] = with_code(validation, "WB011")
    assert warning.level is Level.WARNING and warning.sheet == "Harm"
    assert book.cell("Harm", "What happened", 1) in warning.message
    assert "hidden row" in warning.message and "Unhide" in warning.message


def test_a_hidden_column_is_left_out_with_a_warning(tmp_path: Path) -> None:
    """A hidden "Impact on the child" column is read as empty, and its cells are named."""
    book = WorkbookBuilder()
    letter = book.cell("Harm", "Impact on the child", 0).rstrip("0123456789")
    book.then(lambda wb: setattr(wb["Harm"].column_dimensions[letter], "hidden", True))
    validation = checked(book, tmp_path)
    assert validation.case is not None
    assert all(harm.impact_on_child == "" for harm in validation.case.harm)
    [warning] = with_code(validation, "WB011")
    assert book.cell("Harm", "Impact on the child", 0) in warning.message
    assert "hidden column" in warning.message


@pytest.mark.parametrize(
    ("style", "reason"),
    [
        ({"number_format": ";;;"}, "number format"),
        ({"font": Font(color="FFFFFF")}, "white text"),
        ({"font": Font(color="FFFFFF"), "fill": PatternFill("solid", fgColor="FFFFFF")}, "white"),
    ],
)
def test_a_value_hidden_by_its_format_or_colour_is_left_out_with_a_warning(
    tmp_path: Path, style: dict[str, Any], reason: str
) -> None:
    """A Team typed in white or formatted `;;;` is not shown in the documents, and is named."""
    book = WorkbookBuilder()
    cell = book.cell("Case", "Team")

    def restyle(workbook: Workbook) -> None:
        for name, value in style.items():
            setattr(workbook["Case"][cell], name, value)

    validation = checked(book.then(restyle), tmp_path)
    assert validation.case is not None and validation.case.details.team == ""
    [warning] = with_code(validation, "WB012")
    assert (warning.sheet, warning.cell) == ("Case", cell)
    assert reason in warning.message


def test_white_text_on_a_coloured_fill_and_a_two_section_format_on_text_are_seen(
    tmp_path: Path,
) -> None:
    """White on dark blue, and text under `;;` (which hides only numbers), are read as usual."""
    book = WorkbookBuilder()
    team, author = book.cell("Case", "Team"), book.cell("Case", "Report author")

    def restyle(workbook: Workbook) -> None:
        workbook["Case"][team].font = Font(color="FFFFFF")
        workbook["Case"][team].fill = PatternFill("solid", fgColor="1F4E79")
        workbook["Case"][author].number_format = ";;"

    validation = checked(book.then(restyle), tmp_path)
    assert validation.case is not None
    assert validation.case.details.team == example.CASE["Team"]
    assert with_code(validation, "WB012") == []


@BOTH_PATHS
def test_both_reading_paths_find_the_same_unseen_cells(tmp_path: Path, fast: bool) -> None:
    """The streamed reader and openpyxl's load agree on every hidden row, column and cell."""
    path = tmp_path / "unseen.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in range(1, 7):
        for column in range(1, 5):
            sheet.cell(row, column, f"R{row}C{column}" if column != 4 else row)
    sheet.row_dimensions[2].hidden = True
    sheet.column_dimensions["B"].hidden = True
    sheet["C4"].number_format = ";;;"
    sheet["D5"].number_format = ";;"
    sheet["C5"].number_format = ";;"  # text: shown
    sheet["A6"].font = Font(color="FFFFFF")
    workbook.save(path)
    # openpyxl does not write a height of 0; Excel and others do, for a row dragged shut.
    corpus.patch_text(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace('<row r="3"', '<row r="3" ht="0"')
    )
    raw = reader._read_workbook(path, DEFAULT_LIMITS, fast=fast).sheets[0]
    expected = {
        **{(2, column): Unseen.ROW for column in range(1, 5)},
        **{(3, column): Unseen.ROW for column in range(1, 5)},
        **{(row, 2): Unseen.COLUMN for row in (1, 4, 5, 6)},
        (4, 3): Unseen.FORMAT,
        (5, 4): Unseen.FORMAT,
        (6, 1): Unseen.WHITE,
    }
    assert raw.unseen == expected
    assert not set(raw.cells) & set(expected)
    assert raw.cells[(5, 3)] == "R5C3"
