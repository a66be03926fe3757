"""The per-photo pipeline: photo in → checked, aligned face (or a clear reason why not) out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from progress import ingest
from progress.align import CANONICAL_INTER_PUPILLARY_MM, AlignedFace, align_face, head_pose
from progress.chart import ColourCorrection, find_colour_chart, might_hold_chart, search_copy
from progress.contour import contour_metrics
from progress.errors import NoFaceError, ProgressError
from progress.landmarks import Face, FaceLandmarker
from progress.quality import Check, LightingSignature, Status, baseline_checks, lighting_signature, photo_checks
from progress.skin import SkinReference, measure_skin

__all__ = ["FaceSummary", "PhotoResult", "analyze_photo", "analyze_photos", "compare_with_baseline"]

_BASELINE_CHECK_NAMES = ("camera_distance_change", "lighting_change", "light_direction_change")


@dataclass(frozen=True, slots=True)
class FaceSummary:
    """Where the face is and how it is held.

    Attributes:
        faces_found: Faces found in the photo (the largest is analysed).
        inter_pupillary_distance_px: Between the iris centres, in the photo's pixels.
        yaw_deg: Positive when the face turns toward the image's right (client's left).
        pitch_deg: Positive when the chin is raised.
        roll_deg: Positive when the head tilts counter-clockwise in the photo (alignment removes it).
        alignment_residual_px: RMS misfit of the rigid basis after alignment, canonical pixels.
        landmark_spread_mm: How far the landmark measuring passes disagreed (``Face.spread_px`` × 63 mm /
            inter-pupillary distance): the ``landmark_stability`` check's value; None in analyses stored
            before it was measured.
    """

    faces_found: int
    inter_pupillary_distance_px: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    alignment_residual_px: float
    landmark_spread_mm: float | None = None


@dataclass(frozen=True, slots=True)
class PhotoResult:
    """Everything known about one photo. ``error`` is set, and the rest empty, when it could not be used.

    Attributes:
        path: The file's path or upload name, if any.
        error: The refusal, or None.
        captured_at: Capture time (EXIF DateTimeOriginal, else a date in the file name), or None.
        captured_at_source: "exif", "file_name" or None.
        face: Face position and pose, or None.
        checks: Capture checks, in a fixed order.
        metrics: Metric values by name (``family.measure[.region]``).
        aligned: The face in the canonical frame (not serialised).
        lighting: The photo's lighting and framing signature, for comparing later photos with it.
        blendshapes: MediaPipe's 52 expression scores.
        skin_reference: The per-client skin thresholds this photo was measured with (its own when it is the
            baseline); later photos of the client are measured with the baseline's.
        colour_chart: The correction from a colour chart found in the photo (its ``fit_delta_e`` says how well
            the chart's patches were restored), or None.
    """

    path: str | None
    error: ProgressError | None = None
    captured_at: datetime | None = None
    captured_at_source: str | None = None
    face: FaceSummary | None = None
    checks: tuple[Check, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    aligned: AlignedFace | None = None
    lighting: LightingSignature | None = None
    blendshapes: Mapping[str, float] = field(default_factory=dict)
    skin_reference: SkinReference | None = None
    colour_chart: ColourCorrection | None = None

    @property
    def ok(self) -> bool:
        """True when the photo was read and a face was found and aligned."""
        return self.error is None

    @property
    def colour_correction(self) -> str:
        """ "chart" when a ColorChecker in the photo corrected its colour before the skin was measured, else
        "uncorrected" (then only within-photo contrasts are comparable across lighting)."""
        return "uncorrected" if self.colour_chart is None else "chart"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (the CLI's output format)."""
        error = None if self.error is None else {"type": self.error.code, "message": str(self.error)}
        face = None
        if self.face is not None:
            face = {key: getattr(self.face, key) for key in FaceSummary.__dataclass_fields__}
        return {
            "path": self.path,
            "ok": self.ok,
            "error": error,
            "captured_at": self.captured_at.isoformat() if self.captured_at else None,
            "captured_at_source": self.captured_at_source,
            "face": face,
            "checks": [
                {
                    "name": c.name,
                    "status": str(c.status),
                    "value": c.value,
                    "limit": c.limit,
                    "unit": c.unit,
                    "fix": c.fix,
                }
                for c in self.checks
            ],
            "colour_correction": self.colour_correction,
            "metrics": dict(self.metrics),
            "lighting": None if self.lighting is None else asdict(self.lighting),
            "skin_reference": None if self.skin_reference is None else asdict(self.skin_reference),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PhotoResult:
        """The result back from :meth:`to_dict` (as stored): everything but the pixels (``aligned``) and the
        colour-chart matrix, which the series and later comparisons do not need."""
        error_data = data.get("error")
        error = None
        if error_data:
            family: list[type[ProgressError]] = [ProgressError, *_all_subclasses(ProgressError)]
            kinds = {kind.code: kind for kind in family}
            error = kinds.get(error_data["type"], ProgressError)(error_data["message"])
        face = data.get("face")
        lighting = data.get("lighting")
        reference = data.get("skin_reference")
        return cls(
            path=data.get("path"),
            error=error,
            captured_at=datetime.fromisoformat(data["captured_at"]) if data.get("captured_at") else None,
            captured_at_source=data.get("captured_at_source"),
            face=None if face is None else FaceSummary(**face),
            checks=tuple(
                Check(c["name"], Status(c["status"]), c["value"], c["limit"], c["unit"], c["fix"])
                for c in data.get("checks", ())
            ),
            metrics=dict(data.get("metrics", {})),
            lighting=None
            if lighting is None
            else LightingSignature(
                skin_lab=tuple(lighting["skin_lab"]),
                left_minus_right_lightness=lighting["left_minus_right_lightness"],
                face_in_frame=lighting["face_in_frame"],
            ),
            skin_reference=None if reference is None else SkinReference(dict(reference["red_thresholds"])),
        )


def analyze_photo(
    source: str | Path | bytes,
    landmarker: FaceLandmarker,
    *,
    name: str | None = None,
    baseline: PhotoResult | None = None,
) -> PhotoResult:
    """Read, find, align and check one photo.

    Args:
        source: A path, or the photo's bytes.
        landmarker: A shared :class:`FaceLandmarker`.
        name: Display name (and where a capture date may be found) for bytes input.
        baseline: The client's baseline photo, for the camera-distance and lighting checks.

    Returns:
        The photo's result (``error`` is None).

    Raises:
        ProgressError: The photo cannot be used (not an image, too small, no face, ...).
    """
    label = name or (None if isinstance(source, bytes) else str(source))
    photo = ingest.read_photo(source, name=name)
    detection = landmarker.detect(photo.image)
    if detection.face is None:
        raise NoFaceError(
            "No face found in this photo. Photograph the client facing the camera, with the whole face in "
            "the frame, in focus and well lit."
        )
    face: Face = detection.face
    pose = head_pose(face.landmarks)
    aligned = align_face(photo.image, face.landmarks)
    ipd = face.inter_pupillary_distance_px
    spread_mm = face.spread_px / max(ipd, 1e-9) * CANONICAL_INTER_PUPILLARY_MM
    signature = lighting_signature(aligned, photo_size=(photo.width, photo.height), inter_pupillary_distance_px=ipd)
    checks = photo_checks(
        aligned,
        pose,
        face.blendshapes,
        inter_pupillary_distance_px=ipd,
        faces_found=detection.faces_found,
        greyscale=photo.greyscale,
        landmark_spread_mm=spread_mm,
    )
    captured_at, captured_at_source = photo.captured_at, photo.captured_at_source
    # the detector runs only when a cheap pre-test sees chart-like patches (a few ms instead of ~0.1 s)
    chart_view = search_copy(photo.image) if might_hold_chart(photo.image) else None
    del photo  # let the full-resolution pixels go before the chart detector allocates its working memory
    correction = None if chart_view is None else find_colour_chart(chart_view)
    skin_image = aligned.image if correction is None else correction.apply(aligned.image)
    metrics, reference = measure_skin(
        skin_image, aligned.landmarks, reference=baseline.skin_reference if baseline is not None else None
    )
    metrics |= contour_metrics(aligned.landmarks)
    result = PhotoResult(
        path=label,
        captured_at=captured_at,
        captured_at_source=captured_at_source,
        face=FaceSummary(
            faces_found=detection.faces_found,
            inter_pupillary_distance_px=ipd,
            yaw_deg=pose.yaw_deg,
            pitch_deg=pose.pitch_deg,
            roll_deg=pose.roll_deg,
            alignment_residual_px=aligned.residual_px,
            landmark_spread_mm=spread_mm,
        ),
        checks=tuple(checks),
        metrics=metrics,
        aligned=aligned,
        lighting=signature,
        blendshapes=dict(face.blendshapes),
        skin_reference=reference,
        colour_chart=correction,
    )
    return result if baseline is None else compare_with_baseline(result, baseline)


def compare_with_baseline(result: PhotoResult, baseline: PhotoResult) -> PhotoResult:
    """``result`` measured against the client's ``baseline`` photo.

    Adds the camera-distance and lighting checks (replacing any earlier ones) and, when the baseline's skin
    constants differ from the ones ``result`` was measured with, measures its skin again with the baseline's
    (the red-area threshold is fixed once per client). A result or baseline that could not be analysed is
    returned unchanged.
    """
    if result.lighting is None or baseline.lighting is None or result.aligned is None:
        return result
    own = tuple(c for c in result.checks if c.name not in _BASELINE_CHECK_NAMES)
    checks = own + tuple(baseline_checks(result.lighting, baseline.lighting))
    metrics = dict(result.metrics)
    if baseline.skin_reference is not None and baseline.skin_reference != result.skin_reference:
        image = result.aligned.image if result.colour_chart is None else result.colour_chart.apply(result.aligned.image)
        metrics |= measure_skin(image, result.aligned.landmarks, reference=baseline.skin_reference)[0]
    return replace(result, checks=checks, metrics=metrics, skin_reference=baseline.skin_reference)


def _all_subclasses(kind: type[ProgressError]) -> list[type[ProgressError]]:
    return [sub for direct in kind.__subclasses__() for sub in (direct, *_all_subclasses(direct))]


def analyze_photos(
    sources: Iterable[str | Path],
    landmarker: FaceLandmarker,
    *,
    baseline: PhotoResult | None = None,
) -> Iterator[PhotoResult]:
    """Analyse photos one by one; a photo that cannot be used yields a result with its error, never stops the rest.

    Args:
        sources: Paths.
        landmarker: A shared :class:`FaceLandmarker`.
        baseline: The client's baseline photo, if known.

    Yields:
        One result per source, in order.
    """
    for source in sources:
        try:
            yield analyze_photo(source, landmarker, baseline=baseline)
        except ProgressError as error:
            yield PhotoResult(path=str(source), error=error)
