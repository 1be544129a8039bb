"""Tests for sos_docs.workbook.example: the example family's initial and review conferences.

Both are real .xlsx files written by `write_example` and read back through the reader and the
validator. Neither has any problem on the day it is made: no error and no warning (the review
read on its own has no earlier workbook; that warning comes from the history lookup when it is
processed, not from validation).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sos_docs.errors import SosDocsError
from sos_docs.model import MappingCase
from sos_docs.workbook import example, schema
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate

TODAY = dt.date(2026, 12, 2)
FAR_DAYS = (dt.date(1991, 12, 24), TODAY, dt.date(2089, 3, 31))


def made(folder: Path, stage: example.Stage, today: dt.date) -> MappingCase:
    """The stage made for the demo on `today` (the initial twelve weeks back), validated then."""
    path = example.write_example(
        folder / f"{stage}.xlsx", example.made_on(today, stage), stage=stage
    )
    validation = validate(read_workbook(path), today)
    assert [(p.code, p.where, p.message) for p in validation.problems] == []
    assert validation.case is not None
    return validation.case


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[MappingCase, MappingCase]:
    """The initial conference and its review, made together on TODAY."""
    folder = tmp_path_factory.mktemp("pair")
    return made(folder, example.INITIAL, TODAY), made(folder, example.REVIEW, TODAY)


@pytest.mark.parametrize("stage", example.STAGES)
@pytest.mark.parametrize("day", [*FAR_DAYS, dt.date.today()])
def test_each_stage_made_on_a_day_has_no_problem_that_day(
    tmp_path: Path, stage: example.Stage, day: dt.date
) -> None:
    """Made on any day, today included, each stage validates that day with no error or warning."""
    path = example.write_example(tmp_path / "example.xlsx", day, stage=stage)
    validation = validate(read_workbook(path), day)
    assert [(p.code, p.where, p.message) for p in validation.problems] == []


@settings(max_examples=10, deadline=None)
@given(day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_the_pair_made_for_any_day_validates_that_day(
    tmp_path_factory: pytest.TempPathFactory, day: dt.date
) -> None:
    """The demo's pair made for any day has no problem then: no mapping date or step out of turn."""
    folder = tmp_path_factory.mktemp("day")
    initial, review = made(folder, example.INITIAL, day), made(folder, example.REVIEW, day)
    assert review.details.mapping_date <= day
    assert initial.details.meeting_date is not None
    assert initial.details.meeting_date < review.details.mapping_date


def test_the_review_is_the_same_case_and_children(pair: tuple[MappingCase, MappingCase]) -> None:
    """The review has the initial conference's case reference, children and their dates of birth."""
    initial, review = pair
    assert review.details.case_reference == initial.details.case_reference
    assert [(c.id, c.name, c.known_as, c.date_of_birth) for c in review.children] == [
        (c.id, c.name, c.known_as, c.date_of_birth) for c in initial.children
    ]
    assert {p.id: p.name for p in initial.people}.items() <= {
        p.id: p.name for p in review.people
    }.items()


def test_the_pair_is_dated_as_a_review_twelve_weeks_on(
    pair: tuple[MappingCase, MappingCase],
) -> None:
    """The review meets a week from today, twelve weeks after the initial conference its plans began at."""
    initial, review = pair
    assert review.details.meeting_date == TODAY + dt.timedelta(days=7)
    assert initial.details.meeting_date == TODAY + dt.timedelta(days=7) - dt.timedelta(weeks=12)
    assert initial.details.review_date == review.details.meeting_date
    assert all(c.plan_start_date == initial.details.meeting_date for c in review.children)
    assert all(c.legal_status == "Child protection plan" for c in review.children)
    assert all(c.plan_start_date is None for c in initial.children)
    assert review.details.is_review and not initial.details.is_review


@pytest.mark.parametrize("stage", example.STAGES)
def test_sign_off_and_sharing_come_in_time(
    pair: tuple[MappingCase, MappingCase], stage: example.Stage
) -> None:
    """Mapped, signed, approved and shared in that order, the sharing eleven (review: fourteen)
    days ahead: at least three (five) working days even with three bank holidays between."""
    details = pair[example.STAGES.index(stage)].details
    assert details.report_date and details.manager_approved_on and details.shared_with_parents_on
    assert details.meeting_date is not None
    assert details.mapping_date <= details.report_date <= details.manager_approved_on
    assert details.manager_approved_on <= details.shared_with_parents_on
    ahead = (details.meeting_date - details.shared_with_parents_on).days
    assert ahead >= (14 if stage == example.REVIEW else 11)
    assert details.manager_name and details.manager_role


@pytest.mark.parametrize("stage", example.STAGES)
def test_each_stage_uses_the_parts_of_format_2(
    pair: tuple[MappingCase, MappingCase], stage: example.Stage
) -> None:
    """Format 2, Known as, a child's own categories, a father of one child with an interpreter,
    a disputed harm and each parent's own view of each danger statement; no birth plan."""
    case = pair[example.STAGES.index(stage)]
    assert case.details.format_version == schema.FORMAT_VERSION == 2
    assert [c.known_as for c in case.children] == ["Mia", "Leo"]
    leo = case.children[1]
    assert (leo.category_of_harm, leo.categories) == ("Multiple", ("Emotional abuse", "Neglect"))
    piotr = next(p for p in case.people if p.name == "Piotr Nowak")
    assert [c.id for c in piotr.children] == ["C1"]
    assert (piotr.first_language, piotr.interpreter_needed) == ("Polish", True)
    disputed = [h for h in case.harm if h.disputed_by]
    assert [h.disputed_by[0].id for h in disputed] == ["P1"] and disputed[0].their_account
    parents = {"P1", "P2"}
    for danger in case.danger_statements:
        views = {v.person.id: v for v in case.family_views if v.danger_statement_id == danger.id}
        assert parents <= views.keys(), danger.id
        assert all(v.their_words for v in views.values() if v.view != "Agree")
    assert {v.view for v in case.family_views} >= {"Agree", "Partly agree"}
    assert any(v.is_overall for v in case.family_views)
    assert case.birth_plan == () and case.previous_scaling == ()


def test_the_review_shows_progress(pair: tuple[MappingCase, MappingCase]) -> None:
    """Every score given at both conferences is higher at the review, steps are done or under
    way, a reworded danger statement, and a parent who now agrees more."""
    initial, review = pair

    def scores(case: MappingCase) -> dict[tuple[str | None, str | None, str], int]:
        return {
            (s.participant.id, s.child.id if s.child else None, s.danger_statement_id): s.score
            for s in case.scaling
        }

    before, after = scores(initial), scores(review)
    assert before.keys() <= after.keys()
    assert all(after[key] > score for key, score in before.items())
    assert {s.status for s in review.next_steps} == {"Done", "In progress", "Not started"}
    # Steps not yet done are due from the review's mapping on; done ones keep their deadlines.
    open_steps = [s for s in review.next_steps if s.status != "Done"]
    assert all(s.by_when >= review.details.mapping_date for s in open_steps)
    then = {d.id: d.statement for d in initial.danger_statements}
    now = {d.id: d.statement for d in review.danger_statements}
    assert then.keys() == now.keys() and then["D1"] == now["D1"] and then["D2"] != now["D2"]
    order = ("Disagree", "Partly agree", "Agree")

    def view(case: MappingCase, person: str, danger: str) -> int:
        found = next(
            v.view
            for v in case.family_views
            if v.person.id == person and v.danger_statement_id == danger
        )
        return order.index(found)

    assert view(review, "P1", "D1") > view(initial, "P1", "D1")
    assert review.details.recommendation == "Continue child protection plan"
    assert review.details.recommendation in schema.REVIEW_RECOMMENDATIONS
    assert initial.details.recommendation in schema.INITIAL_RECOMMENDATIONS


def test_example_rows_of_the_initial_stage_are_rows_for() -> None:
    """`rows_for` (used by the blank workbook) is the initial stage of `example_rows`."""
    assert example.rows_for(TODAY) == example.example_rows(TODAY, example.INITIAL)
    assert example.example_rows(TODAY) == example.example_rows(TODAY, "initial")


def test_review_rows_use_only_contract_columns() -> None:
    """Every value of the review has a place in the contract, so none is silently dropped."""
    assert set(example.REVIEW_CASE) <= {c.name for c in schema.CASE.columns}
    tables = {s.name: s for s in schema.SHEETS if not s.key_value}
    for name, rows in example.REVIEW_SHEET_ROWS.items():
        for row in rows:
            assert set(row) <= {c.name for c in tables[name].columns}, name


def test_an_unknown_stage_is_refused(tmp_path: Path) -> None:
    """A stage that is neither initial nor review is a programming error, and writes nothing."""
    with pytest.raises(ValueError, match="unknown example stage 'final'"):
        example.write_example(tmp_path / "x.xlsx", TODAY, stage="final")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["there.xlsx", "notes.txt"])
def test_the_review_example_never_overwrites_and_wants_xlsx(tmp_path: Path, name: str) -> None:
    """An existing file is never replaced, and a name not ending in .xlsx is refused."""
    target = tmp_path / name
    if name == "there.xlsx":
        target.write_bytes(b"mine")
    with pytest.raises(SosDocsError):
        example.write_example(target, TODAY, stage=example.REVIEW)
    assert [p.name for p in tmp_path.iterdir()] == ([name] if name == "there.xlsx" else [])
    if name == "there.xlsx":
        assert target.read_bytes() == b"mine"


# ---- the example's pictures


def expected_pictures(case: MappingCase) -> tuple[dict[int, bytes | None], dict[int, bytes | None]]:
    """The drawing each story page and safety rule of the case should carry, by position."""
    pages = {
        n: draw() if (draw := example.STORY_PICTURES.get(page.heading, (None,))[0]) else None
        for n, page in enumerate(case.words_and_pictures)
    }
    rules = {
        n: draw() if (draw := example.RULE_PICTURES.get(rule.who.id or "", (None,))[0]) else None
        for n, rule in enumerate(case.safety_plan)
    }
    return pages, rules


@pytest.mark.parametrize("stage", example.STAGES)
def test_each_drawing_is_read_back_onto_its_own_row(
    pair: tuple[MappingCase, MappingCase], stage: example.Stage
) -> None:
    """Read from the real .xlsx, each page and rule has its own drawing and no other picture."""
    case = pair[example.STAGES.index(stage)]
    pages, rules = expected_pictures(case)
    found_pages = {
        n: page.picture.data if page.picture else None
        for n, page in enumerate(case.words_and_pictures)
    }
    found_rules = {
        n: rule.picture.data if rule.picture else None for n, rule in enumerate(case.safety_plan)
    }
    assert (found_pages, found_rules) == (pages, rules)
    assert all(found_pages.values()), "every story page of the example has a picture"


def test_every_example_picture_is_used_in_one_stage_or_the_other(
    pair: tuple[MappingCase, MappingCase],
) -> None:
    """No drawing of STORY_PICTURES or RULE_PICTURES misses its row (a heading renamed, say)."""
    headings = {page.heading for case in pair for page in case.words_and_pictures}
    keepers = {rule.who.id for case in pair for rule in case.safety_plan}
    assert set(example.STORY_PICTURES) <= headings
    assert set(example.RULE_PICTURES) <= keepers


@pytest.mark.parametrize("stage", example.STAGES)
def test_each_picture_sits_in_its_rows_picture_cell_with_its_description(
    tmp_path: Path, stage: example.Stage
) -> None:
    """In Excel each drawing is inside its row's Picture cell, with what it shows as alt text."""
    from openpyxl import load_workbook

    path = example.write_example(tmp_path / "example.xlsx", TODAY, stage=stage)
    book = load_workbook(path)
    _, sheets = example.example_rows(TODAY, stage)
    for name, (key, drawn) in example.PICTURES.items():
        contract = next(sheet for sheet in schema.SHEETS if sheet.name == name)
        column = [c.kind for c in contract.columns].index(schema.ColumnKind.PICTURE)
        expected = {
            row: drawn[str(record[key])][1]
            for row, record in enumerate(sheets[name], start=1)
            if str(record.get(key)) in drawn
        }
        placed = {
            image.anchor._from.row: image.anchor.pic.nvPicPr.cNvPr.descr
            for image in book[name]._images
            if image.anchor._from.col == column
        }
        assert placed == expected
        assert len(book[name]._images) == len(expected)


def test_the_blank_workbook_has_no_pictures(tmp_path: Path) -> None:
    """Only the example carries drawings: the blank workbook has none."""
    from sos_docs.workbook.blank import write_blank_workbook

    raw = read_workbook(write_blank_workbook(tmp_path / "blank.xlsx"))
    assert [p for sheet in raw.sheets for p in sheet.pictures] == []


@pytest.mark.parametrize("stage", example.STAGES)
def test_each_story_page_drawing_is_described_in_its_rows_picture_description(
    pair: tuple[MappingCase, MappingCase], stage: example.Stage
) -> None:
    """Read back, each story page with a drawing has what the drawing shows as its Picture
    description, so the story's alt text says what the picture shows, not the page's heading."""
    case = pair[example.STAGES.index(stage)]
    described = {page.heading: page.picture_description for page in case.words_and_pictures}
    assert described == {
        heading: example.STORY_PICTURES[heading][1] if heading in example.STORY_PICTURES else ""
        for heading in described
    }
