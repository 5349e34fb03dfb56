"""NextTrace text (nxtrace/NTrace-core, ``nexttrace HOST``): a hop line, then its RTT line.

NextTrace's default ("realtime") layout, as VPS reviews and cloud benchmarks publish it:

- a header ``traceroute to ADDR[ (NAME)], 30 hops max, 52 bytes payload[, ICMP mode]``
  (the address first and the name in brackets, the reverse of Linux traceroute; older
  builds print ``52 bytes packets`` or ``52 byte packets``; ``SRC -> ADDR, ...`` with a
  source address). ``ICMP``/``TCP``/``UDP mode`` is kept as the protocol;
- ``N   ADDR   AS<n>|*   [NETNAME]   place words   domain``: the hop number, the answering
  address, the AS number NextTrace's geo service gives (kept on
  :attr:`Reply.asn <topo.model.Reply.asn>`: ``AS31898`` -> ``(31898,)``, ``*`` -> ``()``),
  then the network name and a place that topo does not keep (owners come from topo's own
  look-ups); IPv6 hop lines have no network name;
- under it, indented, the reverse-DNS name (if any) and the RTT of every probe the
  address answered, ``0.56 ms / 0.66 ms / * ms`` (``* ms``: a probe nobody answered);
- more addresses for the same hop on lines of their own, indented, each followed by its
  RTT line; MPLS labels (``[MPLS: Lbl 24001, TC 0, S 1, TTL 1]``) after the RTT line;
- ``N   *``: a hop where nothing answered.

Also read: ``--table`` (``Hop  IP  Latency  ASN  Location  Owner``, one row per probe,
the AS number without ``AS``), ``-g en`` (English places: same columns), the ``NextTrace
v1.x`` banner (``meta["nexttrace_version"]``), ``IP Geo Data Provider: X``
(``meta["geo_provider"]``), the ``[NextTrace API] ...`` and ``MapTrace URL: ...`` lines
(skipped), and a label the benchmark scripts print before a trace (``北京电信``, ``No:1/9
Traceroute to 中国 深圳 电信 (TCP Mode, Max 30 Hop, IPv4)``: ``meta["label"]``; dashed and
``===`` rules skipped).

Not readable: the summary that benchmark scripts (goecs / ecs "三网回程路由") print from
NextTrace's API, ``0.31 ms  AS31898  [ORACLE-CLOUD]  韩国, 江原道, 春川, ...``: it has no
hop numbers and no addresses, and topo's graph is made of addresses. A text of that kind
is one :class:`~topo.errors.FormatDetectionError` that says so, not an error per line.
A destination NextTrace hides (``NEXTTRACE_ENABLEHIDDENDSTIP=1`` prints ``203.0.0.0/16`` for it)
is no address either: the trace keeps it in ``meta["dst_hidden"]``, not in ``dst``, and its
hop line is an error.

Detection: a header of NextTrace's (one of ``bytes payload``, ``bytes packets``, ``X
mode``, an address without brackets, ``SRC ->``), its banner or API line, its ``--table``
header, or a hop line (number, address, ``AS<n>``/``*``, no RTT) with an RTT line.

Example
-------
>>> text = '''traceroute to 198.51.100.9, 30 hops max, 52 bytes payload, ICMP mode
... 1   192.0.2.1       AS64500  [EXAMPLE-NET]    Example City  example.net
...                                               0.31 ms / 0.29 ms / 0.26 ms
... 2   *
... 3   198.51.100.9    *                         RFC5737
...     host.example.net                          9.40 ms / * ms / 9.21 ms'''
>>> [trace] = parse(text, source="nt.txt")
>>> [[r.asn for r in hop.replies] for hop in trace.hops]
[[(64500,), (64500,), (64500,)], [None], [(), None, ()]]
>>> trace.reached, trace.protocol, trace.hops[2].replies[2].name
(True, 'icmp', 'host.example.net')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from topo.classify import is_address
from topo.errors import FormatDetectionError, ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, non_blank_lines, reached_from

NAME = "nexttrace"
DESCRIPTION = "NextTrace text: a hop line (address, AS, network, place), its RTT line; --table"
DETECTION = (
    "a 'traceroute to ADDR, N hops max, 52 bytes payload, ICMP mode' header, the NextTrace "
    "banner, or hop lines 'N  addr  AS<n>|*' whose RTTs 'x ms / y ms' follow on the next line"
)

_HEADER = re.compile(
    r"^(?P<lead>.{0,200}?)(?:traceroute\s+to|(?P<src>[^\s,]{1,64})\s+->)\s+(?P<dst>[^\s,()]+)"
    r"(?:\s+\((?P<name>[^()\s]*)\))?,\s*(?P<max>\d+)\s+hops\s+max"
    r"(?:,\s*(?P<size>[^,]*?))?(?:,\s*(?P<mode>[A-Za-z0-9]+)\s+mode)?\s*$",
    re.IGNORECASE,
)
_PACKET = re.compile(r"(\d+)\s+bytes?\s+(packets|payload)", re.IGNORECASE)
#: The label goecs prints in the header line: ``广州电信 - ICMP v4 - traceroute to ...``.
_LEAD = re.compile(r"^\s*(?P<label>.*?)\s+-\s+(?P<mode>[A-Za-z]+)\s+v[46]\s+-\s*$")
#: The protocol a script's label names: ``No:1/9 Traceroute to ... (TCP Mode, Max 30 Hop, IPv4)``.
_LABEL_MODE = re.compile(r"\b(ICMP|TCP|UDP)\s+Mode\b", re.IGNORECASE)
_BANNER = re.compile(r"^\s*NextTrace\s+(?P<version>v\d\S*)")
_API = re.compile(r"^\s*\[NextTrace API\]|^\s*MapTrace URL:", re.IGNORECASE)
_PROVIDER = re.compile(r"^\s*IP Geo Data Provider:\s*(?P<provider>\S(?:.*\S)?)\s*$")
_RULE = re.compile(r"^\s*(?:-{5,}|={5,})\s*$")
_HOP = re.compile(r"^\s*(?P<ttl>\d{1,3})\s+(?P<body>\S(?:.*\S)?)\s*$")
_ADDRESS_LINE = re.compile(r"^(?P<addr>[^\s*]\S*)\s+(?P<asn>AS\d+|\*)(?:\s.*)?$")
_MORE = re.compile(r"^\s+(?P<body>[^\s*]\S*\s+(?:AS\d+|\*)(?:\s.*)?)$")
_TIME = r"(?:\d+(?:\.\d+)?|\*)\s*ms"
_TIMES = re.compile(
    rf"^\s+(?:(?P<name>[^\s/]+)\s+)?(?P<times>{_TIME}(?:\s*/\s*{_TIME})*)\s*$", re.IGNORECASE
)
_MPLS = re.compile(
    r"^\s+\[MPLS:\s*Lbl\s+(?P<l>\d+),\s*TC\s+(?P<e>\d+),\s*S\s+(?P<s>\d+),\s*TTL\s+(?P<t>\d+)\]\s*$"
)
_TABLE_HEADER = re.compile(r"^\s*Hop\s+IP\s+Latency\s+ASN\s+Location\s+Owner\s*$")
_TABLE_ROW = re.compile(
    r"^\s*(?:(?P<ttl>\d{1,3})\s+)?(?:(?P<star>\*)|(?:(?P<name>\S+)\s+\((?P<paddr>[^()\s]+)\)|"
    r"(?P<addr>\S+))\s+(?P<rtt>\d+(?:\.\d+)?)ms(?:\s+(?P<asn>\d+)(?=\s|$))?)(?:\s+\S.*)?\s*$"
)
#: goecs's summary line: an RTT, then the AS column; no hop number, no address.
_NO_ADDRESS = re.compile(r"^\s*\d+(?:\.\d+)?\s*ms\s+(?:AS\d+|\*)(?:\s|$)")
_SNIFF_HOP = re.compile(r"^\s*\d{1,3}\s+(?P<addr>[0-9A-Fa-f.:]+)\s+(?:AS\d+|\*)(?:\s|$)")
_SNIFF_TIMES = re.compile(rf"^\s+(?:\S+\s+)?{_TIME}(?:\s*/\s*{_TIME})*\s*$")


def sniff(head: str) -> bool:
    """NextTrace's header, banner or table header, or a hop line with an RTT line under it."""
    if not any(word in head for word in ("hops max", "NextTrace", " ms", "Latency")):
        return False  # (one scan first: every NextTrace layout holds one of these)
    lines = non_blank_lines(head)
    for line in lines[:12]:
        if _BANNER.match(line) or _API.match(line) or _TABLE_HEADER.match(line):
            return True
        if "hops max" in line and _is_nexttrace_header(line):
            return True
    hop = any(
        (m := _SNIFF_HOP.match(line)) and "ms" not in line and is_address(m["addr"])
        for line in lines
    )
    return hop and any(_SNIFF_TIMES.match(line) for line in lines)


def _is_nexttrace_header(line: str) -> bool:
    """A header as only NextTrace writes it (Linux, BSD and BestTrace print ``X (ADDR)``)."""
    match = _HEADER.match(line)
    if match is None:
        return False
    size = match["size"] or ""
    if match["mode"] or match["src"] or re.search(r"bytes\s+(?:payload|packets)", size, re.I):
        return True
    if match["lead"].strip():
        return _LEAD.match(match["lead"]) is not None
    name = match["name"]
    return is_address(match["dst"]) and (name is None or not is_address(name))


def _asn(text: str) -> tuple[int, ...]:
    """``AS31898`` -> ``(31898,)``; ``*``, ``AS0`` and an empty column -> ``()``."""
    number = int(text[2:]) if text[:2].upper() == "AS" else int(text) if text.isdigit() else 0
    return (number,) if number else ()


def _times(text: str) -> list[float | None]:
    """``9.40 ms / * ms / 9.21 ms`` -> ``[9.4, None, 9.21]``."""
    out: list[float | None] = []
    for part in text.split("/"):
        value = part.strip()[:-2].strip()
        out.append(None if value == "*" else float(value))
    return out


@dataclass
class _Group:
    """One address of a hop, waiting for its RTT line (``None``: one NextTrace hid)."""

    addr: str | None
    asn: tuple[int, ...]
    line: int


@dataclass
class _Trace:
    """One trace being read."""

    source: str
    line: int
    fields: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    hops: list[Hop] = field(default_factory=list)
    pending: _Group | None = None
    table: bool = False
    addressless: bool = False

    @property
    def empty(self) -> bool:
        return not self.hops and self.pending is None

    def add(self, ttl: int, replies: list[Reply]) -> None:
        """More replies of hop ``ttl`` (a new hop, or the current one)."""
        if self.hops and self.hops[-1].ttl == ttl:
            last = self.hops[-1]
            self.hops[-1] = Hop(ttl, (*last.replies, *replies))
        else:
            self.hops.append(Hop(ttl, tuple(replies)))

    def add_mpls(self, label: MplsLabel) -> bool:
        """Attach an MPLS label to the replies of the last address read."""
        if not self.hops or not self.hops[-1].replies:
            return False
        hop = self.hops[-1]
        addr = next((r.addr for r in reversed(hop.replies) if r.addr is not None), None)
        if addr is None:
            return False
        replies = tuple(
            Reply(r.addr, r.rtt_ms, r.name, r.flags, r.asn, (*r.mpls, label))
            if r.addr == addr
            else r
            for r in hop.replies
        )
        self.hops[-1] = Hop(hop.ttl, replies)
        return True

    def build(self) -> Trace:
        dst = self.fields.get("dst")
        return Trace(
            dst=dst,
            hops=tuple(self.hops),
            src=self.fields.get("src"),
            dst_name=self.fields.get("dst_name"),
            protocol=self.fields.get("protocol"),
            reached=reached_from(dst, self.hops),
            format=NAME,
            origin=Origin(self.source, self.line),
            meta=self.meta,
        )


def _header(match: re.Match[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trace fields and meta of a header."""
    fields: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    dst, name = match["dst"], match["name"]
    if is_address(dst):
        fields["dst"] = dst
    elif "/" in dst:
        meta["dst_hidden"] = dst  # NextTrace hid the destination's last bits
    else:
        fields["dst_name"] = dst
    if name and name != dst:
        fields["dst_name"] = name
    if match["src"] and is_address(match["src"]):
        fields["src"] = match["src"]
    lead = _LEAD.match(match["lead"]) if match["lead"].strip() else None
    mode = match["mode"] or (lead["mode"] if lead else None)
    if mode:
        fields["protocol"] = mode.lower()
    if lead and lead["label"]:
        meta["label"] = lead["label"]
    meta["max_hops"] = int(match["max"])
    packet = _PACKET.search(match["size"] or "")
    if packet:
        meta["packet_bytes"] = int(packet[1])
    return fields, meta


def _group_replies(group: _Group, name: str | None, times: list[float | None]) -> list[Reply]:
    if group.addr is None:
        return []
    return [
        Reply(None) if rtt is None else Reply(group.addr, rtt, name=name, asn=group.asn)
        for rtt in times
    ]


def _table_row(current: _Trace, match: re.Match[str]) -> str | None:
    """Read one ``--table`` row into ``current``; a problem, or ``None``."""
    if match["ttl"] is None and not current.hops:
        return "a table row without a hop number before any hop"
    ttl = int(match["ttl"]) if match["ttl"] is not None else current.hops[-1].ttl
    if match["star"]:
        current.add(ttl, [Reply(None)])
        return None
    addr = match["paddr"] or match["addr"]
    if not is_address(addr):
        return f"hop {ttl}: not an address {addr[:60]!r}"
    name = match["name"] if match["name"] not in (None, addr) else None
    asn = _asn(match["asn"]) if match["asn"] else ()
    current.add(ttl, [Reply(addr, float(match["rtt"]), name=name, asn=asn)])
    return None


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every trace in ``text``; each unreadable line becomes a :class:`ParseError`."""
    current: _Trace | None = None
    preamble: dict[str, Any] = {}  # banner, provider, label: for the next trace
    label: tuple[int, str] | None = None  # a line that may name the next trace
    ttl = 0
    addressless: list[_Trace] = []

    def finish_group() -> Iterator[ParseError]:
        """A pending address whose RTT line never came: kept without an RTT."""
        if current is None or current.pending is None:
            return
        group, current.pending = current.pending, None
        if group.addr is not None:
            current.add(ttl, [Reply(group.addr, asn=group.asn)])
            message = f"hop {ttl}: no RTT line for {group.addr}"
            yield ParseError(message, path=source, line=group.line)

    def finish() -> Iterator[ParseItem]:
        nonlocal current
        yield from finish_group()
        if current is not None:
            if current.addressless and not current.hops:
                addressless.append(current)
            elif not current.empty or current.fields:
                yield current.build()
        current = None

    def start(number: int, fields: dict[str, Any], meta: dict[str, Any]) -> _Trace:
        nonlocal label, preamble
        if label is not None:
            meta = {"label": label[1], **meta}
            label = None
        mode = _LABEL_MODE.search(meta.get("label", ""))
        if mode and "protocol" not in fields:
            fields = {**fields, "protocol": mode[1].lower()}
        meta, preamble = {**preamble, **meta}, {}
        return _Trace(source, number, fields, meta)

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or _RULE.match(line) or _API.match(line):
            continue
        banner, provider = _BANNER.match(line), _PROVIDER.match(line)
        if banner or provider:
            if current is not None and not current.empty:
                yield from finish()
            if banner:
                preamble = {"nexttrace_version": banner["version"]}
            else:
                assert provider is not None
                preamble["geo_provider"] = provider["provider"]
            continue
        header = _HEADER.match(line) if "hops max" in line else None
        if header:
            yield from finish()
            fields, meta = _header(header)
            current = start(number, fields, meta)
            continue
        if _TABLE_HEADER.match(line):
            if current is None or not current.empty:
                yield from finish()
                current = start(number, {}, {})
            current.table = True
            continue
        times = _TIMES.match(line) if current is not None and current.pending else None
        if times and current is not None and current.pending is not None:
            group, current.pending = current.pending, None
            replies = _group_replies(group, times["name"], _times(times["times"]))
            if replies:
                current.add(ttl, replies)
            continue
        mpls = _MPLS.match(line) if current is not None else None
        if mpls and current is not None:
            entry = MplsLabel(int(mpls["l"]), int(mpls["e"]), mpls["s"] != "0", int(mpls["t"]))
            if not current.add_mpls(entry):
                yield ParseError("an MPLS label before any address", path=source, line=number)
            continue
        if current is not None and current.table:
            row = _TABLE_ROW.match(line)
            if row:
                problem = _table_row(current, row)
                if problem:
                    yield ParseError(problem, path=source, line=number)
                continue
        summary = current is None or not (current.hops or current.table)
        if summary and (_NO_ADDRESS.match(line) or (line.strip() == "*" and current is not None)):
            if current is None:
                current = start(number, {}, {})
            current.addressless = True
            continue
        if label is not None:
            yield ParseError(f"not a NextTrace line: {label[1][:80]!r}", path=source, line=label[0])
            label = None
        hop, more = _HOP.match(line), _MORE.match(line)
        if hop and not _ADDRESS_LINE.match(hop["body"]) and hop["body"] != "*":
            hop = None  # (a label that starts with a number)
        if hop:
            yield from finish_group()
            new_ttl, body = int(hop["ttl"]), hop["body"]
            if current is None or (current.hops and new_ttl <= current.hops[-1].ttl):
                yield from finish()
                current = start(number, {}, {})
            ttl = new_ttl
        elif more and current is not None and current.hops:
            yield from finish_group()
            body = more["body"]
        else:
            label = (number, line.strip())
            continue
        if body == "*":
            current.add(ttl, [Reply(None)])
            continue
        address = _ADDRESS_LINE.match(body)
        assert address is not None
        addr = address["addr"] if is_address(address["addr"]) else None
        if addr is None:
            hidden = " (NextTrace hid it)" if "/" in address["addr"] else ""
            problem = f"hop {ttl}: not an address {address['addr'][:60]!r}{hidden}"
            yield ParseError(problem, path=source, line=number)
        current.pending = _Group(addr, _asn(address["asn"]), number)
    if label is not None:
        yield ParseError(f"not a NextTrace line: {label[1][:80]!r}", path=source, line=label[0])
    yield from finish()
    if addressless:
        first = addressless[0]
        count = f"{len(addressless)} trace{'s' if len(addressless) > 1 else ''}"
        yield FormatDetectionError(
            f"NextTrace output without addresses ({count} of RTT, AS and place per hop, as "
            "goecs/ecs print them): topo needs the hops' addresses; save nexttrace's own output",
            path=source,
            line=first.line,
        )
