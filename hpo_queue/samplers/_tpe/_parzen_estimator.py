"""A weighted mixture of product kernels over a search space: TPE's l(x) and g(x)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hpo_queue.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_queue.samplers._tpe._truncnorm import LOG_SQRT_2PI, log_mass, sample_truncated


@dataclass(frozen=True)
class ParzenOptions:
    """Kernel-shaping options shared by both estimators of a TPE step."""

    prior_weight: float = 1.0
    consider_magic_clip: bool = True
    consider_endpoints: bool = False


class _NumericKernels:
    """Truncated normal kernels on one float/int parameter, in the (log-)transformed space.

    Discrete parameters (int, or float with a step) own the cell [v - step/2, v + step/2]
    around each value, so the kernels live on the widened range and a value's probability is
    the kernel mass of its cell.
    """

    def __init__(
        self,
        distribution: FloatDistribution | IntDistribution,
        observations: np.ndarray,
        options: ParzenOptions,
    ) -> None:
        self.distribution = distribution
        self.log = distribution.log
        step = distribution.step
        self.step: float | None = None if step is None else float(step)
        half = 0.0 if self.step is None else self.step / 2.0
        self.low = float(self._transform(distribution.low - half))
        self.high = float(self._transform(distribution.high + half))
        width = self.high - self.low
        mus = self._transform(observations)
        sigmas = _neighbour_bandwidths(mus, self.low, self.high, options.consider_endpoints)
        if options.consider_magic_clip:
            min_sigma = width / min(100.0, 1.0 + len(mus) + 1.0)
        else:
            min_sigma = 1e-12 * max(width, 1.0)
        sigmas = np.clip(sigmas, min_sigma, width)
        # The last kernel is the prior: a wide bump over the whole range.
        self.mus = np.concatenate((mus, [0.5 * (self.low + self.high)]))
        self.sigmas = np.concatenate((sigmas, [width]))
        if self.step is None:
            self.inv_sigmas = 1.0 / self.sigmas
            log_norm = np.log(self.sigmas) + log_mass(
                (self.low - self.mus) * self.inv_sigmas, (self.high - self.mus) * self.inv_sigmas
            )
            self.log_const = -LOG_SQRT_2PI - log_norm
        else:
            # Discrete values repeat, and so do their kernels: work on the distinct
            # (mu, sigma) pairs only (a few hundred at most, even with thousands of trials).
            mus, sigmas, self.kernel_to_unique = _unique_pairs(self.mus, self.sigmas)
            self.unique_mus, self.unique_sigmas = mus, sigmas
            self.unique_log_in_range = log_mass(
                (self.low - mus) / sigmas, (self.high - mus) / sigmas
            )

    def _transform(self, x: np.ndarray | float) -> np.ndarray:
        arr = np.asarray(x, dtype=float)
        return np.log(arr) if self.log else arr

    def sample(self, rng: np.random.Generator, active: np.ndarray) -> np.ndarray:
        u = sample_truncated(rng, self.mus[active], self.sigmas[active], self.low, self.high)
        x = np.exp(u) if self.log else u
        dist = self.distribution
        if self.step is not None:
            x = dist.low + np.round((x - dist.low) / self.step) * self.step
        return np.clip(x, dist.low, dist.high)

    def sample_local(self, rng: np.random.Generator, index: int, size: int) -> np.ndarray:
        """Gaussian steps of half kernel ``index``'s bandwidth around its centre, clipped."""
        mu, sigma = self.mus[index], self.sigmas[index]
        u = np.clip(mu + 0.5 * sigma * rng.standard_normal(size), self.low, self.high)
        x = np.exp(u) if self.log else u
        dist = self.distribution
        if self.step is not None:
            x = dist.low + np.round((x - dist.low) / self.step) * self.step
        return np.clip(x, dist.low, dist.high)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """(n_samples, n_kernels) log densities (log masses for discrete parameters)."""
        if self.step is None:
            # In place: this (n_samples, n_kernels) array is the biggest one TPE builds.
            z = np.subtract.outer(self._transform(x), self.mus)
            z *= self.inv_sigmas
            np.square(z, out=z)
            z *= -0.5
            z += self.log_const
            return z
        # Each cell's mass is computed once per distinct candidate value and distinct kernel.
        uniq, inverse = np.unique(x, return_inverse=True)
        left = self._transform(uniq - self.step / 2.0)[:, None]
        right = self._transform(uniq + self.step / 2.0)[:, None]
        mus, sigmas = self.unique_mus, self.unique_sigmas
        masses = log_mass((left - mus) / sigmas, (right - mus) / sigmas)
        masses -= self.unique_log_in_range
        return masses[inverse.ravel()][:, self.kernel_to_unique]


class _CategoricalKernels:
    """One smoothed one-hot kernel per observation, plus a uniform prior kernel."""

    def __init__(
        self,
        distribution: CategoricalDistribution,
        observations: np.ndarray,
        options: ParzenOptions,
    ) -> None:
        n_choices = len(distribution.choices)
        n_kernels = len(observations) + 1
        # Each observation keeps most of its mass on its choice and spreads a share that shrinks
        # as evidence accumulates over the others, so no choice is ever ruled out.
        smoothing = options.prior_weight / n_kernels
        probs = np.full((n_kernels, n_choices), smoothing)
        probs[np.arange(len(observations)), observations.astype(int)] += 1.0
        probs[-1] = 1.0
        probs /= probs.sum(axis=1, keepdims=True)
        self.probs = probs
        with np.errstate(divide="ignore"):
            self.log_probs = np.log(probs)

    def sample(self, rng: np.random.Generator, active: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(self.probs[active], axis=1)
        cumulative[:, -1] = 1.0
        draws = rng.random(len(active))[:, None]
        return (cumulative < draws).sum(axis=1).astype(float)

    def sample_local(self, rng: np.random.Generator, index: int, size: int) -> np.ndarray:
        """Kernel ``index``'s own choice, ``size`` times."""
        return np.full(size, float(np.argmax(self.probs[index])))

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        return self.log_probs[:, x.astype(int)].T


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
    padded = np.concatenate([[low], mus[order], [high]])
    gaps = padded[1:] - padded[:-1]
    sorted_sigmas = np.maximum(gaps[:-1], gaps[1:])
    if not consider_endpoints and len(mus) >= 2:
        # The range's ends are not observations: don't let them widen the outermost kernels.
        sorted_sigmas[0] = gaps[1]
        sorted_sigmas[-1] = gaps[-2]
    sigmas = np.empty_like(sorted_sigmas)
    sigmas[order] = sorted_sigmas
    return sigmas


class ParzenEstimator:
    """A mixture over observations (plus a prior) of products of one kernel per parameter.

    Values are in the distributions' internal representation: the number itself for float and
    int parameters, the choice index for categoricals.
    """

    def __init__(
        self,
        observations: dict[str, np.ndarray],
        search_space: dict[str, BaseDistribution],
        weights: np.ndarray,
        options: ParzenOptions,
    ) -> None:
        self.names = list(search_space)
        self.kernels: list[_NumericKernels | _CategoricalKernels] = []
        for name, distribution in search_space.items():
            if isinstance(distribution, CategoricalDistribution):
                self.kernels.append(_CategoricalKernels(distribution, observations[name], options))
            else:
                self.kernels.append(_NumericKernels(distribution, observations[name], options))
        all_weights = np.append(np.asarray(weights, dtype=float), options.prior_weight)
        if len(weights) == 0 or all_weights.sum() <= 0.0:
            all_weights = np.zeros(len(weights) + 1)
            all_weights[-1] = 1.0
        self.weights = all_weights / all_weights.sum()
        with np.errstate(divide="ignore"):
            self.log_weights = np.log(self.weights)

    def sample(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        active = rng.choice(len(self.weights), size=size, p=self.weights)
        pairs = zip(self.names, self.kernels, strict=True)
        return {name: kernels.sample(rng, active) for name, kernels in pairs}

    def sample_local(
        self, rng: np.random.Generator, index: int, size: int
    ) -> dict[str, np.ndarray]:
        """``size`` points near observation ``index``: a step on each numeric parameter."""
        pairs = zip(self.names, self.kernels, strict=True)
        return {name: kernels.sample_local(rng, index, size) for name, kernels in pairs}

    def log_pdf(self, samples: dict[str, np.ndarray]) -> np.ndarray:
        n_samples = len(samples[self.names[0]])
        total = np.zeros((n_samples, len(self.weights)))
        total += self.log_weights
        for name, kernels in zip(self.names, self.kernels, strict=True):
            total += kernels.log_pdf(samples[name])
        peak = total.max(axis=1)
        peak = np.where(np.isfinite(peak), peak, 0.0)
        total -= peak[:, None]
        np.exp(total, out=total)
        with np.errstate(divide="ignore"):
            return np.log(total.sum(axis=1)) + peak


def default_weights(n: int) -> np.ndarray:
    """Observation weights by age: the newest 25 count fully, older ones ramp down linearly."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


def n_below(n: int, gamma: float, cap: int) -> int:
    """How many of ``n`` finished trials form the good group."""
    return min(math.ceil(gamma * n), cap)
