"""Tests that one team's folder can neither read another team's files through its sos-docs.toml
(templates, logo, templates folder), nor have the service write through links in its root, nor
stop the service for the other teams with a hostile configuration or logo file."""

from __future__ import annotations

import io
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from PIL import Image

from sos_docs import files, pipeline
from sos_docs.config import DEFAULT_TEMPLATES_DIR, Config, load_config
from sos_docs.errors import ConfigError, DeliveryError, TemplateError
from sos_docs.model import MappingCase
from sos_docs.service.doctor import CheckStatus, check_logo, check_root, check_templates
from sos_docs.service.layout import WatchedRoot
from tests.support.builders import EXAMPLE_TODAY, WorkbookBuilder

SECONDS = 10  # far more than any of these takes once fixed; a hang would last for ever


def team(base: Path, name: str, toml: str = "") -> Path:
    """A team's watched folder with its sos-docs.toml."""
    root = base / name
    root.mkdir(parents=True)
    if toml:
        (root / "sos-docs.toml").write_text(toml, encoding="utf-8")
    return root


def config_error(root: Path) -> str:
    """The ConfigError loading `root`'s configuration raises, as one message."""
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    return str(caught.value)


def within_seconds(work: Callable[[], object], fifo: Path | None = None) -> object:
    """`work()`'s result, failing the test (not hanging it) if it takes more than SECONDS."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(_outcome(work)), daemon=True)
    thread.start()
    thread.join(SECONDS)
    if thread.is_alive() and fifo is not None:  # free the blocked reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not thread.is_alive(), "blocked"
    return result[0]


def _outcome(work: Callable[[], object]) -> object:
    try:
        return work()
    except Exception as exc:  # the caller checks what came back
        return exc


def png() -> bytes:
    """A small real PNG picture."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 4), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------- paths in sos-docs.toml


def test_another_teams_report_as_a_template_is_refused_with_file_line_and_key(
    tmp_path: Path,
) -> None:
    """A template in team A's reports/ named by team B's file is a ConfigError for team B."""
    victim = team(tmp_path, "teamA")
    report = victim / "reports" / "CP-VICTIM" / "CP-VICTIM Conference report.docx"
    report.parent.mkdir(parents=True)
    report.write_bytes(b"a child's words")
    attacker = team(
        tmp_path, "teamB", f'[[documents]]\nname = "Stolen"\ntemplate = "{report.as_posix()}"\n'
    )
    message = config_error(attacker)
    assert f"{attacker / 'sos-docs.toml'}, line 3" in message
    assert "template of document 1" in message and "outside the watched folder" in message
    assert "Correct it in" in message


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ('logo = "../teamA/logo.png"', "logo"),
        ('logo = "/etc/hostname"', "logo"),
        ('templates_dir = "/etc"', "templates_dir"),
        ('templates_dir = "../teamA/templates"', "templates_dir"),
    ],
)
def test_a_logo_or_templates_folder_outside_the_root_is_refused(
    tmp_path: Path, setting: str, said: str
) -> None:
    """Absolute and ../ paths out of the watched folder are refused, naming the key and line."""
    root = team(tmp_path, "teamB", f"team = 'B'\n{setting}\n")
    message = config_error(root)
    assert f"line 2: {said} (" in message and "outside the watched folder" in message


@pytest.mark.parametrize("folder", ["inbox", "reports", "processed", "rejected", ".sos-docs"])
def test_a_template_inside_the_roots_own_working_folders_is_refused(
    tmp_path: Path, folder: str
) -> None:
    """Files staff drop (inbox) or the service writes are never used as templates or logos."""
    root = team(tmp_path, "teamB", f'logo = "{folder}/logo.png"\n')
    assert "is inside the" in config_error(root)


def test_a_template_reached_through_a_link_in_the_root_is_refused(tmp_path: Path) -> None:
    """templates/ made a link to another team's folder is refused although its name is inside."""
    other = team(tmp_path, "teamA")
    (other / "templates").mkdir()
    root = team(tmp_path, "teamB", 'templates_dir = "templates"\n')
    (root / "templates").symlink_to(other / "templates", target_is_directory=True)
    assert "goes through a link" in config_error(root)


def test_templates_and_a_logo_inside_the_root_and_the_shipped_templates_are_accepted(
    tmp_path: Path,
) -> None:
    """A team's own templates folder and logo, and a shipped template, load as before."""
    root = team(
        tmp_path,
        "teamB",
        'logo = "branding/logo.png"\n[[documents]]\nname = "Agenda"\n'
        'template = "conference_report.docx"\n',
    )
    config = load_config(root)
    assert config.logo == root / "branding" / "logo.png"


def test_doctor_fails_the_root_and_the_other_roots_are_still_checked(tmp_path: Path) -> None:
    """check_root: the attacker's configuration FAILs; a good root next to it is fine."""
    bad = team(tmp_path, "bad", 'templates_dir = "/etc"\n')
    good = team(tmp_path, "good")
    config, checks = check_root(bad)
    assert config is None and checks[0].status is CheckStatus.FAIL
    good_config, good_checks = check_root(good)
    assert good_config is not None and good_checks[0].status is CheckStatus.OK


# ------------------------------------------------------------------ links in the root itself


@pytest.mark.parametrize("folder", ["reports", "processed", "rejected", ".sos-docs"])
def test_a_top_level_folder_that_is_a_link_stops_the_root_at_start(
    tmp_path: Path, folder: str
) -> None:
    """prepare() refuses a root whose reports/ (etc.) is a link to another team's folder."""
    other = tmp_path / "teamA" / folder
    other.mkdir(parents=True)
    root = team(tmp_path, "teamB")
    (root / folder).symlink_to(other, target_is_directory=True)
    watched = WatchedRoot(root, load_config(root))
    with pytest.raises(ConfigError, match="is a link"):
        watched.prepare()
    assert list(other.iterdir()) == []
    config, checks = check_root(root)
    assert config is not None
    assert any(c.status is CheckStatus.FAIL and "is a link" in c.message for c in checks)


@pytest.mark.parametrize("which", ["journal", "log"])
def test_a_journal_or_log_file_that_is_a_link_stops_the_root_at_start(
    tmp_path: Path, which: str
) -> None:
    """The service never writes its journal or log through a link out of the state folder."""
    root = team(tmp_path, "teamB")
    watched = WatchedRoot(root, load_config(root))
    own = watched.journal_path if which == "journal" else root / ".sos-docs" / "sos-docs.log"
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    (root / ".sos-docs").mkdir()
    own.symlink_to(target)
    with pytest.raises(ConfigError, match="is a link"):
        watched.prepare()
    assert target.read_bytes() == b""


def test_a_write_into_a_top_level_folder_made_a_link_after_start_is_refused(
    tmp_path: Path,
) -> None:
    """write_new_file checks its `within` folder with lstat too: nothing lands behind the link."""
    other = tmp_path / "teamA" / "rejected"
    other.mkdir(parents=True)
    root = team(tmp_path, "teamB")
    (root / "rejected").symlink_to(other, target_is_directory=True)
    with pytest.raises(DeliveryError, match="not a plain folder"):
        files.write_new_file(root / "rejected" / "x.txt", b"x", within=root / "rejected")
    assert list(other.iterdir()) == []


# ------------------------------------------------------- files that would hang or flood reads


def test_a_logo_that_is_a_named_pipe_fails_doctor_at_once(tmp_path: Path) -> None:
    """check_logo and load_logo never block on a named pipe: doctor fails, documents warn."""
    root = team(tmp_path, "teamD", 'logo = "logo.png"\n')
    os.mkfifo(root / "logo.png")
    config = load_config(root)
    check = within_seconds(lambda: check_logo(config), root / "logo.png")
    assert check is not None and check.status is CheckStatus.FAIL  # type: ignore[attr-defined]
    logo, warnings = within_seconds(  # type: ignore[misc]
        lambda: pipeline.load_logo(root / "logo.png"), root / "logo.png"
    )
    assert logo is None and "could not be used" in warnings[0]


def test_a_logo_inside_the_root_is_still_checked_and_used(tmp_path: Path) -> None:
    """A real PNG logo passes doctor and is read for the documents."""
    root = team(tmp_path, "teamD", 'logo = "logo.png"\n')
    (root / "logo.png").write_bytes(png())
    check = check_logo(load_config(root))
    assert check is not None and check.status is CheckStatus.OK
    assert pipeline.load_logo(root / "logo.png")[0] is not None


def test_a_configuration_file_that_is_a_named_pipe_is_a_config_error_at_once(
    tmp_path: Path,
) -> None:
    """sos-docs.toml as a named pipe is refused without waiting for a writer."""
    root = team(tmp_path, "teamE")
    os.mkfifo(root / "sos-docs.toml")
    outcome = within_seconds(lambda: load_config(root), root / "sos-docs.toml")
    assert isinstance(outcome, ConfigError) and "not an ordinary file" in str(outcome)


def test_a_configuration_file_linked_to_dev_zero_is_a_config_error(tmp_path: Path) -> None:
    """A link (here to an endless device) is refused before anything is read."""
    root = team(tmp_path, "teamE")
    (root / "sos-docs.toml").symlink_to("/dev/zero")
    assert "is a link" in config_error(root)


def test_a_configuration_file_larger_than_a_megabyte_is_refused(tmp_path: Path) -> None:
    """A huge file is refused by its size, never read whole."""
    root = team(tmp_path, "teamE", "# padding\n" * 200_000)
    assert "larger than" in config_error(root)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("x = " + "[\n" * 30_000, "nests lists or tables too deeply"),  # 60 KB, under the cap
        (b"team = '\xff\xfe'\n", "not UTF-8"),
        ("team = 'unterminated\n", "not valid TOML"),
    ],
)
def test_any_configuration_that_does_not_parse_is_a_config_error_for_its_root(
    tmp_path: Path, content: str | bytes, said: str
) -> None:
    """RecursionError, a decoding error or a TOML error: a ConfigError, never a traceback."""
    root = team(tmp_path, "teamF")
    path = root / "sos-docs.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    assert said in config_error(root)


def test_a_hostile_root_leaves_the_others_watched(tmp_path: Path) -> None:
    """roots_to_watch: the root with a deeply nested file is left out, the good one is watched."""
    from sos_docs.documents.pdf import PdfConverter
    from sos_docs.service.doctor import roots_to_watch

    bad = team(tmp_path, "bad", "x = " + "[" * 100_000)
    good = team(tmp_path, "good")
    watched, notes = roots_to_watch([bad, good], None, {}, PdfConverter())
    assert [root.path for root in watched] == [good]
    assert any(str(bad) in note.message and "Not watching" in note.message for note in notes)
    assert isinstance(watched[0].config, Config)


# ------------------------------------------ paths followed at every open, not only at start


SECRET = "Team A's child: the words of a safeguarding report"


def word_file(path: Path, *paragraphs: str) -> Path:
    """A real Word file (usable as a template) whose paragraphs hold the given text."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def victim_report(base: Path) -> Path:
    """Team A's finished report, holding a child's details, in its reports folder."""
    return word_file(base / "teamA" / "reports" / "CP-A" / "secret.docx", SECRET)


def extra_document(template: str, templates_dir: str = "tpl") -> str:
    """A sos-docs.toml adding one document from `template` in `templates_dir`."""
    return (
        f'templates_dir = "{templates_dir}"\n'
        f'[[documents]]\nname = "Agenda"\ntemplate = "{template}"\n'
    )


def case(folder: Path) -> MappingCase:
    """The example workbook's valid case (the workbook written in `folder`)."""
    workbook = WorkbookBuilder().write(folder / "CP-1.xlsx")
    validation = pipeline.check_workbook(workbook, today=EXAMPLE_TODAY)
    assert validation.case is not None
    return validation.case


def agenda_text(config: Config, folder: Path) -> str:
    """The text of the extra document rendered for the example case with `config`."""
    agenda = pipeline.render_case(
        case(folder), config, pipeline.document_kinds(config)[len(pipeline.BUILT_IN_KINDS) :]
    )[0]
    document = docx.Document(io.BytesIO(agenda.data))
    return "\n".join(p.text for p in document.paragraphs)


EXTRA = len(pipeline.BUILT_IN_KINDS)  # where a team's first extra document comes


def shipped_templates(folder: Path) -> None:
    """The two conference documents' templates copied into a team's templates folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("conference_report.docx", "words_and_pictures.docx"):
        shutil.copy(DEFAULT_TEMPLATES_DIR / name, folder / name)


def test_a_template_path_stepping_back_out_of_a_link_is_refused_at_load(tmp_path: Path) -> None:
    """F2: `lnk/../CP-A/secret.docx`, with lnk a link to team A's reports, is a ConfigError."""
    victim_report(tmp_path)
    root = team(tmp_path, "teamB", extra_document("lnk/../CP-A/secret.docx"))
    (root / "tpl").mkdir()
    (root / "tpl" / "lnk").symlink_to("../../teamA/reports", target_is_directory=True)
    message = config_error(root)
    assert f"{root / 'sos-docs.toml'}, line 4" in message and "'..'" in message


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ('templates_dir = "tpl/../tpl"', 1),
        ('logo = "branding/../logo.png"', 1),
        ('[[documents]]\nname = "Agenda"\ntemplate = "sub/../agenda.docx"', 3),
    ],
)
def test_any_step_up_in_a_team_path_is_refused_with_file_and_line(
    tmp_path: Path, setting: str, line: int
) -> None:
    """A `..` in templates_dir, logo or a template is refused even when it stays inside."""
    root = team(tmp_path, "teamB", f"{setting}\n")
    message = config_error(root)
    assert f"{root / 'sos-docs.toml'}, line {line}" in message and "'..'" in message


@pytest.mark.parametrize(
    "toml",
    [
        'templates_dir = ".SOS-DOCS"\n',
        'logo = "Inbox/logo.png"\n',
        'templates_dir = "REPORTS/x"\n',
        extra_document("../INBOX/x.docx"),
    ],
)
def test_a_working_folder_spelled_in_other_letters_is_refused(tmp_path: Path, toml: str) -> None:
    """The inbox, reports, processed, rejected and state folders are matched in any case."""
    root = team(tmp_path, "teamB", toml)
    assert "is inside the" in config_error(root)


def test_a_template_folder_swapped_for_a_link_after_start_is_refused(tmp_path: Path) -> None:
    """F3: tpl/sub made a link to team A's reports after load_config: nothing of A is read."""
    victim_report(tmp_path)
    root = team(tmp_path, "teamB", extra_document("sub/secret.docx"))
    word_file(root / "tpl" / "sub" / "secret.docx", "Team B's own agenda")
    shipped_templates(root / "tpl")
    config = load_config(root)
    assert "Team B's own agenda" in agenda_text(config, tmp_path)
    (root / "tpl" / "sub").rename(root / "tpl" / "sub.old")
    (root / "tpl" / "sub").symlink_to("../../teamA/reports/CP-A", target_is_directory=True)
    with pytest.raises(TemplateError, match="link"):
        agenda_text(config, tmp_path)
    checks = check_templates(config)
    assert checks[EXTRA].status is CheckStatus.FAIL and SECRET not in checks[EXTRA].message


def test_a_hard_linked_template_is_refused(tmp_path: Path) -> None:
    """F9: tpl/h.docx, a hard link to team A's report, is neither rendered nor passed by doctor."""
    report = victim_report(tmp_path)
    root = team(tmp_path, "teamB", extra_document("h.docx"))
    shipped_templates(root / "tpl")
    os.link(report, root / "tpl" / "h.docx")
    config = load_config(root)
    with pytest.raises(TemplateError, match="hard link"):
        agenda_text(config, tmp_path)
    assert check_templates(config)[EXTRA].status is CheckStatus.FAIL


def test_a_logo_folder_swapped_for_a_link_after_start_is_refused(tmp_path: Path) -> None:
    """F3: branding/ made a link to team A's folder after load: the logo is left out, doctor fails."""
    other = team(tmp_path, "teamA")
    (other / "branding").mkdir()
    (other / "branding" / "logo.png").write_bytes(png())
    root = team(tmp_path, "teamB", 'logo = "branding/logo.png"\n')
    (root / "branding").mkdir()
    (root / "branding" / "logo.png").write_bytes(png())
    config = load_config(root)
    assert pipeline.document_settings(config)[0].logo is not None
    (root / "branding").rename(root / "branding.old")
    (root / "branding").symlink_to("../teamA/branding", target_is_directory=True)
    settings, warnings = pipeline.document_settings(config)
    assert settings.logo is None and "link" in warnings[0]
    check = check_logo(config)
    assert check is not None and check.status is CheckStatus.FAIL


def test_a_hard_linked_logo_is_refused(tmp_path: Path) -> None:
    """A logo that is a hard link to another file is not read: doctor fails, documents warn."""
    other = team(tmp_path, "teamA")
    (other / "logo.png").write_bytes(png())
    root = team(tmp_path, "teamB", 'logo = "logo.png"\n')
    os.link(other / "logo.png", root / "logo.png")
    config = load_config(root)
    check = check_logo(config)
    assert check is not None and check.status is CheckStatus.FAIL and "hard link" in check.message
    assert pipeline.document_settings(config)[0].logo is None


def test_a_team_template_in_its_templates_folder_still_renders(tmp_path: Path) -> None:
    """A plain template in the team's own templates folder is read and rendered as before."""
    root = team(tmp_path, "teamB", extra_document("agenda.docx", "templates"))
    shipped_templates(root / "templates")
    word_file(root / "templates" / "agenda.docx", "Agenda for {{ case_reference }}")
    config = load_config(root)
    assert "Agenda for CP-" in agenda_text(config, tmp_path)
    assert all(c.status is CheckStatus.OK for c in check_templates(config))


def test_a_nul_character_in_a_template_path_stops_only_its_root(tmp_path: Path) -> None:
    """A NUL in a path is a ConfigError for that root, not a ValueError traceback for every root."""
    root = tmp_path / "team"
    root.mkdir()
    (root / "sos-docs.toml").write_text('logo = "a\\u0000b.png"\n', "utf-8")
    with pytest.raises(ConfigError, match="NUL character"):
        load_config(root)
