"""sos_docs.loading: modules loaded with the garbage collector paused, in sos-docs' own
processes only, and the collector running again once they are loaded."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sos_docs import loading
from sos_docs.workbook.example import write_example

# `python -m sos_docs ARGS` as runpy runs it, writing the collector's state at exit.
_RUN = """
import atexit, gc, json, runpy, sys
out, sys.argv = sys.argv[1], ["sos-docs", *sys.argv[2:]]
state = lambda: {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
atexit.register(lambda: open(out, "w").write(json.dumps(state())))
runpy.run_module("sos_docs", run_name="__main__", alter_sys=True)
"""


def test_loading_changes_nothing_in_a_process_that_is_not_sos_docs_own() -> None:
    """A test or a program importing sos_docs keeps its collector as it was: no pause, and
    none of its objects frozen (they would never be freed)."""
    frozen = gc.get_freeze_count()
    assert gc.isenabled()
    with loading.loading():
        assert gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_in_its_own_process_the_collector_pauses_while_loading_and_runs_after() -> None:
    """own_process freezes what is loaded; `loading` pauses the collector for its block only,
    also when the block fails, and leaves a paused collector paused."""
    script = """
import gc
from sos_docs import loading
gc.disable()
loading.own_process()
assert gc.isenabled() and gc.get_freeze_count() > 0
with loading.loading():
    assert not gc.isenabled()
    import json
assert gc.isenabled()
try:
    with loading.loading():
        raise KeyError
except KeyError:
    pass
assert gc.isenabled()
gc.disable()
with loading.loading():
    pass
assert not gc.isenabled()
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_a_command_ends_with_the_collector_running(tmp_path: Path) -> None:
    """`python -m sos_docs validate` pauses the collector only while it loads: by the end it
    runs, and what was loaded is frozen."""
    workbook = write_example(tmp_path / "example.xlsx")
    out = tmp_path / "gc.json"
    subprocess.run(
        [sys.executable, "-P", "-c", _RUN, str(out), "validate", str(workbook)],
        capture_output=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    state = json.loads(out.read_text())
    assert state["enabled"] is True
    assert state["frozen"] > 0


def test_a_lazy_pattern_is_compiled_at_first_use_and_acts_as_the_pattern() -> None:
    """Nothing is compiled until used; then match, fullmatch, sub (with a text or a function)
    and split are the compiled pattern's."""
    lazy = loading.LazyPattern(r"\s*-\s*|(?P<x>X)", re.IGNORECASE)
    plain = re.compile(r"\s*-\s*|(?P<x>X)", re.IGNORECASE)
    assert lazy._compiled is None
    for text in ("a - b - c", "x-y", "", "X"):
        found, expected = lazy.match(text), plain.match(text)
        assert (found and found.groupdict()) == (expected and expected.groupdict())
        assert lazy.sub("+", text) == plain.sub("+", text)
        assert lazy.sub("+", text, count=1) == plain.sub("+", text, count=1)
        assert lazy.split(text) == plain.split(text)
        found, expected = lazy.fullmatch(text), plain.fullmatch(text)
        assert (found and found.groupdict()) == (expected and expected.groupdict())
        assert lazy.sub(lambda m: f"<{m.group()}>", text) == plain.sub(
            lambda m: f"<{m.group()}>", text
        )
    assert lazy.compiled is lazy.compiled


def test_validate_compiles_none_of_the_one_page_maps_patterns(tmp_path: Path) -> None:
    """A standard workbook is no one-page map: `validate` never compiles its patterns."""
    workbook = write_example(tmp_path / "example.xlsx")
    script = f"""
from sos_docs import pipeline
from sos_docs.workbook import one_page
pipeline.check_workbook(__import__("pathlib").Path({str(workbook)!r}))
lazy = [v for v in vars(one_page).values() if type(v).__name__ == "LazyPattern"]
assert len(lazy) == 13 and all(v._compiled is None for v in lazy), lazy
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_leave_runs_the_exit_handlers_flushes_and_exits_with_the_status() -> None:
    """In its own process, leave runs what atexit holds and flushes the streams before
    os._exit; elsewhere it is sys.exit."""
    script = """
import atexit, sys
from sos_docs import loading
atexit.register(lambda: print("exit handler ran"))
print("buffered", end="")
loading.own_process()
loading.leave(3)
"""
    done = subprocess.run(
        [sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "bufferedexit handler ran\n"
    with pytest.raises(SystemExit) as raised:
        loading.leave(4)
    assert raised.value.code == 4


def test_watch_once_ends_with_its_log_written(tmp_path: Path) -> None:
    """`watch --once` in a real process ends with status 0 and its log file complete."""
    root = tmp_path / "root"
    (root / "inbox").mkdir(parents=True)
    write_example(root / "inbox" / "example.xlsx")
    done = subprocess.run(
        [sys.executable, "-P", "-m", "sos_docs", "watch", str(root), "--once", "--settle", "0.2"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert len(list((root / "processed").rglob("*.xlsx"))) == 1
    log = (root / ".sos-docs" / "sos-docs.log").read_text()
    assert log.splitlines()[-1].endswith("0 left in the work area to retry.")
