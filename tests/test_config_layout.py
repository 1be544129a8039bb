"""Tests for a root's team layout: read from sos-docs.toml or layout.toml, refused with its line."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sos_docs.cli import cli
from sos_docs.config import LAYOUT_FILE_NAME, load_config, load_layout
from sos_docs.errors import ConfigError
from sos_docs.model import LayoutField
from sos_docs.service.doctor import check_configuration
from sos_docs.workbook import schema
from sos_docs.workbook.team_layout import check_layout
from tests.support.builders import example_workbook
from tests.support.team_layouts import DOCUMENTED_LAYOUT

PEOPLE = '[layout.People]\nsheet = "Family"\nName = "Full name"\nRelationship = "Relation"\n'


def root_with(tmp_path: Path, settings_text: str, layout_text: str | None = None) -> Path:
    """A folder with this sos-docs.toml (and a layout.toml beside it when given)."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "sos-docs.toml").write_text(settings_text, encoding="utf-8")
    if layout_text is not None:
        (root / LAYOUT_FILE_NAME).write_text(layout_text, encoding="utf-8")
    return root


def refusal(root: Path) -> str:
    """The ConfigError loading and checking the root's layout gives."""
    with pytest.raises(ConfigError) as caught:
        config = load_config(root)
        assert config.layout is not None
        check_layout(config.layout)
    return str(caught.value)


def test_a_layout_in_sos_docs_toml_is_read_with_the_line_of_each_entry(tmp_path: Path) -> None:
    """[layout.People] under other settings: the sheet, its header row and fields, each line."""
    text = 'team = "Riverside"\n\n' + PEOPLE.replace('"Family"\n', '"Family"\nheader_row = 3\n')
    config = load_config(root_with(tmp_path, text))
    assert config.team == "Riverside"
    assert config.layout is not None
    (people,) = config.layout.sheets
    assert (people.name, people.sheet, people.header_row, people.line) == ("People", "Family", 3, 3)
    assert people.fields == (
        LayoutField("Name", "Full name", 6),
        LayoutField("Relationship", "Relation", 7),
    )
    assert config.layout.source == tmp_path / "root" / "sos-docs.toml"


def test_a_layout_toml_beside_sos_docs_toml_is_the_roots_layout(tmp_path: Path) -> None:
    """A root whose layout is in its own file reads it from there."""
    root = root_with(tmp_path, 'team = "Riverside"\n', "# ours\n" + PEOPLE)
    layout = load_config(root).layout
    assert layout is not None and layout.source == root / LAYOUT_FILE_NAME
    assert [(f.name, f.line) for f in layout.sheets[0].fields] == [
        ("Name", 4),
        ("Relationship", 5),
    ]


def test_a_root_without_a_layout_has_none(tmp_path: Path) -> None:
    """No [layout] and no layout.toml: workbooks are read in the standard shape only."""
    assert load_config(root_with(tmp_path, 'team = "Riverside"\n')).layout is None


def test_a_layout_in_both_places_is_refused_naming_both(tmp_path: Path) -> None:
    """Two layouts for one root would leave it unclear which one holds."""
    message = refusal(root_with(tmp_path, PEOPLE, PEOPLE))
    assert "sos-docs.toml has a [layout] table" in message and LAYOUT_FILE_NAME in message


@pytest.mark.parametrize(
    "second",
    ['Name = "Given name"', '"name" = "Given name"', 'DOB = "x"\n"Date of birth" = "Born"'],
    ids=["same-key", "other-case", "alias"],
)
def test_a_layout_naming_a_field_twice_is_refused_with_its_line(
    tmp_path: Path, second: str
) -> None:
    """The same field twice, however written (even as its alias), names the second line."""
    sheet = "Children" if "DOB" in second else "People"
    text = f'[layout.{sheet}]\nsheet = "Family"\nName = "Full name"\n{second}\n'
    message = refusal(root_with(tmp_path, text))
    line = 5 if "DOB" in second else 4
    assert f"sos-docs.toml, line {line}:" in message
    assert "twice" in message


def test_a_sheet_named_twice_through_an_alias_is_refused(tmp_path: Path) -> None:
    """[layout."Next steps"] and [layout.Actions] are the same sheet."""
    text = '[layout."Next steps"]\nsheet = "Plan"\n\n[layout.Actions]\nsheet = "To do"\n'
    message = refusal(root_with(tmp_path, text))
    assert "line 4:" in message and "names the Next steps sheet twice" in message


def test_a_field_that_does_not_exist_is_refused_with_its_line_and_the_nearest_names(
    tmp_path: Path,
) -> None:
    """A misspelt field: its line, the nearest real one, and the sheet's fields."""
    text = PEOPLE + '"Relationshp to child" = "Relation"\n'
    message = refusal(root_with(tmp_path, text.replace('Relationship = "Relation"\n', "")))
    assert "sos-docs.toml, line 4:" in message
    assert "is not a field of the People sheet" in message
    assert "Did you mean 'Relationship'" in message
    assert "Parental responsibility" in message  # the fields are listed


def test_a_sheet_that_does_not_exist_is_refused_with_its_line_and_the_nearest_names(
    tmp_path: Path,
) -> None:
    """[layout.Peeple]: its line, the nearest sheet, and all the sheets."""
    message = refusal(root_with(tmp_path, 'team = "x"\n' + PEOPLE.replace("People", "Peeple")))
    assert "sos-docs.toml, line 2:" in message
    assert "Did you mean 'People'" in message and "Danger statements" in message


@pytest.mark.parametrize(
    ("sheet", "target", "says"),
    [
        ("Case", "C0", "not a cell"),
        ("Case", "cell 4C", "not a cell"),
        ("Case", "cell XFE1", "not a cell"),
        ("People", "column 12", "not a column"),
        ("People", "column D4", "not a column"),
        ("People", "cell C4", "is a table"),
        ("Case", "column D", "labels and values"),
    ],
)
def test_a_bad_cell_or_column_reference_is_refused_with_its_line(
    tmp_path: Path, sheet: str, target: str, says: str
) -> None:
    """A cell or column that is not one (or does not fit the sheet) names its line and a fix."""
    field = "Case reference" if sheet == "Case" else "Name"
    text = f'# the team\n[layout.{sheet}]\nsheet = "Ours"\n"{field}" = "{target}"\n'
    message = refusal(root_with(tmp_path, text))
    assert "sos-docs.toml, line 4:" in message and says in message


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[layout.People]\nName = "Full name"\n', "needs the title of your sheet"),
        ('[layout.People]\nsheet = "Family"\nheader_row = 0\n', "header_row"),
        ('[layout.People]\nsheet = "Family"\nName = 3\n', "should be the heading"),
        ('[layout]\nPeople = "Family"\n', "should be a table"),
    ],
)
def test_a_layout_of_the_wrong_form_is_refused_with_its_line(
    tmp_path: Path, text: str, says: str
) -> None:
    """A missing sheet title, a bad header row, a number for a heading, a sheet that is text."""
    message = refusal(root_with(tmp_path, text))
    assert says in message and re.search(r"sos-docs\.toml, line \d+:", message)


def test_the_documented_layout_names_only_real_sheets_and_fields() -> None:
    """docs/examples/layout.toml is read and checked without a complaint."""
    check_layout(load_layout(DOCUMENTED_LAYOUT))


def test_doctor_and_validate_refuse_a_root_whose_layout_names_an_unknown_field(
    tmp_path: Path,
) -> None:
    """The service's configuration check fails and `validate --config` exits 1, both with the line."""
    root = root_with(tmp_path, PEOPLE + 'Nmae = "x"\n')
    config, check = check_configuration(root)
    assert config is None and "line 5" in check.message
    workbook = example_workbook(tmp_path)
    result = CliRunner().invoke(
        cli, ["validate", str(workbook), "--config", str(root / "sos-docs.toml")]
    )
    assert result.exit_code == 1
    assert "line 5" in result.output and "Did you mean 'Name'" in result.output


FIELD_NAMES = [c.name for c in schema.PEOPLE.columns]


@settings(max_examples=40, deadline=None)
@given(
    chosen=st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=6, unique=True),
    padding=st.lists(st.sampled_from(["", "# a note", "  ", "# Name = 'no'"]), max_size=8),
)
def test_each_fields_line_is_the_line_that_names_it(
    tmp_path_factory: pytest.TempPathFactory, chosen: list[str], padding: list[str]
) -> None:
    """Whatever blank and comment lines stand between, each entry's line is its own."""
    lines = ["[layout.People]", 'sheet = "Family"']
    for number, name in enumerate(chosen):
        lines.extend(padding[: number % (len(padding) + 1)])
        lines.append(f'"{name}" = "Heading {number}"')
    path = tmp_path_factory.mktemp("layout") / LAYOUT_FILE_NAME
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    layout = load_layout(path)
    written = path.read_text(encoding="utf-8").splitlines()
    for entry in layout.sheets[0].fields:
        assert entry.line is not None
        assert written[entry.line - 1].startswith(f'"{entry.name}" =')


# --------------------------------------------------------------------------------------------
# Attack review (issues 15/16): a layout.toml that is not a plain file, and which file to correct


@pytest.mark.parametrize("kind", ["pipe", "folder", "link"])
def test_a_layout_toml_that_is_not_a_plain_file_is_refused_like_a_link(
    tmp_path: Path, kind: str
) -> None:
    """A named pipe or a folder under the name was silently no layout (doctor said OK) while a
    link was refused: now all three are refused at once, naming layout.toml."""
    root = root_with(tmp_path, 'team = "North"\n')
    beside = root / LAYOUT_FILE_NAME
    if kind == "pipe":
        os.mkfifo(beside)
    elif kind == "folder":
        beside.mkdir()
    else:
        (tmp_path / "elsewhere.toml").write_text(PEOPLE, encoding="utf-8")
        beside.symlink_to(tmp_path / "elsewhere.toml")
    message = refusal(root)
    assert f"{beside} cannot be read" in message
    config, check = check_configuration(root)
    assert config is None and f"Correct {beside} " in check.fix


@pytest.mark.parametrize(
    ("layout_text", "said"),
    [
        (PEOPLE + "header_row = 0\n", "header_row"),  # refused when the file is read
        (PEOPLE + 'Nmae = "x"\n', "Did you mean 'Name'"),  # refused when its names are checked
    ],
)
def test_doctor_says_to_correct_the_layout_toml_not_sos_docs_toml(
    tmp_path: Path, layout_text: str, said: str
) -> None:
    """A mistake in layout.toml is to be corrected in layout.toml: doctor named sos-docs.toml."""
    root = root_with(tmp_path, 'team = "North"\n', layout_text)
    config, check = check_configuration(root)
    assert config is None and said in check.message
    assert f"Correct {root / LAYOUT_FILE_NAME} " in check.fix
    assert "sos-docs.toml" not in check.fix
