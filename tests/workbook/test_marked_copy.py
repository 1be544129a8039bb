"""Tests for sos_docs.workbook.marked_copy: the problems and receipt texts, and the marked-up workbook copy."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs.model import CopySummary, Level, Problem
from sos_docs.workbook.explain import NEWLINE, problems_text, receipt_text, text_file_bytes
from sos_docs.workbook.marked_copy import (
    ERROR_FILL_COLOUR,
    PROBLEMS_SHEET_TITLE,
    WARNING_FILL_COLOUR,
    write_marked_copy,
)
from tests.support import blowups
from tests.support.builders import WorkbookBuilder

ERROR, WARNING = Level.ERROR, Level.WARNING


def problem(
    code: str, sheet: str | None, cell: str | None, message: str, level: Level = ERROR
) -> Problem:
    """A Problem with a short call."""
    return Problem(code=code, level=level, sheet=sheet, cell=cell, message=message)


MEETING_TYPE = problem(
    "WB006", "Case", "B3", "Meeting type 'Tea party' is not allowed. Choose Initial conference."
)
NO_GOAL = problem("SOS102", "Danger statements", "B2", "Danger statement DS1 has no safety goal.")
SCORE = problem("SOS105", "Scaling", "D3", "This score has no reason. Write why.")
SCORE_TOO = problem("SOS104", "Scaling", "D3", "The score 12 is outside 0 to 10.")
NOT_SCORED = problem("SOS206", "Scaling", None, "Amara has no score of her own.", WARNING)
LABEL = problem("SOS207", "Danger statements", "B2", "Say what was done, not 'neglect'.", WARNING)
MANY = problem("SOS201", None, None, "There are five danger statements.", WARNING)
WHOLE = problem("WB001", None, None, "The file is not an Excel workbook. Save it as .xlsx.")


# --------------------------------------------------------------------------------------------
# problems.txt and receipt.txt


def test_problems_text_explains_each_problem_by_sheet() -> None:
    """The text has a heading, a count, one `Sheet!Cell - message (CODE)` line each, and a close."""
    text = problems_text("Smith family.xlsx", [MEETING_TYPE, NO_GOAL, NOT_SCORED])
    lines = text.split(NEWLINE)
    assert lines[0] == 'sos-docs could not turn the workbook "Smith family.xlsx" into documents.'
    assert "3 problems were found (2 errors, 1 warning)." in lines[2]
    assert (
        "  Case!B3 - Error: Meeting type 'Tea party' is not allowed. Choose Initial conference. "
        "(WB006)" in lines
    )
    assert (
        "  Danger statements!B2 - Error: Danger statement DS1 has no safety goal. (SOS102)" in lines
    )
    assert "  Scaling - Warning: Amara has no score of her own. (SOS206)" in lines
    assert lines[-2].startswith("What to do next: fix the workbook")
    assert "drop it into the inbox folder again." in lines[-2]


def test_problems_text_lists_every_error_before_any_warning() -> None:
    """Errors come first, then warnings, each group by sheet as first mentioned and by cell: the
    one blocking error is never found below the warnings."""
    text = problems_text("case.xlsx", [LABEL, NOT_SCORED, MANY, SCORE, MEETING_TYPE, WHOLE])
    order = [
        "Errors (3):",
        "The whole workbook",
        "Workbook - Error: The file is not an Excel workbook",
        "Scaling sheet",
        "Scaling!D3 - Error: This score has no reason",
        "Case sheet",
        "Case!B3 - Error: Meeting type",
        "Warnings (3):",
        "Workbook - Warning: There are five",
        "Danger statements sheet",
        "Danger statements!B2 - Warning: Say what was done",
        "Scaling sheet",
        "Scaling - Warning: Amara",
    ]
    position = 0
    for marker in order:  # each found after the one before it
        position = text.index(marker, position) + len(marker)


def test_every_problem_line_names_its_level_in_a_word() -> None:
    """Each problem line says Error or Warning in words, in problems.txt and the receipt alike."""
    text = problems_text("case.xlsx", [LABEL, MEETING_TYPE, NOT_SCORED, SCORE, NO_GOAL, WHOLE])
    lines = [line for line in text.split(NEWLINE) if line.endswith(")") and " - " in line]
    assert len(lines) == 6
    assert all(" - Error: " in line or " - Warning: " in line for line in lines)
    receipt = receipt_text("case.xlsx", [], [NOT_SCORED, LABEL], datetime(2024, 5, 1))
    assert "  Scaling - Warning: Amara has no score of her own. (SOS206)" in receipt.split(NEWLINE)


def test_a_text_with_errors_only_has_no_warnings_heading() -> None:
    """A group heading appears only when the group has problems."""
    text = problems_text("case.xlsx", [NO_GOAL])
    assert "Errors (1):" in text
    assert "Warnings (" not in text


def test_a_sheet_named_like_the_workbook_heading_is_its_own_group() -> None:
    """A tab called 'The whole workbook' is not mixed up with problems about the whole file."""
    odd = problem("WB004", "The whole workbook", "A1", "Empty.")
    text = problems_text("c.xlsx", [odd, MANY])
    assert "The whole workbook sheet" + NEWLINE + "  The whole workbook!A1 - Error: Empty." in text
    assert NEWLINE + "The whole workbook" + NEWLINE + "  Workbook - Warning: There are" in text


def test_problems_within_a_sheet_follow_the_cells() -> None:
    """Sheet-wide problems come first, then cells by row and column (B10 after B9)."""
    later = problem("WB004", "Children", "B10", "Name is empty.")
    earlier = problem("WB004", "Children", "B9", "Name is empty.")
    sheet_wide = problem("WB003", "Children", None, "Column 'Name' is missing.")
    text = problems_text("case.xlsx", [later, earlier, sheet_wide])
    first = text.index("Children - Error: Column")
    assert first < text.index("Children!B9") < text.index("Children!B10")


def test_problems_text_uses_windows_line_endings_only() -> None:
    """Every line ends CRLF, including messages that held their own line breaks."""
    messy = problem("WB004", "Case", "B2", "First line\nsecond line\r\nthird\tpart")
    text = problems_text("case.xlsx", [messy])
    assert text.endswith(NEWLINE)
    assert "\n" not in text.replace(NEWLINE, "")
    assert "\r" not in text.replace(NEWLINE, "")
    assert "Case!B2 - Error: First line second line third part. (WB004)" in text


def test_one_problem_is_counted_in_the_singular() -> None:
    """'1 problem was found (1 error, 0 warnings).'"""
    assert "1 problem was found (1 error, 0 warnings)." in problems_text("c.xlsx", [NO_GOAL])


def test_problems_text_without_problems_still_says_what_to_do() -> None:
    """An internal failure with no recorded problem is still explained."""
    text = problems_text("c.xlsx", [])
    assert "0 problems were found" in text
    assert "Please tell IT" in text


@given(message=st.text(max_size=200), sheet=st.text(min_size=1, max_size=31))
def test_any_message_stays_on_one_line(message: str, sheet: str) -> None:
    """Whatever a message or sheet name holds, each problem is exactly one line of the file."""
    text = problems_text("case.xlsx", [problem("WB004", sheet, "B2", message)])
    problem_lines = [line for line in text.split(NEWLINE) if line.endswith("(WB004)")]
    assert len(problem_lines) == 1
    assert "\n" not in text.replace(NEWLINE, "")


def test_receipt_lists_documents_and_warnings() -> None:
    """The receipt names each document made and each warning, with the date and time."""
    documents = [
        Path("/r/reports/CP-1/CP-1 Report 2024-05-01.docx"),
        Path("/r/reports/CP-1/CP-1 Words and pictures 2024-05-01.docx"),
    ]
    when = datetime(2024, 5, 1, 14, 3, tzinfo=UTC)
    text = receipt_text("Smith family.xlsx", documents, [NOT_SCORED, LABEL], when)
    lines = text.split(NEWLINE)
    assert lines[0] == 'sos-docs made documents from the workbook "Smith family.xlsx"'
    assert lines[1] == "on 1 May 2024 at 14:03 UTC."
    assert "Documents made (2):" in lines
    assert "  CP-1 Report 2024-05-01.docx" in lines
    assert "  CP-1 Words and pictures 2024-05-01.docx" in lines
    assert any(line.startswith("Warnings (2): the documents were made") for line in lines)
    assert "  Scaling - Warning: Amara has no score of her own. (SOS206)" in lines
    assert "  Danger statements!B2 - Warning: Say what was done, not 'neglect'. (SOS207)" in lines
    assert "No warnings." not in text


def test_receipt_without_warnings_says_so() -> None:
    """A clean workbook's receipt ends 'No warnings.'."""
    when = datetime(2024, 12, 9, 9, 5)
    text = receipt_text("c.xlsx", [Path("CP-1 Report.docx")], [], when)
    assert "on 9 December 2024 at 09:05." in text
    assert text.endswith("No warnings." + NEWLINE)


def test_text_files_carry_a_byte_order_mark_for_notepad() -> None:
    """The bytes are UTF-8 with a BOM, so names like Siân survive every Notepad."""
    data = text_file_bytes(problems_text("Siân.xlsx", [NO_GOAL]))
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Siân.xlsx" in data.decode("utf-8-sig")
    assert b"\r\n" in data


# --------------------------------------------------------------------------------------------
# The marked copy


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """The example mapping workbook, written as a real .xlsx file."""
    return WorkbookBuilder().write(tmp_path / "in" / "Smith family.xlsx")


def marked_cells(book: Workbook) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(sheet, cell) -> (fill colour, comment text) for every filled or commented cell outside
    the Problems sheet (whose legend and Level column are filled too)."""
    found = {}
    for sheet in book.worksheets:
        assert isinstance(sheet, Worksheet)
        if sheet.title == PROBLEMS_SHEET_TITLE:
            continue
        for row in sheet.iter_rows():
            for cell in row:
                filled = cell.fill is not None and cell.fill.fill_type == "solid"
                if filled or cell.comment is not None:
                    colour = cell.fill.fgColor.rgb if filled else ""
                    text = cell.comment.text if cell.comment else None
                    found[(sheet.title, cell.coordinate)] = (colour, text)
    return found


def test_marked_copy_fills_and_comments_exactly_the_problem_cells(
    workbook: Path, tmp_path: Path
) -> None:
    """Problem cells are red (or yellow for warnings only) with a comment; no other cell is."""
    problems = [MEETING_TYPE, NO_GOAL, LABEL, SCORE, SCORE_TOO, NOT_SCORED]
    dest = write_marked_copy(workbook, problems, tmp_path / "out" / "Smith family - marked.xlsx")
    book = load_workbook(dest)
    cells = marked_cells(book)
    assert set(cells) == {("Case", "B3"), ("Danger statements", "B2"), ("Scaling", "D3")}
    assert cells[("Case", "B3")][0] == ERROR_FILL_COLOUR
    assert "Meeting type 'Tea party' is not allowed" in (cells[("Case", "B3")][1] or "")
    scaling_note = cells[("Scaling", "D3")][1] or ""
    assert "has no reason. Write why. (SOS105)" in scaling_note
    assert "outside 0 to 10. (SOS104)" in scaling_note
    danger_note = cells[("Danger statements", "B2")][1] or ""
    assert "(SOS102)" in danger_note and "(SOS207)" in danger_note


def test_a_cell_with_only_warnings_is_yellow(workbook: Path, tmp_path: Path) -> None:
    """Warnings alone colour the cell yellow, so errors stand out."""
    dest = write_marked_copy(workbook, [LABEL], tmp_path / "marked.xlsx")
    cells = marked_cells(load_workbook(dest))
    assert cells == {
        ("Danger statements", "B2"): (WARNING_FILL_COLOUR, cells[("Danger statements", "B2")][1])
    }


def test_the_problems_sheet_explains_the_colours_as_the_cells_use_them(
    workbook: Path, tmp_path: Path
) -> None:
    """The Problems sheet's legend says red is an error and yellow a warning, in the very fills
    the cells carry, and each row's Level is a word filled in its level's colour."""
    book = load_workbook(write_marked_copy(workbook, [MEETING_TYPE, LABEL], tmp_path / "m.xlsx"))
    sheet = book["Problems"]
    legend = {
        str(cell.value): cell.fill.fgColor.rgb
        for row in sheet.iter_rows(min_col=7, max_col=7)
        for cell in row
        if cell.value and cell.fill.fill_type == "solid"
    }
    red = next(text for text in legend if text.startswith("Red"))
    yellow = next(text for text in legend if text.startswith("Yellow"))
    assert "error" in red and "warning" in yellow
    assert legend[red] == book["Case"]["B3"].fill.fgColor.rgb == ERROR_FILL_COLOUR
    assert legend[yellow] == book["Danger statements"]["B2"].fill.fgColor.rgb
    assert legend[yellow] == WARNING_FILL_COLOUR
    levels = {row[3].value: row[3].fill.fgColor.rgb for row in sheet.iter_rows(min_row=2)}
    assert levels == {"Error": ERROR_FILL_COLOUR, "Warning": WARNING_FILL_COLOUR}


def test_each_note_names_the_level_of_each_problem(workbook: Path, tmp_path: Path) -> None:
    """A cell's note says Error or Warning in words before each message, not by colour alone."""
    book = load_workbook(write_marked_copy(workbook, [NO_GOAL, LABEL], tmp_path / "m.xlsx"))
    note = book["Danger statements"]["B2"].comment.text
    assert "- Error: Danger statement DS1 has no safety goal. (SOS102)" in note
    assert "- Warning: Say what was done, not 'neglect'. (SOS207)" in note


def test_the_readme_describes_the_marked_copys_colours() -> None:
    """The README and docs/hot-folder.md say what the code does: errors red, warnings yellow."""
    project = Path(__file__).resolve().parents[2]
    for document in (project / "README.md", project / "docs/hot-folder.md"):
        text = " ".join(document.read_text(encoding="utf-8").split())
        assert "each problem cell in red" not in text, document
        assert "an error in red" in text and "only warnings in yellow" in text, document


def test_problems_sheet_lists_every_problem_with_links(workbook: Path, tmp_path: Path) -> None:
    """A first, selected Problems sheet holds every problem, a bold frozen header and cell links."""
    problems = [MEETING_TYPE, NO_GOAL, NOT_SCORED, MANY]
    book = load_workbook(write_marked_copy(workbook, problems, tmp_path / "marked.xlsx"))
    sheet = book.worksheets[0]
    assert sheet.title == "Problems"
    assert book.active is sheet
    assert [c.value for c in sheet[1][:5]] == ["Sheet", "Cell", "Code", "Level", "Message"]
    assert all(c.font.bold for c in sheet[1][:5])
    assert sheet.freeze_panes == "A2"
    rows = [[c.value for c in row[:5]] for row in sheet.iter_rows(min_row=2)]
    assert rows == [
        ["Case", "B3", "WB006", "Error", MEETING_TYPE.message],
        ["Danger statements", "B2", "SOS102", "Error", NO_GOAL.message],
        ["The whole workbook", None, "SOS201", "Warning", MANY.message],
        ["Scaling", None, "SOS206", "Warning", NOT_SCORED.message],
    ]
    assert sheet["B2"].hyperlink.location == "'Case'!B3"
    assert sheet["B3"].hyperlink.location == "'Danger statements'!B2"
    assert sheet["B4"].hyperlink is None
    assert sheet.column_dimensions["E"].width >= 60
    assert not any(ws.sheet_view.tabSelected for ws in book.worksheets[1:])


def test_the_original_content_and_formulas_are_kept(tmp_path: Path) -> None:
    """The copy keeps every sheet and formulas as formulas, not their cached values."""
    builder = WorkbookBuilder().then(lambda wb: wb["Case"].cell(40, 3, "=1+1"))
    source = builder.write(tmp_path / "case.xlsx")
    book = load_workbook(write_marked_copy(source, [NO_GOAL], tmp_path / "marked.xlsx"))
    assert book["Case"].cell(40, 3).value == "=1+1"
    assert book.sheetnames[1:] == load_workbook(source).sheetnames


def test_a_non_workbook_still_gets_a_problems_only_copy(tmp_path: Path) -> None:
    """A file that is no workbook at all (WB001) gets a copy holding just the Problems sheet."""
    source = tmp_path / "notes.xlsx"
    source.write_text("this is not a spreadsheet")
    book = load_workbook(write_marked_copy(source, [WHOLE], tmp_path / "notes - marked.xlsx"))
    assert book.sheetnames == ["Problems"]
    assert book["Problems"]["C2"].value == "WB001"


def test_a_damaged_file_without_wb001_also_gets_a_problems_only_copy(tmp_path: Path) -> None:
    """Whatever the problems say, a file openpyxl cannot open never makes the copy fail."""
    source = tmp_path / "broken.xlsx"
    source.write_bytes(b"PK\x03\x04 truncated zip")
    book = load_workbook(write_marked_copy(source, [NO_GOAL], tmp_path / "marked.xlsx"))
    assert book.sheetnames == ["Problems"]
    assert book["Problems"]["B2"].hyperlink is None


def test_a_wb001_workbook_is_not_opened(workbook: Path, tmp_path: Path) -> None:
    """A workbook refused unread (e.g. a zip bomb, WB001) is never loaded to be marked."""
    book = load_workbook(write_marked_copy(workbook, [WHOLE], tmp_path / "marked.xlsx"))
    assert book.sheetnames == ["Problems"]


def test_the_marked_copy_never_overwrites(workbook: Path, tmp_path: Path) -> None:
    """A second copy for the same name is numbered, the first left as it was."""
    first = write_marked_copy(workbook, [NO_GOAL], tmp_path / "case - marked.xlsx")
    before = first.read_bytes()
    second = write_marked_copy(workbook, [NO_GOAL], tmp_path / "case - marked.xlsx")
    assert second.name == "case - marked (2).xlsx"
    assert first.read_bytes() == before


def test_text_that_looks_like_a_formula_stays_text(workbook: Path, tmp_path: Path) -> None:
    """A message or sheet name starting with '=' is written as text, never as a formula."""
    sneaky = problem("WB004", '=HYPERLINK("http://x")', None, '=cmd|" /c calc"!A1')
    book = load_workbook(write_marked_copy(workbook, [sneaky], tmp_path / "marked.xlsx"))
    row = book["Problems"][2]
    assert row[0].value == '=HYPERLINK("http://x")'
    assert row[0].data_type == "s"
    assert row[4].value == '=cmd|" /c calc"!A1'
    assert row[4].data_type == "s"


def test_control_characters_in_messages_do_not_break_the_copy(
    workbook: Path, tmp_path: Path
) -> None:
    """Characters Excel refuses in cells and comments are replaced, not fatal."""
    odd = problem("WB004", "Case", "B3", "bad\x00value\x07here")
    book = load_workbook(write_marked_copy(workbook, [odd], tmp_path / "marked.xlsx"))
    assert book["Problems"]["E2"].value == "bad value here"
    assert "bad value here" in book["Case"]["B3"].comment.text


def test_sheet_names_with_quotes_and_other_case_still_link(tmp_path: Path) -> None:
    """A tab named with an apostrophe is quoted in links; a problem naming it in other case finds it."""
    builder = WorkbookBuilder().rename_sheet("Child's views", "Child's Views")
    source = builder.write(tmp_path / "case.xlsx")
    views = problem("SOS106", "child's views", "A2", "Amara has no entry.")
    book = load_workbook(write_marked_copy(source, [views], tmp_path / "marked.xlsx"))
    assert book["Problems"]["B2"].hyperlink.location == "'Child''s Views'!A2"
    assert book["Child's Views"]["A2"].fill.fgColor.rgb == ERROR_FILL_COLOUR


def test_a_problem_in_a_merged_title_marks_its_corner(tmp_path: Path) -> None:
    """A problem inside a merged area marks the area's top-left cell."""
    source = WorkbookBuilder().with_title_rows("Harm", 1).write(tmp_path / "case.xlsx")
    title = problem("WB003", "Harm", "C1", "The header row was not found.")
    book = load_workbook(write_marked_copy(source, [title], tmp_path / "marked.xlsx"))
    assert ("Harm", "A1") in marked_cells(book)


def test_unknown_sheets_and_bad_cells_appear_only_on_the_problems_sheet(
    workbook: Path, tmp_path: Path
) -> None:
    """A problem naming no real sheet or cell marks nothing but is still listed."""
    ghosts = [
        problem("WB002", "Safety network", None, "The sheet is missing."),
        problem("WB004", "Case", "not a cell", "Odd reference."),
        problem("WB004", "Case", "B99999999", "Beyond the sheet."),
    ]
    book = load_workbook(write_marked_copy(workbook, ghosts, tmp_path / "marked.xlsx"))
    assert marked_cells(book) == {}
    assert book["Problems"].max_row == 4


def test_an_existing_problems_sheet_is_kept(tmp_path: Path) -> None:
    """A workbook that already has a 'Problems' tab keeps it; ours gets another name."""
    source = (
        WorkbookBuilder().then(lambda wb: wb.create_sheet("problems")).write(tmp_path / "c.xlsx")
    )
    book = load_workbook(write_marked_copy(source, [NO_GOAL], tmp_path / "marked.xlsx"))
    assert book.sheetnames[0] == "Problems (sos-docs)"
    assert "problems" in book.sheetnames


def test_an_authors_own_comment_is_kept(tmp_path: Path) -> None:
    """A note the author had put on a problem cell is kept inside the new comment."""
    from openpyxl.comments import Comment

    def add_note(wb: Workbook) -> None:
        wb["Case"]["B3"].comment = Comment("Check with the chair", "Jo")

    source = WorkbookBuilder().then(add_note).write(tmp_path / "c.xlsx")
    book = load_workbook(write_marked_copy(source, [MEETING_TYPE], tmp_path / "marked.xlsx"))
    text = book["Case"]["B3"].comment.text
    assert "(WB006)" in text and "Check with the chair" in text


def test_many_problems_and_many_merges_are_marked_in_seconds_and_capped(tmp_path: Path) -> None:
    """1,500 problems on a sheet with 20,000 merged ranges (minutes before) take seconds; only the
    first 1,000 cells are marked, and the Problems sheet lists all 1,500 and says so."""
    source = WorkbookBuilder().write(tmp_path / "case.xlsx")
    merges = "".join(f'<mergeCell ref="Z{n}:AA{n}"/>' for n in range(20_000, 40_000))
    blowups.rewrite_parts(
        source,
        {
            blowups.FIRST_SHEET: blowups.after_sheet_data(
                f'<mergeCells count="20000">{merges}</mergeCells>'
            )
        },
    )
    problems = [problem("WB006", "Case", f"C{n}", "Not a date.") for n in range(10, 1_510)]
    problems.append(problem("WB006", "Case", "AA20000", "Inside a merge."))
    started = time.monotonic()
    dest = write_marked_copy(source, problems, tmp_path / "marked.xlsx")
    assert time.monotonic() - started < 15
    book = load_workbook(dest)
    cells = marked_cells(book)
    assert len([key for key in cells if key[0] == "Case"]) == 1_000
    sheet = book["Problems"]
    listed = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[2] == "WB006"]
    assert len(listed) == 1_501
    texts = [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert any("only the first 1,000" in text for text in texts)
    assert sheet.cell(1_502, 2).hyperlink.location == "'Case'!Z20000"


def test_what_a_copy_leaves_out_is_each_row_once_in_order() -> None:
    """A row left out for two reasons (its own Withhold from, and a statement withheld) is named
    once, and rows read in order: "Scaling row 9, row 10", never "row 9, row 9, row 10"."""
    copy = CopySummary(
        "family copy",
        "the family",
        (("Scaling", "row 10"), ("Scaling", "row 9"), ("Scaling", "row 9"), ("Harm", "row 3")),
    )
    text = receipt_text(
        "c.xlsx", [Path("CP-1 Report.docx")], [], datetime(2024, 12, 9), copies=[copy]
    )
    assert "Scaling row 9, row 10" in text and "row 9, row 9" not in text
