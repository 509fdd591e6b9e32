"""Validators, shared caching and rendered bytes for the public pages (no cookies).

Every public view is wrapped by :func:`public_page`:

- ``Cache-Control: public, max-age=300``: browsers and proxies may keep a
  page five minutes, so a withdrawal reaches every reader within five
  minutes at the latest;
- ``ETag`` and ``Last-Modified`` from the publications the page depends on
  (id, version, comments, dates, the edition's digest) and
  :data:`APP_VERSION`, checked *before* the view runs (Django's
  ``condition``): a repeat with ``If-None-Match`` gets a 304 without
  rendering;
- the rendered bytes, kept in the ``public`` cache (a database table every
  worker shares) under the same tag and the path: editions never change,
  so an entry never goes stale, it only stops being asked for. A
  publication's pages are put there when it is published
  (:mod:`public_site.warming`);
- no cookie: nothing here reads the session or the user (NoStoreMiddleware
  steps aside for the prefix), and a malformed ``csrftoken`` cookie is left
  alone instead of being replaced (the public pages have no form).

404s go through the same wrapper, so they too carry validators and no cookie.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition, require_safe

from public_site import selectors

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest

ROOT = Path(__file__).resolve().parent.parent
# What the pages are made of: their code, templates and CSS. A deploy that
# changes any of them changes every ETag and cache key, so no page kept
# from the earlier code (or naming an earlier CSS file) is served again.
SOURCES = (
    *sorted((ROOT / "public_site").glob("*.py")),
    *sorted((ROOT / "templates" / "public").rglob("*.html")),
    ROOT / "static" / "css" / "public.css",
)


def source_version() -> str:
    sha = hashlib.sha256()
    for path in SOURCES:
        sha.update(path.name.encode() + b"\0" + path.read_bytes())
    return "public-" + sha.hexdigest()[:16]


APP_VERSION = source_version()
# The release of APP_VERSION: the Last-Modified of a page with no publication.
RELEASED = datetime(2026, 11, 28, tzinfo=UTC)
MAX_AGE = 300
CACHE_ALIAS = "public"
# The headers a cached response keeps besides its body and type.
KEPT_HEADERS = ("Content-Disposition", "Location")


@dataclass(frozen=True)
class PageState:
    etag: str
    last_modified: datetime


def page_state(request: HttpRequest, scope: Callable[..., dict[str, Any] | None],
               kwargs: dict[str, Any], *, again: bool = False) -> PageState:
    """Return the validators of the page; one query, once per request (``again``: read anew)."""
    found = getattr(request, "_public_state", None)
    if found is not None and not again:
        return found
    where = scope(**kwargs)
    state = [] if where is None else selectors.publication_state(**where)
    sha = hashlib.sha256(
        repr((APP_VERSION, settings.KPI_OPEN_DATA_LICENSE, where, state)).encode()
    )
    changed = selectors.last_change(state)
    found = PageState(
        etag=sha.hexdigest()[:32],
        last_modified=max(changed, RELEASED) if changed is not None else RELEASED,
    )
    if not again:
        request._public_state = found
    return found


def cache_key(etag: str, path: str) -> str:
    return "public:" + hashlib.sha256(f"{etag}\0{path}".encode()).hexdigest()


def public_page(scope: Callable[..., dict[str, Any] | None]) -> Callable:
    """Wrap a public view: validators, shared caching, the bytes cache and no cookie.

    ``scope`` maps the URL's keyword arguments to those of
    :func:`public_site.selectors.publication_state` (None: the page depends on
    no publication).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def etag(request: HttpRequest, **kwargs: Any) -> str:
            return page_state(request, scope, kwargs).etag

        def last_modified(request: HttpRequest, **kwargs: Any) -> datetime:
            return page_state(request, scope, kwargs).last_modified

        def cached(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            shown = page_state(request, scope, kwargs).etag
            key = cache_key(shown, request.path)
            cache = caches[CACHE_ALIAS]
            kept = cache.get(key)
            if kept is not None:
                status, content_type, content, headers = kept
                response = HttpResponse(content, status=status, content_type=content_type)
                for name, value in headers.items():
                    response[name] = value
                return response
            response = view(request, **kwargs)
            if hasattr(response, "render"):
                response.render()
            # Only pages are kept: a 404 or a redirect is cheap to answer, and
            # keeping every path asked for would let a crawler fill the table.
            # Kept only if no publication changed while it was rendered (the
            # page then matches the state its key names).
            if response.status_code == 200 and (
                page_state(request, scope, kwargs, again=True).etag == shown
            ):
                cache.set(key, (
                    response.status_code, response["Content-Type"], response.content,
                    {name: response[name] for name in KEPT_HEADERS if response.has_header(name)},
                ), timeout=None)
            return response

        validated = cache_control(public=True, max_age=MAX_AGE)(
            condition(etag_func=etag, last_modified_func=last_modified)(cached)
        )

        @wraps(view)
        @require_safe
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            response = validated(request, **kwargs)
            # CsrfViewMiddleware replaces a malformed csrftoken cookie on any
            # response; a public page sets no cookie, and has no form.
            request.META["CSRF_COOKIE_NEEDS_UPDATE"] = False
            return response

        return wrapper

    return decorator
