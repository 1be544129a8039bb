"""The mapping workbook people fill in (format 2), blank or with the example family, written from the contract."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import Rule as FormatRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import absolute_coordinate, get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs import codes, model
from sos_docs.config import DEFAULT_PROTECTIVE_MARKING
from sos_docs.errors import SosDocsError
from sos_docs.workbook import example as example_case
from sos_docs.workbook import schema
from sos_docs.workbook.cells import whole_number_example
from sos_docs.workbook.schema import Column, ColumnKind, Question, Sheet

__all__ = [
    "DATA_LAST_ROW",
    "DATE_FORMAT",
    "ChoiceLists",
    "add_validation",
    "build_workbook",
    "describe",
    "input_message",
    "mark_printed_pages",
    "save_new_workbook",
    "set_up_printing",
    "write_blank_workbook",
    "write_example_workbook",
    "write_table",
]

logger = logging.getLogger(__name__)

Row = Mapping[str, object]
ErrorStyle = Literal["stop", "warning"]

DATE_FORMAT = "dd/mm/yyyy"
HEADER_ROW = 1
DATA_FIRST_ROW = 2
DATA_LAST_ROW = 500  # drop-downs and checks reach this far down each table
WRAP_FROM_WIDTH = 40  # text columns at least this wide wrap their text
PICTURE_ROW_HEIGHT = 75  # points: room to drop a picture over a row's cells
RULED_ROWS = 15  # empty rows under each table's header, bordered so a printout is a paper form
LISTS_SHEET = "Lists"
INLINE_LIST_LIMIT = 255  # Excel refuses (and "repairs" away) longer inline drop-down lists
TITLE_LIMIT = 32  # Excel's limit for input and error message titles
PROMPT_LIMIT = 255  # Excel's limit for an input message
ERROR_LIMIT = 225  # Excel's limit for an error message
EARLIEST_DATE = "DATE(1900,1,1)"
LATEST_DATE = "DATE(2199,12,31)"
REPORT_AUTHOR = schema.CASE.column("report_author")  # someone on People, never a child
YES_NO = ("Yes", "No")
MISSING_FILL = PatternFill("solid", start_color="FCE4D6", end_color="FCE4D6")  # light orange
WORKBOOK_TITLE = "Signs of Safety mapping workbook"
WORKBOOK_SUBJECT = "The Signs of Safety map of one family, for sos-docs to make the paperwork"
EXAMPLE_LIMIT = 60  # characters of an example value shown in a note
EXAMPLE_DATE = "19/05/2025"
ID_PREFIXES = schema.ID_PREFIXES  # C1, P1, D1, G1
WORKBOOK_RULE_PREFIXES = ("WB", "SOS")  # the codes that are rules of the workbook

BOLD = Font(bold=True)
NOTE_FONT = Font(italic=True, color="595959")
TITLE_FONT = Font(bold=True, size=16)
HEADING_FONT = Font(bold=True, size=12)

# One-line summaries for the Instructions sheet where the contract has no intro of its own.
SHEET_SUMMARIES = {
    "Agency involvement": "One row per agency working with the family: the worker, since when, "
    "what support they give and when they last saw the children.",
    "Complicating factors": "Things that make the worries harder to fix, one per row.",
    "Grey areas": "Things nobody knows yet, or facts people disagree about, one per row.",
    "Working well": "Existing strengths (people, habits and plans that help the children) and "
    "existing safety (what someone actually did to keep the children safe when the danger "
    "was there). For existing safety, give the danger statement's ID.",
    "Safety goals": "For each danger statement, what the parents will be doing and what the "
    "children will experience, in positive words everyone can see, and for how many months. "
    "IDs are G1, G2 ...",
    "Next steps": "Who does what by when: each action with a named person and a date.",
    "Safety plan": "The everyday rules the family and the safety network agree, each with who "
    "keeps it and when.",
}


# --------------------------------------------------------------------------------------------
# Public entry points


def write_blank_workbook(
    path: Path,
    *,
    example: bool = False,
    today: dt.date | None = None,
    marking: str = DEFAULT_PROTECTIVE_MARKING,
) -> Path:
    """Write a new mapping workbook at `path` (blank, or the example family made on `today`),
    with `marking` at the top of every printed page."""
    book = build_workbook(example=example, today=today, marking=marking)
    target = save_new_workbook(book, Path(path))
    logger.info("Wrote %s mapping workbook %s", "example" if example else "blank", target)
    return target


def write_example_workbook(path: Path, today: dt.date | None = None) -> Path:
    """Write the mapping workbook filled in with the fictional family, dated from `today`."""
    return write_blank_workbook(path, example=True, today=today)


def build_workbook(
    *,
    example: bool = False,
    today: dt.date | None = None,
    marking: str = DEFAULT_PROTECTIVE_MARKING,
) -> Workbook:
    """The whole workbook in memory: Instructions, then every contract sheet in contract order.

    The example's dates are relative to `today` (default: the real today). Every sheet prints
    landscape with `marking` in its page header; the sheets cannot be renamed, moved or deleted,
    while every cell stays editable.
    """
    case, rows = example_case.rows_for(today or dt.date.today()) if example else (_BLANK_CASE, {})
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    lists = ChoiceLists()
    _write_instructions(book.create_sheet(schema.INSTRUCTIONS_SHEET))
    for contract in schema.SHEETS:
        sheet = book.create_sheet(contract.name)
        sheet.sheet_properties.tabColor = schema.TAB_COLOURS[contract.question]
        if contract.key_value:
            _write_case(sheet, contract, _case_values(case), lists)
        else:
            write_table(sheet, contract, rows.get(contract.name, []), lists)
    if example:
        example_case.place_pictures(book, rows)
    lists.write_into(book)
    _define_id_lists(book)
    for sheet in book.worksheets:
        set_up_printing(sheet, marking)
    describe(book, str(case.get(CASE_REFERENCE) or ""))
    book.security = WorkbookProtection(lockStructure=True)  # no password: Review > Protect
    return book


CASE_REFERENCE = schema.CASE.column("case_reference").name


def describe(book: Workbook, case_reference: str = "") -> None:
    """Document properties: sos-docs made it, what it is, and (filled in) which case."""
    # The installed version (importing sos_docs itself would load the whole public API).
    made_by = f"sos-docs {importlib.metadata.version('sos-docs')}"
    book.properties.creator = made_by
    book.properties.lastModifiedBy = made_by
    book.properties.title = WORKBOOK_TITLE
    book.properties.subject = (
        f"{WORKBOOK_SUBJECT}: case {case_reference}" if case_reference else WORKBOOK_SUBJECT
    )
    book.properties.identifier = case_reference or None
    book.properties.keywords = "Signs of Safety; mapping; sos-docs"


# The blank workbook says which format it is; the example's own values say its format.
_BLANK_CASE: Row = {schema.CASE.column("format_version").name: schema.FORMAT_VERSION}


def _case_values(case: Row) -> Row:
    """The Case sheet's values: the scale's defaults, then the example's (if any)."""
    defaults: dict[str, object] = {
        "Scale zero means": model.DEFAULT_SCALE_ZERO,
        "Scale ten means": model.DEFAULT_SCALE_TEN,
    }
    defaults.update({k: v for k, v in case.items() if v is not None})
    return defaults


# --------------------------------------------------------------------------------------------
# Instructions


def _write_instructions(sheet: Worksheet) -> None:
    sheet.sheet_properties.tabColor = schema.TAB_COLOURS[Question.ABOUT]
    sheet.column_dimensions["A"].width = 3
    sheet.column_dimensions["B"].width = 110
    fonts = {"title": TITLE_FONT, "heading": HEADING_FONT, "text": Font()}
    for row, (style, text, question) in enumerate(_instruction_lines(), start=1):
        cell = _cell(sheet, row, 2)
        _put(cell, text)
        cell.font = fonts[style]
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if question is not None:
            colour = schema.TAB_COLOURS[question]
            sheet.cell(row, 1).fill = PatternFill("solid", start_color=colour, end_color=colour)
    fit_rows(sheet, ("B",))


Line = tuple[str, str, Question | None]


def _instruction_lines() -> list[Line]:
    return [
        ("title", "Signs of Safety mapping workbook", None),
        ("text", _purpose(), None),
        ("text", "", None),
        *_map_lines(),
        ("text", "", None),
        *_sheet_lines(),
        ("text", "", None),
        *_filling_in_lines(),
        ("text", "", None),
        *_picture_lines(),
        ("text", "", None),
        *_decision_lines(),
        ("text", "", None),
        *_finishing_lines(),
        ("text", "", None),
        *_rule_lines(),
    ]


def _purpose() -> str:
    return (
        "Use this workbook to record the Signs of Safety map of one family, during or after the "
        "meeting. sos-docs reads it and writes the paperwork for you: for a child protection "
        "conference the professional report to the conference, for any other meeting a record "
        "of the mapping, and the words and pictures safety plan for the children. Everything it "
        "needs comes from the sheets in this workbook, so please "
        f"fill them in as described below. (Mapping workbook format {schema.FORMAT_VERSION}.)"
    )


def _map_lines() -> list[Line]:
    return [
        ("heading", "The map: three questions and a scale", None),
        (
            "text",
            "What are we worried about? Harm (what adults have already done or not done that hurt "
            "the children), danger statements (what we fear will happen if nothing changes, in "
            "plain words the family can understand), complicating factors (what makes it harder "
            "to fix) and grey areas (what we don't know, or disagree about).",
            Question.WORRIED,
        ),
        (
            "text",
            "What's working well? Existing strengths (people, habits and plans that help the "
            "children) and existing safety (what someone actually did to keep the children safe "
            "when the danger was there).",
            Question.WORKING_WELL,
        ),
        (
            "text",
            "What needs to happen? Safety goals (what will be different, and for how long), next "
            "steps (who does what by when) and the safety plan (the everyday rules the family and "
            "network agree).",
            Question.NEEDS_TO_HAPPEN,
        ),
        (
            "text",
            "Scaling: each person gives a score from 0 to 10 with their reason. "
            f"0 means: {model.DEFAULT_SCALE_ZERO} 10 means: {model.DEFAULT_SCALE_TEN} "
            "Scores are kept per person, never averaged. If your team runs the scale differently, "
            "change the wording on the Case sheet.",
            Question.SCALING,
        ),
        (
            "text",
            "The child's voice: the child's views in their own words, exactly as they said them, "
            "and the words and pictures story written for the children.",
            Question.CHILD,
        ),
        (
            "text",
            "The colour of each sheet's tab shows which question it belongs to; grey tabs are "
            "about the case, the children and the people around them.",
            Question.ABOUT,
        ),
    ]


def _sheet_lines() -> list[Line]:
    lines: list[Line] = [("heading", "How to fill in each sheet", None)]
    for contract in schema.SHEETS:
        text = f"{contract.name} ({_need(contract)}): {_summary(contract)}"
        lines.append(("text", text, contract.question))
    return lines


# Optional sheets some rules still ask rows of (SOS106: each child who is born has a view).
NEEDED_BY_RULE = {"Child's views": "a row for each child who is born (SOS106)"}


def _need(contract: Sheet) -> str:
    if contract.at_least_one_row:
        return "required, at least one row"
    if contract.required:
        return "required"
    return NEEDED_BY_RULE.get(contract.name, "optional, can be left empty")


def _summary(contract: Sheet) -> str:
    return contract.intro or SHEET_SUMMARIES.get(contract.name, "One row per entry.")


def _filling_in_lines() -> list[Line]:
    return [
        ("heading", "Filling in the cells", None),
        ("text", "A * after a heading or label means it must be filled in.", None),
        (
            "text",
            "IDs link the rows: children are C1, C2 ..., people P1, P2 ..., danger statements "
            "D1, D2 ... and safety goals G1, G2 .... Other sheets use them: a safety goal names "
            "its danger statement (D1), a next step names who will do it (P5) and its safety goal "
            "(G1). Where a column asks for a person, you can also write their name exactly as it "
            "is on the People or Children sheet.",
            None,
        ),
        (
            "text",
            "Dates are day first: 19/05/2025 or 19 May 2025, never month first.",
            None,
        ),
        (
            "text",
            "Click a cell to see a short note on what goes in it: whether it is required, what "
            "to type and an example. Where a cell has a drop-down arrow, choose from the list. "
            "Columns that point to another sheet (a danger statement, a safety goal, a person, "
            "a child) drop down the IDs or names already filled in there, so fill in Children, "
            "People and Danger statements first. You can still type a name, or a role such as "
            "School, where the note says so.",
            None,
        ),
        (
            "text",
            "Once you start a row, any required cell still empty in it turns light orange; it "
            "goes back to white when you fill it in.",
            None,
        ),
        (
            "text",
            "Write in plain words the family can understand. To start a new line inside a cell, "
            "press Alt+Enter. Leave one row per record; blank rows are skipped.",
            None,
        ),
        (
            "text",
            "The sheets are locked so they cannot be renamed, moved or deleted by accident; "
            "every cell can still be changed. Please don't rename the headings either. You can "
            "add your own columns; sos-docs leaves them out. (To add a sheet of your own, unlock "
            "the sheets with Review > Protect Workbook: there is no password.)",
            None,
        ),
        (
            "text",
            "Printing: each sheet prints landscape, one page wide, with its headings on every "
            "page and the protective marking at the top; the Case sheet fits on one page. "
            "Children and People print two pages wide, with ID and Name on both. Each table "
            f"prints {RULED_ROWS} empty rows with lines to write in by hand, so a printed blank "
            "workbook can be used as a paper form; rows you fill in below them print too.",
            None,
        ),
    ]


def _picture_lines() -> list[Line]:
    return [
        ("heading", "Pictures", None),
        (
            "text",
            "On the Safety plan and Words and pictures sheets, a picture belongs to the row it "
            "sits on. Click a cell in that row, choose Insert > Pictures (Place over Cells, not "
            "Place in Cell) and drag the picture so its top-left corner is over that row's cells.",
            None,
        ),
    ]


def _decision_lines() -> list[Line]:
    review = ", ".join(schema.REVIEW_RECOMMENDATIONS)
    first = ", ".join(schema.INITIAL_RECOMMENDATIONS)
    return [
        ("heading", "Meetings, decisions and the report", None),
        (
            "text",
            f"Recommendation: an initial or pre-birth conference chooses from {first}. A review "
            f"conference chooses from {review}; a child not yet on a plan (such as a new baby) "
            "may have Child protection plan. Other meetings (child in need, core group, family "
            "network, strategy discussion) make no recommendation: leave it empty.",
            None,
        ),
        (
            "text",
            "Each child: the Case sheet's Recommendation and Category of harm are for every "
            "child; a child whose decision differs gets their own in the Children sheet's "
            "Recommendation and Category of harm. Known as is the name the child is called by. "
            "For a review, Plan start date is the day the child's current plan began.",
            None,
        ),
        (
            "text",
            "Multiple categories: choose Multiple and name them in Categories (Neglect, "
            "Emotional abuse), or type them straight into Category of harm separated by commas.",
            None,
        ),
        (
            "text",
            "People: Children says which children a relationship applies to (for example C3 for "
            "the father of C3 only); blank means all of them. First language and Interpreter "
            "needed are for the adults.",
            None,
        ),
        (
            "text",
            "Views and disputes: on Family's views give each person's own view (Agree, Partly "
            "agree, Disagree) of a danger statement (its ID in About), of a Harm row (its row "
            "number), or of the worries overall (About blank), in their own words. On Harm, "
            "Disputed by and Their account record who says it did not happen that way and what "
            "they say.",
            None,
        ),
        (
            "text",
            "Pre-birth conferences: put what will happen at the birth and when the baby goes "
            "home on the Birth plan sheet. No scaling score or view is asked of an unborn baby.",
            None,
        ),
        (
            "text",
            "The report: Report date is the day you sign it, before the meeting and before it is "
            "shared with the parents. A conference report needs the manager's approval (Manager "
            "name, Manager role, Manager approved on), and should reach the parents at least 3 "
            "working days before an initial or pre-birth conference, 5 before a review (your "
            "team may set other numbers). Previous scaling holds scores from conferences before "
            "sos-docs was used.",
            None,
        ),
        (
            "text",
            f"Leave Format on the Case sheet as {schema.FORMAT_VERSION}: it tells sos-docs how to "
            "read this workbook.",
            None,
        ),
    ]


def _rule_lines() -> list[Line]:
    """Every rule the workbook is checked against, from the one table of codes."""
    lines: list[Line] = [
        ("heading", "The checks sos-docs makes", None),
        (
            "text",
            "An error stops the documents until it is fixed; a warning comes with the documents. "
            "Each problem names its sheet and cell and says how to fix it.",
            None,
        ),
    ]
    for entry in codes.CODES.values():
        if entry.code.startswith(WORKBOOK_RULE_PREFIXES):
            lines.append(("text", f"{entry.code} ({entry.level.value}): {entry.meaning}", None))
    return lines


def _finishing_lines() -> list[Line]:
    return [
        ("heading", "When you have finished", None),
        (
            "text",
            "Save the workbook as an Excel Workbook (.xlsx) and put it into your team's inbox "
            "folder. The reports appear in the reports folder. If something needs fixing, the "
            "workbook goes to the rejected folder with a list of the problems, each with its "
            "sheet and cell; fix them and put the workbook back into the inbox.",
            None,
        ),
    ]


# --------------------------------------------------------------------------------------------
# Case (key/value) and table sheets


def _write_case(sheet: Worksheet, contract: Sheet, values: Row, lists: ChoiceLists) -> None:
    sheet.column_dimensions["A"].width = max(len(c.header) for c in contract.columns) + 4
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 60
    for row, column in enumerate(contract.columns, start=1):
        label = sheet.cell(row, 1, column.header)
        label.font = BOLD
        label.alignment = Alignment(vertical="top")
        _write_value(_cell(sheet, row, 2), column, values.get(column.name), wrap=True)
        _write_note(_cell(sheet, row, 3), input_message(contract, column))
        add_validation(sheet, contract, column, f"B{row}", lists)
    fit_case_rows(sheet)


LINE_HEIGHT = 15  # points: one line of 11-point text
CASE_TEXT_COLUMNS = ("B", "C")


def fit_case_rows(sheet: Worksheet) -> None:
    """Make each Case row tall enough for its wrapped value and note."""
    fit_rows(sheet, CASE_TEXT_COLUMNS)


def fit_rows(sheet: Worksheet, letters: Sequence[str]) -> None:
    """Make each row tall enough for the wrapped text in these columns.

    A file written by openpyxl has no row heights, and LibreOffice (and Excel for some rows)
    then prints wrapped text over the rows below it; the height is estimated from the text.
    """
    for row in range(1, sheet.max_row + 1):
        lines = max(_lines(sheet, f"{letter}{row}") for letter in letters)
        size = max(float(sheet[f"{letter}{row}"].font.sz or 11) for letter in letters)
        sheet.row_dimensions[row].height = lines * max(LINE_HEIGHT, round(size * 1.4))


def _lines(sheet: Worksheet, where: str) -> int:
    """How many lines a wrapped cell's text takes in its column (at least one)."""
    value = sheet[where].value
    if value is None or not isinstance(value, str):
        return 1
    width = sheet.column_dimensions[where.rstrip("0123456789")].width or 10
    per_line = max(int(width) - 6, 10)  # room for wider letters than the average
    return sum(max(1, -(-len(part) // per_line)) for part in value.split("\n"))


def _write_note(cell: Cell, note: str) -> None:
    """A grey note beside a Case value saying what goes in it (the reader only reads A and B)."""
    if note:
        cell.value = note
        cell.font = NOTE_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_table(
    sheet: Worksheet,
    contract: Sheet,
    rows: Iterable[Row],
    lists: ChoiceLists,
    *,
    id_lists: bool = True,
) -> None:
    """A table sheet: its header row, each column's note and check, then `rows`.

    Without `id_lists` (a sheet beside a one-page map, which has no ID sheets) a column of IDs
    or names gets no drop-down.
    """
    fill = _header_fill(contract.question)
    for index, column in enumerate(contract.columns, start=1):
        letter = get_column_letter(index)
        _style_column(sheet, letter, column)
        header = sheet.cell(HEADER_ROW, index, column.header)
        header.font, header.fill = BOLD, fill
        header.alignment = Alignment(wrap_text=True, vertical="center")
        cells = f"{letter}{DATA_FIRST_ROW}:{letter}{DATA_LAST_ROW}"
        add_validation(sheet, contract, column, cells, lists, id_lists=id_lists)
    _show_missing_required(sheet, contract)
    _rule_rows(sheet, contract)
    sheet.freeze_panes = f"A{DATA_FIRST_ROW}"
    if any(c.kind is ColumnKind.PICTURE for c in contract.columns):
        for row in range(DATA_FIRST_ROW, DATA_LAST_ROW + 1):
            sheet.row_dimensions[row].height = PICTURE_ROW_HEIGHT
    for row, record in enumerate(rows, start=DATA_FIRST_ROW):
        for index, column in enumerate(contract.columns, start=1):
            _write_value(_cell(sheet, row, index), column, record.get(column.name))


RULED = Border(left=Side("thin"), right=Side("thin"), top=Side("thin"), bottom=Side("thin"))


def _rule_rows(sheet: Worksheet, contract: Sheet) -> None:
    """Thin borders round the first rows' cells, so the printed blank has rows to write in.

    There is no fixed print area: Excel and LibreOffice print down to the last bordered or
    filled cell, so rows typed below these still print. A bordered cell keeps its column's
    wrapping and date format, which Excel takes from the cell once the cell has a style.
    """
    last = DATA_FIRST_ROW + RULED_ROWS - 1
    for index, column in enumerate(contract.columns, start=1):
        for row in range(DATA_FIRST_ROW, last + 1):
            cell = _cell(sheet, row, index)
            cell.border = RULED
            _write_value(cell, column, None)


def _style_column(sheet: Worksheet, letter: str, column: Column) -> None:
    """Style the whole column, so cells typed later are formatted like the ones written now."""
    dimension = sheet.column_dimensions[letter]
    dimension.width = column.width
    dimension.alignment = _alignment(column)
    if column.kind is ColumnKind.DATE:
        dimension.number_format = DATE_FORMAT


def _alignment(column: Column, *, wrap: bool = False) -> Alignment:
    wide_text = column.kind is ColumnKind.TEXT and column.width >= WRAP_FROM_WIDTH
    return Alignment(wrap_text=wrap or wide_text, vertical="top")


def _write_value(cell: Cell, column: Column, value: object, *, wrap: bool = False) -> None:
    cell.alignment = _alignment(column, wrap=wrap or (isinstance(value, str) and "\n" in value))
    if column.kind is ColumnKind.DATE:
        cell.number_format = DATE_FORMAT
    if value is not None and value != "":
        _put(cell, value)


def _cell(sheet: Worksheet, row: int, column: int) -> Cell:
    """A plain cell: the sheets written here never merge cells."""
    cell = sheet.cell(row, column)
    assert isinstance(cell, Cell)
    return cell


def _put(cell: Cell, value: object) -> None:
    """Set a cell's value; text starting with `=` stays text and never becomes a formula."""
    cell.value = value  # type: ignore[assignment]
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def _header_fill(question: Question) -> PatternFill:
    """A pale shade of the question's tab colour, so black header text stays readable."""
    colour = schema.TAB_COLOURS[question]
    channels = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    pale = "".join(f"{round(c + (255 - c) * 0.75):02X}" for c in channels)
    return PatternFill("solid", start_color=pale, end_color=pale)


# --------------------------------------------------------------------------------------------
# Excel data validation: drop-downs, numbers, dates and the notes shown on each cell


def add_validation(
    sheet: Worksheet,
    contract: Sheet,
    column: Column,
    cells: str,
    lists: ChoiceLists,
    *,
    id_lists: bool = True,
    prompt: str = "",
) -> None:
    """Every value cell gets a note (what to type, an example, required or not) and any check.

    `prompt` replaces the column's own note; without `id_lists` a column of IDs or names
    offers no drop-down (the sheets it would list are not in the workbook).
    """
    validation = _validation_for(column, lists, id_lists=id_lists)
    validation.promptTitle = _title(column)
    validation.prompt = prompt[:PROMPT_LIMIT] if prompt else input_message(contract, column)
    validation.showInputMessage = True
    if validation.type is not None:
        validation.errorTitle = _title(column)
        validation.error = _error_message(column)[:ERROR_LIMIT]
        validation.errorStyle, validation.showErrorMessage = _error_style(column)
    validation.add(cells)
    sheet.add_data_validation(validation)


def _title(column: Column) -> str:
    """The note's title: the column's header, else a short alias, cut at a word to fit Excel."""
    fitting = [name for name in (column.header, *column.aliases) if len(name) <= TITLE_LIMIT]
    title = fitting[0] if fitting else column.header
    while len(title) > TITLE_LIMIT:
        title = title.rsplit(" ", 1)[0]
    return title


def _error_style(column: Column) -> tuple[ErrorStyle, bool]:
    """How Excel answers a value outside the check: stop it, warn, or say nothing.

    A list of IDs or names that sos-docs reads more widely (a name instead of an ID, a child
    in a person column, an ID in another case) never stops what is typed.
    """
    if column.kind in (ColumnKind.PERSON, ColumnKind.CHILD):
        return "stop", False
    if column.kind is ColumnKind.REF:
        return "warning", True
    # A column that takes several choices ("Neglect, Emotional abuse") only warns, so a
    # list typed in is kept; sos-docs checks each name.
    return ("warning" if column.several else "stop"), True


def _validation_for(column: Column, lists: ChoiceLists, *, id_lists: bool = True) -> DataValidation:
    """The check Excel applies as people type; a free-text column gets a note and no check."""
    if column.kind is ColumnKind.CHOICE:
        return DataValidation(type="list", formula1=lists.formula(column.choices), allow_blank=True)
    if column.kind is ColumnKind.YESNO:
        return DataValidation(type="list", formula1=lists.formula(YES_NO), allow_blank=True)
    if column.kind is ColumnKind.WHOLE:
        return _whole_number_validation(column)
    if column.kind is ColumnKind.DATE:
        return DataValidation(
            type="date",
            operator="between",
            formula1=EARLIEST_DATE,
            formula2=LATEST_DATE,
            allow_blank=True,
        )
    if id_lists and (source := _drop_down_source(column)) is not None:
        return DataValidation(type="list", formula1=source, allow_blank=True)
    return DataValidation(allow_blank=True)


def _is_score(column: Column) -> bool:
    """True for a scaling score (Scaling's and Previous scaling's): 0 to 10."""
    return column.kind is ColumnKind.WHOLE and column.field == "score"


def _whole_number_validation(column: Column) -> DataValidation:
    if _is_score(column):
        return DataValidation(
            type="whole", operator="between", formula1="0", formula2="10", allow_blank=True
        )
    return DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )


def input_message(contract: Sheet, column: Column) -> str:
    """The note shown when someone clicks a cell: required or not, what to type, an example."""
    what = " ".join(filter(None, (column.help, _what_to_type(contract, column))))
    parts = [_column_need(column), what, _list_note(column)]
    example = _example(contract, column)
    if example and not any(shown in what for shown in ("e.g.", "example", "19/05/")):
        parts.append(f"For example: {example}")
    message = " ".join(p for p in parts if p)
    return message if len(message) <= PROMPT_LIMIT else " ".join(p for p in parts[:3] if p)


def _column_need(column: Column) -> str:
    if column.required:
        return "Required."
    if column.help.casefold().startswith("required"):
        return ""  # the help opens with when it is required ("Required for conferences ...")
    if "required" in column.help.casefold():
        return "Sometimes required."
    return "Optional."


def _what_to_type(contract: Sheet, column: Column) -> str:
    """How to fill the cell in, where the contract's help does not already say it."""
    if column.field == "id" and contract.name in ID_PREFIXES:
        prefix = ID_PREFIXES[contract.name]
        return (
            f"This row's own ID ({prefix}1, {prefix}2 ...), used on other sheets to point to "
            "it. Each row has a different one."
        )
    if column.kind is ColumnKind.DATE:
        return "" if "day first" in column.help.casefold() else "A date, day first."
    if column.kind in (ColumnKind.CHOICE, ColumnKind.YESNO):
        return "Choose Yes or No." if column.kind is ColumnKind.YESNO else _choose(column)
    if column.help:
        return ""
    if column.kind is ColumnKind.TEXT:
        return "In plain words the family can understand." if column.width >= 40 else ""
    return {
        ColumnKind.WHOLE: "A whole number.",
        ColumnKind.PERSON: "Who: a name or ID from the People or Children sheet.",
        ColumnKind.CHILD: "Which child: a name or ID from the Children sheet.",
        ColumnKind.CHILDREN: "IDs or names from the Children sheet, separated by commas.",
        ColumnKind.PEOPLE: "IDs or names from the People or Children sheet, separated by commas.",
        ColumnKind.REF: f"An ID from the {column.refers_to} sheet.",
        ColumnKind.PICTURE: "Place a picture over this row's cells.",
    }.get(column.kind, "")


def _choose(column: Column) -> str:
    if column.several:
        return "Choose from the drop-down list, or type several separated by commas."
    return "Choose from the drop-down list."


def _list_note(column: Column) -> str:
    """What the drop-down of a reference column offers, and what else may be typed."""
    if column.kind is ColumnKind.REF:
        return f"The drop-down lists the IDs on the {column.refers_to} sheet."
    if column is REPORT_AUTHOR:
        return "The drop-down lists the People names; you can also type their ID."
    if column.kind is ColumnKind.PERSON:
        return "The drop-down lists the People names; you can also type a child's name or an ID."
    if column.kind is ColumnKind.CHILD:
        return "The drop-down lists the children's names; you can also type an ID."
    if column.kind in (ColumnKind.CHILDREN, ColumnKind.PEOPLE, ColumnKind.AUDIENCE):
        return "Free text: no drop-down, as it takes several."
    return ""


def _example(contract: Sheet, column: Column) -> str:
    """An example value for a note: the example family's, or a day-first date."""
    if column.kind in (ColumnKind.CHOICE, ColumnKind.YESNO, ColumnKind.PICTURE):
        return ""  # the drop-down or the picture shows what goes in
    if column.kind is ColumnKind.DATE:
        return EXAMPLE_DATE
    if column.field == "id" and contract.name in ID_PREFIXES:
        return f"{ID_PREFIXES[contract.name]}1"
    value = _EXAMPLE_VALUES.get((contract.name, column.name))
    return _shortened(str(value)) if value not in (None, "") else ""


def _shortened(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= EXAMPLE_LIMIT:
        return text
    return text[:EXAMPLE_LIMIT].rsplit(" ", 1)[0] + " ..."


def _example_values() -> dict[tuple[str, str], object]:
    """The first value the example family has in each column (dates are not used)."""
    case, rows = example_case.rows_for(example_case.WRITTEN_FOR)
    found: dict[tuple[str, str], object] = {}
    for sheet, records in [(schema.CASE.name, [case]), *rows.items()]:
        for record in records:
            for name, value in record.items():
                if value not in (None, ""):
                    found.setdefault((sheet, name), value)
    return found


# Examples for columns the example family leaves empty.
MORE_EXAMPLES: dict[tuple[str, str], object] = {
    ("Case", "Not shared because"): "Mum was in hospital the week before the meeting",
    ("Case", "Scale zero means"): model.DEFAULT_SCALE_ZERO,
    ("Case", "Scale ten means"): model.DEFAULT_SCALE_TEN,
    ("Case", "Categories"): "Neglect, Emotional abuse",
    ("Previous scaling", "Danger statement"): "D1",
    (
        "Birth plan",
        "Arrangement",
    ): "Baby stays on the ward with Mum until the midwife has seen them",
    ("Birth plan", "When"): "At the birth",
    ("Words and pictures", "Picture description"): "Nanna and Mia reading a book on the sofa",
    ("Previous scaling", "Participant"): "P1",
    ("Previous scaling", "Child"): "C1",
    ("Previous scaling", "Score"): 3,
    ("Birth plan", "Who"): "P5",
}
_EXAMPLE_VALUES = MORE_EXAMPLES | _example_values()


def _error_message(column: Column) -> str:
    if column.kind is ColumnKind.CHOICE and column.several:
        return (
            f"{column.name} is one value from the drop-down list, or several separated by "
            "commas (Neglect, Emotional abuse). Choose Yes to keep what you typed."
        )
    if column.kind is ColumnKind.CHOICE:
        return (
            f"{column.name} must be one of the values in the drop-down list. "
            "Click the arrow at the right of the cell to choose one."
        )
    if column.kind is ColumnKind.YESNO:
        return (
            f"{column.name} must be Yes or No. Click the arrow at the right of the cell to choose."
        )
    if _is_score(column):
        return f"{column.name} must be a whole number from 0 to 10, for example 6."
    if column.kind is ColumnKind.WHOLE:
        return f"{column.name} must be a whole number, for example {whole_number_example(column)}."
    return f"{column.name} must be a date, day first, for example 19/05/2025."


# --------------------------------------------------------------------------------------------
# Drop-downs of the IDs and names that exist: named ranges over the columns other sheets use


def _id_list_name(sheet_name: str, field: str) -> str:
    """The defined name over a sheet's column of IDs or names, e.g. DangerStatementsIDs."""
    words = "".join(word.capitalize() for word in sheet_name.replace("'", "").split())
    return f"{words}{'IDs' if field == 'id' else 'Names'}"


# Every defined name the workbook has: (sheet, field) of the column it covers.
ID_LISTS = {
    _id_list_name(sheet, field): (sheet, field)
    for sheet in ID_PREFIXES
    for field in ("id", "name")
    if field == "id" or sheet in (schema.CHILDREN.name, schema.PEOPLE.name)
}


def _drop_down_source(column: Column) -> str | None:
    """The defined name a single reference column offers, None for free text or several."""
    if column.kind is ColumnKind.REF:
        return _id_list_name(column.refers_to, "id")
    if column.kind is ColumnKind.PERSON:
        return _id_list_name(schema.PEOPLE.name, "name")
    if column.kind is ColumnKind.CHILD:
        return _id_list_name(schema.CHILDREN.name, "name")
    return None


def _define_id_lists(book: Workbook) -> None:
    """Defined names over each ID and name column the drop-downs offer, down to the last row."""
    for name, (sheet_name, field) in ID_LISTS.items():
        contract = next(s for s in schema.SHEETS if s.name == sheet_name)
        letter = get_column_letter(contract.columns.index(contract.column(field)) + 1)
        cells = absolute_coordinate(f"{letter}{DATA_FIRST_ROW}:{letter}{DATA_LAST_ROW}")
        reference = f"{quote_sheetname(sheet_name)}!{cells}"
        book.defined_names[name] = DefinedName(name, attr_text=reference)


# --------------------------------------------------------------------------------------------
# A started row's empty required cells, shaded as people type


def _show_missing_required(sheet: Worksheet, contract: Sheet) -> None:
    """Shade a required cell that is empty on a row where something else is filled in."""
    last = get_column_letter(len(contract.columns))
    for index, column in enumerate(contract.columns, start=1):
        if not column.required:
            continue
        letter = get_column_letter(index)
        row = DATA_FIRST_ROW
        started = f"COUNTA($A{row}:${last}{row})>0"
        rule = FormatRule(
            type="expression",
            formula=[f"AND({started},ISBLANK({letter}{row}))"],
            dxf=DifferentialStyle(fill=MISSING_FILL),
        )
        sheet.conditional_formatting.add(f"{letter}{row}:{letter}{DATA_LAST_ROW}", rule)


# --------------------------------------------------------------------------------------------
# Printing: landscape, one page wide (two for the widest), the header row on every page, the
# marking on top

PRINTABLE_WIDTH = 741  # points across landscape A4 inside Excel's default 0.7 inch margins
SMALLEST_SCALE = 0.6  # below this 11-point type prints under 7 points: use a second page
TITLE_COLUMNS = "A:B"  # the ID and name columns, repeated on a wide table's second page


def set_up_printing(sheet: Worksheet, marking: str) -> None:
    """Print a sheet landscape and one page wide (the Case sheet on one page, a table too wide
    for readable type two pages wide), with the protective marking in the page header and the
    sheet name and page X of Y in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = pages_wide(sheet)
    sheet.page_setup.fitToHeight = 1 if sheet.title == schema.CASE.name else 0
    sheet.print_options.gridLines = sheet.title != schema.INSTRUCTIONS_SHEET
    if sheet.title in _TABLE_NAMES:
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        if sheet.page_setup.fitToWidth > 1:
            sheet.print_title_cols = TITLE_COLUMNS
    mark_printed_pages(sheet, marking)


def pages_wide(sheet: Worksheet) -> int:
    """How many pages wide a table prints: one, or two when one would shrink its type below
    about 7 points (Children and People, 16 and 14 columns)."""
    if sheet.title not in _TABLE_NAMES:
        return 1
    widths = (sheet.column_dimensions[get_column_letter(i)].width for i in _columns_of(sheet))
    points = sum((width * 7 + 5) * 0.75 for width in widths)  # characters, pixels, points
    return 1 if PRINTABLE_WIDTH / points >= SMALLEST_SCALE else 2


def _columns_of(sheet: Worksheet) -> range:
    contract = next(s for s in schema.SHEETS if s.name == sheet.title)
    return range(1, len(contract.columns) + 1)


def mark_printed_pages(sheet: Worksheet, marking: str) -> None:
    """The protective marking at the top of each printed page; sheet name and page X of Y below."""
    page_header, page_footer = sheet.oddHeader, sheet.oddFooter
    assert page_header is not None and page_footer is not None  # a new sheet always has them
    page_header.center.text = marking.replace("&", "&&")  # & starts a header code
    page_header.center.font = "Arial,Bold"
    page_header.center.size = 12
    page_footer.left.text = "&A"
    page_footer.right.text = "Page &P of &N"


_TABLE_NAMES = frozenset(s.name for s in schema.SHEETS if not s.key_value)


class ChoiceLists:
    """Drop-down sources: inline when Excel allows, else a range on a hidden Lists sheet."""

    def __init__(self) -> None:
        self._columns: list[tuple[str, ...]] = []

    def formula(self, choices: Sequence[str]) -> str:
        """The data validation formula that offers exactly these choices."""
        if _fits_inline(choices):
            return _inline(choices)
        values = tuple(choices)
        if values not in self._columns:
            self._columns.append(values)
        letter = get_column_letter(self._columns.index(values) + 1)
        return f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(values)}"

    def write_into(self, book: Workbook) -> None:
        """Add the hidden Lists sheet, last, if any drop-down needs it."""
        if not self._columns:
            return
        sheet = book.create_sheet(LISTS_SHEET)
        sheet.sheet_state = "hidden"
        for index, values in enumerate(self._columns, start=1):
            for row, value in enumerate(values, start=1):
                _put(_cell(sheet, row, index), value)


def _fits_inline(choices: Sequence[str]) -> bool:
    # An inline list is quoted with '"' and split on commas, so those characters need a range.
    plain = not any('"' in choice or "," in choice for choice in choices)
    return plain and len(_inline(choices)) <= INLINE_LIST_LIMIT


def _inline(choices: Sequence[str]) -> str:
    return '"' + ",".join(choices) + '"'


# --------------------------------------------------------------------------------------------
# Saving: a whole new file or nothing


def save_new_workbook(book: Workbook, path: Path) -> Path:
    """Save `book` as a new .xlsx at `path`, whole or not at all, never over an existing file."""
    target = _checked_target(path)
    _save_as_new_file(book, target)
    return target


def _checked_target(path: Path) -> Path:
    if path.suffix.casefold() != ".xlsx":
        raise SosDocsError(
            f"'{path.name}' does not end in .xlsx. Give the workbook a name ending in .xlsx, "
            "for example mapping.xlsx."
        )
    if not path.parent.is_dir():
        raise SosDocsError(
            f"The folder '{path.parent}' does not exist. Create it first or choose another folder."
        )
    if path.exists():
        raise SosDocsError(_already_exists(path))
    return path


def _already_exists(path: Path) -> str:
    return f"'{path}' already exists. Choose another name or delete it first."


def _save_as_new_file(book: Workbook, target: Path) -> None:
    """Save to a hidden temporary file beside the target, then move it into place whole."""
    temp: Path | None = None
    try:
        temp = _new_temporary_file(target)
        book.save(temp)
        _flush_to_disk(temp)
        _move_without_overwriting(temp, target)
    except FileExistsError as error:
        raise SosDocsError(_already_exists(target)) from error
    except OSError as error:
        reason = error.strerror or str(error)
        raise SosDocsError(
            f"Could not write '{target}': {reason}. Check that you can save files in that folder."
        ) from error
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)


def _new_temporary_file(target: Path) -> Path:
    """An empty, hidden `.tmp` file beside the target, which the hot-folder watcher ignores."""
    temp = target.with_name(f".sos-docs-{uuid.uuid4().hex}.tmp")
    # Made with the usual permissions (mkstemp's owner-only 0600 would hide the finished
    # workbook from colleagues and from the service on a shared folder).
    os.close(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    return temp


def _flush_to_disk(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def _move_without_overwriting(temp: Path, target: Path) -> None:
    # A hard link fails if the target appeared since we checked, so a file someone saved in the
    # meantime is never replaced; shares without hard links fall back to a checked rename.
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(target) from None
        temp.replace(target)
