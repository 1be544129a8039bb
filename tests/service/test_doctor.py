"""Tests for sos_docs.service.doctor: each pre-flight check of a root, passing and failing, on real folders."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import docx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from sos_docs.config import DEFAULT_CONFIG, Config, load_config
from sos_docs.documents import pdf
from sos_docs.documents.pdf import PdfConverter
from sos_docs.service import doctor
from sos_docs.service.doctor import (
    Check,
    CheckStatus,
    Mount,
    check_configuration,
    check_file_system,
    check_folder,
    check_folders,
    check_free_disk,
    check_libreoffice,
    check_logo,
    check_root,
    check_templates,
    mount_for,
    parse_mountinfo,
)

LOCAL_MOUNTS = """\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
"""


def write_toml(root: Path, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "sos-docs.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_template(path: Path, *paragraphs: str) -> Path:
    """A real Word template whose paragraphs hold the given text (and tags)."""
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_png(path: Path, size: tuple[int, int] = (120, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (31, 78, 121)).save(path, format="PNG")
    return path


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


# ---------------------------------------------------------------------------------------------
# A whole root


def test_a_healthy_root_passes_every_check(tmp_path: Path) -> None:
    """A root with its folders, valid settings and the default templates has no FAIL or WARN."""
    for name in ("inbox", "reports", "processed", "rejected", ".sos-docs"):
        (tmp_path / name).mkdir()
    config, checks = check_root(tmp_path)
    assert config == DEFAULT_CONFIG
    assert [c.status for c in checks] == [CheckStatus.OK] * len(checks)
    assert {"configuration", "inbox folder", "template for Conference report"} <= set(
        by_name(checks)
    )


def test_a_missing_root_fails_asking_whether_the_share_is_mounted(tmp_path: Path) -> None:
    """A root that does not exist fails (an unmounted share), and doctor does not create it."""
    root = tmp_path / "share" / "typo"
    config, checks = check_root(root)
    assert config == DEFAULT_CONFIG
    missing = by_name(checks)["root folder"]
    assert missing.status is CheckStatus.FAIL
    assert missing.line == (
        f"FAIL  root folder: {root} does not exist: is the share mounted? Create it, or pass "
        "--create to `sos-docs watch`."
    )
    assert not any(c.name.endswith(" folder") and c.ok for c in checks)  # no "creates it" line
    assert not (tmp_path / "share").exists()
    # Nothing about settings, disk or file system, which would be another folder's.
    assert [c.name for c in checks] == ["root folder"]


def test_the_doctor_command_fails_a_missing_root_with_exit_1(tmp_path: Path) -> None:
    """`sos-docs doctor /missing` prints the missing-root line and exits 1."""
    from click.testing import CliRunner

    from sos_docs.cli import cli

    root = tmp_path / "nonexistent"
    result = CliRunner().invoke(cli, ["doctor", str(root)])
    assert result.exit_code == 1, result.output
    assert (
        f"  FAIL  root folder: {root} does not exist: is the share mounted? Create it, or pass "
        "--create to `sos-docs watch`.\n"
    ) in result.output
    assert result.output.endswith("Checked 1 folder: 1 with failing checks.\n")
    assert not root.exists()


def test_an_invalid_configuration_is_the_only_check(tmp_path: Path) -> None:
    """When sos-docs.toml cannot be read the other checks are not run, and the config is None."""
    write_toml(tmp_path, "settle_seconds = 'soon'\n")
    config, checks = check_root(tmp_path)
    assert config is None
    assert [c.name for c in checks] == ["configuration"]
    assert not checks[0].ok


def test_the_line_says_status_name_message_and_what_to_do() -> None:
    """A failing check prints as one line with its fix; a passing one without."""
    failing = Check("logo", CheckStatus.FAIL, "The logo x.png does not exist.", "Set `logo`.")
    assert failing.line == "FAIL  logo: The logo x.png does not exist. What to do: Set `logo`."
    assert Check("logo", CheckStatus.OK, "Fine.", "Never shown.").line == "OK    logo: Fine."
    assert not failing.ok
    assert Check("file system", CheckStatus.WARN, "A share.").ok


# ---------------------------------------------------------------------------------------------
# Configuration


def test_no_configuration_file_means_the_defaults(tmp_path: Path) -> None:
    """A root without sos-docs.toml passes, saying the defaults are used."""
    config, check = check_configuration(tmp_path)
    assert config == DEFAULT_CONFIG
    assert check.status is CheckStatus.OK
    assert "the defaults are used" in check.message


def test_a_valid_configuration_file_passes(tmp_path: Path) -> None:
    """A file with team settings loads and passes."""
    path = write_toml(tmp_path, 'team = "North"\npdf = false\n')
    config, check = check_configuration(tmp_path)
    assert config is not None and config.team == "North"
    assert check == Check("configuration", CheckStatus.OK, f"{path} is valid.")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("this is not toml\n", "is not valid TOML"),
        ("free_disk_mb = -5\n", "should be a whole number"),
        ('output_pattern = "{case_ref} {document}.docx"\n', "uses {case_ref}"),
        (
            '[[documents]]\nname = "Conference report"\ntemplate = "x.docx"\n',
            "has the name of the built-in 'Conference report'",
        ),
        ('[[documents]]\nname = "Agenda"\n', "should have exactly a name and a template"),
        ('[folders]\ninbox = ".."\n', "line 2"),
        ('[folders]\nprocessed = "/tmp/elsewhere"\n', "not a path"),
        ('[folders]\nrejected = "inbox"\n', "same as"),
    ],
)
def test_a_bad_configuration_fails_with_its_reason(tmp_path: Path, text: str, words: str) -> None:
    """Each mistake in sos-docs.toml fails the check with the reason and the file to correct."""
    path = write_toml(tmp_path, text)
    config, check = check_configuration(tmp_path)
    assert config is None
    assert check.status is CheckStatus.FAIL
    assert words in check.message
    assert str(path) in check.fix


# ---------------------------------------------------------------------------------------------
# Folders


def test_an_existing_writable_folder_passes(tmp_path: Path) -> None:
    """A folder that is there and takes a new file passes, and the probe leaves nothing behind."""
    check = check_folder("inbox folder", tmp_path)
    assert check.status is CheckStatus.OK
    assert "can write in it" in check.message
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_passes_because_the_service_creates_it(tmp_path: Path) -> None:
    """A folder not there yet passes, saying the service creates it at start (and doctor does not)."""
    check = check_folder("reports folder", tmp_path / "root" / "reports")
    assert check.status is CheckStatus.OK
    assert "the service creates it at start" in check.message
    assert not (tmp_path / "root").exists()


def test_a_file_where_a_folder_should_be_fails(tmp_path: Path) -> None:
    """A file with the folder's name fails, saying to move it."""
    (tmp_path / "inbox").write_text("not a folder")
    check = check_folder("inbox folder", tmp_path / "inbox")
    assert check.status is CheckStatus.FAIL
    assert check.message == f"{tmp_path / 'inbox'} is a file, not a folder."


def test_a_folder_that_cannot_be_created_fails(tmp_path: Path) -> None:
    """A missing folder under a file (not a folder) cannot be created: FAIL with the reason."""
    (tmp_path / "root").write_text("a file where the root should be")
    check = check_folder("inbox folder", tmp_path / "root" / "inbox")
    assert check.status is CheckStatus.FAIL
    assert "does not exist and cannot be created" in check.message
    assert f"{tmp_path / 'root'} is a file, not a folder" in check.message


@contextlib.contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """Make a folder refuse new files: chmod for a normal user, the immutable flag for root."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    chattr = shutil.which("chattr")
    if chattr is None:
        pytest.skip("running as root without chattr: no way to make a folder unwritable")
    made = subprocess.run([chattr, "+i", str(folder)], capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"running as root, and this file system has no immutable flag: {made.stderr!r}")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_an_existing_folder_sos_docs_cannot_write_in_fails(tmp_path: Path) -> None:
    """A folder that refuses new files fails, asking IT for write access."""
    folder = tmp_path / "reports"
    folder.mkdir()
    with unwritable(folder):
        check = check_folder("reports folder", folder)
    assert check.status is CheckStatus.FAIL
    assert check.message.startswith(f"sos-docs cannot write in {folder} (")
    assert "Ask IT" in check.fix


def test_the_folders_checked_are_the_configured_ones(tmp_path: Path) -> None:
    """Renamed folders are the ones checked, the state folder included."""
    write_toml(tmp_path, '[folders]\ninbox = "Drop here"\nstate = "service"\n')
    checks = check_folders(tmp_path, load_config(tmp_path))
    assert [c.name for c in checks] == [
        "Drop here folder",
        "reports folder",
        "processed folder",
        "rejected folder",
        "service folder",
    ]


# ---------------------------------------------------------------------------------------------
# Templates and logo


def test_the_default_templates_pass() -> None:
    """The built-in templates exist and use only known fields."""
    checks = check_templates(DEFAULT_CONFIG)
    assert [c.name for c in checks] == [
        "template for Conference report",
        "template for Words and pictures",
        "template for Record of the mapping",
    ]
    assert all(c.status is CheckStatus.OK for c in checks)


def test_a_templates_folder_without_a_template_fails(tmp_path: Path) -> None:
    """A team's templates folder missing a document's template fails naming the file."""
    shutil.copy(DEFAULT_CONFIG.templates_dir / "conference_report.docx", tmp_path)
    checks = by_name(check_templates(Config(templates_dir=tmp_path)))
    assert checks["template for Conference report"].status is CheckStatus.OK
    missing = checks["template for Words and pictures"]
    assert missing.status is CheckStatus.FAIL
    assert str(tmp_path / "words_and_pictures.docx") in missing.message


def test_an_extra_document_with_known_fields_passes(tmp_path: Path) -> None:
    """An extra document's template using known fields passes, checked like the built-in ones."""
    write_template(tmp_path / "agenda.docx", "Agenda for {{ case_reference }}")
    write_toml(tmp_path, '[[documents]]\nname = "Agenda"\ntemplate = "agenda.docx"\n')
    config = Config(templates_dir=tmp_path, documents=load_config(tmp_path).documents)
    for name in ("conference_report.docx", "words_and_pictures.docx"):
        shutil.copy(DEFAULT_CONFIG.templates_dir / name, tmp_path)
    check = by_name(check_templates(config))["template for Agenda"]
    assert check.status is CheckStatus.OK


def test_a_misspelt_placeholder_fails_naming_template_and_placeholder(tmp_path: Path) -> None:
    """An unknown placeholder in an extra template fails, naming the file, the field and the fix."""
    template = write_template(tmp_path / "agenda.docx", "Agenda for {{ case_refrence }}")
    write_toml(tmp_path, '[[documents]]\nname = "Agenda"\ntemplate = "agenda.docx"\n')
    config = Config(templates_dir=tmp_path, documents=load_config(tmp_path).documents)
    check = by_name(check_templates(config))["template for Agenda"]
    assert check.status is CheckStatus.FAIL
    assert str(template) in check.message
    assert "'case_refrence' (in the body) is not a known template field" in check.message
    assert "did you mean 'case_reference'?" in check.message
    assert "sos-docs check-template" in check.fix


def test_a_template_with_broken_tags_fails(tmp_path: Path) -> None:
    """A template whose tags do not parse fails with the template error's words."""
    write_template(tmp_path / "agenda.docx", "{% for x in %}")
    write_toml(tmp_path, '[[documents]]\nname = "Agenda"\ntemplate = "agenda.docx"\n')
    config = Config(templates_dir=tmp_path, documents=load_config(tmp_path).documents)
    check = by_name(check_templates(config))["template for Agenda"]
    assert check.status is CheckStatus.FAIL
    assert "agenda.docx" in check.message


def test_no_logo_means_no_logo_check() -> None:
    """Without a logo setting there is nothing to check."""
    assert check_logo(DEFAULT_CONFIG) is None


def test_a_readable_logo_passes(tmp_path: Path) -> None:
    """A PNG logo passes, with its size in the message."""
    logo = write_png(tmp_path / "logo.png")
    check = check_logo(Config(logo=logo))
    assert check is not None and check.status is CheckStatus.OK
    assert "PNG picture, 120 x 40 pixels" in check.message


@pytest.mark.parametrize(
    ("content", "words"), [(None, "does not exist"), (b"not a picture", "cannot be read")]
)
def test_a_missing_or_unreadable_logo_fails(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    """A logo that is not there, or not a picture, fails."""
    logo = tmp_path / "logo.png"
    if content is not None:
        logo.write_bytes(content)
    check = check_logo(Config(logo=logo))
    assert check is not None and check.status is CheckStatus.FAIL
    assert words in check.message


# ---------------------------------------------------------------------------------------------
# LibreOffice


def test_libreoffice_is_not_checked_when_pdf_is_off() -> None:
    """Without PDF copies LibreOffice does not matter."""
    assert check_libreoffice(DEFAULT_CONFIG) is None


@pytest.mark.skipif(not PdfConverter().available(), reason="LibreOffice is not installed here")
def test_libreoffice_present_passes_when_pdf_is_on() -> None:
    """With PDF copies on and LibreOffice installed, the check passes."""
    check = check_libreoffice(Config(pdf=True))
    assert check is not None and check.status is CheckStatus.OK


def test_libreoffice_missing_warns_that_only_docx_will_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PDF on without LibreOffice is a WARN (the .docx still comes), with how to install it."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pdf, "_SOFFICE_PLACES", ())
    check = check_libreoffice(Config(pdf=True))
    assert check is not None and check.status is CheckStatus.WARN
    assert "the service will make the .docx documents only" in check.message
    assert "LibreOffice was not found on this computer" in check.message
    assert "apt-get install libreoffice-writer-nogui python3-uno" in check.message


# ---------------------------------------------------------------------------------------------
# Free disk space


def test_enough_free_disk_passes(tmp_path: Path) -> None:
    """More free space than free_disk_mb passes, saying how much there is."""
    check = check_free_disk(tmp_path, Config(free_disk_mb=1))
    assert check.status is CheckStatus.OK
    assert "MB free on the disk of" in check.message


def test_too_little_free_disk_fails(tmp_path: Path) -> None:
    """Less free space than free_disk_mb fails, naming the threshold and how to change it."""
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    check = check_free_disk(tmp_path, Config(free_disk_mb=free_mb + 10_000_000))
    assert check.status is CheckStatus.FAIL
    assert check.message.startswith("Only ")
    assert "free_disk_mb" in check.fix


def test_free_disk_is_measured_where_the_root_will_be(tmp_path: Path) -> None:
    """For a root not created yet, the disk of its nearest existing folder is measured."""
    seen: list[Path] = []

    def usage(path: Path) -> SimpleNamespace:
        seen.append(path)
        return SimpleNamespace(free=600 * 1024 * 1024)

    check = check_free_disk(tmp_path / "new" / "root", DEFAULT_CONFIG, disk_usage=usage)
    assert seen == [tmp_path]
    assert check.status is CheckStatus.OK
    assert check_free_disk(tmp_path, Config(free_disk_mb=601), disk_usage=usage).status is (
        CheckStatus.FAIL
    )


def test_unreadable_free_space_fails(tmp_path: Path) -> None:
    """When the disk cannot be asked, the check fails rather than passing blindly."""

    def broken(path: Path) -> object:
        raise OSError(5, "Input/output error")

    assert check_free_disk(tmp_path, DEFAULT_CONFIG, disk_usage=broken).status is CheckStatus.FAIL


# ---------------------------------------------------------------------------------------------
# Network file systems


def mountinfo_with(mount_point: str, fs_type: str, source: str = "//server/share") -> str:
    """The local mounts plus one more, as /proc/self/mountinfo writes it."""
    for char, code in (("\\", "\\134"), (" ", "\\040"), ("\t", "\\011"), ("\n", "\\012")):
        mount_point = mount_point.replace(char, code)
    return (
        LOCAL_MOUNTS + f"90 27 0:55 / {mount_point} rw,relatime shared:7 - {fs_type} {source} rw\n"
    )


@pytest.mark.parametrize("fs_type", ["cifs", "smb3", "nfs", "nfs4", "fuse.sshfs", "9p"])
def test_a_root_on_a_network_share_warns_to_use_polling(tmp_path: Path, fs_type: str) -> None:
    """A root on a network file system without polling is a WARN recommending --polling."""
    mounts = mountinfo_with(tmp_path.resolve().as_posix(), fs_type)
    check = check_file_system(tmp_path, DEFAULT_CONFIG, mounts)
    assert check.status is CheckStatus.WARN
    assert f"is on a network file system ({fs_type})" in check.message
    assert "sos-docs watch --polling" in check.fix


def test_a_network_share_with_polling_on_passes(tmp_path: Path) -> None:
    """With polling switched on, a network share is fine."""
    mounts = mountinfo_with(tmp_path.resolve().as_posix(), "cifs")
    check = check_file_system(tmp_path, Config(polling=True), mounts)
    assert check.status is CheckStatus.OK
    assert "polling is on" in check.message


def test_a_root_on_a_local_disk_passes(tmp_path: Path) -> None:
    """A root on ext4 passes, naming the file system."""
    check = check_file_system(tmp_path, DEFAULT_CONFIG, LOCAL_MOUNTS)
    assert check.status is CheckStatus.OK
    assert check.message.endswith("is on a local file system (ext4).")


def test_a_share_mounted_elsewhere_does_not_count(tmp_path: Path) -> None:
    """A network mount beside the root (not above it) leaves the root local."""
    mounts = mountinfo_with("/mnt/share", "cifs")
    assert check_file_system(tmp_path, DEFAULT_CONFIG, mounts).status is CheckStatus.OK


def test_the_real_mount_table_is_read() -> None:
    """On Linux the check reads /proc/self/mountinfo and names this machine's file system."""
    if not doctor.MOUNTINFO.exists():
        pytest.skip("no /proc/self/mountinfo on this system")
    check = check_file_system(Path.cwd(), DEFAULT_CONFIG)
    assert "file system (" in check.message


def test_mountinfo_is_parsed_with_escapes_and_optional_fields() -> None:
    """Mount points with spaces, optional fields and the separator are read as the kernel writes."""
    mounts = parse_mountinfo(
        LOCAL_MOUNTS
        + "91 27 0:56 / /srv/Team\\040Share rw shared:9 master:2 - nfs4 nas:/export rw\n"
        + "garbage line\n"
    )
    assert mounts[-1] == Mount(PurePosixPath("/srv/Team Share"), "nfs4", "nas:/export")
    assert [m.fs_type for m in mounts] == ["proc", "ext4", "nfs4"]


def test_the_deepest_and_latest_mount_wins() -> None:
    """A path is on the deepest mount above it; of two at one point, the one mounted last."""
    mounts = parse_mountinfo(
        LOCAL_MOUNTS
        + "90 27 0:55 / /srv rw - cifs //a/b rw\n"
        + "91 90 0:56 / /srv/north rw - ext4 /dev/vdb rw\n"
        + "92 90 0:57 / /srv/north rw - nfs nas:/north rw\n"
    )
    found = mount_for(PurePosixPath("/srv/north/inbox"), mounts)
    assert found is not None and found.fs_type == "nfs"
    south = mount_for(PurePosixPath("/srv/south"), mounts)
    assert south is not None and south.fs_type == "cifs"


@given(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
        min_size=1,
        max_size=30,
    ).filter(lambda name: name not in (".", ".."))
)
def test_any_folder_name_survives_the_mountinfo_escapes(name: str) -> None:
    """Whatever a share's folder is called, the parser reads back the mount point written."""
    point = f"/srv/{name}"
    mounts = parse_mountinfo(mountinfo_with(point, "cifs"))
    assert mounts[-1].mount_point == PurePosixPath(point)


@given(st.text(max_size=300))
def test_parsing_never_fails_on_odd_text(text: str) -> None:
    """Any text gives a list of mounts, never an exception."""
    assert isinstance(parse_mountinfo(text), list)
