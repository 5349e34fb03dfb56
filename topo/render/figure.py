"""A static figure for reports (SVG, PNG, PDF): the page's layout and colours, by matplotlib.

>>> import tempfile, pathlib
>>> from topo.model import Hop, Reply, Trace
>>> from topo.topology.graph import build_graph
>>> G = build_graph([Trace(dst="52.95.31.166", hops=(
...     Hop(1, (Reply("13.208.0.67", 0.4),)), Hop(2, (Reply("100.65.1.9", 2.0),))))])
>>> path = figure(G, pathlib.Path(tempfile.mkdtemp()) / "t.svg")
>>> path.read_text()[:5]
'<?xml'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from topo.atomic import replacing
from topo.render.aggregate import DEFAULT_MAX_NODES, aggregate
from topo.render.layout import compute_layout
from topo.render.pagedata import default_title, page_data
from topo.render.style import MARKERS

#: Node labels are drawn up to this many nodes (they would only blur beyond).
LABEL_MAX_NODES = 300


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("static figures need matplotlib: pip install matplotlib") from err
    return plt


def _rect(ax: Any, box: dict[str, Any], face: str, edge: str, style: str, radius: int) -> None:
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch(
        (box["x0"], box["y0"]),
        box["x1"] - box["x0"],
        box["y1"] - box["y0"],
        boxstyle=f"round,pad=0,rounding_size={radius}",
        facecolor=face,
        edgecolor=edge,
        lw=1.5,
        linestyle=style,
        zorder=0,
    )
    ax.add_patch(patch)


def figure(
    G: nx.DiGraph,
    path: str | Path,
    *,
    title: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    dpi: int = 150,
) -> Path:
    """Draw ``G`` (aggregated to ``max_nodes``) to ``path``; the suffix picks the format."""
    plt = _pyplot()
    H = aggregate(G, max_nodes)
    layout = compute_layout(H)
    data = page_data(H, layout)
    xs = [n["x"] for n in data.nodes] or [0.0]
    ys = [n["y"] for n in data.nodes] or [0.0]
    width = min(max((max(xs) - min(xs)) / 90 + 3, 8), 60)
    height = min(max((max(ys) - min(ys)) / 90 + 3.5, 4), 60)
    fig, ax = plt.subplots(figsize=(width, height))
    for box in data.boxes:
        _rect(ax, box, "#3498db14", "#5dade2", "-", 14)
        ax.text(box["x0"] + 10, box["y0"] + 8, box["label"], va="top", fontsize=10,
                fontweight="bold", color="#1a5276", zorder=1)  # fmt: skip
    for band in data.bands:
        _rect(ax, band, "#8e44ad1f", "#8e44ad", "--", 10)
        text = "\n".join([band["label"], *band["summary"]])
        ax.text(band["x0"] + 6, band["y0"] - 6, text, va="bottom", fontsize=8, color="#4a235a")
    pos = {n["id"]: (n["x"], n["y"]) for n in data.nodes}
    for edge in data.edges:
        segment = bool(edge.get("seg"))
        arrow = {
            "arrowstyle": "-|>",
            "color": "#8e44ad" if segment else "#9aa5b1",
            "lw": 2 if segment else 1,
            "linestyle": "--" if edge.get("dashes") else "-",
            "shrinkA": 6,
            "shrinkB": 6,
        }
        ax.annotate("", xy=pos[edge["to"]], xytext=pos[edge["from"]], arrowprops=arrow, zorder=2)
    for entry in data.legend:
        members = [n for n in data.nodes if n["k"] == entry["key"]]
        for shape in sorted({n.get("shape", entry["shape"]) for n in members}):
            group = [n for n in members if n.get("shape", entry["shape"]) == shape]
            ax.scatter([n["x"] for n in group], [n["y"] for n in group], zorder=3,
                       s=140 if shape == "box" else 60, marker=MARKERS.get(shape, "o"),
                       c=entry["colour"], edgecolors="#333333", linewidths=0.6,
                       label=f"{entry['label']} ({len(group)})")  # fmt: skip
    if len(data.nodes) <= LABEL_MAX_NODES:
        for n in data.nodes:
            ax.text(n["x"], n["y"] + 16, n["label"], ha="center", va="top", fontsize=6.5,
                    color="#1b2631", zorder=4)  # fmt: skip
    ax.invert_yaxis()
    ax.set_aspect("equal", adjustable="datalim")
    ax.axis("off")
    header = data.header
    ax.set_title(f"{default_title(H, title)}: {header['verdict']}", fontsize=12, loc="left")
    if data.legend:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.02), ncol=4, fontsize=7, frameon=False)
    target = Path(path)
    try:
        with replacing(target) as temporary:  # the format from the target's name
            fig.savefig(temporary, format=target.suffix[1:] or None, dpi=dpi, bbox_inches="tight")
    finally:
        plt.close(fig)
    return target
