"""The example case: a fictional family's map, as sheet rows keyed by the contract's headers.

Used by `sos-docs new-workbook --example`, the README's first run and the tests' builders.
Everyone in it is invented. The rows below are the example as made on `WRITTEN_FOR`; `rows_for`
makes it on another day by moving every date by the same number of days, so the example made
today was mapped four days ago, meets in a week and has its next steps ahead (a fixed mapping
date would be "in the future" on a machine whose clock is earlier, and stale on a later one).
"""

from __future__ import annotations

import datetime as dt

Row = dict[str, object]

WRITTEN_FOR = dt.date(2026, 11, 20)  # the day the dates below are written for
MAPPING_DATE = dt.date(2026, 11, 16)
MEETING_DATE = dt.date(2026, 11, 27)

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
    "Shared with parents on": dt.date(2026, 11, 24),
    "Not shared because": None,
    "Words and pictures agreed by parents": "Yes",
    "Review date": dt.date(2027, 2, 19),
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
    },
    {
        "ID": "C2",
        "Name": "Leo Hartley",
        "Date of birth": dt.date(2020, 8, 2),
        "Gender": "Male",
        "Ethnicity": "White British",
        "First language": "English",
        "Interpreter needed": "No",
        "School or setting": "Little Acorns Nursery",
        "Legal status": "None",
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
        "Relationship": "Father",
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
        "Relationship": "Designated safeguarding lead, Mia's school",
        "Role": "Professional",
        "Agency": "Riverside Primary School",
        "Contact": "01632 960555",
    },
    {
        "ID": "P7",
        "Name": "Priya Nair",
        "Relationship": "Health visitor",
        "Role": "Professional",
        "Agency": "Northbrook Community Health",
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
        "Who": "P3",
        "When": "Any time",
        "Danger statement": "D2",
    },
    {
        "Rule": "If Mum and Dad start to argue, Dad goes for a walk until he feels calm.",
        "Who": "P2",
        "When": "Any time",
        "Danger statement": "D1",
    },
    {
        "Rule": "Mum rings Nanna every evening at 7 o'clock to say everything is OK.",
        "Who": "P1",
        "When": "Every evening",
        "Danger statement": "D1",
    },
    {
        "Rule": "Mia can ring Nanna or tell Mr Whitfield at school if she is worried.",
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

SHEET_ROWS: dict[str, list[Row]] = {
    "Children": CHILDREN,
    "People": PEOPLE,
    "Agency involvement": AGENCY_INVOLVEMENT,
    "Harm": HARM,
    "Danger statements": DANGER_STATEMENTS,
    "Complicating factors": COMPLICATING_FACTORS,
    "Grey areas": GREY_AREAS,
    "Working well": WORKING_WELL,
    "Safety goals": SAFETY_GOALS,
    "Next steps": NEXT_STEPS,
    "Scaling": SCALING,
    "Child's views": CHILDS_VIEWS,
    "Safety plan": SAFETY_PLAN,
    "Words and pictures": WORDS_AND_PICTURES,
}


def rows_for(today: dt.date) -> tuple[Row, dict[str, list[Row]]]:
    """The example made on `today`: the Case values and each sheet's rows, every date moved."""
    shift = today - WRITTEN_FOR
    sheets = {name: [_moved(row, shift) for row in rows] for name, rows in SHEET_ROWS.items()}
    return _moved(CASE, shift), sheets


def _moved(row: Row, shift: dt.timedelta) -> Row:
    """A copy of the row with each date moved by `shift` (the texts name no dates)."""
    return {k: v + shift if isinstance(v, dt.date) else v for k, v in row.items()}
