"""The ``--user`` option of management commands: act within that user's scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.core.management.base import CommandParser


def add_user_argument(parser: CommandParser, *, purpose: str) -> None:
    parser.add_argument(
        "--user",
        help=f"このユーザーの権限の範囲で{purpose}（変更履歴にもこのユーザーが記録されます）。"
        "省略するとサーバー管理者として全計画を対象にします。",
    )


def user_from_option(username: str | None) -> AbstractBaseUser | None:
    """Return the active user named ``--user``, or None when it was not given."""
    if username is None:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"ユーザー「{username[:40]}」は登録されていないか、無効です。")
    return user
