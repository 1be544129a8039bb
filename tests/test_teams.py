"""Tests for running sos-docs for several teams: per-root settings, branding, extra documents,
PDF copies in the service, and `watch` / `doctor` over several roots (issue 7)."""

from __future__ import annotations

import importlib.util
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import docx
import pytest
from builders import WorkbookBuilder
from conftest import EXAMPLE_TODAY
from PIL import Image

from sos_docs import pipeline
from sos_docs.config import (
    DEFAULT_TEMPLATES_DIR,
    Config,
    ExtraDocument,
    ServiceConfig,
    load_config,
    load_service_config,
)
from sos_docs.context import DocumentSettings, build_context
from sos_docs.errors import ConfigError, PdfError
from sos_docs.jobs import PDF_WARNING_CODE, Outcome, WatchedRoot, run_job
from sos_docs.journal import Journal
from sos_docs.model import MappingCase
from sos_docs.pdf import PdfConverter, locate_libreoffice
from sos_docs.pipeline import document_kinds, process_workbook, render_case
from sos_docs.render import check_template

ROOT = Path(__file__).resolve().parent.parent
AGENDA = ROOT / "templates" / "extra" / "core_group_agenda.docx"
FAST_FLAGS = ["--settle", "0.2", "--rescan", "0.5"]
LOGO_HEIGHT_EMU = 720_000


def _libreoffice_missing() -> str:
    try:
        locate_libreoffice()
    except PdfError as exc:
        return str(exc)
    return ""


NO_LIBREOFFICE = _libreoffice_missing()
needs_libreoffice = pytest.mark.skipif(
    bool(NO_LIBREOFFICE), reason=f"LibreOffice cannot be driven here: {NO_LIBREOFFICE}"
)


# ---------------------------------------------------------------------------------------------
# Helpers


def png(colour: tuple[int, int, int], size: tuple[int, int] = (300, 100)) -> bytes:
    """A small PNG picture of one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def write_template(path: Path, *paragraphs: str) -> Path:
    """A real Word template whose paragraphs hold the given text (and tags)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def unbranded_workbook(path: Path, reference: str = "CP-1") -> Path:
    """The example workbook with its own case reference and no local authority or team typed."""
    book = WorkbookBuilder().set_case("Case reference", reference)
    book.set_case("Local authority", None).set_case("Team", None)
    return book.write(path)


def document_text(path: Path) -> str:
    """Paragraph, table, header and footer text of a .docx, read back with python-docx."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    for section in document.sections:
        texts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(texts)


def picture_blobs(path: Path) -> list[tuple[bytes, int]]:
    """Each inline picture of a .docx's body: its image bytes and its height in EMU."""
    document = docx.Document(str(path))
    found = []
    for shape in document.inline_shapes:
        r_id = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        found.append((document.part.related_parts[r_id].blob, int(shape.height)))
    return found


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
    first, second = render_case(example_case, config)
    assert first.warnings == (
        "The workbook names the local authority 'Northbrook Council', but this folder is set up "
        "for 'Southshire Council'. The documents show 'Northbrook Council'. If the workbook "
        "belongs to another team, send it to that team's folder.",
    )
    assert second.warnings == ()


def test_the_logo_heads_the_report_two_centimetres_high(
    example_case: MappingCase, tmp_path: Path
) -> None:
    """The configured logo is the report's first picture, 2 cm high, with its own bytes."""
    logo = png((200, 30, 30))
    (tmp_path / "logo.png").write_bytes(logo)
    report, _ = render_case(example_case, Config(logo=tmp_path / "logo.png"))
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
    report, _ = render_case(example_case, Config(logo=tmp_path / "logo.png"))
    (tmp_path / "report.docx").write_bytes(report.data)
    assert len(picture_blobs(tmp_path / "report.docx")) == 1  # only the scale picture
    assert len(report.warnings) == 1
    assert report.warnings[0].startswith(f"The logo {tmp_path / 'logo.png'} could not be used")


# ---------------------------------------------------------------------------------------------
# Extra documents


def test_extra_documents_follow_the_built_in_ones() -> None:
    """Configured documents are made after the two built-in ones, with a key from their name."""
    config = Config(documents=(ExtraDocument("Core group agenda", Path("extra/a.docx")),))
    kinds = document_kinds(config)
    assert [k.title for k in kinds] == [
        "Conference report",
        "Words and pictures",
        "Core group agenda",
    ]
    assert kinds[2].key == "core-group-agenda"
    assert pipeline.template_path(config, kinds[2]) == DEFAULT_TEMPLATES_DIR / "extra" / "a.docx"
    absolute = Config(documents=(ExtraDocument("Agenda", Path("/srv/t/agenda.docx")),))
    assert pipeline.template_path(absolute, document_kinds(absolute)[2]) == Path(
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
    assert result.outcome is Outcome.PROCESSED
    assert sorted(p.suffix for p in result.outputs) == [".docx", ".docx"]
    text = receipt(root, "CP-1")
    assert text.count(PDF_WARNING_CODE) == 2
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
    monkeypatch.setattr("sos_docs.pdf._SOFFICE_PLACES", ())
    root = WatchedRoot(tmp_path / "root", Config(pdf=True), PdfConverter())
    root.prepare()
    unbranded_workbook(root.inbox / "case.xlsx")
    result = run_job(root, root.inbox / "case.xlsx")
    assert result.outcome is Outcome.PROCESSED
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
    assert result.outcome is Outcome.PROCESSED
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
