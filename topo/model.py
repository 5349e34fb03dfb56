"""The trace model: what a traceroute said, parsed once into frozen, typed objects.

A :class:`Trace` is a list of :class:`Hop` (one per probe TTL), each holding the
:class:`Reply` objects the tool printed for that TTL. Unknown is ``None``, never a
sentinel string; a ``*`` (no answer) is a reply whose ``addr`` is ``None``.

Enrichment (address category, owner, region) is *not* stored here: it lives on graph
attributes, so parsing stays pure.

Example
-------
>>> hop = Hop(ttl=1, replies=(Reply("13.208.0.67", 0.41), Reply("13.208.0.69", 0.52)))
>>> trace = Trace(dst="13.115.231.114", hops=(hop, Hop(ttl=2, replies=(Reply(None),))))
>>> trace.addresses
('13.208.0.67', '13.208.0.69')
>>> trace.hops[1].is_silent
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Flags a traceroute prints after an RTT (``!H`` host unreachable, ``!N`` network
#: unreachable, ``!P`` protocol unreachable, ``!S`` source route failed, ``!F`` fragmentation
#: needed, ``!X`` administratively prohibited, ``!V`` host precedence violation, ``!C``
#: precedence cutoff, ``!<n>`` ICMP unreachable code n). Kept as printed.
KNOWN_FLAGS = ("!H", "!N", "!P", "!S", "!F", "!X", "!V", "!C", "!A", "!Z", "!Q", "!T", "!U", "!W")


@dataclass(frozen=True, slots=True)
class MplsLabel:
    """One MPLS label stack entry (RFC 4950), as a tool decoded it.

    >>> MplsLabel(label=24001, exp=0, s=True, ttl=1)
    MplsLabel(label=24001, exp=0, s=True, ttl=1)
    """

    label: int
    exp: int | None = None
    s: bool | None = None
    ttl: int | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer (or its absence) to one probe.

    ``addr`` is ``None`` for a probe that got no answer (``*``). ``asn`` holds the AS
    numbers the *tool* printed (traceroute ``-A``): ``None`` when it printed none, ``()``
    when it printed ``[*]``. ``late`` counts replies a tool saw arrive late (RIPE Atlas).

    >>> Reply("100.65.1.9", 1.25, flags=("!H",)).is_anonymous
    False
    """

    addr: str | None
    rtt_ms: float | None = None
    name: str | None = None
    flags: tuple[str, ...] = ()
    asn: tuple[int, ...] | None = None
    mpls: tuple[MplsLabel, ...] = ()
    reply_ttl: int | None = None
    flow_id: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None
    quoted_ttl: int | None = None
    late: int | None = None

    @property
    def is_anonymous(self) -> bool:
        """True for a probe nobody answered (``*``)."""
        return self.addr is None


@dataclass(frozen=True, slots=True)
class HopStats:
    """A per-hop summary as mtr prints it (loss in percent, times in ms)."""

    sent: int | None = None
    loss: float | None = None
    last: float | None = None
    avg: float | None = None
    best: float | None = None
    worst: float | None = None
    stdev: float | None = None


@dataclass(frozen=True, slots=True)
class Hop:
    """The replies to the probes sent with one TTL. Several addresses mean load balancing.

    >>> Hop(3, (Reply("10.0.0.1", 1.0), Reply("10.0.0.2", 1.1), Reply("10.0.0.1", 0.9))).addresses
    ('10.0.0.1', '10.0.0.2')
    """

    ttl: int
    replies: tuple[Reply, ...] = ()
    stats: HopStats | None = None

    @property
    def addresses(self) -> tuple[str, ...]:
        """Distinct answering addresses, in the order they first answered."""
        return tuple(dict.fromkeys(r.addr for r in self.replies if r.addr is not None))

    @property
    def is_silent(self) -> bool:
        """True when no probe of this TTL was answered (a reply known only by name answered)."""
        return all(r.addr is None and r.name is None for r in self.replies)

    @property
    def rtts(self) -> tuple[float, ...]:
        """Every measured round-trip time at this hop, in ms."""
        return tuple(r.rtt_ms for r in self.replies if r.rtt_ms is not None)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a trace came from: a file (or ``<stdin>``) and the 1-based line it starts at,
    or, for an item of a JSON array (no line of its own), its 1-based position ``item``.

    >>> str(Origin("a/b.txt", 3)), str(Origin("a.json", item=2))
    ('a/b.txt:3', 'a.json#2')
    >>> Origin.from_string("C:/x:y.txt:12"), Origin.from_string("dl#1.json#7").item
    (Origin(path='C:/x:y.txt', line=12, item=None), 7)
    """

    path: str
    line: int | None = None
    item: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        return self.path if self.item is None else f"{self.path}#{self.item}"

    @classmethod
    def from_string(cls, text: str) -> Origin:
        """Read back what ``str()`` wrote (the path may itself hold colons and ``#``)."""
        path, sep, line = text.rpartition(":")
        if sep and line.isdigit():
            return cls(path, int(line))
        path, sep, item = text.rpartition("#")
        if sep and item.isdigit():
            return cls(path, None, int(item))
        return cls(text, None)


@dataclass(frozen=True, slots=True)
class Trace:
    """One traceroute run: from a source towards a destination, hop by hop.

    ``reached`` is ``True``/``False`` when the tool (or the replies) say whether the
    destination answered, ``None`` when nobody can tell. ``meta`` keeps format-specific
    facts (probe id, measurement id, tool version, ...) as JSON-compatible values.
    """

    dst: str | None = None
    hops: tuple[Hop, ...] = ()
    src: str | None = None
    dst_name: str | None = None
    protocol: str | None = None
    started: datetime | None = None
    reached: bool | None = None
    format: str | None = None
    origin: Origin | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def addresses(self) -> tuple[str, ...]:
        """Distinct answering addresses over the whole trace, in path order."""
        return tuple(dict.fromkeys(a for hop in self.hops for a in hop.addresses))

    @property
    def ip_path(self) -> tuple[tuple[str, ...], ...]:
        """Per hop, the distinct addresses that answered (empty for a silent hop)."""
        return tuple(hop.addresses for hop in self.hops)

    @property
    def last_responding_hop(self) -> Hop | None:
        """The highest-TTL hop that answered at all, or ``None``."""
        for hop in reversed(self.hops):
            if not hop.is_silent:
                return hop
        return None

    @property
    def destination_responded(self) -> bool:
        """True when the destination address itself answered some probe."""
        return self.dst is not None and any(self.dst in hop.addresses for hop in self.hops)
