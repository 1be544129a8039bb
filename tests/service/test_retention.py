"""Tests for sos_docs.service.retention and `sos-docs purge`: what expires, what stays, and what is said."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sos_docs.cli import cli
from sos_docs.config import Retention, load_config
from sos_docs.errors import ConfigError
from sos_docs.service import retention
from sos_docs.service.jobs import run_job
from sos_docs.service.journal import read_all_jobs
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import LOG_FILE_NAME
from sos_docs.service.retention import Purged, purge
from tests.support.builders import WorkbookBuilder

DAY = 24 * 3600
EVERY_KIND = (
    "[retention_days]\nprocessed = 30\nrejected = 30\ndocuments = 30\njournal = 30\nlogs = 30\n"
)


def make_root(folder: Path, toml: str = EVERY_KIND) -> WatchedRoot:
    """A prepared root with the given sos-docs.toml, one processed and one rejected job."""
    folder.mkdir(parents=True)
    (folder / "sos-docs.toml").write_text(toml, encoding="utf-8")
    root = WatchedRoot(folder, load_config(folder))
    root.prepare()
    good = WorkbookBuilder().set_case("Case reference", "CP-KEEP")
    run_job(root, good.write(root.inbox / "good.xlsx"))
    bad = WorkbookBuilder().set_case("Meeting type", "Tea party")
    run_job(root, bad.write(root.inbox / "bad.xlsx"))
    return root


def log_line(when: dt.datetime, text: str) -> str:
    """One line as the service's log file writes it."""
    return f"{when:%Y-%m-%d %H:%M:%S},000 INFO {text}\n"


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_nothing_expires_when_retention_is_off(tmp_path: Path) -> None:
    """Without retention_days, even a purge a year on removes nothing."""
    root = make_root(tmp_path / "root", toml="")
    before = files_under(root.path)
    purged = purge(root, now=time.time() + 365 * DAY)
    assert purged == Purged()
    assert files_under(root.path) == before
    assert len(read_all_jobs(root.state, root.path)) == 2


def test_everything_older_than_its_retention_is_removed(tmp_path: Path) -> None:
    """31 days on: workbooks, explanations, documents, journal rows and old log lines go;
    the folders themselves stay."""
    root = make_root(tmp_path / "root")
    rotated = root.state / f"{LOG_FILE_NAME}.1"
    old = dt.datetime.now() - dt.timedelta(days=5)
    rotated.write_text(log_line(old, 'Processed "good.xlsx"'), encoding="utf-8")
    documents = len(files_under(root.reports))  # the copies, the story and the receipt
    purged = purge(root, now=time.time() + 31 * DAY)
    assert purged == Purged(
        processed=1, rejected=3, documents=documents, journal_rows=2, log_files=1
    )
    for folder in (root.processed, root.rejected, root.reports):
        assert folder.is_dir() and files_under(folder) == []
    assert list(root.reports.iterdir()) == []  # the emptied case folder went too
    assert read_all_jobs(root.state, root.path) == []
    assert not rotated.exists()


def test_what_is_younger_than_its_retention_stays(tmp_path: Path) -> None:
    """29 days on, with 30 days' retention, everything is still there."""
    root = make_root(tmp_path / "root")
    before = files_under(root.path)
    assert purge(root, now=time.time() + 29 * DAY) == Purged()
    assert files_under(root.path) == before


def test_a_dry_run_counts_and_removes_nothing(tmp_path: Path) -> None:
    """--dry-run gives the same counts and leaves every file and row."""
    root = make_root(tmp_path / "root")
    before = files_under(root.path)
    documents = len(files_under(root.reports))
    purged = purge(root, now=time.time() + 31 * DAY, dry_run=True)
    assert (purged.processed, purged.rejected, purged.documents, purged.journal_rows) == (
        1,
        3,
        documents,
        2,
    )
    assert files_under(root.path) == before
    assert len(read_all_jobs(root.state, root.path)) == 2


def test_only_the_kinds_with_a_retention_expire(tmp_path: Path) -> None:
    """Retention for documents only removes documents, nothing else."""
    root = make_root(tmp_path / "root", toml="[retention_days]\ndocuments = 10\n")
    documents = len(files_under(root.reports))
    purged = purge(root, now=time.time() + 31 * DAY)
    assert purged == Purged(documents=documents)
    assert files_under(root.processed) == ["good.xlsx"]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_links_are_never_followed(tmp_path: Path) -> None:
    """A link in processed/ or reports/ to a folder elsewhere leaves what it points at alone."""
    root = make_root(tmp_path / "root")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    (root.reports / "link").symlink_to(outside, target_is_directory=True)
    (root.processed / "link.xlsx").symlink_to(outside / "precious.txt")
    purge(root, now=time.time() + 31 * DAY)
    assert (outside / "precious.txt").read_text() == "keep me"


def test_old_lines_of_a_rotated_log_are_trimmed_and_new_ones_kept(tmp_path: Path) -> None:
    """A log file with lines older and newer than the retention keeps only the newer ones."""
    root = make_root(tmp_path / "root", toml="[retention_days]\nlogs = 3\n")
    now = dt.datetime.now()
    rotated = root.state / f"{LOG_FILE_NAME}.2"
    rotated.write_text(
        log_line(now - dt.timedelta(days=10), "old job")
        + "Traceback (most recent call last):\n  old detail\n"
        + log_line(now - dt.timedelta(days=1), "new job"),
        encoding="utf-8",
    )
    assert purge(root).log_files == 1
    assert rotated.read_text(encoding="utf-8") == log_line(now - dt.timedelta(days=1), "new job")


def test_the_service_rolls_its_own_log_over_when_it_holds_old_lines(tmp_path: Path) -> None:
    """The live log is left alone by a process that does not write it (`sos-docs purge`), and
    rolled over, then trimmed, by the service that does."""
    import logging

    from sos_docs.service.logs import service_log_files

    root = make_root(tmp_path / "root", toml="[retention_days]\nlogs = 3\n")
    live = root.state / LOG_FILE_NAME
    live.write_text(log_line(dt.datetime.now() - dt.timedelta(days=10), "old"), "utf-8")
    assert purge(root).log_files == 0
    assert "old" in live.read_text("utf-8")
    with service_log_files([(root.path, root.state)]):
        assert retention.enforce(root).log_files == 1
        logging.getLogger("sos_docs.test").info("after the roll-over")
    assert "old" not in live.read_text("utf-8")
    assert "after the roll-over" in live.read_text("utf-8")
    assert not (root.state / f"{LOG_FILE_NAME}.1").exists()


def test_purge_command_says_what_it_removed_in_counts_only(tmp_path: Path) -> None:
    """`sos-docs purge ROOT --dry-run` prints counts per kind, no file names, and removes nothing."""
    root = make_root(tmp_path / "root", toml="[retention_days]\nprocessed = 1\n")
    old = time.time() - 3 * DAY
    os.utime(root.processed / "good.xlsx", (old, old))
    result = CliRunner().invoke(cli, ["purge", str(root.path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Processed workbooks older than 1 day" in result.output
    assert "Documents: kept" in result.output
    assert "good.xlsx" not in result.output and "CP-KEEP" not in result.output
    assert (root.processed / "good.xlsx").exists()


def test_purge_command_with_no_retention_says_nothing_expires(tmp_path: Path) -> None:
    """A root without retention_days is told how to set it; exit 0."""
    root = make_root(tmp_path / "root", toml="")
    result = CliRunner().invoke(cli, ["purge", str(root.path)])
    assert result.exit_code == 0
    assert "retention_days" in result.output and "nothing was removed" in result.output
    assert "add a [retention_days] table" in result.output
    dry = CliRunner().invoke(cli, ["purge", str(root.path), "--dry-run"])
    assert dry.exit_code == 0 and "nothing would be removed" in dry.output


def test_purge_command_refuses_a_missing_folder(tmp_path: Path) -> None:
    """A folder that is not there is a plain error, exit 1."""
    result = CliRunner().invoke(cli, ["purge", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "There is no folder" in result.output


def test_a_retention_too_long_to_be_a_date_is_refused_with_its_file_and_line(
    tmp_path: Path,
) -> None:
    """`journal = 100000000000` (days) is a ConfigError naming the file, line and limit."""
    (tmp_path / "sos-docs.toml").write_text(
        "team = 'North'\n[retention_days]\njournal = 100000000000\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    message = str(caught.value)
    assert f"{tmp_path / 'sos-docs.toml'}, line 3" in message
    assert "retention_days.journal" in message and "36,500" in message


def test_purge_with_any_retention_never_fails_on_the_date_arithmetic(tmp_path: Path) -> None:
    """Even a retention set in code past the calendar's end removes nothing, with no traceback."""
    root = make_root(tmp_path / "root")
    huge = Retention(
        processed=10**11, rejected=10**11, documents=10**11, journal=10**11, logs=10**11
    )
    far = WatchedRoot(root.path, dataclasses.replace(root.config, retention_days=huge))
    assert purge(far) == Purged()
    result = CliRunner().invoke(cli, ["purge", str(root.path)])
    assert "Traceback" not in result.output
