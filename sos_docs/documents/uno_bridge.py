"""The UNO side of the PDF converter: runs under LibreOffice's Python, one request a line.

`sos_docs.documents.pdf` starts this file with a Python that can `import uno` (Debian's python3-uno, or
the Python bundled with LibreOffice on Windows), which is usually not the Python sos-docs runs
in, so it must not import anything from sos_docs. It connects to the one LibreOffice the
converter started and answers JSON lines on stdin with JSON lines on stdout:

    {"src": "/path/in.docx", "dest": "/path/out.pdf"}  ->  {"ok": true} or {"ok": false, "error": "..."}

It exits when it loses LibreOffice (so that the converter can start both again), and after
`{"quit": true}` or when stdin closes, asking LibreOffice to end too: a sos-docs that dies,
even by SIGKILL, leaves no LibreOffice behind.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

import uno  # type: ignore[import-not-found]  # only LibreOffice's Python has it
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

WORD_FILTER = "MS Word 2007 XML"  # forced: a damaged file must fail, not be read as plain text
PDF_FILTER = "writer_pdf_Export"
# Tagged PDF and PDF/UA (LibreOffice 7.2 and later; an older one ignores options it lacks).
PDF_OPTIONS = (
    ("UseTaggedPDF", True),
    ("PDFUACompliance", True),
    ("DisplayPDFDocumentTitle", True),
    ("ExportBookmarks", True),
)
NEVER_EXECUTE_MACROS = 0  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
NO_LINK_UPDATES = 0  # com.sun.star.document.UpdateDocMode.NO_UPDATE: no fetching linked files


def _prop(name: str, value: Any) -> Any:
    prop = PropertyValue()
    prop.Name = name
    prop.Value = value
    return prop


def _pdf_filter_data() -> Any:
    """writer_pdf_Export's options: a tagged PDF (a structure tree screen readers follow) that
    claims PDF/UA, opens showing the document's title, and keeps Word's headings as bookmarks."""
    options = tuple(_prop(name, value) for name, value in PDF_OPTIONS)
    return uno.Any("[]com.sun.star.beans.PropertyValue", options)


def _reply(**values: Any) -> None:
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()


def _connect(pipe: str, deadline: float) -> Any:
    """The Desktop of the LibreOffice listening on `pipe`, retried while it starts."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
            continue
        return context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )


def _convert(desktop: Any, src: str, dest: str) -> None:
    load = (
        _prop("Hidden", True),
        _prop("ReadOnly", True),
        _prop("FilterName", WORD_FILTER),
        _prop("MacroExecutionMode", NEVER_EXECUTE_MACROS),
        _prop("UpdateDocMode", NO_LINK_UPDATES),
    )
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, load)
    if document is None:
        raise ValueError("LibreOffice could not open it as a Word document")
    try:
        export = (_prop("FilterName", PDF_FILTER), _prop("FilterData", _pdf_filter_data()))
        uno.invoke(document, "storeToURL", (uno.systemPathToFileUrl(dest), export))
    finally:
        document.close(True)


def _office_alive(desktop: Any) -> bool:
    try:
        desktop.getComponents()
    except Exception:
        return False
    return True


def main() -> int:
    """Serve conversion requests until stdin closes; 0 on a normal end, 1 on losing the office."""
    pipe, start_seconds = sys.argv[1], float(sys.argv[2])
    try:
        desktop = _connect(pipe, time.monotonic() + start_seconds)
    except Exception as exc:
        _reply(ok=False, error=f"could not connect to LibreOffice: {exc}")
        return 1
    _reply(ok=True, ready=True)
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("quit"):
            break
        try:
            _convert(desktop, request["src"], request["dest"])
        except Exception as exc:
            alive = _office_alive(desktop)
            _reply(ok=False, error=str(exc) or type(exc).__name__, office_alive=alive)
            if not alive:
                return 1
        else:
            _reply(ok=True)
    # Asked to quit, or stdin closed because sos-docs ended (even killed): LibreOffice goes
    # too, so no orphaned LibreOffice is left running. Ending drops the bridge mid-call.
    with contextlib.suppress(Exception):
        desktop.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
