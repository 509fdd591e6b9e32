"""Who may reach meeting editions (会議資料版) and publication (公表): every URL × role.

The permission matrix of :mod:`tests.test_permission_matrix`, grown to the
editions' pages and actions (editions/urls.py) and to the public pages
(public_site/urls.py). Same columns (the eight roles), same ids
(``[<role>-<endpoint>-<target>]``), answers written out cell by cell from
the rules (docs/editions.md 「誰ができるか」), not computed from the code:

- the plans of the dashboard read their editions (システム管理者, the city's
  DX office and 閲覧); a 所管課 login, another city's login and a login
  without a role get 404, as for the dashboard;
- only the DX office of the plan's city (and システム管理者) freezes,
  publishes and withdraws; 閲覧 reaches the page but may not (403);
- the public pages answer everyone the same, signed in or not: 200 for a
  published plan-year, 404 for one that is not.

Each city's plan (ise-2, iga-2) has an edition of fiscal 2026 frozen. A
POST is built from the page as the city's office renders it and posted as
the role under test. After every request the editions and publications
are compared with before: they change only on an action done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from editions import services
from editions.models import Edition, Publication
from tests.test_permission_matrix import (
    ANONYMOUS,
    YEAR,
    City,
    World,
    assert_forbidden_in_japanese,
    build_world,
    cells,
    client_as,
)
from tests.test_permission_matrix_reporting import office_of, page_form

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2027, 6, 10, 15, 0, tzinfo=TOKYO)
PUBLISHED = "公表済"
UNPUBLISHED = "未公表"

# ---------------------------------------------------------------------------
# The expected answers. Columns: see tests.test_permission_matrix.ROLES.
#
#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
EDITION_URLS: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("版の一覧", "自市"):                (200,    200,   404,    200,    200,   404,    404,  302),
    ("版の一覧", "他市"):                (200,    404,   404,    404,    404,   404,    404,  302),
    ("版の作成", "自市"):                (302,    302,   404,    403,    302,   404,    404,  302),
    ("版の作成", "他市"):                (302,    404,   404,    404,    404,   404,    404,  302),
    ("版", "自市"):                      (200,    200,   404,    200,    200,   404,    404,  302),
    ("版", "他市"):                      (200,    404,   404,    404,    404,   404,    404,  302),
    ("版-印刷", "自市"):                 (200,    200,   404,    200,    200,   404,    404,  302),
    ("版-印刷", "他市"):                 (200,    404,   404,    404,    404,   404,    404,  302),
    ("版-進捗管理シート", "自市"):       (200,    200,   404,    200,    200,   404,    404,  302),
    ("版-進捗管理シート", "他市"):       (200,    404,   404,    404,    404,   404,    404,  302),
    ("版-評価表", "自市"):               (200,    200,   404,    200,    200,   404,    404,  302),
    ("版-評価表", "他市"):               (200,    404,   404,    404,    404,   404,    404,  302),
    ("版-変更点", "自市"):               (200,    200,   404,    200,    200,   404,    404,  302),
    ("版-変更点", "他市"):               (200,    404,   404,    404,    404,   404,    404,  302),
    ("公表", "自市"):                    (302,    302,   404,    403,    302,   404,    404,  302),
    ("公表", "他市"):                    (302,    404,   404,    404,    404,   404,    404,  302),
    ("取り下げ", "自市"):                (302,    302,   404,    403,    302,   404,    404,  302),
    ("取り下げ", "他市"):                (302,    404,   404,    404,    404,   404,    404,  302),
    # The public plan-year page: the same for everyone.
    ("公開ページ", PUBLISHED):           (200,    200,   200,    200,    200,   200,    200,  200),
    ("公開ページ", UNPUBLISHED):         (404,    404,   404,    404,    404,   404,    404,  404),
}


@pytest.fixture
def world(plans) -> World:
    return build_world()


@pytest.fixture
def editions(world) -> dict[str, Edition]:
    """An edition of fiscal 2026 on each city's plan, by city code."""
    return {
        city.code: services.freeze_edition(
            plan=city.plan, fiscal_year=YEAR, meeting_name=f"{city.municipality.name} 第1回会議",
            meeting_date=NOW.date(), user=office_of(city), now=NOW,
        )
        for city in (world.ise, world.iga)
    }


def snapshot() -> tuple:
    return (
        list(Edition.objects.order_by("pk").values_list("pk", "number")),
        list(Publication.objects.order_by("pk").values_list("pk", "version", "withdrawn_at")),
    )


@dataclass
class Request:
    url: str
    data: dict[str, Any] | None = None
    done_at: Callable[[], str] = lambda: ""
    done: Callable[[], bool] = lambda: False
    present: list[str] | None = None


def publish(edition: Edition) -> Publication:
    return services.publish_edition(edition=edition, user=None, with_comments=False, now=NOW)


def public_url(city: City) -> str:
    return reverse("public:plan_year", kwargs={
        "municipality": city.municipality.code, "plan": city.plan.code, "year": YEAR,
    })


def cell_request(world: World, editions: dict[str, Edition], role: str, endpoint: str,
                 target: str) -> Request:
    if endpoint == "公開ページ":
        if target == PUBLISHED:
            publish(editions[world.ise.code])
        return Request(public_url(world.ise), present=[world.ise.plan.name])
    city = world.city(role, target)
    edition = editions[city.code]
    office = office_of(city)
    listing = reverse("editions:plan", args=[city.plan.code])
    page = reverse("editions:edition", args=[edition.pk])
    if endpoint == "版の一覧":
        return Request(listing, present=[edition.meeting_name])
    if endpoint == "版の作成":
        data = page_form(office, listing, listing) | {
            "fiscal_year": str(YEAR), "meeting_name": "権限表テストの会議",
            "meeting_date": "2027-07-01",
        }

        def second() -> Edition | None:
            return Edition.objects.filter(plan=city.plan, number=2).first()

        return Request(listing, data, done=lambda: second() is not None,
                       done_at=lambda: reverse("editions:edition", args=[second().pk])
                       if second() else "")
    frozen_pages = {"版": page, "版-印刷": "print", "版-進捗管理シート": "sheet",
                    "版-評価表": "workbook", "版-変更点": "changes"}
    if endpoint in frozen_pages:
        url = page if endpoint == "版" else reverse(
            f"editions:{frozen_pages[endpoint]}", args=[edition.pk])
        return Request(url, present=None if endpoint == "版-評価表" else [city.plan.name])
    if endpoint == "公表":
        url = reverse("editions:publish", args=[edition.pk])
        return Request(url, page_form(office, page, url), done_at=lambda: page,
                       done=lambda: edition.publications.filter(withdrawn_at=None).exists())
    publication = publish(edition)
    url = reverse("editions:withdraw", args=[edition.pk])
    data = page_form(office, page, url) | {"reason": "権限表テストの取り下げ"}

    def withdrawn() -> bool:
        publication.refresh_from_db()
        return publication.withdrawn_at is not None

    return Request(url, data, done_at=lambda: page, done=withdrawn)


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(EDITION_URLS))
def test_edition_urls(world, editions, role, endpoint, target, expected):
    request = cell_request(world, editions, role, endpoint, target)
    client = client_as(role, world)
    before = snapshot()
    if request.data is None:
        response = client.get(request.url)
    else:
        response = client.post(request.url, request.data)
    assert response.status_code == expected
    if expected == 403:
        assert_forbidden_in_japanese(response)
    done = expected == 302 and role != ANONYMOUS and request.data is not None
    if expected == 302:
        location = response["Location"]
        if role == ANONYMOUS:
            assert location == f"{reverse('login')}?next={quote(request.url)}", location
        else:
            assert location == request.done_at(), location
    assert (snapshot() != before) == done
    assert request.done() == done
    if expected == 200 and request.present:
        html = response.content.decode()
        assert all(text in html for text in request.present), request.present
    if endpoint == "公開ページ":
        assert response.cookies == {}


def test_the_table_covers_every_edition_url():
    from editions.urls import urlpatterns

    covered = {"plan": "版の作成", "edition": "版", "publish": "公表", "withdraw": "取り下げ",
               "print": "版-印刷", "sheet": "版-進捗管理シート", "workbook": "版-評価表",
               "changes": "版-変更点"}
    assert {pattern.name for pattern in urlpatterns} == set(covered)
    assert set(covered.values()) <= {endpoint for endpoint, _ in EDITION_URLS}
