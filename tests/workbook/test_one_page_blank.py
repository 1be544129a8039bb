"""The blank one-page map (`new-workbook --one-page`): a form a practitioner fills in for a conference."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs import codes
from sos_docs.model import CONFERENCE_MEETING_TYPES
from sos_docs.pipeline import check_workbook
from sos_docs.workbook.one_page_blank import MAP_SHEET, write_one_page_workbook

TODAY = dt.date(2026, 3, 2)
NOTE = re.compile(r"\s*\(conferences\)$")

# What a practitioner types next to each label of the case block (labels without their note).
CASE_VALUES: dict[str, object] = {
    "Case reference": "CP-7",
    "Meeting date": dt.date(2026, 3, 20),
    "Mapping date": dt.date(2026, 3, 1),
    "Report author": "Ada Okafor",
    "Author role": "Social worker",
    "Author agency": "Northbrook Children's Services",
    "Reason for report": "Police were called to two fights at home",
    "Recommendation": "Child protection plan",
    "Category of harm": "Emotional abuse",
    "Shared with parents on": dt.date(2026, 3, 10),
    "Words and pictures agreed by parents": "Yes",
    "Report date": dt.date(2026, 3, 9),
    "Manager name": "Sue Patel",
    "Manager role": "Team manager",
    "Manager approved on": dt.date(2026, 3, 9),
    "Children": "Mia Hartley (14/03/2017)",
}


def _labels(sheet: Worksheet) -> dict[str, int]:
    """Each text in column A (its note taken off) and its row."""
    return {
        NOTE.sub("", str(row[0].value)): row[0].row
        for row in sheet.iter_rows(max_col=1)
        if isinstance(row[0].value, str)
    }


def _below(sheet: Worksheet, label: str) -> tuple[int, int]:
    """The cell under a section label of the map."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == label:
                return cell.row + 1, cell.column
    raise AssertionError(f"no {label!r} label")


def _fill_like_a_practitioner(path: Path, meeting_type: str, target: Path) -> Path:
    """Type a conference's map into the blank's labelled cells, as a person would in Excel."""
    book = load_workbook(path)
    sheet = book[MAP_SHEET]
    labels = _labels(sheet)
    for label, value in {**CASE_VALUES, "Meeting type": meeting_type}.items():
        sheet.cell(labels[label], 2, value)
    items = {
        "Harm": "01/02/2026: Kerry and Dean hit each other while Mia was in the room",
        "Existing safety": "Nanna took Mia to her house the night of the last fight",
        "Next steps": "Write the safety plan - Ada Okafor - by 12/03/2026",
        "Danger statements": "Children's services are worried that when Kerry and Dean drink "
        "they may fight, and Mia could be hurt.",
        "Strengths": "Mia goes to school every day",
        "Safety goals": "Kerry and Dean keep Mia safe from their fights - for 6 months",
        "Complicating factors": "Dean works away for weeks at a time",
        "Grey areas": "How much Dean drinks when he is away",
    }
    for label, text in items.items():
        sheet.cell(*_below(sheet, label), text)
    row, _ = _below(sheet, "Name")
    header = {sheet.cell(row - 1, c).value: c for c in range(1, sheet.max_column + 1)}
    scores = {"Name": "Ada Okafor", "Reason": "Two fights", "Child": "Mia Hartley", "D1": 4}
    for heading, value in {**scores, "One point higher": "No drink at home"}.items():
        sheet.cell(row, header[heading], value)
    views = book["Child's views"]
    views.cell(2, 1, "Mia Hartley")
    views.cell(2, [c.value for c in views[1]].index("Worries") + 1, "The shouting")
    book.save(target)
    return target


@pytest.mark.parametrize("meeting_type", sorted(CONFERENCE_MEETING_TYPES))
def test_the_blank_map_filled_in_by_its_labels_passes_for_a_conference(
    tmp_path: Path, meeting_type: str
) -> None:
    """Every value a conference needs has its labelled cell on the blank map (and the child's
    views a sheet beside it): filled in there, the map validates with no error."""
    blank = write_one_page_workbook(tmp_path / "blank.xlsx")
    filled = _fill_like_a_practitioner(blank, meeting_type, tmp_path / "filled.xlsx")
    result = check_workbook(filled, today=TODAY)
    assert [(p.code, p.cell, p.message) for p in result.errors] == []
    assert result.case is not None and result.case.details.meeting_type == meeting_type


def test_the_blank_map_marks_the_values_only_conferences_need(tmp_path: Path) -> None:
    """The labels the rules ask for only at a conference say "(conferences)"; the rest do not."""
    sheet = load_workbook(write_one_page_workbook(tmp_path / "blank.xlsx"))[MAP_SHEET]
    marked = {
        NOTE.sub("", str(row[0].value))
        for row in sheet.iter_rows(max_col=1)
        if isinstance(row[0].value, str) and NOTE.search(row[0].value)
    }
    assert {"Meeting date", "Recommendation", "Shared with parents on"} <= marked
    assert not marked & {"Case reference", "Meeting type", "Mapping date", "Report author"}


def test_the_blank_map_is_an_excel_form_like_the_standard_blank(tmp_path: Path) -> None:
    """Case values carry input messages, Meeting type and Recommendation drop-downs, the page
    footer says page X of Y, and the sheets cannot be renamed, moved or deleted."""
    book = load_workbook(write_one_page_workbook(tmp_path / "blank.xlsx"))
    sheet = book[MAP_SHEET]
    labels = _labels(sheet)
    checks = {
        cell: dv
        for dv in sheet.data_validations.dataValidation
        for rng in dv.sqref.ranges
        for cell in (rng.coord,)
    }
    for label in ("Case reference", "Meeting type", "Recommendation", "Children"):
        check = checks[f"B{labels[label]}"]
        assert check.showInputMessage and check.prompt
    for label in ("Meeting type", "Recommendation"):
        check = checks[f"B{labels[label]}"]
        assert check.type == "list" and "Child protection plan" in str(
            checks[f"B{labels['Recommendation']}"].formula1
        )
    assert "Initial child protection conference" in str(
        checks[f"B{labels['Meeting type']}"].formula1
    )
    assert sheet.oddFooter.right.text == "Page &P of &N"
    assert book.security is not None and book.security.lockStructure


def test_a_blank_map_checked_blank_says_what_to_do_on_the_map(tmp_path: Path) -> None:
    """Checked blank, the empty Children and Working well and the unscored report author each
    say where on the map to write them, not a sheet the map does not have."""
    blank = write_one_page_workbook(tmp_path / "blank.xlsx")
    result = check_workbook(blank, today=TODAY)
    messages = [p.message for p in result.problems]
    children = next(m for m in messages if "Children sheet has no rows" in m)
    assert '"Children" label' in children
    working = next(m for m in messages if "Working well sheet has no rows" in m)
    assert '"Existing safety"' in working and '"Strengths"' in working
    author = next(m for m in messages if m.startswith("Report author is required"))
    on_map = author.split("(On the one-page map")[1]
    assert '"Report author" label' in on_map and "the map has no People sheet" in on_map


def test_a_score_asked_for_on_a_map_points_at_the_scale_grid(tmp_path: Path) -> None:
    """SOS206 (a child or the author without a score) on a map says to add a row to the grid."""
    blank = write_one_page_workbook(tmp_path / "blank.xlsx")
    filled = _fill_like_a_practitioner(
        blank, "Initial child protection conference", tmp_path / "filled.xlsx"
    )
    book = load_workbook(filled)
    sheet = book[MAP_SHEET]
    row, _ = _below(sheet, "Name")
    for column in range(1, sheet.max_column + 1):
        sheet.cell(row, column).value = None
    sheet.cell(row, 1, "Kerry Hartley (Mother)")
    sheet.cell(row, 2, "She wants Mia home")
    sheet.cell(row, 5, 6)
    book.save(filled)
    unscored = [p for p in check_workbook(filled, today=TODAY).problems if p.code == codes.SOS206]
    assert unscored
    for found in unscored:
        assert 'the scale grid under "Scale"' in found.message
