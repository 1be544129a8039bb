"""Plain-English wording shared by every message: a count with its noun, "a" or "an"."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """`1 error`, `2 errors`: the count and the noun, with an s unless the count is one."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def with_article(phrase: str) -> str:
    """`an initial child protection conference`, `a review ...`: the phrase after "a" or "an"
    as its first letter needs (the meeting types and recommendations say their vowels)."""
    return f"{'an' if phrase[:1].casefold() in 'aeiou' and phrase else 'a'} {phrase}"
