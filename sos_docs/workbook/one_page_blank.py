"""The one-page map people fill in (`new-workbook --one-page`), blank or with the example family.

One printable landscape sheet: a small case block, the three questions across the top with
their section labels, grey areas along the bottom and the scale as a grid underneath. The
example is the example family's own rows (workbook/example.py) put on the map, with the
standard sheets the map has no place for (Children, People, Child's views, the safety plan,
the story ...) kept beside it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs.config import DEFAULT_PROTECTIVE_MARKING
from sos_docs.model import DEFAULT_SCALE_TEN, DEFAULT_SCALE_ZERO
from sos_docs.workbook import blank, schema
from sos_docs.workbook import example as example_case
from sos_docs.workbook.cells import format_date
from sos_docs.workbook.map_headings import QUESTION_HEADINGS, WORKING_WELL, WORRIED

__all__ = [
    "BLANK_CASE_LABELS",
    "CONFERENCE_NOTE",
    "MAP_REPLACES",
    "MAP_SHEET",
    "build_one_page",
    "write_one_page_workbook",
]

log = logging.getLogger(__name__)

MAP_SHEET = "One-page map"
# The standard sheets the map says; an example keeps every other standard sheet beside it.
MAP_REPLACES = (
    "Case",
    "Harm",
    "Danger statements",
    "Complicating factors",
    "Grey areas",
    "Working well",
    "Safety goals",
    "Next steps",
    "Scaling",
)
CASE_LABELS = (
    "Case reference",
    "Local authority",
    "Team",
    "Meeting type",
    "Meeting date",
    "Mapping date",
    "Report author",
    "Author role",
    "Author agency",
    "Author contact",
    "Reason for report",
    "Recommendation",
    "Category of harm",
    "Shared with parents on",
    "Not shared because",
    "Words and pictures agreed by parents",
    "Review date",
    "Format",
    "Report date",
    "Manager name",
    "Manager role",
    "Manager approved on",
)
# Every case value the rules can ask for, in the order a practitioner fills them in; those
# asked for only at a conference are marked so on the map (`CONFERENCE_NOTE`, read off again
# by workbook/one_page.py). Format 2 says the same rules apply as to the standard blank.
BLANK_CASE_LABELS = (
    "Case reference",
    "Meeting type",
    "Meeting date",
    "Mapping date",
    "Report author",
    "Author role",
    "Author agency",
    "Reason for report",
    "Recommendation",
    "Category of harm",
    "Shared with parents on",
    "Not shared because",
    "Words and pictures agreed by parents",
    "Report date",
    "Manager name",
    "Manager role",
    "Manager approved on",
    "Format",
    "Children",
)
CONFERENCE_ONLY = frozenset(
    {
        "Meeting date",
        "Recommendation",
        "Category of harm",
        "Shared with parents on",
        "Not shared because",
        "Words and pictures agreed by parents",
        "Report date",
        "Manager name",
        "Manager role",
        "Manager approved on",
    }
)
CONFERENCE_NOTE = " (conferences)"
CHILDREN_LABEL = "Children"
# The notes a case value shows where the map says it differently from the Case sheet.
MAP_PROMPTS = {
    "Report author": "Required. Your name, as you write names on the map (the map needs no "
    "People sheet), e.g. Ada Okafor. Your role and agency go in the two rows below.",
    CHILDREN_LABEL: "Required. Each child's name and date of birth, one a line (Alt+Enter): "
    "Mia Hartley (14/03/2017). An unborn baby: Baby Hartley (due 01/02/2027). Their own "
    "words go on the Child's views sheet.",
}
CHILDS_VIEWS = "Child's views"
CHILD_PROMPT = (
    "Required. Which child: their name as written next to Children on the map, e.g. Mia "
    "Hartley. One row for each child who is born, with what they said or showed."
)
COLUMN_WIDTH = 48
SCORE_COLUMN_WIDTH = 10
LINE_HEIGHT = 15  # points: one line of 11-point text
BLANK_ITEM_ROWS = 4
ITEM_ROW_HEIGHT = 60
QUESTION_FILLS = {
    WORRIED: schema.TAB_COLOURS[schema.Question.WORRIED],
    WORKING_WELL: schema.TAB_COLOURS[schema.Question.WORKING_WELL],
    "needs to happen": schema.TAB_COLOURS[schema.Question.NEEDS_TO_HAPPEN],
}
WRAP = Alignment(wrap_text=True, vertical="top")
LABEL_FONT = Font(bold=True, italic=True)
HEADING_FONT = Font(bold=True, size=13, color="FFFFFF")
TITLE_ROW_HEIGHT = 24  # points, for the 16-point title
HEADING_ROW_HEIGHT = 20  # points, for the 13-point question headings

Row = Mapping[str, object]


def write_one_page_workbook(
    path: Path,
    *,
    example: bool = False,
    today: dt.date | None = None,
    one_item_per_cell: bool = False,
    marking: str = DEFAULT_PROTECTIVE_MARKING,
) -> Path:
    """Write a new one-page map at `path` (blank, or the example family made on `today`)."""
    book = build_one_page(
        example=example, today=today, one_item_per_cell=one_item_per_cell, marking=marking
    )
    target = blank.save_new_workbook(book, Path(path))
    log.info("Wrote %s one-page map %s", "example" if example else "blank", target)
    return target


def build_one_page(
    *,
    example: bool = False,
    today: dt.date | None = None,
    one_item_per_cell: bool = False,
    marking: str = DEFAULT_PROTECTIVE_MARKING,
) -> Workbook:
    """The one-page map in memory; the example keeps the standard sheets the map cannot say.

    Items are written as lines within a cell (bullets), or with `one_item_per_cell` each in
    a cell of its own, one under the other. `marking` tops every printed page.
    """
    if not example:
        return _blank_map(marking)
    case, rows = example_case.rows_for(today or dt.date.today())
    book = blank.build_workbook(example=True, today=today or dt.date.today(), marking=marking)
    for name in (*MAP_REPLACES, schema.INSTRUCTIONS_SHEET):
        del book[name]
    sheet = book.create_sheet(MAP_SHEET, 0)
    book.active = 0
    style = MapStyle(blank=False, per_cell=one_item_per_cell)
    _write_map(sheet, _example_case(case, rows), rows, style)
    blank.mark_printed_pages(sheet, marking)
    return book


def _blank_map(marking: str) -> Workbook:
    """The blank map as an Excel form (notes and drop-downs on the case values), with a
    Child's views sheet beside it for the children's own words, which the map has no place for.
    """
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = MAP_SHEET
    case: dict[str, object] = dict.fromkeys(BLANK_CASE_LABELS)
    case[schema.CASE.column("format_version").name] = schema.FORMAT_VERSION
    _write_map(sheet, case, {}, MapStyle(blank=True))
    blank.mark_printed_pages(sheet, marking)
    views = book.create_sheet(CHILDS_VIEWS)
    contract = next(s for s in schema.SHEETS if s.name == CHILDS_VIEWS)
    views.sheet_properties.tabColor = schema.TAB_COLOURS[contract.question]
    lists = blank.ChoiceLists()
    blank.write_table(views, contract, [], lists, id_lists=False)
    for check in views.data_validations.dataValidation:
        if check.promptTitle == contract.column("child").name:
            check.prompt = CHILD_PROMPT
    blank.set_up_printing(views, marking)
    lists.write_into(book)
    blank.describe(book)
    book.security = WorkbookProtection(lockStructure=True)  # as the standard blank
    return book


@dataclass(frozen=True)
class MapStyle:
    """How the map is written: blank rows to fill in, and items one a cell or one a line."""

    blank: bool
    per_cell: bool = False


def _names(rows: Mapping[str, list[dict[str, object]]]) -> dict[str, str]:
    """People and Children IDs to names: the map names people, it has no IDs."""
    return {
        str(r["ID"]): str(r["Name"])
        for sheet in ("People", "Children")
        for r in rows.get(sheet, [])
    }


def _example_case(case: Row, rows: Mapping[str, list[dict[str, object]]]) -> dict[str, object]:
    names = _names(rows)
    values = {label: case.get(label) for label in CASE_LABELS if case.get(label) not in (None, "")}
    author = str(values.get("Report author", ""))
    values["Report author"] = names.get(author, author)
    return values


def _write_map(
    sheet: Worksheet,
    case: Mapping[str, object],
    rows: Mapping[str, list[dict[str, object]]],
    style: MapStyle,
) -> None:
    """The case block, the three columns, grey areas and the scale grid, set up to print."""
    sheet["A1"] = "Signs of Safety mapping"
    sheet["A1"].font = Font(bold=True, size=16)
    row = 2
    lists = blank.ChoiceLists()
    for label, value in case.items():
        shown = f"{label}{CONFERENCE_NOTE}" if style.blank and label in CONFERENCE_ONLY else label
        sheet.cell(row, 1, shown).font = Font(bold=True)
        cell = sheet.cell(row, 2, value)  # type: ignore[call-overload]
        if isinstance(value, dt.date):
            cell.number_format = blank.DATE_FORMAT
        cell.alignment = WRAP
        _add_case_check(sheet, label, row, lists)
        row += 1
    row += 1
    question_row = row
    for column, (question, heading) in enumerate(QUESTION_HEADINGS.items(), start=1):
        cell = sheet.cell(row, column, heading)
        cell.font = HEADING_FONT
        cell.fill = PatternFill("solid", start_color=QUESTION_FILLS[question])
    row = _write_columns(sheet, row + 1, rows, style)
    row = _write_grey(sheet, row, rows, blank_rows=style.blank)
    _write_scale(sheet, row + 1, case, rows)
    for letter in "ABC":
        sheet.column_dimensions[letter].width = COLUMN_WIDTH
    for column in range(4, sheet.max_column + 1):
        sheet.column_dimensions[get_column_letter(column)].width = SCORE_COLUMN_WIDTH
    if not style.blank:
        _fit_row_heights(sheet)
        # Larger type than the items: its rows would be cut at one line of item text.
        sheet.row_dimensions[1].height = TITLE_ROW_HEIGHT
        sheet.row_dimensions[question_row].height = HEADING_ROW_HEIGHT
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1  # the map is one page, as on paper
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.gridLines = True


def _add_case_check(sheet: Worksheet, label: str, row: int, lists: blank.ChoiceLists) -> None:
    """The note (and any drop-down or date check) the Case sheet's cell for `label` has."""
    cell = f"B{row}"
    if label == CHILDREN_LABEL:
        check = DataValidation(allow_blank=True, showInputMessage=True)
        check.promptTitle, check.prompt = CHILDREN_LABEL, MAP_PROMPTS[CHILDREN_LABEL]
        check.add(cell)
        sheet.add_data_validation(check)
        return
    column = next((c for c in schema.CASE.columns if c.name == label), None)
    if column is not None:
        prompt = MAP_PROMPTS.get(label, "")
        blank.add_validation(sheet, schema.CASE, column, cell, lists, id_lists=False, prompt=prompt)


def _fit_row_heights(sheet: Worksheet) -> None:
    """Rows tall enough for their wrapped text: a row with a set height does not grow by
    itself when printed, so a long item would be cut off."""
    for number, row in enumerate(sheet.iter_rows(), start=1):
        lines = 1
        for cell in row:
            if isinstance(cell.value, str):
                width = sheet.column_dimensions[cell.column_letter].width or SCORE_COLUMN_WIDTH
                per_line = max(int(width * 1.3), 1)
                wrapped = sum(-(-max(len(line), 1) // per_line) for line in cell.value.split("\n"))
                lines = max(lines, wrapped)
        sheet.row_dimensions[number].height = LINE_HEIGHT * lines


def _lines(items: Sequence[str]) -> str:
    return "\n".join(f"\u2022 {item}" for item in items)


def _label(sheet: Worksheet, row: int, column: int, text: str) -> None:
    sheet.cell(row, column, text).font = LABEL_FONT


def _items(sheet: Worksheet, row: int, column: int, items: Sequence[str], style: MapStyle) -> int:
    """A part's items from `row` down: lines in one cell, or one a cell; the rows used."""
    if style.per_cell and items:
        for offset, item in enumerate(items):
            sheet.cell(row + offset, column, item).alignment = WRAP
        return len(items)
    if items or style.blank:
        sheet.cell(row, column, _lines(items) if items else None).alignment = WRAP
    sheet.row_dimensions[row].height = ITEM_ROW_HEIGHT
    return 1


def _write_columns(
    sheet: Worksheet, row: int, rows: Mapping[str, list[dict[str, object]]], style: MapStyle
) -> int:
    """Harm | Existing safety | Next steps, then Danger statements | Strengths | Safety goals
    (each goal on its danger statement's row), then Complicating factors; the row after."""
    names = _names(rows)
    _label(sheet, row, 1, "Harm")
    _label(sheet, row, 2, "Existing safety")
    _label(sheet, row, 3, "Next steps")
    harm = [_harm(r) for r in rows.get("Harm", [])]
    well = rows.get("Working well", [])
    safety = [str(r["What is working well"]) for r in well if r["Type"] == "Existing safety"]
    strengths = [str(r["What is working well"]) for r in well if r["Type"] != "Existing safety"]
    goal_numbers = {str(g["ID"]): n for n, g in enumerate(rows.get("Safety goals", []), 1)}
    steps = [_step(r, names, goal_numbers) for r in rows.get("Next steps", [])]
    used = [
        _items(sheet, row + 1, c, part, style) for c, part in ((1, harm), (2, safety), (3, steps))
    ]
    row += 1 + max(used)
    _label(sheet, row, 1, "Danger statements")
    _label(sheet, row, 2, "Strengths")
    _label(sheet, row, 3, "Safety goals")
    dangers = rows.get("Danger statements", [])
    goals = {str(g["Danger statement"]): _goal(g) for g in rows.get("Safety goals", [])}
    count = max(len(dangers), 2 if style.blank else 0)
    for index in range(count):
        statement = str(dangers[index]["Statement"]) if index < len(dangers) else None
        goal = goals.get(str(dangers[index]["ID"])) if index < len(dangers) else None
        sheet.cell(row + 1 + index, 1, statement).alignment = WRAP
        sheet.cell(row + 1 + index, 3, goal).alignment = WRAP
        sheet.row_dimensions[row + 1 + index].height = ITEM_ROW_HEIGHT
    row += 1 + max(count, _items(sheet, row + 1, 2, strengths, style))
    _label(sheet, row, 1, "Complicating factors")
    factors = [str(r["Factor"]) for r in rows.get("Complicating factors", [])]
    return row + 1 + _items(sheet, row + 1, 1, factors, style)


def _harm(row: Row) -> str:
    """A harm as the map writes it: "24/07/2026: what happened"."""
    day = row.get("Date")
    when = f"{format_date(day)}: " if isinstance(day, dt.date) else ""
    return f"{when}{row['What happened']}"


def _goal(row: Row) -> str:
    """A safety goal as the map writes it: the goal, then "- for 6 months"."""
    months = row.get("Sustained for")
    return f"{row['Goal']} - for {months} months" if months else str(row["Goal"])


def _step(row: Row, names: Mapping[str, str], goal_numbers: Mapping[str, int]) -> str:
    """A next step as one line: what - who - by when - goal 1 - status."""
    who = str(row.get("Who", ""))
    by_when = row.get("By when")
    parts = [str(row["Action"]), names.get(who, who)]
    parts += [f"by {format_date(by_when)}"] if isinstance(by_when, dt.date) else []
    goal = goal_numbers.get(str(row.get("Safety goal") or ""))
    parts += [f"goal {goal}"] if goal else []
    parts += [str(row["Status"]).lower()] if row.get("Status") else []
    return " - ".join(parts)


def _write_grey(
    sheet: Worksheet, row: int, rows: Mapping[str, list[dict[str, object]]], *, blank_rows: bool
) -> int:
    """Grey areas along the bottom: the label, then one a cell across the three columns."""
    _label(sheet, row, 1, "Grey areas")
    grey = [str(r["Question or unknown"]) for r in rows.get("Grey areas", [])]
    for index, text in enumerate(grey):
        sheet.cell(row + 1 + index // 3, 1 + index % 3, text).alignment = WRAP
    used = max(1, -(-len(grey) // 3)) if grey or blank_rows else 0
    return row + 1 + used


def _write_scale(
    sheet: Worksheet,
    row: int,
    case: Mapping[str, object],
    rows: Mapping[str, list[dict[str, object]]],
) -> None:
    """The scale: what 0 and 10 mean, then a grid of people by danger statement and overall."""
    names = _names(rows)
    _label(sheet, row, 1, "Scale")
    zero = case.get("Scale zero means") or DEFAULT_SCALE_ZERO
    ten = case.get("Scale ten means") or DEFAULT_SCALE_TEN
    sheet.cell(row + 1, 1, f"0 = {zero}").alignment = WRAP
    sheet.cell(row + 2, 1, f"10 = {ten}").alignment = WRAP
    dangers = [str(d["ID"]) for d in rows.get("Danger statements", [])] or ["D1", "D2"]
    # Name and the words in the three wide columns, the child and the scores in narrow ones.
    header = ["Name", "Reason", "One point higher", "Child", "Overall", *dangers]
    grid = row + 4
    for column, text in enumerate(header, start=1):
        sheet.cell(grid, column, text).font = Font(bold=True)
    for offset, values in enumerate(_grid_rows(rows, names), start=1):
        for column, key in enumerate(header, start=1):
            value = values.get(key)
            if value not in (None, ""):
                sheet.cell(grid + offset, column, value).alignment = WRAP  # type: ignore[call-overload]


def _grid_rows(
    rows: Mapping[str, list[dict[str, object]]], names: Mapping[str, str]
) -> list[dict[str, object]]:
    """The grid's rows: a person's scores share a row when they are about the same child for
    the same reason (the grid has one Reason a row), else each has a row of its own."""
    grid: dict[tuple[str, ...], dict[str, object]] = {}
    for score in rows.get("Scaling", []):
        name = names.get(str(score["Participant"]), str(score["Participant"]))
        child = names.get(str(score.get("Child") or ""), str(score.get("Child") or ""))
        reason, higher = str(score.get("Reason") or ""), str(score.get("One point higher") or "")
        values = grid.setdefault(
            (name, child, reason, higher),
            {"Name": name, "Child": child, "Reason": reason, "One point higher": higher},
        )
        values[str(score.get("Danger statement") or "Overall")] = score["Score"]
    return list(grid.values())
