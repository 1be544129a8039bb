"""The reader's one-pass path (zip opened once, stylesheet read in part, pictures from the drawing
parts) gives exactly the RawWorkbook of the plain path, openpyxl's full load (`fast=False`)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Font, PatternFill
from PIL import Image as PILImage

from sos_docs.config import DEFAULT_LIMITS
from sos_docs.model import FormulaWithoutValue, RawWorkbook, Unseen
from sos_docs.workbook import reader
from sos_docs.workbook.blank import write_example_workbook
from tests.support import corpus, one_page, reviews
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.team_layouts import TeamWorkbook

# Number formats: built-in dates and times, Excel's custom ones, and formats that are not dates.
DATE_FORMATS = (
    "yyyy-mm-dd",
    "dd-mmm-yy",
    "[$-809]dd/mm/yyyy",
    "d/m/yyyy h:mm",
    "mm:ss",
    "[h]:mm:ss",
    "dddd, d mmmm yyyy",
    "0.00",
    "#,##0",
    "@",
    '"Day "0',
    "General",
)


def both_reads(path: Path) -> tuple[RawWorkbook, RawWorkbook]:
    """The workbook read by the one-pass path (checked not to fall back to openpyxl's full load)
    and by the plain path."""
    calls: list[bytes] = []
    full_load = reader._load_values

    def counted(data: bytes) -> object:
        calls.append(data)
        return full_load(data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reader, "_load_values", counted)
        fast = reader._read_workbook(path, DEFAULT_LIMITS, fast=True)
        assert calls == [], "the one-pass path fell back to openpyxl's full load"
    plain = reader._read_workbook(path, DEFAULT_LIMITS, fast=False)
    return fast, plain


def assert_read_alike(path: Path) -> RawWorkbook:
    """Both paths give equal workbooks, every value of the same type; the fast one is returned."""
    fast, plain = both_reads(path)
    assert fast == plain
    for fast_sheet, plain_sheet in zip(fast.sheets, plain.sheets, strict=True):
        assert [type(v) for v in fast_sheet.cells.values()] == [
            type(v) for v in plain_sheet.cells.values()
        ]
    return fast


def hidden_and_formulas(book: Workbook) -> None:
    """A hidden row and column, white text, a `;;;` format, and formulas without values."""
    sheet = book["Grey areas"]
    sheet["A30"] = "in a hidden row"
    sheet.row_dimensions[30].hidden = True
    sheet["H2"] = "in a hidden column"
    sheet.column_dimensions["H"].hidden = True
    sheet["A31"] = "white on white"
    sheet["A31"].font = Font(color="FFFFFF")
    sheet["A32"] = "white on a white fill"
    sheet["A32"].font = Font(color="FFFFFFFF")
    sheet["A32"].fill = PatternFill("solid", fgColor="FFFFFF")
    sheet["A33"] = 42
    sheet["A33"].number_format = ";;;"
    sheet["A34"] = "=SUM(1,2)"
    sheet["B34"] = "=A34*2"


def dated(book: Workbook) -> None:
    """Dates and numbers in every format of DATE_FORMATS, on an extra sheet."""
    sheet = book.create_sheet("Dates")
    for row, number_format in enumerate(DATE_FORMATS, start=1):
        sheet.cell(row, 1, dt.datetime(2026, 11, row, 9, 30))
        sheet.cell(row, 2, 45_000 + row)
        sheet.cell(row, 3, dt.date(1999, 12, 31))
        for column in (1, 2, 3):
            sheet.cell(row, column).number_format = number_format


def pictured(book: Workbook) -> None:
    """Pictures placed over two sheets, one with its own description (alt text)."""
    for sheet, anchor in (("Words and pictures", "D2"), ("Safety plan", "F3")):
        buffer = io.BytesIO()
        PILImage.new("RGB", (30, 20), (20, 120, 200)).save(buffer, format="PNG")
        book[sheet].add_image(SheetImage(buffer), anchor)


CASES: dict[str, Callable[[Path], Path]] = {
    "example with its pictures": lambda p: write_example_workbook(p, today=EXAMPLE_TODAY),
    "builder example": lambda p: WorkbookBuilder().write(p),
    "review example": lambda p: reviews.review_book().write(p),
    "one-page map, lines": lambda p: one_page.example_map(p.parent, one_page.LINES, EXAMPLE_TODAY),
    "one-page map, cells": lambda p: one_page.example_map(p.parent, one_page.CELLS, EXAMPLE_TODAY),
    "team layout": lambda p: TeamWorkbook().write(p),
    "pictures": lambda p: WorkbookBuilder().then(pictured).write(p),
    "builder picture": lambda p: WorkbookBuilder().with_picture("Words and pictures").write(p),
    "hidden and formulas": lambda p: WorkbookBuilder().then(hidden_and_formulas).write(p),
    "dates in many formats": lambda p: WorkbookBuilder().then(dated).write(p),
}


@pytest.mark.parametrize("name", CASES)
def test_the_one_pass_read_equals_openpyxls_full_load(name: str, tmp_path: Path) -> None:
    """Every sheet, value (and its type), picture, hidden cell and formula is the plain path's."""
    path = CASES[name](tmp_path / "book.xlsx")
    assert_read_alike(path)


def test_the_compared_workbooks_really_hold_what_is_compared(tmp_path: Path) -> None:
    """The cases above are read with their pictures, hidden cells, formulas and dates, so the
    comparison is not between two empty reads."""
    path = CASES["example with its pictures"](tmp_path / "example.xlsx")
    example = assert_read_alike(path)
    with zipfile.ZipFile(path) as archive:
        media = [name for name in archive.namelist() if name.startswith("xl/media/")]
    assert sum(len(sheet.pictures) for sheet in example.sheets) == len(media) > 5
    odd = assert_read_alike(CASES["hidden and formulas"](tmp_path / "odd.xlsx"))
    grey = next(sheet for sheet in odd.sheets if sheet.title == "Grey areas")
    assert grey.unseen[(30, 1)] is Unseen.ROW and grey.unseen[(2, 8)] is Unseen.COLUMN
    assert grey.unseen[(31, 1)] is Unseen.WHITE and grey.unseen[(32, 1)] is Unseen.WHITE
    assert grey.unseen[(33, 1)] is Unseen.FORMAT
    assert grey.cells[(34, 2)] == FormulaWithoutValue("=A34*2")
    dates = assert_read_alike(CASES["dates in many formats"](tmp_path / "dates.xlsx")).sheets[-1]
    assert dates.cells[(2, 1)] == dt.datetime(2026, 11, 2, 9, 30)  # dd-mmm-yy
    assert dates.cells[(3, 3)] == dt.datetime(1999, 12, 31)  # [$-809]dd/mm/yyyy
    assert dates.cells[(8, 2)] == 45_008  # 0.00: a number, not a date


def test_a_picture_carries_its_own_description_from_excel(tmp_path: Path) -> None:
    """The example's story pictures are read with the alt text Excel keeps for them (cNvPr
    descr), by both paths; a picture without one has an empty description."""
    example = assert_read_alike(CASES["example with its pictures"](tmp_path / "example.xlsx"))
    story = next(sheet for sheet in example.sheets if sheet.title == "Words and pictures")
    descriptions = [picture.description for picture in story.pictures]
    assert descriptions and all(descriptions)
    plain = assert_read_alike(CASES["pictures"](tmp_path / "pictures.xlsx"))
    assert [p.description for s in plain.sheets for p in s.pictures] == ["", ""]  # "Picture"


def test_a_file_name_kept_as_a_description_is_not_alt_text(tmp_path: Path) -> None:
    """Older Excel wrote the inserted file's path as the description: never alt text."""
    path = CASES["pictures"](tmp_path / "pictures.xlsx")
    descriptions = iter((r"C:\Users\sw\Mia bruise.jpg", "Mia and Nanna reading a book"))

    def described(xml: bytes) -> bytes:
        return xml.replace(b'descr="Picture"', f'descr="{next(descriptions)}"'.encode(), 1)

    drawings = {f"xl/drawings/drawing{n}.xml": described for n in (1, 2)}
    corpus.rewrite_zip(path, path, replace=drawings)
    read = assert_read_alike(path)
    found = sorted(p.description for s in read.sheets for p in s.pictures)
    assert found == ["", "Mia and Nanna reading a book"]


# Any text openpyxl writes (it refuses the control characters XML cannot hold).
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40).map(
    lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)
)
DATES = st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 12, 31))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(
        st.tuples(st.one_of(TEXT, DATES, st.dates(), st.integers(), st.floats(allow_nan=False)),
                  st.sampled_from(DATE_FORMATS)),
        min_size=1,
        max_size=12,
    )
)  # fmt: skip
def test_any_cell_text_and_date_is_read_alike(
    cells: list[tuple[object, str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Open-ended text, dates, times and numbers in any of the formats, written by openpyxl,
    read alike by both paths."""

    def write(book: Workbook) -> None:
        sheet = book["Grey areas"]
        for row, (value, number_format) in enumerate(cells, start=20):
            if isinstance(value, str) and value.startswith("="):
                value = " " + value  # a formula is another test's subject
            sheet.cell(row, 2, value).number_format = number_format

    folder = tmp_path_factory.mktemp("any")
    assert_read_alike(WorkbookBuilder().then(write).write(folder / "any.xlsx"))


# ---- a relationships part read once per checked archive, as openpyxl's get_dependents reads it

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@pytest.mark.parametrize(
    "relationship",
    [
        '<Relationship Id="rId1" Type="t" Target="../drawings/drawing1.xml"/>',
        '<Relationship Id="rId1" Type="t" Target="/xl/media/a.png"/>',
        '<Relationship Id="rId1" Type="t" Target="x" Bogus="1"/>',  # invalid: a warning
        '<Relationship Type="t"/>',  # invalid: a warning
    ],
)
def test_relationships_read_once_give_get_dependents_answer_and_warnings_every_time(
    relationship: str,
) -> None:
    """Each call gives what openpyxl's get_dependents gives, and the warnings it gives (with
    their origin, which the log names), though the part is read once."""
    import warnings

    from openpyxl.packaging.relationship import get_dependents

    from sos_docs.workbook import _openpyxl_cells
    from sos_docs.workbook.guard import CheckedArchive

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "xl/worksheets/_rels/sheet1.xml.rels",
            f'<Relationships xmlns="{RELS_NS}">{relationship}</Relationships>',
        )
    part = "xl/worksheets/_rels/sheet1.xml.rels"

    def read(get: Callable[..., object], archive: zipfile.ZipFile, ignored: str = "") -> object:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if ignored:  # a filter naming the module the warning comes from
                warnings.filterwarnings("ignore", module=ignored)
            found: object = get(archive, part)
        rels = [(r.Id, r.Type, r.target, r.TargetMode) for r in found]  # type: ignore[attr-defined]
        return rels, [(str(w.message), w.category, w.filename, w.lineno) for w in caught]

    expected = read(get_dependents, zipfile.ZipFile(io.BytesIO(buffer.getvalue())))
    checked = CheckedArchive(buffer.getvalue())
    assert read(_openpyxl_cells.dependents, checked) == expected
    assert read(_openpyxl_cells.dependents, checked) == expected  # kept, warned again
    for ignored in ("openpyxl", "openpyxl.packaging.relationship"):  # the same filters apply
        fresh = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
        assert read(_openpyxl_cells.dependents, checked, ignored) == read(
            get_dependents, fresh, ignored
        )
