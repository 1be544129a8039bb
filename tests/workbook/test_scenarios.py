"""Tests for tests/support/scenarios.py: the showcase's workbooks are valid and show what they claim.

Each scenario is written as a real .xlsx and validated on the day it is made. The one warning
allowed is SOS206 on the pre-birth conference's unborn baby, until SOS206 skips unborn children
(as format 2 has it); any other problem fails.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sos_docs.model import MappingCase
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support.scenarios import SCENARIOS

TODAY = dt.date(2026, 12, 2)
UNBORN_SCORE = ("SOS206", "Children!A2")  # the pre-birth baby, row 2


def read(tmp_path: Path, name: str, today: dt.date = TODAY) -> MappingCase:
    """A scenario written and validated on `today`, with no problem but the allowed one."""
    path = SCENARIOS[name](today).write(tmp_path / f"{name}.xlsx")
    validation = validate(read_workbook(path), today)
    allowed = {UNBORN_SCORE} if name == "pre-birth" else set()
    assert {(p.code, p.where) for p in validation.problems} <= allowed, validation.problems
    assert validation.ok and validation.case is not None
    return validation.case


@pytest.mark.parametrize("name", list(SCENARIOS))
@pytest.mark.parametrize("today", [TODAY, dt.date(2028, 2, 29), dt.date(2091, 1, 1)])
def test_every_scenario_is_valid_on_the_day_it_is_made(
    tmp_path: Path, name: str, today: dt.date
) -> None:
    """Each scenario made on a day (a leap day included) validates that day."""
    case = read(tmp_path, name, today)
    assert case.details.mapping_date <= today


def test_the_sibling_group_has_five_children_two_fathers_and_two_recommendations(
    tmp_path: Path,
) -> None:
    """Five children aged 5 to 14, each father for his own children, two recommendations."""
    case = read(tmp_path, "five-siblings")
    meeting = case.details.meeting_date
    assert meeting is not None
    ages = sorted(
        meeting.year - c.date_of_birth.year for c in case.children if c.date_of_birth is not None
    )
    assert len(case.children) == 5 and ages[0] == 5 and ages[-1] == 14
    fathers = {
        p.name: [c.id for c in p.children] for p in case.people if p.relationship == "Father"
    }
    assert fathers == {"Nguyen Van Duc": ["C1", "C2", "C3"], "Darren Clarke": ["C4", "C5"]}
    own = {c.id: c.recommendation or case.details.recommendation for c in case.children}
    assert set(own.values()) == {"Child in need plan", "Child protection plan"}
    assert case.children[0].known_as == "Minh Anh"  # a family name first: never split


def test_the_pre_birth_conference_has_a_birth_plan_and_asks_nothing_of_the_baby(
    tmp_path: Path,
) -> None:
    """An unborn baby with no view or score, a born sister with both, and a birth plan."""
    case = read(tmp_path, "pre-birth")
    baby, ruby = case.children
    assert baby.is_unborn and not ruby.is_unborn
    assert case.details.is_pre_birth and len(case.birth_plan) == 3
    asked = {v.child.id for v in case.childs_views} | {
        s.child.id for s in case.scaling if s.child is not None
    }
    assert asked == {ruby.id}


def test_the_core_group_record_asks_for_no_decision(tmp_path: Path) -> None:
    """A core group meeting carries no recommendation, category or sharing date."""
    details = read(tmp_path, "core-group").details
    assert details.meeting_type == "Core group meeting" and not details.is_conference
    assert (details.recommendation, details.category_of_harm) == ("", "")
    assert details.shared_with_parents_on is None


def test_the_example_pair_is_one_case(tmp_path: Path) -> None:
    """The example's initial conference met before its review was mapped, in the same case."""
    initial, review = read(tmp_path, "example-initial"), read(tmp_path, "example-review")
    assert initial.details.case_reference == review.details.case_reference
    assert initial.details.meeting_date is not None
    assert initial.details.meeting_date < review.details.mapping_date
