"""Tests for sos_docs.workbook.load_cost: workbooks small on disk whose full openpyxl load would
build millions of objects are refused (WB001) before openpyxl opens them, by the reader and by
the marked copy."""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from defusedxml import DefusedXmlException
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.xml.constants import SHEET_MAIN_NS

from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError
from sos_docs.model import Level, Problem
from sos_docs.workbook import load_cost
from sos_docs.workbook.load_cost import check_load_cost
from sos_docs.workbook.marked_copy import write_marked_copy
from sos_docs.workbook.reader import read_workbook
from tests.support import blowups
from tests.support.adversarial import build_corpus
from tests.support.builders import WorkbookBuilder, example_workbook

# A budget of 5,000 objects (100 rows x 50), so ranges of a few thousand cells stand for the
# billions an attacker would ask for, and the unchanged code loads them quickly.
SMALL = Limits(max_rows=100)
BAD_DATE = Problem("WB006", Level.ERROR, "Case", "B3", "The meeting date is not a date.")


def refusal(path: Path, limits: Limits = DEFAULT_LIMITS) -> WorkbookError:
    """The WorkbookError the reader refuses `path` with."""
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, limits)
    return caught.value


def with_note(path: Path) -> Path:
    """The example workbook with a note on the Case sheet's first cell."""

    def add(book: object) -> None:
        book["Case"]["A1"].comment = Comment("see the plan", "someone")  # type: ignore[index]

    return WorkbookBuilder().then(add).write(path)


def test_a_merge_over_the_whole_sheet_is_refused_at_once_naming_sheet_and_range(
    tmp_path: Path,
) -> None:
    """A1:XFD1048576 merged (17 billion cells to openpyxl) is WB001 within a second, not read."""
    path = blowups.merged_range(example_workbook(tmp_path))
    started = time.monotonic()
    error = refusal(path)
    assert time.monotonic() - started < 5
    message = str(error)
    assert "too large or too complex to process" in message
    assert 'the sheet "Case"' in message and "A1:XFD1048576" in message
    assert "Unmerge" in message
    assert error.sheet == "Case"


def test_a_merge_over_budget_is_refused_on_the_full_load_path_too(tmp_path: Path) -> None:
    """With a picture (openpyxl's full load) a merged range over the budget is refused the same."""
    path = WorkbookBuilder().with_picture("Words and pictures").write(tmp_path / "p.xlsx")
    message = str(refusal(blowups.merged_range(path, "A1:Z300"), SMALL))
    assert "too large or too complex to process" in message and "A1:Z300" in message


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (
            lambda p: blowups.merged_range(WorkbookBuilder().write(p), "A1:Z300"),
            "merges the cells A1:Z300",
        ),
        (
            lambda p: blowups.linked_range(WorkbookBuilder().write(p), "A1:Z300"),
            "has a link over the cells A1:Z300",
        ),
        (
            lambda p: blowups.rewrite_parts(
                with_note(p), {"xl/comments/comment1.xml": lambda t: t.replace('"A1"', '"A1:Z300"')}
            ),
            "has a note over the cells A1:Z300",
        ),
    ],
)
def test_every_range_openpyxl_fills_cell_by_cell_counts(
    tmp_path: Path, make: object, said: str
) -> None:
    """A merged range, a linked range and a note over a range each cost a cell per cell covered."""
    path = make(tmp_path / "ranged.xlsx")  # type: ignore[operator]
    message = str(refusal(path, SMALL))
    assert said in message and 'the sheet "Case"' in message


def test_formatted_empty_rows_over_the_budget_are_refused_naming_the_sheet(tmp_path: Path) -> None:
    """Rows with a height but no cells cost openpyxl an object each: past the budget they are WB001."""
    path = blowups.formatted_rows(example_workbook(tmp_path), 6_000)
    error = refusal(path, SMALL)
    assert "more than 5,000 cells and formatted rows in all" in str(error)
    assert error.sheet == "Case"


def test_a_stylesheet_with_more_formats_than_excel_makes_is_refused(tmp_path: Path) -> None:
    """300,000 cell formats (5 s and 550 MB for openpyxl) are refused before openpyxl reads them."""
    path = blowups.style_formats(example_workbook(tmp_path), 140_000)
    with pytest.raises(WorkbookError, match="more than 131,072 cell formats"):
        check_load_cost(
            path.read_bytes(), path.name
        )  # as the marked copy, which has no ratio check
    dest = write_marked_copy(path, [BAD_DATE], tmp_path / "marked.xlsx")
    assert load_workbook(dest).sheetnames == ["Problems"]


def test_a_real_mapping_workbook_is_far_below_every_budget(tmp_path: Path) -> None:
    """The example workbook passes with a budget a hundred times smaller than the default."""
    check_load_cost(example_workbook(tmp_path).read_bytes(), "example.xlsx", SMALL)
    with_note(tmp_path / "noted.xlsx")
    check_load_cost((tmp_path / "noted.xlsx").read_bytes(), "noted.xlsx", SMALL)


def test_the_marked_copy_never_loads_a_workbook_over_the_budget(tmp_path: Path) -> None:
    """Problems that are not WB001 (a resumed job, another reader) still get the Problems-only
    copy when loading the original would cost too much."""
    path = blowups.merged_range(example_workbook(tmp_path), "A1:Z300")
    dest = write_marked_copy(path, [BAD_DATE], tmp_path / "marked.xlsx", limits=SMALL)
    assert load_workbook(dest).sheetnames == ["Problems"]


def test_the_marked_copy_of_the_whole_sheet_merge_is_made_at_once(tmp_path: Path) -> None:
    """The 17-billion-cell merge gets its Problems-only copy in well under a second."""
    path = blowups.merged_range(example_workbook(tmp_path))
    started = time.monotonic()
    dest = write_marked_copy(path, [BAD_DATE], tmp_path / "marked.xlsx")
    assert time.monotonic() - started < 5
    assert load_workbook(dest).sheetnames == ["Problems"]


def test_a_workbook_that_failed_with_an_internal_error_is_not_reopened(tmp_path: Path) -> None:
    """SYS001 (a worker process that died on it among others) gets the Problems-only copy: the
    service's own process must not load what may have killed a worker."""
    path = example_workbook(tmp_path)
    failed = Problem("SYS001", Level.ERROR, None, None, "sos-docs could not process this workbook.")
    dest = write_marked_copy(path, [failed], tmp_path / "marked.xlsx")
    assert load_workbook(dest).sheetnames == ["Problems"]


@pytest.mark.parametrize(
    ("blow_up", "said"),
    [
        (lambda p: blowups.data_validations(p, 150_000), "data validation rules"),
        (lambda p: blowups.long_sqref(p, 600_000), "cell references in lists"),
        (lambda p: blowups.conditional_formats(p, 120_000), "conditional formats"),
        (lambda p: blowups.fonts(p, 200_000), "fonts"),
        (lambda p: blowups.defined_names(p, 300_000), "defined names"),
    ],
)
def test_heavy_elements_are_weighed_by_what_openpyxl_builds_for_them(
    tmp_path: Path, blow_up: object, said: str
) -> None:
    """Rules, formats, fonts and names cost openpyxl 1-2 KB each (gigabytes for a few MB of XML):
    a few hundred thousand of them, or a reference list that long, are WB001 within seconds."""
    path = blow_up(example_workbook(tmp_path))  # type: ignore[operator]
    data = path.read_bytes()
    started = time.monotonic()
    with pytest.raises(WorkbookError) as caught:
        check_load_cost(data, path.name)
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "too large or too complex to process" in message and said in message


def test_a_workbook_just_under_the_heavy_budgets_still_passes(tmp_path: Path) -> None:
    """A few thousand of each heavy kind (far more than any mapping workbook) are not refused."""
    path = blowups.data_validations(example_workbook(tmp_path), 2_000)
    path = blowups.conditional_formats(
        blowups.fonts(blowups.defined_names(path, 2_000), 2_000), 2_000
    )
    check_load_cost(path.read_bytes(), path.name)


# ------------------------------------------- a part counted whole gives the stream's counts

HUGE = Limits(max_rows=10**12)  # nothing is ever refused: only the counts are compared


def streamed_counts(data: bytes, *, related: bool) -> load_cost._Counts | None:
    """What the streamed count adds for one part, or None where the stream's parser fails."""
    tally = load_cost._Tally("x.xlsx", HUGE)
    try:
        load_cost._count_elements(io.BytesIO(data), tally, "Case", related=related)
    except (SyntaxError, DefusedXmlException, ValueError, LookupError):
        return None
    return load_cost._Counts(tally.elements, tally.objects, tally.style_formats)


def assert_counted_alike(data: bytes) -> None:
    """The part counted whole gives exactly the stream's counts, as a sheet and as a related part
    (or the whole count declines it, and the stream then counts it as ever)."""
    for related in (False, True):
        counted = load_cost._whole_counts(data, related=related)
        whole = counted[0] if counted is not None else None
        streamed = streamed_counts(data, related=related)
        if whole is not None:
            assert whole == streamed, (related, data[:300])
        elif streamed is not None:  # declined by lxml alone: the stream still decides
            assert not related or load_cost._expat_reads(data)


def test_every_part_of_real_workbooks_is_counted_whole_as_streamed(tmp_path: Path) -> None:
    """Every XML part of the example (pictures, notes, merges, validations) and of a workbook
    with a note and merged title rows is counted whole exactly as the stream counts it."""
    paths = [
        example_workbook(tmp_path / "example.xlsx"),
        with_note(WorkbookBuilder().with_title_rows("Harm", 2).write(tmp_path / "noted.xlsx")),
    ]
    counted = 0
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith((".xml", ".rels", ".vml")):
                    assert_counted_alike(archive.read(name))
                    counted += 1
    assert counted > 30


def test_the_adversarial_corpus_is_counted_whole_as_streamed(tmp_path: Path) -> None:
    """Each small XML part of every hostile, damaged or odd file: the same counts either way."""
    build_corpus(tmp_path)
    checked = 0
    for path in sorted((tmp_path / "inbox").iterdir()):
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            continue
        with archive:
            for info in archive.infolist():
                if info.file_size <= 256 * 1024 and info.filename.endswith((".xml", ".rels")):
                    try:
                        data = archive.read(info)
                    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError):
                        continue
                    assert_counted_alike(data)
                    checked += 1
    assert checked > 500


TAGS = ("row", "c", "v", "mergeCell", "hyperlink", "xf", "comment", "table", "font", "cfRule")
ATTRIBUTES = ("r", "spans", "ht", "hidden", "ref", "sqref", "s")
REFERENCES = ("A1", "B2:C3", "A:A", "2:3", "A1:XFD1048576", "nonsense", "")


@st.composite
def xml_parts(draw: st.DrawFn) -> bytes:
    """A small XML part of nested elements with the names and attributes the count looks at,
    in the main namespace, with a prefix, or in none, including namespaced attributes."""

    def element(depth: int) -> str:
        tag = draw(st.sampled_from(TAGS))
        prefix = draw(st.sampled_from(("", "x:")))
        attributes = []
        for name in draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=3, unique=True)):
            value = " ".join(draw(st.lists(st.sampled_from(REFERENCES), min_size=1, max_size=3)))
            attributes.append(f'{draw(st.sampled_from(("", "r:")))}{name}="{value}"')
        children = (
            "".join(element(depth + 1) for _ in range(draw(st.integers(0, 3)))) if depth < 4 else ""
        )
        return f"<{prefix}{tag} {' '.join(attributes)}>{children}</{prefix}{tag}>"

    root = element(0)
    namespaces = f'xmlns="{SHEET_MAIN_NS}" xmlns:x="{SHEET_MAIN_NS}" xmlns:r="urn:r"'
    root = root.replace(" ", f" {namespaces} ", 1)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{root}'.encode()


@settings(max_examples=150, deadline=None)
@given(xml_parts())
def test_any_part_is_counted_whole_as_streamed(data: bytes) -> None:
    """For any nesting of rows, cells, ranges, notes, tables and weighed elements, namespaced
    or not, the whole count equals the stream's count, element by element."""
    assert load_cost._whole_counts(data, related=False) is not None
    assert_counted_alike(data)


# ----------------------------------------------- a DTD is refused by the count's own parser too

ATTLIST_HIDDEN = '<!DOCTYPE worksheet [<!ATTLIST row hidden CDATA "1">]>'


def _with_dtd(tmp_path: Path, part_of: str = "sheet") -> Path:
    """The example workbook with a DTD (an ATTLIST hiding every row) before a part's root."""
    from tests.support import corpus

    path = example_workbook(tmp_path)
    part = corpus.sheet_part(path, "Children") if part_of == "sheet" else part_of
    return corpus.patch_text(
        path, part, lambda xml: ATTLIST_HIDDEN + xml.split("?>", 1)[-1].lstrip()
    )


@pytest.mark.parametrize("part", ["sheet", "xl/styles.xml", "xl/workbook.xml"])
def test_a_dtd_the_guard_missed_is_refused_by_the_count(tmp_path: Path, part: str) -> None:
    """The second layer: the count parses with defusedxml with DTDs forbidden (whole or
    streamed), so a DTD that got past the guard stops the count before openpyxl parses it."""
    from defusedxml import DTDForbidden

    data = _with_dtd(tmp_path, part).read_bytes()
    with pytest.raises(DTDForbidden):
        check_load_cost(data, "case.xlsx")


def test_a_dtd_stopped_by_the_count_is_one_damaged_workbook_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the guard out of the way, the reader translates the count's DTDForbidden into the
    usual WB001 message (damaged; save it again), on either read path."""
    from sos_docs.workbook import guard, reader

    path = _with_dtd(tmp_path)
    monkeypatch.setattr(reader, "read_checked_workbook", guard.read_claimed_file)
    for fast in (True, False):
        with pytest.raises(WorkbookError) as caught:
            reader._read_workbook(path, DEFAULT_LIMITS, fast=fast)
        assert "is damaged" in str(caught.value)
        assert "save it again as Excel Workbook (.xlsx)" in str(caught.value)
        assert isinstance(caught.value.__cause__, DefusedXmlException)


def test_the_whole_count_declines_a_part_with_a_dtd(tmp_path: Path) -> None:
    """expat as the whole count runs it refuses a DOCTYPE, as the stream's defusedxml does."""
    assert not load_cost._expat_reads(f"{ATTLIST_HIDDEN}<worksheet/>".encode())
    assert load_cost._expat_reads(b"<worksheet/>")
