"""The practice's work on top of the records: store and analyse a session's uploads, rebuild a client's series
from stored analyses (no photo is analysed again), re-align stored photos for pictures, and the demo client.

The Streamlit app calls only these functions and the store; nothing here draws or imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from progress import ingest
from progress.align import AlignedFace, align_face
from progress.analysis import PhotoResult, analyze_photo
from progress.catalogue import FAMILIES
from progress.errors import DuplicatePhotoError, ImageTooLargeError, NotAnImageError, ProgressError, TruncatedImageError
from progress.landmarks import FaceLandmarker
from progress.series import MetricSeries, SeriesResult, Session, Verdict, analyze_series
from progress.store import ClientRecord, SessionRecord, Store

__all__ = [
    "ALGORITHM_VERSION",
    "DEMO_CLIENT_FOLDER",
    "DEMO_CLIENT_NAME",
    "HEADLINE_METRICS",
    "PhotoExcludedError",
    "UploadOutcome",
    "aligned_photo",
    "baseline_result",
    "client_series",
    "metrics_to_show",
    "open_demo_client",
    "store_and_analyze",
]

try:
    ALGORITHM_VERSION = f"progress {version('progress')}"
except PackageNotFoundError:  # pragma: no cover - running from a checkout that was never installed
    ALGORITHM_VERSION = "progress (checkout)"
DEMO_CLIENT_NAME = "Demo client (astronaut)"
HEADLINE_METRICS = {
    "tone": "tone.sd_redness.face", "redness": "redness.cheek_contrast.cheek_left",
    "brightness": "brightness.lightness.face", "spots": "spots.count_per_cm2.face", "texture": "texture.fine.face",
    "lines": "lines.area_fraction.forehead", "undereye": "undereye.darkness.undereye_left",
    "contour": "contour.jaw_to_cheek_ratio", "lift": "lift.brow_height.left", "symmetry": "symmetry.landmark_asymmetry",
}  # fmt: skip
"""The metric shown for a family when nothing in it changed and the practitioner chose none of it."""
DEMO_CLIENT_FOLDER = Path(__file__).resolve().parents[1] / "sample_images" / "demo_client"
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


def store_and_analyze(store: Store, landmarker: FaceLandmarker, session_id: int,
                      uploads: Sequence[tuple[str, bytes]], *, baseline: PhotoResult | None = None
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
        store.save_analysis(record.id, result, ALGORITHM_VERSION)
        outcomes.append(UploadOutcome(filename, record.id, result))
    return outcomes


def client_series(store: Store, client_id: int, *, primary: Sequence[str] = ()) -> SeriesResult:
    """The client's series from the stored analyses alone (fast: nothing is analysed again).

    Excluded photos take part as unusable, with the practitioner's reason, so they stay visible as such.
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
    return analyze_series(sessions, primary=primary)


def metrics_to_show(series: SeriesResult) -> list[MetricSeries]:
    """What the progress view charts: the primary metrics, then per family every metric with a called change,
    or the family's headline metric when nothing in it changed."""
    shown = [m for m in series.metrics.values() if m.primary]
    for family in FAMILIES:
        members = [m for m in series.metrics.values() if m.spec.family == family and not m.primary]
        called = [m for m in members if m.verdict in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)]
        shown += called or [m for m in members if m.spec.name == HEADLINE_METRICS.get(family)]
    return shown


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
    """A stored photo aligned to the canonical frame (for before/after pictures and the time-lapse)."""
    photo = ingest.read_photo(store.photo_bytes(photo_id))
    face = landmarker.detect(photo.image).face
    return None if face is None else align_face(photo.image, face.landmarks)


def open_demo_client(store: Store, landmarker: FaceLandmarker, folder: Path = DEMO_CLIENT_FOLDER) -> ClientRecord:
    """The demo client, made from ``folder`` (``sample_images/demo_client``) the first time — one session a photo,
    dated from the photos' names — and simply returned after that."""
    existing = next((c for c in store.list_clients(DEMO_CLIENT_NAME) if c.name == DEMO_CLIENT_NAME), None)
    if existing is not None:
        return existing
    client = store.create_client(DEMO_CLIENT_NAME, consent_clinical=True, skin_notes="Simulated series: cheek "
                                 "redness fading over 8 sessions (see sample_images/README.md).")
    baseline = None
    for number, path in enumerate(sorted(folder.glob("*.jpg")), start=1):
        day = ingest.capture_time_from_name(path.name)
        session = store.add_session(client.id, day=day.date() if day else date.today(), number=number,
                                    treatment_notes="Demo session", capture_notes="Simulated photo")
        outcome = store_and_analyze(store, landmarker, session.id, [(path.name, path.read_bytes())],
                                    baseline=baseline)[0]
        baseline = baseline or (outcome.result if outcome.result.ok else None)
    return client


def _session_label(record: SessionRecord) -> str:
    return f"{record.day.isoformat()} #{record.number}"
