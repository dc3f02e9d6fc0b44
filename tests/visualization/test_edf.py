"""The EDF data: each study's sorted values and cumulative fractions."""

from __future__ import annotations

from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._edf import empirical_distribution


def done(number: int, *values: float, constraints: list[float] | None = None) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE,
        values=list(values),
        params={"x": float(number)},
        constraints=constraints,
    )


def test_edf_sorted_values_and_fractions_per_study() -> None:
    first = [done(0, 3.0), done(1, 1.0), done(2, 2.0), FrozenTrial(number=3, state=TrialState.FAIL)]
    second = [done(0, 10.0), done(1, float("nan"))]
    edf = empirical_distribution({"a": first, "b": second})
    assert [line.name for line in edf.lines] == ["a", "b"]
    assert edf.lines[0].values == [1.0, 2.0, 3.0]
    assert edf.lines[0].fractions == [1 / 3, 2 / 3, 1.0]
    assert edf.lines[1].values == [10.0]
    assert (edf.low, edf.high) == (1.0, 10.0)


def test_edf_of_a_second_objective_a_target_and_nothing() -> None:
    trials = [done(0, 1.0, 5.0), done(1, 2.0, 4.0)]
    assert empirical_distribution({"s": trials}, objective_index=1).lines[0].values == [4.0, 5.0]
    edf = empirical_distribution({"s": trials}, target=lambda t: t.values[0] * 10)
    assert edf.lines[0].values == [10.0, 20.0]
    empty = empirical_distribution({"s": []})
    assert (empty.lines[0].values, empty.low, empty.high) == ([], None, None)
