"""Request checks, response headers and login throttling hooks (docs/security.md).

Django 5.2 has no Content Security Policy of its own, and the policy is
small and fixed, so one middleware sends it instead of a dependency; the
same middleware refuses URLs with a NUL character.
django-axes calls :func:`lockout_response`, :func:`client_username` and
:func:`client_ip_address` (settings ``AXES_LOCKOUT_CALLABLE``,
``AXES_USERNAME_CALLABLE`` and ``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.template.response import TemplateResponse

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

# Every script is a static file of this site (plotly.min.js, charts.js,
# the admin's); chart data travels as <script type="application/json">,
# which is not run. style-src needs 'unsafe-inline' because plotly.js
# writes style attributes and a <style> element while drawing, and the
# admin templates use style attributes; no script can come in that way.
CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(CSP_DIRECTIVES)
# Browser features no page here uses, turned off for the page and anything
# it might embed.
PERMISSIONS_POLICY = "camera=(), geolocation=(), microphone=(), payment=(), usb=()"

LOCKOUT_TEMPLATE = "registration/locked_out.html"
# axes.models.AccessAttempt.username (and the logs') max_length.
AXES_USERNAME_LENGTH = 255

NUL_MESSAGE = "URLに使えない文字（NUL）が含まれています。"
API_PREFIX = "/api/"


def has_nul(request: HttpRequest) -> bool:
    """Whether the path or a query parameter holds a NUL character.

    No URL of this site needs one, and PostgreSQL refuses NUL in any text
    it is asked to compare, so a code or search term with one would end
    in a database error (500) instead of a 404 or an empty list.
    """
    if "\x00" in request.path_info:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def nul_response(request: HttpRequest) -> HttpResponse:
    """Answer 400 in plain Japanese, or in JSON for the API (its errors are JSON)."""
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": NUL_MESSAGE}, status=400, content_type="application/json; charset=utf-8",
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")


class HardeningMiddleware:
    """Refuse a URL with a NUL character (400); add CSP and Permissions-Policy.

    SecurityMiddleware and XFrameOptionsMiddleware send the other headers
    (Referrer-Policy, Cross-Origin-Opener-Policy, X-Frame-Options,
    X-Content-Type-Options). A response that set its own policy keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = nul_response(request) if has_nul(request) else self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """Say in Japanese that the login is paused, for how long, and whom to call.

    Answers 429 Too Many Requests, for the pages' login and the admin's.
    """
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = TemplateResponse(
        request, LOCKOUT_TEMPLATE,
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    return response.render()


def client_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """Return the typed user name axes records, cut to its column's length.

    The login forms hand over whatever was typed (they only tell the
    browser the 150-character limit); a longer name would not fit axes'
    255-character column, which PostgreSQL enforces (a 500). A real user
    name is never cut.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    username = credentials.get(field) if credentials else request.POST.get(field)
    return None if username is None else str(username)[:AXES_USERNAME_LENGTH]


def client_ip_address(request: HttpRequest) -> str | None:
    """Return the address whose failed logins axes counts.

    Behind the TLS proxy (``BEHIND_TLS_PROXY=1``) REMOTE_ADDR is the
    proxy's own, shared by every user; the proxy appends the client's
    address to X-Forwarded-For, so the last entry is the one a client
    cannot forge. Anything that is not an address falls back to
    REMOTE_ADDR (the database column holds addresses only).
    """
    remote = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_TLS_PROXY:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(forwarded))
    except ValueError:
        return remote
