"""Review workbooks for tests: the example family's initial conference and later reviews.

`review_book()` is the example family three months on, at a review conference: the same
children and people, the plan under way (next steps moved on, scores higher), so the review's
progress section has something to compare. `later_review_book(n)` makes the n-th review after it
for long histories. Everyone is invented, as in the example.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sos_docs.model import REVIEW_CONFERENCE, CaseHistory, EarlierWorkbook, MappingCase
from sos_docs.pipeline import check_workbook
from sos_docs.workbook.history import read_history
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

INITIAL_TODAY = EXAMPLE_TODAY
REVIEW_MEETING = dt.date(2027, 2, 19)
REVIEW_MAPPING = dt.date(2027, 2, 10)
REVIEW_TODAY = dt.date(2027, 2, 20)  # the day the review is read on in tests
REVIEW_SCORES = {"P5": 6, "P1": 8, "P2": 7, "P3": 7, "P6": 6, "C1": 8}


def initial_book() -> WorkbookBuilder:
    """The example family's initial child protection conference, as the example has it."""
    return WorkbookBuilder()


def review_book(
    meeting: dt.date = REVIEW_MEETING, scores: dict[str, int] | None = None
) -> WorkbookBuilder:
    """The same family at a review conference on `meeting` (mapped nine days before)."""
    scores = scores if scores is not None else REVIEW_SCORES
    mapping = meeting - dt.timedelta(days=9)
    book = WorkbookBuilder()
    book.set_case("Meeting type", REVIEW_CONFERENCE)
    book.set_case("Meeting date", meeting)
    book.set_case("Mapping date", mapping)
    book.set_case("Recommendation", "Continue child protection plan")
    book.set_case("Shared with parents on", meeting - dt.timedelta(days=7))
    book.set_case("Review date", meeting + dt.timedelta(days=91))
    book.set_case(
        "Reason for report",
        "This report tells the review conference how the plan for Mia and Leo has gone since "
        "the initial conference.",
    )
    for index in range(len(book.rows("Children"))):
        book.update_row("Children", index, Legal_status="Child protection plan")
    steps = book.rows("Next steps")
    for step in steps:
        step["By when"] = mapping + dt.timedelta(days=28)
    steps[0]["Status"] = "Done"  # the safety plan was written
    steps[1]["Status"] = "Done"
    steps[3]["Status"] = "In progress"
    del steps[4]  # the nursery visit was done and is no longer a step
    book.add_row(
        "Next steps",
        Action="Review the safety plan with the network every month.",
        Who="P5",
        By_when=mapping + dt.timedelta(days=30),
        Safety_goal="G1",
        Status="Not started",
    )
    book.update_row(
        "Danger statements",
        1,
        Statement=(
            "Children's services are worried that when Kerry and Dean have been drinking there "
            "may be no adult sober enough to look after Leo at night, and he could get hurt."
        ),
    )
    for row in book.rows("Scaling"):
        if not row.get("Danger statement") and row["Participant"] in scores:
            row["Score"] = scores[row["Participant"]]
            row["Reason"] = (
                f"What happened since the last conference, as {row['Participant']} sees it."
            )
    for row in book.rows("Child's views"):
        row["Date"] = mapping - dt.timedelta(days=3)
    return book


# A review the service and the command line can process today: before any real clock date
# these tests run on (the example family's dates are in November 2026).
PAST_REVIEW_MEETING = dt.date(2026, 11, 30)


def history_books(count: int, last_meeting: dt.date = PAST_REVIEW_MEETING) -> list[WorkbookBuilder]:
    """`count` conferences of the family, two weeks apart, ending the day before `last_meeting`,
    oldest first: the initial conference, then reviews, the scores wandering up and down."""
    books = []
    for number in range(count):
        meeting = last_meeting - dt.timedelta(days=14 * (count - number))
        scores = {key: (base + number + (number % 3)) % 11 for key, base in REVIEW_SCORES.items()}
        book = review_book(meeting, scores)
        if number == 0:
            book.set_case("Meeting type", "Initial child protection conference")
            book.set_case("Recommendation", "Child protection plan")
        books.append(book)
    return books


def renamed_children(book: WorkbookBuilder, *names: str) -> WorkbookBuilder:
    """The children given other names, every reference to them by name turned into their ID."""
    old = {row["Name"]: row["ID"] for row in book.rows("Children")}
    for index, name in enumerate(names):
        book.update_row("Children", index, Name=name, Known_as=None)
    for sheet in ("Harm", "Child's views", "Scaling"):
        for row in book.rows(sheet):
            for column in ("Children", "Child", "Participant"):
                value = row.get(column)
                if isinstance(value, str):
                    row[column] = ", ".join(old.get(v.strip(), v.strip()) for v in value.split(","))
    return book


def other_family_book() -> WorkbookBuilder:
    """Another family's initial conference filed under the example family's case reference."""
    return renamed_children(initial_book(), "Tran Van An", "Tran Thi Binh")


def review_with_history(folder: Path) -> tuple[MappingCase, CaseHistory]:
    """The review, validated, and its history: the initial conference written under `folder`."""
    initial = initial_book().write(folder / "initial.xlsx")
    review = review_book().write(folder / "review.xlsx")
    validation = check_workbook(review, today=REVIEW_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    history = read_history(validation.case, [EarlierWorkbook(initial, "processed/initial.xlsx")])
    assert not history.warnings and history.earlier, history
    return validation.case, history
