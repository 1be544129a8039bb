"""Scenario workbooks of real conferences to show, as WorkbookBuilders dated from a day.

Each function takes the day the workbook is made (`today`) and gives a builder whose mapping date
is before it and whose next steps are after the mapping date, so it is valid that day. Everyone
in them is invented. `SCENARIOS` lists them in the order the showcase renders them: the example
family's initial conference and its review (the review after the initial, which it looks back
on), a five-child sibling group with two recommendations, a pre-birth conference and a core
group meeting.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable

from sos_docs.workbook import example
from tests.support.builders import Row, WorkbookBuilder

Scenario = Callable[[dt.date], WorkbookBuilder]

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)


def _born(today: dt.date, years: int) -> dt.date:
    """A date of birth making a child `years` old on `today`, a few weeks or months past their
    birthday (each age a different day, so siblings are not all born on one date)."""
    return today - dt.timedelta(days=365 * years + 40 + 20 * years)


def _case_dates(today: dt.date) -> Row:
    """Mapped ten days ago, signed and approved, shared two weeks before a meeting in a week."""
    meeting = today + WEEK
    shared = meeting - 2 * WEEK
    return {
        "Meeting date": meeting,
        "Mapping date": shared - 3 * DAY,
        "Report date": shared - 2 * DAY,
        "Manager name": "Helen Marsh",
        "Manager role": "Team Manager",
        "Manager approved on": shared - DAY,
        "Shared with parents on": shared,
        "Review date": meeting + 12 * WEEK,
        "Format": 2,
    }


def _builder(case: Row, tables: dict[str, list[Row]]) -> WorkbookBuilder:
    book = WorkbookBuilder(empty=True)
    book.case = copy.deepcopy(case)
    book.tables = copy.deepcopy(tables)
    return book


# --------------------------------------------------------------------------------------------
# The example family


def example_initial(today: dt.date) -> WorkbookBuilder:
    """The example family's initial conference, as the demo makes it: twelve weeks before today."""
    stage = example.INITIAL
    return _builder(*example.example_rows(example.made_on(today, stage), stage))


def example_review(today: dt.date) -> WorkbookBuilder:
    """The example family's review conference, meeting a week from today."""
    stage = example.REVIEW
    return _builder(*example.example_rows(example.made_on(today, stage), stage))


# --------------------------------------------------------------------------------------------
# A five-child sibling group: two fathers, two recommendations, family-name-first names


def five_siblings(today: dt.date) -> WorkbookBuilder:
    """Five children aged 5 to 14: Duc's three stay on a child in need plan, Darren's two boys
    are recommended a child protection plan; Known as carries each child's name."""
    mapped = _case_dates(today)["Mapping date"]
    assert isinstance(mapped, dt.date)
    case: Row = {
        "Case reference": "CP-2026-0587",
        "Local authority": "Northbrook Council",
        "Team": "Eastgate Safeguarding Team",
        "Meeting type": "Initial child protection conference",
        "Report author": "P4",
        "Author role": "Social Worker",
        "Author agency": "Northbrook Children's Services",
        "Author contact": "07700 900587",
        "Reason for report": (
            "Jayden told his teacher that Darren hit him with a belt, and the school found "
            "bruises on his legs. This report brings together what everyone knows about the "
            "five children so the conference can decide what each of them needs."
        ),
        "Recommendation": "Child protection plan",
        "Category of harm": "Physical abuse",
        "Words and pictures agreed by parents": "Yes",
        **_case_dates(today),
    }
    need: Row = {"Recommendation": "Child in need plan"}
    children = [
        _child("C1", "Nguyen Minh Anh", "Minh Anh", _born(today, 14), "Female", need),
        _child("C2", "Nguyen Van Bao", "Bao", _born(today, 11), "Male", need),
        _child("C3", "Nguyen Thi Hoa", "Hoa", _born(today, 9), "Female", need),
        _child("C4", "Jayden Clarke", "Jayden", _born(today, 7), "Male", {}),
        _child("C5", "Mason Clarke", "Mason", _born(today, 5), "Male", {}),
    ]
    people: list[Row] = [
        {
            "ID": "P1",
            "Name": "Tran Thi Lan",
            "Relationship": "Mother",
            "Role": "Parent",
            "Lives with the children": "Yes",
            "Parental responsibility": "Yes",
            "Safety network": "No",
            "Name the children use": "Mẹ",
            "First language": "Vietnamese",
            "Interpreter needed": "Yes",
        },
        {
            "ID": "P2",
            "Name": "Nguyen Van Duc",
            "Relationship": "Father",
            "Role": "Parent",
            "Lives with the children": "No",
            "Parental responsibility": "Yes",
            "Safety network": "Yes",
            "Knows the worries": "Yes",
            "Name the children use": "Bố",
            "Children": "C1, C2, C3",
            "First language": "Vietnamese",
            "Interpreter needed": "No",
        },
        {
            "ID": "P3",
            "Name": "Darren Clarke",
            "Relationship": "Father",
            "Role": "Parent",
            "Lives with the children": "Yes",
            "Parental responsibility": "Yes",
            "Safety network": "No",
            "Name the children use": "Dad",
            "Children": "C4, C5",
        },
        {
            "ID": "P4",
            "Name": "Rosa Kowalczyk",
            "Relationship": "Allocated social worker",
            "Role": "Professional",
            "Agency": "Northbrook Children's Services",
            "Name the children use": "Rosa",
        },
        {
            "ID": "P5",
            "Name": "Gail Foster",
            "Relationship": "Designated safeguarding lead",
            "Role": "Professional",
            "Agency": "Eastgate Primary School",
            "Children": "C2, C3, C4, C5",
        },
        {
            "ID": "P6",
            "Name": "Tran Thi Mai",
            "Relationship": "Maternal aunt",
            "Role": "Family",
            "Lives with the children": "No",
            "Safety network": "Yes",
            "Knows the worries": "Yes",
            "Name the children use": "Dì Mai",
        },
    ]
    harm: list[Row] = [
        {
            "Date": mapped - 20 * DAY,
            "What happened": (
                "Jayden had four long bruises on the back of his legs. He told his teacher "
                "Darren hit him with a belt because he would not go to bed."
            ),
            "Impact on the child": "Jayden could not sit down in class and cried when PE began.",
            "Children": "C4",
            "Source": "Child said",
            "Disputed by": "P3",
            "Their account": "I smacked him once with my hand. I never used a belt.",
        },
        {
            "Date": mapped - 12 * DAY,
            "What happened": (
                "Minh Anh was at home alone with her four brothers and sister until 11pm while "
                "Lan worked a late shift; Mason burnt his hand on the kettle."
            ),
            "Impact on the child": "Mason's hand was dressed at the walk-in centre.",
            "Children": "C1, C5",
            "Source": "Reported",
        },
    ]
    dangers: list[Row] = [
        {
            "ID": "D1",
            "Statement": (
                "Children's services and the school are worried that when Darren is angry he "
                "may hit Jayden and Mason with a belt again, and they could be badly hurt and "
                "grow up frightened in their own home."
            ),
        },
        {
            "ID": "D2",
            "Statement": (
                "Children's services are worried that Minh Anh may be left looking after the "
                "younger children late at night with no adult there, and one of them could be "
                "hurt, and Minh Anh could fall behind at school from being so tired."
            ),
        },
    ]
    views: list[Row] = [
        {"Person": "P1", "About": "D1", "View": "Agree", "Their words": "He must not hit them."},
        {
            "Person": "P3",
            "About": "D1",
            "View": "Disagree",
            "Their words": "I lost my temper once. I would never hurt my boys.",
        },
        {
            "Person": "P1",
            "About": "D2",
            "View": "Partly agree",
            "Their words": "I have to work. Minh Anh is sensible, but she is only fourteen.",
        },
        {"Person": "P3", "About": "D2", "View": "Agree", "Their words": "Lan works too late."},
        {"Person": "P2", "View": "Agree", "Their words": "The children can stay with me."},
    ]
    tables: dict[str, list[Row]] = {
        "Children": children,
        "People": people,
        "Agency involvement": [
            {
                "Agency": "Eastgate Primary School",
                "Worker": "Gail Foster",
                "Involved since": mapped - 400 * DAY,
                "What support": "Breakfast club for Hoa, Jayden and Mason.",
                "Child last seen": mapped - DAY,
            }
        ],
        "Harm": harm,
        "Danger statements": dangers,
        "Family's views": views,
        "Complicating factors": [
            {"Factor": "Lan works late shifts and speaks little English; letters go unread."}
        ],
        "Grey areas": [{"Question or unknown": "Whether Darren has hit the girls or Bao."}],
        "Working well": [
            {
                "Type": "Existing safety",
                "What is working well": (
                    "When Darren shouted at Mason last week, Lan took the boys to Dì Mai's for "
                    "the night."
                ),
                "Who": "P1",
                "Danger statement": "D1",
            },
            {
                "Type": "Existing strength",
                "What is working well": "Duc has the older three every weekend and helps with homework.",
                "Who": "P2",
            },
        ],
        "Safety goals": [
            {
                "ID": "G1",
                "Danger statement": "D1",
                "Goal": "Jayden and Mason are safe at home and no adult hits them.",
                "Sustained for": 6,
            },
            {
                "ID": "G2",
                "Danger statement": "D2",
                "Goal": "An adult is always at home in the evening when the children are.",
                "Sustained for": 6,
            },
        ],
        "Next steps": [
            {
                "Action": "Darren starts the Northbrook parenting course.",
                "Who": "P3",
                "By when": mapped + 3 * WEEK,
                "Safety goal": "G1",
                "Status": "Not started",
            },
            {
                "Action": "Agree with Dì Mai and Duc who is home on Lan's late shifts.",
                "Who": "P4",
                "By when": mapped + 2 * WEEK,
                "Safety goal": "G2",
                "Status": "In progress",
            },
        ],
        "Scaling": [
            {"Participant": "P4", "Score": 3, "Reason": "Bruising and a burn in three weeks."},
            {"Participant": "P1", "Score": 6, "Reason": "Mai and Duc are helping now."},
            *(
                {"Participant": f"C{n}", "Child": f"C{n}", "Score": score, "Reason": reason}
                for n, score, reason in (
                    (1, 5, "I'm tired of being in charge."),
                    (2, 7, "Home is OK for me."),
                    (3, 6, "I don't like the shouting."),
                    (4, 2, "Dad hits."),
                    (5, 4, "My hand hurt."),
                )
            ),
        ],
        "Child's views": [
            _view(f"C{n}", mapped - 3 * DAY, worries, good)
            for n, worries, good in (
                (1, "Looking after everyone at night.", "My friends, drawing."),
                (2, "Nothing really.", "Football with Bố."),
                (3, "When Dad shouts at Jayden.", "Dì Mai's cooking."),
                (4, "The belt.", "Swimming, my brothers."),
                (5, "The kettle.", "Dinosaurs."),
            )
        ],
        "Safety plan": [
            {
                "Rule": "Nobody in the house hits anyone.",
                "Words for the children": "Nobody in our house hits anyone. Ever.",
                "Who": "P3",
                "When": "Always",
            },
            {
                "Rule": "Dì Mai or Bố is home when Mẹ works late.",
                "Words for the children": "When Mẹ works late, Dì Mai or Bố is at home with us.",
                "Who": "P6",
                "When": "Late shifts",
            },
        ],
        "Words and pictures": [
            {"Page": 1, "Heading": "Our family", "Words": "Minh Anh, Bao, Hoa, Jayden and Mason."},
            {"Page": 2, "Heading": "What happened", "Words": "Dad hit Jayden with a belt."},
        ],
    }
    return _builder(case, tables)


def _child(child_id: str, name: str, known_as: str, born: dt.date, gender: str, own: Row) -> Row:
    return {
        "ID": child_id,
        "Name": name,
        "Known as": known_as,
        "Date of birth": born,
        "Gender": gender,
        "Ethnicity": "Vietnamese" if name.startswith("Nguyen") else "Mixed White and Asian",
        "First language": "English",
        "Interpreter needed": "No",
        "School or setting": "Eastgate Academy" if known_as == "Minh Anh" else "Eastgate Primary",
        "Legal status": "None",
        **own,
    }


def _view(child: str, day: dt.date, worries: str, good: str) -> Row:
    return {
        "Child": child,
        "Method": "Three houses",
        "Date": day,
        "Seen alone": "Yes",
        "Worries": worries,
        "Good things": good,
        "Consent to share": "Yes",
    }


# --------------------------------------------------------------------------------------------
# A pre-birth conference: an unborn baby and a born sister


def pre_birth(today: dt.date) -> WorkbookBuilder:
    """A baby due in eight weeks and a sister of two: a birth plan, no view or score of the baby."""
    mapped = _case_dates(today)["Mapping date"]
    assert isinstance(mapped, dt.date)
    case: Row = {
        "Case reference": "CP-2026-0633",
        "Local authority": "Northbrook Council",
        "Team": "Riverside Family Support Team",
        "Meeting type": "Pre-birth conference",
        "Report author": "P3",
        "Author role": "Social Worker",
        "Author agency": "Northbrook Children's Services",
        "Reason for report": (
            "Chloe is expecting her second baby. Ruby, who is two, was found alone in the flat "
            "twice this year while Chloe was out. This report asks the conference to decide how "
            "the baby and Ruby will be kept safe."
        ),
        "Recommendation": "Child protection plan",
        "Category of harm": "Neglect",
        "Words and pictures agreed by parents": "Yes",
        **_case_dates(today),
    }
    tables: dict[str, list[Row]] = {
        "Children": [
            {
                "ID": "C1",
                "Name": "Baby Adams",
                "Expected due date": mapped + 8 * WEEK,
                "Legal status": "None",
            },
            {
                "ID": "C2",
                "Name": "Ruby Adams",
                "Known as": "Ruby",
                "Date of birth": _born(today, 2),
                "Gender": "Female",
                "School or setting": "Little Acorns Nursery",
                "Legal status": "Child in need",
            },
        ],
        "People": [
            {
                "ID": "P1",
                "Name": "Chloe Adams",
                "Relationship": "Mother",
                "Role": "Parent",
                "Lives with the children": "Yes",
                "Parental responsibility": "Yes",
                "Name the children use": "Mummy",
            },
            {
                "ID": "P2",
                "Name": "Pat Adams",
                "Relationship": "Maternal grandmother",
                "Role": "Family",
                "Safety network": "Yes",
                "Knows the worries": "Yes",
                "Name the children use": "Nana Pat",
            },
            {
                "ID": "P3",
                "Name": "Sam Okoro",
                "Relationship": "Allocated social worker",
                "Role": "Professional",
                "Agency": "Northbrook Children's Services",
            },
            {
                "ID": "P4",
                "Name": "Lucy Hale",
                "Relationship": "Community midwife",
                "Role": "Professional",
                "Agency": "Northbrook Maternity",
                "Children": "C1",
            },
        ],
        "Harm": [
            {
                "Date": mapped - 30 * DAY,
                "What happened": "A neighbour found Ruby alone in the flat at 10pm, crying.",
                "Impact on the child": "Ruby was cold and had a dirty nappy.",
                "Children": "C2",
                "Source": "Reported",
            }
        ],
        "Danger statements": [
            {
                "ID": "D1",
                "Statement": (
                    "Children's services and the midwife are worried that Chloe may go out and "
                    "leave Ruby and the new baby alone at night, and they could be hurt, cold or "
                    "hungry with no one to help them."
                ),
            }
        ],
        "Family's views": [
            {
                "Person": "P1",
                "About": "D1",
                "View": "Partly agree",
                "Their words": "I was only next door. It won't happen with the baby.",
            }
        ],
        "Working well": [
            {
                "Type": "Existing safety",
                "What is working well": "Since the second time, Nana Pat has Ruby on Friday nights.",
                "Who": "P2",
                "Danger statement": "D1",
            }
        ],
        "Safety goals": [
            {
                "ID": "G1",
                "Danger statement": "D1",
                "Goal": "Ruby and the baby always have an adult with them, day and night.",
                "Sustained for": 6,
            }
        ],
        "Next steps": [
            {
                "Action": "Agree the birth and discharge plan with Chloe and the midwife.",
                "Who": "P3",
                "By when": mapped + 2 * WEEK,
                "Safety goal": "G1",
                "Status": "In progress",
            }
        ],
        "Scaling": [
            {"Participant": "P3", "Score": 3, "Reason": "Two nights alone; the baby is due soon."},
            {"Participant": "P1", "Score": 7, "Reason": "My mum is helping me now."},
            {
                "Participant": "P3",
                "Child": "C2",
                "Score": 4,
                "Reason": "Ruby is too small to get help.",
            },
        ],
        "Child's views": [
            {
                "Child": "C2",
                "Method": "Observation",
                "Date": mapped - 2 * DAY,
                "Seen alone": "No",
                "Good things": "Ruby ran to Nana Pat and showed her the baby's cot.",
            }
        ],
        "Birth plan": [
            {"Arrangement": "Chloe tells the midwife and Sam when labour starts.", "Who": "P1"},
            {
                "Arrangement": "Nana Pat looks after Ruby while Chloe is in hospital.",
                "Who": "P2",
                "When": "From the start of labour",
            },
            {
                "Arrangement": "A discharge meeting on the ward before Chloe and the baby go home.",
                "Who": "P4",
                "When": "Before discharge",
            },
        ],
        "Words and pictures": [
            {
                "Page": 1,
                "Heading": "Ruby's family",
                "Words": "Ruby lives with Mummy. A baby is coming.",
            }
        ],
    }
    return _builder(case, tables)


# --------------------------------------------------------------------------------------------
# A core group meeting: the example family between the conferences


def core_group(today: dt.date) -> WorkbookBuilder:
    """The example family's core group meeting on today's map: no recommendation, category,
    sharing or manager approval asked of a record of the mapping."""
    book = example_review(today)
    for label in ("Recommendation", "Category of harm", "Shared with parents on", "Review date"):
        book.case.pop(label, None)
    for label in ("Manager name", "Manager role", "Manager approved on", "Report date"):
        book.case.pop(label, None)
    book.case["Meeting type"] = "Core group meeting"
    book.case["Reason for report"] = (
        "The core group met to check how the safety plan is going for Mia and Leo and to agree "
        "who does what before the review conference."
    )
    for child in book.rows("Children"):
        for label in ("Recommendation", "Category of harm", "Categories"):
            child.pop(label, None)
    return book


SCENARIOS: dict[str, Scenario] = {
    "example-initial": example_initial,
    "example-review": example_review,
    "five-siblings": five_siblings,
    "pre-birth": pre_birth,
    "core-group": core_group,
}
