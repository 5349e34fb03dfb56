"""The graph as node-link JSON, streamed through orjson: what ``topo build --graph-json`` writes.

One node, edge or trace path per line, so a graph of millions of edges is never held as
one document in memory; on a machine with several cores a forked process writes most of
the edges while this one writes the rest (the file is the same either way). Read back by
:func:`topo.graphio.read_graph_json`; without orjson, or for a value orjson cannot write,
it is :func:`topo.graphio.write_graph_json` itself.

>>> import tempfile
>>> from topo.graphio import read_graph_json
>>> G = nx.DiGraph(trace_paths={"t": {"path": ["a", "b"]}})
>>> G.add_edge("a", "b", trace_ids=["t"], rtt_delta_min=0.25)
>>> back = read_graph_json(write_graph_json(G, Path(tempfile.mkdtemp()) / "g.json"))
>>> back.edges["a", "b"], back.graph == G.graph
({'trace_ids': ['t'], 'rtt_delta_min': 0.25}, True)
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import networkx as nx

from topo.atomic import replacing
from topo.packed import is_lazy_list, plain
from topo.pipeline import no_cycle_collection
from topo.topology.graph import edge_count

#: The most dicts written with one ``orjson.dumps`` call (one call per dict costs about 4x
#: more on a large graph: each call allocates and shrinks its own output buffer).
DICTS_PER_CALL = 4096
#: The JSON text aimed at per call, which sets how many dicts the next call takes (at
#: least :data:`FIRST_CALL`). A batch's dicts, made for it, take more than ten times their
#: text as objects: 4,096 trace verdicts (0.7 KB of JSON, 12 KB as objects, each) held
#: 49 MB while written, about 5 MB now; 4,096 edges take 0.6 MB of text.
BYTES_PER_CALL = 1 << 18
#: Dicts in the first call of a list, before their size is known.
FIRST_CALL = 256
#: The fewest edges for which, with ``jobs`` above 1, a forked process writes part of them.
PARALLEL_EDGES = 50_000

_Dumps = Callable[[Any], bytes]


def write_graph_json(G: nx.DiGraph, path: str | Path, *, jobs: int = 1) -> Path:
    """Write ``G`` as node-link JSON (see the module docstring); returns the path.

    With ``jobs`` above 1 and at least :data:`PARALLEL_EDGES` edges, a forked process
    writes the last edges into a file of its own while this one writes the rest, then this
    one appends it (where processes cannot be forked, or threads are running, this one
    writes everything).
    """
    target = Path(path)
    try:
        import orjson
    except ImportError:
        orjson = None  # type: ignore[assignment]
    if orjson is None or G.is_multigraph():
        return _write_with_json(G, target)
    dumps = partial(orjson.dumps, default=plain)
    part = target.with_name(f".{target.name}.{os.getpid()}.edges.tmp")
    try:
        with replacing(target) as temporary, no_cycle_collection(), temporary.open("wb") as out:
            helper = _start_edge_writer(G, part, jobs)  # forked before anything is written
            try:
                out.write(b'{\n "directed": %s,\n "multigraph": false,\n "graph": {'
                          % (b"true" if G.is_directed() else b"false"))  # fmt: skip
                _write_graph_attrs(out, G, dumps)
                out.write(b'\n },\n "nodes": ')
                _write_dicts(out, ({**attrs, "id": n} for n, attrs in G.nodes(data=True)), dumps)
                out.write(b',\n "edges": ')
                _write_edges(out, G, dumps, helper)
            finally:
                if helper is not None and helper[1].is_alive():
                    helper[1].terminate()
                    helper[1].join()
            out.write(b"\n}\n")
    except TypeError:  # a value orjson cannot write (the temporary file is gone)
        _write_with_json(G, target)
    finally:
        part.unlink(missing_ok=True)
    return target


def _write_with_json(G: nx.DiGraph, target: Path) -> Path:
    from topo.graphio import write_graph_json as write_with_json

    return write_with_json(G, target)


def _write_graph_attrs(out: BinaryIO, G: nx.DiGraph, dumps: _Dumps) -> None:
    first = True
    for key, value in G.graph.items():
        out.write(b"%s\n  %s: " % (b"" if first else b",", dumps(str(key))))
        first = False
        if key == "trace_paths" and isinstance(value, Mapping):
            _write_items(
                out, ((dumps(str(k)) + b": " + dumps(v)) for k, v in value.items()), b"{", b"}", 3
            )
        else:
            _write_value(out, value, dumps, 3)


def _edge_dicts(G: nx.DiGraph, start: int = 0) -> Iterator[dict[str, Any]]:
    """Each edge's dict as node-link JSON has it, from the ``start``-th edge on (in
    ``G.edges(data=True)``'s order)."""
    edges = ((u, v, d) for u, neighbours in G.adjacency() for v, d in neighbours.items())
    return ({**d, "source": u, "target": v} for u, v, d in islice(edges, start, None))


#: A forked process writing edges: its first edge's position, the process, its file.
_Helper = tuple[int, Any, Path]


def _start_edge_writer(G: nx.DiGraph, part: Path, jobs: int) -> _Helper | None:
    """Fork a process that writes the last edges into ``part``, or ``None`` when this
    process writes them all.

    Its share is about half of the whole file's items, counting a node as 1.5 edges and
    a trace (its path and verdict) as two: what balanced the two processes on 20,000
    synthetic Atlas results and 10,000 text files (a forked process writes an edge about
    a third slower than this one: its first touch of each page copies it).
    """
    edges = edge_count(G)
    if (
        jobs <= 1
        or edges < PARALLEL_EDGES
        or "fork" not in multiprocessing.get_all_start_methods()
        or threading.active_count() > 1  # forking a process with threads can deadlock
    ):
        return None
    traces = len(G.graph.get("trace_paths") or ())
    share = (edges + 3 * G.number_of_nodes() // 2 + 2 * traces) // 2
    start = max(edges - share, 1)  # this process writes at least the first edge
    process = multiprocessing.get_context("fork").Process(
        target=_edge_writer, args=(G, start, str(part)), daemon=True
    )
    process.start()
    return start, process, part


def _edge_writer(G: nx.DiGraph, start: int, part: str) -> None:
    """In the forked process: the edges from position ``start`` on, each line starting
    with the separator that follows the edge before it. Exits 1 on any failure (this
    process then writes them itself, and reports what is wrong)."""
    try:
        import orjson

        with open(part, "wb") as out:  # noqa: PTH123
            _write_lines(out, _dict_lines(_edge_dicts(G, start), orjson.dumps, 2), 2, first=False)
    except BaseException:
        sys.exit(1)


def _write_edges(out: BinaryIO, G: nx.DiGraph, dumps: _Dumps, helper: _Helper | None) -> None:
    if helper is None:
        _write_dicts(out, _edge_dicts(G), dumps)
        return
    start, process, part = helper
    out.write(b"[")
    _write_lines(out, _dict_lines(islice(_edge_dicts(G), start), dumps, 2), 2)
    process.join()
    if process.exitcode == 0:
        out.flush()
        with part.open("rb") as written:
            shutil.copyfileobj(written, out, 1 << 22)
    else:  # write them here (an error it met is met again, and raised)
        _write_lines(out, _dict_lines(_edge_dicts(G, start), dumps, 2), 2, first=False)
    out.write(_closing(b"]", 2, empty=False))


def _write_value(out: BinaryIO, value: Any, dumps: _Dumps, depth: int) -> None:
    """``value`` as JSON; a list of more than :data:`DICTS_PER_CALL` items is written one
    item per line, and a dict holding one member per line, so that no large part of the
    graph (the inference's 100,000 trace verdicts) is ever one ``bytes`` object."""
    if _long_list(value):
        _write_dicts(out, value, dumps, depth)
    elif isinstance(value, dict) and any(
        _long_list(member) or (isinstance(member, dict) and len(member) > DICTS_PER_CALL)
        for member in value.values()
    ):
        indent = b"\n" + b" " * depth
        out.write(b"{")
        for index, (key, member) in enumerate(value.items()):
            out.write(b"%s%s%s: " % (b"," if index else b"", indent, dumps(str(key))))
            _write_value(out, member, dumps, depth + 1)
        out.write(b"\n" + b" " * (depth - 1) + b"}")
    else:
        out.write(dumps(value))


def _long_list(value: Any) -> bool:
    """Whether ``value`` is a list (or a list made when read, :mod:`topo.packed`) to be
    written one item per line."""
    return (isinstance(value, list) or is_lazy_list(value)) and len(value) > DICTS_PER_CALL


def _write_dicts(
    out: BinaryIO, items: Iterable[dict[str, Any]], dumps: _Dumps, depth: int = 2
) -> None:
    """A JSON list of dicts, one per line (what :func:`_write_items` writes of each dict's
    own ``dumps``), from one ``dumps`` call per :data:`DICTS_PER_CALL` dicts: in the
    compact list ``[{..},{..}]`` each ``},{`` between two dicts becomes ``},\\n  {``. When
    a batch holds ``},{`` anywhere else (inside a string or a nested list of dicts), that
    batch is written dict by dict instead.

    >>> import io, orjson
    >>> out = io.BytesIO()
    >>> _write_dicts(out, [{"a": 1}, {"b": "},{"}, {}], orjson.dumps)
    >>> print(out.getvalue().decode())
    [
      {"a":1},
      {"b":"},{"},
      {}
     ]
    """
    out.write(b"[")
    empty = _write_lines(out, _dict_lines(items, dumps, depth), depth)
    out.write(_closing(b"]", depth, empty))


def _dict_lines(items: Iterable[dict[str, Any]], dumps: _Dumps, depth: int) -> Iterator[bytes]:
    """The dicts a batch at a time, written one per line at ``depth``: each batch as many
    as make about :data:`BYTES_PER_CALL` of JSON at the size of the batch before (between
    :data:`FIRST_CALL` and :data:`DICTS_PER_CALL`)."""
    between = _between(depth)
    iterator = iter(items)
    size = FIRST_CALL
    while batch := list(islice(iterator, size)):
        text = dumps(batch)
        if text.count(b"},{") == len(batch) - 1:
            yield text[1:-1].replace(b"},{", b"}" + between + b"{")
        else:
            yield between.join(dumps(item) for item in batch)
        size = min(max(BYTES_PER_CALL * len(batch) // len(text), FIRST_CALL), DICTS_PER_CALL)


def _write_items(
    out: BinaryIO, items: Iterable[bytes], open_: bytes, close: bytes, depth: int
) -> None:
    """``[`` or ``{``, one item per line, ``]`` or ``}`` (written a few thousand items at
    a time: one write call per item costs more than the items)."""
    iterator = iter(items)
    between = _between(depth)
    out.write(open_)
    batches = iter(lambda: list(islice(iterator, DICTS_PER_CALL)), [])
    empty = _write_lines(out, (between.join(batch) for batch in batches), depth)
    out.write(_closing(close, depth, empty))


def _between(depth: int) -> bytes:
    """What separates two items of a list or object at ``depth``: a comma, a new line."""
    return b",\n" + b" " * depth


def _write_lines(out: BinaryIO, chunks: Iterable[bytes], depth: int, first: bool = True) -> bool:
    """Write ``chunks`` (items at ``depth``, one per line, already joined), each after a
    new line (the first of the list) or a separator; returns whether nothing was written."""
    between = _between(depth)
    for chunk in chunks:
        out.write((between[1:] if first else between) + chunk)
        first = False
    return first


def _closing(close: bytes, depth: int, empty: bool) -> bytes:
    """The end of a list or object whose items stand at ``depth`` (``[]`` when empty)."""
    return close if empty else b"\n" + b" " * (depth - 1) + close
