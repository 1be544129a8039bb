"""Whose words go where: the copies of a case's documents and the case each copy is made from.

A row (or a Case value) marked `Withhold from` Family, or a child's words they did not agree to
share, is kept out of every copy for the family; one marked with a person's ID is kept out of
that person's copy. The professional copy holds everything. A family copy is made from a case
with the withheld rows taken out before any document is built (`filtered`), so a withheld row
never reaches its text, pictures, alt text or document properties.

A row shared with the family that points at a withheld row is dealt with here too: a next step
whose safety goal is withheld, or existing safety or a safety rule whose danger statement is,
keeps its own words without the link; a safety goal, a score or a person's view about a
withheld danger statement (or Harm row) is about withheld information, so it is left out with
it. Each of these is a warning (SOS223, `dangling_problems`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from sos_docs import codes
from sos_docs.model import (
    FAMILY,
    CaseDetails,
    CaseHistory,
    MappingCase,
    Problem,
    Source,
)

__all__ = [
    "EVERY_FAMILY_MEMBER",
    "CaseCopy",
    "copies_of",
    "dangling_problems",
    "filtered",
    "is_withheld",
]

# The audience of a document every family member may read (the words and pictures story):
# nothing withheld from anyone is in it.
EVERY_FAMILY_MEMBER = "*"
PROFESSIONALS = ""  # the audience of the professional copy: nothing is withheld from it
PROFESSIONAL_COPY = "professional copy"
FAMILY_COPY = "family copy"

# The case's tables that rows may be withheld from (Children and People never are).
_WITHHOLDABLE = (
    "agency_involvement",
    "harm",
    "danger_statements",
    "complicating_factors",
    "grey_areas",
    "working_well",
    "safety_goals",
    "next_steps",
    "scaling",
    "childs_views",
    "safety_plan",
    "words_and_pictures",
    "family_views",
    "birth_plan",
    "previous_scaling",
)
T = TypeVar("T")


@dataclass(frozen=True)
class CaseCopy:
    """One copy of a case's documents: its label in file names, who it is for, the case it is
    made from, and where in the workbook each thing it leaves out is (sheet, "row 4" or "B12")."""

    label: str  # "" when nothing is withheld; "professional copy", "family copy", "copy for ..."
    audience: str  # PROFESSIONALS, FAMILY or a People ID
    case: MappingCase
    leaves_out: tuple[tuple[str, str], ...] = ()
    for_whom: str = ""  # who it is given to, in words, for the receipt

    @property
    def is_professional(self) -> bool:
        """True for the copy that holds everything."""
        return self.audience == PROFESSIONALS


def is_withheld(withheld_from: Iterable[str], audience: str) -> bool:
    """True when something marked `withheld_from` is kept out of `audience`'s copy."""
    marked = set(withheld_from)
    if audience == PROFESSIONALS:
        return False
    if audience == EVERY_FAMILY_MEMBER:
        return bool(marked)
    return FAMILY in marked or audience in marked


def anything_withheld(case: MappingCase) -> bool:
    """True when any row or Case value is kept from anyone: the case gets family copies."""
    return bool(_audiences(case)) or any(case.details.withheld_fields.values())


def _audiences(case: MappingCase) -> list[str]:
    """Every audience named anywhere, FAMILY first, then People IDs in People order."""
    named = {a for name in _WITHHOLDABLE for r in getattr(case, name) for a in r.withheld_from}
    named |= {a for audiences in case.details.withheld_fields.values() for a in audiences}
    people = [p.id for p in case.people if p.id in named]
    return ([FAMILY] if named else []) + people


def copies_of(case: MappingCase) -> list[CaseCopy]:
    """The professional copy, and when anything is withheld one copy per distinct audience.

    The family copy is for every family member not named in a `Withhold from` cell; a person
    who is named gets a copy of their own, unless it would leave out exactly what the family
    copy leaves out (then the family copy is theirs too).
    """
    if not anything_withheld(case):
        return [CaseCopy("", PROFESSIONALS, case)]
    copies = [CaseCopy(PROFESSIONAL_COPY, PROFESSIONALS, case, for_whom="professionals only")]
    family_case, family_leaves = filtered(case, FAMILY)
    family = CaseCopy(FAMILY_COPY, FAMILY, family_case, family_leaves)
    own: list[CaseCopy] = []
    names = {p.id: p.name for p in case.people}
    for person_id in _audiences(case)[1:]:
        person_case, leaves = filtered(case, person_id)
        if leaves != family_leaves:
            name = names.get(person_id, person_id)
            own.append(CaseCopy(f"copy for {name}", person_id, person_case, leaves, name))
    others = ", ".join(c.for_whom for c in own)
    family_for = f"the family, except {others}" if others else "the family"
    return [*copies, replace(family, for_whom=family_for), *own]


def filtered(case: MappingCase, audience: str) -> tuple[MappingCase, tuple[tuple[str, str], ...]]:
    """The case as `audience` may read it, and where each row and Case value it leaves out is."""
    cut = _Cut(audience)
    dangers = cut.rows(case.danger_statements)
    danger_ids = {d.id for d in dangers}
    gone_dangers = {d.id for d in case.danger_statements} - danger_ids
    goals = cut.rows(case.safety_goals, lambda g: g.danger_statement_id in gone_dangers)
    gone_goals = {g.id for g in case.safety_goals} - {g.id for g in goals}
    harm = cut.rows(case.harm)
    harm_rows = {h.source.row for h in case.harm if h.source} - {
        h.source.row for h in harm if h.source
    }
    kept: dict[str, Any] = {
        name: cut.rows(getattr(case, name))
        for name in _WITHHOLDABLE
        if name not in ("danger_statements", "safety_goals", "harm")
    }
    kept["scaling"] = cut.rows(case.scaling, lambda s: s.danger_statement_id in gone_dangers)
    kept["family_views"] = cut.rows(
        case.family_views,
        lambda v: v.danger_statement_id in gone_dangers or v.harm_row in harm_rows,
    )
    kept["next_steps"] = _unlinked(kept["next_steps"], "safety_goal_id", gone_goals)
    kept["working_well"] = _unlinked(kept["working_well"], "danger_statement_id", gone_dangers)
    kept["safety_plan"] = _unlinked(kept["safety_plan"], "danger_statement_id", gone_dangers)
    details = cut.details(case.details)
    result = replace(
        case,
        details=details,
        danger_statements=dangers,
        safety_goals=goals,
        harm=harm,
        **kept,
    )
    return result, tuple(cut.left_out)


def filtered_history(
    history: CaseHistory | None, audience: str, current: MappingCase | None = None
) -> CaseHistory | None:
    """A review's earlier conferences as `audience` may read them: the rows withheld in each
    earlier workbook out, and, given the `current` case, whatever is withheld from the audience
    now out of them too (a danger statement withheld only at the review must not come back
    through "then and now")."""
    if history is None or audience == PROFESSIONALS:
        return history
    now = _WithheldNow.of(current, audience) if current is not None else _WithheldNow()
    earlier = tuple(
        replace(e, case=now.out_of(filtered(e.case, audience)[0])) for e in history.earlier
    )
    return replace(history, earlier=earlier)


def _key(*parts: str) -> tuple[str, ...]:
    return tuple(" ".join(part.casefold().split()) for part in parts)


@dataclass(frozen=True)
class _WithheldNow:
    """What the current case withholds from one audience, as earlier rows are matched to it:
    danger statements and goals by ID, next steps by their words, scores by who, about whom
    and about which statement."""

    dangers: frozenset[tuple[str, ...]] = frozenset()
    goals: frozenset[tuple[str, ...]] = frozenset()
    steps: frozenset[tuple[str, ...]] = frozenset()
    scores: frozenset[tuple[str, ...]] = frozenset()

    @classmethod
    def of(cls, case: MappingCase, audience: str) -> _WithheldNow:
        def out(record: Any) -> bool:
            return is_withheld(getattr(record, "withheld_from", ()), audience)

        return cls(
            dangers=frozenset(_key(d.id) for d in case.danger_statements if out(d)),
            goals=frozenset(_key(g.id) for g in case.safety_goals if out(g)),
            steps=frozenset(_key(n.action) for n in case.next_steps if out(n)),
            scores=frozenset(_score_key(s) for s in case.scaling if out(s)),
        )

    def out_of(self, case: MappingCase) -> MappingCase:
        """The earlier case without what is withheld now."""
        dangers = tuple(d for d in case.danger_statements if _key(d.id) not in self.dangers)
        gone = {_key(d.id) for d in case.danger_statements} - {_key(d.id) for d in dangers}
        goals = tuple(
            g
            for g in case.safety_goals
            if _key(g.id) not in self.goals and _key(g.danger_statement_id) not in gone
        )
        kept_goals = {_key(g.id) for g in goals}
        all_goals = {_key(g.id) for g in case.safety_goals}
        steps = tuple(
            n
            for n in case.next_steps
            if _key(n.action) not in self.steps
            and not (
                _key(n.safety_goal_id) in all_goals and _key(n.safety_goal_id) not in kept_goals
            )
        )
        scores = tuple(
            s
            for s in case.scaling
            if _score_key(s) not in self.scores and _key(s.danger_statement_id) not in gone
        )
        return replace(
            case, danger_statements=dangers, safety_goals=goals, next_steps=steps, scaling=scores
        )


def _score_key(score: Any) -> tuple[str, ...]:
    child = score.child.name if score.child else ""
    return _key(score.participant.name, child, score.danger_statement_id)


class _Cut:
    """Takes withheld rows and Case values out for one audience, noting where each was."""

    def __init__(self, audience: str) -> None:
        self.audience = audience
        self.left_out: list[tuple[str, str]] = []

    def rows(self, records: Sequence[T], about_withheld: Callable[[T], bool] | None = None) -> Any:
        """The records the audience may read, in order."""
        kept = []
        for record in records:
            own: tuple[str, ...] = getattr(record, "withheld_from", ())
            if is_withheld(own, self.audience) or (about_withheld and about_withheld(record)):
                self._note(getattr(record, "source", None))
            else:
                kept.append(record)
        return tuple(kept)

    def details(self, details: CaseDetails) -> CaseDetails:
        """The Case values, each withheld one emptied."""
        emptied: dict[str, Any] = {}
        defaults = {f.name: f.default for f in fields(CaseDetails)}
        for name, audiences in details.withheld_fields.items():
            if is_withheld(audiences, self.audience):
                emptied[name] = defaults.get(name, "")
                cell = details.source.cell(name) if details.source else None
                sheet = details.source.sheet if details.source else "Case"
                self.left_out.append((sheet, cell or name))
        # The copy carries no trace of what was withheld, not even which values were.
        return replace(details, **emptied, withheld_fields={})

    def _note(self, source: Source | None) -> None:
        if source is not None:
            self.left_out.append((source.sheet, f"row {source.row}"))


def _unlinked(records: tuple[Any, ...], link: str, gone: set[str]) -> tuple[Any, ...]:
    """The records with a link to a withheld row emptied: shown without what it points at."""
    return tuple(replace(r, **{link: ""}) if getattr(r, link) in gone else r for r in records)


# ------------------------------------------------------------------------ warnings


def dangling_problems(case: MappingCase) -> list[Problem]:
    """SOS223 for each row a family copy shows without the withheld row it points at, or
    leaves out because it is about one."""
    found: list[Problem] = []
    dangers = {d.id: d.withheld_from for d in case.danger_statements}
    goals = {g.id: g.withheld_from for g in case.safety_goals}
    harm = {h.source.row: h.withheld_from for h in case.harm if h.source}
    for goal in case.safety_goals:
        found += _dangling(goal, "danger_statement_id", dangers, "left out with it")
        # A goal left out with its danger statement takes its next steps' link with it.
        goals[goal.id] = (*goals[goal.id], *dangers.get(goal.danger_statement_id, ()))
    for step in case.next_steps:
        found += _dangling(step, "safety_goal_id", goals, "shown without the goal")
    for name in ("working_well", "safety_plan"):
        for row in getattr(case, name):
            found += _dangling(row, "danger_statement_id", dangers, "shown without it")
    for score in case.scaling:
        found += _dangling(score, "danger_statement_id", dangers, "left out with it")
    for view in case.family_views:
        found += _dangling(view, "danger_statement_id", dangers, "left out with it")
        if view.harm_row is not None:
            found += _dangling_harm(view, harm.get(view.harm_row, ()))
    return found


def _dangling(
    record: Any, link: str, targets: dict[str, tuple[str, ...]], what: str
) -> list[Problem]:
    target = getattr(record, link)
    target_from = targets.get(target, ())
    more = sorted(set(target_from) - set(record.withheld_from))
    if not target or not more or FAMILY in record.withheld_from:
        return []
    source: Source | None = record.source
    kind = "safety goal" if link == "safety_goal_id" else "danger statement"
    return [
        codes.problem(
            codes.SOS223,
            source.sheet if source else None,
            source.cell(link) if source else None,
            f"This row is shared with the family, but the {kind} {target} it refers to is "
            f"withheld from {_audience_words(more)}, so in their copy this row is {what}. If "
            "that is not what you meant, fill in Withhold from on this row as on the "
            f"{kind} (or clear it there).",
        )
    ]


def _dangling_harm(view: Any, target_from: tuple[str, ...]) -> list[Problem]:
    more = sorted(set(target_from) - set(view.withheld_from))
    if not more or FAMILY in view.withheld_from:
        return []
    source: Source | None = view.source
    return [
        codes.problem(
            codes.SOS223,
            source.sheet if source else None,
            source.cell("about") if source else None,
            f"This view is about Harm row {view.harm_row}, which is withheld from "
            f"{_audience_words(more)}, so it is left out of their copy with it. If that is not "
            "what you meant, fill in Withhold from on this row as on the Harm row.",
        )
    ]


def _audience_words(audiences: Sequence[str]) -> str:
    named = ["the family" if a == FAMILY else a for a in audiences]
    return " and ".join(named)
