"""Process one workbook: read -> validate -> build context -> render -> deliver, top to bottom.

The CLI and the watcher call these functions; the stages never call each other sideways.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sos_docs import deliver
from sos_docs.config import DEFAULT_CONFIG, Config
from sos_docs.context import DocumentSettings, build_context
from sos_docs.errors import WorkbookError
from sos_docs.model import Level, MappingCase, Problem, Validation
from sos_docs.reader import read_workbook
from sos_docs.render import render_document
from sos_docs.validate import validate

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
DOCUMENT_KINDS = (REPORT, WORDS_AND_PICTURES)


@dataclass(frozen=True)
class RenderedDocument:
    """A finished document in memory, before it is written anywhere."""

    kind: DocumentKind
    data: bytes
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What processing one workbook produced: its validation and the documents written."""

    validation: Validation
    documents: tuple[Path, ...] = ()
    render_warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the documents were made."""
        return self.validation.ok


def check_workbook(
    path: Path, config: Config = DEFAULT_CONFIG, today: dt.date | None = None
) -> Validation:
    """Read and validate a workbook file; a file that cannot be read becomes one WB001 problem."""
    try:
        raw = read_workbook(path, config.limits)
    except WorkbookError as exc:
        return Validation(None, (Problem("WB001", Level.ERROR, None, None, str(exc)),))
    return validate(raw, today=today)


def render_case(
    case: MappingCase,
    config: Config = DEFAULT_CONFIG,
    kinds: tuple[DocumentKind, ...] = DOCUMENT_KINDS,
) -> list[RenderedDocument]:
    """Render each requested document of a valid case, in memory."""
    settings = DocumentSettings(protective_marking=config.protective_marking)
    context = build_context(case, settings)
    rendered = []
    for kind in kinds:
        result = render_document(config.templates_dir / kind.template, context)
        rendered.append(RenderedDocument(kind, result.data, result.warnings))
    return rendered


def output_fields(case: MappingCase, kind: DocumentKind) -> dict[str, str]:
    """The values the output name pattern may use."""
    details = case.details
    date = details.meeting_date or details.mapping_date
    return {
        "case_reference": details.case_reference,
        "document": kind.title,
        "date": date.isoformat(),
        "meeting_type": details.meeting_type,
    }


def deliver_documents(
    case: MappingCase, documents: list[RenderedDocument], out_root: Path, config: Config
) -> tuple[Path, ...]:
    """Write each rendered document into place under out_root, never overwriting."""
    written = []
    for document in documents:
        target = deliver.output_path(
            out_root, config.output_pattern, output_fields(case, document.kind)
        )
        written.append(deliver.write_new_file(target, document.data))
    return tuple(written)


def process_workbook(
    path: Path,
    out_root: Path,
    config: Config = DEFAULT_CONFIG,
    kinds: tuple[DocumentKind, ...] = DOCUMENT_KINDS,
    today: dt.date | None = None,
) -> Outcome:
    """The whole pipeline for one workbook: problems only, or documents written under out_root."""
    validation = check_workbook(path, config, today)
    if not validation.ok or validation.case is None:
        return Outcome(validation)
    documents = render_case(validation.case, config, kinds)
    written = deliver_documents(validation.case, documents, out_root, config)
    warnings = tuple(w for d in documents for w in d.warnings)
    return Outcome(validation, written, warnings)
