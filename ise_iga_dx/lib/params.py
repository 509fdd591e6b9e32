"""The one reader of ``?year=`` and of ids in URLs and forms.

Pages, the admin's year filters, the downloads, the API and the commands
read a year through :func:`parse_year`, so 「2026」 means the same
everywhere and nothing else is taken for a year.
"""

from __future__ import annotations

import re

# ASCII only: str.isdigit() takes 「²」, which int() then refuses.
_YEAR = re.compile(r"[0-9]{4}")
# Bounded so that a huge number is a clean "not found", not a database
# overflow (PostgreSQL's bigint).
_ID = re.compile(r"[0-9]{1,18}")


def parse_year(raw: str | None) -> int | None:
    """Return ``raw`` as a fiscal year (four ASCII digits), else None.

    Whether the year belongs to a plan is the caller's check, which can
    then say so (「…は計画期間の外です」) rather than "not a year".
    """
    if raw is None or not _YEAR.fullmatch(raw):
        return None
    return int(raw)


def parse_id(raw: str | None) -> int | None:
    """Return ``raw`` as a database id (1 to 18 ASCII digits), else None."""
    if raw is None or not _ID.fullmatch(raw):
        return None
    return int(raw)
