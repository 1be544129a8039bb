"""The picture check decodes the JPEGs it keeps at 1/8 scale: it must refuse, keep and convert
exactly what decoding every pixel at full size did (tests/support/plain_render.py)."""

from __future__ import annotations

import io
import random
import re
import warnings
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, JpegImagePlugin

from sos_docs.documents import render
from tests.support.plain_render import plain_word_ready_or_reason

_ROTATED = Image.Exif()
_ROTATED[0x0112] = 6
# Turned by its XMP, which the header's EXIF does not show: decoded small, then converted.
_XMP_ROTATED = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>'
)

# Every way a JPEG's stream can be laid out that Pillow writes: chroma subsampling, grey,
# CMYK, progressive, optimised Huffman tables, restart markers, odd and tiny sizes, and one
# turned by its EXIF orientation (converted, decoded at full size only), one by its XMP
# (decoded small, found turned, then converted at full size).
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")

VARIANTS: dict[str, tuple[str, tuple[int, int], dict[str, object]]] = {
    "baseline 4:2:0": ("RGB", (64, 48), {}),
    "4:4:4": ("RGB", (64, 48), {"subsampling": 0}),
    "4:2:2": ("RGB", (64, 48), {"subsampling": 1}),
    "grey": ("L", (64, 48), {}),
    "cmyk": ("CMYK", (64, 48), {}),
    "progressive": ("RGB", (64, 48), {"progressive": True}),
    "optimised": ("RGB", (64, 48), {"optimize": True}),
    "restart markers": ("RGB", (64, 48), {"restart_marker_blocks": 1}),
    "odd size": ("RGB", (61, 37), {}),
    "tiny": ("RGB", (9, 3), {}),
    "rotated": ("RGB", (64, 48), {"exif": _ROTATED.tobytes()}),
    "rotated by XMP": ("RGB", (64, 48), {"xmp": _XMP_ROTATED}),
}


@cache
def picture(variant: str) -> bytes:
    """A small JPEG that compresses like a photo (noise, blurred), laid out as `variant` says."""
    mode, (width, height), options = VARIANTS[variant]
    noise = random.Random(variant).randbytes(width * height * 3)
    image = Image.frombytes("RGB", (width, height), noise).reduce(4).resize((width, height))
    if mode != "RGB":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, format="JPEG", **options)
    return out.getvalue()


def checked(data: bytes) -> tuple[bytes, int, int] | str:
    """What sos-docs' check makes of the bytes: Word-ready bytes and size, or why not."""
    return _same_object(render._word_ready_or_reason(data))


def plain(data: bytes) -> tuple[bytes, int, int] | str:
    """What decoding every pixel at full size made of the bytes."""
    return _same_object(plain_word_ready_or_reason(data))


def _same_object(result: tuple[bytes, int, int] | str) -> tuple[bytes, int, int] | str:
    """Pillow names the file object it could not read by its address, which differs per run."""
    return _ADDRESS.sub(" at 0x...", result) if isinstance(result, str) else result


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_truncation_of_a_jpeg_is_judged_as_by_a_full_decode(variant: str) -> None:
    """Cut at every byte: refused with the same reason, or kept (or converted) the same."""
    data = picture(variant)
    for length in range(len(data) + 1):
        assert checked(data[:length]) == plain(data[:length]), length


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    variant=st.sampled_from(sorted(VARIANTS)),
    changes=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=4
    ),
    cut=st.none() | st.floats(0, 1),
)
def test_a_corrupt_jpeg_is_judged_as_by_a_full_decode(
    variant: str, changes: list[tuple[float, int]], cut: float | None
) -> None:
    """Bytes overwritten anywhere (header, tables, entropy-coded data, markers), then perhaps
    cut: refused with the same reason, or kept (or converted) the same."""
    data = bytearray(picture(variant))
    for where, value in changes:
        data[int(where * len(data))] = value
    if cut is not None:
        del data[int(cut * len(data)) :]
    try:
        expected: object = plain(bytes(data))
    except Exception as exc:  # python-docx's own errors, raised as before
        expected = type(exc)
    try:
        got: object = checked(bytes(data))
    except Exception as exc:
        got = type(exc)
    assert got == expected


def test_a_kept_jpeg_keeps_its_bytes_and_full_size() -> None:
    """The size given to Word is the picture's own, not the size it was decoded at."""
    data = picture("odd size")
    assert checked(data) == (data, 61, 37)


@pytest.mark.parametrize("variant", ["rotated", "rotated by XMP"])
def test_a_jpeg_to_convert_is_converted_at_full_size(variant: str) -> None:
    """A JPEG turned by its EXIF or XMP orientation is made upright, whole, as before."""
    data = picture(variant)
    converted = checked(data)
    assert converted == plain(data)
    assert isinstance(converted, tuple) and converted[1:] == (48, 64)


def test_only_a_jpeg_likely_kept_is_decoded_small(monkeypatch: pytest.MonkeyPatch) -> None:
    """The small decode is taken for a JPEG kept as it is, not for one turned by its EXIF."""
    drafted: list[tuple[int, int]] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def counting(
        image: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None
    ) -> object:
        drafted.append(image.size)
        return original(image, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", counting)
    checked(picture("baseline 4:2:0"))
    checked(picture("rotated"))
    assert drafted == [(64, 48)]


@pytest.mark.parametrize("variant", ["rotated", "baseline 4:2:0"])
def test_a_jpeg_with_corrupt_headers_is_judged_never_raised(variant: str) -> None:
    """Bytes overwritten anywhere (corrupt EXIF among them, which python-docx's header reader
    meets as an early end of file): every picture is kept, converted or given a reason, so one
    bad photo never fails the whole document."""
    data = picture(variant)
    rng = random.Random(1)
    for _ in range(400):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns of the corrupt EXIF it skips
            result = render._word_ready_or_reason(bytes(damaged))
        assert isinstance(result, (str, tuple))
