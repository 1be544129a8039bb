"""Refuses a file that is not a plain, safe Excel workbook before openpyxl ever opens it (WB001).

Checks run from cheapest to dearest and nothing is ever expanded in full: the file itself (an
ordinary file, never a symbolic link, which could point out of the watched folder), its size, its
first bytes (legacy .xls, password-protected, text or CSV), the zip's table of contents (damaged,
OpenDocument, not a workbook, declared sizes of a zip bomb), then the first few KB of each XML part
(DOCTYPE and ENTITY declarations, the billion-laughs and external-entity tricks; and any XML part
not in plain UTF-8, which every spreadsheet program writes: a part in UTF-16, UTF-32 or EBCDIC, or
declaring another encoding, could hide from these checks and from the reader's byte scans).

This is the first of two layers against hostile XML. The second is openpyxl's own: it parses
worksheets and shared strings with defusedxml (entity declarations refused) and the other parts
with lxml set not to resolve entities (defusedxml again without lxml), as long as
`openpyxl.xml.DEFUSEDXML` is true, i.e. defusedxml is importable and the environment variable
`OPENPYXL_DEFUSEDXML` is not "False". The reader refuses to work when it is not.

`.xlsm` files pass: their macros are never run (openpyxl cannot run them, and the reader loads
with `keep_vba=False`).
"""

from __future__ import annotations

import codecs
import errno
import io
import logging
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError

__all__ = [
    "ACCEPTED",
    "CheckedArchive",
    "check_workbook_bytes",
    "check_workbook_file",
    "looks_whole",
    "opened",
    "read_checked_workbook",
    "read_claimed_file",
]

log = logging.getLogger(__name__)

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
ENCRYPTION_INFO_STREAM = "EncryptionInfo".encode("utf-16-le")

# A real workbook has a few dozen parts; a zip of millions of tiny entries is an attack on memory.
MAX_ZIP_MEMBERS = 10_000
# Ratio checks only for parts big enough to matter: tiny XML parts compress very well legitimately.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
# Parts are expanded to check their checksums only up to this total (the example is ~150 KB).
WHOLE_CHECK_MAX_BYTES = 64 * 1024 * 1024
# A DOCTYPE must come before the root element, and Excel's prologs are under 100 bytes.
XML_HEAD_BYTES = 8 * 1024
# Parts are judged by content, never by name: [Content_Types].xml can give a part called
# `image1.png` the content type of a worksheet, and openpyxl would then parse it as XML.
STRICT_NAMESPACE = "http://purl.oclc.org/ooxml/spreadsheetml/main"

# O_NOFOLLOW refuses a link as the last part of the name (ELOOP; EMLINK on BSD), and
# O_NONBLOCK keeps a named pipe swapped in after the check from blocking the open.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_FOLLOWED_A_LINK = frozenset({errno.ELOOP, errno.EMLINK})

SAVE_AS_XLSX = (
    "open it in Excel and use File > Save As > Excel Workbook (.xlsx), then use the new file"
)
SAVE_AGAIN = "open it in Excel, check it looks right, and save it again as Excel Workbook (.xlsx)"
# What the inbox takes, said whenever a file is refused for not being a workbook at all.
ACCEPTED = (
    "the inbox takes only Excel workbooks (.xlsx or .xlsm) made from the Signs of Safety "
    "mapping workbook"
)


def check_workbook_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise WorkbookError with a one-line, plain-English reason if `path` is not a safe workbook."""
    read_checked_workbook(path, limits)


def read_checked_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The file's bytes once they pass every check, so the reader opens exactly what was checked."""
    data = read_claimed_file(path, limits)
    check_workbook_bytes(data, path.name, limits)
    return data


def read_claimed_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The bytes of a plain file, read once and bounded; WorkbookError in plain words if not.

    The one way sos-docs reads a workbook it has claimed (or is about to): never through a link,
    never blocking on a named pipe, never more than one byte past the size limit, and with the
    checks made on the open descriptor, so a name swapped after a check changes nothing.
    """
    return _read_bounded(path, limits)


def looks_whole(path: Path, limits: Limits = DEFAULT_LIMITS) -> bool:
    """False while a file still looks mid-write: empty, zeros where it starts, or a zip whose
    directory reads but whose parts do not (yet) match it; True otherwise.

    A file that is whole but no workbook at all (a PDF called .xlsx) is whole: the guard then
    explains what it is. Read through the same opener as a claimed file.
    """
    try:
        data = _read_bounded(path, limits)
    except WorkbookError:
        return True  # a folder, a link, too large...: nothing to wait for, the job explains
    if not data or data[:4] == bytes(4):
        return False  # empty, or a writer that starts with the end leaves zeros in front
    if not data.startswith(ZIP_MAGICS):
        return True
    return _zip_parts_whole(data)


def _zip_parts_whole(data: bytes) -> bool:
    """True when every part the zip directory lists is where it says, with its checksum."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if not infos:
                return False
            declared = sum(info.file_size for info in infos)
            for info in infos:
                if data[info.header_offset : info.header_offset + 4] != b"PK\x03\x04":
                    return False
            if declared > WHOLE_CHECK_MAX_BYTES:
                return True  # the guard refuses it by size anyway; never expand it here
            return archive.testzip() is None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError):
        return False
    except (NotImplementedError, RuntimeError, OSError):
        return True  # whole, but packed oddly or encrypted: the guard explains


def check_workbook_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise WorkbookError if `data` (the content of file `name`) is not a safe Excel workbook."""
    if not data:
        raise WorkbookError(
            f'"{name}" is empty (0 bytes): it was not saved properly or is still being copied; '
            "save it again from Excel"
        )
    if len(data) > limits.max_file_bytes:
        raise WorkbookError(_too_large_message(name, len(data), limits))
    if data.startswith(OLE2_MAGIC):
        raise WorkbookError(_ole2_message(data, name))
    if not data.startswith(ZIP_MAGICS):
        raise WorkbookError(_not_a_zip_message(data, name))
    _check_zip(data, name, limits)


# ------------------------------------------------------------------- the checked zip, opened once


# A part up to this size (as the zip declares it) is expanded once and kept; a larger one is
# expanded again each time it is read, as a stream, so memory stays flat.
KEPT_PART_BYTES = 2 * 1024 * 1024
# Parsed worksheets are kept from the load-cost count to the cell read up to this much XML
# (a parsed tree takes some ten times its XML), so memory stays bounded.
KEPT_TREES_BYTES = 4 * 1024 * 1024


class CheckedArchive(zipfile.ZipFile):
    """A checked workbook's zip, opened once for all the reader's passes: each part up to
    KEPT_PART_BYTES is expanded (and its checksum checked) once, then served from memory."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self._expanded: dict[str, bytes] = {}
        self._trees: dict[str, Any] = {}
        self._tree_bytes = 0
        self._kept: dict[object, Any] = {}

    def kept(self, key: object, make: Callable[[], Any]) -> Any:
        """What `make` gives, made on the first call for `key` only (a part parsed once for
        several passes); an error is not kept, so each call that fails raises it again."""
        if key not in self._kept:
            self._kept[key] = make()
        return self._kept[key]

    def keep_tree(self, part: str, tree: Any, size: int) -> None:
        """Keep a part's parsed XML for the next pass that parses it the same way (once), while
        the parts kept add up to no more than KEPT_TREES_BYTES of XML."""
        if self._tree_bytes + size <= KEPT_TREES_BYTES:
            self._trees[part] = tree
            self._tree_bytes += size

    def take_tree(self, part: str) -> Any:
        """The part's parsed XML kept by an earlier pass (given out once), or None."""
        return self._trees.pop(part, None)

    def read(self, name: str | zipfile.ZipInfo, pwd: bytes | None = None) -> bytes:
        """The part's bytes, expanded on the first read of a small part only."""
        key = name.filename if isinstance(name, zipfile.ZipInfo) else name
        found = self._expanded.get(key)
        if found is None:
            with super().open(name, "r", pwd) as stream:  # ZipFile.read would call self.open
                found = stream.read()
            if len(found) <= KEPT_PART_BYTES:
                self._expanded[key] = found
        return found

    def open(
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        """A small part from memory, a large one as a stream straight from the zip."""
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        if mode == "r" and info.file_size <= KEPT_PART_BYTES:
            return io.BytesIO(self.read(info, pwd))
        return super().open(name, mode, pwd, force_zip64=force_zip64)


@contextmanager
def opened(source: bytes | zipfile.ZipFile) -> Iterator[zipfile.ZipFile]:
    """The workbook's zip: the one given (left open for its owner), or opened over the bytes."""
    if isinstance(source, zipfile.ZipFile):
        yield source
        return
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        yield archive


# -------------------------------------------------------------------------------- the file


def _read_bounded(path: Path, limits: Limits) -> bytes:
    """Read at most one byte past the size limit, translating every OS error into plain words."""
    try:
        _refuse_unless_regular(path, os.lstat(path))
        with _open_without_following(path) as handle:
            # Checked again on the open file: the name may have been swapped since lstat.
            size = _refuse_unless_regular(path, os.fstat(handle.fileno()))
            if size > limits.max_file_bytes:
                raise WorkbookError(_too_large_message(path.name, size, limits))
            # One byte more than stat said shows a file still growing; read(n) allocates n.
            return handle.read(size + 1)
    except FileNotFoundError as error:
        raise WorkbookError(
            f'"{path.name}" cannot be found; it may have been moved, renamed or deleted'
        ) from error
    except PermissionError as error:
        raise WorkbookError(_unreadable_message(path.name)) from error
    except OSError as error:
        if error.errno in _FOLLOWED_A_LINK:
            raise WorkbookError(_link_message(path.name)) from error
        raise WorkbookError(
            f'"{path.name}" cannot be read ({error.strerror or error}); check the file and try again'
        ) from error


def _open_without_following(path: Path) -> BinaryIO:
    """The file opened for reading, refusing a symbolic link and never blocking on a pipe."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _refuse_unless_regular(path: Path, status: os.stat_result) -> int:
    """The size of a plain file; folders, links and devices are refused (a pipe would hang)."""
    if stat.S_ISLNK(status.st_mode):
        raise WorkbookError(_link_message(path.name))
    if stat.S_ISDIR(status.st_mode):
        raise WorkbookError(f'"{path.name}" is a folder, not a file; use the workbook file itself')
    if not stat.S_ISREG(status.st_mode):
        raise WorkbookError(f'"{path.name}" is not an ordinary file; use the workbook file itself')
    return status.st_size


def _unreadable_message(name: str) -> str:
    return (
        f'"{name}" cannot be read by the account the sos-docs service runs as (the service '
        "account): access is denied. Ask IT to give the service account read permission on "
        "this folder (check the share's and the file's permissions, for example a file copied "
        "with its own restricted permissions), or save the workbook again into the folder "
        "from Excel; then put it in the inbox again"
    )


def _link_message(name: str) -> str:
    # A link could point anywhere: at another team's workbooks, or at the server's own files.
    return (
        f'"{name}" is a shortcut (symbolic link) to another file, and sos-docs does not follow '
        "links; put a copy of the workbook itself here instead"
    )


def _too_large_message(name: str, size: int, limits: Limits) -> str:
    return (
        f'"{name}" is {_megabytes(size)}, larger than the {_megabytes(limits.max_file_bytes)} limit; '
        "make pictures smaller (Picture Format > Compress Pictures) or remove unused sheets, "
        "then save again"
    )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# -------------------------------------------------------------------------- not a zip at all


def _ole2_message(data: bytes, name: str) -> str:
    """An OLE2 compound file is an encrypted .xlsx or a legacy .xls (or another old Office file)."""
    if ENCRYPTION_INFO_STREAM in data:
        return (
            f'"{name}" is protected with a password, so it cannot be read; remove the password: '
            "in Excel use File > Info > Protect Workbook > Encrypt with Password, clear the "
            "password, click OK and save"
        )
    return (
        f'"{name}" is in the old Excel 97-2003 format (.xls), which cannot be read; {SAVE_AS_XLSX}'
    )


def _not_a_zip_message(data: bytes, name: str) -> str:
    head = data[:4096]
    if head.startswith(b"%PDF"):
        return f'"{name}" is a PDF document, not an Excel workbook; {ACCEPTED}'
    text = _as_text(head)
    if text is None:
        return (
            f'"{name}" is not an Excel workbook (.xlsx) and its format is not recognised; '
            f"{ACCEPTED}; if it is one, {SAVE_AS_XLSX}"
        )
    if text.lstrip().startswith("<"):
        return (
            f'"{name}" is a web page or XML file with an Excel name, not a real Excel workbook; '
            f"{SAVE_AS_XLSX}"
        )
    return (
        f'"{name}" looks like a text or CSV file, not an Excel workbook; {ACCEPTED}; '
        f"{SAVE_AS_XLSX} (not CSV)"
    )


def _as_text(head: bytes) -> str | None:
    """The start of the file as text when it reads as mostly printable text, else None."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    if b"\x00" in head:
        return None
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    # U+FFFD stands for bytes that are not UTF-8, so it counts against being text.
    printable = sum(1 for ch in text if ch != "\ufffd" and (ch.isprintable() or ch in "\t\r\n"))
    return text if printable >= 0.95 * len(text) else None


# -------------------------------------------------------------------------------- the zip


def _check_zip(data: bytes, name: str, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_table_of_contents(infos, name, limits)
            _check_package_kind(archive, name)
            _check_xml_prologs(archive, infos, name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError) as error:
        log.info("%s: zip structure refused: %s", name, error)
        raise WorkbookError(_damaged_message(name)) from error
    except (NotImplementedError, RuntimeError) as error:
        log.info("%s: zip member cannot be opened: %s", name, error)
        raise WorkbookError(_damaged_message(name)) from error


def _damaged_message(name: str) -> str:
    return (
        f'"{name}" is damaged or was only partly saved or copied, so it cannot be opened; '
        "save it again from Excel (or ask the sender for a fresh copy)"
    )


def _check_table_of_contents(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    """Refuse on what the zip declares, before a single member is expanded."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise WorkbookError(
            f'"{name}" holds {len(infos):,} parts, far more than any real workbook; '
            f"it is damaged or not a workbook; {SAVE_AGAIN}"
        )
    for info in infos:
        _check_member(info, name, limits)
    # zipfile never returns more than a member's declared size (ZipExtFile truncates at
    # file_size and then fails the CRC), so the declared total bounds what openpyxl can expand.
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        raise WorkbookError(
            f'"{name}" unpacks to {_megabytes(total)}, more than the '
            f"{_megabytes(limits.max_uncompressed_bytes)} limit; it is damaged or built to overload "
            "the service; make pictures smaller or remove unused sheets and save again"
        )


def _check_member(info: zipfile.ZipInfo, name: str, limits: Limits) -> None:
    if info.flag_bits & 0x1:
        raise WorkbookError(
            f'"{name}" is protected with a password, so it cannot be read; remove the password '
            "and save it again as Excel Workbook (.xlsx)"
        )
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise WorkbookError(
            f'"{name}" was packed in a way Excel never uses, so it cannot be checked; {SAVE_AGAIN}'
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_CHECKED_FROM_BYTES and ratio > limits.max_compression_ratio:
        raise WorkbookError(
            f'"{name}" contains a part ({info.filename}) that would expand {ratio:,.0f} times '
            f"(the limit is {limits.max_compression_ratio}); the file is damaged or built to "
            f"overload the service; {SAVE_AGAIN}"
        )


def _check_package_kind(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse zips that are other office formats, or not a workbook package at all."""
    names = set(archive.namelist())
    if "mimetype" in names:
        raise WorkbookError(_opendocument_message(archive, name))
    if "xl/workbook.bin" in names:
        raise WorkbookError(
            f'"{name}" is an Excel Binary Workbook (.xlsb), which cannot be read; {SAVE_AS_XLSX}'
        )
    for part, kind in (("word/document.xml", "a Word"), ("ppt/presentation.xml", "a PowerPoint")):
        if part in names:
            raise WorkbookError(f'"{name}" is {kind} document, not an Excel workbook; {ACCEPTED}')
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookError(
            f'"{name}" is a zip file but not an Excel workbook (it lacks the parts every .xlsx '
            f"has); {ACCEPTED}"
        )
    if _is_strict(archive):
        raise WorkbookError(
            f'"{name}" is saved as a "Strict Open XML Spreadsheet", which sos-docs cannot read; '
            'open it in Excel, use File > Save As and choose the type "Excel Workbook (*.xlsx)" '
            '(not "Strict Open XML Spreadsheet"), then use the new file'
        )


def _is_strict(archive: zipfile.ZipFile) -> bool:
    """True when the workbook part is in the Strict Open XML namespace (ISO 29500 Strict)."""
    with archive.open("xl/workbook.xml") as member:
        head = member.read(XML_HEAD_BYTES)
    return STRICT_NAMESPACE in _decode_xml_head(head)


def _opendocument_message(archive: zipfile.ZipFile, name: str) -> str:
    with archive.open("mimetype") as member:
        mimetype = member.read(200)
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return (
            f'"{name}" is an OpenDocument spreadsheet (.ods), which cannot be read; open it in '
            "LibreOffice Calc and use File > Save As, choose the file type Excel 2007-365 "
            "(.xlsx) and click Use Excel 2007-365!"
        )
    return f'"{name}" is an OpenDocument file, not an Excel workbook; {ACCEPTED}'


def _check_xml_prologs(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse any XML part that declares a DTD, or is not in plain UTF-8, reading only the
    first few KB of each."""
    for info in infos:
        if info.is_dir():
            continue
        with archive.open(info) as member:
            _check_part_head(member.read(XML_HEAD_BYTES), info.filename, name)


def _check_part_head(head: bytes, part: str, name: str) -> None:
    """Refuse the part if its head (up to XML_HEAD_BYTES) is XML that declares a DTD, or XML
    (by its content, or by its name) not in plain UTF-8."""
    text = _xml_head_text(head)  # once for the three checks
    if text is not None:
        _check_dtd(text, len(head) < XML_HEAD_BYTES, part, name)
    if text is not None or _named_as_xml(part) or head.startswith(_XML_SIGNATURES):
        _check_plain_utf8(head, part, name)


def _check_dtd(text: str, whole_part_read: bool, part: str, name: str) -> None:
    if _declares_dtd(text) or not (whole_part_read or _root_element_starts(text)):
        log.info("%s: %s declares a DTD or has an overlong prolog", name, part)
        raise WorkbookError(
            f'"{name}" contains XML declarations ({part}) that Excel never writes '
            "and that can be used to attack the service, so it was not opened; if it came "
            f"from a trusted source, {SAVE_AGAIN}"
        )


def _check_plain_utf8(head: bytes, part: str, name: str) -> None:
    fault = _not_plain_utf8(head)
    if fault is not None:
        log.info("%s: %s is not plain UTF-8 XML (%s)", name, part, fault)
        raise WorkbookError(
            f'"{name}" is damaged or was not saved by Excel: a part of it ({part}) {fault}, '
            "while Excel and other spreadsheet programs write every part as plain UTF-8 XML; a "
            f"part in another form cannot be checked safely, so it was not opened; {SAVE_AGAIN}"
        )


def _declares_dtd(text: str) -> bool:
    """True for any DOCTYPE or ENTITY in a part's decoded head, except the plain public
    DOCTYPE of an SVG picture."""
    upper = text.upper()
    if "<!ENTITY" in upper:
        return True
    if "<!DOCTYPE" not in upper:
        return False
    # SVG files often carry `<!DOCTYPE svg PUBLIC "..." "...">`: no internal subset, no
    # entities, and the root element is <svg>. Judged by content: a part's name proves nothing.
    return not _SVG_PUBLIC_DOCTYPE.search(text) or upper.count("<!DOCTYPE") != 1


_SVG_PUBLIC_DOCTYPE = re.compile(
    r'<!DOCTYPE\s+svg\s+PUBLIC\s+"[^"<>\[\]]*"\s+"[^"<>\[\]]*"\s*>\s*<svg\b'
)


# A picture's head is judged not to be XML from its first characters, not 8 KB decoded.
XML_START_BYTES = 64


def _xml_head_text(head: bytes) -> str | None:
    """A part's decoded head when it reads as XML (its first character after whitespace is
    "<"), else None. The first bytes are decoded first (by an incremental decoder, which gives
    only whole characters: exactly the start of the whole head's text), so a picture's head,
    which would decode to thousands of replacement characters, is not decoded whole."""
    start = _decoded(head[:XML_START_BYTES], final=len(head) <= XML_START_BYTES).lstrip()
    if start and not start.startswith("<"):
        return None
    text = _decode_xml_head(head)
    return text if text.lstrip().startswith("<") else None


def _decoded(head: bytes, *, final: bool) -> str:
    """`_decode_xml_head` of `head`, or (final=False) of the whole characters it starts with."""
    if final:
        return _decode_xml_head(head)
    decoder = codecs.getincrementaldecoder(_head_encoding(head))(errors="replace")
    return str(decoder.decode(head, final=False)).removeprefix("\ufeff")


def _head_encoding(head: bytes) -> str:
    """The encoding of an XML part's head, by its byte order mark or first bytes: libxml2's
    UTF-32 signatures, then expat's rule (which openpyxl's defusedxml parser follows): a first
    byte NUL is UTF-16BE, a second byte NUL UTF-16LE, whatever comes next (`20 00 3C 00` is
    " <" in UTF-16LE)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"<\x00\x00\x00")):
        return "utf-32-le"
    if head.startswith((b"\x00\x00\xfe\xff", b"\x00\x00\x00<")):
        return "utf-32-be"
    if head.startswith(b"\xff\xfe") or head[1:2] == b"\x00" != head[:1]:
        return "utf-16-le"
    if head.startswith(b"\xfe\xff") or head[:1] == b"\x00":
        return "utf-16-be"
    return "utf-8"


def _decode_xml_head(head: bytes) -> str:
    """Decode the head of an XML part by its byte order mark or first bytes, never failing."""
    return head.decode(_head_encoding(head), errors="replace").removeprefix("\ufeff")


def _root_element_starts(text: str) -> bool:
    """True when the root element's start tag begins after only whitespace, PIs and comments
    (in a part's decoded head)."""
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end, closer = text.find("?>", pos + 2), "?>"
        elif text.startswith("<!--", pos):
            end, closer = text.find("-->", pos + 4), "-->"
        else:
            return text.startswith("<", pos) and pos + 1 < len(text) and text[pos + 1] != "!"
        if end < 0:
            return False
        pos = end + len(closer)


# ------------------------------------------------------------------------- plain UTF-8 only

# Names OPC gives XML parts. A part is also judged XML by its content (`_xml_head_text`), since
# [Content_Types].xml and the relationships can make openpyxl parse a part of any name as XML.
_XML_NAME_ENDINGS = (".xml", ".rels")
# Heads libxml2 (openpyxl's parser for most parts besides sheets) reads as XML that the decoding
# above does not show as such: UCS-4 in the unusual byte orders 2143 and 3412, and "<?xm" in EBCDIC.
_XML_SIGNATURES = (b"\x00\x00<\x00", b"\x00<\x00\x00", b"\x4c\x6f\xa7\x94")
_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_XML_SPACE = b" \t\r\n"
_XML_DECLARATION = re.compile(rb"<\?xml[ \t\r\n](.*?)\?>", re.DOTALL)
_ENCODING_DECLARED = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*(["'])(.*?)\1""", re.DOTALL)
_ENCODING_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9._-]{0,39}")
# ASCII is a subset of UTF-8: any part a parser reads as ASCII reads the same as UTF-8.
_PLAIN_ENCODINGS = frozenset({"utf-8", "us-ascii", "ascii"})


def _named_as_xml(part: str) -> bool:
    return part.lower().endswith(_XML_NAME_ENDINGS)


def _not_plain_utf8(head: bytes) -> str | None:
    """What keeps an XML part's head from being plain UTF-8 XML, in words; None if nothing.

    A head with nothing but spaces, or nothing at all, is left to the parser to refuse.
    """
    if head.startswith(_OTHER_BOMS):
        return "is written in UTF-16 or UTF-32 rather than UTF-8 (it starts with a byte order mark)"
    if b"\x00" in head:
        return "holds NUL bytes, as text in UTF-16 or UTF-32 does, where UTF-8 XML never does"
    start = head.removeprefix(_UTF8_BOM).lstrip(_XML_SPACE)
    if start and not start.startswith(b"<"):
        return 'does not start with "<" as XML written in UTF-8 does'
    return _declared_encoding_fault(start)


def _declared_encoding_fault(start: bytes) -> str | None:
    """What is wrong with the encoding an XML declaration at `start` names, or None."""
    after = start[5:6]
    if not (start.startswith(b"<?xml") and after and after in _XML_SPACE):
        return None  # no declaration (or a processing instruction such as <?xml-stylesheet?>)
    declaration = _XML_DECLARATION.match(start)
    if declaration is None:
        return "has an XML declaration that does not end"
    encoding = _ENCODING_DECLARED.search(declaration.group(1))
    if encoding is None:
        return None  # none declared: UTF-8
    named = encoding.group(2)
    if named.decode("ascii", errors="replace").lower() in _PLAIN_ENCODINGS:
        return None
    if _ENCODING_NAME.fullmatch(named):
        return f'declares the encoding "{named.decode()}" rather than UTF-8'
    return "declares an encoding other than UTF-8"
