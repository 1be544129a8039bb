"""Tests for the format 2 rules (sos_docs.workbook.practice_rules and the rules they extend),
through real .xlsx workbooks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sos_docs.model import Level, PersonRef
from sos_docs.working_days import SharingRules
from tests.support.builders import WorkbookBuilder
from tests.support.problems import check, problems_with, the_problem, where

REVIEW = "Review child protection conference"
PRE_BIRTH = "Pre-birth conference"


def format_2() -> WorkbookBuilder:
    """The example family as a format 2 workbook, signed and approved in time."""
    return WorkbookBuilder().plain().as_format_2()


def review(book: WorkbookBuilder, on_plan: bool = True) -> WorkbookBuilder:
    """Make the book a review conference, both children on a plan that began in August."""
    book.set_case("Meeting type", REVIEW)
    book.set_case("Recommendation", "Continue child protection plan")
    book.set_case("Shared with parents on", dt.date(2026, 11, 19))  # 6 working days before
    book.set_case("Report date", dt.date(2026, 11, 18))
    for index in (0, 1):
        book.update_row(
            "Children",
            index,
            Legal_status="Child protection plan" if on_plan else "None",
            Plan_start_date=dt.date(2026, 8, 20) if on_plan else None,
        )
    return book


def pre_birth(book: WorkbookBuilder) -> WorkbookBuilder:
    """Add an unborn baby C3 (scored, so nothing else changes) and make it a pre-birth conference."""
    book.set_case("Meeting type", PRE_BIRTH)
    book.add_row("Children", ID="C3", Name="Baby Hartley (unborn)", Expected_due_date="10/01/2027")
    return book.add_row("Scaling", Participant="P5", Child="C3", Score=4, Reason="Due soon.")


# ------------------------------------------------------------------------ format


def test_the_example_as_format_2_has_no_problems(tmp_path: Path) -> None:
    """Format 2 with a report date and a manager's approval adds no problem to the example."""
    validation = check(format_2(), tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.details.format_version == 2
    assert validation.case.details.manager_approved_on == dt.date(2026, 11, 16)


def test_a_newer_format_is_wb013_at_the_format_cell(tmp_path: Path) -> None:
    """Format 3 is a workbook made for a newer sos-docs: WB013, saying so and how to go on."""
    book = format_2().set_case("Format", 3)
    problem = the_problem(check(book, tmp_path), "WB013")
    assert where(problem) == ("WB013", Level.ERROR, "Case", book.cell("Case", "Format"))
    assert "made for a newer sos-docs" in problem.message
    assert "new-workbook" in problem.message


@pytest.mark.parametrize(("value", "code"), [(0, "WB013"), ("two", "WB005"), (2.5, "WB005")])
def test_a_format_that_is_no_format_is_refused(tmp_path: Path, value: object, code: str) -> None:
    """Format 0 is WB013; text or a fraction is the wrong type (WB005)."""
    book = format_2().set_case("Format", value)
    problem = the_problem(check(book, tmp_path), code)
    assert problem.cell == book.cell("Case", "Format")


def test_format_1_gets_none_of_the_format_2_paperwork_warnings(tmp_path: Path) -> None:
    """A format 1 conference without report date, approval or birth plan is checked as before."""
    book = pre_birth(WorkbookBuilder().plain())
    book.set_case("Shared with parents on", dt.date(2026, 11, 26))  # 1 working day before
    validation = check(book, tmp_path, today=dt.date(2026, 12, 1))
    assert validation.problems == ()


# ------------------------------------------------------------------------ SOS111


def test_review_recommendation_at_an_initial_conference_is_sos111(tmp_path: Path) -> None:
    """An initial conference cannot continue a plan: SOS111 at the Case's Recommendation."""
    book = WorkbookBuilder().plain().set_case("Recommendation", "Continue child protection plan")
    problem = the_problem(check(book, tmp_path), "SOS111")
    assert where(problem) == ("SOS111", Level.ERROR, "Case", book.cell("Case", "Recommendation"))
    assert '"Child protection plan", "Child in need plan"' in problem.message


def test_a_childs_own_end_plan_at_a_pre_birth_conference_is_sos111(tmp_path: Path) -> None:
    """A child's own review-only recommendation at a pre-birth conference is SOS111 at their cell."""
    book = pre_birth(WorkbookBuilder().plain())
    book.update_row("Children", 1, Recommendation="End plan: no further action")
    problem = the_problem(check(book, tmp_path), "SOS111")
    assert problem.cell == book.cell("Children", "Recommendation", 1)
    assert "Leo Hartley's Recommendation" in problem.message


def test_review_making_a_plan_for_children_already_on_one_is_sos111(tmp_path: Path) -> None:
    """At a review, "Child protection plan" for children on a plan says to choose Continue or End."""
    book = review(WorkbookBuilder().plain()).set_case("Recommendation", "Child protection plan")
    problem = the_problem(check(book, tmp_path), "SOS111")
    assert where(problem) == ("SOS111", Level.ERROR, "Case", book.cell("Case", "Recommendation"))
    assert "Mia Hartley and Leo Hartley already are on a child protection plan" in problem.message
    assert '"Continue child protection plan"' in problem.message
    assert '"End plan: no further action"' in problem.message


def test_review_may_make_a_plan_for_a_new_baby(tmp_path: Path) -> None:
    """A review continues the siblings' plan and makes a new one for a baby not yet on one."""
    book = review(WorkbookBuilder().plain())
    book.add_row("Children", ID="C3", Name="Baby Hartley", Date_of_birth="01/10/2026")
    book.update_row("Children", 2, Recommendation="Child protection plan", Legal_status="None")
    book.add_row("Scaling", Participant="P5", Child="C3", Score=4, Reason="Newborn.")
    book.add_row("Child's views", Child="C3", Method="Observation", Worries="Settles with Mum.")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.children[2].recommendation == "Child protection plan"


def test_continuing_a_plan_a_child_does_not_have_is_sos111_at_their_cell(tmp_path: Path) -> None:
    """A child's own Continue while their Legal status is Child in need is SOS111 at their cell."""
    book = review(WorkbookBuilder().plain())
    book.update_row("Children", 1, Legal_status="Child in need", Plan_start_date=None)
    book.update_row("Children", 1, Recommendation="Continue child protection plan")
    problem = the_problem(check(book, tmp_path), "SOS111")
    assert problem.cell == book.cell("Children", "Recommendation", 1)
    assert 'Legal status of Leo Hartley is "Child in need"' in problem.message


def test_ending_the_case_plan_for_children_not_on_one_is_sos111_at_the_case(
    tmp_path: Path,
) -> None:
    """The Case's End plan for children whose status is None is one SOS111 at the Case cell."""
    book = review(WorkbookBuilder().plain(), on_plan=False)
    book.set_case("Recommendation", "End plan: child in need plan")
    problem = the_problem(check(book, tmp_path), "SOS111")
    assert problem.cell == book.cell("Case", "Recommendation")
    assert "Mia Hartley and Leo Hartley" in problem.message
    assert "own Recommendation on the Children sheet" in problem.message


# ------------------------------------------------------------------------ each child's decision


def test_every_child_with_their_own_recommendation_needs_none_on_the_case(tmp_path: Path) -> None:
    """The conference's Recommendation is met when every child has their own."""
    book = WorkbookBuilder().plain().set_case("Recommendation", None)
    book.update_row("Children", 0, Recommendation="Child protection plan")
    book.update_row("Children", 1, Recommendation="Child in need plan")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert [c.recommendation for c in validation.case.children] == [
        "Child protection plan",
        "Child in need plan",
    ]


def test_a_child_without_their_own_needs_the_case_recommendation(tmp_path: Path) -> None:
    """When one child has no recommendation of their own, the Case's empty one is WB004."""
    book = WorkbookBuilder().plain().set_case("Recommendation", None)
    book.update_row("Children", 0, Recommendation="Child protection plan")
    problem = the_problem(check(book, tmp_path), "WB004")
    assert problem.cell == book.cell("Case", "Recommendation")
    assert "give every child their own Recommendation" in problem.message


def test_a_childs_own_plan_without_any_category_is_sos107_at_their_cell(tmp_path: Path) -> None:
    """A child's own Continue/plan needs a category: their own, else the Case's (SOS107)."""
    book = WorkbookBuilder().plain().set_case("Recommendation", "Child in need plan")
    book.set_case("Category of harm", None)
    book.update_row("Children", 1, Recommendation="Child protection plan")
    problem = the_problem(check(book, tmp_path), "SOS107")
    assert where(problem) == (
        "SOS107",
        Level.ERROR,
        "Children",
        book.cell("Children", "Category of harm", 1),
    )
    assert "Leo Hartley's recommendation is a child protection plan" in problem.message


def test_a_childs_own_category_meets_the_case_plan(tmp_path: Path) -> None:
    """The Case's plan with no Case category is fine when every child names their own."""
    book = WorkbookBuilder().plain().set_case("Category of harm", None)
    book.update_row("Children", 0, Category_of_harm="Neglect")
    book.update_row("Children", 1, Category_of_harm="Emotional abuse")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert [c.category_of_harm for c in validation.case.children] == ["Neglect", "Emotional abuse"]


def test_a_case_plan_one_child_has_no_category_for_is_sos107_at_the_case(tmp_path: Path) -> None:
    """A child relying on the Case's plan and category leaves the Case's empty category SOS107."""
    book = WorkbookBuilder().plain().set_case("Category of harm", None)
    book.update_row("Children", 0, Category_of_harm="Neglect")
    problem = the_problem(check(book, tmp_path), "SOS107")
    assert problem.cell == book.cell("Case", "Category of harm")


def test_continuing_a_plan_needs_a_category(tmp_path: Path) -> None:
    """A review continuing the plan with no category is SOS107."""
    book = review(WorkbookBuilder().plain()).set_case("Category of harm", None)
    problem = the_problem(check(book, tmp_path), "SOS107")
    assert "continue child protection plan" in problem.message


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("Recommendation", "Adopt", "WB006"),
        ("Category of harm", "Bullying", "WB006"),
        ("Plan start date", "soon", "WB005"),
        ("Plan start date", 45000.5, "WB005"),
    ],
)
def test_bad_values_in_the_childrens_new_columns(
    tmp_path: Path, column: str, value: object, code: str
) -> None:
    """A child's own recommendation, category or plan start date of the wrong kind is refused."""
    book = WorkbookBuilder().plain().update_row("Children", 0, **{column.replace(" ", "_"): value})
    problem = the_problem(check(book, tmp_path), code)
    assert problem.cell == book.cell("Children", column, 0)


# ------------------------------------------------------------------------ SOS212


def test_a_core_group_recommendation_is_sos212_and_not_used(tmp_path: Path) -> None:
    """A meeting that is not a conference warns that its recommendation and category are unused."""
    book = WorkbookBuilder().plain().set_case("Meeting type", "Core group meeting")
    validation = check(book, tmp_path)
    problem = the_problem(validation, "SOS212")
    assert where(problem) == ("SOS212", Level.WARNING, "Case", book.cell("Case", "Recommendation"))
    assert "Recommendation and Category of harm are filled in" in problem.message
    assert validation.ok


def test_a_childs_own_category_at_a_strategy_discussion_is_sos212(tmp_path: Path) -> None:
    """A child's own category at a strategy discussion is SOS212 at their cell."""
    book = WorkbookBuilder().plain().set_case("Meeting type", "Strategy discussion")
    book.set_case("Recommendation", None).set_case("Category of harm", None)
    book.update_row("Children", 0, Category_of_harm="Neglect")
    problem = the_problem(check(book, tmp_path), "SOS212")
    assert problem.cell == book.cell("Children", "Category of harm", 0)
    assert "Mia Hartley's Category of harm is filled in" in problem.message


# ------------------------------------------------------------------------ SOS112 and categories


def test_several_categories_in_one_cell_read_as_multiple(tmp_path: Path) -> None:
    """ "Neglect, emotional abuse" in Category of harm is Multiple naming those two."""
    book = WorkbookBuilder().plain().set_case("Category of harm", "Neglect,  emotional ABUSE")
    book.update_row("Children", 1, Category_of_harm="Physical abuse; Neglect")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    details, leo = validation.case.details, validation.case.children[1]
    assert (details.category_of_harm, details.categories) == (
        "Multiple",
        ("Neglect", "Emotional abuse"),
    )
    assert (leo.category_of_harm, leo.categories) == ("Multiple", ("Physical abuse", "Neglect"))


def test_a_category_named_twice_is_one_category(tmp_path: Path) -> None:
    """Categories repeating a category (even thousands of times) names it once: the report
    never prints "neglect, emotional abuse, neglect, ..."."""
    book = WorkbookBuilder().plain().set_case("Category of harm", "Multiple")
    book.set_case("Categories", "Neglect, Emotional abuse, " * 500 + "neglect")
    validation = check(book, tmp_path)
    assert validation.case is not None, validation.problems
    assert validation.case.details.categories == ("Neglect", "Emotional abuse")


def test_one_category_in_a_cell_reads_as_before(tmp_path: Path) -> None:
    """A single category, even with a stray comma, is that category, not Multiple."""
    validation = check(
        WorkbookBuilder().plain().set_case("Category of harm", " neglect, "), tmp_path
    )
    assert validation.case is not None
    assert validation.case.details.category_of_harm == "Neglect"
    assert validation.case.details.categories == ()


@pytest.mark.parametrize("value", ["Neglect, Bullying", "Neglect, Multiple"])
def test_an_unknown_category_among_several_is_wb006_naming_it(tmp_path: Path, value: str) -> None:
    """Several categories with one not on the list is WB006 naming the one that is wrong."""
    book = WorkbookBuilder().plain().set_case("Category of harm", value)
    problem = the_problem(check(book, tmp_path), "WB006")
    assert problem.cell == book.cell("Case", "Category of harm")
    assert f'"{value.split(", ")[1]}" is not one of' in problem.message


def test_multiple_naming_one_category_is_sos112(tmp_path: Path) -> None:
    """Multiple needs at least two categories in Categories: SOS112 at Categories."""
    book = WorkbookBuilder().plain().set_case("Category of harm", "Multiple")
    book.set_case("Categories", "Neglect, neglect")
    problem = the_problem(check(book, tmp_path), "SOS112")
    assert where(problem) == ("SOS112", Level.ERROR, "Case", book.cell("Case", "Categories"))
    assert "names 1 category" in problem.message


def test_multiple_with_no_categories_is_sos112(tmp_path: Path) -> None:
    """Multiple with Categories left empty is SOS112."""
    book = WorkbookBuilder().plain().set_case("Category of harm", "Multiple")
    problem = the_problem(check(book, tmp_path), "SOS112")
    assert "names no categories" in problem.message


def test_categories_naming_something_not_on_the_list_is_sos112(tmp_path: Path) -> None:
    """A Categories cell naming an unknown category is SOS112 listing the categories."""
    book = WorkbookBuilder().plain().set_case("Category of harm", "Multiple")
    book.set_case("Categories", "Neglect, Bullying")
    problem = the_problem(check(book, tmp_path), "SOS112")
    assert '"Bullying"' in problem.message
    assert "Neglect, Physical abuse, Emotional abuse, Sexual abuse" in problem.message


def test_categories_with_a_single_category_is_sos112(tmp_path: Path) -> None:
    """Categories filled while Category of harm is one category is SOS112: choose Multiple."""
    book = WorkbookBuilder().plain()
    book.update_row("Children", 0, Category_of_harm="Neglect", Categories="Neglect, Sexual abuse")
    problem = the_problem(check(book, tmp_path), "SOS112")
    assert problem.cell == book.cell("Children", "Categories", 0)
    assert 'Set Category of harm to "Multiple"' in problem.message


def test_a_childs_multiple_takes_the_case_categories(tmp_path: Path) -> None:
    """A child's own Multiple with no Categories of their own uses the Case's Categories."""
    book = WorkbookBuilder().plain().set_case("Category of harm", "Multiple")
    book.set_case("Categories", "Neglect, Emotional abuse")
    book.update_row("Children", 0, Category_of_harm="Multiple")
    assert check(book, tmp_path).problems == ()


# ------------------------------------------------------------------------ SOS113, SOS104


def test_a_plan_start_date_after_the_mapping_date_is_sos113(tmp_path: Path) -> None:
    """A plan cannot have begun after the map was made."""
    book = review(WorkbookBuilder().plain()).update_row("Children", 0, Plan_start_date="17/11/2026")
    problem = the_problem(check(book, tmp_path), "SOS113")
    assert where(problem) == (
        "SOS113",
        Level.ERROR,
        "Children",
        book.cell("Children", "Plan start date", 0),
    )
    assert "17 November 2026, is after the mapping date, 16 November 2026" in problem.message


def test_previous_scaling_after_the_mapping_date_is_sos113(tmp_path: Path) -> None:
    """An earlier conference's score cannot be dated after this map."""
    book = WorkbookBuilder().plain()
    book.add_row("Previous scaling", Date="20/11/2026", Participant="P1", Score=3)
    problem = the_problem(check(book, tmp_path), "SOS113")
    assert problem.cell == book.cell("Previous scaling", "Date", 0)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("Score", 11, "SOS104"),
        ("Score", -1, "SOS104"),
        ("Score", "high", "WB005"),
        ("Date", "last time", "WB005"),
        ("Date", None, "WB004"),
        ("Child", "C9", "WB009"),
    ],
)
def test_bad_previous_scaling_values(tmp_path: Path, column: str, value: object, code: str) -> None:
    """Previous scaling scores are 0 to 10, dated, and about known children."""
    book = WorkbookBuilder().plain()
    book.add_row("Previous scaling", Date="01/08/2026", Participant="P1", Score=3)
    book.update_row("Previous scaling", 0, **{column: value})
    problem = the_problem(check(book, tmp_path), code)
    assert problem.cell == book.cell("Previous scaling", column, 0)


def test_previous_scaling_takes_someone_no_longer_on_people(tmp_path: Path) -> None:
    """An earlier participant who has left the case is kept as free text."""
    book = WorkbookBuilder().plain()
    book.add_row("Previous scaling", Date="01/08/2026", Participant="Former worker", Score=2)
    validation = check(book, tmp_path)
    assert validation.errors == ()
    assert validation.case is not None
    assert validation.case.previous_scaling[0].participant == PersonRef("Former worker")


# ------------------------------------------------------------------------ Family's views


def family_view(book: WorkbookBuilder, **values: object) -> WorkbookBuilder:
    """Add one Family's views row (a view of D1 by P1 unless told otherwise)."""
    row = {"Person": "P1", "About": "D1", "View": "Agree", **values}
    return book.add_row("Family's views", **row)


def test_views_about_statements_harm_rows_and_overall_are_read(tmp_path: Path) -> None:
    """About takes a danger statement ID, a Harm row number (`3` or `row 3`) or blank."""
    book = family_view(WorkbookBuilder().plain())
    family_view(book, Person="Dean Hartley", About="row 3", View="Disagree", Their_words="No.")
    family_view(book, Person="P2", About=None, View="Partly agree", Their_words="Some of it.")
    family_view(book, Person="P1", About=2, View="Agree")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    views = validation.case.family_views
    assert [(v.danger_statement_id, v.harm_row, v.is_overall) for v in views] == [
        ("D1", None, False),
        ("", 3, False),
        ("", None, True),
        ("", 2, False),
    ]
    assert views[1].person == PersonRef("Dean Hartley", "P2")


@pytest.mark.parametrize("about", ["D9", "row 40", "the drinking"])
def test_a_view_about_nothing_that_exists_is_wb009_listing_the_choices(
    tmp_path: Path, about: str
) -> None:
    """An About that is neither a statement ID nor a Harm row is WB009 naming what it could be."""
    book = family_view(WorkbookBuilder().plain(), About=about)
    problem = the_problem(check(book, tmp_path), "WB009")
    assert where(problem) == (
        "WB009",
        Level.ERROR,
        "Family's views",
        book.cell("Family's views", "About", 0),
    )
    assert "a danger statement ID (D1, D2)" in problem.message
    assert "the number of a Harm row (2, 3, 4)" in problem.message


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [("Person", "P99", "WB009"), ("Person", None, "WB004"), ("View", "Maybe", "WB006")],
)
def test_bad_family_view_person_or_view(
    tmp_path: Path, column: str, value: object, code: str
) -> None:
    """A view by no one known, by no one, or of no known kind is refused."""
    book = family_view(WorkbookBuilder().plain(), **{column: value})
    problem = the_problem(check(book, tmp_path), code)
    assert problem.cell == book.cell("Family's views", column, 0)


@pytest.mark.parametrize("view", ["Partly agree", "Disagree"])
def test_a_view_short_of_agreement_needs_their_words(tmp_path: Path, view: str) -> None:
    """Partly agree or Disagree with no words is WB004, as on the Danger statements sheet."""
    book = family_view(WorkbookBuilder().plain(), Person="Kerry Hartley", View=view)
    problem = the_problem(check(book, tmp_path), "WB004")
    assert problem.cell == book.cell("Family's views", "Their words", 0)
    assert "what Kerry Hartley says" in problem.message


def test_two_views_by_one_person_about_one_thing_is_sos214(tmp_path: Path) -> None:
    """A person's second view about the same statement is SOS214 at the second row."""
    book = family_view(family_view(WorkbookBuilder().plain()), Person="Kerry Hartley", About="d1")
    family_view(book, Person="P2")  # another person: fine
    problem = the_problem(check(book, tmp_path), "SOS214")
    assert where(problem) == (
        "SOS214",
        Level.WARNING,
        "Family's views",
        book.cell("Family's views", "Person", 1),
    )
    assert "in row 2" in problem.message


# ------------------------------------------------------------------------ Harm, People


def test_disputed_harm_without_their_account_is_sos213(tmp_path: Path) -> None:
    """Who disputes a harm row goes with what they say happened."""
    book = WorkbookBuilder().plain().update_row("Harm", 0, Disputed_by="P2")
    problem = the_problem(check(book, tmp_path), "SOS213")
    assert where(problem) == ("SOS213", Level.WARNING, "Harm", book.cell("Harm", "Their account"))


def test_an_account_without_who_disputes_is_sos213(tmp_path: Path) -> None:
    """An account with no one named as disputing it is SOS213 at Disputed by."""
    book = WorkbookBuilder().plain().update_row("Harm", 0, Their_account="It was an accident.")
    problem = the_problem(check(book, tmp_path), "SOS213")
    assert problem.cell == book.cell("Harm", "Disputed by")


def test_a_dispute_by_known_people_is_read(tmp_path: Path) -> None:
    """Disputed by names people by ID or name, with their account."""
    book = (
        WorkbookBuilder()
        .plain()
        .update_row("Harm", 0, Disputed_by="P2, Kerry Hartley", Their_account="Nobody was pushed.")
    )
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert [p.id for p in validation.case.harm[0].disputed_by] == ["P2", "P1"]


@pytest.mark.parametrize(
    ("sheet", "column", "value"),
    [
        ("Harm", "Disputed by", "P2, P99"),
        ("People", "Children", "C9"),
        ("People", "Children", "Kerry Hartley"),
    ],
)
def test_unknown_people_or_children_in_new_columns_are_wb009(
    tmp_path: Path, sheet: str, column: str, value: str
) -> None:
    """Disputed by takes people; People's Children takes only children."""
    book = WorkbookBuilder().plain().update_row(sheet, 0, **{column.replace(" ", "_"): value})
    problem = the_problem(check(book, tmp_path), "WB009")
    assert problem.cell == book.cell(sheet, column, 0)


def test_a_father_of_one_child_only(tmp_path: Path) -> None:
    """People's Children says which children a relationship applies to."""
    book = WorkbookBuilder().plain().update_row("People", 1, Children="C2", Interpreter_needed="N")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    dean = validation.case.people[1]
    assert (dean.children, dean.interpreter_needed) == (
        (PersonRef("Leo Hartley", "C2", True),),
        False,
    )


def test_a_wrong_interpreter_value_on_people_is_wb005(tmp_path: Path) -> None:
    """People's Interpreter needed is yes or no."""
    book = WorkbookBuilder().plain().update_row("People", 0, Interpreter_needed="sometimes")
    problem = the_problem(check(book, tmp_path), "WB005")
    assert problem.cell == book.cell("People", "Interpreter needed", 0)


# ------------------------------------------------------------------------ pre-birth


def test_a_pre_birth_conference_without_a_birth_plan_is_sos208(tmp_path: Path) -> None:
    """A format 2 pre-birth conference with no Birth plan rows is SOS208 for the sheet."""
    validation = check(pre_birth(format_2()), tmp_path)
    problem = the_problem(validation, "SOS208")
    assert where(problem) == ("SOS208", Level.WARNING, "Birth plan", None)
    assert len(validation.problems) == 1


def test_a_pre_birth_conference_with_a_birth_plan_is_fine(tmp_path: Path) -> None:
    """A birth plan row, with free text for who, satisfies SOS208."""
    book = pre_birth(format_2())
    book.add_row("Birth plan", Arrangement="Baby stays on the ward two days", Who="Midwife")
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.birth_plan[0].who == PersonRef("Midwife")


def test_an_unborn_child_needs_no_score_of_their_own(tmp_path: Path) -> None:
    """SOS206 skips a baby not yet born, as SOS106 does."""
    book = WorkbookBuilder().plain().set_case("Meeting type", PRE_BIRTH)
    book.add_row("Children", ID="C3", Name="Baby Hartley (unborn)", Expected_due_date="10/01/2027")
    validation = check(book, tmp_path)
    assert problems_with(validation, "SOS206") == []
    assert validation.problems == ()


def test_a_pre_birth_conference_with_no_unborn_child_is_sos215(tmp_path: Path) -> None:
    """A pre-birth conference about born children only is SOS215 at the Meeting type."""
    book = WorkbookBuilder().plain().set_case("Meeting type", PRE_BIRTH)
    problem = the_problem(check(book, tmp_path), "SOS215")
    assert where(problem) == ("SOS215", Level.WARNING, "Case", book.cell("Case", "Meeting type"))


# ------------------------------------------------------------------------ reviews


def test_a_review_child_on_a_plan_without_its_start_date_is_sos216(tmp_path: Path) -> None:
    """At a format 2 review, a child on a plan needs the day the plan began."""
    book = review(format_2()).update_row("Children", 1, Plan_start_date=None)
    problem = the_problem(check(book, tmp_path), "SOS216")
    assert problem.cell == book.cell("Children", "Plan start date", 1)
    assert "Leo Hartley is on a child protection plan" in problem.message


def test_a_format_2_review_in_order_has_no_problems(tmp_path: Path) -> None:
    """A review continuing the plan, shared six working days before, is clean."""
    validation = check(review(format_2()), tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.details.is_review


# ------------------------------------------------------------------------ the report's dates


def test_a_report_dated_after_the_meeting_is_sos209(tmp_path: Path) -> None:
    """A Report date after the meeting (and after sharing) is SOS209 at Report date."""
    book = format_2().set_case("Report date", dt.date(2026, 11, 27))
    problem = the_problem(check(book, tmp_path), "SOS209")
    assert where(problem) == ("SOS209", Level.WARNING, "Case", book.cell("Case", "Report date"))
    assert "after the day it was shared with the parents on 16 November 2026" in problem.message
    assert "the meeting" not in problem.message


def test_no_report_date_made_after_the_meeting_is_sos209(tmp_path: Path) -> None:
    """With no Report date, documents made after the meeting are dated after it: SOS209."""
    book = format_2().set_case("Report date", None)
    problem = the_problem(check(book, tmp_path, today=dt.date(2026, 11, 30)), "SOS209")
    assert "dated today, 30 November 2026: after the meeting on 27 November 2026" in (
        problem.message
    )
    assert "Fill in Report date" in problem.message


def test_no_report_date_made_before_sharing_is_fine(tmp_path: Path) -> None:
    """Documents made before the report is shared need no Report date."""
    book = format_2().set_case("Report date", None)
    book.set_case("Shared with parents on", dt.date(2026, 11, 20))  # made the day before
    assert check(book, tmp_path, today=dt.date(2026, 11, 19)).problems == ()


@pytest.mark.parametrize("label", ["Report date", "Manager approved on"])
def test_a_wrong_report_or_approval_date_is_wb005(tmp_path: Path, label: str) -> None:
    """Report date and Manager approved on are dates."""
    book = format_2().set_case(label, "when signed")
    problem = the_problem(check(book, tmp_path), "WB005")
    assert problem.cell == book.cell("Case", label)


@pytest.mark.parametrize("label", ["Manager name", "Manager approved on"])
def test_a_conference_report_without_approval_is_sos210(tmp_path: Path, label: str) -> None:
    """A format 2 conference report with no manager or no approval date is made with SOS210."""
    book = format_2().set_case(label, None)
    validation = check(book, tmp_path)
    problem = the_problem(validation, "SOS210")
    assert where(problem) == ("SOS210", Level.WARNING, "Case", book.cell("Case", label))
    assert f"{label} is empty" in problem.message
    assert validation.ok


def test_a_core_group_record_needs_no_approval_or_report_date(tmp_path: Path) -> None:
    """The report rules are for conferences only."""
    book = format_2().set_case("Meeting type", "Core group meeting")
    for label in ("Recommendation", "Category of harm", "Manager name", "Report date"):
        book.set_case(label, None)
    assert check(book, tmp_path, today=dt.date(2026, 12, 5)).problems == ()


# ------------------------------------------------------------------------ SOS211


def test_a_report_shared_two_working_days_before_is_sos211(tmp_path: Path) -> None:
    """Shared on a Friday for a Tuesday initial conference: 2 working days, 3 wanted."""
    book = format_2().set_case("Meeting date", dt.date(2026, 11, 24))
    book.set_case("Shared with parents on", dt.date(2026, 11, 20))
    book.set_case("Report date", dt.date(2026, 11, 19))
    problem = the_problem(check(book, tmp_path), "SOS211")
    assert where(problem) == (
        "SOS211",
        Level.WARNING,
        "Case",
        book.cell("Case", "Shared with parents on"),
    )
    assert "20 November 2026, 2 working days before" in problem.message
    assert "by 19 November 2026" in problem.message
    assert "bank holidays in England" in problem.message


def test_three_working_days_before_an_initial_conference_is_in_time(tmp_path: Path) -> None:
    """The example's Tuesday sharing for a Friday conference is exactly in time."""
    assert problems_with(check(format_2(), tmp_path), "SOS211") == []


def test_bank_holidays_are_not_working_days(tmp_path: Path) -> None:
    """Shared on 23 December for 29 December 2026: Christmas and Boxing Day (observed) skipped."""
    book = format_2().set_case("Meeting date", dt.date(2026, 12, 29))
    book.set_case("Shared with parents on", dt.date(2026, 12, 23))
    problem = the_problem(check(book, tmp_path, today=dt.date(2026, 12, 1)), "SOS211")
    assert "2 working days before" in problem.message  # 23 and 24 December
    assert "by 22 December 2026" in problem.message


def test_the_region_decides_the_bank_holidays(tmp_path: Path) -> None:
    """St Andrew's Day (30 November 2026) is a working day in England, not in Scotland."""
    book = format_2().set_case("Meeting date", dt.date(2026, 12, 3))
    book.set_case("Shared with parents on", dt.date(2026, 11, 30))
    assert problems_with(check(book, tmp_path), "SOS211") == []
    scotland = check(book, tmp_path, sharing=SharingRules(region="Scotland"))
    assert "bank holidays in Scotland" in the_problem(scotland, "SOS211").message


def test_a_review_wants_five_working_days_and_the_count_is_configurable(tmp_path: Path) -> None:
    """A review shared 4 working days before is late at 5, in time at 4, unchecked at 0."""
    book = review(format_2()).set_case("Shared with parents on", dt.date(2026, 11, 23))
    assert "at least 5 working days" in the_problem(check(book, tmp_path), "SOS211").message
    for days in (4, 0):
        relaxed = SharingRules(review_days=days)
        assert problems_with(check(book, tmp_path, sharing=relaxed), "SOS211") == []


def test_a_report_shared_after_the_conference_says_so(tmp_path: Path) -> None:
    """Shared the day after the conference: SOS211 says after."""
    book = format_2().set_case("Shared with parents on", dt.date(2026, 11, 28))
    problem = the_problem(check(book, tmp_path, today=dt.date(2026, 11, 30)), "SOS211")
    assert "28 November 2026, after the initial" in problem.message
