"""A trace as the graph and the inference see it: one step per probed TTL, with owners.

A step holds the distinct addresses that answered at one TTL (several: load balancing), or
none (a ``*``). A ``*`` at a TTL that also answered is a lost probe, not a step of its own;
trailing ``*`` steps after the last answer are dropped and the trace marked unreached.
Each address carries its classification and owner, and each step its *run kind*:

``provider``     public, owned by the trace's provider
``reserved``     special-purpose addresses only (CGNAT, Class E, RFC 1918, ...)
``foreign``      public, owned by someone else
``unresolved``   public, owner unknown
``unknown``      nobody answered (``*``)

>>> from topo.model import Hop, Reply, Trace
>>> trace = Trace(dst="52.95.31.166", hops=(
...     Hop(1, (Reply("13.208.0.67", 0.4),)), Hop(2, (Reply("100.65.1.9", 2.0),)),
...     Hop(3, (Reply(None),)), Hop(4, (Reply("52.95.31.166", 8.0),))))
>>> view = view_trace(trace, answers_for([trace]))
>>> view.provider, [s.kind for s in view.steps]
('Amazon', ['provider', 'reserved', 'unknown', 'provider'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from topo.classify.addresses import is_address
from topo.inputs.manifest import Manifest
from topo.model import Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig
from topo.owners.families import load_families
from topo.topology.digest import AddrDigest, TraceDigest, digest_trace, merged_hints

RUN_KINDS = ("provider", "reserved", "foreign", "unresolved", "unknown")


class Step(NamedTuple):
    """One probed TTL of a trace: its answers (owners), run kind and RTTs.

    ``stats`` holds, aligned with ``answers``, each address's
    :data:`~topo.topology.digest.AddrDigest` (RTT least/sum/count, names, MPLS stacks).
    """

    ttl: int
    answers: tuple[OwnerAnswer, ...]
    kind: str
    rtt_min: float | None
    stats: tuple[AddrDigest, ...]

    @property
    def addrs(self) -> tuple[str, ...]:
        return tuple([a.addr for a in self.answers])

    @property
    def region(self) -> str | None:
        """The published region of the step's public addresses (the first one known)."""
        return next((a.owner.region for a in self.answers if a.owner and a.owner.region), None)


@dataclass(frozen=True, slots=True)
class TraceView:
    """A trace's steps, provider and ends, ready for graph building and inference."""

    digest: TraceDigest
    provider: str | None
    steps: tuple[Step, ...]
    dst_answer: OwnerAnswer | None
    src_answer: OwnerAnswer | None
    manifest: Manifest | None

    @property
    def trace_id(self) -> str:
        return self.digest.trace_id

    @property
    def reached(self) -> bool:
        return self.digest.reached


def trace_addresses(trace: Trace) -> dict[str, None]:
    """Every address of a trace, hops first (in path order), then its source and destination.

    >>> from topo.model import Hop, Reply
    >>> list(trace_addresses(Trace(dst="192.0.2.9", src="10.0.0.5",
    ...     hops=(Hop(1, (Reply("10.0.0.1"), Reply(None), Reply("10.0.0.1"))),))))
    ['10.0.0.1', '10.0.0.5', '192.0.2.9']
    """
    addrs: dict[str, None] = {}
    for hop in trace.hops:
        for reply in hop.replies:
            if reply.addr is not None:
                addrs[reply.addr] = None
    for end in (trace.src, trace.dst):
        if end and end not in addrs and is_address(end):
            addrs[end] = None
    return addrs


def answers_for(
    traces: Iterable[Trace], resolver: OwnerResolver | None = None
) -> dict[str, OwnerAnswer]:
    """Resolve every address of ``traces`` (hops and ends) in one call."""
    addrs: dict[str, None] = {}
    trace_list = list(traces)
    for trace in trace_list:
        addrs.update(trace_addresses(trace))
    hints = merged_hints(digest_trace(t) for t in trace_list)
    own = resolver is None
    active = resolver or OwnerResolver(ResolverConfig(use_cache=False))
    try:
        return {a.addr: a for a in active.resolve(addrs, hints)}
    finally:
        if own:
            active.close()


def _step_kind(answers: Sequence[OwnerAnswer], provider: str | None) -> str:
    """The run kind of a step (see the module docstring): ``foreign`` when a public address
    has another owner, else ``unresolved`` when one has none (or no provider is known),
    ``provider`` when every public address is the provider's, ``reserved`` when all the
    addresses are special, ``unknown`` when nobody answered."""
    if not answers:
        return "unknown"
    kind = "reserved"
    for answer in answers:
        if answer.classification.special:
            continue
        family = answer.owner.family if answer.owner is not None else None
        if family is not None and family != provider:
            return "foreign"
        if family is None or provider is None:
            kind = "unresolved"
        elif kind == "reserved":
            kind = "provider"
    return kind


def first_owned_hop(
    digest: TraceDigest, answers: Mapping[str, OwnerAnswer]
) -> tuple[int, OwnerAnswer] | None:
    """The first public hop of a trace whose owner family is known, with its TTL."""
    for ttl, _, items in digest.steps:
        for item in items:
            answer = answers.get(item[0])
            owner = answer.owner if answer is not None else None
            if answer is not None and owner and owner.family and not answer.classification.special:
                return ttl, answer
    return None


def _provider(
    digest: TraceDigest, answers: Mapping[str, OwnerAnswer], manifest: Manifest | None
) -> str | None:
    """The network a trace starts in: the manifest's provider, else the owner of the
    trace's own source address, else the owner of its first owned public hop when that
    owner runs a cloud (``cloud = true`` in the family table). A first owner that runs no
    cloud is not taken for the provider: a cloud that hides its own hops shows a transit
    carrier first, and clouds number internal routers from space others hold (AS749)."""
    if manifest is not None and manifest.provider_family:
        return manifest.provider_family
    src = answers.get(digest.src) if digest.src else None
    if src is not None and src.owner and src.owner.family and not src.classification.special:
        return src.owner.family
    first = first_owned_hop(digest, answers)
    if first is None:
        return None
    family = first[1].owner.family if first[1].owner else None
    return family if load_families().is_cloud(family) else None


def view_trace(
    trace: Trace,
    answers: Mapping[str, OwnerAnswer],
    *,
    manifest: Manifest | None = None,
    index: int = 0,
) -> TraceView:
    """The :class:`TraceView` of one trace (``answers`` from :func:`answers_for`)."""
    return view_digest(digest_trace(trace, index), answers, manifest=manifest)


def view_digest(
    digest: TraceDigest, answers: Mapping[str, OwnerAnswer], *, manifest: Manifest | None = None
) -> TraceView:
    """The :class:`TraceView` of one trace's digest."""
    provider = _provider(digest, answers, manifest)
    steps = []
    for ttl, rtt_min, items in digest.steps:
        stats = tuple([item for item in items if item[0] in answers])
        found = tuple([answers[item[0]] for item in stats])
        steps.append(Step(ttl, found, _step_kind(found, provider), rtt_min, stats))
    dst, src = digest.dst, digest.src
    return TraceView(
        digest=digest,
        provider=provider,
        steps=tuple(steps),
        dst_answer=answers.get(dst) if dst else None,
        src_answer=answers.get(src) if src else None,
        manifest=manifest,
    )
