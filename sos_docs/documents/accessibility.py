"""Checks that a Word document (or template) can be read with a screen reader, on its XML alone.

Each check follows a WCAG 2.1 AA need that a .docx can meet or miss by itself: headings that
never skip a level (a screen reader user moves by headings), alt text on every picture, in line
with the text or floating, in the body, headers and footers (or the picture marked decorative),
a header row on every table, repeated on each page (so each cell is read with its column's
name), and the language and title set (the language picks the screen reader's voice, the title
is what a reader or PDF viewer announces). Nothing is rendered or changed: the checks read the
parts of the .docx, so they run on every document sos-docs makes and on a council's template.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped]

from sos_docs.errors import TemplateError

__all__ = ["CHECKS", "Finding", "check_docx"]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
DECORATIVE = "http://schemas.microsoft.com/office/drawing/2017/decorative"
VML = "urn:schemas-microsoft-com:vml"
DC = "http://purl.org/dc/elements/1.1/"
_NS = {"w": W, "wp": WP, "adec": DECORATIVE, "v": VML, "dc": DC}

# What each check asks, as listed in docs/accessibility.md.
CHECKS = {
    "headings": "Heading levels never skip: the first heading is level 1, and each heading is "
    "at most one level below the one before it.",
    "alt-text": "Every picture, in line with the text or floating, in the body, a header or a "
    "footer, has alt text (or is marked decorative).",
    "table-headers": "Every table's first row is a header row, repeated at the top of each page.",
    "language": "The language is set in the document's styles and in its properties.",
    "title": "The title is set in the document's properties.",
}

_MAIN_PART = "word/document.xml"
_STORY_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_HEADING_NAME = re.compile(r"heading ([1-9])")
_OFF = frozenset({"0", "false", "off"})
_QUOTED_CHARS = 50
# The parts read are small; a parser that never fetches or expands anything.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@dataclass(frozen=True)
class Finding:
    """One thing that makes a document harder to read with a screen reader, and how to fix it."""

    check: str  # a key of CHECKS
    message: str  # plain English: where, what, and what to do in Word


def check_docx(data: bytes, name: str = "the document") -> list[Finding]:
    """Every accessibility finding in a .docx's bytes, in the order of CHECKS.

    Raises TemplateError when the bytes are not a Word document.
    """
    parts = _Parts(data, name)
    body = parts.xml(_MAIN_PART)
    if body is None:
        raise TemplateError(f"{name} is not a Word document: it has no {_MAIN_PART}.")
    styles = parts.xml("word/styles.xml")
    core = parts.xml("docProps/core.xml")
    return [
        *_heading_findings(body, _heading_levels(styles)),
        *(f for part, root in parts.stories() for f in _picture_findings(part, root)),
        *_table_findings(body),
        *_language_findings(styles, core),
        *_title_findings(core),
    ]


class _Parts:
    """The XML parts of a .docx, parsed on request."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise TemplateError(f"{name} is not a Word document (it is not a .docx).") from exc
        self.names = set(self.archive.namelist())

    def xml(self, part: str) -> etree._Element | None:
        if part not in self.names:
            return None
        try:
            return etree.fromstring(self.archive.read(part), _PARSER)
        except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError) as exc:
            raise TemplateError(f"{self.name} is damaged: its {part} cannot be read.") from exc

    def stories(self) -> Iterator[tuple[str, etree._Element]]:
        """The body, headers, footers and notes: every part a picture can sit in."""
        for part in sorted(self.names):
            if _STORY_PARTS.fullmatch(part):
                root = self.xml(part)
                if root is not None:
                    yield part, root


def _text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def _quoted(text: str) -> str:
    short = text if len(text) <= _QUOTED_CHARS else text[: _QUOTED_CHARS - 1] + "…"
    return f"'{short}'"


# ---- headings


def _heading_levels(styles: etree._Element | None) -> dict[str, int]:
    """The heading level (1-9) of each paragraph style that is a heading, by style ID."""
    if styles is None:
        return {}
    own: dict[str, int] = {}
    based_on: dict[str, str] = {}
    for style in styles.iterfind("w:style[@w:type='paragraph']", _NS):
        style_id = style.get(f"{{{W}}}styleId", "")
        name = _val(style, "w:name").lower()
        found = _HEADING_NAME.fullmatch(name)
        outline = _val(style, "w:pPr/w:outlineLvl")
        if found:
            own[style_id] = int(found.group(1))
        elif outline.isdigit() and int(outline) < 9:
            own[style_id] = int(outline) + 1
        parent = _val(style, "w:basedOn")
        if parent:
            based_on[style_id] = parent
    levels = dict(own)
    for style_id in based_on:  # a style based on a heading is a heading of that level
        seen, ancestor = {style_id}, based_on.get(style_id, "")
        while style_id not in levels and ancestor and ancestor not in seen:
            if ancestor in own:
                levels[style_id] = own[ancestor]
            seen.add(ancestor)
            ancestor = based_on.get(ancestor, "")
    return levels


def _val(element: etree._Element, path: str) -> str:
    found = element.find(path, _NS)
    return "" if found is None else str(found.get(f"{{{W}}}val", ""))


def _heading_findings(body: etree._Element, levels: dict[str, int]) -> Iterator[Finding]:
    previous = 0
    for paragraph in body.iter(f"{{{W}}}p"):
        level = _paragraph_level(paragraph, levels)
        if level is None:
            continue
        if level > previous + 1:
            after = f"after a Heading {previous}" if previous else "as the first heading"
            yield Finding(
                "headings",
                f"The heading {_quoted(_text(paragraph))} is a Heading {level} {after}, so "
                f"a Heading {previous + 1} is skipped. Give it the Heading {previous + 1} "
                "style, or add the missing heading above it.",
            )
        previous = level


def _paragraph_level(paragraph: etree._Element, levels: dict[str, int]) -> int | None:
    outline = _val(paragraph, "w:pPr/w:outlineLvl")
    if outline.isdigit():
        return int(outline) + 1 if int(outline) < 9 else None  # 9 is "body text"
    return levels.get(_val(paragraph, "w:pPr/w:pStyle"))


# ---- pictures


def _picture_findings(part: str, root: etree._Element) -> Iterator[Finding]:
    where = _part_name(part)
    for properties in root.iter(f"{{{WP}}}docPr"):
        if (properties.get("descr") or "").strip() or _decorative(properties):
            continue
        placed = "in line with the text" if _is_inline(properties) else "floating"
        name = properties.get("name") or "without a name"
        yield Finding(
            "alt-text",
            f"The picture {_quoted(name)} ({placed}) in {where} has no alt text. In Word, "
            "right-click it, choose Edit Alt Text and describe what it shows, or mark it as "
            "decorative if it only decorates the page.",
        )
    for shape in root.iter(f"{{{VML}}}shape"):  # pictures from older versions of Word
        if shape.find("v:imagedata", _NS) is not None and not (shape.get("alt") or "").strip():
            yield Finding(
                "alt-text",
                f"An older-style picture in {where} has no alt text. In Word, right-click it, "
                "choose Edit Alt Text and describe what it shows.",
            )


def _is_inline(properties: etree._Element) -> bool:
    return str(etree.QName(properties.getparent()).localname) == "inline"


def _decorative(properties: etree._Element) -> bool:
    mark = properties.find(".//adec:decorative", _NS)
    return mark is not None and mark.get("val", "1").lower() not in _OFF


def _part_name(part: str) -> str:
    kind = re.sub(r"\d+$", "", part.removeprefix("word/").removesuffix(".xml"))
    return {"document": "the text"}.get(kind, f"a {kind.removesuffix('s')}")


# ---- tables


def _table_findings(body: etree._Element) -> Iterator[Finding]:
    for number, table in enumerate(body.iter(f"{{{W}}}tbl"), 1):
        first = table.find("w:tr", _NS)
        if first is None:
            continue
        header = first.find("w:trPr/w:tblHeader", _NS)
        if header is not None and header.get(f"{{{W}}}val", "1").lower() not in _OFF:
            continue
        starts = " ".join(_text(cell) for cell in first.iterfind("w:tc", _NS)).strip()
        reads = f"its first row reads {_quoted(starts)}" if starts else "its first row is empty"
        yield Finding(
            "table-headers",
            f"Table {number} ({reads}) has no header row. Give it a first "
            "row naming each column, then select that row and tick 'Repeat as header row at the "
            "top of each page' (Table Properties, Row).",
        )


# ---- language and title


def _language_findings(
    styles: etree._Element | None, core: etree._Element | None
) -> Iterator[Finding]:
    default = None if styles is None else styles.find("w:docDefaults/w:rPrDefault/w:rPr", _NS)
    if default is None or not _val(default, "w:lang").strip():
        yield Finding(
            "language",
            "The document's default language is not set in its styles. In Word, select all "
            "(Ctrl+A), choose Review, Language, Set Proofing Language, pick English (United "
            "Kingdom) and click Set As Default.",
        )
    if not _core_value(core, "dc:language"):
        yield Finding(
            "language",
            "The document's properties give no language. Set it (for example en-GB) in "
            "File, Info, Properties, Advanced Properties.",
        )


def _title_findings(core: etree._Element | None) -> Iterator[Finding]:
    if not _core_value(core, "dc:title"):
        yield Finding(
            "title",
            "The document has no title in its properties, so a screen reader or PDF viewer "
            "announces its file name instead. Set the Title in File, Info, Properties.",
        )


def _core_value(core: etree._Element | None, path: str) -> str:
    return "" if core is None else (core.findtext(path, "", _NS) or "").strip()
