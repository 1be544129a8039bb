"""Reads a checked workbook file into a `RawWorkbook`: every worksheet's values and pictures, as typed.

The guard refuses unsafe files first. An ordinary workbook (no pictures) then has its cell values
read by openpyxl's own row and cell parser (`WorkSheetParser.parse_row`, so every value is typed
exactly as openpyxl types it) driven by lxml, without building openpyxl's cell, style and row
objects: about ten times faster. Anything else (pictures, a workbook part where openpyxl would
not look, duplicate sheet names, or any error on the way) gets openpyxl's full load (data_only,
not read_only, because pictures are needed), exactly as before.

Formulas need a second look: data_only gives None both for an empty cell and for a formula
whose value was never calculated, so worksheet XML that contains formulas is parsed once more to
find the cells with a formula and no saved value (rule WB007).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import io
import logging
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import openpyxl.worksheet._reader
import openpyxl.xml
from defusedxml.ElementTree import iterparse
from lxml import etree  # type: ignore[import-untyped]
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.text import Text
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.packaging.manifest import Manifest
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.reader.excel import _find_workbook_part  # type: ignore[attr-defined]
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange
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
from openpyxl.xml.functions import fromstring
from PIL import Image as PILImage

from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError, describe_warning, without_quoted_text
from sos_docs.model import CellValue, FormulaWithoutValue, Picture, RawSheet, RawWorkbook, Unseen
from sos_docs.workbook.guard import read_checked_workbook
from sos_docs.workbook.load_cost import check_load_cost

__all__ = ["read_workbook"]

log = logging.getLogger(__name__)

TOO_LARGE = "too large or too complex to process"
# openpyxl builds an object for every <c> element, styled or not (about 500 bytes and 10 us each),
# so a sheet formatted down to row 1,000,000 must be refused before it is loaded.
MAX_CELLS_PER_ROW = 50
SCAN_CHUNK_BYTES = 1024 * 1024
# A tag may carry a namespace prefix (<x:c>) when the file was written by other tools.
CELL_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
FORMULA_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
# Excel writes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_), and openpyxl
# hands them on literally; only control characters are decoded, the rest is the user's text.
EXCEL_CONTROL_ESCAPE_RE = re.compile(r"_x00[01][0-9A-Fa-f]_")

ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
COLUMNS_TAG = f"{{{SHEET_MAIN_NS}}}cols"
COLUMN_TAG = f"{{{SHEET_MAIN_NS}}}col"
MERGE_CELLS_TAG = f"{{{SHEET_MAIN_NS}}}mergeCells"
INLINE_STRING_TAG = f"{{{SHEET_MAIN_NS}}}is"
SHARED_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
CLEARED_KEPT = 64  # emptied elements kept in the tree before they are removed in one go
WHOLE_PART_BYTES = 2 * 1024 * 1024  # a sheet part up to this size is parsed in one go
# A worksheet relationship to a drawing means pictures (or charts): openpyxl reads those.
DRAWING_REL_RE = re.compile(rb"/relationships/drawing[\"']")
CELL_TAG = f"{{{SHEET_MAIN_NS}}}c"
FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"
VALUE_TAG = f"{{{SHEET_MAIN_NS}}}v"

# What a damaged or hostile file can make openpyxl, zipfile, lxml or Pillow raise while loading.
LOAD_ERRORS: tuple[type[BaseException], ...] = (
    InvalidFileException,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    SyntaxError,  # lxml's XMLSyntaxError, and Pillow on some broken images
    ParseError,
    defusedxml.DefusedXmlException,
    LookupError,  # KeyError, IndexError, and an XML declaration naming an unknown encoding
    ValueError,
    TypeError,
    AttributeError,
    ArithmeticError,  # e.g. a style number too big for openpyxl's C integers (found by fuzzing)
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)

# A drawing that cannot be listed: openpyxl read what it could of it, and that is what counts.
LISTING_ERRORS: tuple[type[BaseException], ...] = (*LOAD_ERRORS, KeyError)

Coordinate = tuple[int, int]


def read_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> RawWorkbook:
    """Every worksheet of the workbook at `path`, in tab order; WorkbookError if it cannot be read."""
    return _read_workbook(path, limits, fast=True)


def _read_workbook(path: Path, limits: Limits, *, fast: bool) -> RawWorkbook:
    """`read_workbook`, by the fast path where it applies or (fast=False) by openpyxl's load."""
    _require_defused_xml()
    data = read_checked_workbook(path, limits)
    try:
        scan = _scan_worksheet_parts(data, path.name, limits)
        check_load_cost(data, path.name, limits)  # merged ranges and the like, on either path
        sheets = _fast_sheets(data, scan, _TextBudget(path.name, limits)) if fast else None
        if sheets is None:
            _check_shared_text(data, _TextBudget(path.name, limits))
            book = _load_values(data)
            sheets = _openpyxl_sheets(book, scan.parts, _TextBudget(path.name, limits))
            sheets = _with_unreadable_pictures(sheets, scan.parts, data)
            _check_pictures(sheets, path.name, limits)
    except PILImage.DecompressionBombError as error:
        raise WorkbookError(
            f'"{path.name}" contains a picture too large to read safely; make the pictures '
            "smaller (select one, then Picture Format > Compress Pictures) and save again"
        ) from error
    except LOAD_ERRORS as error:
        log.info("%s: cannot be loaded: %s", path.name, without_quoted_text(error))
        raise WorkbookError(_unreadable_message(path.name)) from error
    raw = tuple(
        _raw_sheet(sheet, part.formulas_without_value, path.name, limits, hidden=part.hidden)
        for sheet, part in zip(sheets, scan.parts, strict=True)
    )
    return RawWorkbook(path_name=path.name, sheets=raw)


def _require_defused_xml() -> None:
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


def _unreadable_message(name: str) -> str:
    return (
        f'"{name}" is damaged or was not saved by Excel in a form it can be read in; open it in '
        "Excel, check it looks right, and save it again as Excel Workbook (.xlsx)"
    )


# ------------------------------------------------------------------------- loading the values


@dataclass(frozen=True)
class SheetValues:
    """One worksheet as loaded: its title, its cells' values as openpyxl types them, its pictures."""

    title: str
    values: Mapping[Coordinate, object]
    pictures: tuple[Picture, ...] = ()
    unreadable_pictures: tuple[str, ...] = ()  # cells
    hidden_rows: frozenset[int] = frozenset()
    hidden_columns: tuple[tuple[int, int], ...] = ()  # (first, last) column numbers
    styled_out: Mapping[Coordinate, Unseen] = dataclasses.field(default_factory=dict)


def _load_values(data: bytes) -> Any:
    """openpyxl's full load of cached values; its warnings go to the log (by category), not to stderr."""
    # A file object, not the path: openpyxl refuses names that do not end in .xlsx/.xlsm.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        book = load_workbook(io.BytesIO(data), data_only=True, keep_vba=False, keep_links=False)
    for warning in caught:
        log.info("openpyxl warned (text not logged): %s", describe_warning(warning))
    return book


def _openpyxl_sheets(book: Any, parts: list[SheetPart], budget: _TextBudget) -> list[SheetValues]:
    """The values and pictures of openpyxl's worksheets, matched one to one to the parts."""
    worksheets: list[Worksheet] = [s for s in book.worksheets if isinstance(s, Worksheet)]
    if [sheet.title for sheet in worksheets] != [part.title for part in parts]:
        log.info("%s: sheets %s do not match parts %s", budget.name, worksheets, parts)
        raise WorkbookError(_unreadable_message(budget.name))
    looks = _Looks(book._fonts, book._fills, book._number_formats)
    return [_openpyxl_sheet(sheet, budget, looks) for sheet in worksheets]


def _openpyxl_sheet(sheet: Worksheet, budget: _TextBudget, looks: _Looks) -> SheetValues:
    """A loaded worksheet's values (text charged to the budget), pictures, and what is hidden."""
    # _cells holds only the cells in the file: iterating the declared dimension could be
    # a million empty rows (iter_rows would even create them).
    values: dict[Coordinate, object] = {}
    styled_out: dict[Coordinate, Unseen] = {}
    for coordinate, cell in sheet._cells.items():
        value = cell.value
        if value.__class__ is str:
            budget.charge(sheet.title, coordinate, value)
        values[coordinate] = value
        hidden_by = looks.hides(getattr(cell, "_style", None), value)
        if hidden_by is not None:
            styled_out[coordinate] = hidden_by
    row_dimensions: dict[int, Any] = dict(sheet.row_dimensions)
    rows = frozenset(
        int(row)
        for row, dimension in row_dimensions.items()
        if dimension.hidden or dimension.ht == 0
    )
    column_dimensions: list[Any] = list(sheet.column_dimensions.values())
    columns = tuple(
        (int(dimension.min), int(dimension.max))
        for dimension in column_dimensions
        if dimension.hidden or dimension.width == 0
    )
    return SheetValues(sheet.title, values, tuple(_pictures(sheet)), (), rows, columns, styled_out)


def _raw_sheet(
    sheet: SheetValues,
    formulas: Mapping[Coordinate, str],
    name: str,
    limits: Limits,
    *,
    hidden: bool = False,
) -> RawSheet:
    """A worksheet's non-empty values; formulas without a saved value replace their None."""
    cells: dict[Coordinate, CellValue] = {}
    for coordinate, raw in sheet.values.items():
        value = _clean_value(raw)
        if value is not None and value != "":
            cells[coordinate] = value
    for coordinate, formula in formulas.items():
        cells[coordinate] = FormulaWithoutValue(formula)
    unseen = _unseen(sheet, cells)
    for coordinate in unseen:
        del cells[coordinate]
    rows = {row for row, _ in cells}
    if len(rows) > limits.max_rows:
        raise WorkbookError(
            f'"{name}": the sheet "{sheet.title}" has {len(rows):,} rows with values, more than '
            f"the {limits.max_rows:,} allowed, so the workbook is {TOO_LARGE}; delete the rows "
            "that are not part of the map and save again",
            sheet=sheet.title,
        )
    return RawSheet(
        title=sheet.title,
        cells=dict(sorted(cells.items())),  # row by row, whatever order the XML had
        max_row=max(rows, default=0),
        max_column=max((column for _, column in cells), default=0),
        pictures=sheet.pictures,
        unreadable_pictures=sheet.unreadable_pictures,
        hidden=hidden,
        unseen=dict(sorted(unseen.items())),
    )


def _unseen(sheet: SheetValues, cells: Mapping[Coordinate, CellValue]) -> dict[Coordinate, Unseen]:
    """The cells with a value that a person looking at the sheet cannot see, and why."""
    unseen: dict[Coordinate, Unseen] = {}
    if not (sheet.hidden_rows or sheet.hidden_columns or sheet.styled_out):
        return unseen
    for coordinate in cells:
        row, column = coordinate
        if row in sheet.hidden_rows:
            unseen[coordinate] = Unseen.ROW
        elif any(first <= column <= last for first, last in sheet.hidden_columns):
            unseen[coordinate] = Unseen.COLUMN
        elif coordinate in sheet.styled_out:
            unseen[coordinate] = sheet.styled_out[coordinate]
    return unseen


# ------------------------------------------------------------- the fast path for the values


def _fast_sheets(data: bytes, scan: WorkbookScan, budget: _TextBudget) -> list[SheetValues] | None:
    """The sheets' values through openpyxl's cell parser alone; None when openpyxl must load it.

    openpyxl's full load is the reference: anything this path does not handle exactly as it
    would, and any error at all, goes to it, so a damaged file is judged exactly as before.
    """
    if any(part.has_drawing for part in scan.parts) or not _plain_titles(scan.parts):
        return None
    try:
        with (
            warnings.catch_warnings(record=True) as caught,
            zipfile.ZipFile(io.BytesIO(data)) as zf,
        ):
            warnings.simplefilter("always")
            sheets = _values_of_parts(zf, scan, budget)
    except LOAD_ERRORS as error:
        log.debug("fast read fell back to the full load: %s", without_quoted_text(error))
        return None
    for warning in caught:
        log.info("openpyxl warned (text not logged): %s", describe_warning(warning))
    return sheets


def _plain_titles(parts: list[SheetPart]) -> bool:
    """No two sheets named alike (openpyxl would rename one, then the sheets do not match)."""
    folded = [part.title.casefold() for part in parts]
    return len(set(folded)) == len(folded) and all(folded)


def _values_of_parts(
    archive: zipfile.ZipFile, scan: WorkbookScan, budget: _TextBudget
) -> list[SheetValues] | None:
    package = Manifest.from_tree(_xml(archive, ARC_CONTENT_TYPES))
    if _find_workbook_part(package).PartName != "/" + ARC_WORKBOOK:
        return None  # openpyxl would read another workbook part than the one scanned
    reader = _CellReader(archive, package, scan.epoch, budget)
    return [reader.sheet(part.title, part.part) for part in scan.parts]


class _CellReader:
    """Reads worksheet cells as openpyxl's WorksheetReader would, minus the cell objects."""

    def __init__(
        self, archive: zipfile.ZipFile, package: Any, epoch: Any, budget: _TextBudget
    ) -> None:
        self.archive = archive
        self.epoch = epoch
        self.budget = budget
        strings = package.find(SHARED_STRINGS)
        self.shared_strings: list[str] = []
        if strings is not None:
            self.shared_strings = _shared_strings(archive, strings.PartName[1:], budget)
        # As openpyxl's apply_stylesheet: without a stylesheet, only style 0 exists.
        self.cell_styles: list[Any] = [None]
        self.date_formats: set[int] = set()
        self.timedelta_formats: set[int] = set()
        self.looks = _Looks((), (), ())
        if ARC_STYLE in archive.namelist():
            stylesheet: Any = Stylesheet.from_tree(_xml(archive, ARC_STYLE))
            if stylesheet.cell_styles:
                self.cell_styles = list(stylesheet.cell_styles)
                self.date_formats = stylesheet.date_formats
                self.timedelta_formats = stylesheet.timedelta_formats
                self.looks = _Looks(stylesheet.fonts, stylesheet.fills, stylesheet.number_formats)
        # Looked up once per style, not per cell: a style that may hide a value is rare.
        self.hiding = [self.looks.may_hide(style) for style in self.cell_styles]

    def sheet(self, title: str, part: str) -> SheetValues:
        """Each cell's value by (row, column); merged-away cells dropped as openpyxl does.

        Each cell's text is charged to the budget as it is read, a shared string each time a
        cell refers to it, so a workbook over the budget stops here.
        """
        parser = _SheetParser(
            None,  # type: ignore[arg-type]  # never read: the rows come from `_elements`
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
        for element in _elements(self.archive, part, (ROW_TAG, MERGE_CELLS_TAG, COLUMNS_TAG)):
            if element.tag == MERGE_CELLS_TAG:  # openpyxl keeps the last such list
                merged = list(_merge_cells(element))
                continue
            if element.tag == COLUMNS_TAG:
                for column in element:  # as openpyxl's parser, which finds each <col>
                    if column.tag == COLUMN_TAG:
                        parser.parse_column_dimensions(column)
                continue
            for cell in parser.parse_row(element)[1]:
                style_id = cell["style_id"]
                may_hide = hiding[style_id]  # a style that does not exist: damaged
                coordinate, value = (cell["row"], cell["column"]), cell["value"]
                if value.__class__ is str:
                    charge(title, coordinate, value)
                values[coordinate] = value
                if may_hide:
                    hidden_by = self.looks.hides(self.cell_styles[style_id], value)
                    if hidden_by is not None:
                        styled_out[coordinate] = hidden_by
        for cell_range in merged:
            _drop_merged_away(values, cell_range)
        rows, columns = _hidden_dimensions(parser)
        return SheetValues(title, values, (), (), rows, columns, styled_out)


def _hidden_dimensions(parser: Any) -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    """The hidden rows and column ranges in the attributes openpyxl's parser collected, read
    as openpyxl's RowDimension and ColumnDimension read them (a height or width of 0 hides too)."""
    rows = frozenset(
        int(row)
        for row, attributes in parser.row_dimensions.items()
        if _openpyxl_true(attributes.get("hidden")) or _is_zero(attributes.get("ht"))
    )
    columns = []
    for attributes in parser.column_dimensions.values():
        if _openpyxl_true(attributes.get("hidden")) or _is_zero(attributes.get("width")):
            first, last = attributes.get("min"), attributes.get("max")
            if not (first and last and int(first) and int(last)):  # as ColumnDimension.reindex
                first = last = attributes["min"]
            columns.append((int(first), int(last)))
    return rows, tuple(columns)


def _openpyxl_true(value: Any) -> bool:
    """An attribute as openpyxl's Bool descriptor reads it ("false", "f", "0" and "" are false)."""
    return value is not None and value not in ("false", "f", "0") and bool(value)


def _is_zero(value: Any) -> bool:
    return value is not None and float(value) == 0


def _merge_cells(element: Any) -> Any:
    merge_cells: Any = MergeCells.from_tree(element)
    return merge_cells.mergeCell


class _SheetParser(WorkSheetParser):
    """openpyxl's row and cell parser, reading the text of a plain inline string directly.

    openpyxl builds a rich-text object for every inline string just to join its pieces; for
    the plain form Excel and openpyxl write (`<is><t>text</t></is>`) the text is that piece.
    """

    def parse_row(self, row: Any) -> tuple[int, list[dict[str, Any]]]:
        number = row.get("r")
        if len(row) == 0 and number is not None and number.isdecimal():
            # A row with no cells (formatting only, thousands in a template) moves the row
            # counter and nothing else.
            self.row_counter, self.col_counter = int(number), 0
            return self.row_counter, []
        found: tuple[int, list[dict[str, Any]]] = super().parse_row(row)
        return found

    def parse_cell(self, element: Any) -> dict[str, Any]:
        inline = element.find(INLINE_STRING_TAG) if element.get("t") == "inlineStr" else None
        text = _plain_text(inline)
        if text is not None:
            element.remove(inline)  # openpyxl then finds the position and style alone
        cell: dict[str, Any] = super().parse_cell(element)
        if text is not None:
            cell.update(value=text, data_type="s")
        return cell


def _plain_text(container: Any) -> str | None:
    """The text of `<is>`/`<si>` holding a single plain `<t>`, as openpyxl's Text reads it;
    None for any other form (rich text runs, phonetic guides, attributes), left to openpyxl."""
    if container is None or container.attrib or len(container) != 1:
        return None
    piece = container[0]
    if not isinstance(piece.tag, str) or piece.tag.rpartition("}")[2] != "t" or len(piece):
        return None
    return str(piece.text or "")


def _shared_strings(archive: zipfile.ZipFile, part: str, budget: _TextBudget) -> list[str]:
    """openpyxl's read_string_table, reading plain strings directly (see `_plain_text`).

    The table as a whole may hold no more text than all the cells together may.
    """
    strings = []
    total = 0
    for element in _elements(archive, part, (SHARED_STRING_TAG,)):
        text = _plain_text(element)
        if text is None:
            rich: Any = Text.from_tree(element)
            text = rich.content
        strings.append(text.replace("x005F_", ""))
        total += len(text)
        if total > budget.limits.max_text_chars:
            raise WorkbookError(budget.too_much_text_message())
    return strings


def _check_shared_text(data: bytes, budget: _TextBudget) -> None:
    """Before openpyxl loads it: the shared string table holds no more text than the budget.

    A part's bytes are never fewer than its characters, so only a table larger in bytes than
    the budget needs reading.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        package: Any = Manifest.from_tree(_xml(archive, ARC_CONTENT_TYPES))
        strings = package.find(SHARED_STRINGS)
        if strings is None:
            return
        part = strings.PartName[1:]
        if archive.getinfo(part).file_size > budget.limits.max_text_chars:
            _shared_strings(archive, part, budget)


class _TextBudget:
    """The text read so far from one workbook's cells, against `max_text_chars` and
    `max_cell_chars`: a cell's text counts each time a cell holds it."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.remaining = limits.max_text_chars

    def charge(self, title: str, coordinate: Coordinate, text: str) -> None:
        """Count one cell's text; WorkbookError naming the cell once a budget is passed."""
        length = len(text)
        self.remaining -= length
        if self.remaining >= 0 and length <= self.limits.max_cell_chars:
            return
        cell = f"{get_column_letter(coordinate[1])}{coordinate[0]}"
        if length > self.limits.max_cell_chars:
            raise WorkbookError(
                f'"{self.name}": the cell {cell} of the sheet "{title}" holds {length:,} '
                f"characters, more than the {self.limits.max_cell_chars:,} one cell may hold, so "
                f"the workbook is {TOO_LARGE}; shorten the text in that cell (or split it over "
                "several rows) and save again",
                sheet=title,
                cell=cell,
            )
        raise WorkbookError(
            self.too_much_text_message(f'the sheet "{title}" cell {cell}'), sheet=title, cell=cell
        )

    def too_much_text_message(self, where: str = "") -> str:
        """The message for a workbook whose cells hold more text than the budget allows."""
        reached = f" (the total passes it at {where})" if where else ""
        return (
            f'"{self.name}" holds more than {self.limits.max_text_chars:,} characters of text '
            f"in its cells{reached}, so it is {TOO_LARGE}; a mapping workbook holds far less. "
            "Look for long text copied into many cells, delete what is not part of the map, "
            "and save again"
        )


def _xml(archive: zipfile.ZipFile, part: str) -> Any:
    """A small part parsed as openpyxl parses it (lxml without entities, or defusedxml)."""
    return fromstring(archive.read(part))


def _elements(archive: zipfile.ZipFile, part: str, tags: tuple[str, ...]) -> Iterator[Any]:
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
            # A parser per part: an lxml parser must not be shared by threads.
            root = etree.fromstring(stream.read(), etree.XMLParser(**_SAFE_PARSING))
            for _, element in etree.iterwalk(root, events=("end",), tag=tags):
                yield element
            return
        for _, element in etree.iterparse(stream, tag=tags, **_SAFE_PARSING):
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None and len(parent) > CLEARED_KEPT:  # memory stays flat
                del parent[:-1]


# What lxml may not do while parsing a workbook's parts, whole or as a stream.
_SAFE_PARSING: dict[str, bool] = {
    "remove_comments": True,
    "remove_pis": True,
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
}


def _drop_merged_away(values: dict[Coordinate, object], cell_range: CellRange) -> None:
    """Every cell of a merged range but its top-left one has no value (openpyxl: MergedCell)."""
    first = (cell_range.min_row, cell_range.min_col)
    for row, column in list(values):
        if (
            cell_range.min_row <= row <= cell_range.max_row
            and cell_range.min_col <= column <= cell_range.max_col
            and (row, column) != first
        ):
            del values[(row, column)]


# ------------------------------------------------------------------- what a person cannot see

WHITE_RGB = "FFFFFF"
WHITE_THEME = 0  # theme colour 0 is "Background 1", white in every built-in theme
WHITE_TINT = -0.05  # a theme white darkened less than this still reads as white


class _Looks:
    """Which cell styles hide a value from a person: white text on a white (or no) fill, or a
    number format with empty sections (`;;;` shows nothing, `;;` no number)."""

    def __init__(self, fonts: Any, fills: Any, number_formats: Any) -> None:
        self.fonts, self.fills, self.number_formats = fonts, fills, number_formats
        self.known: dict[tuple[int, int, int], tuple[Unseen | None, Unseen | None]] = {}

    def may_hide(self, style: Any) -> bool:
        """False when no value in a cell of this style (a StyleArray, or None) is hidden."""
        return style is not None and self._found(style) != (None, None)

    def _found(self, style: Any) -> tuple[Unseen | None, Unseen | None]:
        key = (style.fontId, style.fillId, style.numFmtId)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self._hiding(*key)
        return found

    def hides(self, style: Any, value: object) -> Unseen | None:
        """Why a value in a cell of this style (a StyleArray, or None) cannot be seen, if so."""
        if style is None or value is None:
            return None
        for_text, for_numbers = self._found(style)
        if value.__class__ is str:
            return for_text
        if value.__class__ is bool:  # TRUE and FALSE show whatever the number format
            return Unseen.WHITE if for_text is Unseen.WHITE else None
        return for_numbers

    def _hiding(
        self, font: int, fill: int, number_format: int
    ) -> tuple[Unseen | None, Unseen | None]:
        """(why text is hidden, why numbers are hidden) in a style, None where they show."""
        if self._white_on_white(font, fill):
            return Unseen.WHITE, Unseen.WHITE
        sections = self._format(number_format).split(";")
        numbers = len(sections) >= 3 and not "".join(sections[:3]).strip()
        text = numbers and len(sections) >= 4 and not sections[3].strip()
        return (Unseen.FORMAT if text else None), (Unseen.FORMAT if numbers else None)

    def _white_on_white(self, font: int, fill: int) -> bool:
        colour = getattr(_item(self.fonts, font), "color", None)
        if colour is None or not _is_white(colour):
            return False
        background = _item(self.fills, fill)
        pattern = getattr(background, "patternType", None)
        if background is None or pattern is None:
            return True  # no fill: the sheet's white
        return pattern == "solid" and _is_white(getattr(background, "fgColor", None))

    def _format(self, number_format: int) -> str:
        if number_format < BUILTIN_FORMATS_MAX_SIZE:
            return str(BUILTIN_FORMATS.get(number_format, "General"))
        return str(_item(self.number_formats, number_format - BUILTIN_FORMATS_MAX_SIZE) or "")


def _item(items: Any, index: int) -> Any:
    return items[index] if 0 <= index < len(items) else None


def _is_white(colour: Any) -> bool:
    """True for an openpyxl Color that is white: RGB FFFFFF, palette white, or theme white."""
    kind = getattr(colour, "type", None)
    if kind == "rgb":
        return str(colour.rgb).upper().endswith(WHITE_RGB)
    if kind == "indexed":
        index = int(colour.indexed)
        return 0 <= index < len(COLOR_INDEX) and COLOR_INDEX[index].upper().endswith(WHITE_RGB)
    if kind == "theme":
        return int(colour.theme) == WHITE_THEME and float(colour.tint or 0) > WHITE_TINT
    return False


# ------------------------------------------------------------------------- cell values


def _clean_value(value: object) -> CellValue:
    """A cell's value as the model types it; text is cleaned, never otherwise changed."""
    if isinstance(value, str):
        return _clean_text(value)
    if value is None or isinstance(value, bool | int | float | dt.datetime | dt.date | dt.time):
        return value
    # e.g. a timedelta from a duration format: kept readable, validation will refuse it as a date.
    log.debug("cell value of type %s read as text", type(value).__name__)
    return _clean_text(str(value))


def _clean_text(text: str) -> str:
    """Text without characters XML 1.0 forbids, with Excel's escapes decoded and \\n line breaks."""
    text = EXCEL_CONTROL_ESCAPE_RE.sub(lambda match: chr(int(match.group()[2:6], 16)), text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _check_pictures(sheets: list[SheetValues], name: str, limits: Limits) -> None:
    """Every placed picture within the pixel budget (read from its header, nothing decoded),
    and all of them together, each counted every time it is placed, within the bytes budget."""
    total = 0
    for sheet in sheets:
        for picture in sheet.pictures:
            width, height = _header_size(picture.data)
            if width * height > limits.max_picture_pixels:
                raise WorkbookError(
                    _picture_pixels_message(name, sheet.title, picture, (width, height), limits),
                    sheet=sheet.title,
                    cell=picture.anchor_cell,
                )
            total += len(picture.data)
            if total > limits.max_picture_bytes:
                raise WorkbookError(
                    f'"{name}": its pictures together, up to the one placed at cell '
                    f'{picture.anchor_cell} of the sheet "{sheet.title}", are more than '
                    f"{limits.max_picture_bytes // (1024 * 1024):,} MB (a picture counts each "
                    f"time it is placed), so the workbook is {TOO_LARGE}; use fewer or smaller "
                    "pictures (select one, then Picture Format > Compress Pictures) and save again",
                    sheet=sheet.title,
                    cell=picture.anchor_cell,
                )


def _header_size(data: bytes) -> tuple[int, int]:
    """A picture's width and height as its header states them; the pixels are not decoded."""
    with warnings.catch_warnings():
        # Between Pillow's warning and error sizes; the budget below is what decides.
        warnings.simplefilter("ignore", PILImage.DecompressionBombWarning)
        with PILImage.open(io.BytesIO(data)) as image:
            width, height = image.size
    return int(width), int(height)


def _picture_pixels_message(
    name: str, title: str, picture: Picture, size: tuple[int, int], limits: Limits
) -> str:
    width, height = size
    return (
        f'"{name}": the picture placed at cell {picture.anchor_cell} of the sheet "{title}" is '
        f"{width:,} x {height:,} pixels, more than the "
        f"{limits.max_picture_pixels // 1_000_000:,} megapixels a picture may have, so the "
        f"workbook is {TOO_LARGE}; make the picture smaller (select it, then Picture Format > "
        "Compress Pictures) and save again"
    )


def _pictures(sheet: Worksheet) -> Iterator[Picture]:
    """The images placed over the sheet, in drawing order; those without bytes or cell are skipped."""
    images: list[Any] = sheet._images  # type: ignore[attr-defined]
    for image in images:
        marker = getattr(image.anchor, "_from", None)
        data = _image_bytes(image)
        if marker is None or data is None:
            log.info("sheet %s: a picture without a cell anchor or data was skipped", sheet.title)
            continue
        row, column = int(marker.row) + 1, int(marker.col) + 1  # markers are 0-based
        yield Picture(
            data=data,
            format=str(image.format).lower(),
            anchor_row=row,
            anchor_cell=f"{get_column_letter(column)}{row}",
        )


def _with_unreadable_pictures(
    sheets: list[SheetValues], parts: list[SheetPart], data: bytes
) -> list[SheetValues]:
    """The sheets, each noting where a picture is placed that openpyxl or sos-docs dropped."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            dataclasses.replace(sheet, unreadable_pictures=_dropped(archive, part, sheet))
            if part.has_drawing
            else sheet
            for sheet, part in zip(sheets, parts, strict=True)
        ]


def _dropped(archive: zipfile.ZipFile, part: SheetPart, sheet: SheetValues) -> tuple[str, ...]:
    """The cells of the sheet's placed images that are not among the pictures read from it.

    openpyxl leaves out, with only a warning, an image it cannot open; staff must hear of it.
    """
    placed = collections.Counter(_placed_image_cells(archive, part.part))
    placed.subtract(picture.anchor_cell for picture in sheet.pictures)
    return tuple(sorted(placed.elements(), key=coordinate_to_tuple))


def _placed_image_cells(archive: zipfile.ZipFile, sheet_part: str) -> list[str]:
    """The cell each image of the sheet's drawings is anchored in, found as openpyxl finds them."""
    try:
        return list(_anchor_cells(archive, sheet_part))
    except LISTING_ERRORS as error:  # then the pictures openpyxl did read are all there are
        log.info("the drawing of %s cannot be listed: %s", sheet_part, without_quoted_text(error))
        return []


def _anchor_cells(archive: zipfile.ZipFile, sheet_part: str) -> Iterator[str]:
    rels_path: Any = get_rels_path  # openpyxl's helpers are untyped
    drawing_type: str = getattr(SpreadsheetDrawing, "_rel_type")  # noqa: B009
    for drawing in get_dependents(archive, rels_path(sheet_part)).find(drawing_type):
        images = get_dependents(archive, rels_path(drawing.target))
        tree: Any = fromstring(archive.read(drawing.target))
        drawn: Any = SpreadsheetDrawing.from_tree(tree)
        for blip in drawn._blip_rels:
            marker = getattr(blip.anchor, "_from", None)
            if marker is not None and images.get(blip.embed).Type == IMAGE_NS:
                yield f"{get_column_letter(int(marker.col) + 1)}{int(marker.row) + 1}"


def _image_bytes(image: Any) -> bytes | None:
    """The image file's bytes exactly as stored, or None when openpyxl cannot give them."""
    if isinstance(image.ref, io.BytesIO):
        return image.ref.getvalue()
    try:
        data = image._data()
    except (OSError, ValueError, AttributeError) as error:
        log.info("a picture's bytes cannot be read: %s", error)
        return None
    return data if isinstance(data, bytes) else None


# ----------------------------------------------------------- scanning the worksheet XML parts


@dataclass(frozen=True)
class SheetPart:
    """A worksheet's title, its XML part in the zip, and its formulas that have no saved value."""

    title: str
    part: str
    formulas_without_value: Mapping[Coordinate, str]
    has_drawing: bool = False  # pictures or charts placed over the sheet
    hidden: bool = False  # the tab is hidden or "very hidden"


@dataclass(frozen=True)
class WorkbookScan:
    """The worksheet parts in tab order, and the date system their serial dates count from."""

    parts: list[SheetPart]
    epoch: dt.datetime


def _scan_worksheet_parts(data: bytes, name: str, limits: Limits) -> WorkbookScan:
    """Count cells before openpyxl builds them, and find formulas with no saved value."""
    max_cells = limits.max_rows * MAX_CELLS_PER_ROW
    parts: list[SheetPart] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parser = WorkbookParser(archive, ARC_WORKBOOK, keep_links=False)
        parser.parse()
        cells_so_far = 0
        for title, part, hidden in _worksheet_parts(archive, parser):
            cells, has_formula = _count_cells(archive, part, max_cells - cells_so_far)
            cells_so_far += cells
            if cells_so_far > max_cells:
                raise WorkbookError(_too_many_cells_message(name, title, max_cells))
            formulas = _formulas_without_value(archive, part) if has_formula else {}
            drawing = _has_drawing(archive, part)
            parts.append(SheetPart(title, part, formulas, drawing, hidden))
    return WorkbookScan(parts, parser.wb.epoch)


def _too_many_cells_message(name: str, title: str, max_cells: int) -> str:
    return (
        f'"{name}" has more than {max_cells:,} filled or formatted cells (the sheet "{title}" '
        "goes over), far more than a mapping workbook needs; delete the unused rows and columns "
        "below and to the right of the map (select them, right-click > Delete) and save again"
    )


def _worksheet_parts(
    archive: zipfile.ZipFile, parser: WorkbookParser
) -> Iterator[tuple[str, str, bool]]:
    """(title, part name, hidden) of each worksheet in tab order, found as openpyxl finds them."""
    names = set(archive.namelist())
    for sheet, rel in parser.find_sheets():
        if rel.target in names and "chartsheet" not in rel.Type:
            yield str(sheet.name), str(rel.target), sheet.state in ("hidden", "veryHidden")


def _has_drawing(archive: zipfile.ZipFile, part: str) -> bool:
    """True when the sheet's relationships name a drawing (where openpyxl finds pictures)."""
    folder, _, file_name = part.rpartition("/")
    try:
        rels = archive.read(f"{folder}/_rels/{file_name}.rels")
    except KeyError:
        return False
    return DRAWING_REL_RE.search(rels) is not None


def _count_cells(archive: zipfile.ZipFile, part: str, budget: int) -> tuple[int, bool]:
    """Number of <c> elements (stopping once over budget) and whether any <f> occurs."""
    cells, has_formula = 0, False
    for chunk in _tag_aligned_chunks(archive, part):
        cells += len(CELL_TAG_RE.findall(chunk))
        has_formula = has_formula or FORMULA_TAG_RE.search(chunk) is not None
        if cells > budget:
            break
    return cells, has_formula


def _tag_aligned_chunks(archive: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    """A part's bytes in chunks that each end just before a '<', so no tag is split in two."""
    carried = b""
    with archive.open(part) as stream:
        while chunk := stream.read(SCAN_CHUNK_BYTES):
            buffer = carried + chunk
            cut = buffer.rfind(b"<")
            if cut <= 0:
                carried = b""
                yield buffer
            else:
                carried = buffer[cut:]
                yield buffer[:cut]
    if carried:
        yield carried


def _formulas_without_value(archive: zipfile.ZipFile, part: str) -> dict[Coordinate, str]:
    """Each cell of the part that has a formula but no saved value, with its formula text."""
    found: dict[Coordinate, str] = {}
    shared: dict[str, Translator] = {}
    with archive.open(part) as stream:
        for coordinate, cell in _cells_with_coordinates(stream):
            formula = cell.find(FORMULA_TAG)
            if formula is None:
                continue
            text = _formula_text(formula, coordinate, shared)
            if not _has_saved_value(cell):
                found[coordinate] = text
    return found


def _cells_with_coordinates(stream: IO[bytes]) -> Iterator[tuple[Coordinate, Element]]:
    """Every <c> element with its (row, column), counting as openpyxl does when `r` is missing."""
    row, column = 0, 0
    for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        if element.tag == ROW_TAG and event == "start":
            row, column = int(float(element.get("r", row + 1))), 0
        elif element.tag == CELL_TAG and event == "end":
            reference = element.get("r")
            if reference:
                cell_row, column = coordinate_to_tuple(reference)
            else:
                cell_row, column = row, column + 1
            yield (cell_row, column), element
            element.clear()
        elif element.tag == ROW_TAG:
            element.clear()


def _formula_text(formula: Element, coordinate: Coordinate, shared: dict[str, Translator]) -> str:
    """`=` and the formula; a shared formula's follower cells get the first cell's, translated."""
    text = "=" + (formula.text or "")
    if formula.get("t") != "shared":
        return text
    index = formula.get("si", "")
    here = f"{get_column_letter(coordinate[1])}{coordinate[0]}"
    origin = shared.get(index)
    if origin is not None:
        try:
            return str(origin.translate_formula(here))
        except TranslatorError:
            return text
    if formula.text:
        shared[index] = Translator(text, origin=here)
    return text


def _has_saved_value(cell: Element) -> bool:
    """True when the cell carries a calculated value (an empty text result counts as one)."""
    value = cell.find(VALUE_TAG)
    if value is None:
        return False
    # openpyxl writes <v></v> after a formula it cannot calculate; Excel writes an empty
    # result only as a string cell (t="str").
    return bool(value.text) or cell.get("t") == "str"
