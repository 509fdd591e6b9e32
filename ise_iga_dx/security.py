"""Request checks, response headers and login throttling hooks (docs/security.md).

Django 5.2 has no Content Security Policy of its own, and the policy is
small and fixed, so one middleware sends it instead of a dependency; the
same middleware refuses URLs with a NUL character and request bodies
longer than any upload (413), before anything reads them.
:class:`UploadLimitHandler` stops keeping an uploaded file past the upload
limit, and :class:`NoStoreMiddleware` keeps signed-in users' pages out of
the browser's cache.
django-axes calls :func:`lockout_response`, :func:`client_username` and
:func:`client_ip_address` (settings ``AXES_LOCKOUT_CALLABLE``,
``AXES_USERNAME_CALLABLE`` and ``AXES_CLIENT_IP_CALLABLE``).
"""

from __future__ import annotations

import ipaddress
from io import BytesIO
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

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
# The public pages: no login, no session, no cookie; cached (public_site.caching).
PUBLIC_PREFIX = "/public/"
TOO_LARGE_TEMPLATE = "413.html"


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


def body_too_large(request: HttpRequest) -> bool:
    """Whether the request announces a body longer than any upload with its form.

    Only the announced Content-Length is looked at: nothing of the body
    is read. Django reads no more of a body than its Content-Length, and
    none without one (:class:`UploadLimitHandler` covers a server that
    passes one on all the same).
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.REQUEST_BODY_MAX_BYTES


def too_large_response(request: HttpRequest) -> HttpResponse:
    """Answer 413 with a short Japanese page (JSON for the API), the body unread."""
    upload_mb = settings.KPI_IMPORT_MAX_BYTES / 1024 / 1024
    message = (
        f"送信されたデータが大きすぎます。取り込めるファイルは{upload_mb:g}MBまでです。"
        "ファイルを分けて、もう一度アップロードしてください。"
    )
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {"detail": message}, status=413, content_type="application/json; charset=utf-8",
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponse(
        render_to_string(TOO_LARGE_TEMPLATE, {"message": message}), status=413,
        content_type="text/html; charset=utf-8",
    )


class HardeningMiddleware:
    """Refuse a NUL in the URL (400) or an oversized body (413); add CSP and more.

    First in the chain after SecurityMiddleware, so that no session, form
    or view reads a body this refuses. SecurityMiddleware and
    XFrameOptionsMiddleware send the other headers (Referrer-Policy,
    Cross-Origin-Opener-Policy, X-Frame-Options, X-Content-Type-Options).
    A response that set its own policy keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            response = nul_response(request)
        elif body_too_large(request):
            response = too_large_response(request)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class NoStoreMiddleware:
    """Send ``Cache-Control: no-store`` (Django's never_cache) to signed-in users.

    Office PCs are shared: once a user logs out, the browser must not keep
    a page, an admin screen, a download or an API answer they saw for the
    next person to find in its cache or history. Done once here, after
    AuthenticationMiddleware, for every response to a signed-in user;
    static files (answered by WhiteNoise before this runs) and the pages
    of nobody signed in (the login page) keep their caching.

    The public pages (``PUBLIC_PREFIX``) are the same for everyone and
    never read the session: this returns before looking at the user, which
    would read the session and add ``Vary: Cookie``; their own caching
    headers stay (:mod:`public_site.caching`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(PUBLIC_PREFIX):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class UploadLimitHandler(FileUploadHandler):
    """Stop keeping an uploaded file once it passes the upload limit.

    First of FILE_UPLOAD_HANDLERS, it sees every chunk of a file. Past
    ``KPI_IMPORT_MAX_BYTES`` it passes nothing on (the handlers after it,
    memory or a temporary file, keep at most the limit) and only counts
    the rest; the form then gets an empty file that reports its true
    size, which the import form refuses in Japanese
    (:class:`spreadsheets.admin.SpreadsheetImportForm`). A body within
    its Content-Length (:class:`HardeningMiddleware`) never reaches this
    with more than a megabyte to count.
    """

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.KPI_IMPORT_MAX_BYTES:
            self.too_large = True
        return None if self.too_large else raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.too_large:
            return None
        return UploadedFile(
            BytesIO(), name=self.file_name, content_type=self.content_type,
            size=self.received, charset=self.charset,
        )


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
