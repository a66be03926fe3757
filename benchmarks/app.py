"""Benchmark: the app's interaction latencies on a client with 12 sessions × 3 photos (issue 16).

Usage: ``python benchmarks/app.py [--repeats N] [--large-practice]``. Builds a practice in a temporary folder: one
client with 12 sessions of 3 photos each (the demo portraits, 1024×1280, re-photographed with capture nuisances;
with ``--large-practice`` the realistic 12 MP photo of ``benchmarks/pipeline.py`` instead), analysed and stored
once, N + 3 copies of it (the same pictures and analyses under other bytes and photo ids) and a client to save new
sessions into. Then, with Streamlit's AppTest, times in one interleaved run (each round does every interaction
once, starting one further along; one warm-up each first):

- opening the client on its Sessions screen with the caches cold (the first opening since the server started:
  each time another copy, never opened) and again (a new browser session, caches warm);
- opening its Progress screen again, and just after a "Leave out" on the client in another browser session (the
  series and charts must be made again: a cache that kept them would show the photo still in);
- on the Before / after screen: a blend-slider step, and choosing another "After" session (one not shown before,
  so none of its pictures is cached yet);
- on the Sessions screen: ticking or unticking "Leave out" on a photo (of another copy of the client);
- save → results shown for a session of one photo: a realistic 12 MP JPEG (``pipeline.build_photos``: a face
  upscaled into a 4000×3000 textured frame, JPEG q92) and a demo photo (1024×1280).

Two medians are printed for each, with their ratios to the targets (never asserted: the script always exits 0).
"AppTest" is the whole interaction as AppTest runs it: the app's script in this process, exactly as the server
runs it for that interaction (session state, widgets, callbacks, caches, the records), plus AppTest's own work (a
new AppTest's first run costs it ≈ 0.3 s: its mock runtime and component scan; every run, turning the messages
into elements). "script" is the app's script runs alone (Streamlit's ``ScriptRunner._run_script``), the server's
part of the latency; the websocket and the browser's drawing come on top of it. AppTest always reruns the whole
script, so a widget inside an ``st.fragment`` (the blend slider, a session on the Sessions screen) is timed as a
whole page's rerun: an upper bound of what the server does for it.
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SESSIONS, PHOTOS_PER_SESSION = 12, 3
INTERACTION_TARGET = 0.3
"""A blend-slider step, a session choice and "Leave out" each answer within this (seconds)."""
SAVE_TARGET = 1.5
"""Save → results shown for one 12 MP photo."""
OPEN_TARGET = 0.5
"""Opening a client of 12 × 3."""


def demo_photos() -> list[Path]:
    return sorted((ROOT / "progress" / "demo_client").glob("*.jpg"))


def large_photo(folder: Path) -> bytes:
    """The realistic 12 MP JPEG of ``benchmarks/pipeline.py`` (written once into ``folder``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pipeline import build_photos

    big, _, described = build_photos(folder)
    print(f"12 MP photo: 4000×3000 JPEG of {described}, {big.stat().st_size / 1e6:.1f} MB")
    return big.read_bytes()


def unique(jpeg: bytes, tag: int) -> bytes:
    """``jpeg`` with a comment segment naming ``tag`` after its start marker: the same picture, other bytes (so
    the app does not refuse it as already stored)."""
    comment = f"benchmark {tag}".encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + jpeg[2:]


def build_practice(folder: Path, large: bytes | None, copies: int) -> tuple[int, list[int], int]:
    """Store and analyse the 12 × 3 photos; return the client's id, the ids of ``copies`` copies of it (the same
    pictures and analyses under other bytes and photo ids, never opened: their caches are cold) and the id of an
    empty client to save into."""
    import numpy as np
    from PIL import Image

    from progress.ingest import read_photo
    from progress.landmarks import FaceLandmarker
    from progress.noise import repeat_photos
    from progress.practice import ALGORITHM_VERSION, baseline_result, store_and_analyze
    from progress.store import Store

    demo = demo_photos()
    rng = np.random.default_rng(12)
    stored = []
    with Store(data_folder=folder) as store, FaceLandmarker() as landmarker:
        client = store.create_client("Benchmark client", consent_clinical=True)
        baseline = None
        for number in range(SESSIONS):
            session = store.add_session(
                client.id, day=date(2026, 1, 5) + timedelta(days=14 * number), number=number + 1
            )
            uploads = []
            if large is not None:
                uploads = [(f"s{number + 1:02d}_{i + 1}.jpg", unique(large, 100 * number + i)) for i in range(3)]
            else:
                portrait = read_photo(demo[number % len(demo)]).image
                for index, photo in enumerate(repeat_photos(portrait, rng, PHOTOS_PER_SESSION)):
                    buffer = io.BytesIO()
                    Image.fromarray(photo).save(buffer, "JPEG", quality=90)
                    uploads.append((f"s{number + 1:02d}_{index + 1}.jpg", buffer.getvalue()))
            outcomes = store_and_analyze(store, landmarker, session.id, uploads, baseline=baseline)
            stored.append(
                [(name, data, outcome.result) for (name, data), outcome in zip(uploads, outcomes, strict=True)]
            )
            baseline = baseline or baseline_result(store, client.id)
        copied = []
        for copy in range(1, copies + 1):
            other = store.create_client(f"Benchmark client, copy {copy}", consent_clinical=True)
            for number, photos in enumerate(stored):
                session = store.add_session(
                    other.id, day=date(2026, 1, 5) + timedelta(days=14 * number), number=number + 1
                )
                for name, data, result in photos:
                    photo = store.add_photo(session.id, unique(data, 1000 * copy), filename=name)
                    store.save_analysis(photo.id, result, ALGORITHM_VERSION)
            copied.append(other.id)
        return client.id, copied, store.create_client("Saving client", consent_clinical=True).id


def app_test(client_id: int, screen: str) -> Any:
    """A fresh browser session's AppTest with ``client_id`` chosen (from the URL) on ``screen``, not yet run."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    app.query_params["client"] = str(client_id)
    app.session_state["screen"] = screen
    return app


_SCRIPT_SECONDS = [0.0]
"""Seconds spent running the app's script so far (every run and rerun), counted by :func:`count_script_time`."""
Timing = tuple[float, float]
"""(seconds of the AppTest interaction, seconds of the app's script runs in it)."""


def count_script_time() -> None:
    """Add the time of every script run (Streamlit's ``ScriptRunner._run_script``, on its script thread) to
    ``_SCRIPT_SECONDS``: the server's work for an interaction, without AppTest's own (its mock runtime, its
    parsing of the messages into elements)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner

    run_script = ScriptRunner._run_script

    def counted(self: ScriptRunner, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return run_script(self, *args, **kwargs)
        finally:
            _SCRIPT_SECONDS[0] += time.perf_counter() - started

    ScriptRunner._run_script = counted  # type: ignore[method-assign]


def timed(run: Callable[[], Any]) -> Timing:
    """Seconds of ``run()`` (an AppTest run) and of the script runs in it; exits when the app raised."""
    script = _SCRIPT_SECONDS[0]
    started = time.perf_counter()
    app = run()
    elapsed = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"The app failed: {app.exception}")
    return elapsed, _SCRIPT_SECONDS[0] - script


def opening(client_ids: list[int], screen: str) -> Callable[[], Timing]:
    """Open the app on ``screen`` as a new browser session, for the next of ``client_ids`` each time (the same
    one when there is one; a client never opened before is opened with its caches cold)."""
    clients = itertools.cycle(client_ids)

    def action() -> Timing:
        return timed(app_test(next(clients), screen).run)

    return action


def compare_actions(client_id: int) -> dict[str, Callable[[], Timing]]:
    """A blend-slider step and a choice of the "After" session, in one browser session on Before / after."""
    app = app_test(client_id, "Before / after")
    app.run()
    amounts = itertools.cycle((0.25, 0.75))
    last = len(app.selectbox(key="after").options) - 1
    choices = itertools.cycle(range(last - 1, 0, -1))  # a session not chosen before each time (up to 10 times)

    def blend() -> Timing:
        return timed(app.slider(key="blend").set_value(next(amounts)).run)

    def after() -> Timing:
        return timed(app.selectbox(key="after").set_value(next(choices)).run)

    return {"blend-slider step (Before / after)": blend, "choose another After session": after}


def leave_out(client_id: int) -> Callable[[], Timing]:
    """Tick, then (next time) untick, "Leave out" on a photo of the newest session, in one browser session."""
    from progress.store import Store

    with Store(data_folder=Path(os.environ["PROGRESS_DATA_FOLDER"])) as store:
        photo_id = store.photos(store.sessions(client_id)[-1].id)[1].id
    app = app_test(client_id, "Sessions")
    app.run()

    def action() -> Timing:
        key = f"exclude_{photo_id}"
        if key not in {box.key for box in app.checkbox}:  # a run that ended in st.rerun can come back empty
            app.run()
        box = app.checkbox(key=key)
        return timed(box.set_value(not box.value).run)

    return action


def progress_after_leave_out(client_id: int) -> Callable[[], Timing]:
    """The Progress screen opened in a new browser session just after another ticked (or unticked) "Leave out" on
    the client (not timed): its series and charts are made again."""
    toggle, progress = leave_out(client_id), opening([client_id], "Progress")

    def action() -> Timing:
        toggle()
        return progress()

    return action


def saving(client_id: int, photo: bytes, name: str) -> Callable[[], Timing]:
    """Save → results: a new session of ``photo`` (other bytes each time), timed from the click on Save."""
    tags = itertools.count()

    def action() -> Timing:
        app = app_test(client_id, "New session")
        app.run()
        upload = (name, unique(photo, next(tags)), "image/jpeg")
        next(w for w in app.get("file_uploader") if w.key.startswith("uploads_")).set_value([upload]).run()
        button = next(b for b in app.form_submit_button if "analyse" in b.label)
        elapsed = timed(button.click().run)
        if not any("saved" in str(s.value) for s in app.success):
            raise SystemExit("The save showed no results.")
        return elapsed

    return action


def interleaved(actions: dict[str, Callable[[], Timing]], repeats: int) -> dict[str, list[Timing]]:
    """Each action's times over ``repeats`` rounds (each round calls every action once, starting one further
    along), after one warm-up call each."""
    names = list(actions)
    for action in actions.values():
        action()
    times: dict[str, list[Timing]] = {name: [] for name in names}
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(actions[name]())
    return times


def main(argv: list[str] | None = None) -> int:
    """Build the practice, time the interactions, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--large-practice", action="store_true", help="the 12 × 3 client's photos are 12 MP (slower to build)"
    )
    arguments = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    count_script_time()
    repeats = max(1, arguments.repeats)
    with tempfile.TemporaryDirectory(prefix="progress-app-bench-") as folder:
        os.environ["PROGRESS_DATA_FOLDER"] = folder
        os.environ.pop("PROGRESS_DATABASE_URL", None)
        large = large_photo(Path(folder))
        started = time.perf_counter()
        client_id, copies, saving_id = build_practice(
            Path(folder), large if arguments.large_practice else None, repeats + 3
        )
        *never_opened, ticked, written = copies
        kind = "12 MP" if arguments.large_practice else "1024×1280"
        print(
            f"built and analysed {SESSIONS} sessions × {PHOTOS_PER_SESSION} photos ({kind}), and {len(copies)} "
            f"copies, in {time.perf_counter() - started:.1f} s"
        )
        targets = {
            "open the 12×3 client, caches cold (Sessions)": OPEN_TARGET,
            "open the 12×3 client again (Sessions)": OPEN_TARGET,
            "open its Progress screen again": OPEN_TARGET,
            "open Progress just after a Leave out": OPEN_TARGET,
            "blend-slider step (Before / after)": INTERACTION_TARGET,
            "choose another After session": INTERACTION_TARGET,
            "tick or untick Leave out (Sessions)": INTERACTION_TARGET,
            "save → results, one 12 MP photo": SAVE_TARGET,
            "save → results, one 1024×1280 photo": SAVE_TARGET,
        }
        actions = {
            "open the 12×3 client, caches cold (Sessions)": opening(never_opened, "Sessions"),
            "open the 12×3 client again (Sessions)": opening([client_id], "Sessions"),
            "open its Progress screen again": opening([client_id], "Progress"),
            "open Progress just after a Leave out": progress_after_leave_out(written),
            **compare_actions(client_id),
            "tick or untick Leave out (Sessions)": leave_out(ticked),
            "save → results, one 12 MP photo": saving(saving_id, large, "IMG_20270101_100000.jpg"),
            "save → results, one 1024×1280 photo": saving(
                saving_id, demo_photos()[0].read_bytes(), "IMG_20270102_100000.jpg"
            ),
        }
        times = interleaved(actions, repeats)
    print(f"\n{repeats} interleaved rounds; medians in seconds. AppTest: the whole interaction as AppTest runs it (the")
    print("script in-process as the server runs it, plus AppTest's own overhead); script: the app's script runs alone.")
    print(f"  {'':<46}{'AppTest':>8}{'script':>8}{'target':>8}{'AppTest/target':>16}{'script/target':>15}")
    for name, values in times.items():
        whole, script = (statistics.median(value[index] for value in values) for index in (0, 1))
        target = targets[name]
        print(f"  {name:<46}{whole:>8.3f}{script:>8.3f}{target:>8.1f}{whole / target:>16.2f}{script / target:>15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
