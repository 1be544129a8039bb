"""Tests for sos_docs.service.speculation: documents made during the copy grace, on real folders
with a real watcher; used only when the claimed file is exactly what they were made from."""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sos_docs import pipeline
from sos_docs.service import speculation
from sos_docs.service.journal import Journal
from sos_docs.service.speculation import SNAPSHOT_PREFIX
from tests.service.test_watcher import make_root, names_in, wait_for, watching
from tests.support.builders import WorkbookBuilder

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="close events come from inotify"
)
USED = "made during its copy grace"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], bytes]:
    """The bytes of a valid workbook for a case reference."""
    folder = tmp_path_factory.mktemp("books")

    def make(reference: str) -> bytes:
        book = WorkbookBuilder().set_case("Case reference", reference)
        return book.write(folder / f"{reference}.xlsx").read_bytes()

    return make


def counting_make(
    monkeypatch: pytest.MonkeyPatch, hold_first: threading.Event | None = None
) -> list[str]:
    """Count calls of pipeline.make_documents (the in-process maker); the first waits for
    `hold_first`, when given. Returns the list of the workbooks' names, one per call."""
    real = pipeline.make_documents
    calls: list[str] = []

    def make(path: Path, config: Any = None, earlier: Any = None) -> pipeline.Made:
        calls.append(path.name)
        if hold_first is not None and len(calls) == 1:
            assert hold_first.wait(20)
        return real(path, config, earlier)

    monkeypatch.setattr(pipeline, "make_documents", make)
    return calls


def stored(data: bytes) -> bytes:
    """The same workbook zipped again without compression: two such workbooks whose texts
    differ only in equally long values have the same size."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            copy = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            target.writestr(copy, source.read(info), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def used_ahead(caplog: pytest.LogCaptureFixture) -> int:
    return sum(USED in r.getMessage() for r in caplog.records)


def test_a_copied_workbook_is_made_once_during_its_grace_and_its_documents_used(
    tmp_path: Path,
    books: Callable[[str], bytes],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Written in place and closed: the documents are made once (during the grace), placed after
    the claim, and no private copy is left in the work area."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.speculation")
    calls = counting_make(monkeypatch)
    root = make_root(tmp_path, settle_seconds=10.0)
    with watching(root):
        time.sleep(0.3)
        for n in range(3):
            (root.inbox / f"case-{n}.xlsx").write_bytes(books("CP-1"))
            wait_for(lambda k=n: len(names_in(root.processed)) == k + 1, what=f"case-{n}")
    assert calls == ["case-0.xlsx", "case-1.xlsx", "case-2.xlsx"]
    assert used_ahead(caplog) == 3
    assert len(names_in(root.reports / "CP-1")) == 3 * 4  # three documents and a receipt each
    assert [p for p in root.work.iterdir() if p.name.startswith(SNAPSHOT_PREFIX)] == []


def test_a_file_changed_during_its_grace_never_gives_documents_of_its_old_bytes(
    tmp_path: Path,
    books: Callable[[str], bytes],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The file is rewritten while its documents are being made ahead, with new content of
    the same size and its old modification time: only its content tells, and the documents
    are made from the claimed bytes."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.speculation")
    old, new = stored(books("CP-1")), stored(books("CP-2"))
    assert len(old) == len(new) and old != new
    hold = threading.Event()
    calls = counting_make(monkeypatch, hold_first=hold)
    root = make_root(tmp_path, settle_seconds=10.0)
    target = root.inbox / "case.xlsx"
    with watching(root, workers=1):  # one worker: no second making ahead, only the content tells
        time.sleep(0.3)
        target.write_bytes(old)
        wait_for(lambda: len(calls) == 1, what="the making ahead")
        mtime = target.stat().st_mtime_ns
        with target.open("r+b") as writer:  # in place: same inode, same size
            writer.write(new)
        os.utime(target, ns=(mtime, mtime))
        time.sleep(0.3)  # the grace has passed: the job waits for the making ahead
        assert names_in(root.processed) == [] and list(root.reports.iterdir()) == []
        hold.set()
        wait_for(lambda: names_in(root.processed) == ["case.xlsx"], what="case.xlsx")
    assert len(calls) == 2 and used_ahead(caplog) == 0  # made again after the claim
    assert not (root.reports / "CP-1").exists()
    assert len(names_in(root.reports / "CP-2")) == 4
    assert (root.processed / "case.xlsx").read_bytes() == new
    with Journal(root.journal_path, root=root.path) as journal:
        (record,) = journal.recent(10)
    assert record.content_hash == hashlib.sha256(new).hexdigest()


def test_nothing_reaches_reports_or_processed_before_the_claim(
    tmp_path: Path,
    books: Callable[[str], bytes],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A file another process holds open to write is not claimed, though its documents were
    made ahead: nothing is placed until it is let go; then the documents made ahead are used."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.speculation")
    calls = counting_make(monkeypatch)
    root = make_root(tmp_path, settle_seconds=10.0)
    target = root.inbox / "case.xlsx"
    with watching(root):
        time.sleep(0.3)
        target.write_bytes(books("CP-1"))
        holder = subprocess.Popen(
            [sys.executable, "-c", f"f = open({str(target)!r}, 'ab'); input()"],
            stdin=subprocess.PIPE,
        )
        try:
            wait_for(lambda: len(calls) == 1, what="the making ahead")
            time.sleep(1.0)
            assert names_in(root.inbox) == ["case.xlsx"]
            assert names_in(root.processed) == [] and list(root.reports.iterdir()) == []
        finally:
            holder.communicate(b"\n", timeout=10)
        wait_for(lambda: names_in(root.processed) == ["case.xlsx"], what="case.xlsx")
    assert len(calls) == 1 and used_ahead(caplog) == 1
    assert len(names_in(root.reports / "CP-1")) == 4


def test_worker_processes_make_ahead_too_and_a_left_private_copy_is_removed_at_start(
    tmp_path: Path, books: Callable[[str], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.speculation")
    root = make_root(tmp_path, settle_seconds=10.0)
    left = root.work / f"{SNAPSHOT_PREFIX}0123456789ab"
    left.mkdir()
    (left / "case.xlsx").write_bytes(b"left by a killed service")
    with watching(root, processes=True):
        wait_for(lambda: not left.exists(), what="the private copy removed")
        time.sleep(0.3)
        (root.inbox / "case.xlsx").write_bytes(books("CP-1"))
        wait_for(lambda: names_in(root.processed) == ["case.xlsx"], timeout=60, what="case.xlsx")
    assert used_ahead(caplog) == 1
    assert len(names_in(root.reports / "CP-1")) == 4


def test_a_review_made_ahead_is_made_again_after_its_claim_to_see_the_earlier_workbooks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A review reads the case's earlier workbooks from processed/, which may gain one between
    its making ahead and its claim (the other worker, another host): what was made ahead is
    never used for it, and the review made after the claim is compared with the initial."""
    from tests.support.reviews import PAST_REVIEW_MEETING, initial_book, review_book

    caplog.set_level(logging.DEBUG, logger="sos_docs.service.speculation")
    calls = counting_make(monkeypatch)
    root = make_root(tmp_path, settle_seconds=10.0)
    initial = initial_book().write(tmp_path / "initial.xlsx").read_bytes()
    review = review_book(PAST_REVIEW_MEETING).write(tmp_path / "review.xlsx").read_bytes()
    with watching(root):
        time.sleep(0.3)
        (root.inbox / "initial.xlsx").write_bytes(initial)
        wait_for(lambda: len(names_in(root.processed)) == 1, what="the initial conference")
        (root.inbox / "review.xlsx").write_bytes(review)
        wait_for(lambda: len(names_in(root.processed)) == 2, what="the review")
    assert used_ahead(caplog) == 1  # the initial's only
    assert calls.count("review.xlsx") == 2  # made ahead, then again after the claim
    receipts = [p for p in root.reports.rglob("*.txt") if "review" in p.name.lower()]
    assert receipts, sorted(p.name for p in root.reports.rglob("*"))
    read_from = "The review's progress since the last conference was read from:\n"
    texts = "".join(p.read_text(encoding="utf-8").replace("\r\n", "\n") for p in receipts)
    assert read_from + "  processed/initial.xlsx" in texts


def test_a_file_touched_again_and_again_is_made_ahead_at_most_twice(
    tmp_path: Path, books: Callable[[str], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer (or an attacker) changing a closed file's time every 30 ms keeps it in its copy
    grace: the workers make it ahead no more than MOST_TRIES times, not once per change, and
    it is made once more after its claim when the touching stops."""
    calls = counting_make(monkeypatch)
    root = make_root(tmp_path, settle_seconds=10.0)
    with watching(root):
        time.sleep(0.3)
        target = root.inbox / "touched.xlsx"
        target.write_bytes(books("CP-9"))
        for n in range(50):
            when = time.time() + n
            os.utime(target, (when, when))
            time.sleep(0.03)
        wait_for(lambda: len(names_in(root.processed)) == 1, what="the touched file")
    assert speculation.MOST_TRIES == 2
    assert calls.count("touched.xlsx") <= 3


def test_what_was_made_ahead_is_used_only_while_fresh_and_on_the_same_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A result kept behind a burst could predate a replaced template or the day: stale, unused."""
    now = time.monotonic()
    today = datetime.date.today()
    assert speculation._fresh_since(now, today)
    assert not speculation._fresh_since(now - speculation.FRESH_SECONDS - 1, today)
    assert not speculation._fresh_since(now, today - datetime.timedelta(days=1))
