"""Typed errors: every refusal the practitioner can meet, under one base class.

Hierarchy::

    ProgressError                   base: str(error) is a sentence for the practitioner
    ├── NotAnImageError             empty file, not a regular file, or content no supported decoder recognises
    │   └── UnsupportedFormatError  a picture, but in a format that is not a supported photo format (GIF, PSD, ...)
    ├── TruncatedImageError         the file stops before the picture does
    ├── ImageTooLargeError          over the pixel or byte limit (decompression-bomb guard)
    ├── ImageTooSmallError          shorter side under the minimum
    ├── NoFaceError                 the face landmarker found no face
    ├── ModelFileError              the bundled or chosen model file is missing or altered
    └── StoreError                  base of the practice records' refusals (:mod:`progress.store`)
        ├── StoreOpenError          the records database cannot be opened, or is newer than this version
        ├── NotFoundError           no client, session or photo with that id (perhaps just deleted)
        ├── DuplicatePhotoError     the same photo (same bytes) is already in that session
        ├── StoredPhotoError        a stored photo's copy is missing or no longer matches its hash
        ├── InvalidRecordError      a value the records cannot keep (too long, NUL, out of range); also a ValueError
        └── ArchiveError            the file is not a client export of this program, or it is damaged
            ├── UnsafeArchiveError  the zip is built to harm (zip slip, bomb, encrypted, lying sizes, symlinks)
            └── InvalidExportError  the zip is safe, but its client.json or photos are not what an export holds

Each class carries a stable ``code`` used in JSON output, so scripts need not parse messages.
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "DuplicatePhotoError",
    "ImageTooLargeError",
    "ImageTooSmallError",
    "InvalidExportError",
    "InvalidRecordError",
    "ModelFileError",
    "NoFaceError",
    "NotAnImageError",
    "NotFoundError",
    "ProgressError",
    "StoreError",
    "StoreOpenError",
    "StoredPhotoError",
    "TruncatedImageError",
    "UnsafeArchiveError",
    "UnsupportedFormatError",
]


class ProgressError(Exception):
    """Base of every error this package raises on purpose."""

    code = "progress_error"


class NotAnImageError(ProgressError):
    """The bytes are not a photo in a supported format."""

    code = "not_an_image"


class UnsupportedFormatError(NotAnImageError):
    """The file is a picture, but not in a supported photo format (PostScript, PDF, GIF, BMP, PSD, ICO, ...):
    it is refused by its content, without being decoded."""

    code = "unsupported_format"


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


class StoreError(ProgressError):
    """Base of the practice records' refusals: catch it to handle any of them."""

    code = "store"


class StoreOpenError(StoreError):
    """The records database cannot be reached or opened, or a newer version of progress has changed it."""

    code = "store_open"


class NotFoundError(StoreError):
    """No client, session or photo has that id (it may have just been deleted by another window or seat)."""

    code = "not_found"


class DuplicatePhotoError(StoreError):
    """The same photo (identical bytes) is already in that session; it was not stored again.

    Attributes:
        photo_id: The id of the photo already stored.
    """

    code = "duplicate_photo"

    def __init__(self, message: str, *, photo_id: int) -> None:
        super().__init__(message)
        self.photo_id = photo_id


class StoredPhotoError(StoreError):
    """A stored photo's file is missing, or its bytes no longer match the hash recorded when it was stored."""

    code = "stored_photo"


class ArchiveError(StoreError):
    """The file is not a client export made by progress, is damaged, or is from a newer version."""

    code = "archive"


class InvalidRecordError(StoreError, ValueError):
    """A value the practice records cannot keep: too long, a hidden NUL character, a number or date out of range,
    or the wrong kind of value. Nothing was stored. (A ValueError too, for callers that catch those.)"""

    code = "invalid_record"


class UnsafeArchiveError(ArchiveError):
    """The zip file is built in a way a client export never is (encrypted, oddly compressed, far larger unpacked
    than packed, members with unsafe names, links or sizes that do not match); nothing was imported."""

    code = "unsafe_archive"


class InvalidExportError(ArchiveError):
    """The export's ``client.json`` or a photo in it is not what progress writes (a wrong kind of value, out of
    range, missing, or a photo that is not a readable picture); nothing was imported."""

    code = "invalid_export"
