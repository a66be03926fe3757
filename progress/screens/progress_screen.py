"""Progress: per metric family a chart across sessions with the noise band and the verdict."""

from __future__ import annotations

import streamlit as st

from progress.catalogue import catalogue
from progress.plot import altair_chart
from progress.practice import metrics_to_show
from progress.screens.common import series_of, wrote
from progress.series import Verdict
from progress.store import ClientRecord, Store

BADGE = {Verdict.IMPROVED: "🟢", Verdict.WORSENED: "🔴", Verdict.CHANGED: "🟣", Verdict.NO_CLEAR_CHANGE: "⚪",
         Verdict.NOT_ENOUGH_DATA: "⚫", Verdict.UNRELIABLE: "🟠"}


def show(store: Store, client: ClientRecord) -> None:
    """The Progress screen of ``client``."""
    primary = tuple(client.primary_metrics)
    series = series_of(store, client.id, primary)
    if len(series.sessions) < 2:
        st.info("Progress needs at least two sessions.")
        return
    chosen_primary = st.multiselect("Primary metrics for this client (up to 5)",
                                    [spec.name for spec in catalogue()], default=list(primary),
                                    max_selections=5, key="primary")
    if tuple(chosen_primary) != primary:
        store.update_client(client.id, primary_metrics=chosen_primary)
        wrote()
        st.rerun()
    if series.controls_moved:
        st.warning("Negative controls moved: " + ", ".join(series.controls_moved)
                   + ". The photos were not taken the same way; changes are not trusted.")
    for note in series.notes:
        st.warning(note)
    for metric in metrics_to_show(series):
        st.markdown(f"{BADGE[metric.verdict]} **{metric.spec.name}** — {metric.verdict}: change "
                    f"{metric.change:.3g} ± {metric.minimal_detectable_change:.3g} {metric.spec.unit}"
                    + (" (primary)" if metric.primary else ""))
        st.altair_chart(altair_chart(series, metric), width="stretch", height=260)
    with st.expander("Every metric"):
        st.dataframe([{"metric": m.spec.name, "verdict": str(m.verdict), "baseline": m.baseline,
                       "latest": m.latest, "change": m.change, "MDC95": m.minimal_detectable_change,
                       "why": " | ".join(m.reasons[-2:])} for m in series.metrics.values()], width="stretch")
