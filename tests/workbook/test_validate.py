"""Tests for validating a workbook into the typed case (sos_docs.workbook.validate), from real .xlsx files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.utils import get_column_letter
from PIL import Image as PILImage

from sos_docs import model
from sos_docs.model import Level, MappingCase, PersonRef, Problem, Source, Validation
from sos_docs.workbook import schema
from sos_docs.workbook.cells import EXCEL_ERRORS
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import RECORDS, fold, validate
from tests.support.builders import WorkbookBuilder, damage_pictures

TODAY = dt.date(2026, 11, 28)


def check(book: WorkbookBuilder, tmp_path: Path, today: dt.date = TODAY) -> Validation:
    """Write the book as a real .xlsx, read it back and validate it."""
    return validate(read_workbook(book.write(tmp_path / "case.xlsx")), today=today)


def the_problem(validation: Validation, code: str) -> Problem:
    """The one problem with this code (fails, listing them all, when there is not exactly one)."""
    found = [p for p in validation.problems if p.code == code]
    assert len(found) == 1, validation.problems
    return found[0]


def where(problem: Problem) -> tuple[str, Level, str | None, str | None]:
    """A problem's code, level, sheet and cell, to compare in one assert."""
    return (problem.code, problem.level, problem.sheet, problem.cell)


@pytest.fixture(scope="module")
def example_raw(tmp_path_factory: pytest.TempPathFactory) -> model.RawWorkbook:
    """The example workbook as the reader hands it on, read once for the module."""
    return read_workbook(WorkbookBuilder().write(tmp_path_factory.mktemp("raw") / "case.xlsx"))


# ------------------------------------------------------------------------ the example


def test_example_validates_with_no_errors_warnings_or_notes(tmp_path: Path) -> None:
    """The example family's workbook is valid, with nothing to warn about."""
    validation = check(WorkbookBuilder(), tmp_path)
    assert validation.problems == ()
    assert validation.notes == ()
    assert validation.ok


def test_example_case_details_hold_the_example(example_case: MappingCase) -> None:
    """The Case sheet's values arrive typed, with the author resolved and scale wording defaulted."""
    details = example_case.details
    assert details.case_reference == "CP-2026-0412"
    assert details.meeting_type == "Initial child protection conference"
    assert details.is_conference
    assert details.mapping_date == dt.date(2026, 11, 16)
    assert details.meeting_date == dt.date(2026, 11, 27)
    assert details.report_author == PersonRef("Ada Okafor", "P5")
    assert details.author_contact == "07700 900412 / a.okafor@northbrook.example"
    assert details.recommendation == "Child protection plan"
    assert details.category_of_harm == "Emotional abuse"
    assert details.shared_with_parents_on == dt.date(2026, 11, 16)
    assert details.not_shared_because == ""
    assert details.words_and_pictures_agreed is True
    assert details.review_date == dt.date(2027, 2, 19)
    assert details.scale_zero_means == model.DEFAULT_SCALE_ZERO
    assert details.scale_ten_means == model.DEFAULT_SCALE_TEN


def test_example_people_and_children_hold_the_example(example_case: MappingCase) -> None:
    """Children and people keep their dates, yes/no answers and non-ASCII names exactly."""
    mia, leo = example_case.children
    assert (mia.id, mia.name, mia.date_of_birth) == ("C1", "Mia Hartley", dt.date(2017, 3, 14))
    assert mia.interpreter_needed is False
    assert leo.school_or_setting == "Little Acorns Nursery"
    assert not leo.is_unborn
    sian = example_case.people[3]
    assert (sian.name, sian.name_children_use) == ("Siân Roberts", "Auntie Siân")
    assert sian.safety_network is True and sian.knows_the_worries is True
    assert sian.parental_responsibility is None
    assert example_case.people[4].agency == "Northbrook Children's Services"
    assert [p.role for p in example_case.people] == ["Parent"] * 2 + ["Family", "Friend"] + [
        "Professional"
    ] * 3 + ["Parent"]


def test_example_map_holds_the_example(example_case: MappingCase) -> None:
    """The worries, strengths, goals, steps, scores and views arrive with references resolved."""
    case = example_case
    assert case.harm[2].children == (
        PersonRef("Mia Hartley", "C1", is_child=True),
        PersonRef("Leo Hartley", "C2", is_child=True),
    )
    assert case.harm[0].information_source == "Observed"
    assert case.danger_statements[0].family_view == "Partly agree"
    assert case.danger_statements[1].family_words == ""
    assert case.complicating_factors[1].factor.startswith("Kerry has lost contact")
    assert case.grey_areas[0].question.startswith("How much Kerry")
    assert case.working_well[0].who == PersonRef("Sandra Price", "P3")
    assert case.working_well[0].danger_statement_id == "D1"
    assert case.working_well[3].who is None
    assert case.safety_goals[1].sustained_for_months == 6
    assert case.next_steps[1].who == PersonRef("Ada Okafor", "P5")  # written as a name
    assert case.next_steps[2].by_when == dt.date(2026, 12, 1)
    assert case.next_steps[2].status == "Done"
    assert [s.score for s in case.scaling] == [4, 7, 6, 5, 5, 6, 3]
    assert case.scaling[5].participant == PersonRef("Mia Hartley", "C1", is_child=True)
    assert case.scaling[0].child is None
    assert case.scaling[6].danger_statement_id == "D2"
    assert case.childs_views[0].worries == (
        "When Mum and Dad shout and Dad bangs the door.\nWhen Leo cries at night."
    )
    assert case.childs_views[1].child == PersonRef("Leo Hartley", "C2", is_child=True)
    assert case.childs_views[1].dreams == ""
    assert case.safety_plan[3].who.is_child
    assert [p.page for p in case.words_and_pictures] == [1, 2, 3, 4, 5]
    assert "\nDad pushed Mum" in case.words_and_pictures[1].words
    assert case.agency_involvement[1].child_last_seen == dt.date(2026, 10, 25)


def test_records_know_the_sheet_row_and_cell_of_each_field(example_case: MappingCase) -> None:
    """Each record's source names its sheet, row and the A1 cell of every field."""
    kerry = example_case.people[0]
    assert kerry.source == Source("People", 2)
    assert kerry.source.cell("name") == "B2"
    assert kerry.source.cell("name_children_use") == "K2"
    score = example_case.scaling[3]
    assert (score.source.row, score.source.cell("score")) == (5, "D5")  # type: ignore[union-attr]
    assert example_case.details.source.cell("mapping_date") == "B6"  # type: ignore[union-attr]


def test_every_table_sheet_builds_its_own_record_type() -> None:
    """The record table covers every table sheet and the model's fields match the schema's."""
    tables = {s.name for s in schema.SHEETS if not s.key_value}
    assert set(RECORDS) == tables
    for sheet in schema.SHEETS:
        record: Any = model.CaseDetails if sheet.key_value else RECORDS[sheet.name][0]
        fields = {f.name for f in dataclasses.fields(record)}
        # `About` is read into the record's danger_statement_id or harm_row (validate.about_target)
        fields |= {"about"} if sheet is schema.FAMILYS_VIEWS else set()
        # Fields with no default of any kind (the Case's withheld_fields has a default factory).
        needed = {
            f.name
            for f in dataclasses.fields(record)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        assert {c.field for c in sheet.columns} <= fields
        assert needed <= {c.field for c in sheet.columns if c.required}


def test_scale_wording_is_kept_when_given(tmp_path: Path) -> None:
    """Scale wording typed in the Case sheet replaces the default wording."""
    book = WorkbookBuilder().set_case("Scale zero means", "  Not safe at home  ")
    validation = check(book.set_case("Scale ten means", "Safe to close"), tmp_path)
    assert validation.case is not None
    assert validation.case.details.scale_zero_means == "Not safe at home"
    assert validation.case.details.scale_ten_means == "Safe to close"


# ------------------------------------------------------------------------ sheets


@pytest.mark.parametrize("sheet", [s.name for s in schema.SHEETS if s.required])
def test_missing_required_sheet_is_wb002_naming_it_and_the_sheets_found(
    tmp_path: Path, sheet: str
) -> None:
    """A required sheet left out is WB002 for that sheet, listing the sheets the file has."""
    validation = check(WorkbookBuilder().drop_sheet(sheet), tmp_path)
    problem = the_problem(validation, "WB002")
    assert where(problem) == ("WB002", Level.ERROR, sheet, None)
    assert f'no "{sheet}" sheet' in problem.message
    assert '"Words and pictures"' in problem.message
    assert validation.case is None


OPTIONAL_SHEETS = [s.name for s in schema.SHEETS if not s.required and s is not schema.CHILDS_VIEWS]


@pytest.mark.parametrize("sheet", OPTIONAL_SHEETS)
def test_missing_optional_sheet_is_the_same_as_an_empty_one(tmp_path: Path, sheet: str) -> None:
    """An optional sheet left out gives no problem and no records (Child's views: see rules)."""
    validation = check(WorkbookBuilder().drop_sheet(sheet), tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert getattr(validation.case, RECORDS[sheet][1]) == ()


def test_instructions_and_unknown_sheets_are_ignored_and_noted(tmp_path: Path) -> None:
    """The Instructions sheet and sheets the contract does not know are listed as notes only."""

    def add_sheets(book: Workbook) -> None:
        book.create_sheet("Instructions", 0)["A1"] = "How to fill this in"
        book.create_sheet("My notes")["A1"] = "Ring Sandra"

    validation = check(WorkbookBuilder().then(add_sheets), tmp_path)
    assert validation.problems == ()
    assert validation.notes == (
        'The sheet "Instructions" holds instructions and was not read.',
        'The sheet "My notes" is not part of the mapping workbook, so it was ignored.',
    )


def test_a_second_sheet_for_the_same_contract_sheet_is_noted(tmp_path: Path) -> None:
    """When two tabs name the same contract sheet, the first is read and the second noted."""
    validation = check(WorkbookBuilder().then(lambda b: b.create_sheet("Dangers")), tmp_path)
    assert validation.problems == ()
    assert validation.notes == (
        'The sheet "Dangers" was ignored: another sheet is already read as "Danger statements".',
    )


# ------------------------------------------------------------------------ the Case sheet


def test_case_labels_are_found_in_any_row_order_and_by_alias(
    tmp_path: Path, example_case: MappingCase
) -> None:
    """Case labels in reverse order, in other case, with `:`/`*` and aliases read the same case."""
    aliases = {"Case reference": "CASE REF:", "Mapping date": "Date of mapping*", "Team": " team "}

    def reverse_case(book: Workbook) -> None:
        sheet = book["Case"]
        pairs = [(row[0].value, row[1].value) for row in sheet.iter_rows(max_col=2)]
        formats = {row[0].value: row[1].number_format for row in sheet.iter_rows(max_col=2)}
        for number, (label, value) in enumerate(reversed(pairs), start=1):
            sheet.cell(number, 1).value = aliases.get(str(label), label)
            sheet.cell(number, 2).value = value  # cell(..., value=None) would keep the old one
            sheet.cell(number, 2).number_format = formats[label]  # a date's, or a number's

    validation = check(WorkbookBuilder().then(reverse_case), tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case
    last_row = len(schema.CASE.columns)  # the first label is written last
    where = validation.case.details.source.cell("case_reference")  # type: ignore[union-attr]
    assert where == f"B{last_row}"


def test_unknown_case_label_is_noted(tmp_path: Path) -> None:
    """A label sos-docs does not know is ignored and listed in the notes."""
    validation = check(WorkbookBuilder().set_case("Favourite colour", "blue"), tmp_path)
    assert validation.problems == ()
    row = len(schema.CASE.columns) + 1
    assert validation.notes == (
        f'Case!A{row}: the label "Favourite colour" is not one sos-docs knows, so it was ignored.',
    )


def test_missing_required_case_label_is_wb004_for_the_sheet(tmp_path: Path) -> None:
    """A required Case label with no row at all is WB004 on the Case sheet, naming the label."""
    book = WorkbookBuilder().then(lambda b: b["Case"].delete_rows(8))  # Author role
    problem = the_problem(check(book, tmp_path), "WB004")
    assert where(problem) == ("WB004", Level.ERROR, "Case", None)
    assert '"Author role"' in problem.message


# ------------------------------------------------------------------------ table sheets


def test_sheet_without_a_header_row_is_wb003_for_the_sheet(tmp_path: Path) -> None:
    """A table whose header row cannot be found is one WB003 on the sheet, and nothing more."""

    def scramble_headers(book: Workbook) -> None:
        for cell in book["Next steps"][1]:
            cell.value = "?"

    validation = check(WorkbookBuilder().then(scramble_headers), tmp_path)
    assert [where(p) for p in validation.problems] == [("WB003", Level.ERROR, "Next steps", None)]
    assert "Action, Who, By when" in validation.problems[0].message


@pytest.mark.parametrize(
    ("sheet", "column", "title_rows", "cell"),
    [
        ("Scaling", "Score", 0, "A1"),
        ("People", "Role", 0, "A1"),
        ("Danger statements", "ID", 2, "A3"),
        ("Next steps", "By when", 1, "A2"),
    ],
)
def test_missing_required_column_is_wb003_naming_it_at_the_header_row(
    tmp_path: Path, sheet: str, column: str, title_rows: int, cell: str
) -> None:
    """A required column missing from the header is WB003 at the header row's first cell."""
    book = WorkbookBuilder().rename_header(sheet, column, "Something else")
    validation = check(book.with_title_rows(sheet, title_rows), tmp_path)
    problem = the_problem(validation, "WB003")
    assert where(problem) == ("WB003", Level.ERROR, sheet, cell)
    assert f'no "{column}" column' in problem.message
    assert validation.case is None


@pytest.mark.parametrize("column", ["ID", "Statement"])
def test_missing_danger_statement_column_is_only_wb003(tmp_path: Path, column: str) -> None:
    """A Danger statements column deleted is one WB003 there and no SOS1xx about any sheet."""
    book = WorkbookBuilder().as_format_2().rename_header("Danger statements", column, "Gone")
    validation = check(book, tmp_path)
    errors = [where(p) for p in validation.problems if p.level is Level.ERROR]
    assert errors == [("WB003", Level.ERROR, "Danger statements", "A1")]


REQUIRED_TABLE_COLUMNS = [
    (sheet.name, column.name)
    for sheet in schema.SHEETS
    if not sheet.key_value
    for column in sheet.columns
    if column.required
]


@settings(
    max_examples=len(REQUIRED_TABLE_COLUMNS),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from(REQUIRED_TABLE_COLUMNS))
def test_any_required_column_deleted_is_wb003_there_and_nothing_elsewhere(
    tmp_path: Path, deleted: tuple[str, str]
) -> None:
    """Deleting one required column is WB003 on its sheet and no other error, there or on an
    intact sheet (the example workbook has none to begin with)."""
    sheet, column = deleted
    book = WorkbookBuilder().as_format_2().rename_header(sheet, column, "Gone")
    validation = check(book, tmp_path)
    errors = [where(p) for p in validation.problems if p.level is Level.ERROR]
    assert errors == [("WB003", Level.ERROR, sheet, "A1")]


def test_extra_columns_are_ignored_and_noted(tmp_path: Path) -> None:
    """A column the contract does not know is read past and listed in the notes."""
    book = WorkbookBuilder().with_extra_column("People", "Shoe size")
    book.update_row("People", 0, Shoe_size=5)
    validation = check(book, tmp_path)
    assert validation.problems == ()
    column = get_column_letter(len(schema.PEOPLE.columns) + 1)
    assert validation.notes == (
        f'People!{column}1: the column "Shoe size" is not one sos-docs knows, so it was ignored.',
    )


def test_title_rows_and_merged_titles_above_the_header_are_fine(
    tmp_path: Path, example_case: MappingCase
) -> None:
    """One or two title rows (the first merged) above every table read the same case."""
    book = WorkbookBuilder()
    for index, sheet in enumerate(s.name for s in schema.SHEETS if not s.key_value):
        book.with_title_rows(sheet, 1 + index % 2)
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case
    assert validation.case.people[0].source == Source("People", 4)


def test_blank_rows_between_records_are_skipped(tmp_path: Path, example_case: MappingCase) -> None:
    """Empty rows, and rows with only spaces, between records do not make records."""

    def add_blank_rows(book: Workbook) -> None:
        for sheet in book.worksheets[1:]:
            sheet.insert_rows(3, amount=2)
            sheet.cell(4, 1, "   ")

    validation = check(WorkbookBuilder().then(add_blank_rows), tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case
    assert validation.case.children[1].source == Source("Children", 5)


def test_columns_in_any_order_read_the_same_case(tmp_path: Path, example_case: MappingCase) -> None:
    """Every table written with its columns reversed reads the same case."""

    def reverse_columns(book: Workbook) -> None:
        for sheet in book.worksheets[1:]:
            rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
            for number, values in enumerate(rows, start=1):
                for position, value in enumerate(reversed(values), start=1):
                    sheet.cell(number, position).value = value

    validation = check(WorkbookBuilder().then(reverse_columns), tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case
    last_column = get_column_letter(len(schema.PEOPLE.columns))  # ID is written last
    assert validation.case.people[0].source.cell("id") == f"{last_column}2"  # type: ignore[union-attr]


# ------------------------------------------------------------------------ cell rules


@pytest.mark.parametrize(
    ("sheet", "column", "index"),
    [
        ("Case", "Case reference", 0),
        ("Case", "Author role", 0),
        ("Children", "Name", 1),
        ("People", "Relationship", 2),
        ("People", "Role", 0),
        ("Agency involvement", "Agency", 1),
        ("Harm", "What happened", 0),
        ("Danger statements", "Statement", 1),
        ("Working well", "Type", 3),
        ("Safety goals", "Goal", 0),
        ("Next steps", "Action", 4),
        ("Scaling", "Score", 2),
        ("Child's views", "Child", 1),
        ("Safety plan", "Rule", 2),
        ("Words and pictures", "Heading", 3),
    ],
)
def test_empty_required_value_is_wb004_at_its_cell(
    tmp_path: Path, sheet: str, column: str, index: int
) -> None:
    """A required value left empty (or only spaces) is WB004 at exactly that cell."""
    book = WorkbookBuilder()
    if sheet == "Case":
        book.set_case(column, "   ")
    else:
        book.rows(sheet)[index][column] = None
    validation = check(book, tmp_path)
    problem = the_problem(validation, "WB004")
    assert where(problem) == ("WB004", Level.ERROR, sheet, book.cell(sheet, column, index))
    assert column in problem.message
    assert validation.case is None


@pytest.mark.parametrize(
    ("sheet", "column", "value", "words"),
    [
        ("Case", "Mapping date", "next Tuesday", "must be a date"),
        ("Children", "Date of birth", "03/14/2017", "must be a date"),
        ("Agency involvement", "Involved since", "31/02/2021", "must be a date"),
        ("Safety goals", "Sustained for", "six", "must be a whole number"),
        ("Scaling", "Score", 4.5, "must be a whole number"),
        ("Words and pictures", "Page", "first", "must be a whole number"),
        ("People", "Safety network", "maybe", "must be Yes or No"),
        ("Case", "Words and pictures agreed by parents", "probably", "must be Yes or No"),
    ],
)
def test_value_of_the_wrong_type_is_wb005_at_its_cell(
    tmp_path: Path, sheet: str, column: str, value: object, words: str
) -> None:
    """A date, whole number or yes/no that cannot be read is WB005 quoting the value."""
    book = WorkbookBuilder()
    if sheet == "Case":
        book.set_case(column, value)
    else:
        book.rows(sheet)[0][column] = value
    problem = the_problem(check(book, tmp_path), "WB005")
    assert where(problem) == ("WB005", Level.ERROR, sheet, book.cell(sheet, column, 0))
    assert f"{column} {words}" in problem.message
    assert f'"{value}"' in problem.message


@pytest.mark.parametrize(
    ("sheet", "column", "value"),
    [
        ("Case", "Meeting type", "Tea party"),
        ("Case", "Category of harm", "Bad parenting"),
        ("People", "Role", "Uncle"),
        ("Danger statements", "Family's view", "Unsure"),
        ("Next steps", "Status", "Nearly done"),
        ("Harm", "Source", "Rumour"),
    ],
)
def test_value_outside_a_choice_list_is_wb006_listing_the_choices(
    tmp_path: Path, sheet: str, column: str, value: str
) -> None:
    """A choice that is not on the list is WB006 at its cell, listing every allowed value."""
    book = WorkbookBuilder()
    if sheet == "Case":
        book.set_case(column, value)
    else:
        book.rows(sheet)[0][column] = value
    problem = the_problem(check(book, tmp_path), "WB006")
    assert where(problem) == ("WB006", Level.ERROR, sheet, book.cell(sheet, column, 0))
    contract = next(s for s in schema.SHEETS if s.name == sheet)
    choices = next(c.choices for c in contract.columns if c.name == column)
    assert ", ".join(choices) in problem.message
    assert f'"{value}"' in problem.message


def test_formula_without_a_saved_value_is_wb007_at_its_cell(tmp_path: Path) -> None:
    """A formula written by a tool that does not calculate is WB007 at its cell."""
    book = WorkbookBuilder()
    cell = book.cell("Scaling", "Score", 1)

    def add_formula(workbook: Workbook) -> None:
        workbook["Scaling"][cell] = "=3+4"

    validation = check(book.then(add_formula), tmp_path)
    problem = the_problem(validation, "WB007")
    assert where(problem) == ("WB007", Level.ERROR, "Scaling", cell)
    assert "=3+4" in problem.message


def test_excel_error_value_is_wb007_at_its_cell(tmp_path: Path) -> None:
    """A cell showing an Excel error such as #REF! is WB007, never text in a report."""
    book = WorkbookBuilder()
    book.update_row("Grey areas", 1, Question_or_unknown="#REF!")
    problem = the_problem(check(book, tmp_path), "WB007")
    assert where(problem) == ("WB007", Level.ERROR, "Grey areas", "A3")


@pytest.mark.parametrize(
    ("sheet", "index", "duplicate", "first_row"),
    [
        ("Children", 1, "C1", 2),
        ("People", 6, "p5", 6),
        ("Danger statements", 1, "D1", 2),
        ("Safety goals", 1, " G1 ", 2),
    ],
)
def test_id_used_twice_is_wb008_at_the_second_use(
    tmp_path: Path, sheet: str, index: int, duplicate: str, first_row: int
) -> None:
    """An ID used twice on a sheet (whatever its case or spacing) is WB008 at the second one."""
    book = WorkbookBuilder().update_row(sheet, index, ID=duplicate)
    problem = the_problem(check(book, tmp_path), "WB008")
    assert where(problem) == ("WB008", Level.ERROR, sheet, book.cell(sheet, "ID", index))
    assert f"already used in row {first_row}" in problem.message


@pytest.mark.parametrize(
    ("sheet", "column", "index", "value", "words"),
    [
        ("Case", "Report author", 0, "Dr Nobody", "no one on the People or Children sheet"),
        ("Working well", "Who", 0, "P99", "no one on the People or Children sheet"),
        ("Scaling", "Participant", 1, "Kerry", "no one on the People or Children sheet"),
        ("Safety plan", "Who", 0, "Nan", "no one on the People or Children sheet"),
        ("Scaling", "Child", 5, "C9", "no child on the Children sheet"),
        ("Child's views", "Child", 0, "P1", "no child on the Children sheet"),
        ("Harm", "Children", 2, "Mia Hartley, Zed", "no child on the Children sheet"),
        ("Safety goals", "Danger statement", 0, "D9", 'no ID "D9" on the Danger statements'),
        ("Next steps", "Safety goal", 0, "G7", 'no ID "G7" on the Safety goals'),
        ("Working well", "Danger statement", 0, "G1", 'no ID "G1" on the Danger statements'),
    ],
)
def test_reference_to_nothing_is_wb009_naming_what_and_where(
    tmp_path: Path, sheet: str, column: str, index: int, value: str, words: str
) -> None:
    """A person, child or ID that is not on its sheet is WB009 at the cell, saying where it looked."""
    book = WorkbookBuilder()
    if sheet == "Case":
        book.set_case(column, value)
    else:
        book.rows(sheet)[index][column] = value
    problem = the_problem(check(book, tmp_path), "WB009")
    assert where(problem) == ("WB009", Level.ERROR, sheet, book.cell(sheet, column, index))
    assert words in problem.message


def test_a_reference_to_an_empty_sheet_says_to_fill_that_sheet_first(tmp_path: Path) -> None:
    """With no safety goals at all, a next step's goal ID asks for the sheet to be filled in."""
    book = WorkbookBuilder().clear("Safety goals")
    found = [p for p in check(book, tmp_path).problems if p.code == "WB009"]
    assert found and all(p.sheet == "Next steps" for p in found)
    assert "has no rows with an ID yet: fill it in first, or clear this cell" in found[0].message


def test_name_shared_by_two_people_is_wb009_asking_for_the_id(tmp_path: Path) -> None:
    """A name that two people share is never guessed: it is WB009 listing both IDs."""
    book = WorkbookBuilder().update_row("People", 6, Name="Sandra Price")
    book.update_row("Working well", 4, Who="sandra price")
    problem = the_problem(check(book, tmp_path), "WB009")
    assert where(problem) == ("WB009", Level.ERROR, "Working well", "C6")
    assert "(P3 or P7)" in problem.message


def test_references_are_resolved_by_id_in_any_case(tmp_path: Path) -> None:
    """IDs are matched whatever their case and spacing, and stored as the target writes them."""
    book = WorkbookBuilder().update_row("Working well", 0, Who=" p3 ", Danger_statement="d1")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.working_well[0].who == PersonRef("Sandra Price", "P3")
    assert validation.case.working_well[0].danger_statement_id == "D1"


# ------------------------------------------------------------------------ problems together


def test_ten_mistakes_give_ten_problems_at_once_in_sheet_row_column_order(tmp_path: Path) -> None:
    """Ten different mistakes are all reported together, sorted by sheet, row and column."""
    book = WorkbookBuilder()
    book.set_case("Meeting type", "Tea party")
    book.set_case("Mapping date", "2026-13-01")
    book.update_row("Children", 1, Date_of_birth="next week")
    book.update_row("People", 3, Role="Neighbour", Safety_network="perhaps")
    book.add_row("Danger statements", ID="D2", Statement="Dean may drive after drinking.")
    book.update_row("Safety goals", 0, Sustained_for="six")
    book.update_row("Next steps", 2, Who=None)
    book.update_row("Scaling", 1, Score=12)
    book.update_row("Scaling", 3, Reason="")
    book.update_row("Safety plan", 1, Who="Nobody")
    validation = check(book, tmp_path)
    expected = [
        ("WB006", "Case", "B4"),
        ("WB005", "Case", "B6"),
        ("WB005", "Children", "C3"),
        ("WB006", "People", "D5"),
        ("WB005", "People", "G5"),
        ("WB008", "Danger statements", "A4"),
        ("WB005", "Safety goals", "D2"),
        ("SOS103", "Next steps", "B4"),
        ("SOS104", "Scaling", "D3"),
        ("SOS105", "Scaling", "E5"),
        ("WB009", "Safety plan", "C3"),  # Who: after Rule and Words for the children,
    ]
    assert [(p.code, p.sheet, p.cell) for p in validation.errors] == expected
    assert validation.case is None
    assert not validation.ok


def test_a_picture_that_cannot_be_read_is_a_doc001_warning_at_its_cell(tmp_path: Path) -> None:
    """A damaged picture over a page is a warning naming its cell; the case is still made."""
    book = WorkbookBuilder().with_picture("Words and pictures", index=1)
    validation = validate(read_workbook(damage_pictures(book.write(tmp_path / "case.xlsx"))))
    problem = the_problem(validation, "DOC001")
    cell = book.cell("Words and pictures", "Picture", 1)
    assert where(problem) == ("DOC001", Level.WARNING, "Words and pictures", cell)
    assert "PNG or JPEG" in problem.message
    assert validation.ok and validation.case is not None
    assert all(page.picture is None for page in validation.case.words_and_pictures)


def test_warnings_alone_still_give_the_case(tmp_path: Path) -> None:
    """A workbook with only warnings is valid: the case comes back with the warnings."""
    validation = check(WorkbookBuilder().update_row("Next steps", 0, Who="School"), tmp_path)
    assert [p.code for p in validation.problems] == ["SOS204"]
    assert validation.ok
    assert validation.case is not None
    assert validation.case.next_steps[0].who == PersonRef("School")


# ------------------------------------------------------------------------ tolerance


@pytest.mark.parametrize(
    ("sheet", "title"),
    [
        ("Danger statements", "Danger Statement"),
        ("Children", "  CHILDREN  "),
        ("Scaling", "scaling "),
        ("People", "People involved"),
        ("Child's views", "Childs Views"),
        ("Child's views", "Child’s views"),
        ("Words and pictures", "Words & Pictures"),
        ("Case", "case details"),
    ],
)
def test_sheet_names_in_any_case_spacing_and_alias_are_found(
    tmp_path: Path, example_case: MappingCase, sheet: str, title: str
) -> None:
    """Sheets are found by name in any case, with extra spaces, `:`/`*` and aliases."""
    validation = check(WorkbookBuilder().rename_sheet(sheet, title), tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case


def test_problems_name_the_sheet_as_the_file_titles_it(tmp_path: Path) -> None:
    """A problem on a renamed sheet names the tab as it is in the file, to find it there."""
    book = (
        WorkbookBuilder()
        .rename_sheet("Scaling", "Scaling scores")
        .update_row("Scaling", 0, Score=11)
    )
    assert the_problem(check(book, tmp_path), "SOS104").sheet == "Scaling scores"


@pytest.mark.parametrize(
    ("sheet", "column", "header"),
    [
        ("Children", "Date of birth", "DOB"),
        ("Scaling", "Score", "Score (0-10)"),
        ("People", "Name", "  NAME: "),
        ("Next steps", "By when", "By When*"),
        ("Danger statements", "Family's view", "Family’s View"),
        ("Safety goals", "Sustained for", "Sustained for (months)"),
        ("Case", "Report author", "Author:"),
    ],
)
def test_headers_in_any_case_spacing_and_alias_are_found(
    tmp_path: Path, example_case: MappingCase, sheet: str, column: str, header: str
) -> None:
    """Column headers (and Case labels) are matched in any case, spacing, `:`/`*` and alias."""
    validation = check(WorkbookBuilder().rename_header(sheet, column, header), tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case


def test_numbers_typed_as_text_are_read_as_numbers(
    tmp_path: Path, example_case: MappingCase
) -> None:
    """Scores, months and page numbers typed as text ("7") read as the numbers."""
    book = WorkbookBuilder()
    for index, row in enumerate(book.rows("Scaling")):
        book.update_row("Scaling", index, Score=f" {row['Score']} ")
    book.update_row("Safety goals", 0, Sustained_for="6")
    book.update_row("Words and pictures", 0, Page="1")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case


@pytest.mark.parametrize(
    "text", ["14/03/2017", "14-03-2017", "14.03.2017", "14 March 2017", "14 Mar 2017", "2017-03-14"]
)
def test_dates_typed_as_text_are_read_day_first(tmp_path: Path, text: str) -> None:
    """A date typed as text in each accepted form is the same date."""
    book = WorkbookBuilder().update_row("Children", 0, Date_of_birth=text)
    book.set_case("Mapping date", "16/11/2026")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.children[0].date_of_birth == dt.date(2017, 3, 14)
    assert validation.case.details.mapping_date == dt.date(2026, 11, 16)


def test_month_first_dates_are_rejected(tmp_path: Path) -> None:
    """03/14/2017 (month first) is never read: it is WB005 at the cell."""
    book = WorkbookBuilder().update_row("Children", 0, Date_of_birth="03/14/2017")
    problem = the_problem(check(book, tmp_path), "WB005")
    assert where(problem) == ("WB005", Level.ERROR, "Children", "C2")
    assert "day first" in problem.message


def test_yes_no_accepts_y_n_true_false_in_any_case(
    tmp_path: Path, example_case: MappingCase
) -> None:
    """Y, n, TRUE, false and real booleans read the same as Yes and No."""
    book = WorkbookBuilder().update_row("People", 2, Safety_network="y", Knows_the_worries=True)
    book.update_row("People", 0, Lives_with_the_children="TRUE", Safety_network="n")
    book.update_row("Children", 1, Interpreter_needed=False)
    book.set_case("Words and pictures agreed by parents", "Y")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case == example_case


def test_numbers_and_dates_in_text_columns_become_the_text_people_see(tmp_path: Path) -> None:
    """A number in a text cell has no ".0" and a date in a text cell is written day first."""
    book = WorkbookBuilder().set_case("Author contact", 7700900412)
    book.update_row("Safety plan", 0, When=dt.datetime(2026, 12, 1))
    book.update_row("Grey areas", 0, Question_or_unknown=12.5)
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.details.author_contact == "7700900412"
    assert validation.case.safety_plan[0].when == "01/12/2026"
    assert validation.case.grey_areas[0].question == "12.5"


@pytest.mark.parametrize(
    "name", ["Siân Lloyd", "Zoë Price", "Łukasz Nowak", "Nguyễn Văn An", "اسماء"]
)
def test_non_ascii_names_are_kept_exactly_and_resolve_by_name(tmp_path: Path, name: str) -> None:
    """Names in any script are kept exactly, and a cell naming them finds them."""
    book = WorkbookBuilder().update_row("People", 2, Name=name)
    book.update_row("Working well", 0, Who=name)
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.people[2].name == name
    assert validation.case.working_well[0].who == PersonRef(name, "P3")


@pytest.mark.parametrize(
    "text", ["{{ 7*7 }}", "{% for x in children %}{{ x }}{% endfor %}", "<b>&amp; & < >", "{#x#}"]
)
def test_template_and_xml_looking_text_is_kept_literally(tmp_path: Path, text: str) -> None:
    """Text that looks like template code or XML is kept as typed, never changed."""
    book = WorkbookBuilder().update_row("Grey areas", 0, Question_or_unknown=text)
    book.update_row("People", 4, Name_the_children_use=text)
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.grey_areas[0].question == text
    assert validation.case.people[4].name_children_use == text


# ------------------------------------------------------------------------ pictures and order


def _png(colour: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _place_picture(sheet: str, cell: str, colour: str = "red") -> Callable[[Workbook], None]:
    def place(book: Workbook) -> None:
        book[sheet].add_image(SheetImage(io.BytesIO(_png(colour))), cell)

    return place


def test_pictures_placed_over_a_row_belong_to_that_record(tmp_path: Path) -> None:
    """A picture over a words-and-pictures page or safety rule is that record's picture."""
    book = WorkbookBuilder()
    book.then(_place_picture("Words and pictures", "D3"))
    book.then(_place_picture("Safety plan", "E2", "blue"))
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    pages = validation.case.words_and_pictures
    assert [page.picture is not None for page in pages] == [False, True, False, False, False]
    assert pages[1].picture is not None and pages[1].picture.format == "png"
    assert validation.case.safety_plan[0].picture is not None
    assert validation.case.safety_plan[1].picture is None


def test_picture_over_no_record_is_noted(tmp_path: Path) -> None:
    """A picture below the last page is not lost silently: it is listed in the notes."""
    book = WorkbookBuilder().then(_place_picture("Words and pictures", "D20"))
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert len(validation.notes) == 1
    assert validation.notes[0].startswith("Words and pictures!D20: this picture is not over a row")


def test_words_and_pictures_pages_are_sorted_by_page(tmp_path: Path) -> None:
    """Pages typed out of order come back in page order."""
    book = WorkbookBuilder()
    book.rows("Words and pictures").reverse()
    validation = check(book, tmp_path)
    assert validation.case is not None
    pages = validation.case.words_and_pictures
    assert [p.page for p in pages] == [1, 2, 3, 4, 5]
    assert pages[0].heading == "Our family"
    assert pages[0].source is not None and pages[0].source.row == 6


# ------------------------------------------------------------------------ open-ended input

# Text openpyxl can write and read back unchanged: no control characters but line breaks, no
# surrogates or non-characters, and not starting with "=" (openpyxl would store a formula).
FREE_TEXT = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs", "Cn", "Co"), include_characters="\n\t"),
    min_size=1,
    max_size=300,
).filter(
    lambda t: bool(t.strip()) and not t.startswith("=") and t.strip().upper() not in EXCEL_ERRORS
)

NAMES = st.text(
    alphabet=st.characters(categories=("L", "M", "Zs"), exclude_characters="\u00a0"),
    min_size=1,
    max_size=40,
).map(str.strip)

SLOW_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SLOW_SETTINGS
@given(text=FREE_TEXT)
def test_any_danger_statement_text_round_trips_stripped(tmp_path: Path, text: str) -> None:
    """Arbitrary text in a danger statement never crashes and arrives stripped, otherwise as typed."""
    book = WorkbookBuilder().update_row("Danger statements", 1, Statement=text)
    validation = check(book, tmp_path)
    assert validation.errors == ()
    assert validation.case is not None
    assert validation.case.danger_statements[1].statement == text.strip()


@SLOW_SETTINGS
@given(name=NAMES)
def test_any_name_resolves_by_exact_name(tmp_path: Path, name: str) -> None:
    """A person with any name is found when another cell gives that name exactly."""
    example = WorkbookBuilder()
    taken = {
        fold(str(row[key]))
        for sheet in ("Children", "People")
        for row in example.rows(sheet)
        for key in ("ID", "Name")
    }
    assume(name and fold(name) not in taken)
    book = WorkbookBuilder().update_row("People", 2, Name=name)
    book.update_row("Working well", 4, Who=name)
    validation = check(book, tmp_path)
    assert validation.errors == ()
    assert validation.case is not None
    assert validation.case.working_well[4].who == PersonRef(name, "P3")


CELL_VALUES = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(["C1", "P5", "D1", "G1", "Yes", "n", "19/05/2025", "Mia Hartley", "#N/A"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.builds(model.FormulaWithoutValue, st.text(max_size=10)),
)


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, 14), st.integers(1, 12), st.integers(1, 12), CELL_VALUES),
        max_size=25,
    )
)
def test_any_cell_content_never_crashes_validation(
    example_raw: model.RawWorkbook, changes: list[tuple[int, int, int, object]]
) -> None:
    """Whatever values any cells of the example hold, validation returns problems, never raises."""
    sheets = list(example_raw.sheets)
    for index, row, column, value in changes:
        cells = dict(sheets[index].cells)
        cells[(row, column)] = value  # type: ignore[assignment]
        sheets[index] = dataclasses.replace(sheets[index], cells=cells)
    validation = validate(dataclasses.replace(example_raw, sheets=tuple(sheets)), today=TODAY)
    assert all(p.message for p in validation.problems)
    assert (validation.case is None) == bool(validation.errors)


def test_a_child_is_found_by_their_known_as_name(tmp_path: Path) -> None:
    """A scaling row naming a child by Known as ("Mia") means that child, as her ID would."""
    book = WorkbookBuilder()
    mia = next(row for row in book.rows("Children") if row.get("Known as") == "Mia")
    for row in book.rows("Scaling"):
        if row.get("Participant") == mia["ID"]:
            row["Participant"] = "Mia"
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert any(s.participant.id == mia["ID"] for s in validation.case.scaling)


def test_problems_of_a_reshaped_workbook_point_into_the_teams_own_cells(tmp_path: Path) -> None:
    """A reshaped workbook's origins move each problem to the team's own sheet and cell."""
    path = (
        WorkbookBuilder()
        .update_row("Harm", 0, **{"What happened": None})
        .write(tmp_path / "w.xlsx")
    )
    raw = read_workbook(path)
    plain = validate(raw, today=dt.date(2026, 3, 1))
    moved_from = next(p for p in plain.problems if p.sheet == "Harm" and p.cell)
    reshaped = dataclasses.replace(
        raw,
        shape="a one-page map",
        origins={("Harm", moved_from.cell): model.CellOrigin("Map", "A7")},
        sheet_origins={"Case": model.CellOrigin("Map", "B1")},
    )
    result = validate(reshaped, today=dt.date(2026, 3, 1))
    moved = [p for p in result.problems if p.code == moved_from.code]
    assert [(p.sheet, p.cell) for p in moved][:1] == [("Map", "A7")]
    assert all(p.sheet != "Case" for p in result.problems)
    assert reshaped.origin_of("Case", "B9") == model.CellOrigin("Map", "B1")
    assert reshaped.origin_of("People", "A2") is None
