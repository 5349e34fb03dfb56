"""Traces in, graph and inference out, in one pass: the core every engine runs.

:func:`aggregate` reads a stream of traces once, in batches: the new addresses of a batch
are resolved together (each address once, however many traces share it), then every trace
becomes one :class:`~topo.topology.views.TraceView` that both the graph and the inference
use, and is dropped. Memory grows with the graph (distinct nodes and edges, one path and
one verdict per trace), not with the replies read.

What :func:`aggregate` returns is a :class:`Partial`: the partials of consecutive parts
of the input merge (:meth:`Partial.merge`) into the partial of the whole, which is how an
engine shares the work between processes; :func:`finish` turns it into the
:class:`~topo.topology.result.Topology`. The result is the same graph as
:func:`topo.topology.graph.build_graph` followed by
:func:`topo.topology.infer.infer_interconnects` over the same traces, which are thin
wrappers over the same steps.

>>> from topo.inputs import manifests_for, read_traces
>>> paths = ["samples/aws-osaka-tokyo"]
>>> topology = finish(aggregate(read_traces(paths), manifests=manifests_for(paths)))
>>> topology.verdict, topology.graph.number_of_nodes(), topology.errors
('on-provider', 24, [])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

from topo.classify import is_address
from topo.errors import ParseError
from topo.inputs.manifest import Manifest, manifest_for_source
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.owners.model import AddressHints
from topo.topology.digest import TraceDigest, digest_trace, merged_hints
from topo.topology.graph import GraphBuilder
from topo.topology.infer import TraceVerdict, annotate_graph, summarize, trace_verdict
from topo.topology.regions import load_regions
from topo.topology.result import Topology
from topo.topology.views import view_digest

#: Traces whose new addresses are resolved in one call (online lookups run concurrently
#: within a batch).
BATCH = 5000


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


def _new_addresses(batch: list[TraceDigest], answers: Mapping[str, OwnerAnswer]) -> list[str]:
    """The addresses of a batch (hops, then each trace's ends) not answered yet."""
    new: dict[str, None] = {}
    for digest in batch:
        new.update(digest.addresses)
        for end in (digest.src, digest.dst):
            if end and end not in new and is_address(end):
                new[end] = None
    return [addr for addr in new if addr not in answers]


def _hints(batch: list[TraceDigest], wanted: list[str]) -> dict[str, AddressHints]:
    """What the batch's traces printed about the ``wanted`` addresses (names, AS numbers)."""
    todo = set(wanted)
    return {a: hint for a, hint in merged_hints(batch).items() if a in todo}


def aggregate(
    items: Iterable[Trace | ParseError],
    owners: OwnerResolver | Mapping[str, OwnerAnswer] | None = None,
    *,
    manifests: Mapping[str, Manifest | None] | None = None,
    on_error: Callable[[ParseError], None] | None = None,
    batch: int = BATCH,
    into: Partial | None = None,
    profiles: bool = True,
) -> Partial:
    """The :class:`Partial` of a stream of traces, read once.

    ``items`` may hold :class:`ParseError` items (what :func:`topo.inputs.read_traces`
    yields): each goes to ``on_error`` (else into ``Partial.errors``). ``owners`` is a
    resolver (offline and uncached by default) or answers already resolved. ``into``: a
    partial of the input just before ``items`` to go on with (returned). ``profiles``:
    keep each trace's step profile (:attr:`TraceVerdict.steps`, about 1.8 KB a trace).
    """
    partial = Partial() if into is None else into
    report = on_error or partial.errors.append
    resolver = owners if isinstance(owners, OwnerResolver) else None
    answers = partial.answers
    if isinstance(owners, Mapping):
        answers.update(owners)
    regions = load_regions()
    by_source: dict[str | None, Manifest | None] = {}

    def digests() -> Iterator[TraceDigest]:
        for item in items:
            if isinstance(item, ParseError):
                report(item)
            else:
                partial.traces += 1
                yield digest_trace(item, partial.traces - 1)

    with ExitStack() as stack:
        if owners is None:  # offline and uncached, closed when done
            resolver = stack.enter_context(OwnerResolver(ResolverConfig(use_cache=False)))
        for digest_batch in _batches(digests(), batch):
            if resolver is not None:
                pending = _new_addresses(digest_batch, answers)
                if pending:
                    hints = _hints(digest_batch, pending)
                    answers.update((a.addr, a) for a in resolver.resolve(pending, hints))
            for digest in digest_batch:
                if digest.source not in by_source:
                    by_source[digest.source] = manifest_for_source(digest.source, manifests or {})
                view = view_digest(digest, answers, manifest=by_source[digest.source])
                partial.builder.add_view(view)
                partial.verdicts.append(trace_verdict(view, regions, profile=profiles))
    return partial


def finish(
    partial: Partial,
    *,
    name: str | None = None,
    online: bool = False,
    data_dates: dict[str, datetime | None] | None = None,
    profiles: bool = True,
) -> Topology:
    """The :class:`~topo.topology.result.Topology` of the whole input's :class:`Partial`
    (whose builder it uses up), with the set's ``name`` and what its owners came from."""
    G = partial.builder.graph()
    inference = summarize(partial.verdicts)
    annotate_graph(G, inference)
    return Topology(
        G, inference, partial.answers, partial.errors, partial.traces,
        name=name, online=online, data_dates=dict(data_dates or {}), profiles=profiles,
    )  # fmt: skip
