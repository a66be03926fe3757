"""The codebase's shape (issue 18): no import cycle among progress's modules, no module over 600 lines, the
lightweight modules stay light, and every document a docstring cites is in the repository."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "progress"
MAX_LINES = 600
SKIPPED_FOLDERS = {"migrations", "frontend", "node_modules", "vendor"}  # Alembic's revisions are data, not a package


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``progress.store`` for ``progress/store/__init__.py``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if SKIPPED_FOLDERS & set(relative.parts):
            continue
        parts = list(relative.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at module level or in a function, except those under ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                stack.extend(child.orelse)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child
            stack.append(child)


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The package module ``name`` is, or is inside (``progress.store.Store`` → ``progress.store``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (an import of ``a.b.c`` also runs ``a.b``'s ``__init__``)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved is not None:
                    graph[name] |= {
                        module
                        for module in _with_parents(resolved)
                        if module in modules and module != name and not name.startswith(module + ".")
                    }
    return graph


def _with_parents(module: str) -> list[str]:
    """``a.b.c`` → ``a``, ``a.b``, ``a.b.c`` (importing a module runs its packages' ``__init__`` first)."""
    parts = module.split(".")
    return [".".join(parts[:count]) for count in range(1, len(parts) + 1)]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_imports() -> None:
    graph = import_graph()
    assert "progress.errors" in graph["progress.store.records"]
    assert "progress.store" in graph["progress.cli"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_progress_modules() -> None:
    """Imports inside functions count too (they still tie the modules together); TYPE_CHECKING ones do not."""
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_is_over_600_lines(name: str) -> None:
    lines = len(_modules()[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it (at most {MAX_LINES})"


def test_the_errors_load_neither_mediapipe_nor_opencv() -> None:
    code = "import sys, progress.errors; print(sorted({'mediapipe', 'cv2'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_the_records_load_no_analysis_layer() -> None:
    """``progress.store`` imports the analysis layers only where it rebuilds a result or checks an export."""
    code = (
        "import sys, progress.store; print(sorted({'mediapipe', 'cv2', 'progress.analysis', 'progress.series', "
        "'progress.ingest', 'progress.archive_schema'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_the_recordings_cache_key_covers_every_module_that_analyses_a_photo() -> None:
    """``progress.captures`` keys its cache of analysed frames by the source of the pipeline's modules: a module
    the analysis imports but the key leaves out (``geometry`` was, after it was split out of ``align``) would let
    the noise defaults and the validation read analyses made by older code."""
    from progress.captures import _PIPELINE

    code = "import sys, progress.analysis; print(' '.join(sorted(m for m in sys.modules if m.startswith('progress.'))))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = {name.removeprefix("progress.") for name in done.stdout.split()}
    assert loaded - {"errors", "metric_spec"} <= set(_PIPELINE)


def test_importing_the_package_changes_nothing_outside_it() -> None:
    """Every module imported: Pillow knows no HEIF decoder, nobody chose matplotlib's backend (MediaPipe loads
    pyplot itself), and no proxy variable is set (the landmarker sets those when it is built, not when imported)."""
    code = (
        "import os, sys, pkgutil, importlib, progress\n"
        "for module in pkgutil.walk_packages(progress.__path__, 'progress.'):\n"
        "    if '.migrations' not in module.name and not module.name.endswith('__main__'):\n"
        "        importlib.import_module(module.name)\n"
        "import matplotlib\n"
        "from PIL import Image\n"
        "chosen = dict.__getitem__(matplotlib.rcParams, 'backend') is not matplotlib.rcsetup._auto_backend_sentinel\n"
        "print(sorted(f for f in Image.OPEN if 'HEIF' in f.upper()), chosen,\n"
        "      sorted(k for k in os.environ if 'proxy' in k.lower()))"
    )
    # importing streamlit sets MPLBACKEND in os.environ: after any test that did, a child would inherit a choice
    environment = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "MPLBACKEND"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=environment
    )
    assert done.stdout.strip() == "[] False []"


_DOCUMENT = re.compile(r"(?<![\w./-])((?:\.\./)*[\w./-]*\.md)\b(\s*§)?")
"""A Markdown file named in the source (``docs/metrics.md``, ``metrics.md §3.1``, ``../shared/x/y.md``)."""
OUTSIDE_DATA = "../shared/captures/"
"""The real recordings beside the checkout (never copied into the project): data, named where it is read."""


def cited_documents() -> dict[str, set[str]]:
    """Markdown files named in the package's source (docstrings, comments, messages), with the modules naming
    them; a numbered section (``§``) is kept in the name, since none of ``docs/`` is numbered that way."""
    cited: dict[str, set[str]] = {}
    for name, path in _modules().items():
        for match in _DOCUMENT.finditer(path.read_text()):
            cited.setdefault(match.group(1) + (" §" if match.group(2) else ""), set()).add(name)
    return cited


def _exists(document: str, citing: set[str]) -> bool:
    if document.endswith(" §"):  # a section number of a document outside the repository (its § numbering)
        return False
    if document.startswith(OUTSIDE_DATA):
        return True
    if document.startswith("docs/") or "/" in document:
        target = (ROOT / document).resolve()
        return target.is_relative_to(ROOT) and target.is_file()
    return (
        (ROOT / "docs" / document).is_file()
        or (ROOT / document).is_file()
        or any((_modules()[module].parent / document).is_file() for module in citing)
    )


def test_every_document_the_source_cites_is_in_the_repository() -> None:
    """``docs/`` holds every document a docstring cites (or the citation goes): no ``../shared/reference``."""
    cited = cited_documents()
    assert {"docs/metrics.md", "docs/noise.md", "docs/capture.md"} <= set(cited)
    missing = {document: sorted(citing) for document, citing in cited.items() if not _exists(document, citing)}
    assert not missing, f"the source cites documents the repository does not hold: {missing}"
