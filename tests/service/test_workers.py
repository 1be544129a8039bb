"""Worker processes: the same results as in the service's own process, and failures kept apart."""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

from sos_docs import pipeline
from sos_docs.config import DEFAULT_CONFIG, Config, Limits, load_config
from sos_docs.errors import TemplateError
from sos_docs.service import workers
from sos_docs.service.inbox_names import HELP_FILE_NAME
from sos_docs.service.jobs import unfinished_jobs
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.watcher import Watcher
from sos_docs.service.workers import DocumentProcess, WorkerDied
from tests.support import blowups, ending
from tests.support.builders import WorkbookBuilder


@pytest.fixture(scope="module")
def worker() -> Iterator[DocumentProcess]:
    """One worker process for the module (starting one takes about half a second)."""
    process = DocumentProcess()
    yield process
    process.close()


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example workbook."""
    return WorkbookBuilder().write(tmp_path_factory.mktemp("example") / "example.xlsx")


def part_blobs(data: bytes) -> dict[str, bytes]:
    """Every part of a .docx by name."""
    document = docx.Document(io.BytesIO(data))
    return {str(p.partname): p.blob for p in document.part.package.iter_parts()}


def test_a_worker_makes_what_the_service_would_make_itself(
    worker: DocumentProcess, example: Path
) -> None:
    """Validation and both documents (every part) are those made in this process."""
    there = worker.make(example, DEFAULT_CONFIG)
    here = pipeline.make_documents(example, DEFAULT_CONFIG)
    assert there.validation == here.validation
    assert [d.kind for d in there.documents] == [d.kind for d in here.documents]
    for ours, theirs in zip(here.documents, there.documents, strict=True):
        assert part_blobs(theirs.data) == part_blobs(ours.data)


def test_a_workbook_with_errors_comes_back_with_its_problems_and_no_documents(
    worker: DocumentProcess, tmp_path: Path
) -> None:
    """A refused workbook is an answer, not a failure."""
    broken = tmp_path / "broken.xlsx"
    broken.write_text("not a workbook")
    made = worker.make(broken, DEFAULT_CONFIG)
    assert [p.code for p in made.validation.problems] == ["WB001"]
    assert made.documents == ()


def test_an_error_in_the_worker_is_raised_here_as_itself(
    worker: DocumentProcess, example: Path, tmp_path: Path
) -> None:
    """A missing template is the same TemplateError, with the worker's traceback as its cause."""
    config = load_config(None, None, {"templates_dir": tmp_path / "no-templates"})
    with pytest.raises(TemplateError, match="does not exist") as raised:
        worker.make(example, config)
    assert "in the worker process" in str(raised.value.__cause__)
    assert worker.make(example, DEFAULT_CONFIG).validation.ok  # and the worker carries on


def test_a_worker_that_died_fails_that_job_and_the_next_gets_a_new_one(
    example: Path,
) -> None:
    """A killed worker process is WorkerDied for the job at hand, then replaced."""
    process = DocumentProcess()
    try:
        assert process.make(example, DEFAULT_CONFIG).validation.ok
        pid = process._process.pid
        os.kill(pid, signal.SIGKILL)
        process._process.join(10)
        with pytest.raises(WorkerDied, match=r"example\.xlsx"):
            process.make(example, DEFAULT_CONFIG)
        assert process.make(example, DEFAULT_CONFIG).validation.ok
        assert process._process.pid != pid
    finally:
        process.close()


def test_the_workers_log_lines_reach_the_services_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A line logged while reading in the worker is handed to this process's handlers."""
    broken = tmp_path / "damaged.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(200))
    with caplog.at_level(logging.INFO):
        process = DocumentProcess()  # a worker logs at the level the service had when it began
        try:
            process.make(broken, DEFAULT_CONFIG)
        finally:
            process.close()
    assert any(
        "damaged.xlsx" in r.getMessage() and r.name == "sos_docs.workbook.guard"
        for r in caplog.records
    )


def test_a_worker_started_before_the_logs_are_set_up_still_passes_on_info_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`watch` starts its first worker before the service's log files (at INFO) exist: the
    worker's INFO lines must reach them all the same."""
    broken = tmp_path / "damaged.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(200))
    with caplog.at_level(logging.WARNING):
        process = DocumentProcess()
        process.start()  # while the service logs warnings only
    try:
        with caplog.at_level(logging.INFO):  # the log files are set up
            process.make(broken, DEFAULT_CONFIG)
    finally:
        process.close()
    assert any(
        "damaged.xlsx" in r.getMessage() and r.levelno == logging.INFO for r in caplog.records
    )


def test_a_module_planted_in_the_current_folder_never_runs_in_a_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, example: Path
) -> None:
    """A worker starts as `python -c ...`, which puts the current folder first on the module
    path: run from a team's shared folder, a multiprocessing.py (or pipeline.py, ...) put there
    would run as the service. The worker leaves the current folder out."""
    planted = tmp_path / "planted"
    planted.mkdir()
    marker = tmp_path / "ran"
    for name in ("multiprocessing", "sos_docs", "openpyxl", "holidays", "docxtpl"):
        (planted / f"{name}.py").write_text(
            f"open({str(marker)!r} + '-{name}', 'w').close()\nraise SystemExit(3)\n"
        )
    monkeypatch.chdir(planted)
    process = DocumentProcess()
    try:
        made = process.make(example, DEFAULT_CONFIG)
    finally:
        process.close()
    assert made.validation.ok
    assert list(tmp_path.glob("ran*")) == []


def test_sigterm_to_the_whole_process_group_lets_jobs_in_flight_finish(
    tmp_path: Path,
) -> None:
    """A service manager stopping every process of the service: workers wait for the service."""
    root_path, log = tmp_path / "root", tmp_path / "service.log"
    (root_path / "inbox").mkdir(parents=True)
    data = WorkbookBuilder().write(tmp_path / "source.xlsx").read_bytes()
    names = [f"case-{n}.xlsx" for n in range(6)]
    for name in names:
        (root_path / "inbox" / name).write_bytes(data)
    with log.open("ab") as output:
        service = subprocess.Popen(
            [sys.executable, "-m", "sos_docs", "watch", str(root_path), "--settle", "0.2"],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    root = WatchedRoot(root_path, load_config(root_path))
    deadline = time.monotonic() + 60
    while unfinished_jobs(root) == [] and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(service.pid, signal.SIGTERM)
    assert ending.exit_code(service, log, 60) == 0, log.read_text()
    assert unfinished_jobs(root) == []
    done = sorted(p.name for p in root.processed.iterdir())
    assert done, log.read_text()
    assert sorted(done + [p.name for p in root.inbox.iterdir()]) == sorted([*names, HELP_FILE_NAME])
    assert not list(root.rejected.iterdir()), log.read_text()
    # The example's report twice (professional and family copy) and its story.
    assert len(list(root.reports.rglob("*.docx"))) == 3 * len(done)


class _ResetPipe:
    """The worker's end of a pipe whose service was killed: reading it is a reset."""

    def recv(self) -> object:
        raise ConnectionResetError(104, "Connection reset by peer")

    def send(self, message: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_worker_whose_service_was_killed_ends_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    """A reset pipe (the service was SIGKILLed) ends the worker's loop with no traceback."""
    # _serve sets up the process as a worker would be: undo that for the test process.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    root = logging.getLogger()
    level, root_handlers = root.level, list(root.handlers)
    try:
        workers._serve(_ResetPipe(), logging.INFO)  # type: ignore[arg-type]
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        root.handlers[:] = root_handlers
        root.setLevel(level)
    assert capsys.readouterr().err == ""


def test_a_worker_asked_to_leave_ends_with_exit_code_0(example: Path) -> None:
    """A worker ends at once when asked (os._exit, no module teardown), and cleanly."""
    worker = DocumentProcess()
    try:
        made = worker.make(example, DEFAULT_CONFIG)
        process = worker._process
    finally:
        worker.close()
    assert made.validation.ok
    assert process is not None and process.exitcode == 0


def test_a_worker_that_fails_outside_a_job_ends_with_exit_code_1() -> None:
    """An exception in the worker's own loop (not a job's) is printed and ends it with 1."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    # A level logging refuses makes _serve raise before it answers anything.
    process = context.Process(target=workers._worker_main, args=(theirs, "no such level"))
    process.start()
    theirs.close()
    process.join(workers.STARTUP_SECONDS)
    ours.close()
    assert process.exitcode == 1


def test_a_stop_signal_while_a_worker_starts_up_is_ignored(tmp_path: Path) -> None:
    """SIGTERM and SIGINT reaching a worker before it has started up do not kill it."""
    workbook = WorkbookBuilder().write(tmp_path / "case.xlsx")
    worker = DocumentProcess()
    try:
        worker._start()
        for signum in (signal.SIGTERM, signal.SIGINT):  # as a service manager stopping the group
            os.kill(worker._process.pid, signum)
        made = worker.make(workbook, DEFAULT_CONFIG)
    finally:
        worker.close()
    assert made.validation.ok and len(made.documents) == 3


# ---- the time limit of one job

LIFTED_BUDGETS = {
    "max_text_chars": 10**12,
    "max_cell_chars": 10**9,
    "max_picture_pixels": 10**12,
    "max_picture_bytes": 10**13,
}
BLOWUPS = {
    "shared strings": blowups.shared_string_bomb,
    "9,000 scaling rows": blowups.scaling_flood,
    "13,000-pixel pictures": blowups.giant_pictures,
}


@pytest.mark.parametrize("lifted", [False, True], ids=["budgets", "budgets lifted"])
@pytest.mark.parametrize("blowup", list(BLOWUPS))
def test_each_blowup_ends_within_the_time_limit_and_a_new_worker_takes_the_next_job(
    blowup: str, lifted: bool, example: Path, tmp_path: Path
) -> None:
    """A blow-up is refused by a budget (WB001) or at the time limit (SYS004), never later."""
    workbook = BLOWUPS[blowup](tmp_path / "blowup.xlsx")
    limits = Limits(max_job_seconds=1, **(LIFTED_BUDGETS if lifted else {}))
    process = DocumentProcess()
    try:
        process._start()  # its start-up is not part of the job's time
        pid = process._process.pid
        started = time.monotonic()
        try:
            made = process.make(workbook, Config(limits=limits))
        except TemplateError as exc:  # the rendered part's own bound came first
            assert lifted and "too large or too complex to process" in str(exc)
            assert time.monotonic() - started < 1 + 3
            return
        taken = time.monotonic() - started
        [problem] = made.validation.problems
        assert problem.code in {"WB001", "SYS004"}
        assert "too large or too complex to process" in problem.message
        assert made.documents == ()
        assert taken < 1 + 3  # the limit, and the time to kill the worker
        if problem.code == "SYS004":
            assert process._process is None  # killed; the next job starts a new one
        assert process.make(example, DEFAULT_CONFIG).validation.ok
        assert (process._process.pid != pid) == (problem.code == "SYS004")
    finally:
        process.close()


def test_a_job_within_the_time_limit_is_not_counted_from_the_workers_start_up(
    example: Path,
) -> None:
    """A new worker's start-up (loading its modules) is not part of the first job's time."""
    process = DocumentProcess()
    try:
        made = process.make(example, Config(limits=Limits(max_job_seconds=2)))
    finally:
        process.close()
    assert made.validation.ok and len(made.documents) == 3


def test_a_stop_request_waits_for_a_blowup_no_longer_than_the_time_limit(tmp_path: Path) -> None:
    """The service asked to stop while a worker is on a blow-up stops within the job's time limit."""
    root_path = tmp_path / "root"
    (root_path / "inbox").mkdir(parents=True)
    (root_path / "sos-docs.toml").write_text(
        "settle_seconds = 0.2\n[limits]\nmax_job_seconds = 2\n"
    )
    root = WatchedRoot(root_path, load_config(root_path))
    root.prepare()
    blowups.scaling_flood(root.inbox / "flood.xlsx")
    watcher = Watcher([root], workers=1, processes=True)
    runner = threading.Thread(target=watcher.run)
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while unfinished_jobs(root) == [] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert unfinished_jobs(root), "the job never started"
        asked = time.monotonic()
        watcher.stop()
        runner.join(60)
        waited = time.monotonic() - asked
    finally:
        watcher.stop()
        runner.join(60)
    assert not runner.is_alive()
    assert waited < 2 + 4  # the limit, and the time to kill the worker and file the rejection
    [problems] = root.rejected.glob("*problems.txt")
    text = problems.read_text(encoding="utf-8-sig")
    assert "SYS004" in text and "too large or too complex to process" in text
    assert not list(root.reports.rglob("*.docx"))


def test_an_unexpected_failure_mid_exchange_never_hands_its_answer_to_the_next_job(
    example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job whose exchange fails unexpectedly (here: a wait the system refuses) ends its worker,
    so the answer the worker was still making never reaches the next job, another team's."""
    other = WorkbookBuilder().set_case("Meeting date", "LEAK-MARKER not a date")
    leaking = other.write(tmp_path / "other-team.xlsx")
    process = DocumentProcess()
    try:
        process.make(example, DEFAULT_CONFIG)  # started and ready
        connection = process._connection
        assert connection is not None
        real_poll = connection.poll

        def refusing_poll(timeout: float | None = 0.0) -> bool:
            monkeypatch.setattr(connection, "poll", real_poll)
            raise OverflowError("timeout is too large")

        monkeypatch.setattr(connection, "poll", refusing_poll)
        with pytest.raises(OverflowError):
            process.make(leaking, DEFAULT_CONFIG)
        made = process.make(example, DEFAULT_CONFIG)
    finally:
        process.close()
    assert made.validation.ok, [p.message for p in made.validation.problems]
    assert not any("LEAK-MARKER" in p.message for p in made.validation.problems)


def test_the_service_runs_jobs_in_a_worker_process_even_with_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`watch --workers 1` still isolates jobs in a worker process, where the time limit holds."""
    from sos_docs.service import run

    made: list[dict[str, object]] = []

    class Recording(Watcher):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append(kwargs)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(run, "Watcher", Recording)
    root = tmp_path / "team"
    root.mkdir()
    status = run.serve(
        [root], config_file=None, overrides={}, workers=1, once=True, console_level=40
    )
    assert status == 0
    assert made and made[0]["processes"] is True


def test_a_running_service_starts_its_worker_processes_before_any_job(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A watcher with two workers and an empty inbox has started both worker processes, so
    the first workbook need not wait for one to load."""
    caplog.set_level(logging.DEBUG, logger="sos_docs.service.workers")
    root = WatchedRoot(tmp_path / "team", load_config(None, None, {"settle_seconds": 0.2}))
    root.prepare()
    watcher = Watcher([root], workers=2, processes=True)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            started = [r for r in caplog.records if r.getMessage().startswith("started worker")]
            if len(started) == 2:
                break
            time.sleep(0.05)
    finally:
        watcher.stop()
        thread.join(60)
    assert len(started) == 2
    assert watcher.summary.processed == watcher.summary.rejected == 0


def test_the_worker_process_checks_the_templates_as_the_doctor_does(
    worker: DocumentProcess, tmp_path: Path
) -> None:
    """The service's start check of the templates, done in a worker process, gives the same
    checks as in this process: all well for the shipped ones, a FAIL for a broken one."""
    from sos_docs.service import doctor

    assert worker.check_templates(DEFAULT_CONFIG) == doctor.check_templates(DEFAULT_CONFIG)
    templates = tmp_path / "templates"
    templates.mkdir()
    for kind in pipeline.document_kinds(DEFAULT_CONFIG):
        (templates / pipeline.template_path(DEFAULT_CONFIG, kind).name).write_bytes(b"not a docx")
    config = load_config(None, None, {"templates_dir": str(templates)})
    checks = worker.check_templates(config)
    assert checks == doctor.check_templates(config)
    assert any(not check.ok for check in checks)
