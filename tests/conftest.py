"""Shared fixtures: real face pixels (scikit-image's public-domain NASA astronaut portrait) and one landmarker."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
import skimage.data
from helpers import ARTIFACTS, ROOT, AppServer, require_chromium, scale_exposure, streamlit_server

from progress import FaceLandmarker

MODEL_FIXTURES = frozenset({"landmarker"})
"""Fixtures that run the MediaPipe face model: a test using one (directly or through another fixture) is marked
``model``, so ``pytest -m "not model"`` is the fast lane. Tests that run the model some other way (analysing a
photo without the fixture, the CLI, the app, the browser) carry ``pytest.mark.model`` themselves."""
PORTRAIT_UPSCALE = 2.5
"""The astronaut's face is small (43 px between the pupils); upscaled 2.5× it passes the face-size check."""


@pytest.fixture(scope="session")
def landmarker() -> Iterator[FaceLandmarker]:
    with FaceLandmarker() as shared:
        yield shared


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """uint8 (512, 512, 3) RGB: a real, frontal, smiling face."""
    image: np.ndarray = skimage.data.astronaut()
    return image


@pytest.fixture(scope="session")
def portrait(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut upscaled 2.5× (1280×1280), the kind of face size a practitioner's photo has."""
    return cv2.resize(astronaut, None, fx=PORTRAIT_UPSCALE, fy=PORTRAIT_UPSCALE, interpolation=cv2.INTER_LANCZOS4)


@pytest.fixture(scope="session")
def cat() -> np.ndarray:
    """uint8 RGB photo with no human face (scikit-image's chelsea), upscaled to 600 px high."""
    image: np.ndarray = skimage.data.chelsea()
    return cv2.resize(image, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope="session")
def client_photo(portrait: np.ndarray) -> np.ndarray:
    """The portrait 10 % darker in linear light: the astronaut's forehead is at the edge of clipping otherwise."""
    return scale_exposure(portrait, 0.9)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """One ``streamlit run app.py`` for every browser test of the app (test_browser*.py): starting one and its
    first run take seconds. Each test makes its own clients, with names no other test uses."""
    require_chromium()
    folder = tmp_path_factory.mktemp("practice")
    with streamlit_server(ROOT / "app.py", data_folder=folder, log=ARTIFACTS / "streamlit-server.log") as url:
        yield AppServer(url, folder)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reverse",
        action="store_true",
        default=False,
        help="run the tests in reverse order: no test may depend on what ran before it",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that uses a model fixture ``model``; with ``--reverse``, run them last to first."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)
    if config.getoption("reverse"):
        items.reverse()
