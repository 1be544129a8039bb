"""Builds the template context: the validated case as the plain values the documents print.

Everything a template shows is derived here, once, so templates stay free of logic a council
would have to maintain: names joined, dates in words, ages, numbered danger statements with
their goals, the recommendation and sharing sentences, the scale picture. The result holds only
str, int, bool, lists, dicts and `Picture`s; every key is documented in `sos_docs.documents.fields`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from sos_docs.config import DEFAULT_PROTECTIVE_MARKING, DEFAULT_STORY_MARKING
from sos_docs.documents import decision
from sos_docs.documents.progress import progress_fields
from sos_docs.documents.scale_picture import draw_scale
from sos_docs.model import (
    DEFAULT_SCALE_TEN,
    DEFAULT_SCALE_ZERO,
    STORY_EVERYONE_DOING,
    STORY_SAFETY_RULES,
    STORY_SECTIONS,
    STORY_TALK_TO,
    BirthPlanItem,
    CaseHistory,
    Child,
    ChildView,
    DangerStatement,
    FamilyView,
    Harm,
    MappingCase,
    NextStep,
    Person,
    PersonRef,
    Picture,
    SafetyGoal,
    SafetyRule,
    Score,
    WordsPage,
)

log = logging.getLogger(__name__)

DEFAULT_STORY_TITLE = "{possessive} story"
DEFAULT_DATE_FORMAT = "%-d %B %Y"  # 27 November 2026; %-d is handled here, so it works on Windows

Context = dict[str, object]
T = TypeVar("T")
Item = dict[str, object]


@dataclass(frozen=True)
class DocumentSettings:
    """How the documents word what the workbook does not say.

    `story_title` may use `{names}` ("Mia and Leo") and `{possessive}` ("Mia and Leo's";
    "James'" for a name ending in s). `date_format` is a strftime pattern where `%-d` is the
    day without a leading zero. `report_date` is the date printed as the report's date; None
    means today. `local_authority` and `team` are the folder's own, printed when the workbook
    leaves them blank; `logo` is the team's logo for the top of the report.
    """

    protective_marking: str = DEFAULT_PROTECTIVE_MARKING
    story_title: str = DEFAULT_STORY_TITLE
    date_format: str = DEFAULT_DATE_FORMAT
    report_date: dt.date | None = None
    local_authority: str = ""
    team: str = ""
    logo: Picture | None = None
    story_marking: str = (
        DEFAULT_STORY_MARKING  # footer, cover-only or none: where the story is marked
    )
    copy_note: str = ""
    family_copy: bool = False
    # Which copy this is, as files name it: "professional copy", "family copy", "copy for
    # Dean Hartley"; "" when nothing is withheld (the only copy).
    copy_label: str = ""


DEFAULT_SETTINGS = DocumentSettings()


def build_context(
    case: MappingCase,
    settings: DocumentSettings | None = None,
    history: CaseHistory | None = None,
) -> Context:
    """Every template field (see `sos_docs.documents.fields`) for one case.

    `history`: the case's earlier conferences, for a review's progress section.
    """
    settings = settings or DEFAULT_SETTINGS
    words = _Words(case, settings)
    return {
        **_case_fields(case, words),
        **_family_fields(case, words),
        **_worry_fields(case, words),
        **_working_well_fields(case, words),
        **_next_step_fields(case, words),
        **_children_views_fields(case, words),
        **_scaling_fields(case, words),
        "safety_network": [_person(p, words) for p in case.people if p.safety_network],
        "safety_rules": [_safety_rule(n, r, words) for n, r in enumerate(case.safety_plan, 1)],
        "birth_plan": [_birth_plan_item(item) for item in case.birth_plan],
        **_decision_fields(case, words),
        **_sign_off_fields(case, words),
        **_story_fields(case, settings, words, next(iter(stories(case)), None)),
        **progress_fields(case, history, words.date),
    }


class _Words:
    """Lookups and wording shared by the builders: dates, people by ID, danger numbers."""

    def __init__(self, case: MappingCase, settings: DocumentSettings) -> None:
        self.settings = settings
        self.people = {p.id: p for p in case.people}
        self.children = {c.id: c for c in case.children}
        self.danger_numbers = {d.id: n for n, d in enumerate(case.danger_statements, 1)}
        self.age_on = case.details.meeting_date or case.details.mapping_date
        self.one_unborn = sum(c.is_unborn for c in case.children) == 1
        self.the_children = the_children(case.children)
        self.step_numbers = step_numbers(case)
        # Grouped once, so a workbook of thousands of rows is read in one pass, not one per row.
        self.views_about = _grouped(case.family_views, lambda v: v.danger_statement_id)
        self.views_about_harm = _grouped(case.family_views, lambda v: v.harm_row)
        self.goals_of = _grouped(case.safety_goals, lambda g: g.danger_statement_id)
        self.steps_of = _grouped(enumerate(case.next_steps), lambda item: item[1].safety_goal_id)
        self.scores_about = _grouped(case.scaling, lambda s: s.danger_statement_id)
        self.short = short_names([s.participant for s in case.scaling], self)

    def date(self, value: dt.date | None) -> str:
        """A date in the configured format; empty when there is none."""
        if value is None:
            return ""
        pattern = self.settings.date_format.replace("%-d", str(value.day))
        return value.strftime(pattern)

    def danger_number(self, danger_id: str) -> str:
        """The printed number of a danger statement ID, or empty."""
        number = self.danger_numbers.get(danger_id)
        return str(number) if number else ""

    def called(self, ref: PersonRef) -> str:
        """What the children call someone: the name they use, else their full name."""
        person = self.people.get(ref.id or "")
        if person is not None:
            return name_children_use(person)
        child = self.children.get(ref.id or "")
        return first_name(child) if child is not None else ref.name

    def in_sentence(self, child: Child) -> str:
        """A child as named in a sentence: Known as, else the full name; an unborn child
        without a Known as is "the baby" (when there is one)."""
        if child.is_unborn and not child.known_as and self.one_unborn:
            return "the baby"
        return first_name(child)

    def relationship(self, ref: PersonRef) -> str:
        """Someone's relationship to the children; "Child" for a child."""
        if ref.is_child:
            return "Child"
        person = self.people.get(ref.id or "")
        return relationship(person, self) if person is not None else ""

    def child_names(self, refs: Sequence[PersonRef]) -> str:
        """The children a list of references names, joined; empty for none."""
        return join_names(
            self.in_sentence(self.children[r.id]) if r.id in self.children else r.name for r in refs
        )


# ---- small wording helpers


def join_names(names: Iterable[str]) -> str:
    """Names joined for a sentence: "Mia", "Mia and Leo", "Mia, Leo and Ava"."""
    items = [n for n in names if n]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def possessive(names: str) -> str:
    """The possessive: "Mia and Leo's", but "James'" (a name ending in s takes only the apostrophe)."""
    if not names:
        return names
    return f"{names}'" if names.lower().endswith("s") else f"{names}'s"


def first_name(child: Child) -> str:
    """The name used where a first name is wanted: Known as, else the full name.

    A full name is never split to guess a first name: in many families the first word is the
    family name.
    """
    return child.known_as or child.name


def name_children_use(person: Person) -> str:
    """The name the children use for someone, else their full name (never a guessed part)."""
    return person.name_children_use or person.name


def the_children(children: Sequence[Child]) -> str:
    """The children as a group in a sentence: "the children", one child's name, "the baby"."""
    if len(children) != 1:
        return "the children"
    only = children[0]
    if only.is_unborn and not only.known_as:
        return "the baby"
    return first_name(only)


def household_heading(children: Sequence[Child], group: str) -> str:
    """The household's heading: "Living with the children", or before every child is born
    "Where the baby will live" (no child is at home yet)."""
    if children and all(c.is_unborn for c in children):
        return f"Where {group} will live"
    return f"Living with {group}"


def relationship(person: Person, words: _Words) -> str:
    """A relationship, naming the children when it applies to some of them: "Father of Leo",
    and for a professional "Health visitor for Leo"."""
    if not person.children or not person.relationship:
        return person.relationship
    joining = "for" if person.role == "Professional" else "of"
    return f"{person.relationship} {joining} {words.child_names(person.children)}"


def yes_no(value: bool | None) -> str:
    """Yes, No, or empty when not known."""
    if value is None:
        return ""
    return "Yes" if value else "No"


def age(child: Child, on: dt.date) -> str:
    """A child's age on a date: "9 years", "14 months", "under 1 month", or "Unborn"."""
    born = child.date_of_birth
    if born is None:
        return "Unborn" if child.is_unborn else ""
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    if months >= 24:
        return f"{months // 12} years"
    if months >= 1:
        return f"{months} month{'s' if months > 1 else ''}"
    return "under 1 month"


def document_title(case: MappingCase) -> str:
    """The main document's title: "Report to the review child protection conference", or for
    a meeting that is not a conference "Core group meeting: record of the mapping"."""
    meeting = case.details.meeting_type
    if case.details.is_conference:
        return f"Report to the {meeting[0].lower()}{meeting[1:]}"
    return f"{meeting}: record of the mapping"


def title_with_copy(title: str, copy_label: str) -> str:
    """A title that says which copy it is, "Report to ... (family copy)": the professional and
    family copies are otherwise told apart by nobody choosing from a title bar or a screen
    reader's first words. The plain title when there is only one copy."""
    return f"{title} ({copy_label})" if copy_label else title


# ---- the sections


def _case_fields(case: MappingCase, words: _Words) -> Context:
    d = case.details
    return {
        "case_reference": d.case_reference,
        "local_authority": d.local_authority or words.settings.local_authority,
        "team": d.team or words.settings.team,
        "logo": _logo(words.settings.logo, d.local_authority or words.settings.local_authority),
        "meeting_type": d.meeting_type,
        "document_title": document_title(case),
        "document_title_with_copy": title_with_copy(
            document_title(case), words.settings.copy_label
        ),
        "is_conference": d.is_conference,
        "is_review": d.is_review,
        "is_pre_birth": d.is_pre_birth,
        "meeting_date": words.date(d.meeting_date),
        "mapping_date": words.date(d.mapping_date),
        "report_date": words.date(d.report_date or words.settings.report_date or dt.date.today()),
        "review_date": words.date(d.review_date),
        "protective_marking": words.settings.protective_marking,
        "copy_note": words.settings.copy_note,
        "reason_for_report": d.reason_for_report,
        "author_name": d.report_author.name,
        "author_role": d.author_role,
        "author_agency": d.author_agency,
        "author_contact": d.author_contact,
    }


def _family_fields(case: MappingCase, words: _Words) -> Context:
    return {
        "children_names": join_names(c.name for c in case.children),
        "children_first_names": join_names(words.in_sentence(c) for c in case.children),
        "the_children": words.the_children,
        "household_heading": household_heading(case.children, words.the_children),
        "children": [_child(c, case, words) for c in case.children],
        "household": [_person(p, words) for p in case.people if p.lives_with_children],
        "network": [_person(p, words) for p in case.people if not p.lives_with_children],
        "agency_involvement": [
            {
                "agency": a.agency,
                "worker": a.worker,
                "involved_since": words.date(a.involved_since),
                "what_support": a.what_support,
                "child_last_seen": words.date(a.child_last_seen),
            }
            for a in case.agency_involvement
        ],
    }


def _child(child: Child, case: MappingCase, words: _Words) -> Item:
    own = decision.decision_of(child, case.details)
    return {
        "id": child.id,
        "name": child.name,
        "first_name": first_name(child),
        "known_as": child.known_as,
        "date_of_birth": words.date(child.date_of_birth),
        "expected_due_date": words.date(child.expected_due_date),
        "age": age(child, words.age_on),
        "is_unborn": child.is_unborn,
        "gender": child.gender,
        "ethnicity": child.ethnicity,
        "first_language": child.first_language,
        "interpreter_needed": yes_no(child.interpreter_needed),
        "school_or_setting": child.school_or_setting,
        "legal_status": child.legal_status,
        "plan_start_date": words.date(child.plan_start_date),
        "recommendation": own.recommendation if case.details.is_conference else "",
        "category_of_harm": own.category_words if case.details.is_conference else "",
    }


def _person(person: Person, words: _Words) -> Item:
    language = f"Speaks {person.first_language}" if person.first_language else ""
    if person.interpreter_needed:
        language = f"{language}; needs an interpreter" if language else "Needs an interpreter"
    for_whom = f" for {words.child_names(person.children)}" if person.children else ""
    responsibility = yes_no(person.parental_responsibility)
    return {
        "name": person.name,
        "relationship": relationship(person, words),
        "role": person.role,
        "agency": person.agency,
        "contact": person.contact,
        "lives_with_children": yes_no(person.lives_with_children),
        "parental_responsibility": (
            f"Yes ({words.child_names(person.children)})"
            if person.parental_responsibility and person.children
            else responsibility
        ),
        "parental_responsibility_words": (
            f"Has parental responsibility{for_whom}." if person.parental_responsibility else ""
        ),
        "safety_network": yes_no(person.safety_network),
        "knows_the_worries": yes_no(person.knows_the_worries),
        "name_children_use": name_children_use(person),
        "children": words.child_names(person.children),
        "first_language": person.first_language,
        "interpreter_needed": yes_no(person.interpreter_needed),
        "language": language,
    }


_VIEW_VERBS = {"Agree": "agrees", "Partly agree": "partly agrees", "Disagree": "disagrees"}


def _view(view: FamilyView) -> Item:
    return {
        "person": view.person.name,
        "view": view.view,
        "their_words": view.their_words,
        "sentence": view_sentence(view.person.name, view.view, view.their_words),
    }


def view_sentence(who: str, view: str, their_words: str) -> str:
    """One person's view in words: "Grace Okafor disagrees: “...”", or "… says: “...”"."""
    verb = _VIEW_VERBS.get(view, "")
    if their_words:
        return f"{who} {verb or 'says'}: “{their_words}”"
    return f"{who} {verb}." if verb else ""


def _grouped(items: Iterable[T], key: Callable[[T], Hashable]) -> dict[Hashable, list[T]]:
    """Items by key, each group in the order given."""
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _statement_views(statement: DangerStatement, words: _Words) -> list[Item]:
    """Each person's view of a statement; format 1's single family view when none is given."""
    views = [_view(v) for v in words.views_about.get(statement.id, [])] if statement.id else []
    if not views and (statement.family_view or statement.family_words):
        sentence = view_sentence("The family", statement.family_view, statement.family_words)
        views.append(
            {
                "person": "The family",
                "view": statement.family_view,
                "their_words": statement.family_words,
                "sentence": sentence,
            }
        )
    return views


def _views_sentence(views: Sequence[Item]) -> str:
    """Several people's views joined: "Grace agrees; Emeka disagrees: “...”"."""
    return "; ".join(str(v["sentence"]) for v in views if v["sentence"])


def _worry_fields(case: MappingCase, words: _Words) -> Context:
    return {
        "harm": [_harm(h, case, words) for h in case.harm],
        "danger_statements": [
            _danger_statement(number, d, case, words)
            for number, d in enumerate(case.danger_statements, 1)
        ],
        "overall_views": [_view(v) for v in case.family_views if v.is_overall],
        "complicating_factors": [f.factor for f in case.complicating_factors],
        "grey_areas": [g.question for g in case.grey_areas],
    }


def _harm(harm: Harm, case: MappingCase, words: _Words) -> Item:
    row = harm.source.row if harm.source is not None else None
    views = [_view(v) for v in words.views_about_harm.get(row, [])] if row is not None else []
    disputed_by = join_names(r.name for r in harm.disputed_by)
    dispute = ""
    if disputed_by:
        account = f": “{harm.their_account}”" if harm.their_account else "."
        dispute = f"Disputed by {disputed_by}{account}"
    elif harm.their_account:
        dispute = f"Another account: “{harm.their_account}”"
    return {
        "date": words.date(harm.date),
        "what_happened": harm.what_happened,
        "impact_on_child": harm.impact_on_child,
        "children": join_names(r.name for r in harm.children)
        or join_names(c.name for c in case.children),
        "source": harm.information_source,
        "disputed_by": disputed_by,
        "their_account": harm.their_account,
        "dispute": dispute,
        "views": views,
        "views_sentence": _views_sentence(views),
    }


def _danger_statement(
    number: int, statement: DangerStatement, case: MappingCase, words: _Words
) -> Item:
    goals = words.goals_of.get(statement.id, [])
    views = _statement_views(statement, words)
    steps = sorted(
        (item for goal in goals for item in words.steps_of.get(goal.id, [])),
        key=lambda item: item[0],
    )
    return {
        "number": number,
        "id": statement.id,
        "statement": statement.statement,
        "family_view": statement.family_view,
        "family_words": statement.family_words,
        "views": views,
        "views_sentence": _views_sentence(views),
        "goals": [_goal(g) for g in goals],
        "next_steps": [_next_step(words.step_numbers[i], s, words) for i, s in steps],
        "scores": [_score(s, words.short, words) for s in words.scores_about.get(statement.id, [])],
    }


def _goal(goal: SafetyGoal) -> Item:
    months = goal.sustained_for_months
    sustained = "" if months is None else f"{months} month{'' if months == 1 else 's'}"
    return {"id": goal.id, "goal": goal.goal, "sustained_for": sustained}


def _working_well_fields(case: MappingCase, words: _Words) -> Context:
    # Existing safety comes first: it is the evidence that matters most to the conference.
    return {
        "existing_safety": [
            {
                "what": w.what,
                "who": w.who.name if w.who else "",
                "danger_number": words.danger_number(w.danger_statement_id),
            }
            for w in case.working_well
            if w.type == "Existing safety"
        ],
        "existing_strengths": [
            {"what": w.what, "who": w.who.name if w.who else ""}
            for w in case.working_well
            if w.type != "Existing safety"
        ],
    }


def step_numbers(case: MappingCase) -> dict[int, int]:
    """Each next step's printed number, by its place in the workbook: numbered in the order the
    report shows them (under each danger statement's goals, then the others), so "step 3" in
    the meeting is the third one read."""
    shown = _steps_shown_with_statements(case)
    order = [
        i
        for goal_ids in shown
        for i, s in enumerate(case.next_steps)
        if s.safety_goal_id in goal_ids
    ]
    order += [i for i in range(len(case.next_steps)) if i not in set(order)]
    return {index: number for number, index in enumerate(order, 1)}


def _steps_shown_with_statements(case: MappingCase) -> list[set[str]]:
    """For each danger statement in order, the IDs of its safety goals."""
    return [
        {g.id for g in case.safety_goals if g.danger_statement_id == d.id}
        for d in case.danger_statements
    ]


def _next_step_fields(case: MappingCase, words: _Words) -> Context:
    # Steps serving a statement's goal are printed with that statement; the rest on their own.
    shown = {g.id for g in case.safety_goals if g.danger_statement_id in words.danger_numbers}
    numbered = sorted(enumerate(case.next_steps), key=lambda item: words.step_numbers[item[0]])
    return {
        "next_steps": [_next_step(words.step_numbers[i], s, words) for i, s in numbered],
        "other_next_steps": [
            _next_step(words.step_numbers[i], s, words)
            for i, s in numbered
            if s.safety_goal_id not in shown
        ],
    }


def _next_step(number: int, step: NextStep, words: _Words) -> Item:
    return {
        "number": number,
        "action": step.action,
        "who": step.who.name,
        "by_when": words.date(step.by_when),
        "safety_goal": step.safety_goal_id,
        "status": step.status,
    }


def _children_views_fields(case: MappingCase, words: _Words) -> Context:
    # Words a child did not agree to share are shown apart (a family copy never has them).
    views = [_child_view(v, words) for v in case.childs_views if not v.not_agreed]
    not_shared = [_child_view(v, words) for v in case.childs_views if v.not_agreed]
    born = [c for c in case.children if not c.is_unborn]
    if views or not_shared:
        note = ""
    elif not born:
        note = f"No views are recorded: {_not_yet_born(case)}."
    elif words.settings.family_copy:
        note = "No child's views are in this copy."
    else:
        note = "No child's views are recorded."
    return {
        "children_views": views,
        "children_views_not_shared": not_shared,
        "children_views_note": note,
    }


def _not_yet_born(case: MappingCase) -> str:
    return "the baby is not yet born" if len(case.children) == 1 else "they are not yet born"


def _child_view(view: ChildView, words: _Words) -> Item:
    return {
        "child": view.child.name,
        "method": view.method,
        "date": words.date(view.date),
        "seen_alone": yes_no(view.seen_alone),
        "worries": view.worries,
        "good_things": view.good_things,
        "dreams": view.dreams,
        "consent_to_share": yes_no(view.consent_to_share),
    }


def _scale_ends(case: MappingCase, words: _Words) -> tuple[str, str]:
    """What 0 and 10 mean; the default wording names the child, or the baby before birth."""
    zero = case.details.scale_zero_means or DEFAULT_SCALE_ZERO
    ten = case.details.scale_ten_means or DEFAULT_SCALE_TEN
    group = words.the_children
    if group == "the children":
        return zero, ten
    unborn = all(c.is_unborn for c in case.children)
    if zero == DEFAULT_SCALE_ZERO:
        zero = (
            f"{_capital(group)} cannot safely go home after the birth as things are."
            if unborn
            else f"{_capital(group)} cannot safely stay at home as things are."
        )
    if ten == DEFAULT_SCALE_TEN:
        be = "will be" if unborn else "is"
        ten = (
            f"Everyone is confident {group} {be} safe enough for children's services to close "
            "the case."
        )
    return zero, ten


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _scaling_fields(case: MappingCase, words: _Words) -> Context:
    zero, ten = _scale_ends(case, words)
    short = words.short
    points = _scale_points(case.scaling, short, words)
    picture = replace(
        draw_scale(points, zero, ten),
        description=scale_description(points, zero, ten),
        name="Scale picture",
    )
    return {
        "scale_zero_means": zero,
        "scale_ten_means": ten,
        "scale_picture": picture,
        "scores": [_score(s, short, words) for s in case.scaling],
        "overall_scores": [
            _score(s, short, words) for s in case.scaling if not s.danger_statement_id
        ],
    }


def scale_description(points: Sequence[tuple[str, int]], zero: str, ten: str) -> str:
    """The scale picture in words, for its alt text: the ends, then where each person is."""
    placed = "; ".join(f"{label}: {score}" for label, score in points)
    return (
        f"A scale from 0 ({zero.rstrip('.')}) to 10 ({ten.rstrip('.')}), with where each "
        f"person placed it. {placed}."
    )


def _logo(logo: Picture | None, authority: str) -> Picture | str:
    """The team's logo described by whose it is: a screen reader says "Logo of <authority>"."""
    if logo is None:
        return ""
    return replace(logo, description=f"Logo of {authority or 'the local authority'}", name="Logo")


def _person_key(ref: PersonRef) -> str:
    return ref.id or ref.name


def short_names(refs: Sequence[PersonRef], words: _Words) -> dict[str, str]:
    """The name on the scale for each participant: a child's Known as, else the full name.

    Never a part of a full name: "Dr" or a family name written first would come out.
    """
    names = {}
    for ref in refs:
        child = words.children.get(ref.id or "")
        names[_person_key(ref)] = first_name(child) if child is not None else ref.name
    return names


def _about(score: Score, words: _Words, all_children: str) -> str:
    child = score.child.name if score.child else all_children
    number = words.danger_number(score.danger_statement_id)
    return f"{child}, danger statement {number}" if number else child


def _score(score: Score, short: dict[str, str], words: _Words) -> Item:
    all_children = (
        "All the children" if len(words.children) != 1 else next(iter(words.children.values())).name
    )
    return {
        "participant": score.participant.name,
        "participant_relationship": words.relationship(score.participant),
        "short_name": short[_person_key(score.participant)],
        "child": score.child.name if score.child else all_children,
        "danger_number": words.danger_number(score.danger_statement_id),
        "about": _about(score, words, all_children),
        "score": score.score,
        "reason": score.reason,
        "one_point_higher": score.one_point_higher,
    }


def _scale_points(
    scores: Sequence[Score], short: dict[str, str], words: _Words
) -> list[tuple[str, int]]:
    """The labels on the scale picture: the overall scores, or every score when none is overall.

    Scores about one danger statement answer a different question, so they are drawn only
    when there is nothing else to draw, and then say which statement they are about.
    """
    overall = [s for s in scores if not s.danger_statement_id]
    points = []
    for s in overall or scores:
        notes = []
        if s.child is not None and _person_key(s.child) != _person_key(s.participant):
            notes.append(words.called(s.child))
        if s.danger_statement_id:
            notes.append(f"danger {words.danger_number(s.danger_statement_id)}")
        label = short[_person_key(s.participant)]
        points.append((f"{label} ({', '.join(notes)})" if notes else label, s.score))
    return points


def _safety_rule(number: int, rule: SafetyRule, words: _Words) -> Item:
    picture: Picture | str = rule.picture if rule.picture is not None else ""
    return {
        "number": number,
        "rule": rule.rule,
        "who": rule.who.name,
        "who_children_call": words.called(rule.who),
        "when": rule.when,
        "danger_number": words.danger_number(rule.danger_statement_id),
        "picture": picture,
    }


def _birth_plan_item(item: BirthPlanItem) -> Item:
    return {
        "arrangement": item.arrangement,
        "who": item.who.name if item.who else "",
        "when": item.when,
    }


def _decision_fields(case: MappingCase, words: _Words) -> Context:
    d = case.details
    groups = decision.group_decisions(case.children, d) if d.is_conference else []
    sentence, lines = decision.recommendation_sentences(groups, words.in_sentence)
    shared = groups[0].decision if len(groups) == 1 else None
    recommendations = {group.decision.recommendation for group in groups}
    return {
        # The recommendation when every child has it, though their categories may differ.
        "recommendation": recommendations.pop() if len(recommendations) == 1 else "",
        "category_of_harm": shared.category_words if shared else "",
        "recommendation_sentence": sentence,
        "recommendation_lines": lines,
        "shared_with_parents_on": words.date(d.shared_with_parents_on),
        "not_shared_because": d.not_shared_because,
        "sharing_sentence": sharing_sentence(case, words),
    }


def sharing_sentence(case: MappingCase, words: _Words) -> str:
    """Whether, when, or why not the report was shared with the parents."""
    d = case.details
    sentences = []
    if d.shared_with_parents_on is not None:
        sentences.append(
            f"This report was shared with the parents on {words.date(d.shared_with_parents_on)}."
        )
    if d.not_shared_because:
        verb = "was not shared" if d.shared_with_parents_on is None else "was not fully shared"
        sentences.append(f"This report {verb} with the parents because: {d.not_shared_because}")
    if not sentences:
        return "The workbook does not say whether this report was shared with the parents."
    return " ".join(sentences)


def _sign_off_fields(case: MappingCase, words: _Words) -> Context:
    d = case.details
    approved = bool(d.manager_name and d.manager_approved_on)
    if approved:
        role = f", {d.manager_role}," if d.manager_role else ""
        sentence = f"Approved by {d.manager_name}{role} on {words.date(d.manager_approved_on)}."
    elif d.manager_name:
        sentence = f"This report has not yet been approved by {d.manager_name}."
    else:
        sentence = "This report has not been approved by a manager."
    return {
        "manager_name": d.manager_name,
        "manager_role": d.manager_role,
        "manager_approved_on": words.date(d.manager_approved_on),
        "manager_approved": approved,
        "approval_sentence": sentence,
    }


@dataclass(frozen=True)
class Story:
    """One words and pictures story: the children it is for, and whose own story it is."""

    children: tuple[Child, ...]
    own: Child | None = None  # None: the story the children share


def stories(case: MappingCase) -> list[Story]:
    """The stories a case gets: the shared one (for born children whose `Story` is blank), then
    one for each born child whose `Story` is Yes. An unborn child, or one whose `Story` is No,
    is in none."""
    born = [c for c in case.children if not c.is_unborn]
    shared = tuple(c for c in born if c.story is None)
    found = [Story(shared)] if shared else []
    return found + [Story((c,), own=c) for c in born if c.story]


def story_context(
    case: MappingCase, settings: DocumentSettings | None = None, story: Story | None = None
) -> Context:
    """The story fields of one story (`stories`), to lay over `build_context`'s."""
    settings = settings or DEFAULT_SETTINGS
    return _story_fields(case, settings, _Words(case, settings), story)


STORY_PICTURE_HEIGHT_EMU = 2_340_000  # 6.5 cm: two pages of the story share a sheet of A4
DRAFT_MARK = "DRAFT: not yet agreed with the family"
# Said on every "Who I can talk to" page: the numbers any child in the UK can call.
ANYONE_CAN_CALL = (
    "Childline, any time, free: 0800 1111",
    "If you are in danger now, call 999",
)


def _story_fields(
    case: MappingCase, settings: DocumentSettings, words: _Words, story: Story | None = None
) -> Context:
    # The story is for the children who are born: an unborn baby gets none of their own.
    story = story or Story(tuple(c for c in case.children if not c.is_unborn))
    names = join_names(first_name(c) for c in story.children)
    values = {"names": names, "possessive": possessive(names)}
    # One pass, so a name that happens to contain "{names}" is not substituted again.
    title = re.sub(r"\{(names|possessive)\}", lambda m: values[m.group(1)], settings.story_title)
    pages = _workbook_pages(case, story)
    safety_people: list[Item] = [
        {"name": name_children_use(p), "full_name": p.name, "relationship": p.relationship}
        for p in case.people
        if p.safety_network and p.knows_the_worries
    ]
    talk_to = _talk_to(case)
    draft = not case.details.words_and_pictures_agreed
    marking = f"{settings.protective_marking}   Case reference: {case.details.case_reference}"
    return {
        "story_title": title,
        "story_for": first_name(story.own) if story.own else "",
        "words_pages": [_words_page(page) for page in pages],
        "story_pages": _story_pages(case, story, pages, safety_people, talk_to, words),
        # The story tells the children "these people know about the worries": only those who do.
        "safety_people": safety_people,
        "talk_to": talk_to,
        "story_agreed_sentence": story_agreed_sentence(case, words),
        "story_draft": draft,
        "story_draft_mark": DRAFT_MARK if draft else "",
        "story_marking": settings.story_marking,
        "story_cover_marking": marking if settings.story_marking != "none" else "",
        "story_footer_marking": marking if settings.story_marking == "footer" else "",
    }


def _workbook_pages(case: MappingCase, story: Story) -> list[WordsPage]:
    """This story's pages from the Words and pictures sheet, in section order, then page order.

    A page with no section is in the section of the page before it (the first section when it
    is the first), so a sheet without sections reads as it is numbered.
    """
    ids = {c.id for c in story.children}
    chosen = [p for p in case.words_and_pictures if p.child is None or p.child.id in ids]
    placed, section = [], STORY_SECTIONS[0]
    for page in sorted(chosen, key=lambda p: p.page):
        section = page.section if page.section in STORY_SECTIONS else section
        placed.append(replace(page, section=section))
    return sorted(placed, key=lambda p: STORY_SECTIONS.index(p.section))


def _story_picture(picture: Picture | None, description: str, heading: str) -> Picture | str:
    """A story picture sized so two pages share a sheet, described for its alt text and named
    after its page."""
    if picture is None:
        return ""
    return replace(
        picture,
        description=description,
        name=f"Picture for {heading}",
        max_height_emu=STORY_PICTURE_HEIGHT_EMU,
    )


def picture_for_page(heading: str) -> str:
    """The alt text of a story picture nobody described: which page it is for. Never the
    heading alone or the page's words: a screen reader has just read the one and reads the
    other next."""
    return f"Picture for the page “{heading}”"


def _page_picture(page: WordsPage) -> Picture | str:
    """A page's picture, its alt text the row's description, else its own, else which page."""
    own = page.picture.description if page.picture else ""
    return _story_picture(
        page.picture,
        page.picture_description or own or picture_for_page(page.heading),
        page.heading,
    )


def _words_page(page: WordsPage) -> Item:
    return {
        "number": page.page,
        **_story_page(page.section, page.heading, page.words, _page_picture(page)),
    }


def _story_page(section: str, heading: str, words: str, picture: Picture | str = "") -> Item:
    return {"section": section, "heading": heading, "words": words, "picture": picture}


def _story_pages(
    case: MappingCase,
    story: Story,
    pages: Sequence[WordsPage],
    safety_people: Sequence[Item],
    talk_to: Sequence[Item],
    words: _Words,
) -> list[Item]:
    """Every page of the story in order: the sheet's pages with the built-in pages (safety
    people, safety rules, who I can talk to) at the end of their sections."""
    built_in: dict[str, list[Item]] = {section: [] for section in STORY_SECTIONS}
    if safety_people:
        names = join_names(first_name(c) for c in story.children)
        built_in[STORY_EVERYONE_DOING].append(
            _story_page(
                STORY_EVERYONE_DOING,
                "My safety people",
                f"These people know about the worries. They help to keep {names} safe.\n"
                + "\n".join(str(p["name"]) for p in safety_people),
            )
        )
    for number, rule in enumerate(case.safety_plan, 1):
        text = rule.words_for_children or rule.rule
        heading = f"Safety rule {number}"
        own = rule.picture.description if rule.picture else ""
        built_in[STORY_SAFETY_RULES].append(
            _story_page(
                STORY_SAFETY_RULES,
                heading,
                text,
                _story_picture(rule.picture, own or picture_for_page(heading), heading),
            )
        )
    lines = [str(p["line"]) for p in talk_to] + list(ANYONE_CAN_CALL)
    built_in[STORY_TALK_TO].append(
        _story_page(
            STORY_TALK_TO,
            "Who I can talk to",
            "You can talk to these people about anything that worries you.\n" + "\n".join(lines),
        )
    )
    ordered: list[Item] = []
    for section in STORY_SECTIONS:
        ordered += [
            _story_page(section, p.heading, p.words, _page_picture(p))
            for p in pages
            if p.section == section
        ]
        ordered += built_in[section]
    return ordered


def _talk_to(case: MappingCase) -> list[Item]:
    """The people the children can talk to: the safety network who know the worries, and the
    professionals with a contact, by the names the children use, with their numbers."""
    people = [
        p
        for p in case.people
        if (p.safety_network and p.knows_the_worries) or (p.role == "Professional" and p.contact)
    ]
    return [
        {
            "name": name_children_use(p),
            "contact": p.contact,
            "line": f"{name_children_use(p)}: {p.contact}" if p.contact else name_children_use(p),
        }
        for p in people
    ]


def story_agreed_sentence(case: MappingCase, words: _Words) -> str:
    """Who agreed the story's words, by the names the children use; empty when not agreed."""
    if not case.details.words_and_pictures_agreed:
        return ""
    # One Yes/No cell cannot say which parent agreed: the story names only the parents the
    # children live with, never one who lives elsewhere (who may not be allowed to see it).
    parents = [
        name_children_use(p) for p in case.people if p.role == "Parent" and p.lives_with_children
    ]
    if not parents:
        return "Your family have read this story and agree with it."
    if len(parents) == 1:
        return f"{parents[0]} has read this story and agrees with it."
    return f"{join_names(parents)} have read this story and agree with it."
