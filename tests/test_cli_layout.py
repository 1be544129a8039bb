"""Tests for `sos-docs layout check` and `layout suggest`, run through click on real workbooks."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from sos_docs import codes
from sos_docs.cli import cli
from sos_docs.config import load_layout
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.team_layout import apply_layout, check_layout
from sos_docs.workbook.validate import validate
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder, example_workbook
from tests.support.team_layouts import DOCUMENTED_LAYOUT, TeamWorkbook


def test_layout_check_shows_where_each_field_was_found_and_what_is_missing(
    tmp_path: Path,
) -> None:
    """Each standard sheet with the team's sheet, each field's column or cell, gaps said."""
    workbook = TeamWorkbook().write(tmp_path / "team.xlsx")
    result = CliRunner().invoke(
        cli, ["layout", "check", str(workbook), "--layout", str(DOCUMENTED_LAYOUT)]
    )
    lines = result.output.splitlines()
    assert 'Next steps: your sheet "Action plan"' in lines
    assert "  Who: column A (Owner)" in lines
    assert "  By when: column B (Due date)" in lines
    assert "  Case reference: C4" in lines
    assert "  Scale zero means: not found" in lines
    assert result.exit_code in (0, 1)  # the example's dates are read against today


def test_layout_check_lists_problems_in_the_teams_cells_and_exits_1(tmp_path: Path) -> None:
    """A missing owner and a heading renamed in the sheet: both shown at the team's cells."""
    book = WorkbookBuilder().update_row("Next steps", 0, Who=None)
    team = TeamWorkbook(book, headings={("People", "Relationship"): "Relationship to child"})
    workbook = team.write(tmp_path / "team.xlsx")
    result = CliRunner().invoke(
        cli, ["layout", "check", str(workbook), "--layout", str(DOCUMENTED_LAYOUT)]
    )
    assert result.exit_code == 1
    assert "  Relationship: MISSING (every workbook needs it)" in result.output
    shown = set(
        re.findall(
            r"^  (\S.*?!\S+)\s+(?:error|warning)\s+([A-Z]+\d+) ", result.output, re.MULTILINE
        )
    )
    assert ("Family!A3", codes.WB016) in shown
    assert (f"Action plan!{team.cell('Next steps', 'Who')}", codes.SOS103) in shown


def test_layout_check_refuses_a_layout_with_an_unknown_field_saying_its_line(
    tmp_path: Path,
) -> None:
    """The layout's own mistake is an error with its file and line, not a traceback."""
    layout = tmp_path / "layout.toml"
    layout.write_text('[layout.People]\nsheet = "Family"\nFull = "Full name"\n', encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["layout", "check", str(example_workbook(tmp_path)), "--layout", str(layout)]
    )
    assert result.exit_code == 1
    assert f"Error: {layout}, line 3:" in result.output and "not a field" in result.output


def test_layout_suggest_writes_a_layout_that_reads_the_team_workbook(tmp_path: Path) -> None:
    """The suggestion, written with -o, reads the team's workbook with no error at all."""
    workbook = TeamWorkbook().write(tmp_path / "team.xlsx")
    output = tmp_path / "layout.toml"
    result = CliRunner().invoke(cli, ["layout", "suggest", str(workbook), "-o", str(output)])
    assert result.exit_code == 0, result.output
    layout = load_layout(output)
    check_layout(layout)
    suggested = {(s.name, s.sheet) for s in layout.sheets}
    assert ("Next steps", "Action plan") in suggested and ("People", "Family") in suggested
    people = next(s for s in layout.sheets if s.name == "People")
    assert people.header_row == 3
    assert {(f.name, f.target) for f in people.fields} >= {
        ("Relationship", "Relation"),
        ("Parental responsibility", "PR?"),
    }
    validation = validate(apply_layout(read_workbook(workbook), layout), today=EXAMPLE_TODAY)
    assert validation.errors == ()


def test_layout_suggest_says_what_it_could_not_place(tmp_path: Path) -> None:
    """An unknown sheet and an unknown heading are comments; a missing required field too."""
    book = WorkbookBuilder().rename_sheet("Scaling", "Our numbers")
    book.rename_header("People", "Role", "Hat worn")
    workbook = book.write(tmp_path / "odd.xlsx")
    result = CliRunner().invoke(cli, ["layout", "suggest", str(workbook)])
    assert result.exit_code == 0
    assert '# Not placed: your sheet "Our numbers" (no standard sheet fits).' in result.output
    assert "# Not found: the Scaling sheet, which every workbook needs." in result.output
    assert "# Not placed: your heading Hat worn (column D)." in result.output
    assert "# Not found: Role, which every workbook needs." in result.output


def test_layout_suggest_on_a_standard_workbook_says_no_layout_is_needed(tmp_path: Path) -> None:
    """The example workbook already has the usual sheets and headings."""
    result = CliRunner().invoke(cli, ["layout", "suggest", str(example_workbook(tmp_path))])
    assert result.exit_code == 0
    assert "no layout is needed" in result.output and "[layout." not in result.output


def test_layout_suggest_never_overwrites_a_file(tmp_path: Path) -> None:
    """-o naming a file that exists is refused and the file is left as it was."""
    output = tmp_path / "layout.toml"
    output.write_text("# mine\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["layout", "suggest", str(example_workbook(tmp_path)), "-o", str(output)]
    )
    assert result.exit_code == 1 and "already exists" in result.output
    assert output.read_text(encoding="utf-8") == "# mine\n"


def test_layout_suggest_refuses_a_dangling_link_as_an_existing_name(tmp_path: Path) -> None:
    """-o naming a link to nothing is a name that exists: refused like a file, and nothing
    written beside it (it wrote "dang (2).toml" and said it wrote dang.toml)."""
    output = tmp_path / "dang.toml"
    output.symlink_to(tmp_path / "nowhere" / "target.toml")
    workbook = TeamWorkbook().write(tmp_path / "team.xlsx")
    result = CliRunner().invoke(cli, ["layout", "suggest", str(workbook), "-o", str(output)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert "Wrote" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dang.toml", "team.xlsx"]
    assert output.is_symlink() and not output.exists()


def _family_worries_plan(path: Path) -> Path:
    """A team's own three tabs: Family (Name, Relationship), Worries (Worry), Plan (What, Who, When)."""
    from openpyxl import Workbook

    book = Workbook()
    family = book.active
    assert family is not None
    family.title = "Family"
    family.append(["Name", "Relationship"])
    family.append(["Kerry Hartley", "Mother"])
    worries = book.create_sheet("Worries")
    worries.append(["Worry"])
    worries.append(["When Kerry drinks she may not see to Mia, and Mia could be hurt."])
    plan = book.create_sheet("Plan")
    plan.append(["What", "Who", "When"])
    plan.append(["Write the safety plan", "Kerry Hartley", "12/03/2027"])
    book.save(path)
    return path


FAMILY_WORRIES_PLAN_LAYOUT = """\
[layout.People]
sheet = "Family"

[layout."Danger statements"]
sheet = "Worries"
Statement = "Worry"

[layout."Next steps"]
sheet = "Plan"
Action = "What"
"By when" = "When"
"""


def test_a_missing_sheet_of_a_team_workbook_lists_its_own_tabs_and_points_at_the_layout(
    tmp_path: Path,
) -> None:
    """WB002 on a workbook read through a layout names the team's own tabs (not the standard
    names they were read as) and says to add the sheet to the workbook or to the layout."""
    from sos_docs.config import load_layout
    from sos_docs.workbook.shapes import read_case_workbook

    workbook = _family_worries_plan(tmp_path / "team.xlsx")
    layout_file = tmp_path / "layout.toml"
    layout_file.write_text(FAMILY_WORRIES_PLAN_LAYOUT, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["layout", "check", str(workbook), "--layout", str(layout_file)]
    )
    validation = validate(read_case_workbook(workbook, layout=load_layout(layout_file)))
    from_service = [p.message for p in validation.problems if p.code == codes.WB002]
    case = next(m for m in from_service if '"Case"' in m)
    for message in (case, result.output):
        assert 'The sheets it has are: "Family", "Worries", "Plan"' in " ".join(message.split())
    assert "layout.toml" in case and '[layout."Case"]' in case
    assert "rename the tab" not in case


def test_layout_suggest_places_a_teams_plain_words_and_marks_each_sheet_guess(
    tmp_path: Path,
) -> None:
    """Family, Worries (Worry) and Plan (What, Who, When): every heading is placed by what its
    sheet holds, each sheet matched other than by its own name is marked a guess, the rows are
    numbered instead of asking for ID columns, and the result is TOML."""
    import tomllib

    workbook = _family_worries_plan(tmp_path / "team.xlsx")
    result = CliRunner().invoke(cli, ["layout", "suggest", str(workbook)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert 'sheet = "Family"  # a guess: check it' in lines
    assert 'sheet = "Worries"  # a guess: check it' in lines
    assert 'sheet = "Plan"  # a guess: check it' in lines
    assert 'Statement = "Worry"' in lines
    assert 'Action = "What"' in lines
    assert '"By when" = "When"' in lines
    assert not [line for line in lines if "Not placed: your heading" in line]
    assert not [line for line in lines if line.startswith("# Not found: ID,")]
    layout = tomllib.loads(result.output)["layout"]
    assert layout["Next steps"]["By when"] == "When"


def test_a_team_sheet_without_an_id_column_has_its_rows_numbered(tmp_path: Path) -> None:
    """Read through the suggested layout, Family and Worries (no ID columns) get P1, P2 ...
    and D1 ... in row order, with no problem asking for an ID column."""
    workbook = _family_worries_plan(tmp_path / "team.xlsx")
    layout_file = tmp_path / "layout.toml"
    suggested = CliRunner().invoke(cli, ["layout", "suggest", str(workbook)]).output
    layout_file.write_text(suggested, encoding="utf-8")
    raw = apply_layout(read_workbook(workbook), load_layout(layout_file))
    sheets = {sheet.title: sheet for sheet in raw.sheets}
    people, dangers = sheets["People"], sheets["Danger statements"]
    id_column = next(
        c for (r, c), v in people.cells.items() if r == 1 and str(v).rstrip("*") == "ID"
    )
    assert people.cells[(2, id_column)] == "P1"
    danger_id = next(
        c for (r, c), v in dangers.cells.items() if r == 1 and str(v).rstrip("*") == "ID"
    )
    assert dangers.cells[(2, danger_id)] == "D1"
    assert raw.origin_of("People", f"{chr(64 + id_column)}2") is not None
    problems = validate(raw, today=EXAMPLE_TODAY).problems
    assert not [p for p in problems if p.code == codes.WB016 and " ID" in p.message]
