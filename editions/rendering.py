"""The frozen pages of an edition: rendered once, at freezing, and kept as HTML.

Placeholder until the edition pages land: returns empty fragments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from editions.models import Edition


def render_pages(*, edition: Edition, changed: set[str]) -> dict[str, str]:
    """Return the dashboard, print page and 進捗管理シート of ``edition`` as HTML fragments."""
    return {"dashboard": "", "print": "", "sheet": ""}
