"""Makes docs/status-page.png and docs/status-page-stopped.png: STATUS.html as staff see it.

    python scripts/render_status_page.py [OUT_DIR]

A real watched folder is made in a temporary folder and real jobs run in it: the example
workbook (processed), the same workbook with a meeting type that is not allowed (rejected, with
its problems.txt and marked copy) and a Word document dropped by mistake (rejected); one more
workbook waits in the inbox. The service's own StatusPage writes STATUS.html, and Debian's
chromium (`apt-get install chromium`) photographs it headless. The second picture is the page
as `sos-docs status --html` shows it when the server's heartbeat is two hours old.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from sos_docs.config import load_config
from sos_docs.service.heartbeat import read_heartbeats, write_heartbeat
from sos_docs.service.jobs import run_job
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.status_page import STATUS_PAGE_NAME, StatusPage, page_html, read_page_facts
from sos_docs.workbook import example

WINDOW = "1100,1750"


def chromium() -> str:
    """The path of chromium, or exit saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("chromium is not installed: apt-get install -y --no-install-recommends chromium")


def screenshot(page: Path, png: Path, profile: Path) -> None:
    """Photograph a local HTML file with headless chromium (no network, no scripts needed)."""
    subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def with_case_values(source: Path, target: Path, **values: str) -> Path:
    """A copy of a workbook with other values on its Case sheet (labels may end in `*`)."""
    book = load_workbook(source)
    for row in book["Case"].iter_rows():
        label = str(row[0].value or "").rstrip("*").strip().lower().replace(" ", "_")
        if label in values:
            row[1].value = values[label]
    book.save(target)
    return target


def make_folder(base: Path) -> WatchedRoot:
    """A watched folder with three finished jobs and one workbook waiting."""
    root = WatchedRoot(base / "Family Support Team", load_config(None))
    root.prepare()
    page = StatusPage(root)
    page.start()
    today = dt.date.today()
    good = example.write_example(base / "Hill family mapping.xlsx", today)
    for name in ("Hill family mapping.xlsx",):
        shutil.copy(good, root.inbox / name)
        run_job(root, root.inbox / name)
    with_case_values(
        good,
        root.inbox / "Ahmed mapping v2.xlsx",
        case_reference="CP-2026-0388",
        meeting_type="Tea party",
    )
    run_job(root, root.inbox / "Ahmed mapping v2.xlsx")
    (root.inbox / "Conference notes.docx").write_bytes(b"not a workbook")
    run_job(root, root.inbox / "Conference notes.docx")
    shutil.copy(good, root.inbox / "Patel mapping.xlsx")
    page.checked()
    page.job_done()  # the jobs took longer than half a second: the page is written again now
    assert page.beat_if_due()
    return root


def stale_page(root: WatchedRoot, out: Path) -> None:
    """The page as read two hours after this server's last heartbeat (no clean stop)."""
    now = dt.datetime.now(dt.UTC)
    for beat in read_heartbeats(root.state):
        old = beat.written_at - dt.timedelta(hours=2)
        write_heartbeat(
            root.state, type(beat)(beat.host, beat.pid, old - dt.timedelta(hours=3), old, old)
        )
    out.write_text(page_html(read_page_facts(root, now)), encoding="utf-8")


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[1] / "docs"
    with tempfile.TemporaryDirectory() as temp:
        base = Path(temp)
        root = make_folder(base)
        screenshot(root.path / STATUS_PAGE_NAME, out / "status-page.png", base / "profile")
        stale = root.path / "stale.html"
        stale_page(root, stale)
        screenshot(stale, out / "status-page-stopped.png", base / "profile")
    print(f"wrote {out / 'status-page.png'} and {out / 'status-page-stopped.png'}")


if __name__ == "__main__":
    main(sys.argv)
