"""What openpyxl's full load of a workbook would build, counted from its XML before it is loaded (WB001).

openpyxl makes an object for far more than the cells in the file: every cell of a merged range
(`Worksheet._clean_merge_range`, a `MergedCell` each), every cell a hyperlink or comment range
covers (`ws[ref]`), every cell of a table's range when a copy is saved (the writer's
`ws[table.ref]`), a `RowDimension` for every formatted `<row>`, a style object for every `<xf>`.
A 17 KB file that merges A1:XFD1048576 asks for 17 billion objects. Some elements cost
openpyxl far more than a cell (a data validation rule, a conditional format, a font, a defined
name: 1-2 KB each, so 5 MB of them cost gigabytes): each is weighed by what openpyxl builds for
it, and every reference of a `sqref` list counts (openpyxl makes a range object of each). `check_load_cost` streams
the same parts openpyxl would read, with the same parser (defusedxml over expat), never
keeping more than the open elements, and refuses before the first of those objects exists.
A small part whose counts stay within the budget is counted whole instead, in C (lxml), after
expat has read it as the stream would: the same totals, without a Python step per element;
only a part that goes over is streamed, so a refusal names what it always named.

It runs before every openpyxl full load: the reader's (both paths, so the fast reader refuses
such a workbook too) and the marked copy's. Counts are upper bounds (overlapping ranges count
twice, a range without rows or columns counts the whole sheet): a hostile file may be refused
for less than it would cost, a real mapping workbook is far below every budget.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from lxml import etree  # type: ignore[import-untyped]
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.utils.cell import range_boundaries
from openpyxl.xml.constants import ARC_CONTENT_TYPES, ARC_STYLE
from openpyxl.xml.functions import iterparse

from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError
from sos_docs.workbook._openpyxl_cells import (
    SAFE_PARSING,
    WHOLE_PART_BYTES,
    dependents,
    package_manifest,
    parsed_workbook,
    workbook_part_name,
)
from sos_docs.workbook.guard import CheckedArchive, opened

__all__ = ["TOO_LARGE", "check_load_cost", "object_budget"]

TOO_LARGE = "too large or too complex to process"
SHEET_ROWS = 1_048_576  # Excel's grid: a range without rows or columns covers all of them
SHEET_COLUMNS = 16_384
# openpyxl objects per `max_rows`: the reader's own cell budget (50 cells a row), so a workbook
# openpyxl may build costs at most some 250 MB and a few seconds, in whichever process.
OBJECTS_PER_ROW = 50
# A <row> with attributes besides these (a height, a style, hidden) makes openpyxl build a
# RowDimension: a million formatted empty rows cost it 20 s and 900 MB.
_PLAIN_ROW_ATTRIBUTES = frozenset({"r", "spans"})
# Every element parsed, of any kind: openpyxl keeps elements it does not know in memory.
ELEMENTS_PER_OBJECT = 8
# What openpyxl builds for an element, in cells (a cell and its row cost it some 370 bytes),
# measured with one load of 100,000 of each kind: a data validation rule 1,200 bytes, a
# conditional format with its rule 1,300, a font 980, a fill 790, a border 1,370, a cell
# format 1,230, a differential format 1,060, a defined name 550, a one-cell link 650 (its cell
# is counted with the range). Rounded up (a cell format down: 3.3), so the budget's full load stays under some 250 MB.
_WEIGHTS = {
    "dataValidation": 4,
    "conditionalFormatting": 2,
    "cfRule": 2,
    "font": 3,
    "fill": 3,
    "border": 4,
    "xf": 3,  # also at most MAX_STYLE_FORMATS of them
    "dxf": 3,
    "definedName": 2,
    "hyperlink": 1,
    # A merged range costs openpyxl some 100 microseconds (its borders, a MergedCell per cell,
    # counted with the range): ten cells' worth of time, so 50,000 merges load in some 5 s.
    "mergeCell": 10,
    "comment": 3,
}
# What staff would call each heavy kind, for the refusal.
_KIND_NAMES = {
    "dataValidation": "data validation rules",
    "conditionalFormatting": "conditional formats",
    "cfRule": "conditional formats",
    "font": "fonts",
    "fill": "fills",
    "border": "borders",
    "xf": "cell formats",
    "dxf": "conditional format styles",
    "definedName": "defined names",
    "hyperlink": "links",
    "mergeCell": "merged ranges",
    "comment": "notes",
    "sqref": "cell references in lists",
}
# Where a count is charged when it is not a worksheet's: the message names the part, no sheet.
STYLES = "the cell formats"
WORKBOOK = "the workbook part"
_PART_WORDS = {STYLES: "its styles", WORKBOOK: "its list of sheets and names"}
# Cell formats (<xf>) in the stylesheet: Excel itself allows some 64,000 (and cell style formats
# as many again); 300,000 of them cost openpyxl 5 s and 550 MB.
MAX_STYLE_FORMATS = 131_072
# What a range covers, said for each element that names one, and how staff undo it in Excel.
_RANGES = {
    "mergeCell": ("merges the cells", "unmerge them (Home > Merge & Center > Unmerge Cells)"),
    "hyperlink": ("has a link over the cells", "remove the link (right-click > Remove Link)"),
    "comment": ("has a note over the cells", "delete the note (right-click > Delete Note)"),
    "table": ("has a table over the cells", "convert the table (Table Design > Convert to Range)"),
}


def object_budget(limits: Limits) -> int:
    """How many objects (cells, merged cells, formatted rows) openpyxl may build for a workbook."""
    return limits.max_rows * OBJECTS_PER_ROW


def check_load_cost(
    data: bytes | zipfile.ZipFile, name: str, limits: Limits = DEFAULT_LIMITS
) -> None:
    """Raise WorkbookError (WB001) when openpyxl's full load of `data` would build too much.

    Errors of a damaged file (zipfile's, the XML parser's, openpyxl's on its package parts)
    pass through: openpyxl would fail on the same parts with the same parser, before it built
    any of what is counted here. So does defusedxml's DTDForbidden for any part counted that
    declares a DTD (the guard refuses those first): the reader translates it to WB001, damaged.
    """
    tally = _Tally(name, limits)
    with opened(data) as archive:
        names = set(archive.namelist())
        if ARC_STYLE in names:
            _scan(archive, ARC_STYLE, tally, STYLES, related=False)
        for title, part in _worksheet_parts(archive, names, tally):
            _scan(archive, part, tally, title, related=False, keep=True)
            for target in _related_parts(archive, part, names):
                _scan(archive, target, tally, title, related=True)


@dataclass
class _Tally:
    """What the parts counted so far would make openpyxl build, refused as soon as it is too much."""

    name: str
    limits: Limits
    objects: int = 0
    elements: int = 0
    style_formats: int = 0

    def element(self, sheet: str) -> None:
        self.elements += 1
        if self.elements > object_budget(self.limits) * ELEMENTS_PER_OBJECT:
            raise WorkbookError(self._message(sheet, "holds far more XML than a workbook needs"))

    def add(self, sheet: str, count: int, reference: str = "", kind: str = "") -> None:
        self.objects += count
        if self.objects <= object_budget(self.limits):
            return
        if kind:
            what, undo = _RANGES[kind]
            raise WorkbookError(
                self._message(sheet, f"{what} {reference} ({count:,} cells)", reference, undo),
                sheet=sheet,
            )
        what = f"has more than {object_budget(self.limits):,} cells and formatted rows in all"
        raise WorkbookError(self._message(sheet, what), sheet=_sheet_or_none(sheet))

    def heavy(self, sheet: str, count: int, kind: str) -> None:
        """Charge `count` cells' worth for an element openpyxl builds a costly object of."""
        self.objects += count
        if self.objects <= object_budget(self.limits):
            return
        what = (
            f"holds so many {_KIND_NAMES[kind]} that openpyxl would build more than "
            f"{object_budget(self.limits):,} cells' worth of objects"
        )
        fix = (
            "copy the map (values only: Paste Special > Values) into a fresh mapping workbook "
            "and save that"
        )
        raise WorkbookError(self._message(sheet, what, fix=fix), sheet=_sheet_or_none(sheet))

    def takes(self, counts: _Counts) -> bool:
        """Add a whole part's counts when they keep every count within its budget; False (and
        nothing added) when they would not: the part is then streamed, refused where it goes over."""
        elements = self.elements + counts.elements
        objects = self.objects + counts.objects
        style_formats = self.style_formats + counts.style_formats
        if (
            elements > object_budget(self.limits) * ELEMENTS_PER_OBJECT
            or objects > object_budget(self.limits)
            or style_formats > MAX_STYLE_FORMATS
        ):
            return False
        self.elements, self.objects, self.style_formats = elements, objects, style_formats
        return True

    def style_format(self) -> None:
        self.style_formats += 1
        if self.style_formats > MAX_STYLE_FORMATS:
            raise WorkbookError(
                f'"{self.name}" has more than {MAX_STYLE_FORMATS:,} cell formats, more than '
                f"Excel itself makes, so the workbook is {TOO_LARGE}; it is damaged or built to "
                "overload the service. Copy the map into a fresh mapping workbook and save that"
            )

    def _message(
        self, sheet: str, what: str, reference: str = "", undo: str = "", fix: str = ""
    ) -> str:
        if fix:
            pass
        elif reference:
            fix = f"select {reference} on that sheet and {undo}, then save again"
        else:
            fix = (
                "delete the unused rows and columns below and to the right of the map "
                "(select them, right-click > Delete) and save again"
            )
        where = _PART_WORDS.get(sheet, f'the sheet "{sheet}"')
        return f'"{self.name}": {where} {what}, so the workbook is {TOO_LARGE}; {fix}'


def _sheet_or_none(sheet: str) -> str | None:
    """The sheet a refusal names, or None when the count was charged to a part of the workbook."""
    return None if sheet in _PART_WORDS else sheet


def _worksheet_parts(
    archive: zipfile.ZipFile, names: set[str], tally: _Tally
) -> Iterator[tuple[str, str]]:
    """(title, part) of each worksheet openpyxl's full load reads, found exactly as it finds them.

    The package's parts list and the workbook part (its defined names) are counted as streams
    first: openpyxl's parsers below build them whole.
    """
    _scan(archive, ARC_CONTENT_TYPES, tally, WORKBOOK, related=False)
    package: Any = package_manifest(archive)
    workbook_part = workbook_part_name(package)
    if workbook_part in names:
        _scan(archive, workbook_part, tally, WORKBOOK, related=False)
    parser = parsed_workbook(archive, workbook_part)
    for sheet, rel in parser.find_sheets():
        if rel.target in names and "chartsheet" not in rel.Type:
            yield str(sheet.name), str(rel.target)


def _related_parts(archive: zipfile.ZipFile, part: str, names: set[str]) -> Iterator[str]:
    """Every part the sheet's relationships name (comments and tables among them)."""
    rels_path_of: Any = get_rels_path  # openpyxl's helpers are untyped
    rels_path = rels_path_of(part)
    if rels_path not in names:
        return
    for rel in dependents(archive, rels_path):
        target = str(rel.target)
        if target in names and target != part:
            yield target


def _scan(
    archive: zipfile.ZipFile,
    part: str,
    tally: _Tally,
    sheet: str,
    *,
    related: bool,
    keep: bool = False,
) -> None:
    """Count one part as a stream, keeping only the open elements (each closed one is dropped).

    A related part that does not parse (a picture, a printer's settings, a legacy VML drawing)
    is left after what was counted: openpyxl reads comments and tables with a parser as strict.

    A part that keeps every count within its budget is counted whole instead (`_whole_counts`,
    the same totals without a Python step per element); any other is streamed as ever, so a
    refusal and its message are exactly those of the stream. A worksheet's parse is kept
    (`keep`) for the cell read, which parses it the same way.
    """
    size = archive.getinfo(part).file_size
    if size <= WHOLE_PART_BYTES:
        counted = _whole_counts(archive.read(part), related=related)
        if counted is not None and tally.takes(counted[0]):
            if keep and isinstance(archive, CheckedArchive):
                archive.keep_tree(part, counted[1], size)
            return
    with archive.open(part) as stream:
        try:
            _count_elements(stream, tally, sheet, related=related)
        except SyntaxError:  # expat's ParseError
            if not related:
                raise


def _count_elements(stream: Any, tally: _Tally, sheet: str, *, related: bool) -> None:
    open_elements: list[Any] = []
    # DTDs refused outright (the guard refused them already): a second layer, as openpyxl's own.
    for event, element in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        if event == "end":
            open_elements.pop()
            if open_elements:
                del open_elements[-1][-1]  # the only child left: each is dropped when it ends
            continue
        tally.element(sheet)
        tag = _local(element.tag)
        if related:
            if tag == "comment" or (tag == "table" and not open_elements):
                _count_range(tally, sheet, element.get("ref"), tag)
        elif open_elements and _local(open_elements[-1].tag) == "row":
            tally.add(sheet, 1)  # openpyxl makes a cell of every child of a row
        elif tag == "row" and any(
            not key.startswith("{") and key not in _PLAIN_ROW_ATTRIBUTES for key in element.attrib
        ):
            tally.add(sheet, 1)  # as openpyxl's parse_row: a RowDimension for a formatted row
        elif tag in ("mergeCell", "hyperlink"):
            _count_range(tally, sheet, element.get("ref"), tag)
        elif tag == "xf":
            tally.style_format()
        _weigh(tally, sheet, element, tag)
        open_elements.append(element)


def _weigh(tally: _Tally, sheet: str, element: Any, tag: str) -> None:
    """Charge a heavy element its weight, and a reference list a cell's worth per reference.

    openpyxl makes a range object of every reference of a `sqref` (data validations,
    conditional formats, selections) and of a `ref` that lists several; a single `ref` is a
    merged, linked, noted or table range, counted cell by cell above.
    """
    weight = _WEIGHTS.get(tag, 0)
    references = _references(element.get("sqref"))
    ref = _references(element.get("ref"))
    if ref > 1:
        references += ref
    if weight or references:
        tally.heavy(sheet, weight + references, "sqref" if references > weight else tag)


def _references(value: str | None) -> int:
    """How many references a space-separated list names."""
    return len(value.split()) if value else 0


def _count_range(tally: _Tally, sheet: str, reference: str | None, kind: str) -> None:
    """Charge the cells a range covers; one that openpyxl cannot read makes it fail instead."""
    cells = _range_cells(reference)
    if cells is not None and reference is not None:
        tally.add(sheet, cells, reference.strip(), kind)


def _range_cells(reference: str | None) -> int | None:
    """The cells a range covers, or None for no range or one openpyxl cannot read."""
    if not reference:
        return None
    try:
        min_col, min_row, max_col, max_row = range_boundaries(reference.strip())
    except (ValueError, TypeError):
        return None
    rows = (max_row or SHEET_ROWS) - (min_row or 1) + 1
    columns = (max_col or SHEET_COLUMNS) - (min_col or 1) + 1
    return max(rows, 1) * max(columns, 1)


# ----------------------------------------------------------------- a part counted whole


@dataclass(frozen=True)
class _Counts:
    """What `_count_elements` would add to the tally for a whole part: elements, objects
    (cells, formatted rows, ranges' cells and heavy elements' weights), cell formats."""

    elements: int
    objects: int
    style_formats: int


# Element names as lxml matches them in any namespace or none, as `_local` reads them above.
_ANY_ROW = "{*}row"
_RANGED_TAGS = ("{*}mergeCell", "{*}hyperlink")
_WEIGHED_TAGS = tuple(f"{{*}}{tag}" for tag in _WEIGHTS)
_COUNT_ELEMENTS = etree.XPath("count(//*)")
_SQREFS = etree.XPath("//@sqref")
_REFS = etree.XPath("//@ref")


def _whole_counts(data: bytes, *, related: bool) -> tuple[_Counts, Any] | None:
    """The part's counts as `_count_elements` would add them, from one parse of it whole, and
    that parse; None when the stream's parser would fail on it or lxml cannot read it (then it
    is streamed)."""
    if not _expat_reads(data):
        return None
    try:
        root = etree.fromstring(data, etree.XMLParser(**SAFE_PARSING))
    except etree.XMLSyntaxError:
        return None
    objects = sum(_WEIGHTS[_local(element.tag)] for element in root.iter(*_WEIGHED_TAGS))
    objects += sum(len(value.split()) for value in _SQREFS(root))
    objects += sum(n for n in (len(value.split()) for value in _REFS(root)) if n > 1)
    style_formats = 0
    if related:
        ranges = [note.get("ref") for note in root.iter("{*}comment")]
        if _local(root.tag) == "table":
            ranges.append(root.get("ref"))
    else:
        ranges = [
            element.get("ref") for element in root.iter(*_RANGED_TAGS) if _outside_row(element)
        ]
        objects += _row_objects(root)
        style_formats = sum(1 for xf in root.iter("{*}xf") if _outside_row(xf))
    objects += sum(_range_cells(reference) or 0 for reference in ranges)
    return _Counts(int(_COUNT_ELEMENTS(root)), objects, style_formats), root


def _row_objects(root: Any) -> int:
    """The cells (every child of a row) and RowDimensions (a formatted row not inside a row)
    openpyxl makes of a part's rows.

    A blank form has hundreds of rows, most with the same attributes and the same parent, so
    whether a set of attributes formats a row, and whether a parent is a row, is worked out
    once each (lxml gives one proxy per element while it is held, so `is` finds the same parent).
    """
    objects = 0
    formats: dict[tuple[str, ...], bool] = {}
    last_parent: Any = None
    outside_row = True
    for row in root.iter(_ANY_ROW):
        objects += len(row)  # every child of a row is a cell to openpyxl
        keys = tuple(row.keys())
        formatted = formats.get(keys)
        if formatted is None:
            formatted = formats[keys] = any(
                not key.startswith("{") and key not in _PLAIN_ROW_ATTRIBUTES for key in keys
            )
        if not formatted:
            continue
        parent = row.getparent()
        if parent is not last_parent:  # None at first: a root row has no parent, nor a row
            last_parent, outside_row = parent, _outside_row(row)
        if outside_row:
            objects += 1  # as openpyxl's parse_row: a RowDimension for a formatted row
    return objects


def _outside_row(element: Any) -> bool:
    """True when the element's parent is not a row (whose children all count as cells)."""
    parent = element.getparent()
    return parent is None or _local(parent.tag) != "row"


def _expat_reads(data: bytes) -> bool:
    """True when the stream's parser (expat, namespaces on, a DTD refused as the stream's
    defusedxml refuses it) reads the part without error; no Python step per element. A part
    with a DTD is then streamed, and refused there with defusedxml's own error."""
    parser = expat.ParserCreate(None, "}")

    def refuse(*_: object) -> int:
        raise ValueError("entity declaration")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except (expat.ExpatError, ValueError, LookupError):
        return False
    return True


def _local(tag: Any) -> str:
    """An element's name without its namespace (counted whatever namespace it claims)."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
