"""Tests for sos_docs.documents.pdf: PDF copies through one long-lived LibreOffice, with real documents."""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from sos_docs.documents import pdf
from sos_docs.documents.pdf import PdfConverter, locate_libreoffice, pdf_path_for
from sos_docs.errors import PdfError
from sos_docs.pipeline import REPORT, WORDS_AND_PICTURES, process_workbook
from sos_docs.workbook import example
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.office import needs_libreoffice

needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example's conference report (its professional copy: Leo's words are withheld from
    the family copy) and words and pictures story as real .docx files."""
    folder = tmp_path_factory.mktemp("documents")
    workbook = WorkbookBuilder().write(folder / "example.xlsx")
    outcome = process_workbook(workbook, folder / "out", today=EXAMPLE_TODAY)
    assert outcome.ok and len(outcome.documents) == 3
    professional, _family, story = outcome.documents
    return {REPORT.key: professional, WORDS_AND_PICTURES.key: story}


def pdf_text(path: Path) -> str:
    """The PDF's text by pdftotext, with every run of white space as one space."""
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return re.sub(r"\s+", " ", result.stdout.decode("utf-8"))


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def running_in_group(pgid: int) -> list[int]:
    """The processes of a process group that still run (finished ones awaiting init are not)."""
    running = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended while we looked
        if int(fields[2]) == pgid and fields[0] != "Z":
            running.append(int(stat_file.parent.name))
    return running


# ---------------------------------------------------------------------------------------------
# With LibreOffice


@needs_libreoffice
@needs_pdftotext
def test_the_report_pdf_holds_every_danger_statement(
    converter: PdfConverter, documents: dict[str, Path], tmp_path: Path
) -> None:
    """The conference report's PDF appears and its text holds the example's danger statements."""
    written = converter.convert(documents[REPORT.key], tmp_path / "report.pdf")
    assert written == tmp_path / "report.pdf"
    assert written.read_bytes().startswith(b"%PDF-")
    text = pdf_text(written)
    for danger in example.DANGER_STATEMENTS:
        assert one_line(danger["Statement"]) in text
    assert "OFFICIAL-SENSITIVE" in text


@needs_libreoffice
@needs_pdftotext
def test_the_story_pdf_holds_the_childrens_pages(
    converter: PdfConverter, documents: dict[str, Path], tmp_path: Path
) -> None:
    """The words and pictures story converts too, with its page headings in the PDF's text."""
    written = converter.convert(documents[WORDS_AND_PICTURES.key], tmp_path / "story.pdf")
    text = pdf_text(written)
    for page in example.WORDS_AND_PICTURES:
        assert one_line(page["Heading"]) in text


@needs_libreoffice
def test_conversions_reuse_the_one_libreoffice(
    converter: PdfConverter, documents: dict[str, Path], tmp_path: Path
) -> None:
    """Several conversions are done by the same LibreOffice process, started once."""
    converter.convert(documents[REPORT.key], tmp_path / "a.pdf")
    pid, starts = converter.office_pid, converter.starts
    for number in range(3):
        converter.convert(documents[WORDS_AND_PICTURES.key], tmp_path / f"b{number}.pdf")
    assert pid is not None
    assert converter.office_pid == pid
    assert converter.starts == starts == 1


@needs_libreoffice
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("random.docx", os.urandom(4000)),
        ("text.docx", b"Just some words, not a Word document."),
        ("empty.docx", b""),
    ],
)
def test_a_broken_docx_gives_pdf_error_and_no_file(
    converter: PdfConverter, tmp_path: Path, name: str, content: bytes
) -> None:
    """A file that is not a Word document raises PdfError and leaves nothing in the folder."""
    broken = tmp_path / "in" / name
    broken.parent.mkdir()
    broken.write_bytes(content)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(PdfError, match=f"{name} could not be converted to PDF"):
        converter.convert(broken, out / "broken.pdf")
    assert list(out.iterdir()) == []


@needs_libreoffice
def test_a_half_written_docx_gives_pdf_error(
    converter: PdfConverter, documents: dict[str, Path], tmp_path: Path
) -> None:
    """The first half of a real document is refused, and the converter goes on working."""
    data = documents[REPORT.key].read_bytes()
    half = tmp_path / "half.docx"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(PdfError):
        converter.convert(half, tmp_path / "half.pdf")
    assert not (tmp_path / "half.pdf").exists()
    assert converter.convert(documents[REPORT.key], tmp_path / "whole.pdf").exists()


@needs_libreoffice
def test_an_existing_pdf_is_never_overwritten(
    converter: PdfConverter, documents: dict[str, Path], tmp_path: Path
) -> None:
    """A PDF already at the name stays as it was; the new copy gets a numbered name."""
    taken = tmp_path / "report.pdf"
    taken.write_bytes(b"somebody's file")
    written = converter.convert(documents[REPORT.key], taken)
    assert written == tmp_path / "report (2).pdf"
    assert taken.read_bytes() == b"somebody's file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@needs_libreoffice
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_hung_libreoffice_is_killed_and_started_again(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """A LibreOffice that stops answering is killed at the time limit; the next PDF still comes."""
    with PdfConverter(timeout=3) as converter:
        converter.convert(documents[WORDS_AND_PICTURES.key], tmp_path / "first.pdf")
        hung = converter.office_pid
        assert hung is not None
        os.killpg(hung, signal.SIGSTOP)  # LibreOffice and its child freeze, as if hung
        with pytest.raises(PdfError, match="longer than 3 seconds"):
            converter.convert(documents[REPORT.key], tmp_path / "hung.pdf")
        assert not (tmp_path / "hung.pdf").exists()
        assert running_in_group(hung) == []  # the frozen LibreOffice is gone
        written = converter.convert(documents[REPORT.key], tmp_path / "after.pdf")
        assert written.exists()
        assert converter.starts == 2
        assert converter.office_pid not in (None, hung)


@needs_libreoffice
def test_a_libreoffice_that_died_is_started_again(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """When LibreOffice is killed between documents, the next conversion starts a new one."""
    with PdfConverter() as converter:
        converter.convert(documents[WORDS_AND_PICTURES.key], tmp_path / "first.pdf")
        first = converter.office_pid
        assert first is not None
        os.killpg(first, signal.SIGKILL)
        written = converter.convert(documents[WORDS_AND_PICTURES.key], tmp_path / "second.pdf")
        assert written.exists()
        assert converter.starts >= 2


@needs_libreoffice
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_closing_ends_libreoffice_and_removes_its_profile(
    documents: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the `with` block no LibreOffice of the converter runs and its profile is gone."""
    # The profile goes to this test's own temporary folder, not the shared one other test runs
    # (and other converters) use at the same time.
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    with PdfConverter() as converter:
        converter.convert(documents[WORDS_AND_PICTURES.key], tmp_path / "story.pdf")
        pid = converter.office_pid
        assert pid is not None
        assert [p.name.startswith("sos-docs-pdf-") for p in temporary.iterdir()] == [True]
    assert running_in_group(pid) == []
    assert list(temporary.iterdir()) == []
    assert converter.office_pid is None


@needs_libreoffice
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_libreoffice_ends_when_sos_docs_is_killed(
    documents: dict[str, Path], tmp_path: Path
) -> None:
    """A process using a converter is killed with SIGKILL: its LibreOffice does not outlive it."""
    script = (
        "import os, sys, signal\n"
        "from pathlib import Path\n"
        "from sos_docs.documents.pdf import PdfConverter\n"
        "converter = PdfConverter()\n"
        "converter.convert(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(converter.office_pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    story = documents[WORDS_AND_PICTURES.key]
    run = subprocess.run(
        [sys.executable, "-c", script, str(story), str(tmp_path / "story.pdf")],
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # the killed process cannot remove its profile
    )
    assert run.returncode == -signal.SIGKILL
    office = int(run.stdout.decode().strip())
    deadline = time.monotonic() + 20
    while running_in_group(office) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert running_in_group(office) == []


# ---------------------------------------------------------------------------------------------
# Without LibreOffice


@pytest.fixture
def no_libreoffice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A PATH with no soffice on it and no usual install folders; returns the PATH folder."""
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(pdf, "_SOFFICE_PLACES", ())
    pdf._uno_python.cache_clear()
    return empty


def test_without_libreoffice_the_converter_says_so(no_libreoffice: Path, tmp_path: Path) -> None:
    """No soffice anywhere: not available, a plain reason, and convert raises PdfError."""
    docx = tmp_path / "a.docx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    with PdfConverter() as converter:
        assert not converter.available()
        assert converter.unavailable_reason.startswith("LibreOffice was not found on this computer")
        assert "libreoffice-writer-nogui" in converter.unavailable_reason
        with pytest.raises(PdfError, match="LibreOffice was not found"):
            converter.convert(docx, tmp_path / "a.pdf")
    assert not (tmp_path / "a.pdf").exists()


def test_libreoffice_without_its_python_bridge_is_named(
    no_libreoffice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An soffice with no Python able to import uno is reported as a missing python3-uno."""
    fake = no_libreoffice / "soffice"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(pdf, "_imports_uno", lambda python: False)
    with pytest.raises(PdfError, match="python3-uno"):
        locate_libreoffice()
    assert not PdfConverter().available()
    pdf._uno_python.cache_clear()


def test_a_missing_docx_is_a_pdf_error(tmp_path: Path) -> None:
    """Converting a file that is not there is a PdfError naming it, before LibreOffice is asked."""
    with pytest.raises(PdfError, match=r"gone\.docx could not be converted to PDF"):
        PdfConverter().convert(tmp_path / "gone.docx", tmp_path / "gone.pdf")


@pytest.mark.parametrize(
    ("docx", "expected"),
    [
        ("r/CP-1 Conference report 2026-11-27.docx", "r/CP-1 Conference report 2026-11-27.pdf"),
        ("r/Story.DOCX", "r/Story.pdf"),
        ("r/CP.2026 agenda", "r/CP.2026 agenda.pdf"),
    ],
)
def test_the_pdf_sits_beside_its_document(docx: str, expected: str) -> None:
    """The PDF copy takes the document's name with .pdf for .docx, or .pdf added otherwise."""
    assert pdf_path_for(Path(docx)) == Path(expected)
