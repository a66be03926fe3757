"""progress: local-first before/after photo progress analysis for facial treatments.

Photo coordinates everywhere in the package: x = column (rightward), y = row (downward), in pixels of the
upright photo (or of the canonical frame, for aligned faces); see :mod:`progress.landmarks` and
:mod:`progress.align`. "Right" and "left" of the face are the client's own.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from progress.align import CANONICAL_INTER_PUPILLARY_PX, CANONICAL_SIZE, AlignedFace, HeadPose
    from progress.analysis import FaceSummary, PhotoResult, analyze_photo, analyze_photos, compare_with_baseline
    from progress.errors import (
        ArchiveError,
        DuplicatePhotoError,
        ImageTooLargeError,
        ImageTooSmallError,
        InvalidExportError,
        InvalidRecordError,
        ModelFileError,
        NoFaceError,
        NotAnImageError,
        NotFoundError,
        ProgressError,
        StoredPhotoError,
        StoreError,
        StoreOpenError,
        TruncatedImageError,
        UnsafeArchiveError,
        UnsupportedFormatError,
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
    "InvalidExportError",
    "InvalidRecordError",
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
    "UnsafeArchiveError",
    "UnsupportedFormatError",
    "analyze_photo",
    "analyze_photos",
    "compare_with_baseline",
    "read_photo",
]

_WHERE = {
    "AlignedFace": "progress.align",
    "ArchiveError": "progress.errors",
    "CANONICAL_INTER_PUPILLARY_PX": "progress.align",
    "CANONICAL_SIZE": "progress.align",
    "Check": "progress.quality",
    "DuplicatePhotoError": "progress.errors",
    "FaceLandmarker": "progress.landmarks",
    "FaceSummary": "progress.analysis",
    "HeadPose": "progress.align",
    "ImageTooLargeError": "progress.errors",
    "ImageTooSmallError": "progress.errors",
    "UnsupportedFormatError": "progress.errors",
    "UnsafeArchiveError": "progress.errors",
    "InvalidRecordError": "progress.errors",
    "InvalidExportError": "progress.errors",
    "ModelFileError": "progress.errors",
    "NoFaceError": "progress.errors",
    "NotAnImageError": "progress.errors",
    "NotFoundError": "progress.errors",
    "Photo": "progress.ingest",
    "PhotoResult": "progress.analysis",
    "ProgressError": "progress.errors",
    "Status": "progress.quality",
    "StoreError": "progress.errors",
    "StoreOpenError": "progress.errors",
    "StoredPhotoError": "progress.errors",
    "TruncatedImageError": "progress.errors",
    "analyze_photo": "progress.analysis",
    "analyze_photos": "progress.analysis",
    "compare_with_baseline": "progress.analysis",
    "read_photo": "progress.ingest",
}
"""Where each public name lives: importing ``progress`` (or ``progress.errors``) loads neither OpenCV nor MediaPipe;
a name is imported from its module when first used."""


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'progress' has no attribute {name!r}")
