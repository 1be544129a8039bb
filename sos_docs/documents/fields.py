"""The documented template fields: one registry behind `sos-docs fields`, the docs and check-template.

Every value `sos_docs.documents.context.build_context` hands to a template is listed here once, with
what it means and an example from the example family. Items of a list are named with `[]`:
`danger_statements[].statement` is the `statement` of each danger statement, used in a
template as `{% for d in danger_statements %}{{ d.statement }}{% endfor %}`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    """What sort of value a field holds, as a template author needs to know it."""

    TEXT = "text"
    NUMBER = "number"
    FLAG = "true/false"
    LIST = "list"
    PICTURE = "picture"


@dataclass(frozen=True)
class Field:
    """One template field: its name as a template uses it, what it holds, and an example."""

    name: str
    kind: FieldKind
    meaning: str
    example: str = ""
    group: str = ""
    sheet: str = ""  # for pictures: the workbook sheet they were placed on

    @property
    def parent(self) -> str:
        """The list this field belongs to (`danger_statements[]`), or "" at the top level."""
        head, dot, _ = self.name.rpartition(".")
        return head if dot else ""

    @property
    def leaf(self) -> str:
        """The last part of the name, as written after the dot in a template."""
        return self.name.rpartition(".")[2]


def _person_fields(parent: str, group: str, example: dict[str, str]) -> tuple[Field, ...]:
    """The fields every person in a people list has, so the three lists cannot drift apart."""
    meanings = (
        ("name", "Full name."),
        (
            "relationship",
            "Relationship to the children, naming them when it applies to some only ('Father of Leo').",
        ),
        ("role", "Parent, Carer, Family, Friend or Professional."),
        ("agency", "Agency, for professionals."),
        ("contact", "Phone or email."),
        ("lives_with_children", "Yes, No, or empty when not known."),
        (
            "parental_responsibility",
            "Yes (naming the children when it is for some only: 'Yes (Leo)'), No, or empty when not known.",
        ),
        (
            "parental_responsibility_words",
            "'Has parental responsibility.' ('... for Leo.' when for some only), or empty.",
        ),
        ("safety_network", "Yes when in the safety network, No, or empty when not known."),
        ("knows_the_worries", "Yes, No, or empty when not known."),
        ("name_children_use", "What the children call them (their full name when not given)."),
        ("children", "The children the relationship applies to, or empty when it applies to all."),
        ("first_language", "First language."),
        ("interpreter_needed", "Yes, No, or empty when not known."),
        ("language", "Their language in words: 'Speaks Polish; needs an interpreter', or empty."),
    )
    return tuple(
        Field(f"{parent}[].{leaf}", FieldKind.TEXT, meaning, example.get(leaf, ""), group)
        for leaf, meaning in meanings
    )


def _view_fields(parent: str, group: str, example: dict[str, str]) -> tuple[Field, ...]:
    """The fields of one person's view (the Family's views sheet), wherever views are listed."""
    meanings = (
        ("person", "Whose view it is (full name; 'The family' for a format 1 workbook's view)."),
        ("view", "Agree, Partly agree, Disagree, or empty."),
        ("their_words", "Their view in their own words, or empty."),
        ("sentence", "The view as a sentence: 'Kerry Hartley partly agrees: “...”'."),
    )
    return tuple(
        Field(f"{parent}[].{leaf}", FieldKind.TEXT, meaning, example.get(leaf, ""), group)
        for leaf, meaning in meanings
    )


def _next_step_fields(parent: str, group: str, example: dict[str, str]) -> tuple[Field, ...]:
    """The fields of a next step, in every list of next steps."""
    return (
        Field(f"{parent}[].number", FieldKind.NUMBER, "1, 2, 3 ... in the order the report shows the steps (under each danger statement's goals, then the others)", example.get("number", ""), group),
        Field(f"{parent}[].action", FieldKind.TEXT, "What will be done.", example.get("action", ""), group),
        Field(f"{parent}[].who", FieldKind.TEXT, "Who will do it.", example.get("who", ""), group),
        Field(f"{parent}[].by_when", FieldKind.TEXT, "By when (date).", example.get("by_when", ""), group),
        Field(f"{parent}[].safety_goal", FieldKind.TEXT, "The ID of the safety goal it serves, or empty.", example.get("safety_goal", ""), group),
        Field(f"{parent}[].status", FieldKind.TEXT, "Not started, In progress, Done, or empty.", example.get("status", ""), group),
    )  # fmt: skip


def _score_fields(parent: str, group: str, example: dict[str, str]) -> tuple[Field, ...]:
    """The fields of a scaling score, in every list of scores."""
    return (
        Field(f"{parent}[].participant", FieldKind.TEXT, "Who gave the score.", example.get("participant", ""), group),
        Field(f"{parent}[].participant_relationship", FieldKind.TEXT, "Their relationship to the children ('Child' for a child).", example.get("participant_relationship", ""), group),
        Field(f"{parent}[].short_name", FieldKind.TEXT, "The name shown on the scale picture: a child's Known as, else the full name.", example.get("short_name", ""), group),
        Field(f"{parent}[].child", FieldKind.TEXT, "The child the score is about, or 'All the children' (the child's name when there is one).", example.get("child", ""), group),
        Field(f"{parent}[].danger_number", FieldKind.TEXT, "The danger statement's number, or empty for an overall score.", example.get("danger_number", ""), group),
        Field(f"{parent}[].about", FieldKind.TEXT, "What the score is about, in words.", example.get("about", ""), group),
        Field(f"{parent}[].score", FieldKind.NUMBER, "The score, 0 to 10.", example.get("score", ""), group),
        Field(f"{parent}[].reason", FieldKind.TEXT, "Their reason.", example.get("reason", ""), group),
        Field(f"{parent}[].one_point_higher", FieldKind.TEXT, "What would make it one point higher, or empty.", example.get("one_point_higher", ""), group),
    )  # fmt: skip


_KERRY = {
    "name": "Kerry Hartley",
    "relationship": "Mother",
    "role": "Parent",
    "lives_with_children": "Yes",
    "parental_responsibility": "Yes",
    "safety_network": "No",
    "name_children_use": "Mum",
}
_SANDRA = {
    "name": "Sandra Price",
    "relationship": "Maternal grandmother",
    "role": "Family",
    "contact": "07700 900123",
    "lives_with_children": "No",
    "safety_network": "Yes",
    "knows_the_worries": "Yes",
    "name_children_use": "Nanna",
}

_CASE = "The case and the meeting"
_AUTHOR = "The author"
_FAMILY = "The children, household and network"
_WORRIED = "What are we worried about?"
_WORKING = "What's working well?"
_NEEDS = "What needs to happen?"
_VOICE = "The children's views"
_SCALING = "Scaling"
_PLAN = "Safety network and safety plan"
_DECISION = "Recommendation and sharing"
_STORY = "Words and pictures"

# The review report's progress section (sos_docs.documents.progress), kept together.
_PROGRESS = "Progress since the last conference (reviews)"
_PROGRESS_FIELDS: tuple[Field, ...] = (
    Field("progress_shown", FieldKind.FLAG, "True for a review conference: the report shows its progress since the last conference.", "", _PROGRESS),
    Field("progress_known", FieldKind.FLAG, "True when anything earlier is known: a workbook of an earlier conference, or Previous scaling rows.", "", _PROGRESS),
    Field("progress_sentence", FieldKind.TEXT, "The last conference (type, date, what the report to it recommended) in sentences, naming no file; or where the earlier scores come from; or that no earlier scores are known. Empty when not a review.", "The last conference was the initial child protection conference on 27 November 2026. The report to it recommended: a child protection plan for Mia (emotional abuse) and for Leo (emotional abuse and neglect).", _PROGRESS),
    Field("last_conference_date", FieldKind.TEXT, "The date of the last conference sos-docs has the workbook of, or empty.", "27 November 2026", _PROGRESS),
    Field("last_conference_type", FieldKind.TEXT, "Its meeting type, or empty.", "Initial child protection conference", _PROGRESS),
    Field("last_conference_recommendation", FieldKind.TEXT, "What the report to the last conference recommended (its workbook holds the report's recommendation, not what the conference decided), with the category of harm, child by child when they differed; words to follow 'recommended: '. Empty when none is recorded.", "a child protection plan for Mia (emotional abuse) and for Leo (emotional abuse and neglect)", _PROGRESS),
    Field("earlier_workbooks", FieldKind.TEXT, "The file names of the earlier workbooks read, oldest first, or empty. For a template author's checks only: file names are internal and do not belong in a document the family receives (the receipt names the files).", "", _PROGRESS),
    Field("progress_dangers", FieldKind.LIST, "Each danger statement then and now: this workbook's in order, then the last conference's that are gone.", "", _PROGRESS),
    Field("progress_dangers[].number", FieldKind.TEXT, "Its number now, or empty when it is no longer a danger statement.", "1", _PROGRESS),
    Field("progress_dangers[].statement", FieldKind.TEXT, "The statement to print once: as it is now, or as it was when it is no longer a danger statement.", "Children's services, the school and the police are worried", _PROGRESS),
    Field("progress_dangers[].reworded", FieldKind.FLAG, "True when the words changed since the last conference (print `then` too).", "False", _PROGRESS),
    Field("progress_dangers[].then", FieldKind.TEXT, "The statement at the last conference, or empty when new.", "Children's services, the school and the police are worried", _PROGRESS),
    Field("progress_dangers[].now", FieldKind.TEXT, "The statement now, or empty when gone.", "Children's services, the school and the police are worried", _PROGRESS),
    Field("progress_dangers[].change", FieldKind.TEXT, "Unchanged, Reworded, New since the last conference, or No longer a danger statement.", "Unchanged", _PROGRESS),
    Field("progress_goals", FieldKind.LIST, "Each safety goal now, with its next steps then and now.", "", _PROGRESS),
    Field("progress_goals[].id", FieldKind.TEXT, "The goal's workbook ID.", "G1", _PROGRESS),
    Field("progress_goals[].goal", FieldKind.TEXT, "The goal now.", "Everyone will know that Mia and Leo are safe", _PROGRESS),
    Field("progress_goals[].danger_number", FieldKind.TEXT, "The number of its danger statement, or empty.", "1", _PROGRESS),
    Field("progress_goals[].goal_then", FieldKind.TEXT, "The goal with the same ID at the last conference, or empty when new.", "Everyone will know that Mia and Leo are safe", _PROGRESS),
    Field("progress_goals[].steps", FieldKind.LIST, "Its next steps now (each with its status and deadline last time), then the last conference's that are not in this plan.", "", _PROGRESS),
    Field("progress_goals[].steps[].action", FieldKind.TEXT, "The action.", "Meet Kerry, Dean, Nanna Sandra and Siân", _PROGRESS),
    Field("progress_goals[].steps[].who", FieldKind.TEXT, "Who does it.", "Ada Okafor", _PROGRESS),
    Field("progress_goals[].steps[].by_when_then", FieldKind.TEXT, "Its deadline in the last conference's plan, or empty when new.", "4 December 2026", _PROGRESS),
    Field("progress_goals[].steps[].by_when_now", FieldKind.TEXT, "Its deadline now, or empty when not in this plan.", "10 March 2027", _PROGRESS),
    Field("progress_goals[].steps[].by_when_change", FieldKind.TEXT, "Moved later or Moved earlier when the deadline changed, or empty (also for a step already done at the last conference).", "Moved later", _PROGRESS),
    Field("progress_goals[].steps[].status_then", FieldKind.TEXT, "Its status at the last conference, or New.", "In progress", _PROGRESS),
    Field("progress_goals[].steps[].status_now", FieldKind.TEXT, "Its status now; Done by the last conference when it was done then and is done now; or Not in this plan.", "Done", _PROGRESS),
    Field("progress_then_heading", FieldKind.TEXT, "The heading of the scores table's \"Then\" column, naming once the conference most earlier scores were given for; \"Then\" when nothing earlier is known.", "Then (for the initial conference on 27 November 2026)", _PROGRESS),
    Field("progress_scores", FieldKind.LIST, "Each score now beside the same person's latest earlier score about the same children and danger statement; then the last conference's scores not given this time.", "", _PROGRESS),
    Field("progress_scores[].participant", FieldKind.TEXT, "Who gave the score.", "Ada Okafor", _PROGRESS),
    Field("progress_scores[].about", FieldKind.TEXT, "What the score is about, in words.", "All the children", _PROGRESS),
    Field("progress_scores[].score_then", FieldKind.TEXT, "The earlier score, or empty when there is none.", "4", _PROGRESS),
    Field("progress_scores[].then_date", FieldKind.TEXT, "The date of the conference it was given for (from the Previous scaling sheet: the date written there), or empty.", "27 November 2026", _PROGRESS),
    Field("progress_scores[].then_for", FieldKind.TEXT, "Which conference the earlier score was given for (in the mapping before it), or that it is from the Previous scaling sheet; empty when there is none.", "For the initial conference on 27 November 2026", _PROGRESS),
    Field("progress_scores[].then_note", FieldKind.TEXT, "Which conference the earlier score was given for, only when it is not the one `progress_then_heading` names (an older conference, or the Previous scaling sheet); else empty.", "", _PROGRESS),
    Field("progress_scores[].score_now", FieldKind.TEXT, "The score now, or empty when not scored this time.", "6", _PROGRESS),
    Field("progress_scores[].change", FieldKind.TEXT, "Up 2, Down 1, No change, No earlier score, or Not scored this time.", "Up 2", _PROGRESS),
    Field("progress_scores[].one_point_higher_then", FieldKind.TEXT, "What they said last time would make it one point higher, or empty.", "The safety plan written and agreed with the network.", _PROGRESS),
    Field("progress_scores[].reason_now", FieldKind.TEXT, "Why they give the score now, in their words (the Scaling sheet's Reason).", "", _PROGRESS),
    Field("score_history_picture", FieldKind.PICTURE, "A review's chart of every overall score in the mapping for each of the case's conferences, one line per person (children by Known as, as on the scale picture), with a short alt text: 'Scores from 27 Nov 2026 to 19 Feb 2027: Ada Okafor 4 to 6; Mia 6 to 8.'; empty when nothing earlier is known.", "", _PROGRESS),
    Field("score_history_caption", FieldKind.TEXT, "A short caption for the chart (its alt text gives each person's first and last score), saying the scores are from the mapping for each conference, or empty.", "Each person's overall score in the mapping for each of the 2 conferences, from the conference of 27 November 2026 to this one on 19 February 2027 (the last is the mapping for this conference, 10 February 2027).", _PROGRESS),
)  # fmt: skip

FIELDS: tuple[Field, ...] = (
    # -- the case and the meeting
    Field("case_reference", FieldKind.TEXT, "The case reference.", "CP-2026-0412", _CASE),
    Field("local_authority", FieldKind.TEXT, "The local authority: the workbook's, else the folder's `local_authority` setting.", "Northbrook Council", _CASE),
    Field("team", FieldKind.TEXT, "The team: the workbook's, else the folder's `team` setting.", "Riverside Family Support Team", _CASE),
    Field("logo", FieldKind.PICTURE, "The team's logo (the `logo` setting), 2 cm high, or empty when none is set.", "", _CASE),
    Field("meeting_type", FieldKind.TEXT, "The meeting type, as chosen in the workbook.", "Initial child protection conference", _CASE),
    Field("document_title", FieldKind.TEXT, "The main document's title for the meeting type: 'Report to the review child protection conference', or for other meetings 'Core group meeting: record of the mapping'.", "Report to the initial child protection conference", _CASE),
    Field("document_title_with_copy", FieldKind.TEXT, "The main document's title with which copy it is when something is withheld from the family: '... (professional copy)', '... (family copy)', '... (copy for Dean Hartley)'; the plain title when there is only one copy. The templates' Title property, so the viewer's title bar and a screen reader tell the copies apart.", "Report to the initial child protection conference", _CASE),
    Field("is_conference", FieldKind.FLAG, "True for an initial, review or pre-birth child protection conference.", "True", _CASE),
    Field("is_review", FieldKind.FLAG, "True for a review child protection conference.", "False", _CASE),
    Field("is_pre_birth", FieldKind.FLAG, "True for a pre-birth conference.", "False", _CASE),
    Field("meeting_date", FieldKind.TEXT, "The meeting date, or empty.", "27 November 2026", _CASE),
    Field("mapping_date", FieldKind.TEXT, "The day the map was done.", "16 November 2026", _CASE),
    Field("report_date", FieldKind.TEXT, "The date of the report: the Case sheet's Report date, else the day the documents were made.", "16 November 2026", _CASE),
    Field("review_date", FieldKind.TEXT, "The review date, or empty.", "19 February 2027", _CASE),
    Field("protective_marking", FieldKind.TEXT, "The protective marking for the footer (configurable).", "OFFICIAL-SENSITIVE", _CASE),
    Field("copy_note", FieldKind.TEXT, "Which copy this is when something is withheld from the family: 'Professional copy: contains information withheld from the family.', 'Family copy: some information is not in this copy.', or empty when nothing is withheld.", "", _CASE),
    Field("reason_for_report", FieldKind.TEXT, "Why the report was written.", "Mia and Leo's school and the police have told", _CASE),
    # -- the author
    Field("author_name", FieldKind.TEXT, "The report author's name.", "Ada Okafor", _AUTHOR),
    Field("author_role", FieldKind.TEXT, "The author's role.", "Social Worker", _AUTHOR),
    Field("author_agency", FieldKind.TEXT, "The author's agency.", "Northbrook Children's Services", _AUTHOR),
    Field("author_contact", FieldKind.TEXT, "The author's phone or email.", "07700 900412 / a.okafor@northbrook.example", _AUTHOR),
    # -- the children, household and network
    Field("children_names", FieldKind.TEXT, "Every child's full name, joined with commas and 'and'.", "Mia Hartley and Leo Hartley", _FAMILY),
    Field("children_first_names", FieldKind.TEXT, "Every child by the name used in sentences, joined: Known as, else the full name (never a guessed part of it); an unborn baby without one is 'the baby'.", "Mia", _FAMILY),
    Field("household_heading", FieldKind.TEXT, "The heading over the people the children live with: 'Living with the children', or 'Where the baby will live' before any child is born.", "Living with the children", _FAMILY),
    Field("the_children", FieldKind.TEXT, "The children as a group in a sentence: 'the children', the one child's name, or 'the baby'.", "the children", _FAMILY),
    Field("children", FieldKind.LIST, "The children, in workbook order.", "", _FAMILY),
    Field("children[].id", FieldKind.TEXT, "The child's workbook ID.", "C1", _FAMILY),
    Field("children[].name", FieldKind.TEXT, "Full name.", "Mia Hartley", _FAMILY),
    Field("children[].first_name", FieldKind.TEXT, "The name used where a first name is wanted: Known as, else the full name.", "Mia", _FAMILY),
    Field("children[].known_as", FieldKind.TEXT, "The Known as cell, or empty.", "", _FAMILY),
    Field("children[].date_of_birth", FieldKind.TEXT, "Date of birth, or empty for an unborn child.", "14 March 2017", _FAMILY),
    Field("children[].expected_due_date", FieldKind.TEXT, "Expected due date, for an unborn child.", "", _FAMILY),
    Field("children[].age", FieldKind.TEXT, "Age on the meeting date (the mapping date when there is none), or 'Unborn'.", "9 years", _FAMILY),
    Field("children[].is_unborn", FieldKind.FLAG, "True for an unborn child.", "False", _FAMILY),
    Field("children[].gender", FieldKind.TEXT, "Gender.", "Female", _FAMILY),
    Field("children[].ethnicity", FieldKind.TEXT, "Ethnicity.", "White British", _FAMILY),
    Field("children[].first_language", FieldKind.TEXT, "First language.", "English", _FAMILY),
    Field("children[].interpreter_needed", FieldKind.TEXT, "Yes, No, or empty when not known.", "No", _FAMILY),
    Field("children[].school_or_setting", FieldKind.TEXT, "School, nursery or other setting.", "Riverside Primary School", _FAMILY),
    Field("children[].legal_status", FieldKind.TEXT, "Legal status.", "None", _FAMILY),
    Field("children[].plan_start_date", FieldKind.TEXT, "When the current plan began (reviews), or empty.", "", _FAMILY),
    Field("children[].recommendation", FieldKind.TEXT, "This child's recommendation: their own, else the Case sheet's (empty for a meeting that is not a conference).", "Child protection plan", _FAMILY),
    Field("children[].category_of_harm", FieldKind.TEXT, "This child's category of harm when the recommendation is a plan: their own, else the Case sheet's; 'Multiple (neglect and emotional abuse)' names them.", "Emotional abuse", _FAMILY),
    Field("household", FieldKind.LIST, "The people who live with the children.", "", _FAMILY),
    *_person_fields("household", _FAMILY, _KERRY),
    Field("network", FieldKind.LIST, "Everyone else on the People sheet: family, friends and professionals.", "", _FAMILY),
    *_person_fields("network", _FAMILY, _SANDRA),
    Field("agency_involvement", FieldKind.LIST, "Agencies involved with the family (may be empty).", "", _FAMILY),
    Field("agency_involvement[].agency", FieldKind.TEXT, "The agency.", "Riverside Primary School", _FAMILY),
    Field("agency_involvement[].worker", FieldKind.TEXT, "The worker.", "Tom Whitfield", _FAMILY),
    Field("agency_involvement[].involved_since", FieldKind.TEXT, "Involved since (date), or empty.", "1 September 2021", _FAMILY),
    Field("agency_involvement[].what_support", FieldKind.TEXT, "What support the agency gives.", "Mia's class teacher and the safeguarding lead", _FAMILY),
    Field("agency_involvement[].child_last_seen", FieldKind.TEXT, "When a child was last seen (date), or empty.", "13 November 2026", _FAMILY),
    # -- what are we worried about?
    Field("harm", FieldKind.LIST, "Harm that has already happened, oldest first as in the workbook.", "", _WORRIED),
    Field("harm[].date", FieldKind.TEXT, "When it happened, or empty.", "4 October 2026", _WORRIED),
    Field("harm[].what_happened", FieldKind.TEXT, "What happened.", "Police were called by a neighbour at 11pm.", _WORRIED),
    Field("harm[].impact_on_child", FieldKind.TEXT, "What it did to the child.", "Mia was crying and told the officer", _WORRIED),
    Field("harm[].children", FieldKind.TEXT, "The children it happened to (all of them when the cell was blank).", "Mia Hartley", _WORRIED),
    Field("harm[].source", FieldKind.TEXT, "Where the information came from: Observed, Child said, Reported or Alleged.", "Observed", _WORRIED),
    Field("harm[].disputed_by", FieldKind.TEXT, "Who disputes this account, joined, or empty.", "", _WORRIED),
    Field("harm[].their_account", FieldKind.TEXT, "What those who dispute it say happened, or empty.", "", _WORRIED),
    Field("harm[].dispute", FieldKind.TEXT, "The dispute as a sentence: 'Disputed by Dean Hartley: “...”', or empty.", "", _WORRIED),
    Field("harm[].views", FieldKind.LIST, "Each person's view of this harm (Family's views rows about its row).", "", _WORRIED),
    *_view_fields("harm[].views", _WORRIED, {}),
    Field("harm[].views_sentence", FieldKind.TEXT, "Those views joined with ';', or empty.", "", _WORRIED),
    Field("danger_statements", FieldKind.LIST, "The danger statements, numbered in workbook order.", "", _WORRIED),
    Field("danger_statements[].number", FieldKind.NUMBER, "1, 2, 3 ...", "1", _WORRIED),
    Field("danger_statements[].id", FieldKind.TEXT, "The workbook ID.", "D1", _WORRIED),
    Field("danger_statements[].statement", FieldKind.TEXT, "The danger statement.", "Children's services, the school and the police are worried", _WORRIED),
    Field("danger_statements[].family_view", FieldKind.TEXT, "The Danger statements sheet's Family's view (format 1): Agree, Partly agree, Disagree, or empty.", "Partly agree", _WORRIED),
    Field("danger_statements[].family_words", FieldKind.TEXT, "The Danger statements sheet's Family's words (format 1).", "We know the kids saw things", _WORRIED),
    Field("danger_statements[].views", FieldKind.LIST, "Each person's view of this statement (Family's views rows about it); else the sheet's one family view as 'The family'.", "", _WORRIED),
    *_view_fields("danger_statements[].views", _WORRIED, {}),
    Field("danger_statements[].views_sentence", FieldKind.TEXT, "Every view of the statement in one sentence: 'Grace agrees; Emeka disagrees: “...”'.", "", _WORRIED),
    Field("danger_statements[].goals", FieldKind.LIST, "The safety goals for this danger statement.", "", _WORRIED),
    Field("danger_statements[].goals[].id", FieldKind.TEXT, "The goal's workbook ID.", "G1", _WORRIED),
    Field("danger_statements[].goals[].goal", FieldKind.TEXT, "The safety goal.", "Everyone will know that Mia and Leo are safe", _WORRIED),
    Field("danger_statements[].goals[].sustained_for", FieldKind.TEXT, "How long it must be kept up, e.g. '6 months', or empty.", "6 months", _WORRIED),
    Field("danger_statements[].next_steps", FieldKind.LIST, "The next steps that serve this statement's safety goals.", "", _WORRIED),
    *_next_step_fields("danger_statements[].next_steps", _WORRIED, {"number": "1", "action": "Meet Kerry, Dean, Nanna Sandra and Siân", "who": "Ada Okafor", "safety_goal": "G1"}),
    Field("danger_statements[].scores", FieldKind.LIST, "The scaling scores about this statement.", "", _WORRIED),
    *_score_fields("danger_statements[].scores", _WORRIED, {"participant": "Ada Okafor", "score": "3"}),
    Field("overall_views", FieldKind.LIST, "Each person's view of the worries as a whole (Family's views rows with About blank).", "", _WORRIED),
    *_view_fields("overall_views", _WORRIED, {}),
    Field("complicating_factors", FieldKind.LIST, "Complicating factors, each a piece of text.", "", _WORRIED),
    Field("grey_areas", FieldKind.LIST, "Grey areas (unknowns and disputed facts), each a piece of text.", "", _WORRIED),
    # -- what's working well?
    Field("existing_safety", FieldKind.LIST, "Existing safety: what someone did to keep the children safe.", "", _WORKING),
    Field("existing_safety[].what", FieldKind.TEXT, "What they did.", "After the second call-out Kerry phoned Nanna Sandra", _WORKING),
    Field("existing_safety[].who", FieldKind.TEXT, "Who did it, or empty.", "Sandra Price", _WORKING),
    Field("existing_safety[].danger_number", FieldKind.TEXT, "The number of the danger statement it kept them safe from, or empty.", "1", _WORKING),
    Field("existing_strengths", FieldKind.LIST, "Existing strengths.", "", _WORKING),
    Field("existing_strengths[].what", FieldKind.TEXT, "The strength.", "Mia and Leo are always at school and nursery on time", _WORKING),
    Field("existing_strengths[].who", FieldKind.TEXT, "Whose strength, or empty.", "Kerry Hartley", _WORKING),
    # -- what needs to happen?
    Field("next_steps", FieldKind.LIST, "The next steps, in workbook order.", "", _NEEDS),
    *_next_step_fields("next_steps", _NEEDS, {"number": "1", "action": "Meet Kerry, Dean, Nanna Sandra and Siân", "who": "Ada Okafor", "by_when": "4 December 2026", "safety_goal": "G1", "status": "In progress"}),
    Field("other_next_steps", FieldKind.LIST, "The next steps that serve no danger statement's safety goal (the others are listed with their statement).", "", _NEEDS),
    *_next_step_fields("other_next_steps", _NEEDS, {}),
    # -- the children's views
    Field("children_views", FieldKind.LIST, "What each child said or showed, verbatim.", "", _VOICE),
    Field("children_views[].child", FieldKind.TEXT, "The child's full name.", "Mia Hartley", _VOICE),
    Field("children_views[].method", FieldKind.TEXT, "How the views were gathered.", "Three houses", _VOICE),
    Field("children_views[].date", FieldKind.TEXT, "When, or empty.", "10 November 2026", _VOICE),
    Field("children_views[].seen_alone", FieldKind.TEXT, "Yes, No, or empty when not known.", "Yes", _VOICE),
    Field("children_views[].worries", FieldKind.TEXT, "Worries, in the child's words.", "When Mum and Dad shout", _VOICE),
    Field("children_views[].good_things", FieldKind.TEXT, "Good things, in the child's words.", "Nanna's house and her dog Biscuit.", _VOICE),
    Field("children_views[].dreams", FieldKind.TEXT, "Dreams, in the child's words.", "Everyone at home being happy", _VOICE),
    Field("children_views[].consent_to_share", FieldKind.TEXT, "Whether the child agreed to share: Yes, No, or empty.", "Yes", _VOICE),
    Field("children_views_not_shared", FieldKind.LIST, "The views of children who did not agree to share them (or, aged 12 or over, were not asked): in the professional copy only, each with the fields of children_views[]. Empty in a copy for the family.", "", _VOICE),
    Field("children_views_not_shared[].child", FieldKind.TEXT, "The child's full name.", "Leo Hartley", _VOICE),
    Field("children_views_not_shared[].method", FieldKind.TEXT, "How the views were gathered.", "Observation", _VOICE),
    Field("children_views_not_shared[].date", FieldKind.TEXT, "When, or empty.", "12 November 2026", _VOICE),
    Field("children_views_not_shared[].seen_alone", FieldKind.TEXT, "Yes, No, or empty when not known.", "No", _VOICE),
    Field("children_views_not_shared[].worries", FieldKind.TEXT, "Worries, in the child's words.", "", _VOICE),
    Field("children_views_not_shared[].good_things", FieldKind.TEXT, "Good things, in the child's words.", "", _VOICE),
    Field("children_views_not_shared[].dreams", FieldKind.TEXT, "Dreams, in the child's words.", "", _VOICE),
    Field("children_views_not_shared[].consent_to_share", FieldKind.TEXT, "No, or empty when the child was not asked.", "No", _VOICE),
    Field("children_views_note", FieldKind.TEXT, "When no views are recorded, why, as a sentence (an unborn baby is not asked); else empty.", "", _VOICE),
    # -- scaling
    Field("scale_zero_means", FieldKind.TEXT, "What 0 means on the scale.", "The children cannot safely stay at home as things are.", _SCALING),
    Field("scale_ten_means", FieldKind.TEXT, "What 10 means on the scale.", "Everyone is confident the children are safe enough", _SCALING),
    Field("scale_picture", FieldKind.PICTURE, "A picture of the 0 to 10 line with where each person placed their overall score.", "", _SCALING),
    Field("scores", FieldKind.LIST, "Every score, in workbook order, never averaged.", "", _SCALING),
    *_score_fields("scores", _SCALING, {"participant": "Ada Okafor", "participant_relationship": "Allocated social worker", "short_name": "Ada Okafor", "child": "All the children", "about": "All the children", "score": "4", "reason": "Kerry and Dean have stopped drinking at home", "one_point_higher": "The safety plan written and agreed"}),
    Field("overall_scores", FieldKind.LIST, "The scores about no one danger statement, in workbook order (the others are listed with their statement).", "", _SCALING),
    *_score_fields("overall_scores", _SCALING, {"participant": "Ada Okafor", "score": "4"}),
    # -- safety network and safety plan
    Field("safety_network", FieldKind.LIST, "The safety network members from the People sheet.", "", _PLAN),
    *_person_fields("safety_network", _PLAN, _SANDRA),
    Field("safety_rules", FieldKind.LIST, "The safety plan's rules, in workbook order.", "", _PLAN),
    Field("safety_rules[].number", FieldKind.NUMBER, "1, 2, 3 ...", "1", _PLAN),
    Field("safety_rules[].rule", FieldKind.TEXT, "The rule.", "If Mum or Dad has had a drink, Nanna comes", _PLAN),
    Field("safety_rules[].who", FieldKind.TEXT, "Who keeps it (full name).", "Sandra Price", _PLAN),
    Field("safety_rules[].who_children_call", FieldKind.TEXT, "Who keeps it, by the name the children use.", "Nanna", _PLAN),
    Field("safety_rules[].when", FieldKind.TEXT, "When it applies.", "Any time", _PLAN),
    Field("safety_rules[].danger_number", FieldKind.TEXT, "The number of the danger statement it answers, or empty.", "2", _PLAN),
    Field("safety_rules[].picture", FieldKind.PICTURE, "The picture placed over the rule's row, or empty.", "", _PLAN, sheet="Safety plan"),
    Field("birth_plan", FieldKind.LIST, "The birth and discharge plan of a pre-birth conference (the Birth plan sheet).", "", _PLAN),
    Field("birth_plan[].arrangement", FieldKind.TEXT, "The arrangement.", "", _PLAN),
    Field("birth_plan[].who", FieldKind.TEXT, "Who sees to it, or empty.", "", _PLAN),
    Field("birth_plan[].when", FieldKind.TEXT, "When, or empty.", "", _PLAN),
    # -- recommendation and sharing
    Field("recommendation", FieldKind.TEXT, "The recommendation every child shares (their categories may differ), or empty when the recommendations differ (see children[].recommendation) or for a meeting that is not a conference.", "Child protection plan", _DECISION),
    Field("category_of_harm", FieldKind.TEXT, "The category of harm every child shares under a plan, with Multiple's categories named, or empty.", "", _DECISION),
    Field("recommendation_sentence", FieldKind.TEXT, "The recommendation as a sentence; when the children's differ, the sentence that opens recommendation_lines.", "The recommendations of this report differ between the children.", _DECISION),
    Field("recommendation_lines", FieldKind.LIST, "When the children's recommendations differ: one line per group of children sharing one, each a piece of text; else empty.", "", _DECISION),
    Field("shared_with_parents_on", FieldKind.TEXT, "When the report was shared with the parents, or empty.", "16 November 2026", _DECISION),
    Field("not_shared_because", FieldKind.TEXT, "Why it was not shared, or empty.", "", _DECISION),
    Field("sharing_sentence", FieldKind.TEXT, "Whether and when the report was shared with the parents, as a sentence.", "This report was shared with the parents on 16 November 2026.", _DECISION),
    Field("manager_name", FieldKind.TEXT, "The manager who signs the report off, or empty.", "Helen Marsh", _DECISION),
    Field("manager_role", FieldKind.TEXT, "The manager's role, or empty.", "Team Manager", _DECISION),
    Field("manager_approved_on", FieldKind.TEXT, "When the manager approved the report, or empty.", "16 November 2026", _DECISION),
    Field("manager_approved", FieldKind.FLAG, "True when a manager's name and approval date are given.", "True", _DECISION),
    Field("approval_sentence", FieldKind.TEXT, "The sign-off as a sentence: 'Approved by ... on ...', or that no manager has approved the report.", "Approved by Helen Marsh", _DECISION),
    # -- words and pictures
    Field("story_title", FieldKind.TEXT, "The story's title (pattern configurable), naming the children it is for (born children only).", "Mia and Leo's story", _STORY),
    Field("story_for", FieldKind.TEXT, "The child whose own story this is (Story Yes on Children), by the name used for them; empty for the story the children share.", "", _STORY),
    Field("story_pages", FieldKind.LIST, "Every page of the story in order: the Words and pictures pages by section (the six questions) and page, with the built-in pages at the end of their sections (My safety people, each safety rule in the children's words, Who I can talk to).", "", _STORY),
    Field("story_pages[].section", FieldKind.TEXT, "The question the page answers (one of the six sections).", "Who is worried?", _STORY),
    Field("story_pages[].heading", FieldKind.TEXT, "The page's heading.", "Our family", _STORY),
    Field("story_pages[].words", FieldKind.TEXT, "The page's words (line breaks kept); a safety rule's page has its Words for the children (the rule itself when those are empty).", "Mia and Leo live with Mum and Dad.", _STORY),
    Field("story_pages[].picture", FieldKind.PICTURE, "The page's picture, at most 6.5 cm high, with its alt text (the row's Picture description, else the picture's own, else the heading); empty when there is none: print a box to draw in.", "", _STORY, sheet="Words and pictures"),
    Field("words_pages", FieldKind.LIST, "This story's pages from the Words and pictures sheet (rows for another child's own story left out), in section and page order.", "", _STORY),
    Field("words_pages[].number", FieldKind.NUMBER, "The page number from the workbook.", "1", _STORY),
    Field("words_pages[].section", FieldKind.TEXT, "The question the page answers (a blank Section takes the page before's).", "Who is worried?", _STORY),
    Field("words_pages[].heading", FieldKind.TEXT, "The page's heading.", "Our family", _STORY),
    Field("words_pages[].words", FieldKind.TEXT, "The page's words.", "Mia and Leo live with Mum and Dad.", _STORY),
    Field("words_pages[].picture", FieldKind.PICTURE, "The picture placed over the page's row, with its alt text, or empty.", "", _STORY, sheet="Words and pictures"),
    Field("safety_people", FieldKind.LIST, "The safety network members who know the worries, by the names the children use.", "", _STORY),
    Field("safety_people[].name", FieldKind.TEXT, "The name the children use.", "Nanna", _STORY),
    Field("safety_people[].full_name", FieldKind.TEXT, "Full name.", "Sandra Price", _STORY),
    Field("safety_people[].relationship", FieldKind.TEXT, "Relationship to the children.", "Maternal grandmother", _STORY),
    Field("talk_to", FieldKind.LIST, "Who the children can talk to: the safety network members who know the worries and the professionals with a contact, in People order.", "", _STORY),
    Field("talk_to[].name", FieldKind.TEXT, "The name the children use.", "Nanna", _STORY),
    Field("talk_to[].contact", FieldKind.TEXT, "Their phone number or email, or empty.", "07700 900123", _STORY),
    Field("talk_to[].line", FieldKind.TEXT, "Name and number as one line.", "Nanna: 07700 900123", _STORY),
    Field("story_agreed_sentence", FieldKind.TEXT, "Who agreed the story's words (the parents the children live with), as a sentence, or empty.", "Mum and Dad have read this story and agree with it.", _STORY),
    Field("story_draft", FieldKind.FLAG, "True until Words and pictures agreed by parents is Yes.", "False", _STORY),
    Field("story_draft_mark", FieldKind.TEXT, "The DRAFT mark for every page's header while the story is not agreed (DRAFT: not yet agreed with the family), else empty.", "", _STORY),
    Field("story_marking", FieldKind.TEXT, "Where the story is marked (the `story_marking` setting): cover-only, footer or none.", "cover-only", _STORY),
    Field("story_cover_marking", FieldKind.TEXT, "The protective marking and case reference for the cover, or empty when `story_marking` is none.", "OFFICIAL-SENSITIVE   Case reference: CP-2026-0412", _STORY),
    Field("story_footer_marking", FieldKind.TEXT, "The protective marking and case reference for every page's footer when `story_marking` is footer, else empty.", "", _STORY),
    *_PROGRESS_FIELDS,
)  # fmt: skip

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}


def top_level_names() -> tuple[str, ...]:
    """The names a template can use on their own, outside any loop."""
    return tuple(f.name for f in FIELDS if not f.parent)


def item_names(list_name: str) -> tuple[str, ...]:
    """The attribute names each item of a list field has (`statement`, `goals`, ...)."""
    return tuple(f.leaf for f in FIELDS if f.parent == f"{list_name}[]")


def format_fields() -> str:
    """Every field as plain text for a terminal: name and kind, meaning, example."""
    lines: list[str] = []
    for group, fields in itertools.groupby(FIELDS, key=lambda f: f.group):
        lines += [group, "-" * len(group)]
        for f in fields:
            lines.append(f"{f.name}  ({f.kind})")
            lines.append(f"    {f.meaning}")
            if f.example:
                lines.append(f"    Example: {f.example}")
        lines.append("")
    return "\n".join(lines)


_MARKDOWN_INTRO = """\
# Template fields

<!-- Generated by sos_docs.documents.fields.render_fields_markdown(); do not edit by hand.
     A test keeps this file equal to the registry. -->

These are the values sos-docs puts into a document template. Use them in a Word template as
`{{ case_reference }}`. A field marked *list* is repeated with a loop; its items' fields are
written with `[]`, so `danger_statements[].statement` is used like this:

```
{%p for d in danger_statements %}
Danger statement {{ d.number }}: {{ d.statement }}
{%p endfor %}
```

In a table, put `{%tr for s in next_steps %}` and `{%tr endfor %}` in rows of their own around
the row to repeat. A *picture* is placed with `{{ scale_picture }}` in a paragraph of its own;
an empty picture prints nothing, so `{%p if p.picture %}` ... `{%p endif %}` keeps out the empty
paragraph. Every value is printed exactly as typed in the workbook (never run as template code),
and line breaks typed in a cell are kept.

Templates see these values as plain data and nothing else. Besides the fields, a template may
use `{% if %}`, `{% for %}` (with `loop.index`, `loop.first`, `loop.last`, `loop.cycle(...)`
and the rest of `loop`), `{% set %}`, its own macros (a macro may call only macros defined
before it), `range(...)` and the filters `abs`, `batch`, `capitalize`, `center`, `count`,
`default`, `dictsort`, `escape`, `filesizeformat`, `first`, `float`, `forceescape`, `groupby`,
`indent`, `int`, `items`, `join`, `last`, `length`, `list`, `lower`, `max`, `min`, `reject`,
`rejectattr`, `replace`, `reverse`, `round`, `select`, `selectattr`, `slice`, `sort`,
`string`, `striptags`, `sum`, `title`, `trim`, `truncate`, `unique`, `upper`, `wordcount` and
`wordwrap`. It may not call methods (write `{{ team|upper }}`, not `{{ team.upper() }}`), read
anything behind a picture, or build very large values; `sos-docs check-template` says which tag
to change. Work is bounded while a document is made: a loop may go round at most 1,000,000 times
in one document, a list or table printed whole (rather than looped over) may hold at most
100,000 characters, `wordwrap` wraps at most 1,000,000 characters, and one part of a document
may hold at most 50 million characters; past a bound the workbook is rejected saying so.

Run `sos-docs check-template FILE` to find placeholders a template uses that are not listed here.
The same list is printed by `sos-docs fields`.
"""


def render_fields_markdown() -> str:
    """The Markdown reference of every field, as committed in docs/template-fields.md."""
    parts = [_MARKDOWN_INTRO]
    for group, fields in itertools.groupby(FIELDS, key=lambda f: f.group):
        parts.append(
            f"\n## {group}\n\n| Field | Kind | Meaning | Example |\n| --- | --- | --- | --- |\n"
        )
        for f in fields:
            example = f"`{_md(f.example)}`" if f.example else ""
            parts.append(f"| `{f.name}` | {f.kind} | {_md(f.meaning)} | {example} |\n")
    return "".join(parts)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")
