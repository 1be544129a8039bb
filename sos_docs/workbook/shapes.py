"""Which shape a workbook is in, and the standard sheets it says: the one way a case's workbook is read.

A workbook is read as a one-page map when a sheet (not named as a standard sheet) has the
three questions as headings side by side (found by workbook/map_headings.py, read by
workbook/one_page.py; standard sheets beside it are read as they are), else as the standard
sos-docs mapping workbook when any of its sheets is a standard sheet. A workbook in neither
shape is one clear problem (WB014) saying what was tried, instead of a "missing sheet" error
for every standard sheet. The service, the command line and the reading of a review's earlier
workbooks all go through `read_case_workbook`, so a case's workbook is read the same way
wherever it is read.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sos_docs import codes
from sos_docs.config import DEFAULT_LIMITS, Limits
from sos_docs.errors import WorkbookError
from sos_docs.model import RawWorkbook, TeamLayout
from sos_docs.workbook import map_headings, schema
from sos_docs.workbook.reader import read_workbook

__all__ = ["ShapeError", "has_layout_sheet", "is_standard", "read_case_workbook", "reshape"]

log = logging.getLogger(__name__)


class ShapeError(WorkbookError):
    """The workbook is in none of the shapes sos-docs reads (rule WB014)."""

    code = codes.WB014


def read_case_workbook(
    path: Path, limits: Limits = DEFAULT_LIMITS, layout: TeamLayout | None = None
) -> RawWorkbook:
    """Read a workbook file and reshape it into the standard sheets (`reshape`)."""
    return reshape(read_workbook(path, limits), layout)


def reshape(raw: RawWorkbook, layout: TeamLayout | None = None) -> RawWorkbook:
    """A one-page map as the standard sheets it says; else, where the root has a team layout,
    the workbook read through it (a standard workbook passes through as it is); else a standard
    workbook as it is.

    Raises ShapeError, naming what each shape lacked, for a workbook in no shape.
    """
    headings = map_headings.find_map(raw)
    if headings is not None:
        # Reading a map is loaded only for a map (some 7 ms of every other start).
        from sos_docs.workbook import one_page

        log.debug("read as a one-page map (sheet %d)", raw.sheets.index(headings.sheet) + 1)
        return one_page.reshape_map(raw, headings)
    if layout is not None and (has_layout_sheet(raw, layout) or is_standard(raw)):
        # Loaded only for a root with a team layout (some 5 ms of every other start).
        from sos_docs.workbook.team_layout import apply_layout

        # The layout's own problems (a sheet or heading it names is not there) say what is wrong.
        return apply_layout(raw, layout)
    if is_standard(raw):
        return raw
    raise ShapeError(_no_shape_message(raw, layout))


def has_layout_sheet(raw: RawWorkbook, layout: TeamLayout) -> bool:
    """True when any sheet of the workbook is one the team's layout names."""
    named = {schema.normalise_label(entry.sheet) for entry in layout.sheets}
    return any(schema.normalise_label(sheet.title) in named for sheet in raw.sheets)


def is_standard(raw: RawWorkbook) -> bool:
    """True when any sheet (hidden or not) has the name of a standard mapping workbook sheet."""
    names = {name for contract in schema.SHEETS for name in schema.sheet_names_for(contract)}
    return any(schema.normalise_label(sheet.title) in names for sheet in raw.sheets)


def _no_shape_message(raw: RawWorkbook, layout: TeamLayout | None) -> str:
    """Which shapes were tried and what each lacked, and how to fix it."""
    titles = ", ".join(f'"{sheet.title}"' for sheet in raw.sheets) or "none"
    required = ", ".join(f'"{c.name}"' for c in schema.SHEETS if c.required)
    tried = "three shapes" if layout is not None else "two shapes"
    team = ""
    if layout is not None:
        named = ", ".join(f'"{entry.sheet}"' for entry in layout.sheets) or "none"
        team = f"Your team's layout ({layout.source.name}): none of its sheets ({named}) is there. "
    return (
        f"sos-docs cannot tell how this workbook is laid out. It tried {tried}. "
        f"The sos-docs mapping workbook: none of its sheets is there (it needs {required}; "
        f"this workbook has {titles}). A one-page map: {map_headings.headings_not_found(raw)}. "
        f"{team}Start from `sos-docs new-workbook` (or `new-workbook --one-page`) and copy the map in, "
        "or give the sheet the three question headings across its top."
    )
