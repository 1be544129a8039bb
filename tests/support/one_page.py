"""One-page maps for tests: a team's single sheet written cell by cell with openpyxl, and the
example family on one-page maps (lines in cells, one item a cell), whole and broken."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs.workbook.one_page_blank import MAP_SHEET, write_one_page_workbook

CASE_BLOCK: list[list[object]] = [
    ["Case reference", "CP-1"],
    ["Meeting type", "Child in need meeting"],
    ["Mapping date", dt.date(2026, 3, 1)],
    ["Report author", "Ada Okafor (Social worker)"],
    ["Author role", "Social Worker"],
    ["Author agency", "Northbrook Children's Services"],
    ["Reason for report", "Worries at home"],
    ["Children", "Mia Hartley (14/03/2017)"],
    [],
]
HEADINGS = ["What are we worried about?", "What\u2019s working well?", "What needs to happen?"]


def lines_map() -> list[list[object]]:
    """Case block, then a map with its items as lines within cells and a list scale."""
    return [
        *CASE_BLOCK,
        HEADINGS,  # row 10
        ["Harm:", "Existing safety", "Safety goal"],
        [
            "\u2022 Dad pushed Mum\n\u2022 Mia saw it",
            "Nanna took the children",
            "No hitting, for 6 months",
        ],
        ["Danger statement", "Strengths", "Next steps"],
        [
            "When Kerry and Dean drink they may hit each other; Mia could be hurt",
            "Mia is at school on time",
            "1. Write the safety plan - Ada Okafor - by 12 March\n2) Refer to the alcohol service - Kerry Hartley - by 20/03/2026",
        ],
        ["Complicating factors"],
        ["Dean works away"],
        ["Grey areas"],  # row 17
        ["How much they drink", "Other fights?"],
        ["Scale"],  # row 19
        ["0 = the children cannot stay at home"],
        ["10 = safe enough to close the case"],
        ["Ada Okafor (Social worker): 4 - two call-outs"],
        ["Kerry Hartley (Mother)", 7, "No drink at home"],
    ]


def write_map(path: Path, rows: Sequence[Sequence[object]], *, views: bool = True) -> Path:
    """The rows on a sheet "Map" (None: an empty cell), with a Child's views sheet for Mia."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Map"
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None and value != "":
                sheet.cell(number, column, value)  # type: ignore[arg-type]
    if views:
        extra = book.create_sheet("Child's views")
        extra.append(["Child", "Worries", "Good things"])
        extra.append(["Mia Hartley", "Shouting", "Nanna"])
    book.save(path)
    return path


# --------------------------------------------------------------------------------------------
# The example family on team-shaped one-page maps (the must-show workbooks of issue 16)

LINES, CELLS = "lines", "cells"
EXAMPLE_MAP_NAMES = {LINES: "one-page-map-lines.xlsx", CELLS: "one-page-map-cells.xlsx"}


def example_map(folder: Path, shape: str, today: dt.date) -> Path:
    """The example family's initial conference (workbook/example.py's rows, made on `today`)
    on a one-page map: `LINES` writes each part's items as bulleted lines within one cell
    (Alt+Enter), `CELLS` one item a cell; both score on a grid (people down, danger
    statements across, a Child column)."""
    return write_one_page_workbook(
        folder / EXAMPLE_MAP_NAMES[shape],
        example=True,
        today=today,
        one_item_per_cell=shape == CELLS,
    )


def find_cell(sheet: Worksheet, starts_with: str) -> Cell:
    """The first cell of a sheet whose text contains `starts_with` (as typed, any line)."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and starts_with in cell.value:
                return cell
    raise AssertionError(f"no cell holds {starts_with!r}")


def break_lines_map(path: Path) -> dict[str, str]:
    """Break the lines map in place: its first next step loses who and by when, and a second
    "Danger statements" label goes above the complicating factors. Returns problem -> cell."""
    book = load_workbook(path)
    sheet = book[MAP_SHEET]
    steps = find_cell(sheet, "Meet Kerry, Dean")
    first, _, rest = str(steps.value).partition("\n")
    steps.value = f"{first.split(' - ')[0]}\n{rest}"
    factors = find_cell(sheet, "Complicating factors")
    factors.value = "Danger statement:"
    book.save(path)
    return {"no who": steps.coordinate, "second label": factors.coordinate}


def break_cells_map(path: Path) -> dict[str, str]:
    """Break the cells map in place: the scale grid's first row loses its name, and a second
    "Danger statements" label replaces the complicating factors' label. Returns problem -> cell."""
    book = load_workbook(path)
    sheet = book[MAP_SHEET]
    header = find_cell(sheet, "One point higher")
    name = sheet.cell(header.row + 1, 1)
    name.value = None
    factors = find_cell(sheet, "Complicating factors")
    factors.value = "DANGER STATEMENTS"
    book.save(path)
    return {"no name": name.coordinate, "second label": factors.coordinate}
