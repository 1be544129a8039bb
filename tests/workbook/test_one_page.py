"""The one-page map read into the standard sheets: headings, labels, items, pairing, the scale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from sos_docs import codes
from sos_docs.pipeline import check_workbook
from sos_docs.workbook.marked_copy import write_marked_copy
from sos_docs.workbook.one_page import SECTION_LABELS, label_of, pair_goals, role_for, split_items
from tests.support.one_page import CASE_BLOCK, HEADINGS, lines_map, write_map

TODAY = dt.date(2026, 3, 2)

ITEM_TEXT = (
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" ,;'"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda t: t and not t[0].isdigit() and not (len(t) > 1 and t[1] in ".)"))
)


@given(
    st.lists(ITEM_TEXT, min_size=1, max_size=6),
    st.sampled_from(["\u2022 ", "- ", "* ", "1. ", "a) ", ""]),
)
def test_split_items_gives_back_each_line_without_its_bullet(items: list[str], bullet: str) -> None:
    """Items typed one a line, with any bullet or numbering, come back as they were typed."""
    marker = (lambda n: f"{n}. ") if bullet == "1. " else (lambda n: bullet)
    text = "\n".join(f"{marker(n)}{item}" for n, item in enumerate(items, start=1))
    assert split_items(text) == items


@given(st.lists(ITEM_TEXT, min_size=1, max_size=4))
def test_a_line_without_a_bullet_continues_the_item_above(items: list[str]) -> None:
    """When bullets are used, an unbulleted line is the rest of the item above it."""
    text = "\n".join(f"\u2022 {item}\ncontinued" for item in items)
    assert split_items(text) == [f"{item} continued" for item in items]


@given(
    st.sampled_from([a for aliases in SECTION_LABELS.values() for a in aliases]),
    st.sampled_from(["", ":", " :", "?"]),
    st.sampled_from([str.lower, str.upper, str.title]),
)
def test_section_labels_are_recognised_in_any_case_with_or_without_a_colon(
    label: str, tail: str, case: object
) -> None:
    """A section label is found whatever its case and trailing colon."""
    found = label_of(f"  {case(label)}{tail} ")  # type: ignore[operator]
    assert found is not None and found[1] == ""


def test_a_label_with_text_after_its_colon_starts_its_part_with_that_text() -> None:
    """ "Harm: Dad pushed Mum" is the Harm label and its first item."""
    assert label_of("Harm: Dad pushed Mum") == ("Harm", "Dad pushed Mum")
    assert label_of("Dad said: no") is None


def test_goals_pair_with_the_danger_statement_on_their_row_else_in_order() -> None:
    """A goal on a danger statement's row is its goal; the others pair in order."""
    assert pair_goals([5, 6], [6, 9]) == [1, 0]
    assert pair_goals([5], [7, 8]) == [0, None]


def test_a_relationship_says_the_role() -> None:
    """Mother is a parent, a maternal grandmother family, a health visitor a professional."""
    assert [role_for(r) for r in ("Mother", "Maternal grandmother", "Health visitor", "")] == [
        "Parent",
        "Family",
        "Professional",
        "",
    ]


def test_a_one_page_map_with_lines_in_cells_is_read_into_the_case(tmp_path: Path) -> None:
    """Each line of each part becomes a record of its standard sheet, with names as People."""
    result = check_workbook(write_map(tmp_path / "map.xlsx", lines_map()), today=TODAY)
    assert result.ok, [(p.code, p.where, p.message) for p in result.errors]
    case = result.case
    assert case is not None
    assert [h.what_happened for h in case.harm] == ["Dad pushed Mum", "Mia saw it"]
    assert [d.id for d in case.danger_statements] == ["D1"]
    assert [(g.id, g.danger_statement_id) for g in case.safety_goals] == [("G1", "D1")]
    assert [(w.type, w.what) for w in case.working_well] == [
        ("Existing safety", "Nanna took the children"),
        ("Existing strength", "Mia is at school on time"),
    ]
    step = case.next_steps[0]
    assert (step.action, step.who.name, step.by_when) == (
        "Write the safety plan",
        "Ada Okafor",
        dt.date(2026, 3, 12),
    )
    assert [g.question for g in case.grey_areas] == ["How much they drink", "Other fights?"]
    assert [(s.participant.name, s.score) for s in case.scaling] == [
        ("Ada Okafor", 4),
        ("Kerry Hartley", 7),
    ]
    assert case.details.scale_zero_means == "the children cannot stay at home"
    assert [(p.name, p.relationship, p.role) for p in case.people] == [
        ("Ada Okafor", "Social worker", "Professional"),
        ("Kerry Hartley", "Mother", "Parent"),
    ]
    assert [c.date_of_birth for c in case.children] == [dt.date(2017, 3, 14)]


def test_a_next_step_without_who_or_date_is_asked_for_at_its_own_cell(tmp_path: Path) -> None:
    """A next step line without who and by when is a problem at the map's cell holding it."""
    rows = lines_map()
    rows[13] = [rows[13][0], rows[13][1], "Refer to the alcohol service"]
    result = check_workbook(write_map(tmp_path / "map.xlsx", rows), today=TODAY)
    steps = [p for p in result.errors if p.cell == "C14"]
    assert steps and all(p.sheet == "Map" for p in steps)
    assert any("what - who - by" in p.message for p in steps)


def _with_grid(rows: list[list[object]], grid: list[list[object]]) -> list[list[object]]:
    return [*rows[:18], *grid]


def test_a_grid_scale_is_read_person_by_danger_statement(tmp_path: Path) -> None:
    """A grid of people down and Overall and danger statements across gives one score a cell."""
    grid = [
        ["Scale"],
        ["Name", "Overall", "D1", "Reason"],
        ["Ada Okafor (Social worker)", 4, 3, "Two call-outs"],
        ["Kerry Hartley (Mother)", 7, None, "No drink at home"],
    ]
    result = check_workbook(
        write_map(tmp_path / "m.xlsx", _with_grid(lines_map(), grid)), today=TODAY
    )
    assert result.ok, [(p.code, p.where) for p in result.errors]
    assert result.case is not None
    assert [(s.participant.name, s.danger_statement_id, s.score) for s in result.case.scaling] == [
        ("Ada Okafor", "", 4),
        ("Ada Okafor", "D1", 3),
        ("Kerry Hartley", "", 7),
    ]


def test_a_grid_row_with_scores_but_no_name_is_a_problem_at_its_name_cell(tmp_path: Path) -> None:
    """Scores on a grid row with a blank name are one WB015 problem at the blank name cell."""
    grid = [
        ["Scale"],
        ["Name", "Overall", "Reason"],
        ["Ada Okafor (Social worker)", 4, "Two call-outs"],
        [None, 6, "Better"],
    ]
    result = check_workbook(
        write_map(tmp_path / "m.xlsx", _with_grid(lines_map(), grid)), today=TODAY
    )
    found = [p for p in result.problems if p.code == codes.WB015]
    assert [(p.sheet, p.cell) for p in found] == [("Map", "A22")]
    assert not result.ok


def test_two_danger_statement_labels_in_one_column_and_none_in_another(tmp_path: Path) -> None:
    """A second Danger statements label in a column, and a column of items with no label,
    are each a problem at their own cell."""
    rows = [
        *CASE_BLOCK,
        HEADINGS,
        ["Danger statements", "Nanna helps", "No hitting"],  # row 11: column C has no label
        ["When Kerry drinks she may hit Dean", None, None],
        ["Danger statements", None, None],  # row 13: the second label
        ["Mia could be hurt", None, None],
    ]
    result = check_workbook(write_map(tmp_path / "m.xlsx", rows), today=TODAY)
    found = {p.cell: p.message for p in result.problems if p.code == codes.WB015}
    assert "A13" in found and "second" in found["A13"] and "A11" in found["A13"]
    assert "C11" in found and "Next steps" in found["C11"]


def test_a_label_under_the_wrong_question_is_a_problem_at_the_label(tmp_path: Path) -> None:
    """A Safety goals label under What are we worried about? is a problem at that label."""
    rows = [*CASE_BLOCK, HEADINGS, ["Safety goals", "Strengths", "Next steps"]]
    result = check_workbook(write_map(tmp_path / "m.xlsx", rows), today=TODAY)
    assert any(p.code == codes.WB015 and p.cell == "A11" for p in result.problems)


def test_cells_merged_across_sections_are_read_from_their_top_left_cell(tmp_path: Path) -> None:
    """A heading merged over two columns takes both, and a merged item across two columns is
    one item (Excel keeps a merged cell's value in its top-left cell only)."""
    path = write_map(tmp_path / "m.xlsx", lines_map())
    book = load_workbook(path)
    sheet = book["Map"]
    sheet.insert_cols(2)
    sheet.merge_cells("A10:B10")  # "What are we worried about?" over A and B
    sheet["B16"] = "Money is tight"  # under Complicating factors, in the merged heading's B
    sheet.merge_cells("A12:B12")  # the harm cell merged across A and B
    book.save(path)
    result = check_workbook(path, today=TODAY)
    assert result.ok, [(p.code, p.where) for p in result.errors]
    assert result.case is not None
    assert [h.what_happened for h in result.case.harm] == ["Dad pushed Mum", "Mia saw it"]
    assert [f.factor for f in result.case.complicating_factors] == [
        "Dean works away",
        "Money is tight",
    ]


def test_a_workbook_in_no_shape_is_one_problem_saying_what_was_tried(tmp_path: Path) -> None:
    """A workbook that is neither a sos-docs workbook nor a one-page map gets one WB014."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Notes"
    sheet["A1"] = "What are we worried about?"
    sheet["B1"] = "Things"
    book.save(tmp_path / "notes.xlsx")
    result = check_workbook(tmp_path / "notes.xlsx", today=TODAY)
    assert [p.code for p in result.problems] == [codes.WB014]
    message = result.problems[0].message
    assert '"Case"' in message and '"Notes"' in message
    assert "What's working well?" in message and "What needs to happen?" in message


def test_a_broken_map_is_marked_in_its_own_cells(tmp_path: Path) -> None:
    """The marked copy of a broken one-page map carries each problem on the map's own cell."""
    grid = [["Scale"], ["Name", "Overall", "Reason"], [None, 6, "Better"]]
    path = write_map(tmp_path / "m.xlsx", _with_grid(lines_map(), grid))
    result = check_workbook(path, today=TODAY)
    write_marked_copy(path, result.problems, tmp_path / "marked.xlsx")
    sheet = load_workbook(tmp_path / "marked.xlsx")["Map"]
    comment = sheet["A21"].comment
    assert comment is not None and "no name" in comment.text


def test_the_blank_one_page_map_is_one_printable_sheet_asking_for_its_case(tmp_path: Path) -> None:
    """`new-workbook --one-page` writes one landscape map (and a Child's views sheet beside it);
    checked blank, each missing case value is asked for at the cell beside its label."""
    from sos_docs.workbook.one_page_blank import MAP_SHEET, write_one_page_workbook

    path = write_one_page_workbook(tmp_path / "blank.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == [MAP_SHEET, "Child's views"]
    assert book[MAP_SHEET].page_setup.orientation == "landscape"
    result = check_workbook(path, today=TODAY)
    empty = [
        p for p in result.errors if p.code == codes.WB004 and p.message.startswith("Case reference")
    ]
    assert [(p.sheet, p.cell) for p in empty] == [(MAP_SHEET, "B2")]


def test_the_example_in_one_page_shape_is_valid_and_says_the_same_map(tmp_path: Path) -> None:
    """The example family on a one-page map gives the same danger statements, goals (and how
    long each is kept up), next steps (with their goal and status) and every score."""
    from sos_docs.workbook.example import INITIAL, made_on, write_example
    from sos_docs.workbook.one_page_blank import write_one_page_workbook

    day = made_on(dt.date.today(), INITIAL)
    one_page = check_workbook(write_one_page_workbook(tmp_path / "m.xlsx", example=True, today=day))
    standard = check_workbook(write_example(tmp_path / "s.xlsx", today=day))
    assert one_page.ok and standard.ok and one_page.case and standard.case
    a, b = one_page.case, standard.case
    assert [d.statement for d in a.danger_statements] == [d.statement for d in b.danger_statements]
    assert [(g.goal, g.danger_statement_id, g.sustained_for_months) for g in a.safety_goals] == [
        (g.goal, g.danger_statement_id, g.sustained_for_months) for g in b.safety_goals
    ]
    assert [
        (s.action, s.who.name, s.by_when, s.safety_goal_id, s.status) for s in a.next_steps
    ] == [(s.action, s.who.name, s.by_when, s.safety_goal_id, s.status) for s in b.next_steps]
    assert [(h.date, h.what_happened) for h in a.harm] == [
        (h.date, h.what_happened) for h in b.harm
    ]
    assert [
        (s.participant.name, s.child and s.child.name, s.danger_statement_id, s.score)
        for s in a.scaling
    ] == [
        (s.participant.name, s.child and s.child.name, s.danger_statement_id, s.score)
        for s in b.scaling
    ]


def test_what_a_one_page_map_item_can_carry_beside_its_words() -> None:
    """A harm's leading date, a goal's "- for 6 months" and a step's "- goal 2 - done" are read
    into their columns; text that only looks like them stays words."""
    from sos_docs.workbook.one_page import goal_values, harm_values, parse_step

    assert harm_values("24/07/2026: Dad pushed Mum") == {
        "Date": dt.date(2026, 7, 24),
        "What happened": "Dad pushed Mum",
    }
    assert harm_values("Dad said: no") == {"What happened": "Dad said: no"}
    assert goal_values("No hitting. - for 6 months") == {"Goal": "No hitting.", "Sustained for": 6}
    assert goal_values("No hitting (for 3 months)") == {"Goal": "No hitting", "Sustained for": 3}
    assert goal_values("No hitting, for 6 months") == {"Goal": "No hitting, for 6 months"}
    step = parse_step("Refer - Kerry Hartley - by 20/03/2026 - goal 2 - Done", (), None)
    assert (step.action, step.who, step.by_when, step.goal, step.status) == (
        "Refer",
        "Kerry Hartley",
        "20/03/2026",
        "G2",
        "Done",
    )


def test_a_grid_child_column_says_which_child_a_score_is_about(tmp_path: Path) -> None:
    """A grid's Child column gives each score on its row that child."""
    grid = [
        ["Scale"],
        ["Name", "Child", "Overall", "D1", "Reason"],
        ["Ada Okafor (Social worker)", None, 4, None, "Two call-outs"],
        ["Ada Okafor (Social worker)", "Mia Hartley", None, 3, "She saw it"],
    ]
    result = check_workbook(
        write_map(tmp_path / "m.xlsx", _with_grid(lines_map(), grid)), today=TODAY
    )
    assert result.ok, [(p.code, p.where) for p in result.errors]
    assert result.case is not None
    assert [
        (s.child and s.child.name, s.danger_statement_id, s.reason) for s in result.case.scaling
    ] == [(None, "", "Two call-outs"), ("Mia Hartley", "D1", "She saw it")]


def _with_harm_sheet(path: Path, *rows: list[object]) -> Path:
    book = load_workbook(path)
    harm = book.create_sheet("Harm")
    harm.append(["Date", "What happened", "Withhold from"])
    for row in rows:
        harm.append(row)
    book.save(path)
    return path


def test_harm_both_on_the_map_and_on_a_harm_sheet_beside_it_is_wb015_at_the_sheet(
    tmp_path: Path,
) -> None:
    """Harm on the map and rows on a Harm sheet beside it: neither is chosen silently (a row
    withheld on the sheet would be shared from the map); one WB015 at the sheet (an attacker
    review found the sheet's rows silently ignored)."""
    path = write_map(tmp_path / "m.xlsx", lines_map())
    _with_harm_sheet(path, [None, "The police were called at night", "Family"])
    result = check_workbook(path, today=TODAY)
    found = [(p.code, p.sheet, p.cell) for p in result.problems if p.code == codes.WB015]
    assert found == [(codes.WB015, "Harm", "A1")]
    assert result.case is None


def test_a_harm_sheet_beside_a_map_with_no_harm_is_read_with_what_it_withholds(
    tmp_path: Path,
) -> None:
    """The map's Harm part left empty and the harm on a sheet beside it (to use Withhold from):
    the sheet is read, withholding and all."""
    rows = lines_map()
    rows[11] = [None, *rows[11][1:]]  # the map's harm items gone, its label kept
    path = write_map(tmp_path / "m.xlsx", rows)
    _with_harm_sheet(
        path,
        [None, "Dad pushed Mum", None],
        [None, "The police were called at night", "Family"],
    )
    result = check_workbook(path, today=TODAY)
    assert result.case is not None, result.problems
    harm = {h.what_happened: h.withheld_from for h in result.case.harm}
    assert harm == {"Dad pushed Mum": (), "The police were called at night": ("Family",)}
