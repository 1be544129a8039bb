"""Draws a review's score chart: every participant's overall score in the mapping for each conference.

A line chart, 0 to 10 upwards and the conferences left to right at equal steps (what matters is
the order of the conferences, not the weeks between them), and a legend below that wraps into
as many rows as it needs. Each line has its own colour, marker shape and dash pattern, so the
lines are told apart in greyscale print and by people who do not see the colours. Two people
with the same scores must both show: lines are drawn from thick to thin, so a later line runs
inside an earlier one and the earlier one's colour shows at its edges and in the dashes' gaps,
markers move a few pixels sideways, and each line scored at this conference is named at its
end, right of the plot, with its score (the names pushed apart, joined to their points).
Scores are never moved up or down. With many conferences the date labels are thinned out so
they never overlap (the first and the last, which is this conference, always shown) and the
markers shrink.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from sos_docs.documents.scale_picture import Font, _fit, _font, _line_height
from sos_docs.model import Picture

WIDTH = 1800  # pixels, printed 17 cm wide like the scale picture
PLOT_LEFT = 110
END_LABELS = 360  # the room right of the plot for the names at the lines' ends
PLOT_RIGHT = WIDTH - END_LABELS
PLOT_TOP = 40
PLOT_HEIGHT = 620
INSET = 40  # between the plot's edges and the first and last conference
AXIS_SIZE = 32
DATE_SIZE = 30
LEGEND_SIZE = 32
END_SIZE = 26
END_GAP = 32  # pixels between two end labels' middles
LEGEND_SAMPLE = 64
MAX_LEGEND_LABEL = 520
LABEL_GAP = 28

INK = (33, 37, 41)
GRID = (222, 226, 230)
AXIS = (108, 117, 125)
LAST_BAND = (236, 243, 250)
WHITE = (255, 255, 255)
# Told apart by people with the common colour-blindnesses (after Okabe and Ito), darkened for
# print, in an order where neighbours differ most (the two blues and the two oranges apart).
COLOURS = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 140, 100),
    (190, 90, 150),
    (60, 60, 60),
    (200, 140, 0),
    (70, 160, 215),
    (110, 80, 50),
)
MARKERS = ("circle", "square", "triangle", "diamond", "down", "ring", "box", "hollow diamond")
# Dash and gap lengths in pixels, repeated along the line; () is solid. Five patterns with
# eight markers give 40 lines with a marker and pattern of their own, colour aside.
DASHES: tuple[tuple[int, ...], ...] = ((), (30, 12), (12, 10), (26, 9, 5, 9), (5, 9))


@dataclass(frozen=True)
class LineStyle:
    """How one line is drawn: colour, marker shape and dash pattern."""

    colour: tuple[int, int, int]
    marker: str
    dash: tuple[int, ...]


def line_style(number: int) -> LineStyle:
    """The style of the `number`-th line (from 0)."""
    return LineStyle(
        # Shifted by one each round, so no colour comes back with the same marker.
        COLOURS[(number + number // len(MARKERS)) % len(COLOURS)],
        MARKERS[number % len(MARKERS)],
        DASHES[number % len(DASHES)],
    )


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
    _draw_end_labels(draw, series, xs)
    legend.draw(draw, legend_top)

    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(200, 200), compress_level=6)
    return Picture(
        out.getvalue(),
        "png",
        0,
        "",
        size=image.size,
        description=description,
        name="Chart of the scores at each conference",
    )


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


def _shift(number: int, lines: int, step: float) -> float:
    """A few pixels sideways per line, so equal scores at one conference all show."""
    return (number - (lines - 1) / 2) * min(8.0, step / (2 * max(lines, 1)))


def _width(number: int, lines: int, step: float) -> int:
    """Thick for the first line, thin for the last: a later line with the same scores runs
    inside an earlier one, which shows at its edges."""
    thinnest, extra = (3, 4) if step >= 40 else (2, 3)
    if lines <= 1:
        return thinnest + extra // 2
    return thinnest + round(extra * (lines - 1 - number) / (lines - 1))


def _draw_line(
    draw: ImageDraw.ImageDraw, line: ChartSeries, xs: Sequence[float], number: int, lines: int
) -> None:
    style = line_style(number)
    step = _step(xs)
    shift = _shift(number, lines, step)
    points = [
        (xs[n] + shift, score_y(score)) for n, score in enumerate(line.scores) if score is not None
    ]
    if len(points) > 1:
        _dashed(draw, points, style.dash, style.colour, _width(number, lines, step))
    radius = int(min(12, max(4, step / 4)))
    for x, y in points:
        _marker(draw, style.marker, x, y, radius, style.colour)


def _dashed(
    draw: ImageDraw.ImageDraw,
    points: Sequence[tuple[float, float]],
    dash: Sequence[int],
    colour: tuple[int, int, int],
    width: int,
) -> None:
    """A polyline in the dash pattern (solid when empty), the pattern running on across joints."""
    if not dash:
        draw.line(list(points), fill=colour, width=width, joint="curve")
        return
    pattern = list(dash)
    index, left = 0, float(pattern[0])  # the current dash or gap, and how much of it is left
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        done = 0.0
        while done < length:
            run = min(left, length - done)
            if index % 2 == 0:  # a dash, not a gap
                a, b = done / length, (done + run) / length
                start = (x0 + (x1 - x0) * a, y0 + (y1 - y0) * a)
                end = (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)
                draw.line([start, end], fill=colour, width=width)
            done += run
            left -= run
            if left <= 1e-9:
                index = (index + 1) % len(pattern)
                left = float(pattern[index])


def spread_labels(targets: Sequence[float], gap: float, top: float, bottom: float) -> list[float]:
    """Where to put labels wanted at `targets` (y, in any order): each as near its target as can
    be, in the targets' order, at least `gap` apart, inside top..bottom when they fit."""
    order = sorted(range(len(targets)), key=lambda n: (targets[n], n))
    placed = [float(targets[n]) for n in order]
    for k in range(len(placed)):  # push down past the one above
        floor = top if k == 0 else placed[k - 1] + gap
        placed[k] = max(placed[k], floor)
    for k in reversed(range(len(placed))):  # then back up from the bottom edge
        ceiling = bottom if k == len(placed) - 1 else placed[k + 1] - gap
        placed[k] = min(placed[k], ceiling)
    if placed and placed[0] < top:  # too many to fit: keep them apart, from the top down
        placed = [top + k * gap for k in range(len(placed))]
    result = [0.0] * len(targets)
    for k, n in enumerate(order):
        result[n] = placed[k]
    return result


def _draw_end_labels(
    draw: ImageDraw.ImageDraw, series: Sequence[ChartSeries], xs: Sequence[float]
) -> None:
    """Each line scored at this conference named at its end, with its score, right of the plot."""
    if not xs:
        return
    font = _font(END_SIZE)
    ends = [(n, s.scores[-1]) for n, s in enumerate(series) if s.scores[-1] is not None]
    targets = [float(score_y(score)) for _, score in ends if score is not None]
    ys = spread_labels(targets, END_GAP, PLOT_TOP, PLOT_TOP + PLOT_HEIGHT)
    step = _step(xs)
    left = PLOT_RIGHT + 30
    for (number, score), y, target in zip(ends, ys, targets, strict=True):
        style = line_style(number)
        end_x = xs[-1] + _shift(number, len(series), step)
        draw.line([(end_x, target), (left - 4, y)], fill=style.colour, width=2)
        _marker(draw, style.marker, left + 8, y, 8, style.colour)
        label = _fit(f"{score} {' '.join(series[number].label.split())}", font, WIDTH - left - 30)
        draw.text((left + 24, y), label, font=font, fill=INK, anchor="lm")


def _marker(
    draw: ImageDraw.ImageDraw,
    marker: str,
    x: float,
    y: float,
    radius: int,
    colour: tuple[int, int, int],
) -> None:
    """A marker of one of the MARKERS shapes; the hollow ones are white inside."""
    r = radius
    box = [(x - r, y - r), (x + r, y + r)]
    big = r + 2  # triangles and diamonds look smaller than circles of the same radius
    diamond = [(x, y - big), (x + big, y), (x, y + big), (x - big, y)]
    ring = max(3, r // 3)
    if marker == "circle":
        draw.ellipse(box, fill=colour, outline=WHITE, width=2)
    elif marker == "square":
        draw.rectangle(box, fill=colour, outline=WHITE, width=2)
    elif marker == "triangle":
        draw.polygon([(x, y - big), (x - big, y + r), (x + big, y + r)], fill=colour, outline=WHITE)
    elif marker == "down":
        draw.polygon([(x, y + big), (x - big, y - r), (x + big, y - r)], fill=colour, outline=WHITE)
    elif marker == "diamond":
        draw.polygon(diamond, fill=colour, outline=WHITE)
    elif marker == "ring":
        draw.ellipse(box, fill=WHITE, outline=colour, width=ring)
    elif marker == "box":
        draw.rectangle(box, fill=WHITE, outline=colour, width=ring)
    else:
        draw.polygon(diamond, fill=WHITE, outline=colour, width=ring)


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
            style = line_style(number)
            sample = [(left, middle), (left + LEGEND_SAMPLE, middle)]
            _dashed(draw, sample, style.dash, style.colour, 4)
            _marker(draw, style.marker, left + LEGEND_SAMPLE / 2, middle, 10, style.colour)
            draw.text(
                (left + LEGEND_SAMPLE + 16, middle), label, font=self.font, fill=INK, anchor="lm"
            )
