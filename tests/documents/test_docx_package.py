"""Tests for sos_docs.documents._docx_package: a zip written from copied and new members."""

from __future__ import annotations

import io
import zipfile

from hypothesis import given, settings
from hypothesis import strategies as st

from sos_docs.documents._docx_package import new_member, raw_members, write_zip

_NAMES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"),
    min_size=1,
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(
    files=st.dictionaries(
        st.one_of(_NAMES, _NAMES.map(lambda name: f"word/media/{name}.png")),
        st.binary(max_size=3000),
        max_size=8,
    )
)
def test_what_is_written_reads_back_the_same_through_zipfile(files: dict[str, bytes]) -> None:
    """Members made new (deflated, or stored for pictures) read back by name with their bytes,
    every CRC right; copied again as stored, they make the same zip."""
    written = write_zip(new_member(name, data) for name, data in files.items())
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        assert archive.testzip() is None
        assert {name: archive.read(name) for name in archive.namelist()} == files
        for info in archive.infolist():
            stored = info.filename.lower().endswith(".png")
            assert info.compress_type == (zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    copied = raw_members(written)
    assert copied is not None
    assert write_zip(copied.values()) == written


def test_a_zip_with_an_encrypted_or_unusual_member_is_not_copied() -> None:
    """A member compressed another way (bzip2 here) means the zip is not copied member by member."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.xml", b"<a/>", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("b.xml", b"<b/>", compress_type=zipfile.ZIP_BZIP2)
    assert raw_members(out.getvalue()) is None


def test_a_file_that_is_not_a_zip_is_not_copied() -> None:
    """Bytes that are not a zip give None, not an exception."""
    assert raw_members(b"not a zip at all") is None
