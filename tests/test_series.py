"""Series statistics and verdicts: hand-computed values, synthetic series, and real-pixel null and change series."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest
from helpers import encode, scale_exposure
from scipy import stats

from progress import FaceLandmarker, PhotoResult, analyze_photo
from progress.catalogue import Better, MetricSpec
from progress.noise import repeat_photos
from progress.quality import Check, Status
from progress.regions import LEFT_BROW, ROI_POLYGONS
from progress.series import (
    Verdict,
    analyze_series,
    benjamini_hochberg,
    group_sessions,
    linear_trend,
    minimal_detectable_change,
    pooled_within_session_sd,
    with_baseline,
)

START = datetime(2026, 1, 5, 10, 0)

# --- statistics against hand computation ----------------------------------------------------------------


def test_pooled_sd_and_mdc_by_hand() -> None:
    sd, degrees = pooled_within_session_sd([[1.0, 3.0], [10.0, 10.0, 13.0], [5.0]])
    # (1−2)² + (3−2)² + (10−11)²·2 + (13−11)² = 1 + 1 + 2 + 4 = 8 over (1 + 2) degrees of freedom
    assert (sd, degrees) == (pytest.approx(math.sqrt(8 / 3)), 3)
    assert minimal_detectable_change(2.0) == pytest.approx(1.96 * math.sqrt(2) * 2.0)
    assert minimal_detectable_change(2.0, 3, 1) == pytest.approx(1.96 * 2.0 * math.sqrt(1 / 3 + 1))


def test_linear_trend_by_hand() -> None:
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.1, 1.9, 3.0])
    slope = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    residuals = y - (y.mean() + slope * (x - x.mean()))
    standard_error = math.sqrt((residuals**2).sum() / 2 / ((x - x.mean()) ** 2).sum())
    t_quantile = 4.302653  # t distribution, 2 degrees of freedom, 97.5 %
    result = linear_trend(x, y)
    margin = t_quantile * standard_error
    assert result[:3] == pytest.approx((slope, slope - margin, slope + margin))
    assert result[3] == pytest.approx(2 * stats.t.sf(slope / standard_error, 2))
    assert all(math.isnan(v) for v in linear_trend([0.0, 1.0], [1.0, 2.0]))


def test_benjamini_hochberg_by_hand() -> None:
    # sorted p: 0.01, 0.03, 0.04, 0.2 → ×4/rank: 0.04, 0.06, 0.0533, 0.2 → running minimum from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    adjusted = benjamini_hochberg([0.5, math.nan])
    assert adjusted[0] == pytest.approx(0.5) and math.isnan(adjusted[1])


# --- verdict logic on synthetic photo results -------------------------------------------------------------

LOWER = MetricSpec("redness.a_star.cheek_left", "redness", "cheek_left", "a*", Better.LOWER, ("expression_smile",),
                   "test metric")
CONTROL = MetricSpec("contour.bizygomatic_width", "contour", None, "IPD", Better.NEITHER, (), "test control",
                     negative_control=True)


def _photo(day: int, values: dict[str, float], *, failing: str | None = None, warning: str | None = None
           ) -> PhotoResult:
    checks = [Check(failing, Status.FAIL, 1.0, 0.5, "score", "fix it")] if failing else []
    checks += [Check(warning, Status.WARN, 1.0, 0.5, "ΔE", "fix it")] if warning else []
    return PhotoResult(path=f"day{day}.jpg", captured_at=START + timedelta(days=day), checks=tuple(checks),
                       metrics=values)


def _series(values: list[list[float]], spec: MetricSpec = LOWER, **photo: str) -> list[PhotoResult]:
    return [_photo(14 * session, {spec.name: v}, **photo) for session, repeats in enumerate(values) for v in repeats]


def test_a_steady_fall_beyond_the_noise_is_an_improvement_for_a_lower_is_better_metric() -> None:
    rng = np.random.default_rng(1)
    values = [[10 - 0.8 * s + rng.normal(0, 0.2) for _ in range(3)] for s in range(6)]
    result = analyze_series(group_sessions(_series(values)), metrics=[LOWER])
    metric = result.metrics[LOWER.name]
    assert metric.verdict is Verdict.IMPROVED and metric.noise_source == "repeats"
    assert metric.noise == pytest.approx(0.2, rel=0.5)
    assert metric.change == pytest.approx(-4.0, abs=0.5)
    assert metric.slope_high < 0 and result.trend_unit == "day"


def test_noise_alone_is_no_clear_change() -> None:
    rng = np.random.default_rng(2)
    values = [[10 + rng.normal(0, 1.0) for _ in range(3)] for _ in range(6)]
    assert analyze_series(group_sessions(_series(values)), metrics=[LOWER]).metrics[LOWER.name].verdict is (
        Verdict.NO_CLEAR_CHANGE)


def test_a_big_jump_without_a_trend_is_no_clear_change() -> None:
    values = [[10.0, 10.1], [10.05, 9.95], [10.0, 10.1], [10.1, 10.0], [6.0, 6.1]]  # only the last session moves
    metric = analyze_series(group_sessions(_series(values)), metrics=[LOWER]).metrics[LOWER.name]
    assert abs(metric.change) > metric.minimal_detectable_change
    assert metric.verdict is Verdict.NO_CLEAR_CHANGE  # the trend's CI still includes zero


def test_two_sessions_are_not_enough_data() -> None:
    metric = analyze_series(group_sessions(_series([[10.0], [5.0]])), metrics=[LOWER]).metrics[LOWER.name]
    assert metric.verdict is Verdict.NOT_ENOUGH_DATA and "2 usable sessions, at least 3 needed" in metric.reasons[-1]


def test_photos_failing_a_check_the_metric_needs_do_not_count_and_say_why() -> None:
    photos = _series([[10.0], [9.0], [8.0], [7.0]])
    photos[1] = _photo(14, {LOWER.name: 50.0}, failing="expression_smile")
    metric = analyze_series(group_sessions(photos), metrics=[LOWER]).metrics[LOWER.name]
    assert math.isnan(metric.values[1]) and metric.photo_counts[1] == 0
    assert any("day14.jpg: expression_smile failed" in reason for reason in metric.reasons)
    smiling = (Check("expression_smile", Status.FAIL, 0.9, 0.15, "score", "relax"),)
    photos[2:] = [replace(photo, checks=smiling) for photo in photos[2:]]
    starved = analyze_series(group_sessions(photos), metrics=[LOWER]).metrics[LOWER.name]
    assert starved.verdict is Verdict.NOT_ENOUGH_DATA
    assert starved.reasons[-1] == ("1 usable sessions, at least 3 needed; photos left out because expression smile "
                                   "failed")


def test_a_moving_negative_control_makes_called_changes_unreliable() -> None:
    photos = [_photo(14 * s, {LOWER.name: 10 - s, CONTROL.name: 2.4 + 0.05 * s}) for s in range(6)]
    result = analyze_series(group_sessions(photos), metrics=[LOWER, CONTROL])
    assert result.controls_moved == (CONTROL.name,)
    assert result.metrics[LOWER.name].verdict is Verdict.UNRELIABLE
    assert "negative controls moved" in result.metrics[LOWER.name].reasons[-1]


def test_lighting_that_drifted_in_half_the_sessions_makes_colour_unreliable() -> None:
    spec = MetricSpec("redness.a_star.face", "redness", "face", "a*", Better.LOWER, ("lighting_change",), "test")
    photos = [_photo(14 * s, {spec.name: 10 - s}, warning="lighting_change" if s % 2 else None) for s in range(6)]
    metric = analyze_series(group_sessions(photos), metrics=[spec]).metrics[spec.name]
    assert metric.verdict is Verdict.UNRELIABLE and "lighting change warned in 3 of 6 sessions" in metric.reasons


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


# --- real pixels: a null series and a series with gradual injected changes -------------------------------


@pytest.fixture(scope="module")
def base_photo(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut at 214 px between the pupils, exposed with headroom."""
    return scale_exposure(cv2.resize(astronaut, None, fx=5, fy=5, interpolation=cv2.INTER_LANCZOS4), 0.75)


def _session_photos(images: list[np.ndarray], landmarker: FaceLandmarker, rng: np.random.Generator,
                    per_session: int) -> list[PhotoResult]:
    results = []
    for session, image in enumerate(images):
        for repeat, photo in enumerate(repeat_photos(image, rng, per_session)):
            result = analyze_photo(encode(photo, quality=int(rng.integers(85, 96))), landmarker)
            results.append(PhotoResult(**{**_fields(result), "path": f"s{session}r{repeat}.jpg",
                                          "captured_at": START + timedelta(days=14 * session, minutes=repeat)}))
    return results


def _fields(result: PhotoResult) -> dict[str, object]:
    return {name: getattr(result, name) for name in PhotoResult.__dataclass_fields__}


def _called(result: object) -> dict[str, Verdict]:
    metrics = result.metrics  # type: ignore[attr-defined]
    return {name: m.verdict for name, m in metrics.items()
            if m.verdict in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)}


@pytest.mark.parametrize(("seed", "per_session"), [(1, 1), (2, 1), (3, 2)])
def test_a_null_series_shows_no_clear_change(base_photo: np.ndarray, landmarker: FaceLandmarker, seed: int,
                                             per_session: int) -> None:
    rng = np.random.default_rng(seed)
    photos = _session_photos([base_photo] * 8, landmarker, rng, per_session)
    result = analyze_series(with_baseline(group_sessions(photos)))
    decided = [m for m in result.metrics.values() if m.verdict is not Verdict.NOT_ENOUGH_DATA]
    called = _called(result)
    assert len(decided) > 60  # the test covers most of the catalogue
    assert len(called) <= 0.05 * len(decided), called


def _redder_cheeks(image: np.ndarray, landmarks: np.ndarray, a_star: float) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.float32)
    for name in ("cheek_L", "cheek_R"):
        cv2.fillPoly(mask, [np.round(landmarks[list(ROI_POLYGONS[name]), :2]).astype(np.int32)], 1.0)
    mask = cv2.GaussianBlur(cv2.dilate(mask, np.ones((41, 41), np.uint8)), (0, 0), 8)
    lab = cv2.cvtColor(image.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    lab[..., 1] += a_star * mask
    return np.asarray(np.clip(np.round(cv2.cvtColor(lab, cv2.COLOR_Lab2RGB) * 255), 0, 255), dtype=np.uint8)


def _raised_left_brow(image: np.ndarray, landmarks: np.ndarray, millimetres: float) -> np.ndarray:
    """Lift the client's left brow by a smooth upward displacement (none at the eye or beyond the brow)."""
    inter_pupillary = float(np.linalg.norm(landmarks[473, :2] - landmarks[468, :2]))
    pixels_per_mm = inter_pupillary / 63.0
    brow = landmarks[list(LEFT_BROW), :2]
    centre, half_width = brow.mean(axis=0), (brow[:, 0].max() - brow[:, 0].min()) / 2 + 4 * pixels_per_mm
    rows, columns = np.indices(image.shape[:2], dtype=np.float32)
    across = np.clip(1 - np.abs(columns - centre[0]) / half_width, 0, 1)
    along = np.exp(-(((rows - centre[1]) / (5 * pixels_per_mm)) ** 2))
    shift = millimetres * pixels_per_mm * across * along
    return cv2.remap(image, columns, rows + shift, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


EXPECTED_TO_IMPROVE = {
    "redness.a_star.cheek_left", "redness.a_star.cheek_right", "redness.cheek_contrast.cheek_left",
    "redness.cheek_contrast.cheek_right", "redness.erythema_index.cheek_left", "redness.erythema_index.cheek_right",
    "lift.brow_height.left",
}
CONSEQUENCES = {
    # the fading patch makes the whole face more even and moves the cheek colour the under-eye is compared with
    "tone.delta_e.face", "tone.sd_redness.face", "tone.delta_e.cheek_left", "tone.delta_e.cheek_right",
    "tone.sd_redness.cheek_left", "tone.sd_redness.cheek_right", "redness.a_star.face",
    "redness.erythema_index.face", "redness.red_area.cheek_left", "redness.red_area.cheek_right",
    "redness.red_area.face", "undereye.delta_e.undereye_left", "undereye.delta_e.undereye_right",
    "undereye.darkness.undereye_left", "undereye.darkness.undereye_right",
    # one brow higher: its tail rises, and the face is less symmetric around the brows
    "lift.brow_tail_height.left", "symmetry.brow_asymmetry", "symmetry.landmark_asymmetry",
}


def test_gradual_changes_are_found_where_they_were_made_and_only_there(
    base_photo: np.ndarray, landmarker: FaceLandmarker
) -> None:
    face = landmarker.detect(base_photo).face
    assert face is not None
    sessions = [
        _raised_left_brow(_redder_cheeks(base_photo, face.landmarks, 6.0 * (1 - s / 7)), face.landmarks, 2.0 * s / 7)
        for s in range(8)
    ]
    photos = _session_photos(sessions, landmarker, np.random.default_rng(7), 1)
    called = _called(analyze_series(with_baseline(group_sessions(photos))))
    assert {name for name, verdict in called.items() if verdict is Verdict.IMPROVED} >= EXPECTED_TO_IMPROVE, called
    assert set(called) <= EXPECTED_TO_IMPROVE | CONSEQUENCES, set(called) - EXPECTED_TO_IMPROVE - CONSEQUENCES
