"""Tests that the repository is self-contained: every document it cites is in it.

The code and tests cite the design documents by file name (`docs/hot-folder.md, guarantee 4`);
a citation of a file that is not in the repository sends a reader nowhere.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SEARCHED = ("sos_docs", "tests", "docs", "scripts", "benchmarks", "templates")
TOP_LEVEL = ("README.md", "CHANGELOG.md")
# A file name ending in .md, with the folders before it; not part of a web address.
MD_REFERENCE = re.compile(r"(?<![\w/.:-])((?:[\w.-]+/)*[\w.-]+\.md)\b")
# "issue 5", "(issue #7)": this project's tracker, which is not in the repository. A named
# upstream project's issue ("docxtpl issue #110") is a public reference and allowed.
OWN_ISSUE = re.compile(r"(?<!docxtpl )(?<!watchdog )\bissues? #?\d+", re.IGNORECASE)


def _files() -> list[Path]:
    found = [PROJECT / name for name in TOP_LEVEL]
    for folder in SEARCHED:
        found += sorted((PROJECT / folder).rglob("*.py")) + sorted((PROJECT / folder).rglob("*.md"))
    return [path for path in found if path.is_file()]


def _resolves(reference: str, cited_in: Path) -> bool:
    """A citation resolves beside the citing file or from the top of the repository."""
    return (cited_in.parent / reference).is_file() or (PROJECT / reference).is_file()


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(PROJECT)))
def test_every_cited_markdown_file_exists(path: Path) -> None:
    """Each `*.md` file named in the code, tests, docs and README is in the repository."""
    text = path.read_text(encoding="utf-8")
    missing = sorted({ref for ref in MD_REFERENCE.findall(text) if not _resolves(ref, path)})
    assert not missing, f"{path.relative_to(PROJECT)} cites files that do not exist: {missing}"


def test_the_pattern_finds_citations_and_skips_web_addresses() -> None:
    """The citation pattern finds bare and pathed names and leaves web addresses alone."""
    bare = "hot-folder" + ".md"  # spelt in two parts so that this file cites no missing file
    text = f"({bare}, guarantee 4), see docs/security.md; https://example.org/x/README.md"
    assert MD_REFERENCE.findall(text) == [bare, "docs/security.md"]


@pytest.mark.parametrize(
    "path",
    [p for p in _files() if p.suffix == ".py"],
    ids=lambda p: str(p.relative_to(PROJECT)),
)
def test_no_module_docstring_cites_an_issue_number(path: Path) -> None:
    """Module docstrings say what they guard against, not which tracker issue asked for it."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    assert not OWN_ISSUE.findall(docstring), docstring
