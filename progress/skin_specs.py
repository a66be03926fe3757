"""The metric specifications (:class:`~progress.metric_spec.MetricSpec`) of every skin metric that
:mod:`progress.skin` measures: name, region, unit, better direction, the capture checks it depends on, and the
nuisances it is not invariant to. The plain words live in :mod:`progress.catalogue`."""

from __future__ import annotations

from progress.metric_spec import Better, MetricSpec
from progress.skin import COLOUR_REGIONS, LINE_REGIONS, RED_AREA_MARGIN

__all__ = ["SKIN_METRICS"]


def _specs() -> tuple[MetricSpec, ...]:
    """The catalogue entries of every skin metric."""
    colour_checks = ("colour_cast", "exposure_highlights", "exposure_shadows", "head_yaw", "head_pitch")
    structure_checks = ("face_size", "sharpness", "exposure_level", "head_yaw", "head_pitch", "light_direction_change")
    # Tone and texture follow the light too: in the recording whose light changes (TPSMM__driving, skin L* over a
    # 10-unit range) forehead tone SD and texture moved with the skin's L* (r = −0.93, −0.87; docs/noise.md).
    tone_checks = (*colour_checks, "lighting_change")
    texture_checks = (*structure_checks, "lighting_change")
    absolute = ("exposure", "white balance", "light colour")
    families: list[tuple[str, str, tuple[str, ...], str, Better, tuple[str, ...], str, tuple[str, ...]]] = [
        (
            "tone",
            "sd_lightness",
            COLOUR_REGIONS,
            "L*",
            Better.LOWER,
            tone_checks,
            "SD of L* in the 0.5–9 mm band (lower = more even)",
            ("tone curve", "large exposure changes"),
        ),
        (
            "tone",
            "sd_redness",
            COLOUR_REGIONS,
            "a*",
            Better.LOWER,
            tone_checks,
            "SD of a* in the 0.5–9 mm band",
            ("strong white-balance changes",),
        ),
        (
            "tone",
            "sd_yellowness",
            COLOUR_REGIONS,
            "b*",
            Better.LOWER,
            tone_checks,
            "SD of b* in the 0.5–9 mm band",
            ("strong white-balance changes",),
        ),
        (
            "tone",
            "delta_e",
            COLOUR_REGIONS,
            "ΔE00",
            Better.LOWER,
            tone_checks,
            "mean CIEDE2000 difference of each pixel from the region's median colour",
            ("tone curve",),
        ),
        (
            "redness",
            "a_star",
            COLOUR_REGIONS,
            "a*",
            Better.LOWER,
            (*colour_checks, "lighting_change"),
            "median a* (redness)",
            absolute,
        ),
        (
            "redness",
            "erythema_index",
            COLOUR_REGIONS,
            "EI",
            Better.LOWER,
            (*colour_checks, "lighting_change"),
            "erythema index 100·log10(R/G) on linear RGB means",
            ("white balance", "light colour"),
        ),
        (
            "redness",
            "cheek_contrast",
            ("cheek_left", "cheek_right"),
            "EI",
            Better.LOWER,
            colour_checks,
            "cheek EI minus forehead EI in the same photo (cancels exposure and light colour)",
            (),
        ),
        (
            "redness",
            "red_area",
            COLOUR_REGIONS,
            "fraction",
            Better.LOWER,
            (*colour_checks, "lighting_change"),
            f"fraction of pixels with a* above the baseline median + {RED_AREA_MARGIN:g}",
            ("white balance",),
        ),
        (
            "brightness",
            "lightness",
            (*COLOUR_REGIONS[:-1], "face"),
            "L*",
            Better.HIGHER,
            (*colour_checks, "lighting_change", "exposure_level"),
            "median L*; valid only with the same lighting or a colour chart",
            absolute,
        ),
        (
            "brightness",
            "ita",
            COLOUR_REGIONS,
            "degrees",
            Better.HIGHER,
            (*colour_checks, "lighting_change"),
            "individual typology angle atan2(L* − 50, b*); valid only with the same lighting or a chart",
            absolute,
        ),
        (
            "spots",
            "count_per_cm2",
            COLOUR_REGIONS,
            "per cm²",
            Better.LOWER,
            structure_checks,
            "dark blobs 1–5 mm across (scale-normalised LoG on log-luminance)",
            ("blur", "JPEG", "beauty filters"),
        ),
        (
            "spots",
            "area_fraction",
            COLOUR_REGIONS,
            "fraction",
            Better.LOWER,
            structure_checks,
            "area of those blobs over the region's area",
            ("blur", "JPEG", "beauty filters"),
        ),
        (
            "texture",
            "fine",
            COLOUR_REGIONS,
            "×10⁻⁴",
            Better.LOWER,
            texture_checks,
            "band-pass (0.2–0.6 mm) energy of luminance / mean²",
            ("blur", "JPEG", "noise", "beauty filters"),
        ),
        (
            "texture",
            "coarse",
            COLOUR_REGIONS,
            "×10⁻⁴",
            Better.LOWER,
            texture_checks,
            "band-pass (0.6–2 mm) energy of luminance / mean²",
            ("blur", "beauty filters", "light direction"),
        ),
        (
            "lines",
            "area_fraction",
            LINE_REGIONS,
            "fraction",
            Better.LOWER,
            structure_checks,
            "fraction of the region on fine lines running the expected way (Frangi, fixed γ)",
            ("blur", "light direction", "beauty filters"),
        ),
        (
            "lines",
            "length_per_cm2",
            LINE_REGIONS,
            "mm per cm²",
            Better.LOWER,
            structure_checks,
            "skeleton length of those lines per cm² of region",
            ("blur", "light direction", "beauty filters"),
        ),
        (
            "undereye",
            "darkness",
            ("undereye_left", "undereye_right"),
            "L*",
            Better.LOWER,
            (*colour_checks, "light_direction_change", "expression_squint"),
            "L* of the same-side cheek minus L* under the eye",
            ("light direction",),
        ),
        (
            "undereye",
            "delta_e",
            ("undereye_left", "undereye_right"),
            "ΔE00",
            Better.LOWER,
            (*colour_checks, "light_direction_change", "expression_squint"),
            "CIEDE2000 between the under-eye and same-side cheek colours",
            ("light direction",),
        ),
    ]
    return tuple(
        MetricSpec(
            f"{family}.{measure}.{region}",
            family,
            region,
            unit,
            better,
            tuple(dict.fromkeys((*checks, *_expressions(family, region)))),
            description,
            not_invariant,
        )
        for family, measure, regions, unit, better, checks, description, not_invariant in families
        for region in regions
    )


_EXPRESSION_CHECKS = {
    "forehead": ("expression_brows_raised",),
    "glabella": ("expression_brows_raised", "expression_frown"),
    "crows_feet_left": ("expression_squint", "expression_smile"),
    "crows_feet_right": ("expression_squint", "expression_smile"),
    "undereye_left": ("expression_squint", "expression_smile"),
    "undereye_right": ("expression_squint", "expression_smile"),
    "nasolabial_left": (
        "expression_smile",
        "expression_mouth_sideways",
        "expression_pucker",
        "expression_cheek_puff",
        "expression_lips_apart",
    ),
    "nasolabial_right": (
        "expression_smile",
        "expression_mouth_sideways",
        "expression_pucker",
        "expression_cheek_puff",
        "expression_lips_apart",
    ),
}
"""The expressions that make or hide each region's lines: raised brows crease the forehead, a smile or squint
bunches the skin around the eyes and deepens the nasolabial fold."""

_FOLDING_EXPRESSIONS = {
    "cheek_left": ("expression_smile", "expression_lips_apart", "expression_frown"),
    "cheek_right": ("expression_smile", "expression_lips_apart", "expression_frown"),
    "face": ("expression_smile", "expression_lips_apart", "expression_frown"),
    "chin": ("expression_smile", "expression_lips_apart", "expression_jaw_open", "expression_frown"),
}
"""The expressions that move each region's spots and texture, measured over the frames of the real recordings
(``docs/noise.md``, median |r| over the recordings where the expression varies): the smile score with cheek spot
counts and cheek texture (0.2–0.35) and with the whole face's (0.26–0.41); parted lips and an open jaw with the
chin's texture (0.24–0.30); a frown (which comes with the nose wrinkled in disgust) with cheek and chin texture
(0.29–0.49, two recordings). The forehead's move with none of them (≤ 0.12)."""


def _expressions(family: str, region: str) -> tuple[str, ...]:
    if family == "lines":
        return _EXPRESSION_CHECKS.get(region, ())
    if family in ("spots", "texture"):
        return _FOLDING_EXPRESSIONS.get(region, ())
    return ()


SKIN_METRICS = _specs()
