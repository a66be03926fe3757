"""The app's screens, one module a screen. Each exposes ``show(store, client)`` and draws only its own screen;
``app.py`` is the frame (password gate :mod:`~progress.screens.gate`, store, client picker
:mod:`~progress.screens.sidebar`, and a screen chooser that runs only the chosen screen). Shared caches, the
plain-text helpers and prepared downloads live in :mod:`progress.screens.common`. Only these modules and ``app.py``
import Streamlit.
"""
