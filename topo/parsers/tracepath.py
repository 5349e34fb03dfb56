"""iputils ``tracepath`` / ``tracepath6`` / ``tracepath -6`` text output.

tracepath prints one line per answered probe (so a TTL may have several lines, and
different responders) and ``N:  no reply`` for a TTL nobody answered::

     1?: [LOCALHOST]                      pmtu 1500
     1:  192.168.1.1                                           0.069ms
     1:  192.168.1.1                                           0.017ms
     2:  cgnat.isp.example                                     0.025ms asymm  3
     3:  r3.example.net (13.208.0.2)                           0.031ms pmtu 1400
     4:  no reply
     5:  13.209.0.10                                           0.188ms reached
         Resume: pmtu 1400 hops 5 back 5

Read here:

- ``-n`` (addresses), names (the default prints only the name of a host that has one:
  such a reply has ``addr`` ``None`` and ``name`` set), ``-b`` (``name (addr)``);
- ``N?:`` (a TTL tracepath had to guess), ``[LOCALHOST]`` (the local MTU line: not a hop,
  its pmtu goes to ``meta["local_pmtu"]``), ``asymm N`` (before or after the RTT),
  ``pmtu N`` changes, ``reached``, ``!H !N !P !A`` and other ``!`` flags,
  ``send failed`` (a silent reply), ``Too many hops`` and ``Resume: pmtu P hops H back B``;
- late replies printed under an earlier TTL: they join that TTL's hop, and a TTL without
  any line in between becomes a silent hop.

tracepath prints no header: ``dst`` is the host that said ``reached`` (when its address
is printed), ``reached`` is true when a line says ``reached``, false when the run ended
(``Resume`` or ``Too many hops``) without it, unknown for a cut output. A new trace starts
at a ``[LOCALHOST]`` line or at a hop line after ``Resume``. ``meta`` keeps ``pmtu``,
``hops``, ``back``, ``asymm`` (``[[ttl, hops], ...]``), ``pmtu_changes``
(``[[ttl, pmtu], ...]``) and ``guessed_ttls``.

Example
-------
>>> text = ''' 1?: [LOCALHOST]                      pmtu 1500
...  1:  192.168.1.1                                           0.069ms
...  2:  no reply
...  3:  13.209.0.10                                           0.188ms reached
...      Resume: pmtu 1500 hops 3 back 3 '''
>>> [trace] = parse(text, source="tp.txt")
>>> trace.dst, trace.reached, [(h.ttl, h.addresses) for h in trace.hops]
('13.209.0.10', True, [(1, ('192.168.1.1',)), (2, ()), (3, ('13.209.0.10',))])
>>> trace.meta["pmtu"], trace.hops[0].replies[0].rtt_ms
(1500, 0.069)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, Origin, Reply, Trace
from topo.parsers.base import ParseItem, may_have_attached_ms, non_blank_lines

NAME = "tracepath"
DESCRIPTION = "iputils tracepath / tracepath6 text: -n, names, -b, asymm, pmtu, reached, Resume"
DETECTION = "'N?: [LOCALHOST]' or 'Resume: pmtu' lines, or hop lines 'N:  host  0.512ms'"

_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})(?P<guess>\?)?:\s+(?P<body>\S(?:.*\S)?)\s*$")
_RESUME = re.compile(
    r"^\s*Resume:\s+pmtu\s+(?P<pmtu>\d+)(?:\s+hops\s+(?P<hops>\d+))?(?:\s+back\s+(?P<back>\d+))?"
)
_TOO_MANY = re.compile(r"^\s*Too many hops:\s+pmtu\s+(?P<pmtu>\d+)")
_RTT = re.compile(r"^(?P<ms>\d+(?:\.\d+)?)ms$")
_SNIFF_HOP = re.compile(r"^\s?\d{1,3}\??:\s+(?:no reply|\S+(?:\s+\(\S+\))?\s+.*\d+\.\d+ms)")
_BROKEN = "(This broken router returned corrupted payload)"


def sniff(head: str) -> bool:
    """A ``[LOCALHOST]`` or ``Resume: pmtu`` line, or two ``N:  host  ...ms`` lines.

    A head without ``Resume:``, ``[LOCALHOST]``, ``no reply`` or an RTT written ``0.5ms``
    has none of these (a few substring searches instead of reading it line by line: every
    input file asks); :func:`_sniff_lines` is the reference.
    """
    if not (
        "Resume:" in head
        or "[LOCALHOST]" in head
        or "no reply" in head
        or may_have_attached_ms(head)
    ):
        return False
    return _sniff_lines(non_blank_lines(head))


def _sniff_lines(lines: tuple[str, ...]) -> bool:
    """:func:`sniff`, line by line (the reference)."""
    for line in lines:
        if _RESUME.match(line) or (_HOP.match(line) and "[LOCALHOST]" in line):
            return True
    return sum(1 for line in lines if _SNIFF_HOP.match(line)) >= 2


@dataclass
class _Builder:
    source: str
    line: int
    replies: dict[int, list[Reply]] = field(default_factory=lambda: defaultdict(list))
    meta: dict[str, Any] = field(default_factory=dict)
    dst: str | None = None
    dst_name: str | None = None
    reached: bool | None = None
    ended: bool = False

    def note(self, key: str, value: Any) -> None:
        self.meta.setdefault(key, []).append(value)

    def build(self) -> Trace:
        hops: list[Hop] = []
        if self.replies:
            for ttl in range(min(self.replies), max(self.replies) + 1):
                hops.append(Hop(ttl, tuple(self.replies.get(ttl) or (Reply(None),))))
        reached = self.reached
        if reached is None and self.ended:
            reached = False
        return Trace(
            dst=self.dst,
            hops=tuple(hops),
            dst_name=self.dst_name,
            protocol="udp",
            reached=reached,
            format=NAME,
            origin=Origin(self.source, self.line),
            meta=self.meta,
        )

    @property
    def empty(self) -> bool:
        return not self.replies and not self.meta


def _host(tokens: list[str], problems: list[str]) -> tuple[str | None, str | None, int]:
    """``(addr, name, tokens used)`` of the host at the start of a hop body."""
    host = tokens[0]
    nxt = tokens[1] if len(tokens) > 1 else ""
    if nxt.startswith("(") and nxt.endswith(")"):
        inner = nxt[1:-1]
        if not is_address(inner):
            problems.append(f"not an address: {inner!r}")
            return None, host, 2
        return inner, None if host == inner else host, 2
    if is_address(host):
        return host, None, 1
    return None, host, 1


def _read_hop(ttl: int, body: str, builder: _Builder) -> list[str]:
    """Add the reply of one hop line to ``builder``; returns the problems found."""
    problems: list[str] = []
    body = body.replace(_BROKEN, " ").strip()
    if body in ("no reply", "send failed"):
        builder.replies[ttl].append(Reply(None))
        if body == "send failed":
            builder.note("send_failed_ttls", ttl)
        return problems
    tokens = body.split()
    local = tokens[0] == "[LOCALHOST]"
    addr, name, used = (None, None, 1) if local else _host(tokens, problems)
    rtt: float | None = None
    flags: list[str] = []
    reached = False
    i = used
    while i < len(tokens):
        token, nxt = tokens[i], tokens[i + 1] if i + 1 < len(tokens) else ""
        rtt_match = _RTT.match(token)
        if rtt_match:
            rtt = float(rtt_match["ms"])
        elif token in ("asymm", "pmtu") and nxt.isdecimal():
            if local and token == "pmtu":
                builder.meta["local_pmtu"] = int(nxt)
            elif token == "pmtu":
                builder.note("pmtu_changes", [ttl, int(nxt)])
            else:
                builder.note("asymm", [ttl, int(nxt)])
            i += 1
        elif token == "reached":
            reached = True
        elif token.startswith("!"):
            flags.append(token)
        else:
            problems.append(f"unexpected {token!r}")
        i += 1
    if local:
        return problems
    builder.replies[ttl].append(Reply(addr, rtt, name=name, flags=tuple(flags)))
    if reached:
        builder.reached = True
        builder.dst, builder.dst_name = addr, name
    return problems


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every tracepath run in ``text``; unreadable lines become :class:`ParseError` items."""
    builder: _Builder | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        hop = _HOP.match(line)
        if hop:
            ttl = int(hop["ttl"])
            starts = "[LOCALHOST]" in hop["body"] or (builder is not None and builder.ended)
            if builder is None or (starts and not builder.empty):
                if builder is not None:
                    yield builder.build()
                builder = _Builder(source, number)
            if hop["guess"] and "[LOCALHOST]" not in hop["body"]:
                builder.note("guessed_ttls", ttl)
            problems = _read_hop(ttl, hop["body"], builder)
            if problems:
                message = f"hop {ttl}: " + "; ".join(problems)
                yield ParseError(message, path=source, line=number)
            continue
        resume, too_many = _RESUME.match(line), _TOO_MANY.match(line)
        if (resume or too_many) and builder is not None:
            if resume:
                builder.meta["pmtu"] = int(resume["pmtu"])
                for key in ("hops", "back"):
                    if resume[key] is not None:
                        builder.meta[key] = int(resume[key])
            else:
                builder.meta["too_many_hops"] = True
            builder.ended = True
            continue
        yield ParseError(f"not a tracepath line: {line.strip()[:80]!r}", path=source, line=number)
    if builder is not None and not builder.empty:
        yield builder.build()
