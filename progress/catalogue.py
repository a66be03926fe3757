"""The metric registry: everything about every metric in one place.

Each entry (:class:`Metric`) joins a metric's technical definition — name, family, region, expert unit, better
direction, the capture checks it needs, what it is not invariant to (:class:`MetricSpec`, defined next to the
maths in :mod:`progress.skin` and :mod:`progress.contour`) — with its plain words (:class:`MetricWords`): a label
such as "Redness vs forehead – left cheek", a one-line meaning, and the scale a person reads it on
(:class:`PlainScale`: mm for landmark lengths, % change for ratios, texture and colour). The command line, the
app, the report and ``docs/metrics.md`` all read metric words from here and nowhere else; identifiers and
expert units stay in the CLI's JSON/CSV and the expert views.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from progress.contour import CONTOUR_METRICS
from progress.metric_spec import FAMILIES, REGIONS, SIDES, Better, Family, MetricSpec
from progress.skin_specs import SKIN_METRICS

__all__ = [
    "FAMILIES",
    "INTER_PUPILLARY_MM",
    "REGIONS",
    "SIDES",
    "Better",
    "Family",
    "Metric",
    "MetricSpec",
    "MetricWords",
    "PlainScale",
    "better_words",
    "catalogue",
    "label",
    "metric",
    "plain_scale",
    "registry",
]

INTER_PUPILLARY_MM = 63.0
"""Landmark lengths are measured in units of the distance between the pupils; shown to people as mm, taking
that distance as 63 mm (the adult average)."""


class PlainScale(StrEnum):
    """How a metric's value is shown to a person who is not a measurement expert."""

    MILLIMETRES = "mm"
    """A length on the face: the value (in pupil distances) × 63 mm."""
    DEGREES = "°"
    """An angle on the face."""
    PERCENT_OF_AREA = "% of the area"
    """A share of the region (the value × 100)."""
    PER_CM2 = "per cm²"
    """A count or a length per square centimetre of skin."""
    PERCENT_CHANGE = "% change"
    """A colour, texture or ratio score whose own unit means nothing to a client: its change since the first
    session, as a percentage of the first session's value."""

    @property
    def explanation(self) -> str:
        """One line on what the scale means."""
        return _SCALE_WORDS[self]


_SCALE_WORDS = {
    PlainScale.MILLIMETRES: "millimetres on the face, taking the distance between the pupils as 63 mm (the expert "
                            "unit is that distance, IPD)",
    PlainScale.DEGREES: "degrees of angle",
    PlainScale.PERCENT_OF_AREA: "percentage of the region's skin",
    PlainScale.PER_CM2: "per square centimetre of skin",
    PlainScale.PERCENT_CHANGE: "change since the first session, as a percentage of the first session's value",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MetricWords:
    """A metric in plain words.

    Attributes:
        label: Short title, e.g. "Redness vs forehead – left cheek" (no identifiers, no expert units).
        meaning: One line on what it shows, for a client.
        scale: How its values and changes are shown to a person.
    """

    label: str
    meaning: str
    scale: PlainScale


@dataclass(frozen=True, slots=True)
class Metric:
    """One registry entry: the technical definition and the plain words."""

    spec: MetricSpec
    words: MetricWords

    @property
    def name(self) -> str:
        """The identifier (for files and expert views only)."""
        return self.spec.name

    @property
    def label(self) -> str:
        """The plain label."""
        return self.words.label


# --- plain words per measure ------------------------------------------------------------------------------------
_MEASURES: dict[tuple[str, str], tuple[str, str, PlainScale]] = {
    ("tone", "sd_lightness"): ("Patchiness of light and dark", "How much the skin's lightness varies in small "
                               "patches; lower is more even.", PlainScale.PERCENT_CHANGE),
    ("tone", "sd_redness"): ("Patchiness of redness", "How much redness varies in small patches across the skin; "
                             "lower is more even.", PlainScale.PERCENT_CHANGE),
    ("tone", "sd_yellowness"): ("Patchiness of yellow tones", "How much yellow tones vary in small patches; lower is "
                                "more even.", PlainScale.PERCENT_CHANGE),
    ("tone", "delta_e"): ("Colour unevenness", "How far, on average, each bit of skin differs in colour from the "
                          "area's typical colour; lower is more even.", PlainScale.PERCENT_CHANGE),
    ("redness", "a_star"): ("Redness", "How red the skin looks; depends on the light, so it compares only photos "
                            "taken in the same light.", PlainScale.PERCENT_CHANGE),
    ("redness", "erythema_index"): ("Redness from blood flow", "A redness score that follows the blood in the "
                                    "skin; depends on the light.", PlainScale.PERCENT_CHANGE),
    ("redness", "cheek_contrast"): ("Redness vs forehead", "How much redder the cheek is than the forehead in the "
                                    "same photo, which cancels most lighting differences.",
                                    PlainScale.PERCENT_CHANGE),
    ("redness", "red_area"): ("Area of red skin", "The share of the area that is redder than it was at the first "
                              "session.", PlainScale.PERCENT_OF_AREA),
    ("brightness", "lightness"): ("Brightness", "How light the skin looks; compares only photos taken in the same "
                                  "light.", PlainScale.PERCENT_CHANGE),
    ("brightness", "ita"): ("Lightness of skin tone", "A skin-tone score combining lightness and yellow tones; "
                            "compares only photos taken in the same light.", PlainScale.PERCENT_CHANGE),
    ("spots", "count_per_cm2"): ("Number of dark spots", "Dark spots 1–5 mm across, per square centimetre.",
                                 PlainScale.PER_CM2),
    ("spots", "area_fraction"): ("Area covered by dark spots", "The share of the area covered by those dark spots.",
                                 PlainScale.PERCENT_OF_AREA),
    ("texture", "fine"): ("Fine texture", "Roughness at the scale of pores and fine grain; lower is smoother.",
                          PlainScale.PERCENT_CHANGE),
    ("texture", "coarse"): ("Coarse texture", "Unevenness at the scale of small bumps and creases; lower is "
                            "smoother.", PlainScale.PERCENT_CHANGE),
    ("lines", "area_fraction"): ("Area of fine lines", "The share of the area on fine lines.",
                                 PlainScale.PERCENT_OF_AREA),
    ("lines", "length_per_cm2"): ("Length of fine lines", "Millimetres of fine line per square centimetre of skin.",
                                  PlainScale.PER_CM2),
    ("undereye", "darkness"): ("Under-eye darkness", "How much darker the skin under the eye is than the cheek "
                               "beside it.", PlainScale.PERCENT_CHANGE),
    ("undereye", "delta_e"): ("Under-eye colour difference", "How different the colour under the eye is from the "
                              "cheek beside it.", PlainScale.PERCENT_CHANGE),
    ("contour", "jaw_to_cheek_ratio"): ("Jaw width vs cheekbones", "The width of the jaw compared with the width "
                                        "at the cheekbones; lower is a slimmer jawline.", PlainScale.PERCENT_CHANGE),
    ("contour", "lower_face_width_index"): ("Lower-face width", "The average width of the face between mouth and "
                                            "chin, compared with the cheekbone width.", PlainScale.PERCENT_CHANGE),
    ("contour", "jawline_angle"): ("Jawline angle", "The angle at the corner of the jaw (describes the shape; "
                                   "neither direction is better).", PlainScale.DEGREES),
    ("contour", "jowl_index"): ("Jowl fullness", "How far the jawline bulges out below the corner of the jaw.",
                                PlainScale.MILLIMETRES),
    ("contour", "lower_face_area"): ("Lower-face area", "The area of the face below the eyes.",
                                     PlainScale.PERCENT_CHANGE),
    ("contour", "bizygomatic_width"): ("Cheekbone width (check measure)", "Bone width that treatment cannot "
                                       "change: if it moves, the photos were taken differently.",
                                       PlainScale.MILLIMETRES),
    ("lift", "brow_height"): ("Brow height", "Height of the brow above the eye.", PlainScale.MILLIMETRES),
    ("lift", "brow_tail_height"): ("Brow-tail height", "Height of the outer end of the brow above the outer eye "
                                   "corner.", PlainScale.MILLIMETRES),
    ("lift", "palpebral_fissure_height"): ("Eye opening", "Distance between the upper and lower eyelid.",
                                           PlainScale.MILLIMETRES),
    ("lift", "malar_height"): ("Cheekbone height", "Height of the outer cheekbone relative to the eyes (negative "
                               "is below them).", PlainScale.MILLIMETRES),
    ("lift", "cheek_apex_height"): ("Cheek height", "Height of the fullest point of the cheek relative to the "
                                    "eyes (negative is below them).", PlainScale.MILLIMETRES),
    ("lift", "mouth_corner_height"): ("Mouth-corner height", "Height of the mouth corner above the middle of the "
                                      "lips.", PlainScale.MILLIMETRES),
    ("lift", "canthal_tilt"): ("Eye-corner tilt (check measure)", "Tilt of the eye corners, set by bone: if it "
                               "moves, the photos were taken differently.", PlainScale.DEGREES),
}  # fmt: skip
_ASYMMETRY = {
    "landmark": "whole face",
    "brow": "brows",
    "eye": "eyes",
    "cheek": "cheeks",
    "mouth": "mouth",
    "jaw": "jaw",
}
_REGION_WORDS = {
    "forehead": "forehead", "glabella": "between the brows", "cheek_left": "left cheek",
    "cheek_right": "right cheek", "undereye_left": "under the left eye", "undereye_right": "under the right eye",
    "crows_feet_left": "beside the left eye", "crows_feet_right": "beside the right eye",
    "nasolabial_left": "left smile line", "nasolabial_right": "right smile line", "chin": "chin",
    "face": "whole face", "left": "left", "right": "right",
}  # fmt: skip
"""Left and right are the client's own."""


def _words(spec: MetricSpec) -> MetricWords:
    """The plain words of one spec; a KeyError when the registry has none (a test keeps every metric covered)."""
    measure = spec.measure
    if measure.startswith("width_profile_"):
        share = int(measure.rsplit("_", 1)[1])
        stem, scale = f"Face width {share} % of the way down from cheekbones to chin", PlainScale.MILLIMETRES
        meaning = "The width of the face at that height."
    elif spec.family == "symmetry":
        part = _ASYMMETRY[measure.removesuffix("_asymmetry")]
        stem, scale = f"Asymmetry – {part}", PlainScale.MILLIMETRES
        meaning = f"How far the {part} differ from a mirror image of the other side; lower is more symmetrical."
    else:
        stem, meaning, scale = _MEASURES[(spec.family, measure)]
    region = _REGION_WORDS.get(spec.region or "", "")
    if spec.family == "undereye":  # "Under-eye darkness – left", not "... – under the left eye"
        region = region.removeprefix("under the ").removesuffix(" eye")
    text = f"{stem} – {region}" if region else stem
    return MetricWords(label=text, meaning=meaning, scale=scale)


@cache
def catalogue() -> tuple[MetricSpec, ...]:
    """Every metric's technical definition, in a fixed order (skin, then contour)."""
    return SKIN_METRICS + CONTOUR_METRICS


@cache
def registry() -> dict[str, Metric]:
    """Every metric's registry entry, by name, in catalogue order."""
    return {spec.name: Metric(spec, _words(spec)) for spec in catalogue()}


def metric(name: str) -> Metric:
    """The registry entry of ``name`` (KeyError when there is none)."""
    return registry()[name]


def label(spec_or_name: MetricSpec | str) -> str:
    """The plain label of a metric, e.g. "Brow height – left"."""
    name = spec_or_name if isinstance(spec_or_name, str) else spec_or_name.name
    entry = registry().get(name)
    if entry is not None:
        return entry.label
    if isinstance(spec_or_name, MetricSpec):  # a spec made outside the catalogue (tests): words by its parts
        return _words(spec_or_name).label
    raise KeyError(name)


def plain_scale(spec: MetricSpec) -> PlainScale:
    """The scale ``spec`` is shown on (also for specs made outside the catalogue)."""
    entry = registry().get(spec.name)
    return entry.words.scale if entry is not None else _words(spec).scale


def better_words(better: Better) -> str:
    """Which way is better, in words."""
    return {
        Better.HIGHER: "higher is better",
        Better.LOWER: "lower is better",
        Better.NEITHER: "neither direction is better",
    }[better]
