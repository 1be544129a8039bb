"""Tests for sos_docs.service.heartbeat: each host's heartbeat file, its age, and the gaps found."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sos_docs.service.heartbeat import (
    MAX_GAPS,
    STALE_AFTER,
    Gap,
    Heartbeat,
    HostState,
    heartbeat_name,
    host_state,
    new_heartbeat,
    read_heartbeat,
    read_heartbeats,
    this_host,
    write_heartbeat,
)

T0 = datetime(2026, 12, 2, 9, 41, tzinfo=UTC)


def beat(host: str = "server-a", written: datetime = T0, **more: object) -> Heartbeat:
    """A heartbeat written at `written`, started an hour before."""
    values: dict[str, object] = {
        "host": host,
        "pid": 4242,
        "started_at": written - timedelta(hours=1),
        "written_at": written,
    }
    values.update(more)
    return Heartbeat(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("age", "state"),
    [
        (timedelta(0), HostState.RUNNING),
        (STALE_AFTER, HostState.RUNNING),
        (STALE_AFTER + timedelta(seconds=1), HostState.SILENT),
        (timedelta(days=3), HostState.SILENT),
    ],
)
def test_a_heartbeat_older_than_five_minutes_is_silent(age: timedelta, state: HostState) -> None:
    """Up to five minutes old the host is running; a second more and it is silent."""
    assert host_state(beat(), T0 + age) is state


def test_a_clean_stop_is_stopped_however_old() -> None:
    """A heartbeat that records a stop is stopped, not silent, at any age."""
    stopped = beat(stopped_at=T0)
    assert host_state(stopped, T0) is HostState.STOPPED
    assert host_state(stopped, T0 + timedelta(days=9)) is HostState.STOPPED


def test_starting_after_a_crash_records_the_gap_since_the_last_heartbeat() -> None:
    """A heartbeat six minutes old without a stop gives an unclean gap from it until now."""
    now = T0 + timedelta(minutes=6)
    fresh, gap = new_heartbeat(now, beat())
    assert gap == Gap(T0, now, clean=False)
    assert fresh.gaps == (gap,)
    assert (fresh.started_at, fresh.written_at, fresh.stopped_at) == (now, now, None)
    assert (fresh.host, fresh.pid) == (this_host(), os.getpid())


def test_starting_after_a_clean_stop_records_a_clean_gap_from_the_stop() -> None:
    """The gap after a clean stop runs from the stop, and says it was clean."""
    now = T0 + timedelta(hours=2)
    _, gap = new_heartbeat(now, beat(written=T0, stopped_at=T0 + timedelta(seconds=5)))
    assert gap == Gap(T0 + timedelta(seconds=5), now, clean=True)


def test_a_quick_restart_records_no_gap_and_keeps_the_earlier_ones() -> None:
    """A restart within five minutes is no gap; gaps found before are kept."""
    earlier = Gap(T0 - timedelta(days=1), T0 - timedelta(hours=20), clean=False)
    fresh, gap = new_heartbeat(T0 + STALE_AFTER, beat(gaps=(earlier,)))
    assert gap is None
    assert fresh.gaps == (earlier,)


def test_a_heartbeat_remembers_only_the_latest_gaps() -> None:
    """Past MAX_GAPS gaps, the oldest is forgotten and the newest comes first."""
    current = beat()
    gaps = [
        Gap(T0 + timedelta(hours=n), T0 + timedelta(hours=n, minutes=30), False) for n in range(9)
    ]
    for gap in gaps:
        current = current.with_gap(gap)
    assert current.gaps == tuple(reversed(gaps))[:MAX_GAPS]


def test_heartbeats_are_written_per_host_and_read_back(tmp_path: Path) -> None:
    """Two hosts write two files; reading gives both, equal to what was written."""
    first = beat("server-a", checked_at=T0, gaps=(Gap(T0, T0, True),))
    second = beat("Server B", written=T0 + timedelta(minutes=1), stopped_at=T0)
    write_heartbeat(tmp_path, first)
    write_heartbeat(tmp_path, second)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "heartbeat-server-a.json",
        "heartbeat-server_b.json",
    ]
    assert read_heartbeats(tmp_path) == [second, first]  # by host name, ignoring case
    assert read_heartbeat(tmp_path, "Server B") == second


def test_a_damaged_heartbeat_file_is_no_heartbeat(tmp_path: Path) -> None:
    """Half a file, or a folder under the name, is skipped rather than an error."""
    write_heartbeat(tmp_path, beat("good"))
    (tmp_path / heartbeat_name("half")).write_text('{"host": "half", "pid"')
    (tmp_path / heartbeat_name("folder")).mkdir()
    assert [b.host for b in read_heartbeats(tmp_path)] == ["good"]
    assert read_heartbeat(tmp_path, "half") is None


def test_a_host_name_cannot_lead_the_heartbeat_out_of_its_folder() -> None:
    """Separators and dots in a host name become underscores in the file name."""
    assert heartbeat_name("../../etc/x") == "heartbeat-etc_x.json"
    assert heartbeat_name("") == "heartbeat-unknown.json"
