"""Practice records on real databases: SQLite always, PostgreSQL when ``PROGRESS_TEST_POSTGRES_URL`` names one.

``.ci/run`` starts a throwaway PostgreSQL server and sets the variable; without it the PostgreSQL cases are
skipped. Photos are tiny real JPEGs made with Pillow, one of them with a GPS position in its EXIF.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from helpers import postgres_url, stored_result
from PIL import Image

from progress.analysis import PhotoResult
from progress.catalogue import catalogue
from progress.errors import (
    ArchiveError,
    DuplicatePhotoError,
    InvalidRecordError,
    NoFaceError,
    NotFoundError,
    StoreOpenError,
)
from progress.location import GPS_IFD_TAG, has_location, strip_location
from progress.private_files import write_private_file
from progress.store import Store, View, _metadata

POSTGRES_URL = postgres_url()
REPOSITORY = Path(__file__).resolve().parents[1]
TABLES = ("analyses", "photos", "photo_contents", "sessions", "clients")
REDNESS, JAW, LINES = "redness.a_star.cheek_left", "contour.jawline_angle.left", "lines.area_fraction.forehead"
GPS = {1: "N", 2: (48.0, 51.0, 24.5), 3: "E", 4: (2.0, 21.0, 3.25)}
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.408N"/></rdf:RDF></x:xmpmeta>'
    b'<?xpacket end="w"?>'
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(
            POSTGRES_URL is None,
            reason="PROGRESS_TEST_POSTGRES_URL is not set: no PostgreSQL server to test against (.ci/run starts one)",
        ),
    ),
]


# ---------------------------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL test database with its schema dropped."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.sqlite3'}"
    assert POSTGRES_URL is not None
    engine = sqlalchemy.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    """A store with the default photo placement (files with SQLite, the database with PostgreSQL)."""
    with Store(database_url, data_folder=tmp_path / "data") as opened:
        yield opened


@pytest.fixture(params=[False, True], ids=["photo-files", "photos-in-database"])
def placed_store(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Store]:
    """A store with photos in files, then in the database."""
    with Store(database_url, data_folder=tmp_path / "data", photos_in_database=request.param) as opened:
        yield opened


@pytest.fixture
def file_store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    with Store(database_url, data_folder=tmp_path / "data", photos_in_database=False) as opened:
        yield opened


def jpeg(seed: int, *, location: bool = False) -> bytes:
    """A real 48×32 JPEG of seeded noise; with ``location``, GPS EXIF and an XMP packet with a GPS position."""
    pixels = np.random.default_rng(seed).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    options: dict[str, object] = {}
    if location:
        exif.get_ifd(GPS_IFD_TAG).update(GPS)
        options["xmp"] = XMP
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90, exif=exif.tobytes(), **options)
    return buffer.getvalue()


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB"))


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as picture:
        return dict(picture.getexif().get_ifd(GPS_IFD_TAG))


def row_counts(url: str) -> dict[str, int]:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as connection:
        counts = {table: connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one() for table in TABLES}
    engine.dispose()
    return counts


def photo_files(store: Store) -> list[Path]:
    return sorted(path for path in (store.data_folder / "photos").rglob("*") if path.is_file())


def client_with_photos(store: Store, name: str = "A-017") -> tuple[int, int, list[int]]:
    client = store.create_client(
        name,
        birth_year=1975,
        skin_notes="dry, rosacea on the cheeks",
        consent_clinical=True,
        primary_metrics=[REDNESS, JAW],
    )
    session = store.add_session(
        client.id, day=date(2024, 1, 5), treatment_notes="ST6, ST7, LI20", capture_notes="window light, no make-up"
    )
    photo_ids = [store.add_photo(session.id, jpeg(seed), filename=f"IMG_{seed}.jpg").id for seed in (1, 2)]
    return client.id, session.id, photo_ids


# ---------------------------------------------------------------------------------------------------------------
# Opening and schema


def test_open_migrates_to_head_and_reopens(database_url: str, tmp_path: Path) -> None:
    with Store(database_url, data_folder=tmp_path / "data"):
        pass
    with Store(database_url, data_folder=tmp_path / "data") as reopened:
        assert reopened.list_clients() == []
    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == "0004"
        assert compare_metadata(MigrationContext.configure(connection), _metadata) == []  # models == migrations
    engine.dispose()


def migrations_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(REPOSITORY / "progress" / "migrations"))
    config.set_main_option("sqlalchemy.url", url)
    return config


def test_a_0001_database_upgrades_in_place_and_downgrades(database_url: str, tmp_path: Path) -> None:
    command.upgrade(migrations_config(database_url), "0001")  # as the first release left it, with one client
    engine = sqlalchemy.create_engine(database_url)
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO clients (id, name, birth_year, skin_notes, consent_clinical, consent_marketing, created_at) "
            "VALUES (7, 'M-013', 1970, 'oily', true, false, '2024-01-05 09:30:00')",
            "INSERT INTO sessions (id, client_id, day, number, treatment_notes, capture_notes) "
            "VALUES (3, 7, '2024-01-05', 1, 'ST6', '')",
        ):
            connection.exec_driver_sql(statement)
    engine.dispose()

    with Store(database_url, data_folder=tmp_path / "data") as upgraded:
        client = upgraded.client(7)
        assert (client.name, client.birth_year, client.primary_metrics, client.baseline_sessions) == (
            "M-013",
            1970,
            (),
            1,
        )
        assert client.created_at == datetime(2024, 1, 5, 9, 30, tzinfo=UTC)
        assert [session.treatment_notes for session in upgraded.sessions(7)] == ["ST6"]  # no cascade on the way
        assert upgraded.setting("logo") is None and upgraded.setting_bytes("logo") is None
        assert upgraded.update_client(7, primary_metrics=[JAW]).primary_metrics == (JAW,)
        assert upgraded.update_client(7, baseline_sessions=2).baseline_sessions == 2
        upgraded.set_setting("practice_name", "Clinique du Parc")
        with upgraded._writer.begin() as connection:  # the store's own connection: SQLite's foreign keys are on
            config = migrations_config(database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
    assert row_counts(database_url) == {"analyses": 0, "photos": 0, "photo_contents": 0, "sessions": 1, "clients": 1}
    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as connection:
        assert "primary_metrics" not in {
            column["name"] for column in sqlalchemy.inspect(connection).get_columns("clients")
        }
        assert not sqlalchemy.inspect(connection).has_table("settings")
    engine.dispose()


def test_sqlite_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    with Store(data_folder=tmp_path / "data") as opened:
        assert opened.url == f"sqlite:///{tmp_path / 'data' / 'progress.sqlite3'}"
        with opened._engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_default_location_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROGRESS_DATABASE_URL", raising=False)
    monkeypatch.setenv("PROGRESS_DATA_FOLDER", str(tmp_path / "practice"))
    with Store() as opened:
        assert opened.data_folder == tmp_path / "practice"
        assert (tmp_path / "practice" / "progress.sqlite3").is_file()
    monkeypatch.setenv("PROGRESS_DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")
    with Store():
        assert (tmp_path / "elsewhere.sqlite3").is_file()


def test_a_newer_schema_is_refused(database_url: str, tmp_path: Path) -> None:
    Store(database_url, data_folder=tmp_path).close()
    engine = sqlalchemy.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(StoreOpenError, match="newer version"):
        Store(database_url, data_folder=tmp_path)


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://localhost/progress", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"]
)
def test_unusable_urls_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError):
        Store(url, data_folder=tmp_path)


# ---------------------------------------------------------------------------------------------------------------
# Clients and sessions


def test_clients_are_created_updated_listed_and_found(store: Store) -> None:
    created = store.create_client("Élodie Martin", birth_year=1980, skin_notes="fine lines", consent_clinical=True)
    store.create_client("B-002")
    assert store.client(created.id) == created
    assert created.created_at.tzinfo is not None and not created.consent_marketing

    updated = store.update_client(created.id, birth_year=None, consent_marketing=True)
    assert (updated.name, updated.birth_year, updated.skin_notes, updated.consent_marketing) == (
        "Élodie Martin",
        None,
        "fine lines",
        True,
    )
    assert store.client(created.id) == updated
    assert [client.name for client in store.list_clients()] == ["B-002", "Élodie Martin"]
    assert [client.name for client in store.list_clients("ÉLODIE")] == ["Élodie Martin"]
    assert store.list_clients("nobody") == []
    with pytest.raises(NotFoundError):
        store.client(created.id + 100)
    with pytest.raises(ValueError, match="name"):
        store.create_client("  ")


def test_primary_metrics_are_chosen_from_the_catalogue_at_most_five(store: Store) -> None:
    client = store.create_client("N-014", primary_metrics=(JAW, REDNESS))
    assert client.primary_metrics == (JAW, REDNESS) and store.client(client.id) == client
    assert store.create_client("O-015").primary_metrics == ()
    changed = store.update_client(client.id, primary_metrics=[LINES, JAW, REDNESS])
    assert store.client(client.id).primary_metrics == (LINES, JAW, REDNESS) == changed.primary_metrics
    assert store.update_client(client.id, skin_notes="calmer").primary_metrics == (LINES, JAW, REDNESS)

    five = [spec.name for spec in catalogue()[:5]]
    assert store.update_client(client.id, primary_metrics=five).primary_metrics == tuple(five)
    wrongs: list[tuple[Sequence[str], str]] = [
        ([*five, LINES], "at most 5"),
        ([REDNESS, "skin.glow"], "unknown: skin.glow"),
        ([JAW, JAW], "repeated: " + JAW),
        (REDNESS, "list of metric names"),
    ]
    for wrong, message in wrongs:
        with pytest.raises(ValueError, match=message):
            store.update_client(client.id, primary_metrics=wrong)
        with pytest.raises(ValueError, match=message):
            store.create_client("P-016", primary_metrics=wrong)
    assert store.client(client.id).primary_metrics == tuple(five)
    assert [record.name for record in store.list_clients()] == ["N-014", "O-015"]
    assert store.update_client(client.id, primary_metrics=()).primary_metrics == ()


def test_the_sessions_before_the_first_treatment_are_kept_checked_and_exported(store: Store) -> None:
    client = store.create_client("B-1", baseline_sessions=3)
    assert client.baseline_sessions == 3 and store.create_client("B-0").baseline_sessions == 1
    for wrong in (0, 21, 2.5, True, "2"):
        with pytest.raises(InvalidRecordError, match="before the first treatment"):
            store.update_client(client.id, baseline_sessions=wrong)  # type: ignore[arg-type]
    assert store.update_client(client.id, baseline_sessions=2).baseline_sessions == 2
    exported = store.export_client(client.id)
    store.delete_client(client.id)
    assert store.import_client(exported).baseline_sessions == 2


def test_settings_are_json_values_by_key_shared_by_instances(store: Store, tmp_path: Path) -> None:
    assert store.setting("report") is None and store.setting("report", {"language": "fr"}) == {"language": "fr"}
    store.set_setting("report", {"language": "en", "metrics": ("a", "b"), "scale": 1.5, "footer": None})
    store.set_setting("practice_name", "Clinique Élan")
    store.set_setting("report", {"language": "de", "metrics": ["a"]})  # replaced, not merged
    logo = jpeg(11) + b"\x00\xff"
    store.set_setting_bytes("logo", logo)
    store.set_setting_bytes("empty", b"")
    with Store(store.url, data_folder=store.data_folder) as other:  # another instance (window, seat) sees them
        assert other.setting("report") == {"language": "de", "metrics": ["a"]}
        assert other.setting("practice_name") == "Clinique Élan"
        assert other.setting_bytes("logo") == logo and other.setting_bytes("empty") == b""
        other.set_setting("practice_name", None)  # removed
    assert store.setting("practice_name", "unnamed") == "unnamed"

    for key, value in [("ratio", math.nan), ("logo", logo), ("when", datetime(2024, 1, 1)), (" ", 1)]:
        with pytest.raises(ValueError, match="JSON value" if key.strip() else "setting name"):
            store.set_setting(key, value)
    with pytest.raises(ValueError, match="does not hold bytes"):
        store.setting_bytes("report")
    assert store.setting_bytes("logo") == logo

    client_id, _session, _photos = client_with_photos(store)  # settings are the practice's, not a client's
    with zipfile.ZipFile(io.BytesIO(store.export_client(client_id))) as archive:
        assert "Clinique" not in archive.read("client.json").decode()
    store.delete_client(client_id)
    assert store.setting_bytes("logo") == logo
    store.set_setting_bytes("logo", None)
    assert store.setting_bytes("logo") is None


def test_sessions_are_numbered_in_order_and_sorted_by_day(store: Store) -> None:
    client = store.create_client("C-003")
    second = store.add_session(client.id, day=date(2024, 2, 1), treatment_notes="GV20")
    first = store.add_session(client.id, day=date(2024, 1, 1), number=0)
    third = store.add_session(client.id, day=date(2024, 3, 1), capture_notes="new phone")
    assert (second.number, first.number, third.number) == (1, 0, 2)
    assert store.sessions(client.id) == [first, second, third]

    changed = store.update_session(second.id, treatment_notes="GV20, ST36", day=date(2024, 2, 2))
    assert (changed.treatment_notes, changed.day, changed.capture_notes) == ("GV20, ST36", date(2024, 2, 2), "")
    assert store.session(second.id) == changed
    with pytest.raises(NotFoundError):
        store.add_session(client.id + 100)


# ---------------------------------------------------------------------------------------------------------------
# Photos


def test_photos_are_stored_unchanged_and_listed(placed_store: Store) -> None:
    client = placed_store.create_client("D-004")
    session = placed_store.add_session(client.id)
    data = jpeg(7, location=True)
    photo = placed_store.add_photo(
        session.id, data, filename="IMG_7.jpg", view="left", captured_at=datetime(2024, 1, 5, 9, 30)
    )
    assert placed_store.photo_bytes(photo.id) == data
    assert (photo.view, photo.size_bytes, photo.filename, photo.excluded) == (View.LEFT, len(data), "IMG_7.jpg", False)
    assert placed_store.photos(session.id) == [photo] and placed_store.photo(photo.id) == photo
    files = photo_files(placed_store)
    if placed_store.photos_in_database:
        assert files == []
    else:
        assert files == [placed_store.data_folder / "photos" / photo.sha256[:2] / f"{photo.sha256}.bin"]
        assert files[0].read_bytes() == data


def test_a_duplicate_upload_is_refused_and_shared_bytes_are_stored_once(placed_store: Store) -> None:
    client = placed_store.create_client("E-005")
    first_session, second_session = placed_store.add_session(client.id), placed_store.add_session(client.id)
    photo = placed_store.add_photo(first_session.id, jpeg(1))
    with pytest.raises(DuplicatePhotoError) as refusal:
        placed_store.add_photo(first_session.id, jpeg(1), filename="again.jpg")
    assert refusal.value.photo_id == photo.id
    assert len(placed_store.photos(first_session.id)) == 1

    elsewhere = placed_store.add_photo(second_session.id, jpeg(1))
    assert elsewhere.sha256 == photo.sha256 and elsewhere.id != photo.id
    assert row_counts(placed_store.url)["photo_contents"] == 1
    assert len(photo_files(placed_store)) == (0 if placed_store.photos_in_database else 1)


def test_a_photo_can_be_excluded_with_a_reason_and_taken_back(store: Store) -> None:
    _client, _session, (photo_id, _other) = client_with_photos(store)
    excluded = store.set_photo_excluded(photo_id, True, "eyes closed")
    assert (excluded.excluded, excluded.excluded_reason) == (True, "eyes closed")
    kept = store.set_photo_excluded(photo_id, False, "kept despite the lighting warning")
    assert (
        (store.photo(photo_id).excluded, store.photo(photo_id).excluded_reason)
        == (False, "kept despite the lighting warning")
        == (kept.excluded, kept.excluded_reason)
    )


def test_bad_photo_arguments_are_refused(store: Store) -> None:
    _client, session_id, _photos = client_with_photos(store)
    with pytest.raises(ValueError):
        store.add_photo(session_id, b"")
    with pytest.raises(ValueError):
        store.add_photo(session_id, jpeg(3), view="top")
    with pytest.raises(NotFoundError):
        store.add_photo(session_id + 100, jpeg(3))


# ---------------------------------------------------------------------------------------------------------------
# Analyses


def test_a_reanalysis_adds_to_the_old_one_and_readers_take_the_newest(store: Store) -> None:
    _client, _session, (photo_id, other_id) = client_with_photos(store)
    old = store.save_analysis(photo_id, stored_result(0.5), "1.0")
    assert store.latest_analysis(photo_id) == old
    assert old.metrics["skin.redness.cheek_left"] == 0.5 and math.isnan(old.metrics["contour.jaw_angle"])
    assert old.metrics["skin.spots.forehead"] == 3 and old.result["face"]["faces_found"] == 1
    assert math.isnan(old.checks[1]["value"]) and old.checks[1]["status"] == "warn"
    assert list(store.photo(photo_id).checks) == old.checks

    with pytest.raises(NotFoundError):  # a batch with a missing photo saves nothing: the old results stay
        store.save_analyses([(photo_id, stored_result(0.75)), (other_id + 100, stored_result(0.75))], "2.0")
    assert store.latest_analysis(photo_id) == old

    new, other = store.save_analyses([(photo_id, stored_result(0.75)), (other_id, stored_result(0.25))], "2.0")
    assert store.latest_analysis(photo_id) == new and new.metrics["skin.redness.cheek_left"] == 0.75
    assert store.latest_analysis(photo_id, algorithm_version="1.0") == old
    assert store.analyses(photo_id) == [old, new]
    assert store.latest_analyses(store.session(store.photo(photo_id).session_id).client_id) == {
        photo_id: new,
        other_id: other,
    }


def test_an_analysis_comes_back_as_a_photo_result(store: Store) -> None:
    _client, _session, (photo_id, other_id) = client_with_photos(store)
    original = stored_result(0.5)
    restored = store.save_analysis(photo_id, original, "1.0").to_photo_result()
    latest = store.latest_analysis(photo_id)
    assert latest is not None and restored.to_dict() == latest.result
    assert (restored.face, restored.checks[0], restored.captured_at) == (
        original.face,
        original.checks[0],
        original.captured_at,
    )
    assert math.isnan(restored.checks[1].value) and restored.metrics["skin.redness.cheek_left"] == 0.5
    relabelled = store.analyses(photo_id)[0].to_photo_result(path="IMG_1.jpg", captured_at=datetime(2024, 1, 6))
    assert (relabelled.path, relabelled.captured_at) == ("IMG_1.jpg", datetime(2024, 1, 6))

    failed = store.save_analysis(other_id, PhotoResult(path="x.jpg", error=NoFaceError("No face found.")), "1.0")
    assert not failed.ok and failed.error == {"type": "no_face", "message": "No face found."}
    assert isinstance(failed.to_photo_result().error, NoFaceError)


# ---------------------------------------------------------------------------------------------------------------
# Deletion and orphans


def test_deleting_clients_leaves_no_row_and_no_file(placed_store: Store) -> None:
    first_id, _session, first_photos = client_with_photos(placed_store, "F-006")
    second_id, second_session, _photos = client_with_photos(placed_store, "G-007")  # the same two JPEGs
    own = placed_store.add_photo(second_session, jpeg(9))
    placed_store.save_analysis(first_photos[0], stored_result(0.5), "1.0")
    placed_store.save_analysis(own.id, stored_result(0.5), "1.0")

    placed_store.delete_client(first_id)
    assert row_counts(placed_store.url) == {
        "analyses": 1,
        "photos": 3,
        "photo_contents": 3,
        "sessions": 1,
        "clients": 1,
    }
    for photo in placed_store.photos(second_session):  # the shared bytes are still there for the other client
        assert placed_store.photo_bytes(photo.id) == jpeg(int(photo.filename[4:-4]) if photo.filename else 9)
    with pytest.raises(NotFoundError):
        placed_store.client(first_id)

    placed_store.delete_client(second_id)
    assert row_counts(placed_store.url) == dict.fromkeys(TABLES, 0)
    assert photo_files(placed_store) == []
    with pytest.raises(NotFoundError):
        placed_store.delete_client(second_id)


def test_deleting_a_session_or_a_photo_removes_its_records(file_store: Store) -> None:
    client_id, session_id, (photo_id, other_id) = client_with_photos(file_store)
    file_store.save_analysis(photo_id, stored_result(0.5), "1.0")
    file_store.delete_photo(photo_id)
    assert [photo.id for photo in file_store.photos(session_id)] == [other_id]
    assert len(photo_files(file_store)) == 1
    file_store.delete_session(session_id)
    assert file_store.sessions(client_id) == [] and photo_files(file_store) == []
    assert row_counts(file_store.url) == {"analyses": 0, "photos": 0, "photo_contents": 0, "sessions": 0, "clients": 1}


_CRASHING_WRITER = """
import os, sys
from progress.store import Store

class CrashAfterTheFile(Store):
    def _write_content_file(self, sha256, data):
        super()._write_content_file(sha256, data)
        os._exit(3)  # the power goes out: the file is on disk, its row never committed

store = CrashAfterTheFile(sys.argv[1], data_folder=sys.argv[2], photos_in_database=False)
store.add_photo(int(sys.argv[3]), open(sys.argv[4], "rb").read())
"""


def test_a_crash_before_commit_leaves_an_invisible_file_that_cleanup_removes(file_store: Store, tmp_path: Path) -> None:
    _client, session_id, _photos = client_with_photos(file_store)
    (tmp_path / "upload.jpg").write_bytes(jpeg(42))
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            _CRASHING_WRITER,
            file_store.url,
            str(file_store.data_folder),
            str(session_id),
            str(tmp_path / "upload.jpg"),
        ],
        cwd=REPOSITORY,
        check=False,
    )
    assert crashed.returncode == 3
    assert len(file_store.photos(session_id)) == 2 and len(photo_files(file_store)) == 3
    half_written = file_store.data_folder / "photos" / "00" / f"{'0' * 64}.k2j4.tmp"  # a crash during a write
    half_written.parent.mkdir()
    half_written.write_bytes(b"half a photo")

    report = file_store.cleanup_orphans()
    sha256 = hashlib.sha256(jpeg(42)).hexdigest()
    orphan = file_store.data_folder / "photos" / sha256[:2] / f"{sha256}.bin"
    assert sorted(report.removed_files) == sorted([orphan, half_written])
    assert report.freed_bytes == len(jpeg(42)) + len(b"half a photo")
    assert len(photo_files(file_store)) == 2 and file_store.cleanup_orphans().removed_files == ()
    assert file_store.photo_bytes(file_store.add_photo(session_id, jpeg(42)).id) == jpeg(42)


def test_cleanup_while_photos_are_added_removes_nothing_in_use(file_store: Store) -> None:
    client = file_store.create_client("H-008")
    session = file_store.add_session(client.id)
    added: list[int] = []
    stop = threading.Event()

    def add_photos() -> None:
        for seed in range(100, 120):
            added.append(file_store.add_photo(session.id, jpeg(seed)).id)
        stop.set()

    writer = threading.Thread(target=add_photos)
    writer.start()
    while not stop.is_set():
        assert file_store.cleanup_orphans().removed_files == ()
    writer.join()
    assert [file_store.photo_bytes(photo_id) for photo_id in added] == [jpeg(seed) for seed in range(100, 120)]


# ---------------------------------------------------------------------------------------------------------------
# Concurrent writers


def test_two_threads_adding_photos_to_one_client_lose_nothing(store: Store) -> None:
    client = store.create_client("I-009")
    sessions = [store.add_session(client.id), store.add_session(client.id)]
    errors: list[BaseException] = []

    def add_photos(offset: int) -> None:
        try:
            for seed in range(offset, offset + 12):
                store.add_photo(sessions[seed % 2].id, jpeg(seed))
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=add_photos, args=(offset,)) for offset in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = [photo for session in sessions for photo in store.photos(session.id)]
    assert sorted(store.photo_bytes(photo.id) for photo in stored) == sorted(
        jpeg(seed) for seed in [*range(12), *range(1000, 1012)]
    )


def test_the_same_photo_uploaded_twice_at_once_is_stored_once(store: Store) -> None:
    client = store.create_client("L-012")
    session = store.add_session(client.id)
    outcomes: list[object] = []
    start = threading.Barrier(4)

    def upload() -> None:
        start.wait()
        try:
            outcomes.append(store.add_photo(session.id, jpeg(77)).id)
        except DuplicatePhotoError as refusal:
            outcomes.append(refusal)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stored = [outcome for outcome in outcomes if isinstance(outcome, int)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, DuplicatePhotoError)]
    assert len(stored) == 1 and len(refused) == 3 and {refusal.photo_id for refusal in refused} == set(stored)
    assert [photo.id for photo in store.photos(session.id)] == stored


_WRITER = """
import sys, time
from pathlib import Path
from progress.store import Store

url, folder, session_id, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with Store(url, data_folder=folder) as store:
    Path(folder, f"ready-{first}").touch()
    while not Path(folder, "go").exists():  # both processes start writing at the same moment
        time.sleep(0.005)
    for index in range(first, first + 25):
        store.add_photo(session_id, b"photo %d " % index * 500, filename=f"{index}.jpg")
"""


@pytest.mark.slow
def test_two_processes_adding_photos_to_one_client_lose_nothing(store: Store) -> None:
    client = store.create_client("J-010")
    session = store.add_session(client.id)
    store.data_folder.mkdir(parents=True, exist_ok=True)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, store.url, str(store.data_folder), str(session.id), str(first)],
            cwd=REPOSITORY,
        )
        for first in (0, 100)
    ]
    while not all((store.data_folder / f"ready-{first}").exists() for first in (0, 100)):
        assert all(writer.poll() is None for writer in writers)
        time.sleep(0.01)
    (store.data_folder / "go").touch()
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0]
    photos = store.photos(session.id)
    assert sorted(int(photo.filename[:-4]) for photo in photos) == [*range(25), *range(100, 125)]
    assert all(store.photo_bytes(photo.id) == b"photo %d " % int(photo.filename[:-4]) * 500 for photo in photos)


# ---------------------------------------------------------------------------------------------------------------
# Export and import


def test_an_export_has_no_location_and_the_same_pixels_while_the_original_keeps_it(store: Store) -> None:
    client = store.create_client("K-011")
    session = store.add_session(client.id)
    original = jpeg(5, location=True)
    photo = store.add_photo(session.id, original, filename="IMG_5.jpg")
    assert gps_of(original) == GPS and has_location(original)

    with zipfile.ZipFile(io.BytesIO(store.export_client(client.id))) as archive:
        exported = archive.read("photos/session-001/01-IMG_5.jpg")
    assert gps_of(exported) == {} and not has_location(exported) and b"GPSLatitude" not in exported
    assert np.array_equal(pixels(exported), pixels(original)) and len(exported) == len(original)
    with Image.open(io.BytesIO(exported)) as picture:
        assert picture.getexif()[0x010F] == "PhoneMaker"
    assert store.photo_bytes(photo.id) == original and gps_of(store.photo_bytes(photo.id)) == GPS


def test_export_delete_import_export_gives_the_same_zip(placed_store: Store) -> None:
    client_id, _session, (photo_id, other_id) = client_with_photos(placed_store)
    later = placed_store.add_session(client_id, day=date(2024, 2, 9), treatment_notes="second course")
    located = placed_store.add_photo(
        later.id,
        jpeg(3, location=True),
        filename="IMG_3.jpg",
        view=View.RIGHT,
        captured_at=datetime(2024, 2, 9, 10, 0, 5),
    )
    placed_store.set_photo_excluded(other_id, True, "smiling")
    placed_store.save_analysis(photo_id, stored_result(0.5), "1.0")
    placed_store.save_analysis(photo_id, stored_result(0.625), "2.0")
    placed_store.save_analysis(located.id, stored_result(0.25), "2.0")

    exported = placed_store.export_client(client_id)
    before = placed_store.client(client_id)
    placed_store.delete_client(client_id)
    assert placed_store.list_clients() == [] and photo_files(placed_store) == []

    restored = placed_store.import_client(exported)
    assert placed_store.export_client(restored.id) == exported
    assert (restored.name, restored.skin_notes, restored.created_at, restored.primary_metrics) == (
        before.name,
        before.skin_notes,
        before.created_at,
        (REDNESS, JAW),
    )
    sessions = placed_store.sessions(restored.id)
    assert [session.treatment_notes for session in sessions] == ["ST6, ST7, LI20", "second course"]
    photos = placed_store.photos(sessions[0].id)
    assert [(photo.filename, photo.excluded_reason) for photo in photos] == [
        ("IMG_1.jpg", ""),
        ("IMG_2.jpg", "smiling"),
    ]
    assert [analysis.algorithm_version for analysis in placed_store.analyses(photos[0].id)] == ["1.0", "2.0"]
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        assert sorted(archive.namelist()) == [
            "client.json",
            "metrics.csv",
            "notes.txt",
            "photos/session-001/01-IMG_1.jpg",
            "photos/session-001/02-IMG_2.jpg",
            "photos/session-002/01-IMG_3.jpg",
        ]
        csv_lines = archive.read("metrics.csv").decode().splitlines()
        notes = archive.read("notes.txt").decode()
    assert csv_lines[0].endswith("contour.jaw_angle,skin.redness.cheek_left,skin.spots.forehead")
    assert csv_lines[1].endswith(",2.0,,,0.625,3") and csv_lines[2].endswith(",,,,,")
    assert "Treatment: ST6, ST7, LI20" in notes and "excluded: smiling" in notes
    assert f"Primary metrics: {REDNESS}, {JAW}" in notes


def test_an_older_export_without_primary_metrics_imports_with_none(store: Store) -> None:
    client_id, _session, _photos = client_with_photos(store)
    with zipfile.ZipFile(io.BytesIO(store.export_client(client_id))) as original, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as older:
            for name in original.namelist():
                data = original.read(name)
                if name == "client.json":
                    document = json.loads(data)
                    assert document["client"].pop("primary_metrics") == [REDNESS, JAW]
                    data = json.dumps(document).encode()
                older.writestr(name, data)
        older_export = buffer.getvalue()
    restored = store.import_client(older_export)
    assert restored.primary_metrics == () and store.client(restored.id).primary_metrics == ()
    assert [photo.filename for photo in store.photos(store.sessions(restored.id)[0].id)] == ["IMG_1.jpg", "IMG_2.jpg"]


def test_an_import_of_a_damaged_export_stores_nothing(file_store: Store) -> None:
    client_id, _session, _photos = client_with_photos(file_store)
    exported = file_store.export_client(client_id)
    file_store.delete_client(client_id)
    with zipfile.ZipFile(io.BytesIO(exported)) as original, io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as damaged:
            for name in original.namelist():
                data = original.read(name)
                damaged.writestr(name, data[:-10] + b"0123456789" if name.endswith("02-IMG_2.jpg") else data)
        damaged_export = buffer.getvalue()
    with pytest.raises(ArchiveError, match="damaged"):
        file_store.import_client(damaged_export)
    assert file_store.list_clients() == [] and photo_files(file_store) == []
    with pytest.raises(ArchiveError, match="not a zip"):
        file_store.import_client(b"plain bytes")
    with io.BytesIO() as buffer:
        with zipfile.ZipFile(buffer, "w") as unrelated:
            unrelated.writestr("readme.txt", "hello")
        with pytest.raises(ArchiveError, match=r"no client\.json"):
            file_store.import_client(buffer.getvalue())


# ---------------------------------------------------------------------------------------------------------------
# Location stripping on every supported format


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "TIFF", "HEIF"])
def test_location_is_removed_from_every_format_without_touching_the_pixels(format: str) -> None:
    if format == "HEIF":
        pytest.importorskip("pillow_heif").register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD_TAG).update(GPS)
    options: dict[str, object] = {"exif": exif.tobytes()}
    by_format: dict[str, dict[str, object]] = {
        "WEBP": {"lossless": True},
        "HEIF": {"quality": -1},
        "JPEG": {"xmp": XMP},
    }
    options |= by_format.get(format, {})
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (32, 48, 3), dtype=np.uint8)).save(
        buffer, format=format, **options
    )
    original = buffer.getvalue()
    assert gps_of(original) == GPS

    cleaned = strip_location(original)
    assert gps_of(cleaned) == {} and not has_location(cleaned) and len(cleaned) == len(original)
    assert np.array_equal(pixels(cleaned), pixels(original)) and strip_location(cleaned) == cleaned
    with Image.open(io.BytesIO(cleaned)) as picture:
        assert picture.getexif()[0x010F] == "PhoneMaker"


# ---------------------------------------------------------------------------------------------------------------
# The same limits on every backend (issue 12, item 6)


def test_overlong_text_nul_and_out_of_range_values_are_refused_the_same_on_every_backend(store: Store) -> None:
    client = store.create_client("N" * 200, skin_notes="dry")
    session = store.add_session(client.id, number=0)
    photo = store.add_photo(session.id, jpeg(1), filename="f" * 251 + ".jpg")
    assert (store.client(client.id).name, store.photo(photo.id).filename) == ("N" * 200, "f" * 251 + ".jpg")

    refusals: dict[str, Callable[[], object]] = {
        "name over 200": lambda: store.create_client("N" * 201),
        "NUL in a name": lambda: store.create_client("A\x00B"),
        "NUL in skin notes": lambda: store.create_client("A", skin_notes="dry\x00"),
        "consent as text": lambda: store.create_client("A", consent_marketing="false"),  # type: ignore[arg-type]
        "birth year as text": lambda: store.create_client("A", birth_year="1975"),  # type: ignore[arg-type]
        "renamed over 200": lambda: store.update_client(client.id, name="N" * 201),
        "NUL in an updated note": lambda: store.update_client(client.id, skin_notes="\x00"),
        "NUL in treatment notes": lambda: store.add_session(client.id, treatment_notes="ST6\x00"),
        "NUL in capture notes": lambda: store.update_session(session.id, capture_notes="\x00"),
        "session number 2**31": lambda: store.add_session(client.id, number=2**31),
        "session number -1": lambda: store.update_session(session.id, number=-1),
        "session in year 1": lambda: store.add_session(client.id, day=date(1, 1, 1)),
        "session in year 9999": lambda: store.update_session(session.id, day=date(9999, 12, 31)),
        "file name over 255": lambda: store.add_photo(session.id, jpeg(2), filename="f" * 252 + ".jpg"),
        "NUL in a file name": lambda: store.add_photo(session.id, jpeg(2), filename="a\x00.jpg"),
        "aware capture time": lambda: store.add_photo(
            session.id, jpeg(2), captured_at=datetime(2024, 1, 1, tzinfo=UTC)
        ),
        "NUL in a reason": lambda: store.set_photo_excluded(photo.id, True, "blurred\x00"),
        "algorithm version over 64": lambda: store.save_analysis(photo.id, stored_result(0.5), "v" * 65),
        "NUL in an algorithm version": lambda: store.save_analysis(photo.id, stored_result(0.5), "1\x00"),
        "NUL in a setting name": lambda: store.set_setting("logo\x00", 1),
        "NUL in a setting value": lambda: store.set_setting("practice_name", {"name": "A\x00"}),
    }
    for case, attempt in refusals.items():
        with pytest.raises(InvalidRecordError) as refused:
            attempt()
        assert isinstance(refused.value, ValueError) and "\x00" not in str(refused.value), case
    assert [record.name for record in store.list_clients()] == ["N" * 200]
    assert store.sessions(client.id) == [store.session(session.id)] and store.session(session.id).number == 0
    assert [record.id for record in store.photos(session.id)] == [photo.id]
    assert store.analyses(photo.id) == [] and not store.photo(photo.id).excluded
    assert store.setting("practice_name") is None
    assert row_counts(store.url) == {"analyses": 0, "photos": 1, "photo_contents": 1, "sessions": 1, "clients": 1}


# ---------------------------------------------------------------------------------------------------------------
# Nothing deleted stays on disk (item 7); private files (item 8)


def database_bytes(store: Store) -> bytes:
    database = Path(store.url.removeprefix("sqlite:///"))
    return b"".join(
        database.with_name(database.name + suffix).read_bytes()
        for suffix in ("", "-wal", "-shm")
        if database.with_name(database.name + suffix).exists()
    )


def test_a_deleted_client_is_at_once_gone_from_the_database_its_log_and_its_index(tmp_path: Path) -> None:
    with Store(data_folder=tmp_path / "data") as store:
        kept = store.create_client("Kept-Client-0815", skin_notes="oily")
        client = store.create_client(
            "Zebulon Quixote-4711", birth_year=1975, skin_notes="rosacea-secret-notes " * 40
        )  # long enough to spill to a page
        session = store.add_session(client.id, treatment_notes="secret-points-ST6")
        photo = store.add_photo(session.id, jpeg(7), filename="zebulon_front.jpg")
        store.save_analysis(photo.id, stored_result(0.5), "1.0")
        secrets = [
            b"Zebulon Quixote-4711",
            b"rosacea-secret-notes",
            b"secret-points-ST6",
            b"zebulon_front",
            photo.sha256.encode(),
        ]
        assert all(secret in database_bytes(store) for secret in secrets)

        store.delete_client(client.id)
        written = database_bytes(store)
        assert [secret for secret in secrets if secret in written] == []
        assert b"Kept-Client-0815" in written and store.list_clients() == [store.client(kept.id)]


def test_a_deleted_photo_or_session_is_at_once_gone_from_the_database_files(tmp_path: Path) -> None:
    with Store(data_folder=tmp_path / "data") as store:
        client = store.create_client("K-1")
        session = store.add_session(client.id, treatment_notes="session-to-delete-GV20")
        other = store.add_session(client.id)
        photo = store.add_photo(other.id, jpeg(8), filename="photo-to-delete.jpg")
        store.delete_photo(photo.id)
        store.delete_session(session.id)
        written = database_bytes(store)
        assert b"session-to-delete-GV20" not in written and b"photo-to-delete" not in written
        assert photo.sha256.encode() not in written


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_records_photos_and_exports_are_private_and_an_open_folder_is_tightened(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    (folder / "photos" / "ab").mkdir(parents=True)
    old_photo = folder / "photos" / "ab" / ("ab" * 32 + ".bin")
    old_photo.write_bytes(b"an old photo")
    for path, old_mode in (
        (folder, 0o755),
        (folder / "photos", 0o755),
        (folder / "photos" / "ab", 0o777),
        (old_photo, 0o644),
    ):
        path.chmod(old_mode)
    previous_umask = os.umask(0o022)
    try:
        with caplog.at_level(logging.WARNING, logger="progress.private_files"), Store(data_folder=folder) as store:
            client_id, _session, (photo_id, _other) = client_with_photos(store)
            photo = store.photo(photo_id)
            export = tmp_path / "A-017.zip"
            export.write_bytes(b"")
            export.chmod(0o644)
            write_private_file(export, store.export_client(client_id))
            database = folder / "progress.sqlite3"
            files = [
                database,
                database.with_name("progress.sqlite3-wal"),
                database.with_name("progress.sqlite3-shm"),
                store.data_folder / "photos" / photo.sha256[:2] / f"{photo.sha256}.bin",
                old_photo,
                export,
            ]
            assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
            folders = [folder, folder / "photos", folder / "photos" / photo.sha256[:2], folder / "photos" / "ab"]
            assert {str(path): mode(path) for path in folders} == {str(path): 0o700 for path in folders}
    finally:
        os.umask(previous_umask)
    warnings = [record.getMessage() for record in caplog.records]
    assert any(str(folder) in message and "other users" in message for message in warnings), warnings
    assert any("3 files or folders" in message for message in warnings), warnings


def test_a_new_data_folder_is_private_from_the_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    previous_umask = os.umask(0o022)
    try:
        with caplog.at_level(logging.WARNING), Store(data_folder=tmp_path / "new" / "data") as store:
            client_with_photos(store)
            created = {path.name: (mode(path), path.is_dir()) for path in (tmp_path / "new" / "data").rglob("*")}
    finally:
        os.umask(previous_umask)
    assert mode(tmp_path / "new" / "data") == 0o700 and "progress.sqlite3-wal" in created
    assert created == {name: (0o700 if folder else 0o600, folder) for name, (_mode, folder) in created.items()}
    assert caplog.records == []


def test_a_data_folder_that_cannot_be_used_is_refused_plainly(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")
    with pytest.raises(StoreOpenError, match="cannot be opened"):
        Store(data_folder=tmp_path / "data")
