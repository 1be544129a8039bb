"""Shared builders: real .xlsx mapping workbooks written with openpyxl, starting from the example.

A test takes `WorkbookBuilder()` (the valid example case), changes only what is special about
its case, and writes it under tmp_path:

    book = WorkbookBuilder()
    book.set_case("Meeting type", "Tea party")
    path = book.write(tmp_path / "case.xlsx")
    assert book.cell("Case", "Meeting type") == "B5"
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image as PILImage

from sos_docs.workbook import example, schema

Row = dict[str, Any]

# The day the example case is read on in tests, so its dates are neither past nor future by chance.
EXAMPLE_TODAY = dt.date(2026, 11, 28)


# What the example family's format 2 workbook adds to the plain map (WorkbookBuilder.plain).
FORMAT_2_COLUMNS = {
    "Children": ("Known as", "Recommendation", "Category of harm", "Categories", "Plan start date"),
    "People": ("Children", "First language", "Interpreter needed"),
    "Harm": ("Disputed by", "Their account"),
}
FORMAT_2_CASE = ("Format", "Report date", "Manager name", "Manager role", "Manager approved on")


class WorkbookBuilder:
    """A mapping workbook in memory: the Case labels and each table sheet's rows by header."""

    def __init__(self, *, empty: bool = False) -> None:
        self.case: Row = {} if empty else copy.deepcopy(example.CASE)
        self.tables: dict[str, list[Row]] = {} if empty else copy.deepcopy(example.SHEET_ROWS)
        self.sheet_titles: dict[str, str] = {}  # contract name -> title written
        self.headers: dict[tuple[str, str], str] = {}  # (sheet, column) -> header written
        self.dropped: set[str] = set()
        self.title_rows: dict[str, int] = {}
        self.extra_columns: dict[str, list[str]] = {}
        self.after_write: list[Callable[[Workbook], None]] = []

    # ---- changing the content

    def set_case(self, label: str, value: Any) -> WorkbookBuilder:
        """Set (or with None, empty) one Case value."""
        self.case[label] = value
        return self

    def as_format_2(self) -> WorkbookBuilder:
        """Mark the workbook format 2, dated and approved before the meeting (labels not yet set)."""
        self.case["Format"] = 2
        self.case.setdefault("Report date", dt.date(2026, 11, 16))
        self.case.setdefault("Manager name", "Ruth Mensah")
        self.case.setdefault("Manager role", "Team manager")
        self.case.setdefault("Manager approved on", dt.date(2026, 11, 16))
        return self

    def plain(self) -> WorkbookBuilder:
        """The example's plain map, as format 1 has it: without what its format 2 workbook adds
        (Known as, each child's own decision, links to some children, languages, disputes,
        each person's views, report date and sign-off), so a test adds only what it is about."""
        for sheet, columns in FORMAT_2_COLUMNS.items():
            for row in self.rows(sheet):
                for column in columns:
                    row.pop(column, None)
        self.clear("Family's views")
        for label in FORMAT_2_CASE:
            self.case.pop(label, None)
        return self

    def unlink_missing_children(self) -> WorkbookBuilder:
        """People's `Children` cells keep only the children still on the Children sheet (blank
        when none is left), for tests that remove a child from the example family."""
        ids = {str(row.get("ID")) for row in self.rows("Children")}
        for row in self.rows("People"):
            named = [c.strip() for c in str(row.get("Children") or "").split(",") if c.strip()]
            kept = [c for c in named if c in ids]
            if named:
                row["Children"] = ", ".join(kept) or None
        return self

    def rows(self, sheet: str) -> list[Row]:
        """The live list of a table sheet's rows, to change in place."""
        return self.tables.setdefault(sheet, [])

    def add_row(self, sheet: str, **values: Any) -> WorkbookBuilder:
        """Append a record; keyword names are headers with spaces as underscores."""
        self.rows(sheet).append(_headers(values))
        return self

    def update_row(self, sheet: str, index: int, **values: Any) -> WorkbookBuilder:
        """Change some cells of one record (0-based index among the sheet's records)."""
        self.rows(sheet)[index].update(_headers(values))
        return self

    def clear(self, sheet: str) -> WorkbookBuilder:
        """Keep the sheet and its header row, with no records."""
        self.tables[sheet] = []
        return self

    def drop_sheet(self, sheet: str) -> WorkbookBuilder:
        """Leave a sheet out of the file entirely."""
        self.dropped.add(sheet)
        return self

    # ---- changing the layout

    def rename_sheet(self, sheet: str, title: str) -> WorkbookBuilder:
        """Write a sheet under another tab name (an alias, other case, extra spaces)."""
        self.sheet_titles[sheet] = title
        return self

    def rename_header(self, sheet: str, column: str, header: str) -> WorkbookBuilder:
        """Write a column's header (or a Case label) differently."""
        self.headers[(sheet, column)] = header
        return self

    def with_title_rows(self, sheet: str, count: int) -> WorkbookBuilder:
        """Put `count` title rows (the first one merged) above a table's header row."""
        self.title_rows[sheet] = count
        return self

    def with_extra_column(self, sheet: str, header: str) -> WorkbookBuilder:
        """Add a column the contract does not know."""
        self.extra_columns.setdefault(sheet, []).append(header)
        return self

    def then(self, change: Callable[[Workbook], None]) -> WorkbookBuilder:
        """Run a raw openpyxl change on the workbook just before it is saved."""
        self.after_write.append(change)
        return self

    def with_picture(self, sheet: str, index: int = 0, column: str = "Picture") -> WorkbookBuilder:
        """A small PNG placed over the index-th record's Picture cell."""
        anchor = self.cell(sheet, column, index)
        return self.then(lambda book: book[sheet].add_image(_small_png(), anchor))

    # ---- where things land

    def columns_of(self, sheet: str) -> list[str]:
        """The column names of a table sheet in the order they are written."""
        contract = _contract(sheet)
        return [c.name for c in contract.columns] + self.extra_columns.get(sheet, [])

    def header_row(self, sheet: str) -> int:
        """The 1-based row the header is written on."""
        return self.title_rows.get(sheet, 0) + 1

    def cell(self, sheet: str, column: str, index: int = 0) -> str:
        """A1 reference of a column's cell in the index-th record (Case: the label's value)."""
        if sheet == "Case":
            labels = self._case_labels()
            return f"B{labels.index(column) + 1}"
        letter = get_column_letter(self.columns_of(sheet).index(column) + 1)
        return f"{letter}{self.header_row(sheet) + 1 + index}"

    # ---- writing

    def write(self, path: Path) -> Path:
        """Save the workbook as a real .xlsx file and return its path."""
        book = Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for contract in schema.SHEETS:
            if contract.name in self.dropped:
                continue
            title = self.sheet_titles.get(contract.name, contract.name)
            sheet = book.create_sheet(title)
            if contract.key_value:
                self._write_case(sheet)
            else:
                self._write_table(sheet, contract.name)
        for change in self.after_write:
            change(book)
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
        return path

    def _case_labels(self) -> list[str]:
        known = [c.name for c in schema.CASE.columns]
        return known + [label for label in self.case if label not in known]

    def _write_case(self, sheet: Worksheet) -> None:
        for row, label in enumerate(self._case_labels(), start=1):
            sheet.cell(row, 1, self.headers.get(("Case", label), label))
            sheet.cell(row, 2, self.case.get(label))

    def _write_table(self, sheet: Worksheet, name: str) -> None:
        columns = self.columns_of(name)
        titles = self.title_rows.get(name, 0)
        if titles:
            sheet.cell(1, 1, f"{name} - Signs of Safety mapping")
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        header_row = titles + 1
        for col, column in enumerate(columns, start=1):
            sheet.cell(header_row, col, self.headers.get((name, column), column))
        for offset, record in enumerate(self.tables.get(name, []), start=1):
            for col, column in enumerate(columns, start=1):
                sheet.cell(header_row + offset, col, record.get(column))


def _contract(name: str) -> schema.Sheet:
    return next(s for s in schema.SHEETS if s.name == name)


def _headers(values: dict[str, Any]) -> Row:
    """Turn keyword arguments into headers: `By_when` -> `By when`, `Family_s_view` too."""
    renamed: Row = {}
    for key, value in values.items():
        header = key.replace("_s_", "'s ").replace("_", " ")
        renamed[header] = value
    return renamed


def example_workbook(tmp_path: Path, name: str = "example.xlsx") -> Path:
    """The valid example case written to a file."""
    return WorkbookBuilder().write(tmp_path / name)


def _small_png() -> SheetImage:
    buffer = io.BytesIO()
    PILImage.new("RGB", (12, 8), (200, 30, 30)).save(buffer, format="PNG")
    return SheetImage(buffer)


def damage_pictures(path: Path) -> Path:
    """The workbook rewritten in place with every picture's bytes replaced by text."""
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            media = info.filename.startswith("xl/media/")
            archive.writestr(info, b"this is not a picture" if media else data)
    return path
