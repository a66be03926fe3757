"""Charts of a metric across a client's sessions (matplotlib, drawn off-screen)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen: charts are files or bytes
import matplotlib.pyplot as plt
import numpy as np

from progress.series import MetricSeries, SeriesResult, exclusion_reason

__all__ = ["metric_chart"]

_VERDICT_COLOURS = {"improved": "#2e7d32", "worsened": "#c62828", "changed": "#6a1b9a",
                    "no clear change": "#546e7a", "not enough data": "#9e9e9e", "unreliable": "#ef6c00"}


def metric_chart(series: SeriesResult, metric: MetricSeries, path: Path | None = None) -> bytes:
    """A PNG chart of one metric: every usable photo, the session values, the noise band around the baseline
    (baseline ± MDC95: changes inside it are within the measurement noise) and the OLS trend.

    Args:
        series: The series (for session labels and times).
        metric: One of ``series.metrics``.
        path: Where to write the PNG too, if given.

    Returns:
        The PNG's bytes.
    """
    labels = [session.label for session in series.sessions]
    positions = np.arange(len(labels), dtype=float)
    values = np.asarray(metric.values, dtype=float)
    figure, axes = plt.subplots(figsize=(7, 3.6), dpi=110)
    kept: list[tuple[int, float]] = []
    left_out: list[tuple[int, float]] = []
    for index, session in enumerate(series.sessions):
        for photo in session.photos:
            if photo.ok and metric.spec.name in photo.metrics:
                usable = exclusion_reason(photo, metric.spec) is None
                (kept if usable else left_out).append((index, photo.metrics[metric.spec.name]))
    styles: tuple[dict[str, Any], ...] = (
        {"s": 12, "color": "#90a4ae", "label": "photo"},
        {"s": 22, "marker": "x", "color": "#ef6c00", "label": "photo left out (a check it needs failed)"},
    )
    for points, style in zip((kept, left_out), styles, strict=True):
        if points:
            axes.scatter([x for x, _ in points], [y for _, y in points], zorder=2, **style)
    finite = np.isfinite(values)
    axes.plot(positions[finite], values[finite], "o-", color="#37474f", zorder=3, label="session value")
    if math.isfinite(metric.baseline) and math.isfinite(metric.minimal_detectable_change):
        axes.axhspan(metric.baseline - metric.minimal_detectable_change,
                     metric.baseline + metric.minimal_detectable_change,
                     color="#b0bec5", alpha=0.35, zorder=1, label="baseline ± measurement noise (MDC95)")
    if finite.sum() >= 2 and math.isfinite(metric.slope_per_day):
        times = _times(series)
        intercept = np.mean(values[finite]) - metric.slope_per_day * np.mean(times[finite])
        axes.plot(positions[finite], intercept + metric.slope_per_day * times[finite], "--", color="#607d8b",
                  zorder=3, label="trend")
    axes.set_xticks(positions, labels, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(metric.spec.unit)
    colour = _VERDICT_COLOURS.get(str(metric.verdict), "#000000")
    axes.set_title(f"{metric.spec.name}: {metric.verdict}", color=colour, fontsize=10)
    axes.legend(fontsize=7, loc="best")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    data = buffer.getvalue()
    if path is not None:
        path.write_bytes(data)
    return data


def _times(series: SeriesResult) -> np.ndarray:
    """Session times in the trend's unit (days since the first session, or the session index)."""
    if series.trend_unit == "day":
        first = series.sessions[0].day
        return np.array([float((s.day - first).days) for s in series.sessions if s.day and first])
    return np.arange(len(series.sessions), dtype=float)


def metric_frame(series: SeriesResult, metric: MetricSeries) -> list[dict[str, Any]]:
    """One row per photo: session, session order, value, and whether it counted (for interactive charts)."""
    rows: list[dict[str, Any]] = []
    for order, session in enumerate(series.sessions):
        for photo in session.photos:
            reason = exclusion_reason(photo, metric.spec)
            value = photo.metrics.get(metric.spec.name)
            if value is None or not math.isfinite(value):
                continue
            rows.append({"session": session.label, "order": order, "value": float(value),
                         "photo": photo.path or "", "counted": "counted" if reason is None else "left out",
                         "why": reason or ""})
    return rows


def altair_chart(series: SeriesResult, metric: MetricSeries) -> Any:
    """An interactive (Altair) chart of one metric: photos (left-out ones as orange crosses), session values,
    and the baseline ± MDC95 noise band. No title: the caller states the metric and its verdict above it (a
    Vega-Lite title squeezes the plot inside Streamlit's fixed-height frame)."""
    import altair as alt

    photos = alt.Data(values=metric_frame(series, metric))
    sessions = alt.Data(values=[{"session": s.label, "order": i, "value": v}
                                for i, (s, v) in enumerate(zip(series.sessions, metric.values, strict=True))
                                if math.isfinite(v)])
    order = [s.label for s in series.sessions]
    x = alt.X("session:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30))
    layers = []
    if math.isfinite(metric.baseline) and math.isfinite(metric.minimal_detectable_change):
        band = alt.Data(values=[{"low": metric.baseline - metric.minimal_detectable_change,
                                 "high": metric.baseline + metric.minimal_detectable_change}])
        layers.append(alt.Chart(band).mark_rect(color="#b0bec5", opacity=0.35).encode(y="low:Q", y2="high:Q"))
    layers.append(alt.Chart(photos).mark_point(size=40).encode(
        x=x, y=alt.Y("value:Q", title=metric.spec.unit, scale=alt.Scale(zero=False)),
        shape=alt.Shape("counted:N", scale=alt.Scale(domain=["counted", "left out"], range=["circle", "cross"])),
        color=alt.Color("counted:N", scale=alt.Scale(domain=["counted", "left out"], range=["#90a4ae", "#ef6c00"]),
                        legend=alt.Legend(title=None, orient="bottom")),
        tooltip=["photo:N", "value:Q", "why:N"]))
    layers.append(alt.Chart(sessions).mark_line(point=True, color="#37474f").encode(x=x, y="value:Q"))
    return alt.layer(*layers)
