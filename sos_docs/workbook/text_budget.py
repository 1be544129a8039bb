"""The text budget of one workbook read: a workbook holding too much text is refused as it is read.

Each cell's text is counted against `max_text_chars` and `max_cell_chars`.
"""

from __future__ import annotations

from openpyxl.utils.cell import get_column_letter

from sos_docs.config import Limits
from sos_docs.errors import WorkbookError

__all__ = ["TOO_LARGE", "TextBudget"]

TOO_LARGE = "too large or too complex to process"


class TextBudget:
    """The text read so far from one workbook's cells, against `max_text_chars` and
    `max_cell_chars`: a cell's text counts each time a cell holds it."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.remaining = limits.max_text_chars

    def charge(self, title: str, coordinate: tuple[int, int], text: str) -> None:
        """Count one cell's text; WorkbookError naming the cell once a budget is passed."""
        length = len(text)
        self.remaining -= length
        if self.remaining >= 0 and length <= self.limits.max_cell_chars:
            return
        cell = f"{get_column_letter(coordinate[1])}{coordinate[0]}"
        if length > self.limits.max_cell_chars:
            raise WorkbookError(
                f'"{self.name}": the cell {cell} of the sheet "{title}" holds {length:,} '
                f"characters, more than the {self.limits.max_cell_chars:,} one cell may hold, so "
                f"the workbook is {TOO_LARGE}; shorten the text in that cell (or split it over "
                "several rows) and save again",
                sheet=title,
                cell=cell,
            )
        raise WorkbookError(
            self.too_much_text_message(f'the sheet "{title}" cell {cell}'), sheet=title, cell=cell
        )

    def too_much_text_message(self, where: str = "") -> str:
        """The message for a workbook whose cells hold more text than the budget allows."""
        reached = f" (the total passes it at {where})" if where else ""
        return (
            f'"{self.name}" holds more than {self.limits.max_text_chars:,} characters of text '
            f"in its cells{reached}, so it is {TOO_LARGE}; a mapping workbook holds far less. "
            "Look for long text copied into many cells, delete what is not part of the map, "
            "and save again"
        )
