"""The client's PDF report, read back: plain words only, the course, photos with dates, the concern summary,
charts only for concerns with a conclusion, consent, the logo re-encoded, page sizes, size and rendering."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import DEMO_CLIENT, analysed_demo_client, remembered_analyses
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from progress import FaceLandmarker, PhotoResult
from progress.concerns import CONCERNS
from progress.report import DEFAULT_NEXT_STEP, ReportOptions, client_report, logo_png
from progress.series import SeriesResult, Verdict, analyze_series, group_sessions, with_baseline

PRIMARY = ["redness.cheek_contrast.cheek_left", "redness.cheek_contrast.cheek_right", "tone.sd_redness.face"]
MAX_REPORT_BYTES = 3 * 1024 * 1024
IDENTIFIER = re.compile(r"\b(tone|redness|brightness|spots|texture|lines|undereye|contour|lift|symmetry)\.[a-z_0-9]+")
EXPERT_WORDS = ("MDC95", "IPD", "ΔE00", "a*", "×10⁻⁴")
OPTIONS = ReportOptions(
    client="Demo client",
    practice="Calm Needle Practice",
    contact="12 Quiet Lane · 0117 496 0000",
    treatments=("ST6, ST7, LI20", "Facial cupping"),
    report_date=date(2026, 4, 20),
    next_step="Four maintenance sessions, one a month.",
)


@pytest.fixture(scope="module")
def demo_results(landmarker: FaceLandmarker) -> list[PhotoResult]:
    """The demo client analysed as the app and ``progress report`` do (the first photo is the baseline)."""
    return analysed_demo_client(landmarker)


@pytest.fixture(scope="module")
def series(demo_results: list[PhotoResult]) -> SeriesResult:
    return analyze_series(with_baseline(group_sessions(demo_results)), primary=PRIMARY)


@pytest.fixture(scope="module")
def report(series: SeriesResult) -> Callable[[ReportOptions], bytes]:
    """``client_report(series, options)``, each set of options made once for this module (a report takes about a
    second: its charts)."""
    made: dict[ReportOptions, bytes] = {}

    def make(options: ReportOptions) -> bytes:
        if options not in made:
            made[options] = client_report(series, options)
        return made[options]

    return make


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_report_has_the_practice_the_course_the_photos_the_summary_and_the_next_step(
    report: Callable[[ReportOptions], bytes],
) -> None:
    pdf = report(OPTIONS)
    reader = PdfReader(io.BytesIO(pdf))
    text = _flat(_text(pdf))
    for expected in (
        "Calm Needle Practice",
        "12 Quiet Lane · 0117 496 0000",
        "Client: Demo client",
        "Report date: 20 April 2026",
        "Course: 5 January 2026 to 13 April 2026, 8 sessions",
        "Treatments: ST6, ST7, LI20, Facial cupping",
        "First session, 5 January 2026",
        "Latest session, 13 April 2026",
        "Summary",
        "What these measurements can and cannot show",
        "not a medical assessment",
        "Next step",
        "Four maintenance sessions, one a month.",
    ):
        assert expected in text, expected
    for concern in CONCERNS:
        assert concern.title in text, concern.title
    assert "Improved" in text and "more than the day-to-day variation" in text
    assert "Can't tell yet" in text and "the client was smiling" in text  # the smile hides the jaw: say so
    assert len(reader.pages[0].images) == 2  # first and latest session, side by side


def test_no_identifiers_or_expert_units_outside_the_expert_appendix(report: Callable[[ReportOptions], bytes]) -> None:
    plain = _text(report(OPTIONS))
    expert = _text(report(replace(OPTIONS, expert_appendix=True)))
    assert "Expert appendix" not in plain
    before, appendix = expert.split("Expert appendix", 1)
    for text in (plain, before):
        assert not IDENTIFIER.search(text), IDENTIFIER.search(text)
        assert not [word for word in EXPERT_WORDS if word in text]
        assert not re.search(r"\bEI\b", text)
    assert "redness.cheek_contrast.cheek_left" in appendix and "MDC95" in appendix


def test_charts_only_for_concerns_with_a_conclusion(
    series: SeriesResult, report: Callable[[ReportOptions], bytes]
) -> None:
    reader = PdfReader(io.BytesIO(report(replace(OPTIONS, include_photos=False))))
    charts = sum(len(page.images) for page in reader.pages)
    judged = [
        m
        for m in series.metrics.values()
        if m.verdict in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED, Verdict.NO_CLEAR_CHANGE)
    ]
    assert 0 < charts <= len(judged)
    text = _text(report(OPTIONS))
    assert "Jaw width vs cheekbones" not in text  # not enough comparable sessions: no chart of it


def test_a_client_without_photo_consent_gets_no_photos(report: Callable[[ReportOptions], bytes]) -> None:
    with_photos = PdfReader(io.BytesIO(report(OPTIONS)))
    without = PdfReader(io.BytesIO(report(replace(OPTIONS, include_photos=False))))
    assert len(without.pages[0].images) == 0
    count = sum(len(page.images) for page in with_photos.pages)
    assert sum(len(page.images) for page in without.pages) == count - 2  # charts only, no face anywhere


def test_embedded_photos_carry_no_exif_and_fonts_are_embedded(report: Callable[[ReportOptions], bytes]) -> None:
    reader = PdfReader(io.BytesIO(report(OPTIONS)))
    for image in reader.pages[0].images:
        assert b"Exif" not in image.data and b"GPS" not in image.data
    resources = reader.pages[0]["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    font_table = resources["/Font"].get_object()
    assert isinstance(font_table, DictionaryObject)
    fonts = [font.get_object() for font in font_table.values()]
    assert fonts and all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts)


def _logo_with_gps() -> bytes:
    pixels = np.zeros((80, 200, 3), np.uint8)
    pixels[:, :100] = (30, 120, 90)
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (51.0, 27.0, 13.0), "W", (2.0, 35.0, 11.0)
    exif[0x010E] = "SECRET-LOGO-COMMENT"
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90, exif=exif.tobytes())
    return buffer.getvalue()


def test_the_logo_is_re_encoded_from_its_pixels_and_carries_no_location(
    report: Callable[[ReportOptions], bytes],
) -> None:
    logo = _logo_with_gps()
    assert b"SECRET-LOGO-COMMENT" in logo and b"Exif" in logo
    png = logo_png(logo)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n" and b"SECRET" not in png and b"Exif" not in png
    decoded = np.asarray(Image.open(io.BytesIO(png)))
    assert decoded.shape == (80, 200, 3) and abs(int(decoded[40, 50, 1]) - 120) < 8  # the same pixels
    pdf = report(replace(OPTIONS, logo=logo, include_photos=False))
    assert b"SECRET-LOGO-COMMENT" not in pdf and logo[2:200] not in pdf  # not byte for byte
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) == 1 and b"Exif" not in images[0].data
    assert logo_png(b"not a picture") is None
    unreadable = report(replace(OPTIONS, logo=b"not a picture", include_photos=False))
    assert len(PdfReader(io.BytesIO(unreadable)).pages[0].images) == 0


@pytest.mark.parametrize(("page_size", "points"), [("A4", (595.28, 841.89)), ("Letter", (612.0, 792.0))])
def test_a4_and_letter(report: Callable[[ReportOptions], bytes], page_size: str, points: tuple[float, float]) -> None:
    reader = PdfReader(io.BytesIO(report(ReportOptions(client="Demo", page_size=page_size))))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(points, abs=0.5)


def test_the_default_next_step_and_report_date(report: Callable[[ReportOptions], bytes]) -> None:
    text = _flat(_text(report(ReportOptions(client="Demo"))))
    assert DEFAULT_NEXT_STEP in text
    today = date.today()
    assert f"Report date: {today.day} {today:%B %Y}" in text


def test_twelve_sessions_stay_under_three_megabytes(demo_results: list[PhotoResult]) -> None:
    later = [replace(r, captured_at=r.captured_at + timedelta(days=120)) for r in demo_results[:4] if r.captured_at]
    twelve = analyze_series(with_baseline(group_sessions(demo_results + later)), primary=PRIMARY[:2])
    assert len(twelve.sessions) == 12
    pdf = client_report(twelve, replace(OPTIONS, expert_appendix=True))
    assert len(pdf) < MAX_REPORT_BYTES


def test_a_page_renders_to_png(report: Callable[[ReportOptions], bytes], tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (Debian's poppler-utils) must be installed by .ci/run")
        pytest.skip("pdftoppm (poppler-utils) is not installed on this machine")
    source = tmp_path / "report.pdf"
    source.write_bytes(report(OPTIONS))
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    rendered = list(tmp_path.glob("page*.png"))
    assert len(rendered) == 1 and rendered[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.model  # analyses the demo photos (unless this process has analysed them already)
def test_the_command_line_writes_the_report(tmp_path: Path) -> None:
    from progress.cli import main

    out = io.StringIO()
    with remembered_analyses():  # the analyses are the fixtures'; the command's own work is reading, grouping, writing
        status = main(
            [
                "report",
                str(DEMO_CLIENT[0].parent),
                "--out",
                str(tmp_path / "r.pdf"),
                "--client",
                "C-017",
                "--practice",
                "Calm Needle Practice",
                "--no-photos",
                "--letter",
            ],
            out=out,
        )
    assert status == 0 and "8 sessions" in out.getvalue()
    reader = PdfReader(tmp_path / "r.pdf")
    assert "C-017" in reader.pages[0].extract_text() and not reader.pages[0].images
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612.0)
