"""Reading one cell's value as its contract kind: text, date, whole number, yes/no or choice."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from sos_docs import codes
from sos_docs.loading import LazyPattern
from sos_docs.model import CellValue, FormulaWithoutValue
from sos_docs.workbook.schema import (
    FORMAT_VERSION,
    MULTIPLE,
    NO_WORDS,
    YES_WORDS,
    Column,
    ColumnKind,
)

# What Excel shows instead of a formula's result when the formula failed.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)

# English month names on purpose: `calendar.month_name` follows the server's locale.
MONTHS = {
    name: number
    for number, full in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for name in (full, full[:3], full[:4])
}

DATE_FORMS = "19/05/2025, 19-05-2025, 19.05.2025, 19 May 2025 or 2025-05-19"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = LazyPattern(rf"(\d{{1,2}})([/.-])(\d{{1,2}})\2(\d{{2}}|\d{{4}}){_TIME}")
_YEAR_FIRST = LazyPattern(rf"(\d{{4}})([/.-])(\d{{1,2}})\2(\d{{1,2}}){_TIME}")
_NAMED_MONTH = LazyPattern(
    r"(\d{1,2})(?:st|nd|rd|th)?[ -]+([a-z]+)\.?,?[ -]+(\d{2}|\d{4})", re.IGNORECASE
)
_WHOLE_TEXT = LazyPattern(r"([+-]?\d{1,15})(?:\.0*)?")
QUOTE_LIMIT = 60


@dataclass(frozen=True)
class Bad:
    """Why a cell cannot be read as its kind: the rule code and a message for people."""

    code: str
    message: str


@dataclass(frozen=True)
class Several:
    """Several choices typed in one cell of a column that takes them (categories of harm)."""

    choices: tuple[str, ...]


Read = object  # what a reader returns: the typed value, `Several`, or `Bad`
SEVERAL_SEPARATORS = (",", ";")


def is_blank(value: CellValue) -> bool:
    """True for an empty cell or one holding only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def quote(value: CellValue) -> str:
    """A cell's value for a message, in quotes, shortened when it is long."""
    text = " ".join(as_text(value).split())
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 3].rstrip() + "..."
    return f'"{text}"'


def format_date(value: dt.date) -> str:
    """A date the way messages and text cells show it, day first: 19/05/2025."""
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def long_date(value: dt.date) -> str:
    """A date spelt out for a message, which no reader can take month-first: 19 May 2025."""
    return f"{value.day} {value:%B} {value.year}"


def as_text(value: CellValue) -> str:
    """Any cell value as the text a person would see, stripped of surrounding spaces."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return _datetime_text(value)
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, FormulaWithoutValue):
        return value.formula
    return "" if value is None else str(value)


def _number_text(value: float) -> str:
    # Excel stores every number as a float: 7 must not become "7.0".
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _datetime_text(value: dt.datetime) -> str:
    if value.time() == dt.time(0, 0):
        return format_date(value.date())
    return f"{format_date(value.date())} {value:%H:%M}"


def read_cell(column: Column, value: CellValue) -> Read:
    """A non-blank cell's value as its column's kind; people and IDs come back as their text."""
    if isinstance(value, FormulaWithoutValue):
        return Bad(codes.WB007, _formula_message(column, value.formula))
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return Bad(codes.WB007, _excel_error_message(column, value.strip().upper()))
    return READERS[column.kind](column, value)


def _formula_message(column: Column, formula: str) -> str:
    return (
        f"{column.name} holds a formula ({quote(formula)}) whose result was never saved. "
        "Open the workbook in Excel, let it calculate and save it again, or type the value in."
    )


def _excel_error_message(column: Column, error: str) -> str:
    return (
        f"{column.name} shows the Excel error {error} instead of a value. "
        "Fix the formula or type the value in."
    )


def read_text(column: Column, value: CellValue) -> Read:
    """Text, with its inner line breaks kept and surrounding spaces removed."""
    return as_text(value)


def read_date(column: Column, value: CellValue) -> Read:
    """A real Excel date, or text in one of the day-first forms; never month-first."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return parse_date_text(value.strip()) or Bad(codes.WB005, _date_message(column, value))
    return Bad(codes.WB005, _date_message(column, value))


def _date_message(column: Column, value: CellValue) -> str:
    return (
        f"{column.name} must be a date, but it is {quote(value)}. "
        f"Type a real date day first, with the year in full: {DATE_FORMS} "
        "(or enter it as an Excel date)."
    )


def parse_date_text(text: str) -> dt.date | None:
    """The date a day-first text means, or None when it is not one (or is impossible)."""
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = match.group(1), match.group(3), match.group(4)
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = match.group(1), match.group(3), match.group(4)
    elif match := _NAMED_MONTH.fullmatch(text):
        day, year = match.group(1), match.group(3)
        month = str(MONTHS.get(match.group(2).casefold(), 0))
    else:
        return None
    return _real_date(year, month, day)


def _real_date(year: str, month: str, day: str) -> dt.date | None:
    # Two-digit years are refused: "03/04/98" could be 1998 or 2098 on a date of birth.
    if len(year) != 4:
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def read_whole(column: Column, value: CellValue) -> Read:
    """A whole number: a number with no fraction, or text such as "7"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and (match := _WHOLE_TEXT.fullmatch(value.strip())):
        return int(match.group(1))
    return Bad(
        codes.WB005,
        f"{column.name} must be a whole number, but it is {quote(value)}. "
        f"Type a number without a fraction, for example {whole_number_example(column)}.",
    )


def whole_number_example(column: Column) -> int:
    """A whole number that fits the column, for messages: Format's is the workbook format."""
    return FORMAT_VERSION if column.field == "format_version" else 6


def read_yesno(column: Column, value: CellValue) -> Read:
    """Yes or No, also written Y, N, True or False in any case."""
    if isinstance(value, bool):
        return value
    word = value.strip().casefold() if isinstance(value, str) else ""
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    return Bad(
        codes.WB005,
        f"{column.name} must be Yes or No, but it is {quote(value)}. "
        "Type Yes or No (Y and N work too).",
    )


def read_choice(column: Column, value: CellValue) -> Read:
    """One of the column's choices, whatever its case and spacing, as the choice is written.

    A column that takes several choices reads "A, B" as `Several` (one choice stays one).
    """
    text = as_text(value)
    if column.several and any(mark in text for mark in SEVERAL_SEPARATORS):
        return _read_several(column, value, text)
    return _one_choice(column, text) or Bad(codes.WB006, _choice_message(column, value))


def _one_choice(column: Column, text: str) -> str | None:
    wanted = fold_choice(text)
    return next((choice for choice in column.choices if fold_choice(choice) == wanted), None)


def _choice_message(column: Column, value: CellValue) -> str:
    several = " To name several, separate them with commas." if column.several else ""
    return (
        f"{column.name} must be one of: {', '.join(column.choices)}; but it is {quote(value)}. "
        f"Choose one of those (capitals and spaces do not matter).{several}"
    )


def _read_several(column: Column, value: CellValue, text: str) -> Read:
    for mark in SEVERAL_SEPARATORS[1:]:
        text = text.replace(mark, SEVERAL_SEPARATORS[0])
    chosen: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(SEVERAL_SEPARATORS[0]))):
        choice = _one_choice(column, part)
        if choice is None or choice == MULTIPLE:
            return Bad(codes.WB006, _several_message(column, value, part))
        if choice not in chosen:
            chosen.append(choice)
    if not chosen:
        return Bad(codes.WB006, _choice_message(column, value))
    return chosen[0] if len(chosen) == 1 else Several(tuple(chosen))


def _several_message(column: Column, value: CellValue, part: str) -> str:
    named = ", ".join(c for c in column.choices if c != MULTIPLE)
    return (
        f"{column.name} is {quote(value)}, but {quote(part)} is not one of: {named}. "
        "Name each from that list, separated by commas (capitals and spaces do not matter)."
    )


def fold_choice(text: str) -> str:
    """Text folded for comparing choices: no case, single spaces."""
    return " ".join(text.split()).casefold()


def read_nothing(column: Column, value: CellValue) -> Read:
    """Picture columns take an image placed over the row, so their cell text is ignored."""
    return None


READERS: dict[ColumnKind, Callable[[Column, CellValue], Read]] = {
    ColumnKind.TEXT: read_text,
    ColumnKind.DATE: read_date,
    ColumnKind.WHOLE: read_whole,
    ColumnKind.YESNO: read_yesno,
    ColumnKind.CHOICE: read_choice,
    ColumnKind.PERSON: read_text,
    ColumnKind.CHILD: read_text,
    ColumnKind.CHILDREN: read_text,
    ColumnKind.PEOPLE: read_text,
    ColumnKind.REF: read_text,
    ColumnKind.PICTURE: read_nothing,
    ColumnKind.AUDIENCE: read_text,
}
