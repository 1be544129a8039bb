"""Tests for sos_docs.service.heartbeat: each host's heartbeat file, its age, and the gaps found."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sos_docs.config import load_config
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
from sos_docs.service.layout import WatchedRoot
from sos_docs.service.status_page import STATUS_PAGE_NAME, StatusPage, how_long, shown_time

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


# --------------------------------------------------------------------------------------------
# Attack review (issues 15/16): reading a heartbeat is total

GOOD_JSON: dict[str, Any] = {
    "host": "server-a",
    "pid": 4242,
    "started_at": "2026-12-02T08:41:00+00:00",
    "written_at": "2026-12-02T09:41:00+00:00",
    "checked_at": "2026-12-02T09:41:00+00:00",
    "stopped_at": None,
    "gaps": [{"since": "2026-12-01T09:00:00+00:00", "until": "2026-12-01T10:00:00", "clean": True}],
}
FIELDS = [*GOOD_JSON, "gaps.since", "gaps.until", "gaps.clean"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
# Times of any year and any offset the format allows, as written and as ISO text with its edges.
offsets = st.timedeltas(
    min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)
)
iso_times = st.builds(
    lambda when, offset: when.replace(tzinfo=timezone(offset)).isoformat(),
    st.datetimes(),
    offsets,
) | st.sampled_from(
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "9999-12-31T23:59:59"]
)


def heartbeat_json(field: str, value: Any) -> dict[str, Any]:
    """The good heartbeat with one field (or one field of its gap) given `value`."""
    data = json.loads(json.dumps(GOOD_JSON))
    if field.startswith("gaps."):
        data["gaps"][0][field.removeprefix("gaps.")] = value
    else:
        data[field] = value
    return data


def check_usable(found: Heartbeat, state: Path) -> None:
    """Everything the service does with a heartbeat it has read, none of which may raise."""
    for when in (found.started_at, found.written_at, found.checked_at, found.stopped_at):
        if when is not None:
            shown_time(when)
    for gap in found.gaps:
        shown_time(gap.since), shown_time(gap.until), how_long(gap.until - gap.since)
    host_state(found, T0)
    new_heartbeat(T0, found)
    write_heartbeat(state, found)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(FIELDS), value=json_values | iso_times)
def test_any_value_in_any_field_is_a_heartbeat_or_none_never_an_error(
    tmp_path_factory: pytest.TempPathFactory, field: str, value: Any
) -> None:
    """Whatever JSON value a field holds (a time of year 1 at +14:00, infinity as a pid, a
    list as a host), reading gives a heartbeat the service can use, or no heartbeat."""
    state = tmp_path_factory.mktemp("state")
    path = state / heartbeat_name("server-a")
    path.write_text(json.dumps(heartbeat_json(field, value)), encoding="utf-8")
    found = read_heartbeat(state, "server-a")
    listed = read_heartbeats(state)
    assert listed == ([found] if found is not None else [])
    if found is not None:
        check_usable(found, state)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(heartbeat_json("written_at", "0001-01-01T00:00:00+14:00")),
        json.dumps(heartbeat_json("gaps.until", "9999-12-31T23:59:59-14:00")),
        json.dumps(heartbeat_json("pid", float("inf"))),
        "[" * 50_000,
        json.dumps(["not", "a", "table"]),
    ],
    ids=["year-1-at-plus-14", "gap-at-the-end-of-time", "infinite-pid", "deep-nesting", "a-list"],
)
def test_a_heartbeat_out_of_range_is_no_heartbeat_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    """Each of these raised (OverflowError, RecursionError, AttributeError) or gave a time the
    page could not show; now it is no heartbeat, and the log says so once."""
    (tmp_path / heartbeat_name("server-a")).write_text(text, encoding="utf-8")
    for _ in range(3):
        assert read_heartbeat(tmp_path, "server-a") is None
        assert read_heartbeats(tmp_path) == []
    assert caplog.text.count("heartbeat-server-a.json") == 1
    assert "taken as no heartbeat" in caplog.text


def test_this_hosts_heartbeat_at_year_one_does_not_stop_the_start(tmp_path: Path) -> None:
    """The attack: this host's own heartbeat written at 0001-01-01T00:00:00+14:00 raised
    OverflowError from StatusPage.start (outside its error handling) at every restart; now the
    page is written, as after no heartbeat."""
    root = WatchedRoot(tmp_path / "root", load_config(None, None, {}))
    root.prepare()
    bad = heartbeat_json("written_at", "0001-01-01T00:00:00+14:00")
    (root.state / heartbeat_name(this_host())).write_text(json.dumps(bad), encoding="utf-8")
    page = StatusPage(root, clock=lambda: T0)
    page.start()
    assert page.gap is None
    assert (root.path / STATUS_PAGE_NAME).is_file()
    again = read_heartbeat(root.state, this_host())
    assert again is not None and again.written_at == T0
