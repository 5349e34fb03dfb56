"""RIPE Atlas traceroute results (JSON): one result, a JSON array of results, or JSON Lines.

Reads IPv4 and IPv6 results as the Atlas API and its downloads give them: per hop
``result`` entries with ``from``/``rtt``/``ttl``/``size``, ``{"x": "*"}`` for a probe
without an answer, ``err`` (ICMP unreachable: ``N``, ``H``, ``A``, ``P``, ``p`` or a code),
``late`` replies, ``ittl`` (TTL of the quoted probe), ``icmpext`` objects with MPLS label
stacks (RFC 4950), hop-level ``error`` entries and a result-level ``error``.

Example
-------
>>> import json
>>> result = {"type": "traceroute", "af": 4, "dst_addr": "192.0.2.9", "src_addr": "10.0.0.5",
...           "proto": "ICMP", "timestamp": 1700000000, "msm_id": 5001, "prb_id": 7,
...           "result": [{"hop": 1, "result": [{"from": "10.0.0.1", "rtt": 0.6, "ttl": 64},
...                                            {"x": "*"}]},
...                      {"hop": 2, "result": [{"from": "192.0.2.9", "rtt": 3.1, "err": "H"}]}]}
>>> [trace] = parse(json.dumps(result), source="atlas.json")
>>> trace.ip_path, trace.protocol, trace.meta["msm_id"], trace.hops[1].replies[0].flags
((('10.0.0.1',), ('192.0.2.9',)), 'icmp', 5001, ('!H',))
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from topo.classify import is_address
from topo.errors import ParseError
from topo.model import Hop, MplsLabel, Origin, Reply, Trace
from topo.parsers.base import ParseItem, new_reply
from topo.parsers.checks import utc_from_epoch
from topo.parsers.json_input import first_json_char, iter_json_records

NAME = "ripe-atlas"
DESCRIPTION = "RIPE Atlas traceroute results: one JSON result, a JSON array, or JSON Lines (v4/v6)"
DETECTION = 'JSON with "type": "traceroute" or "msm_id" and a "result" list of "hop" entries'

#: Atlas ``err`` letters and the flag traceroute prints for the same ICMP message.
ERR_FLAGS = {"N": "!N", "H": "!H", "A": "!X", "P": "!P", "S": "!S", "F": "!F"}
#: Result keys mapped onto :class:`~topo.model.Trace` fields; other scalars go to ``meta``.
_MAPPED = frozenset({"type", "result", "dst_addr", "dst_name", "src_addr", "proto", "timestamp"})


_intern = sys.intern


def sniff(head: str) -> bool:
    """JSON that names a traceroute type, or has Atlas's ``msm_id`` and hop results."""
    if first_json_char(head) not in ("{", "["):
        return False
    if re.search(r'"type"\s*:\s*"traceroute"', head):
        return True
    return '"msm_id"' in head and '"hop"' in head and '"result"' in head


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _integer(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _mpls(icmpext: Any) -> tuple[MplsLabel, ...]:
    if not isinstance(icmpext, dict):
        return ()
    labels: list[MplsLabel] = []
    for obj in icmpext.get("obj") or ():
        if not isinstance(obj, dict) or obj.get("class") != 1:
            continue
        for entry in obj.get("mpls") or ():
            label = _integer(entry.get("label")) if isinstance(entry, dict) else None
            if label is not None:
                s = entry.get("s")
                labels.append(
                    MplsLabel(
                        label=label,
                        exp=_integer(entry.get("exp")),
                        s=None if s is None else bool(s),
                        ttl=_integer(entry.get("ttl")),
                    )
                )
    return tuple(labels)


#: The reply to a probe nobody answered (replies are immutable, so one serves all).
_STAR = Reply(None)


def _reply(entry: dict[str, Any]) -> Reply:
    from_addr = entry.get("from")
    if (from_addr is None and "from" not in entry) or entry.get("x") == "*":
        return _STAR
    err = entry.get("err")
    flags: tuple[str, ...] = ()
    icmp_type = icmp_code = None
    if err is None:
        pass
    elif isinstance(err, str) and err in ERR_FLAGS:
        flags = (ERR_FLAGS[err],)
    elif err == "p":  # port unreachable: the destination answered a UDP probe
        icmp_type, icmp_code = 3, 3
    elif isinstance(err, int) and not isinstance(err, bool):
        flags = (f"!<{err}>",)
    else:
        flags = (f"!{err}",)
    rtt = entry.get("rtt")
    ttl = entry.get("ttl")
    icmpext = entry.get("icmpext")
    return new_reply(
        _intern(from_addr if type(from_addr) is str else str(from_addr)) if from_addr else None,
        float(rtt) if type(rtt) is float or type(rtt) is int else None,
        reply_ttl=ttl if type(ttl) is int else None,
        flags=flags,
        mpls=() if icmpext is None else _mpls(icmpext),
        icmp_type=icmp_type,
        icmp_code=icmp_code,
        quoted_ttl=_integer(entry.get("ittl")),
        late=_integer(entry.get("late")),
    )


def _hop(item: Any, errors: list[str]) -> Hop | None:
    if isinstance(item, dict) and _integer(item.get("hop")) is None and "error" in item:
        errors.append(str(item["error"]))
        return None
    if not isinstance(item, dict) or _integer(item.get("hop")) is None:
        errors.append(f"hop entry without a hop number: {str(item)[:60]!r}")
        return None
    ttl = int(item["hop"])
    if "error" in item:
        errors.append(f"hop {ttl}: {item['error']}")
    replies = [_reply(e) for e in item.get("result") or () if type(e) is dict]
    if not replies and "error" in item:
        return None
    return Hop(ttl=ttl, replies=tuple(replies))


def _name_or_none(value: Any) -> str | None:
    """A destination name, unless it is only an address written another way."""
    if not isinstance(value, str) or not value or is_address(value):
        return None
    return value


def result_to_trace(result: dict[str, Any], *, origin: Origin) -> Trace:
    """One Atlas traceroute result as a :class:`Trace`; hop errors are kept in ``meta``."""
    hop_errors: list[str] = []
    hops = [h for h in (_hop(i, hop_errors) for i in result.get("result") or ()) if h]
    meta = {k: v for k, v in result.items() if k not in _MAPPED and not isinstance(v, list | dict)}
    if hop_errors:
        meta["hop_errors"] = hop_errors
    dst = result.get("dst_addr") or None
    started = _number(result.get("timestamp"))
    proto = result.get("proto")
    return Trace(
        dst=dst,
        hops=tuple(hops),
        src=result.get("src_addr") or None,
        dst_name=_name_or_none(result.get("dst_name")),
        protocol=proto.lower() if isinstance(proto, str) else None,
        started=utc_from_epoch(started),
        reached=None if dst is None else any(r.addr == dst for h in hops for r in h.replies),
        format=NAME,
        origin=origin,
        meta=meta,
    )


def parse(text: str, *, source: str) -> Iterator[ParseItem]:
    """Every traceroute result in ``text``; other records and broken ones are errors."""
    return parse_records(iter_json_records(text, source=source), source=source)


def parse_records(
    records: Iterable[tuple[int | None, Any] | ParseError], *, source: str
) -> Iterator[ParseItem]:
    """Every traceroute result among decoded JSON records (the streaming entry point).

    ``records`` is what :func:`~topo.parsers.json_input.iter_json_records` or
    :func:`~topo.parsers.json_input.iter_json_lines` yields.
    """
    for index, record in enumerate(records):
        if isinstance(record, ParseError):
            yield record
            continue
        line, obj = record
        where = f"result {index + 1}" if line is None else "result"
        if not isinstance(obj, dict):
            yield ParseError(f"{where} is not a JSON object", path=source, line=line)
            continue
        kind = obj.get("type", "traceroute")
        if kind != "traceroute" or not isinstance(obj.get("result", []), list):
            yield ParseError(f"{where} is not a traceroute (type {kind!r})", path=source, line=line)
            continue
        try:
            origin = Origin(source, line) if line is not None else Origin(source, item=index + 1)
            yield result_to_trace(obj, origin=origin)
        except (TypeError, ValueError, AttributeError, OverflowError) as err:
            yield ParseError(f"{where}: unreadable ({err})", path=source, line=line)
