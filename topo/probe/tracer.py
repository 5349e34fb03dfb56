"""Trace one destination (or several) and return :class:`~topo.model.Trace` objects.

Two ways to choose flows: a fixed number (``flows=N``: N Paris flows probed at every TTL,
``rounds`` times each) or ``flows=None``, the Multipath Detection Algorithm
(:mod:`topo.probe.mda`), which probes each hop until every load-balanced branch is found
with the chosen confidence. Every reply records the flow that drew it (``flow_id``), its
RTT, reply TTL, ICMP type and code, the quoted TTL and any MPLS label stack.

A trace stops once the destination answered (each flow at the first TTL it did), after
``gap_limit`` silent TTLs in a row, or at ``max_ttl``.

Example (root needed; run inside the network namespace to probe from)::

    from topo.probe import TraceOptions, trace
    t = trace("198.51.100.7", TraceOptions(flows=8, rate=200))
    print([hop.addresses for hop in t.hops], t.meta["probes"])
"""

from __future__ import annotations

import ipaddress
import random
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from topo import __version__
from topo.errors import TopoError, UsageError
from topo.model import Hop, Reply, Trace
from topo.probe.mda import MdaResult, discover
from topo.probe.packets import PROTOCOLS, ProbeHeader
from topo.probe.prober import Channel, Prober
from topo.probe.sockets import NoRouteError, RawChannel, check_privilege, source_address

__all__ = [
    "FORMAT",
    "UNREACHABLE",
    "Progress",
    "TraceOptions",
    "describe_end",
    "resolve_target",
    "trace",
    "trace_many",
]

#: ``Trace.format`` of what ``topo trace`` recorded.
FORMAT = "topo-trace"
_DEFAULT_PORTS = {"udp": 33434, "tcp": 80, "icmp": 0}


@dataclass(frozen=True, slots=True)
class TraceOptions:
    """How to probe. ``flows=None`` means MDA (``--flows auto``).

    >>> TraceOptions(proto="tcp").dport, TraceOptions(flows=None).mda
    (80, True)
    """

    proto: str = "udp"
    port: int | None = None
    flows: int | None = 1
    rounds: int = 1
    first_ttl: int = 1
    max_ttl: int = 30
    timeout: float = 2.0
    rate: float = 50.0
    ipv6: bool = False
    confidence: float = 0.95
    gap_limit: int = 5
    max_flows: int = 512
    base: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.proto not in PROTOCOLS:
            problems.append(f"--proto must be one of {', '.join(PROTOCOLS)}")
        if self.port is not None and not 1 <= self.port <= 65535:
            problems.append("--port must be 1..65535")
        if self.flows is not None and not 1 <= self.flows <= 4096:
            problems.append("--flows must be 1..4096 or auto")
        if self.rounds < 1:
            problems.append("--rounds must be at least 1")
        if not 1 <= self.first_ttl <= self.max_ttl <= 255:
            problems.append("need 1 <= --first-ttl <= --max-ttl <= 255")
        if self.timeout <= 0 or self.rate <= 0:
            problems.append("--timeout and --rate must be positive")
        if not 0 < self.confidence < 1 or self.gap_limit < 1 or self.max_flows < 1:
            problems.append("confidence must be in (0, 1), gap limit and max flows >= 1")
        if problems:
            raise UsageError("; ".join(problems))

    @property
    def mda(self) -> bool:
        """True when the Multipath Detection Algorithm picks the flows."""
        return self.flows is None

    @property
    def dport(self) -> int:
        """The UDP/TCP destination port (33434 for UDP, 80 for TCP unless ``port``)."""
        return self.port if self.port is not None else _DEFAULT_PORTS[self.proto]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a trace stands, for a progress display."""

    target: str
    ttl: int
    max_ttl: int
    probes: int
    answered: int
    done: bool = False
    reached: bool = False
    seconds: float = 0.0
    outcome: str = ""  # when done: how the trace ended (:func:`describe_end`)


def resolve_target(target: str, *, ipv6: bool = False) -> tuple[str, str | None]:
    """(address, name) of a target given as an address or a host name.

    >>> resolve_target("192.0.2.9"), resolve_target("2001:db8::9")
    (('192.0.2.9', None), ('2001:db8::9', None))
    """
    try:
        addr = ipaddress.ip_address(target)
    except ValueError:
        pass
    else:
        if ipv6 and addr.version != 6:
            raise UsageError(f"{target} is not an IPv6 address (-6)")
        return str(addr), None
    families = [socket.AF_INET6] if ipv6 else [socket.AF_INET, socket.AF_INET6]
    for family in families:
        try:
            infos = socket.getaddrinfo(target, None, family, socket.SOCK_DGRAM)
        except (socket.gaierror, UnicodeError):
            continue
        if infos:
            return str(infos[0][4][0]).split("%")[0], target
    raise TopoError("cannot resolve this name" + (" to an IPv6 address" if ipv6 else ""))


class _Recorder:
    """Keeps every reply per TTL, in the order the probes were sent."""

    def __init__(self, prober: Prober, dst: str) -> None:
        self.prober = prober
        self.dst = dst
        self.replies: dict[int, list[Reply]] = {}
        self.answered = 0

    def run(self, batch: list[tuple[int, int]]) -> list[tuple[Reply, bool]]:
        outcomes = self.prober.run(batch)
        for (ttl, _), (reply, _) in zip(batch, outcomes, strict=True):
            self.replies.setdefault(ttl, []).append(reply)
            self.answered += reply.addr is not None
        return outcomes

    def reached(self) -> bool:
        return any(r.addr == self.dst for replies in self.replies.values() for r in replies)


def _fixed_flows(
    rec: _Recorder, options: TraceOptions, report: Callable[[int, bool], None]
) -> None:
    """``options.flows`` flows at every TTL, ``rounds`` times, a window of TTLs at once."""
    flows = range(options.flows or 1)
    per_ttl = len(flows) * options.rounds
    window = max(1, min(8, 16 // per_ttl))
    ended: dict[int, int] = {}  # flow -> first TTL whose answer ended it
    gap = 0
    ttl = options.first_ttl
    while ttl <= options.max_ttl:
        ttls = range(ttl, min(ttl + window, options.max_ttl + 1))
        batch = [(t, f) for _ in range(options.rounds) for t in ttls for f in flows]
        for (t, f), (_, ends) in zip(batch, rec.run(batch), strict=True):
            if ends and t < ended.get(f, 256):
                ended[f] = t
        for t in ttls:
            silent = all(r.addr is None for r in rec.replies.get(t, ()))
            gap = gap + 1 if silent and t not in ended.values() else 0
        ttl = ttls[-1] + 1
        report(ttls[-1], False)
        if len(ended) == len(flows) or gap >= options.gap_limit:
            break
        if ended and ttl > min(ended.values()) + 2:
            break
    # each flow's replies beyond the TTL its answer ended at say nothing new
    kept: dict[int, list[Reply]] = {}
    for t, replies in rec.replies.items():
        kept[t] = [r for r in replies if r.flow_id is None or t <= ended.get(r.flow_id, 256)]
    last = max(ended.values()) if ended else max(kept, default=0)
    rec.replies = {t: replies for t, replies in kept.items() if t <= last and replies}


def _mda(rec: _Recorder, options: TraceOptions, report: Callable[[int, bool], None]) -> int:
    """MDA discovery, then ``rounds - 1`` more probes of one flow per (TTL, address)."""

    def batch(requests: Sequence[tuple[int, int]]) -> list[tuple[str | None, bool]]:
        return [(reply.addr, ends) for reply, ends in rec.run(list(requests))]

    result: MdaResult = discover(
        batch,
        first_ttl=options.first_ttl,
        max_ttl=options.max_ttl,
        confidence=options.confidence,
        max_flows=options.max_flows,
        gap_limit=options.gap_limit,
        on_hop=lambda ttl, _: report(ttl, False),
    )
    if options.rounds > 1:
        again: list[tuple[int, int]] = []
        for ttl, answers in sorted(result.answers.items()):
            firsts: dict[str, int] = {}
            for flow, addr in answers.items():
                if addr is not None:
                    firsts.setdefault(addr, flow)
            again += [(ttl, flow) for flow in firsts.values()]
        if again:
            rec.run(again * (options.rounds - 1))
    return result.flows


def trace(
    target: str,
    options: TraceOptions | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    src: str | None = None,
    channel: Callable[[int, str], Channel] = RawChannel,
) -> Trace:
    """Trace ``target`` (an address or a name) from this process' network namespace.

    ``src`` is the probes' source address (default: the one the kernel would use);
    ``channel`` opens the sockets (tests pass a stand-in). Raises
    :class:`~topo.errors.PrivilegeError` without raw-socket rights (before anything is
    sent), :class:`~topo.errors.TopoError` when the target cannot be resolved or reached.
    """
    options = options or TraceOptions()
    dst, name = resolve_target(target, ipv6=options.ipv6)
    family = ipaddress.ip_address(dst).version
    try:
        src = src or source_address(dst)
    except NoRouteError as err:
        where = "" if dst == target else f" to {dst}"
        raise TopoError(f"no route{where} from this host ({err.reason}); nothing sent") from err
    base = options.base if options.base is not None else random.randint(33435, 60000)
    header = ProbeHeader(family, options.proto, src, dst, port=options.dport, base=base)
    started = datetime.now(UTC)
    clock = time.monotonic()
    chan = channel(family, options.proto)
    try:
        prober = Prober(chan, header, rate=options.rate, timeout=options.timeout)
        rec = _Recorder(prober, dst)

        def report(ttl: int, done: bool, outcome: str = "") -> None:
            if progress is not None:
                seconds = time.monotonic() - clock
                reached = rec.reached()
                state = (prober.sent, rec.answered, done, reached, seconds, outcome)
                progress(Progress(target, ttl, options.max_ttl, *state))

        if options.mda:
            flows_used = _mda(rec, options, report)
        else:
            _fixed_flows(rec, options, report)
            flows_used = options.flows or 1
    finally:
        close = getattr(chan, "close", None)
        if close is not None:
            close()
    hops = tuple(Hop(ttl, tuple(rec.replies[ttl])) for ttl in sorted(rec.replies))
    meta = {
        "tool": f"topo {__version__}",
        "method": "mda" if options.mda else "paris",
        "probes": prober.sent,
        "flows": flows_used,
        "rounds": options.rounds,
        "first_ttl": options.first_ttl,
        "max_ttl": options.max_ttl,
        "timeout_s": options.timeout,
        "rate_pps": options.rate,
        ("icmp_id" if options.proto == "icmp" else "sport"): header.flow_field(0),
    }
    if options.proto != "icmp":
        meta["dport"] = options.dport
    if options.mda:
        meta["confidence"] = options.confidence
    result = Trace(
        dst=dst,
        hops=hops,
        src=src,
        dst_name=name,
        protocol=options.proto,
        started=started,
        reached=rec.reached(),
        format=FORMAT,
        meta=meta,
    )
    report(max(rec.replies, default=options.first_ttl), True, describe_end(result))
    return result


#: What the flag of an ICMP unreachable error from a router means (``!H``: host unreachable).
UNREACHABLE = {
    "!N": "network unreachable",
    "!H": "host unreachable",
    "!P": "protocol unreachable",
    "!F": "fragmentation needed",
    "!S": "source route failed",
    "!X": "communication administratively prohibited",
    "!V": "host precedence violation",
    "!C": "precedence cutoff",
}


def describe_end(trace: Trace) -> str:
    """How a trace ended, in a few words (``topo trace`` prints it after the target).

    >>> one, star = Hop(1, (Reply("10.0.0.1", 1.0),)), (Reply(None),)
    >>> bang = Hop(2, (Reply("10.0.0.2", 2.0, flags=("!H",)),))
    >>> describe_end(Trace(dst="192.0.2.9", hops=(one, bang)))
    'unreachable: 10.0.0.2 at TTL 2 answered host unreachable (!H)'
    >>> describe_end(Trace(dst="192.0.2.9", hops=(one, Hop(2, star), Hop(3, star))))
    'the destination never answered: the last reply came from 10.0.0.1 at TTL 1, then 2 silent TTLs'
    >>> describe_end(Trace(dst="192.0.2.9", hops=(Hop(1, star), Hop(2, star))))
    'nothing answered: TTL 1-2 all silent'
    >>> describe_end(Trace(dst="192.0.2.9", hops=(one,)))  # --max-ttl 1
    'the destination never answered: the last reply came from 10.0.0.1 at TTL 1, the last probed'
    """
    if trace.reached:
        return f"reached, {len(trace.hops)} hops"
    for hop in trace.hops:
        for reply in hop.replies:
            if reply.addr is not None and reply.flags:
                flag = reply.flags[0]
                what = UNREACHABLE.get(flag, "unreachable")
                return f"unreachable: {reply.addr} at TTL {hop.ttl} answered {what} ({flag})"
    answered = [hop for hop in trace.hops if not hop.is_silent]
    if not answered:
        ttls = f"TTL {trace.hops[0].ttl}-{trace.hops[-1].ttl}" if trace.hops else "every TTL"
        return f"nothing answered: {ttls} all silent"
    last = answered[-1]
    silent = trace.hops[-1].ttl - last.ttl
    then = f"then {silent} silent TTL{'s' if silent != 1 else ''}" if silent else "the last probed"
    where = f"the last reply came from {last.addresses[0]} at TTL {last.ttl}"
    return f"the destination never answered: {where}, {then}"


def trace_many(
    targets: Iterable[str],
    options: TraceOptions | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
) -> Iterator[Trace]:
    """:func:`trace` each target in turn, after checking raw-socket rights once."""
    check_privilege()
    for target in targets:
        yield trace(target, options, progress=progress)
