"""Importing actuals in the admin: upload → preview → confirm."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual
from tests.helpers import form_data, user_with_role, xlsx

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:indicators_actual_import"
PROCESS_URL = "admin:indicators_actual_process_import"

# A sheet typed the way departments type (mixed years, full-width digits,
# separators, %, dashes, blanks), against ise-2's KGIs and targets as shipped.
DEPARTMENT_ROWS = [
    ["ISE2-01", "R8", "42.5%", "アンケート回収率 80%"],
    ["ISE2-02", "令和8年度", "２０", ""],
    ["ISE2-03", 2026, "158", None],
    ["ISE2-04", "2026年度", "－", "調査を実施せず"],
    ["ISE2-05", "Ｒ８", "", "集計中"],
    ["ISE2-08", "R8", "6,450.5", None],
    ["ISE2-11", "R8", "5,700,000", None],
    ["ISE2-12", "R8", "0", None],
    ["ISE2-16", "令和8年度", "５３，５００", None],
]

# One good row and one bad row of each kind, by Excel row number.
BAD_ROWS = [
    ["ISE2-01", "R8", "41", None],            # row 2: fine
    ["ISE9-99", "R8", "1", None],             # row 3: unknown code
    ["ISE2-02", "R8", "たくさん", None],       # row 4: not a number
    ["ISE2-03", "R12", "1", None],            # row 5: year outside the plan
    ["ISE2-01", "2026年度", "42", None],       # row 6: same code and year twice
    ["ISE2-10", "R8", "-5", None],            # row 7: negative count
    ["ISE1-14", "R7", "1", None],             # row 8: number on a milestone
    ["ISE2-13", "来年", "1", None],            # row 9: not a year
]


def upload(client, data: bytes, name: str = "部署回答.xlsx"):
    return client.post(
        reverse(IMPORT_URL),
        {"import_file": SimpleUploadedFile(name, data), "format": "0", "resource": "0"},
    )


def preview_rows(response) -> list[list[str]]:
    html = response.content.decode()
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r'<tr class="kpi-\w+">(.*?)</tr>', html, re.S)
    ]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_preview_lists_every_row_and_saves_nothing_until_confirmed(plans, admin_client_ja):
    response = upload(admin_client_ja, xlsx(DEPARTMENT_ROWS))
    assert response.status_code == 200
    page = text(response)
    assert "取り込み内容の確認：新規 8件 / 変更 0件 / 変更なし 0件 / 空欄 1件" in page
    rows = preview_rows(response)
    assert rows[0] == ["2行目", "新規", "ISE2-01", "令和8年度（2026）", "未入力", "42.5%",
                       "達成《達成率：106.3%》"]
    assert rows[4] == ["6行目", "空欄（未入力のまま）", "ISE2-05", "令和8年度（2026）", "未入力",
                       "未入力", "未入力"]
    assert len(rows) == 9
    assert not Actual.objects.filter(fiscal_year=2026).exists()

    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    assert confirm["import_file_name"] and confirm["original_file_name"] == "部署回答.xlsx"
    response = admin_client_ja.post(reverse(PROCESS_URL), confirm, follow=True)
    assert "取り込みました：新規 8件" in text(response)
    assert Actual.objects.filter(fiscal_year=2026).count() == 8
    assert Actual.objects.get(indicator__code="ISE2-16", fiscal_year=2026).value == 53500


def test_changed_rows_show_old_and_new_values(plans, admin_client_ja):
    from indicators.models import Indicator

    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-08"), fiscal_year=2026,
                          value="6000.0", value_places=1)
    page = text(upload(admin_client_ja, xlsx([["ISE2-08", "R8", "6,450.5", None]])))
    assert "変更 1件" in page
    assert "6,000.0時間" in page and "6,450.5時間" in page


def test_bad_rows_are_listed_by_excel_row_and_nothing_can_be_confirmed(plans, admin_client_ja):
    response = upload(admin_client_ja, xlsx(BAD_ROWS))
    page = text(response)
    assert "取り込めません（7件のエラー）" in page
    for row, column, code in [("3", "指標コード", "ISE9-99"), ("4", "実績値", "ISE2-02"),
                              ("5", "年度", "ISE2-03"), ("9", "年度", "ISE2-13")]:
        assert f"<td>{row}行目</td><td>{column}</td><td>{code}</td>" in page
    assert reverse(PROCESS_URL) not in page
    assert not Actual.objects.filter(fiscal_year=2026).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.4\x00\x00", "スプレッドシート"),
        (xlsx([["ISE2-01", "R8", "1"]], header=["a", "b", "c"]), "必要な列がありません"),
    ],
)
def test_a_file_that_cannot_be_read_is_a_form_error(plans, admin_client_ja, data, message):
    response = upload(admin_client_ja, data, "x.pdf")
    assert response.status_code == 200
    assert message in text(response)


def test_an_oversized_upload_is_refused_before_reading(plans, admin_client_ja, settings):
    settings.KPI_IMPORT_MAX_BYTES = 1000
    response = upload(admin_client_ja, xlsx(DEPARTMENT_ROWS))
    assert "ファイルが大きすぎます" in text(response)


def office_without_import(django_user_model):
    """A DX office login whose group has lost the import permission."""
    user = user_with_role(Role.OFFICE, municipality="ise")
    Group.objects.get(name=Role.OFFICE.value).permissions.remove(
        Permission.objects.get(codename="import_actual")
    )
    return user


def test_import_needs_its_own_permission_not_mere_view_access(plans, client, django_user_model):
    client.force_login(office_without_import(django_user_model))
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    assert upload(client, xlsx(DEPARTMENT_ROWS)).status_code == 403
    assert not Actual.objects.filter(fiscal_year=2026).exists()


def test_import_permission_opens_the_import(plans, client):
    client.force_login(user_with_role(Role.OFFICE, municipality="ise"))
    assert client.get(reverse(IMPORT_URL)).status_code == 200
    assert "新規 8件" in text(upload(client, xlsx(DEPARTMENT_ROWS)))


def test_the_upload_between_preview_and_confirm_is_kept_in_the_shared_cache(settings):
    assert settings.IMPORT_EXPORT_TMP_STORAGE_CLASS.endswith("CacheStorage")
    assert settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache")


def test_targets_import_in_the_admin(plans, admin_client_ja):
    from indicators.models import Target

    data = xlsx([["ISE2-13", "R9", "210", "上方修正の決定", "2026/6/1"]],
                header=["指標コード", "年度", "目標値", "変更理由", "決定日"])
    response = admin_client_ja.post(
        reverse("admin:indicators_target_import"),
        {"import_file": SimpleUploadedFile("targets.xlsx", data), "format": "0", "resource": "0"},
    )
    page = text(response)
    assert "変更 1件" in page and "200件" in page and "210件" in page
    confirm = form_data(response.content.decode(),
                        action=reverse("admin:indicators_target_process_import"))
    admin_client_ja.post(reverse("admin:indicators_target_process_import"), confirm)
    assert Target.objects.get(indicator__code="ISE2-13", fiscal_year=2027).value == 210


def test_exported_actuals_neutralise_formulas_and_reimport(plans, admin_client_ja):
    import io

    import openpyxl

    from indicators.models import Indicator

    Actual.objects.create(indicator=Indicator.objects.get(code="ISE2-01"), fiscal_year=2026,
                          value="42.5", value_places=1, note='=HYPERLINK("http://x","y")')
    response = admin_client_ja.post(
        reverse("admin:indicators_actual_export"),
        {"format": "0", "resource": "0", **{
            f"actualresource_{name}": "on"
            for name in ("indicator", "fiscal_year", "value", "note")
        }},
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("指標コード", "年度", "実績値", "備考")
    exported = next(row for row in rows if row[0] == "ISE2-01")
    assert exported[2] in ("42.5", 42.5)
    assert exported[3] == """'=HYPERLINK("http://x","y")"""
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def long_file_plan() -> list[str]:
    """60 KGIs of a synthetic plan: 240 rows over R8–R11, past the preview's 200."""
    from tests.factories import IndicatorFactory, MeasureFactory

    measure = MeasureFactory()
    return [IndicatorFactory(measure=measure, code=f"LONG-{n:02d}").code for n in range(60)]


def test_a_long_file_lists_its_changes_first_and_imports_every_row(admin_client_ja):
    from indicators.models import Indicator
    from spreadsheets.rows import PREVIEW_ROWS

    codes = long_file_plan()
    # Two stored actuals the file changes, at its end: listed first all the same.
    for code in codes[-2:]:
        Actual.objects.create(indicator=Indicator.objects.get(code=code), fiscal_year=2029,
                              value=5)
    rows = [[code, f"R{year - 2018}", 7, None] for code in codes for year in range(2026, 2030)]
    response = upload(admin_client_ja, xlsx(rows))
    page = text(response)
    assert "新規 238件 / 変更 2件 / 変更なし 0件 / 空欄 0件" in page
    assert (
        f"240行のうち、変更・新規の行を優先して{PREVIEW_ROWS}行を表示しています"
        "（表示していない行：40行）。確定すると、表示していない行も含めてすべて取り込みます。"
    ) in page
    listed = preview_rows(response)
    assert len(listed) == PREVIEW_ROWS
    assert [row[:3] for row in listed[:3]] == [
        ["237行目", "変更", "LONG-58"], ["241行目", "変更", "LONG-59"], ["2行目", "新規", "LONG-00"],
    ]
    assert listed[-1][:2] == [f"{PREVIEW_ROWS - 1}行目", "新規"]

    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    response = admin_client_ja.post(reverse(PROCESS_URL), confirm, follow=True)
    assert "取り込みました：新規 238件 / 変更 2件" in text(response)
    imported = Actual.objects.filter(indicator__code__startswith="LONG-")
    assert imported.count() == 240
    assert set(imported.values_list("value", flat=True)) == {7}


def test_a_short_file_lists_every_row_without_a_note(admin_client_ja):
    codes = long_file_plan()[:3]
    response = upload(admin_client_ja, xlsx([[code, "R8", 7, None] for code in codes]))
    assert len(preview_rows(response)) == 3
    assert "表示していない行" not in text(response)


def test_the_confirm_step_reads_the_file_once_and_checks_it_again(
    admin_client_ja, monkeypatch
):
    """The preview's read is kept for the confirm step; the checks run anew."""
    from django.core.cache import cache

    from indicators.models import Indicator
    from spreadsheets import resources

    codes = long_file_plan()[:2]
    data = xlsx([[code, "R8", 7, None] for code in codes])
    reads = []
    read = resources.read_upload
    monkeypatch.setattr(resources, "read_upload",
                        lambda *args: reads.append(args) or read(*args))
    response = upload(admin_client_ja, data)
    assert len(reads) == 1
    assert cache.get(resources.kept_sheet_key(data)) is not None

    # Between the two steps another writer stores one of the file's rows:
    # the confirm step's check sees it (the kept read holds cells only), and
    # the file, previewed as two new rows, is refused rather than imported
    # as something the user did not see.
    Actual.objects.create(indicator=Indicator.objects.get(code=codes[0]), fiscal_year=2026,
                          value=7)
    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    response = admin_client_ja.post(reverse(PROCESS_URL), confirm, follow=True)
    assert len(reads) == 1
    assert f"2行目（{codes[0]}）は、このページを開いた後に登録・変更されました。" in text(response)
    assert Actual.objects.filter(indicator__code__in=codes, fiscal_year=2026).count() == 1
    assert cache.get(resources.kept_sheet_key(data)) is None


def test_a_confirm_step_whose_kept_read_expired_reads_the_file_again(admin_client_ja):
    from django.core.cache import cache

    from spreadsheets import resources

    codes = long_file_plan()[:2]
    data = xlsx([[code, "R8", 7, None] for code in codes])
    response = upload(admin_client_ja, data)
    cache.delete(resources.kept_sheet_key(data))
    confirm = form_data(response.content.decode(), action=reverse(PROCESS_URL))
    response = admin_client_ja.post(reverse(PROCESS_URL), confirm, follow=True)
    assert "取り込みました：新規 2件" in text(response)
    assert Actual.objects.filter(indicator__code__in=codes).count() == 2


def test_a_refused_upload_is_not_kept(admin_client_ja):
    """As found: every upload sat in the cache for a day, refused or not (5 MB a request)."""
    from django.core.cache import cache
    from django.db import connection
    from import_export.tmp_storages import CacheStorage

    from spreadsheets import resources

    def kept_uploads() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT cache_key FROM ise_iga_dx_cache")
            return [key for (key,) in cursor.fetchall() if CacheStorage.CACHE_PREFIX in key]

    data = xlsx(BAD_ROWS)
    response = upload(admin_client_ja, data)
    assert "import_file_name" not in response.content.decode()
    assert kept_uploads() == []
    assert cache.get(resources.kept_sheet_key(data)) is None
    # A clean file is kept for its confirm step.
    response = upload(admin_client_ja, xlsx([["ISE2-01", "R8", "1", None]]))
    assert "import_file_name" in response.content.decode()
    assert len(kept_uploads()) == 1
