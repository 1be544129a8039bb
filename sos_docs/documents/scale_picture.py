"""Draws the scaling picture: a 0 to 10 line with each person's name placed at their score.

Names that would overlap (the same score, or long names on neighbouring scores) are stacked
upwards, never moved sideways off their score, so the picture cannot misplace anyone.

The picture is drawn in shades of one byte a pixel and coloured by a palette, not in RGB: a
third of the pixels to compress, which makes it about four times quicker to save (one is drawn
for every report), with the same colours where it matters and anti-aliased text. The parts
every picture shares (the line with its ticks and numbers; what 0 and 10 mean, the same for
every picture of a case) are drawn once and laid over each new picture where they have ink,
which gives the very pixels drawing them again would.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from sos_docs.model import Picture

log = logging.getLogger(__name__)

WIDTH = 1800  # pixels; printed 17 cm wide, LABEL_SIZE is about 11 pt
MARGIN = 110
LABEL_SIZE = 42
NUMBER_SIZE = 42
END_SIZE = 32
PAD = 10
GAP = 10
MAX_LABEL_WIDTH = 440
END_TEXT_LINES = 4
# No label or line shows more characters than this (a line of 'i' is about 200).
FIT_CHARS = 400

# Each colour is drawn as a shade near its own lightness; the palette turns shades into colours
# and blends between neighbouring ones, so anti-aliased edges shade from one colour to the next.
INK = 30
AXIS = 70
BOX_EDGE = 90
GUIDE = 170
BOX_FILL = 230
WHITE = 255
COLOURS = {
    INK: (33, 37, 41),
    AXIS: (73, 80, 87),
    BOX_EDGE: (31, 78, 121),
    GUIDE: (160, 174, 192),
    BOX_FILL: (222, 235, 247),
    WHITE: (255, 255, 255),
}

_REGULAR_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")
_BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class _Box:
    """One label's place on the picture: its text and rectangle (left, top, right, bottom)."""

    text: str
    x: int  # the score's position on the line
    left: int
    right: int
    level: int


_Drawn = dict[tuple[tuple[tuple[str, int], ...], str, str], Picture]
# The scale pictures drawn for the documents of one case (`drawn_once`); a context variable, so
# that the service's threads never share one, and nothing outlives the case.
_CASE_DRAWN: contextvars.ContextVar[_Drawn | None] = contextvars.ContextVar(
    "case_scale_pictures", default=None
)


@contextlib.contextmanager
def drawn_once() -> Iterator[None]:
    """Within it, a scale picture with the same names, scores and ends is drawn once for all
    the documents of a case (a report and its family copy often show the same scores)."""
    token = _CASE_DRAWN.set({})
    try:
        yield
    finally:
        _CASE_DRAWN.reset(token)


def draw_scale(scores: Sequence[tuple[str, int]], zero_means: str, ten_means: str) -> Picture:
    """A PNG of the 0-10 scale with each (label, score) placed at its score."""
    drawn = _CASE_DRAWN.get()
    if drawn is None:
        return _draw_scale(scores, zero_means, ten_means)
    key = (tuple(scores), zero_means, ten_means)
    if key not in drawn:
        drawn[key] = _draw_scale(scores, zero_means, ten_means)
    return drawn[key]


def _draw_scale(scores: Sequence[tuple[str, int]], zero_means: str, ten_means: str) -> Picture:
    label_font = _font(LABEL_SIZE)
    boxes = _stack(scores, label_font)
    levels = max((b.level for b in boxes), default=-1) + 1
    box_height = _line_height(label_font) + 2 * PAD
    axis_y = 30 + levels * (box_height + GAP) + 40
    ends = _end_texts(zero_means, ten_means)
    end_top = axis_y + 30 + _line_height(_font(NUMBER_SIZE, bold=True)) + 20
    height = end_top + ends.height

    image = Image.new("L", (WIDTH, height), WHITE)
    draw = ImageDraw.Draw(image)
    _draw_guides(draw, boxes, box_height, axis_y)
    # The axis and the end texts are the same in every picture (the end texts in every
    # picture of a case): drawn once, then laid over the guides as drawing them would.
    axis = _axis_strip()
    image.paste(axis.image, (0, axis_y - _AXIS_ABOVE), axis.mask)
    image.paste(ends.image, (0, end_top), ends.mask)
    for box in boxes:
        _draw_box(draw, box, label_font, box_height, axis_y)

    image.putpalette(_palette())
    out = io.BytesIO()
    # Level 1: half the time of the default for a file twice the size (about 40 KB): a page
    # of shaded areas compresses well at any level.
    image.save(out, format="PNG", dpi=(200, 200), compress_level=1)
    return Picture(out.getvalue(), "png", 0, "", size=image.size)


@lru_cache(maxsize=1)
def _palette() -> bytes:
    """RGB for each of the 256 shades: the listed colours, blended linearly between them."""
    tones = sorted(COLOURS)
    palette = bytearray()
    for shade in range(256):
        low = max((tone for tone in tones if tone <= shade), default=tones[0])
        high = min((tone for tone in tones if tone >= shade), default=tones[-1])
        share = 0.0 if high == low else (shade - low) / (high - low)
        pairs = zip(COLOURS[low], COLOURS[high], strict=True)
        palette += bytes(round(a + (b - a) * share) for a, b in pairs)
    return bytes(palette)


def score_x(score: int) -> int:
    """The x position of a score on the line (scores outside 0-10 are held at the ends)."""
    clamped = min(max(score, 0), 10)
    return MARGIN + round(clamped * (WIDTH - 2 * MARGIN) / 10)


@lru_cache(maxsize=8)
def _font(size: int, *, bold: bool = False) -> Font:
    """DejaVu (or Liberation, or Arial) when installed, else Pillow's own scalable font."""
    for name in _BOLD_FONTS if bold else _REGULAR_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    log.info("No TrueType font found for the scale picture; using Pillow's default font")
    return ImageFont.load_default(size=size)


def _line_height(font: Font) -> int:
    _, top, _, bottom = font.getbbox("Ág")
    return int(bottom - top) + 6


def _fit(text: str, font: Font, width: int) -> str:
    """The text, shortened with an ellipsis if it is wider than `width` pixels."""
    return _fit_measured(text, font, width)[0]


def _fit_measured(text: str, font: Font, width: int) -> tuple[str, float]:
    """`_fit`'s text and its length in pixels.

    The longest prefix that fits is found by halving, not one character at a time (a name of
    Excel's 32,767 characters took 50 s that way), among the first FIT_CHARS characters only.
    """
    length = font.getlength(text)
    if length <= width:
        return text, length
    fits, too_long = 0, min(len(text), FIT_CHARS) + 1  # text[:fits] fits; text[:too_long] not
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if font.getlength(text[:middle] + "…") <= width:
            fits = middle
        else:
            too_long = middle
    shortened = text[:fits].rstrip() + "…"
    return shortened, font.getlength(shortened)


def _stack(scores: Sequence[tuple[str, int]], font: Font) -> list[_Box]:
    """Each label at the lowest level where it overlaps no label already placed.

    Labels are placed in score order, so every box already placed starts left of the new
    one's score, which the new box covers: on a level, the new box overlaps something exactly
    when the rightmost box there reaches into it. The levels' rightmost edges are kept in a
    `_LowestLevels`, so each label costs a few steps, not a look at every label before it
    (which grew with the cube of the labels: 9,000 took 480 s).
    """
    placed: list[_Box] = []
    levels = _LowestLevels(len(scores))
    measured: dict[str, tuple[str, int]] = {}  # a person scores many times: measured once
    for label, score in sorted(scores, key=lambda item: item[1]):
        if label not in measured:
            text, length = _fit_measured(" ".join(label.split()), font, MAX_LABEL_WIDTH - 2 * PAD)
            measured[label] = text, int(length) // 2 + PAD
        text, half = measured[label]
        x = score_x(score)
        left = min(max(x - half, 4), WIDTH - 4 - 2 * half)
        right = left + 2 * half
        level = levels.lowest_ending_before(left - GAP)
        levels.set_end(level, right)
        placed.append(_Box(text, x, left, right, level))
    return placed


class _LowestLevels:
    """The right edge of each level's rightmost box, in a tree of minimums over the levels.

    Finds the lowest level whose boxes all end at or before a given x in about log2(levels)
    steps. A level with no box ends at minus infinity, and there is always one such level.
    """

    def __init__(self, labels: int) -> None:
        self.size = 1
        while self.size < labels + 1:
            self.size *= 2
        self.ends = [-math.inf] * (2 * self.size)  # node n has children 2n and 2n + 1

    def lowest_ending_before(self, limit: float) -> int:
        """The lowest level whose rightmost box ends at or before `limit`."""
        node = 1
        while node < self.size:
            node = 2 * node if self.ends[2 * node] <= limit else 2 * node + 1
        return node - self.size

    def set_end(self, level: int, end: float) -> None:
        """Record that the level's rightmost box now ends at `end`."""
        node = level + self.size
        self.ends[node] = end
        while node > 1:
            node //= 2
            self.ends[node] = min(self.ends[2 * node], self.ends[2 * node + 1])


def _box_top(box: _Box, box_height: int, axis_y: int) -> int:
    return axis_y - 40 - (box.level + 1) * (box_height + GAP) + GAP


def _draw_guides(
    draw: ImageDraw.ImageDraw, boxes: list[_Box], box_height: int, axis_y: int
) -> None:
    # Drawn first, so boxes cover them: a guide shows only in the gaps, below its own label.
    for box in boxes:
        top = _box_top(box, box_height, axis_y) + box_height
        draw.line([(box.x, top), (box.x, axis_y)], fill=GUIDE, width=3)


def _draw_axis(draw: ImageDraw.ImageDraw, axis_y: int) -> None:
    number_font = _font(NUMBER_SIZE, bold=True)
    draw.line([(score_x(0), axis_y), (score_x(10), axis_y)], fill=AXIS, width=6)
    for score in range(11):
        x = score_x(score)
        draw.line([(x, axis_y - 14), (x, axis_y + 14)], fill=AXIS, width=4)
        draw.text((x, axis_y + 24), str(score), font=number_font, fill=INK, anchor="mt")


def _draw_box(
    draw: ImageDraw.ImageDraw, box: _Box, font: Font, box_height: int, axis_y: int
) -> None:
    top = _box_top(box, box_height, axis_y)
    draw.rounded_rectangle(
        [(box.left, top), (box.right, top + box_height)],
        radius=12,
        fill=BOX_FILL,
        outline=BOX_EDGE,
        width=3,
    )
    centre = ((box.left + box.right) // 2, top + box_height // 2)
    draw.text(centre, box.text, font=font, fill=INK, anchor="mm")
    draw.ellipse([(box.x - 9, axis_y - 9), (box.x + 9, axis_y + 9)], fill=BOX_EDGE)


@dataclass(frozen=True)
class _Strip:
    """Part of the picture drawn once and laid on many: its shades, and where it has ink."""

    image: Image.Image
    mask: Image.Image  # 255 where the strip is not white: only there does it cover the picture

    @property
    def height(self) -> int:
        return self.image.height


def _strip(image: Image.Image) -> _Strip:
    return _Strip(image, image.point([255] * WHITE + [0]))  # shade 255 is white: no ink


# The axis strip: from the tops of the ticks to below the numbers.
_AXIS_ABOVE = 14
_AXIS_HEIGHT_BELOW = 24


@lru_cache(maxsize=1)
def _axis_strip() -> _Strip:
    """The 0-10 line, its ticks and numbers, drawn once per process."""
    below = _AXIS_HEIGHT_BELOW + _line_height(_font(NUMBER_SIZE, bold=True))
    image = Image.new("L", (WIDTH, _AXIS_ABOVE + below), WHITE)
    _draw_axis(ImageDraw.Draw(image), _AXIS_ABOVE)
    return _strip(image)


@lru_cache(maxsize=32)
def _end_texts(zero_means: str, ten_means: str) -> _Strip:
    """What 0 and 10 mean, under each end of the line, drawn once per pair of texts."""
    end_font = _font(END_SIZE)
    zero_lines = _wrap(f"0: {zero_means}", end_font, WIDTH // 2 - MARGIN // 2)
    ten_lines = _wrap(f"10: {ten_means}", end_font, WIDTH // 2 - MARGIN // 2)
    height = max(len(zero_lines), len(ten_lines)) * _line_height(end_font) + 30
    image = Image.new("L", (WIDTH, height), WHITE)
    draw = ImageDraw.Draw(image)
    _draw_end_text(draw, zero_lines, end_font, 0, align_right=False)
    _draw_end_text(draw, ten_lines, end_font, 0, align_right=True)
    return _strip(image)


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Text broken into lines that fit `width` pixels, at most END_TEXT_LINES of them."""
    lines: list[str] = []
    line = ""
    # What is past END_TEXT_LINES full lines is cut off anyway; a 32,767-character cell of
    # short words otherwise costs seconds.
    for word in text[: END_TEXT_LINES * FIT_CHARS].split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    if len(lines) > END_TEXT_LINES:
        rest = " ".join(lines[END_TEXT_LINES - 1 :])
        lines = [*lines[: END_TEXT_LINES - 1], rest + " …"]
    return [_fit(line, font, width) for line in lines]


def _draw_end_text(
    draw: ImageDraw.ImageDraw, lines: list[str], font: Font, top: int, *, align_right: bool
) -> None:
    step = _line_height(font)
    for n, line in enumerate(lines):
        if align_right:
            draw.text((WIDTH - MARGIN // 2, top + n * step), line, font=font, fill=INK, anchor="ra")
        else:
            draw.text((MARGIN // 2, top + n * step), line, font=font, fill=INK, anchor="la")
