"""Regenerate the shipped samples: replay each described path and run the real tracer on it.

Each ``samples/<name>/path.toml`` holds the paths for topo's simulator
(``tests.support.lab.simulator``) and the tool invocations to run against them, in one of two forms:

- ``command = [...]``: one run, written to ``samples/<name>/<tool>.txt``
  (``traceroute.db`` → ``traceroute.txt``);
- ``commands = [[...], [...], ...]``: several runs against the same simulated paths, written to
  ``samples/<name>/<tool>-1.txt``, ``<tool>-2.txt``, ... in the order given.

Needs root, iproute2 and the tools (Debian: ``traceroute`` provides ``traceroute.db``).
Everything runs inside a private network namespace with no link to the host; no probe leaves it.

    python samples/regenerate.py [NAME ...]

With no NAME, every folder holding a ``path.toml`` is regenerated.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the lab lives in tests/support

from tests.support.lab.simulator import SimulatedPath

HERE = Path(__file__).resolve().parent


def commands_of(spec: dict[str, Any]) -> list[list[str]]:
    """The tool invocations of a ``path.toml`` (``command`` or ``commands``), removed from it."""
    if "command" in spec and "commands" in spec:
        raise ValueError("give either `command` or `commands`, not both")
    if "command" in spec:
        return [[str(part) for part in spec.pop("command")]]
    commands = spec.pop("commands", None)
    if not commands or not all(isinstance(c, list) and c for c in commands):
        raise ValueError("`commands` must be a non-empty list of non-empty argument lists")
    return [[str(part) for part in command] for command in commands]


def output_names(commands: list[list[str]], single: bool) -> list[str]:
    """``traceroute.txt`` for a single ``command``; ``traceroute-1.txt``, ... for ``commands``.

    >>> output_names([["traceroute.db", "-n", "192.0.2.9"]], single=True)
    ['traceroute.txt']
    >>> output_names([["traceroute.db", "a"], ["traceroute.db", "b"]], single=False)
    ['traceroute-1.txt', 'traceroute-2.txt']
    """
    stems = [Path(command[0]).stem for command in commands]
    if single:
        return [f"{stems[0]}.txt"]
    return [f"{stem}-{number}.txt" for number, stem in enumerate(stems, start=1)]


def regenerate(folder: Path) -> list[Path]:
    """Run every command of ``folder/path.toml`` against its paths; the files written."""
    spec = tomllib.loads((folder / "path.toml").read_text(encoding="utf-8"))
    single = "command" in spec
    commands = commands_of(spec)
    outputs = [folder / name for name in output_names(commands, single)]
    results = []
    with SimulatedPath(spec) as sim:
        for command in commands:
            result = sim.run(command, timeout=120)
            if result.returncode != 0:
                raise SystemExit(f"{folder.name}: {' '.join(command)} failed: {result.stderr}")
            results.append(result.stdout)
    for out, text in zip(outputs, results, strict=True):
        out.write_text(text, encoding="utf-8")
    return outputs


def main() -> None:
    names = sys.argv[1:] or sorted(p.parent.name for p in HERE.glob("*/path.toml"))
    for name in names:
        for out in regenerate(HERE / name):
            print(out)


if __name__ == "__main__":
    main()
