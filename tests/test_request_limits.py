"""Request-level limits and headers: oversized bodies (413), uploads past the
limit, and Cache-Control: no-store for signed-in users (docs/security.md)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.roles import Role
from tests.helpers import client_for, user_with_role, visible_text
from tests.test_static import plotly_url

IMPORT_URL = "/admin/indicators/actual/import/"
TOO_LARGE = (
    "送信されたデータが大きすぎます。取り込めるファイルは5MBまでです。"
    "ファイルを分けて、もう一度アップロードしてください。"
)


# --- Request bodies --------------------------------------------------------------


def test_a_body_announced_past_the_limit_is_refused_unread(db, admin_client_ja, settings):
    """Only the Content-Length is looked at: the 1-byte body is never read."""
    announced = settings.REQUEST_BODY_MAX_BYTES + 1
    response = admin_client_ja.post(IMPORT_URL, data=b"x", content_type="multipart/form-data",
                                    CONTENT_LENGTH=str(announced))
    assert response.status_code == 413
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert TOO_LARGE in visible_text(response)
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_an_upload_past_the_limit_with_its_form_is_refused(plans, admin_client_ja, settings):
    data = b"x" * (settings.KPI_IMPORT_MAX_BYTES + 1024 * 1024)
    response = admin_client_ja.post(IMPORT_URL, {
        "import_file": SimpleUploadedFile("big.xlsx", data), "format": "0", "resource": "0",
    })
    assert response.status_code == 413
    assert TOO_LARGE in visible_text(response)


def test_an_api_request_past_the_limit_gets_json(db, admin_client_ja, settings):
    response = admin_client_ja.post(
        "/api/v1/plans/ise-2/status", data=b"x", content_type="application/json",
        CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1),
    )
    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE}


def test_a_body_at_the_limit_reaches_the_form(plans, admin_client_ja, settings):
    """An upload of exactly the limit is read, and refused for what it is."""
    data = b"x" * settings.KPI_IMPORT_MAX_BYTES
    response = admin_client_ja.post(IMPORT_URL, {
        "import_file": SimpleUploadedFile("big.csv", data), "format": "0", "resource": "0",
    })
    assert response.status_code == 200
    assert "1行目：セルの文字数が多すぎます（上限 32,767文字）。" in visible_text(response)


def multipart_request(size: int):
    """A POST of one file of ``size`` bytes, parsed by settings.FILE_UPLOAD_HANDLERS."""
    return RequestFactory().post(
        "/upload/", {"upload": SimpleUploadedFile("a.xlsx", b"y" * size)}
    )


def test_the_upload_handler_keeps_nothing_past_the_limit(settings):
    """Without a truthful Content-Length, a file past the limit is counted, not kept."""
    settings.KPI_IMPORT_MAX_BYTES = 100_000
    settings.REQUEST_BODY_MAX_BYTES = 10 * 1024 * 1024
    upload = multipart_request(300_000).FILES["upload"]
    assert upload.size == 300_000
    assert upload.read() == b""
    assert not isinstance(upload, InMemoryUploadedFile)
    within = multipart_request(100_000).FILES["upload"]
    assert within.size == 100_000 and within.read() == b"y" * 100_000


def test_the_import_form_refuses_a_file_the_handler_cut(plans, admin_client_ja, settings):
    settings.KPI_IMPORT_MAX_BYTES = 1_000
    response = admin_client_ja.post(IMPORT_URL, {
        "import_file": SimpleUploadedFile("a.xlsx", b"z" * 5_000), "format": "0",
        "resource": "0",
    })
    assert response.status_code == 200
    assert "ファイルが大きすぎます（5,000バイト）。上限は1,000バイトです。" in visible_text(response)


# --- Cache-Control -----------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/plans/ise-2/",  # a page
    "/admin/indicators/actual/",  # an admin page
    "/api/v1/plans/ise-2/status?year=2026",  # the JSON API
    "/exports/plans/ise-2/status/2026.xlsx",  # a download
    "/no-such-page/",  # an error page
])
def test_every_response_to_a_signed_in_user_is_no_store(plans, admin_client_ja, path):
    response = admin_client_ja.get(path)
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "must-revalidate", "private", "max-age=0"} <= directives
    assert response.has_header("Expires")


def test_a_department_users_pages_are_no_store(plans):
    from plans.models import Department

    department = Department.objects.filter(municipality__code="ise").order_by("pk").first()
    client = client_for(user_with_role(Role.DEPARTMENT, departments=(department.name,)))
    for path in ("/", reverse("admin:indicators_actual_changelist")):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path


def test_static_files_and_anonymous_pages_keep_their_caching(plans, admin_client_ja):
    static = admin_client_ja.get(plotly_url())
    assert "immutable" in static["Cache-Control"]
    assert "no-store" not in static["Cache-Control"]
    anonymous = Client().get("/no-such-page/")
    assert anonymous.status_code == 404
    assert "no-store" not in anonymous.get("Cache-Control", "")
    # The login page is Django's own never_cache view, signed in or not.
    assert "no-store" in Client().get("/accounts/login/")["Cache-Control"]
