"""Display width of Japanese text."""

from __future__ import annotations

from ise_iga_dx.lib.text import clip, pad, width


def test_width_counts_full_width_twice() -> None:
    assert width("ISE2-01") == 7
    assert width("達成") == 4
    assert width("１") == 2


def test_clip_and_pad() -> None:
    assert clip("デジタル\n行政", 20) == "デジタル 行政"
    assert clip("デジタル行政推進", 9) == "デジタル…"
    assert width(clip("デジタル行政推進", 9)) <= 9
    assert pad("達成", 6) == "達成  "
