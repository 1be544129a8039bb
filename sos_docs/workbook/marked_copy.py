"""The marked copy of a rejected workbook: problem cells filled and noted, and a Problems sheet first.

A rejected workbook is joined by `<name> - marked.xlsx` (docs/hot-folder.md, guarantee 6)
beside the words of explain.py: the same problems, shown where they are. A cell with an error is
red, a cell with only warnings yellow; colour is never the only sign, since each note and each
row of the Problems sheet says Error or Warning in words, and the sheet has a legend.
"""

from __future__ import annotations

import io
import logging
import warnings
import zipfile
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs import codes
from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import DeliveryError, WorkbookError, without_quoted_text
from sos_docs.files import write_new_file
from sos_docs.model import Level, Problem
from sos_docs.workbook import schema
from sos_docs.workbook.explain import (
    WHOLE_WORKBOOK,
    cell_position,
    level_word,
    listing_order,
    one_line,
)
from sos_docs.workbook.guard import read_claimed_file
from sos_docs.workbook.load_cost import check_load_cost

__all__ = [
    "ERROR_FILL_COLOUR",
    "PROBLEMS_SHEET_TITLE",
    "WARNING_FILL_COLOUR",
    "write_marked_copy",
]

logger = logging.getLogger(__name__)

ERROR_FILL_COLOUR = "FFFFC7CE"  # Excel's own "light red fill": the text stays readable
WARNING_FILL_COLOUR = "FFFFEB9C"  # Excel's "yellow fill", for cells with only warnings
PROBLEMS_SHEET_TITLE = "Problems"
COMMENT_AUTHOR = "sos-docs"
# A workbook refused unread, or whose job ran out of time, would cost as much again to open; one
# that failed with an internal error may have killed its worker process (out of memory), and the
# marked copy is made in the service's own process.
NOT_REOPENED = frozenset({codes.WB001, codes.SYS001, codes.SYS004})
MAX_CELL_TEXT = 32_000
# Cells filled and noted at most: each is a comment and a fill openpyxl must write, in the
# service's own process; the Problems sheet still lists (and links) every problem.
MAX_MARKED_CELLS = 1_000  # Excel holds at most 32,767 characters in a cell or comment

_PROBLEM_COLUMNS = (("Sheet", 28), ("Cell", 10), ("Code", 10), ("Level", 10), ("Message", 100))
_LEGEND_COLUMN, _LEGEND_WIDTH = 7, 60  # beside the list (column F left empty), clear of its filter
_LEGEND = (
    (ERROR_FILL_COLOUR, "Red: a cell with an error. Fix it: no documents are made until then."),
    (
        WARNING_FILL_COLOUR,
        "Yellow: a cell with only warnings. Check it: warnings do not stop the documents.",
    ),
)


# --------------------------------------------------------------------------------------------
# The marked-up copy


def write_marked_copy(
    source: Path,
    problems: Sequence[Problem],
    dest: Path,
    *,
    limits: Limits = DEFAULT_LIMITS,
    within: Path | None = None,
) -> Path:
    """A copy of the workbook with problem cells highlighted and commented, plus a Problems sheet.

    When the original cannot be opened (or must not be, such as a zip bomb), the copy holds only
    the Problems sheet. Written through `files.write_new_file` (with `within`): whole, and
    never overwriting.
    """
    book = _open_original(source, problems, limits)
    data = _marked_bytes(book, _ordered(problems)) if book is not None else None
    if data is None:
        data = _problems_only_bytes(problems)
    return write_new_file(dest, data, within=within)


def _open_original(source: Path, problems: Sequence[Problem], limits: Limits) -> Workbook | None:
    """The workbook with formulas as written, or None when it cannot or should not be opened.

    Read once through the guard's reader (no links, no pipes, bounded), and opened from memory.
    """
    # A workbook refused unread, or whose job ran out of time, would cost as much again here.
    if any(p.code in NOT_REOPENED for p in problems):
        return None
    try:
        data = read_claimed_file(source, limits)
    except WorkbookError:
        return None
    if not _within_limits(data, limits):
        return None
    try:
        # This runs in the service's own process, whatever the job's state: a workbook whose
        # load would cost more than the budget (a merged whole sheet) is never loaded here.
        check_load_cost(data, source.name, limits)
        with warnings.catch_warnings():
            # "Data Validation extension is not supported" and friends: nothing staff can act on.
            warnings.simplefilter("ignore")
            return load_workbook(
                io.BytesIO(data), data_only=False, keep_vba=False, keep_links=False
            )
    except Exception as exc:  # openpyxl raises a zoo of types for odd files; the fallback is safe
        logger.warning(
            "could not open %s to mark it up (%s); copying the problems only",
            source.name,
            without_quoted_text(exc),
        )
        return None


def _within_limits(data: bytes, limits: Limits) -> bool:
    """True when the bytes are a zip small enough, unpacked, to load whole into memory."""
    if len(data) > limits.max_file_bytes:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return unpacked <= limits.max_uncompressed_bytes


def _marked_bytes(book: Workbook, problems: Sequence[Problem]) -> bytes | None:
    """The original with its problem cells marked and a Problems sheet, or None if it fails."""
    try:
        targets = _targets(book, problems)  # before the Problems sheet can match a name
        marked = _mark_cells(book, problems, targets)
        _add_problems_sheet(book, problems, targets, marked)
        return _saved(book)
    except Exception as exc:  # content openpyxl cannot write back; fall back to problems only
        logger.warning(
            "could not write a marked copy (%s); copying the problems only",
            without_quoted_text(exc),
        )
        return None


def _problems_only_bytes(problems: Sequence[Problem]) -> bytes:
    """A fresh workbook holding only the Problems sheet."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    try:
        ordered = _ordered(problems)
        _add_problems_sheet(book, ordered, [None] * len(ordered), 0)
        return _saved(book)
    except Exception as exc:
        raise DeliveryError(
            "sos-docs could not make the marked copy of the workbook. The problems are listed "
            "in the problems text file next to it. Please tell IT about this message."
        ) from exc


def _saved(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes (never as a template or macro workbook)."""
    book.template = False  # an .xltx original would otherwise be saved as a template
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ordered(problems: Sequence[Problem]) -> list[Problem]:
    """The problems in the Problems sheet's order, as problems.txt lists them: errors first,
    then warnings, each by sheet and cell."""
    return listing_order(problems)


def _mark_cells(
    book: Workbook, problems: Sequence[Problem], targets: Sequence[tuple[str, int, int] | None]
) -> int:
    """Fill each problem cell (the first MAX_MARKED_CELLS) and give it one comment holding all of
    its problems; how many cells were marked."""
    by_cell: dict[tuple[str, int, int], list[Problem]] = {}
    for problem, target in zip(problems, targets, strict=True):
        if target is not None and (target in by_cell or len(by_cell) < MAX_MARKED_CELLS):
            by_cell.setdefault(target, []).append(problem)
    for (title, row, column), cell_problems in by_cell.items():
        cell = book[title].cell(row, column)
        if not isinstance(cell, Cell):  # a merged cell's hidden part; _targets avoids them
            continue
        colour = ERROR_FILL_COLOUR if _has_error(cell_problems) else WARNING_FILL_COLOUR
        cell.fill = _solid(colour)
        cell.comment = _comment(cell, cell_problems)
    return len(by_cell)


def _targets(book: Workbook, problems: Sequence[Problem]) -> list[tuple[str, int, int] | None]:
    """(sheet title, row, column) of the cell to mark for each problem; a merged area is marked
    at its corner. Merged ranges are matched once per sheet, not once per problem."""
    places: list[tuple[str, int, int] | None] = []
    wanted: dict[str, set[tuple[int, int]]] = {}
    for problem in problems:
        sheet = _find_sheet(book, problem.sheet)
        position = cell_position(problem.cell)
        if sheet is None or position is None:
            places.append(None)
            continue
        places.append((sheet.title, *position))
        wanted.setdefault(sheet.title, set()).add(position)
    corners = {
        (title, *cell): corner
        for title, cells in wanted.items()
        for cell, corner in _merged_corners(book[title], cells).items()
    }
    return [
        None if place is None else (place[0], *corners.get(place, place[1:])) for place in places
    ]


def _merged_corners(
    sheet: Worksheet, cells: set[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """The top-left corner of the merged range each of `cells` lies in (cells outside any left out).

    One pass over the ranges, finding the problem rows inside each by bisection: the work is
    bounded by the merged cells, which the load-cost budget already limits.
    """
    columns_by_row: dict[int, list[int]] = {}
    for row, column in cells:
        columns_by_row.setdefault(row, []).append(column)
    rows = sorted(columns_by_row)
    for columns in columns_by_row.values():
        columns.sort()
    corners: dict[tuple[int, int], tuple[int, int]] = {}
    for merged in sheet.merged_cells.ranges:
        corner = (merged.min_row, merged.min_col)
        for index in range(bisect_left(rows, merged.min_row), bisect_right(rows, merged.max_row)):
            columns = columns_by_row[rows[index]]
            first = bisect_left(columns, merged.min_col)
            for column in columns[first : bisect_right(columns, merged.max_col)]:
                corners.setdefault((rows[index], column), corner)
    return corners


def _find_sheet(book: Workbook, name: str | None) -> Worksheet | None:
    """The worksheet a problem names: by title, by title in any case, or by a contract alias."""
    if not name:
        return None
    sheets = [ws for ws in book.worksheets if isinstance(ws, Worksheet)]
    wanted = schema.normalise_label(name)
    for ws in sheets:
        if ws.title == name:
            return ws
    for ws in sheets:
        if schema.normalise_label(ws.title) == wanted:
            return ws
    for contract in schema.SHEETS:
        names = schema.sheet_names_for(contract)
        if wanted in names:
            return next((ws for ws in sheets if schema.normalise_label(ws.title) in names), None)
    return None


def _solid(colour: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def _level_colour(problem: Problem) -> str:
    return ERROR_FILL_COLOUR if problem.level is Level.ERROR else WARNING_FILL_COLOUR


def _has_error(problems: Iterable[Problem]) -> bool:
    return any(p.level is Level.ERROR for p in problems)


def _comment(cell: Cell, problems: Sequence[Problem]) -> Comment:
    """One comment with every problem of the cell, keeping any note the author had left."""
    lines = ["sos-docs found:"]
    lines += [f"- {level_word(p)}: {one_line(p.message)} ({p.code})" for p in problems]
    if cell.comment is not None and cell.comment.text:
        lines += ["", f"Earlier note: {cell.comment.text}"]
    text = ILLEGAL_CHARACTERS_RE.sub(" ", "\n".join(lines))[:MAX_CELL_TEXT]
    height = min(400, 60 + 40 * len(problems))
    return Comment(text, COMMENT_AUTHOR, height=height, width=360)


def _add_problems_sheet(
    book: Workbook,
    ordered: Sequence[Problem],
    targets: Sequence[tuple[str, int, int] | None],
    marked: int,
) -> None:
    """A first, selected sheet listing every problem, with links to the cells, and a line saying
    so when only the first MAX_MARKED_CELLS cells were marked in the sheets."""
    sheet = book.create_sheet(_free_title(book), 0)
    sheet.sheet_properties.tabColor = "FFC00000"
    for column, (header, width) in enumerate(_PROBLEM_COLUMNS, start=1):
        heading = sheet.cell(1, column, header)
        heading.font = Font(bold=True)
        sheet.column_dimensions[heading.column_letter].width = width
    for row, (problem, target) in enumerate(zip(ordered, targets, strict=True), start=2):
        _write_problem_row(book, sheet, row, problem, target)
    if marked >= MAX_MARKED_CELLS and len({t for t in targets if t is not None}) > marked:
        note = (
            f"There are more problem cells than can be marked: only the first "
            f"{MAX_MARKED_CELLS:,} are filled and noted in the sheets. Every problem is listed "
            "above, with a link to its cell."
        )
        _put_text(sheet.cell(len(ordered) + 3, 1), note)
    _add_legend(sheet)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:E{max(2, len(ordered) + 1)}"
    _select_only(book, sheet)


def _add_legend(sheet: Worksheet) -> None:
    """What the colours in the sheets mean, each line filled in the colour it explains."""
    heading = sheet.cell(1, _LEGEND_COLUMN, "What the colours in the sheets mean")
    heading.font = Font(bold=True)
    sheet.column_dimensions[heading.column_letter].width = _LEGEND_WIDTH
    for row, (colour, text) in enumerate(_LEGEND, start=2):
        cell = sheet.cell(row, _LEGEND_COLUMN)
        _put_text(cell, text)
        cell.fill = _solid(colour)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_problem_row(
    book: Workbook,
    sheet: Worksheet,
    row: int,
    problem: Problem,
    target: tuple[str, int, int] | None,
) -> None:
    """Sheet, Cell (a link to it), Code, Level, Message."""
    values = (
        problem.sheet or WHOLE_WORKBOOK,
        problem.cell or "",
        problem.code,
        level_word(problem),
    )
    for column, value in enumerate((*values, problem.message), start=1):
        _put_text(sheet.cell(row, column), value)
    sheet.cell(row, 4).fill = _solid(_level_colour(problem))
    sheet.cell(row, 5).alignment = Alignment(wrap_text=True, vertical="top")
    if target is not None:
        title, target_row, target_column = target
        link_cell = sheet.cell(row, 2)
        coordinate = book[title].cell(target_row, target_column).coordinate
        link_cell.hyperlink = Hyperlink(
            ref=link_cell.coordinate, location=f"{_quoted(title)}!{coordinate}"
        )
        link_cell.font = Font(color="FF0563C1", underline="single")


def _put_text(cell: Cell | MergedCell, value: str) -> None:
    """Write text as text: never as a formula, without characters Excel refuses."""
    if not isinstance(cell, Cell):  # the Problems sheet is new and has no merged cells
        return
    cell.value = ILLEGAL_CHARACTERS_RE.sub(" ", value)[:MAX_CELL_TEXT]
    cell.data_type = "s"  # a message starting with "=" must not become a formula


def _quoted(title: str) -> str:
    """A sheet title quoted for a reference: 'O''Brien family'."""
    return "'" + title.replace("'", "''") + "'"


def _free_title(book: Workbook) -> str:
    """'Problems', or a variant when the workbook already has a sheet of that name."""
    taken = {title.casefold() for title in book.sheetnames}
    candidates = [PROBLEMS_SHEET_TITLE, "Problems (sos-docs)"]
    candidates += [f"Problems {n}" for n in range(2, 1000)]
    return next(title for title in candidates if title.casefold() not in taken)


def _select_only(book: Workbook, sheet: Worksheet) -> None:
    """Open on the Problems sheet, with no other tab selected (Excel would group them)."""
    for other in book.worksheets:
        if isinstance(other, Worksheet):
            other.sheet_view.tabSelected = other is sheet
    book.active = sheet
