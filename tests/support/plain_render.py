"""The plain way to make a document, the reference the fast paths are compared against."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from sos_docs.documents import render


def plain_render(template: Path, context: dict[str, object]) -> bytes:
    """The document as one fresh DocxTemplate renders it in the same sandbox and python-docx
    saves it, parsing and compiling the template again, uncached."""
    tpl = render._parsed_template(template, template.read_bytes())
    pictures = render._Pictures(tpl, render._picture_box(tpl), [], {})
    tpl.render(
        render._for_document(render._cleaned(context, ""), pictures),
        jinja_env=render._environment(),
        autoescape=True,
    )
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()


def plain_word_ready_or_reason(data: bytes) -> tuple[bytes, int, int] | str:
    """A picture made Word-ready the plain way, every pixel decoded at full size (sos-docs'
    check before it decoded the JPEGs it keeps at 1/8 scale), or why it cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = image.getexif().get(0x0112, 1) in (0, 1)
            if (
                image.format in render._WORD_FORMATS
                and upright
                and max(image.size) <= render._MAX_PICTURE_PIXELS
                and render._docx_can_read(data)
            ):
                return data, image.size[0], image.size[1]
            return render._as_png(image)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as exc:
        return str(exc) or type(exc).__name__
