"""Render the blank workbook's Case and Next steps sheets as printed, to PNGs for the docs.

    python scripts/render_workbook_pages.py [OUT_DIR]

Writes the blank mapping workbook, prints it to PDF with LibreOffice (`soffice --headless
--convert-to pdf`, with its own throwaway profile), finds each sheet's first page by the sheet
name in the page footer, and turns that page into a PNG with `pdftoppm -r 60`:
OUT_DIR/workbook-case-sheet.png and OUT_DIR/workbook-next-steps-sheet.png (OUT_DIR defaults to
docs/). Also prints how many pages each sheet takes. Exits 1 when LibreOffice or pdftoppm is
missing or a sheet's page cannot be found.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sos_docs.workbook.blank import write_blank_workbook

ROOT = Path(__file__).resolve().parent.parent
SHEETS = {"Case": "workbook-case-sheet.png", "Next steps": "workbook-next-steps-sheet.png"}
RESOLUTION = "60"
TIMEOUT = 180  # seconds for LibreOffice to print the workbook


def main(argv: list[str] | None = None) -> int:
    """Write, print and render the blank workbook; 0 when every PNG was made."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=ROOT / "docs")
    args = parser.parse_args(argv)
    missing = [tool for tool in ("soffice", "pdftoppm", "pdftotext") if not shutil.which(tool)]
    if missing:
        print(f"Needed and not installed: {', '.join(missing)}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="sos-docs-workbook-") as temp:
        folder = Path(temp)
        pdf = print_to_pdf(write_blank_workbook(folder / "blank-workbook.xlsx"), folder)
        pages = sheet_pages(pdf)
        for sheet, count in pages.items():
            print(f"{sheet}: {len(count)} page(s)")
        made = 0
        for sheet, png in SHEETS.items():
            if not pages.get(sheet):
                print(f"No page found for the {sheet} sheet", file=sys.stderr)
                continue
            render_page(pdf, pages[sheet][0], args.out_dir / png)
            print(f"Wrote {args.out_dir / png}")
            made += 1
    return 0 if made == len(SHEETS) else 1


def print_to_pdf(workbook: Path, folder: Path) -> Path:
    """The workbook printed by LibreOffice as one PDF, every visible sheet in order."""
    profile = (folder / "profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    return workbook.with_suffix(".pdf")


def sheet_pages(pdf: Path) -> dict[str, list[int]]:
    """Each sheet's page numbers, read from the footer (`<sheet>` ... `Page X of Y`)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages: dict[str, list[int]] = {}
    for number, page in enumerate(text.split("\f"), start=1):
        footer = next((line for line in reversed(page.splitlines()) if "Page " in line), "")
        sheet = footer.split("Page ")[0].strip()
        if sheet:
            pages.setdefault(sheet, []).append(number)
    return pages


def render_page(pdf: Path, page: int, png: Path) -> None:
    """One PDF page as a PNG at a resolution readable on screen."""
    png.parent.mkdir(parents=True, exist_ok=True)
    stem = png.with_suffix("")
    subprocess.run(
        [
            *("pdftoppm", "-r", RESOLUTION, "-png", "-singlefile"),
            *("-f", str(page), "-l", str(page)),
            *(str(pdf), str(stem)),
        ],
        check=True,
        capture_output=True,
    )


if __name__ == "__main__":
    sys.exit(main())
