"""Numbers kept with the decimals they were entered with.

The documents print 40.0% and 100%; a value stored with four places is
shown with the places its user typed (shared/spec/achievement.md: "kept
with the precision entered").
"""

from __future__ import annotations

from decimal import Decimal

# The most decimals a value keeps (a survey can give 39.98%; 4 is room).
MAX_PLACES = 4


def places_of(value: Decimal) -> int:
    """Return how many decimals ``value`` was entered with, from 0 to 4."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {value}")
    return max(0, min(MAX_PLACES, -exponent))


def as_entered(value: Decimal | None, places: int) -> Decimal | None:
    """Return a stored value with the decimals its user typed."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places))
