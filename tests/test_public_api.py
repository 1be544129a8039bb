"""Tests for the public API: what `import sos_docs` offers, pinned, and that it works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sos_docs
from sos_docs import pipeline
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

EXPORTED = {
    "DEFAULT_CONFIG",
    "Config",
    "ConfigError",
    "DeliveryError",
    "JournalError",
    "Level",
    "MappingCase",
    "PdfError",
    "Picture",
    "Problem",
    "RenderError",
    "SosDocsError",
    "TemplateError",
    "Validation",
    "WorkbookError",
    "__version__",
    "check_workbook",
    "load_config",
    "process_workbook",
    "render_case",
}


def test_the_exported_names_are_exactly_the_public_api() -> None:
    """`__all__` lists exactly the pinned names, each importable from the package."""
    assert set(sos_docs.__all__) == EXPORTED
    assert len(sos_docs.__all__) == len(EXPORTED)
    for name in EXPORTED:
        assert getattr(sos_docs, name) is not None


def test_every_error_is_an_sos_docs_error() -> None:
    """Each exported error class belongs to the one error tree."""
    errors = [getattr(sos_docs, n) for n in EXPORTED if n.endswith("Error")]
    assert errors and all(issubclass(e, sos_docs.SosDocsError) for e in errors)


def test_the_functions_take_what_the_pipeline_takes(tmp_path: Path) -> None:
    """check_workbook, render_case and process_workbook give what the pipeline gives."""
    path = WorkbookBuilder().write(tmp_path / "case.xlsx")
    validation = sos_docs.check_workbook(path, today=EXAMPLE_TODAY)
    assert validation == pipeline.check_workbook(path, today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None
    rendered = sos_docs.render_case(validation.case)
    # The report twice (professional and family copy: Leo's words are withheld), then the story.
    assert [(d.kind, d.copy) for d in rendered] == [
        (pipeline.REPORT, "professional copy"),
        (pipeline.REPORT, "family copy"),
        (pipeline.WORDS_AND_PICTURES, ""),
    ]
    result = sos_docs.process_workbook(path, tmp_path / "out", today=EXAMPLE_TODAY)
    assert result.ok and len(result.documents) == len(rendered)
    assert all(p.is_file() and p.is_relative_to(tmp_path / "out") for p in result.documents)


def test_a_bad_workbook_is_problems_not_an_exception(tmp_path: Path) -> None:
    """A file that is not a workbook gives a WB001 problem through the public API."""
    path = tmp_path / "not.xlsx"
    path.write_bytes(b"not a zip")
    validation = sos_docs.check_workbook(path)
    assert not validation.ok
    assert [(p.code, p.level) for p in validation.problems] == [("WB001", sos_docs.Level.ERROR)]


def test_importing_the_package_does_not_load_the_pipeline() -> None:
    """`import sos_docs` leaves openpyxl and docxtpl unloaded, so the CLI starts quickly."""
    code = (
        "import sys, sos_docs; "
        "print(sorted(m for m in ('openpyxl', 'docxtpl', 'sos_docs.pipeline') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_file_functions_take_a_plain_file_name_too(tmp_path: Path) -> None:
    """`check_workbook("x.xlsx")` works as a Path does (it raised AttributeError on a str)."""
    path = WorkbookBuilder().write(tmp_path / "case.xlsx")
    assert sos_docs.check_workbook(str(path), today=EXAMPLE_TODAY).ok
    outcome = sos_docs.process_workbook(str(path), str(tmp_path / "out"), today=EXAMPLE_TODAY)
    assert outcome.ok and all(p.is_file() for p in outcome.documents)
