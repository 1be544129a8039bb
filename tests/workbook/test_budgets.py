"""Budgets the reader enforces while it reads, on both of its paths: text, cells, rows, pictures.

Each hostile workbook here is small on disk and grows only when read: references to one shared
string, pictures whose header claims millions of pixels, one picture placed many times.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage

from sos_docs.config import (
    DEFAULT_MAX_CELL_CHARS,
    DEFAULT_MAX_PICTURE_PIXELS,
    DEFAULT_MAX_TEXT_CHARS,
    Config,
    Limits,
)
from sos_docs.errors import WorkbookError
from sos_docs.model import Level
from sos_docs.pipeline import check_workbook
from sos_docs.workbook import reader
from tests.support import corpus
from tests.support.builders import WorkbookBuilder

TOO_LARGE = "too large or too complex to process"
BOTH_PATHS = pytest.mark.parametrize("fast", [True, False], ids=["streamed", "openpyxl"])


def refused(path: Path, limits: Limits, *, fast: bool) -> WorkbookError:
    """The error the reader refuses `path` with, by the streamed or the openpyxl path."""
    with pytest.raises(WorkbookError) as caught:
        reader._read_workbook(path, limits, fast=fast)
    assert "\n" not in str(caught.value)
    return caught.value


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def shared_strings_workbook(
    path: Path, strings: list[str], cells: list[int], title: str = "Notes"
) -> Path:
    """A workbook written part by part as Excel writes it: each of `cells` (column A, one a row)
    refers to a string of the shared string table `strings` by its number."""
    rows = "".join(
        f'<row r="{row}"><c r="A{row}" t="s"><v>{index}</v></c></row>'
        for row, index in enumerate(cells, start=1)
    )
    table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    rel = f"{REL_NS}/"
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": f'<Relationships xmlns="{PARTS_NS}"><Relationship Id="rId1" '
        f'Type="{rel}officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        f'<sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PARTS_NS}">'
        f'<Relationship Id="rId1" Type="{rel}worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN_NS}"><sheetData>{rows}'
        "</sheetData></worksheet>",
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN_NS}" count="{len(cells)}" '
        f'uniqueCount="{len(strings)}">{table}</sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return path


def picture_placed(path: Path, image: bytes, cells: list[str], title: str = "Pictures") -> Path:
    """A sheet with the same picture file placed over each of `cells`."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    source = path.with_suffix(".png")
    source.write_bytes(image)
    for cell in cells:
        sheet.add_image(SheetImage(str(source)), cell)
    book.save(path)
    return path


@BOTH_PATHS
def test_one_long_shared_string_in_every_cell_is_refused_by_the_total_text(
    tmp_path: Path, fast: bool
) -> None:
    """9,998 cells pointing at one 32 KB string (155 KB on disk, 327 million characters) are refused."""
    path = shared_strings_workbook(tmp_path / "bomb.xlsx", ["x" * 32_000], [0] * 9_998)
    assert path.stat().st_size < 160_000
    started = time.perf_counter()
    error = refused(path, Limits(), fast=fast)
    assert time.perf_counter() - started < 10.0
    message = str(error)
    assert TOO_LARGE in message
    assert f"{DEFAULT_MAX_TEXT_CHARS:,} characters" in message
    assert error.sheet == "Notes" and error.cell is not None
    assert f'"Notes" cell {error.cell}' in message


@BOTH_PATHS
def test_a_cell_longer_than_excel_allows_is_refused_naming_its_cell(
    tmp_path: Path, fast: bool
) -> None:
    """A cell of more characters than Excel's 32,767 is refused, naming the sheet and cell."""
    path = shared_strings_workbook(
        tmp_path / "long.xlsx", ["y" * (DEFAULT_MAX_CELL_CHARS + 1)], [0]
    )
    error = refused(path, Limits(), fast=fast)
    assert (error.sheet, error.cell) == ("Notes", "A1")
    assert TOO_LARGE in str(error)
    assert f"{DEFAULT_MAX_CELL_CHARS:,}" in str(error)


@BOTH_PATHS
def test_a_cell_of_exactly_excels_limit_is_read(tmp_path: Path, fast: bool) -> None:
    """A cell as long as Excel allows (32,767 characters) is read in full."""
    path = shared_strings_workbook(tmp_path / "full.xlsx", ["z" * DEFAULT_MAX_CELL_CHARS], [0])
    raw = reader._read_workbook(path, Limits(), fast=fast)
    assert raw.sheets[0].cells[(1, 1)] == "z" * DEFAULT_MAX_CELL_CHARS


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(st.text(alphabet="abc dé", min_size=1, max_size=30), min_size=1, max_size=12),
    budget=st.integers(1, 200),
    repeats=st.integers(1, 4),
)
def test_both_paths_count_every_reference_to_a_string(
    tmp_path_factory: pytest.TempPathFactory, texts: list[str], budget: int, repeats: int
) -> None:
    """The streamed and the openpyxl paths refuse exactly when all cells' text exceeds the budget."""
    path = tmp_path_factory.mktemp("texts") / "texts.xlsx"
    cells = [number for number in range(len(texts)) for _ in range(repeats)]
    shared_strings_workbook(path, texts, cells)
    limits = Limits(max_text_chars=budget)
    over = sum(len(texts[number]) for number in cells) > budget
    for fast in (True, False):
        if over:
            assert TOO_LARGE in str(refused(path, limits, fast=fast))
        else:
            assert len(reader._read_workbook(path, limits, fast=fast).sheets[0].cells) == len(cells)


def test_a_picture_claiming_more_pixels_than_the_budget_is_refused_from_its_header(
    tmp_path: Path,
) -> None:
    """A 13,000 x 13,000 picture (under Pillow's own bomb limit) is refused before it is decoded."""
    big = corpus.png_claiming_size(13_000, 13_000)
    path = picture_placed(tmp_path / "huge.xlsx", corpus.png_bytes(), ["C3"])
    (media,) = corpus.media_parts(path)
    corpus.rewrite_zip(path, path, replace={media: big})
    started = time.perf_counter()
    error = refused(path, Limits(), fast=True)
    assert time.perf_counter() - started < 5.0
    assert (error.sheet, error.cell) == ("Pictures", "C3")
    assert TOO_LARGE in str(error)
    assert "13,000 x 13,000" in str(error)
    assert f"{DEFAULT_MAX_PICTURE_PIXELS // 1_000_000} megapixels" in str(error)


def test_a_picture_placed_many_times_counts_each_time(tmp_path: Path) -> None:
    """The same picture placed over 40 cells counts 40 times toward the picture bytes budget."""
    image = corpus.png_bytes()
    cells = [f"A{row}" for row in range(1, 41)]
    path = picture_placed(tmp_path / "many.xlsx", image, cells)
    limits = Limits(max_picture_bytes=len(image) * 20)
    error = refused(path, limits, fast=True)
    assert TOO_LARGE in str(error)
    assert error.sheet == "Pictures" and error.cell == "A21"
    assert len(reader.read_workbook(path, Limits()).sheets[0].pictures) == 40


def test_the_service_reports_a_budget_as_one_problem_at_its_cell(tmp_path: Path) -> None:
    """check_workbook turns a budget into one WB001 error with its sheet and cell."""
    book = WorkbookBuilder()
    book.set_case("Reason for report", "r" * 2_000)  # openpyxl cuts text at Excel's limit
    path = book.write(tmp_path / "case.xlsx")
    validation = check_workbook(path, Config(limits=Limits(max_cell_chars=1_000)))
    [problem] = validation.problems
    assert (problem.code, problem.level) == ("WB001", Level.ERROR)
    assert (problem.sheet, problem.cell) == ("Case", book.cell("Case", "Reason for report"))
    assert TOO_LARGE in problem.message
