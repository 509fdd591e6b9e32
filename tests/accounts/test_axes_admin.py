"""The admin's section of django-axes (login throttling) reads in Japanese.

axes ships no Japanese: its app, models and columns are named by
accounts.apps, accounts/locale/ja and office.admin.users, without a
migration in axes (the last test checks none is pending).
"""

from __future__ import annotations

import io

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

ENGLISH = ("Axes", "Access attempts", "Access failures", "Access logs")


def test_the_admin_index_names_axes_in_japanese(admin_client_ja):
    text = visible_text(admin_client_ja.get(reverse("admin:index")))
    assert "ログインの記録（連続失敗によるロック）" in text
    assert "ログイン失敗の集計" in text
    assert "ログイン失敗の記録" in text
    assert "ログインの記録 " in text
    for word in ENGLISH:
        assert word not in text


def test_the_throttled_logins_list_reads_in_japanese(admin_client_ja):
    AccessAttempt.objects.create(
        user_agent="test", ip_address="192.0.2.1", username="ise-office", http_accept="*/*",
        path_info="/accounts/login/", get_data="", post_data="", failures_since_start=5,
    )
    AccessAttempt.objects.create(
        user_agent="test", ip_address="192.0.2.2", username="iga-office", http_accept="*/*",
        path_info="/admin/login/", get_data="", post_data="", failures_since_start=2,
    )
    text = visible_text(admin_client_ja.get(reverse("admin:axes_accessattempt_changelist")))
    for heading in ("日時", "IPアドレス", "ユーザー名", "失敗の回数", "状態"):
        assert heading in text
    assert "ロック中" in text
    assert "あと3回の失敗でロック" in text
    for word in ("Attempt Time", "Failed Logins", "Status", "Locked Out", "Attempt Remaining"):
        assert word not in text


def test_no_migration_is_pending():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
