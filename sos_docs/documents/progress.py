"""Builds the review report's "Progress since the last conference" fields from the case's history.

Placeholder on main: the reviews work (issue 13) fills it in. It returns nothing yet, so the
report shows no progress section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sos_docs.model import CaseHistory, MappingCase

Context = dict[str, object]


def progress_fields(
    case: MappingCase, history: CaseHistory | None, date: Callable[[dt.date | None], str]
) -> Context:
    """The progress fields of a review (see `sos_docs.documents.fields`); `date` words a date."""
    return {}
