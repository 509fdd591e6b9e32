"""The public pages: published results for citizens, no login, no cookie.

Each view reads publications in force (:mod:`public_site.selectors`) and the
edition's data through :mod:`public_site.display`, and renders; anything not
published is a 404 from the public layout (:func:`not_found`), never the
staff 404, whose layout reads the session. :func:`public_site.caching.
public_page` adds the validators and the shared cache.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from ise_iga_dx.lib import wareki
from public_site import accessibility as statement
from public_site import charts, display, opendata, selectors
from public_site.caching import public_page

if TYPE_CHECKING:
    from django.http import HttpRequest

    from editions.models import Publication

NOT_PUBLISHED = "指定された自治体・計画・年度・指標は、公表されていないか、見つかりませんでした。"
# The day the accessibility statement was checked and written (tests/browser/test_public.py).
STATEMENT_DATE = date(2026, 11, 28)


def static_scope(**_: Any) -> None:
    return None


def everything(**_: Any) -> dict[str, Any]:
    return {}


def city_scope(*, municipality: str, **_: Any) -> dict[str, Any]:
    return {"municipality": municipality}


def plan_scope(*, municipality: str, plan: str, **_: Any) -> dict[str, Any]:
    return {"municipality": municipality, "plan": plan}


def year_scope(*, municipality: str, plan: str, year: int, **_: Any) -> dict[str, Any]:
    return {"municipality": municipality, "plan": plan, "fiscal_year": year}


def not_found(request: HttpRequest, message: str = NOT_PUBLISHED) -> TemplateResponse:
    return TemplateResponse(request, "public/not_found.html", {"message": message}, status=404)


def published_on(publication: Publication) -> str:
    return wareki.date_text(timezone.localdate(publication.published_at))


def links_of(data: dict[str, Any], *, depth: str) -> dict[str, str]:
    """Return the URLs of the pages above one (by name) and its own as ``here``.

    ``depth`` is "plan", "year" or "kgi"; the templates build the links
    below a page from ``here`` (a KGI's, a download's).
    """
    city, plan, year = data["municipality"]["code"], data["plan"]["code"], data["fiscal_year"]
    urls = {
        "city": reverse("public:municipality", args=[city]),
        "plan": reverse("public:plan", args=[city, plan]),
        "year": reverse("public:plan_year", args=[city, plan, year]),
    }
    if depth == "plan":
        return {"city": urls["city"], "here": urls["plan"]}
    if depth == "year":
        return {"city": urls["city"], "plan": urls["plan"], "here": urls["year"]}
    return urls


def licence() -> dict[str, str]:
    return settings.KPI_OPEN_DATA_LICENSE


@public_page(everything)
def index(request: HttpRequest) -> HttpResponse:
    cities: dict[str, dict[str, Any]] = {}
    for listed in selectors.listed_publications():
        city = cities.setdefault(
            listed.municipality["code"], {"data": listed.municipality, "plans": {}}
        )
        city["plans"].setdefault(listed.plan["code"], {"data": listed.plan, "years": []})
        city["plans"][listed.plan["code"]]["years"].append(listed)
    return TemplateResponse(request, "public/index.html", {"cities": list(cities.values())})


@public_page(city_scope)
def municipality(request: HttpRequest, municipality: str) -> HttpResponse:
    listed = selectors.listed_publications(municipality=municipality)
    if not listed:
        return not_found(request)
    plans: dict[str, dict[str, Any]] = {}
    for row in listed:
        plans.setdefault(row.plan["code"], {"data": row.plan, "years": []})["years"].append(row)
    return TemplateResponse(request, "public/municipality.html", {
        "city": listed[0].municipality, "plans": list(plans.values()), "links": {},
    })


@public_page(plan_scope)
def plan(request: HttpRequest, municipality: str, plan: str) -> HttpResponse:
    publications = selectors.plan_publications(municipality=municipality, plan=plan)
    if not publications:
        return not_found(request)
    years = [
        {
            "publication": publication, "data": publication.edition.data,
            "published_on": published_on(publication),
            "counts": display.plan_year(
                publication.edition.data, with_comments=False
            ).counts,
        }
        for publication in publications
    ]
    data = years[0]["data"]
    return TemplateResponse(request, "public/plan.html", {
        "city": data["municipality"], "plan": data["plan"], "years": years,
        "links": links_of(data, depth="plan"),
    })


def plan_year_context(publication: Publication, *, depth: str) -> dict[str, Any]:
    data = publication.edition.data
    stem = opendata.file_stem(data)
    return {
        "links": links_of(data, depth=depth),
        "publication": publication, "edition": publication.edition,
        "city": data["municipality"], "plan": data["plan"], "data": data,
        "published_on": published_on(publication),
        "meeting_date": wareki.date_text(publication.edition.meeting_date),
        "stem": stem, "csv_name": f"{stem}.csv", "json_name": f"{stem}.json",
        "licence": licence(), "legend": display.UNPUBLISHED_LEGEND,
    }


@public_page(year_scope)
def plan_year(request: HttpRequest, municipality: str, plan: str,
              year: int) -> HttpResponse:
    publication = selectors.publication_of(
        municipality=municipality, plan=plan, fiscal_year=year
    )
    if publication is None:
        return not_found(request)
    public = display.plan_year(
        publication.edition.data, with_comments=publication.with_comments
    )
    return TemplateResponse(request, "public/plan_year.html", {
        **plan_year_context(publication, depth="year"), "public": public,
        "counts_chart": charts.counts_chart(public.counts),
    })


@public_page(city_scope)
def indicator(request: HttpRequest, municipality: str, plan: str, year: int,
              code: str) -> HttpResponse:
    publication = selectors.publication_of(
        municipality=municipality, plan=plan, fiscal_year=year
    )
    if publication is None:
        return not_found(request)
    data = publication.edition.data
    public = display.plan_year(data, with_comments=publication.with_comments)
    shown = public.kgis.get(code)
    if shown is None:
        return not_found(request)
    link = shown.data.get("continues") or shown.data.get("continued_by")
    series = None
    if link:
        other = selectors.latest_publication_of_plan(municipality=municipality, plan=link["plan"])
        if other is not None:
            other_data = other.edition.data
            series = display.long_view(
                kgi=shown.data, plan=data["plan"],
                other_kgi=next((k for k in other_data["kgis"] if k["code"] == link["code"]), None),
                other_plan=other_data["plan"],
            )
    chart_series = series or display.own_series(kgi=shown.data, plan=data["plan"])
    return TemplateResponse(request, "public/kgi.html", {
        **plan_year_context(publication, depth="kgi"),
        "kgi": shown, "link": link, "series": series,
        "chart_series": chart_series, "chart": charts.series_chart(chart_series),
        "chart_absence": charts.series_chart_absence(chart_series),
        "with_comments": publication.with_comments,
    })


def dataset_of(publication: Publication) -> opendata.Dataset:
    data = publication.edition.data
    return opendata.Dataset(
        published_at=timezone.localtime(publication.published_at),
        meeting_name=publication.edition.meeting_name,
        meeting_date=publication.edition.meeting_date,
        with_comments=publication.with_comments, licence=licence(),
        csv_name=f"{opendata.file_stem(data)}.csv",
    )


@public_page(year_scope)
def download(request: HttpRequest, municipality: str, plan: str, year: int,
             filename: str, ext: str) -> HttpResponse:
    publication = selectors.publication_of(
        municipality=municipality, plan=plan, fiscal_year=year
    )
    if publication is None or filename != opendata.file_stem(publication.edition.data):
        return not_found(request)
    data, dataset = publication.edition.data, dataset_of(publication)
    table = opendata.rows(data, dataset=dataset)
    if ext == "csv":
        response = HttpResponse(opendata.csv_bytes(table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            opendata.json_bytes(table, data=data, dataset=dataset),
            content_type="application/json; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{ext}"'
    return response


@public_page(year_scope)
def datapackage(request: HttpRequest, municipality: str, plan: str,
                year: int) -> HttpResponse:
    publication = selectors.publication_of(
        municipality=municipality, plan=plan, fiscal_year=year
    )
    if publication is None:
        return not_found(request)
    return HttpResponse(
        opendata.datapackage_bytes(publication.edition.data, dataset=dataset_of(publication)),
        content_type="application/json; charset=utf-8",
    )


@public_page(static_scope)
def accessibility(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "public/accessibility.html", {
        "statement_date": wareki.date_text(STATEMENT_DATE),
        "checklist": statement.CHECKLIST, "tally": statement.counts(),
    })


@public_page(static_scope)
def missing(request: HttpRequest, rest: str) -> HttpResponse:
    """Answer any other path under the prefix: a slash added, else the public 404."""
    last = rest.rsplit("/", 1)[-1]
    if rest and not rest.endswith("/") and "." not in last:
        return HttpResponsePermanentRedirect(request.path + "/")
    return not_found(request)
