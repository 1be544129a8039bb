"""The folder speaks: STATUS.html in the root and the instructions in the inbox, for admin staff.

A running service rewrites `<root>/STATUS.html` every minute and after jobs: who is watching,
when the inbox was last checked, what waits and for how long, what is in work, and the last
jobs with relative links to their files. A page nobody rewrites any more says so by its own
timestamp; a clean stop writes "NOT running since". Every host writes a heartbeat of its own
(heartbeat.py) and the page shows them all. Names from inside workbooks never appear: only file
names, case references and problem codes, all escaped; no scripts, no external resources.

`inbox/How to use this folder.txt` says in plain words what to drop, where things come back and
whom to tell; it is rewritten whenever its text would change (or it was deleted).
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sos_docs import files
from sos_docs.errors import SosDocsError
from sos_docs.service.heartbeat import (
    HEARTBEAT_SECONDS,
    STALE_AFTER,
    Gap,
    Heartbeat,
    HostState,
    host_state,
    new_heartbeat,
    read_heartbeat,
    read_heartbeats,
    this_host,
    write_heartbeat,
)
from sos_docs.service.inbox_names import HELP_FILE_NAME, ignored_reason
from sos_docs.service.jobs import JobInWork
from sos_docs.service.journal import JobRecord
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.logs import escape_text, root_extra
from sos_docs.service.status import FolderStatus, outcome_words, problem_meaning, read_status
from sos_docs.workbook import explain

__all__ = [
    "PAGE_JOBS",
    "STATUS_PAGE_NAME",
    "PageFacts",
    "StatusPage",
    "Waiting",
    "help_text",
    "page_html",
    "read_page_facts",
    "shown_time",
]

log = logging.getLogger(__name__)

STATUS_PAGE_NAME = "STATUS.html"
PAGE_JOBS = 50
MIN_SECONDS_BETWEEN_PAGES = 0.5  # a burst of jobs rewrites the page at most twice a second
MAX_PROBLEMS_SHOWN = 3
MAX_WAITING_SHOWN = 100
_WORK_ID_TIME = "%Y%m%d-%H%M%S"  # how jobs.py names a job folder: its claim time, local
# A person's own copy is named after them ("(copy for Dean Hartley)", workbook/copies.py): a
# name from inside the workbook, which the page never shows. A long name is cut short in the
# file name, losing its ")" and whatever followed, so everything from these words on is the
# name: any path holding them (in a folder's name or the file's) is a person's copy. The
# journal keeps only the paths, not which copy each is, so the words are what there is to go by.
# A child's own words and pictures story is named after them too ("Words and pictures for Mia",
# pipeline._story_kind), and so is counted the same way.
_PERSON_COPY_WORDS = ("(copy for", "Words and pictures for ")

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------
# What the page shows


@dataclass(frozen=True)
class Waiting:
    """A file in the inbox the service will take, and since when it has been there."""

    name: str
    since: datetime | None


@dataclass(frozen=True)
class PageFacts:
    """Everything one STATUS.html shows, read at one moment."""

    root: WatchedRoot
    status: FolderStatus
    heartbeats: tuple[Heartbeat, ...]
    waiting: tuple[Waiting, ...]
    written_at: datetime
    writer: Heartbeat | None = None  # the running (or just stopped) service writing the page
    help_file_missing: bool = False  # the inbox's instructions could not be written just now


def read_page_facts(
    root: WatchedRoot,
    now: datetime,
    writer: Heartbeat | None = None,
    *,
    help_file_missing: bool = False,
) -> PageFacts:
    """Read the folder, the journals and the heartbeats; SosDocsError if the root is gone."""
    status = read_status(root, limit=PAGE_JOBS)
    beats = {beat.host: beat for beat in read_heartbeats(root.state)}
    if writer is not None:
        beats[writer.host] = writer  # what this run just wrote, even if it could not be read
    ordered = tuple(sorted(beats.values(), key=lambda beat: beat.host.casefold()))
    waiting = tuple(waiting_files(root.inbox))
    return PageFacts(root, status, ordered, waiting, now, writer, help_file_missing)


def waiting_files(inbox: Path) -> list[Waiting]:
    """The files the service will take, oldest first, each with when it arrived.

    A copy may keep the time it was last edited, so arrival is the later of the modification
    time and the time the entry last changed (its rename or copy into the inbox).
    """
    found: list[Waiting] = []
    with contextlib.suppress(OSError), os.scandir(inbox) as entries:
        for entry in entries:
            if ignored_reason(entry.name) is not None:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                since = datetime.fromtimestamp(max(info.st_mtime, info.st_ctime), UTC)
                found.append(Waiting(entry.name, since))
    return sorted(found, key=lambda w: (w.since or datetime.max.replace(tzinfo=UTC), w.name))


# --------------------------------------------------------------------------------------------
# Words


def shown_time(when: datetime) -> str:
    """`09:41 on 2 Dec 2026`, in this server's local time."""
    local = when.astimezone()
    return f"{local:%H:%M} on {local.day} {local:%b %Y}"


def how_long(span: timedelta) -> str:
    """`under a minute`, `7 minutes`, `2 hours 5 minutes`, `3 days 4 hours`."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    named = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in parts if n]
    return " ".join(named[:2])


def _text(value: str) -> str:
    """Text for the page: controls and bidi marks made visible, then HTML-escaped."""
    visible = escape_text(value)
    # A name the file system gave as undecodable bytes (lone surrogates) is shown escaped.
    visible = visible.encode("utf-8", "backslashreplace").decode("utf-8")
    return html.escape(visible, quote=True)


def _link_target(root: Path, path: Path) -> str | None:
    """The percent-encoded link from STATUS.html (in the root) to a file under it, or None
    when the file is gone or is not a plain file inside the root."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return None
    if ".." in relative.parts or not relative.parts:
        return None
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None
    except OSError:
        return None
    # Bytes as the file system has them: a name with undecodable bytes still links right.
    return quote(os.fsencode(relative.as_posix()), safe="/")


# --------------------------------------------------------------------------------------------
# The page

_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 1rem; line-height: 1.5;
  color: #1b1b1b; background: #ffffff; margin: 0; padding: 1rem; }
main { max-width: 72rem; margin: 0 auto; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; }
.state { font-size: 1.15rem; font-weight: bold; padding: 0.75rem 1rem; border: 3px solid; }
.running { background: #e7f4ea; border-color: #1e6b34; color: #0d3b1b; }
.stopped { background: #fdecea; border-color: #a4161a; color: #5c0b0e; }
.written { font-style: italic; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: bold; padding: 0.25rem 0; }
th, td { border: 1px solid #767676; padding: 0.35rem 0.5rem; text-align: left;
  vertical-align: top; }
td { overflow-wrap: anywhere; }
tbody th { overflow-wrap: break-word; }
th { background: #f0f0f0; }
td ul { margin: 0; padding-left: 1.1rem; }
.silent { color: #a4161a; font-weight: bold; }
a { color: #0b4f9c; }
a:focus { outline: 3px solid #f5b700; }
"""


def page_html(facts: PageFacts) -> str:
    """The whole STATUS.html: plain HTML with inline CSS, every value escaped."""
    title = f"sos-docs status: {facts.root.path.name}"
    sections = [
        f"<h1>{_text(title)}</h1>",
        *_state_lines(facts),
        *_help_file_line(facts),
        *_waiting_section(facts),
        *_in_work_section(facts),
        *_jobs_section(facts),
        *_hosts_section(facts),
        *_gaps_section(facts),
        *_folders_section(facts),
    ]
    body = "\n".join(sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="refresh" content="{int(HEARTBEAT_SECONDS)}">\n'
        f"<title>{_text(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _state_lines(facts: PageFacts) -> list[str]:
    """The line everyone reads first: running (by whom, last check) or NOT running since when."""
    now = facts.written_at
    running = [b for b in facts.heartbeats if host_state(b, now) is HostState.RUNNING]
    written = shown_time(now)
    if running:
        lines = [_running_line(beat, now) for beat in running]
        lines.append(
            f'<p class="written">This page was written at {written}; it is rewritten every '
            f"minute while the service runs: if this time is more than "
            f"{int(STALE_AFTER.total_seconds() // 60)} minutes old, the service has stopped.</p>"
        )
        return lines
    if not facts.heartbeats:
        line = "The service is NOT running: it has not watched this folder yet."
    else:
        last = max(facts.heartbeats, key=lambda beat: beat.last_alive)
        line = (
            f"The service has NOT been running since {shown_time(last.last_alive)}"
            f"{_why_stopped(last, now)}."
        )
    return [
        f'<p class="state stopped" role="status">{line}</p>',
        '<p class="written">Workbooks put in the inbox wait there until it runs again. '
        f"This page was written at {written}.</p>",
    ]


def _help_file_line(facts: PageFacts) -> list[str]:
    """That the inbox's instructions could not be written, when so: never why, since the why
    (a folder or link someone put there, and the server's paths) is for the log."""
    if not facts.help_file_missing:
        return []
    return [
        f'<p class="silent">The instructions “{HELP_FILE_NAME}” could not be written in the '
        f"inbox ({_text(facts.root.config.folders.inbox)}): something else may be there under "
        "that name. sos-docs goes on taking workbooks and tries again every minute; the "
        "service's log says more.</p>"
    ]


def _running_line(beat: Heartbeat, now: datetime) -> str:
    checked = beat.checked_at or beat.written_at
    return (
        f'<p class="state running" role="status">The service is running on server '
        f"{_text(beat.host)} (process {beat.pid}, started {shown_time(beat.started_at)}). "
        f"It last checked the inbox at {shown_time(checked)}.</p>"
    )


def _why_stopped(beat: Heartbeat, now: datetime) -> str:
    if host_state(beat, now) is HostState.STOPPED:
        return f": it was stopped on server {_text(beat.host)}"
    return (
        f": server {_text(beat.host)} has not written its heartbeat since then (the service "
        "crashed, was ended, or the server is off)"
    )


def _table(caption: str, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A table with a caption and column headers; the cells are HTML already."""
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    lines = ['<div class="scroll"><table>', f"<caption>{caption}</caption>"]
    lines.append(f"<thead><tr>{head}</tr></thead><tbody>")
    for row in rows:
        first, *rest = row
        cells = "".join(f"<td>{cell}</td>" for cell in rest)
        lines.append(f'<tr><th scope="row">{first}</th>{cells}</tr>')
    lines.append("</tbody></table></div>")
    return lines


def _waiting_section(facts: PageFacts) -> list[str]:
    waiting = facts.waiting
    lines = ["<h2>Waiting in the inbox</h2>"]
    if not waiting:
        return [*lines, "<p>Nothing is waiting.</p>"]
    rows = [
        (
            _text(item.name),
            shown_time(item.since) if item.since else "not known",
            how_long(facts.written_at - item.since) if item.since else "not known",
        )
        for item in waiting[:MAX_WAITING_SHOWN]
    ]
    more = len(waiting) - len(rows)
    caption = f"{len(waiting)} file{'' if len(waiting) == 1 else 's'} waiting, oldest first"
    lines += _table(caption, ("File", "Arrived", "Waiting for"), rows)
    if more > 0:
        lines.append(f"<p>And {more} more.</p>")
    return lines


def _in_work_section(facts: PageFacts) -> list[str]:
    in_work = facts.status.in_work
    lines = ["<h2>In work</h2>"]
    if not in_work:
        return [*lines, "<p>Nothing is in work.</p>"]
    rows = [(_text(job.name), _work_since(job), _work_state(job)) for job in in_work]
    return lines + _table("Workbooks being made into documents", ("File", "Since", "State"), rows)


def _work_since(job: JobInWork) -> str:
    try:
        claimed = datetime.strptime(job.folder.name[:15], _WORK_ID_TIME).astimezone()
    except ValueError:
        return "not known"
    return shown_time(claimed)


def _work_state(job: JobInWork) -> str:
    if job.waiting_because:
        return f"waiting to be tried again: {_text(job.waiting_because)}"
    return "being processed"


def _jobs_section(facts: PageFacts) -> list[str]:
    recent = facts.status.recent
    lines = [f"<h2>Last {PAGE_JOBS} jobs</h2>"]
    if not recent:
        return [*lines, "<p>No jobs yet.</p>"]
    rows = [_job_row(facts, job) for job in recent]
    caption = f"The last {len(recent)} workbooks taken, newest first"
    headers = ("Time", "File", "Case reference", "Outcome", "Files")
    return lines + _table(caption, headers, rows)


def _job_row(facts: PageFacts, job: JobRecord) -> tuple[str, ...]:
    when = job.finished_at or job.claimed_at
    outcome = _text(outcome_words(job, facts.status.later_fixed))
    if job.outcome in ("rejected", "failed-internal") and job.problems:
        shown = [
            f"{_text(p.code)} at {_text(p.where)}: {_text(problem_meaning(p.code))}"
            for p in job.problems[:MAX_PROBLEMS_SHOWN]
        ]
        if len(job.problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"and {len(job.problems) - MAX_PROBLEMS_SHOWN} more")
        outcome += "<ul>" + "".join(f"<li>{item}</li>" for item in shown) + "</ul>"
    return (
        f'<time datetime="{when.isoformat()}">{shown_time(when)}</time>',
        _text(job.file_name),
        _text(job.case_reference) if job.case_reference else "",
        outcome,
        _file_links(facts.root.path, job),
    )


def _file_links(root: Path, job: JobRecord) -> str:
    """Links to the job's files that are still there: documents, problems.txt, marked copy,
    and the workbook itself. A person's own copy is not named: its folder is linked instead."""
    paths = [*job.outputs, *([job.final_path] if job.final_path else [])]
    items = []
    person_copies: dict[Path, int] = {}
    for path in paths:
        target = _link_target(root, path)
        if target is None:
            continue
        if _names_a_person(root, path):
            folder = _folder_without_a_name(root, path)
            person_copies[folder] = person_copies.get(folder, 0) + 1
            continue
        shown = _text(path.relative_to(root).as_posix())
        items.append(f'<li><a href="{html.escape(target, quote=True)}">{shown}</a></li>')
    items += [_person_copies_item(root, folder, count) for folder, count in person_copies.items()]
    if not items:
        return "no files left (moved or removed)" if paths else ""
    return "<ul>" + "".join(items) + "</ul>"


def _names_a_person(root: Path, path: Path) -> bool:
    """True when a path under the root (its folders' names or its own) is a person's copy."""
    relative = path.relative_to(root).as_posix()
    return any(words in relative for words in _PERSON_COPY_WORDS)


def _folder_without_a_name(root: Path, path: Path) -> Path:
    """The nearest folder holding `path` whose path names nobody (the root at the furthest)."""
    folder = path.parent
    while folder != root and _names_a_person(root, folder):
        folder = folder.parent
    return folder


def _person_copies_item(root: Path, folder: Path, count: int) -> str:
    """`N documents named after a person in <folder>`, the folder linked (it names nobody)."""
    document = "document" if count == 1 else "documents"
    words = f"{count} {document} named after a person (a parent's copy or a child's story; names not shown here)"
    relative = folder.relative_to(root).as_posix()
    if folder == root or _names_a_person(root, folder):
        return f"<li>{words}</li>"
    href = quote(os.fsencode(relative), safe="/") + "/"
    return f'<li>{words} in <a href="{html.escape(href, quote=True)}">{_text(relative)}/</a></li>'


def _hosts_section(facts: PageFacts) -> list[str]:
    if not facts.heartbeats:
        return []
    now = facts.written_at
    rows = [
        (
            _text(beat.host),
            str(beat.pid),
            shown_time(beat.started_at),
            shown_time(beat.written_at),
            _host_state_words(beat, now),
        )
        for beat in facts.heartbeats
    ]
    headers = ("Server", "Process", "Started", "Last heartbeat", "State")
    caption = "Each server's service writes a heartbeat every minute"
    return ["<h2>Servers watching this folder</h2>", *_table(caption, headers, rows)]


def _host_state_words(beat: Heartbeat, now: datetime) -> str:
    state = host_state(beat, now)
    if state is HostState.RUNNING:
        return "running"
    if state is HostState.STOPPED and beat.stopped_at is not None:
        return f"stopped at {shown_time(beat.stopped_at)}"
    return (
        f'<span class="silent">SILENT: NOT running since {shown_time(beat.written_at)} '
        "(no heartbeat for more than "
        f"{int(STALE_AFTER.total_seconds() // 60)} minutes)</span>"
    )


def _gaps_section(facts: PageFacts) -> list[str]:
    gaps = sorted(
        ((beat, gap) for beat in facts.heartbeats for gap in beat.gaps),
        key=lambda pair: pair[1].until,
        reverse=True,
    )
    if not gaps:
        return []
    items = [f"<li>{_gap_words(beat, gap)}</li>" for beat, gap in gaps]
    return ["<h2>Times the service was not running</h2>", "<ul>", *items, "</ul>"]


def _gap_words(beat: Heartbeat, gap: Gap) -> str:
    how = "it had been stopped" if gap.clean else "it had not been stopped cleanly"
    return (
        f"Server {_text(beat.host)}: from {shown_time(gap.since)} until "
        f"{shown_time(gap.until)} ({how}). Workbooks put in the inbox then were taken when it "
        "started again."
    )


def _folders_section(facts: PageFacts) -> list[str]:
    folders = facts.root.config.folders
    rows = [
        (
            _text(folders.inbox),
            "Put workbooks here. Its file “" + HELP_FILE_NAME + "” explains how.",
        ),
        (_text(folders.reports), "The finished documents" + _by_case(facts.root) + "."),
        (_text(folders.processed), "Workbooks that made their documents."),
        (
            _text(folders.rejected),
            "Workbooks that could not, each with “... - problems.txt” (what to fix and where) "
            "and “... - marked.xlsx” (a copy with the problem cells marked).",
        ),
    ]
    return ["<h2>The folders</h2>", *_table("What each folder holds", ("Folder", "Holds"), rows)]


# --------------------------------------------------------------------------------------------
# The inbox's instructions


def help_text(root: WatchedRoot, host: str) -> str:
    """`How to use this folder.txt`: what to drop, what comes back where, whom to tell."""
    config = root.config
    folders = config.folders
    contact = config.contact.strip() or "your IT service desk"
    notice = (
        f"within {config.rescan_seconds:g} seconds"
        if config.polling
        else f"within a few seconds (at most {config.rescan_seconds:g} seconds)"
    )
    by_case = _by_case(root, ", in a folder named after the case reference")
    return f"""How to use this folder
======================

This folder ("{folders.inbox}") is watched by sos-docs, which turns Signs of Safety mapping
workbooks into the conference paperwork (Word documents).

1. Save the filled-in mapping workbook in Excel as an .xlsx file and close it.
2. Copy or move it into this folder. Nothing else needs to be done.
3. sos-docs notices it {notice} and takes it out of this folder.
   Most workbooks are done in under a minute.
4. The documents appear in the folder "{folders.reports}" next to this one{by_case}.
   The workbook itself moves to "{folders.processed}".
   If sos-docs found something to check, "<name> - receipt.txt" beside the documents says what.

If the workbook cannot be used
------------------------------
It moves to the folder "{folders.rejected}", with two files beside it:
  "<name> - problems.txt" says what is wrong, where (sheet and cell) and how to fix it;
  "<name> - marked.xlsx" is a copy with each problem cell marked and a Problems sheet.
Fix the workbook (the marked copy can be used for that), save it, and put it in this
folder again. Nothing in "{folders.rejected}" is ever looked at again by sos-docs.

What is going on
----------------
Open "{STATUS_PAGE_NAME}" in the folder above this one ("{root.path.name}") in a web browser.
It shows what is waiting, what is being made, the last {PAGE_JOBS} workbooks with links to
their documents, and whether sos-docs is running. It is rewritten every minute.

If nothing happens
------------------
If your workbook is still in this folder after 5 minutes, open {STATUS_PAGE_NAME}. If it says
the service is NOT running, or your workbook is not mentioned, tell {contact}.
Say that sos-docs on server "{host}" is not taking files from the folder
"{root.path}".

Files that stay here on purpose: Excel's "~$..." files while a workbook is open, hidden
and .tmp files, and this file. This file may be deleted: sos-docs writes it again.
"""


def _by_case(root: WatchedRoot, words: str = ", in a folder for each case reference") -> str:
    """The words saying documents are filed by case, when the output pattern does that."""
    return words if root.config.output_pattern.startswith("{case_reference}/") else ""


def write_help_file(root: WatchedRoot, host: str) -> bool:
    """Write the inbox's instructions when missing or different; True when written.

    DeliveryError when the inbox cannot be written.
    """
    path = root.inbox / HELP_FILE_NAME
    data = explain.text_file_bytes(help_text(root, host).replace("\n", "\r\n"))
    try:
        if files.read_plain_file(path, len(data) + 1) == data:
            return False
    except OSError:
        pass  # missing, or something else there: written afresh
    files.replace_file(path, data)
    return True


# --------------------------------------------------------------------------------------------
# The writer the watcher runs


class StatusPage:
    """One root's heartbeat, STATUS.html and inbox instructions, kept by the running service.

    The watcher calls `start` once, `checked` after each full listing of the inbox,
    `job_done` after each job (from any thread), `beat_if_due` on every pass of its loop, and
    `stop` last. Writing never raises: a folder that cannot be written is logged once, and
    tried again at the next beat.
    """

    def __init__(
        self, root: WatchedRoot, *, clock: Clock = _utc_now, interval: float = HEARTBEAT_SECONDS
    ) -> None:
        self.root = root
        self.clock = clock
        self.interval = timedelta(seconds=interval)
        self.heartbeat: Heartbeat | None = None
        self.gap: Gap | None = None  # found at start: the service was not running for a while
        self._checked_at: datetime | None = None
        self._last_written: datetime | None = None
        self._job_done = False  # set from worker threads; a bool assignment is atomic
        self._failing = False
        self._help_failing = False

    def start(self) -> None:
        """Record any gap since this host's last heartbeat, then write everything."""
        now = self.clock()
        previous = read_heartbeat(self.root.state, this_host())
        self.heartbeat, self.gap = new_heartbeat(now, previous)
        if self.gap is not None:
            log.warning(
                "sos-docs was not running on this server for %s: from %s until %s (%s).",
                how_long(self.gap.until - self.gap.since),
                shown_time(self.gap.since),
                shown_time(self.gap.until),
                "it had been stopped" if self.gap.clean else "it had not been stopped cleanly",
                extra=root_extra(self.root.path),
            )
        self._write(now)

    def checked(self) -> None:
        """The inbox was listed just now."""
        self._checked_at = self.clock()

    def job_done(self) -> None:
        """A job ended: the page is rewritten soon."""
        self._job_done = True

    def beat_if_due(self) -> bool:
        """Write the heartbeat and page when a minute has passed, or soon after a job; True
        when written."""
        if self.heartbeat is None:
            return False
        now = self.clock()
        since = now - (self._last_written or now - self.interval)
        due = since >= self.interval or since < timedelta(0)  # or the clock went back
        soon = self._job_done and since.total_seconds() >= MIN_SECONDS_BETWEEN_PAGES
        if not (due or soon):
            return False
        self._job_done = False
        self._write(now)
        return True

    def stop(self) -> None:
        """Write the heartbeat and page once more, saying the service stopped now."""
        if self.heartbeat is None:
            return
        now = self.clock()
        self.heartbeat = replace(self.heartbeat, stopped_at=now)
        self._write(now)

    def _write(self, now: datetime) -> None:
        assert self.heartbeat is not None
        self.heartbeat = replace(self.heartbeat, written_at=now, checked_at=self._checked_at)
        self._last_written = now
        if not self.root.state.is_dir():  # a share that dropped: not onto the bare mount point
            self._failed("its folder is not there (is the share connected?)")
            return
        # The instructions first and on their own: anyone who can write to the inbox can put
        # something in their way, which must never cost the heartbeat or the page.
        help_written = self._write_help_file(self.heartbeat.host)
        try:
            write_heartbeat(self.root.state, self.heartbeat)
            facts = read_page_facts(
                self.root, now, self.heartbeat, help_file_missing=not help_written
            )
            page = page_html(facts)
            files.replace_file(self.root.path / STATUS_PAGE_NAME, page.encode("utf-8"))
        except (OSError, SosDocsError) as exc:
            self._failed(str(exc))
            return
        except Exception:  # the page must never stop the service from taking workbooks
            if not self._failing:
                log.exception("unexpected error writing %s", STATUS_PAGE_NAME)
            self._failed("an unexpected error, logged above")
            return
        if self._failing:
            log.info("%s is written again.", STATUS_PAGE_NAME, extra=root_extra(self.root.path))
            self._failing = False

    def _write_help_file(self, host: str) -> bool:
        """Write the inbox's instructions if due; False (logged once) when they cannot be."""
        try:
            write_help_file(self.root, host)
        except (OSError, SosDocsError) as exc:
            self._help_failed(str(exc))
            return False
        except Exception:  # the instructions must never stop the page either
            if not self._help_failing:
                log.exception("unexpected error writing %s", HELP_FILE_NAME)
            self._help_failed("an unexpected error, logged above")
            return False
        if self._help_failing:
            log.info("%s is written again.", HELP_FILE_NAME, extra=root_extra(self.root.path))
            self._help_failing = False
        return True

    def _help_failed(self, why: str) -> None:
        if not self._help_failing:
            log.warning(
                "Could not write %s in %s: %s. The page says so; sos-docs tries again in a minute.",
                HELP_FILE_NAME,
                self.root.inbox,
                why.rstrip("."),
                extra=root_extra(self.root.path),
            )
        self._help_failing = True

    def _failed(self, why: str) -> None:
        if not self._failing:
            log.warning(
                "Could not write %s in %s: %s. sos-docs goes on and tries again in a minute.",
                STATUS_PAGE_NAME,
                self.root.path,
                why.rstrip("."),
                extra=root_extra(self.root.path),
            )
        self._failing = True
