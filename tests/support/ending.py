"""Waiting for a real `sos-docs watch` process to end, and saying why when it does not.

A service that does not end in time is asked where each thread of it (and of its worker
processes) is (`kill -USR1`, the service's own stack dump on request), then killed; the test
fails with the end of its log, which then holds those stacks: a stop that hangs once in a
hundred runs is explained by the run it hangs in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.soak import process_tree

DUMP_SECONDS = 2.0  # for the stack dumps to reach the log
LOG_TAIL_CHARACTERS = 20_000


def exit_code(process: subprocess.Popen[bytes], log: Path, seconds: float) -> int:
    """The service's exit code once it has ended within `seconds`; otherwise its stacks are
    dumped into `log`, it is killed, and AssertionError carries the end of the log."""
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        pass
    tree = process_tree(process.pid)
    for pid in tree:  # sos-docs' own: the resource tracker or LibreOffice would die of it
        if is_sos_docs(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGUSR1)
    time.sleep(DUMP_SECONDS)
    for pid in tree:  # no worker left behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    raise AssertionError(
        f"the service had not ended {seconds:g} s after it was asked to; its log ends:\n"
        + text[-LOG_TAIL_CHARACTERS:]
    )


def is_sos_docs(pid: int) -> bool:
    """Whether the process is the service or one of its worker processes."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"sos_docs" in command or b"multiprocessing.spawn" in command
