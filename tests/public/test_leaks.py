"""Nothing unpublished ever shows: every public URL of both cities, before, during and after.

Not a plan, year or KGI without a publication in force; not a later
edition before it is published; not a 速報 (unconfirmed) actual or an
outlook (見込み) inside a published edition; not the comments unless the
office published them. Each check first shows the value is there to leak
(in the data or the database), so that the test can fail.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from editions.services import freeze_edition, publish_edition, withdraw_publication
from indicators.models import Actual, Indicator, Outlook
from plans.models import Plan
from tests.public.conftest import ISE1_YEAR, PUBLISHED, city_urls, publish, year_urls

pytestmark = pytest.mark.django_db

PROVISIONAL = Decimal("123457")
OUTLOOK = Decimal("765431")
COMMENT = "公表前の取組状況メモ（内部）"
LATER = Decimal("999991")


def all_city_urls() -> dict[str, list[str]]:
    """Every URL below a city of the three shipped plans, each year of each plan."""
    urls = {}
    for municipality, code, lg_code in (("ise", "ise-1", "242039"), ("ise", "ise-2", "242039"),
                                        ("iga", "iga-2", "242161")):
        urls[code] = city_urls(municipality, code, Plan.objects.get(code=code).fiscal_years,
                               lg_code)
    return urls


def text_of(response) -> str:
    content = response.content
    if content.startswith(b"\xef\xbb\xbf"):
        return content.decode("utf-8-sig")
    return content.decode()


def published_text(client) -> str:
    """Everything the public can read of ise-1 2025: pages, KGIs, CSV, JSON, the index."""
    urls = ["/public/", "/public/ise/", "/public/ise/ise-1/",
            *year_urls("ise", "ise-1", 2025, "242039")]
    texts = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        texts.append(text_of(response))
    return "\n".join(texts)


def leaked(text: str, value: Decimal) -> list[str]:
    plain = format(value, "f")
    return [form for form in (plain, f"{value:,}") if form in text]


def test_with_nothing_published_every_url_is_a_404_but_the_empty_index(plans, client):
    for code, urls in all_city_urls().items():
        for url in urls:
            assert client.get(url).status_code == 404, (code, url)
    index = client.get("/public/")
    assert index.status_code == 200
    assert "現在、公表している計画はありません。" in index.content.decode()
    assert client.get("/public/accessibility/").status_code == 200


def test_publishing_ise1_2025_opens_only_that_plan_year(ise1_published, client):
    urls = all_city_urls()
    for code in ("ise-2", "iga-2"):
        for url in urls[code]:
            if url == "/public/ise/":
                continue
            assert client.get(url).status_code == 404, url
    opened = {"/public/ise/", "/public/ise/ise-1/", *year_urls("ise", "ise-1", 2025, "242039")}
    for url in urls["ise-1"]:
        assert client.get(url).status_code == (200 if url in opened else 404), url
    index = client.get("/public/").content.decode()
    assert "伊勢市" in index and "伊賀市" not in index


def test_a_later_edition_never_shows_until_it_is_published(ise1_published, client):
    Actual.objects.filter(indicator__code="ISE1-01", fiscal_year=2025).update(value=LATER)
    later = freeze_edition(
        plan=Plan.objects.get(code="ise-1"), fiscal_year=2025, meeting_name="第2回 推進本部員会議",
        meeting_date=PUBLISHED.date(), user=None, now=PUBLISHED + timedelta(days=30),
    )
    assert leaked(json.dumps(later.data), LATER)
    text = published_text(client)
    assert leaked(text, LATER) == []
    assert "142件" in text
    # Published, the later edition replaces the first: the value shows.
    publish_edition(edition=later, user=None, with_comments=False,
                    now=PUBLISHED + timedelta(days=31))
    assert leaked(published_text(client), LATER)


def test_withdrawn_is_a_404_again(ise1_published, client):
    assert client.get(ISE1_YEAR).status_code == 200
    withdraw_publication(publication=ise1_published, seen_version=ise1_published.version,
                         user=None, reason="数値の誤りのため", now=PUBLISHED + timedelta(days=1))
    for url in all_city_urls()["ise-1"]:
        assert client.get(url).status_code == 404, url
    assert "現在、公表している計画はありません。" in client.get("/public/").content.decode()


@pytest.fixture
def hidden_values(plans):
    """ISE1-03's R7 actual back to 速報 (123,457件), ISE1-04's only an outlook (765,431名)."""
    Actual.objects.filter(indicator__code="ISE1-03", fiscal_year=2025).update(
        value=PROVISIONAL, confirmed=False
    )
    Actual.objects.filter(indicator__code="ISE1-04", fiscal_year=2025).delete()
    Outlook.objects.create(indicator=Indicator.objects.get(code="ISE1-04"), fiscal_year=2025,
                           value=OUTLOOK)
    Actual.objects.filter(indicator__code="ISE1-05", fiscal_year=2025).update(progress=COMMENT)


def test_a_provisional_actual_and_an_outlook_never_show(hidden_values, client):
    publication = publish("ise-1", 2025)
    data = json.dumps(publication.edition.data)
    assert leaked(data, PROVISIONAL) and leaked(data, OUTLOOK)
    text = published_text(client)
    assert leaked(text, PROVISIONAL) == [] and leaked(text, OUTLOOK) == []
    assert "（見込み）" not in text and "速報" not in text
    rows = {line.split(",")[8]: line for line in
            text_of(client.get(ISE1_YEAR + "242039_dx_kgi_2025.csv")).splitlines()[1:]}
    assert ",未公表," in rows["ISE1-03"] and ",未公表," in rows["ISE1-04"]
    # The counts leave them out too: 2 fewer evaluated than the document's 12 + 7 + 1.
    page = client.get(ISE1_YEAR).content.decode()
    assert "未公表 2" in page


def test_comments_show_only_when_published_with_them(hidden_values, client):
    publication = publish("ise-1", 2025)
    assert COMMENT in json.dumps(publication.edition.data, ensure_ascii=False)
    assert COMMENT not in published_text(client)
    publish("ise-1", 2025, with_comments=True, when=PUBLISHED + timedelta(days=1),
            meeting="第2回 推進本部員会議")
    assert COMMENT in client.get(ISE1_YEAR + "ISE1-05/").content.decode()
    assert COMMENT in text_of(client.get(ISE1_YEAR + "242039_dx_kgi_2025.csv"))


def test_the_later_plans_provisional_and_outlook_stay_hidden(ise2_published, client):
    data = ise2_published.edition.data
    row = next(k for k in data["kgis"] if k["code"] == "ISE2-14")["row"]
    assert (row["actual_label"], row["confirmed"]) == ("86.5%", False)
    page = client.get("/public/ise/ise-2/2026/ISE2-14/").content.decode()
    assert "86.5" not in page
    outlook = next(k for k in data["kgis"] if k["code"] == "ISE2-01")["row"]
    assert outlook["outlook"] is True
    csv_text = text_of(client.get("/public/ise/ise-2/2026/242039_dx_kgi_2026.csv"))
    assert "86.5" not in csv_text
    outlook_line = next(line for line in csv_text.splitlines() if ",ISE2-01," in line)
    assert ",未公表," in outlook_line
