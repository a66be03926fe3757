"""The client's PDF report, read back: pages, text, images, fonts, consent, page sizes, size and rendering."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from progress import FaceLandmarker, PhotoResult
from progress.analysis import analyze_photos
from progress.report import LIMITS_NOTE, ReportOptions, client_report, family_summaries, metric_label
from progress.series import SeriesResult, analyze_series, group_sessions, with_baseline

DEMO = sorted((Path(__file__).parents[1] / "sample_images" / "demo_client").glob("*.jpg"))
PRIMARY = ["redness.cheek_contrast.cheek_left", "redness.cheek_contrast.cheek_right", "tone.sd_redness.face"]
MAX_REPORT_BYTES = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def demo_results(landmarker: FaceLandmarker) -> list[PhotoResult]:
    return list(analyze_photos(DEMO, landmarker))


@pytest.fixture(scope="module")
def series(demo_results: list[PhotoResult]) -> SeriesResult:
    return analyze_series(with_baseline(group_sessions(demo_results)), primary=PRIMARY)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_report_has_the_client_the_course_photos_summary_and_charts(series: SeriesResult) -> None:
    pdf = client_report(series, ReportOptions(client="Demo client", practice="Calm Needle Practice"))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2  # photos and summary; then charts
    text = _text(pdf).replace("\n", " ")
    for expected in ("Calm Needle Practice", "Client: Demo client",
                     "Course: 5 January 2026 to 13 April 2026, 8 sessions", "Summary",
                     "Redness relative to the forehead on the left cheek fell by", "± ",
                     "more than the measurement noise", "No clear change in", "not a medical assessment"):
        assert expected in text, expected
    assert len(reader.pages[0].images) == 2  # first and latest session, side by side
    assert sum(len(page.images) for page in reader.pages[1:]) == len(PRIMARY)  # a chart per primary metric


def test_a_client_without_photo_consent_gets_no_photos(series: SeriesResult) -> None:
    pdf = client_report(series, ReportOptions(client="Demo client", include_photos=False))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages[0].images) == 0
    assert sum(len(page.images) for page in reader.pages) == len(PRIMARY)  # charts only, no face anywhere


def test_embedded_photos_carry_no_exif_and_fonts_are_embedded(series: SeriesResult) -> None:
    reader = PdfReader(io.BytesIO(client_report(series, ReportOptions(client="Demo client"))))
    for image in reader.pages[0].images:
        assert b"Exif" not in image.data and b"GPS" not in image.data
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts)


@pytest.mark.parametrize(("page_size", "points"), [("A4", (595.28, 841.89)), ("Letter", (612.0, 792.0))])
def test_a4_and_letter(series: SeriesResult, page_size: str, points: tuple[float, float]) -> None:
    reader = PdfReader(io.BytesIO(client_report(series, ReportOptions(client="Demo", page_size=page_size))))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(points, abs=0.5)


def test_twelve_sessions_stay_under_three_megabytes(demo_results: list[PhotoResult]) -> None:
    later = [replace(r, captured_at=r.captured_at + timedelta(days=120)) for r in demo_results[:4] if r.captured_at]
    twelve = analyze_series(with_baseline(group_sessions(demo_results + later)), primary=PRIMARY[:2])
    assert len(twelve.sessions) == 12
    pdf = client_report(twelve, ReportOptions(client="Demo client", practice="Calm Needle Practice"))
    assert len(pdf) < MAX_REPORT_BYTES


def test_summaries_say_no_clear_change_and_what_cannot_be_judged(series: SeriesResult) -> None:
    sentences = family_summaries(series)
    assert "No clear change in jawline and face contour." not in sentences  # the smile hides the jaw: say so
    assert "Not enough comparable photos to judge the jawline and face contour." in sentences
    assert any(s.startswith("Redness relative to the forehead on the left cheek fell by") for s in sentences)
    assert metric_label(series.metrics["lift.brow_height.left"].spec) == "Brow height (left)"
    assert "medical" in LIMITS_NOTE


def test_a_page_renders_to_png(series: SeriesResult, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (Debian's poppler-utils) must be installed by .ci/run")
        pytest.skip("pdftoppm (poppler-utils) is not installed on this machine")
    source = tmp_path / "report.pdf"
    source.write_bytes(client_report(series, ReportOptions(client="Demo client")))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
                   check=True, timeout=60)
    rendered = list(tmp_path.glob("page*.png"))
    assert len(rendered) == 1 and rendered[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_line_writes_the_report(tmp_path: Path) -> None:
    from progress.cli import main

    out = io.StringIO()
    status = main(["report", str(DEMO[0].parent), "--out", str(tmp_path / "r.pdf"), "--client", "C-017",
                   "--practice", "Calm Needle Practice", "--no-photos", "--letter"], out=out)
    assert status == 0 and "8 sessions" in out.getvalue()
    reader = PdfReader(tmp_path / "r.pdf")
    assert "Client: C-017" in reader.pages[0].extract_text() and not reader.pages[0].images
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612.0)
