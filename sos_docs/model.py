"""The typed hand-offs between pipeline stages, defined once.

Data flows: file -> `RawWorkbook` (reader) -> `Validation` holding a `MappingCase` or
`Problem`s (validate) -> template context (context) -> document bytes (render) -> files
(files). Every object here is a frozen dataclass so a stage cannot change what it was given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Words of the case the model itself relies on (the workbook's schema offers them as choices)

MEETING_TYPES = (
    "Initial child protection conference",
    "Review child protection conference",
    "Pre-birth conference",
    "Child in need meeting",
    "Core group meeting",
    "Family network meeting",
    "Strategy discussion",
)
CONFERENCE_MEETING_TYPES = frozenset(MEETING_TYPES[:3])

# The questions a words and pictures story answers, in the order it tells them (after Turnell
# and Essex); the Words and pictures sheet's `Section` column offers them as choices.
STORY_SECTIONS = (
    "Who is worried?",
    "What are they worried about?",
    "What happened?",
    "What is everyone doing so it does not happen again?",
    "What are the safety rules?",
    "Who can I talk to?",
)
STORY_WHO_IS_WORRIED, _, _, STORY_EVERYONE_DOING, STORY_SAFETY_RULES, STORY_TALK_TO = STORY_SECTIONS
INITIAL_CONFERENCE, REVIEW_CONFERENCE, PRE_BIRTH_CONFERENCE = MEETING_TYPES[:3]

# `Withhold from`: the word for everyone who is not a professional (docs/workbook-format.md).
# Any other audience is a People ID.
FAMILY = "Family"
# A child this old or older who was not asked whether their words may be shared: not shared.
CONSENT_AGE = 12

# The scale's ends when a workbook leaves them empty (the blank workbook fills them in).
DEFAULT_SCALE_ZERO = "The children cannot safely stay at home as things are."
DEFAULT_SCALE_TEN = (
    "Everyone is confident the children are safe enough for children's services to close the case."
)

# --------------------------------------------------------------------------------------------
# Problems


class Level(StrEnum):
    """How serious a problem is: errors stop the documents, warnings travel with them."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workbook, where it is, and how to fix it."""

    code: str
    level: Level
    sheet: str | None
    cell: str | None
    message: str

    @property
    def where(self) -> str:
        """`Sheet!B4`, `Sheet`, or `workbook` when the whole file is meant."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or "workbook"


# --------------------------------------------------------------------------------------------
# Reader output: cells as they are in the file, before any Signs of Safety meaning.


@dataclass(frozen=True)
class FormulaWithoutValue:
    """A formula cell whose calculated value was never saved (rule WB007)."""

    formula: str


CellValue = str | int | float | bool | dt.datetime | dt.date | dt.time | FormulaWithoutValue | None


@dataclass(frozen=True)
class Picture:
    """An image placed over a sheet, with the first row its top-left corner sits in."""

    data: bytes
    format: str  # "png", "jpeg", "gif", ...
    anchor_row: int  # 1-based sheet row
    anchor_cell: str  # A1 form
    max_height_emu: int = 0  # shown at most this high (EMU) in a document; 0: as the page allows
    # Pixel size, given only for pictures sos-docs drew itself: they need no decoding to be checked.
    size: tuple[int, int] | None = None
    # What the picture shows, in words: its alt text in a document (wp:docPr descr).
    description: str = ""
    # What the picture is, in a few words: its name in a document (wp:docPr name), which Word's
    # selection pane and some screen readers show ("Scale picture", not "Picture 1").
    name: str = ""


class Unseen(StrEnum):
    """Why a person looking at the workbook in Excel cannot see a cell's value."""

    ROW = "hidden row"
    COLUMN = "hidden column"
    FORMAT = "number format"  # ";;;" (or ";;" for a number) shows nothing
    WHITE = "white text"  # white text on a white (or no) fill


@dataclass(frozen=True)
class RawSheet:
    """One worksheet's non-empty cell values by (row, column), 1-based, plus its pictures.

    `cells` holds only what a person sees: values on hidden rows or columns, or hidden by their
    format or colour, are in `unseen` instead, with the reason.
    """

    title: str
    cells: Mapping[tuple[int, int], CellValue]
    max_row: int
    max_column: int
    pictures: tuple[Picture, ...] = ()
    # The cells where a picture is placed that could not be read (damaged, or a format such
    # as WMF that cannot be used): left out of the documents, and said so.
    unreadable_pictures: tuple[str, ...] = ()
    hidden: bool = False  # the tab is hidden (or "very hidden")
    unseen: Mapping[tuple[int, int], Unseen] = field(default_factory=dict)


STANDARD_SHAPE = "the sos-docs mapping workbook"


@dataclass(frozen=True)
class CellOrigin:
    """Where a value of a reshaped workbook really is: the team's own sheet and cell (A1)."""

    sheet: str
    cell: str | None = None


@dataclass(frozen=True)
class RawWorkbook:
    """Every worksheet of a workbook file, in tab order.

    A workbook in another shape (the one-page map, a team's layout) is reshaped into the standard
    sheets before validation; `origins` then says, for each standard (sheet, cell), where the
    value really is, and `sheet_origins` the same for whole sheets, so that every problem points
    into the team's own cells. `shape` names the shape the workbook was read as.
    """

    path_name: str
    sheets: tuple[RawSheet, ...]
    shape: str = STANDARD_SHAPE
    origins: Mapping[tuple[str, str], CellOrigin] = field(default_factory=dict)
    sheet_origins: Mapping[str, CellOrigin] = field(default_factory=dict)
    # What a problem means in the team's shape ("On the one-page map ..."), by problem code,
    # standard "sheet!cell" or standard sheet name (tried in that order), added to its message
    # when it is moved.
    hints: Mapping[str, str] = field(default_factory=dict)
    # Problems found while reshaping (a section label twice, a sheet or heading the team's layout
    # names is not there), already in the team's own cells; validation reports them first, in
    # place of its own that they explain.
    shape_problems: tuple[Problem, ...] = ()
    # The team layout's file name when the workbook was read through one ("" otherwise): a
    # missing sheet is then added to the workbook or to the layout.
    layout_name: str = ""

    def team_titles(self) -> tuple[str, ...]:
        """The workbook's own tab titles, in order: a reshaped sheet by the team's title."""
        titles: dict[str, None] = {}
        for sheet in self.sheets:
            origin = self.sheet_origins.get(sheet.title)
            titles.setdefault(origin.sheet if origin is not None else sheet.title)
        return tuple(titles)

    def origin_of(self, sheet: str | None, cell: str | None) -> CellOrigin | None:
        """The team's own place for a standard sheet and cell; None when it is where it says."""
        if sheet is None:
            return None
        if cell is not None and (sheet, cell) in self.origins:
            return self.origins[(sheet, cell)]
        return self.sheet_origins.get(sheet)


@dataclass(frozen=True)
class LayoutField:
    """One entry of a team layout: a standard field and where the team keeps it, as written.

    `target` is the team's heading (a table sheet) or label (the Case sheet), or `column D`, or
    a cell such as `C4` (Case); workbook/team_layout.py reads it against the schema.
    """

    name: str  # the standard field as written, e.g. "Relationship"
    target: str  # the team's heading, label, `column D` or cell
    line: int | None = None  # its line in the layout file


@dataclass(frozen=True)
class LayoutSheet:
    """Where a team keeps one standard sheet: its own sheet, header row and field names."""

    name: str  # the standard sheet as written, e.g. "People"
    sheet: str  # the team's sheet title, e.g. "Family"
    fields: tuple[LayoutField, ...] = ()
    header_row: int | None = None  # None: found near the top
    line: int | None = None  # the line of its table, e.g. `[layout.People]`
    sheet_line: int | None = None  # the line of its `sheet = "..."` entry


@dataclass(frozen=True)
class TeamLayout:
    """A team's mapping of its own workbook onto the standard sheets, and the file it is in."""

    source: Path  # the sos-docs.toml or layout.toml it was read from
    sheets: tuple[LayoutSheet, ...] = ()


# --------------------------------------------------------------------------------------------
# The validated case: the Signs of Safety map in typed form.


@dataclass(frozen=True)
class Source:
    """Where a record came from: its sheet, row, and the cell of each field (A1 form)."""

    sheet: str
    row: int
    cells: Mapping[str, str] = field(default_factory=dict, compare=False)

    def cell(self, field_name: str) -> str | None:
        """The A1 reference of a field's cell on this record's row."""
        return self.cells.get(field_name)


@dataclass(frozen=True)
class PersonRef:
    """A person named in a cell, resolved against the People and Children sheets."""

    name: str
    id: str | None = None  # None when the cell held free text, e.g. "School"
    is_child: bool = False


@dataclass(frozen=True)
class CaseDetails:
    """The Case sheet: what the meeting is, who wrote the map, and the recommendation."""

    case_reference: str
    meeting_type: str
    mapping_date: dt.date
    report_author: PersonRef
    author_role: str
    author_agency: str
    reason_for_report: str
    local_authority: str = ""
    team: str = ""
    meeting_date: dt.date | None = None
    author_contact: str = ""
    recommendation: str = ""
    category_of_harm: str = ""
    shared_with_parents_on: dt.date | None = None
    not_shared_because: str = ""
    scale_zero_means: str = ""
    scale_ten_means: str = ""
    words_and_pictures_agreed: bool | None = None
    review_date: dt.date | None = None
    # Format 2 (docs/workbook-format.md): all optional, so a format 1 workbook reads as before.
    format_version: int | None = None  # the Case sheet's `Format` value; None: format 1
    categories: tuple[str, ...] = ()  # the categories a `Multiple` category names
    report_date: dt.date | None = None  # the day the author signs the report
    manager_name: str = ""
    manager_role: str = ""
    manager_approved_on: dt.date | None = None
    # Case values withheld from some copies (the Case sheet's column C): field -> audiences.
    withheld_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    source: Source | None = field(default=None, compare=False)

    @property
    def is_conference(self) -> bool:
        """True for the three child protection conference meeting types."""
        return self.meeting_type in CONFERENCE_MEETING_TYPES

    @property
    def is_review(self) -> bool:
        """True for a review child protection conference."""
        return self.meeting_type == REVIEW_CONFERENCE

    @property
    def is_pre_birth(self) -> bool:
        """True for a pre-birth conference."""
        return self.meeting_type == PRE_BIRTH_CONFERENCE


@dataclass(frozen=True)
class Child:
    """A child the map is about; unborn children have an expected due date instead of a birth."""

    id: str
    name: str
    date_of_birth: dt.date | None = None
    expected_due_date: dt.date | None = None
    gender: str = ""
    ethnicity: str = ""
    first_language: str = ""
    interpreter_needed: bool | None = None
    school_or_setting: str = ""
    legal_status: str = ""
    # Format 2: the name used wherever a first name is wanted (never guessed from `name`), and
    # this child's own decision; blank ones take the Case sheet's.
    known_as: str = ""
    recommendation: str = ""
    category_of_harm: str = ""
    categories: tuple[str, ...] = ()
    plan_start_date: dt.date | None = None
    # Yes: a words and pictures story of this child's own; No: no story; None: the shared story.
    story: bool | None = None
    source: Source | None = field(default=None, compare=False)

    @property
    def is_unborn(self) -> bool:
        """True when only an expected due date is known."""
        return self.date_of_birth is None and self.expected_due_date is not None


@dataclass(frozen=True)
class Person:
    """An adult around the children: parent, carer, family, friend or professional."""

    id: str
    name: str
    relationship: str
    role: str
    lives_with_children: bool | None = None
    parental_responsibility: bool | None = None
    safety_network: bool | None = None
    knows_the_worries: bool | None = None
    agency: str = ""
    contact: str = ""
    name_children_use: str = ""
    # Format 2: which children the relationship, parental responsibility and living-with
    # apply to ("father of C3 only"); empty means all the children.
    children: tuple[PersonRef, ...] = ()
    first_language: str = ""
    interpreter_needed: bool | None = None
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AgencyInvolvement:
    """One agency's involvement with the family."""

    agency: str
    worker: str = ""
    involved_since: dt.date | None = None
    what_support: str = ""
    child_last_seen: dt.date | None = None
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Harm:
    """Something an adult did or did not do that has already hurt a child."""

    what_happened: str
    date: dt.date | None = None
    impact_on_child: str = ""
    children: tuple[PersonRef, ...] = ()
    information_source: str = ""  # Observed, Child said, Reported, Alleged
    disputed_by: tuple[PersonRef, ...] = ()  # format 2: who disputes this account
    their_account: str = ""  # format 2: what they say happened
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DangerStatement:
    """What we fear will happen if nothing changes, with the family's view of it."""

    id: str
    statement: str
    family_view: str = ""
    family_words: str = ""
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ComplicatingFactor:
    """Something that makes the worries harder to fix."""

    factor: str
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GreyArea:
    """An unknown or disputed fact."""

    question: str
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class WorkingWell:
    """An existing strength, or existing safety someone actually showed."""

    type: str  # "Existing strength" or "Existing safety"
    what: str
    who: PersonRef | None = None
    danger_statement_id: str = ""
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SafetyGoal:
    """What will be different, paired with a danger statement, and for how long."""

    id: str
    danger_statement_id: str
    goal: str
    sustained_for_months: int | None = None
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class NextStep:
    """An action with a named person and a date."""

    action: str
    who: PersonRef
    by_when: dt.date
    safety_goal_id: str = ""
    status: str = ""
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Score:
    """One person's scaling score, 0 to 10, with their reason; never averaged away."""

    participant: PersonRef
    score: int
    reason: str
    child: PersonRef | None = None  # None: all the children
    danger_statement_id: str = ""  # "": the overall score
    one_point_higher: str = ""
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ChildView:
    """What a child said or showed, in their own words, verbatim."""

    child: PersonRef
    method: str = ""
    date: dt.date | None = None
    seen_alone: bool | None = None
    worries: str = ""
    good_things: str = ""
    dreams: str = ""
    consent_to_share: bool | None = None
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    # True when the child said no to sharing (or, aged 12 or over, was not asked): their words
    # are withheld from the family and shown apart in the professional copy.
    not_agreed: bool = False
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SafetyRule:
    """An everyday rule of the safety plan, with who keeps it and when."""

    rule: str
    who: PersonRef
    when: str = ""
    danger_statement_id: str = ""
    picture: Picture | None = None
    words_for_children: str = ""  # the rule as the children read it in their story
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class WordsPage:
    """One page of the words and pictures story, in the order it is read."""

    page: int
    heading: str
    words: str
    picture: Picture | None = None
    section: str = ""  # one of STORY_SECTIONS; "": the section of the page before it
    child: PersonRef | None = None  # None: every story; else only this child's
    picture_description: str = ""  # what the picture shows, for its alt text
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FamilyView:
    """One person's view of a danger statement, a harm row, or the worries overall (format 2)."""

    person: PersonRef
    view: str = ""  # Agree, Partly agree, Disagree
    their_words: str = ""
    danger_statement_id: str = ""  # the statement it is about; "" with no harm_row: overall
    harm_row: int | None = None  # the Harm sheet row it is about
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)

    @property
    def is_overall(self) -> bool:
        """True when the view is about the worries as a whole."""
        return not self.danger_statement_id and self.harm_row is None


@dataclass(frozen=True)
class BirthPlanItem:
    """One arrangement of a pre-birth conference's birth and discharge plan (format 2)."""

    arrangement: str
    who: PersonRef | None = None
    when: str = ""
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PreviousScore:
    """A scaling score from a conference before sos-docs (the `Previous scaling` sheet)."""

    date: dt.date
    participant: PersonRef
    score: int
    danger_statement: str = ""  # as it was numbered or worded then; "" for the overall score
    child: PersonRef | None = None
    withheld_from: tuple[str, ...] = ()  # FAMILY and/or People IDs: left out of their copies
    source: Source | None = field(default=None, compare=False)


@dataclass(frozen=True)
class MappingCase:
    """The whole Signs of Safety map of one case, as a valid workbook describes it."""

    details: CaseDetails
    children: tuple[Child, ...]
    people: tuple[Person, ...]
    agency_involvement: tuple[AgencyInvolvement, ...] = ()
    harm: tuple[Harm, ...] = ()
    danger_statements: tuple[DangerStatement, ...] = ()
    complicating_factors: tuple[ComplicatingFactor, ...] = ()
    grey_areas: tuple[GreyArea, ...] = ()
    working_well: tuple[WorkingWell, ...] = ()
    safety_goals: tuple[SafetyGoal, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    scaling: tuple[Score, ...] = ()
    childs_views: tuple[ChildView, ...] = ()
    safety_plan: tuple[SafetyRule, ...] = ()
    words_and_pictures: tuple[WordsPage, ...] = ()
    family_views: tuple[FamilyView, ...] = ()
    birth_plan: tuple[BirthPlanItem, ...] = ()
    previous_scaling: tuple[PreviousScore, ...] = ()


@dataclass(frozen=True)
class CopySummary:
    """One copy of a case's documents for staff (the receipt, the command line): its label,
    who it is for, and where each thing it leaves out is in the workbook (sheet, "row 4" or a
    Case cell), never what it says."""

    label: str  # "professional copy", "family copy", "copy for Dean Hartley"
    for_whom: str
    leaves_out: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class EarlierWorkbook:
    """A file that may hold an earlier conference of a case: where it is, and its name for staff."""

    path: Path
    name: str  # as staff know it ("processed/Hartley initial.xlsx"), for warnings


@dataclass(frozen=True)
class EarlierConference:
    """A workbook of the same case processed before this one, read again for a review."""

    file_name: str  # as staff know it, for warnings and the report's sources
    case: MappingCase


@dataclass(frozen=True)
class CaseHistory:
    """What a review conference knows of the case's earlier conferences.

    `earlier` is oldest first. `warnings` say which earlier workbooks could not be used and
    why (missing, damaged, no longer valid, another family): never a failure of this one.
    """

    earlier: tuple[EarlierConference, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Validation:
    """What validation found: the case when there is no error, and every problem in any case."""

    case: MappingCase | None
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()  # information only: sheets and columns that were ignored

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that stop documents from being made."""
        return tuple(p for p in self.problems if p.level is Level.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems reported alongside the documents."""
        return tuple(p for p in self.problems if p.level is Level.WARNING)

    @property
    def ok(self) -> bool:
        """True when documents can be made."""
        return self.case is not None and not self.errors
