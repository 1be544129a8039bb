"""Tests for sos_docs.pipeline: one workbook end to end, from a real .xlsx to real .docx files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx

from sos_docs.pipeline import DOCUMENT_KINDS, REPORT, check_workbook, process_workbook
from tests.support.builders import WorkbookBuilder

TODAY = dt.date(2026, 11, 28)


def document_text(path: Path) -> str:
    """Every paragraph and table cell of a .docx, in order, as one string."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_a_valid_workbook_gives_both_documents_named_by_case_and_date(tmp_path: Path) -> None:
    """With nothing withheld, the report and the story under reports/<case reference>/."""
    book = WorkbookBuilder().update_row("Child's views", 1, Consent_to_share="Yes")
    outcome = process_workbook(
        book.write(tmp_path / "in" / "example.xlsx"), tmp_path / "out", today=TODAY
    )
    assert outcome.ok and outcome.copies == ()
    names = sorted(p.relative_to(tmp_path / "out").as_posix() for p in outcome.documents)
    assert names == [
        "CP-2026-0412/CP-2026-0412 Conference report 2026-11-27.docx",
        "CP-2026-0412/CP-2026-0412 Words and pictures 2026-11-27.docx",
    ]
    assert "Mia Hartley" in document_text(outcome.documents[0])


def test_the_example_gets_a_professional_and_a_family_copy_of_its_report(tmp_path: Path) -> None:
    """Leo did not agree to share his words: his words are in the professional copy only."""
    workbook = WorkbookBuilder().write(tmp_path / "in" / "example.xlsx")
    outcome = process_workbook(workbook, tmp_path / "out", today=TODAY)
    assert outcome.ok
    names = [p.name for p in outcome.documents]
    assert names == [
        "CP-2026-0412 Conference report (professional copy) 2026-11-27.docx",
        "CP-2026-0412 Conference report (family copy) 2026-11-27.docx",
        "CP-2026-0412 Words and pictures 2026-11-27.docx",
    ]
    professional, family, story = (document_text(p) for p in outcome.documents)
    leo = "Leo showed me his dinosaurs"
    assert "Professional copy: contains information withheld from the family." in professional
    assert "Not to be shared with the family (the child did not agree)" in professional
    assert leo in professional
    assert leo not in family and leo not in story
    assert "Family copy: some information is not in this copy." in family
    assert "Not to be shared" not in family and "Professional copy" not in family
    assert "Nanna's house and her dog Biscuit" in family  # Mia agreed
    assert [(c.label, c.leaves_out) for c in outcome.copies] == [
        ("professional copy", ()),
        ("family copy", (("Child's views", "row 3"),)),
    ]


def test_running_twice_never_overwrites(tmp_path: Path) -> None:
    """A second run of the same workbook adds numbered versions beside the first documents."""
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    first = process_workbook(workbook, tmp_path / "out", today=TODAY)
    second = process_workbook(workbook, tmp_path / "out", today=TODAY)
    assert [p.name for p in second.documents] == [
        p.name.replace(".docx", " (2).docx") for p in first.documents
    ]
    assert all(p.exists() for p in first.documents)


def test_mapping_date_names_the_files_when_there_is_no_meeting_date(tmp_path: Path) -> None:
    """A core group meeting without a meeting date uses the mapping date in the file names."""
    book = WorkbookBuilder().set_case("Meeting type", "Core group meeting")
    book.set_case("Meeting date", None)
    outcome = process_workbook(book.write(tmp_path / "cg.xlsx"), tmp_path, today=TODAY)
    assert outcome.ok
    assert outcome.documents[0].name == (
        "CP-2026-0412 Core group meeting record (professional copy) 2026-11-16.docx"
    )


def test_errors_mean_no_documents(tmp_path: Path) -> None:
    """A workbook with an error returns its problems and writes nothing."""
    book = WorkbookBuilder().update_row("Scaling", 0, Score=11)
    outcome = process_workbook(book.write(tmp_path / "bad.xlsx"), tmp_path / "out", today=TODAY)
    assert not outcome.ok
    assert [p.code for p in outcome.validation.errors] == ["SOS104"]
    assert outcome.documents == ()
    assert not (tmp_path / "out").exists()


def test_a_file_that_is_not_a_workbook_is_one_wb001_problem(tmp_path: Path) -> None:
    """Unreadable input becomes a WB001 problem, never an exception."""
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    validation = check_workbook(path, today=TODAY)
    assert [(p.code, p.sheet, p.cell) for p in validation.problems] == [("WB001", None, None)]


def test_only_one_document_kind(tmp_path: Path) -> None:
    """Asking for the report alone writes only the report."""
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    outcome = process_workbook(workbook, tmp_path / "out", kinds=(REPORT,), today=TODAY)
    assert [p.name for p in outcome.documents] == [
        "CP-2026-0412 Conference report (professional copy) 2026-11-27.docx",
        "CP-2026-0412 Conference report (family copy) 2026-11-27.docx",
    ]
    assert len(DOCUMENT_KINDS) == 2


def test_check_workbook_uses_the_roots_sharing_settings(tmp_path: Path) -> None:
    """The root's holiday_region and sharing days reach the sharing-in-time rule (SOS211)."""
    from sos_docs.config import load_config

    book = WorkbookBuilder().as_format_2()
    book.set_case("Meeting date", dt.date(2026, 12, 3))
    book.set_case("Shared with parents on", dt.date(2026, 11, 30))  # St Andrew's Day
    workbook = book.write(tmp_path / "case.xlsx")
    (tmp_path / "sos-docs.toml").write_text('holiday_region = "Scotland"\n', encoding="utf-8")
    scotland = load_config(tmp_path)
    assert "SOS211" not in [p.code for p in check_workbook(workbook, today=TODAY).problems]
    late = check_workbook(workbook, scotland, today=TODAY)
    assert [p.code for p in late.problems] == ["SOS211"]


def test_each_copys_title_says_which_copy_it_is(tmp_path: Path) -> None:
    """The Title property (the viewer's title bar, a screen reader's first words) names the copy:
    professional, family or a person's own; with nothing withheld it is the plain title."""
    title = "Report to the initial child protection conference"
    withheld = WorkbookBuilder().update_row("Working well", 0, Withhold_from="P2")
    made = process_workbook(withheld.write(tmp_path / "w.xlsx"), tmp_path / "out", today=TODAY)
    reports = [p for p in made.documents if "Conference report" in p.name]
    copies = [c.label for c in made.copies]
    assert copies == ["professional copy", "family copy", "copy for Dean Hartley"]
    assert [docx.Document(str(p)).core_properties.title for p in reports] == [
        f"{title} ({label})" for label in copies
    ]
    shared = WorkbookBuilder().update_row("Child's views", 1, Consent_to_share="Yes")
    plain = process_workbook(shared.write(tmp_path / "s.xlsx"), tmp_path / "plain", today=TODAY)
    assert docx.Document(str(plain.documents[0])).core_properties.title == title
