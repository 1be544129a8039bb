"""Reads a checked workbook file into a `RawWorkbook`: every worksheet's values and pictures, as typed.

The guard refuses unsafe files first. The zip is then opened once for every pass (each part
expanded once: guard.CheckedArchive). A workbook's cell values are read by openpyxl's own row and
cell parser alone (workbook/_openpyxl_cells.py, which holds every use of openpyxl's private
internals), and its pictures by openpyxl's own drawing reader from each sheet's drawing parts:
several times faster than openpyxl's full load. Anything else (a workbook part where openpyxl
would not look, duplicate sheet names, a stylesheet read otherwise, or any error on the way)
gets openpyxl's full load (data_only, not read_only, because pictures are needed).

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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formula.translate import Translator, TranslatorError
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import ARC_WORKBOOK, SHEET_MAIN_NS
from PIL import Image as PILImage

from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError, describe_warning, without_quoted_text
from sos_docs.model import CellValue, FormulaWithoutValue, Picture, RawSheet, RawWorkbook, Unseen
from sos_docs.workbook import _openpyxl_cells as openpyxl_cells
from sos_docs.workbook.guard import CheckedArchive, opened, read_checked_workbook
from sos_docs.workbook.load_cost import check_load_cost
from sos_docs.workbook.looks import Looks
from sos_docs.workbook.text_budget import TOO_LARGE, TextBudget

__all__ = ["read_workbook"]

log = logging.getLogger(__name__)

# openpyxl builds an object for every <c> element, styled or not (about 500 bytes and 10 us each),
# so a sheet formatted down to row 1,000,000 must be refused before it is loaded.
MAX_CELLS_PER_ROW = 50
SCAN_CHUNK_BYTES = 1024 * 1024
# A tag may carry a namespace prefix (<x:c>) when the file was written by other tools.
# The scan reads bytes as UTF-8: the guard refuses any XML part not in plain UTF-8.
# Both tags are found in one pass over the part (a match ends before any "<", so the matches
# are exactly those of a pattern for each tag alone).
CELL_OR_FORMULA_TAG_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([cf])[\s/>]")
# Excel writes characters XML cannot hold as _xHHHH_ (a carriage return is _x000D_), and openpyxl
# hands them on literally; only control characters are decoded, the rest is the user's text.
EXCEL_CONTROL_ESCAPE_RE = re.compile(r"_x00[01][0-9A-Fa-f]_")

# Descriptions that say nothing of a picture: openpyxl's (every picture it saves), and the
# file name or path Excel 2010-2016 wrote (which could also name a folder or a person).
PLACEHOLDER_DESCRIPTIONS = frozenset({"picture", "name of file", "image"})
FILE_NAME_RE = re.compile(
    r"\\|^[A-Za-z]:|^/|\.(?:png|jpe?g|gif|bmp|tiff?|emf|wmf|heic|webp|svg)$", re.IGNORECASE
)

# A worksheet relationship to a drawing means pictures (or charts): openpyxl reads those.
DRAWING_REL_RE = re.compile(rb"/relationships/drawing[\"']")
ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
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
    defusedxml.DefusedXmlException,  # a DTD (load_cost's stream) or an entity (openpyxl's)
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
    openpyxl_cells.require_defused_xml()
    data = read_checked_workbook(path, limits)
    try:
        # One zip for every pass below: each part is expanded once (the guard checked them all).
        with CheckedArchive(data) as archive:
            sheets, scan = _sheets(archive, data, path.name, limits, fast=fast)
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


def _sheets(
    archive: zipfile.ZipFile, data: bytes, name: str, limits: Limits, *, fast: bool
) -> tuple[list[SheetValues], WorkbookScan]:
    """Each worksheet's values and pictures, checked against the limits, and the scan of its parts."""
    scan = _scan_worksheet_parts(archive, name, limits)
    check_load_cost(archive, name, limits)  # merged ranges and the like, on either path
    sheets = _fast_sheets(archive, scan, TextBudget(name, limits)) if fast else None
    if sheets is None:
        openpyxl_cells.check_shared_text(archive, TextBudget(name, limits))
        book = _load_values(data)
        sheets = _openpyxl_sheets(book, scan.parts, TextBudget(name, limits), archive)
    sheets = _with_unreadable_pictures(sheets, scan.parts, archive)
    _check_pictures(sheets, name, limits)
    return sheets, scan


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


def _openpyxl_sheets(
    book: Any, parts: list[SheetPart], budget: TextBudget, archive: zipfile.ZipFile
) -> list[SheetValues]:
    """The values and pictures of openpyxl's worksheets, matched one to one to the parts."""
    worksheets: list[Worksheet] = [s for s in book.worksheets if isinstance(s, Worksheet)]
    if [sheet.title for sheet in worksheets] != [part.title for part in parts]:
        log.info("%s: sheets %s do not match parts %s", budget.name, worksheets, parts)
        raise WorkbookError(_unreadable_message(budget.name))
    looks = openpyxl_cells.book_looks(book)
    return [
        _openpyxl_sheet(sheet, budget, looks, openpyxl_cells.link_texts(sheet, archive, part.part))
        for sheet, part in zip(worksheets, parts, strict=True)
    ]


def _openpyxl_sheet(
    sheet: Worksheet, budget: TextBudget, looks: Looks, link_texts: Mapping[Coordinate, bool]
) -> SheetValues:
    """A loaded worksheet's values (text charged to the budget), pictures, and what is hidden.

    A value openpyxl took from a link on an empty cell is not there (`link_texts`: a cell the
    sheet has is empty, one it does not have is left out), as Excel shows it.
    """
    values: dict[Coordinate, object] = {}
    styled_out: dict[Coordinate, Unseen] = {}
    for coordinate, value, style in openpyxl_cells.stored_cells(sheet):
        if coordinate in link_texts:
            if link_texts[coordinate]:
                values[coordinate] = None
            continue
        if value.__class__ is str:
            budget.charge(sheet.title, coordinate, value)
        values[coordinate] = value
        hidden_by = looks.hides(style, value)
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
    pictures = tuple(_pictures(sheet.title, openpyxl_cells.placed_images(sheet)))
    return SheetValues(sheet.title, values, pictures, (), rows, columns, styled_out)


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
        if raw is None:  # most of a form's cells: formatted and empty
            continue
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


def _fast_sheets(
    archive: zipfile.ZipFile, scan: WorkbookScan, budget: TextBudget
) -> list[SheetValues] | None:
    """The sheets' values through openpyxl's cell parser alone; None when openpyxl must load it.

    openpyxl's full load is the reference: anything this path does not handle exactly as it
    would, and any error at all, goes to it, so a damaged file is judged exactly as before.
    """
    if not _plain_titles(scan.parts):
        return None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sheets = _values_of_parts(archive, scan, budget)
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
    archive: zipfile.ZipFile, scan: WorkbookScan, budget: TextBudget
) -> list[SheetValues] | None:
    """Each sheet's values read by openpyxl's cell parser alone; None when openpyxl must load it."""
    sheets = [(part.title, part.part) for part in scan.parts]
    found = openpyxl_cells.read_sheet_cells(archive, sheets, scan.epoch, budget)
    if found is None:
        return None
    return [
        SheetValues(
            part.title,
            cells.values,
            _drawn_pictures(archive, part),
            (),
            cells.hidden_rows,
            cells.hidden_columns,
            cells.styled_out,
        )
        for part, cells in zip(scan.parts, found, strict=True)
    ]


def _drawn_pictures(archive: zipfile.ZipFile, part: SheetPart) -> tuple[Picture, ...]:
    """The pictures placed over a sheet, read from its drawing parts as openpyxl's load reads them."""
    if not part.has_drawing:
        return ()
    return tuple(_pictures(part.title, openpyxl_cells.sheet_images(archive, part.part)))


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


def _pictures(title: str, placed: Iterable[tuple[Any, Any]]) -> Iterator[Picture]:
    """The (image, from-marker) pairs placed over a sheet as pictures, in drawing order, each
    with its own description from Excel; those without bytes or cell are skipped."""
    for image, marker in placed:
        data = openpyxl_cells.image_bytes(image)
        if marker is None or data is None:
            log.info("sheet %s: a picture without a cell anchor or data was skipped", title)
            continue
        row, column = int(marker.row) + 1, int(marker.col) + 1  # markers are 0-based
        yield Picture(
            data=data,
            format=str(image.format).lower(),
            anchor_row=row,
            anchor_cell=f"{get_column_letter(column)}{row}",
            description=_own_description(openpyxl_cells.picture_description(image)),
        )


def _own_description(text: str) -> str:
    """A picture's description from Excel as its alt text, unless it says nothing of the picture:
    openpyxl's placeholders, or the file name or path older Excel versions put there."""
    text = " ".join(_clean_text(text).split())
    if text.casefold() in PLACEHOLDER_DESCRIPTIONS or FILE_NAME_RE.search(text):
        return ""
    return text


def _with_unreadable_pictures(
    sheets: list[SheetValues], parts: list[SheetPart], archive: zipfile.ZipFile
) -> list[SheetValues]:
    """The sheets, each noting where a picture is placed that openpyxl or sos-docs dropped."""
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
        return list(openpyxl_cells.drawing_image_cells(archive, sheet_part))
    except LISTING_ERRORS as error:  # then the pictures openpyxl did read are all there are
        log.info("the drawing of %s cannot be listed: %s", sheet_part, without_quoted_text(error))
        return []


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


def _scan_worksheet_parts(data: bytes | zipfile.ZipFile, name: str, limits: Limits) -> WorkbookScan:
    """Count cells before openpyxl builds them, and find formulas with no saved value."""
    max_cells = limits.max_rows * MAX_CELLS_PER_ROW
    parts: list[SheetPart] = []
    with opened(data) as archive:
        parser = openpyxl_cells.parsed_workbook(archive, ARC_WORKBOOK)
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
        tags = CELL_OR_FORMULA_TAG_RE.findall(chunk)
        cells += tags.count(b"c")
        has_formula = has_formula or b"f" in tags
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
