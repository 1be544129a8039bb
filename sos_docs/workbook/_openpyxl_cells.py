"""openpyxl's private worksheet reader, wrapped: the fast cell values and the defusedxml check.

Everything sos-docs takes from openpyxl's internals is here, and nowhere else:
`openpyxl.worksheet._reader.WorkSheetParser` (its row and cell parser, subclassed), the
module's `iterparse` (to check defusedxml is what parses), `openpyxl.reader.excel._find_workbook_part`
and `Worksheet._cells`. Written against openpyxl 3.1.5 (pinned below 4 in pyproject.toml).
tests/test_fast_path.py proves the fast values equal openpyxl's full load, cell for cell, on
the example, the blank and large workbooks and the whole adversarial corpus; run it after any
openpyxl upgrade.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

import openpyxl.worksheet._reader
import openpyxl.xml
from lxml import etree  # type: ignore[import-untyped]
from openpyxl.cell.text import Text
from openpyxl.packaging.manifest import Manifest
from openpyxl.reader.excel import _find_workbook_part  # type: ignore[attr-defined]
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergeCells
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_STYLE,
    ARC_WORKBOOK,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
)
from openpyxl.xml.functions import fromstring

from sos_docs.errors import WorkbookError

Coordinate = tuple[int, int]

ROW_TAG = f"{{{SHEET_MAIN_NS}}}row"
MERGE_CELLS_TAG = f"{{{SHEET_MAIN_NS}}}mergeCells"
INLINE_STRING_TAG = f"{{{SHEET_MAIN_NS}}}is"
SHARED_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"
CLEARED_KEPT = 64  # emptied elements kept in the tree before they are removed in one go
WHOLE_PART_BYTES = 2 * 1024 * 1024  # a sheet part up to this size is parsed in one go


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


def stored_values(sheet: Worksheet) -> dict[Coordinate, object]:
    """The values of the cells the file holds, by (row, column), from openpyxl's `_cells`.

    Iterating the declared dimension instead could be a million empty rows (iter_rows would
    even create them).
    """
    return {coordinate: cell.value for coordinate, cell in sheet._cells.items()}


def cell_values(
    archive: zipfile.ZipFile, parts: Sequence[str], epoch: Any
) -> list[dict[Coordinate, object]] | None:
    """Each worksheet part's cell values as openpyxl's load would give them; None when the
    workbook part is not the one openpyxl would read."""
    package = Manifest.from_tree(_xml(archive, ARC_CONTENT_TYPES))
    if _find_workbook_part(package).PartName != "/" + ARC_WORKBOOK:
        return None  # openpyxl would read another workbook part than the one scanned
    reader = _CellReader(archive, package, epoch)
    return [reader.values(part) for part in parts]


class _CellReader:
    """Reads worksheet cells as openpyxl's WorksheetReader would, minus the cell objects."""

    def __init__(self, archive: zipfile.ZipFile, package: Any, epoch: Any) -> None:
        self.archive = archive
        self.epoch = epoch
        strings = package.find(SHARED_STRINGS)
        self.shared_strings: list[str] = []
        if strings is not None:
            self.shared_strings = _shared_strings(archive, strings.PartName[1:])
        # As openpyxl's apply_stylesheet: without a stylesheet, only style 0 exists.
        self.cell_styles: list[object] = [None]
        self.date_formats: set[int] = set()
        self.timedelta_formats: set[int] = set()
        if ARC_STYLE in archive.namelist():
            stylesheet: Any = Stylesheet.from_tree(_xml(archive, ARC_STYLE))
            if stylesheet.cell_styles:
                self.cell_styles = list(stylesheet.cell_styles)
                self.date_formats = stylesheet.date_formats
                self.timedelta_formats = stylesheet.timedelta_formats

    def values(self, part: str) -> dict[Coordinate, object]:
        """Each cell's value by (row, column); merged-away cells dropped as openpyxl does."""
        parser = _SheetParser(
            None,  # type: ignore[arg-type]  # never read: the rows come from `_elements`
            self.shared_strings,
            data_only=True,
            epoch=self.epoch,
            date_formats=self.date_formats,
            timedelta_formats=self.timedelta_formats,
        )
        values: dict[Coordinate, object] = {}
        merged: list[CellRange] = []
        for element in _elements(self.archive, part, (ROW_TAG, MERGE_CELLS_TAG)):
            if element.tag == MERGE_CELLS_TAG:  # openpyxl keeps the last such list
                merged = list(_merge_cells(element))
                continue
            for cell in parser.parse_row(element)[1]:
                self.cell_styles[cell["style_id"]]  # a style that does not exist: damaged
                values[(cell["row"], cell["column"])] = cell["value"]
        for cell_range in merged:
            _drop_merged_away(values, cell_range)
        return values


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


def _shared_strings(archive: zipfile.ZipFile, part: str) -> list[str]:
    """openpyxl's read_string_table, reading plain strings directly (see `_plain_text`)."""
    strings = []
    for element in _elements(archive, part, (SHARED_STRING_TAG,)):
        text = _plain_text(element)
        if text is None:
            rich: Any = Text.from_tree(element)
            text = rich.content
        strings.append(text.replace("x005F_", ""))
    return strings


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
