"""Who may reach and run the reporting round (実績報告): every URL × role × target.

The permission matrix of :mod:`tests.test_permission_matrix`, grown to the
round's pages and actions (reporting/urls.py) and the home page's banner.
Same columns (the eight roles), same ids (``[<role>-<endpoint>-<target>]``),
and the answers written out cell by cell from the rules, not computed from
the code:

- a 所管課 login reaches only its own department's submission (and the
  rounds it has one in), sees and saves only its own KGIs' values and
  submits them; the office's own pages and actions are not its (403);
- only the DX office of the round's city (and システム管理者) opens a
  round, reads its board, extends and closes it, returns and confirms a
  submission; it reads a department's page but does not enter or submit
  for the department (403);
- 閲覧 reaches its city's rounds and submissions but may do nothing with
  them (403); 権限なし reaches nothing (404), and the pages that are not
  about one round (the list, the opening form) answer it 403.

Each city has a round of fiscal 2026 opened (ise-2 and iga-2, deadline in
30 days), with a submission for each of its two departments (World: own
and other, one KGI each, with a 2026 actual still 入力中). Targets, as in
the matrix, are relative to the acting role's city (Ise for システム管理者,
権限なし and 未ログイン): 自課 / 他課 the submission of the role's own /
another department of its city, 自市 / 他市 the round (or plan) of its city
/ the other city, 全体 a page about no one round.

The answers:

- 200; 302 after an action done (to the board, the submission's page or
  the new round's board), and for 未ログイン (to the login page, with next);
- 404 outside the role's scope, 403 within reach for a role that may not
  (the page says so in Japanese);
- 拒否 (200): the form comes back with its Japanese reason, nothing saved
  (the office of one city opening a round on the other's plan);
- 表示 / 非表示 (the home banner, 200): the line of the target's
  submission is shown / is not.

A POST is built from the page as a login that may use it renders it (the
department's own login for 保存 and 提出, the city's office for the rest)
and posted as the role under test, so a cell tests permission, not the
form. After every request the database is compared with before: it
changes only on an action done, and then in the way the action says. A
page that answers 200 is checked for what it must show (its department's
KGI, the form only for the department itself) and must not (any other
KGI, another city's departments).

Beside the tables: which rounds and submissions the list links, by role,
and that the round's pages link to nothing the role may not open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from indicators.models import Actual, Outlook
from reporting import services
from reporting.models import (
    Message,
    Purpose,
    ReturnNote,
    Round,
    RoundStatus,
    Submission,
    SubmissionStatus,
)
from tests.helpers import client_for, form_data, user_with_role, visible_text
from tests.test_permission_matrix import (
    ANONYMOUS,
    DEPARTMENT_IGA,
    DEPARTMENT_ISE,
    NEW_YEAR,
    OFFICE_IGA,
    OFFICE_ISE,
    SYSTEM,
    YEAR,
    City,
    World,
    assert_forbidden_in_japanese,
    assert_redirect_is_login,
    build_world,
    cells,
    client_as,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpResponse

    from plans.models import Department

pytestmark = pytest.mark.django_db

REFUSED = "拒否"
SHOWN = "表示"
HIDDEN = "非表示"

# ---------------------------------------------------------------------------
# The expected answers. Columns: see ROLES.
#
#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
ROUND_URLS: dict[tuple[str, str], tuple[int | str, ...]] = {
    # The office's list of rounds; a department's list of its submissions.
    ("一覧", "全体"):                    (200,    200,   200,    403,    200,   200,    403,  302),
    ("開始画面", "全体"):                (200,    200,   403,    403,    200,   403,    403,  302),
    # A round of fiscal 2027 on the city's plan; another city's plan is not
    # among the office's choices.
    ("開始", "自市"):                    (302,    302,   403,    403,    302,   403,    403,  302),
    ("開始", "他市"):                    (302, REFUSED,  403,    403, REFUSED,  403,    403,  302),
    # The board: a department reaches its city's round (it has a submission
    # in it) but the board is the office's.
    ("ボード", "自市"):                  (200,    200,   403,    403,    200,   403,    404,  302),
    ("ボード", "他市"):                  (200,    404,   404,    404,    404,   404,    404,  302),
    ("期限延長", "自市"):                (302,    302,   403,    403,    302,   403,    404,  302),
    ("期限延長", "他市"):                (302,    404,   404,    404,    404,   404,    404,  302),
    ("締切", "自市"):                    (302,    302,   403,    403,    302,   403,    404,  302),
    ("締切", "他市"):                    (302,    404,   404,    404,    404,   404,    404,  302),
    # A department's page: the office reads it; only the department saves
    # and submits.
    ("入力ページ", "自課"):              (200,    200,   200,    403,    200,   200,    404,  302),
    ("入力ページ", "他課"):              (200,    200,   404,    403,    200,   404,    404,  302),
    ("入力ページ", "他市"):              (200,    404,   404,    404,    404,   404,    404,  302),
    ("保存", "自課"):                    (403,    403,   302,    403,    403,   302,    404,  302),
    ("保存", "他課"):                    (403,    403,   404,    403,    403,   404,    404,  302),
    ("保存", "他市"):                    (403,    404,   404,    404,    404,   404,    404,  302),
    ("提出", "自課"):                    (403,    403,   302,    403,    403,   302,    404,  302),
    ("提出", "他課"):                    (403,    403,   404,    403,    403,   404,    404,  302),
    ("提出", "他市"):                    (403,    404,   404,    404,    404,   404,    404,  302),
    # The office's answer to a submission (提出済).
    ("差戻し画面", "自課"):              (200,    200,   403,    403,    200,   403,    404,  302),
    ("差戻し画面", "他課"):              (200,    200,   404,    403,    200,   404,    404,  302),
    ("差戻し画面", "他市"):              (200,    404,   404,    404,    404,   404,    404,  302),
    ("差戻し", "自課"):                  (302,    302,   403,    403,    302,   403,    404,  302),
    ("差戻し", "他課"):                  (302,    302,   404,    403,    302,   404,    404,  302),
    ("差戻し", "他市"):                  (302,    404,   404,    404,    404,   404,    404,  302),
    ("確定", "自課"):                    (302,    302,   403,    403,    302,   403,    404,  302),
    ("確定", "他課"):                    (302,    302,   404,    403,    302,   404,    404,  302),
    ("確定", "他市"):                    (302,    404,   404,    404,    404,   404,    404,  302),
    # An outlook round (見込み報告) of the same year: the same rules.
    ("見込み-入力ページ", "自課"):       (200,    200,   200,    403,    200,   200,    404,  302),
    ("見込み-入力ページ", "他市"):       (200,    404,   404,    404,    404,   404,    404,  302),
    ("見込み-保存", "自課"):             (403,    403,   302,    403,    403,   302,    404,  302),
    ("見込み-保存", "他市"):             (403,    404,   404,    404,    404,   404,    404,  302),
}

# The home page's banner: a 所管課 login's own open submission, no one else's.
#                                       システム  DX-ise 所管-ise 閲覧-ise DX-iga 所管-iga なし  未ログイン
BANNER: dict[tuple[str, str], tuple[int | str, ...]] = {
    ("ホームの案内", "自課"):            (HIDDEN, HIDDEN, SHOWN, HIDDEN, HIDDEN, SHOWN, HIDDEN, 302),
    ("ホームの案内", "他課"):            (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN,
                                         302),
    ("ホームの案内", "他市"):            (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN,
                                         302),
}

# The links of the list of rounds (一覧), by role: a board of a city's round
# (the office), a department's submission page (the department).
LIST_LINKS = {
    SYSTEM: {"ボード-ise", "ボード-iga"},
    OFFICE_ISE: {"ボード-ise"},
    DEPARTMENT_ISE: {"入力ページ-ise-自課"},
    OFFICE_IGA: {"ボード-iga"},
    DEPARTMENT_IGA: {"入力ページ-iga-自課"},
}

# ---------------------------------------------------------------------------
# The rounds the cells act on.


@pytest.fixture
def world(plans) -> World:
    return build_world()


def deadline() -> date:
    return timezone.localdate() + timedelta(days=30)


def login(username: str, make: Callable[[], Any]) -> Any:
    return get_user_model().objects.filter(username=username).first() or make()


def office_of(city: City) -> Any:
    """The city's DX office, which renders the office's forms."""
    name = f"matrix-office-{city.code}"
    return login(name, lambda: user_with_role(Role.OFFICE, municipality=city.code,
                                              username=name))


def member_of(department: Department) -> Any:
    """A login of ``department``, which renders and submits its page."""
    name = f"matrix-member-{department.pk}"
    return login(name, lambda: user_with_role(
        Role.DEPARTMENT, municipality=department.municipality.code,
        departments=(department.name,), username=name,
    ))


def open_round(city: City, purpose: Purpose = Purpose.ACTUAL) -> Round:
    return services.round_open(plan=city.plan, fiscal_year=YEAR, deadline=deadline(),
                               user=office_of(city), purpose=purpose)


@pytest.fixture
def rounds(world) -> dict[str, Round]:
    """The fiscal-2026 round of ise-2 and of iga-2, by city code."""
    return {city.code: open_round(city) for city in (world.ise, world.iga)}


def submission_of(round_: Round, department: Department) -> Submission:
    return Submission.objects.select_related("round").get(round=round_, department=department)


def submit(submission: Submission) -> None:
    """Submit as the department would (its KGI already has a 2026 actual)."""
    services.submission_submit(submission=submission, user=member_of(submission.department),
                               seen=submission.version)


def snapshot() -> tuple:
    """Everything a round's request may change."""
    return (
        list(Round.objects.order_by("pk").values_list("pk", "version", "deadline", "status")),
        list(Submission.objects.order_by("pk").values_list("pk", "version", "status")),
        ReturnNote.objects.count(),
        list(Actual.objects.order_by("pk").values_list("pk", "version", "value", "confirmed")),
        list(Outlook.objects.order_by("pk").values_list("pk", "version", "value", "confirmed")),
        Message.objects.count(),
    )


# ---------------------------------------------------------------------------
# Each cell's request: its URL, the form it posts, and what a success does.


@dataclass
class Request:
    url: str
    data: dict[str, Any] | None = None  # None: a GET
    # After an action done: where the 302 leads, and whether it did its change.
    done_at: Callable[[], str] = lambda: ""
    done: Callable[[], bool] = lambda: False
    # The Japanese reason of a refused form (REFUSED).
    refusal: str = ""
    # What a 200 page must and must not contain.
    present: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)


def page_form(user: Any, page: str, action: str) -> dict[str, Any]:
    response = client_for(user).get(page)
    assert response.status_code == 200, page
    data = form_data(response.content.decode(), action=action)
    assert data, f"no form to {action} on {page}"
    return data


def open_request(world: World, role: str, target: str) -> Request:
    city = world.city(role, target)
    url = reverse("reporting:round_open")
    data = page_form(office_of(city), url, url) | {
        "plan": str(city.plan.pk), "fiscal_year": str(NEW_YEAR),
        "deadline": deadline().isoformat(), "purpose": Purpose.ACTUAL.value,
    }

    def opened() -> Round | None:
        return Round.objects.filter(plan=city.plan, fiscal_year=NEW_YEAR).first()

    def its_board() -> str:
        round_ = opened()
        return reverse("reporting:board", args=[round_.pk]) if round_ else ""

    return Request(url, data, done=lambda: opened() is not None, done_at=its_board,
                   refusal="選べない計画です。一覧にある計画を選んでください。")


def round_request(world: World, rounds: dict[str, Round], role: str, endpoint: str,
                  target: str) -> Request:
    city = world.city(role, target)
    round_ = rounds[city.code]
    board = reverse("reporting:board", args=[round_.pk])
    if endpoint == "ボード":
        elsewhere = world.iga if city is world.ise else world.ise
        return Request(board, present=[city.own_department.name, city.other_department.name],
                       absent=[elsewhere.own_department.name, elsewhere.other_department.name])
    name = "round_extend" if endpoint == "期限延長" else "round_close"
    url = reverse(f"reporting:{name}", args=[round_.pk])
    data = page_form(office_of(city), board, url)
    later = deadline() + timedelta(days=15)
    if endpoint == "期限延長":
        data["deadline"] = later.isoformat()

    def done() -> bool:
        round_.refresh_from_db()
        if endpoint == "期限延長":
            return round_.deadline == later and round_.is_open
        return round_.status == RoundStatus.CLOSED

    return Request(url, data, done_at=lambda: board, done=done)


def not_its_kgis(world: World, kgi: Any) -> list[str]:
    """The codes of the world's other KGIs: a submission's pages show one department's."""
    return [city_kgi.code for city in (world.ise, world.iga)
            for city_kgi in (city.own_kgi, city.other_kgi) if city_kgi != kgi]


def entry_request(world: World, role: str, endpoint: str, target: str,
                  round_: Round) -> Request:
    """入力ページ, 保存 and 提出 of the target's submission in ``round_``."""
    department = world.department(role, target)
    kgi = world.kgi(role, target)
    submission = submission_of(round_, department)
    page = reverse("reporting:submission", args=[submission.pk])
    if endpoint == "入力ページ":
        # The department's own login gets the form; the office reads the page.
        form = f'action="{page}"'
        enters = role in (DEPARTMENT_ISE, DEPARTMENT_IGA)
        return Request(page, present=[kgi.code, round_.value_word, *([form] if enters else [])],
                       absent=[*not_its_kgis(world, kgi), *([] if enters else [form])])
    member = member_of(department)
    if endpoint == "保存":
        data = page_form(member, page, page) | {f"value-{kgi.pk}": "77"}
        model = services.result_model(round_)

        def saved() -> bool:
            row = model.objects.filter(indicator=kgi, fiscal_year=YEAR).first()
            return row is not None and row.value == 77

        return Request(page, data, done_at=lambda: page, done=saved)
    url = reverse("reporting:submission_submit", args=[submission.pk])
    data = page_form(member, page, url)

    def submitted() -> bool:
        submission.refresh_from_db()
        return submission.status == SubmissionStatus.SUBMITTED

    return Request(url, data, done_at=lambda: page, done=submitted)


def answer_request(world: World, rounds: dict[str, Round], role: str, endpoint: str,
                   target: str) -> Request:
    """差戻し画面, 差戻し and 確定 of the target's submission, submitted first."""
    city = world.city(role, target)
    round_ = rounds[city.code]
    submission = submission_of(round_, world.department(role, target))
    submit(submission)
    board = reverse("reporting:board", args=[round_.pk])
    return_url = reverse("reporting:submission_return", args=[submission.pk])
    if endpoint == "差戻し画面":
        kgi = world.kgi(role, target)
        return Request(return_url, present=[kgi.code], absent=not_its_kgis(world, kgi))
    if endpoint == "差戻し":
        data = page_form(office_of(city), return_url, return_url)
        data["comment-general"] = "権限表テスト：根拠を添えてください。"

        def returned() -> bool:
            submission.refresh_from_db()
            return (submission.status == SubmissionStatus.RETURNED
                    and submission.return_notes.count() == 1)

        return Request(return_url, data, done_at=lambda: board, done=returned)
    url = reverse("reporting:submission_confirm", args=[submission.pk])
    data = page_form(office_of(city), board, url)
    actual = Actual.objects.get(indicator=world.kgi(role, target), fiscal_year=YEAR)

    def confirmed() -> bool:
        submission.refresh_from_db()
        actual.refresh_from_db()
        return submission.status == SubmissionStatus.CONFIRMED and actual.confirmed

    return Request(url, data, done_at=lambda: board, done=confirmed)


def cell_request(world: World, rounds: dict[str, Round], role: str, endpoint: str,
                 target: str) -> Request:
    """Set up the cell's state and return its request."""
    if endpoint == "一覧":
        return Request(reverse("reporting:rounds"))
    if endpoint == "開始画面":
        return Request(reverse("reporting:round_open"))
    if endpoint == "開始":
        return open_request(world, role, target)
    if endpoint in ("ボード", "期限延長", "締切"):
        return round_request(world, rounds, role, endpoint, target)
    if endpoint in ("入力ページ", "保存", "提出"):
        return entry_request(world, role, endpoint, target, rounds[world.city(role, target).code])
    if endpoint.startswith("見込み-"):
        outlooks = {city.code: open_round(city, Purpose.OUTLOOK) for city in (world.ise, world.iga)}
        return entry_request(world, role, endpoint.removeprefix("見込み-"), target,
                             outlooks[world.city(role, target).code])
    return answer_request(world, rounds, role, endpoint, target)


def check_redirect(response: HttpResponse, role: str, request: Request) -> None:
    """A visitor goes to the login page and back; an action done, where it says."""
    assert_redirect_is_login(response, role, admin=False)
    location = response["Location"]
    if role == ANONYMOUS:
        assert location == f"{reverse('login')}?next={quote(request.url)}", location
        return
    assert location == request.done_at(), location


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(ROUND_URLS))
def test_round_urls(world, rounds, role, endpoint, target, expected):
    request = cell_request(world, rounds, role, endpoint, target)
    client = client_as(role, world)
    before = snapshot()
    if request.data is None:
        response = client.get(request.url)
    else:
        response = client.post(request.url, request.data)
    assert response.status_code == (200 if expected == REFUSED else expected)
    if expected == 403:
        assert_forbidden_in_japanese(response)
    if expected == 302:
        check_redirect(response, role, request)
    done = expected == 302 and role != ANONYMOUS and request.data is not None
    assert (snapshot() != before) == done
    assert request.done() == done
    if expected == REFUSED:
        assert request.refusal in visible_text(response)
    if expected == 200:
        html = response.content.decode()
        assert all(text in html for text in request.present), request.present
        assert not any(text in html for text in request.absent), request.absent


# ---------------------------------------------------------------------------
# The list of rounds and the home page's banner: which links they hold.


def link_targets(world: World, rounds: dict[str, Round]) -> dict[str, str]:
    """Each link the list or the banner may hold, by name."""
    links = {f"ボード-{code}": reverse("reporting:board", args=[round_.pk])
             for code, round_ in rounds.items()}
    for city in (world.ise, world.iga):
        for name, department in (("自課", city.own_department), ("他課", city.other_department)):
            submission = submission_of(rounds[city.code], department)
            links[f"入力ページ-{city.code}-{name}"] = reverse("reporting:submission",
                                                          args=[submission.pk])
    return links


@pytest.mark.parametrize("role", list(LIST_LINKS))
def test_the_list_links_only_what_the_role_runs_or_enters(world, rounds, role):
    response = client_as(role, world).get(reverse("reporting:rounds"))
    html = response.content.decode()
    listed = {name for name, url in link_targets(world, rounds).items()
              if f'href="{url}"' in html}
    assert listed == LIST_LINKS[role]


BANNER_SECTION = re.compile(r'<section class="section reporting-banner".*?</section>', re.S)


@pytest.mark.parametrize(("role", "endpoint", "target", "expected"), cells(BANNER))
def test_home_banner(world, rounds, role, endpoint, target, expected):
    city = world.city(role, target)
    submission = submission_of(rounds[city.code], world.department(role, target))
    response = client_as(role, world).get(reverse("pages:home"))
    if expected == 302:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        return
    assert response.status_code == 200
    banner = BANNER_SECTION.search(response.content.decode())
    link = f'href="{reverse("reporting:submission", args=[submission.pk])}"'
    if expected == SHOWN:
        assert banner is not None
        # Its own line only: one round, one department.
        assert banner.group().count("reporting-banner__item") == 1
        assert link in banner.group()
        assert rounds[city.code].title in banner.group()
    else:
        assert banner is None or link not in banner.group()
    if role not in (DEPARTMENT_ISE, DEPARTMENT_IGA):
        assert banner is None


def test_the_table_covers_every_role_and_url():
    """Every reporting URL name has a row; the columns are the matrix's roles."""
    from reporting.urls import urlpatterns

    covered = {"rounds": "一覧", "round_open": "開始", "board": "ボード",
               "round_extend": "期限延長", "round_close": "締切", "submission": "保存",
               "submission_submit": "提出", "submission_return": "差戻し",
               "submission_confirm": "確定"}
    assert {pattern.name for pattern in urlpatterns} == set(covered)
    endpoints = {endpoint for endpoint, _ in ROUND_URLS}
    assert set(covered.values()) <= endpoints


INTERNAL_LINK = re.compile(r'href="(/[^"#]*)"')


@pytest.mark.parametrize("role", [DEPARTMENT_ISE, DEPARTMENT_IGA, OFFICE_ISE, OFFICE_IGA])
def test_the_rounds_pages_link_only_to_pages_the_role_may_open(world, rounds, role):
    """A department or the office never meets a link that answers 404 or 403."""
    city = world.home(role)
    round_ = rounds[city.code]
    own = submission_of(round_, city.own_department)
    submit(own)
    pages = [reverse("pages:home"), reverse("reporting:rounds"),
             reverse("reporting:submission", args=[own.pk])]
    if role in (OFFICE_ISE, OFFICE_IGA):
        pages += [reverse("reporting:board", args=[round_.pk]),
                  reverse("reporting:submission_return", args=[own.pk]),
                  reverse("reporting:round_open")]
    client = client_as(role, world)
    broken = set()
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        for link in set(INTERNAL_LINK.findall(response.content.decode())):
            if link.startswith(("/static/", reverse("logout"))):
                continue
            status = client.get(link.replace("&amp;", "&")).status_code
            if status >= 400:
                broken.add(f"{page} → {link}: {status}")
    assert not broken, sorted(broken)
