"""Every public URL, 404s included: shared caching, validators, 304s, and never a cookie.

Each URL is asked three ways: with no cookie, as a signed-in officer, and
with a bogus session id and a malformed CSRF cookie (which Django would
otherwise replace on the way out).
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from editions.services import withdraw_publication
from tests.public.conftest import ISE1_YEAR, PUBLISHED, publish, year_urls

pytestmark = pytest.mark.django_db

NOT_FOUND = [
    "/public/iga/", "/public/iga/iga-2/", "/public/iga/iga-2/2026/", "/public/ise/ise-2/",
    "/public/ise/ise-2/2026/", "/public/ise/ise-2/2026/ISE2-13/", "/public/ise/ise-1/2024/",
    ISE1_YEAR + "ISE1-99/", ISE1_YEAR + "kgi.csv", ISE1_YEAR + "242039_dx_kgi_2024.csv",
    "/public/ise/ise-1/20250/", "/public/nothing/here/at/all/", "/public/ise/ise-1/2025/x/y/",
]


def every_url() -> list[str]:
    return [
        "/public/", "/public/accessibility/", "/public/ise/", "/public/ise/ise-1/",
        *year_urls("ise", "ise-1", 2025, "242039"), *NOT_FOUND,
    ]


@pytest.fixture
def clients(django_user_model) -> dict[str, Client]:
    signed_in = Client()
    signed_in.force_login(django_user_model.objects.create_user("officer", password="x-pass-2026"))
    bogus = Client()
    bogus.cookies["sessionid"] = "bogus-session-id"
    bogus.cookies["csrftoken"] = "not-a-token!"
    return {"anonymous": Client(), "signed in": signed_in, "bogus cookies": bogus}


def assert_public_headers(response, where: str) -> None:
    assert not response.cookies, (where, response.cookies)
    assert "cookie" not in response.get("Vary", "").lower(), where
    cache_control = response["Cache-Control"]
    assert "public" in cache_control and "max-age=300" in cache_control, where
    assert "no-store" not in cache_control and "private" not in cache_control, where
    assert response.has_header("ETag") and response.has_header("Last-Modified"), where


def test_every_public_url_is_cacheable_validated_and_sets_no_cookie(ise1_published, clients):
    statuses: dict[str, int] = {}
    for name, client in clients.items():
        for url in every_url():
            response = client.get(url)
            where = f"{name} {url}"
            statuses[url] = response.status_code
            assert_public_headers(response, where)
            again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
            assert again.status_code == 304, where
            assert_public_headers(again, where + " (304)")
            assert again["ETag"] == response["ETag"], where
    assert {url for url, status in statuses.items() if status == 404} == set(NOT_FOUND)
    assert all(statuses[url] == 200 for url in every_url() if url not in NOT_FOUND)


def test_a_404_is_the_public_page_not_the_staff_layout(ise1_published, clients):
    for client in clients.values():
        html = client.get("/public/iga/").content.decode()
        assert "ページが見つかりません" in html and "公表している自治体の一覧へ" in html
        assert "ログアウト" not in html and "csrfmiddlewaretoken" not in html


def test_a_path_without_its_slash_is_redirected_without_a_cookie(ise1_published, clients):
    for client in clients.values():
        response = client.get("/public/ise")
        assert (response.status_code, response["Location"]) == (301, "/public/ise/")
        assert not response.cookies


def test_staff_pages_still_are_not_stored(ise1_published, clients):
    assert "no-store" in clients["signed in"].get("/")["Cache-Control"]


def test_the_etag_changes_when_the_publication_is_withdrawn(ise1_published, client):
    tags = {url: client.get(url)["ETag"] for url in ("/public/", ISE1_YEAR)}
    withdraw_publication(publication=ise1_published, seen_version=ise1_published.version,
                         user=None, reason="数値の誤り", now=PUBLISHED)
    for url, tag in tags.items():
        response = client.get(url, HTTP_IF_NONE_MATCH=tag)
        assert response.status_code != 304, url
        assert response["ETag"] != tag
    assert client.get(ISE1_YEAR).status_code == 404


def test_only_pages_are_kept_not_404s(ise1_published, client):
    table = caches["public"]._table
    from django.db import connection

    def kept() -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            return cursor.fetchone()[0]

    before = kept()
    for number in range(5):
        assert client.get(f"/public/ise/ise-1/2025/NO-SUCH-{number}/").status_code == 404
        assert client.get(f"/public/crawler-{number}/x/y/").status_code == 404
    assert kept() == before


def test_a_path_with_an_encoded_newline_is_the_public_404(client):
    response = client.get("/public/a%0Ab/")
    assert response.status_code == 404
    assert response.cookies == {} and "Cookie" not in response.get("Vary", "")
    assert "ログアウト" not in response.content.decode()


def test_a_published_page_is_ready_costs_two_queries_and_a_304_renders_nothing(
    ise1_published, client, django_assert_num_queries
):
    """Publishing rendered the page into the shared cache (public_site.warming)."""
    with django_assert_num_queries(2):  # the validators, the kept bytes
        first = client.get(ISE1_YEAR)
    with django_assert_num_queries(1):
        assert client.get(ISE1_YEAR, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # The kept bytes are what a render gives now.
    caches["public"].clear()
    fresh = client.get(ISE1_YEAR)
    assert fresh.content == first.content and fresh["ETag"] == first["ETag"]
    with django_assert_num_queries(2):
        assert client.get(ISE1_YEAR).content == first.content


def test_publishing_renders_every_page_of_the_publication(ise1_published):
    from public_site.warming import paths_of

    paths = paths_of(ise1_published)
    # index, city, plan, plan-year, CSV, JSON, datapackage and ISE1-01 … ISE1-20.
    assert len(paths) == 7 + 20
    table = caches["public"]._table  # the DatabaseCache's table
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        assert cursor.fetchone()[0] == len(paths)


def test_a_page_that_cannot_be_rendered_refuses_the_publication(plans, monkeypatch):
    from editions.models import Publication
    from editions.services import EditionRefused
    from public_site import views

    def broken(*args, **kwargs):
        raise ValueError("描画できない")

    monkeypatch.setattr(views.display, "plan_year", broken)
    with pytest.raises(EditionRefused, match=r"公表ページ（/public/ise/ise-1/[^）]*）を表示できない"):
        publish("ise-1", 2025)
    assert not Publication.objects.exists()
