"""Builders for tests of each team's branding: pictures, a plain workbook, and reading back."""

from __future__ import annotations

import io
from pathlib import Path

import docx
from PIL import Image

from tests.support.builders import WorkbookBuilder


def png(colour: tuple[int, int, int], size: tuple[int, int] = (300, 100)) -> bytes:
    """A small PNG picture of one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def unbranded_workbook(path: Path, reference: str = "CP-1") -> Path:
    """The example workbook with its own case reference and no local authority or team typed.

    Leo's consent is given here: these tests are about each team's branding, templates and
    PDFs, so nothing is withheld and each workbook makes one report (the copies for the family
    are tested in tests/test_family_copies.py and tests/service/test_jobs.py)."""
    book = WorkbookBuilder().set_case("Case reference", reference)
    book.update_row("Child's views", 1, Consent_to_share="Yes")
    book.set_case("Local authority", None).set_case("Team", None)
    return book.write(path)


def document_text(path: Path) -> str:
    """Paragraph, table, header and footer text of a .docx, read back with python-docx."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(texts)


def picture_blobs(path: Path) -> list[tuple[bytes, int]]:
    """Each inline picture of a .docx's body: its image bytes and its height in EMU."""
    document = docx.Document(str(path))
    found = []
    for shape in document.inline_shapes:
        r_id = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        found.append((document.part.related_parts[r_id].blob, int(shape.height)))
    return found
