"""Realistic mapping workbooks for the benchmark: the example family and a large case.

Each workbook is written by `sos-docs new-workbook --example`'s own code (sos_docs.workbook.blank: the
Instructions sheet, drop-downs, checks and formatting a team's workbook has), with the example
family's rows, or with the family grown to a large case: 6 children, 40 next steps, 30 harm
rows and 12 scores. Every file differs (its case reference and one score), so every document
and scale picture is made afresh; nothing can be served from a cache of earlier results.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from sos_docs.workbook import example
from sos_docs.workbook.blank import write_example_workbook

Row = dict[str, object]

EXAMPLE = "example"
LARGE = "large"
SIZES = (EXAMPLE, LARGE)


def example_rows() -> dict[str, list[Row]]:
    """The example family's sheets, as in `sos-docs new-workbook --example`."""
    return copy.deepcopy(example.SHEET_ROWS)


def large_rows() -> dict[str, list[Row]]:
    """The example family grown to 6 children, 40 next steps, 30 harm rows and 12 scores."""
    rows = example_rows()
    for n in range(3, 7):
        rows["Children"].append(
            {
                "ID": f"C{n}",
                "Name": f"Child{n} Hartley",
                "Date of birth": dt.date(2010 + n, 2, n),
                "Gender": "Female" if n % 2 else "Male",
                "School or setting": "Riverside Primary School",
            }
        )
        rows["Child's views"].append(
            {
                "Child": f"C{n}",
                "Method": "Three houses",
                "Date": dt.date(2026, 11, n),
                "Seen alone": "Yes",
                "Worries": f"Child{n} worries when Mum and Dad shout.\nAnd about Leo at night.",
                "Good things": "Swimming, football and Nanna's dog Biscuit.",
                "Dreams": "Everyone at home being happy.",
                "Consent to share": "Yes",
            }
        )
        rows["Scaling"].append(
            {"Participant": "P5", "Child": f"C{n}", "Score": n, "Reason": f"Reason about C{n}."}
        )
    rows["Scaling"].append({"Participant": "P7", "Score": 5, "Reason": "Leo sleeps better."})
    for n in range(len(rows["Harm"]) + 1, 31):
        rows["Harm"].append(
            {
                "Date": dt.date(2026, 1, 5) + dt.timedelta(days=9 * n),
                "What happened": f"Incident {n}: a row at home late at night; a door was broken.",
                "Impact on the child": "The children were frightened and did not sleep.",
                "Children": f"C{n % 6 + 1}",
                "Source": "Reported",
            }
        )
    for n in range(len(rows["Next steps"]) + 1, 41):
        rows["Next steps"].append(
            {
                "Action": f"Step {n}: visit the family at home and go through the safety plan.",
                "Who": "P5",
                "By when": dt.date(2026, 12, 1) + dt.timedelta(days=n),
                "Safety goal": "G1" if n % 2 else "G2",
                "Status": "Not started",
            }
        )
    return rows


def write_case(path: Path, size: str, number: int) -> Path:
    """One workbook of the given size, made different from the others by `number`."""
    rows = large_rows() if size == LARGE else example_rows()
    rows["Scaling"][0]["Score"] = number % 11  # a different scale picture in each workbook
    case = {**example.CASE, "Case reference": case_reference(number)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with _example_family(case, rows):
        return write_example_workbook(path)


def case_reference(number: int) -> str:
    """The case reference `write_case` gives workbook `number` (its reports folder's name)."""
    return f"CP-2026-{number:05d}"


@contextmanager
def _example_family(case: Row, rows: dict[str, list[Row]]) -> Iterator[None]:
    """sos_docs.workbook.blank fills the example workbook from sos_docs.workbook.example: lend it these rows."""
    with mock.patch.dict(example.CASE, case), mock.patch.dict(example.SHEET_ROWS, rows):
        yield
