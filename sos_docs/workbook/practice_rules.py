"""The rules workbook format 2 adds: decisions per meeting type and per child,
categories, reports on time and signed off, pre-birth plans, family views and disputes, and
the words and pictures story (words for the children, whose pages).

Rules about values only a format 2 workbook has (report date, manager's approval, birth plan,
plan start date) and the sharing deadline run only on format 2, so a format 1 workbook gets the
problems it always got; rules about a wrong decision (SOS111) run on every format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sos_docs import codes, model
from sos_docs.model import Problem
from sos_docs.wording import with_article
from sos_docs.workbook import schema
from sos_docs.workbook.cells import fold_choice, long_date, quote
from sos_docs.workbook.rules import (
    CHILD_PROTECTION_PLAN,
    Book,
    Row,
    Rule,
    effective,
    is_unborn,
    older_child_not_asked,
    problem,
)
from sos_docs.workbook.schema import (
    BIRTH_PLAN,
    CHILDREN,
    DANGER_STATEMENTS,
    FAMILYS_VIEWS,
    HARM,
    MULTIPLE,
    PREVIOUS_SCALING,
    SAFETY_PLAN,
    WORDS_AND_PICTURES,
)
from sos_docs.working_days import working_days_before, working_days_between

REVIEW_ONLY = frozenset(schema.REVIEW_RECOMMENDATIONS[:-1])  # Continue, End plan: ...
ON_A_PLAN = schema.LEGAL_STATUSES[2]  # Child protection plan
NAMED_CATEGORIES = tuple(c for c in schema.CATEGORIES_OF_HARM if c != MULTIPLE)
FIRST_CONFERENCES = frozenset({model.INITIAL_CONFERENCE, model.PRE_BIRTH_CONFERENCE})
SHOWN_NAMES = 5


def _children(book: Book) -> Iterator[tuple[Row, str]]:
    for row in book.table(CHILDREN).rows:
        yield row, row.text("name") or row.text("id")


def _names(names: list[str]) -> str:
    shown = names[:SHOWN_NAMES]
    more = len(names) - len(shown)
    listed = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
    return f"{listed} and {more} more" if more else listed


def _one_of(choices: tuple[str, ...] | frozenset[str]) -> str:
    return ", ".join(f'"{c}"' for c in choices)


# ------------------------------------------------------------------------ WB013


def format_is_known(book: Book) -> Iterator[Problem]:
    """WB013: the Case's `Format` is one this sos-docs reads."""
    case = book.case
    version = case.whole("format_version") if case else None
    if case is None or version is None or version in schema.READ_FORMATS:
        return
    newer = "made for a newer sos-docs" if version > max(schema.READ_FORMATS) else "not a format"
    yield problem(
        codes.WB013,
        case.sheet,
        case.cell("format_version"),
        f"Format is {version}, but this sos-docs reads mapping workbooks of format "
        f"{' and '.join(map(str, schema.READ_FORMATS))} only: the workbook was {newer}. Ask "
        "IT to update sos-docs, or make a blank workbook with this one (sos-docs new-workbook) "
        f"and copy the map into it; its Format is {schema.FORMAT_VERSION}.",
    )


# ------------------------------------------------------------------------ SOS111, SOS212


def recommendation_fits_meeting(book: Book) -> Iterator[Problem]:
    """SOS111: a recommendation is one the meeting type and the child's legal status allow."""
    case = book.case
    if case is None or not book.is_conference:
        return
    if book.meeting_type == model.REVIEW_CONFERENCE:
        yield from _review_recommendations(book, case)
        return
    for row, name in [(case, ""), *_children(book)]:
        chosen = row.text("recommendation")
        if chosen in REVIEW_ONLY:
            whose = f"{name}'s Recommendation" if name else "Recommendation"
            yield problem(
                codes.SOS111,
                row.sheet,
                row.cell("recommendation"),
                f"{whose} is {quote(chosen)}, which continues or ends a plan at a review, but "
                f"this is {with_article(book.meeting_type.lower())}. Choose one of: "
                f"{_one_of(schema.INITIAL_RECOMMENDATIONS)}.",
            )


def _review_recommendations(book: Book, case: Row) -> Iterator[Problem]:
    """At a review: no new plan for a child already on one; no Continue/End without a plan."""
    relying: dict[str, list[str]] = {}  # the Case's recommendation -> children it misfits
    for row, name in _children(book):
        chosen, status = effective(row, case, "recommendation"), row.text("legal_status")
        misfit = (chosen == CHILD_PROTECTION_PLAN and status == ON_A_PLAN) or (
            chosen in REVIEW_ONLY and status not in ("", ON_A_PLAN)
        )
        if not misfit:
            continue
        if row.is_empty("recommendation"):
            relying.setdefault(chosen, []).append(name)
        else:
            yield problem(
                codes.SOS111, row.sheet, row.cell("recommendation"), _misfit(chosen, name, status)
            )
    for chosen, names in relying.items():
        yield problem(
            codes.SOS111,
            case.sheet,
            case.cell("recommendation"),
            _misfit(chosen, _names(names), "", from_case=True),
        )


def _misfit(chosen: str, name: str, status: str, *, from_case: bool = False) -> str:
    own = " Or give a child their own Recommendation on the Children sheet." if from_case else ""
    if chosen == CHILD_PROTECTION_PLAN:
        return (
            f"{name} already {'are' if ' and ' in name else 'is'} on a child protection plan "
            f"(Legal status), so this review cannot recommend {quote(chosen)}. Choose "
            f'"Continue child protection plan", or end the plan: "End plan: child in need plan" '
            f'or "End plan: no further action".{own}'
        )
    on = f'is "{status}"' if status else "is not Child protection plan"
    return (
        f"The recommendation {quote(chosen)} continues or ends a plan, but the Legal status of "
        f"{name} {on}. For a child not on a plan choose one of "
        f"{_one_of(schema.INITIAL_RECOMMENDATIONS)}, or correct the Legal status.{own}"
    )


def decisions_only_at_conferences(book: Book) -> Iterator[Problem]:
    """SOS212: a meeting that is not a conference makes no recommendation and no category."""
    case = book.case
    if case is None or book.is_conference or not book.meeting_type:
        return
    for row, name in [(case, ""), *_children(book)]:
        filled = [f for f in ("recommendation", "category_of_harm") if not row.is_empty(f)]
        if not filled:
            continue
        labels = " and ".join(CHILDREN.column(f).name for f in filled)
        whose = f"{name}'s " if name else ""
        yield problem(
            codes.SOS212,
            row.sheet,
            row.cell(filled[0]),
            f"{whose}{labels} {'is' if len(filled) == 1 else 'are'} filled in, but "
            f"{with_article(book.meeting_type.lower())} makes no recommendation for a plan, so "
            f"{'it is' if len(filled) == 1 else 'they are'} not used in the record. Clear "
            f"{'it' if len(filled) == 1 else 'them'}, or change the Meeting type if this is a "
            "conference.",
        )


# ------------------------------------------------------------------------ SOS112


def categories_named(book: Book) -> Iterator[Problem]:
    """SOS112: `Multiple` names two or more known categories; `Categories` names only those."""
    case = book.case
    if case is None:
        return
    for row, name in [(case, ""), *_children(book)]:
        yield from _categories_of(row, name, case)


def _categories_of(row: Row, name: str, case: Row) -> Iterator[Problem]:
    whose = f"{name}'s " if name else ""
    where = row.cell("categories") if "categories" in row.cells else row.cell("category_of_harm")
    own = row.text("categories")
    unknown = [part for part in _parts(own) if _category(part) is None]
    if unknown:
        yield problem(
            codes.SOS112,
            row.sheet,
            where,
            f"{whose}Categories names {_names([quote(u) for u in unknown])}, which "
            f"{'is' if len(unknown) == 1 else 'are'} not on the list of categories of harm. "
            f"Use only: {', '.join(NAMED_CATEGORIES)}, separated by commas.",
        )
        return
    category = effective(row, case, "category_of_harm") if name else row.text("category_of_harm")
    named = {_category(p) for p in _parts(own or (case.text("categories") if name else ""))}
    named.discard(None)
    if category == MULTIPLE and row.text("category_of_harm") == MULTIPLE and len(named) < 2:
        yield problem(
            codes.SOS112,
            row.sheet,
            where,
            f'{whose}Category of harm is "{MULTIPLE}", but Categories names '
            f"{len(named) or 'no'} categor{'y' if len(named) == 1 else 'ies'}. Name at least two "
            f"of: {', '.join(NAMED_CATEGORIES)}, separated by commas (or choose the one "
            "category in Category of harm).",
        )
    elif own and not row.is_empty("categories") and category != MULTIPLE:
        shown = quote(category) if category else "empty"
        yield problem(
            codes.SOS112,
            row.sheet,
            where,
            f"{whose}Categories is filled in, but Category of harm is {shown}. Set Category of "
            f'harm to "{MULTIPLE}", or clear Categories.',
        )


def _parts(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _category(text: str) -> str | None:
    wanted = fold_choice(text)
    return next((c for c in NAMED_CATEGORIES if fold_choice(c) == wanted), None)


# ------------------------------------------------------------------------ SOS113


def history_before_mapping(book: Book) -> Iterator[Problem]:
    """SOS113: a plan start date and an earlier score's date are not after the mapping date."""
    mapped = book.mapping_date
    if mapped is None:
        return
    for row, name in _children(book):
        started = row.date("plan_start_date")
        if started and started > mapped:
            yield problem(
                codes.SOS113,
                row.sheet,
                row.cell("plan_start_date"),
                f"{name}'s Plan start date, {long_date(started)}, is after the mapping date, "
                f"{long_date(mapped)}. Enter the day the current plan began (day first), or "
                "leave it blank if there is no plan yet.",
            )
    for row in book.table(PREVIOUS_SCALING).rows:
        scored = row.date("date")
        if scored and scored > mapped:
            yield problem(
                codes.SOS113,
                row.sheet,
                row.cell("date"),
                f"This earlier score is dated {long_date(scored)}, after the mapping date, "
                f"{long_date(mapped)}. Previous scaling holds scores from earlier conferences: "
                "correct the date (day first), or move today's score to the Scaling sheet.",
            )


# ------------------------------------------------------------------------ Family's views, Harm


def harm_row_number(text: str) -> int | None:
    """The Harm sheet row a Family's views `About` names ("7" or "row 7"), or None."""
    number = text.strip()
    if number[:3].casefold() == "row":
        number = number[3:].strip()
    return int(number) if number.isdigit() else None


def views_about_known_things(book: Book) -> Iterator[Problem]:
    """WB009: a Family's views `About` is a danger statement ID or a Harm row that exists."""
    dangers, harm = book.table(DANGER_STATEMENTS), book.table(HARM)
    if not dangers.trusted or not harm.trusted:
        return  # a broken sheet has its own error already
    ids = [row.text("id") for row in dangers.rows if row.text("id")]
    rows = [row.number for row in harm.rows]
    known_ids, known_rows = {fold_choice(i) for i in ids}, set(rows)  # once, not per view
    for row in book.table(FAMILYS_VIEWS).rows:
        about = row.text("about")
        known_id = fold_choice(about) in known_ids
        if not about or known_id or harm_row_number(about) in known_rows:
            continue
        yield problem(
            codes.WB009,
            row.sheet,
            row.cell("about"),
            f"About is {quote(about)}, but there is no danger statement with that ID and no "
            f"row {quote(about)} on the {harm.name} sheet. {_about_choices(ids, rows)}",
        )


def _about_choices(ids: list[str], rows: list[int]) -> str:
    found = []
    if ids:
        found.append(f"a danger statement ID ({', '.join(ids[:10])})")
    if rows:
        found.append(f"the number of a Harm row ({', '.join(map(str, rows[:10]))})")
    use = " or ".join(found)
    return (
        f"Use {use}, or leave it blank for the worries overall."
        if use
        else ("Leave it blank for the worries overall.")
    )


def one_view_each(book: Book) -> Iterator[Problem]:
    """SOS214: a person gives one view about each thing (a statement, a harm row, overall)."""
    seen: dict[tuple[str, str], int] = {}
    for row in book.table(FAMILYS_VIEWS).rows:
        person = row.person("person")
        if person is None:
            continue
        about = row.text("about")
        key = (person.id or fold_choice(person.name), _about_key(about))
        if key in seen:
            yield problem(
                codes.SOS214,
                row.sheet,
                row.cell("person"),
                f"{person.name} already gives a view about "
                f"{quote(about) if about else 'the worries overall'} in row {seen[key]}. Put "
                "everything they say about it in one row, so the report shows one view each.",
            )
        seen.setdefault(key, row.number)


def _about_key(about: str) -> str:
    number = harm_row_number(about)
    return f"row {number}" if number is not None else fold_choice(about)


def disputes_explained(book: Book) -> Iterator[Problem]:
    """SOS213: a disputed harm row says who disputes it and what they say happened."""
    for row in book.table(HARM).rows:
        disputed, account = not row.is_empty("disputed_by"), not row.is_empty("their_account")
        if disputed and not account:
            yield problem(
                codes.SOS213,
                row.sheet,
                row.cell("their_account"),
                "Disputed by is filled in but Their account is empty. Write down what they say "
                "happened, in their words, so the report gives both accounts.",
            )
        elif account and not disputed:
            yield problem(
                codes.SOS213,
                row.sheet,
                row.cell("disputed_by"),
                "Their account is filled in but Disputed by is empty. Name who disputes this "
                "(their ID or name from the People sheet), so the report says whose account it is.",
            )


# ------------------------------------------------------------------------ pre-birth


def pre_birth_has_unborn_child(book: Book) -> Iterator[Problem]:
    """SOS215: a pre-birth conference is about a baby not yet born."""
    case, children = book.case, book.table(CHILDREN)
    if case is None or book.meeting_type != model.PRE_BIRTH_CONFERENCE or not children.rows:
        return
    if not any(is_unborn(row) for row, _ in _children(book)):
        yield problem(
            codes.SOS215,
            case.sheet,
            case.cell("meeting_type"),
            "This is a pre-birth conference, but no child on the Children sheet is unborn (an "
            "Expected due date and no Date of birth). Add the baby, or change the Meeting type.",
        )


def birth_plan_for_pre_birth(book: Book) -> Iterator[Problem]:
    """SOS208 (format 2): a pre-birth conference has a birth and discharge plan."""
    plan = book.table(BIRTH_PLAN)
    if book.format_version < 2 or book.meeting_type != model.PRE_BIRTH_CONFERENCE or plan.rows:
        return
    yield problem(
        codes.SOS208,
        plan.name,
        None,
        f"This pre-birth conference has no birth and discharge plan: the {plan.name} sheet has "
        "no rows. Add what will happen at the birth and when the baby goes home (Arrangement, "
        "Who, When), if it is known.",
    )


def plan_start_for_review(book: Book) -> Iterator[Problem]:
    """SOS216 (format 2): at a review, a child on a plan has the date the plan began."""
    if book.format_version < 2 or book.meeting_type != model.REVIEW_CONFERENCE:
        return
    for row, name in _children(book):
        if row.text("legal_status") == ON_A_PLAN and row.is_empty("plan_start_date"):
            yield problem(
                codes.SOS216,
                row.sheet,
                row.cell("plan_start_date"),
                f"{name} is on a child protection plan, but Plan start date is empty. Fill in "
                "the day the current plan began, so the review can say how long it has run.",
            )


# ------------------------------------------------------------------------ the report itself


def _conference_case(book: Book) -> Row | None:
    """The Case row when the format 2 report rules apply: a format 2 conference."""
    if book.format_version < 2 or not book.is_conference:
        return None
    return book.case


def report_dated_in_order(book: Book) -> Iterator[Problem]:
    """SOS209 (format 2): the report is dated by the meeting and by the day it was shared."""
    case = _conference_case(book)
    if case is None:
        return
    signed = case.date("report_date")
    dated = signed or book.today
    later = [
        f"{what} on {long_date(day)}"
        for what, day in (
            ("the meeting", case.date("meeting_date")),
            ("the day it was shared with the parents", case.date("shared_with_parents_on")),
        )
        if day and dated > day
    ]
    if not later:
        return
    if signed:
        said = f"Report date, {long_date(signed)}, is after"
        how = "Correct it to the day you signed the report."
    else:
        said = f"Report date is empty, so the report is dated today, {long_date(dated)}: after"
        how = "Fill in Report date with the day you signed the report."
    yield problem(
        codes.SOS209, case.sheet, case.cell("report_date"), f"{said} {' and '.join(later)}. {how}"
    )


def manager_approved(book: Book) -> Iterator[Problem]:
    """SOS210 (format 2): a conference report carries its manager's approval."""
    case = _conference_case(book)
    if case is None:
        return
    missing = [f for f in ("manager_name", "manager_approved_on") if case.is_empty(f)]
    if missing:
        labels = " and ".join(schema.CASE.column(f).name for f in missing)
        yield problem(
            codes.SOS210,
            case.sheet,
            case.cell(missing[-1]),
            f"This conference report has no manager's approval: {labels} "
            f"{'is' if len(missing) == 1 else 'are'} empty. The report is made with a blank "
            "approval; ask your manager to read it, then fill in Manager name, Manager role "
            "and Manager approved on.",
        )


def shared_in_time(book: Book) -> Iterator[Problem]:
    """SOS211 (format 2): the report reached the parents enough working days before."""
    case = _conference_case(book)
    if case is None:
        return
    shared, met = case.date("shared_with_parents_on"), case.date("meeting_date")
    rules = book.sharing
    days = rules.initial_days if book.meeting_type in FIRST_CONFERENCES else rules.review_days
    if shared is None or met is None or days == 0:
        return
    deadline = working_days_before(met, days, rules.region)
    if shared <= deadline:
        return
    yield problem(
        codes.SOS211,
        case.sheet,
        case.cell("shared_with_parents_on"),
        f"The report was shared with the parents on {long_date(shared)}, "
        f"{_how_long_before(shared, met, rules.region)} the {book.meeting_type.lower()} on "
        f"{long_date(met)}. It should reach them at least {days} working days before, that "
        f"is by {long_date(deadline)} (weekends and bank holidays in {rules.region} do not "
        "count). If the date is right, say in the report why it was late.",
    )


def _how_long_before(shared: dt.date, met: dt.date, region: str) -> str:
    if shared >= met:
        return "on the day of" if shared == met else "after"
    days = working_days_between(shared, met, region)
    return f"{days} working day{'' if days == 1 else 's'} before"


# ------------------------------------------------------------------------ the story


def safety_rules_in_childrens_words(book: Book) -> Iterator[Problem]:
    """SOS230 (format 2): each safety rule says how the children read it in their story."""
    if book.format_version < 2:
        return
    for row in book.table(SAFETY_PLAN).rows:
        if row.is_empty("words_for_children") and not row.is_empty("rule"):
            yield problem(
                codes.SOS230,
                row.sheet,
                row.cell("words_for_children"),
                f"The safety rule on row {row.number} has no Words for the children, so the "
                "story prints the rule as the plan words it. Write it as the children should "
                "read it, with the names they use (If Daddy has been drinking, Nanna comes to "
                "stay).",
            )


def story_pages_have_a_story(book: Book) -> Iterator[Problem]:
    """SOS231: a page meant for one child goes into a story that child has."""
    no_story = {
        row.text("id"): name
        for row, name in _children(book)
        if is_unborn(row) or row.flag("story") is False
    }
    for row in book.table(WORDS_AND_PICTURES).rows:
        child = row.person("child")
        if child is None or child.id not in no_story:
            continue
        yield problem(
            codes.SOS231,
            row.sheet,
            row.cell("child"),
            f"This page is for {no_story[child.id]}, who gets no words and pictures story (not "
            "yet born, or Story is No on the Children sheet), so it is left out. Name another "
            "child, empty the Child cell to put it in every story, or delete the row.",
        )


# ------------------------------------------------------------------------ SOS222


def consent_asked_of_older_children(book: Book) -> Iterator[Problem]:
    """SOS222: a child aged 12 or over with no Consent to share: their words are not shared."""
    for view in book.table(schema.CHILDS_VIEWS).rows:
        if older_child_not_asked(view, book):
            ref = view.person("child")
            name = ref.name if ref else "This child"
            yield problem(
                codes.SOS222,
                view.sheet,
                view.cell("consent_to_share"),
                f"Consent to share is blank, and {name} is {model.CONSENT_AGE} or over, so their "
                "words are treated as not to be shared: they are in the professional copy only, "
                'under "Not to be shared with the family". Ask them, then put Yes or No.',
            )


RULES: tuple[Rule, ...] = (
    format_is_known,
    recommendation_fits_meeting,
    decisions_only_at_conferences,
    categories_named,
    history_before_mapping,
    views_about_known_things,
    one_view_each,
    disputes_explained,
    pre_birth_has_unborn_child,
    birth_plan_for_pre_birth,
    plan_start_for_review,
    report_dated_in_order,
    manager_approved,
    shared_in_time,
    safety_rules_in_childrens_words,
    story_pages_have_a_story,
    consent_asked_of_older_children,
)
