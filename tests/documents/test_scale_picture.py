"""Tests for the scaling picture (sos_docs.documents.scale_picture)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from sos_docs.documents import scale_picture
from sos_docs.documents.scale_picture import (
    MAX_LABEL_WIDTH,
    WIDTH,
    _font,
    _stack,
    draw_scale,
    score_x,
)
from sos_docs.model import MappingCase
from sos_docs.pipeline import check_workbook
from tests.support.builders import WorkbookBuilder, example_workbook

ZERO = "The children cannot safely stay at home as things are."
TEN = (
    "Everyone is confident the children are safe enough for children's services to close the case."
)


def example_case(folder: Path) -> MappingCase:
    """The example family's validated case (read from a real workbook written in `folder`)."""
    validation = check_workbook(example_workbook(folder))
    assert validation.case is not None
    return validation.case


def png_size(data: bytes) -> tuple[int, int]:
    """The pixel size of PNG bytes, checking they are a PNG."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return image.size


def test_draws_a_png_picture_of_fixed_width() -> None:
    """The picture is a PNG `Picture`, as wide as WIDTH, wider than it is tall."""
    picture = draw_scale([("Ada", 4), ("Kerry", 7)], ZERO, TEN)
    assert picture.format == "png"
    width, height = png_size(picture.data)
    assert width == WIDTH
    assert height < width


def test_people_with_the_same_score_are_stacked_not_hidden() -> None:
    """Three labels on 5 go on three levels, all centred on 5's position."""
    boxes = _stack([("Tom", 5), ("Sandra", 5), ("Mia", 5)], _font(scale_picture.LABEL_SIZE))
    assert sorted(b.level for b in boxes) == [0, 1, 2]
    assert {b.x for b in boxes} == {score_x(5)}
    assert all(b.left < score_x(5) < b.right for b in boxes)


def test_more_people_make_a_taller_picture() -> None:
    """Forty people on one score stack upwards: the picture grows, it does not overlap them."""
    few = png_size(draw_scale([("Ada", 5)], ZERO, TEN).data)
    many = png_size(draw_scale([(f"Person {n}", 5) for n in range(40)], ZERO, TEN).data)
    assert many[1] > few[1] + 30 * 40


def test_scores_run_left_to_right_from_zero_to_ten() -> None:
    """0 is at the left margin, 10 at the right, each step the same width."""
    positions = [score_x(n) for n in range(11)]
    assert positions == sorted(positions)
    assert positions[0] == scale_picture.MARGIN
    assert positions[10] == WIDTH - scale_picture.MARGIN
    assert score_x(-3) == positions[0] and score_x(14) == positions[10]


def test_a_very_long_name_is_shortened_with_an_ellipsis() -> None:
    """A label wider than the limit ends in '…' and fits the limit."""
    font = _font(scale_picture.LABEL_SIZE)
    [box] = _stack([("Maximilian Alexander Fitzgerald-Montgomery of Northbrook", 3)], font)
    assert box.text.endswith("…")
    assert box.right - box.left <= MAX_LABEL_WIDTH


def test_falls_back_to_pillows_own_font_when_no_truetype_font_is_installed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With no DejaVu, Liberation or Arial, the picture is still drawn."""

    real_truetype = ImageFont.truetype

    def no_installed_fonts(font: object, *args: object, **kwargs: object) -> ImageFont.FreeTypeFont:
        if isinstance(font, str):  # a font looked up by file name; Pillow's own is in memory
            raise OSError("cannot open resource")
        return real_truetype(font, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageFont, "truetype", no_installed_fonts)
    caches = (_font, scale_picture._axis_strip, scale_picture._end_texts)
    for cache in caches:
        cache.cache_clear()
    caplog.set_level("INFO", logger="sos_docs.documents.scale_picture")
    try:
        picture = draw_scale([("Siân", 2), ("Łukasz", 9)], ZERO, TEN)
    finally:
        for cache in caches:
            cache.cache_clear()
    assert png_size(picture.data)[0] == WIDTH
    assert "using Pillow's default font" in caplog.text


def test_unicode_names_and_long_end_wording_are_drawn() -> None:
    """Names in any script and very long wording of 0 and 10 still make a picture."""
    names = [("Nguyễn Thị Hương", 0), ("اسماء", 10), ("Zoë", 6), ("Łukasz", 6)]
    picture = draw_scale(names, ZERO * 20, TEN * 20)
    width, height = png_size(picture.data)
    assert width == WIDTH and height < 1000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=40).filter(str.strip), st.integers(0, 10)),
        max_size=25,
    )
)
def test_labels_never_overlap_and_stay_on_the_picture(labels: list[tuple[str, int]]) -> None:
    """On any level, no two boxes overlap; every box is inside the picture over its score."""
    boxes = _stack(labels, _font(scale_picture.LABEL_SIZE))
    assert len(boxes) == len(labels)
    for box in boxes:
        assert 0 <= box.left < box.right <= WIDTH
        assert box.left <= box.x <= box.right  # even when held in at an edge
    for n, one in enumerate(boxes):
        for other in boxes[n + 1 :]:
            if one.level == other.level:
                assert one.right <= other.left or other.right <= one.left


def test_the_picture_carries_its_true_pixel_size() -> None:
    """The size the picture gives (so the renderer need not decode it) is the PNG's own."""
    picture = draw_scale([("Ada", 4), ("Kerry", 7), ("Sam", 7)], ZERO, TEN)
    assert picture.size == png_size(picture.data)


def test_the_palette_keeps_the_scale_colours() -> None:
    """Drawn in shades and coloured by a palette: the boxes, markers and ink keep their colours."""
    picture = draw_scale([("Ada", 4)], ZERO, TEN)
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.mode == "P"
        colours = {rgb for _, rgb in image.convert("RGB").getcolors(maxcolors=256) or []}
    palette = scale_picture.COLOURS
    assert {palette[scale_picture.BOX_FILL], palette[scale_picture.BOX_EDGE]} <= colours
    assert {palette[scale_picture.INK], palette[scale_picture.WHITE]} <= colours


def pairwise_stack(
    scores: list[tuple[str, int]], font: scale_picture.Font
) -> list[tuple[int, ...]]:
    """The layout rule stated directly: each label at the lowest level where it overlaps nothing."""
    placed: list[tuple[int, int, int, int]] = []  # x, left, right, level
    for label, score in sorted(scores, key=lambda item: item[1]):
        text = scale_picture._fit(" ".join(label.split()), font, MAX_LABEL_WIDTH - 20)
        x = score_x(score)
        half = int(font.getlength(text)) // 2 + scale_picture.PAD
        left = min(max(x - half, 4), WIDTH - 4 - 2 * half)
        right, level, gap = left + 2 * half, 0, scale_picture.GAP
        while any(lv == level and bl < right + gap and left < br + gap for _, bl, br, lv in placed):
            level += 1
        placed.append((x, left, right, level))
    return placed


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(alphabet="ilW m.Ag-ŁاZ", min_size=0, max_size=50), st.integers(-3, 13)),
        max_size=60,
    )
)
def test_the_quick_layout_places_every_label_where_the_pairwise_rule_does(
    labels: list[tuple[str, int]],
) -> None:
    """The stacking gives each label exactly the place and level of the pairwise overlap rule."""
    font = _font(scale_picture.LABEL_SIZE)
    boxes = _stack(labels, font)
    assert [(b.x, b.left, b.right, b.level) for b in boxes] == pairwise_stack(labels, font)


def test_nine_thousand_scaling_points_are_laid_out_in_a_moment() -> None:
    """9,000 labels (a hostile Scaling sheet) are stacked in well under the 480 s they once took."""
    labels = [(f"Person {n % 700}", n % 11) for n in range(9_000)]
    start = time.perf_counter()
    boxes = _stack(labels, _font(scale_picture.LABEL_SIZE))
    assert time.perf_counter() - start < 5.0
    assert len(boxes) == 9_000
    assert max(b.level for b in boxes) >= 9_000 // 11 - 1  # each score's labels still stacked


def test_a_name_of_excels_full_cell_length_is_shortened_in_a_moment() -> None:
    """A 32,767-character name is cut to the label width quickly, not one character at a time."""
    font = _font(scale_picture.LABEL_SIZE)
    start = time.perf_counter()
    [box] = _stack([("W" * 32_767, 5)], font)
    assert time.perf_counter() - start < 1.0
    assert box.text.endswith("…") and box.right - box.left <= MAX_LABEL_WIDTH


def test_the_example_familys_picture_is_the_same_bytes_as_with_the_pairwise_layout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The example family's scale picture is byte-identical to the one the old pairwise layout drew."""
    case = example_case(tmp_path)
    names = [(s.participant.name, s.score) for s in case.scaling]
    quick = draw_scale(names, ZERO, TEN).data

    def old_stack(scores: list[tuple[str, int]], font: scale_picture.Font) -> list[object]:
        placed = pairwise_stack(scores, font)
        texts = [
            scale_picture._fit(" ".join(label.split()), font, MAX_LABEL_WIDTH - 20)
            for label, _ in sorted(scores, key=lambda item: item[1])
        ]
        return [scale_picture._Box(t, *where) for t, where in zip(texts, placed, strict=True)]

    monkeypatch.setattr(scale_picture, "_stack", old_stack)
    assert draw_scale(names, ZERO, TEN).data == quick


def drawn_in_one_go(scores: list[tuple[str, int]], zero: str, ten: str) -> Image.Image:
    """The picture drawn the way it was before its fixed parts were kept: every part, in order."""
    sp = scale_picture
    label_font = _font(sp.LABEL_SIZE)
    boxes = _stack(scores, label_font)
    levels = max((b.level for b in boxes), default=-1) + 1
    box_height = sp._line_height(label_font) + 2 * sp.PAD
    end_font = _font(sp.END_SIZE)
    zero_lines = sp._wrap(f"0: {zero}", end_font, WIDTH // 2 - sp.MARGIN // 2)
    ten_lines = sp._wrap(f"10: {ten}", end_font, WIDTH // 2 - sp.MARGIN // 2)
    axis_y = 30 + levels * (box_height + sp.GAP) + 40
    end_top = axis_y + 30 + sp._line_height(_font(sp.NUMBER_SIZE, bold=True)) + 20
    height = end_top + max(len(zero_lines), len(ten_lines)) * sp._line_height(end_font) + 30
    image = Image.new("L", (WIDTH, height), sp.WHITE)
    draw = ImageDraw.Draw(image)
    sp._draw_guides(draw, boxes, box_height, axis_y)
    sp._draw_axis(draw, axis_y)
    for box in boxes:
        sp._draw_box(draw, box, label_font, box_height, axis_y)
    sp._draw_end_text(draw, zero_lines, end_font, end_top, align_right=False)
    sp._draw_end_text(draw, ten_lines, end_font, end_top, align_right=True)
    return image


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(
        st.tuples(st.text(min_size=1, max_size=30).filter(str.strip), st.integers(-2, 12)),
        max_size=15,
    ),
    zero=st.text(max_size=300),
    ten=st.text(max_size=300),
)
def test_the_picture_is_pixel_for_pixel_the_one_drawn_in_one_go(
    labels: list[tuple[str, int]], zero: str, ten: str
) -> None:
    """Laying the axis and end texts drawn once over the guides gives every pixel drawing them would."""
    with Image.open(io.BytesIO(draw_scale(labels, zero, ten).data)) as made:
        expected = drawn_in_one_go(labels, zero, ten)
        assert made.size == expected.size
        assert made.tobytes() == expected.tobytes()


Drawn = list[tuple[tuple[tuple[str, int], ...], str, str]]


def count_draws(monkeypatch: pytest.MonkeyPatch) -> Drawn:
    """The pictures actually drawn (not taken from a case's drawn pictures): scores and ends."""
    drawn: Drawn = []
    real = scale_picture._draw_scale

    def counting(scores: list[tuple[str, int]], zero: str, ten: str) -> object:
        drawn.append((tuple(scores), zero, ten))
        return real(scores, zero, ten)

    monkeypatch.setattr(scale_picture, "_draw_scale", counting)
    return drawn


def test_within_a_case_the_same_scale_is_drawn_once_and_is_the_same_picture(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scores = [("Ada Okafor", 4), ("Mia", 6)]
    fresh = draw_scale(scores, ZERO, TEN)
    drawn = count_draws(monkeypatch)
    with scale_picture.drawn_once():
        first = draw_scale(scores, ZERO, TEN)
        again = draw_scale(list(scores), ZERO, TEN)
        other = draw_scale([("Ada Okafor", 4)], ZERO, TEN)
    assert again is first and first.data == fresh.data
    assert other.data != first.data
    assert [scores for scores, _, _ in drawn] == [tuple(scores), (("Ada Okafor", 4),)]


def test_a_changed_score_or_end_wording_is_drawn_anew_within_a_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = count_draws(monkeypatch)
    with scale_picture.drawn_once():
        pictures = {
            draw_scale([("Mia", 6)], ZERO, TEN).data,
            draw_scale([("Mia", 7)], ZERO, TEN).data,
            draw_scale([("Mia", 6)], "Not safe.", TEN).data,
            draw_scale([("Mia", 6)], ZERO, "Safe.").data,
        }
    assert len(pictures) == 4 and len(drawn) == 4


def test_nothing_drawn_for_one_case_is_kept_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = count_draws(monkeypatch)
    with scale_picture.drawn_once():
        draw_scale([("Mia", 6)], ZERO, TEN)
    with scale_picture.drawn_once():
        draw_scale([("Mia", 6)], ZERO, TEN)
    draw_scale([("Mia", 6)], ZERO, TEN)
    assert len(drawn) == 3
    assert scale_picture._CASE_DRAWN.get() is None


def test_the_example_familys_three_documents_draw_their_scale_picture_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The report, its family copy and the story show the same scores: one picture is drawn."""
    from sos_docs.pipeline import render_case

    case = example_case(tmp_path)
    drawn = count_draws(monkeypatch)
    assert len(render_case(case)) == 3
    assert len(drawn) == 1 and ("Mia", 6) in drawn[0][0]


def test_a_copy_that_leaves_out_a_childs_score_gets_its_own_picture(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A score withheld from the family: the professional copy's picture shows it, the family
    copy's and the story's do not; two pictures for three documents, each drawn once."""
    from sos_docs.pipeline import render_case

    book = WorkbookBuilder()
    book.update_row("Scaling", 0, Withhold_from="Family")
    validation = check_workbook(book.write(tmp_path / "withheld.xlsx"))
    assert validation.case is not None
    drawn = count_draws(monkeypatch)
    assert len(render_case(validation.case)) == 3
    assert len(drawn) == 2 and len(set(drawn)) == 2
    (everyone, _, _), (family, _, _) = drawn
    assert len(family) == len(everyone) - 1 and set(family) < set(everyone)
