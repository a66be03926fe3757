"""The command line on real files: JSON per photo, a bad file reported without stopping the rest, exit status."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import encode

from progress.cli import main
from progress.landmarks import FaceLandmarker

EXPECTED_KEYS = {
    "path",
    "ok",
    "error",
    "captured_at",
    "captured_at_source",
    "face",
    "checks",
    "metrics",
    "lighting",
    "skin_reference",
    "colour_correction",
}


def _run(arguments: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """The exit status and the JSON objects printed, one a line (JSON: Any is its honest type)."""
    out = io.StringIO()
    status = main(arguments, out=out)
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.model
def test_analyze_prints_one_json_object_per_photo_and_survives_a_bad_file(
    client_photo: np.ndarray, tmp_path: Path
) -> None:
    good, bad, empty = tmp_path / "IMG_20260105_100000.jpg", tmp_path / "notes.jpg", tmp_path / "empty.png"
    good.write_bytes(encode(client_photo))
    bad.write_text("not a photo")
    empty.write_bytes(b"")
    status, results = _run(["analyze", "--json", str(bad), str(good), str(empty)])
    assert status == 1
    assert [r["ok"] for r in results] == [False, True, False]
    assert all(set(r) == EXPECTED_KEYS for r in results)
    assert results[0]["error"] == {"type": "not_an_image", "message": results[0]["error"]["message"]}
    assert results[2]["error"]["type"] == "not_an_image"
    face = results[1]["face"]
    assert isinstance(face, dict) and face["faces_found"] == 1 and face["inter_pupillary_distance_px"] > 100
    assert results[1]["captured_at"] == "2026-01-05T10:00:00"
    checks = results[1]["checks"]
    assert isinstance(checks, list) and {"name", "status", "value", "limit", "unit", "fix"} <= set(checks[0])
    metrics = results[1]["metrics"]
    assert isinstance(metrics, dict) and "redness.a_star.cheek_left" in metrics


@pytest.mark.model
def test_a_folder_is_expanded_and_all_good_photos_exit_zero(client_photo: np.ndarray, tmp_path: Path) -> None:
    for name in ("a.jpg", "b.png"):
        (tmp_path / name).write_bytes(encode(client_photo, "PNG" if name.endswith("png") else "JPEG"))
    status, results = _run(["analyze", "--json", str(tmp_path)])
    assert status == 0 and [Path(str(r["path"])).name for r in results] == ["a.jpg", "b.png"]


@pytest.mark.model
def test_baseline_adds_the_comparison_checks(client_photo: np.ndarray, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encode(client_photo))
    _, results = _run(["analyze", "--json", "--baseline", str(photo), str(photo)])
    checks = results[0]["checks"]
    assert isinstance(checks, list)
    names = [c["name"] for c in checks]
    assert names[-3:] == ["camera_distance_change", "lighting_change", "light_direction_change"]


@pytest.mark.model  # the photo is analysed in a fresh interpreter
def test_python_dash_m_is_the_same_command_with_readable_output(client_photo: np.ndarray, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encode(client_photo))
    missing = tmp_path / "missing.jpg"
    completed = subprocess.run(
        [sys.executable, "-m", "progress", "analyze", str(photo), str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "face found" in completed.stdout and "FAIL expression_smile" in completed.stdout
    assert f"{missing}: NOT USABLE: The file {missing} cannot be read" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr


def test_metrics_lists_the_catalogue() -> None:
    out = io.StringIO()
    assert main(["metrics", "--json"], out=out) == 0
    assert isinstance(json.loads(out.getvalue()), list)


@pytest.mark.model
def test_a_photo_without_a_face_is_reported_as_such(cat: np.ndarray, tmp_path: Path) -> None:
    photo = tmp_path / "cat.jpg"
    photo.write_bytes(encode(cat))
    status, results = _run(["analyze", "--json", str(photo)])
    assert status == 1
    assert results[0]["error"]["type"] == "no_face"
    assert "No face found" in results[0]["error"]["message"]


@pytest.mark.model
def test_series_groups_sub_folders_into_sessions_and_writes_table_json_csv_and_charts(tmp_path: Path) -> None:
    import csv
    import shutil

    demo = sorted((Path(__file__).parents[1] / "progress" / "demo_client").glob("*.jpg"))
    client = tmp_path / "client"
    for index, photo in enumerate(demo):
        session = client / f"visit_{index // 2 + 1}"  # two photos a session: the series measures its own noise
        session.mkdir(parents=True, exist_ok=True)
        shutil.copy(photo, session / photo.name)
    out = io.StringIO()
    status = main(
        [
            "series",
            str(client),
            "--primary",
            "redness.cheek_contrast.cheek_left",
            "--json",
            str(tmp_path / "s.json"),
            "--csv",
            str(tmp_path / "s.csv"),
            "--plot",
            str(tmp_path / "c"),
        ],
        out=out,
    )
    assert status == 0
    table = out.getvalue()
    assert table.startswith("4 sessions: visit_1 (2/2 photos)")
    assert "change ± MDC95" in table and "*redness.cheek_contrast.cheek_left" in table
    result = json.loads((tmp_path / "s.json").read_text())
    assert [s["label"] for s in result["sessions"]] == ["visit_1", "visit_2", "visit_3", "visit_4"]
    metric = result["metrics"]["redness.cheek_contrast.cheek_left"]
    assert metric["primary"] and metric["noise_source"] == "repeats" and metric["verdict"]
    rows = list(csv.DictReader((tmp_path / "s.csv").read_text().splitlines()))
    assert {"metric", "baseline", "latest", "change", "mdc95", "verdict", "visit_1"} <= set(rows[0])
    assert (tmp_path / "c" / "redness.cheek_contrast.cheek_left.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_result_survives_its_json_round_trip(client_photo: np.ndarray, landmarker: FaceLandmarker) -> None:
    from progress import NotAnImageError, PhotoResult, analyze_photo

    result = analyze_photo(encode(client_photo), landmarker, name="IMG_20260105_100000.jpg")
    again = PhotoResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    assert again.lighting == result.lighting and again.skin_reference == result.skin_reference
    refused = PhotoResult.from_dict(PhotoResult(path="x", error=NotAnImageError("This file is empty")).to_dict())
    assert isinstance(refused.error, NotAnImageError) and str(refused.error) == "This file is empty"


def test_records_commands_export_import_cleanup_and_report_by_client_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client_photo: np.ndarray, landmarker: FaceLandmarker
) -> None:
    from pypdf import PdfReader

    from progress.practice import store_and_analyze
    from progress.store import Store

    monkeypatch.setenv("PROGRESS_DATA_FOLDER", str(tmp_path / "practice"))
    monkeypatch.delenv("PROGRESS_DATABASE_URL", raising=False)
    with Store() as store:
        client = store.create_client("C-042", consent_clinical=False)
        for day in range(3):
            session = store.add_session(client.id)
            store_and_analyze(store, landmarker, session.id, [(f"s{day}.jpg", encode(client_photo, quality=90 - day))])
    assert main(["report", "C-042", "--out", str(tmp_path / "r.pdf")], out=io.StringIO()) == 0
    assert "Client: C-042" in PdfReader(tmp_path / "r.pdf").pages[0].extract_text()
    assert not PdfReader(tmp_path / "r.pdf").pages[0].images  # no photo consent: no photos
    assert main(["export", "C-042", "--out", str(tmp_path / "c.zip")], out=io.StringIO()) == 0
    with Store() as store:
        store.delete_client(next(c.id for c in store.list_clients() if c.name == "C-042"))
    printed = io.StringIO()
    assert main(["import", str(tmp_path / "c.zip")], out=printed) == 0 and "imported C-042" in printed.getvalue()
    assert main(["cleanup"], out=io.StringIO()) == 0
    assert main(["report", "nobody", "--out", str(tmp_path / "x.pdf")], out=io.StringIO()) == 2


@pytest.mark.model
def test_series_analyses_each_photo_once_and_measures_its_skin_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import progress.analysis
    import progress.skin
    from progress.landmarks import Detection
    from progress.skin import SkinReference

    calls = {"detect": 0, "skin": 0}
    detect, measure_skin = FaceLandmarker.detect, progress.skin.measure_skin  # the function analysis calls

    def counted_detect(self: FaceLandmarker, image: np.ndarray, **options: Any) -> Detection:
        calls["detect"] += 1
        return detect(self, image, **options)

    def counted_skin(*arguments: Any, **options: Any) -> tuple[dict[str, float], SkinReference]:
        calls["skin"] += 1
        return measure_skin(*arguments, **options)

    monkeypatch.setattr(FaceLandmarker, "detect", counted_detect)
    monkeypatch.setattr(progress.analysis, "measure_skin", counted_skin)
    demo = sorted((Path(__file__).parents[1] / "progress" / "demo_client").glob("*.jpg"))
    for folder, photos in (("a_later", demo[2:4]), ("b_earlier", demo[:1])):  # the baseline is in the last folder
        (tmp_path / "client" / folder).mkdir(parents=True)
        for photo in photos:
            shutil.copy(photo, tmp_path / "client" / folder / photo.name)
    assert main(["series", str(tmp_path / "client"), "--json", str(tmp_path / "s.json")], out=io.StringIO()) == 0
    assert calls == {"detect": 3, "skin": 3}  # before issue 13: every later photo's skin was measured twice
    sessions = json.loads((tmp_path / "s.json").read_text())["sessions"]
    assert [s["label"] for s in sessions] == ["b_earlier", "a_later"]


def test_pictures_of_a_stored_client_do_not_run_the_landmarker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client_photo: np.ndarray, landmarker: FaceLandmarker
) -> None:
    from pypdf import PdfReader

    from progress.landmarks import Detection
    from progress.practice import aligned_photo, store_and_analyze
    from progress.store import Store

    monkeypatch.setenv("PROGRESS_DATA_FOLDER", str(tmp_path / "practice"))
    monkeypatch.delenv("PROGRESS_DATABASE_URL", raising=False)
    with Store() as store:
        client = store.create_client("C-043", consent_clinical=True)
        outcomes = [
            store_and_analyze(
                store,
                landmarker,
                store.add_session(client.id).id,
                [(f"s{day}.jpg", encode(client_photo, quality=90 - day))],
            )[0]
            for day in range(2)
        ]
    calls: list[np.ndarray] = []

    def no_face(self: FaceLandmarker, image: np.ndarray, **options: object) -> Detection:
        calls.append(image)
        return Detection(face=None, faces_found=0)

    monkeypatch.setattr(FaceLandmarker, "detect", no_face)
    built: list[FaceLandmarker] = []
    graph = FaceLandmarker._graph

    def counted_graph(self: FaceLandmarker) -> Any:
        built.append(self)
        return graph(self)

    monkeypatch.setattr(FaceLandmarker, "_graph", counted_graph)  # MediaPipe's graph: built on a first detection
    with Store() as store:
        for outcome in outcomes:  # what the before/after view and the time-lapse show
            assert outcome.photo_id is not None and outcome.result.aligned is not None
            aligned = aligned_photo(store, landmarker, outcome.photo_id)
            assert aligned is not None
            np.testing.assert_array_equal(aligned.landmarks, outcome.result.aligned.landmarks)
            np.testing.assert_array_equal(aligned.transform, outcome.result.aligned.transform)
            np.testing.assert_array_equal(aligned.image, outcome.result.aligned.image)
            assert aligned.residual_px == pytest.approx(outcome.result.aligned.residual_px, abs=1e-4)
    assert main(["report", "C-043", "--out", str(tmp_path / "r.pdf")], out=io.StringIO()) == 0
    assert PdfReader(tmp_path / "r.pdf").pages[0].images  # the aligned faces, warped from the stored geometry
    assert calls == [] and built == []  # the report's own landmarker never loaded the model into MediaPipe
    first = outcomes[0].photo_id
    assert first is not None
    with Store() as store:  # an analysis by another version of the algorithm: the face is searched for again
        store.save_analysis(first, outcomes[0].result, "an older version")
        assert aligned_photo(store, landmarker, first) is None
    assert len(calls) == 1


HEAVY_MODULES = ("sqlalchemy", "alembic", "fpdf", "scipy.stats", "streamlit")
"""What ``progress analyze`` never uses: the records, the statistics, the PDF writer and the app."""


def _loaded_after(code: str) -> set[str]:
    """The module names a fresh interpreter holds after running ``code`` (which may print to stderr only)."""
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    return set(completed.stdout.split())


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    loaded = _loaded_after("import progress.cli")
    assert not loaded & {*HEAVY_MODULES, "matplotlib", "cv2", "mediapipe", "numpy", "PIL"}


@pytest.mark.model  # the photo is analysed in a fresh interpreter
def test_analyze_imports_neither_the_records_nor_the_statistics(client_photo: np.ndarray, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(encode(client_photo))
    code = (
        "import io, sys\nfrom progress.cli import main\n"
        f"status = main(['analyze', '--json', {str(photo)!r}], out=io.StringIO())\n"
        "assert status in (0, 1), status"
    )
    loaded = _loaded_after(code)
    assert "mediapipe" in loaded  # the photo was analysed
    assert not loaded & set(HEAVY_MODULES)


def test_the_help_text_names_the_series_limit() -> None:
    from progress.cli import _MAX_PRIMARY_METRICS
    from progress.series import MAX_PRIMARY_METRICS

    assert _MAX_PRIMARY_METRICS == MAX_PRIMARY_METRICS
