"""Tests for a review's progress section and score chart (documents/progress.py, score_chart.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import re
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sos_docs.config import DEFAULT_CONFIG
from sos_docs.documents import progress
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.documents.fields import FIELDS_BY_NAME
from sos_docs.documents.render import render_document
from sos_docs.documents.score_chart import LABEL_GAP, shown_dates
from sos_docs.model import (
    CaseHistory,
    EarlierConference,
    MappingCase,
    PersonRef,
    Picture,
    PreviousScore,
)
from sos_docs.pipeline import REPORT, template_path
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.documents.test_context import field_paths
from tests.support.reviews import REVIEW_TODAY, initial_book, review_book

SETTINGS = DocumentSettings(report_date=REVIEW_TODAY)
ROOT = Path(__file__).resolve().parents[2]
NO_EARLIER = "No earlier scores are known"


def case_of(path: Path) -> MappingCase:
    """A workbook read and validated on the review's day; fails when it is not valid."""
    validation = validate(read_workbook(path), today=REVIEW_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[MappingCase, MappingCase]:
    """The example family's initial conference and its review three months later."""
    folder = tmp_path_factory.mktemp("progress")
    initial = case_of(initial_book().write(folder / "initial.xlsx"))
    review = case_of(review_book().write(folder / "review.xlsx"))
    return initial, review


@pytest.fixture(scope="module")
def review_context(cases: tuple[MappingCase, MappingCase]) -> dict[str, object]:
    """The review's context with the initial conference as its history."""
    initial, review = cases
    history = CaseHistory((EarlierConference("processed/initial.xlsx", initial),))
    return build_context(review, SETTINGS, history)


def items(context: dict[str, object], name: str) -> list[dict[str, object]]:
    """A list field's items."""
    value = context[name]
    assert isinstance(value, list)
    return value


def test_every_progress_field_is_documented_and_made_for_a_review(
    review_context: dict[str, object],
) -> None:
    """A review with history makes every documented progress field, and nothing undocumented."""
    produced = set(field_paths(review_context))
    progress = {name for name, f in FIELDS_BY_NAME.items() if f.group.startswith("Progress")}
    assert produced - set(FIELDS_BY_NAME) == set()
    assert progress - produced == set()


def test_the_last_conference_is_named_with_its_date_and_what_its_report_recommended(
    review_context: dict[str, object],
) -> None:
    """The review says when the last conference was and what the report to it recommended (a
    workbook holds the report's recommendation, not the conference's decision), child by child
    when the children's decisions differed (Leo had categories of his own)."""
    assert review_context["progress_shown"] is True and review_context["progress_known"] is True
    assert review_context["last_conference_date"] == "27 November 2026"
    assert review_context["last_conference_type"] == "Initial child protection conference"
    recommended = (
        "a child protection plan for Mia (emotional abuse) "
        "and for Leo (emotional abuse and neglect)"
    )
    assert review_context["last_conference_recommendation"] == recommended
    sentence = str(review_context["progress_sentence"])
    assert sentence.startswith(
        "The last conference was the initial child protection conference on 27 November 2026. "
        f"The report to it recommended: {recommended}."
    )
    assert "It recommended" not in sentence


def test_the_progress_sentence_names_no_file(review_context: dict[str, object]) -> None:
    """The report goes to the family: no internal file name in the sentence, while the
    template author's `earlier_workbooks` field still has it."""
    sentence = str(review_context["progress_sentence"])
    assert "initial.xlsx" not in sentence and "processed" not in sentence
    assert ".xlsx" not in sentence
    assert review_context["earlier_workbooks"] == "processed/initial.xlsx"


@pytest.mark.parametrize(
    ("recommendation", "words"),
    [
        ("No further action", "no further action for Mia and Leo"),
        ("Child in need plan", "a child in need plan for Mia and Leo"),
    ],
)
def test_one_recommendation_for_every_child_names_them_together(
    cases: tuple[MappingCase, MappingCase], recommendation: str, words: str
) -> None:
    """When the children share the recommendation it is said once, for all of them."""
    initial, review = cases
    children = tuple(
        dataclasses.replace(c, recommendation="", category_of_harm="", categories=())
        for c in initial.children
    )
    details = dataclasses.replace(
        initial.details, recommendation=recommendation, category_of_harm="", categories=()
    )
    last = dataclasses.replace(initial, details=details, children=children)
    history = CaseHistory((EarlierConference("initial.xlsx", last),))
    context = build_context(review, SETTINGS, history)
    assert context["last_conference_recommendation"] == words
    assert f"The report to it recommended: {words}." in str(context["progress_sentence"])


def test_danger_statements_then_and_now_say_what_changed(
    review_context: dict[str, object],
) -> None:
    """D1 is unchanged and D2 reworded, each with its words then and now."""
    dangers = items(review_context, "progress_dangers")
    assert [(d["number"], d["change"]) for d in dangers] == [("1", "Unchanged"), ("2", "Reworded")]
    assert dangers[1]["then"] != dangers[1]["now"] and "late at night" in str(dangers[1]["then"])
    assert [d["reworded"] for d in dangers] == [False, True]
    assert [d["statement"] for d in dangers] == [d["now"] for d in dangers]


def table_after(body: list[object], heading: str) -> list[list[str]]:
    """The cells' text of the first table after the paragraph `heading` in a document's body."""
    seen = False
    for block in body:
        if isinstance(block, Paragraph) and block.text == heading:
            seen = True
        elif seen and isinstance(block, Table):
            return [[cell.text for cell in row.cells] for row in block.rows]
    raise AssertionError(f"no table after {heading!r}")


def rendered_blocks(context: dict[str, object]) -> list[object]:
    """The rendered review report's paragraphs and tables, in order."""
    data = render_document(template_path(DEFAULT_CONFIG, REPORT), context).data
    return list(docx.Document(io.BytesIO(data)).iter_inner_content())


def test_an_unchanged_danger_statement_is_printed_once(review_context: dict[str, object]) -> None:
    """D1 is unchanged: its words appear once in the table, marked Unchanged; reworded D2 shows
    its words now and at the last conference."""
    dangers = items(review_context, "progress_dangers")
    rows = table_after(rendered_blocks(review_context), "Danger statements then and now")
    cells = " | ".join(" | ".join(row) for row in rows)
    assert cells.count(str(dangers[0]["now"])) == 1
    assert "Unchanged" in rows[1]
    assert str(dangers[1]["now"]) in cells and str(dangers[1]["then"]) in cells


def test_each_goal_lists_its_steps_with_status_then_and_now(
    review_context: dict[str, object],
) -> None:
    """Steps carried on show both statuses; a new one is New; a dropped one is not in this plan."""
    goals = {g["id"]: g for g in items(review_context, "progress_goals")}
    g1 = goals["G1"]["steps"]
    g2 = goals["G2"]["steps"]
    assert isinstance(g1, list) and isinstance(g2, list)
    statuses = {s["action"][:20]: (s["status_then"], s["status_now"]) for s in g1 + g2}
    assert statuses["Meet Kerry, Dean, Na"] == ("In progress", "Done")
    assert statuses["Review the safety pl"] == ("New", "Not started")
    assert statuses["Visit Leo at nursery"] == ("Not started", "Not in this plan")


def test_a_step_shows_its_deadline_then_and_now_so_a_slip_is_visible(
    review_context: dict[str, object],
) -> None:
    """Every step of the review is due four weeks after its mapping: one carried on from the
    initial conference shows both deadlines and that it moved; a new step has no deadline then,
    a dropped one none now; a step done by the last conference is not called moved."""
    goals = {g["id"]: g for g in items(review_context, "progress_goals")}
    steps = {
        s["action"][:20]: s
        for g in goals.values()
        for s in g["steps"]  # type: ignore[attr-defined]
    }
    check = steps["Check in with Mia ev"]
    assert check["by_when_now"] == "10 March 2027"
    assert check["by_when_then"] not in ("", check["by_when_now"])
    assert check["by_when_change"] == "Moved later"
    new = steps["Review the safety pl"]
    assert (new["by_when_then"], new["by_when_change"]) == ("", "")
    dropped = steps["Visit Leo at nursery"]
    assert dropped["by_when_now"] == "" and dropped["by_when_then"] != ""
    done = steps["Refer Kerry and Dean"]
    assert (done["status_then"], done["status_now"], done["by_when_change"]) == (
        "Done",
        "Done by the last conference",
        "",
    )
    rows = table_after(
        rendered_blocks(review_context),
        str(goals["G1"]["id"]) + ": " + str(goals["G1"]["goal"]) + " (danger statement 1)",
    )
    assert rows[0] == ["Next step", "Who", "At the last conference", "Now"]
    row = next(row for row in rows if row[0] == check["action"])
    assert f"Due {check['by_when_then']}" in row[2] and "In progress" in row[2]
    assert f"Due {check['by_when_now']}" in row[3] and "Moved later" in row[3]


def test_each_score_now_stands_beside_the_last_one_and_its_one_point_higher(
    review_context: dict[str, object],
) -> None:
    """Ada went from 4 to 6, with what she said would make it one point higher last time."""
    scores = items(review_context, "progress_scores")
    ada = next(
        s for s in scores if s["participant"] == "Ada Okafor" and s["about"] == "All the children"
    )
    assert (ada["score_then"], ada["score_now"], ada["change"]) == ("4", "6", "Up 2")
    assert ada["then_date"] == "27 November 2026"
    assert ada["then_for"] == "For the initial conference on 27 November 2026"
    assert ada["one_point_higher_then"] == "The safety plan written and agreed with the network."
    assert "since the last conference" in str(ada["reason_now"])
    leo = next(s for s in scores if "danger statement 2" in str(s["about"]))
    assert (leo["score_then"], leo["score_now"], leo["change"]) == ("3", "3", "No change")


def test_a_score_given_last_time_and_not_now_is_still_listed(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """Someone who scored at the last conference and not this time is not silently dropped."""
    initial, review = cases
    fewer = dataclasses.replace(review, scaling=review.scaling[:-2])  # Mia and Leo's D2 score gone
    history = CaseHistory((EarlierConference("initial.xlsx", initial),))
    scores = items(build_context(fewer, SETTINGS, history), "progress_scores")
    mia = next(s for s in scores if s["participant"] == "Mia Hartley")
    assert (mia["score_then"], mia["score_now"], mia["change"]) == ("6", "", "Not scored this time")


def test_the_chart_has_a_line_per_person_and_says_so_in_words(
    review_context: dict[str, object],
) -> None:
    """The chart is a PNG, and its caption says the scores come from the mapping for each
    conference (this one is still to be held), never that they were given on its day."""
    picture = review_context["score_history_picture"]
    assert isinstance(picture, Picture) and picture.data.startswith(b"\x89PNG")
    assert review_context["score_history_caption"] == (
        "Each person's overall score in the mapping for each of the 2 conferences, from the "
        "conference of 27 November 2026 to this one on 19 February 2027 (the last is the "
        "mapping for this conference, 10 February 2027)."
    )
    assert "the last point is this conference" not in str(review_context["score_history_caption"])


def test_the_charts_alt_text_is_short_and_names_people_as_the_scale_does(
    review_context: dict[str, object],
) -> None:
    """The chart's alt text gives the span once, then each line's first and last score, by the
    names the scale picture uses (a child by Known as): short enough to listen to."""
    picture = review_context["score_history_picture"]
    scale = review_context["scale_picture"]
    assert isinstance(picture, Picture) and isinstance(scale, Picture)
    assert picture.description == (
        "Scores from 27 Nov 2026 to 19 Feb 2027: Ada Okafor 4 to 6; Kerry Hartley 7 to 8; "
        "Dean Hartley 6 to 7; Sandra Price 5 to 7; Tom Whitfield 5 to 6; Mia 6 to 8."
    )
    on_scale = [part.split(": ")[0] for part in scale.description.split(". ", 1)[1].split("; ")]
    assert on_scale == [
        "Ada Okafor",
        "Kerry Hartley",
        "Dean Hartley",
        "Sandra Price",
        "Tom Whitfield",
        "Mia",
    ]
    for name in on_scale:
        assert f"; {name} " in picture.description or f": {name} " in picture.description
    assert len(picture.description) <= 200


def test_a_review_with_no_history_says_no_earlier_scores_are_known(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """No earlier workbook and no Previous scaling: the sentence says so, and there is no chart."""
    context = build_context(cases[1], SETTINGS, CaseHistory())
    assert context["progress_shown"] is True and context["progress_known"] is False
    assert str(context["progress_sentence"]).startswith(NO_EARLIER)
    assert context["score_history_picture"] == "" and context["progress_dangers"] == []
    scores = items(context, "progress_scores")
    assert {s["change"] for s in scores} == {"No earlier score"}


def test_previous_scaling_alone_gives_the_earlier_scores_and_the_chart(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """Scores from before sos-docs (the Previous scaling sheet) are compared and charted."""
    review = cases[1]
    ada = PersonRef("Ada Okafor", "P5")
    rows = (
        PreviousScore(dt.date(2026, 8, 1), ada, 2),
        PreviousScore(dt.date(2026, 11, 27), ada, 4),
        PreviousScore(
            dt.date(2026, 11, 27),
            ada,
            1,
            danger_statement="D2",
            child=PersonRef("Leo Hartley", "C2", True),
        ),
    )
    context = build_context(
        dataclasses.replace(review, previous_scaling=rows), SETTINGS, CaseHistory()
    )
    assert context["progress_known"] is True
    assert "Previous scaling sheet" in str(context["progress_sentence"])
    assert context["last_conference_date"] == ""
    scores = items(context, "progress_scores")
    overall = next(
        s for s in scores if s["participant"] == "Ada Okafor" and s["about"] == "All the children"
    )
    assert (overall["score_then"], overall["change"]) == ("4", "Up 2")
    leo = next(s for s in scores if "danger statement 2" in str(s["about"]))
    assert (leo["score_then"], leo["score_now"]) == ("1", "3")
    picture = context["score_history_picture"]
    assert isinstance(picture, Picture)
    assert picture.description.startswith(
        "Scores from 1 Aug 2026 to 19 Feb 2027: Ada Okafor 2, 4, 6;"
    )
    assert "Kerry Hartley 8 (only 19 Feb 2027)" in picture.description
    assert overall["then_for"] == "From the Previous scaling sheet, dated 27 November 2026"


def test_a_previous_scaling_score_not_given_this_time_is_still_listed(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """Someone who scored at the last conference (Previous scaling) and not now is listed as
    not scored this time, as with an earlier workbook: no score silently drops out."""
    review = cases[1]
    old_worker = PersonRef("Bob Stone")  # a social worker who has left the case
    rows = (PreviousScore(dt.date(2026, 11, 27), old_worker, 3),)
    context = build_context(
        dataclasses.replace(review, previous_scaling=rows), SETTINGS, CaseHistory()
    )
    bob = next(s for s in items(context, "progress_scores") if s["participant"] == "Bob Stone")
    assert (bob["score_then"], bob["score_now"], bob["change"]) == ("3", "", "Not scored this time")


def test_other_meetings_show_no_progress_even_with_history(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """An initial conference never shows a progress section or a chart."""
    initial, _ = cases
    context = build_context(initial, SETTINGS, CaseHistory((EarlierConference("x", initial),)))
    assert context["progress_shown"] is False and context["progress_sentence"] == ""
    assert context["score_history_picture"] == "" and context["progress_scores"] == []


def test_the_rendered_review_report_has_the_section_and_the_chart_with_alt_text(
    review_context: dict[str, object],
) -> None:
    """The report's progress section prints, and the chart's picture carries its description
    (as the scale picture does its own)."""
    data = render_document(template_path(DEFAULT_CONFIG, REPORT), review_context).data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
    assert "Progress since the last conference" in body
    assert "Scores at each conference" in body
    described = re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', body)
    assert [d.split(" ", 2)[:2] for d in described] == [["A", "scale"], ["Scores", "from"]]


def test_the_scores_table_calls_the_reason_why_they_score_it_now(
    review_context: dict[str, object],
) -> None:
    """The last column holds each person's reason for today's score, and says so."""
    rows = table_after(rendered_blocks(review_context), "Scores then and now")
    assert rows[0][-1] == "Why they score it now"


def test_which_conference_then_is_said_once_in_the_column_heading(
    review_context: dict[str, object],
) -> None:
    """ "Then" names the last conference once, in its heading; its cells are the scores alone,
    not the same conference repeated on every row."""
    rows = table_after(rendered_blocks(review_context), "Scores then and now")
    assert rows[0][2] == "Then (for the initial conference on 27 November 2026)"
    ada = next(row for row in rows[1:] if row[0] == "Ada Okafor")
    assert ada[2].strip() == "4"
    assert not any("conference" in row[2] for row in rows[1:])


def test_a_score_from_another_time_than_the_heading_says_so_in_its_cell(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """A person's latest earlier score from another time than the last conference (here a
    Previous scaling row of August, for someone not scored at the last conference) says where
    it is from in its own cell; the scores from the last conference say nothing more."""
    initial, review = cases
    piotr = PersonRef("Piotr Nowak")  # scores now, and last scored in August
    now = dataclasses.replace(review.scaling[0], participant=piotr, score=5)
    context = build_context(
        dataclasses.replace(
            review,
            scaling=(*review.scaling, now),
            previous_scaling=(PreviousScore(dt.date(2026, 8, 1), piotr, 3),),
        ),
        SETTINGS,
        CaseHistory((EarlierConference("initial.xlsx", initial),)),
    )
    heading = "Then (for the initial conference on 27 November 2026)"
    assert context["progress_then_heading"] == heading
    notes = {str(s["participant"]): s["then_note"] for s in items(context, "progress_scores")}
    assert notes["Piotr Nowak"] == "From the Previous scaling sheet, dated 1 August 2026"
    assert {note for name, note in notes.items() if name != "Piotr Nowak"} == {""}


def test_the_rendered_initial_report_has_no_progress_section(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """An initial conference's report leaves the whole section and the chart out."""
    context = build_context(cases[0], SETTINGS)
    data = render_document(template_path(DEFAULT_CONFIG, REPORT), context).data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
    assert "Progress since the last conference" not in body and 'descr="Scores' not in body


def fifty_conferences(initial: MappingCase, review: MappingCase) -> CaseHistory:
    """Fifty earlier conferences of the family, a month apart, the scores wandering."""
    earlier = []
    for number in range(50):
        day = dt.date(2022, 1, 10) + dt.timedelta(days=30 * number)
        details = dataclasses.replace(initial.details, meeting_date=day, mapping_date=day)
        scaling = tuple(
            dataclasses.replace(s, score=(s.score + number * (k + 1)) % 11)
            for k, s in enumerate(initial.scaling)
        )
        case = dataclasses.replace(initial, details=details, scaling=scaling)
        earlier.append(EarlierConference(f"processed/{number}.xlsx", case))
    return CaseHistory(tuple(earlier))


def test_fifty_conferences_make_a_readable_chart_quickly(
    cases: tuple[MappingCase, MappingCase], tmp_path: Path
) -> None:
    """51 conferences: one chart, printable width, labels thinned, in well under a second."""
    initial, review = cases
    history = fifty_conferences(initial, review)
    started = time.perf_counter()
    context = build_context(review, SETTINGS, history)
    took = time.perf_counter() - started
    picture = context["score_history_picture"]
    assert isinstance(picture, Picture) and picture.size is not None
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.size == picture.size and image.size[0] == 1800 and image.size[1] < 1400
    (tmp_path / "fifty.png").write_bytes(picture.data)
    assert picture.description.startswith("Scores from 10 Jan 2022 to 19 Feb 2027: Ada Okafor ")
    assert "between 0 and 10" in picture.description and len(picture.description) < 600
    assert took < 2.0, took


@given(
    count=st.integers(min_value=1, max_value=400),
    step=st.floats(min_value=1, max_value=2000),
    label=st.floats(min_value=10, max_value=400),
)
def test_date_labels_never_overlap_and_keep_the_first_and_last(
    count: int, step: float, label: float
) -> None:
    """However many conferences, the labels shown are far enough apart; the last is always shown,
    the first whenever there is room for both."""
    shown = shown_dates(count, step, label)
    assert shown[-1] == count - 1
    assert shown[0] == 0 or (count - 1) * step < label + LABEL_GAP
    for left, right in itertools.pairwise(shown):
        assert (right - left) * step >= label + LABEL_GAP


def test_docs_has_the_score_chart_of_the_example_review() -> None:
    """docs/score-history.png exists, is a PNG and is the width sos-docs draws."""
    with Image.open(ROOT / "docs/score-history.png") as image:
        assert image.format == "PNG" and image.size[0] == 1800


def test_the_chart_is_bounded_however_many_people_and_days_the_history_names(
    cases: tuple[MappingCase, MappingCase],
) -> None:
    """Thousands of Previous scaling rows, each a different person on a different day (an
    attacker's 3 GB chart): the chart draws the latest conferences and at most a few lines,
    says how many people are left out, and stays a small picture."""
    review = cases[1]
    rows = tuple(
        PreviousScore(dt.date(2000, 1, 1) + dt.timedelta(days=n), PersonRef(f"Person {n}"), n % 11)
        for n in range(3000)
    )
    context = build_context(
        dataclasses.replace(review, previous_scaling=rows), SETTINGS, CaseHistory()
    )
    picture = context["score_history_picture"]
    assert isinstance(picture, Picture)
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.width == 1800 and image.height < 2000
    caption = str(context["score_history_caption"])
    assert "more people who scored only at earlier conferences are not drawn" in caption
    assert f"each of the {progress.MAX_CHART_CONFERENCES} conferences" in caption
    described = picture.description
    assert (
        f"and {progress.MAX_CHART_LINES - progress.MAX_DESCRIBED_PEOPLE} more people" in described
    )
    assert len(described) < 1000
