"""Tests for sos_docs.workbook.guard: every kind of file that must be refused before openpyxl opens it."""

from __future__ import annotations

import contextlib
import os
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import openpyxl.xml
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sos_docs.config import Limits
from sos_docs.errors import WorkbookError
from sos_docs.workbook import guard
from sos_docs.workbook.guard import CheckedArchive, check_workbook_file, read_checked_workbook
from tests.support import corpus
from tests.support.builders import WorkbookBuilder, example_workbook

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>'
)


def refusal(path: Path, limits: Limits | None = None) -> str:
    """The one-line message the guard refuses `path` with."""
    with pytest.raises(WorkbookError) as caught:
        check_workbook_file(path, limits or Limits())
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid workbook plus one member of 300 MB of zeros (about 1.3 MB on disk)."""
    path = example_workbook(tmp_path_factory.mktemp("bomb"), "bomb.xlsx")
    return corpus.add_zeros_member(path, "xl/worksheets/sheet99.xml", 300 * 1024 * 1024)


# ------------------------------------------------------------------------------ accepted


def test_valid_workbook_passes(tmp_path: Path) -> None:
    """The example workbook passes every check."""
    check_workbook_file(example_workbook(tmp_path))


def test_checked_bytes_are_the_file(tmp_path: Path) -> None:
    """read_checked_workbook returns exactly the bytes it checked."""
    path = example_workbook(tmp_path)
    assert read_checked_workbook(path) == path.read_bytes()


@pytest.mark.parametrize(
    "name",
    ["Siân Nguyễn's case #3 (copy).xlsx", "case file.XLSX", "no extension", "اسماء.xlsx"],
)
def test_any_file_name_is_accepted(tmp_path: Path, name: str) -> None:
    """Unicode, spaces, # and odd extensions in a name do not matter: the content does."""
    check_workbook_file(example_workbook(tmp_path, name))


def test_xlsm_is_accepted(tmp_path: Path) -> None:
    """A macro-enabled workbook passes (its macros are never run)."""
    xlsm = corpus.as_xlsm(example_workbook(tmp_path), tmp_path / "case.xlsm")
    with zipfile.ZipFile(xlsm) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    check_workbook_file(xlsm)


def test_svg_picture_with_doctype_is_accepted(tmp_path: Path) -> None:
    """An SVG picture may carry its own DOCTYPE; openpyxl never parses it, so it is not refused."""
    svg = b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg/>'
    path = corpus.rewrite_zip(
        example_workbook(tmp_path), tmp_path / "svg.xlsx", add={"xl/media/image1.svg": svg}
    )
    check_workbook_file(path)


def test_openpyxl_parses_with_defusedxml() -> None:
    """defusedxml is installed and openpyxl uses it (the second layer against hostile XML)."""
    assert openpyxl.xml.DEFUSEDXML is True


# ------------------------------------------------------------------------- the file itself


def test_missing_file(tmp_path: Path) -> None:
    """A file that does not exist is named and called missing."""
    message = refusal(tmp_path / "gone.xlsx")
    assert '"gone.xlsx"' in message
    assert "cannot be found" in message


def test_folder(tmp_path: Path) -> None:
    """A folder is not a workbook."""
    (tmp_path / "case.xlsx").mkdir()
    assert "is a folder" in refusal(tmp_path / "case.xlsx")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_named_pipe_is_refused_without_hanging(tmp_path: Path) -> None:
    """A named pipe is refused from its file type, never opened (opening would block)."""
    os.mkfifo(tmp_path / "pipe.xlsx")
    assert "not an ordinary file" in refusal(tmp_path / "pipe.xlsx")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    """A file without read permission is refused with a hint to close it or ask for access."""
    path = example_workbook(tmp_path)
    path.chmod(0)
    try:
        message = refusal(path)
    finally:
        path.chmod(0o600)
    assert "access is denied" in message


def test_empty_file(tmp_path: Path) -> None:
    """A 0-byte file is called empty."""
    (tmp_path / "case.xlsx").write_bytes(b"")
    message = refusal(tmp_path / "case.xlsx")
    assert "is empty (0 bytes)" in message
    assert "save it again" in message


def test_too_large_file_gives_size_and_limit(tmp_path: Path) -> None:
    """A file over the size limit is refused unread, with its size and the limit."""
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * (3 * 1024 * 1024))
    message = refusal(path, Limits(max_file_bytes=2 * 1024 * 1024))
    assert "is 3.0 MB, larger than the 2.0 MB limit" in message


# -------------------------------------------------------------------- OLE2 and not-a-zip


def test_password_protected_workbook(tmp_path: Path) -> None:
    """An encrypted .xlsx (an OLE2 file with EncryptionInfo) gets the steps to remove the password."""
    message = refusal(corpus.ole2_file(tmp_path / "locked.xlsx", encrypted=True))
    assert "password" in message
    assert "File > Info > Protect Workbook > Encrypt with Password" in message


def test_legacy_xls(tmp_path: Path) -> None:
    """An Excel 97-2003 file is told to be saved as .xlsx."""
    message = refusal(corpus.ole2_file(tmp_path / "old.xls", encrypted=False))
    assert ".xls" in message
    assert "File > Save As > Excel Workbook (.xlsx)" in message


@pytest.mark.parametrize(
    "content",
    [
        "ID,Name,Date of birth\nC1,Mia Hartley,14/03/2017\n",
        "ID;Name\nC1;Zoë Łukasz\n",
        "\ufeffID\tName\nC1\tSiân\n",
    ],
)
def test_csv_named_xlsx(tmp_path: Path, content: str) -> None:
    """A CSV or text file with an .xlsx name is recognised as text and told how to save as .xlsx."""
    path = tmp_path / "case.xlsx"
    path.write_text(content, encoding="utf-8")
    message = refusal(path)
    assert "text or CSV" in message
    assert "Save As > Excel Workbook (.xlsx)" in message


def test_utf16_text_named_xlsx(tmp_path: Path) -> None:
    """Unicode text as Excel's "Unicode Text" saves it (UTF-16 with BOM) is recognised as text."""
    path = tmp_path / "case.xlsx"
    path.write_bytes("ID\tName\r\nC1\tMia\r\n".encode("utf-16"))
    assert "text or CSV" in refusal(path)


def test_web_page_named_xls(tmp_path: Path) -> None:
    """An HTML export with an Excel name is called a web page, not a workbook."""
    path = tmp_path / "export.xlsx"
    path.write_text("<html><body><table><tr><td>C1</td></tr></table></body></html>")
    message = refusal(path)
    assert "web page or XML" in message
    assert "Save As" in message


def test_pdf(tmp_path: Path) -> None:
    """A PDF is named as a PDF."""
    path = tmp_path / "case.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    assert "PDF document" in refusal(path)


def test_unknown_binary(tmp_path: Path) -> None:
    """Random bytes are refused as an unrecognised format."""
    path = tmp_path / "case.xlsx"
    path.write_bytes(bytes(range(256)) * 8)
    message = refusal(path)
    assert "not recognised" in message
    assert "Save As" in message


# ------------------------------------------------------------------------------ zip kinds


def test_opendocument_spreadsheet(tmp_path: Path) -> None:
    """An .ods is told how to save as .xlsx from LibreOffice."""
    message = refusal(corpus.ods_file(tmp_path / "case.ods"))
    assert "OpenDocument spreadsheet (.ods)" in message
    assert "LibreOffice" in message
    assert "Save As" in message


def test_word_document(tmp_path: Path) -> None:
    """A Word document (a real .docx) is recognised as such."""
    path = tmp_path / "case.xlsx"
    docx.Document().save(str(path))
    assert "a Word document, not an Excel workbook" in refusal(path)


def test_excel_binary_workbook(tmp_path: Path) -> None:
    """An .xlsb is told to be saved as .xlsx."""
    path = corpus.zip_file(
        tmp_path / "case.xlsb", {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x00"}
    )
    message = refusal(path)
    assert ".xlsb" in message
    assert "Save As" in message


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    """A zip without [Content_Types].xml and xl/workbook.xml is not a workbook."""
    path = corpus.zip_file(tmp_path / "photos.xlsx", {"holiday/notes.txt": b"hello"})
    assert "a zip file but not an Excel workbook" in refusal(path)


def test_workbook_without_workbook_part(tmp_path: Path) -> None:
    """An .xlsx missing xl/workbook.xml is not a workbook."""
    path = corpus.rewrite_zip(
        example_workbook(tmp_path), tmp_path / "broken.xlsx", drop=("xl/workbook.xml",)
    )
    assert "not an Excel workbook" in refusal(path)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.95])
def test_truncated_workbook(tmp_path: Path, keep: float) -> None:
    """A partly copied workbook is called damaged."""
    path = corpus.truncated(example_workbook(tmp_path), tmp_path / "cut.xlsx", keep)
    message = refusal(path)
    assert "damaged" in message
    assert "save it again" in message


def test_zip_encrypted_members(tmp_path: Path) -> None:
    """Zip-level encryption is treated as a password."""
    assert "password" in refusal(corpus.encrypted_member_zip(tmp_path / "case.xlsx"))


def test_compression_excel_never_uses(tmp_path: Path) -> None:
    """A member packed with bzip2 is refused (Excel only stores or deflates)."""
    source = example_workbook(tmp_path)
    with zipfile.ZipFile(source) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    path = corpus.zip_file(tmp_path / "bz.xlsx", members, zipfile.ZIP_BZIP2)
    assert "packed in a way Excel never uses" in refusal(path)


def test_too_many_members(tmp_path: Path) -> None:
    """A zip of thousands of tiny parts is refused from its directory."""
    members = {f"xl/part{i}.xml": b"" for i in range(10_001)}
    members |= {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    path = corpus.zip_file(tmp_path / "many.xlsx", members, zipfile.ZIP_STORED)
    assert "10,003 parts" in refusal(path)


# ------------------------------------------------------------------------------ zip bombs


def test_zip_bomb_refused_by_ratio_without_expanding(zip_bomb: Path) -> None:
    """A 300 MB member of zeros is refused from the zip directory alone, fast and in little memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refusal(zip_bomb)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "xl/worksheets/sheet99.xml" in message
    assert "would expand" in message
    assert elapsed < 2.0
    assert peak < 20 * 1024 * 1024  # the file is ~1.3 MB; expanding would need 300 MB


def test_zip_bomb_refused_by_total_size(zip_bomb: Path) -> None:
    """The sum of declared sizes over the limit is refused, with the size and the limit."""
    limits = Limits(max_uncompressed_bytes=100 * 1024 * 1024, max_compression_ratio=10**6)
    message = refusal(zip_bomb, limits)
    assert "unpacks to 300." in message
    assert "100.0 MB limit" in message


def test_small_parts_may_compress_well(tmp_path: Path) -> None:
    """A highly compressible part under 1 MB is not a bomb (ratios are checked only above it)."""
    path = corpus.add_zeros_member(example_workbook(tmp_path), "xl/media/blank.bin", 1024 * 1024)
    check_workbook_file(path, Limits(max_compression_ratio=2))


def test_total_limit_applies_to_real_workbooks(tmp_path: Path) -> None:
    """A tiny uncompressed limit refuses even the example, naming both sizes."""
    message = refusal(example_workbook(tmp_path), Limits(max_uncompressed_bytes=1000))
    assert "limit" in message
    assert "unpacks to" in message


# ------------------------------------------------------------------------ XML entity tricks


def _example_with_shared_strings(tmp_path: Path, prolog: str) -> Path:
    book = WorkbookBuilder()
    path = book.write(tmp_path / "case.xlsx")
    part = corpus.sheet_part(path, "Case")
    return corpus.with_shared_string(path, part, book.cell("Case", "Team"), "Team A", prolog)


def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    """A DOCTYPE with entities in sharedStrings.xml is refused, naming the part."""
    message = refusal(_example_with_shared_strings(tmp_path, BILLION_LAUGHS))
    assert "xl/sharedStrings.xml" in message
    assert "XML declarations" in message


def test_external_entity_in_a_sheet(tmp_path: Path) -> None:
    """An external entity declared in a worksheet is refused."""
    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "Children")
    corpus.patch_text(
        path, part, lambda xml: '<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + xml
    )
    assert part in refusal(path)


def test_entity_without_doctype_keyword(tmp_path: Path) -> None:
    """An ENTITY declaration alone is enough to refuse a part."""
    path = example_workbook(tmp_path)
    corpus.patch_text(path, "xl/styles.xml", lambda xml: '<!ENTITY a "b">' + xml)
    assert "xl/styles.xml" in refusal(path)


def test_doctype_in_utf16_part(tmp_path: Path) -> None:
    """A DOCTYPE in a UTF-16 encoded part is found too."""
    path = example_workbook(tmp_path)
    hostile = ('<?xml version="1.0" encoding="UTF-16"?>' + BILLION_LAUGHS + "<x/>").encode("utf-16")
    corpus.rewrite_zip(path, path, replace={"docProps/app.xml": hostile})
    assert "docProps/app.xml" in refusal(path)


def test_doctype_hidden_after_long_comment(tmp_path: Path) -> None:
    """A prolog longer than the scanned head (to push a DOCTYPE past it) is refused as well."""
    path = example_workbook(tmp_path)
    padding = "<!--" + "x" * 10_000 + "-->"
    corpus.patch_text(path, "xl/workbook.xml", lambda xml: padding + BILLION_LAUGHS + xml)
    assert "xl/workbook.xml" in refusal(path)


def test_doctype_in_extensionless_part(tmp_path: Path) -> None:
    """An XML part without an extension (a sheet can be named anything) is scanned too."""
    path = corpus.rewrite_zip(
        example_workbook(tmp_path),
        tmp_path / "odd.xlsx",
        add={"xl/worksheets/sheetX": (BILLION_LAUGHS + "<worksheet/>").encode()},
    )
    assert "xl/worksheets/sheetX" in refusal(path)


# ------------------------------------------------------------------ round two (issue 10)

STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
TRANSITIONAL_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def as_strict(source: Path, target: Path) -> Path:
    """A copy of a workbook with its spreadsheet parts in the Strict Open XML namespace."""
    with zipfile.ZipFile(source) as archive:
        names = [n for n in archive.namelist() if n.endswith(".xml") and n.startswith("xl/")]
    strict = {n: (lambda d: d.replace(TRANSITIONAL_NS.encode(), STRICT_NS.encode())) for n in names}
    return corpus.rewrite_zip(source, target, replace=strict)


def test_strict_open_xml_gets_one_problem_saying_how_to_save_normally(tmp_path: Path) -> None:
    """A Strict Open XML workbook is refused with one message naming the normal Save As type."""
    from sos_docs.pipeline import check_workbook

    strict = as_strict(example_workbook(tmp_path), tmp_path / "strict.xlsx")
    validation = check_workbook(strict)
    assert [p.code for p in validation.problems] == ["WB001"]
    message = validation.problems[0].message
    assert "Strict Open XML" in message and "Excel Workbook (*.xlsx)" in message


def test_a_dtd_in_a_part_named_like_a_picture_is_found_by_content(tmp_path: Path) -> None:
    """The DTD check reads every part by content: a .png or .bin name does not hide XML."""
    source = example_workbook(tmp_path)
    for member in ("xl/media/evil.png", "xl/printerSettings/evil.bin", "xl/evil.svg"):
        path = corpus.rewrite_zip(
            source,
            tmp_path / f"{Path(member).suffix[1:]}.xlsx",
            add={member: f'<?xml version="1.0"?>{BILLION_LAUGHS}<worksheet/>'.encode()},
        )
        assert "XML declarations" in refusal(path), member


def test_a_dtd_in_utf16_without_byte_order_mark_or_utf32_is_found(tmp_path: Path) -> None:
    """XML in UTF-16 (no BOM) or UTF-32 (with BOM) declaring a DTD is refused by content."""
    source = example_workbook(tmp_path)
    text = f'<?xml version="1.0"?>{BILLION_LAUGHS}<worksheet/>'
    for name, data in (
        ("u16", text.encode("utf-16-le")),
        ("u32", text.encode("utf-32")),
    ):
        path = corpus.rewrite_zip(source, tmp_path / f"{name}.xlsx", add={"xl/x.dat": data})
        assert "XML declarations" in refusal(path), name


def test_reading_a_named_pipe_or_a_link_to_dev_zero_returns_at_once(tmp_path: Path) -> None:
    """The guard's reader refuses a FIFO and a link without blocking or reading unboundedly."""
    from sos_docs.workbook.guard import read_claimed_file

    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    link = tmp_path / "zero.xlsx"
    link.symlink_to("/dev/zero")
    started = time.perf_counter()
    for path, words in ((fifo, "not an ordinary file"), (link, "symbolic link")):
        with pytest.raises(WorkbookError, match=words):
            read_claimed_file(path, Limits())
    assert time.perf_counter() - started < 1.0


def test_a_file_the_service_may_not_read_says_who_to_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permission refusal names the service account and what IT should check."""
    from sos_docs.workbook import guard

    path = example_workbook(tmp_path)

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(guard.os, "open", refuse)
    with pytest.raises(WorkbookError) as caught:
        guard.read_claimed_file(path, Limits())
    message = str(caught.value)
    assert "service account" in message and "read permission" in message and "IT" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its permissions")
def test_a_file_with_no_read_permission_is_refused_in_plain_words(tmp_path: Path) -> None:
    """chmod 000 (as a share ACL would) gives the service-account message, not a traceback."""
    from sos_docs.workbook.guard import read_claimed_file

    path = example_workbook(tmp_path)
    path.chmod(0)
    with pytest.raises(WorkbookError, match="service account"):
        read_claimed_file(path, Limits())


def test_a_zip_whose_directory_is_whole_but_whose_parts_are_not_is_not_whole(
    tmp_path: Path,
) -> None:
    """A writer that wrote the end first leaves zeros in the middle: not yet whole."""
    from sos_docs.workbook.guard import looks_whole

    source = example_workbook(tmp_path)
    data = bytearray(source.read_bytes())
    assert looks_whole(source, Limits())
    holes = tmp_path / "holes.xlsx"
    middle = len(data) // 3
    data[middle : middle + 2048] = bytes(2048)
    holes.write_bytes(bytes(data))
    assert not looks_whole(holes, Limits())
    front = tmp_path / "front.xlsx"
    front.write_bytes(bytes(4096) + source.read_bytes()[4096:])
    assert not looks_whole(front, Limits())
    pdf = tmp_path / "pdf.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + bytes(100))
    assert looks_whole(pdf, Limits())  # whole, just not a workbook: the guard explains


# ------------------------------------------------------------------ the checked zip, opened once


def test_the_checked_archive_expands_a_part_once_and_gives_the_same_bytes(tmp_path: Path) -> None:
    """Each small part is expanded once and then served from memory, byte for byte the zip's,
    by read and by open alike."""
    path = example_workbook(tmp_path)
    with zipfile.ZipFile(path) as plain, CheckedArchive(path.read_bytes()) as archive:
        for name in plain.namelist():
            assert archive.read(name) == plain.read(name)
            with archive.open(name) as stream:
                assert stream.read() == plain.read(name)
        assert set(archive._expanded) == set(plain.namelist())


def test_the_checked_archive_keeps_parsed_parts_once_and_within_its_bound(tmp_path: Path) -> None:
    """A kept parse is given out once, and no more XML is kept than KEPT_TREES_BYTES."""
    archive = CheckedArchive(example_workbook(tmp_path).read_bytes())
    with archive:
        archive.keep_tree("a", "tree a", guard.KEPT_TREES_BYTES - 10)
        archive.keep_tree("b", "tree b", 11)  # over the bound: not kept
        assert archive.take_tree("a") == "tree a"
        assert archive.take_tree("a") is None
        assert archive.take_tree("b") is None


# ---- a part's head judged as XML from its first characters: exactly the whole head's judgement

HEAD_PIECES = st.sampled_from(
    [b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf",
     b"<", b"<\x00", b"\x00<", b" ", b"\x00", b"\t\n", b"\xe2\x80", b"\xe2\x80\x83", b"\x89PNG",
     b"<?xml version='1.0'?>", "  <".encode("utf-16-le"), " <".encode("utf-32-be"),
     "\u2003<a>".encode("utf-16-be"), b"\xd8\x3d", b"x"]
)  # fmt: skip


def _old_xml_head_text(head: bytes) -> str | None:
    """The guard's judgement before the first characters were decoded on their own."""
    text = guard._decode_xml_head(head)
    return text if text.lstrip().startswith("<") else None


ENCODED_HEADS = st.builds(
    lambda bom, encoding, text, tail: bom + text.encode(encoding) + tail,
    st.sampled_from([b"", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff"]),
    st.sampled_from(["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]),
    st.text(alphabet=" \t\n\r<?a\u2003\ufeff\U0001f600", max_size=40),
    st.binary(max_size=20),
)


@settings(max_examples=600)
@example(head=b" " * 62 + "\u2003<a/>".encode(), size=200)  # a character across byte 64
@example(head=b"\xff\xfe" + " <a/>".rjust(40).encode("utf-16-le"), size=200)
@given(
    head=ENCODED_HEADS | st.lists(HEAD_PIECES | st.binary(max_size=40), max_size=40).map(b"".join),
    size=st.sampled_from([1, 3, 63, 64, 65, 66, 200, guard.XML_HEAD_BYTES]),
)
def test_a_heads_first_characters_judge_it_as_the_whole_head_does(head: bytes, size: int) -> None:
    """Whatever the bytes and the encoding their first bytes say, a head is XML (and decodes to
    the same text) exactly when the whole head decoded says so, cut anywhere near 64 bytes."""
    head = head[:size]
    assert guard._xml_head_text(head) == _old_xml_head_text(head), head


# ------------------------------------------------------- plain UTF-8 only (attack review, f5)

ATTLIST_HIDDEN = '<!DOCTYPE worksheet [<!ATTLIST row hidden CDATA "1">]>'
BOMS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff", "utf-32-le": b"\xff\xfe\x00\x00"}


def _without_declaration(xml: str) -> str:
    return re.sub(r"^<\?xml[^>]*\?>", "", xml)


def _reencoded_sheet(
    tmp_path: Path, encoding: str, *, bom: bool, lead: str, prolog: str = ""
) -> Path:
    """The example workbook with its Children sheet written in `encoding` (its declaration
    dropped), after `lead` and `prolog`, with or without a byte order mark."""
    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "Children")

    def change(data: bytes) -> bytes:
        xml = _without_declaration(data.decode("utf-8"))
        return (BOMS[encoding] if bom else b"") + (lead + prolog + xml).encode(encoding)

    return corpus.rewrite_zip(path, path, replace={part: change})


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("lead", ["", " ", "\r\n\t "])
def test_a_sheet_in_utf16_or_utf32_is_refused_naming_the_part(
    tmp_path: Path, encoding: str, bom: bool, lead: str
) -> None:
    """A sheet in UTF-16 (either byte order) or UTF-32, with or without a byte order mark or
    leading whitespace, is refused: the reader's byte scans (formulas, WB007) read only UTF-8."""
    path = _reencoded_sheet(tmp_path, encoding, bom=bom, lead=lead)
    message = refusal(path)
    assert corpus.sheet_part(example_workbook(tmp_path, "plain.xlsx"), "Children") in message
    assert "UTF-8" in message and "save it again as Excel Workbook (.xlsx)" in message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("prolog", [ATTLIST_HIDDEN, BILLION_LAUGHS])
def test_a_dtd_in_utf16_after_whitespace_without_byte_order_mark_is_found(
    tmp_path: Path, encoding: str, prolog: str
) -> None:
    """`20 00 3C 00` (" <" in UTF-16LE, no BOM) is read as expat reads it, so the DTD after it
    (an ATTLIST that hides every row, or entities) is found (review finding f5b/f5c)."""
    path = _reencoded_sheet(tmp_path, encoding, bom=False, lead=" \n", prolog=prolog)
    assert "XML declarations" in refusal(path)


@pytest.mark.parametrize("encoding", ["UTF-16", "utf-16le", "ISO-8859-1", "windows-1252", "cp037"])
def test_a_utf8_part_declaring_another_encoding_is_refused(tmp_path: Path, encoding: str) -> None:
    """An XML declaration naming any encoding but UTF-8 (or ASCII, a subset) is refused, in
    whatever case: under "cp037" the rest of the part could be EBCDIC, unseen by every check."""
    path = example_workbook(tmp_path)
    corpus.patch_text(
        path,
        "xl/styles.xml",
        lambda xml: f"<?xml version='1.0' encoding='{encoding}'?>" + _without_declaration(xml),
    )
    assert f"encoding='{encoding}'" in corpus.member_text(path, "xl/styles.xml")
    message = refusal(path)
    assert "xl/styles.xml" in message and f'"{encoding}"' in message


@pytest.mark.parametrize("encoding", ["UTF-8", "utf-8", "US-ASCII", "ascii", None])
def test_a_part_declaring_utf8_or_ascii_or_nothing_is_accepted_and_read(
    tmp_path: Path, encoding: str | None
) -> None:
    """UTF-8 (any case), ASCII (a subset of it), or no encoding declared at all; a UTF-8 byte
    order mark and leading whitespace before an element too."""
    from sos_docs.workbook.reader import read_workbook

    path = example_workbook(tmp_path)
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if encoding else ""
    for part in ("xl/styles.xml", corpus.sheet_part(path, "Children")):
        corpus.patch_text(path, part, lambda xml: declaration + _without_declaration(xml))
        assert corpus.member_text(path, part).startswith(declaration)
    corpus.rewrite_zip(
        path, path, replace={"xl/workbook.xml": lambda data: b"\xef\xbb\xbf \n" + data.lstrip()}
    )
    check_workbook_file(path)
    assert (
        read_workbook(path).sheets == read_workbook(example_workbook(tmp_path, "plain.xlsx")).sheets
    )


def test_the_example_family_workbook_is_accepted(tmp_path: Path) -> None:
    """The example workbook sos-docs itself writes passes, with every part plain UTF-8."""
    from sos_docs.workbook.example import write_example

    path = write_example(tmp_path / "example.xlsx")
    check_workbook_file(path)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            head = archive.read(info)[: guard.XML_HEAD_BYTES]
            if guard._named_as_xml(info.filename):
                assert guard._not_plain_utf8(head) is None, info.filename


def _renamed_sheet(path: Path, part: str, new_name: str) -> Path:
    """The workbook with a sheet part moved to `new_name`, the relationship following it."""
    old = part.removeprefix("xl/")
    new = new_name.removeprefix("xl/")

    def retarget(data: bytes) -> bytes:
        return data.replace(f'"{old}"'.encode(), f'"{new}"'.encode()).replace(
            f'"/xl/{old}"'.encode(), f'"/xl/{new}"'.encode()
        )

    with zipfile.ZipFile(path) as archive:
        data = archive.read(part)
        rels = [n for n in archive.namelist() if n.endswith(".rels") or n == "[Content_Types].xml"]
    return corpus.rewrite_zip(
        path, path, replace=dict.fromkeys(rels, retarget), drop=(part,), add={new_name: data}
    )


def test_a_sheet_named_like_a_binary_part_cannot_dodge_the_rule(tmp_path: Path) -> None:
    """openpyxl parses whatever part the relationships name as a sheet: named `.bin`, it is
    read (in UTF-8) and refused (in UTF-16 without a byte order mark), judged by its content."""
    from sos_docs.workbook.reader import read_workbook

    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "Children")
    _renamed_sheet(path, part, "xl/worksheets/sheet1.bin")
    assert corpus.sheet_part(path, "Children") == "xl/worksheets/sheet1.bin"
    assert (
        read_workbook(path).sheets == read_workbook(example_workbook(tmp_path, "plain.xlsx")).sheets
    )
    corpus.rewrite_zip(
        path,
        path,
        replace={
            "xl/worksheets/sheet1.bin": lambda data: b" \n" + data.decode().encode("utf-16-le")
        },
    )
    assert "xl/worksheets/sheet1.bin" in refusal(path)


@pytest.mark.parametrize(
    ("member", "data"),
    [
        ("xl/x.dat", '<?xml version="1.0"?><worksheet/>'.encode("cp037")),  # EBCDIC "<?xm"
        ("xl/x.dat", "<worksheet/>".encode("utf-32-le")[:2] + b"\x00\x00<\x00"),
        ("xl/x.dat", b"\x00<\x00\x00w\x00\x00\x00"),  # UCS-4 in byte order 3412
        ("xl/custom.xml", b"not xml at all"),
        ("xl/_rels/x.rels", b"\x00\x00"),
    ],
)
def test_other_xml_encodings_and_non_xml_in_an_xml_name_are_refused(
    tmp_path: Path, member: str, data: bytes
) -> None:
    """What libxml2 (openpyxl's other parser) reads as XML in other encodings, and a part
    named as XML that is not plain UTF-8 XML."""
    path = corpus.rewrite_zip(example_workbook(tmp_path), tmp_path / "odd.xlsx", add={member: data})
    assert member in refusal(path)


@pytest.mark.parametrize(
    "data",
    [
        "HP LaserJet 4000".ljust(32, "\x00").encode("utf-16-le") + bytes(100),  # printer settings
        " <not a printer>".encode("utf-16-le")[:1] + b"\x00\x01\x00",  # space, then control
        b"\x01\x00\x00\x00\x6c\x00\x00\x00" + bytes(80),  # an EMF picture's header
        b"\x01\x00\x09\x00\x00\x03" + bytes(40),  # a WMF picture's header
        bytes(64),
        b"",
    ],
)
def test_binary_parts_with_nul_bytes_are_still_accepted(tmp_path: Path, data: bytes) -> None:
    """Printer settings (a UTF-16 printer name), EMF and WMF pictures start with NULs in their
    first bytes: not XML to any parser, so not judged as XML."""
    path = corpus.rewrite_zip(
        example_workbook(tmp_path),
        tmp_path / "bin.xlsx",
        add={"xl/printerSettings/printerSettings1.bin": data},
    )
    check_workbook_file(path)


class _Recorder:
    """An lxml parser target noting every piece of markup libxml2 reads."""

    def __init__(self) -> None:
        self.events: list[str] = []

    def start(self, tag: str, attrib: object) -> None:
        self.events.append("start")

    def end(self, tag: str) -> None:
        self.events.append("end")

    def data(self, text: str) -> None:
        pass

    def comment(self, text: str) -> None:
        self.events.append("comment")

    def pi(self, target: str, data: str | None = None) -> None:
        self.events.append("pi")

    def doctype(self, *args: object) -> None:
        self.events.append("doctype")

    def close(self) -> None:
        pass


def _markup_parsers_read(head: bytes) -> tuple[list[object], list[str]]:
    """What expat (as defusedxml uses it) and libxml2 (as openpyxl's lxml parser) read of a
    head as markup: events, and the encoding an XML declaration names, in expat's list."""
    from xml.parsers import expat

    from lxml import etree

    found: list[object] = []
    parser = expat.ParserCreate(None, "}")
    parser.StartElementHandler = lambda *_: found.append("start")
    parser.StartDoctypeDeclHandler = lambda *_: found.append("doctype")
    parser.ProcessingInstructionHandler = lambda *_: found.append("pi")
    parser.CommentHandler = lambda *_: found.append("comment")
    parser.XmlDeclHandler = lambda _v, encoding, _s: found.append(("declared", encoding))
    with contextlib.suppress(expat.ExpatError, ValueError, LookupError):
        parser.Parse(head, True)
    recorder = _Recorder()
    lxml_parser = etree.XMLParser(target=recorder, resolve_entities=False, no_network=True)
    try:
        lxml_parser.feed(head)
        lxml_parser.close()
    except (etree.XMLSyntaxError, ValueError, LookupError):
        pass
    return found, recorder.events


def _refused(head: bytes, part: str) -> bool:
    try:
        guard._check_part_head(head, part, "case.xlsx")
    except WorkbookError:
        return True
    return False


MARKUP = st.sampled_from(
    ["<a/>", "<?xml version='1.0'?><a/>", '<?xml version="1.0" encoding="UTF-16"?><a/>',
     "<!DOCTYPE a [<!ATTLIST a b CDATA '1'>]><a/>", "<!-- c --><a/>", "<?pi x?><a/>", "<a>"]
)  # fmt: skip
PARSED_HEADS = st.builds(
    lambda bom, lead, markup, encoding, tail: bom + (lead + markup).encode(encoding) + tail,
    st.sampled_from([b"", b"\xef\xbb\xbf", *BOMS.values(), b"\x00\x00\xfe\xff"]),
    st.text(alphabet=" \t\r\n", max_size=4),
    MARKUP,
    st.sampled_from(
        ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037", "latin-1"]
    ),
    st.binary(max_size=8),
)


@settings(max_examples=500, deadline=None)
@example(head=" <a/>".encode("utf-16-le"))
@example(head=" <a/>".encode("utf-16-be"))
@example(head=b"\x00\x00<\x00")
@example(head="<?xml version='1.0'?><a/>".encode("cp037"))
@given(
    head=PARSED_HEADS | st.lists(HEAD_PIECES | st.binary(max_size=12), max_size=12).map(b"".join)
)
def test_no_head_a_parser_reads_as_markup_passes_unless_it_is_plain_utf8(head: bytes) -> None:
    """Whatever a part's first bytes, and whatever it is called: if expat or libxml2 reads any
    markup from it, the guard lets it through only as plain UTF-8 (no byte order mark but
    UTF-8's, no NUL, "<" first, UTF-8 or ASCII declared), never as a part it takes for no XML."""
    expat_found, lxml_found = _markup_parsers_read(head)
    for part in ("xl/media/image1.png", "xl/worksheets/sheet1.xml"):
        if _refused(head, part) or not (expat_found or lxml_found):
            continue
        assert guard._not_plain_utf8(head) is None, (part, head, expat_found, lxml_found)
        assert not head.startswith(tuple(BOMS.values())) and b"\x00" not in head
        declared = [event[1] for event in expat_found if isinstance(event, tuple)]
        assert all(enc is None or enc.lower() in guard._PLAIN_ENCODINGS for enc in declared)
