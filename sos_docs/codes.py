"""Every problem code sos-docs reports, with its level and one-line meaning: the one table.

Modules name a code by its constant here (`codes.WB004`), never by a literal, and a Problem's
level comes from this table (`codes.level_of`). docs/workbook-format.md lists the same codes
with the same levels; tests/test_codes.py checks the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from sos_docs.model import Level, Problem

ERROR = Level.ERROR
WARNING = Level.WARNING


@dataclass(frozen=True)
class ProblemCode:
    """One code: what it is called, how serious it is, and what it means in one line."""

    code: str
    level: Level
    meaning: str


_TABLE: dict[str, ProblemCode] = {}


def _code(code: str, level: Level, meaning: str) -> str:
    """Enter a code in the table once, and give back its name for the module constant."""
    if code in _TABLE:
        raise ValueError(f"problem code {code} is defined twice")
    _TABLE[code] = ProblemCode(code, level, meaning)
    return code


# The workbook's form: files, sheets, columns and cell values (docs/workbook-format.md, Rules).
WB001 = _code("WB001", ERROR, "The file cannot be opened as an Excel workbook.")
WB002 = _code("WB002", ERROR, "A required sheet is missing.")
WB003 = _code("WB003", ERROR, "A table's header row or a required column is missing.")
WB004 = _code("WB004", ERROR, "A required value is empty.")
WB005 = _code("WB005", ERROR, "A value has the wrong type (not a date, whole number or yes/no).")
WB006 = _code("WB006", ERROR, "A choice value is not one of the allowed values.")
WB007 = _code("WB007", ERROR, "A formula cell has no saved value.")
WB008 = _code("WB008", ERROR, "An ID is used twice in one sheet.")
WB009 = _code("WB009", ERROR, "A reference points to an ID or name that does not exist.")
WB010 = _code("WB010", WARNING, "A hidden sheet was not read (documents use what a person sees).")
WB011 = _code("WB011", WARNING, "Values on hidden rows or columns were left out.")
WB012 = _code("WB012", WARNING, "Values hidden by their format or white text were left out.")
WB013 = _code(
    "WB013", ERROR, "The workbook's Format is one this sos-docs does not read (only 1 and 2)."
)
# Workbooks in another shape (docs/workbook-format.md, The one-page map).
WB014 = _code(
    "WB014",
    ERROR,
    "The workbook is in none of the shapes sos-docs reads (its own workbook, a one-page map).",
)
WB015 = _code(
    "WB015",
    ERROR,
    "A one-page map's section label, item or scale row is where sos-docs cannot read it.",
)
# A team's own workbook read through its layout (README, Team layouts).
WB016 = _code(
    "WB016", ERROR, "A sheet, heading or label the team's layout names is not in the workbook."
)

# Signs of Safety rules that stop the documents.
SOS101 = _code("SOS101", ERROR, "There is no danger statement.")
SOS102 = _code("SOS102", ERROR, "A danger statement has no safety goal.")
SOS103 = _code("SOS103", ERROR, "A next step has no named person or no date.")
SOS104 = _code("SOS104", ERROR, "A scaling score is outside 0 to 10.")
SOS105 = _code("SOS105", ERROR, "A scaling score has no reason.")
SOS106 = _code("SOS106", ERROR, "A child (not unborn) has no entry in Child's views.")
SOS107 = _code("SOS107", ERROR, "A child protection plan is recommended with no category of harm.")
SOS108 = _code(
    "SOS108",
    ERROR,
    "A conference report says neither when it was shared with the parents nor why not.",
)
SOS109 = _code("SOS109", ERROR, "A child's date of birth or expected due date is impossible.")
SOS110 = _code(
    "SOS110",
    ERROR,
    "The mapping date is in the future, or a new plan's next step is due before it.",
)
SOS111 = _code(
    "SOS111",
    ERROR,
    "A recommendation does not fit the meeting type or the child's legal status.",
)
SOS112 = _code(
    "SOS112",
    ERROR,
    "A Multiple category does not name two known categories, or names an unknown one.",
)
SOS113 = _code(
    "SOS113",
    ERROR,
    "A plan start date or an earlier score's date is after the mapping date.",
)
SOS114 = _code(
    "SOS114",
    ERROR,
    "Withhold from names someone who is not a family member or friend on the People sheet.",
)
SOS115 = _code("SOS115", ERROR, "A Case value that every copy needs is marked to be withheld.")

# Signs of Safety rules that travel with the documents as warnings.
SOS201 = _code("SOS201", WARNING, "More than three danger statements.")
SOS202 = _code("SOS202", WARNING, "Nothing is recorded under existing safety.")
SOS203 = _code("SOS203", WARNING, "A safety network member does not know the worries.")
SOS204 = _code("SOS204", WARNING, "A next step's person is not on the People sheet.")
SOS205 = _code(
    "SOS205",
    WARNING,
    "A words and pictures story is made but the parents have not agreed it: it is marked DRAFT.",
)
SOS206 = _code(
    "SOS206", WARNING, "A child has no score of their own, or the author has not scored."
)
SOS207 = _code(
    "SOS207",
    WARNING,
    "A danger statement uses a professional label instead of describing behaviour.",
)
SOS208 = _code("SOS208", WARNING, "A pre-birth conference has no birth and discharge plan.")
SOS209 = _code(
    "SOS209",
    WARNING,
    "The report is dated after the meeting, or after it was shared with the parents.",
)
SOS210 = _code("SOS210", WARNING, "A conference report has no manager's approval.")
SOS211 = _code(
    "SOS211",
    WARNING,
    "The report reached the parents fewer working days before the conference than it should.",
)
SOS212 = _code(
    "SOS212",
    WARNING,
    "A meeting that is not a conference has a recommendation or category, which is not used.",
)
SOS213 = _code("SOS213", WARNING, "A disputed harm row lacks who disputes it or their account.")
SOS214 = _code("SOS214", WARNING, "A person gives two views about the same thing.")
SOS215 = _code("SOS215", WARNING, "A pre-birth conference has no unborn child.")
SOS216 = _code("SOS216", WARNING, "A review conference child on a plan has no plan start date.")
# A review's earlier conferences (README, Review conferences): the documents are still made.
SOS220 = _code(
    "SOS220", WARNING, "An earlier workbook of this case could not be used for the review."
)
SOS221 = _code("SOS221", WARNING, "A review has no earlier workbook and no Previous scaling rows.")
# The words and pictures story (docs/documents.md, The words and pictures story).
SOS230 = _code(
    "SOS230", WARNING, "A safety rule has no words for the children; the story uses the rule."
)
SOS231 = _code("SOS231", WARNING, "A Words and pictures page is for a child who gets no story.")
# Whose words go where (docs/documents.md, Copies for the family).
SOS222 = _code(
    "SOS222",
    WARNING,
    "A child aged 12 or over has no Consent to share: their words are kept from the family.",
)
SOS223 = _code(
    "SOS223",
    WARNING,
    "A row shared with the family refers to a withheld row: a family copy shows it without it.",
)

# Codes the service adds when a job cannot finish (docs/workbook-format.md, Codes the service adds).
SYS001 = _code("SYS001", ERROR, "sos-docs hit an internal error on this workbook.")
SYS002 = _code("SYS002", ERROR, "The workbook was valid but its documents could not be made.")
SYS003 = _code(
    "SYS003", ERROR, "The folder for the documents is not a plain folder inside reports/."
)
SYS004 = _code("SYS004", ERROR, "The workbook is too large or too complex to process in time.")

# Codes for what could not be shown or copied; the documents were still made.
DOC001 = _code(
    "DOC001",
    WARNING,
    "Something in the workbook (such as a picture) could not be shown in a document.",
)
DOC002 = _code("DOC002", WARNING, "A PDF copy could not be made; the Word documents were.")
DOC003 = _code("DOC003", WARNING, "The case reference has no visible characters to name a folder.")


CODES: Mapping[str, ProblemCode] = MappingProxyType(_TABLE)


def level_of(code: str) -> Level:
    """The level of a code from the table; an unknown code is a programming error (KeyError)."""
    return _TABLE[code].level


def problem(code: str, sheet: str | None, cell: str | None, message: str) -> Problem:
    """A Problem at its code's level, where it is and what to do about it."""
    return Problem(code, level_of(code), sheet, cell, message)
