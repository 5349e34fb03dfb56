"""Paris traceroute text output (paris-traceroute 0.9x and libparistraceroute).

Reads both modes of the classic tool and the newer tool's default output:

- the header ``traceroute [(SRC:SPORT) -> (DST:DPORT)], protocol icmp, algo exhaustive,
  duration 19 s`` (→ ``src``, ``dst``, ``protocol``; ports, algorithm and duration in
  ``meta``), or ``traceroute to NAME (ADDR), 30 hops max, 30 bytes packets``;
- hop-by-hop mode (``algo hopbyhop``): Linux-like hop lines, ``name (addr)  0.5 ms``, ``*``,
  several responders on a line, RTTs written ``0.089ms`` too;
- exhaustive mode (``-a exh``): ``5  P(16, 16) host (addr):0,2,3  0.530 ms  host2
  (addr2):1,5  0.556 ms`` — ``P(received, sent)``, then each responder with the flow
  identifiers that reached it and its RTT, or ``min/avg/max/stddev ms``; ``P(0, 6)`` alone is
  a silent hop;
- ``MPLS Label 24950 TTL=1 | 24906`` lines under a hop (RFC 4950 labels quoted by the
  responder above them; the stack top first, ``exp`` and ``S`` are not printed);
- ``!T<n>`` after an RTT: the TTL the probe had left when it reached the router (the quoted
  TTL, RFC 4950 tunnels show 2, 3, ... inside an MPLS tunnel) → ``Reply.quoted_ttl``; other
  ``!`` flags are kept as printed (``!H !N !Q !A !?``); the ``=``/``<`` load-balancer marks
  after a flow list and the ``{ip id}``/``[ttl]`` display options are read but not kept;
- responders printed one per line (indented, no TTL) join the hop above them.

Exhaustive mode prints a summary per responder, not one time per probe, so a responder
becomes one reply per flow identifier it answered (``Reply.flow_id``), or one reply when
no flows are listed, each with the responder's RTT (the *average* when it printed
``min/avg/max/stddev``). The hop's ``P(r, s)`` becomes ``Hop.stats`` (``sent``, ``loss``
in percent), with ``best/avg/worst/stdev`` when the hop had exactly one responder. A
silent hop is one ``*`` reply. MDA output (``-a mda``, a lattice of links) is not read: it
yields one :class:`~topo.errors.ParseError` and the rest of the file is still read.

Example
-------
>>> text = '''traceroute [(192.0.2.10:33456) -> (198.51.100.9:33457)], protocol udp, algo exh
...  1  P(6, 6) gw (192.0.2.1)  0.376 ms
...  2  P(16, 16) r1 (203.0.113.1):0,2  0.530 ms  r2 (203.0.113.2):1  0.556 ms
...    MPLS Label 24953 TTL=1
...  3  P(0, 6)
...  4  P(6, 6) 198.51.100.9 (198.51.100.9)  0.9/1.0/1.2/0.1 ms !T2'''
>>> [trace] = parse(text, source="pt.paris")
>>> trace.src, trace.dst, trace.protocol, trace.reached
('192.0.2.10', '198.51.100.9', 'udp', True)
>>> [(r.addr, r.flow_id) for r in trace.hops[1].replies]
[('203.0.113.1', 0), ('203.0.113.1', 2), ('203.0.113.2', 1)]
>>> trace.hops[1].replies[2].mpls[0].label, trace.hops[3].replies[0].quoted_ttl
(24953, 2)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, HopStats, MplsLabel, Origin, Reply, Trace
from topo.parsers import linux_traceroute
from topo.parsers.base import ParseItem, ascii_lower, non_blank_lines, reached_from

NAME = "paris-traceroute"
DESCRIPTION = "Paris traceroute text: hop-by-hop and exhaustive (-a exh) modes, MPLS lines, !T<n>"
DETECTION = (
    "a 'traceroute [(src:port) -> (dst:port)], protocol .., algo ..' header, a '30 bytes "
    "packets' header, 'P(6, 6)' hop lines or 'MPLS Label N TTL=N' lines"
)

_HEADER_5TUPLE = re.compile(
    r"^\s*traceroute\s+\[\((?P<src>[^)]*)\)\s*->\s*\((?P<dst>[^)]*)\)\]"
    r"(?:,\s*protocol\s+(?P<proto>\w+))?(?:,\s*algo\s+(?P<algo>[\w-]+))?"
    r"(?:,\s*duration\s+(?P<duration>\d+)\s*s)?\s*$",
    re.IGNORECASE,
)
_HEADER_TO = re.compile(
    r"^\s*(?P<kind>traceroute|mda)\s+to\s+(?P<target>\S+)\s+\((?P<addr>[^)]+)\),\s*"
    r"(?P<hops>\d+)\s+hops\s+max,\s*(?P<bytes>\d+)\s+bytes\s+packets\s*$",
    re.IGNORECASE,
)
_EXH_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+P\((?P<recv>\d+),\s*(?P<sent>\d+)\)(?P<rest>.*)$")
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+(?P<body>\S.*)$")
_RESPONDER = re.compile(
    r"\s*(?:(?:(?P<host>[^\s()]+)\s+)?\((?P<addr>[^)\s]+)\)|(?P<bare>\d+\.\d+\.\d+\.\d+))"
    r"(?::(?P<flows>\d+(?:,\d+)*))?(?:\s+(?P<lb>[=<]))?\s+(?P<rtt>\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?){3}|\d+(?:\.\d+)?)"
    r"\s*ms(?P<marks>(?:\s+(?:!\S+|\{\d+\}|\[[\d,]+\]))*)"
)
_MPLS_LINE = re.compile(r"^\s+MPLS\s+Label\s+(?P<stack>\d(?:.*\S)?)\s*$", re.IGNORECASE)
_MPLS_ENTRY = re.compile(r"^(?:MPLS\s+)?(?:Label\s+)?(?P<label>\d+)(?:\s+TTL=(?P<ttl>\d+))?$")
_QUOTED_TTL = re.compile(r"^!T(\d+)$")


def sniff(head: str) -> bool:
    """A Paris traceroute header, an exhaustive-mode hop line or an MPLS line.

    Every input file asks, so an ASCII head is first searched for what each of those lines
    must hold (``[(``, ``bytes``, ``P(``, ``MPLS``); only a head with one of them is read
    line by line (:func:`_sniff_lines`, the reference the tests hold this to).
    """
    lowered = ascii_lower(head)
    if lowered is not None and not (
        "[(" in head or "P(" in head or "bytes" in lowered or "mpls" in lowered
    ):
        return False
    return _sniff_lines(non_blank_lines(head))


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    for line in lines:
        if _HEADER_5TUPLE.match(line) or _HEADER_TO.match(line):
            return True
        if _EXH_HOP.match(line) or _MPLS_LINE.match(line):
            return True
    return False


def _split_endpoint(text: str) -> tuple[str | None, int | None]:
    """``"192.0.2.1:33456"`` or ``"2001:db8::1:33456"`` → address and port."""
    host, sep, port = text.strip().rpartition(":")
    if sep and port.isdecimal() and is_address(host):
        return host, int(port)
    return (text.strip(), None) if is_address(text.strip()) else (None, None)


def _marks(text: str) -> tuple[tuple[str, ...], int | None]:
    flags: list[str] = []
    quoted: int | None = None
    for mark in text.split():
        if not mark.startswith("!"):
            continue  # '{ip id}' and '[original TTLs]' (-d/-T display options) are not kept
        match = _QUOTED_TTL.match(mark)
        if match:
            quoted = int(match.group(1))
        else:
            flags.append(mark)
    return tuple(flags), quoted


def _responder_replies(match: re.Match[str]) -> list[Reply]:
    addr = match["addr"] or match["bare"]
    name = match["host"] if match["host"] not in (None, addr) else None
    stats = [float(x) for x in match["rtt"].split("/")]
    rtt = stats[1] if len(stats) == 4 else stats[0]
    flags, quoted = _marks(match["marks"] or "")
    base = Reply(addr, rtt, name=name, flags=flags, quoted_ttl=quoted)
    if match["flows"]:
        return [replace(base, flow_id=int(f)) for f in match["flows"].split(",")]
    return [base]


def _responders(ttl: int, rest: str) -> tuple[list[re.Match[str]], list[str]]:
    """The responders printed in ``rest`` and the problems found."""
    responders: list[re.Match[str]] = []
    pos = 0
    while rest[pos:].strip():
        responder = _RESPONDER.match(rest, pos)
        if not responder:
            return responders, [f"unreadable responder in hop {ttl}: {rest[pos:].strip()[:60]!r}"]
        responders.append(responder)
        pos = responder.end()
    return responders, []


def _exhaustive_hop(match: re.Match[str]) -> tuple[Hop, list[str]]:
    """The hop of a ``P(r, s)`` line and the problems found in it."""
    ttl, recv, sent = int(match["ttl"]), int(match["recv"]), int(match["sent"])
    responders, problems = _responders(ttl, match["rest"])
    replies = [reply for responder in responders for reply in _responder_replies(responder)]
    loss = round(100.0 * (sent - recv) / sent, 3) if sent else None
    stats = HopStats(sent=sent, loss=loss)
    if len(responders) == 1 and "/" in responders[0]["rtt"]:
        best, avg, worst, stdev = (float(x) for x in responders[0]["rtt"].split("/"))
        stats = HopStats(sent=sent, loss=loss, avg=avg, best=best, worst=worst, stdev=stdev)
    if not replies:
        replies.append(Reply(None))
    return Hop(ttl=ttl, replies=tuple(replies), stats=stats), problems


def _hopbyhop_hop(ttl: int, body: str) -> tuple[Hop, list[str]]:
    builder = linux_traceroute._HopBuilder(ttl, 0)
    problems = linux_traceroute._consume(builder, body)
    replies = []
    for reply in builder.replies:
        flags, quoted = _marks(" ".join(reply.flags))
        replies.append(replace(reply, flags=flags, quoted_ttl=quoted))
    return Hop(ttl=ttl, replies=tuple(replies)), problems


def _parse_mpls(stack: str) -> tuple[MplsLabel, ...] | None:
    labels = []
    for entry in stack.split("|"):
        match = _MPLS_ENTRY.match(entry.strip())
        if not match:
            return None
        ttl = int(match["ttl"]) if match["ttl"] else None
        labels.append(MplsLabel(label=int(match["label"]), ttl=ttl))
    return tuple(labels)


@dataclass
class _TraceBuilder:
    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)
    last_addr: str | None = None

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        reached = reached_from(dst, self.hops)
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            src=self.fields.get("src"),
            dst_name=self.fields.get("dst_name"),
            protocol=self.fields.get("protocol"),
            reached=reached,
            format=NAME,
            origin=Origin(self.source, self.line),
            meta=self.meta,
        )

    def attach_mpls(self, labels: tuple[MplsLabel, ...]) -> bool:
        """Give ``labels`` to the replies of the last responder of the last hop."""
        if not self.hops or self.last_addr is None:
            return False
        hop = self.hops[-1]
        replies = tuple(
            replace(r, mpls=labels) if r.addr == self.last_addr else r for r in hop.replies
        )
        self.hops[-1] = replace(hop, replies=replies)
        return True


def _trace_from_5tuple(match: re.Match[str], source: str, number: int) -> _TraceBuilder:
    builder = _TraceBuilder(source, number)
    src, sport = _split_endpoint(match["src"])
    dst, dport = _split_endpoint(match["dst"])
    builder.fields.update(src=src, dst=dst, protocol=(match["proto"] or "").lower() or None)
    meta = {"src_port": sport, "dst_port": dport, "algorithm": match["algo"]}
    if match["duration"]:
        meta["duration_s"] = int(match["duration"])
    builder.meta.update({k: v for k, v in meta.items() if v is not None})
    return builder


def _trace_from_to(match: re.Match[str], source: str, number: int) -> _TraceBuilder:
    builder = _TraceBuilder(source, number)
    addr, target = match["addr"].strip(), match["target"]
    if is_address(addr):
        builder.fields["dst"] = addr
        if target != addr:
            builder.fields["dst_name"] = target
    builder.meta.update(max_hops=int(match["hops"]), packet_bytes=int(match["bytes"]))
    return builder


def _more_responders(
    current: _TraceBuilder, line: str, number: int, source: str
) -> Iterator[ParseError]:
    """Responders printed on their own line (``-M``, one interface a line) join the last hop."""
    hop = current.hops[-1]
    responders, problems = _responders(hop.ttl, line)
    new = [reply for responder in responders for reply in _responder_replies(responder)]
    if new:
        stats = hop.stats or HopStats()
        stats = HopStats(sent=stats.sent, loss=stats.loss)  # several responders: no summary
        current.hops[-1] = replace(hop, replies=(*hop.replies, *new), stats=stats)
        current.last_addr = new[-1].addr
    if problems or not new:
        yield ParseError("; ".join(problems) or "no responder", path=source, line=number)


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; unreadable lines become :class:`ParseError` items."""
    current: _TraceBuilder | None = None
    skipping_mda = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        five = _HEADER_5TUPLE.match(line)
        to = _HEADER_TO.match(line)
        if five or to:
            if current is not None and (current.hops or "dst" in current.fields):
                yield current.build()
            current, skipping_mda = None, False
            if to and to["kind"].lower() == "mda":
                skipping_mda = True
                yield ParseError(
                    "paris-traceroute MDA output (-a mda) is not supported; its links are skipped",
                    path=source,
                    line=number,
                )
                continue
            if five:
                current = _trace_from_5tuple(five, source, number)
            elif to:
                current = _trace_from_to(to, source, number)
            continue
        if skipping_mda:
            continue
        hop_line = _HOP.match(line)
        if hop_line and not _MPLS_LINE.match(line):
            ttl = int(hop_line["ttl"])
            if current is None or (current.hops and ttl <= current.hops[-1].ttl):
                if current is not None and (current.hops or "dst" in current.fields):
                    yield current.build()
                current = _TraceBuilder(source, number)
        yield from _read_line(current, line, number, source)
    if current is not None and (current.hops or "dst" in current.fields):
        yield current.build()


def _read_line(
    current: _TraceBuilder | None, line: str, number: int, source: str
) -> Iterator[ParseError]:
    """Read one hop or MPLS line into ``current``; errors for what makes no sense."""
    if current is None:
        yield ParseError(
            f"not a paris-traceroute line: {line.strip()[:80]!r}", path=source, line=number
        )
        return
    mpls_line = _MPLS_LINE.match(line)
    more = current.hops and current.hops[-1].stats is not None and line[:1].isspace()
    if more and not mpls_line and not _HOP.match(line):
        yield from _more_responders(current, line, number, source)
        return
    if mpls_line:
        labels = _parse_mpls(mpls_line["stack"])
        if labels is None or not current.attach_mpls(labels):
            yield ParseError(
                f"MPLS line without a hop: {line.strip()[:80]!r}", path=source, line=number
            )
        return
    exh = _EXH_HOP.match(line)
    hop_line = _HOP.match(line)
    if exh:
        hop, problems = _exhaustive_hop(exh)
    elif hop_line:
        hop, problems = _hopbyhop_hop(int(hop_line["ttl"]), hop_line["body"])
    else:
        yield ParseError(
            f"not a paris-traceroute line: {line.strip()[:80]!r}", path=source, line=number
        )
        return
    if not hop.replies:
        problems = [f"not a hop line: {line.strip()[:80]!r}"]
    else:
        current.hops.append(hop)
        addresses = [r.addr for r in hop.replies if r.addr is not None]
        current.last_addr = addresses[-1] if addresses else None
    if problems:
        yield ParseError("; ".join(problems), path=source, line=number)
