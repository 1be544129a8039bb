"""Fuzzing the pipeline: each XML part of a valid workbook mutated, never a crash, hang or traceback.

The base is the example workbook with its text in a shared strings part, as Excel saves it.
Hypothesis picks a part and a mutation (truncation, a deleted or duplicated tag, attribute
garbage, huge or negative numbers, wrong cell types, shared string and style indexes out of
range, flipped bytes, inserted markup) and the whole pipeline runs on the result: it must give
a problem list, or documents when the workbook is still valid. A few dozen examples per part
group run by default; `--run-slow` runs 400 per group, and `SOS_FUZZ_EXAMPLES=N` N per group.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import signal
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sos_docs.model import Level
from sos_docs.pipeline import DOCUMENT_KINDS, process_workbook
from tests.support.adversarial import excel_style
from tests.support.builders import WorkbookBuilder

TODAY = dt.date(2026, 11, 28)
SECONDS_PER_EXAMPLE = 20  # a hang, not a slow machine
QUICK_EXAMPLES = 40  # per part group, in every run
# Per part group with --run-slow; SOS_FUZZ_EXAMPLES=N runs longer still.
SLOW_EXAMPLES = int(os.environ.get("SOS_FUZZ_EXAMPLES", "400"))

PART_GROUPS = {
    "worksheets": r"xl/worksheets/sheet\d+\.xml",
    "shared strings": r"xl/sharedStrings\.xml",
    "styles": r"xl/styles\.xml",
    "workbook and relationships": r"xl/workbook\.xml|.*\.rels|\[Content_Types\]\.xml",
    "properties and theme": r"docProps/.*|xl/theme/.*",
}
TAG = re.compile(rb"<[^<>]+>")
START_TAG = re.compile(rb"<[A-Za-z][^<>]*?(/?)>")
ATTRIBUTE_VALUE = re.compile(rb'\s([\w:]+)="([^"]*)"')
NUMBER_TEXT = re.compile(rb">(-?\d+(?:\.\d+)?)<")
HOSTILE_VALUES = (
    *(b"", b"-1", b"0", b"1e308", b"-1e308", b"NaN", b"inf", b"99999", b"4294967296"),
    *(b"1" * 40, b"0x10", b"A0", b"XFD1048577", b"ZZZZ99999999", b"A1:XFD1048576", b"1:2:3"),
    *(b"true", b"s", b"str", b"inlineStr", b"e", b"d", b"&amp;", b"&#0;", b"&#xD800;", b"&lt;"),
    *(b"{{ 7*7 }}", b"=HYPERLINK(&quot;http://x&quot;)", "Siân 👨‍👩‍👧".encode()),
)
CELL_TYPES = (b"s", b"n", b"b", b"d", b"e", b"str", b"inlineStr", b"x", b"")


@dataclass(frozen=True)
class Base:
    """The valid workbook's parts, and a folder to write mutated copies into."""

    parts: dict[str, bytes]
    folder: Path

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        return f"Base({len(self.parts)} parts in {self.folder})"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    """The example, saved Excel-style, read into its parts."""
    folder = tmp_path_factory.mktemp("fuzz")
    example = WorkbookBuilder().write(folder / "example.xlsx")
    path = excel_style(example, folder / "excel-like.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    return Base(parts, folder)


# --------------------------------------------------------------------------------------------
# Mutations: each takes Hypothesis' data and a part's bytes and returns the changed bytes


Mutation = Callable[[st.DataObject, bytes], bytes]


def _pick(data: st.DataObject, matches: list[re.Match[bytes]]) -> re.Match[bytes] | None:
    return data.draw(st.sampled_from(matches)) if matches else None


def truncate(data: st.DataObject, xml: bytes) -> bytes:
    """Cut the part short anywhere."""
    return xml[: data.draw(st.integers(0, max(len(xml) - 1, 0)))]


def delete_tag(data: st.DataObject, xml: bytes) -> bytes:
    """Remove one start, end or empty tag, leaving the rest unbalanced."""
    match = _pick(data, list(TAG.finditer(xml)))
    return xml if match is None else xml[: match.start()] + xml[match.end() :]


def duplicate_tag(data: st.DataObject, xml: bytes) -> bytes:
    """Repeat one tag right after itself."""
    match = _pick(data, list(TAG.finditer(xml)))
    return xml if match is None else xml[: match.end()] + match.group() + xml[match.end() :]


def attribute_garbage(data: st.DataObject, xml: bytes) -> bytes:
    """Add an attribute (often one the element already has) with a hostile value."""
    match = _pick(data, list(START_TAG.finditer(xml)))
    if match is None:
        return xml
    name = data.draw(st.sampled_from([b"r", b"s", b"t", b"ref", b"count", b"r:id", b"x", b"id"]))
    value = data.draw(st.sampled_from(HOSTILE_VALUES))
    at = match.end() - 1 - len(match.group(1))
    return xml[:at] + b" " + name + b'="' + value + b'"' + xml[at:]


def attribute_value(data: st.DataObject, xml: bytes) -> bytes:
    """Replace one attribute's value: huge numbers, wrong references, wrong types."""
    match = _pick(data, list(ATTRIBUTE_VALUE.finditer(xml)))
    if match is None:
        return xml
    value = data.draw(st.sampled_from(HOSTILE_VALUES))
    return xml[: match.start(2)] + value + xml[match.end(2) :]


def cell_type(data: st.DataObject, xml: bytes) -> bytes:
    """Give every cell of one type another type (text read as numbers, numbers as errors)."""
    old = data.draw(st.sampled_from([b's"', b'n"', b'inlineStr"', b'b"']))
    new = data.draw(st.sampled_from(CELL_TYPES))
    return xml.replace(b' t="' + old, b' t="' + new + b'"')


def index_out_of_range(data: st.DataObject, xml: bytes) -> bytes:
    """Point one number (a shared string index, a style, a date) far out of range."""
    matches = list(NUMBER_TEXT.finditer(xml)) + [
        m for m in ATTRIBUTE_VALUE.finditer(xml) if m.group(1) in (b"s", b"xfId", b"numFmtId")
    ]
    match = _pick(data, matches)
    if match is None:
        return xml
    value = str(data.draw(st.sampled_from([-1, 10**5, 2**31, 2**64, 10**400]))).encode()
    group = 1 if match.re is NUMBER_TEXT else 2
    return xml[: match.start(group)] + value + xml[match.end(group) :]


def flip_bytes(data: st.DataObject, xml: bytes) -> bytes:
    """Flip a few bytes anywhere (damaged storage, a bad copy)."""
    changed = bytearray(xml)
    for _ in range(data.draw(st.integers(1, 8))):
        if changed:
            at = data.draw(st.integers(0, len(changed) - 1))
            changed[at] ^= data.draw(st.integers(1, 255))
    return bytes(changed)


def insert_markup(data: st.DataObject, xml: bytes) -> bytes:
    """Insert text, entity references or elements at any point."""
    snippet = data.draw(
        st.one_of(
            st.sampled_from(
                [b"&undefined;", b"&#0;", b"<", b"]]>", b"<x>", b"</row>", b'<c r="A1"/>']
            ),
            st.text(max_size=20).map(lambda text: text.encode("utf-8", "surrogatepass")),
        )
    )
    at = data.draw(st.integers(0, len(xml)))
    return xml[:at] + snippet + xml[at:]


MUTATIONS: tuple[Mutation, ...] = (
    truncate,
    delete_tag,
    duplicate_tag,
    attribute_garbage,
    attribute_value,
    cell_type,
    index_out_of_range,
    flip_bytes,
    insert_markup,
)


# --------------------------------------------------------------------------------------------
# Running one mutated workbook


class Hang(Exception):
    """The pipeline did not return within SECONDS_PER_EXAMPLE."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise Hang in the main thread if the block runs longer than `seconds`."""

    def alarm(signum: int, frame: object) -> None:
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def mutated_zip(parts: dict[str, bytes], part: str, new: bytes) -> bytes:
    """The workbook's zip with one part replaced."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, new if name == part else content)
    return buffer.getvalue()


def check_mutation(base: Base, group: str, data: st.DataObject) -> None:
    """Mutate one part of the group, run the pipeline, and check its answer is a clean one."""
    names = sorted(n for n in base.parts if re.fullmatch(PART_GROUPS[group], n))
    part = data.draw(st.sampled_from(names), label="part")
    mutation = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    path = base.folder / "mutated.xlsx"
    path.write_bytes(mutated_zip(base.parts, part, mutation(data, base.parts[part])))
    out_root = base.folder / "reports"
    shutil.rmtree(out_root, ignore_errors=True)
    with time_limit(SECONDS_PER_EXAMPLE):
        outcome = process_workbook(path, out_root, today=TODAY)
    problems = outcome.validation.problems
    for problem in problems:
        assert problem.message.strip()
        assert "Traceback" not in problem.message
    if any(p.code == "WB001" for p in problems):
        assert [p.code for p in problems] == ["WB001"]
    if outcome.ok:
        # The report once per copy when something is withheld (the example withholds Leo's words).
        assert len(outcome.documents) == len(DOCUMENT_KINDS) + max(len(outcome.copies) - 1, 0)
        assert all(d.is_file() and d.is_relative_to(out_root) for d in outcome.documents)
    else:
        assert any(p.level is Level.ERROR for p in problems)
        assert not out_root.exists()


FUZZ_SETTINGS = {
    "deadline": None,  # time is bounded by time_limit; the first example also warms caches
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "derandomize": False,
}


@pytest.mark.parametrize("group", sorted(PART_GROUPS))
@settings(max_examples=QUICK_EXAMPLES, **FUZZ_SETTINGS)
@given(data=st.data())
def test_a_mutated_part_gives_problems_or_documents(
    base: Base, group: str, data: st.DataObject
) -> None:
    """Any mutation of any XML part ends in problems or documents, never an exception or a hang."""
    check_mutation(base, group, data)


@pytest.mark.slow
@pytest.mark.parametrize("group", sorted(PART_GROUPS))
@settings(max_examples=SLOW_EXAMPLES, **FUZZ_SETTINGS)
@given(data=st.data())
def test_a_mutated_part_gives_problems_or_documents_long_run(
    base: Base, group: str, data: st.DataObject
) -> None:
    """The same, with many more examples (run with --run-slow)."""
    check_mutation(base, group, data)


def test_the_unmutated_base_gives_both_documents(base: Base) -> None:
    """Fuzzing starts from a valid workbook: unchanged, it gives the documents."""
    path = base.folder / "unmutated.xlsx"
    part = "xl/sharedStrings.xml"
    path.write_bytes(mutated_zip(base.parts, part, base.parts[part]))
    outcome = process_workbook(path, base.folder / "unmutated-reports", today=TODAY)
    assert outcome.ok, outcome.validation.problems
    # The report's professional and family copies (Leo's words are withheld), and the story.
    assert len(outcome.documents) == len(DOCUMENT_KINDS) + 1
