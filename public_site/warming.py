"""Render a publication's public pages when it is published, into the shared cache.

Run inside the publication's transaction (public_site.apps connects it to a new
Publication): every page the publication adds (its plan-year, each KGI,
the three downloads, and the plan, city and index pages it changes) is
rendered once, through the same view and cache as a citizen's request
(public_site.caching). So the first citizen finds it ready, every worker shares
it, and a page that cannot be rendered refuses the publication instead of
answering a citizen with an error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import resolve, reverse

from public_site import opendata

if TYPE_CHECKING:
    from editions.models import Publication

logger = logging.getLogger(__name__)


def paths_of(publication: Publication) -> list[str]:
    """Return the public paths that show ``publication``, index pages included."""
    data = publication.edition.data
    city, plan, year = data["municipality"]["code"], data["plan"]["code"], data["fiscal_year"]
    plan_year = {"municipality": city, "plan": plan, "year": year}
    stem = opendata.file_stem(data)
    return [
        reverse("public:index"),
        reverse("public:municipality", args=[city]),
        reverse("public:plan", args=[city, plan]),
        reverse("public:plan_year", kwargs=plan_year),
        reverse("public:csv", kwargs={**plan_year, "filename": stem}),
        reverse("public:json", kwargs={**plan_year, "filename": stem}),
        reverse("public:datapackage", kwargs=plan_year),
        *(reverse("public:indicator", kwargs={**plan_year, "code": kgi["code"]})
          for kgi in data["kgis"]),
    ]


class PageFailed(Exception):
    """A page of the publication could not be rendered (an error, or not 200)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def warm(publication: Publication) -> int:
    """Render every page of ``publication`` into the cache; return how many.

    Raise :class:`PageFailed` if one fails or does not answer 200: the
    caller's transaction (the publication) is then undone.
    """
    paths = paths_of(publication)
    for path in paths:
        request = HttpRequest()
        request.method = "GET"
        request.path = request.path_info = path
        request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80"}
        match = resolve(path)
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Exception as error:
            logger.exception("公表ページ %s を表示できません", path)
            raise PageFailed(path) from error
        if response.status_code != 200:
            raise PageFailed(path)
    return len(paths)
