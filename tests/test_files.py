"""Tests for sos_docs.files: safe names, atomic never-overwriting writes, moves and claims."""

from __future__ import annotations

import errno
import multiprocessing
import os
import stat
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sos_docs import files
from sos_docs.errors import ConfigError, DeliveryError
from sos_docs.files import (
    DEFAULT_OUTPUT_PATTERN,
    claim,
    move_without_overwrite,
    output_path,
    safe_file_name,
    write_new_file,
)

# Written out independently of the module, so the tests check Windows' rules, not the code's.
FORBIDDEN = set('/\\<>:"|?*')
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(10)}

HOSTILE = [
    "../../x",
    "..\\..\\x",
    "CON",
    "con.txt",
    "Con .docx",
    "a/b",
    "..",
    ".",
    "...",
    "x" * 500,
    "é" * 500,
    "line one\nline two\r\n",
    "NUL",
    "nul.tar.gz",
    "COM1",
    "lpt9",
    "COM¹",
    "trailing dots...",
    "trailing spaces   ",
    "trailing. . .",
    " . leading",
    ".hidden",
    "😀 family 👨‍👩‍👧",
    "مرحبا بالعالم",
    "evil\u202etxt.exe",
    "",
    "   ",
    "\x00\x01\x1f\x7f",
    'a<b>c:d"e|f?g*h',
    "/etc/passwd",
    "C:\\Windows\\system32",
    "\\\\server\\share",
    "{case_reference}",
    "\ud800 lone surrogate",
]

FIELDS = {"case_reference": "CP-2024-017", "document": "Report", "date": "2024-05-01"}


def assert_safe_name(name: str, max_length: int = 120) -> None:
    """The checks every produced name must pass on Windows and Unix."""
    assert name
    assert name not in (".", "..")
    assert not FORBIDDEN & set(name)
    assert not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in name)
    assert name == name.rstrip(". ")
    assert not name.startswith((".", " "))
    assert name.split(".")[0].rstrip(" ").upper() not in RESERVED | {"COM¹", "LPT¹"}
    assert len(name.encode("utf-8")) <= max_length
    assert unicodedata.is_normalized("NFC", name)


# --------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_values_become_safe_names(text: str) -> None:
    """Every hostile cell value becomes a name Windows and Unix both accept."""
    assert_safe_name(safe_file_name(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CON", "CON_"),
        ("con.txt", "con_.txt"),
        ("Con .docx", "Con_.docx"),
        ("COM1", "COM1_"),
        ("a/b", "a-b"),
        ("CP/2024:17", "CP-2024-17"),
        ("..", "unnamed"),
        ("", "unnamed"),
        ("line one\nline two", "line one line two"),
        ("trailing dots...", "trailing dots"),
        ("Siân Nguyễn", "Siân Nguyễn"),
        ("e\u0301", "é"),
        ("😀 family", "😀 family"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        ("Console", "Console"),
        ("a  b\t c", "a b c"),
    ],
)
def test_safe_file_name_examples(text: str, expected: str) -> None:
    """Reserved names get a suffix, separators a hyphen, and ordinary Unicode is kept (NFC)."""
    assert safe_file_name(text) == expected


def test_long_names_are_cut_on_a_character_boundary_keeping_the_extension() -> None:
    """A 500-character name is cut to the byte budget without splitting a character."""
    name = safe_file_name("Łukasz " * 100 + ".docx", max_length=64)
    assert len(name.encode("utf-8")) <= 64
    assert name.endswith(".docx")
    assert name.startswith("Łukasz Łukasz")
    assert "\ufffd" not in name


def test_a_too_small_budget_is_refused() -> None:
    """A byte budget too small for any useful name is a programming error."""
    with pytest.raises(ValueError):
        safe_file_name("x", max_length=4)


@given(text=st.text(max_size=400), max_length=st.integers(min_value=16, max_value=255))
def test_any_text_becomes_a_safe_name(text: str, max_length: int) -> None:
    """For any text at all, the name is non-empty, safe, not reserved and within budget."""
    assert_safe_name(safe_file_name(text, max_length=max_length), max_length)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(case=st.text(max_size=200), document=st.text(max_size=50), date=st.text(max_size=20))
def test_any_field_values_stay_under_the_root(
    tmp_path: Path, case: str, document: str, date: str
) -> None:
    """Whatever the cells hold, the output path is exactly one folder and one file under root."""
    fields = {"case_reference": case, "document": document, "date": date}
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, fields)
    assert path.resolve().is_relative_to(tmp_path.resolve())
    assert path.relative_to(tmp_path).parts == (path.parent.name, path.name)
    assert path.name.endswith(".docx")
    assert_safe_name(path.parent.name)
    assert_safe_name(path.name)


# --------------------------------------------------------------------------------------------
# Output paths


def test_default_pattern_gives_the_documented_path(tmp_path: Path) -> None:
    """The default pattern is reports/<ref>/<ref> <Document> <date>.docx."""
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, FIELDS)
    assert path == tmp_path / "CP-2024-017" / "CP-2024-017 Report 2024-05-01.docx"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_field_value_can_never_add_a_folder(tmp_path: Path, hostile: str) -> None:
    """A hostile case reference stays one safe folder name under root."""
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, {**FIELDS, "case_reference": hostile})
    assert len(path.relative_to(tmp_path).parts) == 2
    assert path.resolve().is_relative_to(tmp_path.resolve())


def test_a_long_case_reference_keeps_the_docx_extension(tmp_path: Path) -> None:
    """Capping a long component never cuts off the .docx extension."""
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, {**FIELDS, "case_reference": "R" * 300})
    assert path.name.endswith(".docx")
    assert len(path.name.encode("utf-8")) <= 120


@pytest.mark.parametrize("empty", ["", "   ", "\n"])
def test_an_empty_field_leaves_no_stray_space(tmp_path: Path, empty: str) -> None:
    """An empty meeting date gives `ref Report.docx`, not `ref Report .docx` or `unnamed`."""
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, {**FIELDS, "date": empty})
    assert path.name == "CP-2024-017 Report.docx"


def test_an_empty_case_reference_still_gives_a_folder(tmp_path: Path) -> None:
    """A pattern part left empty by its fields becomes `unnamed`, never the root itself."""
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, {**FIELDS, "case_reference": ""})
    assert path == tmp_path / "unnamed" / "Report 2024-05-01.docx"


def test_all_fields_empty_still_gives_a_visible_docx(tmp_path: Path) -> None:
    """With every field empty the file is `unnamed.docx`, not the hidden name `.docx`."""
    path = output_path(tmp_path, DEFAULT_OUTPUT_PATTERN, dict.fromkeys(FIELDS, ""))
    assert path == tmp_path / "unnamed" / "unnamed.docx"


@pytest.mark.parametrize(
    "pattern",
    [
        "{case_reference}/{unknown}.docx",
        "/etc/{case_reference}.docx",
        "\\\\server\\share\\{case_reference}.docx",
        "C:/reports/{case_reference}.docx",
        "../{case_reference}.docx",
        "{case_reference}/../../x.docx",
        "./{case_reference}.docx",
        "{case_reference}//x.docx",
        "{case_reference.__class__}.docx",
        "{case_reference!r}.docx",
        "{case_reference:>10}.docx",
        "{}.docx",
        "{0}.docx",
        "{case_reference.docx",
        "",
        "   ",
    ],
)
def test_bad_patterns_are_refused_in_plain_words(tmp_path: Path, pattern: str) -> None:
    """Unknown fields, absolute paths, `..` and format tricks are configuration errors."""
    with pytest.raises(ConfigError, match="output file pattern"):
        output_path(tmp_path, pattern, FIELDS)


def test_a_pattern_may_use_backslashes_for_folders(tmp_path: Path) -> None:
    """A Windows-style pattern separates folders like '/'."""
    path = output_path(tmp_path, "{case_reference}\\{document}.docx", FIELDS)
    assert path == tmp_path / "CP-2024-017" / "Report.docx"


def test_a_folder_linking_outside_the_root_is_refused(tmp_path: Path) -> None:
    """A case folder that is a symlink to elsewhere would escape the root: DeliveryError."""
    root, outside = tmp_path / "reports", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (root / "CP-2024-017").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DeliveryError, match="outside the folder"):
        output_path(root, DEFAULT_OUTPUT_PATTERN, FIELDS)


# --------------------------------------------------------------------------------------------
# Writing


def test_write_new_file_writes_exact_content_and_leaves_no_temporary(tmp_path: Path) -> None:
    """The file holds exactly the bytes given, and nothing else is left in the folder."""
    data = os.urandom(200_000)
    path = write_new_file(tmp_path / "case" / "report.docx", data)
    assert path == tmp_path / "case" / "report.docx"
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir()] == ["report.docx"]


def test_write_new_file_never_overwrites_but_numbers_versions(tmp_path: Path) -> None:
    """A taken name gets ` (2)`, then ` (3)`; earlier files keep their content."""
    target = tmp_path / "CP-1 Report 2024-05-01.docx"
    first = write_new_file(target, b"one")
    second = write_new_file(target, b"two")
    third = write_new_file(target, b"three")
    assert [first.name, second.name, third.name] == [
        "CP-1 Report 2024-05-01.docx",
        "CP-1 Report 2024-05-01 (2).docx",
        "CP-1 Report 2024-05-01 (3).docx",
    ]
    assert [p.read_bytes() for p in (first, second, third)] == [b"one", b"two", b"three"]
    assert len(list(tmp_path.iterdir())) == 3


def test_write_new_file_works_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a share without hard links, names are reserved with O_EXCL and still never replaced."""

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(files.os, "link", no_links)
    target = tmp_path / "report.docx"
    target.write_bytes(b"already here")
    placed = write_new_file(target, b"new")
    assert placed.name == "report (2).docx"
    assert placed.read_bytes() == b"new"
    assert target.read_bytes() == b"already here"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report (2).docx", "report.docx"]


@pytest.mark.parametrize("failing", ["fsync", "write"])
def test_a_full_disk_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A write failing with ENOSPC leaves no final file, no temporary, and says the disk is full."""

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, failing, disk_full)
    with pytest.raises(DeliveryError, match="the disk is full") as caught:
        write_new_file(tmp_path / "report.docx", b"x" * 1000)
    assert "report.docx" in str(caught.value)
    assert isinstance(caught.value.__cause__, OSError)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_folder_says_permission_denied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permission errors are explained with what to ask IT for."""

    def denied(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.os, "open", denied)
    with pytest.raises(DeliveryError, match=r"permission denied\. Ask IT"):
        write_new_file(tmp_path / "report.docx", b"x")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_link_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error while placing the file removes the temporary copy."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(files.os, "link", broken)
    with pytest.raises(DeliveryError, match="Input/output error"):
        write_new_file(tmp_path / "report.docx", b"x")
    assert list(tmp_path.iterdir()) == []


def test_a_source_that_cannot_be_removed_is_not_left_under_two_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the old name cannot be removed after linking, the new name is undone: no duplicate."""
    source = tmp_path / "case.xlsx"
    source.write_bytes(b"workbook")
    real_unlink = Path.unlink

    def refuse_source(self: Path, missing_ok: bool = False) -> None:
        if self == source:
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse_source)
    with pytest.raises(DeliveryError, match="permission denied"):
        move_without_overwrite(source, tmp_path / "processed")
    assert source.read_bytes() == b"workbook"
    assert list((tmp_path / "processed").iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_new_files_are_no_more_open_than_their_folder(tmp_path: Path) -> None:
    """In a folder only its owner may enter, the new file is readable by its owner only."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    path = write_new_file(folder / "report.docx", b"x")
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode & 0o077 == 0
    assert mode & 0o600 == 0o600


def _write_many(target: str, writer: int, count: int, use_links: bool, start: Any) -> list[str]:
    """Child process: write `count` files to the same name at once with the other writers."""
    if not use_links:

        def no_links(*args: Any, **kwargs: Any) -> None:
            raise OSError(errno.EXDEV, "Invalid cross-device link")

        files.os.link = no_links  # type: ignore[assignment]
    start.wait()
    return [
        str(write_new_file(Path(target), f"writer {writer} file {n}".encode()))
        for n in range(count)
    ]


@pytest.mark.parametrize("use_links", [True, False], ids=["hard-links", "reservations"])
def test_processes_writing_one_name_at_once_all_get_their_own_file(
    tmp_path: Path, use_links: bool
) -> None:
    """Four processes writing the same name at once all succeed, none overwriting another."""
    context = multiprocessing.get_context("spawn")
    writers, each = 4, 10
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(writers) as pool:
            pending = [
                pool.apply_async(
                    _write_many, (str(tmp_path / "report.docx"), w, each, use_links, start)
                )
                for w in range(writers)
            ]
            start.set()
            results = [p.get(timeout=60) for p in pending]
    placed = [Path(p) for result in results for p in result]
    assert len(set(placed)) == writers * each
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in placed)
    for writer, result in enumerate(results):
        for n, path in enumerate(result):
            assert Path(path).read_bytes() == f"writer {writer} file {n}".encode()


# --------------------------------------------------------------------------------------------
# Moving and claiming


def test_move_keeps_the_name_and_numbers_when_taken(tmp_path: Path) -> None:
    """A workbook moves into processed/ under its name, or ` (2)` if that is taken."""
    processed = tmp_path / "processed"
    first, second = tmp_path / "a" / "case.xlsx", tmp_path / "b" / "case.xlsx"
    for path, text in ((first, b"first"), (second, b"second")):
        path.parent.mkdir()
        path.write_bytes(text)
    assert move_without_overwrite(first, processed) == processed / "case.xlsx"
    assert move_without_overwrite(second, processed) == processed / "case (2).xlsx"
    assert (processed / "case.xlsx").read_bytes() == b"first"
    assert (processed / "case (2).xlsx").read_bytes() == b"second"
    assert not first.exists() and not second.exists()


def test_move_without_hard_links_still_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The O_EXCL fallback also moves into a free name and leaves the source gone."""

    def no_links(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOTSUP, "Operation not supported")

    monkeypatch.setattr(files.os, "link", no_links)
    rejected = tmp_path / "rejected"
    rejected.mkdir()
    (rejected / "case.xlsx").write_bytes(b"old")
    source = tmp_path / "case.xlsx"
    source.write_bytes(b"new")
    assert move_without_overwrite(source, rejected) == rejected / "case (2).xlsx"
    assert (rejected / "case.xlsx").read_bytes() == b"old"
    assert (rejected / "case (2).xlsx").read_bytes() == b"new"
    assert not source.exists()


def test_moving_a_missing_file_is_a_delivery_error(tmp_path: Path) -> None:
    """A source that vanished is reported, not silently skipped."""
    with pytest.raises(DeliveryError, match="no longer there"):
        move_without_overwrite(tmp_path / "gone.xlsx", tmp_path / "processed")


def test_claim_renames_into_the_work_area(tmp_path: Path) -> None:
    """The claimed file is `<job id>__<name>` in the work area and gone from the inbox."""
    source = tmp_path / "inbox" / "case.xlsx"
    source.parent.mkdir()
    source.write_bytes(b"workbook")
    claimed = claim(source, tmp_path / ".sos-docs" / "work", "abc123")
    assert claimed == tmp_path / ".sos-docs" / "work" / "abc123__case.xlsx"
    assert claimed.read_bytes() == b"workbook"
    assert not source.exists()


def test_the_second_claim_loses(tmp_path: Path) -> None:
    """A file already claimed by someone else gives None, not an error."""
    source = tmp_path / "case.xlsx"
    source.write_bytes(b"workbook")
    assert claim(source, tmp_path / "work", "first") is not None
    assert claim(source, tmp_path / "work", "second") is None


def test_a_file_open_elsewhere_is_left_for_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sharing violation (PermissionError) gives None and leaves the file where it was."""

    def in_use(*args: Any, **kwargs: Any) -> None:
        raise PermissionError(errno.EACCES, "The process cannot access the file")

    source = tmp_path / "case.xlsx"
    source.write_bytes(b"workbook")
    monkeypatch.setattr(os, "rename", in_use)
    assert claim(source, tmp_path / "work", "job") is None
    assert source.read_bytes() == b"workbook"


def test_a_very_long_name_still_fits_when_claimed(tmp_path: Path) -> None:
    """The job id prefix never pushes a claimed name past the file system's limit."""
    source = tmp_path / ("ł" * 120 + ".xlsx")
    source.write_bytes(b"workbook")
    claimed = claim(source, tmp_path / "work", "f" * 32)
    assert claimed is not None
    assert len(claimed.name.encode("utf-8")) <= 255
    assert claimed.name.endswith(".xlsx")


def _claim_after(source: str, work: str, job_id: str, start: Any) -> str | None:
    """Child process: wait for the signal, then try to claim."""
    start.wait()
    claimed = claim(Path(source), Path(work), job_id)
    return str(claimed) if claimed else None


def test_two_processes_claiming_one_file_have_one_winner(tmp_path: Path) -> None:
    """Of two services claiming the same workbook at once, exactly one gets it."""
    source = tmp_path / "case.xlsx"
    source.write_bytes(b"workbook")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(2) as pool:
            pending = [
                pool.apply_async(_claim_after, (str(source), str(tmp_path / "work"), job, start))
                for job in ("one", "two")
            ]
            start.set()
            results = [p.get(timeout=60) for p in pending]
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert Path(winners[0]).read_bytes() == b"workbook"


# ------------------------------------------------------------------ round two (issue 10)


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u2067", "\u061c"]
)
def test_zero_width_and_bidi_characters_never_reach_a_name(invisible: str) -> None:
    """A look-alike reference with invisible characters names the same folder as the plain one."""
    assert safe_file_name(f"CP{invisible}-1{invisible}") == "CP-1"


def test_a_write_below_a_folder_that_became_a_link_is_refused(tmp_path: Path) -> None:
    """write_new_file with `within` refuses a linked folder on the way, even inside the root."""
    from sos_docs.errors import TargetError

    reports, elsewhere = tmp_path / "reports", tmp_path / "elsewhere"
    reports.mkdir()
    elsewhere.mkdir()
    (reports / "CP-1").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(TargetError, match="not a plain folder"):
        write_new_file(reports / "CP-1" / "doc.docx", b"data", within=reports)
    assert list(elsewhere.iterdir()) == []


def test_read_plain_file_within_reads_a_plain_file_and_refuses_what_is_not(
    tmp_path: Path,
) -> None:
    """One name at a time from the root: a plain file reads; links, pipes, big files do not."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "f.txt").write_bytes(b"plain")
    assert files.read_plain_file_within(tmp_path, Path("a/b/f.txt"), 5) == b"plain"
    (tmp_path / "la").symlink_to("a", target_is_directory=True)
    (tmp_path / "a" / "lf").symlink_to("b/f.txt")
    os.mkfifo(tmp_path / "a" / "pipe")
    for relative, words in [
        ("la/b/f.txt", "link"),
        ("a/lf", "link"),
        ("a/pipe", "not an ordinary file"),
        ("a/b/../b/f.txt", "not a plain path"),
    ]:
        with pytest.raises(OSError) as caught:
            files.read_plain_file_within(tmp_path, Path(relative), 5)
        assert words in str(caught.value.strerror)
    with pytest.raises(OSError) as caught:
        files.read_plain_file_within(tmp_path, Path("a/b/f.txt"), 4)
    assert caught.value.errno == errno.EFBIG


def test_many_versions_of_one_name_are_placed_without_probing_each_taken_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sixty files under one name get (2) to (60), each found with about one link() instead of
    one per version already there (60 versions: 1,770 failed links before the name index)."""
    calls: list[str] = []
    real_link = os.link

    def counting_link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(os.fspath(dst))
        real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(files.os, "link", counting_link)
    target = tmp_path / "CP-1 Report 2024-05-01.docx"
    placed = [write_new_file(target, str(n).encode()) for n in range(60)]
    assert [p.name for p in placed] == [target.name] + [
        f"CP-1 Report 2024-05-01 ({n}).docx" for n in range(2, 61)
    ]
    assert [p.read_bytes() for p in placed] == [str(n).encode() for n in range(60)]
    assert len(calls) <= 2 * 60


def test_the_name_index_never_overwrites_a_version_another_host_placed_meanwhile(
    tmp_path: Path,
) -> None:
    """A version placed behind the index's back (another service on the share) is never
    replaced: link() still decides, and the next free name is taken."""
    target = tmp_path / "report.docx"
    write_new_file(target, b"one")
    write_new_file(target, b"two")
    (tmp_path / "report (3).docx").write_bytes(b"another host's")
    (tmp_path / "report (4).docx").write_bytes(b"and another")
    placed = write_new_file(target, b"three")
    assert placed.name == "report (5).docx"
    assert (tmp_path / "report (3).docx").read_bytes() == b"another host's"
    assert (tmp_path / "report (4).docx").read_bytes() == b"and another"


def test_a_version_removed_by_staff_is_filled_again_as_before(tmp_path: Path) -> None:
    """When staff remove the first file, the next one takes its name again: the index only
    suggests where to start, the first free name still wins."""
    target = tmp_path / "report.docx"
    first = write_new_file(target, b"one")
    write_new_file(target, b"two")
    first.unlink()
    assert write_new_file(target, b"three") == target
