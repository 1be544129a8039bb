"""Three blow-ups (a shared-string bomb, a scaling flood, giant pictures) as valid mapping workbooks, small on disk, costly when read.

- `shared_string_bomb`: thousands of Harm rows whose text is one 32,000-character shared string
  (written part by part, as Excel would write it: openpyxl itself writes inline strings).
- `scaling_flood`: 9,000 Scaling rows (the scale picture's layout was cubic in them).
- `giant_pictures`: real 13,000 x 13,000 pixel PNGs over the Words and pictures rows.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from openpyxl.drawing.image import Image as SheetImage
from PIL import Image as PILImage

from tests.support.builders import WorkbookBuilder

PLACEHOLDER = "BLOWUP-TEXT"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FIRST_SHEET = "xl/worksheets/sheet1.xml"  # the Case sheet, as openpyxl writes the builder's


def shared_string_bomb(path: Path, rows: int = 2_000, length: int = 32_000) -> Path:
    """The example family with `rows` extra Harm rows, each cell pointing at one long string."""
    book = WorkbookBuilder()
    for _ in range(rows):
        book.add_row("Harm", What_happened=PLACEHOLDER)
    book.write(path)
    inline = re.compile(
        rf'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>{PLACEHOLDER}</t></is></c>'.encode()
    )
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for name, data in parts.items():
        if name.startswith("xl/worksheets/"):
            parts[name] = inline.sub(rb'<c r="\1" t="s"><v>0</v></c>', data)
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{MAIN_NS}" count="{rows}" uniqueCount="1"><si><t>{"x" * length}</t></si>'
        "</sst>"
    ).encode()
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
        "</Types>".encode(),
    )
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(
        b"</Relationships>",
        f'<Relationship Type="{SHARED_STRINGS_REL}" Target="sharedStrings.xml" Id="rIdS"/>'
        "</Relationships>".encode(),
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def scaling_flood(path: Path, rows: int = 9_000) -> Path:
    """The example family with `rows` Scaling rows, spread over the scores and participants."""
    book = WorkbookBuilder()
    scores = book.rows("Scaling")
    template = dict(scores[0])
    for n in range(rows - len(scores)):
        scores.append({**template, "Score": n % 11, "Reason": f"Reason {n}."})
    return book.write(path)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def blank_png(width: int, height: int) -> bytes:
    """A real, fully decodable greyscale PNG of this size, all black, without its IEND."""
    row = bytes(1 + width)  # filter byte 0, then black pixels
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels)


def _ending(png: bytes, number: int) -> bytes:
    """The PNG made a different file (a text chunk with its number), so each is decoded anew."""
    return png + _chunk(b"tEXt", b"Comment\x00" + str(number).encode()) + _chunk(b"IEND", b"")


def giant_pictures(path: Path, count: int = 6, side: int = 13_000) -> Path:
    """The example family with `count` Words and pictures pages, each with a `side`-square PNG."""
    book = WorkbookBuilder()
    pages = book.rows("Words and pictures")
    template = dict(pages[0])
    while len(pages) < count:
        pages.append({**template, "Page": len(pages) + 1})
    small = io.BytesIO()
    PILImage.new("L", (4, 4)).save(small, format="PNG")
    for index in range(count):
        cell = book.cell("Words and pictures", "Picture", index)
        book.then(
            lambda wb, cell=cell: wb["Words and pictures"].add_image(
                SheetImage(io.BytesIO(small.getvalue())), cell
            )
        )
    book.write(path)
    big = blank_png(side, side)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for number, name in enumerate(sorted(n for n in parts if n.startswith("xl/media/"))):
        parts[name] = _ending(big, number)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


# ------------------------------------------------ small on disk, costly for openpyxl to load


def rewrite_parts(path: Path, change: dict[str, Callable[[str], str]]) -> Path:
    """The workbook at `path` with each named part's XML text changed in place."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for name, edit in change.items():
        parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def after_sheet_data(xml: str) -> Callable[[str], str]:
    """An edit putting `xml` just after a worksheet's <sheetData> (where Excel puts merges)."""
    return lambda text: text.replace("</sheetData>", "</sheetData>" + xml, 1).replace(
        "<sheetData/>", "<sheetData/>" + xml, 1
    )


def merged_range(path: Path, reference: str = "A1:XFD1048576", part: str = FIRST_SHEET) -> Path:
    """The workbook with one merged range on its first sheet (the whole sheet: 17 billion cells)."""
    merge = f'<mergeCells count="1"><mergeCell ref="{reference}"/></mergeCells>'
    return rewrite_parts(path, {part: after_sheet_data(merge)})


def linked_range(path: Path, reference: str, part: str = FIRST_SHEET) -> Path:
    """The workbook with one hyperlink over a range of its first sheet."""
    link = f'<hyperlinks><hyperlink ref="{reference}" location="\'Case\'!A1"/></hyperlinks>'
    return rewrite_parts(path, {part: after_sheet_data(link)})


def formatted_rows(path: Path, count: int, part: str = FIRST_SHEET) -> Path:
    """The workbook with `count` empty rows of a custom height after its first sheet's rows."""
    rows = "".join(f'<row r="{n}" ht="30" customHeight="1"/>' for n in range(5_000, 5_000 + count))
    return rewrite_parts(
        path, {part: lambda text: text.replace("</sheetData>", rows + "</sheetData>")}
    )


def style_formats(path: Path, count: int) -> Path:
    """The workbook with `count` more cell formats in its stylesheet."""
    xf = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' * count
    return rewrite_parts(
        path, {"xl/styles.xml": lambda text: re.sub(r"(<cellXfs[^>]*>)", r"\1" + xf, text, count=1)}
    )


def data_validations(path: Path, count: int, part: str = FIRST_SHEET) -> Path:
    """The workbook with `count` one-cell data validation rules on its first sheet."""
    rules = "".join(f'<dataValidation sqref="Z{n}"/>' for n in range(1, count + 1))
    xml = f'<dataValidations count="{count}">{rules}</dataValidations>'
    return rewrite_parts(path, {part: after_sheet_data(xml)})


def long_sqref(path: Path, count: int, part: str = FIRST_SHEET) -> Path:
    """The workbook with one data validation rule whose list names `count` single cells."""
    cells = " ".join(f"Z{n}" for n in range(1, count + 1))
    rule = (
        f'<dataValidation type="list" sqref="{cells}"><formula1>"a,b"</formula1></dataValidation>'
    )
    xml = f'<dataValidations count="1">{rule}</dataValidations>'
    return rewrite_parts(path, {part: after_sheet_data(xml)})


def conditional_formats(path: Path, count: int, part: str = FIRST_SHEET) -> Path:
    """The workbook with `count` one-cell conditional formats (a rule each) on its first sheet."""
    xml = "".join(
        f'<conditionalFormatting sqref="Z{n}"><cfRule type="expression" priority="{n}">'
        "<formula>TRUE</formula></cfRule></conditionalFormatting>"
        for n in range(1, count + 1)
    )
    return rewrite_parts(path, {part: after_sheet_data(xml)})


def fonts(path: Path, count: int) -> Path:
    """The workbook with `count` more fonts in its stylesheet."""
    font = "".join(
        f'<font><sz val="{n % 400 + 1}"/><name val="f{n}"/></font>' for n in range(count)
    )
    return rewrite_parts(
        path, {"xl/styles.xml": lambda text: re.sub(r"(<fonts[^>]*>)", r"\1" + font, text, count=1)}
    )


def defined_names(path: Path, count: int) -> Path:
    """The workbook with `count` defined names in its workbook part."""
    names = "".join(f'<definedName name="n{n}">Case!$A$1</definedName>' for n in range(count))
    xml = f"<definedNames>{names}</definedNames>"
    return rewrite_parts(
        path, {"xl/workbook.xml": lambda text: text.replace("</sheets>", "</sheets>" + xml, 1)}
    )
