"""The history field of an audited model.

Every audited model declares ``history = audit_trail("<名前>")``; the
models' history tables and their migrations come from it.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


def audit_trail(name: str) -> HistoricalRecords:
    """Record every create, update and delete: who, when, the values, and why.

    The user comes from the request (HistoryRequestMiddleware) or is set by
    the import that wrote the row; an import's file name is its reason.
    """
    return HistoricalRecords(
        verbose_name=f"{name}の変更履歴", verbose_name_plural=f"{name}の変更履歴",
        # The reason holds what its forms allow (500 characters) after a
        # prefix such as 「ファイル取込：<file>／」: no column limit to hit.
        history_change_reason_field=models.TextField(null=True),
    )
