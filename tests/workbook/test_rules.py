"""Tests for the rules across cells and rows (sos_docs.workbook.rules), through real .xlsx workbooks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sos_docs import model
from sos_docs.model import Level
from sos_docs.wording import with_article
from sos_docs.workbook.rules import age_on
from tests.support.builders import WorkbookBuilder
from tests.support.problems import check, problems_with, the_problem, where

MAPPING_DATE = dt.date(2026, 11, 16)


def unborn_baby(book: WorkbookBuilder, due: object = dt.date(2027, 1, 10)) -> WorkbookBuilder:
    """Add an unborn child C3, scored about so that only what a test changes is special."""
    book.add_row("Children", ID="C3", Name="Baby Hartley (unborn)", Expected_due_date=due)
    return book.add_row("Scaling", Participant="P5", Child="C3", Score=4, Reason="Due soon.")


# ------------------------------------------------------------------------ conditional WB004


@pytest.mark.parametrize("label", ["Meeting date", "Recommendation"])
def test_conference_without_meeting_date_or_recommendation_is_wb004(
    tmp_path: Path, label: str
) -> None:
    """A conference needs its meeting date and recommendation: WB004 at the Case cell."""
    book = WorkbookBuilder().set_case(label, None)
    if label == "Recommendation":
        book.set_case("Category of harm", None)
    problem = the_problem(check(book, tmp_path), "WB004")
    assert where(problem) == ("WB004", Level.ERROR, "Case", book.cell("Case", label))
    assert "initial child protection conference needs it" in problem.message


def test_other_meetings_need_no_meeting_date_recommendation_or_sharing(tmp_path: Path) -> None:
    """A core group meeting may leave the conference-only values empty."""
    book = WorkbookBuilder().plain().set_case("Meeting type", "core group meeting")
    for label in ("Meeting date", "Recommendation", "Category of harm", "Shared with parents on"):
        book.set_case(label, None)
    validation = check(book, tmp_path)
    assert validation.problems == ()
    assert validation.case is not None
    assert validation.case.details.meeting_type == "Core group meeting"


@pytest.mark.parametrize("view", ["Partly agree", "disagree"])
def test_family_view_short_of_agreement_needs_family_words(tmp_path: Path, view: str) -> None:
    """Family's words are required when the view is Partly agree or Disagree."""
    book = WorkbookBuilder().update_row("Danger statements", 0, Family_s_view=view)
    book.update_row("Danger statements", 0, Family_s_words="  ")
    problem = the_problem(check(book, tmp_path), "WB004")
    cell = book.cell("Danger statements", "Family's words", 0)
    assert where(problem) == ("WB004", Level.ERROR, "Danger statements", cell)


def test_professional_without_agency_is_wb004(tmp_path: Path) -> None:
    """A professional on the People sheet needs an agency."""
    book = WorkbookBuilder().update_row("People", 6, Agency=None)
    problem = the_problem(check(book, tmp_path), "WB004")
    assert where(problem) == ("WB004", Level.ERROR, "People", book.cell("People", "Agency", 6))
    assert "Priya Nair is a professional" in problem.message


def test_child_without_birth_or_due_date_is_wb004_at_date_of_birth(tmp_path: Path) -> None:
    """A child needs a date of birth or, when unborn, an expected due date."""
    book = WorkbookBuilder().update_row("Children", 1, Date_of_birth=None)
    problem = the_problem(check(book, tmp_path), "WB004")
    cell = book.cell("Children", "Date of birth", 1)
    assert where(problem) == ("WB004", Level.ERROR, "Children", cell)
    assert "Leo Hartley has neither" in problem.message


@pytest.mark.parametrize("sheet", ["Children", "Working well", "Next steps", "Scaling"])
def test_sheet_that_needs_rows_and_has_none_is_wb004_for_the_sheet(
    tmp_path: Path, sheet: str
) -> None:
    """A sheet that must have at least one record and has none is WB004 with no cell."""
    validation = check(WorkbookBuilder().clear(sheet), tmp_path)
    found = [p for p in problems_with(validation, "WB004") if p.cell is None]
    assert [where(p) for p in found] == [("WB004", Level.ERROR, sheet, None)]


# ------------------------------------------------------------------------ SOS1xx errors


def test_no_danger_statement_is_sos101_for_the_sheet(tmp_path: Path) -> None:
    """An empty Danger statements sheet is SOS101, not the general WB004."""
    book = WorkbookBuilder().plain().clear("Danger statements")
    for sheet in ("Working well", "Safety goals", "Scaling", "Safety plan"):
        for row in book.rows(sheet):
            row["Danger statement"] = None
    book.clear("Safety goals").clear("Next steps").add_row(
        "Next steps", Action="Write danger statements.", Who="P5", By_when=dt.date(2026, 12, 1)
    )
    validation = check(book, tmp_path)
    assert [where(p) for p in validation.errors] == [
        ("SOS101", Level.ERROR, "Danger statements", None)
    ]
    assert "no danger statement" in validation.errors[0].message


def test_danger_statement_without_safety_goal_is_sos102_at_its_id(tmp_path: Path) -> None:
    """Each danger statement needs a safety goal paired with it."""
    book = WorkbookBuilder().add_row("Danger statements", ID="D3", Statement="Dean may drive.")
    problem = the_problem(check(book, tmp_path), "SOS102")
    cell = book.cell("Danger statements", "ID", 2)
    assert where(problem) == ("SOS102", Level.ERROR, "Danger statements", cell)
    assert "Danger statement D3 has no safety goal" in problem.message


@pytest.mark.parametrize("column", ["Who", "By when"])
def test_next_step_without_person_or_date_is_sos103_not_wb004(tmp_path: Path, column: str) -> None:
    """An empty Who or By when of a next step is SOS103 at the cell, and no WB004."""
    book = WorkbookBuilder()
    book.rows("Next steps")[3][column] = None
    validation = check(book, tmp_path)
    problem = the_problem(validation, "SOS103")
    assert where(problem) == (
        "SOS103",
        Level.ERROR,
        "Next steps",
        book.cell("Next steps", column, 3),
    )
    assert problems_with(validation, "WB004") == []


@pytest.mark.parametrize("score", [12, -1, "11"])
def test_score_outside_0_to_10_is_sos104(tmp_path: Path, score: object) -> None:
    """A whole-number score below 0 or above 10 is SOS104 at the score's cell."""
    book = WorkbookBuilder().update_row("Scaling", 2, Score=score)
    problem = the_problem(check(book, tmp_path), "SOS104")
    assert where(problem) == ("SOS104", Level.ERROR, "Scaling", book.cell("Scaling", "Score", 2))


def test_sos104_message_says_what_the_scale_means(tmp_path: Path) -> None:
    """The SOS104 message quotes the score and explains both ends of the scale."""
    book = WorkbookBuilder().update_row("Scaling", 0, Score=12)
    assert the_problem(check(book, tmp_path), "SOS104").message == (
        "Score must be a whole number from 0 to 10, but it is 12. Change it to a number "
        "between 0 (the children cannot stay at home) and 10 (safe enough to close)."
    )


@pytest.mark.parametrize("score", [0, 10])
def test_scores_at_the_ends_of_the_scale_are_fine(tmp_path: Path, score: int) -> None:
    """0 and 10 are on the scale."""
    validation = check(WorkbookBuilder().update_row("Scaling", 2, Score=score), tmp_path)
    assert validation.problems == ()


def test_score_without_reason_is_sos105_not_wb004(tmp_path: Path) -> None:
    """An empty Reason of a score is SOS105 at the cell, and no WB004."""
    book = WorkbookBuilder().update_row("Scaling", 4, Reason=None)
    validation = check(book, tmp_path)
    problem = the_problem(validation, "SOS105")
    assert where(problem) == ("SOS105", Level.ERROR, "Scaling", book.cell("Scaling", "Reason", 4))
    assert problems_with(validation, "WB004") == []


def test_a_views_row_with_words_only_under_an_unknown_heading_is_sos106_at_that_row(
    tmp_path: Path,
) -> None:
    """Words typed under a heading sos-docs does not read leave the child unheard: SOS106 at
    their row on Child's views, not silence (found by a new user's review)."""
    book = WorkbookBuilder().with_extra_column("Child's views", "What they said")
    book.update_row(
        "Child's views",
        1,
        Worries=None,
        Good_things=None,
        Dreams=None,
        What_they_said="I like my gran",
    )
    problem = the_problem(check(book, tmp_path), "SOS106")
    cell = book.cell("Child's views", "Child", 1)
    assert where(problem) == ("SOS106", Level.ERROR, "Child's views", cell)
    assert "nothing in Worries, Good things or Dreams" in problem.message


def test_child_without_views_is_sos106_at_the_child(tmp_path: Path) -> None:
    """A born child with no row on Child's views is SOS106 at their ID on the Children sheet."""
    book = WorkbookBuilder()
    book.rows("Child's views").pop(1)
    problem = the_problem(check(book, tmp_path), "SOS106")
    assert where(problem) == ("SOS106", Level.ERROR, "Children", "A3")
    assert "Leo Hartley has no entry on the Child's views sheet" in problem.message


def test_missing_childs_views_sheet_is_sos106_for_each_born_child_only(tmp_path: Path) -> None:
    """Without a Child's views sheet each born child is SOS106; an unborn child needs no views."""
    book = unborn_baby(WorkbookBuilder().drop_sheet("Child's views"))
    validation = check(book, tmp_path)
    assert [where(p) for p in validation.errors] == [
        ("SOS106", Level.ERROR, "Children", "A2"),
        ("SOS106", Level.ERROR, "Children", "A3"),
    ]


def test_only_unborn_children_need_no_childs_views_sheet(tmp_path: Path) -> None:
    """A pre-birth case with no Child's views sheet is valid."""
    book = WorkbookBuilder().clear("Children").drop_sheet("Child's views")
    unborn_baby(book).set_case("Meeting type", "Pre-birth conference")
    for sheet in ("Harm", "Scaling"):
        book.tables[sheet] = [
            r for r in book.rows(sheet) if not r.get("Child") and not r.get("Children")
        ]
    book.rows("Scaling").append({"Participant": "P5", "Child": "C3", "Score": 4, "Reason": "Due."})
    book.rows("Safety plan").pop(3)  # Mia's rule
    for person in book.rows("People"):
        person.pop("Children", None)  # Mia's father, her school and Leo's health visitor
    validation = check(book, tmp_path)
    assert validation.errors == ()
    assert validation.case is not None
    assert validation.case.children[0].is_unborn


def test_protection_plan_without_category_is_sos107(tmp_path: Path) -> None:
    """Recommending a child protection plan with no category of harm is SOS107."""
    book = WorkbookBuilder().set_case("Category of harm", None)
    problem = the_problem(check(book, tmp_path), "SOS107")
    cell = book.cell("Case", "Category of harm")
    assert where(problem) == ("SOS107", Level.ERROR, "Case", cell)
    assert "Neglect, Physical abuse" in problem.message


def test_conference_report_not_shared_nor_explained_is_sos108(tmp_path: Path) -> None:
    """A conference report needs the date shared with the parents or the reason it was not."""
    book = WorkbookBuilder().set_case("Shared with parents on", None)
    problem = the_problem(check(book, tmp_path), "SOS108")
    cell = book.cell("Case", "Shared with parents on")
    assert where(problem) == ("SOS108", Level.ERROR, "Case", cell)


def test_reason_for_not_sharing_is_enough(tmp_path: Path) -> None:
    """A reason for not sharing the report with the parents satisfies SOS108."""
    book = WorkbookBuilder().set_case("Shared with parents on", None)
    book.set_case("Not shared because", "Police investigation ongoing.")
    assert check(book, tmp_path).problems == ()


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("Date of birth", dt.date(2026, 11, 17), "after the mapping date, 16 November 2026"),
        ("Date of birth", dt.date(2008, 11, 16), "makes them 18 on the mapping date"),
        ("Date of birth", dt.date(1990, 1, 1), "makes them 36 on the mapping date"),
        ("Expected due date", dt.date(2026, 11, 15), "before the mapping date"),
    ],
)
def test_implausible_birth_or_due_date_is_sos109(
    tmp_path: Path, column: str, value: dt.date, words: str
) -> None:
    """Born after the mapping date, 18 or over on it, or due before it, is SOS109 at the date."""
    book = WorkbookBuilder().update_row("Children", 1, **{column.replace(" ", "_"): value})
    if column == "Expected due date":
        book.update_row("Children", 1, Date_of_birth=None)
    problem = the_problem(check(book, tmp_path), "SOS109")
    assert where(problem) == ("SOS109", Level.ERROR, "Children", book.cell("Children", column, 1))
    assert words in problem.message


@pytest.mark.parametrize(
    ("born", "due"), [(dt.date(2008, 11, 17), None), (MAPPING_DATE, None), (None, MAPPING_DATE)]
)
def test_dates_on_the_edges_are_plausible(
    tmp_path: Path, born: dt.date | None, due: dt.date | None
) -> None:
    """17 the day before turning 18, born on the mapping date, or due on it, are fine."""
    book = WorkbookBuilder().update_row("Children", 1, Date_of_birth=born, Expected_due_date=due)
    if due:
        book.rows("Child's views").pop(1)  # an unborn child has no views
    assert problems_with(check(book, tmp_path), "SOS109") == []


def test_age_on_counts_full_years() -> None:
    """A child is a year older only on their birthday."""
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18


def test_mapping_date_in_the_future_is_sos110(tmp_path: Path) -> None:
    """A mapping date after today is SOS110 at the Case cell."""
    problem = the_problem(check(WorkbookBuilder(), tmp_path, today=dt.date(2026, 11, 15)), "SOS110")
    assert where(problem) == ("SOS110", Level.ERROR, "Case", "B6")
    assert "is in the future (today is 15 November 2026)" in problem.message


def test_next_step_due_before_the_mapping_date_is_sos110(tmp_path: Path) -> None:
    """A new plan's next step not yet done, due before the mapping date, is SOS110 at its By
    when cell."""
    book = WorkbookBuilder().update_row("Next steps", 2, By_when="15/11/2026", Status="Not started")
    problem = the_problem(check(book, tmp_path), "SOS110")
    assert where(problem) == (
        "SOS110",
        Level.ERROR,
        "Next steps",
        book.cell("Next steps", "By when", 2),
    )


def test_a_done_step_may_be_due_before_the_mapping_date(tmp_path: Path) -> None:
    """A step already done keeps the date it was due: no SOS110."""
    book = WorkbookBuilder().update_row("Next steps", 2, By_when="15/11/2026", Status="Done")
    assert not problems_with(check(book, tmp_path), "SOS110")


@pytest.mark.parametrize("meeting", ["Review child protection conference", "Core group meeting"])
def test_a_plan_under_review_may_carry_steps_already_due(tmp_path: Path, meeting: str) -> None:
    """At a review or a core group the plan's steps keep their deadlines, late or not."""
    book = WorkbookBuilder().plain().set_case("Meeting type", meeting)
    book.set_case("Recommendation", None).set_case("Category of harm", None)
    book.update_row("Next steps", 2, By_when="15/11/2026", Status="In progress")
    assert not problems_with(check(book, tmp_path), "SOS110")


def test_a_core_group_recommendation_without_a_category_is_not_an_error(tmp_path: Path) -> None:
    """SOS107 is a conference's: at a core group a recommendation is only not used (SOS212)."""
    book = WorkbookBuilder().plain().set_case("Meeting type", "Core group meeting")
    book.set_case("Category of harm", None)
    validation = check(book, tmp_path)
    assert not problems_with(validation, "SOS107") and problems_with(validation, "SOS212")


# ------------------------------------------------------------------------ SOS2xx warnings


def test_more_than_three_danger_statements_is_sos201_at_the_fourth(tmp_path: Path) -> None:
    """A fourth danger statement is a warning at its ID; the case is still made."""
    book = WorkbookBuilder()
    for number in (3, 4):
        book.add_row("Danger statements", ID=f"D{number}", Statement=f"Worry {number}.")
        book.add_row("Safety goals", ID=f"G{number}", Danger_statement=f"D{number}", Goal="Safe.")
    validation = check(book, tmp_path)
    problem = the_problem(validation, "SOS201")
    assert where(problem) == ("SOS201", Level.WARNING, "Danger statements", "A5")
    assert validation.ok


def test_no_existing_safety_is_sos202_for_the_sheet(tmp_path: Path) -> None:
    """Working well with only existing strengths is a sheet-level warning."""
    book = WorkbookBuilder()
    for index in (0, 1):
        book.update_row("Working well", index, Type="Existing strength")
    validation = check(book, tmp_path)
    assert [where(p) for p in validation.problems] == [
        ("SOS202", Level.WARNING, "Working well", None)
    ]


@pytest.mark.parametrize("knows", ["No", None])
def test_network_member_not_knowing_the_worries_is_sos203(tmp_path: Path, knows: object) -> None:
    """A safety network member whose Knows the worries is not Yes is warned about at that cell."""
    book = WorkbookBuilder().update_row("People", 3, Knows_the_worries=knows)
    problem = the_problem(check(book, tmp_path), "SOS203")
    cell = book.cell("People", "Knows the worries", 3)
    assert where(problem) == ("SOS203", Level.WARNING, "People", cell)
    assert problem.message.startswith("Siân Roberts is in the safety network")


def test_next_step_for_a_role_not_on_people_is_sos204_and_kept(tmp_path: Path) -> None:
    """Free text such as "School" in a next step's Who is a warning and kept as written."""
    book = WorkbookBuilder().update_row("Next steps", 3, Who=" School ")
    validation = check(book, tmp_path)
    problem = the_problem(validation, "SOS204")
    assert where(problem) == (
        "SOS204",
        Level.WARNING,
        "Next steps",
        book.cell("Next steps", "Who", 3),
    )
    assert validation.case is not None
    assert validation.case.next_steps[3].who.name == "School"
    assert validation.case.next_steps[3].who.id is None


@pytest.mark.parametrize("agreed", ["No", None])
def test_words_and_pictures_not_agreed_is_sos205(tmp_path: Path, agreed: object) -> None:
    """Words and pictures pages without the parents' agreement are warned about at the Case cell."""
    book = WorkbookBuilder().set_case("Words and pictures agreed by parents", agreed)
    problem = the_problem(check(book, tmp_path), "SOS205")
    cell = book.cell("Case", "Words and pictures agreed by parents")
    assert where(problem) == ("SOS205", Level.WARNING, "Case", cell)


def test_a_conference_story_from_the_rules_alone_still_needs_agreement(tmp_path: Path) -> None:
    """A conference makes a story from its safety rules even without pages: not agreed, SOS205."""
    book = WorkbookBuilder().clear("Words and pictures")
    book.set_case("Words and pictures agreed by parents", None)
    assert [p.code for p in check(book, tmp_path).problems] == ["SOS205"]


def test_no_story_needs_no_agreement(tmp_path: Path) -> None:
    """A meeting that makes no story (not a conference, no pages, no safety plan) needs no
    agreement: its problems are the same whatever the agreement cell says."""

    def problems(agreed: object, name: str) -> set[tuple[str, str | None]]:
        book = WorkbookBuilder().clear("Words and pictures").clear("Safety plan")
        book.set_case("Meeting type", "Core group meeting")
        for label in ("Recommendation", "Category of harm"):
            book.set_case(label, None)
        book.set_case("Words and pictures agreed by parents", agreed)
        return {(p.code, p.cell) for p in check(book, tmp_path / name).problems}

    assert problems(None, "blank") == problems("Yes", "yes")
    assert "SOS205" not in {code for code, _ in problems(None, "again")}


def test_child_without_a_score_of_their_own_is_sos206(tmp_path: Path) -> None:
    """A child with no score by them or about them is warned about at their ID."""
    book = WorkbookBuilder()
    book.rows("Scaling").pop(6)  # the score about Leo
    problem = the_problem(check(book, tmp_path), "SOS206")
    assert where(problem) == ("SOS206", Level.WARNING, "Children", "A3")
    assert "Leo Hartley has no scaling score of their own" in problem.message


def test_score_by_the_child_counts_as_their_own(tmp_path: Path) -> None:
    """A score given by the child (Participant) counts, even with the Child column blank."""
    book = WorkbookBuilder().update_row("Scaling", 5, Child=None)
    assert check(book, tmp_path).problems == ()


def test_report_author_without_a_score_is_sos206(tmp_path: Path) -> None:
    """The report author who has not scored is warned about at the Case's Report author cell."""
    book = WorkbookBuilder()
    for index in (0, 6):
        book.update_row("Scaling", index, Participant="P7")
    problem = the_problem(check(book, tmp_path), "SOS206")
    assert where(problem) == ("SOS206", Level.WARNING, "Case", book.cell("Case", "Report author"))
    assert "Ada Okafor, has not given a scaling score" in problem.message


@pytest.mark.parametrize(
    "statement",
    [
        "We are worried about domestic violence at home.",
        "Neglect of Leo when the adults drink.",
        "Kerry's SUBSTANCE MISUSE could hurt Mia.",
    ],
)
def test_professional_label_in_a_danger_statement_is_sos207(tmp_path: Path, statement: str) -> None:
    """A danger statement using a professional label is a warning at the statement's cell."""
    book = WorkbookBuilder().update_row("Danger statements", 1, Statement=statement)
    problem = the_problem(check(book, tmp_path), "SOS207")
    cell = book.cell("Danger statements", "Statement", 1)
    assert where(problem) == ("SOS207", Level.WARNING, "Danger statements", cell)


def test_labels_match_whole_words_only(tmp_path: Path) -> None:
    """A word that only contains a label, such as "neglected", is not the label "neglect"."""
    book = WorkbookBuilder().update_row(
        "Danger statements", 1, Statement="Leo could feel neglected when nobody sober is home."
    )
    assert check(book, tmp_path).problems == ()


@pytest.mark.parametrize("meeting_type", sorted(model.CONFERENCE_MEETING_TYPES))
def test_a_conference_value_message_names_its_meeting_with_the_right_article(
    tmp_path: Path, meeting_type: str
) -> None:
    """ "an initial ...", "a review ...", "a pre-birth ...": the article fits each meeting type."""
    book = WorkbookBuilder().set_case("Meeting type", meeting_type).set_case("Meeting date", None)
    problem = the_problem(check(book, tmp_path), "WB004")
    assert f"{with_article(meeting_type.lower())} needs it" in problem.message
    assert " a initial" not in problem.message and " an pre" not in problem.message


@pytest.mark.parametrize("meeting_type", sorted(model.MEETING_TYPES))
def test_every_meeting_type_has_the_right_article_in_rule_messages(
    tmp_path: Path, meeting_type: str
) -> None:
    """A review recommendation at a first conference (SOS111) and a recommendation at another
    meeting (SOS212) name the meeting with "a" or "an" as its first sound needs."""
    book = WorkbookBuilder().set_case("Meeting type", meeting_type)
    book.set_case("Recommendation", "Continue child protection plan")
    messages = [p.message for p in check(book, tmp_path).problems]
    phrase = meeting_type.lower()
    articles = [
        found.casefold()
        for message in messages
        for found in re.findall(rf"\b(an?) {re.escape(phrase)}", message, re.IGNORECASE)
    ]
    assert articles or meeting_type == model.REVIEW_CONFERENCE
    assert set(articles) <= {with_article(phrase).split()[0]}


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("initial child protection conference", "an initial child protection conference"),
        ("review child protection conference", "a review child protection conference"),
        ("Other", "an Other"),
        ("unborn baby", "an unborn baby"),
        ("core group meeting", "a core group meeting"),
    ],
)
def test_with_article_picks_a_or_an(phrase: str, expected: str) -> None:
    """The article before a phrase is "an" before a vowel, else "a"."""
    assert with_article(phrase) == expected
