"""Concern cards from synthetic series: a status for every concern, its reason in words, the size of a change in
plain units with its uncertainty, and charts only where there is a conclusion."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np

from progress.analysis import PhotoResult
from progress.catalogue import metric
from progress.concerns import CONCERNS, Concern, ConcernSummary, Status, concern_summaries, metrics_to_show
from progress.quality import Check
from progress.quality import Status as CheckStatus
from progress.series import SeriesResult, analyze_series, group_sessions

START = datetime(2026, 1, 5, 10, 0)
REDNESS = next(c for c in CONCERNS if c.key == "redness")
GLOW = next(c for c in CONCERNS if c.key == "glow")
JAWLINE = next(c for c in CONCERNS if c.key == "jawline")


def _series(
    concern: Concern, level: list[float], *, failing: str | None = None, warning: str | None = None, seed: int = 1
) -> SeriesResult:
    """Three photos a session, two weeks apart, every headline metric at ``level[session]`` (+ small noise)."""
    rng = np.random.default_rng(seed)
    checks = tuple([Check(failing, CheckStatus.FAIL, 1.0, 0.5, "score", "fix it")] if failing else []) + tuple(
        [Check(warning, CheckStatus.WARN, 1.0, 0.5, "score", "fix it")] if warning else []
    )
    photos = [
        PhotoResult(
            path=f"s{session}-{repeat}.jpg",
            captured_at=START + timedelta(days=14 * session),
            checks=checks,
            metrics={name: value + rng.normal(0, 0.01 * abs(value) + 1e-4) for name in concern.headline},
        )
        for session, value in enumerate(level)
        for repeat in range(3)
    ]
    specs = [metric(name).spec for name in concern.headline]
    return analyze_series(group_sessions(photos), metrics=specs)


def _card(series: SeriesResult, concern: Concern) -> ConcernSummary:
    return concern_summaries(series, [concern])[0]


def test_a_steady_fall_in_cheek_redness_is_improved_with_its_size_in_plain_words() -> None:
    card = _card(_series(REDNESS, [6.0, 5.0, 4.0, 3.0, 2.0, 1.5]), REDNESS)
    assert card.status is Status.IMPROVED
    assert "more than the day-to-day variation" in card.detail
    assert "Redness vs forehead" in card.detail and "fell by about three quarters" in card.detail
    assert "±" in card.detail and "%" in card.detail and "EI" not in card.detail


def test_two_sessions_cannot_tell_yet_and_say_so() -> None:
    card = _card(_series(REDNESS, [6.0, 3.0]), REDNESS)
    assert card.status is Status.CANT_TELL
    assert card.reason.startswith("only 2 comparable sessions")
    assert card.detail == ""


def test_noise_alone_is_no_clear_change() -> None:
    card = _card(_series(REDNESS, [6.0, 6.02, 5.97, 6.01, 5.99, 6.0]), REDNESS)
    assert card.status is Status.NO_CLEAR_CHANGE
    assert "within the day-to-day variation" in card.reason


def test_light_that_changed_between_sessions_is_the_reason() -> None:
    card = _card(_series(GLOW, [60.0, 61.0, 62.0, 63.0, 64.0, 65.0], warning="lighting_change"), GLOW)
    assert card.status is Status.CANT_TELL
    # every photo after the baseline was lit otherwise: none counts, and the card says why
    assert card.reason == "no comparable sessions (at least 3 needed): the light changed between sessions"


def test_light_that_drifted_steadily_with_the_change_is_the_reason() -> None:
    steady = _series(GLOW, [60.0, 63.0, 66.0, 69.0, 72.0, 75.0])
    drifting = [  # every photo passes the lighting check, but its ΔE from the baseline grows with the glow
        replace(photo, checks=(Check("lighting_change", CheckStatus.PASS, 0.6 * index, 4.0, "ΔE", ""),))
        for index, session in enumerate(steady.sessions)
        for photo in session.photos
    ]
    specs = [metric(name).spec for name in GLOW.headline]
    assert _card(steady, GLOW).status is Status.IMPROVED
    card = _card(analyze_series(group_sessions(drifting), metrics=specs), GLOW)
    assert card.status is Status.CANT_TELL
    assert card.reason == "the light changed steadily from session to session, so the change may come from that"


def test_a_smile_in_every_photo_says_what_spoiled_the_photos() -> None:
    card = _card(_series(JAWLINE, [0.8, 0.79, 0.78, 0.77], failing="expression_smile"), JAWLINE)
    assert card.status is Status.CANT_TELL
    assert card.reason == "no comparable sessions (at least 3 needed): the client was smiling"


def test_every_concern_gets_a_card_and_only_concluded_ones_get_charts() -> None:
    series = _series(REDNESS, [6.0, 5.0, 4.0, 3.0, 2.0, 1.5])
    cards = concern_summaries(series)
    assert [card.concern for card in cards] == list(CONCERNS)
    assert all(card.reason for card in cards)
    assert {card.concern.key: card.status for card in cards}["glow"] is Status.CANT_TELL  # not measured here
    shown = metrics_to_show(series, cards)
    assert shown and all(m.spec.name in REDNESS.headline for m in shown)


def test_every_headline_metric_is_in_the_registry() -> None:
    for concern in CONCERNS:
        assert concern.headline and concern.explanation.endswith(".")
        for name in concern.headline:
            assert metric(name).spec.negative_control is False


def test_a_session_without_a_comparable_photo_is_a_gap_and_its_photos_say_why() -> None:
    from progress.plot import altair_chart, metric_frame, session_segments

    level = [6.0, 5.0, 4.0, 3.0, 2.0, 1.5]
    rng = np.random.default_rng(3)
    smile = (Check("expression_smile", CheckStatus.FAIL, 1.0, 0.5, "score", "relax"),)
    photos = [
        PhotoResult(
            path=f"s{s}-{r}.jpg",
            captured_at=START + timedelta(days=14 * s),
            checks=smile if s == 2 else (),
            metrics={"redness.cheek_contrast.cheek_left": v + rng.normal(0, 0.05)},
        )
        for s, v in enumerate(level)
        for r in range(3)
    ]
    spec = metric("redness.cheek_contrast.cheek_left").spec
    spec_with_smile = type(spec)(
        spec.name,
        spec.family,
        spec.region,
        spec.unit,
        spec.better,
        (*spec.depends_on, "expression_smile"),
        spec.description,
    )
    series = analyze_series(group_sessions(photos), metrics=[spec_with_smile])
    result = series.metrics[spec.name]
    assert session_segments(list(result.values)) == [[0, 1], [3, 4, 5]]  # no line across session 3
    frame = metric_frame(series, result)
    left_out = [row for row in frame if row["counted"] == "not comparable"]
    assert len(left_out) == 3 and {row["why"] for row in left_out} == {"not comparable (the client was smiling)"}
    chart = altair_chart(series, result).to_dict()
    runs = {row["run"] for layer in chart["layer"] for row in layer.get("data", {}).get("values", []) if "run" in row}
    assert runs == {0, 1}
