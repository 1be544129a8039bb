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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sos_docs.config import DEFAULT_PROTECTIVE_MARKING
from sos_docs.documents.progress import progress_fields
from sos_docs.documents.scale_picture import draw_scale
from sos_docs.model import (
    DEFAULT_SCALE_TEN,
    DEFAULT_SCALE_ZERO,
    CaseHistory,
    Child,
    ChildView,
    MappingCase,
    NextStep,
    Person,
    PersonRef,
    Picture,
    SafetyGoal,
    SafetyRule,
    Score,
)

log = logging.getLogger(__name__)

DEFAULT_STORY_TITLE = "{possessive} story"
DEFAULT_DATE_FORMAT = "%-d %B %Y"  # 27 November 2026; %-d is handled here, so it works on Windows

Context = dict[str, object]
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
        "next_steps": [_next_step(n, s, words) for n, s in enumerate(case.next_steps, 1)],
        "children_views": [_child_view(v, words) for v in case.childs_views],
        **_scaling_fields(case, words),
        "safety_network": [_person(p) for p in case.people if p.safety_network],
        "safety_rules": [_safety_rule(n, r, words) for n, r in enumerate(case.safety_plan, 1)],
        **_decision_fields(case, words),
        **_story_fields(case, settings, words),
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
        """What the children call someone: the name they use, else the first name."""
        person = self.people.get(ref.id or "")
        if person is not None:
            return name_children_use(person)
        child = self.children.get(ref.id or "")
        return first_name(child) if child is not None else ref.name

    def relationship(self, ref: PersonRef) -> str:
        """Someone's relationship to the children; "Child" for a child."""
        if ref.is_child:
            return "Child"
        person = self.people.get(ref.id or "")
        return person.relationship if person is not None else ""


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
    """A child's first name; an unborn child ("Baby Hartley (unborn)") keeps the full name."""
    if child.is_unborn:
        return child.name
    return child.name.split()[0] if child.name.split() else child.name


def name_children_use(person: Person) -> str:
    """The name the children use for someone, else their first name."""
    if person.name_children_use:
        return person.name_children_use
    return person.name.split()[0] if person.name.split() else person.name


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


# ---- the sections


def _case_fields(case: MappingCase, words: _Words) -> Context:
    d = case.details
    return {
        "case_reference": d.case_reference,
        "local_authority": d.local_authority or words.settings.local_authority,
        "team": d.team or words.settings.team,
        "logo": words.settings.logo or "",
        "meeting_type": d.meeting_type,
        "meeting_date": words.date(d.meeting_date),
        "mapping_date": words.date(d.mapping_date),
        "report_date": words.date(words.settings.report_date or dt.date.today()),
        "review_date": words.date(d.review_date),
        "protective_marking": words.settings.protective_marking,
        "reason_for_report": d.reason_for_report,
        "author_name": d.report_author.name,
        "author_role": d.author_role,
        "author_agency": d.author_agency,
        "author_contact": d.author_contact,
    }


def _family_fields(case: MappingCase, words: _Words) -> Context:
    return {
        "children_names": join_names(c.name for c in case.children),
        "children_first_names": join_names(first_name(c) for c in case.children),
        "children": [_child(c, words) for c in case.children],
        "household": [_person(p) for p in case.people if p.lives_with_children],
        "network": [_person(p) for p in case.people if not p.lives_with_children],
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


def _child(child: Child, words: _Words) -> Item:
    return {
        "id": child.id,
        "name": child.name,
        "first_name": first_name(child),
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
    }


def _person(person: Person) -> Item:
    return {
        "name": person.name,
        "relationship": person.relationship,
        "role": person.role,
        "agency": person.agency,
        "contact": person.contact,
        "lives_with_children": yes_no(person.lives_with_children),
        "parental_responsibility": yes_no(person.parental_responsibility),
        "safety_network": yes_no(person.safety_network),
        "knows_the_worries": yes_no(person.knows_the_worries),
        "name_children_use": name_children_use(person),
    }


def _worry_fields(case: MappingCase, words: _Words) -> Context:
    every_child = join_names(c.name for c in case.children)
    return {
        "harm": [
            {
                "date": words.date(h.date),
                "what_happened": h.what_happened,
                "impact_on_child": h.impact_on_child,
                "children": join_names(r.name for r in h.children) or every_child,
                "source": h.information_source,
            }
            for h in case.harm
        ],
        "danger_statements": [
            {
                "number": number,
                "id": d.id,
                "statement": d.statement,
                "family_view": d.family_view,
                "family_words": d.family_words,
                "goals": [_goal(g) for g in case.safety_goals if g.danger_statement_id == d.id],
            }
            for number, d in enumerate(case.danger_statements, 1)
        ],
        "complicating_factors": [f.factor for f in case.complicating_factors],
        "grey_areas": [g.question for g in case.grey_areas],
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


def _next_step(number: int, step: NextStep, words: _Words) -> Item:
    return {
        "number": number,
        "action": step.action,
        "who": step.who.name,
        "by_when": words.date(step.by_when),
        "safety_goal": step.safety_goal_id,
        "status": step.status,
    }


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


def _scaling_fields(case: MappingCase, words: _Words) -> Context:
    zero = case.details.scale_zero_means or DEFAULT_SCALE_ZERO
    ten = case.details.scale_ten_means or DEFAULT_SCALE_TEN
    short = short_names([s.participant for s in case.scaling], words)
    return {
        "scale_zero_means": zero,
        "scale_ten_means": ten,
        "scale_picture": draw_scale(_scale_points(case.scaling, short, words), zero, ten),
        "scores": [_score(s, short, words) for s in case.scaling],
    }


def _person_key(ref: PersonRef) -> str:
    return ref.id or ref.name


def short_names(refs: Sequence[PersonRef], words: _Words) -> dict[str, str]:
    """A short name per participant: the first name, or the full name when two would clash."""
    full = {_person_key(r): r.name for r in refs}
    first = {key: (name.split() or [name])[0] for key, name in full.items()}
    for key, ref_id in ((_person_key(r), r.id) for r in refs):
        child = words.children.get(ref_id or "")
        if child is not None:
            first[key] = first_name(child)
    clashing = {n for n in first.values() if list(first.values()).count(n) > 1}
    return {key: full[key] if name in clashing else name for key, name in first.items()}


def _about(score: Score, words: _Words) -> str:
    child = score.child.name if score.child else "All the children"
    number = words.danger_number(score.danger_statement_id)
    return f"{child}, danger statement {number}" if number else child


def _score(score: Score, short: dict[str, str], words: _Words) -> Item:
    return {
        "participant": score.participant.name,
        "participant_relationship": words.relationship(score.participant),
        "short_name": short[_person_key(score.participant)],
        "child": score.child.name if score.child else "All the children",
        "danger_number": words.danger_number(score.danger_statement_id),
        "about": _about(score, words),
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


def _decision_fields(case: MappingCase, words: _Words) -> Context:
    d = case.details
    return {
        "recommendation": d.recommendation,
        "category_of_harm": d.category_of_harm,
        "recommendation_sentence": recommendation_sentence(case),
        "shared_with_parents_on": words.date(d.shared_with_parents_on),
        "not_shared_because": d.not_shared_because,
        "sharing_sentence": sharing_sentence(case, words),
    }


def recommendation_sentence(case: MappingCase) -> str:
    """The recommendation in words, naming the children."""
    d = case.details
    names = join_names(first_name(c) for c in case.children)
    be = "is" if len(case.children) == 1 else "are"
    opening = "The recommendation of this report is that"
    if d.recommendation == "Child protection plan":
        if d.category_of_harm == "Multiple":
            category = " under more than one category of harm"
        elif d.category_of_harm:
            category = f" under the category of {d.category_of_harm.lower()}"
        else:
            category = ""
        return f"{opening} {names} {be} made subject to a child protection plan{category}."
    if d.recommendation == "Child in need plan":
        return f"{opening} {names} {be} supported through a child in need plan."
    if d.recommendation == "No further action":
        return f"{opening} children's services take no further action."
    if d.recommendation == "Other":
        return (
            "The author recommends a course of action other than a child protection plan, "
            "a child in need plan or no further action, as set out in this report."
        )
    return "No recommendation has been recorded."


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


def _story_fields(case: MappingCase, settings: DocumentSettings, words: _Words) -> Context:
    names = join_names(first_name(c) for c in case.children)
    values = {"names": names, "possessive": possessive(names)}
    # One pass, so a name that happens to contain "{names}" is not substituted again.
    title = re.sub(r"\{(names|possessive)\}", lambda m: values[m.group(1)], settings.story_title)
    return {
        "story_title": title,
        "words_pages": [
            {
                "number": page.page,
                "heading": page.heading,
                "words": page.words,
                "picture": page.picture if page.picture is not None else "",
            }
            for page in sorted(case.words_and_pictures, key=lambda p: p.page)
        ],
        # The story tells the children "these people know about the worries": only those who do.
        "safety_people": [
            {"name": name_children_use(p), "full_name": p.name, "relationship": p.relationship}
            for p in case.people
            if p.safety_network and p.knows_the_worries
        ],
        "story_agreed_sentence": story_agreed_sentence(case, words),
    }


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
