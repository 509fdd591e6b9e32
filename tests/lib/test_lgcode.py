"""全国地方公共団体コード and its check digit (総務省's list)."""

from __future__ import annotations

import pytest

from ise_iga_dx.lib.lgcode import check_digit, check_error, full_code


@pytest.mark.parametrize(("five", "six"), [
    ("24203", "242039"),  # 伊勢市
    ("24216", "242161"),  # 伊賀市
    ("13101", "131016"),  # 千代田区
    ("01100", "011002"),  # 札幌市
    ("24000", "240001"),  # 三重県
    ("27100", "271004"),  # 大阪市
])
def test_the_check_digit_is_the_one_the_list_prints(five, six):
    assert full_code(five) == six
    assert check_error(six) == ""


def test_a_remainder_of_zero_gives_one():
    # 24216: 2·6 + 4·5 + 2·4 + 1·3 + 6·2 = 55 = 5 × 11.
    assert check_digit("24216") == "1"


@pytest.mark.parametrize("code", ["2420", "242039", "2420a", "２４２０３", ""])
def test_only_five_ascii_digits_have_a_check_digit(code):
    with pytest.raises(ValueError, match="団体コードは5桁の数字です"):
        check_digit(code)


def test_a_wrong_check_digit_names_the_right_one():
    assert check_error("242030") == (
        "全国地方公共団体コード「242030」の検査数字（6桁目）が合いません。"
        "「24203」なら「242039」です。"
    )


@pytest.mark.parametrize("code", ["24203", "2420391", "２４２０３９", "24203x", ""])
def test_anything_but_six_digits_is_refused(code):
    assert check_error(code) == (
        "全国地方公共団体コードは6桁の半角数字で入力してください（例：伊勢市 242039）。"
    )
