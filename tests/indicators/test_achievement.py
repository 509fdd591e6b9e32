"""Achievement rules of shared/spec/achievement.md, without the database."""

from __future__ import annotations

from decimal import Decimal as D
from types import EllipsisType

import pytest

from indicators.achievement import (
    ActualState,
    Counts,
    Evaluation,
    Kind,
    PendingReason,
    Result,
    Status,
    evaluate,
    progress_rate,
    published_mismatch,
    rollup,
    round_half_up,
    status_of,
)
from indicators.wording import format_evaluation

INC, DEC, RED, MIL = Kind.INCREASE, Kind.DECREASE, Kind.REDUCTION, Kind.MILESTONE
MEASURED = ActualState.MEASURED
ACH, NOT, PEND, NM = (
    Evaluation.ACHIEVED,
    Evaluation.NOT_ACHIEVED,
    Evaluation.PENDING,
    Evaluation.NOT_MEASURED,
)


def measured(kind: Kind, target: str | None, actual: str, baseline: str | None = None) -> Result:
    """Evaluate a measured actual given as strings."""
    return evaluate(
        kind=kind,
        target=None if target is None else D(target),
        state=MEASURED,
        actual=D(actual),
        baseline=None if baseline is None else D(baseline),
    )


# A rate of ... marks a repeating decimal: only its shown form is checked.
@pytest.mark.parametrize(
    ("kind", "target", "actual", "baseline", "evaluation", "rate", "shown"),
    [
        pytest.param(INC, "120", "142", None, ACH, ..., "118.3", id="increase-achieved"),
        pytest.param(INC, "3", "2", None, NOT, ..., "66.7", id="increase-not-achieved"),
        pytest.param(INC, "40", "40", None, ACH, "100", "100.0", id="increase-exact-100"),
        pytest.param(INC, "40", "42.5", None, ACH, "106.25", "106.3", id="half-up-106.25"),
        pytest.param(INC, "8", "7.3", None, NOT, "91.25", "91.3", id="half-up-not-even"),
        pytest.param(INC, "40", "39.98", None, NOT, "99.95", "99.9", id="cap-99.9"),
        pytest.param(INC, "0", "0", None, ACH, None, None, id="increase-zero-target"),
        pytest.param(DEC, "10", "8", None, ACH, "125", "125.0", id="decrease-achieved"),
        pytest.param(DEC, "10", "12", None, NOT, ..., "83.3", id="decrease-not-achieved"),
        pytest.param(DEC, "10", "0", None, ACH, None, None, id="decrease-actual-zero"),
        pytest.param(DEC, "0", "0", None, ACH, None, None, id="decrease-zero-target-met"),
        pytest.param(DEC, "0", "1", None, NOT, None, None, id="decrease-zero-target-missed"),
        pytest.param(RED, "2.0", "980", "1000", ACH, "100", "100.0", id="reduction-exact"),
        pytest.param(RED, "2.0", "990", "1000", NOT, "50", "50.0", id="reduction-half"),
        pytest.param(RED, "2.0", "1010", "1000", NOT, "-50", "0.0", id="reduction-printing-rose"),
        pytest.param(RED, "0", "1000", "1000", ACH, None, None, id="reduction-zero-target"),
    ],
)
def test_evaluate_measured(
    kind: Kind,
    target: str,
    actual: str,
    baseline: str | None,
    evaluation: Evaluation,
    rate: str | EllipsisType | None,
    shown: str | None,
) -> None:
    result = measured(kind, target, actual, baseline)
    assert result.evaluation is evaluation
    assert result.pending_reason is None
    if rate is not ...:
        assert result.rate == (None if rate is None else D(rate))
    if shown is None:
        assert result.shown_rate is None
    else:
        # str() checks the single decimal, not just the numeric value.
        assert str(result.shown_rate) == shown


def test_reduction_keeps_unrounded_values() -> None:
    result = measured(RED, "3", "990", "1000")
    assert result.reduction == D("1")
    assert str(result.rate)[:8] == "33.33333"
    assert str(result.shown_rate) == "33.3"
    assert measured(INC, "3", "2").reduction is None


@pytest.mark.parametrize(
    ("kind", "target", "state", "actual", "baseline", "evaluation", "reason"),
    [
        pytest.param(INC, "10", ActualState.NOT_MEASURED, None, None, NM, None, id="not-measured"),
        pytest.param(INC, None, ActualState.NOT_MEASURED, None, None, NM, None, id="nm-no-target"),
        pytest.param(MIL, None, ActualState.NOT_MEASURED, None, None, NM, None, id="nm-milestone"),
        pytest.param(INC, "10", None, None, None, PEND, PendingReason.NO_ACTUAL, id="no-actual"),
        pytest.param(MIL, None, None, None, None, PEND, PendingReason.NO_ACTUAL, id="no-done"),
        pytest.param(INC, None, MEASURED, "5", None, PEND, PendingReason.NO_TARGET, id="no-tgt"),
        pytest.param(RED, "2", MEASURED, "5", None, PEND, PendingReason.NO_BASELINE, id="no-base"),
        pytest.param(RED, "2", MEASURED, "5", "0", PEND, PendingReason.NO_BASELINE, id="base-0"),
        pytest.param(MIL, None, ActualState.DONE, None, None, ACH, None, id="milestone-done"),
        pytest.param(MIL, "1", ActualState.NOT_DONE, None, None, NOT, None, id="milestone-not"),
    ],
)
def test_evaluate_states(
    kind: Kind,
    target: str | None,
    state: ActualState | None,
    actual: str | None,
    baseline: str | None,
    evaluation: Evaluation,
    reason: PendingReason | None,
) -> None:
    result = evaluate(
        kind=kind,
        target=None if target is None else D(target),
        state=state,
        actual=None if actual is None else D(actual),
        baseline=None if baseline is None else D(baseline),
    )
    assert result == Result(evaluation, None, None, pending_reason=reason)


@pytest.mark.parametrize(
    ("kind", "state", "actual", "error"),
    [
        pytest.param(MIL, MEASURED, D("1"), ValueError, id="measured-milestone"),
        pytest.param(INC, ActualState.DONE, None, ValueError, id="done-increase"),
        pytest.param(DEC, ActualState.NOT_DONE, None, ValueError, id="not-done-decrease"),
        pytest.param(INC, MEASURED, None, ValueError, id="measured-without-actual"),
        pytest.param(INC, MEASURED, 0.1, TypeError, id="float-actual"),
    ],
)
def test_evaluate_rejects_programming_errors(
    kind: Kind, state: ActualState, actual: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        evaluate(kind=kind, target=D("10"), state=state, actual=actual)  # type: ignore[arg-type]


# Ise review table (seed 000, chapter 2): target, actual and the printed
# evaluation, which the computation must reproduce.
@pytest.mark.parametrize(
    ("kind", "target", "actual", "printed"),
    [
        pytest.param(INC, "120", "142", "達成《達成率：118.3%》", id="No.1"),
        pytest.param(INC, "90", "100.2", "達成《達成率：111.3%》", id="No.2"),
        pytest.param(INC, "3", "2", "未達成《達成率：66.7%》", id="No.3"),
        pytest.param(INC, "90", "95.6", "達成《達成率：106.2%》", id="No.7"),
        pytest.param(INC, "1050000", "1589989", "達成《達成率：151.4%》", id="No.10"),
        pytest.param(INC, "3.00", "3.02", "達成《達成率：100.7%》", id="No.11"),
        pytest.param(INC, "60", "43.9", "未達成《達成率：73.2%》", id="No.19"),
        pytest.param(DEC, "0", "1", "未達成", id="No.20"),
    ],
)
def test_ise_review_table(kind: Kind, target: str, actual: str, printed: str) -> None:
    result = measured(kind, target, actual)
    assert format_evaluation(result) == printed
    assert format_evaluation(result) == printed


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        pytest.param("106.25", 1, "106.3", id="half-up"),
        pytest.param("106.35", 1, "106.4", id="half-up-odd"),
        pytest.param("2.675", 2, "2.68", id="float-would-give-2.67"),
        pytest.param("-0.25", 1, "-0.3", id="negative-away-from-zero"),
        pytest.param("7", 1, "7.0", id="pads"),
    ],
)
def test_round_half_up(value: str, places: int, expected: str) -> None:
    assert str(round_half_up(D(value), places)) == expected


def test_rollup_counts_and_share() -> None:
    counts = rollup([ACH, ACH, NOT, PEND, NM, ACH, "not_achieved"])  # type: ignore[list-item]
    assert counts == Counts(achieved=3, not_achieved=2, pending=1, not_measured=1)
    assert (counts.total, counts.evaluated) == (7, 5)
    assert counts.share_achieved == D("60")


def test_rollup_share_unrounded_and_empty() -> None:
    assert str(rollup([ACH, NOT, NOT]).share_achieved)[:7] == "33.3333"
    empty = rollup([PEND, NM])
    assert (empty.total, empty.evaluated, empty.share_achieved) == (2, 0, None)


@pytest.mark.parametrize(
    ("result", "threshold", "status"),
    [
        pytest.param(measured(INC, "100", "120"), None, Status.ACHIEVED, id="achieved"),
        pytest.param(measured(INC, "100", "89.94"), None, Status.BELOW, id="89.94-shows-89.9"),
        pytest.param(measured(INC, "100", "89.95"), None, Status.NEAR, id="89.95-shows-90.0"),
        pytest.param(measured(INC, "40", "39.98"), None, Status.NEAR, id="capped-99.9"),
        pytest.param(measured(DEC, "0", "1"), None, Status.BELOW, id="no-rate"),
        pytest.param(measured(INC, "100", "83.4"), D("80"), Status.NEAR, id="custom-threshold"),
        pytest.param(measured(INC, "100", "91.2"), D("95"), Status.BELOW, id="custom-below"),
        pytest.param(Result(PEND, None, None, PendingReason.NO_ACTUAL), None, Status.PENDING),
        pytest.param(Result(NM, None, None), None, Status.NOT_MEASURED, id="not-measured"),
    ],
)
def test_status_of(result: Result, threshold: D | None, status: Status) -> None:
    if threshold is None:
        assert status_of(result) is status
    else:
        assert status_of(result, threshold=threshold) is status


@pytest.mark.parametrize(
    ("kind", "baseline", "latest", "final", "progress"),
    [
        pytest.param(INC, "100", "130", "200", "30", id="increase"),
        pytest.param(INC, "100", "90", "200", "-10", id="negative"),
        pytest.param(INC, "100", "250", "200", "150", id="over-100"),
        pytest.param(DEC, "5", "1", "0", "80", id="decrease-to-zero"),
        pytest.param(INC, None, "130", "200", None, id="no-baseline"),
        pytest.param(INC, "200", "130", "200", None, id="baseline-equals-final"),
        pytest.param(INC, "100", None, "200", None, id="no-actual"),
        pytest.param(INC, "100", "130", None, None, id="no-final"),
        pytest.param(RED, "1000", "990", "2.0", "50", id="reduction"),
        pytest.param(RED, "1000", "990", "0", None, id="reduction-zero-target"),
        pytest.param(RED, "0", "990", "2.0", None, id="reduction-zero-baseline"),
        pytest.param(MIL, "0", "1", "1", None, id="milestone"),
    ],
)
def test_progress_rate(
    kind: Kind, baseline: str | None, latest: str | None, final: str | None, progress: str | None
) -> None:
    def dec(value: str | None) -> D | None:
        return None if value is None else D(value)

    result = progress_rate(
        kind=kind, baseline=dec(baseline), latest_actual=dec(latest), final_target=dec(final)
    )
    assert result == dec(progress)


@pytest.mark.parametrize(
    ("result", "evaluation", "rate", "mismatch"),
    [
        pytest.param(measured(INC, "100", "94"), ACH, D("94.0"), True, id="Ise-No.13"),
        pytest.param(measured(INC, "20", "39"), ACH, D("270"), True, id="Ise-No.15"),
        pytest.param(measured(INC, "26", "26"), ACH, D("100"), False, id="Ise-No.12"),
        pytest.param(measured(INC, "26", "26"), None, None, False, id="nothing-published"),
        pytest.param(measured(INC, "26", "26"), None, D("100.0"), False, id="rate-only"),
        pytest.param(measured(DEC, "0", "1"), NOT, D("0"), True, id="rate-where-none"),
        pytest.param(measured(DEC, "0", "1"), NOT, None, False, id="Ise-No.20"),
    ],
)
def test_published_mismatch(
    result: Result, evaluation: Evaluation | None, rate: D | None, mismatch: bool
) -> None:
    assert (
        published_mismatch(result, published_evaluation=evaluation, published_rate=rate)
        is mismatch
    )


def test_ise_no13_and_no15_computed_values() -> None:
    no13 = measured(INC, "100", "94")
    assert (no13.evaluation, str(no13.shown_rate)) == (NOT, "94.0")
    no15 = measured(INC, "20", "39")
    assert (no15.evaluation, str(no15.shown_rate)) == (ACH, "195.0")


@pytest.mark.parametrize(
    ("state", "fiscal_year", "due_year", "evaluation"),
    [
        pytest.param(ActualState.NOT_DONE, 2026, 2028, Evaluation.NOT_DUE, id="before-due"),
        pytest.param(ActualState.NOT_DONE, 2027, 2028, Evaluation.NOT_DUE, id="year-before-due"),
        pytest.param(ActualState.NOT_DONE, 2028, 2028, NOT, id="due-year"),
        pytest.param(ActualState.NOT_DONE, 2029, 2028, NOT, id="overdue"),
        pytest.param(ActualState.NOT_DONE, 2026, None, NOT, id="no-due-year"),
        pytest.param(ActualState.DONE, 2026, 2028, ACH, id="done-early"),
        pytest.param(ActualState.DONE, 2028, 2028, ACH, id="done-on-time"),
        pytest.param(None, 2026, 2028, PEND, id="nothing-entered"),
    ],
)
def test_milestone_before_its_due_year(
    state: ActualState | None, fiscal_year: int, due_year: int | None, evaluation: Evaluation
) -> None:
    result = evaluate(
        kind=MIL, target=None, state=state, actual=None, fiscal_year=fiscal_year,
        due_year=due_year,
    )
    assert result.evaluation == evaluation
    assert result.rate is None and result.shown_rate is None


def test_milestone_not_due_is_worded_with_its_deadline() -> None:
    result = evaluate(
        kind=MIL, target=None, state=ActualState.NOT_DONE, actual=None, fiscal_year=2026,
        due_year=2028,
    )
    assert format_evaluation(result) == "未完了（期限：令和10年度）"
    assert status_of(result) is Status.NOT_DUE


def test_not_due_is_counted_apart_and_never_as_achieved() -> None:
    counts = rollup([ACH, NOT, Evaluation.NOT_DUE, Evaluation.NOT_DUE, PEND])
    assert counts == Counts(
        achieved=1, not_achieved=1, pending=1, not_measured=0, not_due=2
    )
    assert counts.total == 5
    assert counts.evaluated == 2
    assert counts.share_achieved == D(50)


def test_not_due_only_for_milestones() -> None:
    result = evaluate(
        kind=INC, target=D("10"), state=MEASURED, actual=D("5"), fiscal_year=2026,
        due_year=2028,
    )
    assert result.evaluation == NOT
