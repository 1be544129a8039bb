"""Security tests: hostile cell values, hostile templates, swapped files, and what leaves the server.

Each test is the proof named for one threat in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path

import docx
import pytest
from lxml import etree

from sos_docs import files
from sos_docs.config import DEFAULT_CONFIG, DEFAULT_TEMPLATES_DIR, Config
from sos_docs.documents.render import check_template, render_document
from sos_docs.errors import RenderError, TemplateError, WorkbookError
from sos_docs.pipeline import DOCUMENT_KINDS, REPORT, process_workbook
from sos_docs.service.logs import LOG_FILE_NAME, service_log_files
from sos_docs.workbook import guard, schema
from sos_docs.workbook.schema import ColumnKind
from tests.service.test_faults import (
    FAST,
    drop,
    make_root,
    names_in,
    service,
    service_log,
    wait_for,
    watching,
)
from tests.support import corpus, ending, soak
from tests.support.adversarial import CANARY_TEXT
from tests.support.builders import WorkbookBuilder

TODAY = dt.date(2026, 11, 28)
with_reference = soak.with_reference
FIELD_CODE = re.compile(r"<w:instrText[^>]*>\s*(\S+)")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

HOSTILE_NAMES = (
    "../../x",
    "..",
    ".",
    "CON",
    "a/b",
    "a\\b",
    "/etc/passwd",
    "C:\\Windows\\x",
    "\\\\server\\share\\x",
    "~root",
    "x" * 500,
    "line one\nline two",
    "CP-1\n../../x",
    " . . ",
)
SANDBOX_ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ ''|attr('__class__') }}",
    "{{ case_reference.__class__.__base__.__subclasses__() }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
]
LITERAL_TEXTS = (
    '=HYPERLINK("http://x","y")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+1+1",
    "{{ 7*7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "{{ cycler.__init__.__globals__ }}",
    "${jndi:ldap://x/a}",
    "<w:p><w:r><w:t>injected</w:t></w:r></w:p>",
)


# --------------------------------------------------------------------------------------------
# Helpers


def document_texts(path: Path) -> list[str]:
    """Each paragraph's text in every part of a .docx (body, headers, footers), breaks as \\n."""
    texts = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not (name.startswith("word/") and name.endswith(".xml")):
                continue
            root = etree.fromstring(archive.read(name))
            for paragraph in root.iter(f"{W}p"):
                texts.append("".join(_run_text(node) for node in paragraph.iter()))
    return texts


def _run_text(node: etree._Element) -> str:
    if node.tag == f"{W}t":
        return node.text or ""
    if node.tag == f"{W}br":
        return "\n"
    if node.tag == f"{W}tab":
        return "\t"
    return ""


def files_under(folder: Path) -> list[Path]:
    """Every file (and link) under a folder."""
    return sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def run_case(tmp_path: Path, book: WorkbookBuilder) -> tuple[Path, list[Path]]:
    """Process a workbook written from `book`; the output root and the documents written."""
    workbook = book.write(tmp_path / "in" / "case.xlsx")
    out_root = tmp_path / "out" / "reports"
    outcome = process_workbook(workbook, out_root, today=TODAY)
    assert outcome.ok, outcome.validation.problems
    return out_root, list(outcome.documents)


def assert_only_under(tmp_path: Path, out_root: Path, documents: list[Path]) -> None:
    """Every document is inside the output root, and nothing else appeared anywhere."""
    real_root = out_root.resolve()
    for document in documents:
        assert document.resolve().is_relative_to(real_root)
        assert document.resolve().parent.parent == real_root  # <case folder>/<file>
    written = [p for p in files_under(tmp_path) if not p.is_relative_to(tmp_path / "in")]
    assert sorted(written) == sorted(documents)


# --------------------------------------------------------------------------------------------
# Hostile cell values


@pytest.mark.parametrize("reference", HOSTILE_NAMES, ids=repr)
def test_a_hostile_case_reference_never_writes_outside_reports(
    reference: str, tmp_path: Path
) -> None:
    """Traversal, device names, separators, 500 characters or newlines stay inside reports/."""
    out_root, documents = run_case(
        tmp_path, WorkbookBuilder().set_case("Case reference", reference)
    )
    # Each document kind, the report as the example's professional and family copies.
    assert len(documents) == len(DOCUMENT_KINDS) + 1
    assert_only_under(tmp_path, out_root, documents)
    for document in documents:
        assert len(document.name.encode()) <= 255
        assert document.name.split(".")[0].upper() not in ("CON", "")
    report = next(d for d in documents if REPORT.title in d.name)
    assert any(reference.strip() in text for text in document_texts(report))


def test_a_500_character_case_reference_leaves_title_and_date_in_the_file_names(
    tmp_path: Path,
) -> None:
    """The case reference is shortened, not the document's title and date after it."""
    book = WorkbookBuilder().set_case("Case reference", "R" * 500)
    _, documents = run_case(tmp_path, book)
    names = sorted(d.name for d in documents)
    assert [n.split(" ", 1)[1] for n in names] == [
        "Conference report (family copy) 2026-11-27.docx",
        "Conference report (professional copy) 2026-11-27.docx",
        "Words and pictures 2026-11-27.docx",
    ]
    assert all(len(n.encode()) <= 120 for n in names)


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_a_hostile_child_name_is_shown_as_typed_and_writes_nothing_else(
    name: str, tmp_path: Path
) -> None:
    """A child's name like `../../x` or with newlines appears literally and never becomes a path."""
    book = WorkbookBuilder().update_row("Children", 0, Name=name)
    for row in book.rows("Harm"):  # the example names Mia there by her name
        row["Children"] = str(row.get("Children") or "").replace("Mia Hartley", "C1")
    out_root, documents = run_case(tmp_path, book)
    assert_only_under(tmp_path, out_root, documents)
    report = next(d for d in documents if REPORT.title in d.name)
    assert any(name.strip() in text for text in document_texts(report))


@pytest.mark.parametrize("text", LITERAL_TEXTS, ids=repr)
def test_formula_and_template_looking_text_stays_text(text: str, tmp_path: Path) -> None:
    """Text typed as =HYPERLINK(...), {{ }} or XML is printed literally: no field, link or tag."""

    def as_text_cells(book: object) -> None:
        for sheet, cell in (("Case", "B11"), ("Danger statements", "B2")):
            target = book[sheet][cell]  # type: ignore[index]
            target.value = text
            target.data_type = "s"  # as Excel stores '=HYPERLINK(...) typed with a quote

    book = WorkbookBuilder().then(as_text_cells)
    _, documents = run_case(tmp_path, book)
    report = next(d for d in documents if REPORT.title in d.name)
    assert sum(text in t for t in document_texts(report)) >= 2
    with zipfile.ZipFile(report) as archive:
        xml = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
        rels = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".rels"))
    for live in ("<w:fldSimple", "<w:hyperlink", "injected</w:t>"):
        assert live not in xml
    assert set(FIELD_CODE.findall(xml)) <= {"PAGE", "NUMPAGES"}  # the template's own footer
    assert "http://x" not in rels


def test_a_formula_cell_shows_its_saved_value_never_the_formula(tmp_path: Path) -> None:
    """A real =HYPERLINK formula with a saved value prints the value; no link is made."""
    path = WorkbookBuilder().write(tmp_path / "in" / "case.xlsx")
    cell = WorkbookBuilder().cell("Case", "Reason for report")
    corpus.replace_cell(
        path,
        corpus.sheet_part(path, "Case"),
        cell,
        f'<c r="{cell}" t="str"><f>HYPERLINK("http://x","Reason in a link")</f>'
        "<v>Reason in a link</v></c>",
    )
    outcome = process_workbook(path, tmp_path / "out", today=TODAY)
    assert outcome.ok, outcome.validation.problems
    report = next(d for d in outcome.documents if REPORT.title in d.name)
    assert "Reason in a link" in document_texts(report)
    with zipfile.ZipFile(report) as archive:
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"HYPERLINK" not in everything
    assert b"http://x" not in everything


# --------------------------------------------------------------------------------------------
# Hostile templates


def template_with(tmp_path: Path, *paragraphs: str) -> Path:
    """A .docx template holding these paragraphs."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / "templates" / REPORT.template
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


@pytest.mark.parametrize("tag", SANDBOX_ESCAPES)
def test_a_template_reaching_for_python_fails_with_a_template_error(
    tag: str, tmp_path: Path
) -> None:
    """Sandbox escapes in a template stop rendering with a plain TemplateError, and run nothing."""
    template = template_with(tmp_path, "Report for {{ case_reference }}", tag)
    with pytest.raises(TemplateError) as raised:
        render_document(template, {"case_reference": "CP-1"})
    message = str(raised.value)
    assert template.name in message
    assert "may not do" in message
    assert "\n" not in message


@pytest.mark.parametrize("tag", SANDBOX_ESCAPES)
def test_check_template_flags_a_template_reaching_for_python(tag: str, tmp_path: Path) -> None:
    """`sos-docs check-template` reports the escape before any workbook meets the template."""
    template = template_with(tmp_path, "Report for {{ case_reference }}", tag)
    found = check_template(template)
    assert found, "check-template passed a template that reaches for Python internals"
    assert all(field.internal and "may not do" in field.message for field in found), found


@pytest.mark.parametrize(
    "tag", ["{% include '/etc/passwd' %}", "{% import 'os' as os %}", "{% extends 'base' %}"]
)
def test_a_template_cannot_load_other_files(tag: str, tmp_path: Path) -> None:
    """include, import and extends have nothing to load from: an error, no file read."""
    template = template_with(tmp_path, tag)
    with pytest.raises((TemplateError, RenderError)):
        render_document(template, {"case_reference": "CP-1"})


def test_a_hostile_template_in_the_pipeline_rejects_without_documents(tmp_path: Path) -> None:
    """Through process_workbook the sandbox error surfaces as a TemplateError and nothing is written."""
    templates = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES_DIR, templates)
    template_with(tmp_path, "{{ cycler.__init__.__globals__ }}")
    workbook = WorkbookBuilder().write(tmp_path / "in" / "case.xlsx")
    config = Config(templates_dir=templates)
    with pytest.raises(TemplateError, match="may not do"):
        process_workbook(workbook, tmp_path / "out", config, today=TODAY)
    assert not (tmp_path / "out").exists()
    assert DEFAULT_CONFIG.templates_dir == DEFAULT_TEMPLATES_DIR


# --------------------------------------------------------------------------------------------
# Files swapped between the check and the open


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_pipe_swapped_in_after_the_check_is_refused_without_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The opened file is checked again, and opening never blocks on a named pipe."""
    regular = corpus.zip_file(tmp_path / "regular.xlsx", {"a": b"b"})
    os.mkfifo(tmp_path / "pipe.xlsx")
    real_lstat = os.lstat
    monkeypatch.setattr(guard.os, "lstat", lambda path: real_lstat(regular))
    with pytest.raises(WorkbookError, match="not an ordinary file"):
        guard.read_checked_workbook(tmp_path / "pipe.xlsx")


def test_a_link_swapped_in_after_the_check_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that becomes a symbolic link after the check is refused at the open."""
    secret = tmp_path / "outside" / "secret.xlsx"
    secret.parent.mkdir()
    secret.write_text(CANARY_TEXT)
    link = tmp_path / "inbox" / "case.xlsx"
    link.parent.mkdir()
    link.symlink_to(secret)
    real_lstat = os.lstat
    monkeypatch.setattr(guard.os, "lstat", lambda path: real_lstat(secret))
    with pytest.raises(WorkbookError, match="symbolic link") as raised:
        guard.read_checked_workbook(link)
    assert CANARY_TEXT not in str(raised.value)


# --------------------------------------------------------------------------------------------
# What leaves the server, and who may read what it writes


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A valid workbook (the example), as bytes."""
    return WorkbookBuilder().write(tmp_path_factory.mktemp("book") / "case.xlsx").read_bytes()


# Text columns that hold words from a list or an ID, not free text: marking them would only
# make the workbook invalid.
CODED_TEXT = ("About", "Categories")


def with_every_text_marked(book: WorkbookBuilder) -> list[str]:
    """Append a distinctive marker to every free-text cell but the case reference (names too,
    references by name kept valid); returns the markers."""
    markers: list[str] = []
    renamed: dict[str, str] = {}

    def mark(value: str) -> str:
        marker = f"ZQX{len(markers):03d}Q"
        markers.append(marker)
        renamed[value] = f"{value} {marker}"
        return renamed[value]

    case_columns = {c.name: c for c in schema.CASE.columns}
    for label, value in list(book.case.items()):
        column = case_columns.get(label)
        if label == "Case reference":  # an identifier: it names the reports folder and log lines
            continue
        if (
            column is not None
            and column.kind is ColumnKind.TEXT
            and column.name not in CODED_TEXT
            and isinstance(value, str)
        ):
            book.case[label] = mark(value)
    tables = [c for c in schema.SHEETS if not c.key_value]
    for contract in tables:
        for row in book.rows(contract.name):
            for column in contract.columns:
                value = row.get(column.name)
                if (
                    column.kind is ColumnKind.TEXT
                    and column.name not in ("ID", *CODED_TEXT)
                    and isinstance(value, str)
                ):
                    row[column.name] = mark(value)
    for contract in tables:  # references by name follow the names
        for row in book.rows(contract.name):
            for column in contract.columns:
                value = row.get(column.name)
                if column.kind in (
                    ColumnKind.PERSON,
                    ColumnKind.CHILD,
                    ColumnKind.CHILDREN,
                    ColumnKind.PEOPLE,
                ) and isinstance(value, str):
                    row[column.name] = ", ".join(renamed.get(p, p) for p in value.split(", "))
    return markers


def test_the_service_log_carries_no_cell_contents(
    tmp_path: Path, workbook_bytes: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    """A valid, an invalid and a damaged workbook with a marker in every text cell: the log file
    and the console (at -v) name files, cases and problem codes, never a marker."""
    root = make_root(tmp_path / "root")
    valid = WorkbookBuilder()
    markers = with_every_text_marked(valid)
    invalid = WorkbookBuilder()
    markers += with_every_text_marked(invalid)
    invalid.set_case("Meeting type", f"Tea party {markers[0]}")
    drop(root.inbox, "valid.xlsx", valid.write(tmp_path / "valid.xlsx").read_bytes())
    drop(root.inbox, "invalid.xlsx", invalid.write(tmp_path / "invalid.xlsx").read_bytes())
    damaged = valid.write(tmp_path / "damaged.xlsx")  # a number cell holding marked text
    corpus.replace_cell(
        damaged,
        corpus.sheet_part(damaged, "Case"),
        "B5",
        f'<c r="B5" t="n"><v>{markers[1]}</v></c>',
    )
    drop(root.inbox, "damaged.xlsx", damaged.read_bytes())
    log = tmp_path / "console.log"
    with log.open("wb") as console:
        command = [sys.executable, "-m", "sos_docs", "-v", "watch", str(root.path), "--once"]
        assert subprocess.run(command, stdout=console, stderr=console, check=False).returncode == 1
    file_log = service_log(root)
    assert names_in(root.processed) == ["valid.xlsx"]
    assert 'Rejected "invalid.xlsx"' in file_log and 'Rejected "damaged.xlsx"' in file_log
    for text in (file_log, log.read_text(errors="replace")):
        assert "ZQX" not in text, [line for line in text.splitlines() if "ZQX" in line]
    problems = (root.rejected / "invalid - problems.txt").read_text(encoding="utf-8-sig")
    assert markers[0] in problems  # the explanation for staff does quote the cell


def bits_beyond(path: Path, folder: Path) -> int:
    """Permission bits `path` has that its folder lacks (execute bits aside for files)."""
    mode, folder_mode = stat.S_IMODE(path.lstat().st_mode), stat.S_IMODE(folder.stat().st_mode)
    if not path.is_dir():
        mode &= ~0o111
    return mode & ~folder_mode


@contextmanager
def no_umask() -> Iterator[None]:
    """Run the block with umask 0, so only sos-docs' own choice of permissions counts."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("folder_mode", [0o700, 0o750], ids=oct)
def test_case_folders_and_documents_are_never_wider_than_reports(
    tmp_path: Path, folder_mode: int
) -> None:
    """A new case folder takes the mode of reports/, and a document that of its folder."""
    reports = tmp_path / "reports"
    reports.mkdir(mode=folder_mode)
    with no_umask():
        nested = files.write_new_file(reports / "CP-1" / "a" / "doc.docx", b"x", within=reports)
        plain = files.write_new_file(reports / "CP-2" / "doc.docx", b"x")
    for path in (nested, nested.parent, nested.parent.parent, plain, plain.parent):
        assert bits_beyond(path, path.parent) == 0, (path, oct(path.stat().st_mode))
    assert stat.S_IMODE(nested.parent.stat().st_mode) == folder_mode


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_the_log_file_is_never_wider_than_its_folder_even_after_rotation(tmp_path: Path) -> None:
    """The service log, and each new file after a rotation, is private to a private folder."""
    state = tmp_path / ".sos-docs"
    state.mkdir(mode=0o700)
    logger = logging.getLogger("sos_docs.test_security")
    with no_umask(), service_log_files([(tmp_path, state)]):
        logger.info("one line")
        handler = next(
            h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)
        )
        handler.doRollover()
        logger.info("another line")
    log_files = sorted(state.iterdir())
    assert [p.name for p in log_files] == [LOG_FILE_NAME, f"{LOG_FILE_NAME}.1"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in log_files)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("folder_mode", [0o700, 0o750], ids=oct)
def test_everything_the_service_makes_is_never_wider_than_its_folder(
    tmp_path: Path, workbook_bytes: bytes, folder_mode: int
) -> None:
    """With no umask to help, everything the service creates under a root IT set up (its
    folders, documents, receipts, case folders, problems, marked copies, journal, log) is no
    more open than the folder it is in."""
    (tmp_path / "root").mkdir(mode=folder_mode)
    with no_umask():
        root = make_root(tmp_path / "root")
        drop(root.inbox, "case.xlsx", workbook_bytes)
        drop(root.inbox, "bad.xlsx", b"Case reference,CP-1\n")
        with watching(root) as running:
            wait_for(
                lambda: running.summary.processed + running.summary.rejected == 2, 60, "both", root
            )
    made = [p for p in root.path.rglob("*") if p.name not in ("case.xlsx", "bad.xlsx")]
    assert any(p.suffix == ".docx" for p in made) and any(p.suffix == ".sqlite3" for p in made)
    assert any(p.name == LOG_FILE_NAME for p in made)
    wider = {
        str(p.relative_to(root.path)): oct(bits_beyond(p, p.parent))
        for p in made
        if bits_beyond(p, p.parent)
    }
    assert wider == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sockets are read from /proc")
@pytest.mark.parametrize(
    "flags",
    [
        pytest.param((), id="documents"),
        pytest.param(
            ("--pdf",),
            id="with-pdf",
            marks=pytest.mark.skipif(shutil.which("soffice") is None, reason="no LibreOffice"),
        ),
    ],
)
def test_the_service_opens_no_network_socket(
    tmp_path: Path, workbook_bytes: bytes, flags: tuple[str, ...]
) -> None:
    """A running service (with LibreOffice for PDFs too), idle and at work, holds no TCP or UDP
    socket in any of its processes, so it listens on no port and calls nowhere."""
    root = make_root(tmp_path / "root")
    log = tmp_path / "service.log"
    process = service(root.path, log, *flags)
    seen: list[str] = []
    try:
        wait_for(lambda: "Watching" in log.read_text(), 60, "the service to start", root)
        seen += soak.inet_sockets(process.pid)
        for number in range(3):
            drop(root.inbox, f"case-{number}.xlsx", workbook_bytes)
        deadline = time.monotonic() + 60
        while len(names_in(root.processed)) < 3 and time.monotonic() < deadline:
            seen += soak.inet_sockets(process.pid)
            time.sleep(0.05)
        seen += soak.inet_sockets(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        assert ending.exit_code(process, log, 60) == 0, log.read_text()
    assert names_in(root.processed) == ["case-0.xlsx", "case-1.xlsx", "case-2.xlsx"]
    if "--pdf" in flags:  # LibreOffice really ran
        # Three documents each: the report's professional and family copies, and the story.
        assert len(list(root.reports.rglob("*.pdf"))) == 9
    assert seen == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sockets are read from /proc")
def test_the_socket_check_does_see_a_listening_socket() -> None:
    """The check above is not blind: a process listening on a port is reported."""
    listener = subprocess.Popen(
        [sys.executable, "-c", LISTEN], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True
    )
    try:
        assert listener.stdout is not None and listener.stdout.readline().strip() == "listening"
        assert any("tcp" in found for found in soak.inet_sockets(listener.pid))
    finally:
        listener.kill()
        listener.wait(10)


LISTEN = """
import socket, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print("listening", flush=True)
sys.stdin.readline()
"""


def test_symbolic_links_in_the_inbox_are_never_followed(
    tmp_path: Path, workbook_bytes: bytes
) -> None:
    """Links to a workbook and to a secret outside the root stay untouched in the inbox; their
    targets are never read into documents or moved; real workbooks beside them are processed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other-team.xlsx").write_bytes(with_reference(workbook_bytes, "OTHER-TEAM-1"))
    (outside / "secret.txt").write_text(CANARY_TEXT)
    root = make_root(tmp_path / "root")
    (root.inbox / "link.xlsx").symlink_to(outside / "other-team.xlsx")
    (root.inbox / "secret.xlsx").symlink_to(outside / "secret.txt")
    (root.inbox / "folder-link.xlsx").symlink_to(outside, target_is_directory=True)
    with watching(root) as running:
        drop(root.inbox, "case.xlsx", workbook_bytes)
        wait_for(lambda: running.summary.processed == 1, 60, "the real workbook", root)
        time.sleep(2 * FAST["rescan_seconds"])  # a few more listings of the inbox
    assert names_in(root.inbox) == ["folder-link.xlsx", "link.xlsx", "secret.xlsx"]
    assert all((root.inbox / n).is_symlink() for n in names_in(root.inbox))
    assert sorted(p.name for p in outside.iterdir()) == ["other-team.xlsx", "secret.txt"]
    assert names_in(root.reports) == ["CP-2026-0412"]
    assert names_in(root.processed) == ["case.xlsx"]
    notes = [f"{name} - problems.txt" for name in ("folder-link.xlsx", "link.xlsx", "secret.xlsx")]
    assert names_in(root.rejected) == notes  # left alone, but each explained once
    assert all("symbolic link" in (root.rejected / n).read_text("utf-8-sig") for n in notes)
    assert CANARY_TEXT not in "".join((root.rejected / n).read_text("utf-8-sig") for n in notes)


# ---- log and console injection (issue 10.8)

FORGED = "x.xlsx\n2026-01-01 09:00  processed  forged.xlsx\x1b[2K\u202e"


def _without_controls(text: str) -> bool:
    """True when the text holds no escape, carriage return or bidi override."""
    return not any(char in text for char in ("\x1b", "\x9b", "\r", "\u202e"))


@pytest.mark.parametrize("fast", [True, False], ids=["fast path", "openpyxl load"])
def test_openpyxl_warnings_reach_the_log_without_their_text(
    fast: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A library warning quoting a cell is logged by category and origin, never by its text."""
    from sos_docs.workbook import reader

    def warning_first(original: object) -> object:
        def wrapper(*args: object, **kwargs: object) -> object:
            warnings.warn("Cell B5 'ZQX Jane Doe 01/02/2015' is odd", UserWarning, stacklevel=1)
            return original(*args, **kwargs)  # type: ignore[operator]

        return wrapper

    monkeypatch.setattr(reader, "_values_of_parts", warning_first(reader._values_of_parts))
    monkeypatch.setattr(reader, "load_workbook", warning_first(reader.load_workbook))
    path = WorkbookBuilder().write(tmp_path / "book.xlsx")
    with caplog.at_level(logging.DEBUG, logger="sos_docs"):
        reader._read_workbook(path, DEFAULT_CONFIG.limits, fast=fast)
    assert "UserWarning" in caplog.text
    assert "ZQX" not in caplog.text


def test_status_escapes_a_forged_line_in_a_file_name(tmp_path: Path) -> None:
    """A file name with a newline and terminal codes cannot add a "processed" line to `status`."""
    from click.testing import CliRunner

    from sos_docs.cli import cli
    from sos_docs.service.jobs import run_job

    root = make_root(tmp_path / "root")
    root.prepare()
    run_job(root, WorkbookBuilder().write(root.inbox / FORGED))
    result = CliRunner().invoke(cli, ["status", str(root.path)])
    assert result.exit_code == 0, result.output
    assert "forged.xlsx" in result.output
    assert not any(line.lstrip().startswith("2026-01-01") for line in result.output.splitlines())
    assert _without_controls(result.output)


def test_validate_escapes_control_characters_in_names_and_messages(tmp_path: Path) -> None:
    """`validate` prints a hostile file name and a cell quoted in a message escaped."""
    from click.testing import CliRunner

    from sos_docs.cli import cli

    book = WorkbookBuilder().set_case("Meeting type", "Tea\x9b2J party\u202e\r")
    path = book.write(tmp_path / "a\x1b[31mb.xlsx")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Meeting type" in result.output or "WB006" in result.output
    assert _without_controls(result.output)


def test_status_json_escapes_c1_controls_and_bidi_marks_and_still_parses(tmp_path: Path) -> None:
    """`status --json` prints no raw C1 control or bidi mark, and reads back to the same name."""
    import json

    from click.testing import CliRunner

    from sos_docs.cli import cli
    from sos_docs.service.jobs import run_job

    name = "a\x9b2Jb\u202ec\x85.xlsx"
    root = make_root(tmp_path / "root")
    run_job(root, WorkbookBuilder().write(root.inbox / name))
    result = CliRunner().invoke(cli, ["status", str(root.path), "--json"])
    assert result.exit_code == 0, result.output
    assert not any(char in result.output for char in ("\x9b", "\u202e", "\x85"))
    assert json.loads(result.output)["recent"][0]["file"] == name
