"""Real recordings of one sitting, read as repeat photos: the material the noise defaults and the verdict
validation are measured on.

``../shared/captures/repeat_sittings/*.mp4`` (beside the checkout; ``../shared/captures/MANIFEST.md`` says what
each clip is and why it must never be copied into the project) are continuous recordings of one person in one
sitting. Every ``step``-th frame is analysed like a photo (:func:`progress.analysis.analyze_photo`, the frame
handed over losslessly as PNG) and kept as a :class:`~progress.analysis.PhotoResult` without pixels.

Analyses are cached as JSON in a temporary folder keyed by a hash of the pipeline's source files and the face
model (taken once per process), so a re-run after a pipeline change measures again and an unchanged pipeline is
read back in seconds. ``PROGRESS_CAPTURE_CACHE`` names another cache folder (used as is, no key).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from progress.analysis import PhotoResult, analyze_photo
from progress.errors import ProgressError
from progress.quality import Status

__all__ = [
    "POSE_EXPRESSION_CHECKS",
    "SHARED_CAPTURES",
    "clip_results",
    "clips",
    "frame_count",
    "pose_and_expression_pass",
    "read_frames",
]

SHARED_CAPTURES = Path(__file__).resolve().parents[1].parent / "shared" / "captures" / "repeat_sittings"
"""Where the real recordings are: ``../shared/captures/repeat_sittings`` beside the checkout (may be absent)."""
POSE_EXPRESSION_CHECKS = (
    "head_yaw",
    "head_pitch",
    "expression_smile",
    "expression_jaw_open",
    "expression_brows_raised",
    "expression_squint",
    "eyes_open",
    "expression_mouth_sideways",
    "expression_pucker",
    "expression_cheek_puff",
    "expression_lips_apart",
    "expression_frown",
)
"""A frame counts as a repeat photo only when none of these fails (a talking face: the mouth moves)."""
_PIPELINE = (
    "analysis",
    "align",
    "chart",
    "colour",
    "contour",
    "geometry",
    "ingest",
    "landmarks",
    "model",
    "pictures",
    "quality",
    "regions",
    "ridges",
    "skin",
)
"""The modules whose code makes a frame's analysis (with ``landmark_indices.json``): the cache key hashes them."""


def clips(folder: Path = SHARED_CAPTURES) -> list[Path]:
    """The recordings in ``folder``, sorted by name (empty when the folder is absent)."""
    return sorted(folder.glob("*.mp4")) if folder.is_dir() else []


def pose_and_expression_pass(photo: PhotoResult) -> bool:
    """True when the photo was analysed and none of :data:`POSE_EXPRESSION_CHECKS` failed."""
    return photo.ok and not any(c.name in POSE_EXPRESSION_CHECKS and c.status is Status.FAIL for c in photo.checks)


def clip_results(video: Path, frames: Sequence[int], *, cache: Path | None = None) -> list[PhotoResult]:
    """Analyse the given frame indices of one recording (cached).

    Args:
        video: An ``.mp4`` file.
        frames: 0-based frame indices, in the order wanted (indices beyond the clip are skipped).
        cache: Cache folder (default: ``PROGRESS_CAPTURE_CACHE``, else ``<temp>/progress-captures/<pipeline
            hash>``).

    Returns:
        One result per readable frame, ``path`` = ``"<clip stem>#<frame index>"``; a frame without a usable face
        carries its error.
    """
    pinned = os.environ.get("PROGRESS_CAPTURE_CACHE")
    folder = cache or (Path(pinned) if pinned else Path(tempfile.gettempdir()) / "progress-captures" / _pipeline_key())
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / f"{video.stem}.json"
    known: dict[str, dict[str, object]] = json.loads(store.read_text()) if store.exists() else {}
    wanted = [index for index in frames if str(index) not in known]
    if wanted:
        known |= _analyse_frames(video, set(wanted))
        temporary = store.with_suffix(f".{os.getpid()}.tmp")  # parallel test workers may analyse the same clip
        temporary.write_text(json.dumps(known))
        temporary.replace(store)
    return [PhotoResult.from_dict(known[str(index)]) for index in frames if str(index) in known]


def frame_count(video: Path) -> int:
    """The number of frames a recording's container states."""
    capture = cv2.VideoCapture(str(video))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def read_frames(video: Path, indices: Iterable[int]) -> Iterator[tuple[int, np.ndarray]]:
    """The wanted frames of a recording as (0-based index, BGR uint8 (H, W, 3)), in clip order: decoded once,
    front to back, stopping after the last wanted frame (indices beyond the clip are skipped)."""
    wanted = set(indices)
    capture = cv2.VideoCapture(str(video))
    try:
        index = 0
        while wanted:
            ok, frame = capture.read()
            if not ok:
                break
            if index in wanted:
                wanted.discard(index)
                yield index, frame
            index += 1
    finally:
        capture.release()


def _analyse_frames(video: Path, wanted: set[int]) -> dict[str, dict[str, object]]:
    from progress.landmarks import FaceLandmarker

    found: dict[str, dict[str, object]] = {}
    with FaceLandmarker() as landmarker:
        for index, frame in read_frames(video, wanted):
            name = f"{video.stem}#{index}"
            data = cv2.imencode(".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, 1])[1].tobytes()
            try:
                result = analyze_photo(data, landmarker, name=name)
            except ProgressError as error:
                result = PhotoResult(path=name, error=error)
            found[str(index)] = result.to_dict()
    return found


@cache
def _pipeline_key() -> str:
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for name in _PIPELINE:
        digest.update((root / f"{name}.py").read_bytes())
    digest.update((root / "landmark_indices.json").read_bytes())
    model = root / "models" / "face_landmarker.task"
    digest.update(str(model.stat().st_size if model.exists() else 0).encode())
    return digest.hexdigest()[:16]
