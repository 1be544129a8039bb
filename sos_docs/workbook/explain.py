"""Explaining problems in words: the problems.txt and receipt.txt texts, errors first.

A rejected workbook is joined by `<name> - problems.txt` (docs/hot-folder.md, guarantee 6), a
processed one by a receipt listing its documents and warnings. Text files use Windows line endings and a
UTF-8 byte order mark so that every version of Notepad shows the lines, and names such as Siân
or Łukasz, correctly. The marked copy (marked_copy.py) shows the same problems in the workbook.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils.cell import range_boundaries

from sos_docs import codes
from sos_docs.model import CopySummary, Level, Problem
from sos_docs.wording import plural

__all__ = [
    "NEWLINE",
    "WHOLE_WORKBOOK",
    "by_sheet",
    "cell_position",
    "copy_lines",
    "level_word",
    "listing_order",
    "one_line",
    "problems_text",
    "receipt_text",
    "text_file_bytes",
]

NEWLINE = "\r\n"  # Notepad before Windows 10 (1809) shows LF-only files as one long line
WHOLE_WORKBOOK = "The whole workbook"
_MAX_ROW, _MAX_COLUMN = 1_048_576, 16_384  # the size of an Excel sheet


def problems_text(file_name: str, problems: Sequence[Problem]) -> str:
    """The body of `<name> - problems.txt`: the errors, then the warnings, each by sheet and
    cell with its level in a word, and what to do next."""
    lines = [
        f'sos-docs could not turn the workbook "{one_line(file_name)}" into documents.',
        "",
        f"{_count_sentence(problems)} Each line says where the problem is, what is wrong "
        "and how to fix it.",
    ]
    if not problems:
        lines += ["", "No details were recorded. Please tell IT, quoting the workbook's name."]
    errors = [p for p in problems if p.level is Level.ERROR]
    warnings_ = [p for p in problems if p.level is not Level.ERROR]
    if errors:
        lines += ["", f"Errors ({len(errors)}): these stop the documents being made. Fix each one."]
        lines += _grouped_lines(errors)
    if warnings_:
        lines += [
            "",
            f"Warnings ({len(warnings_)}): these do not stop the documents; please check them "
            "while you fix the errors.",
        ]
        lines += _grouped_lines(warnings_)
    lines += ["", _what_to_do_next(problems)]
    return NEWLINE.join(lines) + NEWLINE


def never_opened(problems: Sequence[Problem]) -> bool:
    """True when the file was never opened as a workbook (it is not one, it cannot be read, or
    it is too large or complex): every problem is about the whole file, so there is no cell to
    mark and no marked copy is made."""
    return bool(problems) and all(
        p.sheet is None and p.code in (codes.WB001, codes.SYS001, codes.SYS004) for p in problems
    )


def _what_to_do_next(problems: Sequence[Problem]) -> str:
    if never_opened(problems):
        return (
            "What to do next: do what the line above says, then put the Excel mapping workbook "
            "(.xlsx) into the inbox folder again. If this file was put in the inbox by mistake, "
            "there is nothing more to do: it is kept here in the rejected folder."
        )
    return (
        'What to do next: fix the workbook (the copy ending in "- marked.xlsx" shows each '
        "cell with an error in red and each cell with only warnings in yellow, with a note), "
        "then drop it into the inbox folder again."
    )


def receipt_text(
    file_name: str,
    documents: Sequence[Path],
    problems: Sequence[Problem],
    when: datetime,
    compared_with: Sequence[str] = (),
    copies: Sequence[CopySummary] = (),
) -> str:
    """The body of `<name> - receipt.txt`: the documents made, what each copy for the family
    leaves out, the earlier workbooks a review was read against, and any warnings to check."""
    lines = [
        f'sos-docs made documents from the workbook "{one_line(file_name)}"',
        f"on {_readable_time(when)}.",
        "",
        f"Documents made ({len(documents)}):",
        *(f"  {one_line(document.name)}" for document in documents),
        "",
    ]
    if copies:
        lines += [*copy_lines(copies), ""]
    if compared_with:
        lines += [
            "The review's progress since the last conference was read from:",
            *(f"  {one_line(earlier)}" for earlier in compared_with),
            "",
        ]
    if problems:
        lines.append(
            f"Warnings ({len(problems)}): the documents were made, but please check these "
            "in the workbook and the documents."
        )
        lines += _grouped_lines(problems)
    else:
        lines.append("No warnings.")
    return NEWLINE.join(lines) + NEWLINE


def copy_lines(copies: Sequence[CopySummary]) -> list[str]:
    """Who each copy is for and what it leaves out, by sheet and row, never by what it says."""
    lines = ["Some information is withheld from the family. The copies:"]
    for copy in copies:
        if not copy.leaves_out and copy.for_whom == "professionals only":
            lines.append(
                f"  The {one_line(copy.label)} has everything: give it to professionals only."
            )
            continue
        left = "; ".join(
            f"{one_line(sheet)} {', '.join(one_line(w) for w in where)}"
            for sheet, where in _by_sheet_of(copy.leaves_out)
        )
        lines.append(
            f"  The {one_line(copy.label)}, for {one_line(copy.for_whom)}, leaves out: "
            f"{left or 'nothing (what it is kept from others is in it)'}."
        )
    return lines


def _by_sheet_of(places: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """Each sheet's places once each, rows in order ("row 9, row 10"), labels after them."""
    grouped: dict[str, list[str]] = {}
    for sheet, where in places:
        if where not in grouped.setdefault(sheet, []):
            grouped[sheet].append(where)
    return [(sheet, sorted(wheres, key=_row_order)) for sheet, wheres in grouped.items()]


def _row_order(where: str) -> tuple[int, int, str]:
    number = where.removeprefix("row ")
    return (0, int(number), "") if number.isdigit() else (1, 0, where)


def text_file_bytes(text: str) -> bytes:
    """The text as UTF-8 with a byte order mark, which Notepad and Excel both recognise."""
    return text.encode("utf-8-sig")


def _count_sentence(problems: Sequence[Problem]) -> str:
    """'3 problems were found (2 errors, 1 warning).'"""
    errors = sum(1 for p in problems if p.level is Level.ERROR)
    warnings_ = len(problems) - errors
    was = "problem was" if len(problems) == 1 else "problems were"
    return (
        f"{len(problems)} {was} found ({plural(errors, 'error')}, {plural(warnings_, 'warning')})."
    )


def _grouped_lines(problems: Sequence[Problem]) -> list[str]:
    """A heading per sheet, then its problems, one a line."""
    lines: list[str] = []
    for sheet, group in by_sheet(problems):
        lines += ["", WHOLE_WORKBOOK if sheet is None else f"{one_line(sheet)} sheet"]
        lines += [f"  {_problem_line(p)}" for p in group]
    return lines


def _problem_line(problem: Problem) -> str:
    """`Sheet!Cell - Error: what is wrong and how to fix it (CODE)`."""
    where = one_line(problem.where) if problem.sheet else "Workbook"
    message = _sentence(one_line(problem.message))
    return f"{where} - {level_word(problem)}: {message} ({problem.code})"


def level_word(problem: Problem) -> str:
    """'Error' or 'Warning': every listing says the level in a word, never by colour alone."""
    return "Error" if problem.level is Level.ERROR else "Warning"


def listing_order(problems: Iterable[Problem]) -> list[Problem]:
    """Every error before any warning; within each, by sheet (the whole workbook first, then
    sheets as first mentioned) and by row and column."""
    problems = list(problems)
    return [
        problem
        for level in (Level.ERROR, Level.WARNING)
        for _sheet, group in by_sheet(p for p in problems if p.level is level)
        for problem in group
    ]


def _sentence(text: str) -> str:
    """The text ending as a sentence does (some messages end without a full stop)."""
    return text if not text or text.endswith((".", "!", "?", ":", ")")) else f"{text}."


def by_sheet(problems: Iterable[Problem]) -> list[tuple[str | None, list[Problem]]]:
    """Problems by sheet: the whole workbook (None) first, then sheets as first mentioned."""
    groups: dict[str | None, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(problem.sheet or None, []).append(problem)
    ordered = sorted(groups.items(), key=lambda item: item[0] is not None)  # stable sort
    return [(sheet, sorted(group, key=_reading_order)) for sheet, group in ordered]


def _reading_order(problem: Problem) -> tuple[int, int, int]:
    """Errors before warnings; sheet-wide problems first, then cells by row and column."""
    level = 0 if problem.level is Level.ERROR else 1
    row, column = cell_position(problem.cell) or (0, 0)
    return (level, row, column)


def cell_position(cell: str | None) -> tuple[int, int] | None:
    """(row, column) of the top-left cell of `B4` or `B4:C9`, or None if it is not a cell."""
    if not cell:
        return None
    try:
        min_col, min_row, _max_col, _max_row = range_boundaries(cell.replace("$", "").strip())
    except (ValueError, TypeError):
        return None
    if min_col is None or min_row is None:  # whole columns or rows such as "B:B"
        return None
    if not (1 <= min_row <= _MAX_ROW and 1 <= min_col <= _MAX_COLUMN):
        return None
    return (min_row, min_col)


def one_line(text: str) -> str:
    """The text on one line, without control characters a text file or Excel would choke on."""
    return " ".join(ILLEGAL_CHARACTERS_RE.sub(" ", str(text)).split())


def _readable_time(when: datetime) -> str:
    """'1 May 2024 at 14:03 UTC' (the zone only when the time carries one)."""
    text = f"{when.day} {when:%B %Y} at {when:%H:%M}"
    zone = when.tzname()
    return f"{text} {zone}" if zone else text
