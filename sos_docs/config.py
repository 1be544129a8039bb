"""Configuration as small frozen value objects with their defaults, resolved once at start.

Precedence: command-line flag > the root's `sos-docs.toml` (or `--config FILE`) > the defaults here.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sos_docs.errors import ConfigError

CONFIG_FILE_NAME = "sos-docs.toml"

DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 200
DEFAULT_MAX_ROWS = 10_000

DEFAULT_SETTLE_SECONDS = 1.0
DEFAULT_RESCAN_SECONDS = 30.0
DEFAULT_OUTPUT_PATTERN = "{case_reference}/{case_reference} {document} {date}.docx"
DEFAULT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
DEFAULT_TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Limits:
    """How big a workbook may be before it is refused unread (rule WB001)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO
    max_rows: int = DEFAULT_MAX_ROWS


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Folders:
    """The names of a watched root's folders, relative to the root."""

    inbox: str = "inbox"
    reports: str = "reports"
    processed: str = "processed"
    rejected: str = "rejected"
    state: str = ".sos-docs"


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
    pdf: bool = False
    limits: Limits = field(default_factory=Limits)


DEFAULT_CONFIG = Config()

_SECTIONS: dict[str, type[Any]] = {"folders": Folders, "limits": Limits}


def load_config(
    root: Path | None = None,
    config_file: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Resolve the configuration: flags (`overrides`) over the TOML file over the defaults."""
    path = config_file or (root / CONFIG_FILE_NAME if root else None)
    from_file = _read_toml(path, required=config_file is not None) if path else {}
    values = {**from_file, **{k: v for k, v in (overrides or {}).items() if v is not None}}
    return _build(values, source=str(path) if path and from_file else "the command line")


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    """The TOML file's table; an absent optional file is an empty table."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as exc:
        if required:
            raise ConfigError(f"The configuration file {path} does not exist.") from exc
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The configuration file {path} is not valid TOML: {exc}.") from exc
    except OSError as exc:
        raise ConfigError(f"The configuration file {path} cannot be read: {exc.strerror}.") from exc
    if "templates_dir" in data and isinstance(data["templates_dir"], str):
        data["templates_dir"] = (path.parent / data["templates_dir"]).resolve()
    return data


def _build(values: Mapping[str, Any], *, source: str) -> Config:
    """Check names and types against the defaults and build the frozen Config."""
    known = {f.name: f for f in dataclasses.fields(Config)}
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
    if isinstance(default, Path):
        return Path(value)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
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
        if type(item) is not type(wanted) or (isinstance(item, int) and item <= 0):
            raise ConfigError(
                f"Setting '{name}.{key}' in {source} should be {_describe(wanted)}, but it is {item!r}."
            )
        if isinstance(item, str) and (not item.strip() or "/" in item or "\\" in item):
            raise ConfigError(
                f"Folder name '{name}.{key}' in {source} must be a plain folder name, not {item!r}."
            )
    return dataclasses.replace(default, **value)


def _describe(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int | float):
        return "a positive number"
    return "some text"
