"""The render written straight from the template's XML against plain docxtpl, part by part.

sos-docs renders onto the template's pre-split XML and writes the zip with the template's
unchanged members copied as stored (`_docxtpl_compiled.FastRender`). Each document here is
also made by a fresh DocxTemplate, rendered in the same sandbox and saved by python-docx; the
two must hold the same members, every XML member the same once canonicalised, every other
member (pictures) the same bytes.
"""

from __future__ import annotations

import dataclasses
import io
import random
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.shared import Cm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from sos_docs import pipeline
from sos_docs.config import DEFAULT_CONFIG
from sos_docs.documents import render
from sos_docs.documents.context import build_context
from sos_docs.documents.pdf import PdfConverter
from sos_docs.model import MappingCase, Picture, WordsPage
from tests.support.builders import EXAMPLE_TODAY
from tests.support.office import needs_libreoffice
from tests.support.plain_render import plain_render
from tests.support.scenarios import SCENARIOS

_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)


# ---- the two ways of making a document


def sos_docs_render(template: Path, context: dict[str, object]) -> bytes:
    """The document as sos-docs makes it (checked to come from the new path)."""
    compiled = render._COMPILED.get(template)
    assert compiled.layout is not None, "the template should take the new path"
    return render.render_document(template, context).data


def members(data: bytes) -> dict[str, bytes]:
    """Every zip member by name: XML canonicalised (C14N, ignorable whitespace out), the rest
    as stored. The zip itself is checked whole (every CRC)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        found = {}
        for name in archive.namelist():
            raw = archive.read(name)
            if name.endswith((".xml", ".rels")):
                raw = etree.tostring(etree.fromstring(raw, _PARSER), method="c14n")
            found[name] = raw
    return found


def assert_same_document(template: Path, context: dict[str, object]) -> None:
    """Both ways give the same members, each the same once canonicalised."""
    made = members(sos_docs_render(template, context))
    plain = members(plain_render(template, context))
    assert sorted(made) == sorted(plain)
    for name, content in plain.items():
        assert made[name] == content, name
    docx.Document(io.BytesIO(sos_docs_render(template, context)))  # python-docx opens it


class Recorder:
    """Stands in for render_documents during a pipeline run, keeping each (template, context)."""

    def __init__(self, real: object) -> None:
        self.real = real
        self.calls: list[tuple[Path, dict[str, object]]] = []

    def __call__(
        self, templates: list[Path], context: dict[str, object], **kwargs: object
    ) -> object:
        self.calls += [(template, dict(context)) for template in templates]
        return self.real(templates, context, **kwargs)  # type: ignore[operator]


def documents_of(case: MappingCase, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, dict]]:
    """Each (template, context) the pipeline renders for the case: every built-in kind, every
    copy (professional and family) and every story."""
    recorder = Recorder(render.render_documents)
    with monkeypatch.context() as patched:
        patched.setattr(render, "render_documents", recorder)
        made = pipeline.render_case(case, kinds=pipeline.BUILT_IN_KINDS)
    assert len(made) == len(recorder.calls) >= len(pipeline.BUILT_IN_KINDS)
    return list(recorder.calls)


def scenario_case(name: str, folder: Path) -> MappingCase:
    """A scenario's workbook written, read and validated."""
    path = SCENARIOS[name](EXAMPLE_TODAY).write(folder / f"{name}.xlsx")
    validation = pipeline.check_workbook(path, today=EXAMPLE_TODAY)
    assert validation.case is not None, validation.problems
    return validation.case


def photo(number: int, *, kind: str = "JPEG") -> bytes:
    """A small photo-like picture, different for each number."""
    generator = random.Random(number)
    image = Image.frombytes("RGB", (40, 30), generator.randbytes(40 * 30 * 3))
    out = io.BytesIO()
    image.resize((160, 120)).save(out, format=kind)
    return out.getvalue()


def with_photos(case: MappingCase, photos: list[bytes]) -> MappingCase:
    """The case with a story page for each photo (the same photo may come twice)."""
    first = len(case.words_and_pictures) + 1
    pages = tuple(
        WordsPage(
            page=first + n,
            heading=f"Photo {n}",
            words="What we did.",
            picture=Picture(data, "jpeg", 10 + n, f"B{10 + n}"),
            picture_description=f"Photo {n} & <more>",
        )
        for n, data in enumerate(photos)
    )
    return dataclasses.replace(case, words_and_pictures=case.words_and_pictures + pages)


# ---- every scenario, every kind, every copy


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_document_of_every_scenario_is_the_plain_renders(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Report, story, record of the mapping and each copy: the same members as docxtpl's."""
    for template, context in documents_of(scenario_case(name, tmp_path), monkeypatch):
        assert_same_document(template, context)


def test_photos_are_stored_once_each_and_equal_the_plain_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Photos (one placed twice) give the same picture parts, ids and relationships as docxtpl,
    each stored once, JPEG and PNG without deflating them again."""
    photos = [photo(1), photo(2), photo(1), photo(3, kind="PNG")]
    case = with_photos(scenario_case("example-initial", tmp_path), photos)
    for template, context in documents_of(case, monkeypatch):
        assert_same_document(template, context)
    story = pipeline.template_path(DEFAULT_CONFIG, pipeline.WORDS_AND_PICTURES)
    context = build_context(case, pipeline.document_settings()[0])
    with zipfile.ZipFile(io.BytesIO(sos_docs_render(story, context))) as archive:
        media = [i for i in archive.infolist() if i.filename.startswith("word/media/")]
    assert len(media) == 3  # photo 1 once
    assert all(i.compress_type == zipfile.ZIP_STORED for i in media)


@pytest.fixture(scope="module")
def picture_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template with a picture of its own in the body and `{{ pic }}` in the header, the
    body and the footer: pictures added beside the template's, in parts with and without
    relationships of their own."""
    folder = tmp_path_factory.mktemp("pictures")
    (folder / "own.png").write_bytes(photo(7, kind="PNG"))
    document = docx.Document()
    document.add_picture(str(folder / "own.png"), width=Cm(3))
    document.add_paragraph("Before {{ pic }} after {{ text }}")
    document.sections[0].header.paragraphs[0].add_run("{{ pic }} {{ text }}")
    document.sections[0].footer.paragraphs[0].add_run("{{ other }}")
    path = folder / "pictures.docx"
    document.save(path)
    return path


@pytest.mark.parametrize("same_as_templates", [False, True], ids=["new", "template's own"])
def test_pictures_in_headers_and_beside_the_templates_own_are_the_plain_renders(
    picture_template: Path, same_as_templates: bool
) -> None:
    """Pictures in the header, body and footer, one of them the template's own picture."""
    pic = photo(7, kind="PNG") if same_as_templates else photo(8)
    context: dict[str, object] = {
        "pic": Picture(pic, "png", 1, "A1", description="a picture"),
        "other": Picture(photo(9), "jpeg", 2, "A2"),
        "text": "Zoë & <co>",
    }
    assert_same_document(picture_template, context)


@pytest.fixture(scope="module")
def text_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template printing {{ x }} in a paragraph, a table cell, the header, the footer and
    the title."""
    document = docx.Document()
    document.add_paragraph("{{ x }}")
    document.add_table(rows=1, cols=1).rows[0].cells[0].paragraphs[0].add_run("[{{ x }}]")
    document.sections[0].header.paragraphs[0].add_run("{{ x }}")
    document.sections[0].footer.paragraphs[0].add_run("{{ x }}")
    document.core_properties.title = "About {{ x }}"
    path = tmp_path_factory.mktemp("text") / "text.docx"
    document.save(path)
    return path


_AWKWARD = st.sampled_from(
    ["&", "<", ">", '"', "'", "\n", "\t", "\r\n", "\u200f", "\u202e", "{{", "}}", "{_%", "]]>"]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.lists(st.text(max_size=12) | _AWKWARD, max_size=8).map("".join))
def test_any_cell_text_gives_the_plain_renders_document(value: str, text_template: Path) -> None:
    """Open-ended text (markup characters, quotes, line breaks, tabs, RTL marks, any unicode)
    gives the same members in the body, a table, the header, the footer and the title."""
    assert_same_document(text_template, {"x": value})


def test_a_document_property_over_255_characters_is_shortened(text_template: Path) -> None:
    """A 500-character value in the title is cut to Word's 255 characters with an ellipsis (it
    made the document impossible to make), the same on both paths."""
    context: dict[str, object] = {"x": "R" * 500}
    title = docx.Document(io.BytesIO(sos_docs_render(text_template, context))).core_properties.title
    assert title == "About " + "R" * 248 + "…"
    assert_same_document(text_template, context)


def test_a_template_without_document_properties_is_rendered_the_python_docx_way(
    text_template: Path, tmp_path: Path
) -> None:
    """A template the new path does not fit (no docProps/core.xml) is made as before, and
    gives the plain render's document."""
    bare = tmp_path / "bare.docx"
    with zipfile.ZipFile(text_template) as source, zipfile.ZipFile(bare, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                continue
            if info.filename == "_rels/.rels":
                root = etree.fromstring(data)
                for rel in list(root):
                    if rel.get("Target", "").endswith("core.xml"):
                        root.remove(rel)
                data = etree.tostring(root)
            target.writestr(info, data)
    assert render._COMPILED.get(bare).layout is None
    made = members(render.render_document(bare, {"x": "Zoë & <co>"}).data)
    plain = members(plain_render(bare, {"x": "Zoë & <co>"}))
    # python-docx makes new document properties stamped with the time: compared without them
    assert made.pop("docProps/core.xml") and plain.pop("docProps/core.xml")
    assert made == plain


# ---- LibreOffice


@pytest.fixture
def documents_with_photos(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example's story with two photos, made the new way, as a file."""
    case = with_photos(scenario_case("example-initial", tmp_path), [photo(1), photo(2)])
    story = pipeline.template_path(DEFAULT_CONFIG, pipeline.WORDS_AND_PICTURES)
    path = tmp_path / "story.docx"
    path.write_bytes(sos_docs_render(story, build_context(case, pipeline.document_settings()[0])))
    yield path


@needs_libreoffice
def test_a_document_written_the_new_way_converts_in_libreoffice(
    converter: PdfConverter, documents_with_photos: Path, tmp_path: Path
) -> None:
    """LibreOffice opens the document (stored photos, copied members) and makes a PDF of it."""
    written = converter.convert(documents_with_photos, tmp_path / "story.pdf")
    assert written.read_bytes().startswith(b"%PDF-")
    assert written.stat().st_size > 10_000  # pages with pictures, not an empty document


# ---- a template compiled by its check


def test_a_checked_template_renders_the_plain_documents_without_compiling_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service checks its templates in the worker that makes the first documents: the
    check keeps each template compiled, and the renders after it take that one (no second
    compile) and give the same documents as docxtpl's."""
    documents = documents_of(scenario_case("example-initial", tmp_path), monkeypatch)
    templates = {template for template, _ in documents}
    render._COMPILED.clear()
    for template in templates:
        assert render.check_template(template) == []

    def compiled_again(template: Path, data: bytes) -> object:
        raise AssertionError(f"{template.name} was compiled again")

    monkeypatch.setattr(render, "_compile", compiled_again)
    for template, context in documents:
        assert_same_document(template, context)
    render._COMPILED.clear()


def test_a_template_edited_after_its_check_is_compiled_afresh(tmp_path: Path) -> None:
    """What the check kept is keyed by the bytes it read: an edited template is compiled anew."""
    template = tmp_path / "template.docx"
    story = pipeline.template_path(DEFAULT_CONFIG, pipeline.WORDS_AND_PICTURES)
    template.write_bytes(story.read_bytes())
    render.check_template(template)
    checked = render._COMPILED.get(template)
    document = docx.Document(io.BytesIO(story.read_bytes()))
    document.add_paragraph("{{ case_reference }}")
    document.save(template)
    assert render._COMPILED.get(template) is not checked
