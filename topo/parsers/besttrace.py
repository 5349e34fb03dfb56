"""BestTrace text (ipip.net's traceroute): an AS column and a location after every RTT.

BestTrace's Linux build (``besttrace -q 1 HOST``, as the "回程路由" scripts of VPS
benchmarks run it) prints the Linux traceroute header and then one line per probe:

- ``N  [name (]addr[)]  RTT ms  AS  location``: the AS is what ipip.net says announces
  the address, ``AS4134`` (several: ``AS3491,AS31713``), or ``*`` when it knows none. It
  is kept on :attr:`Reply.asn <topo.model.Reply.asn>` (``(4134,)``, ``()`` for ``*``);
  the location and owner words after it (``中国, 上海, chinatelecom.com.cn, 电信``,
  ``Japan, Tokyo, amazon.com``) are not kept: owners come from topo's own look-ups, and
  the printed AS is the evidence worth keeping;
- ``N  *``: a probe nobody answered;
- with several probes a hop (``-q 3``), each probe is a line of its own, the later ones
  indented without a hop number.

How it differs from Linux traceroute, and how it is told apart: the ``*`` after an RTT is
the AS column, not a lost probe, and words follow it. Detection wants two hop lines whose
RTT is followed by ``AS<n>`` or ``*`` and then by words that are neither a ``*`` nor
another RTT.

The scripts print a dashed line and a label (``北京电信``: the target's carrier and city)
before each trace: the dashed line is skipped and the label kept in ``meta["label"]``.

Example
-------
>>> text = '''北京电信
... traceroute to 219.141.147.210 (219.141.147.210), 30 hops max, 32 byte packets
...  1  18.141.171.43  5.04 ms  AS16509  新加坡, amazon.com
...  2  *
...  3  100.65.8.1  0.95 ms  *  共享地址
...  4  bj141-147-210.bjtelecom.net (219.141.147.210)  90.31 ms  AS4847  中国, 北京, 电信'''
>>> [trace] = parse(text, source="bt.txt")
>>> [[r.asn for r in hop.replies] for hop in trace.hops]
[[(16509,)], [None], [()], [(4847,)]]
>>> trace.reached, trace.meta["label"], trace.hops[3].replies[0].name
(True, '北京电信', 'bj141-147-210.bjtelecom.net')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines, reached_from

NAME = "besttrace"
DESCRIPTION = "BestTrace (ipip.net) text: one line per probe, an AS column and a location"
DETECTION = "hop lines 'N  host  RTT ms  AS<n>|*  location words'"

_HEADER = re.compile(
    r"^\s*traceroute6?\s+to\s+(?P<target>\S+)\s+\((?P<addr>[^)]*)\),?\s*"
    r"(?:(?P<max>\d+)\s+hops\s+max)?(?:,\s*(?P<bytes>\d+)\s+byte\s+packets)?",
    re.IGNORECASE,
)
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+(?P<body>\S(?:.*\S)?)\s*$")
_CONTINUATION = re.compile(r"^\s+(?P<body>\S(?:.*\S)?)\s*$")
_RULE = re.compile(r"^\s*-{5,}\s*$")
_REPLY = re.compile(
    r"^(?:(?P<name>\S+)\s+\((?P<paddr>[^()\s]+)\)|(?P<addr>\S+))\s+"
    r"(?P<rtt>\d+(?:\.\d+)?)\s*ms"
    r"(?:\s+(?P<asn>\*|AS\d+(?:[/,]AS\d+)*))?(?:\s+(?P<where>\S.*))?$",
    re.IGNORECASE,
)
#: A hop line as only BestTrace writes it: an RTT, then the AS column, then words that are
#: neither a ``*`` nor another RTT (Linux traceroute would print a star or a next reply).
_SNIFF = re.compile(
    r"^\s*\d{1,3}\s+\S+(?:\s+\([^()\s]+\))?\s+\d+(?:\.\d+)?\s*ms\s+(?:\*|AS\d+(?:[/,]AS\d+)*)\s+"
    r"(?!\*)(?!.*\d\s*ms\b)\S",
    re.IGNORECASE,
)


def sniff(head: str) -> bool:
    """Two hop lines with an AS column (``AS<n>`` or ``*``) and words after the RTT."""
    if "ms  AS" not in head and "ms  *" not in head:
        return False  # (one scan first: BestTrace separates its columns by two spaces)
    return sum(1 for line in non_blank_lines(head) if _SNIFF.match(line)) >= 2


def _asn(text: str | None) -> tuple[int, ...] | None:
    """``AS4134`` -> ``(4134,)``, ``AS3491,AS31713`` -> ``(3491, 31713)``, ``*`` -> ``()``,
    no column -> ``None``."""
    if text is None:
        return None
    if text == "*":
        return ()
    return tuple(int(part[2:]) for part in re.split("[/,]", text.upper()))


def _reply(body: str) -> Reply | None:
    """The reply one probe's text stands for, ``None`` when it is not one."""
    if body == "*":
        return Reply(None)
    match = _REPLY.match(body)
    if match is None:
        return None
    addr = match["paddr"] or match["addr"]
    if not is_address(addr):
        return None
    name = match["name"] if match["name"] not in (None, addr) else None
    return Reply(addr, float(match["rtt"]), name=name, asn=_asn(match["asn"]))


@dataclass
class _Trace:
    """One trace being read."""

    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)

    def add(self, ttl: int, reply: Reply) -> None:
        """One more probe of hop ``ttl`` (a new hop, or the current one)."""
        if self.hops and self.hops[-1].ttl == ttl:
            last = self.hops[-1]
            self.hops[-1] = Hop(ttl, (*last.replies, reply))
        else:
            self.hops.append(Hop(ttl, (reply,)))

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            dst_name=self.fields.get("dst_name"),
            reached=reached_from(dst, self.hops),
            format=NAME,
            origin=Origin(self.source, self.line),
            meta=self.meta,
        )


def _header(match: re.Match[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trace fields and meta of a ``traceroute to`` header."""
    target, addr = match["target"], match["addr"].strip()
    fields: dict[str, Any] = {}
    if is_address(addr):
        fields["dst"] = addr
        if target != addr:
            fields["dst_name"] = target
    else:
        fields["dst_name"] = target
    meta: dict[str, Any] = {}
    if match["max"]:
        meta["max_hops"] = int(match["max"])
    if match["bytes"]:
        meta["packet_bytes"] = int(match["bytes"])
    return fields, meta


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; each unreadable line becomes a :class:`ParseError`."""
    current: _Trace | None = None
    label: tuple[int, str] | None = None  # a line that may name the next trace
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or _RULE.match(line):
            continue
        header = _HEADER.match(line)
        if header:
            if current is not None and (current.hops or current.fields):
                yield current.build()
            fields, meta = _header(header)
            if label is not None:
                meta = {"label": label[1], **meta}
                label = None
            current = _Trace(source, number, fields, meta)
            continue
        if label is not None:
            yield ParseError(f"not a BestTrace line: {label[1][:80]!r}", path=source, line=label[0])
            label = None
        hop = _HOP.match(line)
        if hop:
            ttl, body = int(hop["ttl"]), hop["body"]
        else:
            continuation = _CONTINUATION.match(line)
            if continuation is None or current is None or not current.hops:
                label = (number, line.strip())
                continue
            ttl, body = current.hops[-1].ttl, continuation["body"]
        reply = _reply(body)
        if reply is None:
            yield ParseError(f"unreadable probe {body[:80]!r}", path=source, line=number)
            continue
        if current is None or (current.hops and ttl < current.hops[-1].ttl):
            if current is not None:
                yield current.build()
            current = _Trace(source, number)
        current.add(ttl, reply)
    if label is not None:
        yield ParseError(f"not a BestTrace line: {label[1][:80]!r}", path=source, line=label[0])
    if current is not None and (current.hops or current.fields):
        yield current.build()
