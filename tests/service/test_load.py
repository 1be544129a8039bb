"""Load and soak: bursts and steady drops into a real `sos-docs watch` process (tests/support/soak.py).

Every workbook must be accounted for exactly once (processed with its documents, or rejected
with its explanation, the journal agreeing), memory must stay flat once warmed up, and the
service must open no network socket. The default run uses a burst of 100 and a 15-second soak;
`--run-slow` runs a burst of 1,000 and a five-minute soak.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import soak

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="memory and sockets are read from /proc"
)

PEAK_RSS_MB = 600.0  # the service and its worker processes together
GROWTH_MB = 40.0  # last quarter's peak over the second quarter's


def assert_sound(report: soak.Report) -> None:
    """Every workbook accounted for, a clean stop, no socket, memory bounded and flat."""
    summary = report.summary()
    print(summary)  # shown with -s, and kept in the test report on failure
    assert report.exit_code == 0, summary
    assert report.audit.ok, summary
    assert report.sockets == [], summary
    assert report.peak_rss_mb < PEAK_RSS_MB, summary
    assert report.memory_growth_mb < GROWTH_MB, summary


def test_a_burst_of_a_hundred_workbooks_is_accounted_for(tmp_path: Path) -> None:
    """100 workbooks dropped at once (every tenth invalid): each ends once where it belongs."""
    report = soak.run(tmp_path / "root", count=100, drain_seconds=300)
    assert report.dropped == 100
    assert (report.audit.processed, report.audit.rejected) == (90, 10)
    assert_sound(report)


def test_a_short_soak_at_two_workbooks_a_second_is_accounted_for(tmp_path: Path) -> None:
    """Two workbooks a second for 15 seconds: all handled, memory flat, no socket."""
    report = soak.run(tmp_path / "root", seconds=15, rate=2.0, drain_seconds=120)
    assert report.dropped == 30
    assert_sound(report)


@pytest.mark.slow
def test_a_burst_of_a_thousand_workbooks_is_accounted_for(tmp_path: Path) -> None:
    """1,000 workbooks dropped at once: each ends once, memory flat (run with --run-slow)."""
    report = soak.run(tmp_path / "root", count=1000, drain_seconds=1800)
    assert (report.audit.processed, report.audit.rejected) == (900, 100)
    assert_sound(report)


@pytest.mark.slow
def test_a_five_minute_soak_is_accounted_for_with_flat_memory(tmp_path: Path) -> None:
    """Two workbooks a second for five minutes (run with --run-slow)."""
    report = soak.run(tmp_path / "root", seconds=300, rate=2.0, drain_seconds=600)
    assert report.dropped == 600
    assert_sound(report)
