"""Benchmark of the static figure (``topo build --figure``): seconds and peak memory.

Synthetic RIPE Atlas sets (``bench/synth.py``) of about 3k, 10k and 50k graph nodes (310,
1,030 and 7,700 results: paths share cores, so the graph grows slower than the results), and
the 3,000-result set of issue 24 (``python bench/synth.py atlas /tmp/a3k.jsonl --traces
3000``, ~27k nodes), each analysed once (not timed), then drawn to SVG. Each set runs in a
process of its own, so the peaks do not mix:

- ``figure s``: wall time of :func:`topo.render.figure.figure` (aggregate, layout, region
  map, drawing, writing), best of ``--repeat``;
- ``traced MB``: the largest memory Python allocated during one more figure (tracemalloc:
  matplotlib's buffers included, the analysis's graph not);
- ``RSS MB``: the process's peak resident size before the figure and after it.

    python bench/figure.py                 # 3k, 10k, 50k nodes and the 3,000-result set
    python bench/figure.py 2000 20000      # other sets, by their number of results
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The default sets, by results: ~3k, ~10k nodes, issue 24's 3,000 results, ~50k nodes.
SETS = (310, 1030, 3000, 7700)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(results: int, repeat: int) -> str:
    """One set: analyse it, then time and measure its figure; a line of the table."""
    from bench.synth import atlas_lines
    from topo.render.figure import figure
    from topo.topology.analyze import analyze

    with tempfile.TemporaryDirectory(prefix="topo-bench-figure-") as folder:
        source = Path(folder) / "atlas.jsonl"
        source.write_text("\n".join(atlas_lines(results, 1, 50000)) + "\n", encoding="utf-8")
        G = analyze([source], profiles=False).graph
        before = _rss_mb()
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            figure(G, Path(folder) / "figure.svg", title="benchmark")
            best = min(best, time.perf_counter() - start)
        after = _rss_mb()
        tracemalloc.start()
        figure(G, Path(folder) / "traced.svg", title="benchmark")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = (Path(folder) / "figure.svg").stat().st_size / 1024
    return (
        f"{results:>8,} {G.number_of_nodes():>8,} {G.number_of_edges():>8,} {best:>9.2f} "
        f"{peak / 2**20:>10.1f} {before:>7.0f} -> {after:<7.0f} {size:>7.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=int, help="results per set (default: SETS)")
    parser.add_argument("--repeat", type=int, default=2, help="figures timed per set (best)")
    parser.add_argument("--results", type=int, help=argparse.SUPPRESS)  # one set, in a child
    args = parser.parse_args()
    if args.results:
        print(measure(args.results, args.repeat), flush=True)
        return
    sets = args.sets or SETS
    print(f"{'results':>8} {'nodes':>8} {'edges':>8} {'figure s':>9} {'traced MB':>10} "
          f"{'RSS MB before -> after':>22} {'SVG KB':>7}")  # fmt: skip
    for results in sets:
        command = [
            sys.executable,
            __file__,
            "--results",
            str(results),
            "--repeat",
            str(args.repeat),
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        print(done.stdout.rstrip() or f"{results:>8,} failed: {done.stderr.strip()[-300:]}")


if __name__ == "__main__":
    main()
