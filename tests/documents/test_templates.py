"""Tests for the shipped templates and the script that builds them (scripts/build_templates.py)."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path
from types import ModuleType

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from sos_docs.documents.render import check_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
REPORT = TEMPLATES / "conference_report.docx"
STORY = TEMPLATES / "words_and_pictures.docx"
RECORD = TEMPLATES / "mapping_record.docx"


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    """scripts/build_templates.py loaded as a module."""
    spec = importlib.util.spec_from_file_location(
        "build_templates", ROOT / "scripts" / "build_templates.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path: Path) -> Document:
    """A template opened with python-docx."""
    return docx.Document(str(path))


def test_committed_templates_are_exactly_what_the_script_builds(build_script: ModuleType) -> None:
    """The .docx files in templates/ are the script's output, byte for byte (rebuild and commit)."""
    built = build_script.build_all()
    assert set(built) == {REPORT.name, STORY.name, RECORD.name}
    for name, data in built.items():
        assert (TEMPLATES / name).read_bytes() == data, f"{name}: run scripts/build_templates.py"


def test_the_build_is_reproducible(build_script: ModuleType) -> None:
    """Two builds give the same bytes, so a diff in git means a change in the script."""
    assert build_script.build_all() == build_script.build_all()


@pytest.mark.parametrize("path", [REPORT, STORY, RECORD], ids=["report", "story", "record"])
def test_templates_are_slim(path: Path) -> None:
    """No thumbnail, custom XML, web settings or unused table styles from python-docx's starter."""
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())
    assert not any(n.startswith(("customXml/", "docProps/thumbnail")) for n in names)
    assert "word/stylesWithEffects.xml" not in names and "word/webSettings.xml" not in names
    styles = {s.name for s in load(path).styles}
    assert "Medium Shading 1" not in styles and "Colorful Grid" not in styles
    assert len(styles) < 40
    assert path.stat().st_size < 40_000


@pytest.mark.parametrize("path", [REPORT, STORY, RECORD], ids=["report", "story", "record"])
def test_shipped_templates_pass_check_template(path: Path) -> None:
    """Every placeholder in the shipped templates is a documented field."""
    assert check_template(path) == []


def test_report_uses_real_heading_styles_in_the_documented_order() -> None:
    """The report's sections are Heading 1 paragraphs, in docs/documents.md's order."""
    headings = [p.text for p in load(REPORT).paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == [
        "About this report",
        "The children",
        "The children's views",
        "The household and network",
    ]
    assert headings[-4:] == [
        "Safety network and safety plan",
        "Recommendation",
        "Sharing this report with the family",
        "Signed",
    ]


def test_the_record_has_no_recommendation_category_or_sharing() -> None:
    """The record of the mapping ends with the next meeting and the signature: nothing in it
    recommends a plan, names a category of harm or speaks of sharing a report."""
    document = load(RECORD)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:4] == [
        "About this record",
        "The children",
        "The children's views",
        "The household and network",
    ]
    assert headings[-2:] == ["Next meeting", "Signed"]
    text = " ".join(p.text for p in document.paragraphs).lower()
    for words in ("recommendation", "category", "sharing", "shared with the parents"):
        assert words not in text
    # Its title is the meeting type's and the copy's, filled in as each record is made.
    assert document.core_properties.title == "{{ document_title_with_copy }}"


@pytest.mark.parametrize("path", [REPORT, RECORD], ids=["report", "record"])
def test_every_loop_table_row_stays_on_one_page(path: Path) -> None:
    """Each repeated row of a table is marked not to split across a page break."""
    loop_tables = [t for t in load(path).tables if "{%tr for" in t.rows[1].cells[0].text]
    for table in loop_tables:
        assert table.rows[2]._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None


def test_every_report_loop_table_repeats_its_header_row() -> None:
    """Each table that repeats rows has a first row marked as a repeating header."""
    loop_tables = [t for t in load(REPORT).tables if "{%tr for" in t.rows[1].cells[0].text]
    assert len(loop_tables) >= 8
    for table in loop_tables:
        assert table.rows[0]._tr.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is not None


@pytest.mark.parametrize("path", [REPORT, RECORD], ids=["report", "record"])
def test_header_and_footer_have_reference_marking_and_page_numbers(path: Path) -> None:
    """Header: marking and case reference; footer: marking and Page X of Y fields."""
    section = load(path).sections[0]
    header = section.header.paragraphs[0].text
    assert "{{ case_reference }}" in header and "{{ protective_marking }}" in header
    assert section.footer.paragraphs[0].text == "{{ protective_marking }}"
    instructions = [t.text for t in section.footer._element.iter(qn("w:instrText"))]
    assert instructions == [" PAGE ", " NUMPAGES "]


def test_report_has_a_readable_normal_style_and_a4_page() -> None:
    """Arial 11 pt body text on A4 with 2 cm margins."""
    document = load(REPORT)
    normal = document.styles["Normal"]
    assert (normal.font.name, normal.font.size) == ("Arial", Pt(11))
    section = document.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.01) and abs(section.left_margin - Cm(2)) < Cm(
        0.01
    )


def test_story_header_holds_only_the_draft_mark_and_footers_only_the_story_marking() -> None:
    """The story's page body never holds the marking: the cover's footer and every page's
    footer print the `story_marking` fields, and every header the DRAFT mark."""
    document = load(STORY)
    section = document.sections[0]
    assert section.different_first_page_header_footer
    for header in (section.first_page_header, section.header):
        assert [p.text for p in header.paragraphs] == ["{{ story_draft_mark }}"]
    assert [p.text for p in section.first_page_footer.paragraphs] == ["{{ story_cover_marking }}"]
    assert [p.text for p in section.footer.paragraphs] == ["{{ story_footer_marking }}"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "protective_marking" not in body and "case_reference" not in body


def test_words_and_pictures_has_large_type_short_lines_and_pages_that_share_a_sheet() -> None:
    """20 pt text, lines at most 15 cm, no page break before a page's heading, and each page
    its heading, then its picture or a box to draw in, then its words, kept together."""
    document = load(STORY)
    assert document.styles["Normal"].font.size >= Pt(20)
    heading = document.styles["Heading 1"]
    assert heading.font.size >= Pt(24)
    assert not heading.paragraph_format.page_break_before
    assert heading.paragraph_format.keep_with_next is True
    section = document.sections[0]
    assert section.page_width - section.left_margin - section.right_margin <= Cm(15.01)
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    heading_at = texts.index("{{ p.heading }}")
    assert texts[heading_at - 1 : heading_at + 8] == [
        "{%p for p in story_pages %}",
        "{{ p.heading }}",
        "{%p if p.picture %}",
        "{{ p.picture }}",
        "{%p else %}",
        "\n" * 3 + "Draw a picture here" + "\n" * 3,
        "{%p endif %}",
        "{{ p.words }}",
        "{%p endfor %}",
    ]
    assert paragraphs[heading_at + 2].paragraph_format.keep_with_next is True
    box = paragraphs[heading_at + 4]
    assert box.paragraph_format.keep_with_next is True
    assert box._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None
    assert paragraphs[heading_at + 6].paragraph_format.keep_together is True
    assert not any(p.paragraph_format.page_break_before for p in paragraphs)


SET_HEADINGS = ("What the family say", "Next steps", "Scores about this danger statement")


@pytest.mark.parametrize("path", [REPORT, RECORD], ids=["report", "record"])
def test_a_danger_statements_parts_are_real_headings_under_it(path: Path) -> None:
    """Within a danger statement's set, its parts are Heading 4 under the Heading 3 statement
    (a screen reader's heading list finds them), no larger than the statement's heading."""
    document = load(path)
    styled = [(p.text, p.style.name) for p in document.paragraphs if p.text in SET_HEADINGS]
    assert styled == [(text, "Heading 4") for text in SET_HEADINGS]
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    (statement,) = (n for n, p in enumerate(headings) if p.text.startswith("Danger statement {{"))
    assert headings[statement].style.name == "Heading 3"
    assert [p.text for p in headings[statement + 1 : statement + 4]] == list(SET_HEADINGS)
    fourth, third = (document.styles[f"Heading {n}"].font for n in (4, 3))
    assert fourth.size is not None and third.size is not None and fourth.size <= third.size
    assert fourth.bold and not fourth.italic
