"""progress: local-first before/after photo progress analysis for facial treatments.

Photo coordinates everywhere in the package: x = column (rightward), y = row (downward), in pixels of the
upright photo (or of the canonical frame, for aligned faces); see :mod:`progress.landmarks` and
:mod:`progress.align`. "Right" and "left" of the face are the client's own.
"""

from progress.align import CANONICAL_INTER_PUPILLARY_PX, CANONICAL_SIZE, AlignedFace, HeadPose
from progress.analysis import FaceSummary, PhotoResult, analyze_photo, analyze_photos, compare_with_baseline
from progress.errors import (
    ArchiveError,
    DuplicatePhotoError,
    ImageTooLargeError,
    ImageTooSmallError,
    ModelFileError,
    NoFaceError,
    NotAnImageError,
    NotFoundError,
    ProgressError,
    StoredPhotoError,
    StoreError,
    StoreOpenError,
    TruncatedImageError,
)
from progress.ingest import Photo, read_photo
from progress.landmarks import FaceLandmarker
from progress.quality import Check, Status

__all__ = [
    "CANONICAL_INTER_PUPILLARY_PX",
    "CANONICAL_SIZE",
    "AlignedFace",
    "ArchiveError",
    "Check",
    "DuplicatePhotoError",
    "FaceLandmarker",
    "FaceSummary",
    "HeadPose",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "ModelFileError",
    "NoFaceError",
    "NotAnImageError",
    "NotFoundError",
    "Photo",
    "PhotoResult",
    "ProgressError",
    "Status",
    "StoreError",
    "StoreOpenError",
    "StoredPhotoError",
    "TruncatedImageError",
    "analyze_photo",
    "analyze_photos",
    "compare_with_baseline",
    "read_photo",
]
