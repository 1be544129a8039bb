"""The example family's pictures: simple, warm drawings made with Pillow shapes, as PNG bytes.

Drawn by sos-docs itself, so the example's words-and-pictures story has pictures and no
third-party image is shipped. Each is drawn twice the size and halved, which smooths the
edges; nothing in it depends on the clock or the machine, so the bytes are the same every run
(for a given Pillow). No words in the pictures: the story's text says what they mean.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw

__all__ = [
    "DRAWINGS",
    "HEIGHT",
    "WIDTH",
    "cloudy_house",
    "family",
    "heart",
    "helpers",
    "home",
    "nanna_house",
    "night",
    "no_drinks",
    "school",
    "telephone",
    "walk",
]

WIDTH, HEIGHT = 600, 450
GROW = 2  # drawn at twice the size, then halved: smooth edges without anti-aliased shapes
LINE = 5  # outline thickness at the final size

Colour = tuple[int, int, int]
Box = tuple[float, float, float, float]
Points = Sequence[tuple[float, float]]

INK: Colour = (64, 48, 56)  # a soft dark plum for outlines, kinder than black
SKY: Colour = (214, 236, 250)
NIGHT_SKY: Colour = (52, 60, 112)
GRASS: Colour = (152, 206, 120)
SKIN: Colour = (246, 208, 170)
SUN: Colour = (255, 209, 71)
WALL: Colour = (250, 226, 170)
ROOF: Colour = (214, 96, 77)
DOOR: Colour = (120, 160, 214)
WINDOW: Colour = (255, 248, 200)
RED: Colour = (226, 76, 90)
PINK: Colour = (246, 150, 170)
WHITE: Colour = (255, 255, 255)
GREY: Colour = (170, 170, 182)
BROWN: Colour = (150, 104, 72)


class Sketch:
    """A canvas with thick soft outlines, addressed in final-size pixels."""

    def __init__(self, background: Colour = SKY) -> None:
        self.image = Image.new("RGB", (WIDTH * GROW, HEIGHT * GROW), background)
        self.pen = ImageDraw.Draw(self.image)

    def ellipse(self, box: Box, fill: Colour, outline: Colour | None = INK) -> None:
        """An ellipse (a circle when the box is square) filled and outlined."""
        self.pen.ellipse(_grown(box), fill=fill, outline=outline, width=LINE * GROW)

    def rect(self, box: Box, fill: Colour, radius: float = 0) -> None:
        """A rectangle, with rounded corners when `radius` is given."""
        self.pen.rounded_rectangle(
            _grown(box), radius=radius * GROW, fill=fill, outline=INK, width=LINE * GROW
        )

    def polygon(self, points: Points, fill: Colour) -> None:
        """A filled and outlined shape through the points."""
        grown = [(x * GROW, y * GROW) for x, y in points]
        self.pen.polygon(grown, fill=fill, outline=INK, width=LINE * GROW)

    def line(self, points: Points, colour: Colour = INK, width: float = LINE) -> None:
        """A thick line through the points, with round joins."""
        grown = [(x * GROW, y * GROW) for x, y in points]
        self.pen.line(grown, fill=colour, width=round(width * GROW), joint="curve")
        for x, y in (grown[0], grown[-1]):  # round ends
            r = width * GROW / 2
            self.pen.ellipse((x - r, y - r, x + r, y + r), fill=colour)

    def arc(self, box: Box, start: float, end: float, width: float = LINE) -> None:
        """Part of an ellipse's outline: a smile, a moon's edge."""
        self.pen.arc(_grown(box), start, end, fill=INK, width=round(width * GROW))

    def png(self) -> bytes:
        """The drawing at its final size as PNG bytes."""
        small = self.image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True)
        return out.getvalue()


def _grown(box: Box) -> Box:
    left, top, right, bottom = box
    return left * GROW, top * GROW, right * GROW, bottom * GROW


# --------------------------------------------------------------------------------------------
# Parts that several pictures share


def _ground(sketch: Sketch, top: float = 360, colour: Colour = GRASS) -> None:
    sketch.pen.rectangle((0, top * GROW, WIDTH * GROW, HEIGHT * GROW), fill=colour)
    sketch.line([(0, top), (WIDTH, top)], width=4)


def _sun(sketch: Sketch, x: float, y: float, r: float = 40) -> None:
    for n in range(8):
        dx, dy = _ray(n)
        sketch.line(
            [(x + dx * (r + 12), y + dy * (r + 12)), (x + dx * (r + 30), y + dy * (r + 30))]
        )
    sketch.ellipse((x - r, y - r, x + r, y + r), SUN)


def _ray(n: int) -> tuple[float, float]:
    """The direction of the n-th of eight rays (exact values: the same bytes on every machine)."""
    half = 0.7071
    return [
        (1, 0),
        (half, half),
        (0, 1),
        (-half, half),
        (-1, 0),
        (-half, -half),
        (0, -1),
        (half, -half),
    ][n]


def _cloud(sketch: Sketch, x: float, y: float, colour: Colour = WHITE) -> None:
    for dx, dy, r in ((-45, 8, 30), (45, 8, 30), (0, -10, 42)):
        sketch.ellipse((x + dx - r, y + dy - r, x + dx + r, y + dy + r), colour)
    sketch.pen.rectangle(_grown((x - 45, y + 8, x + 45, y + 37)), fill=colour)
    sketch.line([(x - 45, y + 38), (x + 45, y + 38)])


def _house(sketch: Sketch, left: float, ground: float, width: float, wall: Colour = WALL) -> None:
    """A house: walls, a pointed roof, a door and two windows, standing on the ground line."""
    top = ground - width * 0.75
    sketch.polygon(
        [(left - 20, top), (left + width / 2, top - width * 0.5), (left + width + 20, top)], ROOF
    )
    sketch.rect((left, top, left + width, ground), wall)
    door = width * 0.22
    middle = left + width / 2
    sketch.rect((middle - door / 2, ground - door * 1.8, middle + door / 2, ground), DOOR, 8)
    for x in (left + width * 0.12, left + width * 0.66):
        _window(sketch, x, top + width * 0.12, width * 0.22)


def _window(sketch: Sketch, left: float, top: float, size: float) -> None:
    sketch.rect((left, top, left + size, top + size), WINDOW, 4)
    sketch.line([(left + size / 2, top), (left + size / 2, top + size)], width=3)
    sketch.line([(left, top + size / 2), (left + size, top + size / 2)], width=3)


def _person(
    sketch: Sketch,
    x: float,
    ground: float,
    tall: float,
    clothes: Colour,
    hair: Colour,
    *,
    long_hair: bool = False,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A round, smiling person `tall` pixels high standing at `x`; returns their two hands."""
    head = tall * 0.16
    body_top = ground - tall + head * 2
    legs_top = ground - tall * 0.3
    hands = ((x - head * 1.9, legs_top - head * 0.3), (x + head * 1.9, legs_top - head * 0.3))
    if long_hair:  # hair falling to the shoulders, behind the head
        top = ground - tall
        sketch.rect((x - head * 1.15, top, x + head * 1.15, body_top + head * 0.6), hair, head)
    for side, hand in zip((-1, 1), hands, strict=True):
        sketch.line([(x + side * head * 0.35, legs_top), (x + side * head * 0.5, ground)])
        sketch.line([(x + side * head * 0.8, body_top + head * 0.4), hand])
    trunk = [
        (x - head * 0.7, body_top),
        (x + head * 0.7, body_top),
        (x + head * 1.2, legs_top),
        (x - head * 1.2, legs_top),
    ]
    sketch.polygon(trunk, clothes)
    _face(sketch, x, ground - tall + head, head, hair)
    return hands


def _face(sketch: Sketch, x: float, y: float, r: float, hair: Colour) -> None:
    """A smiling round face with hair on top, centred at (x, y)."""
    sketch.ellipse((x - r * 1.05, y - r * 1.1, x + r * 1.05, y + r * 0.3), hair)
    sketch.ellipse((x - r, y - r, x + r, y + r), SKIN)
    eye = max(r * 0.12, 2.5)
    for side in (-1, 1):
        ex, ey = x + side * r * 0.38, y - r * 0.2
        sketch.pen.ellipse(_grown((ex - eye, ey - eye, ex + eye, ey + eye)), fill=INK)
    smile = (x - r * 0.45, y - r * 0.2, x + r * 0.45, y + r * 0.55)
    sketch.arc(smile, 20, 160, width=max(r * 0.1, 2.5))


def _hold_hands(sketch: Sketch, hands: Sequence[tuple[tuple[float, float], ...]]) -> None:
    """Each person's right hand joined to the next person's left hand."""
    for mine, theirs in itertools.pairwise(hands):
        sketch.line([mine[1], theirs[0]])


# --------------------------------------------------------------------------------------------
# The pictures


def family() -> bytes:
    """Mum, Mia, Leo and Dad holding hands in the sunshine."""
    sketch = Sketch()
    _ground(sketch)
    _sun(sketch, 330, 75, 36)
    hands = [
        _person(sketch, 110, 390, 285, (196, 120, 200), BROWN, long_hair=True),  # Mum
        _person(sketch, 245, 390, 185, (255, 170, 90), (240, 200, 90), long_hair=True),  # Mia
        _person(sketch, 355, 390, 135, (110, 190, 120), BROWN),  # Leo
        _person(sketch, 490, 390, 305, (90, 140, 210), (90, 70, 60)),  # Dad
    ]
    _hold_hands(sketch, hands)
    return sketch.png()


def home() -> bytes:
    """The family's home on a sunny day: a house with a path, a tree and the sun."""
    sketch = Sketch()
    _ground(sketch)
    _sun(sketch, 90, 80)
    _house(sketch, 200, 360, 200)
    sketch.polygon([(285, 360), (315, 360), (350, 450), (250, 450)], (236, 220, 190))
    _tree(sketch, 500, 360)
    return sketch.png()


def cloudy_house() -> bytes:
    """The family's home under a grey rain cloud: a sad time at home."""
    sketch = Sketch((200, 210, 226))
    _ground(sketch, colour=(150, 186, 130))
    _house(sketch, 200, 360, 200)
    _cloud(sketch, 300, 70, GREY)
    for x in (250, 290, 330, 370):
        sketch.line([(x, 130), (x - 8, 150)], colour=DOOR, width=6)
    return sketch.png()


def nanna_house() -> bytes:
    """Nanna's little house with flowers and Biscuit the dog."""
    sketch = Sketch()
    _ground(sketch)
    _house(sketch, 100, 360, 180, wall=(236, 200, 230))
    for x in (330, 380, 430):
        _flower(sketch, x, 360)
    _dog(sketch, 500, 360)
    _cloud(sketch, 470, 80)
    return sketch.png()


def helpers() -> bytes:
    """Three grown-ups who help: a social worker, a teacher and a police officer."""
    sketch = Sketch()
    _ground(sketch)
    _person(sketch, 140, 390, 280, (120, 190, 170), (60, 40, 40), long_hair=True)
    sketch.rect((168, 250, 208, 300), WHITE, 4)  # the social worker's notebook
    _person(sketch, 300, 390, 290, (240, 180, 90), (200, 150, 90))
    sketch.rect((226, 268, 262, 312), RED, 4)  # the teacher's book
    _person(sketch, 460, 390, 285, (40, 70, 140), BROWN)
    _police_cap(sketch, 460, 105)
    sketch.polygon([(450, 192), (470, 192), (476, 200), (460, 212), (444, 200)], SUN)  # badge
    return sketch.png()


def _police_cap(sketch: Sketch, x: float, top: float) -> None:
    sketch.rect((x - 50, top + 18, x + 50, top + 30), INK, 6)  # the peak
    sketch.rect((x - 44, top - 14, x + 44, top + 20), (40, 70, 140), 10)
    sketch.rect((x - 44, top + 4, x + 44, top + 18), WHITE)  # the band
    sketch.ellipse((x - 8, top - 10, x + 8, top + 6), SUN)


def heart() -> bytes:
    """A big red heart with a little one: you are loved."""
    sketch = Sketch((255, 236, 240))
    _heart(sketch, 300, 235, 150, RED)
    _heart(sketch, 480, 110, 45, PINK)
    _heart(sketch, 110, 340, 35, PINK)
    return sketch.png()


def telephone() -> bytes:
    """A friendly telephone: someone you can ring and talk to."""
    sketch = Sketch((226, 240, 220))
    sketch.rect((170, 200, 430, 370), RED, 30)
    sketch.rect((150, 140, 450, 200), RED, 28)  # the handset
    sketch.ellipse((255, 230, 345, 320), WHITE)
    for n in range(8):
        dx, dy = _ray(n)
        sketch.ellipse(
            (300 + dx * 30 - 7, 275 + dy * 30 - 7, 300 + dx * 30 + 7, 275 + dy * 30 + 7), GREY
        )
    for r in (50, 80):  # ringing: waves on both sides
        sketch.arc((150 - r, 170 - r, 150 + r, 170 + r), 150, 210)
        sketch.arc((450 - r, 170 - r, 450 + r, 170 + r), -30, 30)
    return sketch.png()


def no_drinks() -> bytes:
    """A bottle and a glass with a red cross over them: no drinking when looking after children."""
    sketch = Sketch((236, 232, 248))
    sketch.ellipse((120, 60, 480, 420), WHITE, None)
    bottle = [(235, 130), (265, 130), (265, 180), (295, 220)]
    bottle += [(295, 370), (205, 370), (205, 220), (235, 180)]
    sketch.polygon(bottle, (120, 180, 120))
    sketch.rect((230, 110, 270, 132), BROWN, 6)
    sketch.polygon([(320, 260), (390, 260), (380, 370), (330, 370)], (250, 220, 150))  # a glass
    sketch.pen.ellipse(_grown((120, 60, 480, 420)), outline=RED, width=26 * GROW)
    sketch.line([(185, 125), (415, 355)], colour=RED, width=26)
    return sketch.png()


def school() -> bytes:
    """A school with a bell, big windows and a flag."""
    sketch = Sketch()
    _ground(sketch)
    sketch.rect((120, 170, 480, 360), (230, 150, 120))
    sketch.polygon([(100, 170), (300, 70), (500, 170)], (120, 110, 170))
    sketch.ellipse((275, 105, 325, 155), SUN)
    for x in (150, 390):
        for y in (200, 270):
            _window(sketch, x, y, 56)
    sketch.rect((265, 260, 335, 360), DOOR, 10)
    sketch.line([(300, 70), (300, 20)])
    sketch.polygon([(300, 20), (345, 32), (300, 44)], RED)
    return sketch.png()


def walk() -> bytes:
    """Dad walking beside a winding path between trees under a calm sky: a walk to feel calm."""
    sketch = Sketch()
    _ground(sketch, top=250)
    path = [(60, 450), (200, 450), (300, 340), (400, 250), (370, 250), (250, 330)]
    sketch.polygon(path, (236, 220, 190))
    _tree(sketch, 110, 320)
    _tree(sketch, 530, 320)
    _cloud(sketch, 190, 80)
    _sun(sketch, 420, 80, 34)
    _person(sketch, 380, 420, 220, (90, 140, 210), (90, 70, 60))
    return sketch.png()


def night() -> bytes:
    """A cosy bed under a window with the moon and stars: safe at night."""
    sketch = Sketch(NIGHT_SKY)
    sketch.ellipse((380, 50, 480, 150), WINDOW)
    sketch.ellipse((410, 35, 510, 135), NIGHT_SKY, None)
    for x, y in ((100, 70), (200, 120), (300, 60), (540, 200)):
        _star(sketch, x, y)
    sketch.rect((80, 280, 520, 380), (130, 170, 230), 16)  # the quilt
    sketch.rect((60, 220, 100, 420), BROWN, 10)
    sketch.rect((500, 260, 540, 420), BROWN, 10)
    sketch.ellipse((110, 245, 210, 300), WHITE)  # the pillow
    _face(sketch, 170, 260, 34, BROWN)
    return sketch.png()


# --------------------------------------------------------------------------------------------
# Small things


def _tree(sketch: Sketch, x: float, ground: float) -> None:
    sketch.rect((x - 16, ground - 110, x + 16, ground), BROWN, 6)
    sketch.ellipse((x - 70, ground - 220, x + 70, ground - 90), (100, 176, 96))


def _flower(sketch: Sketch, x: float, ground: float) -> None:
    sketch.line([(x, ground), (x, ground - 50)], colour=(80, 140, 70))
    for dx, dy in ((-12, 0), (12, 0), (0, -12), (0, 12)):
        sketch.ellipse(
            (x + dx - 11, ground - 60 + dy - 11, x + dx + 11, ground - 60 + dy + 11), PINK
        )
    sketch.ellipse((x - 8, ground - 68, x + 8, ground - 52), SUN)


def _dog(sketch: Sketch, x: float, ground: float) -> None:
    coat = (214, 168, 110)
    sketch.line([(x + 40, ground - 55), (x + 62, ground - 80)], width=8)  # a wagging tail
    for dx in (-30, -10, 20, 38):
        sketch.line([(x + dx, ground - 30), (x + dx, ground)], width=8)
    sketch.ellipse((x - 45, ground - 75, x + 50, ground - 25), coat)
    sketch.ellipse((x - 80, ground - 110, x - 20, ground - 55), coat)
    sketch.ellipse((x - 72, ground - 108, x - 50, ground - 70), BROWN)  # an ear
    sketch.pen.ellipse(_grown((x - 42, ground - 92, x - 34, ground - 84)), fill=INK)
    sketch.pen.ellipse(_grown((x - 84, ground - 80, x - 72, ground - 70)), fill=INK)


def _heart(sketch: Sketch, x: float, y: float, size: float, colour: Colour) -> None:
    """A heart: the same shape a little larger in the outline colour, then the heart on it."""
    _heart_shape(sketch, x, y + LINE * 0.4, size + LINE * 1.6, INK)
    _heart_shape(sketch, x, y, size, colour)


def _heart_shape(sketch: Sketch, x: float, y: float, size: float, colour: Colour) -> None:
    """Two round lobes and the point below, joined along the lines that touch the lobes."""
    r = size * 0.52
    tip = (x, y + size * 0.95)
    for side in (-1, 1):
        centre = (x + side * r * 0.95, y - r * 0.3)
        sketch.pen.ellipse(
            _grown((centre[0] - r, centre[1] - r, centre[0] + r, centre[1] + r)), fill=colour
        )
        touch = _touching_point(centre, r, tip, side)
        body = [tip, touch, centre, (x, centre[1])]
        sketch.pen.polygon([(px * GROW, py * GROW) for px, py in body], fill=colour)


def _touching_point(
    centre: tuple[float, float], r: float, tip: tuple[float, float], side: int
) -> tuple[float, float]:
    """Where a line from `tip` touches the circle, on the outer (`side`) side."""
    dx, dy = tip[0] - centre[0], tip[1] - centre[1]
    angle = math.atan2(dy, dx) - side * math.acos(r / math.hypot(dx, dy))
    return centre[0] + r * math.cos(angle), centre[1] + r * math.sin(angle)


def _star(sketch: Sketch, x: float, y: float, r: float = 16) -> None:
    points = [
        (x, y - r),
        (x + r * 0.3, y - r * 0.3),
        (x + r, y),
        (x + r * 0.3, y + r * 0.3),
        (x, y + r),
        (x - r * 0.3, y + r * 0.3),
        (x - r, y),
        (x - r * 0.3, y - r * 0.3),
    ]
    sketch.polygon(points, SUN)


DRAWINGS: dict[str, Callable[[], bytes]] = {
    "family": family,
    "home": home,
    "cloudy house": cloudy_house,
    "nanna's house": nanna_house,
    "helpers": helpers,
    "heart": heart,
    "telephone": telephone,
    "no drinks": no_drinks,
    "school": school,
    "walk": walk,
    "night": night,
}
