"""docxtpl's private render steps, wrapped: a template compiled once, rendered many times.

Everything sos-docs takes from docxtpl's and python-docx's internals is here, and nowhere else:
DocxTemplate's `fix_tables`, `patch_xml`, `get_xml`, `get_headers_footers`, `get_part_xml`,
`get_headers_footers_encoding`, `build_xml`, `build_headers_footers_xml`, `render_properties`,
`render_footnotes`, `resolve_listing`, `current_rendering_part` and `docx._part`, and
python-docx's part `_blob`. Written against docxtpl 0.20.2 and python-docx 1.2.0. The render
equivalence tests of tests/test_fast_path.py compare every part of every document made this way
with a plain docxtpl render, on the shipped templates and odd ones (tables whose grids need
fixing, listings, footnotes, headers and footers); run them after any upgrade of either.
"""

from __future__ import annotations

import copy
import html
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import docx
import jinja2
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree  # type: ignore[import-untyped]

from sos_docs.documents import sandbox
from sos_docs.errors import RenderError

HEADER_URI = DocxTemplate.HEADER_URI
FOOTER_URI = DocxTemplate.FOOTER_URI
FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
# The core properties docxtpl renders as templates (DocxTemplate.render_properties).
_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
# docxtpl's resolve_listing works paragraph by paragraph on these characters.
_LISTING_CHARACTERS = re.compile("[\t\a\n\f]")


class SafeDocxTemplate(DocxTemplate):  # type: ignore[misc]
    """docxtpl, but rendered XML that is not well formed is an error instead of being repaired.

    docxtpl parses the rendered body with lxml's `recover=True`, which silently drops what it
    cannot parse; a report with text quietly missing is worse than no report.
    """

    def fix_tables(self, xml: str) -> object:
        try:
            tree = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            raise RenderError(
                f"The rendered document is not valid Word XML ({exc}). "
                "This is a fault in the template or in sos-docs; please report it."
            ) from exc
        # docxtpl would parse the XML again to fix the column grids; where no grid needs it
        # (no `{%tc %}` loop changed a table's width) its result is this very tree.
        return super().fix_tables(xml) if grids_need_fixing(tree) else tree

    def render_properties(self, context: Mapping[str, Any], jinja_env: object = None) -> None:
        if jinja_env is None:  # docxtpl's own default: an unsandboxed Environment
            raise RenderError("Document properties are only rendered in the sandbox.")
        props = self.docx.core_properties
        for name in _PROPERTIES:
            template = jinja_env.from_string(getattr(props, name) or "")  # type: ignore[attr-defined]
            setattr(props, name, plain_property(template.render(context)))


# Word and python-docx hold a document property to 255 characters.
PROPERTY_MAX_CHARS = 255


def plain_property(rendered: str) -> str:
    """A rendered document property as plain text, cut to the 255 characters a property holds.

    The sandbox escapes every value for XML, as the body needs; a property is plain text
    (python-docx escapes it when saving), so the escapes are undone: "Leo's story", not
    "Leo&#39;s story". A longer value (a 500-character case reference as the subject) ends
    in an ellipsis rather than stopping the document.
    """
    text = html.unescape(rendered)
    if len(text) <= PROPERTY_MAX_CHARS:
        return text
    return text[: PROPERTY_MAX_CHARS - 1] + "\u2026"


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def grids_need_fixing(tree: Any) -> bool:
    """Whether docxtpl's fix_tables would change a table: a row with more cells than grid
    columns, or no row as wide as the grid (cells counted with their gridSpan), or no grid."""
    for table in tree.iter(f"{_W}tbl"):
        grid = table.find(f"{_W}tblGrid")
        if grid is None:
            return True  # docxtpl's own code decides what happens to such a table
        columns = len(grid.findall(f"{_W}gridCol"))
        most_cells = max((len(row.findall(f"{_W}tc")) for row in table.iter(f"{_W}tr")), default=0)
        if most_cells > columns:
            return True
        widest = _widest_spanned_row(table) if _SPANS(table) else most_cells
        if widest < columns:
            return True
    return False


# Any gridSpan in a table's cells (also in tables nested in it, which docxtpl counts too).
_SPANS = etree.XPath("boolean(.//w:tc/w:tcPr/w:gridSpan)", namespaces={"w": _W[1:-1]})


def _widest_spanned_row(table: Any) -> int:
    """The widest row of a table, each cell counted as the columns its gridSpan gives."""
    return max(
        (sum(_grid_span(cell) for cell in row.findall(f"{_W}tc")) for row in table.iter(f"{_W}tr")),
        default=0,
    )


def _grid_span(cell: Any) -> int:
    span = cell.find(f"{_W}tcPr/{_W}gridSpan")
    return 1 if span is None else int(span.get(f"{_W}val"))


# ---------------------------------------------------------------------------------------------
# Templates compiled once


@dataclass(frozen=True)
class _Part:
    """One XML part's Jinja source, as docxtpl prepares it for rendering, and its compiled form."""

    source: str
    template: jinja2.Template
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Compiled:
    """A template file parsed and compiled once: everything a render of it starts from."""

    data: bytes
    env: SandboxedEnvironment
    body: _Part
    headers: tuple[tuple[str, _Part], ...]  # (relationship id, part)
    footers: tuple[tuple[str, _Part], ...]
    footnotes: tuple[tuple[str, _Part], ...]  # (part name, part)
    properties: tuple[tuple[str, jinja2.Template], ...]
    picture_box: tuple[int, int]
    document: Any  # the template as python-docx opened it, never changed: each render copies it


def compile_template(
    data: bytes, tpl: DocxTemplate, env: SandboxedEnvironment, picture_box: tuple[int, int]
) -> Compiled:
    """Compile each part docxtpl renders of a parsed template, as docxtpl would; Jinja's and
    docxtpl's own exceptions pass through for the caller to translate."""
    return Compiled(
        data=data,
        env=env,
        body=_compile_part(env, tpl.patch_xml(tpl.get_xml())),
        headers=tuple(_compile_headers_footers(env, tpl, HEADER_URI)),
        footers=tuple(_compile_headers_footers(env, tpl, FOOTER_URI)),
        footnotes=tuple(
            (str(part.partname), _compile_part(env, tpl.patch_xml(part.blob.decode("utf-8"))))
            for part in tpl.docx.part.package.parts
            if part.content_type == FOOTNOTES_TYPE
        ),
        properties=tuple(
            (name, env.from_string(getattr(tpl.docx.core_properties, name))) for name in _PROPERTIES
        ),
        picture_box=picture_box,
        document=_without_body_content(docx.Document(io.BytesIO(data))),
    )


def template_sources(tpl: DocxTemplate) -> Iterator[tuple[str, str]]:
    """The Jinja source of each part docxtpl renders, as docxtpl prepares it."""
    yield "body", tpl.patch_xml(tpl.get_xml())
    for part_name, uri in (("header", HEADER_URI), ("footer", FOOTER_URI)):
        for _, part in tpl.get_headers_footers(uri):
            yield part_name, tpl.patch_xml(tpl.get_part_xml(part))
    for part in tpl.docx.part.package.parts:
        if part.content_type == FOOTNOTES_TYPE:
            yield "footnotes", tpl.patch_xml(part.blob.decode("utf-8"))
    props = tpl.docx.core_properties
    for name in _PROPERTIES:
        yield "document properties", getattr(props, name) or ""


def _without_body_content(document: Any) -> Any:
    """The document with an empty body: every render replaces the body with its own, and
    copying, then freeing, the template's body took a fifth of a render."""
    body = document.element.body
    for child in list(body):
        body.remove(child)
    return document


def _compile_headers_footers(
    env: SandboxedEnvironment, tpl: DocxTemplate, uri: str
) -> Iterator[tuple[str, _Part]]:
    for rel_id, part in tpl.get_headers_footers(uri):
        xml = tpl.get_part_xml(part)
        encoding = tpl.get_headers_footers_encoding(xml)
        yield rel_id, _compile_part(env, tpl.patch_xml(xml), encoding)


def _compile_part(env: SandboxedEnvironment, patched: str, encoding: str = "utf-8") -> _Part:
    """docxtpl's render_xml_part up to the compile: a line per paragraph, for error context."""
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
    try:
        return _Part(source, env.from_string(source), encoding)
    except jinja2.TemplateError as exc:
        _add_docx_context(exc, source)
        raise


def _add_docx_context(exc: jinja2.TemplateError, source: str) -> None:
    """The template text around a Jinja error's line, without tags, as docxtpl attaches it."""
    lineno = getattr(exc, "lineno", None)
    if lineno is not None:
        first = max(lineno - 4, 0)
        exc.docx_context = [  # type: ignore[attr-defined]
            re.sub(r"<[^>]+>", "", line) for line in source.splitlines()[first : first + 7]
        ]


class CompiledDocxTemplate(SafeDocxTemplate):
    """docxtpl's render steps on a fresh document, fed from the compiled parts."""

    def __init__(self, compiled: Compiled) -> None:
        super().__init__(io.BytesIO(compiled.data))
        self.compiled = compiled
        # A copy of the parsed template, not a fresh parse: the same objects, in half the time.
        self.docx = copy.deepcopy(compiled.document)

    def build_xml(self, context: Mapping[str, Any], jinja_env: object = None) -> str:
        return self._render_part(self.compiled.body, self.docx._part, context)

    def build_headers_footers_xml(
        self, context: Mapping[str, Any], uri: str, jinja_env: object = None
    ) -> Iterator[tuple[str, bytes]]:
        parts = self.compiled.headers if uri == HEADER_URI else self.compiled.footers
        for rel_id, part in parts:
            target = self.docx._part.rels[rel_id].target_part
            yield rel_id, self._render_part(part, target, context).encode(part.encoding)

    def render_properties(self, context: Mapping[str, Any], jinja_env: object = None) -> None:
        for name, template in self.compiled.properties:
            text = plain_property(sandbox.render_bounded(template, context))
            setattr(self.docx.core_properties, name, text)

    def render_footnotes(self, context: Mapping[str, Any], jinja_env: object = None) -> None:
        # Each footnotes part once: docxtpl renders them once per section, so a second pass
        # would run cell text printed by the first as template code.
        compiled = dict(self.compiled.footnotes)
        for part in self.docx.part.package.parts:
            found = compiled.get(str(part.partname))
            if found is not None and part.content_type == FOOTNOTES_TYPE:
                part._blob = self._render_part(found, part, context).encode("utf-8")

    def _render_part(self, part: _Part, docx_part: object, context: Mapping[str, Any]) -> str:
        """docxtpl's render_xml_part from the compiled template on."""
        self.current_rendering_part = docx_part
        try:
            xml = sandbox.render_bounded(part.template, context)
        except jinja2.TemplateError as exc:
            _add_docx_context(exc, part.source)
            raise
        # docxtpl's re.sub(r"\n<w:p([ >])", r"<w:p\1", xml), as two plain replacements.
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        xml = (
            xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        )
        return self._resolve_listings(xml)

    def _resolve_listings(self, xml: str) -> str:
        """docxtpl's resolve_listing for each paragraph that holds a tab or a line break.

        docxtpl rewrites every paragraph it finds with `<w:p(?: [^>]*)?>.*?</w:p>`; this finds
        the very same paragraphs with plain string searches and rewrites only those with one of
        the characters resolve_listing turns into Word's elements (the rest come back as they
        were), in about a third of the time on a long report.
        """
        pieces: list[str] = []
        copied = 0
        for start, end in _paragraphs_with_listings(xml):
            pieces += [xml[copied:start], str(self.resolve_listing(xml[start:end]))]
            copied = end
        pieces.append(xml[copied:])
        return "".join(pieces)


def _paragraphs_with_listings(xml: str) -> Iterator[tuple[int, int]]:
    """The spans of the paragraphs (found as docxtpl finds them) holding a listing character."""
    # Paragraphs are found from the start, one after another, as the expression finds them;
    # only their ends matter until the one holding the next listing character.
    span = _next_paragraph(xml, 0)
    given = None
    for match in _LISTING_CHARACTERS.finditer(xml):
        while span is not None and span[1] <= match.start():
            span = _next_paragraph(xml, span[1])
        if span is None:
            return
        if span[0] <= match.start() and span != given:
            given = span
            yield span


def _next_paragraph(xml: str, position: int) -> tuple[int, int] | None:
    """Where the next match of `<w:p(?: [^>]*)?>.*?</w:p>` (DOTALL) at or after `position` is."""
    while (start := xml.find("<w:p", position)) != -1:
        follower = xml[start + 4 : start + 5]
        if follower == ">":
            tag_end = start + 5
        elif follower == " ":
            tag_end = xml.find(">", start + 5) + 1
            if tag_end == 0:
                return None
        else:  # <w:pPr>, <w:pStyle ...>, <w:p/>: not the start of a match
            position = start + 4
            continue
        end = xml.find("</w:p>", tag_end)
        return None if end == -1 else (start, end + len("</w:p>"))
    return None
