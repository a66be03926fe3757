"""The client's progress report: a PDF the practitioner hands over at the end of a course (or any session).

Plain words only: the report date, the practice's name and contact, the course (dates, number of sessions,
treatments given), the aligned first and latest faces with their dates, a summary per concern
(:mod:`progress.concerns`), charts only for concerns with a conclusion (never for a metric with too few sessions
or an unreliable one), what the measurements can and cannot show, and a next step the practitioner writes. An
optional expert appendix lists every metric with its identifier and expert unit.

Built with fpdf2 and the DejaVu Sans font that matplotlib ships (embedded, so every reader shows the same text).
Every picture — faces and the practice logo — is re-encoded from its pixels, so no EXIF (and no location)
travels with it; a client without photo consent gets a report without photos. Nothing on it is a medical claim.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib
import numpy as np
from fpdf import FPDF
from PIL import Image, ImageOps

from progress.align import AlignedFace
from progress.catalogue import label
from progress.concerns import ConcernSummary, Status, concern_summaries, metrics_to_show
from progress.pictures import open_picture
from progress.plot import metric_chart
from progress.regions import FACE_OVAL
from progress.series import MetricSeries, SeriesResult

__all__ = ["DEFAULT_NEXT_STEP", "LIMITS", "ReportOptions", "client_report", "logo_png"]

_FONT_FOLDER = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
MAX_CHARTS = 6
PHOTO_WIDTH_MM = 62.0
LOGO_MAX_PX = 600
DEFAULT_NEXT_STEP = "Keep taking the photos the same way at every session, so that the next report can compare them."
LIMITS = (
    ("They can show", "how your photos changed from the first session to the latest, measured the same way "
                      "every time, and whether a change is larger than the normal day-to-day variation of photos."),
    ("They cannot show", "changes smaller than that variation, changes in photos taken in different light, from "
                         "a different distance or with a different expression, or how your skin feels."),
    ("Lengths", "are given in millimetres, taking the distance between your pupils as 63 mm."),
    ("They are not", "a medical assessment: they describe photos, not your health."),
)  # fmt: skip
_BADGE_COLOURS = {
    Status.IMPROVED: (46, 125, 50),
    Status.WORSE: (198, 40, 40),
    Status.NO_CLEAR_CHANGE: (84, 110, 122),
    Status.CANT_TELL: (239, 108, 0),
}


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What goes on the report besides the series.

    Attributes:
        client: The client's name or code.
        practice: The practice's name.
        contact: The practice's contact line (address, phone, e-mail), or "".
        logo: The practice's logo (PNG or JPEG bytes), or None; embedded re-encoded from its pixels.
        include_photos: False for a client without photo consent: no photo of them goes on the report.
        page_size: "A4" or "Letter".
        faces: The first and latest sessions' aligned faces (uint8 RGB, canonical frame) when the series'
            results do not carry them (a series rebuilt from stored analyses); None takes them from the series.
        face_dates: The dates of ``faces``; None takes the first and latest sessions' dates.
        treatments: The treatments given over the course (e.g. the sessions' treatment notes), or ().
        next_step: The practitioner's next-step line.
        report_date: The date printed on the report (None: today).
        expert_appendix: Add a last page with every metric's identifier, unit, change and verdict.
    """

    client: str
    practice: str = ""
    contact: str = ""
    logo: bytes | None = None
    include_photos: bool = True
    page_size: str = "A4"
    faces: tuple[AlignedFace, AlignedFace] | None = None
    face_dates: tuple[date | None, date | None] | None = None
    treatments: tuple[str, ...] = ()
    next_step: str = DEFAULT_NEXT_STEP
    report_date: date | None = None
    expert_appendix: bool = False


def client_report(series: SeriesResult, options: ReportOptions) -> bytes:
    """The PDF report.

    Args:
        series: The client's analysed series.
        options: Client, practice, logo, consent, page size, course details and the next step.

    Returns:
        The PDF's bytes.
    """
    pdf = FPDF(format=options.page_size)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(_FONT_FOLDER / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONT_FOLDER / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Progress report: {options.client}")
    pdf.set_creator("progress")
    pdf.add_page()
    _header(pdf, series, options)
    if options.include_photos:
        _photos(pdf, series, options)
    summaries = concern_summaries(series)
    _summary(pdf, summaries)
    _heading(pdf, "What these measurements can and cannot show")
    pdf.set_font("DejaVu", "", 9)
    for title, text in LIMITS:
        pdf.multi_cell(0, 4.6, f"{title} {text}", align="L", new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Next step")
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 5.5, options.next_step or DEFAULT_NEXT_STEP, new_x="LMARGIN", new_y="NEXT")
    _charts(pdf, series, summaries)
    if options.expert_appendix:
        _appendix(pdf, series)
    return bytes(pdf.output())


def logo_png(logo: bytes) -> bytes | None:
    """The logo re-encoded from its pixels as a PNG (no EXIF, GPS, XMP or comments), at most ``LOGO_MAX_PX``
    wide; None when the bytes are not a picture."""
    try:
        with open_picture(logo, None) as source:
            picture = ImageOps.exif_transpose(source)
            picture = picture.convert("RGBA" if "A" in picture.getbands() or "transparency" in picture.info else "RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    picture.thumbnail((LOGO_MAX_PX, LOGO_MAX_PX))
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())  # pixels only, no metadata
    buffer = io.BytesIO()
    clean.save(buffer, "PNG")
    return buffer.getvalue()


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def _header(pdf: FPDF, series: SeriesResult, options: ReportOptions) -> None:
    png = logo_png(options.logo) if options.logo else None
    if png is not None:
        pdf.image(io.BytesIO(png), x=pdf.w - pdf.r_margin - 30, y=10, w=30)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(
        pdf.w - pdf.l_margin - pdf.r_margin - 34,
        9,
        options.practice or "Progress report",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", "", 9)
    if options.contact:
        pdf.cell(0, 5, options.contact, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 11)
    pdf.cell(0, 6, f"Client: {options.client}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Report date: {_date(options.report_date or date.today())}", new_x="LMARGIN", new_y="NEXT")
    days = [s.day for s in series.sessions if s.day is not None]
    dates = f"{_date(min(days))} to {_date(max(days))}" if days else "dates not recorded"
    count = len(series.sessions)
    pdf.cell(0, 6, f"Course: {dates}, {count} session{'s' if count != 1 else ''}", new_x="LMARGIN", new_y="NEXT")
    if options.treatments:
        treatments = ", ".join(dict.fromkeys(t.strip() for t in options.treatments if t.strip()))
        pdf.multi_cell(0, 6, f"Treatments: {treatments}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _photos(pdf: FPDF, series: SeriesResult, options: ReportOptions) -> None:
    """First and latest aligned faces side by side, each with its date."""
    pair = _faces(series, options)
    if pair is None:
        return
    width = min((pdf.w - pdf.l_margin - pdf.r_margin - 6) / 2, PHOTO_WIDTH_MM)
    start = (pdf.w - 2 * width - 6) / 2
    top = pdf.get_y()
    height = 0.0
    for index, (title, (face, day)) in enumerate(zip(("First session", "Latest session"), pair, strict=True)):
        left = start + index * (width + 6)
        picture = Image.fromarray(face)
        height = width * picture.height / picture.width
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=85)
        pdf.image(buffer, x=left, y=top, w=width)
        pdf.set_xy(left, top + height + 1)
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(width, 5, f"{title}, {_date(day)}" if day else title, align="C")
    pdf.set_xy(pdf.l_margin, top + height + 8)


def _faces(series: SeriesResult, options: ReportOptions) -> tuple[tuple[np.ndarray, date | None], ...] | None:
    if options.faces is not None:
        dates = options.face_dates or (series.sessions[0].day, series.sessions[-1].day)
        return tuple((_face_crop(face), day) for face, day in zip(options.faces, dates, strict=True))
    found = []
    for sessions in (series.sessions, tuple(reversed(series.sessions))):
        face = next(
            (
                (photo.aligned, session.day)
                for session in sessions
                for photo in session.photos
                if photo.aligned is not None
            ),
            None,
        )
        if face is None:
            return None
        found.append((_face_crop(face[0]), face[1]))
    return tuple(found)


def _face_crop(aligned: AlignedFace) -> np.ndarray:
    """The aligned face cropped to its oval plus a margin."""
    oval = aligned.landmarks[list(FACE_OVAL), :2]
    (x0, y0), (x1, y1) = np.floor(oval.min(axis=0)) - 20, np.ceil(oval.max(axis=0)) + 20
    height, width = aligned.image.shape[:2]
    rows = slice(max(0, int(y0)), min(height, int(y1)))
    return np.ascontiguousarray(aligned.image[rows, max(0, int(x0)) : min(width, int(x1))])


def _summary(pdf: FPDF, summaries: list[ConcernSummary]) -> None:
    _heading(pdf, "Summary")
    for summary in summaries:
        if pdf.get_y() > pdf.h - pdf.b_margin - 18:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(48, 5.5, summary.concern.title)
        pdf.set_text_color(*_BADGE_COLOURS[summary.status])
        pdf.cell(0, 5.5, str(summary.status), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "", 9)
        pdf.set_x(pdf.l_margin + 48)
        text = summary.reason[:1].upper() + summary.reason[1:] + "."
        if summary.detail:
            text += " " + summary.detail
        pdf.multi_cell(0, 4.6, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)


def _charts(pdf: FPDF, series: SeriesResult, summaries: list[ConcernSummary]) -> None:
    chosen = [m for m in metrics_to_show(series, summaries) if m.verdict.is_judged][:MAX_CHARTS]
    if not chosen:
        return
    pdf.add_page()
    _heading(pdf, "Measurements across sessions")
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(
        0,
        4.2,
        "Each chart shows the value at every session. The grey band is the first session's value "
        "± the day-to-day variation of photos: points inside it are not a real change. Orange "
        "crosses are photos that could not be compared (for example, the client was smiling).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for metric in chosen:
        if pdf.get_y() + width * 0.5 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(io.BytesIO(metric_chart(series, metric)), x=pdf.l_margin, w=width)
        pdf.ln(2)


def _appendix(pdf: FPDF, series: SeriesResult) -> None:
    """Every metric with its identifier, expert unit, change ± MDC95 and verdict."""
    pdf.add_page()
    _heading(pdf, "Expert appendix")
    pdf.set_font("DejaVu", "", 7)
    pdf.multi_cell(
        0,
        3.6,
        "For practitioners: identifiers and units as in docs/metrics.md. Change is the trend's change "
        "from the baseline to the latest session, over all sessions, ± MDC95 (the 95 % minimal detectable change).",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    widths = (58, 58, 12, 28, 24)
    for metric in series.metrics.values():
        if pdf.get_y() > pdf.h - pdf.b_margin - 5:
            pdf.add_page()
        cells = (metric.spec.name, label(metric.spec), metric.spec.unit, _change(metric), str(metric.verdict))
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 3.6, _fit(pdf, text, width - 1))
        pdf.ln(3.6)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _change(metric: MetricSeries) -> str:
    return f"{_figure(metric.change)} ± {_figure(metric.minimal_detectable_change)}"


def _figure(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.3g}"


def _date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
