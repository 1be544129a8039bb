"""Configuration as small frozen value objects with their defaults, resolved once at start.

Precedence: command-line flag > the root's `sos-docs.toml` (or `--config FILE`) > the defaults here.
Paths in a file (`templates_dir`, `logo`) are relative to that file; an extra document's
`template` is relative to `templates_dir`. A service-wide file (`load_service_config`) lists the
roots one service watches, each with its own `sos-docs.toml`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from typing import Any

from sos_docs.errors import ConfigError
from sos_docs.files import is_link, read_plain_file
from sos_docs.loading import LazyPattern
from sos_docs.model import LayoutField, LayoutSheet, TeamLayout
from sos_docs.working_days import (
    DEFAULT_REGION,
    DEFAULT_SHARING_DAYS_INITIAL,
    DEFAULT_SHARING_DAYS_REVIEW,
    REGIONS,
    SharingRules,
    region_named,
)


def _package_folder(package: str) -> Path:
    """The folder of a package on disk, as `importlib.resources.files` gives it, found from the
    package's import spec: neither the package nor importlib.resources' readers are loaded
    (a few ms of every start)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:  # not a plain folder: the documented way
        from importlib import resources

        return Path(str(resources.files(package)))
    return Path(spec.origin).parent


CONFIG_FILE_NAME = "sos-docs.toml"
# A team's layout of its own workbook: a [layout] table in sos-docs.toml, or this file beside it.
LAYOUT_FILE_NAME = "layout.toml"
LAYOUT_TABLE = "layout"
LAYOUT_SHEET_SETTINGS = (
    "sheet",
    "header_row",
)  # the keys of a [layout.X] table that are not fields
MAX_LAYOUT_HEADER_ROW = 1000

DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 200
DEFAULT_MAX_ROWS = 10_000
# Budgets the reader enforces while it reads (docs/security.md, "Budgets"). A cell's text counts
# every time a cell refers to it, so one long shared string in many cells counts many times.
DEFAULT_MAX_TEXT_CHARS = 5_000_000  # all cells together: some 2,000 pages of text
DEFAULT_MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
DEFAULT_MAX_PICTURE_PIXELS = 25_000_000  # one picture, from its header (Pillow's own: 89 million)
DEFAULT_MAX_PICTURE_BYTES = 50 * 1024 * 1024  # all placed pictures, each time it is placed
DEFAULT_MAX_JOB_SECONDS = 120  # one workbook in a worker process, reading to rendered documents

DEFAULT_SETTLE_SECONDS = 1.0
DEFAULT_RESCAN_SECONDS = 30.0
DEFAULT_OUTPUT_PATTERN = "{case_reference}/{case_reference} {document} {date}.docx"
DEFAULT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
# Where the words and pictures story carries its marking and case reference: on the cover only
# (the default), in every page's footer, or nowhere. Never in the story's own text.
STORY_MARKINGS = ("cover-only", "footer", "none")
DEFAULT_STORY_MARKING = STORY_MARKINGS[0]
# The templates shipped inside the package (the repository's templates/ folder, mapped into the
# package as sos_docs.templates at build time), so an installed wheel has them as well as a
# checkout. sos-docs runs from a folder on disk, not a zip, so this is a real path.
DEFAULT_TEMPLATES_DIR = _package_folder("sos_docs.templates")
DEFAULT_FREE_DISK_MB = 500
_FILE_RELATIVE_PATHS = ("templates_dir", "logo")
# Retention past a hundred years is no retention, and past some 2.9 million days no date exists.
MAX_RETENTION_DAYS = 36_500
# A configuration file is a few lines (a full layout some 10 KB); one far larger is a mistake
# or an attack. tomllib's time grows with the text (and faster than linearly with a key's parts:
# a key of 40,000 parts took 38 s), so the size, each line and each key are bounded before it
# parses: the slowest file these allow parses in a fraction of a second (docs/security.md).
MAX_CONFIG_BYTES = 64 * 1024
MAX_SETTINGS_LINE_CHARS = 4_000
MAX_KEY_PARTS = 64  # names joined by dots in one line (layout.People.Name is 3)
# Working days before a conference that a root may ask for: some four weeks is already generous.
MAX_SHARING_DAYS = 20
_SHARING_DAYS = ("sharing_days_initial", "sharing_days_review")


@dataclass(frozen=True)
class Limits:
    """How big a workbook may be, and how much work it may cost, before it is refused (WB001)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO
    max_rows: int = DEFAULT_MAX_ROWS  # rows with values in one sheet
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    max_picture_pixels: int = DEFAULT_MAX_PICTURE_PIXELS
    max_picture_bytes: int = DEFAULT_MAX_PICTURE_BYTES
    max_job_seconds: int = DEFAULT_MAX_JOB_SECONDS  # in a worker process (rule SYS004)


DEFAULT_LIMITS = Limits()

# How far a root's sos-docs.toml may raise each limit. The limits protect the one service every
# team shares (its memory, its worker processes, its time), so a team may lower them freely but
# raise them only this far: four times the default, Excel's own cell limit, ten minutes a job.
LIMIT_CEILINGS = Limits(
    max_file_bytes=4 * DEFAULT_MAX_FILE_BYTES,
    max_uncompressed_bytes=4 * DEFAULT_MAX_UNCOMPRESSED_BYTES,
    max_compression_ratio=4 * DEFAULT_MAX_COMPRESSION_RATIO,
    max_rows=4 * DEFAULT_MAX_ROWS,
    max_text_chars=4 * DEFAULT_MAX_TEXT_CHARS,
    max_cell_chars=DEFAULT_MAX_CELL_CHARS,
    max_picture_pixels=4 * DEFAULT_MAX_PICTURE_PIXELS,
    max_picture_bytes=4 * DEFAULT_MAX_PICTURE_BYTES,
    max_job_seconds=600,
)


@dataclass(frozen=True)
class Folders:
    """The names of a watched root's folders, relative to the root."""

    inbox: str = "inbox"
    reports: str = "reports"
    processed: str = "processed"
    rejected: str = "rejected"
    state: str = ".sos-docs"


@dataclass(frozen=True)
class Retention:
    """Days each kind of thing is kept before the service and `sos-docs purge` remove it.

    0 (the default) keeps it for ever. Ages count from a file's last change (its move into the
    folder counts) and from a job's end for journal entries.
    """

    processed: int = 0  # workbooks in processed/
    rejected: int = 0  # workbooks in rejected/ with their problems.txt and marked copy
    documents: int = 0  # everything under reports/
    journal: int = 0  # finished jobs in this host's journal
    logs: int = 0  # lines of the log files in the state folder

    @property
    def any(self) -> bool:
        """True when something expires."""
        return any(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(frozen=True)
class ExtraDocument:
    """A document a team adds in its configuration: its name and its docxtpl template."""

    name: str  # as in file names and messages, e.g. "Core group agenda"
    template: Path  # a relative path is inside the templates folder


@dataclass(frozen=True)
class Config:
    """Everything one watched root (or one `render` run) needs to know, resolved once."""

    folders: Folders = field(default_factory=Folders)
    settle_seconds: float = DEFAULT_SETTLE_SECONDS
    rescan_seconds: float = DEFAULT_RESCAN_SECONDS
    polling: bool = False
    templates_dir: Path = DEFAULT_TEMPLATES_DIR
    output_pattern: str = DEFAULT_OUTPUT_PATTERN
    protective_marking: str = DEFAULT_PROTECTIVE_MARKING
    story_marking: str = DEFAULT_STORY_MARKING  # one of STORY_MARKINGS
    pdf: bool = False
    limits: Limits = field(default_factory=Limits)
    local_authority: str = ""  # used when a workbook leaves its Local authority blank
    team: str = ""  # used when a workbook leaves its Team blank
    contact: str = ""  # whom staff tell when nothing happens (inbox instructions, STATUS.html)
    logo: Path | None = None  # shown at the top of the report
    free_disk_mb: int = DEFAULT_FREE_DISK_MB  # below this, `doctor` fails the root
    retention_days: Retention = field(default_factory=Retention)  # default: keep for ever
    documents: tuple[ExtraDocument, ...] = ()
    # When a conference report should reach the parents (warning SOS211): working days before
    # an initial or pre-birth conference, and before a review, skipping the region's bank holidays.
    holiday_region: str = DEFAULT_REGION  # England, Wales, Scotland or Northern Ireland
    sharing_days_initial: int = DEFAULT_SHARING_DAYS_INITIAL
    sharing_days_review: int = DEFAULT_SHARING_DAYS_REVIEW
    # A team's own workbook shape ([layout] in sos-docs.toml, or layout.toml beside it): None
    # reads workbooks in the standard shape only. Read and checked for form here; its names are
    # checked against the workbook format by workbook/team_layout.py.
    layout: TeamLayout | None = None
    # Not a setting: the watched folder whose templates and logo are opened one name at a time
    # from it (files.read_plain_file_within), so no link swapped in after start is followed.
    # Left out of ==: two roots with the same settings are configured alike.
    team_root: Path | None = field(default=None, compare=False)

    @property
    def sharing(self) -> SharingRules:
        """The sharing-in-time settings, as validation takes them."""
        return SharingRules(
            self.holiday_region, self.sharing_days_initial, self.sharing_days_review
        )


_NOT_SETTINGS = frozenset({"team_root", "layout"})
DEFAULT_CONFIG = Config()

_SECTIONS: dict[str, type[Any]] = {
    "folders": Folders,
    "limits": Limits,
    "retention_days": Retention,
}


def load_config(
    root: Path | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Resolve the configuration: flags (`overrides`) over the TOML file over the defaults."""
    path = config_file or (root / CONFIG_FILE_NAME if root else None)
    written = _read_toml(path, required=config_file is not None) if path else {}
    layout_table = written.pop(LAYOUT_TABLE, None)
    from_file = _anchored(written, path) if path else {}
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    values = {**from_file, **given}
    config = _build(values, source=str(path) if path and from_file else "the command line")
    if path is not None:
        config = dataclasses.replace(config, layout=_root_layout(path, layout_table))
    _check_folder_names(config.folders, path if path and "folders" in from_file else None)
    if root is None:
        return config
    if path is not None:
        team_keys = {key for key in from_file if key not in given}
        _check_team_paths(config, root, path, team_keys, written)
    return dataclasses.replace(config, team_root=_lexical(root))


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    """The TOML file's table; an absent optional file is an empty table.

    Read through `files.read_plain_file` (no link, no pipe, no device, at most 1 MB), and any
    way the text fails to parse is a ConfigError: a team's file stops only its own root.
    """
    import tomllib  # only when a file is read: not for the defaults (validate, --help)

    try:
        text = read_plain_file(path, MAX_CONFIG_BYTES).decode("utf-8")
        _check_settings_shape(path, text)
        _check_layout_repeats(path, text)
        data = tomllib.loads(text)
    except FileNotFoundError as exc:
        if required:
            raise ConfigError(f"The configuration file {path} does not exist.") from exc
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"The configuration file {path} is not UTF-8 text; save it again as UTF-8."
        ) from exc
    except RecursionError as exc:  # tomllib recurses once per nested [ or {
        raise ConfigError(
            f"The configuration file {path} nests lists or tables too deeply to be read; "
            "a sos-docs.toml needs only a few plain lines (see the README)."
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"The configuration file {path} cannot be read: {exc.strerror or exc}."
        ) from exc
    return data


# What is not part of a key: strings (multi-line ones first) and comments, so that only the dots
# joining names are counted. Each alternative starts with its own character: no backtracking.
_NOT_KEY_TEXT = LazyPattern(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^']|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*",
)


def _check_settings_shape(path: Path, text: str) -> None:
    """ConfigError (file and line) for a line longer than any setting needs, or a line joining
    more names with dots than any key needs: tomllib is slow on them, so they are refused
    before it reads the text, whoever's file it is (each root's start waits for it)."""
    for number, line in enumerate(text.split("\n"), 1):
        if len(line) > MAX_SETTINGS_LINE_CHARS:
            raise ConfigError(
                f"{path}, line {number}: the line is {len(line):,} characters long; a settings "
                f"line may be at most {MAX_SETTINGS_LINE_CHARS:,}. Settings are short lines such "
                'as team = "Family Support": shorten or split this one.',
                file=path,
            )
    # Strings and comments go, their line breaks stay, so each dot left is on its own line.
    keys_only = _NOT_KEY_TEXT.sub(lambda found: "\n" * found.group().count("\n"), text)
    for number, line in enumerate(keys_only.split("\n"), 1):
        if line.count(".") >= MAX_KEY_PARTS:
            raise ConfigError(
                f"{path}, line {number}: the line joins more than {MAX_KEY_PARTS} names with "
                "dots (outside quotes). A setting needs a few at most, such as "
                'layout.People.Name = "Full name": shorten the key.',
                file=path,
            )


def _anchored(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The file's table with `templates_dir` and `logo` made absolute, relative to the file."""
    anchored = dict(data)
    for name in _FILE_RELATIVE_PATHS:
        if isinstance(data.get(name), str) and data[name].strip():
            anchored[name] = _lexical(path.parent / data[name])  # links are judged, not followed
    return anchored


def _lexical(path: Path) -> Path:
    """An absolute path with `.` and `..` worked out by name, never following a link."""
    return Path(os.path.normpath(os.path.abspath(path)))  # noqa: PTH100 - resolve() follows links


def _build(values: Mapping[str, Any], *, source: str) -> Config:
    """Check names and types against the defaults and build the frozen Config."""
    known = {f.name: f for f in dataclasses.fields(Config) if f.name not in _NOT_SETTINGS}
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            raise ConfigError(
                f"Unknown setting '{name}' in {source}. Known settings: {', '.join(sorted(known))}."
            )
        kwargs[name] = _coerce(name, value, getattr(DEFAULT_CONFIG, name), source)
    return Config(**kwargs)


def _coerce(name: str, value: Any, default: Any, source: str) -> Any:
    """One setting converted to the type of its default, or a ConfigError saying what is wrong."""
    if name in _SECTIONS:
        return _section(name, value, default, source)
    if name == "documents":
        return _documents(value, source)
    if name == "holiday_region":
        return _holiday_region(value, source)
    if name == "story_marking":
        return _story_marking(value, source)
    if name in _SHARING_DAYS:
        return _sharing_days(name, value, source)
    if name == "logo" and isinstance(value, str | Path) and str(value).strip():
        return Path(value)
    if isinstance(default, Path):
        return Path(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ConfigError(
            f"Setting '{name}' in {source} should be a whole number (0 or more), "
            f"but it is {value!r}."
        )
    elif isinstance(default, float) and isinstance(value, int | float) and value > 0:
        return float(value)
    elif isinstance(default, str) and isinstance(value, str) and value.strip():
        return value
    raise ConfigError(
        f"Setting '{name}' in {source} should be {_describe(default)}, but it is {value!r}."
    )


def _section(name: str, value: Any, default: Any, source: str) -> Any:
    """A [folders] or [limits] table merged over its defaults."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"Setting '{name}' in {source} should be a table like [{name}].")
    known = {f.name for f in dataclasses.fields(default)}
    for key, item in value.items():
        wanted = getattr(default, key, None)
        if key not in known:
            raise ConfigError(
                f"Unknown setting '{name}.{key}' in {source}. Known: {', '.join(sorted(known))}."
            )
        if name == "retention_days":
            if type(item) is not int or item < 0:
                raise ConfigError(
                    f"Setting '{name}.{key}' in {source} should be a whole number of days "
                    f"(0 or leave it out to keep for ever), but it is {item!r}."
                )
            if item > MAX_RETENTION_DAYS:
                raise ConfigError(_retention_too_long(source, key, item))
        elif type(item) is not type(wanted) or (isinstance(item, int) and item <= 0):
            raise ConfigError(
                f"Setting '{name}.{key}' in {source} should be {_describe(wanted)}, but it is {item!r}."
            )
        elif name == "limits" and item > getattr(LIMIT_CEILINGS, key):
            raise ConfigError(
                f"Setting '{name}.{key}' in {source} is {item:,}, more than the "
                f"{getattr(LIMIT_CEILINGS, key):,} a folder's settings may allow (the limits "
                f"protect the service every team shares; the default is {getattr(DEFAULT_LIMITS, key):,}). "
                "Lower it, or leave it out to use the default."
            )
    return dataclasses.replace(default, **value)


def _check_team_paths(
    config: Config, root: Path, file: Path, keys: set[str], written: Mapping[str, Any]
) -> None:
    """Templates, the templates folder and the logo a root's file names lie inside the root.

    A team's sos-docs.toml must not make the service read another team's files (a report in
    their reports folder used as a template would copy a child's details into this team's
    documents) nor any file of the server. So each path must be inside the watched folder,
    reached without a link, and outside the folders where staff drop files and the service
    writes; or be one of the templates that come with sos-docs. `written` is the file's table
    as written, so a `..` is seen before it is worked out.
    """
    folders = config.folders
    if "templates_dir" in keys and config.templates_dir != DEFAULT_TEMPLATES_DIR:
        steps = str(written.get("templates_dir", ""))
        _check_team_path(config.templates_dir, root, folders, file, "templates_dir", steps=steps)
    if "logo" in keys and config.logo is not None:
        _check_team_path(config.logo, root, folders, file, "logo", steps=str(written["logo"]))
    if "documents" not in keys:
        return
    for number, document in enumerate(config.documents, 1):
        template = _lexical(config.templates_dir / document.template)
        steps = str(document.template)
        if template.is_relative_to(_lexical(DEFAULT_TEMPLATES_DIR)) and not _steps_up(steps):
            continue  # a template that comes with sos-docs
        _check_team_path(template, root, folders, file, "template", number, steps=steps)


def _check_team_path(
    path: Path,
    root: Path,
    folders: Folders,
    file: Path,
    key: str,
    document: int = 0,
    *,
    steps: str,
) -> None:
    """ConfigError (file, line, key, how to fix) unless `path` is a plain path inside the root.

    `steps` is the path as written in the file: any `..` in it is refused, since a link before
    it would make the file system go somewhere else than the name says.
    """
    problem = _team_path_problem(_lexical(path), _lexical(root), folders)
    shipped = _lexical(path).is_relative_to(_lexical(DEFAULT_TEMPLATES_DIR))
    if (problem is None or shipped) and _steps_up(steps):
        problem = (
            "steps up a folder with '..', which sos-docs does not allow in a team's paths "
            "(a link before it would lead somewhere else); write the path down from the "
            "folder of sos-docs.toml without '..'"
        )
    if problem is None:
        return
    line = _document_line(file, document) if document else _toml_line(file, "", key)
    where = f"{file}, line {line}" if line else str(file)
    setting = f"the template of document {document} of [[documents]]" if document else key
    raise ConfigError(
        f"{where}: {setting} ({path}) {problem}. Templates and the logo must be files inside "
        f"the watched folder {root} (for example in a templates folder beside sos-docs.toml), "
        f"not in its {folders.inbox}, {folders.reports}, {folders.processed}, "
        f"{folders.rejected} or {folders.state} folder, and not reached through a link; "
        "leave templates_dir out to use the templates that come with sos-docs. "
        f"Correct it in {file}."
    )


def _steps_up(written: str) -> bool:
    """True when a path as written has a `..` part (with / or \\ between parts)."""
    return ".." in re.split(r"[\\/]", written)


def _team_path_problem(path: Path, root: Path, folders: Folders) -> str | None:
    """What puts a path out of a team's reach, or None."""
    if "\x00" in str(path):  # no file name holds one; the system calls would raise ValueError
        return "holds a NUL character, which no file name may hold"
    if not path.is_relative_to(root) or path == root:
        return "is outside the watched folder"
    # In any case: on a share that ignores case, INBOX/x is the inbox's x.
    top = path.relative_to(root).parts[0].casefold()
    for name in (folders.inbox, folders.reports, folders.processed, folders.rejected):
        if top == name.casefold():
            return f"is inside the {name} folder, which holds the teams' workbooks or documents"
    if top == folders.state.casefold():
        return "is inside the service's own state folder"
    for level in [path, *path.parents][: len(path.relative_to(root).parts)]:
        if is_link(level):
            return f"goes through a link ({level})"
    return None


def _document_line(path: Path, number: int) -> int | None:
    """The line of the `template` key of the `number`th [[documents]] table, if found."""
    try:
        lines = read_plain_file(path, MAX_CONFIG_BYTES).decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    seen = 0
    for line_number, line in enumerate(lines, 1):
        text = line.strip()
        if re.match(r"\[\[\s*documents\s*\]\]", text):
            seen += 1
        elif seen == number and re.match(r"[\"']?template[\"']?\s*=", text):
            return line_number
    return None


def _retention_too_long(source: str, key: str, days: int) -> str:
    """A retention no date can reach: where it is, and what to write instead."""
    line = _toml_line(Path(source), "retention_days", key) if source.endswith(".toml") else None
    where = f"{source}, line {line}" if line else source
    return (
        f"{where}: retention_days.{key} = {days:,} days is more than {MAX_RETENTION_DAYS:,} "
        "(a hundred years), so no date is that old. Set a number of days up to "
        f"{MAX_RETENTION_DAYS:,}, or 0 (or leave it out) to keep for ever."
    )


def _check_folder_names(folders: Folders, file: Path | None) -> None:
    """Each [folders] name one plain name inside the root, and no two alike (nor the state's).

    A name that is a path, `..` or a repeated name would make the service write outside the
    root, take files from its parent, or take back its own results for ever.
    """
    defaults = Folders()
    keys = [f.name for f in dataclasses.fields(Folders)]
    # Names left at their default first, so that a clash is reported at the line that made it.
    keys.sort(key=lambda k: (getattr(folders, k) != getattr(defaults, k), k != "state"))
    seen: dict[str, str] = {}
    for key in keys:
        name: str = getattr(folders, key)
        problem = _folder_name_problem(name)
        if problem is None and name.casefold() in seen:
            problem = f"is the same as folders.{seen[name.casefold()]}: each folder needs its own"
        if problem is None and name.startswith(".") and key != "state":
            problem = "would be hidden from staff (it starts with a dot)"
        if problem is not None:
            raise ConfigError(_folder_name_error(file, key, name, problem, getattr(defaults, key)))
        seen[name.casefold()] = key


def _folder_name_problem(name: str) -> str | None:
    """What makes a folder name more than one plain name, or None."""
    if not name.strip():
        return "is empty"
    if any(unicodedata.category(char) == "Cc" for char in name):
        return "holds a control character"
    if name != name.strip():
        return "starts or ends with spaces"
    if name in (".", ".."):
        return "must be a name, not . or .."
    if any(char in name for char in "/\\:") or PureWindowsPath(name).is_absolute():
        return "must be one name, not a path (no /, \\ or :)"
    return None


def _folder_name_error(file: Path | None, key: str, name: str, problem: str, default: str) -> str:
    """The file and line of a bad folder name, what is wrong, and how to fix it."""
    line = _toml_line(file, "folders", key) if file else None
    where = f"{file}, line {line}" if line else str(file or "the settings")
    return (
        f"{where}: the folder name folders.{key} = {name!r} {problem}. Each folder must be a "
        f'plain folder name inside the watched folder, such as "{default}", different from the '
        f"others; correct it{f' in {file}' if file else ''}."
    )


def _toml_line(path: Path, table: str, key: str) -> int | None:
    """The line number of `key` in `[table]` (or `table.key`, or an inline table), if found."""
    try:
        lines = read_plain_file(path, MAX_CONFIG_BYTES).decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    quoted_key = rf"[\"']?{re.escape(key)}[\"']?\s*="
    at_top = (
        rf"{table}\s*\.\s*{quoted_key}",  # folders.inbox = ...
        rf"{table}\s*=\s*\{{.*\b{re.escape(key)}\s*=",  # folders = { inbox = ... }
    )
    current = ""
    for number, line in enumerate(lines, 1):
        text = line.strip()
        header = re.match(r"\[\[?\s*([^\]]+?)\s*\]", text)
        if header:
            current = header.group(1).strip("\"'") if not text.startswith("[[") else "[["
            continue
        inside = current == table and re.match(quoted_key, text)
        if inside or (not current and any(re.match(pattern, text) for pattern in at_top)):
            return number
    return None


def _documents(value: Any, source: str) -> tuple[ExtraDocument, ...]:
    """The `[[documents]]` tables: each exactly a `name` and a `template`, names all different."""
    example = '[[documents]]\nname = "Core group agenda"\ntemplate = "core_group_agenda.docx"'
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ConfigError(
            f"Setting 'documents' in {source} should be one or more tables like:\n{example}"
        )
    documents = []
    for number, item in enumerate(value, 1):
        where = f"document {number} of [[documents]] in {source}"
        if set(item) != {"name", "template"}:
            raise ConfigError(
                f"The {where} should have exactly a name and a template, like:\n{example}"
            )
        if not all(isinstance(item[key], str) and item[key].strip() for key in item):
            raise ConfigError(f"The name and template of the {where} must be some text.")
        documents.append(ExtraDocument(item["name"].strip(), Path(item["template"].strip())))
    names = [d.name.casefold() for d in documents]
    for document in documents:
        if names.count(document.name.casefold()) > 1:
            raise ConfigError(
                f"Two extra documents in {source} are called '{document.name}'. "
                "Give each its own name: it is part of the file names."
            )
    return tuple(documents)


def _holiday_region(value: Any, source: str) -> str:
    """One of the UK nations whose bank holidays are not working days, as REGIONS spells it."""
    region = region_named(value) if isinstance(value, str) else None
    if region is None:
        raise ConfigError(
            f"Setting 'holiday_region' in {source} should be one of {', '.join(REGIONS)} "
            f"(whose bank holidays are not working days), but it is {value!r}."
        )
    return region


def _story_marking(value: Any, source: str) -> str:
    """Where the story is marked: one of STORY_MARKINGS, whatever its case and spaces."""
    chosen = value.strip().casefold() if isinstance(value, str) else None
    if chosen not in STORY_MARKINGS:
        raise ConfigError(
            f"Setting 'story_marking' in {source} should be one of "
            f"{', '.join(repr(m) for m in STORY_MARKINGS)} (where the words and pictures story "
            f"shows its protective marking and case reference), but it is {value!r}."
        )
    return chosen


def _sharing_days(name: str, value: Any, source: str) -> int:
    """A number of working days from 0 (no check) to MAX_SHARING_DAYS."""
    if type(value) is not int or not 0 <= value <= MAX_SHARING_DAYS:
        raise ConfigError(
            f"Setting '{name}' in {source} should be a whole number of working days from 0 "
            f"to {MAX_SHARING_DAYS} (0 turns the check off), but it is {value!r}."
        )
    return value


def _describe(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int | float):
        return "a positive number"
    return "some text"


# ---------------------------------------------------------------------------------------------
# The service-wide file: which roots one service watches


@dataclass(frozen=True)
class ServiceConfig:
    """The roots one `sos-docs watch` serves, each with its own `sos-docs.toml`."""

    roots: tuple[Path, ...]
    workers: int | None = None  # None: the watcher's default


def load_service_config(path: Path) -> ServiceConfig:
    """Read a service-wide file: `roots = [...]` (relative to the file) and optional `workers`."""
    data = _read_toml(path, required=True)
    source = str(path)
    unknown = sorted(set(data) - {"roots", "workers"})
    if unknown:
        raise ConfigError(
            f"Unknown setting '{unknown[0]}' in the service file {source}. "
            "It may hold only roots and workers; each root's own settings go in its sos-docs.toml."
        )
    roots = data.get("roots")
    if (
        not isinstance(roots, list)
        or not roots
        or not all(isinstance(r, str) and r.strip() for r in roots)
    ):
        raise ConfigError(
            f"The service file {source} should list the folders to watch, like: "
            'roots = ["/srv/sos-docs/north", "/srv/sos-docs/south"]'
        )
    workers = data.get("workers")
    if workers is not None and (
        not isinstance(workers, int) or isinstance(workers, bool) or workers < 1
    ):
        raise ConfigError(f"Setting 'workers' in {source} should be a whole number, 1 or more.")
    resolved = dict.fromkeys((path.parent / root).resolve() for root in roots)
    return ServiceConfig(tuple(resolved), workers)


# ---------------------------------------------------------------------------------------------
# A team's layout of its own workbook (README, "Team layouts")


def load_layout(path: Path) -> TeamLayout:
    """The layout in a file: a layout.toml, or a sos-docs.toml with a [layout] table.

    Only its form is checked here (tables, text, numbers, each name once); whether its sheet and
    field names are the workbook format's is checked by workbook/team_layout.py. A ConfigError
    names the file to correct (`file`): this one.
    """
    try:
        return _read_layout(path)
    except ConfigError as exc:
        exc.file = exc.file or path
        raise


def _read_layout(path: Path) -> TeamLayout:
    data = _read_toml(path, required=True)
    if path.name.casefold() != CONFIG_FILE_NAME:
        others = sorted(set(data) - {LAYOUT_TABLE})
        if others:
            line = _toml_line(path, "", others[0])
            raise ConfigError(
                f"{_where(path, line)}: '{others[0]}' is not part of a layout. A layout file "
                f"holds only [layout.<sheet>] tables; other settings go in {CONFIG_FILE_NAME}."
            )
    if LAYOUT_TABLE not in data:
        raise ConfigError(
            f"{path} has no layout in it. Start each sheet's part with a line such as "
            '[layout.People] and under it sheet = "Family" (the title of your sheet), then one '
            'line per field, such as Name = "Full name". `sos-docs layout suggest WORKBOOK` '
            "writes a first one for you."
        )
    return _layout(data[LAYOUT_TABLE], path)


def _root_layout(path: Path, table: Any) -> TeamLayout | None:
    """The root's layout: [layout] in its sos-docs.toml, else a layout.toml beside it."""
    beside = path.parent / LAYOUT_FILE_NAME
    # Anything under the name is the layout: read like sos-docs.toml, so a link, a folder, a
    # pipe or a device is refused in plain words, never passed over as no layout.
    there = os.path.lexists(beside)
    if table is not None and there:
        raise ConfigError(
            f"{path} has a [layout] table and {beside} is beside it: sos-docs would not know "
            "which one to use. Keep one of them: move the layout into one file and delete the "
            "other."
        )
    if table is not None:
        return _layout(table, path)
    return load_layout(beside) if there else None


def _layout(value: Any, path: Path) -> TeamLayout:
    """The [layout] table as a TeamLayout, each entry with its line in the file."""
    lines = _key_lines(_text_of(path))
    example = '[layout.People]\nsheet = "Family"\nName = "Full name"'
    if not isinstance(value, Mapping) or not value:
        raise ConfigError(
            f"{_where(path, lines.get((LAYOUT_TABLE,)))}: the layout should be one table per "
            f"sheet, like:\n{example}"
        )
    sheets = []
    for name, table in value.items():
        line = _line_of(lines, (LAYOUT_TABLE, name))
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"{_where(path, line)}: {layout_table(name)} should be a table saying which of your "
                f"sheets holds {name} and what your headings are, like:\n{example}"
            )
        sheets.append(_layout_sheet(name, table, path, lines, line))
    return TeamLayout(path, tuple(sheets))


def _layout_sheet(
    name: str,
    table: Mapping[str, Any],
    path: Path,
    lines: Mapping[tuple[str, ...], int],
    line: int | None,
) -> LayoutSheet:
    """One [layout.X] table: its sheet title, optional header row and its fields."""
    title = table.get("sheet")
    if not isinstance(title, str) or not title.strip():
        raise ConfigError(
            f"{_where(path, line)}: {layout_table(name)} needs the title of your sheet that holds "
            f'{name}, such as sheet = "My {name.casefold()}". Add that line under it.'
        )
    header_row = table.get("header_row")
    if header_row is not None and (
        type(header_row) is not int or not 1 <= header_row <= MAX_LAYOUT_HEADER_ROW
    ):
        at = _line_of(lines, (LAYOUT_TABLE, name, "header_row")) or line
        raise ConfigError(
            f"{_where(path, at)}: header_row of {layout_table(name)} should be the number of the row "
            f"holding your headings (1 to {MAX_LAYOUT_HEADER_ROW:,}), but it is {header_row!r}. "
            "Leave it out to let sos-docs find the row."
        )
    fields = []
    for key, target in table.items():
        if key in LAYOUT_SHEET_SETTINGS:
            continue
        at = _line_of(lines, (LAYOUT_TABLE, name, key)) or line
        if not isinstance(target, str) or not target.strip():
            raise ConfigError(
                f"{_where(path, at)}: {key} in {layout_table(name)} should be the heading your "
                f'sheet uses for it, in quotes (for example {toml_key(key)} = "My heading"), or '
                f'"column D", '
                f"but it is {target!r}."
            )
        fields.append(LayoutField(key.strip(), target.strip(), at))
    sheet_line = _line_of(lines, (LAYOUT_TABLE, name, "sheet")) or line
    return LayoutSheet(name.strip(), title.strip(), tuple(fields), header_row, line, sheet_line)


_BARE_KEY = LazyPattern(r"[A-Za-z0-9_-]+")


def toml_string(text: str) -> str:
    """Text as a TOML basic string, quotes, backslashes and control characters escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def toml_key(name: str) -> str:
    """A name as a TOML key: bare when it can be (People), else quoted ("By when")."""
    return name if _BARE_KEY.fullmatch(name) else toml_string(name)


def layout_table(name: str) -> str:
    """The header of a sheet's part of a layout, as it is written: [layout."Danger statements"]."""
    return f"[{LAYOUT_TABLE}.{toml_key(name)}]"


def _where(path: Path, line: int | None) -> str:
    return f"{path}, line {line}" if line else str(path)


def _text_of(path: Path) -> str:
    try:
        return read_plain_file(path, MAX_CONFIG_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


_TOML_KEY_PART = r"(?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_\-]+)"
_TOML_KEY = LazyPattern(rf"^\s*({_TOML_KEY_PART}(?:\s*\.\s*{_TOML_KEY_PART})*)\s*=")
_TOML_TABLE = LazyPattern(rf"^\s*\[(?!\[)\s*({_TOML_KEY_PART}(?:\s*\.\s*{_TOML_KEY_PART})*)\s*\]")
_TOML_ARRAY_TABLE = LazyPattern(r"^\s*\[\[")


def _key_parts(written: str) -> tuple[str, ...]:
    """A dotted TOML key as its parts, unquoted and folded (case and spaces)."""
    parts = re.findall(_TOML_KEY_PART, written)
    return tuple(_fold_key(part[1:-1] if part[:1] in "\"'" else part) for part in parts)


def _fold_key(key: str) -> str:
    return " ".join(key.split()).casefold()


def _key_entries(text: str) -> list[tuple[tuple[str, ...], int]]:
    """Every table header and key of a TOML text as its full folded path, with its line.

    tomllib gives no line numbers, so the lines are found by reading the text the simple way
    a person writes a settings file (one key a line); an inline table's keys share its line.
    """
    entries: list[tuple[tuple[str, ...], int]] = []
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), 1):
        if _TOML_ARRAY_TABLE.match(line):
            table = ("[[",)
            continue
        header = _TOML_TABLE.match(line)
        if header:
            table = _key_parts(header.group(1))
            entries.append((table, number))
            continue
        key = _TOML_KEY.match(line)
        if key:
            entries.append(((*table, *_key_parts(key.group(1))), number))
    return entries


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The first line of each folded key path of a TOML text."""
    lines: dict[tuple[str, ...], int] = {}
    for key, number in _key_entries(text):
        lines.setdefault(key, number)
    return lines


def _line_of(lines: Mapping[tuple[str, ...], int], key: tuple[str, ...]) -> int | None:
    """The line of a key path, else of the nearest table that holds it (an inline table)."""
    folded = tuple(_fold_key(part) for part in key)
    for end in range(len(folded), 0, -1):
        if folded[:end] in lines:
            return lines[folded[:end]]
    return None


def _check_layout_repeats(path: Path, text: str) -> None:
    """ConfigError when a layout names a sheet or field twice, however its case or spaces."""
    seen: dict[tuple[str, ...], int] = {}
    for key, number in _key_entries(text):
        if key[:1] != (LAYOUT_TABLE,) or len(key) < 2:
            continue
        if key in seen:
            what = "field" if len(key) > 2 else "sheet"
            written = text.splitlines()[number - 1].strip()
            raise ConfigError(
                f"{path}, line {number}: the layout names a {what} twice ({written!r} repeats "
                f"line {seen[key]}, whatever the case or spaces). Each sheet and each field may "
                "be named once; delete one of the two."
            )
        seen[key] = number
