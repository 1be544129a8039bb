"""Tests for the one table of problem codes and its agreement with docs/workbook-format.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sos_docs import codes
from sos_docs.model import Level

DOC = Path(__file__).resolve().parents[1] / "docs/workbook-format.md"
TABLE_ROW = re.compile(r"^\| ([A-Z]{2,3}\d{3}) \| (error|warning) \| (.+) \|$", re.MULTILINE)
PACKAGE = Path(codes.__file__).resolve().parent


def documented_codes() -> dict[str, Level]:
    """Every code in the document's code tables, with the level the document gives it."""
    return {code: Level(level) for code, level, _ in TABLE_ROW.findall(DOC.read_text("utf-8"))}


def test_every_code_is_documented_with_the_same_level_and_every_documented_code_exists() -> None:
    """codes.py and docs/workbook-format.md list the same codes at the same levels."""
    in_code = {code: entry.level for code, entry in codes.CODES.items()}
    assert in_code == documented_codes()


def test_each_constant_names_its_own_code_with_a_one_line_meaning() -> None:
    """`codes.WB004 == "WB004"`, and every meaning is one short sentence."""
    for code, entry in codes.CODES.items():
        assert getattr(codes, code) == code == entry.code
        assert entry.meaning.endswith(".") and "\n" not in entry.meaning
        assert len(entry.meaning) <= 90, code


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("WB001", Level.ERROR),
        ("SOS110", Level.ERROR),
        ("SOS207", Level.WARNING),
        ("SYS002", Level.ERROR),
        ("DOC001", Level.WARNING),
        ("DOC002", Level.WARNING),
    ],
)
def test_a_problem_takes_its_level_from_the_table(code: str, level: Level) -> None:
    """codes.problem gives a Problem at the table's level for its code."""
    found = codes.problem(code, "Case", "B4", "Fix it.")
    assert (found.code, found.level, found.where) == (code, level, "Case!B4")


def test_an_unknown_code_is_refused() -> None:
    """A code missing from the table is a programming error, not a silent error level."""
    with pytest.raises(KeyError):
        codes.level_of("SOS999")


def test_no_module_writes_a_problem_code_as_a_literal() -> None:
    """Modules name codes by their constant in codes.py, so the table is the only vocabulary."""
    literal = re.compile(r"[\"'](?:WB|SOS|SYS|DOC)\d{3}[\"']")
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "codes.py"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []
