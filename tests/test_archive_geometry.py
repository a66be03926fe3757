"""An export carries each photo's stored face geometry (landmarks and transform of its latest analysis), so an
imported client's before/after, time-lapse and report need no landmark search; damaged geometry is refused."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import encode

from progress import FaceLandmarker
from progress.errors import InvalidExportError
from progress.landmarks import Detection
from progress.practice import aligned_photo, store_and_analyze
from progress.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(data_folder=tmp_path / "practice") as opened:
        yield opened


@pytest.fixture
def exported(store: Store, landmarker: FaceLandmarker, client_photo: np.ndarray) -> tuple[bytes, np.ndarray]:
    """A one-photo client's export, and the photo's stored canonical landmarks."""
    client = store.create_client("G-1")
    session = store.add_session(client.id)
    store_and_analyze(store, landmarker, session.id, [("a.jpg", encode(client_photo, quality=92))])
    photo = store.photos(session.id)[0]
    analysis = store.latest_analysis(photo.id)
    assert analysis is not None and analysis.landmarks is not None
    data = store.export_client(client.id)
    store.delete_client(client.id)
    return data, analysis.landmarks


def test_an_imported_client_is_aligned_from_its_exported_geometry_without_the_landmarker(
    store: Store,
    landmarker: FaceLandmarker,
    exported: tuple[bytes, np.ndarray],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, landmarks = exported
    client = store.import_client(data)
    photo = store.photos(store.sessions(client.id)[0].id)[0]
    calls = []
    detect = FaceLandmarker.detect

    def counted(self: FaceLandmarker, image: np.ndarray, **options: Any) -> Detection:
        calls.append(image.shape)
        return detect(self, image, **options)

    monkeypatch.setattr(FaceLandmarker, "detect", counted)
    aligned = aligned_photo(store, landmarker, photo.id)
    assert aligned is not None and calls == []
    np.testing.assert_array_equal(aligned.landmarks, landmarks)


def _tampered(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The export with ``change`` applied to the first photo's latest analysis geometry in client.json."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "client.json":
                document = json.loads(content)
                change(document["sessions"][0]["photos"][0]["analyses"][-1]["geometry"])
                content = json.dumps(document).encode()
            target.writestr(info, content)
    return output.getvalue()


def _short(geometry: dict[str, Any]) -> None:
    geometry["landmarks"] = base64.b64encode(base64.b64decode(geometry["landmarks"])[:-4]).decode()


def _not_a_number(geometry: dict[str, Any]) -> None:
    points = np.frombuffer(base64.b64decode(geometry["landmarks"]), dtype="<f4").copy()
    points[7] = np.nan
    geometry["landmarks"] = base64.b64encode(points.tobytes()).decode()


DAMAGE: dict[str, Callable[[dict[str, Any]], None]] = {
    "landmarks one number short": _short,
    "a landmark not a number": _not_a_number,
    "landmarks not base64": lambda geometry: geometry.update(landmarks="not base64!"),
    "five transform numbers": lambda geometry: geometry.update(transform=geometry["transform"][:5]),
    "a transform number as text": lambda geometry: geometry["transform"].__setitem__(0, "1.0"),
    "an extra key": lambda geometry: geometry.update(extra=1),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_geometry_is_refused_and_nothing_is_imported(
    store: Store, exported: tuple[bytes, np.ndarray], damage: str
) -> None:
    with pytest.raises(InvalidExportError, match="geometry"):
        store.import_client(_tampered(exported[0], DAMAGE[damage]))
    assert store.list_clients() == []
