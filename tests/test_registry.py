"""The metric registry: every metric has plain words and a plain scale, labels are unique and free of identifiers
and expert units, the metric modules do not import the registry (no import cycle), and the docs list the words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from progress.catalogue import FAMILIES, INTER_PUPILLARY_MM, Family, PlainScale, catalogue, label, metric, registry

ROOT = Path(__file__).parents[1]
IDENTIFIER = re.compile(r"\b(tone|redness|brightness|spots|texture|lines|undereye|contour|lift|symmetry)\.[a-z_0-9]+")
EXPERT_WORDS = ("MDC95", "IPD", "ΔE00", "a*", "b*", "L*", "×10⁻⁴", "_")


def test_every_metric_has_plain_words() -> None:
    entries = registry()
    assert list(entries) == [spec.name for spec in catalogue()]
    for entry in entries.values():
        words = entry.words
        assert words.label and words.meaning.endswith("."), entry.name
        for text in (words.label, words.meaning):
            assert not IDENTIFIER.search(text), text
            assert not [word for word in EXPERT_WORDS if word in text], text
            assert not re.search(r"\bEI\b", text), text
        assert isinstance(words.scale, PlainScale)
    labels = [entry.label for entry in entries.values()]
    assert len(set(labels)) == len(labels)  # one label, one metric


def test_plain_scales_follow_the_expert_units() -> None:
    for entry in registry().values():
        unit, scale = entry.spec.unit, entry.words.scale
        if unit == "IPD":
            assert scale is PlainScale.MILLIMETRES, entry.name
        if unit in ("ratio", "×10⁻⁴", "IPD²", "a*", "b*", "EI", "ΔE00", "L*"):
            assert scale is PlainScale.PERCENT_CHANGE, entry.name
        if unit == "fraction":
            assert scale is PlainScale.PERCENT_OF_AREA, entry.name
    assert "63 mm" in PlainScale.MILLIMETRES.explanation and INTER_PUPILLARY_MM == 63.0


def test_labels_read_as_a_person_would_say_them() -> None:
    assert label("redness.cheek_contrast.cheek_left") == "Redness vs forehead – left cheek"
    assert label("lift.brow_height.left") == "Brow height – left"
    assert label("undereye.darkness.undereye_right") == "Under-eye darkness – right"
    assert label("symmetry.landmark_asymmetry") == "Asymmetry – whole face"
    assert metric("contour.width_profile_55").label == "Face width 55 % of the way down from cheekbones to chin"
    assert tuple(family.value for family in Family) == FAMILIES


def _imports(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_metric_modules_do_not_import_the_registry() -> None:
    for module in ("skin", "contour", "metric_spec"):
        assert "progress.catalogue" not in _imports(ROOT / "progress" / f"{module}.py"), module
    assert not {name for name in _imports(ROOT / "progress" / "metric_spec.py") if name.startswith("progress")}


def test_nothing_else_keeps_metric_words() -> None:
    report = (ROOT / "progress" / "report.py").read_text()
    assert "_MEASURE_WORDS" not in report and "_REGION_WORDS" not in report


def test_the_docs_give_every_metric_its_plain_words() -> None:
    documented = (ROOT / "docs" / "metrics.md").read_text()
    missing = [entry.name for entry in registry().values() if f"| `{entry.name}` | {entry.label} |" not in documented]
    assert not missing, f"docs/metrics.md lacks the plain words of {missing}"


def test_which_warnings_leave_a_photo_out() -> None:
    """A warned comparison with the baseline leaves a photo out of every metric that depends on it; a warned
    expression only out of the skin-surface metrics (spots, texture, lines), and those of the cheeks depend on
    the smile while the forehead's do not (``docs/noise.md``, "Which photos count")."""
    cheek_texture, forehead_texture = metric("texture.fine.cheek_left").spec, metric("texture.fine.forehead").spec
    assert "expression_smile" in cheek_texture.depends_on and "expression_smile" not in forehead_texture.depends_on
    assert set(cheek_texture.excluded_on_warning) == {
        "light_direction_change",
        "lighting_change",
        "expression_smile",
        "expression_lips_apart",
        "expression_frown",
    }
    assert metric("redness.a_star.cheek_left").spec.excluded_on_warning == ("lighting_change",)
    brow = metric("lift.brow_height.left").spec
    assert "expression_brows_raised" in brow.depends_on and brow.excluded_on_warning == ("camera_distance_change",)
    for spec in catalogue():
        assert set(spec.excluded_on_warning) <= set(spec.depends_on)
