"""Face landmarks, expression and the largest face: the only module that imports mediapipe.

Coordinate convention (the package's one convention for photo coordinates): landmarks are a float32 array of
shape (478, 3) in pixels of the upright photo, x = column (to the right), y = row (downward), z = depth in the
same pixel scale as x, smaller = nearer the camera (MediaPipe's z scaled by the photo width).

MediaPipe reports "no face" as an empty result; :class:`FaceLandmarker` turns that into ``faces_found == 0``
and leaves raising to the caller.

Mirror equivariance (issue 13). MediaPipe's landmarks of a mirrored photo are not the mirrored landmarks (0.9 mm
RMS apart), which made symmetry measures depend on which way a photo faces. Every measurement here is made on
the image and on its mirror image, the mirrored answer taken back through the mirror pairs
(``regions.MIRROR_PERMUTATION``) and the two combined; the frames are placed symmetrically (face midline on the
frame's mirror axis, perturbations closed under mirroring, placement rounded to a mirror-symmetric grid, warps
that commute with mirroring). So the result for a mirrored photo is the mirrored result (:func:`mirror_face`),
to float rounding: symmetry measures are mirror-invariant and sided ones swap.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python import vision as mp_vision

from progress.geometry import CANONICAL_INTER_PUPILLARY_PX, CANONICAL_SIZE, canonical_transform
from progress.model import read_model
from progress.regions import IRIS_CENTER_LEFT, IRIS_CENTER_RIGHT, MIRROR_PERMUTATION

__all__ = [
    "DEFAULT_PLAN",
    "LEGACY_PLAN",
    "LOOPBACK",
    "UPLOAD_BLACKHOLE",
    "Averaging",
    "Detection",
    "Face",
    "FaceLandmarker",
    "MeasuringPlan",
    "block_usage_upload",
    "mirror_face",
]

UPLOAD_BLACKHOLE = "http://127.0.0.1:9"
"""A proxy address where nothing listens (port 9, discard): connections to it are refused at once."""
LOOPBACK = "localhost,127.0.0.1,::1"

_MAX_FACES = 5
_DETECTION_LONG_SIDE = 1024
"""Photos larger than this are searched for faces at this size (INTER_AREA downscale)."""

Variant = tuple[float, float, tuple[float, float]]
"""(rotation in degrees, counter-clockwise as seen; zoom; (x, y) shift in frame pixels) of one measuring frame,
about the frame's centre."""


class Averaging(StrEnum):
    """How the measuring passes' landmarks are combined, per landmark and coordinate."""

    MEAN = "mean"
    MEDIAN = "median"
    ROBUST_MEAN = "robust mean"
    """The mean of the passes that agree: a pass whose RMS distance from the per-landmark median is more than
    ``_OUTLIER_FACTOR`` times the passes' median such distance (a pass that latched onto something else) is
    left out. As efficient as the mean when every pass is sound, as safe as the median when one is not."""


_OUTLIER_FACTOR = 2.5
"""Passes of real faces lie 0.2–0.5 px from the median with a largest-to-median ratio under 2 (development
photos and repeat sittings); a pass that found another face or lost the jaw is many times further."""


@dataclass(frozen=True, slots=True)
class MeasuringPlan:
    """Where, and how many times, the landmark network looks at the face once the search has found it.

    Every measuring pass warps the face into a frame: the canonical frame scaled by ``zoom`` (at 0.35: 315×385
    px, 105 px between the eye centres, the face midline on the frame's middle column), perturbed by one
    ``variants`` entry. With ``mirror`` each frame is also measured flipped left-right, and the flipped pass's
    landmarks are flipped back and renumbered through the mirror pairs (``regions.MIRROR_PERMUTATION``); its
    blendshapes swap their Left/Right names. The passes are combined per landmark by ``averaging``.

    A mirrored plan's variants must be closed under mirroring (rotation → −rotation, x shift → −x shift): the
    set of frames of a mirrored photo is then exactly the mirror of the photo's set, so the result of a
    mirrored photo is the mirror of the photo's result.

    Attributes:
        zoom: Frame scale relative to the canonical frame.
        variants: The frames' perturbations.
        mirror: Measure every frame flipped as well (and search the flipped photo as well).
        refine: First place one unperturbed frame by the search's landmarks, then the variants by its result.
        averaging: Per-landmark combination of the passes.
    """

    zoom: float
    variants: tuple[Variant, ...]
    mirror: bool = True
    refine: bool = False
    averaging: Averaging = Averaging.ROBUST_MEAN

    def __post_init__(self) -> None:
        if not self.variants or self.zoom <= 0:
            raise ValueError("A measuring plan needs a positive zoom and at least one frame.")
        if self.mirror and sorted(map(_mirror_variant, self.variants)) != sorted(self.variants):
            raise ValueError("A mirrored plan's frames must be closed under mirroring (rotation and x shift negated).")

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) of the measuring frame in pixels."""
        return round(CANONICAL_SIZE[0] * self.zoom), round(CANONICAL_SIZE[1] * self.zoom)

    @property
    def network_runs(self) -> int:
        """Landmark-network runs per photo, the search's included (the search's tile fallback excluded)."""
        per_frame = 2 if self.mirror else 1
        return per_frame * (1 + self.refine + len(self.variants))


def _mirror_variant(variant: Variant) -> Variant:
    rotation, zoom, (shift_x, shift_y) = variant
    return (-rotation + 0.0, zoom, (-shift_x + 0.0, shift_y))


DEFAULT_PLAN = MeasuringPlan(
    zoom=0.35,
    variants=((2.0, 1.0, (0.25, 0.25)), (-2.0, 1.0, (-0.25, 0.25))),
    refine=True,
    averaging=Averaging.ROBUST_MEAN,
)
"""Chosen on real faces (``benchmarks/landmarks.py``, issue 13): one unperturbed frame placed by the search, then
two frames placed by its result, rotated ±2° and shifted a quarter pixel; every frame also measured mirrored;
the robust mean of the four passes. The refining frame makes the placement, and so the landmarks, repeatable
when the same face is framed differently; the mirror makes every symmetry measure mirror-invariant. Measured
against :data:`LEGACY_PLAN` on the 39 frames of four real sittings that are neutral under every compared plan,
interleaved (30 Nov 2026): landmark time 0.66× (106 vs 160 ms), median SD of the lift and width metrics 0.39 vs
0.48 mm across frames (the face moves: the people speak) and 0.035 vs 0.039 mm across reframed copies of one
frame; without the refining frame (two mirrored frames, median) 0.071 mm."""
LEGACY_PLAN = MeasuringPlan(
    zoom=0.5,
    variants=tuple(
        (rotation, zoom, shift)
        for rotation, zoom in ((-2.0, 0.97), (2.0, 0.97), (-2.0, 1.03), (2.0, 1.03))
        for shift in ((-0.25, -0.25), (0.25, 0.25))
    ),
    mirror=False,
    refine=True,
    averaging=Averaging.MEAN,
)
"""The plan before issue 13 (eight perturbed frames at half size, no mirror, mean), kept for the benchmark."""


def block_usage_upload() -> None:
    """Stop MediaPipe's usage statistics from leaving the machine.

    MediaPipe Tasks 1.2 posts usage statistics (library and Python version, task, call counts and latency; no
    image data) to Google from its C++ core through libcurl, with no setting to turn it off (see
    google-ai-edge/mediapipe#6291). libcurl honours the proxy environment variables, read at each upload, so
    pointing them at a closed local port makes every upload fail locally, without a DNS lookup. Client photos
    are health data: this package makes no network connection of its own, so nothing else is affected.
    Verified with ``strace -f -e trace=network``: with this set, the only connection attempted is to
    127.0.0.1:9. Loopback addresses are exempt (``NO_PROXY``), so local clients in the same process still reach
    local servers. Re-check after every MediaPipe upgrade.
    """
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        os.environ[name] = UPLOAD_BLACKHOLE
    for name in ("NO_PROXY", "no_proxy"):  # this machine's own services (the app's server) stay reachable
        os.environ[name] = LOOPBACK


@dataclass(frozen=True, slots=True)
class Face:
    """One face as MediaPipe sees it, in photo pixels.

    Attributes:
        landmarks: float32 (478, 3), the package's photo coordinate convention (see module docstring).
        blendshapes: The 52 ARKit-style expression scores in [0, 1], by MediaPipe's category name.
        transformation_matrix: float64 (4, 4), MediaPipe's canonical-face-to-camera matrix (centimetres).
            Kept for reference only: it weights jaw and cheek points, so nothing measures with it.
        spread_px: How far the measuring passes disagreed: RMS over passes and landmarks of the image-plane
            distance between a pass's landmark and the combined one, in photo pixels (0 for a single pass).
    """

    landmarks: np.ndarray
    blendshapes: dict[str, float] = field(default_factory=dict)
    transformation_matrix: np.ndarray = field(default_factory=lambda: np.eye(4))
    spread_px: float = 0.0

    @property
    def inter_pupillary_distance_px(self) -> float:
        """Distance in pixels between the iris centres (landmarks 468 and 473), in the image plane."""
        return float(np.linalg.norm(self.landmarks[IRIS_CENTER_RIGHT, :2] - self.landmarks[IRIS_CENTER_LEFT, :2]))

    @property
    def box_area_px(self) -> float:
        """Area in square pixels of the landmarks' bounding box (how the largest face is chosen)."""
        extent = self.landmarks[:, :2].max(axis=0) - self.landmarks[:, :2].min(axis=0)
        return float(extent[0] * extent[1])


@dataclass(frozen=True, slots=True)
class Detection:
    """What the landmarker found in one photo.

    Attributes:
        face: The client's face (the largest found), or None when there is none.
        faces_found: How many faces were found in the photo.
    """

    face: Face | None
    faces_found: int


def mirror_face(face: Face, width: int) -> Face:
    """The face as it appears in the photo mirrored left-right: x → width − 1 − x (pixel centres), every
    landmark renumbered to its mirror partner (``regions.MIRROR_PERMUTATION``), Left/Right blendshapes swapped.

    Args:
        face: A face in the photo's pixels.
        width: The photo's width in pixels.
    """
    landmarks = face.landmarks[list(MIRROR_PERMUTATION)].copy()
    landmarks[:, 0] = (width - 1) - landmarks[:, 0]
    return Face(
        landmarks,
        {_swap_sides(name): score for name, score in face.blendshapes.items()},
        face.transformation_matrix,
        face.spread_px,
    )


class FaceLandmarker:
    """MediaPipe FaceLandmarker in IMAGE mode, safe to share across threads.

    MediaPipe does not document its task objects as thread-safe, and Streamlit serves each browser session
    on its own thread, so every call holds one lock. Use as a context manager or call :meth:`close`. The model
    file is read and verified at once; MediaPipe's graph is built on the first detection, so work that only
    reads stored analyses (a stored client's report, series or before/after) never loads it.

    Args:
        model_path: A ``.task`` file to use instead of the bundled model.
        expected_sha256: Digest the chosen file must match (the bundled model is always verified).
        plan: Where the measuring passes look (:data:`DEFAULT_PLAN`; benchmarks compare others).
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        expected_sha256: str | None = None,
        plan: MeasuringPlan = DEFAULT_PLAN,
    ) -> None:
        self._model = read_model(Path(model_path) if model_path else None, expected_sha256=expected_sha256)
        self._landmarker: mp_vision.FaceLandmarker | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.plan = plan

    def _graph(self) -> mp_vision.FaceLandmarker:
        """MediaPipe's landmarker, built the first time (call with the lock held)."""
        if self._closed:
            raise RuntimeError("This FaceLandmarker is closed.")
        if self._landmarker is None:
            block_usage_upload()
            options = mp_vision.FaceLandmarkerOptions(
                base_options=BaseOptions(model_asset_buffer=self._model),
                running_mode=mp_vision.RunningMode.IMAGE,
                num_faces=_MAX_FACES,
                output_face_blendshapes=True,
                output_facial_transformation_matrixes=True,
            )
            self._landmarker = mp_vision.FaceLandmarker.create_from_options(options)
        return self._landmarker

    def detect(self, image: np.ndarray, *, plan: MeasuringPlan | None = None) -> Detection:
        """Find faces and return the largest, with its landmarks in full-resolution pixels.

        The search pass runs on the photo reduced to a long side of at most 1024 px (and, in a mirrored plan,
        on its mirror image too; the two answers for a face are averaged) and counts the faces. The measuring
        passes warp the largest face into fixed detection frames (the canonical frame scaled by the plan's
        zoom: upright, a fixed distance between the eyes; see :class:`MeasuringPlan`), run the landmarker
        there (and on each frame's mirror image), map the landmarks back and combine them per landmark. The
        network so always sees the face at the same size and angle, whatever the photo's resolution, framing
        or roll; and with a mirrored plan the result of a mirrored photo is the mirror of the photo's result
        (:func:`mirror_face`), so symmetry measures cannot depend on which way the photo faces.

        Args:
            image: uint8 array of shape (H, W, 3), RGB.
            plan: A measuring plan for this call instead of the landmarker's own (for benchmarks).

        Returns:
            The largest face (or None) and the number of faces found.
        """
        plan = plan or self.plan
        faces = self._search(image, (0, 0, image.shape[1], image.shape[0]), plan.mirror)
        if not faces:  # MediaPipe's short-range detector misses faces under ~1/8 of the frame: look closer
            tiles = [self._search(image, window, plan.mirror) for window in _tiles(image.shape[1], image.shape[0])]
            faces = _distinct([face for found in tiles for face in found])
        if not faces:
            return Detection(face=None, faces_found=0)
        largest = max(faces, key=lambda face: face.box_area_px)
        window = _face_window(image, largest, plan.zoom)
        placement = largest.landmarks
        if plan.refine:
            placed = self._passes(window, placement, ((0.0, 1.0, (0.0, 0.0)),), plan, image.shape[1])
            placement = _combine(placed, plan.averaging).landmarks if placed else placement
        passes = self._passes(window, placement, plan.variants, plan, image.shape[1])
        return Detection(face=_combine(passes, plan.averaging) if passes else largest, faces_found=len(faces))

    def close(self) -> None:
        """Release MediaPipe's graph; further calls to :meth:`detect` raise RuntimeError."""
        with self._lock:
            if not self._closed and self._landmarker is not None:
                self._landmarker.close()
            self._closed = True

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _search(self, image: np.ndarray, window: tuple[int, int, int, int], mirror: bool) -> list[Face]:
        """Faces in the (x0, y0, x1, y1) window of ``image``, searched at a long side of at most 1024 px.

        The reduction is by a whole factor (1/2, 1/3, ...), to a size given explicitly so that pixel centres map
        by the exact ratio of the sizes (mirror-symmetric); OpenCV's area resize is several times faster when
        the factor divides the size.
        With ``mirror`` the reduced window is searched mirrored too, and each face's two answers averaged.
        """
        x0, y0, x1, y1 = window
        crop = image[y0:y1, x0:x1]
        factor = math.ceil(max(crop.shape[:2]) / _DETECTION_LONG_SIDE)
        size = (max(1, round(crop.shape[1] / factor)), max(1, round(crop.shape[0] / factor)))
        reduced = crop if factor == 1 else cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        # cv2.resize maps pixel centres: photo = f·(reduced + 0.5) − 0.5 + origin, f = original / reduced size
        fx, fy = crop.shape[1] / reduced.shape[1], crop.shape[0] / reduced.shape[0]
        to_photo = np.array([[fx, 0.0, (fx - 1) / 2 + x0], [0.0, fy, (fy - 1) / 2 + y0]])
        found = self._detect_all(reduced, to_photo)
        return _paired(found, self._detect_all(reduced, to_photo, mirrored=True)) if mirror else found

    def _passes(
        self,
        window: tuple[np.ndarray, np.ndarray],
        placement: np.ndarray,
        variants: tuple[Variant, ...],
        plan: MeasuringPlan,
        photo_width: int,
    ) -> list[Face]:
        """The measuring passes: the face warped into one frame per variant (and each frame mirrored).

        Args:
            window: (face window image, its (2, 3) map to photo pixels) from :func:`_face_window`.
            placement: (478, 3) landmarks in photo pixels whose rigid basis places the frames.
            variants: The frames' perturbations about the frame's centre.
            plan: Zoom and mirroring.
            photo_width: The photo's width in pixels (where its mirror axis is).

        Returns:
            The face found in each pass, in photo pixels (passes that found nothing are left out).
        """
        width, height = plan.frame_size
        centre = ((width - 1) / 2, (height - 1) / 2)  # on the frame's mirror axis
        base = _homogeneous(_snapped(_frame_transform(placement, plan.zoom, width), photo_width, width))
        window_image, window_to_photo = window
        target = placement[:, :2].mean(axis=0)
        passes = []
        for rotation, zoom, shift in variants:
            perturbation = _homogeneous(cv2.getRotationMatrix2D(centre, rotation, zoom))
            perturbation[:2, 2] += shift
            photo_to_frame = perturbation @ base
            frame = _warp_bilinear(window_image, (photo_to_frame @ _homogeneous(window_to_photo))[:2], (width, height))
            to_photo = cv2.invertAffineTransform(photo_to_frame[:2])
            for mirrored in (False, True) if plan.mirror else (False,):
                found = self._detect_all(frame, to_photo, mirrored=mirrored)
                if found:
                    passes.append(min(found, key=lambda f: float(np.linalg.norm(f.landmarks[:, :2].mean(0) - target))))
        return passes

    def _detect_all(self, image: np.ndarray, to_photo: np.ndarray, *, mirrored: bool = False) -> list[Face]:
        """Run MediaPipe on ``image`` (or its mirror image) and map every face into photo pixels.

        MediaPipe's normalised coordinates run from 0 to 1 across the image's full extent, so the pixel-centre
        coordinate is u = x·W − 0.5. A mirrored run's landmarks are taken back through u → W − 1 − u, renumbered
        to their mirror partners and their blendshapes' sides swapped: they describe the same face.

        Args:
            image: uint8 (H, W, 3) RGB.
            to_photo: (2, 3) similarity from ``image``'s pixel centres to photo pixels.
            mirrored: Run on the image mirrored left-right.
        """
        height, width = image.shape[:2]
        rgb = cv2.flip(image, 1) if mirrored else np.ascontiguousarray(image)  # numpy's [:, ::-1] copy is 10× slower
        if mirrored:
            to_photo = to_photo @ np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
        with self._lock:
            result = self._graph().detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
        faces = []
        for index, points in enumerate(result.face_landmarks):
            normalised = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64)
            pixels = normalised * (width, height, width) - (0.5, 0.5, 0.0)
            pixels[:, :2] = pixels[:, :2] @ to_photo[:, :2].T + to_photo[:, 2]
            pixels[:, 2] *= float(np.hypot(*to_photo[:, 0]))
            blendshapes = {c.category_name: float(c.score) for c in result.face_blendshapes[index]}
            matrix = np.asarray(result.facial_transformation_matrixes[index], dtype=np.float64)
            if mirrored:
                pixels = pixels[list(MIRROR_PERMUTATION)]
                blendshapes = {_swap_sides(name): score for name, score in blendshapes.items()}
            faces.append(Face(pixels.astype(np.float32), blendshapes, matrix))
        return faces


def _combine(passes: list[Face], averaging: Averaging) -> Face:
    """One face from several passes: per-landmark, per-coordinate (robust) mean or median; blendshapes averaged
    over the passes kept.

    The spread is √(mean over passes p and landmarks k of |xₚₖ − x̂ₖ|²) in the image plane, x̂ the combined one,
    over every pass (a pass left out of the robust mean still counts: the photo's landmarks were unstable).
    """
    stack = np.stack([face.landmarks for face in passes]).astype(np.float64)
    keep = np.ones(len(passes), dtype=bool)
    if averaging is Averaging.MEDIAN:
        combined = np.median(stack, axis=0)
    else:
        if averaging is Averaging.ROBUST_MEAN and len(passes) > 2:
            median = np.median(stack[..., :2], axis=0)
            distances = np.sqrt(((stack[..., :2] - median) ** 2).sum(axis=-1).mean(axis=-1))
            keep = distances <= _OUTLIER_FACTOR * float(np.median(distances)) + 1e-9
        combined = stack[keep].mean(axis=0)
    spread = float(np.sqrt(((stack[..., :2] - combined[:, :2]) ** 2).sum(axis=-1).mean()))
    kept = [face for face, kept in zip(passes, keep, strict=True) if kept]
    names = passes[0].blendshapes
    blendshapes = {name: float(np.mean([face.blendshapes.get(name, 0.0) for face in kept])) for name in names}
    return Face(combined.astype(np.float32), blendshapes, passes[0].transformation_matrix, spread)


def _paired(direct: list[Face], mirrored: list[Face]) -> list[Face]:
    """Each face found directly averaged with the same face found in the mirror image (centres closer than half
    the face's size). A face found only one way is dropped: the detector's false positives (a cat's face, a
    pattern in a large background) rarely survive mirroring, and keeping them would make the face count, and
    which face is the largest, depend on the photo's orientation."""
    unused = list(mirrored)
    faces = []
    for face in direct:
        centre, size = face.landmarks[:, :2].mean(axis=0), np.sqrt(face.box_area_px)
        distances = [float(np.linalg.norm(m.landmarks[:, :2].mean(axis=0) - centre)) for m in unused]
        if distances and min(distances) < size / 2:
            partner = unused.pop(int(np.argmin(distances)))
            faces.append(_combine([face, partner], Averaging.MEAN))
    return faces


def _swap_sides(name: str) -> str:
    """A blendshape's name for the other side of the face: eyeBlinkLeft ↔ eyeBlinkRight, mouthLeft ↔ mouthRight."""
    return name.replace("Left", "\0").replace("Right", "Left").replace("\0", "Right")


def _frame_transform(landmarks: np.ndarray, zoom: float, width: int) -> np.ndarray:
    """(2, 3) similarity from photo pixels into a measuring frame ``width`` px wide: the canonical frame scaled by
    ``zoom``, shifted so the face's midline falls on the frame's mirror axis, column (width − 1) / 2.

    The fit (:func:`progress.align.canonical_transform`) is on the rigid basis, which is closed under the mirror
    pairs, onto the canonical face, which is symmetric: so a mirrored photo's frame is the mirrored frame.
    """
    transform = canonical_transform(landmarks, zoom=zoom)
    transform[0, 2] += (width - 1) / 2 - CANONICAL_SIZE[0] / 2 * zoom
    return transform


_SCALE_STEP = 2.0**-14
_SHIFT_STEP = 1 / 64
"""Grid of the frame placement (:func:`_snapped`): 6·10⁻⁵ in scale and rotation (0.01 px at the frame's edge)
and 1/64 px in shift, far below the landmarks' own precision."""


def _snapped(transform: np.ndarray, photo_width: int, frame_width: int) -> np.ndarray:
    """The similarity ``transform`` (photo → frame) rounded to a grid that is symmetric under mirroring.

    Written about the mirror axes, u − c_f = A (p − c_p) + s with c_p = ((W − 1)/2, 0), c_f = ((w − 1)/2, 0) and
    A = [[a, −b], [b, a]], mirroring photo and frame turns (a, b, sₓ, s_y) into (a, −b, −sₓ, s_y). Rounding each
    to the nearest grid point (half to even, so odd-symmetric) therefore commutes with mirroring: the float32
    rounding of a mirrored photo's landmarks (~10⁻⁵ px) no longer reaches the frames' pixels, to which the
    landmark network is sensitive down to one grey level.
    """
    centre_photo = np.array([(photo_width - 1) / 2, 0.0])
    centre_frame = np.array([(frame_width - 1) / 2, 0.0])
    a, b = (float(np.rint(v / _SCALE_STEP) * _SCALE_STEP) for v in (transform[0, 0], transform[1, 0]))
    shift = np.rint((transform[:, :2] @ centre_photo + transform[:, 2] - centre_frame) / _SHIFT_STEP) * _SHIFT_STEP
    linear = np.array([[a, -b], [b, a]])
    return np.column_stack([linear, shift + centre_frame - linear @ centre_photo])


def _tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """A 3×3 grid of overlapping windows, each 45 % of the photo's width and height (stride 27.5 %).

    A face up to 17.5 % of the photo's size lies wholly inside one window, where it is at least twice as
    large, relative to the search input, as in the whole photo. The grid is symmetric left-right.
    """
    tile_w, tile_h = round(width * 0.45), round(height * 0.45)
    xs = np.linspace(0, width - tile_w, 3).round().astype(int)
    ys = np.linspace(0, height - tile_h, 3).round().astype(int)
    return [(int(x), int(y), int(x) + tile_w, int(y) + tile_h) for y in ys for x in xs]


def _distinct(faces: list[Face]) -> list[Face]:
    """Drop repeats of a face found in overlapping windows (centres closer than half the face's size)."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: -f.box_area_px):
        centre = face.landmarks[:, :2].mean(axis=0)
        size = np.sqrt(face.box_area_px)
        if all(np.linalg.norm(k.landmarks[:, :2].mean(axis=0) - centre) > size / 2 for k in kept):
            kept.append(face)
    return kept


def _face_window(image: np.ndarray, face: Face, zoom: float) -> tuple[np.ndarray, np.ndarray]:
    """The face's surroundings, reduced once so the pupils are about as far apart as in the measuring frame.

    Every measuring pass then warps from this small image, at a scale near 1 (no aliasing), instead of the full
    photo. The window's columns are symmetric about the face: a mirrored photo gives the mirrored window
    (x0 = max(⌊low − m⌋, 0), x1 = min(⌈high + m⌉ + 1, W), and the reduction's size is given explicitly so it
    maps pixel centres by the exact ratio of the sizes).

    Returns:
        (uint8 window image, float64 (2, 3) map from window pixels to photo pixels).
    """
    low, high = face.landmarks[:, :2].min(axis=0), face.landmarks[:, :2].max(axis=0)
    margin = 0.6 * float((high - low).max())
    x0, y0 = (int(v) for v in np.maximum(np.floor(low - margin), 0))
    x1, y1 = (int(v) for v in np.minimum(np.ceil(high + margin) + 1, (image.shape[1], image.shape[0])))
    crop = image[y0:y1, x0:x1]
    scale = min(1.0, zoom * CANONICAL_INTER_PUPILLARY_PX / max(face.inter_pupillary_distance_px, 1.0))
    if scale < 1.0:
        size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    factor_x, factor_y = crop.shape[1] / (x1 - x0), crop.shape[0] / (y1 - y0)
    # cv2.resize maps pixel centres: photo = (window + 0.5) / factor - 0.5 + origin
    to_photo = np.array(
        [[1 / factor_x, 0.0, 0.5 / factor_x - 0.5 + x0], [0.0, 1 / factor_y, 0.5 / factor_y - 0.5 + y0]]
    )
    return np.ascontiguousarray(crop), to_photo


def _warp_bilinear(image: np.ndarray, transform: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear warp of ``image`` by the (2, 3) affine ``transform`` (source pixel centres → canvas pixel centres)
    into a (width, height) canvas, black outside, that commutes exactly with mirroring.

    OpenCV's warpAffine accumulates source positions in fixed point with rounding that is not symmetric
    left-right, so the warp of a mirrored image is not the mirrored warp (a few pixels differ by a grey level,
    which the landmark network magnifies). Here each canvas pixel's source position is computed in float64 and
    rounded half-to-even to OpenCV's 1/32-pixel grid (X = rint(32 x)), which is odd-symmetric, and handed to
    ``cv2.remap`` as its fixed-point maps (integer part, then 32·(Y mod 32) + (X mod 32)): a mirrored image
    and transform give exactly the mirrored canvas.

    Returns:
        uint8 (height, width, channels).
    """
    width, height = size
    inverse = cv2.invertAffineTransform(transform)
    columns = np.arange(width, dtype=np.float64)[None, :]
    rows = np.arange(height, dtype=np.float64)[:, None]
    limit = 32 * 30000  # cv2.remap's integer map is int16
    whole = np.empty((height, width, 2), np.int16)
    fixed = []
    for axis in (0, 1):  # in place, in the order rint(32 · (a·column + b·row + c)) of the formula
        position = inverse[axis, 0] * columns + inverse[axis, 1] * rows
        position += inverse[axis, 2]
        position *= 32
        np.clip(np.rint(position, out=position), -limit, limit, out=position)
        fixed.append(position.astype(np.int32))
        np.right_shift(fixed[axis], 5, out=whole[..., axis], casting="unsafe")
    fixed_x, fixed_y = fixed
    fraction = ((fixed_y & 31) * 32 + (fixed_x & 31)).astype(np.uint16)
    warped: np.ndarray = cv2.remap(image, whole, fraction, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return warped


def _homogeneous(affine: np.ndarray) -> np.ndarray:
    """(2, 3) affine matrix -> (3, 3)."""
    return np.vstack([affine, (0.0, 0.0, 1.0)])
