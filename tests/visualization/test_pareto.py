"""The Pareto front data: front, dominated and infeasible trials, objective names."""

from __future__ import annotations

from hpo_queue.directions import StudyDirection
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.visualization._pareto import objective_names, pareto_front_data

MIN = StudyDirection.MINIMIZE
MAX = StudyDirection.MAXIMIZE


def done(number: int, *values: float, constraints: list[float] | None = None) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE,
        values=list(values),
        params={"x": float(number)},
        constraints=constraints,
    )


def test_pareto_front_splits_front_dominated_and_infeasible() -> None:
    trials = [
        done(0, 1.0, 5.0),
        done(1, 2.0, 2.0),
        done(2, 3.0, 3.0),  # dominated by 1
        done(3, 0.5, 0.5, constraints=[1.0]),  # would dominate all, but infeasible
        done(4, 5.0, 1.0),
        done(5, float("nan"), 1.0),
        FrozenTrial(number=6, state=TrialState.FAIL),
    ]
    data = pareto_front_data(trials, [MIN, MIN], metric_names=["loss", "latency"])
    assert [p.number for p in data.front] == [0, 1, 4]
    assert [p.number for p in data.dominated] == [2]
    assert [p.number for p in data.infeasible] == [3]
    assert data.front[1].values == (2.0, 2.0)
    assert data.front[1].params == {"x": 1.0}
    assert data.objective_names == ["loss", "latency"]
    assert data.n_objectives == 2


def test_pareto_front_follows_the_directions() -> None:
    trials = [done(0, 1.0, 1.0), done(1, 2.0, 2.0)]
    assert [p.number for p in pareto_front_data(trials, [MIN, MIN]).front] == [0]
    assert [p.number for p in pareto_front_data(trials, [MAX, MAX]).front] == [1]
    assert [p.number for p in pareto_front_data(trials, [MIN, MAX]).front] == [0, 1]


def test_pareto_front_of_three_objectives_and_of_targets() -> None:
    trials = [done(0, 1.0, 2.0, 3.0), done(1, 2.0, 3.0, 4.0), done(2, 3.0, 1.0, 5.0)]
    data = pareto_front_data(trials, [MIN, MIN, MIN])
    assert [p.number for p in data.front] == [0, 2]
    assert data.objective_names == ["objective 0", "objective 1", "objective 2"]
    flipped = pareto_front_data(trials, [MIN, MIN], targets=lambda t: [-t.values[0], -t.values[1]])
    assert [p.number for p in flipped.front] == [1, 2]
    assert flipped.front[0].values == (-2.0, -3.0)


def test_objective_names_fall_back_when_metric_names_do_not_fit() -> None:
    assert objective_names(1) == ["objective"]
    assert objective_names(2, ["only one"]) == ["objective 0", "objective 1"]
    assert objective_names(2, ["a", "b"]) == ["a", "b"]
