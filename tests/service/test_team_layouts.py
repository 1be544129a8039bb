"""A real watcher on a root whose sos-docs.toml holds a team layout: the team's own workbook in."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from sos_docs import codes
from sos_docs.config import load_config
from sos_docs.service.layout import WatchedRoot
from sos_docs.workbook.marked_copy import ERROR_FILL_COLOUR
from tests.service.test_watcher import (
    FAST,
    assert_documents_once,
    drop,
    names_in,
    visible_files,
    wait_for,
    watching,
)
from tests.support.builders import WorkbookBuilder
from tests.support.team_layouts import DOCUMENTED_LAYOUT, TeamWorkbook


def layout_root(tmp_path: Path) -> WatchedRoot:
    """A prepared root whose sos-docs.toml has fast times and the Riverside team's layout."""
    path = tmp_path / "riverside"
    path.mkdir()
    times = "".join(f"{name} = {value}\n" for name, value in FAST.items())
    layout = DOCUMENTED_LAYOUT.read_text(encoding="utf-8")
    (path / "sos-docs.toml").write_text(f"{times}\n{layout}", encoding="utf-8")
    config = load_config(path)
    assert config.layout is not None
    root = WatchedRoot(path, config)
    root.prepare()
    return root


def test_the_service_turns_a_team_workbook_into_documents_and_marks_a_broken_one(
    tmp_path: Path,
) -> None:
    """The team's workbook gives the example's documents; a broken copy is rejected with its
    problems marked in the team's own cells (Action plan and Details, not Next steps or Case)."""
    root = layout_root(tmp_path)
    staging = tmp_path / "staging"
    good = TeamWorkbook().write(staging / "riverside.xlsx")
    book = WorkbookBuilder().update_row("Next steps", 0, Who=None)
    book.update_row("Next steps", 1, By_when="31/02/2026").set_case("Author role", None)
    broken_team = TeamWorkbook(book)
    broken = broken_team.write(staging / "broken.xlsx")
    with watching(root):
        drop(root.inbox, good.name, good.read_bytes())
        drop(root.inbox, broken.name, broken.read_bytes())
        wait_for(
            lambda: len(names_in(root.processed)) + len(names_in(root.rejected)) >= 4,
            what="both workbooks to be done",
        )
    assert names_in(root.processed) == ["riverside.xlsx"]
    assert_documents_once(root, "CP-2026-0412", "riverside")
    assert names_in(root.rejected) == [
        "broken - marked.xlsx",
        "broken - problems.txt",
        "broken.xlsx",
    ]
    problems = (root.rejected / "broken - problems.txt").read_text("utf-8-sig")
    who = broken_team.cell("Next steps", "Who", 0)
    due = broken_team.cell("Next steps", "By when", 1)
    role = broken_team.cell("Case", "Author role")
    for where, code in ((f"Action plan!{who}", codes.SOS103), (f"Action plan!{due}", codes.WB005)):
        assert where in problems and f"({code})" in problems
    assert f"Details!{role}" in problems and "Next steps!" not in problems
    marked = load_workbook(root.rejected / "broken - marked.xlsx")
    for sheet, cell in (("Action plan", who), ("Action plan", due), ("Details", role)):
        marked_cell = marked[sheet][cell]
        assert marked_cell.fill.fgColor.rgb == ERROR_FILL_COLOUR, (sheet, cell)
        assert marked_cell.comment is not None, (sheet, cell)
    assert "Next steps" not in marked.sheetnames and "Case" not in marked.sheetnames
    assert visible_files(root.inbox) == []
