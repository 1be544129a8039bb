"""Consent and `Withhold from` (docs/workbook-format.md, Withholding): read from real .xlsx
workbooks, checked, and turned into the copies of a case (sos_docs.workbook.copies)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sos_docs.model import FAMILY, MappingCase, Validation
from sos_docs.pipeline import check_workbook
from sos_docs.workbook import copies
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder


def checked(book: WorkbookBuilder, tmp_path: Path) -> Validation:
    """The workbook written as a real file and validated."""
    return check_workbook(book.write(tmp_path / "case.xlsx"), today=EXAMPLE_TODAY)


def case_of(book: WorkbookBuilder, tmp_path: Path) -> MappingCase:
    """The valid case of a workbook."""
    validation = checked(book, tmp_path)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


def codes_at(validation: Validation) -> list[tuple[str, str]]:
    """Each problem as (code, where)."""
    return [(p.code, p.where) for p in validation.problems]


def consenting() -> WorkbookBuilder:
    """The example with Leo's consent given: nothing is withheld."""
    return WorkbookBuilder().update_row("Child's views", 1, Consent_to_share="Yes")


def test_a_child_who_said_no_is_withheld_from_the_family(tmp_path: Path) -> None:
    """Leo's `Consent to share: No` keeps his views row out of the family copy, by row only."""
    case = case_of(WorkbookBuilder(), tmp_path)
    leo = case.childs_views[1]
    assert leo.not_agreed and leo.withheld_from == (FAMILY,)
    made = copies.copies_of(case)
    assert [(c.label, c.leaves_out) for c in made] == [
        ("professional copy", ()),
        ("family copy", (("Child's views", "row 3"),)),
    ]
    assert [v.child.name for v in made[1].case.childs_views] == ["Mia Hartley"]


def test_nothing_withheld_makes_one_copy_without_a_label(tmp_path: Path) -> None:
    """With every consent given and no Withhold from, the documents are made once, as before."""
    case = case_of(consenting(), tmp_path)
    assert [(c.label, c.audience) for c in copies.copies_of(case)] == [("", "")]


def test_blank_consent_at_twelve_or_over_is_no_with_a_warning(tmp_path: Path) -> None:
    """A 14-year-old not asked: SOS222 at the consent cell, and her words are withheld."""
    book = consenting().update_row("Children", 0, Date_of_birth=dt.date(2012, 5, 1))
    book.update_row("Child's views", 0, Consent_to_share=None)
    validation = checked(book, tmp_path)
    assert ("SOS222", "Child's views!H2") in codes_at(validation)
    assert validation.case is not None
    assert validation.case.childs_views[0].not_agreed


def test_blank_consent_under_twelve_is_shared(tmp_path: Path) -> None:
    """A 9-year-old's blank consent is no warning, and the words are shared."""
    book = consenting().update_row("Child's views", 0, Consent_to_share=None)
    validation = checked(book, tmp_path)
    assert "SOS222" not in [p.code for p in validation.problems]
    assert validation.case is not None and not validation.case.childs_views[0].not_agreed


def test_withhold_from_reads_family_ids_and_names(tmp_path: Path) -> None:
    """`Family`, an ID and a name, however cased, each become an audience."""
    book = consenting()
    book.update_row("Harm", 0, Withhold_from="family")
    book.update_row("Grey areas", 0, Withhold_from="P2")
    book.update_row("Complicating factors", 0, Withhold_from="dean hartley, Family")
    case = case_of(book, tmp_path)
    assert case.harm[0].withheld_from == (FAMILY,)
    assert case.grey_areas[0].withheld_from == ("P2",)
    assert case.complicating_factors[0].withheld_from == ("P2", FAMILY)


def test_withhold_from_someone_not_in_the_family_is_an_error_at_the_cell(tmp_path: Path) -> None:
    """Unknown, a child or a professional: SOS114 at the Withhold from cell, no documents."""
    book = consenting()
    book.update_row("Grey areas", 0, Withhold_from="P99")
    book.update_row("Complicating factors", 0, Withhold_from="C1")
    book.update_row("Harm", 0, Withhold_from="P5")
    validation = checked(book, tmp_path)
    found = [(p.code, p.sheet) for p in validation.errors]
    assert sorted(found) == [
        ("SOS114", "Complicating factors"),
        ("SOS114", "Grey areas"),
        ("SOS114", "Harm"),
    ]
    messages = " ".join(p.message for p in validation.errors)
    assert "no one on the People sheet" in messages
    assert "that is a child" in messages and "that is a professional" in messages
    assert all(p.cell for p in validation.errors)


def test_a_person_named_gets_their_own_copy(tmp_path: Path) -> None:
    """A row kept from Dean only: the family copy keeps it, Dean's copy leaves it out."""
    book = consenting().update_row("Grey areas", 0, Withhold_from="P2")
    made = copies.copies_of(case_of(book, tmp_path))
    assert [(c.label, c.for_whom, c.leaves_out) for c in made] == [
        ("professional copy", "professionals only", ()),
        ("family copy", "the family, except Dean Hartley", ()),
        ("copy for Dean Hartley", "Dean Hartley", (("Grey areas", "row 2"),)),
    ]
    assert made[2].case.grey_areas == made[0].case.grey_areas[1:]


def test_a_next_step_whose_goal_is_withheld_loses_only_the_link(tmp_path: Path) -> None:
    """G2 withheld from the family: its steps stay, without the goal, each with SOS223."""
    book = consenting().update_row("Safety goals", 1, Withhold_from="Family")
    validation = checked(book, tmp_path)
    dangling = [p.where for p in validation.problems if p.code == "SOS223"]
    assert dangling == ["Next steps!D4", "Next steps!D6"]
    assert validation.case is not None
    family = copies.filtered(validation.case, FAMILY)[0]
    assert [g.id for g in family.safety_goals] == ["G1"]
    assert len(family.next_steps) == len(validation.case.next_steps)
    assert "G2" not in {s.safety_goal_id for s in family.next_steps}


def test_a_withheld_danger_statement_takes_what_is_about_it(tmp_path: Path) -> None:
    """D2 withheld: its goal, scores and views about it leave the family copy too."""
    case = case_of(
        consenting().update_row("Danger statements", 1, Withhold_from="Family"), tmp_path
    )
    family, leaves = copies.filtered(case, FAMILY)
    assert [d.id for d in family.danger_statements] == ["D1"]
    assert all(g.danger_statement_id != "D2" for g in family.safety_goals)
    assert all(s.danger_statement_id != "D2" for s in family.scaling)
    assert all(v.danger_statement_id != "D2" for v in family.family_views)
    assert ("Danger statements", "row 3") in leaves and ("Safety goals", "row 3") in leaves


def test_every_row_withheld_still_makes_a_family_case(tmp_path: Path) -> None:
    """Every danger statement, goal and step withheld: the family's case has none, and is made."""
    book = consenting()
    for sheet in ("Danger statements", "Safety goals", "Next steps", "Working well", "Scaling"):
        for row in book.rows(sheet):
            row["Withhold from"] = "Family"
    case = case_of(book, tmp_path)
    family = copies.copies_of(case)[1].case
    assert family.danger_statements == () and family.next_steps == () and family.scaling == ()


def test_case_values_can_be_withheld_by_label(tmp_path: Path) -> None:
    """`Withhold from` on Case: `Author contact: Family` empties it in the family copy only."""
    book = consenting().set_case("Withhold from", "Author contact: Family")
    case = case_of(book, tmp_path)
    assert case.details.withheld_fields == {"author_contact": (FAMILY,)}
    made = copies.copies_of(case)
    assert made[0].case.details.author_contact
    assert made[1].case.details.author_contact == ""
    assert made[1].leaves_out[0][0] == "Case"


def test_a_case_value_every_copy_needs_cannot_be_withheld(tmp_path: Path) -> None:
    """`Case reference: Family` and a line without a colon are SOS115 at the Withhold from cell."""
    book = consenting().set_case("Withhold from", "Case reference: Family\nTeam")
    validation = checked(book, tmp_path)
    assert [p.code for p in validation.errors] == ["SOS115", "SOS115"]
    assert all(p.sheet == "Case" and p.cell for p in validation.errors)
