"""Streamlit UI for progress: check and align a session's photos. Thin: every computation lives in progress/."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from progress import FaceLandmarker, PhotoResult, ProgressError, Status, analyze_photo, compare_with_baseline

DEMO_CLIENT = Path(__file__).parent / "sample_images" / "demo_client"
STATUS_ICON = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌"}


@st.cache_resource
def landmarker() -> FaceLandmarker:
    """One landmarker for all sessions: FaceLandmarker holds a lock around every MediaPipe call."""
    return FaceLandmarker()


@st.cache_data(max_entries=128, show_spinner=False)
def analyze(data: bytes, name: str) -> PhotoResult:
    """Analyse one photo's bytes; a photo that cannot be used comes back with its error."""
    try:
        return analyze_photo(data, landmarker(), name=name)
    except ProgressError as error:
        return PhotoResult(path=name, error=error)


st.set_page_config(page_title="progress", layout="wide")
st.title("Photo progress")
st.caption("Photos are analysed on this computer only. The first photo of the list is the baseline.")

uploads = st.file_uploader("Session photos (JPEG, PNG, HEIC)", accept_multiple_files=True, key="uploads")
photos = [(upload.name, upload.getvalue()) for upload in uploads or []]
if not photos and st.toggle("Open the demo client", value=True, key="demo"):
    photos = [(path.name, path.read_bytes()) for path in sorted(DEMO_CLIENT.glob("*.jpg"))]
if not photos:
    st.info("Upload a session's photos, or open the demo client.")
    st.stop()

progress_bar = st.progress(0.0, text="Analysing photos…")
results = []
for index, (name, data) in enumerate(photos):
    results.append(analyze(data, name))
    progress_bar.progress((index + 1) / len(photos), text=f"Analysed {name}")
progress_bar.empty()

baseline = next((result for result in results if result.ok), None)
for result in results:
    st.subheader(result.path or "photo")
    if result.error is not None:
        st.error(str(result.error))
        continue
    if baseline is not None and result is not baseline:
        result = compare_with_baseline(result, baseline)
    picture, checks = st.columns([1, 2])
    assert result.aligned is not None
    picture.image(result.aligned.image, caption="aligned face", width="stretch")
    for check in result.checks:
        checks.markdown(f"{STATUS_ICON[check.status]} **{check.name.replace('_', ' ')}** "
                        f"({check.value:.3g} {check.unit}) {check.fix}")
