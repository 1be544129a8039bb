"""Tests for sos_docs.workbook.reader: real workbook files read into RawWorkbook, values exactly as typed."""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl.xml
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Font
from openpyxl.worksheet.hyperlink import Hyperlink

from sos_docs.config import Limits
from sos_docs.errors import WorkbookError
from sos_docs.model import FormulaWithoutValue, RawSheet, RawWorkbook
from sos_docs.workbook import example, schema
from sos_docs.workbook.reader import read_workbook
from tests.support import corpus
from tests.support.builders import WorkbookBuilder, example_workbook

# What XML 1.0 cannot hold even escaped; lxml refuses to write it, so no file can contain it.
NOT_XML_CHARACTERS = "\ufffe\uffff"
EXCEL_CONTROL_ESCAPE = re.compile(r"_x00[01][0-9A-Fa-f]_")
TRICKY_PIECES = [
    *("{{", "}}", "{%", "%}", "{#", "<", "&", ">", "&amp;", "<w:t>", "]]>"),
    *("\r\n", "\r", "\n", "\t", "\x00", "\x07", "\x0b", "\x1f", " ", "\u00a0"),
    *("\u202e", "\u200f", "مرحبا", "שלום", "🧒🏽", "👨‍👩‍👧", "Siân", "Łukasz", "Nguyễn"),
]


def sheet(workbook: RawWorkbook, title: str) -> RawSheet:
    """The sheet with this title."""
    return next(s for s in workbook.sheets if s.title == title)


def value_at(raw: RawSheet, a1: str) -> object:
    """The value read for an A1 cell, None when empty."""
    row, column = _coordinate(a1)
    return raw.cells.get((row, column))


def _coordinate(a1: str) -> tuple[int, int]:
    from openpyxl.utils.cell import coordinate_to_tuple

    return coordinate_to_tuple(a1)


def one_cell_workbook(
    path: Path, value: object, title: str = "Notes", *, text: bool = False
) -> Path:
    """A workbook with one sheet holding `value` in A1, written by openpyxl; with `text` a
    string is stored as text even when it starts with "=" (openpyxl would make it a formula)."""
    book = Workbook()
    sheet_ = book.active
    assert sheet_ is not None
    sheet_.title = title
    sheet_["A1"] = value
    if text:
        sheet_["A1"].data_type = "s"
    book.save(path)
    return path


def unreadable(path: Path, limits: Limits | None = None) -> str:
    """The one-line message read_workbook refuses `path` with."""
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, limits or Limits())
    message = str(caught.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------------------ the example


def test_example_sheets_in_tab_order(tmp_path: Path) -> None:
    """Every worksheet comes back, in tab order, with the file's name."""
    workbook = read_workbook(example_workbook(tmp_path, "Hartley case.xlsx"))
    assert workbook.path_name == "Hartley case.xlsx"
    assert [s.title for s in workbook.sheets] == [c.name for c in schema.SHEETS]


def test_example_case_values_keep_their_types(tmp_path: Path) -> None:
    """Text stays text, dates come back as datetime, as openpyxl gives them."""
    book = WorkbookBuilder()
    case = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "Case")
    assert value_at(case, "A1") == "Case reference"
    assert value_at(case, book.cell("Case", "Case reference")) == example.CASE["Case reference"]
    mapping_date = value_at(case, book.cell("Case", "Mapping date"))
    assert mapping_date == dt.datetime.combine(example.MAPPING_DATE, dt.time())
    assert value_at(case, book.cell("Case", "Not shared because")) is None


def test_table_cells_and_bounds(tmp_path: Path) -> None:
    """A table's cells are keyed (row, column), only non-empty ones, bounded by the real data."""
    book = WorkbookBuilder()
    children = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "Children")
    records = book.rows("Children")
    assert value_at(children, book.cell("Children", "Name", 1)) == records[1]["Name"]
    assert children.max_row == 1 + len(records)
    assert children.max_column == len(book.columns_of("Children"))
    assert all(v is not None and v != "" for v in children.cells.values())


def test_numbers_and_booleans(tmp_path: Path) -> None:
    """Whole numbers are int, others float, booleans bool."""
    book = WorkbookBuilder().then(_put_numbers)
    notes = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "Grey areas")
    assert value_at(notes, "C1") == 7
    assert type(value_at(notes, "C1")) is int
    assert value_at(notes, "C2") == 6.5
    assert value_at(notes, "C3") is True
    assert value_at(notes, "C4") == dt.time(9, 30)


def _put_numbers(book: Workbook) -> None:
    sheet_ = book["Grey areas"]
    sheet_["C1"], sheet_["C2"], sheet_["C3"], sheet_["C4"] = 7, 6.5, True, dt.time(9, 30)


def test_merged_title_rows_are_read(tmp_path: Path) -> None:
    """A merged title row above the header reads as one value in its first cell."""
    book = WorkbookBuilder().with_title_rows("People", 2)
    people = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "People")
    assert value_at(people, "A1") == "People - Signs of Safety mapping"
    assert value_at(people, "B1") is None
    assert value_at(people, "A3") == "ID"


def test_chartsheets_are_skipped(tmp_path: Path) -> None:
    """A chart sheet is not a worksheet and is left out."""
    book = WorkbookBuilder().then(_add_chart_sheet)
    titles = [s.title for s in read_workbook(book.write(tmp_path / "case.xlsx")).sheets]
    assert "Scores chart" not in titles
    assert titles == [c.name for c in schema.SHEETS]


def _add_chart_sheet(book: Workbook) -> None:
    chart = BarChart()
    chart.add_data(
        Reference(book["Scaling"], min_col=4, min_row=1, max_row=6), titles_from_data=True
    )
    book.create_chartsheet("Scores chart", 1).add_chart(chart)


def test_xlsm_is_read_without_macros(tmp_path: Path) -> None:
    """A macro-enabled workbook reads like any other."""
    xlsm = corpus.as_xlsm(example_workbook(tmp_path), tmp_path / "case.xlsm")
    assert [s.title for s in read_workbook(xlsm).sheets] == [c.name for c in schema.SHEETS]


def test_file_name_without_xlsx_extension(tmp_path: Path) -> None:
    """openpyxl refuses unusual extensions by name; the reader goes by content."""
    workbook = read_workbook(example_workbook(tmp_path, "Case #3 — Siân (final).XLSX"))
    assert workbook.path_name == "Case #3 — Siân (final).XLSX"
    assert len(workbook.sheets) == len(schema.SHEETS)


# -------------------------------------------------------------------------------- pictures


def test_picture_over_a_row(tmp_path: Path) -> None:
    """An image placed over a row comes back with its bytes, format and top-left cell."""
    png = corpus.png_bytes()
    book = WorkbookBuilder()
    cell = book.cell("Safety plan", "Picture", 1)
    book.then(lambda wb: wb["Safety plan"].add_image(Image(io.BytesIO(png)), cell))
    plan = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "Safety plan")
    (picture,) = plan.pictures
    assert picture.data == png
    assert picture.format == "png"
    assert picture.anchor_cell == cell
    assert picture.anchor_row == book.header_row("Safety plan") + 2


def test_two_cell_anchor_picture(tmp_path: Path) -> None:
    """A picture anchored by two cells (moved and sized with cells) reports its top-left cell."""
    jpeg = corpus.jpeg_bytes()

    def place(wb: Workbook) -> None:
        image = Image(io.BytesIO(jpeg))
        image.anchor = TwoCellAnchor(
            _from=AnchorMarker(col=3, row=4), to=AnchorMarker(col=5, row=7)
        )
        wb["Words and pictures"].add_image(image)

    book = WorkbookBuilder().then(place)
    pages = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "Words and pictures")
    (picture,) = pages.pictures
    assert (picture.anchor_row, picture.anchor_cell) == (5, "D5")
    assert picture.format == "jpeg"
    assert picture.data == jpeg


def _example_with_picture(tmp_path: Path) -> Path:
    png = corpus.png_bytes()
    book = WorkbookBuilder()
    cell = book.cell("Words and pictures", "Picture", 0)
    book.then(lambda wb: wb["Words and pictures"].add_image(Image(io.BytesIO(png)), cell))
    return book.write(tmp_path / "case.xlsx")


def test_unreadable_picture_is_skipped_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A picture whose bytes are not an image is left out, and the log says so (by origin: the
    text of openpyxl's warning is not logged, since warnings can quote cells)."""
    path = _example_with_picture(tmp_path)
    (media,) = corpus.media_parts(path)
    corpus.rewrite_zip(path, path, replace={media: b"this is not an image"})
    with caplog.at_level(logging.INFO, logger="sos_docs.workbook.reader"):
        pages = sheet(read_workbook(path), "Words and pictures")
    assert pages.pictures == ()
    assert pages.unreadable_pictures == ("E2",)  # where it was placed (Picture), for the warning
    assert "UserWarning from openpyxl/reader/drawings.py" in caplog.text
    assert value_at(pages, "D2") == example.SHEET_ROWS["Words and pictures"][0]["Words"]


def test_readable_pictures_leave_no_unreadable_ones(tmp_path: Path) -> None:
    """A sheet whose pictures all read lists none as unreadable."""
    pages = sheet(read_workbook(_example_with_picture(tmp_path)), "Words and pictures")
    assert len(pages.pictures) == 1
    assert pages.unreadable_pictures == ()


def test_picture_claiming_billions_of_pixels(tmp_path: Path) -> None:
    """A picture built to exhaust memory when decoded is refused with a plain message."""
    path = _example_with_picture(tmp_path)
    (media,) = corpus.media_parts(path)
    corpus.rewrite_zip(path, path, replace={media: corpus.png_claiming_size(60_000, 60_000)})
    message = unreadable(path)
    assert "picture too large" in message
    assert "Compress Pictures" in message


def test_sheet_without_pictures(tmp_path: Path) -> None:
    """Sheets without images have no pictures."""
    assert all(not s.pictures for s in read_workbook(example_workbook(tmp_path)).sheets)


# -------------------------------------------------------------------------------- formulas


def test_formula_without_saved_value(tmp_path: Path) -> None:
    """A formula openpyxl wrote (never calculated) comes back as FormulaWithoutValue."""
    book = WorkbookBuilder().set_case("Team", '=B1&" team"')
    case = sheet(read_workbook(book.write(tmp_path / "case.xlsx")), "Case")
    assert value_at(case, book.cell("Case", "Team")) == FormulaWithoutValue('=B1&" team"')


def test_formula_with_saved_value(tmp_path: Path) -> None:
    """A formula with a cached value comes back as that value."""
    book = WorkbookBuilder().set_case("Team", '=B1&" team"')
    path = book.write(tmp_path / "case.xlsx")
    part = corpus.sheet_part(path, "Case")
    cell = book.cell("Case", "Team")
    corpus.replace_cell(
        path, part, cell, f'<c r="{cell}" t="str"><f>B1&amp;" team"</f><v>Riverside team</v></c>'
    )
    case = sheet(read_workbook(path), "Case")
    assert value_at(case, cell) == "Riverside team"


def test_formula_with_saved_number(tmp_path: Path) -> None:
    """A numeric cached value comes back as a number."""
    path = one_cell_workbook(tmp_path / "f.xlsx", "=6+1")
    corpus.replace_cell(path, "xl/worksheets/sheet1.xml", "A1", '<c r="A1"><f>6+1</f><v>7</v></c>')
    assert value_at(read_workbook(path).sheets[0], "A1") == 7


def test_formula_whose_saved_value_is_empty_text(tmp_path: Path) -> None:
    """A formula Excel calculated to "" is an empty cell, not a missing value."""
    path = one_cell_workbook(tmp_path / "f.xlsx", '=""')
    corpus.replace_cell(
        path, "xl/worksheets/sheet1.xml", "A1", '<c r="A1" t="str"><f>""</f><v></v></c>'
    )
    assert read_workbook(path).sheets[0].cells == {}


def test_shared_formula_followers_get_their_own_formula(tmp_path: Path) -> None:
    """Cells sharing a formula (as Excel writes a filled-down column) get it translated."""
    path = one_cell_workbook(tmp_path / "f.xlsx", 1)
    corpus.patch_text(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            "</row></sheetData>",
            '</row><row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="0">A1+1</f></c></row>'
            '<row r="3"><c r="A3"><f t="shared" si="0"/></c></row></sheetData>',
        ),
    )
    cells = read_workbook(path).sheets[0].cells
    assert cells[(2, 1)] == FormulaWithoutValue("=A1+1")
    assert cells[(3, 1)] == FormulaWithoutValue("=A2+1")


def test_formula_in_prefixed_xml(tmp_path: Path) -> None:
    """Sheet XML written with a namespace prefix (x:c, x:f) is scanned for formulas too."""
    path = one_cell_workbook(tmp_path / "f.xlsx", "=1+1")
    corpus.patch_text(
        path,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(r"<(/?)(\w+)", r"<\1x:\2", xml).replace("xmlns=", "xmlns:x=", 1),
    )
    assert value_at(read_workbook(path).sheets[0], "A1") == FormulaWithoutValue("=1+1")


# --------------------------------------------------------------------------------- strings


def test_excel_escaped_control_characters_are_decoded_then_removed(tmp_path: Path) -> None:
    """Excel's _x000D_ becomes a line break; other escaped control characters are removed."""
    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "Case")
    corpus.with_shared_string(path, part, "B3", "Line one_x000D_\nLine two_x0007__x000B_ end")
    assert value_at(sheet(read_workbook(path), "Case"), "B3") == "Line one\nLine two end"


def test_carriage_returns_become_newlines(tmp_path: Path) -> None:
    """\\r\\n and lone \\r are normalised to \\n; tabs and spaces stay."""
    path = one_cell_workbook(tmp_path / "t.xlsx", "  a\r\nb\rc\td  ")
    assert value_at(read_workbook(path).sheets[0], "A1") == "  a\nb\nc\td  "


@pytest.mark.parametrize(
    "text",
    [
        "{{ child.name }}",
        "{% for x in y %}{{ x }}{% endfor %}",
        "{#comment#} {{ 7*7 }}",
        "<w:t>&amp;</w:t> & < > \" '",
        'Dean said "I\'ll stop" & Kerry said <nothing>',
    ],
)
def test_template_and_xml_looking_text_is_untouched(tmp_path: Path, text: str) -> None:
    """Text that looks like template code or XML stays exactly as typed."""
    assert (
        value_at(read_workbook(one_cell_workbook(tmp_path / "t.xlsx", text)).sheets[0], "A1")
        == text
    )


def test_space_only_text_is_kept(tmp_path: Path) -> None:
    """The reader does not strip: a cell holding only spaces is a value (validation strips)."""
    assert (
        value_at(read_workbook(one_cell_workbook(tmp_path / "s.xlsx", "   ")).sheets[0], "A1")
        == "   "
    )


def _as_excel_writes(text: str) -> str:
    """Control characters as Excel stores them in a file: _xHHHH_ (XML cannot hold them)."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _as_read(text: str) -> str:
    """What the reader must return for text typed into Excel."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ILLEGAL_CHARACTERS_RE.sub("", text)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.lists(
        st.one_of(
            st.characters(blacklist_categories=["Cs"], blacklist_characters=NOT_XML_CHARACTERS),
            st.sampled_from(TRICKY_PIECES),
        ),
        max_size=40,
    ).map("".join)
)
def test_any_text_reads_back_as_typed(tmp_path: Path, text: str) -> None:
    """Any text (emoji, RTL, template and XML look-alikes, control characters) reads back as typed."""
    assume(not EXCEL_CONTROL_ESCAPE.search(text))  # a literal "_x0007_" is decoded, as Excel does
    # Typed text that starts with "=" (Excel keeps it as text after a ' prefix) stays text.
    path = one_cell_workbook(tmp_path / "prop.xlsx", _as_excel_writes(text), text=True)
    expected = _as_read(text)
    cells = read_workbook(path).sheets[0].cells
    assert cells.get((1, 1)) == (expected or None)


# ------------------------------------------------------------------------- size and damage


def test_huge_declared_dimension_reads_fast(tmp_path: Path) -> None:
    """A sheet declaring A1:Z1000000 is read by its real cells, quickly."""
    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "Children")
    corpus.patch_text(
        path,
        part,
        lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:Z1000000"/>', xml),
    )
    assert 'ref="A1:Z1000000"' in corpus.member_text(path, part)
    started = time.perf_counter()
    children = sheet(read_workbook(path), "Children")
    assert time.perf_counter() - started < 2.0
    assert children.max_row == 1 + len(example.CHILDREN)


def test_too_many_rows(tmp_path: Path) -> None:
    """A sheet with more rows of values than the limit is refused, naming the sheet."""
    book = Workbook()
    sheet_ = book.active
    assert sheet_ is not None
    sheet_.title = "People"
    for row in range(1, 8):
        sheet_.cell(row, 1, f"P{row}")
    book.save(tmp_path / "rows.xlsx")
    message = unreadable(tmp_path / "rows.xlsx", Limits(max_rows=5))
    assert '"People" has 7 rows' in message
    assert "5 allowed" in message


def test_too_many_formatted_cells_refused_before_loading(tmp_path: Path) -> None:
    """Thousands of formatted empty cells are refused from a scan, before openpyxl builds them."""
    book = Workbook()
    sheet_ = book.active
    assert sheet_ is not None
    for row in range(1, 61):
        for column in range(1, 6):
            sheet_.cell(row, column).font = Font(bold=True)
    book.save(tmp_path / "formatted.xlsx")
    message = unreadable(tmp_path / "formatted.xlsx", Limits(max_rows=5))
    assert "more than 250 filled or formatted cells" in message
    assert "delete the unused rows and columns" in message


def test_guard_runs_first(tmp_path: Path) -> None:
    """A file the guard refuses never reaches openpyxl: the guard's message comes back."""
    path = tmp_path / "case.xlsx"
    path.write_text("ID,Name\nC1,Mia\n")
    assert "text or CSV" in unreadable(path)


def test_malformed_sheet_xml(tmp_path: Path) -> None:
    """Broken XML inside a sheet becomes a plain message, not a traceback."""
    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "People")
    corpus.patch_text(path, part, lambda xml: xml.replace("</sheetData>", "<row><c r=", 1))
    message = unreadable(path)
    assert "damaged" in message
    assert "save it again" in message


def test_bad_crc_in_a_member(tmp_path: Path) -> None:
    """A member whose compressed data was damaged is reported as a damaged file."""
    path = example_workbook(tmp_path)
    corpus.corrupt_member_data(path, corpus.sheet_part(path, "Scaling"))
    assert "damaged" in unreadable(path)


def test_missing_worksheet_part(tmp_path: Path) -> None:
    """A workbook pointing at a sheet part that is not there reads the sheets that are."""
    path = example_workbook(tmp_path)
    corpus.rewrite_zip(path, path, drop=(corpus.sheet_part(path, "Grey areas"),))
    titles = [s.title for s in read_workbook(path).sheets]
    assert "Grey areas" not in titles
    assert "Working well" in titles


def test_defusedxml_switched_off_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without defusedxml active in openpyxl, nothing is read."""
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    assert "defusedxml" in unreadable(example_workbook(tmp_path))


# ---- links: Excel shows a linked cell's own text, never the link's address in its place


def _linked(value: str | None, **link: str) -> Callable[[Workbook], None]:
    """Mia's "Withhold from" (Child's views I2) with this text and a link on it."""

    def change(book: Workbook) -> None:
        cell = book["Child's views"]["I2"]
        cell.value = value
        cell.hyperlink = Hyperlink(ref="I2", **link)
        cell.value = value  # the setter gives an empty cell the link's address: put it back
        cell.font = Font(underline="single", color="0563C1")  # as Excel: kept, so written

    return change


@pytest.mark.parametrize(
    "link",
    [{"location": "Family"}, {"target": "https://example.org/Family"}],
    ids=["place", "address"],
)
def test_a_link_on_an_empty_cell_gives_it_no_value(link: dict[str, str], tmp_path: Path) -> None:
    """A linked cell whose text was deleted (Excel keeps the link and shows nothing) is empty,
    on every read path: openpyxl's load gave it the link's address or place as its value, so a
    link to "Family" withheld Mia's words from a family that had not been named (found by an
    attacker review), and a deleted web link became the text of a cell."""
    path = WorkbookBuilder().then(_linked(None, **link)).write(tmp_path / "linked.xlsx")
    assert "<hyperlink " in corpus.member_text(path, corpus.sheet_part(path, "Child's views"))
    views = sheet(read_workbook(path), "Child's views")
    assert value_at(views, "I2") in (None, "")


def test_a_linked_cell_keeps_its_own_text_even_when_it_is_the_links_place(
    tmp_path: Path,
) -> None:
    """Text typed in a linked cell is read, even when it is the place the link points to."""
    path = WorkbookBuilder().then(_linked("Family", location="Family")).write(tmp_path / "l.xlsx")
    views = sheet(read_workbook(path), "Child's views")
    assert value_at(views, "I2") == "Family"
