"""Tests for sos_docs.service.run's demo: the example family's two conferences, in their order.

A real watcher on a real folder under tmp_path takes the initial conference first; the review is
put in only once that job has ended, so its history is in processed/ before it is taken.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sos_docs.config import load_config
from sos_docs.service import run
from sos_docs.service.jobs import JobOutcome, JobResult
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.watcher import Watcher
from sos_docs.workbook import example
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate

FAST = {"settle_seconds": 0.2, "rescan_seconds": 0.5}
TODAY = dt.date(2026, 12, 2)


def demo_root(tmp_path: Path) -> WatchedRoot:
    """A prepared demo folder with fast settle and rescan times."""
    root = WatchedRoot(tmp_path / "watch_folder", load_config(None, None, FAST))
    root.prepare()
    return root


def names(folder: Path) -> list[str]:
    """The visible file names in a folder, sorted."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_demo_processes_the_initial_conference_then_its_review(
    tmp_path: Path, workers: int
) -> None:
    """With one worker or two, the review reaches the inbox only after the initial one's job."""
    root = demo_root(tmp_path)
    seen: list[tuple[str, list[str], list[str]]] = []
    after_job = run.put_in_the_examples(root, TODAY)
    assert after_job is not None
    assert names(root.inbox) == [run.EXAMPLE_NAME]

    def watching_order(job_root: WatchedRoot, result: JobResult) -> None:
        # A scan of the work area may meet a job's folder just as the job ends and report it
        # skipped (housekeeping, not a workbook's job): only the workbooks' jobs are in order.
        if result.outcome is not JobOutcome.SKIPPED:
            seen.append((result.name, names(root.inbox), names(root.processed)))
        after_job(job_root, result)

    summary = Watcher([root], workers=workers, once=True, after_job=watching_order).run()
    assert (summary.processed, summary.rejected, summary.waiting) == (2, 0, 0)
    assert seen == [
        (run.EXAMPLE_NAME, [], [run.EXAMPLE_NAME]),
        (run.REVIEW_EXAMPLE_NAME, [], [run.EXAMPLE_NAME, run.REVIEW_EXAMPLE_NAME]),
    ]
    assert names(root.inbox) == [] and names(root.rejected) == []
    cases = [
        validate(read_workbook(root.processed / name), TODAY).case
        for name in (run.EXAMPLE_NAME, run.REVIEW_EXAMPLE_NAME)
    ]
    initial, review = (c.details for c in cases if c is not None)
    assert (initial.meeting_type, review.meeting_type) == (
        "Initial child protection conference",
        "Review child protection conference",
    )
    assert review.meeting_date == TODAY + dt.timedelta(days=7)
    assert initial.meeting_date == review.meeting_date - example.REVIEW_AFTER  # type: ignore[operator]
    reports = names(root.reports / "CP-2026-0412")
    assert f"{Path(run.EXAMPLE_NAME).stem} - receipt.txt" in reports
    assert f"{Path(run.REVIEW_EXAMPLE_NAME).stem} - receipt.txt" in reports
    assert len([n for n in reports if n.endswith(".docx")]) == 6  # two copies of each report


def test_the_review_is_put_in_once_and_only_after_the_initial_example(tmp_path: Path) -> None:
    """Other workbooks' jobs and waiting jobs leave it out; a second end of the initial adds none."""
    root = demo_root(tmp_path)
    after_job = run.put_in_the_examples(root, TODAY)
    assert after_job is not None
    after_job(root, JobResult(JobOutcome.PROCESSED, "someone-else.xlsx"))
    after_job(root, JobResult(JobOutcome.WAITING, run.EXAMPLE_NAME, reason="locked"))
    assert names(root.inbox) == [run.EXAMPLE_NAME]
    after_job(root, JobResult(JobOutcome.REJECTED, run.EXAMPLE_NAME))
    assert names(root.inbox) == [run.EXAMPLE_NAME, run.REVIEW_EXAMPLE_NAME]
    (root.inbox / run.REVIEW_EXAMPLE_NAME).unlink()
    after_job(root, JobResult(JobOutcome.PROCESSED, run.EXAMPLE_NAME))
    assert names(root.inbox) == [run.EXAMPLE_NAME]


def test_examples_already_waiting_are_left_as_they_are(tmp_path: Path) -> None:
    """A workbook waiting under either example's name is kept, byte for byte."""
    root = demo_root(tmp_path)
    for name in (run.EXAMPLE_NAME, run.REVIEW_EXAMPLE_NAME):
        (root.inbox / name).write_bytes(b"a colleague's own file")
    after_job = run.put_in_the_examples(root, TODAY)
    assert after_job is not None
    after_job(root, JobResult(JobOutcome.PROCESSED, run.EXAMPLE_NAME))
    for name in (run.EXAMPLE_NAME, run.REVIEW_EXAMPLE_NAME):
        assert (root.inbox / name).read_bytes() == b"a colleague's own file"


def test_a_team_folder_gets_no_example(tmp_path: Path) -> None:
    """A folder with its own sos-docs.toml gets neither example and no review hook."""
    root = demo_root(tmp_path)
    (root.path / "sos-docs.toml").write_text('team = "North"\n', "utf-8")
    assert run.put_in_the_examples(root, TODAY) is None
    assert names(root.inbox) == []


def test_a_dangling_link_in_the_examples_place_does_not_stop_the_demo(tmp_path: Path) -> None:
    """A dangling link named like the example is left alone and logged; the demo goes on
    (it stopped `sos-docs watch` with an error)."""
    root = demo_root(tmp_path)
    (root.inbox / run.EXAMPLE_NAME).symlink_to(tmp_path / "nowhere.xlsx")
    after_job = run.put_in_the_examples(root, TODAY)
    assert after_job is not None
    assert (root.inbox / run.EXAMPLE_NAME).is_symlink()
    assert not (tmp_path / "nowhere.xlsx").exists()


# ---- what the service's own process loads (issue 17)

LOADED_AFTER_WATCH = """
import sys
from sos_docs.cli import cli
try:
    cli.main(["watch", sys.argv[1], "--once", "--settle", "0.2"])
except SystemExit as exc:
    print("exit", exc.code)
print(sorted(m for m in ("docxtpl", "docx", "sos_docs.documents.render") if m in sys.modules))
"""


def test_the_service_process_never_loads_docxtpl_its_worker_processes_render(
    tmp_path: Path,
) -> None:
    """`watch --once` makes a workbook's documents (and checks the templates at start) in its
    worker processes: the service's own process has not loaded docxtpl or python-docx."""
    import subprocess
    import sys

    root = tmp_path / "team"
    (root / "inbox").mkdir(parents=True)
    example.write_example(root / "inbox" / "case.xlsx", TODAY, example.INITIAL)
    out = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_WATCH, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.stdout.splitlines()[-2:] == ["exit 0", "[]"], out.stdout + out.stderr
    assert names(root / "processed") == ["case.xlsx"]
    assert len(list((root / "reports").rglob("*.docx"))) >= 2


def test_the_templates_are_checked_here_when_the_worker_process_has_died() -> None:
    """A first worker process that died before it could check the templates does not stop the
    service from starting: the same checks are made in the service's own process."""
    from sos_docs.config import DEFAULT_CONFIG
    from sos_docs.service import doctor
    from sos_docs.service.workers import DocumentProcess

    worker = DocumentProcess()
    worker.start()
    worker._process.kill()  # dies before its first request
    try:
        checks = run.TemplatesCheckedBy(worker)(DEFAULT_CONFIG)
    finally:
        worker.close()
    assert checks == doctor.check_templates(DEFAULT_CONFIG)
    assert all(check.ok for check in checks)
