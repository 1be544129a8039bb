"""Tests for sos_docs.workbook.team_layout: a team's own workbook read through its layout."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from sos_docs import codes
from sos_docs.config import DEFAULT_CONFIG, load_layout
from sos_docs.model import CellOrigin, EarlierWorkbook, Level, TeamLayout
from sos_docs.pipeline import check_workbook, process_workbook
from sos_docs.workbook import schema
from sos_docs.workbook.history import read_history
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.team_layout import apply_layout, where_found
from sos_docs.workbook.validate import validate
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.reviews import REVIEW_TODAY, initial_book, review_book
from tests.support.team_layouts import (
    DOCUMENTED_LAYOUT,
    DOCUMENTED_WORKBOOK,
    TEAM_SHEETS,
    TeamSheet,
    TeamWorkbook,
)

NEXT_STEPS_TABLE = '[layout."Next steps"]'
REPORT_AUTHOR_ENTRY = '"Report author" ='


def team_layout() -> TeamLayout:
    """The Riverside team's layout, as docs/examples/layout.toml has it."""
    return load_layout(DOCUMENTED_LAYOUT)


def read_team(path: Path, layout: TeamLayout | None = None) -> tuple[object, list[str]]:
    """The validation of a team workbook read through the layout, and its errors as `where code`."""
    raw = apply_layout(read_workbook(path), layout or team_layout())
    validation = validate(raw, today=EXAMPLE_TODAY)
    return validation, [
        f"{p.where} {p.code}" for p in validation.problems if p.level is Level.ERROR
    ]


def layout_with(tmp_path: Path, old: str, new: str) -> TeamLayout:
    """The documented layout with one piece of text changed, as a file of its own."""
    path = tmp_path / "layout.toml"
    text = DOCUMENTED_LAYOUT.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_layout(path)


def line_of(text: str) -> int:
    """The line of the documented layout that starts with `text`."""
    lines = DOCUMENTED_LAYOUT.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(text))


def document_text(path: Path) -> str:
    """Every paragraph and table cell of a .docx, in order, as one string."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_team_workbook_read_through_its_layout_is_valid(tmp_path: Path) -> None:
    """Renamed sheets and columns, title rows and the Case at other cells: no problem at all."""
    validation, errors = read_team(TeamWorkbook().write(tmp_path / "team.xlsx"))
    assert errors == []
    assert validation.case is not None  # type: ignore[attr-defined]
    people = validation.case.people  # type: ignore[attr-defined]
    assert [p.name for p in people] == [r["Name"] for r in WorkbookBuilder().rows("People")]


def test_every_value_of_the_standard_sheets_points_back_to_the_teams_cell(tmp_path: Path) -> None:
    """Each reshaped value's origin holds the same value in the team's own file."""
    path = TeamWorkbook().write(tmp_path / "team.xlsx")
    raw = read_workbook(path)
    reshaped = apply_layout(raw, team_layout())
    team = {sheet.title: sheet for sheet in raw.sheets}
    checked = 0
    for sheet in reshaped.sheets:
        if sheet.title not in {"Case", *TEAM_SHEETS}:
            continue
        for (row, column), value in sheet.cells.items():
            if (column if sheet.title == "Case" else row) == 1:
                continue  # the standard headings and labels sos-docs wrote
            cell = f"{get_column_letter(column)}{row}"
            origin = reshaped.origins[(sheet.title, cell)]
            own = team[origin.sheet]
            assert origin.cell is not None
            spot = load_workbook(path)[origin.sheet][origin.cell]
            assert own.cells[(spot.row, spot.column)] == value
            checked += 1
    assert checked > 100
    assert reshaped.sheet_origins["Next steps"] == CellOrigin("Action plan")
    assert reshaped.origins[("Case", "B1")] == CellOrigin("Details", "C4")


def test_documents_from_the_team_workbook_equal_those_from_the_standard_example(
    tmp_path: Path,
) -> None:
    """The same family in the team's sheets gives the same documents, word for word."""
    config = dataclasses.replace(DEFAULT_CONFIG, layout=team_layout())
    team = process_workbook(
        TeamWorkbook().write(tmp_path / "team.xlsx"), tmp_path / "team", config, today=EXAMPLE_TODAY
    )
    standard = process_workbook(
        WorkbookBuilder().write(tmp_path / "standard.xlsx"),
        tmp_path / "standard",
        today=EXAMPLE_TODAY,
    )
    assert team.ok and standard.ok
    assert [p.name for p in team.documents] == [p.name for p in standard.documents]
    assert len(team.documents) == 3
    for ours, theirs in zip(team.documents, standard.documents, strict=True):
        assert document_text(ours) == document_text(theirs)


def test_a_broken_team_workbook_has_its_problems_in_the_teams_own_cells(tmp_path: Path) -> None:
    """An emptied owner and an impossible due date are reported at the Action plan's cells."""
    book = WorkbookBuilder().update_row("Next steps", 0, Who=None)
    book.update_row("Next steps", 1, By_when="31/02/2026")
    team = TeamWorkbook(book)
    _validation, errors = read_team(team.write(tmp_path / "team.xlsx"))
    assert f"Action plan!{team.cell('Next steps', 'Who', 0)} {codes.SOS103}" in errors
    assert f"Action plan!{team.cell('Next steps', 'By when', 1)} {codes.WB005}" in errors
    assert all(e.startswith("Action plan!") for e in errors), errors


def test_an_emptied_case_value_is_reported_at_the_teams_case_cell(tmp_path: Path) -> None:
    """The author's role emptied on the Details sheet: the problem is at its cell there."""
    team = TeamWorkbook(WorkbookBuilder().set_case("Author role", None))
    _validation, errors = read_team(team.write(tmp_path / "team.xlsx"))
    assert errors == [f"Details!{team.cell('Case', 'Author role')} {codes.WB004}"]


def test_a_sheet_the_workbook_lacks_names_the_layout_file_line_and_the_sheets(
    tmp_path: Path,
) -> None:
    """The layout's "Action plan" is not in the workbook: one problem says where and what is."""
    layout = layout_with(tmp_path, 'sheet = "Action plan"', 'sheet = "Actions 2026"')
    validation, errors = read_team(TeamWorkbook().write(tmp_path / "team.xlsx"), layout)
    missing = [p for p in validation.problems if p.code == codes.WB016]  # type: ignore[attr-defined]
    assert [(p.sheet, p.cell) for p in missing] == [("Actions 2026", None)]
    message = missing[0].message
    sheet_line = line_of('sheet = "Action plan"')
    assert f"layout.toml, line {sheet_line})" in message
    assert '"Details", "Young people", "Family"' in message and '"Action plan"' in message
    assert codes.WB002 not in " ".join(errors)  # the layout's problem says it better


def test_a_team_heading_not_found_is_a_problem_at_the_teams_header_row(tmp_path: Path) -> None:
    """The layout looks for "Relation" but the sheet says "Relationship to the children"."""
    team = TeamWorkbook(headings={("People", "Relationship"): "Relationship to child"})
    path = team.write(tmp_path / "team.xlsx")
    validation, errors = read_team(path)
    header = f"A{TEAM_SHEETS['People'].title_rows + 1}"
    assert errors == [f"Family!{header} {codes.WB016}"]
    (problem,) = [p for p in validation.problems if p.code == codes.WB016]  # type: ignore[attr-defined]
    assert 'under the heading "Relation"' in problem.message
    assert (
        f"line {line_of('Relationship =')}" in problem.message
        and '"Relationship to child"' in problem.message
    )


def test_a_case_label_not_found_is_a_problem_on_the_teams_case_sheet(tmp_path: Path) -> None:
    """The layout's label "Written by" is not on the Details sheet."""
    layout = layout_with(
        tmp_path, '"Report author" = "Written by"', '"Report author" = "Author name"'
    )
    validation, errors = read_team(TeamWorkbook().write(tmp_path / "team.xlsx"), layout)
    assert f"Details {codes.WB016}" in errors
    (problem,) = [p for p in validation.problems if p.code == codes.WB016]  # type: ignore[attr-defined]
    assert '"Author name"' in problem.message
    assert f"line {line_of(REPORT_AUTHOR_ENTRY)}" in problem.message


def test_a_standard_workbook_in_a_root_with_a_layout_is_read_as_it_is(tmp_path: Path) -> None:
    """None of the layout's sheets, but every standard one: the workbook is not reshaped."""
    raw = read_workbook(WorkbookBuilder().write(tmp_path / "standard.xlsx"))
    assert apply_layout(raw, team_layout()) is raw


def test_where_found_says_each_fields_team_column_and_what_is_missing(tmp_path: Path) -> None:
    """The Action plan's Owner column holds Who; the Case has no scale wording."""
    _reshaped, found = where_found(
        read_workbook(TeamWorkbook().write(tmp_path / "team.xlsx")), team_layout()
    )
    places = {(f.sheet, f.field): f.where for f in found}
    assert places[("Next steps", "Who")] == "column A (Owner)"
    assert places[("Case", "Case reference")] == "C4"
    assert places[("Case", "Scale zero means")] == ""


def test_a_review_reads_its_earlier_team_workbook_through_the_layout(tmp_path: Path) -> None:
    """The earlier conference, kept in the team's shape, is found for the review's progress."""
    earlier = TeamWorkbook(initial_book()).write(tmp_path / "initial.xlsx")
    review = review_book().write(tmp_path / "review.xlsx")
    case = validate(read_workbook(review), today=REVIEW_TODAY).case
    assert case is not None
    candidates = [EarlierWorkbook(earlier, earlier.name)]
    without = read_history(case, candidates, today=REVIEW_TODAY)
    within = read_history(case, candidates, today=REVIEW_TODAY, layout=team_layout())
    assert without.earlier == () and within.warnings == ()
    assert len(within.earlier) == 1


def test_the_documented_team_workbook_is_the_one_the_tests_build(tmp_path: Path) -> None:
    """docs/examples/team-workbook.xlsx holds the same cells as TeamWorkbook() writes."""
    built = read_workbook(TeamWorkbook().write(tmp_path / "team.xlsx"))
    documented = read_workbook(DOCUMENTED_WORKBOOK)
    assert [s.title for s in documented.sheets] == [s.title for s in built.sheets]
    for ours, theirs in zip(built.sheets, documented.sheets, strict=True):
        assert dict(ours.cells) == dict(theirs.cells), ours.title


NEXT_STEP_COLUMNS = [c.name for c in schema.NEXT_STEPS.columns]
HEADING = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzÉéß ?()'-"), min_size=1, max_size=16
).filter(lambda t: t.strip() and not t.strip().casefold().startswith(("column", "cell")))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.permutations(NEXT_STEP_COLUMNS),
    headings=st.lists(HEADING, min_size=len(NEXT_STEP_COLUMNS), max_size=len(NEXT_STEP_COLUMNS)),
    title_rows=st.integers(0, 3),
)
def test_any_order_and_any_headings_read_the_same_next_steps(
    tmp_path_factory: pytest.TempPathFactory,
    order: list[str],
    headings: list[str],
    title_rows: int,
) -> None:
    """Next steps under headings of the team's choosing, in any order, under title rows, are
    read exactly as the standard workbook's, each problem-free."""
    folded = {schema.normalise_label(h) for h in headings}
    assume(len(folded) == len(headings))
    folder = tmp_path_factory.mktemp("any")
    team = TeamSheet("Our plan", title_rows, dict(zip(NEXT_STEP_COLUMNS, headings, strict=True)))
    path = folder / "team.xlsx"
    book = WorkbookBuilder()
    book.write(path)
    workbook = load_workbook(path)
    del workbook["Next steps"]
    sheet = workbook.create_sheet(team.title)
    for number in range(1, title_rows + 1):
        sheet.cell(number, 1, f"Title {number}")
    for column, name in enumerate(order, start=1):
        sheet.cell(title_rows + 1, column, team.heading(name))
        for offset, record in enumerate(book.rows("Next steps"), start=1):
            if record.get(name) is not None:
                sheet.cell(title_rows + 1 + offset, column, record[name])
    workbook.save(path)
    entries = "".join(f"{json.dumps(n)} = {json.dumps(team.heading(n))}\n" for n in order)
    layout_file = folder / "layout.toml"
    layout_file.write_text(
        f'[layout."Next steps"]\nsheet = "Our plan"\n{entries}', encoding="utf-8"
    )
    validation = validate(
        apply_layout(read_workbook(path), load_layout(layout_file)), today=EXAMPLE_TODAY
    )
    standard = validate(
        read_workbook(WorkbookBuilder().write(folder / "std.xlsx")), today=EXAMPLE_TODAY
    )
    assert validation.errors == ()
    assert validation.case is not None and standard.case is not None
    assert validation.case.next_steps == standard.case.next_steps


def test_an_empty_team_sheet_gets_the_layouts_problems_only(tmp_path: Path) -> None:
    """The Action plan emptied of everything: the layout's problems say which headings are
    looked for, and validation's own "no header row" is not said a second time."""
    path = TeamWorkbook().write(tmp_path / "team.xlsx")
    workbook = load_workbook(path)
    del workbook["Action plan"]
    workbook.create_sheet("Action plan")
    workbook.save(path)
    validation, errors = read_team(path)
    on_the_sheet = [e for e in errors if e.startswith("Action plan")]
    assert on_the_sheet and all(e.endswith(codes.WB016) for e in on_the_sheet), errors
    messages = [p.message for p in validation.problems if p.code == codes.WB016]  # type: ignore[attr-defined]
    assert any('"Task"' in m for m in messages) and any('"Owner"' in m for m in messages)


def test_a_workbook_in_no_shape_at_a_root_with_a_layout_says_all_three_were_tried(
    tmp_path: Path,
) -> None:
    """Neither standard, nor a one-page map, nor the layout's sheets: one WB014 naming all three."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Notes"
    sheet["A1"] = "Our notes"
    book.save(tmp_path / "notes.xlsx")
    config = dataclasses.replace(DEFAULT_CONFIG, layout=load_layout(DOCUMENTED_LAYOUT))
    result = check_workbook(tmp_path / "notes.xlsx", config, today=EXAMPLE_TODAY)
    assert [p.code for p in result.problems] == [codes.WB014]
    message = result.problems[0].message
    assert "three shapes" in message and "layout.toml" in message
    assert '"Family"' in message and '"Action plan"' in message and '"Notes"' in message


def test_a_misspelt_sheet_title_is_cited_at_its_sheet_line_with_the_nearest_tab(
    tmp_path: Path,
) -> None:
    """`sheet = "Famly"` on line 2 of the layout: the problem cites line 2 and suggests "Family"."""
    layout = layout_with(tmp_path, 'sheet = "Family"', 'sheet = "Famly"')
    validation, _errors = read_team(TeamWorkbook().write(tmp_path / "team.xlsx"), layout)
    missing = [p for p in validation.problems if p.code == codes.WB016]  # type: ignore[attr-defined]
    assert [p.sheet for p in missing] == ["Famly"]
    text = (tmp_path / "layout.toml").read_text(encoding="utf-8").splitlines()
    sheet_line = next(n for n, line in enumerate(text, 1) if line.startswith('sheet = "Famly"'))
    assert sheet_line != line_of("[layout.People]")
    assert f"layout.toml, line {sheet_line})" in missing[0].message
    assert "Did you mean 'Family'?" in missing[0].message


def _suggested_toml(message: str) -> list[str]:
    """Every layout table header and `field = ...` a message suggests writing."""
    tables = re.findall(r"\[layout\.[^\]\n]*\]", message)
    keys = re.findall(r"(?:correct|write|for example) ([^=\n]+?) = (?:\.\.\.|\")", message)
    return [*tables, *(f'{key} = "x"' for key in keys)]


def test_every_layout_snippet_a_problem_suggests_is_valid_toml(tmp_path: Path) -> None:
    """The tables and entries the layout's problems tell a person to write are TOML that
    tomllib reads: a name with a space is quoted ([layout."Next steps"], "By when" = ...)."""
    layout = layout_with(tmp_path, '"By when" = "Due date"', '"By when" = "Due on"')
    path = TeamWorkbook().write(tmp_path / "team.xlsx")
    messages = [p.message for p in read_team(path, layout)[0].problems]  # type: ignore[attr-defined]
    layout = layout_with(tmp_path, 'sheet = "Action plan"', 'sheet = "Actions"')
    messages += [p.message for p in read_team(path, layout)[0].problems]  # type: ignore[attr-defined]
    snippets = [s for m in messages for s in _suggested_toml(m)]
    assert '[layout."Next steps"]' in snippets
    for snippet in snippets:
        tomllib.loads(snippet)


def test_every_toml_example_in_the_docs_is_valid_toml() -> None:
    """Each ```toml block of the README and docs, and docs/examples/layout.toml, is TOML."""
    project = DOCUMENTED_LAYOUT.parents[2]
    tomllib.loads(DOCUMENTED_LAYOUT.read_text(encoding="utf-8"))
    blocks = [
        block
        for page in (project / "README.md", *sorted((project / "docs").glob("*.md")))
        for block in re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL)
    ]
    assert blocks
    for block in blocks:
        tomllib.loads(block)


def test_a_standard_sheet_beside_the_team_sheet_read_in_its_place_is_wb016(tmp_path: Path) -> None:
    """A "Harm" tab beside the "Concerns" the layout reads as Harm is never silently unread (a
    row withheld on it would be shared from "Concerns"): WB016 at that tab (found by an
    attacker review)."""
    path = TeamWorkbook().write(tmp_path / "team.xlsx")
    book = load_workbook(path)
    harm = book.create_sheet("Harm")
    harm.append(["Date", "What happened", "Withhold from"])
    harm.append([None, "The police were called at night", "Family"])
    book.save(path)
    validation, errors = read_team(path)
    assert errors == [f"Harm!A1 {codes.WB016}"]
    assert validation.case is None  # type: ignore[attr-defined]
