"""Accessible documents: every document of every scenario passes sos_docs.documents.accessibility,
each check finds what it is for in a small crafted .docx, and the PDF copies are tagged.

The scenarios (tests/support/scenarios.py) are given a picture on a story page and on a safety
rule, and the folder a logo, so every kind of picture a document can carry is checked.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.document import Document
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from sos_docs.cli import cli
from sos_docs.config import Config
from sos_docs.documents._docxtpl_compiled import PROPERTY_MAX_CHARS, plain_property
from sos_docs.documents.accessibility import CHECKS, Finding, check_docx
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.documents.pdf import PdfConverter
from sos_docs.documents.render import check_template_accessibility, render_document
from sos_docs.errors import TemplateError
from sos_docs.model import MappingCase
from sos_docs.pipeline import ProcessResult, earlier_files, process_workbook
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.office import needs_libreoffice
from tests.support.scenarios import SCENARIOS

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
TODAY = dt.date(2026, 3, 2)
AUTHORITY = "Brighton & Hove City Council"
EARLIER = {"example-review": "example-initial"}  # a review and the workbook it looks back on


# ---- every document of every scenario


def _with_pictures(book: WorkbookBuilder) -> WorkbookBuilder:
    """The scenario with a picture on its first story page and its first safety rule."""
    for sheet in ("Words and pictures", "Safety plan"):
        if book.tables.get(sheet):
            book.with_picture(sheet, 0)
    return book


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ProcessResult]:
    """Every scenario processed with pictures and a logo, the review after its initial."""
    folder = tmp_path_factory.mktemp("scenarios")
    logo = folder / "logo.png"
    Image.new("RGB", (60, 30), (30, 60, 120)).save(logo)
    config = Config(logo=logo, local_authority=AUTHORITY)
    results: dict[str, ProcessResult] = {}
    workbooks: dict[str, Path] = {}
    for name, scenario in SCENARIOS.items():
        workbook = _with_pictures(scenario(TODAY)).write(folder / name / f"{name}.xlsx")
        workbooks[name] = workbook
        earlier = [workbooks[EARLIER[name]]] if name in EARLIER else []
        results[name] = process_workbook(
            workbook, folder / name, config, today=TODAY, earlier=earlier_files(earlier)
        )
        assert results[name].ok, results[name].validation.problems
    return results


def _documents(made: dict[str, ProcessResult]) -> Iterator[Path]:
    for result in made.values():
        yield from result.documents


def test_every_scenario_makes_each_kind_of_document_with_pictures(
    made: dict[str, ProcessResult],
) -> None:
    """The scenarios between them make reports, records, family copies and stories, with pictures."""
    names = [path.name for path in _documents(made)]
    for kind in ("Conference report", "meeting record", "(family copy)", "Words and pictures"):
        assert any(kind in name for name in names), kind
    story_pictures = [
        properties
        for path in _documents(made)
        if "Words and pictures" in path.name
        for properties in _picture_properties(path)
    ]
    assert story_pictures


def test_every_document_of_every_scenario_passes_every_check(
    made: dict[str, ProcessResult],
) -> None:
    """No document made from a scenario has a single accessibility finding."""
    found = {path.name: check_docx(path.read_bytes(), path.name) for path in _documents(made)}
    assert found and all(findings == [] for findings in found.values()), found


def _picture_properties(path: Path) -> list[etree._Element]:
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    return list(root.iter(f"{{{WP}}}docPr"))


def test_every_picture_is_named_for_what_it_is_and_described(
    made: dict[str, ProcessResult],
) -> None:
    """No picture is "Picture 1": the logo names the authority, the scale and chart say each
    score, and a story picture is named after its page."""
    for result in made.values():
        authority = _case(result).details.local_authority or AUTHORITY
        for path in result.documents:
            _check_pictures(path, authority)


def _check_pictures(path: Path, authority: str) -> None:
    pictures = {p.get("name"): p.get("descr") for p in _picture_properties(path)}
    assert all(name and not re.fullmatch(r"Picture \d+", name) for name in pictures), pictures
    assert all(description for description in pictures.values()), pictures
    if "Words and pictures" in path.name:
        assert any(name.startswith("Picture for ") for name in pictures), pictures
    else:  # the story has no logo: it is the child's, not a letter from the council
        assert pictures.get("Logo") == f"Logo of {authority}"
        scale = pictures["Scale picture"]
        assert scale.startswith("A scale from 0 (") and ": " in scale


def _case(result: ProcessResult) -> MappingCase:
    assert result.validation.case is not None
    return result.validation.case


def test_the_review_chart_gives_each_persons_scores_in_words(
    made: dict[str, ProcessResult],
) -> None:
    """The review's chart of scores over time says, for each person on the scale (by the same
    name), how their score went, after the conferences' span."""
    report = next(p for p in made["example-review"].documents if "professional" in p.name)
    described = {p.get("name"): str(p.get("descr")) for p in _picture_properties(report)}
    chart = described["Chart of the scores at each conference"]
    assert re.match(r"Scores from \d+ \w{3} \d{4} to \d+ \w{3} \d{4}: ", chart)
    placed = described["Scale picture"].split(". ", 1)[1].rstrip(".").split("; ")
    for name in (point.rsplit(": ", 1)[0] for point in placed):
        name = name.replace(" (", " (about ")  # the chart says whom a score is about in full
        assert re.search(rf"(: |; ){re.escape(name)} \d", chart), name


def test_properties_give_title_subject_author_and_language_from_the_case(
    made: dict[str, ProcessResult],
) -> None:
    """Title as on the first page, subject the case reference, author the report's author,
    language en-GB; the template's own note does not reach a document."""
    for result in made.values():
        details = _case(result).details
        for path in result.documents:
            properties = docx.Document(str(path)).core_properties
            assert properties.subject == details.case_reference
            assert properties.author == details.report_author.name
            assert properties.language == "en-GB"
            assert properties.comments == ""
            assert properties.title


def test_a_reports_title_is_its_meeting_types(made: dict[str, ProcessResult]) -> None:
    """The review's report is titled "Report to the review child protection conference", with
    which copy it is."""
    report = next(p for p in made["example-review"].documents if "professional" in p.name)
    title = docx.Document(str(report)).core_properties.title
    assert title == "Report to the review child protection conference (professional copy)"


def test_document_properties_hold_the_cases_words_as_typed(example_case: MappingCase) -> None:
    """An apostrophe or ampersand in a title or author is itself in the properties, not an
    XML escape such as &#39; or &amp;amp;."""
    author = replace(example_case.details.report_author, name="Siobhán O'Neil & Co")
    case = replace(example_case, details=replace(example_case.details, report_author=author))
    context = build_context(case, DocumentSettings(report_date=EXAMPLE_TODAY))
    story = render_document(TEMPLATES / "words_and_pictures.docx", context)
    properties = docx.Document(io.BytesIO(story.data)).core_properties
    assert properties.title == context["story_title"]
    assert "'" in properties.title
    assert properties.author == "Siobhán O'Neil & Co"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.docx")), ids=lambda p: p.name)
def test_every_shipped_template_passes_every_check(template: Path) -> None:
    """The shipped templates themselves (what a council starts from) have no finding."""
    assert check_docx(template.read_bytes(), template.name) == []


# ---- each check on a small crafted document

PNG = io.BytesIO()
Image.new("RGB", (8, 8), (0, 0, 0)).save(PNG, format="PNG")


def _good() -> Document:
    """A small document that passes every check: titled, in en-GB, headings 1-2-1, a described
    picture and a table with a header row."""
    document = docx.Document()
    document.core_properties.title = "A report"
    document.core_properties.language = "en-GB"
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "en-GB")
    defaults.find(qn("w:rPr")).append(language)
    document.add_heading("Worries", 1)
    document.add_heading("Harm", 2)
    document.add_heading("Strengths", 1)
    document.add_picture(io.BytesIO(PNG.getvalue()))
    document.inline_shapes[0]._inline.docPr.set("descr", "A drawing of the house")
    table = document.add_table(rows=2, cols=2)
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    table.cell(0, 0).text = "Step"
    return document


def _checked(document: Document) -> list[Finding]:
    out = io.BytesIO()
    document.save(out)
    return check_docx(out.getvalue(), "crafted.docx")


def _checks(document: Document) -> list[str]:
    return [finding.check for finding in _checked(document)]


def test_the_good_crafted_document_has_no_finding() -> None:
    """The crafted document each failing case starts from passes every check."""
    assert _checked(_good()) == []


def _skip_to_heading_3(document: Document) -> None:
    document.add_heading("Detail", 3)


def _start_at_heading_2(document: Document) -> None:
    first = next(p for p in document.paragraphs if p.style.name == "Heading 1")
    first.style = document.styles["Heading 2"]


def _picture_without_alt_text(document: Document) -> None:
    document.add_picture(io.BytesIO(PNG.getvalue()))


def _floating_picture_without_alt_text(document: Document) -> None:
    """A picture turned from in line with the text into a floating (anchored) one."""
    document.add_picture(io.BytesIO(PNG.getvalue()))
    inline = document.inline_shapes[-1]._inline
    anchor = OxmlElement("wp:anchor")
    for name in ("distT", "distB", "distL", "distR", "relativeHeight"):
        anchor.set(name, "0")
    for flag in ("simplePos", "behindDoc", "locked", "layoutInCell", "allowOverlap"):
        anchor.set(flag, "0")
    for child in list(inline):
        anchor.append(child)
    inline.getparent().replace(inline, anchor)


def _table_without_header_row(document: Document) -> None:
    document.add_table(rows=2, cols=2).cell(0, 0).text = "Written by"


def _header_row_switched_off(document: Document) -> None:
    table = document.add_table(rows=2, cols=2)
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "false")
    table.rows[0]._tr.get_or_add_trPr().append(header)


def _no_language_in_styles(document: Document) -> None:
    for language in document.styles.element.iter(qn("w:lang")):
        language.getparent().remove(language)


def _no_language_in_properties(document: Document) -> None:
    document.core_properties.language = ""


def _no_title(document: Document) -> None:
    document.core_properties.title = "  "


@pytest.mark.parametrize(
    ("spoil", "check"),
    [
        (_skip_to_heading_3, "headings"),
        (_start_at_heading_2, "headings"),
        (_picture_without_alt_text, "alt-text"),
        (_floating_picture_without_alt_text, "alt-text"),
        (_table_without_header_row, "table-headers"),
        (_header_row_switched_off, "table-headers"),
        (_no_language_in_styles, "language"),
        (_no_language_in_properties, "language"),
        (_no_title, "title"),
    ],
    ids=lambda value: getattr(value, "__name__", value).lstrip("_"),
)
def test_each_check_finds_what_it_is_for(spoil: Callable[[Document], None], check: str) -> None:
    """A crafted document spoilt one way gives exactly one finding, of the check for it."""
    document = _good()
    spoil(document)
    assert _checks(document) == [check]


def test_a_floating_picture_is_found_as_floating() -> None:
    """The finding for an anchored picture says it floats and names it."""
    document = _good()
    _floating_picture_without_alt_text(document)
    (finding,) = _checked(document)
    assert "(floating)" in finding.message and "Edit Alt Text" in finding.message


def test_a_picture_marked_decorative_needs_no_alt_text() -> None:
    """Word's "Mark as decorative" is an answer: such a picture is not a finding."""
    document = _good()
    _picture_without_alt_text(document)
    properties = document.inline_shapes[-1]._inline.docPr
    extensions = OxmlElement("a:extLst")
    extension = OxmlElement("a:ext")
    extension.set("uri", "{C183D7F6-B498-43B3-948B-1728B52AA6E4}")
    mark = etree.SubElement(
        extension, "{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative"
    )
    mark.set("val", "1")
    extensions.append(extension)
    properties.append(extensions)
    assert _checked(document) == []


def test_a_picture_in_the_header_is_checked_too() -> None:
    """A logo a template carries in its header, without alt text, is a finding naming the header."""
    document = _good()
    run = document.sections[0].header.paragraphs[0].add_run()
    run.add_picture(io.BytesIO(PNG.getvalue()))
    (finding,) = _checked(document)
    assert finding.check == "alt-text" and "in a header" in finding.message


def test_a_skipped_heading_is_quoted_with_what_to_do() -> None:
    """The message names the heading, its level, the one before and the fix."""
    document = _good()
    _skip_to_heading_3(document)
    (finding,) = _checked(document)
    assert finding.message.startswith("The heading 'Detail' is a Heading 3 after a Heading 1")
    assert "Give it the Heading 2 style" in finding.message


def test_something_that_is_not_a_docx_is_a_template_error() -> None:
    """Bytes that are not a Word document raise TemplateError, not a zip or XML error."""
    with pytest.raises(TemplateError, match="not a Word document"):
        check_docx(b"not a zip", "x.docx")
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("other.xml", "<a/>")
    with pytest.raises(TemplateError, match=r"no word/document\.xml"):
        check_docx(empty.getvalue(), "x.docx")


def test_every_check_has_a_description() -> None:
    """The list of checks (docs/accessibility.md) names each check a finding can come from."""
    assert set(CHECKS) == {"headings", "alt-text", "table-headers", "language", "title"}
    assert all(text.endswith(".") for text in CHECKS.values())


def test_a_page_break_is_not_mistaken_for_a_heading() -> None:
    """Ordinary paragraphs and breaks between headings never count as heading levels."""
    document = _good()
    document.add_paragraph("Text").add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Next", 2)
    assert _checked(document) == []


def test_check_template_warns_about_a_councils_template_and_still_passes_it(
    tmp_path: Path,
) -> None:
    """`sos-docs check-template` prints each finding as a warning, and the exit code stays 0
    when every placeholder is known: the documents can still be made."""
    document = _good()
    _table_without_header_row(document)
    document.add_paragraph("{{ case_reference }}")
    template = tmp_path / "council.docx"
    document.save(str(template))
    result = CliRunner().invoke(cli, ["check-template", str(template)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "council.docx: warning: Table 2 (its first row reads 'Written by') has no header row. "
        "Give it a first row naming each column, then select that row and tick 'Repeat as "
        "header row at the top of each page' (Table Properties, Row).",
        "council.docx: every placeholder is a known field.",
    ]


def test_check_template_accessibility_reads_the_template_as_a_render_would(
    tmp_path: Path,
) -> None:
    """The shipped report has no finding; a link is refused as a render refuses it."""
    assert check_template_accessibility(TEMPLATES / "conference_report.docx") == []
    link = tmp_path / "link.docx"
    link.symlink_to(TEMPLATES / "conference_report.docx")
    with pytest.raises(TemplateError):
        check_template_accessibility(link, within=tmp_path)


# ---- PDF copies (LibreOffice)


@needs_libreoffice
def test_a_pdf_of_each_kind_is_tagged_with_language_and_title(
    made: dict[str, ProcessResult], converter: PdfConverter, tmp_path: Path
) -> None:
    """One report, one record (a family copy) and one story: each PDF has a structure tree,
    is marked, has a language and a title it shows instead of the file name, and each picture
    is a Figure with its alt text."""
    pikepdf = pytest.importorskip("pikepdf")
    chosen = [
        next(p for p in made["example-review"].documents if "professional" in p.name),
        next(p for p in made["core-group"].documents if "family copy" in p.name),
        next(p for p in made["example-initial"].documents if "Words and pictures" in p.name),
    ]
    for number, document in enumerate(chosen):
        written = converter.convert(document, tmp_path / f"{number}.pdf")
        with pikepdf.open(written) as pdf:
            root = pdf.Root
            assert "/StructTreeRoot" in root
            assert bool(root.MarkInfo.Marked)
            assert str(root.Lang) == "en-GB"
            assert str(pdf.docinfo.Title) == docx.Document(str(document)).core_properties.title
            assert bool(root.ViewerPreferences.DisplayDocTitle)
            figures = list(_figures(root.StructTreeRoot))
            assert len(figures) == len(_picture_properties(document))
            assert all(str(figure.get("/Alt", "")).strip() for figure in figures)


def _figures(node: object) -> Iterator[object]:
    """Every Figure element of a PDF structure tree."""
    import pikepdf

    if isinstance(node, pikepdf.Dictionary):
        if node.get("/S") == "/Figure":
            yield node
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            for kid in kids:
                yield from _figures(kid)
        elif kids is not None:
            yield from _figures(kids)


@given(st.text(max_size=600))
@settings(max_examples=60, deadline=None)
def test_a_property_is_the_text_as_typed_cut_to_what_a_property_holds(text: str) -> None:
    """A property keeps its text whole up to 255 characters, else its start and an ellipsis."""
    escaped = html.escape(text)
    result = plain_property(escaped)
    assert len(result) <= PROPERTY_MAX_CHARS
    if len(text) <= PROPERTY_MAX_CHARS:
        assert result == text
    else:
        assert result == text[: PROPERTY_MAX_CHARS - 1] + "\u2026"
