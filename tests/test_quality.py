"""The code stays ruff-clean, formatted and mypy-strict: CI enforces it through the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check() -> None:
    result = _run("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run("mypy", "topo")
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(folder: str) -> dict[str, set[str]]:
    """Every ``topo.*`` module each module of ``topo/<folder>`` imports (at any depth)."""
    import ast

    found = {}
    for path in sorted((ROOT / "topo" / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(ROOT))] = {n for n in names if n.startswith("topo")}
    return found


def test_the_pipeline_s_layers_import_downwards_only() -> None:
    """Parsers read traces and know nothing of the graph or the engines; the topology core
    imports no engine (an engine is handed to it), and nothing below the command line
    imports it."""
    for module, names in _imports("parsers").items():
        assert not {n for n in names if n.startswith(("topo.topology", "topo.engines"))}, module
    for module, names in _imports("topology").items():
        assert not {n for n in names if n.startswith(("topo.engines", "topo.cli"))}, module
    for folder in ("inputs", "classify", "owners", "topology", "engines", "render", "probe"):
        for module, names in _imports(folder).items():
            assert not {n for n in names if n.startswith("topo.cli")}, module
