"""The example family's documents are the same from the one-page map as from the standard workbook,
but for what a one-page map cannot say (docs/workbook-format.md, "What the one-page map cannot say")."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from docx import Document

from sos_docs.pipeline import check_workbook, render_case
from sos_docs.workbook.example import INITIAL, made_on, write_example
from tests.support.one_page import CELLS, LINES, example_map

# What the one-page map cannot say, as it shows in the documents; each is in
# docs/workbook-format.md under "What the one-page map cannot say".
# 1. Who said what is working well, and the danger statement it is about: the standard
#    document's "... (Sandra Price) Danger statement 1." is "..." from the map.
WORKING_WELL_WHO = re.compile(r"(?P<words>.+?) \([^()]+\)(?: Danger statement \d+\.)?")
# 2. A harm's impact on the child, which children, the source and who disputes it: the harm
#    table's row keeps its date and what happened ("all the children" for which children).
HARM_KEPT_COLUMNS = 2

Lines = list[tuple[str, ...]]


def document_lines(data: bytes) -> Lines:
    """A .docx's paragraphs (one cell each) and table rows (a cell per column), in order."""
    document = Document(io.BytesIO(data))
    found: Lines = [(p.text,) for p in document.paragraphs]
    found += [tuple(c.text for c in row.cells) for t in document.tables for row in t.rows]
    return found


def explained(standard: tuple[str, ...], one_page: tuple[str, ...]) -> bool:
    """True when a line differs only by something the one-page map cannot say."""
    if len(standard) == len(one_page) == 1:
        match = WORKING_WELL_WHO.fullmatch(standard[0])
        return match is not None and match.group("words") == one_page[0]
    if len(standard) == len(one_page) > HARM_KEPT_COLUMNS:
        date, what = standard[:HARM_KEPT_COLUMNS]
        return (
            one_page[0] == date and what.startswith(one_page[1]) and bool(re.search(r"\d{4}", date))
        )
    return False


@pytest.mark.parametrize("shape", [LINES, CELLS])
def test_the_one_page_example_makes_the_standard_examples_documents(
    tmp_path: Path, shape: str
) -> None:
    """Every document, paragraph by paragraph and table row by table row, is the same from
    both shapes, except the explicit list of what a one-page map cannot say."""
    day = made_on(dt.date.today(), INITIAL)
    standard = check_workbook(write_example(tmp_path / "standard.xlsx", today=day), today=day)
    one_page = check_workbook(example_map(tmp_path, shape, day), today=day)
    assert standard.case is not None and one_page.case is not None
    assert one_page.ok and not one_page.warnings, [p.where for p in one_page.problems]
    made = {(d.kind.title, d.copy): d.data for d in render_case(one_page.case)}
    expected = {(d.kind.title, d.copy): d.data for d in render_case(standard.case)}
    assert made.keys() == expected.keys()
    differences = 0
    for key, data in expected.items():
        theirs, ours = document_lines(data), document_lines(made[key])
        assert len(theirs) == len(ours), key
        for line, (a, b) in enumerate(zip(theirs, ours, strict=True)):
            if a != b:
                assert explained(a, b), (key, line, a, b)
                differences += 1
    assert differences > 0  # the list is needed: the example says things the map cannot
