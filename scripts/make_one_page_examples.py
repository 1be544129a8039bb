"""Write the example family's two one-page maps into docs/examples/ (or OUT_DIR).

    python scripts/make_one_page_examples.py [OUT_DIR]

`one-page-map-lines.xlsx` has each part's items as bulleted lines within a cell (Alt+Enter),
`one-page-map-cells.xlsx` one item a cell; both score on a grid. They are made by the test
support builder (tests/support/one_page.py) from the example family's rows
(sos_docs/workbook/example.py), for the day the example's dates were written for, and are
replaced if they are there. Where LibreOffice and pdftoppm are installed, the lines map's first
printed page (the map itself) becomes docs/one-page-map.png, the README's picture.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the builder lives in tests/support/

from sos_docs.workbook.example import WRITTEN_FOR  # noqa: E402
from tests.support.one_page import EXAMPLE_MAP_NAMES, LINES, example_map  # noqa: E402

PICTURE = ROOT / "docs" / "one-page-map.png"
RESOLUTION = "110"  # readable on GitHub at the README's width
TIMEOUT = 180  # seconds for LibreOffice to print the workbook


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "examples"
    written: dict[str, Path] = {}
    for shape, name in EXAMPLE_MAP_NAMES.items():
        (out / name).unlink(missing_ok=True)
        written[shape] = example_map(out, shape, WRITTEN_FOR)
        print(written[shape])
    if not shutil.which("soffice") or not shutil.which("pdftoppm"):
        print("LibreOffice or pdftoppm is not installed: the picture is not made", file=sys.stderr)
        return 0
    print(picture_of(written[LINES], PICTURE))
    return 0


def picture_of(workbook: Path, png: Path) -> Path:
    """The workbook's first printed page (the map) as a PNG."""
    with tempfile.TemporaryDirectory(prefix="sos-docs-map-") as temp:
        folder = Path(temp)
        subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless",
             "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
            check=True, capture_output=True, timeout=TIMEOUT,
        )  # fmt: skip
        pdf = folder / (workbook.stem + ".pdf")
        stem = folder / "page"
        subprocess.run(
            ["pdftoppm", "-f", "1", "-l", "1", "-r", RESOLUTION, "-png", "-singlefile",
             str(pdf), str(stem)],
            check=True, capture_output=True, timeout=TIMEOUT,
        )  # fmt: skip
        shutil.copyfile(stem.with_suffix(".png"), png)
    return png


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
