"""A client's treatment series: per-metric session values, change since baseline, trend, noise and verdicts.

The statistics are those of ``docs/metrics.md`` ("Across sessions: noise, change and verdicts"), with the noise
measured on real faces (``docs/noise.md``):

- A session's value per metric is the median of its usable photos (a photo is unusable for a metric when a
  capture check the metric depends on fails, when a comparison with the baseline photo warns, or for spots,
  texture and lines when an expression warns: :func:`progress.series_noise.exclusion`; or when the photo could
  not be analysed at all).
- **Noise has two parts.** σ_w, the within-sitting SD of one photo: the pooled SD of this series' repeat photos,
  √[Σₛ Σᵣ (yₛᵣ − ȳₛ)² / Σₛ (kₛ − 1)], when they give at least ``MIN_REPEAT_DF`` degrees of freedom, else the
  documented default (:func:`progress.noise.default_noise`). σ_day, the day-to-day SD a session adds on top
  (:func:`progress.noise.default_day_noise`, a floor measured on real repeat captures). A session value with k
  photos scatters by σ_session = √(σ_day² + σ_w²/k) at least; where the series can say more, its own estimate
  is used when larger: the SD of the baseline sessions' values when two or more sessions precede the first
  treatment (``baseline_sessions``), else the residual SD of the session values around their trend
  (n − 2 degrees of freedom, from ``MIN_SCATTER_SESSIONS`` sessions on).
- Trend: OLS slope b of the session values on days (or session index when dates are missing). Its 95 % CI is
  b ± max(t₀.₉₇₅,ₙ₋₂ · SE_residual, 1.96 · σ_known / √Σ(t − t̄)²) (:func:`linear_trend`), σ_known being the floor
  √(σ_day² + σ_w²/k) or the baseline sessions' SD when larger; Theil–Sen as a robust cross-check.
- Baseline = the mean of the baseline sessions (the first usable session by default). **Change** = the trend's
  change from the baseline to the latest session, b · (t_latest − t̄_baseline), which uses every session
  instead of two; MDC95 = the CI's half-width · |t_latest − t̄_baseline|, so |change| > MDC95 exactly when the
  trend's CI excludes zero. With two sessions (no trend yet): latest − baseline, MDC95 = 1.96 · √(Var latest +
  Var baseline).
- A change is called only when (i) |change| > MDC95, (ii) the Theil–Sen slope's 80 % CI excludes zero in the
  same direction (a one-sided 90 % test, robust to one bad session such as a baseline photo that was off),
  (iii) it persists: the latest two sessions both lie beyond the baseline in that direction (from
  ``MIN_PERSISTENCE_SESSIONS`` sessions on), and (iv) multiplicity: a primary metric (at most five, declared by
  the practitioner) is tested on its own trend, the primaries sharing 5 % familywise by Holm's step-down
  (:func:`~progress.trend.holm`: the smallest p times their number, the next times one less, …); a secondary
  metric's trend p must survive Benjamini–Hochberg at 5 % within its pre-declared family
  (:func:`metric_family`: metric family × region group, a handful of metrics each).
  A negative control is a warning and is tested alone and more sensitively: it has moved when its OLS trend's CI
  (against the realistic noise) excludes zero; then every called change is "unreliable" (capture changed).
- A called change is "unreliable" too when a check the metric depends on that compares the light or the camera
  distance with the baseline, or scores an expression, drifted steadily over the same sessions: its session
  medians trend by ``DRIFT_SHARE`` of its limit or more (``conditions_drifted``).
- Every metric says which rule decided its verdict (:class:`Rule`); :mod:`progress.summary` puts it into words.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

import numpy as np

from progress.analysis import PhotoResult, compare_with_baseline
from progress.catalogue import Better, MetricSpec, catalogue
from progress.metric_spec import BASELINE_COMPARISONS
from progress.noise import default_day_noise, default_noise
from progress.series_noise import MIN_REPEAT_DF as MIN_REPEAT_DF  # the series' rules, where they were
from progress.series_noise import MIN_SCATTER_SESSIONS as MIN_SCATTER_SESSIONS
from progress.series_noise import (
    Exclusion,
    NoiseSource,
    exclusion,
    minimal_detectable_change,
    pooled_within_session_sd,
    series_mdc,
    series_noise,
    session_noise,
)
from progress.trend import benjamini_hochberg, holm, linear_trend, theil_sen

__all__ = [
    "MAX_PRIMARY_METRICS",
    "Exclusion",
    "MetricSeries",
    "NoiseSource",
    "Rule",
    "SeriesResult",
    "Session",
    "TrendUnit",
    "Verdict",
    "analyze_series",
    "benjamini_hochberg",
    "exclusion",
    "group_sessions",
    "holm",
    "linear_trend",
    "metric_family",
    "minimal_detectable_change",
    "pooled_within_session_sd",
    "region_group",
    "session_noise",
    "with_baseline",
]

MIN_SESSIONS = 3
"""Fewer usable sessions than this: not enough data for a verdict."""
MIN_PERSISTENCE_SESSIONS = 4
"""From this many usable sessions on, the session before the latest must also lie beyond the baseline, the same way."""
MAX_PRIMARY_METRICS = 5
FALSE_DISCOVERY_RATE = 0.05
ALPHA = 0.05
DRIFT_SHARE = 0.5
"""A baseline comparison or expression check drifted when its session values trend (OLS 95 % CI excluding zero)
by at least this share of its pass limit from the first session it has to the latest."""


class Verdict(StrEnum):
    """What can honestly be said about one metric over the series."""

    IMPROVED = "improved"
    WORSENED = "worsened"
    CHANGED = "changed"  # a real change in a metric with no better direction
    NO_CLEAR_CHANGE = "no clear change"
    NOT_ENOUGH_DATA = "not enough data"
    UNRELIABLE = "unreliable"

    @property
    def is_change(self) -> bool:
        """A change was called: improved, worsened or changed."""
        return self in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)

    @property
    def is_judged(self) -> bool:
        """The series was comparable and the metric judged: a change, or no clear change."""
        return self.is_change or self is Verdict.NO_CLEAR_CHANGE


class TrendUnit(StrEnum):
    """What the trend's slope is per: a day when every session has a date, else a session."""

    DAY = "day"
    SESSION = "session"


class Rule(StrEnum):
    """The rule that decided a metric's verdict (:func:`progress.summary.rule_sentence` says it in words)."""

    NOT_ENOUGH_DATA = "not_enough_data"  # fewer than MIN_SESSIONS usable sessions
    CONDITIONS_DRIFTED = "conditions_drifted"  # a change came with a steady drift of light, distance or expression
    CAPTURE_CHANGED = "capture_changed"  # a negative control moved: called changes are not trusted
    WITHIN_NOISE = "within_noise"  # |change| ≤ MDC95
    NO_TREND = "no_trend"  # the Theil–Sen trend's CI includes zero or points the other way
    NOT_PERSISTENT = "not_persistent"  # the latest two sessions were not both beyond the baseline that way
    FAMILY_FALSE_DISCOVERY = "family_false_discovery"  # a secondary that did not survive BH in its family
    PRIMARY_FAMILYWISE = "primary_familywise"  # a primary whose trend p did not survive Holm over the primaries
    PRIMARY_TEST = "primary_test"  # called: a primary metric, tested alone
    FAMILY_TEST = "family_test"  # called: a secondary metric, surviving BH in its family
    CONTROL_TEST = "control_test"  # called: a negative control, tested alone


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
        noise: Within-sitting SD of one photo (σ_w), in the metric's unit.
        noise_source: Where σ_w came from (repeats or default).
        baseline, latest: Baseline (mean of the baseline sessions' values) and the last usable session value.
        change: The trend's change from the baseline to the latest session (latest − baseline with two sessions).
        minimal_detectable_change: MDC95 of that change (module docstring).
        slope_per_day, slope_low, slope_high: OLS trend and its 95 % CI (per day, or per session when undated).
        theil_sen_slope: Median of pairwise slopes (robust cross-check).
        theil_sen_low, theil_sen_high: Its ``THEIL_SEN_CONFIDENCE`` CI (``scipy.stats.theilslopes``), NaN with
            fewer than 3 sessions.
        p_value, adjusted_p_value: The trend's two-sided p, and adjusted: Benjamini–Hochberg within its family
            for a secondary metric, Holm over the primaries for a primary (``p_value`` for a control).
        primary: Chosen by the practitioner as one of the client's primary metrics.
        verdict: What can be said.
        reasons: Plain sentences on what was left out and why a verdict could not be given.
        session_noise: σ_session, the SD of one session's value (the floor, or the series' own estimate when
            larger): the day-to-day variation the wording and the charts show.
        session_noise_source: DEFAULT (the floor √(σ_day² + σ_w²/k)), BASELINE_SESSIONS or SERIES_SCATTER.
        family: The pre-declared family a secondary metric is corrected in (:func:`metric_family`).
        rule: The rule that decided the verdict.
        exclusions: Each photo value left out, and why (``reasons`` says the same in words).
        drifted: The capture check that drifted steadily with a change that was therefore not called ("" if none).
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
    session_noise: float = math.nan
    session_noise_source: NoiseSource = NoiseSource.DEFAULT
    family: str = ""
    rule: Rule = Rule.NO_TREND
    theil_sen_low: float = math.nan
    theil_sen_high: float = math.nan
    exclusions: tuple[Exclusion, ...] = ()
    drifted: str = ""


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """The whole series.

    Attributes:
        sessions: In date order.
        metrics: Per metric name.
        trend_unit: :attr:`TrendUnit.DAY`, or :attr:`TrendUnit.SESSION` when any session has no date.
        controls_moved: Negative-control metrics that changed, which makes every called change unreliable.
        notes: Series-level remarks (undated sessions, excluded photos, ...).
        baseline_sessions: How many leading sessions were the baseline (before the first treatment).
    """

    sessions: tuple[Session, ...]
    metrics: Mapping[str, MetricSeries]
    trend_unit: TrendUnit
    controls_moved: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    baseline_sessions: int = 1


_REGION_GROUPS = {
    "forehead": "forehead", "glabella": "forehead", "cheek_left": "cheeks", "cheek_right": "cheeks",
    "undereye_left": "under-eyes", "undereye_right": "under-eyes", "crows_feet_left": "eye corners",
    "crows_feet_right": "eye corners", "nasolabial_left": "nasolabial folds", "nasolabial_right": "nasolabial folds",
    "chin": "chin", "face": "whole face",
}  # fmt: skip


def region_group(region: str | None) -> str:
    """The region group a metric's region belongs to: left and right together, forehead with glabella; landmark
    metrics (a side or no region) are "face shape"."""
    return _REGION_GROUPS.get(region or "", "face shape")


def metric_family(spec: MetricSpec) -> str:
    """The pre-declared multiplicity family of a secondary metric: ``"<family> · <region group>"``.

    The one place families are defined (e.g. ``"redness · cheeks"`` holds the eight cheek redness metrics);
    switch it here to key families by concern instead.

    Examples:
        >>> from progress.catalogue import catalogue
        >>> metric_family(next(s for s in catalogue() if s.name == "redness.a_star.cheek_left"))
        'redness · cheeks'
    """
    return f"{spec.family} · {region_group(spec.region)}"


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
        replace(
            session,
            photos=tuple(
                photo if photo is baseline else compare_with_baseline(photo, baseline) for photo in session.photos
            ),
        )
        for session in sessions
    ]


def analyze_series(
    sessions: Sequence[Session],
    *,
    primary: Sequence[str] = (),
    metrics: Sequence[MetricSpec] | None = None,
    baseline_sessions: int = 1,
) -> SeriesResult:
    """Turn a client's analysed photos, grouped into sessions, into per-metric changes, trends and verdicts.

    Args:
        sessions: From :func:`group_sessions` (date order).
        primary: Up to five metric names the practitioner chose for this client.
        metrics: The metrics to report (default: the whole catalogue).
        baseline_sessions: How many leading sessions came before the first treatment (or were marked as
            baseline by the practitioner). Two or more: the baseline is their mean and their scatter is this
            client's own day-to-day noise.

    Returns:
        The frozen series result.

    Raises:
        ValueError: More than five primary metrics, a name that is not in the catalogue, or fewer than one
            baseline session.
    """
    specs = list(metrics if metrics is not None else catalogue())
    known = {spec.name for spec in specs}
    if len(primary) > MAX_PRIMARY_METRICS or not set(primary) <= known:
        raise ValueError(
            f"Choose at most {MAX_PRIMARY_METRICS} primary metrics from the catalogue, got {list(primary)}."
        )
    if baseline_sessions < 1:
        raise ValueError(f"At least one baseline session is needed, got {baseline_sessions}.")
    times, trend_unit = _session_times(sessions)
    drafts = {
        spec.name: _draft(spec, sessions, times, primary=spec.name in primary, baseline_count=baseline_sessions)
        for spec in specs
    }
    for name, adjusted in zip(primary, holm([drafts[n].p_value for n in primary]), strict=True):
        drafts[name] = _with(drafts[name], adjusted_p_value=adjusted)
    families: dict[str, list[str]] = {}
    for name, draft in drafts.items():
        if not draft.primary and not draft.spec.negative_control:
            families.setdefault(draft.family, []).append(name)
    for members in families.values():
        for name, adjusted in zip(members, benjamini_hochberg([drafts[n].p_value for n in members]), strict=True):
            drafts[name] = _with(drafts[name], adjusted_p_value=adjusted)
    decided = {name: _undrifted(_decide(draft), sessions, times) for name, draft in drafts.items()}
    moved = tuple(
        name for name, result in decided.items() if result.spec.negative_control and result.verdict is Verdict.CHANGED
    )
    if moved:
        decided = {name: _distrust(result, moved) for name, result in decided.items()}
    return SeriesResult(
        sessions=tuple(sessions),
        metrics=decided,
        trend_unit=trend_unit,
        controls_moved=moved,
        notes=_notes(sessions),
        baseline_sessions=baseline_sessions,
    )


def _session_times(sessions: Sequence[Session]) -> tuple[list[float], TrendUnit]:
    """Days since the first session when every session has its own date; otherwise the session index."""
    days = [s.day for s in sessions]
    if days and all(day is not None for day in days) and len(set(days)) == len(days):
        first = days[0]
        assert first is not None
        return [float((day - first).days) for day in days if day is not None], TrendUnit.DAY
    return [float(index) for index in range(len(sessions))], TrendUnit.SESSION


def _draft(
    spec: MetricSpec, sessions: Sequence[Session], times: Sequence[float], *, primary: bool, baseline_count: int
) -> MetricSeries:
    """Everything but the verdict."""
    groups: list[list[float]] = []
    reasons: list[str] = []
    exclusions: list[Exclusion] = []
    for session in sessions:
        kept = []
        for photo in session.photos:
            left_out = exclusion(photo, spec)
            if left_out is None:
                kept.append(photo.metrics[spec.name])
            else:
                exclusions.append(left_out)
                reasons.append(f"excluded {left_out.sentence()}")
        groups.append(kept)
    values = [float(statistics.median(g)) if g else math.nan for g in groups]  # as np.median, without its overhead
    counts = [len(g) for g in groups]
    usable = [i for i, v in enumerate(values) if math.isfinite(v)]
    base = [i for i in usable if i < baseline_count] or usable[:1]
    noise = series_noise(default_noise(spec.name), default_day_noise(spec.name), groups, values, times, usable, base)
    if noise.within_source is NoiseSource.DEFAULT:
        degrees = pooled_within_session_sd(groups)[1]
        reasons.append(
            f"within-session noise from the project's default ({degrees} repeat degrees of freedom "
            "in this series, scattering less than the default if any)"
        )
    typical = int(np.median([counts[i] for i in usable])) if usable else 1
    session_sd = noise.session(typical)
    scatter_source = (
        noise.scatter_source
        if math.isfinite(noise.scatter) and noise.scatter > session_noise(noise.within, noise.day, typical)
        else NoiseSource.DEFAULT
    )
    slope, low, high, p_value = linear_trend(
        [times[i] for i in usable],
        [values[i] for i in usable],
        noise=noise.known(typical),
    )
    if usable:
        latest = values[usable[-1]]
        baseline = float(np.mean([values[i] for i in base]))
        lever = times[usable[-1]] - float(np.mean([times[i] for i in base]))
        if math.isfinite(slope):  # the trend's change from the baseline to the latest session, and its MDC95
            change, mdc = slope * lever, (high - slope) * abs(lever)
        else:  # two sessions: the difference, 1.96·√(Var latest + Var baseline)
            change, mdc = latest - baseline, series_mdc(noise, counts[usable[-1]], [counts[i] for i in base])
    else:
        baseline = latest = change = mdc = math.nan
    theil, theil_low, theil_high = theil_sen([times[i] for i in usable], [values[i] for i in usable])
    return MetricSeries(
        spec=spec,
        values=tuple(values),
        photo_counts=tuple(counts),
        noise=noise.within,
        noise_source=noise.within_source,
        baseline=baseline,
        latest=latest,
        change=change,
        minimal_detectable_change=mdc,
        slope_per_day=slope,
        slope_low=low,
        slope_high=high,
        theil_sen_slope=theil,
        theil_sen_low=theil_low,
        theil_sen_high=theil_high,
        p_value=p_value,
        adjusted_p_value=p_value,
        primary=primary,
        verdict=Verdict.NO_CLEAR_CHANGE,
        reasons=tuple(reasons),
        exclusions=tuple(exclusions),
        session_noise=session_sd,
        session_noise_source=scatter_source,
        family=metric_family(spec),
        rule=Rule.NO_TREND,
    )


def _persists(draft: MetricSeries) -> bool:
    """The latest two sessions both lie beyond the baseline in the change's direction (from
    ``MIN_PERSISTENCE_SESSIONS`` usable sessions on)."""
    usable = [i for i, v in enumerate(draft.values) if math.isfinite(v)]
    if len(usable) < MIN_PERSISTENCE_SESSIONS:
        return True
    return all((draft.values[i] - draft.baseline) * draft.change > 0 for i in usable[-2:])


def _decide(draft: MetricSeries) -> MetricSeries:
    usable_sessions = sum(1 for v in draft.values if math.isfinite(v))
    if usable_sessions < MIN_SESSIONS:
        failed = sorted({check for left_out in draft.exclusions for check in left_out.failed_checks})
        why = f"; photos left out because {', '.join(failed).replace('_', ' ')} failed" if failed else ""
        shortfall = f"{usable_sessions} usable sessions, at least {MIN_SESSIONS} needed{why}"
        return _with(
            draft, verdict=Verdict.NOT_ENOUGH_DATA, rule=Rule.NOT_ENOUGH_DATA, reasons=(*draft.reasons, shortfall)
        )
    agrees = (draft.slope_low > 0 and draft.theil_sen_low > 0 and draft.change > 0) or (
        draft.slope_high < 0 and draft.theil_sen_high < 0 and draft.change < 0
    )
    if draft.spec.negative_control:  # a warning, so more sensitive: the trend alone, against the realistic noise
        rule = Rule.CONTROL_TEST if draft.slope_low > 0 or draft.slope_high < 0 else Rule.NO_TREND
        return _with(
            draft, verdict=Verdict.CHANGED if rule is Rule.CONTROL_TEST else Verdict.NO_CLEAR_CHANGE, rule=rule
        )
    if not abs(draft.change) > draft.minimal_detectable_change:
        rule = Rule.WITHIN_NOISE
    elif not agrees:
        rule = Rule.NO_TREND
    elif not _persists(draft):
        rule = Rule.NOT_PERSISTENT
    elif draft.primary:
        rule = Rule.PRIMARY_TEST if draft.adjusted_p_value < ALPHA else Rule.PRIMARY_FAMILYWISE
    elif draft.adjusted_p_value < FALSE_DISCOVERY_RATE:
        rule = Rule.FAMILY_TEST
    else:
        rule = Rule.FAMILY_FALSE_DISCOVERY
    if rule not in (Rule.CONTROL_TEST, Rule.PRIMARY_TEST, Rule.FAMILY_TEST):
        return _with(draft, verdict=Verdict.NO_CLEAR_CHANGE, rule=rule)
    better = draft.spec.better
    if better is Better.NEITHER:
        return _with(draft, verdict=Verdict.CHANGED, rule=rule)
    improved = (draft.change > 0) == (better is Better.HIGHER)
    return _with(draft, verdict=Verdict.IMPROVED if improved else Verdict.WORSENED, rule=rule)


def _undrifted(result: MetricSeries, sessions: Sequence[Session], times: Sequence[float]) -> MetricSeries:
    """A called change stays called unless a check the metric depends on, comparing the light or the camera
    distance with the baseline or scoring an expression, drifted steadily over the same sessions (its session
    medians trend by :data:`DRIFT_SHARE` of its limit or more): then the change and the drift cannot be told apart.

    Pose is left out: the 3-D frontalisation takes it out of the landmark metrics, and every photo is held to its
    limits; light, distance and expressions are not taken out."""
    if not result.verdict.is_change or result.spec.negative_control:
        return result
    for check_name in result.spec.depends_on:
        if check_name not in BASELINE_COMPARISONS and not check_name.startswith("expression_"):
            continue
        points, limit = [], math.nan
        for session, time in zip(sessions, times, strict=True):
            found = [
                c for p in session.photos if exclusion(p, result.spec) is None for c in p.checks if c.name == check_name
            ]
            if found:
                points.append((time, float(statistics.median(c.value for c in found))))
                limit = found[0].limit
        if len(points) < MIN_SESSIONS or not limit:
            continue
        slope, low, high, _ = linear_trend([t for t, _ in points], [v for _, v in points])
        span = points[-1][0] - points[0][0]
        if (low > 0 or high < 0) and abs(slope * span) >= DRIFT_SHARE * abs(limit):
            reason = f"{check_name.replace('_', ' ')} drifted steadily over the sessions with the change"
            return _with(
                result,
                verdict=Verdict.UNRELIABLE,
                rule=Rule.CONDITIONS_DRIFTED,
                drifted=check_name,
                reasons=(*result.reasons, reason),
            )
    return result


def _distrust(result: MetricSeries, moved: tuple[str, ...]) -> MetricSeries:
    if result.spec.negative_control or not result.verdict.is_change:
        return result
    reason = f"negative controls moved ({', '.join(moved)}): the measurement itself changed"
    return _with(result, verdict=Verdict.UNRELIABLE, rule=Rule.CAPTURE_CHANGED, reasons=(*result.reasons, reason))


def _with(result: MetricSeries, **changes: object) -> MetricSeries:
    return replace(result, **changes)  # type: ignore[arg-type]


def _notes(sessions: Sequence[Session]) -> tuple[str, ...]:
    notes = []
    undated = [s.label for s in sessions if s.day is None]
    if undated:
        notes.append(f"{len(undated)} session(s) without a date were placed in the order given: {', '.join(undated)}")
    failed = [p for s in sessions for p in s.photos if p.error is not None]
    if failed:
        notes.append(f"{len(failed)} photo(s) could not be used: " + "; ".join(f"{p.path}: {p.error}" for p in failed))
    return tuple(notes)
