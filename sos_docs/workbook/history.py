"""Reads a case's earlier workbooks for a review conference: read-only, checked, never a failure.

Each candidate file is read with the guarded reader (no links, no pipes, the usual size and
content limits) and validated as it would be today. A file that is missing, damaged, no longer
valid, about another case, or about another family (the same case reference but not one child
in common) is left out with a warning saying which file and why; the review is still made.
Only conferences dated before the current one count: an earlier version of this same
conference (the same date) is not "the last conference" (a warning says so), and of several
versions of one earlier conference the one processed last is used.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import replace

from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError
from sos_docs.model import (
    CaseHistory,
    EarlierConference,
    EarlierWorkbook,
    MappingCase,
    TeamLayout,
    Validation,
)
from sos_docs.wording import plural
from sos_docs.workbook.cells import long_date
from sos_docs.workbook.shapes import read_case_workbook
from sos_docs.workbook.validate import validate
from sos_docs.working_days import SharingRules

__all__ = ["MAX_EARLIER_WORKBOOKS", "conference_date", "read_history"]

log = logging.getLogger(__name__)

# A case reviewed every three months for fifteen years has 60 conferences; more is a mistake.
MAX_EARLIER_WORKBOOKS = 60
# Share of a job's time limit the earlier workbooks may take, so the review itself is still made.
HISTORY_SHARE_OF_JOB = 1 / 3


def conference_date(case: MappingCase) -> dt.date:
    """The day a workbook's conference is about: its meeting date, else its mapping date."""
    return case.details.meeting_date or case.details.mapping_date


def read_history(
    case: MappingCase,
    candidates: Sequence[EarlierWorkbook],
    limits: Limits = DEFAULT_LIMITS,
    today: dt.date | None = None,
    most: int = MAX_EARLIER_WORKBOOKS,
    sharing: SharingRules | None = None,
    layout: TeamLayout | None = None,
) -> CaseHistory:
    """The earlier conferences of `case` among `candidates` (given oldest first), oldest first.

    At most `most` candidates are read (the latest ones), and reading stops once a third of
    the job's time limit has gone; each is said in a warning. Each is checked with the folder's
    own `sharing` rules, as it was when it was processed, and read through the folder's
    `layout` when it has one.
    """
    warnings: list[str] = []
    if len(candidates) > most:
        warnings.append(
            f"This case has {len(candidates)} earlier workbooks; only the latest {most} were "
            "read for the review's progress and scores."
        )
        candidates = candidates[-most:]
    deadline = time.monotonic() + limits.max_job_seconds * HISTORY_SHARE_OF_JOB
    found: dict[dt.date, EarlierConference] = {}
    # Newest first: when time runs out, what is left unread is the oldest history.
    for number, candidate in enumerate(reversed(candidates)):
        if time.monotonic() > deadline:
            left = len(candidates) - number
            warnings.append(
                f"Reading the earlier workbooks took too long, so the oldest {plural(left, 'one')} "
                "of them were not read. The progress section uses the ones read."
            )
            break
        earlier, warning = _guarded(case, candidate, limits, today, sharing, layout)
        if warning:
            warnings.append(warning)
        if earlier is not None:  # of two versions of one conference, the one processed last
            found.setdefault(conference_date(earlier.case), earlier)
    earlier_ones = tuple(found[day] for day in sorted(found))
    return CaseHistory(earlier_ones, tuple(warnings))


def _guarded(
    case: MappingCase,
    candidate: EarlierWorkbook,
    limits: Limits,
    today: dt.date | None,
    sharing: SharingRules | None,
    layout: TeamLayout | None = None,
) -> tuple[EarlierConference | None, str]:
    """`_earlier_conference`, where anything going wrong with one earlier file is a warning:
    an earlier workbook must never stop a review from being made."""
    try:
        return _earlier_conference(case, candidate, limits, today, sharing, layout)
    except (ValueError, OverflowError, OSError, MemoryError) as exc:
        log.warning("earlier workbook %s not used: %s", candidate.name, exc)
        return None, (
            f"The earlier workbook {candidate.name} could not be checked, so the review does "
            "not use it. Run `sos-docs validate` on it to see why."
        )


def _earlier_conference(
    case: MappingCase,
    candidate: EarlierWorkbook,
    limits: Limits,
    today: dt.date | None,
    sharing: SharingRules | None,
    layout: TeamLayout | None = None,
) -> tuple[EarlierConference | None, str]:
    """The candidate as an earlier conference of `case`, or None and why not ("" when silent)."""
    name = candidate.name
    try:
        raw = read_case_workbook(candidate.path, limits, layout)
    except WorkbookError as exc:
        log.info("earlier workbook %s not used: %s", name, exc)
        return None, (
            f"The earlier workbook {name} could not be read ({exc}), so the review does not "
            "use it. Check that it is still in place and opens in Excel."
        )
    validation = validate(raw, today=today, sharing=sharing)
    if not validation.ok or validation.case is None:
        return None, _invalid_warning(name, validation)
    earlier = _what_progress_uses(validation.case)
    if _folded(earlier.details.case_reference) != _folded(case.details.case_reference):
        return None, (
            f"The workbook {name} is about case {earlier.details.case_reference}, not "
            f"{case.details.case_reference}, so the review does not use it."
        )
    if not _children_keys(earlier) & _children_keys(case):
        return None, (
            f"The earlier workbook {name} has the case reference {case.details.case_reference} "
            "but none of the same children (by full name, or by Known as and date of birth), "
            "so it may be another family's and the review does not use it. Check the case "
            "reference in both."
        )
    return _dated_before(case, earlier, candidate)


def _dated_before(
    case: MappingCase, earlier: MappingCase, candidate: EarlierWorkbook
) -> tuple[EarlierConference | None, str]:
    """The earlier conference when it is a conference dated before this one's."""
    if not earlier.details.is_conference:
        log.info("earlier workbook %s not used: a %s", candidate.name, earlier.details.meeting_type)
        return None, ""
    then, now = conference_date(earlier), conference_date(case)
    if then == now:
        # An earlier version of this same conference is not "the last conference"; said, so
        # that someone who meant it as the last one (`render --previous`) knows why not.
        return None, (
            f"The workbook {candidate.name} is of a conference on the same day as this one "
            f"({long_date(now)}), so it is taken as an earlier version of this conference and "
            "the review does not compare with it. If it is the last conference, check its "
            "Meeting date."
        )
    if then > now:
        return None, (
            f"The workbook {candidate.name} is of a conference on {long_date(then)}, after "
            f"this one ({long_date(now)}), so the review does not use it."
        )
    return EarlierConference(candidate.name, earlier), ""


def _invalid_warning(name: str, validation: Validation) -> str:
    """Why an earlier workbook is not used when it no longer passes the checks."""
    errors = validation.errors
    first = f" The first: {errors[0].code} at {errors[0].where}." if errors else ""
    return (
        f"The earlier workbook {name} no longer passes the checks "
        f"({plural(len(errors), 'error')}), so the review does not use it.{first} "
        f"Run `sos-docs validate` on it to see every problem."
    )


def _children_keys(case: MappingCase) -> set[tuple[str, ...]]:
    """What identifies each child across workbooks: the full name, or either of their names
    with their date of birth (or due date). A Known as alone ("Mia", "Baby") is shared by too
    many children to say two workbooks are one family's."""
    keys: set[tuple[str, ...]] = set()
    for child in case.children:
        if child.name:
            keys.add(("name", _folded(child.name)))
        born = child.date_of_birth or child.expected_due_date
        for name in {child.name, child.known_as} - {""}:
            if born:
                keys.add(("name and birth", _folded(name), born.isoformat()))
    return keys


def _what_progress_uses(case: MappingCase) -> MappingCase:
    """An earlier case without what a review never reads from it (pictures, views, harm ...):
    sixty earlier workbooks are held at once, so each keeps only the parts compared."""
    return replace(
        case,
        agency_involvement=(),
        harm=(),
        complicating_factors=(),
        grey_areas=(),
        working_well=(),
        childs_views=(),
        safety_plan=(),
        words_and_pictures=(),
        family_views=(),
        birth_plan=(),
    )


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())
