"""Command line: ``progress analyze``, ``series``, ``report``, ``export``, ``import``, ``cleanup`` and
``metrics``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from progress.errors import NotFoundError, ProgressError

if TYPE_CHECKING:  # each command imports what it uses when it runs: ``analyze`` never loads the records,
    # the statistics, the PDF writer or the charts (see :func:`main`)
    from progress.align import AlignedFace
    from progress.analysis import PhotoResult
    from progress.landmarks import FaceLandmarker
    from progress.series import SeriesResult
    from progress.store import ClientRecord, Store

__all__ = ["main"]

_MAX_PRIMARY_METRICS = 5
"""``progress.series.MAX_PRIMARY_METRICS``, repeated for the help text so that building the parser imports no
statistics (a test keeps the two equal)."""


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line.

    Each command imports the modules it needs when it runs, so ``progress analyze`` starts without SQLAlchemy,
    Alembic, fpdf, SciPy's statistics or Streamlit (MediaPipe itself still loads matplotlib).

    Returns:
        0 when every photo could be analysed, 1 when any could not, 2 for a usage or model problem.
    """
    out = out or sys.stdout
    arguments = _parser().parse_args(argv)
    try:
        if arguments.command == "analyze":
            return _analyze(arguments, out)
        if arguments.command == "series":
            return _series(arguments, out)
        if arguments.command == "report":
            return _report(arguments, out)
        if arguments.command in ("export", "import", "cleanup"):
            return _records(arguments, out)
        return _metrics(arguments, out)
    except ProgressError as error:
        print(f"progress: {error}", file=sys.stderr)
        return 2


def _baseline_sessions(text: str) -> int:
    """``--baseline-sessions``: a whole number from 1 to 20 (``record_fields.checked_baseline_sessions``)."""
    from progress.record_fields import checked_baseline_sessions

    try:
        return checked_baseline_sessions(int(text))
    except ValueError:  # InvalidRecordError is one too
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of sessions from 1 to 20") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="progress", description="Before/after face-photo progress analysis.")
    commands = parser.add_subparsers(dest="command", required=True)
    analyze = commands.add_parser("analyze", help="check, align and measure photos")
    analyze.add_argument("photos", nargs="+", type=Path, help="photo files or folders of photos")
    analyze.add_argument("--json", action="store_true", help="print one JSON object per photo (JSON Lines)")
    analyze.add_argument("--baseline", type=Path, help="the client's baseline photo, for distance and light checks")
    analyze.add_argument("--model", type=Path, help="a face_landmarker.task file instead of the bundled one")
    analyze.add_argument("--model-sha256", help="checksum the --model file must match")
    series = commands.add_parser("series", help="a client's progress over their sessions")
    series.add_argument(
        "photos",
        nargs="+",
        type=Path,
        help="photos, or folders: a folder of sub-folders is one session per sub-folder; "
        "otherwise photos are grouped into sessions by capture date",
    )
    series.add_argument(
        "--primary",
        action="append",
        default=[],
        metavar="METRIC",
        help=f"a primary metric for this client (up to {_MAX_PRIMARY_METRICS}; repeat the option)",
    )
    series.add_argument(
        "--baseline-sessions",
        type=_baseline_sessions,
        default=1,
        metavar="N",
        help="how many of the first sessions came before the first treatment (default 1); with 2 or more, their "
        "scatter is this client's own day-to-day noise",
    )
    series.add_argument("--all", action="store_true", help="print every metric, not only the primary and changed")
    series.add_argument("--json", type=Path, metavar="FILE", help="write the whole result as JSON")
    series.add_argument("--csv", type=Path, metavar="FILE", help="write one row per metric as CSV")
    series.add_argument("--plot", type=Path, metavar="DIR", help="write a PNG chart per chosen metric")
    series.add_argument(
        "--plot-metric",
        action="append",
        default=[],
        metavar="METRIC",
        help="metrics to chart (default: the primary ones, else those with a clear change)",
    )
    report = commands.add_parser("report", help="a PDF progress report to hand to the client")
    report.add_argument(
        "photos",
        nargs="+",
        type=Path,
        metavar="CLIENT_OR_PATH",
        help="a client's name or code in the practice records, or photos / session folders",
    )
    report.add_argument("--out", type=Path, required=True, help="the PDF to write")
    report.add_argument("--client", default="", help="the client's name or code (default: the folder's name)")
    report.add_argument("--practice", default="", help="the practice's name")
    report.add_argument("--logo", type=Path, help="the practice's logo (PNG or JPEG)")
    report.add_argument("--no-photos", action="store_true", help="no photos: the client has not consented to them")
    report.add_argument("--letter", action="store_true", help="US Letter pages instead of A4")
    report.add_argument("--primary", action="append", default=[], metavar="METRIC", help="as for series")
    report.add_argument(
        "--baseline-sessions",
        type=_baseline_sessions,
        metavar="N",
        help="as for series (default: the client's record, else 1)",
    )
    export = commands.add_parser("export", help="a client's records as a zip (photos without location data)")
    export.add_argument("client", help="the client's name or code")
    export.add_argument("--out", type=Path, required=True, help="the zip to write")
    imported = commands.add_parser("import", help="restore a client from an exported zip")
    imported.add_argument("archive", type=Path)
    commands.add_parser("cleanup", help="remove photo files no record refers to (left by a crash)")
    metrics = commands.add_parser("metrics", help="print the metric catalogue")
    metrics.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    metrics.add_argument(
        "--markdown", action="store_true", help="print the plain words of every metric as the table in docs/metrics.md"
    )
    return parser


def _analyze(arguments: argparse.Namespace, out: TextIO) -> int:
    from progress.analysis import analyze_photo, analyze_photos
    from progress.landmarks import FaceLandmarker

    paths = _expand(arguments.photos)
    failures = 0
    with FaceLandmarker(arguments.model, expected_sha256=arguments.model_sha256) as landmarker:
        baseline = None
        if arguments.baseline is not None:
            try:
                baseline = analyze_photo(arguments.baseline, landmarker)
            except ProgressError as error:
                print(f"progress: the baseline photo cannot be used: {error}", file=sys.stderr)
                return 2
        for result in analyze_photos(paths, landmarker, baseline=baseline):
            failures += not result.ok
            print(json.dumps(result.to_dict(), ensure_ascii=False) if arguments.json else _summary(result), file=out)
    return 1 if failures else 0


def _analyzed_series(arguments: argparse.Namespace) -> tuple[SeriesResult, bool]:
    """The series of the photos named on the command line, and whether every photo could be used."""
    from progress.landmarks import FaceLandmarker
    from progress.series import analyze_series, group_sessions, with_baseline

    paths, labels = _session_sources(arguments.photos)
    with FaceLandmarker() as landmarker:
        results = _analyze_once(paths, labels, landmarker)
    sessions = with_baseline(group_sessions(results, labels))
    baseline_sessions = getattr(arguments, "baseline_sessions", None) or 1
    return analyze_series(sessions, primary=arguments.primary, baseline_sessions=baseline_sessions), all(
        r.ok for r in results
    )


def _analyze_once(paths: Sequence[Path], labels: Sequence[str] | None, landmarker: FaceLandmarker) -> list[PhotoResult]:
    """Every photo analysed once: the client's baseline (the first usable photo of the first session, the sessions
    ordered by the capture dates read from the files' headers) first, then the others against it, so their skin
    is measured with the baseline's constants straight away and :func:`with_baseline` has nothing to measure again.

    Returns:
        One result per path, in the order given.
    """
    from progress.analysis import PhotoResult, analyze_photos
    from progress.series import group_sessions

    stubs = [PhotoResult(path=str(index), captured_at=_capture_day(path)) for index, path in enumerate(paths)]
    order = [int(str(stub.path)) for session in group_sessions(stubs, labels) for stub in session.photos]
    results: dict[int, PhotoResult] = {}
    baseline: PhotoResult | None = None
    for index in order:
        results[index] = next(analyze_photos([paths[index]], landmarker, baseline=baseline))
        baseline = baseline or (results[index] if results[index].ok else None)
    return [results[index] for index in range(len(paths))]


def _capture_day(path: Path) -> datetime | None:
    """The photo's capture day (EXIF header or file name, as :func:`progress.ingest.capture_date`), at midnight."""
    from progress.ingest import capture_date, capture_time_from_name

    try:
        day = capture_date(path.read_bytes(), name=path.name)
    except OSError:
        day = capture_time_from_name(path.name)
        day = day.date() if day else None
    return None if day is None else datetime.combine(day, time())


def _report(arguments: argparse.Namespace, out: TextIO) -> int:
    from progress.landmarks import FaceLandmarker
    from progress.practice import aligned_photo, client_series
    from progress.report import ReportOptions, client_report
    from progress.store import Store

    faces: tuple[AlignedFace, AlignedFace] | None = None
    consent = True
    if len(arguments.photos) == 1 and not arguments.photos[0].exists():
        with Store() as store, FaceLandmarker() as landmarker:
            client = _client(store, str(arguments.photos[0]))
            series = client_series(
                store,
                client.id,
                primary=arguments.primary or client.primary_metrics,
                baseline_sessions=arguments.baseline_sessions,
            )
            ends = [p for s in store.sessions(client.id) for p in store.photos(s.id)[:1] if not p.excluded]
            if ends:
                first, last = (aligned_photo(store, landmarker, p.id) for p in (ends[0], ends[-1]))
                faces = (first, last) if first is not None and last is not None else None
            consent, name, all_usable = client.consent_clinical, client.name, True
    else:
        series, all_usable = _analyzed_series(arguments)
        name = arguments.photos[0].resolve().name
    options = ReportOptions(
        client=arguments.client or name,
        practice=arguments.practice,
        logo=arguments.logo.read_bytes() if arguments.logo else None,
        include_photos=consent and not arguments.no_photos,
        page_size="Letter" if arguments.letter else "A4",
        faces=faces,
    )
    arguments.out.write_bytes(client_report(series, options))
    print(f"wrote {arguments.out} ({len(series.sessions)} sessions)", file=out)
    return 0 if all_usable else 1


def _records(arguments: argparse.Namespace, out: TextIO) -> int:
    """``export``, ``import`` and ``cleanup`` on the practice records (PROGRESS_DATABASE_URL / DATA_FOLDER)."""
    from progress.private_files import write_private_file
    from progress.store import Store

    with Store() as store:
        if arguments.command == "export":
            client = _client(store, arguments.client)
            write_private_file(arguments.out, store.export_client(client.id))  # 0600: health data
            print(f"wrote {arguments.out}: {client.name}'s records (photos without location data)", file=out)
        elif arguments.command == "import":
            client = store.import_client(arguments.archive.read_bytes())
            print(f"imported {client.name}", file=out)
        else:
            report = store.cleanup_orphans()
            print(
                f"removed {len(report.removed_files)} files no record refers to ({report.freed_bytes} bytes)", file=out
            )
    return 0


def _client(store: Store, name: str) -> ClientRecord:
    """The one client whose name or code is ``name``."""
    matches = [client for client in store.list_clients(name) if client.name == name]
    if len(matches) != 1:
        raise NotFoundError(
            f"No single client is called {name!r} in {store.url} ({len(matches)} found): use the exact name or code."
        )
    return matches[0]


def _series(arguments: argparse.Namespace, out: TextIO) -> int:
    from progress.plot import metric_chart
    from progress.summary import series_csv, series_table, series_to_dict

    series, all_usable = _analyzed_series(arguments)
    print(series_table(series, everything=arguments.all), file=out)
    if arguments.json:
        arguments.json.write_text(json.dumps(series_to_dict(series), ensure_ascii=False, indent=1))
    if arguments.csv:
        arguments.csv.write_text(series_csv(series))
    if arguments.plot:
        arguments.plot.mkdir(parents=True, exist_ok=True)
        for name in arguments.plot_metric or _charted(series):
            metric_chart(series, series.metrics[name], arguments.plot / f"{name}.png")
    return 0 if all_usable else 1


def _charted(series: SeriesResult) -> list[str]:
    primary = [name for name, m in series.metrics.items() if m.primary]
    changed = [name for name, m in series.metrics.items() if m.verdict.is_change]
    return primary or changed


def _session_sources(paths: Sequence[Path]) -> tuple[list[Path], list[str] | None]:
    """Photos and, when the photos come in one sub-folder per session, each photo's session label."""
    folders = [p for p in paths if p.is_dir() and any(child.is_dir() for child in p.iterdir())]
    if not folders:
        return _expand(paths), None
    files: list[Path] = []
    labels: list[str] = []
    for folder in folders:
        for session in sorted(child for child in folder.iterdir() if child.is_dir()):
            photos = _expand([session])
            files += photos
            labels += [session.name] * len(photos)
    return files, labels


def _expand(paths: Sequence[Path]) -> list[Path]:
    """Folders become their non-hidden files, sorted by name; files stay as given."""
    expanded: list[Path] = []
    for path in paths:
        if path.is_dir():
            expanded.extend(sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")))
        else:
            expanded.append(path)
    return expanded


def _summary(result: PhotoResult) -> str:
    if result.error is not None:
        return f"{result.path}: NOT USABLE: {result.error}"
    assert result.face is not None
    face = result.face
    lines = [
        f"{result.path}: face found ({face.faces_found} in photo), pupils {face.inter_pupillary_distance_px:.0f} px "
        f"apart, yaw {face.yaw_deg:+.1f}°, pitch {face.pitch_deg:+.1f}°, roll {face.roll_deg:+.1f}°"
        + (f", taken {result.captured_at:%Y-%m-%d %H:%M}" if result.captured_at else ", capture date unknown"),
    ]
    for check in result.checks:
        if check.status != "pass":
            lines.append(f"  {check.status.upper():4} {check.name}: {check.fix}")
    if len(lines) == 1:
        lines.append("  all capture checks pass")
    lines.extend(f"  {name} = {value:.4g}" for name, value in result.metrics.items())
    return "\n".join(lines)


def _metrics(arguments: argparse.Namespace, out: TextIO) -> int:
    """``progress metrics``: the registry (identifiers, expert units and plain words)."""
    from progress.catalogue import registry

    entries = list(registry().values())
    rows = [
        {
            "name": m.name,
            "family": m.family,
            "region": m.region,
            "unit": m.unit,
            "better": str(m.better),
            "depends_on": list(m.depends_on),
            "not_invariant_to": list(m.not_invariant_to),
            "description": m.description,
            "negative_control": m.negative_control,
            "label": e.words.label,
            "meaning": e.words.meaning,
            "plain_unit": str(e.words.scale),
        }
        for e in entries
        for m in (e.spec,)
    ]
    if arguments.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1), file=out)
    elif arguments.markdown:
        print("| metric | label | plain unit | meaning |\n|---|---|---|---|", file=out)
        for e in entries:
            print(f"| `{e.name}` | {e.label} | {e.words.scale} | {e.words.meaning} |", file=out)
    elif not rows:
        print("No metrics are defined yet.", file=out)
    else:
        for e in entries:
            print(f"{e.name:36} {e.spec.unit:10} better: {e.spec.better:8} {e.label} ({e.words.scale})", file=out)
    return 0
