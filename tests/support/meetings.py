"""Format 2 workbooks for each kind of meeting, built on the example with WorkbookBuilder.

Each function returns a builder a test can change further before writing it:

    book = review_conference()
    book.update_row("Children", 0, Recommendation="End plan: child in need plan")
"""

from __future__ import annotations

import datetime as dt

from tests.support.builders import WorkbookBuilder


def format_2(book: WorkbookBuilder) -> WorkbookBuilder:
    """Mark a workbook as format 2 (the Case sheet's Format value), starting from the example's
    plain map: no Known as, own decisions, links to some children, disputes, views or sign-off."""
    return book.plain().set_case("Format", 2)


def review_conference() -> WorkbookBuilder:
    """The example family's review: both children on a plan that continues, signed off, with
    each parent's own view of the worries and a harm row Dean disputes."""
    book = format_2(WorkbookBuilder())
    book.set_case("Meeting type", "Review child protection conference")
    book.set_case("Recommendation", "Continue child protection plan")
    book.set_case("Report date", dt.date(2026, 11, 23))
    book.set_case("Manager name", "Joan Pryce")
    book.set_case("Manager role", "Team manager")
    book.set_case("Manager approved on", dt.date(2026, 11, 23))
    for index in (0, 1):
        book.update_row(
            "Children",
            index,
            Legal_status="Child protection plan",
            Plan_start_date=dt.date(2026, 8, 27),
        )
    book.update_row(
        "Harm",
        1,
        Disputed_by="P2",
        Their_account="Dean says the glass broke when he dropped it; Kerry did not hit him.",
    )
    book.add_row("Family's views", Person="P1", About="D1", View="Agree")
    book.add_row(
        "Family's views",
        Person="P2",
        About="D1",
        View="Disagree",
        Their_words="The children were upstairs asleep. They never saw us fight.",
    )
    book.add_row(
        "Family's views",
        Person="P1",
        View="Partly agree",
        Their_words="We need help with the drinking, not a plan.",
    )
    harm_row = book.header_row("Harm") + 2  # the second harm, the one Dean disputes
    book.add_row("Family's views", Person="P1", About=str(harm_row), View="Agree")
    book.add_row(
        "Next steps",
        Action="Send the family the conference's decision in writing.",
        Who="P5",
        By_when=dt.date(2026, 12, 4),
        Status="Not started",
    )
    return book


SIBLINGS = (
    ("C1", "Nguyen Thi Lan", "Lan", dt.date(2012, 5, 2), "Female"),
    ("C2", "Nguyen Van Minh", "Minh", dt.date(2014, 1, 19), "Male"),
    ("C3", "Tuan Nguyen", "", dt.date(2016, 9, 8), "Male"),
    ("C4", "Nguyen Thi Hoa", "Hoa", dt.date(2019, 3, 30), "Female"),
    ("C5", "Nguyen Van An", "An", dt.date(2021, 6, 11), "Male"),
)


def sibling_group() -> WorkbookBuilder:
    """Five children aged 5 to 14 with two recommendations: the three youngest a plan under
    neglect and physical abuse, the two eldest a child in need plan. Their father, Dr Tran,
    is the father of the youngest only and needs an interpreter."""
    book = format_2(WorkbookBuilder())
    book.set_case("Recommendation", "Child protection plan")
    book.set_case("Category of harm", "Multiple")
    book.set_case("Categories", "Neglect, Physical abuse")
    book.clear("Children")
    for child_id, name, known_as, born, gender in SIBLINGS:
        book.add_row(
            "Children",
            ID=child_id,
            Name=name,
            Known_as=known_as or None,
            Date_of_birth=born,
            Gender=gender,
            Ethnicity="Vietnamese",
            First_language="Vietnamese",
            Legal_status="None",
        )
    for child_id in ("C1", "C2"):
        index = int(child_id[1]) - 1
        book.update_row("Children", index, Recommendation="Child in need plan")
    people = book.rows("People")
    people[0].update({"Name": "Nguyen Thi Mai", "Name the children use": "Me"})
    people[1].update(
        {
            "Name": "Dr Tran Van Hung",
            "Relationship": "Father",
            "Children": "C5",
            "Name the children use": "Bo",
            "First language": "Vietnamese",
            "Interpreter needed": "Yes",
        }
    )
    # The example's rows name Mia and Leo: point them at the siblings instead.
    for row in book.rows("Harm"):
        row["Children"] = "C4" if row["Children"] == "C1" else "C5"
    book.clear("Child's views")
    for child_id, name, known_as, _, _ in SIBLINGS:
        called = known_as or name
        book.add_row(
            "Child's views",
            Child=child_id,
            Method="Three houses",
            Date=dt.date(2026, 11, 10),
            Seen_alone="Yes",
            Worries=f"{called}: when Bo shouts at Me.",
            Good_things=f"{called}: playing football in the park.",
            Dreams=f"{called}: everyone eating together.",
            Consent_to_share="Yes",
        )
        book.add_row(
            "Scaling",
            Participant="P5",
            Child=child_id,
            Score=5 if child_id in ("C1", "C2") else 3,
            Reason=f"What the social worker knows of {called}'s days at home.",
        )
    return book.unlink_missing_children()


def pre_birth_conference(with_sibling: bool = False) -> WorkbookBuilder:
    """A pre-birth conference about an unborn baby (and, when asked, a born sister, Mia, who
    keeps her views, score and story), with a birth and discharge plan."""
    book = format_2(WorkbookBuilder())
    book.set_case("Meeting type", "Pre-birth conference")
    children = book.rows("Children")
    baby = {"ID": "C2", "Name": "Baby Hartley", "Expected_due_date": dt.date(2027, 2, 14)}
    if with_sibling:
        children[1:] = [{"ID": "C2", "Name": "Baby Hartley", "Legal status": "None"}]
        book.update_row("Children", 1, Expected_due_date=baby["Expected_due_date"])
        book.rows("Child's views")[1:] = []
        for row in book.rows("Scaling"):
            if row.get("Child") == "C2":
                row.pop("Child")
        for row in book.rows("Harm"):
            row["Children"] = "C1"
    else:
        children[:] = [{"ID": "C1", "Name": "Baby Hartley", "Legal status": "None"}]
        book.update_row("Children", 0, Expected_due_date=baby["Expected_due_date"])
        book.clear("Child's views")
        book.clear("Words and pictures")
        book.rows("Safety plan")[:] = [r for r in book.rows("Safety plan") if r["Who"] != "C1"]
        book.rows("Scaling")[:] = [r for r in book.rows("Scaling") if r["Participant"] != "C1"]
        for row in book.rows("Scaling"):
            row.pop("Child", None)
        for row in book.rows("Harm"):
            row["Children"] = None
    book.add_row(
        "Birth plan",
        Arrangement="Kerry will give birth at Northbrook General; the ward knows the plan.",
        Who="P7",
        When="At the birth",
    )
    book.add_row(
        "Birth plan",
        Arrangement="Nanna Sandra stays with Kerry and the baby for the first two weeks at home.",
        Who="P3",
        When="The first two weeks",
    )
    return book.unlink_missing_children()


def core_group_meeting(with_story: bool = True) -> WorkbookBuilder:
    """The example family's core group meeting: no recommendation, no category, no sharing."""
    book = format_2(WorkbookBuilder())
    book.set_case("Meeting type", "Core group meeting")
    book.set_case("Meeting date", dt.date(2026, 11, 27))
    for label in ("Recommendation", "Category of harm", "Shared with parents on"):
        book.set_case(label, None)
    if not with_story:
        book.clear("Words and pictures")
        book.clear("Safety plan")
    return book
