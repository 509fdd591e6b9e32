"""What a restore must bring back, read from one database.

The restore drill takes this snapshot of the database it backs up (in the
test's process) and of the database it restored into (run as
``python -m tests.backups.snapshot`` with DATABASE_URL naming it, printing
JSON), and compares them:

- ``tables``: every row of every table, every column (the ids, the
  history rows with the ids of their objects, the sessions, the cache);
- ``sequences``: the next id of every table (PostgreSQL's sequences,
  SQLite's ``sqlite_sequence``), so that an id is never given twice;
- ``history``: each history row → the object its ``id`` names now (the
  object's text, or None once deleted), per audited model;
- ``kpi_status``: the JSON document of ``kpi_status --format json`` and the
  API for every plan and every year of it, and each plan's default year.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


def plain(value: Any) -> str:
    """Write a column's value as text, the same way on both sides."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)


def table_rows(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    quote = connection.ops.quote_name
    tables = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            columns = [column[0] for column in cursor.description]
            rows = [
                json.dumps(dict(zip(columns, row, strict=True)), default=plain,
                           ensure_ascii=False, sort_keys=True)
                for row in cursor.fetchall()
            ]
            tables[table] = sorted(rows)
    return tables


def sequences(connection: BaseDatabaseWrapper) -> dict[str, int | None]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT sequencename, last_value FROM pg_sequences")
        else:
            cursor.execute("SELECT name, seq FROM sqlite_sequence")
        return dict(sorted(cursor.fetchall()))


def history_links() -> dict[str, list[list[Any]]]:
    """Per audited model: [history_id, object id, change type, the object now]."""
    from django.apps import apps

    links = {}
    for model in apps.get_models():
        history = getattr(model, "history", None)
        if history is None or not hasattr(model._meta, "simple_history_manager_attribute"):
            continue
        rows = list(history.order_by("history_id").values_list("history_id", "id", "history_type"))
        objects = model._base_manager.in_bulk({object_id for _, object_id, _ in rows})
        links[model._meta.label] = [
            [history_id, object_id, kind,
             str(objects[object_id]) if object_id in objects else None]
            for history_id, object_id, kind in rows
        ]
    return links


def kpi_status() -> dict[str, Any]:
    from indicators.selectors import plan_default_year, plan_status
    from indicators.serializers import status_json
    from plans.models import Plan

    documents = {}
    for plan in Plan.objects.order_by("code"):
        documents[plan.code] = {
            "default_year": plan_default_year(plan=plan),
            "years": {
                str(year): status_json(
                    plan=plan, fiscal_year=year, rows=plan_status(plan=plan, fiscal_year=year)
                )
                for year in plan.fiscal_years
            },
        }
    return documents


def snapshot(connection: BaseDatabaseWrapper) -> dict[str, Any]:
    return {
        "tables": table_rows(connection),
        "sequences": sequences(connection),
        "history": history_links(),
        "kpi_status": kpi_status(),
    }


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ise_iga_dx.settings")
    django.setup()
    from django.db import connection

    print(json.dumps(snapshot(connection), ensure_ascii=False))
