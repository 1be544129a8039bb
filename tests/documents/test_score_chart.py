"""Tests for the review's score chart (documents/score_chart.py): told apart without colour."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sos_docs.documents.score_chart import (
    ChartSeries,
    draw_score_chart,
    line_style,
    score_y,
    spread_labels,
)

DAYS = (dt.date(2026, 9, 16), dt.date(2026, 12, 9))


def colour_count(image: Image.Image, colour: tuple[int, int, int], box: tuple[int, ...]) -> int:
    """How many pixels inside `box` are exactly `colour`."""
    region = image.crop(box).convert("RGB")
    pixels = region.load()
    assert pixels is not None
    width, height = region.size
    return sum(1 for x in range(width) for y in range(height) if pixels[x, y] == colour)


def test_every_line_has_its_own_marker_and_dash_so_greyscale_print_tells_them_apart() -> None:
    """Forty lines: no two share a marker shape and dash pattern; the first eight all differ in
    marker, and two neighbours never share a colour."""
    styles = [line_style(n) for n in range(40)]
    assert len({(s.marker, s.dash) for s in styles}) == 40
    assert len({s.marker for s in styles[:8]}) == 8
    assert len({s.dash for s in styles[:5]}) == 5
    assert len({(s.colour, s.marker) for s in styles}) == 40
    for left, right in itertools.pairwise(styles):
        assert left.colour != right.colour


def test_two_lines_with_the_same_scores_both_show() -> None:
    """Dean and Mia both go from 6 to 8: halfway between the conferences both colours show."""
    series = [ChartSeries("Dean Hartley", (6, 8)), ChartSeries("Mia Hartley", (6, 8))]
    picture = draw_score_chart(DAYS, series, "two lines")
    with Image.open(io.BytesIO(picture.data)) as image:
        # Halfway along, the lines are at a score of 7; look a little either side.
        x = image.size[0] // 2 - 100
        top, bottom = score_y(8) - 10, score_y(6) + 10
        box = (x - 30, top, x + 30, bottom)
        for number in range(2):
            assert colour_count(image, line_style(number).colour, box) > 20, number


def test_a_flat_line_under_another_still_shows() -> None:
    """Sandra and Tom both score 5 then 7 and a third person 5 then 5: every colour shows."""
    series = [
        ChartSeries("Sandra Price", (5, 5)),
        ChartSeries("Tom Whitfield", (5, 5)),
        ChartSeries("Piotr Nowak", (5, 5)),
    ]
    picture = draw_score_chart(DAYS, series, "three lines")
    with Image.open(io.BytesIO(picture.data)) as image:
        x = image.size[0] // 2 - 100
        box = (x - 40, score_y(5) - 12, x + 40, score_y(5) + 12)
        for number in range(3):
            assert colour_count(image, line_style(number).colour, box) > 10, number


@given(
    targets=st.lists(st.integers(min_value=0, max_value=600), min_size=0, max_size=20),
    gap=st.integers(min_value=10, max_value=30),
)
def test_end_labels_keep_their_order_never_overlap_and_stay_in_the_plot(
    targets: list[int], gap: int
) -> None:
    """Labels at each line's end are pushed apart just enough: in the order of their scores, at
    least a line apart, inside the plot whenever they fit."""
    top, bottom = 0, 600
    placed = spread_labels(targets, gap, top, bottom)
    assert len(placed) == len(targets)
    order = sorted(range(len(targets)), key=lambda n: targets[n])
    ys = [placed[n] for n in order]
    for upper, lower in itertools.pairwise(ys):
        assert lower - upper >= gap - 1e-6
    if len(targets) * gap <= bottom - top:
        assert all(top <= y <= bottom for y in ys)
