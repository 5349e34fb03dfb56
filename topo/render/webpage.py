"""The self-contained HTML page: pyvis's node and edge structures in topo's own template.

pyvis's templates load Bootstrap (and, in ``remote`` mode, vis-network) from a CDN, so the
page uses its own template (``template.html``, ``page.js``, ``page.css`` beside this
module) and inlines the vis-network build that pyvis ships. Nothing on the page requests
anything: it works offline and from an e-mail attachment. The nodes and edges are written
into ``Network.nodes``/``Network.edges`` directly (``Network.from_nx`` checks list
membership per node: 42 s at 50k nodes).

All data goes into one ``<script type="application/json">`` element with ``<``, ``>``,
``&`` and U+2028/2029 escaped (:func:`script_json`), so a host name such as
``</script><script>...`` stays data; the page's script puts text into the DOM with
``textContent`` only.

>>> script_json({"name": "</script><b>&"})
'{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
"""

from __future__ import annotations

import html as html_escape
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import networkx as nx
from markupsafe import Markup

from topo.atomic import write_atomically
from topo.render.aggregate import DEFAULT_MAX_NODES, aggregate
from topo.render.layout import compute_layout
from topo.render.packed import pack_records
from topo.render.pagedata import PageData, default_title, page_data

VIS_VERSION = "9.1.2"
_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element (it cannot close the element)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in _ESCAPES.items():  # str.replace is much faster than translate here
        text = text.replace(char, escape)
    return text


#: vis-network stops the wheel and pinch zoom at 10x; the region map nests boxes whose
#: routers read only further in, so the page replaces that stop with its own, derived from
#: the content (``topo.clampScale`` in page.js: in until the smallest label is a few times
#: readable, out until the map is a fraction of the canvas). This one expression of the
#: 9.1.2 build; a build without it keeps its stop and the page's buttons still zoom.
ZOOM_CLAMP = (
    "t<1e-5&&(t=1e-5),t>10&&(t=10)",
    "t=window.topo&&topo.clampScale?topo.clampScale(t):Math.min(Math.max(t,1e-9),1e6)",
)
#: vis-network reads a node's x and y with ``parseInt``: a router of a group drawn at 1/60
#: of the base size (cells about one canvas unit high) would land up to a cell away from its
#: place, rows bunched and labels among the next row's symbols. The page keeps them exact.
EXACT_POSITIONS = (
    ("this.x=Ep(e.x)", "this.x=Number(e.x)"),
    ("this.y=Ep(e.y)", "this.y=Number(e.y)"),
)


@cache
def vis_script() -> str:
    """vis-network's minified build, as shipped inside the pyvis package (its zoom stop
    the page's, node positions not rounded)."""
    lib = resources.files("pyvis").joinpath("templates", "lib", f"vis-{VIS_VERSION}")
    text = lib.joinpath("vis-network.min.js").read_text("utf-8")
    if "</script" in text.lower():  # pragma: no cover - would break the inlined element
        raise RuntimeError("vis-network.min.js contains </script>; cannot inline it")
    for before, after in (ZOOM_CLAMP, *EXACT_POSITIONS):
        text = text.replace(before, after, 1)
    return text


@cache
def _asset(name: str) -> str:
    return resources.files("topo.render").joinpath(name).read_text("utf-8")


def vis_options() -> dict[str, Any]:
    """vis-network options: positions from the layout, nothing moves them (no physics, no
    dragging of nodes); the page's script handles the keys."""
    return {
        "autoResize": True,
        "layout": {"improvedLayout": False, "hierarchical": False},
        "physics": {"enabled": False},
        "interaction": {
            "hover": True,
            "dragNodes": False,
            "keyboard": False,
            "tooltipDelay": 120,
            "multiselect": True,
            "navigationButtons": False,
            "zoomSpeed": 0.7,
        },
        "nodes": {
            "size": 13,
            "borderWidth": 1.5,
            "font": {"size": 17, "face": "sans-serif", "color": "#1b2631"},
            "scaling": {"label": {"drawThreshold": 3, "maxVisible": 400}},
        },
        "edges": {
            "arrows": {"to": {"enabled": True, "scaleFactor": 0.5}},
            "smooth": False,
            "color": {"color": "#9aa5b1", "highlight": "#1f3a93", "hover": "#34495e"},
            "width": 1.5,
            "selectionWidth": 1.5,
        },
    }


def network(data: PageData) -> Any:
    """A pyvis ``Network`` holding the page's nodes, edges and options."""
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="in_line", height="100%", width="100%")
    net.nodes = data.nodes
    net.edges = data.edges
    net.node_ids = [n["id"] for n in data.nodes]
    net.node_map = {n["id"]: n for n in data.nodes}
    net.options = vis_options()
    return net


def render_page(
    G: nx.DiGraph,
    *,
    title: str | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    physics: bool = False,
    generated: datetime | None = None,
) -> str:
    """The whole page for ``G`` as one HTML string (aggregated to ``max_nodes`` first).

    ``physics`` is accepted and ignored: the page keeps the computed layout (nodes are not
    dragged and nothing moves them), which physics could only scatter.
    """
    del physics
    from topo import __version__

    H = aggregate(G, max_nodes)
    data = page_data(H, compute_layout(H))
    net = network(data)
    nodes, edges, _, _, _, options = net.get_network_data()
    script = data.script_data()
    script.update({"nodes": pack_records(nodes), "edges": pack_records(edges)})
    script["options"] = json.loads(options)
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_asset("template.html"))
    return template.render(
        title=default_title(G, title),  # the whole set's title, as topo build's
        header=data.header,
        generated=when,
        version=__version__,
        node_count=len(nodes),
        edge_count=len(edges),
        css=Markup(_asset("page.css")),
        vis_js=Markup(vis_script()),
        page_js=Markup(_asset("page.js")),
        data_json=Markup(script_json(script)),
    )


def write_page(G: nx.DiGraph, path: str | Path, **options: Any) -> Path:
    """Write :func:`render_page` to ``path`` (folders created); returns the path."""
    return write_atomically(path, render_page(G, **options))


class InlinePage:
    """The page for a notebook cell: an ``<iframe srcdoc>`` (scripts sandboxed)."""

    def __init__(self, page: str, height: int = 780) -> None:
        self.page = page
        self.height = height

    def _repr_html_(self) -> str:
        doc = html_escape.escape(self.page, quote=True)
        return (
            f'<iframe srcdoc="{doc}" sandbox="allow-scripts" '
            f'style="width:100%;height:{self.height}px;border:1px solid #ccc"></iframe>'
        )
