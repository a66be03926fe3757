"""The app's screens, one module a screen. Each exposes ``show(store, client)`` and draws only its own screen;
``app.py`` is the frame (password gate, store, client picker, navigation). Shared caches live in
:mod:`progress.screens.common`. Only these modules and ``app.py`` import Streamlit.
"""
