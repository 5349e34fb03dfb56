"""A trace reduced to what the graph and the inference read: the one form every input reaches.

A :class:`TraceDigest` keeps, per probed TTL, the distinct answering addresses with their
RTT statistics, names and MPLS stacks, and drops the rest (one object per reply, flags,
ICMP details, ``meta``): :func:`digest_trace` makes it from a parsed
:class:`~topo.model.Trace`, and :mod:`topo.topology.views` gives it owners.

The rules (the graph's and the inference's): hops are taken in TTL order; trailing hops
nobody answered are dropped (the trace is then unreached unless it says otherwise); a reply
known only by name answers its hop without an address; RTT sums are kept in integer
nanoseconds, so a sum is the same whatever order the traces are merged in.

>>> from topo.model import Hop, Origin, Reply, Trace
>>> trace = Trace(dst="192.0.2.9", origin=Origin("a.txt", 1), hops=(
...     Hop(1, (Reply("10.0.0.1", 0.5), Reply("10.0.0.1", 0.25))),
...     Hop(2, (Reply(None),)), Hop(3, (Reply("192.0.2.9", 4.0),)), Hop(4, (Reply(None),))))
>>> digest = digest_trace(trace)
>>> digest.trace_id, digest.reached, [ttl for ttl, _, _ in digest.steps]
('a.txt:1', True, [1, 2, 3])
>>> digest.steps[0]
(1, 0.25, (('10.0.0.1', 0.25, 750000, 2, (), ()),))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from topo.model import Hop, Trace
from topo.owners.model import AddressHints

#: Nanoseconds per millisecond: RTT sums are integers of nanoseconds.
NS_PER_MS = 1_000_000


#: One address answering one TTL: ``(addr, rtt_min, rtt_ns, rtt_count, names, mpls)`` (its
#: least RTT in ms or ``None``, the sum of its RTTs in integer ns and how many, its names and
#: MPLS stacks as ``"L1/L2"``). Plain tuples: a large input makes millions of them.
AddrDigest = tuple[str, float | None, int, int, tuple[str, ...], tuple[str, ...]]
#: One probed TTL: ``(ttl, rtt_min, addrs)``: the least RTT of any reply, and the answering
#: addresses in the order they first answered (empty: nobody answered).
StepDigest = tuple[int, float | None, tuple[AddrDigest, ...]]


class TraceDigest(NamedTuple):
    """What the graph and the inference need of one trace.

    ``source`` is the input file the trace came from (manifests and vantage labels are
    found from it); ``trace_id`` is its ``path:line`` (or ``trace-<n>`` without an origin).
    """

    trace_id: str
    source: str | None
    src: str | None
    dst: str | None
    reached: bool
    steps: tuple[StepDigest, ...]
    #: The format the trace was read from (``linux-traceroute``, ``ripe-atlas``, ...).
    format: str | None = None
    #: The AS numbers the tool printed for an address (``traceroute -A``, mtr ``-z``):
    #: ``(addr, asns)`` pairs, only for addresses it printed some for.
    printed_asns: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def hints(self) -> dict[str, AddressHints]:
        """What the trace printed about its addresses (names, AS numbers), for the owner
        resolver; addresses it printed nothing about are left out."""
        names: dict[str, dict[str, None]] = {}
        for _, _, items in self.steps:
            for item in items:
                if item[4]:
                    names.setdefault(item[0], {}).update(dict.fromkeys(item[4]))
        asns = dict(self.printed_asns)
        return {
            addr: AddressHints(tuple(names.get(addr, ())), asns.get(addr, ()))
            for addr in dict.fromkeys([*names, *asns])
        }

    @property
    def addresses(self) -> dict[str, None]:
        """Every address of the trace, hops first (in path order)."""
        addrs: dict[str, None] = {}
        for _, _, items in self.steps:
            for item in items:
                addrs[item[0]] = None
        return addrs


def ns(rtt_ms: float) -> int:
    """A round-trip time in integer nanoseconds (what RTT sums add up).

    >>> ns(2.882), ns(0.0001)
    (2882000, 100)
    """
    return round(rtt_ms * NS_PER_MS)


def _mpls_text(labels: tuple[object, ...]) -> str:
    return "/".join([str(getattr(m, "label", m)) for m in labels])


def _step(hop: Hop) -> StepDigest:
    order: dict[str, list[float]] = {}
    names: dict[str, dict[str, None]] = {}
    stacks: dict[str, dict[str, None]] = {}
    least: float | None = None
    for reply in hop.replies:
        addr = reply.addr
        if addr is None:
            continue
        rtts = order.get(addr)
        if rtts is None:
            rtts = order[addr] = []
        rtt = reply.rtt_ms
        if rtt is not None:
            rtts.append(rtt)
            if least is None or rtt < least:
                least = rtt
        if reply.name:
            names.setdefault(addr, {})[reply.name] = None
        if reply.mpls:
            stacks.setdefault(addr, {})[_mpls_text(reply.mpls)] = None
    best = hop.stats.best if hop.stats is not None else None
    addrs: list[AddrDigest] = []
    for addr, rtts in order.items():
        if not rtts and best is not None:
            rtts = [best]  # summaries (mtr report) keep only statistics
            if least is None or best < least:
                least = best
        addrs.append(
            (
                addr,
                min(rtts) if rtts else None,
                sum([ns(r) for r in rtts]),
                len(rtts),
                tuple(names.get(addr, ())),
                tuple(stacks.get(addr, ())),
            )
        )
    return (hop.ttl, least, tuple(addrs))


def trace_id(trace: Trace, index: int) -> str:
    """A stable name for a trace: its origin (``path:line``), else its position."""
    return str(trace.origin) if trace.origin is not None else f"trace-{index + 1}"


def digest_trace(trace: Trace, index: int = 0) -> TraceDigest:
    """The :class:`TraceDigest` of a parsed trace (``index``: its position, for its id)."""
    hops = trace.hops
    if any(hops[i].ttl > hops[i + 1].ttl for i in range(len(hops) - 1)):
        hops = tuple(sorted(hops, key=lambda h: h.ttl))
    last = len(hops) - 1
    while last >= 0 and hops[last].is_silent:
        last -= 1
    steps = tuple([_step(hop) for hop in hops[: last + 1]])
    printed: dict[str, dict[int, None]] = {}
    for hop in hops[: last + 1]:
        for reply in hop.replies:
            if reply.asn and reply.addr is not None:
                printed.setdefault(reply.addr, {}).update(dict.fromkeys(reply.asn))
    dst = trace.dst
    reached = trace.reached is True or (
        dst is not None and any(a[0] == dst for _, _, items in steps for a in items)
    )
    return TraceDigest(
        trace_id(trace, index),
        trace.origin.path if trace.origin is not None else None,
        trace.src,
        dst,
        reached,
        steps,
        trace.format,
        tuple([(addr, tuple(asns)) for addr, asns in printed.items()]),
    )


def merged_hints(digests: Iterable[TraceDigest]) -> dict[str, AddressHints]:
    """What several traces printed about their addresses, merged (names and AS numbers in
    the order first seen): what the owner resolver takes as ``hints``."""
    names: dict[str, dict[str, None]] = {}
    asns: dict[str, dict[int, None]] = {}
    for digest in digests:
        for addr, hint in digest.hints().items():
            names.setdefault(addr, {}).update(dict.fromkeys(hint.names))
            asns.setdefault(addr, {}).update(dict.fromkeys(hint.asns))
    return {a: AddressHints(tuple(names[a]), tuple(asns[a])) for a in names}
