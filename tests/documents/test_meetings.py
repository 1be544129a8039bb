"""The documents of each meeting type and the wording of format 2 (docs/documents.md),
from real .xlsx workbooks through the pipeline to real .docx files read back with python-docx."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest

from sos_docs.config import Config
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.model import MappingCase
from sos_docs.pipeline import (
    MAPPING_RECORD,
    RenderedDocument,
    check_workbook,
    process_workbook,
    render_case,
)
from tests.support import meetings
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

# The example family's Leo did not agree to share his words, so each main document is made as
# a professional copy and a family copy (docs/documents.md, Copies for the family).
PRO_REPORT = "Conference report (professional copy)"
FAMILY_REPORT = "Conference report (family copy)"


def make(book: WorkbookBuilder, tmp_path: Path) -> dict[str, str]:
    """The workbook processed: each document's text by its file name (without the case
    reference and date), failing when the workbook is not valid."""
    outcome = process_workbook(
        book.write(tmp_path / "in.xlsx"), tmp_path / "out", today=EXAMPLE_TODAY
    )
    assert outcome.ok, outcome.validation.problems
    return {
        path.name.removeprefix("CP-2026-0412 ").rsplit(" ", 1)[0]: text_of(path)
        for path in outcome.documents
    }


def text_of(path: Path) -> str:
    """Every paragraph of a .docx, table cells included, in body order, one a line."""
    document = docx.Document(str(path))
    lines = []
    for block in document.element.body.iter():
        if block.tag.endswith("}p"):
            lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
    return "\n".join(lines)


def case_of(book: WorkbookBuilder, tmp_path: Path) -> MappingCase:
    """The workbook written, read and validated."""
    validation = check_workbook(book.write(tmp_path / "case.xlsx"), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


# ---- one test per row of the meeting-type table (docs/documents.md)


def test_an_initial_conference_gets_its_report_and_the_story(tmp_path: Path) -> None:
    """Initial: "Report to the initial child protection conference" and the children's story."""
    made = make(meetings.format_2(WorkbookBuilder()), tmp_path)
    assert set(made) == {PRO_REPORT, FAMILY_REPORT, "Words and pictures"}
    report = made[PRO_REPORT]
    assert "Report to the initial child protection conference" in report
    assert "subject to a child protection plan under the category of emotional abuse" in report


@pytest.mark.parametrize(
    ("recommendation", "wording"),
    [
        (
            "Continue child protection plan",
            "to continue the child protection plan for Mia Hartley and Leo Hartley under the "
            "category of emotional abuse.",
        ),
        (
            "End plan: child in need plan",
            "to end the child protection plan and support Mia Hartley and Leo Hartley through a "
            "child in need plan.",
        ),
        (
            "End plan: no further action",
            "to end the child protection plan for Mia Hartley and Leo Hartley, with no further "
            "action.",
        ),
    ],
)
def test_a_review_continues_or_ends_the_plan_it_never_makes_one(
    recommendation: str, wording: str, tmp_path: Path
) -> None:
    """Review: its own title, and wording that continues or ends the existing plan."""
    book = meetings.review_conference().set_case("Recommendation", recommendation)
    made = make(book, tmp_path)
    assert set(made) == {PRO_REPORT, FAMILY_REPORT, "Words and pictures"}
    report = made[PRO_REPORT]
    assert "Report to the review child protection conference" in report
    assert f"The recommendation of this report is {wording}" in report
    assert "made subject to" not in report and "make Mia" not in report
    assert "Child protection plan since 27 August 2026" in report


def test_a_pre_birth_conference_about_an_unborn_baby_has_no_story(tmp_path: Path) -> None:
    """Pre-birth: its own report with a birth and discharge plan, the baby as "the baby", no
    "no child's views" line and no story (there is no born child to tell it to)."""
    made = make(meetings.pre_birth_conference(), tmp_path)
    assert set(made) == {"Conference report"}  # no child's words, nothing withheld: one copy
    report = made["Conference report"]
    assert "Report to the pre-birth conference" in report
    assert "Birth and discharge plan" in report
    assert "Nanna Sandra stays with Kerry and the baby for the first two weeks" in report
    assert "No child's views are recorded" not in report
    assert "No views are recorded: the baby is not yet born." in report
    assert "Where the baby will live" in report and "Living with" not in report
    assert "to make the baby subject to a child protection plan" in report
    assert "The baby cannot safely go home after the birth as things are." in report


def test_a_pre_birth_conference_with_a_born_sibling_tells_her_story(tmp_path: Path) -> None:
    """Pre-birth with a born sister: the story is made, for her, not for the unborn baby."""
    made = make(meetings.pre_birth_conference(with_sibling=True), tmp_path)
    assert set(made) == {"Conference report", "Words and pictures"}
    assert "Mia Hartley's story" in made["Words and pictures"]
    assert "Baby Hartley" not in made["Words and pictures"]


def test_a_pre_birth_conference_without_a_birth_plan_says_so(tmp_path: Path) -> None:
    """The section is there for a pre-birth conference, saying no plan is recorded yet."""
    report = make(meetings.pre_birth_conference().clear("Birth plan"), tmp_path)[
        "Conference report"
    ]
    assert "Birth and discharge plan\nNo birth and discharge plan is recorded yet." in report


@pytest.mark.parametrize(
    "meeting_type",
    [
        "Child in need meeting",
        "Core group meeting",
        "Family network meeting",
        "Strategy discussion",
    ],
)
def test_other_meetings_get_a_record_of_the_mapping(meeting_type: str, tmp_path: Path) -> None:
    """Child in need, core group, family network and strategy: "<type>: record of the
    mapping", filed as "<type> record", without a recommendation, category or sharing."""
    book = meetings.core_group_meeting().set_case("Meeting type", meeting_type)
    made = make(book, tmp_path)
    assert set(made) == {
        f"{meeting_type} record (professional copy)",
        f"{meeting_type} record (family copy)",
        "Words and pictures",
    }
    record = made[f"{meeting_type} record (professional copy)"]
    assert f"{meeting_type}: record of the mapping" in record
    for absent in ("Recommendation", "ecommend", "Category of harm", "Sharing this report"):
        assert absent not in record
    assert "The next meeting is on 19 February 2027." in record


def test_another_meeting_gets_a_story_only_when_it_has_one_to_tell(tmp_path: Path) -> None:
    """Without Words and pictures or Safety plan rows, a core group meeting gets no story."""
    records = {
        "Core group meeting record (professional copy)",
        "Core group meeting record (family copy)",
    }
    made = make(meetings.core_group_meeting(with_story=False), tmp_path)
    assert set(made) == records
    book = meetings.core_group_meeting(with_story=False)
    book.add_row("Safety plan", Rule="Nanna comes if Mum has had a drink.", Who="P3")
    assert set(make(book, tmp_path / "plan")) == {*records, "Words and pictures"}


def test_asking_for_the_record_names_it_for_the_meeting(tmp_path: Path) -> None:
    """`render --only record` (kinds given) still titles the record for the case's meeting."""
    workbook = meetings.core_group_meeting().write(tmp_path / "cg.xlsx")
    outcome = process_workbook(
        workbook, tmp_path / "out", kinds=(MAPPING_RECORD,), today=EXAMPLE_TODAY
    )
    assert [p.name for p in outcome.documents] == [
        "CP-2026-0412 Core group meeting record (professional copy) 2026-11-27.docx",
        "CP-2026-0412 Core group meeting record (family copy) 2026-11-27.docx",
    ]


def test_a_team_folder_without_the_record_template_uses_the_shipped_one(tmp_path: Path) -> None:
    """A team's templates folder made before the record existed still makes core group records."""
    team = tmp_path / "team-templates"
    team.mkdir()
    case = case_of(meetings.core_group_meeting(), tmp_path)
    record = render_case(case, Config(templates_dir=team), (MAPPING_RECORD,))[0]
    assert record.kind.title == "Core group meeting record"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(record.data)).paragraphs)
    assert "Core group meeting: record of the mapping" in text


# ---- each child's own decision, Known as, the People Children column


def test_a_sibling_group_lists_each_childs_recommendation_and_category(tmp_path: Path) -> None:
    """Two recommendations: the opening sentence, one line per group, and a row per child with
    their recommendation and their named categories."""
    report = make(meetings.sibling_group(), tmp_path)["Conference report"]
    assert "The recommendations of this report differ between the children. They are to:" in report
    assert "support Lan and Minh through a child in need plan;" in report
    assert (
        "make Tuan Nguyen, Hoa and An subject to a child protection plan under the categories "
        "of neglect and physical abuse." in report
    )
    assert "Nguyen Van Minh\nChild in need plan\n" in report
    assert "Tuan Nguyen\nChild protection plan\nMultiple (neglect and physical abuse)" in report
    assert "Category of harm:" not in report


def test_known_as_is_used_and_no_name_is_split_to_guess_a_first_name(tmp_path: Path) -> None:
    """A child's Known as, else the full name; an adult on the scale by their full name, so
    neither a family name written first ("Nguyen") nor a title ("Dr") stands for a person."""
    case = case_of(meetings.sibling_group(), tmp_path)
    context = build_context(case, DocumentSettings(report_date=EXAMPLE_TODAY))
    assert context["children_first_names"] == "Lan, Minh, Tuan Nguyen, Hoa and An"
    short = {s["participant"]: s["short_name"] for s in context["scores"]}  # type: ignore[attr-defined]
    assert short["Dr Tran Van Hung"] == "Dr Tran Van Hung"
    assert short["Nguyen Thi Lan"] == "Lan"
    assert "Nguyen" not in str(context["story_title"]).replace("Tuan Nguyen", "")
    assert context["story_title"] == "Lan, Minh, Tuan Nguyen, Hoa and An's story"


def test_a_relationship_to_some_children_names_them_and_adults_languages_are_shown(
    tmp_path: Path,
) -> None:
    """People's Children column: "Father of An"; an adult's language and interpreter need."""
    report = make(meetings.sibling_group(), tmp_path)["Conference report"]
    assert "Dr Tran Van Hung\nSpeaks Vietnamese; needs an interpreter\nFather of An" in report
    assert "Nguyen Thi Mai\nMother" in report


def test_one_child_reads_in_the_singular(tmp_path: Path) -> None:
    """A report about one child names her where "the children" would read wrong."""
    book = meetings.format_2(WorkbookBuilder())
    book.rows("Children")[:] = book.rows("Children")[:1]
    book.rows("Child's views")[:] = book.rows("Child's views")[:1]
    for row in book.rows("Harm"):
        row["Children"] = "C1"
    for row in book.rows("Scaling"):
        row.pop("Child", None)
    book.unlink_missing_children()
    report = make(book, tmp_path)["Conference report"]  # Mia agreed: nothing withheld
    assert "Living with Mia Hartley" in report
    assert "Mia Hartley cannot safely stay at home as things are." in report
    assert "Where each person placed the safety of Mia Hartley on the scale." in report
    assert "All the children" not in report and "Living with the children" not in report


# ---- each danger statement as one set, views, disputes


def test_each_persons_view_is_reported_with_its_danger_statement(tmp_path: Path) -> None:
    """Kerry agrees and Dean disagrees in his own words, under danger statement 1, before its
    goal; the overall view and the view of a harm row are shown too; Dean's dispute of the
    harm with his account is in the harm table."""
    report = make(meetings.review_conference(), tmp_path)[PRO_REPORT]
    statement = report.index("Danger statement 1\n")
    views = report.index(
        "Kerry Hartley agrees.\nDean Hartley disagrees: “The children were upstairs asleep. "
        "They never saw us fight.”"
    )
    goal = report.index("Safety goal G1:")
    assert statement < views < goal < report.index("Danger statement 2\n")
    assert "Kerry Hartley partly agrees: “We need help with the drinking, not a plan.”" in report
    assert (
        "Disputed by Dean Hartley: “Dean says the glass broke when he dropped it; Kerry did not "
        "hit him.”\nKerry Hartley agrees." in report
    )


def test_next_steps_without_a_goal_are_listed_apart(tmp_path: Path) -> None:
    """A next step serving no safety goal is under "Other next steps", not lost."""
    report = make(meetings.review_conference(), tmp_path)[PRO_REPORT]
    other = report.index("Other next steps")
    assert report.index("Send the family the conference's decision in writing.") > other


# ---- report date and manager sign-off


def test_the_report_date_is_the_case_sheets_then_the_settings_then_today(tmp_path: Path) -> None:
    """Case `Report date` wins over DocumentSettings.report_date, which wins over today."""
    signed = case_of(meetings.review_conference(), tmp_path)
    settings = DocumentSettings(report_date=dt.date(2026, 11, 25))
    assert build_context(signed, settings)["report_date"] == "23 November 2026"
    unsigned = case_of(meetings.format_2(WorkbookBuilder()), tmp_path / "b")
    assert build_context(unsigned, settings)["report_date"] == "25 November 2026"
    today = dt.date.today()
    assert build_context(unsigned)["report_date"] == f"{today.day} {today:%B %Y}"


def test_the_signature_shows_the_managers_approval_or_says_there_is_none(tmp_path: Path) -> None:
    """Approved: the manager's name, role and date; not approved: a plain sentence saying so."""
    approved = make(meetings.review_conference(), tmp_path / "a")[PRO_REPORT]
    assert (
        "Approved by\nItem\nDetails\nName\nJoan Pryce\nRole\nTeam manager\n"
        "Approved on\n23 November 2026"
    ) in approved
    assert "has not been approved" not in approved
    unapproved = make(meetings.format_2(WorkbookBuilder()), tmp_path / "b")[PRO_REPORT]
    assert "This report has not been approved by a manager." in unapproved


def test_rendered_documents_carry_their_kind(tmp_path: Path) -> None:
    """render_case without kinds gives the case's own documents, in order."""
    documents: list[RenderedDocument] = render_case(
        case_of(meetings.pre_birth_conference(), tmp_path)
    )
    assert [d.kind.key for d in documents] == ["report"]
