"""Rendering: everything that turns a :class:`~topo.topology.result.Topology` into text or
one file. The interactive page (pyvis, self-contained), the static figure, the report
(Markdown or HTML, English or Japanese), the comparison page, RTT plots, graph files
(GraphML, GEXF, node-link JSON) and the terminal's tables.

From Python or Jupyter, with a topology from :func:`topo.analyze`:

>>> import tempfile, pathlib
>>> from topo.topology.analyze import analyze
>>> topology = analyze(["samples/aws-osaka-tokyo"])
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> "vis.Network" in write_html(topology, folder / "t.html").read_text()
True
>>> write_graph(topology, folder / "t.graphml").suffix
'.graphml'
>>> inline(topology.graph)._repr_html_().startswith("<iframe srcdoc=")
True
>>> slugify("AWS Osaka → Tokyo (the article's)")
'aws-osaka-tokyo-the-article-s'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx

from topo.errors import UsageError
from topo.render.aggregate import DEFAULT_MAX_NODES, aggregate
from topo.render.figure import figure, parse_figure_size
from topo.render.graph_files import write_gexf, write_graph_json, write_graphml
from topo.render.layout import Layout, compute_layout
from topo.render.report import write_report
from topo.render.titles import default_output, page_title, set_title, slugify
from topo.render.webpage import InlinePage, render_page, write_page
from topo.topology.result import Topology


def _graph(source: Topology | nx.DiGraph) -> nx.DiGraph:
    return source.graph if isinstance(source, Topology) else source


def html(G: nx.DiGraph, path: str | Path, **options: Any) -> Path:
    """Write the interactive page for ``G`` to ``path`` (:func:`write_html`)."""
    return write_page(G, path, **options)


def write_html(source: Topology | nx.DiGraph, path: str | Path, **options: Any) -> Path:
    """Write the interactive page of a topology (or its graph) to ``path``.

    ``options``: ``title`` (default: the set's name, else from its contents, as ``topo
    build`` titles it: :func:`~topo.render.titles.page_title`), ``max_nodes`` (node budget,
    default :data:`~topo.render.aggregate.DEFAULT_MAX_NODES`; ``None`` for none),
    ``generated`` (the date shown).
    """
    options["title"] = page_title(source, options.get("title"))
    return write_page(_graph(source), path, **options)


def write_figure(source: Topology | nx.DiGraph, path: str | Path, **options: Any) -> Path:
    """Write the static figure (``.svg``, ``.png`` or ``.pdf``; matplotlib): the region map
    at 16:9 (:mod:`topo.render.figure`); ``options``: ``title``, ``size`` (inches, see
    :func:`parse_figure_size`), ``slide_width``, ``max_nodes``; titled as the page is
    (:func:`~topo.render.titles.page_title`)."""
    options["title"] = page_title(source, options.get("title"))
    return figure(_graph(source), path, **options)


def write_graph(source: Topology | nx.DiGraph, path: str | Path) -> Path:
    """Write the graph as GraphML (``.graphml``), GEXF (``.gexf``) or node-link JSON
    (``.json``), by the file's suffix."""
    writers = {".graphml": write_graphml, ".gexf": write_gexf, ".json": write_graph_json}
    writer = writers.get(Path(path).suffix.lower())
    if writer is None:
        raise UsageError(f"{path}: a graph file is .graphml, .gexf or .json")
    return writer(_graph(source), path)


def inline(source: Topology | nx.DiGraph, *, height: int = 780, **options: Any) -> InlinePage:
    """The page of a topology (or its graph) as a notebook cell's output
    (``display(inline(topology))`` or end a cell with it), titled as :func:`write_html`
    titles it."""
    options["title"] = page_title(source, options.get("title"))
    return InlinePage(render_page(_graph(source), **options), height=height)


__all__ = [
    "DEFAULT_MAX_NODES",
    "InlinePage",
    "Layout",
    "aggregate",
    "compute_layout",
    "default_output",
    "figure",
    "html",
    "inline",
    "page_title",
    "parse_figure_size",
    "render_page",
    "set_title",
    "slugify",
    "write_figure",
    "write_graph",
    "write_html",
    "write_report",
]
