"""The one exception tree of sos-docs.

Problems found in a workbook are data (`sos_docs.model.Problem`), not exceptions. Exceptions
are for "cannot go on":

    SosDocsError
    ├── WorkbookError            the file cannot be read as a mapping workbook at all
    ├── TemplateError            a .docx template is missing, broken or uses unknown fields
    ├── RenderError              a document could not be produced from a good workbook
    ├── DeliveryError            a finished document could not be written into place
    ├── ConfigError              the configuration file or flags are wrong
    ├── JournalError             the service's job journal cannot be used
    └── PdfError                 a PDF copy of a finished document could not be made

Library exceptions (zipfile, openpyxl, lxml, jinja2, sqlite3, OSError) are translated into
these where the library is called, always with ``raise ... from``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path


class SosDocsError(Exception):
    """Root of every error sos-docs raises on purpose."""


class WorkbookError(SosDocsError):
    """The file cannot be opened as an Excel mapping workbook (rule WB001).

    `sheet` and `cell` say where, when one place is to blame (a cell over a budget).
    """

    def __init__(self, message: str, *, sheet: str | None = None, cell: str | None = None) -> None:
        super().__init__(message)
        self.sheet = sheet
        self.cell = cell


class TemplateError(SosDocsError):
    """A document template is missing, damaged, or uses fields sos-docs does not know."""


class RenderError(SosDocsError):
    """A document could not be rendered from a valid case."""


class DeliveryError(SosDocsError):
    """A rendered document could not be written to its destination."""


class TargetError(DeliveryError):
    """A destination folder is not a plain folder inside its root (a link, a file, outside).

    Unlike other delivery failures, waiting does not help: the job stops and explains.
    """


class ConfigError(SosDocsError):
    """The configuration (file or command-line flags) is invalid.

    `file` is the settings file to correct when known (a layout.toml beside sos-docs.toml).
    """

    def __init__(self, *args: object, file: Path | None = None) -> None:
        super().__init__(*args)
        self.file = file


class JournalError(SosDocsError):
    """The job journal database cannot be opened or written."""


class PdfError(SosDocsError):
    """A PDF copy of a finished document could not be made (LibreOffice missing or failing)."""


_QUOTED = re.compile(r"b?'[^']*'|b?\"[^\"]*\"")
_MASK = "'…'"


def without_quoted_text(exc: BaseException) -> str:
    """An exception as `Type: message` for a log line, with every quoted part masked.

    Library errors quote the text they choked on ("invalid literal for int(): 'Mia ...'"), and
    the service log must never carry a workbook's cell contents.
    """
    return f"{type(exc).__name__}: {_QUOTED.sub(_MASK, str(exc))}"


def describe_warning(warning: warnings.WarningMessage) -> str:
    """A warning by its category and origin (module and line), never its text."""
    return f"{warning.category.__name__} from {_module_of(warning.filename)} line {warning.lineno}"


def _module_of(filename: str) -> str:
    """`openpyxl/reader/excel.py` for a file inside site-packages, else the file's name."""
    parts = Path(filename).parts
    for anchor in ("site-packages", "dist-packages", "sos_docs"):
        if anchor in parts:
            start = parts.index(anchor) + (anchor != "sos_docs")
            return "/".join(parts[start:])
    return Path(filename).name
