"""The noise of one metric over a client's series (:mod:`progress.series`): which photos count, the
within-sitting SD of their repeats, a session value's SD and the minimal detectable change.

The project's default noise (:mod:`progress.noise`) is passed in by the caller, so that this module and
:mod:`progress.noise` (whose measurement drops photos by :func:`exclusion`) do not import each other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

from progress.quality import Status

if TYPE_CHECKING:
    from progress.analysis import PhotoResult
    from progress.metric_spec import MetricSpec

__all__ = [
    "MIN_REPEAT_DF",
    "MIN_SCATTER_SESSIONS",
    "Exclusion",
    "NoiseSource",
    "SeriesNoise",
    "exclusion",
    "minimal_detectable_change",
    "pooled_within_session_sd",
    "series_mdc",
    "series_noise",
    "session_noise",
]

MIN_REPEAT_DF = 4
"""Degrees of freedom of repeat photos needed to use the series' own within-sitting noise instead of the default."""
MIN_SCATTER_SESSIONS = 5
"""From this many usable sessions on, the residual scatter around the trend (n − 2 ≥ 3 df) may raise the noise."""


class NoiseSource(StrEnum):
    """Where a noise figure came from."""

    REPEATS = "repeats"  # this series' repeat photos (within-sitting)
    DEFAULT = "default"  # the project's default measured on real repeat captures (progress.noise)
    BASELINE_SESSIONS = "baseline sessions"  # the scatter of this client's pre-treatment sessions
    SERIES_SCATTER = "series scatter"  # the residual scatter of the session values around their trend


def pooled_within_session_sd(groups: Sequence[Sequence[float]]) -> tuple[float, int]:
    """Pooled within-session SD of repeat measurements and its degrees of freedom.

    SD = √[Σₛ Σᵣ (yₛᵣ − ȳₛ)² / Σₛ (kₛ − 1)] over sessions with kₛ ≥ 2.

    Examples:
        >>> sd, df = pooled_within_session_sd([[1.0, 3.0], [10.0, 10.0, 13.0], [5.0]])
        >>> round(sd, 6), df
        (1.632993, 3)
    """
    squares, degrees = 0.0, 0
    for values in groups:
        array = np.asarray(values, dtype=np.float64)
        if len(array) >= 2:
            squares += float(((array - array.mean()) ** 2).sum())
            degrees += len(array) - 1
    return (math.sqrt(squares / degrees) if degrees else math.nan), degrees


def minimal_detectable_change(noise: float, photos_first: int = 1, photos_latest: int = 1) -> float:
    """MDC95 of the difference of two session values from within-sitting noise alone: 1.96 · SEM · √(1/k₁ + 1/k₂).

    :func:`progress.series.analyze_series` adds the day-to-day part (:func:`session_noise`); this is the textbook
    formula.

    Examples:
        >>> round(minimal_detectable_change(1.0), 4)  # 1.96·√2
        2.7719
        >>> round(minimal_detectable_change(1.0, 3, 3), 4)
        1.6003
    """
    return 1.96 * noise * math.sqrt(1 / max(photos_first, 1) + 1 / max(photos_latest, 1))


def session_noise(within: float, day: float, photos: int = 1) -> float:
    """SD of one session's value: √(σ_day² + σ_w²/k) for k photos (the median of k photos taken as their mean).

    Examples:
        >>> round(session_noise(2.0, 1.0, 4), 6)  # √(1 + 4/4)
        1.414214
    """
    return math.sqrt(day**2 + within**2 / max(photos, 1))


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Why one photo's value does not count for one metric.

    Attributes:
        path: The photo's path or name.
        error: The photo's error message when it could not be analysed, else None.
        failed_checks: The capture checks the metric depends on that failed, or warned where a warning is
            enough to leave the photo out (empty when the photo is unusable or the metric not measurable on it).
    """

    path: str
    error: str | None = None
    failed_checks: tuple[str, ...] = ()

    def sentence(self) -> str:
        """The reason in a sentence fragment: ``"a.jpg: head_yaw, sharpness not passed"``."""
        if self.error is not None:
            return f"{self.path}: {self.error}"
        if self.failed_checks:
            return f"{self.path}: {', '.join(self.failed_checks)} not passed"
        return f"{self.path}: not measurable"


def exclusion(photo: PhotoResult, spec: MetricSpec) -> Exclusion | None:
    """None when the photo's value counts for the metric, else why it does not: an unusable photo, no value, a
    capture check the metric depends on failed, or one of its ``MetricSpec.excluded_on_warning`` checks warned
    (the light or framing differs from the baseline's; an expression folds the skin)."""
    if photo.error is not None:
        return Exclusion(str(photo.path), error=str(photo.error))
    if spec.name not in photo.metrics or not math.isfinite(photo.metrics[spec.name]):
        return Exclusion(str(photo.path))
    strict = spec.excluded_on_warning
    failed = tuple(
        c.name
        for c in photo.checks
        if c.name in spec.depends_on and (c.status is Status.FAIL or (c.status is Status.WARN and c.name in strict))
    )
    return Exclusion(str(photo.path), failed_checks=failed) if failed else None


@dataclass(frozen=True, slots=True)
class SeriesNoise:
    """The noise of one metric in one series: σ_w, σ_day and the series' own session-level estimate (or NaN)."""

    within: float
    within_source: NoiseSource
    day: float
    scatter: float
    scatter_source: NoiseSource
    baseline_scatter: float = math.nan

    def known(self, photos: int) -> float:
        """The session SD taken as known (tested with the normal quantile): the floor, or the baseline sessions'
        scatter when larger. The residual scatter around the trend is an estimate instead (tested with t)."""
        floor = session_noise(self.within, self.day, photos)
        return max(floor, self.baseline_scatter) if math.isfinite(self.baseline_scatter) else floor

    def session(self, photos: int) -> float:
        """SD of a session value with ``photos`` photos: the floor, or the series' own estimate when larger."""
        floor = session_noise(self.within, self.day, photos)
        return max(floor, self.scatter) if math.isfinite(self.scatter) else floor


def series_noise(
    default_within: float,
    default_day: float,
    groups: Sequence[Sequence[float]],
    values: Sequence[float],
    times: Sequence[float],
    usable: Sequence[int],
    base: Sequence[int],
) -> SeriesNoise:
    """One metric's noise in one series.

    Args:
        default_within: The project's default σ_w for the metric (:func:`progress.noise.default_noise`).
        default_day: Its default σ_day (:func:`progress.noise.default_day_noise`).
        groups: The metric's usable photo values, session by session.
        values: The session values (NaN where a session has none).
        times: The sessions' times (days or index).
        usable: Indices of the sessions with a value.
        base: Indices of the baseline sessions among them.
    """
    repeat_sd, degrees = pooled_within_session_sd(groups)
    if degrees >= MIN_REPEAT_DF and not repeat_sd <= default_within:
        within, source = repeat_sd, NoiseSource.REPEATS
    else:
        within, source = default_within, NoiseSource.DEFAULT
    scatter, scatter_source, baseline_scatter = math.nan, NoiseSource.DEFAULT, math.nan
    if len(base) >= 2:
        scatter = baseline_scatter = float(np.std([values[i] for i in base], ddof=1))
        scatter_source = NoiseSource.BASELINE_SESSIONS
    if len(usable) >= MIN_SCATTER_SESSIONS:
        x = np.array([times[i] for i in usable])
        y = np.array([values[i] for i in usable])
        if np.ptp(x) > 0:
            slope, intercept = np.polyfit(x, y, 1)
            residual = float(np.sqrt(((y - (slope * x + intercept)) ** 2).sum() / (len(x) - 2)))
            if not math.isfinite(scatter) or residual > scatter:
                scatter, scatter_source = residual, NoiseSource.SERIES_SCATTER
    return SeriesNoise(within, source, default_day, scatter, scatter_source, baseline_scatter)


def series_mdc(noise: SeriesNoise, photos_latest: int, photos_baseline: Sequence[int]) -> float:
    """1.96 · √(Var latest + Var mean of the baseline sessions)."""
    baseline_variance = sum(noise.session(k) ** 2 for k in photos_baseline) / len(photos_baseline) ** 2
    return 1.96 * math.sqrt(noise.session(photos_latest) ** 2 + baseline_variance)
