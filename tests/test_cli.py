"""Tests for the command line: exact output, exit codes, and the README agreeing with the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from sos_docs.cli import cli
from sos_docs.service.inbox_names import HELP_FILE_NAME
from sos_docs.workbook import example
from sos_docs.workbook.reader import read_workbook
from sos_docs.workbook.validate import validate
from tests.support.branding import document_text, picture_blobs, png, unbranded_workbook
from tests.support.builders import WorkbookBuilder
from tests.support.meetings import core_group_meeting
from tests.support.reviews import PAST_REVIEW_MEETING, initial_book, review_book

PROJECT = Path(__file__).resolve().parent.parent
README = PROJECT / "README.md"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def broken_workbook(tmp_path: Path) -> Path:
    """The example with two errors: a score of 12 and an unknown meeting type."""
    book = WorkbookBuilder()
    book.update_row("Scaling", 0, Score=12)
    book.set_case("Meeting type", "Tea party")
    return book.write(tmp_path / "broken.xlsx")


def test_validate_a_good_workbook_exits_0(tmp_path: Path) -> None:
    """A valid workbook prints no problems and a summary, and exits 0."""
    path = WorkbookBuilder().write(tmp_path / "good.xlsx")
    code, output = run("validate", str(path))
    assert code == 0
    assert output.splitlines() == [
        str(path),
        "  No problems found.",
        "Checked 1 workbook: 0 workbooks with errors, 0 errors, 0 warnings.",
    ]


def test_validate_prints_sheet_cell_code_and_message(tmp_path: Path) -> None:
    """Each problem is one `Sheet!Cell  level  CODE  message` line under its file, then a
    summary."""
    good = WorkbookBuilder().write(tmp_path / "good.xlsx")
    bad = broken_workbook(tmp_path)
    code, output = run("validate", str(good), str(bad))
    assert code == 1
    lines = output.splitlines()
    assert lines[-1] == "Checked 2 workbooks: 1 workbook with errors, 2 errors, 0 warnings."
    problem_lines = [line for line in lines if line.startswith("  ") and "!" in line]
    assert [line.split()[0:3] for line in problem_lines] == [
        ["Case!B4", "error", "WB006"],
        ["Scaling!D2", "error", "SOS104"],
    ]
    assert "12" in problem_lines[1]


def test_validate_json_has_exactly_the_documented_keys(tmp_path: Path) -> None:
    """--json prints one array of objects with file, code, level, sheet, cell and message."""
    bad = broken_workbook(tmp_path)
    code, output = run("validate", "--json", str(bad))
    assert code == 1
    problems = json.loads(output)
    assert {tuple(sorted(p)) for p in problems} == {
        ("cell", "code", "file", "level", "message", "sheet")
    }
    assert [(p["code"], p["level"], p["sheet"], p["cell"]) for p in problems] == [
        ("WB006", "error", "Case", "B4"),
        ("SOS104", "error", "Scaling", "D2"),
    ]


def test_validate_json_uses_null_where_no_sheet_applies(tmp_path: Path) -> None:
    """A file that is not a workbook is one WB001 problem with null sheet and cell."""
    path = tmp_path / "notes.xlsx"
    path.write_text("just some notes\n", encoding="utf-8")
    code, output = run("validate", "--json", str(path))
    assert code == 1
    [problem] = json.loads(output)
    assert (problem["code"], problem["sheet"], problem["cell"]) == ("WB001", None, None)


def test_validate_warnings_alone_exit_0(tmp_path: Path) -> None:
    """Warnings are reported but do not fail the check."""
    book = WorkbookBuilder()
    book.update_row("People", 2, Knows_the_worries="No")
    code, output = run("validate", str(book.write(tmp_path / "w.xlsx")))
    assert code == 0
    assert "SOS203" in output
    assert output.splitlines()[-1].endswith("0 errors, 1 warning.")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    """A missing file or no argument is a usage error with exit status 2."""
    assert run("validate")[0] == 2
    assert run("validate", str(tmp_path / "missing.xlsx"))[0] == 2


def test_new_workbook_then_validate_the_example(tmp_path: Path) -> None:
    """`new-workbook --example` writes a workbook that validates cleanly."""
    path = tmp_path / "example.xlsx"
    code, output = run("new-workbook", str(path), "--example")
    assert code == 0, output
    assert run("validate", str(path))[0] == 0


def test_new_workbook_one_page_example_validates(tmp_path: Path) -> None:
    """`new-workbook --one-page --example` writes the example family on a one-page map, valid."""
    path = tmp_path / "map.xlsx"
    code, output = run("new-workbook", str(path), "--one-page", "--example")
    assert code == 0, output
    assert output == f"Wrote the example one-page map to {path}\n"
    assert run("validate", str(path))[0] == 0


def test_new_workbook_refuses_to_overwrite(tmp_path: Path) -> None:
    """An existing file is never replaced; the message says what to do, with no traceback."""
    path = tmp_path / "blank.xlsx"
    assert run("new-workbook", str(path))[0] == 0
    code, output = run("new-workbook", str(path))
    assert code == 1
    assert output.startswith("Error: ")
    assert "Traceback" not in output


def test_python_dash_m_runs_the_same_cli() -> None:
    """`python -m sos_docs` is the same program as `sos-docs`."""
    result = subprocess.run(
        [sys.executable, "-m", "sos_docs", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("sos-docs, version ")


def test_readme_lists_exactly_the_real_commands() -> None:
    """The README's command table names every command the CLI has, and no other."""
    documented = set(re.findall(r"^\| `sos-docs ([a-z-]+)", README.read_text(), flags=re.M))
    assert documented == set(cli.commands)


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command: str) -> None:
    """Each command explains itself with --help."""
    code, output = run(command, "--help")
    assert code == 0
    assert "Usage:" in output


def test_render_writes_both_documents_under_out(tmp_path: Path) -> None:
    """`render --out` writes the documents under <out>/<case reference>/ and says so: the
    example's report twice (Leo's words are withheld from the family), and what each copy
    leaves out, by sheet and row, as the receipt says it."""
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    code, output = run("render", str(workbook), "--out", str(tmp_path / "out"))
    assert code == 0, output
    written = sorted(p.name for p in (tmp_path / "out" / "CP-2026-0412").iterdir())
    assert written == [
        "CP-2026-0412 Conference report (family copy) 2026-11-27.docx",
        "CP-2026-0412 Conference report (professional copy) 2026-11-27.docx",
        "CP-2026-0412 Words and pictures 2026-11-27.docx",
    ]
    assert output.count("Wrote ") == 3
    assert "The family copy, for the family, leaves out: Child's views row 3." in output
    assert "dinosaurs" not in output


def review_report_text(folder: Path) -> str:
    """The text of the review's conference report under <folder>/<case reference>/."""
    report = next(
        (folder / "CP-2026-0412").glob("*Conference report (professional copy) 2026-11-30.docx")
    )
    document = docx.Document(str(report))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_render_previous_gives_a_review_its_earlier_workbook(tmp_path: Path) -> None:
    """`render review --previous initial` reports progress since the initial conference."""
    initial = initial_book().write(tmp_path / "initial.xlsx")
    review = review_book(PAST_REVIEW_MEETING).write(tmp_path / "review.xlsx")
    code, output = run("render", str(review), "--out", str(tmp_path), "--previous", str(initial))
    assert code == 0, output
    assert "SOS22" not in output
    assert output.startswith("review.xlsx\n")  # the lines below are this workbook's
    assert "Progress read from initial.xlsx (the initial child protection conference on" in output
    text = review_report_text(tmp_path)
    assert "Progress since the last conference" in text and "Up 2" in text
    assert "initial.xlsx" not in text  # a file name is for staff, not for the family


def test_render_previous_that_is_missing_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    """A --previous file that does not exist is named in a warning; the review is still made."""
    review = review_book(PAST_REVIEW_MEETING).write(tmp_path / "review.xlsx")
    code, output = run(
        "render", str(review), "--out", str(tmp_path), "--previous", str(tmp_path / "gone.xlsx")
    )
    assert code == 0, output
    assert "SOS220" in output and "gone.xlsx" in output and "SOS221" in output
    assert "No earlier scores are known" in review_report_text(tmp_path)


def test_render_only_one_kind(tmp_path: Path) -> None:
    """`--only words-and-pictures` writes just the story."""
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    code, _ = run("render", str(workbook), "--out", str(tmp_path), "--only", "words-and-pictures")
    assert code == 0
    assert [p.name for p in (tmp_path / "CP-2026-0412").iterdir()] == [
        "CP-2026-0412 Words and pictures 2026-11-27.docx"
    ]


def test_render_makes_the_documents_of_each_workbooks_meeting_type(tmp_path: Path) -> None:
    """A core group workbook gets its record; `--only record` makes the record alone, and
    `--only report` of a conference workbook the report alone."""
    core_group = core_group_meeting(with_story=False).write(tmp_path / "cg.xlsx")
    code, output = run("render", str(core_group), "--out", str(tmp_path / "all"))
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "all" / "CP-2026-0412").iterdir()) == [
        "CP-2026-0412 Core group meeting record (family copy) 2026-11-27.docx",
        "CP-2026-0412 Core group meeting record (professional copy) 2026-11-27.docx",
    ]
    story_too = core_group_meeting().write(tmp_path / "cg2.xlsx")
    code, output = run("render", str(story_too), "--out", str(tmp_path / "one"), "--only", "record")
    assert code == 0, output
    assert sorted(p.name for p in (tmp_path / "one" / "CP-2026-0412").iterdir()) == [
        "CP-2026-0412 Core group meeting record (family copy) 2026-11-27.docx",
        "CP-2026-0412 Core group meeting record (professional copy) 2026-11-27.docx",
    ]


def test_render_with_errors_prints_them_and_writes_nothing(tmp_path: Path) -> None:
    """A workbook with errors is reported as validate reports it; exit 1, no documents."""
    bad = broken_workbook(tmp_path)
    code, output = run("render", str(bad), "--out", str(tmp_path / "out"))
    assert code == 1
    assert "Scaling!D2" in output and "SOS104" in output
    assert "No documents were made from broken.xlsx" in output
    assert not (tmp_path / "out").exists()


def test_render_writes_into_the_current_folder_without_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --out the documents go under the folder the command is run in."""
    workbook = WorkbookBuilder().write(tmp_path / "in" / "example.xlsx")
    monkeypatch.chdir(tmp_path)
    code, output = run("render", str(workbook))
    assert code == 0, output
    assert len(list((tmp_path / "CP-2026-0412").glob("*.docx"))) == 3  # two copies, a story


def test_render_uses_the_templates_given(tmp_path: Path) -> None:
    """--templates DIR makes the documents from that folder's templates, not the shipped ones."""
    templates = tmp_path / "our-templates"
    templates.mkdir()
    for name, heading in [
        ("conference_report", "Northbrook report"),
        ("words_and_pictures", "Our story"),
    ]:
        template = docx.Document()
        template.add_paragraph(f"{heading} for {{{{ case_reference }}}}")
        template.save(templates / f"{name}.docx")
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    code, output = run(
        "render", str(workbook), "--out", str(tmp_path / "out"), "--templates", str(templates)
    )
    assert code == 0, output
    texts = sorted(
        docx.Document(path).paragraphs[0].text
        for path in (tmp_path / "out" / "CP-2026-0412").glob("*.docx")
    )
    # The report twice: the example's professional and family copies.
    assert texts == [
        "Northbrook report for CP-2026-0412",
        "Northbrook report for CP-2026-0412",
        "Our story for CP-2026-0412",
    ]


def test_render_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """Several workbooks rendered with a terminal on stderr show a progress bar there."""
    workbooks = [
        WorkbookBuilder().set_case("Case reference", f"CP-{n}").write(tmp_path / f"{n}.xlsx")
        for n in range(3)
    ]
    terminal, child_end = pty.openpty()
    command = [
        sys.executable,
        "-m",
        "sos_docs",
        "render",
        *map(str, workbooks),
        "--out",
        str(tmp_path / "out"),
    ]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=child_end) as process:
        os.close(child_end)
        shown = _read_all(terminal)
    assert process.returncode == 0
    assert "Rendering" in shown and "100%" in shown


def _read_all(descriptor: int) -> str:
    """Everything written to a pseudo-terminal until its other end is closed."""
    chunks = []
    while True:
        try:
            chunk = os.read(descriptor, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(descriptor)
    return b"".join(chunks).decode(errors="replace")


def _watch_default_folder(cwd: Path) -> subprocess.CompletedProcess[str]:
    """The README's main command, ended by --once: `sos-docs watch` on ./watch_folder.

    `python -P` keeps the current folder off sys.path, so the sos_docs under test runs (not a
    copy of it in `cwd`).
    """
    return subprocess.run(
        [sys.executable, "-P", "-m", "sos_docs", "watch", "--once", "--settle", "0.2"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=60
    ).stdout


def test_the_demo_folder_tracks_no_workbook() -> None:
    """watch_folder/ holds only its README in git: the demo never consumes a tracked file."""
    if shutil.which("git") is None or not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    assert _git("ls-files", "watch_folder", cwd=PROJECT).split() == ["watch_folder/README.txt"]


def test_watch_on_the_default_folder_puts_a_fresh_example_in_and_processes_it(
    tmp_path: Path,
) -> None:
    """Each start on the default folder writes the example family's initial conference (twelve
    weeks back) and then its review (meeting in a week) into the inbox, and processes both."""
    (tmp_path / "watch_folder").mkdir()
    reports = tmp_path / "watch_folder" / "reports" / "CP-2026-0412"
    today = dt.date.today()
    review_meeting = (today + dt.timedelta(days=7)).isoformat()
    initial_meeting = (today + dt.timedelta(days=7) - example.REVIEW_AFTER).isoformat()
    first = _watch_default_folder(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Put a fresh example workbook, example-mapping-workbook.xlsx, into" in first.stderr
    review_put = "Put a fresh example workbook, example-review-mapping-workbook.xlsx, into"
    assert review_put in first.stderr
    assert _names(tmp_path / "watch_folder" / "inbox") == [HELP_FILE_NAME]
    assert _names(tmp_path / "watch_folder" / "processed") == [
        "example-mapping-workbook.xlsx",
        "example-review-mapping-workbook.xlsx",
    ]
    documents = [n for n in _names(reports) if n.endswith(".docx")]
    assert len(documents) == 6  # Leo's words are withheld: each report has a family copy
    assert [n for n in documents if initial_meeting in n] == [
        f"CP-2026-0412 Conference report (family copy) {initial_meeting}.docx",
        f"CP-2026-0412 Conference report (professional copy) {initial_meeting}.docx",
        f"CP-2026-0412 Words and pictures {initial_meeting}.docx",
    ]
    assert len([n for n in documents if review_meeting in n]) == 3
    assert "example-mapping-workbook - receipt.txt" in _names(reports)
    assert "example-review-mapping-workbook - receipt.txt" in _names(reports)
    processed = tmp_path / "watch_folder" / "processed"
    for name, stage in (
        ("example-mapping-workbook.xlsx", example.INITIAL),
        ("example-review-mapping-workbook.xlsx", example.REVIEW),
    ):
        fresh = example.write_example(
            tmp_path / f"fresh-{stage}.xlsx", example.made_on(today, stage), stage=stage
        )
        assert read_workbook(processed / name).sheets == read_workbook(fresh).sheets

    second = _watch_default_folder(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _names(tmp_path / "watch_folder" / "processed") == [
        "example-mapping-workbook (2).xlsx",
        "example-mapping-workbook.xlsx",
        "example-review-mapping-workbook (2).xlsx",
        "example-review-mapping-workbook.xlsx",
    ]
    names = _names(reports)
    assert f"CP-2026-0412 Conference report (family copy) {initial_meeting} (2).docx" in names


def test_new_workbook_review_example_writes_the_review_that_validates(tmp_path: Path) -> None:
    """`new-workbook --review-example` writes the family's review conference, valid today."""
    path = tmp_path / "review.xlsx"
    code, output = run("new-workbook", str(path), "--review-example")
    assert code == 0, output
    assert output == f"Wrote the review example mapping workbook to {path}\n"
    code, output = run("validate", str(path))
    assert code == 0, output
    assert "No problems found." in output
    validation = validate(read_workbook(path))
    assert validation.case is not None
    assert validation.case.details.meeting_type == "Review child protection conference"
    code, output = run("new-workbook", str(path), "--review-example")
    assert code == 1 and "already exists" in output


def test_an_example_still_waiting_in_the_inbox_is_not_replaced(tmp_path: Path) -> None:
    """A workbook already waiting under the example's name is processed as it is, not overwritten."""
    inbox = tmp_path / "watch_folder" / "inbox"
    inbox.mkdir(parents=True)
    WorkbookBuilder().set_case("Case reference", "CP-2026-0999").write(
        inbox / "example-mapping-workbook.xlsx"
    )
    result = _watch_default_folder(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # The review example follows it, as it follows the initial one (its case: CP-2026-0412).
    assert _names(tmp_path / "watch_folder" / "reports") == ["CP-2026-0412", "CP-2026-0999"]
    assert (
        validate(
            read_workbook(tmp_path / "watch_folder" / "processed" / "example-mapping-workbook.xlsx")
        ).case.details.case_reference  # type: ignore[union-attr]
        == "CP-2026-0999"
    )


def test_watch_on_a_named_folder_puts_no_example_in(tmp_path: Path) -> None:
    """Only the default demo folder gets the example: a team's folder never does."""
    root = tmp_path / "team"
    root.mkdir()
    code, output = run("watch", str(root), "--once", "--settle", "0.1")
    assert code == 0, output
    assert _names(root / "inbox") == [HELP_FILE_NAME] and _names(root / "processed") == []


def test_a_default_folder_with_its_own_settings_gets_no_example(tmp_path: Path) -> None:
    """A `watch_folder/` holding a sos-docs.toml is a team's folder: the example is not put in."""
    (tmp_path / "watch_folder").mkdir()
    (tmp_path / "watch_folder" / "sos-docs.toml").write_text('team = "North"\n', "utf-8")
    result = _watch_default_folder(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "has its own sos-docs.toml" in result.stderr
    assert _names(tmp_path / "watch_folder" / "inbox") == [HELP_FILE_NAME]
    assert _names(tmp_path / "watch_folder" / "processed") == []


def test_the_readme_main_command_leaves_a_fresh_clone_clean_run_after_run(tmp_path: Path) -> None:
    """On a clone, the main command processes the example each run and `git status` stays empty."""
    if shutil.which("git") is None or not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    _git("clone", "--quiet", "--no-hardlinks", str(PROJECT), str(clone), cwd=tmp_path)
    tracked = _git("ls-files", "-s", cwd=clone)
    for run_number, suffix in ((1, ""), (2, " (2)")):
        result = _watch_default_folder(clone)
        assert result.returncode == 0, result.stdout + result.stderr
        processed = _names(clone / "watch_folder" / "processed")
        assert f"example-mapping-workbook{suffix}.xlsx" in processed, run_number
        assert f"example-review-mapping-workbook{suffix}.xlsx" in processed, run_number
        assert len(processed) == 2 * run_number
        assert len(list((clone / "watch_folder" / "reports").rglob("*.docx"))) == 6 * run_number
        assert _git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""
        assert _git("ls-files", "-s", cwd=clone) == tracked


MISSING_ROOT = "does not exist: is the share mounted? Create it, or pass --create"


def test_watch_refuses_a_root_that_does_not_exist(tmp_path: Path) -> None:
    """`watch /typo --once` says the root does not exist, exits 1 and creates nothing."""
    root = tmp_path / "share" / "typo"
    code, output = run("watch", str(root), "--once", "--settle", "0.1")
    assert code == 1, output
    assert f"{root} {MISSING_ROOT} to `sos-docs watch`." in output
    assert output.endswith("Error: no folder can be watched. Fix the problems above.\n")
    assert not (tmp_path / "share").exists()


def test_watch_create_makes_a_missing_root_and_its_folders(tmp_path: Path) -> None:
    """`watch --create` makes the missing root with every folder in it, and watches it."""
    root = tmp_path / "share" / "new-team"
    code, output = run("watch", str(root), "--once", "--create", "--settle", "0.1")
    assert code == 0, output
    assert f"Created {root} (--create).\n" in output
    made = sorted(p.name for p in root.iterdir())
    assert made == [".sos-docs", "STATUS.html", "inbox", "processed", "rejected", "reports"]


def test_watch_makes_the_missing_folders_of_a_root_that_exists(tmp_path: Path) -> None:
    """Without --create, a root that exists still gets its missing folders."""
    root = tmp_path / "team"
    root.mkdir()
    code, output = run("watch", str(root), "--once", "--settle", "0.1")
    assert code == 0, output
    assert sorted(p.name for p in root.iterdir()) == [
        ".sos-docs",
        "STATUS.html",
        "inbox",
        "processed",
        "rejected",
        "reports",
    ]


def test_fields_prints_the_registry() -> None:
    """`sos-docs fields` prints the same text the registry formats."""
    from sos_docs.documents.fields import format_fields

    code, output = run("fields")
    assert code == 0
    assert output == format_fields() + "\n"


def test_check_template_passes_the_shipped_templates() -> None:
    """The default templates use only known fields."""
    templates = README.parent / "templates"
    for template in sorted(templates.glob("*.docx")):
        code, output = run("check-template", str(template))
        assert code == 0, output
        assert output == f"{template.name}: every placeholder is a known field.\n"


def test_check_template_names_a_misspelt_field_with_a_suggestion(tmp_path: Path) -> None:
    """A misspelt placeholder is listed with the closest known field, and the exit status is 1."""
    import docx

    document = docx.Document()
    document.add_paragraph("Case: {{ case_refrence }}")
    path = tmp_path / "ours.docx"
    document.save(str(path))
    code, output = run("check-template", str(path))
    assert code == 1
    assert "unknown field 'case_refrence' (did you mean 'case_reference'?)" in output


def test_validate_and_render_check_as_the_folder_given_with_config(tmp_path: Path) -> None:
    """`--config` applies a folder's settings: its sharing days make the example's sharing too
    late (SOS211), as the service in that folder would say; without it the defaults hold."""
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    settings = tmp_path / "sos-docs.toml"
    settings.write_text('holiday_region = "Scotland"\nsharing_days_initial = 15\n', "utf-8")
    assert "SOS211" not in run("validate", str(workbook))[1]
    code, output = run("validate", str(workbook), "--config", str(settings))
    assert code == 0 and "SOS211" in output and "Scotland" in output
    code, output = run(
        "render", str(workbook), "--out", str(tmp_path / "out"), "--config", str(settings)
    )
    assert code == 0 and "SOS211" in output


# --------------------------------------------------------------------------------------------
# Output for people (issue 15)


def mixed_workbook(tmp_path: Path) -> Path:
    """The example with a warning on the People sheet, which is checked first, and one error on
    the Scaling sheet, which is checked after it."""
    book = WorkbookBuilder()
    book.update_row("People", 2, Knows_the_worries="No")
    book.update_row("Scaling", 0, Score=12)
    return book.write(tmp_path / "mixed.xlsx")


def test_validate_writes_each_level_as_a_word_and_errors_first(tmp_path: Path) -> None:
    """Each problem line says `error` or `warning` in words, and every error comes before any
    warning, whatever order the rules found them in."""
    code, output = run("validate", str(mixed_workbook(tmp_path)))
    assert code == 1
    lines = [line.split(maxsplit=3) for line in output.splitlines() if line.startswith("  ")]
    assert [line[:3] for line in lines] == [
        ["Scaling!D2", "error", "SOS104"],
        ["People!H4", "warning", "SOS203"],
    ]


def test_render_lists_warnings_and_errors_with_their_level_in_words(tmp_path: Path) -> None:
    """`render` prints a workbook's problems as `validate` does: errors first, level in words;
    a workbook with warnings only still names each as a warning."""
    code, output = run("render", str(mixed_workbook(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 1
    levels = [line.split()[1] for line in output.splitlines() if line.startswith("  ")]
    assert levels == ["error", "warning"]
    book = WorkbookBuilder()
    book.update_row("People", 2, Knows_the_worries="No")
    code, output = run("render", str(book.write(tmp_path / "w.xlsx")), "--out", str(tmp_path))
    assert code == 0
    assert [line.split()[:3] for line in output.splitlines() if "SOS203" in line] == [
        ["People!H4", "warning", "SOS203"]
    ]


def coloured(*args: str, env: dict[str, str] | None = None) -> str:
    """The output of a run on what click takes for a terminal (colour allowed)."""
    return CliRunner().invoke(cli, list(args), color=True, env=env).output


def test_colour_follows_no_color_and_the_color_options(tmp_path: Path) -> None:
    """On a terminal levels are coloured, unless NO_COLOR is set to anything or --no-color is
    given (before or after the command); --color wins over NO_COLOR; an empty NO_COLOR is unset."""
    bad = str(broken_workbook(tmp_path))
    escape = "\x1b["
    assert escape in coloured("validate", bad)
    assert escape in coloured("validate", bad, env={"NO_COLOR": ""})
    assert escape not in coloured("validate", bad, env={"NO_COLOR": "1"})
    assert escape not in coloured("--no-color", "validate", bad)
    assert escape not in coloured("validate", bad, "--no-color")
    assert escape in coloured("--color", "validate", bad, env={"NO_COLOR": "yes"})
    assert escape in coloured("validate", "--color", bad, env={"NO_COLOR": "yes"})
    assert escape not in coloured("--color", "validate", "--no-color", bad)  # the last one wins
    plain = coloured("validate", bad, "--no-color")
    assert " error " in plain  # the level still shows, in words


@pytest.mark.parametrize("command", sorted(cli.commands))
@pytest.mark.parametrize("flags", [["-v"], ["-q"], ["-vv", "--quiet"], ["--verbose"]])
def test_verbose_and_quiet_are_accepted_before_and_after_every_command(
    command: str, flags: list[str]
) -> None:
    """-v and -q are options of every command as well as of sos-docs itself."""
    assert run(*flags, command, "--help")[0] == 0
    code, output = run(command, *flags, "--help")
    assert code == 0, output


def test_watch_v_shows_the_services_detail_on_the_console(tmp_path: Path) -> None:
    """`sos-docs watch ROOT --once -v` runs (it was refused) and logs more than without -v."""

    def watch(*flags: str) -> subprocess.CompletedProcess[str]:
        root = tmp_path / f"root{len(flags)}"
        WorkbookBuilder().write(root / "inbox" / "case.xlsx")
        command = [sys.executable, "-m", "sos_docs", "watch", str(root), "--once", *flags]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    quiet, verbose = watch("--settle", "0.2"), watch("--settle", "0.2", "-v")
    assert quiet.returncode == verbose.returncode == 0, verbose.stderr
    assert len(verbose.stderr.splitlines()) > len(quiet.stderr.splitlines())


def test_validate_q_after_the_command_hides_warnings_in_the_log(tmp_path: Path) -> None:
    """`validate FILE -q` is accepted after the command and still prints the problems."""
    code, output = run("validate", str(broken_workbook(tmp_path)), "-q")
    assert code == 1 and "SOS104" in output


def test_the_command_list_gives_each_summary_in_full() -> None:
    """`sos-docs --help` shows each command's first sentence whole: no summary is cut to '...'."""
    code, output = run("--help")
    assert code == 0
    listing = output[output.index("Commands:") :]
    assert not any(line.rstrip().endswith("...") for line in listing.splitlines())
    flat = " ".join(listing.split())
    for name, command in cli.commands.items():
        first = " ".join((command.help or "").split("\n\n")[0].split())
        sentence = re.match(r".+?\.(?=\s+[A-Z]|$)", first)
        assert sentence is not None, name
        assert f"{name} {sentence.group(0)}" in flat


def test_check_template_says_plainly_that_a_workbook_is_not_a_word_template(
    tmp_path: Path,
) -> None:
    """An .xlsx given to check-template is named as an Excel workbook, with what to give instead,
    and no Python object is printed."""
    workbook = WorkbookBuilder().write(tmp_path / "case.xlsx")
    code, output = run("check-template", str(workbook))
    assert code == 1
    assert "case.xlsx" in output and "Excel workbook" in output and ".docx" in output
    assert "object at 0x" not in output and "<_io" not in output


def wrong_files(tmp_path: Path) -> dict[str, Path]:
    """Files of the wrong kind: a workbook, a text file, a picture, a zip and a Word file."""
    import zipfile

    folder = tmp_path / "wrong"
    folder.mkdir()
    made = {"workbook": WorkbookBuilder().write(folder / "case.xlsx")}
    made["text"] = folder / "notes.txt"
    made["text"].write_text("[not toml\n", encoding="utf-8")
    made["picture"] = folder / "logo.png"
    made["picture"].write_bytes(png((0, 90, 0)))
    made["zip"] = folder / "archive.zip"
    with zipfile.ZipFile(made["zip"], "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    document = docx.Document()
    document.add_paragraph("Just a letter.")
    made["word"] = folder / "letter.docx"
    document.save(str(made["word"]))
    return made


@pytest.mark.parametrize("kind", ["workbook", "text", "picture", "zip", "word"])
def test_no_command_prints_a_python_object_for_a_file_of_the_wrong_kind(
    tmp_path: Path, kind: str
) -> None:
    """Every command that takes a file, given one of the wrong kind, says what is wrong in words,
    never with a Python repr such as <_io.BytesIO object at 0x...>."""
    wrong = wrong_files(tmp_path)[kind]
    good = WorkbookBuilder().write(tmp_path / "good.xlsx")
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(wrong, templates / "conference_report.docx")
    runs = [
        ("check-template", str(wrong)),
        ("validate", str(wrong)),
        ("validate", str(good), "--config", str(wrong)),
        ("render", str(wrong), "--out", str(tmp_path / "o1")),
        ("render", str(good), "--out", str(tmp_path / "o2"), "--config", str(wrong)),
        ("render", str(good), "--out", str(tmp_path / "o3"), "--previous", str(wrong)),
        ("render", str(good), "--out", str(tmp_path / "o4"), "--templates", str(templates)),
        ("status", str(tmp_path), "--config", str(wrong)),
        ("doctor", str(tmp_path), "--config", str(wrong)),
    ]
    for args in runs:
        output = run(*args)[1]
        assert not re.search(r"<[\w.]+ object at 0x|\bb'|Traceback", output), (args, output)


def branded_root(tmp_path: Path) -> Path:
    """A watched root whose sos-docs.toml names its logo, authority, team and marking."""

    root = tmp_path / "north"
    (root / "brand").mkdir(parents=True)
    (root / "brand" / "logo.png").write_bytes(png((10, 120, 200)))
    (root / "sos-docs.toml").write_text(
        'local_authority = "Northshire Council"\nteam = "North Team"\n'
        'logo = "brand/logo.png"\nprotective_marking = "OFFICIAL-SENSITIVE NORTHSHIRE"\n',
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize("given", ["root", "toml"])
def test_render_config_uses_a_roots_logo_names_and_marking(tmp_path: Path, given: str) -> None:
    """`render --config ROOT` (a watched folder) or its sos-docs.toml makes the documents as the
    service in that folder would: its logo at the top, its authority and its marking."""

    root = branded_root(tmp_path)
    workbook = unbranded_workbook(tmp_path / "case.xlsx")
    config = root if given == "root" else root / "sos-docs.toml"
    out = tmp_path / "out"
    code, output = run("render", str(workbook), "--out", str(out), "--config", str(config))
    assert code == 0, output
    [report] = sorted((out / "CP-1").glob("*Conference report*.docx"))
    text = document_text(report)
    assert "OFFICIAL-SENSITIVE NORTHSHIRE" in text and "Northshire Council" in text
    logo = (root / "brand" / "logo.png").read_bytes()
    assert logo in [blob for blob, _height in picture_blobs(report)]


def test_validate_config_takes_a_root_folder_too(tmp_path: Path) -> None:
    """`validate --config ROOT` reads ROOT/sos-docs.toml: its sharing days apply (SOS211)."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "sos-docs.toml").write_text("sharing_days_initial = 15\n", "utf-8")
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    code, output = run("validate", str(workbook), "--config", str(root))
    assert code == 0 and "SOS211" in output


def test_render_config_refuses_a_folder_that_is_not_a_watched_root(tmp_path: Path) -> None:
    """A folder with neither a sos-docs.toml nor an inbox is an error saying so (a mistyped
    folder must not quietly give the defaults); a watched root without one gets the defaults,
    as the service there does."""
    workbook = WorkbookBuilder().write(tmp_path / "example.xlsx")
    empty = tmp_path / "empty"
    empty.mkdir()
    code, output = run("render", str(workbook), "--out", str(tmp_path), "--config", str(empty))
    assert code == 1
    assert "sos-docs.toml" in output and str(empty) in output and "Traceback" not in output
    (empty / "inbox").mkdir()
    code, output = run("render", str(workbook), "--out", str(tmp_path), "--config", str(empty))
    assert code == 0, output


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_readme_completion_commands_produce_a_completion_script(shell: str) -> None:
    """The README's completion line for each shell gives a script that completes sos-docs."""
    lines = re.findall(r"_SOS_DOCS_COMPLETE=(\w+)_source sos-docs", README.read_text())
    assert f"{shell}" in lines
    env = {**os.environ, "_SOS_DOCS_COMPLETE": f"{shell}_source"}
    result = subprocess.run(
        [sys.executable, "-m", "sos_docs"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "_SOS_DOCS_COMPLETE" in result.stdout and "sos-docs" in result.stdout


def test_completion_offers_the_commands_and_their_options() -> None:
    """Completing `sos-docs val` offers validate; `sos-docs watch --on` offers --once."""

    def complete(words: str, current: int) -> str:
        env = {
            **os.environ,
            "_SOS_DOCS_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(current),
        }
        command = [sys.executable, "-m", "sos_docs"]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60).stdout

    assert "plain,validate" in complete("sos-docs val", 1).splitlines()
    assert "plain,--once" in complete("sos-docs watch --on", 2).splitlines()


@pytest.mark.parametrize("shape", [[], ["--one-page"], ["--example"], ["--one-page", "--example"]])
def test_new_workbook_config_prints_the_roots_marking_on_every_page(
    tmp_path: Path, shape: list[str]
) -> None:
    """`new-workbook --config ROOT` puts that root's protective marking atop each printed page."""
    root = tmp_path / "north"
    (root / "inbox").mkdir(parents=True)
    (root / "sos-docs.toml").write_text('protective_marking = "OFFICIAL & NORTHSHIRE"\n')
    target = tmp_path / "new.xlsx"
    result = CliRunner().invoke(cli, ["new-workbook", str(target), *shape, "--config", str(root)])
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    for sheet in book.worksheets:
        assert sheet.oddHeader.center.text == "OFFICIAL && NORTHSHIRE", sheet.title


def test_validate_lists_what_it_read_past_as_notes(tmp_path: Path) -> None:
    """A column sos-docs does not read is listed under the problems as a note, never silent."""
    book = WorkbookBuilder().with_extra_column("People", "Shoe size")
    book.update_row("People", 0, Shoe_size=5)
    code, output = run("validate", str(book.write(tmp_path / "extra.xlsx")))
    assert code == 0
    notes = [line for line in output.splitlines() if line.startswith("  note  ")]
    assert len(notes) == 1 and '"Shoe size" is not one sos-docs knows' in notes[0]


def test_validate_never_loads_the_rendering_stack(tmp_path: Path) -> None:
    """`sos-docs validate` checks a workbook without loading docxtpl, python-docx or watchdog,
    so it starts quickly."""
    book = WorkbookBuilder().write(tmp_path / "case.xlsx")
    code = (
        "import sys\n"
        "from sos_docs.cli import cli\n"
        "try:\n"
        f"    cli.main(['validate', {str(book)!r}])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)\n"
        "print(sorted(m for m in ('docxtpl', 'docx', 'watchdog', 'sos_docs.documents.render')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines()[-2:] == ["exit 0", "[]"], out.stdout + out.stderr


def test_watch_outside_the_repository_without_a_folder_says_what_to_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sos-docs watch` where there is no watch_folder/ says to name the team's folder (it said
    "does not exist: is the share mounted?", found by a new user's review)."""
    monkeypatch.chdir(tmp_path)
    code, output = run("watch", "--once")
    assert code == 1
    assert "No folder to watch was named" in output and "sos-docs watch /path/to" in output
    assert "mounted" not in output
    assert list(tmp_path.iterdir()) == []
