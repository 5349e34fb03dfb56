"""scamper JSON (``scamper -O json``, ``sc_warts2json``): ``trace`` and ``tracelb`` results.

The input is JSON Lines, one object per line (a JSON array of the same objects is read
too). ``cycle-start``, ``cycle-def``, ``cycle-stop`` and ``list`` lines are not traces:
they are skipped, and the cycle's ``list_name``, ``id`` and ``hostname`` (the monitor)
go into the ``meta`` of the traces that follow. Other measurements (``ping``,
``dealias``, ...) are reported as errors and skipped.

``trace`` (one traceroute, IPv4 or IPv6, any method: ``udp-paris``, ``udp``,
``icmp-echo-paris``, ``icmp-echo``, ``tcp``, ``tcp-ack``)
    scamper lists only the probes that got a reply (``hops``: ``addr``, ``probe_ttl``,
    ``probe_id``, ``rtt``, ``reply_ttl``, ``icmp_type``, ``icmp_code``, ``icmp_q_ttl``,
    ``icmpext`` with RFC 4950 ``mpls_labels``). Hops are rebuilt for every TTL from
    ``firsthop`` to the last TTL that got a reply: a TTL without a reply becomes
    ``attempts`` silent replies (``Reply(None)``), and an answered TTL gets a silent reply
    for every earlier attempt (``probe_id``) that went unanswered (scamper stops probing a
    TTL once it is answered). The unanswered TTLs scamper probed after the last reply
    (up to ``hop_count``, which ``meta`` keeps with ``stop_reason``) are not made into
    hops, so a trace without any reply (``stop_reason`` ``GAPLIMIT`` and no ``hops``)
    is a valid result with no hops. ``reached`` is true when ``stop_reason`` is
    ``COMPLETED`` or the destination answered. ICMP unreachable replies carry
    traceroute's flags (``!H``, ``!N``, ``!X``, ...; a port unreachable gets none).

``tracelb`` (MDA multipath traceroute)
    One :class:`~topo.model.Trace` whose hops hold every address seen at each distance
    (load-balanced paths side by side in one hop). Hop *n* holds the replies to the
    probes scamper sent with TTL *n* (each reply keeps its ``flowid`` as ``flow_id``);
    the first node, which scamper lists without its probes, sits at ``firsthop``, and an
    unanswered hop (``{"addr": "*"}``) at its distance from the first node along the
    links (breadth-first search). The exact graph is kept in ``meta["links"]``
    (``[[a, b], ...]``, every link between two answering addresses) and
    ``meta["links_via_anonymous"]`` (``[[a, b, n], ...]``: ``a`` reaches ``b`` through
    ``n`` unanswered hops). When scamper lumps several hops into one link (it could
    not tell which address leads to which), every address of a hop is linked to every
    address of the next.

    The JSON form of a node is ``{"addr", "q_ttl", "linkc", "links": [...]}``: with one
    link, ``links`` is that link's hops in order (each a list of ``{"addr", "probes"}``,
    the last being the next node); with several, ``links`` holds one list of
    ``{"addr", "probes"}``, one per next node.

Example
-------
>>> line = ('{"type":"trace", "method":"udp-paris", "src":"192.0.2.1", "dst":"192.0.2.9",'
...         ' "stop_reason":"COMPLETED", "hop_count":3, "attempts":2, "firsthop":1,'
...         ' "start":{"sec":1700000000, "usec":0}, "hops":['
...         '{"addr":"10.0.0.1", "probe_ttl":1, "probe_id":1, "rtt":0.4},'
...         '{"addr":"192.0.2.9", "probe_ttl":3, "probe_id":2, "rtt":9.1,'
...         ' "icmp_type":3, "icmp_code":3}]}')
>>> [trace] = parse(line, source="x.json")
>>> [(h.ttl, [r.addr for r in h.replies]) for h in trace.hops]
[(1, ['10.0.0.1']), (2, [None, None]), (3, [None, '192.0.2.9'])]
>>> trace.protocol, trace.reached, trace.meta["stop_reason"]
('udp', True, 'COMPLETED')
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, reached_from
from topo.parsers.checks import MAX_TTL, ttl_or_none, utc_from_epoch
from topo.parsers.json_input import first_json_char, iter_json_records

NAME = "scamper-json"
DESCRIPTION = "scamper JSON (scamper -O json, sc_warts2json): trace and tracelb, IPv4/IPv6"
DETECTION = 'JSON Lines whose objects have "type": "trace", "tracelb" or "cycle-start" (scamper)'

_SNIFF_TYPE = re.compile(r'"type"\s*:\s*"(?:trace|tracelb|cycle-start|cycle-def)"')
_SNIFF_KEYS = ('"method"', '"list_name"', '"stop_reason"', '"hop_count"', '"nodes"')
#: Record types that are not measurements: skipped without an error.
_BOOKKEEPING = frozenset({"cycle-start", "cycle-def", "cycle-stop", "list"})
#: Trace keys mapped onto Trace fields (or rebuilt); other scalars go to ``meta``.
_TRACE_MAPPED = frozenset({"type", "src", "dst", "start", "hops", "nodes"})
#: IPv4 ICMP destination unreachable codes (RFC 792, 1122, 1812) -> traceroute's flag.
_UNREACH_V4 = {
    0: "!N",
    1: "!H",
    2: "!P",
    4: "!F",
    5: "!S",
    6: "!N",
    7: "!H",
    8: "!N",
    9: "!X",
    10: "!X",
    11: "!N",
    12: "!H",
    13: "!X",
    14: "!V",
    15: "!C",
}
#: ICMPv6 destination unreachable codes (RFC 4443) -> traceroute6's flag.
_UNREACH_V6 = {0: "!N", 1: "!X", 2: "!S", 3: "!H"}
_PORT_UNREACHABLE = {False: 3, True: 4}


def sniff(head: str) -> bool:
    """JSON objects typed ``trace``/``tracelb``/``cycle-start`` with scamper's keys."""
    if first_json_char(head) not in ("{", "[") or '"topo.trace/' in head:
        return False  # topo's own JSON Lines keep scamper's keys in their meta
    return bool(_SNIFF_TYPE.search(head)) and any(key in head for key in _SNIFF_KEYS)


def icmp_flags(icmp_type: int | None, icmp_code: int | None, *, v6: bool) -> tuple[str, ...]:
    """The flag traceroute prints for an ICMP(v6) error, ``()`` when it prints none.

    >>> icmp_flags(3, 1, v6=False), icmp_flags(3, 3, v6=False), icmp_flags(1, 3, v6=True)
    (('!H',), (), ('!H',))
    >>> icmp_flags(3, 99, v6=False), icmp_flags(2, 0, v6=True), icmp_flags(11, 0, v6=False)
    (('!<99>',), ('!F',), ())
    """
    if icmp_type is None or icmp_code is None:
        return ()
    unreachable = 1 if v6 else 3
    if v6 and icmp_type == 2:  # packet too big
        return ("!F",)
    if icmp_type != unreachable or icmp_code == _PORT_UNREACHABLE[v6]:
        return ()
    table = _UNREACH_V6 if v6 else _UNREACH_V4
    return (table.get(icmp_code, f"!<{icmp_code}>"),)


def protocol_of(method: Any) -> str | None:
    """``udp``/``icmp``/``tcp`` for a scamper probe method (``udp-paris``, ``icmp-echo``...).

    >>> protocol_of("icmp-echo-paris"), protocol_of("tcp-ack-sport"), protocol_of(None)
    ('icmp', 'tcp', None)
    """
    if not isinstance(method, str):
        return None
    for proto in ("udp", "icmp", "tcp"):
        if method.lower().startswith(proto):
            return proto
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _address(value: Any) -> str | None:
    return value if isinstance(value, str) and is_address(value) else None


def _started(start: Any) -> datetime | None:
    if not isinstance(start, dict):
        return None
    sec, usec = _int(start.get("sec")), _int(start.get("usec")) or 0
    if sec is None:
        return None
    return utc_from_epoch(sec + usec / 1_000_000)


def _mpls(icmpext: Any) -> tuple[MplsLabel, ...]:
    """RFC 4950 label stacks of scamper's ``icmpext`` list (class 1, type 1)."""
    labels: list[MplsLabel] = []
    for ext in icmpext if isinstance(icmpext, list) else ():
        if not isinstance(ext, dict) or ext.get("ie_cn") != 1 or ext.get("ie_ct") != 1:
            continue
        for entry in ext.get("mpls_labels") or ():
            label = _int(entry.get("mpls_label")) if isinstance(entry, dict) else None
            if label is None:
                continue
            s = _int(entry.get("mpls_s"))
            labels.append(
                MplsLabel(
                    label=label,
                    exp=_int(entry.get("mpls_exp")),
                    s=None if s is None else bool(s),
                    ttl=_int(entry.get("mpls_ttl")),
                )
            )
    return tuple(labels)


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) and value and not is_address(value) else None


def _cycle_meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, target in (("list_name", "list_name"), ("id", "cycle_id"), ("hostname", "hostname")):
        value = obj.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            meta[target] = value
    return meta


def _scalars(obj: Mapping[str, Any], mapped: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in mapped and not isinstance(v, list | dict)}


# --------------------------------------------------------------------------- trace


def _trace_reply(hop: Mapping[str, Any], *, v6: bool) -> Reply:
    icmp_type, icmp_code = _int(hop.get("icmp_type")), _int(hop.get("icmp_code"))
    return Reply(
        addr=_address(hop.get("addr")),
        rtt_ms=_float(hop.get("rtt")),
        name=_name(hop.get("name")),
        flags=icmp_flags(icmp_type, icmp_code, v6=v6),
        mpls=_mpls(hop.get("icmpext")),
        reply_ttl=_int(hop.get("reply_ttl")),
        icmp_type=icmp_type,
        icmp_code=icmp_code,
        quoted_ttl=_int(hop.get("icmp_q_ttl")),
    )


def _hop_replies(entries: list[tuple[int | None, Reply]]) -> tuple[Reply, ...]:
    """Replies in attempt order, a silent one for every earlier attempt that got none."""
    numbered: dict[int, list[Reply]] = defaultdict(list)
    unnumbered: list[Reply] = []
    for probe_id, reply in entries:
        if probe_id is None or probe_id < 1:
            unnumbered.append(reply)
        else:
            numbered[probe_id].append(reply)
    out: list[Reply] = []
    for attempt in range(1, max(numbered, default=0) + 1):
        out.extend(numbered.get(attempt) or [Reply(None)])
    return (*out, *unnumbered)


def trace_to_trace(
    obj: Mapping[str, Any], *, origin: Origin, cycle: Mapping[str, Any]
) -> tuple[Trace, list[str]]:
    """One scamper ``trace`` object as a :class:`Trace`, and what could not be read in it."""
    dst, src = _address(obj.get("dst")), _address(obj.get("src"))
    v6 = ":" in (dst or src or "")
    firsthop = max(ttl_or_none(obj.get("firsthop")) or 1, 1)
    attempts = max(_int(obj.get("attempts")) or 1, 1)
    problems: list[str] = []
    by_ttl: dict[int, list[tuple[int | None, Reply]]] = defaultdict(list)
    for item in obj.get("hops") or ():
        ttl = ttl_or_none(item.get("probe_ttl")) if isinstance(item, dict) else None
        if ttl is None or ttl < 1:
            problems.append(f"hop without a probe_ttl from 1 to {MAX_TTL}: {str(item)[:60]!r}")
            continue
        if item.get("addr") is not None and _address(item.get("addr")) is None:
            problems.append(f"TTL {ttl}: not an address: {item.get('addr')!r}")
        by_ttl[ttl].append((_int(item.get("probe_id")), _trace_reply(item, v6=v6)))
    last = max([*by_ttl, firsthop - 1])
    hops = [
        Hop(ttl, _hop_replies(by_ttl[ttl]) if ttl in by_ttl else (Reply(None),) * attempts)
        for ttl in range(min([firsthop, *by_ttl]), last + 1)
    ]
    stop = obj.get("stop_reason")
    reached: bool | None = None
    if dst is not None or stop is not None:
        answered = dst is not None and any(dst in hop.addresses for hop in hops)
        reached = answered or stop == "COMPLETED"
    trace = Trace(
        dst=dst,
        hops=tuple(hops),
        src=src,
        protocol=protocol_of(obj.get("method")),
        started=_started(obj.get("start")),
        reached=reached,
        format=NAME,
        origin=origin,
        meta={**cycle, **_scalars(obj, _TRACE_MAPPED), "type": "trace"},
    )
    return trace, problems


# --------------------------------------------------------------------------- tracelb


class _LbGraph:
    """The node/link graph of a ``tracelb`` result, with the replies of every address."""

    def __init__(self, *, v6: bool) -> None:
        self.v6 = v6
        self.edges: dict[str, list[str]] = defaultdict(list)
        self.targets: set[str] = set()
        self.replies: dict[tuple[int, str], list[Reply]] = defaultdict(list)
        self.seen_probes: set[tuple[Any, ...]] = set()
        self.order: list[str] = []
        self.stars = 0
        self.problems: list[str] = []

    def vertex(self, addr: Any) -> str | None:
        """The graph key of an address; a fresh key for a ``*``; None when unreadable."""
        if addr == "*" or addr is None:
            self.stars += 1
            key = f"*{self.stars}"
        elif isinstance(addr, str) and is_address(addr):
            key = addr
        else:
            self.problems.append(f"not an address: {str(addr)[:40]!r}")
            return None
        if key not in self.edges:
            self.edges[key] = []
            self.order.append(key)
        return key

    def link(self, a: str, b: str) -> None:
        if b not in self.edges[a]:
            self.edges[a].append(b)
        self.targets.add(b)

    def add_probes(self, addr: str, probes: Any) -> None:
        for probe in probes if isinstance(probes, list) else ():
            if not isinstance(probe, dict):
                continue
            ttl, flowid = ttl_or_none(probe.get("ttl")), _int(probe.get("flowid"))
            if ttl is None and probe.get("replies"):
                self.problems.append(
                    f"probe TTL not from 0 to {MAX_TTL}: {probe.get('ttl')!r}"[:90]
                )
                continue
            for reply in probe.get("replies") or ():
                if not isinstance(reply, dict) or ttl is None:
                    continue
                key = (addr, str(probe.get("tx")), ttl, flowid, str(reply.get("rx")))
                if key in self.seen_probes:
                    continue
                self.seen_probes.add(key)
                icmp_type, icmp_code = _int(reply.get("icmp_type")), _int(reply.get("icmp_code"))
                self.replies[(ttl, addr)].append(
                    Reply(
                        addr=addr,
                        rtt_ms=_float(reply.get("rtt")),
                        flags=icmp_flags(icmp_type, icmp_code, v6=self.v6),
                        mpls=_mpls(reply.get("icmpext")),
                        reply_ttl=_int(reply.get("ttl")),
                        flow_id=flowid,
                        icmp_type=icmp_type,
                        icmp_code=icmp_code,
                        quoted_ttl=_int(reply.get("icmp_q_ttl")),
                    )
                )

    def add_set(self, entries: Any) -> list[str]:
        """One hop of a link (``[{"addr", "probes"}, ...]``): its vertices."""
        keys: list[str] = []
        for entry in entries if isinstance(entries, list) else [entries]:
            if not isinstance(entry, dict):
                self.problems.append(f"unreadable hop entry: {str(entry)[:40]!r}")
                continue
            key = self.vertex(entry.get("addr"))
            if key is not None:
                keys.append(key)
                if not key.startswith("*"):
                    self.add_probes(key, entry.get("probes"))
        return keys

    def add_node(self, node: Mapping[str, Any]) -> None:
        start = self.vertex(node.get("addr"))
        if start is None:
            return
        links = node.get("links") or []
        if not isinstance(links, list):
            self.problems.append(f"node {start}: links is not a list")
            return
        chains = [[[entry]] for entry in links[0]] if len(links) == 1 else [links]
        for chain in chains:
            previous = [start]
            for hop_set in chain:
                current = self.add_set(hop_set)
                for a in previous:
                    for b in current:
                        self.link(a, b)
                previous = current or previous

    def distances(self, firsthop: int) -> dict[str, int]:
        """Breadth-first distance (in TTL) of every vertex from the root node(s)."""
        roots = [v for v in self.order if v not in self.targets] or self.order[:1]
        dist = dict.fromkeys(roots, firsthop)
        queue = deque(roots)
        while queue:
            vertex = queue.popleft()
            for nxt in self.edges[vertex]:
                if nxt not in dist:
                    dist[nxt] = dist[vertex] + 1
                    queue.append(nxt)
        return dist

    def hops(self, firsthop: int) -> list[Hop]:
        dist = self.distances(firsthop)
        by_ttl: dict[int, list[Reply]] = defaultdict(list)
        placed = {addr for _, addr in self.replies}
        for (ttl, _addr), replies in self.replies.items():
            by_ttl[ttl].extend(replies)
        for vertex in self.order:
            if vertex in placed or vertex not in dist:
                continue
            by_ttl[dist[vertex]].append(Reply(None if vertex.startswith("*") else vertex))
        if not by_ttl:
            return []
        ttls = range(min(by_ttl), max(by_ttl) + 1)
        return [Hop(ttl, tuple(by_ttl.get(ttl) or (Reply(None),))) for ttl in ttls]

    def links(self) -> tuple[list[list[str]], list[list[Any]]]:
        """Links between addresses, and links through ``n`` anonymous hops."""
        direct: list[list[str]] = []
        via: list[list[Any]] = []
        for a in self.order:
            if a.startswith("*"):
                continue
            for b in self.edges[a]:
                if not b.startswith("*"):
                    direct.append([a, b])
            for b, gap in self._through_stars(a):
                via.append([a, b, gap])
        return direct, via

    def _through_stars(self, start: str) -> Iterable[tuple[str, int]]:
        found: dict[str, int] = {}
        frontier = [(v, 1) for v in self.edges[start] if v.startswith("*")]
        seen = {v for v, _ in frontier}
        while frontier:
            star, depth = frontier.pop(0)
            for nxt in self.edges[star]:
                if nxt.startswith("*"):
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append((nxt, depth + 1))
                elif nxt not in found:
                    found[nxt] = depth
        return found.items()


def tracelb_to_trace(
    obj: Mapping[str, Any], *, origin: Origin, cycle: Mapping[str, Any]
) -> tuple[Trace, list[str]]:
    """One scamper ``tracelb`` object as a :class:`Trace`, and what could not be read in it."""
    dst, src = _address(obj.get("dst")), _address(obj.get("src"))
    graph = _LbGraph(v6=":" in (dst or src or ""))
    for node in obj.get("nodes") or ():
        if isinstance(node, dict):
            graph.add_node(node)
        else:
            graph.problems.append(f"unreadable node: {str(node)[:40]!r}")
    hops = graph.hops(max(_int(obj.get("firsthop")) or 1, 1))
    direct, via = graph.links()
    meta = {**cycle, **_scalars(obj, _TRACE_MAPPED), "type": "tracelb", "links": direct}
    if via:
        meta["links_via_anonymous"] = via
    trace = Trace(
        dst=dst,
        hops=tuple(hops),
        src=src,
        protocol=protocol_of(obj.get("method")),
        started=_started(obj.get("start")),
        reached=reached_from(dst, hops),
        format=NAME,
        origin=origin,
        meta=meta,
    )
    return trace, graph.problems


# --------------------------------------------------------------------------- parse


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every ``trace``/``tracelb`` in ``text``; other measurements and broken lines are errors."""
    cycle: dict[str, Any] = {}
    for index, record in enumerate(iter_json_records(text, source=source)):
        if isinstance(record, ParseError):
            yield record
            continue
        line, obj = record
        where = f"record {index + 1}" if line is None else "record"
        if not isinstance(obj, dict):
            yield ParseError(f"{where} is not a JSON object", path=source, line=line)
            continue
        kind = obj.get("type")
        if kind in _BOOKKEEPING:
            if kind in ("cycle-start", "cycle-def"):
                cycle = _cycle_meta(obj)
            elif kind == "cycle-stop":
                cycle = {}
            continue
        if kind not in ("trace", "tracelb"):
            message = f"{where}: scamper {kind!r} result is not a traceroute; skipped"
            yield ParseError(message, path=source, line=line)
            continue
        convert = trace_to_trace if kind == "trace" else tracelb_to_trace
        try:
            origin = Origin(source, line) if line is not None else Origin(source, item=index + 1)
            trace, problems = convert(obj, origin=origin, cycle=cycle)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as err:
            yield ParseError(f"{where}: unreadable scamper {kind} ({err})", path=source, line=line)
            continue
        if problems:
            message = f"{where}: scamper {kind} to {trace.dst}: " + "; ".join(problems)
            yield ParseError(message, path=source, line=line)
        yield trace
