"""Static files go out hashed, compressed and cached: plotly.js once."""

from __future__ import annotations

import re

from django.template import Context, Template
from django.urls import reverse

PLOTLY = "vendor/plotly/plotly.min.js"
ONE_YEAR = 365 * 24 * 60 * 60


def plotly_url() -> str:
    return Template("{% load static %}{% static '" + PLOTLY + "' %}").render(Context())


def test_static_tag_links_plotly_under_a_hashed_name():
    assert re.fullmatch(r"/static/vendor/plotly/plotly\.min\.[0-9a-f]{12}\.js", plotly_url())


def cache_max_age(cache_control: str) -> int:
    match = re.search(r"max-age=(\d+)", cache_control)
    return int(match.group(1)) if match else 0


def test_hashed_plotly_is_cached_for_good_and_sent_compressed(client):
    response = client.get(plotly_url(), headers={"accept-encoding": "gzip, deflate, br"})
    assert response.status_code == 200
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control or cache_max_age(cache_control) >= ONE_YEAR
    # br when the brotli package is installed (whitenoise[brotli]), else gzip.
    assert response["Content-Encoding"] in ("br", "gzip")
    assert "Accept-Encoding" in response["Vary"]
    size = len(b"".join(response.streaming_content))
    assert int(response["Content-Length"]) == size
    assert size < 2 * 1024 * 1024, f"{size} bytes compressed"


def test_unhashed_name_is_not_cached_for_good(client):
    response = client.get(f"/static/{PLOTLY}")
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert cache_max_age(response["Cache-Control"]) < ONE_YEAR


def test_dashboard_loads_only_local_static_files(plans, admin_client_ja):
    body = admin_client_ja.get(reverse("pages:plan", args=["ise-2"])).content.decode()
    links = re.findall(r"""\b(?:src|href)=["']([^"']+)["']""", body)
    resources = re.findall(
        r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["']([^"']+)["']""", body
    )
    assert resources and all(url.startswith("/static/") for url in resources), resources
    assert plotly_url() in resources
    assert not [url for url in links if re.match(r"(https?:)?//", url)]
    for url in resources:
        assert admin_client_ja.get(url).status_code == 200, url
