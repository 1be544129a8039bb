"""Builds the default document templates in templates/, reproducibly, with python-docx.

    python scripts/build_templates.py [OUT_DIR]

The templates are docxtpl Word files a council can open, restyle and reword in Word; this
script is their reviewable source. Every placeholder must be a field of `sos_docs.documents.fields`
(tests run `check_template` on the output and compare it with the committed files byte for
byte, so run this script after changing it and commit both).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
REPORT_FILE = "conference_report.docx"
STORY_FILE = "words_and_pictures.docx"
RECORD_FILE = "mapping_record.docx"

FONT = "Arial"
DARK_BLUE = RGBColor(0x1F, 0x4E, 0x79)
HEADER_FILL = "DCE6F1"
LABEL_FILL = "F2F2F2"
QUIET_GREY = RGBColor(0x59, 0x59, 0x59)  # small print that still reads: 7:1 on white
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
LANGUAGE = "en-GB"
KEY_VALUE_HEADERS = ("Item", "Details")  # the header row of a table of labels and values

# ---------------------------------------------------------------------------------------------
# Styles and page set-up


def set_font(
    style: BaseStyle, size: float, *, bold: bool | None = None, color: RGBColor | None = None
) -> None:
    """A style's font, size, weight and colour, with the theme fonts removed so Word obeys."""
    font = style.font  # type: ignore[attr-defined]
    font.name = FONT
    font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color
    rfonts = style.element.rPr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:cs"), FONT)


def set_document_defaults(doc: DocumentObject) -> None:
    """Arial and British English as the document default, for text outside any style."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr.find(qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), LANGUAGE)
    lang.set(qn("w:eastAsia"), LANGUAGE)


def set_spacing(
    style: BaseStyle, *, before: float = 0, after: float = 6, line: float = 1.15
) -> None:
    fmt = style.paragraph_format  # type: ignore[attr-defined]
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = line


def set_page(doc: DocumentObject, *, side_cm: float, top_cm: float = 2.0) -> None:
    """A4 portrait with the given margins."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Cm(21.0)
    section.page_height = Cm(29.7)
    section.left_margin = section.right_margin = Cm(side_cm)
    section.top_margin = section.bottom_margin = Cm(top_cm)
    section.header_distance = section.footer_distance = Cm(1.0)


def text_width(doc: DocumentObject) -> int:
    section = doc.sections[0]
    return int(section.page_width - section.left_margin - section.right_margin)


# ---------------------------------------------------------------------------------------------
# Content helpers


def para(
    doc: DocumentObject | _Cell, *runs: str, style: str | None = None, bold_first: bool = False
) -> Paragraph:
    """A paragraph of one or more runs; with bold_first the first run is a bold label."""
    paragraph = doc.add_paragraph(style=style)
    for n, text in enumerate(runs):
        run = paragraph.add_run(text)
        if bold_first and n == 0:
            run.bold = True
    return paragraph


def tag(doc: DocumentObject | _Cell, text: str) -> Paragraph:
    """A paragraph holding only a docxtpl `{%p ... %}` tag: it vanishes when rendered."""
    return doc.add_paragraph(text)


def first_cell_paragraph(cell: _Cell, text: str, *, bold: bool = False) -> Paragraph:
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = bold
    return paragraph


def shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def repeat_as_header(row_element: object) -> None:
    """Mark a table row "repeat as header row at the top of each page" (w:tblHeader)."""
    tr_pr = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def set_widths(table: Table, widths: Sequence[float]) -> None:
    """Fixed column widths in centimetres, on the grid and on every cell, as Word expects."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)


def loop_table(
    doc: DocumentObject,
    headers: Sequence[str],
    cells: Sequence[str | Sequence[str]],
    loop: str,
    widths: Sequence[float],
    keep_together: bool = False,
) -> Table:
    """A table with a repeating header row and one row repeated for each item of a list.

    `cells` holds each column's text; a sequence gives the cell several paragraphs. With
    `keep_together` a short table is kept on one page (each row kept with the next).
    """
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, opening, body, closing = table.rows
    repeat_as_header(header._tr)
    for cell, text in zip(header.cells, headers, strict=True):
        first_cell_paragraph(cell, text, bold=True).style = doc.styles["Table Text"]
        shade(cell, HEADER_FILL)
    first_cell_paragraph(opening.cells[0], "{%tr " + loop + " %}")
    # A repeated row stays on one page (Word still breaks a row taller than the page).
    body._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for cell, content in zip(body.cells, cells, strict=True):
        texts = [content] if isinstance(content, str) else list(content)
        first_cell_paragraph(cell, texts[0]).style = doc.styles["Table Text"]
        for text in texts[1:]:
            para(cell, text, style="Table Text")
    first_cell_paragraph(closing.cells[0], "{%tr endfor %}")
    set_widths(table, widths)
    if keep_together:
        for row in (header, body):
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    paragraph.paragraph_format.keep_with_next = True
    return table


def key_value_table(
    doc: DocumentObject,
    rows: Iterable[tuple[str, str]],
    widths: Sequence[float],
    headers: tuple[str, str] = KEY_VALUE_HEADERS,
) -> Table:
    """A two-column table of labels and values (no loop), under a repeating header row so a
    screen reader can say which column a cell is in."""
    pairs = list(rows)
    table = doc.add_table(rows=len(pairs) + 1, cols=2)
    table.style = doc.styles["Table Grid"]
    header = table.rows[0]
    repeat_as_header(header._tr)
    for cell, text in zip(header.cells, headers, strict=True):
        # A real header row (a screen reader names each cell's column) that stays in the
        # background: small, dark grey (7:1 on white), unshaded, as the labels say it all.
        paragraph = first_cell_paragraph(cell, text)
        paragraph.style = doc.styles["Table Text"]
        paragraph.runs[0].font.size = Pt(8)
        paragraph.runs[0].font.color.rgb = QUIET_GREY
    for row, (label, value) in zip(table.rows[1:], pairs, strict=True):
        first_cell_paragraph(row.cells[0], label, bold=True).style = doc.styles["Table Text"]
        shade(row.cells[0], LABEL_FILL)
        first_cell_paragraph(row.cells[1], value).style = doc.styles["Table Text"]
    set_widths(table, widths)
    return table


def add_field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin / instruction / separate / result / end runs."""

    def char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(element)

    char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    char("separate")
    paragraph.add_run(placeholder)
    char("end")


def header_and_footer(doc: DocumentObject, *, size: float) -> None:
    """Marking and case reference at the top; marking and "Page X of Y" at the bottom."""
    section = doc.sections[0]
    width = text_width(doc)
    header_style = doc.styles["Header"]
    style_tabs = header_style.element.find(qn("w:pPr")).find(qn("w:tabs"))
    if style_tabs is not None:  # the starter's centre and right stops assume US Letter
        style_tabs.getparent().remove(style_tabs)
    header_style.paragraph_format.tab_stops.add_tab_stop(width, WD_TAB_ALIGNMENT.RIGHT)
    top = section.header.paragraphs[0]
    top.add_run("{{ protective_marking }}").bold = True
    top.add_run("\tCase reference: {{ case_reference }}")
    for run in top.runs:
        run.font.size = Pt(size)

    bottom = section.footer.paragraphs[0]
    bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
    marking = bottom.add_run("{{ protective_marking }}")
    marking.bold = True
    pages = section.footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run("Page ")
    add_field(pages, "PAGE", "1")
    pages.add_run(" of ")
    add_field(pages, "NUMPAGES", "1")
    for paragraph in (bottom, pages):
        for run in paragraph.runs:
            run.font.size = Pt(size)


# ---------------------------------------------------------------------------------------------
# The conference report


def report_styles(doc: DocumentObject) -> None:
    styles = doc.styles
    set_document_defaults(doc)
    set_font(styles["Normal"], 11)
    set_spacing(styles["Normal"], after=6, line=1.15)
    for name, size, before in (
        ("Heading 1", 16, 18),
        ("Heading 2", 13, 12),
        ("Heading 3", 11.5, 10),
        ("Heading 4", 11, 8),  # the parts of a danger statement's set, under its Heading 3
    ):
        set_font(styles[name], size, bold=True, color=DARK_BLUE)
        set_spacing(styles[name], before=before, after=4, line=1.0)
        styles[name].paragraph_format.keep_with_next = True
    styles["Heading 4"].font.italic = False  # Word's default Heading 4 is italic
    set_font(styles["Title"], 24, bold=True, color=DARK_BLUE)
    set_spacing(styles["Title"], before=0, after=12, line=1.0)
    _plain_title(styles["Title"])
    set_font(styles["Subtitle"], 14, bold=False, color=DARK_BLUE)
    set_font(styles["Quote"], 11, color=RGBColor(0x33, 0x33, 0x33))
    styles["Quote"].paragraph_format.left_indent = Cm(0.8)
    set_font(styles["Caption"], 9, bold=False, color=RGBColor(0x40, 0x40, 0x40))
    set_font(styles["List Bullet"], 11)
    table_text = styles.add_style("Table Text", 1)
    table_text.base_style = styles["Normal"]
    set_font(table_text, 9.5)
    set_spacing(table_text, after=2, line=1.0)


def _plain_title(style: BaseStyle) -> None:
    """Drop the default Title's bottom border and expanded spacing: plain large text."""
    ppr = style.element.find(qn("w:pPr"))
    if ppr is not None and ppr.find(qn("w:pBdr")) is not None:
        ppr.remove(ppr.find(qn("w:pBdr")))
    rpr = style.element.rPr
    for name in ("w:spacing", "w:kern"):
        element = rpr.find(qn(name))
        if element is not None:
            rpr.remove(element)


def build_conference_report() -> DocumentObject:
    """The professional report to a child protection conference, in docs/documents.md's order."""
    doc = Document()
    set_page(doc, side_cm=2.0)
    report_styles(doc)
    header_and_footer(doc, size=9)
    _title(doc)
    _author(doc, "report")
    _family(doc)
    _agencies_and_reason(doc, "Reason for the report")
    _progress(doc)
    _worries(doc)
    _working_well(doc)
    _needs_to_happen(doc)
    _scaling(doc)
    _network_and_plan(doc)
    _decision(doc)
    _signature(doc, "report")
    _core_properties(doc, "{{ document_title_with_copy }}")
    return doc


def build_mapping_record() -> DocumentObject:
    """The record of the mapping for a meeting that is not a conference (core group, child in
    need, family network, strategy): the map itself, with no recommendation for a plan, no
    category of harm and no sharing deadline."""
    doc = Document()
    set_page(doc, side_cm=2.0)
    report_styles(doc)
    header_and_footer(doc, size=9)
    _title(doc)
    _author(doc, "record")
    _family(doc)
    _agencies_and_reason(doc, "Reason for the meeting")
    _worries(doc)
    _working_well(doc)
    _needs_to_happen(doc)
    _scaling(doc)
    _network_and_plan(doc)
    tag(doc, "{%p if review_date %}")
    doc.add_heading("Next meeting", 1)
    para(doc, "The next meeting is on {{ review_date }}.")
    tag(doc, "{%p endif %}")
    _signature(doc, "record")
    _core_properties(doc, "{{ document_title_with_copy }}")
    return doc


def _title(doc: DocumentObject) -> None:
    # The team's logo (the `logo` setting) heads the first page; no logo, no empty line.
    tag(doc, "{%p if logo %}")
    para(doc, "{{ logo }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if local_authority %}")
    para(doc, "{{ local_authority }}", style="Subtitle")
    tag(doc, "{%p endif %}")
    para(doc, "{{ document_title }}", style="Title")
    tag(doc, "{%p if meeting_date %}")
    para(doc, "Meeting date: ", "{{ meeting_date }}", bold_first=True)
    tag(doc, "{%p endif %}")
    para(doc, "Children: ", "{{ children_names }}", bold_first=True)
    para(doc, "Case reference: ", "{{ case_reference }}", bold_first=True)
    # Which copy this is, when something is withheld from the family (docs/documents.md).
    tag(doc, "{%p if copy_note %}")
    note = para(doc, "{{ copy_note }}")
    for run in note.runs:
        run.bold = True
    tag(doc, "{%p endif %}")


def _author(doc: DocumentObject, document: str) -> None:
    doc.add_heading(f"About this {document}", 1)
    key_value_table(
        doc,
        [
            ("Written by", "{{ author_name }}"),
            ("Role", "{{ author_role }}"),
            ("Agency", "{{ author_agency }}"),
            ("Team", "{{ team }}"),
            ("Contact", "{{ author_contact }}"),
            (f"Date of this {document}", "{{ report_date }}"),
            ("Date of the mapping", "{{ mapping_date }}"),
        ],
        widths=(5.0, 12.0),
    )


def _family(doc: DocumentObject) -> None:
    doc.add_heading("The children", 1)
    loop_table(
        doc,
        (
            "Name",
            "Date of birth",
            "Age",
            "Gender",
            "Ethnicity",
            "First language",
            "School or setting",
            "Legal status",
        ),
        (
            "{{ c.name }}{% if c.known_as and c.known_as != c.name %} (known as {{ c.known_as }}){% endif %}",
            "{{ c.date_of_birth }}{% if c.is_unborn %}Due {{ c.expected_due_date }}{% endif %}",
            "{{ c.age }}",
            "{{ c.gender }}",
            "{{ c.ethnicity }}",
            "{{ c.first_language }}{% if c.interpreter_needed == 'Yes' %} (interpreter needed){% endif %}",
            "{{ c.school_or_setting }}",
            "{{ c.legal_status }}{% if c.plan_start_date %} since {{ c.plan_start_date }}{% endif %}",
        ),
        "for c in children",
        widths=(2.8, 2.0, 1.5, 1.8, 2.0, 2.0, 2.2, 2.7),
    )
    # The children's own words come straight after who they are, before any adult's view.
    _children_views(doc)
    doc.add_heading("The household and network", 1)
    doc.add_heading("{{ household_heading }}", 2)
    tag(doc, "{%p if household %}")
    loop_table(
        doc,
        ("Name", "Relationship", "Parental responsibility", "Contact"),
        (
            ("{{ p.name }}", "{%p if p.language %}", "{{ p.language }}", "{%p endif %}"),
            "{{ p.relationship }}",
            "{{ p.parental_responsibility }}",
            "{{ p.contact }}",
        ),
        "for p in household",
        widths=(4.0, 5.0, 3.0, 5.0),
    )
    tag(doc, "{%p else %}")
    para(doc, "No one is recorded in the household.")
    tag(doc, "{%p endif %}")
    doc.add_heading("Family, friends and professionals", 2)
    tag(doc, "{%p if network %}")
    loop_table(
        doc,
        ("Name", "Relationship", "Role", "Agency", "Contact", "Safety network"),
        (
            ("{{ p.name }}", "{%p if p.language %}", "{{ p.language }}", "{%p endif %}"),
            (
                "{{ p.relationship }}",
                "{%p if p.parental_responsibility_words %}",
                "{{ p.parental_responsibility_words }}",
                "{%p endif %}",
            ),
            "{{ p.role }}",
            "{{ p.agency }}",
            "{{ p.contact }}",
            "{{ p.safety_network }}",
        ),
        "for p in network",
        widths=(3.0, 3.4, 2.4, 3.0, 3.4, 1.8),
    )
    tag(doc, "{%p else %}")
    para(doc, "No one else is recorded.")
    tag(doc, "{%p endif %}")


def _agencies_and_reason(doc: DocumentObject, reason_heading: str) -> None:
    tag(doc, "{%p if agency_involvement %}")
    doc.add_heading("Agency involvement", 1)
    loop_table(
        doc,
        ("Agency", "Worker", "Involved since", "What support", "Child last seen"),
        (
            "{{ a.agency }}",
            "{{ a.worker }}",
            "{{ a.involved_since }}",
            "{{ a.what_support }}",
            "{{ a.child_last_seen }}",
        ),
        "for a in agency_involvement",
        widths=(3.2, 2.8, 2.6, 5.8, 2.6),
    )
    tag(doc, "{%p endif %}")
    doc.add_heading(reason_heading, 1)
    para(doc, "{{ reason_for_report }}")


def _worries(doc: DocumentObject) -> None:
    doc.add_heading("What are we worried about?", 1)
    doc.add_heading("Harm", 2)
    para(
        doc,
        "What has already happened to the children. The source says whether it was seen, said by a child, reported or alleged.",
        style="Caption",
    )
    tag(doc, "{%p if harm %}")
    loop_table(
        doc,
        ("Date", "What happened", "Impact on the child", "Children", "Source"),
        (
            "{{ h.date }}",
            (
                "{{ h.what_happened }}",
                "{%p if h.dispute %}",
                "{{ h.dispute }}",
                "{%p endif %}",
                "{%p for v in h.views %}",
                "{{ v.sentence }}",
                "{%p endfor %}",
            ),
            "{{ h.impact_on_child }}",
            "{{ h.children }}",
            "{{ h.source }}",
        ),
        "for h in harm",
        widths=(2.3, 6.0, 4.4, 2.4, 1.9),
    )
    tag(doc, "{%p else %}")
    para(doc, "No harm is recorded.")
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if overall_views %}")
    doc.add_heading("What the family say about the worries", 2)
    tag(doc, "{%p for v in overall_views %}")
    para(doc, "{{ v.sentence }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")

    doc.add_heading("Danger statements", 2)
    para(
        doc,
        "Each danger statement is set out with what each person says about it, its safety goal, the next steps towards the goal and the scores given about it.",
        style="Caption",
    )
    tag(doc, "{%p for d in danger_statements %}")
    _danger_statement_set(doc)
    tag(doc, "{%p endfor %}")

    doc.add_heading("Complicating factors", 2)
    tag(doc, "{%p for f in complicating_factors %}")
    para(doc, "{{ f }}", style="List Bullet")
    tag(doc, "{%p else %}")
    para(doc, "None recorded.")
    tag(doc, "{%p endfor %}")

    doc.add_heading("Grey areas", 2)
    tag(doc, "{%p for g in grey_areas %}")
    para(doc, "{{ g }}", style="List Bullet")
    tag(doc, "{%p else %}")
    para(doc, "None recorded.")
    tag(doc, "{%p endfor %}")


def _danger_statement_set(doc: DocumentObject) -> None:
    """One danger statement read as a set: statement, views, goals, next steps, scores."""
    doc.add_heading("Danger statement {{ d.number }}", 3)
    para(doc, "{{ d.statement }}")
    tag(doc, "{%p if d.views %}")
    _set_label(doc, "What the family say")
    tag(doc, "{%p for v in d.views %}")
    para(doc, "{{ v.sentence }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for g in d.goals %}")
    para(
        doc,
        "Safety goal {{ g.id }}: ",
        "{{ g.goal }}",
        "{% if g.sustained_for %} (to be kept up for {{ g.sustained_for }}){% endif %}",
        bold_first=True,
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if d.next_steps %}")
    _set_label(doc, "Next steps")
    _steps_table(doc, "d.next_steps")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if d.scores %}")
    _set_label(doc, "Scores about this danger statement")
    _score_table(doc, "d.scores")
    tag(doc, "{%p endif %}")


def _set_label(doc: DocumentObject, text: str) -> None:
    """A part of a danger statement's set: a Heading 4 under the statement's Heading 3, so a
    screen reader's list of headings finds it (a bold paragraph only looks like a heading)."""
    doc.add_heading(text, 4)


def _steps_table(doc: DocumentObject, steps: str) -> None:
    """The next steps of a list field (a danger statement's, or the others), one row each."""
    loop_table(
        doc,
        ("No.", "Action", "Who", "By when", "Goal", "Status"),
        (
            "{{ s.number }}",
            "{{ s.action }}",
            "{{ s.who }}",
            "{{ s.by_when }}",
            "{{ s.safety_goal }}",
            "{{ s.status }}",
        ),
        f"for s in {steps}",
        widths=(1.1, 7.0, 3.0, 2.5, 1.3, 2.1),
    )


def _score_table(doc: DocumentObject, scores: str) -> None:
    loop_table(
        doc,
        ("Who", "About", "Score", "Reason", "One point higher"),
        (
            ("{{ s.participant }}", "{{ s.participant_relationship }}"),
            "{{ s.about }}",
            "{{ s.score }}",
            "{{ s.reason }}",
            "{{ s.one_point_higher }}",
        ),
        f"for s in {scores}",
        widths=(3.2, 2.8, 1.7, 5.5, 3.8),
    )


def _working_well(doc: DocumentObject) -> None:
    doc.add_heading("What's working well?", 1)
    doc.add_heading("Existing safety", 2)
    tag(doc, "{%p for s in existing_safety %}")
    para(
        doc,
        "{{ s.what }}",
        "{% if s.who %} ({{ s.who }}){% endif %}{% if s.danger_number %} Danger statement {{ s.danger_number }}.{% endif %}",
        style="List Bullet",
    )
    tag(doc, "{%p else %}")
    para(doc, "Nothing is recorded under existing safety.")
    tag(doc, "{%p endfor %}")
    doc.add_heading("Existing strengths", 2)
    tag(doc, "{%p for s in existing_strengths %}")
    para(doc, "{{ s.what }}", "{% if s.who %} ({{ s.who }}){% endif %}", style="List Bullet")
    tag(doc, "{%p else %}")
    para(doc, "None recorded.")
    tag(doc, "{%p endfor %}")


def _needs_to_happen(doc: DocumentObject) -> None:
    doc.add_heading("What needs to happen?", 1)
    tag(doc, "{%p if danger_statements %}")
    para(
        doc,
        "Each danger statement's safety goal and the next steps towards it are set out with the statement above.",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if other_next_steps %}")
    doc.add_heading("{% if danger_statements %}Other next steps{% else %}Next steps{% endif %}", 2)
    _steps_table(doc, "other_next_steps")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if is_pre_birth or birth_plan %}")
    doc.add_heading("Birth and discharge plan", 2)
    tag(doc, "{%p if birth_plan %}")
    loop_table(
        doc,
        ("Arrangement", "Who", "When"),
        ("{{ b.arrangement }}", "{{ b.who }}", "{{ b.when }}"),
        "for b in birth_plan",
        widths=(9.5, 3.7, 3.8),
    )
    tag(doc, "{%p else %}")
    para(doc, "No birth and discharge plan is recorded yet.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")


def _children_views(doc: DocumentObject) -> None:
    doc.add_heading("The children's views", 1)
    _child_view_loop(doc, "children_views")
    tag(doc, "{%p if not children_views_not_shared %}")
    para(doc, "{{ children_views_note }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    # Only the professional copy has these: a family copy is made without them.
    tag(doc, "{%p if children_views_not_shared %}")
    doc.add_heading("Not to be shared with the family (the child did not agree)", 2)
    _child_view_loop(doc, "children_views_not_shared")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def _child_view_loop(doc: DocumentObject, field: str) -> None:
    """One child's views a section, up to the loop's `else` (or the end of it, after this)."""
    tag(doc, "{%p for v in " + field + " %}")
    doc.add_heading("{{ v.child }}", 2 if field == "children_views" else 3)
    para(
        doc,
        "How: ",
        "{{ v.method or 'Not recorded' }}{% if v.date %}, {{ v.date }}{% endif %}. ",
        "Seen alone: {{ v.seen_alone or 'not recorded' }}. ",
        "Agreed to share: {{ v.consent_to_share or 'not recorded' }}.",
        bold_first=True,
    )
    for label, value in (
        ("Worries", "worries"),
        ("Good things", "good_things"),
        ("Dreams", "dreams"),
    ):
        para(doc, label, style="Heading 3")
        para(doc, "{{ v." + value + " or 'Nothing recorded.' }}", style="Quote")
    if field == "children_views":
        tag(doc, "{%p else %}")


def _scaling(doc: DocumentObject) -> None:
    doc.add_heading("Scaling", 1)
    # The scale's wording stays on the page of its picture.
    for label, field in (("0 means: ", "scale_zero_means"), ("10 means: ", "scale_ten_means")):
        ends = para(doc, label, "{{ " + field + " }}", bold_first=True)
        ends.paragraph_format.keep_with_next = True
    picture = para(doc, "{{ scale_picture }}")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    caption = para(
        doc,
        "Where each person placed the safety of {{ the_children }} on the scale. The scores about each danger statement are set out with the statement.",
        style="Caption",
    )
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    tag(doc, "{%p if overall_scores %}")
    _score_table(doc, "overall_scores")
    tag(doc, "{%p endif %}")
    _score_history(doc)


def _progress(doc: DocumentObject) -> None:
    """A review's "Progress since the last conference": shown for a review conference only."""
    tag(doc, "{%p if progress_shown %}")
    doc.add_heading("Progress since the last conference", 1)
    para(doc, "{{ progress_sentence }}")
    tag(doc, "{%p if progress_dangers %}")
    doc.add_heading("Danger statements then and now", 2)
    # Each statement once; a reworded one adds its words at the last conference below.
    loop_table(
        doc,
        ("No.", "Danger statement", "Since the last conference"),
        (
            "{{ d.number }}",
            (
                "{{ d.statement }}",
                "{%p if d.reworded %}",
                "At the last conference: {{ d.then }}",
                "{%p endif %}",
            ),
            "{{ d.change }}",
        ),
        "for d in progress_dangers",
        widths=(1.1, 12.4, 3.5),
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if progress_goals %}")
    doc.add_heading("Safety goals and next steps", 2)
    tag(doc, "{%p for g in progress_goals %}")
    para(
        doc,
        "{{ g.id }}: ",
        "{{ g.goal }}",
        "{% if g.danger_number %} (danger statement {{ g.danger_number }}){% endif %}",
        bold_first=True,
    )
    tag(doc, "{%p if g.steps %}")
    # Status and deadline then and now side by side, so a deadline that slipped shows.
    loop_table(
        doc,
        ("Next step", "Who", "At the last conference", "Now"),
        (
            "{{ s.action }}",
            "{{ s.who }}",
            (
                "{{ s.status_then }}",
                "{%p if s.by_when_then %}",
                "Due {{ s.by_when_then }}",
                "{%p endif %}",
            ),
            (
                "{{ s.status_now }}",
                "{%p if s.by_when_now %}",
                "Due {{ s.by_when_now }}",
                "{%p endif %}",
                "{%p if s.by_when_change %}",
                "{{ s.by_when_change }}",
                "{%p endif %}",
            ),
        ),
        "for s in g.steps",
        widths=(6.0, 2.6, 4.2, 4.2),
    )
    tag(doc, "{%p else %}")
    para(doc, "No next steps are recorded for this goal.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if progress_scores %}")
    doc.add_heading("Scores then and now", 2)
    para(
        doc,
        "Each person's score now beside their last one and the conference it was for, with what they said then would make it one point higher and why they give the score they give now.",
        style="Caption",
    )
    loop_table(
        doc,
        (
            "Who",
            "About",
            "{{ progress_then_heading }}",
            "Now",
            "Last time, one point higher would be",
            "Why they score it now",
        ),
        (
            "{{ s.participant }}",
            "{{ s.about }}",
            ("{{ s.score_then or '–' }}", "{{ s.then_note }}"),
            ("{{ s.score_now or '–' }}", "{{ s.change }}"),
            "{{ s.one_point_higher_then }}",
            "{{ s.reason_now }}",
        ),
        "for s in progress_scores",
        widths=(2.3, 2.1, 3.2, 1.7, 3.8, 3.9),
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")


def _score_history(doc: DocumentObject) -> None:
    """A review's chart of every score across the case's conferences, when any are known."""
    tag(doc, "{%p if score_history_picture %}")
    doc.add_heading("Scores at each conference", 2)
    picture = para(doc, "{{ score_history_picture }}")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    para(doc, "{{ score_history_caption }}", style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER
    tag(doc, "{%p endif %}")


def _network_and_plan(doc: DocumentObject) -> None:
    doc.add_heading("Safety network and safety plan", 1)
    doc.add_heading("Safety network", 2)
    tag(doc, "{%p if safety_network %}")
    loop_table(
        doc,
        ("Name", "Relationship", "The children call them", "Contact", "Knows the worries"),
        (
            "{{ p.name }}",
            "{{ p.relationship }}",
            "{{ p.name_children_use }}",
            "{{ p.contact }}",
            "{{ p.knows_the_worries }}",
        ),
        "for p in safety_network",
        widths=(3.4, 4.2, 3.2, 4.0, 2.2),
    )
    tag(doc, "{%p else %}")
    para(doc, "No safety network is recorded yet.")
    tag(doc, "{%p endif %}")
    doc.add_heading("Safety plan", 2)
    tag(doc, "{%p if safety_rules %}")
    loop_table(
        doc,
        ("No.", "Rule", "Who", "When", "Danger statement"),
        ("{{ r.number }}", "{{ r.rule }}", "{{ r.who }}", "{{ r.when }}", "{{ r.danger_number }}"),
        "for r in safety_rules",
        widths=(1.1, 7.5, 3.0, 2.8, 2.6),
    )
    tag(doc, "{%p else %}")
    para(doc, "No safety plan has been agreed yet.")
    tag(doc, "{%p endif %}")


def _decision(doc: DocumentObject) -> None:
    doc.add_heading("Recommendation", 1)
    para(doc, "{{ recommendation_sentence }}")
    tag(doc, "{%p for line in recommendation_lines %}")
    para(doc, "{{ line }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if recommendation_lines %}")
    loop_table(
        doc,
        ("Child", "Recommendation", "Category of harm"),
        ("{{ c.name }}", "{{ c.recommendation }}", "{{ c.category_of_harm }}"),
        "for c in children",
        widths=(5.0, 6.5, 5.5),
        keep_together=True,
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if category_of_harm %}")
    para(doc, "Category of harm: ", "{{ category_of_harm }}", bold_first=True)
    tag(doc, "{%p endif %}")
    doc.add_heading("Sharing this report with the family", 1)
    para(doc, "{{ sharing_sentence }}")


def _approval_note(doc: DocumentObject) -> None:
    note = para(doc, "{{ approval_sentence }}", bold_first=True)
    note.paragraph_format.space_before = Pt(8)


def _signature(doc: DocumentObject, document: str) -> None:
    doc.add_heading("Signed", 1)
    key_value_table(
        doc,
        [
            ("Signature", ""),
            ("Name", "{{ author_name }}"),
            ("Role", "{{ author_role }}"),
            ("Agency", "{{ author_agency }}"),
            ("Date", "{{ report_date }}"),
        ],
        widths=(4.0, 13.0),
    )
    signature_row = doc.tables[-1].rows[1]  # under the header row
    signature_row.height = Cm(1.6)
    # A report needs a manager's approval: say plainly when there is none. A record shows it
    # only when a manager is named.
    tag(doc, "{%p if manager_approved %}")
    doc.add_heading("Approved by", 2)
    key_value_table(
        doc,
        [
            ("Name", "{{ manager_name }}"),
            ("Role", "{{ manager_role }}"),
            ("Approved on", "{{ manager_approved_on }}"),
        ],
        widths=(4.0, 13.0),
    )
    tag(doc, "{%p else %}")
    if document == "record":
        tag(doc, "{%p if manager_name %}")
        _approval_note(doc)
        tag(doc, "{%p endif %}")
    else:
        _approval_note(doc)
    tag(doc, "{%p endif %}")


# ---------------------------------------------------------------------------------------------
# Words and pictures


def story_styles(doc: DocumentObject) -> None:
    styles = doc.styles
    set_document_defaults(doc)
    set_font(styles["Normal"], 20)
    set_spacing(styles["Normal"], after=10, line=1.15)
    heading = styles["Heading 1"]
    set_font(heading, 26, bold=True, color=DARK_BLUE)
    # No page break before a page: short pages share a sheet of paper. Each page's heading
    # stays with its picture and words (keep with next, words kept whole).
    set_spacing(heading, before=16, after=8, line=1.0)
    heading.paragraph_format.keep_with_next = True
    set_font(styles["Title"], 40, bold=True, color=DARK_BLUE)
    set_spacing(styles["Title"], before=0, after=24, line=1.1)
    _plain_title(styles["Title"])
    styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(styles["Footer"], 10)
    set_font(styles["Header"], 10)


LIGHT_GREY = RGBColor(0xA6, 0xA6, 0xA6)
DRAW_BOX_LINES = 3  # empty lines above and below "Draw a picture here": a box some 5 cm high


def _border(paragraph: Paragraph, *, colour: str = "7F7F7F") -> None:
    """A dashed frame round a paragraph: the box a child draws in."""
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), "dashed")
        line.set(qn("w:sz"), "12")
        line.set(qn("w:space"), "4")
        line.set(qn("w:color"), colour)
        borders.append(line)
    paragraph._p.get_or_add_pPr().append(borders)


def draw_box(doc: DocumentObject) -> None:
    """An empty framed box, "Draw a picture here", where a page has no picture."""
    box = doc.add_paragraph()
    box.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = box.paragraph_format
    fmt.line_spacing = Pt(19)
    fmt.keep_with_next = True
    fmt.keep_together = True
    fmt.space_after = Pt(12)
    _border(box)
    run = box.add_run()
    for _ in range(DRAW_BOX_LINES):
        run.add_break()
    words = box.add_run("Draw a picture here")
    words.font.size = Pt(16)
    words.font.color.rgb = LIGHT_GREY
    tail = box.add_run()
    for _ in range(DRAW_BOX_LINES):
        tail.add_break()


def story_header_and_footer(doc: DocumentObject) -> None:
    """DRAFT on every page until the family agree the story; the marking and case reference on
    the cover's footer (or every page's, or none: the `story_marking` setting), never the text."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    for header in (section.first_page_header, section.header):
        top = header.paragraphs[0]
        top.alignment = WD_ALIGN_PARAGRAPH.CENTER
        mark = top.add_run("{{ story_draft_mark }}")
        mark.bold = True
        mark.font.size = Pt(20)
        mark.font.color.rgb = LIGHT_GREY
    for footer, field in (
        (section.first_page_footer, "story_cover_marking"),
        (section.footer, "story_footer_marking"),
    ):
        bottom = footer.paragraphs[0]
        bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER
        bottom.add_run("{{ " + field + " }}").font.size = Pt(9)


def build_words_and_pictures() -> DocumentObject:
    """The child's story after Turnell and Essex: a cover, then each page (picture first and
    large, or a box to draw in; the words below) in the order of the story's six questions,
    several short pages to a sheet, and who has read it."""
    doc = Document()
    set_page(doc, side_cm=3.0, top_cm=2.0)  # lines of at most 15 cm: easy to read aloud
    story_styles(doc)
    story_header_and_footer(doc)

    for _ in range(5):
        para(doc, "")
    para(doc, "{{ story_title }}", style="Title")
    para(doc, "{{ report_date }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, "").add_run().add_break(WD_BREAK.PAGE)

    tag(doc, "{%p for p in story_pages %}")
    doc.add_heading("{{ p.heading }}", 1)
    tag(doc, "{%p if p.picture %}")
    picture = para(doc, "{{ p.picture }}")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    tag(doc, "{%p else %}")
    draw_box(doc)
    tag(doc, "{%p endif %}")
    para(doc, "{{ p.words }}").paragraph_format.keep_together = True
    tag(doc, "{%p endfor %}")

    doc.add_heading("Who has read this story", 1)
    tag(doc, "{%p if story_agreed_sentence %}")
    para(doc, "{{ story_agreed_sentence }}").paragraph_format.keep_with_next = True
    tag(doc, "{%p endif %}")
    para(doc, "This story was read with:").paragraph_format.keep_with_next = True
    lines = para(doc, "_______________________")
    for _ in range(2):
        lines.runs[0].add_break()
        lines.runs[0].add_text("_______________________")
    lines.paragraph_format.keep_with_next = True
    tag(doc, "{%p if review_date %}")
    para(doc, "We will all meet again on {{ review_date }} to see how things are going.")
    tag(doc, "{%p endif %}")
    _core_properties(doc, "{{ story_title }}")
    return doc


# ---------------------------------------------------------------------------------------------
# Slim, reproducible output


def _core_properties(doc: DocumentObject, title: str) -> None:
    """The document properties, filled from the case as each document is made (docxtpl renders
    them as it renders the text): a screen reader and a PDF viewer show the title, and the
    language tells a screen reader which voice to read in. They hold nothing the document's
    own text does not: the title is the one on the first page, the subject the case reference
    and the author the person who wrote it (else the local authority)."""
    props = doc.core_properties
    props.title = title
    props.subject = "{{ case_reference }}"
    props.author = "{{ author_name or local_authority }}"
    props.language = LANGUAGE
    # A Jinja comment: seen in the template's properties in Word, empty in every document.
    props.comments = "{# Template for sos-docs. Placeholders: run `sos-docs fields`. #}"
    props.last_modified_by = "sos-docs"
    props.revision = 1
    props.created = FIXED_TIME
    props.modified = FIXED_TIME


def _drop_unused_parts(doc: DocumentObject) -> None:
    """Leave out the python-docx starter's thumbnail, custom XML, web settings and effects."""
    unused = ("thumbnail", "customXml", "webSettings", "stylesWithEffects")
    for rels in (doc.part.package.rels, doc.part.rels):
        for r_id, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in unused:
                del rels[r_id]


def _used_style_ids(doc: DocumentObject) -> set[str]:
    """Styles the body, headers, footers and numbering refer to, with what they are based on."""
    elements = [doc.element]
    for section in doc.sections:
        elements += [section.header._element, section.footer._element]
        if section.different_first_page_header_footer:
            elements += [
                section.first_page_header._element,
                section.first_page_footer._element,
            ]
    numbering = doc.part.numbering_part.element
    used = {
        ref.get(qn("w:val"))
        for element in [*elements, numbering]
        for name in ("w:pStyle", "w:rStyle", "w:tblStyle")
        for ref in element.iter(qn(name))
    }
    by_id = {s.get(qn("w:styleId")): s for s in doc.styles.element.iter(qn("w:style"))}
    used |= {sid for sid, s in by_id.items() if s.get(qn("w:default")) == "1"}
    pending = list(used)
    while pending:
        style = by_id.get(pending.pop())
        if style is None:
            continue
        for link in ("w:basedOn", "w:next", "w:link"):
            ref = style.find(qn(link))
            if ref is not None and ref.get(qn("w:val")) not in used:
                used.add(ref.get(qn("w:val")))
                pending.append(ref.get(qn("w:val")))
    return used


def _prune_styles(doc: DocumentObject) -> None:
    """Keep only the styles the template uses, so a council's restyling has nothing hidden."""
    used = _used_style_ids(doc)
    root = doc.styles.element
    for style in list(root.iter(qn("w:style"))):
        if style.get(qn("w:styleId")) not in used:
            root.remove(style)


def _preserve_spaces(doc: DocumentObject) -> None:
    """Mark text holding a placeholder xml:space="preserve", so spaces in values survive."""
    elements = [doc.element]
    for section in doc.sections:
        elements += [section.header._element, section.footer._element]
        if section.different_first_page_header_footer:
            elements += [
                section.first_page_header._element,
                section.first_page_footer._element,
            ]
    for element in elements:
        for text in element.iter(qn("w:t")):
            if text.text and ("{{" in text.text or "{%" in text.text):
                text.set(qn("xml:space"), "preserve")


def reproducible_bytes(doc: DocumentObject) -> bytes:
    """The .docx with unused parts and styles removed and fixed zip timestamps."""
    _preserve_spaces(doc)
    _drop_unused_parts(doc)
    _prune_styles(doc)
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def build_all() -> dict[str, bytes]:
    """Every template as bytes, by file name."""
    return {
        REPORT_FILE: reproducible_bytes(build_conference_report()),
        STORY_FILE: reproducible_bytes(build_words_and_pictures()),
        RECORD_FILE: reproducible_bytes(build_mapping_record()),
    }


def main(argv: Sequence[str] = ()) -> int:
    out_dir = Path(argv[0]) if argv else TEMPLATES_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in build_all().items():
        (out_dir / name).write_bytes(data)
        print(f"wrote {out_dir / name} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
