"""Tests for sos_docs.config: defaults, the TOML file, flags winning, and clear errors."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest

from sos_docs.config import (
    DEFAULT_CONFIG,
    DEFAULT_TEMPLATES_DIR,
    Folders,
    Limits,
    Retention,
    load_config,
)
from sos_docs.errors import ConfigError
from sos_docs.working_days import SharingRules


def write_toml(root: Path, text: str) -> Path:
    path = root / "sos-docs.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    """A root with no sos-docs.toml gets the documented defaults."""
    assert load_config(tmp_path) == DEFAULT_CONFIG


def test_the_shipped_templates_folder_is_the_one_importlib_resources_gives() -> None:
    """Found from the package's import spec (not importlib.resources, to start sooner): the same
    folder, editable checkout or installed wheel, with the templates in it."""
    assert Path(str(importlib.resources.files("sos_docs.templates"))) == DEFAULT_TEMPLATES_DIR
    assert (DEFAULT_TEMPLATES_DIR / "conference_report.docx").is_file()


def test_file_values_are_read(tmp_path: Path) -> None:
    """Settings in the root's sos-docs.toml replace the defaults, sections merged over theirs."""
    write_toml(
        tmp_path,
        'settle_seconds = 2\nprotective_marking = "OFFICIAL"\n'
        '[folders]\ninbox = "In"\n[limits]\nmax_file_bytes = 1000\n',
    )
    config = load_config(tmp_path)
    assert config.settle_seconds == 2.0
    assert config.protective_marking == "OFFICIAL"
    assert config.folders == Folders(inbox="In")
    assert config.limits == Limits(max_file_bytes=1000)


def test_sharing_settings_are_read_and_handed_to_validation(tmp_path: Path) -> None:
    """holiday_region (any case) and the sharing days make the SharingRules validation takes."""
    write_toml(
        tmp_path,
        'holiday_region = "northern ireland"\nsharing_days_initial = 2\nsharing_days_review = 0\n',
    )
    config = load_config(tmp_path)
    assert config.holiday_region == "Northern Ireland"
    assert config.sharing == SharingRules("Northern Ireland", initial_days=2, review_days=0)
    assert DEFAULT_CONFIG.sharing == SharingRules("England", initial_days=3, review_days=5)


def test_story_marking_is_read_in_any_case_and_handed_to_the_documents(tmp_path: Path) -> None:
    """`story_marking` (any case, spaces) reaches the story's document settings; default cover-only."""
    from sos_docs.pipeline import document_settings

    assert load_config(tmp_path).story_marking == "cover-only"
    write_toml(tmp_path, 'story_marking = " Footer "\n')
    config = load_config(tmp_path)
    assert config.story_marking == "footer"
    assert document_settings(config)[0].story_marking == "footer"


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    """A command-line value replaces the file's; a flag left unset (None) does not."""
    write_toml(tmp_path, "rescan_seconds = 10\npolling = true\n")
    config = load_config(tmp_path, overrides={"rescan_seconds": 5, "polling": None})
    assert config.rescan_seconds == 5.0
    assert config.polling is True


def test_templates_dir_is_relative_to_the_file(tmp_path: Path) -> None:
    """A relative templates folder in the file means relative to the file, not the working dir."""
    write_toml(tmp_path, 'templates_dir = "our-templates"\n')
    assert load_config(tmp_path).templates_dir == (tmp_path / "our-templates").resolve()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("settle_secnds = 1\n", "Unknown setting 'settle_secnds'"),
        ("settle_seconds = 'soon'\n", "should be a positive number"),
        ("settle_seconds = -1\n", "should be a positive number"),
        ("polling = 'yes'\n", "should be true or false"),
        ("[folders]\ninbox = '../elsewhere'\n", "must be a plain folder name"),
        ("[folders]\nin = 'x'\n", "Unknown setting 'folders.in'"),
        ("[limits]\nmax_rows = 0\n", "should be a positive number"),
        ("[limits]\nmax_rows = 1000000000000\n", "more than the 40,000 a folder's settings"),
        ("[limits]\nmax_job_seconds = 3000000\n", "more than the 600 a folder's settings"),
        ("[limits]\nmax_cell_chars = 40000\n", "more than the 32,767 a folder's settings"),
        ("folders = 3\n", "should be a table"),
        ("this is not toml\n", "is not valid TOML"),
        ("holiday_region = 'France'\n", "should be one of England, Wales, Scotland"),
        ("holiday_region = 3\n", "'holiday_region'.*but it is 3"),
        ("sharing_days_initial = -1\n", "'sharing_days_initial'.*from 0 to 20"),
        ("sharing_days_review = 21\n", "'sharing_days_review'.*from 0 to 20"),
        ("sharing_days_review = '5'\n", "'sharing_days_review'.*but it is '5'"),
        ("sharing_days_review = true\n", "'sharing_days_review'.*but it is True"),
        ("story_marking = 'header'\n", "'story_marking'.*'cover-only', 'footer', 'none'"),
        ("story_marking = 1\n", "'story_marking'.*but it is 1"),
    ],
)
def test_bad_configuration_is_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    """Each kind of mistake in the file gives one ConfigError naming the setting."""
    write_toml(tmp_path, text)
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path)


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    """--config naming a missing file is an error, unlike a root without one."""
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path, tmp_path / "missing.toml")


# ---- [folders] names (issue 10.9)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('inbox = ".."', "not . or .."),
        ('inbox = "."', "not . or .."),
        ('processed = "/srv/elsewhere"', "not a path"),
        ('rejected = "a/b"', "not a path"),
        ('rejected = "a\\\\b"', "not a path"),
        ('reports = "C:reports"', "not a path"),
        ('reports = ".hidden"', "hidden"),
        ('processed = "inbox"', "same as"),
        ('processed = "INBOX"', "same as"),
        ('rejected = ".sos-docs"', "same as"),
        ('inbox = " inbox"', "spaces"),
        ('inbox = "in\\nbox"', "control character"),
    ],
)
def test_folder_names_must_be_single_plain_distinct_names(
    tmp_path: Path, entry: str, words: str
) -> None:
    """A [folders] name that is a path, `..`, hidden, repeated or the state folder is refused
    with the file, the line, the key, what is wrong and how to fix it."""
    path = write_toml(tmp_path, f'team = "North"\n\n[folders]\n# ours\n{entry}\n')
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    message = str(raised.value)
    key = entry.split(" =")[0]
    assert f"{path}, line 5" in message
    assert f"folders.{key}" in message and words in message
    assert "plain folder name" in message


def test_a_folder_name_in_a_dotted_key_is_found_on_its_line(tmp_path: Path) -> None:
    """`folders.inbox = ".."` at the top level is refused with its own line too."""
    path = write_toml(tmp_path, 'pdf = false\nfolders.inbox = ".."\n')
    with pytest.raises(ConfigError, match=f"{path}, line 2"):
        load_config(tmp_path)


def test_the_state_folder_may_be_hidden_and_others_plain_names(tmp_path: Path) -> None:
    """Plain, distinct names (the state folder hidden) are accepted as they are."""
    write_toml(tmp_path, '[folders]\ninbox = "In tray"\nstate = ".state"\nrejected = "Nope"\n')
    folders = load_config(tmp_path).folders
    assert (folders.inbox, folders.state, folders.rejected) == ("In tray", ".state", "Nope")


# ---- retention (issue 10.7)


def test_retention_is_off_unless_set(tmp_path: Path) -> None:
    """Without [retention_days] nothing expires; each key set is read, 0 meaning keep."""
    assert load_config(tmp_path).retention_days == Retention()
    assert not Retention().any
    write_toml(tmp_path, "[retention_days]\nprocessed = 90\nlogs = 30\njournal = 0\n")
    retention = load_config(tmp_path).retention_days
    assert retention == Retention(processed=90, logs=30)
    assert retention.any


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("processed = -1", "should be a whole number"),
        ("documents = '30'", "should be a whole number"),
        ("documents = true", "should be a whole number"),
        ("forever = 3", "Unknown setting 'retention_days.forever'"),
    ],
)
def test_a_bad_retention_is_refused(tmp_path: Path, entry: str, words: str) -> None:
    """A retention that is not a whole number of days (0 or more) is a clear error."""
    write_toml(tmp_path, f"[retention_days]\n{entry}\n")
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path)


# --------------------------------------------------------------------------------------------
# Attack review (issues 15/16): settings text tomllib reads slowly is refused before parsing

KEY_OF_65_PARTS = "a" + ".a" * 64 + " = 1"


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        ("sos-docs.toml", 'team = "Family"\n' + KEY_OF_65_PARTS + "\n", 2, "more than 64 names"),
        ("sos-docs.toml", 'contact = "' + "x" * 4_000 + '"\n', 1, "4,012 characters long"),
        ("sos-docs.toml", "# a note\n[a" + ".a" * 64 + "]\n", 2, "more than 64 names"),
        ("layout.toml", '[layout.People]\nsheet = "F"\n' + KEY_OF_65_PARTS, 3, "more than 64"),
        ("layout.toml", "a" + ".a" * 30_000 + " = 1", 1, "60,005 characters long"),
    ],
    ids=["dotted-key", "long-line", "table-header", "layout-key", "a-30000-part-key"],
)
def test_settings_with_a_key_of_too_many_parts_or_a_line_too_long_are_refused_with_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, words: str
) -> None:
    """tomllib slows down faster than linearly on long dotted keys (a 120 KB layout.toml delayed
    every root's start by 106 s): such text is refused before it is parsed, naming the file and
    the line."""
    root = tmp_path / "root"
    root.mkdir()
    (root / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    message = str(caught.value)
    assert f"{root / name}, line {line}:" in message and words in message


def test_the_longest_line_and_key_allowed_are_read(tmp_path: Path) -> None:
    """A 4,000-character line and a key of 64 parts are still settings (refused only by what
    they say); dots inside quotes and comments are not parts of a key."""
    line = 'contact = "' + "x" * 3_988 + '"'
    assert len(line) == 4_000
    dots_in_text = f'team = "{"." * 200}"  # {"." * 200}'
    many_quoted_dots = '"a.b.c"' + ".a" * 63 + " = 1"
    write_toml(tmp_path, f"{line}\n{dots_in_text}\n")
    config = load_config(tmp_path)
    assert config.contact == "x" * 3_988 and config.team == "." * 200
    write_toml(tmp_path, "a" + ".a" * 63 + " = 1\n" + many_quoted_dots + "\n")
    with pytest.raises(ConfigError, match="Unknown setting 'a'"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    "text",
    ["# a note about the settings\n" * 2_500, "a" + ".a" * 60_000 + " = 1"],
    ids=["70-kb-of-notes", "the-120-kb-attack"],
)
def test_a_file_over_64_kb_is_refused_by_its_size(tmp_path: Path, text: str) -> None:
    """Settings files are a few KB; over 64 KB of anything is refused unread, so the largest
    file tomllib ever parses takes a fraction of a second (the attack's took 106 s)."""
    write_toml(tmp_path, text)
    with pytest.raises(ConfigError, match="larger than 65,536 bytes"):
        load_config(tmp_path)
