"""docxtpl's private render steps, wrapped: a template compiled once, rendered many times.

Everything sos-docs takes from docxtpl's and python-docx's internals is here, and nowhere else:
DocxTemplate's `fix_tables`, `patch_xml`, `get_xml`, `get_headers_footers`, `get_part_xml`,
`get_headers_footers_encoding`, `build_xml`, `build_headers_footers_xml`, `render_properties`,
`render_footnotes`, `resolve_listing`, `current_rendering_part` and `docx._part`, and
python-docx's part `_blob`. Written against docxtpl 0.20.2 and python-docx 1.2.0.

`FastRender` renders the same compiled parts straight onto the template's XML strings and
writes the zip itself (`_docx_package`), giving pictures python-docx's part names,
relationship ids and shape ids; from python-docx it takes the package's parts and
relationships as opened, `CT_Inline.new_pic_inline`, `CT_Relationships`, `CT_Types`,
`CoreProperties`, `PackURI` and `default_content_types`. The equivalence tests of
tests/test_fast_path.py and tests/documents/test_render_equivalence.py compare every part of
every document made these ways with a plain docxtpl render, on the shipped templates and odd
ones (tables whose grids need fixing, listings, footnotes, headers and footers, pictures);
run them after any upgrade of either.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import html
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import docx
import jinja2
from docx.image.image import Image as DocxImage
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import CT_Relationships, CT_Types, serialize_part_xml
from docx.opc.packuri import PACKAGE_URI, PackURI
from docx.opc.spec import default_content_types
from docx.oxml.ns import nsmap
from docx.oxml.shape import CT_Inline
from docxtpl import DocxTemplate
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree  # type: ignore[import-untyped]

from sos_docs.documents import sandbox
from sos_docs.documents._docx_package import Member, new_member, raw_members, write_zip
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
    layout: Layout | None = None  # None: the template is saved the plain way (python-docx)


# Shown each part's parsed tags before they are compiled, with the part's name ("body",
# "header", "footer", "footnotes", "document properties"): the template check's walk, so a
# check compiles the very template its first render uses (render.check_template).
PartInspector = Callable[[str, nodes.Template], None]


def compile_template(
    data: bytes,
    tpl: DocxTemplate,
    env: SandboxedEnvironment,
    picture_box: tuple[int, int],
    inspect: PartInspector | None = None,
) -> Compiled:
    """Compile each part docxtpl renders of a parsed template, as docxtpl would; Jinja's and
    docxtpl's own exceptions pass through for the caller to translate. Each part is parsed
    once: `inspect`, when given, sees its tags between the parse and the compile."""
    document = _without_body_content(docx.Document(io.BytesIO(data)))
    return Compiled(
        data=data,
        env=env,
        body=_compile_part(env, tpl.patch_xml(tpl.get_xml()), "body", inspect),
        headers=tuple(_compile_headers_footers(env, tpl, HEADER_URI, "header", inspect)),
        footers=tuple(_compile_headers_footers(env, tpl, FOOTER_URI, "footer", inspect)),
        footnotes=tuple(
            (
                str(part.partname),
                _compile_part(env, tpl.patch_xml(part.blob.decode("utf-8")), "footnotes", inspect),
            )
            for part in tpl.docx.part.package.parts
            if part.content_type == FOOTNOTES_TYPE
        ),
        properties=tuple(
            (name, _compiled(env, getattr(tpl.docx.core_properties, name) or "", inspect))
            for name in _PROPERTIES
        ),
        picture_box=picture_box,
        document=document,
        layout=package_layout(data, document, _story(tpl.docx.part).next_id),
    )


def _compiled(
    env: SandboxedEnvironment,
    source: str,
    inspect: PartInspector | None,
    part: str = "document properties",
) -> jinja2.Template:
    """`env.from_string(source)`, parsed first so `inspect` sees the tags (the same template:
    Jinja compiles a string by parsing it, then compiling the tree)."""
    tree = env.parse(source)
    if inspect is not None:
        inspect(part, tree)
    return env.from_string(tree)


def _without_body_content(document: Any) -> Any:
    """The document with an empty body: every render replaces the body with its own, and
    copying, then freeing, the template's body took a fifth of a render."""
    body = document.element.body
    for child in list(body):
        body.remove(child)
    return document


def _compile_headers_footers(
    env: SandboxedEnvironment,
    tpl: DocxTemplate,
    uri: str,
    name: str,
    inspect: PartInspector | None,
) -> Iterator[tuple[str, _Part]]:
    for rel_id, part in tpl.get_headers_footers(uri):
        xml = tpl.get_part_xml(part)
        encoding = tpl.get_headers_footers_encoding(xml)
        yield rel_id, _compile_part(env, tpl.patch_xml(xml), name, inspect, encoding)


def _compile_part(
    env: SandboxedEnvironment,
    patched: str,
    name: str,
    inspect: PartInspector | None,
    encoding: str = "utf-8",
) -> _Part:
    """docxtpl's render_xml_part up to the compile: a line per paragraph, for error context."""
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
    try:
        return _Part(source, _compiled(env, source, inspect, name), encoding)
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


class _PartRenderer:
    """docxtpl's render_xml_part from the compiled template on, shared by both ways of rendering."""

    current_rendering_part: object = None
    # docxtpl's resolve_listing reads nothing but its argument.
    resolve_listing = DocxTemplate.resolve_listing

    def _render_part(self, part: _Part, docx_part: object, context: Mapping[str, Any]) -> str:
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


class CompiledDocxTemplate(_PartRenderer, SafeDocxTemplate):
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


# ---------------------------------------------------------------------------------------------
# Rendering straight onto the template's XML strings, written without python-docx's save

_IMAGE_RELATIONSHIP = RT.IMAGE
_DECLARATION = b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
_FIRST_DOCPR_ID = 1000  # docxtpl's fix_docpr_ids numbers the body's pictures from 1001
_DOCPR = etree.XPath("//wp:docPr", namespaces={"wp": nsmap["wp"]})


@dataclass(frozen=True)
class _Story:
    """A part pictures can be put in (the body, a header, a footer), as the template has it."""

    partname: PackURI
    rels: tuple[tuple[str, str, str, bool], ...]  # (rId, type, target, external), in order
    next_id: int  # python-docx's next shape id for a picture in this part


@dataclass(frozen=True)
class Layout:
    """What a template's package looks like, worked out once: the members copied as they are,
    where the rendered body goes, and what each render needs to add pictures the way
    python-docx would (the same part names, relationship ids and content types)."""

    members: Mapping[str, Member]  # the template's zip members, compressed bytes as stored
    order: tuple[str, ...]  # the members python-docx would write, in its order
    defaults: Mapping[str, str]  # content types: by extension
    overrides: Mapping[str, str]  # content types: by part name
    body_around: tuple[bytes, bytes]  # document.xml before and after the body
    root_namespaces: frozenset[str]  # ' xmlns:p="uri"' declared on document.xml's root
    document: _Story
    stories: Mapping[str, _Story]  # headers and footers, by relationship id
    core_member: str
    core: Any  # the core properties element, never changed: each render copies it
    image_parts: Mapping[str, PackURI]  # the template's pictures, by SHA-1
    image_numbers: tuple[int | None, ...]


def package_layout(data: bytes, document: Any, body_next_id: int) -> Layout | None:
    """The template's layout, or None when it is unusual enough to be saved the plain way
    (no core properties, a header not in UTF-8, members python-docx names differently, a zip
    this module does not copy)."""
    members = raw_members(data)
    package = document.part.package
    around = etree.tostring(document.element, encoding="UTF-8", standalone=True).split(b"<w:body/>")
    core_rels = [r for r in package.rels.values() if r.reltype == RT.CORE_PROPERTIES]
    if members is None or len(around) != 2 or len(core_rels) != 1:
        return None
    order = ["[Content_Types].xml", PACKAGE_URI.rels_uri.membername]
    defaults = {"rels": CT.OPC_RELATIONSHIPS, "xml": CT.XML}
    overrides: dict[str, str] = {}
    for part in package.iter_parts():
        order.append(part.partname.membername)
        if len(part.rels):
            order.append(part.partname.rels_uri.membername)
        _add_content_type(defaults, overrides, part.partname, part.content_type)
    if any(name not in members for name in order[1:]):
        return None
    stories = {}
    for rel_id, rel in document.part.rels.items():
        if rel.reltype in (HEADER_URI, FOOTER_URI) and rel.target_part.blob:
            if (
                rel.target_part.blob.startswith(b"<?xml")
                and b"UTF-8" not in rel.target_part.blob[:60].upper()
            ):
                return None
            stories[rel_id] = _story(rel.target_part)
    return Layout(
        members=members,
        order=tuple(order),
        defaults=defaults,
        overrides=overrides,
        body_around=(around[0], around[1]),
        root_namespaces=frozenset(
            _DECLARATION_TEXT.findall(
                around[0][around[0].find(b"<w:document") :].decode("utf-8").split(">")[0]
            )
        ),
        # python-docx numbers a new picture from the ids of the whole template, body included
        document=dataclasses.replace(_story(document.part), next_id=body_next_id),
        stories=stories,
        core_member=core_rels[0].target_part.partname.membername,
        core=core_rels[0].target_part.element,
        image_parts={hashlib.sha1(p.blob).hexdigest(): p.partname for p in package.image_parts},
        image_numbers=tuple(p.partname.idx for p in package.image_parts),
    )


def _story(part: Any) -> _Story:
    used = [int(i) for i in part.element.xpath("//@id") if i.isdigit()]
    return _Story(
        partname=part.partname,
        rels=tuple((r.rId, r.reltype, r.target_ref, r.is_external) for r in part.rels.values()),
        next_id=max(used) + 1 if used else 1,
    )


def _add_content_type(
    defaults: dict[str, str], overrides: dict[str, str], partname: PackURI, content_type: str
) -> None:
    """A part's content type as a default for its extension, or else an override, as the OPC
    writer python-docx uses decides."""
    if (partname.ext.lower(), content_type) in default_content_types:
        defaults[partname.ext.lower()] = content_type
    else:
        overrides[str(partname)] = content_type


class _StoryPictures:
    """Pictures put into one part during a render: relationship ids given as python-docx
    gives them (the first unused rIdN), one per picture part."""

    def __init__(self, story: _Story, media: _Media) -> None:
        self.story = story
        self.media = media
        self.used = {rel[0] for rel in story.rels}
        self.images = {
            (PackURI.from_rel_ref(story.partname.baseURI, target)): rel_id
            for rel_id, kind, target, external in story.rels
            if kind == _IMAGE_RELATIONSHIP and not external
        }
        self.added: list[tuple[str, str, str, bool]] = []
        self._next = 1

    def new_pic_inline(self, descriptor: io.BytesIO, width: int, height: int) -> Any:
        """python-docx's StoryPart.new_pic_inline, each picture hashed once, rels kept in a dict."""
        image, partname = self.media.part_for(descriptor.getvalue())
        rel_id = self.images.get(partname)
        if rel_id is None:
            while f"rId{self._next}" in self.used:
                self._next += 1
            rel_id = f"rId{self._next}"
            self.used.add(rel_id)
            self.images[partname] = rel_id
            target = partname.relative_ref(self.story.partname.baseURI)
            self.added.append((rel_id, _IMAGE_RELATIONSHIP, target, False))
        cx, cy = image.scaled_dimensions(width, height)
        return CT_Inline.new_pic_inline(self.story.next_id, rel_id, image.filename, cx, cy)

    def rels_xml(self) -> bytes | None:
        """The part's relationships with the pictures added, or None when none were."""
        if not self.added:
            return None
        rels = CT_Relationships.new()
        for rel_id, kind, target, external in (*self.story.rels, *self.added):
            rels.add_rel(rel_id, kind, target, external)
        return bytes(rels.xml)


class _Media:
    """The picture parts of one document: the template's, and those a render adds, each found
    by its SHA-1 (computed once per picture, not once per picture already added)."""

    def __init__(self, layout: Layout) -> None:
        self.by_sha1: dict[str, PackURI] = dict(layout.image_parts)
        self.numbers = set(layout.image_numbers)
        self.seen: dict[bytes, tuple[DocxImage, PackURI]] = {}
        self.added: list[tuple[PackURI, str, bytes]] = []  # (part name, content type, bytes)
        self._next = 1

    def part_for(self, data: bytes) -> tuple[DocxImage, PackURI]:
        found = self.seen.get(data)
        if found is None:
            image = DocxImage.from_blob(data)
            sha1 = hashlib.sha1(data).hexdigest()
            partname = self.by_sha1.get(sha1)
            if partname is None:
                partname = self.by_sha1[sha1] = self._new_partname(image.ext)
                self.added.append((partname, image.content_type, data))
            found = self.seen[data] = (image, partname)
        return found

    def _new_partname(self, ext: str) -> PackURI:
        # python-docx's choice: the lowest number no picture part has
        while self._next in self.numbers:
            self._next += 1
        self.numbers.add(self._next)
        return PackURI(f"/word/media/image{self._next}.{ext}")


class FastRender(_PartRenderer):
    """One render of a compiled template straight onto its XML, written as a zip in which the
    template's unchanged members keep their compressed bytes."""

    def __init__(self, compiled: Compiled, layout: Layout) -> None:
        self.compiled = compiled
        self.layout = layout
        self.media = _Media(layout)

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The document's bytes; RenderError when the rendered XML is not well formed."""
        layout = self.layout
        changed: dict[str, bytes] = {}
        stories: dict[str, _StoryPictures] = {}
        body = _StoryPictures(layout.document, self.media)
        stories[layout.document.partname.membername] = body
        changed[layout.document.partname.membername] = self._document(
            self._render_part(self.compiled.body, body, context)
        )
        for rel_id, part in (*self.compiled.headers, *self.compiled.footers):
            story = layout.stories[rel_id]
            pictures = stories[story.partname.membername] = _StoryPictures(story, self.media)
            xml = self._render_part(part, pictures, context).encode("utf-8")
            _well_formed(xml)
            changed[story.partname.membername] = _DECLARATION + xml
        for partname, part in self.compiled.footnotes:
            xml = self._render_part(part, None, context).encode("utf-8")
            _well_formed(xml)
            changed[PackURI(partname).membername] = xml
        changed[layout.core_member] = self._core(context)
        for name, pictures in stories.items():
            rels = pictures.rels_xml()
            if rels is not None:
                changed[PackURI("/" + name).rels_uri.membername] = rels
        return self._zip(changed)

    def _document(self, xml: str) -> bytes:
        """document.xml with the rendered body, checked to be well formed, and docxtpl's table
        and picture id fixes where there is anything to fix."""
        before, after = self.layout.body_around
        tree = _well_formed(xml)
        if not grids_need_fixing(tree):
            spliced = _numbered_pictures(xml, tree, self.layout.root_namespaces)
            if spliced is not None:
                body = _without_repeated_namespaces(spliced.encode("utf-8"), before)
                return b"".join((before, body, after))
            numbered = tree
        else:
            numbered = DocxTemplate.fix_tables(self, xml)
        for number, element in enumerate(_DOCPR(numbered), start=_FIRST_DOCPR_ID + 1):
            element.attrib["id"] = str(number)
        # Put into the document as docxtpl does (lxml then drops the declarations the body
        # and its pictures repeat), for the very same bytes.
        document = etree.fromstring(before + b"<w:body/>" + after)
        document.replace(document.find(f"{_W}body"), numbered)
        return bytes(etree.tostring(document, encoding="UTF-8", standalone=True))

    def _core(self, context: Mapping[str, Any]) -> bytes:
        element = copy.deepcopy(self.layout.core)
        props = CoreProperties(element)
        for name, template in self.compiled.properties:
            setattr(props, name, plain_property(sandbox.render_bounded(template, context)))
        return bytes(etree.tostring(element, encoding="UTF-8", standalone=True))

    def _zip(self, changed: Mapping[str, bytes]) -> bytes:
        layout = self.layout
        defaults = dict(layout.defaults)
        overrides = dict(layout.overrides)
        for partname, content_type, _ in self.media.added:
            _add_content_type(defaults, overrides, partname, content_type)
        types = CT_Types.new()  # type: ignore[no-untyped-call]
        for ext in sorted(defaults):
            types.add_default(ext, defaults[ext])
        for name in sorted(overrides):
            types.add_override(name, overrides[name])
        new = {**changed, "[Content_Types].xml": serialize_part_xml(types)}
        members = [
            new_member(name, new[name]) if name in new else layout.members[name]
            for name in layout.order
        ]
        members += [new_member(p.membername, data) for p, _, data in self.media.added]
        members += [  # relationships of a part that had none
            new_member(name, data) for name, data in new.items() if name not in layout.order
        ]
        return write_zip(members)


_BODY_START = re.compile(rb'<w:body((?: xmlns:[A-Za-z0-9_.-]+="[^"]*")*)>')
_DECLARED = re.compile(rb' xmlns:[A-Za-z0-9_.-]+="[^"]*"')


def _without_repeated_namespaces(body: bytes, before: bytes) -> bytes:
    """The body without the namespace declarations its start tag repeats from the document's.

    The body was cut from the document, so its start tag declares every namespace again;
    python-docx (putting the body back into the document with lxml) drops them, and so, for
    the same bytes, does this. Any declaration the document lacks keeps them all.
    """
    start = _BODY_START.match(body)
    if start is None:
        return body
    declared = set(_DECLARED.findall(before[: before.find(b">", before.find(b"<w:document"))]))
    if not set(_DECLARED.findall(start.group(1))) <= declared:
        return body
    return b"<w:body>" + body[start.end() :]


_DOCPR_START = re.compile(r'<wp:docPr ((?:[^>]*? )?)id="[^"]*"')
_INLINE_START = re.compile(r"<wp:inline((?: xmlns:[A-Za-z0-9_.-]+=\"[^\"]*\")*)")
_INLINE = etree.XPath("//wp:inline", namespaces={"wp": nsmap["wp"]})


def _numbered_pictures(xml: str, tree: Any, root_namespaces: frozenset[str]) -> str | None:
    """The rendered body with docxtpl's picture ids (1001 on, in document order) and without
    the namespace declarations a picture repeats from the document, as lxml would leave it
    when docxtpl puts the body into the document; None when the text does not show every
    picture exactly as the parsed tree has it (a comment holding such markup, another prefix).

    Numbering the parsed tree instead means writing the whole body out again: about a
    millisecond of a large report.
    """
    pictures = _DOCPR(tree)
    inlines = _INLINE(tree)
    if xml.count("<wp:docPr ") != len(pictures) or xml.count("<wp:inline") != len(inlines):
        return None
    if any(e.prefix != "wp" for e in (*pictures, *inlines)):
        return None
    numbers = iter(range(_FIRST_DOCPR_ID + 1, _FIRST_DOCPR_ID + 1 + len(pictures)))
    numbered, found = _DOCPR_START.subn(
        lambda m: f'<wp:docPr {m.group(1)}id="{next(numbers)}"', xml
    )
    if found != len(pictures):  # a picture without an id: docxtpl gives it one
        return None

    def kept(match: re.Match[str]) -> str:
        own = [d for d in _DECLARATION_TEXT.findall(match.group(1)) if d not in root_namespaces]
        return "<wp:inline" + "".join(own)

    return _INLINE_START.sub(kept, numbered)


_DECLARATION_TEXT = re.compile(r' xmlns:[A-Za-z0-9_.-]+="[^"]*"')


def _well_formed(xml: str | bytes) -> Any:
    """The parsed XML; RenderError when it is not well formed."""
    try:
        return etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        raise RenderError(
            f"The rendered document is not valid Word XML ({exc}). "
            "This is a fault in the template or in sos-docs; please report it."
        ) from exc
