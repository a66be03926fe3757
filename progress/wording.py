"""Plain words for numbers and reasons: a metric's change in a unit a person understands, with its uncertainty,
and why a photo or a session does not count ("the client was smiling", "the light changed between sessions").

Pure functions on the series' public results; metric labels and scales come from :mod:`progress.catalogue`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from progress.analysis import PhotoResult
from progress.catalogue import INTER_PUPILLARY_MM, PlainScale, label, plain_scale
from progress.metric_spec import MetricSpec
from progress.series import MIN_SESSIONS, MetricSeries, SeriesResult, Verdict
from progress.series_noise import exclusion, minimal_detectable_change

__all__ = [
    "Amount",
    "change_amount",
    "change_sentence",
    "check_words",
    "day_to_day",
    "photo_reason",
    "plain_values",
    "relative_baseline",
    "scale_unit",
    "series_reason",
    "session_band",
    "usable_sessions",
    "verdict_words",
]

_CHECK_WORDS = {
    "face_size": "the face was too small in the photo", "sharpness": "the photo was blurred",
    "exposure_level": "the photo was too dark or too bright", "exposure_highlights": "parts of the face were "
    "overexposed", "exposure_shadows": "parts of the face were in deep shadow", "colour_cast": "the light had a "
    "strong colour cast", "head_yaw": "the head was turned", "head_pitch": "the head was tilted up or down",
    "expression_smile": "the client was smiling", "expression_squint": "the client was squinting",
    "expression_brows_raised": "the brows were raised", "expression_jaw_open": "the mouth was open",
    "eyes_open": "the eyes were not fully open", "lighting_change": "the light changed between sessions",
    "light_direction_change": "the light came from a different direction",
    "camera_distance_change": "the camera distance changed", "faces_in_photo": "more than one face was in the photo",
    "expression_mouth_sideways": "the mouth was pulled to one side", "expression_pucker": "the lips were pursed",
    "expression_cheek_puff": "the cheeks were puffed", "expression_lips_apart": "the teeth were showing",
    "expression_frown": "the client was frowning",
}  # fmt: skip
_FRACTIONS = (
    (95.0, "practically all of it"),
    (85.0, "nearly all of it"),
    (71.0, "about three quarters"),
    (60.0, "about two thirds"),
    (40.0, "about half"),
    (29.0, "about a third"),
    (22.5, "about a quarter"),
    (15.0, "about a fifth"),
    (8.0, "about a tenth"),
)
MULTIPLES = "times the day-to-day variation"
"""The unit of a change given in multiples of the day-to-day variation (when a % change would mislead)."""
_RELATIVE_FLOOR = 3.0
"""A % change needs a first-session value at least this many times the noise of one photo (else the % is noise)."""


@dataclass(frozen=True, slots=True)
class Amount:
    """A change in plain units.

    Attributes:
        size: The absolute size of the change (in ``unit``).
        uncertainty: The smallest change the photos can tell from noise, in the same unit.
        unit: "mm", "°", "%", "percentage points", "per cm²" or "times the day-to-day variation".
        rose: True when the value went up.
    """

    size: float
    uncertainty: float
    unit: str
    rose: bool

    def text(self) -> str:
        """E.g. "19 % (± 6 %)", "1.2 mm (± 0.5 mm)"."""
        if self.unit == MULTIPLES:
            return f"{_figure(self.size)} times the day-to-day variation"
        unit = "°" if self.unit == "°" else f" {self.unit}"
        return f"{_figure(self.size)}{unit} (± {_figure(self.uncertainty)}{unit})"


def verdict_words(verdict: Verdict) -> str:
    """A metric's verdict for a person: "Improved", "Worse", "No clear change", "Can't tell yet"."""
    return {
        Verdict.IMPROVED: "Improved",
        Verdict.WORSENED: "Worse",
        Verdict.CHANGED: "Changed (neither direction is better)",
        Verdict.NO_CLEAR_CHANGE: "No clear change",
    }.get(verdict, "Can't tell yet")


def _drift_words(check_name: str) -> str:
    """A capture condition that drifted steadily over the sessions, in words."""
    subject = _DRIFTING.get(check_name)
    if subject:
        return f"{subject} changed steadily from session to session"
    return f"{check_words(check_name)}, more so from session to session"


_DRIFTING = {
    "lighting_change": "the light",
    "light_direction_change": "the light's direction",
    "camera_distance_change": "the camera distance",
}


def check_words(check_name: str) -> str:
    """What a failed capture check means, in words ("the client was smiling")."""
    return _CHECK_WORDS.get(check_name, check_name.replace("_", " ") + " was off")


def photo_reason(photo: PhotoResult, spec: MetricSpec) -> str | None:
    """None when the photo counts for the metric, else why not, in words."""
    if photo.error is not None:
        if getattr(photo.error, "code", "") == "excluded":
            return "left out by the practitioner"
        return "the photo could not be analysed"
    left_out = exclusion(photo, spec)
    if left_out is None:
        return None
    if not left_out.failed_checks:
        return "could not be measured on this photo"
    return " and ".join(dict.fromkeys(check_words(name) for name in left_out.failed_checks))


def usable_sessions(metric: MetricSeries) -> int:
    """Sessions with a usable value for the metric."""
    return sum(1 for value in metric.values if math.isfinite(value))


def series_reason(series: SeriesResult, metric: MetricSeries) -> str:
    """Why the metric cannot be judged, in words: the check measures moved, or only N comparable sessions (and
    what spoiled the others: a failed check, or the light or distance changed since the baseline)."""
    if series.controls_moved and metric.spec.name not in series.controls_moved:
        return "measurements that treatment cannot change moved, so the photos were not taken the same way"
    if metric.drifted:
        return f"{_drift_words(metric.drifted)}, so the change may come from that"
    count = usable_sessions(metric)
    if count < MIN_SESSIONS:
        spoiled = _common_failures(series, metric.spec)
        counted = {0: "no comparable sessions", 1: "only 1 comparable session"}.get(
            count, f"only {count} comparable sessions"
        )
        others = ": " if count == 0 else "; in the others "
        return f"{counted} (at least {MIN_SESSIONS} needed)" + (f"{others}{spoiled}" if spoiled else "")
    return "the photos were not taken the same way in every session"


def _common_failures(series: SeriesResult, spec: MetricSpec) -> str:
    reasons: dict[str, int] = {}
    for session in series.sessions:
        for photo in session.photos:
            reason = photo_reason(photo, spec)
            if reason is not None:
                reasons[reason] = reasons.get(reason, 0) + 1
    ranked = sorted(reasons, key=lambda r: -reasons[r])
    return " or ".join(ranked[:2])


def day_to_day(metric: MetricSeries) -> float:
    """The day-to-day variation of one session's value (the series' session noise where it gives one, else the
    noise of one photo); NaN when unknown."""
    noise = float(getattr(metric, "session_noise", metric.noise))
    return noise if math.isfinite(noise) and noise > 0 else math.nan


def session_band(metric: MetricSeries) -> float:
    """Half-width of the charts' band around the first session: how far one session may differ from it by the
    day-to-day variation alone, 1.96·√2·σ_session (the MDC95 of one session against one; the verdict's MDC95 is
    the trend's, over all sessions, and smaller); NaN when unknown."""
    return minimal_detectable_change(day_to_day(metric))


def relative_baseline(metric: MetricSeries) -> bool:
    """True when a % change of the metric is meaningful: its first value is positive and well above the noise,
    and no session's value crossed zero (a difference such as cheek minus forehead redness can)."""
    baseline, noise = metric.baseline, day_to_day(metric)
    values = [v for v in metric.values if math.isfinite(v)]
    return (
        math.isfinite(baseline)
        and baseline > 0
        and not baseline < _RELATIVE_FLOOR * noise
        and all(v > 0 for v in values)
    )


def change_amount(metric: MetricSeries) -> Amount | None:
    """The change since the first session (the trend's, over all sessions) in plain units with its uncertainty,
    or None when there is none."""
    change, mdc = metric.change, metric.minimal_detectable_change
    if not (math.isfinite(change) and math.isfinite(mdc)):
        return None
    scale = plain_scale(metric.spec)
    rose = change > 0
    if scale is PlainScale.MILLIMETRES:
        return Amount(abs(change) * INTER_PUPILLARY_MM, mdc * INTER_PUPILLARY_MM, "mm", rose)
    if scale is PlainScale.DEGREES:
        return Amount(abs(change), mdc, "°", rose)
    if scale is PlainScale.PERCENT_OF_AREA:
        return Amount(abs(change) * 100, mdc * 100, "percentage points", rose)
    if scale is PlainScale.PER_CM2:
        return Amount(abs(change), mdc, "per cm²", rose)
    if relative_baseline(metric):
        return Amount(abs(change) / metric.baseline * 100, mdc / metric.baseline * 100, "%", rose)
    noise = day_to_day(metric)
    if math.isfinite(noise):
        return Amount(abs(change) / noise, mdc / noise, MULTIPLES, rose)
    return None


def change_sentence(metric: MetricSeries, *, beyond_noise: bool) -> str:
    """E.g. "Redness vs forehead – left cheek fell by about a fifth (19 % ± 6 %) over the sessions, more than the
    day-to-day variation of the photos." The size is the trend's, over all sessions (``MetricSeries.change``)."""
    amount = change_amount(metric)
    name = label(metric.spec)
    if amount is None:
        return f"{name}: no change can be given."
    verb = "rose" if amount.rose else "fell"
    if amount.unit == MULTIPLES:
        return (
            f"{name} {verb} over the sessions by {_figure(amount.size)} times the day-to-day variation of the photos "
            f"({_figure(amount.uncertainty)} times would be needed to be sure), "
            + ("a clear change." if beyond_noise else "within that variation.")
        )
    size = amount.text()
    if amount.unit == "%":
        words = _fraction_words(amount.size)
        if words:
            size = f"{words} ({_figure(amount.size)} % ± {_figure(amount.uncertainty)} %)"
    noise = (
        "more than the day-to-day variation of the photos"
        if beyond_noise
        else "within the day-to-day variation of the photos"
    )
    return f"{name} {verb} by {size} over the sessions, {noise}."


def plain_values(metric: MetricSeries, values: Sequence[float]) -> tuple[list[float], str]:
    """Values of the metric on its plain scale (for charts), and the (short) axis title: "% change" is the change
    since the first session, "× day-to-day variation" the change in multiples of it (first value near zero)."""
    scale = plain_scale(metric.spec)
    if scale is PlainScale.MILLIMETRES:
        return [v * INTER_PUPILLARY_MM for v in values], "mm"
    if scale is PlainScale.PERCENT_OF_AREA:
        return [v * 100 for v in values], "% of the area"
    if scale in (PlainScale.DEGREES, PlainScale.PER_CM2):
        return list(values), scale_unit(scale)
    if relative_baseline(metric):
        return [(v - metric.baseline) / metric.baseline * 100 for v in values], "% change"
    noise = day_to_day(metric) if math.isfinite(day_to_day(metric)) else 1.0
    base = metric.baseline if math.isfinite(metric.baseline) else 0.0
    return [(v - base) / noise for v in values], "× day-to-day variation"


def scale_unit(scale: PlainScale) -> str:
    """The unit a chart axis shows for a scale."""
    return {PlainScale.DEGREES: "degrees", PlainScale.PER_CM2: "per cm²"}.get(scale, str(scale))


def _fraction_words(percent: float) -> str:
    for floor, words in _FRACTIONS:
        if floor <= percent <= 130:
            return words
    return ""


def _figure(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.0f}"
