"""Concerns: what the treatment claims and clients ask about, each judged from one headline set of metrics.

A concern's status is Improved, Worse, No clear change or Can't tell yet, with its reason in words ("the light
changed between sessions", "only 2 comparable sessions") and, when there is a change to state, its size in plain
units with its uncertainty. Pure functions on the series result; nothing here draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from progress.catalogue import label
from progress.series import MetricSeries, SeriesResult, Verdict
from progress.wording import change_amount, change_sentence, series_reason, usable_sessions

__all__ = [
    "CONCERNS",
    "Concern",
    "ConcernSummary",
    "Status",
    "chart_title",
    "concern_of",
    "concern_summaries",
    "metrics_to_show",
]


class Status(StrEnum):
    """What can be said about a concern."""

    IMPROVED = "Improved"
    WORSE = "Worse"
    NO_CLEAR_CHANGE = "No clear change"
    CANT_TELL = "Can't tell yet"

    @property
    def concluded(self) -> bool:
        """True when the photos allowed a conclusion (even "no clear change")."""
        return self is not Status.CANT_TELL


@dataclass(frozen=True, slots=True)
class Concern:
    """One concern.

    Attributes:
        key: Identifier (for settings and tests).
        title: What the client calls it, e.g. "Glow & brightness".
        explanation: What the photos measure for it, in one or two plain sentences.
        headline: The metric names that decide its status.
    """

    key: str
    title: str
    explanation: str
    headline: tuple[str, ...]


CONCERNS: tuple[Concern, ...] = (
    Concern("glow", "Glow & brightness", "How light and luminous the skin looks. It depends on the light, so it "
            "can only be compared between photos taken in the same light.", ("brightness.lightness.face",)),
    Concern("even_tone", "Even tone", "How evenly coloured the skin is: fewer light, dark or red patches.",
            ("tone.sd_lightness.face", "tone.sd_redness.face", "tone.delta_e.face")),
    Concern("redness", "Redness", "How much redder the cheeks are than the forehead in the same photo, which "
            "cancels most lighting differences.",
            ("redness.cheek_contrast.cheek_left", "redness.cheek_contrast.cheek_right")),
    Concern("spots", "Spots", "Dark spots 1–5 mm across: how many and how much skin they cover.",
            ("spots.count_per_cm2.face", "spots.area_fraction.face")),
    Concern("texture", "Texture & fine lines", "Roughness of the skin and fine lines on the forehead and beside "
            "the eyes.", ("texture.fine.face", "texture.coarse.face", "lines.length_per_cm2.forehead",
                          "lines.length_per_cm2.crows_feet_left", "lines.length_per_cm2.crows_feet_right")),
    Concern("undereye", "Under-eye", "How much darker the skin under the eyes is than the cheeks beside them.",
            ("undereye.darkness.undereye_left", "undereye.darkness.undereye_right")),
    Concern("jawline", "Jawline & contour", "The width of the jaw and lower face compared with the cheekbones, "
            "and any jowl bulge.", ("contour.jaw_to_cheek_ratio", "contour.lower_face_width_index",
                                    "contour.jowl_index.left", "contour.jowl_index.right")),
    Concern("lift", "Lift", "Height of the brows, eye opening, cheeks and mouth corners.",
            ("lift.brow_height.left", "lift.brow_height.right", "lift.palpebral_fissure_height.left",
             "lift.palpebral_fissure_height.right", "lift.cheek_apex_height.left", "lift.cheek_apex_height.right",
             "lift.mouth_corner_height.left", "lift.mouth_corner_height.right")),
    Concern("symmetry", "Symmetry", "How closely the two sides of the face mirror each other.",
            ("symmetry.landmark_asymmetry",)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ConcernSummary:
    """A concern's card.

    Attributes:
        concern: The concern.
        status: Improved, Worse, No clear change or Can't tell yet.
        reason: Why, in words (for Can't tell yet: what stopped a conclusion).
        detail: The size of the change of its clearest metric, with its uncertainty, or "".
        lead: The name of the metric the detail speaks of (charted first), or None.
    """

    concern: Concern
    status: Status
    reason: str
    detail: str
    lead: str | None


def concern_summaries(series: SeriesResult, concerns: Sequence[Concern] = CONCERNS) -> list[ConcernSummary]:
    """One card per concern, in the order given."""
    return [_summary(series, concern) for concern in concerns]


def _summary(series: SeriesResult, concern: Concern) -> ConcernSummary:
    members = [series.metrics[name] for name in concern.headline if name in series.metrics]
    if not members:
        return ConcernSummary(concern, Status.CANT_TELL, "these measurements were not made", "", None)
    judged = [m for m in members if m.verdict.is_judged]
    unreliable = [m for m in members if m.verdict is Verdict.UNRELIABLE]
    if unreliable or (series.controls_moved and any(m.verdict.is_change for m in members)):
        worst = unreliable[0] if unreliable else members[0]
        return ConcernSummary(concern, Status.CANT_TELL, series_reason(series, worst), "", None)
    if not judged:
        best = max(members, key=usable_sessions)
        return ConcernSummary(concern, Status.CANT_TELL, series_reason(series, best), "", None)
    improved = [m for m in judged if m.verdict is Verdict.IMPROVED]
    worse = [m for m in judged if m.verdict is Verdict.WORSENED]
    if improved and not worse:
        lead = _clearest(improved)
        reason = (
            f"{_share(len(improved), len(judged))} improved by more than the day-to-day variation"
            if len(judged) > 1
            else "the change is larger than the day-to-day variation of the photos"
        )
        detail = change_sentence(lead, beyond_noise=True)
        return ConcernSummary(concern, Status.IMPROVED, reason, detail, lead.spec.name)
    if worse and not improved:
        lead = _clearest(worse)
        reason = (
            f"{_share(len(worse), len(judged))} moved the wrong way by more than the day-to-day variation"
            if len(judged) > 1
            else "the change is larger than the day-to-day variation"
        )
        detail = change_sentence(lead, beyond_noise=True)
        return ConcernSummary(concern, Status.WORSE, reason, detail, lead.spec.name)
    lead = _clearest(judged)
    reason = (
        "some of its measures improved and others moved the wrong way"
        if improved
        else "the changes are within the day-to-day variation of the photos"
    )
    detail = change_sentence(lead, beyond_noise=False) if change_amount(lead) is not None and not improved else ""
    return ConcernSummary(concern, Status.NO_CLEAR_CHANGE, reason, detail, lead.spec.name)


def _share(count: int, total: int) -> str:
    return (
        "both its measures"
        if count == total == 2
        else ("all its measures" if count == total else f"{count} of its {total} measures")
    )


def _clearest(metrics: Sequence[MetricSeries]) -> MetricSeries:
    """The metric whose change is largest compared with its noise (primary metrics first)."""

    def strength(metric: MetricSeries) -> tuple[bool, float]:
        mdc = metric.minimal_detectable_change
        usable = math.isfinite(mdc) and mdc > 0 and math.isfinite(metric.change)
        ratio = abs(metric.change) / mdc if usable else 0.0
        return metric.primary, ratio

    return max(metrics, key=strength)


def metrics_to_show(series: SeriesResult, summaries: Sequence[ConcernSummary]) -> list[MetricSeries]:
    """What gets a chart: the primary metrics, then the lead metric of every concern with a conclusion (never a
    metric without enough data or an unreliable one)."""
    chosen = [m for m in series.metrics.values() if m.primary]
    for summary in summaries:
        if summary.status.concluded and summary.lead is not None:
            lead = series.metrics[summary.lead]
            if lead not in chosen and lead.verdict.is_judged:
                chosen.append(lead)
    return chosen


def concern_of(metric_name: str) -> Concern | None:
    """The concern whose headline set holds the metric, if any."""
    return next((c for c in CONCERNS if metric_name in c.headline), None)


def chart_title(metric: MetricSeries) -> str:
    """The plain title of a metric's chart."""
    return label(metric.spec)
