"""全国地方公共団体コード: the six-digit code of a Japanese local government.

The code is the five-digit 団体コード (JIS X 0401 prefecture, two digits, and
JIS X 0402 municipality, three) followed by a check digit (検査数字), as
総務省 publishes it: 伊勢市 24203 → 242039, 伊賀市 24216 → 242161. Open data
files carry the six digits (自治体標準オープンデータセット's first column).

The check digit: weigh the five digits 6, 5, 4, 3, 2, sum, take the sum
modulo 11; the digit is 11 minus that remainder, modulo 10 (a remainder
of 0 gives 1, a remainder of 1 gives 0).
"""

from __future__ import annotations

WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code: str) -> str:
    """Return the check digit of the five-digit 団体コード ``code``."""
    if len(code) != 5 or not code.isascii() or not code.isdigit():
        raise ValueError(f"団体コードは5桁の数字です：{code!r}")
    total = sum(int(digit) * weight for digit, weight in zip(code, WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


def full_code(code: str) -> str:
    """Return the six-digit 全国地方公共団体コード of the five-digit ``code``."""
    return code + check_digit(code)


def check_error(code: str) -> str:
    """Return why ``code`` is not a six-digit 全国地方公共団体コード, or "" if it is."""
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "全国地方公共団体コードは6桁の半角数字で入力してください（例：伊勢市 242039）。"
    expected = full_code(code[:5])
    if code != expected:
        return (
            f"全国地方公共団体コード「{code}」の検査数字（6桁目）が合いません。"
            f"「{code[:5]}」なら「{expected}」です。"
        )
    return ""
