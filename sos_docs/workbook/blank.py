"""The mapping workbook people fill in (format 2), blank or with the example family, written from the contract."""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs import codes, model
from sos_docs.errors import SosDocsError
from sos_docs.workbook import example as example_case
from sos_docs.workbook import schema
from sos_docs.workbook.schema import Column, ColumnKind, Question, Sheet

__all__ = [
    "DATA_LAST_ROW",
    "DATE_FORMAT",
    "build_workbook",
    "write_blank_workbook",
    "write_example_workbook",
]

logger = logging.getLogger(__name__)

Row = Mapping[str, object]

DATE_FORMAT = "dd/mm/yyyy"
HEADER_ROW = 1
DATA_FIRST_ROW = 2
DATA_LAST_ROW = 500  # drop-downs and checks reach this far down each table
WRAP_FROM_WIDTH = 40  # text columns at least this wide wrap their text
PICTURE_ROW_HEIGHT = 75  # points: room to drop a picture over a row's cells
LISTS_SHEET = "Lists"
INLINE_LIST_LIMIT = 255  # Excel refuses (and "repairs" away) longer inline drop-down lists
TITLE_LIMIT = 32  # Excel's limit for input and error message titles
PROMPT_LIMIT = 255  # Excel's limit for an input message
ERROR_LIMIT = 225  # Excel's limit for an error message
EARLIEST_DATE = "DATE(1900,1,1)"
LATEST_DATE = "DATE(2199,12,31)"
SCORE_COLUMN = schema.SCALING.column("score")
YES_NO = ("Yes", "No")
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
    path: Path, *, example: bool = False, today: dt.date | None = None
) -> Path:
    """Write a new mapping workbook at `path` (blank, or the example family made on `today`)."""
    target = _checked_target(Path(path))
    book = build_workbook(example=example, today=today)
    _save_as_new_file(book, target)
    logger.info("Wrote %s mapping workbook %s", "example" if example else "blank", target)
    return target


def write_example_workbook(path: Path, today: dt.date | None = None) -> Path:
    """Write the mapping workbook filled in with the fictional family, dated from `today`."""
    return write_blank_workbook(path, example=True, today=today)


def build_workbook(*, example: bool = False, today: dt.date | None = None) -> Workbook:
    """The whole workbook in memory: Instructions, then every contract sheet in contract order.

    The example's dates are relative to `today` (default: the real today).
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
            _write_table(sheet, contract, rows.get(contract.name, []), lists)
    if example:
        example_case.place_pictures(book, rows)
    lists.write_into(book)
    return book


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
            "Where a cell has a drop-down arrow, choose from the list. Click a cell to see a short "
            "note on what goes in it.",
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
            "Please don't rename the sheets or the headings. You can add your own columns or "
            "sheets; sos-docs leaves them out.",
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
        _write_note(_cell(sheet, row, 3), _input_message(column))
        _add_validation(sheet, column, f"B{row}", lists)


def _write_note(cell: Cell, note: str) -> None:
    """A grey note beside a Case value saying what goes in it (the reader only reads A and B)."""
    if note:
        cell.value = note
        cell.font = NOTE_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_table(
    sheet: Worksheet, contract: Sheet, rows: Iterable[Row], lists: ChoiceLists
) -> None:
    fill = _header_fill(contract.question)
    for index, column in enumerate(contract.columns, start=1):
        letter = get_column_letter(index)
        _style_column(sheet, letter, column)
        header = sheet.cell(HEADER_ROW, index, column.header)
        header.font, header.fill = BOLD, fill
        header.alignment = Alignment(wrap_text=True, vertical="center")
        _add_validation(sheet, column, f"{letter}{DATA_FIRST_ROW}:{letter}{DATA_LAST_ROW}", lists)
    sheet.freeze_panes = f"A{DATA_FIRST_ROW}"
    if any(c.kind is ColumnKind.PICTURE for c in contract.columns):
        for row in range(DATA_FIRST_ROW, DATA_LAST_ROW + 1):
            sheet.row_dimensions[row].height = PICTURE_ROW_HEIGHT
    for row, record in enumerate(rows, start=DATA_FIRST_ROW):
        for index, column in enumerate(contract.columns, start=1):
            _write_value(_cell(sheet, row, index), column, record.get(column.name))


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


def _add_validation(sheet: Worksheet, column: Column, cells: str, lists: ChoiceLists) -> None:
    validation = _validation_for(column, lists)
    if validation is None:
        return
    validation.promptTitle = column.name[:TITLE_LIMIT]
    validation.prompt = _input_message(column)[:PROMPT_LIMIT]
    validation.showInputMessage = True
    if validation.type is not None:
        validation.errorTitle = column.name[:TITLE_LIMIT]
        validation.error = _error_message(column)[:ERROR_LIMIT]
        # A column that takes several choices ("Neglect, Emotional abuse") only warns, so a
        # list typed in is kept; sos-docs checks each name.
        validation.errorStyle = "warning" if column.several else "stop"
        validation.showErrorMessage = True
    validation.add(cells)
    sheet.add_data_validation(validation)


def _validation_for(column: Column, lists: ChoiceLists) -> DataValidation | None:
    """The check Excel applies as people type; a column with only help gets a note, no check."""
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
    if column.help:
        return DataValidation(allow_blank=True)
    return None


def _whole_number_validation(column: Column) -> DataValidation:
    if column is SCORE_COLUMN:
        return DataValidation(
            type="whole", operator="between", formula1="0", formula2="10", allow_blank=True
        )
    return DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True
    )


def _input_message(column: Column) -> str:
    """The short note shown when someone clicks a cell: the contract's help, or how to fill it."""
    kind_hint = {
        ColumnKind.CHOICE: "Choose from the drop-down list.",
        ColumnKind.YESNO: "Choose Yes or No.",
        ColumnKind.DATE: "A date, day first: 19/05/2025.",
        ColumnKind.WHOLE: "A whole number.",
        ColumnKind.PERSON: "An ID or name from the People or Children sheet.",
        ColumnKind.CHILD: "An ID or name from the Children sheet.",
        ColumnKind.CHILDREN: "IDs or names from the Children sheet, separated by commas.",
        ColumnKind.REF: f"An ID from the {column.refers_to} sheet.",
        ColumnKind.PICTURE: "Place a picture over this row's cells.",
    }.get(column.kind, "")
    if not column.help:
        return kind_hint
    if column.kind is ColumnKind.DATE and "day first" not in column.help.casefold():
        return f"{column.help} {kind_hint}"
    return column.help


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
    if column is SCORE_COLUMN:
        return f"{column.name} must be a whole number from 0 to 10, for example 6."
    if column.kind is ColumnKind.WHOLE:
        return f"{column.name} must be a whole number, for example 6."
    return f"{column.name} must be a date, day first, for example 19/05/2025."


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
