"""One-page maps for tests: a team's single sheet, written cell by cell with openpyxl."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

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
