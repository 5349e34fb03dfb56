"""The whole ``topo build`` pipeline in one pass: traces in, graph and inference out.

:func:`aggregate` reads a stream of traces once, in batches: each trace becomes its
:class:`~topo.topology.digest.TraceDigest` (a streaming parser gives digests straight away), the
new addresses of a batch are resolved together (each address once, however many traces
share it), then every trace becomes one :class:`~topo.topology.views.TraceView` that both the
graph and the inference use, and is dropped. Memory grows with the graph (distinct nodes,
edges, one path and one verdict per trace), not with the replies read.

What :func:`aggregate` returns is a :class:`Partial`: partials of consecutive parts of the
input merge (:meth:`Partial.merge`) into the partial of the whole, which is how worker
processes and Dask share the work (:mod:`topo.parallel`); :func:`finish` turns it into the
:class:`Topology`. :func:`build_topology` is both in one call.

The result is the same graph as :func:`topo.topology.graph.build_graph` followed by
:func:`topo.topology.infer.infer_interconnects` over the same traces, which are thin wrappers
over the same steps.

>>> from topo.inputs import read_traces
>>> from topo.inputs.manifest import manifests_for
>>> topology = build_topology(read_traces(["samples/aws-osaka-tokyo"]),
...                           manifests=manifests_for(["samples/aws-osaka-tokyo"]))
>>> topology.inference.verdict, topology.graph.number_of_nodes(), topology.errors
('on-provider', 24, [])
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import networkx as nx

from topo.classify.addresses import is_address
from topo.errors import ParseError
from topo.inputs.manifest import Manifest, manifest_for_source
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.packed import PackedDict, PackedList
from topo.topology.digest import TraceDigest, digest_trace
from topo.topology.graph import GraphBuilder
from topo.topology.infer import Inference, TraceVerdict, annotate_graph, summarize, trace_verdict
from topo.topology.regions import load_regions
from topo.topology.views import view_digest

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
    verdicts: PackedList[TraceVerdict] = field(default_factory=PackedList)
    answers: dict[str, OwnerAnswer] = field(default_factory=dict)
    errors: list[ParseError] = field(default_factory=list)
    traces: int = 0

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["answers"] = _pack_answers(self.answers)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["answers"] = _unpack_answers(state["answers"])
        self.__dict__.update(state)

    def pack(self) -> None:
        """Pack the per-trace results still kept as objects (verdicts, trace paths): what
        a worker does with a large part before sending it (:meth:`PackedList.pack`)."""
        self.verdicts.pack()
        paths = self.builder.graph_attrs.get("trace_paths")
        if isinstance(paths, PackedDict):
            paths.pack()

    def merge(self, other: Partial) -> Partial:
        """Add the partial of the part of the input that follows this one; returns self."""
        self.builder.merge(other.builder)
        self.verdicts.extend(other.verdicts)
        for addr, answer in other.answers.items():
            self.answers.setdefault(addr, answer)
        self.errors.extend(other.errors)
        self.traces += other.traces
        return self


#: Owner answers as a worker sends them: addresses, the index of each one's
#: (classification, owner, error) in a list of the distinct ones; or the dict itself.
_PackedAnswers = tuple[list[str], "array[int]", list[tuple[Any, ...]]] | dict[str, OwnerAnswer]


def _pack_answers(answers: dict[str, OwnerAnswer]) -> _PackedAnswers:
    """What a worker's answers cost to pickle and unpickle, about halved: many addresses
    share one classification and owner, which then travel once."""
    kinds: dict[tuple[int, int, str | None], int] = {}
    distinct: list[tuple[Any, ...]] = []
    index = array("I")
    for addr, answer in answers.items():
        if answer.addr != addr:  # not a resolver's dict: as it is
            return answers
        kind = (id(answer.classification), id(answer.owner), answer.error)
        number = kinds.get(kind)
        if number is None:
            number = kinds[kind] = len(distinct)
            distinct.append((answer.classification, answer.owner, answer.error))
        index.append(number)
    return list(answers), index, distinct


def _unpack_answers(packed: _PackedAnswers) -> dict[str, OwnerAnswer]:
    if isinstance(packed, dict):
        return packed
    addrs, index, distinct = packed
    pairs = zip(addrs, index, strict=True)
    return {addr: OwnerAnswer(addr, *distinct[number]) for addr, number in pairs}


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
    into: Partial | None = None,
) -> Partial:
    """The :class:`Partial` of a stream of traces (or their digests), read once.

    ``items`` may hold :class:`ParseError` items (what :func:`topo.inputs.read_traces`
    yields): each goes to ``on_error`` (else into ``Partial.errors``). ``owners`` is a
    resolver (offline and uncached by default) or answers already resolved. ``into``: a
    partial of the input just before ``items`` to go on with (returned).
    """
    partial = Partial() if into is None else into
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
    count = partial.traces  # the traces before: an index for the next one

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
