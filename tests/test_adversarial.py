"""The adversarial corpus (tests/adversarial.py) through the pipeline, one fresh process per file.

Each file must end in a clear WB001 problem, the validation problem it deserves, or documents,
never an exception, within a time and a memory bound; no file outside may be opened and no
socket used. Each file runs in a child forked from a warm server so that a hang can be killed
and the peak memory measured (resource.getrusage) for that file alone.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import docx
import pytest
from adversarial import CANARY_TEXT, SPECS, Entry, Expect, Measured, build_corpus, run_isolated

from sos_docs.pipeline import DOCUMENT_KINDS

# Bounds for one file on a slow CI machine; docs/reliability.md has what runs really take.
SECONDS_PER_FILE = 30.0
PEAK_RSS_MB = 400.0
TRACEBACK_WORDS = re.compile(r"Traceback|Error\b|Exception|File \"|line \d+|0x[0-9a-f]{6,}")


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole corpus, written once for this module."""
    out = tmp_path_factory.mktemp("adversarial")
    build_corpus(out)
    return out


def entry_for(corpus_dir: Path, name: str) -> Entry:
    """The corpus entry of one spec, pointing into the written corpus."""
    spec = next(s for s in SPECS if s.name == name)
    return Entry(spec.name, spec.kind, spec.expect, spec.says, corpus_dir / "inbox" / spec.name)


def run(entry: Entry, corpus_dir: Path, out_root: Path) -> Measured:
    """The entry checked (and, when it should give documents, processed) in a fresh process."""
    out_root.mkdir()
    full = entry.expect is Expect.DOCUMENTS
    measured = run_isolated(
        entry.path, out_root, full=full, forbidden=corpus_dir / "outside", timeout=SECONDS_PER_FILE
    )
    assert not measured.timed_out, f"{entry.name} took more than {SECONDS_PER_FILE} s"
    assert not measured.error, measured.error
    return measured


def docx_text(path: Path) -> str:
    """Every XML part of a .docx as text, to search for what must never be in it."""
    with zipfile.ZipFile(path) as archive:
        return "".join(
            archive.read(name).decode("utf-8", "replace")
            for name in archive.namelist()
            if name.endswith((".xml", ".rels"))
        )


def assert_refused(measured: Measured, entry: Entry) -> None:
    """One WB001 problem naming the file and saying what is wrong, in one plain line."""
    assert measured.refused, (measured.codes, measured.messages, measured.written)
    (message,) = measured.messages
    assert entry.says in message
    assert f'"{entry.path.name}"' in message
    assert "\n" not in message
    assert not TRACEBACK_WORDS.search(message), message


def assert_documents(measured: Measured, out_root: Path) -> None:
    """Both documents, under the output root, holding the example and nothing from outside."""
    assert measured.codes == ()
    assert len(measured.documents) == len(DOCUMENT_KINDS)
    assert sorted(measured.written) == sorted(measured.documents)
    for relative in measured.documents:
        path = out_root / relative
        assert path.resolve().is_relative_to(out_root.resolve())
        text = docx_text(path)
        assert CANARY_TEXT not in text
        assert "vbaProject" not in text
        assert docx.Document(str(path)).paragraphs  # opens as a Word document


@pytest.mark.parametrize(
    "name", [s.name for s in SPECS], ids=lambda n: n.encode("unicode_escape").decode()[:60]
)
def test_each_corpus_file_gets_a_clear_outcome_within_bounds(
    name: str, corpus_dir: Path, tmp_path: Path
) -> None:
    """Problems or documents, never an exception, a hang, a file read outside or a socket."""
    entry = entry_for(corpus_dir, name)
    out_root = tmp_path / "reports"
    measured = run(entry, corpus_dir, out_root)
    assert measured.seconds < SECONDS_PER_FILE
    assert measured.peak_rss_mb < PEAK_RSS_MB, f"{name}: {measured.peak_rss_mb:.0f} MB"
    assert measured.opened_outside == ()
    assert measured.network == ()
    if entry.expect in (Expect.REFUSED, Expect.IGNORED):
        assert_refused(measured, entry)
    elif entry.expect is Expect.PROBLEMS:
        assert set(measured.codes) == {entry.says}
        assert measured.written == ()
    else:
        assert_documents(measured, out_root)


def test_the_corpus_covers_every_kind_the_issue_names() -> None:
    """Zip bombs, entities, size, malformed XML, formats, truncation, links and names are there."""
    kinds = {spec.kind for spec in SPECS}
    assert {
        "zip bomb",
        "entity expansion",
        "external entity",
        "size",
        "malformed XML",
        "wrong content types",
        "macros",
        "encrypted",
        "wrong format",
        "empty",
        "truncated",
        "not a file",
        "symbolic link",
        "unicode name",
        "hash in name",
        "longest ASCII name",
    } <= kinds
    assert sum(spec.kind == "truncated" for spec in SPECS) == 9


def test_build_corpus_writes_only_under_the_folder_given(tmp_path: Path) -> None:
    """The generator leaves nothing outside its folder, and every entry's path exists there."""
    out = tmp_path / "out"
    entries = build_corpus(out, only=["zip-slip-member.xlsx", "link-outside.xlsx", "CON.xlsx"])
    assert [e.name for e in entries] == ["zip-slip-member.xlsx", "link-outside.xlsx", "CON.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    for entry in entries:
        assert entry.path.is_symlink() or entry.path.is_file()
        assert entry.path.parent == out / "inbox"
