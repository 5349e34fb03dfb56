"""Screenshots of the topology page for docs/ (and the README), in headless Chromium.

Builds the pages of the article's trace, all shipped samples at once, the constructed
counter-example that leaves AWS and a synthetic 50k-node set (``bench/page.py``'s), opens
each at 1400 x 900 and 390 x 844 in Debian's Chromium (``/usr/bin/chromium``, offline, the
page's own file only) as a reader first sees it, and writes
``docs/page-<name>-<width>x<height>.png``; the 50k page also zoomed in on one router
(``-zoomed``), to show the levels of detail. Fails on a console error or a request.

    python bench/screenshots.py            # every page
    python bench/screenshots.py article    # some of them
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from page import ARGS, CHROMIUM, synthetic_traces

from topo.render import write_html
from topo.topology.analyze import analyze
from topo.topology.graph import build_graph
from topo.topology.infer import infer_interconnects

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SIZES = ((1400, 900), (390, 844))
SETS = {  # relative to the repository, as a reader would type them (the page shows them)
    "article": ["samples/aws-osaka-tokyo"],
    "all-samples": sorted(f"samples/{p.name}" for p in (ROOT / "samples").iterdir() if p.is_dir()),
    "counter-example": ["samples/example-leaves-provider"],
}


def build(name: str, folder: Path) -> Path:
    """The page of set ``name`` in ``folder``, titled as ``topo build`` titles the same
    inputs (:func:`topo.render.titles.page_title`: the manifest's name, else the contents)."""
    target = folder / f"{name}.html"
    if name == "50k":
        traces = synthetic_traces(50_000)
        G = build_graph(traces)
        infer_interconnects(traces, graph=G)
        return write_html(G, target, max_nodes=None, title="Synthetic set, 50k nodes")
    return write_html(analyze(SETS[name]), target)


def _router(url: str, problems: list[str]) -> Callable[[Any], None]:
    """Serve the page's own file; abort and note anything else."""

    def route(r: Any) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            problems.append(f"request {r.request.url}")
            r.abort()

    return route


def shoot(page: Path, name: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for width, height in SIZES:
            context = browser.new_context(viewport={"width": width, "height": height})
            tab = context.new_page()
            problems: list[str] = []
            url = page.resolve().as_uri()

            tab.route("**/*", _router(url, problems))
            tab.on("console", lambda m, p=problems: m.type == "error" and p.append(m.text))
            tab.on("pageerror", lambda e, p=problems: p.append(str(e)))
            tab.goto(url, timeout=300_000)
            tab.wait_for_function("window.topo && window.topo.drawn", timeout=300_000)
            tab.wait_for_timeout(400)
            shots = [(f"page-{name}-{width}x{height}.png", None)]
            if name == "50k":
                shots.append((f"page-{name}-zoomed-{width}x{height}.png", "zoom"))
            for file_name, action in shots:
                if action == "zoom":
                    tab.evaluate("topo.zoomToNode(topo.data.nodes.length - 1)")
                    tab.wait_for_timeout(400)
                labels = tab.evaluate("topo.layout().labels.min")
                path = DOCS / file_name
                tab.screenshot(path=str(path))
                written.append(path)
                print(f"{path.relative_to(ROOT)}: smallest label {labels:.1f} px")
            if problems:
                raise SystemExit(f"{name} {width}x{height}: {problems}")
            context.close()
        browser.close()
    return written


def main(names: list[str]) -> None:
    os.chdir(ROOT)
    folder = Path(tempfile.mkdtemp(prefix="topo-shots-"))
    try:
        for name in names:
            shoot(build(name, folder), name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:] or [*SETS, "50k"])
