"""Tests for sos_docs.service.status and `sos-docs status`: folder counts and the journal's last jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sos_docs import files
from sos_docs.cli import cli
from sos_docs.config import load_config
from sos_docs.errors import ConfigError, DeliveryError
from sos_docs.service.jobs import run_job
from sos_docs.service.journal import Journal, journal_name
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.status import read_status, status_json, status_text
from tests.support.builders import WorkbookBuilder


@pytest.fixture
def root(tmp_path: Path) -> WatchedRoot:
    """A prepared watched folder with one processed and one rejected job in its journal."""
    watched = WatchedRoot(tmp_path / "root", load_config(None))
    watched.prepare()
    good = WorkbookBuilder().set_case("Case reference", "CP-STATUS")
    run_job(watched, good.write(watched.inbox / "good.xlsx"))
    bad = WorkbookBuilder().set_case("Meeting type", "Tea party")
    run_job(watched, bad.write(watched.inbox / "bad.xlsx"))
    return watched


def test_waiting_comes_from_the_inbox_and_outcomes_from_the_journal(root: WatchedRoot) -> None:
    """Waiting counts every file the service will take (a marked copy dropped back in, and files
    it will reject, too); processed and rejected count the journal's jobs, not the folders."""
    for name in ("a.xlsx", "b.xls", "a - marked.xlsx", "~$a.xlsx", ".~lock.a.xlsx#", "notes.txt"):
        (root.inbox / name).write_bytes(b"x")
    (root.processed / "copied in by hand.xlsx").write_bytes(b"x")
    (root.work / "20260101-000000-00000000").mkdir()
    counts = read_status(root).counts
    assert (counts.waiting, counts.in_work, counts.processed, counts.rejected) == (4, 1, 1, 1)
    assert counts.rejected_later_fixed == 0


def test_the_status_lists_what_the_inbox_leaves_alone_and_why(root: WatchedRoot) -> None:
    """Lock files, hidden files, folders and links are named with the reason they stay."""
    for name in ("~$a.xlsx", ".~lock.a.xlsx#", "taken.xlsx"):
        (root.inbox / name).write_bytes(b"x")
    (root.inbox / "a folder").mkdir()
    (root.inbox / "link.xlsx").symlink_to(root.path / "elsewhere.xlsx")
    status = read_status(root)
    reasons = dict(status.left_alone)
    assert sorted(reasons) == [".~lock.a.xlsx#", "a folder", "link.xlsx", "~$a.xlsx"]
    assert "Excel lock file" in reasons["~$a.xlsx"] and "LibreOffice" in reasons[".~lock.a.xlsx#"]
    assert "folder" in reasons["a folder"] and "symbolic link" in reasons["link.xlsx"]
    assert status.counts.waiting == 1
    text = status_text(status)
    assert "      left alone: ~$a.xlsx (an Excel lock file" in text
    assert {"file": "a folder", "reason": reasons["a folder"]} in status_json(status)["left_alone"]


def test_a_resubmitted_marked_copy_is_processed_and_fixes_the_rejection(
    root: WatchedRoot,
) -> None:
    """The marked copy of a rejected workbook, corrected and dropped back in, counts as waiting,
    then as processed, and the rejection shows as later fixed."""
    fixed = WorkbookBuilder().set_case("Case reference", "CP-FIXED")
    fixed.write(root.inbox / "bad - marked.xlsx")
    assert read_status(root).counts.waiting == 1
    run_job(root, root.inbox / "bad - marked.xlsx")
    status = read_status(root)
    counts = status.counts
    assert (counts.waiting, counts.processed, counts.rejected) == (0, 2, 1)
    assert counts.rejected_later_fixed == 1
    text = status_text(status)
    assert "Rejected:             1 (1 later fixed)" in text
    assert "rejected, later fixed  bad.xlsx" in text
    data = status_json(status)
    assert data["counts"]["rejected_later_fixed"] == 1
    (bad,) = [job for job in data["recent"] if job["file"] == "bad.xlsx"]
    assert bad["outcome"] == "rejected" and bad["later_fixed"] is True


def test_a_rejection_is_fixed_only_by_a_later_job_of_the_same_workbook(
    root: WatchedRoot,
) -> None:
    """A processed workbook of another name does not fix a rejection."""
    other = WorkbookBuilder().set_case("Case reference", "CP-OTHER")
    run_job(root, other.write(root.inbox / "someone else.xlsx"))
    assert read_status(root).counts.rejected_later_fixed == 0
    assert "later fixed" not in status_text(read_status(root))


def test_a_rejected_job_lists_its_problem_codes_with_their_meaning(root: WatchedRoot) -> None:
    """The text rebuilds each problem from its code and cell: the journal keeps no message."""
    text = status_text(read_status(root))
    assert "error: WB006 at Case!" in text
    assert "not one of the allowed values" in text


def test_a_rejected_jobs_problems_say_their_level_in_words_errors_first(tmp_path: Path) -> None:
    """Each problem line of a rejected job starts with `error` or `warning`, and the errors come
    first even when the rules found a warning on an earlier sheet."""
    watched = WatchedRoot(tmp_path / "root", load_config(None))
    watched.prepare()
    mixed = WorkbookBuilder()
    mixed.update_row("People", 2, Knows_the_worries="No")
    mixed.update_row("Scaling", 0, Score=12)
    run_job(watched, mixed.write(watched.inbox / "mixed.xlsx"))
    lines = [
        line.split(maxsplit=3)[:3]
        for line in status_text(read_status(watched)).splitlines()
        if line.startswith("      ") and " at " in line
    ]
    assert lines == [["error:", "SOS104", "at"], ["warning:", "SOS203", "at"]]


def test_every_hosts_journal_is_counted(root: WatchedRoot) -> None:
    """Jobs recorded in another host's journal file are counted and listed with this host's."""
    other = root.state / journal_name("other-host")
    with Journal(other, root=root.path) as journal:
        job_id = journal.start_job("north.xlsx", "ab" * 32, root.work / "x" / "north.xlsx")
        journal.finish(job_id, "done", root.processed / "north.xlsx", [])
    status = read_status(root)
    assert status.counts.processed == 2
    assert "north.xlsx" in [job.file_name for job in status.recent]


def test_a_job_waiting_in_the_work_area_shows_why(
    root: WatchedRoot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook kept back because its documents cannot be written is listed with the reason."""
    write = files.write_new_file

    def reports_full(path: Path, data: bytes, **kwargs: Any) -> Path:
        if path.is_relative_to(root.reports):  # a file where a case folder goes now rejects
            raise DeliveryError(f"sos-docs could not write {path.name}: the disk is full.")
        return write(path, data, **kwargs)

    monkeypatch.setattr(files, "write_new_file", reports_full)
    book = WorkbookBuilder().set_case("Case reference", "CP-WAIT")
    run_job(root, book.write(root.inbox / "waiting.xlsx"))
    status = read_status(root)
    (job,) = status.in_work
    assert job.name == "waiting.xlsx" and "could not write" in job.waiting_because
    assert "      waiting.xlsx: waiting to be retried: sos-docs could not write" in status_text(
        status
    )
    data = status_json(status)
    assert data["in_work"] == [{"file": "waiting.xlsx", "waiting_because": job.waiting_because}]


def test_the_last_jobs_come_from_the_journal_newest_first(root: WatchedRoot) -> None:
    """Each job shows its file, outcome, where the workbook went and what it made."""
    status = read_status(root)
    assert [job.file_name for job in status.recent] == ["bad.xlsx", "good.xlsx"]
    text = status_text(status)
    assert "Processed:            1" in text and "Rejected:             1" in text
    assert "processed  good.xlsx" in text and "rejected   bad.xlsx" in text
    assert "workbook: processed/good.xlsx" in text
    assert "made: reports/CP-STATUS/good - receipt.txt" in text
    assert "made: rejected/bad - problems.txt" in text


def test_json_carries_the_same_data_for_scripts(root: WatchedRoot) -> None:
    """The JSON form has the counts and each job's outcome, paths and problem codes."""
    data = status_json(read_status(root))
    json.dumps(data)  # serialisable as it is
    assert data["counts"] == {
        "waiting": 0,
        "in_work": 0,
        "processed": 1,
        "rejected": 1,
        "rejected_later_fixed": 0,
    }
    assert data["in_work"] == []
    bad, good = data["recent"]
    assert bad["outcome"] == "rejected" and bad["problems"] == ["WB006"]
    assert bad["workbook"] == "rejected/bad.xlsx"
    assert good["outcome"] == "processed" and good["finished_at"] is not None
    assert "reports/CP-STATUS/good - receipt.txt" in good["outputs"]


def test_a_folder_never_watched_has_no_jobs_and_is_not_changed(tmp_path: Path) -> None:
    """Reading the status creates no journal and no folders."""
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "waiting.xlsx").write_bytes(b"x")
    status = read_status(WatchedRoot(tmp_path, load_config(tmp_path)))
    assert status.counts.waiting == 1 and status.recent == ()
    assert "No jobs yet." in status_text(status)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox"]


def test_a_missing_folder_is_a_plain_error(tmp_path: Path) -> None:
    """Asking for the status of a folder that does not exist says so."""
    with pytest.raises(ConfigError, match="There is no folder"):
        read_status(WatchedRoot(tmp_path / "nowhere", load_config(None)))


def test_the_status_command_prints_text_or_json(root: WatchedRoot) -> None:
    """`sos-docs status ROOT` prints the counts; `--json` prints parseable JSON; exit 0."""
    runner = CliRunner()
    text = runner.invoke(cli, ["status", str(root.path)])
    assert text.exit_code == 0 and "Waiting in the inbox: 0" in text.output
    as_json = runner.invoke(cli, ["status", str(root.path), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.output)["counts"]["processed"] == 1


def test_the_status_command_reports_a_missing_folder_without_a_traceback(tmp_path: Path) -> None:
    """A wrong folder gives `Error: ...` and exit 1."""
    result = CliRunner().invoke(cli, ["status", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: There is no folder")
