"""A first layout for a team's own workbook, guessed from its sheet titles and headings.

`sos-docs layout suggest` writes it for a person to correct: each guess is said in a comment,
and so is everything that could not be placed. Names are matched as the reader matches them
(schema.py's names and aliases), then with case, punctuation and plurals folded, then through a
small table of words teams use, and last by closeness (said as a guess).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from openpyxl.utils.cell import get_column_letter

from sos_docs.config import layout_table, toml_key, toml_string
from sos_docs.model import CellValue, RawSheet, RawWorkbook
from sos_docs.workbook import schema
from sos_docs.workbook.cells import as_text, is_blank

__all__ = ["suggest_layout"]

# Words teams use for the standard sheets and fields that the reader itself does not accept.
SHEET_WORDS: Mapping[str, str] = {
    "family members": "People",
    "family": "People",
    "network": "People",
    "family and friends": "People",
    "young people": "Children",
    "kids": "Children",
    "details": "Case",
    "case summary": "Case",
    "concerns": "Harm",
    "worries": "Harm",  # the reader takes a "Worries" sheet as Danger statements: it wins
    "what has happened": "Harm",
    "action plan": "Next steps",
    "actions": "Next steps",
    "plan": "Next steps",
    "danger": "Danger statements",
    "goals": "Safety goals",
    "scaling questions": "Scaling",
}
FIELD_WORDS: Mapping[str, str] = {
    "task": "Action",
    "owner": "Who",
    "responsible": "Who",
    "lead": "Who",
    "due": "By when",
    "due date": "By when",
    "deadline": "By when",
    "progress": "Status",
    "goal": "Safety goal",
    "dob": "Date of birth",
    "full name": "Name",
    "relation": "Relationship",
    "pr": "Parental responsibility",
    "ref": "ID",
    "when": "Date",
    "what we know happened": "What happened",
    "how it affected the children": "Impact on the child",
    "our reference": "Case reference",
    "reference number": "Case reference",
    "case number": "Case reference",
    "meeting": "Meeting type",
    "written by": "Report author",
    "mapped on": "Mapping date",
    "date mapped": "Mapping date",
}
# Plain words whose field depends on the sheet they head: "What" is a next step's action but
# a harm's what happened; "When" a next step's by when but a harm's date.
SHEET_FIELD_WORDS: Mapping[str, Mapping[str, str]] = {
    schema.NEXT_STEPS.name: {
        "what": "Action",
        "what needs to happen": "Action",
        "step": "Action",
        "when": "By when",
        "by": "By when",
    },
    schema.HARM.name: {"what": "What happened", "worry": "What happened", "when": "Date"},
    schema.DANGER_STATEMENTS.name: {
        "worry": "Statement",
        "what": "Statement",
        "danger": "Statement",
    },
    schema.SAFETY_GOALS.name: {"what": "Goal", "safety goal": "Goal"},
    schema.COMPLICATING_FACTORS.name: {"what": "Factor", "worry": "Factor"},
    schema.GREY_AREAS.name: {"what": "Question or unknown", "question": "Question or unknown"},
}
CLOSE_ENOUGH = 0.8
GUESS = "  # a guess: check it"
HEADER_ROWS_SEARCHED = schema.HEADER_SEARCH_ROWS * 2


def fold(text: str) -> str:
    """A name folded for matching: case, punctuation and plural endings set aside."""
    words = re.sub(r"[^\w]+", " ", schema.normalise_label(text)).split()
    return " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words)


@dataclass(frozen=True)
class Guess:
    """A standard name matched to a team's name, and how (exact names need no layout line)."""

    name: str
    how: str  # "usual" (found without a layout), "folded", "word", "close"


def match(text: str, names: Mapping[str, Iterable[str]], words: Mapping[str, str]) -> Guess | None:
    """The standard name a team's name stands for: `names` maps each to its accepted names."""
    usual = schema.normalise_label(text)
    for name, accepted in names.items():
        if usual in {schema.normalise_label(a) for a in accepted}:
            return Guess(name, "usual")
    folded = fold(text)
    for name, accepted in names.items():
        if folded in {fold(a) for a in accepted}:
            return Guess(name, "folded")
    word = {fold(k): v for k, v in words.items()}.get(folded)
    if word is not None and word in names:
        return Guess(word, "word")
    by_fold = {fold(a): name for name, accepted in names.items() for a in accepted}
    close = difflib.get_close_matches(folded, list(by_fold), 1, CLOSE_ENOUGH)
    return Guess(by_fold[close[0]], "close") if close else None


@dataclass
class SheetGuess:
    """What was guessed for one standard sheet."""

    contract: schema.Sheet
    team: RawSheet
    how: str
    header_row: int | None = None
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (field, target, how)
    unplaced: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    numbered: bool = False  # no ID column: team_layout.py numbers the rows


def suggest_layout(raw: RawWorkbook) -> str:
    """A layout.toml for the workbook, every guess and gap said in a comment."""
    guesses, unplaced_sheets = _sheet_guesses(raw)
    lines = [
        f"# A first layout for {raw.path_name}, written by `sos-docs layout suggest`.",
        "# Check every line against the workbook: the guesses are marked. Left of `=`: the name",
        '# sos-docs uses; right: your heading, your label, "column D", or a cell such as "C4".',
        "# Keep it as layout.toml beside the folder's sos-docs.toml, or paste it into that file.",
    ]
    for title in unplaced_sheets:
        lines.append(f"# Not placed: your sheet {toml_string(title)} (no standard sheet fits).")
    for contract in schema.SHEETS:
        if contract.required and contract.name not in guesses:
            lines.append(f"# Not found: the {contract.name} sheet, which every workbook needs.")
    written = [g for c in schema.SHEETS if (g := guesses.get(c.name)) is not None and _needed(g)]
    if not written:
        lines.append(
            "# Every sheet and heading is one sos-docs reads already: no layout is needed."
        )
    for guess in written:
        lines.extend(["", *_sheet_lines(guess)])
    return "\n".join(lines) + "\n"


def _needed(guess: SheetGuess) -> bool:
    """False for a sheet sos-docs reads as it is (its usual title and headings, all there)."""
    plain = guess.how == "usual" and not guess.fields and guess.header_row is None
    return not plain or bool(guess.missing or guess.unplaced)


def _sheet_guesses(raw: RawWorkbook) -> tuple[dict[str, SheetGuess], list[str]]:
    names = {c.name: (c.name, *c.aliases) for c in schema.SHEETS}
    guesses: dict[str, SheetGuess] = {}
    unplaced: list[str] = []
    for sheet in raw.sheets:
        found = match(sheet.title, names, SHEET_WORDS)
        if sheet.hidden or found is None or found.name in guesses:
            if schema.normalise_label(sheet.title) != schema.normalise_label(
                schema.INSTRUCTIONS_SHEET
            ):
                unplaced.append(sheet.title)
            continue
        contract = next(c for c in schema.SHEETS if c.name == found.name)
        guess = SheetGuess(contract, sheet, found.how)
        if contract.key_value:
            _guess_labels(guess)
        else:
            _guess_headings(guess)
        guesses[contract.name] = guess
    return guesses, unplaced


def _field_names(contract: schema.Sheet) -> dict[str, tuple[str, ...]]:
    return {c.name: (c.name, *c.aliases) for c in contract.columns}


def _field_words(contract: schema.Sheet) -> dict[str, str]:
    """The words teams use for fields, those of this sheet first."""
    return {**FIELD_WORDS, **SHEET_FIELD_WORDS.get(contract.name, {})}


def _missing(contract: schema.Sheet, placed: set[str]) -> list[str]:
    """The required fields not placed; an ID column is not needed where the rows are numbered
    in order (workbook/team_layout.py)."""
    return [
        c.name
        for c in contract.columns
        if c.required
        and c.name not in placed
        and not (c.field == "id" and contract.name in schema.ID_PREFIXES)
    ]


def _guess_labels(guess: SheetGuess) -> None:
    """Case labels anywhere on the sheet, each with its value in the cell to its right."""
    names = _field_names(guess.contract)
    placed: set[str] = set()
    for _spot, value in sorted(guess.team.cells.items()):
        if not isinstance(value, str) or not value.strip():
            continue
        found = match(value, names, _field_words(guess.contract))
        if found is None or found.name in placed:
            continue
        placed.add(found.name)
        if found.how != "usual":
            guess.fields.append((found.name, value.strip(), found.how))
    guess.missing = _missing(guess.contract, placed)


def _guess_headings(guess: SheetGuess) -> None:
    """The header row (the row with most known headings) and each heading's field."""
    names = _field_names(guess.contract)
    rows: dict[int, dict[int, CellValue]] = {}
    for (row, column), value in guess.team.cells.items():
        rows.setdefault(row, {})[column] = value
    best: tuple[int, int, dict[int, Guess]] = (0, 1, {})
    for number in sorted(rows)[:HEADER_ROWS_SEARCHED]:
        found = _row_guesses(rows[number], names, _field_words(guess.contract))
        if len(found) > best[0]:
            best = (len(found), number, found)
    _count, header, found = best
    guess.header_row = header if header != 1 else None
    placed = set()
    for column, value in sorted(rows.get(header, {}).items()):
        if is_blank(value):
            continue
        one = found.get(column)
        if one is None:
            guess.unplaced.append(f"{as_text(value)} (column {get_column_letter(column)})")
            continue
        placed.add(one.name)
        if one.how != "usual":
            guess.fields.append((one.name, as_text(value).strip(), one.how))
    guess.missing = _missing(guess.contract, placed)
    guess.numbered = guess.contract.name in schema.ID_PREFIXES and not any(
        c.field == "id" and c.name in placed for c in guess.contract.columns
    )


def _row_guesses(
    cells: Mapping[int, CellValue], names: Mapping[str, Iterable[str]], words: Mapping[str, str]
) -> dict[int, Guess]:
    """Each cell of a row matched to a field, each field once (the leftmost)."""
    found: dict[int, Guess] = {}
    for column, value in sorted(cells.items()):
        if is_blank(value):
            continue
        one = match(as_text(value), names, words)
        if one is not None and all(g.name != one.name for g in found.values()):
            found[column] = one
    return found


def _sheet_lines(guess: SheetGuess) -> list[str]:
    lines = [layout_table(guess.contract.name)]
    said = {"usual": "", "folded": "", "word": "", "close": GUESS}
    exact = schema.normalise_label(guess.team.title) == schema.normalise_label(guess.contract.name)
    lines.append(f"sheet = {toml_string(guess.team.title)}{'' if exact else GUESS}")
    if guess.header_row is not None:
        lines.append(f"header_row = {guess.header_row}")
    for name, target, how in guess.fields:
        lines.append(f"{toml_key(name)} = {toml_string(target)}{said[how]}")
    for heading in guess.unplaced:
        lines.append(f"# Not placed: your heading {heading}.")
    if guess.numbered:
        prefix = schema.ID_PREFIXES[guess.contract.name]
        lines.append(
            f"# No ID column: the rows are numbered {prefix}1, {prefix}2 ... in row order."
        )
    for name in guess.missing:
        lines.append(
            f"# Not found: {name}, which every workbook needs. Add it to the sheet, or write "
            f'{toml_key(name)} = "your heading".'
        )
    return lines
