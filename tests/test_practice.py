"""The practice layer on a real store: uploads, the baseline later photos are measured against, the series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import encode

from progress import FaceLandmarker
from progress.practice import baseline_result, client_series, store_and_analyze
from progress.store import Store


def test_later_photos_are_measured_against_the_stored_baseline(
    tmp_path: Path, landmarker: FaceLandmarker, client_photo: np.ndarray
) -> None:
    with Store(data_folder=tmp_path) as store:
        client = store.create_client("B-001", consent_clinical=True)
        first = store.add_session(client.id)
        (outcome,) = store_and_analyze(store, landmarker, first.id, [("a.jpg", encode(client_photo))])
        baseline = baseline_result(store, client.id)
        assert baseline is not None  # rebuilt from the stored analysis, not analysed again
        assert baseline.lighting == outcome.result.lighting
        assert baseline.skin_reference == outcome.result.skin_reference
        later = store.add_session(client.id)
        (again,) = store_and_analyze(store, landmarker, later.id, [("b.jpg", encode(client_photo, quality=85))],
                                     baseline=baseline)
        distance = next(c for c in again.result.checks if c.name == "camera_distance_change")
        assert distance.value < 0.01  # the same framing as the baseline
        assert again.result.skin_reference == baseline.skin_reference  # the red-area threshold stays fixed
        (bad,) = store_and_analyze(store, landmarker, later.id, [("notes.jpg", b"not a photo")])
        assert bad.photo_id is None and bad.result.error is not None  # reported, not stored
        series = client_series(store, client.id)
        assert [len(s.photos) for s in series.sessions] == [1, 1]
