"""Graph files: GraphML, GEXF and node-link JSON, each with a reader that restores topo's types.

networkx's GraphML and GEXF writers reject ``None`` and lists, so the writers here leave
``None`` out and encode lists and dicts as JSON text (the ``G.graph`` inference too); the
readers decode them again, so ``read_graphml(write_graphml(G))`` has every attribute back.
Other tools (Gephi, yEd, Cytoscape) see the JSON text as plain strings.

Node-link JSON (what ``topo build --graph-json`` writes) is streamed through orjson, one
node, edge or trace path per line, so a graph of millions of edges is never one document
in memory; :func:`read_graph_json` reads it back.

>>> import networkx as nx, tempfile, pathlib
>>> G = nx.DiGraph(trace_paths={"t": {"path": ["a", "b"]}})
>>> G.add_edge("a", "b", trace_ids=["t"], gap=0, segment=None)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "g.graphml"
>>> back = read_graphml(write_graphml(G, path))
>>> back.edges["a", "b"], back.graph["trace_paths"]
({'trace_ids': ['t'], 'gap': 0}, {'t': {'path': ['a', 'b']}})
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree import ElementTree

import networkx as nx
import orjson

from topo.atomic import replacing

_JSON_PREFIX = "json:"


def _encode(value: Any) -> Any:
    if isinstance(value, list | tuple | dict):
        return _JSON_PREFIX + json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_JSON_PREFIX):
        return json.loads(value[len(_JSON_PREFIX) :])
    return value


def _portable(G: nx.DiGraph) -> nx.DiGraph:
    """A copy whose attributes are scalars only (None dropped, containers as JSON text)."""
    out = nx.DiGraph()
    out.graph.update({k: _encode(v) for k, v in G.graph.items() if v is not None})
    for node, data in G.nodes(data=True):
        out.add_node(node, **{k: _encode(v) for k, v in data.items() if v is not None})
    for u, v, data in G.edges(data=True):
        out.add_edge(u, v, **{k: _encode(x) for k, x in data.items() if x is not None})
    return out


def _restore(G: nx.DiGraph) -> nx.DiGraph:
    out = nx.DiGraph()
    out.graph.update(
        {
            k: _decode(v)
            for k, v in G.graph.items()
            if k not in ("mode", "node_default", "edge_default")
        }
    )
    for node, data in G.nodes(data=True):
        out.add_node(node, **{k: _decode(v) for k, v in data.items()})
    for u, v, data in G.edges(data=True):
        out.add_edge(u, v, **{k: _decode(x) for k, x in data.items() if k != "id"})
    return out


def write_graphml(G: nx.DiGraph, path: str | Path) -> Path:
    """Write GraphML (attribute types inferred per key); returns the path."""
    target = Path(path)
    with replacing(target) as temporary:
        nx.write_graphml(_portable(G), temporary, named_key_ids=True)
    return target


def read_graphml(path: str | Path) -> nx.DiGraph:
    """Read a GraphML file written by :func:`write_graphml`, restoring lists and dicts."""
    return _restore(nx.read_graphml(Path(path)))


def write_gexf(G: nx.DiGraph, path: str | Path) -> Path:
    """Write GEXF (for Gephi); returns the path.

    networkx writes no graph-level attributes to GEXF, so ``G.graph`` (trace paths,
    inference) goes into the file's ``<meta><description>`` as JSON, which GEXF allows and
    Gephi shows; :func:`read_gexf` reads it back.
    """
    target = Path(path)
    with replacing(target) as temporary:
        nx.write_gexf(_portable(G), temporary)
        tree = ElementTree.parse(temporary)
        root = tree.getroot()
        namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
        ElementTree.register_namespace("", namespace.strip("{}"))
        meta = root.find(f"{namespace}meta")
        if meta is None:
            meta = ElementTree.SubElement(root, f"{namespace}meta")
        description = ElementTree.SubElement(meta, f"{namespace}description")
        description.text = _encode(G.graph)
        tree.write(temporary, encoding="utf-8", xml_declaration=True)
    return target


def read_gexf(path: str | Path) -> nx.DiGraph:
    """Read a GEXF file written by :func:`write_gexf`, restoring lists, dicts and ``G.graph``."""
    target = Path(path)
    restored = _restore(nx.read_gexf(target))
    for _, data in restored.nodes(data=True):
        data.pop("id", None)
    for element in ElementTree.parse(target).getroot().iter():
        if element.tag.endswith("description") and (element.text or "").startswith(_JSON_PREFIX):
            graph_attrs = _decode(element.text)
            if isinstance(graph_attrs, dict):
                restored.graph.update(graph_attrs)
    return restored


#: A list longer than this (in ``G.graph``: the inference's trace verdicts) is written one
#: item per line; a shorter one on one line.
LONG_LIST = 4096


def write_graph_json(G: nx.DiGraph, path: str | Path) -> Path:
    """Write ``G`` as node-link JSON, one node, edge or trace path per line; returns the
    path (written whole or not at all: :func:`topo.atomic.replacing`)."""
    target = Path(path)
    directed = b"true" if G.is_directed() else b"false"
    with replacing(target) as temporary, temporary.open("wb") as out:
        out.write(b'{\n "directed": %s,\n "multigraph": false,\n "graph": {' % directed)
        for index, (key, value) in enumerate(G.graph.items()):
            out.write(b"%s\n  %s: " % (b"," if index else b"", orjson.dumps(str(key))))
            if key == "trace_paths" and isinstance(value, dict):
                items = (orjson.dumps(str(k)) + b": " + orjson.dumps(v) for k, v in value.items())
                _write_lines(out, items, b"{", b"}", 3)
            else:
                _write_value(out, value, 3)
        out.write(b'\n },\n "nodes": ')
        nodes = (orjson.dumps({**attrs, "id": node}) for node, attrs in G.nodes(data=True))
        _write_lines(out, nodes, b"[", b"]", 2)
        out.write(b',\n "edges": ')
        edges = G.edges(data=True)
        _write_lines(out, (orjson.dumps({**d, "source": u, "target": v}) for u, v, d in edges),
                     b"[", b"]", 2)  # fmt: skip
        out.write(b"\n}\n")
    return target


def _write_lines(
    out: BinaryIO, items: Iterable[bytes], open_: bytes, close: bytes, depth: int
) -> None:
    """``[`` or ``{``, one item per line indented to ``depth``, ``]`` or ``}`` (``[]`` when
    there are none)."""
    out.write(open_)
    indent = b" " * depth
    first = True
    for item in items:
        out.write((b"\n" if first else b",\n") + indent + item)
        first = False
    out.write(close if first else b"\n" + b" " * (depth - 1) + close)


def _write_value(out: BinaryIO, value: Any, depth: int) -> None:
    """``value`` as JSON: a list of more than :data:`LONG_LIST` items one item per line; a
    dict holding such a list (or a dict of as many members) one member per line; anything
    else on one line."""
    if isinstance(value, list) and len(value) > LONG_LIST:
        _write_lines(out, map(orjson.dumps, value), b"[", b"]", depth)
    elif isinstance(value, dict) and any(
        isinstance(member, list | dict) and len(member) > LONG_LIST for member in value.values()
    ):
        indent = b"\n" + b" " * depth
        out.write(b"{")
        for index, (key, member) in enumerate(value.items()):
            out.write(b"%s%s%s: " % (b"," if index else b"", indent, orjson.dumps(str(key))))
            _write_value(out, member, depth + 1)
        out.write(b"\n" + b" " * (depth - 1) + b"}")
    else:
        out.write(orjson.dumps(value))


def read_graph_json(path: str | Path) -> nx.DiGraph:
    """Read a node-link JSON file written by :func:`write_graph_json`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    graph: nx.DiGraph = nx.node_link_graph(data, directed=True, edges="edges")
    return graph
