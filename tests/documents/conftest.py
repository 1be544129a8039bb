"""Fixtures shared by the document tests: one PDF converter for the whole run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sos_docs.documents.pdf import PdfConverter


@pytest.fixture(scope="session")
def converter() -> Iterator[PdfConverter]:
    """One converter for every test that makes PDFs, so LibreOffice starts once a run."""
    with PdfConverter() as shared:
        yield shared
