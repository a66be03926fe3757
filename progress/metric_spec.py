"""A metric's technical definition (:class:`MetricSpec`) and the vocabulary it is written in.

A leaf module: the metric modules (:mod:`progress.skin`, :mod:`progress.contour`) define their specs with it, and
the registry (:mod:`progress.catalogue`) gathers those specs and adds their plain words, so nothing imports in a
circle.

Names are ``family.measure[.region]``. Families: tone, redness, brightness, spots, texture, lines, undereye,
contour, lift, symmetry. Regions: forehead, glabella, cheek_left, cheek_right, undereye_left, undereye_right,
crows_feet_left, crows_feet_right, nasolabial_left, nasolabial_right, chin, face (left/right are the client's
own). Landmark metrics that come in pairs carry the side instead of a region: ``left`` or ``right`` (the client's
own); whole-face landmark metrics have no region.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["BASELINE_COMPARISONS", "FAMILIES", "REGIONS", "SIDES", "SKIN_SURFACE", "Better", "Family", "MetricSpec"]


class Family(StrEnum):
    """What a metric is about (the first part of its name)."""

    TONE = "tone"
    REDNESS = "redness"
    BRIGHTNESS = "brightness"
    SPOTS = "spots"
    TEXTURE = "texture"
    LINES = "lines"
    UNDEREYE = "undereye"
    CONTOUR = "contour"
    LIFT = "lift"
    SYMMETRY = "symmetry"


FAMILIES: tuple[str, ...] = tuple(family.value for family in Family)
REGIONS = (
    "forehead", "glabella", "cheek_left", "cheek_right", "undereye_left", "undereye_right", "crows_feet_left",
    "crows_feet_right", "nasolabial_left", "nasolabial_right", "chin", "face",
)  # fmt: skip
SIDES = ("left", "right")
BASELINE_COMPARISONS = ("lighting_change", "light_direction_change", "camera_distance_change")
"""The capture checks that compare a photo with the client's baseline photo (``progress.quality.baseline_checks``)."""
SKIN_SURFACE = (Family.SPOTS, Family.TEXTURE, Family.LINES)
"""The families measured on the skin's fine surface, which a slight expression already folds into lines, bumps and
shadows."""


class Better(StrEnum):
    """Which direction of change is an improvement."""

    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "neither"  # no treatment claim either way (descriptive metrics and negative controls)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric's technical definition (its plain words are in :mod:`progress.catalogue`).

    Attributes:
        name: ``family.measure[.region]``.
        family: One of ``FAMILIES``.
        region: One of ``REGIONS``, a side (``SIDES``) for paired landmark metrics, or None for whole-face ones.
        unit: Unit of the value (the expert's unit: a*, EI, IPD, ...).
        better: Which direction is an improvement.
        depends_on: Names of the capture checks that must not fail for the value to count.
        description: One technical line on what it measures (formula, landmarks).
        not_invariant_to: Nuisances the value moves with (e.g. "exposure", "white balance"): such a metric is
            comparable across sessions only when those are held constant or corrected with a colour chart.
        negative_control: True for a metric the treatment cannot change (a skeletal width, the canthal tilt):
            if it moves, the measurement moved, and the series must say its verdicts are unreliable.
    """

    name: str
    family: str
    region: str | None
    unit: str
    better: Better
    depends_on: tuple[str, ...]
    description: str
    not_invariant_to: tuple[str, ...] = ()
    negative_control: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES or (self.region is not None and self.region not in REGIONS + SIDES):
            raise ValueError(f"Unknown family or region in metric {self.name!r}.")

    @property
    def excluded_on_warning(self) -> tuple[str, ...]:
        """The checks in ``depends_on`` whose warning already leaves a photo out of this metric (a failure always
        does): the comparisons with the baseline photo (``BASELINE_COMPARISONS``: a photo lit or framed otherwise
        than the baseline moves the value in step with the light, which no noise figure covers), and for the
        skin-surface families (``SKIN_SURFACE``) the expressions, since the skin folds before the expression is
        strong enough to fail its check (``docs/noise.md``)."""
        surface = self.family in SKIN_SURFACE
        return tuple(
            c for c in self.depends_on if c in BASELINE_COMPARISONS or (surface and c.startswith("expression_"))
        )

    @property
    def measure(self) -> str:
        """The middle part of the name (``cheek_contrast`` in ``redness.cheek_contrast.cheek_left``)."""
        return self.name.split(".")[1]
