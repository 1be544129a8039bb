"""Folders, links, pipes and devices in an inbox: each explained once by a note in rejected/.

sos-docs cannot take them, so each is left where it is and explained after the settle time.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

from sos_docs import codes, files
from sos_docs.errors import DeliveryError
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import root_extra
from sos_docs.workbook import explain, guard

__all__ = ["UntakeableEntries", "write_untakeable_note"]

log = logging.getLogger(__name__)


class UntakeableEntries:
    """The untakeable entries of one root's inbox: when each was first seen, which are explained."""

    def __init__(self, root: WatchedRoot) -> None:
        self.root = root
        # first seen (monotonic), until explained once
        self.first_seen: dict[Path, float] = {}
        self.explained: set[Path] = set()

    def explain(self, others: list[Path]) -> None:
        """Once each, after the settle time: a note in rejected/ for what cannot be moved."""
        now = time.monotonic()
        present = set(others)
        for gone in set(self.first_seen) - present:
            del self.first_seen[gone]
        self.explained &= present  # a folder removed and made again is explained again
        for path in others:
            if path in self.explained:
                continue
            first_seen = self.first_seen.setdefault(path, now)
            if now - first_seen < self.root.config.settle_seconds:
                continue
            try:
                write_untakeable_note(self.root, path)
            except DeliveryError as exc:
                log.warning("Could not explain %s: %s", path.name, exc)
                continue
            self.explained.add(path)


def write_untakeable_note(root: WatchedRoot, path: Path) -> None:
    """`<name> - problems.txt` in rejected/ for a folder or pipe left in the inbox, once."""
    try:
        mode = path.stat(follow_symlinks=False).st_mode
    except OSError:
        return
    name = path.name
    kind = "a folder" if stat.S_ISDIR(mode) else "not an ordinary file"
    if stat.S_ISLNK(mode):
        kind = "a link"
        what = (
            f'"{name}" is a shortcut (symbolic link) to another file or folder. sos-docs never '
            f"follows links and leaves it where it is; {guard.ACCEPTED}: put a copy of the "
            "workbook itself in the inbox, and remove the link"
        )
    elif stat.S_ISDIR(mode):
        what = (
            f'"{name}" is a folder. sos-docs does not look inside folders in the inbox and leaves '
            f"this one where it is; {guard.ACCEPTED}: put each workbook directly in the inbox, "
            "and move the folder somewhere else"
        )
    else:
        what = (
            f'"{name}" is not an ordinary file (it is a named pipe, a device or a socket), so '
            f"sos-docs cannot take it and leaves it where it is; {guard.ACCEPTED}. Ask IT to "
            "remove it"
        )
    note = root.rejected / f"{files.safe_file_name(name, max_length=200)} - problems.txt"
    if os.path.lexists(note):
        return  # explained by an earlier run
    text = explain.problems_text(name, [codes.problem(codes.WB001, None, None, what)])
    files.write_new_file(note, explain.text_file_bytes(text), within=root.rejected)
    log.info(
        'Left "%s" in the inbox (%s); explained in %s.',
        name,
        kind,
        note.name,
        extra=root_extra(root.path),
    )
