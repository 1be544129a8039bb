"""Renders a docxtpl template with a context into .docx bytes, and checks a template's fields.

Cell text is data, never template code: templates run in a Jinja2 sandbox, every value is
escaped exactly once on its way out (so `&`, `<`, `{{ 7*7 }}` and `]]>` print as typed),
characters XML cannot hold are dropped, and line breaks become Word line breaks. Pictures are
scaled to fit the template's page, keeping their shape; a picture that cannot be read is left
out with a warning rather than stopping the document.

Each template is parsed and its Jinja compiled once per process (docxtpl would do both on every
render, docxtpl issue #110), keyed by its path and the hash of its bytes, so a template edited on
disk is compiled afresh. Every render still starts from a fresh python-docx document.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import logging
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docx.image.exceptions import InvalidImageStreamError, UnrecognizedImageError
from docx.image.image import Image as DocxImage
from docx.opc.exceptions import OpcError
from docx.shared import Cm, Emu
from docxtpl import DocxTemplate, InlineImage
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree  # type: ignore[import-untyped]
from markupsafe import Markup, escape
from PIL import Image, ImageOps

from sos_docs.documents._docxtpl_compiled import (
    FOOTER_URI,
    FOOTNOTES_TYPE,
    HEADER_URI,
    Compiled,
    CompiledDocxTemplate,
    SafeDocxTemplate,
    compile_template,
)
from sos_docs.documents.fields import FIELDS_BY_NAME, FieldKind, item_names, top_level_names
from sos_docs.errors import RenderError, TemplateError
from sos_docs.model import Picture

log = logging.getLogger(__name__)

# Characters XML 1.0 cannot hold (tab, line feed and carriage return are allowed).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Formats Word shows as they are; anything else Pillow can read is converted to PNG.
_WORD_FORMATS = frozenset({"PNG", "JPEG", "GIF"})
_MAX_PICTURE_PIXELS = 2400  # longest side kept; a phone photo needs no more at A4
_PICTURE_HEIGHT_SHARE = 0.55  # of the page's text height, so a picture fits under its words
# Filters that would let a template put raw markup (from cell text) into the document's XML.
_UNSAFE_FILTERS = ("safe", "urlize", "xmlattr")
_TEMPLATE_GLOBALS = frozenset({"loop", "caller", "varargs", "kwargs"})
# Filters whose result is the same list in another order or subset: loops over them keep
# the item fields of the list.
_LIST_KEEPING_FILTERS = frozenset({"sort", "reverse", "list", "unique", "selectattr", "rejectattr"})
_COMPILED_TEMPLATES_KEPT = 16


@dataclass(frozen=True)
class Rendered:
    """A rendered document's bytes and the warnings to report with it (e.g. unreadable pictures)."""

    data: bytes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnknownField:
    """A placeholder a template uses that is not a documented field, with the nearest one."""

    name: str  # as the template writes it, e.g. "d.statment"
    suggestion: str  # the nearest known field written the same way, or ""
    part: str = "body"  # body, header, footer, footnotes or document properties
    internal: bool = False  # reaches for Python's internals (`__class__`), which the sandbox stops

    @property
    def message(self) -> str:
        """One line for the person fixing the template."""
        if self.internal:
            return (
                f"'{self.name}' (in the {self.part}) reaches into the program's internals, "
                "which templates may not do; remove it."
            )
        text = f"'{self.name}' (in the {self.part}) is not a known template field"
        return f"{text}; did you mean '{self.suggestion}'?" if self.suggestion else f"{text}."


# ---------------------------------------------------------------------------------------------
# Rendering


def render_document(template: Path, context: Mapping[str, object]) -> Rendered:
    """Render a .docx template with a context (from `build_context`) into document bytes."""
    return render_documents([template], context)[0]


def render_documents(templates: Sequence[Path], context: Mapping[str, object]) -> list[Rendered]:
    """Render several templates with one context; text is cleaned and each picture converted
    once for all of them."""
    cleaned = _cleaned(context, "")
    ready: _ReadyImages = {}
    return [_render(_COMPILED.get(template), template, cleaned, ready) for template in templates]


def _render(compiled: Compiled, template: Path, cleaned: object, ready: _ReadyImages) -> Rendered:
    tpl = CompiledDocxTemplate(compiled)
    warnings: list[str] = []
    # A fresh copy for each document: a template may change lists it is given (the sandbox
    # allows `list.sort()`), and that must not reach the next document of the case.
    prepared = _for_document(cleaned, _Pictures(tpl, compiled.picture_box, warnings, ready))
    try:
        tpl.render(prepared, jinja_env=compiled.env, autoescape=True)
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from exc
    except RenderError:
        raise
    except Exception as exc:
        # docxtpl works on the XML with regular expressions and lxml; whatever it trips over
        # in a damaged template must reach the user as a sentence, never a traceback.
        raise _unmakeable(template, exc) from exc
    out = io.BytesIO()
    try:
        tpl.save(out)
    except (OSError, ValueError, KeyError) as exc:
        raise RenderError(f"The document from {template.name} could not be saved: {exc}.") from exc
    return Rendered(out.getvalue(), tuple(warnings))


def _unmakeable(template: Path, exc: Exception) -> RenderError:
    return RenderError(
        f"The document could not be made from the template {template.name}: {exc}. "
        "Check the template with `sos-docs check-template`, or use the default template."
    )


def _open_template(template: Path) -> DocxTemplate:
    """The template loaded from its bytes, or a TemplateError saying what is wrong with the file."""
    return _parsed_template(template, _template_bytes(template))


def _template_bytes(template: Path) -> bytes:
    try:
        return template.read_bytes()
    except FileNotFoundError as exc:
        raise TemplateError(f"The template {template} does not exist.") from exc
    except OSError as exc:
        raise TemplateError(f"The template {template} cannot be read: {exc.strerror}.") from exc


def _parsed_template(template: Path, data: bytes) -> DocxTemplate:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise TemplateError(
            f"The template {template.name} is not a Word .docx file. "
            "Open it in Word and save it as 'Word Document (*.docx)'."
        )
    tpl = SafeDocxTemplate(io.BytesIO(data))
    try:
        tpl.init_docx()
    except (OpcError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise TemplateError(
            f"The template {template.name} cannot be opened as a Word document ({exc}). "
            "Open it in Word and save it as 'Word Document (*.docx)'."
        ) from exc
    return tpl


class _CompiledTemplates:
    """Compiled templates by path and content hash, the least recently used dropped first.

    The file is read on every render, so an edited template (even one saved within the same
    second at the same size, as on shares that keep times to 2 s) is compiled afresh.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()  # the watcher renders from several threads
        self._items: OrderedDict[tuple[str, str], Compiled] = OrderedDict()

    def get(self, template: Path) -> Compiled:
        """The compiled template; TemplateError if it cannot be read, opened or compiled."""
        data = _template_bytes(template)
        key = (str(template), hashlib.sha256(data).hexdigest())
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        compiled = _compile(template, data)
        with self._lock:
            self._items[key] = compiled
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled

    def clear(self) -> None:
        """Forget every compiled template."""
        with self._lock:
            self._items.clear()


_COMPILED = _CompiledTemplates(_COMPILED_TEMPLATES_KEPT)


def _compile(template: Path, data: bytes) -> Compiled:
    """Parse the template and compile each part docxtpl renders, as docxtpl would."""
    tpl = _parsed_template(template, data)
    try:
        return compile_template(data, tpl, _environment(), _picture_box(tpl))
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from exc
    except Exception as exc:
        raise _unmakeable(template, exc) from exc


def _environment() -> SandboxedEnvironment:
    """A sandbox where unknown fields are errors and every printed value is literal text."""
    env = SandboxedEnvironment(
        autoescape=True, undefined=jinja2.StrictUndefined, finalize=_literal_text
    )
    for name in _UNSAFE_FILTERS:
        env.filters.pop(name, None)
    return env


def _literal_text(value: object) -> object:
    """Escape a printed string for XML, once, including from docxtpl's own post-processing.

    Markup (the output of a macro, already escaped) and pictures pass through unchanged.
    """
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    escaped = str(escape(value))
    # After rendering, docxtpl turns "{_{", "}_}", "{_%" and "%_}" into "{{", "}}", "{%", "%}"
    # (its way to print tags from template text). Writing the underscore as a character
    # reference keeps such cell text exactly as typed; the XML parser restores the "_".
    return Markup(escaped.replace("{_", "{&#95;").replace("_}", "&#95;}"))


def clean_text(text: str) -> str:
    """Text with Windows and old Mac line endings as "\\n" and XML-illegal characters removed."""
    return _XML_ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class _PictureSlot:
    """A picture's place in a cleaned context, filled for each document with its inline image."""

    picture: Picture
    path: str


def _cleaned(value: object, path: str) -> object:
    """The context as plain data: strings cleaned, None as "", pictures as slots."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, Picture):
        return _PictureSlot(value, path)
    if isinstance(value, Mapping):
        return {
            str(key): _cleaned(item, f"{path}.{key}" if path else str(key))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_cleaned(item, f"{path}[]") for item in value]
    if value is None:
        return ""
    raise RenderError(f"The template field {path} holds a {type(value).__name__}, not plain data.")


def _for_document(cleaned: object, pictures: _Pictures) -> object:
    """A copy of a cleaned context for one document, each picture slot an inline image."""
    if type(cleaned) is dict:
        return {key: _for_document(item, pictures) for key, item in cleaned.items()}
    if type(cleaned) is list:
        return [_for_document(item, pictures) for item in cleaned]
    if type(cleaned) is _PictureSlot:
        return pictures.inline(cleaned.picture, cleaned.path)
    return cleaned


_ReadyImages = dict[bytes, tuple[bytes, int, int] | str]  # picture -> Word-ready, or why not


class _Pictures:
    """Turns `Picture`s into inline images sized for the template's page, noting bad ones."""

    def __init__(
        self,
        tpl: DocxTemplate,
        box: tuple[int, int],
        warnings: list[str],
        ready: _ReadyImages,
    ) -> None:
        self.tpl = tpl
        self.warnings = warnings
        self.max_width, self.max_height = box
        self.ready = ready  # shared by the documents of one case: each picture converted once

    def inline(self, picture: Picture, path: str) -> InlineImage | str:
        """An InlineImage scaled to fit, or "" (and a warning) when the picture cannot be read."""
        converted = self.ready.get(picture.data)
        if converted is None and picture.size is not None:
            converted = self.ready[picture.data] = (picture.data, *picture.size)
        if converted is None:
            converted = self.ready[picture.data] = _word_ready_or_reason(picture.data)
        if isinstance(converted, str):
            self.warnings.append(_picture_warning(picture, path, converted))
            log.warning("Skipped an unreadable picture at %s: %s", picture.anchor_cell, converted)
            return ""
        data, width, height = converted
        scale = min(self.max_width / width, self.max_height / height)
        if picture.max_height_emu:  # a logo: kept small whatever the page allows
            scale = min(scale, picture.max_height_emu / height)
        return InlineImage(
            self.tpl,
            io.BytesIO(data),
            width=Emu(int(width * scale)),
            height=Emu(int(height * scale)),
        )


def _word_ready_or_reason(data: bytes) -> tuple[bytes, int, int] | str:
    try:
        return _word_ready_image(data)
    except _UnreadablePicture as exc:
        return str(exc)


class _UnreadablePicture(Exception):
    """A picture's bytes are not an image Pillow can decode."""


def _picture_box(tpl: DocxTemplate) -> tuple[int, int]:
    """The largest picture (EMU) that fits the first section's text width and part of its height."""
    section = tpl.docx.sections[0]
    try:
        width = section.page_width - section.left_margin - section.right_margin
        height = section.page_height - section.top_margin - section.bottom_margin
    except TypeError:  # a section without a page size or margins: assume A4 with 2 cm margins
        width, height = Cm(17), Cm(25.7)
    return max(int(width), Cm(2)), max(int(height * _PICTURE_HEIGHT_SHARE), Cm(2))


def _word_ready_image(data: bytes) -> tuple[bytes, int, int]:
    """Image bytes Word can show, and their pixel size; converted to PNG when needed."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decode it all: a truncated file fails here, not in Word
            upright = image.getexif().get(0x0112, 1) in (0, 1)
            if (
                image.format in _WORD_FORMATS
                and upright
                and max(image.size) <= _MAX_PICTURE_PIXELS
                and _docx_can_read(data)
            ):
                return data, image.size[0], image.size[1]
            converted = _as_png(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise _UnreadablePicture(str(exc) or type(exc).__name__) from exc
    return converted


def _docx_can_read(data: bytes) -> bool:
    try:
        DocxImage.from_blob(data)
    except (UnrecognizedImageError, InvalidImageStreamError, ValueError, KeyError):
        return False
    return True


def _as_png(image: Image.Image) -> tuple[bytes, int, int]:
    """The image turned upright, shrunk to a sensible size and saved as PNG."""
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")
    upright.thumbnail((_MAX_PICTURE_PIXELS, _MAX_PICTURE_PIXELS))
    out = io.BytesIO()
    upright.save(out, format="PNG")
    return out.getvalue(), upright.size[0], upright.size[1]


def _picture_warning(picture: Picture, path: str, reason: str) -> str:
    field = FIELDS_BY_NAME.get(path)
    sheet = field.sheet if field and field.sheet else ""
    where = f"on the {sheet} sheet at {picture.anchor_cell}" if sheet else f"for {path}"
    return (
        f"The picture placed {where} could not be read as an image ({reason}), so the document "
        "was made without it. Replace it with a PNG or JPEG picture."
    )


def _template_error(template: Path, exc: jinja2.TemplateError) -> TemplateError:
    """A Jinja error as a sentence naming the template, what Jinja said and where."""
    near = " / ".join(line.strip() for line in getattr(exc, "docx_context", []) if line.strip())
    where = f" Near: {near[:200]}" if near else ""
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateError(
            f"The template {template.name} uses a field sos-docs does not know ({exc.message}). "
            f"Run `sos-docs check-template {template}` to list the placeholders to fix."
        )
    if isinstance(exc, SecurityError):
        return TemplateError(
            f"The template {template.name} tries to do something templates may not do "
            f"({exc.message}). Remove that tag from the template."
        )
    return TemplateError(
        f"The template {template.name} has a mistake in its tags: {exc.message}.{where} "
        "Open it in Word and check the {{ }} and {% %} tags there."
    )


# ---------------------------------------------------------------------------------------------
# Checking a template's placeholders


def check_template(template: Path) -> list[UnknownField]:
    """Every placeholder the template uses that is not a documented field, with a suggestion.

    Raises TemplateError when the template cannot be opened or its tags do not parse.
    """
    tpl = _open_template(template)
    env = _environment()
    found: list[UnknownField] = []
    for part, source in _template_sources(tpl):
        try:
            env.from_string(source)  # compiles: unknown filters and tests are found here too
            tree = env.parse(source)
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(template, exc) from exc
        found += [f for f in _FieldChecker(part).check(tree) if f not in found]
    return found


def _template_sources(tpl: DocxTemplate) -> Iterator[tuple[str, str]]:
    """The Jinja source of each part docxtpl renders, as docxtpl prepares it."""
    yield "body", tpl.patch_xml(tpl.get_xml())
    for part_name, uri in (("header", HEADER_URI), ("footer", FOOTER_URI)):
        for _, part in tpl.get_headers_footers(uri):
            yield part_name, tpl.patch_xml(tpl.get_part_xml(part))
    for part in tpl.docx.part.package.parts:
        if part.content_type == FOOTNOTES_TYPE:
            yield "footnotes", tpl.patch_xml(part.blob.decode("utf-8"))
    props = tpl.docx.core_properties
    for name in ("author", "comments", "identifier", "language", "subject", "title"):
        yield "document properties", getattr(props, name) or ""


class _FieldChecker:
    """Walks a Jinja syntax tree and finds names and item fields the registry does not know.

    A loop variable takes the item fields of the list it loops over, so `d.statement` inside
    `{% for d in danger_statements %}` is checked against `danger_statements[].statement`.
    """

    def __init__(self, part: str) -> None:
        self.part = part
        self.top = set(top_level_names())
        self.globals = set(_environment().globals) | _TEMPLATE_GLOBALS
        self.found: list[UnknownField] = []

    def check(self, tree: nodes.Template) -> list[UnknownField]:
        self.visit(tree, {})
        return self.found

    def visit(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        if isinstance(node, nodes.For):
            self.visit_for(node, scope)
        elif isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem | nodes.Filter):
            self.resolve(node, scope)
        elif isinstance(node, nodes.Assign | nodes.AssignBlock):
            for child in [node.node] if isinstance(node, nodes.Assign) else node.body:
                self.visit(child, scope)
            self.bind(node.target, None, scope)
        elif isinstance(node, nodes.Macro | nodes.CallBlock):
            self.visit_callable(node, scope)
        elif isinstance(node, nodes.With):
            for value in node.values:
                self.visit(value, scope)
            inner = dict(scope)
            for target in node.targets:
                self.bind(target, None, inner)
            for child in node.body:
                self.visit(child, inner)
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def visit_for(self, node: nodes.For, scope: dict[str, str | None]) -> None:
        source = self.resolve(node.iter, scope)
        is_list = source is not None and FIELDS_BY_NAME[source].kind is FieldKind.LIST
        inner = dict(scope)
        self.bind(node.target, f"{source}[]" if is_list else None, inner)
        inner["loop"] = None
        for child in [*node.body, *([node.test] if node.test else [])]:
            self.visit(child, inner)
        for child in node.else_:
            self.visit(child, scope)

    def visit_callable(
        self, node: nodes.Macro | nodes.CallBlock, scope: dict[str, str | None]
    ) -> None:
        if isinstance(node, nodes.CallBlock):
            self.visit(node.call, scope)
        for default in node.defaults:
            self.visit(default, scope)
        inner = dict(scope)
        for arg in node.args:
            self.bind(arg, None, inner)
        for child in node.body:
            self.visit(child, inner)

    def bind(self, target: nodes.Node, path: str | None, scope: dict[str, str | None]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = path
        else:
            for name in target.find_all(nodes.Name):
                scope[name.name] = None

    def resolve(self, node: nodes.Node, scope: dict[str, str | None]) -> str | None:
        """The registry name an expression stands for, reporting unknown ones; None if untyped."""
        if isinstance(node, nodes.Name):
            return self.resolve_name(node.name, scope)
        if isinstance(node, nodes.Getattr):
            return self.resolve_item(node, node.node, node.attr, scope)
        if (
            isinstance(node, nodes.Getitem)
            and isinstance(node.arg, nodes.Const)
            and isinstance(node.arg.value, str)
        ):
            return self.resolve_item(node, node.node, node.arg.value, scope)
        if isinstance(node, nodes.Filter):
            if node.name == "attr":  # `x|attr('__class__')`: a way round the checks on names
                self.report(f"{_written(node.node) if node.node else '…'}|attr", "", internal=True)
            for child in [*node.args, *node.kwargs]:
                self.visit(child, scope)
            inner = self.resolve(node.node, scope) if node.node is not None else None
            return inner if node.name in _LIST_KEEPING_FILTERS else None
        for child in node.iter_child_nodes():
            self.visit(child, scope)
        return None

    def resolve_name(self, name: str, scope: dict[str, str | None]) -> str | None:
        if name in scope:
            return scope[name]
        if name in self.top:
            return name
        if name not in self.globals:
            self.report(name, _closest(name, self.top))
        return None

    def resolve_item(
        self, node: nodes.Node, base: nodes.Node, attr: str, scope: dict[str, str | None]
    ) -> str | None:
        if attr.startswith("_"):  # the sandbox refuses these at render time; say so now
            self.report(_written(node), "", internal=True)
            return None
        owner = self.resolve(base, scope)
        if owner is None or not owner.endswith("[]"):
            return None  # a method of a text value, or something the registry does not type
        name = f"{owner}.{attr}"
        if name in FIELDS_BY_NAME:
            return name
        close = _closest(attr, item_names(owner[:-2]))
        self.report(_written(node), f"{_written(base)}.{close}" if close else "")
        return None

    def report(self, name: str, suggestion: str, *, internal: bool = False) -> None:
        field = UnknownField(name, suggestion, self.part, internal)
        if field not in self.found:
            self.found.append(field)


def _closest(name: str, candidates: Iterable[str]) -> str:
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def _written(node: nodes.Node) -> str:
    """An expression as a template author wrote it: `d.statment`, `d['statment']`."""
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_written(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_written(node.node)}[{node.arg.value!r}]"
    return "…"
