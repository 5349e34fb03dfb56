"""Benchmark of ``topo build``'s page: build time, file size, first draw and pan in Chromium.

Synthetic trace sets (many traces through shared cores: 64 vantage points, shared Osaka
and Tokyo routers, a reserved run and a destination of their own per trace) of about 1k,
10k and 50k nodes are merged, inferred and rendered without a node budget, then opened in
headless Debian Chromium (``/usr/bin/chromium``, no network).

- *draw*: the page's ``performance.now()`` at vis-network's first ``afterDrawing`` (from
  navigation start: reading the file, parsing the data, the first level, the first frame);
- *pan*: from a pan of 80 px (``topo.panBy``: the view moves, the level is brought up to
  date) to the end of the frame that shows it, median and worst of 12, at the fit view
  and zoomed in on one router (its box and groups open);
- *shown*: how many vis nodes the fit view and the zoomed view draw.

    python bench/page.py            # 1k, 10k, 50k
    python bench/page.py 2000 5000  # other sizes
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the path: drop it so that no bench
# module can shadow a library one that topo or networkx imports.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import ipaddress
import shutil
import tempfile
import time

from topo.model import Hop, Reply, Trace
from topo.render import html
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _ip(base: str, offset: int) -> str:
    return str(ipaddress.ip_address(base) + offset)


def synthetic_traces(nodes: int) -> list[Trace]:
    """About ``nodes`` graph nodes: 7 of each trace's own, plus ~130 shared ones."""
    traces = []
    for t in range(max(nodes // 7, 1)):
        reserved = [
            Reply(_ip("240.0.0.0" if k in (3, 4) else "100.64.0.0", t * 6 + k), 2.0 + k)
            for k in range(6)
        ]
        hops = [
            Hop(1, (Reply(_ip("13.208.0.0", t % 64), 0.4),)),
            Hop(2, (Reply(_ip("15.230.24.0", t % 16), 0.8),)),
            Hop(3, (Reply(_ip("15.230.25.0", (t // 16) % 16), 1.0),)),
            *(Hop(4 + k, (reply,)) for k, reply in enumerate(reserved)),
            Hop(10, (Reply(_ip("15.230.154.0", t % 16), 8.3),)),
            Hop(11, (Reply(_ip("13.112.0.0", t), 8.9),)),
        ]
        traces.append(
            Trace(dst=_ip("13.112.0.0", t), src=_ip("13.208.1.0", t % 64), hops=tuple(hops))
        )
    return traces


PAN = """async ([steps, dx]) => {
  const times = [];
  for (let k = 0; k < steps; k++) {
    const t0 = performance.now();
    await new Promise(done => {
      network.once("afterDrawing", done);
      topo.panBy(k % 2 ? -dx : dx, 0);
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return [times[times.length >> 1], times[times.length - 1], topo.layout().shown.nodes];
}"""


def measure(page: Path) -> dict[str, float]:
    """First draw and pan times (ms) of a page in headless Chromium, and what it shows."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="topo-bench-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=ARGS,
                viewport={"width": 1400, "height": 900},
            )  # fmt: skip
            tab = context.new_page()
            url = page.resolve().as_uri()
            tab.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
            tab.goto(url, timeout=300_000)
            tab.wait_for_function("window.topo && window.topo.drawn", timeout=300_000)
            found = {"draw": float(tab.evaluate("topo.drawTime"))}
            tab.wait_for_timeout(300)
            found["pan_fit"], found["pan_fit_max"], found["shown_fit"] = tab.evaluate(PAN, [12, 80])
            tab.evaluate("topo.zoomToNode(topo.data.nodes.length - 1)")
            tab.wait_for_timeout(300)
            found["pan_zoom"], found["pan_zoom_max"], found["shown_zoom"] = tab.evaluate(
                PAN, [12, 80]
            )
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return found


def main(sizes: list[int]) -> None:
    folder = Path(tempfile.mkdtemp(prefix="topo-bench-html-"))
    print(
        f"{'nodes':>7} {'edges':>7} {'graph s':>8} {'page s':>7} {'size MB':>8} {'draw s':>7} "
        f"{'pan ms (fit)':>14} {'pan ms (zoom)':>14} {'shown':>11}"
    )
    for size in sizes:
        traces = synthetic_traces(size)
        start = time.perf_counter()
        G = build_graph(traces)
        infer_interconnects(traces, graph=G)
        graph_s = time.perf_counter() - start
        start = time.perf_counter()
        page = html(G, folder / f"bench-{size}.html", max_nodes=None)
        page_s = time.perf_counter() - start
        megabytes = page.stat().st_size / 1e6
        m = measure(page)
        print(
            f"{G.number_of_nodes():>7} {G.number_of_edges():>7} {graph_s:>8.2f} {page_s:>7.2f} "
            f"{megabytes:>8.1f} {m['draw'] / 1000:>7.2f} "
            f"{m['pan_fit']:>6.0f} / {m['pan_fit_max']:>5.0f} "
            f"{m['pan_zoom']:>6.0f} / {m['pan_zoom_max']:>5.0f} "
            f"{m['shown_fit']:>5.0f} / {m['shown_zoom']:>4.0f}"
        )
    shutil.rmtree(folder, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/page.py",
        description="Build synthetic pages of about SIZE nodes and time their first draw "
        "and pans in headless Chromium (/usr/bin/chromium, no network).",
    )
    parser.add_argument(
        "sizes", nargs="*", type=int, metavar="SIZE", default=[1_000, 10_000, 50_000],
        help="approximate node counts (default: 1000 10000 50000)",
    )  # fmt: skip
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse_args().sizes)
