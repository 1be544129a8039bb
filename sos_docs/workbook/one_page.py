"""Reads a one-page map: one sheet with the three questions as column headings, into the standard sheets.

The published Signs of Safety mapping form is one page: "What are we worried about?",
"What's working well?" and "What needs to happen?" across the top, section labels ("Harm",
"Danger statements", "Existing safety", "Next steps" ...) splitting each column, grey areas
along the bottom and the scale underneath. `reshape_map` turns such a sheet into the standard
sheets (Case, Children, People, Harm, Danger statements ...), with generated IDs, and records
for every value where it really is (`RawWorkbook.origins`), so that validation, the rules and
the documents run unchanged and every problem points at the team's own cell.

A question owns the columns from its heading to the next heading, so a heading merged across
two columns (the reader gives a merged value only in its top-left cell) takes both. Within a
column, each row's first value is one item (or several: lines within a cell, Alt+Enter,
bullets or numbering, are items of their own); later values on the row are a next step's who
and by when, or items of their own elsewhere. Other standard sheets in the workbook (People,
Child's views, Safety plan ...) are read as they are, beside the map.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sos_docs import codes
from sos_docs.loading import LazyPattern
from sos_docs.model import CellOrigin, CellValue, Problem, RawSheet, RawWorkbook
from sos_docs.workbook import schema
from sos_docs.workbook.cells import as_text, format_date, is_blank, parse_date_text
from sos_docs.workbook.map_headings import (
    NEEDS,
    QUESTION_HEADINGS,
    WORKING_WELL,
    WORRIED,
    MapHeadings,
    find_map,
    fold,
    headings_not_found,
)
from sos_docs.workbook.map_headings import a1 as _a1

__all__ = [
    "ONE_PAGE_SHAPE",
    "QUESTION_HEADINGS",
    "SECTION_LABELS",
    "MapHeadings",
    "find_map",
    "headings_not_found",
    "label_of",
    "reshape_map",
    "split_items",
]

ONE_PAGE_SHAPE = "a one-page map"

# The parts of the map, each the standard sheet (or Working well type) it fills.
HARM, DANGER, COMPLICATING, GREY = "Harm", "Danger statements", "Complicating factors", "Grey areas"
SAFETY, STRENGTH = "Existing safety", "Existing strength"
GOALS, STEPS = "Safety goals", "Next steps"
PART_QUESTION: Mapping[str, str] = {
    HARM: WORRIED,
    DANGER: WORRIED,
    COMPLICATING: WORRIED,
    GREY: WORRIED,
    SAFETY: WORKING_WELL,
    STRENGTH: WORKING_WELL,
    GOALS: NEEDS,
    STEPS: NEEDS,
}
SECTION_LABELS: Mapping[str, tuple[str, ...]] = {
    HARM: ("harm", "past harm", "harm statement", "harm statements"),
    DANGER: ("danger statement", "danger statements", "dangers", "danger", "worry statements"),
    COMPLICATING: ("complicating factors", "complicating factor", "complicating"),
    GREY: ("grey areas", "grey area", "gray areas", "gray area", "grey", "unknowns"),
    SAFETY: ("existing safety", "safety", "acts of protection"),
    STRENGTH: ("strengths", "strength", "existing strengths", "existing strength"),
    GOALS: ("safety goals", "safety goal", "goals", "goal"),
    STEPS: ("next steps", "next step", "actions", "immediate next steps"),
}
SCALE_LABELS = frozenset(
    {"scale", "scaling", "scaling question", "safety scale", "scaling scores", "scores"}
)
_LABELS = {alias: part for part, aliases in SECTION_LABELS.items() for alias in aliases}

_BULLET = LazyPattern(
    r"^(?:[\u2022\u25e6\u25aa\u25cf\u2023\u2043\u2219*\-\u2013\u2014]|\d{1,3}[.)]|[a-z][.)])\s+"
)
_LABEL_WITH_TEXT = LazyPattern(r"^(?P<label>[^:]{1,40}):\s*(?P<rest>.+)$", re.DOTALL)
_SCORE_TEXT = LazyPattern(
    r"^(?P<name>[^:=]+?)\s*[:=\-\u2013\u2014]\s*(?P<score>\d{1,2})(?:\s*/\s*10)?"
    r"(?:\s*(?:[-\u2013\u2014,:;.]|because)\s*(?P<reason>.*))?$",
    re.DOTALL | re.IGNORECASE,
)
_SCALE_END = LazyPattern(r"^(?P<end>10|0)\s*(?:=|means|:|-|\u2013|\u2014|is)\s*(?P<words>.+)$")
_DANGER_REF = LazyPattern(
    r"^(?:d|ds|danger|danger statement|statement)\s*(?P<number>\d{1,2})$|^(?P<bare>\d{1,2})$"
)
_OVERALL = frozenset({"overall", "overall score", "all", "score", "scores", "overall safety"})
_REASON = frozenset({"reason", "why", "reasons", "because"})
_HIGHER = frozenset({"one point higher", "what would make it one point higher", "1 point higher"})
_NAME = frozenset({"name", "person", "who", "participant", "people", ""})
_BY = LazyPattern(r"^(?:by|due|before|by when)\s*:?\s+(?P<date>.+)$", re.IGNORECASE)
_GOAL_REF = LazyPattern(r"^(?:g|goal|safety goal|for goal)\s*(?P<number>\d{1,2})$", re.IGNORECASE)
_STATUSES = {status.casefold(): status for status in schema.STEP_STATUSES}
# "... - for 6 months" or "... (for 6 months)" after a safety goal: how long it must be kept up.
_SUSTAINED = LazyPattern(
    r"^(?P<goal>.+?)\s*(?:[-\u2013\u2014]\s*|\(\s*)(?:kept up |sustained )?for\s+"
    r"(?P<months>\d{1,2})\s+months?\s*\)?\.?$",
    re.IGNORECASE | re.DOTALL,
)
# "24/07/2026: what happened" (or "24 July 2026: ..."): a harm item with its date.
_DATED = LazyPattern(r"^(?P<date>\d[\w /.\-]{5,18}?)\s*:\s*(?P<rest>.+)$", re.DOTALL)
_CHILD_HEADINGS = frozenset({"child", "about", "about child", "about which child", "for child"})
_STEP_SEPARATOR = LazyPattern(r"\s+[\u2013\u2014|]\s+|\s+-\s+")
_CHILD_LINE = LazyPattern(
    r"^(?P<name>.+?)\s*(?:[,(\-\u2013\u2014]\s*(?P<due>due|edd|expected)?\s*:?\s*"
    r"(?:born|dob|d\.o\.b\.?)?\s*:?\s*(?P<date>[0-9][^)]*?)\)?)?$",
    re.IGNORECASE,
)
_BRACKETED = LazyPattern(r"^(?P<name>.+?)\s*\((?P<relationship>[^()]+)\)$")
# Words in a relationship that say a person's role (People's Role column).
_ROLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Parent", ("mother", "father", "mum", "dad", "parent", "stepfather", "stepmother")),
    ("Carer", ("carer", "foster", "guardian")),
    (
        "Professional",
        (
            "social worker",
            "teacher",
            "health visitor",
            "nurse",
            "doctor",
            "gp",
            "police",
            "officer",
            "worker",
            "safeguarding",
            "midwife",
            "practitioner",
            "head",
            "manager",
            "therapist",
            "school",
        ),
    ),
    ("Friend", ("friend", "neighbour", "neighbor")),
    (
        "Family",
        ("grand", "nan", "aunt", "uncle", "cousin", "brother", "sister", "nanna", "grandad"),
    ),
)
_CHILDREN_LABELS = frozenset(
    {"children", "child", "child's name", "children's names", "child name", "names of children"}
)
_ONE_PAGE_CASE_ALIASES: Mapping[str, str] = {"date": "Mapping date", "worker": "Report author"}
# A note after a case label saying when it is needed ("Recommendation (conferences)", as the
# blank map writes it): the label is read without it.
_LABEL_NOTE = LazyPattern(
    r"\s*\((?:for |at |only at |only for )?(?:a )?conferences?(?: only)?\)\s*$", re.IGNORECASE
)


# --------------------------------------------------------------------------------------------
# Recognising the map


def label_of(text: str) -> tuple[str, str] | None:
    """The part a section label names and the text after it ("Harm: ..."), or None."""
    folded = fold(text)
    if folded in _LABELS:
        return _LABELS[folded], ""
    match = _LABEL_WITH_TEXT.match(text.strip())
    if match and fold(match.group("label")) in _LABELS:
        return _LABELS[fold(match.group("label"))], match.group("rest").strip()
    return None


# --------------------------------------------------------------------------------------------
# Splitting a cell into items


def split_items(text: str) -> list[str]:
    """The items a cell holds: one a line, bullets and numbering taken off.

    When some lines start with a bullet or a number, a line without one continues the item
    above it (a long item typed over two lines).
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    marked = any(_BULLET.match(line) for line in lines)
    items: list[str] = []
    for line in lines:
        bare = _BULLET.sub("", line, count=1).strip()
        if marked and not _BULLET.match(line) and items:
            items[-1] = f"{items[-1]} {bare}"
        elif bare:
            items.append(bare)
    return items


# --------------------------------------------------------------------------------------------
# The standard sheets being built


@dataclass
class SheetBuilder:
    """One standard sheet being filled: its header on row 1, a record a row below it."""

    name: str
    headers: tuple[str, ...]
    cells: dict[tuple[int, int], CellValue] = field(default_factory=dict)
    origins: dict[tuple[str, str], CellOrigin] = field(default_factory=dict)
    rows: int = 1

    def __post_init__(self) -> None:
        for number, header in enumerate(self.headers, start=1):
            self.cells[(1, number)] = header

    def add(self, values: Mapping[str, CellValue], origin: CellOrigin, **own: CellOrigin) -> int:
        """A record: its values by header; every cell of the row points at `origin`, a value
        that came from elsewhere at its own (`own`, by header with spaces as underscores)."""
        self.rows += 1
        for number, header in enumerate(self.headers, start=1):
            value = values.get(header)
            if not is_blank(value):
                self.cells[(self.rows, number)] = value
            where = own.get(header.replace(" ", "_").replace("'", ""), origin)
            self.origins[(self.name, _a1(self.rows, number))] = where
        return self.rows

    def sheet(self) -> RawSheet:
        """The sheet as the reader would have given it."""
        width = max((column for _row, column in self.cells), default=len(self.headers))
        return RawSheet(self.name, dict(self.cells), self.rows, max(width, len(self.headers)))


def _headers(contract: schema.Sheet) -> tuple[str, ...]:
    return tuple(c.name for c in contract.columns if c.kind is not schema.ColumnKind.PICTURE)


# --------------------------------------------------------------------------------------------
# Reading the map


@dataclass(frozen=True)
class Item:
    """One thing written on the map, where it is, and the values beside it on its row."""

    text: str
    row: int
    column: int
    beside: tuple[tuple[CellValue, int], ...] = ()  # (value, column) later on the row

    def origin(self, title: str) -> CellOrigin:
        """The team's cell the item is in."""
        return CellOrigin(title, _a1(self.row, self.column))


@dataclass
class MapReading:
    """What has been read from the map so far."""

    title: str
    parts: dict[str, list[Item]] = field(default_factory=dict)
    labels: dict[str, tuple[int, int]] = field(default_factory=dict)  # part -> label cell
    problems: list[Problem] = field(default_factory=list)

    def problem(self, row: int, column: int, message: str) -> None:
        """A WB015 problem at a cell of the map."""
        self.problems.append(codes.problem(codes.WB015, self.title, _a1(row, column), message))


def reshape_map(raw: RawWorkbook, headings: MapHeadings) -> RawWorkbook:
    """The standard sheets a one-page map says, with every value's origin on the map."""
    sheet = headings.sheet
    reading = MapReading(sheet.title)
    columns = _question_columns(headings)
    top = min(row for row, _ in headings.found.values())
    scale_row = _scale_row(sheet, top)
    grey_row = _grey_row(sheet, top, scale_row)
    for question, (first, last) in columns.items():
        heading_row = headings.found[question][0]
        _read_column(sheet, reading, question, (heading_row + 1, grey_row - 1), (first, last))
    if grey_row < scale_row:
        reading.labels.setdefault(GREY, (grey_row, _label_column(sheet, grey_row)))
        _read_rows(sheet, reading, GREY, (grey_row, scale_row - 1), (1, sheet.max_column))
    others = {s.title for s in raw.sheets if s is not sheet}
    return _standard_workbook(raw, sheet, headings, reading, scale_row, others)


def _question_columns(headings: MapHeadings) -> dict[str, tuple[int, int]]:
    """Each question's columns: from its heading to the column before the next heading."""
    ordered = sorted(headings.found.items(), key=lambda item: item[1][1])
    spans: dict[str, tuple[int, int]] = {}
    for index, (question, (_row, column)) in enumerate(ordered):
        last = ordered[index + 1][1][1] - 1 if index + 1 < len(ordered) else column + 2
        spans[question] = (column, max(column, last))
    return spans


def _texts(sheet: RawSheet, row: int, span: tuple[int, int]) -> list[tuple[str, int]]:
    """The non-empty values of one row within columns `span`, as text, left to right."""
    return [
        (as_text(sheet.cells[(row, column)]), column)
        for column in range(span[0], span[1] + 1)
        if not is_blank(sheet.cells.get((row, column)))
    ]


def _scale_row(sheet: RawSheet, top: int) -> int:
    """The row of the scale's label (below the headings), else one past the last row."""
    for (row, _column), value in sorted(sheet.cells.items()):
        if row > top and isinstance(value, str) and _is_scale_label(value):
            return row
    return sheet.max_row + 1


def _is_scale_label(text: str) -> bool:
    folded = fold(text)
    return folded in SCALE_LABELS or folded.startswith(("scaling question", "on a scale of"))


def _grey_row(sheet: RawSheet, top: int, scale_row: int) -> int:
    """The row of the "Grey areas" label, which runs along the bottom of the three columns
    (everything below it, up to the scale, is grey areas), else the scale's row."""
    for (row, _column), value in sorted(sheet.cells.items()):
        if top < row < scale_row and isinstance(value, str):
            found = label_of(value)
            if found is not None and found[0] == GREY:
                return row
    return scale_row


def _label_column(sheet: RawSheet, row: int) -> int:
    return next((c for r, c in sorted(sheet.cells) if r == row), 1)


def _read_column(
    sheet: RawSheet,
    reading: MapReading,
    question: str,
    rows: tuple[int, int],
    span: tuple[int, int],
) -> None:
    """The parts of one question's columns, split by their section labels."""
    part: str | None = STRENGTH if question == WORKING_WELL else None
    seen: dict[str, tuple[int, int]] = {}
    unlabelled: list[tuple[int, int]] = []
    for row in range(rows[0], rows[1] + 1):
        texts = _texts(sheet, row, span)
        if not texts:
            continue
        text, column = texts[0]
        found = label_of(text)
        if found is not None:
            part = _labelled_part(reading, question, found[0], (row, column), seen)
            text = found[1]
            if not text:
                texts = texts[1:]
                if not texts:
                    continue
                text, column = texts[0]
        if part is None:
            unlabelled.append((row, column))
            continue
        _add_items(reading, part, row, [(text, column), *texts[1:]])
    if unlabelled:
        _unlabelled_problem(reading, question, unlabelled)


def _labelled_part(
    reading: MapReading,
    question: str,
    part: str,
    where: tuple[int, int],
    seen: dict[str, tuple[int, int]],
) -> str | None:
    """The part a label starts, or None (with a problem) when it is out of place."""
    if PART_QUESTION[part] != question:
        reading.problem(
            *where,
            f'The label "{part}" at {_a1(*where)} is under "{QUESTION_HEADINGS[question]}", '
            f'but {part.lower()} belong under "{QUESTION_HEADINGS[PART_QUESTION[part]]}". '
            "Move the label and what is under it to that column.",
        )
        return None
    if part in seen:
        reading.problem(
            *where,
            f'{_a1(*where)} is a second "{part}" label in this column (the first is at '
            f"{_a1(*seen[part])}), so sos-docs cannot tell which to use. Put all the "
            f"{part.lower()} under one label, one a cell or one a line, and delete this label.",
        )
        return None
    seen[part] = where
    reading.labels.setdefault(part, where)
    return part


def _unlabelled_problem(
    reading: MapReading, question: str, cells: Sequence[tuple[int, int]]
) -> None:
    """One problem for the values of a column that are under no section label it can read."""
    wanted = [p for p, q in PART_QUESTION.items() if q == question and p != GREY]
    listed = " or ".join(f'"{p}"' for p in wanted)
    shown = ", ".join(_a1(*cell) for cell in cells[:5])
    reading.problem(
        *cells[0],
        f'{shown} under "{QUESTION_HEADINGS[question]}" {"is" if len(cells) == 1 else "are"} '
        f"not under a section label sos-docs can read, so it cannot tell what "
        f"{'it is' if len(cells) == 1 else 'they are'}. Put a label ({listed}) in a cell of "
        "its own above them.",
    )


def _read_rows(
    sheet: RawSheet, reading: MapReading, part: str, rows: tuple[int, int], span: tuple[int, int]
) -> None:
    """Every value in a block of rows as items of one part (the grey areas along the bottom)."""
    for row in range(rows[0], rows[1] + 1):
        for text, column in _texts(sheet, row, span):
            found = label_of(text)
            if found is not None and found[0] == GREY:
                text = found[1]
            if text:
                _add_items(reading, part, row, [(text, column)])


def _add_items(reading: MapReading, part: str, row: int, texts: list[tuple[str, int]]) -> None:
    """A row's values as items: a next step keeps the values beside it (who, by when);
    elsewhere each value is items of its own."""
    items = reading.parts.setdefault(part, [])
    if part == STEPS:
        text, column = texts[0]
        beside = tuple((value, col) for value, col in texts[1:])
        items.extend(Item(line, row, column, beside) for line in split_items(text))
        return
    for text, column in texts:
        items.extend(Item(line, row, column) for line in split_items(text))


# --------------------------------------------------------------------------------------------
# The scale


@dataclass(frozen=True)
class MapScore:
    """One score read from the scale: who, which danger statement ("" overall), where."""

    name: str
    score: CellValue
    danger_number: int | None
    reason: str
    one_point_higher: str
    name_cell: tuple[int, int]
    score_cell: tuple[int, int]
    reason_cell: tuple[int, int] | None = None
    child: str = ""  # a grid's Child column: the child the score is about ("" all)
    child_cell: tuple[int, int] | None = None


@dataclass
class ScaleReading:
    """The scale's scores and the wording of its two ends."""

    scores: list[MapScore] = field(default_factory=list)
    zero: tuple[str, tuple[int, int]] | None = None
    ten: tuple[str, tuple[int, int]] | None = None


def read_scale(sheet: RawSheet, reading: MapReading, start: int) -> ScaleReading:
    """The scale below its label: a grid (people down, danger statements across) or a list."""
    scale = ScaleReading()
    row = start
    while row <= sheet.max_row:
        texts = _texts(sheet, row, (1, sheet.max_column))
        row += 1
        if not texts:
            continue
        if _scale_wording(scale, texts, row - 1) or _is_scale_label(texts[0][0]):
            continue
        grid = _grid_header(texts)
        if grid is not None:
            row = _read_grid(sheet, reading, scale, grid, row)
        else:
            _read_list_row(sheet, reading, scale, row - 1, texts)
    return scale


def _scale_wording(scale: ScaleReading, texts: list[tuple[str, int]], row: int) -> bool:
    """Lines saying what 0 and 10 mean ("0 = ...", "10 means ..."); True when the row had one."""
    found = False
    for text, column in texts:
        for line in text.splitlines():
            match = _SCALE_END.match(line.strip())
            if match:
                words = (match.group("words").strip(), (row, column))
                if match.group("end") == "0":
                    scale.zero = words
                else:
                    scale.ten = words
                found = True
    return found


def _grid_header(texts: list[tuple[str, int]]) -> dict[int, str] | None:
    """A grid's heading row as column -> "name", "overall", "reason", "higher" or "D<n>"."""
    kinds: dict[int, str] = {}
    for text, column in texts:
        folded = fold(text)
        ref = _DANGER_REF.match(folded)
        if folded in _OVERALL:
            kinds[column] = "overall"
        elif ref:
            kinds[column] = f"D{ref.group('number') or ref.group('bare')}"
        elif folded in _REASON:
            kinds[column] = "reason"
        elif folded in _HIGHER:
            kinds[column] = "higher"
        elif folded in _CHILD_HEADINGS:
            kinds[column] = "child"
        elif folded in _NAME:
            kinds[column] = "name"
        else:
            return None
    if not any(k == "overall" or k.startswith("D") for k in kinds.values()):
        return None
    return kinds


def _read_grid(
    sheet: RawSheet, reading: MapReading, scale: ScaleReading, header: dict[int, str], row: int
) -> int:
    """The grid's rows from `row` to the first empty row; the row after it."""
    score_columns = sorted(c for c, k in header.items() if k == "overall" or k.startswith("D"))
    name_column = next((c for c, k in header.items() if k == "name"), max(score_columns[0] - 1, 1))
    reason_column = next((c for c, k in header.items() if k == "reason"), None)
    higher_column = next((c for c, k in header.items() if k == "higher"), None)
    child_column = next((c for c, k in header.items() if k == "child"), None)
    while row <= sheet.max_row:
        if not _texts(sheet, row, (1, sheet.max_column)):
            return row + 1
        name = as_text(sheet.cells.get((row, name_column)))
        scored = [c for c in score_columns if not is_blank(sheet.cells.get((row, c)))]
        if scored and not name:
            reading.problem(
                row,
                name_column,
                f"Row {row} of the scale has scores ({', '.join(_a1(row, c) for c in scored)}) "
                f"but no name in {_a1(row, name_column)}, so sos-docs cannot tell whose they "
                "are. Type the name of the person who gave them.",
            )
        for column in scored if name else ():
            kind = header[column]
            scale.scores.append(
                MapScore(
                    name=name,
                    score=sheet.cells[(row, column)],
                    danger_number=None if kind == "overall" else int(kind[1:]),
                    reason=_text_at(sheet, row, reason_column),
                    one_point_higher=_text_at(sheet, row, higher_column),
                    name_cell=(row, name_column),
                    score_cell=(row, column),
                    reason_cell=(row, reason_column) if reason_column else (row, column),
                    child=_text_at(sheet, row, child_column),
                    child_cell=(row, child_column) if child_column else None,
                )
            )
        row += 1
    return row


def _text_at(sheet: RawSheet, row: int, column: int | None) -> str:
    return as_text(sheet.cells.get((row, column))) if column else ""


def _read_list_row(
    sheet: RawSheet,
    reading: MapReading,
    scale: ScaleReading,
    row: int,
    texts: list[tuple[str, int]],
) -> None:
    """One row of a scale written as a list: "Name: 6 - reason", or name | score | reason."""
    first, column = texts[0]
    if fold(first) in _NAME and len(texts) > 1 and not texts[1][0].isdigit():
        return  # a heading row: Name | Score | Reason
    match = _SCORE_TEXT.match(first)
    if match and len(texts) == 1:
        scale.scores.append(
            MapScore(
                match.group("name").strip(),
                int(match.group("score")),
                None,
                (match.group("reason") or "").strip(),
                "",
                (row, column),
                (row, column),
                (row, column),
            )
        )
        return
    if len(texts) < 2 or not first:
        reading.problem(
            row,
            column,
            f"{_a1(row, column)} is in the scale but is not a score sos-docs can read. Write "
            'each score as "Name: 6 - why", or the name, the score and the reason in cells '
            "side by side.",
        )
        return
    _score, score_column = texts[1]
    reason = texts[2] if len(texts) > 2 else ("", score_column)
    higher = texts[3][0] if len(texts) > 3 else ""
    scale.scores.append(
        MapScore(
            first,
            sheet.cells[(row, score_column)],
            None,
            reason[0],
            higher,
            (row, column),
            (row, score_column),
            (row, reason[1]),
        )
    )


# --------------------------------------------------------------------------------------------
# The case block


@dataclass
class CaseBlock:
    """The labelled values above the headings: Case values, and the children."""

    values: dict[str, tuple[CellValue, tuple[int, int]]] = field(default_factory=dict)
    children: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    first_cell: tuple[int, int] | None = None
    children_cell: tuple[int, int] | None = None


def read_case_block(sheet: RawSheet, top: int) -> CaseBlock:
    """Label/value pairs above the headings ("Case reference" | "CP-1", or "Case ref: CP-1")."""
    labels = {
        schema.normalise_label(n): c.name for c in schema.CASE.columns for n in (c.name, *c.aliases)
    }
    labels.update(_ONE_PAGE_CASE_ALIASES)
    block = CaseBlock()
    for row in range(1, top):
        for (text, column), value_cell in _pairs(sheet, row):
            label, value, where = _block_value(sheet, text, column, value_cell, row)
            key = fold(_LABEL_NOTE.sub("", label))
            if key in _CHILDREN_LABELS or key in labels:
                block.first_cell = block.first_cell or (row, column)
            if key in _CHILDREN_LABELS and value is not None:
                block.children.extend((line, where) for line in split_items(as_text(value)))
            if key in _CHILDREN_LABELS:
                block.children_cell = block.children_cell or where
            elif key in labels:
                block.values.setdefault(labels[key], (value, where))
    return block


def _pairs(sheet: RawSheet, row: int) -> list[tuple[tuple[str, int], int | None]]:
    """Each text cell of a row with the column of the value to its right (None: none)."""
    texts = _texts(sheet, row, (1, sheet.max_column))
    return [
        ((text, column), texts[index + 1][1] if index + 1 < len(texts) else None)
        for index, (text, column) in enumerate(texts)
    ]


def _block_value(
    sheet: RawSheet, text: str, column: int, value_column: int | None, row: int
) -> tuple[str, CellValue, tuple[int, int]]:
    """A label's value: after its colon in the same cell, else the cell to its right."""
    match = _LABEL_WITH_TEXT.match(text)
    if match and schema.normalise_label(match.group("label")):
        return match.group("label"), match.group("rest").strip(), (row, column)
    if value_column is None:
        return text, None, (row, column + 1)
    return text, sheet.cells[(row, value_column)], (row, value_column)


# --------------------------------------------------------------------------------------------
# The standard workbook


def _standard_workbook(
    raw: RawWorkbook,
    sheet: RawSheet,
    headings: MapHeadings,
    reading: MapReading,
    scale_row: int,
    others: set[str],
) -> RawWorkbook:
    """The map's standard sheets, with the workbook's other standard sheets beside them."""
    title = sheet.title
    top = min(row for row, _ in headings.found.values())
    block = read_case_block(sheet, top)
    scale = read_scale(sheet, reading, scale_row) if scale_row <= sheet.max_row else ScaleReading()
    builders: list[SheetBuilder] = []
    sheet_origins: dict[str, CellOrigin] = {}
    kept = {schema.normalise_label(t) for t in others}

    def has(contract: schema.Sheet) -> bool:
        return bool(schema.sheet_names_for(contract) & kept)

    heading_cell = {q: CellOrigin(title, _a1(*where)) for q, where in headings.found.items()}
    block_origin = CellOrigin(title, _a1(*(block.first_cell or (1, 1))))
    children_names = [line for line, _ in block.children]
    people = None if has(schema.PEOPLE) else _People(title, set(), _agency(block))
    author = block.values.get("Report author")
    if people is not None and author is not None:
        bare = people.add(as_text(author[0]), CellOrigin(title, _a1(*author[1])), author=True)
        block.values["Report author"] = (bare, author[1])
    author_cell = None
    if not has(schema.CASE):
        case_sheet = _case_sheet(block, scale, title)
        builders.append(case_sheet)
        sheet_origins["Case"] = block_origin
        author_cell = next(
            (
                _a1(r, 2)
                for (r, c), v in case_sheet.cells.items()
                if c == 1 and v == "Report author"
            ),
            None,
        )
    if not has(schema.CHILDREN):
        children = _children_sheet(block, title)
        children_names = [as_text(v) for (r, c), v in children.cells.items() if r > 1 and c == 2]
        builders.append(children)
        sheet_origins["Children"] = (
            CellOrigin(title, _a1(*block.children_cell)) if block.children_cell else block_origin
        )
    danger_ids = _worry_sheets(reading, title, builders, sheet_origins, heading_cell)
    _working_well_sheet(reading, title, builders, sheet_origins, heading_cell)
    _goal_sheet(reading, title, danger_ids, builders, sheet_origins, heading_cell)
    if people is not None:
        people.children = set(children_names)
    _steps_sheet(reading, title, builders, sheet_origins, heading_cell, block, people)
    scaling = _scaling_sheet(scale, title, people)
    builders.append(scaling)
    sheet_origins["Scaling"] = (
        CellOrigin(title, _a1(scale_row, 1)) if scale_row <= sheet.max_row else heading_cell[NEEDS]
    )
    if people is not None:
        builders.append(people.builder)
        sheet_origins["People"] = people.first or sheet_origins["Scaling"]
    rest = tuple(s for s in raw.sheets if s is not sheet)
    builders = _beside_the_map(builders, rest, reading, sheet_origins)
    origins: dict[tuple[str, str], CellOrigin] = {}
    for builder in builders:
        origins.update(builder.origins)
    return RawWorkbook(
        raw.path_name,
        (*(b.sheet() for b in builders), *rest),
        shape=ONE_PAGE_SHAPE,
        origins=origins,
        sheet_origins=sheet_origins,
        hints=_hints(title, author_cell=author_cell if people is not None else None),
        shape_problems=tuple(reading.problems),
    )


def _beside_the_map(
    builders: list[SheetBuilder],
    others: tuple[RawSheet, ...],
    reading: MapReading,
    sheet_origins: dict[str, CellOrigin],
) -> list[SheetBuilder]:
    """The map's sheets, less those a standard sheet beside the map holds instead.

    A standard sheet beside the map (Harm, say, to use `Withhold from`, which the map cannot
    say) is read when the map's own part is empty. When both hold rows, neither can be chosen
    without losing what the other says (a row withheld on the sheet would still be shared from
    the map), so it is a WB015 problem at the sheet beside the map.
    """
    kept: list[SheetBuilder] = []
    for builder in builders:
        contract = schema.SHEET_BY_NAME.get(builder.name)
        names = schema.sheet_names_for(contract) if contract is not None else set()
        beside = next(
            (o for o in others if not o.hidden and schema.normalise_label(o.title) in names), None
        )
        if beside is None:
            kept.append(builder)
            continue
        if builder.rows > 1:
            reading.problems.append(
                codes.problem(
                    codes.WB015,
                    beside.title,
                    "A1",
                    f'The map and the "{beside.title}" sheet beside it both hold '
                    f"{builder.name.lower()}, so sos-docs cannot tell which to use (what is "
                    "withheld on one would still be shared from the other). Keep them in one "
                    f'place: move the map\'s items onto the "{beside.title}" sheet and leave '
                    f"that part of the map empty, or delete the sheet.",
                )
            )
        sheet_origins.pop(builder.name, None)  # the sheet beside the map speaks for itself
    return kept


def _case_sheet(block: CaseBlock, scale: ScaleReading, title: str) -> SheetBuilder:
    """The Case sheet from the case block (labels in column A, values in column B)."""
    builder = SheetBuilder("Case", ())
    values = dict(block.values)
    if scale.zero and "Scale zero means" not in values:
        values["Scale zero means"] = scale.zero
    if scale.ten and "Scale ten means" not in values:
        values["Scale ten means"] = scale.ten
    for row, (label, (value, where)) in enumerate(values.items(), start=1):
        builder.cells[(row, 1)] = label
        builder.cells[(row, 2)] = value
        for column in (1, 2):
            builder.origins[("Case", _a1(row, column))] = CellOrigin(title, _a1(*where))
    builder.rows = max(len(values), 1)
    return builder


def _children_sheet(block: CaseBlock, title: str) -> SheetBuilder:
    """Children from the case block's lines: "Mia Hartley (14/03/2017)", "Baby (due 1/2/2027)"."""
    builder = SheetBuilder("Children", ("ID", "Name", "Date of birth", "Expected due date"))
    for number, (line, where) in enumerate(block.children, start=1):
        match = _CHILD_LINE.match(line)
        name, date, due = line, "", False
        if match and match.group("date") and parse_date_text(match.group("date").strip()):
            name, date, due = (
                match.group("name"),
                match.group("date").strip(),
                bool(match.group("due")),
            )
        values: dict[str, CellValue] = {"ID": f"C{number}", "Name": name.strip()}
        values["Expected due date" if due else "Date of birth"] = date
        builder.add(values, CellOrigin(title, _a1(*where)))
    return builder


def _worry_sheets(
    reading: MapReading,
    title: str,
    builders: list[SheetBuilder],
    sheet_origins: dict[str, CellOrigin],
    heading_cell: Mapping[str, CellOrigin],
) -> list[tuple[str, Item]]:
    """Harm, Danger statements, Complicating factors and Grey areas; the danger IDs made."""
    simple = (
        (HARM, schema.HARM, "What happened"),
        (COMPLICATING, schema.COMPLICATING_FACTORS, "Factor"),
        (GREY, schema.GREY_AREAS, "Question or unknown"),
    )
    for part, contract, header in simple:
        builder = SheetBuilder(contract.name, _headers(contract))
        for item in reading.parts.get(part, []):
            values: dict[str, CellValue] = {header: item.text}
            if part == HARM:
                values = harm_values(item.text)
            builder.add(values, item.origin(title))
        builders.append(builder)
        sheet_origins[contract.name] = _part_origin(reading, part, title, heading_cell[WORRIED])
    dangers = SheetBuilder(DANGER, _headers(schema.DANGER_STATEMENTS))
    made: list[tuple[str, Item]] = []
    for number, item in enumerate(reading.parts.get(DANGER, []), start=1):
        made.append((f"D{number}", item))
        dangers.add({"ID": f"D{number}", "Statement": item.text}, item.origin(title))
    builders.append(dangers)
    sheet_origins[DANGER] = _part_origin(reading, DANGER, title, heading_cell[WORRIED])
    return made


def harm_values(text: str) -> dict[str, CellValue]:
    """A harm item's What happened, and its Date when it starts with one ("24/07/2026: ...")."""
    match = _DATED.match(text)
    if match is None:
        return {"What happened": text}
    day = parse_date_text(match.group("date").strip())
    if day is None:
        return {"What happened": text}
    return {"Date": day, "What happened": match.group("rest").strip()}


def goal_values(text: str) -> dict[str, CellValue]:
    """A safety goal's words, and how many months it must be kept up when it ends with
    "- for 6 months" or "(for 6 months)"."""
    match = _SUSTAINED.match(text.strip())
    if match is None:
        return {"Goal": text}
    return {"Goal": match.group("goal").strip(), "Sustained for": int(match.group("months"))}


def _working_well_sheet(
    reading: MapReading,
    title: str,
    builders: list[SheetBuilder],
    sheet_origins: dict[str, CellOrigin],
    heading_cell: Mapping[str, CellOrigin],
) -> None:
    """Working well: existing safety first, then strengths, each typed by its section."""
    builder = SheetBuilder(schema.WORKING_WELL.name, _headers(schema.WORKING_WELL))
    for part in (SAFETY, STRENGTH):
        for item in reading.parts.get(part, []):
            builder.add({"Type": part, "What is working well": item.text}, item.origin(title))
    builders.append(builder)
    sheet_origins[builder.name] = heading_cell[WORKING_WELL]


def _goal_sheet(
    reading: MapReading,
    title: str,
    danger_ids: Sequence[tuple[str, Item]],
    builders: list[SheetBuilder],
    sheet_origins: dict[str, CellOrigin],
    heading_cell: Mapping[str, CellOrigin],
) -> list[str]:
    """Safety goals, each paired with the danger statement on its row, else by order."""
    goals = reading.parts.get(GOALS, [])
    pairs = pair_goals([item.row for _, item in danger_ids], [g.row for g in goals])
    builder = SheetBuilder(schema.SAFETY_GOALS.name, _headers(schema.SAFETY_GOALS))
    made: list[str] = []
    for number, (goal, danger) in enumerate(zip(goals, pairs, strict=True), start=1):
        danger_id = danger_ids[danger][0] if danger is not None else ""
        builder.add(
            {"ID": f"G{number}", "Danger statement": danger_id, **goal_values(goal.text)},
            goal.origin(title),
        )
        made.append(f"G{number}")
    builders.append(builder)
    sheet_origins[builder.name] = _part_origin(reading, GOALS, title, heading_cell[NEEDS])
    return made


def pair_goals(danger_rows: Sequence[int], goal_rows: Sequence[int]) -> list[int | None]:
    """For each goal, the index of its danger statement: the one on the same row, else the
    first not yet paired, in order; None when there are more goals than statements."""
    taken: set[int] = set()
    pairs: list[int | None] = [None] * len(goal_rows)
    for index, row in enumerate(goal_rows):
        same = [d for d, drow in enumerate(danger_rows) if drow == row and d not in taken]
        if same:
            pairs[index] = same[0]
            taken.add(same[0])
    for index, pair in enumerate(pairs):
        if pair is None:
            free = [d for d in range(len(danger_rows)) if d not in taken]
            if free:
                pairs[index] = free[0]
                taken.add(free[0])
    return pairs


@dataclass
class _People:
    """People made from the names on the map when the workbook has no People sheet.

    A name may carry its relationship in brackets ("Kerry Hartley (Mother)"), which also says
    the role; children (named in the case block) are not added.
    """

    title: str
    children: set[str]
    author_agency: str = ""
    builder: SheetBuilder = field(
        default_factory=lambda: SheetBuilder(schema.PEOPLE.name, _headers(schema.PEOPLE))
    )
    names: dict[str, str] = field(default_factory=dict)  # folded name -> name
    first: CellOrigin | None = None

    def add(self, text: str, origin: CellOrigin, *, author: bool = False) -> str:
        """The bare name of a person, added to People the first time it is seen."""
        match = _BRACKETED.match(text.strip())
        name, said = (match.group("name"), match.group("relationship")) if match else (text, "")
        name = name.strip()
        relationship, _, agency = (part.strip() for part in said.partition(","))
        key = fold(name)
        if key in {fold(c) for c in self.children} or key in self.names or not name:
            return name
        self.names[key] = name
        role = "Professional" if author and not relationship else role_for(relationship)
        values: dict[str, CellValue] = {
            "ID": f"P{len(self.names)}",
            "Name": name,
            "Relationship": relationship or ("Report author" if author else ""),
            "Role": role,
            "Agency": agency or (self.author_agency if author else ""),
        }
        self.builder.add(values, origin)
        self.first = self.first or origin
        return name

    def known(self, text: str) -> str:
        """A name as People has it, without a bracketed relationship."""
        match = _BRACKETED.match(text.strip())
        return match.group("name") if match else text.strip()


def role_for(relationship: str) -> str:
    """The People role a relationship's words say ("Maternal grandmother": Family), or ""."""
    folded = relationship.casefold()
    for role, words in _ROLE_WORDS:
        if any(re.search(rf"\b{re.escape(word)}", folded) for word in words):
            return role
    return ""


def _steps_sheet(
    reading: MapReading,
    title: str,
    builders: list[SheetBuilder],
    sheet_origins: dict[str, CellOrigin],
    heading_cell: Mapping[str, CellOrigin],
    block: CaseBlock,
    people: _People | None,
) -> None:
    """Next steps: "Action - Who - by 12 March 2027" in a cell, or who and by when beside it."""
    builder = SheetBuilder(schema.NEXT_STEPS.name, _headers(schema.NEXT_STEPS))
    mapping_date = _block_date(block)
    for item in reading.parts.get(STEPS, []):
        step = parse_step(item.text, item.beside, mapping_date)
        who = people.known(step.who) if people is not None and step.who else step.who
        values = {"Action": step.action, "Who": who, "By when": step.by_when}
        builder.add({**values, "Safety goal": step.goal, "Status": step.status}, item.origin(title))
    builders.append(builder)
    sheet_origins[builder.name] = _part_origin(reading, STEPS, title, heading_cell[NEEDS])


@dataclass(frozen=True)
class StepParts:
    """What a next step on the map says: the action, who, by when, its goal and status."""

    action: str
    who: str
    by_when: CellValue
    goal: str = ""  # "G2" from "- goal 2"
    status: str = ""  # "Done" from "- done"


def parse_step(
    text: str, beside: Sequence[tuple[CellValue, int]], mapping_date: dt.date | None
) -> StepParts:
    """A next step's parts, from its text ("what - who - by when - goal 1 - done") and the
    values beside it."""
    parts = [p.strip() for p in _STEP_SEPARATOR.split(text) if p.strip()]
    action, rest = (parts[0], parts[1:]) if parts else (text, [])
    who, by_when, goal, status = "", "", "", ""
    by_value: CellValue = None
    for part in rest:
        match = _BY.match(part)
        goal_ref = _GOAL_REF.match(part)
        if match:
            by_when = match.group("date").strip()
        elif goal_ref and not goal:
            goal = f"G{goal_ref.group('number')}"
        elif part.casefold() in _STATUSES and not status:
            status = _STATUSES[part.casefold()]
        elif not who:
            who = part
        else:
            action = f"{action} - {part}"
    for value, _column in beside:
        if isinstance(value, dt.date) and by_value is None and not by_when:
            by_value = value
        elif not who and isinstance(value, str):
            who = value.strip()
        elif not by_when and by_value is None:
            by_when = (
                _BY.match(as_text(value)) or re.match(r"(?P<date>.*)", as_text(value))
            ).group("date")  # type: ignore[union-attr]
    when = by_value if by_value is not None else _with_year(by_when, mapping_date)
    return StepParts(action, who, when, goal, status)


def _with_year(text: str, mapping_date: dt.date | None) -> str:
    """A date written without its year ("12 March") gets the first such day on or after the
    mapping date; anything else is left as written for validation to judge."""
    if not text or parse_date_text(text) or mapping_date is None:
        return text
    for year in (mapping_date.year, mapping_date.year + 1):
        day = parse_date_text(f"{text} {year}") or parse_date_text(f"{text}/{year}")
        if day is not None and day >= mapping_date:
            return format_date(day)
    return text


def _agency(block: CaseBlock) -> str:
    found = block.values.get("Author agency")
    return as_text(found[0]) if found else ""


def _block_date(block: CaseBlock) -> dt.date | None:
    found = block.values.get("Mapping date") or block.values.get("Meeting date")
    if found is None:
        return None
    value = found[0]
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date_text(as_text(value))


def _scaling_sheet(scale: ScaleReading, title: str, people: _People | None) -> SheetBuilder:
    """Scaling from the scale's scores; a danger statement heading beyond the map's is kept
    as written, for validation to say it does not exist."""
    builder = SheetBuilder(schema.SCALING.name, _headers(schema.SCALING))
    for found in scale.scores:
        name_origin = CellOrigin(title, _a1(*found.name_cell))
        name = people.add(found.name, name_origin) if people is not None else found.name
        danger = f"D{found.danger_number}" if found.danger_number is not None else ""
        builder.add(
            {
                "Participant": name,
                "Child": found.child,
                "Danger statement": danger,
                "Score": found.score,
                "Reason": found.reason,
                "One point higher": found.one_point_higher,
            },
            CellOrigin(title, _a1(*found.score_cell)),
            Participant=name_origin,
            Child=CellOrigin(title, _a1(*(found.child_cell or found.score_cell))),
            Reason=CellOrigin(title, _a1(*(found.reason_cell or found.score_cell))),
        )
    return builder


def _part_origin(reading: MapReading, part: str, title: str, fallback: CellOrigin) -> CellOrigin:
    """Where a part's label is on the map, else its question's heading."""
    where = reading.labels.get(part)
    return CellOrigin(title, _a1(*where)) if where else fallback


def _hints(title: str, *, author_cell: str | None) -> dict[str, str]:
    """What a problem on each standard sheet (or of a code, or at a Case cell) means on a
    one-page map: what to do on the map itself. `author_cell` is the Case cell of a report
    author the map names (no People sheet beside it)."""
    on_map = f'(On the one-page map "{title}":'

    def under(label: str, question: str) -> str:
        return f'{on_map} write them under the "{label}" label in the "{question}" column, one a line or one a cell.)'

    hints = {
        "People": f"{on_map} write each person's relationship in brackets after their name, "
        'e.g. "Kerry Hartley (Mother)" or "Priya Nair (Health visitor, Northbrook Health)" '
        "for a professional, or add a People sheet to the workbook.)",
        "Children": f'{on_map} type each child next to the "Children" label above the headings, '
        'one a line (Alt+Enter), with their date of birth: "Mia Hartley (14/03/2017)", or an '
        'unborn baby: "Baby Hartley (due 01/02/2027)".)',
        "Harm": under("Harm", QUESTION_HEADINGS[WORRIED]),
        "Danger statements": under("Danger statements", QUESTION_HEADINGS[WORRIED]),
        "Complicating factors": under("Complicating factors", QUESTION_HEADINGS[WORRIED]),
        "Grey areas": f'{on_map} write them under the "Grey areas" label below the three '
        "columns, one a cell.)",
        "Working well": f'{on_map} write what is working well under the "Existing safety" or '
        f'"Strengths" label in the "{QUESTION_HEADINGS[WORKING_WELL]}" column, one a line or '
        "one a cell.)",
        "Next steps": f'{on_map} write each next step as "what - who - by 12/03/2027", or put '
        "who and by when in the cells beside it.)",
        "Case": f'{on_map} add the value to the case block above the headings, e.g. "Case '
        'reference" in one cell and the value in the cell to its right.)',
        "Scaling": f'{on_map} write each score under the "Scale" label as "Name: 6 - why", or '
        "as a grid with a Reason column.)",
        "Safety goals": f"{on_map} put each safety goal on the same row as its danger statement, "
        "or in the same order.)",
        codes.SOS106: f"{on_map} write what each child said or showed on the Child's views sheet "
        "beside the map, a row for each child with their name as on the map; a workbook without "
        "one can take the sheet from `sos-docs new-workbook`.)",
        codes.SOS206: f'{on_map} add a row to the scale grid under "Scale": the name, the score '
        "under Overall or a danger statement, and why; for a score by or about a child, their "
        'name in the Child column. On a list scale, write "Name: 6 - why".)',
    }
    if author_cell is not None:
        hints[f"Case!{author_cell}"] = (
            f'{on_map} type the report author\'s name next to the "Report author" label, as you '
            "write names on the map: the map has no People sheet, so no ID is needed.)"
        )
    return hints


def titles(sheets: Iterable[RawSheet]) -> str:
    """Sheet titles for a message."""
    return ", ".join(f'"{s.title}"' for s in sheets) or "none"
