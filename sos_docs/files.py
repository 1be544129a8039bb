"""Delivering files: safe names, and atomic writes and moves that never overwrite anything.

Everything staff can see appears whole or not at all (docs/hot-folder.md, guarantee 4): a file
is written to a hidden temporary name in its destination folder, flushed to disk, and then given
its final name by a hard link, which fails instead of replacing a file another process placed
a moment earlier. Shares without hard links fall back to reserving the name with O_EXCL.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import itertools
import logging
import os
import re
import stat
import string
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from sos_docs.errors import ConfigError, DeliveryError, TargetError

__all__ = [
    "DEFAULT_OUTPUT_PATTERN",
    "check_plain_folders",
    "claim",
    "is_blank_name",
    "make_folders",
    "move_without_overwrite",
    "new_file_mode",
    "new_folder_mode",
    "numbered_versions",
    "output_path",
    "remove_temporaries",
    "replace_file",
    "safe_file_name",
    "sync_folders",
    "write_new_file",
]

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_PATTERN = "{case_reference}/{case_reference} {document} {date}.docx"
FALLBACK_NAME = "unnamed"
_EXAMPLE = repr(DEFAULT_OUTPUT_PATTERN)
MIN_NAME_BYTES = 16
MAX_VERSIONS = 10_000

# Characters Windows refuses in a name, each with its stand-in. Separators and colons become a
# hyphen so that "CP/2024/17" reads as "CP-2024-17" rather than vanishing.
_REPLACEMENTS = str.maketrans(
    {"/": "-", "\\": "-", ":": "-", "<": "_", ">": "_", '"': "_", "|": "_", "?": "_", "*": "_"}
)
# Bidirectional controls let a name display differently from what it is ("gpj.exe" tricks), and
# zero-width characters make two names that look the same differ ("CP-1" and "CP\u200b-1"). All
# are Unicode format characters (category Cf), which never belong in a file name.
_INVISIBLE_CATEGORIES = frozenset({"Cf"})
_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in [*"0123456789", "¹", "²", "³"]}
)
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")
_WHITESPACE = re.compile(r"\s+")
_SPACE_BEFORE_EXTENSION = re.compile(r"\s+(\.[A-Za-z0-9]{1,10})$")

# Errors from os.link meaning "this file system has no hard links", not "you may not write here".
_NO_HARD_LINKS = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS, errno.EMLINK}
)
# Windows: the file is open in another program (ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION).
_WINDOWS_FILE_IN_USE = frozenset({32, 33})


# --------------------------------------------------------------------------------------------
# Names


def safe_file_name(text: str, *, max_length: int = 120) -> str:
    """One path component safe on Windows and Unix, at most `max_length` UTF-8 bytes."""
    if max_length < MIN_NAME_BYTES:
        raise ValueError(f"max_length must be at least {MIN_NAME_BYTES} bytes")
    name = _trim_ends(_clean_characters(text))
    name = _trim_ends(_fit_bytes(name, max_length)) or FALLBACK_NAME
    if _is_device_name(name):
        # "CON.txt" -> "CON_.txt": Windows reserves the device name whatever the extension.
        stem, dot, rest = name.partition(".")
        name = _trim_ends(_fit_bytes(f"{stem.rstrip(' ')}_{dot}{rest}", max_length))
        if _is_device_name(name):  # the cap cut into the stem to keep an extension
            name = f"{stem.rstrip(' ')}_"
    return name


def _clean_characters(text: str) -> str:
    """NFC text with forbidden characters replaced and controls and line breaks made spaces."""
    text = unicodedata.normalize("NFC", text)
    kept = []
    for char in text.translate(_REPLACEMENTS):
        category = unicodedata.category(char)
        if category in _INVISIBLE_CATEGORIES or category == "Cs":  # lone surrogates: unencodable
            continue
        kept.append(" " if category in ("Cc", "Zl", "Zp") else char)
    return _WHITESPACE.sub(" ", "".join(kept))


def _trim_ends(name: str) -> str:
    """Without leading dots (hidden files, `..`) and trailing dots or spaces (Windows drops them)."""
    return name.strip(" ").lstrip(".").strip(" ").rstrip(". ")


def _fit_bytes(name: str, budget: int) -> str:
    """The name cut to `budget` UTF-8 bytes at a character boundary, keeping a short extension."""
    if len(name.encode("utf-8")) <= budget:
        return name
    match = _EXTENSION.search(name)
    extension = match.group() if match else ""
    stem = name[: len(name) - len(extension)]
    cut = stem.encode("utf-8")[: budget - len(extension)].decode("utf-8", errors="ignore")
    return _trim_ends(cut) + extension


def _is_device_name(name: str) -> bool:
    """True for CON, nul.txt, COM1.tar.gz and the rest of Windows' reserved device names."""
    return name.split(".", 1)[0].rstrip(" ").upper() in _DEVICE_NAMES


def output_path(
    root: Path, pattern: str, fields: Mapping[str, str], *, max_length: int = 120
) -> Path:
    """Where a document goes under `root`, by the pattern, with every field value made safe."""
    # Half the name at most per field, so a 500-character case reference cannot push the
    # document's title and date (and with them the difference between documents) off the end.
    field_length = max(MIN_NAME_BYTES, max_length // 2)
    safe_fields = {key: _safe_field(value, field_length) for key, value in fields.items()}
    parts = [
        safe_file_name(_tidy(part.format_map(safe_fields)), max_length=max_length)
        for part in _pattern_parts(pattern, fields.keys())
    ]
    path = root.joinpath(*parts)
    _ensure_inside(root, path)
    return path


def is_blank_name(text: str) -> bool:
    """True when nothing of `text` is left for a name: blank, or only invisible characters."""
    return not _trim_ends(_clean_characters(text))


def _safe_field(value: str, max_length: int) -> str:
    """A field value made safe; an empty value stays empty so the name simply goes without it."""
    if not _trim_ends(_clean_characters(value)):
        return ""
    return safe_file_name(value, max_length=max_length)


def _tidy(name: str) -> str:
    """Without the gaps empty fields leave (`ref Report .docx`), and never a bare `.docx`."""
    name = _SPACE_BEFORE_EXTENSION.sub(r"\1", _WHITESPACE.sub(" ", name).strip())
    return FALLBACK_NAME + name if _EXTENSION.fullmatch(name) else name


def _pattern_parts(pattern: str, allowed: Iterable[str]) -> list[str]:
    """The folder and file parts of a pattern, after checking it cannot leave its folder."""
    if not pattern.strip():
        raise ConfigError(f"The output file pattern is empty. Use for example {_EXAMPLE}")
    _check_fields(pattern, set(allowed))
    parts = pattern.replace("\\", "/").split("/")
    if re.match(r"^[A-Za-z]:", pattern) or pattern.startswith(("/", "\\")):
        raise ConfigError(
            f"The output file pattern {pattern!r} is an absolute path. It must be relative to the "
            f"reports folder, for example {_EXAMPLE}"
        )
    if any(part.strip() in ("", ".", "..") for part in parts):
        raise ConfigError(
            f"The output file pattern {pattern!r} has an empty, '.' or '..' folder name. "
            f"Use plain folder names separated by '/', for example {_EXAMPLE}"
        )
    return parts


def _check_fields(pattern: str, allowed: set[str]) -> None:
    """Raise ConfigError unless every `{...}` in the pattern is a plain known field name."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ConfigError(
            f"The output file pattern {pattern!r} has an unmatched '{{' or '}}'. Put each field "
            f"name in braces, for example {_EXAMPLE}"
        ) from exc
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        # Attribute and index access ("{x.__class__}") would reach into Python objects.
        if name not in allowed or spec or conversion:
            raise ConfigError(
                f"The output file pattern {pattern!r} uses {{{name}}}, which is not a known field. "
                f"The fields are: {', '.join('{' + f + '}' for f in sorted(allowed))}."
            )


def _ensure_inside(root: Path, path: Path) -> None:
    """Raise DeliveryError when the path (following any links) would land outside root."""
    real_root = root.resolve()
    if not path.resolve().is_relative_to(real_root):
        # Said as staff see it inside the watched folder, never the server's path to it.
        shown = (Path(root.name) / path.relative_to(root)).as_posix()
        raise TargetError(
            f'The document "{shown}" would end up outside the folder {root.name}: a folder on '
            f"the way is a link to somewhere else. Ask IT to check the {root.name} folder."
        )


# --------------------------------------------------------------------------------------------
# Writing and moving


def write_new_file(
    path: Path,
    data: bytes,
    *,
    within: Path | None = None,
    owner: str = "",
    sync_folder: bool = True,
) -> Path:
    """Write data under `path`, or `name (2).ext` etc. if taken; the file appears whole or not.

    With `within`, that folder must already exist and only folders below it are created.
    `owner` (a job's id) goes into the temporary file's name, so that after a crash the owner
    can find and remove what it left (`remove_temporaries`). The file's bytes are always flushed
    to disk; its folder's entry too unless `sync_folder` is False, for a caller that writes
    several files into one folder and then calls `sync_folders` once.
    """
    folder = path.parent
    tmp: Path | None = None
    try:
        check_plain_folders(folder, within)  # a file or link where a folder goes: not made
        _make_folders(folder, within)
        check_plain_folders(folder, within)
        start = _NAMES.first_guess(path)  # before our own temporary file changes the folder
        tmp = _write_temporary(folder, path.name, data, owner)
        final = _place(tmp, path, start)
        tmp = None  # placed: nothing left to clean up
        if sync_folder:
            _sync_folder(folder)
        logger.debug("wrote %s (%d bytes)", final, len(data))
        return final
    except OSError as exc:
        raise DeliveryError(_plain_os_error(exc, "write", path)) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def replace_file(path: Path, data: bytes) -> None:
    """Put data at `path` whole, replacing the file there: for the service's own pages and notes
    (STATUS.html, the inbox's instructions), never for a document or workbook.

    The data goes to a hidden temporary file in the same folder first, then takes the name in
    one rename, so a reader sees the old file or the new one, never half of one. A link at
    `path` is replaced by the file, never followed. DeliveryError when it cannot be written.
    """
    tmp: Path | None = None
    try:
        tmp = _write_temporary(path.parent, path.name, data)
        tmp.replace(path)
        tmp = None
        _sync_folder(path.parent)
    except OSError as exc:
        raise DeliveryError(_plain_os_error(exc, "write", path)) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()


def make_folders(folder: Path, *, within: Path | None = None) -> None:
    """Create `folder` and its missing parents, each no more open than the folder it is in;
    with `within`, only the ones below it (OSError if `within` is not there)."""
    _make_folders(folder, within)


def _make_folders(folder: Path, within: Path | None) -> None:
    """Create `folder` and its missing parents, each no more open than the folder it is in;
    with `within`, only the ones below it.

    A watched folder on a share that has dropped leaves an empty mount point (or nothing) on
    the server: creating `reports/...` there again would put documents on the local disk,
    hidden once the share is back. So `within` (reports/, processed/, ...) must exist.
    """
    if within is not None:
        if not folder.is_relative_to(within):
            raise ValueError(f"{folder} is not inside {within}")
        if not within.is_dir():
            raise _FolderGone(errno.ENOENT, os.strerror(errno.ENOENT), str(within))
        missing = [folder, *folder.parents][: len(folder.relative_to(within).parts)]
    else:
        missing = list(itertools.takewhile(lambda p: not p.is_dir(), [folder, *folder.parents]))
    for level in reversed(missing):
        try:  # never parents=True: the share may drop meanwhile
            level.mkdir(mode=new_folder_mode(level.parent))
        except FileExistsError as exc:
            if not level.is_dir():  # a file where the folder should be
                raise NotADirectoryError(
                    errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(level)
                ) from exc


def check_plain_folders(folder: Path, within: Path | None) -> None:
    """Raise TargetError unless `within` and every folder below it down to `folder` is a plain
    folder (not a link, not a file) that stays inside `within`.

    Called just before each write: a case folder swapped for a link while a job waited must not
    carry the documents out of the watched folder, nor may reports/ (or processed/, rejected/)
    made a link to another team's folder.
    """
    if within is None:
        return
    if is_link(within):
        raise TargetError(_not_plain_folder_message(within, within))
    if folder == within:
        return
    for level in reversed([folder, *folder.parents][: len(folder.relative_to(within).parts)]):
        try:
            mode = level.lstat().st_mode
        except FileNotFoundError:
            return  # made by the next write; nothing below it can exist yet
        if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
            raise TargetError(_not_plain_folder_message(level, within))
    if not folder.resolve().is_relative_to(within.resolve()):
        raise TargetError(_not_plain_folder_message(folder, within))


def is_link(path: Path) -> bool:
    """True when `path` itself is a symbolic link, never following it."""
    try:
        return stat.S_ISLNK(path.lstat().st_mode)
    except (OSError, ValueError):  # ValueError: a NUL character in the name
        return False


def link_refused_message(path: Path) -> str:
    """Why sos-docs will not use a folder or file that is a link, and what to do."""
    return (
        f"{path} is a link (a shortcut to another place), and sos-docs never reads or writes "
        "through links: another team's folder, or any folder outside the watched one, could be "
        "behind it. Ask IT to replace it with an ordinary folder (or file) of that name."
    )


def read_plain_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of an ordinary file of at most `max_bytes`, read once; OSError otherwise.

    Never through a link (O_NOFOLLOW), never blocking on a named pipe (O_NONBLOCK), never a
    device or folder (checked on the open descriptor), never more than one byte past the cap:
    a configuration or logo file a team controls cannot hang or exhaust the service.
    The OSError's `strerror` says in plain words what is wrong.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if is_link(path):
        raise OSError(errno.ELOOP, "it is a link; sos-docs does not follow links", str(path))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise OSError(
                exc.errno, "it is a link; sos-docs does not follow links", str(path)
            ) from exc
        raise
    return _read_open_file(fd, path, max_bytes, one_name=False)


def read_plain_file_within(root: Path, relative: Path, max_bytes: int) -> bytes:
    """`read_plain_file` of `root / relative`, opened one name at a time from the root.

    Each folder is opened with O_NOFOLLOW | O_DIRECTORY relative to the one before, and the file
    with O_NOFOLLOW | O_NONBLOCK, so a link anywhere on the way (one swapped in after start as
    well) is refused, never followed; a file with a second name (a hard link, which may be
    another team's report) is refused too. For a team's templates and logo (docs/security.md).
    """
    names = relative.parts
    shown = str(root / relative)
    if relative.is_absolute() or not names or any(n in (".", "..") for n in names):
        raise OSError(errno.EINVAL, "it is not a plain path inside the watched folder", shown)
    if os.open not in os.supports_dir_fd:  # not on Windows; links there need other rules
        return read_plain_file(root / relative, max_bytes)
    cloexec = getattr(os, "O_CLOEXEC", 0)
    folder_flags = os.O_RDONLY | os.O_DIRECTORY | cloexec
    fd = os.open(root, folder_flags)  # the root itself is the operator's, not the team's
    # Each step closes the folder it opened from, whether or not the next name opens.
    for name in names[:-1]:
        fd = _open_next(name, folder_flags | os.O_NOFOLLOW, fd, shown)
    file_flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | cloexec
    fd = _open_next(names[-1], file_flags, fd, shown)
    return _read_open_file(fd, Path(shown), max_bytes, one_name=True)


def _open_next(name: str, flags: int, folder_fd: int, shown: str) -> int:
    """`name` opened inside the open folder `folder_fd`, which is closed; OSError in words."""
    try:
        return os.open(name, flags, dir_fd=folder_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
            raise OSError(
                exc.errno,
                f"{name} on its way is a link (or not a folder); sos-docs does not follow links",
                shown,
            ) from exc
        raise
    finally:
        os.close(folder_fd)


def _read_open_file(fd: int, path: Path, max_bytes: int, *, one_name: bool) -> bytes:
    """The bytes of the open `fd` if it is an ordinary file of at most `max_bytes` (closed)."""
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise OSError(
                errno.EINVAL, "it is not an ordinary file (a folder, pipe or device)", str(path)
            )
        if one_name and status.st_nlink > 1:
            raise OSError(
                errno.EMLINK,
                "it is a hard link (the same file also has another name, which may be another "
                "team's); copy the file instead",
                str(path),
            )
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(errno.EFBIG, f"it is larger than {max_bytes:,} bytes", str(path))
    return data


def relative_inside(root: Path | None, path: Path) -> Path | None:
    """`path` relative to `root` when it lies inside it, judged by name (no link followed)."""
    if root is None:
        return None
    lexical = Path(os.path.normpath(os.path.abspath(path)))  # noqa: PTH100 - no link followed
    base = Path(os.path.normpath(os.path.abspath(root)))  # noqa: PTH100
    if lexical == base or not lexical.is_relative_to(base):
        return None
    return lexical.relative_to(base)


def _not_plain_folder_message(level: Path, within: Path) -> str:
    # Staff read this in problems.txt: the folder as they see it inside the watched folder
    # (reports/CP-1), never the server's own path to it.
    shown = (Path(within.name) / level.relative_to(within)).as_posix()
    return (
        f'The folder "{shown}" is not a plain folder inside {within.name} (it is a link, a '
        "shortcut to somewhere else, or a file), so sos-docs wrote nothing there. Ask IT to "
        f'check "{shown}" in the watched folder: replace it with an ordinary folder or remove '
        "it, then put the workbook in the inbox again."
    )


def new_folder_mode(parent: Path) -> int:
    """Permission bits for a new folder: those of the folder it is made in (umask applies)."""
    try:
        return stat.S_IMODE(parent.stat().st_mode) & 0o777
    except OSError:
        return 0o700


class _FolderGone(FileNotFoundError):
    """The folder that must exist for a write or move is not there (a dropped share)."""


def new_file_mode(folder: Path) -> int:
    """Permission bits for a new file: read/write as far as the folder allows (umask applies)."""
    try:
        folder_mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError:
        return 0o600
    return 0o666 & folder_mode


def _write_temporary(folder: Path, name: str, data: bytes, owner: str = "") -> Path:
    """A hidden, fully written and fsynced temporary file in `folder`."""
    # What secrets.token_hex(6) gives, without loading secrets (hmac, hashlib) in every start.
    tmp = folder / f"{_temporary_prefix(name, owner)}{os.urandom(6).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, new_file_mode(folder))
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.close(fd)
    return tmp


def _temporary_prefix(name: str, owner: str) -> str:
    """`.<name>.` or `.<name>.<owner>.`: what every temporary file for `name` starts with."""
    stem = _fit_bytes(name, 80)
    return f".{stem}.{owner}." if owner else f".{stem}."


def remove_temporaries(path: Path, owner: str) -> list[Path]:
    """Remove the temporary files `owner` left while writing `path` (killed mid-write)."""
    if not owner:
        raise ValueError("only an owner's own temporary files can be told apart")
    pattern = glob.escape(_temporary_prefix(path.name, owner)) + "*.tmp"
    removed = []
    for leftover in path.parent.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            removed.append(leftover)
    return removed


class _NameIndex:
    """Where each name's numbered versions end, per destination, so that the 240th copy of a
    case's report is named with one link() instead of 239 failed ones.

    Only a first guess: link() (or O_EXCL) still decides every name, so a version placed
    meanwhile by another worker or another host is never overwritten, only stepped over. The
    guess is trusted while the folder is unchanged since this process last placed a file
    there; otherwise (a file added or removed by someone else) the folder is listed once and
    the first free number counted from it, so a version staff removed is filled again as before.
    """

    MAX_ENTRIES = 4096  # names placed lately; all forgotten at once beyond that

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folders: dict[Path, int] = {}  # folder -> its mtime_ns after our last placement
        self._next: dict[Path, int] = {}  # wanted -> the number after the last version placed

    def first_guess(self, wanted: Path) -> int:
        """The version number (1 is `wanted` itself) to try first."""
        folder = wanted.parent
        with self._lock:
            ours, number = self._folders.get(folder), self._next.get(wanted)
        try:
            unchanged = ours is not None and folder.stat().st_mtime_ns == ours
        except OSError:
            return 1
        if unchanged and number is not None:
            return number
        return _first_free_listed(wanted)

    def placed(self, wanted: Path, number: int) -> None:
        """Note that version `number` of `wanted` has just been placed by this process."""
        try:
            mtime = wanted.parent.stat().st_mtime_ns
        except OSError:
            return
        with self._lock:
            if len(self._next) >= self.MAX_ENTRIES:
                self._next.clear()
                self._folders.clear()
            self._folders[wanted.parent] = mtime
            self._next[wanted] = number + 1


def _first_free_listed(wanted: Path) -> int:
    """The first version number of `wanted` whose name the folder's listing does not hold."""
    try:
        with os.scandir(wanted.parent) as entries:
            taken = {entry.name for entry in entries}
    except OSError:
        return 1
    if wanted.name not in taken:
        return 1
    stem, suffix = wanted.stem, wanted.suffix
    for number in range(2, MAX_VERSIONS + 1):
        if f"{stem} ({number}){suffix}" not in taken:
            return number
    return 1


_NAMES = _NameIndex()


def _place(src: Path, wanted: Path, start: int | None = None) -> Path:
    """Give `src` the first free name among wanted, `wanted (2)`, ...; never replace a file.

    The name index says which version to try first (`start`, if the caller asked it already);
    each name is still taken only by link() or O_EXCL.
    """
    link_works = hasattr(os, "link")
    first = _NAMES.first_guess(wanted) if start is None else start
    for number, candidate in _versions_from(wanted, first):
        if link_works:
            try:
                os.link(src, candidate)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINKS and not _is_windows_unsupported(exc):
                    raise
                logger.debug(
                    "no hard links in %s (%s); reserving names instead", wanted.parent, exc
                )
                link_works = False
            else:
                _drop_source_or_undo(src, candidate)
                _NAMES.placed(wanted, number)
                return candidate
        if _reserve_and_replace(src, candidate):
            _NAMES.placed(wanted, number)
            return candidate
    raise OSError(errno.EEXIST, f"more than {MAX_VERSIONS} versions of {wanted.name} exist")


def _versions_from(wanted: Path, start: int) -> Iterator[tuple[int, Path]]:
    """Each version of `wanted` with its number, from `start` to the last, then those before."""
    for number in (*range(start, MAX_VERSIONS + 1), *range(1, start)):
        yield number, _version(wanted, number)


def _drop_source_or_undo(src: Path, placed: Path) -> None:
    """Remove the old name now the file has its new one; failing that, remove the new one."""
    try:
        src.unlink()
    except OSError:
        with contextlib.suppress(OSError):
            placed.unlink()
        raise


def _is_windows_unsupported(exc: OSError) -> bool:
    """True for the Windows 'invalid function' a share without hard links answers with."""
    return getattr(exc, "winerror", None) in (1, 50)


def _reserve_and_replace(src: Path, candidate: Path) -> bool:
    """Claim the name with O_EXCL, then rename src over our own empty placeholder."""
    try:
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    try:
        src.replace(candidate)
    except BaseException:
        with contextlib.suppress(OSError):
            candidate.unlink()
        raise
    return True


def _versions(path: Path) -> Iterator[Path]:
    """path, then `stem (2).ext`, `stem (3).ext`, ... up to MAX_VERSIONS."""
    for number in range(1, MAX_VERSIONS + 1):
        yield _version(path, number)


def _version(path: Path, number: int) -> Path:
    """Version `number` of path: path itself for 1, else `stem (number).ext`."""
    return path if number == 1 else path.with_name(f"{path.stem} ({number}){path.suffix}")


def numbered_versions(path: Path) -> Iterator[Path]:
    """The names write_new_file and move_without_overwrite try, in order: path, `stem (2).ext`..."""
    return _versions(path)


def sync_folders(written: Iterable[Path]) -> None:
    """Flush the folder entries of files written with `sync_folder=False`: each folder once."""
    for folder in dict.fromkeys(path.parent for path in written):
        _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry so the new name survives a power cut (not possible on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems and shares refuse fsync on a folder; the rename still stands
    finally:
        os.close(fd)


def move_without_overwrite(src: Path, dest_dir: Path, *, within: Path | None = None) -> Path:
    """Move src into dest_dir under its own name, or `name (2).ext` etc. if taken.

    With `within`, that folder must already exist and only folders below it are created.
    """
    try:
        check_plain_folders(dest_dir, within)
        _make_folders(dest_dir, within)
        check_plain_folders(dest_dir, within)
        final = _place(src, dest_dir / src.name)
        _sync_folder(dest_dir)
        logger.debug("moved %s to %s", src, final)
        return final
    except OSError as exc:
        raise DeliveryError(_plain_os_error(exc, "move", dest_dir / src.name)) from exc


def claim(src: Path, work_dir: Path, job_id: str) -> Path | None:
    """Take ownership of a workbook by renaming it into the work area; None if someone else has it."""
    target = work_dir / _claimed_name(job_id, src.name)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        src.rename(target)
    except FileNotFoundError:
        logger.debug("%s was taken by another process", src.name)
        return None
    except PermissionError as exc:
        _log_claim_refused(src, exc)
        return None
    except OSError as exc:
        raise DeliveryError(_plain_os_error(exc, "move", target)) from exc
    return target


def _claimed_name(job_id: str, name: str) -> str:
    """`<job_id>__<name>`, with the name shortened so the whole fits a 255-byte component."""
    prefix = f"{job_id}__"
    return prefix + _fit_bytes(_as_unicode(name), 250 - len(prefix.encode("utf-8")))


def _as_unicode(name: str) -> str:
    """The name with bytes that are not UTF-8 (kept by Python as lone surrogates) shown as �.

    Such a name (from an old Unix tool or a share with another character set) could not be
    written to the journal, the log or problems.txt; from the claim on, the job uses this one.
    """
    return os.fsencode(name).decode("utf-8", errors="replace")


def _log_claim_refused(src: Path, exc: PermissionError) -> None:
    """Note why a claim was refused: in use on Windows is routine, anything else is worth a look."""
    if getattr(exc, "winerror", None) in _WINDOWS_FILE_IN_USE:
        logger.debug("%s is open in another program; will try again later", src.name)
    else:
        logger.warning("could not take %s (%s); will try again later", src.name, exc.strerror)


# --------------------------------------------------------------------------------------------
# Plain words for OSError


def _plain_os_error(exc: OSError, action: str, path: Path) -> str:
    """What went wrong writing or moving `path`, and what to do about it, for admin staff."""
    what = f"could not {action} {path.name} in the folder {path.parent}"
    if isinstance(exc, _FolderGone):
        return (
            f"sos-docs {what}: the folder {exc.filename} is not there. If it is on a network "
            "share, check that the share is connected; sos-docs will try again."
        )
    advice = _ADVICE.get(exc.errno or 0)
    if advice is None:
        return f"sos-docs {what}: {exc.strerror or exc}. Please tell IT about this message."
    return f"sos-docs {what}: {advice}"


_DISK_FULL = "the disk is full. Free some space on it, then drop the workbook in again."
_NO_PERMISSION = "permission denied. Ask IT to let the sos-docs service write to that folder."
_ADVICE: dict[int, str] = {
    errno.ENOSPC: _DISK_FULL,
    errno.EDQUOT: _DISK_FULL,
    errno.EACCES: _NO_PERMISSION,
    errno.EPERM: _NO_PERMISSION,
    errno.EROFS: "the disk is read-only. Ask IT to make the folder writable again.",
    errno.ENAMETOOLONG: "the name is too long. Use a shorter case reference or output pattern.",
    errno.ENOENT: "the file or folder is no longer there. Check that nobody moved it.",
    errno.EEXIST: "too many files with that name exist. Move older versions elsewhere.",
    errno.EXDEV: "the folders are on different disks. Keep all sos-docs folders on one disk.",
}
