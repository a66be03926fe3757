"""A batch with hostile files in it (issue 12): each gets a typed refusal with a plain reason, no program is ever
started, and the good photo before and after every hostile one is analysed — through ``progress analyze`` and
through the app's upload path (:func:`progress.practice.store_and_analyze` on a real SQLite store)."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import address_space_headroom, encode, fifo_released, grey_tiff, psd

from progress import FaceLandmarker
from progress.cli import main
from progress.practice import store_and_analyze
from progress.store import Store

EPS_LOOP = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 400 400\n{ } loop\n"
EPS_ERROR = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 400 400\n/nosuchcommand cvx exec\n"


class _NoProcess:
    """Stands in for subprocess.Popen: starting any program (Ghostscript) fails the test."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError(f"a process was started while reading photos: {args[0] if args else kwargs}")


def _overlong_heic(image: np.ndarray) -> bytes:
    """A HEIC whose picture data claims 1000 bytes more than the file holds: libheif raised EOFError."""
    data = bytearray(encode(image, "HEIF", quality=90))
    payload = data.index(b"mdat") + 4
    data[payload : payload + 4] = (int.from_bytes(data[payload : payload + 4], "big") + 1000).to_bytes(4, "big")
    return bytes(data)


def _text_orientation_exif(text: bytes) -> bytes:
    """A raw EXIF block whose Orientation tag is ASCII text (which used to raise ValueError)."""
    field = text.ljust(4, b"\x00") if len(text) <= 4 else struct.pack("<I", 26)
    return (
        b"Exif\x00\x00II*\x00"
        + struct.pack("<IH", 8, 1)
        + struct.pack("<HHI", 0x0112, 2, len(text))
        + field
        + struct.pack("<I", 0)
        + (text if len(text) > 4 else b"")
    )


def _nan_orientation_exif() -> bytes:
    """A raw EXIF block whose Orientation tag is the RATIONAL 0/0 (NaN)."""
    return (
        b"Exif\x00\x00II*\x00"
        + struct.pack("<IH", 8, 1)
        + struct.pack("<HHII", 0x0112, 5, 1, 26)
        + struct.pack("<I", 0)
        + struct.pack("<II", 0, 0)
    )


def _hostile_files(face: np.ndarray) -> dict[str, tuple[bytes, str | None]]:
    """File name → (bytes, the refusal's code, or None when the photo must be read and analysed after all)."""
    grey = face.mean(axis=2)
    return {
        "eps_loop.jpg": (EPS_LOOP, "unsupported_format"),
        "eps_error.jpg": (EPS_ERROR, "unsupported_format"),
        "layers.jpg": (psd(face), "unsupported_format"),
        "animation.gif": (encode(face, "GIF"), "unsupported_format"),
        "damaged.heic": (_overlong_heic(face), "truncated_image"),
        "cut.jpg": (encode(face)[:5000], "truncated_image"),
        "notes.jpg": (b"Session 3: ST6, ST7, LI20.\n" * 40, "not_an_image"),
        "orientation_text.jpg": (encode(face, exif=_text_orientation_exif(b"upright\x00")), None),
        "orientation_nan.png": (encode(face, "PNG", exif=_nan_orientation_exif()), None),
        "grey32.tiff": (grey_tiff(np.round(grey * 16843009).astype(np.uint32), 1), None),
    }


@pytest.fixture(scope="module")
def face(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut at her own 512 px: small, but her face is found, which is all a batch needs."""
    return astronaut


def _good(face: np.ndarray, number: int) -> bytes:
    """The nth good photo: the same face at a different JPEG quality, so no two are the same file."""
    return encode(face, quality=70 + number)


@pytest.mark.model  # progress analyze runs the face model
def test_cli_batch_goes_through_hostile_files(
    face: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "Popen", _NoProcess)
    expected: list[tuple[Path, str | None]] = []
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)  # waits for a writer forever if opened for reading
    for number, (name, (data, code)) in enumerate(_hostile_files(face).items()):
        good = tmp_path / f"good_{number:02}.jpg"
        good.write_bytes(_good(face, number))
        (tmp_path / name).write_bytes(data)
        expected += [(good, None), (tmp_path / name, code)]
    last = tmp_path / "good_99.jpg"
    last.write_bytes(_good(face, 29))
    expected += [(pipe, "not_an_image"), (last, None)]
    if Path("/dev/zero").exists():
        expected += [(Path("/dev/zero"), "not_an_image"), (last, None)]  # reads without end if not refused
    out = io.StringIO()
    # Hang and memory guards: a FIFO opened for reading is released with an empty file (failing the wording
    # check below) and /dev/zero read without end stops at 3 GB more than the test process has now.
    with fifo_released(pipe), address_space_headroom(3 * 2**30):
        status = main(["analyze", "--json", *(str(path) for path, _ in expected)], out=out)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["path"] for r in results] == [str(path) for path, _ in expected]
    for (path, code), result in zip(expected, results, strict=True):
        if code is None:
            assert result["ok"], f"{path.name}: {result['error']}"
            assert result["metrics"], path.name
        else:
            assert result["error"]["type"] == code, f"{path.name}: {result['error']}"
            assert "Traceback" not in result["error"]["message"]
    pipe_result = results[[path for path, _ in expected].index(pipe)]
    assert "a device, a pipe or a socket" in pipe_result["error"]["message"]
    assert status == 1  # some photos could not be used


def test_upload_batch_goes_through_hostile_files(
    face: np.ndarray, tmp_path: Path, landmarker: FaceLandmarker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(subprocess, "Popen", _NoProcess)
    uploads: list[tuple[str, bytes]] = []
    codes: list[str | None] = []
    for number, (name, (data, code)) in enumerate(_hostile_files(face).items()):
        uploads += [(f"good_{number:02}.jpg", _good(face, number)), (name, data)]
        codes += [None, code]
    uploads.append(("good_99.jpg", _good(face, 29)))
    codes.append(None)
    with Store(f"sqlite:///{tmp_path / 'records.sqlite3'}", data_folder=tmp_path / "data") as store:
        client = store.create_client("H-012", consent_clinical=True)
        session = store.add_session(client.id)
        outcomes = store_and_analyze(store, landmarker, session.id, uploads)
        assert [o.filename for o in outcomes] == [name for name, _ in uploads]
        for outcome, code in zip(outcomes, codes, strict=True):
            if code is None:
                assert outcome.result.ok, f"{outcome.filename}: {outcome.result.error}"
                assert outcome.photo_id is not None and not outcome.duplicate
            else:
                assert outcome.result.error is not None and outcome.result.error.code == code, outcome.filename
                assert outcome.photo_id is None  # not a usable photo file: not stored
        stored = {photo.filename for photo in store.photos(session.id)}
        assert stored == {name for (name, _), code in zip(uploads, codes, strict=True) if code is None}
