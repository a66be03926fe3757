"""A client's treatment series: per-metric session values, change since baseline, trend, noise and verdicts.

The statistics follow ``../shared/reference/metrics.md`` §5:

- A session's value per metric is the median of its usable photos (a photo is unusable for a metric when a
  capture check the metric depends on fails, or when the photo could not be analysed at all).
- Measurement noise per metric is the pooled within-session SD of repeat photos,
  SEM = √[Σₛ Σᵣ (yₛᵣ − ȳₛ)² / Σₛ (kₛ − 1)], when the series has at least ``MIN_REPEAT_DF`` degrees of freedom of
  repeats; otherwise the project's documented default (:mod:`progress.noise`).
- Change since baseline = latest session − first session, with its minimal detectable change
  MDC95 = 1.96 · SEM · √(1/k_first + 1/k_latest) (= 1.96·√2·SEM for one photo a session).
- Trend: OLS slope of session values on days (or session index when dates are missing) with its 95 % CI, and
  Theil–Sen as a robust cross-check.
- A change is called only when |change| > MDC95 **and** the OLS trend's CI excludes zero in the same direction
  (and for secondary metrics, when the trend survives Benjamini–Hochberg false-discovery control at 5 % across
  the secondary metrics). Primary metrics (up to five, chosen by the practitioner) are pre-declared and tested
  alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

import numpy as np
from scipy import stats

from progress.analysis import PhotoResult, compare_with_baseline
from progress.catalogue import Better, MetricSpec, catalogue
from progress.noise import default_noise
from progress.quality import Status

__all__ = [
    "MAX_PRIMARY_METRICS",
    "MetricSeries",
    "SeriesResult",
    "Session",
    "Verdict",
    "analyze_series",
    "benjamini_hochberg",
    "exclusion_reason",
    "group_sessions",
    "linear_trend",
    "minimal_detectable_change",
    "pooled_within_session_sd",
    "with_baseline",
]

MIN_SESSIONS = 3
"""Fewer usable sessions than this: not enough data for a verdict."""
MIN_REPEAT_DF = 4
"""Degrees of freedom of repeat photos needed to use the series' own noise instead of the default."""
MAX_PRIMARY_METRICS = 5
FALSE_DISCOVERY_RATE = 0.05
DRIFT_CHECKS = ("lighting_change", "light_direction_change", "camera_distance_change")
"""Baseline comparisons: a metric that depends on one of them is unreliable when it warns in half the sessions."""


class Verdict(StrEnum):
    """What can honestly be said about one metric over the series."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    CHANGED = "changed"  # a real change in a metric with no better direction
    NO_CLEAR_CHANGE = "no clear change"
    NOT_ENOUGH_DATA = "not enough data"
    UNRELIABLE = "unreliable"


@dataclass(frozen=True, slots=True)
class Session:
    """One treatment session.

    Attributes:
        label: The session's name (its date, or the folder it came from).
        day: Its calendar date, or None when no photo of it carries one.
        photos: Its photos, in the order given.
    """

    label: str
    day: date | None
    photos: tuple[PhotoResult, ...]


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One metric across the series.

    Attributes:
        spec: The metric's catalogue entry.
        values: Session value (median of usable photos) per session, NaN where none was usable.
        photo_counts: Usable photos per session.
        noise: Measurement noise (SEM of one photo), in the metric's unit.
        noise_source: "repeats" (this series' repeat photos) or "default" (the project's measured default).
        baseline, latest: First and last usable session values.
        change: latest − baseline.
        minimal_detectable_change: MDC95 of that change.
        slope_per_day, slope_low, slope_high: OLS trend and its 95 % CI (per day, or per session when undated).
        theil_sen_slope: Median of pairwise slopes (robust cross-check).
        p_value, adjusted_p_value: The trend's two-sided p, and after Benjamini–Hochberg (secondary metrics).
        primary: Chosen by the practitioner as one of the client's primary metrics.
        verdict: What can be said.
        reasons: Why, in plain sentences (exclusions, noise source, what failed).
    """

    spec: MetricSpec
    values: tuple[float, ...]
    photo_counts: tuple[int, ...]
    noise: float
    noise_source: str
    baseline: float
    latest: float
    change: float
    minimal_detectable_change: float
    slope_per_day: float
    slope_low: float
    slope_high: float
    theil_sen_slope: float
    p_value: float
    adjusted_p_value: float
    primary: bool
    verdict: Verdict
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """The whole series.

    Attributes:
        sessions: In date order.
        metrics: Per metric name.
        trend_unit: "day" or "session" (when any session has no date).
        controls_moved: Negative-control metrics that changed, which makes every called change unreliable.
        notes: Series-level remarks (undated sessions, excluded photos, ...).
    """

    sessions: tuple[Session, ...]
    metrics: Mapping[str, MetricSeries]
    trend_unit: str
    controls_moved: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def group_sessions(results: Sequence[PhotoResult], labels: Sequence[str] | None = None) -> list[Session]:
    """Group photos into sessions and put the sessions in date order.

    Args:
        results: Analysed photos.
        labels: A session label per photo (e.g. the sub-folder it came from); None groups by capture date.
            Photos with neither get one session each, in the order given, after the dated ones.

    Returns:
        Sessions sorted by date (undated ones keep their order, after the dated ones).
    """
    groups: dict[str, list[PhotoResult]] = {}
    for index, result in enumerate(results):
        day = result.captured_at.date() if result.captured_at else None
        key = labels[index] if labels is not None else (day.isoformat() if day else f"undated photo {index + 1}")
        groups.setdefault(key, []).append(result)
    sessions = []
    for label, photos in groups.items():
        days = sorted(p.captured_at.date() for p in photos if p.captured_at)
        sessions.append(Session(label=label, day=days[0] if days else None, photos=tuple(photos)))
    dated = sorted((s for s in sessions if s.day is not None), key=lambda s: (s.day, s.label))
    return dated + [s for s in sessions if s.day is None]


def with_baseline(sessions: Sequence[Session]) -> list[Session]:
    """Measure every photo against the client's baseline: the first usable photo of the first session.

    Adds the camera-distance and lighting checks and fixes the per-client skin constants
    (:func:`progress.analysis.compare_with_baseline`).
    """
    baseline = next((photo for session in sessions for photo in session.photos if photo.ok), None)
    if baseline is None:
        return list(sessions)
    return [
        replace(session, photos=tuple(photo if photo is baseline else compare_with_baseline(photo, baseline)
                                      for photo in session.photos))
        for session in sessions
    ]


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
    """MDC95 of the difference of two session values: 1.96 · SEM · √(1/k₁ + 1/k₂).

    Examples:
        >>> round(minimal_detectable_change(1.0), 4)  # 1.96·√2
        2.7719
        >>> round(minimal_detectable_change(1.0, 3, 3), 4)
        1.6003
    """
    return 1.96 * noise * math.sqrt(1 / max(photos_first, 1) + 1 / max(photos_latest, 1))


def linear_trend(times: Sequence[float], values: Sequence[float]) -> tuple[float, float, float, float]:
    """OLS slope with its two-sided 95 % CI (t with n − 2 df) and p-value.

    Returns:
        (slope, low, high, p); NaNs when fewer than 3 points.

    Examples:
        >>> slope, low, high, p = linear_trend([0, 1, 2, 3], [0.0, 1.1, 1.9, 3.0])
        >>> round(slope, 4), round(low, 4), round(high, 4)
        (0.98, 0.7975, 1.1625)
    """
    x, y = np.asarray(times, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0:
        return math.nan, math.nan, math.nan, math.nan
    fit = stats.linregress(x, y)
    margin = float(stats.t.ppf(0.975, len(x) - 2)) * float(fit.stderr)
    p_value = float(fit.pvalue) if np.isfinite(fit.pvalue) else (0.0 if fit.stderr == 0 else 1.0)
    return float(fit.slope), float(fit.slope) - margin, float(fit.slope) + margin, p_value


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


def analyze_series(
    sessions: Sequence[Session], *, primary: Sequence[str] = (), metrics: Sequence[MetricSpec] | None = None
) -> SeriesResult:
    """Turn a client's analysed photos, grouped into sessions, into per-metric changes, trends and verdicts.

    Args:
        sessions: From :func:`group_sessions` (date order).
        primary: Up to five metric names the practitioner chose for this client.
        metrics: The metrics to report (default: the whole catalogue).

    Returns:
        The frozen series result.

    Raises:
        ValueError: More than five primary metrics, or a name that is not in the catalogue.
    """
    specs = list(metrics if metrics is not None else catalogue())
    known = {spec.name for spec in specs}
    if len(primary) > MAX_PRIMARY_METRICS or not set(primary) <= known:
        raise ValueError(
            f"Choose at most {MAX_PRIMARY_METRICS} primary metrics from the catalogue, got {list(primary)}.")
    times, trend_unit = _session_times(sessions)
    drafts = {spec.name: _draft(spec, sessions, times, primary=spec.name in primary) for spec in specs}
    secondary = [name for name, draft in drafts.items() if not draft.primary]
    for name, adjusted in zip(secondary, benjamini_hochberg([drafts[n].p_value for n in secondary]), strict=True):
        drafts[name] = _with(drafts[name], adjusted_p_value=adjusted)
    decided = {name: _decide(draft) for name, draft in drafts.items()}
    moved = tuple(name for name, result in decided.items()
                  if result.spec.negative_control and result.verdict is Verdict.CHANGED)
    if moved:
        decided = {name: _distrust(result, moved) for name, result in decided.items()}
    notes = _notes(sessions)
    return SeriesResult(sessions=tuple(sessions), metrics=decided, trend_unit=trend_unit, controls_moved=moved,
                        notes=notes)


def _session_times(sessions: Sequence[Session]) -> tuple[list[float], str]:
    """Days since the first session when every session has its own date; otherwise the session index."""
    days = [s.day for s in sessions]
    if days and all(day is not None for day in days) and len(set(days)) == len(days):
        first = days[0]
        assert first is not None
        return [float((day - first).days) for day in days if day is not None], "day"
    return [float(index) for index in range(len(sessions))], "session"


def exclusion_reason(photo: PhotoResult, spec: MetricSpec) -> str | None:
    """None when the photo's value counts for the metric, else the reason it does not (unusable photo, no value,
    or a capture check the metric depends on failed)."""
    if photo.error is not None:
        return f"{photo.path}: {photo.error}"
    if spec.name not in photo.metrics or not math.isfinite(photo.metrics[spec.name]):
        return f"{photo.path}: not measurable"
    failed = [c.name for c in photo.checks if c.name in spec.depends_on and c.status is Status.FAIL]
    return f"{photo.path}: {', '.join(failed)} failed" if failed else None


def _draft(spec: MetricSpec, sessions: Sequence[Session], times: Sequence[float], *, primary: bool) -> MetricSeries:
    """Everything but the verdict."""
    groups: list[list[float]] = []
    reasons: list[str] = []
    for session in sessions:
        kept = []
        for photo in session.photos:
            reason = exclusion_reason(photo, spec)
            if reason is None:
                kept.append(photo.metrics[spec.name])
            else:
                reasons.append(f"excluded {reason}")
        groups.append(kept)
    values = [float(np.median(g)) if g else math.nan for g in groups]
    counts = [len(g) for g in groups]
    repeat_sd, degrees = pooled_within_session_sd(groups)
    if degrees >= MIN_REPEAT_DF:
        noise, source = repeat_sd, "repeats"
    else:
        noise, source = default_noise(spec.name), "default"
        reasons.append(f"noise from the project's default ({degrees} repeat degrees of freedom in this series)")
    usable = [i for i, v in enumerate(values) if math.isfinite(v)]
    if usable:
        first, last = usable[0], usable[-1]
        baseline, latest = values[first], values[last]
        mdc = minimal_detectable_change(noise, counts[first], counts[last])
    else:
        baseline = latest = mdc = math.nan
    slope, low, high, p_value = linear_trend([times[i] for i in usable], [values[i] for i in usable])
    theil = _theil_sen([times[i] for i in usable], [values[i] for i in usable])
    drift = _drift_reason(spec, sessions)
    if drift:
        reasons.append(drift)
    return MetricSeries(spec=spec, values=tuple(values), photo_counts=tuple(counts), noise=noise, noise_source=source,
                        baseline=baseline, latest=latest, change=latest - baseline, minimal_detectable_change=mdc,
                        slope_per_day=slope, slope_low=low, slope_high=high, theil_sen_slope=theil,
                        p_value=p_value, adjusted_p_value=p_value, primary=primary,
                        verdict=Verdict.UNRELIABLE if drift else Verdict.NO_CLEAR_CHANGE, reasons=tuple(reasons))


def _theil_sen(times: Sequence[float], values: Sequence[float]) -> float:
    if len(times) < 3 or np.ptp(times) == 0:
        return math.nan
    return float(stats.theilslopes(values, times, alpha=0.95).slope)


def _drift_reason(spec: MetricSpec, sessions: Sequence[Session]) -> str | None:
    """The conditions drifted for this metric: a baseline check it depends on warned in half the sessions."""
    for check_name in DRIFT_CHECKS:
        if check_name not in spec.depends_on:
            continue
        warned = sum(
            any(c.name == check_name and c.status is not Status.PASS for p in s.photos for c in p.checks)
            for s in sessions
        )
        if len(sessions) >= MIN_SESSIONS and warned * 2 >= len(sessions):
            return f"{check_name.replace('_', ' ')} warned in {warned} of {len(sessions)} sessions"
    return None


def _decide(draft: MetricSeries) -> MetricSeries:
    usable_sessions = sum(1 for v in draft.values if math.isfinite(v))
    if usable_sessions < MIN_SESSIONS:
        failed = sorted({check for reason in draft.reasons if reason.endswith(" failed")
                         for check in reason.rsplit(": ", 1)[-1].removesuffix(" failed").split(", ")})
        why = f"; photos left out because {', '.join(failed).replace('_', ' ')} failed" if failed else ""
        shortfall = f"{usable_sessions} usable sessions, at least {MIN_SESSIONS} needed{why}"
        return _with(draft, verdict=Verdict.NOT_ENOUGH_DATA, reasons=(*draft.reasons, shortfall))
    if draft.verdict is Verdict.UNRELIABLE:
        return draft
    beyond_noise = abs(draft.change) > draft.minimal_detectable_change
    trend_up, trend_down = draft.slope_low > 0, draft.slope_high < 0
    agrees = (trend_up and draft.change > 0) or (trend_down and draft.change < 0)
    significant = draft.primary or draft.adjusted_p_value < FALSE_DISCOVERY_RATE
    if not (beyond_noise and agrees and significant):
        return _with(draft, verdict=Verdict.NO_CLEAR_CHANGE)
    better = draft.spec.better
    if better is Better.NEITHER:
        return _with(draft, verdict=Verdict.CHANGED)
    improved = (draft.change > 0) == (better is Better.HIGHER)
    return _with(draft, verdict=Verdict.IMPROVED if improved else Verdict.WORSENED)


def _distrust(result: MetricSeries, moved: tuple[str, ...]) -> MetricSeries:
    if result.verdict not in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED):
        return result
    reason = f"negative controls moved ({', '.join(moved)}): the measurement itself changed"
    return _with(result, verdict=Verdict.UNRELIABLE, reasons=(*result.reasons, reason))


def _with(result: MetricSeries, **changes: object) -> MetricSeries:
    return replace(result, **changes)  # type: ignore[arg-type]


def _notes(sessions: Sequence[Session]) -> tuple[str, ...]:
    notes = []
    undated = [s.label for s in sessions if s.day is None]
    if undated:
        notes.append(f"{len(undated)} session(s) without a date were placed in the order given: {', '.join(undated)}")
    failed = [p for s in sessions for p in s.photos if p.error is not None]
    if failed:
        notes.append(f"{len(failed)} photo(s) could not be used: "
                     + "; ".join(f"{p.path}: {p.error}" for p in failed))
    return tuple(notes)
