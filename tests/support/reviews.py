"""Review workbooks for tests: the example family's initial conference and later reviews.

`review_book()` is the example family three months on, at a review conference: the same
children and people, the plan under way (next steps moved on, scores higher), so the review's
progress section has something to compare. `later_review_book(n)` makes the n-th review after it
for long histories. Everyone is invented, as in the example.
"""

from __future__ import annotations

import datetime as dt

from sos_docs.model import REVIEW_CONFERENCE
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
            row["Reason"] = f"What happened since the last conference, as {row['Participant']} sees it."
    for row in book.rows("Child's views"):
        row["Date"] = mapping - dt.timedelta(days=3)
    return book
