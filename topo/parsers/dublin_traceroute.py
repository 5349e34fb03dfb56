"""dublin-traceroute JSON (``trace.json``): NAT-aware multipath traceroute, one trace per flow.

dublin-traceroute (C++ 0.4, and its Go rewrite) probes several UDP flows at once, one
destination port per flow, and writes::

    {"flows": {"33434": [ {"is_last", "name", "nat_id", "flowhash", "rtt_usec",
                           "sent": {"timestamp", "ip": {"src", "dst", "ttl"},
                                    "udp": {"sport", "dport"}},
                           "received": {"timestamp", "ip": {"src", "dst", "ttl", "id"},
                                        "icmp": {"type", "code", "description",
                                                 "extensions", "mpls_labels"}}
                                       | null,
                           "zerottl_forwarding_bug"}, ...],
               "33435": [...]}}

Each flow becomes one :class:`~topo.model.Trace` (``meta["flow"]`` is the flow key, every
reply's ``flow_id`` the destination port, protocol ``udp``); each probe is one reply at
its ``sent.ip.ttl`` (``received`` null: a silent reply). ``name`` is kept when it is a
name, ``received.ip.ttl`` is the ``reply_ttl``, ``rtt_usec`` becomes milliseconds, and
MPLS labels (``label``, ``experimental``, ``bottom_of_stack``, ``ttl``) are read.

The C++ version writes the ICMP type under ``"code"`` and the code under ``"type"``
(``"code": 11, "type": 0`` for a time exceeded); the Go version writes them the right
way round. A pair that is not a valid ICMP(v6) type/code but is once swapped is swapped.

NAT detection is dublin-traceroute's point: ``meta["nat_ids"]`` lists ``[ttl, nat_id]``
for every answered probe (a change of value along the path reveals a NAT), and
``meta["zerottl_forwarding_bug"]`` the TTLs where a router forwarded a TTL-0 packet.
Probes after ``is_last`` are kept (the C++ output stops there anyway).

Example
-------
>>> import json
>>> doc = {"flows": {"33434": [
...     {"is_last": False, "name": "gw.example", "nat_id": 0, "rtt_usec": 1186,
...      "received": {"icmp": {"code": 11, "type": 0}, "ip": {"src": "192.168.9.1", "ttl": 64}},
...      "sent": {"ip": {"src": "192.168.9.17", "dst": "192.0.2.9", "ttl": 1},
...               "udp": {"sport": 12345, "dport": 33434}}},
...     {"is_last": True, "name": "", "received": None, "rtt_usec": None,
...      "sent": {"ip": {"src": "192.168.9.17", "dst": "192.0.2.9", "ttl": 2},
...               "udp": {"sport": 12345, "dport": 33434}}}]}}
>>> [trace] = parse(json.dumps(doc), source="dt.json")
>>> trace.dst, [(h.ttl, h.addresses) for h in trace.hops], trace.hops[0].replies[0].icmp_type
('192.0.2.9', [(1, ('192.168.9.1',)), (2, ())], 11)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, reached_from
from topo.parsers.checks import MAX_TTL, ttl_or_none, utc_from_epoch
from topo.parsers.json_input import first_json_char, iter_json_records
from topo.parsers.scamper_json import icmp_flags

NAME = "dublin-traceroute"
DESCRIPTION = "dublin-traceroute JSON (C++ and Go versions): one trace per UDP flow, NAT ids"
DETECTION = 'a JSON object with "flows" whose probes have "sent"/"received"/"is_last"/"nat_id"'

_SNIFF_KEYS = ('"is_last"', '"nat_id"', '"rtt_usec"', '"sent"')
#: Valid (type: highest code) pairs of the ICMP messages a traceroute gets back.
_ICMP4_CODES = {0: 0, 3: 15, 4: 0, 5: 3, 11: 1, 12: 2}
_ICMP6_CODES = {1: 7, 2: 0, 3: 1, 4: 3, 129: 0}


def sniff(head: str) -> bool:
    """A JSON object with a ``"flows"`` key and dublin-traceroute's probe keys."""
    if first_json_char(head) != "{" or not re.search(r'"flows"\s*:', head):
        return False
    return sum(key in head for key in _SNIFF_KEYS) >= 2


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _timestamp(value: Any) -> float | None:
    """``"1488785662.885159"`` (C++) or ``1488785662.885159`` (Go) as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _valid(icmp_type: int, icmp_code: int, *, v6: bool) -> bool:
    highest = (_ICMP6_CODES if v6 else _ICMP4_CODES).get(icmp_type)
    return highest is not None and 0 <= icmp_code <= highest


def icmp_type_code(icmp: Mapping[str, Any], *, v6: bool) -> tuple[int | None, int | None]:
    """ICMP type and code, undoing the C++ version's swap.

    >>> icmp_type_code({"code": 11, "type": 0}, v6=False), icmp_type_code({"type": 11}, v6=False)
    ((11, 0), (11, None))
    """
    icmp_type, icmp_code = _int(icmp.get("type")), _int(icmp.get("code"))
    if icmp_type is None or icmp_code is None:
        return icmp_type, icmp_code
    if not _valid(icmp_type, icmp_code, v6=v6) and _valid(icmp_code, icmp_type, v6=v6):
        return icmp_code, icmp_type
    return icmp_type, icmp_code


def _mpls(icmp: Mapping[str, Any]) -> tuple[MplsLabel, ...]:
    labels: list[MplsLabel] = []
    for entry in icmp.get("mpls_labels") or ():
        label = _int(entry.get("label")) if isinstance(entry, dict) else None
        if label is not None:
            s = _int(entry.get("bottom_of_stack"))
            labels.append(
                MplsLabel(
                    label=label,
                    exp=_int(entry.get("experimental")),
                    s=None if s is None else bool(s),
                    ttl=_int(entry.get("ttl")),
                )
            )
    return tuple(labels)


def _reply(probe: Mapping[str, Any], flow_id: int | None, *, v6: bool) -> Reply:
    received = probe.get("received")
    if not isinstance(received, dict):
        return Reply(None, flow_id=flow_id)
    ip, icmp = _dict(received.get("ip")), _dict(received.get("icmp"))
    src = ip.get("src")
    icmp_type, icmp_code = icmp_type_code(icmp, v6=v6)
    rtt = _int(probe.get("rtt_usec"))
    name = probe.get("name")
    return Reply(
        addr=src if isinstance(src, str) and is_address(src) else None,
        rtt_ms=None if rtt is None else rtt / 1000,
        name=name if isinstance(name, str) and name and not is_address(name) else None,
        flags=icmp_flags(icmp_type, icmp_code, v6=v6),
        mpls=_mpls(icmp),
        reply_ttl=_int(ip.get("ttl")),
        flow_id=flow_id,
        icmp_type=icmp_type,
        icmp_code=icmp_code,
    )


def flow_to_trace(key: str, probes: list[Any], *, origin: Origin) -> tuple[Trace, list[str]]:
    """One flow's probes as a :class:`Trace`, and what could not be read in them."""
    problems: list[str] = []
    flow_id = int(key) if key.isdecimal() else None
    first_sent = _dict(_dict(probes[0]).get("sent")) if probes else {}
    dst, src = _dict(first_sent.get("ip")).get("dst"), _dict(first_sent.get("ip")).get("src")
    dst = dst if isinstance(dst, str) and is_address(dst) else None
    src = src if isinstance(src, str) and is_address(src) else None
    v6 = ":" in (dst or src or "")
    by_ttl: dict[int, list[Reply]] = defaultdict(list)
    nat_ids: list[list[int]] = []
    zero_ttl: list[int] = []
    times: list[float] = []
    udp: Mapping[str, Any] = {}
    for probe in probes:
        sent = _dict(_dict(probe).get("sent"))
        ttl = ttl_or_none(_dict(sent.get("ip")).get("ttl"))
        if ttl is None:
            problems.append(f"probe without a sent.ip.ttl from 0 to {MAX_TTL}: {str(probe)[:60]!r}")
            continue
        reply = _reply(probe, flow_id, v6=v6)
        received = probe.get("received")
        if isinstance(received, dict) and reply.addr is None:
            problems.append(f"TTL {ttl}: no address in received.ip.src")
        by_ttl[ttl].append(reply)
        udp = udp or _dict(sent.get("udp"))
        if reply.addr is not None and _int(probe.get("nat_id")) is not None:
            nat_ids.append([ttl, probe["nat_id"]])
        if probe.get("zerottl_forwarding_bug") is True:
            zero_ttl.append(ttl)
        stamp = _timestamp(sent.get("timestamp"))
        if stamp is not None:
            times.append(stamp)
    hops = [
        Hop(ttl, tuple(by_ttl.get(ttl) or (Reply(None, flow_id=flow_id),)))
        for ttl in range(min(by_ttl, default=1), max(by_ttl, default=0) + 1)
    ]
    meta: dict[str, Any] = {"flow": key, "nat_ids": nat_ids}
    for field in ("sport", "dport"):
        if _int(udp.get(field)) is not None:
            meta[field] = udp[field]
    flowhash = _int(_dict(probes[0]).get("flowhash")) if probes else None
    if flowhash is not None:
        meta["flowhash"] = flowhash
    if zero_ttl:
        meta["zerottl_forwarding_bug"] = zero_ttl
    trace = Trace(
        dst=dst,
        hops=tuple(hops),
        src=src,
        protocol="udp",
        started=utc_from_epoch(min(times)) if times else None,
        reached=reached_from(dst, hops),
        format=NAME,
        origin=origin,
        meta=meta,
    )
    return trace, problems


def _flow_line(text: str, key: str, start_line: int | None) -> int | None:
    """The line where flow ``key`` (``"33434" :``) starts, at or after ``start_line``."""
    if start_line is None:
        return None
    offset = 0
    for _ in range(start_line - 1):
        offset = text.find("\n", offset) + 1
        if offset == 0:
            return start_line
    match = re.compile(rf'"{re.escape(key)}"\s*:').search(text, offset)
    return start_line if match is None else text.count("\n", 0, match.start()) + 1


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """One trace per flow of every dublin-traceroute document in ``text``."""
    for record in iter_json_records(text, source=source):
        if isinstance(record, ParseError):
            yield record
            continue
        line, doc = record
        flows = doc.get("flows") if isinstance(doc, dict) else None
        if not isinstance(flows, dict):
            yield ParseError('not a dublin-traceroute result (no "flows")', path=source, line=line)
            continue
        for key, probes in flows.items():
            where = _flow_line(text, str(key), line)
            if not isinstance(probes, list):
                yield ParseError(f"flow {key}: not a list of probes", path=source, line=where)
                continue
            try:
                trace, problems = flow_to_trace(str(key), probes, origin=Origin(source, where))
            except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as err:
                yield ParseError(f"flow {key}: unreadable ({err})", path=source, line=where)
                continue
            if problems:
                yield ParseError(f"flow {key}: " + "; ".join(problems), path=source, line=where)
            yield trace
