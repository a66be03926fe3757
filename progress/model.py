"""The bundled face model: locate it, verify it, and read MediaPipe's canonical face from it.

The model bundle ``models/face_landmarker.task`` is a zip holding the detector, the landmark and blendshape
networks, and ``geometry_pipeline_metadata_landmarks.binarypb``: the canonical face mesh (468 vertices, in
centimetres, x to the viewer's right, y up, z toward the viewer) that MediaPipe's own geometry pipeline uses.
This module reads that mesh with a ten-line protobuf wire-format reader, so the canonical face and the model
are one file and cannot drift apart. It does not import mediapipe.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np

from progress.errors import ModelFileError

__all__ = ["BUNDLED_MODEL_PATH", "BUNDLED_MODEL_SHA256", "canonical_face_vertices", "read_model"]

BUNDLED_MODEL_PATH = Path(__file__).parent / "models" / "face_landmarker.task"
BUNDLED_MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
_GEOMETRY_ENTRY = "geometry_pipeline_metadata_landmarks.binarypb"
_CANONICAL_VERTEX_COUNT = 468


def read_model(path: Path | None = None, *, expected_sha256: str | None = None) -> bytes:
    """Read a face-landmarker ``.task`` file and verify its checksum.

    Args:
        path: The model file; ``None`` means the bundled model.
        expected_sha256: Hex digest to verify against. Defaults to the bundled model's digest when ``path``
            is ``None``; a user-chosen file is verified only when a digest is given.

    Returns:
        The file's bytes.

    Raises:
        ModelFileError: The file is missing, unreadable or does not match the digest.
    """
    if path is None:
        path = BUNDLED_MODEL_PATH
        expected_sha256 = expected_sha256 or BUNDLED_MODEL_SHA256
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ModelFileError(f"The face model file cannot be read: {path} ({error.strerror}).") from error
    if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256.lower():
        raise ModelFileError(
            f"The face model file {path} is not the expected one (checksum mismatch): "
            "reinstall progress or point it at the right file."
        )
    return data


@lru_cache(maxsize=1)
def canonical_face_vertices() -> np.ndarray:
    """MediaPipe's canonical face mesh, read from the bundled model.

    Returns:
        float64 array of shape (468, 3): canonical vertices in centimetres, x to the viewer's right,
        y up, z toward the viewer (the face's own right eye has negative x). Read-only.
    """
    with zipfile.ZipFile(BUNDLED_MODEL_PATH) as bundle:
        metadata = bundle.read(_GEOMETRY_ENTRY)
    mesh = next(value for number, value in _protobuf_fields(metadata) if number == 1)
    assert isinstance(mesh, bytes)
    floats = [
        struct.unpack("<f", value)[0]
        for number, value in _protobuf_fields(mesh)
        if number == 3 and isinstance(value, bytes)
    ]
    vertices = np.asarray(floats, dtype=np.float64).reshape(-1, 5)[:, :3]  # x, y, z, u, v per vertex
    if vertices.shape[0] != _CANONICAL_VERTEX_COUNT:
        raise ModelFileError("The face model's canonical mesh has an unexpected size.")
    vertices.flags.writeable = False
    return vertices


def _protobuf_fields(buffer: bytes) -> Iterator[tuple[int, bytes | int]]:
    """Yield (field number, value) of a protobuf message: varints as int, others as raw bytes."""
    position = 0
    while position < len(buffer):
        key, position = _varint(buffer, position)
        wire_type = key & 7
        if wire_type == 0:
            value, position = _varint(buffer, position)
            yield key >> 3, value
            continue
        if wire_type == 2:
            length, position = _varint(buffer, position)
        else:
            length = {1: 8, 5: 4}[wire_type]
        yield key >> 3, buffer[position : position + length]
        position += length


def _varint(buffer: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buffer[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, position
