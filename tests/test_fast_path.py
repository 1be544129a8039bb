"""The compiled-template fast path of render.py against a plain, uncached docxtpl render."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import docx
import pytest
from builders import WorkbookBuilder
from conftest import EXAMPLE_TODAY
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from hypothesis import given, settings
from hypothesis import strategies as st

from sos_docs import render
from sos_docs.context import DocumentSettings, build_context
from sos_docs.model import MappingCase
from sos_docs.reader import read_workbook
from sos_docs.validate import validate

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


def plain_render(template: Path, context: dict[str, object]) -> bytes:
    """The document as one fresh DocxTemplate renders it, in the same sandbox, uncached."""
    tpl = render._parsed_template(template, template.read_bytes())
    pictures = render._Pictures(tpl, render._picture_box(tpl), [], {})
    tpl.render(
        render._prepare(context, "", pictures), jinja_env=render._environment(), autoescape=True
    )
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


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
