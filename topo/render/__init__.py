"""Draw the merged topology: a self-contained HTML page (pyvis) and a static figure.

From Python or Jupyter, with a graph from :func:`topo.topology.graph.build_graph` (after
:func:`topo.topology.infer.infer_interconnects`, so the page has its verdict and segments):

>>> import tempfile, pathlib
>>> from topo.model import Hop, Reply, Trace
>>> from topo.topology.graph import build_graph
>>> G = build_graph([Trace(dst="52.95.31.166", hops=(Hop(1, (Reply("13.208.0.67", 0.4),)),))])
>>> page = html(G, pathlib.Path(tempfile.mkdtemp()) / "t.html")
>>> "vis.Network" in page.read_text()
True
>>> inline(G)._repr_html_().startswith("<iframe srcdoc=")
True
>>> slugify("AWS Osaka → Tokyo (the article's)")
'aws-osaka-tokyo-the-article-s'
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import networkx as nx

from topo.render.aggregate import DEFAULT_MAX_NODES, aggregate
from topo.render.figure import figure
from topo.render.layout import Layout, compute_layout
from topo.render.webpage import InlinePage, render_page, write_page

SLUG_MAX = 60


def html(G: nx.DiGraph, path: str | Path, **options: Any) -> Path:
    """Write the interactive page for ``G`` to ``path``.

    ``options``: ``title``, ``max_nodes`` (node budget, default
    :data:`~topo.render.aggregate.DEFAULT_MAX_NODES`; ``None`` for none), ``physics``
    (start with physics on; small graphs only), ``generated`` (the date shown).
    """
    return write_page(G, path, **options)


def inline(G: nx.DiGraph, *, height: int = 780, **options: Any) -> InlinePage:
    """The page as a notebook cell's output (``display(inline(G))`` or end a cell with it)."""
    return InlinePage(render_page(G, **options), height=height)


def slugify(text: str) -> str:
    """``[a-z0-9-]`` only: accents folded, everything else a single ``-`` ('' if nothing)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    if len(slug) > SLUG_MAX:
        slug = slug[:SLUG_MAX].rsplit("-", 1)[0] or slug[:SLUG_MAX]
    return slug


def default_output(name: str | None, inputs: list[str], folder: str | Path = "output") -> Path:
    """``output/<slug>.html``: the slug from the manifest's ``name``, else the first input's
    file or folder name (never from file contents); ``topology`` when neither gives one.

    >>> default_output(None, ["samples/aws-osaka-tokyo/"])
    PosixPath('output/aws-osaka-tokyo.html')
    >>> default_output("../../etc/passwd", ["x"])
    PosixPath('output/etc-passwd.html')
    """
    candidates = [name] if name else []
    candidates += [Path(p.rstrip("/")).stem if p != "-" else "stdin" for p in inputs[:1]]
    slug = next((s for s in map(slugify, filter(None, candidates)) if s), "topology")
    return Path(folder) / f"{slug}.html"


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
    "render_page",
    "slugify",
]
