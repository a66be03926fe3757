"""What the Capture screen's browser component needs from Python: the capture checks' thresholds (read from
:mod:`progress.quality`, the one source of truth), the geometry the live checks and the ghost are computed in,
the baseline's framing, and the captured photo handed back (decoded, checked, stamped with its capture time and
device in EXIF so it is stored exactly like an upload).

Pure functions and small frozen dataclasses; nothing here draws or imports Streamlit. The JavaScript that decides
the live checks is ``progress/capture/frontend/checks.js``; ``tests/js/`` feeds it the cases
:func:`reference_cases` computes here, so the browser and the server hold a photo to the same limits.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2
import numpy as np
from PIL import Image

from progress import quality
from progress.align import CANONICAL_INTER_PUPILLARY_PX, AlignedFace, canonical_landmarks, head_pose
from progress.analysis import PhotoResult
from progress.errors import ProgressError
from progress.model import canonical_face_vertices
from progress.pictures import open_picture
from progress.regions import (
    FACE_OVAL,
    IRIS_CENTER_LEFT,
    IRIS_CENTER_RIGHT,
    LATERAL_CANTHUS,
    MEDIAL_CANTHUS,
    RIGID_BASIS,
    ROI_POLYGONS,
    Region,
    Side,
)
from progress.store import Store

__all__ = [
    "CHECK_SCALE",
    "EXPRESSION_CHECKS",
    "FACE_CENTRE_TOLERANCE",
    "FIRST_SESSION_EYE_TARGET",
    "HEAD_ROLL_DEG",
    "MAX_CAPTURE_BYTES",
    "REARM_SECONDS",
    "SHOTS_PER_SESSION",
    "STEADY_SECONDS",
    "CaptureError",
    "CapturedPhoto",
    "GhostPlacement",
    "baseline_photo_id",
    "component_settings",
    "decode_capture",
    "evaluate",
    "ghost_image",
    "ghost_placement",
    "photo_size",
    "reference_cases",
    "with_capture_exif",
]

HEAD_ROLL_DEG = 5.0
"""Head tilt. Alignment removes roll, so the server has no roll check; live, a tilted head is easy to level and
the README's capture protocol asks for no more than 5° of turn or tilt."""
FACE_CENTRE_TOLERANCE = 0.08
"""How far the eyes' midpoint may sit from its target, as a fraction of the frame's width or height: the
baseline's position when there is one (the ghost), else :data:`FIRST_SESSION_EYE_TARGET`."""
FIRST_SESSION_EYE_TARGET = (0.5, 0.42)
"""Where the eyes' midpoint goes in the frame on a first session (fractions of width and height): centred, a
little above the middle so the chin and forehead both fit."""
STEADY_SECONDS = 0.5
"""The automatic shutter fires when every check has been green this long."""
REARM_SECONDS = 2.0
"""After a shot, the automatic shutter waits at least this long and until the client has moved (a check went red
or the face left the frame): the repeats of a session are independent placements, not copies."""
SHOTS_PER_SESSION = 3
"""Three photos a session, stepping away between shots, measure the session's own noise (``docs/capture.md``)."""
CHECK_SCALE = quality._CHECK_SCALE
MAX_CAPTURE_BYTES = 50 * 1024 * 1024
"""The same byte limit as an upload (``ingest``): larger payloads are refused before decoding."""
ASSUMED_FIELD_OF_VIEW_DEG = 60.0
"""Horizontal field of view assumed to turn a distance ratio into centimetres ("come 10 cm closer"); typical of
tablet, phone and laptop cameras. Only the wording depends on it, never the check."""
EYE_DISTANCE_CM = 6.3
"""The canonical face's eye-centre distance, for the same wording."""


EXPRESSION_CHECKS = {
    "smile": "expression_smile",
    "jaw_open": "expression_jaw_open",
    "brows_raised": "expression_brows_raised",
    "squint": "expression_squint",
    "eyes_closed": "eyes_open",
    "mouth_sideways": "expression_mouth_sideways",
    "pucker": "expression_pucker",
    "cheek_puff": "expression_cheek_puff",
    "lips_apart": "expression_lips_apart",
    "frown": "expression_frown",
}
"""Live measure → the server's check (:func:`progress.quality.expression_checks`) it reproduces."""


class CaptureError(ProgressError):
    """What the camera component sent is not a usable photo."""

    code = "capture"


@dataclass(frozen=True, slots=True)
class GhostPlacement:
    """Where the baseline face sat in its photo, in units that survive a change of camera resolution.

    Attributes:
        eye_x: The eyes' midpoint, as a fraction of the photo's width.
        eye_y: The eyes' midpoint, as a fraction of its height.
        face_in_frame: Inter-pupillary distance divided by the photo's diagonal (``LightingSignature``'s).
        roll_deg: The line of the eyes' angle in the photo, degrees (counter-clockwise as seen).
    """

    eye_x: float
    eye_y: float
    face_in_frame: float
    roll_deg: float


@dataclass(frozen=True, slots=True)
class CapturedPhoto:
    """A still the camera component sent.

    Attributes:
        shot: Its number in this browser session (the component counts; the screen stores each once).
        data: The photo file's bytes (JPEG or PNG), with the capture time and device in its EXIF when JPEG.
        captured_at: Local capture time (naive), from the device's clock.
        device: The camera's label, as the browser names it ("" when the browser keeps it private).
        method: "takePhoto" (ImageCapture, the camera's full photo resolution) or "video-frame".
        width: Pixels across, as the component measured.
        height: Pixels down.
    """

    shot: int
    data: bytes
    captured_at: datetime
    device: str
    method: str
    width: int
    height: int


def component_settings(
    baseline: PhotoResult | None, ghost: GhostPlacement | None, *, shots_per_session: int = SHOTS_PER_SESSION
) -> dict[str, Any]:
    """Everything the component's checks are decided with, as JSON-ready values.

    Args:
        baseline: The client's baseline photo's result, or None on a first session.
        ghost: Where the baseline face sat in its photo (:func:`ghost_placement`), or None.
        shots_per_session: Photos to take in this session.
    """
    canonical = canonical_landmarks()
    pixels = canonical[:, :2] * CHECK_SCALE
    eye = pixels[[33, 133, 362, 263]].mean(axis=0)
    face_in_frame = baseline.lighting.face_in_frame if baseline is not None and baseline.lighting else None
    return {
        "thresholds": {
            "head_yaw": quality.HEAD_YAW_DEG[0],
            "head_pitch": quality.HEAD_PITCH_DEG[0],
            "head_roll": HEAD_ROLL_DEG,
            "smile": quality.SMILE[0],
            "jaw_open": quality.JAW_OPEN[0],
            "brows_raised": quality.BROWS_RAISED[0],
            "squint": quality.SQUINT[0],
            "eyes_closed": quality.EYES_CLOSED[0],
            "mouth_sideways": quality.MOUTH_SIDEWAYS[0],
            "pucker": quality.MOUTH_PUCKER[0],
            "cheek_puff": quality.CHEEK_PUFF[0],
            "lips_apart": quality.LIPS_APART[0],
            "frown": quality.FROWN[0],
            "sharpness": quality.SHARPNESS[0],
            "clipped_highlights": quality.CLIPPED_HIGHLIGHTS[0],
            "crushed_shadows": quality.CRUSHED_SHADOWS[0],
            "skin_highlight_luma": quality.SKIN_HIGHLIGHT_LUMA[0],
            "face_size_px": quality.FACE_SIZE_PX[0],
            "distance_change": quality.DISTANCE_CHANGE[0],
            "face_centre": FACE_CENTRE_TOLERANCE,
        },
        "geometry": {
            "rigid_basis": list(RIGID_BASIS),
            "canonical_basis_3d": canonical_face_vertices()[list(RIGID_BASIS)].tolist(),
            "canonical_basis_small": pixels[list(RIGID_BASIS)].tolist(),
            "check_size": [round(900 * CHECK_SCALE), round(1100 * CHECK_SCALE)],
            "iris": [IRIS_CENTER_RIGHT, IRIS_CENTER_LEFT],
            "eye_corners": [[LATERAL_CANTHUS[side], MEDIAL_CANTHUS[side]] for side in (Side.RIGHT, Side.LEFT)],
            "face_oval": list(FACE_OVAL),
            "skin_rois": [
                list(ROI_POLYGONS[name]) for name in (Region.FOREHEAD, Region.CHEEK_RIGHT, Region.CHEEK_LEFT)
            ],
            "ghost_eye_px": [float(eye[0]), float(eye[1])],
            "ghost_ipd_px": CANONICAL_INTER_PUPILLARY_PX * CHECK_SCALE,
            "field_of_view_deg": ASSUMED_FIELD_OF_VIEW_DEG,
            "eye_distance_cm": EYE_DISTANCE_CM,
        },
        "baseline": None
        if face_in_frame is None
        else {
            "face_in_frame": face_in_frame,
            "eye_x": ghost.eye_x if ghost else None,
            "eye_y": ghost.eye_y if ghost else None,
            "roll_deg": ghost.roll_deg if ghost else 0.0,
        },
        "first_session_eye_target": list(FIRST_SESSION_EYE_TARGET),
        "steady_seconds": STEADY_SECONDS,
        "rearm_seconds": REARM_SECONDS,
        "shots_per_session": shots_per_session,
    }


def ghost_placement(transform: np.ndarray, photo_size: tuple[int, int]) -> GhostPlacement:
    """Where the baseline face sat in its photo, from its alignment (photo → canonical similarity).

    Args:
        transform: The baseline's ``AlignedFace.transform``, float (2, 3).
        photo_size: (width, height) of the baseline photo.
    """
    canonical = canonical_landmarks()
    eye = canonical[[33, 133, 362, 263], :2].mean(axis=0)
    inverse = np.linalg.inv(np.vstack([np.asarray(transform, dtype=np.float64), (0.0, 0.0, 1.0)]))[:2]
    eye_in_photo = inverse[:, :2] @ eye + inverse[:, 2]
    scale = float(np.hypot(*inverse[:, 0]))  # photo pixels per canonical pixel
    width, height = photo_size
    return GhostPlacement(
        eye_x=float(eye_in_photo[0] / width),
        eye_y=float(eye_in_photo[1] / height),
        face_in_frame=CANONICAL_INTER_PUPILLARY_PX * scale / math.hypot(width, height),
        roll_deg=-math.degrees(math.atan2(inverse[1, 0], inverse[0, 0])),
    )


def baseline_photo_id(store: Store, client_id: int) -> int | None:
    """The id of the photo :func:`progress.practice.baseline_result` reads: the client's first usable photo that
    was not left out (its ghost is drawn over the live preview)."""
    analyses = store.latest_analyses(client_id)
    for record in store.sessions(client_id):
        for photo in store.photos(record.id):
            analysis = analyses.get(photo.id)
            if not photo.excluded and analysis is not None and analysis.error is None:
                return photo.id
    return None


def photo_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a photo as it stands upright (EXIF orientation applied), from its header alone."""
    with open_picture(data, None) as picture:
        width, height = picture.size
        turned = picture.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    return (height, width) if turned else (width, height)


def ghost_image(aligned: AlignedFace) -> bytes:
    """The baseline's aligned face at the checks' scale (100 px between the eyes) as a PNG, transparent outside
    the face oval (softened edge), for the component to draw at the baseline's framing."""
    small = cv2.resize(aligned.image, None, fx=CHECK_SCALE, fy=CHECK_SCALE, interpolation=cv2.INTER_AREA)
    outline = np.round(aligned.landmarks[list(FACE_OVAL), :2] * CHECK_SCALE).astype(np.int32)
    alpha = np.zeros(small.shape[:2], dtype=np.uint8)
    cv2.fillPoly(alpha, [outline], 255)
    alpha = cv2.GaussianBlur(alpha, (0, 0), 3.0)
    buffer = io.BytesIO()
    Image.fromarray(np.dstack([small, alpha])).save(buffer, format="PNG")
    return buffer.getvalue()


def evaluate(measures: dict[str, float | None], thresholds: dict[str, float]) -> dict[str, bool]:
    """Which live checks pass, by the same rule as ``checks.js``'s ``evaluate`` (None: not measured, passes).

    Larger is worse for every measure but ``sharpness``, ``skin_highlight_luma`` and ``face_size_px``, which
    must reach their limit; a measure passes at its limit exactly, as in :mod:`progress.quality`.
    """
    at_least = {"sharpness", "skin_highlight_luma", "face_size_px"}
    verdicts = {}
    for name, value in measures.items():
        if value is None:
            verdicts[name] = True
        elif name in at_least:
            verdicts[name] = value >= thresholds[name]
        else:
            verdicts[name] = abs(value) <= thresholds[name]
    return verdicts


def reference_cases(landmarks: np.ndarray) -> dict[str, Any]:
    """Known cases for ``tests/js``: the settings, head poses of ``landmarks`` turned in 3-D (Python's
    ``head_pose`` of each), and values on both sides of every limit with Python's verdicts.

    Args:
        landmarks: (478, 3) landmarks of a real face in photo pixels.
    """
    settings = component_settings(None, None)
    poses = []
    centre = landmarks.mean(axis=0)
    for yaw, pitch, roll in ((0, 0, 0), (8, 0, 0), (-4, 3, 0), (0, -7, 2), (3, 6, -9), (-12, -2, 5)):
        rotation = _rotation(yaw, pitch, roll)
        turned = (landmarks - centre) @ rotation.T + centre
        pose = head_pose(turned)
        poses.append({"landmarks": turned.tolist(), "expected": [pose.yaw_deg, pose.pitch_deg, pose.roll_deg]})
    thresholds = settings["thresholds"]
    limits = []
    for name, limit in thresholds.items():
        for value in (limit * 0.98, limit, limit * 1.02, -limit * 1.02):
            measures: dict[str, float | None] = {name: value}
            limits.append({"name": name, "value": value, "expected": evaluate(measures, thresholds)[name]})
    generator = np.random.default_rng(17)
    expressions = []
    for _ in range(40):
        scores = {
            name: float(generator.uniform(0.0, generator.choice([0.2, 0.5, 1.0])))
            for name in quality.EXPRESSION_BLENDSHAPES
        }
        checks = {check.name: check for check in quality.expression_checks(scores)}
        expressions.append(
            {
                "scores": scores,
                "expected": {
                    live: {
                        "value": checks[server].value,
                        "limit": checks[server].limit,
                        "passes": checks[server].status is quality.Status.PASS,
                    }
                    for live, server in EXPRESSION_CHECKS.items()
                },
            }
        )
    return {"settings": settings, "poses": poses, "limits": limits, "expressions": expressions}


def decode_capture(value: object) -> CapturedPhoto:
    """The component's message for one shot, checked.

    Args:
        value: ``{"shot", "image" (a data: URL), "captured_at" (ISO local time), "device", "method", "width",
            "height"}`` as the component sends it.

    Raises:
        CaptureError: Anything missing, malformed, too large, or not a JPEG or PNG.
    """
    if not isinstance(value, dict):
        raise CaptureError("The camera sent nothing usable: take the photo again.")
    try:
        header, _, payload = str(value["image"]).partition(",")
        if not header.startswith("data:image/") or ";base64" not in header:
            raise CaptureError("The camera sent something that is not a photo: take the photo again.")
        if len(payload) * 3 // 4 > MAX_CAPTURE_BYTES:
            raise CaptureError("The camera's photo is larger than 50 MB: lower the camera's resolution.")
        data = base64.b64decode(payload, validate=True)
        captured_at = datetime.fromisoformat(str(value["captured_at"])).replace(tzinfo=None)
        shot, width, height = int(value["shot"]), int(value.get("width", 0)), int(value.get("height", 0))
    except (KeyError, ValueError, TypeError, binascii.Error) as error:
        raise CaptureError("The camera's photo arrived damaged: take the photo again.") from error
    if not (data.startswith(b"\xff\xd8") or data.startswith(b"\x89PNG")):
        raise CaptureError("The camera sent something that is not a JPEG or PNG photo: take the photo again.")
    device = str(value.get("device") or "")[:120]
    data = with_capture_exif(data, captured_at, device)
    return CapturedPhoto(shot, data, captured_at, device, str(value.get("method") or ""), width, height)


def with_capture_exif(data: bytes, captured_at: datetime, device: str) -> bytes:
    """A JPEG's or PNG's bytes with EXIF saying when and with what it was taken (pixels untouched).

    Browsers write no EXIF into the stills they encode; this adds DateTimeOriginal, Make ("progress capture") and
    Model (the camera's label) — in an APP1 segment right after a JPEG's start-of-image marker, or in an eXIf
    chunk right after a PNG's header chunk — so the photo is read and stored like one from a phone. A file that
    already carries EXIF is returned unchanged.
    """
    exif = Image.Exif()
    exif[0x010F] = "progress capture"  # Make
    exif[0x0110] = device or "browser camera"  # Model
    exif[0x0132] = captured_at.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
    exif.get_ifd(0x8769)[36867] = captured_at.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    block = exif.tobytes()
    tiff = block[6:] if block.startswith(b"Exif\x00\x00") else block
    if data.startswith(b"\xff\xd8") and b"Exif\x00\x00" not in data[:65536]:
        segment = b"Exif\x00\x00" + tiff
        return data[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + data[2:]
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and b"eXIf" not in data:
        end_of_header = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4
        chunk = struct.pack(">I", len(tiff)) + b"eXIf" + tiff + struct.pack(">I", zlib.crc32(b"eXIf" + tiff))
        return data[:end_of_header] + chunk + data[end_of_header:]
    return data


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """A rotation of landmarks in photo axes (x right, y down, z away) by yaw, pitch and roll in degrees."""
    a, b, c = (math.radians(v) for v in (yaw, pitch, roll))
    about_y = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    about_x = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    about_z = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    return np.asarray(about_z @ about_x @ about_y, dtype=np.float64)
