"""The office's pages of a round: the list, opening one, the board and its actions."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def rounds(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def round_open(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def board(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def round_extend(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError


def submission_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
