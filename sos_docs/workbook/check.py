"""Read and validate one workbook file: the pipeline's first stages, alone for `sos-docs validate`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sos_docs import codes
from sos_docs.config import DEFAULT_CONFIG, Config
from sos_docs.errors import WorkbookError
from sos_docs.model import Validation
from sos_docs.workbook.shapes import ShapeError, read_case_workbook
from sos_docs.workbook.validate import validate

__all__ = ["check_layout_of", "check_workbook"]


def check_workbook(
    path: Path, config: Config = DEFAULT_CONFIG, today: dt.date | None = None
) -> Validation:
    """Read and validate a workbook file; a file that cannot be read becomes one WB001 problem."""
    try:
        raw = read_case_workbook(path, config.limits, config.layout)
    except WorkbookError as exc:
        code = exc.code if isinstance(exc, ShapeError) else codes.WB001
        return Validation(None, (codes.problem(code, exc.sheet, exc.cell, str(exc)),))
    return validate(raw, today=today, sharing=config.sharing)


def check_layout_of(config: Config) -> None:
    """ConfigError (its file and line) when the root's layout names what no workbook has."""
    if config.layout is not None:
        from sos_docs.workbook.team_layout import check_layout  # only a root with a layout

        check_layout(config.layout)
