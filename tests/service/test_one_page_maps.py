"""The example family on two team-shaped one-page maps, through the real service, and broken."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from sos_docs.service.layout import WatchedRoot
from sos_docs.workbook.example import INITIAL, made_on
from sos_docs.workbook.marked_copy import ERROR_FILL_COLOUR
from sos_docs.workbook.one_page_blank import MAP_SHEET
from tests.service.test_watcher import make_root, visible_files, wait_for, watching
from tests.support.one_page import (
    CELLS,
    LINES,
    break_cells_map,
    break_lines_map,
    example_map,
)

BREAKERS: dict[str, Callable[[Path], dict[str, str]]] = {
    LINES: break_lines_map,
    CELLS: break_cells_map,
}


def _report_text(folder: Path) -> str:
    """The professional copy of the conference report's paragraphs and table cells."""
    (report,) = [p for p in visible_files(folder) if "(professional copy)" in p.name]
    document = Document(str(report))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join(texts)


@pytest.mark.parametrize("shape", [LINES, CELLS])
def test_a_one_page_map_dropped_in_the_inbox_becomes_documents(tmp_path: Path, shape: str) -> None:
    """The service reads the example family's one-page map and makes the report and story."""
    root: WatchedRoot = make_root(tmp_path)
    made = example_map(tmp_path, shape, made_on(dt.date.today(), INITIAL))
    with watching(root):
        shutil.copy(made, root.inbox / made.name)
        wait_for(lambda: (root.processed / made.name).exists(), what="the map processed")
    (folder,) = [p for p in root.reports.iterdir() if p.is_dir()]
    names = [p.name for p in visible_files(folder)]
    assert sum("Conference report" in n for n in names) == 2, names  # professional and family
    assert sum("Words and pictures" in n for n in names) == 1, names
    text = _report_text(folder)
    assert "Refer Kerry and Dean to the Northbrook alcohol service." in text
    assert "(to be kept up for 6 months)" in text
    assert visible_files(root.rejected) == []


@pytest.mark.parametrize("shape", [LINES, CELLS])
def test_a_broken_one_page_map_is_rejected_with_its_problems_in_its_own_cells(
    tmp_path: Path, shape: str
) -> None:
    """Each problem of a broken map is named in problems.txt at the map's cell and marked on
    that cell (a comment and the error fill) in the marked copy."""
    root: WatchedRoot = make_root(tmp_path)
    made = example_map(tmp_path, shape, made_on(dt.date.today(), INITIAL))
    broken_cells = BREAKERS[shape](made)
    stem = made.stem
    with watching(root):
        shutil.copy(made, root.inbox / made.name)
        wait_for(lambda: (root.rejected / made.name).exists(), what="the map rejected")
    assert visible_files(root.reports) == []
    problems = (root.rejected / f"{stem} - problems.txt").read_text("utf-8-sig")
    marked = load_workbook(root.rejected / f"{stem} - marked.xlsx")[MAP_SHEET]
    for cell in broken_cells.values():
        assert f"{MAP_SHEET}!{cell}" in problems, (cell, problems)
        assert marked[cell].comment is not None, cell
        assert marked[cell].fill.fgColor.rgb == ERROR_FILL_COLOUR, cell
