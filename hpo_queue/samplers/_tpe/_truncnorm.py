"""Vectorized normal-distribution helpers (log masses, truncated sampling) in plain numpy."""

from __future__ import annotations

import math

import numpy as np

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_LOG_HALF = math.log(0.5)
_JOINT_TAILS_MAX = 2048
_EXP_ZERO_BELOW = -746.0

# Chebyshev-fitted coefficients of the classic erfc approximation (Numerical Recipes, "erfcc"):
# relative error below 1.2e-7 for every x >= 0, and it is expressed in log space, so far tails
# neither underflow nor lose precision.
_ERFC_COEFFS = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def log_upper_tail(x: np.ndarray) -> np.ndarray:
    """log P(Z > x) for a standard normal Z; accurate for x >= 0."""
    z = np.multiply(x, _SQRT_HALF, dtype=float)
    t = 0.5 * z
    t += 1.0
    np.divide(1.0, t, out=t)
    # Horner's rule in place: the same operations, in the same order, as (p + c) * t.
    coeffs = _ERFC_COEFFS
    poly = coeffs[-1] * t
    for coeff in coeffs[-2:0:-1]:
        poly += coeff
        poly *= t
    poly += coeffs[0]
    log_t = np.log(t)
    log_t += _LOG_HALF
    z *= z
    log_t -= z
    log_t += poly
    return log_t


def exp_underflowing(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.exp(x)`` for inputs of which many are far below zero; the same values.

    exp(x) rounds to 0.0 for every x below about -745.13, and numpy's exp takes a slow path
    for such finite inputs but not for -inf: those go in as -inf and come out as 0.0.
    """
    if out is None:
        out = x.copy()
    elif out is not x:
        np.copyto(out, x)
    np.copyto(out, -np.inf, where=out < _EXP_ZERO_BELOW)
    return np.exp(out, out=out)


def log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log P(a < Z < b) for a standard normal Z, elementwise, for a <= b."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        a, b = np.broadcast_arrays(a, b)
    # Mirror intervals on the negative side so that hi > 0 always holds.
    flip = b <= 0.0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    n = lo.size
    # Two tails per interval: Q(|lo|) is Q(lo) where both ends are in the right tail and
    # Q(-lo) where the interval straddles 0, the only places each is used.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if n <= _JOINT_TAILS_MAX:
            # Small arrays: both tails in one pass, to pay numpy's per-call cost once
            # (elementwise, so the values are the same as from two calls).
            args = np.empty((2, *lo.shape))
            np.maximum(hi, 0.0, out=args[0])
            np.absolute(lo, out=args[1])
            tails = log_upper_tail(args.reshape(2 * n)).reshape(args.shape)
            log_q_hi, log_q_lo = tails[0], tails[1]
        else:  # large ones stay apart, so each pass fits in the cache
            log_q_hi = log_upper_tail(np.maximum(hi, 0.0))
            log_q_lo = log_upper_tail(np.absolute(lo))
        # Both ends in the right tail: Q(lo) - Q(hi), computed relative to Q(lo).
        tail = log_q_lo + np.log(-np.expm1(log_q_hi - log_q_lo))
        # The interval straddles 0: 1 - Q(-lo) - Q(hi).
        central = np.log1p(-(exp_underflowing(log_q_lo) + exp_underflowing(log_q_hi)))
        out = np.where(lo >= 0.0, tail, central)
        # Very narrow intervals: the midpoint rule beats a difference of two close tails.
        width = hi - lo
        is_narrow = width < 1e-3
        if not is_narrow.any():  # the usual case: kernels are never that much wider than a cell
            return out
        mid = 0.5 * (hi + lo)
        narrow = -0.5 * mid * mid - LOG_SQRT_2PI + np.log(width)
    return np.where(is_narrow, narrow, out)


def sample_truncated(
    rng: np.random.Generator,
    mu: np.ndarray,
    sigma: np.ndarray,
    low: float,
    high: float,
) -> np.ndarray:
    """Draw one value per (mu, sigma) from a normal truncated to [low, high].

    Kernel centres lie inside the range and sigma never exceeds its width, so at least a third
    of the draws are accepted: rejection sampling converges in a few rounds.
    """
    # rng.normal(mu, sigma) is mu + sigma * z for a standard normal z; this way skips its
    # broadcasting machinery (same stream, same values).
    out = rng.standard_normal(len(mu))
    out *= sigma
    out += mu
    rejected = np.flatnonzero((out < low) | (out > high))
    if len(rejected) == 0:
        return out
    # Redraw the few rejected values one by one, round after round in index order: the same
    # stream of draws as vectorized redraws, without numpy's cost per call on tiny arrays.
    normal = rng.normal
    mus, sigmas = mu.tolist(), sigma.tolist()
    pending = rejected.tolist()
    for _ in range(64):
        still = []
        for i in pending:
            value = normal(mus[i], sigmas[i])
            out[i] = value
            if value < low or value > high:
                still.append(i)
        pending = still
        if not pending:
            return out
    # Practically unreachable; stay inside the range regardless.
    out[pending] = rng.uniform(low, high, size=len(pending))
    return out
