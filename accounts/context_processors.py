"""The template context every page gets from accounts: the user's scope (docs/roles.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.functional import SimpleLazyObject

from accounts.roles import scope_of

if TYPE_CHECKING:
    from django.http import HttpRequest


def scope(request: HttpRequest) -> dict[str, object]:
    """Give templates ``kpi_scope``: which links (admin, Excel) this user may follow."""
    return {"kpi_scope": SimpleLazyObject(lambda: scope_of(request.user))}
