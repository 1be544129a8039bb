"""Whose words go where, end to end (docs/documents.md, Copies for the family): for many random
workbooks, nothing withheld from someone reaches any part of a copy they are given."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sos_docs.pipeline import earlier_files, process_workbook
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.reviews import PAST_REVIEW_MEETING, REVIEW_TODAY, initial_book, review_book

# The free-text cells of each sheet the documents print, by header.
TEXT_CELLS = {
    "Agency involvement": ("What support",),
    "Harm": ("What happened", "Impact on the child"),
    "Danger statements": ("Statement",),
    "Family's views": ("Their words",),
    "Complicating factors": ("Factor",),
    "Grey areas": ("Question or unknown",),
    "Working well": ("What is working well",),
    "Safety goals": ("Goal",),
    "Next steps": ("Action",),
    "Scaling": ("Reason", "One point higher"),
    "Child's views": ("Worries", "Good things", "Dreams"),
    "Safety plan": ("Rule", "When"),
    "Words and pictures": ("Heading", "Words"),
}
AUDIENCES = (None, None, None, "Family", "P1", "P2")  # mostly shared; Kerry or Dean named
CONSENTS = ("Yes", "No", None)
CHILD_IDS = {"C1": "C1", "Mia Hartley": "C1", "C2": "C2", "Leo Hartley": "C2"}
EXAMPLES_RUN = 50


def token(sheet: int, row: int, cell: int) -> str:
    """A word found nowhere else: no token is a part of another."""
    return f"zq{sheet:02d}{row:03d}{cell:02d}z"


def zip_text(path: Path) -> str:
    """Every part of a .docx as text (XML, document properties, alt text) and every part's name."""
    with zipfile.ZipFile(path) as document:
        names = document.namelist()
        parts = [document.read(name).decode("utf-8", "replace") for name in names]
    return "\n".join([*names, *parts])


@st.composite
def marked_workbooks(draw: st.DrawFn) -> tuple[WorkbookBuilder, dict[str, set[str]]]:
    """The example with a token in every printed text cell, random rows withheld from the family
    or a parent, random consent, Mia 9 or 14; and the tokens each audience must never get."""
    book = WorkbookBuilder()
    kept_from: dict[str, set[str]] = {"Family": set(), "P1": set(), "P2": set()}
    older = draw(st.booleans())
    if older:
        book.update_row("Children", 0, Date_of_birth=dt.date(2012, 5, 1))
    unheard: set[str] = set()  # children whose words are kept from the family
    own_scores: dict[str, list[str]] = {}  # a child's own Scaling rows' tokens, by child
    for sheet_number, (sheet, headers) in enumerate(TEXT_CELLS.items()):
        for row_number, row in enumerate(book.rows(sheet)):
            tokens = []
            for cell_number, header in enumerate(headers):
                mark = token(sheet_number, row_number, cell_number)
                row[header] = f"{row.get(header) or ''} {mark}".strip()
                tokens.append(mark)
            audience = draw(st.sampled_from(AUDIENCES))
            row["Withhold from"] = audience
            if sheet == "Child's views":
                consent = draw(st.sampled_from(CONSENTS))
                row["Consent to share"] = consent
                is_mia = row["Child"] == "C1"
                if consent == "No" or (consent is None and is_mia and older):
                    audience = "Family"
                    unheard.add(CHILD_IDS[str(row["Child"])])
            if sheet == "Scaling" and str(row["Participant"]) in CHILD_IDS:
                own_scores.setdefault(CHILD_IDS[str(row["Participant"])], []).extend(tokens)
            for who in kept_from if audience == "Family" else [audience] if audience else []:
                kept_from[who].update(tokens)
    for child in unheard:  # a child's own score and its reason are their words too
        for who in kept_from:
            kept_from[who].update(own_scores.get(child, ()))
    if draw(st.booleans()):
        contact = token(99, 0, 0)
        book.set_case("Author contact", f"07700 900412 {contact}")
        book.set_case("Withhold from", "Author contact: Family")
        for who in kept_from:
            kept_from[who].add(contact)
    return book, kept_from


@settings(
    max_examples=EXAMPLES_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(marked_workbooks())
def test_nothing_withheld_reaches_any_part_of_a_copy_for_the_family(
    marked: tuple[WorkbookBuilder, dict[str, set[str]]],
) -> None:
    """Every family copy, copy for a parent and story, searched in every zip part, holds no
    word of a row (or Case value) withheld from its reader, nor a child's words without consent;
    the professional copy holds them all."""
    book, kept_from = marked
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        outcome = process_workbook(
            book.write(root / "case.xlsx"), root / "out", today=EXAMPLE_TODAY
        )
        assert outcome.ok, outcome.validation.problems
        everyone = set().union(*kept_from.values())
        for path in outcome.documents:
            text = zip_text(path)
            if "(professional copy)" in path.name or not everyone:
                continue
            if "(copy for Kerry Hartley)" in path.name:
                forbidden = kept_from["P1"]
            elif "(copy for Dean Hartley)" in path.name:
                forbidden = kept_from["P2"]
            elif "(family copy)" in path.name:
                forbidden = kept_from["Family"]
            else:  # the story: any family member may read it
                assert "Words and pictures" in path.name
                forbidden = everyone
            leaked = sorted(t for t in forbidden if t in text)
            assert not leaked, (path.name, leaked)
        # The search finds what is there: the professional copy (or the one report) holds every
        # token of the sheets the report prints (the story's pages are in the story only).
        report = zip_text(outcome.documents[0])
        printed = {
            token(s, r, c)
            for s, (sheet, headers) in enumerate(TEXT_CELLS.items())
            if sheet != "Words and pictures"
            for r in range(len(book.rows(sheet)))
            for c in range(len(headers))
        }
        assert printed <= set(_tokens_in(report))
        if everyone:
            assert "(professional copy)" in outcome.documents[0].name
            assert "Professional copy: contains information" in report


def _tokens_in(text: str) -> list[str]:
    return re.findall(r"zq\d{7}z", text)


def test_a_review_never_brings_back_through_its_progress_what_is_withheld_now(
    tmp_path: Path,
) -> None:
    """A danger statement, a next step and a score shared at the initial conference and withheld
    from the family only at the review: the family copy's "then and now" shows none of them (the
    earlier workbook's rows matched to what is withheld now)."""
    initial = initial_book()
    initial.update_row("Danger statements", 1, Statement="LEAKD then: the night-time worry.")
    initial.update_row("Next steps", 0, Action="LEAKS step shared at the initial conference.")
    initial.update_row("Scaling", 0, One_point_higher="LEAKP one point higher, said then.")
    earlier = initial.write(tmp_path / "initial.xlsx")
    review = review_book(PAST_REVIEW_MEETING)
    review.update_row("Danger statements", 1, Withhold_from="Family")
    review.update_row("Next steps", 0, Action="LEAKS step shared at the initial conference.")
    review.update_row("Next steps", 0, Withhold_from="Family")
    review.update_row("Scaling", 0, Withhold_from="Family")
    outcome = process_workbook(
        review.write(tmp_path / "review.xlsx"),
        tmp_path / "out",
        today=REVIEW_TODAY,
        earlier=earlier_files([earlier]),
    )
    assert outcome.ok, outcome.validation.problems
    family = next(p for p in outcome.documents if "(family copy)" in p.name)
    professional = next(p for p in outcome.documents if "(professional copy)" in p.name)
    assert all(marker in text_of(professional) for marker in ("LEAKD", "LEAKS", "LEAKP"))
    leaked = [m for m in ("LEAKD", "LEAKS", "LEAKP") if m in text_of(family)]
    assert leaked == []


def text_of(docx: Path) -> str:
    """Every XML part of a .docx, as text."""
    with zipfile.ZipFile(docx) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
