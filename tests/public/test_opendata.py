"""The open data of a published plan-year: CSV (BOM, CRLF), JSON and a valid Data Package."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import frictionless
import pytest

from tests.public.conftest import ISE1_YEAR

CSV_NAME = "242039_dx_kgi_2025.csv"
JSON_NAME = "242039_dx_kgi_2025.json"
pytestmark = pytest.mark.django_db


def download(client, name: str) -> bytes:
    response = client.get(ISE1_YEAR + name)
    assert response.status_code == 200, name
    return response.content


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_the_three_downloads_validate_as_a_frictionless_data_package(
    client, ise1_published, tmp_path
):
    for name in (CSV_NAME, JSON_NAME, "datapackage.json"):
        (tmp_path / name).write_bytes(download(client, name))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == 20
    assert report.tasks[0].labels[:3] == ["全国地方公共団体コード", "ID", "地方公共団体名"]


def test_the_csv_opens_in_excel_with_its_japanese_header(client, ise1_published):
    content = download(client, CSV_NAME)
    assert content.startswith(b"\xef\xbb\xbf" + "全国地方公共団体コード,ID,地方公共団体名".encode())
    lines = content.split(b"\r\n")
    assert len(lines) == 1 + 20 + 1 and lines[-1] == b""
    assert b"\n" not in b"".join(lines)
    response = client.get(ISE1_YEAR + CSV_NAME)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{CSV_NAME}"'


def test_values_equal_the_editions(client, ise1_published):
    data = ise1_published.edition.data
    rows = {row["KGI番号"]: row for row in csv_rows(download(client, CSV_NAME))}
    assert list(rows) == [kgi["code"] for kgi in data["kgis"]]
    for kgi in data["kgis"]:
        row, year = rows[kgi["code"]], kgi["row"]
        assert row["全国地方公共団体コード"] == "242039"
        assert row["ID"] == f"242039-ise-1-2025-{kgi['code']}"
        assert (row["地方公共団体名"], row["年度"], row["年度表示"]) == (
            "伊勢市", "2025", "令和7年度（2025）")
        assert row["指標名"] == kgi["item"]
        for column, value in (("目標値", year["target"]), ("実績値", year["actual"])):
            assert (Decimal(row[column]) if row[column] else None) == (
                Decimal(value) if value is not None else None), (kgi["code"], column)
        assert (Decimal(row["達成率"]) if row["達成率"] else None) == (
            Decimal(year["rate"]) if year["rate"] else None), kgi["code"]
        assert row["公表日"] == "2026-07-31"
        assert row["会議日"] == "2026-06-10"
    # The document's own figures, as plain numbers.
    first = rows["ISE1-01"]
    assert (first["目標値"], first["実績値"], first["評価"], first["達成率"]) == (
        "120", "142", "達成", "118.3")
    assert rows["ISE1-05"]["実績値"] == "47272"
    evaluations = [row["評価"] for row in rows.values()]
    assert (evaluations.count("達成"), evaluations.count("未達成"),
            evaluations.count("評価対象外")) == (12, 7, 1)


def test_the_json_holds_the_same_rows(client, ise1_published):
    csv_table = csv_rows(download(client, CSV_NAME))
    document = json.loads(download(client, JSON_NAME))
    assert document["license"]["name"] == "CC-BY-4.0"
    assert document["published"] == "2026-07-31"
    assert len(document["rows"]) == len(csv_table) == 20
    for from_json, from_csv in zip(document["rows"], csv_table, strict=True):
        assert {name: "" if value is None else str(value)
                for name, value in from_json.items()} == from_csv
    assert document["rows"][0]["実績値"] == 142
    # 達成率 is a number like every other figure.
    assert document["rows"][0]["達成率"] == 118.3


def test_the_licence_is_a_setting(client, ise1_published, settings):
    settings.KPI_OPEN_DATA_LICENSE = {
        "name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/",
    }
    descriptor = json.loads(download(client, "datapackage.json"))
    assert descriptor["licenses"] == [settings.KPI_OPEN_DATA_LICENSE]
    assert descriptor["resources"][0]["path"] == CSV_NAME
    page = client.get(ISE1_YEAR).content.decode()
    assert "CC0 1.0" in page and "CC-BY-4.0" not in page


def test_default_licence_is_cc_by_4(client, ise1_published):
    descriptor = json.loads(download(client, "datapackage.json"))
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert descriptor["name"] == "ise-1-2025-kgi"
    fields = {field["name"]: field for field in descriptor["resources"][0]["schema"]["fields"]}
    assert fields["評価"]["constraints"]["enum"][:2] == ["達成", "未達成"]


def test_a_wrong_file_name_is_a_404(client, ise1_published):
    for name in ("242161_dx_kgi_2025.csv", "242039_dx_kgi_2024.json", "kgi.csv"):
        assert client.get(ISE1_YEAR + name).status_code == 404, name
