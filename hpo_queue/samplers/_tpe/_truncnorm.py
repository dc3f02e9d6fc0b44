"""Vectorized normal-distribution helpers (log masses, truncated sampling) in plain numpy."""

from __future__ import annotations

import math

import numpy as np

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
_LOG_HALF = math.log(0.5)
_JOINT_TAILS_MAX = 2048

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


def log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log P(a < Z < b) for a standard normal Z, elementwise, for a <= b."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    # Mirror intervals on the negative side so that hi > 0 always holds.
    flip = b <= 0.0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    n = lo.size
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if n <= _JOINT_TAILS_MAX:
            # Small arrays: the three tails in one pass, to pay numpy's per-call cost once
            # (elementwise, so the values are the same as from three calls).
            args = np.empty((3, *lo.shape))
            np.maximum(hi, 0.0, out=args[0])
            np.maximum(lo, 0.0, out=args[1])
            np.maximum(-lo, 0.0, out=args[2])
            tails = log_upper_tail(args.reshape(3 * n)).reshape(args.shape)
            log_q_hi, log_q_lo, log_q_neg_lo = tails[0], tails[1], tails[2]
        else:  # large ones stay apart, so each pass fits in the cache
            log_q_hi = log_upper_tail(np.maximum(hi, 0.0))
            log_q_lo = log_upper_tail(np.maximum(lo, 0.0))
            log_q_neg_lo = log_upper_tail(np.maximum(-lo, 0.0))
        # Both ends in the right tail: Q(lo) - Q(hi), computed relative to Q(lo).
        tail = log_q_lo + np.log(-np.expm1(log_q_hi - log_q_lo))
        # The interval straddles 0: 1 - Q(-lo) - Q(hi).
        central = np.log1p(-(np.exp(log_q_neg_lo) + np.exp(log_q_hi)))
        out = np.where(lo >= 0.0, tail, central)
        # Very narrow intervals: the midpoint rule beats a difference of two close tails.
        width = hi - lo
        mid = 0.5 * (hi + lo)
        narrow = -0.5 * mid * mid - LOG_SQRT_2PI + np.log(width)
    return np.where(width < 1e-3, narrow, out)


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
    out = rng.normal(mu, sigma)
    bad = (out < low) | (out > high)
    for _ in range(64):
        if not bad.any():
            break
        out[bad] = rng.normal(mu[bad], sigma[bad])
        bad = (out < low) | (out > high)
    if bad.any():  # Practically unreachable; stay inside the range regardless.
        out[bad] = rng.uniform(low, high, size=int(bad.sum()))
    return out
