"""Tests for reading one cell's value as its contract kind (sos_docs.workbook.cells)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sos_docs.model import FormulaWithoutValue
from sos_docs.workbook import schema
from sos_docs.workbook.cells import (
    Bad,
    Several,
    as_text,
    is_blank,
    parse_date_text,
    quote,
    read_cell,
)

TEXT = schema.DANGER_STATEMENTS.column("statement")
DATE = schema.CHILDREN.column("date_of_birth")
WHOLE = schema.SCALING.column("score")
YESNO = schema.PEOPLE.column("safety_network")
CHOICE = schema.PEOPLE.column("role")
PICTURE = schema.WORDS_AND_PICTURES.column("picture")
MAY_19 = dt.date(2025, 5, 19)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Mia said:\nno more shouting  ", "Mia said:\nno more shouting"),
        (7, "7"),
        (7.0, "7"),
        (12.5, "12.5"),
        (7700900412.0, "7700900412"),
        (True, "Yes"),
        (dt.datetime(2025, 5, 19), "19/05/2025"),
        (dt.datetime(2025, 5, 19, 14, 30), "19/05/2025 14:30"),
        (dt.date(2025, 5, 19), "19/05/2025"),
        (dt.time(9, 5), "09:05"),
    ],
)
def test_text_reads_any_cell_as_people_see_it(value: object, expected: str) -> None:
    """Text is stripped, keeps inner line breaks, shows numbers without ".0" and dates day first."""
    assert read_cell(TEXT, value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "19/05/2025",
        "19-05-2025",
        "19.05.2025",
        "19 May 2025",
        "19 may 2025",
        "19-May-2025",
        "19th May 2025",
        "19 MAY 2025",
        "2025-05-19",
        "2025-05-19 00:00:00",
        " 19/5/2025 ",
    ],
)
def test_dates_typed_as_text_are_read_day_first(text: str) -> None:
    """Each accepted day-first form (and ISO) reads as 19 May 2025."""
    assert read_cell(DATE, text) == MAY_19


@pytest.mark.parametrize(
    "value", [dt.datetime(2025, 5, 19, 0, 0), dt.datetime(2025, 5, 19, 23, 59), MAY_19]
)
def test_real_excel_dates_are_read_as_dates(value: object) -> None:
    """An Excel date or date-time cell becomes a date."""
    assert read_cell(DATE, value) == MAY_19  # type: ignore[arg-type]


def test_ambiguous_numeric_dates_are_day_first() -> None:
    """05/06/2025 is 5 June, never 6 May."""
    assert read_cell(DATE, "05/06/2025") == dt.date(2025, 6, 5)


@pytest.mark.parametrize(
    "value",
    [
        "05/19/2025",  # month first
        "May 19 2025",  # month first, spelt out
        "31/02/2025",  # no such day
        "19/05/25",  # two-digit year: 1925 or 2025?
        "19 May 25",
        "19 Mai 2025",
        "next Tuesday",
        45796,  # a date serial number with the date format lost
        True,
        dt.time(12, 0),
    ],
)
def test_values_that_are_not_dates_are_wb005_naming_the_forms(value: object) -> None:
    """Month-first, impossible, two-digit-year and non-date values are WB005 listing the forms."""
    read = read_cell(DATE, value)  # type: ignore[arg-type]
    assert isinstance(read, Bad)
    assert read.code == "WB005"
    assert "19/05/2025" in read.message
    assert "19 May 2025" in read.message
    assert "2025-05-19" in read.message


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_any_date_written_day_first_parses_back(day: dt.date) -> None:
    """Every date written in every day-first form parses back to the same date."""
    forms = (
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        f"{day.day}-{day.month}-{day.year}",
        f"{day.day:02d}.{day.month:02d}.{day.year}",
        f"{day.day} {day:%B} {day.year}",
        f"{day.day} {day:%b} {day.year}",
        day.isoformat(),
    )
    assert [parse_date_text(form) for form in forms] == [day] * len(forms)


@pytest.mark.parametrize(
    ("value", "expected"), [(7, 7), (7.0, 7), ("7", 7), (" 10 ", 10), ("7.0", 7), (-1, -1)]
)
def test_whole_numbers_accept_numbers_and_numbers_typed_as_text(
    value: object, expected: int
) -> None:
    """Whole numbers come from numbers, whole floats and text such as "7"."""
    assert read_cell(WHOLE, value) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [4.5, "seven", "4.5", True, "1e3", "9" * 400, MAY_19])
def test_values_that_are_not_whole_numbers_are_wb005(value: object) -> None:
    """Fractions, words, booleans, dates and absurdly long digit strings are WB005."""
    read = read_cell(WHOLE, value)  # type: ignore[arg-type]
    assert isinstance(read, Bad)
    assert read.code == "WB005"
    assert "whole number" in read.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Yes", True),
        ("y", True),
        ("TRUE", True),
        (" yes ", True),
        (True, True),
        ("No", False),
        ("n", False),
        ("false", False),
        (False, False),
    ],
)
def test_yes_no_accepts_the_usual_words_in_any_case(value: object, expected: bool) -> None:
    """Yes, No, Y, N, True and False in any case are read as yes/no."""
    assert read_cell(YESNO, value) is expected  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["maybe", 1, "Yes please"])
def test_other_yes_no_values_are_wb005(value: object) -> None:
    """Anything else in a yes/no column is WB005."""
    read = read_cell(YESNO, value)  # type: ignore[arg-type]
    assert isinstance(read, Bad)
    assert read.code == "WB005"


@pytest.mark.parametrize(
    "value", ["Professional", "professional", "  PROFESSIONAL ", "pRoFeSsIoNaL"]
)
def test_choices_ignore_case_and_spacing_and_keep_the_canonical_spelling(value: str) -> None:
    """A choice is stored as the contract spells it, however it was typed."""
    assert read_cell(CHOICE, value) == "Professional"


def test_choices_collapse_inner_spaces() -> None:
    """Extra spaces inside a multi-word choice do not matter."""
    column = schema.DANGER_STATEMENTS.column("family_view")
    assert read_cell(column, "partly   agree") == "Partly agree"


def test_unknown_choice_is_wb006_listing_the_allowed_values() -> None:
    """A value outside the list is WB006, and the message lists every allowed value."""
    read = read_cell(CHOICE, "Uncle")
    assert isinstance(read, Bad)
    assert read.code == "WB006"
    assert '"Uncle"' in read.message
    for choice in schema.ROLES:
        assert choice in read.message


@pytest.mark.parametrize("column", [TEXT, DATE, WHOLE, YESNO, CHOICE])
def test_formula_without_value_is_wb007_in_any_column(column: schema.Column) -> None:
    """A formula whose result was never saved is WB007 whatever the column's kind."""
    read = read_cell(column, FormulaWithoutValue("=TODAY()"))
    assert isinstance(read, Bad)
    assert read.code == "WB007"
    assert "=TODAY()" in read.message


@pytest.mark.parametrize("error", ["#REF!", "#N/A", "#DIV/0!", " #value! "])
def test_excel_error_values_are_wb007(error: str) -> None:
    """An Excel error shown instead of a value never reaches a document as text."""
    read = read_cell(TEXT, error)
    assert isinstance(read, Bad)
    assert read.code == "WB007"


def test_picture_column_text_is_ignored() -> None:
    """Text typed in a Picture column is not a value: pictures are images over the row."""
    assert read_cell(PICTURE, "see attached") is None


@pytest.mark.parametrize(
    ("value", "blank"), [(None, True), ("", True), ("  \n ", True), (0, False)]
)
def test_blank_means_empty_or_only_spaces(value: object, blank: bool) -> None:
    """Empty cells and cells holding only spaces are blank; a zero is not."""
    assert is_blank(value) is blank  # type: ignore[arg-type]


def test_quote_shortens_long_values() -> None:
    """Values quoted in messages are cut short with an ellipsis."""
    quoted = quote("word " * 100)
    assert quoted.startswith('"word word')
    assert quoted.endswith('..."')
    assert len(quoted) <= 62


def test_as_text_of_a_formula_is_its_formula() -> None:
    """A formula without a value is shown as its formula text."""
    assert as_text(FormulaWithoutValue("=A1+1")) == "=A1+1"


CATEGORY = schema.CASE.column("category_of_harm")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("neglect", "Neglect"),
        ("Neglect, ", "Neglect"),
        ("Neglect, neglect", "Neglect"),
        ("Neglect, Emotional abuse", Several(("Neglect", "Emotional abuse"))),
        ("sexual abuse;physical ABUSE", Several(("Sexual abuse", "Physical abuse"))),
    ],
)
def test_a_category_cell_takes_one_or_several_categories(value: str, expected: object) -> None:
    """Categories separated by commas or semicolons read as Several; one stays one."""
    assert read_cell(CATEGORY, value) == expected


@pytest.mark.parametrize(
    "value", ["Neglect, Bullying", "Multiple, Neglect", ",", "Neglect Bullying"]
)
def test_several_categories_must_each_be_known(value: str) -> None:
    """An unknown category, Multiple among several, or nothing between commas is WB006."""
    read = read_cell(CATEGORY, value)
    assert isinstance(read, Bad) and read.code == "WB006"


def test_a_column_without_several_still_refuses_commas() -> None:
    """Only the category columns take several choices: a role with a comma is WB006."""
    read = read_cell(CHOICE, "Parent, Carer")
    assert isinstance(read, Bad) and read.code == "WB006"


def test_a_format_that_is_not_a_whole_number_is_shown_the_format_as_example() -> None:
    """WB005 on the Case's Format gives the workbook format (2) as its example, not 6."""
    read = read_cell(schema.CASE.column("format_version"), "two")
    assert isinstance(read, Bad)
    assert read.message.endswith(f"for example {schema.FORMAT_VERSION}.")
