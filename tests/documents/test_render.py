"""Tests for rendering documents and checking templates (sos_docs.documents.render), read back with python-docx."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.workbook import Workbook
from PIL import Image

from sos_docs.documents.context import STORY_PICTURE_HEIGHT_EMU, DocumentSettings, build_context
from sos_docs.documents.render import (
    Rendered,
    check_template,
    clean_text,
    render_document,
)
from sos_docs.documents.template_check import UnknownField
from sos_docs.errors import RenderError, TemplateError
from sos_docs.model import MappingCase, Picture
from sos_docs.workbook import example
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
REPORT = TEMPLATES / "conference_report.docx"
STORY = TEMPLATES / "words_and_pictures.docx"
SETTINGS = DocumentSettings(report_date=EXAMPLE_TODAY)
HOSTILE = (
    "{{ 7*7 }}",
    "{% for x in y %}",
    "{_{ x }_} {_% if %_}",
    "{# not a comment",
    "]]>",
    "<w:p>&amp; & < > \" '",
    "&#95; &lt;",
)


# ---- helpers


def open_docx(data: bytes) -> Document:
    """A rendered document read back with python-docx."""
    return docx.Document(io.BytesIO(data))


def body_by_section(document: Document) -> Iterator[tuple[str, Paragraph | Table]]:
    """Each top-level paragraph and table in body order, with the Heading 1 it falls under."""
    section = ""
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            paragraph = Paragraph(element, document)
            if paragraph.style is not None and paragraph.style.name == "Heading 1":
                section = paragraph.text
            yield section, paragraph
        elif element.tag == qn("w:tbl"):
            yield section, Table(element, document)


def blocks(document: Document) -> list[tuple[str, Paragraph]]:
    """Every paragraph in body order (table cells included) with the Heading 1 it falls under."""
    found: list[tuple[str, Paragraph]] = []
    for section, item in body_by_section(document):
        if isinstance(item, Paragraph):
            found.append((section, item))
            continue
        for row in item.rows:
            for cell in row.cells:
                found += [(section, p) for p in cell.paragraphs]
    return found


def texts_in(document: Document, section: str) -> list[str]:
    """The paragraph texts under one Heading 1, in order."""
    return [p.text for s, p in blocks(document) if s == section]


def assert_in_order(texts: list[str], wanted: list[str]) -> None:
    """Each wanted text appears verbatim, in a paragraph at or after the previous one's."""
    position = 0
    for text in wanted:
        hits = [n for n in range(position, len(texts)) if text in texts[n]]
        assert hits, f"not found (in order): {text!r}"
        position = hits[0]


def table_rows(
    document: Document, first_header: str, section: str | None = None
) -> list[list[str]]:
    """The body rows (header left out) of the first table whose first header cell is given,
    under the Heading 1 `section` when one is named."""
    for under, item in body_by_section(document):
        if (
            isinstance(item, Table)
            and section in (None, under)
            and item.rows[0].cells[0].text == first_header
        ):
            return [[c.text for c in row.cells] for row in item.rows[1:]]
    raise AssertionError(f"no table headed {first_header!r} under {section!r}")


def has_picture(paragraph: Paragraph) -> bool:
    """True when the paragraph holds an inline picture."""
    return bool(paragraph._p.findall(f".//{qn('w:drawing')}"))


def picture_extent(paragraph: Paragraph) -> tuple[int, int]:
    """The (width, height) in EMU of the paragraph's inline picture."""
    extent = paragraph._p.find(f".//{qn('wp:extent')}")
    return int(extent.get("cx")), int(extent.get("cy"))


def case_from(book: WorkbookBuilder, tmp_path: Path) -> MappingCase:
    """A builder's workbook written, read and validated; fails when it is not valid."""
    validation = validate(read_workbook(book.write(tmp_path / "case.xlsx")), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


def make_template(tmp_path: Path, *paragraphs: str, header: str = "", cell: str = "") -> Path:
    """A small .docx template: paragraphs, optionally a header and a one-cell table."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if cell:
        document.add_table(rows=1, cols=1).rows[0].cells[0].paragraphs[0].add_run(cell)
    if header:
        document.sections[0].header.paragraphs[0].add_run(header)
    path = tmp_path / "template.docx"
    document.save(path)
    return path


def picture_file(tmp_path: Path, name: str, size: tuple[int, int], fmt: str = "PNG") -> Path:
    """An image file of the given size and format."""
    path = tmp_path / name
    Image.new("RGB", size, (200, 80, 40)).save(path, format=fmt)
    return path


def place_picture(sheet: str, path: Path, cell: str) -> object:
    """A builder change that places an image over a cell of a sheet."""

    def change(book: Workbook) -> None:
        book[sheet].add_image(SheetImage(str(path)), cell)

    return change


@pytest.fixture(scope="module")
def example_context(example_case: MappingCase) -> dict[str, object]:
    """The example case's context with a fixed report date."""
    return build_context(example_case, SETTINGS)


@pytest.fixture(scope="module")
def report(example_context: dict[str, object]) -> Document:
    """The example case's conference report, rendered and read back."""
    rendered = render_document(REPORT, example_context)
    assert rendered.warnings == ()
    return open_docx(rendered.data)


@pytest.fixture(scope="module")
def story(example_context: dict[str, object]) -> Document:
    """The example case's words and pictures, rendered and read back."""
    return open_docx(render_document(STORY, example_context).data)


# ---- the example case, verbatim, in the right section and order


def test_report_sections_follow_the_documented_order(report: Document) -> None:
    """The Heading 1 sections are those of docs/documents.md, in its order: the children's
    views straight after the children."""
    headings = [p.text for p in report.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "About this report",
        "The children",
        "The children's views",
        "The household and network",
        "Agency involvement",
        "Reason for the report",
        "What are we worried about?",
        "What's working well?",
        "What needs to happen?",
        "Scaling",
        "Safety network and safety plan",
        "Recommendation",
        "Sharing this report with the family",
        "Signed",
    ]


def test_report_title_names_meeting_date_and_children(report: Document) -> None:
    """The title block says who the report is to, when, and about whom."""
    first = [p.text for p in report.paragraphs[:6]]
    assert "Northbrook Council" in first
    assert "Report to the initial child protection conference" in first
    assert "Meeting date: 27 November 2026" in first
    assert "Children: Mia Hartley and Leo Hartley" in first


def test_danger_statements_and_family_words_are_under_the_worries(report: Document) -> None:
    """Each danger statement, with each parent's own words about it (the Family's views sheet),
    is verbatim in its section, in order."""
    wanted = []
    for row in example.DANGER_STATEMENTS:
        wanted.append(str(row["Statement"]))
        wanted += [
            str(v["Their words"]) for v in example.FAMILYS_VIEWS if v.get("About") == row["ID"]
        ]
    assert_in_order(texts_in(report, "What are we worried about?"), wanted)


def test_harm_table_keeps_the_source_of_each_entry(report: Document) -> None:
    """Harm rows are in order with what happened verbatim (then who disputes it and their
    account) and the source in its own column."""
    rows = table_rows(report, "Date", section="What are we worried about?")
    assert [r[1].split("\n")[0] for r in rows] == [h["What happened"] for h in example.HARM]
    disputed = next(h for h in example.HARM if h.get("Disputed by"))
    assert any(f"“{disputed['Their account']}”" in r[1] for r in rows)
    assert [r[4] for r in rows] == [h["Source"] for h in example.HARM]


def test_each_danger_statement_is_a_set_with_its_goals_steps_and_scores(
    report: Document,
) -> None:
    """Each danger statement is followed by each parent's view, its goal, the next steps for
    that goal (verbatim, with who, date and status) and the scores about it, before the next
    statement and before the overall scaling."""
    texts = texts_in(report, "What are we worried about?")
    first, second = example.DANGER_STATEMENTS
    goal_1, goal_2 = (str(g["Goal"]) for g in example.SAFETY_GOALS)
    steps_for = {
        goal: [str(s["Action"]) for s in example.NEXT_STEPS if s["Safety goal"] == goal]
        for goal in ("G1", "G2")
    }
    d2_score = next(str(s["Reason"]) for s in example.SCALING if s.get("Danger statement"))
    views = {(v["Person"], v.get("About")): str(v["Their words"]) for v in example.FAMILYS_VIEWS}
    assert_in_order(
        texts,
        [
            str(first["Statement"]),
            views["P1", "D1"],
            views["P2", "D1"],
            goal_1,
            *steps_for["G1"],
            str(second["Statement"]),
            views["P1", "D2"],
            goal_2,
            *steps_for["G2"],
            d2_score,
        ],
    )
    steps = table_rows(report, "No.", section="What are we worried about?")
    assert steps[0] == [
        "1",
        str(example.NEXT_STEPS[0]["Action"]),
        "Ada Okafor",
        "4 December 2026",
        "G1",
        "In progress",
    ]
    assert "Danger statement 1" not in texts_in(report, "Scaling")


def test_every_overall_score_and_reason_is_in_the_scaling_table(report: Document) -> None:
    """Each overall score and reason verbatim in workbook order, with the scale picture; the
    score about a danger statement is with that statement instead."""
    rows = table_rows(report, "Who", section="Scaling")
    overall = [s for s in example.SCALING if not s.get("Danger statement")]
    assert [(r[2], r[3]) for r in rows] == [(str(s["Score"]), s["Reason"]) for s in overall]
    assert rows[0][0] == "Ada Okafor\nAllocated social worker"
    scaling = [p for s, p in blocks(report) if s == "Scaling"]
    assert any(has_picture(p) for p in scaling)


def test_childrens_words_are_verbatim_with_their_line_breaks(report: Document) -> None:
    """Worries, good things and dreams of each child, in order, as typed (line breaks kept)."""
    wanted = []
    for view in example.CHILDS_VIEWS:
        for key in ("Worries", "Good things", "Dreams"):
            wanted.append(str(view[key]) or "Nothing recorded.")
    texts = texts_in(report, "The children's views")
    assert_in_order(texts, wanted)
    assert "When Mum and Dad shout and Dad bangs the door.\nWhen Leo cries at night." in texts


def test_existing_safety_comes_before_strengths(report: Document) -> None:
    """Under what's working well, both existing safety rows precede the strengths."""
    wanted = [str(w["What is working well"]) for w in example.WORKING_WELL]
    assert_in_order(texts_in(report, "What's working well?"), wanted)


def test_recommendation_sharing_and_signature(report: Document) -> None:
    """The closing sections state the recommendation, category, sharing and who signs."""
    assert_in_order(
        texts_in(report, "Recommendation"),
        [
            "The recommendations of this report differ between the children. They are to:",
            "make Mia subject to a child protection plan under the category of emotional abuse;",
            "make Leo subject to a child protection plan under the categories of emotional abuse "
            "and neglect.",
        ],
    )
    assert texts_in(report, "Sharing this report with the family") == [
        "Sharing this report with the family",
        "This report was shared with the parents on 16 November 2026.",
    ]
    assert_in_order(
        texts_in(report, "Signed"),
        [
            "Ada Okafor",
            "Social Worker",
            "16 November 2026",  # the Case sheet's Report date
            "Helen Marsh",
            "Team Manager, Riverside Family Support Team",
        ],
    )


def test_header_and_footer_carry_reference_marking_and_page_numbers(report: Document) -> None:
    """The header names the case; the footer has the marking and PAGE / NUMPAGES fields."""
    section = report.sections[0]
    assert "CP-2026-0412" in section.header.paragraphs[0].text
    footer_xml = section.footer._element.xml
    assert "OFFICIAL-SENSITIVE" in section.footer.paragraphs[0].text
    assert " PAGE " in footer_xml and " NUMPAGES " in footer_xml


def test_story_tells_every_page_then_people_rules_who_to_talk_to_and_close(
    story: Document,
) -> None:
    """Headings in the order of the story's questions: the sheet's pages (no Section: the first
    question's), my safety people, one safety rule each in the children's words, who I can talk
    to, who has read it."""
    headings = [p.text for p in story.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        *(str(p["Heading"]) for p in example.WORDS_AND_PICTURES),
        "My safety people",
        "Safety rule 1",
        "Safety rule 2",
        "Safety rule 3",
        "Safety rule 4",
        "Who I can talk to",
        "Who has read this story",
    ]
    texts = [p.text for p in story.paragraphs]
    mia, leo = (str(c.get("Known as") or c["Name"]) for c in example.CHILDREN)
    assert texts[5:7] == [f"{mia} and {leo}'s story", "16 November 2026"]
    assert_in_order(texts, [str(p["Words"]) for p in example.WORDS_AND_PICTURES])
    assert_in_order(texts, [str(r["Words for the children"]) for r in example.SAFETY_PLAN])
    assert not any(str(r["Rule"]) in texts for r in example.SAFETY_PLAN)
    assert_in_order(
        texts, ["Nanna", "Auntie Siân", "Mum and Dad have read this story", "19 February 2027"]
    )


def test_empty_optional_sheets_leave_out_their_sections_or_say_none(tmp_path: Path) -> None:
    """No agencies, harm, factors, grey areas or safety plan: sections say so or are left out
    (a missing safety plan is said, never silently dropped)."""
    book = WorkbookBuilder()
    for sheet in (
        "Agency involvement",
        "Harm",
        "Complicating factors",
        "Grey areas",
        "Safety plan",
    ):
        book.clear(sheet)
    context = build_context(case_from(book, tmp_path), SETTINGS)
    document = open_docx(render_document(REPORT, context).data)
    headings = [p.text for p in document.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert "Agency involvement" not in headings
    assert "Safety network" in headings and "Safety plan" in headings
    assert "No safety plan has been agreed yet." in texts_in(
        document, "Safety network and safety plan"
    )
    worried = texts_in(document, "What are we worried about?")
    assert_in_order(
        worried, ["No harm is recorded.", "Danger statement 1", "None recorded.", "None recorded."]
    )
    story = open_docx(render_document(STORY, context).data)
    story_headings = [p.text for p in story.paragraphs if p.style.name == "Heading 1"]
    assert not any(h.startswith("Safety rule") for h in story_headings)


# ---- pictures


def test_pictures_come_first_between_heading_and_words_scaled_to_fit_with_their_shape(
    tmp_path: Path,
) -> None:
    """A wide picture on page 2 and a tall one on rule 1 sit under their page's heading and
    above its words, at most STORY_PICTURE_HEIGHT_EMU high and as wide as the text, shape kept."""
    wide = picture_file(tmp_path, "wide.png", (800, 400))
    tall = picture_file(tmp_path, "tall.jpg", (300, 900), "JPEG")
    book = WorkbookBuilder()
    book.then(place_picture("Words and pictures", wide, "D3"))  # type: ignore[arg-type]
    book.then(place_picture("Safety plan", tall, "F2"))  # type: ignore[arg-type]
    case = case_from(book, tmp_path)
    rendered = render_document(STORY, build_context(case, SETTINGS))
    assert rendered.warnings == ()
    document = open_docx(rendered.data)
    paragraphs = document.paragraphs
    with_pictures = [n for n, p in enumerate(paragraphs) if has_picture(p)]
    assert len(with_pictures) == 2
    page = example.WORDS_AND_PICTURES[1]
    rule = example.SAFETY_PLAN[0]
    first, second = with_pictures
    assert [paragraphs[first - 1].text, paragraphs[first + 1].text] == [
        page["Heading"],
        page["Words"],
    ]
    assert [paragraphs[second - 1].text, paragraphs[second + 1].text] == [
        "Safety rule 1",
        rule["Words for the children"],
    ]
    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    (w1, h1), (w2, h2) = (picture_extent(paragraphs[n]) for n in with_pictures)
    assert w1 <= text_width and h1 <= STORY_PICTURE_HEIGHT_EMU and abs(w1 / h1 - 2.0) < 0.01
    assert h2 == pytest.approx(STORY_PICTURE_HEIGHT_EMU, rel=0.001) and abs(h2 / w2 - 3.0) < 0.01
    assert w1 == pytest.approx(text_width, rel=0.001) or h1 == pytest.approx(
        STORY_PICTURE_HEIGHT_EMU, rel=0.001
    )


def test_an_unreadable_picture_is_a_warning_and_its_page_keeps_a_box_to_draw_in(
    example_context: dict[str, object],
) -> None:
    """Bytes that are not an image are left out, named by sheet and cell; the page gets the
    frame to draw in, and the rest renders."""
    context = dict(example_context)
    pages = [dict(p) for p in context["story_pages"]]  # type: ignore[attr-defined]
    pages[1]["picture"] = Picture(b"this is not a picture", "png", 3, "D3")
    context["story_pages"] = pages
    rendered = render_document(STORY, context)
    assert len(rendered.warnings) == 1
    assert "Words and pictures sheet at D3" in rendered.warnings[0]
    assert "made without it" in rendered.warnings[0]
    document = open_docx(rendered.data)
    assert not any(has_picture(p) for p in document.paragraphs)
    texts = [p.text for p in document.paragraphs]
    boxes = [n for n, text in enumerate(texts) if "Draw a picture here" in text]
    assert len(boxes) == len(pages)
    assert texts[boxes[1] - 1] == pages[1]["heading"]


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_pictures_word_cannot_show_are_converted_to_png(
    fmt: str, example_context: dict[str, object], tmp_path: Path
) -> None:
    """A BMP or TIFF picture is placed as a PNG."""
    buffer = io.BytesIO()
    Image.new("RGB", (120, 60), "blue").save(buffer, format=fmt)
    context = dict(example_context)
    pages = [dict(p) for p in context["story_pages"]]  # type: ignore[attr-defined]
    pages[0]["picture"] = Picture(buffer.getvalue(), fmt.lower(), 2, "E2")
    context["story_pages"] = pages
    rendered = render_document(STORY, context)
    assert rendered.warnings == ()
    document = open_docx(rendered.data)
    types = {p.content_type for p in document.part.package.iter_parts()}
    assert "image/png" in types


# ---- hostile text


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[MappingCase, dict[str, str]]:
    """A workbook whose cells hold template syntax, XML specials, Unicode, long text, 40 steps."""
    tmp_path = tmp_path_factory.mktemp("hostile")
    text = {
        "statement": " ".join(HOSTILE) + " Mia and Leo could be hurt.",
        "family_words": "We said {{ no }} & <meant> it ]]>\nSecond line {% endfor %}",
        "worries": "Line one\nLine two\n\nLine four {_{ x }_}",
        "reason": ("Very long reason {{ x }} & < > " * 900).strip(),
        "kerry": "Zoë Łukasz {{ name }}",
        "sian": "اسماء Nguyễn Thị Hương",
        "goal": "Goal with {% raw %} and ]]> and &amp;",
    }
    book = WorkbookBuilder().clear("Family's views")  # the family's words in one cell (format 1)
    book.update_row(
        "Danger statements", 0, Statement=text["statement"], Family_s_words=text["family_words"]
    )
    book.update_row("Child's views", 0, Worries=text["worries"])
    book.set_case("Reason for report", text["reason"])
    book.update_row("People", 0, Name=text["kerry"])
    book.update_row("People", 3, Name=text["sian"])
    book.update_row("Safety goals", 0, Goal=text["goal"])
    for n in range(6, 41):
        book.add_row(
            "Next steps",
            Action=f"Step {n}: check {{{{ n }}}} & <n> ]]>",
            Who="P5",
            By_when=dt.date(2026, 12, 1) + dt.timedelta(days=n),
            Status="Not started",
        )
    return case_from(book, tmp_path), text


@pytest.fixture(scope="module")
def hostile_documents(hostile: tuple[MappingCase, dict[str, str]]) -> dict[str, bytes]:
    """The hostile case's report and story."""
    context = build_context(hostile[0], SETTINGS)
    return {
        "report": render_document(REPORT, context).data,
        "story": render_document(STORY, context).data,
    }


def test_hostile_text_prints_exactly_as_typed(
    hostile: tuple[MappingCase, dict[str, str]], hostile_documents: dict[str, bytes]
) -> None:
    """Template syntax, XML specials, Unicode names and long text come out verbatim."""
    text = hostile[1]
    document = open_docx(hostile_documents["report"])
    all_text = [p.text for _, p in blocks(document)]
    assert text["statement"] in all_text
    assert f"The family partly agrees: “{text['family_words']}”" in all_text
    assert text["worries"] in all_text
    assert text["reason"] in all_text
    assert any(text["kerry"] in t for t in all_text)
    assert any(text["sian"] in t for t in all_text)
    assert any(text["goal"] in t for t in all_text)
    assert "49" not in " ".join(all_text)


def test_forty_next_steps_are_all_listed_in_order(hostile_documents: dict[str, bytes]) -> None:
    """The 35 steps that serve no goal are rows of the other next steps table, numbered, their
    text verbatim; with the five listed under their danger statements, all 40 are there."""
    document = open_docx(hostile_documents["report"])
    steps = table_rows(document, "No.", "What needs to happen?")
    assert [s[0] for s in steps] == [str(n) for n in range(6, 41)]
    assert steps[34][1] == "Step 40: check {{ n }} & <n> ]]>"
    numbers = [
        row.cells[0].text
        for table in document.tables
        if [c.text for c in table.rows[0].cells[:2]] == ["No.", "Action"]
        for row in table.rows[1:]
    ]
    assert sorted(numbers, key=int) == [str(n) for n in range(1, 41)]


def test_the_next_steps_header_row_repeats_on_every_page(
    hostile_documents: dict[str, bytes],
) -> None:
    """The long table's header row is marked to repeat at the top of each page."""
    document = open_docx(hostile_documents["report"])
    table = next(t for t in document.tables if t.rows[0].cells[0].text == "No.")
    assert table.rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_libreoffice_converts_the_hostile_documents_to_pdf(
    hostile_documents: dict[str, bytes], tmp_path: Path
) -> None:
    """Both hostile documents open in LibreOffice and convert to PDF."""
    paths = []
    for name, data in hostile_documents.items():
        path = tmp_path / f"{name}.docx"
        path.write_bytes(data)
        paths.append(path)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, paths),
        ],
        check=True,
        capture_output=True,
        timeout=240,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    for path in paths:
        pdf = path.with_suffix(".pdf")
        assert pdf.read_bytes().startswith(b"%PDF")
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert "OFFICIAL-SENSITIVE" in text
            if path.stem == "report":
                assert "{{ 7*7 }}" in text and "]]>" in text


def rendered_text(template: Path, value: str) -> tuple[str, str, str]:
    """A value rendered into a small template: (body paragraph, table cell, header) text."""
    document = open_docx(render_document(template, {"x": value}).data)
    return (
        document.paragraphs[0].text,
        document.tables[0].rows[0].cells[0].text,
        document.sections[0].header.paragraphs[0].text,
    )


@pytest.fixture(scope="module")
def small_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template printing {{ x }} in a paragraph, a table cell and the header."""
    return make_template(
        tmp_path_factory.mktemp("small"), "{{ x }}", header="{{ x }}", cell="{{ x }}"
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_each_hostile_string_is_literal_in_body_table_and_header(
    value: str, small_template: Path
) -> None:
    """Template tags, docxtpl's own {_{ escapes and XML specials print as typed everywhere."""
    assert rendered_text(small_template, value) == (value, value, value)


@settings(max_examples=40, deadline=None)
@given(value=st.text(max_size=80))
def test_any_text_prints_as_typed_minus_what_xml_cannot_hold(
    value: str, small_template: Path
) -> None:
    """Any string comes back equal to itself with line endings as \\n and illegal characters gone."""
    expected = clean_text(value)
    assert rendered_text(small_template, value) == (expected, expected, expected)


def test_clean_text_normalises_line_endings_and_drops_illegal_characters() -> None:
    """CRLF and CR become LF; control characters XML forbids are removed; tabs stay."""
    assert clean_text("a\r\nb\rc\x00d\x0be\x1ff\tg\ufffe") == "a\nb\ncdef\tg"


# ---- templates that are wrong


def test_shipped_templates_use_only_known_fields() -> None:
    """check_template finds nothing to report in either default template."""
    assert check_template(REPORT) == []
    assert check_template(STORY) == []


def test_check_template_reports_misspelt_fields_with_suggestions(tmp_path: Path) -> None:
    """Unknown names, loop item fields (nested and filtered) and header fields are found."""
    template = make_template(
        tmp_path,
        "{{ case_refrence }} {{ children_names|upper }} {% set mine = 1 %}{{ mine }}",
        "{% for d in danger_statements %}{{ d.statment }}{{ loop.index }}"
        "{% for g in d.goals %}{{ g.gaol }}{{ g.goal }}{% endfor %}{% endfor %}",
        "{% for s in scores|sort(attribute='score') %}{{ s['reson'] }}{% endfor %}",
        "{{ xyzzy }}",
        header="{{ protective_markin }}",
    )
    assert check_template(template) == [
        UnknownField("case_refrence", "case_reference", "body"),
        UnknownField("d.statment", "d.statement", "body"),
        UnknownField("g.gaol", "g.goal", "body"),
        UnknownField("s['reson']", "s.reason", "body"),
        UnknownField("xyzzy", "", "body"),
        UnknownField("protective_markin", "protective_marking", "header"),
    ]
    assert (
        UnknownField("xyzzy", "", "body").message
        == "'xyzzy' (in the body) is not a known template field."
    )


def test_check_template_understands_paragraph_and_row_loops(tmp_path: Path) -> None:
    """docxtpl's {%p %} and {%tr %} loops bind their item names like plain loops."""
    template = make_template(
        tmp_path,
        "{%p for s in next_steps %}",
        "{{ s.action }} {{ s.acton }}",
        "{%p endfor %}",
    )
    assert check_template(template) == [UnknownField("s.acton", "s.action", "body")]


@pytest.mark.parametrize(
    ("paragraph", "message"),
    [
        ("{% for d in danger_statements %}", "has a mistake in its tags"),
        ("{{ case_reference|nosuchfilter }}", "has a mistake in its tags"),
    ],
)
def test_a_template_with_broken_tags_is_a_template_error(
    paragraph: str, message: str, tmp_path: Path
) -> None:
    """Unclosed loops and unknown filters are reported naming the template."""
    template = make_template(tmp_path, paragraph)
    with pytest.raises(TemplateError, match=message) as raised:
        check_template(template)
    assert "template.docx" in str(raised.value)


def test_a_template_the_check_cannot_compile_is_a_template_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check compiles the template as a render does: anything that trips it up there is a
    TemplateError (a failing check), not an error of another kind."""
    from sos_docs.documents import render

    def tripped(tpl: object) -> tuple[int, int]:
        raise ValueError("an unusual page size")

    monkeypatch.setattr(render, "_picture_box", tripped)
    with pytest.raises(TemplateError, match="cannot be prepared for rendering: an unusual"):
        check_template(make_template(tmp_path, "{{ case_reference }}"))


def test_a_file_that_is_not_a_docx_is_a_template_error(tmp_path: Path) -> None:
    """A text file or a missing file is refused with what to do about it."""
    text = tmp_path / "report.docx"
    text.write_text("hello")
    with pytest.raises(TemplateError, match=r"not a Word \.docx file"):
        render_document(text, {})
    with pytest.raises(TemplateError, match="does not exist"):
        check_template(tmp_path / "missing.docx")


def test_rendering_an_unknown_field_is_an_error_not_a_blank(tmp_path: Path) -> None:
    """A placeholder the context lacks stops rendering and points to check-template."""
    template = make_template(tmp_path, "{{ case_refrence }}")
    with pytest.raises(TemplateError, match="check-template"):
        render_document(template, {"case_reference": "CP-1"})


@pytest.mark.parametrize(
    "paragraph",
    [
        "{{ x.__class__.__mro__[1].__subclasses__() }}",
        "{{ x|safe }}",
        "{{ x.format.__globals__ }}",
    ],
)
def test_a_template_cannot_reach_python_or_unescape_text(paragraph: str, tmp_path: Path) -> None:
    """The sandbox refuses Python internals, and the `safe` filter does not exist."""
    template = make_template(tmp_path, paragraph)
    with pytest.raises(TemplateError):
        render_document(template, {"x": "<w:p/>"})


def test_broken_xml_from_a_template_fails_instead_of_being_repaired(tmp_path: Path) -> None:
    """An if that opens in a paragraph and closes in a table cell cannot lose text silently."""
    template = make_template(tmp_path, "{% if x %}before", cell="inside{% endif %}")
    with pytest.raises(RenderError, match="not valid Word XML"):
        render_document(template, {"x": ""})


def test_render_returns_bytes_and_warnings(example_context: dict[str, object]) -> None:
    """render_document gives a Rendered whose data is a .docx (a zip) and a warnings tuple."""
    rendered = render_document(REPORT, example_context)
    assert isinstance(rendered, Rendered)
    assert rendered.data.startswith(b"PK")
    assert rendered.warnings == ()


def iter_drawings(document: Document) -> Iterator[object]:
    """Every drawing element in the body."""
    yield from document.element.body.iter(qn("w:drawing"))


def test_the_report_has_exactly_one_picture_the_scale(report: Document) -> None:
    """The example has no placed pictures, so the report's only picture is the scale."""
    assert len(list(iter_drawings(report))) == 1


def test_a_cases_documents_check_each_picture_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report, its family copy and the story show the same pictures: each is decoded and
    made Word-ready once for the case, not once per document (it was three times)."""
    from sos_docs import pipeline
    from sos_docs.documents import render as render_module
    from sos_docs.workbook.example import write_example

    path = write_example(tmp_path / "example.xlsx", EXAMPLE_TODAY)
    validation = pipeline.check_workbook(path, today=EXAMPLE_TODAY)
    assert validation.case is not None
    seen: list[bytes] = []
    original = render_module._word_ready_image

    def counting(data: bytes) -> tuple[bytes, int, int]:
        seen.append(data)
        return original(data)

    monkeypatch.setattr(render_module, "_word_ready_image", counting)
    documents = pipeline.render_case(validation.case)
    assert len(documents) >= 3
    assert len(seen) == len(set(seen)) > 1
