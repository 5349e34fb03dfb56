"""Where a build's time goes: the pipeline's stages, in one process or with ``--jobs N``.

``ingest.py`` times whole builds; this script times their parts on the same inputs, so that
a change can be aimed at the stage that costs (CPU seconds of this process where it says
``cpu``, wall seconds elsewhere).

- ``one``: the stages of a one-process build, each over every trace before the next, with
  the cycle collector paused so that no stage is charged for the garbage of another
  (reading and digesting, owners, views, graph aggregation, verdicts, the networkx graph,
  summary, marks, writing the graph JSON);
- ``jobs``: a :class:`topo.engines.Processes` build: when each run of units comes back
  from its worker and is merged, the final graph and summary, and writing; and what the
  largest run's partial costs to pickle and unpickle (what crosses between processes).

Usage::

    python bench/stages.py one PATH...
    python bench/stages.py jobs PATH... [--jobs 2]

PATH is what ``topo build`` takes (``bench/synth.py`` makes large inputs).
"""

from __future__ import annotations

import argparse
import gc
import pickle
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from topo.engines import Processes, processes
from topo.engines.units import consecutive_groups, plan_units
from topo.errors import ParseError
from topo.inputs import read_traces
from topo.owners import OwnerResolver, ResolverConfig
from topo.render.graph_files import write_graph_json
from topo.topology import Job, analyze
from topo.topology.digest import digest_trace
from topo.topology.graph import GraphBuilder
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
        traces = [t for t in read_traces(paths) if not isinstance(t, ParseError)]
        digests = [digest_trace(t, i) for i, t in enumerate(traces)]
        del traces
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


def jobs(paths: list[str], out: Path, count: int) -> None:
    """A ``--jobs`` build with a timer on each of its steps (wall seconds from the start)."""
    start = time.perf_counter()
    merge = processes.merge_in_order

    def merge_timed(results: Any, *args: Any, **kwargs: Any) -> Any:
        def arriving() -> Iterator[Any]:
            for number, result in enumerate(results, 1):
                print(f"  run {number:<3} in       at {time.perf_counter() - start:6.2f} s",
                      flush=True)  # fmt: skip
                yield result

        total = merge(arriving(), *args, **kwargs)
        print(f"  all merged     at {time.perf_counter() - start:6.2f} s", flush=True)
        return total

    processes.merge_in_order = merge_timed  # type: ignore[assignment]
    topology = analyze(paths, engine=Processes(count))
    print(f"  final graph    at {time.perf_counter() - start:6.2f} s")
    write_graph_json(topology.graph, out)
    print(f"  written        at {time.perf_counter() - start:6.2f} s")
    groups = consecutive_groups(plan_units(paths, jobs=count), count * processes.GROUPS_PER_JOB)
    largest = max(groups, key=lambda group: sum(unit.size for unit in group))
    resolver = OwnerResolver(ResolverConfig(use_cache=False))
    partial, _ = processes.read_group(largest, Job(), resolver)
    began = time.perf_counter()
    data = pickle.dumps(partial, protocol=pickle.HIGHEST_PROTOCOL)
    dumped = time.perf_counter() - began
    began = time.perf_counter()
    pickle.loads(data)
    print(f"  largest run's partial: {len(data) / 1e6:.1f} MB, pickled in {dumped:.2f} s, "
          f"unpickled in {time.perf_counter() - began:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["one", "jobs"])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "graph.json"
        if args.what == "one":
            one(args.paths, out)
        else:
            jobs(args.paths, out, args.jobs)


if __name__ == "__main__":
    main()
