"""Which names in an inbox are candidates for a job, decided by small filter classes.

Modelled on watchfiles' filters: a filter is called with a path and answers by name alone, so
the watcher can use it for native events and for full listings alike.

The watcher uses `InboxFilter`: every name is taken (to be processed, or rejected with an
explanation of what the inbox takes) except the lock, temporary, hidden and system files that
`ignored_reason` names. `sos-docs status` can use `ignored_reason` to say why a file is left.
"""

from __future__ import annotations

import re
from pathlib import PurePath

__all__ = [
    "HELP_FILE_NAME",
    "REFUSED_EXTENSIONS",
    "WORKBOOK_EXTENSIONS",
    "DefaultFilter",
    "InboxFilter",
    "ignored_reason",
    "is_refused_format",
    "needs_zip_check",
]

# Excel saves through a new file named with eight hexadecimal digits and no extension, then
# renames it over the workbook; taking it would break the save.
_EXCEL_SAVE_FILE = re.compile(r"[0-9A-F]{8}")
# The instructions the service keeps in each inbox (status_page.py writes them).
HELP_FILE_NAME = "How to use this folder.txt"
_WINDOWS_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})

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


def ignored_reason(name: str) -> str | None:
    """Why the inbox leaves a file of this name alone, or None when it is taken.

    Only lock and temporary files of Excel and LibreOffice, hidden files and Windows' own
    folder files are left: taking one would pull it from under the program that owns it.
    Everything else is taken, and either processed or rejected with an explanation. The
    inbox's own instructions (`HELP_FILE_NAME`, in any case) are the service's, never a job.
    """
    if name.casefold() == HELP_FILE_NAME.casefold():
        return "the instructions sos-docs keeps in this folder"
    if name.startswith("~$"):
        return "an Excel lock file (Excel keeps it while the workbook is open)"
    if name.startswith(".~lock."):
        return "a LibreOffice lock file (LibreOffice keeps it while the file is open)"
    if name.startswith("."):
        return "a hidden file"
    if name.lower().endswith(".tmp"):
        return "a temporary file (Excel and other programs save through these)"
    if _EXCEL_SAVE_FILE.fullmatch(name):
        return "an Excel temporary file (Excel saves through a file named like this)"
    if name.lower() in _WINDOWS_SYSTEM_FILES:
        return "a Windows folder settings or thumbnail file"
    return None


class InboxFilter:
    """Accepts every name `ignored_reason` does not leave alone: nothing sits unexplained."""

    def __call__(self, path: PurePath) -> bool:
        """True when the inbox takes a file of this name."""
        return bool(path.name) and ignored_reason(path.name) is None
