"""Whether LibreOffice can be driven here, for the tests that make PDF copies."""

from __future__ import annotations

import pytest

from sos_docs.documents.pdf import locate_libreoffice
from sos_docs.errors import PdfError


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
