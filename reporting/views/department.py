"""The department's page of a round (its KGIs, values, comments; save and submit)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def submission(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def submit(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
