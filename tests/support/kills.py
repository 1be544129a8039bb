"""Killing a running service while it is busy: the shared step of the SIGKILL tests.

A service that works through a burst in a second or two is idle most of the time a fixed
sleep gives it, so a kill after a random sleep often hits it between bursts. These kills
wait instead for the service to take a random few more workbooks out of the inbox (each
taken workbook is a job begun), then strike within a few milliseconds: at a random moment
of real work.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

POLL_SECONDS = 0.005


def waiting_in(inbox: Path) -> int:
    """How many files wait in the inbox (hidden ones left out)."""
    return sum(1 for p in inbox.iterdir() if not p.name.startswith("."))


def kill_while_busy(
    process: subprocess.Popen[bytes],
    inbox: Path,
    chance: random.Random,
    *,
    most_taken: int = 6,
    timeout: float = 60.0,
) -> int:
    """SIGKILL the service once it has taken 1 to `most_taken` more workbooks (or the inbox is
    empty), after a further 0 to 30 ms; returns how many it took in this run."""
    before = waiting_in(inbox)
    wanted = chance.randint(1, most_taken)
    deadline = time.monotonic() + timeout
    while (
        before - waiting_in(inbox) < wanted
        and waiting_in(inbox) > 0
        and process.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(POLL_SECONDS)
    time.sleep(chance.uniform(0.0, 0.03))
    process.kill()
    assert process.wait(10) == -signal.SIGKILL
    return before - waiting_in(inbox)
