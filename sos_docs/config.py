"""Configuration as small frozen value objects with their defaults, resolved once at start."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 200
DEFAULT_MAX_ROWS = 10_000


@dataclass(frozen=True)
class Limits:
    """How big a workbook may be before it is refused unread (rule WB001)."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    max_compression_ratio: int = DEFAULT_MAX_COMPRESSION_RATIO
    max_rows: int = DEFAULT_MAX_ROWS


DEFAULT_LIMITS = Limits()
