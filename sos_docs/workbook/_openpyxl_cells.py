"""Every use of openpyxl's private internals: its worksheet cell parser driven directly, and more.

The fast path reads a plain workbook's cell values with openpyxl's own row and cell parser
(`openpyxl.worksheet._reader.WorkSheetParser.parse_row`, so every value is typed exactly as
openpyxl types it) fed by lxml, without building openpyxl's cell, style and row objects: about ten
times faster than its full load. Beside it: the check that openpyxl parses with defusedxml, the
workbook part openpyxl would read (`openpyxl.reader.excel._find_workbook_part`), a loaded sheet's
stored cells and their styles (`Worksheet._cells`, `Cell._style`), a loaded workbook's fonts,
fills and number formats (`_fonts`, `_fills`, `_number_formats`), and its placed pictures
(`Worksheet._images`, the anchors' `_from`, `Image._data`, a drawing's `_blip_rels`). For the
fast path also: the pictures of a sheet by openpyxl's own drawing reader
(`openpyxl.reader.drawings.find_images`), and the part of the stylesheet the values and their
looks need (`CellFormats`: openpyxl's number format, font and fill classes, and each cell
format's ids numbered as `Stylesheet._normalise_numbers` numbers them).

Written against openpyxl 3.1.5 (pyproject.toml pins `openpyxl==3.1.*`); a new openpyxl must pass
the tests that prove this module gives what openpyxl's full load gives: tests/test_fast_path.py
(every case and the adversarial corpus, parts parsed whole and streamed), and
tests/workbook/test_hidden.py and tests/workbook/test_budgets.py, which run both paths.
"""

from __future__ import annotations

import functools
import io
import logging
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import openpyxl.packaging.relationship
import openpyxl.worksheet._reader
import openpyxl.xml
from lxml import etree  # type: ignore[import-untyped]
from openpyxl.cell.text import Text
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.drawings import find_images
from openpyxl.reader.excel import _find_workbook_part  # type: ignore[attr-defined]
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.styles.numbers import (
    BUILTIN_FORMATS_MAX_SIZE,
    BUILTIN_FORMATS_REVERSE,
    NumberFormatList,
    builtin_format_code,
    is_date_format,
    is_timedelta_format,
)
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.dimensions import ColumnDimension, RowDimension
from openpyxl.worksheet.merge import MergeCells
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_STYLE,
    ARC_WORKBOOK,
    IMAGE_NS,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
)
from openpyxl.xml.functions import fromstring, localname

from sos_docs.errors import WorkbookError
from sos_docs.model import Unseen
from sos_docs.workbook.guard import CheckedArchive
from sos_docs.workbook.looks import Looks
from sos_docs.workbook.text_budget import TextBudget

__all__ = [
    "SheetCells",
    "book_looks",
    "check_shared_text",
    "drawing_image_cells",
    "link_texts",
    "parsed_workbook",
    "picture_description",
    "placed_images",
    "read_sheet_cells",
    "require_defused_xml",
    "sheet_images",
    "stored_cells",
]

log = logging.getLogger(__name__)

Coordinate = tuple[int, int]

ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
SHEET_DATA_TAG = f"{{{SHEET_MAIN_NS}}}sheetData"
CELL_TAG = f"{{{SHEET_MAIN_NS}}}c"
COLUMNS_TAG = f"{{{SHEET_MAIN_NS}}}cols"
COLUMN_TAG = f"{{{SHEET_MAIN_NS}}}col"
MERGE_CELLS_TAG = f"{{{SHEET_MAIN_NS}}}mergeCells"
# openpyxl's load gives a cell with no value the address or place of a link on it (its Cell
# hyperlink setter), even in a range of cells or a cell the file does not have.
HYPERLINK_TAG = f"{{{SHEET_MAIN_NS}}}hyperlink"
INLINE_STRING_TAG = f"{{{SHEET_MAIN_NS}}}is"
SHARED_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
VALUE_TAG = f"{{{SHEET_MAIN_NS}}}v"
# What Excel writes in a cell. openpyxl's own parser reads and then empties a dozen elements
# (column widths, merged ranges, sheet views...) wherever they are, so one put inside a row or
# a cell is an empty cell to it, and a cell to a reader that does not empty it: the fast path
# reads only the shape Excel writes and leaves anything else to openpyxl's load.
CELL_CHILD_TAGS = frozenset(f"{{{SHEET_MAIN_NS}}}{name}" for name in ("f", "v", "is"))
CLEARED_KEPT = 64  # emptied elements kept in the tree before they are removed in one go
WHOLE_PART_BYTES = 2 * 1024 * 1024  # a sheet part up to this size is parsed in one go
MAX_REFERENCE_CHARS = len("XFD1048576")  # the longest cell reference Excel writes


def require_defused_xml() -> None:
    """Refuse to read anything if openpyxl would parse worksheets without defusedxml."""
    # The flag is read once when openpyxl is imported; the function its sheet reader holds is
    # what actually parses, so both are checked.
    sheet_iterparse = vars(openpyxl.worksheet._reader).get("iterparse")
    parser_module = str(getattr(sheet_iterparse, "__module__", ""))
    if not (openpyxl.xml.DEFUSEDXML and parser_module.startswith("defusedxml")):
        raise WorkbookError(
            "sos-docs cannot read workbooks safely on this computer: the defusedxml package is "
            "missing or switched off (OPENPYXL_DEFUSEDXML); ask IT to reinstall sos-docs"
        )


# ------------------------------------------------------------- the fast path for the values


@dataclass(frozen=True)
class SheetCells:
    """One worksheet's cells as the parser read them: values as openpyxl types them, merged-away
    cells dropped, the cells whose style hides their value, and the hidden rows and columns."""

    values: dict[Coordinate, object]
    styled_out: dict[Coordinate, Unseen] = field(default_factory=dict)
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: tuple[tuple[int, int], ...] = ()  # (first, last) column numbers


def read_sheet_cells(
    archive: zipfile.ZipFile, sheets: Sequence[tuple[str, str]], epoch: Any, budget: TextBudget
) -> list[SheetCells] | None:
    """The cells of each (title, part) sheet, text charged to the budget; None when openpyxl
    would read another workbook part than the one the sheets were found in."""
    package = package_manifest(archive)
    if _find_workbook_part(package).PartName != "/" + ARC_WORKBOOK:
        return None
    reader = CellReader(archive, package, epoch, budget)
    return [reader.sheet(title, part) for title, part in sheets]


class CellReader:
    """Reads worksheet cells as openpyxl's WorksheetReader would, minus the cell objects."""

    def __init__(
        self, archive: zipfile.ZipFile, package: Any, epoch: Any, budget: TextBudget
    ) -> None:
        self.archive = archive
        self.epoch = epoch
        self.budget = budget
        strings = package.find(SHARED_STRINGS)
        self.shared_strings: list[str] = []
        if strings is not None:
            self.shared_strings = shared_strings(archive, strings.PartName[1:], budget)
        # As openpyxl's apply_stylesheet: without a stylesheet, only style 0 exists.
        self.cell_styles: list[Any] = [None]
        self.date_formats: set[int] = set()
        self.timedelta_formats: set[int] = set()
        self.looks = Looks((), (), ())
        if ARC_STYLE in archive.namelist():
            stylesheet: Any = CellFormats.of(part_tree(archive, ARC_STYLE))
            if stylesheet.cell_styles:
                self.cell_styles = list(stylesheet.cell_styles)
                self.date_formats = stylesheet.date_formats
                self.timedelta_formats = stylesheet.timedelta_formats
                self.looks = Looks(stylesheet.fonts, stylesheet.fills, stylesheet.number_formats)
        # Looked up once per style, not per cell: a style that may hide a value is rare.
        self.hiding = [self.looks.may_hide(style) for style in self.cell_styles]

    def sheet(self, title: str, part: str) -> SheetCells:
        """Each cell's value by (row, column); merged-away cells dropped as openpyxl does.

        Each cell's text is charged to the budget as it is read, a shared string each time a
        cell refers to it, so a workbook over the budget stops here.
        """
        parser = SheetParser(
            None,  # type: ignore[arg-type]  # never read: the rows come from `part_elements`
            self.shared_strings,
            data_only=True,
            epoch=self.epoch,
            date_formats=self.date_formats,
            timedelta_formats=self.timedelta_formats,
        )
        values: dict[Coordinate, object] = {}
        styled_out: dict[Coordinate, Unseen] = {}
        merged: list[CellRange] = []
        hiding, charge = self.hiding, self.budget.charge
        tags = (ROW_TAG, MERGE_CELLS_TAG, COLUMN_TAG, HYPERLINK_TAG)
        for element in part_elements(self.archive, part, tags):
            if element.tag == HYPERLINK_TAG:  # values that come from links: the load decides
                raise UnusualSheet(element.tag)
            if element.tag == MERGE_CELLS_TAG:  # openpyxl keeps the last such list
                _require_parent(element, None)
                merged = list(merge_cells(element))
                continue
            if element.tag == COLUMN_TAG:  # openpyxl's parser reads each <col>, wherever it is
                _require_parent(element, COLUMNS_TAG, None)
                parser.parse_column_dimensions(element)
                continue
            _require_parent(element, SHEET_DATA_TAG, None)
            for coordinate, value, style_id in parser.row_cells(element):
                may_hide = hiding[style_id]  # a style that does not exist: damaged
                if value is None:  # a formatted empty cell: shown or not, nothing to see
                    values[coordinate] = value
                    continue
                if value.__class__ is str:
                    charge(title, coordinate, value)
                values[coordinate] = value
                if may_hide:
                    hidden_by = self.looks.hides(self.cell_styles[style_id], value)
                    if hidden_by is not None:
                        styled_out[coordinate] = hidden_by
        for cell_range in merged:
            drop_merged_away(values, cell_range)
        rows, columns = hidden_dimensions(parser, len(self.cell_styles))
        return SheetCells(values, styled_out, rows, columns)


def _require_parent(element: Any, *tags: str | None) -> None:
    """UnusualSheet unless the element's parent, grandparent... have these tags, the last None
    standing for the part's root (an element at its place in a sheet Excel writes)."""
    parent = element.getparent()
    for tag in tags:
        if tag is None:
            if parent is None or parent.getparent() is not None:
                raise UnusualSheet(element.tag)
            return
        if parent is None or parent.tag != tag:
            raise UnusualSheet(element.tag)
        parent = parent.getparent()


# ------------------------------------------------------- the stylesheet, as far as values need it


@dataclass(frozen=True)
class XfIds:
    """A cell format's font, fill and number format, as openpyxl's StyleArray holds them."""

    fontId: int  # openpyxl's names, which Looks reads
    fillId: int
    numFmtId: int


# What openpyxl's CellStyle takes: any other attribute makes its stylesheet fail to load.
XF_INTEGERS = ("numFmtId", "fontId", "fillId", "borderId", "xfId")
XF_ATTRIBUTES = frozenset(
    (*XF_INTEGERS, "quotePrefix", "pivotButton", "applyNumberFormat", "applyFont", "applyFill",
     "applyBorder", "applyAlignment", "applyProtection")
)  # fmt: skip
XF_CHILDREN = frozenset(("alignment", "protection", "extLst"))
# openpyxl keeps a cell format's ids in an array of C ints: a larger id makes its load fail.
C_INT_MIN, C_INT_MAX = -(2**31), 2**31 - 1


class UnusualStylesheet(ValueError):
    """A stylesheet this module does not read exactly as openpyxl would: openpyxl's load decides."""


class UnusualSheet(ValueError):
    """A worksheet not in the shape Excel writes (an element where Excel puts none, a row or
    column attribute read in another way): openpyxl's load decides."""


@dataclass(frozen=True)
class CellFormats:
    """What the cell values and their looks need of the stylesheet (number formats, fonts, fills,
    and each cell format's ids), read as openpyxl's Stylesheet reads them, without building its
    borders, named styles, differential styles and alignments."""

    cell_styles: list[XfIds]
    date_formats: set[int]
    timedelta_formats: set[int]
    fonts: list[Any]
    fills: list[Any]
    number_formats: IndexedList[str]

    @classmethod
    def of(cls, root: Any) -> CellFormats:
        """The formats of a parsed stylesheet; UnusualStylesheet where openpyxl would differ."""
        if localname(root) != "styleSheet":
            raise UnusualStylesheet(root.tag)
        sections: dict[str, Any] = {}
        for element in root:  # as openpyxl's from_tree: the last of each kind counts
            sections[localname(element)] = element
        formats: Any = NumberFormatList()
        if "numFmts" in sections:
            formats = NumberFormatList.from_tree(sections["numFmts"])
        custom = {number.numFmtId: number.formatCode for number in formats.numFmt}
        fonts: list[Any] = _nested(sections, "fonts")
        fills: list[Any] = _nested(sections, "fills")
        xfs = [_xf_ids(xf) for xf in sections.get("cellXfs", ()) if localname(xf) == "xf"]
        return _normalised(xfs, custom, fonts, fills)


def _nested(sections: dict[str, Any], tag: str) -> list[Any]:
    """A list section (fonts, fills) built by openpyxl's own descriptor, as its Stylesheet does."""
    if tag not in sections:
        return []
    descriptor: Any = getattr(Stylesheet, tag)
    return list(descriptor.from_tree(sections[tag]))


def _xf_ids(xf: Any) -> XfIds:
    """A cell format's ids as openpyxl's CellStyle reads them (integers, 0 when not given)."""
    names = {key for key in xf.attrib if not key.startswith("{")}
    if not names <= XF_ATTRIBUTES or any(localname(child) not in XF_CHILDREN for child in xf):
        raise UnusualStylesheet(sorted(names - XF_ATTRIBUTES))
    ids = {name: int(xf.get(name, 0)) for name in XF_INTEGERS}  # as openpyxl's Integer
    if not all(C_INT_MIN <= value <= C_INT_MAX for value in ids.values()):
        raise OverflowError("a cell format id too big for openpyxl's StyleArray (C int)")
    return XfIds(ids["fontId"], ids["fillId"], ids["numFmtId"])


def _normalised(
    xfs: list[XfIds], custom: dict[int, str], fonts: list[Any], fills: list[Any]
) -> CellFormats:
    """As openpyxl's Stylesheet._normalise_numbers: a custom format that is a built-in one takes
    the built-in id, any other is numbered from 164 in order of first use; dates and durations
    are the cell formats whose format code openpyxl reads as one."""
    numbers: Any = IndexedList()
    styles, dates, durations = [], set(), set()
    for index, xf in enumerate(xfs):
        number_id = xf.numFmtId
        code: str | None
        if number_id in custom:
            code = custom[number_id]
            if code in BUILTIN_FORMATS_REVERSE:
                number_id = BUILTIN_FORMATS_REVERSE[code]
            else:
                number_id = numbers.add(code) + BUILTIN_FORMATS_MAX_SIZE
        else:
            code = builtin_format_code(number_id)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
        styles.append(XfIds(xf.fontId, xf.fillId, number_id))
    return CellFormats(styles, dates, durations, fonts, fills, numbers)


def hidden_dimensions(
    parser: Any, styles: int
) -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    """The hidden rows and column ranges in the attributes openpyxl's parser collected, judged
    by openpyxl's own RowDimension and ColumnDimension from the attributes that hide (their
    aliases `height` and `visible` included) and as the full load judges them (a height or
    width of 0 hides too).

    UnusualSheet where the full load would read them otherwise: a style that is not a plain
    number of a cell format (the load looks it up), a column range not in plain numbers.
    """
    rows = set()
    for number, attributes in parser.row_dimensions.items():
        _check_style(attributes.get("s"), styles)
        if _row_hidden(tuple(map(attributes.get, ROW_HIDING))):
            rows.add(int(number))
    columns = []
    for attributes in parser.column_dimensions.values():
        first, last = str(attributes.get("min")), str(attributes.get("max"))
        if not (first.isdecimal() and last.isdecimal()):  # the load fails, or reads it so
            raise UnusualSheet(attributes)
        _check_style(attributes.get("style"), styles)
        if _column_hidden(tuple(map(attributes.get, COLUMN_HIDING))):
            columns.append((int(first), int(last)))
    return frozenset(rows), tuple(columns)


# The attributes by which openpyxl's RowDimension and ColumnDimension hide a row or column.
ROW_HIDING = ("hidden", "visible", "ht", "height")
COLUMN_HIDING = ("hidden", "visible", "width")
NO_SHEET: Any = None  # a dimension's worksheet: only its style would use it


# A form's rows and columns share a few sets of these values: each set is judged once (an
# error, for a value openpyxl cannot read, is raised again every time).
@functools.lru_cache(maxsize=256)
def _row_hidden(values: tuple[Any, ...]) -> bool:
    """Whether openpyxl's RowDimension with these ROW_HIDING values is a hidden row."""
    row = RowDimension(NO_SHEET, **_given(ROW_HIDING, values))
    return bool(row.hidden or row.ht == 0)


@functools.lru_cache(maxsize=256)
def _column_hidden(values: tuple[Any, ...]) -> bool:
    """Whether openpyxl's ColumnDimension with these COLUMN_HIDING values is a hidden column."""
    column = ColumnDimension(NO_SHEET, **_given(COLUMN_HIDING, values))
    return bool(column.hidden or column.width == 0)


def _given(names: tuple[str, ...], values: tuple[Any, ...]) -> dict[str, Any]:
    """The attributes among `names` that a row or column has, by name."""
    return {name: value for name, value in zip(names, values, strict=True) if value is not None}


def _check_style(style: Any, styles: int) -> None:
    """UnusualSheet unless a dimension's style, if it has one, is a cell format's number."""
    if style is not None and not (style.isdecimal() and int(style) < styles):
        raise UnusualSheet(style)


def merge_cells(element: Any) -> Any:
    """The merged ranges a <mergeCells> element lists, as openpyxl reads them."""
    found: Any = MergeCells.from_tree(element)
    return found.mergeCell


# A <row> with no other attributes than these has no RowDimension in openpyxl's parse_row.
PLAIN_ROW_ATTRIBUTES = frozenset({"r", "spans"})


@functools.lru_cache(maxsize=256)  # a form's rows share a few sets of attribute names
def _formatted(names: tuple[str, ...]) -> bool:
    """Whether a row with these attribute names gets a RowDimension in parse_row."""
    return any(not name.startswith("{") and name not in PLAIN_ROW_ATTRIBUTES for name in names)


class SheetParser(WorkSheetParser):
    """openpyxl's row and cell parser, reading its commonest cells directly.

    openpyxl builds a rich-text object for every inline string just to join its pieces; for
    the plain form Excel and openpyxl write (`<is><t>text</t></is>`) the text is that piece.
    A cell with no children (the formatted empty cells of a blank form) and a shared string
    (`<v>` alone) are read as openpyxl reads them, without its general lookups; every other
    cell goes to openpyxl's own parse_cell. tests/test_fast_path.py checks the values match.
    """

    def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
        number = row.get("r")  # (row_cells reads such an empty row the same way)
        if len(row) == 0 and number is not None and number.isdecimal():
            # A row with no cells (formatting only, thousands in a template) moves the row
            # counter and keeps its attributes if they may say something (hidden, height).
            self.start_row(row, number)
            return self.row_counter, []
        if any(child.tag != CELL_TAG for child in row):
            raise UnusualSheet(row.tag)
        found: tuple[int, list[dict[str, Any]]] = super().parse_row(row)
        return found

    def start_row(self, row: Any, number: str) -> None:
        """The row counter at a row numbered plainly, and the row's attributes kept as
        parse_row keeps them: for its RowDimension, when it has more than `r` and `spans`."""
        self.row_counter, self.col_counter = int(number), 0
        if _formatted(tuple(row.keys())):
            self.row_dimensions[str(self.row_counter)] = dict(row.attrib)

    def row_cells(self, row: Any) -> list[tuple[Coordinate, object, Any]]:
        """The cells `parse_row` gives, each as (coordinate, value, style id), with the row's
        bookkeeping (row and column counters, row dimensions) left as parse_row leaves it.

        A row numbered plainly (`r` in digits), as a form's rows are, is read here: an empty one
        as `parse_row` reads it; one with cells with its header as openpyxl's parse_row reads
        it, and its formatted empty cells (most of a blank form's) as `cell_at` reads them,
        without a dictionary and two calls per cell. Every other cell goes to `parse_cell`, and
        every other row to `parse_row` itself.
        """
        number = row.get("r")
        if number is None or not number.isdecimal():
            return [
                ((c["row"], c["column"]), c["value"], c["style_id"]) for c in self.parse_row(row)[1]
            ]
        self.start_row(row, number)
        cells: list[tuple[Coordinate, object, Any]] = []
        for element in row:  # every child is a cell to parse_row
            if element.tag != CELL_TAG:
                raise UnusualSheet(element.tag)
            if len(element):
                cell = self.parse_cell(element)
                cells.append(((cell["row"], cell["column"]), cell["value"], cell["style_id"]))
                continue
            style_id = element.get("s", 0)  # as cell_at, below
            if style_id:
                style_id = int(style_id)
            coordinate = element.get("r")
            if coordinate:
                position = cell_position(coordinate)
                self.col_counter = position[1]
            else:
                self.col_counter += 1
                position = (self.row_counter, self.col_counter)
            cells.append((position, None, style_id))
        return cells

    def parse_cell(self, element: Any) -> dict[str, Any]:
        """openpyxl's parse_cell (data_only), with its three commonest forms read directly."""
        children = len(element)
        if not children:  # a formatted empty cell, most of a blank form's: None whatever its type
            return self.cell_at(element, None, element.get("t", "n"))
        for child in element:
            if child.tag not in CELL_CHILD_TAGS:
                raise UnusualSheet(child.tag)
        data_type = element.get("t")
        if data_type == "inlineStr":
            first = element[0]  # find() walks a path in Python: the <is> is nearly always first
            text = plain_text(
                first if first.tag == INLINE_STRING_TAG else element.find(INLINE_STRING_TAG)
            )
            if text is not None:
                return self.cell_at(element, text, "s")
        elif data_type == "s" and children == 1 and element[0].tag == VALUE_TAG:
            index = element[0].text or None  # as openpyxl's findtext(...) or None
            value = None if index is None else self.shared_strings[int(index)]
            return self.cell_at(element, value, "s")
        found: dict[str, Any] = super().parse_cell(element)
        return found

    def cell_at(self, element: Any, value: object, data_type: str) -> dict[str, Any]:
        """A cell of the given value as openpyxl's parse_cell gives it: its position (from its
        reference, or the next column when it has none) and its style id, read as openpyxl reads
        them, without openpyxl's lookups for a value, a formula and inline text."""
        coordinate = element.get("r")
        style_id = element.get("s", 0)
        if style_id:
            style_id = int(style_id)
        if coordinate:
            row, column = cell_position(coordinate)
            self.col_counter = column
        else:
            self.col_counter += 1
            row, column = self.row_counter, self.col_counter
        return {"row": row, "column": column, "value": value, "data_type": data_type,
                "style_id": style_id}  # fmt: skip


def cell_position(coordinate: str) -> tuple[int, int]:
    """(row, column) of a cell reference, as openpyxl's parse_cell reads it (coordinate_to_tuple).

    The same few references recur on every sheet, so each is worked out once; only references
    as short as Excel's (XFD1048576) are kept, so a hostile file cannot fill the cache with
    long strings (4,096 of them at most).
    """
    if len(coordinate) > MAX_REFERENCE_CHARS:
        found: tuple[int, int] = coordinate_to_tuple(coordinate)
        return found
    return _cached_position(coordinate)


@functools.lru_cache(maxsize=4096)
def _cached_position(coordinate: str) -> tuple[int, int]:
    found: tuple[int, int] = coordinate_to_tuple(coordinate)
    return found


def plain_text(container: Any) -> str | None:
    """The text of `<is>`/`<si>` holding a single plain `<t>`, as openpyxl's Text reads it;
    None for any other form (rich text runs, phonetic guides, attributes), left to openpyxl."""
    if container is None or container.attrib or len(container) != 1:
        return None
    piece = container[0]
    if not isinstance(piece.tag, str) or piece.tag.rpartition("}")[2] != "t" or len(piece):
        return None
    return str(piece.text or "")


def shared_strings(archive: zipfile.ZipFile, part: str, budget: TextBudget) -> list[str]:
    """openpyxl's read_string_table, reading plain strings directly (see `plain_text`).

    The table as a whole may hold no more text than all the cells together may.
    """
    strings = []
    total = 0
    for element in part_elements(archive, part, (SHARED_STRING_TAG,)):
        text = plain_text(element)
        if text is None:
            rich: Any = Text.from_tree(element)
            text = rich.content
        strings.append(text.replace("x005F_", ""))
        total += len(text)
        if total > budget.limits.max_text_chars:
            raise WorkbookError(budget.too_much_text_message())
    return strings


def check_shared_text(archive: zipfile.ZipFile, budget: TextBudget) -> None:
    """Before openpyxl loads it: the shared string table holds no more text than the budget.

    A part's bytes are never fewer than its characters, so only a table larger in bytes than
    the budget needs reading.
    """
    package: Any = package_manifest(archive)
    strings = package.find(SHARED_STRINGS)
    if strings is None:
        return
    part = strings.PartName[1:]
    if archive.getinfo(part).file_size > budget.limits.max_text_chars:
        shared_strings(archive, part, budget)


def package_manifest(archive: zipfile.ZipFile) -> Any:
    """openpyxl's Manifest of the package's parts ([Content_Types].xml): parsed once per
    checked archive for the load cost and the cell read (an error is raised at every call)."""

    def parse() -> Any:
        return Manifest.from_tree(part_tree(archive, ARC_CONTENT_TYPES))

    if isinstance(archive, CheckedArchive):
        return archive.kept(("manifest", ARC_CONTENT_TYPES), parse)
    return parse()


def part_tree(archive: zipfile.ZipFile, part: str) -> Any:
    """A small part parsed as openpyxl parses it (lxml without entities, or defusedxml)."""
    return fromstring(archive.read(part))


def part_elements(archive: zipfile.ZipFile, part: str, tags: tuple[str, ...]) -> Iterator[Any]:
    """Each element of a part with one of `tags`, in end-event order (an element once all of it
    is read, so nested ones before their container, as openpyxl's own parser gives them),
    parsed by lxml with no DTD, entities or network.

    Comments and processing instructions are dropped, as openpyxl's parser drops them; in a
    row they would otherwise count as cells and shift the columns of cells with no reference.
    A small part is parsed whole, which is quicker (a blank workbook's hundreds of formatted,
    empty rows cost a Python step each as parser events); a larger one is parsed as a stream
    that keeps memory flat. The size is the one the zip declares, which reading never exceeds
    (zipfile fails a part that holds more).
    """
    with archive.open(part) as stream:
        if archive.getinfo(part).file_size <= WHOLE_PART_BYTES:
            # Parsed once with the same options by the load-cost count, if it kept it.
            take_tree = getattr(archive, "take_tree", None)
            root = take_tree(part) if take_tree is not None else None
            if root is None:
                # A parser per part: an lxml parser must not be shared by threads.
                root = etree.fromstring(stream.read(), etree.XMLParser(**SAFE_PARSING))
            for _, element in etree.iterwalk(root, events=("end",), tag=tags):
                yield element
            return
        for _, element in etree.iterparse(stream, tag=tags, **SAFE_PARSING):
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None and len(parent) > CLEARED_KEPT:  # memory stays flat
                # Only the elements before it: the parser has read ahead, and the elements
                # after it, still to be given, stay where they are in the tree.
                del parent[: parent.index(element)]


# What lxml may not do while parsing a workbook's parts, whole or as a stream.
SAFE_PARSING: dict[str, bool] = {
    "remove_comments": True,
    "remove_pis": True,
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


def drop_merged_away(values: dict[Coordinate, object], cell_range: CellRange) -> None:
    """Every cell of a merged range but its top-left one has no value (openpyxl: MergedCell)."""
    first = (cell_range.min_row, cell_range.min_col)
    for row, column in list(values):
        if (
            cell_range.min_row <= row <= cell_range.max_row
            and cell_range.min_col <= column <= cell_range.max_col
            and (row, column) != first
        ):
            del values[(row, column)]


# ------------------------------------------------------------- what a loaded workbook keeps private


def stored_cells(sheet: Worksheet) -> Iterator[tuple[Coordinate, object, Any]]:
    """(coordinate, value, style) of each cell a loaded sheet holds; the style a StyleArray or None."""
    # _cells holds only the cells in the file: iterating the declared dimension could be
    # a million empty rows (iter_rows would even create them).
    for coordinate, cell in sheet._cells.items():
        yield coordinate, cell.value, getattr(cell, "_style", None)


def link_texts(sheet: Worksheet, archive: zipfile.ZipFile, part: str) -> dict[Coordinate, bool]:
    """The cells whose value openpyxl's load took from a link on them, each with whether the
    sheet has the cell at all.

    openpyxl's Cell.hyperlink setter gives a cell with no value the link's address or place
    (even each cell of a range, which it makes): Excel shows such a cell empty, as it is when a
    linked cell's text was deleted. Judged from the sheet's own cells; a sheet with a cell
    without a reference (its place only counted) is left as openpyxl read it.
    """
    cells: dict[Coordinate, Any] = sheet._cells
    candidates = set()
    for coordinate, cell in cells.items():
        link = getattr(cell, "_hyperlink", None)
        if (
            link is not None
            and cell.value is not None
            and cell.value == (link.target or link.location)
        ):
            candidates.add(coordinate)
    if not candidates:
        return {}
    in_file: dict[Coordinate, bool] = {}  # a candidate the sheet has: whether it has a value
    for element in part_elements(archive, part, (CELL_TAG,)):
        reference = element.get("r")
        if not reference:
            return {}
        position = cell_position(reference)
        if position in candidates:
            in_file[position] = any(
                child.tag == INLINE_STRING_TAG or (child.tag == VALUE_TAG and bool(child.text))
                for child in element
            )
    return {c: c in in_file for c in candidates if not in_file.get(c, False)}


def book_looks(book: Any) -> Looks:
    """The looks of a loaded workbook's cell styles, from the fonts, fills and formats it keeps."""
    return Looks(book._fonts, book._fills, book._number_formats)


def placed_images(sheet: Worksheet) -> Iterator[tuple[Any, Any]]:
    """Each image placed over a loaded sheet, in drawing order, with its 0-based from-marker
    (None when it has no cell anchor)."""
    images: list[Any] = sheet._images  # type: ignore[attr-defined]
    for image in images:
        yield image, getattr(image.anchor, "_from", None)


def sheet_images(archive: zipfile.ZipFile, sheet_part: str) -> list[tuple[Any, Any]]:
    """Each image openpyxl's full load would place over the sheet, with its 0-based from-marker,
    read by openpyxl's own drawing reader (`find_images`) from the sheet's drawing parts alone.

    The same relationships, in the same order, as openpyxl's `ExcelReader.read_worksheets`.
    """
    rels_path_of: Any = get_rels_path  # openpyxl's helpers are untyped
    rels_path = rels_path_of(sheet_part)
    if rels_path not in archive.namelist():
        return []
    drawing_type: str = getattr(SpreadsheetDrawing, "_rel_type")  # noqa: B009
    placed: list[tuple[Any, Any]] = []
    for drawing in dependents(archive, rels_path).find(drawing_type):
        _charts, images = find_images(archive, drawing.target)
        placed.extend((image, getattr(image.anchor, "_from", None)) for image in images)
    return placed


def dependents(archive: zipfile.ZipFile, rels_path: str) -> Any:
    """openpyxl's `get_dependents` of a relationships part (targets made absolute), read once per
    checked archive for the load cost, the pictures and their listing, which only look in it.

    Each call gives the warnings get_dependents gave (from where it gave them, so the log names
    the same origin), and an error is raised again at every call.
    """
    if not isinstance(archive, CheckedArchive):
        return get_dependents(archive, rels_path)

    def parse() -> tuple[Any, list[warnings.WarningMessage]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = get_dependents(archive, rels_path)
        return found, caught

    found, caught = archive.kept(("dependents", rels_path), parse)
    registry = vars(openpyxl.packaging.relationship).setdefault("__warningregistry__", {})
    for warning in caught:  # as get_dependents' own warn() would give them, every time
        warnings.warn_explicit(
            warning.message,
            warning.category,
            warning.filename,
            warning.lineno,
            module=openpyxl.packaging.relationship.__name__,  # for filters naming the module
            registry=registry,
            module_globals=vars(openpyxl.packaging.relationship),
        )
    return found


def picture_description(image: Any) -> str:
    """The description (alt text) Excel keeps for a placed picture (`xdr:cNvPr/@descr`), or ""."""
    anchor = getattr(image, "anchor", None)
    picture = getattr(anchor, "pic", None)
    if picture is None:
        group = getattr(anchor, "groupShape", None)
        picture = getattr(group, "pic", None)
    properties = getattr(getattr(picture, "nvPicPr", None), "cNvPr", None)
    return str(getattr(properties, "descr", None) or "")


def image_bytes(image: Any) -> bytes | None:
    """The image file's bytes exactly as stored, or None when openpyxl cannot give them."""
    if isinstance(image.ref, io.BytesIO):
        return image.ref.getvalue()
    try:
        data = image._data()
    except (OSError, ValueError, AttributeError) as error:
        log.info("a picture's bytes cannot be read: %s", error)
        return None
    return data if isinstance(data, bytes) else None


def drawing_image_cells(archive: zipfile.ZipFile, sheet_part: str) -> Iterator[str]:
    """The cell each image of the sheet's drawings is anchored in, found as openpyxl finds them."""
    rels_path: Any = get_rels_path  # openpyxl's helpers are untyped
    drawing_type: str = getattr(SpreadsheetDrawing, "_rel_type")  # noqa: B009
    for drawing in dependents(archive, rels_path(sheet_part)).find(drawing_type):
        images = dependents(archive, rels_path(drawing.target))
        tree: Any = fromstring(archive.read(drawing.target))
        drawn: Any = SpreadsheetDrawing.from_tree(tree)
        for blip in drawn._blip_rels:
            marker = getattr(blip.anchor, "_from", None)
            if marker is not None and images.get(blip.embed).Type == IMAGE_NS:
                yield f"{get_column_letter(int(marker.col) + 1)}{int(marker.row) + 1}"


def parsed_workbook(archive: zipfile.ZipFile, part: str) -> WorkbookParser:
    """openpyxl's parser of the workbook part, parsed (no external links): once per checked
    archive, for both the scan and the load cost, which find the sheets as openpyxl does."""

    def parse() -> WorkbookParser:
        parser = WorkbookParser(archive, part, keep_links=False)
        parser.parse()
        return parser

    if isinstance(archive, CheckedArchive):
        kept: WorkbookParser = archive.kept(("workbook parser", part), parse)
        return kept
    return parse()


def workbook_part_name(package: Any) -> str:
    """The workbook part openpyxl would read from a package's manifest, without its leading /."""
    found: Any = _find_workbook_part(package)
    return str(found.PartName[1:])
