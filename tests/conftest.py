"""Shared pytest fixtures: the example case, read from a real workbook once per session."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import InMemoryExampleDatabase

from sos_docs.model import MappingCase
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

# Tests write only under pytest's temporary folders: Hypothesis keeps the examples it found in
# memory for the run (a failure still prints how to reproduce it) instead of in .hypothesis/,
# and its other files (a cache of constants) go under the session's temporary folder.
settings.register_profile("sos-docs", database=InMemoryExampleDatabase())
settings.load_profile("sos-docs")


@pytest.hookimpl(trylast=True)  # after pytest's own tmp_path plugin has set up its factory
def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis's own files under pytest's temporary folder (it writes some while tests are
    collected), not in the checkout."""
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    set_hypothesis_home_dir(factory.mktemp("hypothesis"))


@pytest.fixture(scope="session")
def example_case(tmp_path_factory: pytest.TempPathFactory) -> MappingCase:
    """The example workbook written with WorkbookBuilder, read and validated on 28 November 2026."""
    path = WorkbookBuilder().write(tmp_path_factory.mktemp("example") / "example.xlsx")
    validation = validate(read_workbook(path), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


# ---- long runs (fuzz, soak, big bursts) behind --run-slow


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--run-slow` runs the tests marked slow: the long fuzz, soak and load runs."""
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the long fuzz, soak and load tests (marked slow)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the tests marked slow unless --run-slow was given."""
    if config.getoption("--run-slow"):
        return
    skip_slow = pytest.mark.skip(reason="long run: use --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
