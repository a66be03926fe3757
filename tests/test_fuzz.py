"""Seeded fuzzing of the photo reader (issue 12): a few hundred damaged JPEG, PNG, HEIC, WebP and TIFF files
through :func:`progress.read_photo` give zero untyped exceptions, each within bounded time and memory.

The mutator is a plain seeded byte mutator (no fuzzing library): case ``i`` is always the same file, made from
``numpy.random.default_rng([FUZZ_SEED, i])``, so a failure names a case that ``_case(i)`` rebuilds exactly.
The cases run in a child process with an address-space limit (memory bound) and a CPU-time limit (a hang
guard: a decoder stuck in a loop kills the child and fails the test instead of hanging the run).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from helpers import encode, grey_tiff
from PIL import Image, ImageCms

FUZZ_SEED = 20261130
CASES = 600
"""Cases in the run: 50 for each of the 12 seed files."""
CHILD_CPU_SECONDS = 300
"""Hang guard for the whole run, not a speed limit: the 600 cases took 2.2 CPU-seconds and 170 MB here (slowest
case 0.01 s), so only a decoder stuck in a loop comes near it."""
CHILD_MEMORY_HEADROOM = 2 * 2**30
"""Memory bound: the child may map 2 GB beyond what it holds after importing; the largest photo allowed
(60 MP) needs under 1 GB to decode and convert, so a decoder allocating without bound fails the case."""
INTERESTING = (
    0,
    1,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x10000,
    7999,
    65500,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFF,
)
"""Values written over 2- or 4-byte fields: sizes, counts and offsets at their edges."""


@cache
def _seed_files() -> tuple[tuple[str, bytes], ...]:
    """Small valid photos (240×240: over the minimum size, so damage reaches the decoders) in every supported
    format and the variants phones and editors write: EXIF, ICC profile, progressive, lossless, compressed."""
    image = np.ascontiguousarray(skimage.data.astronaut()[40:280, 140:380])
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[36867] = "2026:03:14 09:26:53"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    grey = image.mean(axis=2)
    return (
        ("jpeg", encode(image, "JPEG", quality=90, exif=exif)),
        ("jpeg progressive", encode(image, "JPEG", quality=80, progressive=True, icc_profile=srgb)),
        ("png", encode(image, "PNG", exif=exif)),
        ("png 16-bit grey", encode(np.round(grey * 257).astype(np.uint16), "PNG")),
        ("heic", encode(image, "HEIF", quality=60, exif=exif)),
        ("webp", encode(image, "WEBP", quality=80, exif=exif)),
        ("webp lossless", encode(image, "WEBP", lossless=True)),
        ("tiff", encode(image, "TIFF", exif=exif)),
        ("tiff lzw", encode(image, "TIFF", compression="tiff_lzw", icc_profile=srgb)),
        ("tiff deflate", encode(image, "TIFF", compression="tiff_adobe_deflate")),
        ("tiff 32-bit grey", grey_tiff(np.round(grey * 16843009).astype(np.uint32), 1)),
        ("tiff float grey", grey_tiff((grey / 255).astype(np.float32), 3)),
    )


def _mutate(data: bytes, rng: np.random.Generator) -> bytes:
    """One to four random edits: a byte set, nudged or bit-flipped, an edge value written over a 2- or 4-byte
    field, a cut, a deletion, or a chunk repeated. Most land in the first 0.5 or 2 kB, where the headers are."""
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 5))):
        if not out:
            break
        limit = min(len(out), int(rng.choice([512, 2048, len(out)], p=[0.4, 0.3, 0.3])))
        at = int(rng.integers(0, limit))
        edit = int(rng.integers(0, 7))
        if edit == 0:
            out[at] = int(rng.integers(0, 256))
        elif edit == 6:
            out[at] = (out[at] + int(rng.choice([-2, -1, 1, 2, 16]))) % 256  # a length or count a little off
        elif edit == 1:
            out[at] ^= 1 << int(rng.integers(0, 8))
        elif edit == 2:
            width = int(rng.choice([2, 4]))
            value = int(rng.choice(INTERESTING)) % 256**width
            out[at : at + width] = value.to_bytes(width, "big" if rng.random() < 0.5 else "little")
        elif edit == 3:
            del out[at:]
        elif edit == 4:
            del out[at : at + int(rng.integers(1, 65))]
        else:
            start = int(rng.integers(0, len(out)))
            out[at:at] = out[start : start + int(rng.integers(1, 257))]
    return bytes(out)


def _case(index: int) -> tuple[str, bytes]:
    """Case ``index``: (seed file's label, damaged bytes)."""
    seeds = _seed_files()
    label, data = seeds[index % len(seeds)]
    return label, _mutate(data, np.random.default_rng([FUZZ_SEED, index]))


def run_cases(count: int) -> None:
    """The child's work: read every case and print one JSON line each (outcome, error class, CPU seconds)."""
    from progress.errors import ProgressError
    from progress.ingest import read_photo

    warnings.simplefilter("error")  # a warning escaping the reader counts as an untyped failure too
    for index in range(count):
        label, data = _case(index)
        started = time.process_time()
        try:
            photo = read_photo(data)
            outcome, kind = "ok", f"{photo.format} {photo.width}×{photo.height}"
        except ProgressError as error:
            outcome, kind = "typed", type(error).__name__
        except BaseException as error:  # what the test is looking for
            outcome, kind = "untyped", f"{type(error).__name__}: {error}"
        record = {
            "case": index,
            "seed": label,
            "outcome": outcome,
            "kind": kind,
            "cpu_s": round(time.process_time() - started, 4),
        }
        print(json.dumps(record), flush=True)


_CHILD = f"""
import resource, sys
resource.setrlimit(resource.RLIMIT_CPU, ({CHILD_CPU_SECONDS}, {CHILD_CPU_SECONDS}))
sys.path.insert(0, {str(Path(__file__).parent)!r})
import test_fuzz, progress.ingest
test_fuzz._seed_files()
size_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize:"))
hard = resource.getrlimit(resource.RLIMIT_AS)[1]
cap = size_kb * 1024 + {CHILD_MEMORY_HEADROOM}
resource.setrlimit(resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard))
test_fuzz.run_cases(int(sys.argv[1]))
"""


def test_seed_files_are_valid_photos() -> None:
    from progress.ingest import read_photo

    for label, data in _seed_files():
        assert read_photo(data).width == 240, label


def test_mutations_are_reproducible() -> None:
    assert _case(7) == _case(7)
    assert _case(7) != _case(7 + len(_seed_files()))  # same seed file, another mutation


@pytest.mark.fuzz
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="the memory bound reads /proc (Linux)")
def test_damaged_photos_give_only_typed_errors_within_bounds(tmp_path: Path) -> None:
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(CASES)], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    records = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    last = records[-1]["case"] if records else None
    assert child.returncode == 0, (
        f"the fuzz run died (status {child.returncode}) after case {last}: a hang "
        f"(CPU limit) or unbounded memory; stderr: {child.stderr[-2000:]}"
    )
    assert len(records) == CASES
    untyped = [r for r in records if r["outcome"] == "untyped"]
    assert not untyped, "untyped errors (rebuild a case with _case(n)):\n" + "\n".join(
        f"case {r['case']} ({r['seed']}): {r['kind']}" for r in untyped
    )
    kinds = Counter(r["kind"] if r["outcome"] == "typed" else "ok" for r in records)
    # the damage reaches the decoders: some files still read, and most kinds of refusal occur
    assert kinds["ok"] > 0 and kinds["TruncatedImageError"] > 0 and kinds["NotAnImageError"] > 0, kinds
    slowest = max(records, key=lambda r: r["cpu_s"])
    print(
        f"fuzz: {CASES} cases, {dict(kinds)}; slowest case {slowest['case']} ({slowest['seed']}) "
        f"{slowest['cpu_s']} CPU-s"
    )
