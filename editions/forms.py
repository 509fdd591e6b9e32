"""The forms of the edition pages: they parse what was typed; the services decide.

A freeze names the year, the meeting and its date; a withdrawal carries
the publication and the version its page showed, and the reason as typed
(blank or too long is :mod:`editions.services`' refusal, with its message).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms

from editions.services import MEETING_NAME_MAX, REASON_MAX
from ise_iga_dx.forms import JapaneseDateField
from ise_iga_dx.lib import wareki

if TYPE_CHECKING:

    from plans.models import Plan

# Primary keys and versions are 64-bit at most.
MAX_ID = 2**63 - 1
DATE_INVALID = "会議の日付を 2027-06-10 または 令和9年6月10日 の形で入力してください。"


class MeetingDateField(JapaneseDateField):
    """A meeting's date: 2027-06-10 from the date input, or 令和9年6月10日 as typed."""

    default_error_messages = {"invalid": DATE_INVALID}


class FreezeForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(
        label="年度", coerce=int,
        error_messages={
            "invalid_choice": "年度：選べない年度です。計画期間の年度から選んでください。",
            "required": "年度を選んでください。",
        },
    )
    meeting_name = forms.CharField(
        label="会議名", max_length=MEETING_NAME_MAX,
        help_text="資料を配る会議の名前（例：令和9年6月10日 第1回 伊勢市デジタル推進本部員会議）",
        error_messages={
            "required": "会議名を入力してください。",
            "max_length": f"会議名は{MEETING_NAME_MAX}文字以内で入力してください。",
        },
    )
    meeting_date = MeetingDateField(
        label="会議の日付", help_text="カレンダーから選ぶか、年・月・日を数字で入力します。",
        error_messages={"required": "会議の日付を入力してください。"},
    )

    def __init__(self, *args: object, plan: Plan, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [
            (year, wareki.fiscal_year_label(year)) for year in plan.fiscal_years
        ]


class PublishForm(forms.Form):
    with_comments = forms.BooleanField(
        label="取組状況・要因分析・今後の方向性も公表する", required=False,
    )
    # The plan-year's publication in force as the page showed it (0: none).
    in_force = forms.IntegerField(min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)


class WithdrawForm(forms.Form):
    publication = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=0, max_value=MAX_ID, widget=forms.HiddenInput)
    # Required, too long: the service's refusal says so (one wording).
    reason = forms.CharField(
        label="取り下げの理由", required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        help_text=f"必須。{REASON_MAX}文字以内。理由は変更履歴に残ります。",
    )
