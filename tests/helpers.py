"""What the tests share: logins with a role, forms as a browser sends them,
a page's visible text, synthetic KGIs on a shipped plan, and spreadsheet files.

Factories for rows of every model are in :mod:`tests.factories`; driving
Chromium is :mod:`tests.browser.helpers`'.
"""

from __future__ import annotations

import html
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import Affiliation
from accounts.roles import Role
from indicators.models import Actual, Indicator, Target
from plans.models import Department, Measure, Municipality, Plan

# Logins -------------------------------------------------------------------

PASSWORD = "pass-for-tests-1"


def user_with_role(
    role: Role, *, municipality: str | None = "ise", departments: tuple[str, ...] = (),
    username: str | None = None,
):
    """Create a user in ``role``'s group, affiliated with ``municipality`` (a code).

    ``departments`` are department names of that municipality.
    """
    user = get_user_model().objects.create_user(
        username or f"{role.name.lower()}-{municipality or 'all'}", password=PASSWORD
    )
    user.groups.add(Group.objects.get(name=role.value))
    if municipality is not None:
        affiliation = Affiliation.objects.create(
            user=user, municipality=Municipality.objects.get(code=municipality)
        )
        if departments:
            affiliation.departments.set(
                Department.objects.filter(municipality__code=municipality, name__in=departments)
            )
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Forms --------------------------------------------------------------------

class _FormParser(HTMLParser):
    def __init__(self, action: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self._action = action
        self.data: dict[str, str | list[str]] = {}
        self._select: str | None = None
        self._multiple = False
        self._select_first: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if self._action is None:
                self._in_form = a.get("id", "").endswith("_form")
            else:
                self._in_form = a.get("action") == self._action
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value", "on")
                return
            self.data[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
            self._select_first = None
            # A multiple select sends every selected option, and nothing
            # when none is selected; a single one falls back to its first.
            self._multiple = "multiple" in a
        elif tag == "option" and self._select and self._multiple:
            if "selected" in a:
                self.data.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
                self.data.setdefault(self._select, self._select_first)
            if "selected" in a:
                self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data[self._textarea] = "".join(self._text).lstrip("\n")
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def form_data(html: str, action: str | None = None) -> dict[str, str | list[str]]:
    """Return a form's fields and their current values.

    The form is the admin change form, or the one posting to ``action``.
    """
    parser = _FormParser(action)
    parser.feed(html)
    return parser.data


# Pages --------------------------------------------------------------------

def visible_text(response) -> str:
    """Return the page's text with tags removed and whitespace collapsed."""
    body = response.content.decode()
    body = re.sub(r"(?s)<head>.*?</head>", " ", body)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body)).strip()


def section(text: str, start: str, end: str | None = None) -> str:
    """Return the part of ``text`` from ``start`` up to ``end``."""
    begin = text.index(start)
    if end is None:
        return text[begin:]
    return text[begin:text.index(end, begin + len(start))]


def add_synthetic_kgis(*, plan_code: str, count: int) -> list[Indicator]:
    """Add ``count`` increase KGIs to a plan, each with targets and an actual."""
    plan = Plan.objects.get(code=plan_code)
    measures = list(Measure.objects.filter(policy__plan=plan).order_by("pk"))
    start = Indicator.objects.filter(plan=plan).count() + 1
    indicators = Indicator.objects.bulk_create(
        Indicator(
            plan=plan,
            measure=measures[number % len(measures)],
            code=f"SYN-{number:03d}",
            position=start + number,
            item=f"合成指標{number}",
            unit="件",
            baseline=Decimal(10),
            baseline_year=plan.baseline_year,
        )
        for number in range(count)
    )
    Target.objects.bulk_create(
        Target(indicator=indicator, fiscal_year=year, value=Decimal(20 + year - plan.start_year))
        for indicator in indicators
        for year in plan.fiscal_years
    )
    Actual.objects.bulk_create(
        Actual(indicator=indicator, fiscal_year=plan.start_year, value=Decimal(number % 30))
        for number, indicator in enumerate(indicators)
    )
    return indicators


# Spreadsheets -------------------------------------------------------------

# The columns of an actuals file, as the entry sheet and the docs name them.
ACTUAL_HEADER = ["指標コード", "年度", "実績値", "備考"]


def xlsx(rows: list[list], header: list[str] = ACTUAL_HEADER) -> bytes:
    """Return an .xlsx file of ``header`` and ``rows``, as Excel saves it."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# A sheet typed the way departments type: mixed years, full-width digits,
# separators, %, dashes, blanks. The codes are those of a factory plan's KGIs
# (TEST-01 to TEST-09 and the milestone MILESTONE), as
# tests/spreadsheets/test_imports.py and test_writer.py build them.
MILESTONE = "TEST-90"
DEPARTMENT_ROWS = [
    ["TEST-01", "R8", "42.5%", "アンケート回収率 80%"],
    ["TEST-02", "令和8年度", "２５", ""],
    ["TEST-03", 2026, "395", None],
    ["TEST-04", "2026年度", "－", "調査を実施せず"],
    ["TEST-05", "Ｒ８", "", "集計中"],
    ["TEST-06", "R8", "6,450.5", None],
    ["TEST-07", "R8", "1,250,000", None],
    ["TEST-08", "R8", "0", None],
    ["TEST-09", "令和8年度", "３，４００", None],
]

# One good row and one bad row of each kind, by Excel row number.
BAD_ROWS = [
    ["TEST-01", "R8", "41", None],            # row 2: fine
    ["TEST-99", "R8", "1", None],             # row 3: unknown code
    ["TEST-02", "R8", "たくさん", None],       # row 4: not a number
    ["TEST-03", "R12", "1", None],            # row 5: year outside the plan
    ["TEST-01", "2026年度", "42", None],       # row 6: same code and year twice
    ["TEST-09", "R8", "-5", None],            # row 7: negative count
    [MILESTONE, "R8", "1", None],             # row 8: number on a milestone
    ["TEST-06", "来年", "1", None],            # row 9: not a year
]


def load_xlsx(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def entry_rows(sheet) -> dict[tuple[str, int], tuple]:
    """Map (code, year) to the cells of each data row of an entry sheet."""
    return {(row[0].value, row[1].value): row for row in sheet.iter_rows(min_row=2)}


def status_rows(sheet) -> dict[str, tuple]:
    """Map indicator codes to the cells of their review-table row."""
    return {
        row[0].value: row
        for row in sheet.iter_rows(min_row=3)
        if isinstance(row[0].value, str) and re.fullmatch(r"[A-Z0-9]+-\d+", row[0].value)
    }


def rgb(cell) -> str:
    """Return a cell's solid fill colour, or "" when it has none."""
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else ""


# The title the review table of ise-1's final year (R7) starts with.
ISE1_TITLE = "伊勢市デジタル行政推進ビジョン（第1期）　令和7年度（2025）"
