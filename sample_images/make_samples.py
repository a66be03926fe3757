"""Regenerate every file in ``sample_images/`` from scikit-image's public-domain astronaut portrait.

The source is ``skimage.data.astronaut()``: NASA's official portrait of astronaut Eileen Collins (public
domain, as shipped by scikit-image). No network access and no other photo is used; all randomness comes from
one seeded ``numpy.random.Generator``, so a rerun reproduces the same files.

What is made:

* ``progress/demo_client/`` (in the package: the app opens it): eight session photos two weeks apart, each with
  EXIF DateTimeOriginal. Every session gets
  its own small capture nuisance (rotation, scale, shift, exposure, white balance) and the cheeks carry a
  redness (CIELAB a*) that fades linearly from +6 in session 1 to +0 in session 8.
* ``checks/``: single photos that each exercise one capture check or refusal of the analyser.
* ``README.md``: the simulated numbers and the measured check results.

Usage (needs the ``test`` extra, which provides scikit-image)::

    python sample_images/make_samples.py
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import Image
from skimage import data as skimage_data

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

from progress.analysis import PhotoResult, analyze_photo
from progress.errors import ImageTooSmallError, NoFaceError, NotAnImageError, ProgressError
from progress.ingest import read_photo
from progress.landmarks import FaceLandmarker
from progress.quality import SHARPNESS, Status
from progress.regions import ROI_POLYGONS

pillow_heif.register_heif_opener()

# --- where --------------------------------------------------------------------------------------------------
SAMPLE_FOLDER = Path(__file__).resolve().parent
DEMO_FOLDER = SAMPLE_FOLDER.parent / "progress" / "demo_client"  # shipped in the package: the app opens it
CHECKS_FOLDER = SAMPLE_FOLDER / "checks"
README_PATH = SAMPLE_FOLDER / "README.md"
SIZE_BUDGET_BYTES = 4 * 1024 * 1024

# --- the base portrait --------------------------------------------------------------------------------------
SEED = 20260105
UPSCALE = 2.5
"""The astronaut's face is small (about 43 px between the pupils); 2.5× Lanczos brings it to about 107 px."""
FRAME_WIDTH, FRAME_HEIGHT = 1024, 1280
FACE_CENTRE_ROW_FRACTION = 0.25
"""The face's landmark box is centred at a quarter of the frame's height (the middle of its upper half)."""
BASE_EXPOSURE = 0.9
"""Linear-light gain on the framed astronaut: her forehead is within a few levels of clipping (1.2 % of the
skin sample at 250 or more, 8 % after a 6 % brighter exposure), so the series starts 10 % darker and the
session-to-session exposure nuisance does not trip the clipped-highlights check."""
NEUTRAL_GREY = (128, 128, 128)

# --- the demo series ----------------------------------------------------------------------------------------
SESSION_COUNT = 8
FIRST_SESSION_DATE = date(2026, 1, 5)
SESSION_INTERVAL = timedelta(weeks=2)
SESSION_TIME = "10:00:00"
INITIAL_CHEEK_REDNESS = 6.0
"""a* added at the centre of both cheeks in session 1; falls linearly to 0 by the last session."""
REDNESS_FEATHER_SIGMA_PX = 6.0
"""Gaussian σ of the cheek mask's soft edge, in pixels of the base portrait (about 0.06 × pupil distance)."""
MAX_ROTATION_DEG = 2.0
MAX_SCALE_CHANGE = 0.03
MAX_SHIFT_PX = 15.0
EXPOSURE_RANGE = (0.96, 1.04)
MAX_WHITE_BALANCE_CHANGE = 0.02
JPEG_QUALITY = 92
HEIC_QUALITY = 80

# --- the check photos ---------------------------------------------------------------------------------------
NO_FACE_UPSCALE = 2.0
"""Chelsea the cat is 451 × 300; doubled to 902 × 600, well over the 200 px minimum: only the face lacks."""
THUMBNAIL_SIDE = 160
BLUR_SIGMA_PX = 2.5
"""About 1.5 mm on the face (pupils ≈ 107 px ≈ 63 mm apart). This is where the sharpness ratio is lowest for
this photo (≈ 0.22, a warning): with stronger blur the 8-bit rounding noise of the photo and of the aligned
face dominates the fine band and the ratio rises again (σ = 5 px reads ≈ 0.36, as sharp as the original)."""
DARK_EXPOSURE = 0.25
SECOND_FACE_SCALE = 0.7
FACE_CROP_WIDTH, FACE_CROP_HEIGHT = 512, 640
COLOUR_CAST_GAINS = (0.75, 0.95, 1.40)
"""Linear-light R, G, B gains of the strong blue cast."""
HEIC_SESSION = 4


@dataclass(frozen=True, slots=True)
class Portrait:
    """The upscaled astronaut framed as a portrait, with the landmarks found on it.

    Attributes:
        image: uint8 (FRAME_HEIGHT, FRAME_WIDTH, 3) RGB.
        landmarks: float32 (478, 3), in the frame's pixels.
    """

    image: np.ndarray
    landmarks: np.ndarray

    @property
    def face_centre(self) -> tuple[float, float]:
        """(x, y) centre of the landmarks' bounding box."""
        low, high = self.landmarks[:, :2].min(axis=0), self.landmarks[:, :2].max(axis=0)
        centre = (low + high) / 2
        return float(centre[0]), float(centre[1])


@dataclass(frozen=True, slots=True)
class Session:
    """One simulated visit: its date and everything that was done to the base portrait.

    Attributes:
        number: 1-based session number.
        taken_on: Capture date.
        cheek_redness: a* added at the centre of both cheeks.
        rotation_deg: Counter-clockwise rotation about the frame centre.
        scale: Zoom factor about the frame centre.
        shift_x_px: Rightward shift.
        shift_y_px: Downward shift.
        exposure: Linear-light gain on all channels.
        white_balance: Linear-light gains on R, G, B.
    """

    number: int
    taken_on: date
    cheek_redness: float
    rotation_deg: float
    scale: float
    shift_x_px: float
    shift_y_px: float
    exposure: float
    white_balance: tuple[float, float, float]

    @property
    def file_name(self) -> str:
        """``session_01_2026-01-05.jpg`` style."""
        return f"session_{self.number:02d}_{self.taken_on.isoformat()}.jpg"

    @property
    def exif_timestamp(self) -> str:
        """EXIF DateTimeOriginal text, ``2026:01:05 10:00:00`` style."""
        return f"{self.taken_on:%Y:%m:%d} {SESSION_TIME}"


@dataclass(frozen=True, slots=True)
class CheckPhoto:
    """A check photo, what it is meant to trigger, and how to tell that it did.

    Attributes:
        file_name: Name in ``checks/``.
        made_from: How the photo was made, for the README.
        purpose: What the photo is meant to trigger, for the README.
        expected: Predicate on the analysis outcome (a result or a refusal).
    """

    file_name: str
    made_from: str
    purpose: str
    expected: Callable[[PhotoResult | ProgressError], bool]


# --- colour helpers -----------------------------------------------------------------------------------------


def srgb_to_linear(image: np.ndarray) -> np.ndarray:
    """uint8 sRGB to float64 linear light in [0, 1] (IEC 61966-2-1)."""
    encoded = image.astype(np.float64) / 255.0
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """float linear light to uint8 sRGB, clipping to [0, 1] first."""
    linear = np.clip(linear, 0.0, 1.0)
    encoded = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(np.rint(encoded * 255.0), 0, 255).astype(np.uint8)


def apply_gains(image: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    """Multiply R, G, B in linear light, as a camera's exposure and white balance do."""
    return linear_to_srgb(srgb_to_linear(image) * np.asarray(gains, dtype=np.float64))


def add_cheek_redness(portrait: Portrait, redness: float) -> np.ndarray:
    """Add ``redness`` to CIELAB a* on both cheeks, through a feathered landmark mask.

    The cheeks are ``ROI_POLYGONS['cheek_R']`` and ``['cheek_L']`` filled on the portrait's landmarks; the
    mask is Gaussian-blurred so the added redness has no edge. Lab is computed in float (cv2, sRGB D65).
    """
    if redness == 0:
        return portrait.image.copy()
    mask: np.ndarray = np.zeros(portrait.image.shape[:2], dtype=np.float32)
    for name in ("cheek_R", "cheek_L"):
        polygon = portrait.landmarks[list(ROI_POLYGONS[name]), :2]
        cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), REDNESS_FEATHER_SIGMA_PX)
    lab: np.ndarray = cv2.cvtColor(portrait.image.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
    lab[..., 1] += redness * mask
    rgb: np.ndarray = cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


# --- geometry helpers ---------------------------------------------------------------------------------------


def make_base_portrait(landmarker: FaceLandmarker) -> Portrait:
    """Upscale the astronaut 2.5× (Lanczos) and frame it as a portrait with the face in the upper half.

    The face is centred horizontally and its landmark box centred at a quarter of the frame's height; any
    part of the frame outside the upscaled photo is filled by replicating its border. The framed photo is
    then darkened by ``BASE_EXPOSURE``.
    """
    astronaut = Image.fromarray(skimage_data.astronaut())  # type: ignore[no-untyped-call]
    size = (round(astronaut.width * UPSCALE), round(astronaut.height * UPSCALE))
    upscaled = np.asarray(astronaut.resize(size, Image.Resampling.LANCZOS))
    face = detect_face(landmarker, upscaled)
    low, high = face[:, :2].min(axis=0), face[:, :2].max(axis=0)
    centre_x, centre_y = (low + high) / 2
    left = round(centre_x - FRAME_WIDTH / 2)
    top = round(centre_y - FRAME_HEIGHT * FACE_CENTRE_ROW_FRACTION)
    framed = crop_with_replicated_border(upscaled, left, top, FRAME_WIDTH, FRAME_HEIGHT)
    image = apply_gains(framed, (BASE_EXPOSURE,) * 3)
    return Portrait(image=image, landmarks=detect_face(landmarker, image))


def crop_with_replicated_border(image: np.ndarray, left: int, top: int, width: int, height: int) -> np.ndarray:
    """Crop ``width`` × ``height`` at (left, top), replicating the border where the crop leaves the image."""
    pad_left, pad_top = max(0, -left), max(0, -top)
    pad_right = max(0, left + width - image.shape[1])
    pad_bottom = max(0, top + height - image.shape[0])
    padded = cv2.copyMakeBorder(image, pad_top, pad_bottom, pad_left, pad_right, cv2.BORDER_REPLICATE)
    top, left = top + pad_top, left + pad_left
    return np.ascontiguousarray(padded[top : top + height, left : left + width])


def move_camera(image: np.ndarray, session: Session) -> np.ndarray:
    """Rotate and scale about the frame centre, then shift; the uncovered border is replicated."""
    height, width = image.shape[:2]
    matrix: np.ndarray = cv2.getRotationMatrix2D((width / 2, height / 2), session.rotation_deg, session.scale)
    matrix[:, 2] += np.array([session.shift_x_px, session.shift_y_px])
    return cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def detect_face(landmarker: FaceLandmarker, image: np.ndarray) -> np.ndarray:
    """Landmarks of the largest face; raises NoFaceError when there is none."""
    detection = landmarker.detect(image)
    if detection.face is None:
        raise NoFaceError("The generator could not find the astronaut's face.")
    return detection.face.landmarks


# --- file helpers -------------------------------------------------------------------------------------------


def exif_with_capture_time(timestamp: str | None, orientation: int = 1) -> Image.Exif:
    """EXIF block with DateTimeOriginal (Exif IFD 0x8769, tag 36867) and, if not 1, the Orientation tag."""
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    if timestamp is not None:
        exif.get_ifd(0x8769)[36867] = timestamp
    return exif


def save_jpeg(image: np.ndarray, path: Path, *, timestamp: str | None = None, orientation: int = 1) -> None:
    """Write a baseline JPEG at ``JPEG_QUALITY`` with optional capture time and orientation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = exif_with_capture_time(timestamp, orientation)
    Image.fromarray(image).save(path, format="JPEG", quality=JPEG_QUALITY, exif=exif.tobytes())


# --- the demo series ----------------------------------------------------------------------------------------


def draw_sessions(rng: np.random.Generator) -> list[Session]:
    """Draw each session's nuisance from ``rng`` and give it its date and cheek redness."""
    sessions = []
    for index in range(SESSION_COUNT):
        white_balance = rng.uniform(1 - MAX_WHITE_BALANCE_CHANGE, 1 + MAX_WHITE_BALANCE_CHANGE, size=3)
        sessions.append(
            Session(
                number=index + 1,
                taken_on=FIRST_SESSION_DATE + index * SESSION_INTERVAL,
                cheek_redness=INITIAL_CHEEK_REDNESS * (SESSION_COUNT - 1 - index) / (SESSION_COUNT - 1),
                rotation_deg=float(rng.uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG)),
                scale=float(rng.uniform(1 - MAX_SCALE_CHANGE, 1 + MAX_SCALE_CHANGE)),
                shift_x_px=float(rng.uniform(-MAX_SHIFT_PX, MAX_SHIFT_PX)),
                shift_y_px=float(rng.uniform(-MAX_SHIFT_PX, MAX_SHIFT_PX)),
                exposure=float(rng.uniform(*EXPOSURE_RANGE)),
                white_balance=(float(white_balance[0]), float(white_balance[1]), float(white_balance[2])),
            )
        )
    return sessions


def render_session(portrait: Portrait, session: Session) -> np.ndarray:
    """Cheek redness first (on the base portrait's landmarks), then the camera's nuisance."""
    reddened = add_cheek_redness(portrait, session.cheek_redness)
    moved = move_camera(reddened, session)
    red, green, blue = (session.exposure * gain for gain in session.white_balance)
    return apply_gains(moved, (red, green, blue))


def write_demo_series(portrait: Portrait, sessions: list[Session]) -> dict[int, np.ndarray]:
    """Write the eight session JPEGs; return the rendered pixels by session number."""
    rendered = {}
    for session in sessions:
        image = render_session(portrait, session)
        save_jpeg(image, DEMO_FOLDER / session.file_name, timestamp=session.exif_timestamp)
        rendered[session.number] = image
    return rendered


# --- the check photos ---------------------------------------------------------------------------------------


def face_crop(portrait: Portrait) -> np.ndarray:
    """A ``FACE_CROP_WIDTH`` × ``FACE_CROP_HEIGHT`` head-and-shoulders crop centred on the face."""
    centre_x, centre_y = portrait.face_centre
    left = round(centre_x - FACE_CROP_WIDTH / 2)
    top = round(centre_y - FACE_CROP_HEIGHT * 0.45)
    return crop_with_replicated_border(portrait.image, left, top, FACE_CROP_WIDTH, FACE_CROP_HEIGHT)


def make_two_faces(portrait: Portrait) -> np.ndarray:
    """The face crop beside a copy at ``SECOND_FACE_SCALE``, on neutral grey, bottoms aligned."""
    crop = face_crop(portrait)
    small = cv2.resize(crop, None, fx=SECOND_FACE_SCALE, fy=SECOND_FACE_SCALE, interpolation=cv2.INTER_AREA)
    canvas = np.full((FACE_CROP_HEIGHT, FACE_CROP_WIDTH * 2, 3), NEUTRAL_GREY, dtype=np.uint8)
    canvas[:, :FACE_CROP_WIDTH] = crop
    left = FACE_CROP_WIDTH + (FACE_CROP_WIDTH - small.shape[1]) // 2
    canvas[FACE_CROP_HEIGHT - small.shape[0] :, left : left + small.shape[1]] = small
    return canvas


def make_no_face() -> np.ndarray:
    """Chelsea the cat, upscaled with Lanczos."""
    cat = Image.fromarray(skimage_data.chelsea())  # type: ignore[no-untyped-call]
    size = (round(cat.width * NO_FACE_UPSCALE), round(cat.height * NO_FACE_UPSCALE))
    return np.asarray(cat.resize(size, Image.Resampling.LANCZOS))


def make_thumbnail(portrait: Portrait) -> np.ndarray:
    """A square crop around the face reduced to ``THUMBNAIL_SIDE`` pixels."""
    crop = face_crop(portrait)[(FACE_CROP_HEIGHT - FACE_CROP_WIDTH) // 2 :][:FACE_CROP_WIDTH]
    return cv2.resize(crop, (THUMBNAIL_SIDE, THUMBNAIL_SIDE), interpolation=cv2.INTER_AREA)


def write_heic(image: np.ndarray, path: Path, timestamp: str) -> None:
    """Write ``image`` as HEIC (pillow_heif) with its capture time."""
    exif = exif_with_capture_time(timestamp)
    Image.fromarray(image).save(path, format="HEIF", quality=HEIC_QUALITY, exif=exif.tobytes())


def write_check_photos(portrait: Portrait, sessions: list[Session], rendered: dict[int, np.ndarray]) -> None:
    """Write every photo of ``checks/``."""
    CHECKS_FOLDER.mkdir(parents=True, exist_ok=True)
    first = rendered[1]
    save_jpeg(make_no_face(), CHECKS_FOLDER / "no_face.jpg")
    # Orientation 6: the stored pixels are turned 90° counter-clockwise; a viewer turns them back clockwise.
    save_jpeg(
        np.ascontiguousarray(np.rot90(first, k=1)),
        CHECKS_FOLDER / "rotated_exif.jpg",
        timestamp=sessions[0].exif_timestamp,
        orientation=6,
    )
    save_jpeg(make_thumbnail(portrait), CHECKS_FOLDER / "too_small.jpg")
    (CHECKS_FOLDER / "not_an_image.jpg").write_text(
        "This is a text file with a .jpg name: the analyser must refuse it as not an image.\n"
    )
    save_jpeg(cv2.GaussianBlur(first, (0, 0), BLUR_SIGMA_PX), CHECKS_FOLDER / "blurred.jpg")
    save_jpeg(apply_gains(first, (DARK_EXPOSURE,) * 3), CHECKS_FOLDER / "too_dark.jpg")
    save_jpeg(make_two_faces(portrait), CHECKS_FOLDER / "two_faces.jpg")
    save_jpeg(apply_gains(first, COLOUR_CAST_GAINS), CHECKS_FOLDER / "colour_cast.jpg")
    heic_session = sessions[HEIC_SESSION - 1]
    write_heic(rendered[HEIC_SESSION], CHECKS_FOLDER / "session_heic.heic", heic_session.exif_timestamp)


# --- verification -------------------------------------------------------------------------------------------


def check_status(outcome: PhotoResult | ProgressError, name: str) -> Status | None:
    """Status of the named check, or None when the photo was refused or has no such check."""
    if isinstance(outcome, ProgressError):
        return None
    return next((check.status for check in outcome.checks if check.name == name), None)


def warns_or_fails(name: str) -> Callable[[PhotoResult | ProgressError], bool]:
    """Predicate: the named check is at warn or fail."""
    return lambda outcome: check_status(outcome, name) in (Status.WARN, Status.FAIL)


def refused_with(error_type: type[ProgressError]) -> Callable[[PhotoResult | ProgressError], bool]:
    """Predicate: the photo was refused with ``error_type``."""
    return lambda outcome: isinstance(outcome, error_type)


def is_upright_rotated_photo(outcome: PhotoResult | ProgressError) -> bool:
    """Predicate: read upright (portrait) through EXIF Orientation 6, and a face was found."""
    photo = read_photo(CHECKS_FOLDER / "rotated_exif.jpg")
    return isinstance(outcome, PhotoResult) and photo.exif_orientation == 6 and photo.height > photo.width


def is_heif_with_face(outcome: PhotoResult | ProgressError) -> bool:
    """Predicate: decoded by the HEIF decoder, with its EXIF date, and a face found."""
    photo = read_photo(CHECKS_FOLDER / "session_heic.heic")
    return isinstance(outcome, PhotoResult) and photo.format == "HEIF" and photo.captured_at_source == "exif"


CHECK_PHOTOS = (
    CheckPhoto(
        "no_face.jpg",
        f"`skimage.data.chelsea()` (a cat), {NO_FACE_UPSCALE:g}× Lanczos",
        "refusal `no_face` (NoFaceError)",
        refused_with(NoFaceError),
    ),
    CheckPhoto(
        "rotated_exif.jpg",
        "session 1, pixels turned 90° counter-clockwise, EXIF Orientation 6",
        "read upright through the Orientation tag (portrait, face found)",
        is_upright_rotated_photo,
    ),
    CheckPhoto(
        "too_small.jpg",
        f"square crop of the base face, {THUMBNAIL_SIDE} × {THUMBNAIL_SIDE} px",
        "refusal `image_too_small` (ImageTooSmallError)",
        refused_with(ImageTooSmallError),
    ),
    CheckPhoto(
        "not_an_image.jpg",
        "a line of text saved under a .jpg name",
        "refusal `not_an_image` (NotAnImageError)",
        refused_with(NotAnImageError),
    ),
    CheckPhoto(
        "blurred.jpg",
        f"session 1, Gaussian blur σ = {BLUR_SIGMA_PX:g} px",
        "`sharpness` at warn (fail is not reachable, see below)",
        warns_or_fails("sharpness"),
    ),
    CheckPhoto(
        "too_dark.jpg",
        f"session 1, exposure ×{DARK_EXPOSURE:g} in linear light",
        "`exposure_shadows` at warn or fail",
        warns_or_fails("exposure_shadows"),
    ),
    CheckPhoto(
        "two_faces.jpg",
        f"base face crop beside a {SECOND_FACE_SCALE:.0%} copy, on grey",
        "`faces_in_photo` at warn (it never fails)",
        warns_or_fails("faces_in_photo"),
    ),
    CheckPhoto(
        "colour_cast.jpg",
        "session 1, linear-light gains R ×{:g}, G ×{:g}, B ×{:g}".format(*COLOUR_CAST_GAINS),
        "`colour_cast` at fail (skin hue under 20°)",
        lambda outcome: check_status(outcome, "colour_cast") is Status.FAIL,
    ),
    CheckPhoto(
        "session_heic.heic",
        f"session {HEIC_SESSION} as HEIC (quality {HEIC_QUALITY}) with EXIF date",
        "HEIC decoding and EXIF date; analyses like the JPEG",
        is_heif_with_face,
    ),
)


def analyse(path: Path, landmarker: FaceLandmarker, baseline: PhotoResult | None = None) -> PhotoResult | ProgressError:
    """The analyser's result, or the refusal it raised."""
    try:
        return analyze_photo(path, landmarker, baseline=baseline)
    except ProgressError as error:
        return error


def describe(outcome: PhotoResult | ProgressError) -> tuple[str, str, str, str]:
    """(outcome, face_size, sharpness, warn/fail checks) as table cells."""
    if isinstance(outcome, ProgressError):
        return f"refused: {outcome.code}", "", "", ""
    values = {check.name: check.value for check in outcome.checks}
    flagged = ", ".join(
        f"{check.name} {check.status} ({check.value:.3g})"
        for check in outcome.checks
        if check.status is not Status.PASS
    )
    return "ok", f"{values['face_size']:.1f}", f"{values['sharpness']:.3f}", flagged or "none"


def verify(landmarker: FaceLandmarker, sessions: list[Session]) -> tuple[list[list[str]], bool]:
    """Analyse every generated photo; return the table rows and whether everything behaved as intended.

    Demo sessions must have a face (session 1 is the baseline for the others' comparability checks); each
    check photo must trigger what its name says.
    """
    rows, all_expected = [], True
    baseline = None
    for session in sessions:
        outcome = analyse(DEMO_FOLDER / session.file_name, landmarker, baseline)
        if baseline is None and isinstance(outcome, PhotoResult):
            baseline = outcome
        expected = isinstance(outcome, PhotoResult) and outcome.captured_at_source == "exif"
        all_expected &= expected
        rows.append([f"progress/demo_client/{session.file_name}", *describe(outcome), "yes" if expected else "NO"])
    for check_photo in CHECK_PHOTOS:
        outcome = analyse(CHECKS_FOLDER / check_photo.file_name, landmarker)
        expected = check_photo.expected(outcome)
        all_expected &= expected
        rows.append([f"checks/{check_photo.file_name}", *describe(outcome), "yes" if expected else "NO"])
    return rows, all_expected


# --- reporting ----------------------------------------------------------------------------------------------

TABLE_HEADER = ["file", "outcome", "face_size px", "sharpness", "checks at warn/fail", "as intended"]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """A fixed-width text table for the terminal."""
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    )


def session_rows(sessions: list[Session]) -> list[list[str]]:
    """The simulated numbers per session, as table cells."""
    return [
        [
            session.file_name,
            session.exif_timestamp,
            f"{session.cheek_redness:+.2f}",
            f"{session.rotation_deg:+.2f}",
            f"{session.scale:.4f}",
            f"{session.shift_x_px:+.1f}, {session.shift_y_px:+.1f}",
            f"{session.exposure:.4f}",
            "{:.4f}, {:.4f}, {:.4f}".format(*session.white_balance),
        ]
        for session in sessions
    ]


def folder_size() -> int:
    """Bytes of every generated file (README included)."""
    return sum(path.stat().st_size for path in SAMPLE_FOLDER.rglob("*") if path.is_file())


def write_readme(sessions: list[Session], results: list[list[str]]) -> None:
    """Write README.md: source, licence, what was simulated, how to regenerate, what the check photos do."""
    session_header = [
        "file",
        "EXIF DateTimeOriginal",
        "cheek a* added",
        "rotation ° (ccw)",
        "scale",
        "shift x, y px",
        "exposure",
        "white balance R, G, B",
    ]
    check_rows = [[f"`{photo.file_name}`", photo.made_from, photo.purpose] for photo in CHECK_PHOTOS]
    text = f"""# Sample images

Generated by `make_samples.py` (do not edit by hand). Regenerate from the repository root with

    python sample_images/make_samples.py

which needs the `test` extra (`pip install -e '.[test]'`) for scikit-image. The script uses no network and
no other photo; its only randomness is `numpy.random.default_rng({SEED})`, so a rerun gives the same
simulated numbers (JPEG bytes may differ slightly if MediaPipe's landmarks differ on another machine).

## Source and licence

Every face here is `skimage.data.astronaut()`: NASA's portrait of astronaut Eileen Collins, from the NASA
Great Images database (<https://flic.kr/p/r9qvLn>), a NASA photo in the **public domain** ("No known copyright
restrictions, released into the public domain", as shipped by scikit-image). `checks/no_face.jpg` is
`skimage.data.chelsea()`, Chelsea the cat (CC0 by the photographer, Stefan van der Walt, as shipped by
scikit-image). No photo of a real client is, or may ever be, in this folder.

## Demo client (`progress/demo_client/`, shipped in the package so the app can open it)

Base portrait: the 512 × 512 astronaut upscaled {UPSCALE:g}× with Lanczos (pupils ≈ 43 px apart become
≈ 107 px), framed {FRAME_WIDTH} wide × {FRAME_HEIGHT} high with the face's landmark box centred horizontally
and at a quarter of the height (border replicated where the frame leaves the photo), then darkened
×{BASE_EXPOSURE:g} in linear light. The darkening is not in the brief: the astronaut's forehead is within a
few levels of clipping, and without it the brighter sessions fail the `exposure_highlights` check.

Per session, in this order:

1. **Cheek redness** (the simulated treatment effect): CIELAB a* (float, `cv2.COLOR_RGB2Lab`) raised inside
   `ROI_POLYGONS['cheek_R']` and `['cheek_L']`, filled on the base portrait's MediaPipe landmarks and
   feathered with a Gaussian of σ = {REDNESS_FEATHER_SIGMA_PX:g} px: +{INITIAL_CHEEK_REDNESS:g} in session 1,
   falling linearly to +0 in session {SESSION_COUNT}. The table gives the mask's full strength, reached
   inside the cheeks away from their edges.
2. **Camera nuisance**, drawn per session from uniform distributions: rotation ±{MAX_ROTATION_DEG:g}°
   (counter-clockwise positive) and scale ±{MAX_SCALE_CHANGE:.0%} about the frame centre, shift
   ±{MAX_SHIFT_PX:g} px in x and y (bicubic, border replicated); exposure ×{EXPOSURE_RANGE[0]:g} to
   ×{EXPOSURE_RANGE[1]:g} and white-balance gain ±{MAX_WHITE_BALANCE_CHANGE:.0%} per channel, both applied
   in linear light.
3. JPEG quality {JPEG_QUALITY} with EXIF DateTimeOriginal. Sessions are two weeks apart; the date is in the
   file name too.

{markdown_table(session_header, session_rows(sessions))}

## Check photos (`checks/`)

"Session 1" is the demo photo `progress/demo_client/{sessions[0].file_name}`; "base" is the base portrait before
any session's changes. All JPEGs are quality {JPEG_QUALITY}.

{markdown_table(["file", "made from", "meant to trigger"], check_rows)}

`blurred.jpg` only reaches a *warning*: on this photo no Gaussian blur brings the `sharpness` ratio under its
fail limit ({SHARPNESS[1]:g}). The ratio is lowest (≈ 0.22) near σ = 2 to 2.5 px and rises again with
stronger blur (σ = 5 px reads ≈ 0.36, as sharp as the original), because the 8-bit rounding of the photo and
of the aligned face then dominates the fine band.

## Measured with `progress.analysis.analyze_photo`

Session 1 is the baseline of the other sessions' comparability checks. The astronaut smiles and tilts her
chin, with her teeth showing, so `expression_smile`, `expression_lips_apart` and `head_pitch` flag on every
photo of her: that is the source photo, not the
simulation.

{markdown_table(TABLE_HEADER, results)}
"""
    README_PATH.write_text(text, encoding="utf-8")


def main() -> int:
    """Generate, verify, document; exit status 1 if a photo does not do what its name says."""
    rng = np.random.default_rng(SEED)
    with FaceLandmarker() as landmarker:
        portrait = make_base_portrait(landmarker)
        sessions = draw_sessions(rng)
        rendered = write_demo_series(portrait, sessions)
        write_check_photos(portrait, sessions, rendered)
        rows, all_expected = verify(landmarker, sessions)
    write_readme(sessions, rows)
    print(plain_table(TABLE_HEADER, rows))
    size = folder_size()
    print(f"\nsample_images/: {size / 2**20:.2f} MB (budget {SIZE_BUDGET_BYTES / 2**20:.0f} MB)")
    if size > SIZE_BUDGET_BYTES:
        print("Over the size budget.")
        return 1
    if not all_expected:
        print("Some photos do not trigger what their names say (see 'as intended').")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
