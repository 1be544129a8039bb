"""The mapping workbook contract, formats 1 and 2, as data: sheets, columns, types, choices, aliases.

The blank workbook, the validator and the documentation all read this one table, so the
workbook people fill in and the rules it is checked against cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sos_docs.model import CONSENT_AGE, MEETING_TYPES, STORY_SECTIONS

FORMAT_VERSION = 2  # what `new-workbook` writes; format 1 workbooks are read as before


class ColumnKind(StrEnum):
    """How a cell's value is read."""

    TEXT = "text"
    DATE = "date"
    YESNO = "yes/no"
    CHOICE = "choice"
    WHOLE = "whole number"
    PERSON = "person"  # People or Children sheet, by ID or exact name
    CHILD = "child"  # Children sheet, by ID or exact name
    CHILDREN = "children"  # comma-separated children
    PEOPLE = "people"  # comma-separated people or children
    REF = "reference"  # an ID on another sheet (danger statement, safety goal)
    PICTURE = "picture"  # an image placed over the row, never a cell value
    AUDIENCE = "audience"  # `Withhold from`: Family and/or People IDs or names


class Question(StrEnum):
    """The Signs of Safety question a sheet belongs to; colours its tab."""

    ABOUT = "about"
    WORRIED = "worried"
    WORKING_WELL = "working well"
    NEEDS_TO_HAPPEN = "needs to happen"
    SCALING = "scaling"
    CHILD = "child"


TAB_COLOURS = {
    Question.ABOUT: "808080",
    Question.WORRIED: "C0392B",
    Question.WORKING_WELL: "27AE60",
    Question.NEEDS_TO_HAPPEN: "2E86C1",
    Question.SCALING: "8E44AD",
    Question.CHILD: "F1C40F",
}

YES_WORDS = frozenset({"yes", "y", "true"})
NO_WORDS = frozenset({"no", "n", "false"})

INITIAL_RECOMMENDATIONS = (
    "Child protection plan",
    "Child in need plan",
    "No further action",
    "Other",
)
REVIEW_RECOMMENDATIONS = (
    "Continue child protection plan",
    "End plan: child in need plan",
    "End plan: no further action",
    "Other",
)
# Every recommendation a cell may hold; which fit the meeting type is a rule of its own.
RECOMMENDATIONS = (*INITIAL_RECOMMENDATIONS, *REVIEW_RECOMMENDATIONS[:-1])
CATEGORIES_OF_HARM = ("Neglect", "Physical abuse", "Emotional abuse", "Sexual abuse", "Multiple")
MULTIPLE = CATEGORIES_OF_HARM[-1]  # the category that names the others in `Categories`
READ_FORMATS = (1, 2)  # the `Format` values this sos-docs reads (rule WB013)
LEGAL_STATUSES = ("None", "Child in need", "Child protection plan", "Looked after")
ROLES = ("Parent", "Carer", "Family", "Friend", "Professional")
HARM_SOURCES = ("Observed", "Child said", "Reported", "Alleged")
FAMILY_VIEWS = ("Agree", "Partly agree", "Disagree")
WORKING_WELL_TYPES = ("Existing strength", "Existing safety")
STEP_STATUSES = ("Not started", "In progress", "Done")
VIEW_METHODS = (
    "Three houses",
    "Fairy or wizard",
    "Conversation",
    "Observation",
    "Words and pictures",
)

# Professional labels that describe a category rather than behaviour (rule SOS207).
PROFESSIONAL_LABELS = (
    "domestic violence",
    "domestic abuse",
    "neglect",
    "substance misuse",
    "substance abuse",
    "emotional abuse",
    "physical abuse",
    "sexual abuse",
    "mental health issues",
    "parental mental health",
    "poor home conditions",
    "chaotic lifestyle",
    "lack of engagement",
    "toxic trio",
)


@dataclass(frozen=True)
class Column:
    """One column of a table sheet, or one label of a key/value sheet."""

    name: str
    field: str
    kind: ColumnKind = ColumnKind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    refers_to: str = ""  # sheet name an ID reference points into (ColumnKind.REF)
    aliases: tuple[str, ...] = ()
    help: str = ""
    width: int = 18
    # A choice column that also takes several choices separated by commas (categories of harm:
    # "Neglect, Emotional abuse" reads as Multiple naming those two).
    several: bool = False

    @property
    def header(self) -> str:
        """The header as the blank workbook writes it: a `*` marks a required column."""
        return f"{self.name}*" if self.required else self.name


@dataclass(frozen=True)
class Sheet:
    """One worksheet of the contract."""

    name: str
    columns: tuple[Column, ...]
    question: Question
    required: bool = False
    key_value: bool = False
    at_least_one_row: bool = False
    id_field: str = ""  # the field whose values must be unique (rule WB008)
    aliases: tuple[str, ...] = ()
    intro: str = ""

    def column(self, field: str) -> Column:
        """The column that fills a model field."""
        return next(c for c in self.columns if c.field == field)


def _c(name: str, field: str, kind: ColumnKind = ColumnKind.TEXT, **kw: object) -> Column:
    return Column(name, field, kind, **kw)  # type: ignore[arg-type]


# Who a row is kept from (docs/workbook-format.md, "Withholding"): every table sheet but
# Children and People has it, as its last column.
# Columns that mean the same on more than one sheet, defined once.
CATEGORIES = _c(
    "Categories",
    "categories",
    aliases=("Categories of harm",),
    help="When the category is Multiple: which ones, separated by commas.",
)
PICTURE = _c(
    "Picture",
    "picture",
    ColumnKind.PICTURE,
    width=24,
    help="Place a picture over this row's cells.",
)
WITHHOLD_FROM = _c(
    "Withhold from",
    "withheld_from",
    ColumnKind.AUDIENCE,
    width=16,
    aliases=("Withheld from", "Do not share with"),
    help="Blank: shared. Family: kept out of every copy for the family. Or People IDs or "
    "names (e.g. P2): kept out of their copy only. Separate several with commas.",
)

CASE = Sheet(
    "Case",
    key_value=True,
    required=True,
    question=Question.ABOUT,
    aliases=("Case details", "Case info"),
    intro="One value per label, in column B. Labels can be in any order.",
    columns=(
        _c(
            "Case reference",
            "case_reference",
            required=True,
            aliases=("Case ref", "Reference"),
            help="Your case management reference. Used in the report file names.",
        ),
        _c("Local authority", "local_authority", aliases=("Council", "LA")),
        _c("Team", "team"),
        _c(
            "Meeting type",
            "meeting_type",
            ColumnKind.CHOICE,
            required=True,
            choices=MEETING_TYPES,
            aliases=("Type of meeting",),
        ),
        _c(
            "Meeting date",
            "meeting_date",
            ColumnKind.DATE,
            aliases=("Conference date",),
            help="Required for conferences. Day first: 19/05/2025.",
        ),
        _c(
            "Mapping date",
            "mapping_date",
            ColumnKind.DATE,
            required=True,
            aliases=("Date of mapping",),
            help="The day the map was done. Not in the future.",
        ),
        _c(
            "Report author",
            "report_author",
            ColumnKind.PERSON,
            required=True,
            aliases=("Author",),
            help="An ID or name from the People sheet.",
        ),
        _c("Author role", "author_role", required=True, aliases=("Role",)),
        _c("Author agency", "author_agency", required=True, aliases=("Agency",)),
        _c("Author contact", "author_contact", aliases=("Contact",)),
        _c(
            "Reason for report",
            "reason_for_report",
            required=True,
            aliases=("Reason for the report", "Reason"),
        ),
        _c(
            "Recommendation",
            "recommendation",
            ColumnKind.CHOICE,
            choices=RECOMMENDATIONS,
            help="Required for conferences, unless every child has their own on the Children "
            "sheet.",
        ),
        _c(
            "Category of harm",
            "category_of_harm",
            ColumnKind.CHOICE,
            choices=CATEGORIES_OF_HARM,
            aliases=("Category",),
            several=True,
            help="Required when the recommendation is a child protection plan. Several, "
            "separated by commas, mean Multiple.",
        ),
        _c(
            "Shared with parents on",
            "shared_with_parents_on",
            ColumnKind.DATE,
            aliases=("Date shared with parents", "Shared with parents"),
            help="Required for conferences: this date, or fill in Not shared because.",
        ),
        _c(
            "Not shared because",
            "not_shared_because",
            aliases=("Reason not shared",),
            help="Required for conferences when Shared with parents on is blank: why the report "
            "was not shared with the parents.",
        ),
        _c("Scale zero means", "scale_zero_means", aliases=("0 means", "Zero means")),
        _c("Scale ten means", "scale_ten_means", aliases=("10 means", "Ten means")),
        _c(
            "Words and pictures agreed by parents",
            "words_and_pictures_agreed",
            ColumnKind.YESNO,
            aliases=("Words and pictures agreed",),
            help="Yes once the parents have agreed the words and pictures story. Until it is "
            "Yes, the story is marked DRAFT on every page.",
        ),
        _c("Review date", "review_date", ColumnKind.DATE),
        _c(
            "Format",
            "format_version",
            ColumnKind.WHOLE,
            aliases=("Workbook format",),
            help="The mapping workbook format: 2. Leave as it is.",
        ),
        CATEGORIES,
        _c(
            "Report date",
            "report_date",
            ColumnKind.DATE,
            aliases=("Date of report", "Date of this report"),
            help="The day you sign the report. Blank: the day the documents are made.",
        ),
        _c("Manager name", "manager_name", aliases=("Manager",)),
        _c("Manager role", "manager_role"),
        _c(
            "Manager approved on",
            "manager_approved_on",
            ColumnKind.DATE,
            aliases=("Approved on", "Manager approval date"),
        ),
        _c(
            "Withhold from",
            "withheld_fields",
            aliases=("Withheld from",),
            help="Case values kept from some copies: the label, a colon and who from (Family, "
            "or People IDs), one a line. For example: Author contact: Family",
        ),
    ),
)

CHILDREN = Sheet(
    "Children",
    required=True,
    at_least_one_row=True,
    id_field="id",
    question=Question.ABOUT,
    aliases=("Child", "Children and young people"),
    intro="One row per child. IDs are C1, C2 ...",
    columns=(
        _c("ID", "id", required=True, width=8),
        _c("Name", "name", required=True, width=26, aliases=("Child's name", "Full name")),
        _c(
            "Date of birth",
            "date_of_birth",
            ColumnKind.DATE,
            aliases=("DOB", "D.O.B", "Birth date"),
            help="Day first: 19/05/2019. Leave blank for an unborn child.",
        ),
        _c(
            "Expected due date",
            "expected_due_date",
            ColumnKind.DATE,
            aliases=("EDD", "Due date"),
            help="Only for an unborn child.",
        ),
        _c("Gender", "gender", width=12),
        _c("Ethnicity", "ethnicity"),
        _c("First language", "first_language", aliases=("Language",)),
        _c("Interpreter needed", "interpreter_needed", ColumnKind.YESNO, aliases=("Interpreter",)),
        _c("School or setting", "school_or_setting", width=26, aliases=("School", "Setting")),
        _c("Legal status", "legal_status", ColumnKind.CHOICE, choices=LEGAL_STATUSES),
        _c(
            "Known as",
            "known_as",
            width=14,
            aliases=("Preferred name", "First name"),
            help="The name the child is called by. Used wherever a first name is wanted.",
        ),
        _c(
            "Recommendation",
            "recommendation",
            ColumnKind.CHOICE,
            choices=RECOMMENDATIONS,
            width=24,
            help="Blank: the Case sheet's recommendation.",
        ),
        _c(
            "Category of harm",
            "category_of_harm",
            ColumnKind.CHOICE,
            choices=CATEGORIES_OF_HARM,
            aliases=("Category",),
            several=True,
            help="Blank: the Case sheet's category. Several, separated by commas, mean Multiple.",
        ),
        CATEGORIES,
        _c(
            "Plan start date",
            "plan_start_date",
            ColumnKind.DATE,
            help="For a review: the day the current plan began.",
        ),
        _c(
            "Story",
            "story",
            ColumnKind.YESNO,
            width=10,
            aliases=("Own story",),
            help="Yes: a words and pictures story of the child's own. No: no story. "
            "Blank: the story the children share.",
        ),
    ),
)

PEOPLE = Sheet(
    "People",
    required=True,
    id_field="id",
    question=Question.ABOUT,
    aliases=("Adults", "Family and network", "People involved"),
    intro="Everyone around the children: family, friends and professionals. IDs are P1, P2 ...",
    columns=(
        _c("ID", "id", required=True, width=8),
        _c("Name", "name", required=True, width=24),
        _c(
            "Relationship",
            "relationship",
            required=True,
            width=24,
            aliases=("Relationship to children", "Relationship to the children"),
            help="To the children, e.g. Mother, Maternal grandmother, Health visitor.",
        ),
        _c("Role", "role", ColumnKind.CHOICE, required=True, choices=ROLES, width=14),
        _c(
            "Lives with the children",
            "lives_with_children",
            ColumnKind.YESNO,
            aliases=("Lives with children", "Household member"),
        ),
        _c("Parental responsibility", "parental_responsibility", ColumnKind.YESNO, aliases=("PR",)),
        _c("Safety network", "safety_network", ColumnKind.YESNO, aliases=("Network member",)),
        _c(
            "Knows the worries",
            "knows_the_worries",
            ColumnKind.YESNO,
            aliases=("Knows worries",),
            help="Safety network members must know the worries.",
        ),
        _c("Agency", "agency", help="Required for professionals."),
        _c("Contact", "contact", aliases=("Phone", "Email")),
        _c(
            "Name the children use",
            "name_children_use",
            aliases=("Known to the children as", "Children call them"),
            help="e.g. Nanna. Used in the words and pictures story.",
        ),
        _c(
            "Children",
            "children",
            ColumnKind.CHILDREN,
            help="Which children the relationship applies to (IDs or names). Blank: all.",
        ),
        _c("First language", "first_language", aliases=("Language",)),
        _c("Interpreter needed", "interpreter_needed", ColumnKind.YESNO, aliases=("Interpreter",)),
    ),
)

AGENCY_INVOLVEMENT = Sheet(
    "Agency involvement",
    question=Question.ABOUT,
    aliases=("Agencies", "Agency"),
    columns=(
        _c("Agency", "agency", required=True, width=24),
        _c("Worker", "worker"),
        _c("Involved since", "involved_since", ColumnKind.DATE),
        _c("What support", "what_support", width=40, aliases=("Support",)),
        _c("Child last seen", "child_last_seen", ColumnKind.DATE, aliases=("Last seen",)),
        WITHHOLD_FROM,
    ),
)

HARM = Sheet(
    "Harm",
    question=Question.WORRIED,
    aliases=("Past harm", "Harm statements"),
    intro="What adults did or did not do that has already hurt the children. Dated and factual.",
    columns=(
        _c("Date", "date", ColumnKind.DATE, width=12),
        _c("What happened", "what_happened", required=True, width=50),
        _c("Impact on the child", "impact_on_child", width=40, aliases=("Impact",)),
        _c(
            "Children",
            "children",
            ColumnKind.CHILDREN,
            aliases=("Child",),
            help="IDs or names, separated by commas. Blank means all the children.",
        ),
        _c("Source", "information_source", ColumnKind.CHOICE, choices=HARM_SOURCES, width=14),
        _c(
            "Disputed by",
            "disputed_by",
            ColumnKind.PEOPLE,
            help="Who says it did not happen this way (IDs or names).",
        ),
        _c(
            "Their account",
            "their_account",
            width=40,
            help="What the people who dispute it say happened, in their words.",
        ),
        WITHHOLD_FROM,
    ),
)

DANGER_STATEMENTS = Sheet(
    "Danger statements",
    required=True,
    at_least_one_row=True,
    id_field="id",
    question=Question.WORRIED,
    aliases=("Danger statement", "Dangers", "Worries"),
    intro="Who is worried, about whose behaviour, and what could happen to which child. "
    "Plain words, usually no more than three.",
    columns=(
        _c("ID", "id", required=True, width=8),
        _c(
            "Statement",
            "statement",
            required=True,
            width=60,
            aliases=("Danger statement",),
            help="Describe behaviour in plain words, not labels like 'domestic abuse'.",
        ),
        _c("Family's view", "family_view", ColumnKind.CHOICE, choices=FAMILY_VIEWS, width=14),
        _c(
            "Family's words",
            "family_words",
            width=40,
            help="Required when the family partly agrees or disagrees.",
        ),
        WITHHOLD_FROM,
    ),
)

COMPLICATING_FACTORS = Sheet(
    "Complicating factors",
    question=Question.WORRIED,
    aliases=("Complicating factor",),
    columns=(_c("Factor", "factor", required=True, width=70), WITHHOLD_FROM),
)

GREY_AREAS = Sheet(
    "Grey areas",
    question=Question.WORRIED,
    aliases=("Grey area", "Gray areas", "Unknowns"),
    columns=(
        _c(
            "Question or unknown",
            "question",
            required=True,
            width=70,
            aliases=("Question", "Unknown"),
        ),
        WITHHOLD_FROM,
    ),
)

WORKING_WELL = Sheet(
    "Working well",
    required=True,
    at_least_one_row=True,
    question=Question.WORKING_WELL,
    aliases=("What's working well", "Whats working well", "Strengths"),
    columns=(
        _c("Type", "type", ColumnKind.CHOICE, required=True, choices=WORKING_WELL_TYPES, width=18),
        _c("What is working well", "what", required=True, width=60, aliases=("Working well",)),
        _c("Who", "who", ColumnKind.PERSON),
        _c(
            "Danger statement",
            "danger_statement_id",
            ColumnKind.REF,
            refers_to="Danger statements",
            help="For existing safety: the ID of the danger it kept the children safe from.",
        ),
        WITHHOLD_FROM,
    ),
)

SAFETY_GOALS = Sheet(
    "Safety goals",
    required=True,
    id_field="id",
    question=Question.NEEDS_TO_HAPPEN,
    aliases=("Safety goal", "Goals"),
    columns=(
        _c("ID", "id", required=True, width=8),
        _c(
            "Danger statement",
            "danger_statement_id",
            ColumnKind.REF,
            required=True,
            refers_to="Danger statements",
        ),
        _c("Goal", "goal", required=True, width=60, aliases=("Safety goal",)),
        _c(
            "Sustained for",
            "sustained_for_months",
            ColumnKind.WHOLE,
            aliases=("Sustained for (months)", "Months"),
            help="How many months the goal must be kept up. A whole number.",
        ),
        WITHHOLD_FROM,
    ),
)

NEXT_STEPS = Sheet(
    "Next steps",
    required=True,
    at_least_one_row=True,
    question=Question.NEEDS_TO_HAPPEN,
    aliases=("Next step", "Actions"),
    columns=(
        _c("Action", "action", required=True, width=50),
        _c(
            "Who",
            "who",
            ColumnKind.PERSON,
            required=True,
            help="An ID or name from the People sheet.",
        ),
        _c("By when", "by_when", ColumnKind.DATE, required=True, aliases=("By", "Due", "Deadline")),
        _c("Safety goal", "safety_goal_id", ColumnKind.REF, refers_to="Safety goals"),
        _c("Status", "status", ColumnKind.CHOICE, choices=STEP_STATUSES, width=14),
        WITHHOLD_FROM,
    ),
)

SCALING = Sheet(
    "Scaling",
    required=True,
    at_least_one_row=True,
    question=Question.SCALING,
    aliases=("Scaling scores", "Scale", "Scores"),
    intro="0 means the children cannot safely stay at home as things are; "
    "10 means everyone is confident they are safe enough to close the case.",
    columns=(
        _c(
            "Participant",
            "participant",
            ColumnKind.PERSON,
            required=True,
            aliases=("Person", "Name"),
        ),
        _c("Child", "child", ColumnKind.CHILD, help="Blank means all the children."),
        _c(
            "Danger statement",
            "danger_statement_id",
            ColumnKind.REF,
            refers_to="Danger statements",
            help="Blank means the overall score.",
        ),
        _c(
            "Score",
            "score",
            ColumnKind.WHOLE,
            required=True,
            width=10,
            aliases=("Score (0-10)", "Score 0-10", "Rating"),
            help="A whole number from 0 to 10.",
        ),
        _c("Reason", "reason", required=True, width=50, aliases=("Why",)),
        _c(
            "One point higher",
            "one_point_higher",
            width=40,
            aliases=("What would make it one point higher",),
        ),
        WITHHOLD_FROM,
    ),
)

CHILDS_VIEWS = Sheet(
    "Child's views",
    question=Question.CHILD,
    aliases=("Childs views", "Children's views", "Child views", "Voice of the child"),
    intro="The child's own words, exactly as they said them.",
    columns=(
        _c("Child", "child", ColumnKind.CHILD, required=True),
        _c("Method", "method", ColumnKind.CHOICE, choices=VIEW_METHODS, width=16),
        _c("Date", "date", ColumnKind.DATE, width=12),
        _c("Seen alone", "seen_alone", ColumnKind.YESNO, width=10),
        _c("Worries", "worries", width=40, aliases=("House of worries",)),
        _c("Good things", "good_things", width=40, aliases=("House of good things",)),
        _c("Dreams", "dreams", width=40, aliases=("House of dreams",)),
        _c(
            "Consent to share",
            "consent_to_share",
            ColumnKind.YESNO,
            width=10,
            help="No keeps this child's words out of every family copy. Blank: shared if under "
            f"{CONSENT_AGE}, kept back if {CONSENT_AGE} or over on the mapping date.",
        ),
        WITHHOLD_FROM,
    ),
)

SAFETY_PLAN = Sheet(
    "Safety plan",
    question=Question.NEEDS_TO_HAPPEN,
    aliases=("Safety rules",),
    columns=(
        _c("Rule", "rule", required=True, width=50),
        _c(
            "Words for the children",
            "words_for_children",
            width=50,
            aliases=("Rule for the children", "Children's words"),
            help="The rule as the children read it in their story, with the names they use: "
            "If Daddy has been drinking, Nanna comes to stay.",
        ),
        _c("Who", "who", ColumnKind.PERSON, required=True),
        _c("When", "when", width=24),
        _c(
            "Danger statement", "danger_statement_id", ColumnKind.REF, refers_to="Danger statements"
        ),
        PICTURE,
        WITHHOLD_FROM,
    ),
)

WORDS_AND_PICTURES = Sheet(
    "Words and pictures",
    question=Question.CHILD,
    aliases=("Words & pictures",),
    intro="The child's story, one idea a page, in simple words and the family's own names.",
    columns=(
        _c("Page", "page", ColumnKind.WHOLE, required=True, width=8, aliases=("Order",)),
        _c(
            "Section",
            "section",
            ColumnKind.CHOICE,
            choices=STORY_SECTIONS,
            width=24,
            aliases=("Question",),
            help="Which question of the story the page answers; the sections come in this "
            "order. Blank: the section of the page before.",
        ),
        _c("Heading", "heading", required=True, width=30),
        _c("Words", "words", required=True, width=60),
        PICTURE,
        _c(
            "Picture description",
            "picture_description",
            width=30,
            aliases=("Alt text",),
            help="What the picture shows, in a few words, for someone who cannot see it.",
        ),
        _c(
            "Child",
            "child",
            ColumnKind.CHILD,
            width=14,
            help="Only for this child's own story (Story Yes on Children). Blank: every story.",
        ),
        WITHHOLD_FROM,
    ),
)

FAMILYS_VIEWS = Sheet(
    "Family's views",
    question=Question.WORRIED,
    aliases=("Familys views", "Family views", "Parents' views", "Parents views"),
    intro="Each person's own view of the worries: one row per person and what it is about (a "
    "danger statement, a Harm row, or the worries overall).",
    columns=(
        _c("Person", "person", ColumnKind.PERSON, required=True, width=20),
        _c(
            "About",
            "about",
            width=12,
            help="A danger statement ID, a Harm row number, or blank for the worries overall.",
        ),
        _c("View", "view", ColumnKind.CHOICE, choices=FAMILY_VIEWS, width=14),
        _c("Their words", "their_words", width=60, aliases=("Words", "In their words")),
        WITHHOLD_FROM,
    ),
)

BIRTH_PLAN = Sheet(
    "Birth plan",
    question=Question.NEEDS_TO_HAPPEN,
    aliases=("Birth and discharge plan",),
    intro="For a pre-birth conference: what will happen at the birth and when the baby goes home.",
    columns=(
        _c("Arrangement", "arrangement", required=True, width=60),
        _c("Who", "who", ColumnKind.PERSON),
        _c("When", "when", width=24),
        WITHHOLD_FROM,
    ),
)

PREVIOUS_SCALING = Sheet(
    "Previous scaling",
    question=Question.SCALING,
    aliases=("Earlier scaling", "Scaling history"),
    intro="Scores from conferences before sos-docs was used: one row per score.",
    columns=(
        _c("Date", "date", ColumnKind.DATE, required=True, width=12),
        _c("Participant", "participant", ColumnKind.PERSON, required=True, width=20),
        _c(
            "Danger statement",
            "danger_statement",
            width=16,
            help="The danger statement then (its ID or words). Blank: the overall score.",
        ),
        _c("Child", "child", ColumnKind.CHILD, help="Blank means all the children."),
        _c(
            "Score",
            "score",
            ColumnKind.WHOLE,
            required=True,
            width=10,
            help="A whole number from 0 to 10.",
        ),
        WITHHOLD_FROM,
    ),
)

SHEETS: tuple[Sheet, ...] = (
    CASE,
    CHILDREN,
    PEOPLE,
    AGENCY_INVOLVEMENT,
    HARM,
    DANGER_STATEMENTS,
    FAMILYS_VIEWS,
    COMPLICATING_FACTORS,
    GREY_AREAS,
    WORKING_WELL,
    SAFETY_GOALS,
    NEXT_STEPS,
    SCALING,
    PREVIOUS_SCALING,
    CHILDS_VIEWS,
    SAFETY_PLAN,
    BIRTH_PLAN,
    WORDS_AND_PICTURES,
)
SHEET_BY_NAME: dict[str, Sheet] = {sheet.name: sheet for sheet in SHEETS}
INSTRUCTIONS_SHEET = "Instructions"
HEADER_SEARCH_ROWS = 10
# The sheets other sheets point into, and the prefix of their IDs (C1, P1, D1, G1).
ID_PREFIXES = {
    CHILDREN.name: "C",
    PEOPLE.name: "P",
    DANGER_STATEMENTS.name: "D",
    SAFETY_GOALS.name: "G",
}


def normalise_label(text: str) -> str:
    """Fold a sheet name or header for matching: case, spaces, trailing `:` and `*`, quotes."""
    folded = " ".join(str(text).replace("\u2019", "'").split()).casefold()
    return folded.rstrip(":*").rstrip().rstrip(":*").strip()


# Cached: the validator asks for the names of every column of every sheet for each workbook
# (about 1,200 times for the example), and the contract never changes while running.
@cache
def sheet_names_for(sheet: Sheet) -> frozenset[str]:
    """Every normalised name that identifies a sheet."""
    return frozenset(normalise_label(n) for n in (sheet.name, *sheet.aliases))


@cache
def column_names_for(column: Column) -> frozenset[str]:
    """Every normalised header that identifies a column."""
    return frozenset(normalise_label(n) for n in (column.name, *column.aliases))
