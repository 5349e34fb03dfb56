"""mtr ``--raw`` output: the stream of events mtr logs while it probes, with real RTTs.

Lines (``<pos>`` is mtr's 0-based hop index, so the TTL is ``pos + 1``):

``x <pos> <seq>``
    a probe sent (mtr 0.87+);
``h <pos> <addr>``
    an address answered at ``pos``; printed just before the ``p`` line of that answer
    when the position's address changes (mtr 0.95 prints it again each time the
    answering address changes; older versions only for a new address);
``p <pos> <usec> <seq>``
    a reply after ``usec`` microseconds to probe ``seq`` (old versions: no ``seq``);
``d <pos> <name>``
    the name of the position's first address (without ``-n``);
``m <pos> <label> <tc> <s> <ttl>``
    an MPLS label of the last ``h`` (``-e``);
``t ...``
    a timestamp line (never implemented by mtr; skipped).

Every ``p`` line becomes a :class:`~topo.model.Reply` with ``rtt_ms = usec / 1000`` and
the address of the last ``h`` line of its position; every ``x`` without an answer is a
``Reply(None)``. With ECMP one position has several addresses. Positions nobody answered
between answered ones become silent hops.

The stream has no header: the target is not printed. mtr probes one TTL past the
destination once, and the destination answers there too: when the last answering
positions are the same single address, that address is the destination (``dst``,
``reached=True``, ``meta["dst_inferred"]``) and the positions after its first appearance
are dropped (``meta["dropped_after_destination"]``), as mtr's own display does. When the
run ended on unanswered probes, ``reached`` is ``False`` and silent positions are kept up
to one past the last answer (mtr's ``net_max``); otherwise ``reached`` is ``None``.
One file holds one run.

Example
-------
>>> text = '''x 0 33000
... h 0 192.168.1.1
... p 0 90 33000
... x 1 33001
... x 2 33002
... h 2 13.209.0.10
... p 2 130 33002
... x 3 33003
... h 3 13.209.0.10
... p 3 139 33003
... x 0 33004
... p 0 84 33004'''
>>> [trace] = parse(text, source="raw.txt")
>>> trace.ip_path, trace.dst, trace.reached
((('192.168.1.1',), (), ('13.209.0.10',)), '13.209.0.10', True)
>>> trace.hops[0].rtts, [r.addr for r in trace.hops[1].replies]
((0.09, 0.084), [None])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines

NAME = "mtr-raw"
DESCRIPTION = "mtr --raw event stream (x/h/p/d/m lines): real per-probe RTTs, ECMP addresses"
DETECTION = "every line 'x|h|p|d|m|t <pos> ...' (mtr --raw), with h, p or x lines"

_LINE = re.compile(r"^(?P<kind>[xhpdmt])\s+(?P<pos>\d{1,3})(?:\s+(?P<rest>\S(?:.*\S)?))?\s*$")
_MAX_POS = 255


def sniff(head: str) -> bool:
    """The first lines are all raw events, and some are ``x``, ``h`` or ``p`` lines."""
    lines = non_blank_lines(head, limit=20)
    if len(lines) < 2 or not all(_LINE.match(line.strip()) for line in lines):
        return False
    return any(line.strip()[0] in "xhp" for line in lines)


@dataclass
class _Probe:
    """One probe (``x``) and its answer, or an answer without a known probe."""

    seq: int | None
    addr: str | None = None
    usec: int | None = None
    mpls: tuple[MplsLabel, ...] = ()


@dataclass
class _Stream:
    probes: dict[int, list[_Probe]] = field(default_factory=dict)
    by_seq: dict[int, _Probe] = field(default_factory=dict)
    last_addr: dict[int, str] = field(default_factory=dict)
    first_addr: dict[int, str] = field(default_factory=dict)
    mpls: dict[tuple[int, str], tuple[MplsLabel, ...]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    sent_any: bool = False

    def xmit(self, pos: int, seq: int) -> None:
        probe = _Probe(seq)
        self.probes.setdefault(pos, []).append(probe)
        self.by_seq[seq] = probe
        self.sent_any = True

    def ping(self, pos: int, usec: int, seq: int | None) -> str | None:
        addr = self.last_addr.get(pos)
        if addr is None:
            return f"reply at position {pos} before any 'h' line names its address"
        probe = self.by_seq.pop(seq, None) if seq is not None else None
        if probe is None:
            probe = _Probe(seq)
            self.probes.setdefault(pos, []).append(probe)
        probe.addr, probe.usec = addr, usec
        probe.mpls = self.mpls.get((pos, addr), ())
        return None


_SIGNED = re.compile(r"-?\d+")  # what int() reads ('--1' and '²' are not)


def _read(stream: _Stream, kind: str, pos: int, rest: str) -> str | None:
    """Apply one event to ``stream``; a problem or ``None``."""
    words = rest.split()
    if kind == "x" and len(words) == 1 and words[0].isdecimal():
        stream.xmit(pos, int(words[0]))
    elif kind == "h" and len(words) == 1 and is_address(words[0]):
        stream.last_addr[pos] = words[0]
        stream.first_addr.setdefault(pos, words[0])
    elif kind == "p" and 1 <= len(words) <= 2 and all(_SIGNED.fullmatch(w) for w in words):
        return stream.ping(pos, int(words[0]), int(words[1]) if len(words) == 2 else None)
    elif kind == "d" and len(words) == 1:
        addr = stream.first_addr.get(pos)  # mtr names the position's first address
        if addr is not None and words[0] != addr:
            stream.names.setdefault(addr, words[0])
    elif kind == "m" and len(words) == 4 and all(w.isdecimal() for w in words):
        addr = stream.last_addr.get(pos)
        if addr is None:
            return f"MPLS label at position {pos} before any 'h' line"
        label, tc, s, ttl = (int(w) for w in words)
        old = stream.mpls.get((pos, addr), ())
        stream.mpls[(pos, addr)] = (*old, MplsLabel(label, exp=tc, s=s != 0, ttl=ttl))
    elif kind != "t":
        return f"unreadable raw line ({kind!r} with {rest!r})"
    return None


def _hop(pos: int, probes: list[_Probe], names: dict[str, str]) -> Hop:
    replies = tuple(
        Reply(None)
        if p.addr is None
        else Reply(
            p.addr,
            None if p.usec is None else p.usec / 1000.0,
            name=names.get(p.addr),
            mpls=p.mpls,
        )
        for p in probes
    )
    return Hop(ttl=pos + 1, replies=replies or (Reply(None),))


def _ending(hops: list[Hop], sent_any: bool) -> tuple[list[Hop], dict[str, Any]]:
    """Trim the run as mtr displays it and tell whether it reached its destination."""
    answered = [i for i, hop in enumerate(hops) if not hop.is_silent]
    facts: dict[str, Any] = {"dst": None, "reached": None, "meta": {}}
    if not answered:
        facts["reached"] = False if sent_any and hops else None
        return hops[:1], facts
    last = answered[-1]
    final = hops[last].addresses
    if len(final) == 1:
        first = next(i for i in answered if hops[i].addresses == final)
        between = (hops[i].addresses in (final, ()) for i in range(first, last + 1))
        if first < last and all(between):
            facts.update(dst=final[0], reached=True)
            dropped = len(hops) - 1 - first
            facts["meta"] = {"dst_inferred": True, "dropped_after_destination": dropped}
            return hops[: first + 1], facts
    if sent_any and last < len(hops) - 1:
        facts["reached"] = False
        return hops[: last + 2], facts
    return hops, facts


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """The run in ``text``; a :class:`ParseError` for each line that cannot be read."""
    stream = _Stream()
    first_line: int | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _LINE.match(line)
        pos = int(match["pos"]) if match else -1
        if match is None or pos > _MAX_POS:
            yield ParseError(f"not an mtr raw line: {line[:80]!r}", path=source, line=number)
            continue
        problem = _read(stream, match["kind"], pos, match["rest"] or "")
        if problem:
            yield ParseError(problem, path=source, line=number)
            continue
        first_line = first_line or number
    if first_line is None or not stream.probes:
        if first_line is None:
            yield ParseError("no mtr raw events", path=source, line=1)
        return
    top = max(stream.probes)
    hops = [_hop(pos, stream.probes.get(pos, []), stream.names) for pos in range(top + 1)]
    hops, facts = _ending(hops, stream.sent_any)
    yield Trace(
        dst=facts["dst"],
        hops=tuple(hops),
        reached=facts["reached"],
        format=NAME,
        origin=Origin(source, first_line),
        meta=facts["meta"],
    )
