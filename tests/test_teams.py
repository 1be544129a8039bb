"""Tests for running sos-docs for several teams: per-root settings, branding, extra documents,
PDF copies in the service, and `watch` / `doctor` over several roots, where one team's mistake
must never stop another team's folder."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import docx
import pytest
from click.testing import CliRunner

from sos_docs import pipeline
from sos_docs.cli import cli
from sos_docs.codes import DOC002
from sos_docs.config import (
    DEFAULT_TEMPLATES_DIR,
    Config,
    ExtraDocument,
    ServiceConfig,
    load_config,
    load_service_config,
)
from sos_docs.documents.context import DocumentSettings, build_context
from sos_docs.documents.pdf import PdfConverter
from sos_docs.documents.render import check_template
from sos_docs.errors import ConfigError, PdfError
from sos_docs.model import MappingCase
from sos_docs.pipeline import document_kinds, process_workbook, render_case
from sos_docs.service.jobs import JobOutcome, run_job
from sos_docs.service.journal import Journal
from sos_docs.service.layout import WatchedRoot
from tests.support.branding import document_text, picture_blobs, png, unbranded_workbook
from tests.support.builders import EXAMPLE_TODAY
from tests.support.office import needs_libreoffice

ROOT = Path(__file__).resolve().parent.parent
AGENDA = ROOT / "templates" / "extra" / "core_group_agenda.docx"
FAST_FLAGS = ["--settle", "0.2", "--rescan", "0.5"]
LOGO_HEIGHT_EMU = 720_000


# ---------------------------------------------------------------------------------------------
# Helpers


def write_template(path: Path, *paragraphs: str) -> Path:
    """A real Word template whose paragraphs hold the given text (and tags)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def team_root(
    base: Path,
    name: str,
    toml: str,
    *,
    templates: Callable[[Path], None] | None = None,
    logo: bytes | None = None,
) -> Path:
    """A team's root folder with its sos-docs.toml, optional logo and own templates folder."""
    root = base / name
    root.mkdir(parents=True)
    if logo is not None:
        (root / "logo.png").write_bytes(logo)
    if templates is not None:
        folder = root / "templates"
        for default in ("conference_report.docx", "words_and_pictures.docx"):
            folder.mkdir(exist_ok=True)
            shutil.copy(DEFAULT_TEMPLATES_DIR / default, folder / default)
        templates(folder)
    (root / "sos-docs.toml").write_text(toml, encoding="utf-8")
    return root


def documents_in(root: Path, reference: str) -> dict[str, Path]:
    """The finished files under reports/<reference>/, by document name."""
    found = {}
    for path in (root / "reports" / reference).iterdir():
        for name in ("Conference report", "Words and pictures", "Core group agenda"):
            if f" {name} " in path.name:
                found[f"{name}{path.suffix}"] = path
    return found


# ---------------------------------------------------------------------------------------------
# Configuration


def test_team_settings_are_read_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    """local_authority, team, logo, free_disk_mb and [[documents]] come from sos-docs.toml."""
    (tmp_path / "sos-docs.toml").write_text(
        'local_authority = "Northshire Council"\nteam = "North Team"\nlogo = "brand/logo.png"\n'
        "free_disk_mb = 0\npdf = true\n"
        '[[documents]]\nname = "Core group agenda"\ntemplate = "extra/core_group_agenda.docx"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.local_authority == "Northshire Council"
    assert config.team == "North Team"
    assert config.logo == (tmp_path / "brand" / "logo.png").resolve()
    assert config.free_disk_mb == 0
    assert config.pdf is True
    assert config.documents == (
        ExtraDocument("Core group agenda", Path("extra/core_group_agenda.docx")),
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("free_disk_mb = 1.5\n", "should be a whole number"),
        ("free_disk_mb = true\n", "should be a whole number"),
        ('logo = ""\n', "Setting 'logo'"),
        ("documents = 3\n", "should be one or more tables"),
        ('[[documents]]\nname = "A"\ntemplate = "a.docx"\nextra = 1\n', "exactly a name"),
        ('[[documents]]\nname = " "\ntemplate = "a.docx"\n', "must be some text"),
        (
            '[[documents]]\nname = "Agenda"\ntemplate = "a.docx"\n'
            '[[documents]]\nname = "agenda"\ntemplate = "b.docx"\n',
            "Two extra documents",
        ),
    ],
)
def test_bad_team_settings_are_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    """Each mistake in the new settings is a ConfigError naming it."""
    (tmp_path / "sos-docs.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_config(tmp_path)


def test_the_service_file_lists_roots_relative_to_itself(tmp_path: Path) -> None:
    """`roots` in a service-wide file are resolved beside the file, duplicates dropped."""
    path = tmp_path / "etc" / "service.toml"
    path.parent.mkdir()
    path.write_text('roots = ["../north", "/srv/south", "../north"]\nworkers = 3\n')
    assert load_service_config(path) == ServiceConfig(
        (tmp_path / "north", Path("/srv/south").resolve()), 3
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("roots = []\n", "should list the folders to watch"),
        ('roots = "north"\n', "should list the folders to watch"),
        ('roots = ["a"]\nworkers = 0\n', "Setting 'workers'"),
        ('roots = ["a"]\npdf = true\n', "Unknown setting 'pdf' in the service file"),
    ],
)
def test_a_bad_service_file_is_one_clear_error(tmp_path: Path, text: str, words: str) -> None:
    """A service file with no roots, bad workers or a root's setting is refused plainly."""
    path = tmp_path / "service.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_service_config(path)


# ---------------------------------------------------------------------------------------------
# Branding through the context and the pipeline


def test_the_folders_names_fill_in_what_the_workbook_leaves_blank(
    example_case: MappingCase,
) -> None:
    """A workbook's own local authority and team win; the folder's are used when it has none."""
    settings = DocumentSettings(local_authority="Northshire Council", team="North Team")
    written = build_context(example_case, settings)
    assert written["local_authority"] == "Northbrook Council"
    assert written["team"] == "Riverside Family Support Team"
    blank = example_case.__class__(
        **{
            **example_case.__dict__,
            "details": example_case.details.__class__(
                **{**example_case.details.__dict__, "local_authority": "", "team": ""}
            ),
        }
    )
    filled = build_context(blank, settings)
    assert filled["local_authority"] == "Northshire Council"
    assert filled["team"] == "North Team"
    assert filled["logo"] == ""


def test_a_workbook_from_another_council_is_a_warning(
    example_case: MappingCase, tmp_path: Path
) -> None:
    """A workbook naming another local authority than the folder's gets a receipt warning."""
    config = Config(local_authority="Southshire Council", team="Riverside family support team")
    first, *others = render_case(example_case, config)  # the example's copies, then the story
    assert first.warnings == (
        "The workbook names the local authority 'Northbrook Council', but this folder is set up "
        "for 'Southshire Council'. The documents show 'Northbrook Council'. If the workbook "
        "belongs to another team, send it to that team's folder.",
    )
    assert all(other.warnings == () for other in others)


def test_the_logo_heads_the_report_two_centimetres_high(
    example_case: MappingCase, tmp_path: Path
) -> None:
    """The configured logo is the report's first picture, 2 cm high, with its own bytes."""
    logo = png((200, 30, 30))
    (tmp_path / "logo.png").write_bytes(logo)
    report, *_ = render_case(example_case, Config(logo=tmp_path / "logo.png"))
    (tmp_path / "report.docx").write_bytes(report.data)
    pictures = picture_blobs(tmp_path / "report.docx")
    assert pictures[0] == (logo, LOGO_HEIGHT_EMU)
    assert len(pictures) == 2  # the logo, then the scale picture
    assert report.warnings == ()


def test_an_unreadable_logo_is_left_out_with_a_warning(
    example_case: MappingCase, tmp_path: Path
) -> None:
    """A logo that is not a picture costs only the logo: the documents come, with a warning."""
    (tmp_path / "logo.png").write_bytes(b"not a picture")
    report, *_ = render_case(example_case, Config(logo=tmp_path / "logo.png"))
    (tmp_path / "report.docx").write_bytes(report.data)
    assert len(picture_blobs(tmp_path / "report.docx")) == 1  # only the scale picture
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith(f"The logo {tmp_path / 'logo.png'} could not be used")


# ---------------------------------------------------------------------------------------------
# Extra documents


def test_extra_documents_follow_the_built_in_ones() -> None:
    """Configured documents come after the built-in ones, with a key from their name."""
    config = Config(documents=(ExtraDocument("Core group agenda", Path("extra/a.docx")),))
    kinds = document_kinds(config)
    assert [k.title for k in kinds] == [
        "Conference report",
        "Words and pictures",
        "Record of the mapping",
        "Core group agenda",
    ]
    assert kinds[3].key == "core-group-agenda"
    assert pipeline.template_path(config, kinds[3]) == DEFAULT_TEMPLATES_DIR / "extra" / "a.docx"
    absolute = Config(documents=(ExtraDocument("Agenda", Path("/srv/t/agenda.docx")),))
    assert pipeline.template_path(absolute, document_kinds(absolute)[3]) == Path(
        "/srv/t/agenda.docx"
    )


def test_an_extra_document_named_like_a_built_in_one_is_refused() -> None:
    """Two documents with one name would share file names, so the configuration is refused."""
    config = Config(documents=(ExtraDocument("words AND pictures", Path("x.docx")),))
    with pytest.raises(ConfigError, match="has the name of the built-in 'Words and pictures'"):
        document_kinds(config)


def test_the_shipped_agenda_uses_only_known_fields() -> None:
    """templates/extra/core_group_agenda.docx passes check-template."""
    assert check_template(AGENDA) == []


def test_the_shipped_agenda_is_what_its_script_builds() -> None:
    """The committed agenda is scripts/build_extra_templates.py's output, byte for byte."""
    spec = importlib.util.spec_from_file_location(
        "build_extra_templates", ROOT / "scripts" / "build_extra_templates.py"
    )
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build_all() == {AGENDA.name: AGENDA.read_bytes()}


def test_an_extra_document_is_made_for_every_workbook_by_the_output_pattern(
    tmp_path: Path,
) -> None:
    """The configured agenda is made beside the built-in documents, named with {document}."""
    config = Config(
        documents=(ExtraDocument("Core group agenda", Path("extra/core_group_agenda.docx")),)
    )
    for reference in ("CP-1", "CP-2"):
        workbook = unbranded_workbook(tmp_path / f"{reference}.xlsx", reference)
        outcome = process_workbook(workbook, tmp_path / "out", config, today=EXAMPLE_TODAY)
        assert outcome.ok
        names = [p.name for p in outcome.documents]
        assert names[2] == f"{reference} Core group agenda 2026-11-27.docx"
        text = document_text(outcome.documents[2])
        assert "Core group meeting: agenda" in text
        assert "Danger statement 1" in text
        assert f"Case reference: {reference}" in text


# ---------------------------------------------------------------------------------------------
# PDF copies in the service


class FailingConverter(PdfConverter):
    """A converter that is available but whose every conversion fails, as a broken one would."""

    def available(self) -> bool:
        return True

    def convert(self, docx: Path, pdf_dest: Path) -> Path:
        raise PdfError(f"{docx.name} could not be converted to PDF: LibreOffice crashed.")


def receipt(root: WatchedRoot, reference: str, stem: str = "case") -> str:
    return (root.reports / reference / f"{stem} - receipt.txt").read_text(encoding="utf-8-sig")


def test_a_failing_pdf_conversion_is_a_warning_and_the_documents_still_come(
    tmp_path: Path,
) -> None:
    """Every PDF failing leaves both .docx in place, the workbook processed, DOC002 on the receipt."""
    root = WatchedRoot(tmp_path / "root", Config(pdf=True), FailingConverter())
    root.prepare()
    unbranded_workbook(root.inbox / "case.xlsx")
    result = run_job(root, root.inbox / "case.xlsx")
    assert result.outcome is JobOutcome.PROCESSED
    assert sorted(p.suffix for p in result.outputs) == [".docx", ".docx"]
    text = receipt(root, "CP-1")
    assert text.count(DOC002) == 2
    assert (
        "No PDF copy of CP-1 Conference report 2026-11-27.docx was made. CP-1 Conference report "
        "2026-11-27.docx could not be converted to PDF: LibreOffice crashed." in text
    )
    assert "staged" not in text


def test_without_libreoffice_the_receipt_says_no_pdf_copies_were_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PDF on but no LibreOffice: the .docx are made and the receipt says why there is no PDF."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("sos_docs.documents.pdf._SOFFICE_PLACES", ())
    root = WatchedRoot(tmp_path / "root", Config(pdf=True), PdfConverter())
    root.prepare()
    unbranded_workbook(root.inbox / "case.xlsx")
    result = run_job(root, root.inbox / "case.xlsx")
    assert result.outcome is JobOutcome.PROCESSED
    assert len(result.outputs) == 2
    assert "No PDF copies were made: LibreOffice was not found on this computer." in receipt(
        root, "CP-1"
    )


@needs_libreoffice
def test_the_service_places_a_pdf_beside_each_document(tmp_path: Path) -> None:
    """With LibreOffice, each document gets its PDF in reports/, listed in the journal."""
    with PdfConverter() as converter:
        root = WatchedRoot(tmp_path / "root", Config(pdf=True), converter)
        root.prepare()
        unbranded_workbook(root.inbox / "case.xlsx")
        result = run_job(root, root.inbox / "case.xlsx")
    assert result.outcome is JobOutcome.PROCESSED
    names = sorted(p.name for p in result.outputs)
    assert names == [
        "CP-1 Conference report 2026-11-27.docx",
        "CP-1 Conference report 2026-11-27.pdf",
        "CP-1 Words and pictures 2026-11-27.docx",
        "CP-1 Words and pictures 2026-11-27.pdf",
    ]
    assert all(p.read_bytes().startswith(b"%PDF-") for p in result.outputs if p.suffix == ".pdf")
    assert "No warnings." in receipt(root, "CP-1")
    with Journal(root.journal_path, root=root.path) as journal:
        (record,) = journal.recent(10)
    assert sum(1 for p in record.outputs if str(p).endswith(".pdf")) == 2


# ---------------------------------------------------------------------------------------------
# Several teams, one service


def service_log(root: Path) -> str:
    return (root / ".sos-docs" / "sos-docs.log").read_text(encoding="utf-8")


def north_and_south(tmp_path: Path) -> tuple[Path, Path]:
    """Two teams: north with the default templates, a logo and an extra agenda; south with its
    own report template, its own names, marking, file names and inbox."""
    north = team_root(
        tmp_path,
        "north",
        'local_authority = "Northshire Council"\nteam = "North Team"\nlogo = "logo.png"\n'
        "settle_seconds = 0.2\n"
        '[[documents]]\nname = "Core group agenda"\n'
        f'template = "{AGENDA.as_posix()}"\n',
        logo=png((200, 30, 30)),
    )

    def south_report(folder: Path) -> None:
        write_template(
            folder / "conference_report.docx",
            "SOUTHSHIRE REPORT TEMPLATE",
            "{{ local_authority }} / {{ team }} / {{ protective_marking }}",
            "{%p for d in danger_statements %}",
            "Danger {{ d.number }}: {{ d.statement }}",
            "{%p endfor %}",
        )

    south = team_root(
        tmp_path,
        "south",
        'local_authority = "Southshire Council"\nteam = "South Team"\n'
        'protective_marking = "OFFICIAL"\noutput_pattern = "{date} {case_reference} {document}.docx"\n'
        'templates_dir = "templates"\nsettle_seconds = 0.2\n[folders]\ninbox = "Drop here"\n',
        templates=south_report,
    )
    return north, south


def test_two_teams_get_their_own_branded_documents(tmp_path: Path) -> None:
    """One service, two roots: each workbook is made with its own team's names, logo, marking,
    templates, extra documents and file names."""
    north, south = north_and_south(tmp_path)
    unbranded_workbook(north / "inbox" / "n.xlsx", "CP-N1")
    (south / "Drop here").mkdir()
    unbranded_workbook(south / "Drop here" / "s.xlsx", "CP-S1")
    result = CliRunner().invoke(cli, ["watch", str(north), str(south), "--once", *FAST_FLAGS])
    assert result.exit_code == 0, result.output

    made = documents_in(north, "CP-N1")
    assert sorted(made) == [
        "Conference report.docx",
        "Core group agenda.docx",
        "Words and pictures.docx",
    ]
    report = document_text(made["Conference report.docx"])
    assert "Northshire Council" in report and "North Team" in report
    assert "OFFICIAL-SENSITIVE" in report
    assert picture_blobs(made["Conference report.docx"])[0] == (
        (north / "logo.png").read_bytes(),
        LOGO_HEIGHT_EMU,
    )
    agenda = document_text(made["Core group agenda.docx"])
    assert "Core group meeting: agenda" in agenda and "Northshire Council" in agenda

    south_files = sorted(p.name for p in (south / "reports").iterdir())
    assert south_files == [
        "2026-11-27 CP-S1 Conference report.docx",
        "2026-11-27 CP-S1 Words and pictures.docx",
        "s - receipt.txt",
    ]
    south_report = document_text(south / "reports" / south_files[0])
    assert "SOUTHSHIRE REPORT TEMPLATE" in south_report
    assert "Southshire Council / South Team / OFFICIAL" in south_report
    assert "Northshire" not in south_report
    assert picture_blobs(south / "reports" / south_files[0]) == []


@pytest.mark.parametrize(
    ("breakage", "words"),
    [
        ("polling = 'yes'\n", "Setting 'polling'"),
        (
            '[[documents]]\nname = "Agenda"\ntemplate = "agenda.docx"\n',
            "'case_refrence' (in the body) is not a known template field; "
            "did you mean 'case_reference'?",
        ),
        ('logo = "missing.png"\n', "does not exist"),
    ],
    ids=["bad setting", "misspelt placeholder", "missing logo"],
)
def test_a_broken_team_stops_only_its_own_folder(tmp_path: Path, breakage: str, words: str) -> None:
    """A root with bad settings or a bad template is not watched, with the reason in the log of
    the team that still runs; the good root's workbook is made; `--once` then exits 1."""
    good = team_root(tmp_path, "good", "settle_seconds = 0.2\n")
    bad = team_root(tmp_path, "bad", f'templates_dir = "templates"\n{breakage}')
    (bad / "templates").mkdir()
    for name in ("conference_report.docx", "words_and_pictures.docx"):
        shutil.copy(DEFAULT_TEMPLATES_DIR / name, bad / "templates" / name)
    write_template(bad / "templates" / "agenda.docx", "Agenda for {{ case_refrence }}")
    unbranded_workbook(good / "inbox" / "g.xlsx", "CP-G1")
    (bad / "inbox").mkdir()
    waiting = unbranded_workbook(bad / "inbox" / "b.xlsx", "CP-B1")

    result = CliRunner().invoke(cli, ["watch", str(good), str(bad), "--once", *FAST_FLAGS])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (good / "processed" / "g.xlsx").is_file()
    assert len(documents_in(good, "CP-G1")) == 2
    assert waiting.is_file()  # untouched, waiting for its team's folder to be fixed
    assert not (bad / "reports").exists()
    text = service_log(good)
    assert f"{bad}: FAIL  " in text and words in text
    assert f"Not watching {bad}: fix the problems above" in text


def test_no_folder_that_can_be_watched_is_an_error(tmp_path: Path) -> None:
    """When every root fails its checks, the service prints them and exits 1 at once."""
    bad = team_root(tmp_path, "bad", "free_disk_mb = 999999999999\n")
    result = CliRunner().invoke(cli, ["watch", str(bad), "--once"])
    assert result.exit_code == 1
    assert f"{bad}: FAIL  free disk space: Only " in result.output
    assert result.output.endswith("Error: no folder can be watched. Fix the problems above.\n")


def test_the_service_file_names_the_roots_and_workers(tmp_path: Path) -> None:
    """`watch --service-config` watches the roots the file lists."""
    north, south = north_and_south(tmp_path)
    unbranded_workbook(north / "inbox" / "n.xlsx", "CP-N1")
    (south / "Drop here").mkdir()
    unbranded_workbook(south / "Drop here" / "s.xlsx", "CP-S1")
    service = tmp_path / "service.toml"
    service.write_text('roots = ["north", "south"]\nworkers = 1\n')
    result = CliRunner().invoke(
        cli, ["watch", "--service-config", str(service), "--once", *FAST_FLAGS]
    )
    assert result.exit_code == 0, result.output
    assert (north / "processed" / "n.xlsx").is_file()
    assert (south / "processed" / "s.xlsx").is_file()


def test_libreoffice_missing_is_said_once_and_documents_still_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two roots want PDFs without LibreOffice: one warning at start, .docx made in both."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setattr("sos_docs.documents.pdf._SOFFICE_PLACES", ())
    first = team_root(tmp_path, "first", "pdf = true\n")
    second = team_root(tmp_path, "second", "pdf = true\n")
    unbranded_workbook(first / "inbox" / "a.xlsx", "CP-A")
    unbranded_workbook(second / "inbox" / "b.xlsx", "CP-B")
    result = CliRunner().invoke(cli, ["watch", str(first), str(second), "--once", *FAST_FLAGS])
    assert result.exit_code == 0, result.output
    for root, reference in ((first, "CP-A"), (second, "CP-B")):
        assert sorted(documents_in(root, reference)) == [
            "Conference report.docx",
            "Words and pictures.docx",
        ]
        log = service_log(root)
        assert log.count("LibreOffice was not found on this computer") == 1
        assert "WARN  LibreOffice: PDF copies are switched on, but" in log


@needs_libreoffice
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_watch_with_pdf_puts_readable_pdfs_beside_the_documents(tmp_path: Path) -> None:
    """`watch --pdf`: each document's PDF appears, and the report's PDF holds the danger
    statements as text."""
    import subprocess

    from sos_docs.workbook import example

    root = team_root(tmp_path, "root", "settle_seconds = 0.2\n")
    unbranded_workbook(root / "inbox" / "case.xlsx", "CP-1")
    result = CliRunner().invoke(cli, ["watch", str(root), "--pdf", "--once", *FAST_FLAGS])
    assert result.exit_code == 0, result.output
    made = documents_in(root, "CP-1")
    assert sorted(made) == [
        "Conference report.docx",
        "Conference report.pdf",
        "Words and pictures.docx",
        "Words and pictures.pdf",
    ]
    text = subprocess.run(
        ["pdftotext", str(made["Conference report.pdf"]), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")
    flat = " ".join(text.split())
    for danger in example.DANGER_STATEMENTS:
        assert " ".join(danger["Statement"].split()) in flat


# ---------------------------------------------------------------------------------------------
# render --pdf and the doctor command


@needs_libreoffice
def test_render_with_pdf_writes_and_lists_the_pdfs(tmp_path: Path) -> None:
    """`render --pdf` writes a PDF beside each document and says so."""
    workbook = unbranded_workbook(tmp_path / "case.xlsx")
    result = CliRunner().invoke(cli, ["render", str(workbook), "--out", str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    assert result.output.count(".pdf\n") == 2
    assert (tmp_path / "CP-1" / "CP-1 Conference report 2026-11-27.pdf").is_file()


def test_render_with_pdf_but_no_libreoffice_warns_once_and_writes_the_docx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without LibreOffice `render --pdf` says so once and still writes the two documents."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setattr("sos_docs.documents.pdf._SOFFICE_PLACES", ())
    workbook = unbranded_workbook(tmp_path / "case.xlsx")
    result = CliRunner().invoke(cli, ["render", str(workbook), "--out", str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    assert result.output.count("LibreOffice was not found") == 1
    assert result.output.count("Wrote ") == 2


def test_doctor_passes_healthy_roots_and_exits_0(tmp_path: Path) -> None:
    """`doctor` prints each root and one line per check; all passing exits 0."""
    north, south = north_and_south(tmp_path)
    result = CliRunner().invoke(cli, ["doctor", str(north), str(south)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == str(north)
    assert f"  OK    configuration: {north / 'sos-docs.toml'} is valid." in lines
    assert any(line.startswith("  OK    template for Core group agenda: ") for line in lines)
    assert any(line.startswith("  OK    logo: ") for line in lines)
    assert str(south) in lines
    assert lines[-1] == "Checked 2 folders: 0 with failing checks."


def test_doctor_exits_1_with_the_failing_check_and_what_to_do(tmp_path: Path) -> None:
    """A misspelt placeholder in one root's extra template fails that root; doctor exits 1."""
    good = team_root(tmp_path, "good", "")
    bad = team_root(
        tmp_path,
        "bad",
        f'[[documents]]\nname = "Agenda"\ntemplate = "{(tmp_path / "bad" / "agenda.docx").as_posix()}"\n',
    )
    write_template(bad / "agenda.docx", "{{ case_refrence }}")
    result = CliRunner().invoke(cli, ["doctor", str(good), str(bad)])
    assert result.exit_code == 1
    (failing,) = [line for line in result.output.splitlines() if "FAIL" in line]
    assert failing.startswith("  FAIL  template for Agenda: The template ")
    assert "did you mean 'case_reference'?" in failing
    assert "What to do: Correct them in Word" in failing
    assert result.output.splitlines()[-1] == "Checked 2 folders: 1 with failing checks."


def test_doctor_warnings_alone_exit_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PDF on without LibreOffice is a WARN: doctor says so and still exits 0."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setattr("sos_docs.documents.pdf._SOFFICE_PLACES", ())
    root = team_root(tmp_path, "root", "")
    result = CliRunner().invoke(cli, ["doctor", str(root), "--pdf"])
    assert result.exit_code == 0, result.output
    assert "  WARN  LibreOffice: PDF copies are switched on, but" in result.output


def test_doctor_reads_the_service_file(tmp_path: Path) -> None:
    """`doctor --service-config` checks every root the file lists."""
    north, south = north_and_south(tmp_path)
    service = tmp_path / "service.toml"
    service.write_text('roots = ["north", "south"]\n')
    result = CliRunner().invoke(cli, ["doctor", "--service-config", str(service)])
    assert result.exit_code == 0, result.output
    assert str(north) in result.output.splitlines()
    assert str(south) in result.output.splitlines()


def test_doctor_with_a_bad_service_file_is_a_plain_error(tmp_path: Path) -> None:
    """A service file without roots is `Error: ...` and exit 1."""
    service = tmp_path / "service.toml"
    service.write_text("workers = 2\n")
    result = CliRunner().invoke(cli, ["doctor", "--service-config", str(service)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: The service file {service} should list the folders")
