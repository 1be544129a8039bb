"""Each host's heartbeat on a watched folder: proof, written every minute, that its service runs.

A running service rewrites `.sos-docs/heartbeat-<host>.json` (one file per host, as with the
journals: no two hosts write one file) with the time it last listed the inbox. A clean stop
writes the time it stopped. A heartbeat older than `STALE_AFTER` that says no stop is a service
that died (a crash, a kill, a server switched off); the next start records that gap.

Reading one is total: anyone who can write to the state folder can put anything in a heartbeat
file, and any value that is not what this module writes (a time of year 1 at +14:00 cannot even
be turned into UTC) is no heartbeat, logged once, never an exception.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from sos_docs import files
from sos_docs.service.journal import MAX_HOST_NAME

__all__ = [
    "HEARTBEAT_SECONDS",
    "MAX_GAPS",
    "STALE_AFTER",
    "Gap",
    "Heartbeat",
    "HostState",
    "heartbeat_name",
    "host_state",
    "new_heartbeat",
    "read_heartbeat",
    "read_heartbeats",
    "this_host",
    "write_heartbeat",
]

HEARTBEAT_SECONDS = 60.0  # how often a running service rewrites its heartbeat and the page
STALE_AFTER = timedelta(minutes=5)  # an older heartbeat without a stop: that service is gone
MAX_GAPS = 5  # the times a host was not running that its heartbeat remembers
MAX_HEARTBEAT_BYTES = 64 * 1024
_GLOB = "heartbeat-*.json"
# Times a heartbeat may hold: any later or earlier is damage, and far enough from both ends of
# datetime that local time, a gap's length and the page's words can always be worked out.
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_MAX_PID = 2**32
_MAX_HOST_CHARS = 255  # a DNS name is at most 253

log = logging.getLogger(__name__)
# The files already reported as unreadable: a bad file is read every minute, logged once.
_reported: set[Path] = set()


class _NotAHeartbeat(ValueError):
    """A heartbeat file's content is not what write_heartbeat writes."""


class HostState(StrEnum):
    """What one host's heartbeat says at a given moment."""

    RUNNING = "running"
    STOPPED = "stopped"  # stopped cleanly
    SILENT = "silent"  # no heartbeat for longer than STALE_AFTER, and no stop recorded


@dataclass(frozen=True)
class Gap:
    """A time a host's service was not running, found when it started again."""

    since: datetime
    until: datetime
    clean: bool  # it had stopped cleanly (else it crashed, was killed or the server went off)


@dataclass(frozen=True)
class Heartbeat:
    """One host's last word on a watched folder."""

    host: str
    pid: int
    started_at: datetime
    written_at: datetime
    checked_at: datetime | None = None  # the last full listing of the inbox
    stopped_at: datetime | None = None
    gaps: tuple[Gap, ...] = field(default=())  # newest first

    @property
    def last_alive(self) -> datetime:
        """The last moment the service is known to have run."""
        return self.stopped_at or self.written_at

    def with_gap(self, gap: Gap) -> Heartbeat:
        """This heartbeat remembering one more gap (the oldest forgotten past MAX_GAPS)."""
        return replace(self, gaps=(gap, *self.gaps)[:MAX_GAPS])


def heartbeat_name(host: str) -> str:
    """`heartbeat-<host>.json`, with the host name made safe as in the journal's name."""
    safe = re.sub(r"[^a-z0-9._-]+", "_", host.lower()).strip("._-")[:MAX_HOST_NAME]
    return f"heartbeat-{safe or 'unknown'}.json"


def this_host() -> str:
    """The name of the server this process runs on."""
    return socket.gethostname()


def host_state(heartbeat: Heartbeat, now: datetime) -> HostState:
    """Running, stopped cleanly, or silent (no heartbeat for longer than STALE_AFTER)."""
    if heartbeat.stopped_at is not None:
        return HostState.STOPPED
    if now - heartbeat.written_at > STALE_AFTER:
        return HostState.SILENT
    return HostState.RUNNING


def write_heartbeat(state: Path, heartbeat: Heartbeat) -> None:
    """Replace the host's heartbeat file whole; DeliveryError when it cannot be written."""
    data = json.dumps(_as_json(heartbeat), indent=1).encode("utf-8")
    files.replace_file(state / heartbeat_name(heartbeat.host), data)


def read_heartbeats(state: Path) -> list[Heartbeat]:
    """Every host's heartbeat in the state folder, by host name; unreadable files are skipped."""
    found: list[Heartbeat] = []
    with contextlib.suppress(OSError):
        for path in sorted(state.glob(_GLOB)):
            heartbeat = _read_one(path)
            if heartbeat is not None:
                found.append(heartbeat)
    return sorted(found, key=lambda beat: beat.host.casefold())


def read_heartbeat(state: Path, host: str) -> Heartbeat | None:
    """One host's heartbeat, or None when it has none (or it cannot be read)."""
    return _read_one(state / heartbeat_name(host))


def _read_one(path: Path) -> Heartbeat | None:
    """The heartbeat in a file; None (logged once) for anything else there, or none at all."""
    try:
        data = files.read_plain_file(path, MAX_HEARTBEAT_BYTES)
        return _from_json(json.loads(data.decode("utf-8")))
    except FileNotFoundError:
        return None
    # Half a file from an old version, something else under the name, or values no service
    # wrote. json recurses once per nested [ or {, so a file of them is a RecursionError.
    except (OSError, ValueError, RecursionError) as exc:
        _report(path, exc)
        return None


def _report(path: Path, exc: BaseException) -> None:
    if path in _reported:
        return
    _reported.add(path)
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, RecursionError):
        why = "it nests too deeply"
    log.warning(
        "The heartbeat file %s cannot be read (%s): it is taken as no heartbeat.", path, why
    )


def _as_json(beat: Heartbeat) -> dict[str, Any]:
    return {
        "host": beat.host,
        "pid": beat.pid,
        "started_at": beat.started_at.isoformat(),
        "written_at": beat.written_at.isoformat(),
        "checked_at": beat.checked_at.isoformat() if beat.checked_at else None,
        "stopped_at": beat.stopped_at.isoformat() if beat.stopped_at else None,
        "gaps": [
            {"since": g.since.isoformat(), "until": g.until.isoformat(), "clean": g.clean}
            for g in beat.gaps
        ],
    }


def _from_json(data: Any) -> Heartbeat:
    """The Heartbeat a JSON value describes; _NotAHeartbeat saying why when it is not one."""
    table = _table(data, "the file")
    host, pid = table.get("host"), table.get("pid")
    if not isinstance(host, str) or not 0 < len(host) <= _MAX_HOST_CHARS:
        raise _NotAHeartbeat("its host is not a server's name")
    if type(pid) is not int or not 0 < pid < _MAX_PID:
        raise _NotAHeartbeat("its pid is not a process number")
    gaps = table.get("gaps", [])
    if not isinstance(gaps, list):
        raise _NotAHeartbeat("its gaps are not a list")
    return Heartbeat(
        host=host,
        pid=pid,
        started_at=_time(table.get("started_at"), "started_at"),
        written_at=_time(table.get("written_at"), "written_at"),
        checked_at=_optional_time(table.get("checked_at"), "checked_at"),
        stopped_at=_optional_time(table.get("stopped_at"), "stopped_at"),
        gaps=tuple(_gap(gap) for gap in gaps[:MAX_GAPS]),
    )


def _table(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _NotAHeartbeat(f"{what} is not a table of names and values")
    return value


def _gap(value: Any) -> Gap:
    gap = _table(value, "a gap")
    clean = gap.get("clean")
    if not isinstance(clean, bool):
        raise _NotAHeartbeat("a gap's clean is not true or false")
    return Gap(
        _time(gap.get("since"), "a gap's since"), _time(gap.get("until"), "a gap's until"), clean
    )


def _time(text: Any, name: str) -> datetime:
    """An aware time in UTC from ISO text (a naive one is taken as UTC), 1970 to 9000."""
    if not isinstance(text, str):
        raise _NotAHeartbeat(f"its {name} is not a time")
    try:
        when = datetime.fromisoformat(text)
        when = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # year 1 at +14:00 is before datetime.min in UTC
        raise _NotAHeartbeat(f"its {name} is not a time") from exc
    if not _EARLIEST <= when <= _LATEST:
        raise _NotAHeartbeat(f"its {name} is out of range")
    return when


def _optional_time(text: Any, name: str) -> datetime | None:
    return None if text is None else _time(text, name)


def new_heartbeat(now: datetime, previous: Heartbeat | None) -> tuple[Heartbeat, Gap | None]:
    """This process's first heartbeat, and the gap since `previous` when it is older than
    STALE_AFTER (the service was not running in between)."""
    beat = Heartbeat(host=this_host(), pid=os.getpid(), started_at=now, written_at=now)
    if previous is None:
        return beat, None
    beat = replace(beat, gaps=previous.gaps)
    if now - previous.last_alive <= STALE_AFTER:
        return beat, None
    gap = Gap(previous.last_alive, now, clean=previous.stopped_at is not None)
    return beat.with_gap(gap), gap
