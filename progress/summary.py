"""A series result as text: the practitioner's table, JSON and CSV. Never a bare number without its noise."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from progress.series import MetricSeries, Rule, SeriesResult, TrendUnit, Verdict

__all__ = ["rule_sentence", "series_csv", "series_table", "series_to_dict"]

_CALLED = (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED, Verdict.UNRELIABLE)


_RULE_WORDS = {
    Rule.NOT_ENOUGH_DATA: "fewer than three sessions had a usable photo for this metric",
    Rule.CONDITIONS_DRIFTED: "a change beyond the noise, but {drifted} drifted steadily over the same sessions, so "
    "the two cannot be told apart",
    Rule.CAPTURE_CHANGED: "the negative controls moved, so the capture changed and the change cannot be trusted",
    Rule.WITHIN_NOISE: "the trend's change since the baseline is within the measurement noise (MDC95 {mdc})",
    Rule.NO_TREND: "the trend's change is larger than the noise, but the robust (Theil–Sen) trend does not confirm it",
    Rule.NOT_PERSISTENT: "the trend is beyond the noise, but the latest two sessions are not both beyond the "
    "baseline that way",
    Rule.PRIMARY_FAMILYWISE: "a primary metric beyond the noise, but its trend did not pass the stricter test "
    "shared by the client's primary metrics (5 % for all of them together)",
    Rule.FAMILY_FALSE_DISCOVERY: "the trend did not survive the false-discovery control among the {family} metrics",
    Rule.PRIMARY_TEST: "a primary metric: the trend is beyond the noise (MDC95 {mdc}) and passes the test shared by "
    "the client's primary metrics, confirmed by the robust trend and by the latest two sessions",
    Rule.FAMILY_TEST: "the trend is beyond the noise (MDC95 {mdc}), confirmed by the robust trend and the latest "
    "two sessions, and "
    "surviving the false-discovery control among the {family} metrics",
    Rule.CONTROL_TEST: "a negative control whose trend moved beyond the noise: the capture changed",
}


def rule_sentence(metric: MetricSeries) -> str:
    """The rule that decided ``metric``'s verdict, in words (e.g. "the change since the baseline is within the
    measurement noise (MDC95 0.91 a*)")."""
    mdc = f"{_number(metric.minimal_detectable_change)} {metric.spec.unit}".strip()
    drifted = f"the {metric.drifted.replace('_', ' ')} check" if metric.drifted else "a capture check"
    return _RULE_WORDS[metric.rule].format(mdc=mdc, family=metric.family, drifted=drifted)


def series_table(series: SeriesResult, *, everything: bool = False) -> str:
    """A fixed-width table: metric, baseline, latest, change ± MDC95, trend (95 % CI), verdict.

    Shows the primary metrics and every metric with a called change (or an unreliable one); ``everything``
    shows all. A last line counts the metrics with no clear change.
    """
    unit = "30 days" if series.trend_unit is TrendUnit.DAY else "session"
    rows = [m for m in series.metrics.values() if everything or m.primary or m.verdict in _CALLED]
    rows.sort(key=lambda m: (not m.primary, m.verdict not in _CALLED, m.spec.name))
    header = (
        f"{'metric':38} {'baseline':>9} {'latest':>9} {'trend change ± MDC95':>21} {'trend per ' + unit:>26}  verdict"
    )
    lines = [
        f"{len(series.sessions)} sessions: "
        + ", ".join(f"{s.label} ({sum(p.ok for p in s.photos)}/{len(s.photos)} photos)" for s in series.sessions),
        header,
    ]
    scale = 30.0 if series.trend_unit is TrendUnit.DAY else 1.0
    for metric in rows:
        star = "*" if metric.primary else " "
        trend = (
            f"{_number(metric.slope_per_day * scale)} [{_number(metric.slope_low * scale)}, "
            f"{_number(metric.slope_high * scale)}]"
        )
        lines.append(
            f"{star}{metric.spec.name:37} {_number(metric.baseline):>9} {_number(metric.latest):>9} "
            f"{_number(metric.change) + ' ± ' + _number(metric.minimal_detectable_change):>21} "
            f"{trend:>26}  {metric.verdict}: {rule_sentence(metric)}"
        )
    quiet = sum(1 for m in series.metrics.values() if m not in rows and m.verdict is Verdict.NO_CLEAR_CHANGE)
    lines.append(f"({quiet} more metrics: no clear change; --all lists them)" if quiet else "")
    starved = sum(1 for m in series.metrics.values() if m not in rows and m.verdict is Verdict.NOT_ENOUGH_DATA)
    lines.append(
        f"({starved} metrics: not enough usable sessions, mostly photos failing a check those metrics "
        "need; --all lists them with the reasons)"
        if starved
        else ""
    )
    if series.controls_moved:
        lines.append(
            "The negative controls moved ("
            + ", ".join(series.controls_moved)
            + "): changes cannot be trusted until the capture is repeated the same way."
        )
    lines += list(series.notes)
    return "\n".join(line for line in lines if line)


def series_to_dict(series: SeriesResult) -> dict[str, Any]:
    """JSON-ready dictionary of the whole series."""
    return {
        "sessions": [
            {
                "label": s.label,
                "date": s.day.isoformat() if s.day else None,
                "photos": [
                    {"path": p.path, "ok": p.ok, "error": None if p.error is None else str(p.error)} for p in s.photos
                ],
            }
            for s in series.sessions
        ],
        "trend_unit": str(series.trend_unit),
        "controls_moved": list(series.controls_moved),
        "baseline_sessions": series.baseline_sessions,
        "notes": list(series.notes),
        "metrics": {name: _metric_dict(metric) for name, metric in series.metrics.items()},
    }


def series_csv(series: SeriesResult) -> str:
    """One row per metric: the summary numbers, the verdict, then the session values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    labels = [s.label for s in series.sessions]
    writer.writerow(
        [
            "metric",
            "unit",
            "better",
            "primary",
            "baseline",
            "latest",
            "change",
            "mdc95",
            "noise",
            "noise_source",
            f"slope_per_{series.trend_unit}",
            "slope_low",
            "slope_high",
            "p_value",
            "adjusted_p_value",
            "verdict",
            "reasons",
            "rule",
            "session_noise",
            "session_noise_source",
            "family",
            *labels,
        ]
    )
    for name, m in series.metrics.items():
        writer.writerow(
            [
                name,
                m.spec.unit,
                str(m.spec.better),
                m.primary,
                m.baseline,
                m.latest,
                m.change,
                m.minimal_detectable_change,
                m.noise,
                m.noise_source,
                m.slope_per_day,
                m.slope_low,
                m.slope_high,
                m.p_value,
                m.adjusted_p_value,
                str(m.verdict),
                " | ".join(m.reasons),
                str(m.rule),
                m.session_noise,
                str(m.session_noise_source),
                m.family,
                *m.values,
            ]
        )
    return buffer.getvalue()


def _metric_dict(metric: MetricSeries) -> dict[str, Any]:
    def clean(value: float) -> float | None:
        return value if math.isfinite(value) else None

    return {
        "unit": metric.spec.unit,
        "better": str(metric.spec.better),
        "primary": metric.primary,
        "negative_control": metric.spec.negative_control,
        "values": [clean(v) for v in metric.values],
        "photo_counts": list(metric.photo_counts),
        "baseline": clean(metric.baseline),
        "latest": clean(metric.latest),
        "change": clean(metric.change),
        "mdc95": clean(metric.minimal_detectable_change),
        "noise": clean(metric.noise),
        "noise_source": str(metric.noise_source),
        "slope": clean(metric.slope_per_day),
        "slope_ci": [clean(metric.slope_low), clean(metric.slope_high)],
        "theil_sen_slope": clean(metric.theil_sen_slope),
        "p_value": clean(metric.p_value),
        "adjusted_p_value": clean(metric.adjusted_p_value),
        "verdict": str(metric.verdict),
        "reasons": list(metric.reasons),
        "rule": str(metric.rule),
        "rule_text": rule_sentence(metric),
        "session_noise": clean(metric.session_noise),
        "session_noise_source": str(metric.session_noise_source),
        "family": metric.family,
    }


def _number(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.3g}"
