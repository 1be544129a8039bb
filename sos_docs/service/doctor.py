"""Pre-flight checks of a watched root: what would stop it working, each with what to do.

`sos-docs doctor [ROOT...]` prints these, and the service runs the same checks at start
(`roots_to_watch`): a root with a FAIL is not watched, the others still are. WARN is for what
works, but not as well as it could: PDF copies switched on without LibreOffice (the .docx still
comes), or a network share watched without `--polling`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from PIL import Image

from sos_docs import files, pipeline
from sos_docs.config import CONFIG_FILE_NAME, Config, load_config
from sos_docs.documents.pdf import PdfConverter
from sos_docs.errors import ConfigError, JournalError, TemplateError
from sos_docs.service.layout import WatchedRoot

__all__ = [
    "NETWORK_FILE_SYSTEMS",
    "Check",
    "CheckStatus",
    "Mount",
    "StartNote",
    "TemplateChecker",
    "check_configuration",
    "check_file_system",
    "check_folder",
    "check_folders",
    "check_free_disk",
    "check_libreoffice",
    "check_logo",
    "check_root",
    "check_root_exists",
    "check_template_of",
    "check_templates",
    "mount_for",
    "parse_mountinfo",
    "roots_to_watch",
    "run_checks",
]

MOUNTINFO = Path("/proc/self/mountinfo")
# File systems whose changes made elsewhere send no inotify events: network shares, cluster
# file systems and virtual machines' shared folders.
NETWORK_FILE_SYSTEMS = frozenset(
    {
        "cifs", "smb3", "smbfs", "nfs", "nfs4", "ncpfs", "afs", "9p", "drvfs", "virtiofs",
        "vboxsf", "ceph", "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "fuse.rclone",
        "fuse.s3fs", "fuse.gcsfuse", "fuse.glusterfs", "fuse.davfs2", "fuse.smbnetfs",
        "fuse.vmhgfs-fuse", "fuse.gvfsd-fuse", "fuse.cephfs",
    }
)  # fmt: skip
_POLLING_FIX = (
    "Run the service with `sos-docs watch --polling`, or set polling = true in sos-docs.toml."
)
_SAMPLE_NAME_FIELDS = {
    "case_reference": "CP-2026-0412",
    "document": "Conference report",
    "copy": "(family copy)",
    "date": "2026-11-27",
    "meeting_type": "Initial child protection conference",
}
_DRIVE_REMOTE = 4  # GetDriveTypeW
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


class CheckStatus(StrEnum):
    """How a check came out."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One check of a root: what was checked, how it came out, and what to do about it."""

    name: str
    status: CheckStatus
    message: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """False only for a FAIL: something that stops the root from working."""
        return self.status is not CheckStatus.FAIL

    @property
    def line(self) -> str:
        """The check as one line for a terminal or a log."""
        fix = f" What to do: {self.fix}" if self.fix and self.status is not CheckStatus.OK else ""
        return f"{self.status.value:<4}  {self.name}: {self.message}{fix}"


def _ok(name: str, message: str) -> Check:
    return Check(name, CheckStatus.OK, message)


# Checks the templates of a root's configuration: `check_templates`, here or in a worker process.
TemplateChecker = Callable[[Config], list[Check]]


# ---------------------------------------------------------------------------------------------
# All checks of a root


def check_root(
    root: Path,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    converter: PdfConverter | None = None,
    template_checker: TemplateChecker | None = None,
) -> tuple[Config | None, list[Check]]:
    """Load the root's configuration and run every check; the config is None when it is invalid.

    `template_checker` checks the templates (by default `check_templates`, in this process; the
    service has its first worker process do it, so that its own process never loads docxtpl).
    """
    config, check = check_configuration(root, config_file, overrides)
    missing = check_root_exists(root)
    if missing:
        # Nothing else can be told of a folder that is not there (an unmounted share): its
        # settings, disk and file system would be the empty mount point's, or its parent's.
        return config, [missing]
    if config is None:
        return None, [check]
    checks = run_checks(root, config, converter=converter, template_checker=template_checker)
    return config, [check, *checks]


def run_checks(
    root: Path,
    config: Config,
    *,
    converter: PdfConverter | None = None,
    template_checker: TemplateChecker | None = None,
) -> list[Check]:
    """Every check of a root whose configuration loaded: folders, templates, logo, PDF, disk."""
    missing = check_root_exists(root)
    # A missing root's folders would only say "the service creates it", which it will not.
    checks = [missing] if missing else check_folders(root, config)
    checks += (template_checker or check_templates)(config)
    checks += [c for c in (check_logo(config), check_libreoffice(config, converter)) if c]
    checks += [check_free_disk(root, config), check_file_system(root, config)]
    return checks


# ---------------------------------------------------------------------------------------------
# At the service's start


@dataclass(frozen=True)
class StartNote:
    """A line for the service's log at start: a check that did not pass, or a root not watched.

    `root` is set when the note is about a root that is watched, so it goes to that root's log
    only; notes about a root that is not watched go to every log.
    """

    level: int
    message: str
    root: Path | None = None


def roots_to_watch(
    paths: Iterable[Path],
    config_file: Path | None,
    overrides: Mapping[str, Any],
    converter: PdfConverter,
    template_checker: TemplateChecker | None = None,
) -> tuple[list[WatchedRoot], list[StartNote]]:
    """The roots that pass their checks, prepared, and notes on everything else.

    A root with a failing check, or whose folders or journal cannot be set up, is left out with
    a note saying why; one team's mistake never stops the others. LibreOffice missing is said
    once, however many roots want PDF copies.
    """
    watched: list[WatchedRoot] = []
    notes: list[StartNote] = []
    said: set[str] = set()
    for path in paths:
        config, checks = check_root(
            path, config_file, overrides, converter=converter, template_checker=template_checker
        )
        problems = [c for c in checks if c.status is not CheckStatus.OK]
        root = WatchedRoot(path, config, converter if config.pdf else None) if config else None
        refusal = _not_watched_because(path, root, problems)
        for check in problems:
            if check.name == "LibreOffice" and check.message in said:
                continue
            said.add(check.message)
            level = logging.ERROR if check.status is CheckStatus.FAIL else logging.WARNING
            shared = refusal or check.name == "LibreOffice"
            notes.append(StartNote(level, f"{path}: {check.line}", None if shared else path))
        if refusal:
            notes.append(StartNote(logging.ERROR, f"Not watching {path}: {refusal}"))
        elif root is not None:
            watched.append(root)
    return watched, notes


def _not_watched_because(path: Path, root: WatchedRoot | None, problems: list[Check]) -> str:
    """Why a root cannot be watched, or "" when it can (its folders are then prepared)."""
    if root is None or any(not c.ok for c in problems):
        return (
            f"fix the problems above, then restart sos-docs (`sos-docs doctor {path}` checks "
            "again)."
        )
    try:
        root.prepare()
    except (ConfigError, JournalError) as exc:
        return str(exc)
    return ""


# ---------------------------------------------------------------------------------------------
# Configuration


def check_configuration(
    root: Path, config_file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> tuple[Config | None, Check]:
    """The root's configuration, loaded and checked (output names, extra documents)."""
    name = "configuration"
    path = config_file or root / CONFIG_FILE_NAME
    at_fault = path
    try:
        config = load_config(root, config_file, overrides)
        files.output_path(Path(tempfile.gettempdir()), config.output_pattern, _SAMPLE_NAME_FIELDS)
        pipeline.document_kinds(config)
        if config.layout is not None:  # its names are checked against the workbook format
            at_fault = config.layout.source
        pipeline.check_layout_of(config)
    except ConfigError as exc:
        fix = f"Correct {exc.file or at_fault} and run `sos-docs doctor` again."
        return None, Check(name, CheckStatus.FAIL, str(exc), fix)
    if not path.is_file():
        return config, _ok(name, f"No {CONFIG_FILE_NAME} in {root}: the defaults are used.")
    return config, _ok(name, f"{path} is valid.")


# ---------------------------------------------------------------------------------------------
# Folders


def check_root_exists(root: Path) -> Check | None:
    """A FAIL when the root itself does not exist; None when it does.

    The service never creates a root: an unmounted share, or a typing mistake, would otherwise
    have it watch an empty local folder while staff drop files on the real one. `sos-docs watch
    --create` is how a new root is made on purpose.
    """
    if root.exists():
        return None
    return Check(
        "root folder",
        CheckStatus.FAIL,
        f"{root} does not exist: is the share mounted? Create it, or pass --create to "
        "`sos-docs watch`.",
    )


def check_folders(root: Path, config: Config) -> list[Check]:
    """One check per folder of the root: there and writable, or creatable by the service."""
    folders = config.folders
    names = (folders.inbox, folders.reports, folders.processed, folders.rejected, folders.state)
    checks = [check_folder(f"{name} folder", root / name) for name in names]
    own_files = WatchedRoot(root, config).own_files
    checks += [_linked_file(path) for path in own_files if files.is_link(path)]
    return checks


def _linked_file(path: Path) -> Check:
    """A FAIL for the journal or log file made a link (sos-docs would write where it points)."""
    return Check(
        path.name,
        CheckStatus.FAIL,
        files.link_refused_message(path),
        f"Remove the link {path}; sos-docs makes the file again.",
    )


def check_folder(name: str, folder: Path) -> Check:
    """A folder sos-docs must write in: there and writable, or missing but creatable."""
    if files.is_link(folder):
        return Check(
            name,
            CheckStatus.FAIL,
            files.link_refused_message(folder),
            f"Replace the link {folder} with an ordinary folder, then run `sos-docs doctor`.",
        )
    if folder.is_dir():
        problem = _write_problem(folder)
        if problem is None:
            return _ok(name, f"{folder} is there and sos-docs can write in it.")
        return Check(
            name,
            CheckStatus.FAIL,
            f"sos-docs cannot write in {folder} ({problem}).",
            "Ask IT to let the account that runs sos-docs create and change files there.",
        )
    if folder.exists():
        return Check(
            name,
            CheckStatus.FAIL,
            f"{folder} is a file, not a folder.",
            "Move or rename that file: sos-docs needs a folder there.",
        )
    return _missing_folder(name, folder)


def _missing_folder(name: str, folder: Path) -> Check:
    """A missing folder is fine when the service can create it at start."""
    parent = _nearest_existing(folder)
    problem = f"{parent} is a file, not a folder" if not parent.is_dir() else _write_problem(parent)
    if problem is None:
        return _ok(name, f"{folder} does not exist yet; the service creates it at start.")
    return Check(
        name,
        CheckStatus.FAIL,
        f"{folder} does not exist and cannot be created: {problem}.",
        "Check the folder's path in the configuration, and that sos-docs may write there.",
    )


def _nearest_existing(path: Path) -> Path:
    """The path itself or its nearest ancestor that exists (as a file or a folder)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def _write_problem(folder: Path) -> str | None:
    """Why a file cannot be created in the folder, or None when it can (tried for real)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".sos-docs-doctor-", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        Path(probe).unlink()
    return None


# ---------------------------------------------------------------------------------------------
# Templates and logo


def check_templates(config: Config) -> list[Check]:
    """Each document's template exists and uses only known fields."""
    return [
        check_template_of(kind.title, pipeline.template_path(config, kind), config.team_root)
        for kind in pipeline.document_kinds(config)
    ]


def check_template_of(title: str, template: Path, within: Path | None = None) -> Check:
    """One document's template: it opens and every placeholder is a known field.

    `within`: the team's root, from which a template inside it is opened one name at a time.
    """
    from sos_docs.documents.render import check_template  # docxtpl: loaded only to check

    name = f"template for {title}"
    try:
        unknown = check_template(template, within)
    except TemplateError as exc:
        return Check(
            name,
            CheckStatus.FAIL,
            str(exc),
            "Put a Word .docx template there, or correct the path in sos-docs.toml.",
        )
    if unknown:
        listed = "; ".join(field.message for field in unknown)
        return Check(
            name,
            CheckStatus.FAIL,
            f"The template {template} has placeholders that are not known fields: {listed}",
            f"Correct them in Word (`sos-docs fields` lists the fields), then run "
            f"`sos-docs check-template {template}`.",
        )
    return _ok(name, f"{template} uses only known fields.")


def check_logo(config: Config) -> Check | None:
    """The configured logo is a picture sos-docs can read; None when no logo is set."""
    if config.logo is None:
        return None
    name = "logo"
    try:
        data, kind = pipeline.read_logo(config.logo, config.team_root)  # no link, no pipe
        with Image.open(io.BytesIO(data)) as image:
            described = f"{kind.upper()} picture, {image.size[0]} x {image.size[1]} pixels"
    except FileNotFoundError:
        problem = f"{config.logo} does not exist"
    except pipeline.LOGO_ERRORS as exc:
        reason = getattr(exc, "strerror", None) or exc
        problem = f"{config.logo} cannot be read as a picture ({reason})"
    else:
        return _ok(name, f"{config.logo} is a {described}.")
    return Check(
        name,
        CheckStatus.FAIL,
        f"The logo {problem}.",
        "Set `logo` in sos-docs.toml to a PNG or JPEG.",
    )


# ---------------------------------------------------------------------------------------------
# LibreOffice, disk, file system


def check_libreoffice(config: Config, converter: PdfConverter | None = None) -> Check | None:
    """When PDF copies are on: LibreOffice is there to make them. None when they are off."""
    if not config.pdf:
        return None
    converter = converter or PdfConverter()
    if converter.available():
        return _ok("LibreOffice", "LibreOffice is installed: PDF copies will be made.")
    return Check(
        "LibreOffice",
        CheckStatus.WARN,
        f"PDF copies are switched on, but the service will make the .docx documents only: "
        f"{converter.unavailable_reason}",
    )


def check_free_disk(
    root: Path,
    config: Config,
    disk_usage: Callable[[Path], Any] = shutil.disk_usage,
) -> Check:
    """At least `free_disk_mb` megabytes free on the root's disk."""
    name = "free disk space"
    where = _nearest_existing(root)
    try:
        free_mb = disk_usage(where).free // (1024 * 1024)
    except OSError as exc:
        return Check(name, CheckStatus.FAIL, f"The free space on {where} cannot be read ({exc}).")
    if free_mb >= config.free_disk_mb:
        return _ok(name, f"{free_mb:,} MB free on the disk of {where}.")
    return Check(
        name,
        CheckStatus.FAIL,
        f"Only {free_mb:,} MB free on the disk of {where}; sos-docs wants at least "
        f"{config.free_disk_mb:,} MB (free_disk_mb).",
        "Free some space on that disk, or lower free_disk_mb in sos-docs.toml.",
    )


class Mount(NamedTuple):
    """One mounted file system from /proc/self/mountinfo."""

    mount_point: PurePosixPath
    fs_type: str
    source: str


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts listed in a /proc/<pid>/mountinfo text, in their order."""
    mounts = []
    # The kernel separates with single spaces and escapes the few characters that would clash,
    # so any other white space (a no-break space, say) is part of a name.
    for line in text.split("\n"):
        fields = [field for field in line.split(" ") if field]
        if "-" not in fields[6:]:
            continue  # not a mountinfo line
        separator = fields.index("-", 6)
        if len(fields) < separator + 3:
            continue
        point = _unescape(fields[4])
        mounts.append(Mount(PurePosixPath(point), fields[separator + 1], fields[separator + 2]))
    return mounts


def _unescape(field: str) -> str:
    r"""mountinfo writes space, tab, newline and backslash as octal escapes: \040 and so on."""
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def mount_for(path: PurePosixPath, mounts: Iterable[Mount]) -> Mount | None:
    """The mount a path is on: the deepest mount point above it (the last one mounted there)."""
    best = None
    for mount in mounts:
        if path.is_relative_to(mount.mount_point) and (
            best is None or len(mount.mount_point.parts) >= len(best.mount_point.parts)
        ):
            best = mount
    return best


def check_file_system(root: Path, config: Config, mountinfo: str | None = None) -> Check:
    """Whether the root is on a network file system, where file events do not arrive."""
    name = "file system"
    where = _nearest_existing(root).resolve()
    fs_type = _network_drive_type(where) if sys.platform == "win32" else None
    if fs_type is None:
        text = mountinfo if mountinfo is not None else _read_mountinfo()
        if text is None:
            return _ok(name, f"Cannot tell whether {where} is on a network share.")
        mount = mount_for(PurePosixPath(where.as_posix()), parse_mountinfo(text))
        if mount is None:
            return _ok(name, f"Cannot tell whether {where} is on a network share.")
        fs_type = mount.fs_type
    if fs_type not in NETWORK_FILE_SYSTEMS and fs_type != "network drive":
        return _ok(name, f"{where} is on a local file system ({fs_type}).")
    if config.polling:
        return _ok(name, f"{where} is on a network file system ({fs_type}); polling is on.")
    return Check(
        name,
        CheckStatus.WARN,
        f"{where} is on a network file system ({fs_type}), which may send no file events: "
        "new workbooks would only be seen at each full listing.",
        _POLLING_FIX,
    )


def _read_mountinfo() -> str | None:
    try:
        return MOUNTINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _network_drive_type(path: Path) -> str | None:  # pragma: no cover - Windows only
    """'network drive' for a UNC path or a mapped network drive, else None (best effort)."""
    if str(path).startswith("\\\\"):
        return "network drive"
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        drive_type = kernel32.GetDriveTypeW(f"{path.drive}\\")
    except (AttributeError, OSError):
        return None
    return "network drive" if drive_type == _DRIVE_REMOTE else None
