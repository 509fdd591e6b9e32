"""Bad input is a notice, a form error or a 4xx, never a 500; stored text stays text.

Every page, export, API URL and admin list or form parameter, from the
URL confs (pages/urls.py, indicators/urls.py, indicators/api_urls.py) and
the admin's filters, is sent the values below, by a superuser and by a
DX推進担当 of a factory 「テスト市」 (tests/factories.py), whose plan
第2期テスト計画 `test-plan` (R8–R11, KGIs TEST-01 and TEST-02) and
department テスト政策課 the paths name. The expected answer is the one the views document:
a bad ``?year=`` on a page shows the default year with a notice (200), an
unknown object is a 404, a bad API year a JSON 400, and the admin
redirects an unusable filter (302, ``?e=1``) or refuses a lookup (400).
A NUL character anywhere in the URL is a 400 before any view
(ise_iga_dx.security.HardeningMiddleware): PostgreSQL cannot compare it.
"""

from __future__ import annotations

import json
from io import BytesIO
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.roles import Role
from indicators.models import Actual, Indicator
from plans.models import Department, Plan
from spreadsheets.entry_sheet import entry_sheet
from tests.factories import DepartmentFactory, PlanFactory, kgi_with_targets
from tests.helpers import PASSWORD, client_for, form_data, user_with_role, visible_text

BAD = {
    "letters": "abc",
    "five-digits": "99999",
    "forty-digits": "9" * 40,
    # More digits than int() reads (Python limits it to 4,300).
    "many-digits": "9" * 5_000,
    "negative": "-1",
    "script": "<script>alert(1)</script>",
    "very-long": "x" * 10_000,
    "nul": "20\x0026",
    "full-width": "２０２６",
    "superscript": "²⁰²⁶",
    "exponent": "1e400",
}
RAW_SCRIPT = "<script>alert"
NUL_LABELS = {"nul"}


def expected(label: str, answer: object) -> object:
    """The answer for a value; a NUL character is refused before the view."""
    return 400 if label in NUL_LABELS else answer


# The factory plan's code and its KGI the pages and exports name.
PLAN, KGI = "test-plan", "TEST-01"


@pytest.fixture
def plan(db) -> Plan:
    """第2期テスト計画 (R8–R11) of 「テスト市」: TEST-01, a % KGI with targets of
    30.0% to 60.0%, and TEST-02, a count with an R8 target of 10件; no actuals."""
    plan = PlanFactory(municipality__name="テスト市", code=PLAN, name="第2期テスト計画")
    kgi_with_targets(plan, KGI, "%", {2026: "30.0", 2027: "40.0", 2028: "50.0",
                                      2029: "60.0"}, position=1)
    kgi_with_targets(plan, "TEST-02", "件", {2026: "10"}, position=2)
    return plan


@pytest.fixture(params=["superuser", "office"])
def client(request, plan, django_user_model, settings):
    """A superuser, or a DX推進担当 of 「テスト市」 (who manages its plan)."""
    # Speed only: these clients log in with force_login, not a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if request.param == "superuser":
        user = django_user_model.objects.create_superuser("bad-input-admin", "", PASSWORD)
    else:
        user = user_with_role(Role.OFFICE, municipality=plan.municipality.code,
                              username="bad-input-office")
    return client_for(user)


def city_department() -> Department:
    """The 「テスト市」 department テスト政策課, given the measure of TEST-01."""
    indicator = Indicator.objects.select_related("plan", "measure").get(code=KGI)
    department = DepartmentFactory(municipality=indicator.plan.municipality, name="テスト政策課")
    indicator.measure.departments.add(department)
    return department


def in_path(value: str) -> str:
    return quote(value, safe="")


# --- Pages, exports and the API ---------------------------------------------------


def test_a_bad_year_on_a_page_shows_the_default_year_with_a_notice(client):
    department = city_department()
    wrong = {}
    for label, value in BAD.items():
        for path in (f"/plans/{PLAN}/", f"/plans/{PLAN}/print/", f"/departments/{department.pk}/"):
            response = client.get(path, {"year": value})
            noticed = "は表示できないため" in visible_text(response)
            answer = (response.status_code, noticed, RAW_SCRIPT in response.content.decode())
            want = (400, False, False) if label in NUL_LABELS else (200, True, False)
            if answer != want:
                wrong[(path, label)] = answer
    assert wrong == {}


def test_the_home_page_ignores_a_year(client):
    answers = {label: client.get("/", {"year": value}).status_code
               for label, value in BAD.items()}
    assert {label: status for label, status in answers.items()
            if status != expected(label, 200)} == {}


PATHS_WITH_A_CODE = (
    "/plans/{}/", "/plans/{}/print/", "/plans/{}/print/2026/", "/indicators/{}/",
    "/exports/plans/{}/entry.xlsx", "/exports/plans/{}/definitions.xlsx",
    "/exports/plans/{}/status/2026.xlsx", "/api/v1/plans/{}/status?year=2026",
)
PATHS_WITH_A_NUMBER = (
    f"/plans/{PLAN}/print/{{}}/", "/departments/{}/", f"/exports/plans/{PLAN}/status/{{}}.xlsx",
)
# The full-width code is TEST-01 once NFKC-normalised: still not found.
UNKNOWN_CODES = {**BAD, "unknown": "no-such-plan", "full-width-code": "ＴＥＳＴ－０１"}


def test_an_unknown_code_or_number_in_the_path_is_not_found(client):
    answers = {}
    for label, value in UNKNOWN_CODES.items():
        for template in PATHS_WITH_A_CODE + PATHS_WITH_A_NUMBER:
            path = template.format(in_path(value))
            response = client.get(path)
            answers[(template, label)] = (response.status_code,
                                          RAW_SCRIPT in response.content.decode())
    assert {key: answer for key, answer in answers.items()
            if answer != (expected(key[1], 404), False)} == {}


def test_bad_export_parameters_are_not_found(client):
    answers = {
        (name, label): client.get(f"/exports/plans/{PLAN}/entry.xlsx", {name: value}).status_code
        for name in ("year", "department") for label, value in BAD.items()
    }
    assert {key: status for key, status in answers.items()
            if status != expected(key[1], 404)} == {}


def test_a_bad_api_year_is_a_json_400_in_japanese(client):
    for label, value in BAD.items():
        response = client.get(f"/api/v1/plans/{PLAN}/status", {"year": value})
        assert response.status_code == 400, label
        assert response["Content-Type"] == "application/json; charset=utf-8"
        detail = json.loads(response.content)["detail"]
        assert ("NUL" if label in NUL_LABELS else "年度") in detail


def test_an_unknown_api_plan_is_a_json_404(client):
    response = client.get(f"/api/v1/plans/{in_path('<script>x')}/status", {"year": "2026"})
    assert response.status_code == 404
    assert json.loads(response.content)["detail"] == "計画コード「<script>x」はありません。"


# --- The admin ------------------------------------------------------------------------


def changelists() -> dict[str, tuple[str, ...]]:
    """Each plan-data list and the parameters it reads (its filters, q, o, p)."""
    common = ("q", "o", "p", "fiscal_year", "evaluation", "plan__id__exact")
    return {
        "/admin/indicators/indicator/": (
            *common, "plan__municipality__id__exact", "measure__policy__id__exact",
            "kind__exact",
        ),
        "/admin/indicators/actual/": (
            *common, "fiscal_year__exact", "indicator__plan__id__exact",
            "indicator__plan__municipality__id__exact", "state__exact",
            "published_evaluation__exact", "confirmed",
        ),
        "/admin/indicators/target/": (
            *common, "fiscal_year__exact", "indicator__plan__id__exact",
        ),
        "/admin/plans/plan/": (*common, "municipality__id__exact"),
        "/admin/plans/department/": (*common, "municipality__id__exact"),
        "/admin/plans/basicpolicy/": (*common, "plan__municipality__id__exact"),
        "/admin/plans/measure/": (*common, "policy__plan__id__exact"),
        "/admin/plans/initiative/": (*common, "measure__policy__plan__id__exact"),
        "/admin/plans/municipality/": common,
        "/admin/auth/user/": (*common, "groups__id__exact", "is_active__exact"),
    }


# A list redirects an unusable filter value to ?e=1 and refuses a lookup
# it does not offer (400); the office may not open the user list (403).
ADMIN_LIST_ANSWERS = {200, 302, 400, 403}


@pytest.mark.parametrize("url", list(changelists()))
def test_admin_lists_survive_bad_parameters(client, url):
    answers = {}
    for name in changelists()[url]:
        for label, value in BAD.items():
            response = client.get(url, {name: value})
            answers[(name, label)] = response.status_code
            if response.status_code == 302:
                assert response["Location"].endswith("?e=1"), (name, label)
    assert {key: status for key, status in answers.items()
            if status not in ADMIN_LIST_ANSWERS} == {}


def test_a_bad_search_is_shown_escaped(client):
    response = client.get("/admin/indicators/indicator/", {"q": BAD["script"]})
    assert response.status_code == 200
    assert RAW_SCRIPT not in response.content.decode()


OBJECT_IDS = {
    "letters": "abc", "forty-digits": "9" * 40, "negative": "-1",
    "script": "<script>alert(1)</script>", "nul": "1\x002", "very-long": "9" * 10_000,
}


def admin_models() -> list[str]:
    return sorted(f"{m._meta.app_label}/{m._meta.model_name}" for m in admin.site._registry)


@pytest.mark.parametrize("model", admin_models())
def test_admin_object_pages_with_a_bad_id_are_not_found(client, model):
    """Scoped admins answer 404; Django's own (users, axes) redirect to the index."""
    answers = {}
    for label, object_id in OBJECT_IDS.items():
        for page in ("change", "history", "delete"):
            url = f"/admin/{model}/{in_path(object_id)}/{page}/"
            answers[(label, page)] = client.get(url).status_code
    assert {key: status for key, status in answers.items()
            if status not in ({400} if key[0] in NUL_LABELS else {302, 403, 404})} == {}


@pytest.fixture
def unconfirmed_actual(plan) -> Actual:
    return Actual.objects.create(indicator=Indicator.objects.get(code=KGI),
                                 fiscal_year=2026, value="42.5", value_places=1)


BAD_FORM_VALUES = [
    ("value", "1e400"), ("value", "9" * 40), ("value", "-1"), ("value", "<script>"),
    ("value", "NaN"), ("value", "Infinity"), ("value", "1\x002"),
    ("fiscal_year", "99999"), ("fiscal_year", "abc"), ("remark", "x" * 100_000),
    ("note", "a\x00b"), ("published_rate", "9" * 40),
]


@pytest.mark.parametrize(("field", "value"), BAD_FORM_VALUES,
                         ids=[f"{f}-{v[:10]!r}" for f, v in BAD_FORM_VALUES])
def test_a_bad_value_in_the_actual_form_is_a_form_error(client, unconfirmed_actual, field,
                                                        value):
    url = f"/admin/indicators/actual/{unconfirmed_actual.pk}/change/"
    data = form_data(client.get(url).content.decode())
    data[field] = value
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert RAW_SCRIPT not in response.content.decode()
    unconfirmed_actual.refresh_from_db()
    assert f"{unconfirmed_actual.value_as_entered:f}" == "42.5"


@pytest.mark.parametrize("note", ['<script>alert("x")</script>', "長い備考。" * 20_000])
def test_a_script_or_a_very_long_note_is_saved_as_typed(client, unconfirmed_actual, note):
    url = f"/admin/indicators/actual/{unconfirmed_actual.pk}/change/"
    data = form_data(client.get(url).content.decode())
    data["note"] = note
    response = client.post(url, data)
    assert response.status_code == 302
    unconfirmed_actual.refresh_from_db()
    assert unconfirmed_actual.note == note
    page = client.get(f"/indicators/{KGI}/")
    assert page.status_code == 200
    assert RAW_SCRIPT not in page.content.decode()


@pytest.mark.parametrize("username", [BAD["very-long"], "a\x00b", BAD["script"]],
                         ids=["very-long", "nul", "script"])
def test_a_bad_user_name_at_login_is_a_form_error(db, username):
    from django.test import Client

    for url in ("/accounts/login/", "/admin/login/"):
        response = Client().post(url, {"username": username, "password": "x"})
        assert response.status_code == 200, url
        assert RAW_SCRIPT not in response.content.decode()


# --- Stored text is escaped on every page and export -------------------------------------

XSS = '<script>alert("x")</script>'
FORMULA = "=cmd|' /C calc'!A0"
STORED = f"{FORMULA} {XSS}"
ESCAPED = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"


@pytest.fixture
def hostile_text(plan) -> dict[str, int]:
    """The same text in an actual's note and remark, a KGI, its measure and department."""
    indicator = Indicator.objects.select_related("measure").get(code=KGI)
    Indicator.objects.filter(pk=indicator.pk).update(item=STORED)
    measure = indicator.measure
    measure.title = STORED
    measure.save()
    department = city_department()
    department.name = STORED
    department.save()
    measure.departments.add(department)
    actual = Actual.objects.create(indicator=indicator, fiscal_year=2026, value="42.5",
                                   value_places=1, remark=STORED, note=STORED)
    return {"indicator": indicator.pk, "measure": measure.pk, "department": department.pk,
            "actual": actual.pk}


def hostile_pages(ids: dict[str, int]) -> list[str]:
    return [
        "/", f"/plans/{PLAN}/?year=2026", f"/indicators/{KGI}/",
        f"/departments/{ids['department']}/?year=2026", f"/plans/{PLAN}/print/2026/",
        f"/admin/indicators/indicator/?q={KGI}",
        f"/admin/indicators/indicator/{ids['indicator']}/change/",
        f"/admin/indicators/actual/?q={KGI}",
        f"/admin/indicators/actual/{ids['actual']}/change/",
        "/admin/plans/measure/", f"/admin/plans/measure/{ids['measure']}/change/",
        "/admin/plans/department/", f"/admin/plans/department/{ids['department']}/change/",
    ]


def test_stored_script_is_escaped_on_every_page(client, hostile_text):
    shown = {}
    for path in hostile_pages(hostile_text):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        shown[path] = (RAW_SCRIPT in html, ESCAPED in html)
    assert {path: seen for path, seen in shown.items() if seen != (False, True)} == {}


def test_stored_script_is_not_raw_on_the_history_pages(client, hostile_text):
    for model, key in (("indicators/actual", "actual"), ("indicators/indicator", "indicator"),
                       ("plans/measure", "measure"), ("plans/department", "department")):
        response = client.get(f"/admin/{model}/{hostile_text[key]}/history/")
        assert response.status_code == 200, model
        assert RAW_SCRIPT not in response.content.decode(), model


def test_the_api_returns_stored_text_as_a_json_string(client, hostile_text):
    response = client.get(f"/api/v1/plans/{PLAN}/status", {"year": "2026"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert r'alert(\"x\")' in response.content.decode()
    rows = {row["code"]: row for row in json.loads(response.content)["indicators"]}
    assert rows[KGI]["name"] == STORED


@pytest.mark.parametrize("path", [
    f"/exports/plans/{PLAN}/entry.xlsx?year=2026",
    f"/exports/plans/{PLAN}/entry.xlsx",
    f"/exports/plans/{PLAN}/status/2026.xlsx",
    f"/exports/plans/{PLAN}/definitions.xlsx",
    "/admin/indicators/actual/export/",
])
def test_spreadsheets_store_the_text_as_text_not_a_formula(client, hostile_text, path):
    if path.startswith("/admin/"):
        response = client.post(f"{path}?q={KGI}", {"format": "0", "resource": "0",
                                                      **export_fields(client, path)})
    else:
        response = client.get(path)
    assert response.status_code == 200
    cells = [
        cell
        for sheet in load_workbook(BytesIO(b"".join(response.streaming_content
                                                    if response.streaming else
                                                    [response.content]))).worksheets
        for row in sheet.iter_rows() for cell in row
        if isinstance(cell.value, str) and "cmd|" in cell.value
    ]
    assert cells, "the text is exported somewhere"
    for cell in cells:
        assert cell.data_type == "s", cell.coordinate
        if cell.value.startswith("="):
            assert cell.quotePrefix, cell.coordinate
        assert XSS in cell.value


def export_fields(client, path: str) -> dict[str, str]:
    """The export form's ticked field boxes, as the browser would send them."""
    data = form_data(client.get(path).content.decode(), action="")
    return {name: value for name, value in data.items() if name not in ("format", "resource")}


def test_admin_autocomplete_survives_bad_terms(client):
    answers = {}
    for label, value in BAD.items():
        response = client.get("/admin/autocomplete/", {
            "app_label": "indicators", "model_name": "actual", "field_name": "indicator",
            "term": value,
        })
        answers[label] = response.status_code
    assert {label: status for label, status in answers.items()
            if status != expected(label, 200)} == {}
    assert client.get("/admin/autocomplete/", {"app_label": "<x>", "model_name": "9" * 40,
                                               "field_name": "", "term": ""}).status_code == 403


UPLOAD_GONE = "取り込むファイルが見つかりません"


@pytest.mark.parametrize("model", ["actual", "target", "indicator"])
def test_a_confirmation_without_its_upload_says_to_upload_again(client, model):
    """A second click on 確定, an emptied cache, or forged hidden fields."""
    url = f"/admin/indicators/{model}/process_import/"
    forged = [{"import_file_name": "never-uploaded", "format": "0", "resource": ""},
              {"import_file_name": "../../etc/passwd", "format": "0", "resource": "0"}]
    forged += [{"import_file_name": value, "format": value, "resource": value}
               for label, value in BAD.items() if label not in NUL_LABELS]
    forged += [{"import_file_name": "x", "format": "0", "resource": "5"},
               {"import_file_name": "x", "format": "7", "resource": "0"}]
    for data in forged:
        response = client.post(url, {**data, "original_file_name": "部署回答.xlsx"},
                               follow=True)
        assert response.status_code == 200, data
        assert response.redirect_chain[-1][0] == f"/admin/indicators/{model}/import/", data
        assert UPLOAD_GONE in visible_text(response), data


def test_a_second_click_on_confirm_says_to_upload_again(client, plan):
    """The first click imports; the upload is then gone."""
    sheet = entry_sheet(plan=plan, fiscal_year=2026,
                        department=None, within=Indicator.objects.all())
    preview = client.post("/admin/indicators/actual/import/", {
        "import_file": SimpleUploadedFile("部署回答.xlsx", sheet), "format": "0", "resource": "0",
    })
    assert preview.status_code == 200
    process = "/admin/indicators/actual/process_import/"
    confirm = form_data(preview.content.decode(), action=process)
    assert client.post(process, confirm).status_code == 302
    again = client.post(process, confirm, follow=True)
    assert UPLOAD_GONE in visible_text(again)
