"""The Capture screen's browser component: its static files, shipped inside the package.

``frontend/`` holds the component (``index.html``, ``capture.js``, ``checks.js``: plain ES modules, no build
step) and ``frontend/vendor/`` MediaPipe Tasks Vision for the web (the bundle and its SIMD wasm), copied from npm
by ``build.mjs`` with its usage-metrics upload removed. The face model is the package's own
``progress/models/face_landmarker.task``, served from where it is (:data:`MODELS`), never copied.
Nothing here imports Streamlit: :mod:`progress.screens.capture` declares the component from these paths.
"""

from __future__ import annotations

from pathlib import Path

from progress.model import BUNDLED_MODEL_PATH

__all__ = ["FRONTEND", "MODELS", "MODEL_FILE"]

FRONTEND = Path(__file__).resolve().parent / "frontend"
"""The component's web root (index.html)."""
MODELS = BUNDLED_MODEL_PATH.resolve().parent
"""The package's model folder, served as a second web root so the browser loads the same model file."""
MODEL_FILE = BUNDLED_MODEL_PATH.name
