"""Tests on a series of session values: the OLS trend against the larger of a known and an estimated noise, the
Theil–Sen cross-check, and the multiplicity adjustments (Holm for a client's primary metrics, Benjamini–Hochberg
within a family of secondary ones). Pure functions on sequences of floats; :mod:`progress.series` applies them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

import numpy as np
from scipy import special, stats

__all__ = ["THEIL_SEN_CONFIDENCE", "benjamini_hochberg", "holm", "linear_trend", "theil_sen"]

THEIL_SEN_CONFIDENCE = 0.80
"""Two-sided level of the Theil–Sen CI: its bound on the change's side is a one-sided 90 % test."""
_Z = 1.959963984540054  # the normal distribution's 97.5 % quantile


def linear_trend(
    times: Sequence[float], values: Sequence[float], *, noise: float = 0.0
) -> tuple[float, float, float, float]:
    """OLS slope with its two-sided 95 % CI and p-value, against the larger of two noises.

    The slope's standard error is estimated from the residuals (t with n − 2 df) and, independently, is at least
    ``noise`` / √Σ(t − t̄)² where ``noise`` is a known SD of one value (the normal quantile). The CI's half-width
    is the larger of t₀.₉₇₅ · SE_residual and z₀.₉₇₅ · SE_known, and p the larger of the two tests' p, so the CI
    excludes zero exactly when both tests reject at 5 %.

    Args:
        times, values: The points.
        noise: The known SD of one value (0 for none).

    Returns:
        (slope, low, high, p); NaNs when fewer than 3 points.

    Examples:
        >>> slope, low, high, p = linear_trend([0, 1, 2, 3], [0.0, 1.1, 1.9, 3.0])
        >>> round(slope, 4), round(low, 4), round(high, 4)
        (0.98, 0.7975, 1.1625)
        >>> slope, low, high, p = linear_trend([0, 1, 2, 3], [0.0, 1.1, 1.9, 3.0], noise=1.0)
        >>> round(high - slope, 4)  # 1.96 · 1 / √5
        0.8765
        >>> linear_trend([0, 1, 2], [1.0, 1.0, 1.0])  # flat and exact: no trend at all
        (0.0, 0.0, 0.0, 1.0)
    """
    x, y = np.asarray(times, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan, math.nan
    dx, dy = x - x.mean(), y - y.mean()
    spread = float(dx @ dx)
    slope, degrees = float(dx @ dy) / spread, len(x) - 2
    residual = math.sqrt(float(((dy - slope * dx) ** 2).sum()) / degrees / spread)
    known = noise / math.sqrt(spread) if math.isfinite(noise) and noise > 0 else 0.0
    margin = max(_t_quantile(degrees) * residual, _Z * known)
    p_residual = float(2 * special.stdtr(degrees, -abs(slope) / residual)) if residual > 0 else float(slope == 0)
    p_known = float(special.erfc(abs(slope) / known / math.sqrt(2))) if known > 0 else 0.0
    return slope, slope - margin, slope + margin, max(p_residual, p_known)


@cache
def _t_quantile(degrees: int) -> float:
    """The 97.5 % quantile of Student's t with ``degrees`` degrees of freedom."""
    return float(stats.t.ppf(0.975, degrees))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (step-up; NaN stays NaN).

    Examples:
        >>> [round(p, 4) for p in benjamini_hochberg([0.01, 0.04, 0.03, 0.2])]
        [0.04, 0.0533, 0.0533, 0.2]
    """
    p = np.asarray(p_values, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(p))
    adjusted = np.full(len(p), np.nan)
    if len(finite) == 0:
        return adjusted.tolist()
    order = finite[np.argsort(p[finite])]
    ranked = p[order] * len(finite) / np.arange(1, len(finite) + 1)
    adjusted[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return adjusted.tolist()


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (5 % familywise when compared with 0.05; uniformly more powerful than
    Bonferroni): the i-th smallest p times (m − i + 1), made monotone, capped at 1; NaN stays NaN.

    Examples:
        >>> holm([0.01, 0.04, 0.03])
        [0.03, 0.06, 0.06]
    """
    finite = [(p, i) for i, p in enumerate(p_values) if math.isfinite(p)]
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(sorted(finite)):
        running = max(running, min(1.0, (len(finite) - rank) * p))
        adjusted[index] = running
    return adjusted


def theil_sen(times: Sequence[float], values: Sequence[float]) -> tuple[float, float, float]:
    """Theil–Sen slope and its ``THEIL_SEN_CONFIDENCE`` CI; NaNs with fewer than 3 points."""
    if len(times) < 3 or np.ptp(times) == 0:
        return math.nan, math.nan, math.nan
    fit = stats.theilslopes(values, times, alpha=THEIL_SEN_CONFIDENCE)
    return float(fit.slope), float(fit.low_slope), float(fit.high_slope)
