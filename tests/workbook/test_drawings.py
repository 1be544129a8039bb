"""Tests for sos_docs.workbook.drawings: the example family's pictures, drawn with Pillow."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops, ImageStat

from sos_docs.workbook import drawings

DRAWINGS = sorted(drawings.DRAWINGS.items())


@pytest.mark.parametrize(("name", "draw"), DRAWINGS)
def test_each_drawing_is_a_png_of_the_expected_size(name: str, draw: Callable[[], bytes]) -> None:
    """Each drawing is a PNG, 600 by 450 pixels, between a few KB and 80 KB."""
    data = draw()
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (drawings.WIDTH, drawings.HEIGHT))
        image.load()
    assert 4_000 <= len(data) <= 80_000, name


@pytest.mark.parametrize(("name", "draw"), DRAWINGS)
def test_each_drawing_is_the_same_bytes_every_time(name: str, draw: Callable[[], bytes]) -> None:
    """Drawn twice, a picture is the same bytes: nothing in it depends on the clock or a run."""
    assert draw() == draw(), name


def test_the_drawings_all_look_different() -> None:
    """No two drawings are alike: every pair differs by a clear average colour difference."""
    pixels = {name: Image.open(io.BytesIO(draw())).convert("RGB") for name, draw in DRAWINGS}
    names = sorted(pixels)
    for n, first in enumerate(names):
        for second in names[n + 1 :]:
            difference = ImageChops.difference(pixels[first], pixels[second])
            assert sum(ImageStat.Stat(difference).mean) > 15, (first, second)


@pytest.mark.parametrize(("name", "draw"), DRAWINGS)
def test_each_drawing_is_more_than_its_background(name: str, draw: Callable[[], bytes]) -> None:
    """Each drawing has shapes on it: many colours, and dark outlines somewhere."""
    image = Image.open(io.BytesIO(draw())).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50, name
    darkest = min(sum(colour) for _, colour in colours)
    assert darkest < 3 * 100, name
