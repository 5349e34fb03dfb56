"""The whole ``topo build`` pipeline in one pass: traces in, graph and inference out.

:func:`aggregate` reads a stream of traces once, in batches: each trace becomes its
:class:`~topo.digest.TraceDigest` (a streaming parser gives digests straight away), the
new addresses of a batch are resolved together (each address once, however many traces
share it), then every trace becomes one :class:`~topo.steps.TraceView` that both the
graph and the inference use, and is dropped. Memory grows with the graph (distinct nodes,
edges, one path and one verdict per trace), not with the replies read.

What :func:`aggregate` returns is a :class:`Partial`: partials of consecutive parts of the
input merge (:meth:`Partial.merge`) into the partial of the whole, which is how worker
processes and Dask share the work (:mod:`topo.parallel`); :func:`finish` turns it into the
:class:`Topology`. :func:`build_topology` is both in one call.

The result is the same graph as :func:`topo.graph.build_graph` followed by
:func:`topo.infer.infer_interconnects` over the same traces, which are thin wrappers
over the same steps.

>>> from topo.inputs import read_traces
>>> from topo.manifest import manifests_for
>>> topology = build_topology(read_traces(["samples/aws-osaka-tokyo"]),
...                           manifests=manifests_for(["samples/aws-osaka-tokyo"]))
>>> topology.inference.verdict, topology.graph.number_of_nodes(), topology.errors
('on-provider', 24, [])
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import networkx as nx

from topo.addresses import is_address
from topo.digest import TraceDigest, digest_trace
from topo.errors import ParseError
from topo.graph import GraphBuilder
from topo.infer import Inference, TraceVerdict, annotate_graph, summarize, trace_verdict
from topo.manifest import Manifest, manifest_for_source
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.regions import load_regions
from topo.steps import view_digest

#: Traces whose new addresses are resolved in one call (online lookups run concurrently
#: within a batch).
BATCH = 5000


@dataclass
class Topology:
    """What :func:`build_topology` made: the annotated graph, the inference, the answers."""

    graph: nx.DiGraph
    inference: Inference
    answers: dict[str, OwnerAnswer]
    errors: list[ParseError] = field(default_factory=list)
    traces: int = 0


@dataclass
class Partial:
    """The aggregate of one part of the input: graph so far, verdicts, answers, errors."""

    builder: GraphBuilder = field(default_factory=GraphBuilder)
    verdicts: list[TraceVerdict] = field(default_factory=list)
    answers: dict[str, OwnerAnswer] = field(default_factory=dict)
    errors: list[ParseError] = field(default_factory=list)
    traces: int = 0

    def merge(self, other: Partial) -> Partial:
        """Add the partial of the part of the input that follows this one; returns self."""
        self.builder.merge(other.builder)
        self.verdicts.extend(other.verdicts)
        for addr, answer in other.answers.items():
            self.answers.setdefault(addr, answer)
        self.errors.extend(other.errors)
        self.traces += other.traces
        return self


def _batches(items: Iterable[TraceDigest], size: int) -> Iterator[list[TraceDigest]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


#: Set by the command line (a process that ends soon after its build): when a build ends,
#: what it made is moved out of the cycle collector's sight (``gc.freeze``) rather than
#: walked once more by the collection that re-enabling it sets off (about 1 s for the
#: objects of 20,000 Atlas results). A program that imports topo keeps the default: its own
#: objects alive at that moment are frozen too, and frozen cycles are never collected.
FREEZE_AFTER_BUILD = False


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while building (what the pipeline makes has no cycles).

    Each collection walks every live object: with a graph of a million edges alive, the
    collector's passes cost more than the build itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if FREEZE_AFTER_BUILD:
                gc.freeze()
            gc.enable()


def aggregate(
    items: Iterable[Trace | TraceDigest | ParseError],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    manifests: Mapping[str, Manifest | None] | None = None,
    on_error: Callable[[ParseError], None] | None = None,
    batch: int = BATCH,
) -> Partial:
    """The :class:`Partial` of a stream of traces (or their digests), read once.

    ``items`` may hold :class:`ParseError` items (what :func:`topo.inputs.read_traces`
    yields): each goes to ``on_error`` (else into ``Partial.errors``). ``owners`` is a
    resolver (offline and uncached by default) or answers already resolved.
    """
    partial = Partial()
    report = on_error or partial.errors.append
    own = owners is None
    resolver = (
        OwnerResolver(ResolverConfig(use_cache=False))
        if owners is None
        else (owners if isinstance(owners, OwnerResolver) else None)
    )
    answers = partial.answers
    if resolver is None:
        answers.update(owners)  # type: ignore[arg-type]
    regions = load_regions()
    builder = partial.builder
    verdicts = partial.verdicts
    known = manifests or {}
    by_source: dict[str | None, Manifest | None] = {}
    count = 0

    def digests() -> Iterator[TraceDigest]:
        nonlocal count
        for item in items:
            if isinstance(item, ParseError):
                report(item)
            elif isinstance(item, TraceDigest):
                count += 1
                yield item
            else:
                count += 1
                yield digest_trace(item, count - 1)

    try:
        with no_cycle_collection():
            for digests_batch in _batches(digests(), batch):
                if resolver is not None:
                    new: dict[str, None] = {}
                    for digest in digests_batch:
                        new.update(digest.addresses)
                        for end in (digest.src, digest.dst):
                            if end and end not in new and is_address(end):
                                new[end] = None
                    pending = [a for a in new if a not in answers]
                    if pending:
                        answers.update((a.addr, a) for a in resolver.resolve(pending))
                for digest in digests_batch:
                    source = digest.source
                    manifest = by_source.get(source, False)
                    if manifest is False:
                        manifest = by_source[source] = manifest_for_source(source, known)
                    view = view_digest(digest, answers, manifest=manifest)  # type: ignore[arg-type]
                    builder.add_view(view)
                    verdicts.append(trace_verdict(view, regions))
    finally:
        if own and resolver is not None:
            resolver.close()
    partial.traces = count
    return partial


def finish(partial: Partial) -> Topology:
    """The annotated graph and inference of the whole input's :class:`Partial` (which it
    empties: the graph takes over its attribute dicts, and the builder's own indexes go)."""
    with no_cycle_collection():
        G = partial.builder.graph()
        partial.builder = GraphBuilder()
        inference = summarize(partial.verdicts)
        annotate_graph(G, inference)
    return Topology(G, inference, partial.answers, partial.errors, partial.traces)


def build_topology(
    items: Iterable[Trace | TraceDigest | ParseError],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    manifests: Mapping[str, Manifest | None] | None = None,
    on_error: Callable[[ParseError], None] | None = None,
    batch: int = BATCH,
) -> Topology:
    """Merge a stream of traces into the annotated graph and its inference, in one pass.

    ``items`` may hold :class:`ParseError` items (what :func:`topo.inputs.read_traces`
    yields): each goes to ``on_error`` (else into ``Topology.errors``). ``owners`` is a
    resolver (offline and uncached by default) or answers already resolved.
    """
    partial = aggregate(items, owners, manifests=manifests, on_error=on_error, batch=batch)
    return finish(partial)


def write_graph_json(G: nx.DiGraph, path: str | Path) -> Path:
    """Write node-link JSON (what :func:`topo.graphio.write_graph_json` writes, read back
    by :func:`topo.graphio.read_graph_json`), streamed through orjson: one node, edge or
    trace path per line, so a graph of millions of edges is never held as one document in
    memory (about 20x faster than :mod:`json` on large graphs). Without orjson, or for a
    value orjson cannot write, it is :func:`topo.graphio.write_graph_json` itself.

    >>> import tempfile
    >>> from topo.graphio import read_graph_json
    >>> G = nx.DiGraph(trace_paths={"t": {"path": ["a", "b"]}})
    >>> G.add_edge("a", "b", trace_ids=["t"], rtt_delta_min=0.25)
    >>> back = read_graph_json(write_graph_json(G, Path(tempfile.mkdtemp()) / "g.json"))
    >>> back.edges["a", "b"], back.graph == G.graph
    ({'trace_ids': ['t'], 'rtt_delta_min': 0.25}, True)
    """
    target = Path(path)
    try:
        import orjson
    except ImportError:
        orjson = None  # type: ignore[assignment]
    if orjson is None or G.is_multigraph():
        from topo.graphio import write_graph_json as write_with_json

        write_with_json(G, target)
        return target
    dumps = orjson.dumps
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with no_cycle_collection(), temporary.open("wb") as out:
            out.write(b'{\n "directed": %s,\n "multigraph": false,\n "graph": {'
                      % (b"true" if G.is_directed() else b"false"))  # fmt: skip
            first = True
            for key, value in G.graph.items():
                out.write(b"%s\n  %s: " % (b"" if first else b",", dumps(str(key))))
                first = False
                if key == "trace_paths" and isinstance(value, dict):
                    _write_items(
                        out,
                        ((dumps(str(k)) + b": " + dumps(v)) for k, v in value.items()),
                        b"{",
                        b"}",
                        3,
                    )
                else:
                    _write_value(out, value, dumps, 3)
            out.write(b'\n },\n "nodes": ')
            _write_dicts(out, ({**attrs, "id": n} for n, attrs in G.nodes(data=True)), dumps)
            out.write(b',\n "edges": ')
            _write_dicts(
                out,
                (
                    {**d, "source": u, "target": v}
                    for u, neighbours in G.adjacency()  # G.edges(data=True)'s order
                    for v, d in neighbours.items()
                ),
                dumps,
            )
            out.write(b"\n}\n")
        temporary.replace(target)
    except TypeError:  # a value orjson cannot write
        temporary.unlink(missing_ok=True)
        from topo.graphio import write_graph_json as write_with_json

        write_with_json(G, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


#: Dicts written with one ``orjson.dumps`` call (one call per dict costs about 4x more on
#: a large graph: each call allocates and shrinks its own output buffer).
DICTS_PER_CALL = 4096


def _write_value(out: BinaryIO, value: Any, dumps: Callable[[Any], bytes], depth: int) -> None:
    """``value`` as JSON; a list of more than :data:`DICTS_PER_CALL` items is written one
    item per line, and a dict holding one member per line, so that no large part of the
    graph (the inference's 100,000 trace verdicts) is ever one ``bytes`` object."""
    if isinstance(value, list) and len(value) > DICTS_PER_CALL:
        _write_dicts(out, value, dumps, depth)
    elif isinstance(value, dict) and any(
        isinstance(member, (list, dict)) and len(member) > DICTS_PER_CALL
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


def _write_dicts(
    out: BinaryIO,
    items: Iterable[dict[str, Any]],
    dumps: Callable[[Any], bytes],
    depth: int = 2,
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
    iterator = iter(items)
    indent = b"\n" + b" " * depth
    between = b"," + indent
    out.write(b"[")
    first = True
    while batch := list(islice(iterator, DICTS_PER_CALL)):
        text = dumps(batch)
        if text.count(b"},{") == len(batch) - 1:
            lines = text[1:-1].replace(b"},{", b"}" + between + b"{")
        else:
            lines = between.join(dumps(item) for item in batch)
        out.write((indent if first else between) + lines)
        first = False
    out.write(b"]" if first else b"\n" + b" " * (depth - 1) + b"]")


def _write_items(
    out: BinaryIO, items: Iterable[bytes], open_: bytes, close: bytes, depth: int
) -> None:
    """``[`` or ``{``, one item per line, ``]`` or ``}`` (written a few thousand items at
    a time: one write call per item costs more than the items)."""
    indent = b"\n" + b" " * depth
    between = b"," + indent
    out.write(open_)
    first = True
    batch: list[bytes] = []
    for item in items:
        batch.append(item)
        if len(batch) == 4096:
            out.write((indent if first else between) + between.join(batch))
            first = False
            batch = []
    if batch:
        out.write((indent if first else between) + between.join(batch))
        first = False
    out.write((b"\n" + b" " * (depth - 1) if not first else b"") + close)
