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

from topo.addresses import is_address
from topo.manifest import Manifest
from topo.model import Hop, Reply, Trace
from topo.owners import OwnerAnswer, OwnerResolver, ResolverConfig

RUN_KINDS = ("provider", "reserved", "foreign", "unresolved", "unknown")


@dataclass(frozen=True)
class Step:
    """One probed TTL of a trace."""

    ttl: int
    answers: tuple[OwnerAnswer, ...]
    kind: str
    rtt_min: float | None
    rtts: Mapping[str, tuple[float, ...]]
    names: Mapping[str, tuple[str, ...]]
    mpls: Mapping[str, tuple[str, ...]]

    @property
    def addrs(self) -> tuple[str, ...]:
        return tuple(a.addr for a in self.answers)

    @property
    def region(self) -> str | None:
        """The published region of the step's public addresses (the first one known)."""
        return next((a.owner.region for a in self.answers if a.owner and a.owner.region), None)


@dataclass(frozen=True)
class TraceView:
    """A trace's steps, provider and ends, ready for graph building and inference."""

    trace: Trace
    trace_id: str
    provider: str | None
    steps: tuple[Step, ...]
    dst_answer: OwnerAnswer | None
    src_answer: OwnerAnswer | None
    manifest: Manifest | None

    @property
    def reached(self) -> bool:
        return self.trace.reached is True or self.trace.destination_responded


def trace_id(trace: Trace, index: int) -> str:
    """A stable name for a trace: its origin (``path:line``), else its position."""
    return str(trace.origin) if trace.origin is not None else f"trace-{index + 1}"


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
    for trace in traces:
        addrs.update(trace_addresses(trace))
    own = resolver is None
    active = resolver or OwnerResolver(ResolverConfig(use_cache=False))
    try:
        return {a.addr: a for a in active.resolve(addrs)}
    finally:
        if own:
            active.close()


def _step_kind(answers: Sequence[OwnerAnswer], provider: str | None) -> str:
    if not answers:
        return "unknown"
    public = [a for a in answers if not a.classification.special]
    if not public:
        return "reserved"
    families = [a.owner.family if a.owner else None for a in public]
    if any(f is not None and f != provider for f in families):
        return "foreign"
    if any(f is None for f in families) or provider is None:
        return "unresolved"
    return "provider"


def _provider(
    trace: Trace, answers: Mapping[str, OwnerAnswer], manifest: Manifest | None
) -> str | None:
    if manifest is not None and manifest.provider_family:
        return manifest.provider_family
    for hop in trace.hops:
        for reply in hop.replies:
            answer = answers.get(reply.addr) if reply.addr is not None else None
            if answer and not answer.classification.special and answer.owner:
                family = answer.owner.family
                if family:
                    return family
    return None


_Digest = tuple[
    dict[str, tuple[float, ...]],
    dict[str, tuple[str, ...]],
    dict[str, tuple[str, ...]],
    list[float],
]


def _hop_digest(hop: Hop) -> _Digest:
    """Per answering address of one hop: its RTTs, names and MPLS stacks; and every RTT.

    One pass over the replies (this runs for every hop of every trace).
    """
    groups: dict[str, list[Reply]] = {}
    for reply in hop.replies:
        addr = reply.addr
        if addr is not None:
            group = groups.get(addr)
            if group is None:
                groups[addr] = [reply]
            else:
                group.append(reply)
    rtts: dict[str, tuple[float, ...]] = {}
    names: dict[str, tuple[str, ...]] = {}
    mpls: dict[str, tuple[str, ...]] = {}
    every: list[float] = []
    best = hop.stats.best if hop.stats is not None else None
    for addr, replies in groups.items():
        values = tuple([r.rtt_ms for r in replies if r.rtt_ms is not None])
        if not values and best is not None:
            values = (best,)  # summaries (mtr report) keep only statistics
        rtts[addr] = values
        every.extend(values)
        names[addr] = tuple(dict.fromkeys([r.name for r in replies if r.name]))
        mpls[addr] = (
            tuple(
                dict.fromkeys(["/".join([str(m.label) for m in r.mpls]) for r in replies if r.mpls])
            )
            if any(r.mpls for r in replies)
            else ()
        )
    return rtts, names, mpls, every


def view_trace(
    trace: Trace,
    answers: Mapping[str, OwnerAnswer],
    *,
    manifest: Manifest | None = None,
    index: int = 0,
) -> TraceView:
    """The :class:`TraceView` of one trace (``answers`` from :func:`answers_for`)."""
    provider = _provider(trace, answers, manifest)
    hops = trace.hops
    if any(hops[i].ttl > hops[i + 1].ttl for i in range(len(hops) - 1)):
        hops = tuple(sorted(hops, key=lambda h: h.ttl))
    last_answer = -1
    for i in range(len(hops) - 1, -1, -1):
        if not hops[i].is_silent:
            last_answer = i
            break
    steps = []
    for hop in hops[: last_answer + 1]:
        rtts, names, mpls, every = _hop_digest(hop)
        found = tuple([answers[a] for a in rtts if a in answers])
        steps.append(
            Step(
                ttl=hop.ttl,
                answers=found,
                kind=_step_kind(found, provider),
                rtt_min=min(every) if every else None,
                rtts=rtts,
                names=names,
                mpls=mpls,
            )
        )
    return TraceView(
        trace=trace,
        trace_id=trace_id(trace, index),
        provider=provider,
        steps=tuple(steps),
        dst_answer=answers.get(trace.dst) if trace.dst else None,
        src_answer=answers.get(trace.src) if trace.src else None,
        manifest=manifest,
    )
