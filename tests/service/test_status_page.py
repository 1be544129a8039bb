"""Tests for sos_docs.service.status_page: STATUS.html and the inbox's instructions, on real folders.

Every page is parsed with html.parser, and (when Debian's chromium is installed) also loaded in
a real browser engine, which must see the same facts.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sos_docs import files, pipeline
from sos_docs.cli import cli
from sos_docs.config import load_config
from sos_docs.service import heartbeat as heartbeats
from sos_docs.service.heartbeat import STALE_AFTER, Heartbeat, write_heartbeat
from sos_docs.service.inbox_names import HELP_FILE_NAME, InboxFilter, ignored_reason
from sos_docs.service.jobs import run_job
from sos_docs.service.journal import Journal
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.status import read_status
from sos_docs.service.status_page import (
    STATUS_PAGE_NAME,
    StatusPage,
    help_text,
    page_html,
    read_page_facts,
    shown_time,
)
from sos_docs.service.watcher import Watcher
from sos_docs.workbook import example
from tests.support.builders import WorkbookBuilder

FAST = {"settle_seconds": 0.2, "rescan_seconds": 0.5}
T0 = datetime(2026, 12, 2, 9, 41, tzinfo=UTC)
# A file name cannot hold "/"; a journal entry can (written by hand, or by an older version).
HOSTILE = '<script>alert("x")<script> \'quoted\' "double" ..%2F..\u202etxt.xlsx'
HOSTILE_ENTRY = "</script><script>alert(1)</script>../../etc/passwd"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# --------------------------------------------------------------------------------------------
# Helpers


@dataclass
class Page(HTMLParser):
    """What a parsed STATUS.html holds: its text, links, tags and the facts a reader needs."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)
    title: str = ""
    _in_title: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._in_title:
            self.title += data

    @property
    def text(self) -> str:
        """The page's text as a reader sees it, whitespace collapsed."""
        return " ".join(" ".join(self.text_parts).split())

    def all(self, tag: str) -> list[dict[str, str | None]]:
        """The attributes of every element of a kind."""
        return [attrs for name, attrs in self.tags if name == tag]


def parse(markup: str) -> Page:
    """The page parsed with the standard library's HTML parser."""
    page = Page()
    page.feed(markup)
    page.close()
    return page


def check_page_rules(page: Page, markup: str) -> None:
    """What every STATUS.html must be: English, titled, script-free, self-contained, headed."""
    html_tag = page.all("html")
    assert html_tag and html_tag[0].get("lang") == "en-GB"
    assert page.title.startswith("sos-docs status: ")
    assert not page.all("script") and not page.all("link") and not page.all("img")
    assert not page.all("iframe") and not page.all("object")
    refresh = [m for m in page.all("meta") if m.get("http-equiv") == "refresh"]
    assert [m.get("content") for m in refresh] == ["60"]
    assert page.all("th") and all(th.get("scope") in ("col", "row") for th in page.all("th"))
    for attrs in page.all("a"):
        href = attrs.get("href") or ""
        assert not urlsplit(href).scheme and not href.startswith(("/", "\\")), href
        assert ".." not in unquote(href).split("/")
    assert not [key for _, attrs in page.tags for key in attrs if key.startswith("on")]
    assert "http://" not in markup and "https://" not in markup


def links_resolve(root: Path, page: Page) -> list[Path]:
    """Each link of the page as a file (or, ending in "/", a folder) under the root; every one
    must exist."""
    targets = [root / unquote(href) for href in page.links]
    missing = [
        t
        for t, href in zip(targets, page.links, strict=True)
        if not (t.is_dir() if href.endswith("/") else t.is_file())
    ]
    assert not missing, missing
    return targets


def in_browser(page_file: Path, tmp_path: Path) -> Page:
    """The page's DOM after chromium has loaded it headless, parsed like the file itself."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); html.parser checked")
    profile = tmp_path / "chromium-profile"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page_file.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return parse(done.stdout.decode("utf-8"))


def make_root(tmp_path: Path, name: str = "Family Support Team", **settings: Any) -> WatchedRoot:
    """A prepared watched folder with fast settle and rescan times."""
    root = WatchedRoot(tmp_path / name, load_config(None, None, {**FAST, **settings}))
    root.prepare()
    return root


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll until the condition holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def watching(*roots: WatchedRoot) -> Iterator[Watcher]:
    """A real Watcher with its status pages, running in a thread for the block."""
    running = Watcher(list(roots), workers=1, status_page=True)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.stop()
        thread.join(60)
        assert not thread.is_alive(), "the watcher did not stop"


def page_of(root: WatchedRoot) -> str:
    return (root.path / STATUS_PAGE_NAME).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def bad_workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A workbook whose meeting type is not allowed (rejected with WB006)."""
    book = WorkbookBuilder().set_case("Meeting type", "Tea party")
    return book.write(tmp_path_factory.mktemp("bad") / "bad.xlsx").read_bytes()


def every_name_in_the_example() -> set[str]:
    """Each child's and person's name and known-as in the example workbook."""
    names: set[str] = set()
    for sheet in ("Children", "People"):
        for row in example.SHEET_ROWS[sheet]:
            for column in ("Name", "Known as"):
                value = row.get(column)
                if isinstance(value, str) and value.strip():
                    names.add(value.strip())
                    names.update(part for part in value.split() if len(part) > 2)
    return names


# --------------------------------------------------------------------------------------------
# The running service


def test_a_running_watcher_writes_the_page_and_the_instructions(
    tmp_path: Path, bad_workbook: bytes
) -> None:
    """A real watcher writes STATUS.html and the instructions at start, rewrites the page after
    each job with links to the files made, and says NOT running once stopped."""
    root = make_root(tmp_path)
    with watching(root):
        wait_for(lambda: (root.path / STATUS_PAGE_NAME).is_file(), "the page at start")
        assert (root.inbox / HELP_FILE_NAME).is_file()
        assert "The service is running on server" in parse(page_of(root)).text
        WorkbookBuilder().write(root.inbox / "Hill family.xlsx")
        (root.inbox / "Tea party.xlsx").write_bytes(bad_workbook)
        wait_for(
            lambda: (
                "Tea party.xlsx" in page_of(root)
                and "Hill family.xlsx" in page_of(root)
                and "WB006" in page_of(root)
            ),
            "both jobs on the page",
        )
        running = page_of(root)
        assert (root.inbox / HELP_FILE_NAME).is_file(), "the instructions are never taken"
    page = parse(running)
    check_page_rules(page, running)
    targets = links_resolve(root.path, page)
    names = {t.relative_to(root.path).as_posix() for t in targets}
    assert "processed/Hill family.xlsx" in names
    assert {"rejected/Tea party - problems.txt", "rejected/Tea party - marked.xlsx"} <= names
    assert any(n.startswith("reports/") and n.endswith(".docx") for n in names)
    assert "last checked the inbox at" in page.text
    stopped = parse(page_of(root))
    assert "The service has NOT been running since" in stopped.text
    assert "it was stopped on server" in stopped.text
    assert not any(root.inbox.glob(".*.tmp")) and not any(root.path.glob(".*.tmp"))


def test_the_page_in_a_real_browser_shows_the_same_facts(
    tmp_path: Path, bad_workbook: bytes
) -> None:
    """chromium loads the page without scripts or requests: same title, text and links."""
    root = make_root(tmp_path)
    page = StatusPage(root)
    page.start()
    WorkbookBuilder().write(root.inbox / "Hill family.xlsx")
    run_job(root, root.inbox / "Hill family.xlsx")
    (root.inbox / "Tea party.xlsx").write_bytes(bad_workbook)
    run_job(root, root.inbox / "Tea party.xlsx")
    page.stop()
    markup = page_of(root)
    parsed = parse(markup)
    check_page_rules(parsed, markup)
    seen = in_browser(root.path / STATUS_PAGE_NAME, tmp_path)
    assert seen.title == parsed.title
    assert seen.links == parsed.links and len(seen.links) >= 5
    links_resolve(root.path, seen)
    assert "The service has NOT been running since" in seen.text
    assert "Tea party.xlsx" in seen.text and "WB006 at Case!" in seen.text
    assert not seen.all("script")


# --------------------------------------------------------------------------------------------
# The heartbeat, with a clock the test moves


def test_the_page_is_rewritten_every_minute_and_soon_after_a_job(tmp_path: Path) -> None:
    """Not before a minute has passed; at a minute; half a second after a job."""
    root = make_root(tmp_path)
    clock = Clock()
    page = StatusPage(root, clock=clock)
    page.start()
    clock.advance(seconds=59)
    assert not page.beat_if_due()
    clock.advance(seconds=1)
    assert page.beat_if_due()
    page.job_done()
    assert not page.beat_if_due(), "not twice in the same moment"
    clock.advance(seconds=0.5)
    assert page.beat_if_due()
    beat = heartbeats.read_heartbeat(root.state, heartbeats.this_host())
    assert beat is not None and beat.written_at == clock.now
    assert f"written at {shown_time(clock.now)}" in parse(page_of(root)).text


def test_a_page_left_by_a_crash_says_how_to_read_its_own_time(tmp_path: Path) -> None:
    """The running page names the time it was written and that more than 5 minutes means
    stopped; the same folder read 6 minutes later says it has NOT been running since that time."""
    root = make_root(tmp_path)
    clock = Clock()
    StatusPage(root, clock=clock).start()  # and then the process is killed: no stop
    text = parse(page_of(root)).text
    assert (
        f"This page was written at {shown_time(T0)}; it is rewritten every minute while the "
        "service runs: if this time is more than 5 minutes old, the service has stopped."
    ) in text
    later = T0 + STALE_AFTER + timedelta(seconds=1)
    stale = parse(page_html(read_page_facts(root, later)))
    assert f"The service has NOT been running since {shown_time(T0)}" in stale.text
    assert "has not written its heartbeat since then" in stale.text
    assert "SILENT: NOT running since" in stale.text
    fresh = parse(page_html(read_page_facts(root, T0 + STALE_AFTER)))
    assert "The service is running on server" in fresh.text


def test_starting_again_after_a_crash_records_the_gap(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A start finding its own heartbeat 2 hours old logs the gap and the page lists it."""
    root = make_root(tmp_path)
    clock = Clock()
    StatusPage(root, clock=clock).start()
    clock.advance(hours=2)
    again = StatusPage(root, clock=clock)
    again.start()
    assert again.gap is not None and (again.gap.since, again.gap.until) == (T0, clock.now)
    assert "was not running on this server for 2 hours" in caplog.text
    text = parse(page_of(root)).text
    assert "Times the service was not running" in text
    assert (
        f"from {shown_time(T0)} until {shown_time(clock.now)} (it had not been stopped cleanly)"
        in text
    )
    assert "The service is running on server" in text


def test_several_hosts_each_have_a_heartbeat_and_a_silent_one_is_marked(tmp_path: Path) -> None:
    """Another server's heartbeat 10 minutes old is shown SILENT while this one runs; a page
    with only silent and stopped servers says NOT running since the latest of them."""
    root = make_root(tmp_path)
    other = Heartbeat("server-b", 77, T0 - timedelta(hours=1), T0 - timedelta(minutes=10))
    write_heartbeat(root.state, other)
    clock = Clock()
    page = StatusPage(root, clock=clock)
    page.start()
    parsed = parse(page_of(root))
    assert "The service is running on server" in parsed.text
    assert (
        f"server-b 77 {shown_time(other.started_at)} {shown_time(other.written_at)} SILENT"
        in parsed.text
    )
    page.stop()
    stopped = parse(page_of(root)).text
    assert (
        f"The service has NOT been running since {shown_time(T0)}: it was stopped on server"
        in stopped
    )
    assert f"stopped at {shown_time(T0)}" in stopped


def test_a_share_that_dropped_gets_no_page_on_the_bare_mount_point(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With the state folder gone, nothing is written into the root, and it is logged once."""
    root = make_root(tmp_path)
    clock = Clock()
    page = StatusPage(root, clock=clock)
    page.start()
    shutil.rmtree(root.path)
    root.path.mkdir()
    clock.advance(minutes=1)
    page.beat_if_due()
    clock.advance(minutes=1)
    page.beat_if_due()
    assert list(root.path.iterdir()) == []
    assert caplog.text.count("Could not write STATUS.html") == 1


def test_a_journal_that_cannot_be_read_costs_the_page_not_the_heartbeat(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged journal: the heartbeat is still written each minute, the page failure is
    logged once, and the page comes back when the journal can be read again."""
    caplog.set_level(logging.INFO, logger="sos_docs.service.status_page")
    root = make_root(tmp_path)
    clock = Clock()
    page = StatusPage(root, clock=clock)
    page.start()
    other = root.state / "journal-other-host.sqlite3"
    other.write_bytes(b"this is not an SQLite database" * 100)
    for _ in range(2):
        clock.advance(minutes=1)
        assert page.beat_if_due()
        beat = heartbeats.read_heartbeat(root.state, heartbeats.this_host())
        assert beat is not None and beat.written_at == clock.now
    assert caplog.text.count("Could not write STATUS.html") == 1
    assert ".. sos-docs goes on" not in caplog.text
    assert f"written at {shown_time(T0)}" in parse(page_of(root)).text
    other.unlink()
    clock.advance(minutes=1)
    page.beat_if_due()
    assert f"written at {shown_time(clock.now)}" in parse(page_of(root)).text
    assert "STATUS.html is written again." in caplog.text


# --------------------------------------------------------------------------------------------
# What the page shows, and never shows


def test_waiting_files_show_since_when_and_in_work_shows_why(tmp_path: Path) -> None:
    """A workbook in the inbox is listed with how long it waits; lock files are not."""
    root = make_root(tmp_path)
    (root.inbox / "Patel mapping.xlsx").write_bytes(b"x")
    (root.inbox / "~$Patel mapping.xlsx").write_bytes(b"x")
    (root.work / "20261202-094100-abcdef01").mkdir()
    now = datetime.now(UTC) + timedelta(minutes=7, seconds=5)
    text = parse(page_html(read_page_facts(root, now))).text
    assert "1 file waiting, oldest first" in text
    assert "Patel mapping.xlsx" in text and "7 minutes" in text
    assert "~$Patel" not in text and HELP_FILE_NAME not in text.split("The folders")[0]
    assert "being processed" in text and "09:41 on 2 Dec 2026" in text


def test_a_hostile_file_name_is_shown_as_text_and_never_as_markup(tmp_path: Path) -> None:
    """`<script>`, quotes, `../` and a right-to-left override in a name stay text: no element,
    no attribute, no link out of the root; the override is shown as a visible escape."""
    root = make_root(tmp_path)
    StatusPage(root).start()
    (root.inbox / HOSTILE).write_bytes(b"not a workbook")
    run_job(root, root.inbox / HOSTILE)
    (root.inbox / HOSTILE).write_bytes(b"waiting")
    with Journal(root.journal_path, root=root.path) as journal:  # a journal entry naming ../
        job = journal.start_job(HOSTILE_ENTRY, "0" * 64, root.work / "x")
        journal.finish(job, "done", root.path / "../outside.xlsx", [], "CP-1")
    markup = page_html(read_page_facts(root, datetime.now(UTC)))
    page = parse(markup)
    check_page_rules(page, markup)
    assert not page.all("script")
    assert '<script>alert("x")<script> \'quoted\' "double" ..%2F..' in page.text
    assert HOSTILE_ENTRY in page.text
    assert "\u202e" not in markup and "\\u202etxt.xlsx" in page.text
    targets = links_resolve(root.path, page)
    assert {t.parent.name for t in targets} == {"rejected"}
    assert all(t.resolve().is_relative_to(root.path.resolve()) for t in targets)


def test_no_name_from_inside_the_example_workbook_reaches_the_page(tmp_path: Path) -> None:
    """The example family's children and adults are never named: file names and case
    references only."""
    root = make_root(tmp_path)
    StatusPage(root).start()
    example.write_example(root.inbox / "Mapping 2 Dec.xlsx", datetime.now(UTC).date())
    run_job(root, root.inbox / "Mapping 2 Dec.xlsx")
    markup = page_html(read_page_facts(root, datetime.now(UTC)))
    assert "CP-2026-0412" in markup
    found = {name for name in every_name_in_the_example() if name in markup}
    assert not found


def test_a_childs_own_story_is_counted_never_named(tmp_path: Path) -> None:
    """A child's own story is named after them ("Words and pictures for Mia"): the page counts
    it and links its folder, and no child's name is on the page."""
    root = make_root(tmp_path)
    book = WorkbookBuilder().update_row("Children", 0, Story="Yes")
    book.write(root.inbox / "stories.xlsx")
    run_job(root, root.inbox / "stories.xlsx")
    assert any("for Mia" in p.name for p in root.reports.rglob("*.docx"))
    markup = page_html(read_page_facts(root, datetime.now(UTC)))
    assert "Mia" not in markup and "Leo" not in markup and "Hartley" not in markup
    assert "1 document named after a person" in parse(markup).text


def test_a_persons_own_copy_is_counted_and_its_folder_linked_never_named(tmp_path: Path) -> None:
    """A copy made for one person carries their name in its file name: the page says how many
    such copies there are and links their folder, without the name."""
    root = make_root(tmp_path)
    book = WorkbookBuilder().update_row("Harm", 0, **{"Withhold from": "P2"})
    book.write(root.inbox / "withheld.xlsx")
    run_job(root, root.inbox / "withheld.xlsx")
    assert any("Dean Hartley" in p.name for p in root.reports.rglob("*.docx"))
    markup = page_html(read_page_facts(root, datetime.now(UTC)))
    page = parse(markup)
    assert "Dean" not in markup and "Hartley" not in markup
    assert "1 document named after a person" in page.text
    assert "names not shown here) in reports/CP-2026-0412/" in page.text
    targets = links_resolve(root.path, page)
    assert root.reports / "CP-2026-0412" in targets
    assert sum(t.suffix == ".docx" for t in targets) == 3  # professional, family, story


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.from_regex(r"[A-Z][a-z]{3,9} [A-Z][a-z]{4,9}", fullmatch=True))
def test_a_childs_name_never_reaches_the_page(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    """Whatever a child is known as, the page of their processed workbook does not say it."""
    root = make_root(tmp_path_factory.mktemp("names"))
    book = WorkbookBuilder().update_row("Children", 0, **{"Known as": name})
    book.write(root.inbox / "book.xlsx")
    run_job(root, root.inbox / "book.xlsx")
    assert read_status(root).counts.processed == 1
    markup = page_html(read_page_facts(root, datetime.now(UTC)))
    assert name not in markup and name.split()[0] not in markup


# --------------------------------------------------------------------------------------------
# The inbox's instructions


def test_the_instructions_are_never_a_job_or_a_complaint(tmp_path: Path) -> None:
    """The watcher's filter leaves the file, in any case; status does not count or list it."""
    root = make_root(tmp_path)
    StatusPage(root).start()
    assert ignored_reason(HELP_FILE_NAME) is not None
    assert ignored_reason(HELP_FILE_NAME.upper()) is not None
    assert not InboxFilter()(root.inbox / HELP_FILE_NAME)
    status = read_status(root)
    assert status.counts.waiting == 0 and status.left_alone == ()


def test_the_instructions_name_the_folders_as_configured_and_come_back_when_deleted(
    tmp_path: Path,
) -> None:
    """Configured folder names and the contact are in the text; a deleted or outdated file is
    written again at the next beat, an unchanged one is left alone."""
    root = make_root(
        tmp_path,
        folders={"inbox": "Drop here", "reports": "Finished", "rejected": "Needs fixing"},
        contact="the Business Support team on 01234 567890",
    )
    clock = Clock()
    page = StatusPage(root, clock=clock)
    page.start()
    help_file = root.inbox / HELP_FILE_NAME
    text = help_file.read_bytes().decode("utf-8-sig")
    for words in ('"Drop here"', '"Finished"', '"Needs fixing"', "STATUS.html", "01234 567890"):
        assert words in text
    assert text == help_text(root, heartbeats.this_host()).replace("\n", "\r\n")
    before = help_file.stat().st_mtime_ns
    clock.advance(minutes=1)
    page.beat_if_due()
    assert help_file.stat().st_mtime_ns == before, "unchanged text is not rewritten"
    help_file.unlink()
    clock.advance(minutes=1)
    page.beat_if_due()
    assert help_file.read_bytes().decode("utf-8-sig") == text


def test_status_html_prints_the_page_as_of_now_and_writes_nothing(tmp_path: Path) -> None:
    """`sos-docs status ROOT --html` of a folder whose server went silent says NOT running,
    and leaves every file as it was."""
    root = make_root(tmp_path)
    StatusPage(root, clock=Clock(datetime.now(UTC) - timedelta(hours=1))).start()

    def files_now() -> dict[Path, int]:
        # SQLite's shared-memory index of a WAL journal is touched by any reader, as by `status`
        return {p: p.stat().st_mtime_ns for p in root.path.rglob("*") if p.suffix != ".sqlite3-shm"}

    before = files_now()
    result = CliRunner().invoke(cli, ["status", str(root.path), "--html"])
    assert result.exit_code == 0, result.output
    page = parse(result.output)
    check_page_rules(page, result.output)
    assert "The service has NOT been running since" in page.text and "SILENT" in page.text
    assert files_now() == before and len(before) > 10


# --------------------------------------------------------------------------------------------
# Attack review (issues 15/16): a shortened copy name, and an inbox that blocks the instructions

LONG_NAME = "Dean Alexander Hartley-Montgomery"  # cut in its file name: "(copy for ... Montgomer"


def name_words(name: str) -> set[str]:
    """Each run of 3 or more letters in a name, normalised and folded."""
    folded = unicodedata.normalize("NFC", name).casefold()
    runs = "".join(char if char.isalpha() else " " for char in folded).split()
    return {run for run in runs if len(run) >= 3}


def words_on(markup: str) -> str:
    """What a reader of the page can see or follow: its text, title and link targets, folded."""
    page = parse(markup)
    seen = " ".join([page.text, page.title, *(unquote(href) for href in page.links)])
    return unicodedata.normalize("NFC", seen).casefold()


def test_a_long_name_cut_in_its_copys_file_name_never_reaches_the_page(tmp_path: Path) -> None:
    """A copy for a person whose name is cut short in the file name (its ")" lost) is counted,
    not listed: no part of the name is on the page."""
    root = make_root(tmp_path)
    book = WorkbookBuilder().update_row("People", 1, Name=LONG_NAME)
    book.update_row("Harm", 0, **{"Withhold from": "P2"}).write(root.inbox / "withheld.xlsx")
    run_job(root, root.inbox / "withheld.xlsx")
    made = [p.name for p in root.reports.rglob("*.docx")]
    assert any("(copy for Dean Alexander" in n and LONG_NAME + ")" not in n for n in made), made
    markup = page_html(read_page_facts(root, datetime.now(UTC)))
    seen = words_on(markup)
    assert not {w for w in name_words(LONG_NAME) if w in seen}
    assert "1 document named after a person" in parse(markup).text


@pytest.fixture(scope="module")
def withheld_case(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The builder's case, read once: the case a person's copy is named from."""
    path = WorkbookBuilder().write(tmp_path_factory.mktemp("case") / "case.xlsx")
    case = pipeline.check_workbook(path).case
    assert case is not None
    return case


def page_with_copy_for(root_path: Path, case: Any, name: str, pattern: str) -> str:
    """STATUS.html of a root whose one job made a report and a report's copy for `name`, named
    as the service names them (pipeline.output_fields, files.output_path)."""
    root = make_root(root_path, output_pattern=pattern)
    kind = pipeline.REPORT
    outputs = []
    for copy in ("", f"copy for {name}"):
        fields = pipeline.output_fields(case, kind, copy, pattern)
        target = files.output_path(root.reports, pattern, fields)
        outputs.append(files.write_new_file(target, b"a document"))
    final = root.processed / "book.xlsx"
    final.write_bytes(b"the workbook")
    with Journal(root.journal_path, root=root.path) as journal:
        job = journal.start_job("book.xlsx", "0" * 64, root.work / "x")
        journal.finish(job, "done", final, [], case.details.case_reference)
        journal.record_outputs(job, outputs)
    return page_html(read_page_facts(root, T0))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.text(min_size=1, max_size=200).filter(lambda n: n.strip()),
    pattern=st.sampled_from(
        [
            "{case_reference}/{case_reference} {document} {date}.docx",
            "{case_reference}/{document} {copy} {date}.docx",
            "{case_reference} {copy}/{document} {date}.docx",
        ]
    ),
)
def test_no_word_of_a_persons_name_of_any_length_reaches_the_page(
    tmp_path_factory: pytest.TempPathFactory, withheld_case: Any, name: str, pattern: str
) -> None:
    """Whatever the name (1 to 200 characters, any Unicode) and wherever the pattern puts the
    copy's words, no word of 3 or more letters of it is on the page (other than words the same
    page for a one-letter name has anyway)."""
    folder = tmp_path_factory.mktemp("copies")
    seen = words_on(page_with_copy_for(folder / "named", withheld_case, name, pattern))
    anyway = words_on(page_with_copy_for(folder / "plain", withheld_case, "Q", pattern))
    leaked = {w for w in name_words(name) if w in seen and w not in anyway}
    assert not leaked


def test_an_inbox_entry_in_the_way_of_the_instructions_never_stops_the_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder made under the instructions' name: STATUS.html is still written at start and
    every minute, says the instructions could not be written (without the server's paths or
    the system's words), and the failure is logged once."""
    root = make_root(tmp_path)
    (root.inbox / HELP_FILE_NAME).mkdir()
    clock = Clock()
    page = StatusPage(root, clock=clock)
    page.start()
    assert (root.path / STATUS_PAGE_NAME).is_file()
    clock.advance(minutes=1)
    assert page.beat_if_due()
    markup = page_of(root)
    text = parse(markup).text
    assert f"written at {shown_time(clock.now)}" in text
    assert f"The instructions “{HELP_FILE_NAME}” could not be written in the inbox" in text
    assert str(root.path) not in markup and "directory" not in markup.casefold()
    assert "Could not write STATUS.html" not in caplog.text
    assert caplog.text.count(f"Could not write {HELP_FILE_NAME}") == 1
    (root.inbox / HELP_FILE_NAME).rmdir()
    clock.advance(minutes=1)
    assert page.beat_if_due()
    assert (root.inbox / HELP_FILE_NAME).is_file()
    assert "could not be written" not in parse(page_of(root)).text
