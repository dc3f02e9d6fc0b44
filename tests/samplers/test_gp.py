"""GPSampler: the kernel, the likelihood gradient, the acquisition, and the sampler on histories."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

from hpo_queue.directions import StudyDirection
from hpo_queue.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.exceptions import ConfigError, InvalidInputError, MultiObjectiveError
from hpo_queue.samplers import GPSampler, sampler_from_config
from hpo_queue.samplers._gp._acquisition import (
    Acquisition,
    log_h,
    maximize,
    sobol_candidates,
)
from hpo_queue.samplers._gp._model import (
    PairDifferences,
    Posterior,
    fit_theta,
    log_prior,
    matern52,
    matern52_with_grad,
    neg_log_posterior,
)
from hpo_queue.samplers._unit_space import UnitSpace
from hpo_queue.trial import FrozenTrial, TrialState
from hpo_queue.trial._history import TrialHistory

MIN = (StudyDirection.MINIMIZE,)
SPACE = {
    "x": FloatDistribution(-5.0, 10.0),
    "lr": FloatDistribution(1e-4, 1.0, log=True),
    "n": IntDistribution(1, 9, step=2),
    "kind": CategoricalDistribution(["a", "b", "c"]),
}


def _objective(p: dict[str, object]) -> float:
    x, lr, n, kind = p["x"], p["lr"], p["n"], p["kind"]
    assert isinstance(x, float) and isinstance(lr, float) and isinstance(n, int)
    return (x - 2) ** 2 / 10 + (math.log10(lr) + 2) ** 2 + (n - 5) ** 2 / 8 + (kind != "b")


def _history(n: int, n_running: int = 0, seed: int = 0) -> list[FrozenTrial]:
    rng = np.random.default_rng(seed)
    trials = []
    for i in range(n + n_running):
        params = {
            "x": float(rng.uniform(-5, 10)),
            "lr": float(10 ** rng.uniform(-4, 0)),
            "n": int(rng.choice([1, 3, 5, 7, 9])),
            "kind": str(rng.choice(["a", "b", "c"])),
        }
        done = i < n
        trials.append(
            FrozenTrial(
                number=i,
                state=TrialState.COMPLETE if done else TrialState.RUNNING,
                params=params,
                distributions=dict(SPACE),
                values=[_objective(params)] if done else None,
            )
        )
    return trials


def _suggest(sampler: GPSampler, trials: list[FrozenTrial]) -> dict[str, object]:
    history = TrialHistory(MIN, trials)
    trial = FrozenTrial(number=len(trials), state=TrialState.RUNNING)
    space = sampler.infer_relative_search_space(history, trial)
    return sampler.sample_relative(history, trial, space)


# -- kernel ----------------------------------------------------------------------------------


def test_matern52_matches_its_closed_form_and_derivative() -> None:
    r2 = np.array([0.0, 0.01, 0.5, 2.0, 9.0])
    r = np.sqrt(r2)
    expected = (1 + math.sqrt(5) * r + 5 / 3 * r2) * np.exp(-math.sqrt(5) * r)
    np.testing.assert_allclose(matern52(r2), expected)
    assert matern52(np.array([0.0]))[0] == 1.0
    h = 1e-7
    numeric = (matern52(r2[1:] + h) - matern52(r2[1:] - h)) / (2 * h)
    np.testing.assert_allclose(matern52_with_grad(r2[1:])[1], numeric, rtol=1e-5)


def squared_differences(a: np.ndarray, b: np.ndarray, is_categorical: np.ndarray) -> np.ndarray:
    """Reference: per-dimension squared distances, shape (len(a), len(b), d); categorical
    columns 0 or 1."""
    diff = a[:, None, :] - b[None, :, :]
    sq = diff * diff
    sq[:, :, is_categorical] = (diff[:, :, is_categorical] != 0.0).astype(float)
    return sq


def test_pair_differences_hold_each_pair_once_with_a_hamming_term() -> None:
    a = np.array([[0.2, 1.0], [0.2, 2.0], [0.5, 1.0]])
    pairs = PairDifferences.of(a, np.array([False, True]))
    assert pairs.sq.shape == (3, 2)  # (1, 0), (2, 0), (2, 1)
    dense = squared_differences(a, a, np.array([False, True]))
    for (i, j), row in zip(zip(pairs.rows, pairs.cols, strict=True), pairs.sq, strict=True):
        assert i > j
        np.testing.assert_array_equal(row, dense[i, j])
    assert pairs.sq[0].tolist() == [0.0, 1.0]  # same float, other choice
    assert pairs.sq[1].tolist() == pytest.approx([0.09, 0.0])
    # Where each pair lands in a column-major (n, n) matrix: its lower triangle, row i column j.
    matrix = np.zeros((3, 3), order="F")
    matrix.ravel(order="F")[pairs.lower] = np.arange(1.0, 4.0)
    assert matrix[1, 0] == 1.0 and matrix[2, 0] == 2.0 and matrix[2, 1] == 3.0
    assert not np.triu(matrix).any()


def test_likelihood_over_pairs_equals_the_dense_formula() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((30, 3))
    x[:, 2] = rng.integers(0, 3, 30)
    cat = np.array([False, False, True])
    y = rng.normal(size=30)
    theta = np.array([0.5, -1.0, 0.3, 0.4, math.log(0.02)])
    lam, scale, noise = np.exp(theta[:3]), math.exp(theta[3]), math.exp(theta[4])
    cov = scale * matern52(squared_differences(x, x, cat) @ lam) + noise * np.eye(30)
    _, log_det = np.linalg.slogdet(cov)
    log_lik = -0.5 * y @ np.linalg.solve(cov, y) - 0.5 * log_det - 15 * math.log(2 * math.pi)
    value, grad = neg_log_posterior(theta, PairDifferences.of(x, cat), y)
    prior, prior_grad = log_prior(theta)
    assert value == pytest.approx(-(log_lik + prior), rel=1e-10)
    # The dense gradient: d log_lik / d theta_k = tr(W dK / d theta_k) / 2, W = a a^T - K^-1.
    sq = squared_differences(x, x, cat)
    _, corr_grad = matern52_with_grad(sq @ lam)
    inverse = np.linalg.inv(cov)
    alpha = inverse @ y
    w = np.outer(alpha, alpha) - inverse
    dense = [0.5 * np.sum(w * scale * corr_grad * lam[k] * sq[:, :, k]) for k in range(3)]
    dense.append(0.5 * np.sum(w * (cov - noise * np.eye(30))))
    dense.append(0.5 * noise * np.trace(w))
    np.testing.assert_allclose(grad, -(np.array(dense) + prior_grad), rtol=1e-9, atol=1e-9)


def test_scaled_distances_by_matrix_product_match_the_direct_sum() -> None:
    rng = np.random.default_rng(7)
    x = rng.random((30, 3))
    x[:, 1] = rng.integers(0, 4, 30)
    cat = np.array([False, True, False])
    theta = np.array([math.log(900.0), 0.4, math.log(3.0), 0.0, math.log(1e-3)])
    posterior = Posterior.condition(x, rng.random(30), cat, theta)
    xs = np.vstack([rng.random((20, 3)), x[:5]])  # the data's own rows: distance 0
    xs[:20, 1] = rng.integers(0, 4, 20)
    direct = squared_differences(xs, x, cat) @ posterior.lam
    assert np.allclose(posterior.scaled_r2(xs), direct, rtol=1e-9, atol=1e-9)
    assert np.diag(posterior.scaled_r2(x[:5])[:, :5]).max() < 1e-9


def test_likelihood_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((25, 3))
    x[:, 2] = rng.integers(0, 3, 25)
    y = np.sin(4 * x[:, 0]) + x[:, 1] ** 2 + 0.3 * x[:, 2]
    y = (y - y.mean()) / y.std()
    pairs = PairDifferences.of(x, np.array([False, False, True]))
    theta = np.array([0.3, -0.7, 0.1, 0.2, math.log(0.05)])
    _, grad = neg_log_posterior(theta, pairs, y)
    h = 1e-6
    for i in range(len(theta)):
        step = np.zeros_like(theta)
        step[i] = h
        numeric = (
            neg_log_posterior(theta + step, pairs, y)[0]
            - neg_log_posterior(theta - step, pairs, y)[0]
        ) / (2 * h)
        assert grad[i] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_fitted_posterior_interpolates_a_smooth_function() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((40, 2))
    y = np.sin(3 * x[:, 0]) * np.cos(2 * x[:, 1])
    cat = np.zeros(2, dtype=bool)
    theta = fit_theta(x, y, cat, deterministic=True, rng=rng)
    posterior = Posterior.condition(x, y, cat, theta)
    test = rng.random((50, 2))
    mean, var = posterior.predict(test)
    truth = np.sin(3 * test[:, 0]) * np.cos(2 * test[:, 1])
    assert np.abs(mean - truth).max() < 0.05
    _, var_at_data = posterior.predict(x)
    assert var_at_data.max() < 1e-4 and var_at_data.max() < var.max()


def test_posterior_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((15, 3))
    x[:, 1] = rng.integers(0, 2, 15)
    cat = np.array([False, True, False])
    posterior = Posterior.condition(x, rng.normal(size=15), cat, np.array([0.5, 0.0, 1.0, 0.0, -4]))
    point = np.array([[0.3, 1.0, 0.6]])
    _, _, backward = posterior.predict_with_backward(point)
    dmean, dvar = backward(np.ones(1), np.zeros(1)), backward(np.zeros(1), np.ones(1))
    combined = backward(np.array([0.7]), np.array([-2.0]))
    np.testing.assert_allclose(combined, 0.7 * dmean - 2.0 * dvar, rtol=1e-12)
    h = 1e-6
    for d in (0, 2):
        step = np.zeros((1, 3))
        step[0, d] = h
        m1, v1 = posterior.predict(point + step)
        m0, v0 = posterior.predict(point - step)
        assert dmean[0, d] == pytest.approx((m1 - m0)[0] / (2 * h), rel=1e-4, abs=1e-7)
        assert dvar[0, d] == pytest.approx((v1 - v0)[0] / (2 * h), rel=1e-4, abs=1e-7)
    assert dmean[0, 1] == 0.0 and dvar[0, 1] == 0.0


def test_variance_next_to_the_data_of_a_noiseless_model_is_accurate() -> None:
    # A near-noiseless model of a dense sample: K's condition number is above 1e7, and the
    # variance next to a data point is a small fraction of the prior's: k K^-1 k through an
    # explicit inverse left a relative error of 1e-4 here (1% in recorded Branin studies).
    rng = np.random.default_rng(4)
    x = rng.random((60, 2))
    cat = np.zeros(2, dtype=bool)
    theta = np.array([math.log(4.0), math.log(4.0), 0.0, math.log(1e-6)])
    posterior = Posterior.condition(x, np.sin(6 * x).sum(axis=1), cat, theta)
    points = x[0] + np.linspace(-3e-4, 3e-4, 7)[:, None] * np.array([1.0, 0.0])
    k = posterior.scale * matern52(posterior.scaled_r2(points))
    w = scipy.linalg.solve_triangular(posterior.chol, k.T, lower=True)
    reference = posterior.scale - (w * w).sum(axis=0)
    assert reference.max() < 1e-4 * posterior.scale  # the cancellation the test is about
    _, var = posterior.predict(points)
    np.testing.assert_allclose(var, reference, rtol=1e-6)
    _, var_with_grad, _ = posterior.predict_with_backward(points)
    np.testing.assert_allclose(var_with_grad, reference, rtol=1e-6)


# -- acquisition -----------------------------------------------------------------------------


def test_log_h_is_log_of_the_expected_improvement_factor_and_stable() -> None:
    z = np.array([-30.0, -5.0, -1.0, 0.0, 0.5, 4.0])
    exact = np.log(scipy.stats.norm.pdf(z) + z * scipy.stats.norm.cdf(z))
    value, grad = log_h(z)
    np.testing.assert_allclose(value[1:], exact[1:], rtol=1e-9)
    assert np.isfinite(log_h(np.array([-1e4]))[0]).all()  # no underflow to -inf
    h = 1e-6
    numeric = (log_h(z + h)[0] - log_h(z - h)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5)


def test_log_h_asymptotes_continue_the_exact_values_and_their_gradients() -> None:
    # Beyond the clipped range (z < -1e3, z > 30) the asymptotes take over.
    z = np.array([-5e3, -1.5e3, -40.0, 35.0, 80.0])
    value, grad = log_h(z)
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    h = 1e-5
    numeric = (log_h(z + h)[0] - log_h(z - h)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)
    np.testing.assert_allclose(value[3:], np.log(z[3:]), rtol=1e-12)  # h(z) = z for large z
    inside, outside = log_h(np.array([-999.0, 29.999]))[0], log_h(np.array([-1001.0, 30.001]))[0]
    assert np.allclose(inside, outside, rtol=1e-2)  # no jump at the switches


def test_candidates_are_a_shifted_sobol_net_and_seeded() -> None:
    first = sobol_candidates(3, 256, np.random.default_rng(4))
    again = sobol_candidates(3, 256, np.random.default_rng(4))
    other = sobol_candidates(3, 256, np.random.default_rng(5))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert first.min() >= 0.0 and first.max() < 1.0
    # A digital net: every coordinate puts exactly one point in each of 256 equal bins.
    for column in first.T:
        assert sorted(np.floor(column * 256).astype(int)) == list(range(256))


def test_blocked_scoring_equals_scoring_row_by_row() -> None:
    rng = np.random.default_rng(6)
    x = rng.random((300, 2))  # 300 data rows: 1,024 candidates are scored in several blocks
    cat = np.zeros(2, dtype=bool)
    theta = np.array([1.0, 0.5, 0.0, -5.0])
    acquisition = Acquisition(Posterior.condition(x, rng.normal(size=300), cat, theta), -1.0)
    candidates = rng.random((1024, 2))
    rows = np.concatenate([acquisition.value(candidates[i : i + 1]) for i in range(1024)])
    # Equal to rounding: the variance of points next to data cancels to a few digits.
    np.testing.assert_allclose(acquisition.value(candidates), rows, rtol=1e-6)


def test_the_mean_alone_needs_no_inverse() -> None:
    rng = np.random.default_rng(8)
    x = rng.random((20, 2))
    cat = np.zeros(2, dtype=bool)
    posterior = Posterior.condition(x, rng.normal(size=20), cat, np.array([1.0, 0.5, 0.0, -5.0]))
    xs = rng.random((7, 2))
    mean = posterior.predict_mean(xs)
    assert "chol_inv" not in posterior.__dict__  # the cached inverse was not computed
    np.testing.assert_allclose(mean, posterior.predict(xs)[0], rtol=1e-12)
    cov = posterior.scale * matern52(squared_differences(x, x, cat) @ posterior.lam)
    cov[np.diag_indices(20)] += posterior.noise
    inverse = posterior.chol_inv.T @ posterior.chol_inv
    np.testing.assert_allclose(inverse, np.linalg.inv(cov), rtol=1e-8, atol=1e-8)


def test_acquisition_gradient_matches_finite_differences_with_a_constraint() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((20, 2))
    cat = np.zeros(2, dtype=bool)
    theta = np.array([1.0, 0.5, 0.0, -5.0])
    objective = Posterior.condition(x, rng.normal(size=20), cat, theta)
    constraint = Posterior.condition(x, rng.normal(size=20), cat, theta)
    acquisition = Acquisition(objective, -0.5, [constraint], [0.2])
    point = np.array([[0.4, 0.7]])
    value, grad = acquisition.value_and_grad(point)
    assert value[0] == pytest.approx(acquisition.value(point)[0])
    h = 1e-6
    for d in range(2):
        step = np.zeros((1, 2))
        step[0, d] = h
        numeric = (acquisition.value(point + step) - acquisition.value(point - step))[0] / (2 * h)
        assert grad[0, d] == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_feasibility_alone_has_a_gradient_that_matches_finite_differences() -> None:
    # No feasible trial yet: no objective model, a constraint model on a space with a
    # categorical column (whose gradient is 0). The local search then takes its units from
    # the constraint model and still finds a feasible point.
    rng = np.random.default_rng(9)
    x = rng.random((25, 3))
    x[:, 1] = rng.integers(0, 3, 25)
    cat = np.array([False, True, False])
    c = x[:, 0] + 0.3 * x[:, 1] - 0.6  # feasible where negative
    theta = np.array([1.0, 0.0, 0.5, 0.0, math.log(1e-4)])
    constraint = Posterior.condition(x, (c - c.mean()) / c.std(), cat, theta)
    acquisition = Acquisition(None, 0.0, [constraint], [(0.0 - c.mean()) / c.std()])
    point = np.array([[0.45, 1.0, 0.3]])
    value, grad = acquisition.value_and_grad(point)
    assert value[0] == pytest.approx(acquisition.value(point)[0])
    assert grad[0, 1] == 0.0
    h = 1e-6
    for d in (0, 2):
        step = np.zeros((1, 3))
        step[0, d] = h
        numeric = (acquisition.value(point + step) - acquisition.value(point - step))[0] / (2 * h)
        assert grad[0, d] == pytest.approx(numeric, rel=1e-4, abs=1e-7)
    best = maximize(
        acquisition,
        3,
        cat,
        np.array([0, 3, 0]),
        np.random.default_rng(0),
        n_candidates=256,
        n_local=3,
        round_row=lambda row: row,
    )
    assert best[0] + 0.3 * best[1] - 0.6 < 0.0


def test_maximize_finds_the_acquisition_peak_near_an_unexplored_minimum() -> None:
    # Observations of (x - 0.8)^2 away from 0.8: the best EI is between the data and 0.8.
    x = np.array([[0.0], [0.1], [0.2], [0.3], [0.5], [0.95]])
    y = ((x[:, 0] - 0.8) ** 2 - 0.2) / 0.2
    cat = np.zeros(1, dtype=bool)
    theta = np.array([math.log(10.0), 0.0, math.log(1e-6)])
    posterior = Posterior.condition(x, y, cat, theta)
    acquisition = Acquisition(posterior, float(y.min()))
    best = maximize(
        acquisition,
        1,
        cat,
        np.zeros(1, dtype=int),
        np.random.default_rng(0),
        n_candidates=256,
        n_local=3,
        round_row=lambda row: row,
    )
    grid = np.linspace(0, 1, 2001)[:, None]
    assert acquisition.value(best[None, :])[0] >= acquisition.value(grid).max() - 1e-6
    assert 0.55 < best[0] < 0.95


# -- the sampler -----------------------------------------------------------------------------


def test_unit_space_round_trips_every_distribution_kind() -> None:
    space = UnitSpace(SPACE)
    params = {"x": 2.5, "lr": 0.01, "n": 7, "kind": "c"}
    row = space.encode(params)
    assert row is not None and row.shape == (4,)
    decoded = space.decode(row)
    assert decoded["n"] == 7 and decoded["kind"] == "c"
    assert decoded["x"] == pytest.approx(2.5) and decoded["lr"] == pytest.approx(0.01)
    assert space.encode({"x": 2.5}) is None


def test_suggestions_lie_in_the_space_and_are_reproducible() -> None:
    trials = _history(30, n_running=3)
    first = _suggest(GPSampler(seed=4), trials)
    again = _suggest(GPSampler(seed=4), trials)
    assert first == again
    assert set(first) == set(SPACE)
    for name, dist in SPACE.items():
        dist.validate_value(first[name])


def test_gp_improves_on_the_history_it_is_given() -> None:
    trials = _history(40)
    best_so_far = min(t.values[0] for t in trials if t.values)
    values = []
    for seed in range(3):
        values.append(_objective(_suggest(GPSampler(seed=seed), trials)))
    assert min(values) < best_so_far


def test_running_trials_push_the_next_point_away() -> None:
    trials = _history(30)
    sampler = GPSampler(seed=0)
    point = _suggest(sampler, trials)
    running = FrozenTrial(
        number=len(trials), state=TrialState.RUNNING, params=point, distributions=dict(SPACE)
    )
    for strategy in ("kriging_believer", "constant_liar"):
        other = _suggest(GPSampler(seed=0, running_trials=strategy), [*trials, running])
        assert other != point
    ignored = _suggest(GPSampler(seed=0, running_trials="ignore"), [*trials, running])
    next_trial_alone = _suggest(GPSampler(seed=0), [*trials, replace(running, number=99)])
    assert ignored != point or next_trial_alone != point


def test_constraints_steer_away_from_the_infeasible_region() -> None:
    # Feasible iff x <= 0; the unconstrained optimum (x = 2) is infeasible.
    trials = [
        replace(t, constraints=[float(t.params["x"])])  # type: ignore[arg-type]
        for t in _history(40, seed=5)
    ]
    xs = [_suggest(GPSampler(seed=s), trials)["x"] for s in range(4)]
    assert sum(x <= 0.5 for x in xs) >= 3  # type: ignore[operator]


def test_startup_points_follow_the_seeded_sobol_sequence() -> None:
    trials = _history(3)
    sampler = GPSampler(seed=1, n_startup_trials=10)
    history = TrialHistory(MIN, trials)
    trial = FrozenTrial(number=3, state=TrialState.RUNNING)
    assert sampler.trial_system_attrs(history, trial) == {"sampler_method": "qmc"}
    first = sampler.sample_relative(history, trial, SPACE)
    assert first == sampler.sample_relative(history, trial, SPACE)
    attrs = GPSampler(seed=1).trial_system_attrs(TrialHistory(MIN, _history(12)), trial)
    assert attrs["sampler_method"] == "gp"
    assert attrs["GPSampler:hyperparameters"]["n"] == 11  # trial 3 itself is not counted


def test_candidates_halve_at_each_doubling_of_the_model_past_the_threshold() -> None:
    from hpo_queue.samplers._gp._sampler import _candidate_count

    sampler = GPSampler(seed=0)  # 1,024 candidates, halving from 128 rows
    counts = [_candidate_count(sampler, n) for n in (50, 127, 128, 255, 256, 600)]
    assert counts == [1024, 1024, 512, 512, 256, 256]
    assert _candidate_count(GPSampler(candidates_halving_trials=0), 600) == 1024
    assert _candidate_count(GPSampler(n_candidates=100), 600) == 100  # under 256: kept


def test_long_histories_are_subsampled_to_the_caps() -> None:
    trials = _history(60)
    sampler = GPSampler(seed=0, max_fit_trials=20, max_condition_trials=30)
    point = _suggest(sampler, trials)
    assert set(point) == set(SPACE)


# -- stored hyperparameters ------------------------------------------------------------------

FIT_KEY = "GPSampler:hyperparameters"


def _record(sampler: GPSampler, trials: list[FrozenTrial]) -> dict[str, object]:
    history = TrialHistory(MIN, trials)
    trial = FrozenTrial(number=len(trials) + 50, state=TrialState.RUNNING)
    record = sampler.trial_system_attrs(history, trial)[FIT_KEY]
    assert isinstance(record, dict)
    return record


def _with_record(trials: list[FrozenTrial], record: dict[str, object]) -> list[FrozenTrial]:
    """The trials plus a RUNNING one (no params yet) that stored ``record``."""
    holder = FrozenTrial(
        number=len(trials), state=TrialState.RUNNING, system_attrs={FIT_KEY: record}
    )
    return [*trials, holder]


def test_a_stored_fit_is_reused_until_the_history_grows_by_refit_growth() -> None:
    sampler = GPSampler(seed=0)
    fitted = _record(sampler, _history(30))
    assert fitted["n"] == 30 and len(fitted["theta"]) == len(SPACE) + 2  # type: ignore[arg-type]
    planted = {**fitted, "theta": [0.5, -0.5, 0.25, 1.0, 0.0, -4.0]}
    # 35 < 1.2 * 30: the planted fit is taken as it is, and travels on to this trial.
    assert _record(sampler, _with_record(_history(35), planted)) == planted
    # 36 >= 1.2 * 30: refitted, warm-started from it.
    refitted = _record(sampler, _with_record(_history(36), planted))
    assert refitted["n"] == 36 and refitted["theta"] != planted["theta"]
    # With refit_growth=1.0 every suggestion fits.
    always = _record(GPSampler(seed=0, refit_growth=1.0), _with_record(_history(31), planted))
    assert always["n"] == 31


def test_refits_start_from_the_default_again_once_the_history_doubles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hpo_queue.samplers._gp import _sampler as gp_sampler

    calls: list[bool] = []
    real_fit = gp_sampler.fit_theta

    def recording_fit(*args: object, default_start: bool = True, **kwargs: object) -> np.ndarray:
        calls.append(default_start)
        return real_fit(*args, default_start=default_start, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(gp_sampler, "fit_theta", recording_fit)
    sampler = GPSampler(seed=0)
    first = _record(sampler, _history(30))
    assert calls == [True] and first["full"] == 30
    # 36 trials, the chain last started from the default at 30: the earlier fit alone.
    warm = _record(sampler, _with_record(_history(36), first))
    assert calls[-1] is False and warm["full"] == 30 and warm["n"] == 36
    # 60 >= 2 * 30: the default start again, and the chain's mark moves to 60.
    doubled = _record(sampler, _with_record(_history(60), {**warm, "n": 50}))
    assert calls[-1] is True and doubled["full"] == 60
    # A record from before the mark existed counts its own size as the mark.
    old = {k: v for k, v in warm.items() if k != "full"}
    assert _record(sampler, _with_record(_history(44), old))["full"] == 36
    assert calls[-1] is False


@pytest.mark.parametrize("mark", [10**9, -5, 0, True, "x", 30.0, None])
def test_a_malformed_full_mark_counts_as_the_records_own_size(mark: object) -> None:
    sampler = GPSampler(seed=0)
    fitted = _record(sampler, _history(30))
    planted = {**fitted, "n": 40, "full": mark}
    # 50 >= 1.2 * 40 refits; the mark read as 40 (the record's n), 50 < 80: warm start only,
    # and the mark carried on is 40. A mark past n (10**9) would stop default starts forever.
    assert _record(sampler, _with_record(_history(50), planted))["full"] == 40


def test_a_fit_without_the_default_start_makes_one_run_from_the_warm_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hpo_queue.samplers._gp import _model as gp_model

    starts: list[np.ndarray] = []
    real_minimize = gp_model.scipy_optimize.minimize

    class Recording:
        @staticmethod
        def minimize(fun: object, x0: np.ndarray, **kwargs: object) -> object:
            starts.append(np.array(x0))
            return real_minimize(fun, x0, **kwargs)

    monkeypatch.setattr(gp_model, "scipy_optimize", Recording())
    rng = np.random.default_rng(0)
    x = rng.random((20, 2))
    y = np.sin(3 * x).sum(axis=1)
    cat = np.zeros(2, dtype=bool)
    warm = np.array([0.5, -0.5, 0.2, -3.0])
    fit_theta(x, y, cat, deterministic=False, rng=rng, n_restarts=0, warm_start=warm)
    assert len(starts) == 2 and np.allclose(starts[1], warm)  # the default, then the warm one
    starts.clear()
    fit_theta(
        x, y, cat, deterministic=False, rng=rng, n_restarts=0, warm_start=warm, default_start=False
    )
    assert len(starts) == 1 and np.allclose(starts[0], warm)
    starts.clear()
    fit_theta(x, y, cat, deterministic=False, rng=rng, n_restarts=0, default_start=False)
    assert len(starts) == 1  # nothing to warm-start from: the default start after all


def test_the_stored_fit_is_the_one_the_suggestion_uses() -> None:
    trials = _history(30)
    fitted = _record(GPSampler(seed=0), trials)
    long_scales = {**fitted, "theta": [-6.0, -6.0, -6.0, -6.0, 0.0, -4.0]}
    short_scales = {**fitted, "theta": [6.0, 6.0, 6.0, 6.0, 0.0, -4.0]}
    first = _suggest(GPSampler(seed=2), _with_record(trials, long_scales))
    assert first == _suggest(GPSampler(seed=2), _with_record(trials, long_scales))
    assert first != _suggest(GPSampler(seed=2), _with_record(trials, short_scales))


@pytest.mark.parametrize(
    "change",
    [
        {"theta": [0.0, 0.0]},  # wrong length
        {"theta": [0.0, 0.0, 0.0, math.nan, 0.0, -4.0]},
        {"theta": "0,0,0,0,0,0"},
        {"n": "30"},
        {"space": "another space"},
    ],
)
def test_a_malformed_or_foreign_stored_fit_is_ignored(change: dict[str, object]) -> None:
    sampler = GPSampler(seed=0)
    fitted = _record(sampler, _history(30))
    planted = {**fitted, "theta": [0.5, -0.5, 0.25, 1.0, 0.0, -4.0], **change}
    assert _record(sampler, _with_record(_history(31), planted))["theta"] != planted["theta"]


def test_a_study_fits_the_kernel_a_few_times_not_once_per_trial() -> None:
    import hpo_queue as hq

    study = hq.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=40)
    records = [t.system_attrs.get(FIT_KEY) for t in study.trials]
    gp_trials = [r for r in records if r is not None]
    fits = {r["n"] for r in gp_trials}
    assert len(gp_trials) == 35
    # 5 * 1.2^k: at most about 12 fits for 35 GP trials; every record names a real fit size.
    assert 5 <= len(fits) <= 13 and all(5 <= n < 40 for n in fits)


def test_multi_objective_studies_get_a_named_error() -> None:
    history = TrialHistory((StudyDirection.MINIMIZE, StudyDirection.MINIMIZE), [])
    with pytest.raises(MultiObjectiveError, match="NSGAIISampler"):
        GPSampler().infer_relative_search_space(history, FrozenTrial(0, TrialState.RUNNING))


def test_config_round_trip() -> None:
    sampler = GPSampler(
        seed=3,
        n_startup_trials=5,
        deterministic_objective=True,
        running_trials="constant_liar",
        refit_growth=1.5,
        candidates_halving_trials=64,
    )
    rebuilt = sampler_from_config(sampler.to_config())
    assert isinstance(rebuilt, GPSampler)
    assert rebuilt.to_config() == sampler.to_config()
    assert isinstance(sampler_from_config({"name": "gp"}), GPSampler)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"seed": -1},
        {"n_startup_trials": -1},
        {"deterministic_objective": "yes"},
        {"running_trials": "believe"},
        {"n_candidates": 0},
        {"candidates_halving_trials": -1},
        {"max_fit_trials": 5},
        {"refit_growth": 0.5},
        {"refit_growth": math.nan},
        {"refit_growth": True},
        {"constraints_func": lambda t: [0.0]},
    ],
)
def test_bad_arguments_are_named_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        GPSampler(**kwargs)  # type: ignore[arg-type]


def test_unknown_config_arguments_are_config_errors() -> None:
    with pytest.raises(ConfigError):
        sampler_from_config({"name": "GPSampler", "colour": 1})
