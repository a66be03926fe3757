"""Export: the metrics CSV, the client's zip (photos without location data), the PDF report, and deleting the
client (confirmed). Files are made on an explicit click and then served from memory, so any download works
whatever was clicked before."""

from __future__ import annotations

import streamlit as st

from progress.practice import session_faces
from progress.report import DEFAULT_NEXT_STEP, ReportOptions, client_report
from progress.screens.common import aligned, prepared_download, revision, series_of, wrote
from progress.screens.sidebar import open_client
from progress.store import ClientRecord, Store
from progress.summary import series_csv


def show(store: Store, client: ClientRecord) -> None:
    """The Export screen of ``client``."""
    series = series_of(store, client.id, tuple(client.primary_metrics))
    token = (client.id, revision(client.id))
    code = f"client-{client.id}"  # file names carry no name: they end up in download folders and histories
    st.download_button(
        "Metrics (CSV)",
        series_csv(series).encode(),
        file_name=f"{code}-metrics.csv",
        mime="text/csv",
        key="csv",
        on_click="ignore",
    )
    prepared_download(
        "Everything about this client (zip)",
        "zip",
        lambda: store.export_client(client.id),
        file_name=f"{code}.zip",
        mime="application/zip",
        token=token,
    )

    next_step = st.text_area("Next step (printed on the report)", value=DEFAULT_NEXT_STEP, key="next_step")

    def report() -> bytes:
        usable = session_faces(store, client.id)
        ends = [aligned(store, photo.id) for _, photo in (usable[0], usable[-1])] if len(usable) >= 2 else []
        faces = (ends[0], ends[1]) if len(ends) == 2 and ends[0] is not None and ends[1] is not None else None
        treatments = tuple(
            dict.fromkeys(
                note.strip() for record in store.sessions(client.id) if (note := record.treatment_notes).strip()
            )
        )
        options = ReportOptions(
            client=client.name,
            practice=store.setting("practice_name", ""),
            contact=store.setting("practice_contact", ""),
            logo=store.setting_bytes("practice_logo"),
            include_photos=client.consent_clinical,
            faces=faces,
            face_dates=(usable[0][0].day, usable[-1][0].day) if faces else None,
            treatments=treatments,
            next_step=next_step.strip() or DEFAULT_NEXT_STEP,
        )
        return client_report(series, options)

    enough = len(series.sessions) >= 2
    prepared_download(
        "Progress report for the client (PDF)",
        "report",
        report,
        file_name=f"{code}-report.pdf",
        mime="application/pdf",
        token=(*token, next_step),
        disabled=not enough,
    )
    if not enough:
        st.caption("The report needs at least two sessions.")
    st.divider()
    st.text(f"Delete the client {client.name}: every session, photo (and its file), analysis and note goes.")
    sure = st.checkbox("I want to delete this client and every photo and note of theirs", key="delete_sure")
    if st.button("Delete this client", disabled=not sure, type="primary", key="delete"):
        store.delete_client(client.id)
        wrote(client.id)
        open_client(None)
        st.rerun()
