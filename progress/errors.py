"""Typed errors: every refusal the practitioner can meet, under one base class.

Hierarchy::

    ProgressError                   base: str(error) is a sentence for the practitioner
    ├── NotAnImageError             empty file, or content that no supported decoder recognises
    ├── TruncatedImageError         the file stops before the picture does
    ├── ImageTooLargeError          over the pixel or byte limit (decompression-bomb guard)
    ├── ImageTooSmallError          shorter side under the minimum
    ├── NoFaceError                 the face landmarker found no face
    └── ModelFileError              the bundled or chosen model file is missing or altered

Each class carries a stable ``code`` used in JSON output, so scripts need not parse messages.
"""

from __future__ import annotations

__all__ = [
    "ImageTooLargeError",
    "ImageTooSmallError",
    "ModelFileError",
    "NoFaceError",
    "NotAnImageError",
    "ProgressError",
    "TruncatedImageError",
]


class ProgressError(Exception):
    """Base of every error this package raises on purpose."""

    code = "progress_error"


class NotAnImageError(ProgressError):
    """The bytes are not a photo in a supported format."""

    code = "not_an_image"


class TruncatedImageError(ProgressError):
    """The photo file is incomplete."""

    code = "truncated_image"


class ImageTooLargeError(ProgressError):
    """The photo exceeds the pixel-count or file-size limit."""

    code = "image_too_large"


class ImageTooSmallError(ProgressError):
    """The photo's shorter side is below the minimum."""

    code = "image_too_small"


class NoFaceError(ProgressError):
    """No face was found in the photo."""

    code = "no_face"


class ModelFileError(ProgressError):
    """The face model file is missing, unreadable or does not match its checksum."""

    code = "model_file"
