"""TPE's two densities of one step, l(x) and g(x): weighted mixtures of product kernels.

Both mixtures are built and scored side by side, the good group's kernels first and the bad
group's after them, so that one numpy call covers both: on the small arrays of a TPE step
numpy's cost per call, not the arithmetic, is what a suggestion pays for. Every value is
computed elementwise exactly as it would be for each mixture alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.samplers._tpe._truncnorm import (
    LOG_SQRT_2PI,
    exp_underflowing,
    log_mass,
    sample_truncated,
)


@dataclass(frozen=True)
class ParzenOptions:
    """Kernel-shaping options shared by both estimators of a TPE step."""

    prior_weight: float = 1.0
    consider_magic_clip: bool = True
    consider_endpoints: bool = False


@dataclass(frozen=True)
class _Bounds:
    """A numeric distribution's range in the space its kernels live in (log, cell-widened)."""

    low: float
    high: float
    step: float | None


@lru_cache(maxsize=1024)
def _bounds(distribution: FloatDistribution | IntDistribution) -> _Bounds:
    # The same for every trial of a study: worked out once per distribution.
    step = None if distribution.step is None else float(distribution.step)
    half = 0.0 if step is None else step / 2.0
    low = np.asarray(distribution.low - half, dtype=float)
    high = np.asarray(distribution.high + half, dtype=float)
    if distribution.log:
        low, high = np.log(low), np.log(high)
    return _Bounds(float(low), float(high), step)


class _NumericKernels:
    """Truncated normal kernels on one float/int parameter, in the (log-)transformed space.

    Discrete parameters (int, or float with a step) own the cell [v - step/2, v + step/2]
    around each value, so the kernels live on the widened range and a value's probability is
    the kernel mass of its cell. Kernels ``[:n_good]`` are l(x)'s (its prior last), the rest
    g(x)'s.
    """

    def __init__(
        self,
        distribution: FloatDistribution | IntDistribution,
        good: np.ndarray,
        bad: np.ndarray,
        options: ParzenOptions,
    ) -> None:
        self.distribution = distribution
        self.log = distribution.log
        bounds = _bounds(distribution)
        self.low, self.high, self.step = bounds.low, bounds.high, bounds.step
        width = self.high - self.low
        prior_mu = 0.5 * (self.low + self.high)
        if self.log:
            good, bad = np.log(good), np.log(bad)
        # The last kernel of each mixture is its prior: a wide bump over the whole range.
        self.mus = np.concatenate((good, (prior_mu,), bad, (prior_mu,)))
        self.sigmas = np.concatenate(
            (
                self._bandwidths(good, width, options),
                (width,),
                self._bandwidths(bad, width, options),
                (width,),
            )
        )
        self.n_good = len(good) + 1

    def _bandwidths(self, mus: np.ndarray, width: float, options: ParzenOptions) -> np.ndarray:
        sigmas = _neighbour_bandwidths(mus, self.low, self.high, options.consider_endpoints)
        if options.consider_magic_clip:
            min_sigma = width / min(100.0, 1.0 + len(mus) + 1.0)
        else:
            min_sigma = 1e-12 * max(width, 1.0)
        return np.minimum(np.maximum(sigmas, min_sigma), width)

    def _transform(self, x: np.ndarray) -> np.ndarray:
        return np.log(x) if self.log else x

    def _to_value(self, u: np.ndarray) -> np.ndarray:
        x = np.exp(u) if self.log else u
        dist = self.distribution
        if self.step is not None:
            x = dist.low + np.rint((x - dist.low) / self.step) * self.step  # np.round's op
        return np.minimum(np.maximum(x, dist.low), dist.high)

    def sample(self, rng: np.random.Generator, active: np.ndarray) -> np.ndarray:
        u = sample_truncated(rng, self.mus[active], self.sigmas[active], self.low, self.high)
        return self._to_value(u)

    def sample_local(self, rng: np.random.Generator, index: int, size: int) -> np.ndarray:
        """Gaussian steps of half kernel ``index``'s bandwidth around its centre, clipped."""
        mu, sigma = self.mus[index], self.sigmas[index]
        u = np.minimum(
            np.maximum(mu + 0.5 * sigma * rng.standard_normal(size), self.low), self.high
        )
        return self._to_value(u)

    def log_mass_requests(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The standardized intervals whose log masses :meth:`log_pdf` needs (flattened).

        Continuous: each kernel's mass inside the range (its normalizer). Discrete: that,
        per distinct (mu, sigma) pair, then each distinct candidate cell under each pair.
        """
        if self.step is None:
            inv_sigmas = 1.0 / self.sigmas
            self._inv_sigmas = inv_sigmas
            return [((self.low - self.mus) * inv_sigmas, (self.high - self.mus) * inv_sigmas)]
        # Discrete values repeat, and so do their kernels: work on the distinct (mu, sigma)
        # pairs and candidate values only (a few hundred at most, even with thousands of trials).
        mus, sigmas, self._kernel_to_unique = _unique_pairs(self.mus, self.sigmas)
        uniq, self._candidate_to_unique = _unique_values(x)
        left = self._transform(uniq - self.step / 2.0)[:, None]
        right = self._transform(uniq + self.step / 2.0)[:, None]
        return [
            ((self.low - mus) / sigmas, (self.high - mus) / sigmas),
            (((left - mus) / sigmas).ravel(), ((right - mus) / sigmas).ravel()),
        ]

    def log_pdf(self, x: np.ndarray, masses: list[np.ndarray]) -> np.ndarray:
        """(n_samples, n_kernels) log densities (log masses for discrete parameters).

        ``masses`` are the log masses of the intervals :meth:`log_mass_requests` returned
        for the same ``x`` (it also keeps what this needs to map them onto kernels).
        """
        if self.step is None:
            log_const = -LOG_SQRT_2PI - (np.log(self.sigmas) + masses[0])
            # In place: this (n_samples, n_kernels) array is the biggest one TPE builds.
            z = np.subtract.outer(self._transform(x), self.mus)
            z *= self._inv_sigmas
            np.square(z, out=z)
            z *= -0.5
            z += log_const
            return z
        in_range, cells = masses
        cells = cells.reshape(-1, len(in_range))
        cells -= in_range
        # Two one-axis takes: much cheaper than one broadcast fancy index.
        return np.take(
            np.take(cells, self._kernel_to_unique, axis=1), self._candidate_to_unique, axis=0
        )


class _CategoricalKernels:
    """One smoothed one-hot kernel per observation, plus a uniform prior kernel, per mixture.

    A mixture's kernels take only ``n_choices + 1`` distinct forms (one per choice, and the
    prior), so those are computed once, as rows of a small table, and each kernel refers to
    its row.
    """

    def __init__(
        self,
        distribution: CategoricalDistribution,
        good: np.ndarray,
        bad: np.ndarray,
        options: ParzenOptions,
    ) -> None:
        n_choices = len(distribution.choices)
        n_forms = n_choices + 1
        # Each observation keeps most of its mass on its choice and spreads a share that shrinks
        # as evidence accumulates over the others, so no choice is ever ruled out.
        table = np.empty((2 * n_forms, n_choices))
        table[:n_forms] = options.prior_weight / (len(good) + 1)
        table[n_forms:] = options.prior_weight / (len(bad) + 1)
        choices = np.arange(n_choices)
        table[choices, choices] += 1.0
        table[n_forms + choices, choices] += 1.0
        table[n_choices] = 1.0
        table[-1] = 1.0
        table /= table.sum(axis=1, keepdims=True)
        self.table = table
        self.log_table = np.log(table)  # every entry > 0: prior_weight > 0 smooths them all
        # Kernel -> its row: good observations, l(x)'s prior, bad ones, g(x)'s prior.
        self.form = np.concatenate(
            (good.astype(np.intp), (n_choices,), bad.astype(np.intp) + n_forms, (2 * n_forms - 1,))
        )

    def sample(self, rng: np.random.Generator, active: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(self.table[self.form[active]], axis=1)
        cumulative[:, -1] = 1.0
        draws = rng.random(len(active))[:, None]
        return (cumulative < draws).sum(axis=1).astype(float)

    def sample_local(self, rng: np.random.Generator, index: int, size: int) -> np.ndarray:
        """Kernel ``index``'s own choice, ``size`` times."""
        return np.full(size, float(np.argmax(self.table[self.form[index]])))

    def log_mass_requests(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        return []

    def log_pdf(self, x: np.ndarray, masses: list[np.ndarray]) -> np.ndarray:
        return np.take(self.log_table.T[x.astype(np.intp)], self.form, axis=1)


def _unique_values(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(x, return_inverse=True) for NaN-free x, in fewer numpy calls."""
    order = np.argsort(x)
    x_sorted = x[order]
    is_first = np.empty(len(x), dtype=bool)
    is_first[:1] = True
    np.not_equal(x_sorted[1:], x_sorted[:-1], out=is_first[1:])
    inverse = np.empty(len(x), dtype=np.intp)
    inverse[order] = np.cumsum(is_first) - 1
    return x_sorted[is_first], inverse


def _unique_pairs(mus: np.ndarray, sigmas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (mu, sigma) pairs, and for each kernel the index of its pair."""
    order = np.lexsort((sigmas, mus))
    mus_sorted, sigmas_sorted = mus[order], sigmas[order]
    is_first = np.ones(len(mus), dtype=bool)
    is_first[1:] = (mus_sorted[1:] != mus_sorted[:-1]) | (sigmas_sorted[1:] != sigmas_sorted[:-1])
    inverse = np.empty(len(mus), dtype=np.intp)
    inverse[order] = np.cumsum(is_first) - 1
    return mus_sorted[is_first], sigmas_sorted[is_first], inverse


def _neighbour_bandwidths(
    mus: np.ndarray, low: float, high: float, consider_endpoints: bool
) -> np.ndarray:
    """Each kernel's width: the larger gap to its sorted neighbours (hyperopt's rule)."""
    if len(mus) == 0:
        return mus
    order = np.argsort(mus)
    padded = np.concatenate(((low,), mus[order], (high,)))
    gaps = padded[1:] - padded[:-1]
    sorted_sigmas = np.maximum(gaps[:-1], gaps[1:])
    if not consider_endpoints and len(mus) >= 2:
        # The range's ends are not observations: don't let them widen the outermost kernels.
        sorted_sigmas[0] = gaps[1]
        sorted_sigmas[-1] = gaps[-2]
    sigmas = np.empty_like(sorted_sigmas)
    sigmas[order] = sorted_sigmas
    return sigmas


class ParzenPair:
    """l(x) over the good observations and g(x) over the bad ones, for one TPE step.

    Each is a mixture over its observations (plus a prior) of products of one kernel per
    parameter. Values are in the distributions' internal representation: the number itself
    for float and int parameters, the choice index for categoricals.
    """

    def __init__(
        self,
        good: dict[str, np.ndarray],
        bad: dict[str, np.ndarray],
        search_space: dict[str, BaseDistribution],
        good_weights: np.ndarray,
        bad_weights: np.ndarray,
        options: ParzenOptions,
    ) -> None:
        self.names = list(search_space)
        self.kernels: list[_NumericKernels | _CategoricalKernels] = []
        for name, distribution in search_space.items():
            if isinstance(distribution, CategoricalDistribution):
                kernels: _NumericKernels | _CategoricalKernels = _CategoricalKernels(
                    distribution, good[name], bad[name], options
                )
            else:
                kernels = _NumericKernels(distribution, good[name], bad[name], options)
            self.kernels.append(kernels)
        self.n_good = n_good = len(good_weights) + 1
        weights = np.concatenate(
            (good_weights, (options.prior_weight,), bad_weights, (options.prior_weight,))
        )
        totals = np.empty(len(weights))
        for part, total in (
            (weights[:n_good], totals[:n_good]),
            (weights[n_good:], totals[n_good:]),
        ):
            part_sum = part.sum()
            if len(part) == 1 or part_sum <= 0.0:  # no observations: the prior alone
                part[:-1] = 0.0
                part[-1] = 1.0
                part_sum = part.sum()
            total[:] = part_sum
        self.weights = weights / totals
        if self.weights.all():
            self.log_weights = np.log(self.weights)
        else:
            with np.errstate(divide="ignore"):
                self.log_weights = np.log(self.weights)

    def sample(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        """``size`` draws from l(x)."""
        # rng.choice(n_good, size, p=weights) without its argument checks: the same draws.
        cdf = np.cumsum(self.weights[: self.n_good])
        cdf /= cdf[-1]
        active = cdf.searchsorted(rng.random(size), side="right")
        pairs = zip(self.names, self.kernels, strict=True)
        return {name: kernels.sample(rng, active) for name, kernels in pairs}

    def sample_local(
        self, rng: np.random.Generator, index: int, size: int
    ) -> dict[str, np.ndarray]:
        """``size`` points near good observation ``index``: a step on each numeric parameter."""
        pairs = zip(self.names, self.kernels, strict=True)
        return {name: kernels.sample_local(rng, index, size) for name, kernels in pairs}

    def log_ratio(self, samples: dict[str, np.ndarray]) -> np.ndarray:
        """log l(x) - log g(x) for each sample (NaN where both are zero)."""
        columns = [samples[name] for name in self.names]
        requests = [k.log_mass_requests(x) for k, x in zip(self.kernels, columns, strict=True)]
        # One log_mass call for every interval of the step (it is elementwise).
        flat = [pair for group in requests for pair in group]
        masses: list[np.ndarray] = []
        if flat:
            all_masses = log_mass(
                np.concatenate([a for a, _ in flat]), np.concatenate([b for _, b in flat])
            )
            start = 0
            for a, _ in flat:
                masses.append(all_masses[start : start + len(a)])
                start += len(a)
        total: np.ndarray | None = None
        start = 0
        for kernels, x, group in zip(self.kernels, columns, requests, strict=True):
            log_pdf = kernels.log_pdf(x, masses[start : start + len(group)])
            start += len(group)
            if total is None:
                # C order, as the reductions below expect rows to be contiguous.
                total = np.add(log_pdf, self.log_weights, order="C")
            else:
                total += log_pdf
        assert total is not None
        n_good = self.n_good
        good, bad = total[:, :n_good], total[:, n_good:]
        peaks = np.empty((2, len(total)))
        sums = np.empty((2, len(total)))
        with np.errstate(divide="ignore", invalid="ignore"):
            good.max(axis=1, out=peaks[0])
            bad.max(axis=1, out=peaks[1])
            np.copyto(peaks, 0.0, where=~np.isfinite(peaks))
            good -= peaks[0][:, None]
            bad -= peaks[1][:, None]
            exp_underflowing(total, out=total)
            good.sum(axis=1, out=sums[0])
            bad.sum(axis=1, out=sums[1])
            log_sums = np.log(sums, out=sums)
            log_sums += peaks
            return log_sums[0] - log_sums[1]


def default_weights(n: int) -> np.ndarray:
    """Observation weights by age: the newest 25 count fully, older ones ramp down linearly."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


def n_below(n: int, gamma: float, cap: int) -> int:
    """How many of ``n`` finished trials form the good group."""
    return min(math.ceil(gamma * n), cap)
