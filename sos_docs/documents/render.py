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

import contextlib
import difflib
import hashlib
import io
import logging
import os
import re
import stat
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
from lxml import etree  # type: ignore[import-untyped]
from markupsafe import Markup, escape
from PIL import Image, ImageOps

from sos_docs.documents import sandbox
from sos_docs.documents._docxtpl_compiled import (
    Compiled,
    CompiledDocxTemplate,
    SafeDocxTemplate,
    compile_template,
    template_sources,
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
# Jinja's own globals, which this sandbox does not offer: a template naming one is refused.
_JINJA_GLOBALS = sandbox.UNAVAILABLE_GLOBALS | {"self"}
# The largest template file read (the shipped ones are under 100 KB).
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
# Filters whose result is the same list in another order or subset: loops over them keep
# the item fields of the list.
_LIST_KEEPING_FILTERS = frozenset({"sort", "reverse", "list", "unique", "selectattr", "rejectattr"})
# Filters whose first argument names the attribute they read of each item.
_ATTRIBUTE_FIRST_FILTERS = frozenset({"selectattr", "rejectattr", "groupby"})
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
    internal: bool = False  # something the sandbox stops (`__class__`, a call), not a field
    why: str = ""  # what it does, when not reaching into Python's internals

    @property
    def message(self) -> str:
        """One line for the person fixing the template."""
        if self.internal:
            does = self.why or "reaches into the program's internals"
            return (
                f"'{self.name}' (in the {self.part}) {does}, which templates may not do; remove it."
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
        with sandbox.document_budget():
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
    """The template file's bytes: a regular file, not a link, at most MAX_TEMPLATE_BYTES.

    Opened without following a link and without blocking, and checked on the open handle, so
    a FIFO, a device such as /dev/zero or a link swapped in is refused, never read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(template, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError as exc:
        raise TemplateError(f"The template {template} does not exist.") from exc
    except OSError as exc:
        if template.is_symlink():
            raise TemplateError(
                f"The template {template} is a symbolic link, which sos-docs does not follow. "
                "Name the template file itself."
            ) from exc
        raise TemplateError(f"The template {template} cannot be read: {exc.strerror}.") from exc
    try:
        return _read_regular_file(template, fd)
    except OSError as exc:
        raise TemplateError(f"The template {template} cannot be read: {exc.strerror}.") from exc
    finally:
        os.close(fd)


def _read_regular_file(template: Path, fd: int) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise TemplateError(
            f"The template {template} is not a regular file (it is a folder, device or pipe). "
            "Name a Word .docx file."
        )
    if info.st_size > MAX_TEMPLATE_BYTES:
        raise TemplateError(_too_big(template))
    chunks: list[bytes] = []
    size = 0
    while chunk := os.read(fd, min(1024 * 1024, MAX_TEMPLATE_BYTES + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_TEMPLATE_BYTES:  # it grew while being read
            raise TemplateError(_too_big(template))
    return b"".join(chunks)


def _too_big(template: Path) -> str:
    return (
        f"The template {template} is larger than {MAX_TEMPLATE_BYTES // (1024 * 1024)} MB, "
        "which no document template needs. Compress its pictures in Word, or use another file."
    )


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


def _environment() -> sandbox.TemplateSandbox:
    """A sandbox where templates read plain data only, unknown fields are errors and every
    printed value is literal text (see `sos_docs.documents.sandbox`)."""
    env = sandbox.TemplateSandbox(
        autoescape=True, undefined=jinja2.StrictUndefined, finalize=_literal_text
    )
    for name in _UNSAFE_FILTERS:
        env.filters.pop(name, None)
    return env


def _literal_text(value: object) -> object:
    """Escape a printed string for XML, once, including from docxtpl's own post-processing.

    Markup (the output of a macro, already escaped) and pictures pass through unchanged
    (a picture prints through its `__html__`, which Jinja's escaping calls).
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


class TemplatePicture(sandbox.Opaque):
    """A picture as a template sees it: it prints as the picture, and offers nothing else.

    docxtpl's InlineImage carries the whole DocxTemplate in a public `.tpl` (whose methods
    read and write files); this holds it in a private slot, which the sandbox never reads
    (names starting with "_"), and has no public attribute or method, no `__dict__` and no
    item access. Jinja's escaping calls `__html__` to print it.
    """

    __slots__ = ("_image",)

    def __init__(self, image: InlineImage) -> None:
        self._image = image

    def _refusal(self, name: str) -> str:
        return f"a picture has no '{name}'; templates may only print it"

    def __html__(self) -> str:
        return str(self._image.__html__())

    def __str__(self) -> str:
        return self.__html__()

    def __repr__(self) -> str:
        return "<picture>"


def _for_document(cleaned: object, pictures: _Pictures) -> object:
    """A copy of a cleaned context for one document, each picture slot an opaque picture."""
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

    def inline(self, picture: Picture, path: str) -> TemplatePicture | str:
        """The picture scaled to fit, or "" (and a warning) when the picture cannot be read."""
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
        image = InlineImage(
            self.tpl,
            io.BytesIO(data),
            width=Emu(int(width * scale)),
            height=Emu(int(height * scale)),
        )
        return TemplatePicture(image)


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
    if isinstance(exc, sandbox.DocumentTooLarge):
        return TemplateError(
            f"The document from {template.name} would be too large ({exc.message}): the "
            "workbook is too large or too complex to process, or the template repeats a section "
            "too often. Shorten the longest texts in the workbook, or split it."
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
    """Every placeholder the template uses that is not a documented field, with a suggestion,
    and everything it does that a template may not (calls, internals, huge values).

    Nothing is rendered: the check is a walk over the parsed tags, so its time and memory
    follow the template's size (at most MAX_TEMPLATE_BYTES). Raises TemplateError when the
    template cannot be opened or its tags do not parse.
    """
    tpl = _open_template(template)
    env = _environment()
    found: list[UnknownField] = []
    for part, source in template_sources(tpl):
        try:
            tree = env.parse(source)
            with sandbox.document_budget():
                checked = _FieldChecker(part, env).check(tree)
            env.from_string(source)  # compiles: unknown filters and tests are found here too
        except jinja2.TemplateSyntaxError as exc:
            raise _template_error(template, exc) from exc
        except RecursionError as exc:  # thousands of nested brackets or tags
            raise TemplateError(
                f"The template {template.name} nests its tags or brackets too deeply to check. "
                "Open it in Word and simplify the {{ }} and {% %} tags."
            ) from exc
        found += [f for f in checked if f not in found]
    return found


# What a name in a template's scope stands for, besides a field path: `loop` inside a for
# loop, a macro the template defines (or `caller` inside one), or something untyped.
_LOOP = "<loop>"
_MACRO = "<macro>"


class _NotConstant(Exception):
    """An expression whose value is not known without a workbook."""


class _ConstantValues:
    """The values of a template's expressions known without a workbook: constants, `{% set %}`
    names holding one, and what the sandbox's bounded operators make of them (so `'x' * 10**10`
    is refused without being made)."""

    def __init__(self) -> None:
        self.named: dict[str, object] = {}  # `{% set %}` names holding a known value
        self.known: dict[int, object] = {}  # constant expressions worked out, by node
        self.repeats = 1  # how often the part being walked runs, as far as constant ranges say

    def remember(
        self, target: nodes.Node, value: nodes.Node | None, scope: dict[str, str | None]
    ) -> None:
        """Keep the value a `{% set %}` gives a name when it is known without a workbook."""
        known: object = _NotConstant
        if isinstance(target, nodes.Name) and value is not None:
            with contextlib.suppress(_NotConstant, SecurityError):  # reported by resolve
                known = self.of(value, scope)  # before forgetting: `set x = x ~ x`
        for name in [target, *target.find_all(nodes.Name)]:
            if isinstance(name, nodes.Name):
                self.named.pop(name.name, None)
        if isinstance(target, nodes.Name) and known is not _NotConstant:
            self.named[target.name] = known

    def of(self, node: nodes.Node, scope: dict[str, str | None]) -> object:
        """The value of an expression known without a workbook, made with the sandbox's
        bounded operators (once per expression); _NotConstant when it depends on data."""
        if isinstance(node, nodes.Name):  # its value depends on where the walk is
            return self._worked_out(node, scope)
        if id(node) not in self.known:
            self.known[id(node)] = self._worked_out(node, scope)
        return self.known[id(node)]

    def _worked_out(self, node: nodes.Node, scope: dict[str, str | None]) -> object:
        if isinstance(node, nodes.Const):
            return node.value
        if isinstance(node, nodes.Name) and node.name in self.named:
            return self.named[node.name]
        if isinstance(node, nodes.List | nodes.Tuple):
            return [self.of(item, scope) for item in node.items]
        if isinstance(node, nodes.Neg | nodes.Pos):
            value = self.of(node.node, scope)
            return -value if isinstance(node, nodes.Neg) else +value  # type: ignore[operator]
        try:
            if isinstance(node, nodes.BinExpr) and node.operator in sandbox.BINOPS:
                left, right = self.of(node.left, scope), self.of(node.right, scope)
                return sandbox.bounded_binop(node.operator, left, right)
            if isinstance(node, nodes.Concat):
                parts = tuple(self.of(part, scope) for part in node.nodes)
                return sandbox.TemplateSandbox.bounded_join(parts, autoescape=False)
            if _is_range_call(node, scope):
                assert isinstance(node, nodes.Call)
                numbers = sandbox.bounded_range(*[self.of(a, scope) for a in node.args])  # type: ignore[arg-type]
                sandbox.spend_range(len(numbers) * (self.repeats - 1))  # inside range loops
                return numbers
            if isinstance(node, nodes.Filter) and node.node is not None:
                return self._filter(node, scope)
        except (ArithmeticError, TypeError, ValueError) as exc:
            raise _NotConstant from exc  # an error the render reports with its own words
        raise _NotConstant

    def _filter(self, node: nodes.Filter, scope: dict[str, str | None]) -> object:
        """A filter's size check on constant arguments (the filter itself is not run)."""
        assert node.node is not None
        values = [self.of(node.node, scope), *(self.of(a, scope) for a in node.args)]
        options = {str(pair.key): self.of(pair.value, scope) for pair in node.kwargs}
        sandbox.check_filter_arguments(node.name, values, options)
        raise _NotConstant  # its result is not worked out here


class _FieldChecker:
    """Walks a Jinja syntax tree and finds what a template may not use: unknown names and item
    fields, attributes that are not fields, calls other than its own macros, `range` and the
    loop helpers, filters outside the allowed set, other files, and constant values too large.

    A loop variable takes the item fields of the list it loops over, so `d.statement` inside
    `{% for d in danger_statements %}` is checked against `danger_statements[].statement`.
    Constant expressions are worked out with the sandbox's own bounded operators, so `'x' *
    10**10` is refused here without being made.
    """

    def __init__(self, part: str, env: jinja2.Environment) -> None:
        self.part = part
        self.top = set(top_level_names())
        self.globals = (set(env.globals) - _JINJA_GLOBALS) | _TEMPLATE_GLOBALS
        self.filters = set(env.filters)
        self.values = _ConstantValues()
        self.macro_order: dict[str, int] = {}
        # Macros the code being walked may call: those defined before the one it is in, so
        # no macro calls itself, directly or round a loop (None: at the top, any).
        self.callable_below: int | None = None
        self.found: list[UnknownField] = []

    def check(self, tree: nodes.Template) -> list[UnknownField]:
        macros = list(tree.find_all(nodes.Macro))
        self.macro_order = {macro.name: n for n, macro in enumerate(macros)}
        self.visit(tree, {macro.name: _MACRO for macro in macros})
        return self.found

    def visit(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        if isinstance(node, nodes.For):
            self.visit_for(node, scope)
        elif isinstance(node, nodes.Expr) and not isinstance(node, nodes.Literal):
            self.resolve(node, scope)
        elif isinstance(node, nodes.Assign):
            path = self.resolve(node.node, scope)
            self.bind(node.target, path, scope)
            self.values.remember(node.target, node.node, scope)
        elif isinstance(node, nodes.AssignBlock):
            for child in [*node.body, *([node.filter] if node.filter else [])]:
                self.visit(child, scope)
            self.bind(node.target, None, scope)
            self.values.remember(node.target, None, scope)
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
        elif isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            self.report(type(node).__name__.lower(), "", why="loads another file")
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def visit_for(self, node: nodes.For, scope: dict[str, str | None]) -> None:
        source = self.resolve(node.iter, scope)
        field = FIELDS_BY_NAME.get(source or "")
        is_list = field is not None and field.kind is FieldKind.LIST
        inner = dict(scope)
        self.bind(node.target, f"{source}[]" if is_list else None, inner)
        inner["loop"] = _LOOP
        outer = self.values.repeats
        self.values.repeats *= _constant_range_length(node.iter, scope)
        for child in [*node.body, *([node.test] if node.test else [])]:
            self.visit(child, inner)
        self.values.repeats = outer
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
        inner["caller"] = _MACRO
        for arg in node.args:
            self.bind(arg, None, inner)
        outer = self.callable_below
        # A macro's body runs as that macro; a call block's body runs inside the macro called.
        called = node.name if isinstance(node, nodes.Macro) else _written(node.call.node)
        if called in self.macro_order:
            below = self.macro_order[called]
            self.callable_below = below if outer is None else min(outer, below)
        for child in node.body:
            self.visit(child, inner)
        self.callable_below = outer

    def bind(self, target: nodes.Node, path: str | None, scope: dict[str, str | None]) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = path
        else:
            for name in target.find_all(nodes.Name):
                scope[name.name] = None

    def resolve(self, node: nodes.Node, scope: dict[str, str | None]) -> str | None:
        """The registry name an expression stands for, reporting what a template may not use;
        None if it is not a field."""
        if isinstance(node, nodes.Name):
            return self.resolve_name(node.name, scope)
        if isinstance(node, nodes.Getattr):
            return self.resolve_item(node, node.node, node.attr, scope)
        if isinstance(node, nodes.Getitem):
            return self.resolve_index(node, scope)
        if isinstance(node, nodes.Filter):
            return self.resolve_filter(node, scope)
        if isinstance(node, nodes.Call):
            self.resolve_call(node, scope)
            return None
        if isinstance(node, nodes.BinExpr | nodes.Concat):
            self.check_size(node, scope)
        for child in node.iter_child_nodes():
            self.visit(child, scope)
        return None

    def resolve_name(self, name: str, scope: dict[str, str | None]) -> str | None:
        if name.startswith("_"):
            self.report(name, "", internal=True)
            return None
        if name in scope:
            return scope[name]
        if name in self.top:
            return name
        if name in _JINJA_GLOBALS:
            self.report(name, "", why=f"uses Jinja's '{name}'")
        elif name not in self.globals:
            self.report(name, _closest(name, self.top))
        return None

    def resolve_item(
        self, node: nodes.Node, base: nodes.Node, attr: str, scope: dict[str, str | None]
    ) -> str | None:
        if attr.startswith("_"):  # the sandbox refuses these at render time; say so now
            self.report(_written(node), "", internal=True)
            return None
        before = len(self.found)
        owner = self.resolve(base, scope)
        if len(self.found) > before:
            return None  # what it belongs to is reported already
        if owner == _LOOP:
            if attr not in sandbox.LOOP_ATTRIBUTES:
                close = _closest(attr, sandbox.LOOP_ATTRIBUTES)
                self.report(_written(node), f"loop.{close}" if close else "")
            return None
        field = FIELDS_BY_NAME.get(owner or "")
        if field is not None and field.kind is FieldKind.LIST:
            self.report(_written(node), "")  # a field of the list itself, not of its items
            return None
        if owner is None or not owner.endswith("[]"):
            # A method of a text value (`case_reference.upper`), an object behind a picture.
            what = f"the value of '{owner}'" if owner and owner != _MACRO else "a value"
            self.report(_written(node), "", why=f"reads something behind {what}")
            return None
        name = f"{owner}.{attr}"
        if name in FIELDS_BY_NAME:
            return name
        close = _closest(attr, item_names(owner[:-2]))
        self.report(_written(node), f"{_written(base)}.{close}" if close else "")
        return None

    def resolve_index(self, node: nodes.Getitem, scope: dict[str, str | None]) -> str | None:
        """`x['name']` as `x.name`; `x[0]` or `x[n]` on a list as one of its items."""
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            return self.resolve_item(node, node.node, node.arg.value, scope)
        self.visit(node.arg, scope)
        owner = self.resolve(node.node, scope)
        field = FIELDS_BY_NAME.get(owner or "")
        if field is None or field.kind is not FieldKind.LIST:
            return None
        return owner if isinstance(node.arg, nodes.Slice) else f"{owner}[]"

    def resolve_filter(self, node: nodes.Filter, scope: dict[str, str | None]) -> str | None:
        written = f"{_written(node.node) if node.node else '…'}|{node.name}"
        if node.name == "attr":  # `x|attr('__class__')`: a way round the checks on names
            self.report(written, "", internal=True)
        elif node.name in self.filters and node.name not in sandbox.ALLOWED_FILTERS:
            self.report(written, "", why=f"uses the filter '{node.name}'")
        for child in [*node.args, *node.kwargs, *_dynamic(node)]:
            self.visit(child, scope)
        self.check_size(node, scope)
        inner = self.resolve(node.node, scope) if node.node is not None else None
        for name, suggestion, why in _filter_attribute_problems(node, written, inner):
            self.report(name, suggestion, why=why)
        return inner if node.name in _LIST_KEEPING_FILTERS else None

    def resolve_call(self, node: nodes.Call, scope: dict[str, str | None]) -> None:
        """Only the template's own macros, `caller`, `range` and `loop.cycle`/`loop.changed`."""
        for child in [*node.args, *node.kwargs, *_dynamic(node)]:
            self.visit(child, scope)
        callee = node.node
        if isinstance(callee, nodes.Name) and scope.get(callee.name) == _MACRO:
            order = self.macro_order.get(callee.name, -1)
            if self.callable_below is not None and order >= self.callable_below:
                why = "calls a macro from itself or from one defined before it"
                self.report(f"{callee.name}(…)", "", why=why)
            return
        if _is_range_call(node, scope):
            self.check_size(node, scope)
            return
        if (
            isinstance(callee, nodes.Getattr)
            and isinstance(callee.node, nodes.Name)
            and scope.get(callee.node.name) == _LOOP
            and callee.attr in sandbox.LOOP_METHODS
        ):
            return
        before = len(self.found)
        self.resolve(callee, scope)
        if len(self.found) == before or not all(f.internal for f in self.found[before:]):
            self.report(f"{_written(callee)}(…)", "", why="calls a function or method")

    def check_size(self, node: nodes.Node, scope: dict[str, str | None]) -> None:
        """Report a constant expression that makes a value larger than the sandbox allows."""
        try:
            self.values.of(node, scope)
        except _NotConstant:
            pass
        except sandbox.TooLarge as exc:
            self.report(_written(node), "", why=f"makes too large a value ({exc.message})")
        except SecurityError as exc:
            self.report(_written(node), "", why=f"is refused ({exc.message})")

    def report(self, name: str, suggestion: str, *, internal: bool = False, why: str = "") -> None:
        field = UnknownField(name, suggestion, self.part, internal or bool(why), why)
        if field not in self.found:
            self.found.append(field)


def _filter_attribute_problems(
    node: nodes.Filter, written: str, items: str | None
) -> Iterator[tuple[str, str, str]]:
    """(name, suggestion, why) for each attribute a filter reads of each item
    (`sort(attribute='score')`) that is not an item field of the list it is given."""
    named = [kw.value for kw in node.kwargs if kw.key == "attribute"]
    if node.name in _ATTRIBUTE_FIRST_FILTERS and node.args:
        named.append(node.args[0])
    field = FIELDS_BY_NAME.get(items or "")
    for value in named:
        attribute = value.value if isinstance(value, nodes.Const) else None
        if not isinstance(attribute, str) or "._" in f".{attribute}":
            yield written, "", "reads an attribute it does not name plainly"
        elif field is None or field.kind is not FieldKind.LIST:
            yield written, "", f"reads '{attribute}' of values that are not fields"
        else:
            found, behind = _item_field(f"{items}[]", attribute)
            if behind:
                yield written, "", f"reads '{attribute}', behind a value"
            elif found is None:
                close = _closest(attribute.split(".")[0], item_names(str(items)))
                yield f"{written}('{attribute}')", close, ""


def _item_field(item: str, attribute: str) -> tuple[str | None, bool]:
    """The field a dotted attribute (`goals.0.goal`) names from a list's items (None when it
    names none), and whether it reaches behind a text, number or picture."""
    current = item
    for part in attribute.split("."):
        field = FIELDS_BY_NAME.get(current)
        if current.endswith("[]"):
            current = f"{current}.{part}"
            if current not in FIELDS_BY_NAME:
                return None, False
        elif field is not None and field.kind is FieldKind.LIST and part.isdigit():
            current = f"{current}[]"
        else:
            return None, True
    return current, False


def _is_range_call(node: nodes.Node, scope: Mapping[str, str | None]) -> bool:
    return (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name == "range"
        and "range" not in scope
    )


def _constant_range_length(node: nodes.Node, scope: Mapping[str, str | None]) -> int:
    """How many times a loop over `range(...)` with constant whole numbers runs; else 1."""
    if not _is_range_call(node, scope):
        return 1
    assert isinstance(node, nodes.Call)
    args = [a.value for a in node.args if isinstance(a, nodes.Const)]
    if len(args) != len(node.args) or not all(type(a) is int and abs(a) < 2**31 for a in args):
        return 1
    try:
        return max(len(range(*args)), 1)
    except (TypeError, ValueError):
        return 1


def _dynamic(node: nodes.Call | nodes.Filter) -> list[nodes.Expr]:
    """A call's `*args` and `**kwargs` expressions, where given."""
    return [arg for arg in (node.dyn_args, node.dyn_kwargs) if arg is not None]


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
    if isinstance(node, nodes.Const):
        shown = repr(node.value)
        return shown if len(shown) <= 40 else f"{shown[:37]}…"
    if isinstance(node, nodes.BinExpr):
        return f"{_written(node.left)} {node.operator} {_written(node.right)}"
    if isinstance(node, nodes.Concat):
        return " ~ ".join(_written(part) for part in node.nodes)
    if isinstance(node, nodes.Call):
        return f"{_written(node.node)}(…)"
    if isinstance(node, nodes.Filter) and node.node is not None:
        return f"{_written(node.node)}|{node.name}"
    return "…"
