"""The rules across cells and rows: required values, unique IDs and the Signs of Safety rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from sos_docs import codes, model
from sos_docs.model import PersonRef, Problem
from sos_docs.wording import with_article
from sos_docs.workbook import schema
from sos_docs.workbook.cells import long_date, quote
from sos_docs.workbook.schema import (
    CASE,
    CHILDREN,
    CHILDS_VIEWS,
    DANGER_STATEMENTS,
    FAMILYS_VIEWS,
    NEXT_STEPS,
    PEOPLE,
    PREVIOUS_SCALING,
    SAFETY_GOALS,
    SAFETY_PLAN,
    SCALING,
    WORDS_AND_PICTURES,
    WORKING_WELL,
    Column,
)
from sos_docs.working_days import SharingRules

CHILD_PROTECTION_PLAN = schema.RECOMMENDATIONS[0]
CONTINUE_PLAN = schema.REVIEW_RECOMMENDATIONS[0]
# Recommendations that need a category of harm (rule SOS107).
PLAN_RECOMMENDATIONS = frozenset({CHILD_PROTECTION_PLAN, CONTINUE_PLAN})
PROFESSIONAL = schema.ROLES[-1]
EXISTING_SAFETY = schema.WORKING_WELL_TYPES[1]
VIEWS_NEEDING_WORDS = frozenset(schema.FAMILY_VIEWS[1:])  # Partly agree, Disagree
MAX_DANGER_STATEMENTS = 3
DONE = schema.STEP_STATUSES[-1]
NEW_PLAN_MEETINGS = frozenset({model.INITIAL_CONFERENCE, model.PRE_BIRTH_CONFERENCE})
ADULT_AGE = 18

# Decided with the practice lead: these empty required cells break a Signs of Safety rule, so
# they carry that rule's code instead of the general WB004.
EMPTY_CODES = {
    (NEXT_STEPS.name, "who"): codes.SOS103,
    (NEXT_STEPS.name, "by_when"): codes.SOS103,
    (SCALING.name, "reason"): codes.SOS105,
}
# Person columns that also take free text (a role such as "School"), with warning SOS204.
FREE_TEXT_PEOPLE = frozenset(
    {
        (NEXT_STEPS.name, "who"),
        (schema.BIRTH_PLAN.name, "who"),  # "Midwife on the ward"
        (schema.PREVIOUS_SCALING.name, "participant"),  # may have left the case since
    }
)

_LABEL_PATTERNS = tuple(
    (label, re.compile(rf"\b{re.escape(label)}\b", re.IGNORECASE))
    for label in schema.PROFESSIONAL_LABELS
)


def problem(code: str, sheet: str | None, cell: str | None, message: str) -> Problem:
    """A Problem at the level codes.py gives its code."""
    return codes.problem(code, sheet, cell, message)


@dataclass
class Row:
    """One record as read: each readable value and each cell by model field."""

    sheet: str
    number: int
    cells: dict[str, str]  # field -> A1, for every recognised column
    values: dict[str, object] = field(default_factory=dict)  # only readable, non-blank cells
    filled: set[str] = field(default_factory=set)  # fields whose cell was not blank
    fallback_cell: str | None = None  # where to point when a field's column is missing

    def cell(self, name: str) -> str | None:
        """The A1 cell of a field on this row, or the row's fallback when it has no column."""
        return self.cells.get(name, self.fallback_cell)

    def is_empty(self, name: str) -> bool:
        """True when the field's cell was blank (an unreadable value is not empty)."""
        return name not in self.filled

    def text(self, name: str) -> str:
        """A text field's value, "" when blank or unreadable."""
        value = self.values.get(name)
        return value if isinstance(value, str) else ""

    def date(self, name: str) -> dt.date | None:
        """A date field's value, None when blank or unreadable."""
        value = self.values.get(name)
        return value if isinstance(value, dt.date) else None

    def whole(self, name: str) -> int | None:
        """A whole-number field's value, None when blank or unreadable."""
        value = self.values.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, name: str) -> bool | None:
        """A yes/no field's value, None when blank or unreadable."""
        value = self.values.get(name)
        return value if isinstance(value, bool) else None

    def person(self, name: str) -> PersonRef | None:
        """A person or child field's value, None when blank or not found."""
        value = self.values.get(name)
        return value if isinstance(value, PersonRef) else None


@dataclass
class Table:
    """A contract sheet as read: its title in the file (None when missing) and its records."""

    contract: schema.Sheet
    title: str | None = None
    rows: list[Row] = field(default_factory=list)
    header_ok: bool = False  # a header row was found holding every required column

    @property
    def name(self) -> str:
        """The sheet's title in the workbook, or the contract's name when it is missing."""
        return self.title or self.contract.name

    @property
    def trusted(self) -> bool:
        """True when the rows are the sheet's whole content (a missing optional sheet is empty)."""
        return self.header_ok if self.title is not None else not self.contract.required


@dataclass(frozen=True)
class Book:
    """Every contract sheet as read, the day the check is made, and the root's sharing rules."""

    tables: Mapping[str, Table]
    today: dt.date
    sharing: SharingRules = field(default_factory=SharingRules)

    def table(self, sheet: schema.Sheet) -> Table:
        """The table read for a contract sheet."""
        return self.tables[sheet.name]

    @property
    def case(self) -> Row | None:
        """The Case sheet's values as one row, None when the sheet is missing."""
        rows = self.table(CASE).rows
        return rows[0] if rows else None

    @property
    def mapping_date(self) -> dt.date | None:
        """The Case's mapping date, when it could be read."""
        return self.case.date("mapping_date") if self.case else None

    @property
    def is_conference(self) -> bool:
        """True when the Case's meeting type is one of the three conferences."""
        case = self.case
        return case is not None and case.text("meeting_type") in model.CONFERENCE_MEETING_TYPES

    @property
    def meeting_type(self) -> str:
        """The Case's meeting type as the choice is written, "" when empty or unreadable."""
        return self.case.text("meeting_type") if self.case else ""

    @property
    def format_version(self) -> int:
        """The Case's `Format` (1 when left out: format 1 workbooks have no such label)."""
        found = self.case.whole("format_version") if self.case else None
        return 1 if found is None else found


def is_unborn(row: Row) -> bool:
    """True for a Children row with an expected due date and no date of birth."""
    return row.is_empty("date_of_birth") and not row.is_empty("expected_due_date")


def effective(child: Row, case: Row | None, name: str) -> str:
    """A child's own value of a Children/Case field, else the Case's (a sibling's own decision)."""
    return child.text(name) or (case.text(name) if case else "")


Rule = Callable[[Book], Iterator[Problem]]


def check(book: Book) -> list[Problem]:
    """Every problem the rules find, in no particular order."""
    return run(RULES, book)


def run(rules: Iterable[Rule], book: Book) -> list[Problem]:
    """Each rule's problems, leaving out the follow-on problems of an unreadable sheet."""
    return [found for rule in rules for found in _trusted_run(rule, book)]


def _trusted_run(rule: Rule, book: Book) -> list[Problem]:
    """A rule's problems; none when it reads across sheets and one of them is unreadable.

    A sheet missing or with a required column missing has its own WB002/WB003. A rule that
    compares it with another sheet would only report what is not there (a danger statement
    "without" a goal whose Danger statement column could not be read), so it waits until the
    sheet is fixed. A rule about one sheet only still runs.
    """
    watched = _WatchedBook(book.tables, book.today, book.sharing)
    found = list(rule(watched))
    if len(watched.read) > 1 and not all(book.tables[name].trusted for name in watched.read):
        return []
    return found


@dataclass(frozen=True)
class _WatchedBook(Book):
    """A Book that remembers which sheets a rule read through `table`."""

    read: set[str] = field(default_factory=set)

    def table(self, sheet: schema.Sheet) -> Table:
        """The table read for a contract sheet, noted as read."""
        self.read.add(sheet.name)
        return super().table(sheet)


def _children_names(book: Book) -> Iterator[tuple[Row, str]]:
    for row in book.table(CHILDREN).rows:
        yield row, row.text("name") or row.text("id")


# ------------------------------------------------------------------------ required values


def required_values(book: Book) -> Iterator[Problem]:
    """WB004 (or the rule's own code) for each empty required cell of each record."""
    for table in book.tables.values():
        if table.title is None:
            continue
        for row in table.rows:
            for column in table.contract.columns:
                if column.required:
                    yield from _required_value(table, row, column)


def _required_value(table: Table, row: Row, column: Column) -> Iterator[Problem]:
    if table.contract.key_value and column.field not in row.cells:
        yield problem(codes.WB004, table.name, None, _missing_label_message(table, column))
    elif column.field in row.cells and row.is_empty(column.field):
        code = EMPTY_CODES.get((table.contract.name, column.field), codes.WB004)
        yield problem(code, table.name, row.cell(column.field), _empty_message(code, column))


def _missing_label_message(table: Table, column: Column) -> str:
    return (
        f'The {table.name} sheet has no "{column.name}" row, and it is required. '
        f'Add a row with "{column.name}" in column A and its value in column B.'
    )


def _empty_message(code: str, column: Column) -> str:
    if code == codes.SOS105:
        return (
            "This score has no reason. Write down, in the person's own words, "
            "why they gave this score."
        )
    if code == codes.SOS103 and column.field == "who":
        return (
            "This next step has no one named in Who. Every next step needs a named person: "
            "put their ID or name from the People sheet (or a role such as School)."
        )
    if code == codes.SOS103:
        return (
            f"This next step has no date in {column.name}. Every next step needs a date: "
            "type it day first, for example 19/05/2025."
        )
    return f"{column.name} is required but empty. Fill it in. {column.help}".rstrip()


# WB004 for values required only in some cases (conferences, professionals, views): one rule
# per sheet read, so an unreadable sheet stops only the rules that read it.


def conference_values(book: Book) -> Iterator[Problem]:
    """WB004 for the Case values a conference needs (meeting date, recommendation)."""
    case = book.case
    if case is None or not book.is_conference:
        return
    for name in ("meeting_date", "recommendation"):
        if name == "recommendation" and _every_child_has_own_recommendation(book):
            continue
        if case.is_empty(name):
            column = CASE.column(name)
            own = (
                " (or give every child their own Recommendation on the Children sheet)"
                if name == "recommendation"
                else ""
            )
            yield problem(
                codes.WB004,
                case.sheet,
                case.cell(name),
                f"{column.name} is empty, but {with_article(case.text('meeting_type').lower())} needs it. "
                f'Fill it in next to the "{column.name}" label{own}.',
            )


def _every_child_has_own_recommendation(book: Book) -> bool:
    rows = book.table(CHILDREN).rows
    return bool(rows) and all(not row.is_empty("recommendation") for row in rows)


def birth_or_due_dates(book: Book) -> Iterator[Problem]:
    """WB004 for a child with neither a date of birth nor an expected due date."""
    for row, name in _children_names(book):
        if row.is_empty("date_of_birth") and row.is_empty("expected_due_date"):
            yield problem(
                codes.WB004,
                row.sheet,
                row.cell("date_of_birth"),
                f"{name} has neither a date of birth nor an expected due date. "
                "Fill in the date of birth, or the expected due date for an unborn child.",
            )


def professional_agencies(book: Book) -> Iterator[Problem]:
    """WB004 for a professional with no agency."""
    for row in book.table(PEOPLE).rows:
        if row.text("role") == PROFESSIONAL and row.is_empty("agency"):
            yield problem(
                codes.WB004,
                row.sheet,
                row.cell("agency"),
                f"{row.text('name') or 'This professional'} is a professional but Agency is "
                "empty. Fill in the agency they work for.",
            )


def danger_family_words(book: Book) -> Iterator[Problem]:
    """WB004 for a danger statement the family partly agree with or dispute, without their words."""
    for row in book.table(DANGER_STATEMENTS).rows:
        view = row.text("family_view")
        if view in VIEWS_NEEDING_WORDS and row.is_empty("family_words"):
            yield problem(
                codes.WB004,
                row.sheet,
                row.cell("family_words"),
                f"Family's view is {quote(view)} but Family's words is empty. "
                "Write down what the family say about this danger statement, in their words.",
            )


def family_view_words(book: Book) -> Iterator[Problem]:
    """WB004 for a person's view short of agreement, without their words."""
    for row in book.table(FAMILYS_VIEWS).rows:
        view = row.text("view")
        if view in VIEWS_NEEDING_WORDS and row.is_empty("their_words"):
            who = row.person("person")
            yield problem(
                codes.WB004,
                row.sheet,
                row.cell("their_words"),
                f"View is {quote(view)} but Their words is empty. Write down what "
                f"{who.name if who else 'this person'} says, in their own words.",
            )


def at_least_one_row(book: Book) -> Iterator[Problem]:
    """WB004 for a sheet that must have records and has none (SOS101 for danger statements)."""
    for table in book.tables.values():
        if table.contract.at_least_one_row and table.header_ok and not table.rows:
            yield _empty_sheet_problem(table)


def _empty_sheet_problem(table: Table) -> Problem:
    if table.contract is DANGER_STATEMENTS:
        return problem(
            codes.SOS101,
            table.name,
            None,
            "There is no danger statement. Add at least one: who is worried, about whose "
            "behaviour, and what could happen to which child if nothing changes.",
        )
    return problem(
        codes.WB004,
        table.name,
        None,
        f"The {table.name} sheet has no rows filled in, and it needs at least one. "
        "Fill in a row under the headings.",
    )


# ------------------------------------------------------------------------ IDs


def unique_ids(book: Book) -> Iterator[Problem]:
    """WB008 at the second (and later) use of an ID on one sheet."""
    for table in book.tables.values():
        id_field = table.contract.id_field
        first_rows: dict[str, int] = {}
        for row in table.rows if id_field else ():
            key = row.text(id_field).casefold()
            if key and key in first_rows:
                yield _duplicate_problem(row, id_field, first_rows[key])
            first_rows.setdefault(key, row.number)


def _duplicate_problem(row: Row, id_field: str, first_row: int) -> Problem:
    return problem(
        codes.WB008,
        row.sheet,
        row.cell(id_field),
        f"The ID {quote(row.text(id_field))} is already used in row {first_row} of this sheet. "
        "Give each row its own ID.",
    )


# ------------------------------------------------------------------------ Signs of Safety


def danger_statements_have_goals(book: Book) -> Iterator[Problem]:
    """SOS102: each danger statement is paired with at least one safety goal."""
    goals = book.table(SAFETY_GOALS)
    if not goals.trusted:
        return
    paired = {row.text("danger_statement_id").casefold() for row in goals.rows}
    for row in book.table(DANGER_STATEMENTS).rows:
        statement_id = row.text("id")
        if statement_id and statement_id.casefold() not in paired:
            yield problem(
                codes.SOS102,
                row.sheet,
                row.cell("id"),
                f"Danger statement {statement_id} has no safety goal. Add a row on the "
                f"{goals.name} sheet with {statement_id} in its Danger statement column.",
            )


def scores_in_range(book: Book) -> Iterator[Problem]:
    """SOS104: a scaling score is a whole number from 0 to 10."""
    for row in (*book.table(SCALING).rows, *book.table(PREVIOUS_SCALING).rows):
        score = row.whole("score")
        if score is not None and not 0 <= score <= 10:
            yield problem(
                codes.SOS104,
                row.sheet,
                row.cell("score"),
                f"Score must be a whole number from 0 to 10, but it is {score}. Change it to a "
                "number between 0 (the children cannot stay at home) and 10 (safe enough to "
                "close).",
            )


def children_have_views(book: Book) -> Iterator[Problem]:
    """SOS106: every child who has been born has an entry in Child's views."""
    views = book.table(CHILDS_VIEWS)
    if not views.trusted:
        return
    heard: set[str] = set()
    silent: dict[str, Row] = {}  # a child's first row that has no words in it
    for view in views.rows:
        if (ref := view.person("child")) is None or ref.id is None:
            continue
        if any(view.text(field) for field in VIEW_WORDS):
            heard.add(ref.id)
        else:
            silent.setdefault(ref.id, view)
    for row, name in _children_names(book):
        child_id = row.text("id")
        if not child_id or is_unborn(row) or child_id in heard:
            continue
        if child_id in silent:
            empty = silent[child_id]
            yield problem(
                codes.SOS106,
                empty.sheet,
                empty.cell("child"),
                f"{name}'s row on the {views.name} sheet has nothing in Worries, Good things or "
                "Dreams, so the documents have none of their words. Write what they said or "
                "showed in those columns (a column with another heading is not read).",
            )
            continue
        yield problem(
            codes.SOS106,
            row.sheet,
            row.cell("id"),
            f"{name} has no entry on the {views.name} sheet. Add a row for them with what "
            "they said or showed (for a very young child, what you observed).",
        )


# The Child's views columns that hold the child's own words.
VIEW_WORDS = ("worries", "good_things", "dreams")


def category_for_protection_plan(book: Book) -> Iterator[Problem]:
    """SOS107: a recommended (or continued) child protection plan names its category of harm.

    Each child's recommendation and category are their own cells, else the Case's. Only a
    conference decides on a plan: at another meeting a recommendation is not used (SOS212).
    """
    case = book.case
    if case is None or not book.is_conference:
        return
    children = [row for row, _ in _children_names(book)]
    case_plan = case.text("recommendation") in PLAN_RECOMMENDATIONS
    relying = [row for row in children if row.is_empty("recommendation")]
    if not case.is_empty("category_of_harm"):
        return  # every child without their own category has the Case's
    if case_plan and (not children or any(r.is_empty("category_of_harm") for r in relying)):
        yield _no_category(case, case.text("recommendation"), "")
    for row, name in _children_names(book):
        own = row.text("recommendation")
        if own in PLAN_RECOMMENDATIONS and row.is_empty("category_of_harm"):
            yield _no_category(row, own, name)


def _no_category(row: Row, recommendation: str, name: str) -> Problem:
    choices = ", ".join(CASE.column("category_of_harm").choices)
    whose = f"{name}'s recommendation" if name else "The recommendation"
    where = " on this row (or on the Case sheet for every child)" if name else ""
    return problem(
        codes.SOS107,
        row.sheet,
        row.cell("category_of_harm"),
        f"{whose} is {with_article(recommendation.lower())} but Category of harm is empty. Fill it in"
        f"{where}. Choose one of: {choices}.",
    )


def sharing_recorded(book: Book) -> Iterator[Problem]:
    """SOS108: a conference report says when it was shared with the parents, or why not."""
    case = book.case
    if case is None or not book.is_conference:
        return
    if case.is_empty("shared_with_parents_on") and case.is_empty("not_shared_because"):
        yield problem(
            codes.SOS108,
            case.sheet,
            case.cell("shared_with_parents_on"),
            "This conference report says neither when it was shared with the parents nor why "
            'not. Fill in "Shared with parents on" with the date, or "Not shared because" '
            "with the reason.",
        )


def birth_dates_plausible(book: Book) -> Iterator[Problem]:
    """SOS109: children are born by the mapping date and under 18; due dates are not past."""
    mapped = book.mapping_date
    if mapped is None:
        return
    for row, name in _children_names(book):
        born, due = row.date("date_of_birth"), row.date("expected_due_date")
        if born and (message := _birth_date_message(name, born, mapped)):
            yield problem(codes.SOS109, row.sheet, row.cell("date_of_birth"), message)
        if due and due < mapped:
            yield problem(
                codes.SOS109,
                row.sheet,
                row.cell("expected_due_date"),
                f"{name}'s expected due date, {long_date(due)}, is before the mapping date, "
                f"{long_date(mapped)}. If the baby has been born, enter the date of birth "
                "instead; otherwise correct the date (day first).",
            )


def _birth_date_message(name: str, born: dt.date, mapped: dt.date) -> str | None:
    if born > mapped:
        return (
            f"{name}'s date of birth, {long_date(born)}, is after the mapping date, "
            f"{long_date(mapped)}. Correct the date (day first, for example 19/05/2019), or "
            "use Expected due date for an unborn child."
        )
    age = age_on(born, mapped)
    if age >= ADULT_AGE:
        return (
            f"{name}'s date of birth, {long_date(born)}, makes them {age} on the mapping date. "
            "The Children sheet is for children under 18: correct the date (day first), or "
            "move an adult to the People sheet."
        )
    return None


def age_on(born: dt.date, day: dt.date) -> int:
    """Full years from a date of birth to a day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def view_child(view: Row, book: Book) -> Row | None:
    """The Children row of a Child's views row's child, when it is found."""
    ref = view.person("child")
    return next((r for r in book.table(CHILDREN).rows if ref and r.text("id") == ref.id), None)


def older_child_not_asked(view: Row, book: Book) -> bool:
    """True when a Child's views row leaves Consent to share blank for a child aged 12 or over
    on the mapping date: their words are then not shared (docs/workbook-format.md, Consent to share)."""
    if not view.is_empty("consent_to_share"):
        return False
    child, mapped = view_child(view, book), book.mapping_date
    born = child.date("date_of_birth") if child else None
    return born is not None and mapped is not None and age_on(born, mapped) >= model.CONSENT_AGE


def words_not_agreed(view: Row, book: Book) -> bool:
    """True when a child's words are kept from the family: they said no, or were not asked."""
    return view.flag("consent_to_share") is False or older_child_not_asked(view, book)


def scored_by_unagreed_child(score: Row, book: Book) -> bool:
    """True when a Scaling row is a child's own score and that child's words are kept from the
    family (a Child's views row of theirs says No to sharing, or they were not asked at 12+)."""
    participant = score.person("participant")
    if participant is None or not participant.is_child or participant.id is None:
        return False
    return any(
        words_not_agreed(view, book)
        for view in book.table(CHILDS_VIEWS).rows
        if (child := view.person("child")) is not None and child.id == participant.id
    )


def _plan_is_new(book: Book) -> bool:
    """True at an initial or pre-birth conference: every next step is a new one."""
    case = book.case
    return case is not None and case.text("meeting_type") in NEW_PLAN_MEETINGS


def dates_in_order(book: Book) -> Iterator[Problem]:
    """SOS110: the mapping date is not in the future; at an initial or pre-birth conference a
    next step not yet done is not due before it (a review's steps may be, and show as late)."""
    mapped, case = book.mapping_date, book.case
    if mapped is None or case is None:
        return
    if mapped > book.today:
        yield problem(
            codes.SOS110,
            case.sheet,
            case.cell("mapping_date"),
            f"The mapping date, {long_date(mapped)}, is in the future (today is "
            f"{long_date(book.today)}). Enter the day the map was done.",
        )
    if not _plan_is_new(book):
        return  # a plan being reviewed carries steps already due, done or not: no error
    for row in book.table(NEXT_STEPS).rows:
        due = row.date("by_when")
        if due and due < mapped and row.text("status") != DONE:
            yield problem(
                codes.SOS110,
                row.sheet,
                row.cell("by_when"),
                f"This next step is due on {long_date(due)}, before the mapping date, "
                f"{long_date(mapped)}. Set a date on or after the mapping date.",
            )


def few_danger_statements(book: Book) -> Iterator[Problem]:
    """SOS201: usually no more than three danger statements."""
    rows = book.table(DANGER_STATEMENTS).rows
    if len(rows) > MAX_DANGER_STATEMENTS:
        fourth = rows[MAX_DANGER_STATEMENTS]
        yield problem(
            codes.SOS201,
            fourth.sheet,
            fourth.cell("id"),
            f"There are {len(rows)} danger statements. Signs of Safety keeps to three or fewer "
            "so the family can hold on to them: consider combining some.",
        )


def existing_safety_recorded(book: Book) -> Iterator[Problem]:
    """SOS202: something is recorded as existing safety."""
    table = book.table(WORKING_WELL)
    if table.rows and not any(row.text("type") == EXISTING_SAFETY for row in table.rows):
        yield problem(
            codes.SOS202,
            table.name,
            None,
            f"Nothing is recorded as existing safety. Add any time someone kept the children "
            f'safe when the danger was there (Type "{EXISTING_SAFETY}"), if there has been one.',
        )


def network_knows_worries(book: Book) -> Iterator[Problem]:
    """SOS203: safety network members know the worries."""
    for row in book.table(PEOPLE).rows:
        knows = row.flag("knows_the_worries")
        unreadable = knows is None and not row.is_empty("knows_the_worries")
        if row.flag("safety_network") and not knows and not unreadable:
            name = row.text("name") or "This person"
            yield problem(
                codes.SOS203,
                row.sheet,
                row.cell("knows_the_worries"),
                f"{name} is in the safety network but Knows the worries is not Yes. Make sure "
                f"{name} has been told the worries, then put Yes.",
            )


def next_step_people_known(book: Book) -> Iterator[Problem]:
    """SOS204: a next step's Who is someone on the People or Children sheet."""
    for row in book.table(NEXT_STEPS).rows:
        who = row.person("who")
        if who is not None and who.id is None:
            yield problem(
                codes.SOS204,
                row.sheet,
                row.cell("who"),
                f"{quote(who.name)} is not on the People sheet. That is fine for a role such "
                "as a school; for a person, use their ID or their name exactly as on People.",
            )


def words_and_pictures_agreed(book: Book) -> Iterator[Problem]:
    """SOS205: a story the parents have not agreed is made marked DRAFT on every page.

    A story is made (`pipeline.built_in_kinds`) when a child is born and the meeting is a
    conference or the workbook has words and pictures pages or a safety plan.
    """
    case = book.case
    agreed_field = "words_and_pictures_agreed"
    born = any(not is_unborn(row) for row in book.table(CHILDREN).rows)
    has_story = book.is_conference or any(
        book.table(sheet).rows for sheet in (WORDS_AND_PICTURES, SAFETY_PLAN)
    )
    if case is None or not born or not has_story:
        return
    unreadable = case.flag(agreed_field) is None and not case.is_empty(agreed_field)
    if not case.flag(agreed_field) and not unreadable:
        label = CASE.column(agreed_field).name
        yield problem(
            codes.SOS205,
            case.sheet,
            case.cell(agreed_field),
            f'"{label}" is not Yes, so the words and pictures story is marked DRAFT on every '
            "page. Agree the wording with the parents before it is given to the children, then "
            "put Yes and make the documents again.",
        )


def everyone_scored(book: Book) -> Iterator[Problem]:
    """SOS206: each child has a score by or about them, and the report author has scored."""
    scaling = book.table(SCALING)
    if not scaling.trusted:
        return
    participants = {ref.id for row in scaling.rows if (ref := row.person("participant"))}
    about = {ref.id for row in scaling.rows if (ref := row.person("child"))}
    for row, name in _children_names(book):
        if is_unborn(row):
            continue  # no scaling is asked of a baby not yet born
        if row.text("id") and row.text("id") not in participants | about:
            yield problem(
                codes.SOS206,
                row.sheet,
                row.cell("id"),
                f"{name} has no scaling score of their own. Add a score by them or about them "
                f"on the {scaling.name} sheet (Participant or Child {row.text('id')}).",
            )
    yield from _author_scored(book, participants)


def _author_scored(book: Book, participants: set[str | None]) -> Iterator[Problem]:
    case = book.case
    author = case.person("report_author") if case else None
    if case and author and author.id not in participants:
        yield problem(
            codes.SOS206,
            case.sheet,
            case.cell("report_author"),
            f"The report author, {author.name}, has not given a scaling score. Add their score "
            f"on the {book.table(SCALING).name} sheet.",
        )


def behaviour_not_labels(book: Book) -> Iterator[Problem]:
    """SOS207: danger statements describe behaviour, not professional labels."""
    for row in book.table(DANGER_STATEMENTS).rows:
        found = [
            label for label, pattern in _LABEL_PATTERNS if pattern.search(row.text("statement"))
        ]
        if found:
            labels = " and ".join(f'"{label}"' for label in found)
            yield problem(
                codes.SOS207,
                row.sheet,
                row.cell("statement"),
                f"This danger statement uses the professional label {labels}. Describe what the "
                "adults do and what could happen to the children, in words the family use.",
            )


RULES: tuple[Rule, ...] = (
    required_values,
    conference_values,
    birth_or_due_dates,
    professional_agencies,
    danger_family_words,
    family_view_words,
    at_least_one_row,
    unique_ids,
    danger_statements_have_goals,
    scores_in_range,
    children_have_views,
    category_for_protection_plan,
    sharing_recorded,
    birth_dates_plausible,
    dates_in_order,
    few_danger_statements,
    existing_safety_recorded,
    network_knows_worries,
    next_step_people_known,
    words_and_pictures_agreed,
    everyone_scored,
    behaviour_not_labels,
)
