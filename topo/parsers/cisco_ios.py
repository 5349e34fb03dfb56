"""Cisco IOS, IOS-XE and IOS-XR ``traceroute`` text output.

Reads what the router prints, with or without the prompt and the command echoed before it::

    Router#traceroute 10.1.1.1
    Type escape sequence to abort.
    Tracing the route to 10.1.1.1
    VRF info: (vrf in name/id, vrf out name/id)
      1 10.0.0.1 [MPLS: Label 16 Exp 0] 4 msec 4 msec 4 msec
      2 core.example.net (10.0.0.5) [AS 65000] 8 msec
        10.0.0.9 8 msec *
      3 10.1.1.1 !H  *  !H

- one RTT per probe (``N msec``), ``*`` for no answer, ``!H !N !P !A !U !Q ...`` for an
  unreachable answer (kept as printed, as a reply with no RTT), ``?`` (unknown packet type);
- several responders for one TTL: an address (or ``name (addr)``) anywhere on the hop
  line, or on a continuation line (indented, no TTL), starts the replies of that responder;
- ``[AS 65000]`` (the AS lookup) and ``[MPLS: Label 16 Exp 0]`` / ``[MPLS: Labels
  16052/16062/39 Exp 0]`` (RFC 4950 labels, top first; the printed ``Exp`` is given to the
  top label, ``S`` is set on the last one, the label TTL is not printed);
- IOS-XE VRF hops ``8 10.1.1.2 (red/1001, blue/2001)`` (an address with no probe result:
  one reply with no RTT; the VRF text is kept in ``meta["hop_vrf"]``);
- the extended-traceroute dialogue (``Protocol [ip]:`` ...), IOS-XR's timestamp line, the
  ``VRF info`` legend and ``Translating "name"...`` lines; a TTL that goes down starts the
  next trace, so several runs in one file are read apart.

IOS times are whole milliseconds (``0 msec`` means under one; ``meta["rtt_resolution_ms"]``
is 1). ``reached`` is whether the target address answered. MPLS LSP traceroute
(``traceroute mpls ...``) is a different format and is not read.

Example
-------
>>> text = '''Type escape sequence to abort.
... Tracing the route to 10.1.1.1
...   1 10.0.0.1 [MPLS: Labels 16/24 Exp 0] 4 msec 4 msec 4 msec
...   2 10.0.0.5 8 msec
...     10.0.0.9 8 msec *
...   3 10.1.1.1 12 msec *  12 msec'''
>>> [trace] = parse(text, source="r1.log")
>>> trace.ip_path, trace.reached
((('10.0.0.1',), ('10.0.0.5', '10.0.0.9'), ('10.1.1.1',)), True)
>>> [m.label for m in trace.hops[0].replies[0].mpls], trace.hops[1].replies[2].addr
([16, 24], None)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, ascii_lower, non_blank_lines, reached_from

NAME = "cisco-ios"
DESCRIPTION = "Cisco IOS / IOS-XE / IOS-XR traceroute text (msec RTTs, MPLS labels, AS numbers)"
DETECTION = (
    "'Type escape sequence to abort.' / 'Tracing the route to', or hop lines whose RTTs are "
    "'N msec'"
)

_ESCAPE = re.compile(r"^\s*Type escape sequence to abort\.?\s*$", re.IGNORECASE)
_HEADER = re.compile(
    r"^\s*Tracing the route to\s+(?P<target>\S+)(?:\s+\((?P<addr>[^)]+)\))?\s*$", re.IGNORECASE
)
_VRF_LEGEND = re.compile(r"^\s*VRF info:", re.IGNORECASE)
_TRANSLATING = re.compile(r'^\s*Translating\s+"', re.IGNORECASE)
_COMMAND = re.compile(
    r"^\s*(?:(?P<prompt>\w[\w./:()-]*)[#>]\s*)?(?P<cmd>trace(?:route)?(?:\s+.*)?)$", re.IGNORECASE
)
_BARE_PROMPT = re.compile(r"^\s*\w[\w./:()-]*[#>]\s*$")
_DIALOG = re.compile(r"^\s*[A-Z][^:]{0,80}:\s*\S*\s*$")
_TIMESTAMP = re.compile(
    r"^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+\w{3}\s+\d{1,2}\s+\d\d:\d\d:\d\d(?:\.\d+)?\s+\S+\s*$"
)
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})(?:\s+(?P<body>\S(?:.*\S)?))?\s*$")
_CONTINUATION = re.compile(r"^\s+(?P<body>\S(?:.*\S)?)\s*$")
_TOKEN = re.compile(r"\[[^\]]*\]|\([^)]*\)|\S+")
_MSEC_HOP = re.compile(r"^\s*\d{1,3}\s+\S.*\b\d+\s+msec\b")
_MPLS = re.compile(
    r"^\[MPLS:\s*Labels?\s+(?P<labels>[\d/]+)(?:\s+Exp\s+(?P<exp>\d+))?\s*\]$", re.IGNORECASE
)
_ASN = re.compile(r"^\[AS\s*(?P<asns>[\d\s/,]+)\]$", re.IGNORECASE)


#: What any of the lines :func:`sniff` looks for must contain (one scan of the head first):
#: in an ASCII head's lower case as they are (about 20x cheaper than :data:`_HINT`), else
#: case-blind.
_HINT_WORDS = ("escape sequence", "tracing the route", "msec")
_HINT = re.compile("|".join(_HINT_WORDS), re.IGNORECASE)


def sniff(head: str) -> bool:
    """IOS's banner or header, or two hop lines with ``msec`` RTTs."""
    lowered = ascii_lower(head)
    if lowered is not None:
        if not any(word in lowered for word in _HINT_WORDS):
            return False
    elif _HINT.search(head) is None:
        return False
    return _sniff_lines(non_blank_lines(head))


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    if any(_ESCAPE.match(line) or _HEADER.match(line) for line in lines[:20]):
        return True
    return sum(1 for line in lines if _MSEC_HOP.match(line)) >= 2


def _parse_mpls(token: str) -> tuple[MplsLabel, ...] | None:
    match = _MPLS.match(token)
    if not match:
        return None
    labels = [int(x) for x in match["labels"].split("/") if x]
    exp = int(match["exp"]) if match["exp"] is not None else None
    return tuple(
        MplsLabel(label=label, exp=exp if i == 0 else None, s=i == len(labels) - 1)
        for i, label in enumerate(labels)
    )


@dataclass
class _HopBuilder:
    """The replies of one TTL, read from its hop line and continuation lines."""

    ttl: int
    replies: list[Reply] = field(default_factory=list)
    addr: str | None = None
    name: str | None = None
    asn: tuple[int, ...] | None = None
    mpls: tuple[MplsLabel, ...] = ()
    answered_since_addr: bool = True
    pending_name: str | None = None
    vrf: str | None = None

    def set_address(self, addr: str, name: str | None) -> None:
        self.close_address()
        self.addr, self.name, self.asn, self.mpls = addr, name, None, ()
        self.answered_since_addr = False

    def close_address(self) -> None:
        """An address printed with no probe result after it (IOS-XE VRF hops) still answered."""
        if self.addr is not None and not self.answered_since_addr:
            self.add(None)

    def add(self, rtt: float | None, flags: tuple[str, ...] = ()) -> None:
        self.replies.append(
            Reply(self.addr, rtt, name=self.name, flags=flags, asn=self.asn, mpls=self.mpls)
        )
        self.answered_since_addr = True

    def build(self) -> Hop:
        self.close_address()
        return Hop(ttl=self.ttl, replies=tuple(self.replies))


def _consume(hop: _HopBuilder, body: str) -> list[str]:
    """Read the tokens of a hop body (or continuation) into ``hop``; returns problems."""
    problems: list[str] = []
    tokens = _TOKEN.findall(body)
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if hop.pending_name is not None and not (token.startswith("(") and token.endswith(")")):
            problems.append(f"a name without an address in hop {hop.ttl}: {hop.pending_name!r}")
            hop.pending_name = None
        if token == "*":
            hop.replies.append(Reply(None))
        elif token.isdecimal() and nxt.lower() == "msec":
            if hop.addr is None:
                problems.append(f"RTT before any address in hop {hop.ttl}")
            else:
                hop.add(float(token))
            i += 1
        elif token.startswith("!") or token == "?":
            hop.add(None, (token,))
        elif token.startswith("(") and token.endswith(")"):
            inner = token[1:-1].strip()
            if is_address(inner):
                name = hop.pending_name
                hop.pending_name = None
                hop.set_address(inner, None if name in (None, inner) else name)
            elif hop.addr is not None:
                hop.vrf = inner
            else:
                problems.append(f"unexpected {token!r} in hop {hop.ttl}")
        elif token.startswith("[") and token.endswith("]"):
            _read_bracket(hop, token, problems)
        elif is_address(token) and not (nxt.startswith("(") and is_address(nxt[1:-1].strip())):
            hop.set_address(token, None)
        elif not token.isdecimal() and token.lower() != "msec":
            hop.pending_name = token
        else:
            problems.append(f"unexpected {token!r} in hop {hop.ttl}")
        i += 1
    if hop.pending_name is not None:
        problems.append(f"a name without an address in hop {hop.ttl}: {hop.pending_name!r}")
        hop.pending_name = None
    return problems


def _read_bracket(hop: _HopBuilder, token: str, problems: list[str]) -> None:
    mpls = _parse_mpls(token)
    asn = _ASN.match(token)
    if mpls is not None:
        hop.mpls = mpls
    elif asn:
        hop.asn = tuple(int(x) for x in re.split(r"[\s/,]+", asn["asns"].strip()) if x)
    else:
        problems.append(f"unreadable {token!r} in hop {hop.ttl}")


@dataclass
class _TraceBuilder:
    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)

    @property
    def has_content(self) -> bool:
        return bool(self.hops) or "dst" in self.fields or "dst_name" in self.fields

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        reached = reached_from(dst, self.hops)
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            dst_name=self.fields.get("dst_name"),
            reached=reached,
            format=NAME,
            origin=Origin(self.source, self.line),
            meta={**self.meta, "rtt_resolution_ms": 1},
        )


def _header_fields(match: re.Match[str]) -> dict[str, Any]:
    target, addr = match["target"], (match["addr"] or "").strip()
    if addr and is_address(addr):
        return {"dst": addr, "dst_name": None if target == addr else target}
    if is_address(target):
        return {"dst": target}
    return {"dst_name": target}


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; unreadable lines become :class:`ParseError` items."""
    current: _TraceBuilder | None = None
    hop: _HopBuilder | None = None

    def finish_hop() -> None:
        nonlocal hop
        if hop is not None and current is not None:
            current.hops.append(hop.build())
            if hop.vrf is not None:
                current.meta.setdefault("hop_vrf", {})[str(hop.ttl)] = hop.vrf
        hop = None

    def new_trace(number: int) -> Iterator[Trace]:
        nonlocal current
        finish_hop()
        if current is not None and current.has_content:
            yield current.build()
        current = _TraceBuilder(source, number)

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        command = _COMMAND.match(line)
        if command and not _HOP.match(line):
            yield from new_trace(number)
            assert current is not None
            current.meta["command"] = command["cmd"].strip()
            continue
        if _ESCAPE.match(line):
            if current is None or current.has_content:
                yield from new_trace(number)
            continue
        header = _HEADER.match(line)
        if header:
            if current is None or current.has_content:
                yield from new_trace(number)
            assert current is not None
            current.fields.update(_header_fields(header))
            continue
        if _VRF_LEGEND.match(line) or _TRANSLATING.match(line) or _BARE_PROMPT.match(line):
            continue
        if _TIMESTAMP.match(line):
            if current is None:
                current = _TraceBuilder(source, number)
            current.meta["timestamp"] = line.strip()
            continue
        hop_line = _HOP.match(line)
        if hop_line:
            ttl = int(hop_line["ttl"])
            finish_hop()
            if current is None or (current.hops and ttl <= current.hops[-1].ttl):
                yield from new_trace(number)
            hop = _HopBuilder(ttl)
            problems = _consume(hop, hop_line["body"] or "")
            if problems:
                yield ParseError("; ".join(problems), path=source, line=number)
            continue
        continuation = _CONTINUATION.match(line)
        if continuation and hop is not None and not line.lstrip().startswith(("-", "(")):
            problems = _consume(hop, continuation["body"])
            if problems:
                yield ParseError("; ".join(problems), path=source, line=number)
            continue
        if _DIALOG.match(line) and (current is None or not current.hops):
            continue  # the extended traceroute dialogue ('Protocol [ip]: ', ...)
        finish_hop()
        yield ParseError(f"not a traceroute line: {line.strip()[:80]!r}", path=source, line=number)
    finish_hop()
    if current is not None and current.has_content:
        yield current.build()
