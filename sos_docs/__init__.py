"""sos-docs: Signs of Safety mapping workbooks in, conference paperwork out."""

from sos_docs.errors import SosDocsError
from sos_docs.model import Level, MappingCase, Problem, Validation

__version__ = "0.1.0"

__all__ = ["Level", "MappingCase", "Problem", "SosDocsError", "Validation", "__version__"]
