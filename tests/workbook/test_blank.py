"""Tests for the blank and example mapping workbooks written by sos_docs.workbook.blank."""

from __future__ import annotations

import datetime as dt
import errno
import os
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook as LoadedWorkbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs import model
from sos_docs.errors import SosDocsError
from sos_docs.model import RawWorkbook
from sos_docs.workbook import blank, example, reader, schema, validate
from sos_docs.workbook.blank import (
    DATA_LAST_ROW,
    DATE_FORMAT,
    write_blank_workbook,
    write_example_workbook,
)
from sos_docs.workbook.example import REVIEW_AFTER
from sos_docs.workbook.schema import Column, ColumnKind, Sheet

TABLES = [s for s in schema.SHEETS if not s.key_value]
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def blank_book(tmp_path_factory: pytest.TempPathFactory) -> LoadedWorkbook:
    """The blank workbook, written once to a real file and opened again."""
    path = write_blank_workbook(tmp_path_factory.mktemp("blank") / "blank.xlsx")
    return load_workbook(path)


@pytest.fixture(scope="module")
def example_book(tmp_path_factory: pytest.TempPathFactory) -> LoadedWorkbook:
    """The example workbook, written once to a real file and opened again."""
    folder = tmp_path_factory.mktemp("example")
    path = write_example_workbook(folder / "example.xlsx", today=example.WRITTEN_FOR)
    return load_workbook(path)


def _cells(sheet: Sheet, column: Column) -> list[str]:
    """Where a column's values go: its Case value cell, or a table column's first and last rows."""
    if sheet.key_value:
        return [f"B{sheet.columns.index(column) + 1}"]
    letter = get_column_letter(sheet.columns.index(column) + 1)
    return [f"{letter}2", f"{letter}{DATA_LAST_ROW}"]


def _validation(book: LoadedWorkbook, sheet: Sheet, column: Column) -> DataValidation | None:
    """The one data validation covering every value cell of a column, if any."""
    worksheet = book[sheet.name]
    cells = _cells(sheet, column)
    found = [
        dv
        for dv in worksheet.data_validations.dataValidation
        if all(cell in dv.sqref for cell in cells)
    ]
    assert len(found) <= 1
    return found[0] if found else None


def _columns(kinds: set[ColumnKind]) -> list[tuple[Sheet, Column]]:
    return [(s, c) for s in schema.SHEETS for c in s.columns if c.kind in kinds]


def _ids(pairs: list[tuple[Sheet, Column]]) -> list[str]:
    return [f"{s.name}/{c.name}" for s, c in pairs]


def _list_values(book: LoadedWorkbook, validation: DataValidation) -> list[str]:
    """The values a list validation offers, inline or from a sheet range."""
    formula = validation.formula1
    assert formula is not None
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet_name, cells = formula.rsplit("!", 1)
    rows = book[sheet_name.strip("'")][cells.replace("$", "")]
    return [str(row[0].value) for row in rows]


def _text(worksheet: Worksheet) -> str:
    return "\n".join(str(c.value) for row in worksheet.iter_rows() for c in row if c.value)


# --------------------------------------------------------------------------------------------
# Layout


def test_sheets_follow_the_contract_order_after_instructions(blank_book: LoadedWorkbook) -> None:
    """The tabs are Instructions then every contract sheet, in contract order, and nothing else."""
    assert blank_book.sheetnames == ["Instructions", *(s.name for s in schema.SHEETS)]


@pytest.mark.parametrize("sheet", TABLES, ids=[s.name for s in TABLES])
def test_table_header_row_is_the_contract(blank_book: LoadedWorkbook, sheet: Sheet) -> None:
    """Each table's row 1 holds the contract headers (required ones with *), bold and filled."""
    worksheet = blank_book[sheet.name]
    headers = [c.value for c in worksheet[1]]
    assert headers == [c.header for c in sheet.columns]
    assert all(c.font.bold and c.fill.fill_type == "solid" for c in worksheet[1])
    assert [h for h in headers if str(h).endswith("*")] == [
        c.name + "*" for c in sheet.columns if c.required
    ]


@pytest.mark.parametrize("sheet", TABLES, ids=[s.name for s in TABLES])
def test_table_is_frozen_below_the_header_with_contract_widths(
    blank_book: LoadedWorkbook, sheet: Sheet
) -> None:
    """Panes freeze below the header and every column has the contract's width."""
    worksheet = blank_book[sheet.name]
    assert worksheet.freeze_panes == "A2"
    widths = [
        worksheet.column_dimensions[get_column_letter(i)].width
        for i in range(1, len(sheet.columns) + 1)
    ]
    assert widths == [c.width for c in sheet.columns]


def test_blank_tables_have_no_records(blank_book: LoadedWorkbook) -> None:
    """A blank table holds its header row and no values below it."""
    for sheet in TABLES:
        worksheet = blank_book[sheet.name]
        below = [c.value for row in worksheet.iter_rows(min_row=2) for c in row if c.value]
        assert below == [], sheet.name


def test_tabs_are_coloured_by_question(blank_book: LoadedWorkbook) -> None:
    """Each contract sheet's tab has the colour of the question it belongs to."""
    for sheet in schema.SHEETS:
        colour = blank_book[sheet.name].sheet_properties.tabColor
        assert colour is not None
        assert colour.rgb[-6:] == schema.TAB_COLOURS[sheet.question], sheet.name


def test_long_text_columns_wrap(blank_book: LoadedWorkbook) -> None:
    """Wide text columns wrap, so multi-line answers stay readable."""
    for sheet in TABLES:
        worksheet = blank_book[sheet.name]
        for index, column in enumerate(sheet.columns, start=1):
            if column.kind is ColumnKind.TEXT and column.width >= 40:
                dimension = worksheet.column_dimensions[get_column_letter(index)]
                assert dimension.alignment.wrap_text, (sheet.name, column.name)


def test_picture_rows_are_tall_enough_to_hold_a_picture(blank_book: LoadedWorkbook) -> None:
    """Sheets with a Picture column have tall rows to drop pictures over."""
    for sheet in TABLES:
        has_picture = any(c.kind is ColumnKind.PICTURE for c in sheet.columns)
        height = blank_book[sheet.name].row_dimensions[2].height
        assert (height is not None and height >= 60) is has_picture, sheet.name


# --------------------------------------------------------------------------------------------
# Case sheet


def test_case_labels_are_complete_in_contract_order(blank_book: LoadedWorkbook) -> None:
    """Column A of Case holds every label, required ones marked with *, in bold."""
    worksheet = blank_book["Case"]
    labels = [worksheet.cell(r, 1).value for r in range(1, len(schema.CASE.columns) + 1)]
    assert labels == [c.header for c in schema.CASE.columns]
    assert all(worksheet.cell(r, 1).font.bold for r in range(1, len(labels) + 1))
    assert worksheet.cell(len(labels) + 1, 1).value is None


def test_case_labels_read_back_as_contract_names(blank_book: LoadedWorkbook) -> None:
    """Every written label (with its *) folds to the contract's own label."""
    worksheet = blank_book["Case"]
    for row, column in enumerate(schema.CASE.columns, start=1):
        assert schema.normalise_label(str(worksheet.cell(row, 1).value)) in schema.column_names_for(
            column
        )


def test_blank_case_holds_only_the_default_scale_wording(blank_book: LoadedWorkbook) -> None:
    """The blank Case sheet fills in the scale wording and Format 2, and leaves the rest empty."""
    worksheet = blank_book["Case"]
    values = {
        column.name: worksheet.cell(row, 2).value
        for row, column in enumerate(schema.CASE.columns, start=1)
    }
    assert values.pop("Scale zero means") == model.DEFAULT_SCALE_ZERO
    assert values.pop("Scale ten means") == model.DEFAULT_SCALE_TEN
    assert values.pop("Format") == schema.FORMAT_VERSION == 2
    assert set(values.values()) == {None}


def test_case_date_cells_are_formatted_day_first(blank_book: LoadedWorkbook) -> None:
    """The Case sheet's date value cells are formatted dd/mm/yyyy."""
    worksheet = blank_book["Case"]
    for row, column in enumerate(schema.CASE.columns, start=1):
        if column.kind is ColumnKind.DATE:
            assert worksheet.cell(row, 2).number_format == DATE_FORMAT, column.name


# --------------------------------------------------------------------------------------------
# Excel data validation

CHOICES = _columns({ColumnKind.CHOICE})
YES_NOS = _columns({ColumnKind.YESNO})
DATES = _columns({ColumnKind.DATE})
WHOLES = _columns({ColumnKind.WHOLE})
CHECKED = CHOICES + YES_NOS + DATES + WHOLES


@pytest.mark.parametrize(("sheet", "column"), CHOICES, ids=_ids(CHOICES))
def test_choice_columns_offer_exactly_the_contract_choices(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """Each choice column has a drop-down list of exactly the schema's choices, blanks allowed."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.type == "list"
    assert _list_values(blank_book, validation) == list(column.choices)
    assert validation.allow_blank
    assert not validation.showDropDown  # openpyxl's name is inverted: True would hide the arrow


@pytest.mark.parametrize(("sheet", "column"), YES_NOS, ids=_ids(YES_NOS))
def test_yes_no_columns_offer_yes_and_no(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """Each yes/no column has a Yes/No drop-down list."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.type == "list"
    assert _list_values(blank_book, validation) == ["Yes", "No"]
    assert not validation.showDropDown


def test_score_is_a_whole_number_from_0_to_10(blank_book: LoadedWorkbook) -> None:
    """The Scaling Score column accepts only whole numbers between 0 and 10."""
    validation = _validation(blank_book, schema.SCALING, schema.SCALING.column("score"))
    assert validation is not None
    assert (validation.type, validation.operator) == ("whole", "between")
    assert (validation.formula1, validation.formula2) == ("0", "10")


@pytest.mark.parametrize(
    ("sheet", "column"),
    [p for p in WHOLES if p[1].field != "score"],
    ids=_ids([p for p in WHOLES if p[1].field != "score"]),
)
def test_other_whole_number_columns_accept_zero_and_up(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """Whole-number columns other than Score accept any whole number from 0 up."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert (validation.type, validation.operator, validation.formula1) == (
        "whole",
        "greaterThanOrEqual",
        "0",
    )


@pytest.mark.parametrize(("sheet", "column"), DATES, ids=_ids(DATES))
def test_date_columns_accept_dates_or_blank_formatted_day_first(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """Each date column has a date check that allows blanks, and shows dates as dd/mm/yyyy."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.type == "date"
    assert validation.allow_blank
    if not sheet.key_value:
        letter = get_column_letter(sheet.columns.index(column) + 1)
        assert blank_book[sheet.name].column_dimensions[letter].number_format == DATE_FORMAT


@pytest.mark.parametrize(("sheet", "column"), CHECKED, ids=_ids(CHECKED))
def test_checked_cells_explain_themselves_in_plain_english(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """Every check shows an input message and stops a wrong value with a message naming the column
    (a category only warns, so several typed with commas are kept)."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.showInputMessage and validation.prompt
    assert validation.showErrorMessage
    assert validation.errorStyle == ("warning" if column.several else "stop")
    assert validation.error is not None and validation.error.startswith(column.name)
    if column.help:
        assert column.help in validation.prompt


def test_help_texts_are_shown_on_their_cells(blank_book: LoadedWorkbook) -> None:
    """Every column with help text shows it as the input message of its cells."""
    with_help = [(s, c) for s in schema.SHEETS for c in s.columns if c.help]
    assert with_help
    for sheet, column in with_help:
        validation = _validation(blank_book, sheet, column)
        assert validation is not None, (sheet.name, column.name)
        assert validation.prompt is not None and column.help in validation.prompt


def test_messages_fit_excel_limits(blank_book: LoadedWorkbook) -> None:
    """No title, input message or error message is longer than Excel allows (it would repair them away)."""
    for worksheet in blank_book.worksheets:
        for validation in worksheet.data_validations.dataValidation:
            assert len(validation.promptTitle or "") <= 32
            assert len(validation.errorTitle or "") <= 32
            assert len(validation.prompt or "") <= 255
            assert len(validation.error or "") <= 225
            if validation.type == "list" and (validation.formula1 or "").startswith('"'):
                assert len(validation.formula1 or "") <= 255


FREE_TEXT_KINDS = {
    ColumnKind.TEXT,
    ColumnKind.CHILDREN,
    ColumnKind.PEOPLE,
    ColumnKind.AUDIENCE,
    ColumnKind.PICTURE,
}
ALL_COLUMNS = _columns(set(ColumnKind))
REFS = _columns({ColumnKind.REF})
NAMED = _columns({ColumnKind.PERSON, ColumnKind.CHILD})


def test_unchecked_text_columns_have_no_error_check(blank_book: LoadedWorkbook) -> None:
    """Free-text columns (and those taking several IDs or names) never check what is typed."""
    for sheet, column in _columns(FREE_TEXT_KINDS):
        validation = _validation(blank_book, sheet, column)
        assert validation is not None, (sheet.name, column.name)
        assert validation.type is None, (sheet.name, column.name)


@pytest.mark.parametrize(("sheet", "column"), ALL_COLUMNS, ids=_ids(ALL_COLUMNS))
def test_every_value_cell_has_a_note_saying_what_to_type(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """Every column and Case value shows a note: required or optional, what to type, within
    Excel's limits, titled with the column's name."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.showInputMessage
    prompt, title = validation.prompt or "", validation.promptTitle or ""
    sometimes = ("Optional.", "Sometimes required.", "Required for ", "Required when ")
    needs = ("Required.",) if column.required else sometimes
    need = next(n for n in needs if prompt.startswith(n))
    assert len(prompt.removeprefix(need).strip()) >= len("Choose Yes or No.")
    assert 0 < len(title) <= 32 and title in (column.header, *column.aliases)
    assert len(prompt) <= 255


@pytest.mark.parametrize(
    ("sheet", "column"),
    [p for p in ALL_COLUMNS if p[1].kind in {ColumnKind.TEXT, ColumnKind.DATE}],
    ids=_ids([p for p in ALL_COLUMNS if p[1].kind in {ColumnKind.TEXT, ColumnKind.DATE}]),
)
def test_text_and_date_notes_give_an_example(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """A text or date column's note shows an example of what to type."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None and validation.prompt is not None
    prompt = validation.prompt
    assert "For example: " in prompt or "e.g. " in prompt or "19/05/20" in prompt


def test_id_columns_say_how_they_are_numbered(blank_book: LoadedWorkbook) -> None:
    """Each ID column's note gives its numbering (C1, P1, D1, G1) and that it must be unique."""
    for sheet, prefix in [
        (schema.CHILDREN, "C"),
        (schema.PEOPLE, "P"),
        (schema.DANGER_STATEMENTS, "D"),
        (schema.SAFETY_GOALS, "G"),
    ]:
        validation = _validation(blank_book, sheet, sheet.column("id"))
        assert validation is not None and validation.prompt is not None
        assert f"{prefix}1, {prefix}2" in validation.prompt
        assert "different" in validation.prompt


def _defined_range(book: LoadedWorkbook, name: str) -> tuple[str, str]:
    """The sheet and cells a defined name covers."""
    defined = book.defined_names[name]
    ((sheet, cells),) = list(defined.destinations)
    return sheet, cells


def test_defined_names_cover_the_id_and_name_columns(blank_book: LoadedWorkbook) -> None:
    """Named ranges cover the ID columns of Children, People, Danger statements and Safety goals
    and the Name columns of Children and People, from the first data row to the last."""
    expected = {
        "ChildrenIDs": ("Children", "$A$2:$A$500"),
        "ChildrenNames": ("Children", "$B$2:$B$500"),
        "PeopleIDs": ("People", "$A$2:$A$500"),
        "PeopleNames": ("People", "$B$2:$B$500"),
        "DangerStatementsIDs": ("Danger statements", "$A$2:$A$500"),
        "SafetyGoalsIDs": ("Safety goals", "$A$2:$A$500"),
    }
    assert DATA_LAST_ROW == 500
    assert {name: _defined_range(blank_book, name) for name in expected} == expected
    for name, (sheet, cells) in expected.items():
        first = blank_book[sheet][cells.replace("$", "").split(":")[0]]
        header = blank_book[sheet].cell(1, first.column).value
        assert header in ("ID*", "Name*"), name


@pytest.mark.parametrize(("sheet", "column"), REFS, ids=_ids(REFS))
def test_id_references_offer_the_ids_that_exist_and_only_warn(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """A column holding one ID of another sheet drops down that sheet's IDs, allows blanks, and
    only warns on other text (sos-docs reads IDs in any case)."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.type == "list" and validation.allow_blank
    target, cells = _defined_range(blank_book, validation.formula1 or "")
    assert target == column.refers_to and cells.startswith("$A$2")
    assert validation.errorStyle == "warning" and validation.showErrorMessage
    assert not validation.showDropDown


@pytest.mark.parametrize(("sheet", "column"), NAMED, ids=_ids(NAMED))
def test_person_and_child_columns_offer_names_and_accept_anything(
    blank_book: LoadedWorkbook, sheet: Sheet, column: Column
) -> None:
    """A person column drops down the People names, a child column the children's names, and
    neither stops an ID, a child in a person column or a role typed instead."""
    validation = _validation(blank_book, sheet, column)
    assert validation is not None
    assert validation.type == "list" and validation.allow_blank
    target, cells = _defined_range(blank_book, validation.formula1 or "")
    expected = "People" if column.kind is ColumnKind.PERSON else "Children"
    assert (target, cells) == (expected, "$B$2:$B$500")
    assert not validation.showErrorMessage
    assert validation.prompt is not None and "type" in validation.prompt


def test_id_drop_downs_list_the_example_ids(example_book: LoadedWorkbook) -> None:
    """In the example, the Danger statements IDs named range holds exactly its danger statements."""
    sheet, cells = _defined_range(example_book, "DangerStatementsIDs")
    values = [row[0].value for row in example_book[sheet][cells.replace("$", "")] if row[0].value]
    assert values == [r["ID"] for r in example.SHEET_ROWS["Danger statements"]]


def _missing_rules(book: LoadedWorkbook, sheet: Sheet) -> dict[str, str]:
    """Each conditional-format range of a sheet and its formula."""
    found: dict[str, str] = {}
    for formatting in book[sheet.name].conditional_formatting:
        for rule in formatting.rules:
            found[str(formatting.sqref)] = rule.formula[0]
            assert rule.dxf.fill.fgColor.rgb.endswith("FCE4D6")
    return found


@pytest.mark.parametrize("sheet", TABLES, ids=[s.name for s in TABLES])
def test_a_started_rows_empty_required_cells_are_shaded(
    blank_book: LoadedWorkbook, sheet: Sheet
) -> None:
    """Each required column is shaded, down to the last data row, where its cell is empty on a
    row in which anything is filled in."""
    last = get_column_letter(len(sheet.columns))
    expected = {}
    for index, column in enumerate(sheet.columns, start=1):
        if column.required:
            letter = get_column_letter(index)
            expected[f"{letter}2:{letter}{DATA_LAST_ROW}"] = (
                f"AND(COUNTA($A2:${last}2)>0,ISBLANK({letter}2))"
            )
    assert _missing_rules(blank_book, sheet) == expected


def test_workbook_structure_is_locked_without_a_password_and_cells_stay_editable(
    blank_book: LoadedWorkbook,
) -> None:
    """Sheets cannot be renamed, moved or deleted, there is no password, and no sheet is protected."""
    security = blank_book.security
    assert security is not None and security.lockStructure
    assert not security.workbookPassword and not security.workbookHashValue
    assert not security.lockWindows
    for worksheet in blank_book.worksheets:
        assert not worksheet.protection.sheet, worksheet.title


def test_a_locked_workbook_is_read_and_validated_as_before(tmp_path: Path) -> None:
    """The guard and the reader take the structure-locked example, which validates clean."""
    from sos_docs.workbook.guard import check_workbook_file
    from sos_docs.workbook.reader import read_workbook
    from sos_docs.workbook.validate import validate

    path = write_example_workbook(tmp_path / "example.xlsx", today=TODAY)
    check_workbook_file(path)
    result = validate(read_workbook(path), TODAY)
    assert result.ok and result.problems == ()


@pytest.mark.parametrize("name", ["blank", "example"])
def test_every_sheet_prints_landscape_one_page_wide_with_the_marking(
    blank_book: LoadedWorkbook, example_book: LoadedWorkbook, name: str
) -> None:
    """Each sheet prints landscape, one page wide (Children and People two), the marking in the header, the sheet name and
    page X of Y in the footer; each table repeats its header row; Case fits one page."""
    book = blank_book if name == "blank" else example_book
    for worksheet in book.worksheets:
        setup = worksheet.page_setup
        assert setup.orientation == "landscape", worksheet.title
        assert worksheet.sheet_properties.pageSetUpPr.fitToPage
        assert setup.fitToWidth == (2 if worksheet.title in WIDE else 1)
        assert setup.fitToHeight == (1 if worksheet.title == "Case" else 0)
        assert worksheet.oddHeader.center.text == "OFFICIAL-SENSITIVE"
        assert worksheet.oddFooter.left.text == "&A"
        assert worksheet.oddFooter.right.text == "Page &P of &N"
        if worksheet.title in {s.name for s in TABLES}:
            assert worksheet.print_title_rows == "$1:$1"


def test_the_marking_is_the_roots_and_an_ampersand_prints(tmp_path: Path) -> None:
    """A marking given to the writer is the page header, with & written as Excel's &&."""
    path = write_blank_workbook(tmp_path / "b.xlsx", marking="OFFICIAL & SENSITIVE")
    book = load_workbook(path)
    assert book["Next steps"].oddHeader.center.text == "OFFICIAL && SENSITIVE"


def test_document_properties_name_sos_docs_and_the_workbook(
    blank_book: LoadedWorkbook, example_book: LoadedWorkbook
) -> None:
    """Creator is sos-docs and its version (not openpyxl), with a title and a subject; the
    example names its case reference."""
    from sos_docs import __version__

    for book in (blank_book, example_book):
        properties = book.properties
        assert properties.creator == f"sos-docs {__version__}"
        assert properties.lastModifiedBy == f"sos-docs {__version__}"
        assert properties.title == "Signs of Safety mapping workbook"
        assert properties.subject
    assert blank_book.properties.identifier is None
    reference = example.CASE["Case reference"]
    assert example_book.properties.identifier == reference
    assert reference in (example_book.properties.subject or "")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1),
        min_size=1,
        max_size=40,
        unique=True,
    )
)
def test_any_choice_list_is_offered_exactly(choices: list[str]) -> None:
    """Any list of choices is offered whole: inline when Excel allows, else from the hidden Lists sheet."""
    lists = blank.ChoiceLists()
    formula = lists.formula(choices)
    book = Workbook()
    lists.write_into(book)
    if formula.startswith('"'):
        assert len(formula) <= 255
        assert formula[1:-1].split(",") == choices
        assert "Lists" not in book.sheetnames
    else:
        sheet = book["Lists"]
        assert sheet.sheet_state == "hidden"
        cells = sheet[formula.split("!")[1].replace("$", "")]
        assert [row[0].value for row in cells] == choices


def test_long_choice_lists_go_on_a_hidden_lists_sheet_placed_last() -> None:
    """A list too long for Excel's inline limit is referenced from a hidden sheet after the others."""
    long_choices = tuple(f"Choice number {n}" for n in range(30))
    lists = blank.ChoiceLists()
    assert lists.formula(long_choices) == "'Lists'!$A$1:$A$30"
    assert lists.formula(("a, b", "c")) == "'Lists'!$B$1:$B$2"
    assert lists.formula(long_choices) == "'Lists'!$A$1:$A$30"  # the same list is stored once
    book = blank.build_workbook()
    lists.write_into(book)
    assert book.sheetnames[-1] == "Lists"
    assert book["Lists"]["B1"].value == "a, b"


# --------------------------------------------------------------------------------------------
# Instructions


def test_instructions_explain_the_workbook_in_plain_words(blank_book: LoadedWorkbook) -> None:
    """The Instructions sheet covers the questions, every sheet, IDs, dates, *, pictures and the inbox."""
    text = _text(blank_book["Instructions"])
    for phrase in (
        "What are we worried about?",
        "What's working well?",
        "What needs to happen?",
        "Scaling",
        model.DEFAULT_SCALE_ZERO,
        "C1",
        "P1",
        "D1",
        "G1",
        "day first",
        "A * after a heading",
        "Insert > Pictures",
        "inbox",
    ):
        assert phrase in text, phrase


def test_instructions_give_one_line_per_sheet(blank_book: LoadedWorkbook) -> None:
    """Each contract sheet has its own line, using the contract's intro where there is one."""
    lines = [str(c.value) for c in blank_book["Instructions"]["B"] if c.value]
    for sheet in schema.SHEETS:
        mine = [line for line in lines if line.startswith(f"{sheet.name} (")]
        assert len(mine) == 1, sheet.name
        if sheet.intro:
            assert sheet.intro in mine[0]


def test_instructions_are_readable(blank_book: LoadedWorkbook) -> None:
    """The Instructions text sits in one wide, wrapped column with bold headings."""
    worksheet = blank_book["Instructions"]
    assert (worksheet.column_dimensions["B"].width or 0) >= 80
    cells = [c for c in worksheet["B"] if c.value]
    assert all(c.alignment.wrap_text for c in cells)
    assert sum(1 for c in cells if c.font.bold) >= 6


# --------------------------------------------------------------------------------------------
# The example workbook


def test_example_only_uses_contract_columns() -> None:
    """Every value in the example family has a place in the contract, so none is silently dropped."""
    assert set(example.CASE) <= {c.name for c in schema.CASE.columns}
    for name, rows in example.SHEET_ROWS.items():
        sheet = next(s for s in TABLES if s.name == name)
        for row in rows:
            assert set(row) <= {c.name for c in sheet.columns}, name


def _case_date(path: Path, name: str) -> dt.date:
    """A date from the Case sheet of a workbook file."""
    row = [c.name for c in schema.CASE.columns].index(name) + 1
    value = load_workbook(path)["Case"].cell(row, 2).value
    assert isinstance(value, dt.datetime)
    return value.date()


def test_the_example_is_dated_from_the_day_it_is_made(tmp_path: Path) -> None:
    """Made on a given day, the example was mapped four days before and meets a week after."""
    day = dt.date(2031, 3, 2)
    path = write_example_workbook(tmp_path / "example.xlsx", today=day)
    assert _case_date(path, "Mapping date") == day - dt.timedelta(days=4)
    assert _case_date(path, "Meeting date") == day + dt.timedelta(days=7)


def test_new_workbook_example_is_dated_as_the_demos_initial_conference(tmp_path: Path) -> None:
    """`sos-docs new-workbook --example` is dated from today as the demo's initial conference is
    (twelve weeks before the review `--review-example` writes), so its mapping date is never
    ahead and `render --previous` joins the pair."""
    from click.testing import CliRunner

    from sos_docs.cli import cli

    before = dt.date.today()
    result = CliRunner().invoke(cli, ["new-workbook", str(tmp_path / "e.xlsx"), "--example"])
    after = dt.date.today()
    assert result.exit_code == 0, result.output
    mapped = _case_date(tmp_path / "e.xlsx", "Mapping date")
    # Dated as the demo's initial conference: twelve weeks before its review is made.
    back = REVIEW_AFTER + dt.timedelta(days=4)
    assert mapped in {before - back, after - back}


@settings(max_examples=8, deadline=None)
@given(day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_the_example_made_on_any_day_validates_on_that_day(
    tmp_path_factory: pytest.TempPathFactory, day: dt.date
) -> None:
    """Whatever the clock says, the example made today has no problems today (none in the future)."""
    from sos_docs.workbook.reader import read_workbook
    from sos_docs.workbook.validate import validate

    path = write_example_workbook(tmp_path_factory.mktemp("day") / "example.xlsx", today=day)
    result = validate(read_workbook(path), day)
    assert [(p.code, p.where, p.message) for p in result.problems] == []


def test_the_dates_move_together_and_nothing_else_changes() -> None:
    """Made on another day, every date moves by the same days and every other value is the same."""
    shift = dt.timedelta(days=-400)
    case, sheets = example.rows_for(example.WRITTEN_FOR + shift)
    for made, written in [(case, example.CASE)] + [
        (row, original)
        for name, rows in sheets.items()
        for row, original in zip(rows, example.SHEET_ROWS[name], strict=True)
    ]:
        assert made.keys() == written.keys()
        for key, value in written.items():
            moved = value + shift if isinstance(value, dt.date) else value  # type: ignore[operator]
            assert made[key] == moved, key


def test_example_case_values_are_written(example_book: LoadedWorkbook) -> None:
    """The example's Case values sit beside their labels, dates as real dates shown day first."""
    worksheet = example_book["Case"]
    for row, column in enumerate(schema.CASE.columns, start=1):
        expected = example.CASE.get(column.name)
        cell = worksheet.cell(row, 2)
        if column.kind is ColumnKind.DATE and expected is not None:
            assert cell.value == dt.datetime.combine(expected, dt.time())  # type: ignore[arg-type]
            assert cell.number_format == DATE_FORMAT
        elif expected is not None:
            assert cell.value == expected, column.name
    scale_row = [c.name for c in schema.CASE.columns].index("Scale zero means") + 1
    assert worksheet.cell(scale_row, 2).value == model.DEFAULT_SCALE_ZERO


@pytest.mark.parametrize("name", list(example.SHEET_ROWS))
def test_example_table_values_are_written(example_book: LoadedWorkbook, name: str) -> None:
    """Every example row lands on its own row under the right header, dates as real dates; a
    row with a drawing has what it shows as its Picture description."""
    sheet = next(s for s in TABLES if s.name == name)
    worksheet = example_book[name]
    rows = example.SHEET_ROWS[name]
    for offset, record in enumerate(rows):
        for index, column in enumerate(sheet.columns, start=1):
            cell = worksheet.cell(2 + offset, index)
            expected = record.get(column.name)
            if column.name == "Picture description":
                expected = expected or example.written_description(name, record)
            if isinstance(expected, dt.date):
                assert cell.value == dt.datetime.combine(expected, dt.time())
                assert cell.number_format == DATE_FORMAT
            else:
                assert cell.value == (expected or None), (name, offset, column.name)
    assert all(c.value is None for c in worksheet[2 + len(rows)])


def test_example_keeps_non_ascii_names_and_line_breaks(example_book: LoadedWorkbook) -> None:
    """Siân keeps her accent and a multi-line answer keeps its line break, wrapped."""
    assert example_book["People"]["B5"].value == "Siân Roberts"
    worries = example_book["Child's views"]["E2"]
    assert (
        worries.value == "When Mum and Dad shout and Dad bangs the door.\nWhen Leo cries at night."
    )
    assert worries.alignment.wrap_text


def test_example_keeps_the_checks_of_the_blank(
    blank_book: LoadedWorkbook, example_book: LoadedWorkbook
) -> None:
    """The example has the same drop-downs and checks as the blank workbook."""

    def checks(book: LoadedWorkbook) -> list[tuple[str, str, str | None, str | None]]:
        return sorted(
            (ws.title, str(dv.sqref), dv.type, dv.formula1)
            for ws in book.worksheets
            for dv in ws.data_validations.dataValidation
        )

    assert checks(example_book) == checks(blank_book)


def test_example_validates_with_no_errors_and_no_warnings(tmp_path: Path) -> None:
    """The example workbook, read and validated, has no problems at all."""
    reader = pytest.importorskip("sos_docs.workbook.reader")
    validate = pytest.importorskip("sos_docs.workbook.validate")
    raw = reader.read_workbook(write_example_workbook(tmp_path / "example.xlsx", today=TODAY))
    result = validate.validate(raw, TODAY)
    assert [(p.code, p.where, p.message) for p in result.problems] == []
    assert result.ok
    assert len(result.notes) == 1 and "Instructions" in result.notes[0]  # nothing else ignored


def test_blank_validates_with_only_missing_value_errors(tmp_path: Path) -> None:
    """The blank workbook reads cleanly: its only problems are the required things left empty."""
    reader = pytest.importorskip("sos_docs.workbook.reader")
    validate = pytest.importorskip("sos_docs.workbook.validate")
    raw = reader.read_workbook(write_blank_workbook(tmp_path / "blank.xlsx"))
    result = validate.validate(raw, TODAY)
    required_labels = {
        f"Case!B{row}" for row, c in enumerate(schema.CASE.columns, start=1) if c.required
    }
    needs_a_row = {s.name for s in schema.SHEETS if s.at_least_one_row}
    assert {p.where for p in result.problems} == required_labels | needs_a_row
    assert {p.code for p in result.problems} == {"WB004", "SOS101"}
    assert len(result.notes) == 1 and "Instructions" in result.notes[0]


# --------------------------------------------------------------------------------------------
# Saving


def test_writes_only_the_finished_file(tmp_path: Path) -> None:
    """After writing, the folder holds the workbook and no temporary file."""
    path = write_blank_workbook(tmp_path / "map.xlsx")
    assert path == tmp_path / "map.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == ["map.xlsx"]


def test_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    """An existing file is left exactly as it was, with a message saying what to do."""
    path = tmp_path / "map.xlsx"
    path.write_bytes(b"someone's work")
    with pytest.raises(SosDocsError) as caught:
        write_blank_workbook(path)
    assert str(caught.value) == (
        f"'{path}' already exists. Choose another name or delete it first."
    )
    assert path.read_bytes() == b"someone's work"
    assert [p.name for p in tmp_path.iterdir()] == ["map.xlsx"]


def test_refuses_a_file_that_appears_while_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file saved by someone else while the workbook was being written is never replaced."""
    path = tmp_path / "map.xlsx"
    real_save = Workbook.save

    def save_then_someone_else_saves(book: Workbook, filename: str) -> None:
        real_save(book, filename)
        path.write_bytes(b"someone's work")

    monkeypatch.setattr(Workbook, "save", save_then_someone_else_saves)
    with pytest.raises(SosDocsError, match="already exists"):
        write_blank_workbook(path)
    assert path.read_bytes() == b"someone's work"
    assert [p.name for p in tmp_path.iterdir()] == ["map.xlsx"]


def test_a_failed_save_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When saving fails half way, no workbook and no temporary file is left, and the error is plain."""

    def save_half_then_fail(book: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Workbook, "save", save_half_then_fail)
    with pytest.raises(SosDocsError) as caught:
        write_blank_workbook(tmp_path / "map.xlsx")
    assert str(caught.value) == (
        f"Could not write '{tmp_path / 'map.xlsx'}': No space left on device. "
        "Check that you can save files in that folder."
    )
    assert isinstance(caught.value.__cause__, OSError)
    assert list(tmp_path.iterdir()) == []


def test_works_where_hard_links_are_not_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a share without hard links the workbook is still moved into place whole."""

    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = write_example_workbook(tmp_path / "map.xlsx")
    assert load_workbook(path)["People"]["B5"].value == "Siân Roberts"
    assert [p.name for p in tmp_path.iterdir()] == ["map.xlsx"]


@pytest.mark.parametrize("name", ["map.xls", "map", "map.xlsm", "map.csv"])
def test_refuses_names_that_are_not_xlsx(tmp_path: Path, name: str) -> None:
    """A name not ending in .xlsx is refused before anything is written."""
    with pytest.raises(SosDocsError, match=r"does not end in \.xlsx"):
        write_blank_workbook(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    """A missing folder is named in the message and not created."""
    folder = tmp_path / "nowhere"
    with pytest.raises(SosDocsError) as caught:
        write_blank_workbook(folder / "map.xlsx")
    assert str(caught.value) == (
        f"The folder '{folder}' does not exist. Create it first or choose another folder."
    )
    assert not folder.exists()


def test_the_workbook_gets_the_usual_file_permissions(tmp_path: Path) -> None:
    """The finished workbook is readable by colleagues as the umask allows, not owner-only."""
    old_umask = os.umask(0o022)
    try:
        path = write_blank_workbook(tmp_path / "map.xlsx")
    finally:
        os.umask(old_umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_the_instructions_list_every_workbook_rule_and_the_format_2_parts(
    blank_book: LoadedWorkbook,
) -> None:
    """Instructions list every WB and SOS code with its level, and explain the new sheets."""
    from sos_docs import codes

    text = "\n".join(str(c.value) for c in blank_book["Instructions"]["B"] if c.value)
    for entry in codes.CODES.values():
        if entry.code.startswith(("WB", "SOS")):
            assert f"{entry.code} ({entry.level.value}): {entry.meaning}" in text
    assert "SYS001" not in text
    for words in ("Family's views", "Birth plan", "Previous scaling", "Manager approved on"):
        assert words in text
    assert "Continue child protection plan" in text and "Known as" in text


def test_category_columns_offer_the_list_and_take_several(blank_book: LoadedWorkbook) -> None:
    """Both Category of harm columns drop down the categories and say commas name several."""
    for sheet in (schema.CASE, schema.CHILDREN):
        column = sheet.column("category_of_harm")
        validation = _validation(blank_book, sheet, column)
        assert validation is not None and validation.type == "list"
        assert validation.formula1 == '"' + ",".join(schema.CATEGORIES_OF_HARM) + '"'
        assert validation.error is not None and "separated by commas" in validation.error


@pytest.mark.parametrize("name", ["blank", "example"])
def test_case_rows_are_tall_enough_for_their_wrapped_value_and_note(
    blank_book: LoadedWorkbook, example_book: LoadedWorkbook, name: str
) -> None:
    """Each Case row is at least one 15-point line per wrapped line of its value and its note,
    so printed text never runs over the row below."""
    worksheet = (blank_book if name == "blank" else example_book)["Case"]
    for row in range(1, len(schema.CASE.columns) + 1):
        height = worksheet.row_dimensions[row].height
        assert height is not None, row
        for letter in ("B", "C"):
            text = worksheet[f"{letter}{row}"].value
            if isinstance(text, str):
                width = worksheet.column_dimensions[letter].width
                lines = sum(-(-len(part) // int(width)) or 1 for part in text.split("\n"))
                assert height >= 15 * lines, (row, letter, text)


def test_review_example_case_rows_fit_their_own_values(tmp_path: Path) -> None:
    """The review stage's example, filled in after the blank is built, sizes its Case rows too."""
    book = example.build_example(TODAY, example.REVIEW)
    worksheet = book["Case"]
    row = [c.name for c in schema.CASE.columns].index("Reason for report") + 1
    text = worksheet.cell(row, 2).value
    assert isinstance(text, str) and len(text) > 120
    assert (worksheet.row_dimensions[row].height or 0) >= 15 * -(-len(text) // 60)
    assert book.properties.identifier == example.CASE["Case reference"]


def test_instructions_describe_the_form(blank_book: LoadedWorkbook) -> None:
    """The Instructions tell what the notes, drop-downs, orange cells, lock and printing do."""
    text = _text(blank_book["Instructions"])
    for phrase in (
        "Click a cell to see a short note",
        "drop down the IDs or names",
        "light orange",
        "cannot be renamed, moved or deleted",
        "there is no password",
        "protective marking",
        "Children and People print two pages wide",
        "15 empty rows with lines to write in by hand",
    ):
        assert phrase in text, phrase


def test_instructions_rows_are_tall_enough_for_their_wrapped_text(
    blank_book: LoadedWorkbook,
) -> None:
    """Each Instructions line's row holds every wrapped line of its text, so none prints over
    the next."""
    worksheet = blank_book["Instructions"]
    width = int(worksheet.column_dimensions["B"].width)
    for cell in worksheet["B"]:
        if isinstance(cell.value, str) and cell.value:
            lines = -(-len(cell.value) // width)
            assert (worksheet.row_dimensions[cell.row].height or 0) >= 15 * lines, cell.value


# --------------------------------------------------------------------------------------------
# Notes that say what the rules do (practitioner review)


def _prompt(book: LoadedWorkbook, sheet: Sheet, field: str) -> str:
    """The input message shown on a column's (or a Case value's) cells."""
    validation = _validation(book, sheet, sheet.column(field))
    assert validation is not None
    return validation.prompt or ""


def test_consent_note_says_what_no_and_blank_do(blank_book: LoadedWorkbook) -> None:
    """Consent to share says No keeps the words from every family copy, and what blank does
    by the child's age."""
    prompt = _prompt(blank_book, schema.CHILDS_VIEWS, "consent_to_share")
    assert "No keeps this child's words out of every family copy." in prompt
    assert "Blank: shared if under 12, kept back if 12 or over" in prompt


def _case_row(raw: RawWorkbook, column: Column) -> int:
    """The row of a Case value in a workbook as read, found by its label."""
    case = next(s for s in raw.sheets if s.title == schema.CASE.name)
    return next(r for (r, c), v in case.cells.items() if c == 1 and v == column.header)


def _with_case_values(raw: RawWorkbook, values: dict[str, object]) -> RawWorkbook:
    """The workbook as read with some Case values changed (None: left empty)."""
    sheets = []
    for sheet in raw.sheets:
        if sheet.title == schema.CASE.name:
            cells = dict(sheet.cells)
            for field, value in values.items():
                cells.pop((_case_row(raw, schema.CASE.column(field)), 2), None)
                if value is not None:
                    cells[(_case_row(raw, schema.CASE.column(field)), 2)] = value
            sheet = replace(sheet, cells=cells)
        sheets.append(sheet)
    return replace(raw, sheets=tuple(sheets))


def _errors(raw: RawWorkbook, today: dt.date) -> set[tuple[str, str]]:
    result = validate.validate(raw, today)
    return {(p.code, p.where) for p in result.problems if p.level.value == "error"}


CONFERENCES = [
    ("initial", {}),
    ("initial", {"meeting_type": "Pre-birth conference"}),
    ("initial", {"shared_with_parents_on": None, "not_shared_because": "Mum was in hospital"}),
    ("review", {}),
]


def _needed_at_conferences(tmp_path: Path) -> set[str]:
    """Every Case value whose absence gives a conference workbook a new error."""
    needed: set[str] = set()
    for number, (stage, changes) in enumerate(CONFERENCES):
        day = example.WRITTEN_FOR if stage == "initial" else example.REVIEW_WRITTEN_FOR
        path = example.write_example(tmp_path / f"{number}.xlsx", day, stage)  # type: ignore[arg-type]
        raw = _with_case_values(reader.read_workbook(path), changes)
        before = _errors(raw, day)
        for column in schema.CASE.columns:
            if _errors(_with_case_values(raw, {column.field: None}), day) - before:
                needed.add(column.field)
    return needed


def test_case_values_a_conference_needs_are_never_called_optional(
    blank_book: LoadedWorkbook, tmp_path: Path
) -> None:
    """Each Case value a conference gets an error without (found by leaving each out of the
    example conferences) has a note that does not start Optional."""
    needed = _needed_at_conferences(tmp_path)
    assert {"meeting_date", "shared_with_parents_on", "not_shared_because"} <= needed
    optional = [f for f in needed if _prompt(blank_book, schema.CASE, f).startswith("Optional")]
    assert optional == []


def test_shared_with_parents_on_says_a_conference_needs_it_or_a_reason(
    blank_book: LoadedWorkbook,
) -> None:
    """Shared with parents on says a conference needs the date or Not shared because."""
    prompt = _prompt(blank_book, schema.CASE, "shared_with_parents_on")
    assert prompt.startswith("Required for conferences: this date, or fill in Not shared because.")


def test_report_author_note_does_not_offer_a_childs_name(blank_book: LoadedWorkbook) -> None:
    """The report author is someone on the People sheet: the note never suggests a child."""
    prompt = _prompt(blank_book, schema.CASE, "report_author")
    assert "child" not in prompt.casefold()
    assert "People" in prompt


def test_format_error_gives_the_format_as_its_example(blank_book: LoadedWorkbook) -> None:
    """The Format cell's error message gives the workbook format (2) as its example."""
    validation = _validation(blank_book, schema.CASE, schema.CASE.column("format_version"))
    assert validation is not None
    assert f"for example {schema.FORMAT_VERSION}." in (validation.error or "")
    assert "for example 6" not in (validation.error or "")


SCORES = [schema.SCALING, schema.PREVIOUS_SCALING]


@pytest.mark.parametrize("sheet", SCORES, ids=[s.name for s in SCORES])
def test_every_score_column_is_a_whole_number_from_0_to_10(
    blank_book: LoadedWorkbook, sheet: Sheet
) -> None:
    """Score on Scaling and on Previous scaling accepts whole numbers 0 to 10 and says so."""
    validation = _validation(blank_book, sheet, sheet.column("score"))
    assert validation is not None
    assert (validation.type, validation.operator) == ("whole", "between")
    assert (validation.formula1, validation.formula2) == ("0", "10")
    assert "from 0 to 10" in (validation.error or "")
    assert "from 0 to 10" in (validation.prompt or "")


def test_words_and_pictures_agreed_says_the_story_is_draft_until_yes(
    blank_book: LoadedWorkbook,
) -> None:
    """Words and pictures agreed by parents says the story is marked DRAFT until it is Yes."""
    prompt = _prompt(blank_book, schema.CASE, "words_and_pictures_agreed")
    assert "DRAFT" in prompt and "Yes" in prompt


# --------------------------------------------------------------------------------------------
# The printed blank as a paper form


RULED_ROWS = 15  # empty rows a printed table offers to write in


@pytest.mark.parametrize("name", ["blank", "example"])
@pytest.mark.parametrize("sheet", TABLES, ids=[s.name for s in TABLES])
def test_tables_print_ruled_rows_to_write_in_by_hand(
    blank_book: LoadedWorkbook, example_book: LoadedWorkbook, name: str, sheet: Sheet
) -> None:
    """Each table's 15 rows under its header have thin borders on every column (so they print
    as a form), with no fixed print area that would leave rows typed further down unprinted."""
    worksheet = (blank_book if name == "blank" else example_book)[sheet.name]
    last = get_column_letter(len(sheet.columns))
    for row in worksheet[f"A2:{last}{1 + RULED_ROWS}"]:
        for cell in row:
            sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
            assert [side.style for side in sides] == ["thin"] * 4, cell.coordinate
    for column in sheet.columns:  # a bordered cell still formats what is typed as its column
        cell = worksheet.cell(1 + RULED_ROWS, sheet.columns.index(column) + 1)
        if column.kind is ColumnKind.DATE:
            assert cell.number_format == DATE_FORMAT
        if column.kind is ColumnKind.TEXT and column.width >= blank.WRAP_FROM_WIDTH:
            assert cell.alignment.wrap_text
    assert not worksheet.print_area


WIDE = {"Children", "People"}


@pytest.mark.parametrize("sheet", TABLES, ids=[s.name for s in TABLES])
def test_wide_tables_print_two_pages_wide_with_their_ids_on_each(
    blank_book: LoadedWorkbook, sheet: Sheet
) -> None:
    """Children and People (too wide for one page's readable type) print two pages wide, their
    ID and name columns repeated on each; every other table one page wide."""
    worksheet = blank_book[sheet.name]
    if sheet.name in WIDE:
        assert worksheet.page_setup.fitToWidth == 2
        assert worksheet.print_title_cols == "$A:$B"
    else:
        assert worksheet.page_setup.fitToWidth == 1
        assert worksheet.print_title_cols is None
