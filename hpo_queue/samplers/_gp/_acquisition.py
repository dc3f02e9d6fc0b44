"""Log expected improvement (times the probability of feasibility) and its maximization.

Everything minimizes standardized losses: the improvement at x is ``max(best - f(x), 0)``.
The acquisition is maximized over the unit cube by scoring Sobol candidates (under a random
digital shift), then running L-BFGS-B (analytic gradients, continuous columns only) from the
best few of them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hpo_queue._lazy_import import LazyModule
from hpo_queue.samplers._gp._model import Posterior

scipy_optimize = LazyModule("scipy.optimize")
scipy_special = LazyModule("scipy.special")
qmc = LazyModule("scipy.stats.qmc")

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
# Elements of a (rows, n) temporary when candidates are scored in blocks (128 KiB of floats).
_BLOCK_ELEMENTS = 16384


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(phi(z) + z Phi(z)) and its derivative Phi(z) / (phi(z) + z Phi(z)), stably.

    Phi(z) / phi(z) is the Mills ratio m = sqrt(pi / 2) erfcx(-z / sqrt 2), so
    h(z) = phi(z) (1 + z m) and its derivative is m / (1 + z m), with no underflow. Beyond
    the range where that is finite, the asymptotes: 1 / z^2 for h / phi when z < -1e3, and
    h = z when z > 30 (Phi(30) is 1 to double precision).
    """
    z = np.asarray(z, dtype=float)
    zc = np.minimum(np.maximum(z, -1e3), 30.0)  # np.clip's wrapper costs more than both
    mills = _SQRT_HALF_PI * scipy_special.erfcx(zc * -math.sqrt(0.5))
    one_plus = np.maximum(1.0 + zc * mills, 1e-300)  # h / phi
    value = np.log(one_plus) - 0.5 * zc * zc - _LOG_SQRT_2PI
    grad = mills / one_plus
    if zc.size and (z.min() < -1e3 or z.max() > 30.0):
        far, big = z < -1e3, z > 30.0
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(far, -0.5 * z * z - _LOG_SQRT_2PI - 2.0 * np.log(-z), value)
            value = np.where(big, np.log(z), value)
            grad = np.where(far, -z - 2.0 / z, np.where(big, 1.0 / z, grad))
    return value, grad


def log_ndtr_with_grad(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log Phi(z) and its derivative phi(z) / Phi(z)."""
    value = scipy_special.log_ndtr(z)
    grad = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - value)
    return value, grad


@dataclass
class Acquisition:
    """log EI of the objective model (if ``best`` is set) + sum of log P(constraint <= 0).

    ``objective`` predicts standardized losses; each constraint model predicts standardized
    constraint values whose feasibility threshold (0 in raw units) is in ``thresholds``.
    """

    objective: Posterior | None
    best: float
    constraints: list[Posterior] = field(default_factory=list)
    thresholds: list[float] = field(default_factory=list)

    def value(self, xs: np.ndarray) -> np.ndarray:
        """The acquisition at the rows of ``xs``, computed in blocks of rows.

        A block's (rows, n) temporaries stay near glibc's mmap threshold (128 KiB): larger
        ones are mapped and page-faulted afresh on every allocation, which made scoring
        1,024 candidates up to five times slower than its arithmetic. At least 64 rows, so
        that the product with K^-1 stays efficient for long histories.
        """
        n_data = max(
            [len(m.x) for m in self.constraints]
            + [len(self.objective.x) if self.objective is not None else 1]
        )
        rows = max(64, _BLOCK_ELEMENTS // n_data)
        if len(xs) <= rows:
            return self._value(xs)
        return np.concatenate([self._value(xs[i : i + rows]) for i in range(0, len(xs), rows)])

    def _value(self, xs: np.ndarray) -> np.ndarray:
        total = np.zeros(len(xs))
        if self.objective is not None:
            mean, var = self.objective.predict(xs)
            sd = np.sqrt(var)
            total += log_h((self.best - mean) / sd)[0] + np.log(sd)
        for model, threshold in zip(self.constraints, self.thresholds, strict=True):
            mean, var = model.predict(xs)
            total += log_ndtr_with_grad((threshold - mean) / np.sqrt(var))[0]
        return total

    def value_and_grad(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The acquisition at the rows of ``xs`` and its gradient in them.

        With z = (best - mean) / sd, d log EI = h'(z) dz + d sd / sd, and
        dz = -d mean / sd - z d sd / sd, d sd / sd = d var / (2 var): each model's gradient is
        asked for as one combination of its mean's and its variance's.
        """
        total, grad = np.zeros(len(xs)), np.zeros(xs.shape)
        if self.objective is not None:
            mean, var, backward = self.objective.predict_with_backward(xs)
            sd = np.sqrt(var)
            z = (self.best - mean) / sd
            value, dz = log_h(z)
            total = value + np.log(sd)
            grad = backward(-dz / sd, (1.0 - dz * z) / (2.0 * var))
        for model, threshold in zip(self.constraints, self.thresholds, strict=True):
            mean, var, backward = model.predict_with_backward(xs)
            sd = np.sqrt(var)
            z = (threshold - mean) / sd
            value, dz = log_ndtr_with_grad(z)
            total += value
            grad += backward(-dz / sd, -dz * z / (2.0 * var))
        return total, grad


@functools.lru_cache(maxsize=32)
def _sobol_bits(dim: int, m: int) -> np.ndarray:
    """The first ``m`` points of the unscrambled Sobol sequence, as 32-bit integers."""
    points = qmc.Sobol(dim, scramble=False).random(m)
    bits = (points * 2.0**32).astype(np.uint64)
    bits.flags.writeable = False
    return bits


def sobol_candidates(dim: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` (a power of two) Sobol points in [0, 1)^dim under a random digital shift.

    The shift (an XOR of each coordinate's bits with a random word) keeps the points a
    digital net, as scipy's scrambling does, without rebuilding the sequence per call.
    """
    shift = rng.integers(0, 2**32, size=dim, dtype=np.uint64)
    return (_sobol_bits(dim, m) ^ shift) / 2.0**32


def maximize(
    acquisition: Acquisition,
    dim: int,
    is_categorical: np.ndarray,
    n_choices: np.ndarray,
    rng: np.random.Generator,
    *,
    n_candidates: int,
    n_local: int,
    round_row: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """The best point found: Sobol candidates, then L-BFGS-B from the ``n_local`` best."""
    m = 1 << max(0, math.ceil(math.log2(n_candidates)))
    candidates = sobol_candidates(dim, m, rng)
    cat = is_categorical
    if cat.any():
        candidates[:, cat] = np.minimum(
            np.floor(candidates[:, cat] * n_choices[cat]), n_choices[cat] - 1
        )
    scores = acquisition.value(candidates)
    order = np.argsort(-scores, kind="stable")[:n_local]
    starts = candidates[order]
    best_x, best_score = candidates[order[0]], float(scores[order[0]])
    cont = ~cat
    if cont.any() and n_local > 0:
        k, n_cont = len(starts), int(cont.sum())
        fixed = starts.copy()
        # L-BFGS-B runs in the kernel's own units, u = x sqrt(lam) (unit length scales):
        # its first steps and curvature estimate then suit every column: fewer
        # evaluations, level regret on held-out seeds (BENCHMARKS.md, "Cost per suggestion").
        unit = np.tile(np.sqrt(_inverse_squared_lengths(acquisition, dim)[cont]), k)

        def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
            xs = fixed.copy()
            xs[:, cont] = (flat / unit).reshape(k, n_cont)
            value, grad = acquisition.value_and_grad(xs)
            return -float(value.sum()), -grad[:, cont].ravel() / unit

        result = scipy_optimize.minimize(
            objective,
            starts[:, cont].ravel() * unit,
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(np.zeros_like(unit), unit, strict=True)),
            # A relative tolerance of 1e-6 on the summed log EI (SciPy's default is 2.2e-9)
            # took a fifth fewer evaluations and changed the optimum found by more than
            # 1e-3 in about 1% of 332 recorded suggestions. 1e-5 took a fifth fewer again,
            # but GPSampler alone then did worse on Hartmann6 (held-out seeds, BENCHMARKS.md).
            options={"maxiter": 100, "ftol": 1e-6},
        )
        locals_ = fixed.copy()
        locals_[:, cont] = np.clip((result.x / unit).reshape(k, n_cont), 0.0, 1.0)
        # Score the points the sampler would actually suggest (grid and choice rounding).
        rounded = np.array([round_row(row) for row in locals_])
        local_scores = acquisition.value(rounded)
        i = int(np.argmax(local_scores))
        if local_scores[i] > best_score:
            best_x, best_score = rounded[i], float(local_scores[i])
    if cat.any():
        best_x = _improve_categories(acquisition, best_x, best_score, cat, n_choices)
    return best_x


def _inverse_squared_lengths(acquisition: Acquisition, dim: int) -> np.ndarray:
    """The local search's units: the objective model's lam, else the first constraint
    model's, else ones."""
    models = [acquisition.objective, *acquisition.constraints]
    model = next((m for m in models if m is not None), None)
    return np.ones(dim) if model is None else model.lam


def _improve_categories(
    acquisition: Acquisition,
    x: np.ndarray,
    score: float,
    is_categorical: np.ndarray,
    n_choices: np.ndarray,
) -> np.ndarray:
    """One pass of coordinate search over each categorical column's choices."""
    x = x.copy()
    for column in np.flatnonzero(is_categorical):
        options = np.repeat(x[None, :], int(n_choices[column]), axis=0)
        options[:, column] = np.arange(int(n_choices[column]))
        scores = acquisition.value(options)
        i = int(np.argmax(scores))
        if scores[i] > score:
            x, score = options[i], float(scores[i])
    return x
