"""The `sos-docs` command line: parses arguments, configures logging, and wires the stages."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sos_docs import __version__
from sos_docs.config import CONFIG_FILE_NAME, Config, load_config, load_service_config
from sos_docs.errors import ConfigError, SosDocsError
from sos_docs.loading import leave, loading, own_process
from sos_docs.model import Level, Problem, Validation
from sos_docs.service.logs import (
    console_handler,
    escape_json_text,
    escape_text,
    log_warning_by_category,
)
from sos_docs.wording import plural

if TYPE_CHECKING:
    from sos_docs.pipeline import ProcessResult
    from sos_docs.service.doctor import Check
    from sos_docs.service.retention import Purged
    from sos_docs.workbook.team_layout import Found


ExistingFile = click.Path(exists=True, dir_okay=False, path_type=Path)


def configure_logging(verbose: int, quiet: bool) -> None:
    """Console logging for one-shot commands: quiet unless asked; `watch` sets up its own."""
    level = (
        logging.ERROR
        if quiet
        else {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    )
    # Values are escaped on the console as in the log files; other libraries' warnings are
    # logged by category, since their text can quote a cell.
    logging.basicConfig(level=level, handlers=[console_handler()])
    warnings.showwarning = log_warning_by_category


# ------------------------------------------------------------------------- output for people
# -v, -q and --color/--no-color belong to sos-docs and to every command, so they can be given
# before or after the command's name. Each use is noted in ctx.meta, which the whole chain of
# contexts shares, and a command applies the sum when it runs.

_VERBOSE, _QUIET, _COLOUR = "sos_docs.verbose", "sos_docs.quiet", "sos_docs.colour"


def _note_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> None:
    ctx.meta[_VERBOSE] = ctx.meta.get(_VERBOSE, 0) + value


def _note_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    ctx.meta[_QUIET] = ctx.meta.get(_QUIET, False) or value


def _note_colour(ctx: click.Context, _param: click.Parameter, value: bool | None) -> None:
    if value is not None:  # the last one given wins: after the command over before it
        ctx.meta[_COLOUR] = value


def _output_options() -> list[click.Parameter]:
    """Fresh -v, -q and --color/--no-color options for one command or group."""
    return [
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_note_verbose,
            help="Show more detail in the log (-vv: everything).",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_note_quiet,
            help="Only show errors in the log.",
        ),
        click.Option(
            ["--color/--no-color"],
            default=None,
            expose_value=False,
            callback=_note_colour,
            help="Colour the output or not [default: on a terminal, unless NO_COLOR is set].",
        ),
    ]


def verbosity(ctx: click.Context) -> tuple[int, bool]:
    """How many -v and whether -q were given, before and after the command's name."""
    return ctx.meta.get(_VERBOSE, 0), ctx.meta.get(_QUIET, False)


def _colour(ctx: click.Context) -> bool | None:
    """--color or --no-color if given; else no colour when NO_COLOR is set to anything
    (https://no-color.org); else None: click colours only on a terminal."""
    chosen: bool | None = ctx.meta.get(_COLOUR)
    if chosen is None and os.environ.get("NO_COLOR"):
        return False
    return chosen


def summary_of(help_text: str) -> str:
    """A command's one-line summary for the command list: its first sentence, whole."""
    first = " ".join(help_text.split("\n\n")[0].split())
    sentence = re.match(r".+?\.(?=\s+[A-Z]|$)", first)
    return sentence.group(0) if sentence else first


class _ForPeople(click.Command):
    """Adds the output options, and lists the command by its first sentence, never cut short."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_output_options())

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or summary_of(self.help or "")


class SosDocsCommand(_ForPeople):
    """A sos-docs command: applies the logging and colour chosen before and after its name."""

    def invoke(self, ctx: click.Context) -> Any:
        configure_logging(*verbosity(ctx))
        ctx.color = _colour(ctx)
        return super().invoke(ctx)


class SosDocsGroup(_ForPeople, click.Group):
    """sos-docs itself, and any group of commands under it (`@cli.group`), with the same options;
    their commands are SosDocsCommands."""

    command_class = SosDocsCommand
    group_class = type  # a group made under this one is a SosDocsGroup too


# Help as wide as the terminal, up to 100 columns, so each command's summary fits on a line.
HELP_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(cls=SosDocsGroup, context_settings=HELP_SETTINGS)
@click.version_option(__version__, prog_name="sos-docs")
def cli() -> None:
    """Turn Signs of Safety mapping workbooks into conference paperwork."""


# ---------------------------------------------------------------------------------- workbooks


CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, path_type=Path),
    metavar="ROOT_OR_TOML",
    help="A watched folder (its sos-docs.toml is read) or a sos-docs.toml, to work as the "
    "service in that folder does: its logo, names, marking, bank holiday region, sharing days "
    "and templates.",
)


@cli.command("new-workbook")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--example",
    "stage",
    flag_value="initial",
    default=None,
    help="Fill it in for a fictional family: their initial child protection conference, "
    "twelve weeks ago.",
)
@click.option(
    "--review-example",
    "stage",
    flag_value="review",
    help="Fill it in for the same family's review conference, a week from today "
    "(give it the --example workbook with `render --previous`).",
)
@click.option(
    "--one-page",
    is_flag=True,
    help="A one-page map instead: the three questions on one printable sheet, the scale below.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, path_type=Path),
    metavar="ROOT_OR_TOML",
    help="A watched folder or a sos-docs.toml: its protective marking tops every printed page.",
)
def new_workbook(path: Path, stage: str | None, one_page: bool, config_file: Path | None) -> None:
    """Write a blank mapping workbook (format 2) to PATH."""
    from sos_docs.workbook.blank import write_blank_workbook
    from sos_docs.workbook.example import INITIAL, REVIEW, made_on, write_example
    from sos_docs.workbook.one_page_blank import write_one_page_workbook

    # The pair is dated as the demo folder's: the review meets a week from today and the
    # initial conference it looks back on twelve weeks before, so `render --previous` joins them.
    today = dt.date.today()
    marking = _settings_of(config_file, {}).protective_marking  # on every printed page
    with _user_errors():
        if one_page and stage != REVIEW:
            made = made_on(today, INITIAL) if stage is not None else None
            written = write_one_page_workbook(
                path, example=stage is not None, today=made, marking=marking
            )
            click.echo(f"Wrote {'the example' if stage else 'a blank'} one-page map to {written}")
            return
        if stage == REVIEW:
            written = write_example(path, today=made_on(today, REVIEW), stage=REVIEW)
        else:
            made = made_on(today, INITIAL) if stage is not None else None
            written = write_blank_workbook(
                path, example=stage is not None, today=made, marking=marking
            )
    what = (
        "a blank" if stage is None else "the review example" if stage == REVIEW else "the example"
    )
    click.echo(f"Wrote {what} mapping workbook to {written}")


@cli.command("validate")
@click.argument("files", nargs=-1, required=True, type=ExistingFile)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of problems.")
@CONFIG_OPTION
def validate_command(files: tuple[Path, ...], as_json: bool, config_file: Path | None) -> None:
    """Check mapping workbooks against the Signs of Safety workbook format.

    Exits 0 when no file has an error (warnings allowed), 1 when any has, 2 for a usage error.
    """
    with loading():
        from sos_docs.workbook.check import check_workbook

    config = _settings_of(config_file, {})
    results = [(path, check_workbook(path, config)) for path in files]
    if as_json:
        import json  # only for --json: some 2 ms of every other start

        click.echo(
            escape_json_text(json.dumps(_problems_json(results), indent=2, ensure_ascii=False))
        )
    else:
        for path, validation in results:
            _print_validation(path, validation)
        click.echo(_summary(results))
    sys.exit(1 if any(v.errors for _, v in results) else 0)


def _problems_json(results: Iterable[tuple[Path, Validation]]) -> list[dict[str, str | None]]:
    return [
        {
            "file": str(path),
            "code": p.code,
            "level": p.level.value,
            "sheet": p.sheet,
            "cell": p.cell,
            "message": p.message,
        }
        for path, validation in results
        for p in validation.problems
    ]


def _print_validation(path: Path, validation: Validation) -> None:
    """The file's name, then its problems (`_print_problems`)."""
    click.secho(escape_text(str(path)), bold=True)
    if not validation.problems:
        click.echo("  No problems found.")
    _print_problems(validation.problems)
    _print_notes(validation.notes)


def _print_notes(notes: Sequence[str]) -> None:
    """What was read past (an extra column, sheet or label): information, after the problems."""
    for note in notes:
        click.echo(f"  {click.style('note', fg='cyan')}  {escape_text(note)}")


def _print_problems(problems: Sequence[Problem]) -> None:
    """Each problem as `Sheet!Cell  level  CODE  message`, every error before any warning; the
    level is a word, coloured on a terminal (colour is never the only sign)."""
    from sos_docs.workbook.explain import listing_order

    width = max((len(escape_text(p.where)) for p in problems), default=0)
    for problem in listing_order(problems):
        colour = "red" if problem.level is Level.ERROR else "yellow"
        level = click.style(f"{problem.level.value:<7}", fg=colour, bold=True)
        where, message = escape_text(problem.where), escape_text(problem.message)
        click.echo(f"  {where:<{width}}  {level}  {problem.code:<6}  {message}")


def _summary(results: Sequence[tuple[Path, Validation]]) -> str:
    errors = sum(len(v.errors) for _, v in results)
    warnings = sum(len(v.warnings) for _, v in results)
    failing = sum(1 for _, v in results if v.errors)
    files = plural(len(results), "workbook")
    return (
        f"Checked {files}: {plural(failing, 'workbook')} with errors, "
        f"{plural(errors, 'error')}, {plural(warnings, 'warning')}."
    )


# ---------------------------------------------------------------------------------- documents


@cli.command("render")
@click.argument("workbooks", nargs=-1, required=True, type=ExistingFile)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default="the current folder",
    help="Folder the documents are written under.",
)
@click.option(
    "--only",
    type=click.Choice(["report", "words-and-pictures", "record"]),
    help="Make only this document: the conference report, the words and pictures story, or "
    "the record of the mapping (what meetings other than conferences get).",
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder holding your own conference_report.docx, words_and_pictures.docx and "
    "mapping_record.docx.",
)
@click.option("--pdf", is_flag=True, help="Also write a PDF of each document (needs LibreOffice).")
@click.option(
    "--previous",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An earlier workbook of the same case, for a review's progress and score chart "
    "(give it once per file: --previous initial.xlsx --previous review1.xlsx).",
)
@CONFIG_OPTION
def render_command(
    workbooks: tuple[Path, ...],
    out: Path,
    only: str | None,
    templates: Path | None,
    pdf: bool,
    previous: tuple[Path, ...],
    config_file: Path | None,
) -> None:
    """Validate mapping workbooks and write their documents.

    A workbook with errors gets its problems printed and no documents. Exits 1 when any had errors.
    A review conference reads the --previous workbooks (never changed); one that cannot be used
    is a warning.
    """
    from sos_docs.documents.pdf import PdfConverter
    from sos_docs.pipeline import BUILT_IN_KINDS, earlier_files, process_workbook

    config = _settings_of(config_file, {"templates_dir": templates, "pdf": pdf or None})
    # Without --only each workbook gets the documents of its meeting type.
    kinds = None if only is None else tuple(k for k in BUILT_IN_KINDS if k.key == only)
    failed = False
    with PdfConverter() as converter, _progress(workbooks) as items, _user_errors():
        if pdf and not converter.available():
            click.echo(f"Warning: no PDF copies: {converter.unavailable_reason}", err=True)
        usable = converter if pdf and converter.available() else None
        for path in items:
            outcome = process_workbook(
                path, out, config, kinds, converter=usable, earlier=earlier_files(previous)
            )
            failed |= bool(outcome.validation.errors)
            _print_outcome(path, outcome)
    sys.exit(1 if failed else 0)


def _print_outcome(path: Path, outcome: ProcessResult) -> None:
    from sos_docs.workbook.explain import copy_lines

    if outcome.validation.errors:
        _print_validation(path, outcome.validation)
        click.echo(
            f"No documents were made from {escape_text(path.name)}: "
            "fix the errors above and run again."
        )
        return
    if (
        outcome.validation.warnings
        or outcome.validation.notes
        or outcome.render_warnings
        or outcome.compared_with
        or outcome.copies
    ):
        click.echo(escape_text(path.name))  # whose warnings these are, when several are made
    _print_problems(outcome.validation.warnings)
    _print_notes(outcome.validation.notes)
    for warning in outcome.render_warnings:
        click.echo(f"  Warning: {escape_text(warning)}")
    for earlier in outcome.compared_with:
        click.echo(f"  Progress read from {escape_text(earlier)}")
    for line in copy_lines(outcome.copies) if outcome.copies else ():
        click.echo(f"  {escape_text(line.strip())}")
    for document in (*outcome.documents, *outcome.pdfs):
        click.echo(f"Wrote {escape_text(str(document))}")


def _progress(items: Sequence[Path]) -> contextlib.AbstractContextManager[Iterable[Path]]:
    """A progress bar on a terminal when there are several workbooks; otherwise just the items."""
    if len(items) > 1 and sys.stderr.isatty():
        return click.progressbar(items, label="Rendering", file=sys.stderr)
    return contextlib.nullcontext(items)


@cli.command("fields")
def fields_command() -> None:
    """List every field a document template can use, with its meaning and an example."""
    from sos_docs.documents.fields import format_fields

    click.echo(format_fields())


@cli.command("check-template")
@click.argument("template", type=ExistingFile)
def check_template_command(template: Path) -> None:
    """Report unknown fields in TEMPLATE, and tags a template may not use.

    A tag a template may not use calls something, reaches Python internals or makes values too
    large. Exits 1 when there are any unknown fields or such tags; a file that is not a Word
    .docx is an error saying so.
    """
    from sos_docs.documents.render import check_template, check_template_accessibility

    with _user_errors():
        found = check_template(template)
        for finding in check_template_accessibility(template):
            click.echo(f"{template.name}: warning: {finding.message}")
    unknown = [field for field in found if not field.internal]
    refused = [field for field in found if field.internal]
    for field in unknown:
        hint = f" (did you mean '{field.suggestion}'?)" if field.suggestion else ""
        click.echo(f"{template.name}: unknown field '{field.name}'{hint}")
    for field in refused:
        click.echo(f"{template.name}: {field.message}")
    if unknown:
        click.echo(f"{plural(len(unknown), 'unknown field')}. See `sos-docs fields` for the list.")
    if refused:
        click.echo(f"{plural(len(refused), 'tag')} a template may not use.")
    if found:
        sys.exit(1)
    click.echo(f"{template.name}: every placeholder is a known field.")


@cli.command("doctor")
@click.argument(
    "roots", nargs=-1, metavar="[ROOT]...", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--config",
    "config_file",
    type=ExistingFile,
    help="Settings file to use instead of each folder's sos-docs.toml.",
)
@click.option(
    "--service-config",
    "service_file",
    type=ExistingFile,
    help="Service file listing the folders to check (roots = [...]).",
)
@click.option("--pdf", is_flag=True, default=None, help="Check as if PDF copies were on.")
@click.option("--polling", is_flag=True, default=None, help="Check as if watching by polling.")
def doctor_command(
    roots: tuple[Path, ...],
    config_file: Path | None,
    service_file: Path | None,
    pdf: bool | None,
    polling: bool | None,
) -> None:
    """Check each ROOT (default watch_folder) before it is watched.

    Checks the settings, the folders, the templates, LibreOffice (when PDF copies are on), the free
    disk space and whether ROOT is on a network share. Prints one line per check with what to do;
    exits 1 when any check fails. `sos-docs watch` runs the same checks when it starts.
    """
    from sos_docs.documents.pdf import PdfConverter
    from sos_docs.service.doctor import check_root

    with _user_errors():
        paths, _ = _watched_paths(roots, service_file)
    failing = 0
    with PdfConverter() as converter:
        for path in paths:
            overrides = {"pdf": pdf, "polling": polling}
            _, checks = check_root(path, config_file, overrides, converter=converter)
            click.secho(str(path), bold=True)
            for check in checks:
                click.echo(f"  {_styled(check)}")
            failing += any(not check.ok for check in checks)
    click.echo(f"Checked {plural(len(paths), 'folder')}: {failing} with failing checks.")
    sys.exit(1 if failing else 0)


def _styled(check: Check) -> str:
    """A check's line with its status in colour (plain when not on a terminal)."""
    colour = {"OK": "green", "WARN": "yellow", "FAIL": "red"}[check.status.value]
    return click.style(check.line[:4], fg=colour, bold=True) + check.line[4:]


def _watched_paths(
    roots: Sequence[Path], service_file: Path | None
) -> tuple[list[Path], int | None]:
    """The roots named in the service file and on the command line (default: watch_folder)."""
    service = load_service_config(service_file) if service_file else None
    listed = [*(service.roots if service else ()), *(root.resolve() for root in roots)]
    paths = list(dict.fromkeys(listed)) or [DEFAULT_ROOT.resolve()]
    return paths, service.workers if service else None


# ---------------------------------------------------------------------------------- hot folder

DEFAULT_ROOT = Path("watch_folder")
PositiveSeconds = click.FloatRange(min=0, min_open=True)


@cli.command("watch")
@click.argument(
    "roots", nargs=-1, metavar="[ROOT]...", type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--config",
    "config_file",
    type=ExistingFile,
    help="Settings file to use instead of each folder's sos-docs.toml.",
)
@click.option(
    "--service-config",
    "service_file",
    type=ExistingFile,
    help="Service file listing the folders to watch (roots = [...]) and workers.",
)
@click.option(
    "--polling",
    is_flag=True,
    default=None,
    help="Look for new files by polling (for network shares that send no file events).",
)
@click.option(
    "--pdf",
    is_flag=True,
    default=None,
    help="Also make a PDF of every document, in every folder (needs LibreOffice).",
)
@click.option(
    "--once",
    is_flag=True,
    help="Process what is in the inbox, then exit: 0 if every workbook made its documents.",
)
@click.option("--settle", type=PositiveSeconds, help="Seconds a file must stay unchanged.")
@click.option("--rescan", type=PositiveSeconds, help="Seconds between full inbox listings.")
@click.option("--workers", type=click.IntRange(min=1), help="Workbooks processed at once [2].")
@click.option(
    "--create",
    is_flag=True,
    help="Create a ROOT that does not exist (otherwise it is refused: is the share mounted?).",
)
def watch_command(
    roots: tuple[Path, ...],
    config_file: Path | None,
    service_file: Path | None,
    polling: bool | None,
    pdf: bool | None,
    once: bool,
    settle: float | None,
    rescan: float | None,
    workers: int | None,
    create: bool,
) -> None:
    """Turn each workbook dropped into ROOT/inbox into documents (ROOT: watch_folder).

    Each ROOT is checked first, as `sos-docs doctor` does: one with a failing check is not
    watched, the others are. A ROOT that does not exist is not watched unless --create is given
    (it may be a share that is not mounted). Creates inbox, reports, processed, rejected and
    .sos-docs (its work area, journal and log) in each ROOT when missing, and keeps watching
    until stopped with Ctrl+C or SIGTERM; jobs in progress finish first.
    """
    from sos_docs.service.logs import service_console_level, stacks_on_request
    from sos_docs.service.workers import DocumentProcess

    stacks_on_request()

    overrides = {
        "polling": polling,
        "settle_seconds": settle,
        "rescan_seconds": rescan,
        "pdf": pdf,
    }
    console_level = service_console_level(*verbosity(click.get_current_context()))
    with _user_errors():
        if not roots and service_file is None and not create and not DEFAULT_ROOT.is_dir():
            raise SosDocsError(
                f"No folder to watch was named, and there is no {DEFAULT_ROOT}/ folder here "
                "(the example folder of the sos-docs repository). Name the team's folder: "
                f"`sos-docs watch /path/to/team-folder` (with --create to make a new one), or "
                "run this in the repository to see the example."
            )
        paths, workers_in_file = _watched_paths(roots, service_file)
        # The first worker process loads the rendering stack while this one loads the service
        # (so the service's modules are imported only once it has started).
        first = DocumentProcess()
        first.start()
        try:
            with loading():
                from sos_docs.service.run import serve

            status = serve(
                paths,
                config_file=config_file,
                overrides=overrides,
                workers=workers or workers_in_file,
                once=once,
                console_level=console_level,
                create=create,
                demo=not roots and service_file is None,  # the demo folder of the README
                first=first,
            )
        finally:
            first.close()
    # Every file the service writes is closed (and synced) by now: nothing waits on the exit.
    leave(status)


@cli.command("status")
@click.argument(
    "root", required=False, default=DEFAULT_ROOT, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--config",
    "config_file",
    type=ExistingFile,
    help="Settings file to use instead of the folder's sos-docs.toml.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option(
    "--html",
    "as_html",
    is_flag=True,
    help="Print the folder's STATUS.html as of now (writes nothing).",
)
def status_command(root: Path, config_file: Path | None, as_json: bool, as_html: bool) -> None:
    """Show what ROOT has waiting, in work, processed and rejected, and its last jobs."""
    from sos_docs.service.layout import WatchedRoot
    from sos_docs.service.status import read_status, status_json, status_text

    path = root.resolve()
    if as_html:
        from sos_docs.service.status_page import page_html, read_page_facts

        with _user_errors():
            watched = WatchedRoot(path, load_config(path, config_file))
            facts = read_page_facts(watched, dt.datetime.now(dt.UTC))
        click.echo(page_html(facts), nl=False)
        return
    with _user_errors():
        status = read_status(WatchedRoot(path, load_config(path, config_file)))
    if as_json:
        import json

        click.echo(escape_json_text(json.dumps(status_json(status), indent=2, ensure_ascii=False)))
    else:
        click.echo(status_text(status))


@cli.command("purge")
@click.argument(
    "root", required=False, default=DEFAULT_ROOT, type=click.Path(file_okay=False, path_type=Path)
)
@click.option(
    "--config",
    "config_file",
    type=ExistingFile,
    help="Settings file to use instead of the folder's sos-docs.toml.",
)
@click.option("--dry-run", is_flag=True, help="Only say how much would be removed.")
def purge_command(root: Path, config_file: Path | None, dry_run: bool) -> None:
    """Remove what is older than ROOT's retention_days, and say how many of each.

    Processed and rejected workbooks, documents, this computer's journal entries and old log
    lines, each only when its retention_days is set; the service does the same every hour.
    """
    from sos_docs.service.layout import WatchedRoot
    from sos_docs.service.retention import purge

    path = root.resolve()
    with _user_errors():
        if not path.is_dir():
            raise ConfigError(
                f"There is no folder {path}. Give the folder that `sos-docs watch` watches."
            )
        config = load_config(path, config_file)
        purged = purge(WatchedRoot(path, config), dry_run=dry_run)
    click.echo(_purge_text(config, purged, dry_run))


def _purge_text(config: Config, purged: Purged, dry_run: bool) -> str:
    """One line per kind: how many were (or would be) removed, or that it is kept."""
    days = config.retention_days
    done = "would be removed" if dry_run else "removed"
    if not days.any:
        return (
            "No retention_days are set in sos-docs.toml, so everything is kept: nothing "
            f"{'would be' if dry_run else 'was'} removed. "
            "To set them, add a [retention_days] table (processed, rejected, documents, journal, "
            "logs: a number of days each) to the folder's sos-docs.toml."
        )
    kinds = (
        ("Processed workbooks", "processed", "processed"),
        ("Rejected workbooks and their explanations (files)", "rejected", "rejected"),
        ("Documents", "documents", "documents"),
        ("Journal entries", "journal", "journal_rows"),
        ("Log files with old lines", "logs", "log_files"),
    )
    lines = []
    for title, key, counted in kinds:
        kept_days = getattr(days, key)
        if not kept_days:
            lines.append(f"{title}: kept (retention_days.{key} is not set)")
        else:
            older = f"older than {plural(kept_days, 'day')}"
            lines.append(f"{title} {older}: {getattr(purged, counted)} {done}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- team layouts
# `sos-docs layout check` and `layout suggest` (README, "Team layouts"): a team's own workbook
# read through its layout. Self-contained: the rest of the CLI only gains the group.


@cli.group("layout")
def layout_group() -> None:
    """Read a team's own workbook through a layout (README, "Team layouts")."""


@layout_group.command("check")
@click.argument("workbook", type=ExistingFile)
@click.option(
    "--layout",
    "layout_file",
    type=ExistingFile,
    required=True,
    help="The layout: a layout.toml, or a sos-docs.toml with a [layout] table.",
)
def layout_check_command(workbook: Path, layout_file: Path) -> None:
    """Show where the layout finds each field of WORKBOOK, what is missing, and its problems.

    Exits 0 when the workbook has no error read this way, 1 when it has.
    """
    from sos_docs.config import load_layout
    from sos_docs.workbook.reader import read_workbook
    from sos_docs.workbook.team_layout import check_layout, where_found
    from sos_docs.workbook.validate import validate

    with _user_errors():
        layout = load_layout(layout_file)
        check_layout(layout)
        reshaped, found = where_found(read_workbook(workbook), layout)
    validation = validate(reshaped)
    click.echo(_found_text(layout_file, found))
    click.echo("")
    _print_validation(workbook, validation)
    sys.exit(1 if validation.errors else 0)


def _found_text(layout_file: Path, found: Sequence[Found]) -> str:
    """Each standard sheet and field with where it was found, or that it was not."""
    if not found:
        return (
            f"None of the sheets {layout_file.name} names is in the workbook, and it has the "
            "usual sheets: it is read as a standard workbook."
        )
    lines: list[str] = []
    sheet = None
    for item in found:
        if item.sheet != sheet:
            sheet = item.sheet
            lines.append(f'{item.sheet}: your sheet "{escape_text(item.team_sheet)}"')
        if item.where:
            lines.append(f"  {item.field}: {escape_text(item.where)}")
        elif item.required:
            lines.append(f"  {item.field}: MISSING (every workbook needs it)")
        else:
            lines.append(f"  {item.field}: not found")
    return "\n".join(lines)


@layout_group.command("suggest")
@click.argument("workbook", type=ExistingFile)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the layout to this new file (default: print it).",
)
def layout_suggest_command(workbook: Path, output: Path | None) -> None:
    """Write a first layout for WORKBOOK, matched from its sheet titles and headings."""
    from sos_docs.files import write_new_file
    from sos_docs.workbook.layout_suggest import suggest_layout
    from sos_docs.workbook.reader import read_workbook

    with _user_errors():
        text = suggest_layout(read_workbook(workbook))
        if output is None:
            click.echo("\n".join(escape_text(line) for line in text.splitlines()))
            return
        # A link, even one to nothing, is a name that exists: refused like a file.
        if os.path.lexists(output):
            raise SosDocsError(f"{output} already exists. Choose another name or delete it first.")
        written = write_new_file(output, text.encode("utf-8"))
    click.echo(f"Wrote a first layout to {written}: check each line marked as a guess.")


# ---------------------------------------------------------------------------------- helpers


def _settings_of(given: Path | None, overrides: dict[str, object]) -> Config:
    """The settings `--config` names: a watched folder's (as the service there reads them, its
    templates and logo opened inside it), a sos-docs.toml's, or the defaults; flags over them."""
    from sos_docs.workbook.check import check_layout_of

    with _user_errors():
        if given is None or not given.is_dir():
            config = load_config(None, given, overrides)
        else:
            root = given.resolve()
            if not (root / CONFIG_FILE_NAME).is_file() and not (root / "inbox").is_dir():
                raise ConfigError(
                    f"The folder {root} has no {CONFIG_FILE_NAME} and is not a watched folder. "
                    f"Give --config the folder `sos-docs watch` watches, or its "
                    f"{CONFIG_FILE_NAME}."
                )
            config = load_config(root, None, overrides)
        check_layout_of(config)  # a team layout's names, checked against the workbook format
        return config


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Turn an SosDocsError into `Error: <message>` and exit 1, never a traceback."""
    try:
        yield
    except SosDocsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


def main() -> None:
    """Console-script entry point (`python -m sos_docs` too): one name for usage lines and for
    shell completion (`_SOS_DOCS_COMPLETE=bash_source sos-docs`, see the README)."""
    own_process()
    cli(prog_name="sos-docs", complete_var="_SOS_DOCS_COMPLETE")
