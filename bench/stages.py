"""Where a build's time goes: the pipeline's stages, in one process or with ``--jobs N``.

``ingest.py`` times whole builds; this script times their parts on the same inputs, so that
a change can be aimed at the stage that costs (numbers are CPU seconds of this process where
it says ``cpu``, wall seconds elsewhere).

- ``one``: the stages of a ``--jobs 1`` build, each over every trace before the next
  (reading and digesting, owners, views, graph aggregation, verdicts, the networkx graph,
  summary, marks, writing the graph JSON);
- ``jobs``: a ``--jobs N`` build as the command line runs it, with the time each process
  spends reading (and how many units each of its pieces holds: more than one piece when it
  took units over from a slower process), when this process starts receiving the workers'
  parts (each merged as it arrives) and when all are in and merged, the final graph and
  summary, and writing;
- ``pickle``: what a worker's partial costs to cross over (pickled, unpickled), and its parts.

Usage::

    python bench/stages.py one PATH...
    python bench/stages.py jobs PATH... [--jobs 2]
    python bench/stages.py pickle PATH... [--jobs 2]

PATH is what ``topo build`` takes (``bench/synth.py`` makes large inputs).
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from topo import parallel, pipeline
from topo.graph_json import write_graph_json
from topo.inputs import read_traces
from topo.owners import OwnerResolver, ResolverConfig
from topo.topology.graph import GraphBuilder, _pack_edges, _unpack_edges
from topo.topology.infer import annotate_graph, summarize, trace_verdict
from topo.topology.regions import load_regions
from topo.topology.views import view_digest


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Print the CPU seconds of the block."""
    started = time.process_time()
    yield
    print(f"  {name:<22} {time.process_time() - started:6.2f} s cpu", flush=True)


def one(paths: list[str], out: Path) -> None:
    """The stages of a one-process build, each over every trace."""
    gc.disable()
    with timed("read and digest"):
        digests = [d for d in read_traces(paths) if not isinstance(d, Exception)]
    resolver = OwnerResolver(ResolverConfig(use_cache=False))
    wanted: dict[str, None] = {}
    for digest in digests:
        wanted.update(digest.addresses)
    with timed(f"owners ({len(wanted)})"):
        answers = {a.addr: a for a in resolver.resolve(list(wanted))}
    with timed("views"):
        views = [view_digest(d, answers) for d in digests]
    builder = GraphBuilder()
    with timed("graph aggregation"):
        for view in views:
            builder.add_view(view)
    regions = load_regions()
    with timed("verdicts"):
        verdicts = [trace_verdict(v, regions) for v in views]
    with timed("networkx graph"):
        G = builder.graph()
    with timed("summary"):
        inference = summarize(verdicts)
    with timed("marks"):
        annotate_graph(G, inference)
    with timed("write graph JSON"):
        write_graph_json(G, out)
    print(f"  {len(digests)} traces, {G.number_of_nodes()} nodes, {G.number_of_edges()} edges")


def _wrap(module: Any, name: str, wrapper: Callable[..., Any]) -> None:
    real = getattr(module, name)
    setattr(module, name, lambda *a, **k: wrapper(real, *a, **k))


def jobs(paths: list[str], out: Path, count: int) -> None:
    """A ``--jobs`` build with a timer on each of its steps (wall seconds from the start)."""
    start = time.perf_counter()
    parent = os.getpid()

    def since() -> str:
        return f"at {time.perf_counter() - start:6.2f} s"

    def read_shares(real: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        began, cpu = time.perf_counter(), time.process_time()
        pieces = real(*args, **kwargs)
        who = "this process" if os.getpid() == parent else f"worker {os.getpid()}"
        units = "+".join(str(len(piece.units)) for piece in pieces)
        print(f"  {who:<13} read: {time.perf_counter() - began:5.2f} s "
              f"({time.process_time() - cpu:5.2f} cpu, units {units}), done {since()}",
              flush=True)  # fmt: skip
        return pieces

    def merged(real: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        print(f"  {'receiving and merging':<24} {since()}", flush=True)
        result = real(*args, **kwargs)
        print(f"  {'all parts in and merged':<24} {since()}", flush=True)
        return result

    _wrap(parallel, "_read_shares", read_shares)
    _wrap(parallel, "_merged", merged)
    pipeline.FREEZE_AFTER_BUILD = True  # as the command line does
    job = parallel.Job(config=ResolverConfig(use_cache=False))
    partial = parallel.build_partial(paths, job, jobs=count, report=lambda error: None)
    topology = pipeline.finish(partial)
    print(f"  {'final graph and summary':<24} {since()}")
    write_graph_json(topology.graph, out, jobs=count)
    print(f"  {'written':<24} {since()}")


def pickled(paths: list[str], count: int) -> None:
    """The last worker's partial (its group of units, as ``--jobs`` cuts them) pickled and
    unpickled whole and by parts."""
    gc.disable()
    units = parallel.plan_units(paths, jobs=count)
    groups = parallel._groups(units, count, parallel.PARENT_WEIGHT)
    resolver = OwnerResolver(ResolverConfig(use_cache=False))
    job = parallel.Job(config=ResolverConfig(use_cache=False))
    partial, _ = parallel._finished_group(groups[-1], job, resolver)  # as a worker sends it
    builder = partial.builder
    parts: list[tuple[str, Any]] = [
        ("whole partial", partial), ("builder", builder), ("verdicts", partial.verdicts),
        ("owner answers", partial.answers), ("builder nodes", builder.nodes),
        ("trace paths", builder.graph_attrs), ("RTT sums", builder.rtt_ns),
        ("TTL sets", builder.ttl_sets),
    ]  # fmt: skip
    for name, value in parts:
        began = time.perf_counter()
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        dumped = time.perf_counter() - began
        began = time.perf_counter()
        pickle.loads(data)
        print(f"  {name:<14} {len(data) / 1e6:6.1f} MB  dump {dumped:5.2f} s  "
              f"load {time.perf_counter() - began:5.2f} s")  # fmt: skip
    began = time.perf_counter()
    packed = _pack_edges(builder.nodes, builder.succ, builder.pred)
    packing = time.perf_counter() - began
    began = time.perf_counter()
    _unpack_edges(builder.nodes, packed)
    print(f"  edges as columns: packed {packing:5.2f} s, unpacked "
          f"{time.perf_counter() - began:5.2f} s ({builder.number_of_edges()} edges)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["one", "jobs", "pickle"])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "graph.json"
        if args.what == "one":
            one(args.paths, out)
        elif args.what == "jobs":
            jobs(args.paths, out, args.jobs)
        else:
            pickled(args.paths, args.jobs)


if __name__ == "__main__":
    main()
