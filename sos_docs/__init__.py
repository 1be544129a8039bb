"""sos-docs: Signs of Safety mapping workbooks in, conference paperwork out.

The public API: check a workbook, process it into documents, or render a valid case in memory;
the model those hand over, the configuration, and the errors. Everything else is internal and
may change. The three functions load the pipeline (openpyxl, docxtpl) only when first called,
so `import sos_docs` stays quick for the command line.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sos_docs.loading import paused

# The model and configuration make thousands of objects (their dataclasses' methods); the
# collector, paused meanwhile, would go over them a dozen times to find nothing to free.
with paused():
    from sos_docs.config import DEFAULT_CONFIG, Config, load_config
    from sos_docs.errors import (
        ConfigError,
        DeliveryError,
        JournalError,
        PdfError,
        RenderError,
        SosDocsError,
        TemplateError,
        WorkbookError,
    )
    from sos_docs.model import Level, MappingCase, Picture, Problem, Validation

if TYPE_CHECKING:
    from sos_docs.documents.pdf import PdfConverter
    from sos_docs.pipeline import DocumentKind, ProcessResult, RenderedDocument

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_CONFIG",
    "Config",
    "ConfigError",
    "DeliveryError",
    "JournalError",
    "Level",
    "MappingCase",
    "PdfError",
    "Picture",
    "Problem",
    "RenderError",
    "SosDocsError",
    "TemplateError",
    "Validation",
    "WorkbookError",
    "__version__",
    "check_workbook",
    "load_config",
    "process_workbook",
    "render_case",
]


def check_workbook(
    path: str | os.PathLike[str], config: Config = DEFAULT_CONFIG, today: dt.date | None = None
) -> Validation:
    """Read and validate a workbook file (a path or its name): the case, or every problem."""
    from sos_docs import pipeline

    return pipeline.check_workbook(Path(path), config, today)


def process_workbook(
    path: str | os.PathLike[str],
    out_root: str | os.PathLike[str],
    config: Config = DEFAULT_CONFIG,
    kinds: tuple[DocumentKind, ...] | None = None,
    today: dt.date | None = None,
    converter: PdfConverter | None = None,
) -> ProcessResult:
    """Check a workbook and, when it is valid, write its documents under `out_root`."""
    from sos_docs import pipeline

    return pipeline.process_workbook(Path(path), Path(out_root), config, kinds, today, converter)


def render_case(
    case: MappingCase,
    config: Config = DEFAULT_CONFIG,
    kinds: tuple[DocumentKind, ...] | None = None,
) -> list[RenderedDocument]:
    """Render each document of a valid case in memory (bytes, with its warnings)."""
    from sos_docs import pipeline

    return pipeline.render_case(case, config, kinds)
