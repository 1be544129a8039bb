"""Builds the example extra document template in templates/extra/, reproducibly, with python-docx.

    python scripts/build_extra_templates.py [OUT_DIR]

An extra document is one a team adds in its sos-docs.toml without any code:

    [[documents]]
    name = "Core group agenda"
    template = "extra/core_group_agenda.docx"

This script is the reviewable source of the shipped example, the agenda of a core group
meeting. It uses the same helpers and styles as scripts/build_templates.py, and only fields of
`sos_docs.documents.fields` (tests run `check_template` on it and compare it with the committed file byte
for byte, so run this script after changing it and commit both).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH


def _load_base() -> ModuleType:
    """scripts/build_templates.py, whose helpers and styles this template shares."""
    spec = importlib.util.spec_from_file_location(
        "build_templates", Path(__file__).with_name("build_templates.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


base = _load_base()
EXTRA_DIR = base.TEMPLATES_DIR / "extra"
AGENDA_FILE = "core_group_agenda.docx"


def build_core_group_agenda() -> DocumentObject:
    """The agenda of a core group meeting: who comes, and the map to review item by item."""
    doc = Document()
    base.set_page(doc, side_cm=2.0)
    base.report_styles(doc)
    base.header_and_footer(doc, size=9)
    _heading(doc)
    _invited(doc)
    _agenda(doc)
    base._core_properties(doc, "Core group meeting agenda")
    return doc


def _heading(doc: DocumentObject) -> None:
    base.tag(doc, "{%p if logo %}")
    base.para(doc, "{{ logo }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    base.tag(doc, "{%p endif %}")
    base.tag(doc, "{%p if local_authority %}")
    base.para(doc, "{{ local_authority }}", style="Subtitle")
    base.tag(doc, "{%p endif %}")
    base.para(doc, "Core group meeting: agenda", style="Title")
    base.key_value_table(
        doc,
        [
            ("Children", "{{ children_names }}"),
            ("Case reference", "{{ case_reference }}"),
            ("Team", "{{ team }}"),
            ("Lead worker", "{{ author_name }}, {{ author_role }}"),
            ("Contact", "{{ author_contact }}"),
            (
                "Last meeting",
                "{{ meeting_type }}{% if meeting_date %}, {{ meeting_date }}{% endif %}",
            ),
            ("Mapping date", "{{ mapping_date }}"),
        ],
        widths=(4.0, 13.0),
    )


def _invited(doc: DocumentObject) -> None:
    doc.add_heading("Who is invited", 1)
    base.tag(doc, "{%p for p in household %}")
    base.para(doc, "{{ p.name }}", " ({{ p.relationship }})", style="List Bullet")
    base.tag(doc, "{%p endfor %}")
    base.tag(doc, "{%p for p in network %}")
    base.para(
        doc,
        "{{ p.name }}",
        " ({{ p.relationship }}{% if p.agency %}, {{ p.agency }}{% endif %})",
        style="List Bullet",
    )
    base.tag(doc, "{%p endfor %}")


def _agenda(doc: DocumentObject) -> None:
    doc.add_heading("1. Welcome and introductions", 1)
    base.para(
        doc,
        "Everyone says who they are and how they know {{ children_first_names }}. "
        "The chair explains what the meeting is for and how the notes will be shared.",
    )

    doc.add_heading("2. What the children have said", 1)
    base.tag(doc, "{%p for v in children_views %}")
    base.para(doc, "{{ v.child }}: ", "{{ v.worries or 'No worries recorded.' }}", bold_first=True)
    base.tag(doc, "{%p else %}")
    base.para(doc, "No child's views are recorded yet: agree who will talk with the children.")
    base.tag(doc, "{%p endfor %}")

    doc.add_heading("3. Danger statements and safety goals", 1)
    base.tag(doc, "{%p for d in danger_statements %}")
    doc.add_heading("Danger statement {{ d.number }}", 2)
    base.para(doc, "{{ d.statement }}")
    base.tag(doc, "{%p for g in d.goals %}")
    base.para(doc, "Safety goal: ", "{{ g.goal }}", style="List Bullet", bold_first=True)
    base.tag(doc, "{%p endfor %}")
    base.tag(doc, "{%p endfor %}")

    doc.add_heading("4. Progress on the next steps", 1)
    base.loop_table(
        doc,
        ("No.", "Action", "Who", "By when", "Status", "Update at this meeting"),
        (
            "{{ s.number }}",
            "{{ s.action }}",
            "{{ s.who }}",
            "{{ s.by_when }}",
            "{{ s.status }}",
            "",
        ),
        "for s in next_steps",
        widths=(1.1, 5.6, 2.6, 2.3, 2.0, 3.4),
    )

    doc.add_heading("5. Scaling: where are we now?", 1)
    base.para(doc, "0 means: ", "{{ scale_zero_means }}", bold_first=True)
    base.para(doc, "10 means: ", "{{ scale_ten_means }}", bold_first=True)
    base.loop_table(
        doc,
        ("Who", "About", "Last score", "Score today"),
        ("{{ s.participant }}", "{{ s.about }}", "{{ s.score }}", ""),
        "for s in scores",
        widths=(4.5, 6.5, 2.5, 3.5),
    )

    base.tag(doc, "{%p if safety_rules %}")
    doc.add_heading("6. The safety plan", 1)
    base.tag(doc, "{%p for r in safety_rules %}")
    base.para(doc, "{{ r.rule }}", " ({{ r.who }})", style="List Bullet")
    base.tag(doc, "{%p endfor %}")
    base.tag(doc, "{%p endif %}")

    doc.add_heading("What happens next", 1)
    base.para(doc, "New next steps: who does what, by when.")
    base.tag(doc, "{%p if review_date %}")
    base.para(doc, "Review date: ", "{{ review_date }}", bold_first=True)
    base.tag(doc, "{%p else %}")
    base.para(doc, "Date of the next meeting: ______________________")
    base.tag(doc, "{%p endif %}")


def build_all() -> dict[str, bytes]:
    """The extra templates as bytes, by file name."""
    return {AGENDA_FILE: base.reproducible_bytes(build_core_group_agenda())}


def main(argv: Sequence[str] = ()) -> int:
    out_dir = Path(argv[0]) if argv else EXTRA_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in build_all().items():
        (out_dir / name).write_bytes(data)
        print(f"wrote {out_dir / name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
