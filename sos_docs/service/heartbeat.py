"""Each host's heartbeat on a watched folder: proof, written every minute, that its service runs.

A running service rewrites `.sos-docs/heartbeat-<host>.json` (one file per host, as with the
journals: no two hosts write one file) with the time it last listed the inbox. A clean stop
writes the time it stopped. A heartbeat older than `STALE_AFTER` that says no stop is a service
that died (a crash, a kill, a server switched off); the next start records that gap.
"""

from __future__ import annotations

import contextlib
import json
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
    try:
        data = files.read_plain_file(path, MAX_HEARTBEAT_BYTES)
        return _from_json(json.loads(data.decode("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # half a file from an old version, or something else there: no heartbeat


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


def _from_json(data: dict[str, Any]) -> Heartbeat:
    return Heartbeat(
        host=str(data["host"]),
        pid=int(data["pid"]),
        started_at=_time(data["started_at"]),
        written_at=_time(data["written_at"]),
        checked_at=_optional_time(data.get("checked_at")),
        stopped_at=_optional_time(data.get("stopped_at")),
        gaps=tuple(
            Gap(_time(g["since"]), _time(g["until"]), bool(g["clean"]))
            for g in data.get("gaps", [])[:MAX_GAPS]
        ),
    )


def _time(text: Any) -> datetime:
    """An aware time from ISO text (a naive one is taken as UTC)."""
    when = datetime.fromisoformat(str(text))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _optional_time(text: Any) -> datetime | None:
    return None if text is None else _time(text)


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
