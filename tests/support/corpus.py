"""Generators of bad, hostile and unusual workbook files for the guard and reader tests.

Each writes a real file (usually a real .xlsx from tests/support/builders.py, then changed inside its zip
the way another program or an attacker would) and returns its path.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path

from PIL import Image as PILImage

Change = bytes | Callable[[bytes], bytes]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
MACRO_WORKBOOK_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
PLAIN_WORKBOOK_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def rewrite_zip(
    source: Path,
    target: Path,
    *,
    replace: Mapping[str, Change] | None = None,
    add: Mapping[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
) -> Path:
    """Copy a zip member by member, changing, adding or leaving out the named members."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(source) as old:
        members = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(target.with_suffix(".tmp"), "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in members:
            if name in drop:
                continue
            change = replace.get(name)
            if change is not None:
                data = change(data) if callable(change) else change
            new.writestr(name, data)
        for name, data in add.items():
            new.writestr(name, data)
    target.with_suffix(".tmp").replace(target)
    return target


def patch_text(path: Path, member: str, change: Callable[[str], str]) -> Path:
    """Change one XML member of a zip in place, as UTF-8 text."""
    return rewrite_zip(
        path, path, replace={member: lambda data: change(data.decode("utf-8")).encode("utf-8")}
    )


def member_text(path: Path, member: str) -> str:
    """One member of a zip as UTF-8 text."""
    with zipfile.ZipFile(path) as archive:
        return archive.read(member).decode("utf-8")


def sheet_part(path: Path, title: str) -> str:
    """The zip part holding the worksheet with this tab title."""
    workbook = member_text(path, "xl/workbook.xml")
    rels = member_text(path, "xl/_rels/workbook.xml.rels")
    rel_id = re.search(rf'<sheet [^>]*name="{re.escape(title)}"[^>]*r:id="([^"]+)"', workbook)
    assert rel_id, f"no sheet {title!r}"
    target = re.search(rf'<Relationship [^>]*Id="{rel_id.group(1)}"[^>]*/>', rels)
    assert target
    found = re.search(r'Target="([^"]+)"', target.group(0))
    assert found
    return "xl/" + found.group(1).removeprefix("/xl/")


def replace_cell(path: Path, part: str, ref: str, element: str) -> Path:
    """Replace the <c> element of one cell in a worksheet part with `element`."""
    pattern = re.compile(rf'<c r="{ref}"(?: [^>]*)?(?:/>|>.*?</c>)')

    def change(xml: str) -> str:
        changed, count = pattern.subn(lambda _: element, xml, count=1)
        assert count == 1, f"cell {ref} not found in {part}"
        return changed

    return patch_text(path, part, change)


def with_shared_string(path: Path, part: str, ref: str, text_xml: str, prolog: str = "") -> Path:
    """Make cell `ref` a shared string whose <t> content is `text_xml` (already XML-escaped).

    openpyxl writes inline strings; Excel writes a sharedStrings part, which this adds (with an
    optional `prolog` before its root element).
    """
    sst = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        f'uniqueCount="1"><si><t xml:space="preserve">{text_xml}</t></si></sst>'
    )
    rewrite_zip(
        path,
        path,
        replace={
            "[Content_Types].xml": _text_change(
                lambda xml: xml.replace(
                    "</Types>",
                    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
                    "</Types>",
                )
            ),
            "xl/_rels/workbook.xml.rels": _text_change(
                lambda xml: xml.replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdSST" Type="{SHARED_STRINGS_REL}" '
                    'Target="sharedStrings.xml"/></Relationships>',
                )
            ),
        },
        add={"xl/sharedStrings.xml": sst.encode("utf-8")},
    )
    return replace_cell(path, part, ref, f'<c r="{ref}" t="s"><v>0</v></c>')


def as_xlsm(xlsx: Path, target: Path) -> Path:
    """The workbook as a macro-enabled .xlsm with a (never run) VBA project part."""
    return rewrite_zip(
        xlsx,
        target,
        replace={
            "[Content_Types].xml": _text_change(
                lambda xml: xml.replace(PLAIN_WORKBOOK_TYPE, MACRO_WORKBOOK_TYPE).replace(
                    "</Types>",
                    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                    "</Types>",
                )
            ),
            "xl/_rels/workbook.xml.rels": _text_change(
                lambda xml: xml.replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdVBA" Type="{VBA_REL}" Target="vbaProject.bin"/>'
                    "</Relationships>",
                )
            ),
        },
        add={"xl/vbaProject.bin": OLE2_MAGIC + b"\x00" * 504 + b'Attribute VB_Name = "Module1"'},
    )


def ole2_file(path: Path, *, encrypted: bool) -> Path:
    """An OLE2 compound file: an encrypted .xlsx holds EncryptionInfo, a legacy .xls a Workbook."""
    streams = ("EncryptionInfo", "EncryptedPackage") if encrypted else ("Workbook", "SummaryInfo")
    directory = b"".join(name.encode("utf-16-le").ljust(128, b"\x00") for name in streams)
    path.write_bytes(OLE2_MAGIC + b"\x00" * 504 + directory + b"\x00" * 2048)
    return path


def zip_file(
    path: Path, members: Mapping[str, bytes], compress_type: int = zipfile.ZIP_DEFLATED
) -> Path:
    """A zip holding exactly these members."""
    with zipfile.ZipFile(path, "w", compress_type) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def ods_file(path: Path) -> Path:
    """An OpenDocument spreadsheet as LibreOffice writes it: `mimetype` first, stored."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>", zipfile.ZIP_DEFLATED)
    return path


def add_zeros_member(path: Path, member: str, size: int) -> Path:
    """Add a member of `size` zero bytes, deflated (300 MB takes about 1.3 MB on disk)."""
    info = zipfile.ZipInfo(member)
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = b"\x00" * (1024 * 1024)
    with (
        zipfile.ZipFile(path, "a", compresslevel=1) as archive,
        archive.open(info, "w", force_zip64=True) as stream,
    ):
        for _ in range(size // len(chunk)):
            stream.write(chunk)
    return path


def encrypted_member_zip(path: Path) -> Path:
    """A zip whose members carry the traditional zip encryption flag (bit 0 of the flags)."""
    zip_file(path, {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    data = bytearray(path.read_bytes())
    # zipfile cannot write encrypted members, so set the flag in every local (PK\3\4, flags at
    # offset 6) and central (PK\1\2, flags at offset 8) header.
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            data[start + flags_at] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    return path


def truncated(source: Path, target: Path, keep: float = 0.5) -> Path:
    """The first part of a file only, as an interrupted copy leaves it."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def corrupt_member_data(path: Path, member: str) -> Path:
    """Flip bytes inside one member's compressed data, keeping the zip's directory intact."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    # The local header is 30 bytes plus the name and extra field; the data follows.
    name_length = int.from_bytes(data[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + 5, start + min(info.compress_size, 40)):
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    return path


def png_bytes(
    color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (12, 8)
) -> bytes:
    """A small real PNG image."""
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    """A small real JPEG image."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (10, 10), (20, 120, 220)).save(buffer, format="JPEG")
    return buffer.getvalue()


def png_claiming_size(width: int, height: int) -> bytes:
    """A PNG whose header claims these dimensions (Pillow reads only the header to open it)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body).to_bytes(4, "big")
        return len(body).to_bytes(4, "big") + kind + body + checksum

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def media_parts(path: Path) -> list[str]:
    """The names of the picture parts in a workbook."""
    with zipfile.ZipFile(path) as archive:
        return [name for name in archive.namelist() if name.startswith("xl/media/")]


def _text_change(change: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda data: change(data.decode("utf-8")).encode("utf-8")
