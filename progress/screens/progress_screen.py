"""Progress: a summary card per concern, then charts of the primary metrics and of every concern with a
conclusion, all in plain words; every metric with its identifier and expert units in the expert view."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from progress.catalogue import catalogue, label, registry
from progress.concerns import ConcernSummary, Status, concern_summaries, metrics_to_show
from progress.plot import altair_chart
from progress.practice import measure_again, outdated_photos
from progress.screens.common import get_landmarker, revision, series_of, wrote
from progress.series import MetricSeries, SeriesResult, Verdict
from progress.store import ClientRecord, Store
from progress.wording import change_sentence, verdict_words

__all__ = ["show"]

COLOUR = {Status.IMPROVED: "green", Status.WORSE: "red", Status.NO_CLEAR_CHANGE: "gray", Status.CANT_TELL: "orange"}
CARDS_PER_ROW = 3
_CALLED = (Verdict.IMPROVED, Verdict.WORSENED, Verdict.CHANGED)
SeriesKey = tuple[str, int, tuple[str, ...], int]
"""(records' URL, client id, primary metrics, revision): what a client's cached series is kept by."""


def show(store: Store, client: ClientRecord) -> None:
    """The Progress screen of ``client``."""
    _outdated(store, client)
    primary = tuple(client.primary_metrics)
    series = series_of(store, client.id, primary)
    if len(series.sessions) < 2:
        st.info("Progress needs at least two sessions.")
        return
    summaries = concern_summaries(series)
    st.subheader("Summary by concern")
    st.caption(
        "Each concern is judged from its headline measurements, comparing every session with the first. "
        "A change is called only when it is larger than the day-to-day variation of the photos."
    )
    if series.controls_moved:
        st.warning(
            "Measurements that treatment cannot change moved between sessions, so the photos were not "
            "taken the same way: changes are not trusted until the photos are taken the same way again."
        )
    _cards(summaries)
    _primary_picker(store, client, primary)
    st.subheader("Charts")
    st.caption(
        "Dots are photos, the line joins the session values (a gap where a session has no comparable photo), "
        "orange crosses are photos that are not comparable, and the grey band is the first session ± the "
        "day-to-day variation: points inside it are not a real change."
    )
    key: SeriesKey = (str(store.url), client.id, primary, revision(client.id))
    for metric in metrics_to_show(series, summaries):
        _chart(series, metric, key)
    _expert(series)


def _cards(summaries: list[ConcernSummary]) -> None:
    for start in range(0, len(summaries), CARDS_PER_ROW):
        for column, summary in zip(st.columns(CARDS_PER_ROW), summaries[start : start + CARDS_PER_ROW], strict=False):
            with column, st.container(border=True):
                st.markdown(f"**{summary.concern.title}**")
                st.markdown(f":{COLOUR[summary.status]}[**{summary.status}**] — {summary.reason}.")
                if summary.detail:
                    st.caption(summary.detail)
                st.caption(summary.concern.explanation)


def _primary_picker(store: Store, client: ClientRecord, primary: tuple[str, ...]) -> None:
    chosen = st.multiselect(
        "Primary measurements for this client (up to 5)",
        [spec.name for spec in catalogue()],
        default=list(primary),
        format_func=label,
        max_selections=5,
        key="primary",
    )
    if tuple(chosen) != primary:
        store.update_client(client.id, primary_metrics=chosen)
        wrote(client.id)
        st.rerun()


@st.cache_data(ttl=60, max_entries=512, show_spinner=False)
def _chart_spec(_series: SeriesResult, series_key: SeriesKey, metric: str) -> dict[str, Any]:
    """One metric's chart as a Vega-Lite spec, kept as long as its series (``series_key``: as
    :func:`progress.screens.common.series_of` keys it). Altair's schema checks, which take half the time, are
    skipped: the charts are checked in the tests (``tests/test_concerns.py``)."""
    import altair as alt
    from altair.utils.schemapi import debug_mode

    with debug_mode(False), alt.theme.enable("none"):  # as st.altair_chart converts it: no default width, height
        return dict(altair_chart(_series, _series.metrics[metric]).to_dict(validate=False))


def _chart(series: SeriesResult, metric: MetricSeries, series_key: SeriesKey) -> None:
    entry = registry().get(metric.spec.name)
    title = label(metric.spec) + (" (primary)" if metric.primary else "")
    st.markdown(f"**{title}** — {verdict_words(metric.verdict)}")
    sentence = (
        change_sentence(metric, beyond_noise=metric.verdict in _CALLED)
        if metric.verdict in (*_CALLED, Verdict.NO_CLEAR_CHANGE)
        else ""
    )
    st.caption(" ".join(part for part in (entry.words.meaning if entry else "", sentence) if part))
    st.vega_lite_chart(spec=_chart_spec(series, series_key, metric.spec.name), width="stretch", height=260)


def _expert(series: SeriesResult) -> None:
    with st.expander("Expert view: every metric, with identifiers and units"):
        st.dataframe(
            [
                {
                    "metric": m.spec.name,
                    "label": label(m.spec),
                    "unit": m.spec.unit,
                    "verdict": str(m.verdict),
                    "baseline": _number(m.baseline),
                    "latest": _number(m.latest),
                    "trend change": _number(m.change),
                    "MDC95": _number(m.minimal_detectable_change),
                    "sessions": sum(1 for v in m.values if math.isfinite(v)),
                    "why": " | ".join(m.reasons[-2:]),
                }
                for m in series.metrics.values()
            ],
            width="stretch",
        )
        for note in series.notes:
            st.text(note)


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


@st.cache_data(ttl=60, show_spinner=False)
def _outdated_count(_store: Store, url: str, client_id: int, revision: int) -> tuple[int, int]:
    """(photos measured by another version, all the client's photos)."""
    photos = sum(len(_store.photos(record.id)) for record in _store.sessions(client_id))
    return len(outdated_photos(_store, client_id)), photos


def _outdated(store: Store, client: ClientRecord) -> None:
    """Say so when photos were measured by another version of progress, and offer to measure them all again (all of
    them, so that every photo is compared with the same baseline as before)."""
    count, photos = _outdated_count(store, str(store.url), client.id, revision(client.id))
    if not count:
        return
    st.warning(
        f"{count} of this client's photos were measured by another version of progress, so their numbers may not "
        "compare with those measured now. Measure the photos again to compare like with like."
    )
    if st.button(f"Measure all {photos} photos again", key="measure_again"):
        with st.spinner("Measuring the photos again…"):
            measure_again(store, get_landmarker(), client.id)
        wrote(client.id)
        st.rerun()
