"""Renders a docxtpl template with a context into .docx bytes, and checks a template's fields.

Cell text is data, never template code: templates run in a Jinja2 sandbox, every value is
escaped exactly once on its way out (so `&`, `<`, `{{ 7*7 }}` and `]]>` print as typed),
characters XML cannot hold are dropped, and line breaks become Word line breaks. Pictures are
scaled to fit the template's page, keeping their shape; a picture that cannot be read is left
out with a warning rather than stopping the document.

Each template is parsed and its Jinja compiled once per process (docxtpl would do both on every
render, docxtpl issue #110), keyed by its path and the hash of its bytes, so a template edited on
disk is compiled afresh. Every render still starts from a fresh python-docx document.

`check_template` opens, parses and compiles a template as a render would, and keeps it compiled
for the renders after it (the service checks its templates in the worker process that then
makes the first documents); the walk over the parsed tags is in
`sos_docs.documents.template_check`.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import io
import logging
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from docx.image.exceptions import (
    InvalidImageStreamError,
    UnexpectedEndOfFileError,
    UnrecognizedImageError,
)
from docx.image.image import Image as DocxImage
from docx.opc.exceptions import OpcError
from docx.shared import Cm, Emu
from docxtpl import DocxTemplate, InlineImage
from jinja2.exceptions import SecurityError
from lxml import etree  # type: ignore[import-untyped]
from markupsafe import Markup, escape
from PIL import Image, ImageOps

from sos_docs import files
from sos_docs.documents import sandbox
from sos_docs.documents._docxtpl_compiled import (
    Compiled,
    CompiledDocxTemplate,
    FastRender,
    SafeDocxTemplate,
    compile_template,
)
from sos_docs.documents.accessibility import Finding, check_docx
from sos_docs.documents.fields import FIELDS_BY_NAME
from sos_docs.documents.scale_picture import drawn_once
from sos_docs.documents.template_check import UnknownField, check_part
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
# The largest template file read (the shipped ones are under 100 KB).
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
_COMPILED_TEMPLATES_KEPT = 16
# Documents are rendered onto the template's XML and written with its unchanged zip members
# copied as they are (`_docxtpl_compiled.FastRender`); False renders them through python-docx
# and its save as before, for the benchmarks and the equivalence tests.
FAST_OUTPUT = True


@dataclass(frozen=True)
class Rendered:
    """A rendered document's bytes and the warnings to report with it (e.g. unreadable pictures)."""

    data: bytes
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Rendering


def render_document(template: Path, context: Mapping[str, object]) -> Rendered:
    """Render a .docx template with a context (from `build_context`) into document bytes."""
    return render_documents([template], context)[0]


def render_documents(
    templates: Sequence[Path], context: Mapping[str, object], *, within: Path | None = None
) -> list[Rendered]:
    """Render several templates with one context; text is cleaned and each picture converted
    once for all of them."""
    cleaned = _cleaned(context, "")
    shared = _CASE_PICTURES.get()
    ready: _ReadyImages = {} if shared is None else shared
    return [
        _render(_COMPILED.get(template, within), template, cleaned, ready) for template in templates
    ]


@contextlib.contextmanager
def one_case() -> Iterator[None]:
    """The documents of one case are rendered within it: each picture is checked and made
    Word-ready once for all of them (a case's report, its copies and its story share the same
    pictures), and each scale picture drawn once (`scale_picture.drawn_once`)."""
    token = _CASE_PICTURES.set({})
    try:
        with drawn_once():
            yield
    finally:
        _CASE_PICTURES.reset(token)


def _render(compiled: Compiled, template: Path, cleaned: object, ready: _ReadyImages) -> Rendered:
    warnings: list[str] = []
    if compiled.layout is not None and FAST_OUTPUT:
        fast = FastRender(compiled, compiled.layout)
        # A fresh copy for each document: a template may change lists it is given (the sandbox
        # allows `list.sort()`), and that must not reach the next document of the case.
        prepared = _for_document(cleaned, _Pictures(fast, compiled.picture_box, warnings, ready))
        assert isinstance(prepared, dict)  # a cleaned context is a mapping
        with _rendering(template):
            data = fast.render(prepared)
        return Rendered(data, tuple(warnings))
    tpl = CompiledDocxTemplate(compiled)
    prepared = _for_document(cleaned, _Pictures(tpl, compiled.picture_box, warnings, ready))
    with _rendering(template):
        tpl.render(prepared, jinja_env=compiled.env, autoescape=True)
    out = io.BytesIO()
    try:
        tpl.save(out)
    except (OSError, ValueError, KeyError) as exc:
        raise RenderError(f"The document from {template.name} could not be saved: {exc}.") from exc
    return Rendered(out.getvalue(), tuple(warnings))


@contextlib.contextmanager
def _rendering(template: Path) -> Iterator[None]:
    """A render within the document budget, whatever goes wrong said in a sentence."""
    try:
        with sandbox.document_budget():
            yield
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from exc
    except RenderError:
        raise
    except MemoryError as exc:  # its message is empty: say what it means instead
        raise TemplateError(
            f"The document from {template.name} would be too large to make: there was not "
            "enough memory for what the template asks. The workbook is too large or the "
            "template repeats a section too often; check it with `sos-docs check-template`."
        ) from exc
    except Exception as exc:
        # docxtpl works on the XML with regular expressions and lxml; whatever it trips over
        # in a damaged template must reach the user as a sentence, never a traceback.
        raise _unmakeable(template, exc) from exc


def _unmakeable(template: Path, exc: Exception) -> RenderError:
    return RenderError(
        f"The document could not be made from the template {template.name}: {exc}. "
        "Check the template with `sos-docs check-template`, or use the default template."
    )


def _template_bytes(template: Path, within: Path | None = None) -> bytes:
    """The template's bytes: an ordinary file of at most MAX_TEMPLATE_BYTES, never a link.

    A team's template (inside its root `within`) is opened down from the root one name at a
    time, so no link on the way is followed (one swapped in after start included), and refused
    when hard-linked; any other (the shipped templates, one given on the command line) is read
    as a plain file. Both never block on a pipe and never read a device such as /dev/zero.
    """
    relative = files.relative_inside(within, template)
    try:
        if within is None or relative is None:
            return files.read_plain_file(template, MAX_TEMPLATE_BYTES)
        return files.read_plain_file_within(within, relative, MAX_TEMPLATE_BYTES)
    except OSError as exc:
        raise _unreadable_template(template, exc) from exc


def _unreadable_template(template: Path, exc: OSError) -> TemplateError:
    """Why a template file cannot be read, in words, with what to do."""
    if isinstance(exc, FileNotFoundError):
        return TemplateError(f"The template {template} does not exist.")
    if exc.errno == errno.EFBIG:
        return TemplateError(_too_big(template))
    if exc.errno == errno.ELOOP or (exc.errno == errno.EMLINK and template.is_symlink()):
        return TemplateError(
            f"The template {template} is a symbolic link, which sos-docs does not follow. "
            "Name the template file itself."
        )
    if exc.errno == errno.EINVAL:
        return TemplateError(
            f"The template {template} is not a regular file (it is a folder, device or pipe). "
            "Name a Word .docx file."
        )
    return TemplateError(
        f"The template {template} cannot be read: {exc.strerror}. Name an ordinary Word "
        "file in the team's templates folder."
    )


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
        # The library's own words name an in-memory object (<_io.BytesIO object at 0x...>).
        raise TemplateError(
            f"The template {template.name} is {_office_kind(data)}, not a Word document. "
            "A template must be a Word .docx file: open it in Word and save it as "
            "'Word Document (*.docx)'."
        ) from exc
    return tpl


_OFFICE_KINDS = (
    ("xl/", "an Excel workbook"),
    ("ppt/", "a PowerPoint presentation"),
    ("word/", "a damaged or unusual Word file"),
)


def _office_kind(data: bytes) -> str:
    """What a zip that is not a usable Word document holds, in words, from its folder names."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return "a damaged file"
    for prefix, kind in _OFFICE_KINDS:
        if any(name.startswith(prefix) for name in names):
            return kind
    return "a zip file"


class _CompiledTemplates:
    """Compiled templates by path and content hash, the least recently used dropped first.

    The file is read on every render, so an edited template (even one saved within the same
    second at the same size, as on shares that keep times to 2 s) is compiled afresh.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()  # the watcher renders from several threads
        self._items: OrderedDict[tuple[str, str], Compiled] = OrderedDict()

    def get(self, template: Path, within: Path | None = None) -> Compiled:
        """The compiled template; TemplateError if it cannot be read, opened or compiled."""
        data = _template_bytes(template, within)
        key = (str(template), hashlib.sha256(data).hexdigest())
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        compiled = _compile(template, data)
        self.keep(template, data, compiled)
        return compiled

    def keep(self, template: Path, data: bytes, compiled: Compiled) -> None:
        """Keep a template compiled from `data` (its bytes as read) for the renders after."""
        key = (str(template), hashlib.sha256(data).hexdigest())
        with self._lock:
            self._items[key] = compiled
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

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
# The pictures already checked for the documents of one case (`one_case`); a
# context variable, so that the service's threads and workers never share one.
_CASE_PICTURES: contextvars.ContextVar[_ReadyImages | None] = contextvars.ContextVar(
    "case_pictures", default=None
)


class _Pictures:
    """Turns `Picture`s into inline images sized for the template's page, noting bad ones."""

    def __init__(
        self,
        tpl: DocxTemplate | FastRender,
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
        image = _DescribedImage(
            self.tpl,
            io.BytesIO(data),
            width=Emu(int(width * scale)),
            height=Emu(int(height * scale)),
        )
        image.description = clean_text(picture.description)
        image.name = clean_text(picture.name)
        return TemplatePicture(image)


class _DescribedImage(InlineImage):  # type: ignore[misc]
    """docxtpl's inline picture with its description as alt text (`wp:docPr descr`) and a
    name saying what it is (`wp:docPr name`, else python-docx's "Picture N").

    Screen readers read the description out, and Word shows it as the picture's alt text.
    """

    description = ""
    name = ""

    def _insert_image(self) -> str:
        if not (self.description or self.name):
            return str(super()._insert_image())
        inline = self.tpl.current_rendering_part.new_pic_inline(
            self.image_descriptor, self.width, self.height
        )
        # lxml escapes both for the attribute
        if self.description:
            inline.docPr.set("descr", self.description)
        if self.name:
            inline.docPr.set("name", self.name)
        drawing = f"<w:drawing>{inline.xml}</w:drawing>"
        return f'</w:t></w:r><w:r>{drawing}</w:r><w:r><w:t xml:space="preserve">'


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
            full_size = image.size
            # libjpeg still reads and entropy-decodes the whole stream at 1/8 scale (a truncated
            # or corrupt file fails as at full size) but skips the inverse DCT, upsampling and
            # colour conversion: about half the time of a photo's check.
            drafted = _likely_kept(image) and image.draft(image.mode, (1, 1)) is not None
            image.load()  # decode it all: a truncated file fails here, not in Word
            size = full_size if drafted else image.size
            upright = image.getexif().get(0x0112, 1) in (0, 1)
            if (
                image.format in _WORD_FORMATS
                and upright
                and max(size) <= _MAX_PICTURE_PIXELS
                and _docx_can_read(data)
            ):
                return data, size[0], size[1]
            if not drafted:
                return _as_png(image)
        with Image.open(io.BytesIO(data)) as image:  # decoded small, yet to be converted after all
            image.load()
            return _as_png(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        raise _UnreadablePicture(str(exc) or type(exc).__name__) from exc


def _likely_kept(image: Image.Image) -> bool:
    """A JPEG that, judged by its header alone, goes into the document as it is, so its pixels
    are needed only to show that it decodes (what decides is the check after the decoding)."""
    if image.format != "JPEG" or max(image.size) > _MAX_PICTURE_PIXELS:
        return False
    exif = Image.Exif()
    try:  # a copy: the image's own EXIF is read after decoding, as for every picture
        exif.load(image.info.get("exif") or b"")
    except Exception:  # only a guess: a picture in doubt is decoded in full
        return False
    return exif.get(0x0112, 1) in (0, 1)


def _docx_can_read(data: bytes) -> bool:
    try:
        DocxImage.from_blob(data)
    # A header python-docx cannot follow (corrupt EXIF ends early) is no reason to fail the
    # document: the picture is converted to a clean PNG instead.
    except (
        UnrecognizedImageError,
        InvalidImageStreamError,
        UnexpectedEndOfFileError,
        ValueError,
        KeyError,
    ):
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


def check_template(template: Path, within: Path | None = None) -> list[UnknownField]:
    """Every placeholder the template uses that is not a documented field, with a suggestion,
    and everything it does that a template may not (calls, internals, huge values).

    Nothing is rendered: the check is a walk over the parsed tags, so its time and memory
    follow the template's size (at most MAX_TEMPLATE_BYTES). Raises TemplateError when the
    template cannot be opened, its tags do not parse or it cannot be compiled. `within`: the
    team's root, as for `render_documents`.
    """
    data = _template_bytes(template, within)
    tpl = _parsed_template(template, data)
    env = _environment()
    found: list[UnknownField] = []

    def inspect(part: str, tree: jinja2.nodes.Template) -> None:
        checked = check_part(part, tree, env)
        found.extend([f for f in checked if f not in found])

    try:
        # Compiled as `_compile` does, each part parsed once for the walk and the compile
        # (which finds unknown filters and tests), and kept: the first render needs no compile.
        compiled = compile_template(data, tpl, env, _picture_box(tpl), inspect)
    except jinja2.TemplateSyntaxError as exc:
        # Said as the check always said it: without the render's "Near:" lines.
        with contextlib.suppress(AttributeError):
            del exc.docx_context  # type: ignore[attr-defined]
        raise _template_error(template, exc) from exc
    except RecursionError as exc:  # thousands of nested brackets or tags
        raise TemplateError(
            f"The template {template.name} nests its tags or brackets too deeply to check. "
            "Open it in Word and simplify the {{ }} and {% %} tags."
        ) from exc
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from exc
    except Exception as exc:  # what a render would say as `_unmakeable`, said as a check fails
        raise TemplateError(
            f"The template {template.name} cannot be prepared for rendering: {exc}. Open it in "
            "Word and save it again as 'Word Document (*.docx)', or use the default template."
        ) from exc
    _COMPILED.keep(template, data, compiled)
    return found


def check_template_accessibility(template: Path, within: Path | None = None) -> list[Finding]:
    """What in a template would make every document from it harder to read with a screen
    reader (`sos_docs.documents.accessibility`): warnings, since the documents are still made.

    Raises TemplateError when the template cannot be read or is not a Word document.
    """
    return check_docx(_template_bytes(template, within), template.name)
