"""Regenerate the shipped samples: replay each described path and run the real tracer on it.

Each ``samples/<name>/path.toml`` holds a path for topo's simulator (``topo.lab.simulator``) and
the ``command`` to run against it; the tool's output is written to ``samples/<name>/<tool>.txt``.
Needs root, iproute2 and the tool (Debian: ``traceroute`` provides ``traceroute.db``). Everything
runs inside a private network namespace with no link to the host.

    python samples/regenerate.py [NAME ...]
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from topo.lab.simulator import SimulatedPath

HERE = Path(__file__).resolve().parent


def regenerate(folder: Path) -> Path:
    spec = tomllib.loads((folder / "path.toml").read_text(encoding="utf-8"))
    command = [str(part) for part in spec.pop("command")]
    with SimulatedPath(spec) as sim:
        result = sim.run(command, timeout=120)
    if result.returncode != 0:
        raise SystemExit(f"{folder.name}: {' '.join(command)} failed: {result.stderr}")
    out = folder / f"{Path(command[0]).stem}.txt"
    out.write_text(result.stdout, encoding="utf-8")
    return out


def main() -> None:
    names = sys.argv[1:] or sorted(p.parent.name for p in HERE.glob("*/path.toml"))
    for name in names:
        print(regenerate(HERE / name))


if __name__ == "__main__":
    main()
