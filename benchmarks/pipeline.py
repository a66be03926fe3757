"""Benchmark of the per-photo pipeline on a realistic 12-megapixel JPEG, against the physical floor.

Usage: ``python benchmarks/pipeline.py [--repeats N]`` (run with the package importable, e.g. ``PYTHONPATH=.``).

The test photo is made at run time in a temporary folder (never in the repository): a real face from
``../shared/faces/`` when that folder is there (the development photos, see its MANIFEST), else scikit-image's
public-domain ``astronaut()`` portrait, upscaled with Lanczos to a 2400 px square and centred in a 4000×3000 frame
on a textured background (blotchy plaster with fine grain, a shelf of vertical stripes, sensor noise over the whole
frame), saved as JPEG quality 92. A flat background would make the decoder and the colour-chart search cheaper than
on a real photo.

The physical floor is what no pipeline can avoid: decode the JPEG at 1/4 scale (libjpeg's DCT scaling, Pillow's
``draft``) and run MediaPipe's FaceLandmarker once on it. ``core`` is decode + landmarks + alignment + checks as
``analyze_photo`` runs them, ``whole`` is ``analyze_photo``. Everything is timed in one interleaved run (each round
calls every action once, starting one further along), after one warm-up each; medians of wall time and of process
CPU time (all threads) are printed, and the ratios to the floor. Peak memory of one analysis is measured in a fresh
subprocess, as the rise of peak RSS over the decoded photo's W×H×3 bytes.

Targets (issue 16): whole ≤ 3× floor (CPU), core ≤ 2× floor, peak memory rise ≤ 2× the decoded photo. The script
always exits 0: it reports, it does not gate.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

FRAME_SIZE = (4000, 3000)
"""(width, height) of the test photo: 12 megapixels, a common phone sensor."""
FACE_SQUARE = 2400
"""Side in pixels of the upscaled portrait inside the frame."""
JPEG_QUALITY = 92
FACES_FOLDER = Path(__file__).resolve().parents[2] / "shared" / "faces"
"""Real development photos, read in place; never copied into the repository."""
FACE_CANDIDATES = (
    "fairface_test/test_race_Asian.jpg",  # 1400×1400, frontal, hair and a hand in the frame
    "insightface_inspireface_tests/singles/bulk__woman.png",
)
WHOLE_TARGET = 3.0
"""analyze_photo within 3× the physical floor (CPU time)."""
CORE_TARGET = 2.0
"""decode + landmarks + alignment + checks within 2× the physical floor."""
MEMORY_TARGET = 2.0
"""Peak RSS rise of one analysis, in multiples of the decoded photo (W×H×3 bytes)."""


def portrait_source() -> tuple[np.ndarray, str]:
    """uint8 (H, W, 3) RGB portrait and its description: a real face from ``FACES_FOLDER`` when present, else the
    astronaut."""
    for name in FACE_CANDIDATES:
        path = FACES_FOLDER / name
        if path.is_file():
            with Image.open(path) as picture:
                return np.asarray(picture.convert("RGB")), f"real face {name}"
    from skimage.data import astronaut

    return astronaut(), "astronaut (scikit-image)"


def textured_background(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """uint8 (height, width, 3) RGB: blotchy warm plaster with fine grain and a band of vertical stripes (a
    shelf of books) on the left, the kind of background that costs a JPEG decoder what a real room does."""
    width, height = size
    rng = np.random.default_rng(seed)
    blotches = cv2.resize(
        rng.normal(0.0, 18.0, (height // 64, width // 64, 3)).astype(np.float32),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    base = np.array([196.0, 186.0, 170.0], np.float32) + blotches
    stripes = rng.uniform(40.0, 200.0, (1, width // 24, 3)).astype(np.float32)
    shelf = cv2.resize(stripes, (width, height), interpolation=cv2.INTER_NEAREST)
    base[:, : width // 4] = shelf[:, : width // 4]
    base += rng.normal(0.0, 6.0, base.shape).astype(np.float32)
    return np.clip(np.rint(base), 0, 255).astype(np.uint8)


def build_photos(folder: Path) -> tuple[Path, Path, str]:
    """Write the 12 MP test photo and a small warm-up photo into ``folder``.

    Returns:
        (path of the 12 MP JPEG, path of the small JPEG, description of the face used).
    """
    face, described = portrait_source()
    small = folder / "warm_up.jpg"
    Image.fromarray(cv2.resize(face, (512, 512), interpolation=cv2.INTER_AREA)).save(small, quality=JPEG_QUALITY)
    large = cv2.resize(face, (FACE_SQUARE, FACE_SQUARE), interpolation=cv2.INTER_LANCZOS4)
    frame = textured_background(FRAME_SIZE)
    top, left = (FRAME_SIZE[1] - FACE_SQUARE) // 2, (FRAME_SIZE[0] - FACE_SQUARE) // 2
    frame[top : top + FACE_SQUARE, left : left + FACE_SQUARE] = large
    noisy = frame + np.random.default_rng(1).normal(0.0, 2.0, frame.shape)
    big = folder / "portrait_12mp.jpg"
    Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8)).save(big, quality=JPEG_QUALITY)
    return big, small, described


@contextlib.contextmanager
def legacy_decode() -> Iterator[None]:
    """Within the block, ``read_photo`` copies the pixels out of Pillow with ``np.asarray`` as it did before
    issue 16 (``Image.tobytes``: packed in row chunks, then joined), for the before/after comparison."""
    from progress import ingest

    current = ingest._rgb_pixels
    ingest._rgb_pixels = np.asarray  # type: ignore[assignment]
    try:
        yield
    finally:
        ingest._rgb_pixels = current


def legacy_read(path: Path) -> object:
    """``read_photo`` with the former pixel copy (:func:`legacy_decode`)."""
    from progress.ingest import read_photo

    with legacy_decode():
        return read_photo(path)


def median_times(actions: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) time in milliseconds of each action over ``repeats`` interleaved rounds, after one
    warm-up call each. CPU time is the process's, all threads together (MediaPipe and OpenCV use several)."""
    names = list(actions)
    for action in actions.values():
        action()
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            actions[name]()
            cpu[name].append((time.process_time() - start_cpu) * 1000.0)
            wall[name].append((time.perf_counter() - start_wall) * 1000.0)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name])) for name in names}


class PhysicalFloor:
    """JPEG decode at 1/4 scale plus one FaceLandmarker run, with MediaPipe's own API and the bundled model (the
    same options as :class:`progress.landmarks.FaceLandmarker`)."""

    def __init__(self) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        from progress.landmarks import block_usage_upload
        from progress.model import read_model

        block_usage_upload()
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=read_model()),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=5,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._mp = mp
        self._landmarker = vision.FaceLandmarker.create_from_options(options)

    def decode_quarter(self, data: bytes) -> np.ndarray:
        """uint8 RGB pixels of the JPEG decoded at 1/4 scale."""
        with Image.open(io.BytesIO(data)) as picture:
            picture.draft("RGB", (picture.width // 4, picture.height // 4))
            return np.asarray(picture.convert("RGB"))

    def detect(self, image: np.ndarray) -> int:
        """One FaceLandmarker run; the number of faces found."""
        frame = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(image))
        return len(self._landmarker.detect(frame).face_landmarks)

    def run(self, data: bytes) -> int:
        """The floor: decode at 1/4, detect once."""
        return self.detect(self.decode_quarter(data))

    def close(self) -> None:
        self._landmarker.close()


def measure(path: Path, landmarker: Any, floor: PhysicalFloor, repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) ms of the floor, the pipeline's stages, ``core`` and ``whole``, in one interleaved run."""
    from progress import chart
    from progress.align import align_face, head_pose
    from progress.analysis import analyze_photo
    from progress.chart import find_colour_chart, might_hold_chart
    from progress.contour import contour_metrics
    from progress.ingest import read_photo
    from progress.quality import lighting_signature, photo_checks
    from progress.skin import measure_skin

    data = path.read_bytes()
    photo = read_photo(path)
    detection = landmarker.detect(photo.image)
    face = detection.face
    if face is None:
        raise SystemExit("The test photo has no face: the benchmark cannot run.")
    ipd = face.inter_pupillary_distance_px
    aligned = align_face(photo.image, face.landmarks)
    pose = head_pose(face.landmarks)
    quarter = floor.decode_quarter(data)

    def core() -> None:
        decoded = read_photo(path)
        found = landmarker.detect(decoded.image).face
        found_pose = head_pose(found.landmarks)
        found_aligned = align_face(decoded.image, found.landmarks)
        lighting_signature(
            found_aligned,
            photo_size=(decoded.width, decoded.height),
            inter_pupillary_distance_px=found.inter_pupillary_distance_px,
        )
        photo_checks(
            found_aligned,
            found_pose,
            found.blendshapes,
            inter_pupillary_distance_px=ipd,
            faces_found=1,
            greyscale=decoded.greyscale,
        )

    def checks() -> None:
        lighting_signature(aligned, photo_size=(photo.width, photo.height), inter_pupillary_distance_px=ipd)
        photo_checks(
            aligned,
            pose,
            face.blendshapes,
            inter_pupillary_distance_px=ipd,
            faces_found=detection.faces_found,
            greyscale=photo.greyscale,
        )

    actions: dict[str, Callable[[], object]] = {
        "floor": lambda: floor.run(data),
        "floor.decode_1/4": lambda: floor.decode_quarter(data),
        "floor.detect_once": lambda: floor.detect(quarter),
        "decode": lambda: read_photo(path),
        "decode.np.asarray copy (before)": lambda: legacy_read(path),
        "landmarks": lambda: landmarker.detect(photo.image),
        "alignment": lambda: (head_pose(face.landmarks), align_face(photo.image, face.landmarks)),
        "checks": checks,
        "core": core,
        "chart_pretest": lambda: might_hold_chart(photo.image),
        "colour_chart": lambda: find_colour_chart(photo.image),
        "colour_chart.detector without pre-test (before)": lambda: chart._measure_chart(photo.image),
        "skin_metrics": lambda: measure_skin(aligned.image, aligned.landmarks),
        "contour_metrics": lambda: contour_metrics(aligned.landmarks),
        "whole": lambda: analyze_photo(path, landmarker),
    }
    return median_times(actions, repeats)


def _status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` figure of this process from ``/proc/self/status``, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_probe(big: Path, small: Path, *, legacy: bool = False) -> dict[str, Any]:
    """Peak memory of one ``analyze_photo`` on ``big``; meant to run in a fresh process.

    After the imports, the landmarker's creation and one warm-up analysis of ``small``, the resident set is
    noted and the kernel's peak-RSS mark is reset to it (``/proc/self/clear_refs``, Linux); the peak after one
    analysis of ``big`` less that resident set is what one photo costs. Where the mark cannot be reset, the rise
    of ``ru_maxrss`` is reported instead (it hides a photo's peak under any earlier, higher one).
    """
    from progress.analysis import analyze_photo
    from progress.landmarks import FaceLandmarker

    with FaceLandmarker() as landmarker:
        analyze_photo(small, landmarker)
        try:
            Path("/proc/self/clear_refs").write_text("5")
            before_kib, method = _status_kib("VmRSS"), "VmHWM reset"
        except OSError:
            before_kib, method = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"
        with legacy_decode() if legacy else contextlib.nullcontext():
            result = analyze_photo(big, landmarker)
        after_kib = (
            _status_kib("VmHWM") if method == "VmHWM reset" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        )
        del result
    with Image.open(big) as picture:
        width, height = picture.size
    return {
        "baseline_rss_mib": before_kib / 1024,
        "rss_increase_bytes": (after_kib - before_kib) * 1024.0,
        "photo_bytes": float(width * height * 3),
        "method": method,
    }


def measure_memory(big: Path, small: Path, *, legacy: bool = False) -> dict[str, Any]:
    """Run :func:`memory_probe` in a fresh interpreter and return its figures."""
    command = [sys.executable, __file__, "--memory-probe", str(big), str(small), *(["--legacy"] if legacy else [])]
    probe = subprocess.run(command, capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        raise SystemExit(f"The memory probe failed:\n{probe.stderr}")
    figures: dict[str, Any] = json.loads(probe.stdout.strip().splitlines()[-1])
    return figures


def verdict(value: float, target: float) -> str:
    """PASS when ``value`` is within ``target``, else OVER."""
    return "PASS" if value <= target else "OVER"


def report(times: dict[str, tuple[float, float]], memory: dict[str, Any], described: str, repeats: int) -> None:
    """Print the timing table, the ratios to the floor and the memory figures."""
    width, height = FRAME_SIZE
    print(
        f"Pipeline benchmark: {width}×{height} JPEG q{JPEG_QUALITY}, {described} upscaled to {FACE_SQUARE} px on a "
        f"textured background; medians of {repeats} interleaved rounds after 1 warm-up"
    )
    print(f"  {'':<34}{'wall ms':>9}{'CPU ms':>9}{'wall/floor':>12}{'CPU/floor':>11}")
    floor_wall, floor_cpu = times["floor"]
    for name, (wall, cpu) in times.items():
        label = f"  {name.split('.', 1)[1]}" if "." in name else name
        print(f"  {label:<34}{wall:>9.1f}{cpu:>9.1f}{wall / floor_wall:>12.2f}{cpu / floor_cpu:>11.2f}")
    for name, target in (("core", CORE_TARGET), ("whole", WHOLE_TARGET)):
        wall, cpu = times[name]
        print(
            f"{name}/floor: CPU {cpu / floor_cpu:.2f}, wall {wall / floor_wall:.2f} (target ≤ {target:g}) "
            f"{verdict(cpu / floor_cpu, target)}"
        )
    photo_mib = memory["photo_bytes"] / 2**20
    rise = memory["rss_increase_bytes"] / memory["photo_bytes"]
    print(
        f"memory ({memory['method']}): decoded photo {photo_mib:.1f} MiB; RSS before the analysis "
        f"{memory['baseline_rss_mib']:.0f} MiB; peak RSS rise {memory['rss_increase_bytes'] / 2**20:.1f} MiB = "
        f"{rise:.2f}× photo (target ≤ {MEMORY_TARGET:g}×) {verdict(rise, MEMORY_TARGET)}"
    )
    if "legacy" in memory:
        legacy = memory["legacy"]["rss_increase_bytes"]
        print(
            f"  with the decoder's former np.asarray copy: {legacy / 2**20:.1f} MiB = "
            f"{legacy / memory['photo_bytes']:.2f}× photo"
        )


def main(argv: list[str] | None = None) -> int:
    """Build the test photo, measure, print; always 0."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument("--memory-probe", nargs=2, metavar=("BIG", "SMALL"), help=argparse.SUPPRESS)
    parser.add_argument("--legacy", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's ``progress`` package
    if args.memory_probe:
        print(json.dumps(memory_probe(Path(args.memory_probe[0]), Path(args.memory_probe[1]), legacy=args.legacy)))
        return 0
    from progress.landmarks import FaceLandmarker

    repeats = max(1, args.repeats)
    with tempfile.TemporaryDirectory(prefix="progress-bench-") as folder:
        big, small, described = build_photos(Path(folder))
        memory = measure_memory(big, small) | {"legacy": measure_memory(big, small, legacy=True)}
        floor = PhysicalFloor()
        try:
            with FaceLandmarker() as landmarker:
                times = measure(big, landmarker, floor, repeats)
        finally:
            floor.close()
    report(times, memory, described, repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
