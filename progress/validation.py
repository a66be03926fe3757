"""Validate the verdicts on real untreated series and on the same series with a planted change.

``python -m progress.validation`` (a reduced run: ``--clip Obama --starts 2``) reads the real recordings of one
sitting each (:mod:`progress.captures`; absent recordings: nothing to validate), cuts every clip's analysed
frames into ``SESSIONS`` consecutive blocks of ``PHOTOS_PER_SESSION`` frames, and makes a weekly series of
them. Start points: the series starts at block s and wraps around (s = 0 … ``SESSIONS`` − 1), so every block
is the baseline once. Then:

- **Untreated**: the series as recorded. Reported: calls among all decided metrics with no primaries, calls
  among 5 primaries chosen adversarially (the 5 metrics whose |change| / MDC95 was largest in the first pass),
  how often the reported MDC95 covers the reported change (the trend's, first to last session) of the lift and
  contour metrics, and how often one session's band (:func:`progress.wording.session_band`, what the charts
  draw around the first session) covers the raw latest − first difference.
- **Planted**: the same series with a change **planted on the per-photo metric values** (not on the pixels, so
  the change is known exactly and nothing else moves): cheek a* −1 per session on both cheeks
  (``redness.a_star.cheek_left/right``) and both brows lifted linearly to 2 mm by the last session
  (``lift.brow_height.left/right`` + 2/63 IPD · s/(n − 1), the IPD taken as 63 mm). Reported: how often both
  cheeks are called "improved" when declared primary and when secondary, and how often each brow lift is
  called "improved" as a primary.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from progress.analysis import PhotoResult
from progress.captures import clip_results, clips, frame_count
from progress.noise import FRAMES_PER_CLIP
from progress.quality import baseline_checks
from progress.series import MetricSeries, SeriesResult, Verdict, analyze_series, group_sessions
from progress.wording import session_band

__all__ = ["BROW_LIFT_MM", "CHEEK_A_STAR_PER_SESSION", "ClipFigures", "plant", "series_from_frames", "validate"]

SESSIONS = 8
PHOTOS_PER_SESSION = 3
CHEEK_A_STAR_PER_SESSION = -1.0
BROW_LIFT_MM = 2.0
IPD_MM = 63.0
ADVERSARIAL_PRIMARIES = 5
CHEEKS = ("redness.a_star.cheek_left", "redness.a_star.cheek_right")
BROWS = ("lift.brow_height.left", "lift.brow_height.right")
_CALLED = (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)
_START = datetime(2026, 1, 5, 10, 0)
_BASELINE_CHECKS = ("camera_distance_change", "lighting_change", "light_direction_change")


@dataclass(frozen=True, slots=True)
class ClipFigures:
    """Counts over the start points of one clip (each a count of series or of metric verdicts).

    Attributes:
        clip: The recording's file stem.
        starts: Series made (start points).
        decided: Metric verdicts that were not "not enough data", untreated, no primaries.
        called: Of those, changes called.
        adversarial: Calls among the 5 adversarial primaries (out of 5 · starts).
        covered, coverable: Lift and contour metrics whose |change| ≤ MDC95, and how many had both.
        covered_raw: Of those, the metrics whose |latest − baseline| ≤ one session's band.
        cheeks_primary, cheeks_secondary: Start points where both planted cheeks were called "improved".
        cheeks_measurable: Start points where both cheeks had enough usable sessions for a verdict.
        brows_primary: Brow metrics (two per start) called "improved" as planted primaries.
        brows_measurable: Brow metrics (two per start) with enough usable sessions for a verdict.
        controls_moved: Untreated series in which a negative control moved.
        called_names: The metrics called in the untreated series (for the printout).
    """

    clip: str
    starts: int
    decided: int
    called: int
    adversarial: int
    covered: int
    coverable: int
    covered_raw: int
    cheeks_primary: int
    cheeks_secondary: int
    cheeks_measurable: int
    brows_primary: int
    brows_measurable: int
    controls_moved: int
    called_names: tuple[str, ...]


def series_from_frames(
    frames: Sequence[PhotoResult], start: int, *, sessions: int = SESSIONS, per_session: int = PHOTOS_PER_SESSION
) -> list[PhotoResult]:
    """Frames (time order) → photos dated as a weekly series: ``sessions`` consecutive blocks of ``per_session``
    frames spread evenly over the clip, the series starting at block ``start`` and wrapping around.

    Every photo then gets the camera-distance and lighting checks against the series' first photo, as the app
    does (:func:`progress.quality.baseline_checks`; the skin is not measured again, there are no pixels).
    """
    usable = [f for f in frames if f.ok]
    step = len(usable) / sessions
    photos = []
    for session in range(sessions):
        first = round(((session + start) % sessions) * step)
        for repeat, frame in enumerate(usable[first : first + min(per_session, max(1, int(step)))]):
            photos.append(replace(frame, captured_at=_START + timedelta(days=7 * session, minutes=repeat)))
    reference = photos[0].lighting if photos else None
    return [
        photo
        if photo.lighting is None or reference is None
        else replace(
            photo,
            checks=(
                *(c for c in photo.checks if c.name not in _BASELINE_CHECKS),
                *baseline_checks(photo.lighting, reference),
            ),
        )
        for photo in photos
    ]


def plant(photos: Sequence[PhotoResult], sessions: int = SESSIONS) -> list[PhotoResult]:
    """The planted change on the per-photo values: cheek a* −1 per session, brows +2 mm by the last session."""
    first = min(p.captured_at for p in photos if p.captured_at)
    planted = []
    for photo in photos:
        assert photo.captured_at is not None
        session = (photo.captured_at - first).days // 7
        values = dict(photo.metrics)
        for name in CHEEKS:
            if name in values:
                values[name] += CHEEK_A_STAR_PER_SESSION * session
        for name in BROWS:
            if name in values:
                values[name] += BROW_LIFT_MM / IPD_MM * session / (sessions - 1)
        planted.append(replace(photo, metrics=values))
    return planted


def _called(series: SeriesResult, names: Sequence[str] | None = None) -> list[str]:
    return [n for n, m in series.metrics.items() if m.verdict in _CALLED and (names is None or n in names)]


def _improved(series: SeriesResult, names: Sequence[str]) -> int:
    return sum(series.metrics[n].verdict is Verdict.IMPROVED for n in names)


def _measurable(series: SeriesResult, names: Sequence[str]) -> int:
    return sum(series.metrics[n].verdict is not Verdict.NOT_ENOUGH_DATA for n in names)


def _strength(metric: MetricSeries) -> float:
    ratio = abs(metric.change) / metric.minimal_detectable_change if metric.minimal_detectable_change > 0 else 0.0
    return ratio if np.isfinite(ratio) and not metric.spec.negative_control else -1.0


def clip_figures(clip: str, frames: Sequence[PhotoResult], starts: Sequence[int]) -> ClipFigures:
    """All figures for one clip's frames over the given start points."""
    counts = dict.fromkeys(
        (
            "decided",
            "called",
            "adversarial",
            "covered",
            "coverable",
            "covered_raw",
            "cheeks_primary",
            "cheeks_secondary",
            "cheeks_measurable",
            "brows_primary",
            "brows_measurable",
            "controls_moved",
        ),
        0,
    )
    names: list[str] = []
    for start in starts:
        photos = series_from_frames(frames, start)
        sessions = group_sessions(photos)
        plain = analyze_series(sessions)
        decided = [m for m in plain.metrics.values() if m.verdict is not Verdict.NOT_ENOUGH_DATA]
        counts["decided"] += len(decided)
        names += _called(plain)
        counts["called"] += len(_called(plain))
        counts["controls_moved"] += bool(plain.controls_moved)
        worst = sorted(plain.metrics.values(), key=_strength, reverse=True)[:ADVERSARIAL_PRIMARIES]
        chosen = [m.spec.name for m in worst]
        counts["adversarial"] += len(_called(analyze_series(sessions, primary=chosen), chosen))
        for m in decided:
            if (
                m.spec.family in ("lift", "contour")
                and np.isfinite(m.change)
                and np.isfinite(m.minimal_detectable_change)
            ):
                counts["coverable"] += 1
                counts["covered"] += abs(m.change) <= m.minimal_detectable_change
                counts["covered_raw"] += abs(m.latest - m.baseline) <= session_band(m)
        planted = group_sessions(plant(photos))
        as_primary = analyze_series(planted, primary=[*CHEEKS, *BROWS])
        counts["cheeks_primary"] += _improved(as_primary, CHEEKS) == len(CHEEKS)
        counts["brows_primary"] += _improved(as_primary, BROWS)
        counts["cheeks_measurable"] += _measurable(as_primary, CHEEKS) == len(CHEEKS)
        counts["brows_measurable"] += _measurable(as_primary, BROWS)
        counts["cheeks_secondary"] += _improved(analyze_series(planted), CHEEKS) == len(CHEEKS)
    return ClipFigures(clip=clip, starts=len(starts), called_names=tuple(sorted(set(names))), **counts)


def validate(
    names: Sequence[str] = (),
    start_count: int = SESSIONS,
    frames_per_clip: int = FRAMES_PER_CLIP,
    folder: Path | None = None,
) -> list[ClipFigures]:
    """Figures per recording over ``start_count`` start points.

    Args:
        names: Recordings to use, by file stem or a part of it (default: all in ``folder``).
        start_count: Start points per recording (at most ``SESSIONS``).
        frames_per_clip: Frames analysed per recording, evenly spaced.
        folder: Where the recordings are (default: :data:`progress.captures.SHARED_CAPTURES`).

    Returns:
        One entry per recording with at least ``SESSIONS`` analysable frames.
    """

    figures = []
    for video in clips(folder) if folder else clips():
        if names and not any(name in video.stem for name in names):
            continue
        count = frame_count(video)
        frames = clip_results(video, range(0, count, max(1, count // frames_per_clip)))
        if sum(f.ok for f in frames) >= SESSIONS:
            figures.append(clip_figures(video.stem, frames, range(min(start_count, SESSIONS))))
    return figures


def report(figures: Sequence[ClipFigures]) -> str:
    """The figures as a table with totals and the targets of issue 14."""
    lines = [f"{'clip':36} starts  calls/decided  adversarial  MDC covers L+C  cheeks prim/sec/meas  brows prim/meas"]
    for f in figures:
        lines.append(
            f"{f.clip[:36]:36} {f.starts:6}  {f.called:5}/{f.decided:<7}  {f.adversarial:5}/{5 * f.starts:<5}"
            f"  {f.covered:6}/{f.coverable:<7}  {f.cheeks_primary:6}/{f.cheeks_secondary}/"
            f"{f.cheeks_measurable:<9}  {f.brows_primary:5}/{f.brows_measurable}"
        )
        if f.called_names:
            lines.append(f"    untreated calls: {', '.join(f.called_names)}")
    total = {
        name: sum(getattr(f, name) for f in figures)
        for name in ClipFigures.__dataclass_fields__
        if name not in ("clip", "called_names")
    }

    def share(part: str, whole: str | int, target: str) -> str:
        denominator = total[whole] if isinstance(whole, str) else whole
        figure = f"{total[part]}/{denominator} = {100 * total[part] / denominator:.1f} %" if denominator else "–"
        return f"{figure}  (target {target})"

    lines += [
        f"untreated calls, all metrics:         {share('called', 'decided', '≤ 5 %')}",
        f"untreated calls, 5 adversarial prim.: {share('adversarial', 5 * total['starts'], '0')}",
        f"MDC95 covers lift/contour change:     {share('covered', 'coverable', '≥ 90 %')}",
        f"  (one session's band, raw last − first: {share('covered_raw', 'coverable', '–')})",
        f"planted cheeks, both as primaries:    {share('cheeks_primary', 'cheeks_measurable', '≥ 90 %')}",
        f"planted cheeks, both as secondaries:  {share('cheeks_secondary', 'cheeks_measurable', '≥ 50 %')}",
        f"planted 2 mm brow lift, as primaries: {share('brows_primary', 'brows_measurable', '≥ 75 %')}",
        f"untreated series, controls moved:     {share('controls_moved', 'starts', 'few')}",
        "(planted on the per-photo metric values; denominators: start points or metrics with a verdict)",
    ]
    return "\n".join(lines)


def main(arguments: Sequence[str] | None = None) -> int:  # pragma: no cover - exercised by tests/test_validation.py
    parser = argparse.ArgumentParser(prog="python -m progress.validation", description=__doc__.split("\n")[0])
    parser.add_argument("--clip", action="append", default=[], help="only this recording (part of its name)")
    parser.add_argument("--starts", type=int, default=SESSIONS, help="start points per recording (≤ 8)")
    options = parser.parse_args(arguments)
    figures = validate(options.clip, options.starts)
    if not figures:
        print("no recordings in ../shared/captures/repeat_sittings: nothing to validate", file=sys.stderr)
        return 1
    print(report(figures))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
