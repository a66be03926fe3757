"""The client's progress report: a PDF the practitioner hands over at the end of a course (or any session).

Built with fpdf2 and the DejaVu Sans font that matplotlib ships (embedded, so every reader shows the same text,
± and ΔE included). Photos are the aligned faces re-encoded from pixels, so no EXIF (and no location) travels
with them; a client without photo consent gets a report without photos. The wording states changes with their
noise and makes no medical claim.
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
from PIL import Image

from progress.align import AlignedFace
from progress.catalogue import FAMILIES, MetricSpec
from progress.plot import metric_chart
from progress.regions import FACE_OVAL
from progress.series import MetricSeries, SeriesResult, Verdict

__all__ = ["ReportOptions", "client_report", "family_summaries", "metric_label"]

_FONT_FOLDER = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
DEFAULT_REPORT_METRICS = (
    "redness.cheek_contrast.cheek_left", "redness.cheek_contrast.cheek_right", "tone.sd_redness.face",
    "contour.jaw_to_cheek_ratio", "lift.brow_height.left", "lift.brow_height.right",
)  # fmt: skip
"""Charted when the practitioner chose no primary metrics and nothing changed clearly."""
MAX_CHARTS = 6
PHOTO_WIDTH_MM = 68.0
LIMITS_NOTE = (
    "What these measurements can and cannot show: they compare photos of your face taken at each session, "
    "measured the same way each time. Small differences in light, distance, pose and expression change the "
    "numbers too, so a change is only called when it is larger than that measurement noise and the sessions "
    "show a consistent trend. They describe how the photos changed; they are not a medical assessment."
)

_FAMILY_WORDS = {
    "tone": "evenness of skin tone", "redness": "redness", "brightness": "brightness of the skin",
    "spots": "dark spots", "texture": "skin texture", "lines": "fine lines", "undereye": "under-eye darkness",
    "contour": "jawline and face contour", "lift": "lift of brows, eyes, cheeks and mouth corners",
    "symmetry": "facial symmetry",
}  # fmt: skip
_MEASURE_WORDS = {
    "sd_lightness": "Unevenness of lightness", "sd_redness": "Unevenness of redness",
    "sd_yellowness": "Unevenness of yellowness", "delta_e": "Colour unevenness", "a_star": "Redness",
    "erythema_index": "Redness (erythema index)", "cheek_contrast": "Redness relative to the forehead",
    "red_area": "Area of red skin", "lightness": "Lightness", "ita": "Skin-tone angle (ITA)",
    "count_per_cm2": "Number of dark spots", "area_fraction": "Area covered", "fine": "Fine texture",
    "coarse": "Coarse texture", "length_per_cm2": "Length of fine lines", "darkness": "Under-eye darkness",
    "jaw_to_cheek_ratio": "Jaw width relative to cheekbones", "lower_face_width_index": "Lower-face width",
    "jowl_index": "Jowl bulge", "lower_face_area": "Lower-face area", "jawline_angle": "Jawline angle",
    "brow_height": "Brow height", "brow_tail_height": "Height of the brow tail",
    "palpebral_fissure_height": "Eye opening", "malar_height": "Cheekbone height",
    "cheek_apex_height": "Cheek height", "mouth_corner_height": "Mouth-corner height",
    "canthal_tilt": "Eye-corner tilt", "bizygomatic_width": "Cheekbone width",
}  # fmt: skip
_UNJUDGED = {Verdict.NOT_ENOUGH_DATA: "not enough comparable photos", Verdict.UNRELIABLE: "cannot be judged"}
_FAMILY_MEASURE_WORDS = {
    ("spots", "area_fraction"): "Area covered by dark spots", ("lines", "area_fraction"): "Area of fine lines",
    ("undereye", "delta_e"): "Colour difference from the cheek",
}
_REGION_WORDS = {
    "forehead": "on the forehead", "glabella": "between the brows", "cheek_left": "on the left cheek",
    "cheek_right": "on the right cheek", "undereye_left": "under the left eye", "undereye_right": "under the right eye",
    "crows_feet_left": "beside the left eye", "crows_feet_right": "beside the right eye",
    "nasolabial_left": "by the left nostril", "nasolabial_right": "by the right nostril", "chin": "on the chin",
    "face": "over the face", "left": "(left)", "right": "(right)",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What goes on the report besides the series.

    Attributes:
        client: The client's name or code.
        practice: The practice's name.
        logo: The practice's logo (PNG or JPEG bytes), or None.
        include_photos: False for a client without photo consent: no photo of them goes on the report.
        page_size: "A4" or "Letter".
        faces: The first and latest sessions' aligned faces (uint8 RGB, canonical frame) when the series'
            results do not carry them (a series rebuilt from stored analyses); None takes them from the series.
    """

    client: str
    practice: str = ""
    logo: bytes | None = None
    include_photos: bool = True
    page_size: str = "A4"
    faces: tuple[AlignedFace, AlignedFace] | None = None


def metric_label(spec: MetricSpec) -> str:
    """Plain words for a metric, e.g. "Redness relative to the forehead on the left cheek"."""
    parts = spec.name.split(".")
    measure = parts[1]
    if measure.startswith("width_profile_"):
        words = f"Face width {int(measure[-2:])} % of the way from cheekbones to chin"
    elif measure.endswith("_asymmetry"):
        words = f"Asymmetry of the {measure.removesuffix('_asymmetry').replace('landmark', 'whole face')}"
    else:
        words = _MEASURE_WORDS.get(measure, measure.replace("_", " ").capitalize())
    words = _FAMILY_MEASURE_WORDS.get((spec.family, measure), words)
    region = _REGION_WORDS.get(spec.region or "", "")
    return f"{words} {region}".strip()


def family_summaries(series: SeriesResult) -> list[str]:
    """One or more plain sentences per metric family, written from the verdicts.

    Called changes are stated with their size and noise ("fell by 4.1 ± 1.6 a* since the first session: more
    than the measurement noise"); a family with none says "No clear change in …"; one that could not be
    judged says why. Primary metrics come first.
    """
    sentences = [
        f"{metric_label(m.spec)}: {_UNJUDGED[m.verdict]} ({m.reasons[-1]})."
        for m in series.metrics.values() if m.primary and m.verdict in _UNJUDGED
    ]
    for family in FAMILIES:
        members = [m for m in series.metrics.values() if m.spec.family == family and not m.spec.negative_control]
        if not members:
            continue
        called = sorted((m for m in members if m.verdict in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)),
                        key=lambda m: (not m.primary, -abs(m.change) / max(m.minimal_detectable_change, 1e-9)))
        if called:
            sentences += [_change_sentence(m) for m in called[:3]]
            if len(called) > 3:
                sentences.append(f"({len(called) - 3} more {_FAMILY_WORDS[family]} measures changed the same way.)")
        elif any(m.verdict is Verdict.UNRELIABLE for m in members):
            reason = next(m.reasons[-1] for m in members if m.verdict is Verdict.UNRELIABLE)
            sentences.append(f"The {_FAMILY_WORDS[family]} cannot be judged from these photos: {reason}.")
        elif all(m.verdict is Verdict.NOT_ENOUGH_DATA for m in members):
            sentences.append(f"Not enough comparable photos to judge the {_FAMILY_WORDS[family]}.")
        else:
            sentences.append(f"No clear change in {_FAMILY_WORDS[family]}.")
    if series.controls_moved:
        sentences.append("Some measurements that treatment cannot change moved between sessions, so the photos "
                         "were not taken the same way: the changes above are not trusted.")
    return sentences


def client_report(series: SeriesResult, options: ReportOptions) -> bytes:
    """The PDF report.

    Args:
        series: The client's analysed series.
        options: Client, practice, logo, consent and page size.

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
        _photos(pdf, series, options.faces)
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, "Summary", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for sentence in family_summaries(series):
        pdf.multi_cell(0, 5.5, f"• {sentence}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4.2, LIMITS_NOTE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    _charts(pdf, series)
    return bytes(pdf.output())


def _header(pdf: FPDF, series: SeriesResult, options: ReportOptions) -> None:
    if options.logo:
        pdf.image(io.BytesIO(options.logo), x=pdf.w - pdf.r_margin - 30, y=10, w=30)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(0, 9, options.practice or "Progress report", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    days = [s.day for s in series.sessions if s.day is not None]
    course = f"{_date(min(days))} to {_date(max(days))}" if days else "dates not recorded"
    pdf.cell(0, 6, f"Client: {options.client}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Course: {course}, {len(series.sessions)} sessions", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _photos(pdf: FPDF, series: SeriesResult, faces: tuple[AlignedFace, AlignedFace] | None) -> None:
    """Baseline and latest aligned faces side by side."""
    first: np.ndarray | None
    last: np.ndarray | None
    if faces is not None:
        first, last = _face_crop(faces[0]), _face_crop(faces[1])
    else:
        first, last = _aligned_face(series, first=True), _aligned_face(series, first=False)
    if first is None or last is None:
        return
    width = min((pdf.w - pdf.l_margin - pdf.r_margin - 6) / 2, PHOTO_WIDTH_MM)
    start = (pdf.w - 2 * width - 6) / 2
    top = pdf.get_y()
    height = 0.0
    for index, (label, face) in enumerate((("First session", first), ("Latest session", last))):
        left = start + index * (width + 6)
        picture = Image.fromarray(face)
        height = width * picture.height / picture.width
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=85)
        pdf.image(buffer, x=left, y=top, w=width)
        pdf.set_xy(left, top + height + 1)
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(width, 5, label, align="C")
    pdf.set_xy(pdf.l_margin, top + height + 8)


def _aligned_face(series: SeriesResult, *, first: bool) -> np.ndarray | None:
    sessions = series.sessions if first else tuple(reversed(series.sessions))
    for session in sessions:
        for photo in session.photos:
            if photo.aligned is not None:
                return _face_crop(photo.aligned)
    return None


def _face_crop(aligned: AlignedFace) -> np.ndarray:
    """The aligned face cropped to its oval plus a margin."""
    oval = aligned.landmarks[list(FACE_OVAL), :2]
    (x0, y0), (x1, y1) = np.floor(oval.min(axis=0)) - 20, np.ceil(oval.max(axis=0)) + 20
    height, width = aligned.image.shape[:2]
    rows = slice(max(0, int(y0)), min(height, int(y1)))
    return np.ascontiguousarray(aligned.image[rows, max(0, int(x0)) : min(width, int(x1))])


def _charts(pdf: FPDF, series: SeriesResult) -> None:
    chosen = [m for m in series.metrics.values() if m.primary]
    if not chosen:
        chosen = [m for m in series.metrics.values()
                  if m.verdict in (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)]
    if not chosen:
        chosen = [series.metrics[name] for name in DEFAULT_REPORT_METRICS if name in series.metrics]
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 8, "Measurements across sessions", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4.2, "Each chart shows the value at every session; the grey band is the first session's value "
                           "± the measurement noise: points inside it are not a real change.",
                   new_x="LMARGIN", new_y="NEXT")
    width = pdf.w - pdf.l_margin - pdf.r_margin
    for metric in chosen[:MAX_CHARTS]:
        if pdf.get_y() + width * 0.55 > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(0, 6, metric_label(metric.spec), new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(metric_chart(series, metric)), x=pdf.l_margin, w=width)
        pdf.ln(2)


def _change_sentence(metric: MetricSeries) -> str:
    direction = "rose" if metric.change > 0 else "fell"
    unit = "" if metric.spec.unit in ("ratio", "fraction") else f" {metric.spec.unit}"
    return (f"{metric_label(metric.spec)} {direction} by {_figure(abs(metric.change))} ± "
            f"{_figure(metric.minimal_detectable_change)}{unit} since the first session: more than the "
            "measurement noise.")


def _figure(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.2g}" if abs(value) < 10 else f"{value:.0f}"


def _date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"
