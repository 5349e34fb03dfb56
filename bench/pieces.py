"""What each speed piece of the build buys: ``topo build`` with the piece and without it.

For each piece, the benchmark it targets runs with the piece in place and with it switched
off (in the child process, before the build, by replacing the piece with the plain code
it stands in for), taking turns, ``--repeat`` times; the least time and the largest peak
memory are kept, and the ratio printed. A piece stays in topo only when this ratio is at
least 1.3 end to end (1.5 on both ingest benchmarks for compiled code): see
``bench/README.md``.

    python bench/pieces.py [--repeat 3] [--workdir /tmp/topo-bench] [--only NAME,...]

The pieces (switched off how):

- ``compiled``: the C extension (``TOPO_PURE_PYTHON=1``); Atlas 20k and text 5k;
- ``atlas-digests``: Atlas results turned into digests without making ``Trace`` objects
  (the parser's ``digest_records`` hidden: the records are parsed into traces, then
  digested); Atlas 20k;
- ``gc``: the cycle collector paused during a build and the graph frozen after it (a plain
  context instead); Atlas 20k;
- ``freeze``: only the freezing of the graph after the build (the collector still paused
  during it); Atlas 20k;
- ``packing``: per-trace results pickled and compressed past the first 8,192 (never);
  peak memory at 100k Atlas results;
- ``pickling``: the column format a worker's builder and answers travel in (plain pickle of
  the dicts); 10k text files ``--jobs 2``;
- ``writer-fork``: a forked process writing half of the graph JSON (one process writes
  all); Atlas 20k.

Worker processes themselves (``--jobs 2`` against ``--jobs 1``) are measured by
``bench/ingest.py``.
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
    """Switch ``piece`` off in this process (before the build starts)."""
    if piece == "compiled":
        return  # by the environment, before topo is imported (see _once)
    if piece == "atlas-digests":
        from topo.parsers import atlas

        del atlas.digest_records
    elif piece == "gc":
        import contextlib

        from topo import parallel, pipeline

        pipeline.no_cycle_collection = contextlib.nullcontext  # type: ignore[assignment]
        parallel.no_cycle_collection = contextlib.nullcontext  # type: ignore[assignment]
        _without("freeze")
    elif piece == "freeze":
        import topo.cli.app as app
        from topo import pipeline

        original = app.cli.callback

        def no_freeze(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            pipeline.FREEZE_AFTER_BUILD = False
            return result

        app.cli.callback = no_freeze
    elif piece == "packing":
        from topo import packed, parallel

        packed.UNPACKED = parallel.UNPACKED = 10**12
    elif piece == "pickling":
        from topo.pipeline import Partial
        from topo.topology.graph import GraphBuilder

        for cls in (GraphBuilder, Partial):
            del cls.__getstate__
            del cls.__setstate__
    elif piece == "writer-fork":
        from topo import graph_json

        graph_json._start_edge_writer = lambda *args: None  # type: ignore[assignment]
    elif piece != "none":
        raise SystemExit(f"unknown piece {piece}")


def child(piece: str, args: list[str]) -> None:
    import topo.cli
    import topo.owners.cloud
    import topo.pipeline  # noqa: F401  (imported before the clock starts)

    _without(piece)
    started = time.perf_counter()
    result = task_topo(*args)
    seconds = time.perf_counter() - started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "result": result}))


#: ``--pure``: both sides without the compiled part (what is left once it is gone).
PURE = False


def _once(piece: str, args: list[str]) -> dict[str, Any]:
    env = dict(os.environ)
    if piece == "compiled" or PURE:
        env["TOPO_PURE_PYTHON"] = "1"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", piece, *args],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"{piece} failed:\n{proc.stderr}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def compare(label: str, piece: str, args: list[str], repeat: int, memory: bool = False) -> str:
    """Run the build with and without ``piece`` in turns; print both; the ratio's line."""
    runs: dict[str, list[dict[str, Any]]] = {"with": [], "without": []}
    for _ in range(repeat):
        runs["with"].append(_once("none", args))
        runs["without"].append(_once(piece, args))
    best = {}
    for side, reports in runs.items():
        times = [r["seconds"] for r in reports]
        peak = max(r["peak_mb"] for r in reports)
        best[side] = (min(times), peak)
        tried = ", ".join(f"{t:.2f}" for t in times)
        print(f"  {label} {side:<8} {min(times):7.2f} s (of {tried})  peak {peak:6.0f} MB  "
              f"{reports[-1]['result']}", flush=True)  # fmt: skip
    if memory:
        ratio = best["without"][1] / best["with"][1]
        return f"{piece:<14} {label:<28} peak memory without/with {ratio:5.2f}x"
    ratio = best["without"][0] / best["with"][0]
    return f"{piece:<14} {label:<28} time without/with {ratio:5.2f}x"


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/topo-bench"))
    parser.add_argument("--only", default="", help="comma-separated pieces to measure")
    parser.add_argument("--pure", action="store_true", help="both sides without compiled code")
    args = parser.parse_args()
    global PURE  # a setting of this run, read by _once
    PURE = args.pure
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    atlas = work / "atlas-20000.jsonl"
    _synth("atlas", atlas, 20000)
    text = work / "text-5000"
    _synth("text", text, 5000)
    many = work / "text-10000"
    _synth("text", many, 10000)
    big = work / "atlas-100000.jsonl"
    _synth("atlas", big, 100000)
    out = str(work / "pieces-graph.json")
    plan: list[tuple[str, str, list[str], bool]] = [
        ("compiled", "Atlas 20k", [str(atlas), out], False),
        ("compiled", "text 5k", [str(text), out], False),
        ("atlas-digests", "Atlas 20k", [str(atlas), out], False),
        ("gc", "Atlas 20k", [str(atlas), out], False),
        ("freeze", "Atlas 20k", [str(atlas), out], False),
        ("writer-fork", "Atlas 20k", [str(atlas), out], False),
        ("pickling", "text 10k --jobs 2", [str(many), out, "--jobs", "2"], False),
        ("packing", "Atlas 100k memory", [str(big), out], True),
    ]
    only = set(filter(None, args.only.split(",")))
    lines = []
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()}")
    for piece, label, task_args, memory in plan:
        if only and piece not in only:
            continue
        print(f"{piece}: {label}", flush=True)
        lines.append(compare(label, piece, task_args, args.repeat, memory))
    print(f"load average after: {os.getloadavg()}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
