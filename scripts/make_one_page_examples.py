"""Write the example family's two one-page maps into docs/examples/ (or OUT_DIR).

    python scripts/make_one_page_examples.py [OUT_DIR]

`one-page-map-lines.xlsx` has each part's items as bulleted lines within a cell (Alt+Enter),
`one-page-map-cells.xlsx` one item a cell; both score on a grid. They are made by the test
support builder (tests/support/one_page.py) from the example family's rows
(sos_docs/workbook/example.py), for the day the example's dates were written for, and are
replaced if they are there.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the builder lives in tests/support/

from sos_docs.workbook.example import WRITTEN_FOR  # noqa: E402
from tests.support.one_page import EXAMPLE_MAP_NAMES, example_map  # noqa: E402


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "examples"
    for shape, name in EXAMPLE_MAP_NAMES.items():
        (out / name).unlink(missing_ok=True)
        print(example_map(out, shape, WRITTEN_FOR))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
