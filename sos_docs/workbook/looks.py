"""Which cell styles hide a value from a person: white text on white, or a format that shows nothing."""

from __future__ import annotations

from typing import Any

from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

from sos_docs.model import Unseen

__all__ = ["Looks"]

WHITE_RGB = "FFFFFF"
WHITE_THEME = 0  # theme colour 0 is "Background 1", white in every built-in theme
WHITE_TINT = -0.05  # a theme white darkened less than this still reads as white


class Looks:
    """Which cell styles hide a value from a person: white text on a white (or no) fill, or a
    number format with empty sections (`;;;` shows nothing, `;;` no number)."""

    def __init__(self, fonts: Any, fills: Any, number_formats: Any) -> None:
        self.fonts, self.fills, self.number_formats = fonts, fills, number_formats
        self.known: dict[tuple[int, int, int], tuple[Unseen | None, Unseen | None]] = {}

    def may_hide(self, style: Any) -> bool:
        """False when no value in a cell of this style (a StyleArray, or None) is hidden."""
        return style is not None and self._found(style) != (None, None)

    def _found(self, style: Any) -> tuple[Unseen | None, Unseen | None]:
        key = (style.fontId, style.fillId, style.numFmtId)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self._hiding(*key)
        return found

    def hides(self, style: Any, value: object) -> Unseen | None:
        """Why a value in a cell of this style (a StyleArray, or None) cannot be seen, if so."""
        if style is None or value is None:
            return None
        for_text, for_numbers = self._found(style)
        if value.__class__ is str:
            return for_text
        if value.__class__ is bool:  # TRUE and FALSE show whatever the number format
            return Unseen.WHITE if for_text is Unseen.WHITE else None
        return for_numbers

    def _hiding(
        self, font: int, fill: int, number_format: int
    ) -> tuple[Unseen | None, Unseen | None]:
        """(why text is hidden, why numbers are hidden) in a style, None where they show."""
        if self._white_on_white(font, fill):
            return Unseen.WHITE, Unseen.WHITE
        sections = self._format(number_format).split(";")
        numbers = len(sections) >= 3 and not "".join(sections[:3]).strip()
        text = numbers and len(sections) >= 4 and not sections[3].strip()
        return (Unseen.FORMAT if text else None), (Unseen.FORMAT if numbers else None)

    def _white_on_white(self, font: int, fill: int) -> bool:
        colour = getattr(_item(self.fonts, font), "color", None)
        if colour is None or not _is_white(colour):
            return False
        background = _item(self.fills, fill)
        pattern = getattr(background, "patternType", None)
        if background is None or pattern is None:
            return True  # no fill: the sheet's white
        return pattern == "solid" and _is_white(getattr(background, "fgColor", None))

    def _format(self, number_format: int) -> str:
        if number_format < BUILTIN_FORMATS_MAX_SIZE:
            return str(BUILTIN_FORMATS.get(number_format, "General"))
        return str(_item(self.number_formats, number_format - BUILTIN_FORMATS_MAX_SIZE) or "")


def _item(items: Any, index: int) -> Any:
    return items[index] if 0 <= index < len(items) else None


def _is_white(colour: Any) -> bool:
    """True for an openpyxl Color that is white: RGB FFFFFF, palette white, or theme white."""
    kind = getattr(colour, "type", None)
    if kind == "rgb":
        return str(colour.rgb).upper().endswith(WHITE_RGB)
    if kind == "indexed":
        index = int(colour.indexed)
        return 0 <= index < len(COLOR_INDEX) and COLOR_INDEX[index].upper().endswith(WHITE_RGB)
    if kind == "theme":
        return int(colour.theme) == WHITE_THEME and float(colour.tint or 0) > WHITE_TINT
    return False
