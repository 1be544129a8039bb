"""Render the showcase: each scenario workbook, its documents and their PDFs, with page counts.

    python scripts/render_showcase.py OUT_DIR [--today YYYY-MM-DD]

For each scenario of tests/support/scenarios.py (the example family's initial and review
conferences, a five-child sibling group, a pre-birth conference, a core group record) it writes
the workbook into OUT_DIR/<scenario>/, runs the real pipeline (`process_workbook`) with PDF
copies by LibreOffice, and prints a table: scenario, document, pages. The review is processed
after the initial conference and is given it as its earlier workbook (as `render --previous`).
Exits 1 when a scenario's workbook has errors or LibreOffice is not installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the scenarios live in tests/support/

from sos_docs.config import Config  # noqa: E402
from sos_docs.documents.pdf import PdfConverter  # noqa: E402
from sos_docs.pipeline import ProcessResult, earlier_files, process_workbook  # noqa: E402
from tests.support.scenarios import SCENARIOS  # noqa: E402

PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
EARLIER = {"example-review": "example-initial"}  # a review and the workbook it looks back on


def main(argv: list[str] | None = None) -> int:
    """Write, process and convert every scenario; print the table; 0 when all were made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args(argv)
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str]] = []
    failed = False
    workbooks: dict[str, Path] = {}
    with PdfConverter() as converter:
        if not converter.available():
            print(f"LibreOffice is needed: {converter.unavailable_reason}", file=sys.stderr)
            return 1
        for name, scenario in SCENARIOS.items():
            folder = out / name
            workbook = scenario(args.today).write(folder / f"{name}.xlsx")
            workbooks[name] = workbook
            earlier = workbooks.get(EARLIER.get(name, ""))
            result = process(workbook, folder, converter, args.today, earlier)
            if not result.ok:
                failed = True
                for problem in result.validation.errors:
                    rows.append((name, f"ERROR {problem.code} {problem.where}", "-"))
                continue
            note = " (with the initial conference as history)" if earlier else ""
            for pdf in result.pdfs:
                rows.append((name, pdf.relative_to(out).as_posix() + note, str(pages(pdf))))
            if len(result.pdfs) < len(result.documents):
                failed = True
                rows.append((name, "PDF copies missing: " + "; ".join(result.render_warnings), "-"))
    print_table(rows)
    return 1 if failed else 0


def process(
    workbook: Path,
    folder: Path,
    converter: PdfConverter,
    today: dt.date,
    earlier: Path | None,
) -> ProcessResult:
    """The pipeline on one workbook, with PDFs, given its earlier workbook if it has one."""
    previous = earlier_files([earlier] if earlier else [])
    return process_workbook(
        workbook, folder, Config(pdf=True), today=today, converter=converter, earlier=previous
    )


def pages(pdf: Path) -> int:
    """The number of pages in a PDF LibreOffice wrote (its page objects are not compressed)."""
    return len(PAGE.findall(pdf.read_bytes()))


def print_table(rows: list[tuple[str, str, str]]) -> None:
    """The rows as a Markdown table: scenario, document, pages."""
    print("| Scenario | Document | Pages |")
    print("| --- | --- | --- |")
    for scenario, document, count in rows:
        print(f"| {scenario} | {document} | {count} |")


if __name__ == "__main__":
    sys.exit(main())
