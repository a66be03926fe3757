"""Series statistics and verdicts on per-photo results built from numbers (no model), and one small end-to-end
series through the real pipeline."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest
from helpers import cheeks_shifted, encode
from scipy import stats

from progress import FaceLandmarker, PhotoResult, analyze_photo
from progress.catalogue import Better, MetricSpec, catalogue
from progress.quality import Check, Status
from progress.series import (
    MetricSeries,
    NoiseSource,
    Rule,
    Verdict,
    analyze_series,
    benjamini_hochberg,
    group_sessions,
    holm,
    linear_trend,
    metric_family,
    minimal_detectable_change,
    pooled_within_session_sd,
    session_noise,
    with_baseline,
)
from progress.summary import rule_sentence, series_to_dict

START = datetime(2026, 1, 5, 10, 0)
WITHIN, DAY = 1.0, 0.5
"""The noise defaults every verdict test runs with (patched in), so the known answers do not depend on
``default_noise.json``, which is re-measured whenever the pipeline changes."""

LOWER = MetricSpec(
    "redness.a_star.cheek_left", "redness", "cheek_left", "a*", Better.LOWER, ("expression_smile",), "test metric"
)
RIGHT = MetricSpec("redness.a_star.cheek_right", "redness", "cheek_right", "a*", Better.LOWER, (), "test metric")
FOREHEAD = MetricSpec("tone.delta_e.forehead", "tone", "forehead", "ΔE00", Better.LOWER, (), "test metric")
CONTROL = MetricSpec(
    "lift.canthal_tilt.left", "lift", "left", "degrees", Better.NEITHER, (), "test control", negative_control=True
)


@pytest.fixture(autouse=True)
def fixed_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("progress.series.default_noise", lambda name: WITHIN)
    monkeypatch.setattr("progress.series.default_day_noise", lambda name: DAY)


def _photo(
    day: int, values: dict[str, float], *, failing: str | None = None, warning: str | None = None, minute: int = 0
) -> PhotoResult:
    checks = [Check(failing, Status.FAIL, 1.0, 0.5, "score", "fix it")] if failing else []
    checks += [Check(warning, Status.WARN, 1.0, 0.5, "ΔE", "fix it")] if warning else []
    return PhotoResult(
        path=f"day{day}.jpg",
        captured_at=START + timedelta(days=day, minutes=minute),
        checks=tuple(checks),
        metrics=values,
    )


def _series(columns: dict[str, list[float]]) -> list[PhotoResult]:
    """One photo a session, a session every 14 days, the given values per metric."""
    sessions = len(next(iter(columns.values())))
    return [_photo(14 * s, {name: values[s] for name, values in columns.items()}) for s in range(sessions)]


def _one(
    values: list[float], spec: MetricSpec = LOWER, *, primary: Sequence[str] = (), baseline_sessions: int = 1
) -> MetricSeries:
    result = analyze_series(
        group_sessions(_series({spec.name: values})),
        metrics=[spec],
        primary=primary,
        baseline_sessions=baseline_sessions,
    )
    return result.metrics[spec.name]


# --- statistics against hand computation ----------------------------------------------------------------


def test_pooled_sd_and_mdc_by_hand() -> None:
    sd, degrees = pooled_within_session_sd([[1.0, 3.0], [10.0, 10.0, 13.0], [5.0]])
    # (1−2)² + (3−2)² + (10−11)²·2 + (13−11)² = 1 + 1 + 2 + 4 = 8 over (1 + 2) degrees of freedom
    assert sd == pytest.approx(math.sqrt(8 / 3)) and degrees == 3
    assert minimal_detectable_change(2.0) == pytest.approx(1.96 * math.sqrt(2) * 2.0)
    assert minimal_detectable_change(2.0, 3, 1) == pytest.approx(1.96 * 2.0 * math.sqrt(1 / 3 + 1))
    assert session_noise(2.0, 1.0, 4) == pytest.approx(math.sqrt(1 + 4 / 4))


def test_linear_trend_by_hand() -> None:
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.1, 1.9, 3.0])
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    residuals = y - (y.mean() + slope * (x - x.mean()))
    standard_error = math.sqrt((residuals**2).sum() / 2 / ((x - x.mean()) ** 2).sum())
    t_quantile = 4.302653  # t distribution, 2 degrees of freedom, 97.5 %
    result = linear_trend(x.tolist(), y.tolist())
    margin = t_quantile * standard_error
    assert result[:3] == pytest.approx((slope, slope - margin, slope + margin))
    assert result[3] == pytest.approx(2 * stats.t.sf(slope / standard_error, 2))
    assert all(math.isnan(v) for v in linear_trend([0.0, 1.0], [1.0, 2.0]))


def test_the_trend_error_is_floored_by_the_noise() -> None:
    # a perfect line has no residual error; the known noise's SE is 2 / √Σ(t − t̄)² = 2 / √10 over t = 0…4,
    # tested with the normal quantile (the noise is known, not estimated)
    slope, low, high, p = linear_trend([0, 1, 2, 3, 4], [0.0, 1.0, 2.0, 3.0, 4.0], noise=2.0)
    floor = 2.0 / math.sqrt(10.0)
    assert slope == pytest.approx(1.0)
    assert (low, high) == pytest.approx((1 - 1.959964 * floor, 1 + 1.959964 * floor))
    assert p == pytest.approx(2 * stats.norm.sf(1.0 / floor))


def test_the_residual_error_is_tested_with_t_when_it_is_the_larger() -> None:
    # residuals (0, 1, −2, 1, 0) about the line: SE = √(6 / 3 / 10); t with 3 df beats the known noise's z
    values = [0.0, 2.0, 0.0, 4.0, 4.0]
    slope, _low, high, p = linear_trend([0, 1, 2, 3, 4], values, noise=0.1)
    error = math.sqrt(6 / 3 / 10)
    assert slope == pytest.approx(1.0)
    assert high - slope == pytest.approx(3.182446 * error)  # t(3 df, 97.5 %)
    assert p == pytest.approx(2 * stats.t.sf(1.0 / error, 3))


def test_benjamini_hochberg_by_hand() -> None:
    # sorted p: 0.01, 0.03, 0.04, 0.2 → ×4/rank: 0.04, 0.06, 0.0533, 0.2 → running minimum from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    adjusted = benjamini_hochberg([0.5, math.nan])
    assert adjusted[0] == pytest.approx(0.5) and math.isnan(adjusted[1])


# --- noise: within-sitting, day-to-day, the series' own scatter -------------------------------------------


def test_the_mdc_adds_the_day_to_day_noise_to_the_within_sitting_noise() -> None:
    metric = _one([10.0, 10.0, 10.0])
    # one photo a session: σ_session = √(0.5² + 1²/1). Three sessions 14 days apart, no scatter: the trend's
    # MDC95 = 1.96·σ_session·28 / √(14² + 0 + 14²) = 1.96·√2·σ_session, as for a difference of two sessions
    assert metric.session_noise == pytest.approx(math.sqrt(1.25))
    assert metric.minimal_detectable_change == pytest.approx(1.959964 * math.sqrt(2 * 1.25))
    assert metric.noise_source is NoiseSource.DEFAULT and metric.session_noise_source is NoiseSource.DEFAULT


def test_repeats_quieter_than_the_default_do_not_lower_the_noise_but_noisier_ones_raise_it() -> None:
    quiet = [_photo(14 * s, {LOWER.name: 10 + 0.01 * r}, minute=r) for s in range(4) for r in range(3)]
    metric = analyze_series(group_sessions(quiet), metrics=[LOWER]).metrics[LOWER.name]
    assert metric.noise == WITHIN and metric.noise_source is NoiseSource.DEFAULT
    loud = [_photo(14 * s, {LOWER.name: 10 + 3.0 * (r - 1)}, minute=r) for s in range(4) for r in range(3)]
    metric = analyze_series(group_sessions(loud), metrics=[LOWER]).metrics[LOWER.name]
    # every session is 7, 10, 13: SD 3 with 2 degrees of freedom each; three photos: σ_session = √(0.25 + 9/3)
    assert metric.noise == pytest.approx(3.0) and metric.noise_source is NoiseSource.REPEATS
    assert metric.session_noise == pytest.approx(math.sqrt(0.25 + 3.0))


def test_scatter_of_the_sessions_around_their_trend_raises_the_noise() -> None:
    values = [10.0, 14.0, 6.0, 14.0, 6.0, 10.0]
    metric = _one(values)
    x = np.arange(6) * 14.0
    fit = np.polyfit(x, values, 1)
    residual_sd = math.sqrt(((np.asarray(values) - np.polyval(fit, x)) ** 2).sum() / 4)
    assert metric.session_noise == pytest.approx(residual_sd)
    assert metric.session_noise_source is NoiseSource.SERIES_SCATTER
    # the trend's MDC95 over 70 days: t(4 df) · residual SD / √Σ(t − t̄)² · 70, with Σ(t − t̄)² = 14²·17.5
    lever = 70 / math.sqrt(14.0**2 * 17.5)
    assert metric.minimal_detectable_change == pytest.approx(2.776445 * residual_sd * lever)


def test_baseline_sessions_set_the_baseline_and_the_clients_own_noise() -> None:
    metric = _one([10.0, 14.0, 12.0, 12.0], baseline_sessions=3)
    assert metric.baseline == pytest.approx(12.0) and metric.latest == pytest.approx(12.0)
    # the trend through days 0, 14, 28, 42: slope Σdt·dy / Σdt² = 28 / 980 a day, from the baseline sessions'
    # mean day (14) to the latest (42)
    assert metric.change == pytest.approx(28 / 980 * 28)
    assert metric.session_noise == pytest.approx(2.0)  # SD of 10, 14, 12
    assert metric.session_noise_source is NoiseSource.BASELINE_SESSIONS
    # residuals −1.4, 2.2, −0.2, −0.6: t(2 df)·√(7.2 / 2 / 980) beats 1.96 · 2 (the client's own SD) / √980
    assert metric.minimal_detectable_change == pytest.approx(4.302653 * math.sqrt(7.2 / 2 / 980) * 28)
    with pytest.raises(ValueError, match="baseline session"):
        analyze_series([], baseline_sessions=0)


# --- verdict rules ------------------------------------------------------------------------------------------

FALL = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0]
"""A steady fall of 5 over six sessions: beyond the trend's MDC95 of 2.62 with the patched noise
(1.96·√1.25·70 / √(14²·17.5)), and the last two sessions below the baseline."""


def test_a_steady_fall_beyond_the_noise_is_an_improvement_for_a_lower_is_better_metric() -> None:
    metric = _one(FALL, primary=[LOWER.name])
    assert metric.verdict is Verdict.IMPROVED and metric.rule is Rule.PRIMARY_TEST
    assert metric.change == pytest.approx(-5.0) and metric.slope_high < 0
    secondary = _one(FALL)
    assert secondary.verdict is Verdict.IMPROVED and secondary.rule is Rule.FAMILY_TEST


def test_a_change_within_the_noise_is_no_clear_change() -> None:
    metric = _one([10.0, 9.6, 9.2, 8.8, 8.4, 8.0], primary=[LOWER.name])  # −2 < MDC95 3.10
    assert metric.verdict is Verdict.NO_CLEAR_CHANGE and metric.rule is Rule.WITHIN_NOISE


ENDPOINT_MDC = 1.96 * math.sqrt(2 * 1.25)
"""MDC95 of one session against one baseline session with the patched noise: 3.10."""


def test_a_big_jump_in_the_last_session_only_is_not_called() -> None:
    # latest − baseline = −9, far beyond one session's noise; the trend over all sessions is not
    metric = _one([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 1.0], primary=[LOWER.name])
    assert abs(metric.latest - metric.baseline) > ENDPOINT_MDC
    assert metric.verdict is Verdict.NO_CLEAR_CHANGE
    assert metric.rule in (Rule.WITHIN_NOISE, Rule.NO_TREND, Rule.NOT_PERSISTENT)


def test_a_change_that_hinges_on_one_off_baseline_session_is_not_called() -> None:
    # one off baseline, the rest flat: latest − baseline = −3.6 is beyond one session's noise, but the trend's
    # change (the off session raises its residual error) is not
    metric = _one([12.0, 8.5, 8.6, 8.4, 8.5, 8.6, 8.4, 8.5, 8.5, 8.4], primary=[LOWER.name])
    assert abs(metric.latest - metric.baseline) > ENDPOINT_MDC
    assert abs(metric.change) < metric.minimal_detectable_change
    assert metric.verdict is Verdict.NO_CLEAR_CHANGE and metric.rule is Rule.WITHIN_NOISE


def test_a_step_the_robust_trend_does_not_confirm_is_not_called() -> None:
    # flat, then a step down in the last two sessions: the OLS trend's change is beyond its MDC95, but the
    # Theil–Sen slope (the median of the pairwise slopes, most of them 0) does not exclude zero
    metric = _one([10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 7.0, 7.0], primary=[LOWER.name])
    assert abs(metric.change) > metric.minimal_detectable_change and metric.theil_sen_high >= 0
    assert metric.verdict is Verdict.NO_CLEAR_CHANGE and metric.rule is Rule.NO_TREND


def test_a_change_must_persist_in_the_latest_two_sessions() -> None:
    # a clear fall, but the session before the latest is back above the baseline
    values = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 10.2, 0.0]
    metric = _one(values, primary=[LOWER.name])
    assert abs(metric.change) > metric.minimal_detectable_change and metric.theil_sen_high < 0
    assert metric.verdict is Verdict.NO_CLEAR_CHANGE and metric.rule is Rule.NOT_PERSISTENT
    assert _one([*values, -1.0], primary=[LOWER.name]).verdict is Verdict.IMPROVED  # one session more


def test_holm_by_hand() -> None:
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1: 0.03, 0.06, 0.04 → made monotone 0.03, 0.06, 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = holm([0.2, math.nan])
    assert adjusted[0] == pytest.approx(0.2) and math.isnan(adjusted[1])


def test_the_primaries_share_five_percent_by_holm() -> None:
    # p = 0.034 alone; beside a primary that fell clearly it keeps its own p (Holm's second step: ×1); beside two
    # flat primaries it is multiplied by three and not called
    fall = [10.0, 9.5, 8.8, 8.4, 7.7, 7.2]
    flat = [10.0, 10.5, 9.5, 10.0, 10.5, 9.5]
    steep = [10.0, 8.0, 6.0, 4.0, 2.0, 0.0]
    third = MetricSpec("redness.a_star.chin", "redness", "chin", "a*", Better.LOWER, (), "test metric")
    beside_clear = analyze_series(
        group_sessions(_series({LOWER.name: fall, RIGHT.name: steep})),
        metrics=[LOWER, RIGHT],
        primary=[LOWER.name, RIGHT.name],
    ).metrics[LOWER.name]
    assert 0.025 < beside_clear.adjusted_p_value == beside_clear.p_value < 0.05
    assert beside_clear.verdict is Verdict.IMPROVED and beside_clear.rule is Rule.PRIMARY_TEST
    beside_flat = analyze_series(
        group_sessions(_series({LOWER.name: fall, RIGHT.name: flat, third.name: flat})),
        metrics=[LOWER, RIGHT, third],
        primary=[LOWER.name, RIGHT.name, third.name],
    ).metrics[LOWER.name]
    assert beside_flat.adjusted_p_value == pytest.approx(3 * beside_flat.p_value)
    assert beside_flat.verdict is Verdict.NO_CLEAR_CHANGE and beside_flat.rule is Rule.PRIMARY_FAMILYWISE


def test_secondaries_are_corrected_within_their_family_only() -> None:
    loud = [10.0, 9.9, 9.0, 8.0, 5.0, 4.0]
    photos = _series({LOWER.name: loud, RIGHT.name: [10.0] * 6, FOREHEAD.name: loud})
    result = analyze_series(group_sessions(photos), metrics=[LOWER, RIGHT, FOREHEAD])
    cheek, forehead = result.metrics[LOWER.name], result.metrics[FOREHEAD.name]
    assert cheek.family == metric_family(RIGHT) == "redness · cheeks" and forehead.family == "tone · forehead"
    assert forehead.adjusted_p_value == pytest.approx(forehead.p_value)  # a family of one
    assert cheek.adjusted_p_value == pytest.approx(min(1.0, cheek.p_value * 2))  # BH over two cheek metrics
    assert result.metrics[RIGHT.name].verdict is Verdict.NO_CLEAR_CHANGE


def test_a_failing_family_correction_says_so() -> None:
    # p = 0.034 alone, twice that in a family of two: called as a primary, not as a secondary
    values = [10.0, 9.5, 8.8, 8.4, 7.7, 7.2]
    photos = _series({LOWER.name: values, RIGHT.name: [10.0, 10.5, 9.5, 10.0, 10.5, 9.5]})
    alone = analyze_series(group_sessions(photos), metrics=[LOWER, RIGHT], primary=[LOWER.name])
    assert 0.025 < alone.metrics[LOWER.name].p_value < 0.05 and alone.metrics[LOWER.name].verdict is Verdict.IMPROVED
    together = analyze_series(group_sessions(photos), metrics=[LOWER, RIGHT]).metrics[LOWER.name]
    assert together.adjusted_p_value > 0.05
    assert together.verdict is Verdict.NO_CLEAR_CHANGE and together.rule is Rule.FAMILY_FALSE_DISCOVERY


def test_a_moving_negative_control_is_tested_alone_and_makes_called_changes_unreliable() -> None:
    photos = _series({LOWER.name: FALL, CONTROL.name: [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    result = analyze_series(group_sessions(photos), metrics=[LOWER, CONTROL])
    assert result.controls_moved == (CONTROL.name,)
    assert result.metrics[CONTROL.name].rule is Rule.CONTROL_TEST
    assert result.metrics[CONTROL.name].verdict is Verdict.CHANGED
    called = result.metrics[LOWER.name]
    assert called.verdict is Verdict.UNRELIABLE and called.rule is Rule.CAPTURE_CHANGED
    assert "negative controls moved" in called.reasons[-1]


def test_a_control_drifting_less_than_the_mdc_but_steadily_still_raises_capture_changed() -> None:
    # +0.25 a session over 12 sessions: 2.75 in all, less than one session's MDC95 against the baseline, but a
    # clear trend
    photos = _series({LOWER.name: [10.0 - 0.5 * s for s in range(12)], CONTROL.name: [0.25 * s for s in range(12)]})
    result = analyze_series(group_sessions(photos), metrics=[LOWER, CONTROL])
    control = result.metrics[CONTROL.name]
    assert abs(control.latest - control.baseline) < ENDPOINT_MDC
    assert result.controls_moved == (CONTROL.name,) and control.rule is Rule.CONTROL_TEST
    assert result.metrics[LOWER.name].verdict is Verdict.UNRELIABLE


def test_two_sessions_are_not_enough_data() -> None:
    metric = _one([10.0, 5.0])
    assert metric.verdict is Verdict.NOT_ENOUGH_DATA and metric.rule is Rule.NOT_ENOUGH_DATA
    assert "2 usable sessions, at least 3 needed" in metric.reasons[-1]


def test_photos_failing_a_check_the_metric_needs_do_not_count_and_say_why() -> None:
    photos = _series({LOWER.name: [10.0, 9.0, 8.0, 7.0]})
    photos[1] = _photo(14, {LOWER.name: 50.0}, failing="expression_smile")
    metric = analyze_series(group_sessions(photos), metrics=[LOWER]).metrics[LOWER.name]
    assert math.isnan(metric.values[1]) and metric.photo_counts[1] == 0
    assert any("day14.jpg: expression_smile not passed" in reason for reason in metric.reasons)
    smiling = (Check("expression_smile", Status.FAIL, 0.9, 0.15, "score", "relax"),)
    photos[2:] = [replace(photo, checks=smiling) for photo in photos[2:]]
    starved = analyze_series(group_sessions(photos), metrics=[LOWER]).metrics[LOWER.name]
    assert starved.verdict is Verdict.NOT_ENOUGH_DATA
    assert starved.reasons[-1] == (
        "1 usable sessions, at least 3 needed; photos left out because expression smile failed"
    )


def _drifting(check_name: str, check_values: list[float]) -> MetricSeries:
    spec = MetricSpec("redness.a_star.face", "redness", "face", "a*", Better.LOWER, (check_name,), "test")
    photos = [
        replace(
            _photo(14 * s, {spec.name: value}),
            checks=(Check(check_name, Status.PASS, check_values[s], 4.0, "ΔE", ""),),
        )
        for s, value in enumerate(FALL)
    ]
    return analyze_series(group_sessions(photos), metrics=[spec], primary=[spec.name]).metrics[spec.name]


def test_a_change_that_came_with_a_steady_drift_of_the_light_is_not_called() -> None:
    # every photo passes the lighting check (ΔE < 4 from the baseline), but its ΔE rises 0 → 2.5 with the fall:
    # a trend of 2.5 ≥ half the limit, so the fall and the light cannot be told apart
    rising = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    metric = _drifting("lighting_change", rising)
    assert metric.verdict is Verdict.UNRELIABLE and metric.rule is Rule.CONDITIONS_DRIFTED
    assert metric.drifted == "lighting_change" and "the lighting change check drifted" in rule_sentence(metric)
    assert _drifting("lighting_change", [1.0, 1.2, 0.9, 1.1, 1.0, 1.2]).verdict is Verdict.IMPROVED  # steady light
    assert _drifting("lighting_change", [0.0, 0.3, 0.6, 0.9, 1.2, 1.5]).verdict is Verdict.IMPROVED  # under half
    assert _drifting("head_pitch", rising).verdict is Verdict.IMPROVED  # pose: frontalisation takes it out


def test_a_photo_lit_otherwise_than_the_baseline_does_not_count_for_colour() -> None:
    spec = MetricSpec("redness.a_star.face", "redness", "face", "a*", Better.LOWER, ("lighting_change",), "test")
    photos = [_photo(14 * s, {spec.name: 10.0 - s}, warning="lighting_change" if s % 2 else None) for s in range(6)]
    metric = analyze_series(group_sessions(photos), metrics=[spec]).metrics[spec.name]
    assert [math.isnan(v) for v in metric.values] == [False, True] * 3
    assert "excluded day14.jpg: lighting_change not passed" in metric.reasons


@pytest.mark.parametrize(
    ("family", "counts"), [("texture", False), ("lines", False), ("spots", False), ("lift", True), ("tone", True)]
)
def test_a_slight_expression_leaves_a_photo_out_of_the_skin_surface_metrics_only(family: str, counts: bool) -> None:
    spec = MetricSpec(f"{family}.x.face", family, "face", "x", Better.LOWER, ("expression_smile",), "test")
    photos = [_photo(14 * s, {spec.name: 10.0}, warning="expression_smile" if s == 1 else None) for s in range(3)]
    metric = analyze_series(group_sessions(photos), metrics=[spec]).metrics[spec.name]
    assert math.isfinite(metric.values[1]) is counts


def test_undated_photos_keep_the_order_given_and_are_flagged() -> None:
    photos = [PhotoResult(path=f"p{i}.jpg", metrics={LOWER.name: float(10 - i)}) for i in range(4)]
    result = analyze_series(group_sessions(photos), metrics=[LOWER])
    assert [s.label for s in result.sessions] == [f"undated photo {i}" for i in range(1, 5)]
    assert result.trend_unit == "session" and "without a date" in result.notes[0]


def test_sessions_come_from_labels_when_given() -> None:
    photos = [_photo(0, {}), _photo(0, {}), _photo(30, {})]
    sessions = group_sessions(photos, labels=["visit 1", "visit 1", "visit 2"])
    assert [(s.label, len(s.photos)) for s in sessions] == [("visit 1", 2), ("visit 2", 1)]


def test_at_most_five_primary_metrics() -> None:
    with pytest.raises(ValueError, match="at most 5"):
        analyze_series([], primary=["a", "b", "c", "d", "e", "f"])


def test_families_are_small_and_pair_left_with_right() -> None:
    sizes = Counter(metric_family(spec) for spec in catalogue() if not spec.negative_control)
    assert max(sizes.values()) <= 20 and len(sizes) >= 20
    by_name = {spec.name: spec for spec in catalogue()}
    assert metric_family(by_name["lift.brow_height.left"]) == metric_family(by_name["lift.brow_height.right"])
    assert metric_family(by_name["redness.a_star.forehead"]) != metric_family(by_name["redness.a_star.cheek_left"])


def test_every_rule_is_put_into_words_and_written_out() -> None:
    metric = _one(FALL, primary=[LOWER.name])
    for rule in Rule:
        assert rule_sentence(replace(metric, rule=rule))
    assert "MDC95 2.62 a*" in rule_sentence(metric)
    written = series_to_dict(analyze_series(group_sessions(_series({LOWER.name: FALL})), metrics=[LOWER]))
    assert written["metrics"][LOWER.name]["rule"] == "family_test"
    assert written["metrics"][LOWER.name]["family"] == "redness · cheeks"


# --- one small series through the whole pipeline -------------------------------------------------------


def test_a_small_series_of_real_pixels_finds_the_fading_cheeks(
    client_photo: np.ndarray, landmarker: FaceLandmarker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.undo()  # the real defaults of default_noise.json
    face = landmarker.detect(client_photo).face
    assert face is not None
    photos = []
    for session in range(5):
        image = cheeks_shifted(client_photo, face.landmarks, -2.0 * session)  # a* −8 by the fifth session
        result = analyze_photo(encode(image, "PNG", compress_level=1), landmarker, name=f"s{session}.png")
        photos.append(replace(result, captured_at=START + timedelta(days=14 * session)))
    cheeks = ["redness.a_star.cheek_left", "redness.a_star.cheek_right"]
    series = analyze_series(with_baseline(group_sessions(photos)), primary=cheeks)
    assert [series.metrics[name].verdict for name in cheeks] == [Verdict.IMPROVED, Verdict.IMPROVED]
    decided = [m for m in series.metrics.values() if m.verdict is not Verdict.NOT_ENOUGH_DATA]
    assert len(decided) > 60  # the series covers most of the catalogue
    called = {
        name for name, m in series.metrics.items() if m.verdict in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)
    }
    assert not {name for name in called if name.endswith(".forehead") or name.startswith(("contour.", "lift."))}
