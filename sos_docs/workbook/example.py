"""The example family: the Hartleys' initial and review conferences, as sheet rows by header.

Used by `sos-docs new-workbook --example`, the demo folder, the README's first run and the tests'
builders. Everyone in it is invented. Both workbooks use every part of format 2 that fits them:
Known as, each child's category, People's Children, an adult who needs an interpreter, a
disputed harm, each parent's own view, the report date and the manager's approval.

The rows below are each stage as made on its day (`WRITTEN_FOR`, `REVIEW_WRITTEN_FOR`);
`example_rows` makes a stage on another day by moving every date by the same number of days, so
the stage made today meets in a week, was mapped before today (the initial conference four
days before, the review ten) and has its next steps ahead (a fixed mapping date would be "in the
future" on a machine whose clock is earlier, and stale on a later one). The review is the same
case twelve weeks later: made together for one day (`made_on`), the initial conference is the
one the review looks back on.

Each stage is shared with the parents at least eleven days before its meeting (the review
fourteen), so that it meets the three (review: five) working days rule on any day it is made,
whatever weekends and bank holidays fall in between.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from openpyxl.cell.cell import Cell
from openpyxl.drawing.fill import Blip
from openpyxl.drawing.geometry import PresetGeometry2D
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.drawing.picture import PictureFrame
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment

from sos_docs import files
from sos_docs.errors import SosDocsError
from sos_docs.workbook import drawings, schema

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

Row = dict[str, object]
Stage = Literal["initial", "review"]

INITIAL: Stage = "initial"
REVIEW: Stage = "review"
STAGES: tuple[Stage, ...] = (INITIAL, REVIEW)

WRITTEN_FOR = dt.date(2026, 11, 20)  # the day the initial conference's dates are written for
MAPPING_DATE = dt.date(2026, 11, 16)
MEETING_DATE = dt.date(2026, 11, 27)
# Signed, approved and shared on the mapping day: eleven days before the meeting leave at least
# six working days between, three even with three bank holidays among them.
SHARED_ON = MAPPING_DATE
# The first review within three months of the initial conference, on the same weekday.
REVIEW_AFTER = dt.timedelta(weeks=12)
REVIEW_MEETING_DATE = MEETING_DATE + REVIEW_AFTER
REVIEW_WRITTEN_FOR = REVIEW_MEETING_DATE - dt.timedelta(days=7)
# Shared two weeks before the review: at least nine working days between, six even with three
# bank holidays (Christmas, Easter) among them, for the five a review needs.
REVIEW_SHARED_ON = REVIEW_MEETING_DATE - dt.timedelta(days=14)
REVIEW_MAPPING_DATE = REVIEW_SHARED_ON - dt.timedelta(days=3)

CASE: Row = {
    "Case reference": "CP-2026-0412",
    "Local authority": "Northbrook Council",
    "Team": "Riverside Family Support Team",
    "Meeting type": "Initial child protection conference",
    "Meeting date": MEETING_DATE,
    "Mapping date": MAPPING_DATE,
    "Report author": "P5",
    "Author role": "Social Worker",
    "Author agency": "Northbrook Children's Services",
    "Author contact": "07700 900412 / a.okafor@northbrook.example",
    "Reason for report": (
        "Mia and Leo's school and the police have told children's services about arguments "
        "at home in which Kerry and Dean pushed and hit each other after drinking. "
        "This report brings together what everyone knows so the conference can decide "
        "how to keep Mia and Leo safe."
    ),
    "Recommendation": "Child protection plan",
    "Category of harm": "Emotional abuse",
    "Shared with parents on": SHARED_ON,
    "Not shared because": None,
    "Words and pictures agreed by parents": "Yes",
    "Review date": REVIEW_MEETING_DATE,
    "Format": 2,
    "Report date": MAPPING_DATE,
    "Manager name": "Helen Marsh",
    "Manager role": "Team Manager, Riverside Family Support Team",
    "Manager approved on": MAPPING_DATE,
}

CHILDREN: list[Row] = [
    {
        "ID": "C1",
        "Name": "Mia Hartley",
        "Date of birth": dt.date(2017, 3, 14),
        "Gender": "Female",
        "Ethnicity": "White British",
        "First language": "English",
        "Interpreter needed": "No",
        "School or setting": "Riverside Primary School",
        "Legal status": "None",
        "Known as": "Mia",
    },
    {
        "ID": "C2",
        "Name": "Leo Hartley",
        "Date of birth": dt.date(2023, 8, 2),
        "Gender": "Male",
        "Ethnicity": "White British",
        "First language": "English",
        "Interpreter needed": "No",
        "School or setting": "Little Acorns Nursery",
        "Legal status": "None",
        "Known as": "Leo",
        # Leo's own category: left alone at night with no sober adult as well as the fights.
        "Category of harm": "Multiple",
        "Categories": "Emotional abuse, Neglect",
    },
]

PEOPLE: list[Row] = [
    {
        "ID": "P1",
        "Name": "Kerry Hartley",
        "Relationship": "Mother",
        "Role": "Parent",
        "Lives with the children": "Yes",
        "Parental responsibility": "Yes",
        "Safety network": "No",
        "Name the children use": "Mum",
    },
    {
        "ID": "P2",
        "Name": "Dean Hartley",
        "Relationship": "Leo's father and Mia's stepfather",
        "Role": "Parent",
        "Lives with the children": "Yes",
        "Parental responsibility": "Yes",
        "Safety network": "No",
        "Name the children use": "Dad",
    },
    {
        "ID": "P3",
        "Name": "Sandra Price",
        "Relationship": "Maternal grandmother",
        "Role": "Family",
        "Lives with the children": "No",
        "Safety network": "Yes",
        "Knows the worries": "Yes",
        "Contact": "07700 900123",
        "Name the children use": "Nanna",
    },
    {
        "ID": "P4",
        "Name": "Siân Roberts",
        "Relationship": "Family friend and neighbour",
        "Role": "Friend",
        "Lives with the children": "No",
        "Safety network": "Yes",
        "Knows the worries": "Yes",
        "Name the children use": "Auntie Siân",
    },
    {
        "ID": "P5",
        "Name": "Ada Okafor",
        "Relationship": "Allocated social worker",
        "Role": "Professional",
        "Agency": "Northbrook Children's Services",
        "Contact": "a.okafor@northbrook.example",
        "Name the children use": "Ada",
    },
    {
        "ID": "P6",
        "Name": "Tom Whitfield",
        "Relationship": "Designated safeguarding lead",
        "Role": "Professional",
        "Agency": "Riverside Primary School",
        "Contact": "01632 960555",
        "Children": "C1",
        "Name the children use": "Mr Whitfield",
    },
    {
        "ID": "P7",
        "Name": "Priya Nair",
        "Relationship": "Health visitor",
        "Role": "Professional",
        "Agency": "Northbrook Community Health",
        "Children": "C2",
    },
    {
        "ID": "P8",
        "Name": "Piotr Nowak",
        "Relationship": "Father",
        "Role": "Parent",
        "Lives with the children": "No",
        "Parental responsibility": "Yes",
        # Not in the safety network of the children's shared story: Leo does not know him.
        "Safety network": "No",
        "Knows the worries": "Yes",
        "Contact": "07700 900678",
        "Name the children use": "Tata",
        "Children": "C1",  # Mia's father, not Leo's
        "First language": "Polish",
        "Interpreter needed": "Yes",
    },
]

AGENCY_INVOLVEMENT: list[Row] = [
    {
        "Agency": "Riverside Primary School",
        "Worker": "Tom Whitfield",
        "Involved since": dt.date(2021, 9, 1),
        "What support": "Mia's class teacher and the safeguarding lead check in with Mia daily.",
        "Child last seen": dt.date(2026, 11, 13),
    },
    {
        "Agency": "Northbrook Police",
        "Worker": "PC Lewis",
        "Involved since": dt.date(2026, 10, 4),
        "What support": "Attended two call-outs to the family home.",
        "Child last seen": dt.date(2026, 10, 25),
    },
]

HARM: list[Row] = [
    {
        "Date": dt.date(2026, 10, 4),
        "What happened": (
            "Police were called by a neighbour at 11pm. Kerry and Dean had been drinking and "
            "were shouting; Dean pushed Kerry into the kitchen door. Mia was on the stairs "
            "and saw it."
        ),
        "Impact on the child": "Mia was crying and told the officer she was scared for her mum.",
        "Children": "C1",
        "Source": "Observed",
    },
    {
        "Date": dt.date(2026, 10, 25),
        "What happened": (
            "Police were called again. Kerry had hit Dean with a glass, cutting his hand, "
            "while Leo was in the room."
        ),
        "Impact on the child": "Leo has been wetting the bed and hiding under the table at nursery.",
        "Children": "C2",
        "Source": "Reported",
        "Disputed by": "P1",
        "Their account": (
            "I threw the glass at the wall, not at Dean. He cut his hand picking up the pieces."
        ),
    },
    {
        "Date": dt.date(2026, 11, 3),
        "What happened": 'Mia told her teacher: "Mum and Dad were fighting again and I put Leo in my bed."',
        "Impact on the child": "Mia is looking after her brother when the adults fight.",
        "Children": "Mia Hartley, Leo Hartley",
        "Source": "Child said",
    },
]

DANGER_STATEMENTS: list[Row] = [
    {
        "ID": "D1",
        "Statement": (
            "Children's services, the school and the police are worried that when Kerry and Dean "
            "have been drinking they may push, hit and throw things at each other, and Mia and "
            "Leo could be physically hurt or be very frightened and feel that they have to "
            "protect each other."
        ),
        # The family's view as a whole (format 1); each parent's own is on Family's views.
        "Family's view": "Partly agree",
        "Family's words": (
            "We know the kids saw things they shouldn't have. We don't think they were ever in "
            "danger of being hurt, but we've stopped drinking at home."
        ),
    },
    {
        "ID": "D2",
        "Statement": (
            "Children's services are worried that when Kerry and Dean have been drinking late at "
            "night there may be no adult sober enough to look after Leo, and he could get hurt "
            "or not be taken to nursery."
        ),
        "Family's view": "Agree",
    },
]

COMPLICATING_FACTORS: list[Row] = [
    {"Factor": "Dean works away two weeks a month, so the routine at home keeps changing."},
    {"Factor": "Kerry has lost contact with friends since moving to Northbrook last year."},
]

GREY_AREAS: list[Row] = [
    {"Question or unknown": "How much Kerry and Dean drink when no one else is around."},
    {"Question or unknown": "Whether there were other fights that the police were not called to."},
]

WORKING_WELL: list[Row] = [
    {
        "Type": "Existing safety",
        "What is working well": (
            "After the second call-out Kerry phoned Nanna Sandra, who came at once and took "
            "Mia and Leo to her house for the night."
        ),
        "Who": "P3",
        "Danger statement": "D1",
    },
    {
        "Type": "Existing safety",
        "What is working well": (
            "Since the second call-out Dean has slept at his brother's on the nights he has been "
            "drinking."
        ),
        "Who": "P2",
        "Danger statement": "D1",
    },
    {
        "Type": "Existing strength",
        "What is working well": "Mia and Leo are always at school and nursery on time, clean and fed.",
        "Who": "P1",
    },
    {
        "Type": "Existing strength",
        "What is working well": "Kerry and Dean both say they love the children and want help.",
    },
    {
        "Type": "Existing strength",
        "What is working well": "Nanna Sandra lives five minutes away and sees the children every week.",
        "Who": "P3",
    },
]

SAFETY_GOALS: list[Row] = [
    {
        "ID": "G1",
        "Danger statement": "D1",
        "Goal": (
            "Everyone will know that Mia and Leo are safe at home because Kerry and Dean sort out "
            "disagreements without pushing, hitting or throwing things, and the safety network "
            "checks in with the children every week."
        ),
        "Sustained for": 6,
    },
    {
        "ID": "G2",
        "Danger statement": "D2",
        "Goal": (
            "There will always be a sober adult looking after Leo, and if Kerry or Dean has been "
            "drinking, Nanna Sandra or Auntie Siân will look after the children."
        ),
        "Sustained for": 6,
    },
]

NEXT_STEPS: list[Row] = [
    {
        "Action": "Meet Kerry, Dean, Nanna Sandra and Siân to write the safety plan together.",
        "Who": "P5",
        "By when": dt.date(2026, 12, 4),
        "Safety goal": "G1",
        "Status": "In progress",
    },
    {
        "Action": "Share the words and pictures story with Mia and Leo, with Kerry and Dean there.",
        "Who": "Ada Okafor",
        "By when": dt.date(2026, 12, 11),
        "Safety goal": "G1",
        "Status": "Not started",
    },
    {
        "Action": "Refer Kerry and Dean to the Northbrook alcohol service.",
        "Who": "P5",
        "By when": dt.date(2026, 12, 1),
        "Safety goal": "G2",
        "Status": "Done",
    },
    {
        "Action": "Check in with Mia every Monday and tell the social worker anything that worries her.",
        "Who": "P6",
        "By when": dt.date(2026, 12, 7),
        "Safety goal": "G1",
        "Status": "In progress",
    },
    {
        "Action": "Visit Leo at nursery and look at his sleep and bedwetting with Kerry.",
        "Who": "P7",
        "By when": dt.date(2026, 12, 18),
        "Safety goal": "G2",
        "Status": "Not started",
    },
]

SCALING: list[Row] = [
    {
        "Participant": "P5",
        "Score": 4,
        "Reason": (
            "Kerry and Dean have stopped drinking at home and Nanna stepped in, but there have "
            "been two police call-outs in three weeks."
        ),
        "One point higher": "The safety plan written and agreed with the network.",
    },
    {
        "Participant": "P1",
        "Score": 7,
        "Reason": "We have not had a drink in the house since the police came and Mum is helping us.",
        "One point higher": "Social services seeing that we are doing it.",
    },
    {
        "Participant": "P2",
        "Score": 6,
        "Reason": "Things are calmer and I go to my brother's if I've had a drink.",
        "One point higher": "Getting on the alcohol course.",
    },
    {
        "Participant": "P3",
        "Score": 5,
        "Reason": "I will always have the children but I worry when I don't hear from Kerry.",
        "One point higher": "Kerry ringing me every evening.",
    },
    {
        "Participant": "P6",
        "Score": 5,
        "Reason": "Mia is happier this month but still tired on Mondays.",
    },
    {
        "Participant": "C1",
        "Child": "C1",
        "Score": 6,
        "Reason": "It's better when Nanna comes round.",
        "One point higher": "No more shouting.",
    },
    {
        "Participant": "P5",
        "Child": "C2",
        "Danger statement": "D2",
        "Score": 3,
        "Reason": "Leo is too young to get help himself and both call-outs were late at night.",
    },
]

CHILDS_VIEWS: list[Row] = [
    {
        "Child": "C1",
        "Method": "Three houses",
        "Date": dt.date(2026, 11, 10),
        "Seen alone": "Yes",
        "Worries": "When Mum and Dad shout and Dad bangs the door.\nWhen Leo cries at night.",
        "Good things": "Nanna's house and her dog Biscuit. Swimming on Saturdays.",
        "Dreams": "Everyone at home being happy and going to the seaside.",
        "Consent to share": "Yes",
    },
    {
        "Child": "Leo Hartley",
        "Method": "Observation",
        "Date": dt.date(2026, 11, 12),
        "Seen alone": "No",
        "Worries": 'Leo pointed at the kitchen and said "loud".',
        "Good things": 'Leo showed me his dinosaurs and said "Nanna" and "Mia".',
        "Dreams": "",
        "Consent to share": "No",
    },
]

SAFETY_PLAN: list[Row] = [
    {
        "Rule": "If Mum or Dad has had a drink, Nanna comes to look after Mia and Leo.",
        "Words for the children": "If Mum or Dad have had a drink, Nanna comes to look after us.",
        "Who": "P3",
        "When": "Any time",
        "Danger statement": "D2",
    },
    {
        "Rule": "If Mum and Dad start to argue, Dad goes for a walk until he feels calm.",
        "Words for the children": "If Mum and Dad start to shout, Dad goes for a walk until he feels calm.",
        "Who": "P2",
        "When": "Any time",
        "Danger statement": "D1",
    },
    {
        "Rule": "Mum rings Nanna every evening at 7 o'clock to say everything is OK.",
        "Words for the children": "Every evening at 7 o'clock Mum rings Nanna to say we are all OK.",
        "Who": "P1",
        "When": "Every evening",
        "Danger statement": "D1",
    },
    {
        "Rule": "Mia can ring Nanna or tell Mr Whitfield at school if she is worried.",
        "Words for the children": "If we are worried, we can ring Nanna or tell Mr Whitfield at school.",
        "Who": "C1",
        "When": "Any time",
        "Danger statement": "D1",
    },
]

WORDS_AND_PICTURES: list[Row] = [
    {
        "Page": 1,
        "Heading": "Our family",
        "Words": "Mia and Leo live with Mum and Dad. Nanna lives round the corner with Biscuit the dog.",
    },
    {
        "Page": 2,
        "Heading": "What happened",
        "Words": (
            "Sometimes Mum and Dad drank too much and had big fights.\n"
            "Dad pushed Mum and Mum threw a glass. The police came twice."
        ),
    },
    {
        "Page": 3,
        "Heading": "Who is worried",
        "Words": (
            "Ada from children's services, Mr Whitfield at school and the police were worried "
            "that Mia and Leo could get hurt or be scared."
        ),
    },
    {
        "Page": 4,
        "Heading": "It is not your fault",
        "Words": "None of this is Mia's or Leo's fault. Grown-ups have to keep children safe.",
    },
    {
        "Page": 5,
        "Heading": "What everyone is doing",
        "Words": "Mum and Dad are not drinking at home. Nanna and Auntie Siân are helping.",
    },
]

# Each parent's own view of each danger statement, and Mia's father's view of the worries.
FAMILYS_VIEWS: list[Row] = [
    {
        "Person": "P1",
        "About": "D1",
        "View": "Partly agree",
        "Their words": (
            "I know the kids saw things they shouldn't have. I don't think they were ever going "
            "to get hurt, but we've stopped drinking at home."
        ),
    },
    {
        "Person": "P2",
        "About": "D1",
        "View": "Agree",
        "Their words": "Mia saw me push Kerry. I'm not proud of it and it won't happen again.",
    },
    {
        "Person": "P1",
        "About": "D2",
        "View": "Agree",
        "Their words": "Leo is little. One of us has to be sober for him, every night.",
    },
    {
        "Person": "P2",
        "About": "D2",
        "View": "Partly agree",
        "Their words": (
            "Leo was never on his own, but I can see why people worry after two call-outs late "
            "at night."
        ),
    },
    {
        "Person": "P8",
        "View": "Agree",
        "Their words": "I want Mia to feel safe in both her homes. I will help however I can.",
    },
]


def _sheets(**rows: list[Row]) -> dict[str, list[Row]]:
    """Sheet rows by contract name, from keywords (`Family_s_views` is "Family's views")."""
    return {key.replace("_s_", "'s ").replace("_", " "): value for key, value in rows.items()}


SHEET_ROWS: dict[str, list[Row]] = _sheets(
    Children=CHILDREN,
    People=PEOPLE,
    Agency_involvement=AGENCY_INVOLVEMENT,
    Harm=HARM,
    Danger_statements=DANGER_STATEMENTS,
    Family_s_views=FAMILYS_VIEWS,
    Complicating_factors=COMPLICATING_FACTORS,
    Grey_areas=GREY_AREAS,
    Working_well=WORKING_WELL,
    Safety_goals=SAFETY_GOALS,
    Next_steps=NEXT_STEPS,
    Scaling=SCALING,
    Child_s_views=CHILDS_VIEWS,
    Safety_plan=SAFETY_PLAN,
    Words_and_pictures=WORDS_AND_PICTURES,
)

# --------------------------------------------------------------------------------------------
# The review child protection conference, twelve weeks later: the same case and children,
# now on plans since the initial conference. No police call-outs since, the safety plan kept,
# scores up; the plans continue, as the safety goals are to be kept up for six months.

REVIEW_CASE: Row = {
    **CASE,
    "Meeting type": "Review child protection conference",
    "Meeting date": REVIEW_MEETING_DATE,
    "Mapping date": REVIEW_MAPPING_DATE,
    "Reason for report": (
        "This is the first review of the child protection plans Mia and Leo have had since the "
        "initial conference three months ago. It says what has changed since then, what still "
        "worries everyone, and what needs to happen next so that the plans can end safely."
    ),
    "Recommendation": "Continue child protection plan",
    "Shared with parents on": REVIEW_SHARED_ON,
    "Review date": REVIEW_MEETING_DATE + dt.timedelta(weeks=26),
    "Report date": REVIEW_MAPPING_DATE + dt.timedelta(days=1),
    "Manager approved on": REVIEW_SHARED_ON - dt.timedelta(days=1),
}

REVIEW_CHILDREN: list[Row] = [
    {**child, "Legal status": "Child protection plan", "Plan start date": MEETING_DATE}
    for child in CHILDREN
]

REVIEW_PEOPLE: list[Row] = [
    *PEOPLE,
    {
        "ID": "P9",
        "Name": "Jo Bennett",
        "Relationship": "Alcohol worker for Kerry and Dean",
        "Role": "Professional",
        "Agency": "Northbrook Alcohol Service",
        "Contact": "01632 960777",
    },
]

REVIEW_AGENCY_INVOLVEMENT: list[Row] = [
    {**AGENCY_INVOLVEMENT[0], "Child last seen": dt.date(2027, 2, 1)},
    AGENCY_INVOLVEMENT[1],
    {
        "Agency": "Northbrook Alcohol Service",
        "Worker": "Jo Bennett",
        "Involved since": dt.date(2026, 12, 3),
        "What support": "A twelve-week group for Kerry and Dean, and a one-to-one session a month.",
    },
]

REVIEW_DANGER_STATEMENTS: list[Row] = [
    DANGER_STATEMENTS[0],
    {
        "ID": "D2",
        # Reworded at the review: more is known, and Dean now agrees with it.
        "Statement": (
            "Children's services are worried that if Kerry and Dean both drink in the evening "
            "again, there may be no adult sober enough to look after Leo at night, and he could "
            "get hurt or be too frightened to sleep."
        ),
        "Family's view": "Agree",
    },
]

REVIEW_FAMILYS_VIEWS: list[Row] = [
    {
        "Person": "P1",
        "About": "D1",
        "View": "Agree",
        "Their words": (
            "Looking back, the kids could have been hurt. Mia was standing right there on the "
            "stairs."
        ),
    },
    {
        "Person": "P2",
        "About": "D1",
        "View": "Agree",
        "Their words": "It hasn't happened since and it won't. I walk away now.",
    },
    {
        "Person": "P1",
        "About": "D2",
        "View": "Agree",
        "Their words": "We don't both drink any more. One of us stays sober, every night.",
    },
    {
        "Person": "P2",
        "About": "D2",
        "View": "Partly agree",
        "Their words": (
            "I see it now: on those nights neither of us could really have looked after Leo. "
            "But we're not drinking like that any more."
        ),
    },
    {
        "Person": "P8",
        "View": "Agree",
        "Their words": "Mia is more settled when she comes to me. I want it to stay that way.",
    },
]

REVIEW_COMPLICATING_FACTORS: list[Row] = [
    COMPLICATING_FACTORS[0],
    {
        "Factor": (
            "Nanna Sandra had a fall last month and cannot have the children overnight until "
            "her wrist has healed."
        )
    },
]

REVIEW_GREY_AREAS: list[Row] = [
    {
        "Question or unknown": (
            "Whether the safety plan holds when Dean is home for longer between work trips."
        )
    },
]

REVIEW_WORKING_WELL: list[Row] = [
    {
        "Type": "Existing safety",
        "What is working well": (
            "There have been no police call-outs and no fights that anyone has seen or heard "
            "since the initial conference."
        ),
        "Who": "P1",
        "Danger statement": "D1",
    },
    {
        "Type": "Existing safety",
        "What is working well": (
            "After a work party Dean had been drinking, so he stayed at his brother's and rang "
            "Kerry to say goodnight to the children, as the safety plan says."
        ),
        "Who": "P2",
        "Danger statement": "D1",
    },
    {
        "Type": "Existing safety",
        "What is working well": (
            "When Kerry went to a friend's birthday, she asked Auntie Siân to stay over so "
            "there was a sober adult for Leo."
        ),
        "Who": "P4",
        "Danger statement": "D2",
    },
    {
        "Type": "Existing strength",
        "What is working well": "Kerry has rung Nanna every evening at 7 o'clock since the conference.",
        "Who": "P1",
    },
    {
        "Type": "Existing strength",
        "What is working well": "Kerry and Dean have been to ten of the twelve alcohol group sessions.",
        "Who": "P9",
    },
    {
        "Type": "Existing strength",
        "What is working well": "Leo is dry at night most nights and no longer hides at nursery.",
        "Who": "P7",
    },
]

# The plan's steps keep the deadlines the initial conference gave them (a review's steps may be
# due before its mapping date), so the progress section shows when each was due; one moved later.
REVIEW_NEXT_STEPS: list[Row] = [
    {**NEXT_STEPS[0], "Status": "Done"},
    {**NEXT_STEPS[1], "Status": "Done"},
    {**NEXT_STEPS[2], "Status": "Done"},
    {**NEXT_STEPS[3], "By when": dt.date(2027, 5, 21), "Status": "In progress"},
    {**NEXT_STEPS[4], "Status": "Done"},
    {
        "Action": "Finish the last two sessions of the alcohol group and agree a plan for after it.",
        "Who": "P9",
        "By when": dt.date(2027, 3, 5),
        "Safety goal": "G2",
        "Status": "In progress",
    },
    {
        "Action": "Hold a family network meeting to plan who covers nights while Nanna's wrist heals.",
        "Who": "P5",
        "By when": dt.date(2027, 2, 26),
        "Safety goal": "G2",
        "Status": "Not started",
    },
]

REVIEW_SCALING: list[Row] = [
    {
        "Participant": "P5",
        "Score": 7,
        "Reason": (
            "Three months with no call-outs, the safety plan kept, and the network stepping in "
            "when it was needed."
        ),
        "One point higher": "The safety plan kept while Nanna cannot have the children overnight.",
    },
    {
        "Participant": "P1",
        "Score": 8,
        "Reason": "We are calmer, the kids are sleeping, and I ring Mum every night.",
        "One point higher": "Finishing the alcohol group.",
    },
    {
        "Participant": "P2",
        "Score": 8,
        "Reason": "I walk away when I feel it building up, and I don't drink at home.",
        "One point higher": "Social services seeing that it lasts when I'm home for longer.",
    },
    {
        "Participant": "P3",
        "Score": 7,
        "Reason": "Kerry rings me every night and the children are happier when I see them.",
        "One point higher": "Being able to have them to stay again.",
    },
    {
        "Participant": "P6",
        "Score": 7,
        "Reason": "Mia is not tired on Mondays any more and talks about home happily.",
    },
    {
        "Participant": "C1",
        "Child": "C1",
        "Score": 8,
        "Reason": "There is no shouting now. Dad goes for a walk.",
        "One point higher": "Sleeping over at Nanna's again.",
    },
    {
        "Participant": "P5",
        "Child": "C2",
        "Danger statement": "D2",
        "Score": 6,
        "Reason": "There has always been a sober adult for Leo at night, but Nanna cannot help for now.",
    },
    {
        "Participant": "P8",
        "Child": "C1",
        "Score": 7,
        "Reason": "Mia rang me herself last month when she was worried, and it was sorted.",
        "One point higher": "Mia staying with me for a week in the holidays.",
    },
]

REVIEW_CHILDS_VIEWS: list[Row] = [
    {
        "Child": "C1",
        "Method": "Three houses",
        "Date": dt.date(2027, 1, 27),
        "Seen alone": "Yes",
        "Worries": "That Nanna's arm won't get better.",
        "Good things": "Mum and Dad don't shout. Dad goes for walks. Swimming on Saturdays.",
        "Dreams": "Going to the seaside with everyone, and Tata too.",
        "Consent to share": "Yes",
    },
    {
        "Child": "Leo Hartley",
        "Method": "Observation",
        "Date": dt.date(2027, 1, 29),
        "Seen alone": "No",
        "Worries": "",
        "Good things": 'Leo drew his family holding hands and said "happy house".',
        "Dreams": "",
        "Consent to share": "No",
    },
]

REVIEW_SAFETY_PLAN: list[Row] = [
    {
        **SAFETY_PLAN[0],
        "Rule": (
            "If Mum or Dad has had a drink, Nanna or Auntie Siân comes to look after Mia and Leo."
        ),
    },
    *SAFETY_PLAN[1:],
]

REVIEW_WORDS_AND_PICTURES: list[Row] = [
    *WORDS_AND_PICTURES,
    {
        "Page": 6,
        "Heading": "What has changed",
        "Words": (
            "There have been no big fights since the big meeting. Dad goes for a walk when he "
            "feels cross, and Mum rings Nanna every night."
        ),
    },
]

# --------------------------------------------------------------------------------------------
# The example's pictures, drawn by sos-docs (drawings.py): each with the words that describe it,
# the picture's alt text in Excel. They are kept apart from the rows (which the tests' builders
# write as they are) and placed over their rows when an example workbook is made.

Drawn = tuple[Callable[[], bytes], str]  # the drawing and what it shows

STORY_PICTURES: dict[str, Drawn] = {  # Words and pictures pages, by heading
    "Our family": (drawings.family, "Mum, Mia, Leo and Dad holding hands in the sunshine."),
    "What happened": (drawings.cloudy_house, "The family's house under a grey rain cloud."),
    "Who is worried": (
        drawings.helpers,
        "Three grown-ups who help: a social worker, a teacher and a police officer.",
    ),
    "It is not your fault": (drawings.heart, "A big red heart."),
    "What everyone is doing": (
        drawings.nanna_house,
        "Nanna's house with flowers and Biscuit the dog.",
    ),
    "What has changed": (drawings.home, "The family's house on a sunny day."),
}

RULE_PICTURES: dict[str, Drawn] = {  # Safety plan rules, by who keeps them
    "P3": (drawings.no_drinks, "A bottle and a glass with a red cross over them."),
    "P2": (drawings.walk, "Dad going for a walk along a path between trees."),
    "P1": (drawings.telephone, "A red telephone ringing."),
    "C1": (drawings.school, "Mia's school."),
}

# Which column of each sheet's rows picks the picture, and the pictures by that column's value.
PICTURES: dict[str, tuple[str, dict[str, Drawn]]] = {
    schema.WORDS_AND_PICTURES.name: ("Heading", STORY_PICTURES),
    schema.SAFETY_PLAN.name: ("Who", RULE_PICTURES),
}

PICTURE_DESCRIPTION = "Picture description"  # the Words and pictures column the story reads

# Shown in Excel inside the row's Picture cell (24 characters wide, 75 points high): 4 by 3.
PICTURE_SHOWN_PIXELS = (120, 90)
PICTURE_INSET_PIXELS = 5
EMU_PER_PIXEL = 9525  # Excel's pixels are 1/96 inch


REVIEW_SHEET_ROWS: dict[str, list[Row]] = {
    **SHEET_ROWS,
    **_sheets(
        Children=REVIEW_CHILDREN,
        People=REVIEW_PEOPLE,
        Agency_involvement=REVIEW_AGENCY_INVOLVEMENT,
        Danger_statements=REVIEW_DANGER_STATEMENTS,
        Family_s_views=REVIEW_FAMILYS_VIEWS,
        Complicating_factors=REVIEW_COMPLICATING_FACTORS,
        Grey_areas=REVIEW_GREY_AREAS,
        Working_well=REVIEW_WORKING_WELL,
        Next_steps=REVIEW_NEXT_STEPS,
        Scaling=REVIEW_SCALING,
        Child_s_views=REVIEW_CHILDS_VIEWS,
        Safety_plan=REVIEW_SAFETY_PLAN,
        Words_and_pictures=REVIEW_WORDS_AND_PICTURES,
    ),
}

_WRITTEN: dict[Stage, tuple[dt.date, Row, dict[str, list[Row]]]] = {
    INITIAL: (WRITTEN_FOR, CASE, SHEET_ROWS),
    REVIEW: (REVIEW_WRITTEN_FOR, REVIEW_CASE, REVIEW_SHEET_ROWS),
}

# --------------------------------------------------------------------------------------------
# The example made on a day


def example_rows(today: dt.date, stage: Stage = INITIAL) -> tuple[Row, dict[str, list[Row]]]:
    """One stage made on `today`: the Case values and each sheet's rows, every date moved.

    The stage made on a day meets a week later; `made_on` gives the days for a pair.
    """
    written_for, case, sheet_rows = _WRITTEN[_checked(stage)]
    shift = today - written_for
    sheets = {name: [_moved(row, shift) for row in rows] for name, rows in sheet_rows.items()}
    return _moved(case, shift), sheets


def rows_for(today: dt.date) -> tuple[Row, dict[str, list[Row]]]:
    """The initial conference's example made on `today` (`example_rows` for any stage)."""
    return example_rows(today, INITIAL)


def made_on(today: dt.date, stage: Stage) -> dt.date:
    """The day to make a stage on so that the review meets a week after `today` and the
    initial conference it looks back on met twelve weeks before that."""
    return today - REVIEW_AFTER if _checked(stage) == INITIAL else today


def build_example(today: dt.date, stage: Stage = INITIAL) -> Workbook:
    """The workbook of one stage made on `today`: the blank workbook with the rows filled in."""
    # blank.py imports this module for its example rows, so it is imported here, when used.
    from sos_docs.workbook.blank import build_workbook, describe

    book = build_workbook()
    case, sheets = example_rows(today, stage)
    fill_workbook(book, case, sheets)
    place_pictures(book, sheets)
    describe(book, str(case.get("Case reference") or ""))
    return book


def write_example(path: Path, today: dt.date | None = None, stage: Stage = INITIAL) -> Path:
    """Write one stage of the example family, made on `today` (default: today), as a new file.

    The initial conference is written by `blank.write_example_workbook`, as it always was.
    """
    from sos_docs.workbook.blank import write_example_workbook

    day = today or dt.date.today()
    if _checked(stage) == INITIAL:
        return write_example_workbook(path, today=day)
    target = Path(path)
    if target.suffix.casefold() != ".xlsx":
        raise SosDocsError(
            f"'{target.name}' does not end in .xlsx. Give it a name ending in .xlsx."
        )
    if target.exists():
        raise SosDocsError(f"'{target}' already exists. Choose another name or delete it first.")
    if not target.parent.is_dir():
        raise SosDocsError(f"The folder '{target.parent}' does not exist. Create it first.")
    data = io.BytesIO()
    build_example(day, stage).save(data)
    return files.write_new_file(target, data.getvalue())


def fill_workbook(book: Workbook, case: Row, sheets: Mapping[str, list[Row]]) -> None:
    """Put Case values and table rows into a workbook laid out as `blank.build_workbook` lays
    it out: Case labels in column A in contract order, each table's headers on row 1."""
    for contract in schema.SHEETS:
        sheet = book[contract.name]
        if contract.key_value:
            for row, column in enumerate(contract.columns, start=1):
                _expect_label(sheet.cell(row, 1).value, column, contract)
                _put(sheet.cell(row, 2), case.get(column.name))
            _fit_case_rows(sheet)
            continue
        for index, column in enumerate(contract.columns, start=1):
            _expect_label(sheet.cell(1, index).value, column, contract)
        for row, record in enumerate(sheets.get(contract.name, []), start=2):
            for index, column in enumerate(contract.columns, start=1):
                _put(sheet.cell(row, index), record.get(column.name))


def _fit_case_rows(sheet: Worksheet) -> None:
    from sos_docs.workbook.blank import fit_case_rows  # see build_example

    fit_case_rows(sheet)


def place_pictures(book: Workbook, sheets: Mapping[str, list[Row]]) -> None:
    """Place each example drawing over its row's Picture cell, on sheets laid out as
    `fill_workbook` lays them out (headers on row 1), with its description as alt text and,
    where the sheet has one, in the row's Picture description cell (which the story's alt text
    is read from: the reader does not read a picture's own alt text)."""
    for name, (key, drawn) in PICTURES.items():
        sheet = book[name]
        column = _picture_column(name)
        described_in = _description_column(name)
        for row, record in enumerate(sheets.get(name, []), start=2):
            picture = drawn.get(str(record.get(key)))
            if picture is not None:
                draw, description = picture
                _place(sheet, draw(), description, row, column)
                if described_in:
                    sheet.cell(row, described_in, written_description(name, record))


def written_description(sheet_name: str, record: Row) -> str:
    """What the example's drawing for a row shows, as `place_pictures` writes it in the row's
    Picture description cell; "" when the row has no drawing or the sheet no such column."""
    key, drawn = PICTURES.get(sheet_name, ("", {}))
    picture = drawn.get(str(record.get(key)))
    return picture[1] if picture and _description_column(sheet_name) else ""


def _contract_columns(sheet_name: str) -> list[schema.Column]:
    return list(next(s for s in schema.SHEETS if s.name == sheet_name).columns)


def _picture_column(sheet_name: str) -> int:
    """The 1-based column of the sheet's Picture column in contract order."""
    kinds = [c.kind for c in _contract_columns(sheet_name)]
    return kinds.index(schema.ColumnKind.PICTURE) + 1


def _description_column(sheet_name: str) -> int:
    """The 1-based column of the sheet's Picture description column, or 0 without one."""
    names = [c.name for c in _contract_columns(sheet_name)]
    return names.index(PICTURE_DESCRIPTION) + 1 if PICTURE_DESCRIPTION in names else 0


def _place(sheet: Worksheet, png: bytes, description: str, row: int, column: int) -> None:
    """One picture over the cell (row, column), inset a little and shown at cell size."""
    image = SheetImage(io.BytesIO(png))
    inset = PICTURE_INSET_PIXELS * EMU_PER_PIXEL
    width, height = (n * EMU_PER_PIXEL for n in PICTURE_SHOWN_PIXELS)
    start = AnchorMarker(col=column - 1, colOff=inset, row=row - 1, rowOff=inset)
    anchor = OneCellAnchor(_from=start, ext=XDRPositiveSize2D(width, height))
    anchor.pic = _described_frame(description, len(sheet._images) + 1)  # type: ignore[attr-defined]
    image.anchor = anchor
    sheet.add_image(image)


def _described_frame(description: str, number: int) -> PictureFrame:
    """openpyxl's own picture frame, but with the picture's description as its alt text."""
    frame = PictureFrame()
    frame.nvPicPr.cNvPr.id = number
    frame.nvPicPr.cNvPr.name = f"Picture {number}"
    frame.nvPicPr.cNvPr.descr = description
    frame.blipFill.blip = Blip(cstate="print")  # openpyxl sets the link to the image on saving
    frame.spPr.prstGeom = PresetGeometry2D(prst="rect")
    frame.spPr.ln = None
    return frame


def _expect_label(found: object, column: schema.Column, contract: schema.Sheet) -> None:
    """A blank workbook laid out otherwise than expected is a programming error, not data."""
    if found != column.header:
        raise AssertionError(f"{contract.name}: expected {column.header!r}, found {found!r}")


def _put(cell: object, value: object) -> None:
    """One value in its cell: dates shown day first, text starting with `=` kept as text."""
    from sos_docs.workbook.blank import DATE_FORMAT  # see build_example

    if value is None or value == "" or not isinstance(cell, Cell):
        return
    cell.value = value  # type: ignore[assignment]  # a value the example holds: text, number, date
    if isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        if value.startswith("="):
            cell.data_type = "s"
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _checked(stage: str) -> Stage:
    """The stage, or ValueError for a word that is not one (a programming error)."""
    for known in STAGES:
        if stage == known:
            return known
    raise ValueError(f"unknown example stage {stage!r}: one of {', '.join(STAGES)}")


def _moved(row: Row, shift: dt.timedelta) -> Row:
    """A copy of the row with each date moved by `shift` (the texts name no dates)."""
    return {k: v + shift if isinstance(v, dt.date) else v for k, v in row.items()}
