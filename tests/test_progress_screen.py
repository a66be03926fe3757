"""The Progress screen (Streamlit's AppTest) on the demo client in a real SQLite store: a card per concern with a
status and its reason, plain words only outside the expert view, plain labels in the primary picker."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from progress import FaceLandmarker
from progress.concerns import CONCERNS, Status
from progress.practice import open_demo_client
from progress.store import Store

IDENTIFIER = re.compile(r"\b(tone|redness|brightness|spots|texture|lines|undereye|contour|lift|symmetry)\.[a-z_0-9]+")
EXPERT_WORDS = ("MDC95", "IPD", "ΔE00", "a*", "×10⁻⁴")
EXPERT_WORD = re.compile(r"\bEI\b")


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory, landmarker: FaceLandmarker) -> Iterator[tuple[Path, int]]:
    folder = tmp_path_factory.mktemp("practice")
    with Store(data_folder=folder) as store:
        client = open_demo_client(store, landmarker)
    yield folder, client.id


def _screen(folder: str, client_id: int) -> None:
    from progress.screens import progress_screen
    from progress.store import Store

    store = Store(data_folder=folder)
    client = next(c for c in store.list_clients("") if c.id == client_id)
    progress_screen.show(store, client)


def _run(practice: tuple[Path, int]) -> AppTest:
    folder, client_id = practice
    app = AppTest.from_function(_screen, args=(str(folder), client_id), default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


def _plain_texts(app: AppTest) -> list[str]:
    """Every text outside the expert view."""
    texts = [
        *(m.value for m in app.markdown),
        *(c.value for c in app.caption),
        *(s.value for s in app.subheader),
        *(w.value for w in app.warning),
        *(i.value for i in app.info),
    ]
    texts += [m.label for m in app.multiselect] + [str(o) for m in app.multiselect for o in m.options]
    return [str(t) for t in texts]


def test_every_concern_has_a_card_with_a_status_and_a_reason(practice: tuple[Path, int]) -> None:
    app = _run(practice)
    texts = [str(m.value) for m in app.markdown]
    for concern in CONCERNS:
        title = texts.index(f"**{concern.title}**")
        status_line = texts[title + 1]
        assert any(f"[**{status}**] — " in status_line for status in Status), status_line
        assert len(status_line.split(" — ", 1)[1]) > 10  # a reason in words
    joined = "\n".join(texts)
    assert "[**Improved**] — " in joined  # the demo's cheek redness fades
    assert "Can't tell yet" in joined and "the client was smiling" in joined  # the smile hides the jaw: say so


def test_no_identifiers_or_expert_units_outside_the_expert_view(practice: tuple[Path, int]) -> None:
    app = _run(practice)
    texts = _plain_texts(app)
    assert texts
    for text in texts:
        assert not IDENTIFIER.search(text), text
        assert not any(word in text for word in EXPERT_WORDS), text
        assert not EXPERT_WORD.search(text), text
    expert = app.expander[0]
    assert expert.label.startswith("Expert view")
    assert len(expert.dataframe) == 1


def test_the_primary_picker_shows_plain_labels(practice: tuple[Path, int]) -> None:
    app = _run(practice)
    picker = app.multiselect(key="primary")
    assert "Redness vs forehead – left cheek" in [str(option) for option in picker.options]


def test_the_summary_comes_before_the_first_chart(practice: tuple[Path, int]) -> None:
    app = _run(practice)
    headers = [str(s.value) for s in app.subheader]
    assert headers.index("Summary by concern") < headers.index("Charts")
