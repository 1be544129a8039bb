"""The plain way to make a document, the reference the fast paths are compared against."""

from __future__ import annotations

import io
from pathlib import Path

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
