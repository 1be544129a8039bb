"""The adversarial corpus (tests/support/adversarial.py) through the pipeline, one fresh process per file.

Each file must end in a clear WB001 problem, the validation problem it deserves, or documents,
never an exception, within a time and a memory bound; no file outside may be opened and no
socket used. Each file runs in a child forked from a warm server so that a hang can be killed
and the peak memory measured (resource.getrusage) for that file alone.
"""

from __future__ import annotations

import re
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from sos_docs.config import load_config
from sos_docs.pipeline import DOCUMENT_KINDS
from sos_docs.service import jobs
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import LOG_FILE_NAME, service_log_files
from sos_docs.service.watcher import Watcher
from tests.support.adversarial import (
    CANARY_TEXT,
    SPECS,
    Entry,
    Expect,
    Measured,
    build_corpus,
    run_isolated,
)

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
    # The report's professional and family copies (Leo's words are withheld), and the story.
    assert len(measured.documents) == len(DOCUMENT_KINDS) + 1
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


# --------------------------------------------------------------------------------------------
# The whole corpus through a running watch service

FAST = {"settle_seconds": 0.2, "rescan_seconds": 0.5}
SERVICE_SECONDS = 240.0


def wait_until(condition: Callable[[], bool], seconds: float, root: WatchedRoot) -> None:
    """Poll until the condition holds; fail after `seconds`, showing the service log."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            log = root.state / LOG_FILE_NAME
            shown = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            raise AssertionError(f"timed out after {seconds} s\n--- service log ---\n{shown}")
        time.sleep(0.1)


def readable_bytes(path: Path) -> bytes:
    """A file's bytes, and for a zip (.docx, .xlsx) each member's bytes unpacked too."""
    data = path.read_bytes()
    if not zipfile.is_zipfile(path):
        return data
    with zipfile.ZipFile(path) as archive:
        return data + b"".join(archive.read(name) for name in archive.namelist())


def test_the_whole_corpus_dropped_into_a_watched_inbox_is_accounted_for(tmp_path: Path) -> None:
    """Each file ends in processed/ or rejected/ with its explanation; links and folders stay
    untouched in the inbox; nothing leaks; the service goes on to the next workbook."""
    entries = build_corpus(tmp_path / "corpus")
    root = WatchedRoot(tmp_path / "root", load_config(None, None, FAST))
    root.prepare()
    for entry in entries:
        entry.path.rename(root.inbox / entry.name)
    taken = [e for e in entries if e.expect is not Expect.IGNORED]
    made = [e for e in taken if e.expect is Expect.DOCUMENTS]
    running = Watcher([root], incomplete_grace=1.0)
    thread = threading.Thread(target=running.run, daemon=True)
    with service_log_files([(root.path, root.state)]):
        thread.start()
        try:
            wait_until(
                lambda: running.summary.processed + running.summary.rejected >= len(taken),
                SERVICE_SECONDS,
                root,
            )
            (tmp_path / "corpus" / "base" / "example.xlsx").rename(root.inbox / "next.xlsx")
            wait_until(lambda: (root.processed / "next.xlsx").exists(), 60, root)
        finally:
            running.stop()
            thread.join(60)
    assert not thread.is_alive()
    summary = running.summary
    assert (summary.processed, summary.rejected) == (len(made) + 1, len(taken) - len(made))
    assert summary.waiting == 0
    ignored = [e for e in entries if e.expect is Expect.IGNORED]
    assert sorted(p.name for p in root.inbox.iterdir()) == sorted(e.name for e in ignored)
    assert (tmp_path / "corpus" / "outside" / "secret.txt").read_text().startswith(CANARY_TEXT)
    assert len(list(root.processed.iterdir())) == len(made) + 1
    problems = [p for p in root.rejected.iterdir() if p.name.endswith(" - problems.txt")]
    # Each rejected workbook has its problems; each folder or link left in the inbox a note.
    assert len(problems) == len(taken) - len(made) + len(ignored)
    for entry in ignored:
        note = root.rejected / f"{entry.name} - problems.txt"
        assert entry.says in note.read_text("utf-8-sig"), entry.name
    assert len(list(root.reports.rglob("*.docx"))) == 3 * (len(made) + 1)  # two copies, a story
    assert "Traceback" not in (root.state / LOG_FILE_NAME).read_text(encoding="utf-8")
    made_by_service = [
        *root.reports.rglob("*"),
        *root.rejected.glob("* - *"),
        *root.state.glob("*"),
    ]
    for path in made_by_service:
        if path.is_file():
            assert CANARY_TEXT.encode() not in readable_bytes(path), path
    assert list(root.path.rglob(".*.tmp")) == []
    assert jobs.unfinished_jobs(root) == []
