"""The words and pictures story after Turnell and Essex: real workbooks in, real .docx read back.

Sections order the pages, the safety rules are told in the children's words, "Who I can talk
to" gives names and numbers, pictures come first with alt text (or a box to draw in), the
marking stays out of the story's text, DRAFT stays until the parents agree it, and a child
can have a story of their own.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn

from sos_docs import codes
from sos_docs.config import Config
from sos_docs.documents.context import (
    ANYONE_CAN_CALL,
    DRAFT_MARK,
    DocumentSettings,
    build_context,
    stories,
    story_context,
)
from sos_docs.documents.render import render_document
from sos_docs.model import STORY_SECTIONS, MappingCase, Validation
from sos_docs.pipeline import process_workbook
from sos_docs.workbook import example
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

STORY = Path(__file__).resolve().parents[2] / "templates" / "words_and_pictures.docx"
SETTINGS = DocumentSettings(report_date=EXAMPLE_TODAY)
WHO, WHAT_ABOUT, HAPPENED, DOING, RULES, TALK = STORY_SECTIONS


def checked(book: WorkbookBuilder, tmp_path: Path, name: str = "case.xlsx") -> Validation:
    """A builder's workbook written, read and validated on the example's day."""
    return validate(read_workbook(book.write(tmp_path / name)), today=EXAMPLE_TODAY)


def case_from(book: WorkbookBuilder, tmp_path: Path) -> MappingCase:
    """A builder's workbook as a valid case; fails when it is not valid."""
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


def story_of(case: MappingCase, settings: DocumentSettings = SETTINGS) -> Document:
    """The (first) story of a case rendered with the shipped template and read back."""
    rendered = render_document(STORY, build_context(case, settings))
    assert rendered.warnings == ()
    return docx.Document(io.BytesIO(rendered.data))


def headings(document: Document) -> list[str]:
    """The page headings of a story, in order."""
    return [p.text for p in document.paragraphs if p.style.name == "Heading 1"]


def texts(document: Document) -> list[str]:
    """Every body paragraph's text."""
    return [p.text for p in document.paragraphs]


def with_sections(book: WorkbookBuilder, *sections: str) -> WorkbookBuilder:
    """The example's Words and pictures rows given these sections, in row order."""
    for index, section in enumerate(sections):
        book.update_row("Words and pictures", index, Section=section)
    return book


# ---- sections


def test_sections_order_the_pages_and_built_in_pages_slot_into_theirs(tmp_path: Path) -> None:
    """Pages sort by the six questions, then by page; safety people end "What is everyone
    doing", the rules fill "What are the safety rules?", and "Who I can talk to" ends the
    story before who has read it."""
    book = with_sections(WorkbookBuilder(), HAPPENED, TALK, WHO, RULES, DOING)
    book.add_row("Words and pictures", Page=6, Heading="Worried about", Words="Shouting.")
    book.update_row("Words and pictures", 5, Section=WHAT_ABOUT)
    pages = [str(p["Heading"]) for p in example.WORDS_AND_PICTURES]
    our_family, what_happened, who_is_worried, not_your_fault, everyone = pages
    assert headings(story_of(case_from(book, tmp_path))) == [
        who_is_worried,
        "Worried about",
        our_family,
        everyone,
        "My safety people",
        not_your_fault,
        "Safety rule 1",
        "Safety rule 2",
        "Safety rule 3",
        "Safety rule 4",
        what_happened,
        "Who I can talk to",
        "Who has read this story",
    ]


def test_a_page_without_a_section_follows_the_page_before_it(tmp_path: Path) -> None:
    """A blank Section takes the section of the page numbered before it."""
    book = with_sections(WorkbookBuilder(), DOING, "", "", TALK, "")
    case = case_from(book, tmp_path)
    sections = [p["section"] for p in build_context(case, SETTINGS)["words_pages"]]  # type: ignore[attr-defined]
    assert sections == [DOING, DOING, DOING, TALK, TALK]


def test_a_section_not_among_the_six_questions_is_an_error_with_its_cell(tmp_path: Path) -> None:
    """A Section that is not one of the questions is WB006 at its cell."""
    book = with_sections(WorkbookBuilder(), "Our house")
    validation = checked(book, tmp_path)
    found = [p for p in validation.errors if p.code == codes.WB006]
    assert [(p.sheet, p.cell) for p in found] == [
        ("Words and pictures", book.cell("Words and pictures", "Section"))
    ]


# ---- the rules in the children's words


def test_rules_are_told_in_the_childrens_words_never_the_plans(tmp_path: Path) -> None:
    """With Words for the children filled, the story prints them and never the Rule."""
    document = story_of(case_from(WorkbookBuilder(), tmp_path))
    body = "\n".join(texts(document))
    for rule in example.SAFETY_PLAN:
        assert str(rule["Words for the children"]) in body
        assert str(rule["Rule"]) not in body
    assert "Who:" not in body and "When:" not in body


def test_a_rule_without_words_for_the_children_is_sos230_and_uses_the_rule(
    tmp_path: Path,
) -> None:
    """An empty Words for the children is a warning at that cell; the story prints the rule."""
    book = WorkbookBuilder().update_row("Safety plan", 1, Words_for_the_children=None)
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None
    found = [p for p in validation.warnings if p.code == codes.SOS230]
    assert [(p.sheet, p.cell) for p in found] == [
        ("Safety plan", book.cell("Safety plan", "Words for the children", 1))
    ]
    assert "Words for the children" in found[0].message
    assert str(example.SAFETY_PLAN[1]["Rule"]) in texts(story_of(validation.case))


def test_a_format_1_workbook_gets_no_sos230(tmp_path: Path) -> None:
    """Format 1 has no Words for the children column, so it is not asked for."""
    book = WorkbookBuilder().set_case("Format", None)
    for index in range(len(example.SAFETY_PLAN)):
        book.update_row("Safety plan", index, Words_for_the_children=None)
    assert codes.SOS230 not in {p.code for p in checked(book, tmp_path).problems}


# ---- who I can talk to


def test_who_i_can_talk_to_names_people_as_the_children_do_with_their_numbers(
    tmp_path: Path,
) -> None:
    """The network who know the worries and professionals with a contact, by the names the
    children use, with numbers; then Childline and 999; never a parent outside the network."""
    document = story_of(case_from(WorkbookBuilder(), tmp_path))
    paragraphs = texts(document)
    at = paragraphs.index("Who I can talk to")
    words = next(text for text in paragraphs[at + 1 :] if "talk to these people" in text)
    lines = words.split("\n")[1:]
    assert lines == [
        "Nanna: 07700 900123",
        "Auntie Siân",
        "Ada: a.okafor@northbrook.example",
        "Mr Whitfield: 01632 960555",
        *ANYONE_CAN_CALL,
    ]
    assert not any("Tata" in line or "Mum" in line for line in lines)


# ---- layout and pictures


def test_a_picture_comes_first_with_its_description_as_alt_text(tmp_path: Path) -> None:
    """A page's picture sits between its heading and its words, described by the row's Picture
    description; without one, as the picture for its page (never the heading alone, which a
    screen reader has just read)."""
    book = (
        WorkbookBuilder()
        .with_picture("Words and pictures", 0)
        .with_picture("Words and pictures", 1)
    )
    book.update_row("Words and pictures", 0, Picture_description="Mia, Leo, Mum and Dad")
    document = story_of(case_from(book, tmp_path))
    paragraphs = document.paragraphs
    drawn = [n for n, p in enumerate(paragraphs) if p._p.findall(f".//{qn('w:drawing')}")]
    first, second = (example.WORDS_AND_PICTURES[i] for i in (0, 1))
    assert [(paragraphs[n - 1].text, paragraphs[n + 1].text) for n in drawn] == [
        (first["Heading"], first["Words"]),
        (second["Heading"], second["Words"]),
    ]
    described = [
        p._p.find(f".//{qn('wp:docPr')}").get("descr") for p in (paragraphs[n] for n in drawn)
    ]
    assert described == ["Mia, Leo, Mum and Dad", f"Picture for the page “{second['Heading']}”"]


def alt_texts(document: Document) -> list[str]:
    """The alt text of every picture in a document's body, in order."""
    return [str(p.get("descr")) for p in document.element.body.iter(qn("wp:docPr"))]


def test_the_example_story_pictures_are_described_by_what_they_show(tmp_path: Path) -> None:
    """The example's drawings reach the story with what each shows as alt text: never a page's
    heading or words again (a screen reader has just read them)."""
    workbook = example.write_example(tmp_path / "example.xlsx", EXAMPLE_TODAY)
    outcome = process_workbook(workbook, tmp_path / "out", today=EXAMPLE_TODAY)
    (story,) = (p for p in outcome.documents if "Words and pictures" in p.name)
    described = alt_texts(docx.Document(str(story)))
    pages = [
        page for page in example.WORDS_AND_PICTURES if page["Heading"] in example.STORY_PICTURES
    ]
    assert described[: len(pages)] == [example.STORY_PICTURES[str(p["Heading"])][1] for p in pages]
    page_words = [str(p[k]) for p in example.WORDS_AND_PICTURES for k in ("Heading", "Words")]
    rule_words = [str(r["Words for the children"]) for r in example.SAFETY_PLAN]
    for text in described:
        assert text and not any(words in text for words in page_words + rule_words), text


def test_a_safety_rule_picture_without_a_description_does_not_repeat_the_rule(
    tmp_path: Path,
) -> None:
    """A rule's picture with no description of its own is said to be the picture for its page,
    without the rule's words, which the page reads out below it."""
    document = story_of(case_from(WorkbookBuilder().with_picture("Safety plan", 0), tmp_path))
    rule = str(example.SAFETY_PLAN[0]["Words for the children"])
    assert alt_texts(document) == ["Picture for the page “Safety rule 1”"]
    assert rule not in alt_texts(document)[0]


def test_a_page_without_a_picture_gets_a_framed_box_to_draw_in(tmp_path: Path) -> None:
    """Every page without a picture has the dashed "Draw a picture here" frame after its heading."""
    document = story_of(
        case_from(WorkbookBuilder().with_picture("Words and pictures", 0), tmp_path)
    )
    paragraphs = document.paragraphs
    pages = [n for n, p in enumerate(paragraphs) if p.style.name == "Heading 1"][:-1]
    boxes = [n for n, p in enumerate(paragraphs) if "Draw a picture here" in p.text]
    assert boxes == [n + 1 for n in pages[1:]]
    for n in boxes:
        assert paragraphs[n]._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}") is not None


# ---- marking


def footers(document: Document) -> tuple[str, str, str]:
    """The cover's footer, every other page's footer and the headers' text."""
    section = document.sections[0]
    headers = " ".join(
        p.text for h in (section.first_page_header, section.header) for p in h.paragraphs
    )
    return section.first_page_footer.paragraphs[0].text, section.footer.paragraphs[0].text, headers


@pytest.mark.parametrize(
    ("marking", "on_cover", "on_pages"),
    [("cover-only", True, False), ("footer", True, True), ("none", False, False)],
)
def test_story_marking_puts_the_marking_on_the_cover_every_footer_or_nowhere(
    marking: str, on_cover: bool, on_pages: bool, tmp_path: Path
) -> None:
    """The protective marking and case reference follow `story_marking`, never the page body."""
    settings = DocumentSettings(report_date=EXAMPLE_TODAY, story_marking=marking)
    document = story_of(case_from(WorkbookBuilder(), tmp_path), settings)
    reference = str(example.CASE["Case reference"])
    cover, pages, headers = footers(document)
    assert (reference in cover, "OFFICIAL-SENSITIVE" in cover) == (on_cover, on_cover)
    assert (reference in pages, "OFFICIAL-SENSITIVE" in pages) == (on_pages, on_pages)
    body = "\n".join(texts(document)) + headers
    assert reference not in body and "OFFICIAL-SENSITIVE" not in body


def test_the_default_marking_is_cover_only() -> None:
    """Without a setting the story is marked on its cover only."""
    assert Config().story_marking == DocumentSettings().story_marking == "cover-only"


# ---- DRAFT until agreed


@pytest.mark.parametrize("agreed", ["No", None])
def test_a_story_not_agreed_is_draft_on_every_page_and_says_why(
    agreed: str | None, tmp_path: Path
) -> None:
    """Until Words and pictures agreed by parents is Yes, every header (cover and pages) says
    DRAFT, and SOS205 at that cell says why."""
    book = WorkbookBuilder().set_case("Words and pictures agreed by parents", agreed)
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None
    found = [p for p in validation.warnings if p.code == codes.SOS205]
    assert [(p.sheet, p.cell) for p in found] == [
        ("Case", book.cell("Case", "Words and pictures agreed by parents"))
    ]
    section = story_of(validation.case).sections[0]
    for header in (section.first_page_header, section.header):
        assert header.paragraphs[0].text == DRAFT_MARK


def test_an_agreed_story_has_no_draft_mark_and_no_sos231(tmp_path: Path) -> None:
    """Agreed: no DRAFT in any header, no SOS205."""
    validation = checked(WorkbookBuilder(), tmp_path)
    assert validation.case is not None
    assert codes.SOS205 not in {p.code for p in validation.problems}
    section = story_of(validation.case).sections[0]
    assert section.header.paragraphs[0].text == section.first_page_header.paragraphs[0].text == ""


def test_no_sos231_when_no_story_is_made(tmp_path: Path) -> None:
    """A pre-birth case with only an unborn child gets no story, so no DRAFT warning."""
    book = WorkbookBuilder().set_case("Words and pictures agreed by parents", "No")
    book.tables["Children"] = [
        {"ID": "C1", "Name": "Baby Hartley", "Expected due date": dt.date(2027, 1, 20)}
    ]
    found = {p.code for p in checked(book, tmp_path).problems}
    assert codes.SOS205 not in found


# ---- one story per child


def own_story_book() -> WorkbookBuilder:
    """The example with a story of Mia's own and a page for her only and one for Leo only."""
    book = WorkbookBuilder().update_row("Children", 0, Story="Yes")
    book.add_row("Words and pictures", Page=7, Heading="Mia's page", Words="For Mia.", Child="C1")
    book.add_row("Words and pictures", Page=8, Heading="Leo's page", Words="For Leo.", Child="C2")
    return book


def test_a_child_with_story_yes_gets_their_own_story_file(tmp_path: Path) -> None:
    """Story Yes for Mia: the shared story (now Leo's) and "Words and pictures for Mia", each
    with the pages for every story and only its own child's pages."""
    workbook = own_story_book().write(tmp_path / "case.xlsx")
    outcome = process_workbook(workbook, tmp_path / "out", today=EXAMPLE_TODAY)
    assert outcome.ok
    mia = str(example.CHILDREN[0].get("Known as") or example.CHILDREN[0]["Name"])
    leo = str(example.CHILDREN[1].get("Known as") or example.CHILDREN[1]["Name"])
    stories_made = [p for p in outcome.documents if "Words and pictures" in p.name]
    own = next(p for p in stories_made if f"Words and pictures for {mia} " in p.name)
    (shared,) = (p for p in stories_made if p != own)
    assert len(stories_made) == 2 and " for " not in shared.name
    shared_text, own_text = (texts(docx.Document(str(p))) for p in (shared, own))
    assert f"{leo}'s story" in shared_text and f"{mia}'s story" in own_text
    assert "Leo's page" in shared_text and "Mia's page" not in shared_text
    assert "Mia's page" in own_text and "Leo's page" not in own_text
    everyone = str(example.WORDS_AND_PICTURES[0]["Heading"])
    assert everyone in shared_text and everyone in own_text


def test_story_no_gives_a_child_no_story_and_their_pages_are_sos232(tmp_path: Path) -> None:
    """Story No for Mia: the story is Leo's alone; a page for Mia is SOS231 at its Child cell."""
    book = own_story_book().update_row("Children", 0, Story="No")
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None
    found = [p for p in validation.warnings if p.code == codes.SOS231]
    assert [(p.sheet, p.cell) for p in found] == [
        ("Words and pictures", book.cell("Words and pictures", "Child", 5))
    ]
    made = stories(validation.case)
    assert [[c.id for c in s.children] for s in made] == [["C2"]]
    context = story_context(validation.case, SETTINGS, made[0])
    assert [p["heading"] for p in context["words_pages"]][-1] == "Leo's page"  # type: ignore[index]


def test_an_unborn_child_is_in_no_story(tmp_path: Path) -> None:
    """A pre-birth case with an unborn sibling: the story is for the born children only."""
    book = WorkbookBuilder()
    book.add_row("Children", ID="C3", Name="Baby Hartley", Expected_due_date=dt.date(2027, 1, 20))
    case = case_from(book, tmp_path)
    assert [[c.id for c in s.children] for s in stories(case)] == [["C1", "C2"]]
