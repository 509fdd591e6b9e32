"""Numbers with the decimals they were entered with."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ise_iga_dx.lib.decimals import as_entered, places_of


@pytest.mark.parametrize(
    ("value", "places"),
    [(D("45.0"), 1), (D("45"), 0), (D("39.98"), 2), (D("1.23456"), 4), (D("1E+2"), 0)],
)
def test_places_of_decimals(value: D, places: int) -> None:
    assert places_of(value) == places


def test_places_of_refuses_non_finite() -> None:
    with pytest.raises(ValueError):
        places_of(D("NaN"))


def test_as_entered() -> None:
    assert str(as_entered(D("45.0000"), 1)) == "45.0"
    assert str(as_entered(D("1467.0000"), 0)) == "1467"
    assert as_entered(None, 2) is None


# Moved from tests/indicators/test_achievement.py (issue 11).
@pytest.mark.parametrize(
    ("value", "places"),
    [("45.0", 1), ("142", 0), ("1E+3", 0), ("39.98", 2), ("0.12345", 4), ("3.00", 2)],
)
def test_places_of(value: str, places: int) -> None:
    assert places_of(D(value)) == places


