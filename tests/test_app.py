"""The Streamlit app on its embedded defaults (the demo client), through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).parents[1] / "app.py"


def test_the_demo_client_opens_with_every_photo_checked() -> None:
    app = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not app.exception
    assert [header.value for header in app.subheader][:2] == ["session_01_2026-01-05.jpg", "session_02_2026-01-19.jpg"]
    assert len(app.subheader) == 8
    lines = [markdown.value for markdown in app.markdown]
    assert any("face size" in line for line in lines)
    assert any("camera distance change" in line for line in lines)  # later sessions are compared with the first
