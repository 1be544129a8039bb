"""Builds the review report's "Progress since the last conference" fields from the case's history.

The review report's section (README, Review conferences): the date of the last conference and
what the report to it recommended (a workbook holds the report's recommendation, never the
conference's decision), each danger statement then and now (printed once when unchanged), each
safety goal with its next steps, their deadlines and their status then and now, and each
person's scores then and now with what they said last time would make it one point higher
beside their reason for the score now. Scores are given at the mapping before a conference, so
they are said to be "for" a conference, never given on its day. Earlier scores come from the
earlier workbooks read for the review and from this workbook's `Previous scaling` sheet; the
chart of every overall score across the case's conferences is drawn by
`sos_docs.documents.score_chart`. No file name reaches the document: it goes to the family.

People, children and danger statements are matched across workbooks by what staff see, not
by their IDs alone: people and children by their folded names, danger statements by ID (the
same ID in the next workbook is the same worry, reworded or not) or, for a Previous scaling
row, by the ID or the words written there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sos_docs.documents.decision import (
    CHILD_PROTECTION_PLAN,
    CONTINUE_PLAN,
    Decision,
    group_decisions,
)
from sos_docs.documents.score_chart import ChartSeries, date_label, draw_score_chart
from sos_docs.model import (
    CaseHistory,
    DangerStatement,
    EarlierConference,
    MappingCase,
    NextStep,
    PersonRef,
    Picture,
)

Context = dict[str, object]
Item = dict[str, object]
DateWords = Callable[[dt.date | None], str]

ALL_CHILDREN = "All the children"
MAX_DESCRIBED_PEOPLE = 12  # the chart's alt text names this many lines, then counts the rest
# The chart stays readable and small whatever the history holds (a workbook can name thousands).
MAX_CHART_CONFERENCES = 60
MAX_CHART_LINES = 16


def progress_fields(case: MappingCase, history: CaseHistory | None, date: DateWords) -> Context:
    """The progress fields of a review (see `sos_docs.documents.fields`); `date` words a date."""
    history = history or CaseHistory()
    is_review = case.details.is_review
    earlier = history.earlier if is_review else ()
    last = earlier[-1] if earlier else None
    points = _earlier_points(case, earlier) if is_review else []
    return {
        "progress_shown": is_review,
        "progress_known": bool(points) or last is not None,
        "progress_sentence": _progress_sentence(case, last, points, date) if is_review else "",
        "last_conference_date": date(_held_on(last.case)) if last else "",
        "last_conference_type": last.case.details.meeting_type if last else "",
        "last_conference_recommendation": _recommendation(last.case) if last else "",
        "earlier_workbooks": ", ".join(e.file_name for e in earlier),
        "progress_dangers": _dangers(case, last.case) if last else [],
        "progress_goals": _goals(case, last.case, date) if last else [],
        "progress_scores": _scores(case, last, points, date),
        "progress_then_heading": _then_heading(last, points, date),
        **_chart_fields(case, points, date),
    }


# ---- the last conference


def _held_on(case: MappingCase) -> dt.date:
    return case.details.meeting_date or case.details.mapping_date


# What the report recommended, as the words after "recommended:". The workbook holds the
# report's recommendation, never the conference's decision, so nothing here says it was decided.
_RECOMMENDED: dict[str, str] = {
    CHILD_PROTECTION_PLAN: "a child protection plan",
    "Child in need plan": "a child in need plan",
    "No further action": "no further action",
    CONTINUE_PLAN: "continuing the child protection plan",
    "End plan: child in need plan": "ending the child protection plan, with a child in need plan",
    "End plan: no further action": "ending the child protection plan, with no further action",
    "Other": "a course of action other than the usual ones",
}


def _recommendation(case: MappingCase) -> str:
    """What the report to a conference recommended, child by child when their decisions differ:
    "a child protection plan for Mia (emotional abuse) and for Leo (emotional abuse and neglect)".
    Empty when its workbook records no recommendation."""
    groups = [g for g in group_decisions(case.children, case.details) if g.decision.recommendation]
    by_recommendation: dict[str, list[str]] = {}
    for group in groups:
        names = _names(c.known_as or c.name for c in group.children)
        category = _category_words(group.decision)
        by_recommendation.setdefault(group.decision.recommendation, []).append(
            f"for {names}{f' ({category})' if category else ''}"
        )
    return "; ".join(
        f"{_recommended_words(recommendation)} {' and '.join(parts)}"
        for recommendation, parts in by_recommendation.items()
    )


def _recommended_words(recommendation: str) -> str:
    return _RECOMMENDED.get(recommendation, recommendation[:1].lower() + recommendation[1:])


def _category_words(decision: Decision) -> str:
    """ "emotional abuse and neglect" for Multiple, "emotional abuse", or "" without a plan."""
    named = decision.category_words
    if decision.categories and named.startswith("Multiple ("):
        named = named.removeprefix("Multiple (").removesuffix(")")
    return named.lower()


def _names(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _progress_sentence(
    case: MappingCase, last: EarlierConference | None, points: Sequence[_Point], date: DateWords
) -> str:
    if last is not None:
        # No file name here: the report goes to the family (the receipt names the files).
        details = last.case.details
        recommended = _recommendation(last.case)
        said = (
            f"The report to it recommended: {recommended}."
            if recommended
            else "Its workbook records no recommendation."
        )
        return (
            f"The last conference was the {details.meeting_type.lower()} on "
            f"{date(_held_on(last.case))}. {said} What follows compares the mapping for that "
            "conference with the mapping for this one."
        )
    if points:
        latest = max(p.day for p in points)
        return (
            "sos-docs has no workbook of the last conference. The earlier scores below come "
            f"from this workbook's Previous scaling sheet, the latest from {date(latest)}."
        )
    return (
        "No earlier scores are known: sos-docs found no workbook of an earlier conference of "
        "this case, and this workbook has no Previous scaling sheet."
    )


# ---- danger statements, goals and next steps, then and now


def _dangers(case: MappingCase, then: MappingCase) -> list[Item]:
    earlier = {_folded(d.id): d for d in then.danger_statements}
    items = []
    for number, now in enumerate(case.danger_statements, 1):
        before = earlier.pop(_folded(now.id), None)
        items.append(_danger(str(number), before, now))
    items += [_danger("", before, None) for before in earlier.values()]
    return items


def _danger(number: str, then: DangerStatement | None, now: DangerStatement | None) -> Item:
    if then is None:
        change = "New since the last conference"
    elif now is None:
        change = "No longer a danger statement"
    elif _folded(then.statement) == _folded(now.statement):
        change = "Unchanged"
    else:
        change = "Reworded"
    return {
        "number": number,
        "then": then.statement if then else "",
        "now": now.statement if now else "",
        # Printed once: unchanged it is one statement, not the same words in two columns.
        "statement": now.statement if now else then.statement if then else "",
        "reworded": change == "Reworded",
        "change": change,
    }


def _goals(case: MappingCase, then: MappingCase, date: DateWords) -> list[Item]:
    numbers = {d.id: str(n) for n, d in enumerate(case.danger_statements, 1)}
    earlier_goals = {_folded(g.id): g for g in then.safety_goals}
    items = []
    for goal in case.safety_goals:
        before = earlier_goals.get(_folded(goal.id))
        item: Item = {
            "id": goal.id,
            "goal": goal.goal,
            "danger_number": numbers.get(goal.danger_statement_id, ""),
            "goal_then": before.goal if before else "",
            "steps": _steps(goal.id, case.next_steps, then.next_steps, date),
        }
        items.append(item)
    return items


def _steps(
    goal_id: str, now: Sequence[NextStep], then: Sequence[NextStep], date: DateWords
) -> list[Item]:
    """The goal's next steps now, each with its status and deadline last time, then the ones
    not kept on."""
    mine = [s for s in now if _folded(s.safety_goal_id) == _folded(goal_id)]
    before = {_folded(s.action): s for s in then if _folded(s.safety_goal_id) == _folded(goal_id)}
    items = [_step(before.pop(_folded(step.action), None), step, date) for step in mine]
    items += [_step(step, None, date) for step in before.values()]
    return items


def _step(then: NextStep | None, now: NextStep | None, date: DateWords) -> Item:
    """One step then and now; its deadline both times, so a deadline moved on shows."""
    step = now or then
    assert step is not None
    status_then = (then.status or "No status") if then else "New"
    status_now = (now.status or "No status") if now else "Not in this plan"
    if then is not None and now is not None and _done(then) and _done(now):
        # Its deadline now means nothing: say it was done already rather than print two
        # "Done"s beside a deadline that seems to lie ahead.
        status_now = "Done by the last conference"
    return {
        "action": step.action,
        "who": step.who.name,
        "by_when_then": date(then.by_when) if then else "",
        "by_when_now": date(now.by_when) if now else "",
        "by_when_change": _deadline_change(then, now),
        "status_then": status_then,
        "status_now": status_now,
    }


def _deadline_change(then: NextStep | None, now: NextStep | None) -> str:
    """ "Moved later" or "Moved earlier" for a step in both plans, else "".

    A step done by the last conference has no deadline left to miss: its date is not compared.
    """
    if then is None or now is None or then.by_when == now.by_when or _done(then):
        return ""
    return "Moved later" if now.by_when > then.by_when else "Moved earlier"


def _done(step: NextStep) -> bool:
    return _folded(step.status) == "done"


# ---- scores, then and now


@dataclass(frozen=True)
class _Point:
    """One earlier score, as it can be compared with this workbook's."""

    day: dt.date
    participant: str  # the name as written then
    child: str  # "" for all the children
    danger: str  # folded danger key; "" for the overall score
    score: int
    one_point_higher: str = ""
    about: str = ""  # in words, for a score with nothing like it now
    conference: str = ""  # the meeting type it was given for; "" from Previous scaling

    @property
    def key(self) -> tuple[str, str, str]:
        return (_folded(self.participant), _folded(self.child), self.danger)

    def given_for(self, date: DateWords) -> str:
        """Which conference the score was given for (scores are given at the mapping before it)."""
        return _given_for(self.day, self.conference, date)


def _given_for(day: dt.date, conference: str, date: DateWords) -> str:
    """ "For the initial conference on 27 November 2026", or for a Previous scaling row (no
    conference) "From the Previous scaling sheet, dated 1 August 2026"."""
    if conference:
        # Short, for a narrow cell: "initial conference", "review conference".
        kind = conference.lower().replace(" child protection conference", " conference")
        return f"For the {kind} on {date(day)}"
    return f"From the Previous scaling sheet, dated {date(day)}"


def _last_given_for(
    last: EarlierConference | None, points: Sequence[_Point], date: DateWords
) -> str:
    """Where the "then" scores come from, for most rows: the last conference, else the latest
    day of the Previous scaling sheet; empty when nothing earlier is known."""
    if last is not None:
        return _given_for(_held_on(last.case), last.case.details.meeting_type, date)
    if points:
        return _given_for(max(p.day for p in points), "", date)
    return ""


def _then_heading(last: EarlierConference | None, points: Sequence[_Point], date: DateWords) -> str:
    """The "Then" column's heading, naming the last conference once for every row:
    "Then (for the initial conference on 27 November 2026)"."""
    given_for = _last_given_for(last, points, date)
    return f"Then ({given_for[:1].lower()}{given_for[1:]})" if given_for else "Then"


def _earlier_points(case: MappingCase, earlier: Sequence[EarlierConference]) -> list[_Point]:
    """Every earlier score: each earlier workbook's Scaling and this one's Previous scaling."""
    points = []
    for conference in earlier:
        day = _held_on(conference.case)
        numbers = {d.id: n for n, d in enumerate(conference.case.danger_statements, 1)}
        for s in conference.case.scaling:
            number = numbers.get(s.danger_statement_id)
            points.append(
                _Point(
                    day,
                    s.participant.name,
                    s.child.name if s.child else "",
                    _folded(s.danger_statement_id),
                    s.score,
                    s.one_point_higher,
                    _about(s.child, f"danger statement {number} then" if number else ""),
                    conference.case.details.meeting_type,
                )
            )
    danger_keys = _danger_keys(case.danger_statements)
    for row in case.previous_scaling:
        written = _folded(row.danger_statement)
        about = f"danger statement “{row.danger_statement}” then" if written else ""
        points.append(
            _Point(
                row.date,
                row.participant.name,
                row.child.name if row.child else "",
                danger_keys.get(written, written),
                row.score,
                about=_about(row.child, about),
            )
        )
    return sorted(points, key=lambda p: p.day)


def _danger_keys(dangers: Iterable[DangerStatement]) -> dict[str, str]:
    """A Previous scaling row's danger statement (an ID or the words) to this workbook's ID."""
    keys = {}
    for danger in dangers:
        keys[_folded(danger.statement)] = _folded(danger.id)
        keys[_folded(danger.id)] = _folded(danger.id)
    return keys


def _about(child: PersonRef | None, danger: str) -> str:
    who = child.name if child else ALL_CHILDREN
    return f"{who}, {danger}" if danger else who


def _scores(
    case: MappingCase,
    last: EarlierConference | None,
    points: Sequence[_Point],
    date: DateWords,
) -> list[Item]:
    """Each score now beside the same person's latest earlier score on the same question.

    Scores given at the last conference (its workbook, or the Previous scaling sheet's latest
    day) and not this time follow, so none silently drops out.
    """
    if not case.details.is_review:
        return []
    now_day = _held_on(case)
    latest: dict[tuple[str, str, str], _Point] = {}
    for point in points:
        if point.day < now_day:
            latest[point.key] = point  # points are in date order: the last one wins
    numbers = {d.id: n for n, d in enumerate(case.danger_statements, 1)}
    usual = _last_given_for(last, points, date)
    items = []
    seen = set()
    for s in case.scaling:
        danger = _folded(s.danger_statement_id)
        number = numbers.get(s.danger_statement_id)
        key = (_folded(s.participant.name), _folded(s.child.name if s.child else ""), danger)
        seen.add(key)
        items.append(
            _score_item(
                s.participant.name,
                _about(s.child, f"danger statement {number}" if number else ""),
                latest.get(key),
                s.score,
                s.reason,
                date,
                usual,
            )
        )
    # The last conference: its workbook's, else the latest day on the Previous scaling sheet.
    earlier_days = [point.day for point in latest.values()]
    last_day = _held_on(last.case) if last else max(earlier_days, default=None)
    for key, point in latest.items():
        if key not in seen and point.day == last_day:
            items.append(_score_item(point.participant, point.about, point, None, "", date, usual))
    return items


def _score_item(
    participant: str,
    about: str,
    then: _Point | None,
    now: int | None,
    reason: str,
    date: DateWords,
    usual: str,
) -> Item:
    """One row of "Scores then and now"; `usual` is where most "then" scores come from (said
    once, in the column's heading)."""
    given_for = then.given_for(date) if then else ""
    return {
        "participant": participant,
        "about": about,
        "score_then": str(then.score) if then else "",
        "then_date": date(then.day) if then else "",
        "then_for": given_for,
        "then_note": given_for if given_for != usual else "",
        "score_now": "" if now is None else str(now),
        "change": _change(then.score if then else None, now),
        "one_point_higher_then": then.one_point_higher if then else "",
        "reason_now": reason,
    }


def _change(then: int | None, now: int | None) -> str:
    if now is None:
        return "Not scored this time"
    if then is None:
        return "No earlier score"
    if now == then:
        return "No change"
    return f"{'Up' if now > then else 'Down'} {abs(now - then)}"


# ---- the chart of every overall score


def _chart_fields(case: MappingCase, points: Sequence[_Point], date: DateWords) -> Context:
    """The chart and its caption when there are earlier scores; empty otherwise."""
    if not case.details.is_review or not points:
        return {"score_history_picture": "", "score_history_caption": ""}
    days, series, left_out = _chart_series(case, points)
    span = _Span(days, case.details.mapping_date, case.details.meeting_date, date)
    untold = (
        f" {left_out} more {'person' if left_out == 1 else 'people'} who scored only at "
        "earlier conferences "
        f"{'is' if left_out == 1 else 'are'} not drawn; their scores are in the tables above."
        if left_out
        else ""
    )
    picture: Picture = draw_score_chart(days, series, _describe(days, series) + untold)
    # The caption says where the scores come from; the alt text, briefly, how each one went.
    return {
        "score_history_picture": picture,
        "score_history_caption": span.caption() + untold,
    }


@dataclass(frozen=True)
class _Span:
    """The chart's conferences in words. Scores are given at the mapping before a conference,
    and this conference is usually still to come on the report's date: so the words say
    "the mapping for" a conference, never that a score was given at it or on its day."""

    days: Sequence[dt.date]
    mapping: dt.date
    meeting: dt.date | None
    date: DateWords

    @property
    def this_one(self) -> str:
        return f"this one on {self.date(self.meeting)}" if self.meeting else "this one"

    @property
    def conferences(self) -> str:
        """ "each of the 2 conferences, from the conference of 16 September 2026 to this one on
        9 December 2026", or "this conference"."""
        if len(self.days) == 1:
            return "this conference"
        return (
            f"each of the {len(self.days)} conferences, from the conference of "
            f"{self.date(self.days[0])} to {self.this_one}"
        )

    @property
    def last_mapping(self) -> str:
        return f"the mapping for this conference, {self.date(self.mapping)}"

    def caption(self) -> str:
        if len(self.days) == 1:
            return f"Each person's overall score in {self.last_mapping}."
        return (
            f"Each person's overall score in the mapping for {self.conferences} "
            f"(the last is {self.last_mapping})."
        )


def _chart_series(
    case: MappingCase, points: Sequence[_Point]
) -> tuple[list[dt.date], list[ChartSeries], int]:
    """One line per participant (and child scored about, when not all of them): overall scores.

    When nobody gave an overall score at any conference, every score is drawn instead. Also
    says how many people's lines were left out (MAX_CHART_LINES).
    """
    now_day = _held_on(case)
    current = [
        _Point(
            now_day,
            s.participant.name,
            s.child.name if s.child else "",
            _folded(s.danger_statement_id),
            s.score,
        )
        for s in case.scaling
    ]
    every = [p for p in points if p.day < now_day] + current
    overall = [p for p in every if not p.danger] or every
    # Bounded whatever the workbooks hold: the latest conferences, and the people who scored
    # this time before those who scored only earlier (every score is in the tables anyway).
    days = sorted({p.day for p in overall})[-MAX_CHART_CONFERENCES:]
    column = {day: n for n, day in enumerate(days)}
    shown = [p for p in overall if p.day in column]
    last_seen: dict[tuple[str, str, str], dt.date] = {}
    for point in shown:
        last_seen[point.key] = max(point.day, last_seen.get(point.key, point.day))
    order = sorted(
        last_seen, key=lambda key: last_seen[key], reverse=True
    )  # stable: workbook order
    kept = set(order[:MAX_CHART_LINES])
    lines: dict[tuple[str, str, str], list[int | None]] = {}
    names: dict[tuple[str, str, str], _Point] = {}
    for point in shown:
        if point.key in kept:
            scores = lines.setdefault(point.key, [None] * len(days))
            scores[column[point.day]] = point.score  # a later row of the same day wins
            names[point.key] = point  # the latest spelling of the name
    labels = _labels([names[key] for key in lines], _names_children_use(case))
    series = [ChartSeries(labels[key], tuple(scores)) for key, scores in lines.items()]
    return days, series, len(last_seen) - len(kept)


def _names_children_use(case: MappingCase) -> dict[str, str]:
    """Each child's name as the scale picture gives it (Known as, else the full name), by the
    folded full name and Known as an earlier workbook may have written."""
    named = {}
    for child in case.children:
        for written in (child.name, child.known_as):
            if written:
                named[_folded(written)] = child.known_as or child.name
    return named


def _labels(points: Sequence[_Point], children: dict[str, str]) -> dict[tuple[str, str, str], str]:
    """A label per line: the person's name as the scale picture gives it (an adult's as written,
    never split to guess a first name, which turns "Dr Tran" into "Dr"; a child's Known as),
    and about whom."""
    labels = {}
    for point in points:
        name = children.get(_folded(point.participant), point.participant)
        child = children.get(_folded(point.child), point.child)
        if child and _folded(child) != _folded(name):
            name = f"{name} (about {child})"
        if point.danger:  # only when nobody gave an overall score
            name = f"{name}, {point.about or point.danger.upper()}"
        labels[point.key] = name
    return labels


def _describe(days: Sequence[dt.date], series: Sequence[ChartSeries]) -> str:
    """The chart in words, for its alt text, said once and short: the conferences' span, then
    each line's course ("Scores from 16 Sep 2026 to 9 Dec 2026: Ada Okafor 4 to 6; Mia 5 to 6.").
    The caption beside it says where the scores come from."""
    if len(days) == 1:
        span = f"Scores for {date_label(days[0])}"
    else:
        span = f"Scores from {date_label(days[0])} to {date_label(days[-1])}"
    lines = [f"{line.label} {_course(days, line.scores)}" for line in series[:MAX_DESCRIBED_PEOPLE]]
    if len(series) > MAX_DESCRIBED_PEOPLE:
        lines.append(f"and {len(series) - MAX_DESCRIBED_PEOPLE} more people")
    return f"{span}: {'; '.join(lines)}."


def _course(days: Sequence[dt.date], scores: Sequence[int | None]) -> str:
    """One line's scores in a few words: "4 to 6", "4, 5, 6", "7 each time", "3 (only 16 Sep
    2026)", "2 to 6, between 1 and 8" for many; "(3 of 5 conferences)" when some were missed."""
    given = [(day, score) for day, score in zip(days, scores, strict=True) if score is not None]
    values = [score for _, score in given]
    if len(given) == 1:
        return str(values[0]) if len(days) == 1 else f"{values[0]} (only {date_label(given[0][0])})"
    if len(set(values)) == 1:
        course = f"{values[0]} {'both times' if len(values) == 2 else 'each time'}"
    elif len(values) == 2:
        course = f"{values[0]} to {values[1]}"
    elif len(values) <= 4:
        course = ", ".join(str(score) for score in values)
    else:
        course = f"{values[0]} to {values[-1]}, between {min(values)} and {max(values)}"
    missed = f" ({len(given)} of {len(days)} conferences)" if len(given) < len(days) else ""
    return course + missed


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())
