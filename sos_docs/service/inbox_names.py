"""Which names in an inbox are candidates for a job, decided by small filter classes.

Modelled on watchfiles' filters: a filter is called with a path and answers by name alone, so
the watcher can use it for native events and for full listings alike.
"""

from __future__ import annotations

from pathlib import PurePath

__all__ = [
    "REFUSED_EXTENSIONS",
    "WORKBOOK_EXTENSIONS",
    "DefaultFilter",
    "is_refused_format",
    "needs_zip_check",
]

# The formats sos-docs reads.
WORKBOOK_EXTENSIONS = frozenset({".xlsx", ".xlsm"})

# Spreadsheets people save by mistake: taken only to be rejected with how to save them as .xlsx,
# so the file does not sit in the inbox unexplained.
REFUSED_EXTENSIONS = frozenset({".xls", ".xlsb", ".ods", ".csv", ".numbers"})


def _extension(path: PurePath) -> str:
    return path.suffix.lower()


def is_refused_format(path: PurePath) -> bool:
    """True for a spreadsheet format sos-docs takes only to reject with an explanation."""
    return _extension(path) in REFUSED_EXTENSIONS


def needs_zip_check(path: PurePath) -> bool:
    """True when a complete file must open as a zip (Office Open XML workbooks)."""
    return _extension(path) in WORKBOOK_EXTENSIONS


class DefaultFilter:
    """Accepts workbook-like names; ignores lock files, hidden, temporary and other files.

    Excel writes `~$name.xlsx` beside an open workbook and saves through `~WRL1234.tmp` files;
    LibreOffice writes `.~lock.name.xlsx#`; macOS copies leave `._name.xlsx`. None of them are
    workbooks, and claiming one would take it from under the program that owns it.
    """

    ignore_prefixes: tuple[str, ...] = ("~$", ".~lock.", ".", "~")
    ignore_suffixes: tuple[str, ...] = (".tmp", "#", "~")
    extensions: frozenset[str] = WORKBOOK_EXTENSIONS | REFUSED_EXTENSIONS

    def __call__(self, path: PurePath) -> bool:
        """True when the name is a candidate for a job (the watcher checks it is a file)."""
        name = path.name
        if not name or name.startswith(self.ignore_prefixes):
            return False
        if name.lower().endswith(self.ignore_suffixes):
            return False
        return _extension(path) in self.extensions
