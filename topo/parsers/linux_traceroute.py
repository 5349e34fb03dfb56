"""Linux traceroute text output (Dmitry Butskoy's ``traceroute``, the classic LBL one, iputils).

Reads what ``traceroute`` and ``traceroute6`` print, in all their common variants:

- ``-n`` (addresses only) and with names (``host (addr)``);
- several answering addresses on one hop line (load balancing), ``* * *`` and partial stars;
- flags after an RTT: ``!H !N !P !S !F-<mtu> !X !V !C !<n>``;
- ``-A``: the AS path lookup, ``[AS16509]``, ``[*]`` or several ``[AS1/AS2]``;
- ``-e``: ICMP extensions, ``<MPLS:L=24001,E=0,S=1,T=1/L=...>``;
- ``-q N`` (any number of probes), ``--mtu`` (``F=1500``) and ``--back`` (``'-3'``) marks;
- IPv6, a missing header, a warning line first, several traces one after the other;
- RTTs written ``0.512 ms`` or ``0.512ms`` (inetutils), ``<1 ms``;
- the shell around a pasted trace: the command that produced it (``user@host:~$
  traceroute -I 8.8.8.8``, with or without the prompt) is kept in ``meta["command"]``, a
  prompt alone is skipped, and a header with the prompt in front (``$ traceroute to ...``)
  or with its first letter lost in the copy (``raceroute to ...``) is still the header.

Example
-------
>>> text = '''traceroute to 13.115.231.114 (13.115.231.114), 30 hops max, 60 byte packets
...  1  13.208.0.67  0.512 ms 13.208.0.69  0.601 ms  0.588 ms
...  2  100.65.1.9  1.1 ms !H  *  1.3 ms'''
>>> [trace] = parse(text, source="ex.txt")
>>> trace.dst, trace.ip_path
('13.115.231.114', (('13.208.0.67', '13.208.0.69'), ('100.65.1.9',)))
>>> trace.hops[1].replies[0].flags, trace.hops[1].replies[1].addr
(('!H',), None)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines, reached_from
from topo.parsers.shell import PROMPT, is_bare_prompt, shell_command

NAME = "linux-traceroute"
DESCRIPTION = "Linux traceroute/traceroute6 text (Butskoy, LBL, iputils): -n, names, -A, -e, -q"
DETECTION = "a 'traceroute to HOST (ADDR)' header, or hop lines 'N  host|addr|*  ...ms'"

_HEADER = re.compile(
    r"^\s*traceroute6?\s+to\s+(?P<target>\S+)(?:\s+\((?P<addr>[^)]*)\))?"
    r"(?:\s+from\s+(?P<src>[^\s,]+))?,?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})(?:\s+(?P<body>.*))?$")
_CONTINUATION = re.compile(r"^\s+(?P<body>\S.*)$")
_RTT = re.compile(r"^(?P<lt><)?(?P<num>\d+(?:\.\d+)?)(?P<ms>ms|msec)?$")
_MPLS_ENTRY = re.compile(r"L=(?P<l>\d+),E=(?P<e>\d+),S=(?P<s>\d+),T=(?P<t>\d+)")
_ASN = re.compile(r"^AS?(\d+)$", re.IGNORECASE)
_MARK = re.compile(r"^(?:F=\d+|'-?\d+')$")
_WARNING = re.compile(r"^\s*(?:traceroute6?:|warning:)", re.IGNORECASE)
_HEADER_NUMBERS = re.compile(r"(\d+)\s+hops?\s+max(?:,\s*(\d+)\s+byte\s+packets)?", re.I)
#: A header as copies damage it: a shell prompt in front, the first letter lost.
_DAMAGED_HEADER = re.compile(rf"^\s*(?:{PROMPT}\s*)?t?(?P<rest>raceroute6?\s+to\s.*)$", re.I)
#: The programs whose command line may come before their output.
_PROGRAMS = ("traceroute", "traceroute6", "tcptraceroute")


def sniff(head: str) -> bool:
    """A traceroute header, or two hop lines whose first field is an address, name or star."""
    lines = non_blank_lines(head)
    if any(_HEADER.match(line) for line in lines[:5]):
        return True
    hop_lines = 0
    for line in lines:
        match = _HOP.match(line)
        body = (match.group("body") or "") if match else ""
        first = body.split()[0] if body.split() else ""
        looks_like_hop = match and first and not _RTT.match(first) and first.lower() != "ms"
        if looks_like_hop and ("ms" in body or body.replace("*", "").strip() == ""):
            hop_lines += 1
    return hop_lines >= 2


@dataclass
class _HopBuilder:
    """Accumulates the replies of one hop line (and its continuation lines)."""

    ttl: int
    line: int
    replies: list[Reply] = field(default_factory=list)
    addr: str | None = None
    name: str | None = None
    asn: tuple[int, ...] | None = None
    mpls: tuple[MplsLabel, ...] = ()
    pending_host: str | None = None
    pending_asn: tuple[int, ...] | None = None
    pending_marks: list[str] = field(default_factory=list)

    def set_address(self, addr: str, name: str | None) -> None:
        self.addr, self.name, self.mpls = addr, name, ()
        self.asn, self.pending_asn = self.pending_asn, None

    def add_reply(self, rtt: float | None) -> None:
        self.replies.append(
            Reply(
                addr=self.addr,
                rtt_ms=rtt,
                name=self.name,
                flags=tuple(self.pending_marks),
                asn=self.asn,
                mpls=self.mpls,
            )
        )
        self.pending_marks = []

    def add_flag(self, flag: str) -> bool:
        if not self.replies or self.replies[-1].addr is None:
            return False
        last = self.replies[-1]
        self.replies[-1] = replace(last, flags=(*last.flags, flag))
        return True

    def build(self) -> Hop:
        return Hop(ttl=self.ttl, replies=tuple(self.replies))


def _parse_asn(inner: str) -> tuple[int, ...] | None:
    """``AS16509/AS14618`` -> ``(16509, 14618)``; ``*`` and ``AS0`` -> ``()`` (AS 0 is no AS:
    the BSD tools' ``-a`` print it when their look-up found none); unreadable -> ``None``.

    >>> _parse_asn("AS16509/AS14618"), _parse_asn("*"), _parse_asn("AS0"), _parse_asn("x")
    ((16509, 14618), (), (), None)
    """
    if inner.strip() == "*":
        return ()
    numbers = []
    for part in re.split(r"[/,\s]+", inner.strip()):
        match = _ASN.match(part)
        if not match:
            return None
        if int(match.group(1)) != 0:
            numbers.append(int(match.group(1)))
    return tuple(numbers)


def _parse_mpls(inner: str) -> tuple[MplsLabel, ...] | None:
    labels = []
    for entry in inner.split("/"):
        match = _MPLS_ENTRY.fullmatch(entry.strip())
        if not match:
            return None
        labels.append(
            MplsLabel(
                label=int(match["l"]),
                exp=int(match["e"]),
                s=match["s"] != "0",
                ttl=int(match["t"]),
            )
        )
    return tuple(labels)


def _consume(builder: _HopBuilder, body: str) -> list[str]:
    """Read the tokens of a hop body into ``builder``; returns the problems found."""
    problems: list[str] = []
    tokens = body.split()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        rtt = _RTT.match(token)
        if token == "*":
            _flush_pending_host(builder, problems)
            builder.replies.append(Reply(None))
        elif rtt and (rtt["ms"] or nxt.lower() in ("ms", "msec")):
            _flush_pending_host(builder, problems)
            if builder.addr is None:
                problems.append(f"RTT {token!r} before any address in hop {builder.ttl}")
            else:
                builder.add_reply(float(rtt["num"]))
            if not rtt["ms"]:
                i += 1
        elif token.startswith("(") and token.endswith(")") and is_address(token[1:-1]):
            addr = token[1:-1]
            name = builder.pending_host
            builder.pending_host = None
            builder.set_address(addr, None if name in (None, addr) else name)
        elif (
            token.startswith("(")
            and token.endswith(")")
            and builder.pending_host is None
            and i > 0
            and tokens[i - 1] == builder.addr
        ):  # inetutils prints "addr (name)"
            name = token[1:-1]
            builder.name = None if name == builder.addr else name
        elif token.startswith("[") and token.endswith("]"):
            asn = _parse_asn(token[1:-1])
            if asn is None:
                problems.append(f"unreadable AS number {token!r} in hop {builder.ttl}")
            elif (
                builder.pending_host is None
                and builder.addr is not None
                and not _after_rtt(tokens, i)
            ):
                builder.asn = asn
            else:
                builder.pending_asn = asn
        elif token.startswith("<") and token.endswith(">"):
            inner = token[1:-1]
            if inner.upper().startswith("MPLS:"):
                mpls = _parse_mpls(inner[5:])
                if mpls is None:
                    problems.append(f"unreadable MPLS extension {token!r} in hop {builder.ttl}")
                else:
                    builder.mpls = mpls
            # other ICMP extension objects carry nothing topo models; they are skipped
        elif token.startswith("!"):
            if not builder.add_flag(token):
                problems.append(f"flag {token!r} without a reply in hop {builder.ttl}")
        elif _MARK.match(token):
            builder.pending_marks.append(token)
        elif is_address(token) and not (nxt[:1] == "(" and is_address(nxt[1:-1])):
            _flush_pending_host(builder, problems)
            builder.set_address(token, None)
        else:
            _flush_pending_host(builder, problems)
            builder.pending_host = token
        i += 1
    _flush_pending_host(builder, problems)
    return problems


def _after_rtt(tokens: list[str], index: int) -> bool:
    """True when the token before ``index`` closed an RTT (``ms``), not an address."""
    return index > 0 and tokens[index - 1].lower().endswith(("ms", "msec"))


def _flush_pending_host(builder: _HopBuilder, problems: list[str]) -> None:
    """A name not followed by ``(addr)``: keep it as a name-only answer and say so."""
    if builder.pending_host is not None:
        host = builder.pending_host
        builder.pending_host = None
        problems.append(f"unexpected {host!r} in hop {builder.ttl} (a name without an address)")


def _header(line: str) -> re.Match[str] | None:
    """The header ``line`` is, also behind a prompt or without its first letter."""
    match = _HEADER.match(line)
    if match or "raceroute" not in line:
        return match
    damaged = _DAMAGED_HEADER.match(line)
    return _HEADER.match("t" + damaged["rest"]) if damaged else None


def _header_trace_fields(match: re.Match[str]) -> dict[str, Any]:
    target, addr = match["target"].rstrip(","), (match["addr"] or "").strip()
    fields: dict[str, Any] = {"meta": {}}
    if addr and is_address(addr):
        fields["dst"] = addr
        fields["dst_name"] = None if target == addr else target
    elif is_address(target):
        fields["dst"] = target
    else:
        fields["dst_name"] = target
    if match["src"] and is_address(match["src"]):
        fields["src"] = match["src"]
    numbers = _HEADER_NUMBERS.search(match["rest"] or "")
    if numbers:
        fields["meta"]["max_hops"] = int(numbers.group(1))
        if numbers.group(2):
            fields["meta"]["packet_bytes"] = int(numbers.group(2))
    return fields


@dataclass
class _TraceBuilder:
    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=lambda: {"meta": {}})
    hops: list[Hop] = field(default_factory=list)
    format_name: str = NAME

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        reached = reached_from(dst, self.hops)
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            src=self.fields.get("src"),
            dst_name=self.fields.get("dst_name"),
            reached=reached,
            format=self.format_name,
            origin=Origin(self.source, self.line),
            meta=self.fields["meta"],
        )


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; unreadable lines become :class:`ParseError` items."""
    return parse_traceroute_text(text, source=source, format_name=NAME)


def parse_traceroute_text(text: str, *, source: str, format_name: str) -> Iterator[ParseItem]:
    """The traceroute text engine, shared by the parsers of its close relatives.

    ``format_name`` is what the traces record as their format.
    """
    current: _TraceBuilder | None = None
    hop: _HopBuilder | None = None
    command: str | None = None  # the shell command that ran the next trace

    def finish_hop() -> None:
        nonlocal hop
        if hop is not None and current is not None:
            current.hops.append(hop.build())
        hop = None

    def new_trace(number: int, fields: dict[str, Any] | None = None) -> _TraceBuilder:
        nonlocal command
        builder = _TraceBuilder(source, number, format_name=format_name)
        if fields is not None:
            builder.fields = fields
        if command is not None:
            builder.fields["meta"] = {"command": command, **builder.fields["meta"]}
            command = None
        return builder

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        header = _header(line)
        if header:
            finish_hop()
            fields = _header_trace_fields(header)
            if current is not None:
                if current.hops or "dst" in current.fields:
                    yield current.build()
                else:  # only warning lines so far: they belong to this trace
                    fields["meta"] = {**current.fields["meta"], **fields["meta"]}
            current = new_trace(number, fields)
            continue
        hop_line = _HOP.match(line)
        if hop_line:
            ttl = int(hop_line["ttl"])
            finish_hop()
            if current is None or (current.hops and ttl <= current.hops[-1].ttl):
                if current is not None:
                    yield current.build()
                current = new_trace(number)
            hop = _HopBuilder(ttl, number)
            problems = _consume(hop, hop_line["body"] or "")
            if not hop.replies:
                problems = [f"not a hop line (no address, RTT or '*'): {line.strip()[:80]!r}"]
                hop = None
            if problems:
                yield ParseError("; ".join(problems), path=source, line=number)
            continue
        continuation = _CONTINUATION.match(line)
        if continuation and hop is not None:
            problems = _consume(hop, continuation["body"])
            if problems:
                yield ParseError("; ".join(problems), path=source, line=number)
            continue
        if _WARNING.match(line) and (current is None or not current.hops):
            if current is None:
                current = new_trace(number)
            current.fields["meta"].setdefault("warnings", []).append(line.strip())
            continue
        typed = shell_command(line, _PROGRAMS) if "traceroute" in line else None
        if typed is not None:  # the command that ran the next trace
            finish_hop()
            if current is not None and (current.hops or "dst" in current.fields):
                yield current.build()
                current = None
            if current is not None:  # only warnings so far
                current.fields["meta"]["command"] = typed
            else:
                command = typed
            continue
        if is_bare_prompt(line):  # the shell waiting: nothing to read
            continue
        yield ParseError(f"not a traceroute line: {line.strip()[:80]!r}", path=source, line=number)
    finish_hop()
    if current is not None and (current.hops or "dst" in current.fields):
        yield current.build()
