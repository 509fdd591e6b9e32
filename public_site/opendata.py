"""Open data of a published plan-year: CSV, JSON and a Frictionless Data Package.

One row per KGI, for the edition's year, with the leading columns of the
自治体標準オープンデータセット (全国地方公共団体コード, ID, 地方公共団体名);
years in the Gregorian calendar (年度) beside their 和暦 label (年度表示),
dates as ISO 8601, numbers without separators, units in their own column.
An actual or evaluation the public pages do not show (:mod:`public_site.display`)
is left empty here, with 評価 「未公表」. The CSV is UTF-8 with a BOM and
CRLF line ends, so that Excel opens it as Japanese text.

Pure functions: no queries and no Django.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from public_site.display import UNPUBLISHED, PublicKgi, decimal_of, plain_number, plan_year

if TYPE_CHECKING:
    from datetime import date, datetime

COMMENT_COLUMNS = ("取組状況", "要因分析", "今後の方向性")
# (column, Table Schema type, extra constraints)
COLUMNS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("全国地方公共団体コード", "string", {"required": True, "pattern": "[0-9]{6}"}),
    ("ID", "string", {"required": True, "unique": True}),
    ("地方公共団体名", "string", {"required": True}),
    ("計画名", "string", {"required": True}),
    ("年度", "integer", {"required": True}),
    ("年度表示", "string", {}),
    ("基本方針", "string", {}),
    ("施策", "string", {}),
    ("KGI番号", "string", {"required": True}),
    ("指標名", "string", {"required": True}),
    ("単位", "string", {}),
    ("評価の型", "string", {"enum": ["増加型", "減少型", "削減率型", "完了型"]}),
    ("集計方法", "string", {"enum": ["単年度", "累計", "暦年"]}),
    ("基準値", "number", {}),
    ("基準値の年度", "integer", {}),
    ("目標値", "number", {}),
    ("目標値の表示", "string", {}),
    ("実績値", "number", {}),
    ("実績値の表示", "string", {}),
    ("評価", "string", {
        "required": True,
        "enum": ["達成", "未達成", "評価対象外", "期限前", "未評価", UNPUBLISHED],
    }),
    ("達成率", "number", {}),
    *((name, "string", {}) for name in COMMENT_COLUMNS),
    ("会議名", "string", {}),
    ("会議日", "date", {}),
    ("公表日", "date", {"required": True}),
)
FIELD_NAMES = [name for name, _type, _constraints in COLUMNS]
EVALUATION_WORDS = {
    "achieved": "達成", "not_achieved": "未達成", "not_measured": "評価対象外",
    "not_due": "期限前",
}
DESCRIPTIONS = {
    "ID": "全国地方公共団体コード-計画コード-年度-KGI番号",
    "年度": "西暦の年度（4月始まり）",
    "実績値": "確定し公表した実績値。未公表の年度は空欄",
    "評価": "達成・未達成・評価対象外・期限前・未評価（目標値等がなく評価できない）・未公表",
    "達成率": "％（小数第1位、四捨五入）。達成率のない評価の型・未公表は空欄",
}


@dataclass(frozen=True)
class Dataset:
    """What a download says about itself besides the rows."""

    published_at: datetime
    meeting_name: str
    meeting_date: date
    with_comments: bool
    licence: dict[str, str]
    csv_name: str


def file_stem(data: dict[str, Any]) -> str:
    """Return 「242039_dx_kgi_2025」: the 全国地方公共団体コード (else the city's code)."""
    municipality = data["municipality"]
    return f"{municipality['lg_code'] or municipality['code']}_dx_kgi_{data['fiscal_year']}"


def row_of(kgi: PublicKgi, *, data: dict[str, Any], dataset: Dataset) -> dict[str, Any]:
    """Return one KGI's row: numbers as Decimals or None, dates as dates."""
    municipality, plan, row = data["municipality"], data["plan"], kgi.row
    evaluation = (
        EVALUATION_WORDS.get(row.evaluation, "未評価") if row.published else UNPUBLISHED
    )
    comments = dict(row.commentary) if dataset.with_comments else {}
    return {
        "全国地方公共団体コード": municipality["lg_code"],
        "ID": "-".join(
            (municipality["lg_code"] or municipality["code"], plan["code"],
             str(data["fiscal_year"]), kgi.code)
        ),
        "地方公共団体名": municipality["name"],
        "計画名": plan["name"],
        "年度": data["fiscal_year"],
        "年度表示": data["fiscal_year_label"],
        "基本方針": kgi.policy_heading,
        "施策": kgi.data.get("measure", ""),
        "KGI番号": kgi.code,
        "指標名": kgi.data["item"],
        "単位": kgi.data.get("unit", ""),
        "評価の型": kgi.kind_word,
        "集計方法": kgi.data["accumulation_label"],
        "基準値": kgi.baseline,
        "基準値の年度": kgi.data.get("baseline_year"),
        "目標値": row.target,
        "目標値の表示": row.target_label,
        "実績値": row.actual if row.published else None,
        "実績値の表示": row.actual_label if row.published else "",
        "評価": evaluation,
        "達成率": decimal_of(row.rate) if row.rate else None,
        **{name: comments.get(name, "") for name in COMMENT_COLUMNS},
        "会議名": dataset.meeting_name,
        "会議日": dataset.meeting_date,
        "公表日": dataset.published_at.date(),
    }


def rows(data: dict[str, Any], *, dataset: Dataset) -> list[dict[str, Any]]:
    """Return the plan-year's rows, one per KGI in document order."""
    public = plan_year(data, with_comments=dataset.with_comments)
    return [row_of(kgi, data=data, dataset=dataset) for kgi in public.kgis.values()]


def cell(value: Any) -> str:
    """Return a value as the CSV writes it: plain numbers, ISO dates, "" for none."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return plain_number(value)


def csv_bytes(table: list[dict[str, Any]]) -> bytes:
    """Return the rows as CSV: UTF-8 with a BOM, CRLF, a header row of the column names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELD_NAMES)
    for row in table:
        writer.writerow([cell(row[name]) for name in FIELD_NAMES])
    return buffer.getvalue().encode("utf-8-sig")


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = plain_number(value)
    return int(text) if text.lstrip("-").isdigit() else float(text)


def json_bytes(table: list[dict[str, Any]], *, data: dict[str, Any], dataset: Dataset) -> bytes:
    """Return the same rows as JSON, with the title, licence and date of publication."""
    document = {
        "title": title(data),
        "license": dataset.licence,
        "published": dataset.published_at.date().isoformat(),
        "fields": FIELD_NAMES,
        "rows": [{name: json_value(row[name]) for name in FIELD_NAMES} for row in table],
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def title(data: dict[str, Any]) -> str:
    return f"{data['plan']['name']} {data['fiscal_year_label']} KGI進捗"


def package_name(data: dict[str, Any]) -> str:
    """Return the package name (``^[a-z0-9._-]+$``): 「ise-1-2025-kgi」."""
    name = f"{data['plan']['code']}-{data['fiscal_year']}-kgi".lower()
    return "".join(char if char.isascii() and (char.isalnum() or char in "._-") else "-"
                   for char in name)


def field_of(name: str, kind: str, constraints: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "type": kind}
    if name in DESCRIPTIONS:
        entry["description"] = DESCRIPTIONS[name]
    if constraints:
        entry["constraints"] = constraints
    return entry


def datapackage(data: dict[str, Any], *, dataset: Dataset) -> dict[str, Any]:
    """Return the Data Package descriptor: the CSV beside it, its schema and licence."""
    return {
        "name": package_name(data),
        "title": title(data),
        "licenses": [dataset.licence],
        "created": dataset.published_at.isoformat(timespec="seconds"),
        "resources": [{
            "name": "kgi",
            "path": dataset.csv_name,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {
                "delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True,
                "lineTerminator": "\r\n",
            },
            "schema": {
                "fields": [field_of(*column) for column in COLUMNS],
                "primaryKey": ["ID"],
                "missingValues": [""],
            },
        }],
    }


def datapackage_bytes(data: dict[str, Any], *, dataset: Dataset) -> bytes:
    return json.dumps(datapackage(data, dataset=dataset), ensure_ascii=False, indent=1).encode()
