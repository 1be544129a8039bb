"""A team's own workbook reshaped into the standard sheets through its layout (README, "Team layouts").

The layout (config.TeamLayout) says which of the team's sheets holds each standard sheet and
what the team calls each field. `apply_layout` builds the standard sheets from the team's cells,
with the standard headers of schema.py, and records where each value really is (`origins`), so
the ordinary validation, rules and documents run unchanged and every problem, and the marked
copy, points into the team's own cells. Fields a layout leaves out are found by their standard
names and aliases, as in a standard workbook.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple, get_column_letter

from sos_docs import codes
from sos_docs.config import layout_table, toml_key
from sos_docs.errors import ConfigError
from sos_docs.model import (
    CellOrigin,
    CellValue,
    LayoutField,
    LayoutSheet,
    Picture,
    Problem,
    RawSheet,
    RawWorkbook,
    TeamLayout,
    Unseen,
)
from sos_docs.workbook import schema
from sos_docs.workbook.cells import as_text, is_blank

__all__ = [
    "FieldPlace",
    "Found",
    "SheetPlan",
    "apply_layout",
    "check_layout",
    "plan_layout",
    "where_found",
]

MAX_COLUMN = 16_384  # XFD, Excel's last column
MAX_ROW = 1_048_576
_CELL = re.compile(r"^([A-Za-z]{1,3})(\d+)$")
_COLUMN_WORD = re.compile(r"^column\s+(\S+)$", re.IGNORECASE)
_CELL_WORD = re.compile(r"^cell\s+(\S+)$", re.IGNORECASE)
SUGGESTIONS = 3


# --------------------------------------------------------------------------------------------
# The layout read against the workbook format


@dataclass(frozen=True)
class FieldPlace:
    """Where a layout says one field is: a heading or label, a column, or a cell."""

    column: schema.Column
    entry: LayoutField
    heading: str = ""  # folded heading (table) or label (key/value)
    column_number: int | None = None  # `column D`
    cell: tuple[int, int] | None = None  # `C4` on a key/value sheet


@dataclass(frozen=True)
class SheetPlan:
    """One standard sheet of a layout, with each field it names read against the schema."""

    contract: schema.Sheet
    entry: LayoutSheet
    places: tuple[FieldPlace, ...]


def check_layout(layout: TeamLayout) -> None:
    """ConfigError (file, line, the nearest valid names) unless every name in it is known."""
    plan_layout(layout)


def plan_layout(layout: TeamLayout) -> tuple[SheetPlan, ...]:
    """The layout's sheets and fields as schema sheets and columns, or ConfigError."""
    plans: list[SheetPlan] = []
    for entry in layout.sheets:
        contract = _contract_named(entry, layout)
        earlier = next((p for p in plans if p.contract is contract), None)
        if earlier is not None:
            raise ConfigError(
                f"{_at(layout, entry.line)}: the layout names the {contract.name} sheet twice "
                f"(as {layout_table(earlier.entry.name)}, line {earlier.entry.line}, and as "
                f"{layout_table(entry.name)}). Keep one of the two."
            )
        if contract.key_value and entry.header_row is not None:
            raise ConfigError(
                f"{_at(layout, entry.line)}: {layout_table(entry.name)} has a header_row, but the "
                f"{contract.name} sheet is labels and values, not a table. Delete the header_row "
                'line; give each value\'s label, or its cell such as "C4".'
            )
        places = tuple(_place(contract, entry, item, layout) for item in entry.fields)
        _check_each_once(places, entry, layout)
        plans.append(SheetPlan(contract, entry, places))
    return tuple(plans)


def _contract_named(entry: LayoutSheet, layout: TeamLayout) -> schema.Sheet:
    wanted = schema.normalise_label(entry.name)
    for contract in schema.SHEETS:
        if wanted in schema.sheet_names_for(contract):
            return contract
    names = [contract.name for contract in schema.SHEETS]
    raise ConfigError(
        f"{_at(layout, entry.line)}: {layout_table(entry.name)} names a sheet the mapping workbook "
        f"does not have.{_nearest(entry.name, names)} The sheets are: {', '.join(names)}. Use "
        "the workbook's name for the sheet after layout. and put your own sheet's title in "
        'sheet = "...".'
    )


def _column_named(
    contract: schema.Sheet, entry: LayoutSheet, item: LayoutField, layout: TeamLayout
) -> schema.Column:
    wanted = schema.normalise_label(item.name)
    for column in contract.columns:
        if wanted in schema.column_names_for(column):
            return column
    names = [
        column.name for column in contract.columns if column.kind is not schema.ColumnKind.PICTURE
    ]
    raise ConfigError(
        f"{_at(layout, item.line)}: {item.name!r} in {layout_table(entry.name)} is not a field of the "
        f"{contract.name} sheet.{_nearest(item.name, [*names, 'sheet', 'header_row'])} Its fields "
        f"are: {', '.join(names)}. Write the field's name on the left and your own heading on "
        'the right, such as Name = "Full name".'
    )


def _place(
    contract: schema.Sheet, entry: LayoutSheet, item: LayoutField, layout: TeamLayout
) -> FieldPlace:
    """Where one field is: `column D`, a cell (`C4` or `cell C4`, key/value), else a heading."""
    column = _column_named(contract, entry, item, layout)
    target = item.target.strip()
    as_column = _COLUMN_WORD.match(target)
    as_cell = _CELL_WORD.match(target) or (_CELL.match(target) if contract.key_value else None)
    if as_column is not None:
        if contract.key_value:
            raise ConfigError(
                f"{_at(layout, item.line)}: {item.name} in {layout_table(entry.name)} gives a column, "
                f"but the {contract.name} sheet is labels and values. Give the value's cell, "
                'such as "C4", or the label beside it.'
            )
        number = _column_number(as_column.group(1))
        if number is None:
            raise ConfigError(
                f"{_at(layout, item.line)}: {target!r} for {item.name} in {layout_table(entry.name)} "
                "is not a column: write the column's letters as Excel shows them, such as "
                '"column D" (A to XFD).'
            )
        return FieldPlace(column, item, column_number=number)
    if as_cell is not None:
        reference = as_cell.group(0) if as_cell.re is _CELL else as_cell.group(1)
        cell = _cell(reference)
        if cell is None or not contract.key_value:
            fix = (
                f'the {contract.name} sheet is a table: give the column, such as "column D", '
                "or its heading"
                if cell is not None
                else 'write a cell as Excel shows it, such as "C4" (column A to XFD, row from 1)'
            )
            raise ConfigError(
                f"{_at(layout, item.line)}: {target!r} for {item.name} in {layout_table(entry.name)} "
                f"is not a cell sos-docs can use: {fix}."
            )
        return FieldPlace(column, item, cell=cell)
    return FieldPlace(column, item, heading=schema.normalise_label(target))


def _check_each_once(
    places: tuple[FieldPlace, ...], entry: LayoutSheet, layout: TeamLayout
) -> None:
    """ConfigError when two entries name one field, or two fields one heading, column or cell."""
    for index, place in enumerate(places):
        for earlier in places[:index]:
            if earlier.column is place.column:
                raise ConfigError(
                    f"{_at(layout, place.entry.line)}: {layout_table(entry.name)} names the field "
                    f"{place.column.name} twice (as {earlier.entry.name!r} on line "
                    f"{earlier.entry.line} and as {place.entry.name!r}). Keep one of the two."
                )
            if _spot(earlier) == _spot(place):
                raise ConfigError(
                    f"{_at(layout, place.entry.line)}: {layout_table(entry.name)} reads both "
                    f"{earlier.column.name} (line {earlier.entry.line}) and {place.column.name} "
                    f"from {place.entry.target!r}. Each field needs its own column or cell; "
                    "correct one of the two."
                )


def _spot(place: FieldPlace) -> tuple[object, ...]:
    return (place.heading, place.column_number, place.cell)


def _column_number(letters: str) -> int | None:
    if not re.fullmatch(r"[A-Za-z]{1,3}", letters):
        return None
    number = column_index_from_string(letters.upper())
    return number if number <= MAX_COLUMN else None


def _cell(reference: str) -> tuple[int, int] | None:
    match = _CELL.match(reference)
    if match is None:
        return None
    column = _column_number(match.group(1))
    row = int(match.group(2))
    return (row, column) if column is not None and 1 <= row <= MAX_ROW else None


def _nearest(name: str, names: Iterable[str], count: int = SUGGESTIONS) -> str:
    by_fold = {schema.normalise_label(n): n for n in names}
    close = difflib.get_close_matches(schema.normalise_label(name), list(by_fold), count, 0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(by_fold[c]) for c in close) + "?"


def _at(layout: TeamLayout, line: int | None) -> str:
    return f"{layout.source}, line {line}" if line else str(layout.source)


def _short_at(layout: TeamLayout, line: int | None) -> str:
    """The layout file by name and line, as a problem for the team shows it."""
    return f"{layout.source.name}, line {line}" if line else layout.source.name


# --------------------------------------------------------------------------------------------
# The workbook reshaped


@dataclass(frozen=True)
class Found:
    """Where one field of a standard sheet was found in the team's sheet ("" where not)."""

    sheet: str  # standard sheet
    field: str  # standard field (column name)
    team_sheet: str
    where: str  # "column C (Relation)", "C4", or ""
    required: bool = False


@dataclass
class _Built:
    """One standard sheet being built from a team sheet."""

    name: str
    team: str
    cells: dict[tuple[int, int], CellValue] = field(default_factory=dict)
    unseen: dict[tuple[int, int], Unseen] = field(default_factory=dict)
    origins: dict[tuple[str, str], CellOrigin] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    def origin(self, row: int, column: int, team_row: int, team_column: int) -> None:
        """Say that the standard cell (row, column) is the team's (team_row, team_column)."""
        self.origins[(self.name, _a1(row, column))] = CellOrigin(
            self.team, _a1(team_row, team_column)
        )


def shape_name(layout: TeamLayout) -> str:
    """How a workbook read through a layout is named in messages."""
    return f"the team layout in {layout.source.name}"


def apply_layout(raw: RawWorkbook, layout: TeamLayout) -> RawWorkbook:
    """The team's workbook as the standard sheets, with origins pointing back to its cells.

    A workbook holding none of the layout's sheets but every required standard sheet is read
    as it is: a team with a layout may still send in a standard workbook.
    """
    reshaped, _found = _reshape(raw, layout)
    return reshaped


def where_found(raw: RawWorkbook, layout: TeamLayout) -> tuple[RawWorkbook, tuple[Found, ...]]:
    """The reshaped workbook and, for each standard field, where in the team's sheet it was."""
    return _reshape(raw, layout)


def _reshape(raw: RawWorkbook, layout: TeamLayout) -> tuple[RawWorkbook, tuple[Found, ...]]:
    plans = plan_layout(layout)
    titles = {schema.normalise_label(sheet.title): sheet for sheet in raw.sheets}
    if not any(schema.normalise_label(p.entry.sheet) in titles for p in plans) and _is_standard(
        raw
    ):
        return raw, ()
    built: list[RawSheet] = []
    origins: dict[tuple[str, str], CellOrigin] = {}
    sheet_origins: dict[str, CellOrigin] = {}
    problems: list[Problem] = []
    found: list[Found] = []
    used: set[str] = set()
    for plan in plans:
        team = titles.get(schema.normalise_label(plan.entry.sheet))
        title = team.title if team is not None else plan.entry.sheet
        sheet_origins[plan.contract.name] = CellOrigin(title)
        if team is None:
            problems.append(_no_sheet_problem(plan, raw, layout))
            found.extend(
                Found(plan.contract.name, c.name, title, "", c.required)
                for c in plan.contract.columns
                if c.kind is not schema.ColumnKind.PICTURE
            )
            continue
        used.add(team.title)
        sheet = _Built(plan.contract.name, team.title)
        if plan.contract.key_value:
            rows = _key_values(plan, team, sheet, layout)
        else:
            rows = _table(plan, team, sheet, layout)
        built.append(
            RawSheet(
                plan.contract.name,
                sheet.cells,
                max_row=rows,
                max_column=max((c for _, c in sheet.cells), default=0),
                pictures=tuple(sheet.pictures),
                unreadable_pictures=tuple(sheet.unreadable),
                hidden=team.hidden,
                unseen=sheet.unseen,
            )
        )
        origins.update(sheet.origins)
        problems.extend(sheet.problems)
        found.extend(sheet.found)
    passed = tuple(sheet for sheet in raw.sheets if sheet.title not in used)
    problems.extend(_beside_the_layout(plans, passed, used))
    reshaped = dataclasses.replace(
        raw,
        sheets=(*built, *passed),
        shape=shape_name(layout),
        origins={**raw.origins, **origins},
        sheet_origins={**raw.sheet_origins, **sheet_origins},
        shape_problems=(*raw.shape_problems, *problems),
        layout_name=layout.source.name,
    )
    return reshaped, tuple(found)


def _beside_the_layout(
    plans: Iterable[SheetPlan], passed: Iterable[RawSheet], used: set[str]
) -> Iterator[Problem]:
    """WB016 for a standard sheet beside the team's sheet the layout reads in its place (a
    "Harm" tab next to the "Concerns" the layout reads as Harm): one of them would be read and
    the other silently not, and a row withheld on the unread one would be shared."""
    found = {schema.normalise_label(title) for title in used}
    read = [plan for plan in plans if schema.normalise_label(plan.entry.sheet) in found]
    for sheet in passed:
        if sheet.hidden or not sheet.cells:
            continue
        folded = schema.normalise_label(sheet.title)
        plan = next((p for p in read if folded in schema.sheet_names_for(p.contract)), None)
        if plan is None:
            continue
        yield codes.problem(
            codes.WB016,
            sheet.title,
            "A1",
            f'The layout reads {plan.contract.name} from your "{plan.entry.sheet}" sheet, so '
            f'this "{sheet.title}" sheet is not read, and nothing on it is in any document '
            "(nor withheld by it). Move its rows onto "
            f'"{plan.entry.sheet}", or delete or rename this sheet.',
        )


def _is_standard(raw: RawWorkbook) -> bool:
    titles = {schema.normalise_label(sheet.title) for sheet in raw.sheets if not sheet.hidden}
    return all(
        titles & schema.sheet_names_for(contract) for contract in schema.SHEETS if contract.required
    )


def _no_sheet_problem(plan: SheetPlan, raw: RawWorkbook, layout: TeamLayout) -> Problem:
    """WB016 for a sheet the layout names that the workbook lacks: the layout's `sheet =` line,
    the workbook's tabs and the nearest of them."""
    titles = ", ".join(f'"{sheet.title}"' for sheet in raw.sheets) or "none"
    entry = plan.entry
    nearest = _nearest(entry.sheet, [sheet.title for sheet in raw.sheets], 1)
    return codes.problem(
        codes.WB016,
        entry.sheet,
        None,
        f"The layout ({_short_at(layout, entry.sheet_line or entry.line)}) says your "
        f'"{entry.sheet}" sheet holds the {plan.contract.name}, but this workbook has no sheet '
        f"of that name.{nearest} The sheets it has are: {titles}. Rename the tab to "
        f'"{entry.sheet}", or correct sheet = ... under {layout_table(entry.name)} in '
        f"{layout.source.name}.",
    )


# ---- the Case sheet: labels and values


def _key_values(plan: SheetPlan, team: RawSheet, sheet: _Built, layout: TeamLayout) -> int:
    """Build the labels in column A and values in column B; the number of rows written."""
    labels = _labels(team)
    placed = {place.column.field: place for place in plan.places}
    taken: set[tuple[int, int]] = set()
    row = 0
    for column in plan.contract.columns:
        place = placed.get(column.field)
        spot = _value_spot(place, column, labels, taken)
        if spot is None:
            if place is not None or column.required:
                sheet.problems.append(_no_label_problem(plan, column, place, team, layout))
            sheet.found.append(Found(sheet.name, column.name, team.title, "", column.required))
            continue
        label_spot, value_spot = spot
        taken.update({label_spot, value_spot})
        row += 1
        sheet.cells[(row, 1)] = column.name
        sheet.origin(row, 1, *label_spot)
        sheet.origin(row, 2, *value_spot)
        value = team.cells.get(value_spot)
        if value is not None:
            sheet.cells[(row, 2)] = value
        if value_spot in team.unseen:
            sheet.unseen[(row, 2)] = team.unseen[value_spot]
        sheet.found.append(
            Found(sheet.name, column.name, team.title, _a1(*value_spot), column.required)
        )
    return row


def _labels(team: RawSheet) -> dict[str, tuple[int, int]]:
    """Each text cell of a sheet by its folded text, first (top, then left) first."""
    labels: dict[str, tuple[int, int]] = {}
    for spot, value in sorted(team.cells.items()):
        if isinstance(value, str) and value.strip():
            labels.setdefault(schema.normalise_label(value), spot)
    return labels


def _value_spot(
    place: FieldPlace | None,
    column: schema.Column,
    labels: Mapping[str, tuple[int, int]],
    taken: set[tuple[int, int]],
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(label cell, value cell) of a field: its layout cell, its label, else a standard label."""
    if place is not None and place.cell is not None:
        return place.cell, place.cell
    names = [place.heading] if place is not None else sorted(schema.column_names_for(column))
    for name in names:
        spot = labels.get(name)
        if spot is not None and spot not in taken:
            return spot, (spot[0], spot[1] + 1)  # the value is in the cell to the label's right
    return None


def _no_label_problem(
    plan: SheetPlan,
    column: schema.Column,
    place: FieldPlace | None,
    team: RawSheet,
    layout: TeamLayout,
) -> Problem:
    if place is not None:
        said = f'The layout ({_short_at(layout, place.entry.line)}) says the label "{place.entry.target}"'
        message = (
            f'{said} marks the {column.name} on your "{team.title}" sheet, but no cell of it '
            f"holds that label. Put the label back with the value in the cell to its right, or "
            f'correct {place.entry.name} = ... in {layout.source.name} (a cell such as "C4" '
            "works too)."
        )
    else:
        message = (
            f'Your "{team.title}" sheet has no {column.name}, which every workbook needs. Add '
            f'the label "{column.name}" with the value in the cell to its right, or say where it '
            f"is under {layout_table(plan.entry.name)} in {layout.source.name}, such as "
            f'"{column.name}" = "C4".'
        )
    return codes.problem(codes.WB016, team.title, None, message)


# ---- table sheets


def _table(plan: SheetPlan, team: RawSheet, sheet: _Built, layout: TeamLayout) -> int:
    """Build the standard header on row 1 and the team's records below; the last row written."""
    rows = _rows(team)
    header = plan.entry.header_row or _header_row(plan, rows)
    headings = _headings(rows.get(header, {}))
    first = min(rows.get(header, {1: None}))
    columns = _columns(plan, headings, sheet, team, layout, header, first)
    for number, (column, team_column) in enumerate(columns, start=1):
        sheet.cells[(1, number)] = column.header
        sheet.origin(1, number, header, team_column)
    if columns:
        sheet.origin(1, 1, header, first)  # "a column is missing" points at the header row
    numbered = _numbered_ids(plan, columns, sheet, team)
    if numbered is not None:
        sheet.cells[(1, numbered)] = plan.contract.column("id").header
        sheet.origin(1, numbered, header, first)
    last = 1
    for count, team_row in enumerate(sorted(r for r in rows if r > header), start=1):
        row = team_row - header + 1
        last = row
        if numbered is not None:
            # The team's rows have no IDs: each is numbered by its order, as on a one-page map.
            sheet.cells[(row, numbered)] = f"{schema.ID_PREFIXES[plan.contract.name]}{count}"
            sheet.origin(row, numbered, team_row, first)
        for number, (_column, team_column) in enumerate(columns, start=1):
            sheet.origin(row, number, team_row, team_column)
            value = team.cells.get((team_row, team_column))
            if value is not None:
                sheet.cells[(row, number)] = value
            if (team_row, team_column) in team.unseen:
                sheet.unseen[(row, number)] = team.unseen[(team_row, team_column)]
    _move_pictures(team, sheet, header, columns)
    return last


def _numbered_ids(
    plan: SheetPlan, columns: list[tuple[schema.Column, int]], sheet: _Built, team: RawSheet
) -> int | None:
    """The standard column for IDs numbered by row (P1, P2 ...) when the team's sheet has no
    ID column and the layout names none; None when it has one (or the sheet has no IDs)."""
    if not _numbers_rows(plan) or any(c.field == "id" for c, _n in columns):
        return None
    prefix = schema.ID_PREFIXES[plan.contract.name]
    where = f"numbered by row: {prefix}1, {prefix}2 ..."
    sheet.found.append(Found(sheet.name, plan.contract.column("id").name, team.title, where, True))
    return len(columns) + 1


def _numbers_rows(plan: SheetPlan) -> bool:
    """True when the layout leaves a sheet's ID column out and its rows can be numbered."""
    named = any(place.column.field == "id" for place in plan.places)
    return plan.contract.name in schema.ID_PREFIXES and not named


def _rows(team: RawSheet) -> dict[int, dict[int, CellValue]]:
    rows: dict[int, dict[int, CellValue]] = {}
    for (row, column), value in team.cells.items():
        rows.setdefault(row, {})[column] = value
    for row, column in team.unseen:
        rows.setdefault(row, {}).setdefault(column, None)
    return rows


def _headings(cells: Mapping[int, CellValue]) -> dict[str, int]:
    """Each heading of a row by its folded text (the leftmost of two alike)."""
    headings: dict[str, int] = {}
    for column, value in sorted(cells.items()):
        if not is_blank(value):
            headings.setdefault(schema.normalise_label(as_text(value)), column)
    return headings


def _header_row(plan: SheetPlan, rows: Mapping[int, Mapping[int, CellValue]]) -> int:
    """The row near the top holding most of the headings the layout and the schema know."""
    wanted = {place.heading for place in plan.places if place.heading}
    named = {place.column for place in plan.places}
    for column in plan.contract.columns:
        if column not in named:
            wanted |= schema.column_names_for(column)
    best = (0, min(rows, default=1))
    for number in sorted(rows)[: schema.HEADER_SEARCH_ROWS * 2]:
        matches = len(wanted & set(_headings(rows[number])))
        if matches > best[0]:
            best = (matches, number)
    return best[1]


def _columns(
    plan: SheetPlan,
    headings: Mapping[str, int],
    sheet: _Built,
    team: RawSheet,
    layout: TeamLayout,
    header: int,
    first: int,
) -> list[tuple[schema.Column, int]]:
    """Each standard column found, in the schema's order, with the team's column number."""
    placed = {place.column.field: place for place in plan.places}
    taken = {place.column_number for place in plan.places if place.column_number}
    taken |= {headings[p.heading] for p in plan.places if p.heading in headings}
    columns: list[tuple[schema.Column, int]] = []
    for column in plan.contract.columns:
        if column.kind is schema.ColumnKind.PICTURE:
            continue
        place = placed.get(column.field)
        number = _column_of(place, column, headings, taken)
        if number is None:
            if place is None and column.field == "id" and _numbers_rows(plan):
                continue  # numbered by row (_numbered_ids)
            if place is not None or column.required:
                sheet.problems.append(
                    _no_heading_problem(plan, column, place, team, layout, header, first, headings)
                )
            sheet.found.append(Found(sheet.name, column.name, team.title, "", column.required))
            continue
        taken.add(number)
        columns.append((column, number))
        heading = next((h for h, n in headings.items() if n == number), "")
        shown = team.cells.get((header, number))
        where = f"column {get_column_letter(number)}" + (f" ({as_text(shown)})" if heading else "")
        sheet.found.append(Found(sheet.name, column.name, team.title, where, column.required))
    return columns


def _column_of(
    place: FieldPlace | None,
    column: schema.Column,
    headings: Mapping[str, int],
    taken: set[int],
) -> int | None:
    if place is not None:
        return place.column_number or headings.get(place.heading)
    for name in sorted(schema.column_names_for(column)):
        number = headings.get(name)
        if number is not None and number not in taken:
            return number
    return None


def _no_heading_problem(
    plan: SheetPlan,
    column: schema.Column,
    place: FieldPlace | None,
    team: RawSheet,
    layout: TeamLayout,
    header: int,
    first: int,
    headings: Mapping[str, int],
) -> Problem:
    shown = (
        ", ".join(f'"{as_text(team.cells[(header, n)])}"' for n in sorted(headings.values()))
        or "none"
    )
    if place is not None:
        message = (
            f"The layout ({_short_at(layout, place.entry.line)}) says the {column.name} of the "
            f'{plan.contract.name} is under the heading "{place.entry.target}", but row {header} '
            f'of your "{team.title}" sheet has no such heading. Its headings are: {shown}. Put '
            f"the heading back, or correct {toml_key(place.entry.name)} = ... under "
            f"{layout_table(plan.entry.name)} in {layout.source.name}."
        )
    else:
        message = (
            f'Your "{team.title}" sheet has no column for the {column.name} of the '
            f"{plan.contract.name}, which every workbook needs (row {header} holds the headings: "
            f"{shown}). Add a column for it, or name yours under {layout_table(plan.entry.name)} in "
            f'{layout.source.name}, such as "{column.name}" = "Your heading".'
        )
    return codes.problem(codes.WB016, team.title, _a1(header, first), message)


def _move_pictures(
    team: RawSheet, sheet: _Built, header: int, columns: list[tuple[schema.Column, int]]
) -> None:
    """Pictures over the team's records, moved with their rows (the row is what places them)."""
    standard = {team_column: number for number, (_c, team_column) in enumerate(columns, 1)}
    for picture in team.pictures:
        if picture.anchor_row <= header:
            continue
        row = picture.anchor_row - header + 1
        cell = _moved_cell(picture.anchor_cell, row, standard, sheet)
        sheet.pictures.append(dataclasses.replace(picture, anchor_row=row, anchor_cell=cell))
    for original in team.unreadable_pictures:
        team_row = coordinate_to_tuple(original)[0]
        if team_row > header:
            sheet.unreadable.append(_moved_cell(original, team_row - header + 1, standard, sheet))


def _moved_cell(original: str, row: int, standard: Mapping[int, int], sheet: _Built) -> str:
    """The standard cell for a team cell on a moved row, its origin recorded."""
    team_row, team_column = coordinate_to_tuple(original)
    number = standard.get(team_column, max(standard.values(), default=0) + 1)
    sheet.origin(row, number, team_row, team_column)
    return _a1(row, number)


def _a1(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"
