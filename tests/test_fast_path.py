"""The fast paths against the plain ones they replace, which must give exactly the same result.

render.py: documents from a compiled template against a fresh, uncached docxtpl render.
workbook/_openpyxl_cells.py: cell values read by openpyxl's cell parser alone against its full load.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from PIL import Image

from sos_docs.config import DEFAULT_LIMITS
from sos_docs.documents import _docxtpl_compiled, render
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.errors import TemplateError, WorkbookError
from sos_docs.model import MappingCase, RawWorkbook
from sos_docs.workbook import _openpyxl_cells, reader
from sos_docs.workbook.blank import write_example_workbook
from sos_docs.workbook.reader import SheetValues, read_workbook
from sos_docs.workbook.text_budget import TextBudget
from sos_docs.workbook.validate import validate
from tests.support import corpus
from tests.support.adversarial import build_corpus, excel_style
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.plain_render import plain_render

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DEFAULT_TEMPLATES = (TEMPLATES / "conference_report.docx", TEMPLATES / "words_and_pictures.docx")
SETTINGS = DocumentSettings(report_date=EXAMPLE_TODAY)
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HOSTILE = (
    "{{ 7*7 }}",
    "{% for x in y %}",
    "{_{ x }_} {_% if %_}",
    "{# not a comment",
    "]]>",
    "<w:p>&amp; & < > \" '",
    "&#95; &lt;",
)


# ---- the plain path: docxtpl as documented, parsing and compiling on every render


def fast_render(template: Path, context: dict[str, object]) -> bytes:
    """The document as sos-docs renders it, from the compiled template."""
    return render.render_document(template, context).data


# ---- reading documents back


def document_text(data: bytes) -> list[str]:
    """Every paragraph and table cell of the body, then each header, footer and footnote part."""
    document = docx.Document(io.BytesIO(data))
    texts = [_text(p) for p in document.element.body.iter(f"{{{W_NS}}}p")]
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.even_page_header):
            texts += ["header: " + _text(p) for p in part._element.iter(f"{{{W_NS}}}p")]
        for part in (section.footer, section.first_page_footer, section.even_page_footer):
            texts += ["footer: " + _text(p) for p in part._element.iter(f"{{{W_NS}}}p")]
    texts += ["footnotes: " + _footnotes_text(document)]
    props = document.core_properties
    return [*texts, f"title: {props.title}", f"subject: {props.subject}"]


def _text(paragraph: object) -> str:
    """A paragraph's text with line breaks and tabs as python-docx reads them."""
    return docx.text.paragraph.Paragraph(paragraph, None).text


def _footnotes_text(document: object) -> str:
    parts = document.part.package.parts  # type: ignore[attr-defined]
    return " | ".join(p.blob.decode("utf-8") for p in parts if p.content_type == CT.WML_FOOTNOTES)


def part_blobs(data: bytes) -> dict[str, bytes]:
    """Every part of the package by name, as stored."""
    document = docx.Document(io.BytesIO(data))
    return {str(p.partname): p.blob for p in document.part.package.iter_parts()}


def case_from(book: WorkbookBuilder, tmp_path: Path) -> MappingCase:
    """A builder's workbook written, read and validated; fails when it is not valid."""
    validation = validate(read_workbook(book.write(tmp_path / "case.xlsx")), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


def large_book() -> WorkbookBuilder:
    """The example family grown to 6 children, 40 next steps, 30 harm rows and 12 scores."""
    book = WorkbookBuilder()
    for n in range(3, 7):
        book.add_row(
            "Children",
            ID=f"C{n}",
            Name=f"Child{n} Hartley",
            Date_of_birth=dt.date(2012 + n, 1, n),
            Gender="Female" if n % 2 else "Male",
        )
    for n in range(4, 31):
        book.add_row(
            "Harm",
            Date=dt.date(2026, 1, 1) + dt.timedelta(days=7 * n),
            What_happened=f"Incident {n}: shouting at home & a door was broken <again>.",
            Impact_on_the_child=f"Child {n % 6 + 1} was frightened.\nThey told their teacher.",
            Children=f"C{n % 6 + 1}",
            Source="Reported",
        )
    for n in range(6, 41):
        book.add_row(
            "Next steps",
            Action=f"Step {n}: visit the family and check the plan {{{{ n }}}}.",
            Who="P5",
            By_when=dt.date(2026, 12, 1) + dt.timedelta(days=n),
            Safety_goal="G1" if n % 2 else "G2",
            Status="Not started",
        )
    for n in range(3, 7):
        book.add_row(
            "Child's views",
            Child=f"C{n}",
            Method="Three houses",
            Date=dt.date(2026, 11, n),
            Worries=f"Child {n} worries when the grown-ups shout.\nAnd at night.",
            Good_things="Swimming & football {{ fun }}.",
        )
        book.add_row("Scaling", Participant="P5", Child=f"C{n}", Score=n, Reason=f"Reason {n}.")
    book.add_row("Scaling", Participant="P7", Score=5, Reason="Leo is sleeping better.")
    return book


# ---- fixtures


@pytest.fixture(scope="module")
def contexts(
    example_case: MappingCase, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, object]]:
    """The example, the large case and a case full of hostile text, as template contexts."""
    hostile = WorkbookBuilder()
    hostile.update_row("Danger statements", 0, Statement=" ".join(HOSTILE) + " Mia is scared.")
    hostile.update_row("Child's views", 0, Worries="Line one\n\tLine two {_{ x }_}\n\nLine four")
    hostile.update_row("People", 0, Name="Zoë {{ name }} & <Kerry>")
    hostile.set_case("Reason for report", ("{% raw %} ]]> & < > " * 300).strip())
    cases = {
        "example": example_case,
        "large": case_from(large_book(), tmp_path_factory.mktemp("large")),
        "hostile": case_from(hostile, tmp_path_factory.mktemp("hostile")),
    }
    return {name: build_context(case, SETTINGS) for name, case in cases.items()}


@pytest.fixture(scope="module")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template printing {{ x }} in a paragraph, a table cell, the header and the footer."""
    document = docx.Document()
    document.add_paragraph("{{ x }}")
    document.add_table(rows=1, cols=1).rows[0].cells[0].paragraphs[0].add_run("{{ x }}")
    document.sections[0].header.paragraphs[0].add_run("{{ x }}")
    document.sections[0].footer.paragraphs[0].add_run("{{ x }}")
    path = tmp_path_factory.mktemp("small") / "small.docx"
    document.save(path)
    return path


# ---- the same documents


@pytest.mark.parametrize("case", ["example", "large", "hostile"])
@pytest.mark.parametrize("template", DEFAULT_TEMPLATES, ids=lambda p: p.stem)
def test_fast_path_gives_the_plain_paths_document(
    case: str, template: Path, contexts: dict[str, dict[str, object]]
) -> None:
    """Every paragraph, cell, header and footer, and every part's XML, equal the plain render's."""
    context = contexts[case]
    fast, plain = fast_render(template, context), plain_render(template, context)
    assert document_text(fast) == document_text(plain)
    assert part_blobs(fast) == part_blobs(plain)


def test_rendering_twice_from_the_cache_gives_the_same_document(
    contexts: dict[str, dict[str, object]],
) -> None:
    """A compiled template is not changed by rendering: the second document equals the first."""
    template = DEFAULT_TEMPLATES[0]
    first = fast_render(template, contexts["large"])
    fast_render(template, contexts["hostile"])
    assert part_blobs(fast_render(template, contexts["large"])) == part_blobs(first)


def test_render_documents_matches_one_render_per_template(
    contexts: dict[str, dict[str, object]],
) -> None:
    """Rendering both templates in one call (pictures converted once) changes nothing."""
    together = render.render_documents(DEFAULT_TEMPLATES, contexts["example"])
    for template, rendered in zip(DEFAULT_TEMPLATES, together, strict=True):
        assert part_blobs(rendered.data) == part_blobs(fast_render(template, contexts["example"]))


@settings(max_examples=30, deadline=None)
@given(value=st.text(max_size=60))
def test_any_text_renders_the_same_on_both_paths(value: str, small_template: Path) -> None:
    """Open-ended cell text gives the same paragraph, cell, header and footer on both paths."""
    context: dict[str, object] = {"x": value}
    assert document_text(fast_render(small_template, context)) == document_text(
        plain_render(small_template, context)
    )


def column_loop_template(folder: Path, *, merged_row: bool = False) -> Path:
    """A table of three grid columns whose first row's cells come from a `{%tc for %}` loop
    over the children: two children make the row narrower than the grid, six make it wider.
    With `merged_row`, a second row has two of its three cells merged (a gridSpan of 2)."""
    document = docx.Document()
    table = document.add_table(rows=2 if merged_row else 1, cols=3)
    cells = table.rows[0].cells
    cells[0].paragraphs[0].add_run("{%tc for child in children %}")
    cells[1].paragraphs[0].add_run("{{ child.name }}")
    cells[2].paragraphs[0].add_run("{%tc endfor %}")
    if merged_row:
        table.cell(1, 0).merge(table.cell(1, 1)).paragraphs[0].add_run("{{ case_reference }}")
    path = folder / "columns.docx"
    document.save(path)
    return path


@pytest.mark.parametrize("merged_row", [False, True], ids=["plain", "merged-row"])
@pytest.mark.parametrize("case", ["example", "large"], ids=["narrower", "wider"])
def test_a_column_loop_gets_docxtpls_grid_fix_on_the_fast_path(
    case: str, merged_row: bool, contexts: dict[str, dict[str, object]], tmp_path: Path
) -> None:
    """Where a `{%tc %}` loop changes a table's width, the grid is fixed as docxtpl fixes it."""
    template = column_loop_template(tmp_path, merged_row=merged_row)
    context = contexts[case]
    fast = fast_render(template, context)
    assert part_blobs(fast) == part_blobs(plain_render(template, context))
    grid = docx.Document(io.BytesIO(fast)).tables[0]._tbl.tblGrid.findall(f"{{{W_NS}}}gridCol")
    children = len(context["children"])  # type: ignore[arg-type]
    assert len(grid) == (max(children, 3) if merged_row else children)


def test_a_merged_cell_in_a_table_as_wide_as_its_grid_needs_no_fix(tmp_path: Path) -> None:
    """Cells counted with their gridSpan: a row of a 2-wide and a 1-wide cell fills 3 columns."""
    document = docx.Document()
    table = document.add_table(rows=1, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1))
    path = tmp_path / "merged.docx"
    document.save(path)
    body = etree.fromstring(docx.Document(path).element.body.xml)
    assert not _docxtpl_compiled.grids_need_fixing(body)
    grid = table._tbl.tblGrid
    grid.append(copy.deepcopy(grid[0]))  # the grid now has a column no row fills
    assert _docxtpl_compiled.grids_need_fixing(etree.fromstring(document.element.body.xml))


def test_a_template_cannot_change_a_list_it_is_given(
    contexts: dict[str, dict[str, object]], tmp_path: Path
) -> None:
    """A template calling a list's method (`children.clear()`) is refused by the sandbox, so no
    template can change what the next document of the same case gets."""
    greedy = docx.Document()
    greedy.add_paragraph("{% set _ = children.clear() %}{{ children | length }}")
    greedy_path = tmp_path / "greedy.docx"
    greedy.save(greedy_path)
    counting = docx.Document()
    counting.add_paragraph("{{ children | length }} children")
    counting_path = tmp_path / "counting.docx"
    counting.save(counting_path)
    with pytest.raises(TemplateError, match="may not do"):
        render.render_documents([greedy_path, counting_path], contexts["large"])
    (second,) = render.render_documents([counting_path], contexts["large"])
    assert document_text(second.data)[0] == "6 children"


# ---- the cache follows the file


def test_an_edited_template_is_picked_up_even_with_the_same_size_and_time(tmp_path: Path) -> None:
    """Rewriting a template in place, same length and same modification time, is noticed."""
    template = tmp_path / "edited.docx"
    for words in ("Before {{ x }}", "Latter {{ x }}"):
        document = docx.Document()
        document.add_paragraph(words)
        document.save(template)
        if words.startswith("Before"):
            first_stat = template.stat()
            first = document_text(fast_render(template, {"x": "1"}))
    os.utime(template, ns=(first_stat.st_atime_ns, first_stat.st_mtime_ns))
    assert template.stat().st_size == first_stat.st_size
    assert "Before 1" in first
    assert "Latter 1" in document_text(fast_render(template, {"x": "1"}))


def test_a_template_removed_after_use_is_a_template_error(tmp_path: Path) -> None:
    """The cache never stands in for a template that is no longer there."""
    template = tmp_path / "gone.docx"
    document = docx.Document()
    document.add_paragraph("{{ x }}")
    document.save(template)
    fast_render(template, {"x": "1"})
    template.unlink()
    with pytest.raises(render.TemplateError, match="does not exist"):
        fast_render(template, {"x": "1"})


def test_a_broken_template_is_an_error_every_time(tmp_path: Path) -> None:
    """A template whose tags do not compile is refused on each render, not cached as good."""
    template = tmp_path / "broken.docx"
    document = docx.Document()
    document.add_paragraph("{% for d in danger_statements %}")
    document.save(template)
    for _ in range(2):
        with pytest.raises(render.TemplateError, match="has a mistake in its tags"):
            fast_render(template, {"danger_statements": []})


# ---- footnotes are rendered once


def test_footnotes_of_a_two_section_template_print_cell_text_as_typed(tmp_path: Path) -> None:
    """docxtpl renders footnotes once per section; here once, so `{{ 7*7 }}` stays text."""
    document = docx.Document()
    document.add_paragraph("{{ x }}")
    document.add_section()
    footnotes = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:footnotes xmlns:w="{W_NS}">'
        '<w:footnote w:id="1"><w:p><w:r><w:t>{{ x }}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    ).encode()
    part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, footnotes, document.part.package)
    document.part.relate_to(part, RT.FOOTNOTES)
    template = tmp_path / "footnotes.docx"
    document.save(template)
    text = document_text(fast_render(template, {"x": "{{ 7*7 }}"}))
    assert text[0] == "{{ 7*7 }}"
    assert "{{ 7*7 }}</w:t>" in text[-3]
    assert "49" not in text[-3]


# ---- the reader: openpyxl's cell parser alone against its full load


def both_reads(path: Path) -> tuple[RawWorkbook | str, RawWorkbook | str]:
    """The workbook read by the fast path and by openpyxl's full load (or each one's error)."""
    results: list[RawWorkbook | str] = []
    for fast in (True, False):
        try:
            results.append(reader._read_workbook(path, DEFAULT_LIMITS, fast=fast))
        except WorkbookError as exc:
            results.append(f"WorkbookError: {exc}")
    return results[0], results[1]


def takes_fast_path(path: Path) -> bool:
    """True when the fast path reads the workbook itself rather than handing it to openpyxl."""
    data = path.read_bytes()
    scan = reader._scan_worksheet_parts(data, path.name, DEFAULT_LIMITS)
    budget = TextBudget(path.name, DEFAULT_LIMITS)
    with zipfile.ZipFile(path) as archive:
        return reader._fast_sheets(archive, scan, budget) is not None


def odd_cells(path: Path) -> Path:
    """A sheet of cells written the way other programs write them: no references, comments,
    rich text, phonetic guides, errors, ISO dates, booleans, a merge, a row numbered "7.0"."""
    book = WorkbookBuilder().write(path)
    data = (
        '<row r="2"><c t="inlineStr"><is><t>no ref</t></is></c><!-- a comment -->'
        '<c t="inlineStr"><is><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r></is></c>'
        '<c t="inlineStr"><is><t>base</t><rPh sb="0" eb="1"><t>ruby</t></rPh></is></c>'
        '<c r="E2" t="e"><v>#N/A</v></c><c r="F2" t="d"><v>2026-11-27T10:30:00</v></c>'
        '<c r="G2" t="b"><v>1</v></c><c r="H2" t="str"><v> spaced </v></c>'
        '<c r="I2" t="inlineStr"><is><t xml:space="preserve">  lead</t></is></c></row>'
        '<row><c t="n"><v>4.0</v></c><c r="C3"><v>12345678901234567890</v></c>'
        '<c r="D3" t="inlineStr"><is/></c><c r="E3" t="inlineStr"><is><t/></is></c></row>'
        '<row r="7.0"><c><v>7</v></c><c t="inlineStr"><is><t>merged away</t></is></c></row>'
    )
    return corpus.patch_text(
        book,
        corpus.sheet_part(book, "Grey areas"),
        lambda xml: re.sub(
            r"<row r=\"2\".*</sheetData>", data + "</sheetData>", xml, flags=re.S
        ).replace(
            "</sheetData>",
            '</sheetData><mergeCells count="1"><mergeCell ref="A7:B7"/></mergeCells>',
            1,
        ),
    )


def with_picture(path: Path) -> Path:
    """The example with a picture over the first Words and pictures row."""
    picture = path.with_suffix(".png")
    Image.new("RGB", (40, 30), (200, 80, 40)).save(picture)

    def place(book: Workbook) -> None:
        book["Words and pictures"].add_image(SheetImage(str(picture)), "D2")

    return WorkbookBuilder().then(place).write(path)


def plain_example(path: Path) -> Path:
    """The example workbook `new-workbook --example` writes, without its story's pictures
    ("picture" and tests/workbook/test_read_equivalence.py cover pictures)."""
    write_example_workbook(path)
    book = load_workbook(path)
    for sheet in book.worksheets:
        sheet._images = []  # openpyxl keeps a sheet's pictures here
    book.save(path)
    return path


READER_CASES = {
    "builder-example": lambda path: WorkbookBuilder().write(path),
    "blank-example": plain_example,
    "excel-style-strings": lambda path: excel_style(plain_example(path), path),
    "large": lambda path: large_book().write(path),
    "title-rows-merged": lambda path: WorkbookBuilder().with_title_rows("Harm", 2).write(path),
    "odd-cells": odd_cells,
    "picture": with_picture,
    "dates-1904": lambda path: WorkbookBuilder().then(_epoch_1904).write(path),
    "no-cell-references": lambda path: without_references(plain_example(path)),
}


def without_references(path: Path) -> Path:
    """The workbook with every row and cell `r` reference removed, as some tools write sheets:
    positions then come from counting, which empty formatted rows must not upset."""
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    strip = re.compile(rb'(<(?:row|c)\b[^>]*?) r="[A-Z]*[0-9]+"')
    return corpus.rewrite_zip(
        path, path, replace={name: lambda xml: strip.sub(rb"\1", xml) for name in sheets}
    )


def _epoch_1904(book: Workbook) -> None:
    book.epoch = dt.datetime(1904, 1, 1)


@pytest.mark.parametrize("parsing", ["whole", "streamed"])
@pytest.mark.parametrize("name", READER_CASES)
def test_fast_read_equals_openpyxls_full_load(
    name: str, parsing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every sheet, cell value (and its type), bound and picture is what openpyxl's load gives,
    with the parts parsed whole (small ones) or as a stream (large ones)."""
    if parsing == "streamed":
        monkeypatch.setattr(_openpyxl_cells, "WHOLE_PART_BYTES", 16)
    path = READER_CASES[name](tmp_path / f"{name}.xlsx")
    assert takes_fast_path(path)
    fast, plain = both_reads(path)
    assert isinstance(plain, RawWorkbook), plain
    assert fast == plain
    for fast_sheet, plain_sheet in zip(fast.sheets, plain.sheets, strict=True):
        assert [type(v) for v in fast_sheet.cells.values()] == [
            type(v) for v in plain_sheet.cells.values()
        ]


def test_the_odd_cells_are_really_read(tmp_path: Path) -> None:
    """The odd forms above are read, so the comparison is not between two empty sheets."""
    fast = read_workbook(odd_cells(tmp_path / "odd.xlsx"))
    grey = next(s for s in fast.sheets if s.title == "Grey areas")
    assert grey.cells[(2, 1)] == "no ref"
    assert grey.cells[(2, 2)] == "rich text"
    assert grey.cells[(3, 1)] == 4.0 and isinstance(grey.cells[(3, 1)], float)
    assert grey.cells[(7, 1)] == 7 and (7, 2) not in grey.cells


# ---- sheets not in the shape Excel writes: openpyxl's load decides, and both paths agree

LEO_SAYS_NO = re.compile(r'<c r="H3"[^>]*t="inlineStr"><is><t>No</t></is></c>')


_PLAIN_EXAMPLE: list[bytes] = []  # written once, by the first case (about 0.5 s each)


def _plain_example_bytes(folder: Path) -> bytes:
    """The plain example workbook's bytes, written into `folder` by the first case to ask."""
    if not _PLAIN_EXAMPLE:
        _PLAIN_EXAMPLE.append(plain_example(folder / "plain-example.xlsx").read_bytes())
    return _PLAIN_EXAMPLE[0]


def in_childs_views(change: Callable[[str], str]) -> Callable[[Path], Path]:
    """A case: the example workbook with its Child's views sheet's XML changed."""

    def make(path: Path) -> Path:
        path.write_bytes(_plain_example_bytes(path.parent))
        book = path
        part = corpus.sheet_part(book, "Child's views")

        def changed(xml: str) -> str:
            new = change(xml)
            assert new != xml, "the change found nothing to change"
            return new

        return corpus.patch_text(book, part, changed)

    return make


def after_leos_consent(element: str) -> Callable[[Path], Path]:
    """Leo's "No" to sharing his words (H3), with an element put just after it in row 3."""
    return in_childs_views(lambda xml: LEO_SAYS_NO.sub(lambda m: m.group(0) + element, xml, 1))


def at_row_3(attributes: str) -> Callable[[Path], Path]:
    """Row 3 of Child's views (Leo's) with these attributes added."""
    return in_childs_views(lambda xml: xml.replace('<row r="3"', f'<row r="3" {attributes}', 1))


UNUSUAL_SHEETS = {
    # openpyxl's parser reads and then empties these wherever they are: an empty cell to it.
    "sheet views in a row": after_leos_consent(
        '<customSheetViews r="H3" t="inlineStr"><is><t>Yes</t></is></customSheetViews>'
    ),
    "merged ranges in a row": after_leos_consent(
        '<mergeCells count="1"><mergeCell ref="A3:H3"/></mergeCells>'
    ),
    "a column width in a row": after_leos_consent('<col min="8" max="8" hidden="1"/>'),
    "a second value in a cell": in_childs_views(
        lambda xml: LEO_SAYS_NO.sub(
            lambda m: m.group(0).replace("</is></c>", "</is><x:v xmlns:x='urn:x'>1</x:v></c>"),
            xml,
            1,
        )
    ),
    "a column outside the columns": in_childs_views(
        lambda xml: xml.replace("<sheetData>", '<sheetData><col min="8" max="8" hidden="1"/>', 1)
    ),
    "a column inside an extension of the columns": in_childs_views(
        lambda xml: xml.replace(
            "</cols>", '<extLst><col min="8" max="8" hidden="1"/></extLst></cols>', 1
        )
    ),
    "a row style that is no style": at_row_3('s="999" customFormat="1"'),
    # openpyxl's load gives an empty cell a link's place as its value (found by a second
    # attacker review: Mia's empty "Withhold from" became "Family" on one path only).
    "a link on an empty cell": in_childs_views(
        lambda xml: xml.replace(
            "</sheetData>",
            '</sheetData><hyperlinks><hyperlink ref="I2" location="Family"/></hyperlinks>',
            1,
        )
    ),
}
# Cases whose element changes what openpyxl's load makes of H3: merged away, its column
# hidden, or the file refused.
H3_NOT_READ = {
    "merged ranges in a row",
    "a column width in a row",
    "a column outside the columns",
    "a column inside an extension of the columns",
    "a row style that is no style",
}


@pytest.mark.parametrize("parsing", ["whole", "streamed"])
@pytest.mark.parametrize("name", UNUSUAL_SHEETS)
def test_a_sheet_excel_would_not_write_is_read_by_openpyxls_load(
    name: str, parsing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An element where Excel puts none (found by an attacker review: a "Yes" inside sheet
    views put in Leo's row was read as his consent) leaves the reading to openpyxl's load."""
    if parsing == "streamed":
        monkeypatch.setattr(_openpyxl_cells, "WHOLE_PART_BYTES", 16)
    path = UNUSUAL_SHEETS[name](tmp_path / "unusual.xlsx")
    assert not takes_fast_path(path)
    fast, plain = both_reads(path)
    assert fast == plain
    if name not in H3_NOT_READ:
        assert isinstance(plain, RawWorkbook), plain
        views = next(s for s in plain.sheets if s.title == "Child's views")
        assert views.cells[(3, 8)] == "No"  # Leo's consent, as openpyxl's load reads it


def childs_views_read_alike(path: Path) -> SheetValues:
    """The Child's views sheet as the fast path reads it, which must be what the load reads."""
    assert takes_fast_path(path)
    fast, plain = both_reads(path)
    assert fast == plain
    scan = reader._scan_worksheet_parts(path.read_bytes(), path.name, DEFAULT_LIMITS)
    with zipfile.ZipFile(path) as archive:
        sheets = reader._fast_sheets(archive, scan, TextBudget(path.name, DEFAULT_LIMITS))
    assert sheets is not None
    return next(s for s in sheets if s.title == "Child's views")


HIDING_ROWS = {
    "a hidden empty row before the row": in_childs_views(
        lambda xml: xml.replace('<row r="3"', '<row r="3" hidden="1"/><row r="3"', 1)
    ),
    "a hidden empty row after the row": in_childs_views(
        lambda xml: xml.replace('<row r="4"', '<row r="3" hidden="1"/><row r="4"', 1)
    ),
    "a height of 0 (openpyxl's other name for ht)": at_row_3('height="0"'),
    "visible empty": at_row_3('visible=""'),
}
SHOWING_ROWS = {
    "hidden but visible": at_row_3('hidden="1" visible="1"'),
    "a height of 0 under another namespace": at_row_3('x:height="0" xmlns:x="urn:x"'),
}


@pytest.mark.parametrize("parsing", ["whole", "streamed"])
@pytest.mark.parametrize("name", [*HIDING_ROWS, *SHOWING_ROWS])
def test_hidden_rows_are_read_as_openpyxls_row_dimensions_read_them(
    name: str, parsing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every way openpyxl's RowDimension hides a row (aliases, a repeated row number) hides it
    on the fast path too, and no other way does (found by an attacker review)."""
    if parsing == "streamed":
        monkeypatch.setattr(_openpyxl_cells, "WHOLE_PART_BYTES", 16)
    path = {**HIDING_ROWS, **SHOWING_ROWS}[name](tmp_path / "rows.xlsx")
    views = childs_views_read_alike(path)
    assert (3 in views.hidden_rows) == (name in HIDING_ROWS)


HIDING_COLUMNS = {'visible=""': True, 'hidden="1"': True, 'width="0"': True}
SHOWING_COLUMNS = {'visible="0"': False, 'hidden="0"': False, 'hidden="false"': False}


@pytest.mark.parametrize("attribute", [*HIDING_COLUMNS, *SHOWING_COLUMNS])
def test_hidden_columns_are_read_as_openpyxls_column_dimensions_read_them(
    attribute: str, tmp_path: Path
) -> None:
    """A column hidden by any attribute openpyxl's ColumnDimension reads hides it on the fast
    path too, and no other (`visible` was not read: found by an attacker review). openpyxl
    reads `visible="0"` as a text, so as true: shown by both paths."""
    name = attribute.partition("=")[0]

    def change(xml: str) -> str:
        column = re.search(r'<col [^>]*min="5" max="5"[^>]*/>', xml)
        assert column is not None
        old = column.group(0)
        new = re.sub(rf' {name}="[^"]*"', "", old).replace("/>", f" {attribute}/>")
        return xml.replace(old, new, 1)

    path = in_childs_views(change)(tmp_path / "columns.xlsx")
    views = childs_views_read_alike(path)
    hidden = any(first <= 5 <= last for first, last in views.hidden_columns)
    assert hidden == {**HIDING_COLUMNS, **SHOWING_COLUMNS}[attribute]


@pytest.fixture(scope="module")
def adversarial_inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The adversarial corpus of hostile, damaged and odd workbooks (tests/support/adversarial.py)."""
    out = tmp_path_factory.mktemp("adversarial")
    build_corpus(out)
    return out / "inbox"


def test_fast_read_judges_every_adversarial_file_as_the_full_load_does(
    adversarial_inbox: Path,
) -> None:
    """For each hostile, damaged or odd file: the same sheets, or the same plain refusal."""
    # The 100,000-row file takes seconds by either path; test_reader covers its refusal.
    names = sorted(p.name for p in adversarial_inbox.iterdir() if p.name != "100000-rows.xlsx")
    assert len(names) > 50
    for name in names:
        fast, plain = both_reads(adversarial_inbox / name)
        assert fast == plain, name


CELL_VALUES = st.one_of(
    st.text(max_size=40).filter(lambda text: not ILLEGAL_CHARACTERS_RE.search(text)),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2199, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2199, 12, 31)),
    st.times(),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(CELL_VALUES, min_size=1, max_size=12))
def test_any_cell_values_read_the_same_on_both_paths(values: list[object], tmp_path: Path) -> None:
    """Open-ended cell values, on rows with gaps, come back the same by both paths."""
    book = WorkbookBuilder()

    def write(workbook: Workbook) -> None:
        sheet = workbook["Grey areas"]
        for n, value in enumerate(values):
            sheet.cell(2 + 3 * n, 1 + n % 4, value)

    path = book.then(write).write(tmp_path / "values.xlsx")
    fast, plain = both_reads(path)
    assert fast == plain


# ---- the watcher hears of a new workbook at once


def test_the_watcher_pairs_renames_for_milliseconds_not_half_a_second() -> None:
    """watchdog's pairing delay, which held every event behind a claim, is cut to 20 ms."""
    from watchdog.observers.inotify_move_event_grouper import InotifyMoveEventGrouper

    from sos_docs.service import observers

    observers.shorten_move_pairing()
    assert InotifyMoveEventGrouper.delay <= observers.MOVE_PAIRING_SECONDS


# ---- validate starts without the document libraries


def test_validate_never_loads_the_document_or_watching_libraries(tmp_path: Path) -> None:
    """`sos-docs validate` imports neither docxtpl, python-docx, Jinja nor watchdog."""
    path = WorkbookBuilder().write(tmp_path / "case.xlsx")
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['sos-docs', 'validate', {str(path)!r}]\n"
        "try:\n"
        "    runpy.run_module('sos_docs', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    assert stop.code == 0, stop.code\n"
        "print(sorted(m for m in ('docxtpl', 'docx', 'jinja2', 'watchdog') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout


# ---- finding paragraphs as docxtpl's regular expression finds them

DOCXTPL_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)
XML_PIECES = (
    "<w:p>",
    '<w:p w:rsidR="1">',
    "</w:p>",
    "<w:pPr>",
    "<w:p/>",
    "<w:p",
    " ",
    ">",
    "x",
    "\n",
    "\t",
)


def paragraph_spans(xml: str) -> list[tuple[int, int]]:
    """Every paragraph span _docxtpl_compiled._next_paragraph finds, from the start."""
    spans, position = [], 0
    while (span := _docxtpl_compiled._next_paragraph(xml, position)) is not None:
        spans.append(span)
        position = span[1]
    return spans


@settings(max_examples=300, deadline=None)
@given(xml=st.lists(st.sampled_from(XML_PIECES), max_size=30).map("".join))
def test_paragraphs_are_found_exactly_where_docxtpls_expression_finds_them(xml: str) -> None:
    """The string search finds the same paragraphs as docxtpl's regular expression."""
    assert paragraph_spans(xml) == [m.span() for m in DOCXTPL_PARAGRAPH.finditer(xml)]


@settings(max_examples=300, deadline=None)
@given(xml=st.lists(st.sampled_from(XML_PIECES), max_size=30).map("".join))
def test_only_paragraphs_with_a_tab_or_line_break_are_rewritten(xml: str) -> None:
    """The paragraphs picked for resolve_listing are exactly docxtpl's that hold one."""
    expected = [m.span() for m in DOCXTPL_PARAGRAPH.finditer(xml) if re.search("[\t\a\n\f]", m[0])]
    assert list(_docxtpl_compiled._paragraphs_with_listings(xml)) == expected


# ---- the fast path's own cell forms against openpyxl's parse_cell, and the scan's one regex

CELL_REFERENCES = st.sampled_from(
    ["", "A1", "B7", "AA10", "XFD3", "a2", "A0", "1A", "A", "$A$1", "A" + "0" * 11 + "2", "B1" * 6]
)
CELL_STYLES = st.sampled_from(["", "0", "1", "2", "-1", "x", " 1"])
CELL_TYPES = st.sampled_from(["", "n", "s", "inlineStr", "str", "b", "e", "d"])
CELL_CHILDREN = st.sampled_from(
    [
        "",
        "<v>0</v>",
        "<v>1</v>",
        "<v>-1</v>",
        "<v>9</v>",
        "<v/>",
        "<v>x</v>",
        "<v>2.5</v>",
        "<is><t>plain</t></is>",
        "<is><t/></is>",
        "<is/>",
        '<is><t xml:space="preserve"> lead</t></is>',
        "<is><r><t>rich</t></r><r><t> text</t></r></is>",
        '<is><t>base</t><rPh sb="0" eb="1"><t>ruby</t></rPh></is>',
        "<f>A1</f><v>3</v>",
        "<v>1</v><is><t>both</t></is>",
        "<is><t>first</t></is><is><t>second</t></is>",
        '<x:v xmlns:x="urn:other">1</x:v>',
    ]
)


@st.composite
def cell_rows(draw: st.DrawFn) -> str:
    """A <row> of cells in any of the forms the fast path reads itself or hands to openpyxl."""
    cells = []
    for _ in range(draw(st.integers(1, 5))):
        attributes = ""
        for name, values in (("r", CELL_REFERENCES), ("s", CELL_STYLES), ("t", CELL_TYPES)):
            value = draw(values)
            if value or draw(st.booleans()):
                attributes += f' {name}="{value}"'
        cells.append(f"<c{attributes}>{draw(CELL_CHILDREN)}</c>")
    return f'<row xmlns="{SHEET_MAIN_NS}" r="{draw(st.integers(1, 9))}">{"".join(cells)}</row>'


def parsed_row(parser_class: type, row_xml: str) -> object:
    """The cells a parser gives for a row (data_only, dates in formats 1 and 2), or its error."""
    strings = ["zero", "one", "two"]
    parser = parser_class(None, strings, data_only=True, date_formats={2}, timedelta_formats=set())
    row = etree.fromstring(row_xml.encode())
    try:
        return parser.parse_row(row)
    except _openpyxl_cells.UnusualSheet:  # not as Excel writes it: openpyxl's load decides
        return "unusual"
    except reader.LOAD_ERRORS:  # the fast path then falls back to openpyxl's load
        return "error"
    except Exception as error:  # would escape the reader: must not differ
        return repr(error)


@settings(max_examples=300, deadline=None)
@given(row_xml=cell_rows())
def test_the_cells_read_directly_are_what_openpyxls_parse_cell_gives(row_xml: str) -> None:
    """Empty cells, plain inline strings and lone shared strings, read without openpyxl's
    parse_cell, give its positions, values, types and style ids, or fail where it fails."""
    ours = parsed_row(_openpyxl_cells.SheetParser, row_xml)
    openpyxls = parsed_row(WorkSheetParser, row_xml)
    if ours == "unusual":  # only for what Excel never puts in a cell
        assert not written_as_excel_writes(row_xml), row_xml
    else:
        assert ours == openpyxls, row_xml


def written_as_excel_writes(row_xml: str) -> bool:
    """Every child of the row a cell, and every child of a cell a formula, value or text."""
    row = etree.fromstring(row_xml.encode())
    cell_children = {f"{{{SHEET_MAIN_NS}}}{name}" for name in ("f", "v", "is")}
    return all(
        cell.tag == f"{{{SHEET_MAIN_NS}}}c" and all(child.tag in cell_children for child in cell)
        for cell in row
    )


# The cells of a form: empty ones (with or without a reference) among values.
FORM_CELLS = st.sampled_from(
    ['<c r="A1" s="1"/>', '<c r="C1" s="2" t="n"></c>', '<c s="1"/>', "<c/>", '<c r="B1"/>',
     '<c r="D1" s="1" t="inlineStr"><is><t>text</t></is></c>', '<c s="2"><v>3</v></c>',
     '<c t="s"><v>1</v></c>', '<c r="E1" s="0"/>']
)  # fmt: skip
ROW_NUMBERS = st.sampled_from([None, "1", "7", "12", "7.0", "0", "", "x", "-3", "\u0663"])
ROW_ATTRIBUTES = st.sampled_from(
    ["", ' spans="1:3"', ' ht="15" customHeight="1"', ' hidden="1"', ' ht="0"', ' s="2"',
     ' x:ht="0" xmlns:x="urn:other"', ' spans="1:3" hidden="0"']
)  # fmt: skip


@st.composite
def any_rows(draw: st.DrawFn) -> list[str]:
    """A few <row>s, numbered or not, formatted or not, empty or with cells of any form."""
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        cells = ""  # or a formatted empty row, as a blank form has hundreds of
        if draw(st.booleans()):  # cells of every form, or mostly valid ones
            cells = draw(cell_rows()).partition(">")[2].rpartition("<")[0]
        elif draw(st.booleans()):
            cells = "".join(draw(st.lists(FORM_CELLS, min_size=1, max_size=6)))
        number = draw(ROW_NUMBERS)
        attributes = ("" if number is None else f' r="{number}"') + draw(ROW_ATTRIBUTES)
        rows.append(f'<row xmlns="{SHEET_MAIN_NS}"{attributes}>{cells}</row>')
    return rows


def rows_read(read: str, rows_xml: list[str]) -> object:
    """What a parser's row method gives for rows in turn, as (coordinate, value, style id), with
    the counters and row dimensions it leaves; or "error" where the reader falls back."""
    parser = _openpyxl_cells.SheetParser(
        None, ["zero", "one", "two"], data_only=True, date_formats={2}, timedelta_formats=set()
    )
    found = []
    try:
        for row_xml in rows_xml:
            row = etree.fromstring(row_xml.encode())
            if read == "row_cells":
                found.append(parser.row_cells(row))
            else:  # the reader's way before row_cells: openpyxl's, but for an empty row
                cells = parser.parse_row(row)[1]
                found.append([((c["row"], c["column"]), c["value"], c["style_id"]) for c in cells])
    except reader.LOAD_ERRORS:
        return "error"
    except Exception as error:  # would escape the reader: must not differ
        return repr(error)
    return found, parser.row_counter, parser.col_counter, parser.row_dimensions


@settings(max_examples=400, deadline=None)
@given(rows_xml=any_rows())
def test_row_cells_gives_what_parse_row_gives(rows_xml: list[str]) -> None:
    """Rows read by row_cells (empty cells inline) give parse_row's cells, counters and row
    dimensions, or fail where it fails (parse_row is openpyxl's for every row with cells)."""
    assert rows_read("row_cells", rows_xml) == rows_read("parse_row", rows_xml), rows_xml


TAG_TEXT = st.text(alphabet="<>/: \t\ncfx_.-1", max_size=60)


@given(text=TAG_TEXT)
def test_one_pass_finds_the_cell_and_formula_tags_two_patterns_found(text: str) -> None:
    """The scan's single pattern counts exactly the <c> tags, and finds a <f> exactly when,
    the two patterns it replaced did."""
    data = text.encode()
    tags = reader.CELL_OR_FORMULA_TAG_RE.findall(data)
    assert tags.count(b"c") == len(re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]", data))
    assert (b"f" in tags) == (re.search(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]", data) is not None)
