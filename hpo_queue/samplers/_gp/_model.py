"""The Gaussian process: a Matérn-5/2 ARD kernel, its marginal likelihood and the fitted posterior.

Inputs live in the unit cube (see UnitSpace); categorical columns hold choice indices and
contribute a Hamming term (1 where the choices differ) to the squared distance. Kernel
hyperparameters are ``theta = [log inverse squared length scales (d), log kernel scale,
log noise variance]``, fitted by maximizing the log marginal likelihood plus log priors
(Optuna's GPSampler priors) with L-BFGS-B on analytic gradients.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from hpo_queue._lazy_import import LazyModule

scipy_linalg = LazyModule("scipy.linalg")
scipy_lapack = LazyModule("scipy.linalg.lapack")
scipy_optimize = LazyModule("scipy.optimize")

SQRT5 = math.sqrt(5.0)
MIN_NOISE = 1e-6
_LOG_BOUNDS_LENGTH = (math.log(1e-3), math.log(1e4))
_LOG_BOUNDS_SCALE = (math.log(1e-2), math.log(1e2))
_LOG_BOUNDS_NOISE = (math.log(MIN_NOISE), math.log(1.0))


def matern52(r2: np.ndarray) -> np.ndarray:
    """Matérn-5/2 correlation as a function of the squared scaled distance."""
    r = np.sqrt(r2)
    return (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)


def matern52_with_grad(r2: np.ndarray, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``scale`` times matern52 and times its derivative in r2 (finite at r2 = 0), sharing one
    sqrt and exp."""
    r = np.sqrt(r2)
    decay = scale * np.exp(-SQRT5 * r)
    return (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * decay, -(5.0 / 6.0) * (1.0 + SQRT5 * r) * decay


def log_prior(theta: np.ndarray) -> tuple[float, np.ndarray]:
    """Log prior of the hyperparameters and its gradient in theta.

    Inverse squared length scales lam: -(0.1 / lam + 0.1 lam) (pulls them towards 1);
    kernel scale ~ Gamma(2, 1); noise variance ~ Gamma(1.1, 30) (small noise).
    """
    d = len(theta) - 2
    lam = np.exp(theta[:d])
    scale, noise = math.exp(theta[d]), math.exp(theta[d + 1])
    value = float(-(0.1 / lam + 0.1 * lam).sum() + (math.log(scale) - scale))
    value += 0.1 * math.log(noise) - 30.0 * noise
    grad = np.empty_like(theta)
    grad[:d] = 0.1 / lam - 0.1 * lam
    grad[d] = 1.0 - scale
    grad[d + 1] = 0.1 - 30.0 * noise
    return value, grad


@dataclass(frozen=True)
class PairDifferences:
    """Per-dimension squared differences of each pair i > j of the rows of X, shape
    (n (n - 1) / 2, d) (categorical columns: 0 or 1), and where each pair lies in an
    (n, n) column-major matrix's lower triangle: a symmetric kernel matrix is evaluated once
    per pair.
    """

    n: int
    sq: np.ndarray
    rows: np.ndarray  # i of each pair
    cols: np.ndarray  # j of each pair
    lower: np.ndarray  # the column-major flat index j * n + i of each pair

    @classmethod
    def of(cls, x: np.ndarray, is_categorical: np.ndarray) -> PairDifferences:
        n = len(x)
        i, j = np.tril_indices(n, -1)
        diff = x[i] - x[j]
        sq = diff * diff
        if is_categorical.any():
            sq[:, is_categorical] = (diff[:, is_categorical] != 0.0).astype(float)
        return cls(n, sq, i, j, j * n + i)


def neg_log_posterior(
    theta: np.ndarray, pairs: PairDifferences, y: np.ndarray, fixed_noise: float | None = None
) -> tuple[float, np.ndarray]:
    """Minus (log marginal likelihood + log prior), and its gradient in theta.

    With ``fixed_noise`` the noise entry of theta is ignored (its gradient is 0). Only lower
    triangles are formed (LAPACK reads no more): the kernel once per pair of rows, and the
    gradient's traces as sums over pairs (the diagonal's distance is 0).
    """
    n, d = pairs.n, pairs.sq.shape[1]
    lam = np.exp(theta[:d])
    scale = math.exp(theta[d])
    noise = fixed_noise if fixed_noise is not None else math.exp(theta[d + 1])
    corr, corr_grad = matern52_with_grad(pairs.sq @ lam)
    cov = np.zeros((n, n), order="F")  # LAPACK's order: factored in place, not copied
    flat = cov.ravel(order="F")
    flat[pairs.lower] = scale * corr
    flat[:: n + 1] = scale + noise
    chol, info = scipy_lapack.dpotrf(cov, lower=1, clean=0, overwrite_a=1)
    if info != 0:
        return 1e10, np.zeros_like(theta)
    alpha, _ = scipy_lapack.dpotrs(chol, y, lower=1)
    log_lik = -0.5 * float(y @ alpha) - float(np.log(chol.diagonal()).sum())
    log_lik -= 0.5 * n * math.log(2 * math.pi)
    inv, info = scipy_lapack.dpotri(chol, lower=1, overwrite_c=1)  # K^-1's lower triangle
    if info != 0:
        return 1e10, np.zeros_like(theta)
    # W = alpha alpha^T - K^-1; d log_lik = tr(W dK) / 2, twice the sum over pairs plus the
    # diagonal's part.
    w = alpha[pairs.rows] * alpha[pairs.cols] - inv.ravel(order="F")[pairs.lower]
    trace_w = float(alpha @ alpha - inv.diagonal().sum())
    grad = np.empty_like(theta)
    grad[:d] = (scale * lam) * ((w * corr_grad) @ pairs.sq)
    grad[d] = scale * (float(w @ corr) + 0.5 * trace_w)
    grad[d + 1] = 0.0 if fixed_noise is not None else 0.5 * noise * trace_w
    prior, prior_grad = log_prior(theta)
    if fixed_noise is not None:
        prior_grad[d + 1] = 0.0
    return -(log_lik + prior), -(grad + prior_grad)


def fit_theta(
    x: np.ndarray,
    y: np.ndarray,
    is_categorical: np.ndarray,
    *,
    deterministic: bool,
    rng: np.random.Generator,
    n_restarts: int = 1,
    warm_start: np.ndarray | None = None,
    default_start: bool = True,
) -> np.ndarray:
    """Hyperparameters maximizing the log posterior, from a default start (unless
    ``default_start`` is False and ``warm_start`` is given), ``n_restarts`` random ones and
    ``warm_start`` (an earlier fit) if given; the best of all runs is kept."""
    d = x.shape[1]
    pairs = PairDifferences.of(x, is_categorical)
    fixed_noise = MIN_NOISE if deterministic else None
    bounds = [_LOG_BOUNDS_LENGTH] * d + [_LOG_BOUNDS_SCALE, _LOG_BOUNDS_NOISE]
    starts: list[np.ndarray] = []
    if default_start or warm_start is None:
        starts.append(np.concatenate([np.zeros(d), [0.0, math.log(1e-2)]]))
    for _ in range(n_restarts):
        starts.append(
            np.concatenate([rng.uniform(math.log(0.1), math.log(30.0), d), [0.0, math.log(1e-3)]])
        )
    if warm_start is not None:
        low, high = np.array(bounds).T
        starts.append(np.clip(np.asarray(warm_start, dtype=float), low, high))
    best_theta, best_value = starts[0], math.inf
    for start in starts:
        if deterministic:
            start[d + 1] = math.log(MIN_NOISE)
        result = scipy_optimize.minimize(
            neg_log_posterior,
            start,
            args=(pairs, y, fixed_noise),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 100},
        )
        if result.fun < best_value:
            best_theta, best_value = np.asarray(result.x), float(result.fun)
    if deterministic:
        best_theta = best_theta.copy()
        best_theta[d + 1] = math.log(MIN_NOISE)
    return best_theta


@dataclass
class ScaledDistance:
    """Squared scaled distances ``sum_d lam_d (a_d - b_d)^2`` (Hamming on categorical
    columns) from any rows to fixed data rows ``x``, by one matrix product: no (m, n, d) array.
    """

    x: np.ndarray
    is_categorical: np.ndarray
    lam: np.ndarray
    # The continuous columns, the data's rows scaled (centred on the cube's middle: smaller
    # norms, less cancellation in the expansion) and their squared norms; the categorical ones.
    _continuous: np.ndarray = field(init=False, repr=False)
    _root: np.ndarray = field(init=False, repr=False)
    _scaled_x: np.ndarray = field(init=False, repr=False)
    _scaled_x_sq: np.ndarray = field(init=False, repr=False)
    _categorical_columns: list[int] = field(init=False, repr=False)
    has_categorical: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.has_categorical = bool(self.is_categorical.any())
        self._continuous = ~self.is_categorical
        self._root = np.sqrt(self.lam[self._continuous])
        self._scaled_x = (self.x[:, self._continuous] - 0.5) * self._root
        self._scaled_x_sq = (self._scaled_x * self._scaled_x).sum(axis=1)
        self._categorical_columns = [int(j) for j in np.flatnonzero(self.is_categorical)]

    def r2(self, xs: np.ndarray) -> np.ndarray:
        """Shape (len(xs), n); the direct sum over dimensions to rounding."""
        a = (xs[:, self._continuous] if self.has_categorical else xs) - 0.5
        a *= self._root
        r2 = a @ self._scaled_x.T
        r2 *= -2.0
        r2 += (a * a).sum(axis=1)[:, None]
        r2 += self._scaled_x_sq[None, :]
        np.maximum(r2, 0.0, out=r2)
        for j in self._categorical_columns:
            r2 += self.lam[j] * (xs[:, j][:, None] != self.x[:, j][None, :])
        return r2


@dataclass
class Posterior:
    """A GP conditioned on (x, y) with fixed hyperparameters: mean and variance anywhere."""

    distance: ScaledDistance
    scale: float
    noise: float
    alpha: np.ndarray
    chol: np.ndarray  # lower Cholesky factor of the data's covariance

    @classmethod
    def condition(
        cls, x: np.ndarray, y: np.ndarray, is_categorical: np.ndarray, theta: np.ndarray
    ) -> Posterior:
        d = x.shape[1]
        lam, scale, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
        distance = ScaledDistance(x, is_categorical, lam)
        cov = matern52(distance.r2(x))
        cov *= scale
        cov[np.diag_indices(len(x))] += noise
        chol = scipy_linalg.cholesky(cov, lower=True, check_finite=False)
        alpha = scipy_linalg.cho_solve((chol, True), y, check_finite=False)
        return cls(distance, scale, noise, alpha, chol)

    @property
    def x(self) -> np.ndarray:
        return self.distance.x

    @property
    def lam(self) -> np.ndarray:
        return self.distance.lam

    @functools.cached_property
    def chol_inv(self) -> np.ndarray:
        """L^-1 for K = L L^T, computed when a variance is first asked for (a mean needs only
        alpha).

        The variance is ``scale - |L^-1 k|^2``, not ``scale - k K^-1 k``: next to the data it
        cancels to a small difference, and an explicit K^-1 (ill-conditioned for a
        near-noiseless objective) left it noisy in its leading digits there, so that the local
        search's line search failed in about half of Branin's local searches (BENCHMARKS.md).
        """
        inv, info = scipy_lapack.dtrtri(self.chol, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"trtri failed with info={info}")
        return np.tril(inv)

    def scaled_r2(self, xs: np.ndarray) -> np.ndarray:
        """Squared scaled distances from the rows of ``xs`` to the data, shape (len(xs), n)."""
        return self.distance.r2(xs)

    def predict_mean(self, xs: np.ndarray) -> np.ndarray:
        """Posterior mean of the latent function at the rows of ``xs``."""
        k = matern52(self.distance.r2(xs))
        return self.scale * (k @ self.alpha)

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at the rows of ``xs``."""
        k = matern52(self.scaled_r2(xs))
        k *= self.scale
        _, var = self._whitened_and_variance(k)
        return k @ self.alpha, np.maximum(var, 1e-12)

    def _whitened_and_variance(self, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """L^-1 k for each row k of kernel values to the data, and scale - |L^-1 k|^2."""
        whitened = k @ self.chol_inv.T
        return whitened, self.scale - np.einsum("ij,ij->i", whitened, whitened)

    def predict_with_backward(
        self, xs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
        """Mean, variance and ``backward``: ``backward(c_mean, c_var)`` is the gradient in xs
        of ``c_mean[i] mean[i] + c_var[i] var[i]`` for each row i (shape (m, d); 0 on
        categorical columns, and no variance term where the variance was clipped).

        A caller wants one such combination (its chain rule's), so the two gradients are never
        formed: d r2_j / d x = 2 lam (x - X_j) on continuous columns, and a gradient
        sum_j w_j d k_j / d x is 2 lam (x sum_j w_j - w @ X), one product with X for the
        combined weights (the variance's part still needs k K^-1, a product with L^-1).
        """
        k, dk_dr2 = matern52_with_grad(self.scaled_r2(xs), self.scale)
        mean = k @ self.alpha
        whitened, var = self._whitened_and_variance(k)
        clipped = var < 1e-12

        def backward(c_mean: np.ndarray, c_var: np.ndarray) -> np.ndarray:
            # d var / d k = -2 K^-1 k = -2 (L^-1 k) L^-1.
            if clipped.any():
                c_var = np.where(clipped, 0.0, c_var)
            w = (whitened @ self.chol_inv) * (-2.0 * c_var)[:, None]
            w += c_mean[:, None] * self.alpha
            w *= dk_dr2
            grad = (2.0 * self.lam) * (xs * w.sum(axis=1)[:, None] - w @ self.x)
            if self.distance.has_categorical:
                grad[:, self.distance.is_categorical] = 0.0
            return grad

        return mean, np.maximum(var, 1e-12), backward
