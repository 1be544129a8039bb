"""Tests for the template context (sos_docs.documents.context) and the field registry (sos_docs.documents.fields)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sos_docs.documents.context import DocumentSettings, build_context, join_names, possessive
from sos_docs.documents.fields import (
    FIELDS,
    FIELDS_BY_NAME,
    FieldKind,
    format_fields,
    render_fields_markdown,
)
from sos_docs.model import MappingCase, Picture
from sos_docs.workbook import example
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support import meetings
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder
from tests.support.reviews import REVIEW_TODAY, review_with_history

SETTINGS = DocumentSettings(report_date=EXAMPLE_TODAY)
ROOT = Path(__file__).resolve().parents[2]


def case_from(book: WorkbookBuilder, tmp_path: Path) -> MappingCase:
    """A builder's workbook written, read and validated; fails when it is not valid."""
    validation = validate(read_workbook(book.write(tmp_path / "case.xlsx")), today=EXAMPLE_TODAY)
    assert validation.ok and validation.case is not None, validation.problems
    return validation.case


def field_paths(value: object, path: str = "") -> dict[str, object]:
    """Every field path in a context (`danger_statements[].goals[].goal`) with one of its values."""
    found: dict[str, object] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else key
            found.setdefault(name, item)
            found.update({k: v for k, v in field_paths(item, name).items() if k not in found})
    elif isinstance(value, list):
        for item in value:
            found.update(
                {k: v for k, v in field_paths(item, f"{path}[]").items() if k not in found}
            )
    return found


@pytest.fixture(scope="module")
def context(example_case: MappingCase) -> dict[str, object]:
    """The example case's context, built with a fixed report date."""
    return build_context(example_case, SETTINGS)


@pytest.fixture(scope="module")
def review_context(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The example family's review with its initial conference as history: the fields only a
    review with history makes (its progress section and score chart)."""
    case, history = review_with_history(tmp_path_factory.mktemp("review"))
    return build_context(case, DocumentSettings(report_date=REVIEW_TODAY), history)


@pytest.fixture(scope="module")
def meeting_contexts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """The contexts of a format 2 review, sibling group, pre-birth and core group workbook."""
    folder = tmp_path_factory.mktemp("meetings")
    books = {
        "review": meetings.review_conference(),
        "siblings": meetings.sibling_group(),
        "pre-birth": meetings.pre_birth_conference(),
        "core group": meetings.core_group_meeting(),
    }
    return {name: build_context(case_from(book, folder), SETTINGS) for name, book in books.items()}


def called(child: dict[str, object]) -> str:
    """How the report names an example child in a sentence: Known as, else the full name."""
    return str(child.get("Known as") or child["Name"])


MIA, LEO = (called(child) for child in example.CHILDREN)


def items(context: dict[str, object], name: str) -> list[dict[str, object]]:
    """A list field's items, typed for the tests."""
    value = context[name]
    assert isinstance(value, list)
    return value


# ---- the registry and the context agree


def test_every_produced_field_is_documented_and_every_documented_field_is_produced(
    context: dict[str, object],
    review_context: dict[str, object],
    meeting_contexts: dict[str, dict[str, object]],
) -> None:
    """The keys build_context makes (for the example, its review with history, and each kind of
    meeting) and the registry's names are the same set."""
    produced = set(field_paths(context)) | set(field_paths(review_context))
    for other in meeting_contexts.values():
        produced |= set(field_paths(other))
    documented = set(FIELDS_BY_NAME)
    assert produced - documented == set(), "undocumented fields"
    assert documented - produced == set(), "documented fields the context does not make"


def test_every_field_holds_the_kind_the_registry_says(
    context: dict[str, object],
    review_context: dict[str, object],
    meeting_contexts: dict[str, dict[str, object]],
) -> None:
    """Text is str, numbers int, flags bool, lists list, pictures a Picture or empty text."""
    expected: dict[FieldKind, tuple[type, ...]] = {
        FieldKind.TEXT: (str,),
        FieldKind.NUMBER: (int,),
        FieldKind.FLAG: (bool,),
        FieldKind.LIST: (list,),
        FieldKind.PICTURE: (Picture, str),
    }
    for each in (context, review_context, *meeting_contexts.values()):
        for name, value in field_paths(each).items():
            kind = FIELDS_BY_NAME[name].kind
            assert isinstance(value, expected[kind]), (name, value)
            assert not (kind is FieldKind.NUMBER and isinstance(value, bool)), name


def test_registry_examples_are_what_the_example_family_produces(
    context: dict[str, object], review_context: dict[str, object]
) -> None:
    """Each field's documented example starts one of that field's values for the example case
    (or, for a review's fields, its review)."""
    values: dict[str, list[str]] = {}

    def collect(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                collect(item, f"{path}.{key}" if path else key)
        elif isinstance(value, list):
            for item in value:
                collect(item, f"{path}[]")
        values.setdefault(path, []).append(str(value))

    collect(context, "")
    collect(review_context, "")
    for field in FIELDS:
        if field.example:
            assert any(v.startswith(field.example) for v in values[field.name]), field.name


def test_committed_field_reference_is_generated_from_the_registry() -> None:
    """docs/template-fields.md is exactly what render_fields_markdown() makes."""
    committed = (ROOT / "docs/template-fields.md").read_text(encoding="utf-8")
    assert committed == render_fields_markdown()


def test_format_fields_lists_every_field_with_meaning_and_example() -> None:
    """The `sos-docs fields` text names each field, says what it is, and gives its example."""
    text = format_fields()
    for field in FIELDS:
        assert f"{field.name}  ({field.kind})" in text
        assert field.meaning in text
        if field.example:
            assert f"Example: {field.example}" in text


def test_registry_names_are_unique_and_items_belong_to_documented_lists() -> None:
    """No field is listed twice, and every `x[].y` has a list field `x`."""
    assert len(FIELDS) == len(FIELDS_BY_NAME)
    for field in FIELDS:
        if field.parent:
            assert FIELDS_BY_NAME[field.parent.removesuffix("[]")].kind is FieldKind.LIST


# ---- what the context says about the example family


def test_case_details_and_dates_are_day_first_words(context: dict[str, object]) -> None:
    """Dates read '27 November 2026'; the marking defaults to OFFICIAL-SENSITIVE."""
    assert context["case_reference"] == "CP-2026-0412"
    assert context["meeting_date"] == "27 November 2026"
    assert context["mapping_date"] == "16 November 2026"
    assert context["report_date"] == "16 November 2026"  # the Case sheet's Report date
    assert context["review_date"] == "19 February 2027"
    assert context["protective_marking"] == "OFFICIAL-SENSITIVE"
    assert context["author_name"] == "Ada Okafor"


def test_children_are_named_joined_and_aged_on_the_meeting_date(context: dict[str, object]) -> None:
    """Names are joined with 'and'; ages are whole years on the meeting date."""
    assert context["children_names"] == "Mia Hartley and Leo Hartley"
    assert context["children_first_names"] == f"{MIA} and {LEO}"
    children = items(context, "children")
    assert [(c["name"], c["date_of_birth"], c["age"]) for c in children] == [
        ("Mia Hartley", "14 March 2017", "9 years"),
        ("Leo Hartley", "2 August 2023", "3 years"),
    ]


def test_household_and_network_split_the_people_sheet(context: dict[str, object]) -> None:
    """The household is who lives with the children; everyone else is the network."""
    household = [p["name"] for p in items(context, "household")]
    network = [p["name"] for p in items(context, "network")]
    assert household == ["Kerry Hartley", "Dean Hartley"]
    assert network == [
        *("Sandra Price", "Siân Roberts", "Ada Okafor", "Tom Whitfield", "Priya Nair"),
        "Piotr Nowak",
    ]
    assert [p["name_children_use"] for p in items(context, "safety_network")] == [
        "Nanna",
        "Auntie Siân",
    ]


def test_harm_keeps_its_source_so_observation_and_allegation_stay_apart(
    context: dict[str, object],
) -> None:
    """Each harm row carries where it came from, and blank children means all of them."""
    harm = items(context, "harm")
    assert [h["source"] for h in harm] == ["Observed", "Reported", "Child said"]
    assert harm[0]["children"] == "Mia Hartley"
    assert harm[2]["children"] == "Mia Hartley and Leo Hartley"


def test_danger_statements_are_numbered_and_carry_their_goals(context: dict[str, object]) -> None:
    """Danger statement 1 holds goal G1 and statement 2 holds G2, with how long to keep them up."""
    dangers = items(context, "danger_statements")
    assert [d["number"] for d in dangers] == [1, 2]
    assert dangers[0]["statement"] == example.DANGER_STATEMENTS[0]["Statement"]
    assert dangers[0]["family_words"] == example.DANGER_STATEMENTS[0]["Family's words"]
    goals = [[g["id"] for g in d["goals"]] for d in dangers]  # type: ignore[attr-defined]
    assert goals == [["G1"], ["G2"]]
    assert dangers[0]["goals"][0]["sustained_for"] == "6 months"  # type: ignore[index]


def test_existing_safety_is_kept_apart_from_strengths(context: dict[str, object]) -> None:
    """Two existing safety rows (with their danger number) and three strengths, in order."""
    safety = items(context, "existing_safety")
    strengths = items(context, "existing_strengths")
    assert [(s["who"], s["danger_number"]) for s in safety] == [
        ("Sandra Price", "1"),
        ("Dean Hartley", "1"),
    ]
    assert [s["who"] for s in strengths] == ["Kerry Hartley", "", "Sandra Price"]


def test_every_score_is_kept_with_its_person_and_reason(context: dict[str, object]) -> None:
    """Seven scores in workbook order, named, never averaged; a child scores as a child."""
    scores = items(context, "scores")
    assert [(s["short_name"], s["score"]) for s in scores] == [
        ("Ada Okafor", 4),
        ("Kerry Hartley", 7),
        ("Dean Hartley", 6),
        ("Sandra Price", 5),
        ("Tom Whitfield", 5),
        (MIA, 6),
        ("Ada Okafor", 3),
    ]
    assert scores[5]["participant_relationship"] == "Child"
    assert scores[6]["about"] == "Leo Hartley, danger statement 2"
    assert [s["reason"] for s in scores] == [row["Reason"] for row in example.SCALING]


def test_scale_picture_is_a_png_picture(context: dict[str, object]) -> None:
    """The scale picture is a Picture whose bytes Pillow reads as a wide PNG."""
    picture = context["scale_picture"]
    assert isinstance(picture, Picture)
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.format == "PNG"
        assert image.width > 2 * image.height


def test_the_scale_picture_says_in_words_where_everyone_placed_it(
    context: dict[str, object],
) -> None:
    """The scale picture's alt text gives both ends and each person's score, for a screen
    reader and for anyone who cannot see the picture."""
    picture = context["scale_picture"]
    assert isinstance(picture, Picture)
    assert picture.description.startswith(
        "A scale from 0 (The children cannot safely stay at home as things are) to 10 ("
    )
    assert "Ada Okafor: 4" in picture.description


def test_recommendation_and_sharing_sentences(context: dict[str, object]) -> None:
    """The example recommends a plan for each child, Leo's under two categories of his own, and
    was shared on 16 November."""
    assert context["recommendation_sentence"] == (
        "The recommendations of this report differ between the children. They are to:"
    )
    assert context["recommendation_lines"] == [
        f"make {MIA} subject to a child protection plan under the category of emotional abuse;",
        f"make {LEO} subject to a child protection plan under the categories of emotional "
        "abuse and neglect.",
    ]
    assert context["sharing_sentence"] == (
        "This report was shared with the parents on 16 November 2026."
    )


@pytest.mark.parametrize(
    ("recommendation", "category", "expected"),
    [
        (
            "Child protection plan",
            "Neglect, Physical abuse",
            "under the categories of neglect and physical abuse.",
        ),
        ("Child in need plan", None, f"support {MIA} and {LEO} through a child in need plan."),
        ("No further action", None, f"to take no further action for {MIA} and {LEO}."),
    ],
)
def test_recommendation_sentence_follows_the_choice(
    recommendation: str, category: str | None, expected: str, tmp_path: Path
) -> None:
    """Each recommendation reads as its own sentence naming the children."""
    book = WorkbookBuilder().set_case("Recommendation", recommendation)
    book.set_case("Category of harm", category)
    book.update_row("Children", 1, Category_of_harm=None, Categories=None)  # Leo's own
    context = build_context(case_from(book, tmp_path), SETTINGS)
    assert str(context["recommendation_sentence"]).endswith(expected)


def test_not_shared_gives_the_reason(tmp_path: Path) -> None:
    """A report not shared says so, with the reason as typed."""
    book = WorkbookBuilder().set_case("Shared with parents on", None)
    book.set_case("Not shared because", "Dean is in hospital & cannot be visited.")
    context = build_context(case_from(book, tmp_path), SETTINGS)
    assert context["sharing_sentence"] == (
        "This report was not shared with the parents because: "
        "Dean is in hospital & cannot be visited."
    )
    assert context["shared_with_parents_on"] == ""


def test_story_fields_use_the_names_the_children_use(context: dict[str, object]) -> None:
    """The story is named for the children; safety people and rules use Nanna, Dad, Mum."""
    assert context["story_title"] == f"{MIA} and {LEO}'s story"
    assert [p["name"] for p in items(context, "safety_people")] == ["Nanna", "Auntie Siân"]
    assert [r["who_children_call"] for r in items(context, "safety_rules")] == [
        "Nanna",
        "Dad",
        "Mum",
        MIA,
    ]
    assert [p["number"] for p in items(context, "words_pages")] == [1, 2, 3, 4, 5]
    assert context["story_agreed_sentence"] == (
        "Mum and Dad have read this story and agree with it."
    )


def test_the_story_lists_only_safety_people_who_know_the_worries(tmp_path: Path) -> None:
    """A network member who does not (or may not) know the worries is not told to the children
    as one of the people who "know about the worries"."""
    book = WorkbookBuilder()
    book.rows("People")[2]["Knows the worries"] = "No"
    book.rows("People")[3]["Knows the worries"] = None
    context = build_context(case_from(book, tmp_path), SETTINGS)
    assert items(context, "safety_people") == []


def test_the_story_names_as_agreeing_only_parents_living_with_the_children(
    tmp_path: Path,
) -> None:
    """A parent who lives elsewhere is never named to the children as having agreed the story."""
    book = WorkbookBuilder()
    book.rows("People")[1]["Lives with the children"] = "No"
    context = build_context(case_from(book, tmp_path), SETTINGS)
    assert context["story_agreed_sentence"] == "Mum has read this story and agrees with it."
    book.rows("People")[0]["Lives with the children"] = "No"
    context = build_context(case_from(book, tmp_path), SETTINGS)
    assert context["story_agreed_sentence"] == "Your family have read this story and agree with it."


def test_words_pages_are_in_page_order_whatever_the_row_order(tmp_path: Path) -> None:
    """Pages typed out of order are told in the order of their page numbers."""
    book = WorkbookBuilder()
    book.rows("Words and pictures").reverse()
    context = build_context(case_from(book, tmp_path), SETTINGS)
    assert [p["heading"] for p in items(context, "words_pages")] == [
        row["Heading"] for row in example.WORDS_AND_PICTURES
    ]


def test_unborn_child_keeps_full_name_and_is_aged_unborn(tmp_path: Path) -> None:
    """An unborn child has no age in years, is named in full in the table and is "the baby" in
    sentences, due date in words."""
    book = WorkbookBuilder()
    book.add_row(
        "Children", ID="C3", Name="Baby Hartley (unborn)", Expected_due_date=dt.date(2027, 3, 3)
    )
    context = build_context(case_from(book, tmp_path), SETTINGS)
    baby = items(context, "children")[2]
    assert (baby["age"], baby["is_unborn"], baby["first_name"]) == (
        "Unborn",
        True,
        "Baby Hartley (unborn)",
    )
    assert baby["expected_due_date"] == "3 March 2027"
    assert context["children_first_names"] == f"{MIA}, {LEO} and the baby"


def test_settings_change_marking_title_and_date_format(example_case: MappingCase) -> None:
    """The marking, the story title pattern and the date format are configurable."""
    settings = DocumentSettings(
        protective_marking="OFFICIAL",
        story_title="The story of {names}",
        date_format="%d/%m/%Y",
        report_date=dt.date(2026, 12, 1),
    )
    context = build_context(example_case, settings)
    assert context["protective_marking"] == "OFFICIAL"
    assert context["story_title"] == f"The story of {MIA} and {LEO}"
    assert context["meeting_date"] == "27/11/2026"
    assert context["report_date"] == "16/11/2026"  # the Case's date wins over the settings


@pytest.mark.parametrize(
    ("names", "expected"),
    [("Mia and Leo", "Mia and Leo's"), ("James", "James'"), ("Zoë", "Zoë's"), ("", "")],
)
def test_possessive_takes_only_an_apostrophe_after_s(names: str, expected: str) -> None:
    """'James'' story, not 'James's' or 'Jamess'."""
    assert possessive(names) == expected


@given(st.lists(st.text(min_size=1).filter(str.strip), max_size=6))
def test_join_names_keeps_every_name_in_order(names: list[str]) -> None:
    """Joined names contain each name in order, with 'and' before the last of several."""
    joined = join_names(names)
    position = 0
    for name in names:
        position = joined.index(name, position) + len(name)
    if len(names) >= 2:
        assert f" and {names[-1]}" in joined
