"""Words the recommendation is made of: each child's own decision, grouped, as sentences.

A child's recommendation and category are their own cells, else the Case sheet's. Children who
share a decision are named together; a review continues or ends a plan that exists (it never
"makes" one), and `Multiple` names its categories.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sos_docs.model import CaseDetails, Child

CHILD_PROTECTION_PLAN = "Child protection plan"
CONTINUE_PLAN = "Continue child protection plan"
# The recommendations under which a category of harm applies (the child is on a plan after it).
PLAN_RECOMMENDATIONS = frozenset({CHILD_PROTECTION_PLAN, CONTINUE_PLAN})


@dataclass(frozen=True)
class Decision:
    """One child's effective recommendation and category of harm."""

    recommendation: str
    category: str
    categories: tuple[str, ...]

    @property
    def category_words(self) -> str:
        """The category as printed: "Emotional abuse", "Multiple (neglect and emotional abuse)"."""
        if not self.category or self.recommendation not in PLAN_RECOMMENDATIONS:
            return ""
        if self.category == "Multiple" and self.categories:
            return f"Multiple ({_join([c.lower() for c in self.categories])})"
        return self.category


def decision_of(child: Child, details: CaseDetails) -> Decision:
    """A child's own recommendation and category, each falling back to the Case sheet's."""
    if child.recommendation:
        recommendation = child.recommendation
        category, categories = child.category_of_harm, child.categories
        if not category and recommendation == details.recommendation:
            category, categories = details.category_of_harm, details.categories
    else:
        recommendation = details.recommendation
        category = child.category_of_harm or details.category_of_harm
        categories = child.categories if child.category_of_harm else details.categories
    if recommendation not in PLAN_RECOMMENDATIONS:
        # A category belongs to a plan: without one it says nothing, and must not split the
        # children into groups that read the same.
        category, categories = "", ()
    return Decision(recommendation, category, categories)


@dataclass(frozen=True)
class DecisionGroup:
    """Children who share one decision, in workbook order."""

    decision: Decision
    children: tuple[Child, ...]


def group_decisions(children: Sequence[Child], details: CaseDetails) -> list[DecisionGroup]:
    """The children grouped by their decision, groups in the order their first child appears."""
    groups: dict[Decision, list[Child]] = {}
    for child in children:
        groups.setdefault(decision_of(child, details), []).append(child)
    return [DecisionGroup(d, tuple(kids)) for d, kids in groups.items()]


def _join(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def category_phrase(decision: Decision) -> str:
    """ " under the category of neglect", " under the categories of ...", or ""."""
    if decision.recommendation not in PLAN_RECOMMENDATIONS or not decision.category:
        return ""
    if decision.category == "Multiple":
        if decision.categories:
            named = _join([c.lower() for c in decision.categories])
            return f" under the categories of {named}"
        return " under more than one category of harm"
    return f" under the category of {decision.category.lower()}"


def action(decision: Decision, names: str) -> str:
    """What is recommended for the named children, as a phrase after "to"."""
    category = category_phrase(decision)
    phrases: dict[str, str] = {
        CHILD_PROTECTION_PLAN: f"make {names} subject to a child protection plan{category}",
        "Child in need plan": f"support {names} through a child in need plan",
        "No further action": f"take no further action for {names}",
        CONTINUE_PLAN: f"continue the child protection plan for {names}{category}",
        "End plan: child in need plan": (
            f"end the child protection plan and support {names} through a child in need plan"
        ),
        "End plan: no further action": (
            f"end the child protection plan for {names}, with no further action"
        ),
        "Other": (
            f"take a course of action for {names} other than those the conference usually "
            "chooses from, as set out in this report"
        ),
    }
    return phrases.get(decision.recommendation, "")


def recommendation_sentences(
    groups: Sequence[DecisionGroup], called: Callable[[Child], str]
) -> tuple[str, list[str]]:
    """The recommendation as one sentence, or an opening sentence and one line per group.

    `called` names a child in a sentence (Known as, else the full name; "the baby").
    """
    if not groups:
        return "No recommendation has been recorded.", []
    lines = []
    for group in groups:
        names = _join([called(c) for c in group.children])
        phrase = action(group.decision, names)
        lines.append(phrase or f"no recommendation has been recorded for {names}")
    if len(groups) == 1:
        if not action(groups[0].decision, "x"):
            return "No recommendation has been recorded.", []
        return f"The recommendation of this report is to {lines[0]}.", []
    opening = "The recommendations of this report differ between the children. They are to:"
    return opening, [f"{line};" for line in lines[:-1]] + [f"{lines[-1]}."]
