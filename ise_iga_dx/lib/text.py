"""Display width of Japanese text, for fixed-width tables and cells.

A full-width character (漢字, 「１」) takes two columns in a terminal and
about two in an Excel column; a half-width one takes one.
"""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Return the columns ``text`` takes: two for each wide or full-width character."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def clip(text: str, limit: int) -> str:
    """Return ``text`` on one line, cut with 「…」 to at most ``limit`` columns."""
    text = " ".join(text.split())
    if width(text) <= limit:
        return text
    while width(text) > limit - 1:
        text = text[:-1]
    return text + "…"


def pad(text: str, size: int) -> str:
    """Return ``text`` followed by spaces up to ``size`` columns."""
    return text + " " * (size - width(text))
