"""Create the first login for a new installation, once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "ユーザーが一人もいないときだけ、デモ用の管理者ログインを作成し、パスワードを一度だけ表示します。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="demo")

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(
            username=options["username"], email="", password=password
        )
        self.stdout.write(
            "\n".join([
                "",
                "デモ用ログインを作成しました（この表示は一度だけです）：",
                f"  ユーザー名：{options['username']}",
                f"  パスワード：{password}",
                "  http://127.0.0.1:8000/ からログインしてください（管理画面は /admin/）。",
                "",
            ])
        )
