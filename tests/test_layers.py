"""The import-linter contract in pyproject.toml: the package's layers, checked on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_the_layers_contract_is_kept() -> None:
    """cli -> service -> pipeline -> {documents, workbook} -> base, lazy imports included."""
    # --no-cache: the checker writes nothing into the checkout.
    found = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(PROJECT / "pyproject.toml")],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert found.returncode == 0, found.stdout + found.stderr
    assert "1 kept, 0 broken" in found.stdout
