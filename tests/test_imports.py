"""What a `python -m sos_docs` process loads: each command only the libraries it uses.

Each test runs the real command in a new process and reads which modules it had loaded when it
ended (its `sys.modules`, written at exit). No timing: benchmarks/bench.py measures that.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sos_docs.workbook.example import write_example

# The documents' libraries: `validate` and the service's main process never make a document.
DOCUMENT_LIBRARIES = ("docxtpl", "docx", "jinja2")
# Run sos-docs' own __main__ as `python -m sos_docs` does, and write sys.modules at exit.
_RUN = """
import atexit, json, runpy, sys
out, sys.argv = sys.argv[1], ["sos-docs", *sys.argv[2:]]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
runpy.run_module("sos_docs", run_name="__main__", alter_sys=True)
"""


def modules_loaded(tmp_path: Path, *args: str) -> set[str]:
    """The modules the command `sos-docs ARGS` had loaded when it ended (it must succeed)."""
    out = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-P", "-c", _RUN, str(out), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    return set(json.loads(out.read_text()))


def _under(modules: set[str], package: str) -> list[str]:
    return sorted(m for m in modules if m == package or m.startswith(f"{package}."))


def test_validate_loads_no_document_library_and_no_other_countries(tmp_path: Path) -> None:
    """`sos-docs validate` on the example (a conference, shared with the parents on a date, so
    its bank holidays are counted) loads neither the documents wing nor docxtpl, python-docx or
    Jinja, and of the holidays library's 250 countries none but the United Kingdom."""
    workbook = write_example(tmp_path / "example.xlsx")
    modules = modules_loaded(tmp_path, "validate", str(workbook))
    assert "sos_docs.workbook.validate" in modules  # it did validate, here
    for package in (*DOCUMENT_LIBRARIES, "sos_docs.documents"):
        assert _under(modules, package) == [], package
    assert "holidays.countries" not in modules
    assert _under(modules, "holidays.countries.france") == []
    # The service's log files (logging.handlers, with socket and pickle) are the service's only.
    assert "logging.handlers" not in modules
    assert "sos_docs.service.log_file" not in modules


def test_validate_loads_only_what_the_workbook_needs(tmp_path: Path) -> None:
    """`sos-docs validate` on a standard workbook, without a team layout or a settings file,
    loads neither the pipeline (the history of a review), reading a one-page map, a team's
    layout, nor a TOML parser: each is loaded when a workbook or root needs it."""
    workbook = write_example(tmp_path / "example.xlsx")
    modules = modules_loaded(tmp_path, "validate", str(workbook))
    assert "sos_docs.workbook.check" in modules  # it did read and validate, here
    for module in (
        "sos_docs.pipeline",
        "sos_docs.workbook.history",
        "sos_docs.workbook.one_page",
        "sos_docs.workbook.team_layout",
        "tomllib",
    ):
        assert module not in modules, module


def test_the_scripts_entry_point_module_runs_nothing_when_imported(tmp_path: Path) -> None:
    """The `sos-docs` script imports `main` from sos_docs.__main__ (which pauses the collector
    while the command line loads, as `python -m sos_docs` does): importing it runs no command
    and leaves the collector on (a review found it off for good after the import)."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, sos_docs.__main__ as m; print(callable(m.main), gc.isenabled())",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.stdout == "True True\n"


def test_help_loads_neither_workbooks_nor_bank_holidays(tmp_path: Path) -> None:
    """`sos-docs --help` loads no workbook reader and no bank holidays."""
    modules = modules_loaded(tmp_path, "--help")
    assert "click" in modules
    for package in ("holidays", "openpyxl", "PIL", *DOCUMENT_LIBRARIES, "sos_docs.pipeline"):
        assert _under(modules, package) == [], package


def test_the_services_main_process_loads_no_bank_holidays_or_documents(tmp_path: Path) -> None:
    """`watch --once` makes a workbook's documents in a worker process; the service's own
    process (claim, journal, moves, PDF copies) counts no working days and renders nothing."""
    root = tmp_path / "root"
    (root / "inbox").mkdir(parents=True)
    write_example(root / "inbox" / "example.xlsx")
    time.sleep(0.3)  # older than --settle: taken at once
    modules = modules_loaded(tmp_path, "watch", str(root), "--once", "--settle", "0.2")
    assert len(list((root / "processed").rglob("*.xlsx"))) == 1  # it was processed
    assert list((root / "reports").rglob("*.docx"))
    rendering = ("sos_docs.documents.context", "sos_docs.documents.render")  # pdf.py it may use
    for package in ("holidays", *DOCUMENT_LIBRARIES, *rendering):
        assert _under(modules, package) == [], package
