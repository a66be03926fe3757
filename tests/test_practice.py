"""The practice layer on a real store: uploads, the baseline later photos are measured against, the series."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from helpers import encode

from progress import FaceLandmarker
from progress.practice import (
    COMPARISON_WARNINGS,
    baseline_result,
    client_series,
    comparison_warnings,
    next_session_number,
    session_faces,
    set_representative,
    store_and_analyze,
    stored_elsewhere,
    upload_dates,
)
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
        (again,) = store_and_analyze(
            store, landmarker, later.id, [("b.jpg", encode(client_photo, quality=85))], baseline=baseline
        )
        distance = next(c for c in again.result.checks if c.name == "camera_distance_change")
        assert distance.value < 0.01  # the same framing as the baseline
        assert again.result.skin_reference == baseline.skin_reference  # the red-area threshold stays fixed
        (bad,) = store_and_analyze(store, landmarker, later.id, [("notes.jpg", b"not a photo")])
        assert bad.photo_id is None and bad.result.error is not None  # reported, not stored
        series = client_series(store, client.id)
        assert [len(s.photos) for s in series.sessions] == [1, 1]


def test_upload_dates_come_from_usable_photos_and_differing_days_are_listed(client_photo: np.ndarray) -> None:
    import cv2

    tiny = encode(cv2.resize(client_photo, (150, 150)))
    dates = upload_dates(
        [
            ("IMG_20251201_090000.jpg", tiny),
            ("IMG_20260105_100000.jpg", encode(client_photo)),
            ("IMG_20260107_100000.jpg", b"not a photo"),
        ]
    )
    assert dates.day == date(2026, 1, 5) and not dates.differ  # the refused files' dates are not used
    assert dates.refused == ("IMG_20251201_090000.jpg", "IMG_20260107_100000.jpg")
    three = upload_dates(
        [(f"IMG_2026010{day}_100000.jpg", encode(client_photo, quality=80 + day)) for day in (7, 5, 6)]
    )
    assert three.day == date(2026, 1, 5) and three.differ and len(three.days) == 3
    assert upload_dates([]).day is None


def test_sessions_are_represented_by_a_usable_photo(
    tmp_path: Path, landmarker: FaceLandmarker, client_photo: np.ndarray
) -> None:
    import cv2

    with Store(data_folder=tmp_path) as store:
        client = store.create_client("B-002")
        assert next_session_number(store, client.id) == 1
        first = store.add_session(client.id, number=1)
        store_and_analyze(store, landmarker, first.id, [("tiny.jpg", encode(cv2.resize(client_photo, (150, 150))))])
        second = store.add_session(client.id, number=4)
        a, b = store_and_analyze(
            store, landmarker, second.id, [("a.jpg", encode(client_photo)), ("b.jpg", encode(client_photo, quality=85))]
        )
        assert next_session_number(store, client.id) == 5
        faces = session_faces(store, client.id)
        assert [(record.id, photo.id) for record, photo in faces] == [(second.id, a.photo_id)]  # the tiny one skipped
        set_representative(store, second.id, b.photo_id)
        assert session_faces(store, client.id)[0][1].id == b.photo_id
        assert b.photo_id is not None
        store.set_photo_excluded(b.photo_id, True)
        assert session_faces(store, client.id)[0][1].id == a.photo_id  # a left-out photo never represents
        assert stored_elsewhere(store, client.id, [("again.jpg", encode(client_photo)), ("new.jpg", b"x")]) == {
            "again.jpg": 4
        }


def test_a_before_after_of_photos_taken_in_other_light_or_distance_says_so(
    tmp_path: Path, landmarker: FaceLandmarker, client_photo: np.ndarray
) -> None:
    darker = np.round(client_photo * 0.7).astype(np.uint8)  # the light changed: skin colour ΔE well over the limit
    with Store(data_folder=tmp_path) as store:
        client = store.create_client("B-003", consent_clinical=True)
        photo_ids: list[int] = []
        for name, image in (("a.jpg", client_photo), ("b.jpg", client_photo), ("c.jpg", darker)):
            session = store.add_session(client.id)
            upload = (name, encode(image, quality=90 + len(photo_ids)))  # distinct bytes: not a duplicate
            (outcome,) = store_and_analyze(store, landmarker, session.id, [upload])
            assert outcome.photo_id is not None
            photo_ids.append(outcome.photo_id)
        same, other = (comparison_warnings(store, client.id, photo_ids[0], later) for later in photo_ids[1:])
        assert same == ()
        assert COMPARISON_WARNINGS["lighting_change"] in other
