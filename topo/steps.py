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
from topo.model import Trace
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


def answers_for(
    traces: Iterable[Trace], resolver: OwnerResolver | None = None
) -> dict[str, OwnerAnswer]:
    """Resolve every address of ``traces`` (hops and ends) in one call."""
    addrs: dict[str, None] = {}
    for trace in traces:
        addrs.update(dict.fromkeys(trace.addresses))
        for end in (trace.src, trace.dst):
            if end and is_address(end):
                addrs[end] = None
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
    for addr in trace.addresses:
        answer = answers.get(addr)
        if answer and not answer.classification.special and answer.owner and answer.owner.family:
            return answer.owner.family
    return None


def view_trace(
    trace: Trace,
    answers: Mapping[str, OwnerAnswer],
    *,
    manifest: Manifest | None = None,
    index: int = 0,
) -> TraceView:
    """The :class:`TraceView` of one trace (``answers`` from :func:`answers_for`)."""
    provider = _provider(trace, answers, manifest)
    hops = sorted(trace.hops, key=lambda h: h.ttl)
    last_answer = max((i for i, h in enumerate(hops) if not h.is_silent), default=-1)
    steps = []
    for hop in hops[: last_answer + 1]:
        found = tuple(answers[a] for a in hop.addresses if a in answers)
        rtts: dict[str, tuple[float, ...]] = {}
        names: dict[str, tuple[str, ...]] = {}
        mpls: dict[str, tuple[str, ...]] = {}
        for addr in hop.addresses:
            replies = [r for r in hop.replies if r.addr == addr]
            values = tuple(r.rtt_ms for r in replies if r.rtt_ms is not None)
            if not values and hop.stats is not None and hop.stats.best is not None:
                values = (hop.stats.best,)  # summaries (mtr report) keep only statistics
            rtts[addr] = values
            names[addr] = tuple(dict.fromkeys(r.name for r in replies if r.name))
            mpls[addr] = tuple(
                dict.fromkeys("/".join(str(m.label) for m in r.mpls) for r in replies if r.mpls)
            )
        every = [value for values in rtts.values() for value in values]
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
