"""Ingest benchmark: topo's whole ``topo build`` against bare parsers, from one run.

Prints, for the same synthetic inputs (``bench/synth.py``, seed 1):

- RIPE Atlas JSON Lines (default 20,000 results, ~81 MB): ``topo build FILE --offline
  --no-cache --graph-json OUT`` (parse, classify, offline owners, inference, graph, written;
  ``--jobs`` left at its default, the machine's cores, and again with ``--jobs 1``) against
  (a) ripe.atlas.sagan parsing the file and extracting every hop's addresses and (b) a bare
  orjson loop counting the same hop-to-hop edges (and orjson decoding alone); and the
  "graph floor": decoding the file, making the networkx graph topo made from plain lists
  and writing it, i.e. what any build producing that graph costs before it parses,
  classifies or infers anything;
- ``traceroute -n`` text (default 5,000 files): ``topo build DIR ...`` against jc parsing
  the same files;
- ``--jobs 2`` against ``--jobs 1`` on a folder of 10,000 small text traces;
- with ``--dask``: the Atlas build on a local two-worker Dask cluster;
- peak memory of ``topo build`` at 10k and 100k Atlas results (``ru_maxrss`` of the
  process, and of its largest child when it forks some: a worker, or the graph writer's
  helper, whose resident pages are mostly the ones it shares with its parent); the
  generator's paths are new trace after trace, so the graph grows with the input (9.6x
  the edges at 100k);
- the same peaks over results that repeat the same 10k paths (``synth.py --distinct``,
  as repeated measurements between the same probes and targets do): the graph stops
  growing, and what grows is what topo keeps per trace (its path and verdict).

Every measurement runs in a fresh child process, timed from after its imports; the
machine's load average is printed before and after (a shared CPU skews every number, the
ratios less so). ``--repeat N`` runs each measurement N times and keeps the least time; the
measurements that are compared with each other take turns (topo, sagan, the orjson loops,
topo, sagan, ...), so that a slow spell of a shared machine falls on all of them.

    python bench/ingest.py [--traces 20000] [--text-files 5000] [--jobs-files 10000]
                           [--memory 10000,100000] [--dask] [--workdir /tmp/topo-bench]
                           [--skip atlas,text,jobs,memory,saturated] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _synth(kind: str, out: Path, traces: int, *options: str) -> None:
    if not out.exists():
        print(f"generating {out} ({traces} traces)", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), kind, str(out), "--traces", str(traces),
             "--seed", "1", *options],
            check=True,
        )  # fmt: skip


# -- the measured tasks (each runs in its own child process) ------------------------------


def task_topo(path: str, out: str, *options: str) -> dict[str, int]:
    """``topo build PATH --offline --no-cache --graph-json OUT --quiet --force [OPTIONS]``,
    in-process."""
    import io
    import re

    from topo.cli import cli

    said = io.StringIO()
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(said):
        cli.main(
            ["build", path, "--offline", "--no-cache", "--graph-json", out, "--quiet",
             "--force", *options],  # --force: each repeat writes the same file
            prog_name="topo",
        )  # fmt: skip
    # the counts from what the command printed once the file was written (reading the
    # file back here would add its own time and memory to topo's)
    found = re.search(r": (\d+) nodes, (\d+) edges", said.getvalue())
    if found is None:
        raise SystemExit(f"topo build printed no graph line: {said.getvalue()!r}")
    return {"nodes": int(found[1]), "edges": int(found[2])}


def task_sagan(path: str) -> dict[str, int]:
    """ripe.atlas.sagan: parse every result and list each hop's reply addresses."""
    from ripe.atlas.sagan import TracerouteResult

    addresses = 0
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            result = TracerouteResult(line)
            for hop in result.hops:
                addresses += sum(1 for p in hop.packets if p.origin)
    return {"addresses": addresses}


def task_orjson_edges(path: str) -> dict[str, int]:
    """A bare orjson loop: the distinct hop-to-hop edges and how many traces took each."""
    import orjson

    edges: dict[tuple[str, str], int] = {}
    with Path(path).open("rb") as handle:
        for line in handle:
            result = orjson.loads(line)
            previous: set[str] = set()
            for hop in result.get("result") or ():
                current = {r["from"] for r in hop.get("result") or () if "from" in r}
                if not current:
                    continue
                for u in previous:
                    for v in current:
                        edges[u, v] = edges.get((u, v), 0) + 1
                previous = current
    return {"edges": len(edges)}


def task_orjson_decode(path: str) -> dict[str, int]:
    """orjson decoding every line, nothing else."""
    import orjson

    count = 0
    with Path(path).open("rb") as handle:
        for line in handle:
            orjson.loads(line)
            count += 1
    return {"results": count}


def task_floor(path: str, graph: str, out: str) -> dict[str, float]:
    """What any build that makes this networkx graph and writes its JSON costs at least,
    however fast its parsing, classification, aggregation and inference: decoding the
    input's JSON, making the ``DiGraph`` of the graph ``topo build`` wrote (``graph``, read
    back untimed, laid out in memory at once: the best case) the way topo makes it (the
    attribute dicts of its nodes and edges put into adjacency dicts that become the
    graph's own, nothing copied) and writing it with
    topo's writer. Timed from after the reading back
    (``seconds``)."""
    import gc

    import orjson
    from networkx import DiGraph

    from topo.render.graph_files import read_graph_json, write_graph_json

    made = read_graph_json(graph)
    attrs = made.graph
    nodes = dict(made.nodes(data=True))
    edges = {(u, v): data for u, v, data in made.edges(data=True)}
    del made
    gc.disable()  # as topo's build runs: no cycle collection walking the growing graph
    parts = {}
    started = time.perf_counter()
    with Path(path).open("rb") as handle:
        for line in handle:
            orjson.loads(line)
    parts["decode"] = time.perf_counter() - started
    began = time.perf_counter()
    succ: dict[str, dict[str, Any]] = {key: {} for key in nodes}
    pred: dict[str, dict[str, Any]] = {key: {} for key in nodes}
    for (u, v), data in edges.items():  # as topo's builder fills them: shared, not copied
        succ[u][v] = pred[v][u] = data
    G = DiGraph(**attrs)
    G._node, G._adj, G._pred = nodes, succ, pred
    parts["graph"] = time.perf_counter() - began
    began = time.perf_counter()
    write_graph_json(G, out)
    parts["write"] = time.perf_counter() - began
    return {"seconds": time.perf_counter() - started, **{k: round(v, 2) for k, v in parts.items()}}


def task_jc(folder: str) -> dict[str, int]:
    """jc's ``traceroute`` parser over every file of a folder."""
    import jc

    hops = 0
    for path in sorted(Path(folder).iterdir()):
        text = path.read_text(encoding="utf-8")
        hops += len(jc.parse("traceroute", text, quiet=True)["hops"])
    return {"hops": hops}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "topo": task_topo,
    "sagan": task_sagan,
    "orjson-edges": task_orjson_edges,
    "orjson-decode": task_orjson_decode,
    "jc": task_jc,
    "floor": task_floor,
}
#: What each task imports before the clock starts.
IMPORTS = {
    "topo": ["topo.cli", "topo.topology.aggregate", "topo.engines", "topo.owners.cloud"],
    "sagan": ["ripe.atlas.sagan"],
    "orjson-edges": ["orjson"],
    "orjson-decode": ["orjson"],
    "jc": ["jc", "jc.parsers.traceroute"],
    "floor": ["orjson", "networkx", "topo.render.graph_files"],
}


def child(name: str, args: list[str]) -> None:
    """Run one task in this process and print its time, peak memory and result as JSON."""
    import importlib

    for module in IMPORTS[name]:
        importlib.import_module(module)
    started = time.perf_counter()
    result = TASKS[name](*args)
    seconds = time.perf_counter() - started
    seconds = float(result.pop("seconds", seconds))  # a task that times itself
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024,
                      "worker_peak_mb": worker_kb / 1024, "result": result}))  # fmt: skip


#: Runs of each task (``--repeat``): its least time is reported, and its largest peak.
REPEAT = 1

#: A task to time: its name, its arguments and the label it is printed with.
Task = tuple[str, tuple[str, ...], str]


def _once(name: str, args: tuple[str, ...]) -> dict[str, Any]:
    """One run of a task in a fresh child process: its report."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", name, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr}")
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def run_together(*tasks: Task) -> list[tuple[float, float]]:
    """Run tasks that are compared with each other :data:`REPEAT` times, taking turns (A,
    B, A, B, ...: a slow spell of the machine then falls on both); for each, its least
    seconds and largest peak memory (MB)."""
    reports: list[list[dict[str, Any]]] = [[] for _ in tasks]
    for _ in range(REPEAT):
        for runs, (name, args, _) in zip(reports, tasks, strict=True):
            runs.append(_once(name, args))
    results = []
    for runs, (_, _, label) in zip(reports, tasks, strict=True):
        times = [float(r["seconds"]) for r in runs]
        peak = max(float(r["peak_mb"]) for r in runs)
        workers = max(float(r.get("worker_peak_mb") or 0) for r in runs)
        seconds = min(times)
        extra = f" (children {workers:.0f} MB each at most)" if workers else ""
        tried = f" (best of {', '.join(f'{t:.2f}' for t in times)})" if len(times) > 1 else ""
        print(
            f"  {label:<16} {seconds:8.2f} s{tried}  peak {peak:7.0f} MB{extra}  "
            f"{runs[-1]['result']}",
            flush=True,
        )
        results.append((seconds, max(peak, workers)))
    return results


def run(name: str, *args: str, label: str | None = None) -> tuple[float, float]:
    """:func:`run_together` of one task."""
    return run_together((name, args, label or name))[0]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_ratio(work: Path, sizes: list[int], distinct: int | None) -> float | None:
    """Peak memory of ``topo build`` on synthetic Atlas results of each size (over the
    same ``distinct`` paths when given), printed; the last peak over the first."""
    peaks = []
    for count in sizes:
        if distinct is None:
            path, over = work / f"atlas-{count}.jsonl", ()
            print(f"peak memory, {count} Atlas results:")
        else:
            path = work / f"atlas-{count}-over-{distinct}-paths.jsonl"
            over = ("--distinct", str(distinct))
            print(f"peak memory, {count} Atlas results over the same {distinct} paths:")
        _synth("atlas", path, count, *over)
        peaks.append(run("topo", str(path), str(work / "mem-graph.json"), label="topo")[1])
    return peaks[-1] / peaks[0] if len(peaks) >= 2 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--traces", type=int, default=20000)
    parser.add_argument("--text-files", type=int, default=5000)
    parser.add_argument("--jobs-files", type=int, default=10000)
    parser.add_argument("--memory", default="10000,100000")
    parser.add_argument("--dask", action="store_true", help="also time the Dask engine")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/topo-bench"))
    parser.add_argument(
        "--skip", default="", help="comma-separated: atlas, text, jobs, memory, saturated"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each task: the least time is reported"
    )
    if sys.argv[1:2] == ["--child"]:  # before argparse: the task's own options follow
        child(sys.argv[2], sys.argv[3:])
        return
    args = parser.parse_args()
    global REPEAT  # a setting of this run, read by run()
    REPEAT = max(args.repeat, 1)
    skip = set(filter(None, args.skip.split(",")))
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, load average {_load()} (1, 5, 15 min)")
    lines = []
    if "atlas" not in skip:
        atlas = work / f"atlas-{args.traces}.jsonl"
        _synth("atlas", atlas, args.traces)
        size = atlas.stat().st_size / 1e6
        print(f"RIPE Atlas JSON Lines: {args.traces} results, {size:.0f} MB")
        graph = str(work / "atlas-graph.json")
        tasks: list[Task] = [
            ("topo", (str(atlas), graph), "topo"),
            ("topo", (str(atlas), graph, "--jobs", "1"), "topo --jobs 1"),
            ("sagan", (str(atlas),), "sagan"),
            ("orjson-edges", (str(atlas),), "orjson-edges"),
            ("orjson-decode", (str(atlas),), "orjson-decode"),
            # after topo in each round: it reads back the graph topo wrote
            ("floor", (str(atlas), graph, str(work / "floor-graph.json")), "graph floor"),
        ]
        if args.dask:
            tasks.append(("topo", (str(atlas), graph, "--engine", "dask", "--jobs", "2"),
                          "topo dask 2"))  # fmt: skip
        timed = [seconds for seconds, _ in run_together(*tasks)]
        topo, single, sagan, loop, decode, floor = timed[:6]
        lines += [
            f"topo build vs sagan parsing:     {sagan / topo:5.2f}x faster (target >= 5x)"
            f"; --jobs 1: {sagan / single:5.2f}x",
            f"topo build vs bare orjson loop:  {topo / loop:5.2f}x slower (target <= 2x)"
            f"; --jobs 1: {single / loop:5.2f}x",
            f"topo build vs orjson decode:     {topo / decode:5.2f}x slower",
            f"graph floor (decode + DiGraph + write, nothing parsed): sagan / floor "
            f"{sagan / floor:5.2f}x, floor / orjson loop {floor / loop:5.2f}x (no build "
            "that makes and writes this graph gets past these)",
        ]
        if args.dask:
            lines.append(f"Dask (local, 2 workers) vs --jobs 1: {single / timed[6]:5.2f}x faster")
    if "text" not in skip:
        folder = work / f"text-{args.text_files}"
        _synth("text", folder, args.text_files)
        print(f"traceroute -n text: {args.text_files} files")
        (topo_text, _), (jc, _) = run_together(
            ("topo", (str(folder), str(work / "text-graph.json")), "topo"),
            ("jc", (str(folder),), "jc"),
        )
        lines.append(
            f"topo build vs jc parsing (text): {jc / topo_text:5.2f}x faster (target >= 2x)"
        )
    if "jobs" not in skip:
        folder = work / f"text-{args.jobs_files}"
        _synth("text", folder, args.jobs_files)
        print(f"traceroute -n text: {args.jobs_files} files, --jobs 1 and 2")
        out = str(work / "jobs-graph.json")
        (one, _), (two, _) = run_together(
            ("topo", (str(folder), out, "--jobs", "1"), "topo --jobs 1"),
            ("topo", (str(folder), out, "--jobs", "2"), "topo --jobs 2"),
        )
        lines.append(
            f"--jobs 2 vs --jobs 1 (text files): {one / two:5.2f}x faster (target >= 1.6x)"
        )
    sizes = [int(x) for x in args.memory.split(",")]
    if "memory" not in skip:
        ratio = _peak_ratio(work, sizes, None)
        if ratio is not None:
            lines.append(
                f"peak memory {sizes[-1]} / {sizes[0]} traces: {ratio:5.2f}x (target <= 3x)"
            )
    if "saturated" not in skip:  # the graph stops growing: what grows is per trace
        ratio = _peak_ratio(work, sizes, sizes[0])
        if ratio is not None:
            lines.append(
                f"peak memory {sizes[-1]} / {sizes[0]} traces over {sizes[0]} paths: "
                f"{ratio:5.2f}x (the graph stops growing)"
            )
    print(f"load average after: {_load()}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
