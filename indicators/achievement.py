"""The achievement engine (達成), as fixed by shared/spec/achievement.md.

Every page, export, print-out and API computes evaluations here, so the
same inputs give the same result everywhere; docs/achievement-rules.md
carries the whole rule set, including the cases the spec leaves open.
Values are ``Decimal`` end to end: a float would turn 39.98 into
39.979999... and move a rounding edge. This module computes only: the
words are :mod:`indicators.wording`'s, the calendar :mod:`ise_iga_dx.lib.wareki`'s.
No Django imports (an import-linter contract keeps it so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from enum import StrEnum


class Kind(StrEnum):
    """How an actual is compared with its target."""

    INCREASE = "increase"
    DECREASE = "decrease"
    REDUCTION = "reduction"
    MILESTONE = "milestone"


class Accumulation(StrEnum):
    """What period an actual covers; shown beside the target."""

    ANNUAL = "annual"
    CUMULATIVE = "cumulative"
    CALENDAR = "calendar"


class ActualState(StrEnum):
    """What was entered for an indicator-year."""

    MEASURED = "measured"
    NOT_MEASURED = "not_measured"
    DONE = "done"
    NOT_DONE = "not_done"


class Evaluation(StrEnum):
    """The evaluation of one indicator-year."""

    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    NOT_MEASURED = "not_measured"
    PENDING = "pending"
    # 完了型 only: 未完了 in a year before the one completion is due. On
    # schedule, so neither 達成 nor 未達成 (docs/achievement-rules.md).
    NOT_DUE = "not_due"


class Status(StrEnum):
    """The status colour of one indicator-year."""

    ACHIEVED = "achieved"
    # Not achieved, but the shown rate reaches the threshold (90.0 by default).
    NEAR = "near"
    BELOW = "below"
    PENDING = "pending"
    NOT_MEASURED = "not_measured"
    NOT_DUE = "not_due"


class PendingReason(StrEnum):
    """Why an evaluation is still pending."""

    NO_ACTUAL = "no_actual"
    NO_TARGET = "no_target"
    NO_BASELINE = "no_baseline"


DEFAULT_NEAR_THRESHOLD = Decimal("90.0")

_HUNDRED = Decimal(100)
_NOT_ACHIEVED_CAP = Decimal("99.9")
_ZERO_SHOWN = Decimal("0.0")
# A fixed context rather than the caller's: a thread that lowered the
# precision or changed the rounding must not change an evaluation.
_CONTEXT = Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
@dataclass(frozen=True)
class Result:
    """The evaluation of one indicator-year and the rate to show with it."""

    evaluation: Evaluation
    # Unrounded 達成率 in percent; None where the rules give no rate.
    rate: Decimal | None
    # One decimal, half up; capped at 99.9 when not achieved, and 0.0 for a
    # reduction that went the wrong way.
    shown_rate: Decimal | None
    pending_reason: PendingReason | None = None
    # REDUCTION only: the unrounded reduction in percent against the baseline.
    reduction: Decimal | None = None
    # NOT_DUE only: the fiscal year completion is due.
    due_year: int | None = None


def _number(name: str, value: Decimal | None) -> Decimal | None:
    """Return ``value`` after refusing floats and non-finite numbers."""
    if value is None:
        return None
    # bool is an int subclass; True as a target is always a bug.
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def round_half_up(value: Decimal, places: int = 1) -> Decimal:
    """Round ``value`` to ``places`` decimals, halves away from zero (四捨五入)."""
    with localcontext(_CONTEXT):
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Return ``numerator / denominator * 100``, unrounded."""
    with localcontext(_CONTEXT):
        return numerator / denominator * _HUNDRED


def _reduction(baseline: Decimal, actual: Decimal) -> Decimal:
    """Return the reduction of ``actual`` against ``baseline`` in percent."""
    with localcontext(_CONTEXT):
        return _percent(baseline - actual, baseline)


def _shown(rate: Decimal | None, *, achieved: bool) -> Decimal | None:
    """Return the rate as shown: one decimal, never 100.0 when not achieved."""
    if rate is None:
        return None
    shown = round_half_up(rate)
    if not achieved and shown >= _HUNDRED:
        # 39.98 / 40 rounds to 100.0, which would read as achieved.
        return _NOT_ACHIEVED_CAP
    # A rate such as -0.02 rounds to "-0.0"; the sign carries no meaning there.
    return shown.copy_abs() if shown.is_zero() else shown


def _result(rate: Decimal | None, *, achieved: bool) -> Result:
    """Return an achieved or not achieved result with ``rate``."""
    evaluation = Evaluation.ACHIEVED if achieved else Evaluation.NOT_ACHIEVED
    return Result(evaluation, rate, _shown(rate, achieved=achieved))


def _pending(reason: PendingReason) -> Result:
    """Return a pending result for ``reason``."""
    return Result(Evaluation.PENDING, None, None, pending_reason=reason)


def evaluate(
    *,
    kind: Kind,
    target: Decimal | None,
    state: ActualState | None,
    actual: Decimal | None,
    baseline: Decimal | None = None,
    fiscal_year: int | None = None,
    due_year: int | None = None,
) -> Result:
    """Evaluate one indicator-year.

    ``due_year`` is a milestone's year completion is due (its first target
    row); 未完了 in an earlier ``fiscal_year`` is NOT_DUE, not 未達成.
    Raise ValueError when ``state`` does not fit ``kind`` or a measured
    state has no actual: callers validate input before it gets here.
    """
    target = _number("target", target)
    actual = _number("actual", actual)
    baseline = _number("baseline", baseline)

    if state == ActualState.NOT_MEASURED:
        return Result(Evaluation.NOT_MEASURED, None, None)
    if state is None:
        return _pending(PendingReason.NO_ACTUAL)

    if kind == Kind.MILESTONE:
        if state == ActualState.DONE:
            return Result(Evaluation.ACHIEVED, None, None)
        if state == ActualState.NOT_DONE:
            if due_year is not None and fiscal_year is not None and fiscal_year < due_year:
                return Result(Evaluation.NOT_DUE, None, None, due_year=due_year)
            return Result(Evaluation.NOT_ACHIEVED, None, None)
        raise ValueError(f"a milestone takes done or not done, not {state}")
    if state != ActualState.MEASURED:
        raise ValueError(f"a {kind} indicator takes a measured actual, not {state}")
    if actual is None:
        raise ValueError("a measured state needs an actual value")

    if target is None:
        return _pending(PendingReason.NO_TARGET)

    if kind == Kind.INCREASE:
        # A rate against a zero (or negative) target means nothing.
        rate = _percent(actual, target) if target > 0 else None
        return _result(rate, achieved=actual >= target)

    if kind == Kind.DECREASE:
        # target == 0 is the ゼロ目標 case: achieved only at zero, no rate.
        # Without a positive actual, target / actual is undefined or negative.
        rate = _percent(target, actual) if target > 0 and actual > 0 else None
        return _result(rate, achieved=actual <= target)

    if kind == Kind.REDUCTION:
        if baseline is None or baseline <= 0:
            return _pending(PendingReason.NO_BASELINE)
        reduction = _reduction(baseline, actual)
        achieved = reduction >= target
        rate = _percent(reduction, target) if target > 0 else None
        shown = _shown(rate, achieved=achieved)
        if shown is not None and reduction < 0:
            # Printing rose: the document shows no negative achievement.
            shown = _ZERO_SHOWN
        evaluation = Evaluation.ACHIEVED if achieved else Evaluation.NOT_ACHIEVED
        return Result(evaluation, rate, shown, reduction=reduction)

    raise ValueError(f"unknown kind: {kind!r}")


@dataclass(frozen=True)
class Counts:
    """Evaluations counted for a policy or plan; rates are never averaged."""

    achieved: int
    not_achieved: int
    pending: int
    not_measured: int
    # Milestones not done before their due year: counted apart, never 達成.
    not_due: int = 0

    @property
    def total(self) -> int:
        """Return the number of indicator-years counted."""
        return (
            self.achieved + self.not_achieved + self.pending + self.not_measured + self.not_due
        )

    @property
    def evaluated(self) -> int:
        """Return the number achieved or not achieved."""
        return self.achieved + self.not_achieved

    @property
    def share_achieved(self) -> Decimal | None:
        """Return the unrounded percent achieved of those evaluated."""
        if self.evaluated == 0:
            return None
        return _percent(Decimal(self.achieved), Decimal(self.evaluated))


def rollup(evaluations: Iterable[Evaluation]) -> Counts:
    """Count ``evaluations`` by kind of evaluation."""
    tally = dict.fromkeys(Evaluation, 0)
    for evaluation in evaluations:
        tally[Evaluation(evaluation)] += 1
    return Counts(
        achieved=tally[Evaluation.ACHIEVED],
        not_achieved=tally[Evaluation.NOT_ACHIEVED],
        pending=tally[Evaluation.PENDING],
        not_measured=tally[Evaluation.NOT_MEASURED],
        not_due=tally[Evaluation.NOT_DUE],
    )


def status_of(result: Result, *, threshold: Decimal = DEFAULT_NEAR_THRESHOLD) -> Status:
    """Return the status colour of ``result``."""
    if result.evaluation == Evaluation.ACHIEVED:
        return Status.ACHIEVED
    if result.evaluation == Evaluation.PENDING:
        return Status.PENDING
    if result.evaluation == Evaluation.NOT_MEASURED:
        return Status.NOT_MEASURED
    if result.evaluation == Evaluation.NOT_DUE:
        return Status.NOT_DUE
    # Compare what is shown, so a row printed "90.0%" is never coloured
    # below a 90.0 threshold.
    if result.shown_rate is not None and result.shown_rate >= threshold:
        return Status.NEAR
    return Status.BELOW


def progress_rate(
    *,
    kind: Kind,
    baseline: Decimal | None,
    latest_actual: Decimal | None,
    final_target: Decimal | None,
) -> Decimal | None:
    """Return the unrounded 進捗率 toward the plan's final target.

    Dashboards only. Not capped: it can be negative or above 100.
    """
    baseline = _number("baseline", baseline)
    latest_actual = _number("latest_actual", latest_actual)
    final_target = _number("final_target", final_target)
    if kind == Kind.MILESTONE or latest_actual is None or final_target is None:
        return None
    if baseline is None:
        return None
    if kind == Kind.REDUCTION:
        # The baseline stands at 0% reduction and the target is a reduction,
        # so the distance to cover is the target itself.
        if baseline <= 0 or final_target == 0:
            return None
        return _percent(_reduction(baseline, latest_actual), final_target)
    if baseline == final_target:
        return None
    with localcontext(_CONTEXT):
        return _percent(latest_actual - baseline, final_target - baseline)


def published_mismatch(
    result: Result,
    *,
    published_evaluation: Evaluation | None,
    published_rate: Decimal | None,
) -> bool:
    """Return True when a published value differs from the computed one."""
    if published_evaluation is not None and published_evaluation != result.evaluation:
        return True
    if published_rate is None:
        return False
    # Compare numerically: a printed "100%" equals a computed 100.0.
    return result.shown_rate is None or published_rate != result.shown_rate
