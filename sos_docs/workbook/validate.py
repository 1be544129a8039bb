"""Validate a raw workbook against the contract: every problem at its cell, and the typed case."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

from sos_docs import codes, model
from sos_docs.model import (
    AgencyInvolvement,
    BirthPlanItem,
    CaseDetails,
    CellOrigin,
    CellValue,
    Child,
    ChildView,
    ComplicatingFactor,
    DangerStatement,
    FamilyView,
    GreyArea,
    Harm,
    Level,
    MappingCase,
    NextStep,
    Person,
    PersonRef,
    PreviousScore,
    Problem,
    RawSheet,
    RawWorkbook,
    SafetyGoal,
    SafetyRule,
    Score,
    Source,
    Unseen,
    Validation,
    WordsPage,
    WorkingWell,
)
from sos_docs.workbook import copies, practice_rules, rules, schema
from sos_docs.workbook.cells import Bad, Several, as_text, is_blank, quote, read_cell
from sos_docs.workbook.rules import Row, Table
from sos_docs.workbook.schema import Column, ColumnKind
from sos_docs.working_days import SharingRules

__all__ = ["validate"]

log = logging.getLogger(__name__)

# Each table sheet's record type and the MappingCase field that holds its records.
RECORDS: dict[str, tuple[Callable[..., Any], str]] = {
    schema.CHILDREN.name: (Child, "children"),
    schema.PEOPLE.name: (Person, "people"),
    schema.AGENCY_INVOLVEMENT.name: (AgencyInvolvement, "agency_involvement"),
    schema.HARM.name: (Harm, "harm"),
    schema.DANGER_STATEMENTS.name: (DangerStatement, "danger_statements"),
    schema.COMPLICATING_FACTORS.name: (ComplicatingFactor, "complicating_factors"),
    schema.GREY_AREAS.name: (GreyArea, "grey_areas"),
    schema.WORKING_WELL.name: (WorkingWell, "working_well"),
    schema.SAFETY_GOALS.name: (SafetyGoal, "safety_goals"),
    schema.NEXT_STEPS.name: (NextStep, "next_steps"),
    schema.SCALING.name: (Score, "scaling"),
    schema.CHILDS_VIEWS.name: (ChildView, "childs_views"),
    schema.SAFETY_PLAN.name: (SafetyRule, "safety_plan"),
    schema.WORDS_AND_PICTURES.name: (WordsPage, "words_and_pictures"),
    schema.FAMILYS_VIEWS.name: (FamilyView, "family_views"),
    schema.BIRTH_PLAN.name: (BirthPlanItem, "birth_plan"),
    schema.PREVIOUS_SCALING.name: (PreviousScore, "previous_scaling"),
}
SHOWN_CELLS = 10  # a warning lists at most this many cells
# For each reason a value cannot be seen: its warning code and how to show it.
UNSEEN_ADVICE: dict[Unseen, tuple[str, str]] = {
    Unseen.ROW: (
        codes.WB011,
        "unhide the row (select the rows around it, right-click > Unhide)",
    ),
    Unseen.COLUMN: (
        codes.WB011,
        "unhide the column (select the columns around it, right-click > Unhide)",
    ),
    Unseen.FORMAT: (
        codes.WB012,
        "give the cell a format that shows it (Home > Number Format > General)",
    ),
    Unseen.WHITE: (
        codes.WB012,
        "give it a colour that shows (Home > Font Color > Automatic)",
    ),
}
REFERENCE_KINDS = frozenset(
    {
        ColumnKind.PERSON,
        ColumnKind.CHILD,
        ColumnKind.CHILDREN,
        ColumnKind.PEOPLE,
        ColumnKind.REF,
        ColumnKind.AUDIENCE,
    }
)
# Case values no copy can go without: they name the case, the meeting and its decision.
NEVER_WITHHELD = frozenset(
    c.field for c in schema.CASE.columns if c.required or c.kind is not ColumnKind.TEXT
) | {"categories", "withheld_fields"}
WITHHELD_ENTRY_SEPARATORS = ("\n", ";")
CHILDREN_SEPARATORS = (";", "\n")  # read like commas: people separate names both ways
SHOWN_IDS = 10

Cells = dict[int, CellValue]  # one sheet row: column number -> value


@dataclass
class Findings:
    """What validation has found so far: problems, and information notes."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, code: str, sheet: str | None, cell: str | None, message: str) -> None:
        """Record a problem at a cell (None: the whole sheet)."""
        self.problems.append(rules.problem(code, sheet, cell, message))


def validate(
    raw: RawWorkbook, today: dt.date | None = None, sharing: SharingRules | None = None
) -> Validation:
    """Check a workbook against the contract; the case comes back only when there is no error.

    `today` is the day the check is made (the report's date when it has none); `sharing` the
    root's working days for sharing a conference report (default: England, 3 and 5).
    """
    findings = Findings()
    found = locate_sheets(raw, findings)
    tables = {
        contract.name: read_sheet(contract, found.get(contract.name), findings)
        for contract in schema.SHEETS
    }
    resolve_references(tables, findings)
    book = rules.Book(tables, today or dt.date.today(), sharing or SharingRules())
    findings.problems.extend(rules.check(book))
    findings.problems.extend(rules.run(practice_rules.RULES, book))
    problems = sorted_problems(findings.problems, tables)
    has_errors = any(p.level is Level.ERROR for p in (*problems, *raw.shape_problems))
    log.debug("%s: %d problems, %d notes", raw.path_name, len(problems), len(findings.notes))
    has_errors = has_errors or any(p.level is Level.ERROR for p in raw.shape_problems)
    case = None if has_errors else build_case(tables, book)
    if case is not None:
        # Which shared rows lose a withheld row they point at is known from the built case.
        problems = sorted_problems([*problems, *copies.dangling_problems(case)], tables)
    return Validation(
        case, with_shape_problems(in_own_cells(problems, raw), raw), tuple(findings.notes)
    )


def in_own_cells(problems: tuple[Problem, ...], raw: RawWorkbook) -> tuple[Problem, ...]:
    """Problems of a reshaped workbook moved to the team's own sheet and cell, each with what
    it means in the team's shape (`hints`)."""
    if not raw.origins and not raw.sheet_origins:
        return problems
    return tuple(
        _moved(
            found,
            raw.origin_of(found.sheet, found.cell),
            raw.hints.get(found.code)
            or raw.hints.get(f"{found.sheet}!{found.cell}")
            or raw.hints.get(found.sheet or ""),
        )
        for found in problems
    )


# What a reshaping explains better where it found a sheet, heading or label missing: a missing
# sheet, header row or column anywhere on that sheet, and a missing value at the same cell.
EXPLAINED_ON_THE_SHEET = frozenset({codes.WB002, codes.WB003})
EXPLAINED_AT_THE_CELL = frozenset({codes.WB004})


def with_shape_problems(problems: tuple[Problem, ...], raw: RawWorkbook) -> tuple[Problem, ...]:
    """The reshaping's own problems first, in place of validation's that they explain."""
    if not raw.shape_problems:
        return problems
    sheets = {found.sheet for found in raw.shape_problems}
    places = {(found.sheet, found.cell) for found in raw.shape_problems}
    kept = tuple(
        found
        for found in problems
        if not (found.code in EXPLAINED_ON_THE_SHEET and found.sheet in sheets)
        and not (found.code in EXPLAINED_AT_THE_CELL and (found.sheet, found.cell) in places)
    )
    return (*raw.shape_problems, *kept)


def _moved(found: Problem, origin: CellOrigin | None, hint: str | None = None) -> Problem:
    if origin is None:
        return found
    message = f"{found.message} {hint}" if hint else found.message
    return dataclasses.replace(found, sheet=origin.sheet, cell=origin.cell, message=message)


# ------------------------------------------------------------------------ sheets


def locate_sheets(raw: RawWorkbook, findings: Findings) -> dict[str, RawSheet]:
    """Each contract sheet's worksheet by contract name, found by its normalised title.

    A hidden sheet is never read (a person looking at the workbook does not see it): one that
    would have been is named in a warning, or in the error for a required sheet left missing.
    """
    contracts: dict[str, schema.Sheet] = {}
    for contract in schema.SHEETS:
        for name in sorted(schema.sheet_names_for(contract)):
            contracts.setdefault(name, contract)
    found: dict[str, RawSheet] = {}
    hidden: dict[str, list[RawSheet]] = {}
    for sheet in raw.sheets:
        match = contracts.get(schema.normalise_label(sheet.title))
        if sheet.hidden and match is not None:
            hidden.setdefault(match.name, []).append(sheet)
        elif match is None or match.name in found:
            findings.notes.append(_ignored_sheet_note(sheet.title, match))
        else:
            found[match.name] = sheet
    _hidden_sheets(hidden, found, findings)
    _missing_sheets(raw, found, findings, hidden)
    for sheet in found.values():
        _unseen_cells(sheet, findings)
    return found


def _hidden_sheets(
    hidden: Mapping[str, list[RawSheet]], found: Mapping[str, RawSheet], findings: Findings
) -> None:
    """A warning for each hidden sheet that was not read, except a required sheet's only one
    (the missing sheet's error names it)."""
    by_name = {contract.name: contract for contract in schema.SHEETS}
    for name, sheets in hidden.items():
        for sheet in sheets:
            read = found.get(name)
            if read is not None:
                because = (
                    f'the visible sheet "{read.title}" is read as "{name}". Delete the hidden '
                    "sheet, or copy what it should add into the visible one"
                )
            elif by_name[name].required:
                continue
            else:
                because = (
                    "it was left out of the documents. If it belongs in them, unhide it "
                    "(right-click any sheet tab > Unhide) and save again"
                )
            findings.add(
                codes.WB010,
                sheet.title,
                None,
                f'The sheet "{sheet.title}" is hidden, so sos-docs did not read it: {because}.',
            )


def _unseen_cells(sheet: RawSheet, findings: Findings) -> None:
    """A warning for each way values on the sheet are hidden from a person, naming the cells."""
    by_reason: dict[Unseen, list[str]] = {}
    for (row, column), reason in sheet.unseen.items():
        by_reason.setdefault(reason, []).append(f"{get_column_letter(column)}{row}")
    for reason, cells in by_reason.items():
        code, how = UNSEEN_ADVICE[reason]
        findings.add(
            code,
            sheet.title,
            cells[0],
            f'{_cell_list(cells)} of the sheet "{sheet.title}" {_holds(cells)} a value a person '
            f"cannot see ({reason.value}), so it was left out of the documents: sos-docs reads "
            f"only what is shown. If it belongs in them, {how} and save again; if not, delete it.",
        )


def _cell_list(cells: list[str]) -> str:
    shown = ", ".join(cells[:SHOWN_CELLS])
    if len(cells) > SHOWN_CELLS:
        shown += f" and {len(cells) - SHOWN_CELLS:,} more"
    return f"The cell {shown}" if len(cells) == 1 else f"The cells {shown}"


def _holds(cells: list[str]) -> str:
    return "holds" if len(cells) == 1 else "each hold"


def _ignored_sheet_note(title: str, duplicate_of: schema.Sheet | None) -> str:
    if duplicate_of is not None:
        return (
            f'The sheet "{title}" was ignored: another sheet is already read as '
            f'"{duplicate_of.name}".'
        )
    if schema.normalise_label(title) == schema.normalise_label(schema.INSTRUCTIONS_SHEET):
        return f'The sheet "{title}" holds instructions and was not read.'
    return f'The sheet "{title}" is not part of the mapping workbook, so it was ignored.'


def _missing_sheets(
    raw: RawWorkbook,
    found: Mapping[str, RawSheet],
    findings: Findings,
    hidden: Mapping[str, list[RawSheet]],
) -> None:
    titles = ", ".join(f'"{title}"' for title in raw.team_titles()) or "none"
    for contract in schema.SHEETS:
        if contract.required and contract.name in hidden and contract.name not in found:
            title = hidden[contract.name][0].title
            findings.add(
                codes.WB002,
                title,
                None,
                f'The "{contract.name}" sheet ("{title}") is hidden, and sos-docs reads only '
                "what a person can see. Unhide it (right-click any sheet tab > Unhide) and save "
                "again.",
            )
        elif contract.required and contract.name not in found:
            findings.add(
                codes.WB002,
                contract.name,
                None,
                f'The workbook has no "{contract.name}" sheet. The sheets it has are: {titles}. '
                + _how_to_add(contract.name, raw.layout_name),
            )


def _how_to_add(name: str, layout_name: str) -> str:
    """How to give the workbook a sheet it lacks: a new tab, or (read through a team layout)
    the tab that holds it named in the layout."""
    if layout_name:
        return (
            f'Add the sheet to the workbook (copy "{name}" from a blank mapping workbook), or, '
            f"if one of your tabs holds it, add it to the layout in {layout_name}: "
            f'[layout."{name}"] with sheet = "your tab\'s title".'
        )
    return (
        f'Add a sheet named "{name}" (copy it from a blank mapping workbook) or rename the '
        "tab that holds it."
    )


def read_sheet(contract: schema.Sheet, sheet: RawSheet | None, findings: Findings) -> Table:
    """A contract sheet's records as read, or an empty table when the sheet is missing."""
    if sheet is None:
        return Table(contract)
    if contract.key_value:
        return read_key_values(contract, sheet, findings)
    return read_table(contract, sheet, findings)


def rows_of(sheet: RawSheet) -> dict[int, Cells]:
    """A sheet's non-empty cells grouped by row number."""
    rows: dict[int, Cells] = {}
    for (row, column), value in sheet.cells.items():
        rows.setdefault(row, {})[column] = value
    return rows


def read_into(row: Row, column: Column, value: CellValue, findings: Findings) -> None:
    """Read one cell into a row's values, or record why it cannot be read."""
    if is_blank(value):
        return
    row.filled.add(column.field)
    read = read_cell(column, value)
    if isinstance(read, Bad):
        findings.add(read.code, row.sheet, row.cells[column.field], read.message)
    elif isinstance(read, Several):
        # "Neglect, Emotional abuse" in a category cell: Multiple, naming those. A Categories
        # cell on the same row, read before or after, says which and wins.
        row.values[column.field] = schema.MULTIPLE
        row.values.setdefault("categories", ", ".join(read.choices))
    elif read is not None:
        row.values[column.field] = read


# ------------------------------------------------------------------------ key/value sheet


def read_key_values(contract: schema.Sheet, sheet: RawSheet, findings: Findings) -> Table:
    """A key/value sheet as one row: labels in column A, their values in column B."""
    labels = _names_to_columns(contract)
    row = Row(sheet.title, 1, cells={})
    for number, cells in sorted(rows_of(sheet).items()):
        label = cells.get(1)
        if is_blank(label):
            continue
        column = labels.get(schema.normalise_label(as_text(label)))
        if column is None or column.field in row.cells:
            findings.notes.append(_ignored_label_note(sheet.title, number, label, column))
            continue
        row.cells[column.field] = f"B{number}"
        read_into(row, column, cells.get(2), findings)
    return Table(contract, sheet.title, [row], header_ok=True)


def _names_to_columns(contract: schema.Sheet) -> dict[str, Column]:
    names: dict[str, Column] = {}
    for column in contract.columns:
        for name in sorted(schema.column_names_for(column)):
            names.setdefault(name, column)
    return names


def _ignored_label_note(title: str, number: int, label: CellValue, column: Column | None) -> str:
    if column is not None:
        return (
            f'{title}!A{number}: the label {quote(label)} repeats "{column.name}", so only the '
            "first one was read."
        )
    return (
        f"{title}!A{number}: the label {quote(label)} is not one sos-docs knows, so it was ignored."
    )


# ------------------------------------------------------------------------ table sheets


@dataclass(frozen=True)
class Header:
    """A table's header row and the contract column under each sheet column number."""

    row: int
    columns: dict[int, Column]


def read_table(contract: schema.Sheet, sheet: RawSheet, findings: Findings) -> Table:
    """A table sheet's records, after finding its header row and checking its columns."""
    rows = rows_of(sheet)
    header = find_header(contract, sheet.title, rows, findings)
    if header is None:
        findings.add(codes.WB003, sheet.title, None, _no_header_message(contract, sheet.title))
        return Table(contract, sheet.title)
    missing = _missing_columns(contract, sheet.title, header, rows, findings)
    records = [
        _read_record(sheet.title, number, cells, header, findings)
        for number, cells in sorted(rows.items())
        if number > header.row and _is_record(cells, header)
    ]
    _place_pictures(contract, sheet, records, findings)
    return Table(contract, sheet.title, records, header_ok=not missing)


def find_header(
    contract: schema.Sheet, title: str, rows: Mapping[int, Cells], findings: Findings
) -> Header | None:
    """The row near the top matching the most known column headers, or None when none does."""
    names = _names_to_columns(contract)
    best: tuple[int, int] | None = None  # (matches, row)
    for number in range(1, schema.HEADER_SEARCH_ROWS + 1):
        cells = rows.get(number, {})
        matches = {names.get(_label(value)) for value in cells.values()} - {None}
        if matches and (best is None or len(matches) > best[0]):
            best = (len(matches), number)
    if best is None:
        return None
    return Header(best[1], _header_columns(title, best[1], rows[best[1]], names, findings))


def _label(value: CellValue) -> str:
    return "" if is_blank(value) else schema.normalise_label(as_text(value))


def _header_columns(
    title: str, number: int, cells: Cells, names: Mapping[str, Column], findings: Findings
) -> dict[int, Column]:
    columns: dict[int, Column] = {}
    for position, value in sorted(cells.items()):
        column = names.get(_label(value))
        where = f"{title}!{get_column_letter(position)}{number}"
        if column is None:
            findings.notes.append(
                f"{where}: the column {quote(value)} is not one sos-docs knows, so it was ignored."
            )
        elif column in columns.values():
            findings.notes.append(
                f'{where}: the column {quote(value)} repeats "{column.name}", so only the first '
                "one was read."
            )
        else:
            columns[position] = column
    return columns


def _no_header_message(contract: schema.Sheet, title: str) -> str:
    headers = ", ".join(c.name for c in contract.columns if c.required)
    return (
        f'Cannot find the header row of the "{title}" sheet in its first '
        f"{schema.HEADER_SEARCH_ROWS} rows. Put the column headings ({headers} and the others "
        "you use) in one row near the top, with the records below it."
    )


def _missing_columns(
    contract: schema.Sheet,
    title: str,
    header: Header,
    rows: Mapping[int, Cells],
    findings: Findings,
) -> list[Column]:
    present = set(header.columns.values())
    missing = [c for c in contract.columns if c.required and c not in present]
    first = get_column_letter(min(rows[header.row]))
    for column in missing:
        findings.add(
            codes.WB003,
            title,
            f"{first}{header.row}",
            f'The "{title}" sheet has no "{column.name}" column. Add a column headed '
            f'"{column.name}" to the header row (row {header.row}) and fill it in.',
        )
    return missing


def _is_record(cells: Cells, header: Header) -> bool:
    return any(
        not is_blank(value)
        for position, value in cells.items()
        if position in header.columns and header.columns[position].kind is not ColumnKind.PICTURE
    )


def _read_record(title: str, number: int, cells: Cells, header: Header, findings: Findings) -> Row:
    row = Row(
        title,
        number,
        cells={c.field: f"{get_column_letter(p)}{number}" for p, c in header.columns.items()},
        fallback_cell=f"A{number}",
    )
    for position, column in header.columns.items():
        read_into(row, column, cells.get(position), findings)
    return row


def _place_pictures(
    contract: schema.Sheet, sheet: RawSheet, records: list[Row], findings: Findings
) -> None:
    """Give each record the picture placed over its row; note any picture left over."""
    picture_field = next((c.field for c in contract.columns if c.kind is ColumnKind.PICTURE), None)
    by_number = {row.number: row for row in records}
    for picture in sheet.pictures:
        row = by_number.get(picture.anchor_row)
        if picture_field and row is not None and picture_field not in row.values:
            row.values[picture_field] = picture
            continue
        findings.notes.append(
            f"{sheet.title}!{picture.anchor_cell}: this picture is not over a row of its own "
            "with words in it, so it was not used."
        )
    for cell in sheet.unreadable_pictures:
        row_number = coordinate_to_tuple(cell)[0]
        if picture_field and row_number in by_number:
            findings.add(codes.DOC001, sheet.title, cell, _unreadable_picture(cell))
        else:
            findings.notes.append(
                f"{sheet.title}!{cell}: a picture that cannot be read was not used."
            )


def _unreadable_picture(cell: str) -> str:
    return (
        f"The picture placed at {cell} cannot be read as an image (it is damaged, or in a form "
        "such as WMF or EMF that cannot be used), so the documents are made without it. Delete "
        "it and insert the picture again as a PNG or JPEG file (Insert > Pictures)."
    )


# ------------------------------------------------------------------------ references


def fold(text: str) -> str:
    """A name or ID folded for matching: same letters however typed, case and spacing aside."""
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


@dataclass(frozen=True)
class Index:
    """The people of one sheet by folded ID (first one wins) and by folded name (all of them)."""

    by_id: Mapping[str, PersonRef]
    by_name: Mapping[str, tuple[PersonRef, ...]]

    @classmethod
    def of(cls, table: Table, is_child: bool) -> Index:
        """The index of a Children or People table."""
        by_id: dict[str, PersonRef] = {}
        by_name: dict[str, tuple[PersonRef, ...]] = {}
        for row in table.rows:
            ref = PersonRef(row.text("name"), row.text("id") or None, is_child=is_child)
            if ref.id:
                by_id.setdefault(fold(ref.id), ref)
            # A child is found by the name they are known by too ("Mia" for "Mia Hartley").
            names = {fold(ref.name), fold(row.text("known_as")) if is_child else ""} - {""}
            for name in names:
                by_name[name] = (*by_name.get(name, ()), ref)
        return cls(by_id, by_name)


@dataclass(frozen=True)
class Directory:
    """Everyone and every ID that cells can refer to."""

    people: Index
    children: Index
    ids: Mapping[str, Mapping[str, str]]  # contract sheet name -> folded ID -> ID as written
    staff: frozenset[str | None] = frozenset()  # the People IDs of professionals

    @classmethod
    def of(cls, tables: Mapping[str, Table]) -> Directory:
        """The directory of a workbook's Children, People and ID sheets."""
        return cls(
            people=Index.of(tables[schema.PEOPLE.name], is_child=False),
            children=Index.of(tables[schema.CHILDREN.name], is_child=True),
            ids={name: _ids_of(table) for name, table in tables.items() if table.contract.id_field},
            staff=frozenset(
                row.text("id")
                for row in tables[schema.PEOPLE.name].rows
                if row.text("role") == rules.PROFESSIONAL
            ),
        )

    def find(self, text: str, children_only: bool) -> list[PersonRef]:
        """Everyone a cell's text can mean: one match by ID, else every exact name match."""
        indexes = (self.children,) if children_only else (self.people, self.children)
        wanted = fold(text)
        for index in indexes:
            if wanted in index.by_id:
                return [index.by_id[wanted]]
        return [ref for index in indexes for ref in index.by_name.get(wanted, ())]


def _ids_of(table: Table) -> dict[str, str]:
    ids: dict[str, str] = {}
    for row in table.rows:
        if written := row.text(table.contract.id_field):
            ids.setdefault(fold(written), written)
    return ids


@dataclass(frozen=True)
class Unresolved:
    """Why a reference cell points at nothing: a message for people (rule WB009 unless said)."""

    message: str
    code: str = codes.WB009


def resolve_references(tables: Mapping[str, Table], findings: Findings) -> None:
    """Replace each person, child and ID cell's text by what it refers to (WB009 when nothing)."""
    directory = Directory.of(tables)
    for table in tables.values():
        for row in table.rows:
            for column in table.contract.columns:
                if column.kind in REFERENCE_KINDS:
                    _resolve_cell(tables, table, row, column, directory, findings)
    for row in tables[schema.CASE.name].rows:
        _resolve_withheld_fields(row, directory, findings)


def _resolve_withheld_fields(row: Row, directory: Directory, findings: Findings) -> None:
    """The Case's `Withhold from` value as {field: audiences}; SOS114/SOS115 for what is not."""
    text = row.values.pop("withheld_fields", None)
    if not isinstance(text, str):
        return
    cell = row.cells.get("withheld_fields")
    label = schema.CASE.column("withheld_fields").name
    labels = _names_to_columns(schema.CASE)
    for separator in WITHHELD_ENTRY_SEPARATORS:
        text = text.replace(separator, "\n")
    withheld: dict[str, tuple[str, ...]] = {}
    for entry in filter(None, (e.strip() for e in text.split("\n"))):
        name, colon, audiences = entry.partition(":")
        column = labels.get(schema.normalise_label(name))
        if not colon or column is None or column.field in NEVER_WITHHELD:
            findings.add(codes.SOS115, row.sheet, cell, _unwithholdable(label, entry, column))
            continue
        resolved = resolve_audience(directory, label, audiences)
        if isinstance(resolved, Unresolved):
            findings.add(resolved.code, row.sheet, cell, resolved.message)
        elif resolved:
            withheld[column.field] = (*withheld.get(column.field, ()), *resolved)
    if withheld:
        row.values["withheld_fields"] = withheld


def _unwithholdable(label: str, entry: str, column: Column | None) -> str:
    example = "Author contact: Family"
    if column is not None and column.field in NEVER_WITHHELD:
        return (
            f"{label} names {quote(column.name)}, which every copy needs (it names the case, the "
            "meeting or its decision), so it cannot be withheld. Take that line out."
        )
    return (
        f"{label} holds {quote(entry)}, which is not a Case label followed by a colon and who "
        f"it is kept from. Write one a line, for example: {example}"
    )


def _resolve_cell(
    tables: Mapping[str, Table],
    table: Table,
    row: Row,
    column: Column,
    directory: Directory,
    findings: Findings,
) -> None:
    text = row.values.pop(column.field, None)
    if not isinstance(text, str) or not _target_trusted(tables, column):
        return
    resolved = _resolve_value(directory, table, column, text)
    if isinstance(resolved, Unresolved):
        findings.add(resolved.code, row.sheet, row.cells[column.field], resolved.message)
    else:
        row.values[column.field] = resolved


def _target_trusted(tables: Mapping[str, Table], column: Column) -> bool:
    # A broken target sheet already has its own error; do not repeat it for every reference.
    if column.kind is ColumnKind.REF:
        return tables[column.refers_to].trusted
    if column.kind is ColumnKind.AUDIENCE:
        return tables[schema.PEOPLE.name].trusted
    people_too = column.kind in (ColumnKind.PERSON, ColumnKind.PEOPLE)
    targets = [schema.CHILDREN] + ([schema.PEOPLE] if people_too else [])
    return all(tables[t.name].trusted for t in targets)


def _resolve_value(directory: Directory, table: Table, column: Column, text: str) -> object:
    if column.kind is ColumnKind.REF:
        return _resolve_id(directory, column, text)
    if column.kind is ColumnKind.AUDIENCE:
        return resolve_audience(directory, column.name, text)
    if column.kind in (ColumnKind.CHILDREN, ColumnKind.PEOPLE):
        return _resolve_children(directory, column, text)
    free_text = (table.contract.name, column.field) in rules.FREE_TEXT_PEOPLE
    return _resolve_person(directory, column, text, free_text)


def _resolve_person(
    directory: Directory, column: Column, text: str, free_text: bool
) -> PersonRef | Unresolved:
    people_too = column.kind in (ColumnKind.PERSON, ColumnKind.PEOPLE)
    matches = directory.find(text, children_only=not people_too)
    if len(matches) == 1:
        return matches[0]
    if not matches and free_text:
        return PersonRef(text)  # a role such as "School": allowed, with warning SOS204
    return Unresolved(_person_message(column, text, matches))


def _person_message(column: Column, text: str, matches: list[PersonRef]) -> str:
    if matches:
        ids = " or ".join(ref.id or "?" for ref in matches)
        return (
            f"{column.name} is {quote(text)}, but more than one person has that name ({ids}). "
            "Use the ID of the one you mean."
        )
    if column.kind in (ColumnKind.PERSON, ColumnKind.PEOPLE):
        return (
            f"{column.name} is {quote(text)}, but no one on the People or Children sheet has "
            "that ID or name. Use their ID (such as P1) or their name exactly as written there, "
            "or add them to the People sheet."
        )
    return (
        f"{column.name} names {quote(text)}, but no child on the Children sheet has that ID or "
        "name. Use the child's ID (such as C1) or their name exactly as written there."
    )


def _resolve_children(
    directory: Directory, column: Column, text: str
) -> tuple[PersonRef, ...] | Unresolved:
    for separator in CHILDREN_SEPARATORS:
        text = text.replace(separator, ",")
    children: list[PersonRef] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        child = _resolve_person(directory, column, part, free_text=False)
        if isinstance(child, Unresolved):
            return child
        if child not in children:
            children.append(child)
    return tuple(children)


def resolve_audience(directory: Directory, label: str, text: str) -> tuple[str, ...] | Unresolved:
    """A `Withhold from` cell as audiences: FAMILY and People IDs (SOS114 for anyone else)."""
    for separator in CHILDREN_SEPARATORS:
        text = text.replace(separator, ",")
    audiences: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        found = model.FAMILY if fold(part) == fold(model.FAMILY) else None
        if found is None:
            matches = [ref for ref in directory.find(part, children_only=False) if ref.id]
            family = [ref for ref in matches if not ref.is_child and ref.id not in directory.staff]
            found = family[0].id if len(family) == 1 and len(matches) == 1 else None
        if found is None:
            return Unresolved(_audience_message(label, part, matches), codes.SOS114)
        if found not in audiences:
            audiences.append(found)
    return tuple(audiences)


def _audience_message(label: str, part: str, matches: list[PersonRef]) -> str:
    if len(matches) > 1:
        ids = " or ".join(ref.id or "?" for ref in matches)
        why = f"more than one person has that name ({ids}). Use the ID of the one you mean"
    elif matches and matches[0].is_child:
        why = "that is a child. A copy is kept from the family or from an adult on People"
    elif matches:
        why = (
            "that is a professional, and professionals have the professional copy. Name the "
            "family members it is kept from"
        )
    else:
        why = "no one on the People sheet has that ID or name. Use their ID (such as P2)"
    return (
        f"{label} names {quote(part)}, but {why}. Write Family to keep this row from everyone "
        "who is not a professional, or leave it blank to share it."
    )


def _resolve_id(directory: Directory, column: Column, text: str) -> str | Unresolved:
    known = directory.ids.get(column.refers_to, {})
    if (match := known.get(fold(text))) is not None:
        return match
    problem = (
        f"{column.name} is {quote(text)}, but there is no ID {quote(text)} on the "
        f"{column.refers_to} sheet."
    )
    if not known:
        return Unresolved(
            f"{problem} That sheet has no rows with an ID yet: fill it in first, or clear this cell."
        )
    shown = ", ".join(list(known.values())[:SHOWN_IDS])
    return Unresolved(f"{problem} Use one of its IDs: {shown}.")


# ------------------------------------------------------------------------ results


def sorted_problems(
    problems: Iterable[Problem], tables: Mapping[str, Table]
) -> tuple[Problem, ...]:
    """Problems in contract sheet order, then row, then column; workbook-wide ones first."""
    order: dict[str, int] = {}
    for index, contract in enumerate(schema.SHEETS):
        order.setdefault(tables[contract.name].name, index)
        order.setdefault(contract.name, index)
    return tuple(
        sorted(problems, key=lambda p: (_sheet_position(p, order), _cell_position(p.cell)))
    )


def _sheet_position(found: Problem, order: Mapping[str, int]) -> int:
    return -1 if found.sheet is None else order.get(found.sheet, len(order))


def _cell_position(cell: str | None) -> tuple[int, int]:
    return (0, 0) if cell is None else coordinate_to_tuple(cell)


def build_case(tables: Mapping[str, Table], book: rules.Book | None = None) -> MappingCase:
    """The typed case from tables that passed every check (`book`: the same tables, checked)."""
    book = book or rules.Book(tables, dt.date.today())
    danger_ids = Directory.of(tables).ids.get(schema.DANGER_STATEMENTS.name, {})
    records: dict[str, Any] = {
        case_field: tuple(
            make(**record_values(name, row, danger_ids, book), source=source_of(row))
            for row in tables[name].rows
        )
        for name, (make, case_field) in RECORDS.items()
    }
    records["words_and_pictures"] = tuple(sorted(records["words_and_pictures"], key=_page))
    return MappingCase(details=build_details(tables[schema.CASE.name].rows[0]), **records)


def _page(page: WordsPage) -> int:
    return page.page


def record_values(
    sheet: str, row: Row, danger_ids: Mapping[str, str], book: rules.Book
) -> dict[str, Any]:
    """A row's values as its record takes them: named categories split, `About` resolved, a
    child's words they did not agree to share withheld from the family."""
    values: dict[str, Any] = dict(row.values)
    if sheet == schema.CHILDS_VIEWS.name and rules.words_not_agreed(row, book):
        values["not_agreed"] = True
        values["withheld_from"] = _with_family(values)
    if sheet == schema.SCALING.name and rules.scored_by_unagreed_child(row, book):
        # A child's own score and its reason are their words too.
        values["withheld_from"] = _with_family(values)
    if "categories" in values:
        values["categories"] = split_categories(str(values["categories"]))
    if sheet == schema.FAMILYS_VIEWS.name:
        values.update(about_target(str(values.pop("about", "")), danger_ids))
    return values


def _with_family(values: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((model.FAMILY, *values.get("withheld_from", ()))))


def split_categories(text: str) -> tuple[str, ...]:
    """The categories of harm a `Categories` cell names, as the category list spells them."""
    known = {fold(name): name for name in schema.CATEGORIES_OF_HARM}
    parts = (part.strip() for part in text.replace(";", ",").split(","))
    # Each category once, in the order first named: "Neglect, neglect" is one category.
    return tuple(dict.fromkeys(known.get(fold(part), part) for part in parts if part))


def about_target(text: str, danger_ids: Mapping[str, str]) -> dict[str, Any]:
    """What a Family's views `About` cell points at: a danger statement, a Harm row, or all."""
    text = text.strip()
    if not text:
        return {}
    if (danger_id := danger_ids.get(fold(text))) is not None:
        return {"danger_statement_id": danger_id}
    if (number := practice_rules.harm_row_number(text)) is not None:
        return {"harm_row": number}
    return {"danger_statement_id": text}  # the rules have already said it matches nothing


def build_details(row: Row) -> CaseDetails:
    """The Case sheet's values, with the scale's default wording where it was left empty."""
    values: dict[str, Any] = {
        "scale_zero_means": model.DEFAULT_SCALE_ZERO,
        "scale_ten_means": model.DEFAULT_SCALE_TEN,
        **row.values,
    }
    if "categories" in values:
        values["categories"] = split_categories(str(values["categories"]))
    return CaseDetails(**values, source=source_of(row))


def source_of(row: Row) -> Source:
    """Where a record came from, with the cell of each of its fields."""
    return Source(row.sheet, row.number, dict(row.cells))
