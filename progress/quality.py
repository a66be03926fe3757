"""Capture checks: what makes a photo incomparable with the others of a series.

Each check returns a :class:`Check` (name, pass/warn/fail, the measured value, the limit it was held to, and a
one-line fix the practitioner can act on). Checks on the photo alone come from :func:`photo_checks`; checks
against the client's baseline photo from :func:`baseline_checks`. Image measures are taken on the aligned face
(canonical frame), on a skin sample (forehead and both cheeks, eyes/brows/lips never included), so they do not
depend on the photo's resolution or framing.

Thresholds are module constants; the comment beside each says where it comes from. "Calibrated" means set on
the development photo set (public face-library test photos, several skin tones, the scikit-image astronaut and
blurred, darkened and tinted versions of them) so that ordinary good photos pass and the spoiled ones do not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np

from progress.align import AlignedFace, HeadPose
from progress.colour import srgb_to_lab
from progress.regions import FACE_OVAL, ROI_POLYGONS, Region

__all__ = [
    "EXPRESSION_BLENDSHAPES",
    "Check",
    "LightingSignature",
    "Status",
    "baseline_checks",
    "expression_checks",
    "lighting_signature",
    "photo_checks",
    "pose_checks",
    "sharpness",
    "skin_sample_mask",
]

# --- thresholds (warn, fail) -------------------------------------------------------------------------------
FACE_SIZE_PX = (100.0, 50.0)
"""Inter-pupillary distance in photo pixels. Below 100 px the aligned face (300 px) is upsampled 3×, so fine
lines and texture are not resolved; below 50 px landmarks themselves lose precision (MediaPipe's landmark
network sees the face at 256 px)."""
HEAD_YAW_DEG = (5.0, 10.0)
HEAD_PITCH_DEG = (5.0, 10.0)
"""Reject |yaw| or |pitch| > 10° (``docs/capture.md``, "The checks and their limits"); 5° of pitch already
moves an unfrontalised brow height ~4 %."""
SMILE = (0.15, 0.40)
JAW_OPEN = (0.10, 0.25)
BROWS_RAISED = (0.40, 0.70)
SQUINT = (0.60, 0.80)
EYES_CLOSED = (0.35, 0.60)
"""Blendshape scores. The published gates (smile 0.15, brows 0.15, blink/squint 0.3, jawOpen 0.05) loosened
where neutral, frontal development photos already exceed them (jawOpen up to 0.11, browInnerUp up to 0.3,
eyeSquint up to 0.58 at rest; smiling faces score 0.6–0.98 on smile). Eye closure moves the lift metrics most of
all (per +0.1 of eyeBlink: palpebral fissure −1.2 to −1.7 mm, brow height +0.6 to +1.4 mm, as the lid covers the
iris centre the heights are measured from; r 0.65–0.98 in four real sittings, ``benchmarks/expression.py``), yet
EYES_CLOSED stays at 0.35: open, relaxed eyes of one sitting (TPSMM) score 0.29 in the median and 0.33 at the
75th percentile, so a tighter absolute limit would refuse them."""
MOUTH_SIDEWAYS = (0.15, 0.35)
"""max(mouthLeft, mouthRight, jawLeft, jawRight). A mouth pulled sideways (mouthLeft ≈ 0.8) passed every other
check and moved the landmarks 8.6 mm out of symmetry (0.7 mm at rest; issue 13). Neutral faces score at most
0.036 (neutral frames of real sittings, ``benchmarks/landmarks.py``; p95 0.014): limit = that plus 0.11."""
MOUTH_PUCKER = (0.45, 0.70)
"""max(mouthPucker, mouthFunnel): pursed or rounded lips narrow the mouth and move its corners. Neutral frames of
real sittings score up to 0.37 (p95 0.33; ``benchmarks/landmarks.py``): limit = that plus 0.08; an "oo" while
speaking scores 0.6–0.8."""
CHEEK_PUFF = (0.15, 0.35)
"""cheekPuff: air in the cheeks widens the lower face and lifts the cheek points. At rest at most 0.001."""
LIPS_APART = (0.15, 0.35)
"""max(mouthUpperUpLeft/Right, mouthLowerDownLeft/Right): the upper lip raised or the lower lip drawn down, teeth
showing (speech, a sneer, a smile the smile score misses). Per +0.1 of score the mouth corners rise 0.4–1.2 mm
(r 0.5–0.7 in each of four real sittings), the cheek apex and malar points 0.4–0.5 mm (three of them) and the
lower-face widths shrink 0.3 mm (two). Neutral frames of relaxed sittings score at most 0.06 (p95 0.05: W015 at
most 0.026, Obama 0.059; ``benchmarks/expression.py``; resting development photos ≤ 0.06): limit = that plus
0.09. Teeth showing in speech or a smile score 0.3–0.8."""
FROWN = (0.60, 0.80)
"""mean(browDownLeft, browDownRight): frowning lowers the brows, 0.4 mm of brow height and 0.3 mm of brow tail per
+0.1 of score (the "disgusted" sitting M003, r ≈ −0.4; ``benchmarks/expression.py``). Relaxed faces with low,
heavy brows already score high: neutral frames score at most 0.49 (p95 0.44; Obama's at most 0.45, M003's 0.49,
the women's ≤ 0.03), development photos of men at rest 0.36–0.48: limit = that plus 0.11."""
LANDMARK_SPREAD_MM = (0.75, 1.5)
"""Landmark stability: RMS spread of the measuring passes' landmarks about their combined position, in mm
(inter-pupillary distance taken as 63 mm). Over 58 neutral frames of four real sittings: median 0.40, 95th
percentile 0.52, largest 0.60 (``benchmarks/landmarks.py``); limit = the 95th percentile plus 0.23 (above the
largest). Three-quarter views among the development photos spread 1.7–6 mm."""
SHARPNESS = (0.25, 0.16)
"""Fine-to-coarse band energy ratio on the face (see :func:`sharpness`). Calibrated on four development faces
(inter-pupillary 105–270 px) blurred by a Gaussian of σ mm on the face: sharp 0.35–0.52, 0.5 mm 0.29–0.39,
1 mm 0.20–0.23, 2 mm 0.12, 4 mm 0.08; a 240p video frame (24 px between the pupils) scores 0.18."""
CLIPPED_HIGHLIGHTS = (0.01, 0.05)
"""Fraction of skin pixels with a channel at 250 or more (specular or overexposed): colour is lost there."""
CRUSHED_SHADOWS = (0.02, 0.10)
"""Fraction of skin pixels with luma at 20 or less: detail and colour are lost in the noise floor."""
SKIN_HIGHLIGHT_LUMA = (100.0, 60.0)
"""99th percentile of skin luma (0–255). Even the darkest skin's lit parts reach ~150 under a good exposure
(development set: 187–222); the astronaut reaches 163 one stop under, 118 two stops, 83 three stops under."""
SKIN_HUE_DEG = ((30.0, 75.0), (20.0, 85.0))
"""Hue angle h = atan2(b*, a*) of the median skin colour, (pass range, warn range). Skin of every tone lies
near 40–65° under neutral light (calibrated on the development set); a blue or green cast moves it out."""
MIN_SKIN_CHROMA = 4.0
"""Median skin chroma C*ab below which the photo is treated as colourless (hue is then meaningless)."""
DISTANCE_CHANGE = (0.05, 0.10)
"""Relative change of face size in the frame against the baseline. Perspective moves face-width
ratios ~6 % between 1 m and 50 cm (``docs/metrics.md``, "Common ground"); hold camera distance within ±5 %."""
LIGHTING_CHANGE_DELTA_E = (4.0, 8.0)
"""CIE76 ΔE between the median skin colours of this photo and the baseline; a treatment's redness change is a
few a* units, so a lighting change of the same size must be flagged."""
LIGHT_DIRECTION_CHANGE = (4.0, 8.0)
"""Change, in L* units, of the left-minus-right cheek lightness against the baseline: the light moved sideways."""

_CHECK_SCALE = 1 / 3
"""Image checks run on the aligned face reduced to an inter-pupillary distance of 100 px."""
LIGHTING_REGIONS = (Region.FOREHEAD, Region.CHEEK_RIGHT, Region.CHEEK_LEFT)
"""The skin the exposure, colour-cast and lighting checks sample (the browser's live checks too)."""


class Status(StrEnum):
    """Outcome of a check."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    """One capture check.

    Attributes:
        name: Stable identifier, e.g. "head_yaw".
        status: pass, warn or fail.
        value: The measured value.
        limit: The value beyond which the check warns (the pass limit).
        unit: Unit of ``value`` and ``limit``.
        fix: One line for the practitioner: what to do differently ("" when the check passes).
    """

    name: str
    status: Status
    value: float
    limit: float
    unit: str
    fix: str


@dataclass(frozen=True, slots=True)
class LightingSignature:
    """What a later photo's lighting is compared with.

    Attributes:
        skin_lab: Median CIELAB (L*, a*, b*) of the skin sample (D65, from sRGB).
        left_minus_right_lightness: L* of the client's left cheek minus their right cheek.
        face_in_frame: Inter-pupillary distance divided by the photo's diagonal (camera-distance proxy).
    """

    skin_lab: tuple[float, float, float]
    left_minus_right_lightness: float
    face_in_frame: float


def photo_checks(
    aligned: AlignedFace,
    pose: HeadPose,
    blendshapes: Mapping[str, float],
    *,
    inter_pupillary_distance_px: float,
    faces_found: int,
    greyscale: bool,
    landmark_spread_mm: float | None = None,
) -> list[Check]:
    """All checks that need only this photo.

    Args:
        aligned: The face in the canonical frame.
        pose: Head pose.
        blendshapes: MediaPipe's 52 expression scores.
        inter_pupillary_distance_px: In the original photo's pixels.
        faces_found: Number of faces the landmarker found.
        greyscale: Whether the photo has no colour.
        landmark_spread_mm: The landmarks' spread across the measuring passes (``Face.spread_px`` × 63 mm /
            inter-pupillary distance), or None when not measured (no ``landmark_stability`` check then).

    Returns:
        Checks in a fixed order.
    """
    small, mask = _skin_sample(aligned)
    checks = [
        _graded_low(
            "face_size",
            inter_pupillary_distance_px,
            FACE_SIZE_PX,
            "px",
            f"Move closer or zoom in: the pupils are {inter_pupillary_distance_px:.0f} px apart, "
            f"{FACE_SIZE_PX[0]:.0f} or more are needed.",
        ),
        *pose_checks(pose),
        *expression_checks(blendshapes),
        _graded_low(
            "sharpness",
            sharpness(small, _face_mask(aligned)),
            SHARPNESS,
            "ratio",
            "The face is blurred: hold the camera steady and tap on the face to focus.",
        ),
        *_exposure_checks(small, mask),
        _colour_check(small, mask, greyscale),
        _graded(
            "faces_in_photo",
            float(faces_found),
            (1.0, math.inf),
            "faces",
            f"{faces_found} faces found: the largest was analysed. Photograph the client alone.",
        ),
    ]
    if landmark_spread_mm is not None:
        checks.append(
            _graded(
                "landmark_stability",
                landmark_spread_mm,
                LANDMARK_SPREAD_MM,
                "mm",
                f"Landmarks unstable ({landmark_spread_mm:.1f} mm between passes): retake with the whole face "
                "in view, uncovered (hair off the face, no hands or glasses), sharp and evenly lit.",
            )
        )
    return checks


def pose_checks(pose: HeadPose) -> list[Check]:
    """head_yaw and head_pitch: the head turned or tilted up/down beyond 5° (warn) or 10° (fail)."""
    return [
        _pose_check("head_yaw", pose.yaw_deg, HEAD_YAW_DEG, "to their right", "to their left"),
        _pose_check("head_pitch", pose.pitch_deg, HEAD_PITCH_DEG, "lower their chin", "raise their chin"),
    ]


EXPRESSION_BLENDSHAPES = (
    "mouthSmileLeft",
    "mouthSmileRight",
    "jawOpen",
    "browInnerUp",
    "browOuterUpLeft",
    "browOuterUpRight",
    "eyeSquintLeft",
    "eyeSquintRight",
    "eyeBlinkLeft",
    "eyeBlinkRight",
    "mouthLeft",
    "mouthRight",
    "jawLeft",
    "jawRight",
    "mouthPucker",
    "mouthFunnel",
    "cheekPuff",
    "mouthUpperUpLeft",
    "mouthUpperUpRight",
    "mouthLowerDownLeft",
    "mouthLowerDownRight",
    "browDownLeft",
    "browDownRight",
)
"""The MediaPipe blendshapes :func:`expression_checks` reads (a missing one counts as 0)."""


def expression_checks(blendshapes: Mapping[str, float]) -> list[Check]:
    """The expression gates, from MediaPipe's blendshape scores (0–1; a missing score counts as 0).

    Returns:
        expression_smile, expression_jaw_open, expression_brows_raised, expression_squint, eyes_open,
        expression_mouth_sideways, expression_pucker, expression_cheek_puff, expression_lips_apart and
        expression_frown, in that order.
    """
    return [
        _graded(
            "expression_smile",
            _mean(blendshapes, "mouthSmileLeft", "mouthSmileRight"),
            SMILE,
            "score",
            "Ask the client to relax the mouth: neutral face, lips gently closed.",
        ),
        _graded(
            "expression_jaw_open",
            blendshapes.get("jawOpen", 0.0),
            JAW_OPEN,
            "score",
            "Ask the client to close the mouth gently, teeth apart.",
        ),
        _graded(
            "expression_brows_raised",
            max(blendshapes.get("browInnerUp", 0.0), _mean(blendshapes, "browOuterUpLeft", "browOuterUpRight")),
            BROWS_RAISED,
            "score",
            "Ask the client to relax the forehead: the brows are raised.",
        ),
        _graded(
            "expression_squint",
            _mean(blendshapes, "eyeSquintLeft", "eyeSquintRight"),
            SQUINT,
            "score",
            "Ask the client to relax the eyes: they are squinting (is the light too bright?).",
        ),
        _graded(
            "eyes_open",
            max(blendshapes.get("eyeBlinkLeft", 0.0), blendshapes.get("eyeBlinkRight", 0.0)),
            EYES_CLOSED,
            "score",
            "Retake with both eyes open, looking at the lens.",
        ),
        _graded(
            "expression_mouth_sideways",
            _max(blendshapes, "mouthLeft", "mouthRight", "jawLeft", "jawRight"),
            MOUTH_SIDEWAYS,
            "score",
            "Ask the client to relax the mouth and jaw: they are pulled to one side. Lips gently closed, centred.",
        ),
        _graded(
            "expression_pucker",
            _max(blendshapes, "mouthPucker", "mouthFunnel"),
            MOUTH_PUCKER,
            "score",
            "Ask the client to relax the lips: they are pursed or rounded.",
        ),
        _graded(
            "expression_cheek_puff",
            blendshapes.get("cheekPuff", 0.0),
            CHEEK_PUFF,
            "score",
            "Ask the client to breathe out and relax the cheeks: they are puffed.",
        ),
        _graded(
            "expression_lips_apart",
            _max(blendshapes, "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight"),
            LIPS_APART,
            "score",
            "Ask the client to close the lips gently and let them rest: the teeth are showing (upper lip raised or "
            "lower lip drawn down).",
        ),
        _graded(
            "expression_frown",
            _mean(blendshapes, "browDownLeft", "browDownRight"),
            FROWN,
            "score",
            "Ask the client to relax the brows and the space between them: they are frowning.",
        ),
    ]


def baseline_checks(current: LightingSignature, baseline: LightingSignature) -> list[Check]:
    """Checks of comparability with the client's baseline photo: camera distance and lighting.

    Args:
        current: This photo's signature.
        baseline: The baseline photo's signature.

    Returns:
        camera_distance_change, lighting_change and light_direction_change.
    """
    ratio = current.face_in_frame / baseline.face_in_frame - 1.0
    closer = "Step back" if ratio > 0 else "Move closer"
    delta_e = float(np.linalg.norm(np.subtract(current.skin_lab, baseline.skin_lab)))
    direction = current.left_minus_right_lightness - baseline.left_minus_right_lightness
    return [
        _graded(
            "camera_distance_change",
            abs(ratio),
            DISTANCE_CHANGE,
            "fraction",
            f"{closer}: the face is {abs(ratio):.0%} {'larger' if ratio > 0 else 'smaller'} in the frame "
            "than in the baseline photo. Use the same spot, phone and zoom each time.",
        ),
        _graded(
            "lighting_change",
            delta_e,
            LIGHTING_CHANGE_DELTA_E,
            "ΔE",
            f"The light differs from the baseline photo (skin colour ΔE {delta_e:.1f}): use the same room, "
            "lamp and time of day, and turn off the flash.",
        ),
        _graded(
            "light_direction_change",
            abs(direction),
            LIGHT_DIRECTION_CHANGE,
            "L*",
            "The light falls from a different side than in the baseline photo: face the same window or lamp.",
        ),
    ]


def lighting_signature(
    aligned: AlignedFace, *, photo_size: tuple[int, int], inter_pupillary_distance_px: float
) -> LightingSignature:
    """Summarise a photo's lighting and framing for comparison with later photos.

    Args:
        aligned: The face in the canonical frame.
        photo_size: (width, height) of the upright photo in pixels.
        inter_pupillary_distance_px: In the photo's pixels.
    """
    small, _ = _skin_sample(aligned)
    lab = srgb_to_lab(small)
    masks = {name: _polygon_mask(aligned, (name,)) for name in LIGHTING_REGIONS}
    skin = lab[masks[Region.FOREHEAD] | masks[Region.CHEEK_RIGHT] | masks[Region.CHEEK_LEFT]]
    median = np.median(skin, axis=0) if len(skin) else np.zeros(3)
    left = float(np.median(lab[..., 0][masks[Region.CHEEK_LEFT]])) if masks[Region.CHEEK_LEFT].any() else 0.0
    right = float(np.median(lab[..., 0][masks[Region.CHEEK_RIGHT]])) if masks[Region.CHEEK_RIGHT].any() else 0.0
    return LightingSignature(
        skin_lab=(float(median[0]), float(median[1]), float(median[2])),
        left_minus_right_lightness=left - right,
        face_in_frame=inter_pupillary_distance_px / math.hypot(*photo_size),
    )


def sharpness(image: np.ndarray, mask: np.ndarray) -> float:
    """Fine-to-coarse band energy ratio of the luma inside ``mask``.

    R = Σ (G₁g − G₂g)² / Σ (G₂g − G₄g)², with g the luma (0–1) and Gσ a Gaussian blur of σ pixels, summed over
    the mask. A natural image's spectrum makes R roughly constant at a fixed scale; blur removes the fine band
    first, so R falls. The ratio does not change with exposure or contrast (both bands scale alike), and the
    bands start at σ = 1 px so 8-bit rounding noise (white, mostly finer) does not hold R up on a blurred face.
    Measured at the checks' fixed scale (inter-pupillary distance 100 px, 1 px ≈ 0.63 mm), so the photo's
    resolution enters only as the detail it really has.

    Args:
        image: uint8 (H, W, 3) RGB.
        mask: bool (H, W).

    Returns:
        R, dimensionless (0 when the mask is empty).
    """
    luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    blurred = [cv2.GaussianBlur(luma, (0, 0), sigma) for sigma in (1.0, 2.0, 4.0)]
    fine_energy = float(((blurred[0] - blurred[1])[mask] ** 2).sum())
    coarse_energy = float(((blurred[1] - blurred[2])[mask] ** 2).sum())
    return fine_energy / coarse_energy if coarse_energy > 0 else 0.0


def skin_sample_mask(aligned: AlignedFace) -> np.ndarray:
    """bool mask of the skin sample (forehead and cheeks) at the checks' scale (inter-pupillary 100 px)."""
    return _polygon_mask(aligned, LIGHTING_REGIONS)


def _skin_sample(aligned: AlignedFace) -> tuple[np.ndarray, np.ndarray]:
    small = cv2.resize(aligned.image, None, fx=_CHECK_SCALE, fy=_CHECK_SCALE, interpolation=cv2.INTER_AREA)
    return small, skin_sample_mask(aligned)


def _polygon_mask(aligned: AlignedFace, names: tuple[str, ...]) -> np.ndarray:
    width, height = aligned.image.shape[1], aligned.image.shape[0]
    shape = (round(height * _CHECK_SCALE), round(width * _CHECK_SCALE))
    mask = np.zeros(shape, dtype=np.uint8)
    for name in names:
        polygon = aligned.landmarks[list(ROI_POLYGONS[name]), :2] * _CHECK_SCALE
        hull = cv2.convexHull(np.round(polygon).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1)
    eroded = cv2.erode(mask, np.ones((3, 3), np.uint8))
    return eroded.astype(bool)


def _face_mask(aligned: AlignedFace) -> np.ndarray:
    """Inside the face oval at the checks' scale, 3 mm clear of the silhouette."""
    width, height = aligned.image.shape[1], aligned.image.shape[0]
    mask = np.zeros((round(height * _CHECK_SCALE), round(width * _CHECK_SCALE)), dtype=np.uint8)
    outline = np.round(aligned.landmarks[list(FACE_OVAL), :2] * _CHECK_SCALE).astype(np.int32)
    cv2.fillPoly(mask, [outline], 1)
    return cv2.erode(mask, np.ones((11, 11), np.uint8)).astype(bool)


def _exposure_checks(image: np.ndarray, mask: np.ndarray) -> list[Check]:
    pixels = image[mask]
    if len(pixels) == 0:
        clipped = crushed = 0.0
    else:
        clipped = float((pixels.max(axis=1) >= 250).mean())
        luma = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        crushed = float((luma <= 20).mean())
    highlight = float(np.percentile(pixels @ np.array([0.299, 0.587, 0.114]), 99)) if len(pixels) else 0.0
    return [
        _graded_low(
            "exposure_level",
            highlight,
            SKIN_HIGHLIGHT_LUMA,
            "luma",
            "The photo is too dark: face a window or add a soft light, and tap the face to expose for it.",
        ),
        _graded(
            "exposure_highlights",
            clipped,
            CLIPPED_HIGHLIGHTS,
            "fraction",
            f"{clipped:.0%} of the skin is burnt out: soften or move the light, or lower the exposure.",
        ),
        _graded(
            "exposure_shadows",
            crushed,
            CRUSHED_SHADOWS,
            "fraction",
            f"{crushed:.0%} of the skin is too dark to measure: face a window or add a soft light.",
        ),
    ]


def _colour_check(image: np.ndarray, mask: np.ndarray, greyscale: bool) -> Check:
    lab = srgb_to_lab(image)[mask]
    a_star, b_star = (float(np.median(lab[:, 1])), float(np.median(lab[:, 2]))) if len(lab) else (0.0, 0.0)
    if greyscale or math.hypot(a_star, b_star) < MIN_SKIN_CHROMA:
        return Check(
            "colour_cast",
            Status.FAIL,
            0.0,
            SKIN_HUE_DEG[0][0],
            "degrees",
            "The photo is black and white or nearly so: take it in colour, with no filter.",
        )
    hue = math.degrees(math.atan2(b_star, a_star))
    (pass_low, pass_high), (warn_low, warn_high) = SKIN_HUE_DEG
    status = (
        Status.PASS if pass_low <= hue <= pass_high else (Status.WARN if warn_low <= hue <= warn_high else Status.FAIL)
    )
    limit = pass_high if hue > pass_high else pass_low
    tint = "yellow-green" if hue > pass_high else "blue-magenta"
    fix = (
        ""
        if status is Status.PASS
        else (
            f"The photo has a strong {tint} colour cast (skin hue {hue:.0f}°): use daylight or neutral white "
            "light and turn off filters."
        )
    )
    return Check("colour_cast", status, hue, limit, "degrees", fix)


def _pose_check(name: str, angle: float, limits: tuple[float, float], positive_fix: str, negative_fix: str) -> Check:
    instruction = positive_fix if angle > 0 else negative_fix
    verb = "turn their head" if name == "head_yaw" else ""
    action = f"{verb} {abs(angle):.0f}° {instruction}" if verb else f"{instruction} by about {abs(angle):.0f}°"
    return _graded(name, abs(angle), limits, "degrees", f"Ask the client to {action.strip()}.")


def _graded(name: str, value: float, limits: tuple[float, float], unit: str, fix: str) -> Check:
    """A check where larger values are worse: pass ≤ limits[0] < warn ≤ limits[1] < fail."""
    warn_at, fail_at = limits
    status = Status.PASS if value <= warn_at else (Status.WARN if value <= fail_at else Status.FAIL)
    return Check(name, status, float(value), warn_at, unit, "" if status is Status.PASS else fix)


def _graded_low(name: str, value: float, limits: tuple[float, float], unit: str, fix: str) -> Check:
    """A check where smaller values are worse: pass ≥ limits[0] > warn ≥ limits[1] > fail."""
    warn_below, fail_below = limits
    status = Status.PASS if value >= warn_below else (Status.WARN if value >= fail_below else Status.FAIL)
    return Check(name, status, float(value), warn_below, unit, "" if status is Status.PASS else fix)


def _mean(scores: Mapping[str, float], *names: str) -> float:
    return float(np.mean([scores.get(name, 0.0) for name in names]))


def _max(scores: Mapping[str, float], *names: str) -> float:
    return max(scores.get(name, 0.0) for name in names)
