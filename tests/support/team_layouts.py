"""A team's own multi-sheet workbook: the example family in renamed sheets and columns.

`TeamWorkbook(WorkbookBuilder())` writes the example's data (tests/support/builders.py, which
takes it from sos_docs/workbook/example.py) the way the Riverside team keeps it: the Case block
on a "Details" sheet at other cells, People on "Family" under two title rows with "Full name",
"Relation" and "PR?", Harm on "Concerns", Next steps on "Action plan" with "Task", "Owner" and
"Due date", columns in the team's own order. docs/examples/layout.toml is its layout; the other
sheets keep their usual titles. Change the data on the builder (`update_row`, `set_case`) by the
usual names, then write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from sos_docs.workbook import schema
from tests.support.builders import WorkbookBuilder

REPOSITORY = Path(__file__).resolve().parents[2]
DOCUMENTED_LAYOUT = REPOSITORY / "docs" / "examples" / "layout.toml"
DOCUMENTED_WORKBOOK = REPOSITORY / "docs" / "examples" / "team-workbook.xlsx"

CASE_SHEET = "Details"
CASE_FIRST_ROW = 4  # the Case reference's value is C4, as the layout says
CASE_LABELS = {
    "Case reference": "Our reference",
    "Meeting type": "Meeting",
    "Report author": "Written by",
    "Mapping date": "Mapped on",
}


class TeamSheet:
    """How the team writes one standard table sheet: its title, title rows and headings."""

    def __init__(self, title: str, title_rows: int, headings: dict[str, str]) -> None:
        self.title = title
        self.title_rows = title_rows
        self.headings = headings  # standard column name -> the team's heading

    def heading(self, column: str) -> str:
        """The team's heading for a standard column (its usual name when not renamed)."""
        return self.headings.get(column, column)


TEAM_SHEETS = {
    "Children": TeamSheet(
        "Young people", 0, {"ID": "Ref", "Name": "Full name", "Date of birth": "DOB"}
    ),
    "People": TeamSheet(
        "Family",
        2,
        {
            "ID": "Ref",
            "Name": "Full name",
            "Relationship": "Relation",
            "Parental responsibility": "PR?",
        },
    ),
    "Harm": TeamSheet(
        "Concerns",
        1,
        {
            "Date": "When",
            "What happened": "What we know happened",
            "Impact on the child": "How it affected the children",
        },
    ),
    "Next steps": TeamSheet(
        "Action plan",
        1,
        {
            "Action": "Task",
            "Who": "Owner",
            "By when": "Due date",
            "Safety goal": "Goal",
            "Status": "Progress",
        },
    ),
}


class TeamWorkbook:
    """The example family in the team's own sheets; `cell` says where a value lands."""

    def __init__(
        self,
        book: WorkbookBuilder | None = None,
        headings: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.book = book or WorkbookBuilder()
        # (standard sheet, standard column) -> a heading written other than the layout says
        self.headings = headings or {}

    def write(self, path: Path) -> Path:
        """Write the team's workbook: the standard one, its Case and four tables reshaped."""
        self.book.write(path)
        workbook = load_workbook(path)
        self._write_details(workbook)
        for name, team in TEAM_SHEETS.items():
            self._write_table(workbook, name, team)
        workbook.save(path)
        return path

    # ---- where things land

    def columns(self, sheet: str) -> list[str]:
        """A team table's standard column names in the team's order (the first moved last)."""
        names = self.book.columns_of(sheet)
        return [*names[1:], names[0]]

    def cell(self, sheet: str, column: str, index: int = 0) -> str:
        """A1 reference of a value in the team's sheet (Case: by its standard label)."""
        if sheet == "Case":
            labels = self._case_labels()
            return f"C{CASE_FIRST_ROW + labels.index(column)}"
        team = TEAM_SHEETS[sheet]
        letter = get_column_letter(self.columns(sheet).index(column) + 1)
        return f"{letter}{team.title_rows + 2 + index}"

    def header_cell(self, sheet: str, column: str) -> str:
        """A1 reference of a team heading."""
        team = TEAM_SHEETS[sheet]
        return f"{get_column_letter(self.columns(sheet).index(column) + 1)}{team.title_rows + 1}"

    # ---- writing

    def _case_labels(self) -> list[str]:
        known = [c.name for c in schema.CASE.columns]
        return [label for label in known if label in self.book.case]

    def _write_details(self, workbook: Workbook) -> None:
        del workbook["Case"]
        sheet = workbook.create_sheet(CASE_SHEET, 0)
        sheet["A1"] = "Riverside Family Support Team: family details"
        for row, label in enumerate(self._case_labels(), start=CASE_FIRST_ROW):
            sheet.cell(row, 2, CASE_LABELS.get(label, label))
            _put(sheet, row, 3, self.book.case[label])

    def _write_table(self, workbook: Workbook, name: str, team: TeamSheet) -> None:
        position = workbook.sheetnames.index(name)
        del workbook[name]
        sheet = workbook.create_sheet(team.title, position)
        columns = self.columns(name)
        if team.title_rows:
            sheet.cell(1, 1, f"{team.title} (Riverside Family Support Team)")
        header = team.title_rows + 1
        for number, column in enumerate(columns, start=1):
            sheet.cell(header, number, self.headings.get((name, column), team.heading(column)))
        for offset, record in enumerate(self.book.rows(name), start=1):
            for number, column in enumerate(columns, start=1):
                _put(sheet, header + offset, number, record.get(column))


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> None:
    if value is not None:
        sheet.cell(row, column, value)


def write_documented_workbook(path: Path = DOCUMENTED_WORKBOOK) -> Path:
    """Write docs/examples/team-workbook.xlsx (run this module to refresh it)."""
    path.unlink(missing_ok=True)
    return TeamWorkbook().write(path)


if __name__ == "__main__":
    print(write_documented_workbook())
