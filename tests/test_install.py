"""Tests for installing sos-docs: a wheel works outside the checkout, and the dependencies are declared.

The wheel test is what IT does when installing the service: build the wheel, install it into a
fresh virtual environment, and run the first commands from a folder that is not the checkout.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
# What a wheel is built from: the rest of the repository is not part of the package.
BUILD_INPUTS = ("pyproject.toml", "README.md", "sos_docs", "templates")
# Modules that come with LibreOffice's Python (python3-uno), not from the package index: only
# sos_docs/documents/uno_bridge.py imports them, and it runs under LibreOffice's Python.
LIBREOFFICE_MODULES = {"uno", "com"}
STEP_TIMEOUT = 300


def _declared_names() -> set[str]:
    """The distribution names in [project] dependencies, normalised."""
    names = set()
    for requirement in PYPROJECT["project"]["dependencies"]:
        names.add(_normalise(re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0]))
    return names


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_level_modules() -> set[str]:
    """Every top-level module an `import` in sos_docs/ names (including those inside functions)."""
    modules = set()
    for path in (PROJECT / "sos_docs").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules


def test_every_imported_third_party_package_is_declared() -> None:
    """Each package sos_docs imports that is not in the standard library is a declared dependency."""
    from_distribution = importlib.metadata.packages_distributions()
    third_party = sorted(
        _imported_top_level_modules()
        - set(sys.stdlib_module_names)
        - LIBREOFFICE_MODULES
        - {"sos_docs"}
    )
    undeclared = [
        f"{module} (from {', '.join(from_distribution.get(module, ['an unknown distribution']))})"
        for module in third_party
        if not {_normalise(d) for d in from_distribution.get(module, [])} & _declared_names()
    ]
    assert not undeclared, f"imported but not in [project] dependencies: {', '.join(undeclared)}"


def _pinned_series() -> dict[str, str]:
    """The dependencies pinned to a minor series (`name==X.Y.*`), as {name: "X.Y"}."""
    pinned = {}
    for requirement in PYPROJECT["project"]["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\d+\.\d+)\.\*", requirement)
        if match:
            pinned[match.group(1)] = match.group(2)
    return pinned


def test_the_packages_whose_internals_are_used_are_pinned_to_a_minor_series() -> None:
    """openpyxl, python-docx and docxtpl, whose private internals sos_docs uses, are pinned."""
    assert set(_pinned_series()) == {"openpyxl", "python-docx", "docxtpl"}


@pytest.mark.parametrize("name", sorted(_pinned_series()))
def test_the_installed_version_is_the_pinned_series(name: str) -> None:
    """The installed release of a pinned package is in the series sos_docs was tested with."""
    series = _pinned_series()[name]
    installed = importlib.metadata.version(name)
    assert installed.startswith(f"{series}."), (
        f"{name} {installed} is installed, but sos-docs is tested with {name} {series}.x and uses "
        f"its private internals: install {name}=={series}.* (pip install -e .), or test the new "
        f"release and change the pin in pyproject.toml."
    )


# ---------------------------------------------------------------------------------------------
# The wheel, installed into a fresh virtual environment outside the checkout


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a step and fail the test with its output when it does not succeed."""
    environment = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        env=environment,
    )
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel built from this checkout installed in it."""
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        copy = shutil.copytree if (PROJECT / name).is_dir() else shutil.copy2
        copy(PROJECT / name, source / name)  # type: ignore[operator]
    wheels = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), "."], source)
    (wheel,) = wheels.glob("sos_docs-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], base)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], base)
    shutil.rmtree(source)  # nothing may still be read from the source tree
    return venv


@pytest.mark.skipif(sys.platform == "win32", reason="the venv layout differs on Windows")
def test_a_wheel_installed_outside_the_checkout_runs_the_first_commands(
    installed: Path, tmp_path: Path
) -> None:
    """From a folder outside the checkout the installed wheel makes, checks, renders and watches."""
    sos_docs = str(installed / "bin" / "sos-docs")
    here = tmp_path / "elsewhere"
    here.mkdir()

    made = _run([sos_docs, "new-workbook", "example.xlsx", "--example"], here)
    assert made.stdout == "Wrote the example mapping workbook to example.xlsx\n"

    checked = _run([sos_docs, "validate", "example.xlsx"], here)
    assert checked.stdout.endswith(
        "Checked 1 workbook: 0 workbooks with errors, 0 errors, 0 warnings.\n"
    )

    rendered = _run([sos_docs, "render", "example.xlsx", "--out", "out"], here)
    documents = sorted(p.name for p in (here / "out").rglob("*.docx"))
    # The report's professional and family copies (Leo's words are withheld) and the story.
    assert len(documents) == 3, rendered.stdout
    wrote = [line for line in rendered.stdout.splitlines() if line.startswith("Wrote ")]
    assert len(wrote) == 3 and all(line.startswith("Wrote out/") for line in wrote)

    root = here / "team"
    (root / "inbox").mkdir(parents=True)
    doctor = _run([sos_docs, "doctor", str(root)], here)
    shipped = installed.resolve() / "lib"
    template_lines = [line for line in doctor.stdout.splitlines() if "template for" in line]
    assert len(template_lines) == 3, doctor.stdout  # report, story, record of the mapping
    for line in template_lines:
        assert line.startswith("  OK    template for "), doctor.stdout
        assert str(shipped) in line and "site-packages/sos_docs/templates/" in line, line
    assert doctor.stdout.endswith("Checked 1 folder: 0 with failing checks.\n")

    shutil.copy(here / "example.xlsx", root / "inbox" / "example.xlsx")
    _run([sos_docs, "watch", str(root), "--once", "--settle", "0.2"], here)
    assert [p.name for p in (root / "processed").iterdir()] == ["example.xlsx"]
    assert len(list((root / "reports").rglob("*.docx"))) == 3
    assert [p.name for p in (root / "inbox").iterdir()] == ["How to use this folder.txt"]
