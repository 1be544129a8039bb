"""Plain-English wording shared by every message: a count with its noun, singular or plural."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """`1 error`, `2 errors`: the count and the noun, with an s unless the count is one."""
    return f"{count} {noun}{'' if count == 1 else 's'}"
