"""Process one workbook: read -> validate -> build context -> render -> deliver, top to bottom.

The CLI and the watcher call these functions; the stages never call each other sideways. Which
documents are made comes from the case and the configuration: for a conference the report and
(when a child is born) the words and pictures story, for any other meeting the record of the
mapping (and the story when the workbook has one), plus a team's extra documents
(`[[documents]]`), each with its template in the team's templates folder.

A review conference also reads the case's earlier workbooks. Where they are is known only to
the caller (the service's journal, or `render --previous`), and which case it is only after the
workbook is validated, so the caller passes an `EarlierLookup`: given the case reference, the
candidate files, oldest first.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from sos_docs import codes, files
from sos_docs.config import DEFAULT_CONFIG, DEFAULT_TEMPLATES_DIR, Config
from sos_docs.errors import ConfigError, PdfError, SosDocsError
from sos_docs.model import (
    MEETING_TYPES,
    CaseHistory,
    CopySummary,
    EarlierWorkbook,
    MappingCase,
    Picture,
    Problem,
    Validation,
)
from sos_docs.workbook import copies
from sos_docs.workbook.cells import long_date

# The pipeline's first stages, reading and validating a file, live in workbook/check.py so that
# `sos-docs validate` need not load this module (nor the history of a review it imports).
from sos_docs.workbook.check import check_layout_of as check_layout_of
from sos_docs.workbook.check import check_workbook as check_workbook
from sos_docs.workbook.history import conference_date, read_history

# The documents wing is imported where documents are made, not here: `sos-docs validate` and
# the service's main process never make one, and it costs them some 40 ms to load.
if TYPE_CHECKING:
    from sos_docs.documents.context import DocumentSettings, Story
    from sos_docs.documents.pdf import PdfConverter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentKind:
    """One document sos-docs makes: its key on the command line, its title, its template."""

    key: str
    title: str
    template: str


REPORT = DocumentKind("report", "Conference report", "conference_report.docx")
WORDS_AND_PICTURES = DocumentKind(
    "words-and-pictures", "Words and pictures", "words_and_pictures.docx"
)
# The main document of a meeting that is not a conference; its title in file names is the
# meeting's ("Core group meeting record"), see `record_kind`.
MAPPING_RECORD = DocumentKind("record", "Record of the mapping", "mapping_record.docx")
DOCUMENT_KINDS = (REPORT, WORDS_AND_PICTURES)  # a conference's documents
BUILT_IN_KINDS = (REPORT, WORDS_AND_PICTURES, MAPPING_RECORD)
# Given a case reference, the files that may hold its earlier conferences, oldest first.
EarlierLookup = Callable[[str], Sequence[EarlierWorkbook]]
LOGO_HEIGHT_EMU = 720_000  # 2 cm: a logo is a letterhead, not a picture of the family
MAX_LOGO_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RenderedDocument:
    """A finished document in memory, before it is written anywhere.

    `copy` is which copy it is when something is withheld from the family ("family copy"),
    else empty; it goes into the file name (`{copy}`).
    """

    kind: DocumentKind
    data: bytes
    warnings: tuple[str, ...] = ()
    copy: str = ""


@dataclass(frozen=True)
class Made:
    """A workbook checked and, when it is valid, its documents rendered in memory."""

    validation: Validation
    documents: tuple[RenderedDocument, ...] = ()
    compared_with: tuple[str, ...] = ()  # for a review: the earlier workbooks it was read against
    copies: tuple[CopySummary, ...] = ()  # when something is withheld: each copy, for staff


@dataclass(frozen=True)
class ProcessResult:
    """What processing one workbook produced: its validation and the documents written."""

    validation: Validation
    documents: tuple[Path, ...] = ()
    render_warnings: tuple[str, ...] = ()
    pdfs: tuple[Path, ...] = ()
    compared_with: tuple[str, ...] = ()  # for a review: the earlier workbooks it was read against
    copies: tuple[CopySummary, ...] = ()  # when something is withheld: each copy, for staff

    @property
    def ok(self) -> bool:
        """True when the documents were made."""
        return self.validation.ok


def earlier_files(paths: Sequence[Path]) -> EarlierLookup:
    """The lookup for files named by the user (`render --previous`): the same for any case."""
    given = tuple(EarlierWorkbook(path, path.name) for path in paths)
    return lambda _case_reference: given


def case_history(
    case: MappingCase,
    earlier: EarlierLookup | None,
    config: Config = DEFAULT_CONFIG,
    today: dt.date | None = None,
) -> CaseHistory | None:
    """What a review knows of the case's earlier conferences; None for any other meeting.

    A lookup that fails (a journal that cannot be read) is a warning, never a failure.
    """
    if not case.details.is_review:
        return None
    if earlier is None:
        return CaseHistory()
    try:
        candidates = earlier(case.details.case_reference)
    except SosDocsError as exc:
        log.warning("the earlier workbooks of a review could not be looked up: %s", exc)
        return CaseHistory(
            warnings=(
                f"The earlier workbooks of this case could not be looked up ({exc}), so the "
                "review was made without them.",
            )
        )
    return read_history(
        case, candidates, config.limits, today, sharing=config.sharing, layout=config.layout
    )


def history_problems(case: MappingCase, history: CaseHistory | None) -> list[Problem]:
    """The warnings a review's history adds: earlier workbooks not used, or no earlier scores."""
    if history is None:
        return []
    found = [codes.problem(codes.SOS220, None, None, warning) for warning in history.warnings]
    if not history.earlier and not case.previous_scaling:
        found.append(
            codes.problem(
                codes.SOS221,
                "Previous scaling",
                None,
                "This is a review conference, but sos-docs found no usable earlier workbook of "
                "this case and the workbook has no Previous scaling rows, so the report says no "
                "earlier scores are known. sos-docs reads the case's earlier workbooks from this "
                "folder's processed workbooks (the same case reference); if the last conference's "
                "was made elsewhere, add its scores on a Previous scaling sheet (Date, "
                "Participant, Danger statement, Child, Score). From the command line, give it "
                "with `sos-docs render --previous`.",
            )
        )
    return found


def with_history(
    validation: Validation,
    earlier: EarlierLookup | None,
    config: Config = DEFAULT_CONFIG,
    today: dt.date | None = None,
) -> tuple[Validation, CaseHistory | None]:
    """A valid workbook's history, and its validation with the history's warnings added."""
    assert validation.case is not None
    history = case_history(validation.case, earlier, config, today)
    added = history_problems(validation.case, history)
    if added:
        validation = replace(validation, problems=(*validation.problems, *added))
    return validation, history


def record_kind(meeting_type: str) -> DocumentKind:
    """The record of the mapping titled for its meeting: "Core group meeting record"."""
    return DocumentKind(MAPPING_RECORD.key, f"{meeting_type} record", MAPPING_RECORD.template)


def built_in_kinds(case: MappingCase) -> tuple[DocumentKind, ...]:
    """The built-in documents a case gets, by its meeting type (docs/documents.md).

    A conference gets the report; any other meeting the record of the mapping. The story is
    for children who are born: a conference's when any child is, another meeting's only when
    the workbook has words and pictures or a safety plan to tell.
    """
    born = any(not child.is_unborn for child in case.children)
    if case.details.is_conference:
        return (REPORT, WORDS_AND_PICTURES) if born else (REPORT,)
    story = born and bool(case.words_and_pictures or case.safety_plan)
    record = record_kind(case.details.meeting_type)
    return (record, WORDS_AND_PICTURES) if story else (record,)


def document_kinds(
    config: Config = DEFAULT_CONFIG, case: MappingCase | None = None
) -> tuple[DocumentKind, ...]:
    """The documents made: the case's built-in ones (every built-in one when no case is given,
    as for checking templates), then the configured extras."""
    kinds = list(BUILT_IN_KINDS if case is None else built_in_kinds(case))
    # Every title a built-in document can have, so an extra never shares its file names.
    titles = [*BUILT_IN_KINDS, *(record_kind(m) for m in MEETING_TYPES[3:])]
    for extra in config.documents:
        clash = next((k for k in titles if k.title.casefold() == extra.name.casefold()), None)
        if clash is not None:
            raise ConfigError(
                f"The extra document '{extra.name}' has the name of the built-in "
                f"'{clash.title}'. Give it another name: the name is part of its file names."
            )
        key = re.sub(r"[^a-z0-9]+", "-", extra.name.casefold()).strip("-") or "document"
        kinds.append(DocumentKind(key, extra.name, str(extra.template)))
    return tuple(kinds)


def _for_case(kind: DocumentKind, case: MappingCase) -> DocumentKind:
    """A requested kind as this case makes it: the record titled for the case's meeting."""
    if kind.key == MAPPING_RECORD.key and kind.template == MAPPING_RECORD.template:
        return record_kind(case.details.meeting_type)
    return kind


def template_path(config: Config, kind: DocumentKind) -> Path:
    """Where a document's template is: in the templates folder, unless given as a full path.

    A team's templates folder made before the record of the mapping existed has no copy of
    its template: the shipped one is used until the team adds its own.
    """
    path = config.templates_dir / kind.template
    if kind.template == MAPPING_RECORD.template and not path.exists():
        return DEFAULT_TEMPLATES_DIR / kind.template
    return path


def document_settings(config: Config = DEFAULT_CONFIG) -> tuple[DocumentSettings, list[str]]:
    """How the documents word and brand what the workbook does not say, and logo warnings."""
    from sos_docs.documents.context import DocumentSettings

    logo, warnings = (None, []) if config.logo is None else load_logo(config.logo, config.team_root)
    settings = DocumentSettings(
        protective_marking=config.protective_marking,
        story_marking=config.story_marking,
        local_authority=config.local_authority,
        team=config.team,
        logo=logo,
    )
    return settings, warnings


# What reading a logo can raise: the file (a link, a pipe, too large) or Pillow on its content.
LOGO_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # UnidentifiedImageError among them
    ValueError,
    SyntaxError,
    EOFError,
    Image.DecompressionBombError,
)


def read_logo(path: Path, within: Path | None = None) -> tuple[bytes, str]:
    """The logo file's bytes and picture format, checked by Pillow; LOGO_ERRORS if not usable.

    Read through `files.read_plain_file`: a named pipe, a link or a device in a team's folder
    cannot hang or flood the service. A logo inside the team's root `within` is opened one
    name at a time from it (`files.read_plain_file_within`): no link on the way, no hard link.
    """
    relative = files.relative_inside(within, path)
    if within is not None and relative is not None:
        data = files.read_plain_file_within(within, relative, MAX_LOGO_BYTES)
    else:
        data = files.read_plain_file(path, MAX_LOGO_BYTES)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
        return data, (image.format or "png").lower()


def load_logo(path: Path, within: Path | None = None) -> tuple[Picture | None, list[str]]:
    """The configured logo as a picture 2 cm high, or None and why it was left out.

    `within`: the team's root the logo lies in (`read_logo`).
    """
    try:
        data, kind = read_logo(path, within)
    except LOGO_ERRORS as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        warning = (
            f"The logo {path} could not be used ({reason}), so the documents were made without "
            "it. Set `logo` in sos-docs.toml to a PNG or JPEG picture."
        )
        log.warning("%s", warning)
        return None, [warning]
    return Picture(data, kind, 0, "", max_height_emu=LOGO_HEIGHT_EMU), []


def branding_warnings(case: MappingCase, config: Config) -> list[str]:
    """Warnings when the workbook names another local authority or team than this folder's.

    The workbook's own value is printed (it is what the practitioner wrote); a different name
    in the folder's configuration may mean the workbook was put in the wrong team's folder.
    """
    warnings = []
    for label, written, configured in (
        ("local authority", case.details.local_authority, config.local_authority),
        ("team", case.details.team, config.team),
    ):
        if written and configured and _same_name(written) != _same_name(configured):
            warnings.append(
                f"The workbook names the {label} '{written}', but this folder is set up for "
                f"'{configured}'. The documents show '{written}'. If the workbook belongs to "
                "another team, send it to that team's folder."
            )
    return warnings


def _same_name(name: str) -> str:
    return " ".join(name.casefold().split())


# Which copy a document is, as the document itself says it (context `copy_note`).
PROFESSIONAL_NOTE = "Professional copy: contains information withheld from the family."
FAMILY_NOTE = "{Label}: some information is not in this copy."
MAIN_KEYS = frozenset({REPORT.key, MAPPING_RECORD.key})


def render_case(
    case: MappingCase,
    config: Config = DEFAULT_CONFIG,
    kinds: tuple[DocumentKind, ...] | None = None,
    history: CaseHistory | None = None,
) -> list[RenderedDocument]:
    """Render each requested document of a valid case, in memory.

    `kinds`: the documents to make (a record of the mapping is titled for the case's meeting);
    None: the documents of the case's meeting type (`document_kinds`). `history`: a review's
    earlier conferences (`case_history`). Warnings about the case as a whole (logo, branding) go
    with the first document.

    When anything is withheld (docs/documents.md, Copies for the family) the report or record
    is made once per copy (`copies.copies_of`), each from a case the copy's withheld rows were
    taken out of; the story, which any family member may read, from the case with every
    withheld row taken out; a team's extra documents from the whole case, as professional
    documents.
    """
    settings, notes = document_settings(config)
    notes += branding_warnings(case, config)
    chosen = (
        document_kinds(config, case) if kinds is None else tuple(_for_case(k, case) for k in kinds)
    )
    from sos_docs.documents.render import one_case

    case_copies = copies.copies_of(case)
    rendered: list[RenderedDocument] = []
    with one_case():  # the copies and the story show the same pictures and scores
        for kind in chosen:
            for document in _render_kind(kind, case_copies, config, settings, history):
                warnings = (*notes, *document.warnings) if not rendered else document.warnings
                rendered.append(replace(document, warnings=tuple(warnings)))
    return rendered


def _render_kind(
    kind: DocumentKind,
    case_copies: Sequence[copies.CaseCopy],
    config: Config,
    settings: DocumentSettings,
    history: CaseHistory | None,
) -> list[RenderedDocument]:
    """One document kind of a case: every copy of the main document, one story, one extra."""
    case = case_copies[0].case  # the professional copy's: the whole case
    if kind.key in MAIN_KEYS and kind.template in (REPORT.template, MAPPING_RECORD.template):
        return [_render_copy(kind, copy, case, config, settings, history) for copy in case_copies]
    if kind == WORDS_AND_PICTURES:
        return _render_stories(kind, case, case_copies, config, settings, history)
    return [_render_one(kind, case, config, settings, history, "")]


def _render_stories(
    kind: DocumentKind,
    case: MappingCase,
    case_copies: Sequence[copies.CaseCopy],
    config: Config,
    settings: DocumentSettings,
    history: CaseHistory | None,
) -> list[RenderedDocument]:
    """The words and pictures story once for each story the case has (`stories`: the shared
    one, and one per child who has their own, named for the child). Any family member may read
    a story: when anything is withheld it is made from the case with every withheld row out."""
    from sos_docs.documents.context import stories

    if len(case_copies) > 1:
        # Matched against the whole case: what is withheld now stays out of the earlier ones.
        history = copies.filtered_history(history, copies.EVERY_FAMILY_MEMBER, case)
        case, _ = copies.filtered(case, copies.EVERY_FAMILY_MEMBER)
        settings = replace(settings, family_copy=True)
    return [
        _render_one(_story_kind(kind, story), case, config, settings, history, "", story)
        for story in stories(case)
    ]


def _story_kind(kind: DocumentKind, story: Story) -> DocumentKind:
    """The story's document, named for the child when it is their own ("... for Mia")."""
    from sos_docs.documents.context import first_name

    return replace(kind, title=f"{kind.title} for {first_name(story.own)}") if story.own else kind


def _render_copy(
    kind: DocumentKind,
    copy: copies.CaseCopy,
    whole_case: MappingCase,
    config: Config,
    settings: DocumentSettings,
    history: CaseHistory | None,
) -> RenderedDocument:
    if copy.is_professional:
        note = PROFESSIONAL_NOTE if copy.label else ""
        settings = replace(settings, copy_note=note, copy_label=copy.label)
    else:
        label = copy.label[:1].upper() + copy.label[1:]
        settings = replace(
            settings,
            copy_note=FAMILY_NOTE.format(Label=label),
            family_copy=True,
            copy_label=copy.label,
        )
        history = copies.filtered_history(history, copy.audience, whole_case)
    return _render_one(kind, copy.case, config, settings, history, copy.label)


def _render_one(
    kind: DocumentKind,
    case: MappingCase,
    config: Config,
    settings: DocumentSettings,
    history: CaseHistory | None,
    copy: str,
    story: Story | None = None,
) -> RenderedDocument:
    # Imported here, not at the top: docxtpl, python-docx and Jinja take a tenth of a second
    # to load, and `sos-docs validate` never needs them.
    from sos_docs.documents.context import build_context, story_context
    from sos_docs.documents.render import render_documents

    context = build_context(case, settings, history)
    if story is not None:  # one story's own fields laid over the case's
        context = {**context, **story_context(case, settings, story)}
    (result,) = render_documents([template_path(config, kind)], context, within=config.team_root)
    return RenderedDocument(kind, result.data, result.warnings, copy)


def copy_summaries(case: MappingCase) -> tuple[CopySummary, ...]:
    """Each copy of the case's documents for staff, when anything is withheld; else none."""
    made = copies.copies_of(case)
    if len(made) == 1:
        return ()
    return tuple(CopySummary(c.label, c.for_whom, c.leaves_out) for c in made)


def make_documents(
    path: Path, config: Config = DEFAULT_CONFIG, earlier: EarlierLookup | None = None
) -> Made:
    """Check a workbook and, when it is valid, render its documents: all the work that needs
    no folder but the workbook's (and, for a review, the earlier ones `earlier` finds), so the
    service can do it in a worker process. The history's warnings join the validation's."""
    validation = check_workbook(path, config)
    if not validation.ok or validation.case is None:
        return Made(validation)
    validation, history = with_history(validation, earlier, config)
    assert validation.case is not None
    documents = tuple(render_case(validation.case, config, history=history))
    return Made(validation, documents, compared_with(history), copy_summaries(validation.case))


def compared_with(history: CaseHistory | None) -> tuple[str, ...]:
    """For staff (the receipt, the command line), never the documents: each earlier workbook a
    review was read against, and which conference it was."""
    if history is None:
        return ()
    return tuple(
        f"{earlier.file_name} (the {earlier.case.details.meeting_type.lower()} on "
        f"{long_date(conference_date(earlier.case))})"
        for earlier in history.earlier
    )


def make_pdf_copy(
    converter: PdfConverter, docx: Path, pdf_dest: Path, shown_name: str = ""
) -> tuple[Path | None, str]:
    """A PDF copy of a written document, or None and the warning for the receipt.

    A PDF that cannot be made never costs the document: it is a warning, not an error.
    `shown_name` is the document's name as staff see it, when `docx` is a staged copy.
    """
    shown_name = shown_name or docx.name
    try:
        return converter.convert(docx, pdf_dest), ""
    except PdfError as exc:
        reason = str(exc).replace(docx.name, shown_name)
        log.warning("No PDF copy of %s: %s", shown_name, reason)
        return None, f"No PDF copy of {shown_name} was made. {reason}"


def output_fields(
    case: MappingCase, kind: DocumentKind, copy: str = "", pattern: str = ""
) -> dict[str, str]:
    """The values the output name pattern may use.

    `copy` ("family copy") is `{copy}` in brackets; a `pattern` without `{copy}` gets it after
    the document's title instead, so two copies never share a name.
    """
    details = case.details
    date = details.meeting_date or details.mapping_date
    copy_words = f"({copy})" if copy else ""
    document = kind.title
    if copy_words and "{copy}" not in pattern:
        document = f"{document} {copy_words}"
    return {
        "case_reference": details.case_reference,
        "document": document,
        "copy": copy_words,
        "date": date.isoformat(),
        "meeting_type": details.meeting_type,
    }


def deliver_documents(
    case: MappingCase, documents: list[RenderedDocument], out_root: Path, config: Config
) -> tuple[Path, ...]:
    """Write each rendered document into place under out_root, never overwriting."""
    written = []
    for document in documents:
        fields = output_fields(case, document.kind, document.copy, config.output_pattern)
        target = files.output_path(out_root, config.output_pattern, fields)
        written.append(files.write_new_file(target, document.data))
    return tuple(written)


def process_workbook(
    path: Path,
    out_root: Path,
    config: Config = DEFAULT_CONFIG,
    kinds: tuple[DocumentKind, ...] | None = None,
    today: dt.date | None = None,
    converter: PdfConverter | None = None,
    earlier: EarlierLookup | None = None,
) -> ProcessResult:
    """The whole pipeline for one workbook: problems only, or documents written under out_root.

    With `config.pdf` and a converter, each document also gets a PDF copy beside it. A review
    reads the earlier workbooks `earlier` finds (`earlier_files` for files named by the user).
    """
    validation = check_workbook(path, config, today)
    if not validation.ok or validation.case is None:
        return ProcessResult(validation)
    validation, history = with_history(validation, earlier, config, today)
    assert validation.case is not None
    documents = render_case(validation.case, config, kinds, history)
    written = deliver_documents(validation.case, documents, out_root, config)
    warnings = [w for d in documents for w in d.warnings]
    pdfs = []
    if config.pdf and converter is not None:
        from sos_docs.documents.pdf import pdf_path_for

        for docx in written:
            pdf, warning = make_pdf_copy(converter, docx, pdf_path_for(docx))
            pdfs += [pdf] if pdf else []
            warnings += [warning] if warning else []
    return ProcessResult(
        validation,
        written,
        tuple(warnings),
        tuple(pdfs),
        compared_with(history),
        copy_summaries(validation.case),
    )
