"""Who may open and change what: every role × page, export, import and admin action.

Each cell of the tables below is one test, named after its table's test
and ``[<role>-<endpoint>-<target>]``, e.g.
``test_pages[所管課-ise-KGIページ-他課]``. The expected answer is written
out, cell by cell, from the rules the issue sets; it is not computed
from the code under test. pytest shows the Japanese ids escaped unless
run with ``-o disable_test_id_escaping_and_forfeit_all_rights_to_community_support=true``
(then ``-k 所管課`` selects a role's cells too).

Roles (columns): システム管理者 (no municipality), the Ise DX office
(DX推進担当-ise), an Ise department user (所管課-ise, デジタル政策課),
an Ise reader (閲覧-ise), the Iga office and an Iga department user, a
login with no role (権限なし) and a visitor who has not logged in (未ログイン).

Targets are relative to the acting role's city (Ise for システム管理者,
権限なし and 未ログイン):

- 自課: the role's own department (its KGI, the KGI's target and actual, its
  measure, the department itself); for a role without a department, the
  same object, which belongs to its city;
- 他課: another department of the same city, and what it owns;
- 自市 / 他市: the role's municipality (its plan) / the other municipality;
- 全体: a page that is not about one object.

The answers:

- 200 / 302 after a saved form / 401 for the API without a session;
- 302 for a visitor who has not logged in (to the login page), and for
  閲覧 or 権限なし in the admin (to the admin's login page);
- 404 for anything outside the role's scope, as if it did not exist;
- 403 for a model the role has no permission for, and for a visible plan
  used in a way the role may not (閲覧 asking for an entry sheet);
- 受付 / 拒否 (uploads, 200): the preview accepts the row / refuses it,
  naming the row and the code; nothing is saved either way before the
  confirmation;
- 選択不可 (200): the admin form refuses a KGI the role may not enter
  actuals for, and saves nothing;
- 変更 / 対象外 (the list's confirm actions, 302): the actual was confirmed
  or reopened / left as it was.

Every 302 is checked to lead where it should (a login page only for those
who must log in), and every POST whether it changed the database.

The reporting round's pages and actions (実績報告: the office's board,
the department's page, return and confirm, the home banner) have their
own table, on this file's roles and world: tests/test_permission_matrix_reporting.py.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from indicators.models import Actual, Indicator, Target
from plans.models import Department, Measure, Municipality, Plan
from spreadsheets import definitions
from tests.helpers import ACTUAL_HEADER, PASSWORD, form_data, user_with_role, xlsx

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.db.models import Model
    from django.http import HttpResponse

pytestmark = pytest.mark.django_db

YEAR = 2026
# A year with no actual yet, for uploads that would add one.
NEW_YEAR = 2027

SYSTEM = "システム管理者"
OFFICE_ISE = "DX推進担当-ise"
DEPARTMENT_ISE = "所管課-ise"
VIEWER_ISE = "閲覧-ise"
OFFICE_IGA = "DX推進担当-iga"
DEPARTMENT_IGA = "所管課-iga"
NO_ROLE = "権限なし"
ANONYMOUS = "未ログイン"
# The order of the columns in the tables below.
ROLES = (
    SYSTEM, OFFICE_ISE, DEPARTMENT_ISE, VIEWER_ISE, OFFICE_IGA, DEPARTMENT_IGA, NO_ROLE,
    ANONYMOUS,
)
# Roles that never enter the admin: it sends them to its login page.
OUTSIDE_ADMIN = {VIEWER_ISE, NO_ROLE, ANONYMOUS}

ACCEPTED = "受付"
REFUSED = "拒否"
NOT_OFFERED = "選択不可"

# ---------------------------------------------------------------------------
# The expected answers. Columns: see ROLES.
#
#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
PAGES: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("ホーム", "全体"):                  (200,    200,   200,    200,    200,   200,    200,  302),
    ("ダッシュボード", "自市"):          (200,    200,   404,    200,    200,   404,    404,  302),
    ("ダッシュボード", "他市"):          (200,    404,   404,    404,    404,   404,    404,  302),
    ("印刷-年度指定", "自市"):           (200,    200,   404,    200,    200,   404,    404,  302),
    ("印刷-年度指定", "他市"):           (200,    404,   404,    404,    404,   404,    404,  302),
    ("印刷-年度パス", "自市"):           (200,    200,   404,    200,    200,   404,    404,  302),
    ("印刷-年度パス", "他市"):           (200,    404,   404,    404,    404,   404,    404,  302),
    ("進捗管理シート", "自市"):          (200,    200,   404,    200,    200,   404,    404,  302),
    ("進捗管理シート", "他市"):          (200,    404,   404,    404,    404,   404,    404,  302),
    ("年度推移", "自市"):                (200,    200,   404,    200,    200,   404,    404,  302),
    ("年度推移", "他市"):                (200,    404,   404,    404,    404,   404,    404,  302),
    ("API", "自市"):                     (200,    200,   404,    200,    200,   404,    404,  401),
    ("API", "他市"):                     (200,    404,   404,    404,    404,   404,    404,  401),
    ("KGIページ", "自課"):               (200,    200,   200,    200,    200,   200,    404,  302),
    ("KGIページ", "他課"):               (200,    200,   404,    200,    200,   404,    404,  302),
    ("KGIページ", "他市"):               (200,    404,   404,    404,    404,   404,    404,  302),
    ("所管課ページ", "自課"):            (200,    200,   200,    200,    200,   200,    404,  302),
    ("所管課ページ", "他課"):            (200,    200,   404,    200,    200,   404,    404,  302),
    ("所管課ページ", "他市"):            (200,    404,   404,    404,    404,   404,    404,  302),
}

EXPORTS: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("入力シート", "自市全体"):          (200,    200,   200,    403,    200,   200,    404,  302),
    ("入力シート", "自課指定"):          (200,    200,   200,    403,    200,   200,    404,  302),
    ("入力シート", "他課指定"):          (200,    200,   404,    403,    200,   404,    404,  302),
    ("入力シート", "他市"):              (200,    404,   404,    404,    404,   404,    404,  302),
    ("評価表", "自市"):                  (200,    200,   404,    200,    200,   404,    404,  302),
    ("評価表", "他市"):                  (200,    404,   404,    404,    404,   404,    404,  302),
    ("定義テンプレート", "自市"):        (200,    200,   404,    403,    200,   404,    404,  302),
    ("定義テンプレート", "他市"):        (200,    404,   404,    404,    404,   404,    404,  302),
}

#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
ADMIN: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("管理-トップ", "全体"):             (200,    200,   200,    302,    200,   200,    302,  302),
    # KGIs: a department reads its own, changes none (it enters actuals).
    ("管理-指標-一覧", "全体"):          (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-指標-追加", "全体"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-指標-変更画面", "自課"):      (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-指標-変更画面", "他課"):      (200,    200,   404,    302,    200,   404,    302,  302),
    ("管理-指標-変更画面", "他市"):      (200,    404,   404,    302,    404,   404,    302,  302),
    ("管理-指標-保存", "自課"):          (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-指標-保存", "他課"):          (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-指標-保存", "他市"):          (302,    404,   403,    302,    404,   403,    302,  302),
    ("管理-指標-削除確認", "自課"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-指標-削除確認", "他課"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-指標-削除確認", "他市"):      (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-指標-履歴", "自課"):          (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-指標-履歴", "他課"):          (200,    200,   404,    302,    200,   404,    302,  302),
    ("管理-指標-履歴", "他市"):          (200,    404,   404,    302,    404,   404,    302,  302),
    # Targets: read-only for a department.
    ("管理-目標値-一覧", "全体"):        (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-目標値-追加", "全体"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-目標値-変更画面", "自課"):    (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-目標値-変更画面", "他課"):    (200,    200,   404,    302,    200,   404,    302,  302),
    ("管理-目標値-変更画面", "他市"):    (200,    404,   404,    302,    404,   404,    302,  302),
    ("管理-目標値-保存", "自課"):        (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-目標値-保存", "他課"):        (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-目標値-保存", "他市"):        (302,    404,   403,    302,    404,   403,    302,  302),
    ("管理-目標値-削除確認", "自課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-目標値-削除確認", "他課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-目標値-削除確認", "他市"):    (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-目標値-履歴", "自課"):        (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-目標値-履歴", "他課"):        (200,    200,   404,    302,    200,   404,    302,  302),
    ("管理-目標値-履歴", "他市"):        (200,    404,   404,    302,    404,   404,    302,  302),
    # Actuals: a department enters those of its own KGIs.
    ("管理-実績値-一覧", "全体"):        (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-実績値-追加", "全体"):        (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-実績値-追加保存", "自課"):    (302,    302,   302,    302,    302,   302,    302,  302),
    ("管理-実績値-追加保存", "他課"):    (302,    302,   NOT_OFFERED, 302, 302,   NOT_OFFERED, 302, 302),
    ("管理-実績値-追加保存", "他市"):    (302,    NOT_OFFERED, NOT_OFFERED, 302, NOT_OFFERED,
                                         NOT_OFFERED,  302,  302),
    ("管理-実績値-変更画面", "自課"):    (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-実績値-変更画面", "他課"):    (200,    200,   404,    302,    200,   404,    302,  302),
    ("管理-実績値-変更画面", "他市"):    (200,    404,   404,    302,    404,   404,    302,  302),
    ("管理-実績値-保存", "自課"):        (302,    302,   302,    302,    302,   302,    302,  302),
    ("管理-実績値-保存", "他課"):        (302,    302,   404,    302,    302,   404,    302,  302),
    ("管理-実績値-保存", "他市"):        (302,    404,   404,    302,    404,   404,    302,  302),
    ("管理-実績値-削除確認", "自課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-実績値-削除確認", "他課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-実績値-削除確認", "他市"):    (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-実績値-履歴", "自課"):        (200,    200,   200,    302,    200,   200,    302,  302),
    ("管理-実績値-履歴", "他課"):        (200,    200,   404,    302,    200,   404,    302,  302),
    ("管理-実績値-履歴", "他市"):        (200,    404,   404,    302,    404,   404,    302,  302),
    # Plans, measures and departments: the DX office's; a department has no
    # permission for them (403 everywhere, the history page included).
    ("管理-計画-一覧", "全体"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-計画-追加", "全体"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-計画-変更画面", "自市"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-計画-変更画面", "他市"):      (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-計画-保存", "自市"):          (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-計画-保存", "他市"):          (302,    404,   403,    302,    404,   403,    302,  302),
    ("管理-計画-削除確認", "自市"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-計画-削除確認", "他市"):      (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-計画-履歴", "自市"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-計画-履歴", "他市"):          (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-施策-一覧", "全体"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-追加", "全体"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-変更画面", "自課"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-変更画面", "他課"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-変更画面", "他市"):      (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-施策-保存", "自課"):          (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-施策-保存", "他課"):          (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-施策-保存", "他市"):          (302,    404,   403,    302,    404,   403,    302,  302),
    ("管理-施策-削除確認", "自課"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-削除確認", "他課"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-削除確認", "他市"):      (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-施策-履歴", "自課"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-履歴", "他課"):          (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-施策-履歴", "他市"):          (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-所管課-一覧", "全体"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-追加", "全体"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-変更画面", "自課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-変更画面", "他課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-変更画面", "他市"):    (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-所管課-保存", "自課"):        (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-所管課-保存", "他課"):        (302,    302,   403,    302,    302,   403,    302,  302),
    ("管理-所管課-保存", "他市"):        (302,    404,   403,    302,    404,   403,    302,  302),
    ("管理-所管課-削除確認", "自課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-削除確認", "他課"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-削除確認", "他市"):    (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-所管課-履歴", "自課"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-履歴", "他課"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-所管課-履歴", "他市"):        (200,    404,   403,    302,    404,   403,    302,  302),
    # Municipalities: the DX office reads its own; only the system changes them.
    ("管理-自治体-一覧", "全体"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-自治体-追加", "全体"):        (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-自治体-変更画面", "自市"):    (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-自治体-変更画面", "他市"):    (200,    404,   403,    302,    404,   403,    302,  302),
    ("管理-自治体-保存", "自市"):        (302,    403,   403,    302,    403,   403,    302,  302),
    ("管理-自治体-保存", "他市"):        (302,    403,   403,    302,    403,   403,    302,  302),
    ("管理-自治体-削除確認", "自市"):    (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-自治体-削除確認", "他市"):    (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-自治体-履歴", "自市"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("管理-自治体-履歴", "他市"):        (200,    404,   403,    302,    404,   403,    302,  302),
    # Users, with their municipality and departments: the system only.
    ("管理-ユーザー-一覧", "全体"):      (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-追加", "全体"):      (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-変更画面", "自市"):  (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-変更画面", "他市"):  (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-保存", "自市"):      (302,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-保存", "他市"):      (302,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-削除確認", "自市"):  (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-削除確認", "他市"):  (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-履歴", "自市"):      (200,    403,   403,    302,    403,   403,    302,  302),
    ("管理-ユーザー-履歴", "他市"):      (200,    403,   403,    302,    403,   403,    302,  302),
    # The KGI search behind the actual form's KGI field (its content: below).
    ("管理-実績値の指標検索", "全体"):    (200,    200,   200,    302,    200,   200,    302,  302),
    # 確定・差し戻し (confirm / reopen actuals): see CONFIRM_ACTIONS below.
}

#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
IMPORTS: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("取込-実績-画面", "全体"):          (200,    200,   200,    302,    200,   200,    302,  302),
    ("取込-実績-アップロード", "自課"):  (ACCEPTED, ACCEPTED, ACCEPTED, 302, ACCEPTED, ACCEPTED,
                                         302,  302),
    ("取込-実績-アップロード", "他課"):  (ACCEPTED, ACCEPTED, REFUSED, 302, ACCEPTED, REFUSED,
                                         302,  302),
    ("取込-実績-アップロード", "他市"):  (ACCEPTED, REFUSED, REFUSED, 302, REFUSED, REFUSED,
                                         302,  302),
    ("取込-目標値-画面", "全体"):        (200,    200,   403,    302,    200,   403,    302,  302),
    ("取込-目標値-アップロード", "自課"): (ACCEPTED, ACCEPTED, 403, 302, ACCEPTED, 403, 302, 302),
    ("取込-目標値-アップロード", "他課"): (ACCEPTED, ACCEPTED, 403, 302, ACCEPTED, 403, 302, 302),
    ("取込-目標値-アップロード", "他市"): (ACCEPTED, REFUSED, 403, 302, REFUSED, 403, 302, 302),
    ("取込-指標定義-画面", "全体"):      (200,    200,   403,    302,    200,   403,    302,  302),
    ("取込-指標定義-アップロード", "自市"): (ACCEPTED, ACCEPTED, 403, 302, ACCEPTED, 403, 302, 302),
    ("取込-指標定義-アップロード", "他市"): (ACCEPTED, REFUSED, 403, 302, REFUSED, 403, 302, 302),
}

# Confirming (確定) and reopening (確定取消) actuals: the DX office and the
# system, never a department (403, as for a model it has no permission for).
# 一括 = the list's actions, which leave rows outside the scope alone.
DONE = "変更"  # 302 back to the list, the actual confirmed (or reopened)
IGNORED = "対象外"  # 302 back to the list, the actual left as it was
#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
CONFIRM_ACTIONS: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("確定画面", "自課"):                (200,    200,   403,    302,    200,   403,    302,  302),
    ("確定画面", "他課"):                (200,    200,   403,    302,    200,   403,    302,  302),
    ("確定画面", "他市"):                (200,    404,   403,    302,    404,   403,    302,  302),
    ("確定", "自課"):                    (302,    302,   403,    302,    302,   403,    302,  302),
    ("確定", "他課"):                    (302,    302,   403,    302,    302,   403,    302,  302),
    ("確定", "他市"):                    (302,    404,   403,    302,    404,   403,    302,  302),
    ("確定取消画面", "自課"):            (200,    200,   403,    302,    200,   403,    302,  302),
    ("確定取消画面", "他課"):            (200,    200,   403,    302,    200,   403,    302,  302),
    ("確定取消画面", "他市"):            (200,    404,   403,    302,    404,   403,    302,  302),
    ("確定取消", "自課"):                (302,    302,   403,    302,    302,   403,    302,  302),
    ("確定取消", "他課"):                (302,    302,   403,    302,    302,   403,    302,  302),
    ("確定取消", "他市"):                (302,    404,   403,    302,    404,   403,    302,  302),
    # A department is not offered the actions: the list comes back (200).
    ("一括確定", "自課"):                (DONE,   DONE,  200,    302,    DONE,  200,    302,  302),
    ("一括確定", "他課"):                (DONE,   DONE,  200,    302,    DONE,  200,    302,  302),
    ("一括確定", "他市"):                (DONE,   IGNORED, 200,  302,    IGNORED, 200,  302,  302),
    ("一括確定取消", "自課"):            (DONE,   DONE,  200,    302,    DONE,  200,    302,  302),
    ("一括確定取消", "他課"):            (DONE,   DONE,  200,    302,    DONE,  200,    302,  302),
    ("一括確定取消", "他市"):            (DONE,   IGNORED, 200,  302,    IGNORED, 200,  302,  302),
}


def cells(table: dict[tuple[str, str], tuple[int | str, ...]]) -> list[Any]:
    """Return one pytest parameter per (role, endpoint, target) of ``table``."""
    params = []
    for (endpoint, target), answers in table.items():
        assert len(answers) == len(ROLES), (endpoint, target)
        for role, answer in zip(ROLES, answers, strict=True):
            params.append(pytest.param(role, endpoint, target, answer,
                                       id=f"{role}-{endpoint}-{target}"))
    return params


# ---------------------------------------------------------------------------
# The objects the cells act on.


@dataclass(frozen=True)
class City:
    """One municipality's objects: its own department's and another's."""

    code: str
    municipality: Municipality
    plan: Plan
    own_department: Department
    other_department: Department
    own_kgi: Indicator
    other_kgi: Indicator
    login: Any  # a 閲覧 login of the city: the object of the user-admin cells


@dataclass(frozen=True)
class World:
    ise: City
    iga: City

    def home(self, role: str) -> City:
        return self.iga if role.endswith("-iga") else self.ise

    def away(self, role: str) -> City:
        return self.ise if role.endswith("-iga") else self.iga

    def kgi(self, role: str, target: str) -> Indicator:
        if target == "他市":
            return self.away(role).own_kgi
        return self.home(role).own_kgi if target == "自課" else self.home(role).other_kgi

    def department(self, role: str, target: str) -> Department:
        if target == "他市":
            return self.away(role).own_department
        home = self.home(role)
        return home.own_department if target == "自課" else home.other_department

    def city(self, role: str, target: str) -> City:
        return self.away(role) if target == "他市" else self.home(role)


def add_year_rows(indicator: Indicator, *, target: str, actual: str) -> None:
    """Give ``indicator`` a target if it lacks one, and an actual still 入力中."""
    Target.objects.get_or_create(
        indicator=indicator, fiscal_year=YEAR,
        defaults={"value": Decimal(target), "value_places": 0},
    )
    Actual.objects.create(
        indicator=indicator, fiscal_year=YEAR, value=Decimal(actual),
        value_places=len(actual.partition(".")[2]),
    )


def throwaway_iga_kgi(plan: Plan, measure: Measure, *, code: str, position: int) -> Indicator:
    """A KGI for Iga, whose document has none: test data only, clearly named."""
    return Indicator.objects.create(
        plan=plan, measure=measure, code=code, position=position,
        item=f"権限表テスト用の指標 {code}（架空）", unit="件",
        baseline=Decimal(10), baseline_year=plan.baseline_year,
    )


def viewer_login(city: str) -> Any:
    return user_with_role(Role.VIEWER, municipality=city, username=f"matrix-target-{city}")


def build_world() -> World:
    """Ise: デジタル政策課 owns ISE2-01's measure, 戸籍住民課 ISE2-16's.

    Iga has no departments and no KGIs in its document, so two throw-away
    departments and KGIs stand in for them.
    """
    ise_plan = Plan.objects.get(code="ise-2")
    own_kgi = Indicator.objects.get(code="ISE2-01")
    other_kgi = Indicator.objects.get(code="ISE2-16")
    digital = Department.objects.get(municipality__code="ise", name="デジタル政策課")
    registry = Department.objects.get(municipality__code="ise", name="戸籍住民課")
    own_kgi.measure.departments.add(digital)
    other_kgi.measure.departments.add(registry)
    add_year_rows(own_kgi, target="40", actual="42.5")
    add_year_rows(other_kgi, target="53000", actual="53500")

    iga = Municipality.objects.get(code="iga")
    iga_plan = Plan.objects.get(code="iga-2")
    section_a = Department.objects.create(municipality=iga, name="権限表テスト課A（架空）",
                                          division="テスト部")
    section_b = Department.objects.create(municipality=iga, name="権限表テスト課B（架空）",
                                          division="テスト部")
    first, second = Measure.objects.filter(policy__plan=iga_plan).order_by(
        "policy__number", "number"
    )[:2]
    first.departments.add(section_a)
    second.departments.add(section_b)
    iga_own = throwaway_iga_kgi(iga_plan, first, code="IGA2-T01", position=1)
    iga_other = throwaway_iga_kgi(iga_plan, second, code="IGA2-T02", position=2)
    add_year_rows(iga_own, target="20", actual="15")
    add_year_rows(iga_other, target="30", actual="35")
    return World(
        ise=City("ise", ise_plan.municipality, ise_plan, digital, registry, own_kgi, other_kgi,
                 viewer_login("ise")),
        iga=City("iga", iga, iga_plan, section_a, section_b, iga_own, iga_other,
                 viewer_login("iga")),
    )


@pytest.fixture
def world(plans, settings) -> World:
    # The default hasher spends most of a test on hashing test passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def login_for(role: str, world: World) -> Any:
    """Create the login acting as ``role`` (None for 未ログイン)."""
    if role == ANONYMOUS:
        return None
    if role == NO_ROLE:
        return get_user_model().objects.create_user("matrix-no-role", password=PASSWORD)
    kinds = {
        SYSTEM: (Role.SYSTEM, None), OFFICE_ISE: (Role.OFFICE, "ise"),
        DEPARTMENT_ISE: (Role.DEPARTMENT, "ise"), VIEWER_ISE: (Role.VIEWER, "ise"),
        OFFICE_IGA: (Role.OFFICE, "iga"), DEPARTMENT_IGA: (Role.DEPARTMENT, "iga"),
    }
    kind, city = kinds[role]
    departments = ()
    if kind is Role.DEPARTMENT:
        departments = (world.home(role).own_department.name,)
    return user_with_role(kind, municipality=city, departments=departments,
                          username=f"matrix-{role}")


def client_as(role: str, world: World) -> Client:
    client = Client()
    user = login_for(role, world)
    if user is not None:
        client.force_login(user)
    return client


def system_client() -> Client:
    """A superuser who renders the forms the other roles then post."""
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("matrix-renderer"))
    return client


# ---------------------------------------------------------------------------
# Logging in on the admin's own login page: by role, not by is_staff.

ADMIN_LOGIN = {
    SYSTEM: 302, OFFICE_ISE: 302, DEPARTMENT_ISE: 302, VIEWER_ISE: 200, OFFICE_IGA: 302,
    DEPARTMENT_IGA: 302, NO_ROLE: 200,
}


@pytest.mark.parametrize(("role", "expected"), ADMIN_LOGIN.items())
def test_admin_login_page(world, role, expected):
    user = login_for(role, world)
    response = Client().post(reverse("admin:login"), {
        "username": user.username, "password": PASSWORD, "next": reverse("admin:index"),
    })
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == reverse("admin:index")
    else:
        assert "このログインの役割では管理画面を使えません" in page_text(response)


# ---------------------------------------------------------------------------
# Pages and exports.


def page_url(world: World, role: str, endpoint: str, target: str) -> str:
    city = world.city(role, target)
    code = city.plan.code
    if endpoint == "ホーム":
        return reverse("pages:home")
    if endpoint == "ダッシュボード":
        return reverse("pages:plan", args=[code])
    if endpoint == "印刷-年度指定":
        return reverse("pages:plan_print", args=[code]) + f"?year={YEAR}"
    if endpoint == "印刷-年度パス":
        return reverse("pages:plan_print_year", args=[code, YEAR])
    if endpoint == "進捗管理シート":
        return reverse("pages:plan_progress_sheet", args=[code, YEAR])
    if endpoint == "年度推移":
        return reverse("pages:plan_years", args=[code])
    if endpoint == "API":
        return reverse("api:plan_status", args=[code]) + f"?year={YEAR}"
    if endpoint == "KGIページ":
        return reverse("pages:indicator", args=[world.kgi(role, target).code])
    if endpoint == "所管課ページ":
        return reverse("pages:department", args=[world.department(role, target).pk])
    raise AssertionError(endpoint)


def export_url(world: World, role: str, endpoint: str, target: str) -> str:
    city = world.city(role, target)
    code = city.plan.code
    if endpoint == "入力シート":
        url = reverse("spreadsheets:entry_sheet", args=[code])
        if target == "自課指定":
            return f"{url}?department={city.own_department.pk}"
        if target == "他課指定":
            return f"{url}?department={city.other_department.pk}"
        return url
    if endpoint == "評価表":
        return reverse("spreadsheets:status_table", args=[code, YEAR])
    if endpoint == "定義テンプレート":
        return reverse("spreadsheets:definitions_template", args=[code])
    raise AssertionError(endpoint)


def assert_redirect_is_login(response: HttpResponse, role: str, *, admin: bool) -> None:
    """A 302 sends an outsider to the right login page, never elsewhere."""
    login = reverse("admin:login") if admin else reverse("login")
    outsider = role in OUTSIDE_ADMIN if admin else role == ANONYMOUS
    if outsider:
        assert response["Location"].startswith(login), response["Location"]
    else:
        assert not response["Location"].startswith(login), response["Location"]


def assert_forbidden_in_japanese(response: HttpResponse) -> None:
    """A 403 says so in Japanese (templates/403.html), as docs/roles.md promises."""
    assert "アクセス権限がありません" in response.content.decode()
    assert b"403 Forbidden" not in response.content


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(PAGES))
def test_pages(world, role, endpoint, target, expected):
    response = client_as(role, world).get(page_url(world, role, endpoint, target))
    assert response.status_code == expected
    if expected == 403:
        assert_forbidden_in_japanese(response)
    if expected == 302:
        assert_redirect_is_login(response, role, admin=False)


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(EXPORTS))
def test_exports(world, role, endpoint, target, expected):
    response = client_as(role, world).get(export_url(world, role, endpoint, target))
    assert response.status_code == expected
    if expected == 403:
        assert_forbidden_in_japanese(response)
    if expected == 302:
        assert_redirect_is_login(response, role, admin=False)
    if expected == 200:
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")


# ---------------------------------------------------------------------------
# The admin.


@dataclass(frozen=True)
class AdminModel:
    """How the cells of one admin model find their object and change it."""

    url_name: str
    pick: Callable[[World, str, str], Model]
    # The edit the 保存 cells make; its first field tells whether it was saved.
    edit: dict[str, str]


def year_row(model: type[Model]) -> Callable[[World, str, str], Model]:
    return lambda world, role, target: model.objects.get(
        indicator=world.kgi(role, target), fiscal_year=YEAR
    )


ADMIN_MODELS = {
    "指標": AdminModel("indicators_indicator",
                       lambda w, r, t: w.kgi(r, t), {"notes": "権限表テストの注記"}),
    # A changed target is a revision: it needs a reason and a decision date.
    "目標値": AdminModel("indicators_target", year_row(Target), {
        "value": "41", "change_reason": "権限表テストの上方修正", "decided_on": "2026-06-01",
    }),
    "実績値": AdminModel("indicators_actual", year_row(Actual), {"remark": "権限表テスト"}),
    "計画": AdminModel("plans_plan", lambda w, r, t: w.city(r, t).plan,
                       {"period_note": "権限表テストの注記"}),
    "施策": AdminModel("plans_measure", lambda w, r, t: w.kgi(r, t).measure,
                       {"description": "権限表テストの説明"}),
    "所管課": AdminModel("plans_department", lambda w, r, t: w.department(r, t),
                         {"division": "権限表テスト局"}),
    "自治体": AdminModel("plans_municipality", lambda w, r, t: w.city(r, t).municipality,
                         {"prefecture": "テスト県"}),
    "ユーザー": AdminModel("auth_user", lambda w, r, t: w.city(r, t).login,
                           {"last_name": "権限表テスト"}),
}


class _MultipleSelects(HTMLParser):
    """Collect each ``<select multiple>``'s selected values.

    tests.formdata keeps one value per field, and for a multiple select
    with nothing selected its first option, which a browser would not send.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self._name: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select" and "multiple" in a and a.get("name"):
            self._name = a["name"]
            self.values[self._name] = []
        elif tag == "option" and self._name and "selected" in a:
            self.values[self._name].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._name = None


def browser_form_data(html: str) -> dict[str, Any]:
    """Return what a browser would post from the admin change form in ``html``."""
    data: dict[str, Any] = form_data(html)
    parser = _MultipleSelects()
    parser.feed(html)
    for name, values in parser.values.items():
        data.pop(name, None)
        if values:
            data[name] = values
    return data


def admin_request(world: World, role: str, endpoint: str, target: str) -> tuple[str, dict | None]:
    """Return the URL of an admin cell and, for 保存, the form to post."""
    if endpoint == "管理-トップ":
        return reverse("admin:index"), None
    if endpoint == "管理-実績値の指標検索":
        return (reverse("admin:autocomplete") + "?app_label=indicators&model_name=actual"
                "&field_name=indicator&term=ISE"), None
    _, name, action = endpoint.split("-")
    spec = ADMIN_MODELS[name]
    if action == "一覧":
        return reverse(f"admin:{spec.url_name}_changelist"), None
    if action == "追加":
        return reverse(f"admin:{spec.url_name}_add"), None
    obj = spec.pick(world, role, target)
    if action == "変更画面":
        return reverse(f"admin:{spec.url_name}_change", args=[obj.pk]), None
    if action == "削除確認":
        return reverse(f"admin:{spec.url_name}_delete", args=[obj.pk]), None
    if action == "履歴":
        return reverse(f"admin:{spec.url_name}_history", args=[obj.pk]), None
    if action == "保存":
        url = reverse(f"admin:{spec.url_name}_change", args=[obj.pk])
        data = browser_form_data(system_client().get(url).content.decode())
        return url, {**data, **spec.edit}
    raise AssertionError(endpoint)


def saved(world: World, role: str, endpoint: str, target: str) -> bool:
    """Whether the 保存 cell's edit reached the database."""
    _, name, _ = endpoint.split("-")
    spec = ADMIN_MODELS[name]
    obj = spec.pick(world, role, target)
    obj.refresh_from_db()
    field, value = next(iter(spec.edit.items()))
    stored = getattr(obj, field)
    return stored == (Decimal(value) if isinstance(stored, Decimal) else value)


def add_actual_form(world: World, role: str, target: str) -> dict[str, Any]:
    """The add form for an actual of ``target``'s KGI, for a year it lacks."""
    data = browser_form_data(
        system_client().get(reverse("admin:indicators_actual_add")).content.decode()
    )
    data.update({"indicator": str(world.kgi(role, target).pk), "fiscal_year": str(NEW_YEAR),
                 "value": "12", "state": "measured"})
    return data


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(ADMIN))
def test_admin(world, role, endpoint, target, expected):
    if endpoint == "管理-実績値-追加保存":
        return check_actual_added(world, role, target, expected)
    url, data = admin_request(world, role, endpoint, target)
    client = client_as(role, world)
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code == expected, form_errors(response)
    if expected == 403:
        assert_forbidden_in_japanese(response)
    if expected == 302:
        assert_redirect_is_login(response, role, admin=True)
    if data is not None:
        assert saved(world, role, endpoint, target) == (
            expected == 302 and role not in OUTSIDE_ADMIN
        )


def check_actual_added(world: World, role: str, target: str, expected: int | str) -> None:
    kgi = world.kgi(role, target)
    response = client_as(role, world).post(
        reverse("admin:indicators_actual_add"), add_actual_form(world, role, target)
    )
    added = Actual.objects.filter(indicator=kgi, fiscal_year=NEW_YEAR).exists()
    if expected == NOT_OFFERED:
        assert response.status_code == 200
        errors = response.context_data["adminform"].form.errors
        assert "indicator" in errors, errors
        assert not added
        return
    assert response.status_code == expected, form_errors(response)
    assert_redirect_is_login(response, role, admin=True)
    assert added == (role not in OUTSIDE_ADMIN)


# ---------------------------------------------------------------------------
# Confirming and reopening actuals.

REOPEN_REASON = "権限表テスト：数値の誤りを直すため"


def confirm_request(actual: Actual, endpoint: str) -> tuple[str, str, dict | None]:
    """Return the method, URL and data of a confirm-step cell."""
    if endpoint.startswith("一括"):
        action = "confirm_selected" if endpoint == "一括確定" else "reopen_selected"
        return "post", reverse("admin:indicators_actual_changelist"), {
            "action": action, "_selected_action": [actual.pk], "index": "0",
            "apply": "1", "reason": REOPEN_REASON, "seen": f"{actual.pk}:{actual.version}",
        }
    name = "confirm" if endpoint.startswith("確定画面") or endpoint == "確定" else "reopen"
    url = reverse(f"admin:indicators_actual_{name}", args=[actual.pk])
    if endpoint.endswith("画面"):
        return "get", url, None
    seen = {"seen": f"{actual.pk}:{actual.version}"}
    return "post", url, {"reason": REOPEN_REASON, **seen} if name == "reopen" else seen


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(CONFIRM_ACTIONS))
def test_confirm_step(world, role, endpoint, target, expected):
    actual = Actual.objects.get(indicator=world.kgi(role, target), fiscal_year=YEAR)
    reopening = "取消" in endpoint
    if reopening:
        Actual.objects.filter(pk=actual.pk).update(confirmed=True)
    method, url, data = confirm_request(actual, endpoint)
    response = getattr(client_as(role, world), method)(url, data)
    status = 302 if expected in (DONE, IGNORED) else expected
    assert response.status_code == status
    if status == 302:
        assert_redirect_is_login(response, role, admin=True)
    actual.refresh_from_db()
    changed = actual.confirmed != reopening
    done = expected == DONE or (
        expected == 302 and method == "post" and role not in OUTSIDE_ADMIN
    )
    assert changed == done


# ---------------------------------------------------------------------------
# Imports in the admin.

TARGET_HEADER = ["指標コード", "年度", "目標値"]


def definitions_file(world: World, role: str, target: str) -> tuple[bytes, str]:
    """A definitions sheet with one new KGI for ``target``'s plan, and its code."""
    city = world.city(role, target)
    template = openpyxl.load_workbook(
        io.BytesIO(definitions.definitions_template(plan=city.plan))
    )
    headers = [cell.value for cell in template.worksheets[0][1]]
    code = f"{city.code.upper()}2-T99"
    values = {"計画コード": city.plan.code, "基本方針番号": 1, "施策番号": 1, "指標コード": code,
              "項目": "権限表テスト用の指標（架空）", "単位": "件", "評価の型": "増加型",
              "集計方法": "単年度"}
    return xlsx([[values.get(header) for header in headers]], headers), code


def import_upload(world: World, role: str, endpoint: str, target: str) -> tuple[str, bytes, str]:
    """Return the import URL, the file, and the code of its one row."""
    if endpoint == "取込-実績-アップロード":
        code = world.kgi(role, target).code
        return "admin:indicators_actual_import", xlsx(
            [[code, NEW_YEAR, "12", None]], ACTUAL_HEADER
        ), code
    if endpoint == "取込-目標値-アップロード":
        kgi = world.kgi(role, target)
        value = Target.objects.get(indicator=kgi, fiscal_year=YEAR).value
        # The value in force, unchanged: accepted means "変更なし".
        return "admin:indicators_target_import", xlsx(
            [[kgi.code, YEAR, f"{value:f}"]], TARGET_HEADER
        ), kgi.code
    data, code = definitions_file(world, role, target)
    return "admin:indicators_indicator_import", data, code


def import_page_url(endpoint: str) -> str:
    model = {"実績": "actual", "目標値": "target", "指標定義": "indicator"}[endpoint.split("-")[1]]
    return reverse(f"admin:indicators_{model}_import")


def form_errors(response: HttpResponse) -> str:
    """The admin form's errors, to explain an unexpected answer."""
    context = getattr(response, "context_data", None) or {}
    adminform = context.get("adminform")
    if adminform is None:
        return response.content.decode()[:500]
    inlines = [formset.errors for formset in context.get("inline_admin_formsets", [])
               for formset in [formset.formset]]
    return f"{adminform.form.errors} {inlines}"


def page_text(response: HttpResponse) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(IMPORTS))
def test_imports(world, role, endpoint, target, expected):
    client = client_as(role, world)
    if endpoint.endswith("画面"):
        response = client.get(import_page_url(endpoint))
        assert response.status_code == expected
        if expected == 302:
            assert_redirect_is_login(response, role, admin=True)
        return
    url_name, data, code = import_upload(world, role, endpoint, target)
    history = {model: model.history.count() for model in (Actual, Target, Indicator)}
    response = client.post(reverse(url_name), {
        "import_file": SimpleUploadedFile("権限表テスト.xlsx", data),
        "format": "0", "resource": "0",
    })
    # Nothing is written before the preview is confirmed, refused or not.
    assert {model: model.history.count() for model in history} == history
    assert not Indicator.objects.filter(code__endswith="2-T99").exists()
    if expected in (ACCEPTED, REFUSED):
        assert response.status_code == 200
        text = page_text(response)
        process = url_name.replace("_import", "_process_import")
        if expected == ACCEPTED:
            assert "取り込めません" not in text, text[:3000]
            assert reverse(process) in text
        else:
            assert "取り込めません（1件のエラー）" in text, text[:3000]
            assert re.search(rf"<td>2行目</td><td>[^<]+</td><td>{code}</td>", text), text[:3000]
            assert reverse(process) not in text
        return
    assert response.status_code == expected
    if expected == 302:
        assert_redirect_is_login(response, role, admin=True)


# ---------------------------------------------------------------------------
# What the admin offers: KGI choices and searches, department choices.

# The KGIs named in World, by role: those whose actuals the role may enter.
ENTRY_KGIS = {
    SYSTEM: {"ISE2-01", "ISE2-16", "IGA2-T01", "IGA2-T02"},
    OFFICE_ISE: {"ISE2-01", "ISE2-16"},
    DEPARTMENT_ISE: {"ISE2-01"},
    OFFICE_IGA: {"IGA2-T01", "IGA2-T02"},
    DEPARTMENT_IGA: {"IGA2-T01"},
}
NAMED_KGIS = {"ISE2-01", "ISE2-16", "IGA2-T01", "IGA2-T02"}
# Which KGIs a role may enter, beyond those named: a department only its own.
ALL_OF_CITY = {SYSTEM: ("ISE", "IGA"), OFFICE_ISE: ("ISE",), OFFICE_IGA: ("IGA",),
               DEPARTMENT_ISE: (), DEPARTMENT_IGA: ()}


def allowed_codes(role: str) -> set[str]:
    """Every KGI code ``role`` may enter actuals for."""
    prefixes = ALL_OF_CITY[role]
    if not prefixes:
        return set(ENTRY_KGIS[role])
    every = Indicator.objects.values_list("code", flat=True)
    return {code for code in every if code.startswith(prefixes)}


@pytest.mark.parametrize("role", list(ENTRY_KGIS))
def test_actual_form_offers_only_kgis_the_role_may_enter(world, role):
    response = client_as(role, world).get(reverse("admin:indicators_actual_add"))
    offered = response.context_data["adminform"].form.fields["indicator"].queryset
    assert set(offered.values_list("code", flat=True)) == allowed_codes(role)


@pytest.mark.parametrize("role", list(ENTRY_KGIS))
@pytest.mark.parametrize("term", ["ISE2", "IGA2"])
def test_kgi_search_of_the_actual_form_lists_only_kgis_in_scope(world, role, term):
    # "ISE2" rather than "ISE": one page of results (20) holds all of ise-2.
    response = client_as(role, world).get(reverse("admin:autocomplete"), {
        "app_label": "indicators", "model_name": "actual", "field_name": "indicator",
        "term": term,
    })
    assert response.status_code == 200
    results = json.loads(response.content)["results"]
    listed = {Indicator.objects.get(pk=item["id"]).code for item in results}
    assert listed == {code for code in allowed_codes(role) if code.startswith(term)}


@pytest.mark.parametrize(
    ("role", "page"),
    [(OFFICE_ISE, "add"), (OFFICE_ISE, "change"), (OFFICE_IGA, "add"), (OFFICE_IGA, "change"),
     (SYSTEM, "change")],
)
def test_measure_form_offers_only_departments_of_its_city(world, role, page):
    city = world.home(role)
    if page == "add":
        url = reverse("admin:plans_measure_add")
    else:
        url = reverse("admin:plans_measure_change", args=[city.own_kgi.measure.pk])
    response = client_as(role, world).get(url)
    offered = response.context_data["adminform"].form.fields["departments"].queryset
    assert set(offered.values_list("municipality__code", flat=True)) == {city.code}
    assert {city.own_department, city.other_department} <= set(offered)


@pytest.mark.parametrize("role", [OFFICE_ISE, OFFICE_IGA])
def test_office_registers_a_department_in_its_own_city_only(world, role):
    """The DX office may not change municipalities, but files sections under its own."""
    client = client_as(role, world)
    url = reverse("admin:plans_department_add")
    offered = client.get(url).context_data["adminform"].form.fields["municipality"].queryset
    assert list(offered) == [world.home(role).municipality]
    for city, saved_as in ((world.away(role), False), (world.home(role), True)):
        name = f"権限表テストの新しい課（{city.code}）"
        response = client.post(url, {"municipality": city.municipality.pk, "name": name,
                                     "division": ""})
        assert Department.objects.filter(name=name).exists() == saved_as
        assert response.status_code == (302 if saved_as else 200)


# ---------------------------------------------------------------------------
# What a department user finds on the pages it may open.


def test_department_entry_sheet_holds_only_its_own_kgis(world):
    client = client_as(DEPARTMENT_ISE, world)
    response = client.get(reverse("spreadsheets:entry_sheet", args=["ise-2"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
    cells_text = {str(cell.value) for sheet in workbook for row in sheet.iter_rows()
                  for cell in row if cell.value is not None}
    assert "ISE2-01" in cells_text
    assert not any(code in cells_text for code in ("ISE2-02", "ISE2-16"))


INTERNAL_LINK = re.compile(r'href="(/[^"#]*)"')


@pytest.mark.parametrize("role", [DEPARTMENT_ISE, DEPARTMENT_IGA])
def test_department_pages_link_only_to_pages_it_may_open(world, role):
    """A department user never meets a link that answers 404 or 403."""
    client = client_as(role, world)
    city = world.home(role)
    pages = [reverse("pages:home"),
             reverse("pages:department", args=[city.own_department.pk]),
             reverse("pages:indicator", args=[city.own_kgi.code])]
    broken = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200
        for link in set(INTERNAL_LINK.findall(response.content.decode())):
            if link.startswith(("/static/", reverse("logout"))):
                continue
            status = client.get(link.replace("&amp;", "&")).status_code
            if status >= 400:
                broken.add(f"{page} → {link}: {status}")
    assert not broken, sorted(broken)


# ---------------------------------------------------------------------------
# The commands, acting as a user.


def test_kpi_status_for_another_citys_plan_fails(world):
    user = login_for(OFFICE_ISE, world)
    with pytest.raises(CommandError, match="計画コード「iga-2」はありません"):
        call_command("kpi_status", "--plan", "iga-2", "--year", str(YEAR),
                     "--user", user.username, stdout=io.StringIO())
    out = io.StringIO()
    call_command("kpi_status", "--plan", "ise-2", "--year", str(YEAR), "--user", user.username,
                 stdout=out)
    assert "ISE2-01" in out.getvalue()


def test_kpi_status_needs_a_whole_plan_role(world):
    user = login_for(DEPARTMENT_ISE, world)
    with pytest.raises(CommandError, match="計画コード「ise-2」はありません"):
        call_command("kpi_status", "--plan", "ise-2", "--year", str(YEAR),
                     "--user", user.username, stdout=io.StringIO())


def test_import_actuals_refuses_a_row_outside_the_users_scope(world, tmp_path):
    user = login_for(DEPARTMENT_ISE, world)
    path = tmp_path / "部署回答.xlsx"
    path.write_bytes(xlsx([["ISE2-01", NEW_YEAR, "12", None],
                           ["ISE2-16", NEW_YEAR, "54000", None]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1件のエラー"):
        call_command("import_actuals", str(path), "--user", user.username,
                     stdout=io.StringIO(), stderr=err)
    assert "3行目" in err.getvalue() and "ISE2-16" in err.getvalue()
    assert not Actual.objects.filter(fiscal_year=NEW_YEAR).exists()
