"""What each speed piece of the build buys: ``topo build`` with the piece and without it.

For each piece, the benchmark it targets runs with the piece and without it (in a fresh
child process each time), taking turns, ``--repeat`` times; the least time and the largest
peak memory are kept, and the ratio printed. A piece stays in topo only when this ratio is
at least 1.3 end to end: see ``bench/README.md``, which also keeps the decision runs of the
pieces measured this way and removed (a C extension, an Atlas digest road, packed
per-trace results, column pickling, a forked JSON writer, ``gc.freeze``, the paused cycle
collector).

    python bench/pieces.py [--repeat 3] [--workdir /tmp/topo-bench] [--only NAME,...]

The piece left to measure: ``processes``, worker processes (``--jobs 2``) against one
process (``--jobs 1``), on 10k text files and Atlas 20k.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import _synth, task_topo  # noqa: E402


def _without(piece: str) -> None:
    """Switch ``piece`` off in this process (before the build starts): a piece that is not
    a command-line option is switched off here."""
    if piece not in ("none", "processes"):
        raise SystemExit(f"unknown piece {piece}")


def child(piece: str, args: list[str]) -> None:
    import topo.cli
    import topo.engines
    import topo.owners.cloud  # noqa: F401  (imported before the clock starts)

    _without(piece)
    started = time.perf_counter()
    result = task_topo(*args)
    seconds = time.perf_counter() - started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "result": result}))


def _once(piece: str, args: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", piece, *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{piece} failed:\n{proc.stderr}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def compare(label: str, piece: str, args: list[str], repeat: int) -> str:
    """Run the build with and without ``piece`` in turns; print both; the ratio's line."""
    with_args, without_args = args, args
    if piece == "processes":
        with_args, without_args = [*args, "--jobs", "2"], [*args, "--jobs", "1"]
    runs: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
    for _ in range(repeat):
        runs["with"].append(_once("none", with_args))
        runs["without"].append(_once(piece, without_args))
    best = {}
    for side, reports in runs.items():
        times = [r["seconds"] for r in reports]
        peak = max(r["peak_mb"] for r in reports)
        best[side] = min(times)
        tried = ", ".join(f"{t:.2f}" for t in times)
        print(f"  {label} {side:<8} {min(times):7.2f} s (of {tried})  peak {peak:6.0f} MB  "
              f"{reports[-1]['result']}", flush=True)  # fmt: skip
    return f"{piece:<10} {label:<18} time without/with {best['without'] / best['with']:5.2f}x"


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/topo-bench"))
    parser.add_argument("--only", default="", help="comma-separated pieces to measure")
    args = parser.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    atlas = work / "atlas-20000.jsonl"
    _synth("atlas", atlas, 20000)
    many = work / "text-10000"
    _synth("text", many, 10000)
    out = str(work / "pieces-graph.json")
    plan = [
        ("processes", "text 10k", [str(many), out]),
        ("processes", "Atlas 20k", [str(atlas), out]),
    ]
    only = set(filter(None, args.only.split(",")))
    lines = []
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    for piece, label, task_args in plan:
        if only and piece not in only:
            continue
        print(f"{piece}: {label}", flush=True)
        lines.append(compare(label, piece, task_args, args.repeat))
    print(f"load average after: {os.getloadavg()}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
