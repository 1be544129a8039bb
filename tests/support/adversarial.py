"""The adversarial workbook corpus: hostile, damaged and odd files, each with what must happen to it.

Every file is generated, never hand-made: from the example workbook (tests/support/builders.py), changed
inside its zip with the helpers of tests/support/corpus.py the way another program or an attacker would.
Everything is written under the folder given, laid out as:

    <out>/inbox/     the corpus files, as people (or attackers) would drop them
    <out>/outside/   what lies outside a watched root: a canary secret and a symlink's target
    <out>/base/      the clean workbooks the corpus is made from

As a script it writes the corpus, and with --run processes each file in a fresh process and
prints the outcome, wall time and peak memory (the figures in docs/reliability.md):

    python stress/adversarial.py OUTDIR [--run]

Tests call `build_corpus(tmp_path)` and `run_isolated(...)`.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import multiprocessing.connection
import os
import re
import resource
import sys
import time
import traceback
import warnings
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl.drawing.image import Image as SheetImage

from tests.support import corpus
from tests.support.builders import WorkbookBuilder

EXAMPLE_TODAY = dt.date(2026, 11, 28)  # the example workbook is valid on this day
CANARY_TEXT = "CANARY-7f3a-do-not-leak"
MAX_NAME_BYTES = 255  # a file name on Linux, ext4 and most shares

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"


class Expect(StrEnum):
    """What must happen to a corpus file."""

    REFUSED = "refused"  # exactly one WB001 problem, in plain words; nothing written
    DOCUMENTS = "documents"  # valid but hostile: both documents are made, the hostility inert
    IGNORED = "ignored"  # never taken by the watcher; named directly, refused with WB001
    PROBLEMS = "problems"  # read, with the validation error whose code is in `says`


@dataclass(frozen=True)
class Entry:
    """One corpus file: where it is, what sort of attack or damage it is, what must happen."""

    name: str
    kind: str
    expect: Expect
    says: str = ""  # a fragment of the WB001 message; for PROBLEMS, the error's code
    path: Path = Path()


@dataclass
class Workshop:
    """The folders and clean workbooks the generators start from."""

    out: Path
    example: Path = field(init=False)
    excel_like: Path = field(init=False)

    def __post_init__(self) -> None:
        for folder in (self.inbox, self.outside, self.base):
            folder.mkdir(parents=True, exist_ok=True)
        self.example = WorkbookBuilder().write(self.base / "example.xlsx")
        self.excel_like = excel_style(self.example, self.base / "excel-like.xlsx")
        (self.outside / "secret.txt").write_text(CANARY_TEXT + "\n", encoding="utf-8")

    @property
    def inbox(self) -> Path:
        """Where the corpus files go."""
        return self.out / "inbox"

    @property
    def outside(self) -> Path:
        """Outside any watched root: the canary and the symlink's target."""
        return self.out / "outside"

    @property
    def base(self) -> Path:
        """The clean source workbooks."""
        return self.out / "base"

    @property
    def canary(self) -> Path:
        """A secret file that hostile workbooks try to read."""
        return self.outside / "secret.txt"

    def copy(self, target: Path, source: Path | None = None) -> Path:
        """A byte-for-byte copy of a clean workbook (the example by default)."""
        target.write_bytes((source or self.example).read_bytes())
        return target

    def sheet(self, path: Path, title: str = "Case") -> str:
        """The zip part of one worksheet."""
        return corpus.sheet_part(path, title)


Generator = Callable[[Workshop, Path], object]


@dataclass(frozen=True)
class Spec:
    """How to make one corpus file."""

    name: str
    kind: str
    expect: Expect
    build: Generator
    says: str = ""


# --------------------------------------------------------------------------------------------
# Building blocks


def excel_style(source: Path, target: Path) -> Path:
    """The workbook with its text in a shared strings part, as Excel saves it (openpyxl inlines)."""
    pattern = re.compile(
        r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
        re.DOTALL,
    )
    strings: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        index = strings.setdefault(match.group(3), len(strings))
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{index}</v></c>'

    with zipfile.ZipFile(source) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        changed = {n: pattern.sub(shared, archive.read(n).decode("utf-8")).encode() for n in sheets}
    items = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings)
    sst = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{SHEET_NS}" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    )
    corpus.rewrite_zip(
        source,
        target,
        replace={
            **changed,
            "[Content_Types].xml": _text(
                lambda xml: xml.replace(
                    "</Types>",
                    f'<Override PartName="/{SHARED_STRINGS_PART}" '
                    f'ContentType="{corpus.SHARED_STRINGS_TYPE}"/></Types>',
                )
            ),
            "xl/_rels/workbook.xml.rels": _text(
                lambda xml: xml.replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdSST" Type="{corpus.SHARED_STRINGS_REL}" '
                    'Target="sharedStrings.xml"/></Relationships>',
                )
            ),
        },
        add={SHARED_STRINGS_PART: sst.encode("utf-8")},
    )
    return target


def _text(change: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda data: change(data.decode("utf-8")).encode("utf-8")


def _with_prolog(xml: str, prolog: str) -> str:
    """The XML with `prolog` (a DOCTYPE, a comment) placed right before its root element."""
    declaration = re.match(r"<\?xml[^>]*\?>\s*", xml)
    head = declaration.group() if declaration else ""
    return head + prolog + xml[len(head) :]


def _patched(
    ws: Workshop,
    target: Path,
    member: Callable[[Path], str],
    change: Callable[[str], str],
    source: Path | None = None,
) -> Path:
    ws.copy(target, source)
    return corpus.patch_text(target, member(target), change)


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


def _external_entity(ws: Workshop, root: str) -> str:
    return f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{ws.canary}">]>'


# --------------------------------------------------------------------------------------------
# Zip bombs and zip tricks


def zip_bomb_ratio(ws: Workshop, target: Path) -> None:
    """64 MB of zeros in one part, deflated to about 64 KB: a ratio of 1000."""
    corpus.add_zeros_member(ws.copy(target), "xl/bomb.xml", 64 * 1024 * 1024)


def zip_bomb_total(ws: Workshop, target: Path) -> None:
    """210 parts of 1 MB of zeros each (under the ratio check), 210 MB in all."""
    ws.copy(target)
    zeros = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive:
        for number in range(210):
            archive.writestr(f"xl/media/padding{number}.bin", zeros)


def zip_bomb_lying_sizes(ws: Workshop, target: Path) -> None:
    """A sheet part that expands to 100 MB while its headers declare 2 KB."""
    ws.copy(target)
    part = ws.sheet(target)
    data = b"<worksheet>" + b" " * (100 * 1024 * 1024) + b"</worksheet>"
    corpus.rewrite_zip(target, target, replace={part: data})
    _declare_size(target, part, 2048)


def _declare_size(path: Path, member: str, size: int) -> None:
    """Overwrite a member's uncompressed size in its local and central headers."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    data[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_length = int.from_bytes(data[central + 28 : central + 30], "little")
        if data[central + 46 : central + 46 + name_length] == member.encode():
            data[central + 24 : central + 28] = size.to_bytes(4, "little")
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


def nested_zip_bomb(ws: Workshop, target: Path) -> None:
    """A valid workbook carrying an embedded zip that would expand to 50 MB (never opened)."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\x00" * (50 * 1024 * 1024))
    corpus.rewrite_zip(
        ws.copy(target), target, add={"xl/embeddings/oleObject1.bin": inner.getvalue()}
    )


def too_many_parts(ws: Workshop, target: Path) -> None:
    """10,001 tiny parts."""
    ws.copy(target)
    with zipfile.ZipFile(target, "a", zipfile.ZIP_STORED) as archive:
        for number in range(10_001):
            archive.writestr(f"xl/x/{number}.bin", b"")


def zip_slip_member(ws: Workshop, target: Path) -> None:
    """A member named to escape an unpacking folder (`../../`); sos-docs never unpacks to disk."""
    corpus.rewrite_zip(ws.copy(target), target, add={"../../escaped.txt": b"escaped"})


def duplicate_members(ws: Workshop, target: Path) -> None:
    """Two members with one name: the first declares an entity, the second is clean."""
    ws.copy(target)
    part = ws.sheet(target)
    clean = corpus.member_text(target, part)
    hostile = _with_prolog(clean, _external_entity(ws, "worksheet"))
    corpus.rewrite_zip(target, target, drop=(part,))
    with (
        warnings.catch_warnings(),
        zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as archive,
    ):
        warnings.simplefilter("ignore")  # "Duplicate name": exactly what is wanted here
        archive.writestr(part, hostile)
        archive.writestr(zipfile.ZipInfo(part), clean)


def html_then_zip(ws: Workshop, target: Path) -> None:
    """A polyglot: a web page with the workbook appended (zip readers find the zip at the end)."""
    target.write_bytes(b"<html><body>hello</body></html>\n" + ws.example.read_bytes())


def unsupported_compression(ws: Workshop, target: Path) -> None:
    """Parts packed with LZMA, which Excel never writes."""
    with zipfile.ZipFile(ws.example) as old:
        members = [(info.filename, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_LZMA) as new:
        for name, data in members:
            new.writestr(name, data)


# --------------------------------------------------------------------------------------------
# Entities, DTDs and XInclude


def billion_laughs_sheet(ws: Workshop, target: Path) -> None:
    """Nested entities in a worksheet that would expand to a billion 'lol's."""
    _patched(
        ws,
        target,
        ws.sheet,
        lambda xml: _with_prolog(xml, BILLION_LAUGHS).replace("CP-2026-0412", "&lol9;"),
    )


def billion_laughs_shared_strings(ws: Workshop, target: Path) -> None:
    """The same in the shared strings part, as Excel-style files keep their text."""
    _patched(
        ws,
        target,
        lambda _: SHARED_STRINGS_PART,
        lambda xml: _with_prolog(xml, BILLION_LAUGHS).replace("CP-2026-0412", "&lol9;"),
        ws.excel_like,
    )


def external_entity_sheet(ws: Workshop, target: Path) -> None:
    """An external entity reading a file outside the root into a cell."""
    _patched(
        ws,
        target,
        ws.sheet,
        lambda xml: _with_prolog(xml, _external_entity(ws, "worksheet")).replace(
            "CP-2026-0412", "&xxe;"
        ),
    )


def external_entity_shared_strings(ws: Workshop, target: Path) -> None:
    """The same in the shared strings part."""
    _patched(
        ws,
        target,
        lambda _: SHARED_STRINGS_PART,
        lambda xml: _with_prolog(xml, _external_entity(ws, "sst")).replace("CP-2026-0412", "&xxe;"),
        ws.excel_like,
    )


def external_dtd_workbook(ws: Workshop, target: Path) -> None:
    """workbook.xml naming an external DTD on a web server (a request out would be a leak)."""
    _patched(
        ws,
        target,
        lambda _: "xl/workbook.xml",
        lambda xml: _with_prolog(xml, '<!DOCTYPE workbook SYSTEM "http://127.0.0.1:9/x.dtd">'),
    )


def parameter_entity_content_types(ws: Workshop, target: Path) -> None:
    """A parameter entity fetching a remote DTD from [Content_Types].xml."""
    prolog = '<!DOCTYPE Types [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'
    _patched(ws, target, lambda _: "[Content_Types].xml", lambda xml: _with_prolog(xml, prolog))


def entity_in_styles(ws: Workshop, target: Path) -> None:
    """An internal entity in styles.xml, a part openpyxl parses with lxml."""
    prolog = '<!DOCTYPE styleSheet [<!ENTITY e "x">]>'
    _patched(ws, target, lambda _: "xl/styles.xml", lambda xml: _with_prolog(xml, prolog))


def doctype_after_long_comment(ws: Workshop, target: Path) -> None:
    """A DOCTYPE hidden behind a 16 KB comment, past where a naive check looks."""
    prolog = "<!--" + "x" * 16_384 + "-->" + _external_entity(ws, "worksheet")
    _patched(ws, target, ws.sheet, lambda xml: _with_prolog(xml, prolog))


def utf16_doctype_sheet(ws: Workshop, target: Path) -> None:
    """A worksheet re-encoded as UTF-16 with an entity, so byte searches for ASCII miss it."""
    ws.copy(target)
    part = ws.sheet(target)
    xml = _with_prolog(
        corpus.member_text(target, part).replace('encoding="UTF-8"', 'encoding="UTF-16"'),
        _external_entity(ws, "worksheet"),
    )
    corpus.rewrite_zip(target, target, replace={part: b"\xff\xfe" + xml.encode("utf-16-le")})


def xinclude_sheet(ws: Workshop, target: Path) -> None:
    """An XInclude of the canary inside a worksheet: must stay an unknown, unread element."""
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{ws.canary}" '
        'parse="text"/>'
    )
    _patched(
        ws, target, ws.sheet, lambda xml: xml.replace("</sheetData>", f"</sheetData>{include}")
    )


def xinclude_in_cell(ws: Workshop, target: Path) -> None:
    """An XInclude inside an inline string's rich text."""
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{ws.canary}" '
        'parse="text"/>'
    )
    _patched(
        ws,
        target,
        ws.sheet,
        lambda xml: xml.replace(
            "<t>Riverside Family Support Team</t>", f"<t>Riverside</t>{include}"
        ),
    )


def _with_picture(target: Path) -> Path:
    """The example with a small picture placed on the first Words and pictures row."""
    png = corpus.png_bytes()
    book = WorkbookBuilder()
    cell = book.cell("Words and pictures", "Picture", 0)
    book.then(lambda wb: wb["Words and pictures"].add_image(SheetImage(io.BytesIO(png)), cell))
    return book.write(target)


def _point_pictures_outside(ws: Workshop, target: Path) -> None:
    """Make every picture relationship of the drawings an external link to the canary."""
    with zipfile.ZipFile(target) as archive:
        rels = [n for n in archive.namelist() if n.startswith("xl/drawings/_rels/")]
    external = f'Target="file://{ws.canary}" TargetMode="External"'
    for part in rels:
        corpus.patch_text(target, part, lambda xml: re.sub(r'Target="[^"]*"', external, xml))


def linked_picture(ws: Workshop, target: Path) -> None:
    """A picture linked to a file outside (Insert > Pictures > Link to File): never read."""
    _with_picture(target)
    _point_pictures_outside(ws, target)
    with zipfile.ZipFile(target) as archive:
        drawings = [n for n in archive.namelist() if re.fullmatch(r"xl/drawings/[^/]+\.xml", n)]
    for part in drawings:
        corpus.patch_text(target, part, lambda xml: xml.replace("r:embed=", "r:link="))


def embedded_picture_outside(ws: Workshop, target: Path) -> None:
    """An embedded picture whose part is said to be a file outside the package."""
    _with_picture(target)
    _point_pictures_outside(ws, target)


def external_workbook_link(ws: Workshop, target: Path) -> None:
    """A hyperlink and an external workbook link to a network share: never followed."""
    book = WorkbookBuilder()
    book.then(lambda wb: setattr(wb["Case"]["C1"], "hyperlink", r"\\attacker\share\x.xlsx"))
    book.write(target)


# --------------------------------------------------------------------------------------------
# Size


def million_row_dimension(ws: Workshop, target: Path) -> None:
    """Sheets declaring the whole sheet, a million rows, as their used range."""
    ws.copy(target)
    with zipfile.ZipFile(target) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
    corpus.rewrite_zip(
        target,
        target,
        replace={
            part: _text(
                lambda xml: re.sub(
                    r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml
                )
            )
            for part in sheets
        },
    )


def hundred_thousand_rows(ws: Workshop, target: Path) -> None:
    """100,000 real rows of harm records, three cells each."""
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="n"><v>46000</v></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>Record {r}</t></is></c>'
        f'<c r="E{r}" t="inlineStr"><is><t>Reported</t></is></c></row>'
        for r in range(2, 100_002)
    )
    _patched(
        ws,
        target,
        lambda path: ws.sheet(path, "Harm"),
        lambda xml: re.sub(
            r"(<row r=\"1\">.*?</row>).*?</sheetData>",
            lambda m: m.group(1) + rows + "</sheetData>",
            xml,
            flags=re.DOTALL,
        ),
    )


def million_formatted_cells(ws: Workshop, target: Path) -> None:
    """600,000 empty formatted cells: nothing to read, everything for openpyxl to build."""
    rows = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{col}{r}" s="1"/>' for col in "HIJKLM") + "</row>"
        for r in range(100, 100_100)
    )
    _patched(
        ws,
        target,
        lambda path: ws.sheet(path, "Grey areas"),
        lambda xml: xml.replace("</sheetData>", rows + "</sheetData>"),
    )


def huge_cell_text(ws: Workshop, target: Path) -> None:
    """One cell holding 1 MB of text (Excel itself stops at 32,767 characters, and so does the budget)."""
    text = ("All work and no play. " * 50_000)[:1_000_000]
    _patched(
        ws,
        target,
        ws.sheet,
        lambda xml: xml.replace("Riverside Family Support Team", text, 1),  # one cell
    )


def deep_nesting(ws: Workshop, target: Path) -> None:
    """100,000 nested elements in a worksheet's extension list."""
    depth = 100_000
    nested = "<extLst>" + "<x>" * depth + "</x>" * depth + "</extLst>"
    _patched(ws, target, ws.sheet, lambda xml: xml.replace("</worksheet>", nested + "</worksheet>"))


def many_sheets(ws: Workshop, target: Path) -> None:
    """300 extra empty sheets next to the mapping sheets."""
    book = WorkbookBuilder()
    book.then(lambda wb: [wb.create_sheet(f"Extra {n}") for n in range(300)])
    book.write(target)


def picture_bomb(ws: Workshop, target: Path) -> None:
    """A picture whose header claims 60,000 x 60,000 pixels (10 GB once decoded)."""
    _with_picture(target)
    (media,) = corpus.media_parts(target)
    corpus.rewrite_zip(target, target, replace={media: corpus.png_claiming_size(60_000, 60_000)})


# --------------------------------------------------------------------------------------------
# Malformed XML and wrong content types


def malformed_sheet(ws: Workshop, target: Path) -> None:
    """A worksheet that breaks off in the middle of a tag."""
    _patched(ws, target, ws.sheet, lambda xml: xml.replace("</sheetData>", "<row><c r=", 1))


def malformed_workbook_xml(ws: Workshop, target: Path) -> None:
    """workbook.xml with unbalanced tags."""
    _patched(ws, target, lambda _: "xl/workbook.xml", lambda xml: xml.replace("</sheets>", "", 1))


def malformed_styles(ws: Workshop, target: Path) -> None:
    """styles.xml that is not XML at all."""
    ws.copy(target)
    corpus.rewrite_zip(target, target, replace={"xl/styles.xml": b"<styleSheet><<<>>>"})


def malformed_shared_strings(ws: Workshop, target: Path) -> None:
    """A shared strings part with bytes that are not UTF-8."""
    ws.copy(target, ws.excel_like)
    corpus.rewrite_zip(
        target,
        target,
        replace={
            SHARED_STRINGS_PART: lambda data: data.replace(b"CP-2026-0412", b"CP-\xff\xfe-0412")
        },
    )


def unknown_encoding(ws: Workshop, target: Path) -> None:
    """Shared strings declaring an encoding that does not exist (found by the fuzzer)."""
    _patched(
        ws,
        target,
        lambda _: SHARED_STRINGS_PART,
        lambda xml: xml.replace('encoding="UTF-8"', 'encoding="TTF-8"', 1),
        ws.excel_like,
    )


def malformed_relationships(ws: Workshop, target: Path) -> None:
    """The workbook's relationships part is damaged."""
    ws.copy(target)
    corpus.rewrite_zip(target, target, replace={"xl/_rels/workbook.xml.rels": b"<Relationships"})


def missing_sheet_part(ws: Workshop, target: Path) -> None:
    """workbook.xml lists the Case sheet but its part is missing from the zip."""
    ws.copy(target)
    corpus.rewrite_zip(target, target, drop=(ws.sheet(target),))


def shared_string_out_of_range(ws: Workshop, target: Path) -> None:
    """A cell pointing at shared string 99,999 of about a hundred."""
    _patched(
        ws,
        target,
        ws.sheet,
        lambda xml: re.sub(r'(<c r="B1" t="s"><v>)\d+', r"\g<1>99999", xml),
        ws.excel_like,
    )


def style_out_of_range(ws: Workshop, target: Path) -> None:
    """Date cells styled with style number 99,999 of a handful."""
    _patched(ws, target, ws.sheet, lambda xml: xml.replace('s="1"', 's="99999"'))


def number_format_overflow(ws: Workshop, target: Path) -> None:
    """A number format id of 2**31 in styles.xml (found by the fuzzer: openpyxl overflowed)."""
    _patched(
        ws,
        target,
        lambda _: "xl/styles.xml",
        lambda xml: xml.replace('numFmtId="0"', 'numFmtId="2147483648"'),
    )


def wrong_workbook_content_type(ws: Workshop, target: Path) -> None:
    """[Content_Types].xml says the workbook part is a Word document."""
    _patched(
        ws,
        target,
        lambda _: "[Content_Types].xml",
        lambda xml: xml.replace(
            corpus.PLAIN_WORKBOOK_TYPE,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        ),
    )


def empty_content_types(ws: Workshop, target: Path) -> None:
    """[Content_Types].xml lists nothing."""
    ws.copy(target)
    corpus.rewrite_zip(
        target,
        target,
        replace={
            "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"/>'
        },
    )


def sheets_typed_as_pictures(ws: Workshop, target: Path) -> None:
    """Every worksheet part declared as a PNG picture."""
    _patched(
        ws,
        target,
        lambda _: "[Content_Types].xml",
        lambda xml: xml.replace(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml", "image/png"
        ),
    )


def content_types_missing(ws: Workshop, target: Path) -> None:
    """No [Content_Types].xml at all."""
    ws.copy(target)
    corpus.rewrite_zip(target, target, drop=("[Content_Types].xml",))


# --------------------------------------------------------------------------------------------
# Wrong formats and damaged files


def macro_workbook(ws: Workshop, target: Path) -> None:
    """A macro-enabled workbook with a VBA project (never run)."""
    corpus.as_xlsm(ws.example, target)


def encrypted(ws: Workshop, target: Path) -> None:
    """A password-protected workbook (an OLE2 file holding EncryptionInfo)."""
    corpus.ole2_file(target, encrypted=True)


def encrypted_zip_members(ws: Workshop, target: Path) -> None:
    """A zip whose members carry the zip encryption flag."""
    corpus.encrypted_member_zip(target)


def legacy_xls(ws: Workshop, target: Path) -> None:
    """An Excel 97-2003 file renamed .xlsx."""
    corpus.ole2_file(target, encrypted=False)


def ods_renamed(ws: Workshop, target: Path) -> None:
    """An OpenDocument spreadsheet renamed .xlsx."""
    corpus.ods_file(target)


def csv_renamed(ws: Workshop, target: Path) -> None:
    """A CSV export renamed .xlsx."""
    target.write_text("Case reference,CP-2026-0412\nMeeting type,Review\n", encoding="utf-8")


def empty_file(ws: Workshop, target: Path) -> None:
    """Zero bytes."""
    target.write_bytes(b"")


def truncated_at(tenths: int) -> Generator:
    """The example cut off after `tenths` tenths of its length, as a broken copy leaves it."""

    def build(ws: Workshop, target: Path) -> None:
        corpus.truncated(ws.example, target, keep=tenths / 10)

    build.__doc__ = f"The example cut off at {tenths * 10}% of its length."
    return build


def corrupt_sheet_data(ws: Workshop, target: Path) -> None:
    """A worksheet part whose compressed bytes were damaged (CRC fails)."""
    corpus.corrupt_member_data(ws.copy(target), ws.sheet(ws.example))


# --------------------------------------------------------------------------------------------
# Things in the inbox that are not files, and names


def folder_named_xlsx(ws: Workshop, target: Path) -> None:
    """A folder with a workbook's name."""
    target.mkdir()
    ws.copy(target / "inside.xlsx")


def symlink_outside(ws: Workshop, target: Path) -> None:
    """A symbolic link to a workbook outside the root."""
    outside = ws.copy(ws.outside / "outside-the-root.xlsx")
    target.symlink_to(outside)


def symlink_to_secret(ws: Workshop, target: Path) -> None:
    """A symbolic link with a workbook's name pointing at the canary secret."""
    target.symlink_to(ws.canary)


def clean_copy(ws: Workshop, target: Path) -> None:
    """The valid example under a hostile name."""
    ws.copy(target)


def longest_name(suffix: str = ".xlsx", char: str = "a") -> str:
    """A name of exactly 255 UTF-8 bytes (or one character less when `char` does not fit)."""
    stem = char * ((MAX_NAME_BYTES - len(suffix.encode())) // len(char.encode()))
    return stem + suffix


HOSTILE_NAMES: tuple[tuple[str, str], ...] = (
    ("unicode name", "Siân Zoë Łukasz Nguyễn اسماء 日本.xlsx"),
    ("spaces in name", "  case  with   spaces  .xlsx"),
    ("hash in name", "case #1 #2 #.xlsx"),
    ("percent and ampersand", "50% & <more> 'quoted'.xlsx"),
    ("leading dash", "-rf --help.xlsx"),
    ("newline in name", "line one\nline two.xlsx"),
    ("bidi override in name", "invoice\u202exslx.exe.xlsx"),
    ("longest ASCII name", longest_name()),
    ("longest multi-byte name", longest_name(char="é")),
    ("name not valid UTF-8", os.fsdecode(b"bad-\xff\xfe-bytes.xlsx")),
    ("Windows device name", "CON.xlsx"),
)


# --------------------------------------------------------------------------------------------
# The corpus


def _specs() -> list[Spec]:
    refused, documents, ignored = Expect.REFUSED, Expect.DOCUMENTS, Expect.IGNORED
    problems = Expect.PROBLEMS
    damaged = "damaged"
    xml_attack = "XML declarations"
    specs = [
        Spec("zip-bomb-ratio.xlsx", "zip bomb", refused, zip_bomb_ratio, "expand"),
        Spec("zip-bomb-total.xlsx", "zip bomb", refused, zip_bomb_total, "unpacks to"),
        Spec("zip-bomb-lying-sizes.xlsx", "zip bomb", refused, zip_bomb_lying_sizes, damaged),
        Spec("zip-bomb-nested.xlsx", "zip bomb", documents, nested_zip_bomb),
        Spec("too-many-parts.xlsx", "zip bomb", refused, too_many_parts, "parts"),
        Spec("zip-slip-member.xlsx", "zip trick", documents, zip_slip_member),
        Spec("duplicate-members.xlsx", "zip trick", refused, duplicate_members, xml_attack),
        Spec("html-then-zip.xlsx", "zip trick", refused, html_then_zip, "not recognised"),
        Spec("lzma-parts.xlsx", "zip trick", refused, unsupported_compression, "packed"),
        Spec(
            "billion-laughs-sheet.xlsx",
            "entity expansion",
            refused,
            billion_laughs_sheet,
            xml_attack,
        ),
        Spec(
            "billion-laughs-shared-strings.xlsx",
            "entity expansion",
            refused,
            billion_laughs_shared_strings,
            xml_attack,
        ),
        Spec("entity-in-styles.xlsx", "entity expansion", refused, entity_in_styles, xml_attack),
        Spec(
            "external-entity-sheet.xlsx",
            "external entity",
            refused,
            external_entity_sheet,
            xml_attack,
        ),
        Spec(
            "external-entity-shared-strings.xlsx",
            "external entity",
            refused,
            external_entity_shared_strings,
            xml_attack,
        ),
        Spec(
            "external-dtd-workbook.xlsx",
            "external entity",
            refused,
            external_dtd_workbook,
            xml_attack,
        ),
        Spec(
            "parameter-entity-content-types.xlsx",
            "external entity",
            refused,
            parameter_entity_content_types,
            xml_attack,
        ),
        Spec(
            "doctype-after-long-comment.xlsx",
            "external entity",
            refused,
            doctype_after_long_comment,
            xml_attack,
        ),
        Spec(
            "utf16-doctype-sheet.xlsx", "external entity", refused, utf16_doctype_sheet, xml_attack
        ),
        Spec("xinclude-sheet.xlsx", "external entity", documents, xinclude_sheet),
        Spec("xinclude-in-cell.xlsx", "external entity", documents, xinclude_in_cell),
        Spec("linked-picture.xlsx", "external link", documents, linked_picture),
        Spec(
            "embedded-picture-outside.xlsx",
            "external link",
            refused,
            embedded_picture_outside,
            damaged,
        ),
        Spec("external-workbook-link.xlsx", "external link", documents, external_workbook_link),
        Spec("million-row-dimension.xlsx", "size", documents, million_row_dimension),
        Spec(
            "100000-rows.xlsx", "size", refused, hundred_thousand_rows, "100,001 rows with values"
        ),
        Spec(
            "600000-formatted-cells.xlsx",
            "size",
            refused,
            million_formatted_cells,
            "formatted cells",
        ),
        Spec("one-megabyte-cell.xlsx", "size", refused, huge_cell_text, "too large or too complex"),
        Spec("deep-nesting.xlsx", "size", documents, deep_nesting),
        Spec("300-extra-sheets.xlsx", "size", documents, many_sheets),
        Spec("picture-bomb.xlsx", "size", refused, picture_bomb, "picture too large"),
        Spec("malformed-sheet.xlsx", "malformed XML", refused, malformed_sheet, damaged),
        Spec(
            "malformed-workbook-xml.xlsx", "malformed XML", refused, malformed_workbook_xml, damaged
        ),
        Spec("malformed-styles.xlsx", "malformed XML", refused, malformed_styles, damaged),
        Spec(
            "malformed-shared-strings.xlsx",
            "malformed XML",
            refused,
            malformed_shared_strings,
            damaged,
        ),
        Spec(
            "unknown-encoding.xlsx",
            "malformed XML",
            refused,
            unknown_encoding,
            damaged,
        ),
        Spec(
            "malformed-relationships.xlsx",
            "malformed XML",
            refused,
            malformed_relationships,
            damaged,
        ),
        Spec("missing-sheet-part.xlsx", "malformed XML", problems, missing_sheet_part, "WB002"),
        Spec(
            "shared-string-out-of-range.xlsx",
            "malformed XML",
            refused,
            shared_string_out_of_range,
            damaged,
        ),
        Spec("style-out-of-range.xlsx", "malformed XML", refused, style_out_of_range, damaged),
        Spec(
            "number-format-overflow.xlsx",
            "malformed XML",
            refused,
            number_format_overflow,
            damaged,
        ),
        Spec("corrupt-sheet-data.xlsx", "malformed XML", refused, corrupt_sheet_data, damaged),
        Spec(
            "workbook-typed-as-word.xlsx",
            "wrong content types",
            refused,
            wrong_workbook_content_type,
            damaged,
        ),
        Spec(
            "empty-content-types.xlsx", "wrong content types", refused, empty_content_types, damaged
        ),
        Spec(
            "sheets-typed-as-pictures.xlsx",
            "wrong content types",
            documents,
            sheets_typed_as_pictures,
        ),
        Spec(
            "no-content-types.xlsx",
            "wrong content types",
            refused,
            content_types_missing,
            "lacks the parts",
        ),
        Spec("macros.xlsm", "macros", documents, macro_workbook),
        Spec("encrypted.xlsx", "encrypted", refused, encrypted, "password"),
        Spec("encrypted-zip-members.xlsx", "encrypted", refused, encrypted_zip_members, "password"),
        Spec("legacy-xls.xlsx", "wrong format", refused, legacy_xls, "97-2003"),
        Spec("opendocument.xlsx", "wrong format", refused, ods_renamed, "OpenDocument"),
        Spec("csv-export.xlsx", "wrong format", refused, csv_renamed, "CSV"),
        Spec("empty.xlsx", "empty", refused, empty_file, "empty"),
        *(
            Spec(f"truncated-{t * 10}pc.xlsx", "truncated", refused, truncated_at(t), damaged)
            for t in range(1, 10)
        ),
        Spec("folder.xlsx", "not a file", ignored, folder_named_xlsx, "is a folder"),
        Spec("link-outside.xlsx", "symbolic link", ignored, symlink_outside, "symbolic link"),
        Spec("link-to-secret.xlsx", "symbolic link", ignored, symlink_to_secret, "symbolic link"),
    ]
    specs += [Spec(name, kind, documents, clean_copy) for kind, name in HOSTILE_NAMES]
    return specs


SPECS: tuple[Spec, ...] = tuple(_specs())


def build_corpus(out: Path, only: Iterable[str] | None = None) -> list[Entry]:
    """Write the corpus under `out` (see the module docstring) and return its entries."""
    ws = Workshop(out)
    wanted = set(only) if only is not None else None
    entries = []
    for spec in SPECS:
        if wanted is not None and spec.name not in wanted:
            continue
        target = ws.inbox / spec.name
        spec.build(ws, target)
        entries.append(Entry(spec.name, spec.kind, spec.expect, spec.says, target))
    return entries


# --------------------------------------------------------------------------------------------
# Running one file in its own process, with a time and a memory measure


@dataclass(frozen=True)
class Measured:
    """What processing one file in a fresh process did, and what it cost."""

    name: str
    seconds: float
    peak_rss_mb: float  # the child's peak resident memory, including the loaded libraries
    start_rss_mb: float  # its resident memory before the file was touched
    codes: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()  # paths relative to the output root
    written: tuple[str, ...] = ()  # every file under the output root afterwards
    error: str = ""  # a traceback: an exception escaped, which must never happen
    opened_outside: tuple[str, ...] = ()  # files opened outside the allowed folders
    network: tuple[str, ...] = ()  # socket calls made
    timed_out: bool = False

    @property
    def refused(self) -> bool:
        """Exactly one WB001 problem and nothing written."""
        return self.codes == ("WB001",) and not self.written and not self.error


def run_isolated(
    path: Path,
    out_root: Path,
    *,
    full: bool,
    forbidden: Path | None = None,
    timeout: float = 60.0,
    today: dt.date = EXAMPLE_TODAY,
) -> Measured:
    """Check (and with `full`, process) one file in a fresh process forked from a warm server.

    The child reports its wall time and peak RSS (resource.getrusage); file opens under
    `forbidden` and any socket use are recorded by an audit hook. A child still busy after
    `timeout` seconds is killed and reported as timed out.
    """
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    args = (str(path), str(out_root), full, str(forbidden or ""), today.isoformat(), sender)
    child = context.Process(target=_child, args=args, daemon=True)
    started = time.perf_counter()
    child.start()
    sender.close()
    try:
        if receiver.poll(timeout):
            return Measured(**receiver.recv())
    except EOFError:  # the child died without a word (killed by the kernel, say)
        child.join(5)
        return Measured(
            path.name,
            time.perf_counter() - started,
            0,
            0,
            error=f"child died: exit code {child.exitcode}",
        )
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    return Measured(path.name, time.perf_counter() - started, 0, 0, timed_out=True)


_CONTEXT: multiprocessing.context.ForkServerContext | None = None


def _forkserver() -> multiprocessing.context.ForkServerContext:
    """A fork server that has imported sos-docs once, so each child starts warm and measurable."""
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sos_docs.pipeline", "tests.support.adversarial"])
        _CONTEXT = context
    return _CONTEXT


def _child(
    path: str,
    out_root: str,
    full: bool,
    forbidden: str,
    today: str,
    sender: multiprocessing.connection.Connection,
) -> None:
    """In the child: run the pipeline on one file and send back what happened."""
    opened: list[str] = []
    network: list[str] = []
    sys.addaudithook(_audit(forbidden, opened, network))
    start_rss = _rss_mb()
    started = time.perf_counter()
    result: dict[str, Any] = {"name": Path(path).name}
    try:
        result.update(_process(Path(path), Path(out_root), full, dt.date.fromisoformat(today)))
    except BaseException:
        result["error"] = traceback.format_exc()
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["start_rss_mb"] = start_rss
    result["written"] = tuple(
        p.relative_to(out_root).as_posix() for p in sorted(Path(out_root).rglob("*")) if p.is_file()
    )
    result["opened_outside"] = tuple(opened)
    result["network"] = tuple(network)
    sender.send(result)
    sender.close()


def _process(path: Path, out_root: Path, full: bool, today: dt.date) -> dict[str, Any]:
    from sos_docs import pipeline

    if full:
        outcome = pipeline.process_workbook(path, out_root, today=today)
        validation, documents = outcome.validation, outcome.documents
    else:
        validation, documents = pipeline.check_workbook(path, today=today), ()
    return {
        "codes": tuple(p.code for p in validation.errors),
        "messages": tuple(p.message for p in validation.errors),
        "documents": tuple(d.relative_to(out_root).as_posix() for d in documents),
    }


def _audit(
    forbidden: str, opened: list[str], network: list[str]
) -> Callable[[str, tuple[Any, ...]], None]:
    """An audit hook noting files opened under `forbidden` and every socket call."""

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and forbidden and args and isinstance(args[0], str | bytes):
            name = os.fsdecode(args[0])
            if name.startswith(forbidden):
                opened.append(name)
        elif event.startswith("socket.") and event != "socket.gethostname":
            network.append(f"{event}{args!r}"[:200])

    return hook


def _rss_mb() -> float:
    """The current resident memory of this process, in MB (Linux)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


# --------------------------------------------------------------------------------------------
# The script
