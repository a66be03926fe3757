"""The practice's work on top of the records: store and analyse a session's uploads, rebuild a client's series
from stored analyses (no photo is analysed again), re-align stored photos for pictures, and the demo client.

The Streamlit app calls only these functions and the store; nothing here draws or imports Streamlit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import cv2
import numpy as np

from progress import ingest
from progress.align import AlignedFace, align_face, aligned_from_stored
from progress.analysis import PhotoResult, analyze_photo
from progress.errors import (
    DuplicatePhotoError,
    ImageTooLargeError,
    InvalidRecordError,
    NotAnImageError,
    ProgressError,
    TruncatedImageError,
)
from progress.geometry import CANONICAL_SIZE, warp_into
from progress.landmarks import FaceLandmarker
from progress.quality import Status, baseline_checks
from progress.series import SeriesResult, Session, analyze_series
from progress.store import AnalysisRecord, ClientRecord, PhotoRecord, SessionRecord, Store

__all__ = [
    "ALGORITHM_VERSION",
    "COMPARISON_WARNINGS",
    "DEMO_CLIENT_FOLDER",
    "DEMO_CLIENT_NAME",
    "STORED_PX_PER_CANONICAL_PX",
    "PhotoExcludedError",
    "UploadDates",
    "UploadOutcome",
    "aligned_photo",
    "aligned_thumbnail",
    "baseline_result",
    "client_series",
    "comparison_warnings",
    "measure_again",
    "next_session_number",
    "open_demo_client",
    "outdated_photos",
    "photo_problem",
    "representative_key",
    "session_faces",
    "set_representative",
    "store_and_analyze",
    "stored_elsewhere",
    "upload_dates",
]

try:
    ALGORITHM_VERSION = f"progress {version('progress')}"
except PackageNotFoundError:  # pragma: no cover - running from a checkout that was never installed
    ALGORITHM_VERSION = "progress (checkout)"
DEMO_CLIENT_NAME = "Demo client (astronaut)"
DEMO_CLIENT_FOLDER = Path(__file__).resolve().parent / "demo_client"
"""The demo client's photos, inside the package (made by ``sample_images/make_samples.py``)."""
STORED_PX_PER_CANONICAL_PX = 1.0
"""A stored photo's aligned face is warped from at least this many decoded photo pixels per canonical pixel, so
a 12 MP JPEG whose face is at most half the canonical scale (s ≤ 0.5 canonical px per photo px) is decoded at
half size (≈ 50 instead of ≈ 100 ms here). A margin above 1 bought nothing measurable: on an 11 MP clinical
photo the aligned face from the half-size decode differs from the full decode's by 0.5–2 levels on average at
1.0, 1.1 and 1.25 photo px per canonical px alike."""
_NOT_PHOTOS = (NotAnImageError, TruncatedImageError, ImageTooLargeError)
"""Refusals that mean the upload is not a usable photo file at all: it is not stored."""


class PhotoExcludedError(ProgressError):
    """The practitioner left this photo out of the series."""

    code = "excluded"


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """What became of one uploaded file.

    Attributes:
        filename: As uploaded.
        photo_id: The stored photo, or None when the file was not stored.
        result: Its analysis (``error`` says why it cannot be used), with the aligned face for display.
        duplicate: The same file was already in this session (nothing new was stored).
    """

    filename: str
    photo_id: int | None
    result: PhotoResult
    duplicate: bool = False


def store_and_analyze(
    store: Store,
    landmarker: FaceLandmarker,
    session_id: int,
    uploads: Sequence[tuple[str, bytes]],
    *,
    baseline: PhotoResult | None = None,
) -> list[UploadOutcome]:
    """Store each uploaded photo, analyse it against the client's baseline, and save the analysis.

    One bad file never stops the rest: a file that is not a photo is reported and not stored; a photo that is
    stored but cannot be analysed (no face, ...) keeps its analysis with the reason.

    Args:
        store: The practice's records.
        landmarker: The shared landmarker.
        session_id: The session the photos belong to.
        uploads: (file name, bytes) pairs.
        baseline: The client's baseline photo's result (:func:`baseline_result`), or None for the first photos.

    Returns:
        One outcome per upload, in order.
    """
    outcomes = []
    for filename, data in uploads:
        try:
            result = analyze_photo(data, landmarker, name=filename, baseline=baseline)
        except ProgressError as error:
            result = PhotoResult(path=filename, error=error)
            if isinstance(error, _NOT_PHOTOS):
                outcomes.append(UploadOutcome(filename, None, result))
                continue
        try:
            record = store.add_photo(session_id, data, filename=filename, captured_at=result.captured_at)
        except DuplicatePhotoError as error:
            outcomes.append(UploadOutcome(filename, error.photo_id, result, duplicate=True))
            continue
        except InvalidRecordError as error:  # e.g. a file name the records cannot keep: said, and not stored
            outcomes.append(UploadOutcome(filename, None, PhotoResult(path=filename, error=error)))
            continue
        store.save_analysis(record.id, result, ALGORITHM_VERSION)
        outcomes.append(UploadOutcome(filename, record.id, result))
    return outcomes


def client_series(
    store: Store, client_id: int, *, primary: Sequence[str] = (), baseline_sessions: int | None = None
) -> SeriesResult:
    """The client's series from the stored analyses alone (fast: nothing is analysed again).

    Excluded photos take part as unusable, with the practitioner's reason, so they stay visible as such.
    ``baseline_sessions`` (sessions before the first treatment) defaults to the client's record.
    """
    analyses = store.latest_analyses(client_id)
    sessions = []
    for record in store.sessions(client_id):
        photos = []
        for photo in store.photos(record.id):
            analysis = analyses.get(photo.id)
            label = photo.filename or f"photo {photo.id}"
            if photo.excluded:
                reason = f"Left out by the practitioner{': ' + photo.excluded_reason if photo.excluded_reason else ''}."
                photos.append(PhotoResult(path=label, error=PhotoExcludedError(reason), captured_at=photo.captured_at))
            elif analysis is not None:
                photos.append(analysis.to_photo_result(path=label, captured_at=photo.captured_at))
        sessions.append(Session(label=_session_label(record), day=record.day, photos=tuple(photos)))
    baseline = baseline_sessions or store.client(client_id).baseline_sessions
    return analyze_series(sessions, primary=primary, baseline_sessions=baseline)


def outdated_photos(store: Store, client_id: int) -> list[int]:
    """The client's photos whose newest analysis was made by another version of the analysis (or that have none):
    their numbers may not compare with those of this version."""
    analyses = store.latest_analyses(client_id)
    return [
        photo.id
        for record in store.sessions(client_id)
        for photo in store.photos(record.id)
        if (analysis := analyses.get(photo.id)) is None or analysis.algorithm_version != ALGORITHM_VERSION
    ]


def measure_again(store: Store, landmarker: FaceLandmarker, client_id: int) -> int:
    """Analyse every photo of the client again with this version, in session order, the first usable photo of the
    first session being the baseline (as when they were added); all the new analyses are saved in one transaction,
    so the old ones stay in use until every photo is done. Returns how many photos were analysed."""
    results: list[tuple[int, PhotoResult]] = []
    baseline: PhotoResult | None = None
    for record in store.sessions(client_id):
        for photo in store.photos(record.id):
            name = photo.filename or f"photo {photo.id}"
            try:
                result = analyze_photo(store.photo_bytes(photo.id), landmarker, name=name, baseline=baseline)
            except ProgressError as error:
                result = PhotoResult(path=name, error=error)
            if baseline is None and result.ok and not photo.excluded:
                baseline = result
            results.append((photo.id, result))
    store.save_analyses(results, ALGORITHM_VERSION)
    return len(results)


def baseline_result(store: Store, client_id: int) -> PhotoResult | None:
    """The client's baseline — the first usable, not excluded photo of their first session — as stored: its
    lighting, framing and skin constants, which later photos are compared with (nothing is analysed again)."""
    analyses = store.latest_analyses(client_id)
    for record in store.sessions(client_id):
        for photo in store.photos(record.id):
            analysis = analyses.get(photo.id)
            if photo.excluded or analysis is None or analysis.error is not None:
                continue
            return analysis.to_photo_result(path=photo.filename, captured_at=photo.captured_at)
    return None


def aligned_photo(store: Store, landmarker: FaceLandmarker, photo_id: int) -> AlignedFace | None:
    """A stored photo aligned to the canonical frame (for before/after pictures, the time-lapse and the report).

    The photo is decoded — a large JPEG only as finely as the canonical frame needs (:func:`_decoded_for`) — and
    warped by the transform stored with its newest analysis, with the landmarks stored there: the landmark
    network does not run. Only when that analysis is of another algorithm version (or was saved before landmarks
    were stored) is the photo decoded in full and the face searched for again. None when there is no face.
    """
    analysis = _current_analysis(store, photo_id)
    data = store.photo_bytes(photo_id)
    if analysis is not None and analysis.landmarks is not None and analysis.transform is not None:
        stored = np.asarray(analysis.transform, dtype=np.float64).reshape(2, 3)
        image, transform = _decoded_for(data, stored)
        warped = aligned_from_stored(image, analysis.landmarks, transform)
        return replace(warped, transform=stored, scale=float(np.hypot(*stored[:, 0])))  # as if decoded in full
    photo = ingest.read_photo(data)  # decoded first, as before: a damaged copy is refused even without a face
    if analysis is not None and not analysis.ok:
        return None  # this algorithm found no usable face in it
    face = landmarker.detect(photo.image).face
    return None if face is None else align_face(photo.image, face.landmarks)


def aligned_thumbnail(store: Store, landmarker: FaceLandmarker, photo_id: int, width: int) -> np.ndarray | None:
    """A stored photo's aligned face ``width`` pixels wide (the canonical frame scaled by width / 900): uint8 RGB
    (round(1100 · width / 900), width, 3), or None when there is no face.

    With the landmarks and transform of its newest analysis, a JPEG is decoded only as finely as the small
    picture needs (a 12 MP photo at 1/8 size for a 120 px thumbnail) and warped straight into it: neither the
    full photo nor the full aligned face is made. Otherwise it is :func:`aligned_photo` shrunk (area average).
    """
    analysis = _current_analysis(store, photo_id)
    zoom = width / CANONICAL_SIZE[0]
    size = (width, round(CANONICAL_SIZE[1] * zoom))
    if analysis is not None and analysis.landmarks is not None and analysis.transform is not None:
        transform = np.asarray(analysis.transform, dtype=np.float64).reshape(2, 3) * zoom
        transform[:, 2] += 0.5 * zoom - 0.5  # pixel centres: canonical c is thumbnail (c + ½)·zoom − ½
        return warp_into(*_decoded_for(store.photo_bytes(photo_id), transform), size)
    face = aligned_photo(store, landmarker, photo_id)
    return None if face is None else np.asarray(cv2.resize(face.image, size, interpolation=cv2.INTER_AREA))


def _current_analysis(store: Store, photo_id: int) -> AnalysisRecord | None:
    """The photo's newest analysis when this algorithm version made it (another version's face is not used)."""
    analysis = store.latest_analysis(photo_id)
    return analysis if analysis is not None and analysis.algorithm_version == ALGORITHM_VERSION else None


def _decoded_for(data: bytes, transform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A stored photo decoded only as finely as a warp by ``transform`` needs, and the warp on its pixels.

    With s = ‖first column of ``transform``‖ target pixels per photo pixel (float64 (2, 3), full-resolution photo
    pixels → target pixels), a JPEG is decoded at a DCT scale 1/k ≥ s · :data:`STORED_PX_PER_CANONICAL_PX`
    (k = 1, 2, 4 or 8; :func:`progress.ingest.read_photo` ``at_least``), so every target pixel still has at least
    that many decoded pixels under it.

    Returns:
        (uint8 (H, W, 3) decoded photo, float64 (2, 3) ``transform`` re-expressed on its pixels
        (:meth:`progress.ingest.Photo.decoded_transform`)).
    """
    scale = float(np.hypot(*transform[:, 0]))
    photo = ingest.read_photo(data, at_least=min(1.0, scale * STORED_PX_PER_CANONICAL_PX))
    return photo.image, photo.decoded_transform(transform)


def open_demo_client(store: Store, landmarker: FaceLandmarker, folder: Path = DEMO_CLIENT_FOLDER) -> ClientRecord:
    """The demo client, made from ``folder`` (:data:`DEMO_CLIENT_FOLDER`) the first time — one session a photo,
    dated from the photos' names — and simply returned after that."""
    existing = next((c for c in store.list_clients(DEMO_CLIENT_NAME) if c.name == DEMO_CLIENT_NAME), None)
    if existing is not None:
        return existing
    client = store.create_client(
        DEMO_CLIENT_NAME,
        consent_clinical=True,
        skin_notes="Simulated series: cheek redness fading over 8 sessions (see sample_images/README.md).",
    )
    baseline = None
    for number, path in enumerate(sorted(folder.glob("*.jpg")), start=1):
        day = ingest.capture_time_from_name(path.name)
        session = store.add_session(
            client.id,
            day=day.date() if day else date.today(),
            number=number,
            treatment_notes="Demo session",
            capture_notes="Simulated photo",
        )
        outcome = store_and_analyze(store, landmarker, session.id, [(path.name, path.read_bytes())], baseline=baseline)[
            0
        ]
        baseline = baseline or (outcome.result if outcome.result.ok else None)
    return client


@dataclass(frozen=True, slots=True)
class UploadDates:
    """The capture dates of a session's uploads, from the files that look like usable photos.

    Attributes:
        day: The date to pre-fill (the earliest of ``days``), or None when no usable file carries one.
        days: Every distinct capture date among the usable files, in order.
        refused: Names of files that cannot be used (not a picture, or under the minimum size): their dates,
            if any, are ignored.
    """

    day: date | None
    days: tuple[date, ...]
    refused: tuple[str, ...]

    @property
    def differ(self) -> bool:
        """The usable photos were taken on different days."""
        return len(self.days) > 1


def upload_dates(files: Sequence[tuple[str, bytes]]) -> UploadDates:
    """The dates of uploads (file name, bytes), reading only the files' headers (nothing is decoded; only the
    supported photo decoders are tried)."""
    days: set[date] = set()
    refused = []
    for name, data in files:
        size = ingest.photo_size(data)
        small = size is None or min(size) < ingest.MIN_SHORT_SIDE
        if small or len(data) > ingest.MAX_FILE_BYTES:
            refused.append(name)
        elif (day := ingest.capture_date(data, name=name)) is not None:
            days.add(day)
    ordered = tuple(sorted(days))
    return UploadDates(ordered[0] if ordered else None, ordered, tuple(refused))


def next_session_number(store: Store, client_id: int) -> int:
    """One more than the client's highest session number (1 for a first session), from the records now."""
    return max((record.number for record in store.sessions(client_id)), default=0) + 1


def stored_elsewhere(store: Store, client_id: int, files: Sequence[tuple[str, bytes]]) -> dict[str, int]:
    """The uploads whose exact bytes are already in one of the client's sessions: file name → session number."""
    known = {photo.sha256: record.number for record in store.sessions(client_id) for photo in store.photos(record.id)}
    return {name: known[digest] for name, data in files if (digest := hashlib.sha256(data).hexdigest()) in known}


def photo_problem(photo: PhotoRecord, analysis: AnalysisRecord | None) -> str | None:
    """Why a stored photo cannot take part in pictures and reports (None when it can)."""
    if photo.excluded:
        return "Left out by the practitioner."
    if analysis is None:
        return "Not analysed (an imported or unreadable file)."
    if analysis.error is not None:
        return str(analysis.error.get("message") or "It could not be analysed.")
    return None


def representative_key(session_id: int) -> str:
    """The setting naming the photo that represents a session in before/after, time-lapse and reports."""
    return f"session_photo:{session_id}"


def set_representative(store: Store, session_id: int, photo_id: int | None) -> None:
    """Make ``photo_id`` represent its session (None: the first usable photo does)."""
    store.set_setting(representative_key(session_id), photo_id)


def session_faces(store: Store, client_id: int) -> list[tuple[SessionRecord, PhotoRecord]]:
    """Per session, the photo that represents it: the chosen one when it is usable, else the first usable photo.

    Sessions without a usable photo (too small, not a photo, no face, left out) are skipped, so before/after,
    the time-lapse and reports use the next usable photo instead.
    """
    analyses = store.latest_analyses(client_id)
    chosen = []
    for record in store.sessions(client_id):
        usable = [photo for photo in store.photos(record.id) if photo_problem(photo, analyses.get(photo.id)) is None]
        if not usable:
            continue
        wanted = store.setting(representative_key(record.id))
        chosen.append((record, next((photo for photo in usable if photo.id == wanted), usable[0])))
    return chosen


def _session_label(record: SessionRecord) -> str:
    return f"{record.day.isoformat()} #{record.number}"


COMPARISON_WARNINGS = {
    "camera_distance_change": "Camera distance differs: sizes and contours are not face changes.",
    "lighting_change": "Lighting differs: colour differences are not skin changes.",
    "light_direction_change": "Light from another side: shading differences are not skin changes.",
}
"""What a before/after picture must say when its two photos were not taken the same way (by baseline check)."""


def comparison_warnings(store: Store, client_id: int, before_photo_id: int, after_photo_id: int) -> tuple[str, ...]:
    """Plain warnings for a before/after of two stored photos: the camera-distance and lighting checks of the
    "after" photo measured against the "before" photo (the same checks as against the baseline), one sentence per
    check that does not pass. Empty when they compare, or when either has no stored analysis (or is deleted).
    ``client_id`` names whose photos they are; only the two photos' own analyses are read."""
    try:  # the two photos' own analyses (two small queries, not the client's every analysis)
        before, after = store.latest_analysis(before_photo_id), store.latest_analysis(after_photo_id)
    except ProgressError:  # deleted meanwhile
        return ()
    if before is None or after is None or before.error is not None or after.error is not None:
        return ()
    before_lighting, after_lighting = before.to_photo_result().lighting, after.to_photo_result().lighting
    if before_lighting is None or after_lighting is None:
        return ()
    return tuple(
        COMPARISON_WARNINGS[check.name]
        for check in baseline_checks(after_lighting, before_lighting)
        if check.status is not Status.PASS and check.name in COMPARISON_WARNINGS
    )
