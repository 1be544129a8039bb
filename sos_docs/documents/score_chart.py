"""Draws a review's score chart: every participant's overall score at each of the case's conferences.

A line chart, 0 to 10 upwards and the conferences left to right at equal steps (what matters is
the order of the conferences, not the weeks between them), one coloured line with its own
marker per participant, and a legend below that wraps into as many rows as it needs. With
many conferences the date labels are thinned out so they never overlap (the first and the
last, which is this conference, always shown) and the markers shrink; scores are never moved
up or down, only a few pixels sideways so two people with the same score both show.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from sos_docs.documents.scale_picture import Font, _fit, _font, _line_height
from sos_docs.model import Picture

WIDTH = 1800  # pixels, printed 17 cm wide like the scale picture
PLOT_LEFT = 110
PLOT_RIGHT = WIDTH - 50
PLOT_TOP = 40
PLOT_HEIGHT = 620
INSET = 40  # between the plot's edges and the first and last conference
AXIS_SIZE = 32
DATE_SIZE = 30
LEGEND_SIZE = 32
LEGEND_SAMPLE = 64
MAX_LEGEND_LABEL = 520
LABEL_GAP = 28

INK = (33, 37, 41)
GRID = (222, 226, 230)
AXIS = (108, 117, 125)
LAST_BAND = (236, 243, 250)
WHITE = (255, 255, 255)
# Told apart by people with the common colour-blindnesses (after Okabe and Ito), darkened for
# print; with the four markers, 32 participants each have a line of their own.
COLOURS = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 140, 100),
    (190, 90, 150),
    (200, 140, 0),
    (70, 160, 215),
    (110, 80, 50),
    (90, 90, 90),
)
MARKERS = ("circle", "square", "triangle", "diamond")


@dataclass(frozen=True)
class ChartSeries:
    """One line: its label in the legend and its score at each conference (None: not scored)."""

    label: str
    scores: tuple[int | None, ...]


def draw_score_chart(
    days: Sequence[dt.date], series: Sequence[ChartSeries], description: str
) -> Picture:
    """A PNG of the scores over the conferences `days` (oldest first), with `description` as
    its alt text."""
    legend_font = _font(LEGEND_SIZE)
    legend = _Legend(series, legend_font)
    date_font = _font(DATE_SIZE)
    dates_top = PLOT_TOP + PLOT_HEIGHT + 18
    legend_top = dates_top + _line_height(date_font) + 36
    height = legend_top + legend.height + 20

    image = Image.new("RGB", (WIDTH, height), WHITE)
    draw = ImageDraw.Draw(image)
    xs = _columns(len(days))
    _draw_frame(draw, xs)
    _draw_dates(draw, days, xs, dates_top)
    for number, line in enumerate(series):
        _draw_line(draw, line, xs, number, len(series))
    legend.draw(draw, legend_top)

    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(200, 200), compress_level=6)
    return Picture(out.getvalue(), "png", 0, "", size=image.size, description=description)


def score_y(score: int) -> int:
    """The y position of a score (scores outside 0-10 are held at the ends)."""
    clamped = min(max(score, 0), 10)
    return PLOT_TOP + round((10 - clamped) * PLOT_HEIGHT / 10)


def _columns(count: int) -> list[float]:
    """The x position of each conference, at equal steps across the plot."""
    if count <= 1:
        return [(PLOT_LEFT + PLOT_RIGHT) / 2] * count
    step = (PLOT_RIGHT - PLOT_LEFT - 2 * INSET) / (count - 1)
    return [PLOT_LEFT + INSET + n * step for n in range(count)]


def _step(xs: Sequence[float]) -> float:
    return xs[1] - xs[0] if len(xs) > 1 else float(PLOT_RIGHT - PLOT_LEFT)


def _draw_frame(draw: ImageDraw.ImageDraw, xs: Sequence[float]) -> None:
    """The last conference's band, the grid, the score axis and its numbers."""
    if xs:
        half = min(_step(xs) / 2, 60)
        last = xs[-1]
        right = min(last + half, PLOT_RIGHT)
        draw.rectangle([(last - half, PLOT_TOP), (right, PLOT_TOP + PLOT_HEIGHT)], fill=LAST_BAND)
    font = _font(AXIS_SIZE)
    for score in range(11):
        y = score_y(score)
        draw.line([(PLOT_LEFT, y), (PLOT_RIGHT, y)], fill=GRID if score else AXIS, width=2)
        draw.text((PLOT_LEFT - 20, y), str(score), font=font, fill=INK, anchor="rm")
    draw.line([(PLOT_LEFT, PLOT_TOP), (PLOT_LEFT, score_y(0))], fill=AXIS, width=3)
    for x in xs:
        draw.line([(x, score_y(0)), (x, score_y(0) + 10)], fill=AXIS, width=2)


def date_label(day: dt.date) -> str:
    """A conference's date as the chart shows it: 27 Nov 2026."""
    return f"{day.day} {day:%b} {day.year}"


def shown_dates(count: int, step_pixels: float, label_pixels: float) -> list[int]:
    """Which conferences get a date label: evenly thinned so none overlap, the last (this
    conference) always, the first whenever it does not overlap the last."""
    if count == 0:
        return []
    every = max(1, math.ceil((label_pixels + LABEL_GAP) / max(step_pixels, 1)))
    shown = list(range(0, count, every))
    if shown[-1] != count - 1:
        if count - 1 - shown[-1] < every:
            shown.pop()  # too close to the last, which matters more (this conference)
        shown.append(count - 1)
    return shown


def _draw_dates(
    draw: ImageDraw.ImageDraw, days: Sequence[dt.date], xs: Sequence[float], top: int
) -> None:
    font, bold = _font(DATE_SIZE), _font(DATE_SIZE, bold=True)
    labels = [date_label(day) for day in days]
    widest = max((bold.getlength(label) for label in labels), default=0)
    for index in shown_dates(len(days), _step(xs), widest):
        last = index == len(days) - 1
        used = bold if last else font
        half = used.getlength(labels[index]) / 2
        x = min(max(xs[index], half + 4), WIDTH - half - 4)
        draw.text((x, top), labels[index], font=used, fill=INK, anchor="ma")


def _style(number: int) -> tuple[tuple[int, int, int], str]:
    colour = COLOURS[number % len(COLOURS)]
    marker = MARKERS[(number // len(COLOURS)) % len(MARKERS)]
    return colour, marker


def _draw_line(
    draw: ImageDraw.ImageDraw, line: ChartSeries, xs: Sequence[float], number: int, lines: int
) -> None:
    colour, marker = _style(number)
    step = _step(xs)
    # A few pixels sideways per line, so equal scores at one conference all show.
    shift = (number - (lines - 1) / 2) * min(6.0, step / (2 * max(lines, 1)))
    points = [
        (xs[n] + shift, score_y(score)) for n, score in enumerate(line.scores) if score is not None
    ]
    width = 5 if step >= 40 else 3
    if len(points) > 1:
        draw.line(points, fill=colour, width=width, joint="curve")
    radius = int(min(12, max(4, step / 4)))
    for x, y in points:
        _marker(draw, marker, x, y, radius, colour)


def _marker(
    draw: ImageDraw.ImageDraw,
    marker: str,
    x: float,
    y: float,
    radius: int,
    colour: tuple[int, int, int],
) -> None:
    box = [(x - radius, y - radius), (x + radius, y + radius)]
    if marker == "circle":
        draw.ellipse(box, fill=colour, outline=WHITE, width=2)
    elif marker == "square":
        draw.rectangle(box, fill=colour, outline=WHITE, width=2)
    elif marker == "triangle":
        draw.polygon(
            [(x, y - radius - 2), (x - radius - 2, y + radius), (x + radius + 2, y + radius)],
            fill=colour,
            outline=WHITE,
        )
    else:
        r = radius + 2
        draw.polygon([(x, y - r), (x + r, y), (x, y + r), (x - r, y)], fill=colour, outline=WHITE)


class _Legend:
    """The legend under the chart: one entry per line, in as many columns as fit the width."""

    def __init__(self, series: Sequence[ChartSeries], font: Font) -> None:
        self.font = font
        self.labels = [_fit(" ".join(s.label.split()), font, MAX_LEGEND_LABEL) for s in series]
        widest = max((font.getlength(label) for label in self.labels), default=0)
        self.column = int(LEGEND_SAMPLE + 16 + widest + 48)
        usable = WIDTH - 2 * 40
        self.per_row = max(1, usable // self.column)
        self.row_height = _line_height(font) + 16
        self.rows = math.ceil(len(self.labels) / self.per_row)
        self.height = self.rows * self.row_height

    def draw(self, draw: ImageDraw.ImageDraw, top: int) -> None:
        """Each entry: a short piece of its line with its marker, then its label."""
        for number, label in enumerate(self.labels):
            row, col = divmod(number, self.per_row)
            left = 40 + col * self.column
            middle = top + row * self.row_height + self.row_height // 2
            colour, marker = _style(number)
            draw.line([(left, middle), (left + LEGEND_SAMPLE, middle)], fill=colour, width=5)
            _marker(draw, marker, left + LEGEND_SAMPLE / 2, middle, 10, colour)
            draw.text(
                (left + LEGEND_SAMPLE + 16, middle), label, font=self.font, fill=INK, anchor="lm"
            )
