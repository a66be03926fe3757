"""Charts of a metric across a client's sessions: a PNG (matplotlib, drawn off-screen) and an interactive Altair
chart for the app.

Plain by default: the metric's label as title, values on its plain scale (mm, % change, % of the area; see
:mod:`progress.catalogue`), session dates on the axis. Sessions without a usable value are gaps, never bridged
by a line; photos that do not count are marked "not comparable" with the reason. ``expert=True`` titles the
chart with the identifier and the verdict, plots the expert unit and adds the trend line.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from progress.catalogue import label
from progress.series import MetricSeries, SeriesResult, TrendUnit
from progress.wording import photo_reason, plain_values, session_band

__all__ = ["altair_chart", "metric_chart", "metric_frame", "session_names", "session_segments"]

_VERDICT_COLOURS = {
    "improved": "#2e7d32",
    "worsened": "#c62828",
    "changed": "#6a1b9a",
    "no clear change": "#546e7a",
    "not enough data": "#9e9e9e",
    "unreliable": "#ef6c00",
}
COUNTED, NOT_COMPARABLE = "counted", "not comparable"


def session_names(series: SeriesResult) -> list[str]:
    """Axis labels: the session's date ("5 Jan 2026") when known, else its label."""
    names = [f"{s.day.day} {s.day:%b %Y}" if s.day is not None else s.label for s in series.sessions]
    return names if len(set(names)) == len(names) else [s.label for s in series.sessions]


def session_segments(values: list[float]) -> list[list[int]]:
    """Runs of consecutive sessions with a usable value: each run is one line, and a gap stays a gap."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, value in enumerate(values):
        if math.isfinite(value):
            current.append(index)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _scaled(metric: MetricSeries, values: list[float], *, expert: bool) -> tuple[list[float], str]:
    return (list(values), metric.spec.unit) if expert else plain_values(metric, values)


def metric_chart(
    series: SeriesResult, metric: MetricSeries, path: Path | None = None, *, expert: bool = False
) -> bytes:
    """A PNG chart of one metric: every photo (those that do not count marked "not comparable"), the session
    values joined only between consecutive usable sessions, and the band of the first value ± the smallest
    change the photos can detect.

    Args:
        series: The series (for session labels and dates).
        metric: One of ``series.metrics``.
        path: Where to write the PNG too, if given.
        expert: Identifier, verdict, expert unit and trend line instead of plain words.

    Returns:
        The PNG's bytes.
    """
    names = session_names(series)
    positions = np.arange(len(names), dtype=float)
    values, unit = _scaled(metric, list(metric.values), expert=expert)
    figure = Figure(figsize=(7, 3.4), dpi=110)  # no pyplot: no backend to choose, no global figure list
    axes = figure.subplots()
    kept: list[tuple[int, float]] = []
    left_out: list[tuple[int, float]] = []
    for index, session in enumerate(series.sessions):
        for photo in session.photos:
            raw = photo.metrics.get(metric.spec.name) if photo.error is None else None
            if raw is None or not math.isfinite(raw):
                continue
            scaled = _scaled(metric, [raw], expert=expert)[0][0]
            (kept if photo_reason(photo, metric.spec) is None else left_out).append((index, scaled))
    styles: tuple[dict[str, Any], ...] = (
        {"s": 12, "color": "#90a4ae", "label": "photo"},
        {"s": 22, "marker": "x", "color": "#ef6c00", "label": "photo not comparable (a capture check failed)"},
    )
    for points, style in zip((kept, left_out), styles, strict=True):
        if points:
            axes.scatter([x for x, _ in points], [y for _, y in points], zorder=2, **style)
    for number, run in enumerate(session_segments(values)):
        axes.plot(
            positions[run],
            [values[i] for i in run],
            "o-",
            color="#37474f",
            zorder=3,
            label="session value" if number == 0 else None,
        )
    band = session_band(metric)
    if math.isfinite(metric.baseline) and math.isfinite(band):
        low, high = _scaled(metric, [metric.baseline - band, metric.baseline + band], expert=expert)[0]
        axes.axhspan(
            low,
            high,
            color="#b0bec5",
            alpha=0.35,
            zorder=1,
            label="baseline ± one session's MDC95" if expert else "first session ± day-to-day variation",
        )
    if expert:
        _trend(axes, series, metric, positions)
    axes.set_xticks(positions, names, rotation=30, ha="right", fontsize=8)
    axes.set_ylabel(unit)
    colour = _VERDICT_COLOURS.get(str(metric.verdict), "#000000")
    title = f"{metric.spec.name}: {metric.verdict}" if expert else label(metric.spec)
    axes.set_title(title, color=colour if expert else "#000000", fontsize=10)
    axes.legend(fontsize=7, loc="best")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = buffer.getvalue()
    if path is not None:
        path.write_bytes(data)
    return data


def _trend(axes: Any, series: SeriesResult, metric: MetricSeries, positions: np.ndarray) -> None:
    values = np.asarray(metric.values, dtype=float)
    finite = np.isfinite(values)
    if finite.sum() < 2 or not math.isfinite(metric.slope_per_day):
        return
    times = _times(series)
    intercept = np.mean(values[finite]) - metric.slope_per_day * np.mean(times[finite])
    axes.plot(
        positions[finite],
        intercept + metric.slope_per_day * times[finite],
        "--",
        color="#607d8b",
        zorder=3,
        label="trend",
    )


def _times(series: SeriesResult) -> np.ndarray:
    """Session times in the trend's unit (days since the first session, or the session index)."""
    if series.trend_unit is TrendUnit.DAY:
        first = series.sessions[0].day
        return np.array([float((s.day - first).days) for s in series.sessions if s.day and first])
    return np.arange(len(series.sessions), dtype=float)


def metric_frame(series: SeriesResult, metric: MetricSeries) -> list[dict[str, Any]]:
    """One row per measured photo, on the plain scale: session, order, value, photo, counted or "not comparable",
    and why not in words."""
    names = session_names(series)
    rows: list[dict[str, Any]] = []
    for order, session in enumerate(series.sessions):
        for photo in session.photos:
            value = photo.metrics.get(metric.spec.name) if photo.error is None else None
            if value is None or not math.isfinite(value):
                continue
            reason = photo_reason(photo, metric.spec)
            rows.append(
                {
                    "session": names[order],
                    "order": order,
                    "value": plain_values(metric, [value])[0][0],
                    "photo": photo.path or "",
                    "counted": COUNTED if reason is None else NOT_COMPARABLE,
                    "why": "" if reason is None else f"not comparable ({reason})",
                }
            )
    return rows


def altair_chart(series: SeriesResult, metric: MetricSeries) -> Any:
    """An interactive (Altair) chart of one metric on its plain scale: photos (those that do not count as orange
    crosses, the reason in the tooltip), session values joined only between consecutive usable sessions, and the
    first value ± the day-to-day variation. No title: the caller states it above the chart."""
    import altair as alt

    names = session_names(series)
    values, unit = plain_values(metric, list(metric.values))
    photos = alt.Data(values=metric_frame(series, metric))
    sessions = alt.Data(
        values=[
            {"session": names[i], "order": i, "value": values[i], "run": number}
            for number, run in enumerate(session_segments(values))
            for i in run
        ]
    )
    x = alt.X("session:N", sort=names, title=None, axis=alt.Axis(labelAngle=-30))
    layers = []
    band_width = session_band(metric)
    if math.isfinite(metric.baseline) and math.isfinite(band_width):
        low, high = plain_values(metric, [metric.baseline - band_width, metric.baseline + band_width])[0]
        band = alt.Data(values=[{"low": low, "high": high}])
        layers.append(alt.Chart(band).mark_rect(color="#b0bec5", opacity=0.35).encode(y="low:Q", y2="high:Q"))
    layers.append(
        alt.Chart(photos)
        .mark_point(size=40)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False)),
            shape=alt.Shape("counted:N", scale=alt.Scale(domain=[COUNTED, NOT_COMPARABLE], range=["circle", "cross"])),
            color=alt.Color(
                "counted:N",
                scale=alt.Scale(domain=[COUNTED, NOT_COMPARABLE], range=["#90a4ae", "#ef6c00"]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            tooltip=["session:N", "photo:N", alt.Tooltip("value:Q", format=".3g"), "why:N"],
        )
    )
    layers.append(alt.Chart(sessions).mark_line(point=True, color="#37474f").encode(x=x, y="value:Q", detail="run:N"))
    return alt.layer(*layers)
