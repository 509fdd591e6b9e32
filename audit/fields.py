"""The history field of an audited model.

Every audited model declares ``history = audit_trail("<名前>")``; the
models' history tables and their migrations come from it.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


def audit_trail(name: str, *, excluded_fields: list[str] | None = None) -> HistoricalRecords:
    """Record every create, update and delete: who, when, the values, and why.

    The user comes from the request (HistoryRequestMiddleware) or is set by
    the import that wrote the row; an import's file name is its reason.
    ``excluded_fields`` are not copied into the history: a frozen edition's
    snapshot and files, which never change, would only double its size.
    """
    return HistoricalRecords(
        verbose_name=f"{name}の変更履歴", verbose_name_plural=f"{name}の変更履歴",
        # The reason holds what its forms allow (500 characters) after a
        # prefix such as 「ファイル取込：<file>／」: no column limit to hit.
        history_change_reason_field=models.TextField(null=True),
        excluded_fields=excluded_fields,
    )
