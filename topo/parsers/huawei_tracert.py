"""Huawei VRP ``tracert`` and ``tracert -v`` output (NetEngine, AR, CE, S series, eNSP).

Huawei's header and hop lines, as its command references show them::

    <HUAWEI> tracert -v 192.168.3.9
     traceroute to 192.168.3.9(192.168.3.9), max hops: 30 ,packet length: 40,press CTRL_C to break
     1 10.1.1.2[MPLS Label=4187 Exp=0 S=1 TTL=1] 5 ms  1 ms  1 ms
     2 10.2.1.2 9 ms  2 ms  2 ms

Read here:

- the header in both spellings (``max hops: 30 ,packet length: 40`` and ``hops max: 18,
  packet length: 40``), its target (an address, a name, or an address and the name in
  parentheses: ``192.168.10.2(www.huawei.com)``) and a VPN instance's name before it;
- ``-v``: the MPLS label stack glued to the address, one ``/``-separated value per label
  for each field (``[MPLS Label=1024/1026 Exp=0/0 S=0/1 TTL=1/2]``, top label first),
  kept on each reply;
- ``-name``: ``10.1.1.1 (tcore1.as6.net)`` or ``192.168.10.2(www.huawei.com)``; ``-as``:
  ``10.3.1.2<AS=300>``; any number of probes (``-q``), ``*`` for a probe without answer,
  ``17 ms`` or ``17ms``;
- the prompt and command (``<HUAWEI> tracert -v 192.168.3.9``, ``[R1]tracert ...``): the
  command goes to ``meta["command"]``, its ``-a`` address is ``src`` and its
  ``-vpn-instance`` ``meta["vpn_instance"]``; a prompt alone ends the trace.

``reached`` is true when the destination answered, else false (the tool prints no
verdict).

Example
-------
>>> text = '''<HUAWEI> tracert -v 192.0.2.9
...  traceroute to 192.0.2.9(192.0.2.9), max hops: 30 ,packet length: 40,press CTRL_C to break
...  1 198.51.100.2[MPLS Label=1024/1026 Exp=0/0 S=0/1 TTL=1/1] 5 ms  1 ms  1 ms
...  2 *  *  *
...  3 192.0.2.9 9 ms  2 ms  2 ms'''
>>> [trace] = parse(text, source="x.txt")
>>> trace.dst, trace.ip_path, trace.reached
('192.0.2.9', (('198.51.100.2',), (), ('192.0.2.9',)), True)
>>> [(m.label, m.s, m.ttl) for m in trace.hops[0].replies[0].mpls]
[(1024, False, 1), (1026, True, 1)]
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines, reached_from

NAME = "huawei-tracert"
DESCRIPTION = "Huawei VRP tracert / tracert -v text (MPLS label stacks after the address)"
DETECTION = (
    "a 'traceroute to X(Y), max hops: N ,packet length: N' header (Huawei), "
    "or hop lines with '[MPLS Label=...]'"
)

_HEADER = re.compile(
    r"^\s*traceroute\s+to\s+(?:(?P<vpn>[^\s(,]+)\s+)?(?P<target>[^\s(,]+)\s*"
    r"(?:\((?P<paren>[^)\s]*)\))?\s*,\s*(?:max\s+hops|hops\s+max)\s*:\s*(?P<max>\d{1,3})\s*,"
    r"\s*packet\s+length\s*:\s*(?P<length>\d{1,5})",
    re.IGNORECASE,
)
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+(?P<body>\S.*?)\s*$")
_PROMPT = re.compile(r"^\s*(?:<[^<>\s]+>|\[[^\[\]\s]+\])\s*(?P<command>.*)$")
_COMMAND = re.compile(r"^tracer(?:t)?\b", re.IGNORECASE)
#: One item of a hop line: a probe without answer, an RTT, the MPLS stack, an AS, a
#: parenthesised name or address, or an address (anything else is a problem).
_ITEM = re.compile(
    r"\s*(?:(?P<star>\*)"
    r"|(?P<rtt>\d{1,7}(?:\.\d{1,6})?)\s*ms\b"
    r"|\[MPLS\s+(?P<mpls>[^\]]*)\]"
    r"|<AS=(?P<asn>\d{1,10})>"
    r"|\((?P<paren>[^()\s]*)\)"
    r"|(?P<word>[^\s\[\]()<>*]+))"
)
_MPLS_FIELD = re.compile(r"(?P<key>Label|Exp|S|TTL)=(?P<values>[\d/]+)", re.IGNORECASE)


def sniff(head: str) -> bool:
    """A Huawei tracert header, or a hop line with a Huawei MPLS stack.

    >>> sniff(" traceroute to 10.0.0.9(10.0.0.9), max hops: 30 ,packet length: 40,press CTRL_C")
    True
    >>> sniff("traceroute to 10.0.0.9 (10.0.0.9), 30 hops max, 60 byte packets")
    False
    """
    lines = non_blank_lines(head)
    if any(_HEADER.match(line) for line in lines):
        return True
    return any("[MPLS Label=" in line and _HOP.match(line) for line in lines)


def mpls_stack(text: str) -> tuple[MplsLabel, ...]:
    """The label stack of a ``[MPLS ...]`` block's inside, top label first.

    >>> [(m.label, m.exp, m.s, m.ttl) for m in mpls_stack("Label=4187 Exp=0 S=1 TTL=1")]
    [(4187, 0, True, 1)]
    """
    fields: dict[str, list[int]] = {}
    for match in _MPLS_FIELD.finditer(text):
        values = [int(v) for v in match["values"].split("/") if v.isdecimal() and len(v) <= 7]
        fields[match["key"].lower()] = values
    labels = fields.get("label", [])

    def nth(key: str, i: int) -> int | None:
        values = fields.get(key, [])
        return values[i] if i < len(values) else None

    return tuple(
        MplsLabel(
            label,
            exp=nth("exp", i),
            s=None if nth("s", i) is None else nth("s", i) == 1,
            ttl=nth("ttl", i),
        )
        for i, label in enumerate(labels)
    )


@dataclass
class _Answer:
    """The answering host of a hop line and what the line says of it."""

    addr: str | None = None
    name: str | None = None
    asn: tuple[int, ...] | None = None
    mpls: tuple[MplsLabel, ...] = ()

    def reply(self, rtt: float | None) -> Reply:
        return Reply(self.addr, rtt, name=self.name, asn=self.asn, mpls=self.mpls)


def _host(answer: _Answer, token: str) -> str | None:
    """Note ``token`` (an address or a name) on ``answer``; a problem or ``None``."""
    if is_address(token):
        if answer.addr is None:
            answer.addr = token
            return None
        return None if token == answer.addr else f"a second address {token[:60]!r}"
    if answer.name is None and token:
        answer.name = token
        return None
    return f"unexpected {token[:60]!r}"


def parse_hop(body: str) -> tuple[list[Reply], list[str]]:
    """The replies of one hop line's body (after the TTL) and what could not be read.

    >>> replies, problems = parse_hop("10.1.1.1 (tcore1.as6.net) 19 ms * 20ms")
    >>> [(r.addr, r.name, r.rtt_ms) for r in replies]  # doctest: +NORMALIZE_WHITESPACE
    [('10.1.1.1', 'tcore1.as6.net', 19.0), (None, None, None),
     ('10.1.1.1', 'tcore1.as6.net', 20.0)]
    >>> problems
    []
    """
    answer = _Answer()
    probes: list[float | None] = []
    problems: list[str] = []
    position = 0
    while position < len(body):
        match = _ITEM.match(body, position)
        if match is None or match.end() == position:
            problems.append(f"unreadable {body[position:].strip()[:60]!r}")
            break
        position = match.end()
        if match["star"]:
            probes.append(None)
        elif match["rtt"]:
            probes.append(float(match["rtt"]))
        elif match["mpls"] is not None:
            answer.mpls = mpls_stack(match["mpls"])
        elif match["asn"]:
            answer.asn = (int(match["asn"]),)
        else:
            token = match["paren"] if match["word"] is None else match["word"]
            problem = _host(answer, token) if not probes else f"unexpected {token[:60]!r}"
            if problem:
                problems.append(problem)
    replies = [Reply(None) if rtt is None else answer.reply(rtt) for rtt in probes]
    if not replies and (answer.addr or answer.name):
        replies.append(answer.reply(None))
    return replies, problems


@dataclass
class _Builder:
    """One trace being read."""

    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            src=self.fields.get("src"),
            dst_name=self.fields.get("dst_name"),
            reached=reached_from(dst, self.hops),
            format=NAME,
            origin=Origin(self.source, self.line),
            meta=self.meta,
        )


def _header_fields(match: re.Match[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trace fields and meta of a header line."""
    target, paren = match["target"], match["paren"] or ""
    dst = target if is_address(target) else paren if is_address(paren) else None
    name = next((n for n in (target, paren) if n and not is_address(n)), None)
    fields = {"dst": dst, "dst_name": name}
    meta: dict[str, Any] = {"max_hops": int(match["max"]), "packet_bytes": int(match["length"])}
    if match["vpn"]:
        meta["vpn_instance"] = match["vpn"]
    return fields, meta


def _command_facts(command: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a tracert command line says: ``-a`` source, ``-vpn-instance`` name.

    >>> fields, meta = _command_facts("tracert -v -a 192.0.2.1 -vpn-instance abc 192.0.2.9")
    >>> fields, meta["vpn_instance"]
    ({'src': '192.0.2.1'}, 'abc')
    """
    words = command.split()
    fields: dict[str, Any] = {}
    meta: dict[str, Any] = {"command": command}
    for flag, value in itertools.pairwise(words):
        if flag == "-a" and is_address(value):
            fields["src"] = value
        elif flag == "-vpn-instance":
            meta["vpn_instance"] = value
    return fields, meta


def _line_kind(line: str) -> tuple[str, Any]:
    """What one line is: a command, a prompt, a header, a hop or something else."""
    prompt = _PROMPT.match(line)
    if prompt:
        command = prompt["command"].strip()
        return ("command", command) if _COMMAND.match(command) else ("prompt", None)
    if _COMMAND.match(line.strip()) and not _HOP.match(line):
        return "echo", line.strip()
    header = _HEADER.match(line)
    if header:
        return "header", header
    hop = _HOP.match(line)
    return ("hop", hop) if hop else ("other", None)


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; a :class:`ParseError` for each line that cannot be read."""
    current: _Builder | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        kind, value = _line_kind(line)
        if kind in ("command", "prompt") or (kind == "header" and current and current.hops):
            if current is not None and (current.hops or "dst" in current.fields):
                yield current.build()
            current = None
        if kind in ("command", "echo"):
            if current is None or current.hops:
                current = _Builder(source, number)
            fields, meta = _command_facts(value)
            current.fields.update(fields)
            current.meta.update(meta)
        elif kind == "header":
            current = current or _Builder(source, number)
            fields, meta = _header_fields(value)
            current.fields.update(fields)
            current.meta.update(meta)
        elif kind == "hop":
            current = current or _Builder(source, number)
            replies, problems = parse_hop(value["body"])
            if problems or not replies:
                why = "; ".join(problems) or "no address, RTT or '*'"
                yield ParseError(f"not a tracert hop line ({why}): {line.strip()[:80]!r}",
                                 path=source, line=number)  # fmt: skip
            if replies:
                current.hops.append(Hop(ttl=int(value["ttl"]), replies=tuple(replies)))
        elif kind == "other":
            yield ParseError(f"not a tracert line: {line.strip()[:80]!r}", path=source, line=number)
    if current is not None and (current.hops or "dst" in current.fields):
        yield current.build()
