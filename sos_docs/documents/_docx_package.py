"""Writes a .docx zip from a template's members copied as they are and the parts a render made.

A render changes a few parts (the body, headers, footers, footnotes, document properties, the
relationships of parts given pictures, the content types, new media); every other member of the
template is copied with its compressed bytes untouched, not inflated and deflated again. The
zip format is the published one (PKWARE's APPNOTE: local headers, central directory, end
record) for archives without ZIP64, encryption or compression other than stored and deflated;
`raw_members` says None for any other template, and the caller then saves the plain way.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from zipfile import ZIP_DEFLATED, ZIP_STORED, BadZipFile, ZipFile, ZipInfo

_LOCAL = struct.Struct(
    "<4s5H3L2H"
)  # signature, version, flags, method, time, date, crc, sizes, names
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_VERSION = 20  # 2.0: deflate
_UTF8_NAME = 0x800  # flag bit 11: the name is UTF-8
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, as Word writes its members
_LARGEST = 0xFFFFFFFF  # sizes and offsets at or over this need ZIP64, not written here
# Deflate level for new members: 6, zlib's (and python-docx's) default.
DEFLATE_LEVEL = 6
# Media already compressed by their format: stored, as deflating them again gains nothing.
STORED_SUFFIXES = (".png", ".jpeg", ".jpg", ".gif")


@dataclass(frozen=True)
class Member:
    """One zip member ready to be written: its name, method, CRC, sizes and compressed bytes."""

    name: str
    method: int
    crc: int
    size: int
    data: bytes  # as stored in the zip: compressed when method is deflated


def raw_members(archive: bytes) -> dict[str, Member] | None:
    """Every member of a zip with its compressed bytes as stored, or None when the zip uses
    anything this writer does not copy (ZIP64, encryption, other methods, duplicate names)."""
    try:
        with ZipFile(io.BytesIO(archive)) as zipped:
            infos = zipped.infolist()
    except (BadZipFile, ValueError, OSError):
        return None
    members: dict[str, Member] = {}
    for info in infos:
        member = _raw_member(archive, info)
        if member is None or info.filename in members:
            return None
        members[info.filename] = member
    return members


def _raw_member(archive: bytes, info: ZipInfo) -> Member | None:
    if info.flag_bits & 1 or info.compress_type not in (ZIP_STORED, ZIP_DEFLATED):
        return None
    if max(info.header_offset, info.compress_size, info.file_size) >= _LARGEST:
        return None
    offset = info.header_offset
    header = archive[offset : offset + _LOCAL.size]
    if len(header) < _LOCAL.size or header[:4] != _LOCAL_SIGNATURE:
        return None
    *_, name_length, extra_length = _LOCAL.unpack(header)
    start = offset + _LOCAL.size + name_length + extra_length
    data = archive[start : start + info.compress_size]
    if len(data) != info.compress_size:
        return None
    return Member(info.filename, info.compress_type, info.CRC, info.file_size, data)


def new_member(name: str, data: bytes) -> Member:
    """A member made now: deflated, or stored for media whose format is already compressed."""
    crc = zlib.crc32(data)
    if name.lower().endswith(STORED_SUFFIXES):
        return Member(name, ZIP_STORED, crc, len(data), data)
    compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    packed = compressor.compress(data) + compressor.flush()
    return Member(name, ZIP_DEFLATED, crc, len(data), packed)


def write_zip(members: Iterable[Member]) -> bytes:
    """The zip of these members, in this order; ValueError when it would need ZIP64."""
    body: list[bytes] = []
    directory: list[bytes] = []
    offset = count = 0
    for member in members:
        name = member.name.encode("utf-8")
        flags = 0 if name.isascii() else _UTF8_NAME
        fields = (member.method, 0, _DOS_DATE, member.crc, len(member.data), member.size)
        local = _LOCAL.pack(_LOCAL_SIGNATURE, _VERSION, flags, *fields, len(name), 0)
        directory.append(
            _CENTRAL.pack(
                b"PK\x01\x02", _VERSION, _VERSION, flags, *fields, len(name), 0, 0, 0, 0, 0, offset
            )
            + name
        )
        body += [local, name, member.data]
        offset += len(local) + len(name) + len(member.data)
        count += 1
    if offset >= _LARGEST or count >= 0xFFFF:
        raise ValueError("the document is too large for a zip without ZIP64")
    central = b"".join(directory)
    end = _END.pack(b"PK\x05\x06", 0, 0, count, count, len(central), offset, 0)
    return b"".join([*body, central, end])
