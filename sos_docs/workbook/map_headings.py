"""Finds a one-page map: a sheet with the three questions as headings side by side.

Every workbook is looked at this way before it is read (workbook/shapes.py), so this is kept
apart from reading the map (workbook/one_page.py), which only a one-page map needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from sos_docs.model import CellValue, RawSheet, RawWorkbook
from sos_docs.workbook import schema

__all__ = [
    "HEADING_SEARCH_ROWS",
    "NEEDS",
    "QUESTION_HEADINGS",
    "WORKING_WELL",
    "WORRIED",
    "MapHeadings",
    "a1",
    "find_headings",
    "find_map",
    "fold",
    "headings_not_found",
    "question_of",
]

HEADING_SEARCH_ROWS = 30

WORRIED, WORKING_WELL, NEEDS = "worried", "working well", "needs to happen"
QUESTION_HEADINGS: Mapping[str, str] = {
    WORRIED: "What are we worried about?",
    WORKING_WELL: "What's working well?",
    NEEDS: "What needs to happen?",
}
_QUESTION_ALIASES: Mapping[str, tuple[str, ...]] = {
    WORRIED: (
        "what are we worried about",
        "what we are worried about",
        "what are the worries",
        "what are you worried about",
        "worries",
        "worried about",
    ),
    WORKING_WELL: (
        "what's working well",
        "whats working well",
        "what is working well",
        "working well",
        "what's going well",
    ),
    NEEDS: (
        "what needs to happen",
        "what needs to happen next",
        "what needs to change",
        "needs to happen",
    ),
}


@dataclass(frozen=True)
class MapHeadings:
    """Where a sheet's three question headings are: question -> (row, column)."""

    sheet: RawSheet
    found: Mapping[str, tuple[int, int]]

    @property
    def complete(self) -> bool:
        """True when all three questions were found, each in a column of its own."""
        columns = {column for _row, column in self.found.values()}
        return len(self.found) == len(QUESTION_HEADINGS) == len(columns)


def fold(text: str) -> str:
    """Fold a heading or label: any case, curly apostrophes, spaces, trailing `:`, `?`, `*`."""
    folded = " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split()).casefold()
    return folded.rstrip(" :?*.").strip()


def question_of(value: CellValue) -> str | None:
    """Which of the three questions a cell's text is, or None."""
    if not isinstance(value, str):
        return None
    folded = fold(value)
    return next((q for q, aliases in _QUESTION_ALIASES.items() if folded in aliases), None)


def find_headings(sheet: RawSheet) -> MapHeadings:
    """The question headings on a sheet (the first of each, row by row, in the top rows)."""
    found: dict[str, tuple[int, int]] = {}
    for (row, column), value in sorted(sheet.cells.items()):
        if row > HEADING_SEARCH_ROWS:
            break
        question = question_of(value)
        if question is not None and question not in found:
            found[question] = (row, column)
    return MapHeadings(sheet, found)


def find_map(raw: RawWorkbook) -> MapHeadings | None:
    """The first visible sheet with the three question headings side by side, or None.

    A sheet named as a standard sheet (or Instructions, which explains the questions) is
    never a map.
    """
    for sheet in raw.sheets:
        if not sheet.hidden and not _standard_title(sheet.title):
            headings = find_headings(sheet)
            if headings.complete:
                return headings
    return None


def _standard_title(title: str) -> bool:
    names = {n for contract in schema.SHEETS for n in schema.sheet_names_for(contract)}
    names.add(schema.normalise_label(schema.INSTRUCTIONS_SHEET))
    return schema.normalise_label(title) in names


def headings_not_found(raw: RawWorkbook) -> str:
    """For a workbook that is not a one-page map: which headings its closest sheet lacks."""
    best = max(
        (find_headings(sheet) for sheet in raw.sheets if not sheet.hidden),
        key=lambda h: len(h.found),
        default=None,
    )
    wanted = ", ".join(f'"{h}"' for h in QUESTION_HEADINGS.values())
    if best is None or not best.found:
        return f"no sheet has the three question headings ({wanted}) across its top"
    missing = [f'"{QUESTION_HEADINGS[q]}"' for q in QUESTION_HEADINGS if q not in best.found]
    have = ", ".join(f'"{QUESTION_HEADINGS[q]}" ({a1(*where)})' for q, where in best.found.items())
    return f'the sheet "{best.sheet.title}" has {have} but not {" or ".join(missing)}'


def a1(row: int, column: int) -> str:
    """A cell's name in A1 style ("C7")."""
    return f"{get_column_letter(column)}{row}"
